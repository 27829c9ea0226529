/* lower.c — inserts SEND/RECV into a compute-only schedule (docs/ir.md, "Lowering"). */
#include "ppsim.h"

#include <stdlib.h>
#include <string.h>

/* One receive to insert on rank dst: the k-th transfer on lane src -> dst. */
typedef struct recv_item {
    int32_t src;
    size_t before; /* insert before this position of dst's compute-only program */
    pps_action action;
} recv_item;

/* Position of each compute action's cell in its rank's program. */
typedef struct positions {
    size_t *f, *bi; /* [S·M] */
} positions;

static size_t cell(const pps_schedule *s, int stage, int mb)
{
    return (size_t)stage * (size_t)s->microbatches + (size_t)mb;
}

/* The sends that compute action a on rank r produces, in the order they follow it: at most a
 * SEND_F (its forward half) and a SEND_B (its backward half). Returns how many. */
static int sends_of(const pps_schedule *s, int r, const pps_action *a, pps_action out[2])
{
    int n = 0;
    int f = a->kind == PPS_F || a->kind == PPS_OVERLAP_F_B;
    int bk = a->kind == PPS_B || a->kind == PPS_I ? a->kind
             : a->kind == PPS_OVERLAP_F_B       ? a->kind2
                                                : 0;
    int bstage = a->kind == PPS_OVERLAP_F_B ? a->stage2 : a->stage;
    int bmb = a->kind == PPS_OVERLAP_F_B ? a->mb2 : a->mb;
    if (f && a->stage + 1 < s->stages && s->stage_rank[a->stage + 1] != r)
        out[n++] = pps_action_make(PPS_SEND_F, a->stage, a->mb);
    if (bk && bstage > 0 && s->stage_rank[bstage - 1] != r)
        out[n++] = pps_action_make(PPS_SEND_B, bstage, bmb);
    return n;
}

/* Sorts items stably by `before`. Each lane's items arrive in sequence order with
 * non-decreasing `before`, so the list is a few sorted runs (one per peer, in rank order) and a
 * natural merge sort takes one pass per doubling of runs. Stability keeps every lane in the
 * order its peer sends, and items of different lanes before one position grouped by rank.
 * Returns the sorted array: it or tmp. */
static recv_item *sort_items(recv_item *it, recv_item *tmp, size_t n)
{
    for (;;) {
        size_t runs = 0, lo = 0, k = 0;
        while (lo < n) {
            size_t mid = lo + 1;
            while (mid < n && it[mid - 1].before <= it[mid].before)
                mid++;
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
        recv_item *swap = it;
        it = tmp;
        tmp = swap;
    }
}

pps_status pps_schedule_lower(const pps_schedule *s, pps_schedule **out, pps_error *err)
{
    *out = NULL;
    if (s->lowered)
        return pps_error_set(err, PPS_EINPUT, "schedule is already lowered");
    size_t ncells = (size_t)s->stages * (size_t)s->microbatches;
    positions pos = {malloc(ncells * sizeof(size_t)), malloc(ncells * sizeof(size_t))};
    size_t *nitems = calloc((size_t)s->ranks, sizeof *nitems);
    recv_item **items = calloc((size_t)s->ranks, sizeof *items);
    pps_schedule *low = NULL;
    pps_status st = PPS_ENOMEM;
    if (!pos.f || !pos.bi || !nitems || !items)
        goto nomem;
    for (int r = 0; r < s->ranks; r++) {
        for (size_t i = 0; i < s->programs[r].n; i++) {
            const pps_action *a = &s->programs[r].actions[i];
            if (a->kind == PPS_F || a->kind == PPS_OVERLAP_F_B)
                pos.f[cell(s, a->stage, a->mb)] = i;
            if (a->kind == PPS_B || a->kind == PPS_I)
                pos.bi[cell(s, a->stage, a->mb)] = i;
            if (a->kind == PPS_OVERLAP_F_B)
                pos.bi[cell(s, a->stage2, a->mb2)] = i;
        }
    }
    /* Count, then list, the receives each rank needs, walking producers in program order so
     * that each lane's receives come out in the order the peer sends them. */
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1) {
            for (int r = 0; r < s->ranks; r++) {
                items[r] = malloc((nitems[r] ? nitems[r] : 1) * sizeof **items);
                if (!items[r])
                    goto nomem;
                nitems[r] = 0;
            }
        }
        for (int r = 0; r < s->ranks; r++) {
            for (size_t i = 0; i < s->programs[r].n; i++) {
                pps_action snd[2];
                int k = sends_of(s, r, &s->programs[r].actions[i], snd);
                for (int j = 0; j < k; j++) {
                    int fwd = snd[j].kind == PPS_SEND_F;
                    int stage = fwd ? snd[j].stage + 1 : snd[j].stage - 1;
                    int dst = s->stage_rank[stage];
                    if (pass == 1) {
                        size_t c = cell(s, stage, snd[j].mb);
                        items[dst][nitems[dst]] = (recv_item){
                            .src = r,
                            .before = fwd ? pos.f[c] : pos.bi[c],
                            .action = pps_action_make(fwd ? PPS_RECV_F : PPS_RECV_B, stage,
                                                      snd[j].mb)};
                    }
                    nitems[dst]++;
                }
            }
        }
    }
    st = pps_schedule_create(s->ranks, s->stages, s->microbatches, s->placement, s->stage_rank,
                             &low, err);
    if (st != PPS_OK)
        goto fail;
    memcpy(low->name, s->name, sizeof low->name);
    low->lowered = 1;
    for (int r = 0; r < s->ranks; r++) {
        recv_item *it = items[r];
        size_t n = nitems[r];
        /* A receive posted before its consumer must also precede every later receive from the
         * same peer: `before` becomes the suffix minimum within each lane. Items are grouped
         * by src (producers were walked rank by rank). */
        for (size_t i = n; i-- > 1;)
            if (it[i - 1].src == it[i].src && it[i].before < it[i - 1].before)
                it[i - 1].before = it[i].before;
        recv_item *tmp = malloc((n ? n : 1) * sizeof *tmp);
        if (!tmp)
            goto nomem;
        recv_item *sorted = sort_items(it, tmp, n);
        /* Keep the sorted buffer as items[r] so the cleanup path frees the right one. */
        free(sorted == it ? tmp : it);
        items[r] = it = sorted;
        size_t next = 0;
        pps_program *dstp = &low->programs[r];
        /* Each action is followed by at most two sends. */
        size_t want = 3 * s->programs[r].n + n + 1;
        dstp->actions = malloc(want * sizeof *dstp->actions);
        if (!dstp->actions)
            goto nomem;
        dstp->cap = want;
        for (size_t i = 0; i < s->programs[r].n; i++) {
            while (next < n && it[next].before == i)
                dstp->actions[dstp->n++] = it[next++].action;
            const pps_action *a = &s->programs[r].actions[i];
            dstp->actions[dstp->n++] = *a;
            pps_action snd[2];
            int k = sends_of(s, r, a, snd);
            for (int j = 0; j < k; j++)
                dstp->actions[dstp->n++] = snd[j];
        }
    }
    *out = low;
    low = NULL;
    st = PPS_OK;
    goto fail;
nomem:
    st = pps_error_set(err, PPS_ENOMEM, "out of memory lowering the schedule");
fail:
    pps_schedule_destroy(low);
    if (items)
        for (int r = 0; r < s->ranks; r++)
            free(items[r]);
    free(items);
    free(nitems);
    free(pos.f);
    free(pos.bi);
    return st;
}
