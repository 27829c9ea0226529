/* test_pytorch.c — PyTorch 2.15's own schedule files (traces/pytorch/2.15, written by
 * tools/pytorch/dump_schedules.py): each reads, writes back cell for cell, simulates to its
 * schedule's bubble formula; ppsim's orders equal PyTorch's where both have the schedule; the
 * waits ppsim writes are where PyTorch's lowering puts them. */
#include <math.h>
#include <stdlib.h>
#include <unistd.h>

#include "testutil.h"

#define DIR "../traces/pytorch/2.15/"

/* Every class PyTorch 2.15 has an order for, and its sizes (P, M). */
static const char *const classes[] = {
    "ScheduleGPipe", "Schedule1F1B", "ScheduleInterleaved1F1B", "ScheduleLoopedBFS",
    "ScheduleInterleavedZeroBubble", "ScheduleZBVZeroBubble", "ScheduleDualPipeV"};
static const int sizes[][2] = {{2, 4}, {4, 8}, {4, 16}, {8, 32}};
#define NCLASSES (sizeof classes / sizeof *classes)
#define NSIZES (sizeof sizes / sizeof *sizes)

/* The single-stage classes have no compute_comms file (SKIPPED.txt: PyTorch refuses to lower
 * their orders, which already hold REDUCE_GRAD). */
static int single_stage(const char *cls)
{
    return strcmp(cls, "ScheduleGPipe") == 0 || strcmp(cls, "Schedule1F1B") == 0;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    ck_assert_ptr_nonnull(buf);
    ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

/* What ppsim's CSV writer gives for a file PyTorch wrote: the same cells, rows ending in "\n"
 * instead of csv.writer's "\r\n". */
static char *without_cr(const char *text)
{
    char *out = malloc(strlen(text) + 1), *o = out;
    ck_assert_ptr_nonnull(out);
    for (const char *p = text; *p; p++)
        if (*p != '\r')
            *o++ = *p;
    *o = '\0';
    return out;
}

static char *write_text(const pps_schedule *s, int csv)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ck_assert_ptr_nonnull(f);
    pps_error err = {0};
    pps_status st = csv ? pps_schedule_write_csv(s, f, &err) : pps_schedule_write_json(s, f, &err);
    ck_assert_msg(st == PPS_OK, "%s", err.msg);
    fclose(f);
    return buf;
}

/* Field by field: padding bytes are not part of an action. */
static int same_actions(const pps_action *a, const pps_action *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (a[i].kind != b[i].kind || a[i].stage != b[i].stage || a[i].mb != b[i].mb ||
            a[i].kind2 != b[i].kind2 || a[i].stage2 != b[i].stage2 || a[i].mb2 != b[i].mb2)
            return 0;
    return 1;
}

static void assert_same(const pps_schedule *a, const pps_schedule *b, const char *what)
{
    ck_assert_int_eq(a->ranks, b->ranks);
    ck_assert_int_eq(a->stages, b->stages);
    ck_assert_int_eq(a->microbatches, b->microbatches);
    ck_assert_int_eq(a->lowered, b->lowered);
    for (int r = 0; r < a->ranks; r++) {
        ck_assert_msg(a->programs[r].n == b->programs[r].n, "%s rank %d: %zu actions, %zu", what,
                      r, a->programs[r].n, b->programs[r].n);
        ck_assert_msg(same_actions(a->programs[r].actions, b->programs[r].actions,
                                   a->programs[r].n),
                      "%s rank %d differs", what, r);
    }
}

static pps_schedule *read_file(const char *path)
{
    pps_schedule *s = NULL;
    pps_error err = {0};
    ck_assert_msg(pps_schedule_read(path, &s, &err) == PPS_OK, "%s", err.msg);
    return s;
}

/* Makespan under the default costs (t_F = 1, t_B = 2 for a rank's share, I and W 1 each, split
 * over the stages a rank holds; free communication). */
static double makespan(const pps_schedule *s, double *idle_over_total)
{
    pps_cost c;
    pps_cost_init(&c);
    pps_error err = {0};
    ck_assert(pps_cost_resolve_for(&c, s, &err) == PPS_OK);
    pps_analysis a;
    ck_assert_msg(pps_simulate_summary(s, &c, &a, &err) == PPS_OK, "%s", err.msg);
    double m = a.makespan;
    *idle_over_total = a.idle_over_total;
    pps_analysis_clear(&a);
    pps_cost_clear(&c);
    return m;
}

/* The bubble each class's formula gives, as the makespan under the default costs: every rank
 * computes M·(t_F + t_B) = 3M, so makespan = 3M + the bubble time. Per stage, a v = 2 class has
 * t_F = 0.5, t_B = 1, t_I = t_W = 0.5. Returns NAN where no formula is published. */
static double formula_makespan(const char *cls, int P, int M)
{
    double work = 3.0 * M;
    if (single_stage(cls)) /* GPipe (Huang et al.), 1F1B (Narayanan et al.): (P−1)(t_F+t_B) */
        return work + (P - 1) * 3.0;
    if (strcmp(cls, "ScheduleInterleaved1F1B") == 0 || strcmp(cls, "ScheduleLoopedBFS") == 0)
        /* Narayanan et al., SC'21 §2.2.2: (P−1)(t_F+t_B)/v; breadth-first (Lamy-Poirier) the
         * same when M ≥ P */
        return work + (P - 1) * 3.0 / 2;
    if (strcmp(cls, "ScheduleZBVZeroBubble") == 0)
        /* Qi et al.: no bubble inside any rank's span when t_F = t_I = t_W and M ≥ 2P − 1; the
         * last rank starts (P−1)·t_F after the first */
        return work + (P - 1) * 0.5;
    if (strcmp(cls, "ScheduleDualPipeV") == 0)
        /* DualPipe README: (PP/2 − 1)(t_F&B + t_B − 3t_W) per stage, PP = 2P, t_F&B = 1.5 */
        return work + (P - 1) * (1.5 + 1 - 3 * 0.5);
    return NAN; /* ScheduleInterleavedZeroBubble */
}

/* PyTorch's Schedule1F1B runs micro-batches 1..M for the last rank's forwards (docs/schedules.md):
 * ppsim refuses that order, which PyTorch's own validator rejects too. */
static void quirk_is_refused(const pps_schedule *s, int P)
{
    pps_error err = {0};
    ck_assert_int_eq(pps_schedule_validate(s, &err), PPS_EINPUT);
    char want[128];
    snprintf(want, sizeof want, "rank %d, position 1 (%dB0): no forward anywhere: %dF0 is missing",
             P - 1, P - 1, P - 1);
    ck_assert_str_eq(err.msg, want);
}

START_TEST(every_file_round_trips_and_simulates_to_its_formula)
{
    size_t files = 0;
    for (size_t c = 0; c < NCLASSES; c++) {
        for (size_t k = 0; k < NSIZES; k++) {
            int P = sizes[k][0], M = sizes[k][1];
            for (int comms = 0; comms <= !single_stage(classes[c]); comms++) {
                char path[256];
                snprintf(path, sizeof path, DIR "%s_p%d_m%d_%s.csv", classes[c], P, M,
                         comms ? "compute_comms" : "compute_only");
                pps_schedule *s = read_file(path);
                files++;
                ck_assert_int_eq(s->ranks, P);
                ck_assert_int_eq(s->lowered, comms);
                /* Lossless: CSV cell for cell, JSON to the identical schedule. */
                char *orig = slurp(path), *want = without_cr(orig), *csv = write_text(s, 1);
                ck_assert_str_eq(csv, want);
                char *json = write_text(s, 0);
                pps_schedule *back = NULL;
                pps_error err = {0};
                ck_assert_msg(pps_schedule_parse_json(json, strlen(json), "t.json", &back,
                                                      &err) == PPS_OK, "%s", err.msg);
                assert_same(s, back, path);
                pps_schedule_destroy(back);
                free(orig);
                free(want);
                free(csv);
                free(json);
                if (strcmp(classes[c], "Schedule1F1B") == 0) {
                    ck_assert_int_eq(s->microbatches, M + 1);
                    quirk_is_refused(s, P);
                    pps_schedule_destroy(s);
                    continue;
                }
                ck_assert_int_eq(s->microbatches, M);
                ck_assert_msg(pps_schedule_validate(s, &err) == PPS_OK, "%s: %s", path, err.msg);
                double idle, got = makespan(s, &idle), want_m = formula_makespan(classes[c], P, M);
                if (!isnan(want_m)) {
                    ck_assert_msg(fabs(got - want_m) < 1e-9, "%s: makespan %g, formula %g", path,
                                  got, want_m);
                    /* idle / total = bubble / makespan over every rank alike */
                    ck_assert_msg(fabs(idle - (want_m - 3.0 * M) / want_m) < 1e-12, "%s", path);
                } else {
                    /* No published formula: below interleaved 1F1B's on the same model. */
                    ck_assert_msg(got < formula_makespan("ScheduleInterleaved1F1B", P, M), "%s",
                                  path);
                }
                if (comms) { /* PyTorch's lowering runs as ppsim's own of the compute-only file */
                    char other[256];
                    snprintf(other, sizeof other, DIR "%s_p%d_m%d_compute_only.csv", classes[c],
                             P, M);
                    pps_schedule *co = read_file(other);
                    double idle2;
                    ck_assert_msg(fabs(makespan(co, &idle2) - got) < 1e-9, "%s", path);
                    pps_schedule_destroy(co);
                }
                pps_schedule_destroy(s);
            }
        }
    }
    ck_assert_uint_eq(files, 48);
}
END_TEST

/* PyTorch's 1F1B order with the last rank's forwards renumbered 0..M−1 is ppsim's and runs to
 * the formula. */
START_TEST(one_f_one_b_quirk_fixed_is_ppsims_order)
{
    for (size_t k = 0; k < NSIZES; k++) {
        int P = sizes[k][0], M = sizes[k][1];
        char path[256];
        snprintf(path, sizeof path, DIR "Schedule1F1B_p%d_m%d_compute_only.csv", P, M);
        pps_schedule *t = read_file(path), *fixed = NULL, *g = NULL;
        pps_error err = {0};
        ck_assert(pps_schedule_create(P, P, M, PPS_PLACE_LOOP, NULL, &fixed, &err) == PPS_OK);
        for (int r = 0; r < P; r++)
            for (size_t i = 0; i < t->programs[r].n; i++) {
                pps_action a = t->programs[r].actions[i];
                if (r == P - 1 && a.kind == PPS_F)
                    a.mb--; /* PyTorch's F1..FM */
                ck_assert(pps_schedule_append(fixed, r, a, &err) == PPS_OK);
            }
        ck_assert_msg(pps_schedule_validate(fixed, &err) == PPS_OK, "%s", err.msg);
        double idle;
        ck_assert_double_eq_tol(makespan(fixed, &idle), formula_makespan("Schedule1F1B", P, M),
                                1e-9);
        pps_gen_params p = {.ranks = P, .microbatches = M};
        ck_assert(pps_generate(pps_generator_find("Schedule1F1B"), &p, &g, &err) == PPS_OK);
        for (int r = 0; r < P; r++) { /* ppsim writes no REDUCE_GRAD/WAIT_REDUCE_GRAD */
            ck_assert_uint_eq(g->programs[r].n + 2, fixed->programs[r].n);
            ck_assert(same_actions(g->programs[r].actions, fixed->programs[r].actions,
                                   g->programs[r].n));
            ck_assert_int_eq(fixed->programs[r].actions[g->programs[r].n].kind, PPS_REDUCE_GRAD);
            ck_assert_int_eq(fixed->programs[r].actions[g->programs[r].n + 1].kind,
                             PPS_WAIT_REDUCE_GRAD);
        }
        pps_schedule_destroy(g);
        pps_schedule_destroy(fixed);
        pps_schedule_destroy(t);
    }
}
END_TEST

/* The compute actions of a program, idle slots and bookkeeping (REDUCE_GRAD and its wait)
 * left out. */
static size_t compute_of(const pps_program *p, pps_action *out)
{
    size_t n = 0;
    for (size_t i = 0; i < p->n; i++)
        if (pps_kind_is_compute((pps_kind)p->actions[i].kind))
            out[n++] = p->actions[i];
    return n;
}

/* ppsim's generators against PyTorch's orders of the classes test_zero_bubble.c does not match
 * cell for cell (there, ZBV, InterleavedZeroBubble and DualPipeV): the same compute actions in
 * the same order on every rank. PyTorch's idle cells are lock-step padding that takes no time. */
START_TEST(ppsim_orders_equal_pytorchs)
{
    static const char *const same[] = {"ScheduleGPipe", "ScheduleInterleaved1F1B",
                                       "ScheduleLoopedBFS"};
    for (size_t c = 0; c < sizeof same / sizeof *same; c++) {
        for (size_t k = 0; k < NSIZES; k++) {
            int P = sizes[k][0], M = sizes[k][1];
            char path[256];
            snprintf(path, sizeof path, DIR "%s_p%d_m%d_compute_only.csv", same[c], P, M);
            pps_schedule *t = read_file(path), *g = NULL;
            pps_gen_params p = {.ranks = P, .microbatches = M};
            pps_error err = {0};
            ck_assert_msg(pps_generate(pps_generator_find(same[c]), &p, &g, &err) == PPS_OK,
                          "%s", err.msg);
            ck_assert_int_eq(g->stages, t->stages);
            for (int s = 0; s < g->stages; s++)
                ck_assert_int_eq(g->stage_rank[s], t->stage_rank[s]);
            for (int r = 0; r < P; r++) {
                pps_action *a = malloc(g->programs[r].n * sizeof *a);
                pps_action *b = malloc(t->programs[r].n * sizeof *b);
                ck_assert(a && b);
                size_t na = compute_of(&g->programs[r], a), nb = compute_of(&t->programs[r], b);
                ck_assert_msg(na == nb && same_actions(a, b, na),
                              "%s P=%d M=%d rank %d differs from PyTorch", same[c], P, M, r);
                free(a);
                free(b);
            }
            pps_schedule_destroy(g);
            pps_schedule_destroy(t);
        }
    }
}
END_TEST

/* PyTorch's compute_comms files with their WAIT_SEND_F/B taken out get them back, cell for cell,
 * from pps_schedule_for_pytorch: the waits go where PyTorch's lowering put them. */
START_TEST(waits_go_where_pytorch_puts_them)
{
    size_t waits = 0;
    for (size_t c = 0; c < NCLASSES; c++) {
        if (single_stage(classes[c]))
            continue;
        for (size_t k = 0; k < NSIZES; k++) {
            char path[256];
            snprintf(path, sizeof path, DIR "%s_p%d_m%d_compute_comms.csv", classes[c],
                     sizes[k][0], sizes[k][1]);
            pps_schedule *t = read_file(path), *bare = NULL, *back = NULL;
            pps_error err = {0};
            ck_assert(pps_schedule_create(t->ranks, t->stages, t->microbatches, t->placement,
                                          t->stage_rank, &bare, &err) == PPS_OK);
            bare->lowered = 1;
            for (int r = 0; r < t->ranks; r++)
                for (size_t i = 0; i < t->programs[r].n; i++) {
                    pps_action a = t->programs[r].actions[i];
                    if (a.kind == PPS_WAIT_SEND_F || a.kind == PPS_WAIT_SEND_B)
                        waits++;
                    else
                        ck_assert(pps_schedule_append(bare, r, a, &err) == PPS_OK);
                }
            ck_assert_msg(pps_schedule_for_pytorch(bare, 1, &back, &err) == PPS_OK, "%s",
                          err.msg);
            assert_same(back, t, path);
            pps_schedule_destroy(back);
            /* Without waits: what is left is the file less its waits. */
            ck_assert(pps_schedule_for_pytorch(bare, 0, &back, &err) == PPS_OK);
            assert_same(back, bare, path);
            pps_schedule_destroy(back);
            pps_schedule_destroy(bare);
            pps_schedule_destroy(t);
        }
    }
    ck_assert_uint_gt(waits, 0);
}
END_TEST

static Suite *pytorch_suite(void)
{
    Suite *s = suite_create("pytorch");
    TCase *tc = tcase_create("files");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, every_file_round_trips_and_simulates_to_its_formula);
    tcase_add_test(tc, one_f_one_b_quirk_fixed_is_ppsims_order);
    tcase_add_test(tc, ppsim_orders_equal_pytorchs);
    tcase_add_test(tc, waits_go_where_pytorch_puts_them);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(pytorch_suite());
}
