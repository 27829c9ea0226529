/* graph_core.c — the graph core (engine.h): runs a lowered schedule (or any schedule under
 * --comm sync) on its dependency graph with the execution semantics of docs/semantics.md, from
 * the prices alone, and returns the predicted timeline. Knows no file formats.
 *
 * Every resource serves its work in a fixed order (a stream runs its actions in program order; a
 * directed link carries only the transfers of one send queue, in that queue's order), so no
 * event ever has to choose between competitors. An action's start is therefore the maximum of
 * the times it waits for, and the core evaluates the dependency graph in O(actions): a stream
 * advances until its head waits for a time not yet known, parks on that action, and is woken
 * when the time becomes known. This gives exactly the times of a time-ordered event loop. */
#include "core/engine.h"
#include "core/graph.h"

#include <stdlib.h>
#include <string.h>

#define UNKNOWN (-1.0) /* times are >= 0 */

typedef struct run_stream {
    size_t head;      /* next position in the stream */
    double prev_end;  /* end of the previous action in the stream (0 before the first) */
    int32_t next_waiter; /* intrusive list of streams parked on one action */
    int32_t waits_on;    /* the action it is parked on, -1 when runnable */
} run_stream;

typedef struct engine {
    const ppsg_graph *g;
    const pps_prices *p;
    double *start, *end;   /* [n] */
    int32_t *pred;         /* [n] with bounds: the action whose end bound each start, or -1 */
    uint8_t *bound;        /* [n] with bounds: pps_bound */
    int32_t *waiters;      /* [n] head of the list of streams parked on each action */
    run_stream *rs;        /* [nstreams] */
    int32_t *ready;        /* stack of runnable streams */
    size_t nready;
} engine;

static void park(engine *e, int32_t stream, int32_t on)
{
    e->rs[stream].waits_on = on;
    e->rs[stream].next_waiter = e->waiters[on];
    e->waiters[on] = stream;
}

/* A time of action id became known: every stream parked on it may go on. */
static void wake(engine *e, int32_t id)
{
    for (int32_t k = e->waiters[id]; k >= 0;) {
        int32_t next = e->rs[k].next_waiter;
        e->rs[k].waits_on = -1;
        e->ready[e->nready++] = k;
        k = next;
    }
    e->waiters[id] = -1;
}

/* Advances stream k as far as known times allow. */
static void advance(engine *e, int32_t k)
{
    const ppsg_graph *g = e->g;
    const ppsg_stream *st = &g->streams[k];
    run_stream *r = &e->rs[k];
    while (r->head < st->count) {
        int32_t a = g->order[st->first + r->head];
        if (e->start[a] == UNKNOWN) {
            double t = r->prev_end;
            int32_t pred = r->head > 0 ? g->order[st->first + r->head - 1] : -1;
            uint8_t why = pred >= 0 ? PPS_BOUND_STREAM : PPS_BOUND_NONE;
            for (int j = 0; j < 2; j++) {
                int32_t d = g->dep[2 * (size_t)a + j];
                if (d < 0)
                    continue;
                if (e->end[d] == UNKNOWN) {
                    park(e, k, d);
                    return;
                }
                if (e->end[d] > t) { /* strictly: the stream wins ties */
                    t = e->end[d];
                    pred = d;
                    why = PPS_BOUND_INPUT;
                }
            }
            e->start[a] = t;
            if (e->pred) {
                e->pred[a] = why == PPS_BOUND_NONE ? -1 : pred;
                e->bound[a] = why;
            }
            wake(e, a); /* a partner may be waiting for this post */
        }
        if (e->end[a] == UNKNOWN) {
            int32_t p = g->partner[a];
            const pps_action *act = ppsg_action_on(g, st->rank, a);
            if (p < 0) {
                e->end[a] = e->start[a] + pps_price_action(e->p, act);
            } else {
                /* A transfer moves once both sides have started; its link is free then, since
                 * only this send queue uses it and the previous send has finished. */
                if (e->start[p] == UNKNOWN) {
                    park(e, k, p);
                    return;
                }
                int is_send = act->kind == PPS_SEND_F || act->kind == PPS_SEND_B;
                const pps_action *snd = is_send ? act : ppsg_action_on(g, ppsg_peer(g->s, act), p);
                double t0 = e->start[a] > e->start[p] ? e->start[a] : e->start[p];
                double done = t0 + pps_price_of(e->p, (pps_kind)snd->kind, snd->stage, snd->mb);
                e->end[a] = e->end[p] = done;
                wake(e, p);
            }
            wake(e, a);
        }
        r->prev_end = e->end[a];
        r->head++;
    }
}

static const char *stream_label(const ppsg_stream *st, char *buf, size_t size)
{
    if (st->kind == PPS_STREAM_COMPUTE)
        snprintf(buf, size, "rank %d compute", st->rank);
    else
        snprintf(buf, size, "rank %d %s %d", st->rank,
                 st->kind == PPS_STREAM_SEND ? "send to" : "recv from", st->peer);
    return buf;
}

/* One line naming each blocked stream's head action and what it waits for. */
static pps_status deadlock(const engine *e, pps_error *err)
{
    const ppsg_graph *g = e->g;
    char msg[PPS_ERRMSG_MAX] = "deadlock: no action can start";
    size_t len = strlen(msg);
    for (size_t k = 0; k < g->nstreams && len < sizeof msg - 1; k++) {
        const run_stream *r = &e->rs[k];
        if (r->head >= g->streams[k].count)
            continue;
        int32_t a = g->order[g->streams[k].first + r->head], w = r->waits_on;
        char label[64], head[PPS_ACTION_TEXT_MAX], other[PPS_ACTION_TEXT_MAX];
        pps_action_format(ppsg_action(g, a), head, sizeof head);
        int wr = -1;
        size_t wpos = 0;
        if (w >= 0) {
            pps_action_format(ppsg_action(g, w), other, sizeof other);
            ppsg_locate(g, w, &wr, &wpos);
        }
        const char *what = w < 0                  ? "nothing known"
                           : g->partner[a] == w   ? "the matching %s on rank %d to be posted"
                                                  : "%s on rank %d to end";
        char because[160];
        snprintf(because, sizeof because, what, other, wr);
        len += (size_t)snprintf(msg + len, sizeof msg - len, "; %s: %s waits for %s",
                                stream_label(&g->streams[k], label, sizeof label), head, because);
    }
    return pps_error_set(err, PPS_EDEADLOCK, "%s", msg);
}

/* The events (every action but idle slots, in id order) and, with bounds, the record mapped
 * from action ids to event indices. */
static pps_status build_timeline(const engine *e, pps_timeline **out, pps_bounds *bounds,
                                 pps_error *err)
{
    const ppsg_graph *g = e->g;
    const pps_schedule *s = g->s;
    size_t n = 0;
    for (size_t id = 0; id < g->n; id++)
        n += g->stream_of[id] >= 0;
    pps_timeline *t;
    int32_t *ev_of = NULL;
    pps_status st = ppse_timeline_new(s, e->p, n, &t, err);
    if (st != PPS_OK)
        return st;
    if (bounds) {
        ev_of = malloc((g->n ? g->n : 1) * sizeof *ev_of);
        if (!ev_of) {
            st = pps_error_set(err, PPS_ENOMEM, "out of memory for %zu events", n);
            goto fail;
        }
        if ((st = ppse_bounds_alloc(bounds, n, err)) != PPS_OK)
            goto fail;
    }
    pps_event *ev = t->events;
    for (int r = 0; r < s->ranks; r++) {
        for (size_t id = g->rank_base[r]; id < g->rank_base[r + 1]; id++) {
            if (ev_of)
                ev_of[id] = (int32_t)t->n;
            if (g->stream_of[id] < 0)
                continue;
            const pps_action *a = ppsg_action_on(g, r, (int32_t)id);
            int comm = g->partner[id] >= 0;
            int is_send = a->kind == PPS_SEND_F || a->kind == PPS_SEND_B;
            ev[t->n++] = (pps_event){
                .start = e->start[id],
                .end = e->end[id],
                .action = *a,
                .rank = r,
                .peer = comm ? ppsg_peer(s, a) : -1,
                .stream = !comm ? PPS_STREAM_COMPUTE : is_send ? PPS_STREAM_SEND
                                                               : PPS_STREAM_RECV,
            };
        }
    }
    for (size_t id = 0; bounds && id < g->n; id++) {
        if (g->stream_of[id] < 0)
            continue;
        int32_t i = ev_of[id];
        bounds->pred[i] = e->pred[id] >= 0 ? ev_of[e->pred[id]] : -1;
        bounds->bound[i] = e->bound[id];
        bounds->partner[i] = g->partner[id] >= 0 ? ev_of[g->partner[id]] : -1;
    }
    free(ev_of);
    *out = t;
    return PPS_OK;
fail:
    free(ev_of);
    pps_timeline_destroy(t);
    return st;
}

pps_status ppse_graph_run(const pps_schedule *s, const pps_prices *p, pps_timeline **out,
                          pps_bounds *bounds, pps_error *err)
{
    *out = NULL;
    ppsg_graph *g = NULL;
    pps_status st = ppsg_build(s, p->comm_sync, &g, err);
    if (st != PPS_OK)
        return st;
    engine e = {.g = g, .p = p};
    size_t n = g->n ? g->n : 1;
    e.start = malloc(n * sizeof *e.start);
    e.end = malloc(n * sizeof *e.end);
    e.waiters = malloc(n * sizeof *e.waiters);
    e.rs = calloc(g->nstreams, sizeof *e.rs);
    e.ready = malloc((g->nstreams ? g->nstreams : 1) * sizeof *e.ready);
    if (bounds) {
        e.pred = malloc(n * sizeof *e.pred);
        e.bound = calloc(n, sizeof *e.bound);
    }
    if (!e.start || !e.end || !e.waiters || !e.rs || !e.ready ||
        (bounds && (!e.pred || !e.bound))) {
        st = pps_error_set(err, PPS_ENOMEM, "out of memory simulating %zu actions", g->n);
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        e.start[i] = e.end[i] = UNKNOWN;
        e.waiters[i] = -1;
    }
    /* Every stream starts runnable; each is on the stack at most once, as a stream parks on
     * one action at a time and is pushed only when that action wakes it. */
    for (size_t k = 0; k < g->nstreams; k++) {
        e.rs[k].waits_on = -1;
        e.rs[k].next_waiter = -1;
        e.ready[e.nready++] = (int32_t)(g->nstreams - 1 - k);
    }
    while (e.nready > 0)
        advance(&e, e.ready[--e.nready]);
    for (size_t k = 0; k < g->nstreams; k++)
        if (e.rs[k].head < g->streams[k].count) {
            st = deadlock(&e, err);
            goto done;
        }
    st = build_timeline(&e, out, bounds, err);
done:
    free(e.start);
    free(e.end);
    free(e.waiters);
    free(e.rs);
    free(e.ready);
    free(e.pred);
    free(e.bound);
    ppsg_destroy(g);
    return st;
}
