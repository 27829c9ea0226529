/* world.h — the processes of one ppexec run. Under an MPI launcher (mpirun, srun) they are
 * MPI_COMM_WORLD. Started on its own, ppexec is one plain process that never initialises MPI, so
 * a single-rank schedule needs no MPI runtime at all (no mpirun, no orted, no MPI plugins; the
 * MPI library is loaded but not started). In a one-process world every collective below is the
 * identity and costs nothing. Point-to-point transfers stay plain MPI calls in their callers:
 * they exist only between two ranks, hence only under MPI. */
#ifndef PPX_WORLD_H
#define PPX_WORLD_H

#include <mpi.h>
#include <signal.h>
#include <stddef.h>

/* First thing in main, before anything that might initialise MPI or CUDA. Decides whether this
 * run uses MPI: PPEXEC_MPI=1 forces it, PPEXEC_MPI=0 forbids it; otherwise MPI is used when the
 * environment shows an MPI launcher (OMPI_COMM_WORLD_SIZE, PMIX_RANK, PMI_RANK or PMI_SIZE set).
 * Returns this process's rank as the launcher numbers it (0 without one), so that messages
 * printed before ppx_world_init come from rank 0 only. */
int ppx_world_plan(void);

/* Initialises MPI when ppx_world_plan chose it; otherwise does nothing: rank 0 of 1. Returns 0,
 * or -1 with MPI's reason in why (size bytes) when MPI_Init failed (Open MPI usually aborts the
 * process instead; a ppexec built without MPI, exec/nompi/, always fails here). */
int ppx_world_init(int *argc, char ***argv, char *why, size_t size);
/* Finalises MPI when it was initialised. */
void ppx_world_finalize(void);
/* Ends every process of the run with exit status `code` (MPI_Abort under MPI). */
void ppx_world_abort(int code) __attribute__((noreturn));

int ppx_world_rank(void);
int ppx_world_size(void);
/* 1 when MPI was initialised by ppx_world_init. */
int ppx_world_uses_mpi(void);
/* Seconds on CLOCK_MONOTONIC: one clock for the processes of one host. */
double ppx_world_time(void);

/* What a wait that must not go on does: it gets what was waited for and whether a stop signal
 * (rather than the deadline) ended it, and must not return (ppexec's reports, removes its
 * temporary files and ends the job; ppx_world_abort follows if it returns). */
typedef void (*ppx_stuck_fn)(const char *what, int signalled);

/* Bounds the waits of ppx_world_wait and of the collectives below: once a wait has taken more
 * than `seconds` (0: no limit), or *stop is set (by a signal handler), stuck is called. Until
 * this is called, and after a call with seconds = 0 and stop = NULL, waits are unbounded. */
void ppx_world_set_deadline(double seconds, volatile sig_atomic_t *stop, ppx_stuck_fn stuck);
/* Whether the stop flag given to ppx_world_set_deadline is set (0 without one). */
int ppx_world_stop_requested(void);
/* Completes the MPI request req, polling the way a step's wait does (poll.h), within the
 * deadline above; what names the operation for stuck's message ("a link timing with rank 1"). */
void ppx_world_wait(MPI_Request *req, const char *what);

/* Collectives: every process calls them in the same order. Under MPI each waits within the
 * deadline above. */
void ppx_world_barrier(void);
/* Collective: the step's start on ppx_world_time's clock after a barrier. On one host, the
 * earliest of the ranks' reads after it (one instant for all); across hosts each rank's own
 * read (the barrier's exit spread apart). */
double ppx_world_common_start(void);
/* The minimum of v over all processes. */
int ppx_world_min_int(int v);
/* Root's `bytes` bytes at buf, copied to every process's buf. */
void ppx_world_bcast(void *buf, size_t bytes, int root);
/* Rank 0 gets out[i] = the sum over processes of in[i], i < n (out is ignored elsewhere). */
void ppx_world_sum_doubles(const double *in, double *out, int n);
/* Rank 0 gets each process's `bytes` bytes of mine at all + rank·bytes (all ignored elsewhere). */
void ppx_world_gather_bytes(const void *mine, int bytes, void *all);
/* Rank 0 gets process r's n_r doubles at all + displs[r] (counts[r] = n_r; counts, displs and all
 * are read on rank 0 only). */
void ppx_world_gather_doubles(const double *mine, int n, double *all, const int *counts,
                              const int *displs);

#endif
