/* test_cuda_nogpu.c — the CUDA backend where no GPU is needed: it is registered, it refuses bad
 * input before touching the GPU, and without a GPU (or driver) init fails with one clear line
 * instead of crashing. What needs a GPU is in test_cuda_gpu.c, which skips without one. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cuda_runtime_api.h>

#include "internal.h"
#include "single_rank.h"
#include "../testutil.h"

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
        return; /* with a GPU init succeeds: test_cuda_gpu runs a step */
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

/* NCCL is loaded at run time, by runs of several ranks only: a missing library is one clear
 * error; the toolkit's own libnccl.so.2 (where there is one, as on the build machine) loads,
 * which proves every symbol the backend resolves exists under the name it uses. */
START_TEST(nccl_loads_at_run_time_or_says_why_not)
{
    pps_error err = {0};
    setenv("PPX_NCCL_LIBRARY", "/nonexistent/libnccl.so.2", 1);
    ck_assert_int_eq(ppxc_nccl_load(&err), PPS_EIO);
    ck_assert_msg(strstr(err.msg, "runs of more than one rank need NCCL") != NULL &&
                      strstr(err.msg, "/nonexistent/libnccl.so.2") != NULL, "%s", err.msg);
    char desc[128];
    ppxc_nccl_describe(desc, sizeof desc);
    ck_assert_str_eq(desc, "NCCL not loaded (one rank)");
    const char *home = getenv("CUDA_HOME");
    char path[512];
    snprintf(path, sizeof path, "%s/lib64/libnccl.so.2", home && *home ? home : "/usr/local/cuda");
    if (access(path, R_OK) == 0) {
        setenv("PPX_NCCL_LIBRARY", path, 1);
        ck_assert_msg(ppxc_nccl_load(&err) == PPS_OK, "%s", err.msg);
        ppxc_nccl_describe(desc, sizeof desc);
        ck_assert_msg(strncmp(desc, "NCCL 2.", 7) == 0 && strstr(desc, path), "%s", desc);
    }
    unsetenv("PPX_NCCL_LIBRARY");
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
    tcase_add_test(tc, nccl_loads_at_run_time_or_says_why_not);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(cuda_suite());
}
