/* internal.h — what the CUDA backend's three files share: its context (streams, links, buffers,
 * events), the error macros, and the functions one file offers the others. Not for use outside
 * exec/cuda/. The files:
 *   workload.c  the compute: device buffers, initial values, cuBLAS GEMMs and kernels per op
 *   queues.c    the NCCL side: links, one communicator per directed link, send, receive, abort
 *   backend.c   the backend table: init and finalize, events and timing, drain, the time base
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
 *   from one start event t0 (after a barrier and an all-reduce with several ranks; after
 *   cudaDeviceSynchronize with one, which uses neither MPI nor NCCL).
 *
 * Buffers are never reused within a run: every (stage, micro-batch) has its own activations,
 * gradients and receive targets, so no transfer can overwrite data still to be read, and no
 * event other than the ones above is needed for correctness. The compute stream's scratch
 * buffers are read and written by the compute stream only. */
#ifndef PPX_CUDA_INTERNAL_H
#define PPX_CUDA_INTERNAL_H

#include <stdint.h>
#include <time.h>

#include <cublas_v2.h>
#include <cuda_runtime_api.h>
#include <mpi.h>
#include <nccl.h>

#include "backend.h"

/* ncclCommSplit (one communicator per link) and ncclBfloat16 need NCCL 2.18 or newer: at build
 * time (nccl.h, for its types) and at run time (queues.c loads the library). */
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

/* After a query (cudaEventQuery, cudaStreamQuery) returned cudaErrorNotReady: the runtime may
 * keep that as the last error, and a kernel launcher, which returns cudaGetLastError(), would
 * then report it as its own failure. Clears it, and only it. */
static inline void ppxc_clear_not_ready(void)
{
    if (cudaPeekAtLastError() == cudaErrorNotReady)
        (void)cudaGetLastError();
}

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

/* ------------------------------------------------------------------ backend.c */

/* Index of this rank's action id into ev_start, ev_end and state. */
size_t ppxc_slot(const ppx_ctx *c, int32_t id);
/* Record id's start (once: an OVERLAP_F_B's second half keeps the first's start) and end (again
 * for the second half) as events on q, in q's order. */
pps_status ppxc_begin(ppx_ctx *c, int32_t id, cstream *q, pps_error *err);
pps_status ppxc_end(ppx_ctx *c, int32_t id, cstream *q, pps_error *err);

/* ------------------------------------------------------------------ workload.c */

/* cudaMalloc, remembered for finalize, then zeroed on the compute stream. */
pps_status ppxc_dev_alloc(ppx_ctx *c, void **p, size_t bytes, pps_error *err);
/* Frees p (allocated by ppxc_dev_alloc) now. */
void ppxc_dev_free(ppx_ctx *c, void *p);
/* The buffers of (stage, mb) on this rank (*li: the stage's index in c->stages), or NULL with
 * err set when (stage, mb) is out of range or not on this rank. */
cmb *ppxc_cell(ppx_ctx *c, int stage, int mb, int *li, pps_error *err);
/* The id of the action that last wrote the output of (local stage li, mb) in direction dir. */
int32_t *ppxc_producer_of(ppx_ctx *c, int li, int mb, int dir);
/* y_l of a cell: y_0 is the input, y_1..y_L live in y. */
void *ppxc_act(const ppx_ctx *c, const cmb *m, int l);
/* Enqueues compute op kind (F, I, W or B = I then W) of cell m on the compute stream. */
pps_status ppxc_run_op(ppx_ctx *c, cstage *st, cmb *m, pps_kind kind, pps_error *err);
/* Device buffers of this rank's stages (refused up front with the figures when they cannot fit),
 * and the initial weights and inputs copied into them. */
pps_status ppxc_make_buffers(ppx_ctx *c, pps_error *err);
pps_status ppxc_upload_initial_values(ppx_ctx *c, pps_error *err);
/* Warm-up, before the time base: twice, every compute kind this rank's program runs on each of
 * its stages, exactly as the step runs it (ppxc_run_op on micro-batch 0's own buffers), so that
 * cuBLAS meets the step's own GEMM calls (shapes, transposes, types, beta = 1 for W's
 * accumulation, pointer alignments) and picks and loads their kernels now, not inside the timed
 * step. dW, which W accumulated into, is zeroed again. Waits for it all. */
pps_status ppxc_warm_compute(ppx_ctx *c, pps_error *err);
/* Runs the first local stage's F on micro-batch 0 again and again for at least `seconds` (host
 * clock), waiting for it, so that the GPU is at its working clocks when the time base is taken. */
pps_status ppxc_keep_busy(ppx_ctx *c, double seconds, pps_error *err);

/* ------------------------------------------------------------------ queues.c */

/* Opens NCCL (PPX_NCCL_LIBRARY, else libnccl.so.2 on the loader's path) once per process and
 * checks it is 2.18 or newer. Only runs of more than one rank call it. */
pps_status ppxc_nccl_load(pps_error *err);
/* "NCCL 2.21.5 from /path/libnccl.so.2", or that it was not loaded. */
void ppxc_nccl_describe(char *buf, size_t size);
/* The queue in qs[0..nq) whose peer is `peer`, or NULL. */
cstream *ppxc_queue_to(cstream *qs, int nq, int peer);
/* The directed links of the schedule, each given a round of ncclCommSplit (find_links), and the
 * streams of the send and receive queues of this rank's links (make_queues). No NCCL call. */
pps_status ppxc_find_links(ppx_ctx *c, pps_error *err);
pps_status ppxc_make_queues(ppx_ctx *c, pps_error *err);
/* Collective (several ranks, NCCL loaded): the world communicator (init_world), one 2-rank
 * communicator per link (init_links), two full-size messages over every link, since NCCL
 * connects lazily (warm_links), and the ranks' common moment: a barrier and an all-reduce on the
 * compute stream, twice (align_ranks). Communicators are non-blocking: each call is waited for
 * up to the run's --timeout, then every communicator is aborted and the step fails, so a lost
 * peer never hangs a rank. */
pps_status ppxc_init_world(ppx_ctx *c, pps_error *err);
pps_status ppxc_init_links(ppx_ctx *c, pps_error *err);
pps_status ppxc_warm_links(ppx_ctx *c, pps_error *err);
pps_status ppxc_align_ranks(ppx_ctx *c, pps_error *err);
/* The backend's send and recv (backend.h). */
pps_status ppxc_send(ppx_ctx *c, int32_t id, int peer, pps_kind kind, int stage, int mb,
                     pps_error *err);
pps_status ppxc_recv(ppx_ctx *c, int32_t id, int peer, pps_kind kind, int stage, int mb,
                     pps_error *err);
/* PPS_EIO (and every communicator aborted) when NCCL reports an error on a link. */
pps_status ppxc_comm_error(ppx_ctx *c, pps_error *err);
/* Aborts every communicator (unblocking kernels stuck in NCCL) and forgets them. */
void ppxc_abort_comms(ppx_ctx *c);
/* Releases every communicator: finalized and destroyed when `idle` (a clean finish), else (or
 * when finalizing outlasts the timeout) aborted, since ncclCommDestroy could wait forever for a
 * lost peer. */
void ppxc_close_comms(ppx_ctx *c, int idle);

#endif
