/* zb_auto_greedy.c — the zero-bubble heuristic of Qi et al. (ICLR 2024, §3.1) as an event-driven
 * list scheduler: each rank, when it is free, runs an arrived I first, else an F if the memory
 * limit allows and it does not delay an arriving I, else a W to fill the gap or to free memory;
 * leftover W at the end. The paper's binary choices (and a few more) are the parameters. */
#include "zb_auto.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A rank in the decision heap: its key is when it next decides (INFINITY while it waits for
 * data nobody has produced yet). */
typedef struct slot {
    double key;
    int32_t rank;
} slot;

typedef struct greedy {
    const zba_problem *pb;
    const zba_greedy_params *gp;
    zba_clock *k;
    zba_orders *o;
    slot *heap;       /* [P] a binary heap, earliest key first */
    int32_t *pos;     /* [P] each rank's index in heap */
    double *reserved; /* [P] activation on the rank's later stage (V) of the micro-batches
                         admitted and not yet forwarded there, bytes */
    char *backward;   /* [P] 1 once the rank has run an I */
} greedy;

/* Earlier key first; equal keys by rank, so that runs are reproducible. */
static int before(slot a, slot b)
{
    return a.key < b.key || (a.key == b.key && a.rank < b.rank);
}

static double key_of(const greedy *g, int32_t r)
{
    return g->heap[g->pos[r]].key;
}

/* Sets rank r's key and restores the heap: up when it fell, down when it rose. */
static void set_key(greedy *g, int32_t r, double t)
{
    int i = g->pos[r], n = g->pb->P;
    slot me = {t, r};
    if (t < g->heap[i].key) {
        while (i > 0 && before(me, g->heap[(i - 1) / 2])) {
            g->heap[i] = g->heap[(i - 1) / 2];
            g->pos[g->heap[i].rank] = i;
            i = (i - 1) / 2;
        }
    } else {
        for (;;) {
            int c = 2 * i + 1;
            if (c >= n)
                break;
            if (c + 1 < n && before(g->heap[c + 1], g->heap[c]))
                c++;
            if (!before(g->heap[c], me))
                break;
            g->heap[i] = g->heap[c];
            g->pos[g->heap[i].rank] = i;
            i = c;
        }
    }
    g->heap[i] = me;
    g->pos[r] = i;
}

/* Rank r's stage of chunk c (0 or 1), in the preferred order when `later_first`. */
static int stage_at(const greedy *g, int r, int i, int later_first)
{
    int v = g->pb->v;
    int c = later_first ? v - 1 - i : i;
    return g->pb->stages_of[(size_t)r * v + c];
}

/* 1 when memory (and the depth choice) let rank r run its next F on stage s; *mem_short is set
 * when memory alone refuses it. A micro-batch enters the rank (its first stage) only when the
 * rank then still has room for its activation on the rank's later stage (V): with `reserve_all`
 * for every micro-batch admitted and not yet forwarded there, else for the next one. Either way
 * the oldest micro-batch in flight can always go on, so no rank waits for memory forever. */
static int f_allowed(const greedy *g, int r, int s, int *mem_short)
{
    const zba_problem *pb = g->pb;
    const zba_clock *k = g->k;
    const double limit = pb->mem_limit * (1 + 1e-12);
    int entry = s == pb->stages_of[(size_t)r * pb->v];
    if (entry && g->gp->depth > 0 && k->nf[s] - k->ni[s] >= g->gp->depth * (pb->P - r))
        return 0;
    double need = !entry                 ? pb->act[s]
                  : g->gp->reserve_all ? g->reserved[r] + pb->rank_act[r]
                                         : pb->rank_act[r];
    if (k->mem[r] + need > limit) {
        *mem_short = 1;
        return 0;
    }
    return 1;
}

/* Appends op to rank r's order and runs it on the clock; wakes the rank that consumes its
 * output if the data arrives before that rank planned to decide. */
static void run(greedy *g, int r, int kind, int s)
{
    const zba_problem *pb = g->pb;
    zba_clock *k = g->k;
    zba_op op = {.stage = s, .kind = kind,
                 .mb = kind == PPS_F ? k->nf[s] : kind == PPS_I ? k->ni[s] : k->nw[s]};
    zba_row(g->o, r)[g->o->n[r]++] = op;
    if (kind == PPS_F && s == pb->stages_of[(size_t)r * pb->v])
        g->reserved[r] += pb->rank_act[r] - pb->act[s];
    else if (kind == PPS_F)
        g->reserved[r] -= pb->act[s];
    if (kind == PPS_I)
        g->backward[r] = 1;
    zba_clock_put(k, r, &op);
    set_key(g, r, k->free_at[r]);
    int dst = -1;
    double t = 0;
    if (kind == PPS_F && s + 1 < pb->S) {
        dst = pb->rank_of[s + 1];
        t = k->out_f[(size_t)s * pb->M + op.mb];
    } else if (kind == PPS_I && s > 0) {
        dst = pb->rank_of[s - 1];
        t = k->out_i[(size_t)s * pb->M + op.mb];
    }
    if (dst >= 0 && dst != r) {
        double when = t > k->free_at[dst] ? t : k->free_at[dst];
        if (when < key_of(g, dst))
            set_key(g, dst, when);
    }
}

/* Rank r decides at time D, when every datum arriving by D is known. */
static void decide(greedy *g, int r, double D)
{
    const zba_problem *pb = g->pb;
    const zba_greedy_params *gp = g->gp;
    zba_clock *k = g->k;
    const int v = pb->v, lf = gp->later_chunk_first;
    const double eps = 1e-12 * (D > 1 ? D : 1);
    double t_i = INFINITY, t_f = INFINITY;

    /* 1. An arrived I runs first: it is on the critical path of its micro-batch. */
    for (int i = 0; i < v; i++) {
        int s = stage_at(g, r, i, lf);
        if (k->ni[s] >= k->nf[s])
            continue;
        zba_op op = {.stage = s, .mb = k->ni[s], .kind = PPS_I};
        double t = zba_dep_ready(k, &op);
        if (t >= 0 && t <= D + eps) {
            run(g, r, PPS_I, s);
            return;
        }
        if (t >= 0 && t < t_i)
            t_i = t;
    }
    /* 2. Too many W pending on a stage (the lag choice). */
    int w_stage = -1;
    for (int i = 0; i < v; i++) {
        int s = stage_at(g, r, i, lf);
        int pending = k->ni[s] - k->nw[s];
        if (pending > 0 && (w_stage < 0 || pending > k->ni[w_stage] - k->nw[w_stage]))
            w_stage = s;
        if (gp->w_lag >= 0 && pending > gp->w_lag) {
            run(g, r, PPS_W, s);
            return;
        }
    }
    /* 3. An F whose input has arrived, if memory allows and it does not hold up an I. */
    int mem_short = 0;
    for (int i = 0; i < v; i++) {
        int s = stage_at(g, r, i, lf);
        if (k->nf[s] >= pb->M)
            continue;
        zba_op op = {.stage = s, .mb = k->nf[s], .kind = PPS_F};
        double t = zba_dep_ready(k, &op);
        if (t < 0)
            continue;
        int short_now = 0;
        if (!f_allowed(g, r, s, &short_now)) {
            mem_short |= short_now && t <= D + eps;
            continue;
        }
        if (t > D + eps) {
            t_f = t < t_f ? t : t_f;
            continue;
        }
        int overrun = g->backward[r] ? gp->steady_overrun : gp->warmup_overrun;
        if (overrun || D + pb->tf[s] <= t_i + eps) {
            run(g, r, PPS_F, s);
            return;
        }
    }
    /* 4. A W: to make room for an F, or to fill the time until the next arrival. */
    double t_next = t_i < t_f ? t_i : t_f;
    if (w_stage >= 0 && (mem_short || gp->w_overrun || isinf(t_next) ||
                         D + pb->tw[w_stage] <= t_next + eps)) {
        run(g, r, PPS_W, w_stage);
        return;
    }
    /* 5. Wait for the next arrival (or for any, when none is known yet). */
    set_key(g, r, t_next);
}

void zba_sequential(const zba_problem *pb, zba_orders *o)
{
    memset(o->n, 0, (size_t)pb->P * sizeof *o->n);
    for (int m = 0; m < pb->M; m++) {
        for (int s = 0; s < pb->S; s++) {
            int r = pb->rank_of[s];
            zba_row(o, r)[o->n[r]++] = (zba_op){.stage = s, .mb = m, .kind = PPS_F};
        }
        for (int s = pb->S - 1; s >= 0; s--) {
            int r = pb->rank_of[s];
            zba_row(o, r)[o->n[r]++] = (zba_op){.stage = s, .mb = m, .kind = PPS_I};
            zba_row(o, r)[o->n[r]++] = (zba_op){.stage = s, .mb = m, .kind = PPS_W};
        }
    }
}

pps_status zba_greedy(const zba_problem *pb, const zba_greedy_params *gp, zba_clock *k,
                      zba_orders *o, pps_error *err)
{
    const int P = pb->P;
    greedy g = {.pb = pb, .gp = gp, .k = k, .o = o};
    g.heap = calloc((size_t)P, sizeof *g.heap);
    g.pos = calloc((size_t)P, sizeof *g.pos);
    g.reserved = calloc((size_t)P, sizeof *g.reserved);
    g.backward = calloc((size_t)P, 1);
    pps_status st = PPS_OK;
    if (!g.heap || !g.pos || !g.reserved || !g.backward) {
        st = pps_error_set(err, PPS_ENOMEM, "out of memory for the greedy scheduler");
        goto out;
    }
    zba_clock_reset(k);
    k->nready = 0;
    memset(o->n, 0, (size_t)P * sizeof *o->n);
    for (int r = 0; r < P; r++) {
        /* only stage 0's forwards need no input; keys in rank order make a valid heap */
        g.heap[r] = (slot){r == 0 ? 0 : INFINITY, r};
        g.pos[r] = r;
    }
    size_t total = 3 * (size_t)pb->S * (size_t)pb->M, done = 0;
    while (done < total) {
        int r = g.heap[0].rank;
        double D = g.heap[0].key;
        if (isinf(D)) {
            st = pps_error_set(err, PPS_EUNSUPPORTED,
                               "greedy: every rank waits with %zu of %zu actions placed", done,
                               total);
            goto out;
        }
        size_t before_n = o->n[r];
        decide(&g, r, D);
        done += o->n[r] - before_n;
    }
out:
    free(g.heap);
    free(g.pos);
    free(g.reserved);
    free(g.backward);
    return st;
}
