/* cli_common.c — option parsing, the load → validate → lower → simulate pipeline, summaries and
 * output files shared by the ppsim subcommands. */
#include "cli.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

const struct option cli_input_options[] = {
    {"schedule", required_argument, NULL, 's'},
    {"file", required_argument, NULL, 'f'},
    {"ranks", required_argument, NULL, 'p'},
    {"microbatches", required_argument, NULL, 'm'},
    {"chunks", required_argument, NULL, 'v'},
    {"tf", required_argument, NULL, OPT_TF},
    {"tb", required_argument, NULL, OPT_TB},
    {"ti", required_argument, NULL, OPT_TI},
    {"tw", required_argument, NULL, OPT_TW},
    {"tfb", required_argument, NULL, OPT_TFB},
    {"costs", required_argument, NULL, OPT_COSTS},
    {"comm-latency", required_argument, NULL, OPT_LATENCY},
    {"comm-bandwidth", required_argument, NULL, OPT_BANDWIDTH},
    {"inter-latency", required_argument, NULL, OPT_INTER_LATENCY},
    {"inter-bandwidth", required_argument, NULL, OPT_INTER_BANDWIDTH},
    {"ranks-per-node", required_argument, NULL, OPT_RANKS_PER_NODE},
    {"send-bytes", required_argument, NULL, OPT_SEND_BYTES},
    {"act-bytes", required_argument, NULL, OPT_ACT_BYTES},
    {"act-w-bytes", required_argument, NULL, OPT_ACT_W_BYTES},
    {"comm", required_argument, NULL, OPT_COMM},
    {NULL, 0, NULL, 0},
};

const char cli_input_usage[] =
    "Schedule (one of):\n"
    "  -s, --schedule NAME      generate a schedule (see `ppsim gen --list`)\n"
    "  -f, --file FILE          read ppsim JSON or PyTorch CSV (.csv); R, S, M come from it\n"
    "  -p, --ranks P            pipeline ranks (with -s)\n"
    "  -m, --microbatches M     micro-batches per step (with -s)\n"
    "  -v, --chunks V           stages per rank (interleaved schedules; default per schedule)\n";

const char cli_cost_usage[] =
    "Costs (seconds and bytes per micro-batch; defaults t_F=1 t_B=2 act=1). The uniform\n"
    "values are one rank's share of the model (its layers under one stage per rank), so\n"
    "every schedule runs the same model: a schedule with v stages per rank gives each\n"
    "stage t/v and act/v; --send-bytes is one transfer and is not split; per-stage entries\n"
    "of a costs file are taken as given.\n"
    "      --tf T --tb T        forward and full-backward time\n"
    "      --ti T --tw T        backward split into inputs (I) and weights (W); t_B = t_I + t_W\n"
    "      --tfb T              an overlapped forward and backward, OVERLAP_F_B (DualPipeV);\n"
    "                           default: the sum of its halves, t_F + t_B\n"
    "      --costs FILE         per-stage costs and links as JSON (docs/cost-model.md);\n"
    "                           flags given as well override its uniform values\n"
    "      --comm-latency SEC   latency of a transfer between ranks of one node (default 0)\n"
    "      --comm-bandwidth B/S bandwidth between ranks of one node (default 0 = unlimited)\n"
    "      --inter-latency SEC, --inter-bandwidth B/S   the same between nodes\n"
    "      --ranks-per-node N   ranks per node (default 0: all on one node)\n"
    "      --send-bytes N       bytes of one transfer between stages (default 0)\n"
    "      --act-bytes N        activation one micro-batch leaves on a rank's layers (default 1)\n"
    "      --act-w-bytes N      the part of it still held after I, until W (default 0)\n"
    "      --comm overlap|sync  overlapped per-peer queues (default) or blocking on the\n"
    "                           compute stream, as naive implementations do\n";

void cli_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, cmd ? "ppsim %s: " : "ppsim: ", cmd);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

int cli_fail(const char *cmd, const pps_error *err)
{
    cli_error(cmd, "%s", err->msg);
    return EXIT_BAD_INPUT;
}

int cli_parse_double(const char *cmd, const char *opt, const char *arg, double *out)
{
    char *end;
    errno = 0;
    double d = strtod(arg, &end);
    if (end == arg || *end != '\0') {
        cli_error(cmd, "%s: '%s' is not a number", opt, arg);
        return EXIT_USAGE;
    }
    if (!isfinite(d) || d < 0) {
        cli_error(cmd, "%s: %s must be a finite, non-negative number", opt, arg);
        return EXIT_BAD_INPUT;
    }
    *out = d;
    return 0;
}

int cli_parse_int(const char *cmd, const char *opt, const char *arg, long lo, long hi, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(arg, &end, 10);
    if (end == arg || *end != '\0') {
        cli_error(cmd, "%s: '%s' is not an integer", opt, arg);
        return EXIT_USAGE;
    }
    if (errno == ERANGE || v < lo || v > hi) {
        cli_error(cmd, "%s: %s is out of range [%ld, %ld]", opt, arg, lo, hi);
        return EXIT_BAD_INPUT;
    }
    *out = (int)v;
    return 0;
}

int cli_bad_option(const char *cmd, int c, char *const *argv)
{
    char shortopt[3] = {'-', (char)optopt, '\0'};
    /* An unknown short option is only known by optopt (it may sit in a group like -xz). */
    const char *name = c == '?' && optopt > 0 && optopt < 256 ? shortopt : argv[optind - 1];
    if (c == ':')
        cli_error(cmd, "option '%s' needs a value; try 'ppsim %s --help'", name, cmd);
    else
        cli_error(cmd, "unrecognized option '%s'; try 'ppsim %s --help'", name, cmd);
    return EXIT_USAGE;
}

int cli_next_option(cli_input *in, const char *cmd, int argc, char **argv, const char *shortopts,
                    const struct option *opts, int *rc)
{
    int c;
    *rc = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, shortopts, opts, NULL)) != -1) {
        int r = cli_input_option(in, cmd, c, optarg);
        if (r < 0) {
            *rc = -r;
            return -1;
        }
        if (r == 0)
            return c;
    }
    return -1;
}

int cli_operands(const char *cmd, int argc, int count, const char *what)
{
    if (argc - optind == count)
        return 0;
    cli_error(cmd, "expected %s", what);
    return EXIT_USAGE;
}

int cli_no_argument_from(const char *cmd, int argc, char **argv, int first)
{
    if (first >= argc)
        return 0;
    cli_error(cmd, "unexpected argument '%s'", argv[first]);
    return EXIT_USAGE;
}

/* The distinct option names of all schedule rows, in table order: option k is offered as
 * --NAME with code OPT_SCHEDULE_OPTION + k. */
#define MAX_SCHEDULE_OPTIONS 32
static const char *schedule_options[MAX_SCHEDULE_OPTIONS];
static size_t nschedule_options;

static void gather_schedule_options(void)
{
    if (nschedule_options)
        return;
    for (size_t i = 0; i < pps_generator_count(); i++) {
        const pps_generator *g = pps_generator_at(i);
        for (const pps_gen_option *o = g->options; o && o->name; o++) {
            size_t k = 0;
            while (k < nschedule_options && strcmp(schedule_options[k], o->name) != 0)
                k++;
            if (k == nschedule_options && k < MAX_SCHEDULE_OPTIONS)
                schedule_options[nschedule_options++] = o->name;
        }
    }
}

const char *cli_schedule_option_usage(void)
{
    static char text[4096];
    if (text[0])
        return text;
    size_t len = (size_t)snprintf(text, sizeof text, "Schedule options (for the schedules "
                                                      "named before each):\n");
    for (size_t i = 0; i < pps_generator_count() && len < sizeof text; i++) {
        const pps_generator *g = pps_generator_at(i);
        for (const pps_gen_option *o = g->options; o && o->name && len < sizeof text; o++) {
            char flag[64];
            snprintf(flag, sizeof flag, "--%s %s", o->name, o->arg ? o->arg : "VALUE");
            len += (size_t)snprintf(text + len, sizeof text - len, "      %-21s%s: %s\n", flag,
                                    g->name, o->help);
        }
    }
    return text;
}

void cli_gen_params(const cli_input *in, const pps_generator *g, int only_own, pps_gen_params *p)
{
    *p = (pps_gen_params){.ranks = in->ranks, .chunks = in->chunks,
                          .microbatches = in->microbatches};
    for (size_t i = 0; i < in->nsettings; i++)
        if (!only_own || pps_generator_option(g, in->settings[i].name))
            p->settings[p->nsettings++] = in->settings[i];
}

int cli_schedule_list(const char *cmd, const char *names, const pps_generator **list,
                      size_t max, size_t *count)
{
    *count = 0;
    if (!names || strcmp(names, "all") == 0) {
        for (size_t i = 0; i < pps_generator_count() && *count < max; i++)
            list[(*count)++] = pps_generator_at(i);
        return 0;
    }
    char *copy = strdup(names), *save = NULL;
    if (!copy) {
        cli_error(cmd, "out of memory");
        return EXIT_BAD_INPUT;
    }
    int rc = 0;
    for (char *tok = strtok_r(copy, ",", &save); tok && !rc; tok = strtok_r(NULL, ",", &save)) {
        const pps_generator *g = pps_generator_find(tok);
        if (!g || *count == max) {
            cli_error(cmd, g ? "-s: too many schedules" :
                      "-s: unknown schedule '%s' (see `ppsim gen --list`)", tok);
            rc = EXIT_BAD_INPUT;
        } else {
            list[(*count)++] = g;
        }
    }
    free(copy);
    return rc;
}

void cli_options_merge(struct option *out, int with_file, const struct option *extra, size_t n)
{
    size_t k = 0;
    for (const struct option *o = cli_input_options; o->name; o++)
        if (with_file || o->val != 'f')
            out[k++] = *o;
    gather_schedule_options();
    for (size_t i = 0; i < nschedule_options && k < CLI_MAX_OPTIONS - 1; i++) {
        /* The subcommand's own option of the same name wins (plot's --memory-limit). */
        size_t j = 0;
        while (j < n && strcmp(extra[j].name, schedule_options[i]) != 0)
            j++;
        if (j == n)
            out[k++] = (struct option){schedule_options[i], required_argument, NULL,
                                       OPT_SCHEDULE_OPTION + (int)i};
    }
    for (size_t i = 0; i < n && k < CLI_MAX_OPTIONS - 1; i++)
        out[k++] = extra[i];
    out[k] = (struct option){0};
}

void cli_input_init(cli_input *in)
{
    memset(in, 0, sizeof *in);
    in->tf = in->tb = in->ti = in->tw = in->tfb = NAN;
    in->latency = in->bandwidth = in->inter_latency = in->inter_bandwidth = NAN;
    in->send_bytes = in->act_bytes = in->act_w_bytes = NAN;
    in->ranks_per_node = -1;
    in->comm_sync = -1;
}

int cli_input_setting(cli_input *in, const char *cmd, const char *name, const char *value)
{
    size_t i = 0; /* a repeated option replaces its earlier value */
    while (i < in->nsettings && strcmp(in->settings[i].name, name) != 0)
        i++;
    if (i == PPS_GEN_MAX_SETTINGS) {
        cli_error(cmd, "--%s: too many schedule options", name);
        return EXIT_USAGE;
    }
    in->settings[i] = (pps_gen_setting){name, value};
    if (i == in->nsettings)
        in->nsettings++;
    return 0;
}

int cli_input_option(cli_input *in, const char *cmd, int opt, const char *arg)
{
    int rc = 0;
    double *dst = NULL;
    const char *name = NULL;
    switch (opt) {
    case 's': in->schedule = arg; return 1;
    case 'f': in->file = arg; return 1;
    case 'p': rc = cli_parse_int(cmd, "-p", arg, 1, PPS_MAX_RANKS, &in->ranks); break;
    case 'm':
        rc = cli_parse_int(cmd, "-m", arg, 1, PPS_MAX_MICROBATCHES, &in->microbatches);
        break;
    case 'v': rc = cli_parse_int(cmd, "-v", arg, 1, PPS_MAX_CHUNKS, &in->chunks); break;
    case OPT_RANKS_PER_NODE:
        rc = cli_parse_int(cmd, "--ranks-per-node", arg, 1, PPS_MAX_RANKS, &in->ranks_per_node);
        break;
    case OPT_COSTS: in->costs_file = arg; return 1;
    case OPT_COMM:
        if (strcmp(arg, "overlap") != 0 && strcmp(arg, "sync") != 0) {
            cli_error(cmd, "--comm: expected overlap or sync, got '%s'", arg);
            return -EXIT_USAGE;
        }
        in->comm_sync = strcmp(arg, "sync") == 0;
        return 1;
    case OPT_TF: dst = &in->tf; name = "--tf"; break;
    case OPT_TB: dst = &in->tb; name = "--tb"; break;
    case OPT_TI: dst = &in->ti; name = "--ti"; break;
    case OPT_TW: dst = &in->tw; name = "--tw"; break;
    case OPT_TFB: dst = &in->tfb; name = "--tfb"; break;
    case OPT_LATENCY: dst = &in->latency; name = "--comm-latency"; break;
    case OPT_BANDWIDTH: dst = &in->bandwidth; name = "--comm-bandwidth"; break;
    case OPT_INTER_LATENCY: dst = &in->inter_latency; name = "--inter-latency"; break;
    case OPT_INTER_BANDWIDTH: dst = &in->inter_bandwidth; name = "--inter-bandwidth"; break;
    case OPT_SEND_BYTES: dst = &in->send_bytes; name = "--send-bytes"; break;
    case OPT_ACT_BYTES: dst = &in->act_bytes; name = "--act-bytes"; break;
    case OPT_ACT_W_BYTES: dst = &in->act_w_bytes; name = "--act-w-bytes"; break;
    default:
        if (opt >= OPT_SCHEDULE_OPTION && opt < OPT_SCHEDULE_OPTION + (int)nschedule_options)
            return cli_input_setting(in, cmd, schedule_options[opt - OPT_SCHEDULE_OPTION], arg)
                       ? -EXIT_USAGE
                       : 1;
        return 0;
    }
    if (dst)
        rc = cli_parse_double(cmd, name, arg, dst);
    return rc ? -rc : 1;
}

pps_status cli_input_costs(const cli_input *in, pps_cost *c, pps_error *err)
{
    pps_cost_init(c);
    pps_status st = PPS_OK;
    if (in->costs_file && (st = pps_cost_read(in->costs_file, c, err)) != PPS_OK)
        return st;
    pps_stage_cost *u = &c->uniform;
    int b = !isnan(in->tb), iw = !isnan(in->ti) || !isnan(in->tw);
    if (b && !iw)
        u->ti = u->tw = NAN;
    if (iw && !b)
        u->tb = NAN;
    if (iw && !b && (isnan(in->ti) || isnan(in->tw)))
        u->ti = u->tw = NAN; /* the other half must come from --tb */
    double *fields[8] = {&u->tf, &u->tb, &u->ti, &u->tw, &u->act_bytes, &u->act_w_bytes,
                         &u->send_bytes, &u->tfb};
    double vals[8] = {in->tf, in->tb, in->ti, in->tw, in->act_bytes, in->act_w_bytes,
                      in->send_bytes, in->tfb};
    for (int i = 0; i < 8; i++)
        if (!isnan(vals[i]))
            *fields[i] = vals[i];
    if (!isnan(in->latency))
        c->intra.latency = in->latency;
    if (!isnan(in->bandwidth))
        c->intra.bandwidth = in->bandwidth;
    if (!isnan(in->inter_latency))
        c->inter.latency = in->inter_latency;
    if (!isnan(in->inter_bandwidth))
        c->inter.bandwidth = in->inter_bandwidth;
    if (isnan(in->inter_latency) && isnan(in->inter_bandwidth) && !in->costs_file)
        c->inter = c->intra; /* one link kind unless told otherwise */
    if (in->ranks_per_node >= 0)
        c->ranks_per_node = in->ranks_per_node;
    if (in->comm_sync >= 0)
        c->comm_sync = in->comm_sync;
    return PPS_OK;
}

/* Names where the faulty input of a failure after reading came from, by err->topic: the costs
 * file for a message about cost values, the schedule file (-f) for anything else (validation,
 * simulation). Readers name their own file, so this is never called on a reader's failure; and
 * only for PPS_EINPUT, as other statuses are not about the input's content. */
static void name_input(const cli_input *in, pps_error *err)
{
    const char *file = err->topic == PPS_TOPIC_COSTS ? in->costs_file : in->file;
    if (err->status == PPS_EINPUT && file)
        pps_error_prefix(err, "%s", file);
}

int cli_check_costs(const char *cmd, const cli_input *in)
{
    pps_cost c;
    pps_error err = {0};
    pps_status st = cli_input_costs(in, &c, &err);
    /* What holds whatever the schedule: resolved for as many stages as the file describes
     * (one when it describes none), every rank holding one. The split over a rank's stages
     * only divides values, so no schedule passes what this refuses. */
    if (st == PPS_OK && (st = pps_cost_resolve(&c, c.nstages ? c.nstages : 1, &err)) != PPS_OK)
        name_input(in, &err);
    pps_cost_clear(&c);
    return st == PPS_OK ? 0 : cli_fail(cmd, &err);
}

/* cli_input_costs resolved for schedule s (the rank-share rule). */
static pps_status build_costs(const cli_input *in, const pps_schedule *s, pps_cost *c,
                              pps_error *err)
{
    pps_status st = cli_input_costs(in, c, err);
    if (st != PPS_OK)
        return st;
    st = pps_cost_resolve_for(c, s, err);
    if (st != PPS_OK)
        name_input(in, err);
    return st;
}

pps_status cli_gen_costs(const cli_input *in, const pps_generator *g, pps_gen_params *p,
                         pps_cost *cost, pps_error *err)
{
    pps_cost_init(cost);
    int chunks = p->chunks ? p->chunks : g->default_chunks;
    int64_t stages = (int64_t)p->ranks * chunks;
    if (stages < 1 || stages > PPS_MAX_CELLS)
        return PPS_OK; /* pps_generate refuses the shape, naming the field */
    /* The shape the generator will create: resolving reads ranks, stages and placement. */
    pps_schedule shape = {.ranks = p->ranks, .stages = (int)stages,
                          .microbatches = p->microbatches, .chunks = chunks,
                          .placement = g->placement};
    pps_status st = build_costs(in, &shape, cost, err);
    p->cost = cost;
    return st;
}

/* A timeline holding only run->sched's header: what the summaries print. */
static pps_status header_only(cli_run *run, pps_error *err)
{
    const pps_schedule *s = run->sched;
    pps_status st = pps_timeline_create(s->ranks, s->stages, s->microbatches, &run->timeline,
                                        err);
    if (st == PPS_OK) {
        snprintf(run->timeline->schedule, sizeof run->timeline->schedule, "%s", s->name);
        run->timeline->chunks = s->chunks;
    }
    return st;
}

/* Validate, price and simulate run->sched under run->cost (already built): the summary always,
 * the events when the input asks for them. */
static pps_status finish_run(const cli_input *in, cli_run *run, pps_error *err)
{
    pps_prices prices = {0};
    pps_status st = pps_schedule_validate(run->sched, err);
    if (st == PPS_OK)
        st = pps_price(run->sched, &run->cost, &prices, err);
    if (st == PPS_OK && in->durations &&
        (st = pps_prices_from_timeline(&prices, in->durations, err)) != PPS_OK) {
        pps_error_prefix(err, "%s", in->durations_path);
        pps_prices_clear(&prices);
        return st;
    }
    if (st == PPS_OK && in->want_memory && !in->want_events)
        st = pps_simulate_memory(run->sched, &prices, &run->analysis, &run->mem_points,
                                 &run->mem_first, err);
    else if (st == PPS_OK)
        st = pps_simulate_prices(run->sched, &prices, in->want_events ? &run->timeline : NULL,
                                 &run->analysis, NULL, err);
    if (st == PPS_OK && !run->timeline)
        st = header_only(run, err);
    if (st != PPS_OK)
        name_input(in, err);
    if (st == PPS_OK && in->timeline_to_file)
        run->prices = prices; /* cli_write_outputs simulates again under them */
    else
        pps_prices_clear(&prices);
    return st;
}

int cli_run_generated(const char *cmd, const cli_input *in, const pps_generator *g,
                      const pps_gen_params *p, cli_run *run, pps_error *err)
{
    (void)cmd;
    memset(run, 0, sizeof *run);
    run->gen = g;
    run->params = *p;
    if (run->params.chunks == 0)
        run->params.chunks = g->default_chunks;
    /* Costs first: cost-aware generators (zb-auto) schedule for them. */
    pps_status st = cli_gen_costs(in, g, &run->params, &run->cost, err);
    if (st == PPS_OK)
        st = pps_generate(g, &run->params, &run->sched, err);
    if (st == PPS_OK)
        st = finish_run(in, run, err);
    return st == PPS_OK ? 0 : EXIT_BAD_INPUT;
}

int cli_run_input(const char *cmd, const cli_input *in, cli_run *run)
{
    pps_error err = {0};
    memset(run, 0, sizeof *run);
    if (!!in->schedule == !!in->file) {
        cli_error(cmd, "give exactly one of -s NAME and -f FILE (see --help)");
        return EXIT_USAGE;
    }
    if (in->file) {
        if (in->ranks || in->microbatches || in->chunks || in->nsettings) {
            cli_error(cmd, "-p, -m, -v and schedule options apply to -s; a file fixes them");
            return EXIT_USAGE;
        }
        /* Each step names the file at fault: the readers theirs, the others by name_input. */
        if (pps_schedule_read(in->file, &run->sched, &err) != PPS_OK ||
            build_costs(in, run->sched, &run->cost, &err) != PPS_OK ||
            finish_run(in, run, &err) != PPS_OK)
            return cli_fail(cmd, &err);
        return 0;
    }
    const pps_generator *g = pps_generator_find(in->schedule);
    if (!g) {
        cli_error(cmd, "-s: unknown schedule '%s' (see `ppsim gen --list`)", in->schedule);
        return EXIT_BAD_INPUT;
    }
    if (!in->ranks || !in->microbatches) {
        cli_error(cmd, "-s %s needs -p RANKS and -m MICROBATCHES", in->schedule);
        return EXIT_USAGE;
    }
    pps_gen_params p;
    cli_gen_params(in, g, 0, &p);
    if (cli_run_generated(cmd, in, g, &p, run, &err) != 0)
        return cli_fail(cmd, &err);
    return 0;
}

void cli_run_free(cli_run *run)
{
    pps_schedule_destroy(run->sched);
    pps_timeline_destroy(run->timeline);
    pps_analysis_clear(&run->analysis);
    pps_prices_clear(&run->prices);
    pps_cost_clear(&run->cost);
    free(run->mem_points);
    free(run->mem_first);
    memset(run, 0, sizeof *run);
}

int cli_timeline_input(const char *cmd, const cli_input *in, const char *timeline, cli_run *run)
{
    if (!timeline)
        return cli_run_input(cmd, in, run);
    memset(run, 0, sizeof *run);
    if (in->schedule || in->file) {
        cli_error(cmd, "give either one TIMELINE.json or -s/-f, not both");
        return EXIT_USAGE;
    }
    pps_error err = {0};
    pps_status st = pps_timeline_read(timeline, &run->timeline, &err);
    if (st == PPS_OK && (st = pps_analyze(run->timeline, &run->analysis, &err)) != PPS_OK)
        pps_error_prefix(&err, "%s", timeline);
    if (st != PPS_OK) {
        cli_run_free(run);
        return cli_fail(cmd, &err);
    }
    return 0;
}

int cli_critical_marks(const char *cmd, const cli_run *run, const char *timeline,
                       uint8_t **marks, double *length)
{
    pps_error err = {0};
    pps_prices p = {0};
    pps_timeline *sim = NULL;
    pps_bounds b = {0};
    pps_replay r = {0};
    pps_critical_path path = {0};
    pps_cost c;
    pps_cost_init(&c);
    const pps_timeline *walked = NULL; /* the run the path is followed in */
    pps_status st;
    if (timeline) {
        st = pps_replay_timeline(run->timeline, &c, &r, &err);
        if (st == PPS_EINPUT)
            pps_error_prefix(&err, "%s: --critical", timeline);
        walked = r.timeline;
        if (st == PPS_OK)
            st = pps_critical_path_find(r.timeline, &r.bounds, &path, &err);
    } else {
        st = pps_price(run->sched, &run->cost, &p, &err);
        if (st == PPS_OK)
            st = pps_simulate_prices(run->sched, &p, &sim, NULL, &b, &err);
        walked = sim;
        if (st == PPS_OK)
            st = pps_critical_path_find(sim, &b, &path, &err);
    }
    *marks = malloc(run->timeline->n ? run->timeline->n : 1);
    if (st == PPS_OK && !*marks)
        st = pps_error_set(&err, PPS_ENOMEM, "--critical: out of memory");
    size_t marked = 0;
    if (st == PPS_OK)
        st = pps_critical_path_mark(&path, walked, run->timeline, *marks, &marked, &err);
    *length = path.makespan;
    pps_critical_path_clear(&path);
    pps_replay_clear(&r);
    pps_bounds_clear(&b);
    pps_timeline_destroy(sim);
    pps_prices_clear(&p);
    pps_cost_clear(&c);
    if (st != PPS_OK) {
        free(*marks);
        *marks = NULL;
        return cli_fail(cmd, &err);
    }
    return 0;
}

void cli_analytic_of(const cli_run *run, cli_analytic *an)
{
    an->idle_over_compute = an->stage_span_idle = NAN;
    an->peak = NULL;
    if (!run->gen || !run->timeline)
        return;
    pps_gen_params p = run->params;
    p.cost = &run->cost;
    /* The idle/compute formulas assume uniform stages and free communication. */
    const pps_cost *c = &run->cost;
    pps_stage_cost u = pps_cost_of_stage(c, 0);
    double comm = pps_cost_transfer(c, 0, 0, u.send_bytes) + pps_cost_transfer(c, 0, INT_MAX,
                                                                              u.send_bytes);
    if (!c->nstages && comm == 0)
        an->idle_over_compute = pps_generator_analytic(run->gen, &p, &u);
    an->stage_span_idle = pps_generator_analytic_bubble(run->gen, &p);
    int any = 0;
    double *peak = malloc((size_t)p.ranks * sizeof *peak);
    for (int r = 0; peak && r < p.ranks; r++)
        any |= !isnan(peak[r] = pps_generator_analytic_peak(run->gen, &p, r));
    if (!any) {
        free(peak);
        peak = NULL;
    }
    an->peak = peak;
}

void cli_analytic_free(cli_analytic *an)
{
    free(an->peak);
    an->peak = NULL;
}

pps_summary cli_summary(const pps_timeline *t, const pps_analysis *a, const cli_analytic *an)
{
    pps_summary s = pps_summary_of(t, a);
    if (an) {
        s.analytic_idle_over_compute = an->idle_over_compute;
        s.analytic_stage_span_idle = an->stage_span_idle;
        s.analytic_peak = an->peak;
    }
    return s;
}

int cli_fail_stdout(const char *cmd, pps_error *err)
{
    if (err->errnum) /* as cli_finish says it */
        pps_error_errno(err, err->errnum, "stdout: cannot write");
    return cli_fail(cmd, err);
}

int cli_print_summary_json(const char *cmd, const pps_timeline *t, const pps_analysis *a,
                           const cli_analytic *an)
{
    pps_error err = {0};
    pps_summary s = cli_summary(t, a, an);
    return pps_summary_write_json(&s, stdout, &err) == PPS_OK ? 0 : cli_fail_stdout(cmd, &err);
}

void cli_print_summary(FILE *fp, const pps_timeline *t, const pps_analysis *a,
                       const cli_analytic *an)
{
    double analytic = an ? an->idle_over_compute : NAN;
    char mk[32], bub[32], abub[32];
    fprintf(fp, "schedule %s: %d ranks, %d stages, %d micro-batches, %zu compute actions (%s)\n",
            t->schedule, t->ranks, t->stages, t->microbatches, a->compute_actions, t->source);
    pps_format_time(a->makespan, mk, sizeof mk);
    fprintf(fp, "makespan           %s\n", mk);
    fprintf(fp, "bubble             idle/total %.4f   idle/compute %.4f", a->idle_over_total,
            a->idle_over_compute);
    if (isfinite(analytic))
        fprintf(fp, " (analytic %.4f)", analytic);
    fprintf(fp, "   stage-span %.4f\n", a->stage_span_rate);
    pps_format_time(a->stage_span_idle, bub, sizeof bub);
    fprintf(fp, "bubble time        %s on the widest rank", bub);
    if (an && isfinite(an->stage_span_idle)) {
        pps_format_time(an->stage_span_idle, abub, sizeof abub);
        fprintf(fp, " (analytic %s)", abub);
    }
    fputc('\n', fp);
    fprintf(fp, "throughput         %.3g micro-batches/s\n", a->throughput);
    /* The rank table: each column in the unit its largest value needs, named in the header. */
    double tmax = 0, bmax = 0;
    for (int r = 0; r < a->ranks; r++) {
        tmax = fmax(tmax, fmax(a->per_rank[r].busy, a->per_rank[r].idle));
        bmax = fmax(bmax, a->per_rank[r].peak_activation);
        if (an && an->peak && isfinite(an->peak[r]))
            bmax = fmax(bmax, an->peak[r]);
    }
    pps_unit tu = pps_unit_time(tmax), bu = pps_unit_bytes(bmax);
    char h[4][40];
    snprintf(h[0], sizeof h[0], "busy (%s)", tu.name);
    snprintf(h[1], sizeof h[1], "idle (%s)", tu.name);
    snprintf(h[2], sizeof h[2], "peak act (%s)", bu.name);
    snprintf(h[3], sizeof h[3], "analytic (%s)", bu.name);
    fprintf(fp, "%-6s %14s %14s %18s %18s\n", "rank", h[0], h[1], h[2], h[3]);
    for (int r = 0; r < a->ranks; r++) {
        char v[4][32];
        pps_format_number(a->per_rank[r].busy, tu, v[0], sizeof v[0]);
        pps_format_number(a->per_rank[r].idle, tu, v[1], sizeof v[1]);
        pps_format_number(a->per_rank[r].peak_activation, bu, v[2], sizeof v[2]);
        fprintf(fp, "%-6d %14s %14s %18s", r, v[0], v[1], v[2]);
        if (an && an->peak && isfinite(an->peak[r])) {
            pps_format_number(an->peak[r], bu, v[3], sizeof v[3]);
            fprintf(fp, " %18s", v[3]);
        }
        fputc('\n', fp);
    }
}

/* "rank,time_s,bytes": each rank's activation memory after every change (docs/analysis.md):
 * the series the simulation computed, or every rank's from one pass over the events. */
static pps_status write_memory_csv(const cli_run *run, FILE *fp, pps_error *err)
{
    pps_memory_point *pts = run->mem_points, *own = NULL;
    size_t *first = run->mem_first, *own_first = NULL;
    if (!pts) {
        pps_status st = pps_memory_series_all(run->timeline, &own, &own_first, err);
        if (st != PPS_OK)
            return st;
        pts = own;
        first = own_first;
    }
    pps_status st = pps_memory_write_csv(run->timeline->ranks, pts, first, fp, err);
    free(own);
    free(own_first);
    return st;
}

int cli_write_outputs(const char *cmd, const cli_run *run, const char *timeline_path,
                      const char *chrome_path, const char *memory_path)
{
    const pps_timeline *t = run->timeline;
    enum { NFILES = 3 };
    pps_outfile files[NFILES] = {{0}};
    const char *paths[NFILES] = {timeline_path, chrome_path, memory_path};
    static const char *const options[NFILES] = {"-o", "--chrome", "--memory"};
    /* Two outputs into one file would leave it corrupt: refuse before anything is written. */
    for (int i = 0; i < NFILES; i++)
        for (int j = i + 1; j < NFILES; j++)
            if (paths[i] && paths[j] && pps_outputs_same(paths[i], paths[j])) {
                cli_error(cmd, "%s %s and %s %s name the same file; give each output its own",
                          options[i], paths[i], options[j], paths[j]);
                return EXIT_USAGE;
            }
    pps_error err = {0};
    pps_status st = PPS_OK;
    for (int i = 0; i < NFILES && st == PPS_OK; i++) {
        if (!paths[i])
            continue;
        st = pps_outfile_open(&files[i], paths[i], &err);
        /* -o without the events in memory: simulated again, written as it goes (cli.h). */
        int again = i == 0 && run->prices.by_stage;
        if (st == PPS_OK)
            st = pps_outfile_check(&files[i],
                                   again    ? pps_simulate_write_json(run->sched, &run->prices,
                                                                      NULL, files[i].fp, &err)
                                   : i == 0 ? pps_timeline_write_json(t, files[i].fp, &err)
                                   : i == 1 ? pps_timeline_write_chrome(t, files[i].fp, &err)
                                            : write_memory_csv(run, files[i].fp, &err),
                                   &err);
        if (st == PPS_EINPUT) /* what cannot go into this file: say which file */
            pps_error_prefix(&err, "%s", paths[i]);
    }
    /* Flush all first, so that a device written through (which cannot be undone) reports a
     * full disk before any file is renamed; then rename: either every file is written or none
     * of the regular ones is. */
    for (int i = 0; i < NFILES && st == PPS_OK; i++)
        st = pps_outfile_flush(&files[i], &err);
    for (int i = 0; i < NFILES && st == PPS_OK; i++)
        st = pps_outfile_commit(&files[i], &err);
    for (int i = 0; i < NFILES; i++)
        pps_outfile_abort(&files[i]);
    return st == PPS_OK ? 0 : cli_fail(cmd, &err);
}

int cli_finish(const char *cmd, int rc)
{
    /* A result that could not be written is a failed run (exit 1), said once; a run that
     * failed already has said why. */
    pps_error err = {0};
    if ((rc == EXIT_OK || rc == EXIT_DIFF_TOLERANCE) && pps_stdout_flush(&err) != PPS_OK)
        return cli_fail(cmd, &err);
    return rc;
}
