/* cost_fields.h — internal: the cost model's field table and merge rule, shared by the model
 * (cost.c) and the cost JSON reader (io/cost_json.c), so both speak of the same fields. */
#ifndef PPS_COST_FIELDS_H
#define PPS_COST_FIELDS_H

#include "internal.h"

/* Largest value accepted for any time (s) or size (bytes): beyond it sums lose meaning. */
#define PPSC_MAX 1e15
/* Largest bandwidth accepted (bytes/s). */
#define PPSC_BANDWIDTH_MAX 1e30

/* Names of pps_stage_cost's doubles, in declaration order; NULL-terminated. */
extern const char *const ppsc_field_names[PPS_STAGE_COST_FIELDS + 1];

/* A stage cost with every field unset (NaN): entries inherit the uniform costs. */
pps_stage_cost ppsc_unset(void);

/* Fields of `over` that are set replace those of `base`. Giving t_B alone drops base's I/W
 * split, and giving I or W alone drops base's t_B, so they are derived again consistently. */
pps_stage_cost ppsc_merge(pps_stage_cost base, const pps_stage_cost *over);

/* x with its times and activation sizes divided by k (a rank's share spread over its k stages);
 * send_bytes is kept whole. */
pps_stage_cost ppsc_share(pps_stage_cost x, int k);

/* The limits of docs/cost-model.md ("Limits") for schedule s under c, resolved for it: every
 * transfer finite and at most PPSC_MAX seconds, and the step's longest possible length (the sum
 * of all its actions' and transfers' times) at most 2^43 times its smallest non-zero compute
 * time (F, B, I, W, t_FB, UNSHARD, RESHARD, REDUCE_GRAD).
 * PPS_EINPUT names the cost and the limit. O(stages); O(actions) when UNSHARD, RESHARD or
 * REDUCE_GRAD cost anything. (step_limits.c) */
pps_status ppsc_check_step(const pps_schedule *s, const pps_cost *c, pps_error *err);

/* Returns st; when it is PPS_EINPUT, marks err's message as one about the cost values
 * (PPS_TOPIC_COSTS), so that callers name the costs file by the field, not by the text. Every
 * PPS_EINPUT of pps_cost_resolve, pps_cost_resolve_for and pps_price goes through it. */
pps_status ppsc_fault(pps_status st, pps_error *err);

#endif /* PPS_COST_FIELDS_H */
