/* evaluate.c — one configuration of the planner simulated: a schedule generated once, priced by
 * a partition's derived costs, run by the event core's batch API, then its step time (the
 * data-parallel all-reduce added per rank) and per-rank memory (static plus peak activation). */
#include "plan/plan.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

pps_status pps_partition_create(int layers, int stages, int ranks, pps_placement placement,
                                pps_partition **out, pps_error *err)
{
    *out = NULL;
    if (stages < 1 || ranks < 1 || stages % ranks != 0 || layers < 1)
        return pps_error_set(err, PPS_EINPUT, "partition: %d stages on %d ranks", stages, ranks);
    if (stages > layers)
        return pps_error_set(err, PPS_EUNSUPPORTED, "%d stages for %d layers", stages, layers);
    if (placement == PPS_PLACE_V && stages != 2 * ranks)
        return pps_error_set(err, PPS_EINPUT, "partition: the V placement needs 2 stages per rank");
    pps_partition *p = calloc(1, sizeof *p);
    if (p) {
        p->layers = malloc((size_t)stages * sizeof *p->layers);
        p->stage_rank = malloc((size_t)stages * sizeof *p->stage_rank);
    }
    if (!p || !p->layers || !p->stage_rank) {
        pps_partition_destroy(p);
        return pps_error_set(err, PPS_ENOMEM, "partition: out of memory");
    }
    p->stages = stages;
    p->ranks = ranks;
    /* The extra layers of an uneven split go to the middle stages, away from the embedding and
     * the LM head at the ends. */
    int base = layers / stages, extra = layers % stages, first = (stages - extra) / 2;
    for (int s = 0; s < stages; s++) {
        p->layers[s] = base + (s >= first && s < first + extra);
        p->stage_rank[s] = placement == PPS_PLACE_V && s >= ranks ? 2 * ranks - 1 - s
                                                                  : s % ranks;
    }
    *out = p;
    return PPS_OK;
}

void pps_partition_destroy(pps_partition *p)
{
    if (!p)
        return;
    free(p->layers);
    free(p->stage_rank);
    free(p);
}

void pps_plan_eval_clear(pps_plan_eval *e)
{
    if (!e)
        return;
    free(e->rank_act);
    free(e->rank_static);
    memset(e, 0, sizeof *e);
}

int ppsp_reads_cost(const pps_generator *g)
{
    /* The automatic schedulers are the rows that take a memory limit; they schedule for the
     * costs they are given. */
    return pps_generator_option(g, "memory-limit") != NULL;
}

/* 1 when some action of s runs an input-gradient pass apart from its weight gradient. */
static int has_split_backward(const pps_schedule *s)
{
    for (int r = 0; r < s->ranks; r++)
        for (size_t i = 0; i < s->programs[r].n; i++) {
            const pps_action *a = &s->programs[r].actions[i];
            if (a->kind == PPS_I || a->kind == PPS_W ||
                (a->kind == PPS_OVERLAP_F_B && a->kind2 == PPS_I))
                return 1;
        }
    return 0;
}

/* Generates (with costs c, which may be NULL) the schedule into ev->sched. A row
 * that reads costs gets ev's memory limit and, when screening, no local search. */
static pps_status build(ppsp_eval *ev, const pps_cost *c, pps_error *err)
{
    pps_gen_params p = ev->params;
    char limit[40];
    p.cost = c;
    if (ev->act_budget > 0 && pps_generator_option(ev->g, "memory-limit")) {
        snprintf(limit, sizeof limit, "%.17g", ev->act_budget);
        p.settings[p.nsettings++] = (pps_gen_setting){"memory-limit", limit};
    }
    if (ev->screening && pps_generator_option(ev->g, "search-budget"))
        p.settings[p.nsettings++] = (pps_gen_setting){"search-budget", "0"};
    pps_schedule *s = NULL;
    pps_status st = pps_generate(ev->g, &p, &s, err);
    if (st == PPS_EINPUT)
        st = PPS_EUNSUPPORTED; /* a configuration the row refuses, not bad input */
    if (st == PPS_OK) {
        ev->split_backward = has_split_backward(s);
        pps_schedule_destroy(ev->sched);
        ev->sched = s;
    }
    return st;
}

/* For a row that reads costs: (re)builds the schedule for partition p's costs c unless it was
 * built for them already or ev is frozen. */
static pps_status build_for(ppsp_eval *ev, const pps_partition *p, const pps_cost *c,
                            pps_error *err)
{
    if (!ppsp_reads_cost(ev->g) || (ev->frozen && ev->sched))
        return PPS_OK;
    size_t bytes = (size_t)p->stages * sizeof *p->layers;
    if (ev->sched && ev->built_for && ev->built_budget == ev->act_budget &&
        ev->built_screening == ev->screening && memcmp(ev->built_for, p->layers, bytes) == 0)
        return PPS_OK;
    free(ev->built_for);
    ev->built_for = NULL;
    pps_status st = build(ev, c, err);
    if (st == PPS_OK) {
        ev->built_for = malloc(bytes);
        if (!ev->built_for)
            return pps_error_set(err, PPS_ENOMEM, "plan: out of memory");
        memcpy(ev->built_for, p->layers, bytes);
        ev->built_budget = ev->act_budget;
        ev->built_screening = ev->screening;
    }
    return st;
}

pps_status ppsp_eval_init(ppsp_eval *ev, const pps_model *m, const pps_layout *l,
                          const pps_generator *g, pps_error *err)
{
    memset(ev, 0, sizeof *ev);
    ev->m = m;
    ev->l = *l;
    ev->g = g;
    pps_status st = pps_model_derive(m, l, &ev->mc, err);
    if (st != PPS_OK)
        return st;
    ev->params = (pps_gen_params){.ranks = l->pp, .chunks = l->chunks,
                                  .microbatches = ev->mc.microbatches};
    if (ppsp_reads_cost(g)) {
        /* Checked now so that a refusal is known before any partition is priced; generating
         * waits for the costs. */
        if (g->check)
            st = g->check(&ev->params, err);
        if (st == PPS_EINPUT)
            st = PPS_EUNSUPPORTED;
    } else {
        st = build(ev, NULL, err);
    }
    if (st != PPS_OK)
        ppsp_eval_clear(ev);
    return st;
}

pps_status ppsp_eval_relayout(ppsp_eval *ev, const pps_layout *l, pps_error *err)
{
    pps_model_costs mc;
    pps_status st = pps_model_derive(ev->m, l, &mc, err);
    if (st != PPS_OK)
        return st;
    if (l->pp != ev->l.pp || l->chunks != ev->l.chunks || mc.microbatches != ev->mc.microbatches)
        return pps_error_set(err, PPS_EINPUT, "plan: a new layout for the schedule of pp %d, "
                             "v %d, M %d changes them", ev->l.pp, ev->l.chunks,
                             ev->mc.microbatches);
    ev->l = *l;
    ev->mc = mc;
    return PPS_OK;
}

void ppsp_eval_clear(ppsp_eval *ev)
{
    pps_schedule_destroy(ev->sched);
    pps_batch_destroy(ev->batch);
    pps_prices_clear(&ev->prices);
    free(ev->built_for);
    memset(ev, 0, sizeof *ev);
}

pps_status ppsp_eval_peaks(ppsp_eval *ev, const pps_partition *p, double *peaks,
                           pps_error *err)
{
    pps_cost c;
    pps_status st = pps_model_stage_costs(ev->m, &ev->l, &ev->mc, p, &c, err);
    if (st == PPS_OK)
        st = build_for(ev, p, &c, err);
    if (st != PPS_OK) {
        pps_cost_clear(&c);
        return st;
    }
    const pps_schedule *s = ev->sched;
    for (int r = 0; r < s->ranks; r++) {
        double held = 0, peak = 0;
        for (size_t i = 0; i < s->programs[r].n; i++) {
            const pps_action *a = &s->programs[r].actions[i];
            pps_kind k = (pps_kind)a->kind;
            int bs = a->stage;
            if (k == PPS_F || k == PPS_OVERLAP_F_B) {
                held += pps_cost_of_stage(&c, a->stage).act_bytes;
                if (held > peak)
                    peak = held;
                if (k == PPS_F)
                    continue;
                k = (pps_kind)a->kind2;
                bs = a->stage2;
            }
            pps_stage_cost x = pps_cost_of_stage(&c, bs);
            if (k == PPS_B)
                held -= x.act_bytes;
            else if (k == PPS_I)
                held -= x.act_bytes - x.act_w_bytes;
            else if (k == PPS_W)
                held -= x.act_w_bytes;
        }
        peaks[r] = peak;
    }
    pps_cost_clear(&c);
    return PPS_OK;
}

pps_status ppsp_eval_run(ppsp_eval *ev, const pps_partition *p, pps_plan_eval *out,
                         pps_error *err)
{
    memset(out, 0, sizeof *out);
    const int R = p->ranks;
    pps_cost c;
    const pps_analysis *a = NULL;
    pps_status st = pps_model_stage_costs(ev->m, &ev->l, &ev->mc, p, &c, err);
    if (st == PPS_OK)
        st = build_for(ev, p, &c, err);
    if (st == PPS_OK && (ev->sched->ranks != R || ev->sched->stages != p->stages))
        st = pps_error_set(err, PPS_EINPUT, "partition: %d stages on %d ranks for a schedule of "
                           "%d on %d", p->stages, R, ev->sched->stages, ev->sched->ranks);
    if (st == PPS_OK && !ev->batch)
        st = pps_batch_create(&ev->batch, err);
    if (st == PPS_OK)
        st = pps_price(ev->sched, &c, &ev->prices, err);
    if (st == PPS_OK)
        st = pps_batch_simulate(ev->batch, ev->sched, &ev->prices, &a, err);
    if (st == PPS_OK) {
        out->rank_act = malloc((size_t)R * sizeof *out->rank_act);
        out->rank_static = malloc((size_t)R * sizeof *out->rank_static);
        if (!out->rank_act || !out->rank_static)
            st = pps_error_set(err, PPS_ENOMEM, "plan: out of memory");
    }
    if (st == PPS_OK) {
        double *dp = malloc((size_t)R * sizeof *dp);
        if (!dp) {
            st = pps_error_set(err, PPS_ENOMEM, "plan: out of memory");
        } else {
            pps_model_rank_static(ev->m, &ev->l, &ev->mc, p, out->rank_static, dp);
            out->makespan = a->makespan;
            out->bubble = a->idle_over_total;
            out->step_time = a->makespan;
            out->peak_bytes = -1;
            for (int r = 0; r < R; r++) {
                /* The rank's gradients are ready once its last backward ends; the
                 * all-reduces of the DP groups of different ranks run side by side. */
                double end = isfinite(a->per_rank[r].last_end) ? a->per_rank[r].last_end : 0;
                if (end + dp[r] > out->step_time)
                    out->step_time = end + dp[r];
                out->rank_act[r] = a->per_rank[r].peak_activation;
                double mem = out->rank_act[r] + out->rank_static[r];
                if (mem > out->peak_bytes) {
                    out->peak_bytes = mem;
                    out->peak_rank = r;
                }
            }
            free(dp);
        }
    }
    pps_cost_clear(&c);
    if (st != PPS_OK)
        pps_plan_eval_clear(out);
    return st;
}

pps_status pps_plan_evaluate(const pps_model *m, const pps_layout *l, const pps_generator *g,
                             const pps_partition *p, pps_plan_eval *out, pps_error *err)
{
    memset(out, 0, sizeof *out);
    ppsp_eval ev;
    pps_status st = ppsp_eval_init(&ev, m, l, g, err);
    if (st == PPS_OK)
        st = ppsp_eval_run(&ev, p, out, err);
    ppsp_eval_clear(&ev);
    if (st != PPS_OK)
        pps_plan_eval_clear(out);
    return st;
}
