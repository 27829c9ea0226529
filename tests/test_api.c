/* test_api.c — the conventions sim/ppsim.h states once for every function: each _destroy and
 * _clear accepts NULL and a zeroed struct, a failed call leaves its results cleared, and derived
 * fields follow what they are derived from. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "ppsim.h"
#include "testutil.h"

START_TEST(every_destroy_and_clear_accepts_null)
{
    /* Each of the header's _destroy and _clear functions, and pps_outfile_abort. A crash here
     * (or an ASan/valgrind report in CI) is the failure. */
    pps_schedule_destroy(NULL);
    pps_timeline_destroy(NULL);
    pps_cost_clear(NULL);
    pps_prices_clear(NULL);
    pps_analysis_clear(NULL);
    pps_bounds_clear(NULL);
    pps_batch_destroy(NULL);
    pps_outfile_abort(NULL);
    pps_diff_clear(NULL);
    pps_profile_destroy(NULL);
    pps_range_clear(NULL);
    pps_partition_destroy(NULL);
    pps_plan_eval_clear(NULL);
    pps_plan_result_clear(NULL);
}
END_TEST

START_TEST(every_clear_accepts_a_zeroed_struct_twice)
{
    pps_cost c;
    pps_prices p;
    pps_analysis a;
    pps_bounds b;
    pps_outfile o;
    pps_diff d;
    pps_range r;
    pps_plan_eval e;
    pps_plan_result pr;
    memset(&c, 0, sizeof c);
    memset(&p, 0, sizeof p);
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    memset(&o, 0, sizeof o);
    memset(&d, 0, sizeof d);
    memset(&r, 0, sizeof r);
    memset(&e, 0, sizeof e);
    memset(&pr, 0, sizeof pr);
    for (int i = 0; i < 2; i++) {
        pps_cost_clear(&c);
        pps_prices_clear(&p);
        pps_analysis_clear(&a);
        pps_bounds_clear(&b);
        pps_outfile_abort(&o);
        pps_diff_clear(&d);
        pps_range_clear(&r);
        pps_plan_eval_clear(&e);
        pps_plan_result_clear(&pr);
    }
    ck_assert_ptr_null(c.stage);
    ck_assert_ptr_null(a.per_rank);
    ck_assert_ptr_null(d.busy);
    ck_assert_ptr_null(r.values);
}
END_TEST

/* What a failed call must leave in the caller's analysis, whatever it held before: no per-rank
 * array to free, no ranks. */
static void assert_analysis_cleared(const pps_analysis *a)
{
    ck_assert_ptr_null(a->per_rank);
    ck_assert_int_eq(a->ranks, 0);
}

/* A 1F1B schedule of 2 ranks, 2 micro-batches, and its simulated timeline. */
static pps_schedule *small_schedule(void)
{
    return schedule_from_rows(2, 2, 2, (const char *[]){"0F0,0F1,0B0,0B1", "1F0,1B0,1F1,1B1"});
}

START_TEST(a_failed_analysis_leaves_its_result_cleared)
{
    pps_timeline *t = NULL;
    pps_error err = {0};
    ck_assert(pps_timeline_create(2, 2, 2, &t, &err) == PPS_OK);
    pps_analysis a;
    memset(&a, 0x5a, sizeof a); /* whatever the caller's variable held */
    ck_assert_int_eq(pps_analyze(t, &a, &err), PPS_EINPUT); /* no events */
    assert_analysis_cleared(&a);
    pps_timeline_destroy(t);
}
END_TEST

START_TEST(a_failed_simulation_leaves_every_output_cleared)
{
    pps_schedule *s = small_schedule();
    pps_error err = {0};
    /* A forward of 1 ns beside a latency of 1e9 s would be lost to rounding (docs/cost-model.md,
     * "Limits"): pricing fails, before any core runs. */
    pps_cost c;
    pps_cost_init(&c);
    c.uniform.tf = 1e-9;
    c.intra.latency = c.inter.latency = 1e9;
    ck_assert(pps_cost_resolve_for(&c, s, &err) == PPS_OK);
    pps_analysis a;
    memset(&a, 0x5a, sizeof a);
    ck_assert_int_eq(pps_simulate_summary(s, &c, &a, &err), PPS_EINPUT);
    ck_assert_int_eq(err.topic, PPS_TOPIC_COSTS);
    assert_analysis_cleared(&a);
    pps_timeline *t = (pps_timeline *)&c; /* any non-NULL value */
    ck_assert_int_eq(pps_simulate(s, &c, &t, &err), PPS_EINPUT);
    ck_assert_ptr_null(t);
    pps_cost_clear(&c);
    pps_schedule_destroy(s);
}
END_TEST

START_TEST(a_failed_diff_leaves_its_result_cleared)
{
    pps_schedule *s = small_schedule();
    pps_error err = {0};
    pps_cost c;
    pps_cost_init(&c);
    ck_assert(pps_cost_resolve_for(&c, s, &err) == PPS_OK);
    pps_timeline *pred = NULL, *empty = NULL;
    ck_assert(pps_simulate(s, &c, &pred, &err) == PPS_OK);
    ck_assert(pps_timeline_create(2, 2, 2, &empty, &err) == PPS_OK);
    /* Shapes agree, so the diff gets as far as analysing the measured side, which has no
     * events: a result half filled (ranks, stages) must come back cleared. */
    pps_diff d;
    memset(&d, 0x5a, sizeof d);
    ck_assert_int_eq(pps_timeline_diff(pred, empty, &d, &err), PPS_EINPUT);
    ck_assert_str_eq(err.msg, "measured timeline: analysis: the timeline has no events");
    ck_assert_int_eq(d.ranks, 0);
    ck_assert_int_eq(d.stages, 0);
    ck_assert_ptr_null(d.busy);
    pps_diff_clear(&d); /* harmless */
    pps_timeline_destroy(pred);
    pps_timeline_destroy(empty);
    pps_cost_clear(&c);
    pps_schedule_destroy(s);
}
END_TEST

START_TEST(a_failed_range_parse_leaves_its_result_cleared)
{
    pps_range r;
    memset(&r, 0x5a, sizeof r);
    pps_error err = {0};
    ck_assert_int_eq(pps_range_parse("2-8,x", 1, 100, &r, &err), PPS_EINPUT);
    ck_assert_ptr_null(r.values);
    ck_assert_uint_eq(r.n, 0);
}
END_TEST

START_TEST(a_failed_read_returns_null_and_names_its_file)
{
    pps_error err = {0};
    pps_schedule *s = (pps_schedule *)&err;
    pps_timeline *t = (pps_timeline *)&err;
    pps_profile *p = (pps_profile *)&err;
    const char *path = "no/such/file.json";
    ck_assert_int_eq(pps_schedule_read(path, &s, &err), PPS_EIO);
    ck_assert_ptr_null(s);
    ck_assert_int_eq(strncmp(err.msg, path, strlen(path)), 0);
    ck_assert_int_eq(pps_timeline_read(path, &t, &err), PPS_EIO);
    ck_assert_ptr_null(t);
    ck_assert_int_eq(strncmp(err.msg, path, strlen(path)), 0);
    ck_assert_int_eq(pps_profile_read(path, &p, &err), PPS_EIO);
    ck_assert_ptr_null(p);
    ck_assert_int_eq(strncmp(err.msg, path, strlen(path)), 0);
    pps_cost c;
    pps_cost_init(&c);
    ck_assert_int_eq(pps_cost_read(path, &c, &err), PPS_EIO);
    ck_assert_int_eq(strncmp(err.msg, path, strlen(path)), 0);
    pps_cost_clear(&c);
    pps_model m;
    ck_assert_int_eq(pps_model_read(path, &m, &err), PPS_EIO);
    ck_assert_int_eq(strncmp(err.msg, path, strlen(path)), 0);
    pps_sweep_row *rows = (pps_sweep_row *)&err;
    size_t nrows = 1;
    ck_assert_int_eq(pps_sweep_read_csv(path, &rows, &nrows, &err), PPS_EIO);
    ck_assert_ptr_null(rows);
    ck_assert_uint_eq(nrows, 0);
    ck_assert_int_eq(strncmp(err.msg, path, strlen(path)), 0);
    const char *bad = "{\"format\": \"ppsim-schedule\", \"version\": 1, \"ranks\": 0}";
    ck_assert_int_eq(pps_schedule_parse_json(bad, strlen(bad), "x.json", &s, &err), PPS_EINPUT);
    ck_assert_ptr_null(s);
    ck_assert_int_eq(strncmp(err.msg, "x.json: ", 8), 0);
}
END_TEST

START_TEST(lowered_follows_the_programs)
{
    pps_schedule *s = NULL, *stripped = NULL;
    pps_error err = {0};
    ck_assert(pps_schedule_create(2, 2, 1, PPS_PLACE_LOOP, NULL, &s, &err) == PPS_OK);
    ck_assert(pps_schedule_append(s, 0, pps_action_make(PPS_F, 0, 0), &err) == PPS_OK);
    ck_assert_int_eq(s->lowered, 0);
    ck_assert(pps_schedule_append(s, 0, pps_action_make(PPS_SEND_F, 0, 0), &err) == PPS_OK);
    ck_assert_int_eq(s->lowered, 1); /* a SEND makes it a lowered schedule */
    ck_assert(pps_schedule_strip_comms(s, &stripped, &err) == PPS_OK);
    ck_assert_int_eq(stripped->lowered, 0);
    pps_schedule_destroy(stripped);
    pps_schedule_destroy(s);
}
END_TEST

static Suite *api_suite(void)
{
    Suite *s = suite_create("api");
    TCase *tc = tcase_create("conventions");
    tcase_add_test(tc, every_destroy_and_clear_accepts_null);
    tcase_add_test(tc, every_clear_accepts_a_zeroed_struct_twice);
    tcase_add_test(tc, a_failed_analysis_leaves_its_result_cleared);
    tcase_add_test(tc, a_failed_simulation_leaves_every_output_cleared);
    tcase_add_test(tc, a_failed_diff_leaves_its_result_cleared);
    tcase_add_test(tc, a_failed_range_parse_leaves_its_result_cleared);
    tcase_add_test(tc, a_failed_read_returns_null_and_names_its_file);
    tcase_add_test(tc, lowered_follows_the_programs);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(api_suite());
}
