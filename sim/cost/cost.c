/* cost.c — the cost model: per-stage compute times and activation sizes, link costs, and
 * the durations the event core reads (docs/cost-model.md). */
#include "cost_fields.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

pps_stage_cost ppsc_unset(void)
{
    return (pps_stage_cost){NAN, NAN, NAN, NAN, NAN, NAN, NAN};
}

void pps_cost_init(pps_cost *c)
{
    memset(c, 0, sizeof *c);
    c->uniform = (pps_stage_cost){.tf = 1, .tb = NAN, .ti = NAN, .tw = NAN, .act_bytes = 1,
                                  .act_w_bytes = 0, .send_bytes = 0};
    c->uniform.tb = 2;
}

void pps_cost_clear(pps_cost *c)
{
    free(c->stage);
    c->stage = NULL;
    c->nstages = 0;
}

/* Fills t_B from I + W, or I and W from B / 2. */
static void fill_times(pps_stage_cost *x)
{
    if (isnan(x->tb) && !isnan(x->ti) && !isnan(x->tw))
        x->tb = x->ti + x->tw;
    if (!isnan(x->tb) && isnan(x->ti) && isnan(x->tw))
        x->ti = x->tw = x->tb / 2;
    if (!isnan(x->tb) && isnan(x->ti) && !isnan(x->tw))
        x->ti = x->tb - x->tw;
    if (!isnan(x->tb) && !isnan(x->ti) && isnan(x->tw))
        x->tw = x->tb - x->ti;
}

pps_stage_cost ppsc_merge(pps_stage_cost base, const pps_stage_cost *over)
{
    if (!isnan(over->tb) && isnan(over->ti) && isnan(over->tw))
        base.ti = base.tw = NAN;
    if (isnan(over->tb) && (!isnan(over->ti) || !isnan(over->tw)))
        base.tb = NAN;
    double *b = &base.tf;
    const double *o = &over->tf;
    for (int i = 0; i < 7; i++)
        if (!isnan(o[i]))
            b[i] = o[i];
    fill_times(&base);
    return base;
}

const char *const ppsc_field_names[8] = {"tf", "tb", "ti", "tw", "act_bytes", "act_w_bytes",
                                           "send_bytes", NULL};

static pps_status check_stage(const pps_stage_cost *x, const char *where, pps_error *err)
{
    const double *v = &x->tf;
    for (int i = 0; i < 7; i++) {
        if (isnan(v[i]) && i >= 1 && i <= 3)
            return pps_error_set(err, PPS_EINPUT, "%s: %s is not set (give tb, or ti and tw)",
                                 where, ppsc_field_names[i]);
        if (!isfinite(v[i]) || v[i] < 0 || v[i] > PPSC_MAX)
            return pps_error_set(err, PPS_EINPUT,
                                 "%s: %s = %g must be finite, non-negative and at most %g", where,
                                 ppsc_field_names[i], v[i], PPSC_MAX);
    }
    if (fabs(x->ti + x->tw - x->tb) > 1e-9 * (x->tb > 1 ? x->tb : 1))
        return pps_error_set(err, PPS_EINPUT, "%s: ti + tw = %g differs from tb = %g", where,
                             x->ti + x->tw, x->tb);
    if (x->act_w_bytes > x->act_bytes)
        return pps_error_set(err, PPS_EINPUT, "%s: act_w_bytes = %g exceeds act_bytes = %g",
                             where, x->act_w_bytes, x->act_bytes);
    return PPS_OK;
}

pps_status pps_cost_resolve(pps_cost *c, int stages, pps_error *err)
{
    if (c->nstages && c->nstages != stages)
        return pps_error_set(err, PPS_EINPUT,
                             "costs: %d per-stage entries given, the schedule has %d stages",
                             c->nstages, stages);
    fill_times(&c->uniform);
    pps_status st = check_stage(&c->uniform, "costs", err);
    for (int s = 0; s < c->nstages && st == PPS_OK; s++) {
        c->stage[s] = ppsc_merge(c->uniform, &c->stage[s]);
        char where[48];
        snprintf(where, sizeof where, "costs: stage %d", s);
        st = check_stage(&c->stage[s], where, err);
    }
    const pps_link *links[2] = {&c->intra, &c->inter};
    for (int i = 0; i < 2 && st == PPS_OK; i++)
        if (!isfinite(links[i]->latency) || links[i]->latency < 0 ||
            links[i]->latency > PPSC_MAX || !isfinite(links[i]->bandwidth) ||
            links[i]->bandwidth < 0)
            st = pps_error_set(err, PPS_EINPUT,
                               "costs: %s link: latency and bandwidth must be finite and "
                               "non-negative", i ? "inter-node" : "intra-node");
    if (st == PPS_OK && c->ranks_per_node < 0)
        st = pps_error_set(err, PPS_EINPUT, "costs: ranks_per_node must be non-negative");
    double extra[3] = {c->t_unshard, c->t_reshard, c->t_reduce_grad};
    for (int i = 0; i < 3 && st == PPS_OK; i++)
        if (!isfinite(extra[i]) || extra[i] < 0 || extra[i] > PPSC_MAX)
            st = pps_error_set(err, PPS_EINPUT,
                               "costs: unshard/reshard/reduce_grad times must be finite and "
                               "non-negative");
    return st;
}

pps_stage_cost pps_cost_of_stage(const pps_cost *c, int stage)
{
    return stage >= 0 && stage < c->nstages ? c->stage[stage] : c->uniform;
}

static double compute_time(const pps_cost *c, pps_kind k, int stage)
{
    const pps_stage_cost *x = stage >= 0 && stage < c->nstages ? &c->stage[stage] : &c->uniform;
    switch (k) {
    case PPS_F: return x->tf;
    case PPS_B: return x->tb;
    case PPS_I: return x->ti;
    case PPS_W: return x->tw;
    case PPS_UNSHARD: return c->t_unshard;
    case PPS_RESHARD: return c->t_reshard;
    case PPS_REDUCE_GRAD: return c->t_reduce_grad;
    default: return 0;
    }
}

double pps_cost_duration(const pps_cost *c, const pps_action *a)
{
    /* An overlapped F and B share the device: without a measured overlap gain the model charges
     * both in full (a conservative bound; DualPipe's gain is a calibration matter). */
    if (a->kind == PPS_OVERLAP_F_B)
        return compute_time(c, PPS_F, a->stage) + compute_time(c, (pps_kind)a->kind2, a->stage2);
    return compute_time(c, (pps_kind)a->kind, a->stage);
}

double pps_cost_transfer(const pps_cost *c, int src, int dst, double bytes)
{
    int same_node = c->ranks_per_node <= 0 || src / c->ranks_per_node == dst / c->ranks_per_node;
    const pps_link *l = same_node ? &c->intra : &c->inter;
    return l->latency + (l->bandwidth > 0 ? bytes / l->bandwidth : 0);
}
