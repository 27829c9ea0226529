/* schedules.h — internal helpers shared by the schedule generators (the files of sim/schedules/). Each
 * generator file defines its own row (a pps_generator) and names it in list.h; nothing here is
 * specific to one schedule. */
#ifndef PPS_SCHEDULES_H
#define PPS_SCHEDULES_H

#include "ppsim.h"

/* Grows every rank's program so that `per_rank` more actions fit without reallocating, so the
 * generators can write with pps_gen_put. Refuses more than PPS_MAX_ACTIONS per rank. */
pps_status pps_gen_reserve(pps_schedule *s, size_t per_rank, pps_error *err);

/* Appends a plain compute action (no OVERLAP half) to rank's program. The caller must have
 * reserved room with pps_gen_reserve: this writes without a capacity check, because it runs
 * once per action of multi-million-action schedules. */
static inline void pps_gen_put(pps_schedule *s, int rank, pps_kind kind, int stage, int mb)
{
    pps_program *p = &s->programs[rank];
    pps_action *a = &p->actions[p->n++];
    a->stage = stage;
    a->mb = mb;
    a->stage2 = -1;
    a->mb2 = -1;
    a->kind = (uint8_t)kind;
    a->kind2 = 0;
}

/* The text given for option `name` in p, or NULL when it was not given. Borrowed. */
const char *pps_gen_option_text(const pps_gen_params *p, const char *name);

/* The value of integer option `name` in p: `fallback` when not given; PPS_EINPUT naming the
 * option when the text is not an integer in [lo, hi]. */
pps_status pps_gen_int_option(const pps_gen_params *p, const char *name, long fallback, long lo,
                              long hi, long *out, pps_error *err);

/* Refuses chunks other than 1 for schedule `name` (the one-stage-per-rank schedules). */
pps_status pps_gen_one_chunk(const char *name, const pps_gen_params *p, pps_error *err);

#endif /* PPS_SCHEDULES_H */
