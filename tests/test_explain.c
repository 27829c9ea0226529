/* test_explain.c — the explain layer (sim/explain/): critical paths worked out by hand, the
 * path's length against the makespan on random runs. */
#include <check.h>
#include <math.h>
#include <stdlib.h>

#include "equiv_cases.h"
#include "testutil.h"

/* A run kept for the checks: the schedule, its prices, the timeline and the record. */
typedef struct run {
    pps_schedule *s;
    pps_prices p;
    pps_timeline *t;
    pps_bounds b;
    pps_critical_path path;
} run;

/* Simulates s under c (resolved here for s) and follows its critical path. */
static void run_schedule(run *r, pps_schedule *s, pps_cost *c)
{
    pps_error err = {0};
    memset(r, 0, sizeof *r);
    r->s = s;
    ck_assert_msg(pps_cost_resolve_for(c, s, &err) == PPS_OK, "%s", err.msg);
    ck_assert_msg(pps_price(s, c, &r->p, &err) == PPS_OK, "%s", err.msg);
    ck_assert_msg(pps_simulate_prices(s, &r->p, &r->t, NULL, &r->b, &err) == PPS_OK, "%s",
                  err.msg);
    ck_assert_msg(pps_critical_path_find(r->t, &r->b, &r->path, &err) == PPS_OK, "%s",
                  err.msg);
}

static void run_generated(run *r, const char *name, int P, int M, int v, pps_cost *c)
{
    pps_gen_params gp = {.ranks = P, .microbatches = M, .chunks = v};
    pps_schedule *s = NULL;
    pps_error err = {0};
    ck_assert_msg(pps_generate(pps_generator_find(name), &gp, &s, &err) == PPS_OK, "%s",
                  err.msg);
    run_schedule(r, s, c);
}

static void run_free(run *r)
{
    pps_critical_path_clear(&r->path);
    pps_bounds_clear(&r->b);
    pps_timeline_destroy(r->t);
    pps_prices_clear(&r->p);
    pps_schedule_destroy(r->s);
}

/* Uniform costs t_F, t_B (one rank's share), free communication. */
static pps_cost uniform_cost(double tf, double tb)
{
    pps_cost c;
    pps_cost_init(&c);
    c.uniform.tf = tf;
    c.uniform.tb = tb;
    c.uniform.ti = c.uniform.tw = NAN;
    return c;
}

/* The path's segments that take time, as "R:ACTION" (compute) or "S>D:ACTION" (transfer),
 * joined by blanks. */
static void path_text(const run *r, char *buf, size_t size)
{
    size_t len = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < r->path.n && len < size; i++) {
        const pps_path_segment *s = &r->path.seg[i];
        if (s->end <= s->start)
            continue;
        char a[PPS_ACTION_TEXT_MAX];
        pps_action_format(&s->action, a, sizeof a);
        if (s->transfer)
            len += (size_t)snprintf(buf + len, size - len, "%s%d>%d:%s", len ? " " : "",
                                    s->rank, s->peer, a);
        else
            len += (size_t)snprintf(buf + len, size - len, "%s%d:%s", len ? " " : "", s->rank, a);
    }
}

/* The segments are contiguous and their lengths sum to the makespan. */
static void check_closes(const run *r, double tol)
{
    const pps_critical_path *p = &r->path;
    ck_assert_uint_gt(p->n, 0);
    double sum = 0;
    for (size_t i = 0; i < p->n; i++) {
        sum += p->seg[i].end - p->seg[i].start;
        if (i > 0)
            ck_assert_msg(p->seg[i].start == p->seg[i - 1].end, "segment %zu starts at %.17g, "
                          "the one before ends at %.17g", i, p->seg[i].start, p->seg[i - 1].end);
    }
    ck_assert_msg(fabs(sum - p->makespan) <= tol, "path %.17g, makespan %.17g", sum, p->makespan);
    double parts = p->compute_seconds + p->transfer_seconds;
    ck_assert_msg(fabs(parts - p->makespan) <= tol, "compute + transfer %.17g, makespan %.17g",
                  parts, p->makespan);
}

/* GPipe, P = 4, M = 8, t_F = 1, t_B = 2, free links: makespan (M + P − 1)(t_F + t_B) = 33.
 * By hand (each start is the later of its stream's previous end and its input's end; on a tie
 * the record keeps the stream): rank 0 runs F0..F7 in [0, 8]; rank r runs F(m) in
 * [r + m, r + m + 1], each F after the first tying stream and input; rank 3 then runs B0..B7 in
 * [11, 27] (its stream ends at 11, after the inputs); B(r, m) runs in [17 − 2r + 2m, 19 − 2r + 2m]
 * on ranks 2..0, again tying from the second on. Back from 0B7 (end 33): rank 0's B7..B0 by
 * stream, 0B0 waits for 1B0's data, 1B0 for 2B0's, 2B0 for 3B0's, 3B0 for its stream (3F7),
 * 3F7..3F1 by stream, 3F0 for 2F0's data, 2F0 for 1F0's, 1F0 for 0F0's. Length
 * 1 + 1 + 1 + 8·1 + 2 + 2 + 2 + 8·2 = 33. */
START_TEST(gpipe_p4_m8_critical_path_is_worked_out_by_hand)
{
    pps_cost c = uniform_cost(1, 2);
    run r;
    run_generated(&r, "gpipe", 4, 8, 1, &c);
    /* The rank-share rule: with v = 1 each stage takes the rank's share whole. */
    ck_assert_double_eq(pps_price_of(&r.p, PPS_F, 3, 0), 1);
    ck_assert_double_eq(pps_price_of(&r.p, PPS_B, 3, 0), 2);
    char got[2048];
    path_text(&r, got, sizeof got);
    ck_assert_str_eq(got, "0:0F0 1:1F0 2:2F0 3:3F0 3:3F1 3:3F2 3:3F3 3:3F4 3:3F5 3:3F6 3:3F7 "
                          "3:3B0 2:2B0 1:1B0 0:0B0 0:0B1 0:0B2 0:0B3 0:0B4 0:0B5 0:0B6 0:0B7");
    ck_assert_double_eq(r.path.makespan, 33);
    check_closes(&r, 0);
    /* Shares: rank 0 1 + 16, ranks 1 and 2 1 + 2, rank 3 8 + 2; F 11, B 22; no communication;
     * the next action waited for the stream after 3F0..3F6, 3F7 and 0B0..0B6: 7 + 1 + 14. */
    ck_assert_double_eq(r.path.rank_seconds[0], 17);
    ck_assert_double_eq(r.path.rank_seconds[1], 3);
    ck_assert_double_eq(r.path.rank_seconds[2], 3);
    ck_assert_double_eq(r.path.rank_seconds[3], 10);
    ck_assert_double_eq(r.path.kind_seconds[PPS_F], 11);
    ck_assert_double_eq(r.path.kind_seconds[PPS_B], 22);
    ck_assert_double_eq(r.path.transfer_seconds, 0);
    ck_assert_double_eq(r.path.stream_wait_seconds, 22);
    run_free(&r);
    pps_cost_clear(&c);
}
END_TEST

/* 1F1B, P = 4, M = 8, t_F = 1, t_B = 2, free links: makespan 33. By hand: the warm-up brings
 * 3F0 to [3, 4]; from then on rank 3 alternates F(m), B(m) with F(m) tying its stream (B(m−1))
 * and its input (2F(m)), so 3F0 B0 F1 B1 .. F7 B7 fill [3, 27] back to back; 2B7 [27, 29],
 * 1B7 [29, 31] and 0B7 [31, 33] each wait for the data of the one before (their streams ended
 * at 26, 28 and 30). Back from 0B7: 1B7, 2B7, then rank 3's sixteen actions by stream, 3F0
 * waiting for 2F0's data, 2F0 for 1F0's, 1F0 for 0F0's. Length 3·1 + 8·3 + 3·2 = 33. */
START_TEST(one_f_one_b_p4_m8_critical_path_is_worked_out_by_hand)
{
    pps_cost c = uniform_cost(1, 2);
    run r;
    run_generated(&r, "1f1b", 4, 8, 1, &c);
    char got[2048];
    path_text(&r, got, sizeof got);
    ck_assert_str_eq(got, "0:0F0 1:1F0 2:2F0 3:3F0 3:3B0 3:3F1 3:3B1 3:3F2 3:3B2 3:3F3 3:3B3 "
                          "3:3F4 3:3B4 3:3F5 3:3B5 3:3F6 3:3B6 3:3F7 3:3B7 2:2B7 1:1B7 0:0B7");
    ck_assert_double_eq(r.path.makespan, 33);
    check_closes(&r, 0);
    ck_assert_double_eq(r.path.rank_seconds[3], 24);
    ck_assert_double_eq(r.path.rank_seconds[0], 3);
    ck_assert_double_eq(r.path.kind_seconds[PPS_F], 11);
    ck_assert_double_eq(r.path.kind_seconds[PPS_B], 22);
    run_free(&r);
    pps_cost_clear(&c);
}
END_TEST

/* GPipe, P = 3, M = 2, t_F = 1, t_B = 2; ranks 0 and 1 share a node, rank 2 is on another
 * behind a link of latency 3 (inside a node: free). By hand: 1F0 [1, 2] and 1F1 [2, 3]; the
 * send queue 1 -> 2 moves 1F0's output in [2, 5] and 1F1's in [5, 8] (queued behind the first),
 * so 2F0 [5, 6], 2F1 [8, 9], 2B0 [9, 11], 2B1 [11, 13]; the queue 2 -> 1 moves 2B0's gradient in
 * [11, 14] and 2B1's in [14, 17]; 1B0 [14, 16], 1B1 [17, 19], 0B0 [16, 18], 0B1 [19, 21]: makespan
 * 21. Back from 0B1: 1B1 waited for its data, whose transfer [14, 17] waited in the queue behind
 * 2B0's [11, 14]; 2B0 for its stream (2F1), 2F1 for its data, moved in [5, 8] behind 1F0's
 * [2, 5]; 1F0 for 0F0. Length 1 + 1 + 3 + 3 + 1 + 2 + 3 + 3 + 2 + 2 = 21, of which 12 are
 * transfers and 6 transfers queued behind an earlier one. */
START_TEST(slow_link_on_the_path_is_worked_out_by_hand)
{
    pps_cost c = uniform_cost(1, 2);
    c.inter.latency = 3;
    c.ranks_per_node = 2;
    run r;
    run_generated(&r, "gpipe", 3, 2, 1, &c);
    char got[2048];
    path_text(&r, got, sizeof got);
    ck_assert_str_eq(got, "0:0F0 1:1F0 1>2:1SEND_F0 1>2:1SEND_F1 2:2F1 2:2B0 2>1:2SEND_B0 "
                          "2>1:2SEND_B1 1:1B1 0:0B1");
    ck_assert_double_eq(r.path.makespan, 21);
    check_closes(&r, 0);
    ck_assert_double_eq(r.path.transfer_seconds, 12);
    ck_assert_double_eq(r.path.queue_wait_seconds, 6);
    run_free(&r);
    pps_cost_clear(&c);
}
END_TEST

/* GPipe, P = 3, M = 3, stage 1 twice as slow (t_F = 2, t_B = 4; the others 1 and 2). By hand:
 * rank 1 runs F0..F2 in [1, 7] back to back, 2F2 [7, 8], 2B0 [8, 10] after its stream, rank 1
 * B0..B2 in [10, 22], 0B2 [22, 24]: makespan 24, of which rank 1 holds 6 + 12 = 18 (75%). */
START_TEST(one_slow_stage_dominates_the_path)
{
    pps_cost c = uniform_cost(1, 2);
    c.nstages = 3;
    c.stage = calloc(3, sizeof *c.stage);
    for (int s = 0; s < 3; s++)
        c.stage[s] = (pps_stage_cost){.tf = s == 1 ? 2 : 1, .tb = s == 1 ? 4 : 2, .ti = NAN,
                                      .tw = NAN, .act_bytes = 1, .act_w_bytes = 0,
                                      .send_bytes = 0, .tfb = NAN};
    run r;
    run_generated(&r, "gpipe", 3, 3, 1, &c);
    char got[2048];
    path_text(&r, got, sizeof got);
    ck_assert_str_eq(got, "0:0F0 1:1F0 1:1F1 1:1F2 2:2F2 2:2B0 1:1B0 1:1B1 1:1B2 0:0B2");
    ck_assert_double_eq(r.path.makespan, 24);
    check_closes(&r, 0);
    ck_assert_double_eq(r.path.rank_seconds[1], 18);
    run_free(&r);
    pps_cost_clear(&c);
}
END_TEST

/* The folded text: rank 3's sixteen alternating actions in one run. */
START_TEST(path_text_folds_runs)
{
    pps_cost c = uniform_cost(1, 2);
    run r;
    run_generated(&r, "gpipe", 4, 8, 1, &c);
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    pps_error err = {0};
    ck_assert(pps_critical_path_write_text(&r.path, r.t, fp, &err) == PPS_OK);
    fclose(fp);
    ck_assert_msg(strstr(buf, "  rank 3: F0..F7 (8 × 1.00 s), B0 (2.00 s)\n"), "%s", buf);
    ck_assert_msg(strstr(buf, "  rank 0: B0..B7 (8 × 2.00 s)\n"), "%s", buf);
    ck_assert_msg(strstr(buf, "rank 0 51.5%, rank 1 9.1%, rank 2 9.1%, rank 3 30.3%"), "%s", buf);
    free(buf);
    run_free(&r);
    run_generated(&r, "1f1b", 4, 8, 1, &c);
    fp = open_memstream(&buf, &len);
    ck_assert(pps_critical_path_write_text(&r.path, r.t, fp, &err) == PPS_OK);
    fclose(fp);
    ck_assert_msg(strstr(buf, "  rank 3: F0 B0 .. F7 B7 (8 × (1.00 s + 2.00 s))\n"), "%s", buf);
    free(buf);
    run_free(&r);
    pps_cost_clear(&c);
}
END_TEST

/* Property: on 1,000 random schedules with random costs (tests/equiv_cases.h: per-stage times,
 * slow and fast links, zero times, --comm sync, I/W splits, overlapped pairs, FSDP actions; cases
 * drawn until 1,000 have run, since a mutation may be refused and --comm sync deadlocks some),
 * the path closes and its segments sum to the makespan, from both cores' records. */
START_TEST(path_sums_to_the_makespan_on_1000_random_schedules)
{
    int checked = 0;
    for (int i = 0; checked < 1000; i++) {
        ck_assert_int_lt(i, 4 * EQ_CASES);
        pps_schedule *s = NULL;
        pps_cost c;
        char desc[160];
        if (!eq_case(i, &s, &c, desc, sizeof desc))
            continue;
        pps_error err = {0};
        pps_prices p = {0};
        ck_assert(pps_price(s, &c, &p, &err) == PPS_OK);
        pps_schedule *low = NULL;
        ck_assert(pps_schedule_lower(s, &low, &err) == PPS_OK);
        const pps_schedule *both[2] = {s, low};
        for (int k = 0; k < 2; k++) {
            pps_timeline *t = NULL;
            pps_bounds b = {0};
            pps_status st = pps_simulate_prices(both[k], &p, &t, NULL, &b, &err);
            if (st == PPS_EDEADLOCK)
                continue; /* --comm sync deadlocks some schedules, as it should */
            ck_assert_msg(st == PPS_OK, "case %d (%s): %s", i, desc, err.msg);
            pps_critical_path path;
            ck_assert_msg(pps_critical_path_find(t, &b, &path, &err) == PPS_OK,
                          "case %d (%s): %s", i, desc, err.msg);
            run r = {.t = t, .path = path};
            check_closes(&r, 1e-9);
            checked += k == 0;
            pps_critical_path_clear(&path);
            pps_bounds_clear(&b);
            pps_timeline_destroy(t);
        }
        pps_schedule_destroy(low);
        pps_prices_clear(&p);
        pps_cost_clear(&c);
        pps_schedule_destroy(s);
    }
    ck_assert_int_eq(checked, 1000);
}
END_TEST

static Suite *explain_suite(void)
{
    Suite *s = suite_create("explain");
    TCase *tc = tcase_create("critical path");
    tcase_add_test(tc, gpipe_p4_m8_critical_path_is_worked_out_by_hand);
    tcase_add_test(tc, one_f_one_b_p4_m8_critical_path_is_worked_out_by_hand);
    tcase_add_test(tc, slow_link_on_the_path_is_worked_out_by_hand);
    tcase_add_test(tc, one_slow_stage_dominates_the_path);
    tcase_add_test(tc, path_text_folds_runs);
    tcase_add_test(tc, path_sums_to_the_makespan_on_1000_random_schedules);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(explain_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
