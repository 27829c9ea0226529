/* single_rank.h — what the CUDA backend's suites share (test_cuda_nogpu, test_cuda_gpu,
 * test_cuda_standin): one-rank schedules, their setup, and a step whose weight gradients are
 * compared with the one-process CPU reference (exec/workload.c). */
#ifndef PPS_CUDA_TESTUTIL_H
#define PPS_CUDA_TESTUTIL_H

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "backends.h"
#include "core/graph.h"
#include "engine.h"
#include "ppsim.h"
#include "workload.h"

/* One rank holding stages 0 and 1 of a 2-micro-batch GPipe step: F F F F B B B B. */
static inline pps_schedule *one_rank_two_stages(void)
{
    static const int32_t stage_rank[2] = {0, 0};
    static const struct {
        pps_kind kind;
        int stage, mb;
    } prog[] = {{PPS_F, 0, 0}, {PPS_F, 1, 0}, {PPS_F, 0, 1}, {PPS_F, 1, 1},
                {PPS_B, 1, 0}, {PPS_B, 0, 0}, {PPS_B, 1, 1}, {PPS_B, 0, 1}};
    pps_schedule *s = NULL;
    pps_error err = {0};
    ck_assert_msg(pps_schedule_create(1, 2, 2, PPS_PLACE_EXPLICIT, stage_rank, &s, &err) ==
                      PPS_OK, "%s", err.msg);
    for (size_t i = 0; i < sizeof prog / sizeof *prog; i++)
        ck_assert(pps_schedule_append(s, 0, pps_action_make(prog[i].kind, prog[i].stage,
                                                            prog[i].mb), &err) == PPS_OK);
    return s;
}

/* Generator `name` (looped-bfs, interleaved-1f1b) on one rank with v stages and M micro-batches,
 * lowered. */
static inline pps_schedule *one_rank_generated(const char *name, int v, int M)
{
    const pps_generator *gen = pps_generator_find(name);
    ck_assert_ptr_nonnull(gen);
    pps_gen_params p = {.ranks = 1, .chunks = v, .microbatches = M};
    pps_schedule *s = NULL, *low = NULL;
    pps_error err = {0};
    ck_assert_msg(pps_generate(gen, &p, &s, &err) == PPS_OK, "%s", err.msg);
    ck_assert_msg(pps_schedule_validate(s, &err) == PPS_OK, "%s", err.msg);
    ck_assert_msg(pps_schedule_lower(s, &low, &err) == PPS_OK, "%s", err.msg);
    pps_schedule_destroy(s);
    return low;
}

/* One rank, v stages, M micro-batches, input and weight gradients split (a zero-bubble-like
 * order): for each micro-batch m, F of every stage, then I from the last stage down, then the W
 * of micro-batch m - 1 from the last stage down; the last micro-batch's W at the end. */
static inline pps_schedule *one_rank_split_iw(int v, int M)
{
    int32_t *stage_rank = calloc((size_t)v, sizeof *stage_rank);
    pps_schedule *s = NULL;
    pps_error err = {0};
    ck_assert(stage_rank);
    ck_assert_msg(pps_schedule_create(1, v, M, PPS_PLACE_EXPLICIT, stage_rank, &s, &err) ==
                      PPS_OK, "%s", err.msg);
    free(stage_rank);
    snprintf(s->name, sizeof s->name, "split-iw");
    for (int m = 0; m <= M; m++) {
        for (int st = 0; m < M && st < v; st++)
            ck_assert(pps_schedule_append(s, 0, pps_action_make(PPS_F, st, m), &err) == PPS_OK);
        for (int st = v - 1; m < M && st >= 0; st--)
            ck_assert(pps_schedule_append(s, 0, pps_action_make(PPS_I, st, m), &err) == PPS_OK);
        for (int st = v - 1; m > 0 && st >= 0; st--)
            ck_assert(pps_schedule_append(s, 0, pps_action_make(PPS_W, st, m - 1), &err) ==
                      PPS_OK);
    }
    ck_assert_msg(pps_schedule_validate(s, &err) == PPS_OK, "%s", err.msg);
    return s;
}

/* The setup of rank 0 of s for a small workload (h = 64, b = 32, L = 2). */
static inline ppx_setup setup_for(const pps_schedule *s)
{
    size_t n = 0;
    for (int r = 0; r < s->ranks; r++)
        n += s->programs[r].n;
    return (ppx_setup){.rank = 0, .ranks = s->ranks, .sched = s,
                       .work = {.hidden = 64, .tokens = 32, .layers = 2, .seed = 7},
                       .nactions = n, .timeout = 30};
}

/* The reference's weight gradients of all `stages` stages over `microbatches` micro-batches
 * (exec/workload.c; rounding as bf16 does when wl->bf16). The caller frees them. */
static inline float *reference_grads(const ppx_workload *wl, int stages, int microbatches)
{
    size_t per_stage = (size_t)wl->layers * wl->hidden * wl->hidden;
    float *ref = malloc((size_t)stages * per_stage * sizeof *ref);
    ck_assert(ref && ppx_reference_grads(wl, stages, microbatches, ref) == 0);
    return ref;
}

/* The largest over stages of max |got - ref| / max |ref| (NaN when any difference is NaN). */
static inline double grads_error(const ppx_workload *wl, int stages, const float *got,
                                 const float *ref)
{
    size_t per_stage = (size_t)wl->layers * wl->hidden * wl->hidden;
    double worst_rel = 0;
    for (int st = 0; st < stages; st++) {
        double worst = 0, scale = 0;
        for (size_t i = 0; i < per_stage; i++) {
            size_t k = (size_t)st * per_stage + i;
            double r = ref[k], d = fabs((double)got[k] - r);
            worst = d > worst || isnan(d) ? d : worst;
            scale = fabs(r) > scale ? fabs(r) : scale;
        }
        ck_assert_msg(scale > 0, "stage %d: the reference gradient is zero", st);
        double rel = worst / scale;
        worst_rel = rel > worst_rel || isnan(rel) ? rel : worst_rel;
    }
    return worst_rel;
}

/* Runs the single-rank step of setup (already lowered) on backend be, checks that every action
 * ran in program order on the one compute stream, and returns every stage's weight gradients
 * (stages·L·h·h floats; the caller frees them). */
static inline float *single_rank_step(const ppx_backend *be, const ppx_setup *setup)
{
    const pps_schedule *s = setup->sched;
    ppsg_graph *g = NULL;
    pps_error err = {0};
    ck_assert_msg(ppsg_build(s, 0, &g, &err) == PPS_OK, "%s", err.msg);
    ppx_ctx *ctx = NULL;
    ck_assert_msg(be->init(setup, &ctx, &err) == PPS_OK, "%s", err.msg);
    ck_assert_msg(ppx_run_rank(be, ctx, g, 0, &err) == PPS_OK, "%s", err.msg);
    const ppx_workload *wl = &setup->work;
    size_t per_stage = (size_t)wl->layers * wl->hidden * wl->hidden;
    float *got = malloc((size_t)s->stages * per_stage * sizeof *got);
    ck_assert_ptr_nonnull(got);
    for (int st = 0; st < s->stages; st++)
        ck_assert_msg(be->weight_grads(ctx, st, got + (size_t)st * per_stage, &err) == PPS_OK,
                      "%s", err.msg);
    double prev_end = 0;
    for (size_t i = 0; i < g->n; i++) {
        double a, b;
        be->times(ctx, (int32_t)i, &a, &b);
        ck_assert_msg(a >= prev_end - 1e-6 && b >= a, "action %zu: %g..%g", i, a, b);
        prev_end = b;
    }
    be->finalize(ctx);
    ppsg_destroy(g);
    return got;
}

/* single_rank_step's gradients against the reference: grads_error. */
static inline double single_rank_step_error(const ppx_backend *be, const ppx_setup *setup)
{
    const pps_schedule *s = setup->sched;
    float *got = single_rank_step(be, setup);
    float *ref = reference_grads(&setup->work, s->stages, s->microbatches);
    double rel = grads_error(&setup->work, s->stages, got, ref);
    free(got);
    free(ref);
    return rel;
}

#endif
