/* profile.c — `ppexec --profile` (profile.h): per stage, medians of F, I, W and B timed through
 * the backend on the step's own buffers, and per communicating pair an MPI ping-pong that waits
 * the way the step waits. */
#include "profile.h"

#include <assert.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "workload.h"
#include "world.h"

enum { OP_F, OP_I, OP_W, OP_B, NOPS };

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, size_t n)
{
    qsort(v, n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* Durations (seconds) of one pass, indexed [op][stage·M + mb]; -1 = not run. */
typedef struct pass_times {
    double *t[OP_B]; /* F, I, W; B is I + W of the same (stage, mb) */
} pass_times;

/* Times one compute op and stores it; a B is timed as its I then its W, as the CPU backend
 * runs it, so that every schedule yields t_I and t_W. */
static pps_status time_one(const ppx_backend *be, ppx_ctx *ctx, pps_kind kind, int stage, int mb,
                           int M, pass_times *pt, pps_error *err)
{
    size_t k = (size_t)stage * (size_t)M + (size_t)mb;
    if (kind == PPS_B) {
        pps_status st = time_one(be, ctx, PPS_I, stage, mb, M, pt, err);
        return st == PPS_OK ? time_one(be, ctx, PPS_W, stage, mb, M, pt, err) : st;
    }
    int op = kind == PPS_F ? OP_F : kind == PPS_I ? OP_I : OP_W;
    return be->time_op(ctx, kind, stage, mb, &pt->t[op][k], err);
}

/* One pass over this rank's compute actions in program order, without communication: every
 * op runs on its own micro-batch's buffers in the order the step runs them, so caches hold
 * what they hold in the step (timing one buffer over and over ran F 3% and B 4% faster than
 * the step here). */
static pps_status replay_compute(const ppx_backend *be, ppx_ctx *ctx, const pps_program *p,
                                 int M, pass_times *pt, pps_error *err)
{
    pps_status st = PPS_OK;
    for (size_t i = 0; i < p->n && st == PPS_OK; i++) {
        const pps_action *a = &p->actions[i];
        pps_kind k = (pps_kind)a->kind;
        if (ppx_world_stop_requested()) /* a signal: stop at the next op, not after the run */
            return pps_error_set(err, PPS_EIO, "stopped by a signal while profiling");
        if (k == PPS_F || k == PPS_B || k == PPS_I || k == PPS_W)
            st = time_one(be, ctx, k, a->stage, a->mb, M, pt, err);
        else if (k == PPS_OVERLAP_F_B) {
            st = time_one(be, ctx, PPS_F, a->stage, a->mb, M, pt, err);
            if (st == PPS_OK)
                st = time_one(be, ctx, (pps_kind)a->kind2, a->stage2, a->mb2, M, pt, err);
        }
    }
    return st;
}

/* Medians per stage of this rank: out[4·stage + op] (seconds); `passes` timed passes. */
static pps_status time_stages(const ppx_backend *be, ppx_ctx *ctx, const ppx_setup *setup,
                              int passes, double *out, pps_error *err)
{
    const pps_schedule *s = setup->sched;
    const int S = s->stages, M = s->microbatches;
    const size_t cells = (size_t)S * (size_t)M;
    double *all = malloc((size_t)passes * NOPS * cells * sizeof *all);
    double *v = malloc((size_t)passes * cells * sizeof *v);
    pps_status st = PPS_OK;
    if (!all || !v)
        st = pps_error_set(err, PPS_ENOMEM, "profile: out of memory for %d passes of %zu ops",
                           passes, cells);
    /* Pass -1 is untimed: it warms caches, OpenBLAS's buffers and (CUDA) cuBLAS's kernels. */
    for (int pass = -1; pass < passes && st == PPS_OK; pass++) {
        double *base = all + (size_t)(pass < 0 ? 0 : pass) * NOPS * cells;
        pass_times pt = {{base, base + cells, base + 2 * cells}};
        for (size_t i = 0; i < 3 * cells; i++)
            base[i] = -1;
        st = replay_compute(be, ctx, &s->programs[setup->rank], M, &pt, err);
        for (size_t k = 0; k < cells; k++) /* B = I + W of the same micro-batch */
            base[3 * cells + k] = pt.t[OP_I][k] >= 0 && pt.t[OP_W][k] >= 0
                                      ? pt.t[OP_I][k] + pt.t[OP_W][k] : -1;
    }
    for (int stage = 0; stage < S && st == PPS_OK; stage++)
        for (int op = 0; op < NOPS; op++) {
            size_t n = 0;
            for (int pass = 0; pass < passes; pass++)
                for (int mb = 0; mb < M; mb++) {
                    double x = all[((size_t)pass * NOPS + (size_t)op) * cells +
                                   (size_t)stage * (size_t)M + (size_t)mb];
                    if (x >= 0)
                        v[n++] = x;
                }
            out[4 * stage + op] = n ? median(v, n) : 0;
        }
    free(all);
    free(v);
    return st;
}

/* Waits for req the way a step's wait does (poll.h), within --timeout (world.h): a peer that
 * stopped or died ends the job instead of leaving this rank spinning. */
static void wait_like_step(MPI_Request *req, int peer)
{
    char what[64];
    snprintf(what, sizeof what, "a link timing with rank %d", peer);
    ppx_world_wait(req, what);
}

/* Blocking point-to-point transfers of the link timings, within --timeout. */
static void send_timed(const void *buf, int count, MPI_Datatype type, int peer, int tag)
{
    MPI_Request req;
    MPI_Isend(buf, count, type, peer, tag, MPI_COMM_WORLD, &req);
    wait_like_step(&req, peer);
    MPI_Wait(&req, MPI_STATUS_IGNORE); /* complete: returns at once (for the MPI checker) */
}

static void recv_timed(void *buf, int count, MPI_Datatype type, int peer, int tag)
{
    MPI_Request req;
    MPI_Irecv(buf, count, type, peer, tag, MPI_COMM_WORLD, &req);
    wait_like_step(&req, peer);
    MPI_Wait(&req, MPI_STATUS_IGNORE); /* complete: returns at once (for the MPI checker) */
}

#define MAX_LINK_REPEATS 64

/* This rank's partner on the link between ranks a and b, with *me set to this rank; -1 on a
 * rank that is neither end (it takes no part in that link's timing). */
static int link_peer(int a, int b, int *me)
{
    MPI_Comm_rank(MPI_COMM_WORLD, me);
    if (*me != a && *me != b)
        return -1;
    return *me == a ? b : a;
}

/* Half the median round trip of one float between ranks a and b (seconds), waiting as the step
 * waits; on ranks other than a and b returns 0 without communicating. repeats: at most
 * MAX_LINK_REPEATS. */
static double latency(int a, int b, int repeats, float *buf)
{
    int me;
    const int peer = link_peer(a, b, &me);
    if (peer < 0)
        return 0;
    double t[MAX_LINK_REPEATS] = {0};
    for (int k = -3; k < repeats; k++) {
        double t0 = MPI_Wtime();
        if (me == a) { /* a to b, then b to a */
            send_timed(buf, 1, MPI_FLOAT, peer, 1);
            recv_timed(buf, 1, MPI_FLOAT, peer, 1);
        } else {
            recv_timed(buf, 1, MPI_FLOAT, peer, 1);
            send_timed(buf, 1, MPI_FLOAT, peer, 1);
        }
        if (k >= 0)
            t[k] = (MPI_Wtime() - t0) / 2;
    }
    return median(t, (size_t)repeats);
}

/* Rank b's clock minus rank a's (seconds), from the quickest of three round trips of a
 * timestamp (NTP's estimate: off by at most half that round trip). Only a and b call it. */
static double clock_offset(int a, int b, int me)
{
    double best_rtt = 1e30, offset = 0;
    for (int k = 0; k < 3; k++) {
        double t1 = MPI_Wtime(), tb = 0;
        if (me == a) {
            send_timed(&t1, 1, MPI_DOUBLE, b, 4);
            recv_timed(&tb, 1, MPI_DOUBLE, b, 5);
            double t2 = MPI_Wtime();
            if (t2 - t1 < best_rtt) {
                best_rtt = t2 - t1;
                offset = tb - 0.5 * (t1 + t2);
            }
        } else {
            recv_timed(&tb, 1, MPI_DOUBLE, a, 4);
            tb = MPI_Wtime();
            send_timed(&tb, 1, MPI_DOUBLE, a, 5);
        }
    }
    return offset;
}

/* The median time (seconds) from rank a posting a b·h message to rank b seeing it arrive, moved
 * as the step moves activations: the sender has just written it into one of `nbufs` buffers (as
 * F writes each micro-batch's output) and goes on computing `stage`'s F; the receiver, its
 * receive posted early as in the step, is waiting. The two clocks are aligned by a timestamp
 * round trip before each message (aligning them by a common barrier instead once gave -135 µs:
 * a rank descheduled at the barrier's exit). For 512 KiB here: a plain ping-pong (hot buffer,
 * both ranks idle) took 45 µs, this 100-200 µs, and transfers inside a 1F1B step 120-170 µs.
 * On ranks other than a and b returns 0 without communicating; the result is on rank a.
 * repeats: at most MAX_LINK_REPEATS. */
static double one_way(const ppx_backend *be, ppx_ctx *ctx, int a, int b, int stage, int repeats,
                      float *const *bufs, int nbufs, size_t bytes)
{
    int me;
    const int peer = link_peer(a, b, &me);
    if (peer < 0)
        return 0;
    double t[MAX_LINK_REPEATS] = {0};
    for (int k = -2; k < repeats; k++) {
        float *buf = bufs[(k + 2) % nbufs];
        assert(buf); /* ppx_profile measures links only when every buffer was allocated */
        MPI_Request req;
        if (me == b)
            MPI_Irecv(buf, (int)bytes, MPI_BYTE, peer, 2, MPI_COMM_WORLD, &req);
        double offset = clock_offset(a, b, me), arrived = 0;
        if (me == a) {
            for (size_t i = 0; i < bytes / sizeof(float); i++)
                buf[i] = (float)(i % 251) * 0.01f + (float)k;
            double posted = MPI_Wtime(), seconds;
            MPI_Isend(buf, (int)bytes, MPI_BYTE, peer, 2, MPI_COMM_WORLD, &req);
            if (be->receiver_copies) /* host compute competes with the transfer; a GPU's does not */
                be->time_op(ctx, PPS_F, stage, 0, &seconds, NULL);
            wait_like_step(&req, peer);
            recv_timed(&arrived, 1, MPI_DOUBLE, peer, 3);
            if (k >= 0)
                t[k] = arrived - offset - posted;
        } else {
            wait_like_step(&req, peer);
            arrived = MPI_Wtime();
            send_timed(&arrived, 1, MPI_DOUBLE, peer, 3);
        }
    }
    return me == a ? median(t, (size_t)repeats) : 0;
}

/* The pairs (a, b) of ranks that exchange data in this schedule: pairs[a·R + b] = 1. */
static void find_pairs(const pps_schedule *s, char *pairs)
{
    for (int i = 0; i + 1 < s->stages; i++) {
        int a = s->stage_rank[i], b = s->stage_rank[i + 1];
        if (a != b)
            pairs[a * s->ranks + b] = 1;
    }
}

/* Rank 0's profile header: the backend, the sizes, the workload and how it was measured. The
 * stage and link arrays are allocated for S stages and npairs links (filled as measured). */
static pps_status new_profile(const ppx_setup *setup, const ppx_backend *be, int samples,
                              size_t npairs, pps_profile **out, pps_error *err)
{
    const ppx_workload *wl = &setup->work;
    pps_profile *p = calloc(1, sizeof *p);
    if (p) {
        p->stage_costs = calloc((size_t)setup->sched->stages, sizeof *p->stage_costs);
        p->links = npairs ? calloc(npairs, sizeof *p->links) : NULL;
    }
    if (!p || !p->stage_costs || (npairs && !p->links)) {
        pps_profile_destroy(p);
        return pps_error_set(err, PPS_ENOMEM, "profile: out of memory");
    }
    snprintf(p->backend, sizeof p->backend, "%s", be->name);
    snprintf(p->note, sizeof p->note, "medians of %d runs per op, replaying each rank's compute "
             "in program order without communication; links: one-float ping-pong half round "
             "trips (latency) and one-way times of a b*h message posted from fresh data while "
             "the sender computes (one_way)", samples);
    p->ranks = setup->sched->ranks;
    p->stages = setup->sched->stages;
    p->hidden = wl->hidden;
    p->tokens = wl->tokens;
    p->layers = wl->layers;
    p->bf16 = wl->bf16 ? 1 : 0;
    p->receiver_copies = be->receiver_copies ? 1 : 0;
    *out = p;
    return PPS_OK;
}

/* The stage on rank a whose output goes to rank b (a sender's compute during a transfer). */
static int sending_stage(const pps_schedule *s, int a, int b)
{
    for (int i = 0; i + 1 < s->stages; i++)
        if (s->stage_rank[i] == a && s->stage_rank[i + 1] == b)
            return i;
    for (int i = 1; i < s->stages; i++) /* only gradients flow from a to b */
        if (s->stage_rank[i] == a && s->stage_rank[i - 1] == b)
            return i;
    return -1;
}

/* Collective: whether every rank's *st is PPS_OK. A rank that is fine while another failed gets
 * *st = PPS_EIO with an empty message (the failing rank reports the cause). */
static int all_ok(pps_status *st, pps_error *err)
{
    int ok = *st == PPS_OK, all = ppx_world_min_int(ok);
    if (!all && ok)
        *st = pps_error_set(err, PPS_EIO, "%s", "");
    return all;
}

pps_status ppx_profile(const ppx_backend *be, const ppx_setup *setup, int repeats,
                       const char *path, pps_error *err)
{
    const pps_schedule *s = setup->sched;
    const ppx_workload *wl = &setup->work;
    const int S = s->stages, R = s->ranks, M = s->microbatches;
    const size_t n = ppx_msg_floats(wl);
    size_t act, act_w, msg; /* bytes, by the element size (bf16: 2) */
    ppx_stage_bytes(wl, &act, &act_w, &msg);
    /* Each pass times every op of every micro-batch once: enough passes for `repeats` runs. */
    const int passes = (repeats + M - 1) / M, samples = passes * M;
    /* A transfer moves one of M micro-batches' buffers in the step, each cold in cache by the
     * time it moves: the link is timed over as many buffers (at most 64). With 8 buffers of
     * 512 KiB the one-way time was 80 µs here, with 16, 100 µs, with 32, 260 µs. */
    enum { MAX_BUFS = 64, LINK_REPEATS = 32 };
    const int nbufs = M < MAX_BUFS ? M : MAX_BUFS;
    double *mine = calloc((size_t)S * 4, sizeof *mine), *all = calloc((size_t)S * 4, sizeof *all);
    char *pairs = calloc((size_t)R * R, 1);
    float *bufs[MAX_BUFS] = {0};
    int ok = mine && all && pairs;
    for (int i = 0; i < nbufs; i++) /* touched now: a first touch inside a transfer is slow */
        if (ok && (ok = (bufs[i] = malloc(n * sizeof(float))) != NULL))
            memset(bufs[i], 0, n * sizeof(float));
    /* Rank 0 opens the output first, so that an unwritable path fails before any timing. */
    pps_outfile of;
    FILE *fp = NULL;
    pps_error open_err = {0};
    if (setup->rank == 0 && pps_outfile_open(&of, path, &open_err) == PPS_OK)
        fp = of.fp;
    ppx_ctx *ctx = NULL;
    pps_profile *prof = NULL; /* rank 0: what it writes */
    pps_status st = be->init(setup, &ctx, err); /* collective: fails on every rank or none */
    if (st != PPS_OK)
        goto done;
    /* Failures after init are local: every rank learns of them, before timing (an unwritable
     * output, memory) and after it. */
    if (open_err.status != PPS_OK) {
        if (err)
            *err = open_err;
        st = open_err.status;
    } else if (!ok) {
        st = pps_error_set(err, PPS_ENOMEM, "profile: out of memory");
    }
    if (!all_ok(&st, err) || !ok)
        goto done;
    st = time_stages(be, ctx, setup, passes, mine, err);
    if (!all_ok(&st, err))
        goto done;
    /* Each stage is on exactly one rank: a sum gathers them. */
    ppx_world_sum_doubles(mine, all, S * 4);
    find_pairs(s, pairs);
    size_t npairs = 0;
    for (int i = 0; i < R * R; i++)
        npairs += pairs[i] != 0;
    if (fp) /* on failure st stays set; the other ranks still take part in the link timing */
        st = new_profile(setup, be, samples, npairs, &prof, err);
    for (int i = 0; prof && i < S; i++) {
        const double *c = all + 4 * i;
        prof->stage_costs[i] = (pps_profile_stage){
            .stage = i, .rank = (int)s->stage_rank[i], .tf = c[OP_F], .tb = c[OP_B],
            .ti = c[OP_I], .tw = c[OP_W],
            .act_bytes = (double)act,
            .act_w_bytes = (double)act_w,
            .send_bytes = (double)msg, .repeats = samples};
    }
    /* Links are measured one pair at a time so that they do not disturb each other. */
    for (int a = 0; a < R; a++)
        for (int b = 0; b < R; b++) {
            if (!pairs[a * R + b])
                continue;
            double fig[2] = {latency(a, b, LINK_REPEATS, bufs[0]),
                             one_way(be, ctx, a, b, sending_stage(s, a, b), LINK_REPEATS, bufs,
                                     nbufs, msg)};
            ppx_world_bcast(fig, sizeof fig, a); /* rank a has both */
            if (fig[1] < fig[0]) /* below the latency: clock noise; the message is "free" */
                fig[1] = fig[0];
            /* latency + bytes / bandwidth reproduces the one-way time of a b·h message */
            double bw = fig[1] > fig[0] ? (double)msg / (fig[1] - fig[0]) : 0;
            if (prof)
                prof->links[prof->nlinks++] = (pps_profile_link){
                    .src = a, .dst = b, .bytes = (double)msg, .latency = fig[0],
                    .bandwidth = bw, .one_way = fig[1], .repeats = LINK_REPEATS};
        }
    if (prof) {
        st = pps_profile_write_json(prof, fp, err);
        if (st == PPS_OK)
            st = pps_outfile_commit(&of, err);
    }
done:
    pps_profile_destroy(prof);
    if (fp)
        pps_outfile_abort(&of); /* removes the temporary file unless committed */
    if (ctx)
        be->finalize(ctx);
    free(mine);
    free(all);
    free(pairs);
    for (int i = 0; i < nbufs; i++)
        free(bufs[i]);
    return st;
}
