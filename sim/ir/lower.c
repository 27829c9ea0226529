/* lower.c — inserts SEND/RECV into a compute-only schedule (docs/ir.md, "Lowering"): a plan of
 * where each receive goes (lower.h), then the lowered programs written from it. */
#include "ir/lower.h"

#include <stdlib.h>
#include <string.h>

static size_t cell_of(const pps_schedule *s, int stage, int mb)
{
    return (size_t)stage * (size_t)s->microbatches + (size_t)mb;
}

/* Sorts it[0..n) stably by `before`. Each lane's receives arrive in sequence order with
 * non-decreasing `before`, so the list is a few sorted runs (one per peer, in rank order) and a
 * natural merge sort takes one pass per doubling of runs. Stability keeps every lane in the
 * order its peer sends, and receives of different lanes before one position grouped by rank.
 * tmp has room for n. Returns the sorted array: it or tmp. */
static ppsl_recv *sort_recvs(ppsl_recv *it, ppsl_recv *tmp, size_t n)
{
    for (;;) {
        size_t runs = 0, lo = 0, k = 0;
        while (lo < n) {
            size_t mid = lo + 1;
            while (mid < n && it[mid - 1].before <= it[mid].before)
                mid++;
            if (lo == 0 && mid == n)
                return it; /* already sorted: nothing to merge */
            size_t hi = mid < n ? mid + 1 : n;
            while (hi < n && it[hi - 1].before <= it[hi].before)
                hi++;
            size_t a = lo, b = mid;
            while (a < mid && b < hi)
                tmp[k++] = it[b].before < it[a].before ? it[b++] : it[a++];
            while (a < mid)
                tmp[k++] = it[a++];
            while (b < hi)
                tmp[k++] = it[b++];
            runs++;
            lo = hi;
        }
        if (runs <= 1)
            return n ? tmp : it;
        ppsl_recv *swap = it;
        it = tmp;
        tmp = swap;
    }
}

void ppsl_plan_free(ppsl_plan *plan)
{
    free(plan->recv);
    free(plan->first);
    plan->recv = NULL;
    plan->first = NULL;
}

pps_status ppsl_plan_build(const pps_schedule *s, ppsl_plan *plan, pps_error *err)
{
    plan->recv = NULL;
    plan->first = NULL;
    size_t ncells = (size_t)s->stages * (size_t)s->microbatches, R = (size_t)s->ranks;
    /* Position of each cell's F and B/I in its rank's program (what a receive precedes). */
    uint32_t *pos_f = malloc((ncells ? ncells : 1) * sizeof *pos_f);
    uint32_t *pos_b = malloc((ncells ? ncells : 1) * sizeof *pos_b);
    size_t *first = calloc(R + 2, sizeof *first);
    ppsl_recv *rv = NULL, *tmp = NULL;
    pps_status st = PPS_OK;
    if (!pos_f || !pos_b || !first)
        goto nomem;
    for (int r = 0; r < s->ranks; r++) {
        const pps_program *p = &s->programs[r];
        for (size_t i = 0; i < p->n; i++) {
            const pps_action *a = &p->actions[i];
            if (a->kind == PPS_F || a->kind == PPS_OVERLAP_F_B)
                pos_f[cell_of(s, a->stage, a->mb)] = (uint32_t)i;
            if (a->kind == PPS_B || a->kind == PPS_I)
                pos_b[cell_of(s, a->stage, a->mb)] = (uint32_t)i;
            if (a->kind == PPS_OVERLAP_F_B)
                pos_b[cell_of(s, a->stage2, a->mb2)] = (uint32_t)i;
        }
    }
    /* Count, then place, the receives each rank needs (first[dst + 2] counts, so that after the
     * prefix sum first[dst + 1] is the fill cursor), walking producers rank by rank in program
     * order so that each lane's receives come out in the order its peer sends them. */
    size_t most = 0; /* receives of the rank with the most: the sort's scratch */
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1) {
            for (size_t r = 0; r < R; r++) {
                most = first[r + 2] > most ? first[r + 2] : most;
                first[r + 2] += first[r + 1];
            }
            rv = calloc(first[R + 1] ? first[R + 1] : 1, sizeof *rv);
            tmp = malloc((most ? most : 1) * sizeof *tmp);
            if (!rv || !tmp)
                goto nomem;
        }
        for (int r = 0; r < s->ranks; r++) {
            const pps_program *p = &s->programs[r];
            for (size_t i = 0; i < p->n; i++) {
                pps_action snd[2];
                int k = ppsl_sends_of(s, r, &p->actions[i], snd);
                for (int j = 0; j < k; j++) {
                    int fwd = snd[j].kind == PPS_SEND_F;
                    int stage = fwd ? snd[j].stage + 1 : snd[j].stage - 1;
                    int dst = s->stage_rank[stage];
                    if (pass == 0) {
                        first[dst + 2]++;
                        continue;
                    }
                    size_t c = cell_of(s, stage, snd[j].mb);
                    rv[first[dst + 1]++] = (ppsl_recv){
                        .before = fwd ? pos_f[c] : pos_b[c], .stage = stage, .mb = snd[j].mb,
                        .src = r, .kind = fwd ? PPS_RECV_F : PPS_RECV_B};
                }
            }
        }
    }
    /* The fill advanced first[r + 1] to the end of rank r's block: it now starts rank r + 1. */
    for (size_t r = 0; r < R; r++) {
        ppsl_recv *x = rv + first[r];
        size_t n = first[r + 1] - first[r];
        /* A receive posted before its consumer must also precede every later receive from the
         * same peer: `before` becomes the suffix minimum within each lane. Receives are grouped
         * by src (producers were walked rank by rank). */
        for (size_t i = n; i-- > 1;)
            if (x[i - 1].src == x[i].src && x[i].before < x[i - 1].before)
                x[i - 1].before = x[i].before;
        if (sort_recvs(x, tmp, n) != x)
            memcpy(x, tmp, n * sizeof *x);
    }
    plan->recv = rv;
    plan->first = first;
    rv = NULL;
    first = NULL;
    goto done;
nomem:
    st = pps_error_set(err, PPS_ENOMEM, "out of memory lowering the schedule");
    ppsl_plan_free(plan);
done:
    free(pos_f);
    free(pos_b);
    free(first);
    free(rv);
    free(tmp);
    return st;
}

pps_status pps_schedule_lower(const pps_schedule *s, pps_schedule **out, pps_error *err)
{
    *out = NULL;
    if (s->lowered)
        return pps_error_set(err, PPS_EINPUT, "schedule is already lowered");
    ppsl_plan plan;
    pps_schedule *low = NULL;
    pps_status st = ppsl_plan_build(s, &plan, err);
    if (st == PPS_OK)
        st = pps_schedule_create(s->ranks, s->stages, s->microbatches, s->placement,
                                 s->stage_rank, &low, err);
    if (st != PPS_OK)
        goto done;
    memcpy(low->name, s->name, sizeof low->name);
    low->lowered = 1;
    for (int r = 0; r < s->ranks; r++) {
        const pps_program *src = &s->programs[r];
        const ppsl_recv *rv = plan.recv + plan.first[r];
        size_t nrecv = plan.first[r + 1] - plan.first[r], next = 0;
        pps_program *dst = &low->programs[r];
        /* Each action is followed by at most two sends. */
        size_t want = 3 * src->n + nrecv + 1;
        dst->actions = malloc(want * sizeof *dst->actions);
        if (!dst->actions) {
            st = pps_error_set(err, PPS_ENOMEM, "out of memory lowering the schedule");
            goto done;
        }
        dst->cap = want;
        for (size_t i = 0; i < src->n; i++) {
            for (; next < nrecv && rv[next].before == i; next++)
                dst->actions[dst->n++] =
                    pps_action_make((pps_kind)rv[next].kind, rv[next].stage, rv[next].mb);
            const pps_action *a = &src->actions[i];
            dst->actions[dst->n++] = *a;
            dst->n += (size_t)ppsl_sends_of(s, r, a, &dst->actions[dst->n]);
        }
    }
    *out = low;
    low = NULL;
done:
    pps_schedule_destroy(low);
    ppsl_plan_free(&plan);
    return st;
}

/* Per-cell state while adding waits: sends seen and still unwaited, and waits the program
 * already has. */
enum { SENT_F = 1, SENT_B = 2, HAS_WAIT_F = 4, HAS_WAIT_B = 8 };

/* Writes into dst rank r's program src without its idle slots and, when waits, with the waits
 * of PyTorch 2.15's lowering (see pps_schedule_for_pytorch). cell (stages × micro-batches
 * bytes) and due (stages counters) are zeroed scratch, left zeroed; pend has room for every
 * send of the program. */
static void pytorch_rank(const pps_schedule *s, const pps_program *src, int waits,
                         pps_program *dst, uint8_t *cell, uint32_t *due, pps_action *pend)
{
    size_t npend = 0;
    /* Waits the program has already (REDUCE_GRAD: how many are still to come per stage). */
    for (size_t i = 0; i < src->n; i++) {
        const pps_action *a = &src->actions[i];
        if (a->kind == PPS_WAIT_SEND_F || a->kind == PPS_WAIT_SEND_B)
            cell[cell_of(s, a->stage, a->mb)] |= a->kind == PPS_WAIT_SEND_F ? HAS_WAIT_F
                                                                            : HAS_WAIT_B;
        else if (a->kind == PPS_WAIT_REDUCE_GRAD)
            due[a->stage]++;
    }
    for (size_t i = 0; i < src->n; i++) {
        const pps_action *a = &src->actions[i];
        pps_kind k = (pps_kind)a->kind;
        if (k == PPS_IDLE)
            continue;
        dst->actions[dst->n++] = *a;
        if (!waits)
            continue;
        if (k == PPS_SEND_F || k == PPS_SEND_B) {
            uint8_t *c = &cell[cell_of(s, a->stage, a->mb)];
            if (!(*c & (k == PPS_SEND_F ? HAS_WAIT_F : HAS_WAIT_B))) {
                *c |= k == PPS_SEND_F ? SENT_F : SENT_B;
                pend[npend++] = *a;
            }
        } else if (k == PPS_REDUCE_GRAD) {
            if (due[a->stage] > 0)
                due[a->stage]--; /* the program waits for it later */
            else
                dst->actions[dst->n++] = pps_action_make(PPS_WAIT_REDUCE_GRAD, a->stage, -1);
        }
        /* A backward of (s, m) ran on its input gradient, so stage s+1 has received the
         * activation: the forward send of (s, m) is waited for right after it. */
        int bs = k == PPS_OVERLAP_F_B ? a->stage2 : a->stage;
        int bm = k == PPS_OVERLAP_F_B ? a->mb2 : a->mb;
        if (k == PPS_B || k == PPS_I || k == PPS_OVERLAP_F_B) {
            uint8_t *c = &cell[cell_of(s, bs, bm)];
            if (*c & SENT_F) {
                *c &= (uint8_t)~SENT_F;
                dst->actions[dst->n++] = pps_action_make(PPS_WAIT_SEND_F, bs, bm);
            }
        }
    }
    /* The rest at the end, in the order they were sent. */
    for (size_t j = 0; j < npend; j++) {
        uint8_t *c = &cell[cell_of(s, pend[j].stage, pend[j].mb)];
        int fwd = pend[j].kind == PPS_SEND_F;
        if (*c & (fwd ? SENT_F : SENT_B))
            dst->actions[dst->n++] =
                pps_action_make(fwd ? PPS_WAIT_SEND_F : PPS_WAIT_SEND_B, pend[j].stage, pend[j].mb);
    }
    for (size_t i = 0; i < src->n; i++) { /* leave the scratch zeroed for the next rank */
        const pps_action *a = &src->actions[i];
        pps_kind k = (pps_kind)a->kind;
        if (k == PPS_SEND_F || k == PPS_SEND_B || k == PPS_WAIT_SEND_F || k == PPS_WAIT_SEND_B)
            cell[cell_of(s, a->stage, a->mb)] = 0;
        else if (k == PPS_WAIT_REDUCE_GRAD)
            due[a->stage] = 0;
    }
}

pps_status pps_schedule_for_pytorch(const pps_schedule *s, int waits, pps_schedule **out,
                                    pps_error *err)
{
    *out = NULL;
    size_t ncells = (size_t)s->stages * (size_t)s->microbatches;
    uint8_t *cell = calloc(ncells ? ncells : 1, 1);
    uint32_t *due = calloc((size_t)s->stages + 1, sizeof *due);
    pps_action *pend = NULL;
    pps_schedule *w = NULL;
    pps_status st = cell && due ? pps_schedule_create(s->ranks, s->stages, s->microbatches,
                                                      s->placement, s->stage_rank, &w, err)
                                : PPS_ENOMEM;
    for (int r = 0; r < s->ranks && st == PPS_OK; r++) {
        const pps_program *src = &s->programs[r];
        size_t extra = 0; /* at most one wait per send and per REDUCE_GRAD */
        for (size_t i = 0; i < src->n; i++)
            extra += src->actions[i].kind == PPS_SEND_F || src->actions[i].kind == PPS_SEND_B ||
                     src->actions[i].kind == PPS_REDUCE_GRAD;
        pps_action *np = realloc(pend, (extra ? extra : 1) * sizeof *pend);
        pps_program *dst = &w->programs[r];
        dst->actions = np ? malloc((src->n + extra + 1) * sizeof *dst->actions) : NULL;
        if (np)
            pend = np;
        if (!dst->actions) {
            st = PPS_ENOMEM;
            break;
        }
        dst->cap = src->n + extra + 1;
        pytorch_rank(s, src, waits, dst, cell, due, pend);
    }
    if (st == PPS_ENOMEM)
        pps_error_set(err, PPS_ENOMEM, "out of memory writing the schedule for PyTorch");
    if (st == PPS_OK) {
        memcpy(w->name, s->name, sizeof w->name);
        w->lowered = s->lowered;
        *out = w;
        w = NULL;
    }
    pps_schedule_destroy(w);
    free(cell);
    free(due);
    free(pend);
    return st;
}
