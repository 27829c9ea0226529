/* world.c — the processes of one ppexec run (world.h): MPI_COMM_WORLD under a launcher, one plain
 * process without MPI otherwise. */
#include "world.h"

#include <mpi.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "poll.h"

static int plan_mpi = -1; /* ppx_world_plan's decision; -1 before it ran */
static int mpi_up, my_rank, my_size = 1;
static double deadline;                  /* seconds a wait may take; 0: no limit */
static volatile sig_atomic_t *stop_flag; /* set by a signal handler: stop waiting */
static ppx_stuck_fn on_stuck;

/* The launcher's rank variables: Open MPI's mpirun, PMIx (srun --mpi=pmix, Open MPI 5, MPICH's
 * hydra with PMIx) and PMI-1/2 (MPICH, Intel MPI, srun --mpi=pmi2). */
static const char *const launcher_rank_vars[] = {"OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK"};

int ppx_world_plan(void)
{
    const char *force = getenv("PPEXEC_MPI");
    int launched = getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMI_SIZE");
    int rank = 0;
    for (size_t i = 0; i < sizeof launcher_rank_vars / sizeof *launcher_rank_vars; i++) {
        const char *v = getenv(launcher_rank_vars[i]);
        if (v) {
            launched = 1;
            rank = (int)strtol(v, NULL, 10); /* only picks who prints: a bad value prints twice */
            break;
        }
    }
    if (force && strcmp(force, "1") == 0)
        plan_mpi = 1;
    else if (force && strcmp(force, "0") == 0)
        plan_mpi = 0;
    else
        plan_mpi = launched;
    return rank;
}

int ppx_world_init(int *argc, char ***argv, char *why, size_t size)
{
    if (plan_mpi < 0)
        ppx_world_plan();
    if (!plan_mpi)
        return 0;
    int rc = MPI_Init(argc, argv);
    if (rc != MPI_SUCCESS) {
        char text[MPI_MAX_ERROR_STRING] = "";
        int len = 0;
        MPI_Error_string(rc, text, &len);
        snprintf(why, size, "%s", text);
        return -1;
    }
    mpi_up = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &my_rank);
    MPI_Comm_size(MPI_COMM_WORLD, &my_size);
    return 0;
}

void ppx_world_finalize(void)
{
    if (mpi_up)
        MPI_Finalize();
    mpi_up = 0;
}

void ppx_world_abort(int code)
{
    if (mpi_up)
        MPI_Abort(MPI_COMM_WORLD, code);
    exit(code); /* MPI_Abort does not return; this tells the compiler and the analyzers */
}

int ppx_world_rank(void)
{
    return my_rank;
}

int ppx_world_size(void)
{
    return my_size;
}

int ppx_world_uses_mpi(void)
{
    return mpi_up;
}

/* CLOCK_MONOTONIC under MPI too: Open MPI's MPI_Wtime counts from each process's own origin
 * (two ranks read 0.000000 right after one barrier here), so times of two ranks could be
 * compared only through a common start; CLOCK_MONOTONIC is one clock for every process of a
 * host (ppx_world_common_start). */
double ppx_world_time(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

void ppx_world_set_deadline(double seconds, volatile sig_atomic_t *stop, ppx_stuck_fn stuck)
{
    deadline = seconds;
    stop_flag = stop;
    on_stuck = stuck;
}

int ppx_world_stop_requested(void)
{
    return stop_flag && *stop_flag;
}

/* Polls req until it completes (MPI_Test then sets it to MPI_REQUEST_NULL; callers MPI_Wait it
 * for clang-tidy's MPI checker, which returns at once). spin: only yield between polls (a barrier whose exit times must stay close); otherwise the
 * step's policy, which naps after a while (poll.h). */
static void timed_wait(MPI_Request *req, const char *what, int spin)
{
    double t0 = ppx_world_time();
    for (int done = 0;;) {
        MPI_Test(req, &done, MPI_STATUS_IGNORE);
        if (done)
            break;
        double waited = ppx_world_time() - t0;
        int stopped = ppx_world_stop_requested();
        if (on_stuck && (stopped || (deadline > 0 && waited > deadline))) {
            on_stuck(what, stopped);
            ppx_world_abort(1); /* on_stuck must not return */
        }
        if (spin)
            sched_yield();
        else
            ppx_poll_pause(waited);
    }
}

void ppx_world_wait(MPI_Request *req, const char *what)
{
    timed_wait(req, what, 0);
    MPI_Wait(req, MPI_STATUS_IGNORE); /* complete: returns at once */
}

void ppx_world_barrier(void)
{
    if (!mpi_up)
        return;
    MPI_Request req;
    MPI_Ibarrier(MPI_COMM_WORLD, &req);
    timed_wait(&req, "a barrier of all ranks", 1); /* no MPI_Wait: the MPI checker does not
                                                     * know MPI_Ibarrier and would flag one */
}

double ppx_world_common_start(void)
{
    ppx_world_barrier();
    double t = ppx_world_time();
    if (!mpi_up)
        return t;
    /* Every rank on one host (one shared-memory node) reads one clock: the earliest read after
     * the barrier is one instant for all. A rank descheduled between the barrier and its read
     * (3.3 ms on a loaded 2-core machine) would otherwise shift all its times by that much, and
     * a transfer into it could seem to end before it began. */
    MPI_Comm node;
    int node_size = 0;
    if (MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node) ==
        MPI_SUCCESS) {
        MPI_Comm_size(node, &node_size);
        MPI_Comm_free(&node);
    }
    if (ppx_world_min_int(node_size == my_size) == 0)
        return t; /* several hosts: several clocks, each from the barrier */
    double low = t;
    MPI_Request req;
    MPI_Iallreduce(&t, &low, 1, MPI_DOUBLE, MPI_MIN, MPI_COMM_WORLD, &req);
    timed_wait(&req, "a reduction over all ranks", 0);
    MPI_Wait(&req, MPI_STATUS_IGNORE); /* complete: returns at once */
    return low;
}

int ppx_world_min_int(int v)
{
    int low = v;
    if (mpi_up) {
        MPI_Request req;
        MPI_Iallreduce(&v, &low, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD, &req);
        timed_wait(&req, "a reduction over all ranks", 0);
        MPI_Wait(&req, MPI_STATUS_IGNORE); /* complete: returns at once */
    }
    return low;
}

void ppx_world_bcast(void *buf, size_t bytes, int root)
{
    if (!mpi_up)
        return;
    MPI_Request req;
    MPI_Ibcast(buf, (int)bytes, MPI_BYTE, root, MPI_COMM_WORLD, &req);
    timed_wait(&req, "a broadcast to all ranks", 0);
    MPI_Wait(&req, MPI_STATUS_IGNORE); /* complete: returns at once */
}

void ppx_world_sum_doubles(const double *in, double *out, int n)
{
    if (mpi_up) {
        MPI_Request req;
        MPI_Ireduce(in, out, n, MPI_DOUBLE, MPI_SUM, 0, MPI_COMM_WORLD, &req);
        timed_wait(&req, "a reduction over all ranks", 0);
        MPI_Wait(&req, MPI_STATUS_IGNORE); /* complete: returns at once */
    } else if (out != in) {
        memcpy(out, in, (size_t)n * sizeof *out);
    }
}

void ppx_world_gather_bytes(const void *mine, int bytes, void *all)
{
    if (mpi_up) {
        MPI_Request req;
        MPI_Igather(mine, bytes, MPI_BYTE, all, bytes, MPI_BYTE, 0, MPI_COMM_WORLD, &req);
        timed_wait(&req, "a gather from all ranks", 0);
        MPI_Wait(&req, MPI_STATUS_IGNORE); /* complete: returns at once */
    } else if (all) {
        memcpy(all, mine, (size_t)bytes);
    }
}

void ppx_world_gather_doubles(const double *mine, int n, double *all, const int *counts,
                              const int *displs)
{
    if (mpi_up) {
        MPI_Request req;
        MPI_Igatherv(mine, n, MPI_DOUBLE, all, counts, displs, MPI_DOUBLE, 0, MPI_COMM_WORLD,
                     &req);
        timed_wait(&req, "a gather from all ranks", 0); /* nor MPI_Igatherv */
    } else if (all) {
        memcpy(all + displs[0], mine, (size_t)n * sizeof *all);
    }
}
