/* lower.c — inserts SEND/RECV into a compute-only schedule (docs/ir.md, "Lowering"): a plan of
 * where each receive goes (lower.h), then the lowered programs written from it. */
#include "ir/lower.h"

#include <stdlib.h>
#include <string.h>

static size_t cell(const pps_schedule *s, int stage, int mb)
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
                pos_f[cell(s, a->stage, a->mb)] = (uint32_t)i;
            if (a->kind == PPS_B || a->kind == PPS_I)
                pos_b[cell(s, a->stage, a->mb)] = (uint32_t)i;
            if (a->kind == PPS_OVERLAP_F_B)
                pos_b[cell(s, a->stage2, a->mb2)] = (uint32_t)i;
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
                    size_t c = cell(s, stage, snd[j].mb);
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
