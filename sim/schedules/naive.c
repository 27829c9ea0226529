/* naive.c — the naive schedule: one micro-batch at a time through all stages and back. */
#include "schedules.h"

static pps_status naive_check(const pps_gen_params *p, pps_error *err)
{
    return pps_gen_one_chunk("naive", p, err);
}

/* Rank r: F(r, m), B(r, m) for each m; micro-batch m+1 enters only after m has left stage 0. */
static pps_status naive_generate(const pps_gen_params *p, pps_schedule *s, pps_error *err)
{
    const int P = p->ranks, M = p->microbatches;
    pps_status st = pps_gen_reserve(s, 2 * (size_t)M, err);
    if (st != PPS_OK)
        return st;
    for (int r = 0; r < P; r++)
        for (int m = 0; m < M; m++) {
            pps_gen_put(s, r, PPS_F, r, m);
            pps_gen_put(s, r, PPS_B, r, m);
        }
    return PPS_OK;
}

/* Makespan M·P·(tf+tb), busy M·(tf+tb) per rank: idle / compute = P - 1 for any costs. */
static double naive_analytic(const pps_gen_params *p, const pps_stage_cost *c)
{
    (void)c;
    return (double)(p->ranks - 1);
}

/* One micro-batch in flight: rank 0 spans M·P·(t_F + t_B) and is busy M·(t_F + t_B), so its
 * bubble is (P−1)·M·(t_F + t_B), M times a fill and drain. */
static double naive_bubble(const pps_gen_params *p)
{
    return p->microbatches * pps_gen_fill_drain_bubble(p);
}

/* One micro-batch's activation at a time. */
static double naive_peak(const pps_gen_params *p, int rank)
{
    (void)rank;
    return pps_gen_activations(p, 1);
}

const pps_generator pps_schedule_naive = {
    .name = "naive",
    .aliases = "Naive",
    .summary = "one micro-batch at a time through all stages and back; no overlap",
    .placement = PPS_PLACE_LOOP,
    .default_chunks = 1,
    .check = naive_check,
    .generate = naive_generate,
    .analytic_idle_over_compute = naive_analytic,
    .analytic_bubble = naive_bubble,
    .analytic_peak = naive_peak,
};
