/* cmd_report.c — `ppsim report DIR`: one configuration as a Markdown report with its pictures
 * (docs/plots.md, "Reports"). */
#include "cli.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char report_usage[] =
    "Usage: ppsim report DIR (-s NAME -p P -m M [-v V] | -f FILE) [costs]\n"
    "                    [--measured TIMELINE.json] [--sweep] [--sweep-m RANGE] [-j N]\n"
    "                    [--no-render]\n"
    "Writes DIR/index.md, a Markdown report that renders on GitHub as it is: the configuration,\n"
    "its makespan and bubble, the timeline and memory images, every schedule on the same P, M\n"
    "and costs, and with --measured the diff table and an overlay of predicted and measured;\n"
    "with --sweep a plot of every schedule against M. Beside it: the timeline, the tables' data\n"
    "and each image's data and gnuplot script. A run over an earlier report replaces it in one\n"
    "step; any other existing DIR is refused.\n\n"
    "%s%s\n%s\n"
    "Report:\n"
    "      --measured FILE      a measured timeline of the same schedule (ppexec -o)\n"
    "      --sweep              add every schedule at this P against M (default M 1-256:x2)\n"
    "      --sweep-m RANGE      the sweep's M values (implies --sweep)\n"
    "  -j, --jobs N             threads for the tables (default: every online core)\n"
    "      --no-render          write the data and scripts but draw no image (no gnuplot)\n"
    "  -h, --help               show this help\n\n"
    "Exit status: 0 ok, 1 bad input, gnuplot missing or failing (nothing replaced), 2 usage.\n";

enum { OPT_MEASURED = 4096, OPT_SWEEP, OPT_SWEEP_M, OPT_NO_RENDER };

/* "ppsim report ARGS..." with arguments holding blanks or quotes in single quotes. */
static char *command_line(int argc, char **argv)
{
    size_t n = 16;
    for (int i = 0; i < argc; i++)
        n += 3 * strlen(argv[i]) + 3;
    char *s = malloc(n), *w = s;
    if (!s)
        return NULL;
    w += sprintf(w, "ppsim");
    for (int i = 0; i < argc; i++) {
        int quote = argv[i][0] == '\0' || strpbrk(argv[i], " \t'\"$`\\*?;&|<>()") != NULL;
        *w++ = ' ';
        if (quote)
            *w++ = '\'';
        for (const char *c = argv[i]; *c; c++) {
            if (*c == '\'') {
                memcpy(w, "'\\''", 4);
                w += 4;
            } else {
                *w++ = *c;
            }
        }
        if (quote)
            *w++ = '\'';
    }
    *w = '\0';
    return s;
}

typedef struct report_args {
    cli_input in;
    const char *dir, *measured;
    int sweep, jobs, render;
    pps_range sweep_m;
} report_args;

static int parse_args(int argc, char **argv, report_args *a)
{
    static const struct option extra[] = {
        {"measured", required_argument, NULL, OPT_MEASURED},
        {"sweep", no_argument, NULL, OPT_SWEEP},
        {"sweep-m", required_argument, NULL, OPT_SWEEP_M},
        {"jobs", required_argument, NULL, 'j'},
        {"no-render", no_argument, NULL, OPT_NO_RENDER},
        {"help", no_argument, NULL, 'h'},
    };
    struct option opts[CLI_MAX_OPTIONS];
    cli_options_merge(opts, 1, extra, sizeof extra / sizeof *extra);
    int c, r;
    while ((c = cli_next_option(&a->in, "report", argc, argv, ":" CLI_INPUT_SHORT "j:h", opts,
                                &r)) != -1) {
        switch (c) {
        case OPT_MEASURED: a->measured = optarg; break;
        case OPT_SWEEP: a->sweep = 1; break;
        case OPT_SWEEP_M: {
            pps_error err = {0};
            pps_range_clear(&a->sweep_m);
            if (pps_range_parse(optarg, 1, PPS_MAX_MICROBATCHES, &a->sweep_m, &err) != PPS_OK) {
                cli_error("report", "--sweep-m: %s", err.msg);
                return EXIT_USAGE;
            }
            a->sweep = 1;
            break;
        }
        case 'j':
            if ((r = cli_parse_int("report", "-j", optarg, 1, 4096, &a->jobs)) != 0)
                return r;
            break;
        case OPT_NO_RENDER: a->render = 0; break;
        case 'h':
            printf(report_usage, cli_input_usage, cli_schedule_option_usage(), cli_cost_usage);
            return EXIT_OK;
        default: return cli_bad_option("report", c, argv);
        }
    }
    if (r)
        return r;
    if (optind == argc) {
        cli_error("report", "name the report's folder: ppsim report DIR ...");
        return EXIT_USAGE;
    }
    if ((r = cli_no_argument_from("report", argc, argv, optind + 1)) != 0)
        return r;
    a->dir = argv[optind];
    return -1;
}

/* One row per schedule on P and M with the input's costs: each schedule at its default v, or
 * at the run's v when it takes several. */
static pps_status compare_rows(const report_args *a, const pps_timeline *t, const pps_cost *c,
                               int jobs, pps_sweep_row **rows, size_t *n, pps_error *err)
{
    size_t count = pps_generator_count();
    *rows = calloc(count, sizeof **rows);
    *n = 0;
    if (!*rows)
        return pps_error_set(err, PPS_ENOMEM, "out of memory");
    for (size_t i = 0; i < count; i++) {
        const pps_generator *g = pps_generator_at(i);
        int v = g->default_chunks > 1 && t->chunks > 1 ? t->chunks : 0;
        pps_sweep_grid grid = {.schedules = &g, .nschedules = 1, .ranks = &t->ranks, .nranks = 1,
                               .microbatches = &t->microbatches, .nmicrobatches = 1,
                               .chunks = &v, .nchunks = v ? 1 : 0, .cost = c,
                               .nsettings = a->in.nsettings, .settings = a->in.settings};
        pps_sweep_row *one = NULL;
        size_t got = 0;
        pps_status st = pps_sweep_run(&grid, jobs, 0, 1, NULL, NULL, &one, &got, err);
        if (st != PPS_OK)
            return st;
        (*rows)[(*n)++] = one[0];
        free(one);
    }
    return PPS_OK;
}

static int run_report(report_args *a, int argc, char **argv)
{
    cli_run run;
    a->in.want_events = 1; /* the report draws the timeline */
    int rc = cli_run_input("report", &a->in, &run);
    if (rc != 0) {
        cli_run_free(&run);
        return rc;
    }
    pps_error err = {0};
    pps_cost given;
    pps_timeline *measured = NULL;
    pps_sweep_row *cmp = NULL, *sweep = NULL;
    size_t ncmp = 0, nsweep = 0;
    char *command = command_line(argc, argv);
    int jobs = a->jobs;
    if (jobs <= 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        jobs = n > 0 ? (int)n : 1;
    }
    pps_status st = cli_input_costs(&a->in, &given, &err);
    if (st == PPS_OK && a->measured)
        st = pps_timeline_read(a->measured, &measured, &err);
    if (st == PPS_OK)
        st = compare_rows(a, run.timeline, &given, 1, &cmp, &ncmp, &err);
    if (st == PPS_OK && a->sweep) {
        const pps_generator *all[64];
        size_t count = 0;
        for (size_t i = 0; i < pps_generator_count() && count < 64; i++)
            all[count++] = pps_generator_at(i);
        static const int default_m[] = {1, 2, 4, 8, 16, 32, 64, 128, 256};
        pps_sweep_grid g = {.schedules = all, .nschedules = count,
                            .ranks = &run.timeline->ranks, .nranks = 1,
                            .microbatches = a->sweep_m.n ? a->sweep_m.values : default_m,
                            .nmicrobatches = a->sweep_m.n ? a->sweep_m.n : 9, .cost = &given,
                            .nsettings = a->in.nsettings, .settings = a->in.settings};
        st = pps_sweep_run(&g, jobs, 0, 1, NULL, NULL, &sweep, &nsweep, &err);
    }
    if (st == PPS_OK) {
        cli_analytic an;
        cli_analytic_of(&run, &an);
        pps_report r = {.dir = a->dir, .command = command, .timeline = run.timeline,
                        .cost = &run.cost, .costs_file = a->in.costs_file,
                        .analytic = an.idle_over_compute, .compare = cmp, .ncompare = ncmp,
                        .sweep = sweep, .nsweep = nsweep, .measured = measured,
                        .measured_name = a->measured};
        pps_plot_options_init(&r.plot);
        r.plot.render = a->render;
        st = pps_report_write(&r, &err);
        cli_analytic_free(&an);
    }
    rc = st == PPS_OK ? EXIT_OK : cli_fail("report", &err);
    if (st == PPS_OK)
        printf("wrote %s/index.md\n", a->dir);
    free(command);
    free(cmp);
    free(sweep);
    pps_timeline_destroy(measured);
    pps_cost_clear(&given);
    cli_run_free(&run);
    return rc;
}

int cmd_report(int argc, char **argv)
{
    report_args a = {.render = 1};
    cli_input_init(&a.in);
    int rc = parse_args(argc, argv, &a);
    if (rc < 0)
        rc = run_report(&a, argc, argv);
    pps_range_clear(&a.sweep_m);
    return rc;
}
