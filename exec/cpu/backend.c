/* cpu/backend.c — the CPU backend: OpenBLAS compute on the calling thread, MPI non-blocking
 * point-to-point transfers in per-peer in-order queues (docs/executor.md).
 *
 * Open MPI moves a large (rendezvous) message only while both sides are inside an MPI call, so
 * compute polls the queues between layers (ppx_forward & co. take a progress hook) and waits
 * poll them too. Each queue posts its next operation only when the previous one has completed,
 * exactly as the semantics say, and every operation's start (post) and end (completion seen)
 * are recorded with ppx_world_time (CLOCK_MONOTONIC) relative to the common start
 * (ppx_world_common_start). A rank alone (world.h) has no queues and never calls MPI. */
#include <limits.h>
#include <mpi.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "poll.h"
#include "workload.h"
#include "world.h"

typedef struct op {
    int32_t id;
    int stage, mb;
    uint8_t kind;
} op;

/* One in-order queue of sends to, or receives from, one peer. */
typedef struct queue {
    int peer;
    int is_send;
    op *ops;
    size_t n, cap, head; /* ops[head] is the oldest not completed */
    int posted;          /* ops[head] has been posted */
    MPI_Request req;
} queue;

struct ppx_ctx {
    ppx_setup setup;
    const pps_schedule *s;
    MPI_Comm comm;
    double t0;         /* ppx_world_time of the common start */
    double *start;     /* [nactions] seconds since t0, -1 = not run */
    double *end;
    float **weights;   /* [stages] L·h·h, only this rank's stages */
    float **dw;        /* [stages] accumulated weight gradients */
    ppx_acts *acts;    /* [S·M] lazily allocated */
    float **grad_in;   /* [S·M] dL/dy_L received or passed on for B/I(s,m) */
    float **grad_out;  /* [S·M] dL/dx of (s,m), sent back by SEND_B */
    float *scratch;    /* b·h: dY being transformed layer by layer */
    float *discard;    /* b·h: stage 0's input gradient, which nobody needs */
    queue *queues;
    size_t nqueues;
};

static double now(const ppx_ctx *c)
{
    return ppx_world_time() - c->t0;
}

static size_t cell(const ppx_ctx *c, int stage, int mb)
{
    return (size_t)stage * (size_t)c->s->microbatches + (size_t)mb;
}

static float *alloc_floats(size_t n)
{
    return malloc(n * sizeof(float));
}

/* Activations of (stage, mb); init allocates those of this rank's stages. They live until
 * finalize: the step keeps them (the executor measures time, not memory), and a send never
 * outlives its buffer. */
static ppx_acts *acts_of(ppx_ctx *c, int stage, int mb, pps_error *err)
{
    ppx_acts *a = &c->acts[cell(c, stage, mb)];
    if (!a->y) {
        size_t n = ppx_msg_floats(&c->setup.work);
        a->y = alloc_floats((size_t)(c->setup.work.layers + 1) * n);
        a->g = alloc_floats((size_t)c->setup.work.layers * n);
        if (!a->y || !a->g) {
            pps_error_set(err, PPS_ENOMEM, "cpu: out of memory for activations of stage %d, "
                          "micro-batch %d", stage, mb);
            return NULL;
        }
    }
    return a;
}

static float *grad_buffer(ppx_ctx *c, float **slot, pps_error *err)
{
    if (!*slot && !(*slot = alloc_floats(ppx_msg_floats(&c->setup.work))))
        pps_error_set(err, PPS_ENOMEM, "cpu: out of memory for a gradient buffer");
    return *slot;
}

/* Posts the head of q if needed and retires it when complete; repeats while operations finish. */
static pps_status pump(ppx_ctx *c, queue *q, pps_error *err)
{
    const int count = (int)ppx_msg_floats(&c->setup.work);
    while (q->head < q->n) {
        op *o = &q->ops[q->head];
        if (!q->posted) {
            float *buf;
            size_t k = cell(c, o->stage, o->mb);
            switch ((pps_kind)o->kind) {
            case PPS_SEND_F: /* the stage's output y_L */
                buf = c->acts[k].y + (size_t)c->setup.work.layers * (size_t)count;
                break;
            case PPS_SEND_B: buf = c->grad_out[k]; break;
            case PPS_RECV_F: { /* straight into the next stage's input y_0 */
                ppx_acts *a = acts_of(c, o->stage, o->mb, err);
                if (!a)
                    return PPS_ENOMEM;
                buf = a->y;
                break;
            }
            default: /* PPS_RECV_B */
                if (!(buf = grad_buffer(c, &c->grad_in[k], err)))
                    return PPS_ENOMEM;
                break;
            }
            /* The start is read before the post: an eager send can move its data inside
             * MPI_Isend, before a start read after it. */
            c->start[o->id] = now(c);
            int rc = q->is_send ? MPI_Isend(buf, count, MPI_FLOAT, q->peer, 0, c->comm, &q->req)
                                : MPI_Irecv(buf, count, MPI_FLOAT, q->peer, 0, c->comm, &q->req);
            if (rc != MPI_SUCCESS)
                return pps_error_set(err, PPS_EIO, "cpu: MPI_%s to rank %d failed (code %d)",
                                     q->is_send ? "Isend" : "Irecv", q->peer, rc);
            q->posted = 1;
        }
        int done = 0;
        if (MPI_Test(&q->req, &done, MPI_STATUS_IGNORE) != MPI_SUCCESS)
            return pps_error_set(err, PPS_EIO, "cpu: MPI_Test failed with rank %d", q->peer);
        if (!done)
            return PPS_OK;
        c->end[o->id] = now(c);
        q->posted = 0;
        q->head++;
    }
    return PPS_OK;
}

static pps_status progress(ppx_ctx *c, pps_error *err)
{
    for (size_t i = 0; i < c->nqueues; i++) {
        pps_status st = pump(c, &c->queues[i], err);
        if (st != PPS_OK)
            return st;
    }
    return PPS_OK;
}

/* The hook compute calls between layers; errors surface at the next wait or drain. */
static void progress_hook(void *arg)
{
    (void)progress((ppx_ctx *)arg, NULL);
}

static queue *queue_for(ppx_ctx *c, int peer, int is_send, pps_error *err)
{
    for (size_t i = 0; i < c->nqueues; i++)
        if (c->queues[i].peer == peer && c->queues[i].is_send == is_send)
            return &c->queues[i];
    queue *nq = realloc(c->queues, (c->nqueues + 1) * sizeof *nq);
    if (!nq) {
        pps_error_set(err, PPS_ENOMEM, "cpu: out of memory for queues");
        return NULL;
    }
    c->queues = nq;
    nq[c->nqueues] = (queue){.peer = peer, .is_send = is_send, .req = MPI_REQUEST_NULL};
    return &nq[c->nqueues++];
}

/* Appends a transfer to the queue with `peer` in its direction; does not post it. */
static queue *append(ppx_ctx *c, int32_t id, int peer, pps_kind kind, int stage, int mb,
                     pps_error *err)
{
    int is_send = kind == PPS_SEND_F || kind == PPS_SEND_B;
    queue *q = queue_for(c, peer, is_send, err);
    if (!q)
        return NULL;
    if (q->n == q->cap) {
        size_t cap = q->cap ? 2 * q->cap : 64;
        op *no = realloc(q->ops, cap * sizeof *no);
        if (!no) {
            pps_error_set(err, PPS_ENOMEM, "cpu: out of memory for queued transfers");
            return NULL;
        }
        q->ops = no;
        q->cap = cap;
    }
    q->ops[q->n++] = (op){.id = id, .stage = stage, .mb = mb, .kind = (uint8_t)kind};
    return q;
}

static pps_status enqueue(ppx_ctx *c, int32_t id, int peer, pps_kind kind, int stage, int mb,
                          pps_error *err)
{
    queue *q = append(c, id, peer, kind, stage, mb, err);
    return q ? pump(c, q, err) : PPS_ENOMEM;
}

static pps_status cpu_send(ppx_ctx *c, int32_t id, int peer, pps_kind kind, int stage, int mb,
                           pps_error *err)
{
    return enqueue(c, id, peer, kind, stage, mb, err);
}

/* Receives were queued at init (queue_receives); reaching one in program order only polls. */
static pps_status cpu_recv(ppx_ctx *c, int32_t id, int peer, pps_kind kind, int stage, int mb,
                           pps_error *err)
{
    (void)id, (void)kind, (void)stage, (void)mb;
    queue *q = queue_for(c, peer, 0, err);
    return q ? pump(c, q, err) : PPS_ENOMEM;
}

/* Polls until action id has ended, spinning and then napping between polls (poll.h). */
static pps_status wait_for(ppx_ctx *c, int32_t id, const char *what, pps_error *err)
{
    double t_begin = ppx_world_time();
    for (;;) {
        pps_status st = progress(c, err);
        if (st != PPS_OK)
            return st;
        if (c->end[id] >= 0)
            return PPS_OK;
        if (ppx_stop_signal)
            return pps_error_set(err, PPS_EIO, "stopped by a signal while waiting for %s", what);
        double waited = ppx_world_time() - t_begin;
        if (waited > c->setup.timeout)
            return pps_error_set(err, PPS_EIO, "%s did not complete within %g s (a peer failed "
                                 "or the schedule deadlocks)", what, c->setup.timeout);
        ppx_poll_pause(waited);
    }
}

static pps_status cpu_wait(ppx_ctx *c, int32_t recv_id, pps_error *err)
{
    return wait_for(c, recv_id, "a transfer", err);
}

static void mark(ppx_ctx *c, int32_t id, int begin)
{
    if (begin) {
        if (c->start[id] < 0) /* an OVERLAP_F_B's second half keeps the first's start */
            c->start[id] = now(c);
    } else {
        c->end[id] = now(c);
    }
}

/* The rank owning `stage` (for same-rank hand-offs). */
static int owner(const ppx_ctx *c, int stage)
{
    return c->s->stage_rank[stage];
}

/* PPS_OK when (stage, mb) is a cell of this rank, else PPS_EINPUT naming it. */
static pps_status check_local(const ppx_ctx *c, int stage, int mb, pps_error *err)
{
    if (stage < 0 || stage >= c->s->stages || mb < 0 || mb >= c->s->microbatches ||
        owner(c, stage) != c->setup.rank)
        return pps_error_set(err, PPS_EINPUT, "cpu: stage %d, micro-batch %d is not on rank %d",
                             stage, mb, c->setup.rank);
    return PPS_OK;
}

/* The compute ops, shared by the step (cpu_compute, which records start and end) and by
 * profiling (cpu_time_op), so that a profile times exactly the code and buffers the step runs. */
static pps_status run_forward(ppx_ctx *c, int stage, int mb, ppx_progress_fn hook,
                              pps_error *err)
{
    ppx_acts *a = acts_of(c, stage, mb, err);
    if (!a)
        return PPS_ENOMEM;
    const size_t n = ppx_msg_floats(&c->setup.work);
    if (stage > 0 && owner(c, stage - 1) == c->setup.rank) /* previous stage on this rank */
        memcpy(a->y, c->acts[cell(c, stage - 1, mb)].y + (size_t)c->setup.work.layers * n,
               n * sizeof(float));
    /* stage 0's inputs were generated at init; others arrived by RECV_F into y_0 */
    ppx_forward(&c->setup.work, c->weights[stage], a, hook, c);
    return PPS_OK;
}

static pps_status run_backward_input(ppx_ctx *c, int stage, int mb, ppx_progress_fn hook,
                                     pps_error *err)
{
    ppx_acts *a = &c->acts[cell(c, stage, mb)];
    const size_t n = ppx_msg_floats(&c->setup.work);
    if (stage == c->s->stages - 1)
        ppx_loss_grad(&c->setup.work, a, c->scratch);
    else if (owner(c, stage + 1) == c->setup.rank)
        memcpy(c->scratch, c->grad_out[cell(c, stage + 1, mb)], n * sizeof(float));
    else
        memcpy(c->scratch, c->grad_in[cell(c, stage, mb)], n * sizeof(float));
    float *dx = stage == 0 ? c->discard : grad_buffer(c, &c->grad_out[cell(c, stage, mb)], err);
    if (!dx)
        return PPS_ENOMEM;
    ppx_backward_input(&c->setup.work, c->weights[stage], a, c->scratch, dx, hook, c);
    return PPS_OK;
}

static pps_status run_backward_weight(ppx_ctx *c, int stage, int mb, ppx_progress_fn hook,
                                      pps_error *err)
{
    (void)err;
    ppx_backward_weight(&c->setup.work, &c->acts[cell(c, stage, mb)], c->dw[stage], hook, c);
    return PPS_OK;
}

/* hook: progress_hook in a step (transfers move during compute); NULL when profiling, which
 * runs compute without communication (and so never touches a buffer a receive is posted on). */
static pps_status run_op(ppx_ctx *c, pps_kind kind, int stage, int mb, ppx_progress_fn hook,
                         pps_error *err)
{
    switch (kind) {
    case PPS_F: return run_forward(c, stage, mb, hook, err);
    case PPS_I: return run_backward_input(c, stage, mb, hook, err);
    case PPS_W: return run_backward_weight(c, stage, mb, hook, err);
    case PPS_B: {
        pps_status st = run_backward_input(c, stage, mb, hook, err);
        return st == PPS_OK ? run_backward_weight(c, stage, mb, hook, err) : st;
    }
    default: return pps_error_set(err, PPS_EINPUT, "cpu: not a compute kind: %d", (int)kind);
    }
}

/* A compute action of the step (backend.h): its start, the op, its end. */
static pps_status cpu_compute(ppx_ctx *c, int32_t id, pps_kind kind, int stage, int mb,
                              pps_error *err)
{
    pps_status st = check_local(c, stage, mb, err);
    if (st != PPS_OK)
        return st;
    mark(c, id, 1);
    st = run_op(c, kind, stage, mb, progress_hook, err);
    mark(c, id, 0);
    return st;
}

/* Profiling (backend.h): one op on (stage, mb)'s buffers, outside any step. */
static pps_status cpu_time_op(ppx_ctx *c, pps_kind kind, int stage, int mb, double *seconds,
                              pps_error *err)
{
    pps_status st = check_local(c, stage, mb, err);
    if (st != PPS_OK)
        return st;
    double t0 = ppx_world_time();
    st = run_op(c, kind, stage, mb, NULL, err);
    *seconds = ppx_world_time() - t0;
    return st;
}

static pps_status cpu_drain(ppx_ctx *c, pps_error *err)
{
    for (size_t i = 0; i < c->nqueues; i++) {
        queue *q = &c->queues[i];
        while (q->head < q->n) {
            int32_t id = q->ops[q->head].id;
            pps_status st = wait_for(c, id, q->is_send ? "a send" : "a receive", err);
            if (st != PPS_OK)
                return st;
        }
    }
    return PPS_OK;
}

static void cpu_times(ppx_ctx *c, int32_t id, double *start, double *end)
{
    *start = c->start[id];
    *end = c->end[id];
}

static double cpu_timestamp(ppx_ctx *c)
{
    return now(c);
}

static pps_status cpu_weight_grads(ppx_ctx *c, int stage, float *out, pps_error *err)
{
    if (!c->dw[stage])
        return pps_error_set(err, PPS_EINPUT, "cpu: stage %d is not on rank %d", stage,
                             c->setup.rank);
    memcpy(out, c->dw[stage],
           (size_t)c->setup.work.layers * c->setup.work.hidden * c->setup.work.hidden *
               sizeof(float));
    return PPS_OK;
}

static void cpu_describe(ppx_ctx *c, char *buf, size_t size)
{
    (void)c;
    snprintf(buf, size, "CPU, OpenBLAS sgemm, MPI point-to-point");
}

static void cpu_finalize(ppx_ctx *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->nqueues; i++) {
        queue *q = &c->queues[i];
        if (q->posted) { /* an aborted run: release the request */
            MPI_Cancel(&q->req);
            MPI_Request_free(&q->req);
        }
        free(q->ops);
    }
    free(c->queues);
    size_t cells = c->s ? (size_t)c->s->stages * (size_t)c->s->microbatches : 0;
    for (size_t k = 0; c->acts && k < cells; k++) {
        free(c->acts[k].y);
        free(c->acts[k].g);
    }
    for (size_t k = 0; c->grad_in && k < cells; k++)
        free(c->grad_in[k]);
    for (size_t k = 0; c->grad_out && k < cells; k++)
        free(c->grad_out[k]);
    for (int s = 0; c->weights && s < c->s->stages; s++) {
        free(c->weights[s]);
        free(c->dw[s]);
    }
    free(c->acts);
    free(c->grad_in);
    free(c->grad_out);
    free(c->weights);
    free(c->dw);
    free(c->scratch);
    free(c->discard);
    free(c->start);
    free(c->end);
    if (c->comm != MPI_COMM_NULL)
        MPI_Comm_free(&c->comm);
    free(c);
}

/* Queues every receive of this rank's program, in program order, on its peer's queue: the
 * semantics post a receive as soon as the previous one from that peer has completed, whatever
 * the compute stream is doing, and this rank's thread is inside a blocking GEMM while its compute
 * runs. Posted late, a receive whose data had already arrived made the rank copy 512 KiB inside
 * MPI_Irecv, between two compute actions, in 1F1B here. */
static pps_status queue_receives(ppx_ctx *c, pps_error *err)
{
    const int rank = c->setup.rank;
    int32_t id = 0;
    for (int r = 0; r < rank; r++)
        id += (int32_t)c->s->programs[r].n; /* this rank's first action id (graph.h) */
    const pps_program *p = &c->s->programs[rank];
    for (size_t i = 0; i < p->n; i++, id++) {
        const pps_action *a = &p->actions[i];
        if (a->kind != PPS_RECV_F && a->kind != PPS_RECV_B)
            continue;
        if (!append(c, id, ppsg_peer(c->s, a), (pps_kind)a->kind, a->stage, a->mb, err))
            return PPS_ENOMEM;
    }
    return PPS_OK;
}

/* Init is collective (backend.h): every rank reports whether it is ready, so that one rank's
 * failure fails all of them instead of leaving the rest in a barrier. Returns 1 when all are. */
static int all_ranks_ok(const ppx_ctx *c, int ok, pps_error *err)
{
    int first_bad = ppx_world_min_int(ok ? INT_MAX : c->setup.rank);
    if (first_bad != INT_MAX && ok)
        pps_error_set(err, PPS_EIO, "cpu: rank %d failed to set up", first_bad);
    return first_bad == INT_MAX;
}

static pps_status cpu_init(const ppx_setup *setup, ppx_ctx **out, pps_error *err)
{
    *out = NULL;
    ppx_ctx *c = calloc(1, sizeof *c);
    if (!c)
        return pps_error_set(err, PPS_ENOMEM, "cpu: out of memory");
    c->setup = *setup;
    ppx_poll_setup();
    c->s = setup->sched;
    c->comm = MPI_COMM_NULL;
    const ppx_workload *wl = &setup->work;
    size_t cells = (size_t)c->s->stages * (size_t)c->s->microbatches;
    size_t n = ppx_msg_floats(wl), hh = (size_t)wl->hidden * wl->hidden;
    c->start = malloc((setup->nactions ? setup->nactions : 1) * sizeof *c->start);
    c->end = malloc((setup->nactions ? setup->nactions : 1) * sizeof *c->end);
    c->acts = calloc(cells, sizeof *c->acts);
    c->grad_in = calloc(cells, sizeof *c->grad_in);
    c->grad_out = calloc(cells, sizeof *c->grad_out);
    c->weights = calloc((size_t)c->s->stages, sizeof *c->weights);
    c->dw = calloc((size_t)c->s->stages, sizeof *c->dw);
    c->scratch = alloc_floats(n);
    c->discard = alloc_floats(n);
    if (!c->start || !c->end || !c->acts || !c->grad_in || !c->grad_out || !c->weights ||
        !c->dw || !c->scratch || !c->discard)
        goto nomem;
    for (size_t i = 0; i < setup->nactions; i++)
        c->start[i] = c->end[i] = -1;
    for (int s = 0; s < c->s->stages; s++) {
        if (owner(c, s) != setup->rank)
            continue;
        c->weights[s] = alloc_floats((size_t)wl->layers * hh);
        c->dw[s] = calloc((size_t)wl->layers * hh, sizeof(float));
        if (!c->weights[s] || !c->dw[s])
            goto nomem;
        for (int l = 0; l < wl->layers; l++)
            ppx_init_weights(wl, s, l, c->weights[s] + (size_t)l * hh);
        /* Every buffer of the step is allocated and touched now, outside the timed step: a
         * training framework reuses memory from a caching allocator, and first-touch page
         * faults inside F and I made them 4% and 11% slower than their profile here. */
        for (int m = 0; m < c->s->microbatches; m++) {
            ppx_acts *a = acts_of(c, s, m, err);
            size_t k = cell(c, s, m);
            if (!a || !grad_buffer(c, &c->grad_in[k], err) || !grad_buffer(c, &c->grad_out[k], err))
                goto nomem;
            memset(a->y, 0, (size_t)(wl->layers + 1) * n * sizeof(float));
            memset(a->g, 0, (size_t)wl->layers * n * sizeof(float));
            memset(c->grad_in[k], 0, n * sizeof(float));
            memset(c->grad_out[k], 0, n * sizeof(float));
            /* Stage 0's inputs exist before the step, as a data loader's would. What a receive
             * will overwrite gets input-like values too, not zeros: a profile computes on it
             * (cpu_time_op), and an sgemm over zeros ran 30% faster than over data here. */
            if (s == 0 || owner(c, s - 1) != setup->rank)
                ppx_init_input(wl, m, a->y);
            if (s < c->s->stages - 1 && owner(c, s + 1) != setup->rank)
                ppx_init_input(wl, m, c->grad_in[k]);
        }
    }
    memset(c->scratch, 0, n * sizeof(float));
    memset(c->discard, 0, n * sizeof(float));
    if (queue_receives(c, err) != PPS_OK) {
        all_ranks_ok(c, 0, NULL);
        goto fail;
    }
    if (!all_ranks_ok(c, 1, err))
        goto fail;
    /* Transfers get a communicator of their own; one rank alone (no MPI, world.h) has none. */
    if (ppx_world_uses_mpi() && MPI_Comm_dup(MPI_COMM_WORLD, &c->comm) != MPI_SUCCESS) {
        pps_error_set(err, PPS_EIO, "cpu: MPI_Comm_dup failed");
        goto fail;
    }
    /* The common start: one instant on one clock for the ranks of a host (world.h). */
    c->t0 = ppx_world_common_start();
    *out = c; /* the step's first poll posts the first receive from each peer */
    return PPS_OK;
nomem:
    pps_error_set(err, PPS_ENOMEM, "cpu: out of memory for the workload (h=%d, b=%d, L=%d)",
                  wl->hidden, wl->tokens, wl->layers);
    all_ranks_ok(c, 0, NULL); /* the others are waiting to hear whether everyone is ready */
fail:
    cpu_finalize(c);
    return err ? err->status : PPS_ENOMEM;
}

const ppx_backend ppx_backend_cpu = {
    .name = "cpu",
    .receiver_copies = 1,
    .init = cpu_init,
    .compute = cpu_compute,
    .time_op = cpu_time_op,
    .send = cpu_send,
    .recv = cpu_recv,
    .wait = cpu_wait,
    .drain = cpu_drain,
    .times = cpu_times,
    .timestamp = cpu_timestamp,
    .weight_grads = cpu_weight_grads,
    .describe = cpu_describe,
    .finalize = cpu_finalize,
};
