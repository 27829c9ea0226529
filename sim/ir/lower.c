/* lower.c — inserts SEND/RECV into a compute-only schedule (docs/ir.md, "Lowering"): a plan of
 * where each receive goes (lower.h), then the lowered programs written from it. */
#include "ir/lower.h"

#include <stdlib.h>
#include <string.h>

static size_t cell(const pps_schedule *s, int stage, int mb)
{
    return (size_t)stage * (size_t)s->microbatches + (size_t)mb;
}

/* A receive while planning: its source rank orders the lanes (see below). */
typedef struct item {
    int32_t src;
    ppsl_recv r;
} item;

/* Sorts items stably by `before`. Each lane's items arrive in sequence order with
 * non-decreasing `before`, so the list is a few sorted runs (one per peer, in rank order) and a
 * natural merge sort takes one pass per doubling of runs. Stability keeps every lane in the
 * order its peer sends, and items of different lanes before one position grouped by rank.
 * Returns the sorted array: it or tmp. */
static item *sort_items(item *it, item *tmp, size_t n)
{
    for (;;) {
        size_t runs = 0, lo = 0, k = 0;
        while (lo < n) {
            size_t mid = lo + 1;
            while (mid < n && it[mid - 1].r.before <= it[mid].r.before)
                mid++;
            if (lo == 0 && mid == n)
                return it; /* already sorted: nothing to merge */
            size_t hi = mid < n ? mid + 1 : n;
            while (hi < n && it[hi - 1].r.before <= it[hi].r.before)
                hi++;
            size_t a = lo, b = mid;
            while (a < mid && b < hi)
                tmp[k++] = it[b].r.before < it[a].r.before ? it[b++] : it[a++];
            while (a < mid)
                tmp[k++] = it[a++];
            while (b < hi)
                tmp[k++] = it[b++];
            runs++;
            lo = hi;
        }
        if (runs <= 1)
            return n ? tmp : it;
        item *swap = it;
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
    item *it = NULL, *tmp = NULL;
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
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1) {
            for (size_t r = 0; r < R; r++)
                first[r + 2] += first[r + 1];
            it = calloc(first[R + 1] ? first[R + 1] : 1, sizeof *it);
            tmp = malloc((first[R + 1] ? first[R + 1] : 1) * sizeof *tmp);
            if (!it || !tmp)
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
                    it[first[dst + 1]++] = (item){
                        .src = r,
                        .r = {.before = fwd ? pos_f[c] : pos_b[c], .stage = stage,
                              .mb = snd[j].mb, .kind = fwd ? PPS_RECV_F : PPS_RECV_B}};
                }
            }
        }
    }
    /* The fill advanced first[r + 1] to the end of rank r's block: it now starts rank r + 1. */
    plan->recv = malloc((first[R] ? first[R] : 1) * sizeof *plan->recv);
    if (!plan->recv)
        goto nomem;
    for (size_t r = 0; r < R; r++) {
        item *x = it + first[r];
        size_t n = first[r + 1] - first[r];
        /* A receive posted before its consumer must also precede every later receive from the
         * same peer: `before` becomes the suffix minimum within each lane. Items are grouped
         * by src (producers were walked rank by rank). */
        for (size_t i = n; i-- > 1;)
            if (x[i - 1].src == x[i].src && x[i].r.before < x[i - 1].r.before)
                x[i - 1].r.before = x[i].r.before;
        item *sorted = sort_items(x, tmp + first[r], n);
        for (size_t i = 0; i < n; i++)
            plan->recv[first[r] + i] = sorted[i].r;
    }
    plan->first = first;
    first = NULL;
    goto done;
nomem:
    st = pps_error_set(err, PPS_ENOMEM, "out of memory lowering the schedule");
    ppsl_plan_free(plan);
done:
    free(pos_f);
    free(pos_b);
    free(first);
    free(it);
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
