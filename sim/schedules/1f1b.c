/* 1f1b.c — 1F1B (PipeDream-Flush): a warm-up of forwards, then one forward one backward. */
#include "schedules.h"

/* Any M >= 1 is accepted: with M < P every rank's warm-up covers all its micro-batches and the
 * ordering degenerates to GPipe's, which is still valid (PyTorch's Schedule1F1B refuses M < P,
 * ppsim does not need to). */
static pps_status one_f_one_b_check(const pps_gen_params *p, pps_error *err)
{
    return pps_gen_one_chunk("1f1b", p, err);
}

/* Rank r: w = min(P-1-r, M) warm-up forwards, then F(w+i), B(i) for i < M-w, then the last w
 * backwards. Rank r holds at most min(P-r, M) micro-batches' activations at once. */
static pps_status one_f_one_b_generate(const pps_gen_params *p, pps_schedule *s, pps_error *err)
{
    const int P = p->ranks, M = p->microbatches;
    pps_status st = pps_gen_reserve(s, 2 * (size_t)M, err);
    if (st != PPS_OK)
        return st;
    for (int r = 0; r < P; r++) {
        int w = P - 1 - r < M ? P - 1 - r : M;
        for (int m = 0; m < w; m++)
            pps_gen_put(s, r, PPS_F, r, m);
        for (int i = 0; i < M - w; i++) {
            pps_gen_put(s, r, PPS_F, r, w + i);
            pps_gen_put(s, r, PPS_B, r, i);
        }
        for (int m = M - w; m < M; m++)
            pps_gen_put(s, r, PPS_B, r, m);
    }
    return PPS_OK;
}

/* Narayanan et al. SC'21: the 1F1B bubble equals GPipe's, idle / compute = (P-1)/M. */
static double one_f_one_b_analytic(const pps_gen_params *p, const pps_stage_cost *c)
{
    (void)c;
    return (double)(p->ranks - 1) / p->microbatches;
}

/* GPipe's bubble, (P−1)(t_F + t_B) on rank 0 (any M: with M < P the order is GPipe's). */
static double one_f_one_b_bubble(const pps_gen_params *p)
{
    return pps_gen_fill_drain_bubble(p);
}

/* Rank r holds min(P−r, M) activations (Narayanan et al. SC'21, §2.2.1). */
static double one_f_one_b_peak(const pps_gen_params *p, int rank)
{
    int held = p->ranks - rank < p->microbatches ? p->ranks - rank : p->microbatches;
    return pps_gen_activations(p, held);
}

const pps_generator pps_schedule_1f1b = {
    .name = "1f1b",
    .aliases = "1F1B,Schedule1F1B,PipeDream-Flush,PipeDreamFlush",
    .summary = "P-1-r warm-up forwards, then one forward one backward (PipeDream-Flush)",
    .placement = PPS_PLACE_LOOP,
    .default_chunks = 1,
    .check = one_f_one_b_check,
    .generate = one_f_one_b_generate,
    .analytic_idle_over_compute = one_f_one_b_analytic,
    .analytic_bubble = one_f_one_b_bubble,
    .analytic_peak = one_f_one_b_peak,
};
