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
