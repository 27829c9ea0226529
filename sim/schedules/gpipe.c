/* gpipe.c — GPipe (fill-drain): all forwards, then all backwards (Huang et al. 2019). */
#include "schedules.h"

static pps_status gpipe_check(const pps_gen_params *p, pps_error *err)
{
    return pps_gen_one_chunk("gpipe", p, err);
}

/* Rank r: F(r, 0..M-1), then B(r, 0..M-1), as PyTorch's ScheduleGPipe. */
static pps_status gpipe_generate(const pps_gen_params *p, pps_schedule *s, pps_error *err)
{
    const int P = p->ranks, M = p->microbatches;
    pps_status st = pps_gen_reserve(s, 2 * (size_t)M, err);
    if (st != PPS_OK)
        return st;
    for (int r = 0; r < P; r++) {
        for (int m = 0; m < M; m++)
            pps_gen_put(s, r, PPS_F, r, m);
        for (int m = 0; m < M; m++)
            pps_gen_put(s, r, PPS_B, r, m);
    }
    return PPS_OK;
}

/* GPipe (Huang et al. 2019): makespan (M+P-1)(tf+tb), so idle / compute = (P-1)/M. */
static double gpipe_analytic(const pps_gen_params *p, const pps_stage_cost *c)
{
    (void)c;
    return (double)(p->ranks - 1) / p->microbatches;
}

/* Fill and drain: rank 0 spans (M+P−1)(t_F + t_B) and is busy M(t_F + t_B). */
static double gpipe_bubble(const pps_gen_params *p)
{
    return pps_gen_fill_drain_bubble(p);
}

/* Every forward before any backward: M activations on every rank. */
static double gpipe_peak(const pps_gen_params *p, int rank)
{
    (void)rank;
    return pps_gen_activations(p, p->microbatches);
}

const pps_generator pps_schedule_gpipe = {
    .name = "gpipe",
    .aliases = "GPipe,ScheduleGPipe",
    .summary = "all forwards, then all backwards (GPipe; PyTorch ScheduleGPipe)",
    .placement = PPS_PLACE_LOOP,
    .default_chunks = 1,
    .check = gpipe_check,
    .generate = gpipe_generate,
    .analytic_idle_over_compute = gpipe_analytic,
    .analytic_bubble = gpipe_bubble,
    .analytic_peak = gpipe_peak,
};
