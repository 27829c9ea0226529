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
    /* The field callers decide by (they name the costs file), kept when a prefix is added. */
    ck_assert_int_eq(err.topic, PPS_TOPIC_COSTS);
    pps_error_prefix(&err, "c.json");
    ck_assert_int_eq(err.topic, PPS_TOPIC_COSTS);
    ck_assert_str_eq(err.msg, "c.json: costs: 3 per-stage entries given, the schedule has 4 "
                              "stages");
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
        ck_assert_int_eq(err.topic, PPS_TOPIC_NONE); /* the reader names its file itself */
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

/* A schedule shell with the given placement, for resolving costs (programs stay empty). */
static pps_schedule *shell(int ranks, int stages, pps_placement pl, const int32_t *stage_rank)
{
    pps_schedule *s = NULL;
    pps_error err = {0};
    ck_assert_msg(pps_schedule_create(ranks, stages, 1, pl, stage_rank, &s, &err) == PPS_OK, "%s",
                  err.msg);
    return s;
}

START_TEST(uniform_costs_are_a_ranks_share_split_over_its_stages)
{
    /* Rank share t_F = 3, t_I = 2, t_W = 1, act 8, act_w 2, a transfer of 5 bytes, tfb 6; with
     * v = 2 stages per rank each stage takes half of every time and activation, and a transfer
     * between stages still carries 5 bytes. */
    pps_cost c;
    pps_error err = {0};
    ck_assert_msg(parse("{\"version\": 1, \"uniform\": {\"tf\": 3, \"ti\": 2, \"tw\": 1, "
                        "\"act_bytes\": 8, \"act_w_bytes\": 2, \"send_bytes\": 5, \"tfb\": 6}}",
                        &c, &err) == PPS_OK, "%s", err.msg);
    pps_schedule *loop = shell(2, 4, PPS_PLACE_LOOP, NULL), *v = shell(3, 6, PPS_PLACE_V, NULL);
    const pps_schedule *both[2] = {loop, v};
    for (int k = 0; k < 2; k++) {
        ck_assert_msg(pps_cost_resolve_for(&c, both[k], &err) == PPS_OK, "%s", err.msg);
        for (int st = 0; st < both[k]->stages; st++) {
            pps_stage_cost x = pps_cost_of_stage(&c, st);
            ck_assert_double_eq(x.tf, 1.5);
            ck_assert_double_eq(x.ti, 1);
            ck_assert_double_eq(x.tw, 0.5);
            ck_assert_double_eq(x.tb, 1.5);
            ck_assert_double_eq(x.act_bytes, 4);
            ck_assert_double_eq(x.act_w_bytes, 1);
            ck_assert_double_eq(x.send_bytes, 5);
            ck_assert_double_eq(x.tfb, 3);
        }
    }
    /* Resolved again for one stage per rank, nothing is split: the given values are kept. */
    ck_assert(pps_cost_resolve(&c, 4, &err) == PPS_OK);
    ck_assert_double_eq(pps_cost_of_stage(&c, 3).tf, 3);
    ck_assert_double_eq(pps_cost_of_stage(&c, 3).act_bytes, 8);
    pps_schedule_destroy(loop);
    pps_schedule_destroy(v);
    pps_cost_clear(&c);
}
END_TEST

START_TEST(per_stage_entries_stay_per_stage_and_inherit_the_split_values)
{
    /* Two ranks, two stages each: stage 1 gives its own t_F = 7 (kept as given); its t_B and
     * activation come from the uniform share halved: 4/2 = 2 and 6/2 = 3. */
    pps_cost c;
    pps_error err = {0};
    ck_assert_msg(parse("{\"version\": 1, \"uniform\": {\"tf\": 2, \"tb\": 4, \"act_bytes\": 6},"
                        " \"stages\": [{}, {\"tf\": 7}, {}, {\"act_bytes\": 10}]}", &c, &err) ==
                  PPS_OK, "%s", err.msg);
    pps_schedule *s = shell(2, 4, PPS_PLACE_LOOP, NULL);
    ck_assert_msg(pps_cost_resolve_for(&c, s, &err) == PPS_OK, "%s", err.msg);
    ck_assert_double_eq(pps_cost_of_stage(&c, 0).tf, 1);
    ck_assert_double_eq(pps_cost_of_stage(&c, 1).tf, 7);
    ck_assert_double_eq(pps_cost_of_stage(&c, 1).tb, 2);
    ck_assert_double_eq(pps_cost_of_stage(&c, 1).act_bytes, 3);
    ck_assert_double_eq(pps_cost_of_stage(&c, 3).act_bytes, 10);
    pps_schedule_destroy(s);
    pps_cost_clear(&c);
}
END_TEST

START_TEST(an_uneven_placement_splits_each_ranks_share_over_its_own_stages)
{
    /* Three stages on two ranks: rank 0 holds stages 0 and 2, rank 1 holds stage 1 alone. */
    const int32_t owner[3] = {0, 1, 0};
    pps_schedule *s = shell(2, 3, PPS_PLACE_EXPLICIT, owner);
    pps_cost c;
    pps_error err = {0};
    pps_cost_init(&c);
    c.uniform.tf = 4;
    ck_assert_msg(pps_cost_resolve_for(&c, s, &err) == PPS_OK, "%s", err.msg);
    ck_assert_double_eq(pps_cost_of_stage(&c, 0).tf, 2);
    ck_assert_double_eq(pps_cost_of_stage(&c, 1).tf, 4);
    ck_assert_double_eq(pps_cost_of_stage(&c, 2).tf, 2);
    ck_assert_double_eq(pps_cost_of_stage(&c, 1).tb, 2); /* default t_B = 2, not split */
    pps_schedule_destroy(s);
    pps_cost_clear(&c);
}
END_TEST

START_TEST(overlapped_f_and_b_take_the_sum_of_their_halves_unless_tfb_is_set)
{
    /* Stage 0: t_F = 1, t_B = 3 (t_I = 2, t_W = 1); stage 1: t_F = 2, t_B = 4 (2 and 2). */
    pps_cost c;
    pps_error err = {0};
    ck_assert_msg(parse("{\"version\": 1, \"stages\": [{\"tf\": 1, \"ti\": 2, \"tw\": 1},"
                        " {\"tf\": 2, \"tb\": 4}]}", &c, &err) == PPS_OK, "%s", err.msg);
    ck_assert(pps_cost_resolve(&c, 2, &err) == PPS_OK);
    pps_action fb, fi;
    ck_assert(pps_action_parse("(0F1;1B0)OVERLAP_F_B", 20, &fb, &err) == PPS_OK);
    ck_assert(pps_action_parse("(1F1;0I0)OVERLAP_F_B", 20, &fi, &err) == PPS_OK);
    ck_assert_double_eq(pps_cost_duration(&c, &fb), 1 + 4); /* t_F(0) + t_B(1) */
    ck_assert_double_eq(pps_cost_duration(&c, &fi), 2 + 2); /* t_F(1) + t_I(0) */
    /* tfb of the forward half's stage: (F;B) takes it; (F;I) takes tfb − t_W of the backward
     * stage, never less than its longer half. */
    c.stage[0].tfb = 4.5;
    c.stage[1].tfb = 3.5;
    ck_assert(pps_cost_resolve(&c, 2, &err) == PPS_OK);
    ck_assert_double_eq(pps_cost_duration(&c, &fb), 4.5);
    ck_assert_double_eq(pps_cost_duration(&c, &fi), 2.5);      /* 3.5 − t_W(0) = 2.5 */
    c.stage[1].tfb = 2.5;
    ck_assert(pps_cost_resolve(&c, 2, &err) == PPS_OK);
    ck_assert_double_eq(pps_cost_duration(&c, &fi), 2);        /* max(2.5 − 1, t_F, t_I) = 2 */
    pps_cost_clear(&c);
}
END_TEST

START_TEST(a_negative_tfb_is_refused)
{
    pps_cost c;
    pps_error err = {0};
    ck_assert_int_eq(parse("{\"version\": 1, \"uniform\": {\"tfb\": -1}}", &c, &err), PPS_EINPUT);
    ck_assert_str_eq(err.msg, "c.json: $.uniform.tfb: -1 is out of range [0, 1e+15]");
}
END_TEST

/* Prices gpipe with P = 1 (one stage, no transfers) and M micro-batches under t_F = 1 and
 * t_B = tb; returns pps_price's status, err its message. */
static pps_status price_one_stage(int M, double tb, pps_error *err)
{
    pps_gen_params p = {.ranks = 1, .microbatches = M};
    pps_schedule *s = NULL;
    pps_prices pr = {0};
    pps_cost c;
    pps_cost_init(&c);
    c.uniform.tb = tb;
    ck_assert(pps_generate(pps_generator_find("gpipe"), &p, &s, err) == PPS_OK);
    ck_assert_msg(pps_cost_resolve_for(&c, s, err) == PPS_OK, "%s", err->msg);
    pps_status st = pps_price(s, &c, &pr, err);
    pps_prices_clear(&pr);
    pps_schedule_destroy(s);
    pps_cost_clear(&c);
    return st;
}

/* The step of one stage lasts at most M (t_F + t_B); its smallest cost is t_F = 1 (t_I and t_W
 * are t_B / 2). With t_B = 2^41: M = 3 gives 3 (1 + 2^41) ≈ 6.6e12 ≤ 2^43 ≈ 8.8e12, accepted;
 * M = 4 gives 4 + 2^43 > 2^43, refused, where t_F would keep under 10 bits. */
START_TEST(a_step_may_last_at_most_2_to_the_43_times_its_smallest_cost)
{
    pps_error err = {0};
    ck_assert_msg(price_one_stage(3, 0x1p41, &err) == PPS_OK, "%s", err.msg);
    ck_assert_int_eq(price_one_stage(4, 0x1p41, &err), PPS_EINPUT);
    ck_assert_int_eq(err.topic, PPS_TOPIC_COSTS);
    ck_assert_str_eq(err.msg, "costs: tf = 1 s (of stage 0) is lost to rounding in a step that "
                              "may last 8.8e+12 s (largest cost: tb = 2199023255552 s (of stage "
                              "0)); the costs of a step may add up to at most 2^43 (8.8e12) times "
                              "its smallest non-zero compute time");
    /* A zero cost is never too small: only non-zero costs can be rounded away. */
    ck_assert_msg(price_one_stage(4, 0, &err) == PPS_OK, "%s", err.msg);
}
END_TEST

/* The two cases on 1F1B, P = 4, M = 8: a latency of 1e15 s beside times of 1 ms (the
 * ranks' busy time came out 0), and 1e15 bytes over 1e-300 B/s (an infinite makespan). */
START_TEST(transfers_that_overflow_or_swamp_the_compute_are_refused)
{
    pps_gen_params p = {.ranks = 4, .microbatches = 8};
    pps_schedule *s = NULL;
    pps_error err = {0};
    ck_assert(pps_generate(pps_generator_find("1f1b"), &p, &s, &err) == PPS_OK);
    pps_cost c;
    pps_prices pr = {0};
    pps_cost_init(&c);
    c.uniform.tf = 0.001;
    c.uniform.tb = 0.002;
    c.intra.latency = c.inter.latency = 1e15;
    ck_assert(pps_cost_resolve_for(&c, s, &err) == PPS_OK);
    ck_assert_int_eq(pps_price(s, &c, &pr, &err), PPS_EINPUT);
    ck_assert_ptr_nonnull(strstr(err.msg, "tf = 0.001 s (of stage 0) is lost to rounding"));
    ck_assert_ptr_nonnull(strstr(err.msg, "largest cost: intra-node latency = 1000000000000000 s"));
    pps_cost_init(&c);
    c.uniform.send_bytes = 1e15;
    c.intra.bandwidth = c.inter.bandwidth = 1e-300;
    ck_assert(pps_cost_resolve_for(&c, s, &err) == PPS_OK);
    ck_assert_int_eq(pps_price(s, &c, &pr, &err), PPS_EINPUT);
    ck_assert_str_eq(err.msg, "costs: the transfer from stage 0 to stage 1 takes latency + "
                              "send_bytes / bandwidth = inf s (1000000000000000 B at 1e-300 B/s "
                              "on the intra-node link); a time may be at most 1e+15 s");
    pps_prices_clear(&pr);
    pps_cost_clear(&c);
    pps_schedule_destroy(s);
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
    tcase_add_test(tc, uniform_costs_are_a_ranks_share_split_over_its_stages);
    tcase_add_test(tc, per_stage_entries_stay_per_stage_and_inherit_the_split_values);
    tcase_add_test(tc, an_uneven_placement_splits_each_ranks_share_over_its_own_stages);
    tcase_add_test(tc, overlapped_f_and_b_take_the_sum_of_their_halves_unless_tfb_is_set);
    tcase_add_test(tc, a_negative_tfb_is_refused);
    tcase_add_test(tc, a_step_may_last_at_most_2_to_the_43_times_its_smallest_cost);
    tcase_add_test(tc, transfers_that_overflow_or_swamp_the_compute_are_refused);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(cost_suite());
}
