/* zb_exact.c — the exact search that measures how far zb-auto and the fixed schedules are from
 * optimal on small cases: depth-first branch and bound over every rank's order of F, I and W
 * (each kind in micro-batch order) under the memory limit, timed by zba_clock_put, pruned by
 * lower bounds and by dominance between states that have run the same actions.
 *
 * Each node decides the next action of one rank: the free rank that is free first. The action
 * may not be runnable yet (its input comes from an action not placed); then the rank is
 * "committed" to it and it is placed as soon as its input is known. So every combination of
 * per-rank orders has exactly one path (no interleavings of the same orders), and a state's
 * future is fixed by what it ran, its times and its commitments.
 *
 * Pruning: a lower bound (lower_bound), dominance (a state with the same actions run and the
 * same commitments, no later in any time, was searched before: every completion of this one is
 * a completion of that one, no later), and an exchange argument (decide: a W is not followed by
 * an F or I that could have run in its place). The dominance and the exchange combine because
 * the exchange only swaps pairs inside a completion: a state is recorded only when no pending
 * decision links its last W to its next action (x->must < 0). An earlier version pruned every W
 * while an F or I could start at once, which is not an exchange of neighbours; it missed the
 * optimum of some V-placement cases by up to 6% (a W then an arriving I, then the F). */
#include "zb_auto.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* One state seen: the actions run per stage and kind and the ranks' commitments (the key) and
 * the times its future depends on (when each rank is free, each link's last arrival, each
 * output produced but not yet consumed). Any state with the same key and no later time is at
 * least as good. */
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
    int *left;          /* [P] actions left on each rank */
    double *est_f, *est_i; /* [S·M] scratch of lower_bound */
    double *follow_f, *follow_i; /* [S] follow_times */
    int *room;          /* [S] micro-batches of stage s the limit holds at once (>= 1) */
    int *turn_room;     /* [S] V placement, the rank's later stage s: F(s,m) comes after
                           I(s',m-k) on the rank's earlier stage s' (k = turn_room[s]; 0: none) */
    int *turn_of;       /* [S] that earlier stage s' */
    double *tail_f, *tail_i; /* [S] least time from the end of F(s,m) (I(s,m)) to the end */
    double *jh;              /* [3·v·M] scratch of jackson: heads */
    int use_jps;             /* add jackson()'s bound per rank */
    zba_op *pend;       /* [P] the action rank r is committed to run next; kind -1: none */
    int must;           /* rank that just ran a W and decides its next action now, or -1 */
    double must_start;  /* that W's start, seconds */
    double must_mem;    /* that rank's activation before the W, bytes */
    long long nodes, node_limit;
    int stopped;
    /* dominance table */
    seen **table;
    size_t table_size, entries, max_entries;
    size_t key_len;
    uint8_t *key;       /* scratch [3S + P] */
    double *times;      /* scratch */
    size_t times_cap;
} xsearch;

/* The key of a state: the actions run per stage and kind, then each rank's commitment (0:
 * none, else 1 + its kind (F 0, I 1) times v + its chunk). */
static void count_key(const xsearch *x, uint8_t *key)
{
    const zba_problem *pb = x->pb;
    for (size_t s = 0; s < (size_t)pb->S; s++) {
        key[3 * s] = (uint8_t)x->k.nf[s];
        key[3 * s + 1] = (uint8_t)x->k.ni[s];
        key[3 * s + 2] = (uint8_t)x->k.nw[s];
    }
    uint8_t *pk = key + 3 * (size_t)pb->S;
    for (int r = 0; r < pb->P; r++) {
        const zba_op *op = &x->pend[r];
        int chunk = 0;
        while (op->kind >= 0 && pb->stages_of[(size_t)r * pb->v + chunk] != op->stage)
            chunk++;
        pk[r] = op->kind < 0 ? 0 : (uint8_t)(1 + (op->kind == PPS_I) * pb->v + chunk);
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

/* The earliest time any action not yet run can start: a free rank's next action starts no
 * sooner than the rank is free; a committed rank's next action no sooner than its input, which
 * is known or comes from an action not yet run (so later still, by induction). +inf when no
 * action can ever start (every rank left is committed and waits). */
static double frontier(const xsearch *x)
{
    const zba_problem *pb = x->pb;
    const zba_clock *k = &x->k;
    double t = INFINITY;
    for (int r = 0; r < pb->P; r++) {
        if (x->left[r] == 0)
            continue;
        double st = k->free_at[r];
        if (x->pend[r].kind >= 0) {
            double dep = zba_dep_ready(k, &x->pend[r]);
            if (dep < 0)
                continue;
            st = dep > st ? dep : st;
        }
        t = st < t ? st : t;
    }
    return t;
}

/* Jackson's preemptive schedule on one rank: its actions left, in classes (one per stage and
 * kind) whose members share a duration and a tail (least time from an action's end to the
 * step's end), each class's heads (earliest starts) non-decreasing. Preemptively, the released
 * work with the largest tail runs first, switching when an action is released; the largest end
 * plus tail is a lower bound on the makespan of any order of those actions (preemption only
 * relaxes). Members of a class are interchangeable, so a class is its released work. */
typedef struct jclass {
    const double *head; /* [n] non-decreasing */
    int n, next;
    double p, q, work;
} jclass;

static double jackson(jclass *c, int nc)
{
    double t = INFINITY, lb = 0;
    for (int i = 0; i < nc; i++) {
        c[i].next = 0;
        c[i].work = 0;
        if (c[i].n > 0 && c[i].head[0] < t)
            t = c[i].head[0];
    }
    for (;;) {
        int pick = -1;
        double arrival = INFINITY; /* the next release after t */
        for (int i = 0; i < nc; i++) {
            jclass *k = &c[i];
            while (k->next < k->n && k->head[k->next] <= t) {
                k->work += k->p;
                k->next++;
            }
            if (k->next < k->n && k->head[k->next] < arrival)
                arrival = k->head[k->next];
            if (k->work > 0 && (pick < 0 || k->q > c[pick].q))
                pick = i;
        }
        if (pick < 0) {
            if (arrival == INFINITY)
                return lb;
            t = arrival;
            continue;
        }
        jclass *k = &c[pick];
        double run = t + k->work > arrival ? arrival - t : k->work;
        t += run;
        k->work -= run;
        if (!(k->work > 1e-12 * (t > 1 ? t : 1))) {
            k->work = 0;
            lb = t + k->q > lb ? t + k->q : lb;
        }
    }
}

/* A lower bound on the makespan of any completion. Earliest starts of the actions not yet run
 * follow their data, their micro-batch order, their rank's free time and memory (F(s,m) waits
 * for I(s,m-k) when the limit holds k micro-batches of stage s) and the frontier, but not that
 * a rank runs one action at a time; then each rank needs, from the earliest start of a pending
 * action, the work that must follow it (follow_times); and all its remaining work from when it
 * is free, from the frontier, and from the earliest start of the action it is committed to.
 * Micro-batch by micro-batch, so every estimate it reads is made. */
static double lower_bound(xsearch *x)
{
    const zba_problem *pb = x->pb;
    const zba_clock *k = &x->k;
    const size_t M = (size_t)pb->M;
    const int S = pb->S;
    const double front = frontier(x);
    if (front == INFINITY)
        return INFINITY; /* deadlock: no completion */
    double lb = 0;
    double *ef = x->est_f, *ei = x->est_i; /* estimated ends of F and I not yet run */
    for (size_t m = 0; m < M; m++) {
        for (int s = 0; s < S; s++) {
            if ((int)m < k->nf[s])
                continue;
            size_t at = (size_t)s * M + m;
            double st = k->free_at[pb->rank_of[s]];
            st = front > st ? front : st;
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
            size_t turn = (size_t)x->turn_room[s];
            if (turn > 0 && m >= turn) {
                int q = x->turn_of[s];
                size_t qat = (size_t)q * M + m - turn;
                if ((int)(m - turn) >= k->ni[q] && ei[qat] > st)
                    st = ei[qat];
            }
            ef[at] = st + pb->tf[s];
            if (st + (double)(M - m) * x->follow_f[s] > lb)
                lb = st + (double)(M - m) * x->follow_f[s];
        }
        for (int s = S - 1; s >= 0; s--) {
            if ((int)m < k->ni[s])
                continue;
            size_t at = (size_t)s * M + m;
            double st = k->free_at[pb->rank_of[s]];
            st = front > st ? front : st;
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
    for (int r = 0; r < pb->P; r++) {
        lb = k->free_at[r] > lb ? k->free_at[r] : lb;
        if (x->left[r] == 0)
            continue;
        double st = k->free_at[r] > front ? k->free_at[r] : front;
        const zba_op *op = &x->pend[r];
        if (op->kind >= 0) { /* the rank's remaining work starts with this action */
            size_t at = (size_t)op->stage * M + (size_t)op->mb;
            double end = op->kind == PPS_F ? ef[at] : ei[at];
            double est = end - zba_duration(pb, op);
            st = est > st ? est : st;
        }
        if (st + x->rem[r] > lb)
            lb = st + x->rem[r];
        if (!x->use_jps)
            continue;
        /* the rank's actions left, one at a time, from their estimated starts */
        jclass cls[6];
        int nc = 0;
        double *h = x->jh;
        for (int c = 0; c < pb->v; c++) {
            int s = pb->stages_of[(size_t)r * pb->v + c];
            const size_t base = (size_t)s * M;
            double *hf = h, *hi = h + (pb->M - k->nf[s]), *hw = hi + (pb->M - k->ni[s]);
            for (int m = k->nf[s]; m < pb->M; m++)
                hf[m - k->nf[s]] = fmax(ef[base + (size_t)m] - pb->tf[s], st);
            for (int m = k->ni[s]; m < pb->M; m++)
                hi[m - k->ni[s]] = fmax(ei[base + (size_t)m] - pb->ti[s], st);
            for (int m = k->nw[s]; m < pb->M; m++)
                hw[m - k->nw[s]] = m >= k->ni[s] ? fmax(ei[base + (size_t)m], st) : st;
            h = hw + (pb->M - k->nw[s]);
            cls[nc++] = (jclass){hf, pb->M - k->nf[s], 0, pb->tf[s], x->tail_f[s], 0};
            cls[nc++] = (jclass){hi, pb->M - k->ni[s], 0, pb->ti[s], x->tail_i[s], 0};
            cls[nc++] = (jclass){hw, pb->M - k->nw[s], 0, pb->tw[s], 0, 0};
        }
        double j = jackson(cls, nc);
        lb = j > lb ? j : lb;
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
    x->left[r]--;
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
    x->left[r]++;
    x->cur.n[r]--;
}

/* The actions rank r may run next (at most 3 per stage), in the order the search tries them
 * (it finds good schedules early): I, then F (only while the limit holds its activation), then
 * W. An action whose input comes from the same rank (the turn of the V) is one only once that
 * input has run. */
static int candidates(const xsearch *x, int r, zba_op *out)
{
    const zba_problem *pb = x->pb;
    const zba_clock *k = &x->k;
    int n = 0;
    for (int c = 0; c < pb->v; c++) {
        int s = pb->stages_of[(size_t)r * pb->v + c];
        if (k->ni[s] < k->nf[s] &&
            !(s + 1 < pb->S && pb->rank_of[s + 1] == r && k->ni[s + 1] <= k->ni[s]))
            out[n++] = (zba_op){.stage = s, .mb = k->ni[s], .kind = PPS_I};
    }
    for (int c = 0; c < pb->v; c++) {
        int s = pb->stages_of[(size_t)r * pb->v + c];
        if (k->nf[s] < pb->M && k->mem[r] + pb->act[s] <= pb->mem_limit * (1 + 1e-12) &&
            !(s > 0 && pb->rank_of[s - 1] == r && k->nf[s - 1] <= k->nf[s]))
            out[n++] = (zba_op){.stage = s, .mb = k->nf[s], .kind = PPS_F};
    }
    for (int c = 0; c < pb->v; c++) {
        int s = pb->stages_of[(size_t)r * pb->v + c];
        if (k->nw[s] < k->ni[s])
            out[n++] = (zba_op){.stage = s, .mb = k->nw[s], .kind = PPS_W};
    }
    return n;
}

static void dfs(xsearch *x, size_t placed, size_t total);
/* Runs op on rank r now (its input is known) and searches on. After a W the same rank decides
 * its next action at once (x->must), so that the exchange rule of decide() sees the W. */
static void place(xsearch *x, int r, const zba_op *op, size_t placed, size_t total)
{
    undo u;
    int must = x->must;
    double must_start = x->must_start, must_mem = x->must_mem;
    double start = x->k.free_at[r];
    double dep = zba_dep_ready(&x->k, op);
    start = dep > start ? dep : start;
    double mem_before = x->k.mem[r];
    put(x, r, op, &u);
    x->must = op->kind == PPS_W && x->left[r] > 0 ? r : -1;
    x->must_start = start;
    x->must_mem = mem_before;
    dfs(x, placed + 1, total);
    x->must = must;
    x->must_start = must_start;
    x->must_mem = must_mem;
    unput(x, r, op, &u);
}

/* Branches on rank r's next action: each candidate, run now when its input is known, else
 * committed to. An exchange argument prunes: when r has just run a W that started at t0, an F
 * or I whose input was there by t0 (and, for an F, whose activation fitted before the W freed
 * its part) is not run right after it. Running that one first and the W right after ends the
 * pair when the W-first pair ends, hands its output on no later, sends in the same order and
 * holds no more than the limit, so swapping such neighbours (each swap moves a W later, so they
 * end) turns any schedule into one without them that is no slower. An action whose input is not
 * known yet is let through (the search only explores more). */
static void decide(xsearch *x, int r, size_t placed, size_t total)
{
    const zba_problem *pb = x->pb;
    zba_op ops[6];
    int n = candidates(x, r, ops);
    int after_w = x->must == r;
    for (int i = 0; i < n && !x->stopped; i++) {
        const zba_op *op = &ops[i];
        double dep = op->kind == PPS_W ? 0 : zba_dep_ready(&x->k, op);
        if (after_w && op->kind != PPS_W && dep >= 0 &&
            dep <= x->must_start + 1e-12 * (x->must_start > 1 ? x->must_start : 1) &&
            (op->kind == PPS_I ||
             x->must_mem + pb->act[op->stage] <= pb->mem_limit * (1 + 1e-12)))
            continue;
        if (dep >= 0) {
            place(x, r, op, placed, total);
        } else {
            int must = x->must;
            x->must = -1;
            x->pend[r] = *op;
            dfs(x, placed, total);
            x->pend[r].kind = -1;
            x->must = must;
        }
    }
}

/* The rank whose action is decided next at the current state, as dfs() does: the rank that
 * just ran a W, else a committed rank whose input has come, else the free rank that is free
 * first (ties: the lowest); -1 when every rank left waits (a deadlock). */
static int next_rank(const xsearch *x)
{
    const zba_problem *pb = x->pb;
    if (x->must >= 0)
        return x->must;
    for (int r = 0; r < pb->P; r++)
        if (x->pend[r].kind >= 0 && zba_dep_ready(&x->k, &x->pend[r]) >= 0)
            return r;
    int best = -1;
    for (int r = 0; r < pb->P; r++)
        if (x->pend[r].kind < 0 && x->left[r] > 0 &&
            (best < 0 || x->k.free_at[r] < x->k.free_at[best]))
            best = r;
    return best;
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
    /* a must-state is not in the table: its next step is constrained */
    if (x->must < 0 && dominated(x))
        return;
    int r = next_rank(x);
    if (r >= 0 && x->must < 0 && x->pend[r].kind >= 0) {
        /* a committed action whose input has come: run it (no choice) */
        zba_op op = x->pend[r];
        x->pend[r].kind = -1;
        place(x, r, &op, placed, total);
        x->pend[r] = op;
    } else if (r >= 0) {
        decide(x, r, placed, total);
    }
    /* else every rank left waits on an action not placed: a deadlock */
}

/* Frees what xsearch_init allocated (x zeroed or initialised). */
static void xsearch_free(xsearch *x)
{
    for (size_t i = 0; x->table && i < x->table_size; i++)
        for (seen *e = x->table[i]; e;) {
            seen *next = e->next;
            free(e);
            e = next;
        }
    free(x->table);
    free(x->est_f);
    free(x->est_i);
    free(x->follow_f);
    free(x->follow_i);
    free(x->room);
    free(x->turn_room);
    free(x->turn_of);
    free(x->tail_f);
    free(x->tail_i);
    free(x->jh);
    free(x->pend);
    free(x->times);
    free(x->key);
    free(x->rem);
    free(x->left);
    zba_orders_free(&x->cur);
    zba_clock_free(&x->k);
}

/* The search's buffers and per-stage constants for pb, at the start state. */
static pps_status xsearch_init(xsearch *x, const zba_problem *pb, pps_error *err)
{
    if ((size_t)3 * pb->S + (size_t)pb->P > 65535 || pb->M > 255)
        return pps_error_set(err, PPS_EUNSUPPORTED,
                             "exact search: at most 255 micro-batches and 21845 stages");
    *x = (xsearch){.pb = pb, .best_makespan = INFINITY, .must = -1};
    x->key_len = 3 * (size_t)pb->S + (size_t)pb->P;
    x->times_cap = 3 * (size_t)pb->P + 2 * (size_t)pb->S * (size_t)pb->M;
    x->table_size = (size_t)1 << 20;
    x->max_entries = (size_t)4 << 20;
    const size_t S = (size_t)pb->S, P = (size_t)pb->P, SM = S * (size_t)pb->M;
    pps_status st = zba_clock_init(&x->k, pb, err);
    if (st == PPS_OK)
        st = zba_orders_alloc(&x->cur, pb, err);
    x->rem = calloc(P, sizeof *x->rem);
    x->left = calloc(P, sizeof *x->left);
    x->key = malloc(x->key_len);
    x->times = malloc(x->times_cap * sizeof *x->times);
    x->table = calloc(x->table_size, sizeof(seen *));
    x->est_f = malloc(SM * sizeof *x->est_f);
    x->est_i = malloc(SM * sizeof *x->est_i);
    x->follow_f = malloc(S * sizeof *x->follow_f);
    x->follow_i = malloc(S * sizeof *x->follow_i);
    x->room = malloc(S * sizeof *x->room);
    x->turn_room = calloc(S, sizeof *x->turn_room);
    x->turn_of = calloc(S, sizeof *x->turn_of);
    x->tail_f = malloc(S * sizeof *x->tail_f);
    x->tail_i = malloc(S * sizeof *x->tail_i);
    x->jh = malloc((size_t)3 * (size_t)pb->v * (size_t)pb->M * sizeof *x->jh);
    x->pend = malloc(P * sizeof *x->pend);
    if (st == PPS_OK && (!x->rem || !x->left || !x->key || !x->times || !x->table || !x->est_f ||
                         !x->est_i || !x->follow_f || !x->follow_i || !x->room ||
                         !x->turn_room || !x->turn_of || !x->tail_f || !x->tail_i || !x->jh ||
                         !x->pend))
        st = pps_error_set(err, PPS_ENOMEM, "out of memory for the exact search");
    if (st != PPS_OK) {
        xsearch_free(x);
        return st;
    }
    /* Jackson's bound proves one-stage-per-rank rows at the root or with 10x fewer nodes; on the
     * V placement it saved 30% of the nodes at 5x the cost per node (P = 2, M = 4), so not there */
    x->use_jps = pb->v == 1;
    for (size_t r = 0; r < P; r++)
        x->pend[r] = (zba_op){.stage = -1, .mb = -1, .kind = -1};
    for (int s = 0; s < pb->S; s++) {
        x->rem[pb->rank_of[s]] += pb->M * (pb->tf[s] + pb->ti[s] + pb->tw[s]);
        x->left[pb->rank_of[s]] += 3 * pb->M;
        follow_times(pb, s, &x->follow_f[s], &x->follow_i[s]);
        /* every micro-batch between its F and its I holds at least act on the stage; on the V
         * placement, one between F and I on the rank's later stage s also holds act[q] on its
         * earlier stage q (its F(q) ran before, its I(q) runs after) */
        int r = pb->rank_of[s], q = pb->stages_of[(size_t)r * pb->v];
        double held = pb->act[s] + (pb->v == 2 && q != s ? pb->act[q] : 0);
        double fit = held > 0 ? floor(pb->mem_limit / held * (1 + 1e-12)) : INFINITY;
        x->room[s] = fit >= pb->M || !(fit >= 1) ? pb->M : (int)fit;
        /* V: when F(s,m) runs on the rank's later stage s, micro-batches m-k..m all passed F on
         * its earlier stage q and hold act[q] each until their I(q); with room for only k of
         * them beside act[s], I(q,m-k) came first */
        if (pb->v == 2 && q != s && pb->act[q] > 0) {
            double k2 = floor((pb->mem_limit - pb->act[s]) / pb->act[q] * (1 + 1e-12));
            if (k2 >= 1 && k2 < pb->M) {
                x->turn_room[s] = (int)k2;
                x->turn_of[s] = q;
            }
        }
    }
    /* least time from an action's end to the step's end: the backward chain down to stage 0
     * and each stage's W after its I */
    for (int s = 0; s < pb->S; s++) {
        double t = pb->tw[s];
        if (s > 0 && pb->bwd_comm[s] + pb->ti[s - 1] + x->tail_i[s - 1] > t)
            t = pb->bwd_comm[s] + pb->ti[s - 1] + x->tail_i[s - 1];
        x->tail_i[s] = t;
    }
    for (int s = pb->S - 1; s >= 0; s--)
        x->tail_f[s] = s + 1 < pb->S ? pb->fwd_comm[s] + pb->tf[s + 1] + x->tail_f[s + 1]
                                     : pb->ti[s] + x->tail_i[s];
    return PPS_OK;
}

pps_status zbx_search(const zba_problem *pb, long long node_limit, zba_orders *incumbent,
                      zbx_result *res, pps_error *err)
{
    xsearch x;
    pps_status st = xsearch_init(&x, pb, err);
    if (st != PPS_OK)
        return st;
    x.best = incumbent;
    x.node_limit = node_limit;
    zba_score sc;
    if (zba_replay(&x.k, incumbent, &sc, NULL) == PPS_OK)
        x.best_makespan = sc.makespan;
    zba_clock_reset(&x.k);
    res->lower_bound = lower_bound(&x);
    dfs(&x, 0, 3 * (size_t)pb->S * (size_t)pb->M);
    res->best.makespan = x.best_makespan;
    res->best.span_idle = NAN;
    res->proven = !x.stopped;
    res->nodes = x.nodes;
    xsearch_free(&x);
    return PPS_OK;
}

/* Follows the search's path to orders o (at each node, the next action of next_rank()'s row:
 * run, or committed to when its input is not known) and returns the largest lower bound met on
 * the way; -1 when o is not a valid schedule. */
double zbx_path_bound(const zba_problem *pb, const zba_orders *o)
{
    xsearch x;
    pps_error err;
    zba_score sc;
    if (xsearch_init(&x, pb, &err) != PPS_OK)
        return -1;
    double worst = -1;
    int ok = zba_replay(&x.k, o, &sc, NULL) == PPS_OK;
    zba_clock_reset(&x.k);
    size_t total = 3 * (size_t)pb->S * (size_t)pb->M;
    for (size_t placed = 0; ok && placed < total;) {
        double lb = lower_bound(&x);
        worst = lb > worst ? lb : worst;
        int r = next_rank(&x);
        if (r < 0) { /* cannot happen for a valid schedule */
            ok = 0;
            break;
        }
        zba_op op = zba_row(o, r)[x.cur.n[r]];
        if (zba_dep_ready(&x.k, &op) < 0) {
            x.pend[r] = op;
            x.must = -1;
            continue;
        }
        undo u;
        put(&x, r, &op, &u);
        x.pend[r].kind = -1;
        x.must = op.kind == PPS_W && x.left[r] > 0 ? r : -1;
        placed++;
    }
    xsearch_free(&x);
    return ok ? worst : -1;
}
