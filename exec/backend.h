/* backend.h — the table of functions through which ppexec's rank interpreter (exec/engine.c)
 * drives real hardware. A backend implements the execution semantics of docs/semantics.md for
 * one rank: an in-order compute stream and, per peer, in-order send and receive queues.
 *
 * The engine walks the rank's lowered program once, in order, and calls:
 *   recv/send   for SEND/RECV: enqueue on the peer's queue (never blocks; the backend posts a
 *               queued operation when the previous one in that queue has finished, and a send
 *               only after its producer, which precedes it in program order);
 *   wait        before a compute action whose input arrives by a RECV: orders the compute
 *               stream after that receive (the CPU backend blocks until the data is there; the
 *               CUDA backend makes its compute stream wait on the receive's event); and for
 *               WAIT_SEND_F/B, the same after the send it names;
 *   compute     for F, I, W, B (and each half of an OVERLAP_F_B): enqueue or run that op on
 *               the compute stream.
 * Every call carries the action's global id (graph.h); the backend records the action's start and
 * end, in seconds since the common start, and reports them through times() after drain().
 * Every function returns a pps_status with details in err; none exits. */
#ifndef PPX_BACKEND_H
#define PPX_BACKEND_H

#include "ppsim.h"

/* The workload each stage computes: L MLP blocks y = relu(x·W_l) of hidden size h over b
 * tokens per micro-batch; activations and gradients of b×h floats flow between stages. */
typedef struct ppx_workload {
    int hidden;     /* h */
    int tokens;     /* b */
    int layers;     /* L per stage */
    int bf16;       /* GEMMs in bf16 with fp32 accumulation (backends whose .bf16 is set) */
    uint64_t seed;  /* weights and inputs are a deterministic function of (seed, stage, mb) */
} ppx_workload;

/* What a backend is told at init. */
typedef struct ppx_setup {
    int rank, ranks;            /* this process's rank in the pipeline */
    const pps_schedule *sched;  /* lowered; borrowed */
    ppx_workload work;
    size_t nactions;            /* ids are in [0, nactions) over all ranks */
    double timeout;             /* seconds a wait may take before it fails */
} ppx_setup;

typedef struct ppx_ctx ppx_ctx; /* backend-private */

typedef struct ppx_backend {
    const char *name; /* "cpu", "cuda" */
    /* 1 when the backend runs --bf16 (ppx_workload.bf16); ppexec refuses --bf16 on the others. */
    int bf16;
    /* A receive's copy runs on the receiving rank's compute thread (the CPU backend: Open MPI
     * copies a message inside the receiver's MPI calls); profiles say so for calibration. */
    int receiver_copies;
    /* Optional (NULL: nothing to do). Called once per process, before MPI is initialised and
     * before any other entry: sets the process-wide environment the backend's libraries read
     * when they start (a value the user set wins). */
    void (*prepare)(void);
    /* Collective: when any rank fails, every rank returns an error (so none waits forever). */
    pps_status (*init)(const ppx_setup *setup, ppx_ctx **ctx, pps_error *err);
    /* Compute op `kind` (PPS_F, PPS_I, PPS_W, or PPS_B = I then W) of (stage, mb) as action
     * id of the step: records its start (kept when already recorded, as for an OVERLAP_F_B's
     * second half) and end. Any other kind, or a stage not on this rank, is PPS_EINPUT. */
    pps_status (*compute)(ppx_ctx *c, int32_t id, pps_kind kind, int stage, int mb,
                          pps_error *err);
    /* Profiling, between init and a step (never during one): runs compute op `kind` of
     * (stage, mb) on this rank exactly as `compute` would, on the step's buffers, and returns its
     * duration in seconds. It leaves the weight gradients meaningless. */
    pps_status (*time_op)(ppx_ctx *c, pps_kind kind, int stage, int mb, double *seconds,
                          pps_error *err);
    /* kind is PPS_SEND_F / PPS_SEND_B (resp. RECV); peer the other rank. */
    pps_status (*send)(ppx_ctx *c, int32_t id, int peer, pps_kind kind, int stage, int mb,
                       pps_error *err);
    pps_status (*recv)(ppx_ctx *c, int32_t id, int peer, pps_kind kind, int stage, int mb,
                       pps_error *err);
    /* Orders the compute stream after the transfer `recv_id`: a receive, or (WAIT_SEND_F/B) a
     * send this rank has already enqueued. */
    pps_status (*wait)(ppx_ctx *c, int32_t recv_id, pps_error *err);
    /* Completes everything outstanding (or fails after the timeout). */
    pps_status (*drain)(ppx_ctx *c, pps_error *err);
    /* Start and end of action id on this rank, seconds since the common start; after drain. */
    void (*times)(ppx_ctx *c, int32_t id, double *start, double *end);
    /* Seconds since the common start (host clock). */
    double (*timestamp)(ppx_ctx *c);
    /* Copies the weight gradients of `stage` (layers × h × h floats) into out. */
    pps_status (*weight_grads)(ppx_ctx *c, int stage, float *out, pps_error *err);
    /* A short description of the hardware for the timeline note (host and device names). */
    void (*describe)(ppx_ctx *c, char *buf, size_t size);
    void (*finalize)(ppx_ctx *c);
} ppx_backend;

#endif
