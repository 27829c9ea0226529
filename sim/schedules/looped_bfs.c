/* looped_bfs.c — PyTorch's looped BFS: v stages per rank on the loop placement, every forward
 * chunk by chunk, then every backward. */
#include "schedules.h"

#include <math.h>

/* Any v >= 1 and M >= 1: the ordering is valid for all of them (v = 1 is GPipe with the
 * backwards in reverse micro-batch order). */
static pps_status looped_bfs_check(const pps_gen_params *p, pps_error *err)
{
    (void)p;
    (void)err;
    return PPS_OK;
}

/* As PyTorch's ScheduleLoopedBFS: rank r runs F for every micro-batch on chunk 0, then chunk 1,
 * ..., then B chunk by chunk from v-1 down to 0, micro-batches M-1 down to 0 within a chunk. */
static pps_status looped_bfs_generate(const pps_gen_params *p, pps_schedule *s, pps_error *err)
{
    const int P = p->ranks, v = p->chunks, M = p->microbatches;
    pps_status st = pps_gen_reserve(s, 2 * (size_t)v * (size_t)M, err);
    if (st != PPS_OK)
        return st;
    for (int r = 0; r < P; r++) {
        for (int c = 0; c < v; c++)
            for (int m = 0; m < M; m++)
                pps_gen_put(s, r, PPS_F, c * P + r, m);
        for (int c = v - 1; c >= 0; c--)
            for (int m = M - 1; m >= 0; m--)
                pps_gen_put(s, r, PPS_B, c * P + r, m);
    }
    return PPS_OK;
}

/* With M >= P no rank waits between its chunks, so the pipeline fills once for all v·P stages:
 * idle / compute = (P-1)/(v·M). With M < P (and v > 1) a rank also waits for each micro-batch
 * to come round the ring between chunks, and no closed form is given. */
static double looped_bfs_analytic(const pps_gen_params *p, const pps_stage_cost *c)
{
    (void)c;
    if (p->microbatches < p->ranks && p->chunks > 1)
        return NAN;
    return (double)(p->ranks - 1) / ((double)p->chunks * p->microbatches);
}

/* (P−1)(t_F + t_B) of one stage when M ≥ P or v = 1 (one fill and one drain of the S-stage
 * pipeline); none otherwise. */
static double looped_bfs_bubble(const pps_gen_params *p)
{
    if (p->microbatches < p->ranks && p->chunks > 1)
        return NAN;
    return pps_gen_fill_drain_bubble(p);
}

/* Every forward of every chunk before any backward: v·M stage activations. */
static double looped_bfs_peak(const pps_gen_params *p, int rank)
{
    (void)rank;
    return pps_gen_activations(p, (double)p->chunks * p->microbatches);
}

const pps_generator pps_schedule_looped_bfs = {
    .name = "looped-bfs",
    .aliases = "LoopedBFS,ScheduleLoopedBFS",
    .summary = "v chunks per rank, all forwards chunk by chunk, then all backwards (PyTorch)",
    .placement = PPS_PLACE_LOOP,
    .default_chunks = 2,
    .check = looped_bfs_check,
    .generate = looped_bfs_generate,
    .analytic_idle_over_compute = looped_bfs_analytic,
    .analytic_bubble = looped_bfs_bubble,
    .analytic_peak = looped_bfs_peak,
};
