/* test_explain.c — the explain layer (sim/explain/): critical paths worked out by hand, the
 * path's length against the makespan on random runs, sensitivities against re-simulation and
 * by hand, each advice rule's trigger and non-trigger, trace-driven replay. */
#include <check.h>
#include <cjson/cJSON.h>
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

/* Uniform t_F = 1, t_B = 2 on `stages` stages given one by one, stage `slow` `factor` times
 * slower (t_F = factor, t_B = 2 factor); activation 1 byte, free links. */
static pps_cost slow_stage_cost(int stages, int slow, double factor)
{
    pps_cost c = uniform_cost(1, 2);
    c.nstages = stages;
    c.stage = calloc((size_t)stages, sizeof *c.stage);
    ck_assert_ptr_nonnull(c.stage);
    for (int s = 0; s < stages; s++) {
        double f = s == slow ? factor : 1;
        c.stage[s] = (pps_stage_cost){.tf = f, .tb = 2 * f, .ti = NAN, .tw = NAN,
                                      .act_bytes = 1, .act_w_bytes = 0, .send_bytes = 0,
                                      .tfb = NAN};
    }
    return c;
}

/* t_F = 1, t_B = 2; ranks 0 and 1 on one node (free links), the others behind links of
 * latency 3 s. */
static pps_cost slow_link_cost(void)
{
    pps_cost c = uniform_cost(1, 2);
    c.inter.latency = 3;
    c.ranks_per_node = 2;
    return c;
}

/* Runs schedule `name` under t_F = 1, t_B = 2 and free links (the costs are priced into r and
 * not kept). */
static void run_uniform(run *r, const char *name, int P, int M, int v)
{
    pps_cost c = uniform_cost(1, 2);
    run_generated(r, name, P, M, v, &c);
    pps_cost_clear(&c);
}

/* What a text writer of the library writes, as a string (caller frees). */
typedef pps_status (*text_writer)(const void *obj, const void *extra, FILE *fp, pps_error *err);

static char *text_of(text_writer wr, const void *obj, const void *extra)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    ck_assert_ptr_nonnull(fp);
    pps_error err = {0};
    ck_assert_msg(wr(obj, extra, fp, &err) == PPS_OK, "%s", err.msg);
    fclose(fp);
    return buf;
}

static pps_status path_writer(const void *path, const void *t, FILE *fp, pps_error *err)
{
    return pps_critical_path_write_text(path, t, fp, err);
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

static void replay_of(const pps_timeline *t, pps_replay *out);

/* The path of r, as path_text writes it, is `want`. */
static void check_path(const run *r, const char *want)
{
    char got[2048];
    path_text(r, got, sizeof got);
    ck_assert_str_eq(got, want);
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
    run r;
    run_uniform(&r, "gpipe", 4, 8, 1);
    /* The rank-share rule: with v = 1 each stage takes the rank's share whole. */
    ck_assert_double_eq(pps_price_of(&r.p, PPS_F, 3, 0), 1);
    ck_assert_double_eq(pps_price_of(&r.p, PPS_B, 3, 0), 2);
    check_path(&r, "0:0F0 1:1F0 2:2F0 3:3F0 3:3F1 3:3F2 3:3F3 3:3F4 3:3F5 3:3F6 3:3F7 "
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
    run r;
    run_uniform(&r, "1f1b", 4, 8, 1);
    check_path(&r, "0:0F0 1:1F0 2:2F0 3:3F0 3:3B0 3:3F1 3:3B1 3:3F2 3:3B2 3:3F3 3:3B3 "
                          "3:3F4 3:3B4 3:3F5 3:3B5 3:3F6 3:3B6 3:3F7 3:3B7 2:2B7 1:1B7 0:0B7");
    ck_assert_double_eq(r.path.makespan, 33);
    check_closes(&r, 0);
    ck_assert_double_eq(r.path.rank_seconds[3], 24);
    ck_assert_double_eq(r.path.rank_seconds[0], 3);
    ck_assert_double_eq(r.path.kind_seconds[PPS_F], 11);
    ck_assert_double_eq(r.path.kind_seconds[PPS_B], 22);
    run_free(&r);
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
    pps_cost c = slow_link_cost();
    run r;
    run_generated(&r, "gpipe", 3, 2, 1, &c);
    check_path(&r, "0:0F0 1:1F0 1>2:1SEND_F0 1>2:1SEND_F1 2:2F1 2:2B0 2>1:2SEND_B0 "
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
    pps_cost c = slow_stage_cost(3, 1, 2);
    run r;
    run_generated(&r, "gpipe", 3, 3, 1, &c);
    check_path(&r, "0:0F0 1:1F0 1:1F1 1:1F2 2:2F2 2:2B0 1:1B0 1:1B1 1:1B2 0:0B2");
    ck_assert_double_eq(r.path.makespan, 24);
    check_closes(&r, 0);
    ck_assert_double_eq(r.path.rank_seconds[1], 18);
    run_free(&r);
    pps_cost_clear(&c);
}
END_TEST

/* The path marked on a timeline (`show --critical`, `plot timeline --critical`): on the run it
 * was followed in, and on a copy of it through the replay's events (matched by rank and
 * action), the 22 compute actions worked out above. */
START_TEST(path_marks_its_compute_actions)
{
    run r;
    run_uniform(&r, "gpipe", 4, 8, 1);
    uint8_t *marks = malloc(r.t->n);
    size_t marked = 0;
    pps_error err = {0};
    ck_assert(pps_critical_path_mark(&r.path, r.t, r.t, marks, &marked, &err) == PPS_OK);
    ck_assert_uint_eq(marked, 22);
    size_t on_rank3 = 0;
    for (size_t i = 0; i < r.t->n; i++)
        on_rank3 += marks[i] && r.t->events[i].rank == 3;
    ck_assert_uint_eq(on_rank3, 9); /* 3F0..3F7, 3B0 */
    pps_replay rep;
    replay_of(r.t, &rep);
    ck_assert(pps_critical_path_mark(&r.path, r.t, rep.timeline, marks, &marked, &err) ==
              PPS_OK);
    ck_assert_uint_eq(marked, 22);
    pps_replay_clear(&rep);
    free(marks);
    run_free(&r);
}
END_TEST

/* The folded text: rank 3's sixteen alternating actions in one run. */
START_TEST(path_text_folds_runs)
{
    run r;
    run_uniform(&r, "gpipe", 4, 8, 1);
    char *buf = text_of(path_writer, &r.path, r.t);
    ck_assert_msg(strstr(buf, "  rank 3: F0..F7 (8 × 1.00 s), B0 (2.00 s)\n"), "%s", buf);
    ck_assert_msg(strstr(buf, "  rank 0: B0..B7 (8 × 2.00 s)\n"), "%s", buf);
    ck_assert_msg(strstr(buf, "rank 0 51.5%, rank 1 9.1%, rank 2 9.1%, rank 3 30.3%"), "%s", buf);
    free(buf);
    run_free(&r);
    run_uniform(&r, "1f1b", 4, 8, 1);
    buf = text_of(path_writer, &r.path, r.t);
    ck_assert_msg(strstr(buf, "  rank 3: F0 B0 .. F7 B7 (8 × (1.00 s + 2.00 s))\n"), "%s", buf);
    free(buf);
    run_free(&r);
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
        ck_assert_int_lt(i, 4L * EQ_CASES);
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


/* ------------------------------------------------------------------ sensitivities */

/* The sensitivity of kind k on stage st in s, or NULL. */
static const pps_sensitivity *find_sens(const pps_sensitivities *s, pps_kind k, int st)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->item[i].kind == k && s->item[i].stage == st)
            return &s->item[i];
    return NULL;
}

static void sensitivities_of(run *r, size_t top, pps_sensitivities *out)
{
    pps_error err = {0};
    ck_assert_msg(pps_sensitivities_compute(r->s, &r->p, &r->path, r->t, top, out, &err) ==
                      PPS_OK, "%s", err.msg);
}

/* Balanced GPipe, P = 4, M = 8, t_F = 1, t_B = 2 (makespan 33, worked out above). By hand:
 * every chain of the dependency graph from 0F0 (the only start at 0) to the end passes each
 * stage's forward at least once, and the path found passes stages 0..2 once and stage 3 eight
 * times. A 33-long chain can also run through all eight forwards of any one stage s (0F0 ..
 * sF0..sF7 .. 3F7, then the backward of the path: e.g. 0F0..0F7, 1F7, 2F7, 3F7, 3B0, 2B0, 1B0,
 * 0B0..0B7 = 8 + 3 + 8 + 14 = 33). The makespan is the longest chain, and the other chains are
 * at least 1 s shorter (integer costs), so shrinking stage s's t_F by 10% (0.1 s) shortens it
 * by the fewest forwards of s on a 33-long chain, 1 × 0.1 s, and growing it by 10% lengthens it
 * by the most, 8 × 0.1 s: d_down = 1 s, d_up = 8 s per unit relative change, −0.1 s and
 * +0.8 s re-simulated. The same for t_B with 2 s: d_down 2, d_up 16, −0.2 s, +1.6 s. */
START_TEST(balanced_gpipe_sensitivities_are_worked_out_by_hand)
{
    run r;
    run_uniform(&r, "gpipe", 4, 8, 1);
    pps_sensitivities s;
    sensitivities_of(&r, 0, &s);
    ck_assert_uint_eq(s.n, 8); /* t_F and t_B of 4 stages; no I, W or transfers */
    for (int st = 0; st < 4; st++) {
        const pps_sensitivity *f = find_sens(&s, PPS_F, st), *b = find_sens(&s, PPS_B, st);
        ck_assert_ptr_nonnull(f);
        ck_assert_ptr_nonnull(b);
        ck_assert_double_eq_tol(f->d_down, 1, 1e-6);
        ck_assert_double_eq_tol(f->d_up, 8, 1e-6);
        ck_assert_double_eq_tol(f->sim_minus, -0.1, 1e-12);
        ck_assert_double_eq_tol(f->sim_plus, 0.8, 1e-12);
        ck_assert_double_eq_tol(b->d_down, 2, 1e-6);
        ck_assert_double_eq_tol(b->d_up, 16, 1e-6);
        ck_assert_double_eq_tol(b->sim_minus, -0.2, 1e-12);
        ck_assert_double_eq_tol(b->sim_plus, 1.6, 1e-12);
        /* The path found: stage 3's eight forwards, stage 0's eight backwards. */
        ck_assert_double_eq(f->on_path, st == 3 ? 8 : 1);
        ck_assert_double_eq(b->on_path, st == 0 ? 16 : 2);
    }
    /* Memory: rank 0 holds all eight micro-batches of stage 0 before its first backward. */
    ck_assert_int_eq(s.peak_rank, 0);
    ck_assert_double_eq(s.peak, 8);
    ck_assert_uint_eq(s.nmemory, 1);
    ck_assert_double_eq(s.memory[0].held, 8);
    pps_sensitivities_clear(&s);
    run_free(&r);
}
END_TEST

/* 1F1B, P = 4, M = 8, stage 2 30% slower (t_F 1.3, t_B 2.6). Its t_F and t_B rank first, and
 * the path's prediction for −10% matches the re-simulation within 1% of the makespan. */
START_TEST(slow_stage_ranks_first_and_path_predicts_resimulation)
{
    pps_cost c = slow_stage_cost(4, 2, 1.3);
    run r;
    run_generated(&r, "1f1b", 4, 8, 1, &c);
    pps_sensitivities s;
    sensitivities_of(&r, 0, &s);
    ck_assert_uint_ge(s.n, 2);
    for (int i = 0; i < 2; i++) {
        const pps_sensitivity *x = &s.item[i];
        ck_assert_int_eq(x->stage, 2);
        ck_assert(x->kind == PPS_F || x->kind == PPS_B);
        double predicted = -0.1 * x->on_path;
        ck_assert_msg(fabs(predicted - x->sim_minus) <= 0.01 * s.makespan,
                      "stage 2 %s: path %g, re-simulated %g", pps_kind_name(x->kind), predicted,
                      x->sim_minus);
    }
    ck_assert(s.item[0].kind != s.item[1].kind);
    /* Every other cost moves the makespan less. */
    for (size_t i = 2; i < s.n; i++)
        ck_assert(s.item[i].sim_minus >= s.item[1].sim_minus || isnan(s.item[i].sim_minus));
    pps_sensitivities_clear(&s);
    run_free(&r);
    pps_cost_clear(&c);
}
END_TEST

/* --top limits the re-simulations; the prices come back unchanged. */
START_TEST(sensitivities_restore_the_prices)
{
    run r;
    run_uniform(&r, "1f1b", 4, 8, 1);
    pps_sensitivities s;
    sensitivities_of(&r, 3, &s);
    size_t ran = 0;
    for (size_t i = 0; i < s.n; i++)
        ran += !isnan(s.item[i].sim_minus);
    ck_assert_uint_eq(ran, 3);
    for (int st = 0; st < 4; st++) {
        ck_assert_double_eq(pps_price_of(&r.p, PPS_F, st, 0), 1);
        ck_assert_double_eq(pps_price_of(&r.p, PPS_B, st, 0), 2);
    }
    /* 1F1B: rank 0 holds P = 4 micro-batches at its peak. */
    ck_assert_double_eq(s.peak, 4);
    ck_assert_double_eq(s.memory[0].held, 4);
    pps_sensitivities_clear(&s);
    run_free(&r);
}
END_TEST

/* ------------------------------------------------------------------ advice */

typedef struct advised {
    run r;
    pps_cost c;
    pps_analysis a;
    pps_advice adv;
} advised;

/* Runs the rules on schedule `name` under c (x takes it). */
static void advise(advised *x, const char *name, int P, int M, pps_cost c, double budget)
{
    pps_error err = {0};
    x->c = c;
    run_generated(&x->r, name, P, M, 1, &x->c);
    ck_assert(pps_analyze(x->r.t, &x->a, &err) == PPS_OK);
    pps_advice_input in = {.gen = pps_generator_find(name),
                           .params = {.ranks = P, .microbatches = M, .chunks = 1},
                           .cost = &x->c, .sched = x->r.s, .prices = &x->r.p,
                           .analysis = &x->a, .path = &x->r.path, .memory_budget = budget};
    ck_assert_msg(pps_advise(&in, &x->adv, &err) == PPS_OK, "%s", err.msg);
}

static void advised_free(advised *x)
{
    pps_analysis_clear(&x->a);
    run_free(&x->r);
    pps_cost_clear(&x->c);
}

/* 1 when rule `rule` triggers on schedule `name` under c (taken). */
static int triggers(const char *name, int P, int M, pps_cost c, double budget, const char *rule)
{
    advised x;
    advise(&x, name, P, M, c, budget);
    int found = pps_advice_find(&x.adv, rule) != NULL;
    advised_free(&x);
    return found;
}

/* The seeds' example: GPipe, P = 4, M = 8, uniform costs. By hand: bubble (idle/total)
 * (P − 1)/(M + P − 1) = 3/11, and 3/19 at M = 16 = 4P; GPipe's rank 0 holds all M = 8
 * micro-batches, 1F1B's at most P = 4 at the same makespan (M + P − 1)(t_F + t_B) = 33; a
 * zero-bubble schedule is faster. */
START_TEST(seeds_example_names_microbatches_and_1f1b_memory)
{
    advised x;
    advise(&x, "gpipe", 4, 8, uniform_cost(1, 2), 0);
    const pps_advice_item *mb = pps_advice_find(&x.adv, "microbatches");
    ck_assert_ptr_nonnull(mb);
    ck_assert_double_eq_tol(mb->before, 3.0 / 11, 1e-12);
    ck_assert_double_eq_tol(mb->after, 3.0 / 19, 1e-12);
    ck_assert_msg(strstr(mb->finding, "3/11") && strstr(mb->fix, "3/19") &&
                  strstr(mb->fix, "M >= 16"), "%s / %s", mb->finding, mb->fix);
    const pps_advice_item *mem = pps_advice_find(&x.adv, "memory-schedule");
    ck_assert_ptr_nonnull(mem);
    ck_assert_double_eq(mem->before, 8);
    ck_assert_double_eq(mem->after, 4);
    ck_assert_msg(strstr(mem->fix, "1f1b") && strstr(mem->fix, "4 micro-batches") &&
                  strstr(mem->finding, "8 micro-batches"), "%s / %s", mem->finding, mem->fix);
    ck_assert_ptr_nonnull(pps_advice_find(&x.adv, "bubble"));
    ck_assert_ptr_nonnull(pps_advice_find(&x.adv, "zero-bubble"));
    /* Uniform stages, free links, no budget. */
    ck_assert_ptr_null(pps_advice_find(&x.adv, "unbalanced"));
    ck_assert_ptr_null(pps_advice_find(&x.adv, "communication"));
    ck_assert_ptr_null(pps_advice_find(&x.adv, "memory-budget"));
    advised_free(&x);
}
END_TEST

/* Non-triggers of microbatches and bubble: GPipe P = 2, M = 8 = 4P: bubble 1/9 = 11% < 20%. */
START_TEST(enough_microbatches_and_small_bubble_do_not_trigger)
{
    advised x;
    advise(&x, "gpipe", 2, 8, uniform_cost(1, 2), 0);
    ck_assert_double_eq_tol(x.a.idle_over_total, 1.0 / 9, 1e-12);
    ck_assert_ptr_null(pps_advice_find(&x.adv, "microbatches"));
    ck_assert_ptr_null(pps_advice_find(&x.adv, "bubble"));
    advised_free(&x);
}
END_TEST

/* unbalanced: GPipe P = 4, M = 8, stage 2 at t_F 1.3, t_B 2.6 (30% above the others, 23%
 * above the mean 3.225). By hand, with every stage at the mean (t_F 1.075, t_B 2.15) GPipe
 * takes (M + P − 1)(t_F + t_B) = 11 × 3.225 = 35.475 s. */
START_TEST(unbalanced_triggers_on_a_slow_stage_only)
{
    advised x;
    advise(&x, "gpipe", 4, 8, slow_stage_cost(4, 2, 1.3), 0);
    const pps_advice_item *u = pps_advice_find(&x.adv, "unbalanced");
    ck_assert_ptr_nonnull(u);
    ck_assert_double_eq_tol(u->after, 35.475, 1e-9);
    ck_assert_msg(strstr(u->finding, "stage 2"), "%s", u->finding);
    advised_free(&x);
    /* 8% slower: below the 10% threshold. */
    ck_assert(!triggers("gpipe", 4, 8, slow_stage_cost(4, 2, 1.08), 0, "unbalanced"));
}
END_TEST

/* communication: the slow-link case above (transfers 12 of 21 s on the path); with free
 * transfers GPipe P = 3, M = 2 takes (M + P − 1)(t_F + t_B) = 12 s. Free links: no finding. */
START_TEST(communication_triggers_on_a_slow_link_only)
{
    advised x;
    advise(&x, "gpipe", 3, 2, slow_link_cost(), 0);
    const pps_advice_item *cm = pps_advice_find(&x.adv, "communication");
    ck_assert_ptr_nonnull(cm);
    ck_assert_double_eq(cm->before, 21);
    ck_assert_double_eq(cm->after, 12);
    advised_free(&x);
    ck_assert(!triggers("gpipe", 3, 2, uniform_cost(1, 2), 0, "communication"));
}
END_TEST

/* memory-budget: GPipe P = 4, M = 8 holds 8 bytes on rank 0. A budget of 5 triggers and names
 * a schedule that fits (1F1B's 4); a budget of 8 does not trigger. memory-schedule does not
 * trigger on 1F1B itself at P = 4, M = 16 (it already holds the least of the row's schedules at
 * its makespan: P micro-batches). */
START_TEST(memory_rules_trigger_and_do_not)
{
    advised x;
    advise(&x, "gpipe", 4, 8, uniform_cost(1, 2), 5);
    const pps_advice_item *b = pps_advice_find(&x.adv, "memory-budget");
    ck_assert_ptr_nonnull(b);
    ck_assert_double_eq(b->before, 8);
    ck_assert_double_le(b->after, 5);
    advised_free(&x);
    ck_assert(!triggers("gpipe", 4, 8, uniform_cost(1, 2), 8, "memory-budget"));
    ck_assert(!triggers("1f1b", 4, 16, uniform_cost(1, 2), 0, "memory-schedule"));
}
END_TEST

/* zero-bubble: on one rank nothing idles, so no schedule is faster. */
START_TEST(zero_bubble_does_not_trigger_without_a_bubble)
{
    advised x;
    advise(&x, "1f1b", 1, 4, uniform_cost(1, 2), 0);
    ck_assert_ptr_null(pps_advice_find(&x.adv, "zero-bubble"));
    ck_assert_ptr_null(pps_advice_find(&x.adv, "bubble"));
    advised_free(&x);
}
END_TEST

/* ------------------------------------------------------------------ replay */

/* Replays t with the default costs (for the cells t has no event for). */
static void replay_of(const pps_timeline *t, pps_replay *out)
{
    pps_error err = {0};
    pps_cost c;
    pps_cost_init(&c);
    ck_assert_msg(pps_replay_timeline(t, &c, out, &err) == PPS_OK, "%s", err.msg);
    pps_cost_clear(&c);
}

/* The committed ppexec CPU runs (traces/validation): the replay with the measured durations
 * is within 1% of the measured makespan, and the median start error within 1% of it. */
START_TEST(replay_of_committed_cpu_runs_is_within_one_percent)
{
    static const char *const names[] = {"gpipe", "1f1b", "interleaved-1f1b", "looped-bfs"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        char path[256];
        snprintf(path, sizeof path, "../traces/validation/%s.measured.json", names[i]);
        pps_error err = {0};
        pps_timeline *t = NULL;
        ck_assert_msg(pps_timeline_read(path, &t, &err) == PPS_OK, "%s", err.msg);
        pps_replay r;
        replay_of(t, &r);
        ck_assert_uint_eq(r.diff.only_pred + r.diff.only_meas, 0);
        ck_assert_msg(fabs(r.diff.makespan.rel_error) <= 0.01, "%s: makespan error %g", path,
                      r.diff.makespan.rel_error);
        ck_assert_msg(r.diff.abs_start_error.median <= 0.01 * r.diff.makespan.meas,
                      "%s: median start error %g s", path, r.diff.abs_start_error.median);
        pps_critical_path p;
        ck_assert(pps_critical_path_find(r.timeline, &r.bounds, &p, &err) == PPS_OK);
        double sum = 0;
        for (size_t k = 0; k < p.n; k++)
            sum += p.seg[k].end - p.seg[k].start;
        ck_assert_double_eq_tol(sum, r.diff.makespan.pred, 1e-9);
        pps_critical_path_clear(&p);
        pps_replay_clear(&r);
        pps_timeline_destroy(t);
    }
}
END_TEST

/* A simulated run replayed with its own durations comes back as it was (to rounding), and its
 * path is the same. */
START_TEST(replay_of_a_simulated_run_is_exact)
{
    pps_cost c = uniform_cost(1, 2);
    c.inter.latency = 0.25;
    c.ranks_per_node = 1;
    run r;
    run_generated(&r, "interleaved-1f1b", 4, 8, 2, &c);
    pps_replay rep;
    pps_error err = {0};
    replay_of(r.t, &rep);
    ck_assert_double_le(fabs(rep.diff.makespan.diff), 1e-12);
    ck_assert_double_le(rep.diff.abs_start_error.max, 1e-12);
    pps_critical_path p;
    ck_assert(pps_critical_path_find(rep.timeline, &rep.bounds, &p, &err) == PPS_OK);
    ck_assert(pps_critical_path_same(&p, &r.path, NULL, NULL));
    pps_critical_path_clear(&p);
    pps_replay_clear(&rep);
    run_free(&r);
    pps_cost_clear(&c);
}
END_TEST

/* The prediction's error split by cost source. A run simulated with t_F = 1, t_B = 2 and free
 * links is the "measurement"; the model says t_F = 2, t_B = 4. With free transfers the makespan
 * scales with the compute times, so by hand: model 2·M0, measured compute (model transfers,
 * free) M0, model compute with measured transfers (free) 2·M0, replay M0; M0 = (M + P − 1) · 3
 * = 33 for 1F1B, P = 4, M = 8. */
START_TEST(split_error_attributes_to_compute)
{
    pps_cost c = uniform_cost(1, 2), model = uniform_cost(2, 4);
    run r;
    run_generated(&r, "1f1b", 4, 8, 1, &c);
    pps_error err = {0};
    pps_replay rep;
    ck_assert_msg(pps_replay_timeline(r.t, &model, &rep, &err) == PPS_OK, "%s", err.msg);
    pps_prices mp = {0};
    ck_assert(pps_price(rep.sched, &model, &mp, &err) == PPS_OK);
    pps_replay_split sp;
    ck_assert_msg(pps_replay_split_error(&rep, &mp, &sp, &err) == PPS_OK, "%s", err.msg);
    ck_assert_double_eq(sp.model, 66);
    ck_assert_double_eq(sp.compute_meas, 33);
    ck_assert_double_eq(sp.transfer_meas, 66);
    ck_assert_double_eq(sp.replay, 33);
    pps_prices_clear(&mp);
    pps_replay_clear(&rep);
    run_free(&r);
    pps_cost_clear(&model);
    pps_cost_clear(&c);
}
END_TEST

/* A transfer measured as ending before its send began (two ranks' clocks apart: ppexec's ranks
 * before their common start) is priced 0, not negative: the replay stays a valid timeline. GPipe
 * P = 2, M = 1, t_F = 1, t_B = 2, free links: 0F0 [0, 1], 1F0 [1, 2], 1B0 [2, 4], 0B0 [4, 6];
 * with rank 1's RECV_F0 moved to end at 0.5 (before 0SEND_F0 starts at 1) the transfer takes
 * 0, and the replay is the run itself: makespan 6. */
START_TEST(replay_prices_a_transfer_from_skewed_clocks_at_zero)
{
    run r;
    run_uniform(&r, "gpipe", 2, 1, 1);
    for (size_t i = 0; i < r.t->n; i++)
        if (r.t->events[i].action.kind == PPS_RECV_F) {
            r.t->events[i].start = 0;
            r.t->events[i].end = 0.5;
        }
    pps_error err = {0};
    ck_assert(pps_prices_from_timeline(&r.p, r.t, &err) == PPS_OK);
    ck_assert_double_eq(pps_price_of(&r.p, PPS_SEND_F, 0, 0), 0);
    pps_replay rep;
    replay_of(r.t, &rep);
    ck_assert_double_eq(rep.diff.makespan.pred, 6);
    for (size_t i = 0; i < rep.timeline->n; i++)
        ck_assert_double_ge(rep.timeline->events[i].end, rep.timeline->events[i].start);
    pps_replay_clear(&rep);
    run_free(&r);
}
END_TEST

/* A timeline whose schedule ppsim does not generate is refused, naming the field. */
START_TEST(replay_refuses_an_unknown_schedule)
{
    pps_timeline *t = NULL;
    pps_error err = {0};
    ck_assert(pps_timeline_create(2, 2, 1, &t, &err) == PPS_OK);
    snprintf(t->schedule, sizeof t->schedule, "custom");
    pps_cost c;
    pps_cost_init(&c);
    pps_replay r;
    ck_assert(pps_replay_timeline(t, &c, &r, &err) == PPS_EINPUT);
    ck_assert_msg(strstr(err.msg, "$.schedule") && strstr(err.msg, "custom"), "%s", err.msg);
    pps_replay_clear(&r);
    pps_cost_clear(&c);
    pps_timeline_destroy(t);
}
END_TEST

/* ------------------------------------------------------------------ what-if */

/* The figures of schedule `name` (P = 4, M = 8, t_F = 1, t_B = 2) after the changes `text`. */
static pps_what_if_result what_if_on(const char *name, const char *text)
{
    run r;
    run_uniform(&r, name, 4, 8, 1);
    pps_what_if w[8];
    size_t n = 0;
    pps_error err = {0};
    ck_assert_msg(pps_what_if_parse(text, w, 8, &n, &err) == PPS_OK, "%s", err.msg);
    pps_what_if_result res;
    ck_assert_msg(pps_what_if_run(r.s, &r.p, w, n, &res, &err) == PPS_OK, "%s", err.msg);
    /* The run's prices are not changed. */
    ck_assert_double_eq(pps_price_of(&r.p, PPS_F, 3, 0), 1);
    ck_assert_double_eq(r.p.act_bytes[0], 1);
    run_free(&r);
    return res;
}

/* GPipe, P = 4, M = 8, t_F = 1, t_B = 2: makespan 33, bubble 3/11, rank 0 holds 8 micro-batches
 * of 1 byte. With stage 3's t_F doubled (*2, =2 or +1), by hand: the forwards form a flow shop
 * of identical jobs, so the last forward ends at Σ t_F + (M − 1) max t_F = 5 + 7·2 = 19 on rank
 * 3, which then starts the backwards; they end at 19 + Σ t_B + (M − 1) max t_B = 19 + 8 + 14 =
 * 41. Busy time Σ M (t_F + t_B) = 8·(3 + 3 + 3 + 4) = 104 of 4 × 41 = 164: bubble 60/164. Stage
 * 0's activations doubled: rank 0 holds 8 × 2 = 16 bytes, the makespan stays 33. */
START_TEST(what_if_is_worked_out_by_hand)
{
    static const char *const doubled[] = {"stage 3 tf *2", "stage 3 tf =2", "stage 3 tf +1",
                                          "  stage 3 tf * 2  "};
    for (size_t i = 0; i < sizeof doubled / sizeof *doubled; i++) {
        pps_what_if_result x = what_if_on("gpipe", doubled[i]);
        ck_assert_double_eq(x.before.makespan, 33);
        ck_assert_double_eq_tol(x.before.idle_over_total, 3.0 / 11, 1e-12);
        ck_assert_double_eq(x.after.makespan, 41);
        ck_assert_double_eq_tol(x.after.idle_over_total, 60.0 / 164, 1e-12);
        ck_assert_double_eq(x.before.peak, 8);
        ck_assert_double_eq(x.after.peak, 8);
    }
    pps_what_if_result x = what_if_on("gpipe", "stage 0 act *2");
    ck_assert_double_eq(x.after.makespan, 33);
    ck_assert_double_eq(x.after.peak, 16);
    ck_assert_int_eq(x.after.peak_rank, 0);
    x = what_if_on("gpipe", "stage 3 tf *2, stage 0 act *2");
    ck_assert_double_eq(x.after.makespan, 41);
    ck_assert_double_eq(x.after.peak, 16);
}
END_TEST

/* Each bad change is refused naming the text and its bad token. */
START_TEST(what_if_refuses_bad_changes_naming_the_token)
{
    static const struct {
        const char *text, *msg;
    } bad[] = {
        {"stag 3 tf *2", "'stag 3 tf *2': 'stag' is not 'stage' (expected 'stage N COST OPVALUE')"},
        {"stage x tf *2", "'stage x tf *2': 'x' is not a stage number"},
        {"stage 3 tq *2", "'stage 3 tq *2': 'tq' is not a cost (tf, tb, ti, tw or act)"},
        {"stage 3 tf /2", "'stage 3 tf /2': '/2' is not a change (*FACTOR, =VALUE or +VALUE)"},
        {"stage 3 tf *x", "'stage 3 tf *x': '*x' is not a change (*FACTOR, =VALUE or +VALUE)"},
        {"stage 3 tf *-1", "'stage 3 tf *-1': '*-1' is not a change: a factor or a value is 0 "
                           "or more"},
        {"stage 3 tf", "'stage 3 tf': ends where a change (*FACTOR, =VALUE or +VALUE) should be"},
        {"stage 3 tf *2 x", "'stage 3 tf *2 x': 'x' is not a ',' before the next change, or the "
                            "end"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        pps_what_if w[4];
        size_t n = 0;
        pps_error err = {0};
        ck_assert_int_eq(pps_what_if_parse(bad[i].text, w, 4, &n, &err), PPS_EINPUT);
        ck_assert_str_eq(err.msg, bad[i].msg);
    }
    /* What only the run can refuse: a stage it lacks, a kind it does not run, a negative time. */
    static const struct {
        const char *name, *text, *msg;
    } bad_run[] = {
        {"gpipe", "stage 4 tf *2", "'stage 4 tf *2': stage 4: the schedule has 4 stages (0..3)"},
        {"zb-h1", "stage 0 tb *2", "'stage 0 tb *2': stage 0 runs no B action (its backward is "
                                   "split: change ti and tw)"},
        {"gpipe", "stage 0 ti *2", "'stage 0 ti *2': stage 0 runs no I action (its backward is "
                                   "whole: change tb)"},
        {"gpipe", "stage 0 tf +-2", "'stage 0 tf +-2': the time would be -1 s"},
    };
    for (size_t i = 0; i < sizeof bad_run / sizeof *bad_run; i++) {
        run r;
        run_uniform(&r, bad_run[i].name, 4, 8, 1);
        pps_what_if w[4];
        size_t n = 0;
        pps_error err = {0};
        ck_assert(pps_what_if_parse(bad_run[i].text, w, 4, &n, &err) == PPS_OK);
        pps_what_if_result res;
        ck_assert_int_eq(pps_what_if_run(r.s, &r.p, w, n, &res, &err), PPS_EINPUT);
        ck_assert_str_eq(err.msg, bad_run[i].msg);
        run_free(&r);
    }
}
END_TEST

/* ------------------------------------------------------------------ --json */

static pps_status explanation_writer(const void *e, const void *unused, FILE *fp,
                                     pps_error *err)
{
    (void)unused;
    return pps_explanation_write_json(e, fp, err);
}

static double num_at(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    ck_assert_msg(cJSON_IsNumber(v), "%s is not a number", key);
    return v->valuedouble;
}

static const cJSON *at(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    ck_assert_msg(v != NULL, "no %s", key);
    return v;
}

/* The sensitivity entry of `cost` on `stage` in the JSON list. */
static const cJSON *json_cost(const cJSON *costs, int stage, const char *cost)
{
    const cJSON *c;
    cJSON_ArrayForEach(c, costs)
        if (num_at(c, "stage") == stage && strcmp(at(c, "cost")->valuestring, cost) == 0)
            return c;
    ck_abort_msg("no %s of stage %d", cost, stage);
    return NULL;
}

/* GPipe, P = 4, M = 8, t_F = 1, t_B = 2 (worked out by hand above) as --json writes it, read
 * back by an independent parser: the path's 22 compute segments and 6 free transfers (F0 down
 * the ranks, B0 back up), length 33; seconds per rank 17, 3, 3, 10, F 11 and B 22 (shares /33),
 * 22 waited for a stream; stage 3's t_F: 8 s on the path, d_down 1, d_up 8; rank 0 holds 8
 * micro-batches of stage 0; advice microbatches 3/11 -> 3/19; the what-if stage 3 t_F *2: 41 s
 * and 60/164. */
START_TEST(explain_json_is_worked_out_by_hand)
{
    advised x;
    advise(&x, "gpipe", 4, 8, uniform_cost(1, 2), 0);
    pps_sensitivities sens;
    sensitivities_of(&x.r, 0, &sens);
    pps_what_if w[1];
    size_t nw = 0;
    pps_error err = {0};
    ck_assert(pps_what_if_parse("stage 3 tf *2", w, 1, &nw, &err) == PPS_OK);
    pps_what_if_result wr;
    ck_assert(pps_what_if_run(x.r.s, &x.r.p, w, nw, &wr, &err) == PPS_OK);
    pps_explanation e = {.timeline = x.r.t, .path = &x.r.path, .sens = &sens,
                         .advice = &x.adv, .what_if = w, .nwhat_if = nw,
                         .what_if_result = &wr};
    char *text = text_of(explanation_writer, &e, NULL);
    cJSON *d = cJSON_Parse(text);
    ck_assert_msg(d != NULL, "not JSON: %s", text);
    ck_assert_str_eq(at(d, "format")->valuestring, "ppsim-explain");
    ck_assert(cJSON_IsNull(at(d, "replay")));
    const cJSON *cp = at(d, "critical_path");
    ck_assert_double_eq(num_at(cp, "makespan"), 33);
    const cJSON *segs = at(cp, "segments"), *g;
    int compute = 0, transfer = 0;
    double sum = 0, last_end = 0;
    cJSON_ArrayForEach(g, segs) {
        compute += strcmp(at(g, "type")->valuestring, "compute") == 0;
        transfer += strcmp(at(g, "type")->valuestring, "transfer") == 0;
        ck_assert_double_eq(num_at(g, "start"), last_end);
        last_end = num_at(g, "end");
        sum += num_at(g, "end") - num_at(g, "start");
    }
    ck_assert_int_eq(compute, 22);
    ck_assert_int_eq(transfer, 6);
    ck_assert_double_eq(sum, 33);
    ck_assert_str_eq(at(cJSON_GetArrayItem(segs, 0), "action")->valuestring, "0F0");
    const cJSON *sec = at(cp, "seconds"), *shr = at(cp, "share");
    static const double rank_s[] = {17, 3, 3, 10};
    for (int r = 0; r < 4; r++) {
        ck_assert_double_eq(cJSON_GetArrayItem(at(sec, "rank"), r)->valuedouble, rank_s[r]);
        ck_assert_double_eq_tol(cJSON_GetArrayItem(at(shr, "rank"), r)->valuedouble,
                                rank_s[r] / 33, 1e-12);
    }
    ck_assert_double_eq(num_at(at(sec, "kind"), "F"), 11);
    ck_assert_double_eq(num_at(at(sec, "kind"), "B"), 22);
    ck_assert_double_eq_tol(num_at(at(shr, "kind"), "B"), 2.0 / 3, 1e-12);
    ck_assert_double_eq(num_at(sec, "communication"), 0);
    ck_assert_double_eq(num_at(sec, "stream_wait"), 22);
    const cJSON *sn = at(d, "sensitivities");
    const cJSON *f3 = json_cost(at(sn, "costs"), 3, "t_F");
    ck_assert_double_eq(num_at(f3, "on_path"), 8);
    ck_assert_double_eq_tol(num_at(f3, "d_down"), 1, 1e-6);
    ck_assert_double_eq_tol(num_at(f3, "d_up"), 8, 1e-6);
    ck_assert_double_eq_tol(num_at(f3, "minus_10"), -0.1, 1e-12);
    ck_assert_int_eq(cJSON_GetArraySize(at(sn, "costs")), 8);
    const cJSON *mem = at(sn, "memory");
    ck_assert_double_eq(num_at(mem, "peak"), 8);
    ck_assert_double_eq(num_at(cJSON_GetArrayItem(at(mem, "stages"), 0), "held"), 8);
    const cJSON *a, *mb = NULL;
    cJSON_ArrayForEach(a, at(d, "advice"))
        if (strcmp(at(a, "rule")->valuestring, "microbatches") == 0)
            mb = a;
    ck_assert_ptr_nonnull(mb);
    ck_assert_double_eq_tol(num_at(mb, "before"), 3.0 / 11, 1e-12);
    ck_assert_double_eq_tol(num_at(mb, "after"), 3.0 / 19, 1e-12);
    const cJSON *wi = at(d, "what_if");
    ck_assert_str_eq(cJSON_GetArrayItem(at(wi, "changes"), 0)->valuestring, "stage 3 tf *2");
    ck_assert_double_eq(num_at(at(wi, "before"), "makespan"), 33);
    ck_assert_double_eq(num_at(at(wi, "after"), "makespan"), 41);
    ck_assert_double_eq_tol(num_at(at(wi, "after"), "idle_over_total"), 60.0 / 164, 1e-12);
    cJSON_Delete(d);
    free(text);
    pps_sensitivities_clear(&sens);
    advised_free(&x);
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
    tcase_add_test(tc, path_marks_its_compute_actions);
    tcase_add_test(tc, path_sums_to_the_makespan_on_1000_random_schedules);
    suite_add_tcase(s, tc);
    tc = tcase_create("sensitivities");
    tcase_add_test(tc, balanced_gpipe_sensitivities_are_worked_out_by_hand);
    tcase_add_test(tc, slow_stage_ranks_first_and_path_predicts_resimulation);
    tcase_add_test(tc, sensitivities_restore_the_prices);
    suite_add_tcase(s, tc);
    tc = tcase_create("advice");
    tcase_add_test(tc, seeds_example_names_microbatches_and_1f1b_memory);
    tcase_add_test(tc, enough_microbatches_and_small_bubble_do_not_trigger);
    tcase_add_test(tc, unbalanced_triggers_on_a_slow_stage_only);
    tcase_add_test(tc, communication_triggers_on_a_slow_link_only);
    tcase_add_test(tc, memory_rules_trigger_and_do_not);
    tcase_add_test(tc, zero_bubble_does_not_trigger_without_a_bubble);
    suite_add_tcase(s, tc);
    tc = tcase_create("replay");
    tcase_add_test(tc, replay_of_committed_cpu_runs_is_within_one_percent);
    tcase_add_test(tc, replay_of_a_simulated_run_is_exact);
    tcase_add_test(tc, replay_refuses_an_unknown_schedule);
    tcase_add_test(tc, split_error_attributes_to_compute);
    tcase_add_test(tc, replay_prices_a_transfer_from_skewed_clocks_at_zero);
    suite_add_tcase(s, tc);
    tc = tcase_create("what-if and json");
    tcase_add_test(tc, what_if_is_worked_out_by_hand);
    tcase_add_test(tc, what_if_refuses_bad_changes_naming_the_token);
    tcase_add_test(tc, explain_json_is_worked_out_by_hand);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(explain_suite());
}
