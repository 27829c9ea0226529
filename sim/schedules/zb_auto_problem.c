/* zb_auto_problem.c — the zero-bubble scheduler's problem (per-stage times and sizes from the
 * cost model, transfer times, the memory limit) and its clock: the exact timing of per-rank
 * orders, and the same score through ppsim's own simulator. */
#include "zb_auto.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void zba_problem_free(zba_problem *pb)
{
    if (!pb)
        return;
    free(pb->rank_of);
    free(pb->stages_of);
    free(pb->tf);
    free(pb->ti);
    free(pb->tw);
    free(pb->act);
    free(pb->actw);
    free(pb->fwd_comm);
    free(pb->bwd_comm);
    free(pb->rank_act);
    pps_cost_clear(&pb->own_cost);
    memset(pb, 0, sizeof *pb);
}

pps_status zba_problem_init(zba_problem *pb, int P, int v, int M, const pps_cost *c,
                            pps_error *err)
{
    memset(pb, 0, sizeof *pb);
    if (v != 1 && v != 2)
        return pps_error_set(err, PPS_EUNSUPPORTED, "chunks must be 1 or 2 (got %d)", v);
    const int S = P * v;
    pb->P = P;
    pb->v = v;
    pb->S = S;
    pb->M = M;
    pb->vshape = v == 2;
    if (!c) { /* the defaults, split over the stages of a rank as any cost model is */
        pps_schedule shape = {.ranks = P, .stages = S, .microbatches = M, .chunks = v,
                              .placement = v == 2 ? PPS_PLACE_V : PPS_PLACE_LOOP};
        pps_cost_init(&pb->own_cost);
        pps_status st = pps_cost_resolve_for(&pb->own_cost, &shape, err);
        if (st != PPS_OK)
            return st;
        c = &pb->own_cost;
    }
    pb->cost = c;
    pb->mem_limit = INFINITY;
    size_t ns = (size_t)S;
    pb->rank_of = malloc(ns * sizeof *pb->rank_of);
    pb->stages_of = malloc(ns * sizeof *pb->stages_of);
    double **arrays[] = {&pb->tf, &pb->ti, &pb->tw, &pb->act, &pb->actw, &pb->fwd_comm,
                         &pb->bwd_comm};
    int ok = pb->rank_of && pb->stages_of;
    for (size_t i = 0; i < sizeof arrays / sizeof arrays[0]; i++)
        ok &= (*arrays[i] = malloc(ns * sizeof(double))) != NULL;
    ok &= (pb->rank_act = calloc((size_t)P, sizeof(double))) != NULL;
    if (!ok) {
        zba_problem_free(pb);
        return pps_error_set(err, PPS_ENOMEM, "out of memory for a problem of %d stages", S);
    }
    for (int s = 0; s < S; s++)
        pb->rank_of[s] = s < P ? s : 2 * P - 1 - s;
    for (int r = 0; r < P; r++) {
        pb->stages_of[(size_t)r * v] = r;
        if (v == 2)
            pb->stages_of[(size_t)r * v + 1] = 2 * P - 1 - r;
    }
    const pps_cost *cc = pb->cost;
    for (int s = 0; s < S; s++) {
        pps_action a = pps_action_make(PPS_F, s, 0);
        pb->tf[s] = pps_cost_duration(cc, &a);
        a.kind = PPS_I;
        pb->ti[s] = pps_cost_duration(cc, &a);
        a.kind = PPS_W;
        pb->tw[s] = pps_cost_duration(cc, &a);
        pps_stage_cost x = pps_cost_of_stage(cc, s);
        pb->act[s] = x.act_bytes;
        pb->actw[s] = x.act_w_bytes;
        pb->rank_act[pb->rank_of[s]] += x.act_bytes;
        int r = pb->rank_of[s];
        pb->fwd_comm[s] = s + 1 < S && pb->rank_of[s + 1] != r
                              ? pps_cost_transfer(cc, r, pb->rank_of[s + 1], x.send_bytes)
                              : 0;
        pb->bwd_comm[s] = s > 0 && pb->rank_of[s - 1] != r
                              ? pps_cost_transfer(cc, r, pb->rank_of[s - 1], x.send_bytes)
                              : 0;
    }
    for (int r = 0; r < P; r++) {
        double inflight = P - r < M ? P - r : M; /* 1F1B holds min(P-r, M) on rank r */
        if (inflight * pb->rank_act[r] > pb->unit)
            pb->unit = inflight * pb->rank_act[r];
    }
    return PPS_OK;
}

/* Parses "K" or "A/B" (positive, finite) from text[0..len). */
static int parse_multiple(const char *text, size_t len, double *out)
{
    char buf[64];
    if (len == 0 || len >= sizeof buf)
        return 0;
    memcpy(buf, text, len);
    buf[len] = '\0';
    char *end;
    errno = 0;
    double a = strtod(buf, &end), b = 1;
    if (end == buf)
        return 0;
    if (*end == '/') {
        char *den = end + 1;
        b = strtod(den, &end);
        if (end == den)
            return 0;
    }
    if (*end != '\0' || errno == ERANGE || !isfinite(a) || !isfinite(b) || a <= 0 || b <= 0)
        return 0;
    *out = a / b;
    return 1;
}

pps_status zba_set_memory_limit(zba_problem *pb, const char *text, const char *who,
                                pps_error *err)
{
    size_t len = strlen(text);
    double limit;
    if (len > 0 && (text[len - 1] == 'x' || text[len - 1] == 'X')) {
        double k;
        if (!parse_multiple(text, len - 1, &k))
            return pps_error_set(err, PPS_EINPUT,
                                 "--memory-limit: '%s' is not a positive multiple such as 1x, "
                                 "2x, 0.5x or 1/3x",
                                 text);
        limit = k * pb->unit;
    } else {
        char *end;
        errno = 0;
        limit = strtod(text, &end);
        if (end == text || *end != '\0' || errno == ERANGE || !isfinite(limit) || limit < 0)
            return pps_error_set(err, PPS_EINPUT,
                                 "--memory-limit: '%s' is neither bytes (a non-negative "
                                 "number) nor a multiple of 1F1B's peak (1x, 2x, ...)",
                                 text);
    }
    for (int r = 0; r < pb->P; r++) {
        if (limit >= pb->rank_act[r])
            continue;
        char stages[48];
        if (pb->v == 2)
            snprintf(stages, sizeof stages, "stages %d and %d", r, 2 * pb->P - 1 - r);
        else
            snprintf(stages, sizeof stages, "stage %d", r);
        return pps_error_set(err, PPS_EUNSUPPORTED,
                             "%s: --memory-limit %s (%g bytes per rank) is below one "
                             "micro-batch's activation on rank %d (%g bytes on its %s); no "
                             "schedule fits",
                             who, text, limit, r, pb->rank_act[r], stages);
    }
    pb->mem_limit = limit;
    return PPS_OK;
}

pps_status zba_orders_alloc(zba_orders *o, const zba_problem *pb, pps_error *err)
{
    o->ranks = pb->P;
    o->per_rank = 3 * (size_t)pb->v * (size_t)pb->M;
    o->n = calloc((size_t)pb->P, sizeof *o->n);
    o->op = malloc((size_t)pb->P * o->per_rank * sizeof *o->op);
    if (!o->n || !o->op) {
        zba_orders_free(o);
        return pps_error_set(err, PPS_ENOMEM, "out of memory for %d x %zu actions", pb->P,
                             o->per_rank);
    }
    return PPS_OK;
}

void zba_orders_free(zba_orders *o)
{
    if (!o)
        return;
    free(o->n);
    free(o->op);
    o->n = NULL;
    o->op = NULL;
}

void zba_orders_copy(zba_orders *dst, const zba_orders *src)
{
    memcpy(dst->n, src->n, (size_t)src->ranks * sizeof *src->n);
    for (int r = 0; r < src->ranks; r++)
        memcpy(zba_row(dst, r), zba_row(src, r), src->n[r] * sizeof *src->op);
}

int zba_score_better(zba_score a, zba_score b)
{
    double tol = 1e-9 * (b.makespan > 1 ? b.makespan : 1);
    if (a.makespan < b.makespan - tol)
        return 1;
    if (a.makespan > b.makespan + tol)
        return 0;
    if (a.span_idle < b.span_idle - tol)
        return 1;
    if (a.span_idle > b.span_idle + tol)
        return 0;
    return a.end_sum < b.end_sum - tol;
}

/* ------------------------------------------------------------------ the clock */

pps_status zba_clock_init(zba_clock *k, const zba_problem *pb, pps_error *err)
{
    memset(k, 0, sizeof *k);
    k->pb = pb;
    size_t sm = (size_t)pb->S * (size_t)pb->M, np = (size_t)pb->P, ns = (size_t)pb->S;
    k->out_f = malloc(sm * sizeof *k->out_f);
    k->out_i = malloc(sm * sizeof *k->out_i);
    k->waiter = malloc(2 * sm * sizeof *k->waiter);
    k->link_last = malloc(2 * np * sizeof *k->link_last);
    k->free_at = malloc(np * sizeof *k->free_at);
    k->first = malloc(np * sizeof *k->first);
    k->busy = malloc(np * sizeof *k->busy);
    k->mem = malloc(np * sizeof *k->mem);
    k->peak = malloc(np * sizeof *k->peak);
    k->nf = malloc(ns * sizeof *k->nf);
    k->ni = malloc(ns * sizeof *k->ni);
    k->nw = malloc(ns * sizeof *k->nw);
    k->head = malloc(np * sizeof *k->head);
    k->ready = malloc(np * sizeof *k->ready);
    if (!k->out_f || !k->out_i || !k->waiter || !k->link_last || !k->free_at || !k->first ||
        !k->busy || !k->mem || !k->peak || !k->nf || !k->ni || !k->nw || !k->head || !k->ready) {
        zba_clock_free(k);
        return pps_error_set(err, PPS_ENOMEM, "out of memory for the clock of %zu cells", sm);
    }
    zba_clock_reset(k);
    return PPS_OK;
}

void zba_clock_free(zba_clock *k)
{
    if (!k)
        return;
    void *ptrs[] = {k->out_f, k->out_i, k->waiter, k->link_last, k->free_at, k->first, k->busy,
                    k->mem, k->peak, k->nf, k->ni, k->nw, k->head, k->ready, k->start, k->end};
    for (size_t i = 0; i < sizeof ptrs / sizeof ptrs[0]; i++)
        free(ptrs[i]);
    memset(k, 0, sizeof *k);
}

void zba_clock_reset(zba_clock *k)
{
    const zba_problem *pb = k->pb;
    size_t sm = (size_t)pb->S * (size_t)pb->M;
    for (size_t i = 0; i < sm; i++)
        k->out_f[i] = k->out_i[i] = -1;
    memset(k->waiter, 0xff, 2 * sm * sizeof *k->waiter); /* all -1 */
    for (int r = 0; r < pb->P; r++) {
        k->link_last[2 * (size_t)r] = k->link_last[2 * (size_t)r + 1] = 0;
        k->free_at[r] = k->busy[r] = k->mem[r] = k->peak[r] = 0;
        k->first[r] = -1;
        k->head[r] = 0;
    }
    memset(k->nf, 0, (size_t)pb->S * sizeof *k->nf);
    memset(k->ni, 0, (size_t)pb->S * sizeof *k->ni);
    memset(k->nw, 0, (size_t)pb->S * sizeof *k->nw);
}

static inline double duration(const zba_problem *pb, const zba_op *op)
{
    return op->kind == PPS_F ? pb->tf[op->stage] : op->kind == PPS_I ? pb->ti[op->stage]
                                                                     : pb->tw[op->stage];
}

static inline double mem_delta(const zba_problem *pb, const zba_op *op)
{
    int s = op->stage;
    return op->kind == PPS_F ? pb->act[s] : op->kind == PPS_I ? -(pb->act[s] - pb->actw[s])
                                                              : -pb->actw[s];
}

/* The slot op waits on (an index into waiter[]), or -1 when it has no cross-action data
 * dependency: F(s,m) waits on F(s-1,m)'s output, I(s,m) on I(s+1,m)'s. */
static inline int64_t dep_slot(const zba_problem *pb, const zba_op *op)
{
    size_t M = (size_t)pb->M;
    if (op->kind == PPS_F)
        return op->stage > 0 ? (int64_t)((size_t)(op->stage - 1) * M + (size_t)op->mb) : -1;
    if (op->kind == PPS_I && op->stage + 1 < pb->S)
        return (int64_t)((size_t)pb->S * M + (size_t)(op->stage + 1) * M + (size_t)op->mb);
    return -1;
}

static inline double dep_ready(const zba_clock *k, const zba_op *op)
{
    int64_t slot = dep_slot(k->pb, op);
    if (slot < 0)
        return 0;
    size_t sm = (size_t)k->pb->S * (size_t)k->pb->M;
    return (size_t)slot < sm ? k->out_f[slot] : k->out_i[(size_t)slot - sm];
}

/* Directed link src -> dst between neighbouring ranks (both placements only have those). */
static size_t link_id(int src, int dst)
{
    return 2 * (size_t)(src < dst ? src : dst) + (src > dst);
}

/* When data produced at `end` on rank src is usable on rank dst: the transfer starts when the
 * previous one on the link has arrived (the sender's queue is in order) and takes `dur`. */
static double deliver(zba_clock *k, int src, int dst, double end, double dur)
{
    if (src == dst)
        return end;
    double *last = &k->link_last[link_id(src, dst)];
    double t = (end > *last ? end : *last) + dur;
    *last = t;
    return t;
}

static inline double clock_put(zba_clock *k, int r, const zba_op *op)
{
    const zba_problem *pb = k->pb;
    const int s = op->stage;
    double dep = dep_ready(k, op);
    double start = k->free_at[r] > dep ? k->free_at[r] : dep;
    double dur = duration(pb, op);
    double end = start + dur;
    k->free_at[r] = end;
    k->busy[r] += dur;
    if (k->first[r] < 0)
        k->first[r] = start;
    k->mem[r] += mem_delta(pb, op);
    if (k->mem[r] > k->peak[r])
        k->peak[r] = k->mem[r];
    size_t cell = (size_t)s * (size_t)pb->M + (size_t)op->mb;
    int64_t slot = -1;
    if (op->kind == PPS_F) {
        k->nf[s]++;
        int dst = s + 1 < pb->S ? pb->rank_of[s + 1] : r;
        k->out_f[cell] = deliver(k, r, dst, end, pb->fwd_comm[s]);
        slot = (int64_t)cell;
    } else if (op->kind == PPS_I) {
        k->ni[s]++;
        int dst = s > 0 ? pb->rank_of[s - 1] : r;
        k->out_i[cell] = deliver(k, r, dst, end, pb->bwd_comm[s]);
        slot = (int64_t)((size_t)pb->S * (size_t)pb->M + cell);
    } else {
        k->nw[s]++;
    }
    if (slot >= 0 && k->waiter[slot] >= 0) {
        k->ready[k->nready++] = k->waiter[slot];
        k->waiter[slot] = -1;
    }
    return end;
}

double zba_duration(const zba_problem *pb, const zba_op *op)
{
    return duration(pb, op);
}

double zba_mem_delta(const zba_problem *pb, const zba_op *op)
{
    return mem_delta(pb, op);
}

double zba_dep_ready(const zba_clock *k, const zba_op *op)
{
    return dep_ready(k, op);
}

double zba_clock_put(zba_clock *k, int r, const zba_op *op)
{
    return clock_put(k, r, op);
}

/* 1 when op may run next on rank r given what that rank has done: its stage is r's, and it is
 * the next micro-batch of its kind on its stage, after its own F (for I) or I (for W). */
static int in_order(const zba_clock *k, int r, const zba_op *op)
{
    const zba_problem *pb = k->pb;
    int s = op->stage;
    if (s < 0 || s >= pb->S || pb->rank_of[s] != r || op->mb < 0 || op->mb >= pb->M)
        return 0;
    switch (op->kind) {
    case PPS_F: return op->mb == k->nf[s];
    case PPS_I: return op->mb == k->ni[s] && op->mb < k->nf[s];
    case PPS_W: return op->mb == k->nw[s] && op->mb < k->ni[s];
    default: return 0;
    }
}

int zba_orders_ok(zba_clock *k, const zba_orders *o)
{
    const zba_problem *pb = k->pb;
    memset(k->nf, 0, (size_t)pb->S * sizeof *k->nf);
    memset(k->ni, 0, (size_t)pb->S * sizeof *k->ni);
    memset(k->nw, 0, (size_t)pb->S * sizeof *k->nw);
    for (int r = 0; r < pb->P; r++) {
        const zba_op *row = zba_row(o, r);
        for (size_t i = 0; i < o->n[r]; i++) {
            const zba_op *op = &row[i];
            if (!in_order(k, r, op))
                return 0;
            int32_t *count = op->kind == PPS_F ? k->nf : op->kind == PPS_I ? k->ni : k->nw;
            count[op->stage]++;
        }
    }
    for (int s = 0; s < pb->S; s++)
        if (k->nw[s] != pb->M)
            return 0;
    return 1;
}

static const char *kind_letter(int kind)
{
    return kind == PPS_F ? "F" : kind == PPS_I ? "I" : kind == PPS_W ? "W" : "?";
}

pps_status zba_replay(zba_clock *k, const zba_orders *o, zba_score *score, pps_error *err)
{
    const zba_problem *pb = k->pb;
    zba_clock_reset(k);
    k->nready = 0;
    for (int r = pb->P - 1; r >= 0; r--)
        k->ready[k->nready++] = r;
    while (k->nready > 0) {
        int r = k->ready[--k->nready];
        const zba_op *row = zba_row(o, r);
        while (k->head[r] < o->n[r]) {
            const zba_op *op = &row[k->head[r]];
            if (!in_order(k, r, op))
                return pps_error_set(err, PPS_EINPUT,
                                     "rank %d, position %zu: %d%s%d is out of order", r,
                                     k->head[r], op->stage, kind_letter(op->kind), op->mb);
            if (dep_ready(k, op) < 0) {
                k->waiter[dep_slot(pb, op)] = r;
                break;
            }
            double end = clock_put(k, r, op);
            if (k->start) {
                size_t at = (size_t)r * o->per_rank + k->head[r];
                k->end[at] = end;
                k->start[at] = end - duration(pb, op);
            }
            if (k->mem[r] > pb->mem_limit * (1 + 1e-12))
                return pps_error_set(err, PPS_EUNSUPPORTED,
                                     "rank %d holds %g bytes of activation after %d%s%d, over "
                                     "the limit of %g",
                                     r, k->mem[r], op->stage, kind_letter(op->kind), op->mb,
                                     pb->mem_limit);
            k->head[r]++;
        }
    }
    for (int r = 0; r < pb->P; r++) {
        if (k->head[r] < o->n[r]) {
            const zba_op *op = &zba_row(o, r)[k->head[r]];
            return pps_error_set(err, PPS_EINPUT, "deadlock: rank %d waits at %d%s%d", r,
                                 op->stage, kind_letter(op->kind), op->mb);
        }
    }
    for (int s = 0; s < pb->S; s++)
        if (k->nw[s] != pb->M)
            return pps_error_set(err, PPS_EINPUT, "stage %d runs %d of %d W actions", s,
                                 k->nw[s], pb->M);
    if (score)
        *score = zba_clock_score(k);
    return PPS_OK;
}

zba_score zba_clock_score(const zba_clock *k)
{
    zba_score sc = {0, 0, 0};
    for (int r = 0; r < k->pb->P; r++) {
        sc.end_sum += k->free_at[r];
        double span = k->free_at[r] - (k->first[r] > 0 ? k->first[r] : 0);
        if (k->free_at[r] > sc.makespan)
            sc.makespan = k->free_at[r];
        if (span - k->busy[r] > sc.span_idle)
            sc.span_idle = span - k->busy[r];
    }
    return sc;
}

pps_status zba_orders_to_schedule(const zba_orders *o, pps_schedule *s, pps_error *err)
{
    size_t most = 0;
    for (int r = 0; r < o->ranks; r++)
        most = o->n[r] > most ? o->n[r] : most;
    pps_status st = pps_gen_reserve(s, most, err);
    if (st != PPS_OK)
        return st;
    for (int r = 0; r < o->ranks; r++) {
        const zba_op *row = zba_row(o, r);
        for (size_t i = 0; i < o->n[r]; i++)
            pps_gen_put(s, r, (pps_kind)row[i].kind, row[i].stage, row[i].mb);
    }
    return PPS_OK;
}

pps_status zba_simulate_score(const zba_problem *pb, const zba_orders *o, zba_score *score,
                              pps_error *err)
{
    pps_schedule *s = NULL, *low = NULL;
    pps_timeline *t = NULL;
    pps_analysis a = {0};
    pps_status st = pps_schedule_create(pb->P, pb->S, pb->M, pb->vshape ? PPS_PLACE_V
                                                                         : PPS_PLACE_LOOP,
                                        NULL, &s, err);
    if (st == PPS_OK)
        st = zba_orders_to_schedule(o, s, err);
    if (st == PPS_OK)
        st = pps_schedule_validate(s, err);
    if (st == PPS_OK)
        st = pps_schedule_lower(s, &low, err);
    if (st == PPS_OK)
        st = pps_simulate(low, pb->cost, &t, err);
    if (st == PPS_OK)
        st = pps_analyze(t, &a, err);
    if (st == PPS_OK) {
        score->makespan = a.makespan;
        score->span_idle = score->end_sum = 0;
        for (int r = 0; r < a.ranks; r++) {
            const pps_rank_stats *x = &a.per_rank[r];
            score->end_sum += x->last_end;
            double idle = x->last_end - x->first_start - x->busy;
            if (idle > score->span_idle)
                score->span_idle = idle;
        }
    }
    pps_analysis_clear(&a);
    pps_timeline_destroy(t);
    pps_schedule_destroy(low);
    pps_schedule_destroy(s);
    return st;
}
