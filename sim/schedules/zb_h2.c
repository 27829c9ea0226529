/* zb_h2.c — ZB-H1 (Qi et al., Zero Bubble Pipeline Parallelism, ICLR 2024, §2.1): 1F1B with the
 * backward split into I and W, each W delayed so that the tail bubble fills with W's while the
 * peak memory stays 1F1B's. */
#include "schedules.h"

#include <math.h>

static pps_status zb_h2_check(const pps_gen_params *p, pps_error *err)
{
    return pps_gen_one_chunk("zb-h2", p, err);
}

static pps_status zb_h2_generate(const pps_gen_params *p, pps_schedule *s, pps_error *err)
{
    return pps_gen_zb_slots(p, 2, s, err);
}

/* Qi et al. (ICLR 2024, Table 2): bubble (P−1)(t_F + t_I − 2t_W), zero when
 * t_F + t_I = 2t_W (so with t_F = t_I = t_W). With one transfer taking a, each of the P − 1 hops
 * of the first I's way back adds 2a once (the paper: the first micro-batch needs P(t_F + t_I) +
 * 2(P−1)a); the steady state hides it. It needs: uniform stages and transfers; M ≥ 2P − 1 (a
 * full warm-up of 2(P−1−r) forwards and W lag of 2(P−1) on every rank); t_W ≤ t_F and
 * 2t_W ≤ t_F + t_I (the W's fit the gaps they fill, so the formula is not negative); and
 * 2a ≤ t_W. Checked against the simulator on random costs (tests/test_zero_bubble.c). */
static double zb_h2_bubble(const pps_gen_params *p)
{
    pps_stage_cost c;
    double a;
    if (!pps_gen_uniform_costs(p, &c, &a))
        return NAN;
    const int P = p->ranks, M = p->microbatches;
    if (M < 2 * P - 1 || c.tw > c.tf || 2 * c.tw > c.tf + c.ti || 2 * a > c.tw)
        return NAN;
    return (P - 1) * (c.tf + c.ti - 2 * c.tw + 2 * a);
}

/* Worker i = r + 1 holds (2P − 2i + 1)·M_B + (2i − 2)·M_W (the paper's Table 2; any M:
 * zb_slots.c): rank 0 (2P − 1)·M_B, about twice 1F1B's. */
static double zb_h2_peak(const pps_gen_params *p, int rank)
{
    return pps_gen_zb_slots_peak(p, 2, rank);
}

const pps_generator pps_schedule_zb_h2 = {
    .name = "zb-h2",
    .aliases = "ZB-H2,ZBH2",
    .summary = "2(P-1-r) warm-up forwards, W delayed 2(P-1) slots (Zero Bubble ZB-H2; zero bubble)",
    .placement = PPS_PLACE_LOOP,
    .default_chunks = 1,
    .check = zb_h2_check,
    .generate = zb_h2_generate,
    .analytic_bubble = zb_h2_bubble,
    .analytic_peak = zb_h2_peak,
};
