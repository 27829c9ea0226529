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
    zba_op *tmp;        /* [per_rank] scratch of apply */
    pps_batch *batch;   /* the simulator's reusable buffers, */
    pps_schedule *sched; /* the schedule refilled for each candidate, */
    pps_prices prices;  /* priced once: prices depend on stages and kinds only */
    uint64_t rng;
    long evals, budget;
    zba_stats *stats;
} search;

/* Scores orders with ppsim's own simulator (its batch API: the schedule, prices and buffers
 * are reused, so a candidate allocates nothing): the step time, the largest idle time inside a
 * rank's span and the sum of the ranks' end times, from the simulated summary. Returns 0 when
 * the orders are not a valid schedule, deadlock, or hold more than the limit on some rank. */
static int score_orders(search *x, const zba_orders *o, zba_score *sc)
{
    const zba_problem *pb = x->pb;
    if (!zba_orders_ok(&x->k, o) ||
        pps_schedule_reset(x->sched, pb->P, pb->S, pb->M,
                           pb->vshape ? PPS_PLACE_V : PPS_PLACE_LOOP, NULL, NULL) != PPS_OK ||
        zba_orders_to_schedule(o, x->sched, NULL) != PPS_OK)
        return 0;
    const pps_analysis *a;
    if (pps_batch_simulate(x->batch, x->sched, &x->prices, &a, NULL) != PPS_OK)
        return 0;
    *sc = (zba_score){a->makespan, 0, 0};
    for (int r = 0; r < a->ranks; r++) {
        const pps_rank_stats *q = &a->per_rank[r];
        if (q->peak_activation > pb->mem_limit * (1 + 1e-12))
            return 0;
        double idle = q->last_end - q->first_start - q->busy;
        sc->span_idle = idle > sc->span_idle ? idle : sc->span_idle;
        sc->end_sum += q->last_end;
    }
    return 1;
}

/* Keeps o in best when it scores better (or when best has none yet). */
static void offer(search *x, const zba_orders *o, zba_orders *best, zba_score *best_sc,
                  int *have)
{
    zba_score sc;
    x->stats->candidates++;
    if (!score_orders(x, o, &sc))
        return;
    if (!*have || zba_score_better(sc, *best_sc)) {
        zba_orders_copy(best, o);
        *best_sc = sc;
        *have = 1;
    }
}

/* A family of candidates: candidate i's orders into o and their score by the family's own
 * clock into sc (exact for overlapped communication; it ranks candidates on the proxy, the
 * simulator scores them in full); 0 when it is not usable (stuck, or over the memory limit).
 * The first `lead` are the paper's heuristic. */
typedef int (*candidate_fn)(const zba_problem *pb, const void *items, size_t i, zba_clock *k,
                            zba_orders *o, zba_score *sc);

typedef struct family {
    candidate_fn make;
    const void *items;
    size_t n, lead;
} family;

static int greedy_candidate(const zba_problem *pb, const void *items, size_t i, zba_clock *k,
                            zba_orders *o, zba_score *sc)
{
    const zba_greedy_params *gp = (const zba_greedy_params *)items + i;
    if (zba_greedy(pb, gp, k, o, NULL) != PPS_OK)
        return 0;
    *sc = zba_clock_score(k);
    return 1;
}

static int block_candidate(const zba_problem *pb, const void *items, size_t i, zba_clock *k,
                           zba_orders *o, zba_score *sc)
{
    return zba_block_orders(pb, (const zba_block *)items + i, o) &&
           zba_replay(k, o, sc, NULL) == PPS_OK;
}

/* ZB-H1 (1, 1, 1), ZB-H2 (2, 2, 1) and three neighbours. */
static const int offset_shapes[][3] = {{1, 1, 1}, {2, 2, 1}, {1, 1, 0}, {2, 2, 0}, {1, 2, 1}};

static int offset_candidate(const zba_problem *pb, const void *items, size_t i, zba_clock *k,
                            zba_orders *o, zba_score *sc)
{
    const int(*shape)[3] = items;
    zba_offset_orders(pb, shape[i][0], shape[i][1], shape[i][2], o);
    return zba_replay(k, o, sc, NULL) == PPS_OK;
}

/* The greedy's choices: first the paper's three binary ones (warm-up past the first B, F before
 * an arriving B in the steady state, W in a gap shorter than t_W), then ours: warm-up depth
 * below what memory allows (k·(P-r) micro-batches in flight) and W at a fixed lag behind I
 * (-2 stands for P-1); on the V placement each with either chunk first and either admission
 * rule (4 variants: PAPER_CHOICES · 4 lead the list there). */
#define PAPER_CHOICES 8
static size_t greedy_choices(const zba_problem *pb, zba_greedy_params *out)
{
    static const int depths[] = {0, 1, 2}, lags[] = {-1, 0, 1, -2};
    size_t n = 0;
    for (size_t d = 0; d < 3; d++)
        for (size_t l = 0; l < 4; l++)
            for (int c = 0; c < 8; c++)
                for (int vv = 0; vv < (pb->vshape ? 4 : 1); vv++)
                    out[n++] = (zba_greedy_params){
                        .warmup_overrun = c & 1, .steady_overrun = (c >> 1) & 1,
                        .w_overrun = (c >> 2) & 1, .depth = depths[d],
                        .w_lag = lags[l] == -2 ? pb->P - 1 : lags[l],
                        .later_chunk_first = vv & 1, .reserve_all = vv >> 1};
    return n;
}
#define MAX_CHOICES (3 * 4 * 8 * 4)
#define MAX_BLOCKS ((size_t)5 * 6 * 6 * 6)

/* A family's work is bounded in actions placed: a problem small enough runs every candidate;
 * a larger one ranks them (the paper's first, as many as fit) on a copy with fewer
 * micro-batches, where warm-up and cool-down, in which they differ, are alike, and runs the
 * best few in full. */
#define GRID_ACTIONS (1 << 21)
#define PROXY_ACTIONS (1 << 19)
#define PROXY_KEEP 2

typedef struct ranked {
    zba_score sc;
    size_t i;
} ranked;

static int ranked_cmp(const void *a, const void *b)
{
    const ranked *x = a, *y = b;
    if (zba_score_better(x->sc, y->sc))
        return -1;
    if (zba_score_better(y->sc, x->sc))
        return 1;
    return (x->i > y->i) - (x->i < y->i);
}

/* Which of fam's candidates to run on the full problem: all, or the best on a proxy. */
static pps_status choose(const search *x, const family *fam, size_t *run, size_t *nrun,
                         pps_error *err)
{
    const zba_problem *pb = x->pb;
    *nrun = 0;
    if (3.0 * pb->S * pb->M * (double)fam->n <= GRID_ACTIONS) {
        for (size_t i = 0; i < fam->n; i++)
            run[(*nrun)++] = i;
        return PPS_OK;
    }
    zba_problem proxy;
    zba_clock pk;
    zba_orders po = {0};
    int m = 2 * pb->P < pb->M ? 2 * pb->P : pb->M;
    size_t fit = (size_t)(PROXY_ACTIONS / (3.0 * pb->S * m));
    size_t n = fit < fam->lead ? fam->lead : fit < fam->n ? fit : fam->n;
    pps_status st = zba_problem_init(&proxy, pb->P, pb->v, m, pb->cost, err);
    if (st != PPS_OK)
        return st;
    proxy.mem_limit = pb->mem_limit;
    ranked *rk = malloc((n ? n : 1) * sizeof *rk);
    size_t nrk = 0;
    if (!rk)
        st = pps_error_set(err, PPS_ENOMEM, "out of memory for %zu candidates", n);
    if (st == PPS_OK && (st = zba_clock_init(&pk, &proxy, err)) == PPS_OK) {
        if ((st = zba_orders_alloc(&po, &proxy, err)) == PPS_OK)
            for (size_t i = 0; i < n; i++)
                if (fam->make(&proxy, fam->items, i, &pk, &po, &rk[nrk].sc))
                    rk[nrk++].i = i;
        zba_orders_free(&po);
        zba_clock_free(&pk);
    }
    zba_problem_free(&proxy);
    if (st == PPS_OK) {
        qsort(rk, nrk, sizeof *rk, ranked_cmp);
        for (size_t i = 0; i < nrk && *nrun < 1 && fam->lead; i++)
            if (rk[i].i < fam->lead) /* the best of the paper's choices */
                run[(*nrun)++] = rk[i].i;
        for (size_t i = 0; i < nrk && *nrun < PROXY_KEEP; i++)
            if (*nrun == 0 || rk[i].i != run[0])
                run[(*nrun)++] = rk[i].i;
    }
    free(rk);
    return st;
}

/* Runs fam's chosen candidates on the full problem and offers each. */
static pps_status run_family(search *x, const family *fam, zba_orders *best, zba_score *best_sc,
                             int *have, pps_error *err)
{
    size_t *run = malloc((fam->n ? fam->n : 1) * sizeof *run), nrun;
    if (!run)
        return pps_error_set(err, PPS_ENOMEM, "out of memory for %zu candidates", fam->n);
    pps_status st = choose(x, fam, run, &nrun, err);
    for (size_t j = 0; st == PPS_OK && j < nrun; j++) {
        zba_score sc;
        if (!fam->make(x->pb, fam->items, run[j], &x->k, &x->cand, &sc) ||
            !score_orders(x, &x->cand, &sc))
            continue;
        offer(x, &x->cand, best, best_sc, have);
        if (run[j] < fam->lead && (isinf(x->stats->heuristic.makespan) ||
                                   zba_score_better(sc, x->stats->heuristic)))
            x->stats->heuristic = sc;
    }
    free(run);
    return st;
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

/* A move on rank r's order. RELOCATE takes the action at position i to position j (the
 * others shift). DEFER and ADVANCE take the W in positions i..j (inclusive) to the end or the
 * start of that window, keeping every kind in its order: a run of W put off behind the F or I
 * it held up, or pulled forward into a gap. */
enum { RELOCATE, DEFER, ADVANCE };

typedef struct move {
    int r, type;
    size_t i, j;
} move;

static void apply(zba_orders *o, const move *m, zba_op *tmp)
{
    zba_op *row = zba_row(o, m->r);
    if (m->type == RELOCATE) {
        zba_op op = row[m->i];
        if (m->i < m->j)
            memmove(&row[m->i], &row[m->i + 1], (m->j - m->i) * sizeof op);
        else if (m->j < m->i)
            memmove(&row[m->j + 1], &row[m->j], (m->i - m->j) * sizeof op);
        row[m->j] = op;
        return;
    }
    size_t n = 0;
    for (int pass = 0; pass < 2; pass++) /* W first (ADVANCE) or last (DEFER) */
        for (size_t p = m->i; p <= m->j; p++)
            if ((row[p].kind == PPS_W) == ((pass == 0) == (m->type == ADVANCE)))
                tmp[n++] = row[p];
    memcpy(&row[m->i], tmp, n * sizeof *tmp);
}

/* Tries move m on cur. Returns 1 and keeps it when the score improves; keeps it too, but
 * returns 0, one time in four when the step time stays the same (a sideways step: the
 * schedules that differ from a local optimum by several moves are often reached across a
 * plateau of equal step times). */
static int try_move(search *x, zba_orders *cur, zba_score *cur_sc, move m)
{
    if (m.i == m.j || m.i >= cur->n[m.r] || m.j >= cur->n[m.r] || x->evals >= x->budget)
        return 0;
    if (m.type != RELOCATE && m.i > m.j) {
        size_t t = m.i;
        m.i = m.j;
        m.j = t;
    }
    zba_orders_copy(&x->cand, cur);
    apply(&x->cand, &m, x->tmp);
    zba_score sc;
    x->evals++;
    if (!score_orders(x, &x->cand, &sc))
        return 0;
    int better = zba_score_better(sc, *cur_sc);
    if (!better && (zba_score_better(*cur_sc, (zba_score){sc.makespan, 0, 0}) ||
                    next_rand(x) % 4 != 0))
        return 0;
    zba_orders_copy(cur, &x->cand);
    *cur_sc = sc;
    x->stats->improvements += better;
    return better;
}

/* Walks the critical path of cur backwards from the action that ends last and lists moves that
 * may shorten it. Where an action waited for the rank (not for data): the run of W before it is
 * put off behind it, or the F or I before it is swapped with it (a change of warm-up depth).
 * Where the rank idled for data before an action: the next one, two or three W are pulled into
 * the gap. Times must be in x->k (cur was just replayed). */
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
    while (nm + 4 <= cap) {
        const zba_op *row = zba_row(cur, r);
        const zba_op *op = &row[i];
        size_t at = (size_t)r * cur->per_rank + i;
        double st = k->start[at], tol = 1e-9 * (st > 1 ? st : 1);
        double prev_end = i > 0 ? k->end[at - 1] : 0;
        /* the producer of op's data, if any */
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
        if (i > 0 && !rank_bound) {
            /* the rank idled before op: pull the next W into the gap */
            for (size_t j = i + 1, w = 0; j < cur->n[r] && w < 3; j++)
                if (row[j].kind == PPS_W)
                    mv[nm++] = (move){r, w++ ? ADVANCE : RELOCATE, j, i};
        }
        if (rank_bound && (dr < 0 || data + tol < st)) {
            if (row[i - 1].kind == PPS_W && op->kind != PPS_W) {
                size_t a = i - 1;
                while (a > 0 && row[a - 1].kind == PPS_W)
                    a--;
                mv[nm++] = (move){r, DEFER, a, i};
            } else if (op->kind != PPS_W) {
                mv[nm++] = (move){r, RELOCATE, i - 1, i};
            }
            i--;
        } else if (dr >= 0) {
            r = dr;
            i = di;
        } else if (i > 0) {
            i--;
        } else {
            break;
        }
    }
    return nm;
}

/* Random moves for when the critical path suggests nothing new: a window of up to 8 actions
 * whose W are put off or pulled forward, or two neighbouring actions swapped. */
static int random_move(search *x, zba_orders *cur, zba_score *cur_sc)
{
    int r = (int)(next_rand(x) % (uint64_t)x->pb->P);
    size_t n = cur->n[r];
    if (n < 2)
        return 0;
    size_t i = (size_t)(next_rand(x) % n);
    uint64_t c = next_rand(x) % 4;
    if (c == 0)
        return try_move(x, cur, cur_sc, (move){r, RELOCATE, i, i + 1 < n ? i + 1 : i - 1});
    size_t j = i + 1 + (size_t)(next_rand(x) % 8);
    return try_move(x, cur, cur_sc,
                    (move){r, c == 1 ? ADVANCE : DEFER, i, j < n ? j : n - 1});
}

/* Walks from best for x->budget evaluations (moves along the critical path after every step,
 * random ones otherwise) and keeps the best orders seen in best. */
static pps_status local_search(search *x, zba_orders *best, zba_score *best_sc, pps_error *err)
{
    if (x->budget <= 0)
        return PPS_OK;
    size_t cap = 4 * (size_t)x->pb->P + 64;
    move *mv = malloc(cap * sizeof *mv);
    zba_orders cur = {0};
    pps_status st = mv ? zba_orders_alloc(&cur, x->pb, err)
                       : pps_error_set(err, PPS_ENOMEM, "out of memory for the local search");
    if (st != PPS_OK) {
        free(mv);
        return st;
    }
    zba_orders_copy(&cur, best);
    zba_score cur_sc = *best_sc;
    int fresh = 1;
    while (x->evals < x->budget) {
        int stepped = 0;
        zba_score before = cur_sc;
        if (fresh) {
            zba_score sc;
            if (zba_replay(&x->k, &cur, &sc, NULL) != PPS_OK)
                break;
            size_t nm = critical_moves(x, &cur, mv, cap);
            for (size_t m = 0; m < nm && !stepped && x->evals < x->budget; m++)
                stepped = try_move(x, &cur, &cur_sc, mv[m]);
        }
        if (!stepped)
            stepped = random_move(x, &cur, &cur_sc);
        /* a sideways step changes the critical path too */
        fresh = stepped || zba_score_better(before, cur_sc) || zba_score_better(cur_sc, before);
        if (zba_score_better(cur_sc, *best_sc)) {
            zba_orders_copy(best, &cur);
            *best_sc = cur_sc;
        }
    }
    zba_orders_free(&cur);
    free(mv);
    return PPS_OK;
}

long zba_default_budget(const zba_problem *pb)
{
    double actions = 3.0 * pb->S * pb->M;
    double b = (double)(1 << 20) / actions;
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
    x.tmp = malloc(3 * (size_t)pb->v * (size_t)pb->M * sizeof *x.tmp);
    if (!x.k.start || !x.k.end || !x.pos || !x.tmp) {
        st = pps_error_set(err, PPS_ENOMEM, "out of memory for the search");
        goto out;
    }
    if ((st = zba_orders_alloc(&x.cand, pb, err)) != PPS_OK ||
        (st = pps_batch_create(&x.batch, err)) != PPS_OK ||
        (st = pps_schedule_create(pb->P, pb->S, pb->M, pb->vshape ? PPS_PLACE_V : PPS_PLACE_LOOP,
                                  NULL, &x.sched, err)) != PPS_OK ||
        (st = pps_price(x.sched, pb->cost, &x.prices, err)) != PPS_OK)
        goto out;

    zba_score best_sc = {INFINITY, INFINITY, INFINITY};
    x.stats->heuristic = best_sc;
    int have = 0;
    zba_greedy_params choices[MAX_CHOICES];
    family fams[3] = {
        {greedy_candidate, choices, greedy_choices(pb, choices),
         PAPER_CHOICES * (size_t)(pb->vshape ? 4 : 1)},
        {offset_candidate, offset_shapes, pb->vshape ? 0 : 5, 0},
        {block_candidate, NULL, 0, 0},
    };
    zba_block *blocks = NULL;
    if (pb->vshape) {
        blocks = malloc(MAX_BLOCKS * sizeof *blocks);
        if (!blocks) {
            st = pps_error_set(err, PPS_ENOMEM, "out of memory for the building blocks");
            goto out;
        }
        fams[2].items = blocks;
        fams[2].n = zba_blocks(pb, blocks, MAX_BLOCKS);
    }
    for (size_t f = 0; f < 3 && st == PPS_OK; f++)
        st = run_family(&x, &fams[f], best, &best_sc, &have, err);
    free(blocks);
    if (st != PPS_OK)
        goto out;
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
    if ((st = local_search(&x, best, &best_sc, err)) != PPS_OK)
        goto out;
    x.stats->replays = (int)x.evals;
    x.stats->best = best_sc;
out:
    pps_prices_clear(&x.prices);
    pps_schedule_destroy(x.sched);
    pps_batch_destroy(x.batch);
    zba_orders_free(&x.cand);
    free(x.pos);
    free(x.tmp);
    zba_clock_free(&x.k);
    return st;
}
