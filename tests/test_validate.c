/* test_validate.c — the schedule rules of docs/ir.md: each violation is refused with a message
 * naming rank, position and action; split backward (I/W) schedules validate and simulate. */
#include <math.h>
#include <stdlib.h>

#include "testutil.h"

START_TEST(valid_one_f_one_b_passes)
{
    const char *rows[] = {"0F0,0F1,0B0,0B1", "1F0,1B0,1F1,1B1"};
    pps_schedule *s = schedule_from_rows(2, 2, 2, rows);
    pps_error err = {0};
    ck_assert_msg(pps_schedule_validate(s, &err) == PPS_OK, "%s", err.msg);
    pps_schedule_destroy(s);
}
END_TEST

/* Schedules the rules refuse, one case a row (2 ranks, 2 stages, loop placement; rows r0 and
 * r1), with the exact message. A loop test: each row runs, and fails, on its own, named by its
 * test and case. */
typedef struct refusal_case {
    const char *why;
    int mbs;
    const char *r0, *r1, *msg;
} refusal_case;

static const refusal_case refusal_cases[] = {
    {"action on a rank not owning its stage is refused", 1, "0F0,1F0,0B0", "1B0",
     "rank 0, position 1 (1F0): stage 1 belongs to rank 1"},
    {"duplicate forward is refused", 1, "0F0,0F0,0B0", "1F0,1B0",
     "rank 0, position 1 (0F0): duplicate F for this stage and micro-batch"},
    /* A lowered program where one transfer is written twice on both sides: each pair matches its
     * twin, so only the rule "one SEND_F and one RECV_F per stage and micro-batch" refuses it, as
     * it refuses a duplicated F. */
    {"duplicated send recv pair is refused (case 1)", 1,
     "0F0,0SEND_F0,0SEND_F0,0RECV_B0,0B0", "1RECV_F0,1RECV_F0,1F0,1B0,1SEND_B0",
     "rank 0, position 2 (0SEND_F0): duplicate SEND_F for this stage and micro-batch"},
    {"duplicated send recv pair is refused (case 2)", 1,
     "0F0,0SEND_F0,0RECV_B0,0RECV_B0,0B0", "1RECV_F0,1F0,1B0,1SEND_B0,1SEND_B0",
     "rank 0, position 3 (0RECV_B0): duplicate RECV_B for this stage and micro-batch"},
    {"backward before forward is refused (case 1)", 1, "0B0,0F0", "1F0,1B0",
     "rank 0, position 0 (0B0): backward before its forward 0F0 (position 1)"},
    /* The forward as the first half of an overlapped pair later on. */
    {"backward before forward is refused (case 2)", 2,
     "0F0,0I1,(0F1;0B0)OVERLAP_F_B,0W1", "1F0,1B0,1F1,1B1",
     "rank 0, position 1 (0I1): backward before its forward 0F1 (position 2)"},
    /* Issue 9 item 5: a backward whose forward is nowhere is missing its forward; "before its
     * forward" would send the reader looking for a forward that does not exist. */
    {"backward without any forward is refused as missing (case 1)", 2,
     "0F0,0B0,0B1", "1F0,1B0,1F1,1B1",
     "rank 0, position 2 (0B1): no forward anywhere: 0F1 is missing"},
    {"backward without any forward is refused as missing (case 2)", 1, "0F0,0B0", "1I0,1W0",
     "rank 1, position 0 (1I0): no forward anywhere: 1F0 is missing"},
    {"w before i is refused (case 1)", 1, "0F0,0W0,0I0", "1F0,1B0",
     "rank 0, position 1 (0W0): W before its I 0I0 (position 2)"},
    {"w before i is refused (case 2)", 1, "0F0,0W0", "1F0,1B0",
     "rank 0, position 1 (0W0): no I anywhere: 0I0 is missing"},
    /* A W whose cell has a B later: the B and the W are what conflict. */
    {"w before i is refused (case 3)", 1, "0F0,0W0,0B0", "1F0,1B0",
     "rank 0, position 1 (0W0): B and I/W both given for this stage and micro-batch (the B at "
     "position 2)"},
    {"b together with i is refused", 1, "0F0,0I0,0B0,0W0", "1F0,1B0",
     "rank 0, position 2 (0B0): B and I/W both given for this stage and micro-batch"},
    {"missing backward is refused naming the cell", 2, "0F0,0F1,0B0,0B1", "1F0,1B0,1F1",
     "rank 1, position 2 (1F1): no backward anywhere for this F: 1B1 (or 1I1 and 1W1) is missing"},
    {"i without w is refused (case 1)", 1, "0F0,0I0", "1F0,1B0",
     "rank 0, position 1 (0I0): no W anywhere for this I: 0W0 is missing"},
    /* The I as the second half of an overlapped pair. */
    {"i without w is refused (case 2)", 2, "0F0,(0F1;0I0)OVERLAP_F_B,0B1", "1F0,1B0,1F1,1B1",
     "rank 0, position 1 ((0F1;0I0)OVERLAP_F_B): no W anywhere for this I: 0W0 is missing"},
    {"missing forward is refused", 2, "0F0,0B0", "1F0,1B0",
     "rank 0: stage 0, micro-batch 1 has no action: 0F1 and its backward (0B1, or 0I1 and 0W1) "
     "are missing"},
    {"out of range micro batch is refused", 1, "0F0,0F1,0B0", "1F0,1B0",
     "rank 0, position 1 (0F1): micro-batch 1 is out of range [0, 1)"},
    /* Issue 9 item 5: in a lowered schedule a receive (or its send) that is not there is reported
     * as missing where it is needed, naming the other side; only receives that are all there but
     * in another order than their sends are "out of order", naming both sends involved. */
    {"missing receive is refused as missing (case 1)", 2,
     "0F0,0SEND_F0,0F1,0SEND_F1,0RECV_B0,0B0,0RECV_B1,0B1",
     "1RECV_F0,1F0,1F1,1B0,1SEND_B0,1B1,1SEND_B1",
     "rank 1, position 2 (1F1): the receive of its input, 1RECV_F1, is missing (rank 0 sends it "
     "at position 3: 0SEND_F1)"},
    {"missing receive is refused as missing (case 2)", 2,
     "0F0,0SEND_F0,0F1,0RECV_B0,0B0,0RECV_B1,0B1", "1RECV_F0,1F0,1F1,1B0,1SEND_B0,1B1,1SEND_B1",
     "rank 1, position 2 (1F1): the receive of its input, 1RECV_F1, is missing, and so is its "
     "send 0SEND_F1 on rank 0"},
    /* The backward half of an overlapped pair needs its receive as a B does. */
    {"missing receive is refused as missing (case 3)", 2,
     "0F0,0SEND_F0,(0F1;0B0)OVERLAP_F_B,0SEND_F1,0RECV_B1,0B1",
     "1RECV_F0,1F0,1B0,1SEND_B0,1RECV_F1,1F1,1B1,1SEND_B1",
     "rank 0, position 2 ((0F1;0B0)OVERLAP_F_B): the receive of its input, 0RECV_B0, is missing "
     "(rank 1 sends it at position 3: 1SEND_B0)"},
    {"receive without its send is refused as missing (case 1)", 2,
     "0F0,0SEND_F0,0F1,0RECV_B0,0B0,0RECV_B1,0B1",
     "1RECV_F0,1F0,1RECV_F1,1F1,1B0,1SEND_B0,1B1,1SEND_B1",
     "rank 1, position 2 (1RECV_F1): its send 0SEND_F1 is missing on rank 0"},
    {"receive without its send is refused as missing (case 2)", 1,
     "0F0,0SEND_F0,0RECV_B0,0B0", "1RECV_F0,1F0,1B0",
     "rank 0, position 2 (0RECV_B0): its send 1SEND_B0 is missing on rank 1"},
    {"receives in another order name both sends", 2,
     "0F0,0SEND_F0,0F1,0SEND_F1,0RECV_B0,0B0,0RECV_B1,0B1",
     "1RECV_F1,1RECV_F0,1F0,1B0,1SEND_B0,1F1,1B1,1SEND_B1",
     "rank 1, position 0 (1RECV_F1): receives out of order: its send is 0SEND_F1 (rank 0, "
     "position 3), but the send in its place is 0SEND_F0 (rank 0, position 1); sends and "
     "receives between two ranks must appear in the same order on both sides"},
    {"send before its producer is refused", 1,
     "0SEND_F0,0F0,0RECV_B0,0B0", "1RECV_F0,1F0,1B0,1SEND_B0",
     "rank 0, position 0 (0SEND_F0): sent before the compute action producing it"},
    {"a wait needs an earlier send or reduction (case 1)", 1,
     "0F0,0WAIT_SEND_F0,0SEND_F0,0RECV_B0,0B0", "1RECV_F0,1F0,1B0,1SEND_B0",
     "rank 0, position 1 (0WAIT_SEND_F0): waits for a SEND_F of this stage and micro-batch, but "
     "none comes earlier on this rank"},
    {"a wait needs an earlier send or reduction (case 2)", 1,
     "0F0,0SEND_F0,0RECV_B0,0B0,0WAIT_SEND_F0,0WAIT_SEND_F0", "1RECV_F0,1F0,1B0,1SEND_B0",
     "rank 0, position 5 (0WAIT_SEND_F0): duplicate WAIT_SEND_F for this stage and micro-batch"},
    {"a wait needs an earlier send or reduction (case 3)", 1,
     "0F0,0SEND_F0,0RECV_B0,0B0", "1RECV_F0,1F0,1B0,1WAIT_SEND_B0",
     "rank 1, position 3 (1WAIT_SEND_B0): waits for a SEND_B of this stage and micro-batch, but "
     "none comes earlier on this rank"},
    {"a wait needs an earlier send or reduction (case 4)", 1,
     "0F0,0SEND_F0,0RECV_B0,0B0,1WAIT_SEND_B0", "1RECV_F0,1F0,1B0,1SEND_B0",
     "rank 0, position 4 (1WAIT_SEND_B0): stage 1 belongs to rank 1"},
    {"a wait needs an earlier send or reduction (case 5)", 1,
     "0F0,0SEND_F0,0RECV_B0,0B0,0WAIT_SEND_F1", "1RECV_F0,1F0,1B0,1SEND_B0",
     "rank 0, position 4 (0WAIT_SEND_F1): micro-batch 1 is out of range [0, 1)"},
    {"a wait needs an earlier send or reduction (case 6)", 1,
     "0F0,0SEND_F0,0RECV_B0,0B0,0WAIT_REDUCE_GRAD", "1RECV_F0,1F0,1B0,1SEND_B0",
     "rank 0, position 4 (0WAIT_REDUCE_GRAD): waits for a REDUCE_GRAD of this stage, but none "
     "comes earlier on this rank without its wait"},
    {"a wait needs an earlier send or reduction (case 7)", 1,
     "0F0,0SEND_F0,0RECV_B0,0B0,0REDUCE_GRAD,0WAIT_REDUCE_GRAD,0WAIT_REDUCE_GRAD",
     "1RECV_F0,1F0,1B0,1SEND_B0",
     "rank 0, position 6 (0WAIT_REDUCE_GRAD): waits for a REDUCE_GRAD of this stage, but none "
     "comes earlier on this rank without its wait"},
    /* Not lowered: there is no send to wait for. */
    {"a wait needs an earlier send or reduction (case 8)", 1, "0F0,0B0,0WAIT_SEND_F0", "1F0,1B0",
     "rank 0, position 2 (0WAIT_SEND_F0): waits for a SEND_F of this stage and micro-batch, but "
     "none comes earlier on this rank"},
};

START_TEST(each_rule_refuses_with_its_message)
{
    const refusal_case *c = &refusal_cases[_i];
    const char *rows[] = {c->r0, c->r1};
    pps_schedule *s = schedule_from_rows(2, 2, c->mbs, rows);
    pps_error err = {0};
    pps_status st = pps_schedule_validate(s, &err);
    pps_schedule_destroy(s);
    ck_assert_msg(st == PPS_EINPUT, "%s: status %d, want PPS_EINPUT (%s)", c->why, st, err.msg);
    ck_assert_msg(strcmp(err.msg, c->msg) == 0, "%s:\n got  %s\n want %s", c->why, err.msg,
                  c->msg);
}
END_TEST

START_TEST(send_to_a_stage_on_the_same_rank_is_refused)
{
    const char *rows[] = {"0F0,0SEND_F0,1F0,1B0,0B0"};
    pps_schedule *s = schedule_from_rows(1, 2, 1, rows);
    pps_error err = {0};
    ck_assert_int_eq(pps_schedule_validate(s, &err), PPS_EINPUT);
    ck_assert_str_eq(err.msg, "rank 0, position 1 (0SEND_F0): both stages are on this rank: "
                              "nothing to send or receive");
    pps_schedule_destroy(s);
}
END_TEST

/* P = 2, M = 1, t_F = t_I = t_W = 1, free links, act 4 bytes of which 1 is kept for W.
 * Rank 1: F 1..2, I 2..3, W 3..4. Rank 0: F 0..1, I 3..4 (after rank 1's I), W 4..5.
 * Rank 0 memory: 4 from 0, 1 after I at 4, 0 after W at 5: peak 4. */
START_TEST(split_backward_validates_and_simulates)
{
    const char *rows[] = {"0F0,0I0,0W0", "1F0,1I0,1W0"};
    pps_schedule *s = schedule_from_rows(2, 2, 1, rows), *low = NULL;
    pps_error err = {0};
    ck_assert_msg(pps_schedule_validate(s, &err) == PPS_OK, "%s", err.msg);
    ck_assert_msg(pps_schedule_lower(s, &low, &err) == PPS_OK, "%s", err.msg);
    pps_cost c;
    pps_cost_init(&c);
    c.uniform.ti = 1;
    c.uniform.tw = 1;
    c.uniform.act_bytes = 4;
    c.uniform.act_w_bytes = 1;
    ck_assert_msg(pps_cost_resolve(&c, 2, &err) == PPS_OK, "%s", err.msg);
    pps_timeline *t = NULL;
    ck_assert_msg(pps_simulate(low, &c, &t, &err) == PPS_OK, "%s", err.msg);
    const pps_event *e = find_event(t, 0, "0I0");
    ck_assert_double_eq_tol(e->start, 3, 1e-12);
    e = find_event(t, 0, "0W0");
    ck_assert_double_eq_tol(e->end, 5, 1e-12);
    pps_memory_point *pts = NULL;
    size_t n = 0;
    ck_assert(pps_memory_series(t, 0, &pts, &n, &err) == PPS_OK);
    double peak = 0, last = -1;
    for (size_t i = 0; i < n; i++) {
        peak = fmax(peak, pts[i].bytes);
        last = pts[i].bytes;
    }
    ck_assert_double_eq_tol(peak, 4, 1e-12);
    ck_assert_double_eq_tol(last, 0, 1e-12);
    free(pts);
    pps_timeline_destroy(t);
    pps_schedule_destroy(low);
    pps_schedule_destroy(s);
}
END_TEST

/* PyTorch's 1F1B CSV (idle cells, spaces, REDUCE_GRAD) simulates to the textbook makespan
 * (M + P - 1)(t_F + t_B) = 11 · 3 = 33 for P = 4, M = 8. */
START_TEST(pytorch_csv_simulates_to_textbook_makespan)
{
    pps_schedule *s = NULL, *low = NULL;
    pps_error err = {0};
    ck_assert_msg(pps_schedule_read("../traces/pytorch/1f1b_p4_m8.csv", &s, &err) == PPS_OK,
                  "%s", err.msg);
    ck_assert_msg(pps_schedule_validate(s, &err) == PPS_OK, "%s", err.msg);
    ck_assert_msg(pps_schedule_lower(s, &low, &err) == PPS_OK, "%s", err.msg);
    pps_cost c;
    pps_cost_init(&c);
    ck_assert(pps_cost_resolve_for(&c, s, &err) == PPS_OK);
    pps_timeline *t = NULL;
    ck_assert_msg(pps_simulate(low, &c, &t, &err) == PPS_OK, "%s", err.msg);
    pps_analysis a;
    ck_assert(pps_analyze(t, &a, &err) == PPS_OK);
    ck_assert_double_eq_tol(a.makespan, 33, 1e-12);
    ck_assert_double_eq_tol(a.idle_over_compute, 0.375, 1e-12);
    pps_analysis_clear(&a);
    pps_timeline_destroy(t);
    pps_schedule_destroy(low);
    pps_schedule_destroy(s);
}
END_TEST

/* Waits (PyTorch 2.15): each needs an earlier action of its rank to wait for (the refusals are
 * rows of refusal_cases). */
START_TEST(waits_after_their_send_or_reduction_are_accepted)
{
    const char *r1 = "1RECV_F0,1F0,1B0,1SEND_B0";
    /* Accepted: PyTorch's placement, and a send nobody waits for (the pre-2.15 form). */
    const char *ok[][2] = {{"0F0,0SEND_F0,0RECV_B0,0B0,0WAIT_SEND_F0", r1},
                           {"0F0,0SEND_F0,0RECV_B0,0B0", r1 /* no wait */},
                           {"0F0,0SEND_F0,0WAIT_SEND_F0,0RECV_B0,0B0",
                            "1RECV_F0,1F0,1B0,1SEND_B0,1WAIT_SEND_B0"},
                           {"0F0,0SEND_F0,0RECV_B0,0B0,0REDUCE_GRAD,0WAIT_REDUCE_GRAD", r1}};
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
        pps_schedule *s = schedule_from_rows(2, 2, 1, ok[i]);
        pps_error err = {0};
        ck_assert_msg(pps_schedule_validate(s, &err) == PPS_OK, "%s", err.msg);
        pps_schedule_destroy(s);
    }
}
END_TEST

static Suite *validate_suite(void)
{
    Suite *s = suite_create("validate");
    TCase *tc = tcase_create("rules");
    tcase_add_test(tc, valid_one_f_one_b_passes);
    tcase_add_loop_test(tc, each_rule_refuses_with_its_message, 0,
                        (int)(sizeof refusal_cases / sizeof refusal_cases[0]));
    tcase_add_test(tc, send_to_a_stage_on_the_same_rank_is_refused);
    tcase_add_test(tc, split_backward_validates_and_simulates);
    tcase_add_test(tc, pytorch_csv_simulates_to_textbook_makespan);
    tcase_add_test(tc, waits_after_their_send_or_reduction_are_accepted);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(validate_suite());
}
