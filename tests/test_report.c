/* test_report.c — human units, and the data and gnuplot scripts of the timeline, memory and diff
 * plots (sim/report/), checked against the worked example of docs/semantics.md. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ppsim.h"
#include "testutil.h"

/* ------------------------------------------------------------------ units */

static const char *fmt_time(double s)
{
    static char buf[64];
    pps_format_time(s, buf, sizeof buf);
    return buf;
}

static const char *fmt_bytes(double b)
{
    static char buf[64];
    pps_format_bytes(b, buf, sizeof buf);
    return buf;
}

START_TEST(times_have_three_significant_digits_and_a_unit)
{
    ck_assert_str_eq(fmt_time(0.012), "12.0 ms");
    ck_assert_str_eq(fmt_time(1.44436), "1.44 s");
    ck_assert_str_eq(fmt_time(2.5e-4), "250 µs");
    ck_assert_str_eq(fmt_time(3.7e-9), "3.70 ns");
    ck_assert_str_eq(fmt_time(125), "125 s");
    ck_assert_str_eq(fmt_time(1250), "1250 s"); /* nothing above seconds */
    ck_assert_str_eq(fmt_time(0), "0 s");
    ck_assert_str_eq(fmt_time(0.0012345), "1.23 ms");
}
END_TEST

START_TEST(a_value_that_rounds_to_1000_moves_to_the_next_unit)
{
    /* 999.6 µs would print "1000 µs" with three digits: it is 1.00 ms. */
    ck_assert_str_eq(fmt_time(999.6e-6), "1.00 ms");
    ck_assert_str_eq(fmt_time(999.4e-6), "999 µs");
    /* 9.996 ms rounds to 10.0, not 10.00 */
    ck_assert_str_eq(fmt_time(9.996e-3), "10.0 ms");
    ck_assert_str_eq(fmt_bytes(999999), "1.00 MB");
}
END_TEST

START_TEST(bytes_are_decimal_si_units)
{
    ck_assert_str_eq(fmt_bytes(2.4e9), "2.40 GB");
    ck_assert_str_eq(fmt_bytes(3e8), "300 MB");
    ck_assert_str_eq(fmt_bytes(1.5e3), "1.50 kB");
    /* 1 GiB = 1073741824 B = 1.07 GB */
    ck_assert_str_eq(fmt_bytes(1073741824.0), "1.07 GB");
    ck_assert_str_eq(fmt_bytes(512), "512 B");
    ck_assert_str_eq(fmt_bytes(4), "4 B");
    ck_assert_str_eq(fmt_bytes(0.5), "0.500 B");
}
END_TEST

START_TEST(a_unit_for_a_column_follows_its_largest_value)
{
    pps_unit u = pps_unit_time(0.0331);
    ck_assert_str_eq(u.name, "ms");
    ck_assert(u.scale == 1e3);
    char buf[32];
    pps_format_number(0.00125, u, buf, sizeof buf);
    ck_assert_str_eq(buf, "1.25");
    pps_format_number(0.0025, u, buf, sizeof buf);
    ck_assert_str_eq(buf, "2.50");
    ck_assert_str_eq(pps_unit_bytes(8e10).name, "GB");
}
END_TEST

/* ------------------------------------------------------------------ plot files */

/* The worked example (docs/semantics.md): rank 0 0F0,0F1,0B0,0B1, rank 1 1F0,1B0,1F1,1B1,
 * t_F = 1, t_B = 2, latency 0.5, 1 byte per micro-batch. By hand: rank 0 F0 [0,1], F1 [1,2],
 * B0 [5,7], B1 [8,10]; rank 1 F0 [1.5,2.5], B0 [2.5,4.5], F1 [4.5,5.5], B1 [5.5,7.5];
 * makespan 10, idle/total 0.4, idle/compute 8/12 = 0.667, stage-span 0.4. */
static pps_timeline *example(void)
{
    static const char *const rows[] = {"0F0,0F1,0B0,0B1", "1F0,1B0,1F1,1B1"};
    pps_schedule *s = schedule_from_rows(2, 2, 2, rows), *low = NULL;
    snprintf(s->name, sizeof s->name, "1f1b");
    pps_cost c;
    pps_cost_init(&c);
    c.uniform.tf = 1;
    c.uniform.tb = 2;
    c.intra.latency = 0.5;
    pps_error err = {0};
    pps_timeline *t = NULL;
    ck_assert_msg(pps_cost_resolve(&c, 2, &err) == PPS_OK, "%s", err.msg);
    ck_assert_msg(pps_schedule_lower(s, &low, &err) == PPS_OK, "%s", err.msg);
    ck_assert_msg(pps_simulate(low, &c, &t, &err) == PPS_OK, "%s", err.msg);
    snprintf(t->schedule, sizeof t->schedule, "1f1b");
    pps_schedule_destroy(s);
    pps_schedule_destroy(low);
    pps_cost_clear(&c);
    return t;
}

static char dir[64];

static void make_dir(void)
{
    snprintf(dir, sizeof dir, "/tmp/ppsim-report-XXXXXX");
    ck_assert(mkdtemp(dir) != NULL);
}

/* Number of files in dir whose name contains `part`; with remove, deletes them. */
static int files_with(const char *part, int remove_them)
{
    DIR *d = opendir(dir);
    ck_assert_ptr_nonnull(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || !strstr(e->d_name, part))
            continue;
        n++;
        if (remove_them) {
            char p[320];
            snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
            ck_assert_int_eq(unlink(p), 0);
        }
    }
    closedir(d);
    return n;
}

static void remove_dir(void)
{
    files_with("", 1);
    ck_assert_int_eq(rmdir(dir), 0);
}

static char *path_in(const char *name)
{
    static char p[4][128];
    static int k;
    k = (k + 1) % 4;
    snprintf(p[k], sizeof p[k], "%s/%s", dir, name);
    return p[k];
}

static char *slurp(const char *name)
{
    char *text = NULL;
    size_t len = 0;
    pps_error err = {0};
    ck_assert_msg(pps_file_slurp(path_in(name), &text, &len, &err) == PPS_OK, "%s", err.msg);
    return text;
}

static int exists(const char *name)
{
    return access(path_in(name), F_OK) == 0;
}

/* The lines of data set `name` (after the comment line that starts with "# name"). */
static size_t data_lines(const char *text, const char *name, char lines[][160], size_t max)
{
    char head[64];
    snprintf(head, sizeof head, "\n# %s", name);
    const char *p = strstr(text, head);
    ck_assert_msg(p != NULL, "no data set %s", name);
    p = strchr(p + 1, '\n') + 1;
    size_t n = 0;
    while (*p && *p != '\n' && *p != '#') {
        const char *e = strchr(p, '\n');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (n < max) {
            snprintf(lines[n], 160, "%.*s", (int)len, p);
        }
        n++;
        p += len + (e ? 1 : 0);
    }
    return n;
}

/* Checks data set `name` of text: n lines, and line k equal to want[k] for each k that want gives
 * (want: n entries; NULL: line k not checked). */
static void assert_data(const char *text, const char *name, size_t n, const char *const *want)
{
    char lines[32][160];
    ck_assert_msg(n <= 32, "data set %s: %zu lines is more than this check holds", name, n);
    size_t got = data_lines(text, name, lines, 32);
    ck_assert_msg(got == n, "data set %s: %zu lines, want %zu", name, got, n);
    for (size_t k = 0; k < n; k++)
        ck_assert_msg(!want[k] || strcmp(lines[k], want[k]) == 0,
                      "data set %s, line %zu:\n got  %s\n want %s", name, k, lines[k], want[k]);
}

static pps_plot_options script_only(void)
{
    pps_plot_options o;
    pps_plot_options_init(&o);
    o.render = 0;
    return o;
}

/* Each plot test runs in a fresh folder with the worked example at hand. */
static pps_timeline *ex;

static void setup(void)
{
    make_dir();
    ex = example();
}

static void teardown(void)
{
    pps_timeline_destroy(ex);
    ex = NULL;
    remove_dir();
}

typedef pps_status (*plot_fn)(const pps_timeline *, const pps_plot_options *, const char *,
                              pps_error *);

/* Draws the example into the test's folder; the call must succeed. */
static void draw(plot_fn plot, pps_plot_options o, const char *image)
{
    pps_error err = {0};
    ck_assert_msg(plot(ex, &o, path_in(image), &err) == PPS_OK, "%s", err.msg);
}

START_TEST(timeline_data_has_one_box_per_compute_action)
{
    draw(pps_plot_timeline, script_only(), "t.png");
    ck_assert(exists("t.dat") && exists("t.gp") && !exists("t.png"));
    char *data = slurp("t.dat");
    /* Eight compute actions, in the timeline's order (rank 0's program, then rank 1's); kinds
     * F and B, chunk 0, hover text with the unit of the axis (s: the makespan is 10 s). */
    assert_data(data, "compute", 8, (const char *const[8]){
        [0] = "0 0 1 F 0 \"0F0\" \"0F0 start 0 s end 1.00 s\"",
        [2] = "0 5 7 B 0 \"0B0\" \"0B0 start 5.00 s end 7.00 s\"",
        [4] = "1 1.5 2.5 F 0 \"1F0\" \"1F0 start 1.50 s end 2.50 s\"",
        [7] = "1 5.5 7.5 B 0 \"1B1\" \"1B1 start 5.50 s end 7.50 s\"",
    });
    /* Every box is wide enough for its one-digit label: eight labels at the box centres,
     * white on the blue of F, black on the orange of B. */
    assert_data(data, "labels", 8, (const char *const[8]){
        [0] = "0.5 0 \"0\" 16777215",
        [2] = "6 0 \"0\" 0",
    });
    free(data);
}
END_TEST

START_TEST(timeline_script_sets_colours_axes_and_title)
{
    draw(pps_plot_timeline, script_only(), "t.svg");
    char *gp = slurp("t.gp");
    /* Okabe & Ito colours per kind, and the box colour taken from the data's kind column. */
    ck_assert_ptr_nonnull(strstr(gp, "cF = 0x0072B2; cB = 0xE69F00; cI = 0xD55E00; "
                                     "cW = 0x009E73; cFB = 0xCC79A7\n"));
    ck_assert_ptr_nonnull(strstr(gp, "kindcolour(k) = k eq 'F' ? cF : k eq 'B' ? cB : "));
    ck_assert_ptr_nonnull(strstr(gp, "(colour(strcol(4), tint($5))) with boxxyerror lc rgb "
                                     "variable"));
    /* Axes: time 0 .. makespan 10 s, ranks top to bottom. */
    ck_assert_ptr_nonnull(strstr(gp, "\nset xrange [0:10]\n"));
    ck_assert_ptr_nonnull(strstr(gp, "\nset yrange [1.50:-0.5]\n"));
    ck_assert_ptr_nonnull(strstr(gp, "\nset xlabel 'time (s)'\n"));
    ck_assert_ptr_nonnull(strstr(gp, "set ytics nomirror scale 0 ('rank 0' 0, 'rank 1' 1)"));
    /* Title: 0.4 = 40.0%, 8/12 = 66.7%. */
    ck_assert_ptr_nonnull(strstr(gp, "set title \"1f1b: P = 2, M = 2, v = 1 (simulated)\\n"
                                     "makespan 10.0 s   bubble: idle/total 40.0% (GPipe), "
                                     "idle/compute 66.7% (Megatron), stage-span 40.0% (Zero "
                                     "Bubble)\"\n"));
    /* SVG, sized from the content: 2 rows of 34 px and the margins (62 + 78); the plot area is
     * at least 760 px wide, plus 70 + 25 px of margins. */
    ck_assert_ptr_nonnull(strstr(gp, "set terminal svg size 855,208 "));
    ck_assert_ptr_nonnull(strstr(gp, "keyentry with boxes fc rgb colour('F', tint(0)) title "
                                     "'F forward'"));
    ck_assert_ptr_nonnull(strstr(gp, "keyentry with boxes fc rgb colour('B', tint(0)) title "
                                     "'B backward'"));
    free(gp);
}
END_TEST

START_TEST(timeline_transfers_are_the_send_queues)
{
    pps_plot_options o = script_only();
    o.transfers = 1;
    draw(pps_plot_timeline, o, "t.png");
    char *data = slurp("t.dat");
    /* Sends of the example: 0SEND_F0 [1,1.5], 0SEND_F1 [2,2.5], 1SEND_B0 [4.5,5], 1SEND_B1
     * [7.5,8]. */
    assert_data(data, "transfers", 4, (const char *const[4]){
        [0] = "0 1 1.5 SEND_F \"0SEND_F0\"",
        [3] = "1 7.5 8 SEND_B \"1SEND_B1\"",
    });
    free(data);
}
END_TEST

START_TEST(memory_data_steps_through_each_ranks_activation)
{
    pps_plot_options o = script_only();
    o.memory_limit = 3;
    draw(pps_plot_memory, o, "m.png");
    char *data = slurp("m.dat"), *gp = slurp("m.gp");
    /* Rank 0 holds 1 from F0's start (0), 2 from F1's (1), 1 after B0 ends (7), 0 after B1
     * (10). Rank 1: 0 until 1.5, 1 from F0, at 4.5 B0 releases as F1 takes (still 1), 0 at 7.5,
     * held to the end (10). */
    assert_data(data, "rank 0", 4, (const char *const[4]){"0 1", "1 2", "7 1", "10 0"});
    assert_data(data, "rank 1", 5, (const char *const[5]){
        [0] = "0 0",
        [1] = "1.5 1",
        [3] = "7.5 0",
        [4] = "10 0",
    });
    /* The limit line at 3 B; the y axis 8% above the larger of peak (2) and limit. */
    ck_assert_ptr_nonnull(strstr(gp, "\nlimit = 3\n"));
    ck_assert_ptr_nonnull(strstr(gp, "\nset yrange [0:3.24]\n"));
    ck_assert_ptr_nonnull(strstr(gp, "title 'limit 3 B'"));
    ck_assert_ptr_nonnull(strstr(gp, "title 'rank 0 (peak 2 B)'"));
    free(data);
    free(gp);
}
END_TEST

START_TEST(diff_marks_the_action_that_moved_most)
{
    pps_timeline *pred = ex, *meas = example();
    /* Delay the last backward of rank 0 by 1 s: [8,10] becomes [9,11]. */
    for (size_t i = 0; i < meas->n; i++)
        if (meas->events[i].rank == 0 && meas->events[i].action.kind == PPS_B &&
            meas->events[i].action.mb == 1) {
            meas->events[i].start = 9;
            meas->events[i].end = 11;
        }
    snprintf(meas->source, sizeof meas->source, "measured");
    snprintf(meas->backend, sizeof meas->backend, "cpu");
    pps_plot_options o = script_only();
    pps_error err = {0};
    ck_assert_msg(pps_plot_diff(pred, meas, &o, path_in("d.png"), &err) == PPS_OK, "%s",
                  err.msg);
    char *data = slurp("d.dat"), *gp = slurp("d.gp");
    char lines[20][160];
    assert_data(data, "compute", 16, (const char *const[16]){
        [11] = "1 0 9 11 B \"0B1\" \"measured 0B1 start 9.00 s end 11.0 s\"",
    });
    /* The only action that moved is the worst; the others have error 0 and follow it. */
    data_lines(data, "worst", lines, 20);
    ck_assert_str_eq(lines[0], "0 8 10 9 11 \"1\"");
    /* makespan 10 -> 11: +10.0% */
    ck_assert_ptr_nonnull(strstr(gp, "predicted (sim) vs measured (cpu), makespan error "
                                     "+10.0%\\noutlined, the largest end-time errors: 1 = 0B1 "
                                     "+1.00 s"));
    ck_assert_ptr_nonnull(strstr(gp, "title 'measured (cpu): makespan 11.0 s"));
    free(data);
    free(gp);
    pps_timeline_destroy(meas);
}
END_TEST

START_TEST(sweep_data_holds_each_schedules_line)
{
    /* gpipe and 1f1b at P ∈ {2, 4}, M ∈ {1, 8}, t_F = 1, t_B = 2. At P = 4 (the largest, drawn
     * by default) and M = 8: idle/total 3/11 and its formula (P − 1)/M = 0.375 as
     * 0.375/1.375 = 3/11, peak activation 8 (gpipe) and 4 (1f1b) bytes, makespan 33 s; at
     * M = 1: 3/4, peak 1, makespan 4·3 = 12. */
    const pps_generator *gens[2] = {pps_generator_find("gpipe"), pps_generator_find("1f1b")};
    const int ranks[] = {2, 4}, mbs[] = {1, 8};
    pps_cost c;
    pps_cost_init(&c);
    pps_sweep_grid g = {.schedules = gens, .nschedules = 2, .ranks = ranks, .nranks = 2,
                        .microbatches = mbs, .nmicrobatches = 2, .cost = &c};
    pps_sweep_row *rows = NULL;
    size_t n = 0;
    pps_error err = {0};
    ck_assert(pps_sweep_run(&g, 1, 0, 1, NULL, NULL, &rows, &n, &err) == PPS_OK);
    pps_plot_options o = script_only();
    ck_assert_msg(pps_plot_sweep(rows, n, &o, path_in("s.png"), &err) == PPS_OK, "%s", err.msg);
    char *data = slurp("s.dat"), *gp = slurp("s.gp");
    assert_data(data, "gpipe", 2, (const char *const[2]){
        "1 0.75 0.75 1 12",
        "8 0.272727273 0.272727273 8 33",
    });
    assert_data(data, "1f1b", 2, (const char *const[2]){[1] = "8 0.272727273 0.272727273 4 33"});
    ck_assert_ptr_nonnull(strstr(gp, "sweep at P = 4: one rank's share t_F = 1.00 s, "
                                     "t_B = 2.00 s"));
    ck_assert_ptr_nonnull(strstr(gp, "set logscale x 2"));
    free(data);
    free(gp);
    free(rows);
    pps_cost_clear(&c);
}
END_TEST

/* The folder's entries whose name contains part. */
static int dir_has(const char *d, const char *part)
{
    DIR *dd = opendir(d);
    ck_assert_ptr_nonnull(dd);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(dd)) != NULL)
        n += strstr(e->d_name, part) != NULL;
    closedir(dd);
    return n;
}

static void remove_tree(const char *d)
{
    DIR *dd = opendir(d);
    if (!dd)
        return;
    struct dirent *e;
    while ((e = readdir(dd)) != NULL) {
        char p[512];
        snprintf(p, sizeof p, "%s/%s", d, e->d_name);
        if (e->d_name[0] != '.')
            unlink(p);
    }
    closedir(dd);
    rmdir(d);
}

START_TEST(a_report_holds_the_configuration_result_and_table)
{
    /* The worked example as the report's run, its compare table from a sweep of gpipe and
     * 1f1b at P = 2, M = 2 (t_F = 1, t_B = 2, free links: (M + P − 1)·3 = 9 s each). */
    const pps_generator *gens[2] = {pps_generator_find("gpipe"), pps_generator_find("1f1b")};
    const int p2 = 2;
    pps_cost c;
    pps_cost_init(&c);
    pps_sweep_grid g = {.schedules = gens, .nschedules = 2, .ranks = &p2, .nranks = 1,
                        .microbatches = &p2, .nmicrobatches = 1, .cost = &c};
    pps_sweep_row *rows = NULL;
    size_t n = 0;
    pps_error err = {0};
    ck_assert(pps_sweep_run(&g, 1, 0, 1, NULL, NULL, &rows, &n, &err) == PPS_OK);
    char *rdir = path_in("rep");
    pps_report r = {.dir = rdir, .command = "ppsim report rep -s 1f1b -p 2 -m 2",
                    .timeline = ex, .cost = &c, .analytic = NAN, .compare = rows,
                    .ncompare = n};
    pps_plot_options_init(&r.plot);
    r.plot.render = 0;
    ck_assert_msg(pps_report_write(&r, &err) == PPS_OK, "%s", err.msg);
    char *md = slurp("rep/index.md");
    ck_assert_ptr_nonnull(strstr(md, "<!-- ppsim report"));
    ck_assert_ptr_nonnull(strstr(md, "\n# ppsim report: 1f1b, P = 2, M = 2, v = 1\n"));
    ck_assert_ptr_nonnull(strstr(md, "Made by `ppsim report rep -s 1f1b -p 2 -m 2`"));
    /* The example: makespan 10, idle/total 0.4, idle/compute 8/12, stage-span 0.4, M/10 = 0.2
     * micro-batches per second; rank 0 busy 6 s, idle 4 s, holding 2 micro-batches of 1 B. */
    ck_assert_ptr_nonnull(strstr(md, "| 10.0 s | 40.0% | 66.7% | – | 40.0% | 0.2 "
                                     "micro-batches/s |"));
    ck_assert_ptr_nonnull(strstr(md, "| 0 | 6.00 s | 4.00 s | 2 B |"));
    ck_assert_ptr_nonnull(strstr(md, "| gpipe | 1 | 9.00 s | 33.3% | 50.0% | 50.0% | 33.3% | "
                                     "2 B |"));
    ck_assert_ptr_nonnull(strstr(md, "| **1f1b** | 1 | 9.00 s |"));
    ck_assert_ptr_nonnull(strstr(md, "run `for f in *.gp; do gnuplot"));
    free(md);
    /* Its files: the data and scripts of both images, no image (render 0). */
    ck_assert_int_eq(dir_has(rdir, "timeline.json"), 1);
    ck_assert_int_eq(dir_has(rdir, "compare.csv"), 1);
    ck_assert_int_eq(dir_has(rdir, ".gp"), 2);
    ck_assert_int_eq(dir_has(rdir, ".png"), 0);
    /* A second run replaces the report; nothing is left beside it. */
    r.command = "second";
    ck_assert_msg(pps_report_write(&r, &err) == PPS_OK, "%s", err.msg);
    md = slurp("rep/index.md");
    ck_assert_ptr_nonnull(strstr(md, "Made by `second`"));
    free(md);
    ck_assert_int_eq(files_with("rep.new", 0), 0);
    remove_tree(rdir);
    free(rows);
    pps_cost_clear(&c);
}
END_TEST

START_TEST(a_report_never_replaces_a_folder_it_did_not_write)
{
    char *other = path_in("mine");
    ck_assert_int_eq(mkdir(other, 0755), 0);
    FILE *fp = fopen(path_in("mine/notes.txt"), "w");
    fputs("keep me\n", fp);
    fclose(fp);
    pps_cost c;
    pps_cost_init(&c);
    pps_report r = {.dir = other, .timeline = ex, .cost = &c, .analytic = NAN};
    pps_plot_options_init(&r.plot);
    r.plot.render = 0;
    pps_error err = {0};
    ck_assert_int_eq(pps_report_write(&r, &err), PPS_EIO);
    ck_assert_ptr_nonnull(strstr(err.msg, "mine: it exists and is not a ppsim report"));
    char *kept = slurp("mine/notes.txt");
    ck_assert_str_eq(kept, "keep me\n");
    free(kept);
    ck_assert_int_eq(files_with("mine.new", 0), 0);
    remove_tree(other);
    pps_cost_clear(&c);
}
END_TEST

START_TEST(an_image_path_without_png_or_svg_is_refused)
{
    pps_plot_options o = script_only();
    pps_error err = {0};
    ck_assert_int_eq(pps_plot_timeline(ex, &o, "/tmp/x.jpg", &err), PPS_EINPUT);
    ck_assert_str_eq(err.msg, "/tmp/x.jpg: the image must end in .png or .svg");
}
END_TEST

START_TEST(without_gnuplot_the_data_and_script_stay_and_no_image)
{
    pps_plot_options o;
    pps_plot_options_init(&o);
    const char *path = getenv("PATH");
    char *old = path ? strdup(path) : NULL;
    setenv("PATH", "/nonexistent", 1);
    pps_error err = {0};
    pps_status st = pps_plot_timeline(ex, &o, path_in("t.png"), &err);
    if (old) {
        setenv("PATH", old, 1);
        free(old);
    }
    ck_assert_int_eq(st, PPS_EIO);
    ck_assert_ptr_nonnull(strstr(err.msg, "gnuplot is not installed or not on PATH; install it "
                                          "(Debian/Ubuntu: apt-get install gnuplot-nox"));
    ck_assert_ptr_null(strchr(err.msg, '\n'));
    ck_assert(exists("t.dat") && exists("t.gp") && !exists("t.png"));
}
END_TEST

START_TEST(a_failing_gnuplot_leaves_no_image)
{
    pps_plot_options o;
    pps_plot_options_init(&o);
    o.gnuplot = "false"; /* exits 1 */
    pps_error err = {0};
    ck_assert_int_eq(pps_plot_timeline(ex, &o, path_in("t.png"), &err), PPS_EIO);
    ck_assert_ptr_nonnull(strstr(err.msg, "gnuplot failed on"));
    ck_assert(exists("t.dat") && exists("t.gp") && !exists("t.png"));
    ck_assert_int_eq(files_with(".tmp.", 0), 0); /* no temporary file left */
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("report");
    TCase *u = tcase_create("units");
    tcase_add_test(u, times_have_three_significant_digits_and_a_unit);
    tcase_add_test(u, a_value_that_rounds_to_1000_moves_to_the_next_unit);
    tcase_add_test(u, bytes_are_decimal_si_units);
    tcase_add_test(u, a_unit_for_a_column_follows_its_largest_value);
    suite_add_tcase(s, u);
    TCase *p = tcase_create("plots");
    tcase_add_checked_fixture(p, setup, teardown);
    tcase_add_test(p, timeline_data_has_one_box_per_compute_action);
    tcase_add_test(p, timeline_script_sets_colours_axes_and_title);
    tcase_add_test(p, timeline_transfers_are_the_send_queues);
    tcase_add_test(p, memory_data_steps_through_each_ranks_activation);
    tcase_add_test(p, diff_marks_the_action_that_moved_most);
    tcase_add_test(p, sweep_data_holds_each_schedules_line);
    tcase_add_test(p, a_report_holds_the_configuration_result_and_table);
    tcase_add_test(p, a_report_never_replaces_a_folder_it_did_not_write);
    tcase_add_test(p, an_image_path_without_png_or_svg_is_refused);
    tcase_add_test(p, without_gnuplot_the_data_and_script_stay_and_no_image);
    tcase_add_test(p, a_failing_gnuplot_leaves_no_image);
    suite_add_tcase(s, p);
    return s;
}

int main(void)
{
    return run_suite(suite());
}
