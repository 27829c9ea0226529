/* schedules.h — internal helpers shared by the schedule generators (the files of sim/schedules/). Each
 * generator file defines its own row (a pps_generator) and names it in list.h; nothing here is
 * specific to one schedule. */
#ifndef PPS_SCHEDULES_H
#define PPS_SCHEDULES_H

#include "internal.h"

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

/* Appends an idle slot (an empty cell of PyTorch's CSV, which runs as nothing): kept where
 * PyTorch's own order has one, so that the written CSV matches it cell for cell. Reserved room
 * is needed, as for pps_gen_put. */
static inline void pps_gen_put_idle(pps_schedule *s, int rank)
{
    pps_gen_put(s, rank, PPS_IDLE, -1, -1);
}

/* Appends an overlapped pair (F(fstage, fmb); bkind(bstage, bmb))OVERLAP_F_B, bkind B or I. */
static inline void pps_gen_put_overlap(pps_schedule *s, int rank, int fstage, int fmb,
                                       pps_kind bkind, int bstage, int bmb)
{
    pps_program *p = &s->programs[rank];
    pps_action *a = &p->actions[p->n++];
    a->stage = fstage;
    a->mb = fmb;
    a->stage2 = bstage;
    a->mb2 = bmb;
    a->kind = (uint8_t)PPS_OVERLAP_F_B;
    a->kind2 = (uint8_t)bkind;
}

/* The text given for option `name` in p, or NULL when it was not given. Borrowed. */
const char *pps_gen_option_text(const pps_gen_params *p, const char *name);

/* The value of integer option `name` in p: `fallback` when not given; PPS_EINPUT naming the
 * option when the text is not an integer in [lo, hi]. */
pps_status pps_gen_int_option(const pps_gen_params *p, const char *name, long fallback, long lo,
                              long hi, long *out, pps_error *err);

/* Refuses chunks other than 1 for schedule `name` (the one-stage-per-rank schedules). */
pps_status pps_gen_one_chunk(const char *name, const pps_gen_params *p, pps_error *err);

/* The costs the literature's formulas assume, for the analytic functions of a row: returns 1
 * and fills *c with the costs of every stage and *comm with the time of one transfer between
 * stages (seconds) when all stages cost the same and every transfer takes the same time; 0 when
 * stages differ, transfers between ranks of different nodes differ, or communication is
 * synchronous. p->cost NULL means the defaults split over p->chunks stages per rank. */
int pps_gen_uniform_costs(const pps_gen_params *p, pps_stage_cost *c, double *comm);

/* (P−1)(t_F + t_B) of one stage, the bubble of a pipeline that fills and drains once, when the
 * stages cost the same and communication is free; NaN otherwise. */
double pps_gen_fill_drain_bubble(const pps_gen_params *p);

/* n activations of one stage (n · act_bytes) when the stages cost the same; NaN otherwise. */
double pps_gen_activations(const pps_gen_params *p, double n);

/* The slot ordering of ZB-H1 (k = 1) and ZB-H2 (k = 2), one stage per rank: stage r runs, for
 * slot x = 0, 1, ...: F(x), I(x − k(P−1−r)), W(x − k(P−1)), each when its micro-batch is in
 * [0, M) (zb_slots.c). */
pps_status pps_gen_zb_slots(const pps_gen_params *p, int k, pps_schedule *s, pps_error *err);
/* The peak activation of rank `rank` under that ordering (bytes), any M; NaN when the stages'
 * costs differ. */
double pps_gen_zb_slots_peak(const pps_gen_params *p, int k, int rank);

#endif /* PPS_SCHEDULES_H */
