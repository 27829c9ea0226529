/* gen_classic.c — the one-stage-per-rank schedules: naive, GPipe and 1F1B (PipeDream-Flush). */
#include "generators.h"

#include <math.h>

/* All three place stage r on rank r; v > 1 belongs to the interleaved schedules. */
static pps_status check_one_chunk(const char *name, const pps_gen_params *p, pps_error *err)
{
    if (p->chunks != 1)
        return pps_error_set(err, PPS_EUNSUPPORTED,
                             "%s: chunks must be 1 (got %d); for several stages per rank use "
                             "interleaved-1f1b or looped-bfs",
                             name, p->chunks);
    return PPS_OK;
}

/* The analytic formulas apply only where the generator accepts the configuration. */
static int analytic_applies(const pps_gen_params *p)
{
    return p && p->ranks >= 1 && p->microbatches >= 1 && (p->chunks == 0 || p->chunks == 1);
}

/* ---------------------------------------------------------------- naive */

pps_status pps_gen_naive_check(const pps_gen_params *p, pps_error *err)
{
    return check_one_chunk("naive", p, err);
}

/* Rank r: F(r, m), B(r, m) for each m; micro-batch m+1 enters only after m has left stage 0. */
pps_status pps_gen_naive_generate(const pps_gen_params *p, pps_schedule *s, pps_error *err)
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
double pps_gen_naive_analytic(const pps_gen_params *p, const pps_stage_cost *c)
{
    (void)c;
    return analytic_applies(p) ? (double)(p->ranks - 1) : NAN;
}

/* ---------------------------------------------------------------- gpipe */

pps_status pps_gen_gpipe_check(const pps_gen_params *p, pps_error *err)
{
    return check_one_chunk("gpipe", p, err);
}

/* Rank r: F(r, 0..M-1), then B(r, 0..M-1), as PyTorch's ScheduleGPipe. */
pps_status pps_gen_gpipe_generate(const pps_gen_params *p, pps_schedule *s, pps_error *err)
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
double pps_gen_gpipe_analytic(const pps_gen_params *p, const pps_stage_cost *c)
{
    (void)c;
    return analytic_applies(p) ? (double)(p->ranks - 1) / p->microbatches : NAN;
}

/* ---------------------------------------------------------------- 1f1b */

/* Any M >= 1 is accepted: with M < P every rank's warm-up covers all its micro-batches and the
 * ordering degenerates to GPipe's, which is still valid (PyTorch's Schedule1F1B refuses M < P,
 * ppsim does not need to). */
pps_status pps_gen_1f1b_check(const pps_gen_params *p, pps_error *err)
{
    return check_one_chunk("1f1b", p, err);
}

/* Rank r: w = min(P-1-r, M) warm-up forwards, then F(w+i), B(i) for i < M-w, then the last w
 * backwards. Rank r holds at most min(P-r, M) micro-batches' activations at once. */
pps_status pps_gen_1f1b_generate(const pps_gen_params *p, pps_schedule *s, pps_error *err)
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
double pps_gen_1f1b_analytic(const pps_gen_params *p, const pps_stage_cost *c)
{
    (void)c;
    return analytic_applies(p) ? (double)(p->ranks - 1) / p->microbatches : NAN;
}
