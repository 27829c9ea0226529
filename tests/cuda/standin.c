/* standin.c — the CPU stand-in for the CUDA runtime, cuBLAS and the backend's kernels
 * (standin.h). */
#include "standin.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kernels.h"

struct CUstream_st {
    int id;
};
struct CUevent_st {
    double t;    /* host time of the last record */
    int pending; /* recorded and not yet seen complete by cudaEventQuery */
};
struct cublasContext {
    cudaStream_t stream;
};

static cudaError_t last_error = cudaSuccess;
static standin_call *calls;
static size_t ncalls, capcalls;

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static standin_call *log_call(standin_what what)
{
    if (ncalls == capcalls) {
        size_t cap = capcalls ? 2 * capcalls : 1024;
        standin_call *p = realloc(calls, cap * sizeof *p);
        if (!p)
            abort(); /* a test helper: out of memory ends the test */
        calls = p;
        capcalls = cap;
    }
    standin_call *c = &calls[ncalls++];
    memset(c, 0, sizeof *c);
    c->what = what;
    c->start = c->end = now();
    return c;
}

const standin_call *standin_log(size_t *n)
{
    *n = ncalls;
    return calls;
}

void standin_log_clear(void)
{
    ncalls = 0;
}

int standin_same_gemm(const standin_call *a, const standin_call *b)
{
    return a->ta == b->ta && a->tb == b->tb && a->m == b->m && a->n == b->n && a->k == b->k &&
           a->lda == b->lda && a->ldb == b->ldb && a->ldc == b->ldc && a->atype == b->atype &&
           a->btype == b->btype && a->ctype == b->ctype && a->alpha == b->alpha &&
           a->beta == b->beta && a->compute == b->compute;
}

/* ------------------------------------------------------------------ bf16 */

static float from_bf16(uint16_t h)
{
    uint32_t u = (uint32_t)h << 16;
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

/* Nearest bf16, ties to even (NaN stays NaN). */
static uint16_t to_bf16(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    if ((u & 0x7fffffffu) > 0x7f800000u)
        return (uint16_t)((u >> 16) | 0x40u);
    uint32_t low = u & 0xffffu, high = u >> 16;
    if (low > 0x8000u || (low == 0x8000u && (high & 1u)))
        high++;
    return (uint16_t)high;
}

static float load(const void *p, size_t i, int bf16)
{
    return bf16 ? from_bf16(((const uint16_t *)p)[i]) : ((const float *)p)[i];
}

static void store(void *p, size_t i, float v, int bf16)
{
    if (bf16)
        ((uint16_t *)p)[i] = to_bf16(v);
    else
        ((float *)p)[i] = v;
}

/* ------------------------------------------------------------------ runtime: errors, device */

cudaError_t cudaGetLastError(void)
{
    cudaError_t e = last_error;
    last_error = cudaSuccess;
    return e;
}

cudaError_t cudaPeekAtLastError(void)
{
    return last_error;
}

const char *cudaGetErrorString(cudaError_t e)
{
    return e == cudaSuccess ? "no error" : e == cudaErrorNotReady ? "device not ready"
                                                                 : "stand-in error";
}

const char *cudaGetErrorName(cudaError_t e)
{
    return e == cudaSuccess ? "cudaSuccess" : e == cudaErrorNotReady ? "cudaErrorNotReady"
                                                                     : "cudaErrorUnknown";
}

cudaError_t cudaGetDeviceCount(int *count)
{
    *count = 1;
    return cudaSuccess;
}

cudaError_t cudaSetDevice(int device)
{
    return device == 0 ? cudaSuccess : cudaErrorInvalidDevice;
}

cudaError_t cudaGetDeviceProperties(struct cudaDeviceProp *prop, int device)
{
    (void)device;
    memset(prop, 0, sizeof *prop);
    strcpy(prop->name, "CPU stand-in");
    prop->major = 9;
    prop->minor = 0;
    return cudaSuccess;
}

cudaError_t cudaDeviceGetStreamPriorityRange(int *least, int *greatest)
{
    *least = 0;
    *greatest = -5;
    return cudaSuccess;
}

cudaError_t cudaMemGetInfo(size_t *free_bytes, size_t *total)
{
    *free_bytes = (size_t)8 << 30;
    *total = (size_t)16 << 30;
    return cudaSuccess;
}

cudaError_t cudaDeviceSynchronize(void)
{
    log_call(SC_DEVSYNC);
    return cudaSuccess;
}

/* ------------------------------------------------------------------ memory */

cudaError_t cudaMalloc(void **p, size_t bytes)
{
    *p = malloc(bytes ? bytes : 1);
    return *p ? cudaSuccess : cudaErrorMemoryAllocation;
}

cudaError_t cudaFree(void *p)
{
    free(p);
    return cudaSuccess;
}

cudaError_t cudaMemsetAsync(void *p, int value, size_t bytes, cudaStream_t s)
{
    (void)s;
    memset(p, value, bytes);
    return cudaSuccess;
}

cudaError_t cudaMemcpyAsync(void *dst, const void *src, size_t bytes, enum cudaMemcpyKind kind,
                            cudaStream_t s)
{
    (void)kind, (void)s;
    memmove(dst, src, bytes);
    return cudaSuccess;
}

/* ------------------------------------------------------------------ streams and events */

cudaError_t cudaStreamCreateWithFlags(cudaStream_t *s, unsigned flags)
{
    (void)flags;
    *s = calloc(1, sizeof **s);
    return *s ? cudaSuccess : cudaErrorMemoryAllocation;
}

cudaError_t cudaStreamCreateWithPriority(cudaStream_t *s, unsigned flags, int priority)
{
    (void)priority;
    return cudaStreamCreateWithFlags(s, flags);
}

cudaError_t cudaStreamDestroy(cudaStream_t s)
{
    free(s);
    return cudaSuccess;
}

cudaError_t cudaStreamSynchronize(cudaStream_t s)
{
    (void)s;
    return cudaSuccess;
}

cudaError_t cudaStreamQuery(cudaStream_t s)
{
    (void)s;
    return cudaSuccess;
}

cudaError_t cudaStreamWaitEvent(cudaStream_t s, cudaEvent_t e, unsigned flags)
{
    (void)s, (void)e, (void)flags;
    return cudaSuccess;
}

cudaError_t cudaEventCreate(cudaEvent_t *e)
{
    *e = calloc(1, sizeof **e);
    return *e ? cudaSuccess : cudaErrorMemoryAllocation;
}

cudaError_t cudaEventDestroy(cudaEvent_t e)
{
    free(e);
    return cudaSuccess;
}

cudaError_t cudaEventRecord(cudaEvent_t e, cudaStream_t s)
{
    (void)s;
    e->t = now();
    e->pending = 1;
    log_call(SC_RECORD)->event = e;
    return cudaSuccess;
}

cudaError_t cudaEventQuery(cudaEvent_t e)
{
    if (e->pending) { /* looks asynchronous once; the runtime may keep NotReady as last error */
        e->pending = 0;
        last_error = cudaErrorNotReady;
        return cudaErrorNotReady;
    }
    return cudaSuccess;
}

cudaError_t cudaEventSynchronize(cudaEvent_t e)
{
    e->pending = 0;
    return cudaSuccess;
}

cudaError_t cudaEventElapsedTime(float *ms, cudaEvent_t a, cudaEvent_t b)
{
    *ms = (float)((b->t - a->t) * 1e3);
    return cudaSuccess;
}

/* ------------------------------------------------------------------ cuBLAS */

cublasStatus_t cublasCreate_v2(cublasHandle_t *h)
{
    *h = calloc(1, sizeof **h);
    return *h ? CUBLAS_STATUS_SUCCESS : CUBLAS_STATUS_ALLOC_FAILED;
}

cublasStatus_t cublasDestroy_v2(cublasHandle_t h)
{
    free(h);
    return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasSetStream_v2(cublasHandle_t h, cudaStream_t s)
{
    h->stream = s;
    return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasSetMathMode(cublasHandle_t h, cublasMath_t mode)
{
    (void)h;
    return mode == CUBLAS_DEFAULT_MATH ? CUBLAS_STATUS_SUCCESS : CUBLAS_STATUS_NOT_SUPPORTED;
}

const char *cublasGetStatusString(cublasStatus_t s)
{
    return s == CUBLAS_STATUS_SUCCESS ? "success" : "not supported by the stand-in";
}

const char *cublasGetStatusName(cublasStatus_t s)
{
    return s == CUBLAS_STATUS_SUCCESS ? "CUBLAS_STATUS_SUCCESS" : "CUBLAS_STATUS_NOT_SUPPORTED";
}

/* Column-major C (m×n) = alpha·op(A)·op(B) + beta·C, op(A) m×k, op(B) k×n. */
cublasStatus_t cublasGemmEx(cublasHandle_t handle, cublasOperation_t transa,
                            cublasOperation_t transb, int m, int n, int k, const void *alpha,
                            const void *A, cudaDataType Atype, int lda, const void *B,
                            cudaDataType Btype, int ldb, const void *beta, void *C,
                            cudaDataType Ctype, int ldc, cublasComputeType_t computeType,
                            cublasGemmAlgo_t algo)
{
    (void)handle, (void)algo;
    standin_call *call = log_call(SC_GEMM);
    *call = (standin_call){.what = SC_GEMM, .start = call->start, .ta = transa, .tb = transb,
                           .m = m, .n = n, .k = k, .lda = lda, .ldb = ldb, .ldc = ldc,
                           .atype = Atype, .btype = Btype, .ctype = Ctype,
                           .alpha = *(const float *)alpha, .beta = *(const float *)beta,
                           .compute = computeType};
    int ok_type = (Atype == CUDA_R_32F || Atype == CUDA_R_16BF) && Btype == Atype &&
                  (Ctype == CUDA_R_32F || Ctype == Atype);
    if (computeType != CUBLAS_COMPUTE_32F || !ok_type)
        return CUBLAS_STATUS_NOT_SUPPORTED;
    const int abf = Atype == CUDA_R_16BF, cbf = Ctype == CUDA_R_16BF;
    const float al = call->alpha, be = call->beta;
    for (int j = 0; j < n; j++)
        for (int i = 0; i < m; i++) {
            float sum = 0;
            for (int p = 0; p < k; p++) {
                size_t ai = transa == CUBLAS_OP_N ? (size_t)i + (size_t)p * (size_t)lda
                                                  : (size_t)p + (size_t)i * (size_t)lda;
                size_t bi = transb == CUBLAS_OP_N ? (size_t)p + (size_t)j * (size_t)ldb
                                                  : (size_t)j + (size_t)p * (size_t)ldb;
                sum += load(A, ai, abf) * load(B, bi, abf);
            }
            size_t ci = (size_t)i + (size_t)j * (size_t)ldc;
            float old = be != 0 ? load(C, ci, cbf) : 0;
            store(C, ci, al * sum + be * old, cbf);
        }
    call->end = now();
    return CUBLAS_STATUS_SUCCESS;
}

/* ------------------------------------------------------------------ kernels (kernels.h) */

/* As kernels.cu's launchers: the launch's status is cudaGetLastError(). */
static cudaError_t launched(standin_call *call)
{
    call->end = now();
    return cudaGetLastError();
}

cudaError_t ppxk_relu(void *y, size_t n, int bf16, cudaStream_t stream)
{
    (void)stream;
    standin_call *call = log_call(SC_KERNEL);
    for (size_t i = 0; i < n; i++) {
        float v = load(y, i, bf16);
        store(y, i, v > 0 ? v : 0.0f, bf16);
    }
    return launched(call);
}

cudaError_t ppxk_relu_backward(void *g, const void *dy, const void *y, size_t n, int bf16,
                               cudaStream_t stream)
{
    (void)stream;
    standin_call *call = log_call(SC_KERNEL);
    for (size_t i = 0; i < n; i++)
        store(g, i, load(y, i, bf16) > 0 ? load(dy, i, bf16) : 0.0f, bf16);
    return launched(call);
}

cudaError_t ppxk_divide(void *out, const void *in, float divisor, size_t n, int bf16,
                        cudaStream_t stream)
{
    (void)stream;
    standin_call *call = log_call(SC_KERNEL);
    for (size_t i = 0; i < n; i++)
        store(out, i, load(in, i, bf16) / divisor, bf16);
    return launched(call);
}

cudaError_t ppxk_to_bf16(void *dst, const float *src, size_t n, cudaStream_t stream)
{
    (void)stream;
    standin_call *call = log_call(SC_KERNEL);
    for (size_t i = 0; i < n; i++)
        ((uint16_t *)dst)[i] = to_bf16(src[i]);
    return launched(call);
}
