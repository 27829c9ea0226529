/* stream_core.c — the stream core (engine.h): a compute-only schedule with overlapped
 * communication, run on the ranks' compute streams alone, each transfer worked out when its
 * producer ends; then, when asked, the lowered timeline written from the results.
 *
 * Why this gives the graph core's times exactly: on a directed link the k-th transfer's SEND
 * starts at max(previous transfer's end, producer's end) and its RECV was posted when the
 * previous transfer ended (the receive queue holds the same transfers in the same order), so the
 * transfer ends at max(previous end, producer end) + its time. Lowering puts each send right
 * after its producer, so a link's transfers come in its source rank's program order, which is
 * the order that rank's compute stream ends them: when a producer ends, its transfer is the next
 * one of its link. A compute action starts at max(previous end on its stream, ready time of its
 * input), the same maximum of the same numbers the graph core takes.
 *
 * Memory: two doubles per (stage, micro-batch) cell, the ready times of F's and of B/I's input,
 * and a few numbers per rank and link; W needs none (its I ended earlier on the same stream). */
#include "core/engine.h"
#include "ir/lower.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A rank parks on the ready time it waits for: cell c's F input (2c) or B/I input (2c + 1). */
#define TAG_F(c) ((int64_t)(c) * 2)
#define TAG_B(c) ((int64_t)(c) * 2 + 1)

/* A cell holds a ready time t >= 0 as -t (negation is exact; 0 becomes -0.0), so that its sign
 * bit says "known" and all-zero bytes, +0.0, say "unknown": a fresh zeroed allocation needs no
 * pass to initialise it, and its pages are first touched when the pipeline reaches them. */
static inline int known(double v)
{
    return signbit(v) != 0;
}

static inline double ready_of(double v)
{
    return -v;
}

static inline double as_ready(double t)
{
    return -t;
}

/* What the hot loop reads, gathered once per run (copies of the work space's pointers, so that
 * the loop does not chase them again after every store). */
typedef struct core {
    ppse_work *w;
    const pps_prices *p;
    const int32_t *stage_rank;
    int S;
    size_t M;
    ppsa_act_sizes sizes;
    size_t nready;
    ppse_cell *cell;
    const ppse_stage *stage;
    double *link_end;
    int64_t *parked;
    int32_t *ready;
    const double *by_stage;
} core;

void ppse_work_free(ppse_work *w)
{
    if (!w)
        return;
    for (size_t r = 0; r < w->cap_rank; r++) {
        ppsa_mem_release(&w->rank[r].mem);
        free(w->rank[r].mem.pts);
    }
    free(w->cell);
    free(w->rank);
    free(w->parked);
    free(w->ready);
    free(w->stage);
    free(w->link_end);
    free(w->hash);
    memset(w, 0, sizeof *w);
}

/* Makes *buf hold n elements of `size` bytes; its contents are kept only when it need not grow.
 * Returns 0 when out of memory (*buf unchanged). */
static int reserve(void **buf, size_t *cap, size_t n, size_t size)
{
    if (n <= *cap)
        return 1;
    void *p = malloc(n * size);
    if (!p)
        return 0;
    free(*buf);
    *buf = p;
    *cap = n;
    return 1;
}

/* reserve() for a buffer that must start all zero: a new one comes from calloc (fresh pages
 * from the system are zero already), a reused one is cleared. */
static int reserve_zeroed(void **buf, size_t *cap, size_t n, size_t size)
{
    if (n <= *cap) {
        memset(*buf, 0, n * size);
        return 1;
    }
    void *p = calloc(n, size);
    if (!p)
        return 0;
    free(*buf);
    *buf = p;
    *cap = n;
    return 1;
}

/* ------------------------------------------------------------------ links */

/* The link src -> dst, numbered on first sight (open addressing; the table is at least four
 * times the stages, so at least twice the links). */
static int32_t link_of(ppse_work *w, size_t mask, int32_t src, int32_t dst)
{
    int64_t key = (int64_t)src << 20 | dst; /* ranks <= 2^16 */
    size_t h = (size_t)(((uint64_t)key * 0x9E3779B97F4A7C15u) >> 40) & mask;
    while (w->hash[h].key >= 0 && w->hash[h].key != key)
        h = (h + 1) & mask;
    if (w->hash[h].key < 0)
        w->hash[h] = (ppse_hslot){key, (int32_t)w->nlinks++};
    return w->hash[h].link;
}

/* Numbers the directed links between ranks and fills each stage's row (engine.h). */
static pps_status build_stages(ppse_work *w, const pps_schedule *s, const pps_prices *p,
                               pps_error *err)
{
    size_t S = (size_t)s->stages, size = 16;
    while (size < 4 * S)
        size *= 2;
    if (!reserve((void **)&w->stage, &w->cap_stage, S, sizeof *w->stage) ||
        !reserve((void **)&w->link_end, &w->cap_link_end, 2 * S, sizeof *w->link_end) ||
        !reserve((void **)&w->hash, &w->cap_hash, size, sizeof *w->hash))
        return pps_error_set(err, PPS_ENOMEM, "out of memory for %zu stages", S);
    for (size_t h = 0; h < size; h++)
        w->hash[h].key = -1;
    w->nlinks = 0;
    const int32_t *rank = s->stage_rank;
    for (size_t st = 0; st < S; st++) {
        ppse_stage *x = &w->stage[st];
        x->rank_f = st + 1 < S ? rank[st + 1] : -1;
        x->rank_b = st > 0 ? rank[st - 1] : -1;
        x->link_f = x->rank_f >= 0 && x->rank_f != rank[st]
                        ? link_of(w, size - 1, rank[st], x->rank_f)
                        : -1;
        x->link_b = x->rank_b >= 0 && x->rank_b != rank[st]
                        ? link_of(w, size - 1, rank[st], x->rank_b)
                        : -1;
        const double *row = &p->by_stage[st * PPS_KIND_COUNT];
        double act = p->act_bytes[st], act_w = p->act_w_bytes[st];
        for (int k = PPS_F; k <= PPS_W; k++)
            x->dur[k] = row[k];
        x->dur[PPS_IDLE] = x->delta[PPS_IDLE] = 0;
        /* The same subtractions docs/analysis.md's rules make, once per stage: a − b is
         * a + (−b) exactly, so adding these deltas gives the running sums bit for bit. */
        x->delta[PPS_F] = act;
        x->delta[PPS_B] = -act;
        x->delta[PPS_I] = -(act - act_w);
        x->delta[PPS_W] = -act_w;
        x->send_f = row[PPS_SEND_F];
        x->send_b = row[PPS_SEND_B];
    }
    for (size_t l = 0; l < w->nlinks; l++)
        w->link_end[l] = 0;
    return PPS_OK;
}

/* ------------------------------------------------------------------ the run */

/* Where action a may start on a stream whose previous action ended at prev: the latest of prev
 * and its inputs' ready times (an input wins only when strictly later: the stream wins ties).
 * Returns 0 with *tag set when an input is not known yet. *which tells what won: 0 the stream,
 * 1 the F input, 2 the B/I input. */
static inline int start_of(const core *x, const pps_action *a, double prev, double *start,
                           int64_t *tag, int *which)
{
    const ppse_cell *cell = x->cell;
    double t = prev;
    int won = 0;
    pps_kind k = (pps_kind)a->kind;
    if ((k == PPS_F || k == PPS_OVERLAP_F_B) && a->stage > 0) {
        size_t c = (size_t)a->stage * x->M + (size_t)a->mb;
        double in = ready_of(cell[c].f);
        if (!known(cell[c].f)) {
            *tag = TAG_F(c);
            return 0;
        }
        if (in > t) {
            t = in;
            won = 1;
        }
    }
    if (k == PPS_B || k == PPS_I || k == PPS_OVERLAP_F_B) {
        size_t c = k == PPS_OVERLAP_F_B ? (size_t)a->stage2 * x->M + (size_t)a->mb2
                                        : (size_t)a->stage * x->M + (size_t)a->mb;
        double in = ready_of(cell[c].b);
        if (!known(cell[c].b)) {
            *tag = TAG_B(c);
            return 0;
        }
        if (in > t) {
            t = in;
            won = 2;
        }
    }
    *start = t;
    *which = won;
    return 1;
}

/* Start of the SEND of a transfer on a link whose previous transfer ended at prev, for a
 * producer that ended at e (the receive was posted at prev, so the transfer moves then). */
static inline double send_start(double prev, double e)
{
    return prev > e ? prev : e;
}

static inline void wake(core *x, int32_t rank, int64_t tag)
{
    if (x->parked[rank] == tag) {
        x->parked[rank] = -1;
        x->ready[x->nready++] = rank;
    }
}

/* Seconds for kind k on (stage, mb): by stage when no kind is priced per cell (by_cell 0, a
 * constant in each copy of run_rank, so that the common case reads one table entry). */
static inline double price(const core *x, int by_cell, pps_kind k, int stage, int mb)
{
    return by_cell ? pps_price_of(x->p, k, stage, mb)
                   : x->by_stage[(size_t)stage * PPS_KIND_COUNT + (size_t)k];
}

/* F(s, m) ended at e on rank r: the input of F(s + 1, m), or on the last stage of B/I(s, m). */
static inline void forward_out(core *x, int by_cell, int32_t r, int s, int m, double e)
{
    const ppse_stage *st = &x->stage[s];
    size_t c = (size_t)s * x->M + (size_t)m;
    if (st->rank_f < 0) {
        x->cell[c].b = as_ready(e);
        return;
    }
    c += x->M;
    if (st->rank_f == r) {
        x->cell[c].f = as_ready(e);
        return;
    }
    double *link = &x->link_end[st->link_f];
    *link = send_start(*link, e) + price(x, by_cell, PPS_SEND_F, s, m);
    x->cell[c].f = as_ready(*link);
    wake(x, st->rank_f, TAG_F(c));
}

/* B/I(s, m) ended at e on rank r: the input of B/I(s − 1, m). */
static inline void backward_out(core *x, int by_cell, int32_t r, int s, int m, double e)
{
    const ppse_stage *st = &x->stage[s];
    if (st->rank_b < 0)
        return;
    size_t c = (size_t)(s - 1) * x->M + (size_t)m;
    if (st->rank_b == r) {
        x->cell[c].b = as_ready(e);
        return;
    }
    double *link = &x->link_end[st->link_b];
    *link = send_start(*link, e) + price(x, by_cell, PPS_SEND_B, s, m);
    x->cell[c].b = as_ready(*link);
    wake(x, st->rank_b, TAG_B(c));
}

/* Runs action a of rank r in full generality (every kind, per-cell prices, zero-length actions
 * and their memory rules): the reference for the fast loop below, which hands it the rare
 * cases. Returns 0 when a waits (rank parked) and -1 for communication, else 1. */
static int step(core *x, int by_cell, int32_t r, const pps_action *a, double *prev)
{
    ppse_rank *R = &x->w->rank[r];
    pps_kind k = (pps_kind)a->kind;
    if (k == PPS_IDLE)
        return 1;
    if (pps_kind_is_comm(k) || k == PPS_WAIT_SEND_F || k == PPS_WAIT_SEND_B)
        return -1; /* a compute-only program has no sends to wait for (validation says so) */
    double t;
    int64_t tag;
    int which;
    if (!start_of(x, a, *prev, &t, &tag, &which)) {
        x->parked[r] = tag;
        return 0;
    }
    double end = t + (k == PPS_OVERLAP_F_B ? pps_price_action(x->p, a)
                                           : price(x, by_cell, k, a->stage, a->mb));
    ppsa_busy_add(&R->busy, k, t, end);
    ppsa_mem_action(&R->mem, &x->sizes, a, t, end);
    if (k == PPS_F || k == PPS_OVERLAP_F_B)
        forward_out(x, by_cell, r, a->stage, a->mb, end);
    if (k == PPS_B || k == PPS_I)
        backward_out(x, by_cell, r, a->stage, a->mb, end);
    else if (k == PPS_OVERLAP_F_B)
        backward_out(x, by_cell, r, a->stage2, a->mb2, end);
    *prev = end;
    return 1;
}

static int step_by_stage(core *x, int32_t r, const pps_action *a, double *prev)
{
    return step(x, 0, r, a, prev);
}

/* What a turn of the fast loop ended on. */
enum { FAST_DONE, FAST_PARKED, FAST_GENERAL };

/* The hot loop of every simulation: runs rank r's F, B, I and W priced by stage until the
 * stream ends (FAST_DONE), waits for a ready time not known yet (FAST_PARKED) or meets an action
 * it leaves to step() (FAST_GENERAL, with R->head on it). It computes what step() would, in the
 * same order (so the same numbers), with the stream's state and the work space's pointers in
 * locals (a store to a cell could otherwise alias them), a stage's data in one row (ppse_stage)
 * and no call, so that they stay in registers. Memory: on a compute stream every later change
 * comes at or after an action's end, so an allocation whose action has a length cannot meet a
 * release at its instant and is applied at once (as ppsa_mem_stream_action); zero-length
 * forwards and the allocations they leave waiting (npend) go to step(). */
/* The release build keeps GCC's SLP vectorizer off this loop (as added with it in a195fb6);
 * clang, which builds the fuzz targets, has no such attribute and would warn. */
#if defined(__GNUC__) && !defined(__clang__)
#define NO_SLP_VECTORIZE __attribute__((optimize("no-tree-slp-vectorize")))
#else
#define NO_SLP_VECTORIZE
#endif
/* With points (a constant in each of its two copies below) it also records the memory's step
 * function, one point per closed instant as ppsa_mem_close does, into room reserved for a
 * point per action (ppse_stream_run); without, the summary's loop carries no trace of it. */
NO_SLP_VECTORIZE static inline __attribute__((always_inline)) int
fast_turn_of(core *x, int32_t r, const int points)
{
    ppse_rank *R = &x->w->rank[r];
    const pps_action *act = R->act;
    ppse_cell *const cell = x->cell;
    const ppse_stage *const stage = x->stage;
    double *const link_end = x->link_end;
    int64_t *const parked = x->parked;
    int32_t *const ready = x->ready;
    const size_t M = x->M;
    size_t head = R->head, n = R->n, nready = x->nready, count = R->busy.compute_actions;
    double prev = R->prev_end, busy = R->busy.busy;
    double first = R->busy.first_start, last = R->busy.last_end;
    double mt = R->mem.t, bytes = R->mem.bytes, peak = R->mem.peak;
    pps_memory_point *const pts = R->mem.pts;
    size_t npts = R->mem.npts;
    int how = FAST_DONE;
    if (R->mem.npend != 0 || R->mem.want_points != points)
        return FAST_GENERAL;
    if (points && R->mem.cappts - npts < n - head)
        return FAST_GENERAL; /* no room reserved (out of memory then): step() records them */
    /* A rank runs a few actions per turn while the other ranks take theirs, long enough for its
     * next actions to arrive: fetch them now (its program is read once, in order). */
    __builtin_prefetch(&act[head + 8]);
    for (; head < n; head++) {
        const pps_action *a = &act[head];
        pps_kind k = (pps_kind)a->kind;
        if (k < PPS_F || k > PPS_W) {
            how = FAST_GENERAL;
            break;
        }
        int s = a->stage;
        size_t c = (size_t)s * M + (size_t)a->mb;
        const ppse_stage *st = &stage[s];
        double t = prev;
        if (k == PPS_F) {
            if (s > 0) {
                double v = cell[c].f;
                if (!known(v)) {
                    parked[r] = TAG_F(c);
                    how = FAST_PARKED;
                    break;
                }
                if (ready_of(v) > t)
                    t = ready_of(v);
            }
        } else if (k != PPS_W) {
            double v = cell[c].b;
            if (!known(v)) {
                parked[r] = TAG_B(c);
                how = FAST_PARKED;
                break;
            }
            if (ready_of(v) > t)
                t = ready_of(v);
        }
        double end = t + st->dur[k];
        if (k == PPS_F && !(end > t)) {
            how = FAST_GENERAL; /* a zero-length forward: its allocation waits */
            break;
        }
        double nt = k == PPS_F ? t : end;
        if (points && nt != mt && mt != -INFINITY) /* the open instant closes */
            pts[npts++] = (pps_memory_point){mt, bytes};
        mt = nt;
        bytes += st->delta[k];
        if (bytes > peak)
            peak = bytes;
        busy += end - t;
        count++;
        if (t < first)
            first = t;
        last = end; /* ends only grow along a stream */
        prev = end;
        /* The output, as forward_out / backward_out give it. */
        if (k == PPS_F) {
            if (st->rank_f < 0) {
                cell[c].b = as_ready(end);
            } else if (st->rank_f == r) {
                cell[c + M].f = as_ready(end);
            } else {
                double *l = &link_end[st->link_f];
                *l = send_start(*l, end) + st->send_f;
                cell[c + M].f = as_ready(*l);
                if (parked[st->rank_f] == TAG_F(c + M)) {
                    parked[st->rank_f] = -1;
                    ready[nready++] = st->rank_f;
                }
            }
        } else if (k != PPS_W && st->rank_b >= 0) {
            if (st->rank_b == r) {
                cell[c - M].b = as_ready(end);
            } else {
                double *l = &link_end[st->link_b];
                *l = send_start(*l, end) + st->send_b;
                cell[c - M].b = as_ready(*l);
                if (parked[st->rank_b] == TAG_B(c - M)) {
                    parked[st->rank_b] = -1;
                    ready[nready++] = st->rank_b;
                }
            }
        }
    }
    if (how == FAST_PARKED && head + 2 < n) {
        /* It runs again after other ranks' turns: fetch the cells its next actions read and
         * write meanwhile (a turn's misses were mostly these and its program). */
        for (size_t j = head + 1; j <= head + 2; j++) {
            int s = act[j].stage;
            if (act[j].kind < PPS_F || act[j].kind > PPS_W)
                continue; /* the cells of other kinds are not where stage and mb say */
            size_t c = (size_t)s * M + (size_t)act[j].mb;
            __builtin_prefetch(&cell[c]);
            if (stage[s].rank_f >= 0)
                __builtin_prefetch(&cell[c + M]);
            if (s > 0)
                __builtin_prefetch(&cell[c - M]);
        }
    }
    R->head = head;
    R->prev_end = prev;
    R->busy.busy = busy;
    R->busy.compute_actions = count;
    R->busy.first_start = first;
    R->busy.last_end = last;
    R->mem.t = mt;
    R->mem.bytes = bytes;
    R->mem.peak = peak;
    R->mem.npts = npts;
    x->nready = nready;
    return how;
}

NO_SLP_VECTORIZE static int fast_turn(core *x, int32_t r)
{
    return fast_turn_of(x, r, 0);
}

NO_SLP_VECTORIZE static int fast_turn_points(core *x, int32_t r)
{
    return fast_turn_of(x, r, 1);
}

/* Runs rank r's stream until it ends or waits for a ready time not known yet: fast turns, and
 * step() for what they leave. Returns 0 when it meets an action the stream core does not run
 * (communication). */
static inline int run_rank_of(core *x, int32_t r, int (*turn)(core *, int32_t))
{
    ppse_rank *R = &x->w->rank[r];
    while (R->head < R->n) {
        int how = turn(x, r);
        if (how != FAST_GENERAL)
            return 1;
        int res = step_by_stage(x, r, &R->act[R->head], &R->prev_end);
        if (res <= 0)
            return res == 0;
        R->head++;
    }
    return 1;
}

static int run_rank(core *x, int32_t r)
{
    return run_rank_of(x, r, fast_turn);
}

/* The same recording the memory's step function (--memory). */
static int run_rank_points(core *x, int32_t r)
{
    return run_rank_of(x, r, fast_turn_points);
}

/* The same with per-cell prices: every action through step(). */
static int run_rank_by_cell(core *x, int32_t r)
{
    ppse_rank *R = &x->w->rank[r];
    double prev = R->prev_end;
    int ok = 1;
    for (; R->head < R->n; R->head++) {
        int st = step(x, 1, r, &R->act[R->head], &prev);
        if (st <= 0) {
            ok = st == 0;
            break;
        }
    }
    R->prev_end = prev;
    return ok;
}

pps_status ppse_stream_run(ppse_work *w, const pps_schedule *s, const pps_prices *p,
                           int want_points, pps_error *err)
{
    size_t cells = (size_t)s->stages * (size_t)s->microbatches, R = (size_t)s->ranks;
    if (R > w->cap_rank) /* the accumulators being dropped may own buffers */
        for (size_t r = 0; r < w->cap_rank; r++) {
            ppsa_mem_release(&w->rank[r].mem);
            free(w->rank[r].mem.pts);
            w->rank[r].mem.pts = NULL; /* ppse_work_free frees them again if reserve fails */
        }
    size_t had = w->cap_rank;
    if (!reserve_zeroed((void **)&w->cell, &w->cap_cell, cells, sizeof *w->cell) ||
        !reserve((void **)&w->rank, &w->cap_rank, R, sizeof *w->rank) ||
        !reserve((void **)&w->parked, &w->cap_parked, R, sizeof *w->parked) ||
        !reserve((void **)&w->ready, &w->cap_ready, R, sizeof *w->ready))
        return pps_error_set(err, PPS_ENOMEM, "out of memory simulating %zu cells", cells);
    if (w->cap_rank != had) /* fresh: nothing to release in the next run */
        memset(w->rank, 0, w->cap_rank * sizeof *w->rank);
    pps_status st = build_stages(w, s, p, err);
    if (st != PPS_OK)
        return st;
    core x = {.w = w, .p = p, .stage_rank = s->stage_rank, .S = s->stages,
              .M = (size_t)s->microbatches,
              .sizes = {p->act_bytes, p->act_w_bytes, p->stages}, .cell = w->cell,
              .stage = w->stage, .link_end = w->link_end, .parked = w->parked,
              .ready = w->ready, .by_stage = p->by_stage};
    int by_cell = 0;
    for (int k = 0; k < PPS_KIND_COUNT; k++)
        by_cell |= p->by_cell[k] != NULL;
    int (*run)(core *, int32_t) = by_cell       ? run_rank_by_cell
                                  : want_points ? run_rank_points
                                                : run_rank;
    /* Every rank starts runnable; a rank is on the stack at most once, as it parks on one ready
     * time at a time and is pushed only when that time becomes known. */
    for (size_t r = 0; r < R; r++) {
        ppse_rank *rk = &w->rank[r];
        ppsa_mem_release(&rk->mem);
        free(rk->mem.pts); /* points a previous run left unclaimed */
        *rk = (ppse_rank){.act = s->programs[r].actions, .n = s->programs[r].n};
        ppsa_busy_init(&rk->busy);
        ppsa_mem_init(&rk->mem, want_points);
        /* Room for the most points there can be, one per instant: each action opens at most
         * one, an OVERLAP_F_B two (its allocation at its start, its release at its end). The
         * fast loop then always has room (it checks, and leaves the rest to step(), which grows
         * the buffer); pages untouched until written. */
        if (want_points && rk->n) {
            size_t most = rk->n;
            for (size_t i = 0; i < rk->n; i++)
                most += rk->act[i].kind == PPS_OVERLAP_F_B;
            rk->mem.pts = malloc(most * sizeof *rk->mem.pts);
            rk->mem.cappts = rk->mem.pts ? most : 0;
        }
        w->parked[r] = -1;
        w->ready[x.nready++] = (int32_t)(R - 1 - r);
    }
    while (x.nready > 0)
        if (!run(&x, w->ready[--x.nready]))
            return pps_error_set(err, PPS_EINPUT, "a send or receive in a schedule not marked "
                                 "lowered");
    int stuck = 0;
    for (size_t r = 0; r < R; r++) {
        ppsa_mem_finish(&w->rank[r].mem);
        if (w->rank[r].mem.failed)
            return pps_error_set(err, PPS_ENOMEM, "out of memory tracking activation memory");
        stuck |= w->rank[r].head < w->rank[r].n;
    }
    return stuck ? PPS_EDEADLOCK : PPS_OK;
}

void ppse_stream_summary(const ppse_work *w, const pps_schedule *s, pps_analysis *out)
{
    /* The earliest start and latest end over every event of the lowered timeline, bookkeeping
     * actions included (they are outside busy time, not outside the step). The earliest start
     * is 0: followed back through what it waited for (each started no later), the earliest
     * event leads to the first action of a stream that waits for nothing. The latest end is a
     * compute stream's end: ends only grow along a stream, and a transfer ends before its
     * consumer starts. */
    double t0 = 0, t1 = 0;
    for (int r = 0; r < s->ranks; r++) {
        const ppse_rank *rk = &w->rank[r];
        if (rk->prev_end > t1)
            t1 = rk->prev_end;
        out->per_rank[r] = ppsa_rank_stats(&rk->busy, rk->mem.peak);
    }
    ppsa_finish(out, s->ranks, s->microbatches, t0, t1);
}

pps_status ppse_stream_series(ppse_work *w, const pps_schedule *s, pps_memory_point **points,
                              size_t **first, pps_error *err)
{
    size_t R = (size_t)s->ranks, total = 0;
    size_t *off = malloc((R + 1) * sizeof *off);
    for (size_t r = 0; off && r < R; r++)
        total += w->rank[r].mem.npts;
    pps_memory_point *pts = off ? malloc((total ? total : 1) * sizeof *pts) : NULL;
    if (!pts) {
        free(off);
        return pps_error_set(err, PPS_ENOMEM, "out of memory for %zu memory points", total);
    }
    off[0] = 0;
    for (size_t r = 0; r < R; r++) {
        const ppsa_mem *m = &w->rank[r].mem;
        if (m->npts)
            memcpy(pts + off[r], m->pts, m->npts * sizeof *pts);
        off[r + 1] = off[r] + m->npts;
    }
    *points = pts;
    *first = off;
    return PPS_OK;
}

/* ------------------------------------------------------------------ the timeline */

/* Writing the lowered timeline: per link, the last transfer seen on the send side and on the
 * receive side (each side meets a link's transfers in its order), and with bounds the event
 * that delivers each cell's inputs. */
typedef struct writer {
    const core *x;
    const pps_schedule *s;
    pps_event *ev;
    size_t n;
    double *send_end, *recv_end; /* [links] */
    int32_t *send_ev, *recv_ev;  /* [links], bounds only */
    int32_t *in_f, *in_b;        /* [cells], bounds only: event delivering F's / B/I's input */
    pps_bounds *bounds;
} writer;

static void record(writer *wr, size_t i, int32_t pred, pps_bound why)
{
    if (!wr->bounds)
        return;
    wr->bounds->pred[i] = why == PPS_BOUND_NONE ? -1 : pred;
    wr->bounds->bound[i] = (uint8_t)why;
}

static void put_recv(writer *wr, int r, const ppsl_recv *rv)
{
    const core *x = wr->x;
    int fwd = rv->kind == PPS_RECV_F;
    int from = fwd ? rv->stage - 1 : rv->stage + 1;
    size_t c = (size_t)rv->stage * x->M + (size_t)rv->mb;
    int32_t l = fwd ? x->stage[from].link_f : x->stage[from].link_b;
    size_t i = wr->n++;
    wr->ev[i] = (pps_event){.start = wr->recv_end[l],
                            .end = ready_of(fwd ? x->cell[c].f : x->cell[c].b),
                            .action = pps_action_make((pps_kind)rv->kind, rv->stage, rv->mb),
                            .rank = r, .peer = x->stage_rank[from], .stream = PPS_STREAM_RECV};
    wr->recv_end[l] = wr->ev[i].end;
    if (!wr->bounds)
        return;
    record(wr, i, wr->recv_ev[l], wr->recv_ev[l] >= 0 ? PPS_BOUND_STREAM : PPS_BOUND_NONE);
    wr->recv_ev[l] = (int32_t)i;
    (fwd ? wr->in_f : wr->in_b)[c] = (int32_t)i;
}

static void put_send(writer *wr, int r, const pps_action *snd, size_t producer)
{
    const core *x = wr->x;
    int fwd = snd->kind == PPS_SEND_F;
    int to = fwd ? snd->stage + 1 : snd->stage - 1;
    size_t c = (size_t)to * x->M + (size_t)snd->mb;
    int32_t l = fwd ? x->stage[snd->stage].link_f : x->stage[snd->stage].link_b;
    double e = wr->ev[producer].end, prev = wr->send_end[l];
    size_t i = wr->n++;
    wr->ev[i] = (pps_event){.start = send_start(prev, e),
                            .end = ready_of(fwd ? x->cell[c].f : x->cell[c].b), .action = *snd,
                            .rank = r, .peer = x->stage_rank[to], .stream = PPS_STREAM_SEND};
    wr->send_end[l] = wr->ev[i].end;
    if (!wr->bounds)
        return;
    if (e > prev || wr->send_ev[l] < 0) /* the producer, or nothing: both ended at 0 */
        record(wr, i, (int32_t)producer, e > prev ? PPS_BOUND_INPUT : PPS_BOUND_NONE);
    else
        record(wr, i, wr->send_ev[l], PPS_BOUND_STREAM);
    wr->send_ev[l] = (int32_t)i;
}

/* With bounds: compute event i of rank r delivers these inputs on its own rank. */
static void note_outputs(writer *wr, int r, const pps_action *a, size_t i)
{
    const core *x = wr->x;
    pps_kind k = (pps_kind)a->kind;
    if (k == PPS_F || k == PPS_OVERLAP_F_B) {
        if (a->stage + 1 == x->S)
            wr->in_b[(size_t)a->stage * x->M + (size_t)a->mb] = (int32_t)i;
        else if (x->stage_rank[a->stage + 1] == r)
            wr->in_f[(size_t)(a->stage + 1) * x->M + (size_t)a->mb] = (int32_t)i;
    }
    int bs = k == PPS_OVERLAP_F_B ? a->stage2 : a->stage, bm = k == PPS_OVERLAP_F_B ? a->mb2 : a->mb;
    if ((k == PPS_B || k == PPS_I || k == PPS_OVERLAP_F_B) && bs > 0 &&
        x->stage_rank[bs - 1] == r)
        wr->in_b[(size_t)(bs - 1) * x->M + (size_t)bm] = (int32_t)i;
}

/* Rank r's events in lowered order: each receive where the plan puts it, each compute action
 * at the times the run gave it (worked out again the same way), each send after its producer. */
static void put_rank(writer *wr, int r, const ppsl_recv *rv, size_t nrecv)
{
    const pps_program *p = &wr->s->programs[r];
    double prev = 0;
    int32_t prev_ev = -1;
    size_t next = 0;
    for (size_t i = 0; i < p->n; i++) {
        for (; next < nrecv && rv[next].before == i; next++)
            put_recv(wr, r, &rv[next]);
        const pps_action *a = &p->actions[i];
        if (a->kind == PPS_IDLE)
            continue;
        double t = prev;
        int64_t tag;
        int which = 0;
        start_of(wr->x, a, prev, &t, &tag, &which); /* known: the run completed */
        size_t k = wr->n++;
        wr->ev[k] = (pps_event){.start = t, .end = t + pps_price_action(wr->x->p, a),
                                .action = *a, .rank = r, .peer = -1,
                                .stream = PPS_STREAM_COMPUTE};
        if (wr->bounds) {
            size_t cf = (size_t)a->stage * wr->x->M + (size_t)a->mb;
            size_t cb = a->kind == PPS_OVERLAP_F_B
                            ? (size_t)a->stage2 * wr->x->M + (size_t)a->mb2
                            : cf;
            if (which)
                record(wr, k, which == 1 ? wr->in_f[cf] : wr->in_b[cb], PPS_BOUND_INPUT);
            else
                record(wr, k, prev_ev, prev_ev >= 0 ? PPS_BOUND_STREAM : PPS_BOUND_NONE);
            note_outputs(wr, r, a, k);
        }
        pps_action snd[2];
        int ns = ppsl_sends_of(wr->s, r, a, snd);
        for (int j = 0; j < ns; j++)
            put_send(wr, r, &snd[j], k);
        prev = wr->ev[k].end;
        prev_ev = (int32_t)k;
    }
}

/* Links each SEND event with its RECV: the receive that delivers its consumer's input. */
static void pair_transfers(writer *wr)
{
    const core *x = wr->x;
    for (size_t i = 0; i < wr->n; i++) {
        const pps_action *a = &wr->ev[i].action;
        if (a->kind != PPS_SEND_F && a->kind != PPS_SEND_B)
            continue;
        int fwd = a->kind == PPS_SEND_F;
        size_t c = (size_t)(fwd ? a->stage + 1 : a->stage - 1) * x->M + (size_t)a->mb;
        int32_t j = fwd ? wr->in_f[c] : wr->in_b[c];
        wr->bounds->partner[i] = j;
        wr->bounds->partner[j] = (int32_t)i;
    }
}

/* What both ways of writing start from: the core's results in x (read-only now), a writer on
 * them with nothing written and no bounds, and the lowering's plan (the caller frees it). */
static pps_status writer_start(writer *wr, core *x, ppse_work *w, const pps_schedule *s,
                               const pps_prices *p, ppsl_plan *plan, pps_error *err)
{
    *x = (core){.w = w, .p = p, .stage_rank = s->stage_rank, .S = s->stages,
                .M = (size_t)s->microbatches, .cell = w->cell, .stage = w->stage,
                .link_end = w->link_end, .by_stage = p->by_stage};
    *wr = (writer){.x = x, .s = s};
    return ppsl_plan_build(s, plan, err);
}

pps_status ppse_stream_timeline(ppse_work *w, const pps_schedule *s, const pps_prices *p,
                                pps_timeline **out, pps_bounds *bounds, pps_error *err)
{
    *out = NULL;
    ppsl_plan plan;
    pps_timeline *t = NULL;
    writer wr;
    core x;
    pps_status st = writer_start(&wr, &x, w, s, p, &plan, err);
    if (st != PPS_OK)
        return st;
    wr.bounds = bounds;
    /* Every receive has its send: the events are the non-idle actions and two per transfer. */
    size_t n = 2 * plan.first[s->ranks], cells = (size_t)s->stages * (size_t)s->microbatches;
    for (int r = 0; r < s->ranks; r++)
        for (size_t i = 0; i < s->programs[r].n; i++)
            n += s->programs[r].actions[i].kind != PPS_IDLE;
    size_t L = w->nlinks ? w->nlinks : 1;
    wr.send_end = calloc(L, sizeof *wr.send_end);
    wr.recv_end = calloc(L, sizeof *wr.recv_end);
    if (!wr.send_end || !wr.recv_end)
        goto nomem;
    if (bounds) {
        wr.send_ev = malloc(L * sizeof *wr.send_ev);
        wr.recv_ev = malloc(L * sizeof *wr.recv_ev);
        wr.in_f = malloc((cells ? cells : 1) * sizeof *wr.in_f);
        wr.in_b = malloc((cells ? cells : 1) * sizeof *wr.in_b);
        if (!wr.send_ev || !wr.recv_ev || !wr.in_f || !wr.in_b)
            goto nomem;
        memset(wr.send_ev, 0xff, L * sizeof *wr.send_ev);
        memset(wr.recv_ev, 0xff, L * sizeof *wr.recv_ev);
        if ((st = ppse_bounds_alloc(bounds, n, err)) != PPS_OK)
            goto done;
    }
    if ((st = ppse_timeline_new(s, p, n, &t, err)) != PPS_OK)
        goto done;
    wr.ev = t->events;
    for (int r = 0; r < s->ranks; r++)
        put_rank(&wr, r, plan.recv + plan.first[r], plan.first[r + 1] - plan.first[r]);
    t->n = wr.n;
    if (bounds)
        pair_transfers(&wr);
    *out = t;
    t = NULL;
    goto done;
nomem:
    st = pps_error_set(err, PPS_ENOMEM, "out of memory for a timeline of %zu cells", cells);
done:
    if (st != PPS_OK && bounds)
        pps_bounds_clear(bounds);
    pps_timeline_destroy(t);
    ppsl_plan_free(&plan);
    free(wr.send_end);
    free(wr.recv_end);
    free(wr.send_ev);
    free(wr.recv_ev);
    free(wr.in_f);
    free(wr.in_b);
    return st;
}

pps_status ppse_stream_events(ppse_work *w, const pps_schedule *s, const pps_prices *p,
                              ppse_sink sink, void *ctx, pps_error *err)
{
    ppsl_plan plan;
    writer wr;
    core x;
    pps_status st = writer_start(&wr, &x, w, s, p, &plan, err);
    if (st != PPS_OK)
        return st;
    /* Room for the most events one rank has: its non-idle actions, its receives, and at most
     * two sends per action (an OVERLAP_F_B sends for both halves). */
    size_t most = 0, L = w->nlinks ? w->nlinks : 1;
    for (int r = 0; r < s->ranks; r++) {
        size_t n = plan.first[r + 1] - plan.first[r];
        for (size_t i = 0; i < s->programs[r].n; i++)
            n += s->programs[r].actions[i].kind != PPS_IDLE ? 3u : 0u;
        if (n > most)
            most = n;
    }
    wr.send_end = calloc(L, sizeof *wr.send_end);
    wr.recv_end = calloc(L, sizeof *wr.recv_end);
    wr.ev = malloc((most ? most : 1) * sizeof *wr.ev);
    if (!wr.send_end || !wr.recv_end || !wr.ev)
        st = pps_error_set(err, PPS_ENOMEM, "out of memory for %zu events of a rank", most);
    size_t first = 0;
    for (int r = 0; r < s->ranks && st == PPS_OK; r++) {
        wr.n = 0; /* put_rank finds a send's producer by its index in this rank's batch */
        put_rank(&wr, r, plan.recv + plan.first[r], plan.first[r + 1] - plan.first[r]);
        st = sink(ctx, wr.ev, wr.n, first, err);
        first += wr.n;
    }
    ppsl_plan_free(&plan);
    free(wr.send_end);
    free(wr.recv_end);
    free(wr.ev);
    return st;
}
