/* test_cuda_gpu.c — the CUDA backend's checks that need a GPU: a one-rank, two-stage step whose
 * weight gradients must match the CPU reference. Without a usable GPU it runs nothing and exits
 * 77, meson's skip code, so that the summary counts it as skipped, not passed. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>

#include <cuda_runtime_api.h>

#include "single_rank.h"
#include "../testutil.h"

/* backends.c lists the CPU backend too; this suite does not link it. */
const ppx_backend ppx_backend_cpu = {.name = "cpu"};

/* fp32 GEMMs differ from OpenBLAS only in summation order, so the gradients agree to far better
 * than 1e-3 relative. */
START_TEST(one_rank_two_stages_match_the_cpu_reference)
{
    pps_schedule *s = one_rank_two_stages();
    ppx_setup setup = setup_for(s);
    double rel = single_rank_step_error(&ppx_backend_cuda, &setup);
    ck_assert_msg(rel <= 1e-3, "max relative error %g", rel);
    pps_schedule_destroy(s);
}
END_TEST

int main(void)
{
    int n = 0;
    cudaError_t e = cudaGetDeviceCount(&n);
    if (e != cudaSuccess || n == 0) {
        printf("test_cuda_gpu: skipped: no usable GPU (%s)\n",
               e != cudaSuccess ? cudaGetErrorName(e) : "no CUDA device visible");
        return 77;
    }
    Suite *s = suite_create("cuda_gpu");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, one_rank_two_stages_match_the_cpu_reference);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
