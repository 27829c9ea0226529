/* internal.h — the library's internal tier: what sim/'s folders share with each other beyond
 * the public API, and the map of the module headers that ppexec (exec/) and the library share.
 *
 * Not part of the API (sim/ppsim.h): no promise holds across versions, and programs built on
 * libppsim (the ppsim CLI in tools/ among them) include only ppsim.h. The functions declared
 * here keep the pps_ names they had when they were public; module-internal code uses its own
 * prefix (below). Everything follows ppsim.h's conventions (status and pps_error, ownership,
 * outputs on failure).
 *
 * Module headers, included by path from sim/ ("core/graph.h"), each with its prefix:
 * - core/graph.h (ppsg_): the dependency graph of a lowered schedule. The one internal header
 *   exec/ includes: ppexec's rank interpreter (exec/engine.h) walks the same graph the event
 *   core does, so that both run one program with one set of semantics (docs/semantics.md).
 * - core/engine.h (ppse_): the stream core and the graph core behind pps_simulate* and pps_batch.
 * - ir/lower.h (ppsl_), ir/validate.h, ir/cells.h: lowering as a plan, validation with a
 *   caller's buffer, the per-cell record of actions seen.
 * - io/json_write.h, io/json_scan.h, io/json_read.h (ppsj_): the one JSON writer, the streaming
 *   scanner, the small-file tree reader.
 * - cost/cost_fields.h (ppsc_): the cost fields, merge rule and limits.
 * - analysis/accum.h, plan/plan.h (ppsp_), report/plot.h, report/report.h (ppsr_),
 *   schedules/schedules.h, schedules/list.h, schedules/zb_auto.h: within their folders.
 */
#ifndef PPS_INTERNAL_H
#define PPS_INTERNAL_H

#include "ppsim.h"

/* ------------------------------------------------------------------ messages (error.c) */

/* Input quoted in a message is cut to PPS_QUOTE_MAX bytes; a buffer for it holds
 * PPS_QUOTE_SIZE. */
#define PPS_QUOTE_MAX 40
#define PPS_QUOTE_SIZE (PPS_QUOTE_MAX + 4)

/* Copies text[0..n) into buf (PPS_QUOTE_SIZE bytes) for a message: cut to PPS_QUOTE_MAX bytes
 * with "...", every byte that is not printable ASCII as '?', so that binary input cannot garble
 * the one-line error. Returns buf. */
const char *pps_quote(const char *text, size_t n, char *buf);

/* ------------------------------------------------------------------ schedules (sim/ir/) */

/* The shape limits every schedule and timeline obeys: R in [1, PPS_MAX_RANKS], S in
 * [1, PPS_MAX_CELLS], M in [1, PPS_MAX_MICROBATCHES], S·M ≤ PPS_MAX_CELLS (checked without
 * overflow). Returns PPS_EINPUT naming the first field out of range. */
pps_status pps_check_shape(int ranks, int stages, int microbatches, pps_error *err);

/* Makes s an empty schedule of the given shape, as pps_schedule_create would, reusing its
 * buffers: the programs keep their room, so that refilling a schedule of no more ranks, stages
 * and actions allocates nothing (sweeps, pps_batch). On failure (checked as for create) s is
 * unchanged, or empty with its old shape after PPS_ENOMEM; either way valid for
 * pps_schedule_destroy. */
pps_status pps_schedule_reset(pps_schedule *s, int ranks, int stages, int microbatches,
                              pps_placement placement, const int32_t *stage_rank,
                              pps_error *err);

/* pps_generate into the existing schedule s (pps_schedule_reset reuses its buffers). On failure
 * s is left valid, possibly empty, for another call or pps_schedule_destroy. */
pps_status pps_generate_into(const pps_generator *g, const pps_gen_params *p, pps_schedule *s,
                             pps_error *err);

/* ------------------------------------------------------------------ costs and prices */

/* The duration of an OVERLAP_F_B from its parts (docs/cost-model.md): a forward of tf on a stage
 * whose tfb may be NaN (unset), and a backward of kind2 (B or I) taking `back` on a stage whose
 * t_W is tw. The rule pps_cost_duration and pps_price_action share. */
double pps_cost_overlap(double tf, double tfb, pps_kind kind2, double back, double tw);

/* Seconds for action a as the cores charge it (an OVERLAP_F_B: pps_cost_overlap of its parts).
 * Inline: the cores call it once per action. */
static inline double pps_price_action(const pps_prices *p, const pps_action *a)
{
    if (a->kind == PPS_OVERLAP_F_B)
        return pps_cost_overlap(
            pps_price_of(p, PPS_F, a->stage, a->mb),
            p->by_stage[(size_t)a->stage * PPS_KIND_COUNT + PPS_OVERLAP_F_B],
            (pps_kind)a->kind2, pps_price_of(p, (pps_kind)a->kind2, a->stage2, a->mb2),
            pps_price_of(p, PPS_W, a->stage2, a->mb2));
    return pps_price_of(p, (pps_kind)a->kind, a->stage, a->mb);
}

#endif /* PPS_INTERNAL_H */
