// kernels.cu — element-wise kernels of the CUDA backend (kernels.h). Grid-stride loops over
// size_t indices, so any n works with a bounded grid.
#include "kernels.h"

#include <cuda_bf16.h>

namespace {

const int kThreads = 256;
const size_t kMaxBlocks = 65535;

unsigned blocks_for(size_t n)
{
    size_t b = (n + kThreads - 1) / kThreads;
    if (b > kMaxBlocks)
        b = kMaxBlocks;
    return b == 0 ? 1u : (unsigned)b;
}

__device__ inline float load(const float *p, size_t i) { return p[i]; }
__device__ inline float load(const __nv_bfloat16 *p, size_t i) { return __bfloat162float(p[i]); }
__device__ inline void store(float *p, size_t i, float v) { p[i] = v; }
__device__ inline void store(__nv_bfloat16 *p, size_t i, float v) { p[i] = __float2bfloat16(v); }

template <typename T> __global__ void relu_kernel(T *y, size_t n)
{
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n;
         i += (size_t)gridDim.x * blockDim.x) {
        float v = load(y, i);
        store(y, i, v > 0 ? v : 0.0f);
    }
}

template <typename T>
__global__ void relu_backward_kernel(T *g, const T *dy, const T *y, size_t n)
{
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n;
         i += (size_t)gridDim.x * blockDim.x)
        store(g, i, load(y, i) > 0 ? load(dy, i) : 0.0f);
}

template <typename T> __global__ void divide_kernel(T *out, const T *in, float divisor, size_t n)
{
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n;
         i += (size_t)gridDim.x * blockDim.x)
        store(out, i, load(in, i) / divisor);
}

__global__ void to_bf16_kernel(__nv_bfloat16 *dst, const float *src, size_t n)
{
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n;
         i += (size_t)gridDim.x * blockDim.x)
        dst[i] = __float2bfloat16(src[i]);
}

} // namespace

extern "C" cudaError_t ppxk_relu(void *y, size_t n, int bf16, cudaStream_t stream)
{
    if (bf16)
        relu_kernel<<<blocks_for(n), kThreads, 0, stream>>>((__nv_bfloat16 *)y, n);
    else
        relu_kernel<<<blocks_for(n), kThreads, 0, stream>>>((float *)y, n);
    return cudaGetLastError();
}

extern "C" cudaError_t ppxk_relu_backward(void *g, const void *dy, const void *y, size_t n,
                                          int bf16, cudaStream_t stream)
{
    if (bf16)
        relu_backward_kernel<<<blocks_for(n), kThreads, 0, stream>>>(
            (__nv_bfloat16 *)g, (const __nv_bfloat16 *)dy, (const __nv_bfloat16 *)y, n);
    else
        relu_backward_kernel<<<blocks_for(n), kThreads, 0, stream>>>(
            (float *)g, (const float *)dy, (const float *)y, n);
    return cudaGetLastError();
}

extern "C" cudaError_t ppxk_divide(void *out, const void *in, float divisor, size_t n, int bf16,
                                   cudaStream_t stream)
{
    if (bf16)
        divide_kernel<<<blocks_for(n), kThreads, 0, stream>>>(
            (__nv_bfloat16 *)out, (const __nv_bfloat16 *)in, divisor, n);
    else
        divide_kernel<<<blocks_for(n), kThreads, 0, stream>>>((float *)out, (const float *)in,
                                                              divisor, n);
    return cudaGetLastError();
}

extern "C" cudaError_t ppxk_to_bf16(void *dst, const float *src, size_t n, cudaStream_t stream)
{
    to_bf16_kernel<<<blocks_for(n), kThreads, 0, stream>>>((__nv_bfloat16 *)dst, src, n);
    return cudaGetLastError();
}
