/* sweep.c — evaluates a grid of configurations on a pool of threads, one row per configuration. */
#include "ppsim.h"

#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

size_t pps_sweep_size(const pps_sweep_grid *g)
{
    size_t dims[6] = {g->nschedules, g->nranks, g->nmicrobatches, g->nchunks ? g->nchunks : 1,
                      g->nratios ? g->nratios : 1, g->nw ? g->nw : 1};
    size_t n = 1;
    for (int i = 0; i < 6; i++) {
        if (dims[i] && n > SIZE_MAX / dims[i])
            return SIZE_MAX;
        n *= dims[i];
    }
    return n;
}

/* The shared state of one sweep. Workers take the next configuration of the shard from `next`
 * and write its row; rows[k] is the shard's k-th configuration, grid index shard + k·shards. */
typedef struct sweep {
    const pps_sweep_grid *g;
    size_t shard, shards, count;
    pps_sweep_row *rows;
    atomic_size_t next, done;
    atomic_int stop;           /* a fatal error: every worker stops */
    pthread_mutex_t lock;      /* guards fatal */
    pps_status fatal;
    pps_error fatal_err;
} sweep;

/* One thread's working costs: a copy of the grid's, whose uniform times each configuration
 * sets before resolving it for its schedule. */
static pps_status cost_copy(pps_cost *dst, const pps_cost *src, pps_error *err)
{
    *dst = *src;
    dst->stage = NULL;
    dst->resolved = NULL;
    dst->nresolved = 0;
    if (src->nstages) {
        dst->stage = malloc((size_t)src->nstages * sizeof *dst->stage);
        if (!dst->stage)
            return pps_error_set(err, PPS_ENOMEM, "out of memory");
        memcpy(dst->stage, src->stage, (size_t)src->nstages * sizeof *dst->stage);
    }
    return PPS_OK;
}

/* The uniform times of configuration (ratio r, fraction w) over the grid's costs. */
static void set_times(const pps_sweep_grid *g, size_t r, size_t w, pps_cost *c)
{
    c->uniform = g->cost->uniform;
    pps_stage_cost *u = &c->uniform;
    if (g->nratios) {
        u->tb = g->tb_ratio[r] * u->tf;
        u->ti = u->tw = NAN; /* halves of the new t_B, unless a fraction follows */
    }
    /* The cost model's rule for the times not given, so that every row shows all four. */
    if (isnan(u->tb))
        u->tb = u->ti + u->tw;
    if (g->nw) {
        u->tw = g->w_fraction[w] * u->tb;
        u->ti = u->tb - u->tw;
    }
    if (isnan(u->ti) || isnan(u->tw))
        u->ti = u->tw = u->tb / 2;
}

/* The reason of a refused configuration, cut to the row's room (reasons are one short line). */
static void fail_row(pps_sweep_row *row, const pps_error *e)
{
    row->status = e->status;
    size_t n = strnlen(e->msg, sizeof row->reason - 1);
    memcpy(row->reason, e->msg, n);
    row->reason[n] = '\0';
}

/* Actions of s after lowering (pps_schedule_lower), counted without lowering: s's actions, and
 * for every pair of neighbouring stages on two ranks a SEND and a RECV per micro-batch in each
 * direction (forward output down, input gradient up); none between stages of one rank. */
static size_t lowered_count(const pps_schedule *s)
{
    size_t n = pps_schedule_count(s, 0), crossings = 0;
    for (int st = 0; st + 1 < s->stages; st++)
        crossings += s->stage_rank[st] != s->stage_rank[st + 1];
    return n + 4 * crossings * (size_t)s->microbatches;
}

/* Generates, validates, costs, simulates and analyses one configuration through the thread's
 * batch (pps_batch_run: buffers reused, no timeline built). Returns a fatal status (out of
 * memory) or PPS_OK; a configuration that fails otherwise is a row with its reason. */
static pps_status run_one(const sweep *sw, size_t index, pps_batch *b, pps_cost *c,
                          pps_sweep_row *row)
{
    const pps_sweep_grid *g = sw->g;
    size_t i = index;
    size_t wi = g->nw ? i % g->nw : 0;
    i /= g->nw ? g->nw : 1;
    size_t ri = g->nratios ? i % g->nratios : 0;
    i /= g->nratios ? g->nratios : 1;
    size_t vi = g->nchunks ? i % g->nchunks : 0;
    i /= g->nchunks ? g->nchunks : 1;
    size_t mi = i % g->nmicrobatches;
    i /= g->nmicrobatches;
    size_t pi = i % g->nranks;
    size_t si = i / g->nranks;

    const pps_generator *gen = g->schedules[si];
    memset(row, 0, sizeof *row);
    row->index = index;
    row->gen = gen;
    row->ranks = g->ranks[pi];
    row->microbatches = g->microbatches[mi];
    row->chunks = g->nchunks ? g->chunks[vi] : gen->default_chunks;
    row->makespan = row->idle_over_total = row->idle_over_compute = NAN;
    row->stage_span_rate = row->analytic = row->throughput = NAN;
    row->busy_max = row->peak_min = row->peak_max = NAN;
    set_times(g, ri, wi, c);
    row->tf = c->uniform.tf;
    row->tb = c->uniform.tb;
    row->ti = c->uniform.ti;
    row->tw = c->uniform.tw;

    pps_gen_params p = {.ranks = row->ranks, .chunks = row->chunks,
                        .microbatches = row->microbatches};
    for (size_t k = 0; k < g->nsettings; k++)
        if (pps_generator_option(gen, g->settings[k].name) && p.nsettings < PPS_GEN_MAX_SETTINGS)
            p.settings[p.nsettings++] = g->settings[k];
    pps_error e = {0};
    pps_status st = PPS_OK;
    /* Costs resolved for the shape the generator will create, before it runs: cost-aware
     * generators (zb-auto) read them. A shape beyond the limits is left to pps_generate to
     * refuse, naming the field. */
    int64_t stages = (int64_t)row->ranks * row->chunks;
    if (stages >= 1 && stages <= PPS_MAX_CELLS) {
        pps_schedule shape = {.ranks = row->ranks, .stages = (int)stages,
                              .microbatches = row->microbatches, .chunks = row->chunks,
                              .placement = gen->placement};
        st = pps_cost_resolve_for(c, &shape, &e);
        p.cost = c;
    }
    const pps_analysis *a = NULL;
    if (st == PPS_OK)
        st = pps_batch_run(b, gen, &p, c, &a, &e);
    if (st != PPS_OK) {
        fail_row(row, &e);
        return st == PPS_ENOMEM ? PPS_ENOMEM : PPS_OK;
    }
    const pps_schedule *s = pps_batch_schedule(b);
    row->stages = s->stages;
    row->actions = a->compute_actions;
    row->lowered_actions = lowered_count(s);
    row->makespan = a->makespan;
    row->idle_over_total = a->idle_over_total;
    row->idle_over_compute = a->idle_over_compute;
    row->stage_span_rate = a->stage_span_rate;
    row->throughput = a->throughput;
    /* The formulas assume uniform stages and free communication (as `ppsim sim` shows them). */
    pps_stage_cost u = pps_cost_of_stage(c, 0);
    double comm = pps_cost_transfer(c, 0, 0, u.send_bytes) +
                  pps_cost_transfer(c, 0, INT_MAX, u.send_bytes);
    if (!c->nstages && comm == 0)
        row->analytic = pps_generator_analytic(gen, &p, &u);
    row->busy_max = row->peak_max = -INFINITY;
    row->peak_min = INFINITY;
    for (int r = 0; r < a->ranks; r++) {
        row->busy_max = fmax(row->busy_max, a->per_rank[r].busy);
        row->peak_max = fmax(row->peak_max, a->per_rank[r].peak_activation);
        row->peak_min = fmin(row->peak_min, a->per_rank[r].peak_activation);
    }
    return PPS_OK;
}

static void *worker(void *arg)
{
    sweep *sw = arg;
    pps_cost c;
    pps_batch *b = NULL;
    pps_error e = {0};
    pps_status st = cost_copy(&c, sw->g->cost, &e);
    if (st == PPS_OK)
        st = pps_batch_create(&b, &e);
    while (st == PPS_OK && !atomic_load(&sw->stop)) {
        size_t k = atomic_fetch_add(&sw->next, 1);
        if (k >= sw->count)
            break;
        st = run_one(sw, sw->shard + k * sw->shards, b, &c, &sw->rows[k]);
        if (st != PPS_OK)
            pps_error_set(&e, st, "out of memory at configuration %zu",
                          sw->shard + k * sw->shards);
        atomic_fetch_add(&sw->done, 1);
    }
    if (st != PPS_OK) {
        pthread_mutex_lock(&sw->lock);
        if (sw->fatal == PPS_OK) {
            sw->fatal = st;
            sw->fatal_err = e;
        }
        pthread_mutex_unlock(&sw->lock);
        atomic_store(&sw->stop, 1);
    }
    pps_batch_destroy(b);
    pps_cost_clear(&c);
    return NULL;
}

static pps_status check_grid(const pps_sweep_grid *g, size_t shard, size_t shards,
                             pps_error *err)
{
    if (!g->nschedules || !g->nranks || !g->nmicrobatches)
        return pps_error_set(err, PPS_EINPUT, "the grid needs schedules, ranks and "
                             "micro-batches");
    if (shards == 0 || shard >= shards)
        return pps_error_set(err, PPS_EINPUT, "shard %zu of %zu does not exist (shards "
                             "are 0 .. N-1)", shard, shards);
    if (pps_sweep_size(g) == SIZE_MAX)
        return pps_error_set(err, PPS_EINPUT, "the grid is too large");
    for (size_t i = 0; i < g->nratios; i++)
        if (!isfinite(g->tb_ratio[i]) || g->tb_ratio[i] < 0)
            return pps_error_set(err, PPS_EINPUT, "t_B/t_F ratio %g is not a finite, "
                                 "non-negative number", g->tb_ratio[i]);
    for (size_t i = 0; i < g->nw; i++)
        if (!(g->w_fraction[i] >= 0 && g->w_fraction[i] <= 1))
            return pps_error_set(err, PPS_EINPUT, "t_W/t_B fraction %g is not in [0, 1]",
                                 g->w_fraction[i]);
    return PPS_OK;
}

pps_status pps_sweep_run(const pps_sweep_grid *g, int threads, size_t shard, size_t shards,
                         pps_sweep_progress progress, void *ctx, pps_sweep_row **rows,
                         size_t *nrows, pps_error *err)
{
    *rows = NULL;
    *nrows = 0;
    pps_status st = check_grid(g, shard, shards, err);
    if (st != PPS_OK)
        return st;
    size_t total = pps_sweep_size(g);
    sweep sw = {.g = g, .shard = shard, .shards = shards,
                .count = total > shard ? (total - shard + shards - 1) / shards : 0};
    atomic_init(&sw.next, 0);
    atomic_init(&sw.done, 0);
    atomic_init(&sw.stop, 0);
    sw.rows = calloc(sw.count ? sw.count : 1, sizeof *sw.rows);
    if (!sw.rows)
        return pps_error_set(err, PPS_ENOMEM, "out of memory for %zu rows", sw.count);
    if (threads < 1)
        threads = 1;
    if ((size_t)threads > sw.count)
        threads = sw.count ? (int)sw.count : 1;
    pthread_t *tids = calloc((size_t)threads, sizeof *tids);
    if (!tids) {
        free(sw.rows);
        return pps_error_set(err, PPS_ENOMEM, "out of memory");
    }
    pthread_mutex_init(&sw.lock, NULL);
    int started = 0;
    for (; started < threads; started++)
        if (pthread_create(&tids[started], NULL, worker, &sw) != 0)
            break;
    if (started == 0)
        worker(&sw); /* no thread could start: this one does the work */
    /* Report progress while the workers run: poll every 200 ms. */
    while (progress && started && !atomic_load(&sw.stop)) {
        struct timespec ts = {0, 200L * 1000 * 1000};
        nanosleep(&ts, NULL);
        size_t done = atomic_load(&sw.done);
        if (done >= sw.count)
            break; /* the last report follows the join */
        progress(ctx, done, sw.count);
    }
    for (int i = 0; i < started; i++)
        pthread_join(tids[i], NULL);
    if (progress)
        progress(ctx, atomic_load(&sw.done), sw.count);
    pthread_mutex_destroy(&sw.lock);
    free(tids);
    if (sw.fatal != PPS_OK) {
        free(sw.rows);
        if (err)
            *err = sw.fatal_err;
        return sw.fatal;
    }
    *rows = sw.rows;
    *nrows = sw.count;
    return PPS_OK;
}
