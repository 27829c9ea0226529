/* analyzer-model.h — force-included by tools/lint.sh when clang-tidy checks a file (never in a
 * build). The clang static analyzer looks at one translation unit at a time, so it cannot know
 * that pps_error_set (sim/error.c) returns its `st` argument; it then explores "return
 * pps_error_set(err, PPS_EINPUT, ...)" as if it could return PPS_OK and reports the caller's
 * uninitialised outputs as bugs. This macro states the contract inside each unit. error.c, which
 * defines the function, is checked without it. */
#include "ppsim.h"

#define pps_error_set(err, st, ...) (pps_error_set((err), (st), __VA_ARGS__), (st))
