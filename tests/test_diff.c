/* test_diff.c — predicted vs measured timelines: makespan, bubble and busy errors, event matching,
 * clock shift, error distributions, the worst actions and the tolerance rule. */
#include <math.h>
#include <stdlib.h>

#include "testutil.h"

/* One event as text: rank, stream (PPS_STREAM_*), peer, action, start, end. */
typedef struct ev {
    int rank, stream, peer;
    const char *action;
    double start, end;
} ev;

/* Builds a timeline of the given sizes from events; fails the test on any error. */
static pps_timeline *timeline_of(int ranks, int stages, int microbatches, const ev *evs, size_t n)
{
    pps_timeline *t = NULL;
    pps_error err = {0};
    ck_assert_msg(pps_timeline_create(ranks, stages, microbatches, &t, &err) == PPS_OK, "%s",
                  err.msg);
    for (size_t i = 0; i < n; i++) {
        pps_event e = {.start = evs[i].start, .end = evs[i].end, .rank = evs[i].rank,
                       .peer = evs[i].peer, .stream = (uint8_t)evs[i].stream};
        ck_assert_msg(pps_action_parse(evs[i].action, strlen(evs[i].action), &e.action, &err) ==
                      PPS_OK, "%s", err.msg);
        ck_assert(pps_timeline_append(t, &e, &err) == PPS_OK);
    }
    return t;
}

/* Diffs the timelines of events pe (predicted) and me (measured), both of the given sizes, into
 * *d (the caller clears it); fails the test on any error. */
static void diff_events(int ranks, int stages, int microbatches, const ev *pe, size_t npe,
                        const ev *me, size_t nme, pps_diff *d)
{
    pps_timeline *p = timeline_of(ranks, stages, microbatches, pe, npe);
    pps_timeline *m = timeline_of(ranks, stages, microbatches, me, nme);
    pps_error err = {0};
    ck_assert_msg(pps_timeline_diff(p, m, d, &err) == PPS_OK, "%s", err.msg);
    pps_timeline_destroy(p);
    pps_timeline_destroy(m);
}

#define C PPS_STREAM_COMPUTE
#define S PPS_STREAM_SEND
#define R PPS_STREAM_RECV

/* Predicted: two ranks, two stages, one micro-batch, t_F = 10, t_B = 20, free communication.
 *   rank 0: F 0..10, SEND_F at 10, RECV_B posted at 10 and arriving at 40, B 40..60
 *   rank 1: RECV_F 0..10, F 10..20, B 20..40, SEND_B at 40
 * makespan 60, busy 30 per rank. */
static const ev predicted[] = {
    {0, C, -1, "0F0", 0, 10},   {0, S, 1, "0SEND_F0", 10, 10},
    {0, R, 1, "0RECV_B0", 10, 40}, {0, C, -1, "0B0", 40, 60},
    {1, R, 0, "1RECV_F0", 0, 10}, {1, C, -1, "1F0", 10, 20},
    {1, C, -1, "1B0", 20, 40},  {1, S, 0, "1SEND_B0", 40, 40},
};

/* Measured: rank 1 computes 10% slower (F 11, B 22), and the clock starts at 100.
 * Shifted to 0: rank 1's F ends at 21, its B runs 21..43, so rank 0's RECV_B arrives at 43 and
 * its B runs 43..63. makespan 63. */
static const ev measured[] = {
    {0, C, -1, "0F0", 100, 110},  {0, S, 1, "0SEND_F0", 110, 110},
    {0, R, 1, "0RECV_B0", 110, 143}, {0, C, -1, "0B0", 143, 163},
    {1, R, 0, "1RECV_F0", 100, 110}, {1, C, -1, "1F0", 110, 121},
    {1, C, -1, "1B0", 121, 143},  {1, S, 0, "1SEND_B0", 143, 143},
};

#define N(a) (sizeof(a) / sizeof *(a))

START_TEST(slower_rank_gives_busy_and_makespan_errors_worked_by_hand)
{
    pps_diff d;
    diff_events(2, 2, 1, predicted, N(predicted), measured, N(measured), &d);
    /* makespan 60 → 63: (63 − 60) / 60 = 0.05 */
    ck_assert_double_eq(d.makespan.pred, 60);
    ck_assert_double_eq(d.makespan.meas, 63);
    ck_assert_double_eq(d.makespan.rel_error, 0.05);
    /* busy: rank 0 30 → 30 (0), rank 1 30 → 33 (3 / 30 = 0.10) */
    ck_assert_double_eq(d.busy[0].rel_error, 0);
    ck_assert_double_eq(d.busy[1].pred, 30);
    ck_assert_double_eq(d.busy[1].meas, 33);
    ck_assert_double_eq(d.busy[1].rel_error, 0.1);
    /* idle/total: 60 / (2·60) = 0.5 and 63 / (2·63) = 0.5; idle/compute 60/60 and 63/63 = 1;
     * stage span (rank 0): 30/60 = 0.5 and 33/63 = 11/21, a difference of 1/42. */
    ck_assert_double_eq(d.idle_over_total.pred, 0.5);
    ck_assert_double_eq(d.idle_over_total.meas, 0.5);
    ck_assert_double_eq(d.idle_over_total.diff, 0);
    ck_assert_double_eq(d.idle_over_compute.diff, 0);
    ck_assert_double_eq(d.stage_span_rate.pred, 0.5);
    ck_assert_double_eq_tol(d.stage_span_rate.meas, 11.0 / 21, 1e-15);
    ck_assert_double_eq_tol(d.stage_span_rate.diff, 1.0 / 42, 1e-15);
    ck_assert_uint_eq(d.matched, 8);
    ck_assert_uint_eq(d.only_pred, 0);
    ck_assert_uint_eq(d.only_meas, 0);
    pps_diff_clear(&d);
}
END_TEST

START_TEST(error_distributions_and_worst_actions_worked_by_hand)
{
    pps_diff d;
    diff_events(2, 2, 1, predicted, N(predicted), measured, N(measured), &d);
    /* (start, end) errors after the shift: 0F0 (0,0), 0SEND_F0 (0,0), 0RECV_B0 (0,3), 0B0 (3,3),
     * 1RECV_F0 (0,0), 1F0 (0,1), 1B0 (1,3), 1SEND_B0 (3,3).
     * |start| sorted 0 0 0 0 0 1 3 3: median (x3 + x4)/2 = 0, p90 at 6.3 = 3 + 0.3·0 = 3, max 3.
     * |end| sorted 0 0 0 1 3 3 3 3: median (1 + 3)/2 = 2, p90 3, max 3. */
    ck_assert_double_eq(d.abs_start_error.median, 0);
    ck_assert_double_eq(d.abs_start_error.p90, 3);
    ck_assert_double_eq(d.abs_start_error.max, 3);
    ck_assert_double_eq(d.abs_end_error.median, 2);
    ck_assert_double_eq(d.abs_end_error.p90, 3);
    ck_assert_double_eq(d.abs_end_error.max, 3);
    /* Largest |end error| first; ties in key order (rank, then compute < send < recv, then
     * kind F < B): 0B0, 0RECV_B0, 1B0, 1SEND_B0 (3), 1F0 (1), then 0F0, 0SEND_F0, 1RECV_F0. */
    const char *order[] = {"0B0", "0RECV_B0", "1B0", "1SEND_B0", "1F0", "0F0", "0SEND_F0",
                           "1RECV_F0"};
    ck_assert_uint_eq(d.nworst, 8);
    for (size_t i = 0; i < 8; i++) {
        char buf[PPS_ACTION_TEXT_MAX];
        pps_action_format(&d.worst[i].action, buf, sizeof buf);
        ck_assert_str_eq(buf, order[i]);
    }
    /* 0RECV_B0: predicted 10..40, measured 10..43 after the shift. */
    ck_assert_int_eq(d.worst[1].stream, PPS_STREAM_RECV);
    ck_assert_int_eq(d.worst[1].peer, 1);
    ck_assert_double_eq(d.worst[1].pred_start, 10);
    ck_assert_double_eq(d.worst[1].meas_start, 10);
    ck_assert_double_eq(d.worst[1].meas_end, 43);
    ck_assert_double_eq(d.worst[1].end_error, 3);
    ck_assert_double_eq(d.worst[2].start_error, 1); /* 1B0 starts at 21 instead of 20 */
    pps_diff_clear(&d);
}
END_TEST

START_TEST(worst_list_keeps_the_ten_largest_end_errors)
{
    /* Twelve F actions on one rank, the k-th (k = 0..11) ending k seconds late: the ten worst
     * are k = 11 down to 2. */
    ev pe[12], me[12];
    char names[12][8];
    for (int k = 0; k < 12; k++) {
        snprintf(names[k], sizeof names[k], "0F%d", k);
        pe[k] = (ev){0, C, -1, names[k], 100.0 * k, 100.0 * k + 10};
        me[k] = (ev){0, C, -1, names[k], 100.0 * k, 100.0 * k + 10 + k};
    }
    pps_diff d;
    diff_events(1, 1, 12, pe, 12, me, 12, &d);
    ck_assert_uint_eq(d.nworst, PPS_DIFF_WORST);
    for (int i = 0; i < PPS_DIFF_WORST; i++) {
        ck_assert_int_eq(d.worst[i].action.mb, 11 - i);
        ck_assert_double_eq(d.worst[i].end_error, 11 - i);
    }
    /* |end| = 0..11: median (5 + 6)/2 = 5.5; p90 at 0.9·11 = 9.9: 9 + 0.9·1 = 9.9. */
    ck_assert_double_eq(d.abs_end_error.median, 5.5);
    ck_assert_double_eq_tol(d.abs_end_error.p90, 9.9, 1e-12);
    ck_assert_double_eq(d.abs_end_error.max, 11);
    pps_diff_clear(&d);
}
END_TEST

START_TEST(identical_timelines_have_zero_errors_and_pass_any_tolerance)
{
    pps_timeline *p = timeline_of(2, 2, 1, predicted, N(predicted));
    pps_diff d;
    pps_error err = {0};
    ck_assert_msg(pps_timeline_diff(p, p, &d, &err) == PPS_OK, "%s", err.msg);
    ck_assert_double_eq(d.makespan.rel_error, 0);
    ck_assert_double_eq(d.busy[0].rel_error, 0);
    ck_assert_double_eq(d.busy[1].rel_error, 0);
    ck_assert_double_eq(d.idle_over_total.diff, 0);
    ck_assert_double_eq(d.idle_over_compute.diff, 0);
    ck_assert_double_eq(d.stage_span_rate.diff, 0);
    ck_assert_uint_eq(d.matched, 8);
    ck_assert_double_eq(d.abs_start_error.max, 0);
    ck_assert_double_eq(d.abs_end_error.max, 0);
    ck_assert_double_eq(d.worst[0].end_error, 0);
    ck_assert_int_eq(pps_diff_exceeds(&d, 0.05), 0); /* exit 0 */
    ck_assert_int_eq(pps_diff_exceeds(&d, 0), 0);    /* |0| ≤ 0 */
    pps_diff_clear(&d);
    pps_timeline_destroy(p);
}
END_TEST

START_TEST(a_constant_clock_offset_is_shifted_away)
{
    /* The measured run is the predicted one 1000 s later: after shifting both to start at 0
     * every start and end error is 0. */
    ev late[N(predicted)];
    for (size_t i = 0; i < N(predicted); i++) {
        late[i] = predicted[i];
        late[i].start += 1000;
        late[i].end += 1000;
    }
    pps_diff d;
    diff_events(2, 2, 1, predicted, N(predicted), late, N(late), &d);
    ck_assert_double_eq(d.makespan.meas, 60);
    ck_assert_double_eq(d.abs_start_error.max, 0);
    ck_assert_double_eq(d.abs_end_error.max, 0);
    ck_assert_double_eq(d.worst[0].meas_start, d.worst[0].pred_start);
    pps_diff_clear(&d);
}
END_TEST

START_TEST(makespan_tolerance_decides_the_exit_status)
{
    /* The makespan error is exactly 0.05: within 0.05 (exit 0), beyond 0.049 (exit 3). */
    pps_diff d;
    diff_events(2, 2, 1, predicted, N(predicted), measured, N(measured), &d);
    ck_assert_int_eq(pps_diff_exceeds(&d, 0.05), 0);
    ck_assert_int_eq(pps_diff_exceeds(&d, 0.049), 1);
    pps_diff_clear(&d);
    /* Swapped, the measured run is faster: (60 − 63) / 63 = −3/63 ≈ −0.0476; the sign does not
     * matter, |−0.0476| ≤ 0.05 but > 0.04. */
    diff_events(2, 2, 1, measured, N(measured), predicted, N(predicted), &d);
    ck_assert_double_eq_tol(d.makespan.rel_error, -3.0 / 63, 1e-15);
    ck_assert_int_eq(pps_diff_exceeds(&d, 0.05), 0);
    ck_assert_int_eq(pps_diff_exceeds(&d, 0.04), 1);
    pps_diff_clear(&d);
}
END_TEST

START_TEST(undefined_makespan_error_exceeds_every_tolerance)
{
    /* A predicted makespan of 0 against a measured 5: (5 − 0) / 0 is undefined (NaN). */
    const ev zero[] = {{0, C, -1, "0F0", 0, 0}};
    const ev five[] = {{0, C, -1, "0F0", 0, 5}};
    pps_diff d;
    diff_events(1, 1, 1, zero, 1, five, 1, &d);
    ck_assert(isnan(d.makespan.rel_error));
    ck_assert(isnan(d.busy[0].rel_error));
    ck_assert_int_eq(pps_diff_exceeds(&d, 1e9), 1);
    pps_diff_clear(&d);
}
END_TEST

START_TEST(different_schedules_are_refused_naming_the_field)
{
    pps_timeline *p = timeline_of(2, 2, 1, predicted, N(predicted));
    pps_timeline *m3 = timeline_of(3, 3, 1, NULL, 0);
    pps_timeline *m4 = timeline_of(2, 2, 4, NULL, 0);
    pps_timeline *s4 = timeline_of(2, 4, 1, NULL, 0);
    pps_diff d;
    pps_error err = {0};
    ck_assert_int_eq(pps_timeline_diff(p, m3, &d, &err), PPS_EINPUT);
    ck_assert_str_eq(err.msg,
                     "ranks: predicted 2, measured 3 (the timelines must describe the same "
                     "schedule)");
    pps_diff_clear(&d);
    ck_assert_int_eq(pps_timeline_diff(p, s4, &d, &err), PPS_EINPUT);
    ck_assert_str_eq(err.msg,
                     "stages: predicted 2, measured 4 (the timelines must describe the same "
                     "schedule)");
    pps_diff_clear(&d);
    ck_assert_int_eq(pps_timeline_diff(p, m4, &d, &err), PPS_EINPUT);
    ck_assert_str_eq(err.msg,
                     "microbatches: predicted 1, measured 4 (the timelines must describe the "
                     "same schedule)");
    pps_diff_clear(&d);
    pps_timeline_destroy(p);
    pps_timeline_destroy(m3);
    pps_timeline_destroy(m4);
    pps_timeline_destroy(s4);
}
END_TEST

START_TEST(an_empty_timeline_is_refused)
{
    pps_timeline *p = timeline_of(2, 2, 1, predicted, N(predicted));
    pps_timeline *m = timeline_of(2, 2, 1, NULL, 0);
    pps_diff d;
    pps_error err = {0};
    ck_assert_int_eq(pps_timeline_diff(p, m, &d, &err), PPS_EINPUT);
    ck_assert_str_eq(err.msg, "measured timeline: analysis: the timeline has no events");
    pps_diff_clear(&d);
    pps_timeline_destroy(p);
    pps_timeline_destroy(m);
}
END_TEST

START_TEST(unmatched_events_are_counted_on_each_side)
{
    /* The measured run lacks 1SEND_B0, ran 0SEND_F0 on the compute stream (--comm sync: a
     * different stream, so no match either way) and has a second 1F0. Matched: 8 − 2 = 6;
     * only predicted: 1SEND_B0 and send:1 0SEND_F0 = 2; only measured: compute 0SEND_F0 and the
     * second 1F0 = 2 (duplicates pair in timeline order, so the later 1F0 is the extra one). */
    const ev meas[] = {
        {0, C, -1, "0F0", 0, 10},   {0, C, -1, "0SEND_F0", 10, 10},
        {0, R, 1, "0RECV_B0", 10, 40}, {0, C, -1, "0B0", 40, 60},
        {1, R, 0, "1RECV_F0", 0, 10}, {1, C, -1, "1F0", 10, 20},
        {1, C, -1, "1B0", 20, 40},  {1, C, -1, "1F0", 40, 50},
    };
    pps_diff d;
    diff_events(2, 2, 1, predicted, N(predicted), meas, N(meas), &d);
    ck_assert_uint_eq(d.matched, 6);
    ck_assert_uint_eq(d.only_pred, 2);
    ck_assert_uint_eq(d.only_meas, 2);
    /* The first 1F0 matched: no error; every matched event has no error. */
    ck_assert_double_eq(d.abs_end_error.max, 0);
    pps_diff_clear(&d);
}
END_TEST

START_TEST(clearing_twice_and_clearing_null_are_harmless)
{
    pps_diff d = {0};
    pps_diff_clear(&d);
    pps_diff_clear(&d);
    pps_diff_clear(NULL);
}
END_TEST

static Suite *diff_suite(void)
{
    Suite *s = suite_create("diff");
    TCase *tc = tcase_create("diff");
    tcase_add_test(tc, slower_rank_gives_busy_and_makespan_errors_worked_by_hand);
    tcase_add_test(tc, error_distributions_and_worst_actions_worked_by_hand);
    tcase_add_test(tc, worst_list_keeps_the_ten_largest_end_errors);
    tcase_add_test(tc, identical_timelines_have_zero_errors_and_pass_any_tolerance);
    tcase_add_test(tc, a_constant_clock_offset_is_shifted_away);
    tcase_add_test(tc, makespan_tolerance_decides_the_exit_status);
    tcase_add_test(tc, undefined_makespan_error_exceeds_every_tolerance);
    tcase_add_test(tc, different_schedules_are_refused_naming_the_field);
    tcase_add_test(tc, an_empty_timeline_is_refused);
    tcase_add_test(tc, unmatched_events_are_counted_on_each_side);
    tcase_add_test(tc, clearing_twice_and_clearing_null_are_harmless);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(diff_suite());
}
