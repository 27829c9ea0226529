/* generators.h — internal declarations shared by the schedule generators and their table. */
#ifndef PPS_GENERATORS_H
#define PPS_GENERATORS_H

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

/* One check/generate/analytic triple per schedule; the table in registry.c points at them.
 * generate and check receive parameters already range-checked by pps_generate, with chunks
 * resolved (never 0). analytic may receive chunks = 0 (meaning the default). */

/* gen_classic.c: one stage per rank. */
pps_status pps_gen_naive_check(const pps_gen_params *p, pps_error *err);
pps_status pps_gen_naive_generate(const pps_gen_params *p, pps_schedule *s, pps_error *err);
double pps_gen_naive_analytic(const pps_gen_params *p, const pps_stage_cost *c);

pps_status pps_gen_gpipe_check(const pps_gen_params *p, pps_error *err);
pps_status pps_gen_gpipe_generate(const pps_gen_params *p, pps_schedule *s, pps_error *err);
double pps_gen_gpipe_analytic(const pps_gen_params *p, const pps_stage_cost *c);

pps_status pps_gen_1f1b_check(const pps_gen_params *p, pps_error *err);
pps_status pps_gen_1f1b_generate(const pps_gen_params *p, pps_schedule *s, pps_error *err);
double pps_gen_1f1b_analytic(const pps_gen_params *p, const pps_stage_cost *c);

/* gen_interleaved.c: v stages per rank on the loop placement (stage c·P + r on rank r). */
pps_status pps_gen_interleaved_check(const pps_gen_params *p, pps_error *err);
pps_status pps_gen_interleaved_generate(const pps_gen_params *p, pps_schedule *s,
                                        pps_error *err);
double pps_gen_interleaved_analytic(const pps_gen_params *p, const pps_stage_cost *c);

pps_status pps_gen_looped_bfs_check(const pps_gen_params *p, pps_error *err);
pps_status pps_gen_looped_bfs_generate(const pps_gen_params *p, pps_schedule *s, pps_error *err);
double pps_gen_looped_bfs_analytic(const pps_gen_params *p, const pps_stage_cost *c);

#endif /* PPS_GENERATORS_H */
