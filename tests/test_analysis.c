/* test_analysis.c — makespan, the three bubble conventions and the activation memory series. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "equiv_cases.h"
#include "ppsim.h"
#include "testutil.h"

#define EPS 1e-12

static void add_ev(pps_timeline *t, int rank, pps_stream stream, int peer, pps_action a,
                   double start, double end)
{
    pps_event e = {0};
    e.rank = rank;
    e.stream = (uint8_t)stream;
    e.peer = peer;
    e.action = a;
    e.start = start;
    e.end = end;
    pps_error err = {0};
    ck_assert_msg(pps_timeline_append(t, &e, &err) == PPS_OK, "%s", err.msg);
}

static void add(pps_timeline *t, int rank, pps_stream stream, int peer, pps_kind kind, int stage,
                int mb, double start, double end)
{
    add_ev(t, rank, stream, peer, pps_action_make(kind, stage, mb), start, end);
}

static void compute(pps_timeline *t, int rank, pps_kind kind, int stage, int mb, double start,
                    double end)
{
    add(t, rank, PPS_STREAM_COMPUTE, -1, kind, stage, mb, start, end);
}

static pps_timeline *new_timeline(int ranks, int stages, int mbs)
{
    pps_timeline *t;
    pps_error err = {0};
    ck_assert_msg(pps_timeline_create(ranks, stages, mbs, &t, &err) == PPS_OK, "%s", err.msg);
    return t;
}

/* The worked example: two ranks, 1F1B, M = 2, t_F = 1, t_B = 2, latency 0.5, activation 1
 * byte per micro-batch (act_bytes NULL). */
static pps_timeline *example(void)
{
    pps_timeline *t = new_timeline(2, 2, 2);
    const pps_stream S = PPS_STREAM_SEND, R = PPS_STREAM_RECV;
    compute(t, 0, PPS_F, 0, 0, 0, 1);
    add(t, 0, S, 1, PPS_SEND_F, 0, 0, 1, 1.5);
    compute(t, 0, PPS_F, 0, 1, 1, 2);
    add(t, 0, S, 1, PPS_SEND_F, 0, 1, 2, 2.5);
    add(t, 0, R, 1, PPS_RECV_B, 0, 0, 0, 5);
    compute(t, 0, PPS_B, 0, 0, 5, 7);
    add(t, 0, R, 1, PPS_RECV_B, 0, 1, 5, 8);
    compute(t, 0, PPS_B, 0, 1, 8, 10);
    add(t, 1, R, 0, PPS_RECV_F, 1, 0, 0, 1.5);
    compute(t, 1, PPS_F, 1, 0, 1.5, 2.5);
    add(t, 1, R, 0, PPS_RECV_F, 1, 1, 1.5, 2.5);
    compute(t, 1, PPS_B, 1, 0, 2.5, 4.5);
    add(t, 1, S, 0, PPS_SEND_B, 1, 0, 4.5, 5);
    compute(t, 1, PPS_F, 1, 1, 4.5, 5.5);
    compute(t, 1, PPS_B, 1, 1, 5.5, 7.5);
    add(t, 1, S, 0, PPS_SEND_B, 1, 1, 7.5, 8);
    return t;
}

static void analyze(const pps_timeline *t, pps_analysis *a)
{
    pps_error err = {0};
    ck_assert_msg(pps_analyze(t, a, &err) == PPS_OK, "%s", err.msg);
}

static void assert_series(const pps_timeline *t, int rank, const double *want, size_t nwant)
{
    pps_memory_point *pts = NULL;
    size_t n = 0;
    pps_error err = {0};
    ck_assert_msg(pps_memory_series(t, rank, &pts, &n, &err) == PPS_OK, "%s", err.msg);
    ck_assert_uint_eq(n, nwant);
    for (size_t i = 0; i < n; i++) {
        ck_assert_double_eq_tol(pts[i].t, want[2 * i], EPS);
        ck_assert_double_eq_tol(pts[i].bytes, want[2 * i + 1], EPS);
    }
    free(pts);
}

/* Analyses t and checks rank 0's peak activation (bytes); returns the count of compute actions,
 * for the callers that check it too. */
static size_t check_rank0_peak(const pps_timeline *t, double peak)
{
    pps_analysis a;
    analyze(t, &a);
    ck_assert_double_eq_tol(a.per_rank[0].peak_activation, peak, EPS);
    size_t actions = a.compute_actions;
    pps_analysis_clear(&a);
    return actions;
}

/* ------------------------------------------------------------------ bubbles */

START_TEST(worked_example_gives_the_documented_bubbles)
{
    pps_timeline *t = example();
    pps_analysis a;
    analyze(t, &a);
    ck_assert_int_eq(a.ranks, 2);
    ck_assert_double_eq_tol(a.makespan, 10, EPS);
    ck_assert_double_eq_tol(a.per_rank[0].busy, 6, EPS);
    ck_assert_double_eq_tol(a.per_rank[1].busy, 6, EPS);
    ck_assert_double_eq_tol(a.per_rank[0].idle, 4, EPS);
    ck_assert_double_eq_tol(a.per_rank[1].idle, 4, EPS);
    ck_assert_double_eq_tol(a.busy, 12, EPS);
    ck_assert_double_eq_tol(a.idle, 8, EPS);
    ck_assert_double_eq_tol(a.idle_over_total, 0.4, EPS);
    ck_assert_double_eq_tol(a.idle_over_compute, 8.0 / 12, EPS);
    /* Rank 0 spans 0..10 with 6 busy; rank 1 spans 1.5..7.5 with no gap. */
    ck_assert_double_eq_tol(a.stage_span_rate, 0.4, EPS);
    ck_assert_double_eq_tol(a.throughput, 0.2, EPS);
    ck_assert_uint_eq(a.compute_actions, 8);
    ck_assert_uint_eq(a.per_rank[1].compute_actions, 4);
    ck_assert_double_eq_tol(a.per_rank[1].first_start, 1.5, EPS);
    ck_assert_double_eq_tol(a.per_rank[1].last_end, 7.5, EPS);
    ck_assert_double_eq_tol(a.per_rank[0].peak_activation, 2, EPS);
    ck_assert_double_eq_tol(a.per_rank[1].peak_activation, 1, EPS);
    pps_analysis_clear(&a);
    ck_assert_ptr_null(a.per_rank);
    pps_analysis_clear(&a); /* twice is harmless */
    pps_timeline_destroy(t);
}
END_TEST

START_TEST(gpipe_with_one_microbatch_idles_three_quarters)
{
    /* P = 4, M = 1, t_F = 1, t_B = 2: (P-1)/(M+P-1) = 3/4 of the total, (P-1)/M = 3 of compute. */
    pps_timeline *t = new_timeline(4, 4, 1);
    for (int r = 0; r < 4; r++) {
        compute(t, r, PPS_F, r, 0, r, r + 1);
        double b0 = 4 + 2.0 * (3 - r);
        compute(t, r, PPS_B, r, 0, b0, b0 + 2);
    }
    pps_analysis a;
    analyze(t, &a);
    ck_assert_double_eq_tol(a.makespan, 12, EPS);
    ck_assert_double_eq_tol(a.idle_over_total, 0.75, EPS);
    ck_assert_double_eq_tol(a.idle_over_compute, 3, EPS);
    ck_assert_double_eq_tol(a.stage_span_rate, 0.75, EPS); /* rank 0: span 12, busy 3 */
    ck_assert_double_eq_tol(a.throughput, 1.0 / 12, EPS);
    pps_analysis_clear(&a);
    pps_timeline_destroy(t);
}
END_TEST

START_TEST(stage_span_rate_uses_the_lowest_rank_on_ties)
{
    pps_timeline *t = new_timeline(2, 2, 2);
    compute(t, 0, PPS_F, 0, 0, 0, 1); /* span 4, busy 2: 0.5 */
    compute(t, 0, PPS_F, 0, 1, 3, 4);
    compute(t, 1, PPS_F, 1, 0, 1, 4); /* span 4, busy 4: 0 */
    compute(t, 1, PPS_F, 1, 1, 4, 5);
    pps_analysis a;
    analyze(t, &a);
    ck_assert_double_eq_tol(a.stage_span_rate, 0.5, EPS);
    pps_analysis_clear(&a);
    pps_timeline_destroy(t);
}
END_TEST

START_TEST(communication_and_bookkeeping_extend_the_makespan_but_are_not_busy)
{
    pps_timeline *t = new_timeline(2, 2, 1);
    add(t, 0, PPS_STREAM_RECV, 1, PPS_RECV_B, 0, 0, 0.5, 3);
    compute(t, 0, PPS_F, 0, 0, 1, 2);
    /* --comm sync puts transfers on the compute stream: still not busy. */
    add(t, 1, PPS_STREAM_COMPUTE, -1, PPS_RECV_F, 1, 0, 0.5, 2.5);
    /* Bookkeeping, even with a cost, is neither busy nor a span's end (docs/analysis.md). */
    compute(t, 1, PPS_UNSHARD, 1, -1, 2.5, 2.75);
    pps_analysis a;
    analyze(t, &a);
    ck_assert_double_eq_tol(a.makespan, 2.5, EPS);
    ck_assert_double_eq_tol(a.per_rank[0].busy, 1, EPS);
    ck_assert_double_eq_tol(a.per_rank[1].busy, 0, EPS);
    ck_assert_uint_eq(a.per_rank[1].compute_actions, 0);
    ck_assert(isnan(a.per_rank[1].first_start) && isnan(a.per_rank[1].last_end));
    ck_assert_double_eq_tol(a.idle_over_total, (1.5 + 2.5) / 5.0, EPS);
    /* Rank 0 spans 1..2 with 1 s busy: the only span, no bubble in it. */
    ck_assert_double_eq_tol(a.stage_span_rate, 0, EPS);
    pps_analysis_clear(&a);
    pps_timeline_destroy(t);
}
END_TEST

START_TEST(undefined_ratios_are_nan)
{
    pps_timeline *t = new_timeline(1, 1, 1);
    compute(t, 0, PPS_F, 0, 0, 3, 3);
    pps_analysis a;
    analyze(t, &a);
    ck_assert_double_eq(a.makespan, 0);
    ck_assert(isnan(a.idle_over_total));
    ck_assert(isnan(a.idle_over_compute));
    ck_assert(isnan(a.stage_span_rate));
    ck_assert(isnan(a.throughput));
    pps_analysis_clear(&a);
    pps_timeline_destroy(t);

    /* A rank with only communication has no compute span. */
    t = new_timeline(2, 2, 1);
    compute(t, 0, PPS_F, 0, 0, 0, 1);
    add(t, 1, PPS_STREAM_RECV, 0, PPS_RECV_F, 1, 0, 0, 2);
    analyze(t, &a);
    ck_assert(isnan(a.per_rank[1].first_start));
    ck_assert_double_eq_tol(a.stage_span_rate, 0, EPS);
    ck_assert_double_eq_tol(a.idle_over_compute, 3, EPS);
    pps_analysis_clear(&a);
    pps_timeline_destroy(t);
}
END_TEST

START_TEST(empty_timeline_cannot_be_analysed)
{
    pps_timeline *t = new_timeline(2, 2, 1);
    pps_analysis a;
    pps_error err = {0};
    ck_assert_int_eq(pps_analyze(t, &a, &err), PPS_EINPUT);
    ck_assert_str_eq(err.msg, "analysis: the timeline has no events");
    ck_assert_ptr_null(a.per_rank);
    pps_timeline_destroy(t);
}
END_TEST

/* ------------------------------------------------------------------ memory */

START_TEST(worked_example_memory_series)
{
    pps_timeline *t = example();
    const double r0[] = {0, 1, 1, 2, 7, 1, 10, 0};
    const double r1[] = {1.5, 1, 4.5, 1, 7.5, 0}; /* at 4.5 B0 releases before F1 allocates */
    assert_series(t, 0, r0, 4);
    assert_series(t, 1, r1, 3);
    pps_timeline_destroy(t);
}
END_TEST

START_TEST(input_and_weight_backward_release_in_two_parts)
{
    /* act 4, act_w 1: F holds 4; I releases 4 - 1 = 3 at its end; W releases the last 1. */
    pps_timeline *t = new_timeline(1, 1, 1);
    t->act_bytes = malloc(sizeof(double));
    t->act_w_bytes = malloc(sizeof(double));
    t->act_bytes[0] = 4;
    t->act_w_bytes[0] = 1;
    compute(t, 0, PPS_F, 0, 0, 0, 1);
    compute(t, 0, PPS_I, 0, 0, 1, 2);
    compute(t, 0, PPS_W, 0, 0, 2, 3);
    const double want[] = {0, 4, 2, 1, 3, 0};
    assert_series(t, 0, want, 3);
    check_rank0_peak(t, 4);
    pps_timeline_destroy(t);
}
END_TEST

START_TEST(releases_come_before_allocations_at_the_same_instant)
{
    /* B0 ends at 2 exactly when F1 starts: the peak is 1, not 2, whatever the event order. */
    pps_timeline *t = new_timeline(1, 1, 2);
    compute(t, 0, PPS_F, 0, 1, 2, 3);
    compute(t, 0, PPS_F, 0, 0, 0, 1);
    compute(t, 0, PPS_B, 0, 1, 3, 4);
    compute(t, 0, PPS_B, 0, 0, 1, 2);
    const double want[] = {0, 1, 2, 1, 4, 0};
    assert_series(t, 0, want, 3);
    check_rank0_peak(t, 1);
    pps_timeline_destroy(t);
}
END_TEST

/* With every time 0 (--tf 0 --tb 0) the whole step happens at one instant; its actions still
 * run in program order, so 1F1B's rank r holds min(P - r, M) activations at its peak (Narayanan
 * et al.), as with any positive times: 4, 3, 2, 1 for P = 4, M = 8. Checked on the simulator's
 * own summary and on pps_analyze of its timeline. */
START_TEST(zero_length_actions_hold_memory_in_program_order)
{
    pps_error err = {0};
    pps_gen_params p = {.ranks = 4, .microbatches = 8};
    pps_schedule *s = NULL;
    pps_timeline *t = NULL;
    pps_cost c;
    pps_cost_init(&c);
    c.uniform.tf = 0;
    c.uniform.tb = 0;
    ck_assert_msg(pps_generate(pps_generator_find("1f1b"), &p, &s, &err) == PPS_OK, "%s",
                  err.msg);
    ck_assert_msg(pps_cost_resolve_for(&c, s, &err) == PPS_OK, "%s", err.msg);
    pps_analysis sum = {0}, a = {0};
    ck_assert_msg(pps_simulate_summary(s, &c, &sum, &err) == PPS_OK, "%s", err.msg);
    ck_assert_msg(pps_simulate(s, &c, &t, &err) == PPS_OK, "%s", err.msg);
    analyze(t, &a);
    for (int r = 0; r < 4; r++) {
        ck_assert_double_eq_tol(sum.per_rank[r].peak_activation, 4 - r, EPS);
        ck_assert_double_eq_tol(a.per_rank[r].peak_activation, 4 - r, EPS);
    }
    pps_analysis_clear(&a);
    pps_analysis_clear(&sum);
    pps_timeline_destroy(t);
    pps_schedule_destroy(s);
    pps_cost_clear(&c);
}
END_TEST

/* The same rule where a rank's events are out of time order and are sorted: F0, F1, B0, B1 all
 * at t = 0 hold 2 at the peak (in their order), not 0 (all releases first); F2 at 5..6 listed
 * first makes the rank's changes out of order. */
START_TEST(zero_length_actions_keep_their_order_when_sorted)
{
    pps_timeline *t = new_timeline(1, 1, 3);
    compute(t, 0, PPS_F, 0, 2, 5, 6);
    compute(t, 0, PPS_F, 0, 0, 0, 0);
    compute(t, 0, PPS_F, 0, 1, 0, 0);
    compute(t, 0, PPS_B, 0, 0, 0, 0);
    compute(t, 0, PPS_B, 0, 1, 0, 0);
    compute(t, 0, PPS_B, 0, 2, 6, 7);
    check_rank0_peak(t, 2);
    pps_timeline_destroy(t);
}
END_TEST

/* A second method for the peak: on a rank's compute stream one action runs at a time, so
 * walking its actions in program order (each F's allocation, then each backward's release, an
 * OVERLAP_F_B's allocation before its release) meets the changes in the order they happen,
 * whatever the times, zero-length ones included. On the 1,000 random schedules and costs of
 * the equivalence cases (random costs include zero times), that running maximum is the peak
 * analysis reports. */
START_TEST(peak_is_the_program_order_running_maximum_on_random_schedules)
{
    int checked = 0;
    for (int i = 0; i < EQ_CASES; i++) {
        pps_schedule *s = NULL;
        pps_cost c;
        char desc[128];
        if (!eq_case(i, &s, &c, desc, sizeof desc))
            continue;
        pps_timeline *t = NULL;
        pps_error err = {0};
        if (pps_simulate(s, &c, &t, &err) == PPS_OK) {
            pps_analysis a;
            analyze(t, &a);
            for (int r = 0; r < t->ranks; r++) {
                double held = 0, peak = 0;
                for (size_t k = 0; k < t->n; k++) {
                    const pps_event *e = &t->events[k];
                    if (e->rank != r || e->stream != PPS_STREAM_COMPUTE)
                        continue;
                    const pps_action *x = &e->action;
                    int st = x->stage, bs = x->kind == PPS_OVERLAP_F_B ? x->stage2 : x->stage;
                    pps_kind back = x->kind == PPS_OVERLAP_F_B ? (pps_kind)x->kind2
                                                               : (pps_kind)x->kind;
                    if (x->kind == PPS_F || x->kind == PPS_OVERLAP_F_B)
                        held += t->act_bytes ? t->act_bytes[st] : 1;
                    peak = fmax(peak, held);
                    double act = t->act_bytes ? t->act_bytes[bs] : 1;
                    double act_w = t->act_w_bytes ? t->act_w_bytes[bs] : 0;
                    held -= back == PPS_B ? act : back == PPS_I ? act - act_w
                            : back == PPS_W ? act_w : 0;
                }
                ck_assert_msg(fabs(a.per_rank[r].peak_activation - peak) <= 1e-9 * fmax(1, peak),
                              "case %d (%s) rank %d: peak %.17g, program order gives %.17g", i,
                              desc, r, a.per_rank[r].peak_activation, peak);
            }
            pps_analysis_clear(&a);
            checked++;
        }
        pps_timeline_destroy(t);
        pps_schedule_destroy(s);
        pps_cost_clear(&c);
    }
    ck_assert_int_gt(checked, EQ_CASES / 2);
}
END_TEST

/* Removes UNSHARD, RESHARD and REDUCE_GRAD from every program of s. */
static void drop_bookkeeping(pps_schedule *s)
{
    for (int r = 0; r < s->ranks; r++) {
        pps_program *p = &s->programs[r];
        size_t n = 0;
        for (size_t i = 0; i < p->n; i++) {
            pps_kind k = (pps_kind)p->actions[i].kind;
            if (k != PPS_UNSHARD && k != PPS_RESHARD && k != PPS_REDUCE_GRAD)
                p->actions[n++] = p->actions[i];
        }
        p->n = n;
    }
}

/* x and y are the same number (NaN alike). */
static int same(double x, double y)
{
    return x == y || (isnan(x) && isnan(y));
}

/* Every field of two analyses of one shape is the same. */
static int same_analysis(const pps_analysis *a, const pps_analysis *b)
{
    int ok = a->ranks == b->ranks && same(a->makespan, b->makespan) && same(a->busy, b->busy) &&
             same(a->idle, b->idle) && same(a->idle_over_total, b->idle_over_total) &&
             same(a->idle_over_compute, b->idle_over_compute) &&
             same(a->stage_span_rate, b->stage_span_rate) &&
             same(a->stage_span_idle, b->stage_span_idle) && same(a->throughput, b->throughput) &&
             a->compute_actions == b->compute_actions;
    for (int r = 0; ok && r < a->ranks; r++) {
        const pps_rank_stats *x = &a->per_rank[r], *y = &b->per_rank[r];
        ok = same(x->busy, y->busy) && same(x->idle, y->idle) &&
             same(x->first_start, y->first_start) && same(x->last_end, y->last_end) &&
             same(x->peak_activation, y->peak_activation) &&
             x->compute_actions == y->compute_actions;
    }
    return ok;
}

static pps_analysis summary(const pps_schedule *s, const pps_cost *c, int i)
{
    pps_analysis a;
    pps_error err = {0};
    ck_assert_msg(pps_simulate_summary(s, c, &a, &err) == PPS_OK, "case %d: %s", i, err.msg);
    return a;
}

/* Bookkeeping is outside busy time and the span's ends (docs/analysis.md), checked by a second
 * method on the equivalence cases that hold UNSHARD, RESHARD and REDUCE_GRAD: at no cost they
 * change no time, so the analysis equals that of the same schedule without them in every
 * field, bit for bit; at their random costs they only shift compute, so every rank's busy time
 * (up to the rounding of end − start at shifted times) and compute actions equal those without
 * them. */
START_TEST(bookkeeping_is_neither_busy_nor_a_span_end_on_random_schedules)
{
    int checked = 0;
    for (int i = 0; i < EQ_CASES; i++) {
        pps_schedule *s = NULL, *bare = NULL;
        pps_cost c;
        char desc[128];
        if (!eq_case(i, &s, &c, desc, sizeof desc))
            continue;
        pps_error err = {0};
        pps_analysis a;
        if (!strstr(desc, " fsdp") || pps_simulate_summary(s, &c, &a, &err) != PPS_OK) {
            pps_schedule_destroy(s); /* nothing to remove, or a deadlock */
            pps_cost_clear(&c);
            continue;
        }
        pps_cost c2;
        char desc2[128];
        ck_assert(eq_case(i, &bare, &c2, desc2, sizeof desc2)); /* the same draw again */
        pps_cost_clear(&c2);
        drop_bookkeeping(bare);
        pps_analysis b = summary(bare, &c, i);
        for (int r = 0; r < s->ranks; r++)
            ck_assert_msg(fabs(a.per_rank[r].busy - b.per_rank[r].busy) <=
                                  1e-12 * b.per_rank[r].busy &&
                              a.per_rank[r].compute_actions == b.per_rank[r].compute_actions,
                          "case %d (%s) rank %d: busy %.17g, without bookkeeping %.17g", i, desc,
                          r, a.per_rank[r].busy, b.per_rank[r].busy);
        pps_analysis_clear(&a);
        pps_analysis_clear(&b);
        c.t_unshard = c.t_reshard = c.t_reduce_grad = 0;
        a = summary(s, &c, i);
        b = summary(bare, &c, i);
        ck_assert_msg(same_analysis(&a, &b), "case %d (%s): zero-cost bookkeeping changes the "
                      "analysis: stage_span_rate %.17g, without it %.17g", i, desc,
                      a.stage_span_rate, b.stage_span_rate);
        pps_analysis_clear(&a);
        pps_analysis_clear(&b);
        checked++;
        pps_schedule_destroy(bare);
        pps_schedule_destroy(s);
        pps_cost_clear(&c);
    }
    ck_assert_int_gt(checked, 50);
}
END_TEST

START_TEST(overlap_allocates_its_forward_and_releases_its_backward)
{
    pps_timeline *t = new_timeline(1, 1, 2);
    compute(t, 0, PPS_F, 0, 0, 0, 1);
    /* (0F1;0B0)OVERLAP_F_B: F1's activation from 1, B0's released at 3. */
    add_ev(t, 0, PPS_STREAM_COMPUTE, -1, (pps_action){0, 1, 0, 0, PPS_OVERLAP_F_B, PPS_B}, 1, 3);
    compute(t, 0, PPS_B, 0, 1, 3, 5);
    const double want[] = {0, 1, 1, 2, 3, 1, 5, 0};
    assert_series(t, 0, want, 4);
    ck_assert_uint_eq(check_rank0_peak(t, 2), 3);
    pps_timeline_destroy(t);
}
END_TEST

START_TEST(memory_series_of_a_rank_without_compute_is_empty)
{
    pps_timeline *t = new_timeline(2, 2, 1);
    compute(t, 0, PPS_F, 0, 0, 0, 1);
    pps_memory_point *pts = (pps_memory_point *)1;
    size_t n = 7;
    pps_error err = {0};
    ck_assert_int_eq(pps_memory_series(t, 1, &pts, &n, &err), PPS_OK);
    ck_assert_uint_eq(n, 0);
    free(pts);
    ck_assert_int_eq(pps_memory_series(t, 2, &pts, &n, &err), PPS_EINPUT);
    ck_assert_str_eq(err.msg, "memory series: rank 2 is out of range [0, 2)");
    pps_timeline_destroy(t);
}
END_TEST

START_TEST(analysis_of_a_million_events_finishes)
{
    /* One rank, F and B alternating with two in flight: peak 2 bytes; sorting keeps it fast. */
    pps_timeline *t = new_timeline(2, 2, 1 << 20);
    double now = 0;
    for (int m = 0; m < (1 << 19); m++) {
        compute(t, 0, PPS_F, 0, m, now, now + 1);
        compute(t, 0, PPS_B, 0, m, now + 1.5, now + 2);
        now += 1; /* the next F starts while this B is pending */
    }
    ck_assert_uint_eq(check_rank0_peak(t, 2), 1u << 20);
    pps_timeline_destroy(t);
}
END_TEST

static Suite *analysis_suite(void)
{
    Suite *s = suite_create("analysis");
    TCase *tc = tcase_create("bubbles");
    tcase_add_test(tc, worked_example_gives_the_documented_bubbles);
    tcase_add_test(tc, gpipe_with_one_microbatch_idles_three_quarters);
    tcase_add_test(tc, stage_span_rate_uses_the_lowest_rank_on_ties);
    tcase_add_test(tc, communication_and_bookkeeping_extend_the_makespan_but_are_not_busy);
    tcase_add_test(tc, bookkeeping_is_neither_busy_nor_a_span_end_on_random_schedules);
    tcase_add_test(tc, undefined_ratios_are_nan);
    tcase_add_test(tc, empty_timeline_cannot_be_analysed);
    suite_add_tcase(s, tc);
    tc = tcase_create("memory");
    tcase_add_test(tc, worked_example_memory_series);
    tcase_add_test(tc, input_and_weight_backward_release_in_two_parts);
    tcase_add_test(tc, releases_come_before_allocations_at_the_same_instant);
    tcase_add_test(tc, zero_length_actions_hold_memory_in_program_order);
    tcase_add_test(tc, zero_length_actions_keep_their_order_when_sorted);
    tcase_add_test(tc, peak_is_the_program_order_running_maximum_on_random_schedules);
    tcase_add_test(tc, overlap_allocates_its_forward_and_releases_its_backward);
    tcase_add_test(tc, memory_series_of_a_rank_without_compute_is_empty);
    tcase_add_test(tc, analysis_of_a_million_events_finishes);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(analysis_suite());
}
