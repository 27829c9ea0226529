/* calibrate.c — calibration: a measured profile turned into a cost model
 * (docs/validation-method.md). */
#include "cost/cost_fields.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Median of x[0..n) (sorted in place): the middle value, or the mean of the two middle ones. */
static double median(double *x, size_t n)
{
    qsort(x, n, sizeof *x, cmp_double);
    return n % 2 ? x[n / 2] : (x[n / 2 - 1] + x[n / 2]) / 2;
}

/* The model's backward times from measured tb, ti, tw: a split whose sum is within 1% of tb is
 * kept (and tb becomes ti + tw); otherwise tb is kept and split in the measured proportion, or
 * evenly when the split measured nothing. */
static void backward_times(const pps_profile_stage *x, pps_stage_cost *c)
{
    double sum = x->ti + x->tw;
    if (fabs(sum - x->tb) <= 0.01 * x->tb) {
        c->ti = x->ti;
        c->tw = x->tw;
        c->tb = sum;
        return;
    }
    c->tb = x->tb;
    c->ti = sum > 0 ? x->tb * (x->ti / sum) : x->tb / 2;
    c->tw = x->tb - c->ti;
}

/* Seconds per byte that a receive's copy costs the receiving rank: the median over links of the
 * measured one-way time less the latency (or, without one_way, bytes / bandwidth), per byte. */
static double copy_seconds_per_byte(const pps_profile *p, double *scratch)
{
    size_t n = 0;
    for (size_t i = 0; i < p->nlinks; i++) {
        const pps_profile_link *l = &p->links[i];
        double t = l->one_way > 0 ? l->one_way - l->latency
                   : l->bandwidth > 0 ? l->bytes / l->bandwidth : 0;
        if (l->bytes > 0)
            scratch[n++] = t > 0 ? t / l->bytes : 0;
    }
    return n ? median(scratch, n) : 0;
}

/* receiver_copies: charges each message's copy to the compute that consumes it on the receiving
 * rank (F of a stage whose previous stage is elsewhere, B and I of a stage whose next stage is
 * elsewhere); the link keeps only its latency. */
static pps_status charge_receive_copies(const pps_profile *p, double per_byte, pps_cost *out,
                                        pps_error *err)
{
    for (int s = 0; s < p->stages; s++) {
        pps_stage_cost *c = &out->stage[s];
        int rank = p->stage_costs[s].rank;
        for (int k = 0; k < 2; k++) {
            int from = k == 0 ? s - 1 : s + 1; /* F gets the activation, B/I the gradient */
            if (from < 0 || from >= p->stages || p->stage_costs[from].rank == rank)
                continue;
            double t = per_byte * p->stage_costs[from].send_bytes;
            double *v = k == 0 ? &c->tf : &c->tb;
            /* A copy too large for the cost model is refused here, where its sources can be
             * named (the measured time, the message size, the link's one-way time). */
            if (!(*v + t <= PPSC_MAX)) {
                char a[32], b[32], pb[32], sum[32];
                pps_format_exact(*v, a, sizeof a);
                pps_format_exact(p->stage_costs[from].send_bytes, b, sizeof b);
                pps_format_exact(per_byte, pb, sizeof pb);
                pps_format_exact(*v + t, sum, sizeof sum);
                return pps_error_set(err, PPS_EINPUT,
                                     "$.stage_costs[%d].%s = %s s plus the copy of "
                                     "$.stage_costs[%d].send_bytes = %s B that receiver_copies "
                                     "charges it (%s s per byte, from $.links[].one_way) is %s s, "
                                     "above the cost model's limit of %g s",
                                     s, k == 0 ? "tf" : "tb", a, from, b, pb, sum, PPSC_MAX);
            }
            *v += t;
            if (k == 1)
                c->ti += t;
        }
    }
    out->intra.bandwidth = 0; /* unlimited: the transfer's time is in the consumer's compute */
    return PPS_OK;
}

pps_status pps_profile_to_costs(const pps_profile *p, pps_cost *out, pps_error *err)
{
    pps_cost_init(out);
    out->stage = calloc((size_t)p->stages, sizeof *out->stage);
    double *lat = malloc((p->nlinks ? p->nlinks : 1) * sizeof *lat);
    double *bw = malloc((p->nlinks ? p->nlinks : 1) * sizeof *bw);
    if (!out->stage || !lat || !bw) {
        free(lat);
        free(bw);
        pps_cost_clear(out);
        return pps_error_set(err, PPS_ENOMEM, "calibrate: out of memory");
    }
    out->nstages = p->stages;
    pps_stage_cost mean = {0};
    for (int s = 0; s < p->stages; s++) {
        const pps_profile_stage *x = &p->stage_costs[s];
        pps_stage_cost *c = &out->stage[s];
        c->tf = x->tf;
        backward_times(x, c);
        c->act_bytes = x->act_bytes;
        c->act_w_bytes = x->act_w_bytes;
        c->send_bytes = x->send_bytes;
        c->tfb = NAN; /* no overlapped pair is profiled: the sum of its halves */
        double *m = &mean.tf;
        const double *v = &c->tf;
        for (int k = 0; k < 7; k++)
            m[k] += v[k] / p->stages;
    }
    /* Only a schedule without per-stage entries would use it; the mean is the best guess. */
    out->uniform = mean;
    out->uniform.tfb = NAN;
    out->uniform.tw = mean.tb - mean.ti;
    if (out->uniform.act_w_bytes > out->uniform.act_bytes)
        out->uniform.act_w_bytes = out->uniform.act_bytes;
    for (size_t i = 0; i < p->nlinks; i++) {
        lat[i] = p->links[i].latency;
        bw[i] = p->links[i].bandwidth;
    }
    if (p->nlinks) {
        out->intra.latency = median(lat, p->nlinks);
        out->intra.bandwidth = median(bw, p->nlinks);
    }
    if (p->receiver_copies) {
        pps_status st = charge_receive_copies(p, copy_seconds_per_byte(p, lat), out, err);
        if (st != PPS_OK) {
            free(lat);
            free(bw);
            pps_cost_clear(out);
            return st;
        }
        /* the uniform entry follows the per-stage ones */
        pps_stage_cost m = {0};
        for (int s = 0; s < p->stages; s++) {
            m.tf += out->stage[s].tf / p->stages;
            m.tb += out->stage[s].tb / p->stages;
            m.ti += out->stage[s].ti / p->stages;
        }
        out->uniform.tf = m.tf;
        out->uniform.tb = m.tb;
        out->uniform.ti = m.ti;
        out->uniform.tw = m.tb - m.ti;
    }
    out->inter = out->intra;
    out->ranks_per_node = 0;
    free(lat);
    free(bw);
    pps_status st = pps_cost_resolve(out, p->stages, err);
    if (st != PPS_OK) {
        pps_error_prefix(err, "calibrated"); /* "calibrated costs: stage 1: ..." */
        pps_cost_clear(out);
    }
    return st;
}
