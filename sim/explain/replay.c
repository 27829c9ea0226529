/* replay.c — trace-driven replay: the schedule a timeline names, re-simulated with the
 * timeline's own durations, and the replay's error against it (docs/explain.md). */
#include "ppsim.h"

#include <stdlib.h>
#include <string.h>

void pps_replay_clear(pps_replay *r)
{
    if (!r)
        return;
    pps_diff_clear(&r->diff);
    pps_bounds_clear(&r->bounds);
    pps_timeline_destroy(r->timeline);
    pps_prices_clear(&r->prices);
    pps_schedule_destroy(r->sched);
    memset(r, 0, sizeof *r);
}

pps_status pps_replay_schedule(const pps_timeline *t, pps_cost *c, pps_schedule **out,
                               pps_error *err)
{
    *out = NULL;
    const pps_generator *g = pps_generator_find(t->schedule);
    if (!g)
        return pps_error_set(err, PPS_EINPUT, "$.schedule: '%s' is not a schedule ppsim "
                             "generates, so the run cannot be rebuilt", t->schedule);
    pps_gen_params gp = {.ranks = t->ranks, .microbatches = t->microbatches,
                         .chunks = t->chunks, .cost = NULL};
    pps_status st = pps_generate(g, &gp, out, err);
    if (st == PPS_OK && (*out)->stages != t->stages)
        st = pps_error_set(err, PPS_EINPUT, "$.stages: %d, but %s with %d ranks and %d chunks "
                           "has %d stages", t->stages, g->name, t->ranks, t->chunks,
                           (*out)->stages);
    if (st == PPS_OK)
        st = pps_cost_resolve_for(c, *out, err);
    if (st != PPS_OK) {
        pps_schedule_destroy(*out);
        *out = NULL;
    }
    return st;
}

pps_status pps_replay_timeline(const pps_timeline *t, pps_cost *c, pps_replay *out,
                               pps_error *err)
{
    memset(out, 0, sizeof *out);
    pps_status st = pps_replay_schedule(t, c, &out->sched, err);
    if (st == PPS_OK)
        st = pps_price(out->sched, c, &out->prices, err);
    if (st == PPS_OK)
        st = pps_prices_from_timeline(&out->prices, t, err);
    if (st == PPS_OK)
        st = pps_simulate_prices(out->sched, &out->prices, &out->timeline, NULL, &out->bounds,
                                 err);
    if (st == PPS_OK)
        st = pps_timeline_diff(out->timeline, t, &out->diff, err);
    return st;
}

/* Kinds whose prices count as compute; SEND_F and SEND_B are the transfers. */
static int in_group(int k, int compute)
{
    int is_compute = k == PPS_F || k == PPS_B || k == PPS_I || k == PPS_W;
    int is_transfer = k == PPS_SEND_F || k == PPS_SEND_B;
    return compute ? is_compute : is_transfer;
}

/* The makespan of r's schedule under r's measured prices with the kinds of one group (compute
 * or transfers) priced by `model` instead; r's prices are restored. */
static pps_status mixed_makespan(pps_batch *b, pps_replay *r, const pps_prices *model,
                                 int compute, double *out, pps_error *err)
{
    pps_prices *p = &r->prices;
    size_t cells = (size_t)p->stages * (size_t)p->microbatches;
    double *save[PPS_KIND_COUNT] = {0};
    pps_status st = PPS_OK;
    for (int k = 0; k < PPS_KIND_COUNT && st == PPS_OK; k++) {
        if (!in_group(k, compute) || !p->by_cell[k])
            continue;
        save[k] = malloc(cells * sizeof *save[k]);
        if (!save[k]) {
            st = pps_error_set(err, PPS_ENOMEM, "replay: out of memory");
            break;
        }
        memcpy(save[k], p->by_cell[k], cells * sizeof *save[k]);
        for (int s = 0; s < p->stages; s++)
            for (int m = 0; m < p->microbatches; m++)
                p->by_cell[k][(size_t)s * (size_t)p->microbatches + (size_t)m] =
                    pps_price_of(model, (pps_kind)k, s, m);
    }
    const pps_analysis *a = NULL;
    if (st == PPS_OK)
        st = pps_batch_simulate(b, r->sched, p, &a, err);
    if (st == PPS_OK)
        *out = a->makespan;
    for (int k = 0; k < PPS_KIND_COUNT; k++) {
        if (save[k])
            memcpy(p->by_cell[k], save[k], cells * sizeof *save[k]);
        free(save[k]);
    }
    return st;
}

pps_status pps_replay_split_error(pps_replay *r, const pps_prices *model, pps_replay_split *out,
                                  pps_error *err)
{
    memset(out, 0, sizeof *out);
    if (model->stages != r->prices.stages || model->microbatches != r->prices.microbatches)
        return pps_error_set(err, PPS_EINPUT, "replay: the model's prices are for %d stages and "
                             "%d micro-batches, the replay's for %d and %d", model->stages,
                             model->microbatches, r->prices.stages, r->prices.microbatches);
    pps_batch *b = NULL;
    const pps_analysis *a = NULL;
    pps_status st = pps_batch_create(&b, err);
    if (st == PPS_OK)
        st = pps_batch_simulate(b, r->sched, model, &a, err);
    if (st == PPS_OK) {
        out->model = a->makespan;
        st = pps_batch_simulate(b, r->sched, &r->prices, &a, err);
    }
    if (st == PPS_OK) {
        out->replay = a->makespan;
        st = mixed_makespan(b, r, model, 0, &out->compute_meas, err);
    }
    if (st == PPS_OK)
        st = mixed_makespan(b, r, model, 1, &out->transfer_meas, err);
    pps_batch_destroy(b);
    return st;
}
