/* zb_exact.c — the exact search that measures how far zb-auto and the fixed schedules are from
 * optimal on small cases: depth-first branch and bound over every rank's order of F, I and W
 * (each kind in micro-batch order) under the memory limit, timed by zba_clock_put, pruned by
 * lower bounds and by dominance between states that have run the same actions. */
#include "zb_auto.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* One state seen: the actions run per stage and kind (the key) and the times its future
 * depends on (when each rank is free, each link's last arrival, each output produced but not
 * yet consumed). Any state with the same key and no later time is at least as good. */
typedef struct seen {
    struct seen *next;
    uint32_t hash;
    uint32_t ntimes;
    double times[]; /* ntimes times, then the key's bytes */
} seen;

typedef struct xsearch {
    const zba_problem *pb;
    zba_clock k;
    zba_orders cur, *best;
    double best_makespan;
    double *rem;        /* [P] work left on each rank, seconds */
    double *est_f, *est_i; /* [S·M] scratch of lower_bound */
    double *follow_f, *follow_i; /* [S] follow_times */
    int *room;          /* [S] micro-batches of stage s the limit holds at once (>= 1) */
    long long nodes, node_limit;
    int stopped;
    /* dominance table */
    seen **table;
    size_t table_size, entries, max_entries;
    size_t key_len;
    uint8_t *key;       /* scratch [3S] */
    double *times;      /* scratch */
    size_t times_cap;
} xsearch;

static void count_key(const xsearch *x, uint8_t *key)
{
    const zba_problem *pb = x->pb;
    for (size_t s = 0; s < (size_t)pb->S; s++) {
        key[3 * s] = (uint8_t)x->k.nf[s];
        key[3 * s + 1] = (uint8_t)x->k.ni[s];
        key[3 * s + 2] = (uint8_t)x->k.nw[s];
    }
}

/* The times the future depends on, in an order fixed by the key. */
static size_t state_times(const xsearch *x, double *t)
{
    const zba_problem *pb = x->pb;
    const zba_clock *k = &x->k;
    size_t n = 0;
    for (int r = 0; r < pb->P; r++)
        t[n++] = k->free_at[r];
    for (int l = 0; l < 2 * pb->P; l++)
        t[n++] = k->link_last[l];
    size_t M = (size_t)pb->M;
    for (int s = 0; s + 1 < pb->S; s++)
        for (int m = k->nf[s + 1]; m < k->nf[s]; m++)
            t[n++] = k->out_f[(size_t)s * M + (size_t)m];
    for (int s = 1; s < pb->S; s++)
        for (int m = k->ni[s - 1]; m < k->ni[s]; m++)
            t[n++] = k->out_i[(size_t)s * M + (size_t)m];
    /* the last stage's I depends on its own F, the first stage's I on nothing further */
    return n;
}

static uint32_t hash_key(const uint8_t *key, size_t len)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < len; i++)
        h = (h ^ key[i]) * 16777619u;
    return h;
}

/* 1 when a state with these counts and no later times was seen (prune); else records it,
 * dropping recorded states it dominates. */
static int dominated(xsearch *x)
{
    count_key(x, x->key);
    size_t nt = state_times(x, x->times);
    uint32_t h = hash_key(x->key, x->key_len);
    seen **slot = &x->table[h & (x->table_size - 1)];
    const double tol = 1e-9;
    for (seen **pp = slot; *pp;) {
        seen *e = *pp;
        if (e->hash != h || e->ntimes != nt || memcmp(e->times + nt, x->key, x->key_len) != 0) {
            pp = &e->next;
            continue;
        }
        const double *et = e->times;
        int old_le = 1, new_le = 1;
        for (size_t i = 0; i < nt && (old_le || new_le); i++) {
            if (et[i] > x->times[i] + tol)
                old_le = 0;
            if (x->times[i] > et[i] + tol)
                new_le = 0;
        }
        if (old_le)
            return 1;
        if (new_le) { /* the new state is better: forget the old one */
            *pp = e->next;
            free(e);
            x->entries--;
            continue;
        }
        pp = &e->next;
    }
    if (x->entries >= x->max_entries)
        return 0; /* full: search on without remembering */
    seen *e = malloc(sizeof *e + nt * sizeof(double) + x->key_len);
    if (!e)
        return 0;
    e->hash = h;
    e->ntimes = (uint32_t)nt;
    memcpy(e->times, x->times, nt * sizeof(double));
    memcpy(e->times + nt, x->key, x->key_len);
    e->next = *slot;
    *slot = e;
    x->entries++;
    return 0;
}

/* Durations of the actions that must follow each kind of action on its rank, per micro-batch
 * from it on: after F(s,m) every action of micro-batches m.. on the rank's stages from s on
 * (their data comes through F(s,m)'s micro-batch order), after I(s,m) the I and W of m.. on s and
 * the rank's earlier stages. */
static void follow_times(const zba_problem *pb, int s, double *f, double *i)
{
    int r = pb->rank_of[s];
    *f = *i = 0;
    for (int c = 0; c < pb->v; c++) {
        int q = pb->stages_of[(size_t)r * pb->v + c];
        if (q >= s)
            *f += pb->tf[q] + pb->ti[q] + pb->tw[q];
        if (q <= s)
            *i += pb->ti[q] + pb->tw[q];
    }
}

/* A lower bound on the makespan of any completion. Earliest starts of the actions not yet run
 * follow their data, their micro-batch order, their rank's free time and memory (F(s,m) waits
 * for I(s,m-k) when the limit holds k micro-batches of stage s), but not that a rank runs one
 * action at a time; then each rank needs, from the earliest start of a pending action, the work
 * that must follow it (follow_times); and at least its free time plus all its remaining work.
 * Micro-batch by micro-batch, so every estimate it reads is made. */
static double lower_bound(xsearch *x)
{
    const zba_problem *pb = x->pb;
    const zba_clock *k = &x->k;
    const size_t M = (size_t)pb->M;
    const int S = pb->S;
    double lb = 0;
    for (int r = 0; r < pb->P; r++)
        if (k->free_at[r] + x->rem[r] > lb)
            lb = k->free_at[r] + x->rem[r];
    double *ef = x->est_f, *ei = x->est_i; /* estimated ends of F and I not yet run */
    for (size_t m = 0; m < M; m++) {
        for (int s = 0; s < S; s++) {
            if ((int)m < k->nf[s])
                continue;
            size_t at = (size_t)s * M + m;
            double st = k->free_at[pb->rank_of[s]];
            if (s > 0) {
                double in = (int)m < k->nf[s - 1] ? k->out_f[at - M]
                                                   : ef[at - M] + pb->fwd_comm[s - 1];
                st = in > st ? in : st;
            }
            if ((int)m > k->nf[s] && ef[at - 1] > st)
                st = ef[at - 1];
            size_t room = (size_t)x->room[s];
            if (m >= room && (int)(m - room) >= k->ni[s] && ei[at - room] > st)
                st = ei[at - room];
            ef[at] = st + pb->tf[s];
            if (st + (double)(M - m) * x->follow_f[s] > lb)
                lb = st + (double)(M - m) * x->follow_f[s];
        }
        for (int s = S - 1; s >= 0; s--) {
            if ((int)m < k->ni[s])
                continue;
            size_t at = (size_t)s * M + m;
            double st = k->free_at[pb->rank_of[s]];
            if ((int)m >= k->nf[s] && ef[at] > st)
                st = ef[at];
            if (s + 1 < S) {
                double in = (int)m < k->ni[s + 1] ? k->out_i[at + M]
                                                   : ei[at + M] + pb->bwd_comm[s + 1];
                st = in > st ? in : st;
            }
            if ((int)m > k->ni[s] && ei[at - 1] > st)
                st = ei[at - 1];
            ei[at] = st + pb->ti[s];
            if (st + (double)(M - m) * x->follow_i[s] > lb)
                lb = st + (double)(M - m) * x->follow_i[s];
            if ((int)m >= k->nw[s] && ei[at] + (double)(M - m) * pb->tw[s] > lb)
                lb = ei[at] + (double)(M - m) * pb->tw[s];
        }
    }
    return lb;
}

/* Everything zba_clock_put changes, to undo it. */
typedef struct undo {
    double free_at, busy, first, mem, peak, out, link;
    size_t link_id, cell;
    int kind;
} undo;

static void put(xsearch *x, int r, const zba_op *op, undo *u)
{
    zba_clock *k = &x->k;
    const zba_problem *pb = x->pb;
    int s = op->stage;
    u->free_at = k->free_at[r];
    u->busy = k->busy[r];
    u->first = k->first[r];
    u->mem = k->mem[r];
    u->peak = k->peak[r];
    u->kind = op->kind;
    u->cell = (size_t)s * (size_t)pb->M + (size_t)op->mb;
    u->link_id = (size_t)-1;
    int dst = op->kind == PPS_F ? (s + 1 < pb->S ? pb->rank_of[s + 1] : r)
                                : op->kind == PPS_I ? (s > 0 ? pb->rank_of[s - 1] : r) : r;
    if (dst != r) {
        u->link_id = 2 * (size_t)(r < dst ? r : dst) + (r > dst);
        u->link = k->link_last[u->link_id];
    }
    u->out = op->kind == PPS_F ? k->out_f[u->cell] : op->kind == PPS_I ? k->out_i[u->cell] : 0;
    zba_clock_put(k, r, op);
    x->rem[r] -= zba_duration(pb, op);
    zba_row(&x->cur, r)[x->cur.n[r]++] = *op;
}

static void unput(xsearch *x, int r, const zba_op *op, const undo *u)
{
    zba_clock *k = &x->k;
    int s = op->stage;
    k->free_at[r] = u->free_at;
    k->busy[r] = u->busy;
    k->first[r] = u->first;
    k->mem[r] = u->mem;
    k->peak[r] = u->peak;
    if (u->kind == PPS_F) {
        k->nf[s]--;
        k->out_f[u->cell] = u->out;
    } else if (u->kind == PPS_I) {
        k->ni[s]--;
        k->out_i[u->cell] = u->out;
    } else {
        k->nw[s]--;
    }
    if (u->link_id != (size_t)-1)
        k->link_last[u->link_id] = u->link;
    x->rem[r] += zba_duration(x->pb, op);
    x->cur.n[r]--;
}

/* The actions rank r may run next (at most 3 per stage), I first: the order the search tries
 * them in, which finds good schedules early. A W is not tried while an F or I can start at once
 * (its input is there when the rank is free): running that one first and the W right after
 * ends the pair at the same time, hands the F's or I's output on sooner and, since the F fits
 * the limit anyway, never holds more memory after the pair; so some optimum never does it. */
static int eligible(const xsearch *x, int r, zba_op *out)
{
    const zba_problem *pb = x->pb;
    const zba_clock *k = &x->k;
    const double now = k->free_at[r] + 1e-12 * (k->free_at[r] > 1 ? k->free_at[r] : 1);
    int n = 0, at_once = 0;
    for (int c = 0; c < pb->v; c++) {
        int s = pb->stages_of[(size_t)r * pb->v + c];
        zba_op op = {.stage = s, .mb = k->ni[s], .kind = PPS_I};
        double t = k->ni[s] < k->nf[s] ? zba_dep_ready(k, &op) : -1;
        if (t >= 0) {
            out[n++] = op;
            at_once |= t <= now;
        }
    }
    for (int c = 0; c < pb->v; c++) {
        int s = pb->stages_of[(size_t)r * pb->v + c];
        zba_op op = {.stage = s, .mb = k->nf[s], .kind = PPS_F};
        double t = k->nf[s] < pb->M ? zba_dep_ready(k, &op) : -1;
        if (t >= 0 && k->mem[r] + pb->act[s] <= pb->mem_limit * (1 + 1e-12)) {
            out[n++] = op;
            at_once |= t <= now;
        }
    }
    for (int c = 0; c < pb->v && !at_once; c++) {
        int s = pb->stages_of[(size_t)r * pb->v + c];
        if (k->nw[s] < k->ni[s])
            out[n++] = (zba_op){.stage = s, .mb = k->nw[s], .kind = PPS_W};
    }
    return n;
}

static void dfs(xsearch *x, size_t placed, size_t total)
{
    const zba_problem *pb = x->pb;
    if (x->stopped)
        return;
    if (++x->nodes > x->node_limit) {
        x->stopped = 1;
        return;
    }
    if (placed == total) {
        double ms = 0;
        for (int r = 0; r < pb->P; r++)
            ms = x->k.free_at[r] > ms ? x->k.free_at[r] : ms;
        if (ms < x->best_makespan - 1e-9 * (ms > 1 ? ms : 1)) {
            x->best_makespan = ms;
            zba_orders_copy(x->best, &x->cur);
        }
        return;
    }
    if (lower_bound(x) >= x->best_makespan - 1e-9 * (x->best_makespan > 1 ? x->best_makespan
                                                                            : 1))
        return;
    if (dominated(x))
        return;
    zba_op ops[6];
    for (int r = 0; r < pb->P; r++) {
        int n = eligible(x, r, ops);
        for (int i = 0; i < n && !x->stopped; i++) {
            undo u;
            put(x, r, &ops[i], &u);
            dfs(x, placed + 1, total);
            unput(x, r, &ops[i], &u);
        }
    }
}

pps_status zbx_search(const zba_problem *pb, long long node_limit, zba_orders *incumbent,
                      zbx_result *res, pps_error *err)
{
    if ((size_t)3 * pb->S > 65535 || pb->M > 255)
        return pps_error_set(err, PPS_EUNSUPPORTED,
                             "exact search: at most 255 micro-batches and 21845 stages");
    xsearch x = {.pb = pb, .best = incumbent, .node_limit = node_limit};
    x.best_makespan = INFINITY;
    x.key_len = 3 * (size_t)pb->S;
    x.times_cap = 3 * (size_t)pb->P + 2 * (size_t)pb->S * (size_t)pb->M;
    x.table_size = (size_t)1 << 20;
    x.max_entries = (size_t)4 << 20;
    pps_status st = zba_clock_init(&x.k, pb, err);
    if (st == PPS_OK)
        st = zba_orders_alloc(&x.cur, pb, err);
    x.rem = calloc((size_t)pb->P, sizeof *x.rem);
    x.key = malloc(x.key_len);
    x.times = malloc(x.times_cap * sizeof *x.times);
    x.table = calloc(x.table_size, sizeof(seen *));
    x.est_f = malloc((size_t)pb->S * (size_t)pb->M * sizeof *x.est_f);
    x.est_i = malloc((size_t)pb->S * (size_t)pb->M * sizeof *x.est_i);
    x.follow_f = malloc((size_t)pb->S * sizeof *x.follow_f);
    x.follow_i = malloc((size_t)pb->S * sizeof *x.follow_i);
    x.room = malloc((size_t)pb->S * sizeof *x.room);
    if (st == PPS_OK && (!x.rem || !x.key || !x.times || !x.table || !x.est_f || !x.est_i ||
                         !x.follow_f || !x.follow_i || !x.room))
        st = pps_error_set(err, PPS_ENOMEM, "out of memory for the exact search");
    if (st == PPS_OK) {
        zba_score sc;
        if (zba_replay(&x.k, incumbent, &sc, NULL) == PPS_OK)
            x.best_makespan = sc.makespan;
        zba_clock_reset(&x.k);
        memset(x.cur.n, 0, (size_t)pb->P * sizeof *x.cur.n);
        for (int s = 0; s < pb->S; s++) {
            x.rem[pb->rank_of[s]] += pb->M * (pb->tf[s] + pb->ti[s] + pb->tw[s]);
            follow_times(pb, s, &x.follow_f[s], &x.follow_i[s]);
            /* every micro-batch between its F and its I holds at least act on the stage */
            double fit = pb->act[s] > 0 ? floor(pb->mem_limit / pb->act[s] * (1 + 1e-12)) : INFINITY;
            x.room[s] = fit >= pb->M || !(fit >= 1) ? pb->M : (int)fit;
        }
        res->lower_bound = lower_bound(&x);
        dfs(&x, 0, 3 * (size_t)pb->S * (size_t)pb->M);
        res->best.makespan = x.best_makespan;
        res->best.span_idle = NAN;
        res->proven = !x.stopped;
        res->nodes = x.nodes;
    }
    for (size_t i = 0; x.table && i < x.table_size; i++)
        for (seen *e = x.table[i]; e;) {
            seen *next = e->next;
            free(e);
            e = next;
        }
    free(x.table);
    free(x.est_f);
    free(x.est_i);
    free(x.follow_f);
    free(x.follow_i);
    free(x.room);
    free(x.times);
    free(x.key);
    free(x.rem);
    zba_orders_free(&x.cur);
    zba_clock_free(&x.k);
    return st;
}
