/* test_cost.c — the cost model: derived backward times, per-stage files, link costs, refusals. */
#include <math.h>
#include <stdlib.h>

#include "testutil.h"

static pps_status parse(const char *json, pps_cost *c, pps_error *err)
{
    pps_cost_init(c);
    return pps_cost_parse_json(json, strlen(json), "c.json", c, err);
}

START_TEST(defaults_split_backward_evenly)
{
    pps_cost c;
    pps_cost_init(&c);
    pps_error err = {0};
    ck_assert(pps_cost_resolve(&c, 4, &err) == PPS_OK);
    pps_stage_cost x = pps_cost_of_stage(&c, 3);
    ck_assert_double_eq(x.tf, 1);
    ck_assert_double_eq(x.tb, 2);
    ck_assert_double_eq(x.ti, 1);
    ck_assert_double_eq(x.tw, 1);
}
END_TEST

START_TEST(i_and_w_define_b)
{
    pps_cost c;
    pps_error err = {0};
    ck_assert_msg(parse("{\"version\": 1, \"uniform\": {\"ti\": 1.5, \"tw\": 0.25}}", &c, &err) ==
                  PPS_OK, "%s", err.msg);
    ck_assert(pps_cost_resolve(&c, 2, &err) == PPS_OK);
    ck_assert_double_eq_tol(pps_cost_of_stage(&c, 0).tb, 1.75, 1e-15);
}
END_TEST

START_TEST(inconsistent_b_i_w_is_refused)
{
    pps_cost c;
    pps_error err = {0};
    ck_assert(parse("{\"version\": 1, \"uniform\": {\"tb\": 3, \"ti\": 1, \"tw\": 1}}", &c, &err) ==
              PPS_OK);
    ck_assert_int_eq(pps_cost_resolve(&c, 2, &err), PPS_EINPUT);
    ck_assert_str_eq(err.msg, "costs: ti + tw = 2 differs from tb = 3");
}
END_TEST

START_TEST(per_stage_entries_inherit_uniform_values)
{
    pps_cost c;
    pps_error err = {0};
    ck_assert_msg(parse("{\"version\": 1, \"uniform\": {\"tf\": 2, \"act_bytes\": 8},"
                        " \"stages\": [{}, {\"tb\": 6}]}", &c, &err) == PPS_OK, "%s", err.msg);
    ck_assert_msg(pps_cost_resolve(&c, 2, &err) == PPS_OK, "%s", err.msg);
    pps_stage_cost s0 = pps_cost_of_stage(&c, 0), s1 = pps_cost_of_stage(&c, 1);
    ck_assert_double_eq(s0.tf, 2);
    ck_assert_double_eq(s0.tb, 2);
    ck_assert_double_eq(s1.tf, 2);
    ck_assert_double_eq(s1.tb, 6);
    ck_assert_double_eq(s1.ti, 3); /* t_B given alone splits evenly */
    ck_assert_double_eq(s1.act_bytes, 8);
    pps_cost_clear(&c);
}
END_TEST

START_TEST(stage_count_must_match_the_schedule)
{
    pps_cost c;
    pps_error err = {0};
    ck_assert(parse("{\"version\": 1, \"stages\": [{}, {}, {}]}", &c, &err) == PPS_OK);
    ck_assert_int_eq(pps_cost_resolve(&c, 4, &err), PPS_EINPUT);
    ck_assert_str_eq(err.msg, "costs: 3 per-stage entries given, the schedule has 4 stages");
    pps_cost_clear(&c);
}
END_TEST

START_TEST(bad_cost_files_name_path_and_field)
{
    struct { const char *json, *msg; } cases[] = {
        {"{\"version\": 1, \"uniform\": {\"tf\": -1}}",
         "c.json: $.uniform.tf: -1 is out of range [0, 1e+15]"},
        {"{\"version\": 1, \"uniform\": {\"tf\": 1e999}}", "c.json: $.uniform.tf: number is not finite"},
        {"{\"version\": 1, \"uniform\": {\"tf\": \"1\"}}",
         "c.json: $.uniform.tf: expected a number, got a string"},
        {"{\"version\": 1, \"uniform\": {\"tff\": 1}}", "c.json: $.uniform.tff: unknown field"},
        {"{\"uniform\": {}}", "c.json: $.version: missing required field"},
        {"{\"version\": 2}", "c.json: $.version: 2 is out of range [1, 1]"},
        {"{\"version\": 1, \"comm\": \"async\"}",
         "c.json: $.comm: expected \"overlap\" or \"sync\", got \"async\""},
        {"{\"version\": 1, \"stages\": [3]}", "c.json: $.stages[0]: expected an object, got a number"},
        {"{\"version\": 1, \"links\": {\"intra\": {\"latency\": -2}}}",
         "c.json: $.links.intra.latency: -2 is out of range [0, 1e+15]"},
        {"[1]", "c.json: $: expected an object, got an array"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        pps_cost c;
        pps_error err = {0};
        ck_assert_int_eq(parse(cases[i].json, &c, &err), PPS_EINPUT);
        ck_assert_str_eq(err.msg, cases[i].msg);
        pps_cost_clear(&c);
    }
}
END_TEST

START_TEST(transfer_is_latency_plus_bytes_over_bandwidth_by_node)
{
    pps_cost c;
    pps_cost_init(&c);
    c.intra = (pps_link){.latency = 1e-6, .bandwidth = 1e9};
    c.inter = (pps_link){.latency = 1e-5, .bandwidth = 1e8};
    c.ranks_per_node = 4;
    ck_assert_double_eq_tol(pps_cost_transfer(&c, 1, 2, 1e6), 1e-6 + 1e-3, 1e-15);
    ck_assert_double_eq_tol(pps_cost_transfer(&c, 3, 4, 1e6), 1e-5 + 1e-2, 1e-15);
    c.intra.bandwidth = 0; /* unlimited */
    ck_assert_double_eq_tol(pps_cost_transfer(&c, 0, 1, 1e6), 1e-6, 1e-15);
}
END_TEST

/* 1F1B P = 2, M = 2, free links; stage 0 t_F = 1, t_B = 2; stage 1 t_F = 2, t_B = 4.
 * Rank 1: F0 1..3, B0 3..7, F1 7..9, B1 9..13. Rank 0: F0 0..1, F1 1..2, B0 7..9, B1 13..15. */
START_TEST(per_stage_costs_drive_the_simulation)
{
    const char *rows[] = {"0F0,0F1,0B0,0B1", "1F0,1B0,1F1,1B1"};
    pps_schedule *s = schedule_from_rows(2, 2, 2, rows), *low = NULL;
    pps_cost c;
    pps_error err = {0};
    ck_assert(parse("{\"version\": 1, \"stages\": [{\"tf\": 1, \"tb\": 2}, {\"tf\": 2, \"tb\": 4}]}",
                    &c, &err) == PPS_OK);
    ck_assert_msg(pps_cost_resolve(&c, 2, &err) == PPS_OK, "%s", err.msg);
    ck_assert(pps_schedule_lower(s, &low, &err) == PPS_OK);
    pps_timeline *t = NULL;
    ck_assert_msg(pps_simulate(low, &c, &t, &err) == PPS_OK, "%s", err.msg);
    ck_assert_double_eq_tol(find_event(t, 1, "1B1")->end, 13, 1e-12);
    ck_assert_double_eq_tol(find_event(t, 0, "0B0")->start, 7, 1e-12);
    ck_assert_double_eq_tol(find_event(t, 0, "0B1")->end, 15, 1e-12);
    pps_timeline_destroy(t);
    pps_schedule_destroy(low);
    pps_schedule_destroy(s);
    pps_cost_clear(&c);
}
END_TEST

static Suite *cost_suite(void)
{
    Suite *s = suite_create("cost");
    TCase *tc = tcase_create("model");
    tcase_add_test(tc, defaults_split_backward_evenly);
    tcase_add_test(tc, i_and_w_define_b);
    tcase_add_test(tc, inconsistent_b_i_w_is_refused);
    tcase_add_test(tc, per_stage_entries_inherit_uniform_values);
    tcase_add_test(tc, stage_count_must_match_the_schedule);
    tcase_add_test(tc, bad_cost_files_name_path_and_field);
    tcase_add_test(tc, transfer_is_latency_plus_bytes_over_bandwidth_by_node);
    tcase_add_test(tc, per_stage_costs_drive_the_simulation);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(cost_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
