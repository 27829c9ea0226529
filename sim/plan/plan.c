/* plan.c — `ppsim plan`'s search: every schedule × micro-batch size (hence M) × v ×
 * recomputation × PP/TP/DP split of a model on N GPUs, each simulated under its derived costs
 * on worker threads; those over the memory limit dropped; the fastest balanced and returned
 * (docs/planner.md). */
#include "plan/plan.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* v tried for multi-chunk rows unless the caller lists others. */
static const int default_chunks[] = {2, 4};
/* Micro-batch sizes tried when neither the caller nor the model fixes one. */
static const int default_micro_batches[] = {1, 2, 4};
/* Candidates refined by balancing: at least this many, or twice the number returned. */
#define MIN_REFINED 8

const char *pps_plan_reject_name(pps_plan_reject r)
{
    switch (r) {
    case PPS_REJECT_MEMORY: return "over the memory limit";
    case PPS_REJECT_STATIC: return "parameters and optimizer state over the limit";
    case PPS_REJECT_SCHEDULE: return "refused by the schedule";
    case PPS_REJECT_LAYERS: return "more stages than layers";
    case PPS_REJECT_TP: return "tp does not divide heads, kv_heads or ffn_hidden";
    case PPS_REJECT_BATCH: return "dp x micro-batch does not divide the global batch";
    case PPS_REJECT_RECOMPUTE: return "full recomputation with a split backward";
    case PPS_REJECT_COUNT: break;
    }
    return "?";
}

/* One configuration and what became of it. */
typedef struct config {
    const pps_generator *g;
    pps_layout l;
    int outcome;             /* OUT_*, or a pps_plan_reject */
    int simulated;
    double bound;            /* seconds: no schedule runs its first partition faster */
    pps_partition *part;     /* its partition (kept for the fits) */
    pps_plan_eval eval;      /* fits */
    double even_step_time;   /* refined ones: step time of the even split */
} config;

enum { OUT_OPEN = -3, OUT_BOUND = -2, OUT_FITS = -1 };

typedef struct planner {
    const pps_model *m;      /* with the global batch as the options say */
    const pps_plan_options *o;
    double limit;
    config *cfg;
    size_t ncfg;
    size_t *run;             /* [nrun + 1]: run k is cfg[run[k] .. run[k + 1]) */
    size_t nrun;
    size_t *run_order;       /* [nrun]: runs by their least bound */
    config **order;          /* phase 2: the fits, fastest first */
    size_t nrefine;          /* candidates balanced: max(2 top, MIN_REFINED) */
    /* the worker pool, under lock */
    pthread_mutex_t lock;
    size_t next, done, total;
    int phase;               /* 1: evaluate every config; 2: refine order[0..nrefine) */
    double *best;            /* [nrefine]: the fastest step times so far, ascending */
    size_t nbest;
    pps_status st;           /* the first failure */
    pps_error err;
} planner;

/* ------------------------------------------------------------------ one configuration */

/* The most activation every rank may hold under partition p: the limit less the largest
 * static part. Rows that read costs (zb-auto) schedule within it. */
static double act_budget(const planner *pl, ppsp_eval *ev, const pps_partition *p,
                         double *stat, double *dp)
{
    pps_model_rank_static(pl->m, &ev->l, &ev->mc, p, stat, dp);
    double most = 0;
    for (int r = 0; r < p->ranks; r++)
        if (stat[r] > most)
            most = stat[r];
    return pl->limit - most;
}

/* The step time a configuration must beat to enter the refined set: the nrefine-th fastest so
 * far, or infinity. */
static double threshold(planner *pl)
{
    pthread_mutex_lock(&pl->lock);
    double t = pl->nbest == pl->nrefine && pl->nrefine > 0 ? pl->best[pl->nbest - 1] : INFINITY;
    pthread_mutex_unlock(&pl->lock);
    return t;
}

/* Keeps step among the nrefine fastest so far. */
static void record_fit(planner *pl, double step)
{
    pthread_mutex_lock(&pl->lock);
    size_t n = pl->nbest < pl->nrefine ? pl->nbest + 1 : pl->nrefine;
    if (n > 0 && (pl->nbest < pl->nrefine || step < pl->best[n - 1])) {
        size_t i = n - 1; /* the slot filled: slower ones move up, the slowest drops out */
        while (i > 0 && pl->best[i - 1] > step) {
            pl->best[i] = pl->best[i - 1];
            i--;
        }
        pl->best[i] = step;
        pl->nbest = n;
    }
    pthread_mutex_unlock(&pl->lock);
}

/* A lower bound on the step time of c under partition p's costs, whatever the schedule: rank r
 * cannot start before the first micro-batch's forward reaches its earliest stage (the forwards
 * of the stages before it, free transfers), then computes M · Σ (t_F + t_B) over its stages,
 * then all-reduces its gradients. */
static double step_bound(const pps_cost *c, const pps_partition *p, int M, const double *dp)
{
    double bound = 0;
    for (int r = 0; r < p->ranks; r++) {
        double before = 0, start = INFINITY, busy = 0;
        for (int s = 0; s < p->stages; s++) {
            pps_stage_cost x = pps_cost_of_stage(c, s);
            if (p->stage_rank[s] == r) {
                if (before < start)
                    start = before;
                busy += M * (x.tf + x.tb);
            }
            before += x.tf;
        }
        double b = (isfinite(start) ? start : 0) + busy + dp[r];
        if (b > bound)
            bound = b;
    }
    return bound;
}

/* The checks that need no schedule: the layout, the row's constraints, the static memory of
 * the first partition (built here: balanced by work, or even), and the lower bound. */
static pps_status prepare(const planner *pl, config *c, pps_error *err)
{
    pps_plan_reject why = ppsp_layout_reject(pl->m, &c->l);
    if (why != PPS_REJECT_COUNT) {
        c->outcome = (int)why;
        return PPS_OK;
    }
    pps_model_costs mc;
    pps_status st = pps_model_derive(pl->m, &c->l, &mc, err);
    if (st != PPS_OK)
        return st;
    pps_gen_params gp = {.ranks = c->l.pp, .chunks = c->l.chunks,
                         .microbatches = mc.microbatches};
    if (c->g->check && c->g->check(&gp, NULL) != PPS_OK) {
        c->outcome = PPS_REJECT_SCHEDULE;
        return PPS_OK;
    }
    st = pps_partition_create(pl->m->layers, c->l.pp * c->l.chunks, c->l.pp, c->g->placement,
                              &c->part, err);
    if (st != PPS_OK)
        return st;
    if (!pl->o->even_split)
        ppsp_partition_proxy(pl->m, &mc, c->part);
    double *stat = malloc((size_t)c->l.pp * sizeof *stat);
    double *dp = malloc((size_t)c->l.pp * sizeof *dp);
    pps_cost cost;
    pps_cost_init(&cost);
    if (!stat || !dp)
        st = pps_error_set(err, PPS_ENOMEM, "plan: out of memory");
    if (st == PPS_OK) {
        /* Parameters and optimizer state alone over the limit: nothing more to compute. */
        pps_model_rank_static(pl->m, &c->l, &mc, c->part, stat, dp);
        for (int r = 0; r < c->l.pp; r++)
            if (stat[r] > pl->limit)
                c->outcome = PPS_REJECT_STATIC;
    }
    if (st == PPS_OK && c->outcome == OUT_OPEN) {
        pps_cost_clear(&cost);
        st = pps_model_stage_costs(pl->m, &c->l, &mc, c->part, &cost, err);
        if (st == PPS_OK)
            c->bound = step_bound(&cost, c->part, mc.microbatches, dp);
    }
    pps_cost_clear(&cost);
    free(stat);
    free(dp);
    if (c->outcome != OUT_OPEN) {
        pps_partition_destroy(c->part);
        c->part = NULL;
    }
    return st;
}

/* Evaluates configuration c (prepared, with its partition) with ev, which holds its schedule
 * and costs. Reasons are tried in the order: recomputation with a split backward, peak
 * memory. */
static pps_status evaluate(planner *pl, config *c, ppsp_eval *ev, pps_error *err)
{
    if (c->bound > threshold(pl)) {
        c->outcome = OUT_BOUND; /* it cannot enter the refined set */
        return PPS_OK;
    }
    pps_status st = PPS_OK;
    double *stat = malloc((size_t)c->l.pp * sizeof *stat);
    double *dp = malloc((size_t)c->l.pp * sizeof *dp);
    if (!stat || !dp)
        st = pps_error_set(err, PPS_ENOMEM, "plan: out of memory");
    if (st == PPS_OK) {
        ev->act_budget = act_budget(pl, ev, c->part, stat, dp);
        ev->screening = 1; /* zb-auto's heuristic alone; the refined ones search */
    }
    /* A row's backward split does not change with the costs (zb-auto and zb-v-auto always
     * split): once the run has built its schedule, full recomputation is refused unbuilt. */
    if (st == PPS_OK && ev->sched && ev->split_backward &&
        c->l.recompute == PPS_RECOMPUTE_FULL)
        c->outcome = PPS_REJECT_RECOMPUTE;
    if (st == PPS_OK && c->outcome == OUT_OPEN) {
        /* Peak memory follows from the program alone: over the limit, no simulation. */
        st = ppsp_eval_peaks(ev, c->part, dp, err);
        if (st == PPS_EUNSUPPORTED) { /* zb-auto: no schedule within the budget */
            c->outcome = PPS_REJECT_MEMORY;
            st = PPS_OK;
        }
    }
    if (st == PPS_OK && c->outcome == OUT_OPEN && ev->split_backward &&
        c->l.recompute == PPS_RECOMPUTE_FULL)
        /* W would need the recomputed tensors from I to W; the memory model holds less than
         * what F leaves (docs/cost-model.md). */
        c->outcome = PPS_REJECT_RECOMPUTE;
    for (int r = 0; st == PPS_OK && c->outcome == OUT_OPEN && r < c->l.pp; r++)
        if (stat[r] + dp[r] > pl->limit)
            c->outcome = PPS_REJECT_MEMORY;
    if (st == PPS_OK && c->outcome == OUT_OPEN) {
        c->simulated = 1;
        st = ppsp_eval_run(ev, c->part, &c->eval, err);
        if (st == PPS_OK)
            c->outcome = c->eval.peak_bytes > pl->limit ? PPS_REJECT_MEMORY : OUT_FITS;
        if (c->outcome == OUT_FITS)
            record_fit(pl, c->eval.step_time);
    }
    free(stat);
    free(dp);
    if (st != PPS_OK || c->outcome != OUT_FITS) {
        pps_partition_destroy(c->part);
        c->part = NULL;
        pps_plan_eval_clear(&c->eval);
    }
    return st;
}

/* Evaluates the open configurations of run k: consecutive ones that share a schedule (row, pp,
 * v and M), which is generated once for them. */
static pps_status evaluate_run(planner *pl, size_t k, pps_error *err)
{
    ppsp_eval ev;
    int have = 0, refused = 0;
    pps_status st = PPS_OK;
    for (size_t i = pl->run[k]; i < pl->run[k + 1] && st == PPS_OK; i++) {
        config *c = &pl->cfg[i];
        if (c->outcome != OUT_OPEN)
            continue;
        if (!refused)
            st = have ? ppsp_eval_relayout(&ev, &c->l, err)
                      : ppsp_eval_init(&ev, pl->m, &c->l, c->g, err);
        if (refused || (!have && st == PPS_EUNSUPPORTED)) {
            refused = 1; /* the row refuses (P, v, M): every configuration of the run */
            c->outcome = PPS_REJECT_SCHEDULE;
            pps_partition_destroy(c->part);
            c->part = NULL;
            st = PPS_OK;
            continue;
        }
        have |= st == PPS_OK;
        if (st == PPS_OK)
            st = evaluate(pl, c, &ev, err);
    }
    if (have)
        ppsp_eval_clear(&ev);
    return st;
}

/* Balances a fitting configuration's stages and records the even split's step time. A row
 * that reads costs is balanced with its schedule for the first partition held fixed, then
 * generated again, with its full search, for the partition found. */
static pps_status refine(const planner *pl, config *c, pps_error *err)
{
    ppsp_eval ev;
    pps_partition *even = NULL;
    pps_plan_eval e = {0};
    double *stat = malloc((size_t)c->l.pp * sizeof *stat);
    double *dp = malloc((size_t)c->l.pp * sizeof *dp);
    pps_status st = ppsp_eval_init(&ev, pl->m, &c->l, c->g, err);
    if (st == PPS_OK && (!stat || !dp))
        st = pps_error_set(err, PPS_ENOMEM, "plan: out of memory");
    if (st == PPS_OK)
        st = pps_partition_create(pl->m->layers, c->part->stages, c->part->ranks,
                                  c->g->placement, &even, err);
    if (st == PPS_OK) {
        ev.act_budget = act_budget(pl, &ev, even, stat, dp);
        st = ppsp_eval_run(&ev, even, &e, err);
        if (st == PPS_EUNSUPPORTED) { /* zb-auto finds nothing within the even split's budget */
            e.step_time = INFINITY;
            st = PPS_OK;
        }
        c->even_step_time = e.step_time;
        pps_plan_eval_clear(&e);
    }
    if (st == PPS_OK && !pl->o->even_split) {
        /* With even_split, c->part is the even split: nothing to balance. */
        ev.act_budget = act_budget(pl, &ev, c->part, stat, dp);
        st = ppsp_eval_peaks(&ev, c->part, dp, err); /* builds zb-auto for this partition */
        ev.frozen = 1;
        if (st == PPS_OK)
            st = ppsp_balance(&ev, c->part, pl->limit, pl->o->max_evals, &e, err);
        ev.frozen = 0;
        if (st == PPS_OK && ppsp_reads_cost(c->g)) {
            pps_plan_eval_clear(&e);
            ev.act_budget = act_budget(pl, &ev, c->part, stat, dp);
            st = ppsp_eval_run(&ev, c->part, &e, err);
        }
    } else if (st == PPS_OK && ppsp_reads_cost(c->g)) {
        ev.act_budget = act_budget(pl, &ev, c->part, stat, dp);
        st = ppsp_eval_run(&ev, c->part, &e, err);
    }
    if (st == PPS_OK && e.rank_act) {
        pps_plan_eval_clear(&c->eval);
        c->eval = e;
    } else {
        pps_plan_eval_clear(&e);
    }
    pps_partition_destroy(even);
    if (ev.m)
        ppsp_eval_clear(&ev);
    free(stat);
    free(dp);
    return st;
}

/* ------------------------------------------------------------------ worker pool */

static void *worker(void *arg)
{
    planner *pl = arg;
    for (;;) {
        pthread_mutex_lock(&pl->lock);
        size_t n = pl->phase == 1 ? pl->nrun : pl->nrefine;
        size_t i = pl->st == PPS_OK && pl->next < n ? pl->next++ : n;
        pthread_mutex_unlock(&pl->lock);
        if (i >= n)
            return NULL;
        pps_error err = {0};
        pps_status st = pl->phase == 1 ? evaluate_run(pl, pl->run_order[i], &err)
                                       : refine(pl, pl->order[i], &err);
        pthread_mutex_lock(&pl->lock);
        if (st != PPS_OK && pl->st == PPS_OK) {
            pl->st = st;
            pl->err = err;
        }
        pl->done += pl->phase == 1 ? pl->run[i + 1] - pl->run[i] : 1;
        if (pl->o->progress)
            pl->o->progress(pl->o->progress_ctx, pl->done, pl->total);
        pthread_mutex_unlock(&pl->lock);
    }
}

/* Runs the current phase on the caller's thread plus threads − 1 more. */
static pps_status run_phase(planner *pl, int phase, pps_error *err)
{
    pl->phase = phase;
    pl->next = 0;
    int n = pl->o->threads > 1 ? pl->o->threads : 1;
    pthread_t *tid = calloc((size_t)n, sizeof *tid);
    int started = 0;
    if (!tid)
        return pps_error_set(err, PPS_ENOMEM, "plan: out of memory");
    for (int k = 1; k < n; k++)
        if (pthread_create(&tid[k], NULL, worker, pl) == 0)
            started++;
        else
            break;
    worker(pl);
    for (int k = 1; k <= started; k++)
        pthread_join(tid[k], NULL);
    free(tid);
    if (pl->st != PPS_OK) {
        if (err)
            *err = pl->err;
        return pl->st;
    }
    return PPS_OK;
}

/* ------------------------------------------------------------------ the search space */

static int in_list(int v, const int *list, size_t n)
{
    if (n == 0)
        return 1;
    for (size_t i = 0; i < n; i++)
        if (list[i] == v)
            return 1;
    return 0;
}

/* The v a row is tried with: 1 for one-stage-per-rank rows; otherwise those of the list the row
 * accepts (probed on 4 ranks and 64 micro-batches per chunk, where every row's constraints on
 * M hold). Returns the count written to out (room for nlist). */
static size_t row_chunks(const pps_generator *g, const int *list, size_t nlist, int *out)
{
    if (g->default_chunks <= 1) {
        out[0] = 1;
        return 1;
    }
    size_t n = 0;
    for (size_t i = 0; i < nlist; i++) {
        if (list[i] < 2)
            continue;
        pps_gen_params p = {.ranks = 4, .chunks = list[i], .microbatches = 64 * list[i]};
        pps_error err;
        if (!g->check || g->check(&p, &err) == PPS_OK)
            out[n++] = list[i];
    }
    return n;
}

static pps_status enumerate(planner *pl, pps_error *err)
{
    const pps_model *m = pl->m;
    const pps_plan_options *o = pl->o;
    const int N = o->gpus;
    const int *chunks = o->nchunks ? o->chunks : default_chunks;
    size_t nchunks = o->nchunks ? o->nchunks : sizeof default_chunks / sizeof *default_chunks;
    int model_mb = m->micro_batch;
    const int *mbs = o->nmicro_batch ? o->micro_batch : model_mb ? &model_mb
                                                                 : default_micro_batches;
    size_t nmbs = o->nmicro_batch ? o->nmicro_batch : model_mb ? 1
                  : sizeof default_micro_batches / sizeof *default_micro_batches;
    int mask = o->recompute_mask ? o->recompute_mask
               : m->recompute >= 0 ? 1 << m->recompute : (1 << PPS_RECOMPUTE_COUNT) - 1;
    size_t ngens = o->ngens ? o->ngens : pps_generator_count();
    int *vs = malloc((nchunks + 1) * sizeof *vs);
    if (!vs)
        return pps_error_set(err, PPS_ENOMEM, "plan: out of memory");

    /* Two passes: count, then fill. */
    for (int pass = 0; pass < 2; pass++) {
        size_t k = 0;
        for (int tp = 1; tp <= N; tp++) {
            /* TP stays inside a node unless the caller asks for more. */
            if (N % tp || !in_list(tp, o->tp, o->ntp) ||
                (o->ntp == 0 && tp > m->gpus_per_node))
                continue;
            for (int pp = 1; pp <= N / tp; pp++) {
                if ((N / tp) % pp || !in_list(pp, o->pp, o->npp))
                    continue;
                for (size_t gi = 0; gi < ngens; gi++) {
                    const pps_generator *g = o->ngens ? o->gens[gi] : pps_generator_at(gi);
                    size_t nv = row_chunks(g, chunks, nchunks, vs);
                    for (size_t vi = 0; vi < nv; vi++)
                        for (size_t bi = 0; bi < nmbs; bi++)
                            for (int rc = 0; rc < PPS_RECOMPUTE_COUNT; rc++) {
                                if (!(mask & (1 << rc)))
                                    continue;
                                if (pass == 1) {
                                    config *c = &pl->cfg[k];
                                    memset(c, 0, sizeof *c);
                                    c->g = g;
                                    c->l = (pps_layout){
                                        .pp = pp, .tp = tp, .dp = N / tp / pp, .chunks = vs[vi],
                                        .micro_batch = mbs[bi], .recompute = (pps_recompute)rc,
                                        .sequence_parallel = o->sequence_parallel >= 0
                                                                 ? o->sequence_parallel
                                                                 : m->sequence_parallel,
                                        .zero1 = m->zero1};
                                    c->outcome = OUT_OPEN;
                                }
                                k++;
                            }
                }
            }
        }
        if (pass == 0) {
            pl->cfg = calloc(k ? k : 1, sizeof *pl->cfg);
            if (!pl->cfg) {
                free(vs);
                return pps_error_set(err, PPS_ENOMEM, "plan: out of memory for %zu "
                                     "configurations", k);
            }
            pl->ncfg = k;
        }
    }
    free(vs);
    /* Runs: consecutive configurations with one schedule (same row, pp, v and M). */
    pl->run = malloc((pl->ncfg + 1) * sizeof *pl->run);
    if (!pl->run)
        return pps_error_set(err, PPS_ENOMEM, "plan: out of memory");
    for (size_t i = 0; i < pl->ncfg; i++) {
        const config *a = &pl->cfg[i], *b = i ? &pl->cfg[i - 1] : NULL;
        long ma = m->global_batch / ((long)a->l.dp * a->l.micro_batch);
        if (!b || a->g != b->g || a->l.pp != b->l.pp || a->l.chunks != b->l.chunks ||
            ma != m->global_batch / ((long)b->l.dp * b->l.micro_batch))
            pl->run[pl->nrun++] = i;
    }
    pl->run[pl->nrun] = pl->ncfg;
    return PPS_OK;
}

static int cmp_fit(const void *a, const void *b)
{
    const config *x = *(config *const *)a, *y = *(config *const *)b;
    if (x->eval.step_time != y->eval.step_time)
        return x->eval.step_time < y->eval.step_time ? -1 : 1;
    if (x->eval.peak_bytes != y->eval.peak_bytes)
        return x->eval.peak_bytes < y->eval.peak_bytes ? -1 : 1;
    return x < y ? -1 : x > y; /* enumeration order: deterministic */
}

/* ------------------------------------------------------------------ pps_plan */

void pps_plan_result_clear(pps_plan_result *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->nbest; i++) {
        pps_partition_destroy(r->best[i].partition);
        pps_plan_eval_clear(&r->best[i].eval);
    }
    free(r->best);
    memset(r, 0, sizeof *r);
}

static void free_configs(planner *pl)
{
    for (size_t i = 0; i < pl->ncfg; i++) {
        pps_partition_destroy(pl->cfg[i].part);
        pps_plan_eval_clear(&pl->cfg[i].eval);
    }
    free(pl->cfg);
    free(pl->run);
    free(pl->run_order);
    free(pl->order);
    free(pl->best);
}

/* Moves the n fastest fits into out->best. */
static pps_status take_best(planner *pl, size_t nfits, pps_plan_result *out, pps_error *err)
{
    size_t top = pl->o->top > 0 ? (size_t)pl->o->top : 5;
    size_t n = nfits < top ? nfits : top;
    out->best = calloc(n ? n : 1, sizeof *out->best);
    if (!out->best)
        return pps_error_set(err, PPS_ENOMEM, "plan: out of memory");
    const pps_model *m = pl->m;
    for (size_t i = 0; i < n; i++) {
        config *c = pl->order[i];
        pps_plan_candidate *b = &out->best[i];
        b->gen = c->g;
        b->layout = c->l;
        b->microbatches = (int)(m->global_batch / ((long)c->l.dp * c->l.micro_batch));
        b->partition = c->part;
        b->eval = c->eval;
        b->even_step_time = c->even_step_time;
        c->part = NULL;
        memset(&c->eval, 0, sizeof c->eval);
        pps_model_costs mc;
        pps_status st = pps_model_derive(m, &c->l, &mc, err);
        if (st != PPS_OK)
            return st;
        if (ppsp_reads_cost(c->g)) {
            double most = 0;
            for (int r = 0; r < c->l.pp; r++)
                if (b->eval.rank_static[r] > most)
                    most = b->eval.rank_static[r];
            b->act_budget = pl->limit - most;
        }
        double step = b->eval.step_time;
        b->tokens_per_s = (double)m->global_batch * m->seq_len / step;
        b->mfu = mc.model_flops / (step * pl->o->gpus * m->peak_flops);
        out->nbest++;
    }
    return PPS_OK;
}

/* Key of a run for ordering: its least bound among open configurations. */
typedef struct run_key {
    double bound;
    size_t run;
} run_key;

static int cmp_run(const void *a, const void *b)
{
    const run_key *x = a, *y = b;
    if (x->bound != y->bound)
        return x->bound < y->bound ? -1 : 1;
    return x->run < y->run ? -1 : x->run > y->run;
}

/* Prepares every configuration and orders the runs by their least bound, so that the fast
 * ones are found early and the bound prunes the most. */
static pps_status prepare_all(planner *pl, pps_error *err)
{
    pps_status st = PPS_OK;
    for (size_t i = 0; i < pl->ncfg && st == PPS_OK; i++)
        st = prepare(pl, &pl->cfg[i], err);
    run_key *keys = malloc((pl->nrun ? pl->nrun : 1) * sizeof *keys);
    pl->run_order = malloc((pl->nrun ? pl->nrun : 1) * sizeof *pl->run_order);
    if (st == PPS_OK && (!keys || !pl->run_order))
        st = pps_error_set(err, PPS_ENOMEM, "plan: out of memory");
    for (size_t k = 0; k < pl->nrun && st == PPS_OK; k++) {
        keys[k] = (run_key){INFINITY, k};
        for (size_t i = pl->run[k]; i < pl->run[k + 1]; i++)
            if (pl->cfg[i].outcome == OUT_OPEN && pl->cfg[i].bound < keys[k].bound)
                keys[k].bound = pl->cfg[i].bound;
    }
    if (st == PPS_OK) {
        qsort(keys, pl->nrun, sizeof *keys, cmp_run);
        for (size_t k = 0; k < pl->nrun; k++)
            pl->run_order[k] = keys[k].run;
    }
    free(keys);
    return st;
}

pps_status pps_plan(const pps_model *model, const pps_plan_options *o, pps_plan_result *out,
                    pps_error *err)
{
    memset(out, 0, sizeof *out);
    if (o->gpus < 1 || o->gpus > PPS_MAX_RANKS)
        return pps_error_set(err, PPS_EINPUT, "plan: --gpus %d is out of range [1, %d]", o->gpus,
                             PPS_MAX_RANKS);
    pps_model m = *model;
    if (o->global_batch > 0)
        m.global_batch = o->global_batch;
    size_t want = 2 * (size_t)(o->top > 0 ? o->top : 5);
    planner pl = {.m = &m, .o = o, .limit = o->memory_limit > 0 ? o->memory_limit
                                                                  : m.memory_bytes,
                  .nrefine = want < MIN_REFINED ? MIN_REFINED : want};
    out->memory_limit = pl.limit;
    if (pthread_mutex_init(&pl.lock, NULL) != 0)
        return pps_error_set(err, PPS_ENOMEM, "plan: cannot create a mutex");
    pl.best = malloc(pl.nrefine * sizeof *pl.best);
    pps_status st = pl.best ? enumerate(&pl, err)
                            : pps_error_set(err, PPS_ENOMEM, "plan: out of memory");
    if (st == PPS_OK)
        st = prepare_all(&pl, err);
    if (st == PPS_OK) {
        pl.total = pl.ncfg;
        st = run_phase(&pl, 1, err);
    }
    size_t nfits = 0;
    if (st == PPS_OK) {
        out->considered = pl.ncfg;
        for (size_t i = 0; i < pl.ncfg; i++) {
            int oc = pl.cfg[i].outcome;
            out->simulated += (size_t)pl.cfg[i].simulated;
            if (oc == OUT_FITS)
                nfits++;
            else if (oc == OUT_BOUND)
                out->pruned++;
            else if (oc >= 0 && oc < PPS_REJECT_COUNT)
                out->rejected[oc]++;
        }
        out->fits = nfits;
        pl.order = malloc((nfits ? nfits : 1) * sizeof(config *));
        if (!pl.order)
            st = pps_error_set(err, PPS_ENOMEM, "plan: out of memory");
    }
    if (st == PPS_OK) {
        size_t k = 0;
        for (size_t i = 0; i < pl.ncfg; i++)
            if (pl.cfg[i].outcome == OUT_FITS)
                pl.order[k++] = &pl.cfg[i];
        qsort(pl.order, nfits, sizeof(config *), cmp_fit);
        if (pl.nrefine > nfits)
            pl.nrefine = nfits;
        pl.total = pl.ncfg + pl.nrefine;
        st = run_phase(&pl, 2, err);
    }
    if (st == PPS_OK) {
        /* The rest keep their first partition: balancing could lower theirs too, but they
         * were slower than every refined one before it (docs/planner.md). */
        qsort(pl.order, pl.nrefine, sizeof(config *), cmp_fit);
        st = take_best(&pl, pl.nrefine, out, err);
    }
    free_configs(&pl);
    pthread_mutex_destroy(&pl.lock);
    if (st != PPS_OK)
        pps_plan_result_clear(out);
    return st;
}
