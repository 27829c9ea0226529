/* lower.h — internal: the lowering of a compute-only schedule as a plan (where each receive goes)
 * rather than a copy of every action, so that the event core can write a lowered timeline
 * without materialising the lowered schedule; pps_schedule_lower materialises it from the same
 * plan (docs/ir.md, "Lowering"). */
#ifndef PPS_LOWER_H
#define PPS_LOWER_H

#include "ppsim.h"

/* One receive on a rank: RECV_F or RECV_B (kind) of (stage, mb) from rank src, inserted before
 * position `before` of the rank's compute-only program. */
typedef struct ppsl_recv {
    uint32_t before;
    int32_t stage;
    int32_t mb;
    int32_t src;
    uint8_t kind;
} ppsl_recv;

/* Rank r's receives are recv[first[r] .. first[r + 1]), in the order they are inserted. */
typedef struct ppsl_plan {
    ppsl_recv *recv;
    size_t *first; /* [ranks + 1] */
} ppsl_plan;

/* Plans the lowering of the valid compute-only schedule s. Caller frees with ppsl_plan_free. */
pps_status ppsl_plan_build(const pps_schedule *s, ppsl_plan *plan, pps_error *err);
void ppsl_plan_free(ppsl_plan *plan);

/* The sends compute action a on rank r produces, in the order they follow it: a SEND_F for its
 * forward half when the next stage is on another rank, then a SEND_B for its backward half when
 * the previous stage is. Returns how many (0..2). */
static inline int ppsl_sends_of(const pps_schedule *s, int r, const pps_action *a,
                                pps_action out[2])
{
    int n = 0;
    pps_kind k = (pps_kind)a->kind;
    int f = k == PPS_F || k == PPS_OVERLAP_F_B;
    int b = k == PPS_B || k == PPS_I || (k == PPS_OVERLAP_F_B && a->kind2 != 0);
    if (!f && !b)
        return 0;
    int bstage = k == PPS_OVERLAP_F_B ? a->stage2 : a->stage;
    int bmb = k == PPS_OVERLAP_F_B ? a->mb2 : a->mb;
    if (f && a->stage + 1 < s->stages && s->stage_rank[a->stage + 1] != r)
        out[n++] = pps_action_make(PPS_SEND_F, a->stage, a->mb);
    if (b && bstage > 0 && s->stage_rank[bstage - 1] != r)
        out[n++] = pps_action_make(PPS_SEND_B, bstage, bmb);
    return n;
}

#endif /* PPS_LOWER_H */
