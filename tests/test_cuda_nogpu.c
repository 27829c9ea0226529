/* test_cuda_nogpu.c — the CUDA backend where no GPU is needed: it is registered, it refuses bad
 * input before touching the GPU, and without a GPU (or driver) init fails with one clear line
 * instead of crashing. Where a GPU is present, the no-GPU case is replaced by a one-rank run of a
 * two-stage pipeline whose weight gradients must match the CPU reference. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cuda_runtime_api.h>

#include "backends.h"
#include "engine.h"
#include "core/graph.h"
#include "ppsim.h"
#include "workload.h"

/* backends.c lists the CPU backend too; this suite does not link it. */
const ppx_backend ppx_backend_cpu = {.name = "cpu"};

/* Number of usable GPUs here (0 when the driver is missing). */
static int gpus(void)
{
    int n = 0;
    if (cudaGetDeviceCount(&n) != cudaSuccess)
        n = 0;
    (void)cudaGetLastError();
    return n;
}

/* One rank holding stages 0 and 1 of a 2-micro-batch GPipe step: F F F F B B B B. */
static pps_schedule *one_rank_two_stages(void)
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

static ppx_setup setup_for(const pps_schedule *s)
{
    size_t n = 0;
    for (int r = 0; r < s->ranks; r++)
        n += s->programs[r].n;
    return (ppx_setup){.rank = 0, .ranks = s->ranks, .sched = s,
                       .work = {.hidden = 64, .tokens = 32, .layers = 2, .seed = 7},
                       .nactions = n, .timeout = 30};
}

START_TEST(cuda_backend_is_registered_with_every_function)
{
    const ppx_backend *be = ppx_backend_find("cuda");
    ck_assert_ptr_nonnull(be);
    ck_assert_str_eq(be->name, "cuda");
    ck_assert_ptr_nonnull(be->init);
    ck_assert_ptr_nonnull(be->compute);
    ck_assert_ptr_nonnull(be->send);
    ck_assert_ptr_nonnull(be->recv);
    ck_assert_ptr_nonnull(be->wait);
    ck_assert_ptr_nonnull(be->drain);
    ck_assert_ptr_nonnull(be->times);
    ck_assert_ptr_nonnull(be->timestamp);
    ck_assert_ptr_nonnull(be->weight_grads);
    ck_assert_ptr_nonnull(be->describe);
    ck_assert_ptr_nonnull(be->finalize);
    ck_assert_ptr_null(ppx_backend_find("tpu"));
}
END_TEST

START_TEST(init_refuses_a_bad_workload_before_touching_the_gpu)
{
    pps_schedule *s = one_rank_two_stages();
    ppx_setup setup = setup_for(s);
    setup.work.hidden = 0;
    ppx_ctx *ctx = (ppx_ctx *)&setup; /* must be reset to NULL */
    pps_error err = {0};
    ck_assert_int_eq(ppx_backend_cuda.init(&setup, &ctx, &err), PPS_EINPUT);
    ck_assert_ptr_null(ctx);
    ck_assert_msg(strstr(err.msg, "hidden, tokens and layers must be positive") != NULL, "%s",
                  err.msg);
    pps_schedule_destroy(s);
}
END_TEST

START_TEST(init_refuses_more_ranks_than_the_schedule_has)
{
    pps_schedule *s = one_rank_two_stages();
    ppx_setup setup = setup_for(s);
    setup.rank = 1;
    ppx_ctx *ctx = NULL;
    pps_error err = {0};
    ck_assert_int_eq(ppx_backend_cuda.init(&setup, &ctx, &err), PPS_EINPUT);
    ck_assert_ptr_null(ctx);
    ck_assert_msg(strstr(err.msg, "rank 1 of 1") != NULL, "%s", err.msg);
    pps_schedule_destroy(s);
}
END_TEST

START_TEST(init_without_a_gpu_fails_with_one_line_naming_it)
{
    if (gpus() > 0)
        return; /* covered by one_rank_two_stages_match_the_cpu_reference */
    int n = 0;
    cudaError_t why = cudaGetDeviceCount(&n);
    pps_schedule *s = one_rank_two_stages();
    ppx_setup setup = setup_for(s);
    ppx_ctx *ctx = NULL;
    pps_error err = {0};
    ck_assert_int_eq(ppx_backend_cuda.init(&setup, &ctx, &err), PPS_EIO);
    ck_assert_ptr_null(ctx);
    ck_assert_msg(strncmp(err.msg, "cuda: no usable GPU", 19) == 0, "%s", err.msg);
    ck_assert_msg(strchr(err.msg, '\n') == NULL, "not one line: %s", err.msg);
    if (why != cudaSuccess) /* e.g. cudaErrorInsufficientDriver on a machine without a driver */
        ck_assert_msg(strstr(err.msg, cudaGetErrorName(why)) != NULL, "%s", err.msg);
    /* A second attempt fails the same way: nothing was left half set up. */
    pps_error again = {0};
    ck_assert_int_eq(ppx_backend_cuda.init(&setup, &ctx, &again), PPS_EIO);
    ck_assert_str_eq(again.msg, err.msg);
    pps_schedule_destroy(s);
}
END_TEST

START_TEST(null_context_is_harmless)
{
    double start = 0, end = 0;
    char buf[32];
    ppx_backend_cuda.finalize(NULL);
    ppx_backend_cuda.times(NULL, 0, &start, &end);
    ck_assert(start == -1 && end == -1);
    ck_assert(ppx_backend_cuda.timestamp(NULL) == 0.0);
    ppx_backend_cuda.describe(NULL, buf, sizeof buf);
    ck_assert_str_eq(buf, "cuda");
}
END_TEST

/* Needs a GPU: returns at once without one. fp32 GEMMs differ from OpenBLAS only in summation
 * order, so the gradients agree to far better than 1e-3 relative. */
START_TEST(one_rank_two_stages_match_the_cpu_reference)
{
    if (gpus() == 0)
        return;
    pps_schedule *s = one_rank_two_stages();
    ppsg_graph *g = NULL;
    pps_error err = {0};
    ck_assert_msg(ppsg_build(s, 0, &g, &err) == PPS_OK, "%s", err.msg);
    ppx_setup setup = setup_for(s);
    ppx_ctx *ctx = NULL;
    ck_assert_msg(ppx_backend_cuda.init(&setup, &ctx, &err) == PPS_OK, "%s", err.msg);
    ck_assert_msg(ppx_run_rank(&ppx_backend_cuda, ctx, g, 0, &err) == PPS_OK, "%s", err.msg);

    const ppx_workload *wl = &setup.work;
    size_t per_stage = (size_t)wl->layers * wl->hidden * wl->hidden;
    float *ref = malloc(2 * per_stage * sizeof *ref), *got = malloc(per_stage * sizeof *got);
    ck_assert(ref && got && ppx_reference_grads(wl, 2, 2, ref) == 0);
    for (int st = 0; st < 2; st++) {
        ck_assert_msg(ppx_backend_cuda.weight_grads(ctx, st, got, &err) == PPS_OK, "%s", err.msg);
        double worst = 0, scale = 0;
        for (size_t i = 0; i < per_stage; i++) {
            double r = ref[st * per_stage + i], d = fabs((double)got[i] - r);
            worst = d > worst ? d : worst;
            scale = fabs(r) > scale ? fabs(r) : scale;
        }
        ck_assert_msg(scale > 0 && worst <= 1e-3 * scale, "stage %d: max |diff| %g, max |ref| %g",
                      st, worst, scale);
    }
    /* Every action ran, in program order on the one compute stream. */
    double prev_end = 0;
    for (size_t i = 0; i < g->n; i++) {
        double a, b;
        ppx_backend_cuda.times(ctx, (int32_t)i, &a, &b);
        ck_assert_msg(a >= prev_end - 1e-6 && b >= a, "action %zu: %g..%g", i, a, b);
        prev_end = b;
    }
    free(ref);
    free(got);
    ppx_backend_cuda.finalize(ctx);
    ppsg_destroy(g);
    pps_schedule_destroy(s);
}
END_TEST

static Suite *cuda_suite(void)
{
    Suite *s = suite_create("cuda_nogpu");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, cuda_backend_is_registered_with_every_function);
    tcase_add_test(tc, init_refuses_a_bad_workload_before_touching_the_gpu);
    tcase_add_test(tc, init_refuses_more_ranks_than_the_schedule_has);
    tcase_add_test(tc, init_without_a_gpu_fails_with_one_line_naming_it);
    tcase_add_test(tc, null_context_is_harmless);
    tcase_add_test(tc, one_rank_two_stages_match_the_cpu_reference);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(cuda_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
