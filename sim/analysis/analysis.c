/* analysis.c — makespan, the three bubble conventions and activation memory (docs/analysis.md). */
#include "ppsim.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Busy time: every compute-stream event except PPS_IDLE and communication. F/B/I/W/OVERLAP_F_B
 * and UNSHARD/RESHARD/REDUCE_GRAD occupy the device; a SEND/RECV on the compute stream (--comm
 * sync) is the rank waiting on a peer, which is what a bubble measures, so it counts as idle. */
static int is_busy(const pps_event *e)
{
    pps_kind k = (pps_kind)e->action.kind;
    return e->stream == PPS_STREAM_COMPUTE && k != PPS_IDLE && !pps_kind_is_comm(k);
}

/* x / y, or NaN when y is 0 (the ratio is undefined). */
static double ratio(double x, double y)
{
    return y > 0 ? x / y : NAN;
}

/* ------------------------------------------------------------------ memory */

/* One change of a rank's activation memory. */
typedef struct mem_change {
    double t;     /* seconds */
    double delta; /* bytes, + allocation, - release */
    int alloc;    /* 0 release, 1 allocation: releases sort first at equal times */
    size_t seq;   /* creation order, to make the sort deterministic */
} mem_change;

static int cmp_change(const void *a, const void *b)
{
    const mem_change *x = a, *y = b;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    if (x->alloc != y->alloc)
        return x->alloc - y->alloc;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static double act_of(const pps_timeline *t, int stage)
{
    return t->act_bytes ? t->act_bytes[stage] : 1.0;
}

static double act_w_of(const pps_timeline *t, int stage)
{
    return t->act_w_bytes ? t->act_w_bytes[stage] : 0.0;
}

static int stage_ok(const pps_timeline *t, int stage)
{
    return stage >= 0 && stage < t->stages;
}

/* Appends the memory changes of event e to ch (room for two per event). */
static size_t event_changes(const pps_timeline *t, const pps_event *e, mem_change *ch, size_t n)
{
    const pps_action *a = &e->action;
    pps_kind k = (pps_kind)a->kind;
    pps_kind back = k;  /* the backward rule applied at the end */
    int bstage = a->stage;
    if (k == PPS_F || k == PPS_OVERLAP_F_B) {
        if (stage_ok(t, a->stage)) {
            ch[n] = (mem_change){e->start, act_of(t, a->stage), 1, n};
            n++;
        }
        if (k == PPS_F)
            return n;
        back = (pps_kind)a->kind2;
        bstage = a->stage2;
    }
    if (!stage_ok(t, bstage))
        return n;
    double rel;
    switch (back) {
    case PPS_B: rel = act_of(t, bstage); break;
    case PPS_I: rel = act_of(t, bstage) - act_w_of(t, bstage); break;
    case PPS_W: rel = act_w_of(t, bstage); break;
    default: return n;
    }
    ch[n] = (mem_change){e->end, -rel, 0, n};
    return n + 1;
}

/* Builds the step function of one rank from the events idx[0..m) of that rank: one point per
 * distinct change time, holding the bytes after every change at that time. Returns the number
 * of points, or (size_t)-1 when out of memory; *peak gets max(0, bytes). */
static size_t rank_series(const pps_timeline *t, const size_t *idx, size_t m,
                          pps_memory_point **out, double *peak)
{
    *out = NULL;
    *peak = 0;
    mem_change *ch = malloc((m ? 2 * m : 1) * sizeof *ch);
    if (!ch)
        return (size_t)-1;
    size_t n = 0;
    for (size_t i = 0; i < m; i++)
        n = event_changes(t, &t->events[idx[i]], ch, n);
    qsort(ch, n, sizeof *ch, cmp_change);
    pps_memory_point *pts = malloc((n ? n : 1) * sizeof *pts);
    if (!pts) {
        free(ch);
        return (size_t)-1;
    }
    size_t np = 0;
    double bytes = 0;
    for (size_t i = 0; i < n; i++) {
        bytes += ch[i].delta;
        if (np > 0 && pts[np - 1].t == ch[i].t)
            pts[np - 1].bytes = bytes;
        else
            pts[np++] = (pps_memory_point){ch[i].t, bytes};
        /* Within one instant releases come first, so the largest value there is the last. */
        if (bytes > *peak)
            *peak = bytes;
    }
    free(ch);
    if (np == 0) {
        free(pts);
        pts = NULL;
    }
    *out = pts;
    return np;
}

/* Groups event indices by rank (counting sort): idx holds rank r's events, in timeline order,
 * at idx[start[r] .. start[r + 1]). */
static pps_status group_by_rank(const pps_timeline *t, size_t **idx_out, size_t **start_out,
                                pps_error *err)
{
    size_t *start = calloc((size_t)t->ranks + 1, sizeof *start);
    size_t *idx = malloc((t->n ? t->n : 1) * sizeof *idx);
    if (!start || !idx) {
        free(start);
        free(idx);
        return pps_error_set(err, PPS_ENOMEM, "analysis: out of memory");
    }
    for (size_t i = 0; i < t->n; i++)
        start[t->events[i].rank + 1]++;
    for (int r = 0; r < t->ranks; r++)
        start[r + 1] += start[r];
    for (size_t i = 0; i < t->n; i++)
        idx[start[t->events[i].rank]++] = i;
    /* The fill advanced start[r] to the end of rank r's block; shift back. */
    for (int r = t->ranks; r > 0; r--)
        start[r] = start[r - 1];
    start[0] = 0;
    *idx_out = idx;
    *start_out = start;
    return PPS_OK;
}

static pps_status check_ranks(const pps_timeline *t, pps_error *err)
{
    for (size_t i = 0; i < t->n; i++)
        if (t->events[i].rank < 0 || t->events[i].rank >= t->ranks)
            return pps_error_set(err, PPS_EINPUT, "analysis: event %zu: rank %d is out of "
                                 "range [0, %d)", i, (int)t->events[i].rank, t->ranks);
    return PPS_OK;
}

pps_status pps_memory_series(const pps_timeline *t, int rank, pps_memory_point **points,
                             size_t *n, pps_error *err)
{
    *points = NULL;
    *n = 0;
    if (rank < 0 || rank >= t->ranks)
        return pps_error_set(err, PPS_EINPUT, "memory series: rank %d is out of range [0, %d)",
                             rank, t->ranks);
    size_t m = 0;
    for (size_t i = 0; i < t->n; i++)
        m += t->events[i].rank == rank;
    size_t *idx = malloc((m ? m : 1) * sizeof *idx);
    if (!idx)
        return pps_error_set(err, PPS_ENOMEM, "memory series: out of memory");
    m = 0;
    for (size_t i = 0; i < t->n; i++)
        if (t->events[i].rank == rank)
            idx[m++] = i;
    double peak;
    size_t np = rank_series(t, idx, m, points, &peak);
    free(idx);
    if (np == (size_t)-1)
        return pps_error_set(err, PPS_ENOMEM, "memory series: out of memory");
    *n = np;
    return PPS_OK;
}

/* ------------------------------------------------------------------ bubbles */

void pps_analysis_clear(pps_analysis *a)
{
    if (!a)
        return;
    free(a->per_rank);
    memset(a, 0, sizeof *a);
}

pps_status pps_analyze(const pps_timeline *t, pps_analysis *out, pps_error *err)
{
    pps_status st;
    size_t *idx = NULL, *start = NULL;
    memset(out, 0, sizeof *out);
    if (t->n == 0)
        return pps_error_set(err, PPS_EINPUT, "analysis: the timeline has no events");
    if ((st = check_ranks(t, err)))
        return st;
    out->per_rank = calloc((size_t)t->ranks, sizeof *out->per_rank);
    if (!out->per_rank) {
        st = pps_error_set(err, PPS_ENOMEM, "analysis: out of memory");
        goto fail;
    }
    out->ranks = t->ranks;

    double t0 = INFINITY, t1 = -INFINITY;
    for (int r = 0; r < t->ranks; r++) {
        out->per_rank[r].first_start = INFINITY;
        out->per_rank[r].last_end = -INFINITY;
    }
    for (size_t i = 0; i < t->n; i++) {
        const pps_event *e = &t->events[i];
        if (e->start < t0)
            t0 = e->start;
        if (e->end > t1)
            t1 = e->end;
        if (!is_busy(e))
            continue;
        pps_rank_stats *rs = &out->per_rank[e->rank];
        rs->busy += e->end - e->start;
        rs->compute_actions += pps_kind_is_compute((pps_kind)e->action.kind) != 0;
        if (e->start < rs->first_start)
            rs->first_start = e->start;
        if (e->end > rs->last_end)
            rs->last_end = e->end;
    }
    out->makespan = t1 - t0;

    /* The stage-span rate is taken on the rank with the longest compute span (lowest on ties). */
    int widest = -1;
    double widest_span = -1;
    for (int r = 0; r < t->ranks; r++) {
        pps_rank_stats *rs = &out->per_rank[r];
        rs->idle = out->makespan - rs->busy;
        out->busy += rs->busy;
        out->idle += rs->idle;
        out->compute_actions += rs->compute_actions;
        if (rs->first_start > rs->last_end) { /* no busy event: no span */
            rs->first_start = rs->last_end = NAN;
            continue;
        }
        double span = rs->last_end - rs->first_start;
        if (span > widest_span) {
            widest_span = span;
            widest = r;
        }
    }
    out->idle_over_total = ratio(out->idle, (double)t->ranks * out->makespan);
    out->idle_over_compute = ratio(out->idle, out->busy);
    out->stage_span_idle = widest < 0 ? NAN : widest_span - out->per_rank[widest].busy;
    out->stage_span_rate = widest < 0 ? NAN : ratio(out->stage_span_idle, widest_span);
    out->throughput = ratio(t->microbatches, out->makespan);

    if ((st = group_by_rank(t, &idx, &start, err)))
        goto fail;
    for (int r = 0; r < t->ranks; r++) {
        pps_memory_point *pts;
        if (rank_series(t, idx + start[r], start[r + 1] - start[r], &pts,
                        &out->per_rank[r].peak_activation) == (size_t)-1) {
            st = pps_error_set(err, PPS_ENOMEM, "analysis: out of memory");
            goto fail;
        }
        free(pts);
    }
    free(idx);
    free(start);
    return PPS_OK;
fail:
    free(idx);
    free(start);
    pps_analysis_clear(out);
    return st;
}
