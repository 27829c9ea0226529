/* cmd_sim.c — `ppsim sim` (simulate a schedule) and `ppsim analyze` (analyse any timeline). */
#include "cli.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char sim_usage[] =
    "Usage: ppsim sim (-s NAME -p P -m M [-v V] | -f FILE) [costs] [--json]\n"
    "                 [-o TIMELINE.json] [--chrome TRACE.json] [--memory MEMORY.csv]\n"
    "                 [--durations-from MEASURED.json]\n"
    "Simulates one training step of a pipeline schedule and prints its makespan, its bubble in\n"
    "three conventions (idle/total, idle/compute, stage-span), the analytic value where the\n"
    "literature gives one, and per-rank busy time and peak activation memory.\n\n"
    "%s%s\n%s\n"
    "Output:\n"
    "      --json               print one summary object (docs/cli.md) instead of text\n"
    "  -o, --output FILE        write the predicted timeline (docs/trace.md)\n"
    "      --chrome FILE        write a Chrome/Perfetto trace (open in ui.perfetto.dev)\n"
    "      --memory FILE        write each rank's activation memory over time as CSV\n"
    "                           (rank,time_s,bytes: the bytes held from that time on)\n"
    "      --durations-from MEASURED.json\n"
    "                           replay: each action takes its duration in that timeline;\n"
    "                           prints the error against it (docs/explain.md); no -s/-f:\n"
    "                           the schedule it names\n"
    "  -h, --help               show this help\n\n"
    "Exit status: 0 ok, 1 bad input, impossible configuration or deadlock, 2 usage error.\n";

/* --durations-from: reads the timeline into *t and points the input at it; without -s/-f the
 * schedule is the one the timeline names (its row's default options), as `explain` rebuilds it.
 * Returns 0 or the exit code after printing the error. */
static int replay_input(cli_input *in, const char *path, pps_timeline **t)
{
    pps_error err = {0};
    if (pps_timeline_read(path, t, &err) != PPS_OK) {
        pps_timeline_destroy(*t);
        *t = NULL;
        return cli_fail("sim", &err);
    }
    if (in->schedule && strcmp(in->schedule, (*t)->schedule) != 0) {
        cli_error("sim", "%s: $.schedule: the timeline ran '%s', not '%s'", path,
                  (*t)->schedule, in->schedule);
        pps_timeline_destroy(*t);
        *t = NULL;
        return EXIT_BAD_INPUT;
    }
    if (!in->schedule && !in->file) {
        if (!pps_generator_find((*t)->schedule)) {
            cli_error("sim", "%s: $.schedule: '%s' is not a schedule ppsim generates; give the "
                      "schedule it ran with -f FILE", path, (*t)->schedule);
            pps_timeline_destroy(*t);
            *t = NULL;
            return EXIT_BAD_INPUT;
        }
        in->schedule = (*t)->schedule;
        in->ranks = in->ranks ? in->ranks : (*t)->ranks;
        in->microbatches = in->microbatches ? in->microbatches : (*t)->microbatches;
        in->chunks = in->chunks ? in->chunks : (*t)->chunks;
    }
    in->durations = *t;
    in->durations_path = path;
    return 0;
}

/* The replay's error against the timeline it took its durations from: what is left is the
 * execution semantics' (docs/explain.md, "Trace-driven replay"). */
static int print_replay_error(const pps_timeline *replay, const pps_timeline *measured,
                              const char *path)
{
    pps_error err = {0};
    pps_diff d = {0};
    if (pps_timeline_diff(replay, measured, &d, &err) != PPS_OK) {
        pps_error_prefix(&err, "%s", path);
        return cli_fail("sim", &err);
    }
    char mr[32], mm[32], se[32];
    pps_format_time(d.makespan.pred, mr, sizeof mr);
    pps_format_time(d.makespan.meas, mm, sizeof mm);
    pps_format_time(d.abs_start_error.median, se, sizeof se);
    printf("replay of %s (every action with its measured duration): makespan %s against %s "
           "measured (%+.2f%%); median start error %s = %.2f%% of the makespan over %zu "
           "actions",
           path, mr, mm, 100 * d.makespan.rel_error, se,
           d.makespan.meas > 0 ? 100 * d.abs_start_error.median / d.makespan.meas : 0,
           d.matched);
    if (d.only_pred + d.only_meas)
        printf(" (%zu replayed and %zu measured unmatched)", d.only_pred, d.only_meas);
    putchar('\n');
    pps_diff_clear(&d);
    return 0;
}

int cmd_sim(int argc, char **argv)
{
    static const struct option extra[] = {
        {"json", no_argument, NULL, OPT_JSON},
        {"output", required_argument, NULL, 'o'},
        {"chrome", required_argument, NULL, OPT_CHROME},
        {"memory", required_argument, NULL, OPT_MEMORY},
        {"durations-from", required_argument, NULL, OPT_DURATIONS_FROM},
        {"help", no_argument, NULL, 'h'},
    };
    struct option opts[CLI_MAX_OPTIONS];
    cli_options_merge(opts, 1, extra, sizeof extra / sizeof *extra);

    cli_input in;
    cli_input_init(&in);
    int json = 0, c, rc;
    const char *out = NULL, *chrome = NULL, *memory = NULL, *durations = NULL;
    while ((c = cli_next_option(&in, "sim", argc, argv, ":" CLI_INPUT_SHORT "o:h", opts, &rc)) !=
           -1) {
        switch (c) {
        case OPT_JSON: json = 1; break;
        case 'o': out = optarg; break;
        case OPT_CHROME: chrome = optarg; break;
        case OPT_MEMORY: memory = optarg; break;
        case OPT_DURATIONS_FROM: durations = optarg; break;
        case 'h': printf(sim_usage, cli_input_usage, cli_schedule_option_usage(), cli_cost_usage); return EXIT_OK;
        default: return cli_bad_option("sim", c, argv);
        }
    }
    if (rc || (rc = cli_no_argument_from("sim", argc, argv, optind)) != 0)
        return rc;
    pps_timeline *measured = NULL;
    if (durations && (rc = replay_input(&in, durations, &measured)) != 0)
        return rc;
    in.want_events = chrome || measured;
    in.timeline_to_file = out && !in.want_events; /* else -o writes the events in memory */
    in.want_memory = memory != NULL;
    cli_run run;
    rc = cli_run_input("sim", &in, &run);
    if (rc != 0) {
        cli_run_free(&run);
        pps_timeline_destroy(measured);
        return rc;
    }
    rc = cli_write_outputs("sim", &run, out, chrome, memory);
    if (rc == 0) {
        cli_analytic an;
        cli_analytic_of(&run, &an);
        if (json)
            rc = cli_print_summary_json("sim", run.timeline, &run.analysis, &an);
        else
            cli_print_summary(stdout, run.timeline, &run.analysis, &an);
        cli_analytic_free(&an);
    }
    if (rc == 0 && measured && !json)
        rc = print_replay_error(run.timeline, measured, durations);
    cli_run_free(&run);
    pps_timeline_destroy(measured);
    return rc;
}

static const char analyze_usage[] =
    "Usage: ppsim analyze TIMELINE.json [--json]\n"
    "Analyses a predicted or measured timeline: makespan, bubble in the three conventions,\n"
    "per-rank busy time and peak activation memory.\n\n"
    "      --json               print one summary object instead of text\n"
    "  -h, --help               show this help\n";

int cmd_analyze(int argc, char **argv)
{
    static const struct option opts[] = {
        {"json", no_argument, NULL, OPT_JSON},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int json = 0, c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case OPT_JSON: json = 1; break;
        case 'h': fputs(analyze_usage, stdout); return EXIT_OK;
        default: return cli_bad_option("analyze", c, argv);
        }
    }
    if (cli_operands("analyze", argc, 1, "one TIMELINE.json argument"))
        return EXIT_USAGE;
    pps_error err = {0};
    pps_timeline *t = NULL;
    pps_analysis a = {0};
    if (pps_timeline_read(argv[optind], &t, &err) != PPS_OK) {
        pps_timeline_destroy(t);
        return cli_fail("analyze", &err);
    }
    if (pps_analyze(t, &a, &err) != PPS_OK) {
        pps_error_prefix(&err, "%s", argv[optind]);
        pps_timeline_destroy(t);
        return cli_fail("analyze", &err);
    }
    int rc = EXIT_OK;
    if (json)
        rc = cli_print_summary_json("analyze", t, &a, NULL);
    else
        cli_print_summary(stdout, t, &a, NULL);
    pps_analysis_clear(&a);
    pps_timeline_destroy(t);
    return rc;
}
