/* cost.c — the cost model: per-stage compute times and activation sizes, link costs, and
 * the durations the event core reads (docs/cost-model.md). */
#include "cost_fields.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

pps_stage_cost ppsc_unset(void)
{
    return (pps_stage_cost){NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN};
}

void pps_cost_init(pps_cost *c)
{
    memset(c, 0, sizeof *c);
    c->uniform = (pps_stage_cost){.tf = 1, .tb = 2, .ti = NAN, .tw = NAN, .act_bytes = 1,
                                  .act_w_bytes = 0, .send_bytes = 0, .tfb = NAN};
    c->split = c->uniform;
}

void pps_cost_clear(pps_cost *c)
{
    if (!c)
        return;
    free(c->stage);
    free(c->resolved);
    c->stage = c->resolved = NULL;
    c->nstages = c->nresolved = 0;
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
    for (int i = 0; i < PPS_STAGE_COST_FIELDS; i++)
        if (!isnan(o[i]))
            b[i] = o[i];
    fill_times(&base);
    return base;
}

const char *const ppsc_field_names[PPS_STAGE_COST_FIELDS + 1] = {
    "tf", "tb", "ti", "tw", "act_bytes", "act_w_bytes", "send_bytes", "tfb", NULL};

/* 1 for the fields the rank-share rule splits: times and activation sizes, not send_bytes (a
 * transfer between two stages carries the same tensor however the layers are split). */
static const int split_field[PPS_STAGE_COST_FIELDS] = {1, 1, 1, 1, 1, 1, 0, 1};

pps_stage_cost ppsc_share(pps_stage_cost x, int k)
{
    double *v = &x.tf;
    for (int i = 0; i < PPS_STAGE_COST_FIELDS && k > 1; i++)
        if (split_field[i])
            v[i] /= k;
    return x;
}

static pps_status check_stage(const pps_stage_cost *x, const char *where, pps_error *err)
{
    const double *v = &x->tf;
    /* Values in their shortest exact form: %g would show 1.0000000000000002 as 1, and then
     * "act_w_bytes = 1 exceeds act_bytes = 1". */
    char a[32], b[32];
    for (int i = 0; i < PPS_STAGE_COST_FIELDS; i++) {
        if (isnan(v[i]) && i >= 1 && i <= 3)
            return pps_error_set(err, PPS_EINPUT, "%s: %s is not set (give tb, or ti and tw)",
                                 where, ppsc_field_names[i]);
        if (isnan(v[i]) && i == 7) /* tfb unset: the sum of the halves */
            continue;
        if (!isfinite(v[i]) || v[i] < 0 || v[i] > PPSC_MAX) {
            pps_format_exact(v[i], a, sizeof a);
            return pps_error_set(err, PPS_EINPUT,
                                 "%s: %s = %s must be finite, non-negative and at most %g", where,
                                 ppsc_field_names[i], a, PPSC_MAX);
        }
    }
    if (fabs(x->ti + x->tw - x->tb) > 1e-9 * (x->tb > 1 ? x->tb : 1)) {
        pps_format_exact(x->ti + x->tw, a, sizeof a);
        pps_format_exact(x->tb, b, sizeof b);
        return pps_error_set(err, PPS_EINPUT, "%s: ti + tw = %s differs from tb = %s", where, a,
                             b);
    }
    if (x->act_w_bytes > x->act_bytes) {
        pps_format_exact(x->act_w_bytes, a, sizeof a);
        pps_format_exact(x->act_bytes, b, sizeof b);
        return pps_error_set(err, PPS_EINPUT, "%s: act_w_bytes = %s exceeds act_bytes = %s",
                             where, a, b);
    }
    return PPS_OK;
}

static pps_status check_links(const pps_cost *c, pps_error *err)
{
    const pps_link *links[2] = {&c->intra, &c->inter};
    for (int i = 0; i < 2; i++)
        if (!isfinite(links[i]->latency) || links[i]->latency < 0 ||
            links[i]->latency > PPSC_MAX || !isfinite(links[i]->bandwidth) ||
            links[i]->bandwidth < 0)
            return pps_error_set(err, PPS_EINPUT,
                                 "costs: %s link: latency and bandwidth must be finite and "
                                 "non-negative", i ? "inter-node" : "intra-node");
    if (c->ranks_per_node < 0)
        return pps_error_set(err, PPS_EINPUT, "costs: ranks_per_node must be non-negative");
    double extra[3] = {c->t_unshard, c->t_reshard, c->t_reduce_grad};
    for (int i = 0; i < 3; i++)
        if (!isfinite(extra[i]) || extra[i] < 0 || extra[i] > PPSC_MAX)
            return pps_error_set(err, PPS_EINPUT,
                                 "costs: unshard/reshard/reduce_grad times must be finite and "
                                 "non-negative");
    return PPS_OK;
}

/* The common part of both resolvers. k is the number of stages every rank holds, or 0 when
 * ranks hold different numbers; then stage_rank and ranks give each stage's divisor. */
static pps_status resolve(pps_cost *c, int stages, int k, const int32_t *stage_rank, int ranks,
                          pps_error *err)
{
    if (c->nstages && c->nstages != stages)
        return pps_error_set(err, PPS_EINPUT,
                             "costs: %d per-stage entries given, the schedule has %d stages",
                             c->nstages, stages);
    fill_times(&c->uniform);
    pps_status st = check_stage(&c->uniform, "costs", err);
    if (st == PPS_OK)
        st = check_links(c, err);
    if (st != PPS_OK)
        return st;
    c->split = ppsc_share(c->uniform, k > 0 ? k : 1);
    free(c->resolved);
    c->resolved = NULL;
    c->nresolved = 0;
    if (c->nstages == 0 && k > 0)
        return PPS_OK; /* every stage costs c->split */

    int *held = NULL;
    pps_stage_cost *res = malloc((size_t)stages * sizeof *res);
    if (res && k == 0)
        held = calloc((size_t)ranks, sizeof *held);
    if (!res || (k == 0 && !held)) {
        free(res);
        return pps_error_set(err, PPS_ENOMEM, "costs: out of memory for %d stages", stages);
    }
    for (int s = 0; k == 0 && s < stages; s++)
        held[stage_rank[s]]++;
    for (int s = 0; s < stages && st == PPS_OK; s++) {
        pps_stage_cost base = held ? ppsc_share(c->uniform, held[stage_rank[s]]) : c->split;
        res[s] = s < c->nstages ? ppsc_merge(base, &c->stage[s]) : base;
        char where[48];
        snprintf(where, sizeof where, "costs: stage %d", s);
        st = check_stage(&res[s], where, err);
    }
    free(held);
    if (st != PPS_OK) {
        free(res);
        return st;
    }
    c->resolved = res;
    c->nresolved = stages;
    return PPS_OK;
}

pps_status ppsc_fault(pps_status st, pps_error *err)
{
    if (st == PPS_EINPUT && err)
        err->topic = PPS_TOPIC_COSTS;
    return st;
}

pps_status pps_cost_resolve(pps_cost *c, int stages, pps_error *err)
{
    return ppsc_fault(resolve(c, stages, 1, NULL, 0, err), err);
}

pps_status pps_cost_resolve_for(pps_cost *c, const pps_schedule *s, pps_error *err)
{
    /* A loop or V placement gives every rank S/R stages; an explicit list may not. */
    int k = s->stages % s->ranks == 0 ? s->stages / s->ranks : 0;
    if (k > 0 && s->placement == PPS_PLACE_EXPLICIT) {
        int *held = calloc((size_t)s->ranks, sizeof *held);
        if (!held)
            return pps_error_set(err, PPS_ENOMEM, "costs: out of memory for %d ranks", s->ranks);
        for (int i = 0; i < s->stages; i++)
            held[s->stage_rank[i]]++;
        for (int r = 0; r < s->ranks; r++)
            if (held[r] != k)
                k = 0;
        free(held);
    }
    return ppsc_fault(resolve(c, s->stages, k, s->stage_rank, s->ranks, err), err);
}

pps_stage_cost pps_cost_of_stage(const pps_cost *c, int stage)
{
    return stage >= 0 && stage < c->nresolved ? c->resolved[stage] : c->split;
}

static const pps_stage_cost *stage_costs(const pps_cost *c, int stage)
{
    return stage >= 0 && stage < c->nresolved ? &c->resolved[stage] : &c->split;
}

static double compute_time(const pps_cost *c, pps_kind k, int stage)
{
    const pps_stage_cost *x = stage_costs(c, stage);
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

/* An overlapped forward and backward share the device. Without a measured value the model
 * charges both halves in full (a conservative bound). With the forward stage's tfb set, an
 * (F;B) takes tfb; an (F;I) runs no weight gradient, so it takes tfb − t_W of the backward
 * stage, but never less than its longer half (overlap cannot beat the longer of two kernels). */
double pps_cost_overlap(double tf, double tfb, pps_kind kind2, double back, double tw)
{
    if (isnan(tfb))
        return tf + back;
    if (kind2 != PPS_I)
        return tfb;
    double t = tfb - tw, longer = tf > back ? tf : back;
    return t > longer ? t : longer;
}

static double overlap_time(const pps_cost *c, const pps_action *a)
{
    const pps_stage_cost *f = stage_costs(c, a->stage), *b = stage_costs(c, a->stage2);
    return pps_cost_overlap(f->tf, f->tfb, (pps_kind)a->kind2,
                            a->kind2 == PPS_I ? b->ti : b->tb, b->tw);
}

double pps_cost_duration(const pps_cost *c, const pps_action *a)
{
    if (a->kind == PPS_OVERLAP_F_B)
        return overlap_time(c, a);
    return compute_time(c, (pps_kind)a->kind, a->stage);
}

double pps_cost_transfer(const pps_cost *c, int src, int dst, double bytes)
{
    int same_node = c->ranks_per_node <= 0 || src / c->ranks_per_node == dst / c->ranks_per_node;
    const pps_link *l = same_node ? &c->intra : &c->inter;
    return l->latency + (l->bandwidth > 0 ? bytes / l->bandwidth : 0);
}
