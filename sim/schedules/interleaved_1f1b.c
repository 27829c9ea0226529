/* interleaved_1f1b.c — Megatron-LM's interleaved 1F1B: v stages per rank on the loop placement
 * (stage c·P + r, chunk c, on rank r), 1F1B over groups of micro-batches. */
#include "schedules.h"

#include <math.h>

/* G, the micro-batches per group: the option "group", P when not given. */
static pps_status group_size(const pps_gen_params *p, int *G, pps_error *err)
{
    long g;
    pps_status st = pps_gen_int_option(p, "group", p->ranks, 1, PPS_MAX_MICROBATCHES, &g, err);
    *G = (int)g;
    return st;
}

/* Megatron-LM refuses the same configurations (microbatch_group_size_per_vp_stage). A group of
 * fewer than P micro-batches (G < P, or a last group of M mod G < P) reaches its next chunk before
 * the group's first micro-batch has come round the ring of P ranks, while the warm-up count
 * assumes it has: the ordering then stalls, and for some sizes deadlocks even with asynchronous
 * communication (P=4 v=3 M=9 G=4; P=4 v=2 M=12 G=2; see tests/test_generators.c). */
static pps_status interleaved_check(const pps_gen_params *p, pps_error *err)
{
    const int P = p->ranks, v = p->chunks, M = p->microbatches;
    int G;
    pps_status st = group_size(p, &G, err);
    if (st != PPS_OK)
        return st;
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
static pps_status interleaved_generate(const pps_gen_params *p, pps_schedule *s,
                                       pps_error *err)
{
    const int P = p->ranks, v = p->chunks, M = p->microbatches;
    const int total = v * M; /* forwards (and backwards) per rank; <= PPS_MAX_CELLS */
    int G;
    pps_status st = group_size(p, &G, err);
    if (st == PPS_OK)
        st = pps_gen_reserve(s, 2 * (size_t)total, err);
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
static double interleaved_analytic(const pps_gen_params *p, const pps_stage_cost *c)
{
    (void)c;
    return (double)(p->ranks - 1) / ((double)p->chunks * p->microbatches);
}

static const pps_gen_option interleaved_options[] = {
    {"group", "G", "micro-batches per group, P <= G <= M (default P)"},
    {NULL, NULL, NULL},
};

/* (P−1)(t_F + t_B) of one stage, a 1/v of 1F1B's on the same model (Narayanan et al. SC'21):
 * every rank is busy v·M stage-times and idles the same. */
static double interleaved_bubble(const pps_gen_params *p)
{
    return pps_gen_fill_drain_bubble(p);
}

/* The warm-up plus one chunk activation: min(2(P−1−r) + (v−1)G + 1, v·M) of the stage's bytes. */
static double interleaved_peak(const pps_gen_params *p, int rank)
{
    int G;
    if (group_size(p, &G, NULL) != PPS_OK)
        return NAN;
    int64_t held = 2 * (int64_t)(p->ranks - 1 - rank) + (int64_t)(p->chunks - 1) * G + 1;
    int64_t all = (int64_t)p->chunks * p->microbatches;
    return pps_gen_activations(p, (double)(held < all ? held : all));
}

const pps_generator pps_schedule_interleaved_1f1b = {
    .name = "interleaved-1f1b",
    .aliases = "Interleaved1F1B,ScheduleInterleaved1F1B,megatron-interleaved",
    .summary = "v chunks per rank, 1F1B over micro-batch groups (Megatron-LM interleaved)",
    .placement = PPS_PLACE_LOOP,
    .default_chunks = 2,
    .options = interleaved_options,
    .check = interleaved_check,
    .generate = interleaved_generate,
    .analytic_idle_over_compute = interleaved_analytic,
    .analytic_bubble = interleaved_bubble,
    .analytic_peak = interleaved_peak,
};
