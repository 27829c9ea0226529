/* backend_cuda.c — the CUDA backend of ppexec: cuBLAS GEMMs on one compute stream, NCCL
 * point-to-point transfers on per-peer send and receive streams, ordering and timing by CUDA
 * events (docs/executor-cuda.md).
 *
 * How the semantics of docs/semantics.md map onto the GPU:
 * - compute stream: F, B, I, W run there in program order; `wait` makes it wait on the end
 *   event of a receive;
 * - send queue to peer p: a CUDA stream and a 2-rank NCCL communicator {me, p} used for nothing
 *   else. NCCL serialises all operations of one communicator across streams (every launch waits
 *   on the communicator's internal stream), so separate streams on one shared communicator would
 *   not make the queues independent: a send blocked on its receiver would hold up every later
 *   receive. One communicator per directed link gives exactly one in-order queue per link;
 * - a send first waits on the end event of its producer (the compute action that wrote its
 *   buffer), then ncclSend; a receive is ncclRecv on its queue's stream, nothing more;
 * - every action is bracketed by a start and an end event on its stream; times() measures them
 *   from one start event recorded after a barrier and an all-reduce.
 *
 * Buffers are never reused within a run: every (stage, micro-batch) has its own activations,
 * gradients and receive targets, so no transfer can overwrite data still to be read, and no
 * event other than the ones above is needed for correctness. The compute stream's scratch
 * buffers are read and written by the compute stream only. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cublas_v2.h>
#include <cuda_runtime_api.h>
#include <mpi.h>
#include <nccl.h>

#include "backends.h"
#include "engine.h"
#include "core/graph.h"
#include "kernels.h"
#include "workload.h"

/* ncclCommSplit (one communicator per link) and ncclBfloat16 need NCCL 2.18 or newer. */
#if NCCL_VERSION_CODE < NCCL_VERSION(2, 18, 0)
#error "the CUDA backend needs NCCL 2.18 or newer (ncclCommSplit)"
#endif
#define PPX_NCCL_MIN_RUNTIME 21800

/* ------------------------------------------------------------------ error macros */

/* Each fills *err with the file, line, call and the library's own error string, and returns
 * PPS_EIO from the enclosing function (nccl-tests style, without exiting). */
#define CUDACHECK(call)                                                                        \
    do {                                                                                       \
        cudaError_t e_ = (call);                                                               \
        if (e_ != cudaSuccess)                                                                 \
            return pps_error_set(err, PPS_EIO, "cuda: %s:%d: %s: %s (%s)", __FILE__, __LINE__, \
                                 #call, cudaGetErrorString(e_), cudaGetErrorName(e_));         \
    } while (0)

#define NCCLCHECK(call)                                                                        \
    do {                                                                                       \
        ncclResult_t r_ = (call);                                                              \
        if (r_ != ncclSuccess)                                                                 \
            return pps_error_set(err, PPS_EIO, "cuda: %s:%d: %s: NCCL error: %s (%s)",         \
                                 __FILE__, __LINE__, #call, ncclGetErrorString(r_),            \
                                 ncclGetLastError(NULL));                                      \
    } while (0)

#define CUBLASCHECK(call)                                                                      \
    do {                                                                                       \
        cublasStatus_t s_ = (call);                                                            \
        if (s_ != CUBLAS_STATUS_SUCCESS)                                                       \
            return pps_error_set(err, PPS_EIO, "cuda: %s:%d: %s: cuBLAS error: %s (%s)",       \
                                 __FILE__, __LINE__, #call, cublasGetStatusString(s_),         \
                                 cublasGetStatusName(s_));                                     \
    } while (0)

#define MPICHECK(call)                                                                         \
    do {                                                                                       \
        int m_ = (call);                                                                       \
        if (m_ != MPI_SUCCESS) {                                                               \
            char s_[MPI_MAX_ERROR_STRING];                                                     \
            int len_ = 0;                                                                      \
            MPI_Error_string(m_, s_, &len_);                                                   \
            return pps_error_set(err, PPS_EIO, "cuda: %s:%d: %s: MPI error: %s", __FILE__,     \
                                 __LINE__, #call, s_);                                         \
        }                                                                                      \
    } while (0)

#define TRY(call)                                                                              \
    do {                                                                                       \
        pps_status t_ = (call);                                                                \
        if (t_ != PPS_OK)                                                                      \
            return t_;                                                                         \
    } while (0)

/* ------------------------------------------------------------------ state */

enum { STARTED = 1, ENDED = 2 };
enum { DIR_F = 0, DIR_B = 1 };

/* An in-order stream: the compute stream, or the send (receive) queue of one directed link. */
typedef struct cstream {
    cudaStream_t s;
    const char *what;  /* "compute", "send to", "recv from" (for messages) */
    int peer;          /* world rank at the other end; -1 for the compute stream */
    int link;          /* index into the link list; -1 for the compute stream */
    ncclComm_t comm;   /* the link's 2-rank communicator; NULL for the compute stream */
    int comm_peer;     /* the peer's rank within comm */
    int32_t *ids;      /* actions enqueued, in order */
    size_t n, cap;
    size_t done;       /* ids[0..done) have ended (drain's progress cursor) */
} cstream;

/* One stage's buffers for one micro-batch (device pointers; elements of the GEMM type). */
typedef struct cmb {
    void *in;  /* y_0, b·h: stage 0's input, a RECV_F target, or the previous stage's y_L */
    void *y;   /* y_1..y_L, L·b·h */
    void *g;   /* G_1..G_L, L·b·h */
    void *dy;  /* dL/dy_L, b·h: loss gradient, a RECV_B target, or the next stage's dx */
    void *dx;  /* dL/dy_0, b·h: sent by SEND_B or read by the previous stage; NULL on stage 0 */
} cmb;

typedef struct cstage {
    int stage;
    void *w;   /* L·h·h weights */
    float *dw; /* L·h·h accumulated weight gradients, always fp32 */
    cmb *mb;   /* [M] */
} cstage;

typedef struct plink {
    int from, to, round;
} plink;

struct ppx_ctx {
    ppx_setup setup;
    const pps_schedule *s;
    int rank, ranks, S, M, L, b, h, bf16;
    size_t n, hh, esize;  /* b·h, h·h, bytes per element */
    cudaDataType_t dtype;
    ncclDataType_t ntype;
    int mpi;              /* MPI is initialised (ranks > 1 requires it) */
    int device, device_set, cc_major, cc_minor;
    char host[64], devname[256];

    cstream compute;
    cstream *sendq, *recvq;
    int nsend, nrecv;
    plink *links;
    int nlinks, nrounds;
    ncclComm_t world;
    cublasHandle_t blas;

    cstage *stages;
    int nstages;
    int *local_of;        /* [S]: index into stages, -1 when not on this rank */
    int32_t *producer;    /* [nstages·M·2]: id of the last action writing (stage, mb, dir)'s output */

    void **allocs;        /* every cudaMalloc, freed by finalize */
    size_t nallocs, capallocs;
    void *scr_a, *scr_b;  /* b·h each: compute-stream scratch */
    float *scr_f;         /* max(h·h, b·h) floats: upload staging, warm-up output */

    size_t base, nact;    /* this rank's action ids are [base, base + nact) */
    cudaEvent_t *ev_start, *ev_end;
    size_t nevents;       /* created so far (each array) */
    unsigned char *state; /* [nact] STARTED | ENDED */
    cudaEvent_t t0;
    int have_t0;
    struct timespec host_t0;
};

/* ------------------------------------------------------------------ small helpers */

static double seconds_since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) + 1e-9 * (double)(t.tv_nsec - t0->tv_nsec);
}

static pps_status push_id(cstream *q, int32_t id, pps_error *err)
{
    if (q->n == q->cap) {
        size_t cap = q->cap ? 2 * q->cap : 64;
        int32_t *p = realloc(q->ids, cap * sizeof *p);
        if (!p)
            return pps_error_set(err, PPS_ENOMEM, "cuda: out of host memory");
        q->ids = p;
        q->cap = cap;
    }
    q->ids[q->n++] = id;
    return PPS_OK;
}

/* cudaMalloc, remembered for finalize, then zeroed on the compute stream (our streams do not
 * synchronise with the legacy default stream, so a plain cudaMemset could land after later
 * work on them). */
static pps_status dev_alloc(ppx_ctx *c, void **p, size_t bytes, pps_error *err)
{
    *p = NULL;
    if (c->nallocs == c->capallocs) {
        size_t cap = c->capallocs ? 2 * c->capallocs : 64;
        void **a = realloc(c->allocs, cap * sizeof *a);
        if (!a)
            return pps_error_set(err, PPS_ENOMEM, "cuda: out of host memory");
        c->allocs = a;
        c->capallocs = cap;
    }
    CUDACHECK(cudaMalloc(p, bytes ? bytes : 1));
    c->allocs[c->nallocs++] = *p;
    CUDACHECK(cudaMemsetAsync(*p, 0, bytes, c->compute.s));
    return PPS_OK;
}

/* Frees p (allocated by dev_alloc) now. */
static void dev_free(ppx_ctx *c, void *p)
{
    for (size_t i = 0; i < c->nallocs; i++)
        if (c->allocs[i] == p) {
            cudaFree(p);
            c->allocs[i] = c->allocs[--c->nallocs];
            return;
        }
}

static size_t slot(const ppx_ctx *c, int32_t id)
{
    return (size_t)id - c->base;
}

static pps_status check_id(const ppx_ctx *c, int32_t id, pps_error *err)
{
    if (id < 0 || (size_t)id < c->base || (size_t)id >= c->base + c->nact)
        return pps_error_set(err, PPS_EINPUT, "cuda: action id %d is not on rank %d",
                             (int)id, c->rank);
    return PPS_OK;
}

/* Text of action id ("1SEND_F3"). */
static void action_text(const ppx_ctx *c, int32_t id, char *buf, size_t size)
{
    if (check_id(c, id, NULL) != PPS_OK) {
        snprintf(buf, size, "#%d", (int)id);
        return;
    }
    pps_action_format(&c->s->programs[c->rank].actions[slot(c, id)], buf, size);
}

/* Records id's start on q (once: an OVERLAP_F_B's second half keeps the first's start). */
static pps_status begin(ppx_ctx *c, int32_t id, cstream *q, pps_error *err)
{
    TRY(check_id(c, id, err));
    size_t i = slot(c, id);
    if (c->state[i] & STARTED)
        return PPS_OK;
    CUDACHECK(cudaEventRecord(c->ev_start[i], q->s));
    c->state[i] |= STARTED;
    return push_id(q, id, err);
}

/* Records id's end on q (again for an OVERLAP_F_B's second half: the action ends with it). */
static pps_status end(ppx_ctx *c, int32_t id, cstream *q, pps_error *err)
{
    size_t i = slot(c, id);
    CUDACHECK(cudaEventRecord(c->ev_end[i], q->s));
    c->state[i] |= ENDED;
    return PPS_OK;
}

/* The buffers of (stage, mb) on this rank, or NULL with err set. */
static cmb *cell(ppx_ctx *c, int stage, int mb, int *li, pps_error *err)
{
    if (stage < 0 || stage >= c->S || mb < 0 || mb >= c->M) {
        pps_error_set(err, PPS_EINPUT, "cuda: stage %d, micro-batch %d out of range", stage, mb);
        return NULL;
    }
    int i = c->local_of[stage];
    if (i < 0) {
        pps_error_set(err, PPS_EINPUT, "cuda: stage %d is not on rank %d", stage, c->rank);
        return NULL;
    }
    if (li)
        *li = i;
    return &c->stages[i].mb[mb];
}

static int32_t *producer_of(ppx_ctx *c, int li, int mb, int dir)
{
    return &c->producer[((size_t)li * (size_t)c->M + (size_t)mb) * 2 + (size_t)dir];
}

static void *layer(const ppx_ctx *c, void *base, int l) /* element l of an array of b·h blocks */
{
    return (char *)base + (size_t)l * c->n * c->esize;
}

/* y_l of a cell: y_0 is the input, y_1..y_L live in y. */
static void *act(const ppx_ctx *c, const cmb *m, int l)
{
    return l == 0 ? m->in : layer(c, m->y, l - 1);
}

static void *weight(const ppx_ctx *c, const cstage *st, int l) /* W_l, l = 1..L */
{
    return (char *)st->w + (size_t)(l - 1) * c->hh * c->esize;
}

/* ------------------------------------------------------------------ GEMMs
 * Row-major X (r×k) is column-major Xᵀ, so every row-major product is issued transposed:
 *   Y = X·W       ->  Yᵀ = Wᵀ·Xᵀ    (N, N, m=h, n=b, k=h)
 *   D = G·Wᵀ      ->  Dᵀ = W·Gᵀ     (T, N, m=h, n=b, k=h)
 *   dW += Yᵀ·G    ->  dWᵀ += Gᵀ·Y   (N, T, m=h, n=h, k=b)
 * Inputs are fp32 or bf16; accumulation is always fp32 (CUBLAS_COMPUTE_32F: no TF32). */
static pps_status gemm(ppx_ctx *c, cublasOperation_t ta, cublasOperation_t tb, int m, int n,
                       int k, const void *A, const void *B, void *C, int c_fp32, float beta,
                       pps_error *err)
{
    const float alpha = 1.0f;
    CUBLASCHECK(cublasGemmEx(c->blas, ta, tb, m, n, k, &alpha, A, c->dtype, c->h, B, c->dtype,
                             c->h, &beta, C, c_fp32 ? CUDA_R_32F : c->dtype, c->h,
                             CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
    return PPS_OK;
}

static pps_status run_forward(ppx_ctx *c, cstage *st, cmb *m, pps_error *err)
{
    for (int l = 1; l <= c->L; l++) {
        void *y = act(c, m, l);
        TRY(gemm(c, CUBLAS_OP_N, CUBLAS_OP_N, c->h, c->b, c->h, weight(c, st, l), act(c, m, l - 1),
                 y, 0, 0.0f, err));
        CUDACHECK(ppxk_relu(y, c->n, c->bf16, c->compute.s));
    }
    return PPS_OK;
}

static pps_status run_backward_input(ppx_ctx *c, cstage *st, cmb *m, pps_error *err)
{
    if (st->stage == c->S - 1) /* the loss 0.5·Σ y_L² / b: dL/dy_L = y_L / b */
        CUDACHECK(ppxk_divide(m->dy, act(c, m, c->L), (float)c->b, c->n, c->bf16, c->compute.s));
    const void *dy = m->dy; /* never written here: it may be the next stage's dx */
    for (int l = c->L; l >= 1; l--) {
        void *g = layer(c, m->g, l - 1);
        CUDACHECK(ppxk_relu_backward(g, dy, act(c, m, l), c->n, c->bf16, c->compute.s));
        /* dL/dy_{l-1} = G_l·W_lᵀ; the last is the stage input's gradient (discarded on stage 0) */
        void *out = l > 1 ? c->scr_a : m->dx ? m->dx : c->scr_b;
        TRY(gemm(c, CUBLAS_OP_T, CUBLAS_OP_N, c->h, c->b, c->h, weight(c, st, l), g, out, 0, 0.0f,
                 err));
        dy = out;
    }
    return PPS_OK;
}

static pps_status run_backward_weight(ppx_ctx *c, cstage *st, cmb *m, pps_error *err)
{
    for (int l = 1; l <= c->L; l++)
        TRY(gemm(c, CUBLAS_OP_N, CUBLAS_OP_T, c->h, c->h, c->b, layer(c, m->g, l - 1),
                 act(c, m, l - 1), st->dw + (size_t)(l - 1) * c->hh, 1, 1.0f, err));
    return PPS_OK;
}

/* ------------------------------------------------------------------ backend functions */

/* Enqueues compute op kind (F, I, W or B = I then W) of cell m on the compute stream. */
static pps_status run_op(ppx_ctx *c, cstage *st, cmb *m, pps_kind kind, pps_error *err)
{
    switch (kind) {
    case PPS_F: return run_forward(c, st, m, err);
    case PPS_I: return run_backward_input(c, st, m, err);
    case PPS_W: return run_backward_weight(c, st, m, err);
    case PPS_B:
        TRY(run_backward_input(c, st, m, err));
        return run_backward_weight(c, st, m, err);
    default: return pps_error_set(err, PPS_EINPUT, "cuda: not a compute kind: %d", (int)kind);
    }
}

/* One compute action of the step: its events around the op, and (F, I, B) the action as the
 * producer of the cell's output in its direction, which a later send waits for. */
static pps_status compute_action(ppx_ctx *c, int32_t id, pps_kind kind, int stage, int mb,
                                 pps_error *err)
{
    int li;
    cmb *m = cell(c, stage, mb, &li, err);
    if (!m)
        return err ? err->status : PPS_EINPUT;
    TRY(begin(c, id, &c->compute, err));
    TRY(run_op(c, &c->stages[li], m, kind, err));
    TRY(end(c, id, &c->compute, err));
    if (kind != PPS_W)
        *producer_of(c, li, mb, kind == PPS_F ? DIR_F : DIR_B) = id;
    return PPS_OK;
}

static pps_status cuda_forward(ppx_ctx *c, int32_t id, int stage, int mb, pps_error *err)
{
    return compute_action(c, id, PPS_F, stage, mb, err);
}

static pps_status cuda_backward_input(ppx_ctx *c, int32_t id, int stage, int mb, pps_error *err)
{
    return compute_action(c, id, PPS_I, stage, mb, err);
}

static pps_status cuda_backward_weight(ppx_ctx *c, int32_t id, int stage, int mb, pps_error *err)
{
    return compute_action(c, id, PPS_W, stage, mb, err);
}

static pps_status cuda_backward(ppx_ctx *c, int32_t id, int stage, int mb, pps_error *err)
{
    return compute_action(c, id, PPS_B, stage, mb, err);
}

/* Runs one op on the compute stream between the events a and b, and waits for it. */
static pps_status launch_op(ppx_ctx *c, cstage *st, cmb *m, pps_kind kind, cudaEvent_t a,
                            cudaEvent_t b, pps_error *err)
{
    CUDACHECK(cudaEventRecord(a, c->compute.s));
    TRY(run_op(c, st, m, kind, err));
    CUDACHECK(cudaEventRecord(b, c->compute.s));
    CUDACHECK(cudaEventSynchronize(b));
    return PPS_OK;
}

/* Profiling (backend.h): the op's GPU time between two events on the compute stream. */
static pps_status cuda_time_op(ppx_ctx *c, pps_kind kind, int stage, int mb, double *seconds,
                               pps_error *err)
{
    int li;
    cmb *m = cell(c, stage, mb, &li, err);
    if (!m)
        return err ? err->status : PPS_EINPUT;
    cudaEvent_t a, b;
    CUDACHECK(cudaEventCreate(&a));
    cudaError_t e = cudaEventCreate(&b);
    if (e != cudaSuccess) {
        cudaEventDestroy(a);
        return pps_error_set(err, PPS_EIO, "cuda: cudaEventCreate: %s", cudaGetErrorString(e));
    }
    pps_status st = launch_op(c, &c->stages[li], m, kind, a, b, err);
    float ms = 0;
    if (st == PPS_OK && (e = cudaEventElapsedTime(&ms, a, b)) != cudaSuccess)
        st = pps_error_set(err, PPS_EIO, "cuda: cudaEventElapsedTime: %s", cudaGetErrorString(e));
    *seconds = ms * 1e-3;
    cudaEventDestroy(a);
    cudaEventDestroy(b);
    return st;
}

static cstream *queue_to(cstream *qs, int nq, int peer)
{
    for (int i = 0; i < nq; i++)
        if (qs[i].peer == peer)
            return &qs[i];
    return NULL;
}

static pps_status cuda_send(ppx_ctx *c, int32_t id, int peer, pps_kind kind, int stage, int mb,
                            pps_error *err)
{
    cstream *q = queue_to(c->sendq, c->nsend, peer);
    if (!q)
        return pps_error_set(err, PPS_EINPUT, "cuda: rank %d has no send queue to rank %d",
                             c->rank, peer);
    int li;
    cmb *m = cell(c, stage, mb, &li, err);
    if (!m)
        return err ? err->status : PPS_EINPUT;
    int dir = kind == PPS_SEND_F ? DIR_F : DIR_B;
    const void *buf = dir == DIR_F ? act(c, m, c->L) : m->dx;
    int32_t prod = *producer_of(c, li, mb, dir);
    if ((kind != PPS_SEND_F && kind != PPS_SEND_B) || !buf || prod < 0)
        return pps_error_set(err, PPS_EINPUT, "cuda: %s(%d,%d) on rank %d has no data to send "
                             "(its producer has not run)", pps_kind_name(kind), stage, mb,
                             c->rank);
    /* The producer's end event was recorded on the compute stream before this call. */
    CUDACHECK(cudaStreamWaitEvent(q->s, c->ev_end[slot(c, prod)], 0));
    TRY(begin(c, id, q, err));
    NCCLCHECK(ncclSend(buf, c->n, c->ntype, q->comm_peer, q->comm, q->s));
    return end(c, id, q, err);
}

static pps_status cuda_recv(ppx_ctx *c, int32_t id, int peer, pps_kind kind, int stage, int mb,
                            pps_error *err)
{
    cstream *q = queue_to(c->recvq, c->nrecv, peer);
    if (!q)
        return pps_error_set(err, PPS_EINPUT, "cuda: rank %d has no receive queue from rank %d",
                             c->rank, peer);
    cmb *m = cell(c, stage, mb, NULL, err);
    if (!m)
        return err ? err->status : PPS_EINPUT;
    /* Receive targets are buffers of their own, never a neighbour stage's output. */
    int remote = kind == PPS_RECV_F ? stage > 0 && c->local_of[stage - 1] < 0
                                    : stage < c->S - 1 && c->local_of[stage + 1] < 0;
    if ((kind != PPS_RECV_F && kind != PPS_RECV_B) || !remote)
        return pps_error_set(err, PPS_EINPUT, "cuda: %s(%d,%d) on rank %d: nothing to receive "
                             "(the neighbour stage is missing or on this rank)",
                             pps_kind_name(kind), stage, mb, c->rank);
    void *buf = kind == PPS_RECV_F ? m->in : m->dy;
    TRY(begin(c, id, q, err));
    NCCLCHECK(ncclRecv(buf, c->n, c->ntype, q->comm_peer, q->comm, q->s));
    return end(c, id, q, err);
}

static pps_status cuda_wait(ppx_ctx *c, int32_t recv_id, pps_error *err)
{
    TRY(check_id(c, recv_id, err));
    size_t i = slot(c, recv_id);
    if (!(c->state[i] & ENDED)) {
        char t[PPS_ACTION_TEXT_MAX];
        action_text(c, recv_id, t, sizeof t);
        return pps_error_set(err, PPS_EINPUT, "cuda: compute waits for %s, which was not issued",
                             t);
    }
    CUDACHECK(cudaStreamWaitEvent(c->compute.s, c->ev_end[i], 0));
    return PPS_OK;
}

/* Aborts every communicator (unblocking kernels stuck in NCCL) and forgets them. */
static void abort_comms(ppx_ctx *c)
{
    for (int i = 0; i < c->nsend; i++)
        if (c->sendq[i].comm) {
            ncclCommAbort(c->sendq[i].comm);
            c->sendq[i].comm = NULL;
        }
    for (int i = 0; i < c->nrecv; i++)
        if (c->recvq[i].comm) {
            ncclCommAbort(c->recvq[i].comm);
            c->recvq[i].comm = NULL;
        }
    if (c->world) {
        ncclCommAbort(c->world);
        c->world = NULL;
    }
}

/* Advances q's cursor over ended actions; 1 when it moved. A failed query is an error. */
static pps_status advance(ppx_ctx *c, cstream *q, int *moved, pps_error *err)
{
    while (q->done < q->n) {
        cudaError_t e = cudaEventQuery(c->ev_end[slot(c, q->ids[q->done])]);
        if (e == cudaErrorNotReady)
            break;
        CUDACHECK(e);
        q->done++;
        *moved = 1;
    }
    return PPS_OK;
}

/* Appends " <stream> at <action>" for an unfinished stream to buf. */
static void describe_stuck(const ppx_ctx *c, const cstream *q, char *buf, size_t size)
{
    if (q->done >= q->n)
        return;
    char t[PPS_ACTION_TEXT_MAX], what[48];
    action_text(c, q->ids[q->done], t, sizeof t);
    if (q->peer < 0)
        snprintf(what, sizeof what, "%s", q->what);
    else
        snprintf(what, sizeof what, "%s rank %d", q->what, q->peer);
    size_t len = strlen(buf);
    if (len + 1 < size)
        snprintf(buf + len, size - len, "%s%s at %s", len ? "; " : "", what, t);
}

static pps_status comm_error(ppx_ctx *c, pps_error *err)
{
    for (int pass = 0; pass < 2; pass++) {
        cstream *qs = pass ? c->recvq : c->sendq;
        int nq = pass ? c->nrecv : c->nsend;
        for (int i = 0; i < nq; i++) {
            ncclResult_t r = ncclSuccess;
            if (!qs[i].comm)
                continue;
            NCCLCHECK(ncclCommGetAsyncError(qs[i].comm, &r));
            if (r != ncclSuccess && r != ncclInProgress) {
                pps_error_set(err, PPS_EIO, "cuda: NCCL error on the link %s rank %d: %s (%s)",
                              pass ? "from" : "to", qs[i].peer, ncclGetErrorString(r),
                              ncclGetLastError(qs[i].comm));
                abort_comms(c);
                return PPS_EIO;
            }
        }
    }
    return PPS_OK;
}

static pps_status cuda_drain(ppx_ctx *c, pps_error *err)
{
    struct timespec last;
    clock_gettime(CLOCK_MONOTONIC, &last);
    const double timeout = c->setup.timeout;
    for (;;) {
        int moved = 0, busy = 0;
        TRY(advance(c, &c->compute, &moved, err));
        busy += c->compute.done < c->compute.n;
        for (int i = 0; i < c->nsend; i++) {
            TRY(advance(c, &c->sendq[i], &moved, err));
            busy += c->sendq[i].done < c->sendq[i].n;
        }
        for (int i = 0; i < c->nrecv; i++) {
            TRY(advance(c, &c->recvq[i], &moved, err));
            busy += c->recvq[i].done < c->recvq[i].n;
        }
        if (!busy)
            return PPS_OK;
        TRY(comm_error(c, err));
        if (moved)
            clock_gettime(CLOCK_MONOTONIC, &last);
        int stop = ppx_stop_signal != 0;
        if (stop || (timeout > 0 && seconds_since(&last) > timeout)) {
            char stuck[1024] = "";
            describe_stuck(c, &c->compute, stuck, sizeof stuck);
            for (int i = 0; i < c->nsend; i++)
                describe_stuck(c, &c->sendq[i], stuck, sizeof stuck);
            for (int i = 0; i < c->nrecv; i++)
                describe_stuck(c, &c->recvq[i], stuck, sizeof stuck);
            abort_comms(c);
            if (stop)
                return pps_error_set(err, PPS_EIO, "cuda: rank %d interrupted by a signal; "
                                     "unfinished: %s", c->rank, stuck);
            return pps_error_set(err, PPS_EIO, "cuda: rank %d made no progress for %g s "
                                 "(--timeout); NCCL aborted; unfinished: %s", c->rank, timeout,
                                 stuck);
        }
        struct timespec nap = {0, 100000}; /* 0.1 ms: GPU timing does not depend on this */
        nanosleep(&nap, NULL);
    }
}

static void cuda_times(ppx_ctx *c, int32_t id, double *start, double *end_)
{
    *start = *end_ = -1;
    if (!c || !c->have_t0 || check_id(c, id, NULL) != PPS_OK)
        return;
    size_t i = slot(c, id);
    float ms = 0;
    if ((c->state[i] & STARTED) && cudaEventElapsedTime(&ms, c->t0, c->ev_start[i]) == cudaSuccess)
        *start = 1e-3 * (double)ms;
    if ((c->state[i] & ENDED) && cudaEventElapsedTime(&ms, c->t0, c->ev_end[i]) == cudaSuccess)
        *end_ = 1e-3 * (double)ms;
    if (*start < 0 || *end_ < 0) {
        *start = *end_ = -1; /* not run, or not complete (after a failure) */
        (void)cudaGetLastError();
    }
}

static double cuda_timestamp(ppx_ctx *c)
{
    return c && c->have_t0 ? seconds_since(&c->host_t0) : 0.0;
}

static pps_status cuda_weight_grads(ppx_ctx *c, int stage, float *out, pps_error *err)
{
    if (stage < 0 || stage >= c->S || c->local_of[stage] < 0)
        return pps_error_set(err, PPS_EINPUT, "cuda: stage %d is not on rank %d", stage, c->rank);
    const cstage *st = &c->stages[c->local_of[stage]];
    CUDACHECK(cudaMemcpyAsync(out, st->dw, (size_t)c->L * c->hh * sizeof(float),
                              cudaMemcpyDeviceToHost, c->compute.s));
    CUDACHECK(cudaStreamSynchronize(c->compute.s));
    return PPS_OK;
}

static void cuda_describe(ppx_ctx *c, char *buf, size_t size)
{
    if (!c) {
        snprintf(buf, size, "cuda");
        return;
    }
    int v = 0;
    ncclGetVersion(&v);
    snprintf(buf, size, "%s: GPU %d %s (sm_%d%d), NCCL %d.%d.%d, %s GEMMs", c->host, c->device,
             c->devname, c->cc_major, c->cc_minor, v / 10000, (v / 100) % 100, v % 100,
             c->bf16 ? "bf16" : "fp32");
}

static void destroy_stream(cstream *q, int can_destroy_comm)
{
    if (q->comm) {
        if (can_destroy_comm)
            ncclCommDestroy(q->comm);
        else
            ncclCommAbort(q->comm);
    }
    if (q->s)
        cudaStreamDestroy(q->s);
    free(q->ids);
}

static void cuda_finalize(ppx_ctx *c)
{
    if (!c)
        return;
    if (c->device_set) {
        cudaSetDevice(c->device);
        /* A clean finish destroys the communicators; with work still queued (a failed run)
         * they are aborted, since ncclCommDestroy could wait forever for a lost peer. */
        int idle = cudaStreamQuery(c->compute.s) == cudaSuccess;
        for (int i = 0; idle && i < c->nsend; i++)
            idle = cudaStreamQuery(c->sendq[i].s) == cudaSuccess;
        for (int i = 0; idle && i < c->nrecv; i++)
            idle = cudaStreamQuery(c->recvq[i].s) == cudaSuccess;
        (void)cudaGetLastError();
        for (int i = 0; i < c->nsend; i++)
            destroy_stream(&c->sendq[i], idle);
        for (int i = 0; i < c->nrecv; i++)
            destroy_stream(&c->recvq[i], idle);
        if (c->world) {
            if (idle)
                ncclCommDestroy(c->world);
            else
                ncclCommAbort(c->world);
        }
        if (c->blas)
            cublasDestroy(c->blas);
        destroy_stream(&c->compute, 1);
        for (size_t i = 0; i < c->nevents; i++) {
            cudaEventDestroy(c->ev_start[i]);
            cudaEventDestroy(c->ev_end[i]);
        }
        if (c->have_t0)
            cudaEventDestroy(c->t0);
        for (size_t i = 0; i < c->nallocs; i++)
            cudaFree(c->allocs[i]);
        (void)cudaGetLastError();
    }
    if (c->stages)
        for (int i = 0; i < c->nstages; i++)
            free(c->stages[i].mb);
    free(c->stages);
    free(c->sendq);
    free(c->recvq);
    free(c->links);
    free(c->local_of);
    free(c->producer);
    free(c->allocs);
    free(c->ev_start);
    free(c->ev_end);
    free(c->state);
    free(c);
}

/* ------------------------------------------------------------------ init */

/* With MPI: 1 when every rank passes ok, else 0 and *first_bad the lowest failing rank. */
static pps_status agree(ppx_ctx *c, int ok, int *all_ok, int *first_bad, pps_error *err)
{
    *all_ok = ok;
    *first_bad = ok ? -1 : c->rank;
    if (!c->mpi || c->ranks == 1)
        return PPS_OK;
    int mine = ok ? INT_MAX : c->rank, low = INT_MAX;
    MPICHECK(MPI_Allreduce(&mine, &low, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD));
    *all_ok = low == INT_MAX;
    *first_bad = *all_ok ? -1 : low;
    return PPS_OK;
}

/* A local step every rank takes, then agreement: a rank failing alone must not leave the others
 * waiting in a collective. Returns the local error, or one naming the first failing rank. */
static pps_status agreed(ppx_ctx *c, pps_status local, pps_error *err)
{
    int all_ok, bad;
    pps_error mine = {0};
    if (local != PPS_OK && err)
        mine = *err;
    TRY(agree(c, local == PPS_OK, &all_ok, &bad, err));
    if (local != PPS_OK) {
        if (err)
            *err = mine;
        return local;
    }
    if (!all_ok)
        return pps_error_set(err, PPS_EIO, "cuda: rank %d failed to set up its GPU (see its "
                             "message); rank %d stops too", bad, c->rank);
    return PPS_OK;
}

static int cmp_link(const void *a, const void *b)
{
    const plink *x = a, *y = b;
    if (x->from != y->from)
        return x->from < y->from ? -1 : 1;
    return (x->to > y->to) - (x->to < y->to);
}

/* The directed links of the whole schedule (one per (sender, receiver) pair with a SEND), sorted,
 * each given a round such that no rank is in two links of one round. Every rank computes the
 * same list, so every rank makes the same sequence of ncclCommSplit calls. */
static pps_status find_links(ppx_ctx *c, pps_error *err)
{
    size_t cap = 16, n = 0;
    plink *l = malloc(cap * sizeof *l);
    if (!l)
        return pps_error_set(err, PPS_ENOMEM, "cuda: out of host memory");
    for (int r = 0; r < c->ranks; r++) {
        const pps_program *p = &c->s->programs[r];
        for (size_t i = 0; i < p->n; i++) {
            const pps_action *a = &p->actions[i];
            if (a->kind != PPS_SEND_F && a->kind != PPS_SEND_B)
                continue;
            int peer = ppsg_peer(c->s, a);
            if (peer < 0 || peer == r || peer >= c->ranks) {
                free(l);
                return pps_error_set(err, PPS_EINPUT, "cuda: a send on rank %d has no peer "
                                     "rank (peer %d)", r, peer);
            }
            int dup = 0;
            for (size_t j = 0; j < n && !dup; j++)
                dup = l[j].from == r && l[j].to == peer;
            if (dup)
                continue;
            if (n == cap) {
                plink *m = realloc(l, 2 * cap * sizeof *m);
                if (!m) {
                    free(l);
                    return pps_error_set(err, PPS_ENOMEM, "cuda: out of host memory");
                }
                l = m;
                cap *= 2;
            }
            l[n++] = (plink){r, peer, -1};
        }
    }
    qsort(l, n, sizeof *l, cmp_link);
    int rounds = 0;
    for (size_t i = 0; i < n; i++) { /* greedy edge colouring */
        int k = 0;
        for (size_t j = 0; j < i; j++) {
            int shares = l[j].from == l[i].from || l[j].from == l[i].to ||
                         l[j].to == l[i].from || l[j].to == l[i].to;
            if (shares && l[j].round == k) {
                k++;
                j = (size_t)-1; /* restart the scan with the next round */
            }
        }
        l[i].round = k;
        if (k + 1 > rounds)
            rounds = k + 1;
    }
    c->links = l;
    c->nlinks = (int)n;
    c->nrounds = rounds;
    return PPS_OK;
}

/* Sets up the queues of the links this rank is in, and checks its program uses only those. */
static pps_status make_queues(ppx_ctx *c, pps_error *err)
{
    c->sendq = calloc((size_t)c->nlinks + 1, sizeof *c->sendq);
    c->recvq = calloc((size_t)c->nlinks + 1, sizeof *c->recvq);
    if (!c->sendq || !c->recvq)
        return pps_error_set(err, PPS_ENOMEM, "cuda: out of host memory");
    int least, greatest;
    CUDACHECK(cudaDeviceGetStreamPriorityRange(&least, &greatest));
    for (int i = 0; i < c->nlinks; i++) {
        const plink *l = &c->links[i];
        cstream *q = l->from == c->rank ? &c->sendq[c->nsend++]
                   : l->to == c->rank   ? &c->recvq[c->nrecv++]
                                        : NULL;
        if (!q)
            continue;
        q->what = l->from == c->rank ? "send to" : "recv from";
        q->peer = l->from == c->rank ? l->to : l->from;
        q->link = i;
        /* Transfers get the higher priority, so that their kernels are not queued behind a GEMM's
         * thread blocks any longer than necessary. */
        CUDACHECK(cudaStreamCreateWithPriority(&q->s, cudaStreamNonBlocking, greatest));
    }
    const pps_program *p = &c->s->programs[c->rank];
    for (size_t i = 0; i < p->n; i++) {
        const pps_action *a = &p->actions[i];
        int is_recv = a->kind == PPS_RECV_F || a->kind == PPS_RECV_B;
        if (!is_recv)
            continue;
        int peer = ppsg_peer(c->s, a);
        if (!queue_to(c->recvq, c->nrecv, peer))
            return pps_error_set(err, PPS_EINPUT, "cuda: a receive on rank %d from rank %d has "
                                 "no matching send", c->rank, peer);
    }
    return PPS_OK;
}

/* Device buffers of this rank's stages. */
static pps_status make_buffers(ppx_ctx *c, pps_error *err)
{
    const size_t n = c->n, e = c->esize, L = (size_t)c->L, M = (size_t)c->M;
    c->local_of = malloc((size_t)c->S * sizeof *c->local_of);
    if (!c->local_of)
        return pps_error_set(err, PPS_ENOMEM, "cuda: out of host memory");
    for (int s = 0; s < c->S; s++)
        c->local_of[s] = c->s->stage_rank[s] == c->rank ? c->nstages++ : -1;
    c->stages = calloc((size_t)c->nstages + 1, sizeof *c->stages);
    c->producer = malloc(((size_t)c->nstages * M * 2 + 1) * sizeof *c->producer);
    if (!c->stages || !c->producer)
        return pps_error_set(err, PPS_ENOMEM, "cuda: out of host memory");
    for (size_t i = 0; i < (size_t)c->nstages * M * 2; i++)
        c->producer[i] = -1;

    /* Refuse up front what cannot fit, with the figure, rather than fail inside cudaMalloc. */
    size_t need = 2 * n * e + (c->hh > n ? c->hh : n) * sizeof(float) + (size_t)c->nrecv * n * e;
    for (int s = 0; s < c->S; s++) {
        if (c->local_of[s] < 0)
            continue;
        int own_in = s == 0 || c->local_of[s - 1] < 0;
        int own_dy = s == c->S - 1 || c->local_of[s + 1] < 0;
        need += L * c->hh * (e + sizeof(float));
        need += M * n * e * (2 * L + (size_t)own_in + (size_t)own_dy + (s > 0));
    }
    size_t free_b = 0, total_b = 0;
    CUDACHECK(cudaMemGetInfo(&free_b, &total_b));
    const size_t reserve = (size_t)512 << 20; /* NCCL and cuBLAS workspaces */
    if (need + reserve > free_b)
        return pps_error_set(err, PPS_EIO, "cuda: rank %d needs %.2f GiB on GPU %d (%s) but only "
                             "%.2f GiB of %.2f are free; reduce micro-batches, tokens, hidden "
                             "or layers", c->rank, (double)need / (1 << 30), c->device,
                             c->devname, (double)free_b / (1 << 30),
                             (double)total_b / (1 << 30));

    TRY(dev_alloc(c, &c->scr_a, n * e, err));
    TRY(dev_alloc(c, &c->scr_b, n * e, err));
    TRY(dev_alloc(c, (void **)&c->scr_f, (c->hh > n ? c->hh : n) * sizeof(float), err));
    for (int s = 0; s < c->S; s++) {
        int li = c->local_of[s];
        if (li < 0)
            continue;
        cstage *st = &c->stages[li];
        st->stage = s;
        st->mb = calloc(M, sizeof *st->mb);
        if (!st->mb)
            return pps_error_set(err, PPS_ENOMEM, "cuda: out of host memory");
        TRY(dev_alloc(c, &st->w, L * c->hh * e, err));
        TRY(dev_alloc(c, (void **)&st->dw, L * c->hh * sizeof(float), err));
        for (size_t m = 0; m < M; m++) {
            cmb *b = &st->mb[m];
            TRY(dev_alloc(c, &b->y, L * n * e, err));
            TRY(dev_alloc(c, &b->g, L * n * e, err));
            if (s == 0 || c->local_of[s - 1] < 0)
                TRY(dev_alloc(c, &b->in, n * e, err));
            if (s == c->S - 1 || c->local_of[s + 1] < 0)
                TRY(dev_alloc(c, &b->dy, n * e, err));
            if (s > 0)
                TRY(dev_alloc(c, &b->dx, n * e, err));
        }
    }
    /* Hand-offs between stages on this rank read the neighbour's buffers in place. */
    for (int s = 0; s < c->S; s++) {
        int li = c->local_of[s];
        if (li < 0)
            continue;
        for (size_t m = 0; m < M; m++) {
            cmb *b = &c->stages[li].mb[m];
            if (!b->in)
                b->in = act(c, &c->stages[c->local_of[s - 1]].mb[m], c->L);
            if (!b->dy)
                b->dy = c->stages[c->local_of[s + 1]].mb[m].dx;
        }
    }
    return PPS_OK;
}

/* Copies count host floats to dst (converted to bf16 when the GEMMs are bf16). */
static pps_status upload(ppx_ctx *c, void *dst, const float *host, size_t count, pps_error *err)
{
    void *to = c->bf16 ? (void *)c->scr_f : dst;
    CUDACHECK(cudaMemcpyAsync(to, host, count * sizeof(float), cudaMemcpyHostToDevice,
                              c->compute.s));
    if (c->bf16)
        CUDACHECK(ppxk_to_bf16(dst, c->scr_f, count, c->compute.s));
    CUDACHECK(cudaStreamSynchronize(c->compute.s)); /* host and scr_f are reused next call */
    return PPS_OK;
}

/* Initial weights and inputs, from the same functions as the CPU workload. */
static pps_status upload_initial_values(ppx_ctx *c, pps_error *err)
{
    size_t count = c->hh > c->n ? c->hh : c->n;
    float *host = malloc(count * sizeof *host);
    if (!host)
        return pps_error_set(err, PPS_ENOMEM, "cuda: out of host memory");
    pps_status st = PPS_OK;
    for (int li = 0; li < c->nstages && st == PPS_OK; li++) {
        cstage *s = &c->stages[li];
        for (int l = 0; l < c->L && st == PPS_OK; l++) {
            ppx_init_weights(&c->setup.work, s->stage, l, host);
            st = upload(c, weight(c, s, l + 1), host, c->hh, err);
        }
        /* Buffers a receive fills get input-like values too, not zeros: a profile computes on
         * them (time_op), and on the CPU an sgemm over zeros ran 30% faster than over data. */
        int recv_in = s->stage > 0 && c->local_of[s->stage - 1] < 0;
        int recv_dy = s->stage < c->S - 1 && c->local_of[s->stage + 1] < 0;
        for (int m = 0; m < c->M && st == PPS_OK; m++) {
            ppx_init_input(&c->setup.work, m, host);
            if (s->stage == 0 || recv_in)
                st = upload(c, s->mb[m].in, host, c->n, err);
            if (st == PPS_OK && recv_dy)
                st = upload(c, s->mb[m].dy, host, c->n, err);
        }
    }
    free(host);
    return st;
}

/* Rank 0 makes the id, MPI_Bcast hands it on (nccl-tests' bootstrap). A rank-0 failure is
 * broadcast too, so that no rank waits in ncclCommInitRank for it. */
static pps_status init_world(ppx_ctx *c, pps_error *err)
{
    struct {
        int ok;
        ncclUniqueId id;
    } boot;
    memset(&boot, 0, sizeof boot);
    int version = 0;
    NCCLCHECK(ncclGetVersion(&version)); /* the library loaded may be older than nccl.h */
    if (version < PPX_NCCL_MIN_RUNTIME)
        return pps_error_set(err, PPS_EIO, "cuda: NCCL %d.%d.%d is loaded; 2.18 or newer is "
                             "needed (check LD_LIBRARY_PATH)", version / 10000,
                             (version / 100) % 100, version % 100);
    ncclResult_t r = ncclSuccess;
    if (c->rank == 0) {
        r = ncclGetUniqueId(&boot.id);
        boot.ok = r == ncclSuccess;
    }
    if (c->mpi && c->ranks > 1)
        MPICHECK(MPI_Bcast(&boot, (int)sizeof boot, MPI_BYTE, 0, MPI_COMM_WORLD));
    if (c->rank == 0)
        NCCLCHECK(r);
    if (!boot.ok)
        return pps_error_set(err, PPS_EIO, "cuda: rank 0 could not create the NCCL id");
    NCCLCHECK(ncclCommInitRank(&c->world, c->ranks, boot.id, c->rank));
    return PPS_OK;
}

/* One 2-rank communicator per link, split from the world one round at a time: in each round
 * every rank calls ncclCommSplit, with the colour of its link in that round or none. The
 * sender gets key 0 (rank 0 in the link), the receiver key 1. */
static pps_status init_links(ppx_ctx *c, pps_error *err)
{
    for (int round = 0; round < c->nrounds; round++) {
        int color = NCCL_SPLIT_NOCOLOR, key = 0;
        cstream *q = NULL;
        for (int i = 0; i < c->nlinks; i++) {
            const plink *l = &c->links[i];
            if (l->round != round || (l->from != c->rank && l->to != c->rank))
                continue;
            color = i;
            key = l->from == c->rank ? 0 : 1;
            q = key == 0 ? queue_to(c->sendq, c->nsend, l->to)
                         : queue_to(c->recvq, c->nrecv, l->from);
        }
        ncclConfig_t cfg = NCCL_CONFIG_INITIALIZER;
        cfg.splitShare = 0; /* own resources, own internal stream: an independent queue */
        ncclComm_t comm = NULL;
        NCCLCHECK(ncclCommSplit(c->world, color, key, &comm, &cfg));
        if (q) {
            if (!comm)
                return pps_error_set(err, PPS_EIO, "cuda: ncclCommSplit gave rank %d no "
                                     "communicator for its link with rank %d", c->rank, q->peer);
            q->comm = comm;
            q->comm_peer = 1 - key;
        }
    }
    return PPS_OK;
}

/* Warm-up: every link moves two full-size messages (NCCL connects lazily, on first use), and the
 * compute stream runs each GEMM shape and kernel once (cuBLAS loads kernels on first use). */
static pps_status warm_up(ppx_ctx *c, pps_error *err)
{
    void *rbuf = NULL;
    if (c->nrecv)
        TRY(dev_alloc(c, &rbuf, (size_t)c->nrecv * c->n * c->esize, err));
    CUDACHECK(cudaStreamSynchronize(c->compute.s)); /* all zeroing done before other streams */
    for (int it = 0; it < 2; it++) {
        /* Link order is global, so the first use of any link finds both ends posting it. */
        for (int i = 0; i < c->nlinks; i++) {
            const plink *l = &c->links[i];
            if (l->from == c->rank) {
                cstream *q = queue_to(c->sendq, c->nsend, l->to);
                NCCLCHECK(ncclSend(c->scr_a, c->n, c->ntype, q->comm_peer, q->comm, q->s));
            } else if (l->to == c->rank) {
                cstream *q = queue_to(c->recvq, c->nrecv, l->from);
                void *to = (char *)rbuf + (size_t)(q - c->recvq) * c->n * c->esize;
                NCCLCHECK(ncclRecv(to, c->n, c->ntype, q->comm_peer, q->comm, q->s));
            }
        }
        /* scr_f (zeros) serves as an h×h weight; the NT product writes fp32 into it. */
        TRY(gemm(c, CUBLAS_OP_N, CUBLAS_OP_N, c->h, c->b, c->h, c->scr_f, c->scr_a, c->scr_b, 0,
                 0.0f, err));
        TRY(gemm(c, CUBLAS_OP_T, CUBLAS_OP_N, c->h, c->b, c->h, c->scr_f, c->scr_a, c->scr_b, 0,
                 0.0f, err));
        TRY(gemm(c, CUBLAS_OP_N, CUBLAS_OP_T, c->h, c->h, c->b, c->scr_a, c->scr_b, c->scr_f, 1,
                 0.0f, err));
        CUDACHECK(ppxk_relu(c->scr_b, c->n, c->bf16, c->compute.s));
        CUDACHECK(ppxk_relu_backward(c->scr_b, c->scr_a, c->scr_b, c->n, c->bf16, c->compute.s));
        CUDACHECK(ppxk_divide(c->scr_b, c->scr_a, (float)c->b, c->n, c->bf16, c->compute.s));
    }
    CUDACHECK(cudaDeviceSynchronize());
    if (rbuf)
        dev_free(c, rbuf);
    CUDACHECK(cudaMemsetAsync(c->scr_f, 0, (c->hh > c->n ? c->hh : c->n) * sizeof(float),
                              c->compute.s));
    return PPS_OK;
}

/* The common start: barrier, an all-reduce (which leaves every GPU at the same moment, give or
 * take its latency), then t0 on the compute stream; the queues' streams wait on t0 so that no
 * action of this run can start before it. */
static pps_status time_base(ppx_ctx *c, pps_error *err)
{
    CUDACHECK(cudaDeviceSynchronize());
    for (int it = 0; it < 2; it++) { /* the first all-reduce warms it up */
        if (c->mpi && c->ranks > 1)
            MPICHECK(MPI_Barrier(MPI_COMM_WORLD));
        NCCLCHECK(ncclAllReduce(c->scr_f, c->scr_f, 1, ncclFloat32, ncclSum, c->world,
                                c->compute.s));
        if (it == 0)
            CUDACHECK(cudaStreamSynchronize(c->compute.s));
    }
    CUDACHECK(cudaEventCreate(&c->t0));
    CUDACHECK(cudaEventRecord(c->t0, c->compute.s));
    c->have_t0 = 1;
    for (int i = 0; i < c->nsend; i++)
        CUDACHECK(cudaStreamWaitEvent(c->sendq[i].s, c->t0, 0));
    for (int i = 0; i < c->nrecv; i++)
        CUDACHECK(cudaStreamWaitEvent(c->recvq[i].s, c->t0, 0));
    CUDACHECK(cudaEventSynchronize(c->t0));
    clock_gettime(CLOCK_MONOTONIC, &c->host_t0);
    return PPS_OK;
}

static pps_status check_setup(const ppx_setup *setup, pps_error *err)
{
    if (!setup || !setup->sched)
        return pps_error_set(err, PPS_EINPUT, "cuda: no setup or schedule");
    const ppx_workload *w = &setup->work;
    if (w->hidden <= 0 || w->tokens <= 0 || w->layers <= 0)
        return pps_error_set(err, PPS_EINPUT, "cuda: hidden, tokens and layers must be positive "
                             "(got %d, %d, %d)", w->hidden, w->tokens, w->layers);
    const pps_schedule *s = setup->sched;
    if (setup->ranks <= 0 || setup->rank < 0 || setup->rank >= setup->ranks ||
        s->ranks != setup->ranks || s->stages <= 0 || s->microbatches <= 0)
        return pps_error_set(err, PPS_EINPUT, "cuda: rank %d of %d does not fit a schedule of "
                             "%d ranks", setup->rank, setup->ranks, s->ranks);
    return PPS_OK;
}

/* Picks and sets this rank's GPU: PPX_CUDA_DEVICE if set, else local rank mod device count. */
static pps_status pick_device(ppx_ctx *c, int ndev, pps_error *err)
{
    int local = 0, local_size = 1;
    if (c->mpi) {
        MPI_Comm node;
        MPICHECK(MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, c->rank,
                                     MPI_INFO_NULL, &node));
        MPI_Comm_rank(node, &local);
        MPI_Comm_size(node, &local_size);
        MPI_Comm_free(&node);
    } else {
        const char *e = getenv("OMPI_COMM_WORLD_LOCAL_RANK");
        local = e ? (int)strtol(e, NULL, 10) : 0;
    }
    if (ndev <= 0)
        return pps_error_set(err, PPS_EIO, "cuda: no usable GPU on %s", c->host);
    const char *forced = getenv("PPX_CUDA_DEVICE");
    if (forced && *forced) {
        char *endp;
        long d = strtol(forced, &endp, 10);
        if (*endp || d < 0 || d >= ndev)
            return pps_error_set(err, PPS_EINPUT, "cuda: PPX_CUDA_DEVICE=%s: not a device of "
                                 "%s (0..%d)", forced, c->host, ndev - 1);
        c->device = (int)d;
    } else {
        if (local_size > ndev)
            return pps_error_set(err, PPS_EIO, "cuda: %d ranks on %s but %d GPU(s) visible; NCCL "
                                 "needs one GPU per rank (start at most %d ranks per node)",
                                 local_size, c->host, ndev, ndev);
        c->device = (local < 0 ? 0 : local) % ndev;
    }
    CUDACHECK(cudaSetDevice(c->device));
    c->device_set = 1;
    struct cudaDeviceProp prop;
    CUDACHECK(cudaGetDeviceProperties(&prop, c->device));
    snprintf(c->devname, sizeof c->devname, "%s", prop.name);
    c->cc_major = prop.major;
    c->cc_minor = prop.minor;
    return PPS_OK;
}

/* Everything that touches only this rank: queues, events, cuBLAS, buffers, initial values. */
static pps_status init_local(ppx_ctx *c, pps_error *err)
{
    TRY(find_links(c, err));
    c->compute.what = "compute";
    c->compute.peer = -1;
    c->compute.link = -1;
    CUDACHECK(cudaStreamCreateWithFlags(&c->compute.s, cudaStreamNonBlocking));
    TRY(make_queues(c, err));
    CUBLASCHECK(cublasCreate(&c->blas));
    CUBLASCHECK(cublasSetStream(c->blas, c->compute.s));
    CUBLASCHECK(cublasSetMathMode(c->blas, CUBLAS_DEFAULT_MATH)); /* fp32 stays fp32 (no TF32) */

    c->ev_start = malloc((c->nact + 1) * sizeof(cudaEvent_t)); /* cudaEvent_t is a pointer */
    c->ev_end = malloc((c->nact + 1) * sizeof(cudaEvent_t));
    c->state = calloc(c->nact + 1, 1);
    if (!c->ev_start || !c->ev_end || !c->state)
        return pps_error_set(err, PPS_ENOMEM, "cuda: out of host memory");
    for (; c->nevents < c->nact; c->nevents++) {
        CUDACHECK(cudaEventCreate(&c->ev_start[c->nevents]));
        if (cudaEventCreate(&c->ev_end[c->nevents]) != cudaSuccess) {
            cudaEventDestroy(c->ev_start[c->nevents]);
            return pps_error_set(err, PPS_EIO, "cuda: cudaEventCreate failed");
        }
    }
    TRY(make_buffers(c, err));
    return upload_initial_values(c, err);
}

static pps_status cuda_init_ctx(ppx_ctx *c, const ppx_setup *setup, pps_error *err)
{
    c->setup = *setup;
    c->s = setup->sched;
    c->rank = setup->rank;
    c->ranks = setup->ranks;
    c->S = c->s->stages;
    c->M = c->s->microbatches;
    c->L = setup->work.layers;
    c->b = setup->work.tokens;
    c->h = setup->work.hidden;
    c->bf16 = setup->work.bf16 != 0;
    c->n = (size_t)c->b * (size_t)c->h;
    c->hh = (size_t)c->h * (size_t)c->h;
    c->esize = c->bf16 ? 2 : sizeof(float);
    c->dtype = c->bf16 ? CUDA_R_16BF : CUDA_R_32F;
    c->ntype = c->bf16 ? ncclBfloat16 : ncclFloat32;
    c->device = -1;
    if (gethostname(c->host, sizeof c->host) != 0)
        snprintf(c->host, sizeof c->host, "?");
    c->host[sizeof c->host - 1] = '\0';
    for (int r = 0; r < c->rank; r++)
        c->base += c->s->programs[r].n;
    c->nact = c->s->programs[c->rank].n;
    if (c->base + c->nact > setup->nactions)
        return pps_error_set(err, PPS_EINPUT, "cuda: the schedule has more actions than "
                             "setup.nactions (%zu)", setup->nactions);

    /* GPU first: without one nothing else is worth starting. */
    int ndev = 0;
    cudaError_t ce = cudaGetDeviceCount(&ndev);
    pps_status local = PPS_OK;
    if (ce != cudaSuccess)
        local = pps_error_set(err, PPS_EIO, "cuda: no usable GPU on %s: %s (%s)", c->host,
                              cudaGetErrorString(ce), cudaGetErrorName(ce));
    else if (ndev == 0)
        local = pps_error_set(err, PPS_EIO, "cuda: no usable GPU on %s: no CUDA device is "
                              "visible (CUDA_VISIBLE_DEVICES=%s)", c->host,
                              getenv("CUDA_VISIBLE_DEVICES") ? getenv("CUDA_VISIBLE_DEVICES")
                                                             : "unset");
    (void)cudaGetLastError();

    int up = 0;
    MPI_Initialized(&up);
    c->mpi = up;
    if (!c->mpi && c->ranks > 1)
        return local != PPS_OK ? local
                               : pps_error_set(err, PPS_EINPUT, "cuda: %d ranks need MPI, which "
                                               "is not initialised", c->ranks);
    if (c->mpi) {
        int size = 0, me = -1;
        MPI_Comm_size(MPI_COMM_WORLD, &size);
        MPI_Comm_rank(MPI_COMM_WORLD, &me);
        if (size != c->ranks || me != c->rank)
            return local != PPS_OK ? local
                                   : pps_error_set(err, PPS_EINPUT, "cuda: rank %d of %d does "
                                                   "not match MPI (rank %d of %d)", c->rank,
                                                   c->ranks, me, size);
    }
    TRY(agreed(c, local, err));

    /* pick_device's MPI_Comm_split_type is collective: every rank gets here. */
    local = pick_device(c, ndev, err);
    if (local == PPS_OK)
        local = init_local(c, err);
    TRY(agreed(c, local, err));

    TRY(init_world(c, err));
    TRY(init_links(c, err));
    TRY(warm_up(c, err));
    return time_base(c, err);
}

static pps_status cuda_init(const ppx_setup *setup, ppx_ctx **ctx, pps_error *err)
{
    *ctx = NULL;
    TRY(check_setup(setup, err));
    /* More hardware queues than CUDA's default 8, so that the compute stream, the queues'
     * streams and NCCL's internal ones do not share queues (false dependencies). Read when the
     * CUDA context is created; a value set by the user wins. */
    setenv("CUDA_DEVICE_MAX_CONNECTIONS", "32", 0);
    ppx_ctx *c = calloc(1, sizeof *c);
    if (!c)
        return pps_error_set(err, PPS_ENOMEM, "cuda: out of host memory");
    pps_status st = cuda_init_ctx(c, setup, err);
    if (st != PPS_OK) {
        if (c->device_set) {
            /* Queued warm-up work may wait on a peer that failed: abort rather than wait. */
            abort_comms(c);
        }
        cuda_finalize(c);
        return st;
    }
    *ctx = c;
    return PPS_OK;
}

const ppx_backend ppx_backend_cuda = {
    .name = "cuda",
    .receiver_copies = 0, /* NCCL's kernels move the data, beside the compute stream */
    .init = cuda_init,
    .forward = cuda_forward,
    .backward_input = cuda_backward_input,
    .backward_weight = cuda_backward_weight,
    .backward = cuda_backward,
    .time_op = cuda_time_op,
    .send = cuda_send,
    .recv = cuda_recv,
    .wait = cuda_wait,
    .drain = cuda_drain,
    .times = cuda_times,
    .timestamp = cuda_timestamp,
    .weight_grads = cuda_weight_grads,
    .describe = cuda_describe,
    .finalize = cuda_finalize,
};
