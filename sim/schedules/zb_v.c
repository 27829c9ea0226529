/* zb_v.c — ZB-V (Qi et al., Zero Bubble Pipeline Parallelism, arXiv 2401.10241 v2 §6): two
 * stages per rank on the V placement, F-I-W groups after a warm-up of 2P−1 forwards, generated
 * in the same order, cell for cell, as PyTorch 2.15's ScheduleZBVZeroBubble. */
#include "schedules.h"

#include <math.h>

/* PyTorch builds the order for N = max(2P−1, M) micro-batches and blanks those ≥ M, so a small M
 * keeps the shape of 2P−1 with idle cells: the padded grid must fit ppsim's limit too. */
static int64_t padded_microbatches(const pps_gen_params *p)
{
    int64_t n = 2 * (int64_t)p->ranks - 1;
    return n > p->microbatches ? n : p->microbatches;
}

static pps_status zb_v_check(const pps_gen_params *p, pps_error *err)
{
    if (p->chunks != 2)
        return pps_error_set(err, PPS_EUNSUPPORTED,
                             "zb-v: chunks must be 2 (got %d): the V placement gives rank r "
                             "stages r and 2P-1-r",
                             p->chunks);
    int64_t cells = 2 * (int64_t)p->ranks * padded_microbatches(p);
    if (cells > PPS_MAX_CELLS)
        return pps_error_set(err, PPS_EUNSUPPORTED,
                             "zb-v: M=%d < 2P-1=%lld: the order is built for 2P-1 micro-batches "
                             "(as PyTorch's) and 2P(2P-1) = %lld cells exceed the limit of %d",
                             p->microbatches, (long long)(2 * (int64_t)p->ranks - 1),
                             (long long)cells, PPS_MAX_CELLS);
    return PPS_OK;
}

/* Appends kind(stage, mb) to rank r, or an idle cell when mb is beyond the real micro-batches. */
static void put(pps_schedule *s, int r, pps_kind kind, int stage, int mb)
{
    if (mb < s->microbatches)
        pps_gen_put(s, r, kind, stage, mb);
    else
        pps_gen_put_idle(s, r);
}

/* Rank r holds c0 = r (first chunk) and c1 = 2P−1−r (second). With N = max(2P−1, M):
 * 1. r idle cells; 2(P−r)−1 forwards on c0; r pairs F(c1), F(c0) — 2P−1 forwards in all,
 *    2P−1−r on the first chunk and r on the second (the paper's warm-up for worker i = r+1);
 * 2. P−r groups F(c1), I(c1), W(c1);
 * 3. while c1 lags c0 or c0 has forwards left: F(c0) (if any left), I(c0), W(c0), F(c1), I(c1),
 *    W(c1);
 * 4. cool-down: r pairs I(c0), I(c1); P−r pairs I(c0), W(c0) (the W's deferred in step 4); then
 *    the remaining W's of c1, then of c0.
 * Actions of micro-batches ≥ M become idle cells, as PyTorch blanks them. */
static pps_status zb_v_generate(const pps_gen_params *p, pps_schedule *s, pps_error *err)
{
    const int P = p->ranks, N = (int)padded_microbatches(p);
    pps_status st = pps_gen_reserve(s, (size_t)P + 6 * (size_t)N, err);
    if (st != PPS_OK)
        return st;
    for (int r = 0; r < P; r++) {
        const int c0 = r, c1 = 2 * P - 1 - r;
        int f0 = 0, f1 = 0, b0 = 0, b1 = 0;
        for (int k = 0; k < r; k++)
            pps_gen_put_idle(s, r);
        for (int k = 0; k < 2 * (P - r) - 1; k++)
            put(s, r, PPS_F, c0, f0++);
        for (int k = 0; k < r; k++) {
            put(s, r, PPS_F, c1, f1++);
            put(s, r, PPS_F, c0, f0++);
        }
        for (int k = 0; k < P - r; k++, b1++) {
            put(s, r, PPS_F, c1, f1++);
            put(s, r, PPS_I, c1, b1);
            put(s, r, PPS_W, c1, b1);
        }
        while (f1 < f0 || f0 < N) {
            if (f0 < N)
                put(s, r, PPS_F, c0, f0++);
            put(s, r, PPS_I, c0, b0);
            put(s, r, PPS_W, c0, b0++);
            put(s, r, PPS_F, c1, f1++);
            put(s, r, PPS_I, c1, b1);
            put(s, r, PPS_W, c1, b1++);
        }
        int w0 = b0, w1 = b1;
        for (int k = 0; k < r; k++) {
            put(s, r, PPS_I, c0, b0++);
            put(s, r, PPS_I, c1, b1++);
        }
        for (int k = 0; k < P - r; k++) {
            put(s, r, PPS_I, c0, b0++);
            put(s, r, PPS_W, c0, w0++);
        }
        while (w1 < b1)
            put(s, r, PPS_W, c1, w1++);
        while (w0 < b0)
            put(s, r, PPS_W, c0, w0++);
    }
    return PPS_OK;
}

/* Qi et al. §6: zero bubble when t_F = t_I = t_W, without communication, once the warm-up is
 * full (M ≥ 2P − 1; tested in tests/test_zero_bubble.c). The paper gives no formula for other
 * costs, so only that case has a value. */
static double zb_v_bubble(const pps_gen_params *p)
{
    pps_stage_cost c;
    double a;
    if (!pps_gen_uniform_costs(p, &c, &a) || a > 0 || p->microbatches < 2 * p->ranks - 1 ||
        c.tf != c.ti || c.ti != c.tw)
        return NAN;
    return 0;
}

/* Qi et al. §6: P·M_B on every rank, 1F1B's peak on rank 0. Every rank runs 2P − 1 warm-up
 * forwards and one more F before its first I, so it holds 2P chunk activations of M_B/2 each;
 * the F-I-W groups that follow release each one (W included) before the next F, so M_W never
 * adds to the peak. Needs a full warm-up: M ≥ 2P − 1. */
static double zb_v_peak(const pps_gen_params *p, int rank)
{
    (void)rank;
    if (p->microbatches < 2 * p->ranks - 1)
        return NAN;
    return pps_gen_activations(p, 2.0 * p->ranks);
}

const pps_generator pps_schedule_zb_v = {
    .name = "zb-v",
    .aliases = "ZB-V,ZBV,ZBVZeroBubble,ScheduleZBVZeroBubble",
    .summary = "V placement, 2P-1 warm-up forwards then F-I-W groups (Zero Bubble ZB-V; PyTorch "
               "ScheduleZBVZeroBubble)",
    .placement = PPS_PLACE_V,
    .default_chunks = 2,
    .check = zb_v_check,
    .generate = zb_v_generate,
    .analytic_bubble = zb_v_bubble,
    .analytic_peak = zb_v_peak,
};
