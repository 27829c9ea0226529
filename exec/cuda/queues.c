/* queues.c — the CUDA backend's transfers (internal.h): the schedule's directed links, one
 * 2-rank NCCL communicator and one stream per link end, ncclSend and ncclRecv in each queue's
 * order, the ranks' common start, and aborting all of it on failure. NCCL is loaded here, with
 * dlopen, only by runs of more than one rank: a single-rank run needs no libnccl at all. */
#include <dlfcn.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "core/graph.h"
#include "engine.h"
#include "internal.h"

/* ------------------------------------------------------------------ NCCL, loaded on demand */

/* The NCCL functions the backend calls, from the library ppxc_nccl_load opened. */
typedef struct nccl_api {
    void *lib;
    char path[512]; /* what was opened: PPX_NCCL_LIBRARY, or libnccl.so.2 on the loader's path */
    int version;
    ncclResult_t (*GetVersion)(int *);
    ncclResult_t (*GetUniqueId)(ncclUniqueId *);
    ncclResult_t (*CommInitRankConfig)(ncclComm_t *, int, ncclUniqueId, int, ncclConfig_t *);
    ncclResult_t (*CommSplit)(ncclComm_t, int, int, ncclComm_t *, ncclConfig_t *);
    ncclResult_t (*CommGetAsyncError)(ncclComm_t, ncclResult_t *);
    ncclResult_t (*CommFinalize)(ncclComm_t);
    ncclResult_t (*CommDestroy)(ncclComm_t);
    ncclResult_t (*CommAbort)(ncclComm_t);
    ncclResult_t (*Send)(const void *, size_t, ncclDataType_t, int, ncclComm_t, cudaStream_t);
    ncclResult_t (*Recv)(void *, size_t, ncclDataType_t, int, ncclComm_t, cudaStream_t);
    ncclResult_t (*AllReduce)(const void *, void *, size_t, ncclDataType_t, ncclRedOp_t,
                              ncclComm_t, cudaStream_t);
    const char *(*GetErrorString)(ncclResult_t);
    const char *(*GetLastError)(ncclComm_t);
} nccl_api;
static nccl_api nccl;

/* Each symbol ppxc_nccl_load resolves, and where in nccl_api its pointer goes. */
static const struct {
    const char *name;
    size_t offset;
} nccl_symbols[] = {
    {"ncclGetVersion", offsetof(nccl_api, GetVersion)},
    {"ncclGetUniqueId", offsetof(nccl_api, GetUniqueId)},
    {"ncclCommInitRankConfig", offsetof(nccl_api, CommInitRankConfig)},
    {"ncclCommSplit", offsetof(nccl_api, CommSplit)},
    {"ncclCommGetAsyncError", offsetof(nccl_api, CommGetAsyncError)},
    {"ncclCommFinalize", offsetof(nccl_api, CommFinalize)},
    {"ncclCommDestroy", offsetof(nccl_api, CommDestroy)},
    {"ncclCommAbort", offsetof(nccl_api, CommAbort)},
    {"ncclSend", offsetof(nccl_api, Send)},
    {"ncclRecv", offsetof(nccl_api, Recv)},
    {"ncclAllReduce", offsetof(nccl_api, AllReduce)},
    {"ncclGetErrorString", offsetof(nccl_api, GetErrorString)},
    {"ncclGetLastError", offsetof(nccl_api, GetLastError)},
};

/* Fills *err with the call, NCCL's error string and its last-error text; returns PPS_EIO. */
#define NCCLCHECK(call)                                                                        \
    do {                                                                                       \
        ncclResult_t r_ = (call);                                                              \
        if (r_ != ncclSuccess)                                                                 \
            return pps_error_set(err, PPS_EIO, "cuda: %s:%d: %s: NCCL error: %s (%s)",         \
                                 __FILE__, __LINE__, #call, nccl.GetErrorString(r_),           \
                                 nccl.GetLastError(NULL));                                     \
    } while (0)

pps_status ppxc_nccl_load(pps_error *err)
{
    if (nccl.lib)
        return PPS_OK;
    const char *name = getenv("PPX_NCCL_LIBRARY");
    if (!name || !*name)
        name = "libnccl.so.2";
    void *lib = dlopen(name, RTLD_NOW | RTLD_LOCAL);
    if (!lib)
        return pps_error_set(err, PPS_EIO, "cuda: runs of more than one rank need NCCL: %s (set "
                             "LD_LIBRARY_PATH to the folder of libnccl.so.2, or PPX_NCCL_LIBRARY "
                             "to the file)", dlerror());
    nccl_api api = {0};
    for (size_t i = 0; i < sizeof nccl_symbols / sizeof *nccl_symbols; i++) {
        void *fn = dlsym(lib, nccl_symbols[i].name);
        if (!fn) {
            dlclose(lib);
            return pps_error_set(err, PPS_EIO, "cuda: %s has no %s (NCCL 2.18 or newer is "
                                 "needed)", name, nccl_symbols[i].name);
        }
        /* POSIX: a dlsym result converts to the function's pointer type; copied as bytes, since
         * ISO C has no conversion from void * to a function pointer. */
        memcpy((char *)&api + nccl_symbols[i].offset, &fn, sizeof fn);
    }
    nccl = api;
    int version = 0;
    if (nccl.GetVersion(&version) != ncclSuccess || version < PPX_NCCL_MIN_RUNTIME) {
        dlclose(lib);
        nccl = (nccl_api){0};
        return pps_error_set(err, PPS_EIO, "cuda: %s is NCCL %d.%d.%d; 2.18 or newer is needed",
                             name, version / 10000, (version / 100) % 100, version % 100);
    }
    snprintf(nccl.path, sizeof nccl.path, "%s", name); /* the bundle's launcher gives a path */
    nccl.version = version;
    nccl.lib = lib;
    return PPS_OK;
}

void ppxc_nccl_describe(char *buf, size_t size)
{
    if (!nccl.lib)
        snprintf(buf, size, "NCCL not loaded (one rank)");
    else
        snprintf(buf, size, "NCCL %d.%d.%d from %s", nccl.version / 10000,
                 (nccl.version / 100) % 100, nccl.version % 100, nccl.path);
}

/* Seconds on the monotonic clock. */
static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void nap(void)
{
    nanosleep(&(struct timespec){.tv_nsec = 100000}, NULL); /* 0.1 ms */
}

/* Communicators are non-blocking (config.blocking = 0): a call may return ncclInProgress, and
 * then nothing else may be called on the communicator until ncclCommGetAsyncError says it is
 * done. This waits for that, up to the run's --timeout and the stop signal; a peer that failed
 * or never came thus fails this rank after the timeout instead of hanging it in NCCL. Any error
 * aborts every communicator of the context. `comm` must already be stored in c, so that the
 * abort reaches it. */
static pps_status settle(ppx_ctx *c, ncclComm_t comm, ncclResult_t r, const char *call,
                         pps_error *err)
{
    const double t0 = now();
    while (r == ncclInProgress) {
        if (ppx_stop_signal || now() - t0 > c->setup.timeout) {
            ppxc_abort_comms(c);
            return pps_error_set(err, PPS_EIO, "cuda: rank %d: %s %s; NCCL aborted", c->rank,
                                 call, ppx_stop_signal ? "interrupted by a signal"
                                 : "did not complete within --timeout (a peer failed or is "
                                   "unreachable)");
        }
        nap();
        ncclResult_t q = nccl.CommGetAsyncError(comm, &r);
        if (q != ncclSuccess)
            r = q;
    }
    if (r != ncclSuccess) {
        pps_error_set(err, PPS_EIO, "cuda: rank %d: %s: NCCL error: %s (%s)", c->rank, call,
                      nccl.GetErrorString(r), nccl.GetLastError(comm));
        ppxc_abort_comms(c);
        return PPS_EIO;
    }
    return PPS_OK;
}

/* Waits until the streams qs[0..n) are idle, polling them and every link's NCCL error state, up
 * to the run's --timeout; on timeout or error every communicator is aborted (so that no kernel
 * stays stuck) and this fails naming `what`. */
static pps_status wait_idle(ppx_ctx *c, cudaStream_t *qs, int n, const char *what,
                            pps_error *err)
{
    const double t0 = now();
    for (int i = 0; i < n;) {
        cudaError_t e = cudaStreamQuery(qs[i]);
        if (e == cudaSuccess) {
            i++;
            continue;
        }
        if (e != cudaErrorNotReady)
            CUDACHECK(e);
        ppxc_clear_not_ready();
        TRY(ppxc_comm_error(c, err));
        if (ppx_stop_signal || now() - t0 > c->setup.timeout) {
            ppxc_abort_comms(c);
            return pps_error_set(err, PPS_EIO, "cuda: rank %d: %s %s; NCCL aborted", c->rank,
                                 what, ppx_stop_signal ? "interrupted by a signal"
                                 : "did not complete within --timeout");
        }
        nap();
    }
    return PPS_OK;
}

/* ------------------------------------------------------------------ queues */

cstream *ppxc_queue_to(cstream *qs, int nq, int peer)
{
    for (int i = 0; i < nq; i++)
        if (qs[i].peer == peer)
            return &qs[i];
    return NULL;
}

/* The queue of this rank's link to (is_send) or from `peer`, and the buffers of (stage, mb);
 * NULL with err set when either is missing. */
static cstream *queue_and_cell(ppx_ctx *c, int is_send, int peer, int stage, int mb, cmb **m,
                               int *li, pps_error *err)
{
    cstream *q = is_send ? ppxc_queue_to(c->sendq, c->nsend, peer)
                         : ppxc_queue_to(c->recvq, c->nrecv, peer);
    if (!q) {
        pps_error_set(err, PPS_EINPUT, "cuda: rank %d has no %s rank %d", c->rank,
                      is_send ? "send queue to" : "receive queue from", peer);
        return NULL;
    }
    *m = ppxc_cell(c, stage, mb, li, err);
    return *m ? q : NULL;
}

pps_status ppxc_send(ppx_ctx *c, int32_t id, int peer, pps_kind kind, int stage, int mb,
                     pps_error *err)
{
    int li;
    cmb *m;
    cstream *q = queue_and_cell(c, 1, peer, stage, mb, &m, &li, err);
    if (!q)
        return PPS_EINPUT;
    int dir = kind == PPS_SEND_F ? DIR_F : DIR_B;
    const void *buf = dir == DIR_F ? ppxc_act(c, m, c->L) : m->dx;
    int32_t prod = *ppxc_producer_of(c, li, mb, dir);
    if ((kind != PPS_SEND_F && kind != PPS_SEND_B) || !buf || prod < 0)
        return pps_error_set(err, PPS_EINPUT, "cuda: %s(%d,%d) on rank %d has no data to send "
                             "(its producer has not run)", pps_kind_name(kind), stage, mb,
                             c->rank);
    /* The producer's end event was recorded on the compute stream before this call. */
    CUDACHECK(cudaStreamWaitEvent(q->s, c->ev_end[ppxc_slot(c, prod)], 0));
    TRY(ppxc_begin(c, id, q, err));
    TRY(settle(c, q->comm, nccl.Send(buf, c->n, c->ntype, q->comm_peer, q->comm, q->s),
               "ncclSend", err));
    return ppxc_end(c, id, q, err);
}

pps_status ppxc_recv(ppx_ctx *c, int32_t id, int peer, pps_kind kind, int stage, int mb,
                     pps_error *err)
{
    cmb *m;
    cstream *q = queue_and_cell(c, 0, peer, stage, mb, &m, NULL, err);
    if (!q)
        return PPS_EINPUT;
    /* Receive targets are buffers of their own, never a neighbour stage's output. */
    int remote = kind == PPS_RECV_F ? stage > 0 && c->local_of[stage - 1] < 0
                                    : stage < c->S - 1 && c->local_of[stage + 1] < 0;
    if ((kind != PPS_RECV_F && kind != PPS_RECV_B) || !remote)
        return pps_error_set(err, PPS_EINPUT, "cuda: %s(%d,%d) on rank %d: nothing to receive "
                             "(the neighbour stage is missing or on this rank)",
                             pps_kind_name(kind), stage, mb, c->rank);
    void *buf = kind == PPS_RECV_F ? m->in : m->dy;
    TRY(ppxc_begin(c, id, q, err));
    TRY(settle(c, q->comm, nccl.Recv(buf, c->n, c->ntype, q->comm_peer, q->comm, q->s),
               "ncclRecv", err));
    return ppxc_end(c, id, q, err);
}

/* Aborts every communicator (unblocking kernels stuck in NCCL) and forgets them. */
void ppxc_abort_comms(ppx_ctx *c)
{
    if (!nccl.lib)
        return; /* nothing was ever created */
    for (int i = 0; i < c->nsend; i++)
        if (c->sendq[i].comm) {
            nccl.CommAbort(c->sendq[i].comm);
            c->sendq[i].comm = NULL;
        }
    for (int i = 0; i < c->nrecv; i++)
        if (c->recvq[i].comm) {
            nccl.CommAbort(c->recvq[i].comm);
            c->recvq[i].comm = NULL;
        }
    if (c->world) {
        nccl.CommAbort(c->world);
        c->world = NULL;
    }
}

pps_status ppxc_comm_error(ppx_ctx *c, pps_error *err)
{
    for (int pass = 0; pass < 2; pass++) {
        cstream *qs = pass ? c->recvq : c->sendq;
        int nq = pass ? c->nrecv : c->nsend;
        for (int i = 0; i < nq; i++) {
            ncclResult_t r = ncclSuccess;
            if (!qs[i].comm)
                continue;
            NCCLCHECK(nccl.CommGetAsyncError(qs[i].comm, &r));
            if (r != ncclSuccess && r != ncclInProgress) {
                pps_error_set(err, PPS_EIO, "cuda: NCCL error on the link %s rank %d: %s (%s)",
                              pass ? "from" : "to", qs[i].peer, nccl.GetErrorString(r),
                              nccl.GetLastError(qs[i].comm));
                ppxc_abort_comms(c);
                return PPS_EIO;
            }
        }
    }
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
pps_status ppxc_find_links(ppx_ctx *c, pps_error *err)
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
pps_status ppxc_make_queues(ppx_ctx *c, pps_error *err)
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
        if (!ppxc_queue_to(c->recvq, c->nrecv, peer))
            return pps_error_set(err, PPS_EINPUT, "cuda: a receive on rank %d from rank %d has "
                                 "no matching send", c->rank, peer);
    }
    return PPS_OK;
}

/* A non-blocking communicator's configuration: calls return at once (settle waits). */
static ncclConfig_t comm_config(void)
{
    ncclConfig_t cfg = NCCL_CONFIG_INITIALIZER;
    cfg.blocking = 0;
    return cfg;
}

/* Rank 0 makes the id, MPI_Bcast hands it on (nccl-tests' bootstrap). A rank-0 failure is
 * broadcast too, so that no rank waits in ncclCommInitRank for it. */
pps_status ppxc_init_world(ppx_ctx *c, pps_error *err)
{
    struct {
        int ok;
        ncclUniqueId id;
    } boot;
    memset(&boot, 0, sizeof boot);
    ncclResult_t r = ncclSuccess;
    if (c->rank == 0) {
        r = nccl.GetUniqueId(&boot.id);
        boot.ok = r == ncclSuccess;
    }
    MPICHECK(MPI_Bcast(&boot, (int)sizeof boot, MPI_BYTE, 0, MPI_COMM_WORLD));
    if (c->rank == 0)
        NCCLCHECK(r);
    if (!boot.ok)
        return pps_error_set(err, PPS_EIO, "cuda: rank 0 could not create the NCCL id");
    ncclConfig_t cfg = comm_config();
    r = nccl.CommInitRankConfig(&c->world, c->ranks, boot.id, c->rank, &cfg);
    if (r != ncclSuccess && r != ncclInProgress)
        NCCLCHECK(r);
    return settle(c, c->world, r, "ncclCommInitRankConfig", err);
}

/* One 2-rank communicator per link, split from the world one round at a time: in each round
 * every rank calls ncclCommSplit, with the colour of its link in that round or none. The
 * sender gets key 0 (rank 0 in the link), the receiver key 1. */
pps_status ppxc_init_links(ppx_ctx *c, pps_error *err)
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
            q = key == 0 ? ppxc_queue_to(c->sendq, c->nsend, l->to)
                         : ppxc_queue_to(c->recvq, c->nrecv, l->from);
        }
        ncclConfig_t cfg = comm_config();
        cfg.splitShare = 0; /* own resources, own internal stream: an independent queue */
        ncclComm_t comm = NULL;
        ncclResult_t r = nccl.CommSplit(c->world, color, key, &comm, &cfg);
        if (q) {
            q->comm = comm; /* stored first, so that a failure below aborts it too */
            q->comm_peer = 1 - key;
        }
        /* The split is complete when the parent and (with a colour) the child say so. */
        TRY(settle(c, c->world, r, "ncclCommSplit", err));
        if (comm)
            TRY(settle(c, comm, ncclInProgress, "ncclCommSplit (new communicator)", err));
        if (q && !comm)
            return pps_error_set(err, PPS_EIO, "cuda: ncclCommSplit gave rank %d no "
                                 "communicator for its link with rank %d", c->rank, q->peer);
    }
    return PPS_OK;
}

/* Every link moves two full-size messages (NCCL connects lazily, on first use). Link order is
 * global, so the first use of any link finds both ends posting it. */
pps_status ppxc_warm_links(ppx_ctx *c, pps_error *err)
{
    void *rbuf = NULL;
    if (c->nrecv)
        TRY(ppxc_dev_alloc(c, &rbuf, (size_t)c->nrecv * c->n * c->esize, err));
    CUDACHECK(cudaStreamSynchronize(c->compute.s)); /* all zeroing done before other streams */
    for (int it = 0; it < 2; it++)
        for (int i = 0; i < c->nlinks; i++) {
            const plink *l = &c->links[i];
            if (l->from == c->rank) {
                cstream *q = ppxc_queue_to(c->sendq, c->nsend, l->to);
                TRY(settle(c, q->comm, nccl.Send(c->scr_a, c->n, c->ntype, q->comm_peer,
                                                 q->comm, q->s), "ncclSend (warm-up)", err));
            } else if (l->to == c->rank) {
                cstream *q = ppxc_queue_to(c->recvq, c->nrecv, l->from);
                void *to = (char *)rbuf + (size_t)(q - c->recvq) * c->n * c->esize;
                TRY(settle(c, q->comm, nccl.Recv(to, c->n, c->ntype, q->comm_peer, q->comm, q->s),
                           "ncclRecv (warm-up)", err));
            }
        }
    /* Polled, not cudaDeviceSynchronize: a lost peer must fail this rank, not hang it. */
    cudaStream_t *qs = malloc((size_t)(c->nsend + c->nrecv + 1) * sizeof(cudaStream_t));
    if (!qs)
        return pps_error_set(err, PPS_ENOMEM, "cuda: out of host memory");
    int n = 0;
    for (int i = 0; i < c->nsend; i++)
        qs[n++] = c->sendq[i].s;
    for (int i = 0; i < c->nrecv; i++)
        qs[n++] = c->recvq[i].s;
    pps_status st = wait_idle(c, qs, n, "the links' warm-up", err);
    free(qs);
    if (st == PPS_OK && rbuf)
        ppxc_dev_free(c, rbuf);
    return st;
}

pps_status ppxc_align_ranks(ppx_ctx *c, pps_error *err)
{
    for (int it = 0; it < 2; it++) { /* the first all-reduce warms it up */
        MPICHECK(MPI_Barrier(MPI_COMM_WORLD));
        TRY(settle(c, c->world, nccl.AllReduce(c->scr_f, c->scr_f, 1, ncclFloat32, ncclSum,
                                               c->world, c->compute.s),
                   "ncclAllReduce (time base)", err));
        if (it == 0)
            TRY(wait_idle(c, &c->compute.s, 1, "the time base's all-reduce", err));
    }
    return PPS_OK;
}

/* Destroys comm after a clean finish (finalize, then destroy); aborts it when the run was not
 * clean or finalizing does not finish within the timeout, since ncclCommDestroy could wait
 * forever for a lost peer. */
static void close_comm(ppx_ctx *c, ncclComm_t *comm, int idle)
{
    if (!*comm)
        return;
    int clean = idle;
    if (clean) {
        ncclResult_t r = nccl.CommFinalize(*comm);
        const double t0 = now();
        while (r == ncclInProgress && now() - t0 <= c->setup.timeout) {
            nap();
            if (nccl.CommGetAsyncError(*comm, &r) != ncclSuccess)
                r = ncclInternalError;
        }
        clean = r == ncclSuccess;
    }
    if (clean)
        nccl.CommDestroy(*comm);
    else
        nccl.CommAbort(*comm);
    *comm = NULL;
}

void ppxc_close_comms(ppx_ctx *c, int idle)
{
    if (!nccl.lib)
        return; /* nothing was ever created */
    for (int i = 0; i < c->nsend; i++)
        close_comm(c, &c->sendq[i].comm, idle);
    for (int i = 0; i < c->nrecv; i++)
        close_comm(c, &c->recvq[i].comm, idle);
    close_comm(c, &c->world, idle);
}
