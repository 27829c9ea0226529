/* cmd_show.c — `ppsim show`: an ASCII timeline per rank, scaled by time, like the diagrams in
 * papers: `rank 0 | F0 F1 F2 F3 ...... B0    B1`. */
#include "cli.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_WIDTH = 4000, AUTO_WIDTH_CAP = 240 };

static const char show_usage[] =
    "Usage: ppsim show (-s NAME -p P -m M [-v V] | -f FILE) [costs] [--width N]\n"
    "       ppsim show TIMELINE.json [--width N]\n"
    "Draws each rank's compute stream as a line of text scaled by time: an action occupies\n"
    "columns in proportion to its duration, '.' is idle. Labels are kind and micro-batch\n"
    "(F3, B0); with several stages per rank the stage comes first (2F3).\n\n"
    "%s%s\n%s\n"
    "      --width N            columns for the whole makespan (default: enough for the\n"
    "                           shortest action's label, at most 240)\n"
    "  -h, --help               show this help\n";

static int label_of(const pps_timeline *t, const pps_action *a, char *buf, size_t size)
{
    if (t->chunks == 1 && a->kind != PPS_OVERLAP_F_B)
        return snprintf(buf, size, "%s%d", pps_kind_name((pps_kind)a->kind), a->mb);
    return pps_action_format(a, buf, size);
}

static int is_compute_event(const pps_event *e)
{
    return e->stream == PPS_STREAM_COMPUTE && pps_kind_is_compute((pps_kind)e->action.kind);
}

/* Prints the drawing; -1 when out of memory (nothing printed). */
static int draw(const pps_timeline *t, const pps_analysis *a, int width)
{
    double t0 = INFINITY, min_dur = INFINITY;
    int label_max = 1;
    for (size_t i = 0; i < t->n; i++) {
        const pps_event *e = &t->events[i];
        t0 = fmin(t0, e->start);
        if (!is_compute_event(e))
            continue;
        if (e->end > e->start)
            min_dur = fmin(min_dur, e->end - e->start);
        char lb[PPS_ACTION_TEXT_MAX];
        int len = label_of(t, &e->action, lb, sizeof lb);
        if (len > label_max)
            label_max = len;
    }
    double span = a->makespan > 0 ? a->makespan : 1;
    if (width <= 0) {
        double w = isfinite(min_dur) ? ceil(span / min_dur * (label_max + 1)) : 80;
        width = w < 20 ? 20 : w > AUTO_WIDTH_CAP ? AUTO_WIDTH_CAP : (int)w;
    }
    /* Each rank's compute events, grouped by a counting sort (by[first[r] .. first[r + 1]), in
     * timeline order), so that drawing is linear in events, not ranks times events. */
    char *line = malloc((size_t)width + 1);
    size_t *first = calloc((size_t)t->ranks + 1, sizeof *first);
    size_t *by = malloc((t->n ? t->n : 1) * sizeof *by);
    if (!line || !first || !by) {
        free(line);
        free(first);
        free(by);
        return -1;
    }
    for (size_t i = 0; i < t->n; i++)
        first[t->events[i].rank + 1] += is_compute_event(&t->events[i]) != 0;
    for (int r = 0; r < t->ranks; r++)
        first[r + 1] += first[r];
    for (size_t i = 0; i < t->n; i++)
        if (is_compute_event(&t->events[i]))
            by[first[t->events[i].rank]++] = i;
    for (int r = t->ranks; r > 0; r--) /* the fill moved each start to its end: shift back */
        first[r] = first[r - 1];
    first[0] = 0;
    printf("%s: %d ranks, %d micro-batches; 0 .. %.6g s, one column = %.4g s\n", t->schedule,
           t->ranks, t->microbatches, span, span / width);
    for (int r = 0; r < t->ranks; r++) {
        memset(line, '.', (size_t)width);
        line[width] = '\0';
        for (size_t k = first[r]; k < first[r + 1]; k++) {
            const pps_event *e = &t->events[by[k]];
            int c0 = (int)floor((e->start - t0) / span * width + 1e-9);
            int c1 = (int)floor((e->end - t0) / span * width + 1e-9);
            if (c1 <= c0)
                c1 = c0 + 1;
            if (c0 < 0)
                c0 = 0;
            if (c1 > width)
                c1 = width;
            char lb[PPS_ACTION_TEXT_MAX];
            label_of(t, &e->action, lb, sizeof lb);
            /* The label, cut to the action's columns (minus one to keep neighbours apart),
             * then blanks for the rest of its duration. */
            int room = c1 - c0 > 1 ? c1 - c0 - 1 : 1;
            int len = (int)strlen(lb);
            for (int c = c0; c < c1; c++)
                line[c] = c - c0 < len && c - c0 < room ? lb[c - c0] : ' ';
        }
        printf("rank %-3d| %s\n", r, line);
    }
    free(line);
    free(first);
    free(by);
    return 0;
}

int cmd_show(int argc, char **argv)
{
    static const struct option extra[] = {
        {"width", required_argument, NULL, OPT_WIDTH},
        {"help", no_argument, NULL, 'h'},
    };
    struct option opts[CLI_MAX_OPTIONS];
    cli_options_merge(opts, 1, extra, sizeof extra / sizeof *extra);

    cli_input in;
    cli_input_init(&in);
    int width = 0, c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":" CLI_INPUT_SHORT "h", opts, NULL)) != -1) {
        int r = cli_input_option(&in, "show", c, optarg);
        if (r < 0)
            return -r;
        if (r > 0)
            continue;
        switch (c) {
        case OPT_WIDTH:
            if ((r = cli_parse_int("show", "--width", optarg, 1, MAX_WIDTH, &width)) != 0)
                return r;
            break;
        case 'h': printf(show_usage, cli_input_usage, cli_schedule_option_usage(), cli_cost_usage); return EXIT_OK;
        default: return cli_bad_option("show", c, argv);
        }
    }
    if (optind < argc - 1) {
        cli_error("show", "unexpected argument '%s'", argv[optind + 1]);
        return EXIT_USAGE;
    }
    cli_run run;
    in.want_events = 1;
    int rc = cli_timeline_input("show", &in, optind < argc ? argv[optind] : NULL, &run);
    if (rc == 0 && draw(run.timeline, &run.analysis, width) != 0) {
        cli_error("show", "out of memory drawing %zu events", run.timeline->n);
        rc = EXIT_BAD_INPUT;
    }
    cli_run_free(&run);
    return rc;
}
