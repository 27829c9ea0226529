/* batch.c — pps_batch: simulate many configurations with buffers reused from one to the next
 * (a schedule, its prices, the stream core's work space, a summary, validation scratch), so that
 * a sweep or a planner allocates nothing per configuration once the buffers have grown. */
#include "core/engine.h"
#include "ir/validate.h"

#include <stdlib.h>
#include <string.h>

struct pps_batch {
    pps_schedule *sched; /* the last generated schedule; NULL before the first */
    pps_cost cost;       /* the caller's costs resolved for sched; stage[] is borrowed */
    pps_prices prices;
    ppse_work work;
    pps_analysis summary;
    size_t cap_rank;     /* room in summary.per_rank */
    uint8_t *cells;      /* validation scratch */
    size_t cap_cells;
    int generated;       /* sched holds a generated schedule */
};

pps_status pps_batch_create(pps_batch **out, pps_error *err)
{
    *out = calloc(1, sizeof **out);
    return *out ? PPS_OK : pps_error_set(err, PPS_ENOMEM, "out of memory");
}

void pps_batch_destroy(pps_batch *b)
{
    if (!b)
        return;
    pps_schedule_destroy(b->sched);
    free(b->cost.resolved); /* its stage[] belongs to the caller */
    pps_prices_clear(&b->prices);
    ppse_work_free(&b->work);
    pps_analysis_clear(&b->summary);
    free(b->cells);
    free(b);
}

const pps_schedule *pps_batch_schedule(const pps_batch *b)
{
    return b->generated ? b->sched : NULL;
}

pps_status pps_batch_simulate(pps_batch *b, const pps_schedule *s, const pps_prices *p,
                              const pps_analysis **out, pps_error *err)
{
    *out = NULL;
    if (p->stages != s->stages || p->microbatches != s->microbatches || !p->by_stage)
        return pps_error_set(err, PPS_EINPUT, "simulate: the prices are for %d stages and %d "
                             "micro-batches, the schedule has %d and %d", p->stages,
                             p->microbatches, s->stages, s->microbatches);
    if ((size_t)s->ranks > b->cap_rank) {
        pps_rank_stats *pr = malloc((size_t)s->ranks * sizeof *pr);
        if (!pr)
            return pps_error_set(err, PPS_ENOMEM, "out of memory for %d ranks", s->ranks);
        free(b->summary.per_rank);
        b->summary.per_rank = pr;
        b->cap_rank = (size_t)s->ranks;
    }
    /* The stream core runs compute-only schedules; the graph core the others, and names what
     * each stream waits for when the stream core finds itself stuck. */
    int graph = s->lowered || p->comm_sync;
    pps_status st = PPS_OK;
    if (!graph) {
        st = ppse_stream_run(&b->work, s, p, 0, err);
        if (st == PPS_OK)
            ppse_stream_summary(&b->work, s, &b->summary);
        graph = st == PPS_EDEADLOCK;
    }
    if (graph) { /* the graph core allocates anyway: its summary is copied in */
        pps_analysis a;
        st = pps_simulate_prices(s, p, NULL, &a, NULL, err);
        if (st == PPS_OK) {
            pps_rank_stats *keep = b->summary.per_rank;
            memcpy(keep, a.per_rank, (size_t)s->ranks * sizeof *keep);
            b->summary = a;
            b->summary.per_rank = keep; /* a's own per_rank is freed below */
        }
        pps_analysis_clear(&a);
    }
    if (st == PPS_OK)
        *out = &b->summary;
    return st;
}

pps_status pps_batch_run(pps_batch *b, const pps_generator *g, const pps_gen_params *p,
                         const pps_cost *c, const pps_analysis **out, pps_error *err)
{
    *out = NULL;
    b->generated = 0;
    pps_status st = PPS_OK;
    if (!b->sched)
        st = pps_schedule_create(1, 1, 1, PPS_PLACE_LOOP, NULL, &b->sched, err);
    if (st == PPS_OK)
        st = pps_generate_into(g, p, b->sched, err);
    if (st != PPS_OK)
        return st;
    b->generated = 1;
    size_t cells = (size_t)b->sched->stages * (size_t)b->sched->microbatches;
    if (cells > b->cap_cells) {
        uint8_t *sc = malloc(cells);
        if (!sc)
            return pps_error_set(err, PPS_ENOMEM, "out of memory validating %zu cells", cells);
        free(b->cells);
        b->cells = sc;
        b->cap_cells = cells;
    }
    /* The rank-share rule depends on the schedule's shape: resolve a copy of the caller's costs
     * for it (the copy owns its resolved table; uniform costs on a regular placement need none,
     * so a sweep of them allocates nothing here). */
    pps_stage_cost *resolved = b->cost.resolved;
    b->cost = *c;
    b->cost.resolved = resolved;
    b->cost.nresolved = 0;
    if ((st = ppsv_validate(b->sched, b->cells, err)) != PPS_OK ||
        (st = pps_cost_resolve_for(&b->cost, b->sched, err)) != PPS_OK ||
        (st = pps_price(b->sched, &b->cost, &b->prices, err)) != PPS_OK)
        return st;
    return pps_batch_simulate(b, b->sched, &b->prices, out, err);
}
