/* test_zero_bubble.c — the zero-bubble schedules (ZB-H1, ZB-H2, ZB-V, interleaved ZB, DualPipeV):
 * their bubbles and peak memory against the papers' formulas worked by hand, their analytic
 * functions against the simulator, and a grid of sizes that must validate and run. */
#include <math.h>
#include <stdlib.h>

#include "testutil.h"

#define TOL 1e-9

/* Uniform costs of one rank's share (docs/cost-model.md) and one transfer's latency. */
typedef struct costs {
    double tf, ti, tw, act, act_w, latency;
} costs;

static const costs UNIT = {1, 1, 1, 1, 0, 0};

/* Generates `name`, validates, lowers, simulates under c and analyses; p->cost is set to the
 * resolved costs (owned by *cost, which the caller clears). */
static pps_analysis run_with(const char *name, pps_gen_params *p, costs x, pps_cost *cost)
{
    const pps_generator *g = pps_generator_find(name);
    ck_assert_msg(g != NULL, "no schedule %s", name);
    pps_schedule *s = NULL, *low = NULL;
    pps_timeline *t = NULL;
    pps_error err = {0};
    ck_assert_msg(pps_generate(g, p, &s, &err) == PPS_OK, "%s P=%d M=%d: %s", name, p->ranks,
                  p->microbatches, err.msg);
    ck_assert_msg(pps_schedule_validate(s, &err) == PPS_OK, "%s: %s", name, err.msg);
    ck_assert_msg(pps_schedule_lower(s, &low, &err) == PPS_OK, "%s: %s", name, err.msg);
    pps_cost_init(cost);
    cost->uniform.tf = x.tf;
    cost->uniform.ti = x.ti;
    cost->uniform.tw = x.tw;
    cost->uniform.tb = NAN;
    cost->uniform.act_bytes = x.act;
    cost->uniform.act_w_bytes = x.act_w;
    cost->intra.latency = cost->inter.latency = x.latency;
    ck_assert_msg(pps_cost_resolve_for(cost, s, &err) == PPS_OK, "%s", err.msg);
    ck_assert_msg(pps_simulate(low, cost, &t, &err) == PPS_OK, "%s P=%d M=%d: %s", name,
                  p->ranks, p->microbatches, err.msg);
    pps_analysis a;
    ck_assert_msg(pps_analyze(t, &a, &err) == PPS_OK, "%s", err.msg);
    p->cost = cost;
    pps_timeline_destroy(t);
    pps_schedule_destroy(low);
    pps_schedule_destroy(s);
    return a;
}

static pps_analysis run(const char *name, int P, int v, int M, costs x)
{
    pps_gen_params p = {.ranks = P, .chunks = v, .microbatches = M};
    pps_cost c;
    pps_analysis a = run_with(name, &p, x, &c);
    pps_cost_clear(&c);
    return a;
}

/* The row's analytic bubble for P, M under x. */
static double analytic_bubble(const char *name, int P, int M, costs x)
{
    pps_gen_params p = {.ranks = P, .microbatches = M};
    pps_cost c;
    pps_analysis a = run_with(name, &p, x, &c);
    double b = pps_generator_analytic_bubble(pps_generator_find(name), &p);
    pps_analysis_clear(&a);
    pps_cost_clear(&c);
    return b;
}

/* ------------------------------------------------------------------ unit costs */

START_TEST(zb_h2_has_no_bubble_with_unit_costs_from_m_2p)
{
    /* t_F = t_I = t_W = 1, free communication: (P−1)(t_F + t_I − 2t_W) = 0 (Qi et al. §2.2). */
    for (int P = 2; P <= 8; P++) {
        int ms[] = {2 * P, 2 * P + 1, 3 * P, 4 * P + 3};
        for (size_t k = 0; k < sizeof ms / sizeof *ms; k++) {
            pps_analysis a = run("zb-h2", P, 1, ms[k], UNIT);
            ck_assert_msg(fabs(a.stage_span_rate) < TOL, "P=%d M=%d: stage-span %g", P, ms[k],
                          a.stage_span_rate);
            pps_analysis_clear(&a);
        }
    }
}
END_TEST

START_TEST(zb_v_has_no_bubble_with_unit_costs_from_m_2p)
{
    /* Qi et al. §6: ZB-V's bubble is 0 when t_F = t_I = t_W, from M = 2P on. */
    for (int P = 2; P <= 8; P++) {
        int ms[] = {2 * P, 2 * P + 1, 3 * P, 4 * P + 3};
        for (size_t k = 0; k < sizeof ms / sizeof *ms; k++) {
            pps_analysis a = run("zb-v", P, 2, ms[k], UNIT);
            ck_assert_msg(fabs(a.stage_span_rate) < TOL, "P=%d M=%d: stage-span %g", P, ms[k],
                          a.stage_span_rate);
            pps_analysis_clear(&a);
        }
    }
}
END_TEST

START_TEST(zb_h1_bubble_is_a_third_of_1f1b)
{
    /* Unit costs: 1F1B idles (P−1)(t_F + t_B) = 3(P−1) on its widest rank, ZB-H1
     * (P−1)(t_F + t_I − t_W) = P−1 (Qi et al. §2.1: "one third"). */
    for (int P = 2; P <= 8; P++) {
        int ms[] = {P, 2 * P, 4 * P, 4 * P + 1};
        for (size_t k = 0; k < sizeof ms / sizeof *ms; k++) {
            pps_analysis z = run("zb-h1", P, 1, ms[k], UNIT);
            pps_analysis o = run("1f1b", P, 1, ms[k], UNIT);
            ck_assert_double_eq_tol(o.stage_span_idle, 3.0 * (P - 1), TOL);
            ck_assert_double_eq_tol(z.stage_span_idle, P - 1.0, TOL);
            ck_assert_double_eq_tol(z.stage_span_idle * 3, o.stage_span_idle, TOL);
            pps_analysis_clear(&z);
            pps_analysis_clear(&o);
        }
    }
}
END_TEST

/* ------------------------------------------------------------------ memory */

START_TEST(zb_h1_and_zb_h2_peaks_are_the_papers)
{
    /* Qi et al., Table 2, worker i = r + 1: ZB-H1 (P−i+1)M_B + (i−1)M_W, ZB-H2
     * (2P−2i+1)M_B + (2i−2)M_W, for M large enough to fill the warm-up (M ≥ 2P−1). */
    const double mb = 4, ratios[] = {0, 0.25, 0.5, 1};
    const int ps[] = {2, 3, 4, 5, 8};
    for (size_t a = 0; a < sizeof ps / sizeof *ps; a++)
        for (size_t b = 0; b < sizeof ratios / sizeof *ratios; b++) {
            int P = ps[a];
            costs x = {1, 1.25, 0.75, mb, ratios[b] * mb, 0};
            pps_analysis h1 = run("zb-h1", P, 1, 2 * P + 1, x);
            pps_analysis h2 = run("zb-h2", P, 1, 3 * P, x);
            for (int i = 1; i <= P; i++) {
                double w1 = (P - i + 1) * mb + (i - 1) * x.act_w;
                double w2 = (2 * P - 2 * i + 1) * mb + (2 * i - 2) * x.act_w;
                ck_assert_msg(fabs(h1.per_rank[i - 1].peak_activation - w1) < TOL,
                              "ZB-H1 P=%d M_W/M_B=%g worker %d: %g, paper %g", P, ratios[b], i,
                              h1.per_rank[i - 1].peak_activation, w1);
                ck_assert_msg(fabs(h2.per_rank[i - 1].peak_activation - w2) < TOL,
                              "ZB-H2 P=%d M_W/M_B=%g worker %d: %g, paper %g", P, ratios[b], i,
                              h2.per_rank[i - 1].peak_activation, w2);
            }
            /* ZB-H1 never holds more than 1F1B's P·M_B. */
            ck_assert_double_le(h1.per_rank[0].peak_activation, P * mb);
            pps_analysis_clear(&h1);
            pps_analysis_clear(&h2);
        }
}
END_TEST

START_TEST(zb_v_holds_p_activations_on_every_rank)
{
    /* Qi et al. §6: P·M_B per worker whatever M_W (each stage holds M_B/2 per micro-batch under
     * the rank-share rule). */
    const double mb = 4, ratios[] = {0, 0.25, 0.5, 1};
    const int ps[] = {2, 3, 4, 6, 8};
    for (size_t a = 0; a < sizeof ps / sizeof *ps; a++)
        for (size_t b = 0; b < sizeof ratios / sizeof *ratios; b++) {
            costs x = {1, 1.25, 0.75, mb, ratios[b] * mb, 0};
            pps_analysis z = run("zb-v", ps[a], 2, 2 * ps[a] + 3, x);
            for (int r = 0; r < ps[a]; r++)
                ck_assert_msg(fabs(z.per_rank[r].peak_activation - ps[a] * mb) < TOL,
                              "P=%d M_W/M_B=%g rank %d: %g, paper %g", ps[a], ratios[b], r,
                              z.per_rank[r].peak_activation, ps[a] * mb);
            pps_analysis_clear(&z);
        }
}
END_TEST

START_TEST(an_overlapped_pair_holds_its_forward_before_it_releases_its_backward)
{
    /* DualPipeV, P = 2, M = 4, rank share t_F = t_I = t_W = 1 and 2 bytes, so each stage takes
     * 0.5 (B 1, an overlapped pair 0.5 + 1 = 1.5) and holds 1 byte per micro-batch. Worked by
     * hand: rank 0 runs 0F0 0F1 0F2 (to 1.5), 3F0 1.5–2 (after 2F0 on rank 1, 1–1.5), 3I0 –2.5,
     * 3W0 –3, 3F1 3–3.5 (2F1 ended 2.5), (0F3;3B1) 3.5–5, (3F2;0B0) 5.5–7 (1B0 ends 5.5 inside
     * rank 1's (2F2;1B0) 4–5.5), 3B2 –8, (3F3;0B1) 8.5–10 (rank 1's (2F3;1B1) 7–8.5), 3B3 –11,
     * 0I2 11–11.5 (1B2 ended 10.5), 0W2 –12, 0I3 12–12.5 (1I3 ended 12), 0W3 –13: makespan 13,
     * busy 8·1.5 = 12, bubble 1 = (P−1)(t_F&B + t_B − 3t_W) = 1.5 + 1 − 1.5 (DualPipe README).
     * Memory on rank 0: four forwards (4 B), I0 and W0 release one, 3F1 makes 4 again, and each
     * pair takes a fifth before its B half releases one: 2P + 1 = 5 chunks, the README's PP + 1. */
    costs x = {1, 1, 1, 2, 0, 0};
    pps_analysis a = run("dualpipe-v", 2, 2, 4, x);
    ck_assert_double_eq_tol(a.makespan, 13, TOL);
    ck_assert_double_eq_tol(a.stage_span_idle, 1, TOL);
    ck_assert_double_eq_tol(a.per_rank[0].peak_activation, 5, TOL);
    ck_assert_double_eq_tol(a.per_rank[1].peak_activation, 5, TOL);
    ck_assert_double_eq_tol(analytic_bubble("dualpipe-v", 2, 4, x), 1, TOL);
    pps_analysis_clear(&a);
}
END_TEST

START_TEST(dualpipe_v_bubble_and_memory_are_the_readmes)
{
    /* (R−1)(t_F&B + t_B − 3t_W) with per-stage times and PP + 1 = 2R + 1 chunk activations, for
     * t_F = t_I (rank share 1.5, so 0.75 per stage), a rank share t_W of 1 or 0.5 (0.5 or 0.25
     * per stage), t_F&B = t_F + t_B and any M ≥ 2R. R = 4, t_W = 0.5: t_B = 1.25, t_F&B = 2,
     * 3·(2 + 1.25 − 1.5) = 5.25; t_W = 0.25: t_B = 1, 3·(1.75 + 1 − 0.75) = 6. The peak: 9 chunks
     * of 1 byte (2 per rank share). */
    const struct { double tw, want; } cases[] = {{1, 5.25}, {0.5, 6}};
    for (size_t k = 0; k < 2; k++) {
        int ms[] = {8, 9, 16};
        for (size_t j = 0; j < 3; j++) {
            costs x = {1.5, 1.5, cases[k].tw, 2, 0.5, 0};
            pps_analysis a = run("dualpipe-v", 4, 2, ms[j], x);
            ck_assert_msg(fabs(a.stage_span_idle - cases[k].want) < TOL, "t_W=%g M=%d: %g",
                          cases[k].tw, ms[j], a.stage_span_idle);
            for (int r = 0; r < 4; r++)
                ck_assert_double_eq_tol(a.per_rank[r].peak_activation, 9, TOL);
            pps_analysis_clear(&a);
        }
    }
    /* A pair that costs less than its halves: the formula no longer describes the order. */
    pps_gen_params p = {.ranks = 4, .microbatches = 8};
    pps_cost c;
    costs x = {1.5, 1.5, 1, 2, 0, 0};
    pps_analysis a = run_with("dualpipe-v", &p, x, &c);
    c.uniform.tfb = 3;
    pps_error err = {0};
    ck_assert(pps_cost_resolve(&c, 8, &err) == PPS_OK);
    ck_assert(isnan(pps_generator_analytic_bubble(pps_generator_find("dualpipe-v"), &p)));
    pps_analysis_clear(&a);
    pps_cost_clear(&c);
}
END_TEST

/* ------------------------------------------------------------------ costs that differ, latency */

START_TEST(zb_h1_with_latency_worked_by_hand)
{
    /* P = 2, M = 4, t_F = 1, t_I = 1, t_W = 0.5, latency a = 0.25. Rank 0 runs F0 0–1, F1 1–2,
     * then waits for I0: rank 1 runs F0 1.25–2.25 and I0 2.25–3.25, which arrives at 3.5. Rank 0:
     * I0 3.5–4.5, W0 –5, F2 –6, I1 –7 (arrived 5.5), W1 –7.5, F3 –8.5, I2 –9.5 (arrived 8.5),
     * W2 –10; I3 needs F3's round trip: rank 1 F3 8.75–9.75, I3 –10.75, arrives 11: I3 11–12,
     * W3 –12.5. Rank 0 idles 1.5 + 1 = 2.5 of its 12.5 s span; the formula with the 4a per hop
     * of docs/schedules.md: (P−1)(t_F + t_I − t_W + 4a) = 1.5 + 1 = 2.5. */
    costs x = {1, 1, 0.5, 1, 0, 0.25};
    pps_analysis a = run("zb-h1", 2, 1, 4, x);
    ck_assert_double_eq_tol(a.makespan, 12.5, TOL);
    ck_assert_double_eq_tol(a.stage_span_idle, 2.5, TOL);
    ck_assert_double_eq_tol(analytic_bubble("zb-h1", 2, 4, x), 2.5, TOL);
    pps_analysis_clear(&a);
}
END_TEST

START_TEST(zb_h2_with_latency_worked_by_hand)
{
    /* P = 2, M = 4, t_F = 1, t_I = 1.5, t_W = 0.5, a = 0.25. Rank 0: F0, F1, F2 0–3, waits for
     * I0 (rank 1: F0 1.25–2.25, I0 –3.75, arrives 4): I0 4–5.5, W0 –6, F3 –7, I1 7–8.5 (rank 1:
     * F1 3.75–4.75, I1 –6.25, arrived 6.5), W1 –9, I2 9–10.5 (rank 1: F2 6.25–7.25, I2 –8.75,
     * arrived 9), W2 –11, then I3 waits (rank 1: F3 from 7.25 and after W0 8.75–9.25, so F3
     * 9.25–10.25, I3 –11.75, arrives 12): I3 12–13.5, W3 –14. Rank 0 spans 14 s with 12 busy:
     * bubble 2 = (P−1)(t_F + t_I − 2t_W + 2a) = 1 + 0.5 + 0.5. Rank 1 spans 1.25–13.25, no gap. */
    costs x = {1, 1.5, 0.5, 1, 0, 0.25};
    pps_analysis a = run("zb-h2", 2, 1, 4, x);
    ck_assert_double_eq_tol(a.makespan, 14, TOL);
    ck_assert_double_eq_tol(a.stage_span_idle, 2, TOL);
    ck_assert_double_eq_tol(a.per_rank[1].idle, 2, TOL); /* its 12 s span starts at 1.25 */
    ck_assert_double_eq_tol(analytic_bubble("zb-h2", 2, 4, x), 2, TOL);
    pps_analysis_clear(&a);
}
END_TEST

START_TEST(zb_h1_and_zb_h2_bubbles_equal_the_papers_formulas)
{
    /* P = 4, M = 8, t_F = 1.5, t_I = 2, t_W = 1 (t_W < t_F < t_I as in the paper's Table 1).
     * Free communication, the paper's formulas: ZB-H1 (P−1)(t_F + t_I − t_W) = 3·2.5 = 7.5,
     * ZB-H2 (P−1)(t_F + t_I − 2t_W) = 3·1.5 = 4.5. With a = 0.5 per transfer (2a ≤ t_W):
     * ZB-H1 adds 4a per hop, 3·(2.5 + 2) = 13.5; ZB-H2 adds 2a per hop, 3·(1.5 + 1) = 7.5. */
    const struct { const char *name; double latency, want; } cases[] = {
        {"zb-h1", 0, 7.5}, {"zb-h2", 0, 4.5}, {"zb-h1", 0.5, 13.5}, {"zb-h2", 0.5, 7.5},
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        costs x = {1.5, 2, 1, 1, 0, cases[k].latency};
        pps_analysis a = run(cases[k].name, 4, 1, 8, x);
        ck_assert_msg(fabs(a.stage_span_idle - cases[k].want) < TOL, "%s a=%g: %g, want %g",
                      cases[k].name, cases[k].latency, a.stage_span_idle, cases[k].want);
        ck_assert_double_eq_tol(analytic_bubble(cases[k].name, 4, 8, x), cases[k].want, TOL);
        pps_analysis_clear(&a);
    }
}
END_TEST

START_TEST(formulas_give_no_value_where_their_assumptions_fail)
{
    /* ZB-H1 needs M ≥ P; ZB-H2 M ≥ 2P − 1 and t_W ≤ t_F; both 2a ≤ t_W. */
    ck_assert(isnan(analytic_bubble("zb-h1", 4, 3, UNIT)));
    ck_assert(isnan(analytic_bubble("zb-h2", 4, 6, UNIT)));
    ck_assert(!isnan(analytic_bubble("zb-h2", 4, 7, UNIT)));
    costs heavy_w = {1, 1, 1.5, 1, 0, 0};
    ck_assert(isnan(analytic_bubble("zb-h2", 4, 8, heavy_w)));
    costs slow_link = {1, 1, 1, 1, 0, 0.75};
    ck_assert(isnan(analytic_bubble("zb-h1", 4, 8, slow_link)));
    ck_assert(isnan(analytic_bubble("zb-h2", 4, 8, slow_link)));
    /* 1F1B's formula has no communication term. */
    costs link = {1, 1, 1, 1, 0, 0.1};
    ck_assert(isnan(analytic_bubble("1f1b", 4, 8, link)));
}
END_TEST

/* ------------------------------------------------------------------ every formula vs the simulator */

/* A deterministic pseudo-random number in [lo, hi), rounded to 1/64 so sums stay exact. */
static double draw(unsigned *state, double lo, double hi)
{
    *state = *state * 1103515245u + 12345u;
    double u = (double)((*state >> 8) & 0xffff) / 65536.0;
    return lo + floor((hi - lo) * u * 64) / 64;
}

START_TEST(every_analytic_value_matches_the_simulation)
{
    /* Where a row gives a bubble or a peak for random uniform costs and latencies, the simulator
     * must give exactly that: the formulas' stated conditions are sufficient. */
    unsigned seed = 12345;
    int checked_bubble = 0, checked_peak = 0;
    for (size_t gi = 0; gi < pps_generator_count(); gi++) {
        const pps_generator *g = pps_generator_at(gi);
        for (int n = 0; n < 60; n++) {
            int P = 1 + (int)draw(&seed, 0, 6);
            int M = 1 + (int)draw(&seed, 0, 4 * P + 2);
            costs x = {draw(&seed, 0.25, 2), draw(&seed, 0.25, 2), draw(&seed, 0.125, 2), 4,
                       draw(&seed, 0, 4), n % 3 == 0 ? 0 : draw(&seed, 0, 0.5)};
            pps_gen_params p = {.ranks = P, .microbatches = M};
            pps_schedule *probe = NULL;
            pps_error err = {0};
            if (pps_generate(g, &p, &probe, &err) != PPS_OK)
                continue; /* a configuration the row refuses */
            pps_schedule_destroy(probe);
            pps_cost c;
            pps_analysis a = run_with(g->name, &p, x, &c);
            double b = pps_generator_analytic_bubble(g, &p);
            if (!isnan(b)) {
                ck_assert_msg(fabs(a.stage_span_idle - b) < 1e-9 * (1 + b),
                              "%s P=%d M=%d tf=%g ti=%g tw=%g a=%g: simulated %.9g, formula %.9g",
                              g->name, P, M, x.tf, x.ti, x.tw, x.latency, a.stage_span_idle, b);
                checked_bubble++;
            }
            for (int r = 0; r < P; r++) {
                double pk = pps_generator_analytic_peak(g, &p, r);
                if (isnan(pk))
                    continue;
                ck_assert_msg(fabs(a.per_rank[r].peak_activation - pk) < 1e-9 * (1 + pk),
                              "%s P=%d M=%d rank %d: simulated peak %.9g, formula %.9g", g->name,
                              P, M, r, a.per_rank[r].peak_activation, pk);
                checked_peak++;
            }
            pps_analysis_clear(&a);
            pps_cost_clear(&c);
        }
    }
    ck_assert_int_gt(checked_bubble, 100);
    ck_assert_int_gt(checked_peak, 1000);
}
END_TEST

/* ------------------------------------------------------------------ PyTorch's orders */

/* Generates `name` for P, M and compares it, cell for cell (idle cells included), with the
 * compute-only CSV PyTorch 2.15 wrote (traces/pytorch/2.15, tools/pytorch/dump_schedules.py);
 * then simulates PyTorch's file. */
static void same_as_pytorch(const char *cls, int P, int M)
{
    char path[256];
    snprintf(path, sizeof path, "../traces/pytorch/2.15/%s_p%d_m%d_compute_only.csv", cls, P, M);
    pps_schedule *want = NULL, *got = NULL, *low = NULL;
    pps_error err = {0};
    ck_assert_msg(pps_schedule_read(path, &want, &err) == PPS_OK, "%s", err.msg);
    pps_gen_params p = {.ranks = P, .microbatches = M};
    ck_assert_msg(pps_generate(pps_generator_find(cls), &p, &got, &err) == PPS_OK, "%s: %s", cls,
                  err.msg);
    ck_assert_int_eq(got->ranks, want->ranks);
    ck_assert_int_eq(got->stages, want->stages);
    ck_assert_int_eq(got->microbatches, want->microbatches);
    for (int s = 0; s < got->stages; s++)
        ck_assert_int_eq(got->stage_rank[s], want->stage_rank[s]);
    for (int r = 0; r < P; r++) {
        const pps_program *g = &got->programs[r], *w = &want->programs[r];
        ck_assert_msg(g->n == w->n, "%s P=%d M=%d rank %d: %zu cells, PyTorch %zu", cls, P, M, r,
                      g->n, w->n);
        for (size_t i = 0; i < g->n; i++) {
            char gt[PPS_ACTION_TEXT_MAX], wt[PPS_ACTION_TEXT_MAX];
            pps_action_format(&g->actions[i], gt, sizeof gt);
            pps_action_format(&w->actions[i], wt, sizeof wt);
            ck_assert_msg(strcmp(gt, wt) == 0, "%s P=%d M=%d rank %d cell %zu: '%s', PyTorch '%s'",
                          cls, P, M, r, i, gt, wt);
        }
    }
    ck_assert_msg(pps_schedule_validate(want, &err) == PPS_OK, "%s", err.msg);
    ck_assert_msg(pps_schedule_lower(want, &low, &err) == PPS_OK, "%s", err.msg);
    pps_cost c;
    pps_cost_init(&c);
    pps_timeline *t = NULL;
    ck_assert(pps_cost_resolve_for(&c, want, &err) == PPS_OK);
    ck_assert_msg(pps_simulate(low, &c, &t, &err) == PPS_OK, "%s: %s", path, err.msg);
    pps_timeline_destroy(t);
    pps_cost_clear(&c);
    pps_schedule_destroy(low);
    pps_schedule_destroy(got);
    pps_schedule_destroy(want);
}

START_TEST(pytorch_orders_are_generated_cell_for_cell)
{
    static const char *const classes[] = {"ScheduleZBVZeroBubble",
                                          "ScheduleInterleavedZeroBubble", "ScheduleDualPipeV"};
    static const int sizes[][2] = {{2, 4}, {4, 8}, {4, 16}, {8, 32}};
    for (size_t c = 0; c < 3; c++)
        for (size_t k = 0; k < 4; k++)
            same_as_pytorch(classes[c], sizes[k][0], sizes[k][1]);
    /* The aliases find ppsim's rows. */
    ck_assert_str_eq(pps_generator_find("ZBVZeroBubble")->name, "zb-v");
    ck_assert_str_eq(pps_generator_find("scheduleinterleavedzerobubble")->name, "interleaved-zb");
    ck_assert_str_eq(pps_generator_find("DualPipeV")->name, "dualpipe-v");
}
END_TEST

START_TEST(pytorch_shapes_kept_for_small_m)
{
    /* PyTorch's ZBV builds its order for 2P − 1 micro-batches when M is smaller and leaves the
     * extra cells empty (P = 3, M = 2, rank 0, from PyTorch 2.15's _calculate_single_rank_operations
     * as documented in docs/schedules.md). */
    pps_gen_params p = {.ranks = 3, .microbatches = 2};
    pps_schedule *s = NULL;
    pps_error err = {0};
    ck_assert(pps_generate(pps_generator_find("zb-v"), &p, &s, &err) == PPS_OK);
    const char *want[] = {"0F0", "0F1", "", "", "", "5F0", "5I0", "5W0", "5F1", "5I1", "5W1", "",
                          "", "", "0I0", "0W0", "", "", "", "0I1", "0W1", "", "", "", "", "", "",
                          "", "", ""};
    ck_assert_uint_eq(s->programs[0].n, sizeof want / sizeof *want);
    for (size_t i = 0; i < s->programs[0].n; i++) {
        char text[PPS_ACTION_TEXT_MAX];
        pps_action_format(&s->programs[0].actions[i], text, sizeof text);
        ck_assert_str_eq(text, want[i]);
    }
    pps_schedule_destroy(s);
}
END_TEST

START_TEST(constraints_are_refused_with_the_reason)
{
    pps_error err = {0};
    pps_schedule *s = NULL;
    pps_gen_params p = {.ranks = 4, .chunks = 3, .microbatches = 8};
    ck_assert_int_eq(pps_generate(pps_generator_find("zb-v"), &p, &s, &err), PPS_EUNSUPPORTED);
    ck_assert_str_eq(err.msg, "zb-v: chunks must be 2 (got 3): the V placement gives rank r "
                              "stages r and 2P-1-r");
    p = (pps_gen_params){.ranks = 4, .microbatches = 7};
    ck_assert_int_eq(pps_generate(pps_generator_find("dualpipe-v"), &p, &s, &err),
                     PPS_EUNSUPPORTED);
    ck_assert_str_eq(err.msg, "dualpipe-v: M=7 is below 2P=8: its phases need at least as many "
                              "micro-batches as stages (M - 2P + r + 1 steady pairs on rank r)");
    p = (pps_gen_params){.ranks = 2, .microbatches = 5};
    ck_assert_int_eq(pps_generate(pps_generator_find("interleaved-zb"), &p, &s, &err),
                     PPS_EUNSUPPORTED);
    ck_assert_str_eq(err.msg, "interleaved-zb: M=5 is not a multiple of its 2 rounds (rounds = "
                              "max(1, M / P) with P=2; as PyTorch's ScheduleInterleavedZeroBubble "
                              "requires)");
    p = (pps_gen_params){.ranks = 4, .chunks = 1, .microbatches = 8};
    ck_assert_int_eq(pps_generate(pps_generator_find("interleaved-zb"), &p, &s, &err),
                     PPS_EUNSUPPORTED);
    p = (pps_gen_params){.ranks = 4, .chunks = 2, .microbatches = 8};
    ck_assert_int_eq(pps_generate(pps_generator_find("zb-h1"), &p, &s, &err), PPS_EUNSUPPORTED);
    ck_assert_ptr_null(s);
}
END_TEST

/* ------------------------------------------------------------------ sizes */

START_TEST(zero_bubble_schedules_run_over_a_grid_of_sizes)
{
    /* P ≤ 32, M ≤ 256, sampled: every configuration a row accepts validates, lowers and runs
     * without deadlock; those it refuses say why (PPS_EUNSUPPORTED). */
    static const char *const names[] = {"zb-h1", "zb-h2", "zb-v", "interleaved-zb", "dualpipe-v"};
    static const int ps[] = {1, 2, 3, 4, 5, 7, 8, 13, 16, 31, 32};
    static const int ms[] = {1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 255,
                             256};
    int ran = 0;
    for (size_t n = 0; n < sizeof names / sizeof *names; n++)
        for (size_t a = 0; a < sizeof ps / sizeof *ps; a++)
            for (size_t b = 0; b < sizeof ms / sizeof *ms; b++) {
                pps_gen_params p = {.ranks = ps[a], .microbatches = ms[b]};
                pps_schedule *s = NULL;
                pps_error err = {0};
                pps_status st = pps_generate(pps_generator_find(names[n]), &p, &s, &err);
                if (st != PPS_OK) {
                    ck_assert_msg(st == PPS_EUNSUPPORTED, "%s: %s", names[n], err.msg);
                    continue;
                }
                pps_schedule_destroy(s);
                pps_analysis x = run(names[n], ps[a], 0, ms[b], UNIT);
                ck_assert_double_gt(x.makespan, 0);
                pps_analysis_clear(&x);
                ran++;
            }
    ck_assert_int_gt(ran, 900);
}
END_TEST

static Suite *zero_bubble_suite(void)
{
    Suite *s = suite_create("zero_bubble");
    TCase *tc = tcase_create("zero_bubble");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, zb_h2_has_no_bubble_with_unit_costs_from_m_2p);
    tcase_add_test(tc, zb_v_has_no_bubble_with_unit_costs_from_m_2p);
    tcase_add_test(tc, zb_h1_bubble_is_a_third_of_1f1b);
    tcase_add_test(tc, zb_h1_and_zb_h2_peaks_are_the_papers);
    tcase_add_test(tc, zb_v_holds_p_activations_on_every_rank);
    tcase_add_test(tc, an_overlapped_pair_holds_its_forward_before_it_releases_its_backward);
    tcase_add_test(tc, dualpipe_v_bubble_and_memory_are_the_readmes);
    tcase_add_test(tc, zb_h1_with_latency_worked_by_hand);
    tcase_add_test(tc, zb_h2_with_latency_worked_by_hand);
    tcase_add_test(tc, zb_h1_and_zb_h2_bubbles_equal_the_papers_formulas);
    tcase_add_test(tc, formulas_give_no_value_where_their_assumptions_fail);
    tcase_add_test(tc, every_analytic_value_matches_the_simulation);
    tcase_add_test(tc, pytorch_orders_are_generated_cell_for_cell);
    tcase_add_test(tc, pytorch_shapes_kept_for_small_m);
    tcase_add_test(tc, constraints_are_refused_with_the_reason);
    tcase_add_test(tc, zero_bubble_schedules_run_over_a_grid_of_sizes);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(zero_bubble_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
