/* zb_auto.c — the rows zb-auto (one stage per rank) and zb-v-auto (V placement): the automatic
 * zero-bubble scheduler under a per-rank activation memory limit (docs/schedules.md). */
#include "zb_auto.h"

#include <math.h>

/* The problem of p with its memory limit (default 1x: 1F1B's peak). */
static pps_status setup(const char *who, int v, const pps_gen_params *p, zba_problem *pb,
                        pps_error *err)
{
    if (p->chunks != v)
        return pps_error_set(err, PPS_EUNSUPPORTED, "%s: chunks must be %d (got %d)%s", who, v,
                             p->chunks,
                             v == 1 ? "; on the V placement use zb-v-auto"
                                    : "; with one stage per rank use zb-auto");
    pps_status st = zba_problem_init(pb, p->ranks, v, p->microbatches, p->cost, err);
    if (st != PPS_OK)
        return st;
    const char *limit = pps_gen_option_text(p, "memory-limit");
    st = zba_set_memory_limit(pb, limit ? limit : "1x", who, err);
    if (st != PPS_OK)
        zba_problem_free(pb);
    return st;
}

static pps_status budget_of(const pps_gen_params *p, const zba_problem *pb, long *budget,
                            pps_error *err)
{
    return pps_gen_int_option(p, "search-budget", zba_default_budget(pb), 0, 1000000000L,
                              budget, err);
}

static pps_status check(const char *who, int v, const pps_gen_params *p, pps_error *err)
{
    zba_problem pb;
    pps_status st = setup(who, v, p, &pb, err);
    if (st != PPS_OK)
        return st;
    long budget;
    st = budget_of(p, &pb, &budget, err);
    zba_problem_free(&pb);
    return st;
}

static pps_status generate(const char *who, int v, const pps_gen_params *p, pps_schedule *s,
                           pps_error *err)
{
    zba_problem pb;
    zba_orders best = {0};
    long budget;
    pps_status st = setup(who, v, p, &pb, err);
    if (st != PPS_OK)
        return st;
    if ((st = budget_of(p, &pb, &budget, err)) == PPS_OK &&
        (st = zba_orders_alloc(&best, &pb, err)) == PPS_OK &&
        (st = zba_solve(&pb, budget, &best, NULL, err)) == PPS_OK)
        st = zba_orders_to_schedule(&best, s, err);
    zba_orders_free(&best);
    zba_problem_free(&pb);
    return st;
}

static pps_status zb_auto_check(const pps_gen_params *p, pps_error *err)
{
    return check("zb-auto", 1, p, err);
}

static pps_status zb_auto_generate(const pps_gen_params *p, pps_schedule *s, pps_error *err)
{
    return generate("zb-auto", 1, p, s, err);
}

static pps_status zb_v_auto_check(const pps_gen_params *p, pps_error *err)
{
    return check("zb-v-auto", 2, p, err);
}

static pps_status zb_v_auto_generate(const pps_gen_params *p, pps_schedule *s, pps_error *err)
{
    return generate("zb-v-auto", 2, p, s, err);
}

/* No formula: the step time is what the search finds for the given costs and limit. */
static double no_formula(const pps_gen_params *p, const pps_stage_cost *c)
{
    (void)p;
    (void)c;
    return NAN;
}

static const pps_gen_option zb_auto_options[] = {
    {"memory-limit", "LIMIT",
     "activation per rank: bytes, or a multiple of 1F1B's peak (1x = ZB-1p, 2x = ZB-2p; "
     "zb-v-auto: 1x = ZB-V, 0.5x = V-Half, 1/3x = V-Min); default 1x"},
    {"search-budget", "N",
     "local-search evaluations after the heuristic (default: 2^20 / actions, at most 4000)"},
    {NULL, NULL, NULL},
};

const pps_generator pps_schedule_zb_auto = {
    .name = "zb-auto",
    .aliases = "ZBAuto",
    .summary = "automatic zero-bubble schedule under a memory limit (Qi et al. 2024 §3.1, "
               "then a local search)",
    .placement = PPS_PLACE_LOOP,
    .default_chunks = 1,
    .options = zb_auto_options,
    .check = zb_auto_check,
    .generate = zb_auto_generate,
    .analytic_idle_over_compute = no_formula,
};

const pps_generator pps_schedule_zb_v_auto = {
    .name = "zb-v-auto",
    .aliases = "ZBVAuto",
    .summary = "automatic zero-bubble schedule on the V placement under a memory limit",
    .placement = PPS_PLACE_V,
    .default_chunks = 2,
    .options = zb_auto_options,
    .check = zb_v_auto_check,
    .generate = zb_v_auto_generate,
    .analytic_idle_over_compute = no_formula,
};
