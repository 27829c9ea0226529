/* zb_auto_search.c — zb-auto's search: the greedy over its choices, ZB-H1/ZB-H2-shaped seeds
 * that fit the memory limit, then a local search that moves W and swaps F and I along the
 * critical path, every candidate scored by its exact step time. */
#include "zb_auto.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The search's state: the problem, a clock with per-op times, and the index of each action's
 * position in the current orders (to follow the critical path across ranks). */
typedef struct search {
    const zba_problem *pb;
    zba_clock k;
    zba_orders cand;
    int32_t *pos;       /* [3·S·M] position of (kind, stage, mb) in its rank's row */
    uint64_t rng;
    long evals, budget;
    zba_stats *stats;
} search;

/* Scores orders: zba_replay always (it checks order and memory and times them exactly when
 * communication overlaps); ppsim's simulator when it does not (--comm sync).
 * Returns 0 when the orders are not a valid schedule under the limit. */
static int score_orders(search *x, const zba_orders *o, zba_score *sc)
{
    if (zba_replay(&x->k, o, sc, NULL) != PPS_OK)
        return 0;
    if (!x->pb->exact_timing && zba_simulate_score(x->pb, o, sc, NULL) != PPS_OK)
        return 0;
    return 1;
}

/* Stage r's ZB-H1-like order: slot x runs F_x, I_{x-a}, W_{x-b} when each index is in [0, M)
 * (REFERENCE: ZB-H1 a = P-1-r, b = P-1; ZB-H2 a = 2(P-1-r), b = 2(P-1)). Loop placement only. */
static void offset_orders(const zba_problem *pb, int ka, int kb, int b_global, zba_orders *o)
{
    const int P = pb->P, M = pb->M;
    for (int r = 0; r < P; r++) {
        int a = ka * (P - 1 - r);
        int b = b_global ? kb * (P - 1) : kb * (P - 1 - r);
        if (b < a)
            b = a;
        zba_op *row = zba_row(o, r);
        size_t n = 0;
        for (int t = 0; t < M + b; t++) {
            if (t < M)
                row[n++] = (zba_op){.stage = r, .mb = t, .kind = PPS_F};
            if (t - a >= 0 && t - a < M)
                row[n++] = (zba_op){.stage = r, .mb = t - a, .kind = PPS_I};
            if (t - b >= 0 && t - b < M)
                row[n++] = (zba_op){.stage = r, .mb = t - b, .kind = PPS_W};
        }
        o->n[r] = n;
    }
}

/* Keeps o in best when it scores better (or when best has none yet). `known` is o's score
 * when the caller has it exactly (a greedy run's own clock), else NULL. */
static void offer(search *x, const zba_orders *o, const zba_score *known, zba_orders *best,
                  zba_score *best_sc, int *have)
{
    zba_score sc;
    x->stats->candidates++;
    if (known && x->pb->exact_timing)
        sc = *known;
    else if (!score_orders(x, o, &sc))
        return;
    if (!*have || zba_score_better(sc, *best_sc)) {
        zba_orders_copy(best, o);
        *best_sc = sc;
        *have = 1;
    }
}

/* The greedy's choices: first the paper's three binary ones (warm-up past the first B, F before
 * an arriving B in the steady state, W in a gap shorter than t_W), then ours: warm-up depth
 * below what memory allows (k·(P-r) micro-batches in flight) and W at a fixed lag behind I
 * (-2 stands for P-1); on the V placement each with either chunk first. */
#define PAPER_CHOICES 8
static size_t greedy_choices(const zba_problem *pb, zba_greedy_params *out)
{
    static const int depths[] = {0, 1, 2}, lags[] = {-1, 0, 1, -2};
    size_t n = 0;
    for (size_t d = 0; d < 3; d++)
        for (size_t l = 0; l < 4; l++)
            for (int c = 0; c < 8; c++)
                for (int lf = 0; lf < pb->v; lf++)
                    out[n++] = (zba_greedy_params){
                        .warmup_overrun = c & 1, .steady_overrun = (c >> 1) & 1,
                        .w_overrun = (c >> 2) & 1, .depth = depths[d],
                        .w_lag = lags[l] == -2 ? pb->P - 1 : lags[l], .later_chunk_first = lf};
    return n;
}
#define MAX_CHOICES (3 * 4 * 8 * 2)

/* The greedy's work is bounded in actions placed: a problem small enough runs every choice;
 * a larger one ranks the choices (the paper's first, as many as fit) on a copy with fewer
 * micro-batches, where warm-up and cool-down, in which the choices differ, are alike, and runs
 * the best few in full. */
#define GRID_ACTIONS (1 << 21)
#define PROXY_ACTIONS (1 << 20)
#define PROXY_KEEP 2

typedef struct ranked {
    zba_score sc;
    size_t choice;
} ranked;

static int ranked_cmp(const void *a, const void *b)
{
    const ranked *x = a, *y = b;
    if (zba_score_better(x->sc, y->sc))
        return -1;
    if (zba_score_better(y->sc, x->sc))
        return 1;
    return (x->choice > y->choice) - (x->choice < y->choice);
}

/* Runs the greedy for the choices that matter and offers each result. */
static pps_status run_greedy(search *x, zba_orders *best, zba_score *best_sc, int *have,
                             pps_error *err)
{
    const zba_problem *pb = x->pb;
    zba_greedy_params gp[MAX_CHOICES];
    size_t n = greedy_choices(pb, gp), paper = PAPER_CHOICES * (size_t)pb->v;
    size_t run[MAX_CHOICES], nrun = 0;
    double actions = 3.0 * pb->S * pb->M;
    if (actions * (double)n <= GRID_ACTIONS) {
        for (size_t i = 0; i < n; i++)
            run[nrun++] = i;
    } else {
        zba_problem proxy;
        zba_clock pk;
        zba_orders po = {0};
        int m = 2 * pb->P < pb->M ? 2 * pb->P : pb->M;
        double proxy_actions = 3.0 * pb->S * m;
        size_t fit = (size_t)(PROXY_ACTIONS / proxy_actions);
        n = fit < paper ? paper : fit < n ? fit : n;
        pps_status st = zba_problem_init(&proxy, pb->P, pb->v, m, pb->cost, err);
        if (st != PPS_OK)
            return st;
        proxy.mem_limit = pb->mem_limit;
        ranked rk[MAX_CHOICES];
        size_t nrk = 0;
        if ((st = zba_clock_init(&pk, &proxy, err)) == PPS_OK &&
            (st = zba_orders_alloc(&po, &proxy, err)) == PPS_OK)
            for (size_t i = 0; i < n; i++)
                if (zba_greedy(&proxy, &gp[i], &pk, &po, NULL) == PPS_OK)
                    rk[nrk++] = (ranked){zba_clock_score(&pk), i};
        zba_orders_free(&po);
        zba_clock_free(&pk);
        zba_problem_free(&proxy);
        if (st != PPS_OK)
            return st;
        qsort(rk, nrk, sizeof *rk, ranked_cmp);
        /* the best of the paper's choices and the best overall */
        for (size_t i = 0; i < nrk && nrun < 1; i++)
            if (rk[i].choice < paper)
                run[nrun++] = rk[i].choice;
        for (size_t i = 0; i < nrk && nrun < PROXY_KEEP; i++)
            if (nrun == 0 || rk[i].choice != run[0])
                run[nrun++] = rk[i].choice;
    }
    for (size_t i = 0; i < nrun; i++) {
        if (zba_greedy(pb, &gp[run[i]], &x->k, &x->cand, NULL) != PPS_OK)
            continue;
        zba_score sc = zba_clock_score(&x->k);
        offer(x, &x->cand, &sc, best, best_sc, have);
        if (run[i] < paper && (isinf(x->stats->heuristic.makespan) ||
                               zba_score_better(sc, x->stats->heuristic)))
            x->stats->heuristic = sc;
    }
    return PPS_OK;
}

/* ------------------------------------------------------------------ local search */

static uint64_t next_rand(search *x)
{
    x->rng ^= x->rng << 13;
    x->rng ^= x->rng >> 7;
    x->rng ^= x->rng << 17;
    return x->rng;
}

static size_t slot_of(const zba_problem *pb, int kind, int stage, int mb)
{
    int k = kind == PPS_F ? 0 : kind == PPS_I ? 1 : 2;
    return ((size_t)k * (size_t)pb->S + (size_t)stage) * (size_t)pb->M + (size_t)mb;
}

/* Moves rank r's action at position i to position j (the others shift). */
static void relocate(zba_orders *o, int r, size_t i, size_t j)
{
    zba_op *row = zba_row(o, r);
    zba_op op = row[i];
    if (i < j)
        memmove(&row[i], &row[i + 1], (j - i) * sizeof op);
    else if (j < i)
        memmove(&row[j + 1], &row[j], (i - j) * sizeof op);
    row[j] = op;
}

/* Tries moving rank r's action i to j in cur; keeps it when the score improves. */
static int try_move(search *x, zba_orders *cur, zba_score *cur_sc, int r, size_t i, size_t j)
{
    if (i == j || j >= cur->n[r] || x->evals >= x->budget)
        return 0;
    zba_orders_copy(&x->cand, cur);
    relocate(&x->cand, r, i, j);
    zba_score sc;
    x->evals++;
    if (!score_orders(x, &x->cand, &sc) || !zba_score_better(sc, *cur_sc))
        return 0;
    zba_orders_copy(cur, &x->cand);
    *cur_sc = sc;
    x->stats->improvements++;
    return 1;
}

/* A move that the critical path suggests: rank r, from position i to j. */
typedef struct move {
    int r;
    size_t i, j;
} move;

/* Walks the critical path of cur backwards from the action that ends last and lists moves that
 * may shorten it: where an action waited for the action before it on its rank (not for data),
 * that one is moved after it (a W that holds up an F or I; an F and I swapped, which changes
 * the warm-up depth). Where a rank waited for data before an action, the W that follows closest
 * is moved into that gap. Times must be in x->k (cur was just replayed). */
static size_t critical_moves(search *x, const zba_orders *cur, move *mv, size_t cap)
{
    const zba_problem *pb = x->pb;
    const zba_clock *k = &x->k;
    size_t nm = 0;
    for (int r = 0; r < pb->P; r++) {
        const zba_op *row = zba_row(cur, r);
        for (size_t i = 0; i < cur->n[r]; i++)
            x->pos[slot_of(pb, row[i].kind, row[i].stage, row[i].mb)] = (int32_t)i;
    }
    int r = 0;
    for (int q = 1; q < pb->P; q++)
        if (k->free_at[q] > k->free_at[r])
            r = q;
    size_t i = cur->n[r] - 1;
    for (;;) {
        const zba_op *op = &zba_row(cur, r)[i];
        size_t at = (size_t)r * cur->per_rank + i;
        double st = k->start[at], tol = 1e-9 * (st > 1 ? st : 1);
        double prev_end = i > 0 ? k->end[at - 1] : 0;
        /* the producer of op's data on another position, if any */
        int dr = -1;
        size_t di = 0;
        if (op->kind == PPS_F && op->stage > 0) {
            dr = pb->rank_of[op->stage - 1];
            di = (size_t)x->pos[slot_of(pb, PPS_F, op->stage - 1, op->mb)];
        } else if (op->kind == PPS_I && op->stage + 1 < pb->S) {
            dr = pb->rank_of[op->stage + 1];
            di = (size_t)x->pos[slot_of(pb, PPS_I, op->stage + 1, op->mb)];
        }
        int rank_bound = i > 0 && st <= prev_end + tol;
        double data = dr >= 0 ? k->end[(size_t)dr * cur->per_rank + di] : 0;
        if (i > 0 && !rank_bound && nm < cap) {
            /* the rank idled before op: a later W could fill the gap */
            const zba_op *row = zba_row(cur, r);
            for (size_t j = i + 1; j < cur->n[r]; j++)
                if (row[j].kind == PPS_W) {
                    mv[nm++] = (move){r, j, i};
                    break;
                }
        }
        if (rank_bound && (dr < 0 || data + tol < st)) {
            const zba_op *p = &zba_row(cur, r)[i - 1];
            if (nm < cap && (p->kind == PPS_W || op->kind != PPS_W))
                mv[nm++] = (move){r, i - 1, i};
            i--;
        } else if (dr >= 0 && dr != r) {
            r = dr;
            i = di;
        } else if (dr >= 0) {
            i = di;
        } else if (i > 0) {
            i--;
        } else {
            break;
        }
        if (nm >= cap)
            break;
    }
    return nm;
}

/* Random moves for when the critical path suggests nothing new: a W shifted by a few
 * positions, or two neighbouring F and I swapped. */
static int random_move(search *x, zba_orders *cur, zba_score *cur_sc)
{
    int r = (int)(next_rand(x) % (uint64_t)x->pb->P);
    size_t n = cur->n[r];
    if (n < 2)
        return 0;
    size_t i = (size_t)(next_rand(x) % n);
    const zba_op *op = &zba_row(cur, r)[i];
    long d = (long)(next_rand(x) % 7) - 3;
    if (op->kind != PPS_W)
        d = d < 0 ? -1 : 1;
    long j = (long)i + d;
    if (j < 0 || (size_t)j >= n)
        return 0;
    return try_move(x, cur, cur_sc, r, i, (size_t)j);
}

/* Consecutive failed random moves after which the search stops (the critical path's own moves
 * are tried once per improvement). */
#define STALE_LIMIT 48

static void local_search(search *x, zba_orders *cur, zba_score *cur_sc)
{
    size_t cap = 4 * (size_t)x->pb->P + 64;
    move *mv = malloc(cap * sizeof *mv);
    if (!mv)
        return; /* the search is an improvement only: without room, keep what we have */
    int stale = 0, fresh = 1;
    while (x->evals < x->budget && stale < STALE_LIMIT) {
        int improved = 0;
        if (fresh) {
            zba_score sc;
            if (zba_replay(&x->k, cur, &sc, NULL) != PPS_OK)
                break;
            size_t nm = critical_moves(x, cur, mv, cap);
            for (size_t m = 0; m < nm && !improved && x->evals < x->budget; m++)
                improved = try_move(x, cur, cur_sc, mv[m].r, mv[m].i, mv[m].j);
            fresh = 0;
        }
        if (!improved)
            improved = random_move(x, cur, cur_sc);
        stale = improved ? 0 : stale + 1;
        fresh = improved;
    }
    free(mv);
}

long zba_default_budget(const zba_problem *pb)
{
    double actions = 3.0 * pb->S * pb->M;
    double b = (double)(1 << 21) / actions;
    /* a handful of moves cannot find much in a large schedule: do not pay for them */
    return b > 4000 ? 4000 : b < 16 ? 0 : (long)b;
}

pps_status zba_solve(const zba_problem *pb, long budget, zba_orders *best, zba_stats *stats,
                     pps_error *err)
{
    zba_stats local_stats = {0};
    search x = {.pb = pb, .rng = 0x9e3779b97f4a7c15ULL, .budget = budget,
                .stats = stats ? stats : &local_stats};
    memset(x.stats, 0, sizeof *x.stats);
    size_t cells = (size_t)pb->S * (size_t)pb->M;
    pps_status st = zba_clock_init(&x.k, pb, err);
    if (st != PPS_OK)
        return st;
    size_t nops = (size_t)pb->P * 3 * (size_t)pb->v * (size_t)pb->M;
    x.k.start = malloc(nops * sizeof *x.k.start);
    x.k.end = malloc(nops * sizeof *x.k.end);
    x.pos = malloc(3 * cells * sizeof *x.pos);
    if (!x.k.start || !x.k.end || !x.pos) {
        st = pps_error_set(err, PPS_ENOMEM, "out of memory for the search");
        goto out;
    }
    if ((st = zba_orders_alloc(&x.cand, pb, err)) != PPS_OK)
        goto out;

    zba_score best_sc = {INFINITY, INFINITY};
    x.stats->heuristic = best_sc;
    int have = 0;
    if ((st = run_greedy(&x, best, &best_sc, &have, err)) != PPS_OK)
        goto out;
    if (!pb->vshape) {
        /* ZB-H1, ZB-H2 and their neighbours, where they fit the limit */
        const int shapes[][3] = {{1, 1, 0}, {1, 1, 1}, {2, 2, 0}, {2, 2, 1}, {1, 2, 1}};
        for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
            offset_orders(pb, shapes[i][0], shapes[i][1], shapes[i][2], &x.cand);
            offer(&x, &x.cand, NULL, best, &best_sc, &have);
        }
    }
    if (!have) {
        zba_sequential(pb, best);
        if (!score_orders(&x, best, &best_sc)) {
            st = pps_error_set(err, PPS_EUNSUPPORTED,
                               "no schedule fits the memory limit of %g bytes per rank",
                               pb->mem_limit);
            goto out;
        }
        have = 1;
    }
    local_search(&x, best, &best_sc);
    x.stats->replays = (int)x.evals;
    x.stats->best = best_sc;
out:
    zba_orders_free(&x.cand);
    free(x.pos);
    zba_clock_free(&x.k);
    return st;
}
