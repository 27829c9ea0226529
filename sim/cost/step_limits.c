/* step_limits.c — the limits a schedule's priced costs must keep (docs/cost-model.md, "Limits
 * of a step"): every transfer finite and at most PPSC_MAX, and a step short enough beside its
 * smallest compute time that the event core's sums do not round that time away. */
#include "cost_fields.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* Bits of precision the smallest non-zero compute time keeps at the longest time a step can
 * reach: a step may last at most 2^43 (about 8.8e12) times it, so that it keeps 10 of a double's
 * 53 bits (0.1%) wherever it is added. */
#define STEP_RATIO_LIMIT 8796093022208.0 /* 2^43 */

/* One priced cost, named for messages: "tf = 0.5 s (stage 3)". */
typedef struct named_cost {
    double v;
    char what[96];
} named_cost;

static void name_cost(named_cost *n, double v, const char *field, int stage)
{
    char num[32];
    pps_format_exact(v, num, sizeof num);
    n->v = v;
    if (stage >= 0)
        snprintf(n->what, sizeof n->what, "%s = %s s (%s stage %d)", field, num,
                 strstr(field, "latency") || strstr(field, "bandwidth") ? "from" : "of", stage);
    else
        snprintf(n->what, sizeof n->what, "%s = %s s", field, num);
}

/* Keeps the smallest non-zero and the largest cost seen. */
static void see(named_cost *lo, named_cost *hi, double v, const char *field, int stage)
{
    if (v > 0 && (lo->v == 0 || v < lo->v))
        name_cost(lo, v, field, stage);
    if (v > hi->v)
        name_cost(hi, v, field, stage);
}

/* The link a transfer between two ranks takes, as pps_cost_transfer picks it. */
static const pps_link *link_of(const pps_cost *c, int src, int dst, const char **name)
{
    int same = c->ranks_per_node <= 0 || src / c->ranks_per_node == dst / c->ranks_per_node;
    *name = same ? "intra-node" : "inter-node";
    return same ? &c->intra : &c->inter;
}

/* A transfer from stage `from` to `to` (ranks differ): finite and at most PPSC_MAX, then seen. */
static pps_status check_transfer(const pps_schedule *s, const pps_cost *c, double t, int from,
                                 int to, double *sum, named_cost *hi, pps_error *err)
{
    const char *kind;
    const pps_link *l = link_of(c, s->stage_rank[from], s->stage_rank[to], &kind);
    if (!(t <= PPSC_MAX)) {
        char b[32], bw[32], tt[32];
        pps_format_exact(pps_cost_of_stage(c, from).send_bytes, b, sizeof b);
        pps_format_exact(l->bandwidth, bw, sizeof bw);
        pps_format_exact(t, tt, sizeof tt);
        return pps_error_set(err, PPS_EINPUT,
                             "costs: the transfer from stage %d to stage %d takes latency + "
                             "send_bytes / bandwidth = %s s (%s B at %s B/s on the %s link); "
                             "a time may be at most %g s",
                             from, to, tt, b, bw, kind, PPSC_MAX);
    }
    *sum += (double)s->microbatches * t;
    /* Only the largest cost is tracked for transfers: a transfer too short to register beside
     * the step only moves times by less than it lasts, where a compute time lost to rounding
     * leaves a rank's busy time wrong. */
    if (t > hi->v) {
        char field[64];
        /* Name the part that dominates: the latency, or the bytes over the bandwidth. */
        if (l->latency >= t - l->latency)
            snprintf(field, sizeof field, "%s latency", kind);
        else
            snprintf(field, sizeof field, "send_bytes / %s bandwidth", kind);
        name_cost(hi, t, field, from);
    }
    return PPS_OK;
}

/* UNSHARD, RESHARD and REDUCE_GRAD have no micro-batch, so how many a schedule holds is only
 * known by counting; 0 when they cost nothing. */
static double extras_time(const pps_schedule *s, const pps_cost *c)
{
    if (c->t_unshard <= 0 && c->t_reshard <= 0 && c->t_reduce_grad <= 0)
        return 0;
    double sum = 0;
    for (int r = 0; r < s->ranks; r++)
        for (size_t i = 0; i < s->programs[r].n; i++)
            switch (s->programs[r].actions[i].kind) {
            case PPS_UNSHARD: sum += c->t_unshard; break;
            case PPS_RESHARD: sum += c->t_reshard; break;
            case PPS_REDUCE_GRAD: sum += c->t_reduce_grad; break;
            default: break;
            }
    return sum;
}

pps_status ppsc_check_step(const pps_schedule *s, const pps_cost *c, pps_error *err)
{
    /* A bound on the step's length: while a step runs, some action or transfer always does
     * (else it is a deadlock), so it lasts at most the sum of all their times. Per stage M
     * forwards, M backwards (B, or I and W), at most M transfers each way. */
    named_cost lo = {0, ""}, hi = {0, ""};
    double sum = extras_time(s, c), M = (double)s->microbatches;
    see(&lo, &hi, c->t_unshard, "t_unshard", -1);
    see(&lo, &hi, c->t_reshard, "t_reshard", -1);
    see(&lo, &hi, c->t_reduce_grad, "t_reduce_grad", -1);
    for (int st = 0; st < s->stages; st++) {
        pps_stage_cost x = pps_cost_of_stage(c, st);
        sum += M * (x.tf + fmax(x.tb, x.ti + x.tw) + (isnan(x.tfb) ? 0 : x.tfb));
        const double v[5] = {x.tf, x.tb, x.ti, x.tw, x.tfb};
        static const char *const names[5] = {"tf", "tb", "ti", "tw", "tfb"};
        for (int k = 0; k < 5; k++)
            if (!isnan(v[k]))
                see(&lo, &hi, v[k], names[k], st);
        /* A transfer only joins stages on different ranks (lowering adds none within one). */
        for (int to = st - 1; to <= st + 1; to += 2) {
            if (to < 0 || to >= s->stages || s->stage_rank[to] == s->stage_rank[st])
                continue;
            double t = pps_cost_transfer(c, s->stage_rank[st], s->stage_rank[to], x.send_bytes);
            pps_status e = check_transfer(s, c, t, st, to, &sum, &hi, err);
            if (e != PPS_OK)
                return e;
        }
    }
    if (lo.v > 0 && sum / lo.v > STEP_RATIO_LIMIT) {
        char total[32];
        snprintf(total, sizeof total, "%.3g", sum);
        return pps_error_set(err, PPS_EINPUT,
                             "costs: %s is lost to rounding in a step that may last %s s "
                             "(largest cost: %s); the costs of a step may add up to at most "
                             "2^43 (8.8e12) times its smallest non-zero compute time",
                             lo.what, total, hi.what);
    }
    return PPS_OK;
}
