/* cuda_testutil.h — what the CUDA backend's suites share (test_cuda_nogpu, test_cuda_gpu): a
 * one-rank schedule, its setup, and a step whose weight gradients are compared with the
 * one-process CPU reference (exec/workload.c). */
#ifndef PPS_CUDA_TESTUTIL_H
#define PPS_CUDA_TESTUTIL_H

#include <check.h>
#include <math.h>
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

/* Runs the single-rank step of setup (already lowered) on backend be, checks that every action
 * ran in program order on the one compute stream, and returns the largest over stages of
 * max |dW - dW_ref| / max |dW_ref| against the CPU reference. */
static inline double single_rank_step_error(const ppx_backend *be, const ppx_setup *setup)
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
    float *ref = malloc((size_t)s->stages * per_stage * sizeof *ref);
    float *got = malloc(per_stage * sizeof *got);
    ck_assert(ref && got && ppx_reference_grads(wl, s->stages, s->microbatches, ref) == 0);
    double worst_rel = 0;
    for (int st = 0; st < s->stages; st++) {
        ck_assert_msg(be->weight_grads(ctx, st, got, &err) == PPS_OK, "%s", err.msg);
        double worst = 0, scale = 0;
        for (size_t i = 0; i < per_stage; i++) {
            double r = ref[(size_t)st * per_stage + i], d = fabs((double)got[i] - r);
            worst = d > worst || isnan(d) ? d : worst;
            scale = fabs(r) > scale ? fabs(r) : scale;
        }
        ck_assert_msg(scale > 0, "stage %d: the reference gradient is zero", st);
        double rel = worst / scale;
        worst_rel = rel > worst_rel || isnan(rel) ? rel : worst_rel;
    }
    /* Every action ran, in program order on the one compute stream. */
    double prev_end = 0;
    for (size_t i = 0; i < g->n; i++) {
        double a, b;
        be->times(ctx, (int32_t)i, &a, &b);
        ck_assert_msg(a >= prev_end - 1e-6 && b >= a, "action %zu: %g..%g", i, a, b);
        prev_end = b;
    }
    free(ref);
    free(got);
    be->finalize(ctx);
    ppsg_destroy(g);
    return worst_rel;
}

#endif
