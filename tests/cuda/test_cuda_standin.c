/* test_cuda_standin.c — the CUDA backend's own host code (exec/cuda/) run over the CPU stand-in
 * for the CUDA runtime, cuBLAS and its kernels (standin.h), where no GPU is needed: single-rank
 * steps in fp32 and bf16 against the CPU reference, the warm-up calling exactly the step's GEMMs,
 * the time base after a busy GPU and a device synchronisation, no NCCL for one rank, a NotReady
 * query not failing the next launch, and bf16 byte counts in a profile. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "profile.h"
#include "single_rank.h"
#include "standin.h"
#include "../testutil.h"

/* backends.c lists the CPU backend too; this suite does not link it. */
const ppx_backend ppx_backend_cpu = {.name = "cpu"};

/* The single-rank schedules the GPU check (tools/validate_gpu.sh) runs, at test sizes. */
static pps_schedule *schedule_n(int i)
{
    switch (i) {
    case 0: return one_rank_generated("looped-bfs", 2, 4);        /* GPipe-like, v = 2 */
    case 1: return one_rank_generated("interleaved-1f1b", 4, 8);  /* 1F1B-like, v = 4 */
    default: return one_rank_split_iw(4, 4);                      /* I and W split, v = 4 */
    }
}
enum { NSCHEDULES = 3 };

/* The CUDA backend initialised for setup over the stand-in; fails the test if init does. */
static ppx_ctx *cuda_init(const ppx_setup *setup)
{
    ppx_ctx *ctx = NULL;
    pps_error err = {0};
    ck_assert_msg(ppx_backend_cuda.init(setup, &ctx, &err) == PPS_OK, "%s", err.msg);
    return ctx;
}

START_TEST(fp32_steps_match_the_reference)
{
    pps_schedule *s = schedule_n(_i);
    ppx_setup setup = setup_for(s);
    double rel = single_rank_step_error(&ppx_backend_cuda, &setup);
    printf("stand-in fp32, %s v=%d M=%d: max relative error %.3g\n", s->name, s->stages,
           s->microbatches, rel);
    /* Summation order is the only difference: about 1e-7 here. */
    ck_assert_msg(rel <= 1e-5, "max relative error %g", rel);
    pps_schedule_destroy(s);
}
END_TEST

/* bf16 against the reference that rounds where the GPU stores: within the default tolerance,
 * far closer than to the fp32 reference, and far from a reference that dropped a micro-batch. */
START_TEST(bf16_steps_match_the_rounding_reference)
{
    pps_schedule *s = schedule_n(_i);
    ppx_setup setup = setup_for(s);
    setup.work.bf16 = 1;
    const int S = s->stages, M = s->microbatches;
    float *got = single_rank_step(&ppx_backend_cuda, &setup);
    float *ref = reference_grads(&setup.work, S, M);
    float *dropped = reference_grads(&setup.work, S, M - 1);
    ppx_workload fp32 = setup.work;
    fp32.bf16 = 0;
    float *ref32 = reference_grads(&fp32, S, M);
    double rel = grads_error(&setup.work, S, got, ref);
    double rel32 = grads_error(&setup.work, S, got, ref32);
    double reld = grads_error(&setup.work, S, got, dropped);
    printf("stand-in bf16, %s v=%d M=%d: max relative error %.3g against the rounding reference, "
           "%.3g against fp32, %.3g against one micro-batch dropped\n", s->name, S, M, rel,
           rel32, reld);
    fflush(stdout);
    ck_assert_msg(rel <= PPX_GRAD_TOLERANCE_BF16, "%g > tolerance %g", rel,
                  PPX_GRAD_TOLERANCE_BF16);
    ck_assert_msg(reld > 10 * PPX_GRAD_TOLERANCE_BF16, "a dropped micro-batch gives only %g", reld);
    ck_assert_msg(rel32 > 5 * rel, "the rounding reference (%g) is no closer than fp32's (%g)",
                  rel, rel32);
    free(got);
    free(ref);
    free(dropped);
    free(ref32);
    pps_schedule_destroy(s);
}
END_TEST

/* Every GEMM of the step was called, with the same arguments, during init's warm-up. */
START_TEST(warm_up_calls_the_steps_exact_gemms)
{
    pps_schedule *s = schedule_n(_i / 2);
    ppx_setup setup = setup_for(s);
    setup.work.bf16 = _i % 2;
    ppsg_graph *g = NULL;
    pps_error err = {0};
    ck_assert_msg(ppsg_build(s, 0, &g, &err) == PPS_OK, "%s", err.msg);
    standin_log_clear();
    ppx_ctx *ctx = cuda_init(&setup);
    size_t ninit, nstep;
    const standin_call *log = standin_log(&ninit);
    standin_call *init_calls = malloc((ninit + 1) * sizeof *init_calls);
    ck_assert_ptr_nonnull(init_calls);
    memcpy(init_calls, log, ninit * sizeof *log);
    standin_log_clear();
    ck_assert_msg(ppx_run_rank(&ppx_backend_cuda, ctx, g, 0, &err) == PPS_OK, "%s", err.msg);
    log = standin_log(&nstep);
    size_t gemms = 0;
    for (size_t i = 0; i < nstep; i++) {
        if (log[i].what != SC_GEMM)
            continue;
        gemms++;
        int warmed = 0;
        for (size_t j = 0; j < ninit && !warmed; j++)
            warmed = init_calls[j].what == SC_GEMM && standin_same_gemm(&log[i], &init_calls[j]);
        ck_assert_msg(warmed, "step GEMM %zu (trans %d%d, m=%d n=%d k=%d, C type %d, beta %g) "
                      "was not called in the warm-up", i, (int)log[i].ta, (int)log[i].tb,
                      log[i].m, log[i].n, log[i].k, (int)log[i].ctype, (double)log[i].beta);
    }
    ck_assert_uint_gt(gemms, 0);
    free(init_calls);
    ppx_backend_cuda.finalize(ctx);
    ppsg_destroy(g);
    pps_schedule_destroy(s);
}
END_TEST

/* t0 is recorded right after a device synchronisation (one rank: no barrier, no NCCL), and the
 * GPU computed for most of the 100 ms before it, so that it is at working clocks. */
START_TEST(time_base_follows_busy_compute_and_a_device_sync)
{
    pps_schedule *s = schedule_n(1);
    ppx_setup setup = setup_for(s);
    standin_log_clear();
    ppx_ctx *ctx = cuda_init(&setup);
    size_t n;
    const standin_call *log = standin_log(&n);
    size_t t0 = n;
    while (t0 > 0 && log[t0 - 1].what != SC_RECORD)
        t0--;
    ck_assert_uint_gt(t0, 1);
    t0--; /* init's last event record is the time base */
    ck_assert_msg(log[t0 - 1].what == SC_DEVSYNC, "the call before t0 is %d, not a device "
                  "synchronisation", (int)log[t0 - 1].what);
    double at = log[t0].start, busy = 0;
    for (size_t i = 0; i < t0; i++) {
        if (log[i].what != SC_GEMM && log[i].what != SC_KERNEL)
            continue;
        double a = log[i].start > at - 0.1 ? log[i].start : at - 0.1;
        busy += log[i].end > a ? log[i].end - a : 0;
    }
    printf("stand-in: compute ran %.0f ms of the 100 ms before t0\n", busy * 1e3);
    ck_assert_msg(busy >= 0.05, "compute ran only %.1f ms of the 100 ms before t0", busy * 1e3);
    ppx_backend_cuda.finalize(ctx);
    pps_schedule_destroy(s);
}
END_TEST

/* One rank never loads NCCL: with its library made unloadable, the step still runs. */
START_TEST(one_rank_needs_no_nccl)
{
    setenv("PPX_NCCL_LIBRARY", "/nonexistent/libnccl.so.2", 1);
    pps_schedule *s = schedule_n(0);
    ppx_setup setup = setup_for(s);
    double rel = single_rank_step_error(&ppx_backend_cuda, &setup);
    ck_assert_msg(rel <= 1e-5, "max relative error %g", rel);
    ppx_ctx *ctx = cuda_init(&setup);
    char desc[256];
    ppx_backend_cuda.describe(ctx, desc, sizeof desc);
    ck_assert_msg(strstr(desc, "NCCL not loaded") != NULL, "%s", desc);
    ppx_backend_cuda.finalize(ctx);
    unsetenv("PPX_NCCL_LIBRARY");
    pps_schedule_destroy(s);
}
END_TEST

/* drain's event queries answer NotReady (and leave it as the last error): the next kernel
 * launch, in a profile's timed op, must not report it as its own failure. */
START_TEST(a_not_ready_query_does_not_fail_the_next_launch)
{
    pps_schedule *s = schedule_n(0);
    ppx_setup setup = setup_for(s);
    ppsg_graph *g = NULL;
    pps_error err = {0};
    ck_assert_msg(ppsg_build(s, 0, &g, &err) == PPS_OK, "%s", err.msg);
    ppx_ctx *ctx = cuda_init(&setup);
    ck_assert_msg(ppx_run_rank(&ppx_backend_cuda, ctx, g, 0, &err) == PPS_OK, "%s", err.msg);
    double seconds = -1;
    ck_assert_msg(ppx_backend_cuda.time_op(ctx, PPS_F, 0, 0, &seconds, &err) == PPS_OK, "%s",
                  err.msg);
    ck_assert(seconds >= 0);
    ppx_backend_cuda.finalize(ctx);
    ppsg_destroy(g);
    pps_schedule_destroy(s);
}
END_TEST

/* A bf16 profile counts 2 bytes per element: h = 64, b = 32, L = 2 gives messages of
 * 64·32·2 = 4096 bytes, activations (L + 1)·4096 = 12288, kept for W L·4096 = 8192. */
START_TEST(bf16_profile_counts_two_bytes_per_element)
{
    pps_schedule *s = schedule_n(0);
    ppx_setup setup = setup_for(s);
    setup.work.bf16 = 1;
    char path[] = "/tmp/ppsim-standin-profile-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    pps_error err = {0};
    ck_assert_msg(ppx_profile(&ppx_backend_cuda, &setup, 2, path, &err) == PPS_OK, "%s", err.msg);
    pps_profile *p = NULL;
    ck_assert_msg(pps_profile_read(path, &p, &err) == PPS_OK, "%s", err.msg);
    ck_assert_int_eq(p->bf16, 1);
    for (int i = 0; i < p->stages; i++) {
        ck_assert(p->stage_costs[i].send_bytes == 4096);
        ck_assert(p->stage_costs[i].act_bytes == 12288);
        ck_assert(p->stage_costs[i].act_w_bytes == 8192);
        ck_assert(p->stage_costs[i].tf > 0 && p->stage_costs[i].tw > 0);
    }
    pps_profile_destroy(p);
    unlink(path);
    pps_schedule_destroy(s);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("cuda_standin");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 300);
    tcase_add_loop_test(tc, fp32_steps_match_the_reference, 0, NSCHEDULES);
    tcase_add_loop_test(tc, bf16_steps_match_the_rounding_reference, 0, NSCHEDULES);
    tcase_add_loop_test(tc, warm_up_calls_the_steps_exact_gemms, 0, 2 * NSCHEDULES);
    tcase_add_test(tc, time_base_follows_busy_compute_and_a_device_sync);
    tcase_add_test(tc, one_rank_needs_no_nccl);
    tcase_add_test(tc, a_not_ready_query_does_not_fail_the_next_launch);
    tcase_add_test(tc, bf16_profile_counts_two_bytes_per_element);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
