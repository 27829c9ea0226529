/* kernels.h — the element-wise CUDA kernels of the CUDA backend (kernels.cu), callable from C.
 * Every launcher enqueues on `stream` and returns the launch's status (cudaGetLastError); n is a
 * count of elements; `bf16` selects __nv_bfloat16 elements instead of float. The math matches
 * exec/workload.c expression for expression, so fp32 results agree with the CPU backend. */
#ifndef PPX_CUDA_KERNELS_H
#define PPX_CUDA_KERNELS_H

#include <stddef.h>

#include <cuda_runtime_api.h>

#ifdef __cplusplus
extern "C" {
#endif

/* y[i] = y[i] > 0 ? y[i] : 0, in place. */
cudaError_t ppxk_relu(void *y, size_t n, int bf16, cudaStream_t stream);

/* g[i] = y[i] > 0 ? dy[i] : 0 (the gradient through relu). g may alias dy. */
cudaError_t ppxk_relu_backward(void *g, const void *dy, const void *y, size_t n, int bf16,
                               cudaStream_t stream);

/* out[i] = in[i] / divisor (the loss gradient y_L / b). */
cudaError_t ppxk_divide(void *out, const void *in, float divisor, size_t n, int bf16,
                        cudaStream_t stream);

/* dst[i] = bf16(src[i]), rounded to nearest even. */
cudaError_t ppxk_to_bf16(void *dst, const float *src, size_t n, cudaStream_t stream);

#ifdef __cplusplus
}
#endif

#endif
