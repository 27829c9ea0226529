/* test_equivalence.c — the stream core, the summaries, the batch API and the one-pass analysis
 * give what the previous algorithm gave, bit for bit: on the 1,000 configurations of
 * equiv_cases.h (the generators' grid, changed at random, with random costs) every path's
 * timeline and analysis must hash to the digests that the library before the stream core
 * printed (tests/data/equivalence.txt, from equivalence_digest.c), failures included (the same
 * status and message). The timeline file written as the simulation goes must be the file of
 * the timeline. */
#include <check.h>
#include <float.h>

#include "equiv_cases.h"
#include "testutil.h"

typedef struct digest {
    unsigned long long timeline, analysis;
    char desc[128];
} digest;

static digest stored[EQ_CASES];

static void load_digests(void)
{
    FILE *fp = fopen("data/equivalence.txt", "r");
    ck_assert_msg(fp != NULL, "data/equivalence.txt: cannot open");
    char line[256];
    int n = 0;
    while (fgets(line, sizeof line, fp)) {
        int i, used = 0;
        digest d;
        ck_assert_msg(sscanf(line, "%d %llx %llx %n", &i, &d.timeline, &d.analysis, &used) == 3,
                      "bad digest line: %s", line);
        ck_assert(i == n && i < EQ_CASES);
        snprintf(d.desc, sizeof d.desc, "%s", line + used);
        d.desc[strcspn(d.desc, "\n")] = '\0';
        stored[n++] = d;
    }
    fclose(fp);
    ck_assert_int_eq(n, EQ_CASES);
}

static uint64_t hash_timeline(pps_status st, const pps_timeline *t, const pps_error *err)
{
    uint64_t h = 0xCBF29CE484222325u;
    if (st == PPS_OK)
        eq_hash_timeline(&h, t);
    else
        eq_hash_failure(&h, st, err->msg);
    return h;
}

static uint64_t hash_analysis(pps_status st, const pps_analysis *a, const pps_error *err)
{
    uint64_t h = 0xCBF29CE484222325u;
    if (st == PPS_OK)
        eq_hash_analysis(&h, a);
    else
        eq_hash_failure(&h, st, err->msg);
    return h;
}

#define SAME(got, want, what)                                                                  \
    ck_assert_msg((got) == (want), "case %d (%s): %s differs from the previous algorithm's", i, \
                  stored[i].desc, what)

/* Every event's start is its recorded predecessor's end (or 0), and SEND/RECV pairs point at
 * each other: the record the critical path will follow. */
static void check_bounds(int i, const pps_timeline *t, const pps_bounds *b)
{
    ck_assert_uint_eq(b->n, t->n);
    for (size_t k = 0; k < t->n; k++) {
        const pps_event *e = &t->events[k];
        int32_t p = b->pred[k];
        if (b->bound[k] == PPS_BOUND_NONE)
            ck_assert_msg(p == -1 && e->start == 0, "case %d event %zu: unbound start %g", i, k,
                          e->start);
        else
            ck_assert_msg(p >= 0 && (size_t)p < t->n && t->events[p].end == e->start,
                          "case %d (%s) event %zu: start %g is not its predecessor's end", i,
                          stored[i].desc, k, e->start);
        /* The previous action of its stream: on its rank (under --comm sync, SEND/RECV run on
         * the compute stream, so the stream label of the events may differ). */
        if (b->bound[k] == PPS_BOUND_STREAM)
            ck_assert_msg(t->events[p].rank == e->rank,
                          "case %d (%s) event %zu: stream predecessor %d is on rank %d", i,
                          stored[i].desc, k, p, t->events[p].rank);
        int comm = pps_kind_is_comm((pps_kind)e->action.kind);
        int32_t q = b->partner[k];
        ck_assert_msg(comm ? q >= 0 && b->partner[q] == (int32_t)k : q == -1,
                      "case %d event %zu: partner %d", i, k, q);
    }
}

/* pps_memory_series_all gives each rank what pps_memory_series gives it, and the simulation
 * itself (pps_simulate_memory, no timeline) gives the same. */
static void check_series(int i, const pps_timeline *t, const pps_schedule *s,
                         const pps_prices *p)
{
    pps_memory_point *all = NULL, *sim = NULL;
    size_t *first = NULL, *sim_first = NULL;
    pps_error err = {0};
    ck_assert_msg(pps_memory_series_all(t, &all, &first, &err) == PPS_OK, "%s", err.msg);
    ck_assert_msg(pps_simulate_memory(s, p, NULL, &sim, &sim_first, &err) == PPS_OK, "%s",
                  err.msg);
    for (int r = 0; r <= t->ranks; r++)
        ck_assert_msg(sim_first[r] == first[r], "case %d: rank %d's series differ", i, r);
    for (size_t k = 0; k < first[t->ranks]; k++)
        ck_assert(sim[k].t == all[k].t && sim[k].bytes == all[k].bytes);
    free(sim);
    free(sim_first);
    for (int r = 0; r < t->ranks; r++) {
        pps_memory_point *one = NULL;
        size_t n = 0;
        ck_assert(pps_memory_series(t, r, &one, &n, &err) == PPS_OK);
        ck_assert_msg(n == first[r + 1] - first[r], "case %d rank %d: %zu points, not %zu", i, r,
                      first[r + 1] - first[r], n);
        for (size_t k = 0; k < n; k++)
            ck_assert(one[k].t == all[first[r] + k].t && one[k].bytes == all[first[r] + k].bytes);
        free(one);
    }
    free(all);
    free(first);
}

/* The timeline file written as the simulation goes (pps_simulate_write_json, a rank's events
 * at a time) is the file of the simulated timeline (pps_timeline_write_json), byte for byte,
 * with the same summary; a failure is the same failure. */
static void check_streamed_file(int i, const pps_schedule *s, const pps_prices *p)
{
    char *want = NULL, *got = NULL;
    size_t nwant = 0, ngot = 0;
    pps_error e1 = {0}, e2 = {0};
    pps_timeline *t = NULL;
    pps_analysis a = {0};
    FILE *fw = open_memstream(&want, &nwant), *fg = open_memstream(&got, &ngot);
    ck_assert(fw && fg);
    pps_status s1 = pps_simulate_prices(s, p, &t, NULL, NULL, &e1);
    if (s1 == PPS_OK)
        s1 = pps_timeline_write_json(t, fw, &e1);
    pps_status s2 = pps_simulate_write_json(s, p, &a, fg, &e2);
    fclose(fw);
    fclose(fg);
    ck_assert_msg(s1 == s2 && strcmp(e1.msg, e2.msg) == 0, "case %d (%s): %d %s, streamed %d %s",
                  i, stored[i].desc, s1, e1.msg, s2, e2.msg);
    if (s1 == PPS_OK) {
        ck_assert_msg(ngot == nwant && memcmp(got, want, nwant) == 0,
                      "case %d (%s): the streamed file differs (%zu bytes, not %zu)", i,
                      stored[i].desc, ngot, nwant);
        SAME(hash_analysis(PPS_OK, &a, &e2), stored[i].analysis, "the streamed summary");
    }
    pps_analysis_clear(&a);
    pps_timeline_destroy(t);
    free(want);
    free(got);
}

START_TEST(every_path_matches_the_previous_algorithm_on_1000_random_schedules)
{
    load_digests();
    pps_batch *batch = NULL;
    pps_error err = {0};
    ck_assert(pps_batch_create(&batch, &err) == PPS_OK);
    int ran = 0;
    for (int i = 0; i < EQ_CASES; i++) {
        pps_schedule *s = NULL, *low = NULL;
        pps_cost c;
        char desc[128];
        ck_assert_msg(eq_case(i, &s, &c, desc, sizeof desc), "case %d: not valid", i);
        ck_assert_str_eq(desc, stored[i].desc);

        /* The compute-only schedule (the stream core unless --comm sync), then the summary of
         * its timeline. */
        pps_timeline *t = NULL;
        pps_analysis a = {0};
        pps_prices p = {0};
        ck_assert(pps_price(s, &c, &p, &err) == PPS_OK);
        pps_status st = pps_simulate(s, &c, &t, &err);
        SAME(hash_timeline(st, t, &err), stored[i].timeline, "the timeline");
        if (st == PPS_OK) {
            ck_assert(pps_analyze(t, &a, &err) == PPS_OK);
            SAME(hash_analysis(PPS_OK, &a, &err), stored[i].analysis, "the analysis");
            check_series(i, t, s, &p);
            ran++;
        }
        pps_analysis_clear(&a);

        /* The lowered copy (the graph core). */
        pps_timeline *t2 = NULL;
        ck_assert(pps_schedule_lower(s, &low, &err) == PPS_OK);
        st = pps_simulate(low, &c, &t2, &err);
        SAME(hash_timeline(st, t2, &err), stored[i].timeline, "the lowered timeline");

        /* The summary without a timeline, and through a batch. */
        st = pps_simulate_summary(s, &c, &a, &err);
        SAME(hash_analysis(st, &a, &err), stored[i].analysis, "the summary");
        pps_analysis_clear(&a);
        const pps_analysis *ba = NULL;
        st = pps_batch_simulate(batch, s, &p, &ba, &err);
        SAME(hash_analysis(st, ba, &err), stored[i].analysis, "the batch summary");

        /* The record for the critical path and the file written as it goes, from either
         * core. */
        const pps_schedule *both[2] = {s, low};
        for (int k = 0; k < 2; k++) {
            check_streamed_file(i, both[k], &p);
            pps_timeline *t3 = NULL;
            pps_bounds b = {0};
            pps_analysis a3 = {0};
            st = pps_simulate_prices(both[k], &p, &t3, &a3, &b, &err);
            SAME(hash_timeline(st, t3, &err), stored[i].timeline, "the recorded timeline");
            SAME(hash_analysis(st, &a3, &err), stored[i].analysis, "the recorded summary");
            if (st == PPS_OK)
                check_bounds(i, t3, &b);
            pps_bounds_clear(&b);
            pps_analysis_clear(&a3);
            pps_timeline_destroy(t3);
        }
        /* Replay: prices taken from the timeline give it back, to rounding. */
        if (t) {
            pps_timeline *t4 = NULL;
            ck_assert_msg(pps_prices_from_timeline(&p, t, &err) == PPS_OK, "%s", err.msg);
            ck_assert_msg(pps_simulate_prices(s, &p, &t4, NULL, NULL, &err) == PPS_OK, "%s",
                          err.msg);
            /* Each step of a chain may round start + (end − start) by an ulp: at most a few
             * ulps of the makespan per event. */
            double last = 0;
            for (size_t k = 0; k < t->n; k++)
                last = t->events[k].end > last ? t->events[k].end : last;
            double tol = 4 * DBL_EPSILON * last * (double)t->n;
            for (size_t k = 0; k < t->n; k++)
                ck_assert_msg(fabs(t4->events[k].start - t->events[k].start) <= tol &&
                                  fabs(t4->events[k].end - t->events[k].end) <= tol,
                              "case %d (%s): replayed event %zu at %.17g..%.17g, not %.17g..%.17g",
                              i, stored[i].desc, k, t4->events[k].start, t4->events[k].end,
                              t->events[k].start, t->events[k].end);
            pps_timeline_destroy(t4);
        }
        pps_prices_clear(&p);
        pps_timeline_destroy(t);
        pps_timeline_destroy(t2);
        pps_schedule_destroy(low);
        pps_schedule_destroy(s);
        pps_cost_clear(&c);
    }
    /* Most cases run to the end (the rest deadlock by construction, and must say so alike). */
    ck_assert_int_ge(ran, 800);
    pps_batch_destroy(batch);
}
END_TEST

/* Generated, validated and simulated through a batch, a configuration gives what the single
 * calls give; a batch reused across shapes keeps giving it. */
START_TEST(batch_run_equals_generate_and_simulate)
{
    pps_batch *b = NULL;
    pps_error err = {0};
    ck_assert(pps_batch_create(&b, &err) == PPS_OK);
    pps_cost c;
    pps_cost_init(&c);
    c.intra.latency = 0.25;
    ck_assert(pps_cost_resolve(&c, 0, &err) == PPS_OK);
    const char *names[] = {"gpipe", "1f1b", "interleaved-1f1b", "looped-bfs", "1f1b"};
    int P[] = {4, 8, 4, 2, 2}, v[] = {1, 1, 2, 3, 1}, M[] = {8, 32, 16, 5, 3};
    for (int k = 0; k < 5; k++) {
        const pps_generator *g = pps_generator_find(names[k]);
        pps_gen_params p = {.ranks = P[k], .chunks = v[k], .microbatches = M[k]};
        const pps_analysis *got = NULL;
        ck_assert_msg(pps_batch_run(b, g, &p, &c, &got, &err) == PPS_OK, "%s", err.msg);
        pps_schedule *s = NULL;
        pps_analysis want = {0};
        pps_cost own = c; /* the rank-share rule for this shape, as the batch applies it */
        ck_assert(pps_generate(g, &p, &s, &err) == PPS_OK);
        ck_assert(pps_cost_resolve_for(&own, s, &err) == PPS_OK);
        ck_assert(pps_simulate_summary(s, &own, &want, &err) == PPS_OK);
        free(own.resolved);
        uint64_t h1 = 0, h2 = 0;
        eq_hash_analysis(&h1, got);
        eq_hash_analysis(&h2, &want);
        ck_assert_msg(h1 == h2, "%s P=%d: the batch differs", names[k], P[k]);
        ck_assert_int_eq(pps_batch_schedule(b)->ranks, P[k]);
        pps_analysis_clear(&want);
        pps_schedule_destroy(s);
    }
    /* A refused configuration fails cleanly and the batch stays usable. */
    pps_gen_params bad = {.ranks = 4, .chunks = 1, .microbatches = 8};
    const pps_analysis *got = NULL;
    ck_assert_int_eq(pps_batch_run(b, pps_generator_find("interleaved-1f1b"), &bad, &c, &got,
                                   &err),
                     PPS_EUNSUPPORTED);
    ck_assert_ptr_null(got);
    ck_assert_ptr_null(pps_batch_schedule(b));
    /* 1F1B P = 4, M = 8, t_F = 1, t_B = 2, free communication: (M + P − 1)(t_F + t_B) = 33,
     * idle/compute (P − 1)/M = 3/8 (docs/analysis.md). */
    c.intra.latency = 0;
    pps_gen_params ok = {.ranks = 4, .chunks = 1, .microbatches = 8};
    ck_assert(pps_batch_run(b, pps_generator_find("1f1b"), &ok, &c, &got, &err) == PPS_OK);
    ck_assert_double_eq_tol(got->makespan, 33, 1e-12);
    ck_assert_double_eq_tol(got->idle_over_compute, 3.0 / 8, 1e-12);
    pps_batch_destroy(b);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("equivalence");
    TCase *tc = tcase_create("paths");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, every_path_matches_the_previous_algorithm_on_1000_random_schedules);
    tcase_add_test(tc, batch_run_equals_generate_and_simulate);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
