/* engine.c — the event core's entry points (pps_simulate, pps_simulate_summary,
 * pps_simulate_prices): price, then run the stream core or the graph core (engine.h). */
#include "core/engine.h"
#include "io/timeline_json.h"

#include <stdlib.h>
#include <string.h>

pps_status ppse_timeline_new(const pps_schedule *s, const pps_prices *p, size_t n,
                             pps_timeline **out, pps_error *err)
{
    pps_timeline *t;
    pps_status st = pps_timeline_create(s->ranks, s->stages, s->microbatches, &t, err);
    if (st != PPS_OK)
        return st;
    snprintf(t->schedule, sizeof t->schedule, "%s", s->name);
    t->chunks = s->chunks;
    size_t S = (size_t)s->stages;
    t->act_bytes = malloc(S * sizeof *t->act_bytes);
    t->act_w_bytes = malloc(S * sizeof *t->act_w_bytes);
    t->events = malloc((n ? n : 1) * sizeof *t->events);
    if (!t->act_bytes || !t->act_w_bytes || !t->events) {
        pps_timeline_destroy(t);
        return pps_error_set(err, PPS_ENOMEM, "out of memory for a timeline of %zu events", n);
    }
    memcpy(t->act_bytes, p->act_bytes, S * sizeof *t->act_bytes);
    memcpy(t->act_w_bytes, p->act_w_bytes, S * sizeof *t->act_w_bytes);
    t->cap = n ? n : 1;
    *out = t;
    return PPS_OK;
}

pps_status ppse_bounds_alloc(pps_bounds *b, size_t n, pps_error *err)
{
    size_t m = n ? n : 1;
    b->pred = malloc(m * sizeof *b->pred);
    b->partner = malloc(m * sizeof *b->partner);
    b->bound = calloc(m, sizeof *b->bound);
    if (!b->pred || !b->partner || !b->bound) {
        pps_bounds_clear(b);
        return pps_error_set(err, PPS_ENOMEM, "out of memory recording %zu events", n);
    }
    memset(b->pred, 0xff, m * sizeof *b->pred);
    memset(b->partner, 0xff, m * sizeof *b->partner);
    b->n = n;
    return PPS_OK;
}

void pps_bounds_clear(pps_bounds *b)
{
    if (!b)
        return;
    free(b->pred);
    free(b->partner);
    free(b->bound);
    memset(b, 0, sizeof *b);
}

/* What a simulation is asked for; every member optional (NULL: not wanted). */
typedef struct outputs {
    pps_timeline **timeline;
    pps_analysis *summary;
    pps_bounds *bounds;
    pps_memory_point **points; /* with first: every rank's memory series */
    size_t **first;
    FILE *json; /* the timeline written here as pps_timeline_write_json writes it */
} outputs;

/* ppse_sink onto a timeline file being written. */
static pps_status write_events(void *ctx, const pps_event *ev, size_t n, size_t first,
                               pps_error *err)
{
    pps_status st = ppsj_timeline_check(ev, n, first, err);
    return st ? st : ppsj_timeline_events(ctx, ev, n, first, err);
}

/* The timeline file of the stream core's run, written a rank's events at a time: the file's
 * bytes are those of pps_timeline_write_json on ppse_stream_timeline's timeline, while memory
 * holds one rank's events instead of all of them (hundreds of MB on a long run). */
static pps_status stream_json(ppse_work *w, const pps_schedule *s, const pps_prices *p,
                              FILE *fp, pps_error *err)
{
    pps_timeline *header = NULL;
    ppsj_writer wr;
    pps_status st = ppse_timeline_new(s, p, 0, &header, err);
    if (st == PPS_OK)
        st = ppsj_timeline_begin(&wr, fp, header, err);
    if (st == PPS_OK)
        st = ppse_stream_events(w, s, p, write_events, &wr, err);
    if (st == PPS_OK)
        st = ppsj_timeline_end(&wr, err);
    pps_timeline_destroy(header);
    return st;
}

/* The graph core on s's lowering (or on s when lowered), then the summary and the memory
 * series from its timeline. */
static pps_status via_graph(const pps_schedule *s, const pps_prices *p, const outputs *o,
                            pps_error *err)
{
    pps_schedule *low = NULL;
    pps_timeline *t = NULL;
    pps_status st = s->lowered ? PPS_OK : pps_schedule_lower(s, &low, err);
    if (st == PPS_OK)
        st = ppse_graph_run(low ? low : s, p, &t, o->bounds, err);
    if (st == PPS_OK && o->summary)
        st = pps_analyze(t, o->summary, err);
    if (st == PPS_OK && o->points)
        st = pps_memory_series_all(t, o->points, o->first, err);
    if (st == PPS_OK && o->json)
        st = pps_timeline_write_json(t, o->json, err);
    if (st == PPS_OK && o->timeline) {
        *o->timeline = t;
        t = NULL;
    }
    pps_timeline_destroy(t);
    pps_schedule_destroy(low);
    return st;
}

/* Every output asked for in o, from the stream core when it can run s, else the graph core;
 * on failure every output is cleared. */
static pps_status simulate(const pps_schedule *s, const pps_prices *p, const outputs *o,
                           pps_error *err)
{
    if (o->timeline)
        *o->timeline = NULL;
    if (o->summary)
        memset(o->summary, 0, sizeof *o->summary);
    if (o->bounds)
        memset(o->bounds, 0, sizeof *o->bounds);
    if (o->points) {
        *o->points = NULL;
        *o->first = NULL;
    }
    if (o->bounds && !o->timeline)
        return pps_error_set(err, PPS_EINPUT, "simulate: bounds index the timeline's events: "
                             "ask for the timeline too");
    if (p->stages != s->stages || p->microbatches != s->microbatches || !p->by_stage)
        return pps_error_set(err, PPS_EINPUT, "simulate: the prices are for %d stages and %d "
                             "micro-batches, the schedule has %d and %d", p->stages,
                             p->microbatches, s->stages, s->microbatches);
    pps_status st = PPS_EDEADLOCK;
    if (!s->lowered && !p->comm_sync) {
        ppse_work w = {0};
        st = ppse_stream_run(&w, s, p, o->points != NULL, err);
        if (st == PPS_OK && o->summary) {
            o->summary->per_rank = calloc((size_t)s->ranks, sizeof *o->summary->per_rank);
            if (o->summary->per_rank)
                ppse_stream_summary(&w, s, o->summary);
            else
                st = pps_error_set(err, PPS_ENOMEM, "out of memory");
        }
        if (st == PPS_OK && o->points)
            st = ppse_stream_series(&w, s, o->points, o->first, err);
        if (st == PPS_OK && o->timeline)
            st = ppse_stream_timeline(&w, s, p, o->timeline, o->bounds, err);
        if (st == PPS_OK && o->json)
            st = o->timeline ? pps_timeline_write_json(*o->timeline, o->json, err)
                             : stream_json(&w, s, p, o->json, err);
        ppse_work_free(&w);
    }
    /* The graph core runs what the stream core cannot, and says why the stream core was stuck. */
    if (st == PPS_EDEADLOCK)
        st = via_graph(s, p, o, err);
    if (st != PPS_OK) {
        if (o->timeline) {
            pps_timeline_destroy(*o->timeline);
            *o->timeline = NULL;
        }
        pps_analysis_clear(o->summary);
        pps_bounds_clear(o->bounds);
        if (o->points) {
            free(*o->points);
            free(*o->first);
            *o->points = NULL;
            *o->first = NULL;
        }
    }
    return st;
}

pps_status pps_simulate_prices(const pps_schedule *s, const pps_prices *p,
                               pps_timeline **timeline, pps_analysis *summary,
                               pps_bounds *bounds, pps_error *err)
{
    outputs o = {.timeline = timeline, .summary = summary, .bounds = bounds};
    return simulate(s, p, &o, err);
}

pps_status pps_simulate_memory(const pps_schedule *s, const pps_prices *p,
                               pps_analysis *summary, pps_memory_point **points, size_t **first,
                               pps_error *err)
{
    outputs o = {.summary = summary, .points = points, .first = first};
    return simulate(s, p, &o, err);
}

pps_status pps_simulate_write_json(const pps_schedule *s, const pps_prices *p,
                                   pps_analysis *summary, FILE *fp, pps_error *err)
{
    outputs o = {.summary = summary, .json = fp};
    return simulate(s, p, &o, err);
}

/* Prices s under c, then runs pps_simulate_prices; the outputs are cleared on failure, a
 * failed pricing included. */
static pps_status priced(const pps_schedule *s, const pps_cost *c, pps_timeline **timeline,
                         pps_analysis *summary, pps_error *err)
{
    pps_prices p = {0};
    if (timeline)
        *timeline = NULL;
    if (summary)
        memset(summary, 0, sizeof *summary);
    pps_status st = pps_price(s, c, &p, err);
    if (st == PPS_OK)
        st = pps_simulate_prices(s, &p, timeline, summary, NULL, err);
    pps_prices_clear(&p);
    return st;
}

pps_status pps_simulate(const pps_schedule *s, const pps_cost *c, pps_timeline **out,
                        pps_error *err)
{
    return priced(s, c, out, NULL, err);
}

pps_status pps_simulate_summary(const pps_schedule *s, const pps_cost *c, pps_analysis *out,
                                pps_error *err)
{
    return priced(s, c, NULL, out, err);
}
