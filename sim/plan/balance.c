/* balance.c — stage balancing: the contiguous partition of layers into stages (any placement:
 * loop with v chunks, or V) with the lowest simulated step time, against the even split
 * (docs/planner.md, "Stage balancing"). */
#include "plan/plan.h"

#include <stdlib.h>
#include <string.h>

/* Default simulations per balancing. */
#define DEFAULT_EVALS 32

/* t_F + t_I + t_W of one micro-batch: what a piece adds to its stage's and rank's work. */
static double work(const pps_piece_costs *c)
{
    return c->tf + c->ti + c->tw;
}

/* Work of the embedding and LM head on stage s of S. */
static double stage_extra(const pps_model *m, const pps_model_costs *mc, int s, int S)
{
    double x = 0;
    if (s == (m->embedding_last ? S - 1 : 0))
        x += work(&mc->embedding);
    if (s == (m->lm_head_first ? 0 : S - 1))
        x += work(&mc->lm_head);
    return x;
}

static double stage_load(const pps_model *m, const pps_model_costs *mc, const pps_partition *p,
                         int s)
{
    return p->layers[s] * work(&mc->layer) + stage_extra(m, mc, s, p->stages);
}

/* The stage of rank r whose load stays least with one more layer; -1 when r has none. */
static int lightest_stage(const pps_model *m, const pps_model_costs *mc, const pps_partition *p,
                          int r)
{
    int best = -1;
    double best_load = 0;
    for (int s = 0; s < p->stages; s++) {
        if (p->stage_rank[s] != r)
            continue;
        double load = stage_load(m, mc, p, s);
        if (best < 0 || load < best_load) {
            best = s;
            best_load = load;
        }
    }
    return best;
}

void ppsp_partition_proxy(const pps_model *m, const pps_model_costs *mc, pps_partition *p)
{
    const int S = p->stages, R = p->ranks;
    double *rank_load = calloc((size_t)R, sizeof *rank_load);
    if (!rank_load)
        return; /* p stays as it was: a valid partition */
    for (int s = 0; s < S; s++) { /* every stage holds at least one layer */
        p->layers[s] = 1;
        rank_load[p->stage_rank[s]] += stage_load(m, mc, p, s);
    }
    /* Water-filling: each further layer goes to the rank whose load is least, then to that
     * rank's least loaded stage. With identical layers this minimises the largest rank load,
     * and within a rank the largest stage load. */
    for (int k = S; k < m->layers; k++) {
        int r = 0;
        for (int q = 1; q < R; q++)
            if (rank_load[q] < rank_load[r])
                r = q;
        int s = lightest_stage(m, mc, p, r);
        p->layers[s]++;
        rank_load[r] += work(&mc->layer);
    }
    free(rank_load);
}

/* 1 when a is preferred to b: within the limit before over it; then the faster (or, over the
 * limit, the smaller); at equal step time the smaller peak. */
static int better(const pps_plan_eval *a, const pps_plan_eval *b, double limit)
{
    int fa = limit <= 0 || a->peak_bytes <= limit, fb = limit <= 0 || b->peak_bytes <= limit;
    if (fa != fb)
        return fa;
    if (!fa)
        return a->peak_bytes < b->peak_bytes;
    const double rel = 1e-12; /* step times that differ by rounding only are equal */
    if (a->step_time < b->step_time * (1 - rel))
        return 1;
    if (a->step_time > b->step_time * (1 + rel))
        return 0;
    return a->peak_bytes < b->peak_bytes;
}

/* The search state: the best partition and its evaluation so far. */
typedef struct search {
    ppsp_eval *ev;
    double limit;
    int budget;         /* simulations left */
    int *best_layers;   /* [stages] */
    pps_plan_eval best; /* owned */
    int have_best;
} search;

/* Simulates p; keeps it when it beats the best. Returns 1 when it became the best. */
static int try_partition(search *sr, const pps_partition *p, pps_status *st, pps_error *err)
{
    pps_plan_eval e;
    sr->budget--;
    *st = ppsp_eval_run(sr->ev, p, &e, err);
    if (*st != PPS_OK)
        return 0;
    if (sr->have_best && !better(&e, &sr->best, sr->limit)) {
        pps_plan_eval_clear(&e);
        return 0;
    }
    pps_plan_eval_clear(&sr->best);
    sr->best = e;
    sr->have_best = 1;
    memcpy(sr->best_layers, p->layers, (size_t)p->stages * sizeof *p->layers);
    return 1;
}

/* Number of compositions of L layers into S non-empty stages, C(L−1, S−1), or cap + 1 when
 * larger than cap. */
static long compositions(int L, int S, long cap)
{
    long c = 1;
    int n = L - 1, k = S - 1;
    if (k > n - k)
        k = n - k;
    for (int i = 1; i <= k; i++) {
        c = c * (n - k + i) / i; /* exact: c is C(n−k+i, i) after this step */
        if (c > cap)
            return cap + 1;
    }
    return c;
}

/* Every composition: stage s gets 1..(left − later stages) layers. */
static pps_status every_partition(search *sr, pps_partition *p, int s, int left, pps_error *err)
{
    pps_status st = PPS_OK;
    if (s == p->stages - 1) {
        p->layers[s] = left;
        try_partition(sr, p, &st, err);
        return st;
    }
    for (int n = 1; n <= left - (p->stages - 1 - s) && st == PPS_OK; n++) {
        p->layers[s] = n;
        st = every_partition(sr, p, s + 1, left - n, err);
    }
    return st;
}

/* A move of one layer across the boundary after stage `at`: to the later stage (dir +1) or
 * from it (dir −1), with the largest rank load and stage load it leaves, for ordering. */
typedef struct move {
    int at, dir;
    double rank_max, stage_max;
} move;

static int cmp_move(const void *a, const void *b)
{
    const move *x = a, *y = b;
    if (x->rank_max != y->rank_max)
        return x->rank_max < y->rank_max ? -1 : 1;
    if (x->stage_max != y->stage_max)
        return x->stage_max < y->stage_max ? -1 : 1;
    return (x->at - y->at) * 2 + (x->dir - y->dir);
}

static void apply_move(pps_partition *p, const move *mv, int sign)
{
    p->layers[mv->at] -= mv->dir * sign;
    p->layers[mv->at + 1] += mv->dir * sign;
}

/* Largest rank and stage loads of p. */
static void loads(const ppsp_eval *ev, const pps_partition *p, double *ranks_buf,
                  double *rank_max, double *stage_max)
{
    memset(ranks_buf, 0, (size_t)p->ranks * sizeof *ranks_buf);
    *stage_max = 0;
    for (int s = 0; s < p->stages; s++) {
        double x = stage_load(ev->m, &ev->mc, p, s);
        ranks_buf[p->stage_rank[s]] += x;
        if (x > *stage_max)
            *stage_max = x;
    }
    *rank_max = 0;
    for (int r = 0; r < p->ranks; r++)
        if (ranks_buf[r] > *rank_max)
            *rank_max = ranks_buf[r];
}

/* First-improvement descent: moves ordered by the loads they leave, the simulator decides. */
static pps_status local_search(search *sr, pps_partition *p, pps_error *err)
{
    const int S = p->stages;
    move *moves = malloc(2 * (size_t)S * sizeof *moves);
    double *buf = malloc((size_t)p->ranks * sizeof *buf);
    pps_status st = PPS_OK;
    if (!moves || !buf) {
        free(moves);
        free(buf);
        return pps_error_set(err, PPS_ENOMEM, "balance: out of memory");
    }
    int improved = 1;
    while (improved && sr->budget > 0 && st == PPS_OK) {
        improved = 0;
        memcpy(p->layers, sr->best_layers, (size_t)S * sizeof *p->layers);
        size_t n = 0;
        for (int at = 0; at + 1 < S; at++)
            for (int dir = -1; dir <= 1; dir += 2) {
                int donor = dir > 0 ? at : at + 1;
                if (p->layers[donor] < 2)
                    continue;
                move mv = {at, dir, 0, 0};
                apply_move(p, &mv, 1);
                loads(sr->ev, p, buf, &mv.rank_max, &mv.stage_max);
                apply_move(p, &mv, -1);
                moves[n++] = mv;
            }
        qsort(moves, n, sizeof *moves, cmp_move);
        for (size_t i = 0; i < n && sr->budget > 0 && !improved && st == PPS_OK; i++) {
            apply_move(p, &moves[i], 1);
            improved = try_partition(sr, p, &st, err);
            apply_move(p, &moves[i], -1);
        }
    }
    free(moves);
    free(buf);
    return st;
}

pps_status ppsp_balance(ppsp_eval *ev, pps_partition *p, double memory_limit, int max_evals,
                        pps_plan_eval *out, pps_error *err)
{
    memset(out, 0, sizeof *out);
    search sr = {.ev = ev, .limit = memory_limit,
                 .budget = max_evals > 0 ? max_evals : DEFAULT_EVALS};
    sr.best_layers = malloc((size_t)p->stages * sizeof *sr.best_layers);
    int *given = malloc((size_t)p->stages * sizeof *given);
    if (!sr.best_layers || !given) {
        free(sr.best_layers);
        free(given);
        return pps_error_set(err, PPS_ENOMEM, "balance: out of memory");
    }
    memcpy(given, p->layers, (size_t)p->stages * sizeof *given);
    pps_status st = PPS_OK;
    if (compositions(ev->m->layers, p->stages, sr.budget) <= sr.budget) {
        st = every_partition(&sr, p, 0, ev->m->layers, err);
    } else {
        try_partition(&sr, p, &st, err);
        ppsp_partition_proxy(ev->m, &ev->mc, p);
        if (st == PPS_OK && memcmp(p->layers, given, (size_t)p->stages * sizeof *given) != 0)
            try_partition(&sr, p, &st, err);
        if (st == PPS_OK)
            st = local_search(&sr, p, err);
    }
    if (st == PPS_OK) {
        memcpy(p->layers, sr.best_layers, (size_t)p->stages * sizeof *p->layers);
        *out = sr.best;
    } else {
        memcpy(p->layers, given, (size_t)p->stages * sizeof *p->layers);
        pps_plan_eval_clear(&sr.best);
    }
    free(sr.best_layers);
    free(given);
    return st;
}

pps_status pps_balance(const pps_model *m, const pps_layout *l, const pps_generator *g,
                       pps_partition *p, double memory_limit, int max_evals, pps_plan_eval *out,
                       pps_error *err)
{
    memset(out, 0, sizeof *out);
    ppsp_eval ev;
    pps_status st = ppsp_eval_init(&ev, m, l, g, err);
    if (st == PPS_OK)
        st = ppsp_balance(&ev, p, memory_limit, max_evals, out, err);
    ppsp_eval_clear(&ev);
    if (st != PPS_OK)
        pps_plan_eval_clear(out);
    return st;
}
