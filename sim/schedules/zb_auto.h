/* zb_auto.h — internal API of the memory-bounded zero-bubble scheduler (rows zb-auto and
 * zb-v-auto) and of the exact search that measures how far it is from optimal: the problem
 * (per-stage times, transfer times, activation sizes, a per-rank memory limit), per-rank orders
 * of F, I and W, their exact timing, the greedy heuristic and the search around it.
 *
 * Scope: one stage per rank (loop placement, v = 1) or the V placement (v = 2, rank r holds
 * stages r and 2P-1-r); every stage runs each kind (F, I, W) in micro-batch order; the backward
 * is always split into I and W. Times are seconds, sizes bytes. Prefix zba_ (zb_exact.c: zbx_). */
#ifndef PPS_ZB_AUTO_H
#define PPS_ZB_AUTO_H

#include "schedules.h"

/* One compute action of a rank's order; kind is PPS_F, PPS_I or PPS_W. */
typedef struct zba_op {
    int32_t stage;
    int32_t mb;
    int32_t kind;
} zba_op;

/* Per-rank orders: rank r's actions are op[r * per_rank .. r * per_rank + n[r]). */
typedef struct zba_orders {
    int ranks;
    size_t per_rank; /* capacity of each rank's row: 3 · (stages per rank) · M */
    size_t *n;       /* [ranks] */
    zba_op *op;      /* [ranks · per_rank] */
} zba_orders;

/* Everything the scheduler needs to know, resolved from pps_gen_params and the cost model. */
typedef struct zba_problem {
    int P, v, S, M;
    int vshape;         /* 1: V placement; 0: loop with v = 1 */
    int32_t *rank_of;   /* [S] */
    int32_t *stages_of; /* [P·v]: rank r's stages, in chunk order (first-visited first) */
    double *tf, *ti, *tw;   /* [S] seconds per micro-batch */
    double *act, *actw;     /* [S] bytes: held from F; the part still held after I, until W */
    double *fwd_comm;       /* [S] F(s) -> F(s+1) transfer time; 0 when both on one rank */
    double *bwd_comm;       /* [S] I(s) -> I(s-1) transfer time; 0 when both on one rank */
    double *rank_act;       /* [P] one micro-batch's activation over rank r's stages */
    double mem_limit;       /* bytes of activation each rank may hold at once */
    double unit;            /* 1F1B's peak on the same model ("1x"): max_r min(P-r, M)·rank_act */
    const pps_cost *cost;   /* the resolved costs, for the simulator-backed score */
    pps_cost own_cost;      /* the defaults, when the caller gave no costs */
} zba_problem;

/* Builds the problem for P, v (1: loop, 2: V), M under cost c (resolved for this shape and
 * placement, pps_cost_resolve_for; NULL takes pps_cost_init's defaults) with no memory limit yet
 * (infinite). pb must not be copied (it may point into itself). Caller frees it with
 * zba_problem_free. */
pps_status zba_problem_init(zba_problem *pb, int P, int v, int M, const pps_cost *c,
                            pps_error *err);
void zba_problem_free(zba_problem *pb);

/* Parses a --memory-limit value against pb: "2x", "0.5x", "1/3x" are multiples of pb->unit,
 * a plain number is bytes. Refuses malformed text (PPS_EINPUT) and a limit below one
 * micro-batch's activation on some rank's stages (PPS_EUNSUPPORTED, naming the rank), since then
 * no schedule fits. Sets pb->mem_limit. `who` prefixes messages ("zb-auto"). */
pps_status zba_set_memory_limit(zba_problem *pb, const char *text, const char *who,
                                pps_error *err);

pps_status zba_orders_alloc(zba_orders *o, const zba_problem *pb, pps_error *err);
void zba_orders_free(zba_orders *o);
/* dst must have been allocated for the same problem. */
void zba_orders_copy(zba_orders *dst, const zba_orders *src);
static inline zba_op *zba_row(const zba_orders *o, int r)
{
    return o->op + (size_t)r * o->per_rank;
}

/* A schedule's score: the step time first, then the largest idle time inside one rank's span
 * (first start to last end), so that among equal step times the one whose busiest rank never
 * waits wins (the Zero Bubble paper's stage_span_rate 0), then the sum of the ranks' end times
 * (which gives the local search a slope where the first two are flat). */
typedef struct zba_score {
    double makespan;
    double span_idle;
    double end_sum;
} zba_score;

/* 1 when a is better than b (relative tolerance 1e-9 on the makespan). */
int zba_score_better(zba_score a, zba_score b);

/* Reusable buffers for zba_replay (sized for one problem). */
typedef struct zba_clock {
    const zba_problem *pb;
    double *out_f;      /* [S·M] when F(s,m)'s output is usable by F(s+1,m) (or I(S-1,m)) */
    double *out_i;      /* [S·M] when I(s,m)'s output is usable by I(s-1,m) */
    int32_t *waiter;    /* [2·S·M] rank parked on that slot, or -1 */
    double *link_last;  /* [2P] arrival of the last transfer on each directed link */
    double *free_at;    /* [P] */
    double *first, *busy, *mem, *peak; /* [P] */
    int32_t *nf, *ni, *nw; /* [S] actions done per stage and kind */
    size_t *head;       /* [P] */
    int32_t *ready;     /* [P] stack of runnable ranks */
    size_t nready;
    double *start, *end; /* optional [P·per_rank] per-op times (zba_replay_times) */
} zba_clock;

pps_status zba_clock_init(zba_clock *k, const zba_problem *pb, pps_error *err);
void zba_clock_free(zba_clock *k);
/* Clears the clock for a new schedule. */
void zba_clock_reset(zba_clock *k);
/* Duration of op on its stage, seconds. */
double zba_duration(const zba_problem *pb, const zba_op *op);
/* Memory change of op on its rank, bytes: F +act, I -(act - actw), W -actw. */
double zba_mem_delta(const zba_problem *pb, const zba_op *op);
/* When op's data dependency (the other rank's or the previous stage's output) is usable, or a
 * negative value when it is not known yet; 0 when it has none. The same-rank order (I after F,
 * W after I) is not checked here. */
double zba_dep_ready(const zba_clock *k, const zba_op *op);
/* Runs op next on rank r: start = max(rank free, dep ready); records the times, the transfer
 * (in the sender's order on its directed link), the memory. The dependency must be known.
 * Returns the end time. */
double zba_clock_put(zba_clock *k, int r, const zba_op *op);

/* Times every rank's order with the semantics of docs/semantics.md (overlapped communication,
 * in-order transfers per directed link) and scores it; the clock of the greedy and of the local
 * search's critical path (candidates are scored by the simulator itself: zb_auto_search.c).
 * Returns PPS_EINPUT when the orders are not a complete valid schedule (an action out of
 * micro-batch order, a dependency never met: a deadlock) and PPS_EUNSUPPORTED when a rank's
 * activation exceeds the memory limit; the message names the rank. Per-rank peaks stay in
 * k->peak. */
pps_status zba_replay(zba_clock *k, const zba_orders *o, zba_score *score, pps_error *err);

/* 1 when every rank's order is complete and in order (each kind in micro-batch order, I after
 * its F, W after its I, on the stage's own rank), without timing it (uses k's counters). The
 * data dependencies across ranks may still deadlock. */
int zba_orders_ok(zba_clock *k, const zba_orders *o);

/* The score of the actions the clock has run so far (all of them after a replay or a greedy
 * run). */
zba_score zba_clock_score(const zba_clock *k);

/* The score as ppsim's simulator computes it (validate, lower, simulate, analyze), for any cost
 * model; the same as zba_replay's unless communication runs on the compute stream (--comm
 * sync), which zba_replay does not model. */
pps_status zba_simulate_score(const zba_problem *pb, const zba_orders *o, zba_score *score,
                              pps_error *err);

/* Writes the orders into the compute-only schedule s (created with pb's shape). */
pps_status zba_orders_to_schedule(const zba_orders *o, pps_schedule *s, pps_error *err);

/* ---- the heuristic (zb_auto_greedy.c) */

/* The choices the greedy searches over (the paper's binary choices and a few of our own). */
typedef struct zba_greedy_params {
    int warmup_overrun; /* 1: in warm-up, start an F even when it delays a known arriving I */
    int steady_overrun; /* 1: the same after the first I */
    int w_overrun;      /* 1: run a pending W in a gap shorter than t_W (the paper's greedy
                           choice); 0: wait for the arriving work */
    int w_lag;          /* -1: W only in gaps and when memory is short; k >= 0: also whenever
                           more than k W are pending on a stage */
    int depth;          /* 0: warm-up limited by memory only; k > 0: at most k·(P-r) micro-batches
                           in flight on rank r */
    int later_chunk_first; /* V: among ready F (or I), the later stage's first */
    int reserve_all;    /* V: a micro-batch enters a rank only with room for the later-stage
                           activation of all admitted ones (1) or of the next one (0) */
} zba_greedy_params;

/* Builds orders with the greedy list scheduler; the clock k ends holding its times. Returns
 * PPS_EUNSUPPORTED when these choices get stuck (never for the sequential fallback). */
pps_status zba_greedy(const zba_problem *pb, const zba_greedy_params *gp, zba_clock *k,
                      zba_orders *o, pps_error *err);

/* Micro-batch after micro-batch through every stage and back (F, I, W): fits any feasible memory
 * limit, the fallback when nothing better fits. */
void zba_sequential(const zba_problem *pb, zba_orders *o);

/* ---- seeds from repeating patterns (zb_auto_blocks.c) */

/* One stage per rank: stage r's slot x runs F_x, I_{x-a}, W_{x-b} (each when its index is in
 * [0, M)) with a = ka·(P-1-r) and b = kb·(P-1) when b_global, else kb·(P-1-r) (b >= a): ZB-H1 is
 * (1, 1, 1), ZB-H2 (2, 2, 1) (REFERENCE's orderings). */
void zba_offset_orders(const zba_problem *pb, int ka, int kb, int b_global, zba_orders *o);

/* A building block on the V placement (Qi et al., arXiv 2405.15362): micro-batch 0's F of
 * chunk 0 on rank r at slot k·r, the other passes offset by 1 or k between neighbouring ranks
 * and turning the V after g1, g2, g3 slots; micro-batch m 6·m slots later; W in each rank's two
 * free slots of every six. V-Half is (2, 1, 1 or 4, 2), V-Min (1, 1, 1 or 3, 1). */
typedef struct zba_block {
    int k, g1, g2, g3;
} zba_block;

/* Writes block b's orders (rank by rank, in slot order); 0 when b is not usable for pb (two
 * actions of a rank in one slot, or pb not on the V placement). */
int zba_block_orders(const zba_problem *pb, const zba_block *b, zba_orders *o);
/* The usable blocks for pb with k in 1..5 and g1, g2, g3 in 1..6 (at most cap). */
size_t zba_blocks(const zba_problem *pb, zba_block *out, size_t cap);

/* ---- the search (zb_auto_search.c) */

typedef struct zba_stats {
    int candidates;    /* greedy runs and seeds scored */
    int replays;       /* local search evaluations */
    int improvements;  /* accepted local moves */
    zba_score heuristic; /* best of the paper's heuristic alone */
    zba_score best;
} zba_stats;

/* The best orders found: the greedy over its choices, ZB-H1/ZB-H2-shaped seeds that fit, then a
 * local search (moves of W, F/I swaps) of at most `budget` evaluations. best is allocated by
 * the caller (zba_orders_alloc). stats may be NULL. */
pps_status zba_solve(const zba_problem *pb, long budget, zba_orders *best, zba_stats *stats,
                     pps_error *err);

/* Default local-search budget: about 2^20 timed actions in all, at most 4000 evaluations, none
 * when that is fewer than 16. */
long zba_default_budget(const zba_problem *pb);

/* ---- the exact search (zb_exact.c) */

typedef struct zbx_result {
    zba_score best;     /* makespan: the optimum when proven, else the best found */
    int proven;         /* 1: the search finished within its node limit */
    long long nodes;    /* search nodes expanded */
    double lower_bound; /* the bound at the start state */
} zbx_result;

/* Branch and bound over all per-rank orders of pb (each kind in micro-batch order) under its
 * memory limit, for the smallest makespan. `incumbent` (allocated for pb) seeds the bound with
 * its orders when they are a valid schedule, and is replaced by any better orders found. Stops
 * after node_limit nodes (proven = 0). At most 255 micro-batches (it is meant for small cases:
 * P <= 4, M <= 8 take seconds to minutes; docs/schedules.md has the figures). */
pps_status zbx_search(const zba_problem *pb, long long node_limit, zba_orders *incumbent,
                      zbx_result *res, pps_error *err);

/* The largest lower bound the search computes on its way to orders o (the decisions that lead
 * to them), or -1 when o is not a valid schedule under pb's limit. Never above o's makespan if
 * the bounds are right: tests check that on many schedules. */
double zbx_path_bound(const zba_problem *pb, const zba_orders *o);

#endif /* PPS_ZB_AUTO_H */
