/* profile.h — `ppexec --profile`: times each compute op of this pipeline's stages through the
 * backend, without communication, and each communicating pair of ranks' link (latency, and one
 * message's one-way time), and writes a profile (docs/validation-method.md) that `ppsim
 * calibrate` turns into a cost model. */
#ifndef PPX_PROFILE_H
#define PPX_PROFILE_H

#include "backend.h"

/* Collective over MPI_COMM_WORLD: every rank calls it. Initialises the backend for the
 * schedule, replays each rank's compute in program order (one untimed pass, then enough passes
 * for at least `repeats` runs of every op), and reports medians; rank 0 writes the profile to
 * path (atomically). A rank that fails only because another did returns an error with an
 * empty message (the failing rank reports the cause). Its waits on other ranks (collectives,
 * link timings) go through world.h, within the deadline set by ppx_world_set_deadline: past it,
 * or after a stop signal, the stuck function ends the job. A stop signal during the compute
 * phase fails this rank at its next op. */
pps_status ppx_profile(const ppx_backend *be, const ppx_setup *setup, int repeats,
                       const char *path, pps_error *err);

#endif
