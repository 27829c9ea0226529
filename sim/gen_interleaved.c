/* gen_interleaved.c — schedules with v stages per rank on the loop placement: Megatron-LM's
 * interleaved 1F1B and PyTorch's looped BFS. Stage c·P + r (chunk c) lives on rank r. */
#include "generators.h"

#include <math.h>

/* ---------------------------------------------------------------- interleaved-1f1b */

static int group_size(const pps_gen_params *p)
{
    return p->group > 0 ? p->group : p->ranks;
}

/* Megatron-LM refuses the same configurations (microbatch_group_size_per_vp_stage). A group of
 * fewer than P micro-batches (G < P, or a last group of M mod G < P) reaches its next chunk before
 * the group's first micro-batch has come round the ring of P ranks, while the warm-up count
 * assumes it has: the ordering then stalls, and for some sizes deadlocks even with asynchronous
 * communication (P=4 v=3 M=9 G=4; P=4 v=2 M=12 G=2; see tests/test_generators.c). */
pps_status pps_gen_interleaved_check(const pps_gen_params *p, pps_error *err)
{
    const int P = p->ranks, v = p->chunks, M = p->microbatches, G = group_size(p);
    if (v < 2)
        return pps_error_set(err, PPS_EUNSUPPORTED,
                             "interleaved-1f1b: chunks must be at least 2 (got %d); with one "
                             "stage per rank use 1f1b",
                             v);
    if (G < P)
        return pps_error_set(err, PPS_EUNSUPPORTED,
                             "interleaved-1f1b: group G=%d must be at least the ranks P=%d", G, P);
    if (G > M)
        return pps_error_set(err, PPS_EUNSUPPORTED,
                             "interleaved-1f1b: group G=%d exceeds the micro-batches M=%d "
                             "(G defaults to P; need P <= G <= M)",
                             G, M);
    if (M % G != 0 && M % G < P)
        return pps_error_set(err, PPS_EUNSUPPORTED,
                             "interleaved-1f1b: M=%d leaves a last group of M mod G = %d "
                             "micro-batches (G=%d), fewer than P=%d; use M a multiple of G or "
                             "M mod G >= P",
                             M, M % G, G, P);
    return PPS_OK;
}

/* Entry k of Megatron's schedule table, computed in O(1) instead of stored: micro-batches are
 * taken in groups [g0, g0+G) (the last one shorter); within a group, chunk 0 for every
 * micro-batch of the group, then chunk 1, and so on. */
static void table_entry(int k, int M, int v, int G, int *mb, int *chunk)
{
    int full = M / G;             /* complete groups */
    int span = G * v;             /* table entries per complete group */
    if (k < full * span) {
        int off = k % span;
        *chunk = off / G;
        *mb = (k / span) * G + off % G;
    } else {
        int g0 = full * G, len = M - g0, off = k - full * span;
        *chunk = off / len;
        *mb = g0 + off % len;
    }
}

/* Rank r runs the table's forwards in order and the table's backwards in order, where the
 * backward of entry (m, c) is chunk v-1-c: warm-up min(2(P-1-r) + (v-1)G, vM) forwards, then
 * alternately one forward and one backward, then the remaining backwards. */
pps_status pps_gen_interleaved_generate(const pps_gen_params *p, pps_schedule *s, pps_error *err)
{
    const int P = p->ranks, v = p->chunks, M = p->microbatches, G = group_size(p);
    const int total = v * M; /* forwards (and backwards) per rank; <= PPS_MAX_CELLS */
    pps_status st = pps_gen_reserve(s, 2 * (size_t)total, err);
    if (st != PPS_OK)
        return st;
    for (int r = 0; r < P; r++) {
        int64_t w64 = 2 * (int64_t)(P - 1 - r) + (int64_t)(v - 1) * G;
        int w = w64 < total ? (int)w64 : total;
        int m, c;
        for (int k = 0; k < w; k++) {
            table_entry(k, M, v, G, &m, &c);
            pps_gen_put(s, r, PPS_F, c * P + r, m);
        }
        for (int k = 0; k < total - w; k++) {
            table_entry(w + k, M, v, G, &m, &c);
            pps_gen_put(s, r, PPS_F, c * P + r, m);
            table_entry(k, M, v, G, &m, &c);
            pps_gen_put(s, r, PPS_B, (v - 1 - c) * P + r, m);
        }
        for (int k = total - w; k < total; k++) {
            table_entry(k, M, v, G, &m, &c);
            pps_gen_put(s, r, PPS_B, (v - 1 - c) * P + r, m);
        }
    }
    return PPS_OK;
}

/* Narayanan et al. SC'21: each rank's bubble shrinks by v, idle / compute = (P-1)/(v·M). The
 * ordering above attains it exactly (uniform costs, free communication) for every configuration
 * the check accepts, including a last group of P..G-1 micro-batches (tests/test_generators.c). */
double pps_gen_interleaved_analytic(const pps_gen_params *p, const pps_stage_cost *c)
{
    (void)c;
    if (!p || p->ranks < 1 || p->microbatches < 1 || p->chunks < 0)
        return NAN;
    pps_gen_params q = *p;
    if (q.chunks == 0)
        q.chunks = 2;
    if (pps_gen_interleaved_check(&q, NULL) != PPS_OK)
        return NAN;
    return (double)(q.ranks - 1) / ((double)q.chunks * q.microbatches);
}

/* ---------------------------------------------------------------- looped-bfs */

/* Any v >= 1 and M >= 1: the ordering is valid for all of them (v = 1 is GPipe with the
 * backwards in reverse micro-batch order). */
pps_status pps_gen_looped_bfs_check(const pps_gen_params *p, pps_error *err)
{
    (void)p;
    (void)err;
    return PPS_OK;
}

/* As PyTorch's ScheduleLoopedBFS: rank r runs F for every micro-batch on chunk 0, then chunk 1,
 * ..., then B chunk by chunk from v-1 down to 0, micro-batches M-1 down to 0 within a chunk. */
pps_status pps_gen_looped_bfs_generate(const pps_gen_params *p, pps_schedule *s, pps_error *err)
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
double pps_gen_looped_bfs_analytic(const pps_gen_params *p, const pps_stage_cost *c)
{
    (void)c;
    if (!p || p->ranks < 1 || p->microbatches < 1 || p->chunks < 0)
        return NAN;
    int v = p->chunks ? p->chunks : 2;
    if (p->microbatches < p->ranks && v > 1)
        return NAN;
    return (double)(p->ranks - 1) / ((double)v * p->microbatches);
}
