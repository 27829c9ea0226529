/* analysis.c — makespan, the three bubble conventions and activation memory (docs/analysis.md),
 * in one pass over the events: a rank's events are in time order (as the event core writes
 * them), so its memory is a running sum; a rank whose events are not (a measured timeline may
 * interleave clocks) is sorted instead. */
#include "analysis/accum.h"

#include <stdlib.h>
#include <string.h>

/* Busy time and the span's ends come from the compute stream, where ppsa_busy_add keeps what
 * counts (compute actions with a length); a transfer on a communication stream is never busy. */
static int on_compute_stream(const pps_event *e)
{
    return e->stream == PPS_STREAM_COMPUTE;
}

/* x / y, or NaN when y is 0 (the ratio is undefined). */
static double ratio(double x, double y)
{
    return y > 0 ? x / y : NAN;
}

static ppsa_act_sizes sizes_of(const pps_timeline *t)
{
    return (ppsa_act_sizes){t->act_bytes, t->act_w_bytes, t->stages};
}

/* ------------------------------------------------------------------ memory, sorted */

/* One change of a rank's activation memory, for ranks whose events are not in time order. */
typedef struct mem_change {
    double t;     /* seconds */
    double delta; /* bytes, + allocation, - release */
    int cls;      /* at equal times: CH_RELEASE, then CH_ZERO in order, then CH_ALLOC */
    size_t seq;   /* creation order (program order for zero-length actions) */
} mem_change;

/* The order of changes at one instant (docs/analysis.md): releases of actions that ran up to
 * it, the changes of zero-length actions as they come, allocations of actions that start. */
enum { CH_RELEASE = 0, CH_ZERO = 1, CH_ALLOC = 2 };

static int cmp_change(const void *a, const void *b)
{
    const mem_change *x = a, *y = b;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    if (x->cls != y->cls)
        return x->cls - y->cls;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Appends the memory changes of event e to ch (room for two per event). */
static size_t event_changes(const ppsa_act_sizes *z, const pps_event *e, mem_change *ch,
                            size_t n)
{
    const pps_action *a = &e->action;
    pps_kind k = (pps_kind)a->kind, back = k;
    int bstage = a->stage, zero = e->end == e->start;
    if (k == PPS_F || k == PPS_OVERLAP_F_B) {
        if (ppsa_stage_ok(z, a->stage)) {
            ch[n] = (mem_change){e->start, ppsa_act(z, a->stage), zero ? CH_ZERO : CH_ALLOC, n};
            n++;
        }
        if (k == PPS_F)
            return n;
        back = (pps_kind)a->kind2;
        bstage = a->stage2;
    }
    if ((back == PPS_B || back == PPS_I || back == PPS_W) && ppsa_stage_ok(z, bstage)) {
        ch[n] = (mem_change){e->end, -ppsa_released(z, back, bstage), zero ? CH_ZERO : CH_RELEASE,
                             n};
        n++;
    }
    return n;
}

/* Rank's memory from its changes sorted by (time, class, order): the same sums as the
 * running accumulator, in the order the sort gives. Fills m (points when m->want_points). */
static pps_status sorted_series(const pps_timeline *t, int rank, ppsa_mem *m, pps_error *err)
{
    ppsa_act_sizes z = sizes_of(t);
    size_t cnt = 0;
    for (size_t i = 0; i < t->n; i++)
        cnt += t->events[i].rank == rank;
    mem_change *ch = malloc((cnt ? 2 * cnt : 1) * sizeof *ch);
    if (!ch)
        return pps_error_set(err, PPS_ENOMEM, "analysis: out of memory");
    size_t n = 0;
    for (size_t i = 0; i < t->n; i++)
        if (t->events[i].rank == rank)
            n = event_changes(&z, &t->events[i], ch, n);
    qsort(ch, n, sizeof *ch, cmp_change);
    int want = m->want_points;
    free(m->pts);
    ppsa_mem_release(m);
    ppsa_mem_init(m, want);
    for (size_t i = 0; i < n; i++) {
        ppsa_mem_at(m, ch[i].t);
        ppsa_mem_apply(m, ch[i].delta);
    }
    ppsa_mem_finish(m);
    free(ch);
    return m->failed ? pps_error_set(err, PPS_ENOMEM, "analysis: out of memory") : PPS_OK;
}

/* One pass over the events: every rank's memory into mem (t->ranks entries) and, when busy is
 * not NULL, every rank's busy time and the run's earliest start and latest end. Ranks whose
 * events are out of time order are then redone sorted (O(n log n) for those only). */
static pps_status scan(const pps_timeline *t, ppsa_mem *mem, int want_points, ppsa_busy *busy,
                       double *t0, double *t1, pps_error *err)
{
    ppsa_act_sizes z = sizes_of(t);
    for (int r = 0; r < t->ranks; r++)
        ppsa_mem_init(&mem[r], want_points);
    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < t->n; i++) {
        const pps_event *e = &t->events[i];
        ppsa_mem_action(&mem[e->rank], &z, &e->action, e->start, e->end);
        if (!busy)
            continue;
        if (e->start < lo)
            lo = e->start;
        if (e->end > hi)
            hi = e->end;
        if (on_compute_stream(e))
            ppsa_busy_add(&busy[e->rank], (pps_kind)e->action.kind, e->start, e->end);
    }
    if (t0)
        *t0 = lo;
    if (t1)
        *t1 = hi;
    for (int r = 0; r < t->ranks; r++) {
        ppsa_mem_finish(&mem[r]);
        pps_status st = PPS_OK;
        if (mem[r].disordered)
            st = sorted_series(t, r, &mem[r], err);
        else if (mem[r].failed)
            st = pps_error_set(err, PPS_ENOMEM, "analysis: out of memory");
        if (st != PPS_OK)
            return st;
    }
    return PPS_OK;
}

static void free_series(ppsa_mem *mem, int ranks)
{
    for (int r = 0; mem && r < ranks; r++) {
        ppsa_mem_release(&mem[r]);
        free(mem[r].pts);
    }
    free(mem);
}

static pps_status check_ranks(const pps_timeline *t, pps_error *err)
{
    for (size_t i = 0; i < t->n; i++)
        if (t->events[i].rank < 0 || t->events[i].rank >= t->ranks)
            return pps_error_set(err, PPS_EINPUT, "analysis: event %zu: rank %d is out of "
                                 "range [0, %d)", i, (int)t->events[i].rank, t->ranks);
    return PPS_OK;
}

pps_status pps_memory_series_all(const pps_timeline *t, pps_memory_point **points,
                                 size_t **first, pps_error *err)
{
    *points = NULL;
    *first = NULL;
    pps_status st = check_ranks(t, err);
    if (st != PPS_OK)
        return st;
    ppsa_mem *mem = calloc((size_t)t->ranks, sizeof *mem);
    size_t *off = malloc(((size_t)t->ranks + 1) * sizeof *off);
    if (!mem || !off) {
        st = pps_error_set(err, PPS_ENOMEM, "memory series: out of memory");
        goto done;
    }
    if ((st = scan(t, mem, 1, NULL, NULL, NULL, err)) != PPS_OK)
        goto done;
    off[0] = 0;
    for (int r = 0; r < t->ranks; r++)
        off[r + 1] = off[r] + mem[r].npts;
    pps_memory_point *pts = malloc((off[t->ranks] ? off[t->ranks] : 1) * sizeof *pts);
    if (!pts) {
        st = pps_error_set(err, PPS_ENOMEM, "memory series: out of memory");
        goto done;
    }
    for (int r = 0; r < t->ranks; r++)
        if (mem[r].npts)
            memcpy(pts + off[r], mem[r].pts, mem[r].npts * sizeof *pts);
    *points = pts;
    *first = off;
    off = NULL;
done:
    free_series(mem, t->ranks);
    free(off);
    return st;
}

pps_status pps_memory_series(const pps_timeline *t, int rank, pps_memory_point **points,
                             size_t *n, pps_error *err)
{
    *points = NULL;
    *n = 0;
    if (rank < 0 || rank >= t->ranks)
        return pps_error_set(err, PPS_EINPUT, "memory series: rank %d is out of range [0, %d)",
                             rank, t->ranks);
    ppsa_act_sizes z = sizes_of(t);
    ppsa_mem m;
    ppsa_mem_init(&m, 1);
    for (size_t i = 0; i < t->n; i++)
        if (t->events[i].rank == rank)
            ppsa_mem_action(&m, &z, &t->events[i].action, t->events[i].start, t->events[i].end);
    ppsa_mem_finish(&m);
    pps_status st = PPS_OK;
    if (m.disordered)
        st = sorted_series(t, rank, &m, err);
    else if (m.failed)
        st = pps_error_set(err, PPS_ENOMEM, "memory series: out of memory");
    ppsa_mem_release(&m);
    if (st != PPS_OK || m.npts == 0) {
        free(m.pts);
        return st;
    }
    *points = m.pts;
    *n = m.npts;
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

void ppsa_finish(pps_analysis *out, int ranks, int microbatches, double t0, double t1)
{
    out->ranks = ranks;
    out->makespan = t1 - t0;
    out->busy = out->idle = 0;
    out->compute_actions = 0;
    /* The stage-span rate is taken on the rank with the longest compute span (lowest on ties). */
    int widest = -1;
    double widest_span = -1;
    for (int r = 0; r < ranks; r++) {
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
    out->idle_over_total = ratio(out->idle, (double)ranks * out->makespan);
    out->idle_over_compute = ratio(out->idle, out->busy);
    out->stage_span_idle = widest < 0 ? NAN : widest_span - out->per_rank[widest].busy;
    out->stage_span_rate = widest < 0 ? NAN : ratio(out->stage_span_idle, widest_span);
    out->throughput = ratio(microbatches, out->makespan);
}

pps_status pps_analyze(const pps_timeline *t, pps_analysis *out, pps_error *err)
{
    pps_status st;
    memset(out, 0, sizeof *out);
    if (t->n == 0)
        return pps_error_set(err, PPS_EINPUT, "analysis: the timeline has no events");
    if ((st = check_ranks(t, err)))
        return st;
    size_t R = (size_t)t->ranks;
    ppsa_busy *busy = calloc(R, sizeof *busy);
    ppsa_mem *mem = calloc(R, sizeof *mem);
    out->per_rank = calloc(R, sizeof *out->per_rank);
    if (!busy || !mem || !out->per_rank) {
        st = pps_error_set(err, PPS_ENOMEM, "analysis: out of memory");
        goto done;
    }
    for (size_t r = 0; r < R; r++)
        ppsa_busy_init(&busy[r]);
    double t0, t1;
    if ((st = scan(t, mem, 0, busy, &t0, &t1, err)) != PPS_OK)
        goto done;
    for (size_t r = 0; r < R; r++)
        out->per_rank[r] = ppsa_rank_stats(&busy[r], mem[r].peak);
    ppsa_finish(out, t->ranks, t->microbatches, t0, t1);
done:
    free(busy);
    free_series(mem, t->ranks);
    if (st != PPS_OK)
        pps_analysis_clear(out);
    return st;
}
