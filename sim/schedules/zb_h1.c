/* zb_h1.c — ZB-H1 (Qi et al., Zero Bubble Pipeline Parallelism, ICLR 2024, §2.1): 1F1B with the
 * backward split into I and W, each W delayed so that the tail bubble fills with W's while the
 * peak memory stays 1F1B's. */
#include "schedules.h"

#include <math.h>

static pps_status zb_h1_check(const pps_gen_params *p, pps_error *err)
{
    return pps_gen_one_chunk("zb-h1", p, err);
}

static pps_status zb_h1_generate(const pps_gen_params *p, pps_schedule *s, pps_error *err)
{
    return pps_gen_zb_slots(p, 1, s, err);
}

/* Qi et al. (ICLR 2024, Table 2): bubble (P−1)(t_F + t_I − t_W), a third of 1F1B's when
 * t_F = t_I = t_W. Rank 0 has the longest span: it waits (P−1)(t_I + 2a) for the first I to come
 * back and, after its last F, (P−1)(t_F − t_W + 2a) for the last micro-batch's round trip that
 * its delayed W's do not fill, a being one transfer's time. That adds the 4(P−1)a the paper (no
 * communication) has no term for. It needs: uniform stages and transfers; W's that cover the
 * steady state's round trip, 2a ≤ t_W (else every slot stalls); t_W ≤ t_F + 2a (else the tail
 * has no idle left to fill and the formula undercounts); and a steady state, M ≥ P (M ≥ P + 1
 * when a > 0). Checked against the simulator on random costs (tests/test_zero_bubble.c). */
static double zb_h1_bubble(const pps_gen_params *p)
{
    pps_stage_cost c;
    double a;
    if (!pps_gen_uniform_costs(p, &c, &a))
        return NAN;
    const int P = p->ranks, M = p->microbatches;
    if (M < P + (a > 0) || 2 * a > c.tw || c.tw > c.tf + 2 * a)
        return NAN;
    return (P - 1) * (c.tf + c.ti - c.tw + 4 * a);
}

/* Worker i = r + 1 holds (P − i + 1)·M_B + (i − 1)·M_W (the paper's Table 2; any M: zb_slots.c),
 * at most 1F1B's P·M_B. */
static double zb_h1_peak(const pps_gen_params *p, int rank)
{
    return pps_gen_zb_slots_peak(p, 1, rank);
}

const pps_generator pps_schedule_zb_h1 = {
    .name = "zb-h1",
    .aliases = "ZB-H1,ZBH1",
    .summary = "1F1B with split backward, W delayed P-1 slots (Zero Bubble ZB-H1; 1F1B memory)",
    .placement = PPS_PLACE_LOOP,
    .default_chunks = 1,
    .check = zb_h1_check,
    .generate = zb_h1_generate,
    .analytic_bubble = zb_h1_bubble,
    .analytic_peak = zb_h1_peak,
};
