/* standin.h — a CPU stand-in for the parts of the CUDA runtime and cuBLAS that the CUDA backend
 * (exec/cuda/) calls, and for its element-wise kernels (exec/cuda/kernels.h), so that the
 * backend's own host code runs where there is no GPU: single-rank steps, the warm-up, the time
 * base, profiling, with real numbers. Linked instead of libcudart, libcublas and kernels.cu.
 *
 * Device memory is host memory; every operation runs to completion when it is issued, on the
 * calling thread, so streams and events are ordered trivially. Two behaviours of the real
 * runtime are modelled on purpose:
 * - an event's first cudaEventQuery after a record answers cudaErrorNotReady (the work looks
 *   asynchronous to a poller) and leaves that as the last error, as the runtime may; a kernel
 *   launcher returns cudaGetLastError(), as kernels.cu's do, so a stale NotReady shows up there;
 * - cublasGemmEx accepts only CUBLAS_COMPUTE_32F and computes each product in fp32 with the
 *   k terms summed in order (not OpenBLAS's blocked order), rounding a bf16 C to nearest even.
 * Every GEMM, kernel, device synchronisation and event record is logged with its host times, so
 * a test can check what was called when (standin_log). NCCL is not stood in for: runs of more
 * than one rank are not possible here. */
#ifndef PPS_CUDA_STANDIN_H
#define PPS_CUDA_STANDIN_H

#include <stddef.h>

#include <cublas_v2.h>
#include <cuda_runtime_api.h>

typedef enum { SC_GEMM, SC_KERNEL, SC_DEVSYNC, SC_RECORD } standin_what;

/* One logged call. For SC_GEMM the arguments that select cuBLAS's kernel (the pointers'
 * alignment aside); for SC_RECORD the event. Times are seconds on CLOCK_MONOTONIC. */
typedef struct standin_call {
    standin_what what;
    double start, end;
    cublasOperation_t ta, tb;
    int m, n, k, lda, ldb, ldc;
    cudaDataType_t atype, btype, ctype;
    float alpha, beta;
    cublasComputeType_t compute;
    cudaEvent_t event;
} standin_call;

/* The calls logged since the last standin_log_clear, oldest first; *n their number. */
const standin_call *standin_log(size_t *n);
void standin_log_clear(void);
/* 1 when two GEMM calls have the same arguments (pointers aside). */
int standin_same_gemm(const standin_call *a, const standin_call *b);

#endif
