/* backend.c — the CUDA backend's table (internal.h has the design): init and finalize, the
 * compute entry and time_op, CUDA events for order and timing, drain, and the time base. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backends.h"
#include "engine.h"
#include "internal.h"

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

size_t ppxc_slot(const ppx_ctx *c, int32_t id)
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
    pps_action_format(&c->s->programs[c->rank].actions[ppxc_slot(c, id)], buf, size);
}

/* Records id's start on q (once: an OVERLAP_F_B's second half keeps the first's start). */
pps_status ppxc_begin(ppx_ctx *c, int32_t id, cstream *q, pps_error *err)
{
    TRY(check_id(c, id, err));
    size_t i = ppxc_slot(c, id);
    if (c->state[i] & STARTED)
        return PPS_OK;
    CUDACHECK(cudaEventRecord(c->ev_start[i], q->s));
    c->state[i] |= STARTED;
    return push_id(q, id, err);
}

/* Records id's end on q (again for an OVERLAP_F_B's second half: the action ends with it). */
pps_status ppxc_end(ppx_ctx *c, int32_t id, cstream *q, pps_error *err)
{
    size_t i = ppxc_slot(c, id);
    CUDACHECK(cudaEventRecord(c->ev_end[i], q->s));
    c->state[i] |= ENDED;
    return PPS_OK;
}

/* One compute action of the step: its events around the op, and (F, I, B) the action as the
 * producer of the cell's output in its direction, which a later send waits for. */
static pps_status cuda_compute(ppx_ctx *c, int32_t id, pps_kind kind, int stage, int mb,
                               pps_error *err)
{
    int li;
    cmb *m = ppxc_cell(c, stage, mb, &li, err);
    if (!m)
        return err ? err->status : PPS_EINPUT;
    TRY(ppxc_begin(c, id, &c->compute, err));
    TRY(ppxc_run_op(c, &c->stages[li], m, kind, err));
    TRY(ppxc_end(c, id, &c->compute, err));
    if (kind != PPS_W)
        *ppxc_producer_of(c, li, mb, kind == PPS_F ? DIR_F : DIR_B) = id;
    return PPS_OK;
}

/* Runs one op on the compute stream between the events a and b, and waits for it. */
static pps_status launch_op(ppx_ctx *c, cstage *st, cmb *m, pps_kind kind, cudaEvent_t a,
                            cudaEvent_t b, pps_error *err)
{
    CUDACHECK(cudaEventRecord(a, c->compute.s));
    TRY(ppxc_run_op(c, st, m, kind, err));
    CUDACHECK(cudaEventRecord(b, c->compute.s));
    CUDACHECK(cudaEventSynchronize(b));
    return PPS_OK;
}

/* Profiling (backend.h): the op's GPU time between two events on the compute stream. */
static pps_status cuda_time_op(ppx_ctx *c, pps_kind kind, int stage, int mb, double *seconds,
                               pps_error *err)
{
    int li;
    cmb *m = ppxc_cell(c, stage, mb, &li, err);
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

static pps_status cuda_wait(ppx_ctx *c, int32_t recv_id, pps_error *err)
{
    TRY(check_id(c, recv_id, err));
    size_t i = ppxc_slot(c, recv_id);
    if (!(c->state[i] & ENDED)) {
        char t[PPS_ACTION_TEXT_MAX];
        action_text(c, recv_id, t, sizeof t);
        return pps_error_set(err, PPS_EINPUT, "cuda: compute waits for %s, which was not issued",
                             t);
    }
    CUDACHECK(cudaStreamWaitEvent(c->compute.s, c->ev_end[i], 0));
    return PPS_OK;
}

/* Advances q's cursor over ended actions; 1 when it moved. A failed query is an error. */
static pps_status advance(ppx_ctx *c, cstream *q, int *moved, pps_error *err)
{
    while (q->done < q->n) {
        cudaError_t e = cudaEventQuery(c->ev_end[ppxc_slot(c, q->ids[q->done])]);
        if (e == cudaErrorNotReady) {
            ppxc_clear_not_ready();
            break;
        }
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
        TRY(ppxc_comm_error(c, err));
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
            ppxc_abort_comms(c);
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
    size_t i = ppxc_slot(c, id);
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
    char nccl[64];
    ppxc_nccl_describe(nccl, sizeof nccl);
    snprintf(buf, size, "%s: GPU %d %s (sm_%d%d), %s, %s GEMMs", c->host, c->device, c->devname,
             c->cc_major, c->cc_minor, nccl, c->bf16 ? "bf16" : "fp32");
}

static void destroy_stream(cstream *q)
{
    if (q->s)
        cudaStreamDestroy(q->s);
}

static void release_host(ppx_ctx *c);

/* 1 when every stream of the context has finished its work, polled for up to `patience`
 * seconds (aborted NCCL kernels take a moment to exit). */
static int streams_idle(ppx_ctx *c, double patience)
{
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        int idle = cudaStreamQuery(c->compute.s) == cudaSuccess;
        for (int i = 0; idle && i < c->nsend; i++)
            idle = cudaStreamQuery(c->sendq[i].s) == cudaSuccess;
        for (int i = 0; idle && i < c->nrecv; i++)
            idle = cudaStreamQuery(c->recvq[i].s) == cudaSuccess;
        (void)cudaGetLastError(); /* NotReady, or the error a failed run already reported */
        if (idle || seconds_since(&start) >= patience)
            return idle;
        nanosleep(&(struct timespec){.tv_nsec = 1000000}, NULL);
    }
}

static void cuda_finalize(ppx_ctx *c)
{
    if (!c)
        return;
    if (c->device_set) {
        cudaSetDevice(c->device);
        /* A clean finish destroys the communicators; with work still queued (a failed run)
         * they are aborted first, since ncclCommDestroy could wait forever for a lost peer and
         * cudaFree, which synchronises the device, for a kernel stuck in NCCL. */
        int idle = streams_idle(c, 0);
        ppxc_close_comms(c, idle);
        if (!idle && !streams_idle(c, 1.0)) {
            /* Still busy after the abort (a compute kernel waiting on a transfer that will never
             * come): freeing would block. The process is ending; the driver reclaims it all. */
            release_host(c);
            return;
        }
        for (int i = 0; i < c->nsend; i++)
            destroy_stream(&c->sendq[i]);
        for (int i = 0; i < c->nrecv; i++)
            destroy_stream(&c->recvq[i]);
        if (c->blas)
            cublasDestroy(c->blas);
        destroy_stream(&c->compute);
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
    release_host(c);
}

/* Frees the context's host memory (finalize's last part). */
static void release_host(ppx_ctx *c)
{
    for (int i = 0; c->sendq && i < c->nsend; i++)
        free(c->sendq[i].ids);
    for (int i = 0; c->recvq && i < c->nrecv; i++)
        free(c->recvq[i].ids);
    free(c->compute.ids);
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

/* Keeps the GPU busy for at least this long right before the time base (seconds): an idle H200
 * clocks down to about 345 MHz, and a step measured while it ramps up again would be slow at
 * first. */
#define PPX_BUSY_BEFORE_T0 0.1

/* The common start t0, recorded on the compute stream; the queues' streams wait on t0 so that no
 * action of this run can start before it. One rank: right after cudaDeviceSynchronize (no MPI,
 * no NCCL). Several: after a barrier and an all-reduce (ppxc_align_ranks), which leave every GPU
 * at the same moment, give or take its latency. */
static pps_status time_base(ppx_ctx *c, pps_error *err)
{
    if (c->ranks == 1)
        CUDACHECK(cudaDeviceSynchronize());
    else
        TRY(ppxc_align_ranks(c, err));
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
    TRY(ppxc_find_links(c, err));
    c->compute.what = "compute";
    c->compute.peer = -1;
    c->compute.link = -1;
    CUDACHECK(cudaStreamCreateWithFlags(&c->compute.s, cudaStreamNonBlocking));
    TRY(ppxc_make_queues(c, err));
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
    TRY(ppxc_make_buffers(c, err));
    return ppxc_upload_initial_values(c, err);
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

    /* Each collective step is followed by agreement, so that a rank failing in it makes every
     * rank stop, rather than leave them in the next collective. One rank needs no NCCL at all. */
    if (c->ranks > 1) {
        TRY(agreed(c, ppxc_nccl_load(err), err));
        TRY(agreed(c, ppxc_init_world(c, err), err));
        TRY(agreed(c, ppxc_init_links(c, err), err));
        TRY(agreed(c, ppxc_warm_links(c, err), err));
    }
    local = ppxc_warm_compute(c, err);
    if (local == PPS_OK)
        local = ppxc_keep_busy(c, PPX_BUSY_BEFORE_T0, err);
    TRY(agreed(c, local, err));
    return agreed(c, time_base(c, err), err);
}

/* Process-wide settings CUDA reads once, when it starts (backend.h: ppexec calls this before
 * MPI_Init, since a CUDA-aware MPI may start CUDA inside it); a value set by the user wins.
 * - More hardware queues than CUDA's default 8, so that the compute stream, the queues' streams
 *   and NCCL's internal ones do not share queues (false dependencies between streams).
 * - Eager module loading: every kernel (cuBLAS's included) is loaded when CUDA starts, so none
 *   is loaded lazily inside the timed step. */
static void cuda_prepare(void)
{
    setenv("CUDA_DEVICE_MAX_CONNECTIONS", "32", 0);
    setenv("CUDA_MODULE_LOADING", "EAGER", 0);
}

static pps_status cuda_init(const ppx_setup *setup, ppx_ctx **ctx, pps_error *err)
{
    *ctx = NULL;
    TRY(check_setup(setup, err));
    cuda_prepare(); /* for callers other than ppexec; too late only if CUDA already started */
    ppx_ctx *c = calloc(1, sizeof *c);
    if (!c)
        return pps_error_set(err, PPS_ENOMEM, "cuda: out of host memory");
    pps_status st = cuda_init_ctx(c, setup, err);
    if (st != PPS_OK) {
        if (c->device_set) {
            /* Queued warm-up work may wait on a peer that failed: abort rather than wait. */
            ppxc_abort_comms(c);
        }
        cuda_finalize(c);
        return st;
    }
    *ctx = c;
    return PPS_OK;
}

const ppx_backend ppx_backend_cuda = {
    .name = "cuda",
    .bf16 = 1,
    .receiver_copies = 0, /* NCCL's kernels move the data, beside the compute stream */
    .prepare = cuda_prepare,
    .init = cuda_init,
    .compute = cuda_compute,
    .time_op = cuda_time_op,
    .send = ppxc_send,
    .recv = ppxc_recv,
    .wait = cuda_wait,
    .drain = cuda_drain,
    .times = cuda_times,
    .timestamp = cuda_timestamp,
    .weight_grads = cuda_weight_grads,
    .describe = cuda_describe,
    .finalize = cuda_finalize,
};
