/* cmd_plot.c — `ppsim plot timeline|memory|diff`: pictures drawn by gnuplot from data and a
 * script that ppsim writes beside the image (docs/plots.md). */
#include "cli.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char plot_usage[] =
    "Usage: ppsim plot timeline (-s NAME -p P -m M [-v V] | -f FILE | TIMELINE.json) [costs]\n"
    "                           -o IMAGE [--transfers] [--critical] [common]\n"
    "       ppsim plot memory   (same inputs) -o IMAGE [--memory-limit BYTES] [common]\n"
    "       ppsim plot diff     PREDICTED.json MEASURED.json -o IMAGE [common]\n"
    "       ppsim plot sweep    SWEEP.csv -o IMAGE [-p P] [common]\n"
    "Draws a picture with gnuplot. Beside IMAGE (.png or .svg) ppsim keeps the data (BASE.dat)\n"
    "and the gnuplot script (BASE.gp) that drew it: restyle the script and run `gnuplot\n"
    "BASE.gp` in that folder to draw it again (docs/plots.md).\n\n"
    "  timeline  one row per rank, one box per compute action coloured by kind (F, B, I, W,\n"
    "            overlapped F&B; later chunks lighter), the micro-batch inside boxes wide\n"
    "            enough; title with P, M, v and the bubble. SVG boxes carry hover titles.\n"
    "  memory    activation memory over time, one line per rank (a panel per rank past 8)\n"
    "  diff      two timelines of one schedule as paired rows per rank; the worst actions\n"
    "            (largest end-time error) marked\n"
    "  sweep     a `ppsim sweep` CSV: bubble (analytic dashed), peak activation and step time\n"
    "            against M on a log-2 axis, one line per schedule, at one P (-p; default the\n"
    "            largest)\n\n"
    "%s%s\n%s\n"
    "Plot options:\n"
    "  -o, --output IMAGE       the image: .png (pngcairo) or .svg (required)\n"
    "      --size WxH           image size in pixels (default: sized from the content)\n"
    "      --title TEXT         the first title line (default: schedule, P, M, v, source)\n"
    "      --transfers          timeline: a thin row of each rank's outgoing transfers\n"
    "      --critical           timeline: the critical path's actions outlined in black\n"
    "                           (ppsim explain; a timeline file is replayed to find it)\n"
    "      --memory-limit BYTES memory: draw the limit as a line\n"
    "      --no-render          write the data and script only; do not run gnuplot\n"
    "  -h, --help               show this help\n\n"
    "Exit status: 0 ok, 1 bad input or gnuplot missing or failing (the data and script are\n"
    "still written; never a partial image), 2 usage error.\n";

enum { OPT_SIZE = 2048, OPT_TITLE, OPT_TRANSFERS, OPT_MEMORY_LIMIT, OPT_NO_RENDER, OPT_CRITICAL };

/* "1200x400" into o->width, o->height. */
static int parse_size(const char *arg, pps_plot_options *o)
{
    char *end;
    long w = strtol(arg, &end, 10), h = 0;
    if (end != arg && (*end == 'x' || *end == 'X')) {
        const char *hs = end + 1;
        h = strtol(hs, &end, 10);
        if (end == hs)
            h = 0;
    }
    if (*end != '\0' || w < 100 || w > 20000 || h < 100 || h > 20000) {
        cli_error("plot", "--size: expected WIDTHxHEIGHT in pixels, each in [100, 20000], "
                  "got '%s'", arg);
        return EXIT_USAGE;
    }
    o->width = (int)w;
    o->height = (int)h;
    return 0;
}

static int plot_sweep_file(const char *csv, const char *image, const pps_plot_options *o)
{
    pps_sweep_row *rows = NULL;
    size_t n = 0;
    pps_error err = {0};
    pps_status st = pps_sweep_read_csv(csv, &rows, &n, &err);
    if (st == PPS_OK)
        st = pps_plot_sweep(rows, n, o, image, &err);
    free(rows);
    return st == PPS_OK ? EXIT_OK : cli_fail("plot", &err);
}

static int plot_diff_files(const char *pred_path, const char *meas_path, const char *image,
                           const pps_plot_options *o)
{
    pps_timeline *pred = NULL, *meas = NULL;
    pps_error err = {0};
    pps_status st = pps_timeline_read(pred_path, &pred, &err);
    if (st == PPS_OK)
        st = pps_timeline_read(meas_path, &meas, &err);
    if (st == PPS_OK)
        st = pps_plot_diff(pred, meas, o, image, &err);
    pps_timeline_destroy(pred);
    pps_timeline_destroy(meas);
    return st == PPS_OK ? EXIT_OK : cli_fail("plot", &err);
}

int cmd_plot(int argc, char **argv)
{
    static const struct option extra[] = {
        {"output", required_argument, NULL, 'o'},
        {"size", required_argument, NULL, OPT_SIZE},
        {"title", required_argument, NULL, OPT_TITLE},
        {"transfers", no_argument, NULL, OPT_TRANSFERS},
        {"critical", no_argument, NULL, OPT_CRITICAL},
        {"memory-limit", required_argument, NULL, OPT_MEMORY_LIMIT},
        {"no-render", no_argument, NULL, OPT_NO_RENDER},
        {"help", no_argument, NULL, 'h'},
    };
    if (argc >= 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
        printf(plot_usage, cli_input_usage, cli_schedule_option_usage(), cli_cost_usage);
        return EXIT_OK;
    }
    if (argc < 2 || argv[1][0] == '-') {
        cli_error("plot", "name what to plot: timeline, memory, diff or sweep (see --help)");
        return EXIT_USAGE;
    }
    const char *what = argv[1];
    int timeline = strcmp(what, "timeline") == 0, memory = strcmp(what, "memory") == 0;
    int diff = strcmp(what, "diff") == 0, sweep = strcmp(what, "sweep") == 0;
    if (!timeline && !memory && !diff && !sweep) {
        cli_error("plot", "unknown plot '%s' (expected timeline, memory, diff or sweep)", what);
        return EXIT_USAGE;
    }
    struct option opts[CLI_MAX_OPTIONS];
    cli_options_merge(opts, 1, extra, sizeof extra / sizeof *extra);
    cli_input in;
    cli_input_init(&in);
    pps_plot_options o;
    pps_plot_options_init(&o);
    const char *image = NULL, *limit_text = NULL;
    int c, r, critical = 0;
    argc--;
    argv++;
    optind = 1;
    while ((c = cli_next_option(&in, "plot", argc, argv, ":" CLI_INPUT_SHORT "o:h", opts, &r)) !=
           -1) {
        switch (c) {
        case 'o': image = optarg; break;
        case OPT_SIZE:
            if ((r = parse_size(optarg, &o)) != 0)
                return r;
            break;
        case OPT_TITLE: o.title = optarg; break;
        case OPT_TRANSFERS: o.transfers = 1; break;
        case OPT_CRITICAL: critical = 1; break;
        case OPT_NO_RENDER: o.render = 0; break;
        case OPT_MEMORY_LIMIT:
            if ((r = cli_parse_double("plot", "--memory-limit", optarg, &o.memory_limit)) != 0)
                return r;
            limit_text = optarg;
            break;
        case 'h':
            printf(plot_usage, cli_input_usage, cli_schedule_option_usage(), cli_cost_usage);
            return EXIT_OK;
        default: return cli_bad_option("plot", c, argv);
        }
    }
    if (r)
        return r;
    if (!image) {
        cli_error("plot", "-o IMAGE is required (a .png or .svg path)");
        return EXIT_USAGE;
    }
    if (o.transfers && !timeline) {
        cli_error("plot", "--transfers applies to plot timeline");
        return EXIT_USAGE;
    }
    if (critical && !timeline) {
        cli_error("plot", "--critical applies to plot timeline");
        return EXIT_USAGE;
    }
    if (o.memory_limit > 0 && !memory) {
        cli_error("plot", "--memory-limit applies to plot memory");
        return EXIT_USAGE;
    }
    if (sweep) {
        if (argc - optind != 1 || in.schedule || in.file || in.microbatches || in.chunks) {
            cli_error("plot", "plot sweep takes one SWEEP.csv and -p P");
            return EXIT_USAGE;
        }
        o.ranks = in.ranks;
        return plot_sweep_file(argv[optind], image, &o);
    }
    /* A schedule that takes a memory limit (zb-auto) is generated within the line drawn. */
    const pps_generator *g = in.schedule ? pps_generator_find(in.schedule) : NULL;
    if (limit_text && g && pps_generator_option(g, "memory-limit") &&
        cli_input_setting(&in, "plot", "memory-limit", limit_text) != 0)
        return EXIT_USAGE;
    if (diff) {
        if (argc - optind != 2 || in.schedule || in.file) {
            cli_error("plot", "plot diff takes two timelines: PREDICTED.json MEASURED.json");
            return EXIT_USAGE;
        }
        return plot_diff_files(argv[optind], argv[optind + 1], image, &o);
    }
    if ((r = cli_no_argument_from("plot", argc, argv, optind + 1)) != 0)
        return r;
    cli_run run;
    in.want_events = 1;
    const char *file = optind < argc ? argv[optind] : NULL;
    int rc = cli_timeline_input("plot", &in, file, &run);
    uint8_t *marks = NULL;
    double length = 0;
    if (rc == 0 && critical && (rc = cli_critical_marks("plot", &run, file, &marks, &length)) == 0)
        o.critical = marks;
    if (rc == 0) {
        pps_error err = {0};
        pps_status st = timeline ? pps_plot_timeline(run.timeline, &o, image, &err)
                                 : pps_plot_memory(run.timeline, &o, image, &err);
        if (st != PPS_OK)
            rc = cli_fail("plot", &err);
    }
    free(marks);
    cli_run_free(&run);
    return rc;
}
