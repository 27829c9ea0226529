/* test_sweep.c — RANGE parsing, the sweep's rows (values from the textbook formulas), thread
 * and shard independence, the CSV and the merge of shards (sim/plan/). */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ppsim.h"
#include "testutil.h"

/* ------------------------------------------------------------------ ranges */

/* Parses text in [1, 1000] and compares with want[0..n). */
static void range_is(const char *text, const int *want, size_t n)
{
    pps_range r;
    pps_error err = {0};
    ck_assert_msg(pps_range_parse(text, 1, 1000, &r, &err) == PPS_OK, "%s: %s", text, err.msg);
    ck_assert_uint_eq(r.n, n);
    for (size_t i = 0; i < n; i++)
        ck_assert_int_eq(r.values[i], want[i]);
    pps_range_clear(&r);
}

static void range_fails(const char *text, const char *msg)
{
    pps_range r;
    pps_error err = {0};
    ck_assert_int_eq(pps_range_parse(text, 1, 1000, &r, &err), PPS_EINPUT);
    ck_assert_str_eq(err.msg, msg);
    ck_assert_ptr_null(r.values);
}

START_TEST(ranges_read_as_the_cli_contract_says)
{
    range_is("8", (int[]){8}, 1);
    range_is("2,4,8", (int[]){2, 4, 8}, 3);
    range_is("2-5", (int[]){2, 3, 4, 5}, 4);
    range_is("2-256:x2", (int[]){2, 4, 8, 16, 32, 64, 128, 256}, 8);
    range_is("2-20:x3", (int[]){2, 6, 18}, 3); /* stops before passing the end */
    range_is("1,2-4,8-64:x2", (int[]){1, 2, 3, 4, 8, 16, 32, 64}, 8);
    range_is("8,2,4,2", (int[]){2, 4, 8}, 3); /* ascending, each once */
}
END_TEST

START_TEST(bad_ranges_say_why)
{
    range_fails("", "empty range");
    range_fails("0", "0 is out of range [1, 1000]");
    range_fails("2-2000", "2000 is out of range [1, 1000]");
    range_fails("5-2", "range 5-2 runs backwards");
    range_fails("2-8:x1", "expected ':xK' with a factor K >= 2 in '2-8:x1'");
    range_fails("2-8:2", "expected ':xK' with a factor K >= 2 in '2-8:2'");
    range_fails("4-", "expected the end of the range after '-' in '4-'");
    range_fails("a", "expected a number at 'a'");
    range_fails("2;4", "unexpected ';4' (ranges look like 8, 2,4,8, 2-32 or 2-256:x2)");
}
END_TEST

/* ------------------------------------------------------------------ sweeps */

/* gpipe and 1f1b, then interleaved-1f1b, on P ∈ {2, 4}, M ∈ {1, 8}, default costs
 * (t_F = 1, t_B = 2, 1 byte per micro-batch): 12 configurations. */
static const pps_generator *schedules[3];
static const int ranks[] = {2, 4}, mbs[] = {1, 8};
static pps_cost cost;

static pps_sweep_grid grid(void)
{
    schedules[0] = pps_generator_find("gpipe");
    schedules[1] = pps_generator_find("1f1b");
    schedules[2] = pps_generator_find("interleaved-1f1b");
    pps_cost_init(&cost);
    return (pps_sweep_grid){.schedules = schedules, .nschedules = 3, .ranks = ranks,
                            .nranks = 2, .microbatches = mbs, .nmicrobatches = 2,
                            .cost = &cost};
}

static pps_sweep_row *run(const pps_sweep_grid *g, int threads, size_t shard, size_t shards,
                          size_t *n)
{
    pps_sweep_row *rows = NULL;
    pps_error err = {0};
    ck_assert_msg(pps_sweep_run(g, threads, shard, shards, NULL, NULL, &rows, n, &err) ==
                      PPS_OK, "%s", err.msg);
    return rows;
}

START_TEST(rows_follow_the_textbook)
{
    pps_sweep_grid g = grid();
    ck_assert_uint_eq(pps_sweep_size(&g), 12);
    size_t n;
    pps_sweep_row *rows = run(&g, 2, 0, 1, &n);
    ck_assert_uint_eq(n, 12);
    for (size_t i = 0; i < n; i++)
        ck_assert_uint_eq(rows[i].index, i);
    /* Grid order: schedule, then P, then M. Row 3: gpipe, P = 4, M = 8: makespan
     * (M + P − 1)(t_F + t_B) = 33, idle/total (P − 1)/(M + P − 1) = 3/11, idle/compute
     * (P − 1)/M = 0.375, every rank holds M = 8 micro-batches. */
    const pps_sweep_row *r = &rows[3];
    ck_assert_str_eq(r->gen->name, "gpipe");
    ck_assert_int_eq(r->ranks, 4);
    ck_assert_int_eq(r->microbatches, 8);
    ck_assert_int_eq(r->status, PPS_OK);
    ck_assert_double_eq_tol(r->makespan, 33, 1e-12);
    ck_assert_double_eq_tol(r->idle_over_total, 3.0 / 11, 1e-12);
    ck_assert_double_eq_tol(r->idle_over_compute, 0.375, 1e-12);
    ck_assert_double_eq_tol(r->analytic, 0.375, 1e-12);
    ck_assert_double_eq(r->peak_min, 8);
    ck_assert_double_eq(r->peak_max, 8);
    /* 2·P·M = 64 compute actions; each of the (P − 1)·M forward and backward transfers adds a
     * send and a receive: 64 + 4·24 = 160 after lowering. */
    ck_assert_uint_eq(r->actions, 64);
    ck_assert_uint_eq(r->lowered_actions, 160);
    /* Row 7: 1f1b, P = 4, M = 8: rank r holds min(P − r, M): 4 on rank 0, 1 on rank 3. */
    ck_assert_double_eq(rows[7].peak_max, 4);
    ck_assert_double_eq(rows[7].peak_min, 1);
    ck_assert_double_eq_tol(rows[7].makespan, 33, 1e-12);
    /* Row 8: interleaved-1f1b, P = 2, M = 1 — its group of P micro-batches cannot be formed. */
    ck_assert_str_eq(rows[8].gen->name, "interleaved-1f1b");
    ck_assert_int_ne(rows[8].status, PPS_OK);
    ck_assert_ptr_nonnull(strstr(rows[8].reason, "group"));
    ck_assert(isnan(rows[8].makespan));
    /* Row 11: interleaved-1f1b, P = 4, M = 8, v = 2: idle/compute (P − 1)/(v·M) = 3/16; busy
     * per rank stays M·(t_F + t_B) = 24 under the rank-share rule, so makespan 24·(1 + 3/16). */
    ck_assert_int_eq(rows[11].chunks, 2);
    ck_assert_double_eq_tol(rows[11].idle_over_compute, 3.0 / 16, 1e-12);
    ck_assert_double_eq_tol(rows[11].makespan, 28.5, 1e-12);
    free(rows);
    pps_cost_clear(&cost);
}
END_TEST

/* The fields a row's results are made of, compared bit for bit. */
static void rows_equal(const pps_sweep_row *a, const pps_sweep_row *b)
{
    ck_assert_uint_eq(a->index, b->index);
    ck_assert_ptr_eq(a->gen, b->gen);
    ck_assert_int_eq(a->status, b->status);
    ck_assert_str_eq(a->reason, b->reason);
    const double x[] = {a->makespan, a->idle_over_total, a->stage_span_rate, a->peak_max};
    const double y[] = {b->makespan, b->idle_over_total, b->stage_span_rate, b->peak_max};
    ck_assert(memcmp(x, y, sizeof x) == 0);
    ck_assert_uint_eq(a->lowered_actions, b->lowered_actions);
}

START_TEST(threads_and_shards_give_the_same_rows)
{
    pps_sweep_grid g = grid();
    size_t n1, n4;
    pps_sweep_row *one = run(&g, 1, 0, 1, &n1), *four = run(&g, 4, 0, 1, &n4);
    ck_assert_uint_eq(n1, n4);
    for (size_t i = 0; i < n1; i++)
        rows_equal(&one[i], &four[i]);
    /* Shard k of 5 holds the configurations i with i mod 5 == k: 12 = 3+3+2+2+2. */
    for (size_t k = 0; k < 5; k++) {
        size_t ns;
        pps_sweep_row *s = run(&g, 2, k, 5, &ns);
        ck_assert_uint_eq(ns, k < 2 ? 3 : 2);
        for (size_t j = 0; j < ns; j++)
            rows_equal(&s[j], &one[k + 5 * j]);
        free(s);
    }
    free(one);
    free(four);
    pps_cost_clear(&cost);
}
END_TEST

START_TEST(ratios_set_the_backward_times)
{
    pps_sweep_grid g = grid();
    const double ratio[] = {1, 3}, frac[] = {0.25};
    g.nschedules = 1; /* gpipe */
    g.tb_ratio = ratio;
    g.nratios = 2;
    g.w_fraction = frac;
    g.nw = 1;
    size_t n;
    pps_sweep_row *rows = run(&g, 1, 0, 1, &n);
    ck_assert_uint_eq(n, 8);
    /* P = 4, M = 8 with t_B = 3·t_F: (M + P − 1)(1 + 3) = 44; t_W = t_B/4, t_I = 3t_B/4. */
    const pps_sweep_row *r = &rows[7];
    ck_assert_int_eq(r->ranks, 4);
    ck_assert_double_eq(r->tb, 3);
    ck_assert_double_eq(r->tw, 0.75);
    ck_assert_double_eq(r->ti, 2.25);
    ck_assert_double_eq_tol(r->makespan, 44, 1e-12);
    free(rows);
    pps_cost_clear(&cost);
}
END_TEST

START_TEST(a_shard_that_does_not_exist_is_refused)
{
    pps_sweep_grid g = grid();
    pps_sweep_row *rows;
    size_t n;
    pps_error err = {0};
    ck_assert_int_eq(pps_sweep_run(&g, 1, 3, 3, NULL, NULL, &rows, &n, &err), PPS_EINPUT);
    ck_assert_str_eq(err.msg, "shard 3 of 3 does not exist (shards are 0 .. N-1)");
    pps_cost_clear(&cost);
}
END_TEST

/* ------------------------------------------------------------------ CSV and merge */

static char *csv_of(const pps_sweep_row *rows, size_t n)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    pps_error err = {0};
    ck_assert(pps_sweep_write_csv(rows, n, fp, &err) == PPS_OK);
    fclose(fp);
    return buf;
}

static const char *line_of(const char *csv, size_t k, char *buf, size_t size)
{
    const char *p = csv;
    for (size_t i = 0; i < k; i++)
        p = strchr(p, '\n') + 1;
    const char *e = strchr(p, '\n');
    snprintf(buf, size, "%.*s", (int)(e - p), p);
    return buf;
}

START_TEST(csv_rows_hold_exact_numbers_and_reasons)
{
    pps_sweep_grid g = grid();
    size_t n;
    pps_sweep_row *rows = run(&g, 2, 0, 1, &n);
    char *csv = csv_of(rows, n), line[512];
    ck_assert_str_eq(line_of(csv, 0, line, sizeof line),
                     "index,schedule,ranks,microbatches,chunks,tf,tb,ti,tw,stages,actions,"
                     "lowered_actions,makespan,bubble.idle_over_total,bubble.idle_over_compute,"
                     "bubble.stage_span_rate,analytic.idle_over_compute,throughput,"
                     "per_rank.busy.max,per_rank.peak_activation.min,"
                     "per_rank.peak_activation.max,skipped");
    /* gpipe P = 4, M = 8 (see above); 3/11 and 8/33 in their shortest exact decimal forms. */
    ck_assert_str_eq(line_of(csv, 4, line, sizeof line),
                     "3,gpipe,4,8,1,1,2,1,1,4,64,160,33,0.2727272727272727,0.375,"
                     "0.2727272727272727,0.375,0.24242424242424243,24,8,8,");
    /* A refused configuration: the inputs, empty results, the reason. */
    line_of(csv, 9, line, sizeof line);
    ck_assert_ptr_nonnull(strstr(line, "8,interleaved-1f1b,2,1,2,1,2,1,1,,,,,,,,,,,,,"));
    free(csv);
    free(rows);
    pps_cost_clear(&cost);
}
END_TEST

static char *write_temp(const char *text)
{
    static char names[4][64];
    static int k;
    k = (k + 1) % 4;
    snprintf(names[k], sizeof names[k], "/tmp/ppsim-sweep-XXXXXX");
    int fd = mkstemp(names[k]);
    ck_assert_int_ge(fd, 0);
    ck_assert(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
    close(fd);
    return names[k];
}

START_TEST(merged_shards_equal_one_run_byte_for_byte)
{
    pps_sweep_grid g = grid();
    size_t n;
    pps_sweep_row *all = run(&g, 1, 0, 1, &n);
    char *whole = csv_of(all, n);
    const char *paths[3];
    char *parts[3];
    for (size_t k = 0; k < 3; k++) {
        size_t ns;
        pps_sweep_row *s = run(&g, 1, k, 3, &ns);
        parts[k] = csv_of(s, ns);
        paths[2 - k] = write_temp(parts[k]); /* given in another order */
        free(s);
    }
    char *merged = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&merged, &len);
    pps_error err = {0};
    ck_assert_msg(pps_sweep_merge_csv(paths, 3, fp, &err) == PPS_OK, "%s", err.msg);
    fclose(fp);
    ck_assert_str_eq(merged, whole);
    free(merged);
    /* Without shard 1 (configurations 1, 4, 7, 10) configuration 1 is missing. */
    const char *two[2] = {paths[0], paths[2]};
    fp = open_memstream(&merged, &len);
    ck_assert_int_eq(pps_sweep_merge_csv(two, 2, fp, &err), PPS_EINPUT);
    fclose(fp);
    free(merged);
    ck_assert_str_eq(err.msg, "configuration 1 is in none of the 2 files (a shard missing?)");
    /* A shard given twice. */
    const char *dup[4] = {paths[0], paths[1], paths[2], paths[1]};
    fp = open_memstream(&merged, &len);
    ck_assert_int_eq(pps_sweep_merge_csv(dup, 4, fp, &err), PPS_EINPUT);
    fclose(fp);
    free(merged);
    ck_assert_ptr_nonnull(strstr(err.msg, "(a shard given twice?)"));
    for (size_t k = 0; k < 3; k++) {
        unlink(paths[k]);
        free(parts[k]);
    }
    free(whole);
    free(all);
    pps_cost_clear(&cost);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("sweep");
    TCase *r = tcase_create("ranges");
    tcase_add_test(r, ranges_read_as_the_cli_contract_says);
    tcase_add_test(r, bad_ranges_say_why);
    suite_add_tcase(s, r);
    TCase *w = tcase_create("sweeps");
    tcase_add_test(w, rows_follow_the_textbook);
    tcase_add_test(w, threads_and_shards_give_the_same_rows);
    tcase_add_test(w, ratios_set_the_backward_times);
    tcase_add_test(w, a_shard_that_does_not_exist_is_refused);
    tcase_add_test(w, csv_rows_hold_exact_numbers_and_reasons);
    tcase_add_test(w, merged_shards_equal_one_run_byte_for_byte);
    suite_add_tcase(s, w);
    return s;
}

int main(void)
{
    return run_suite(suite());
}
