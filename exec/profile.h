/* profile.h — `ppexec --profile`: times each compute op of this pipeline's stages in isolation
 * and a ping-pong per communicating pair of ranks, and writes a profile (docs/validation.md) that
 * `ppsim calibrate` turns into a cost model. */
#ifndef PPX_PROFILE_H
#define PPX_PROFILE_H

#include "backend.h"

/* Collective over MPI_COMM_WORLD: every rank calls it. Rank 0 writes the profile to path
 * (atomically). repeats: timed runs per op (medians are reported). */
pps_status ppx_profile(const ppx_setup *setup, const char *backend, int repeats,
                       const char *path, pps_error *err);

#endif
