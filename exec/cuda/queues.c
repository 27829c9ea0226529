/* queues.c — the CUDA backend's transfers (internal.h): the schedule's directed links, one
 * 2-rank NCCL communicator and one stream per link end, ncclSend and ncclRecv in each queue's
 * order, and aborting them on failure. */
#include <stdlib.h>
#include <string.h>

#include "core/graph.h"
#include "internal.h"

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
    NCCLCHECK(ncclSend(buf, c->n, c->ntype, q->comm_peer, q->comm, q->s));
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
    NCCLCHECK(ncclRecv(buf, c->n, c->ntype, q->comm_peer, q->comm, q->s));
    return ppxc_end(c, id, q, err);
}

/* Aborts every communicator (unblocking kernels stuck in NCCL) and forgets them. */
void ppxc_abort_comms(ppx_ctx *c)
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

pps_status ppxc_comm_error(ppx_ctx *c, pps_error *err)
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

/* Rank 0 makes the id, MPI_Bcast hands it on (nccl-tests' bootstrap). A rank-0 failure is
 * broadcast too, so that no rank waits in ncclCommInitRank for it. */
pps_status ppxc_init_world(ppx_ctx *c, pps_error *err)
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
                NCCLCHECK(ncclSend(c->scr_a, c->n, c->ntype, q->comm_peer, q->comm, q->s));
            } else if (l->to == c->rank) {
                cstream *q = ppxc_queue_to(c->recvq, c->nrecv, l->from);
                void *to = (char *)rbuf + (size_t)(q - c->recvq) * c->n * c->esize;
                NCCLCHECK(ncclRecv(to, c->n, c->ntype, q->comm_peer, q->comm, q->s));
            }
        }
    CUDACHECK(cudaDeviceSynchronize());
    if (rbuf)
        ppxc_dev_free(c, rbuf);
    return PPS_OK;
}

static void close_comm(ncclComm_t *comm, int idle)
{
    if (!*comm)
        return;
    if (idle)
        ncclCommDestroy(*comm);
    else
        ncclCommAbort(*comm);
    *comm = NULL;
}

void ppxc_close_comms(ppx_ctx *c, int idle)
{
    for (int i = 0; i < c->nsend; i++)
        close_comm(&c->sendq[i].comm, idle);
    for (int i = 0; i < c->nrecv; i++)
        close_comm(&c->recvq[i].comm, idle);
    close_comm(&c->world, idle);
}
