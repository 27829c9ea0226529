/* test_bubble.c — known bubble and memory values from the literature, through the whole
 * pipeline (generate, validate, lower, simulate, analyze). Expected values are the papers'
 * formulas evaluated by hand, written next to each assertion. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"


/* Runs `name` with uniform t_F, t_B, activation act_bytes per micro-batch and free links. */
static pps_analysis run(const char *name, int p, int v, int m, double tf, double tb,
                        double act_bytes)
{
    const pps_generator *g = pps_generator_find(name);
    ck_assert_ptr_nonnull(g);
    pps_gen_params params = {.ranks = p, .chunks = v, .microbatches = m};
    pps_schedule *s = NULL, *low = NULL;
    pps_timeline *t = NULL;
    pps_error err = {0};
    ck_assert_msg(pps_generate(g, &params, &s, &err) == PPS_OK, "%s", err.msg);
    ck_assert_msg(pps_schedule_validate(s, &err) == PPS_OK, "%s", err.msg);
    ck_assert_msg(pps_schedule_lower(s, &low, &err) == PPS_OK, "%s", err.msg);
    pps_cost c;
    pps_cost_init(&c);
    c.uniform.tf = tf;
    c.uniform.tb = tb;
    c.uniform.act_bytes = act_bytes;
    ck_assert_msg(pps_cost_resolve_for(&c, s, &err) == PPS_OK, "%s", err.msg);
    ck_assert_msg(pps_simulate(low, &c, &t, &err) == PPS_OK, "%s", err.msg);
    pps_analysis a;
    ck_assert_msg(pps_analyze(t, &a, &err) == PPS_OK, "%s", err.msg);
    pps_timeline_destroy(t);
    pps_schedule_destroy(low);
    pps_schedule_destroy(s);
    return a;
}

#define TOL 1e-12

START_TEST(gpipe_p4_m1_is_three_quarters_idle_over_total)
{
    pps_analysis a = run("gpipe", 4, 1, 1, 1, 2, 1);
    ck_assert_double_eq_tol(a.idle_over_total, 0.75, TOL); /* (P-1)/(M+P-1) = 3/4 */
    pps_analysis_clear(&a);
}
END_TEST

START_TEST(gpipe_p4_m8_matches_both_conventions)
{
    pps_analysis a = run("gpipe", 4, 1, 8, 1, 2, 1);
    ck_assert_double_eq_tol(a.idle_over_compute, 0.375, TOL);      /* (P-1)/M = 3/8 */
    ck_assert_double_eq_tol(a.idle_over_total, 3.0 / 11.0, TOL);   /* (P-1)/(M+P-1) = 3/11 */
    ck_assert_double_eq_tol(a.makespan, 33.0, TOL);                /* (M+P-1)(t_F+t_B) */
    pps_analysis_clear(&a);
}
END_TEST

START_TEST(gpipe_p4_m16_is_0_1875_idle_over_compute)
{
    pps_analysis a = run("gpipe", 4, 1, 16, 1, 2, 1);
    ck_assert_double_eq_tol(a.idle_over_compute, 0.1875, TOL); /* 3/16 */
    pps_analysis_clear(&a);
}
END_TEST

START_TEST(gpipe_bubble_is_p_minus_1_over_m_for_any_time_ratio)
{
    /* The bubble is (P-1)(t_F+t_B) whatever the split between t_F and t_B. */
    pps_analysis a = run("gpipe", 8, 1, 32, 0.7, 1.9, 1);
    ck_assert_double_eq_tol(a.idle_over_compute, 7.0 / 32.0, 1e-9);
    pps_analysis_clear(&a);
}
END_TEST

START_TEST(one_f_one_b_has_gpipe_bubble_but_min_p_minus_r_m_memory)
{
    const double mb = 3.5; /* M_B, bytes */
    int ms[] = {2, 4, 8};
    for (size_t k = 0; k < sizeof ms / sizeof *ms; k++) {
        int m = ms[k], p = 4;
        pps_analysis g = run("gpipe", p, 1, m, 1, 2, mb);
        pps_analysis f = run("1f1b", p, 1, m, 1, 2, mb);
        ck_assert_double_eq_tol(f.idle_over_compute, (p - 1.0) / m, TOL);
        ck_assert_double_eq_tol(f.idle_over_compute, g.idle_over_compute, TOL);
        ck_assert_double_eq_tol(f.makespan, g.makespan, TOL);
        for (int r = 0; r < p; r++) {
            int held = p - r < m ? p - r : m; /* min(P - r, M) micro-batches */
            ck_assert_double_eq_tol(f.per_rank[r].peak_activation, held * mb, TOL);
            ck_assert_double_eq_tol(g.per_rank[r].peak_activation, m * mb, TOL);
        }
        pps_analysis_clear(&g);
        pps_analysis_clear(&f);
    }
}
END_TEST

START_TEST(interleaved_bubble_is_p_minus_1_over_v_m)
{
    /* Narayanan et al. SC'21: idle/compute = (P-1)/(v·M) with free communication. */
    struct { int p, v, m; double tf, tb; } cases[] = {
        {4, 2, 8, 1, 2}, {4, 4, 8, 1, 2}, {8, 2, 16, 1, 2}, {4, 3, 12, 0.5, 1.25}, {2, 2, 4, 1, 1},
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        pps_analysis a = run("interleaved-1f1b", cases[k].p, cases[k].v, cases[k].m, cases[k].tf,
                             cases[k].tb, 1);
        double want = (cases[k].p - 1.0) / (cases[k].v * cases[k].m);
        ck_assert_msg(fabs(a.idle_over_compute - want) < 1e-9, "P=%d v=%d M=%d: got %.6f want %.6f",
                      cases[k].p, cases[k].v, cases[k].m, a.idle_over_compute, want);
        pps_analysis_clear(&a);
    }
}
END_TEST

START_TEST(interleaving_the_same_model_is_faster_and_holds_smaller_chunks)
{
    /* One rank's share t_F = 1, t_B = 2, activation 1 B, split over v = 2 chunks: each stage
     * takes 0.5 and 1 and holds 0.5 B. Busy per rank 2·8·1.5 = 24 as for 1F1B, idle
     * 24·(P−1)/(v·M) = 24·3/16 = 4.5, so the makespan is 28.5 against 1F1B's 33 (Narayanan et al.
     * SC'21). Rank 0 holds 2(P−1) + (v−1)·P + 1 = 11 chunk activations: 5.5 B against 4 B. */
    pps_analysis i = run("interleaved-1f1b", 4, 2, 8, 1, 2, 1);
    pps_analysis f = run("1f1b", 4, 1, 8, 1, 2, 1);
    ck_assert_double_eq_tol(i.makespan, 28.5, TOL);
    ck_assert_double_eq_tol(f.makespan, 33, TOL);
    ck_assert_double_eq_tol(i.per_rank[0].busy, f.per_rank[0].busy, TOL);
    ck_assert_double_eq_tol(i.per_rank[0].peak_activation, 5.5, TOL);
    ck_assert_double_eq_tol(f.per_rank[0].peak_activation, 4, TOL);
    pps_analysis_clear(&i);
    pps_analysis_clear(&f);
}
END_TEST

START_TEST(naive_keeps_each_rank_busy_one_pth_of_the_time)
{
    /* One micro-batch in flight: makespan M·P·(t_F+t_B), busy M·(t_F+t_B): idle/compute = P-1. */
    pps_analysis a = run("naive", 4, 1, 3, 1, 2, 1);
    ck_assert_double_eq_tol(a.makespan, 36.0, TOL);
    ck_assert_double_eq_tol(a.idle_over_compute, 3.0, TOL);
    ck_assert_double_eq_tol(a.idle_over_total, 0.75, TOL);
    pps_analysis_clear(&a);
}
END_TEST

START_TEST(analytic_formula_agrees_with_simulation_for_every_schedule)
{
    for (size_t i = 0; i < pps_generator_count(); i++) {
        const pps_generator *g = pps_generator_at(i);
        pps_gen_params p = {.ranks = 4, .chunks = g->default_chunks, .microbatches = 8};
        pps_stage_cost u = {.tf = 1, .tb = 2, .ti = 1, .tw = 1, .act_bytes = 1};
        double want = pps_generator_analytic(g, &p, &u);
        pps_analysis a = run(g->name, 4, g->default_chunks, 8, 1, 2, 1);
        ck_assert_msg(isnan(want) || fabs(a.idle_over_compute - want) < 1e-9,
                      "%s: simulated %.6f, analytic %.6f", g->name, a.idle_over_compute, want);
        pps_analysis_clear(&a);
    }
}
END_TEST

/* Inserts a at position pos of rank's program (program order matters to the test). */
static void insert(pps_schedule *s, int rank, size_t pos, pps_action a)
{
    pps_error err = {0};
    ck_assert_msg(pps_schedule_append(s, rank, a, &err) == PPS_OK, "%s", err.msg);
    pps_program *p = &s->programs[rank];
    memmove(&p->actions[pos + 1], &p->actions[pos], (p->n - 1 - pos) * sizeof *p->actions);
    p->actions[pos] = a;
}

/* The checks of one path's analysis: ZB-H2, P = 4, M = 24, t_F = t_I = t_W = 1 has no bubble
 * in the Zero Bubble paper's sense (rank r's compute runs back to back from r·t_F for
 * M·(t_F + t_I + t_W) = 72 s), and the makespan is 72 + (P − 1)·t_F = 75 s. Bookkeeping of
 * `extra` s each, one action before every rank's program and two after it, waits for nothing:
 * it shifts every rank's compute by extra and adds 3·extra to the makespan, nothing else. */
static void check_zb_h2(const pps_analysis *a, double extra, const char *path)
{
    ck_assert_msg(a->stage_span_rate == 0 && a->stage_span_idle == 0,
                  "%s, bookkeeping %g s: stage_span_rate %.17g, stage_span_idle %.17g", path,
                  extra, a->stage_span_rate, a->stage_span_idle);
    ck_assert_msg(fabs(a->makespan - (75 + 3 * extra)) < TOL, "%s: makespan %.17g", path,
                  a->makespan);
    for (int r = 0; r < 4; r++) {
        const pps_rank_stats *x = &a->per_rank[r];
        ck_assert_msg(x->busy == 72 && x->compute_actions == 72, "%s: rank %d busy %.17g", path,
                      r, x->busy);
        ck_assert_msg(x->first_start == r + extra && x->last_end == 72 + r + extra,
                      "%s: rank %d spans %.17g..%.17g", path, r, x->first_start, x->last_end);
    }
}

/* Issue 9 item 4: an UNSHARD before and a RESHARD and REDUCE_GRAD after every rank's program
 * move neither busy time nor the span's ends, whether they cost nothing (as in PyTorch's files)
 * or something, on every path: the stream core's summary, the graph core's timeline analysed,
 * and the batch API. */
START_TEST(bookkeeping_actions_do_not_move_the_bubble)
{
    static const double extras[2] = {0, 0.25};
    for (int e = 0; e < 2; e++) {
        double extra = extras[e];
        pps_gen_params params = {.ranks = 4, .chunks = 1, .microbatches = 24};
        pps_schedule *s = NULL, *low = NULL;
        pps_error err = {0};
        ck_assert_msg(pps_generate(pps_generator_find("zb-h2"), &params, &s, &err) == PPS_OK,
                      "%s", err.msg);
        for (int r = 0; r < 4; r++) {
            insert(s, r, 0, pps_action_make(PPS_UNSHARD, r, -1));
            ck_assert(pps_schedule_append(s, r, pps_action_make(PPS_RESHARD, r, -1), &err) ==
                      PPS_OK);
            ck_assert(pps_schedule_append(s, r, pps_action_make(PPS_REDUCE_GRAD, r, -1), &err) ==
                      PPS_OK);
        }
        ck_assert_msg(pps_schedule_validate(s, &err) == PPS_OK, "%s", err.msg);
        ck_assert_msg(pps_schedule_lower(s, &low, &err) == PPS_OK, "%s", err.msg);
        pps_cost c;
        pps_cost_init(&c);
        c.uniform = (pps_stage_cost){.tf = 1, .tb = 2, .ti = 1, .tw = 1, .act_bytes = 1};
        c.t_unshard = c.t_reshard = c.t_reduce_grad = extra;
        ck_assert_msg(pps_cost_resolve_for(&c, s, &err) == PPS_OK, "%s", err.msg);

        pps_analysis a;
        ck_assert_msg(pps_simulate_summary(s, &c, &a, &err) == PPS_OK, "%s", err.msg);
        check_zb_h2(&a, extra, "stream core summary");
        pps_analysis_clear(&a);

        pps_timeline *t = NULL;
        ck_assert_msg(pps_simulate(low, &c, &t, &err) == PPS_OK, "%s", err.msg);
        ck_assert_msg(pps_analyze(t, &a, &err) == PPS_OK, "%s", err.msg);
        check_zb_h2(&a, extra, "graph core timeline, analysed");
        pps_analysis_clear(&a);
        pps_timeline_destroy(t);

        pps_batch *b = NULL;
        pps_prices pr = {0};
        const pps_analysis *ba = NULL;
        ck_assert_msg(pps_batch_create(&b, &err) == PPS_OK, "%s", err.msg);
        ck_assert_msg(pps_price(s, &c, &pr, &err) == PPS_OK, "%s", err.msg);
        ck_assert_msg(pps_batch_simulate(b, s, &pr, &ba, &err) == PPS_OK, "%s", err.msg);
        check_zb_h2(ba, extra, "batch summary");
        pps_prices_clear(&pr);
        pps_batch_destroy(b);

        pps_cost_clear(&c);
        pps_schedule_destroy(low);
        pps_schedule_destroy(s);
    }
}
END_TEST

static Suite *bubble_suite(void)
{
    Suite *s = suite_create("bubble");
    TCase *tc = tcase_create("literature");
    tcase_add_test(tc, gpipe_p4_m1_is_three_quarters_idle_over_total);
    tcase_add_test(tc, gpipe_p4_m8_matches_both_conventions);
    tcase_add_test(tc, gpipe_p4_m16_is_0_1875_idle_over_compute);
    tcase_add_test(tc, gpipe_bubble_is_p_minus_1_over_m_for_any_time_ratio);
    tcase_add_test(tc, one_f_one_b_has_gpipe_bubble_but_min_p_minus_r_m_memory);
    tcase_add_test(tc, interleaved_bubble_is_p_minus_1_over_v_m);
    tcase_add_test(tc, interleaving_the_same_model_is_faster_and_holds_smaller_chunks);
    tcase_add_test(tc, naive_keeps_each_rank_busy_one_pth_of_the_time);
    tcase_add_test(tc, analytic_formula_agrees_with_simulation_for_every_schedule);
    tcase_add_test(tc, bookkeeping_actions_do_not_move_the_bubble);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(bubble_suite());
}
