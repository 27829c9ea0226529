/* engine.h — ppexec's rank interpreter: walks one rank's lowered program in order and drives a
 * backend (backend.h). Knows no schedule: only the program and its dependency graph. */
#ifndef PPX_ENGINE_H
#define PPX_ENGINE_H

#include <signal.h>

#include "backend.h"
#include "core/graph.h"

/* Set by a signal handler (SIGTERM, SIGINT): backends stop waiting and fail promptly. */
extern volatile sig_atomic_t ppx_stop_signal;

/* Runs rank `rank`'s program of graph g on backend be (already initialised as ctx) and drains
 * it. On failure the times of the actions that ran are still available from be->times. */
pps_status ppx_run_rank(const ppx_backend *be, ppx_ctx *ctx, const ppsg_graph *g, int rank,
                        pps_error *err);

#endif
