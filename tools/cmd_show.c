/* cmd_show.c — `ppsim show`: a text timeline per rank, scaled by time, like the diagrams in
 * papers: `rank 0  | F0 F1 F2 F3 ...... B0    B1`; coloured by kind on a terminal. */
#include "cli.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

enum { MAX_WIDTH = 4000, AUTO_WIDTH_CAP = 240, PREFIX = 10 /* "rank 0  | " */ };
enum { OPT_COLOR = 5120, OPT_CRITICAL };

static const char show_usage[] =
    "Usage: ppsim show (-s NAME -p P -m M [-v V] | -f FILE) [costs] [--width N] [--color WHEN]\n"
    "                  [--critical]\n"
    "       ppsim show TIMELINE.json [--width N] [--color WHEN] [--critical]\n"
    "Draws each rank's compute stream as a line of text scaled by time: an action occupies\n"
    "columns in proportion to its duration, '.' is idle. Labels are kind and micro-batch\n"
    "(F3, B0); with v > 1 stages per rank a letter for the rank's chunk follows (F3a: chunk 0,\n"
    "F3b: chunk 1, ...); an overlapped forward and backward is F3|B1. A label longer than its\n"
    "action is shortened (F3a, F3, F). With colour, boxes take the kind's colour (later chunks\n"
    "lighter) and hold the micro-batch. A line under the rows names the kinds and chunks.\n\n"
    "%s%s\n%s\n"
    "      --width N            columns for the whole makespan (default: the terminal's width;\n"
    "                           not on a terminal: enough for every label, at most 240)\n"
    "      --color WHEN         auto (default: on a terminal, unless NO_COLOR is set or TERM\n"
    "                           is dumb), always or never\n"
    "      --critical           under each rank a line marking with '=' its actions on the\n"
    "                           critical path (ppsim explain; a timeline file is replayed with\n"
    "                           its own durations to find it)\n"
    "  -h, --help               show this help\n";

static int is_compute_event(const pps_event *e)
{
    return e->stream == PPS_STREAM_COMPUTE && pps_kind_is_compute((pps_kind)e->action.kind);
}

/* The rank's chunk of a stage (0 .. v-1): stage s of rank r is chunk s / P on both the loop and
 * the V placement. */
static int chunk_of(const pps_timeline *t, int stage)
{
    return t->chunks > 1 ? stage / t->ranks : 0;
}

/* A label as long as fits in room columns: with colour the micro-batch alone (the colour shows
 * kind and chunk), else kind, micro-batch and chunk letter, shortened to F3 and then F. */
static void label_of(const pps_timeline *t, const pps_action *a, int colour, int room,
                     char *buf, size_t size)
{
    char full[3][40];
    int n = 0;
    if (a->kind == PPS_OVERLAP_F_B) {
        if (!colour)
            snprintf(full[n++], sizeof full[0], "F%d|%s%d", a->mb,
                     pps_kind_name((pps_kind)a->kind2), a->mb2);
        snprintf(full[n++], sizeof full[0], "%d|%d", a->mb, a->mb2);
    } else if (colour) {
        snprintf(full[n++], sizeof full[0], "%d", a->mb);
    } else {
        const char *k = pps_kind_name((pps_kind)a->kind);
        if (t->chunks > 1)
            snprintf(full[n++], sizeof full[0], "%s%d%c", k, a->mb,
                     'a' + chunk_of(t, a->stage) % 26);
        snprintf(full[n++], sizeof full[0], "%s%d", k, a->mb);
        snprintf(full[n++], sizeof full[0], "%s", k);
    }
    buf[0] = '\0';
    for (int i = 0; i < n; i++)
        if ((int)strlen(full[i]) <= room) {
            snprintf(buf, size, "%s", full[i]);
            return;
        }
}

/* The terminal's columns for the timeline (the prefix "rank N  | " left out); 0 when stdout is
 * not a terminal. */
static int terminal_width(void)
{
    if (!isatty(STDOUT_FILENO))
        return 0;
    struct winsize ws;
    int cols = ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0 ? ws.ws_col : 0;
    const char *env = getenv("COLUMNS");
    if (!cols && env)
        cols = (int)strtol(env, NULL, 10);
    if (cols <= 0)
        cols = 80;
    return cols - PREFIX > 20 ? cols - PREFIX : 20;
}

/* One column of a rank's line: its character, and the kind and chunk of the action over it
 * (kind 0 for idle). */
typedef struct cell {
    char ch;
    unsigned char kind;
    unsigned char chunk;
} cell;

/* A run of cells in one style: truecolor background and contrasting text for a box, dim dots
 * for idle time. */
static void put_run(const cell *c, int n, int colour, int chunks)
{
    if (colour && c->kind) {
        unsigned bg = pps_plot_colour((pps_kind)c->kind, c->chunk, chunks);
        unsigned fg = pps_plot_text_colour(bg);
        printf("\x1b[48;2;%u;%u;%um\x1b[38;2;%u;%u;%um", bg >> 16, (bg >> 8) & 255, bg & 255,
               fg >> 16, (fg >> 8) & 255, fg & 255);
    } else if (colour) {
        fputs("\x1b[2m", stdout);
    }
    for (int i = 0; i < n; i++)
        putchar(c[i].ch);
    if (colour)
        fputs("\x1b[0m", stdout);
}

static const pps_kind kinds[] = {PPS_F, PPS_B, PPS_I, PPS_W, PPS_OVERLAP_F_B};
static const char *const kind_words[] = {"forward", "backward", "backward for inputs",
                                         "backward for weights", "forward & backward overlapped"};

/* The line under the rows: the kinds present and, with v > 1, what the chunk letters (or
 * lighter colours) mean. */
static void legend(const pps_timeline *t, int colour)
{
    int present[PPS_KIND_COUNT] = {0};
    for (size_t i = 0; i < t->n; i++)
        if (is_compute_event(&t->events[i]))
            present[t->events[i].action.kind] = 1;
    fputs("        ", stdout);
    int first = 1;
    for (size_t k = 0; k < sizeof kinds / sizeof *kinds; k++) {
        if (!present[kinds[k]])
            continue;
        printf("%s", first ? "" : ", ");
        first = 0;
        if (colour) {
            cell c = {' ', (unsigned char)kinds[k], 0};
            put_run(&c, 1, 1, t->chunks);
            putchar(' ');
        }
        printf("%s %s", kinds[k] == PPS_OVERLAP_F_B ? "F|B" : pps_kind_name(kinds[k]),
               kind_words[k]);
    }
    if (t->chunks > 1) {
        fputs(colour ? "; chunks, lighter in turn:" : "; chunk letters:", stdout);
        for (int c = 0; c < t->chunks && c < 26; c++) {
            if (colour) {
                cell s = {' ', PPS_F, (unsigned char)c};
                putchar(' ');
                put_run(&s, 1, 1, t->chunks);
            }
            printf(" %c = chunk %d%s", 'a' + c, c, c + 1 < t->chunks ? "," : "");
        }
        fputs(" (chunk c of rank r: stage c·P + r, or 2P − 1 − r on the V)", stdout);
    }
    putchar('\n');
}

/* The critical path's marks under a rank's row: '=' over the columns of its actions on the
 * path (marks[i] set), trailing blanks dropped. */
static void path_line(const pps_timeline *t, const size_t *by, size_t from, size_t to,
                      const uint8_t *marks, double t0, double span, int width, char *buf)
{
    memset(buf, ' ', (size_t)width);
    for (size_t k = from; k < to; k++) {
        const pps_event *e = &t->events[by[k]];
        if (!marks[by[k]])
            continue;
        int c0 = (int)floor((e->start - t0) / span * width + 1e-9);
        int c1 = (int)floor((e->end - t0) / span * width + 1e-9);
        if (c1 <= c0)
            c1 = c0 + 1;
        for (int c = c0 < 0 ? 0 : c0; c < c1 && c < width; c++)
            buf[c] = '=';
    }
    int n = width;
    while (n > 0 && buf[n - 1] == ' ')
        n--;
    printf("  path  | %.*s\n", n, buf);
}

/* Prints the drawing (with the critical path's marks when marks is not NULL, and `note`, the
 * line that says what they are); -1 when out of memory (nothing printed). */
static int draw(const pps_timeline *t, const pps_analysis *a, int width, int colour,
                const uint8_t *marks, const char *note)
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
        char lb[64];
        label_of(t, &e->action, colour, 63, lb, sizeof lb);
        if ((int)strlen(lb) > label_max)
            label_max = (int)strlen(lb);
    }
    double span = a->makespan > 0 ? a->makespan : 1;
    if (width <= 0)
        width = terminal_width();
    if (width <= 0) {
        double w = isfinite(min_dur) ? ceil(span / min_dur * (label_max + 1)) : 80;
        width = w < 20 ? 20 : w > AUTO_WIDTH_CAP ? AUTO_WIDTH_CAP : (int)w;
    }
    /* Each rank's compute events, grouped by a counting sort (by[first[r] .. first[r + 1]), in
     * timeline order), so that drawing is linear in events, not ranks times events. */
    cell *line = malloc((size_t)width * sizeof *line);
    size_t *first = calloc((size_t)t->ranks + 1, sizeof *first);
    size_t *by = malloc((t->n ? t->n : 1) * sizeof *by);
    char *marked = malloc((size_t)width);
    if (!line || !first || !by || !marked) {
        free(line);
        free(first);
        free(by);
        free(marked);
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
    char sp[32], col[32];
    pps_format_time(span, sp, sizeof sp);
    pps_format_time(span / width, col, sizeof col);
    printf("%s: %d ranks, %d micro-batch%s", t->schedule, t->ranks, t->microbatches,
           t->microbatches == 1 ? "" : "es");
    if (t->chunks > 1)
        printf(", v = %d", t->chunks);
    printf("; 0 .. %s, one column = %s\n", sp, col);
    for (int r = 0; r < t->ranks; r++) {
        for (int c = 0; c < width; c++)
            line[c] = (cell){'.', 0, 0};
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
            /* The label, within the action's columns less one that keeps neighbours apart
             * (with colour the box's colour does that), then blanks for the rest of it; an
             * action of one column still shows its kind ("F"), never a blank. */
            int room = colour || c1 - c0 == 1 ? c1 - c0 : c1 - c0 - 1;
            char lb[64];
            label_of(t, &e->action, colour, room, lb, sizeof lb);
            int len = (int)strlen(lb);
            for (int c = c0; c < c1; c++)
                line[c] = (cell){c - c0 < len ? lb[c - c0] : ' ', e->action.kind,
                                 (unsigned char)chunk_of(t, e->action.stage)};
        }
        printf("rank %-3d| ", r);
        for (int c = 0; c < width;) {
            int n = 1;
            while (c + n < width && line[c + n].kind == line[c].kind &&
                   line[c + n].chunk == line[c].chunk)
                n++;
            put_run(line + c, n, colour, t->chunks);
            c += n;
        }
        putchar('\n');
        if (marks)
            path_line(t, by, first[r], first[r + 1], marks, t0, span, width, marked);
    }
    legend(t, colour);
    if (marks)
        printf("        %s\n", note);
    free(line);
    free(first);
    free(by);
    free(marked);
    return 0;
}

/* --color: 1 for colour, 0 without, -1 after a usage error. */
static int colour_choice(const char *arg)
{
    const char *term = getenv("TERM"), *no_colour = getenv("NO_COLOR");
    if (!arg || strcmp(arg, "auto") == 0)
        return isatty(STDOUT_FILENO) && !(no_colour && *no_colour) &&
               !(term && strcmp(term, "dumb") == 0);
    if (strcmp(arg, "always") == 0)
        return 1;
    if (strcmp(arg, "never") == 0)
        return 0;
    cli_error("show", "--color: expected auto, always or never, got '%s'", arg);
    return -1;
}

int cmd_show(int argc, char **argv)
{
    static const struct option extra[] = {
        {"width", required_argument, NULL, OPT_WIDTH},
        {"color", required_argument, NULL, OPT_COLOR},
        {"critical", no_argument, NULL, OPT_CRITICAL},
        {"help", no_argument, NULL, 'h'},
    };
    struct option opts[CLI_MAX_OPTIONS];
    cli_options_merge(opts, 1, extra, sizeof extra / sizeof *extra);

    cli_input in;
    cli_input_init(&in);
    int width = 0, critical = 0, c, rc;
    const char *colour_arg = NULL;
    while ((c = cli_next_option(&in, "show", argc, argv, ":" CLI_INPUT_SHORT "h", opts, &rc)) !=
           -1) {
        switch (c) {
        case OPT_WIDTH:
            if ((rc = cli_parse_int("show", "--width", optarg, 1, MAX_WIDTH, &width)) != 0)
                return rc;
            break;
        case OPT_COLOR: colour_arg = optarg; break;
        case OPT_CRITICAL: critical = 1; break;
        case 'h': printf(show_usage, cli_input_usage, cli_schedule_option_usage(), cli_cost_usage); return EXIT_OK;
        default: return cli_bad_option("show", c, argv);
        }
    }
    if (rc)
        return rc;
    int colour = colour_choice(colour_arg);
    if (colour < 0)
        return EXIT_USAGE;
    if ((rc = cli_no_argument_from("show", argc, argv, optind + 1)) != 0)
        return rc;
    cli_run run;
    in.want_events = 1;
    const char *file = optind < argc ? argv[optind] : NULL;
    rc = cli_timeline_input("show", &in, file, &run);
    uint8_t *marks = NULL;
    double length = 0;
    char note[256] = "";
    if (rc == 0 && critical)
        rc = cli_critical_marks("show", &run, file, &marks, &length);
    if (rc == 0 && critical) {
        char len[32], m[32];
        pps_format_time(length, len, sizeof len);
        pps_format_time(run.analysis.makespan, m, sizeof m);
        if (file)
            snprintf(note, sizeof note, "= the critical path's actions in the replay of these "
                     "durations (ppsim explain): %s with its transfers, the makespan measured %s",
                     len, m);
        else
            snprintf(note, sizeof note, "= the critical path's actions (ppsim explain): %s with "
                     "its transfers, the makespan", len);
    }
    if (rc == 0 && draw(run.timeline, &run.analysis, width, colour, marks, note) != 0) {
        cli_error("show", "out of memory drawing %zu events", run.timeline->n);
        rc = EXIT_BAD_INPUT;
    }
    free(marks);
    cli_run_free(&run);
    return rc;
}
