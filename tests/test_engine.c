/* test_engine.c — lowering and the execution semantics of docs/semantics.md, against times
 * worked out by hand (ARCHITECTURE's two-rank 1F1B example), and deadlock reports. */
#include <math.h>
#include <stdlib.h>

#include "testutil.h"

static const char *const one_f_one_b_p2_m2[] = {"0F0,0F1,0B0,0B1", "1F0,1B0,1F1,1B1"};

/* t_F = 1, t_B = 2, latency 0.5, zero bytes, activation 1 per micro-batch. */
static pps_cost example_cost(void)
{
    pps_cost c;
    pps_cost_init(&c);
    c.intra.latency = 0.5;
    pps_error err = {0};
    ck_assert_msg(pps_cost_resolve(&c, 2, &err) == PPS_OK, "%s", err.msg);
    return c;
}

static pps_timeline *simulate_rows(int ranks, int stages, int mbs, const char *const *rows,
                                   const pps_cost *c, pps_schedule **lowered_out)
{
    pps_schedule *s = schedule_from_rows(ranks, stages, mbs, rows), *low = NULL;
    pps_error err = {0};
    ck_assert_msg(pps_schedule_validate(s, &err) == PPS_OK, "%s", err.msg);
    ck_assert_msg(pps_schedule_lower(s, &low, &err) == PPS_OK, "%s", err.msg);
    ck_assert_msg(pps_schedule_validate(low, &err) == PPS_OK, "%s", err.msg);
    pps_timeline *t = NULL;
    ck_assert_msg(pps_simulate(low, c, &t, &err) == PPS_OK, "%s", err.msg);
    pps_schedule_destroy(s);
    if (lowered_out)
        *lowered_out = low;
    else
        pps_schedule_destroy(low);
    return t;
}

static void expect(const pps_timeline *t, int rank, const char *action, double start, double end)
{
    const pps_event *e = find_event(t, rank, action);
    ck_assert_msg(fabs(e->start - start) < 1e-12 && fabs(e->end - end) < 1e-12,
                  "%s on rank %d: got %g..%g, want %g..%g", action, rank, e->start, e->end,
                  start, end);
}

START_TEST(worked_example_matches_architecture_table)
{
    pps_cost c = example_cost();
    pps_timeline *t = simulate_rows(2, 2, 2, one_f_one_b_p2_m2, &c, NULL);
    /* rank 0 */
    expect(t, 0, "0F0", 0, 1);
    expect(t, 0, "0SEND_F0", 1, 1.5);
    expect(t, 0, "0F1", 1, 2);
    expect(t, 0, "0SEND_F1", 2, 2.5);
    expect(t, 0, "0RECV_B0", 0, 5);
    expect(t, 0, "0B0", 5, 7);
    expect(t, 0, "0RECV_B1", 5, 8);
    expect(t, 0, "0B1", 8, 10);
    /* rank 1 */
    expect(t, 1, "1RECV_F0", 0, 1.5);
    expect(t, 1, "1F0", 1.5, 2.5);
    expect(t, 1, "1RECV_F1", 1.5, 2.5);
    expect(t, 1, "1B0", 2.5, 4.5);
    expect(t, 1, "1SEND_B0", 4.5, 5);
    expect(t, 1, "1F1", 4.5, 5.5);
    expect(t, 1, "1B1", 5.5, 7.5);
    expect(t, 1, "1SEND_B1", 7.5, 8);
    ck_assert_uint_eq(t->n, 16);
    pps_timeline_destroy(t);
}
END_TEST

START_TEST(lowering_puts_send_after_producer_and_recv_before_consumer)
{
    pps_cost c = example_cost();
    pps_schedule *low = NULL;
    pps_timeline *t = simulate_rows(2, 2, 2, one_f_one_b_p2_m2, &c, &low);
    char buf[PPS_ACTION_TEXT_MAX], row[256];
    const char *want[2] = {"0F0,0SEND_F0,0F1,0SEND_F1,0RECV_B0,0B0,0RECV_B1,0B1",
                           "1RECV_F0,1F0,1B0,1SEND_B0,1RECV_F1,1F1,1B1,1SEND_B1"};
    for (int r = 0; r < 2; r++) {
        row[0] = '\0';
        for (size_t i = 0; i < low->programs[r].n; i++) {
            pps_action_format(&low->programs[r].actions[i], buf, sizeof buf);
            strcat(row, i ? "," : "");
            strcat(row, buf);
        }
        ck_assert_str_eq(row, want[r]);
    }
    pps_schedule_destroy(low);
    pps_timeline_destroy(t);
}
END_TEST

/* A consumer using data in another order than its peer sends it: the receives must still be
 * posted in send order (NCCL matches in order), so the second receive is hoisted. */
START_TEST(lowering_keeps_receives_in_peer_send_order)
{
    const char *rows[] = {"0F0,0F1,0B0,0B1", "1F1,1F0,1B1,1B0"};
    pps_schedule *s = schedule_from_rows(2, 2, 2, rows), *low = NULL;
    pps_error err = {0};
    ck_assert_msg(pps_schedule_validate(s, &err) == PPS_OK, "%s", err.msg);
    ck_assert_msg(pps_schedule_lower(s, &low, &err) == PPS_OK, "%s", err.msg);
    ck_assert_msg(pps_schedule_validate(low, &err) == PPS_OK, "%s", err.msg);
    char a[PPS_ACTION_TEXT_MAX], b[PPS_ACTION_TEXT_MAX];
    pps_action_format(&low->programs[1].actions[0], a, sizeof a);
    pps_action_format(&low->programs[1].actions[1], b, sizeof b);
    ck_assert_str_eq(a, "1RECV_F0");
    ck_assert_str_eq(b, "1RECV_F1");
    pps_schedule_destroy(s);
    pps_schedule_destroy(low);
}
END_TEST

/* Zero latency and bytes: with t_F = 1, t_B = 2 the classic 1F1B makespan is
 * (M + P - 1)(t_F + t_B) = 9 for P = 2, M = 2. */
START_TEST(free_communication_gives_textbook_makespan)
{
    pps_cost c;
    pps_cost_init(&c);
    pps_error err = {0};
    ck_assert(pps_cost_resolve(&c, 2, &err) == PPS_OK);
    pps_timeline *t = simulate_rows(2, 2, 2, one_f_one_b_p2_m2, &c, NULL);
    double makespan = 0;
    for (size_t i = 0; i < t->n; i++)
        makespan = fmax(makespan, t->events[i].end);
    ck_assert_double_eq_tol(makespan, 9.0, 1e-12);
    pps_timeline_destroy(t);
}
END_TEST

/* Bandwidth: a transfer of n bytes takes latency + n / bandwidth. 1F1B P = 2, M = 1 with
 * latency 0.25 s and 100 bytes at 200 B/s: F0 0..1, transfer 1..1.75, 1F0 1.75..2.75,
 * 1B0 2.75..4.75, transfer 4.75..5.5, 0B0 5.5..7.5. */
START_TEST(transfer_time_is_latency_plus_bytes_over_bandwidth)
{
    const char *rows[] = {"0F0,0B0", "1F0,1B0"};
    pps_cost c;
    pps_cost_init(&c);
    c.intra = (pps_link){.latency = 0.25, .bandwidth = 200};
    c.uniform.send_bytes = 100;
    pps_error err = {0};
    ck_assert(pps_cost_resolve(&c, 2, &err) == PPS_OK);
    pps_timeline *t = simulate_rows(2, 2, 1, rows, &c, NULL);
    expect(t, 1, "1F0", 1.75, 2.75);
    expect(t, 0, "0B0", 5.5, 7.5);
    pps_timeline_destroy(t);
}
END_TEST

/* Inter-node links: ranks_per_node = 1 makes the 0 -> 1 link inter-node. */
START_TEST(inter_node_link_cost_applies_across_nodes)
{
    const char *rows[] = {"0F0,0B0", "1F0,1B0"};
    pps_cost c;
    pps_cost_init(&c);
    c.intra.latency = 0.1;
    c.inter.latency = 1.0;
    c.ranks_per_node = 1;
    pps_error err = {0};
    ck_assert(pps_cost_resolve(&c, 2, &err) == PPS_OK);
    pps_timeline *t = simulate_rows(2, 2, 1, rows, &c, NULL);
    expect(t, 1, "1F0", 2, 3);
    pps_timeline_destroy(t);
}
END_TEST

/* Valid per-stage and per-pair orders, yet rank 0 wants B0 before sending F1 while rank 1
 * wants F1 before sending B0. */
START_TEST(deadlock_names_each_blocked_action_and_what_it_waits_for)
{
    const char *rows[] = {"0F0,0B0,0F1,0B1", "1F0,1F1,1B0,1B1"};
    pps_schedule *s = schedule_from_rows(2, 2, 2, rows), *low = NULL;
    pps_error err = {0};
    ck_assert_msg(pps_schedule_validate(s, &err) == PPS_OK, "%s", err.msg);
    ck_assert_msg(pps_schedule_lower(s, &low, &err) == PPS_OK, "%s", err.msg);
    ck_assert_msg(pps_schedule_validate(low, &err) == PPS_OK, "%s", err.msg);
    pps_cost c = example_cost();
    pps_timeline *t = NULL;
    ck_assert_int_eq(pps_simulate(low, &c, &t, &err), PPS_EDEADLOCK);
    ck_assert_ptr_null(t);
    ck_assert_msg(strstr(err.msg, "rank 0 compute: 0B0 waits for 0RECV_B0 on rank 0 to end"),
                  "%s", err.msg);
    ck_assert_msg(strstr(err.msg, "rank 1 compute: 1F1 waits for 1RECV_F1 on rank 1 to end"),
                  "%s", err.msg);
    ck_assert_msg(strstr(err.msg, "rank 0 recv from 1: 0RECV_B0 waits for the matching "
                                  "1SEND_B0 on rank 1 to be posted"), "%s", err.msg);
    ck_assert_msg(strstr(err.msg, "rank 1 recv from 0: 1RECV_F1 waits for the matching "
                                  "0SEND_F1 on rank 0 to be posted"), "%s", err.msg);
    pps_schedule_destroy(s);
    pps_schedule_destroy(low);
}
END_TEST

/* --comm sync: naive blocking communication on the compute stream. 1F1B P = 2, M = 2 then
 * deadlocks as real unbatched send/recv code does: rank 0 blocks in SEND_F1 (rank 1 posts that
 * receive only after B0) while rank 1 blocks in SEND_B0 (rank 0 posts its receive only after
 * sending F1). GPipe has no such crossing and completes. */
START_TEST(sync_communication_deadlocks_1f1b_like_naive_code)
{
    pps_cost c = example_cost();
    c.comm_sync = 1;
    pps_schedule *s = schedule_from_rows(2, 2, 2, one_f_one_b_p2_m2), *low = NULL;
    pps_error err = {0};
    ck_assert(pps_schedule_lower(s, &low, &err) == PPS_OK);
    pps_timeline *t = NULL;
    ck_assert_int_eq(pps_simulate(low, &c, &t, &err), PPS_EDEADLOCK);
    pps_schedule_destroy(s);
    pps_schedule_destroy(low);

    /* GPipe P = 2, M = 1 in sync mode: F0 0..1, SEND/RECV 1..1.5, 1F0 1.5..2.5, 1B0 2.5..4.5,
     * SEND_B 4.5..5, 0B0 5..7. */
    const char *gpipe[] = {"0F0,0B0", "1F0,1B0"};
    t = simulate_rows(2, 2, 1, gpipe, &c, NULL);
    expect(t, 0, "0RECV_B0", 1.5, 5); /* posted when 0SEND_F0 completed on the compute stream */
    expect(t, 0, "0B0", 5, 7);
    pps_timeline_destroy(t);
}
END_TEST

START_TEST(sends_and_receives_in_different_orders_are_refused)
{
    const char *rows[] = {"0F0,0SEND_F0,0F1,0SEND_F1,0RECV_B0,0B0,0RECV_B1,0B1",
                          "1RECV_F1,1RECV_F0,1F0,1B0,1SEND_B0,1F1,1B1,1SEND_B1"};
    pps_schedule *s = schedule_from_rows(2, 2, 2, rows);
    pps_error err = {0};
    ck_assert_int_eq(pps_schedule_validate(s, &err), PPS_EINPUT);
    ck_assert_str_eq(err.msg, "rank 1, position 0 (1RECV_F1): receives out of order: its send "
                              "is 0SEND_F1 (rank 0, position 3), but the send in its place is "
                              "0SEND_F0 (rank 0, position 1); sends and receives between two "
                              "ranks must appear in the same order on both sides");
    pps_schedule_destroy(s);
}
END_TEST

START_TEST(send_without_receive_is_refused)
{
    const char *rows[] = {"0F0,0SEND_F0,0RECV_B0,0B0", "1F0,1B0,1SEND_B0"};
    pps_schedule *s = schedule_from_rows(2, 2, 1, rows);
    pps_error err = {0};
    ck_assert_int_eq(pps_schedule_validate(s, &err), PPS_EINPUT);
    ck_assert_str_eq(err.msg, "rank 1, position 0 (1F0): the receive of its input, 1RECV_F0, "
                              "is missing (rank 0 sends it at position 1: 0SEND_F0)");
    pps_schedule_destroy(s);
}
END_TEST

/* A compute-only schedule runs as its lowering does: the same events in the same order, the
 * same times bit for bit (the stream core against the graph core on the lowered copy). */
START_TEST(compute_only_schedule_simulates_as_its_lowering)
{
    pps_schedule *s = schedule_from_rows(2, 2, 2, one_f_one_b_p2_m2), *low = NULL;
    pps_cost c = example_cost();
    pps_timeline *direct = NULL, *lowered = NULL;
    pps_error err = {0};
    ck_assert_msg(pps_simulate(s, &c, &direct, &err) == PPS_OK, "%s", err.msg);
    ck_assert(pps_schedule_lower(s, &low, &err) == PPS_OK);
    ck_assert_msg(pps_simulate(low, &c, &lowered, &err) == PPS_OK, "%s", err.msg);
    ck_assert_uint_eq(direct->n, lowered->n);
    for (size_t i = 0; i < direct->n; i++) {
        const pps_event *x = &direct->events[i], *y = &lowered->events[i];
        ck_assert(x->action.kind == y->action.kind && x->action.stage == y->action.stage &&
                  x->action.mb == y->action.mb && x->action.kind2 == y->action.kind2 &&
                  x->action.stage2 == y->action.stage2 && x->action.mb2 == y->action.mb2);
        ck_assert_int_eq(x->rank, y->rank);
        ck_assert_int_eq(x->peer, y->peer);
        ck_assert_int_eq(x->stream, y->stream);
        ck_assert(x->start == y->start && x->end == y->end);
    }
    /* ARCHITECTURE's table, from the compute-only program. */
    expect(direct, 0, "0RECV_B0", 0, 5);
    expect(direct, 1, "1SEND_B1", 7.5, 8);
    pps_timeline_destroy(direct);
    pps_timeline_destroy(lowered);
    pps_schedule_destroy(s);
    pps_schedule_destroy(low);
}
END_TEST

/* The index of the event of rank r whose action text is `text`. */
static size_t event_index(const pps_timeline *t, int rank, const char *text)
{
    return (size_t)(find_event(t, rank, text) - t->events);
}

/* The record of what bound each start gives the worked example's critical path (by hand: 0F0 1,
 * transfer 0.5, 1F0 1, 1B0 2, 1F1 1, 1B1 2, transfer 0.5, 0B1 2 = 10, the makespan), walking back
 * from the last event: a start to its predecessor's end, a transfer to the later start of its
 * SEND and RECV. Both cores record it. */
START_TEST(bounds_give_the_worked_example_critical_path)
{
    static const char *const want[][2] = {
        {"0", "0B1"}, {"0", "0RECV_B1"}, {"1", "1SEND_B1"}, {"1", "1B1"}, {"1", "1F1"},
        {"1", "1B0"}, {"1", "1F0"}, {"1", "1RECV_F0"}, {"0", "0SEND_F0"}, {"0", "0F0"}};
    pps_schedule *s = schedule_from_rows(2, 2, 2, one_f_one_b_p2_m2), *low = NULL;
    pps_error err = {0};
    ck_assert(pps_schedule_lower(s, &low, &err) == PPS_OK);
    pps_cost c = example_cost();
    pps_prices p = {0};
    ck_assert(pps_price(s, &c, &p, &err) == PPS_OK);
    const pps_schedule *both[2] = {s, low}; /* the stream core, then the graph core */
    for (int k = 0; k < 2; k++) {
        pps_timeline *t = NULL;
        pps_bounds b = {0};
        ck_assert_msg(pps_simulate_prices(both[k], &p, &t, NULL, &b, &err) == PPS_OK, "%s",
                      err.msg);
        size_t at = event_index(t, 0, "0B1"), n = 0;
        for (;;) {
            char text[PPS_ACTION_TEXT_MAX];
            pps_action_format(&t->events[at].action, text, sizeof text);
            ck_assert_msg(n < 10 && strtol(want[n][0], NULL, 10) == t->events[at].rank &&
                              strcmp(want[n][1], text) == 0,
                          "core %d, step %zu: %s on rank %d", k, n, text, t->events[at].rank);
            n++;
            int32_t q = b.partner[at];
            const pps_event *e = &t->events[at];
            /* A RECV ends when its transfer does: go to the SEND when it started later. */
            if (e->stream == PPS_STREAM_RECV && q >= 0 && t->events[q].start > e->start) {
                at = (size_t)q;
                continue;
            }
            if (b.bound[at] == PPS_BOUND_NONE)
                break;
            at = (size_t)b.pred[at];
        }
        ck_assert_uint_eq(n, 10);
        pps_bounds_clear(&b);
        pps_timeline_destroy(t);
    }
    pps_prices_clear(&p);
    pps_schedule_destroy(s);
    pps_schedule_destroy(low);
}
END_TEST

/* Replay: prices taken from a timeline reproduce it. Here ARCHITECTURE's table written as a
 * "measured" timeline gives back t_F = 1, t_B = 2 and transfers of 0.5, whatever the costs
 * the prices started from; the simulation under them gives the table again. */
START_TEST(prices_from_a_timeline_replay_it)
{
    pps_schedule *s = schedule_from_rows(2, 2, 2, one_f_one_b_p2_m2);
    pps_cost c = example_cost();
    pps_timeline *want = NULL;
    pps_error err = {0};
    ck_assert(pps_simulate(s, &c, &want, &err) == PPS_OK);
    c.uniform.tf = 7; /* costs far from the table's */
    c.uniform.tb = 3;
    c.uniform.ti = c.uniform.tw = NAN;
    c.intra.latency = 4;
    ck_assert(pps_cost_resolve(&c, 2, &err) == PPS_OK);
    pps_prices p = {0};
    ck_assert(pps_price(s, &c, &p, &err) == PPS_OK);
    ck_assert_msg(pps_prices_from_timeline(&p, want, &err) == PPS_OK, "%s", err.msg);
    ck_assert_double_eq(pps_price_of(&p, PPS_F, 1, 1), 1);
    ck_assert_double_eq(pps_price_of(&p, PPS_B, 0, 0), 2);
    ck_assert_double_eq(pps_price_of(&p, PPS_SEND_F, 0, 1), 0.5);
    ck_assert_double_eq(pps_price_of(&p, PPS_SEND_B, 1, 0), 0.5);
    pps_timeline *got = NULL;
    ck_assert(pps_simulate_prices(s, &p, &got, NULL, NULL, &err) == PPS_OK);
    ck_assert_uint_eq(got->n, want->n);
    for (size_t i = 0; i < got->n; i++)
        ck_assert(got->events[i].start == want->events[i].start &&
                  got->events[i].end == want->events[i].end);
    pps_timeline_destroy(got);
    pps_timeline_destroy(want);
    pps_prices_clear(&p);
    pps_schedule_destroy(s);
}
END_TEST

/* The worked example in PyTorch 2.15's form: each wait starts when both the previous action on
 * its compute stream and the send it names have ended, and takes no time unless priced. By hand
 * from the table above: 0WAIT_SEND_F0 after 0B0 (ends 7; the send ended at 1.5) runs 7-7;
 * 1WAIT_SEND_B1 waits for 1SEND_B1, which ends at 8, 0.5 after rank 1's last compute (7.5). */
START_TEST(waits_end_when_their_sends_complete)
{
    static const char *const rows[] = {
        "0F0,0SEND_F0,0F1,0SEND_F1,0RECV_B0,0B0,0WAIT_SEND_F0,0RECV_B1,0B1,0WAIT_SEND_F1",
        "1RECV_F0,1F0,1B0,1SEND_B0,1RECV_F1,1F1,1B1,1SEND_B1,1WAIT_SEND_B0,1WAIT_SEND_B1"};
    pps_cost c = example_cost();
    pps_schedule *low = NULL, *s = schedule_from_rows(2, 2, 2, one_f_one_b_p2_m2);
    pps_error err = {0};
    ck_assert(pps_schedule_lower(s, &low, &err) == PPS_OK);
    pps_schedule *torch = NULL;
    ck_assert(pps_schedule_for_pytorch(low, 1, &torch, &err) == PPS_OK);
    pps_schedule *want = schedule_from_rows(2, 2, 2, rows);
    for (int r = 0; r < 2; r++) { /* PyTorch's placement of the waits */
        ck_assert_uint_eq(torch->programs[r].n, want->programs[r].n);
        for (size_t i = 0; i < want->programs[r].n; i++) {
            char a[PPS_ACTION_TEXT_MAX], b[PPS_ACTION_TEXT_MAX];
            pps_action_format(&torch->programs[r].actions[i], a, sizeof a);
            pps_action_format(&want->programs[r].actions[i], b, sizeof b);
            ck_assert_str_eq(a, b);
        }
    }
    ck_assert_msg(pps_schedule_validate(want, &err) == PPS_OK, "%s", err.msg);
    pps_timeline *t = NULL;
    ck_assert_msg(pps_simulate(want, &c, &t, &err) == PPS_OK, "%s", err.msg);
    expect(t, 0, "0B0", 5, 7);
    expect(t, 0, "0WAIT_SEND_F0", 7, 7);
    expect(t, 0, "0B1", 8, 10);
    expect(t, 0, "0WAIT_SEND_F1", 10, 10);
    expect(t, 1, "1SEND_B1", 7.5, 8);
    expect(t, 1, "1WAIT_SEND_B0", 7.5, 7.5);
    expect(t, 1, "1WAIT_SEND_B1", 8, 8);
    ck_assert_uint_eq(t->n, 20);
    ck_assert_int_eq(find_event(t, 1, "1WAIT_SEND_B1")->stream, PPS_STREAM_COMPUTE);
    pps_timeline_destroy(t);
    /* Priced: a wait occupies the compute stream for its time (0.25 here). */
    pps_prices p = {0};
    ck_assert(pps_price(want, &c, &p, &err) == PPS_OK);
    p.by_stage[1 * PPS_KIND_COUNT + PPS_WAIT_SEND_B] = 0.25;
    ck_assert(pps_simulate_prices(want, &p, &t, NULL, NULL, &err) == PPS_OK);
    expect(t, 1, "1WAIT_SEND_B0", 7.5, 7.75);
    expect(t, 1, "1WAIT_SEND_B1", 8, 8.25);
    pps_timeline_destroy(t);
    pps_prices_clear(&p);
    /* The older form (PyTorch 2.14 and earlier) has no waits, and no idle slots. */
    pps_schedule *old = NULL;
    ck_assert(pps_schedule_for_pytorch(low, 0, &old, &err) == PPS_OK);
    for (int r = 0; r < 2; r++)
        ck_assert_uint_eq(old->programs[r].n, low->programs[r].n);
    pps_schedule_destroy(old);
    pps_schedule_destroy(want);
    pps_schedule_destroy(torch);
    pps_schedule_destroy(low);
    pps_schedule_destroy(s);
}
END_TEST

/* A REDUCE_GRAD and its wait (single-stage PyTorch files end with them) run on the compute
 * stream, in either core, taking their priced times: 0.5 and 0 here. */
START_TEST(reduce_grad_and_its_wait_run_on_the_compute_stream)
{
    static const char *const rows[] = {"0F0,0F1,0B0,0B1,0REDUCE_GRAD,0WAIT_REDUCE_GRAD",
                                       "1F0,1B0,1F1,1B1,1REDUCE_GRAD,1WAIT_REDUCE_GRAD"};
    pps_schedule *s = schedule_from_rows(2, 2, 2, rows), *low = NULL;
    pps_cost c = example_cost();
    c.t_reduce_grad = 0.5;
    pps_error err = {0};
    ck_assert_msg(pps_schedule_validate(s, &err) == PPS_OK, "%s", err.msg);
    ck_assert(pps_schedule_lower(s, &low, &err) == PPS_OK);
    const pps_schedule *both[2] = {s, low}; /* the stream core, then the graph core */
    for (int k = 0; k < 2; k++) {
        pps_timeline *t = NULL;
        ck_assert_msg(pps_simulate(both[k], &c, &t, &err) == PPS_OK, "%s", err.msg);
        expect(t, 0, "0REDUCE_GRAD", 10, 10.5);
        expect(t, 0, "0WAIT_REDUCE_GRAD", 10.5, 10.5);
        expect(t, 1, "1REDUCE_GRAD", 7.5, 8);
        expect(t, 1, "1WAIT_REDUCE_GRAD", 8, 8);
        pps_timeline_destroy(t);
    }
    pps_schedule_destroy(low);
    pps_schedule_destroy(s);
}
END_TEST

static Suite *engine_suite(void)
{
    Suite *s = suite_create("engine");
    TCase *tc = tcase_create("semantics");
    tcase_add_test(tc, worked_example_matches_architecture_table);
    tcase_add_test(tc, lowering_puts_send_after_producer_and_recv_before_consumer);
    tcase_add_test(tc, lowering_keeps_receives_in_peer_send_order);
    tcase_add_test(tc, free_communication_gives_textbook_makespan);
    tcase_add_test(tc, transfer_time_is_latency_plus_bytes_over_bandwidth);
    tcase_add_test(tc, inter_node_link_cost_applies_across_nodes);
    tcase_add_test(tc, deadlock_names_each_blocked_action_and_what_it_waits_for);
    tcase_add_test(tc, sync_communication_deadlocks_1f1b_like_naive_code);
    tcase_add_test(tc, sends_and_receives_in_different_orders_are_refused);
    tcase_add_test(tc, send_without_receive_is_refused);
    tcase_add_test(tc, compute_only_schedule_simulates_as_its_lowering);
    tcase_add_test(tc, bounds_give_the_worked_example_critical_path);
    tcase_add_test(tc, prices_from_a_timeline_replay_it);
    tcase_add_test(tc, waits_end_when_their_sends_complete);
    tcase_add_test(tc, reduce_grad_and_its_wait_run_on_the_compute_stream);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(engine_suite());
}
