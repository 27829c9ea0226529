/* equiv_cases.h — the configurations of the equivalence test (test_equivalence.c) and the
 * digest of a run. Uses only the API that predates the stream core (generate, validate, lower,
 * simulate, analyze), so that equivalence_digest.c compiles against the previous library too and
 * its output, stored in tests/data/equivalence.txt, is the previous algorithm's verdict.
 *
 * Case i: a generator of the grid (naive, gpipe, 1f1b, interleaved-1f1b, looped-bfs) with
 * random P, v, M, then random changes that the generators do not make (a B split into I and a
 * later W, an F and the next B of a rank merged into OVERLAP_F_B, idle slots, UNSHARD, RESHARD
 * and REDUCE_GRAD), and random costs: per-stage times and sizes, links within and across
 * nodes, sometimes zero times (equal instants) and --comm sync. Everything comes from a
 * splitmix64 stream seeded with i, so every build draws the same cases. */
#ifndef PPS_EQUIV_CASES_H
#define PPS_EQUIV_CASES_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ppsim.h"

#define EQ_CASES 1000

typedef struct eq_rng {
    uint64_t x;
} eq_rng;

static inline uint64_t eq_next(eq_rng *r)
{
    uint64_t z = (r->x += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}

/* Uniform integer in [lo, hi]. */
static inline int eq_int(eq_rng *r, int lo, int hi)
{
    return lo + (int)(eq_next(r) % (uint64_t)(hi - lo + 1));
}

/* Uniform in [lo, hi), with 53 random bits. */
static inline double eq_real(eq_rng *r, double lo, double hi)
{
    return lo + (hi - lo) * (double)(eq_next(r) >> 11) * 0x1.0p-53;
}

/* Inserts a at position pos of rank's program. */
static inline int eq_insert(pps_schedule *s, int rank, size_t pos, pps_action a)
{
    pps_error err;
    if (pps_schedule_append(s, rank, a, &err) != PPS_OK)
        return 0;
    pps_program *p = &s->programs[rank];
    memmove(&p->actions[pos + 1], &p->actions[pos], (p->n - 1 - pos) * sizeof *p->actions);
    p->actions[pos] = a;
    return 1;
}

/* Random changes that keep the program valid (docs/ir.md): splits, merges, extra actions. */
static inline int eq_mutate(eq_rng *r, pps_schedule *s, int *what)
{
    *what = 0;
    int split = eq_int(r, 0, 3) == 0, merge = eq_int(r, 0, 7) == 0;
    int idle = eq_int(r, 0, 5) == 0, fsdp = eq_int(r, 0, 7) == 0;
    for (int rank = 0; rank < s->ranks; rank++) {
        pps_program *p = &s->programs[rank];
        for (size_t i = 0; split && i < p->n; i++) {
            if (p->actions[i].kind != PPS_B || eq_int(r, 0, 2) != 0)
                continue;
            pps_action w = p->actions[i];
            p->actions[i].kind = PPS_I;
            w.kind = PPS_W;
            size_t at = i + 1 + (size_t)eq_int(r, 0, (int)(p->n - i - 1));
            if (!eq_insert(s, rank, at, w))
                return 0;
            *what |= 1;
        }
        for (size_t i = 0; merge && i + 1 < p->n; i++) {
            /* An F and the backward next to it, either way round, become one composite. */
            pps_action *a = &p->actions[i], *b = &p->actions[i + 1];
            int fb = a->kind == PPS_F && (b->kind == PPS_B || b->kind == PPS_I);
            int bf = b->kind == PPS_F && (a->kind == PPS_B || a->kind == PPS_I);
            if ((!fb && !bf) || eq_int(r, 0, 5))
                continue;
            pps_action f = fb ? *a : *b, back = fb ? *b : *a;
            *a = f;
            a->stage2 = back.stage;
            a->mb2 = back.mb;
            a->kind2 = back.kind;
            a->kind = PPS_OVERLAP_F_B;
            memmove(b, b + 1, (p->n - i - 2) * sizeof *b);
            p->n--;
            *what |= 2;
        }
        for (int k = 0; idle && k < 2; k++) {
            if (!eq_insert(s, rank, (size_t)eq_int(r, 0, (int)p->n), pps_action_make(PPS_IDLE, -1, -1)))
                return 0;
            *what |= 4;
        }
        int own = -1;
        for (int st = 0; st < s->stages && own < 0; st++)
            if (s->stage_rank[st] == rank)
                own = st;
        for (int k = 0; fsdp && own >= 0 && k < 3; k++) {
            static const pps_kind kinds[3] = {PPS_UNSHARD, PPS_RESHARD, PPS_REDUCE_GRAD};
            if (!eq_insert(s, rank, (size_t)eq_int(r, 0, (int)p->n), pps_action_make(kinds[k], own, -1)))
                return 0;
            *what |= 8;
        }
    }
    return 1;
}

static inline void eq_costs(eq_rng *r, int stages, int ranks, pps_cost *c)
{
    pps_cost_init(c);
    int zero = eq_int(r, 0, 19) == 0; /* some zero times: equal instants everywhere */
    c->nstages = stages;
    c->stage = calloc((size_t)stages, sizeof *c->stage);
    for (int st = 0; st < stages; st++) {
        pps_stage_cost *x = &c->stage[st];
        x->tf = zero && eq_int(r, 0, 1) ? 0 : eq_real(r, 0.05, 3);
        x->ti = zero && eq_int(r, 0, 1) ? 0 : eq_real(r, 0.05, 3);
        x->tw = zero && eq_int(r, 0, 1) ? 0 : eq_real(r, 0.05, 3);
        x->tb = x->ti + x->tw;
        x->act_bytes = eq_real(r, 0, 1e9);
        x->act_w_bytes = x->act_bytes * eq_real(r, 0, 1);
        x->send_bytes = eq_int(r, 0, 2) ? eq_real(r, 0, 1e8) : 0;
#ifdef PPS_STAGE_COST_FIELDS /* a later library: t_FB unset, an overlap takes both halves */
        x->tfb = NAN;
#endif
    }
    c->intra.latency = eq_int(r, 0, 3) ? eq_real(r, 0, 0.5) : 0;
    c->intra.bandwidth = eq_int(r, 0, 1) ? eq_real(r, 1e8, 1e10) : 0;
    c->inter.latency = eq_real(r, 0, 2);
    c->inter.bandwidth = eq_int(r, 0, 1) ? eq_real(r, 1e7, 1e9) : 0;
    c->ranks_per_node = eq_int(r, 0, ranks);
    c->comm_sync = eq_int(r, 0, 9) == 0;
    c->t_unshard = eq_real(r, 0, 0.3);
    c->t_reshard = eq_real(r, 0, 0.3);
    c->t_reduce_grad = eq_real(r, 0, 0.3);
}

/* Case i: a valid compute-only schedule (*s, caller destroys) and its costs (caller clears),
 * with a one-line description. */
static inline int eq_case(int i, pps_schedule **s, pps_cost *c, char *desc, size_t size)
{
    static const char *const names[] = {"naive", "gpipe", "1f1b", "interleaved-1f1b",
                                        "looped-bfs"};
    eq_rng r = {(uint64_t)i * 0x2545F4914F6CDD1Du + 12345u};
    pps_error err;
    for (;;) {
        const char *name = names[eq_int(&r, 0, 4)];
        const pps_generator *g = pps_generator_find(name);
        pps_gen_params p = {.ranks = eq_int(&r, 1, 8), .microbatches = eq_int(&r, 1, 24)};
        p.chunks = strcmp(name, "interleaved-1f1b") == 0 || strcmp(name, "looped-bfs") == 0
                       ? eq_int(&r, 2, 4)
                       : 1;
        if (!g || pps_generate(g, &p, s, &err) != PPS_OK)
            continue; /* a configuration the schedule refuses: draw again */
        int what;
        if (!eq_mutate(&r, *s, &what) || pps_schedule_validate(*s, &err) != PPS_OK) {
            pps_schedule_destroy(*s);
            return 0;
        }
        eq_costs(&r, (*s)->stages, (*s)->ranks, c);
        if (pps_cost_resolve(c, (*s)->stages, &err) != PPS_OK) {
            pps_schedule_destroy(*s);
            pps_cost_clear(c);
            return 0;
        }
        snprintf(desc, size, "%s P=%d v=%d M=%d%s%s%s%s%s", name, p.ranks, p.chunks,
                 p.microbatches, what & 1 ? " I/W" : "", what & 2 ? " overlap" : "",
                 what & 4 ? " idle" : "", what & 8 ? " fsdp" : "",
                 c->comm_sync ? " sync" : "");
        return 1;
    }
}

/* ------------------------------------------------------------------ digests (FNV-1a, 64 bits) */

static inline void eq_hash(uint64_t *h, const void *data, size_t n)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++) {
        *h ^= p[i];
        *h *= 0x100000001B3u;
    }
}

static inline void eq_hash_int(uint64_t *h, long long v)
{
    eq_hash(h, &v, sizeof v);
}

/* Bits of v, every NaN alike (its payload is not a result). */
static inline void eq_hash_double(uint64_t *h, double v)
{
    if (isnan(v))
        v = NAN;
    eq_hash(h, &v, sizeof v);
}

static inline void eq_hash_timeline(uint64_t *h, const pps_timeline *t)
{
    eq_hash_int(h, (long long)t->n);
    for (size_t i = 0; i < t->n; i++) {
        const pps_event *e = &t->events[i];
        const pps_action *a = &e->action;
        long long f[9] = {e->rank, e->stream, e->peer, a->kind, a->stage, a->mb, a->kind2,
                          a->stage2, a->mb2};
        for (int k = 0; k < 9; k++)
            eq_hash_int(h, f[k]);
        eq_hash_double(h, e->start);
        eq_hash_double(h, e->end);
    }
}

static inline void eq_hash_analysis(uint64_t *h, const pps_analysis *a)
{
    double v[8] = {a->makespan, a->busy, a->idle, a->idle_over_total, a->idle_over_compute,
                   a->stage_span_rate, a->throughput, (double)a->compute_actions};
    for (int k = 0; k < 8; k++)
        eq_hash_double(h, v[k]);
    for (int r = 0; r < a->ranks; r++) {
        const pps_rank_stats *x = &a->per_rank[r];
        double w[6] = {x->busy, x->idle, x->first_start, x->last_end, x->peak_activation,
                       (double)x->compute_actions};
        for (int k = 0; k < 6; k++)
            eq_hash_double(h, w[k]);
    }
}

/* The digest of a failed run: its status and message. */
static inline void eq_hash_failure(uint64_t *h, pps_status st, const char *msg)
{
    eq_hash_int(h, st);
    eq_hash(h, msg, strlen(msg));
}

#endif /* PPS_EQUIV_CASES_H */
