/* interleaved_zb.c — interleaved zero bubble: v stages per rank on the loop placement, 1F1B over
 * rounds of micro-batches with the backward split into I and W, W's delayed to fill the bubble;
 * the same order, cell for cell, as PyTorch 2.15's ScheduleInterleavedZeroBubble (its "ZB1P"). */
#include "schedules.h"

#include <stdlib.h>
#include <string.h>

/* PyTorch's sizing: rounds = max(1, M / P) and per_round = M / rounds micro-batches; M must be a
 * multiple of the rounds. */
static int per_round(const pps_gen_params *p)
{
    int rounds = p->microbatches / p->ranks > 1 ? p->microbatches / p->ranks : 1;
    return p->microbatches / rounds;
}

static pps_status interleaved_zb_check(const pps_gen_params *p, pps_error *err)
{
    if (p->chunks < 2)
        return pps_error_set(err, PPS_EUNSUPPORTED,
                             "interleaved-zb: chunks must be at least 2 (got %d); with one stage "
                             "per rank use zb-h1",
                             p->chunks);
    int rounds = p->microbatches / p->ranks > 1 ? p->microbatches / p->ranks : 1;
    if (p->microbatches % rounds != 0)
        return pps_error_set(err, PPS_EUNSUPPORTED,
                             "interleaved-zb: M=%d is not a multiple of its %d rounds "
                             "(rounds = max(1, M / P) with P=%d; as PyTorch's "
                             "ScheduleInterleavedZeroBubble requires)",
                             p->microbatches, rounds, p->ranks);
    return PPS_OK;
}

/* One rank's order before the lock-step pass: actions and idle cells. */
typedef struct zb_row {
    pps_action *a;
    size_t n;
} zb_row;

/* Rank r's order, as PyTorch's _calculate_single_rank_operations writes it. Operation k of the
 * rank's v·M forwards and v·M backwards: warm-up w = min((v−1)·R + (P−1−r), v·M) forwards (R the
 * micro-batches per round); then for k = w .. v·M+w−1 the forward k (while k < v·M) and the
 * backward (I) of operation k, and from the r-th backward on, the W of the backward r
 * operations earlier; the remaining W's at the end. Forward k runs chunk (k / R) mod v, backward
 * k chunk v−1 − ((k−w) / R) mod v; micro-batches count up per kind and stage. r idle cells open
 * the row and P−1−r follow the warm-up. */
static void rank_order(const pps_gen_params *p, int r, int R, zb_row *row, int *count)
{
    const int P = p->ranks, v = p->chunks, total = v * p->microbatches;
    int *nf = count, *ni = count + (size_t)v, *nw = count + 2 * (size_t)v;
    memset(count, 0, 3 * (size_t)v * sizeof *count);
    int64_t w64 = (int64_t)(v - 1) * R + (P - 1 - r);
    const int w = w64 < total ? (int)w64 : total;
    pps_action *a = row->a;
    size_t n = 0;
    for (int k = 0; k < r; k++)
        a[n++] = pps_action_make(PPS_IDLE, -1, -1);
    for (int k = 0; k < w; k++) {
        int c = (k / R) % v;
        a[n++] = pps_action_make(PPS_F, c * P + r, nf[c]++);
        if (k == w - 1)
            for (int g = 0; g < P - 1 - r; g++)
                a[n++] = pps_action_make(PPS_IDLE, -1, -1);
    }
    int wdone = 0;
    for (int k = w; k < total + w; k++) {
        if (k < total) {
            int c = (k / R) % v;
            a[n++] = pps_action_make(PPS_F, c * P + r, nf[c]++);
        }
        int cb = v - 1 - ((k - w) / R) % v;
        a[n++] = pps_action_make(PPS_I, cb * P + r, ni[cb]++);
        if (k - w >= r) {
            int cw = v - 1 - (wdone++ / R) % v;
            a[n++] = pps_action_make(PPS_W, cw * P + r, nw[cw]++);
        }
    }
    while (wdone < total) {
        int cw = v - 1 - (wdone++ / R) % v;
        a[n++] = pps_action_make(PPS_W, cw * P + r, nw[cw]++);
    }
    row->n = n;
}

/* PyTorch's _add_bubbles_to_actions: the ranks advance in lock step; at each step a rank whose
 * next action is F(s, m), s > 0, waits (an idle cell, the same action tried next step) until
 * F(s−1, m) ran at an earlier step; everything else (I, W, idle cells) goes through. Fails if
 * no rank can move, which the orders above never cause (the loop would not end in PyTorch). */
static pps_status add_bubbles(const zb_row *rows, pps_schedule *s, pps_error *err)
{
    const int P = s->ranks, M = s->microbatches;
    int64_t *fstep = malloc((size_t)s->stages * M * sizeof *fstep); /* step F(s,m) ran, or -1 */
    size_t *pos = calloc((size_t)P, sizeof *pos);
    pps_status st = PPS_OK;
    if (!fstep || !pos) {
        st = pps_error_set(err, PPS_ENOMEM, "interleaved-zb: out of memory");
        goto done;
    }
    for (size_t i = 0; i < (size_t)s->stages * M; i++)
        fstep[i] = -1;
    for (int64_t step = 0;; step++) {
        int active = 0, moved = 0;
        for (int r = 0; r < P && st == PPS_OK; r++) {
            if (pos[r] == rows[r].n)
                continue;
            active = 1;
            const pps_action *a = &rows[r].a[pos[r]];
            if (a->kind == PPS_F && a->stage > 0) {
                int64_t prev = fstep[(size_t)(a->stage - 1) * M + a->mb];
                if (prev < 0 || prev == step) {
                    st = pps_schedule_append(s, r, pps_action_make(PPS_IDLE, -1, -1), err);
                    continue;
                }
            }
            if (a->kind == PPS_F)
                fstep[(size_t)a->stage * M + a->mb] = step;
            st = pps_schedule_append(s, r, *a, err);
            pos[r]++;
            moved = 1;
        }
        if (st != PPS_OK || !active)
            break;
        if (!moved) {
            st = pps_error_set(err, PPS_EUNSUPPORTED, "interleaved-zb: the order cannot progress");
            break;
        }
    }
done:
    free(fstep);
    free(pos);
    return st;
}

static pps_status interleaved_zb_generate(const pps_gen_params *p, pps_schedule *s,
                                          pps_error *err)
{
    const int P = p->ranks, v = p->chunks, R = per_round(p);
    /* Per rank: r + (P−1−r) idle cells and 3·v·M actions. */
    const size_t len = (size_t)P + 3 * (size_t)v * p->microbatches;
    zb_row *rows = calloc((size_t)P, sizeof *rows);
    int *count = calloc(3 * (size_t)v, sizeof *count);
    pps_status st = PPS_OK;
    if (!rows || !count)
        st = pps_error_set(err, PPS_ENOMEM, "interleaved-zb: out of memory");
    for (int r = 0; r < P && st == PPS_OK; r++) {
        rows[r].a = malloc(len * sizeof *rows[r].a);
        if (!rows[r].a)
            st = pps_error_set(err, PPS_ENOMEM, "interleaved-zb: out of memory");
        else
            rank_order(p, r, R, &rows[r], count);
    }
    if (st == PPS_OK)
        st = add_bubbles(rows, s, err);
    for (int r = 0; rows && r < P; r++)
        free(rows[r].a);
    free(rows);
    free(count);
    return st;
}

const pps_generator pps_schedule_interleaved_zb = {
    .name = "interleaved-zb",
    .aliases = "InterleavedZeroBubble,ScheduleInterleavedZeroBubble,interleaved-zero-bubble",
    .summary = "v chunks per rank, 1F1B over rounds with I and W split, W delayed r steps "
               "(PyTorch ScheduleInterleavedZeroBubble, ZB1P)",
    .placement = PPS_PLACE_LOOP,
    .default_chunks = 2,
    .check = interleaved_zb_check,
    .generate = interleaved_zb_generate,
};
