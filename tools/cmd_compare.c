/* cmd_compare.c — `ppsim compare`: every schedule on one configuration, side by side. With no
 * options it runs the built-in default (the README's main job). */
#include "cli.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The built-in default: 4 ranks, 8 micro-batches, unit costs (t_F = 1, t_B = 2), activation of
 * 1 byte per micro-batch, so every figure can be checked against the textbook formulas. */
enum { DEFAULT_RANKS = 4, DEFAULT_MICROBATCHES = 8 };

static const char compare_usage[] =
    "Usage: ppsim compare [-s NAME[,NAME...]] [-p P] [-m M] [-v V] [costs] [--json]\n"
    "Simulates every schedule (or the listed ones) on one configuration and prints them side\n"
    "by side: makespan, bubble in three conventions and as time on the widest rank, peak\n"
    "activation per rank, and beside them the literature's formulas (\"-\" where a formula's\n"
    "assumptions do not hold: docs/schedules.md). With no options: P=4, M=8, v=2 for\n"
    "multi-chunk schedules, t_F=1, t_B=2 (t_I = t_W = 1).\n"
    "Every schedule runs the same model: the costs are one rank's share, split over the v\n"
    "stages a rank holds (each stage t/v and act/v; a transfer keeps its size).\n"
    "A configuration a schedule cannot take is skipped with the reason.\n\n"
    "  -s, --schedule LIST      comma-separated schedule names (default: all)\n"
    "  -p, --ranks P            pipeline ranks (default 4)\n"
    "  -m, --microbatches M     micro-batches (default 8)\n"
    "  -v, --chunks V           stages per rank for multi-chunk schedules (default per schedule)\n"
    "%s\n%s\n"
    "      --json               print one JSON array of summaries (skipped ones with \"skipped\")\n"
    "  -h, --help               show this help\n";

/* The rows, kept until every schedule has run: the text table picks each column's unit from
 * its largest value, and --json writes them as one array (the library writes it). */
#define MAX_SCHEDULES 64
typedef struct compare_rows {
    size_t n;
    pps_summary row[MAX_SCHEDULES];
    pps_analysis analysis[MAX_SCHEDULES]; /* owned */
    cli_analytic analytic[MAX_SCHEDULES]; /* owned */
    char reason[MAX_SCHEDULES][PPS_ERRMSG_MAX];
} compare_rows;

/* Runs one schedule and keeps its row (or why it was skipped). Returns 1 if it ran. */
static int compare_one(const cli_input *in, const pps_generator *g, compare_rows *rows)
{
    pps_gen_params p;
    cli_gen_params(in, g, 1, &p);
    if (g->default_chunks == 1)
        p.chunks = 1;
    cli_run run;
    pps_error err = {0};
    int rc = cli_run_generated("compare", in, g, &p, &run, &err);
    size_t i = rows->n++;
    if (rc != 0) {
        snprintf(rows->reason[i], sizeof rows->reason[i], "%s", err.msg);
        rows->row[i] = (pps_summary){.schedule = g->name, .skipped = rows->reason[i]};
        cli_run_free(&run);
        return 0;
    }
    cli_analytic_of(&run, &rows->analytic[i]);
    /* kept until the rows are printed: the run's copy is forgotten below */
    rows->analysis[i] = run.analysis;
    memset(&run.analysis, 0, sizeof run.analysis);
    rows->row[i] = cli_summary(run.timeline, &rows->analysis[i], &rows->analytic[i]);
    rows->row[i].schedule = g->name; /* the timeline's name goes with the run */
    cli_run_free(&run);
    return 1;
}

/* A number in unit u for the table, or "-" when there is none. */
static const char *cell(double v, pps_unit u, char *buf, size_t size)
{
    if (!isfinite(v))
        return "-";
    pps_format_number(v, u, buf, size);
    return buf;
}

enum { LIST_MAX_RANKS = 8 };

/* Per-rank values in unit u: "4,3,2,1" (NaN as "-") up to 8 ranks, past that the range
 * "1 to 32"; "-" when v is NULL. */
static void rank_list(const double *v, int ranks, pps_unit u, char *buf, size_t size)
{
    char a[32], b[32];
    if (!v) {
        snprintf(buf, size, "-");
        return;
    }
    if (ranks > LIST_MAX_RANKS) {
        double lo = INFINITY, hi = -INFINITY;
        for (int r = 0; r < ranks; r++)
            if (isfinite(v[r])) {
                lo = fmin(lo, v[r]);
                hi = fmax(hi, v[r]);
            }
        snprintf(buf, size, "%s to %s", cell(lo, u, a, sizeof a), cell(hi, u, b, sizeof b));
        return;
    }
    size_t len = 0;
    buf[0] = '\0';
    for (int r = 0; r < ranks && len < size; r++)
        len += (size_t)snprintf(buf + len, size - len, "%s%s", r ? "," : "",
                                cell(v[r], u, a, sizeof a));
}

/* The text table: times and sizes in the unit each column's largest value needs (named in the
 * header); the bubble fractions as they are. */
static void print_table(const compare_rows *rows)
{
    double tmax = 0, bmax = 0, pmax = 0;
    for (size_t i = 0; i < rows->n; i++) {
        const pps_summary *s = &rows->row[i];
        if (s->skipped)
            continue;
        tmax = fmax(tmax, s->analysis->makespan);
        bmax = fmax(bmax, s->analysis->stage_span_idle);
        if (isfinite(s->analytic_stage_span_idle))
            bmax = fmax(bmax, s->analytic_stage_span_idle);
        for (int r = 0; r < s->ranks; r++) {
            pmax = fmax(pmax, s->analysis->per_rank[r].peak_activation);
            if (s->analytic_peak && isfinite(s->analytic_peak[r]))
                pmax = fmax(pmax, s->analytic_peak[r]);
        }
    }
    pps_unit tu = pps_unit_time(tmax), bu = pps_unit_time(bmax), pu = pps_unit_bytes(pmax);
    char h[3][48];
    snprintf(h[0], sizeof h[0], "makespan (%s)", tu.name);
    snprintf(h[1], sizeof h[1], "bubble (%s)", bu.name);
    snprintf(h[2], sizeof h[2], "peak activation per rank (%s)", pu.name);
    printf("%-18s %3s %13s %10s %12s %9s %10s %11s %9s  %-28s  %s\n", "schedule", "v", h[0],
           "idle/total", "idle/compute", "analytic", "stage-span", h[1], "analytic", h[2],
           "analytic");
    for (size_t i = 0; i < rows->n; i++) {
        const pps_summary *s = &rows->row[i];
        if (s->skipped) {
            printf("%-18s skipped: %s\n", s->schedule, s->skipped);
            continue;
        }
        const pps_analysis *a = s->analysis;
        double *peak = malloc((size_t)a->ranks * sizeof *peak);
        char mk[32], ioc[32], bub[32], abub[32], pk[160] = "?", apk[160];
        for (int r = 0; peak && r < a->ranks; r++)
            peak[r] = a->per_rank[r].peak_activation;
        if (peak)
            rank_list(peak, a->ranks, pu, pk, sizeof pk);
        rank_list(s->analytic_peak, a->ranks, pu, apk, sizeof apk);
        if (isfinite(s->analytic_idle_over_compute))
            snprintf(ioc, sizeof ioc, "%.4f", s->analytic_idle_over_compute);
        else
            snprintf(ioc, sizeof ioc, "-");
        pps_format_number(a->makespan, tu, mk, sizeof mk);
        pps_format_number(a->stage_span_idle, bu, bub, sizeof bub);
        printf("%-18s %3d %13s %10.4f %12.4f %9s %10.4f %11s %9s  %-28s  %s\n", s->schedule,
               s->chunks, mk, a->idle_over_total, a->idle_over_compute, ioc,
               a->stage_span_rate, bub, cell(s->analytic_stage_span_idle, bu, abub, sizeof abub),
               pk, apk);
        free(peak);
    }
}

int cmd_compare(int argc, char **argv)
{
    static const struct option extra[] = {
        {"json", no_argument, NULL, OPT_JSON},
        {"help", no_argument, NULL, 'h'},
    };
    struct option opts[CLI_MAX_OPTIONS];
    cli_options_merge(opts, 0, extra, sizeof extra / sizeof *extra);

    cli_input in;
    cli_input_init(&in);
    int json = 0, c, rc;
    while ((c = cli_next_option(&in, "compare", argc, argv, ":s:p:m:v:h", opts, &rc)) != -1) {
        switch (c) {
        case OPT_JSON: json = 1; break;
        case 'h': printf(compare_usage, cli_schedule_option_usage(), cli_cost_usage); return EXIT_OK;
        default: return cli_bad_option("compare", c, argv);
        }
    }
    if (rc || (rc = cli_no_argument_from("compare", argc, argv, optind)) != 0)
        return rc;
    if (!in.ranks)
        in.ranks = DEFAULT_RANKS;
    if (!in.microbatches)
        in.microbatches = DEFAULT_MICROBATCHES;

    /* The schedules to run: the -s list, each checked before anything runs. */
    const pps_generator *list[MAX_SCHEDULES];
    size_t count = 0;
    rc = cli_schedule_list("compare", in.schedule, list, MAX_SCHEDULES, &count);
    if (rc == 0) /* costs every row shares: one error, not a reason to skip each row */
        rc = cli_check_costs("compare", &in);
    if (rc != 0)
        return rc;

    if (!json) {
        printf("%d ranks, %d micro-batches; bubble as idle/total (GPipe), idle/compute "
               "(Megatron; analytic beside it) and stage-span (Zero Bubble)\n",
               in.ranks, in.microbatches);
        printf("costs are one rank's share of the model, split over the v stages a rank holds "
               "(t/v, act/v), so every row runs the same model\n");
    }
    compare_rows *rows = calloc(1, sizeof *rows);
    if (!rows) {
        cli_error("compare", "out of memory");
        return EXIT_BAD_INPUT;
    }
    int ran = 0;
    for (size_t i = 0; i < count; i++)
        ran += compare_one(&in, list[i], rows);
    if (json) {
        pps_error err = {0};
        if (pps_summaries_write_json(rows->row, rows->n, stdout, &err) != PPS_OK)
            rc = cli_fail_stdout("compare", &err);
    } else {
        print_table(rows);
    }
    for (size_t i = 0; i < rows->n; i++) {
        pps_analysis_clear(&rows->analysis[i]);
        cli_analytic_free(&rows->analytic[i]);
    }
    free(rows);
    if (rc != EXIT_OK)
        return rc;
    if (ran == 0) {
        cli_error("compare", "every schedule was skipped (reasons above)");
        return EXIT_BAD_INPUT;
    }
    return EXIT_OK;
}
