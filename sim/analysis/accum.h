/* accum.h — internal: the per-rank running sums of docs/analysis.md (busy time, compute span,
 * activation memory), fed in time order one event at a time. pps_analyze feeds them from a
 * timeline and the event core feeds them as it runs, so both give the same numbers bit for bit:
 * every sum is taken in the same order (a rank's events in program order). */
#ifndef PPS_ACCUM_H
#define PPS_ACCUM_H

#include "ppsim.h"

#include <math.h>
#include <stdlib.h>

/* The activation memory of one rank, one change at a time. Changes must come in time order
 * (non-decreasing t); at one instant the releases of actions that ran up to it come first, then
 * the changes of zero-length actions in arrival (program) order, then the allocations of actions
 * that start running, as docs/analysis.md sorts them. Allocations of the open instant wait in
 * `pend` until the instant closes. */
typedef struct ppsa_mem {
    double t;        /* the open instant, s (-INFINITY before the first change) */
    double bytes;    /* held after every change applied so far */
    double peak;     /* max(0, every value bytes took) */
    size_t npend;    /* allocations of the open instant not applied yet */
    size_t cap;      /* room in pend */
    double *pend;    /* owned; NULL until a second allocation waits at one instant */
    double pend0;    /* the first waiting allocation */
    int disordered;  /* a change came before the open instant: the caller must sort instead */
    int failed;      /* out of memory for pend or for points */
    /* Optional step function: one point per closed instant (t, bytes from t on). */
    pps_memory_point *pts;
    size_t npts, cappts;
    int want_points;
} ppsa_mem;

static inline void ppsa_mem_init(ppsa_mem *m, int want_points)
{
    *m = (ppsa_mem){.t = -INFINITY, .want_points = want_points};
}

/* Frees what m owns except its points (the caller takes those). */
static inline void ppsa_mem_release(ppsa_mem *m)
{
    free(m->pend);
    m->pend = NULL;
    m->cap = m->npend = 0;
}

/* Makes room for element n of *buf (cap allocated, `size` bytes each), doubling; returns 0 and
 * sets m->failed when out of memory (*buf unchanged). */
static inline int ppsa_room(ppsa_mem *m, void **buf, size_t n, size_t *cap, size_t size)
{
    if (n < *cap)
        return 1;
    size_t c = *cap ? 2 * *cap : 16;
    void *p = realloc(*buf, c * size);
    if (!p) {
        m->failed = 1;
        return 0;
    }
    *buf = p;
    *cap = c;
    return 1;
}

static inline void ppsa_mem_apply(ppsa_mem *m, double delta)
{
    m->bytes += delta;
    if (m->bytes > m->peak)
        m->peak = m->bytes;
}

/* Applies the waiting allocations of the open instant and records its point. */
static inline void ppsa_mem_close(ppsa_mem *m)
{
    if (m->npend) {
        ppsa_mem_apply(m, m->pend0);
        for (size_t i = 1; i < m->npend; i++)
            ppsa_mem_apply(m, m->pend[i - 1]);
        m->npend = 0;
    }
    if (!m->want_points || m->t == -INFINITY)
        return;
    if (ppsa_room(m, (void **)&m->pts, m->npts, &m->cappts, sizeof *m->pts))
        m->pts[m->npts++] = (pps_memory_point){m->t, m->bytes};
}

/* Moves to instant t, closing the open one when t is later. */
static inline int ppsa_mem_at(ppsa_mem *m, double t)
{
    if (t == m->t)
        return 1;
    if (t < m->t) {
        m->disordered = 1;
        return 0;
    }
    ppsa_mem_close(m);
    m->t = t;
    return 1;
}

static inline void ppsa_mem_release_at(ppsa_mem *m, double t, double bytes)
{
    if (ppsa_mem_at(m, t))
        ppsa_mem_apply(m, -bytes);
}

static inline void ppsa_mem_alloc_at(ppsa_mem *m, double t, double bytes)
{
    if (!ppsa_mem_at(m, t))
        return;
    if (m->npend == 0)
        m->pend0 = bytes;
    else if (ppsa_room(m, (void **)&m->pend, m->npend - 1, &m->cap, sizeof *m->pend))
        m->pend[m->npend - 1] = bytes;
    else
        return;
    m->npend++;
}

/* Closes the last instant. */
static inline void ppsa_mem_finish(ppsa_mem *m)
{
    ppsa_mem_close(m);
}

/* The memory rules of one action: an allocation at its start (F, the F half of OVERLAP_F_B)
 * and a release at its end (B, I, W, the backward half of OVERLAP_F_B). act and act_w are per
 * stage; stages out of [0, stages) change nothing (a measured timeline may name any). */
typedef struct ppsa_act_sizes {
    const double *act, *act_w; /* [stages], or NULL: 1 and 0 bytes */
    int stages;
} ppsa_act_sizes;

static inline double ppsa_act(const ppsa_act_sizes *z, int stage)
{
    return z->act ? z->act[stage] : 1.0;
}

static inline double ppsa_act_w(const ppsa_act_sizes *z, int stage)
{
    return z->act_w ? z->act_w[stage] : 0.0;
}

/* Bytes the backward kind k of `stage` releases at its end; 0 when it releases nothing. */
static inline double ppsa_released(const ppsa_act_sizes *z, pps_kind k, int stage)
{
    switch (k) {
    case PPS_B: return ppsa_act(z, stage);
    case PPS_I: return ppsa_act(z, stage) - ppsa_act_w(z, stage);
    case PPS_W: return ppsa_act_w(z, stage);
    default: return 0;
    }
}

static inline int ppsa_stage_ok(const ppsa_act_sizes *z, int stage)
{
    return stage >= 0 && stage < z->stages;
}

/* Feeds action a, run from start to end, into m. Returns 0 when a releases or allocates
 * nothing. */
static inline void ppsa_mem_action(ppsa_mem *m, const ppsa_act_sizes *z, const pps_action *a,
                                   double start, double end)
{
    pps_kind k = (pps_kind)a->kind, back = k;
    int bstage = a->stage;
    if (k == PPS_F || k == PPS_OVERLAP_F_B) {
        /* A zero-length action's changes come in program order: nothing else of this stream
         * runs at its instant, so it cannot wait for the releases there (all times 0 would
         * otherwise release everything before anything is held, and give a peak of 0). */
        if (ppsa_stage_ok(z, a->stage) && end > start)
            ppsa_mem_alloc_at(m, start, ppsa_act(z, a->stage));
        else if (ppsa_stage_ok(z, a->stage) && ppsa_mem_at(m, start))
            ppsa_mem_apply(m, ppsa_act(z, a->stage));
        if (k == PPS_F)
            return;
        back = (pps_kind)a->kind2;
        bstage = a->stage2;
    }
    if ((back == PPS_B || back == PPS_I || back == PPS_W) && ppsa_stage_ok(z, bstage))
        ppsa_mem_release_at(m, end, ppsa_released(z, back, bstage));
}

/* ppsa_mem_action for an action of a compute stream run in program order, where every later
 * change comes at or after `end` (the next action starts no earlier). Then an allocation with
 * end > start can be applied at once (no release can still come at its instant), which is the
 * common case; the rest takes the general path. Same results as ppsa_mem_action. */
static inline void ppsa_mem_stream_action(ppsa_mem *m, const ppsa_act_sizes *z,
                                          const pps_action *a, double start, double end)
{
    pps_kind k = (pps_kind)a->kind;
    if (m->npend == 0 && !m->want_points && start >= m->t && end > start) {
        if (k == PPS_F) {
            if (ppsa_stage_ok(z, a->stage)) {
                m->t = start;
                ppsa_mem_apply(m, ppsa_act(z, a->stage));
            }
            return;
        }
        if ((k == PPS_B || k == PPS_I || k == PPS_W) && ppsa_stage_ok(z, a->stage)) {
            m->t = end;
            ppsa_mem_apply(m, -ppsa_released(z, k, a->stage));
            return;
        }
    }
    ppsa_mem_action(m, z, a, start, end);
}

/* Busy time and compute span of one rank. */
typedef struct ppsa_busy {
    double busy;        /* s, summed in arrival order */
    double first_start; /* INFINITY before the first busy event */
    double last_end;    /* -INFINITY before the first busy event */
    size_t compute_actions;
} ppsa_busy;

static inline void ppsa_busy_init(ppsa_busy *b)
{
    *b = (ppsa_busy){0, INFINITY, -INFINITY, 0};
}

/* One event of a rank's compute stream, in arrival order (docs/analysis.md, "Busy and idle
 * time"): a compute action (F, B, I, W, OVERLAP_F_B) is busy and sets the span's ends, even
 * with zero length (it still marks where the schedule's data flow stands); anything else (IDLE,
 * SEND/RECV under --comm sync, UNSHARD, RESHARD, REDUCE_GRAD, whatever their cost) changes
 * nothing, so that bookkeeping never moves the bubble. */
static inline void ppsa_busy_add(ppsa_busy *b, pps_kind k, double start, double end)
{
    if (!pps_kind_is_compute(k))
        return;
    b->busy += end - start;
    b->compute_actions++;
    if (start < b->first_start)
        b->first_start = start;
    if (end > b->last_end)
        b->last_end = end;
}

/* Completes out from its per_rank entries, whose busy, first_start, last_end,
 * peak_activation and compute_actions the caller has set (first_start > last_end: no busy
 * event), and the run's earliest start t0 and latest end t1. */
void ppsa_finish(pps_analysis *out, int ranks, int microbatches, double t0, double t1);

/* One rank's entry from its accumulators. */
static inline pps_rank_stats ppsa_rank_stats(const ppsa_busy *b, double peak)
{
    return (pps_rank_stats){.busy = b->busy, .first_start = b->first_start,
                            .last_end = b->last_end, .peak_activation = peak,
                            .compute_actions = b->compute_actions};
}

#endif /* PPS_ACCUM_H */
