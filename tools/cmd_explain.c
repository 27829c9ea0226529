/* cmd_explain.c — `ppsim explain`: why a step takes as long as it does (the critical path), what
 * each cost is worth (sensitivities) and what to change (advice), for a simulated run or a
 * measured timeline replayed with its own durations (docs/explain.md). */
#include "cli.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { OPT_TOP = 700, OPT_BUDGET, OPT_NO_ADVICE, OPT_WHAT_IF };

/* The most changes --what-if options may give together. */
#define MAX_WHAT_IF 64

static const char explain_usage[] =
    "Usage: ppsim explain (-s NAME -p P -m M [-v V] | -f FILE) [costs] [options]\n"
    "       ppsim explain MEASURED.json [costs] [options]\n"
    "Explains one training step: the critical path (the chain of actions and transfers whose\n"
    "times sum to the makespan) with its share per rank, per kind and in communication; how\n"
    "the makespan moves when each stage's cost changes (from the path, confirmed by\n"
    "re-simulating -10%% and +10%%) and how the peak memory moves with each stage's activation\n"
    "size; and advice, each finding with the simulated gain of its fix.\n"
    "Given a timeline (e.g. ppexec -o), the schedule it names is rebuilt and re-simulated with\n"
    "the measured durations (trace-driven replay): the replay's error against the measurement\n"
    "is printed first, then the path of the rebuilt run; with costs (--costs, flags) the\n"
    "prediction's path is compared with it. Advice needs -s.\n\n"
    "%s%s\n%s\n"
    "Explain:\n"
    "      --top N              re-simulate the N costs with the largest share of the path\n"
    "                           (default 10; 0: every cost)\n"
    "      --memory-budget BYTES  the memory-budget rule's limit per rank (default: none)\n"
    "      --no-advice          leave the advice out (it simulates other schedules and M)\n"
    "      --what-if 'stage N COST OPVALUE'\n"
    "                           re-simulate with stage N's COST (tf, tb, ti, tw: seconds per\n"
    "                           action; act: activation bytes per micro-batch) multiplied\n"
    "                           (*0.9), set (=1.2) or increased (+0.1), and print makespan,\n"
    "                           bubble and peak memory before and after; several changes:\n"
    "                           comma-separated or the option repeated, applied together\n"
    "      --json               print the sections as one JSON object (docs/explain.md)\n"
    "  -h, --help               show this help\n\n"
    "Rules and thresholds: docs/explain.md.\n"
    "Exit status: 0 ok, 1 bad input, impossible configuration or deadlock, 2 usage error.\n";

typedef struct explain_args {
    cli_input in;
    const char *timeline;
    size_t top;
    double budget;
    int advice, json;
    pps_what_if what_if[MAX_WHAT_IF];
    size_t nwhat_if;
} explain_args;

/* What one explanation computed; the sections not asked for stay empty. */
typedef struct explained {
    pps_critical_path path;
    pps_sensitivities sens;
    pps_advice advice;
    int have_sens, have_advice, have_what_if;
    pps_what_if_result what_if;
} explained;

static void explained_clear(explained *x)
{
    pps_critical_path_clear(&x->path);
    pps_sensitivities_clear(&x->sens);
    memset(x, 0, sizeof *x);
}

/* The critical path, the sensitivities and the what-if of schedule s under prices p (t and b
 * from one simulation of them), into x; the text is printed as each is found unless --json. */
static pps_status explain_run(const pps_schedule *s, pps_prices *p, const pps_timeline *t,
                              const pps_bounds *b, const explain_args *a, explained *x,
                              pps_error *err)
{
    pps_status st = PPS_OK;
    /* The what-if first, printed last: a change the schedule cannot take is refused before any
     * section is written, so a refusal leaves nothing half-printed on stdout. */
    if (a->nwhat_if) {
        st = pps_what_if_run(s, p, a->what_if, a->nwhat_if, &x->what_if, err);
        if (st == PPS_EINPUT)
            pps_error_prefix(err, "--what-if");
        x->have_what_if = st == PPS_OK;
    }
    if (st == PPS_OK)
        st = pps_critical_path_find(t, b, &x->path, err);
    if (st == PPS_OK && !a->json)
        st = pps_critical_path_write_text(&x->path, t, stdout, err);
    if (st == PPS_OK) {
        if (!a->json)
            fputc('\n', stdout);
        st = pps_sensitivities_compute(s, p, &x->path, t, a->top, &x->sens, err);
        x->have_sens = st == PPS_OK;
        if (st == PPS_OK && !a->json)
            st = pps_sensitivities_write_text(&x->sens, stdout, err);
    }
    if (st == PPS_OK && x->have_what_if && !a->json) {
        fputc('\n', stdout);
        st = pps_what_if_write_text(a->what_if, a->nwhat_if, &x->what_if, stdout, err);
    }
    return st;
}

/* --json: the sections of x as one object. */
static pps_status write_json(const explain_args *a, const pps_timeline *t, const explained *x,
                             const pps_diff *replay, pps_error *err)
{
    pps_explanation e = {.timeline = t, .path = &x->path,
                         .sens = x->have_sens ? &x->sens : NULL,
                         .advice = x->have_advice ? &x->advice : NULL, .replay = replay,
                         .replay_of = a->timeline, .what_if = a->what_if,
                         .nwhat_if = a->nwhat_if,
                         .what_if_result = x->have_what_if ? &x->what_if : NULL};
    return pps_explanation_write_json(&e, stdout, err);
}

static int explain_schedule(const explain_args *a)
{
    cli_run run;
    int rc = cli_run_input("explain", &a->in, &run);
    if (rc != 0) {
        cli_run_free(&run);
        return rc;
    }
    pps_error err = {0};
    pps_prices p = {0};
    pps_timeline *t = NULL;
    pps_bounds b = {0};
    explained x = {0};
    pps_status st = pps_price(run.sched, &run.cost, &p, &err);
    if (st == PPS_OK)
        st = pps_simulate_prices(run.sched, &p, &t, NULL, &b, &err);
    if (st == PPS_OK && !a->json) {
        char m[32];
        pps_format_time(run.analysis.makespan, m, sizeof m);
        printf("%s: P = %d, M = %d, v = %d: makespan %s, bubble (idle/total) %.1f%%\n\n",
               run.sched->name, run.sched->ranks, run.sched->microbatches, run.sched->chunks, m,
               100 * run.analysis.idle_over_total);
    }
    if (st == PPS_OK)
        st = explain_run(run.sched, &p, t, &b, a, &x, &err);
    if (st == PPS_OK && a->advice) {
        pps_advice_input ai = {.gen = run.gen, .params = run.params, .cost = &run.cost,
                               .sched = run.sched, .prices = &p, .analysis = &run.analysis,
                               .path = &x.path, .memory_budget = a->budget};
        st = pps_advise(&ai, &x.advice, &err);
        x.have_advice = st == PPS_OK;
        if (st == PPS_OK && !a->json) {
            fputc('\n', stdout);
            st = pps_advice_write_text(&x.advice, stdout, &err);
        }
    }
    if (st == PPS_OK && a->json)
        st = write_json(a, t, &x, NULL, &err);
    rc = st == PPS_OK ? 0 : cli_fail("explain", &err);
    explained_clear(&x);
    pps_bounds_clear(&b);
    pps_timeline_destroy(t);
    pps_prices_clear(&p);
    cli_run_free(&run);
    return rc;
}

/* 1 when the input names costs: a costs file or a cost flag. */
static int costs_given(const cli_input *in)
{
    const double v[] = {in->tf, in->tb, in->ti, in->tw, in->tfb, in->latency, in->bandwidth,
                        in->inter_latency, in->inter_bandwidth, in->send_bytes, in->act_bytes,
                        in->act_w_bytes};
    for (size_t i = 0; i < sizeof v / sizeof *v; i++)
        if (!isnan(v[i]))
            return 1;
    return in->costs_file != NULL || in->ranks_per_node > 0;
}

/* Describes path segment i of p for a one-line comparison ("rank 1: 1B3"), or "its end". */
static void seg_name(const pps_critical_path *p, size_t i, char *buf, size_t size)
{
    if (i >= p->n) {
        snprintf(buf, size, "its end");
        return;
    }
    char a[PPS_ACTION_TEXT_MAX];
    pps_action_format(&p->seg[i].action, a, sizeof a);
    snprintf(buf, size, "rank %d: %s", p->seg[i].rank, a);
}

/* The prediction under the input's costs, and where its path parts from the replay's. */
static int compare_prediction(const explain_args *a, pps_replay *r,
                              const pps_critical_path *measured)
{
    pps_error err = {0};
    pps_cost c;
    pps_prices p = {0};
    pps_timeline *t = NULL;
    pps_bounds b = {0};
    pps_critical_path path = {0};
    pps_status st = cli_input_costs(&a->in, &c, &err);
    if (st == PPS_OK)
        st = pps_cost_resolve_for(&c, r->sched, &err);
    if (st == PPS_OK)
        st = pps_price(r->sched, &c, &p, &err);
    if (st == PPS_OK)
        st = pps_simulate_prices(r->sched, &p, &t, NULL, &b, &err);
    if (st == PPS_OK)
        st = pps_critical_path_find(t, &b, &path, &err);
    pps_replay_split sp;
    if (st == PPS_OK)
        st = pps_replay_split_error(r, &p, &sp, &err);
    if (st == PPS_OK) {
        size_t i, j;
        char m[32], x[96], y[96];
        pps_format_time(path.makespan, m, sizeof m);
        printf("\nprediction from the costs: makespan %s (measured %+.2f%%); ", m,
               path.makespan > 0 ? 100 * (measured->makespan / path.makespan - 1) : 0);
        if (pps_critical_path_same(measured, &path, &i, &j)) {
            printf("its critical path is the measured one\n");
        } else {
            seg_name(measured, i, x, sizeof x);
            seg_name(&path, j, y, sizeof y);
            printf("its critical path differs: measured %s, predicted %s\n", x, y);
            st = pps_critical_path_write_text(&path, t, stdout, &err);
        }
        /* The replay reproduces the measurement, so what separates it from the prediction is
         * the costs: which of them, by swapping one group of prices at a time. */
        printf("the prediction's error by cost (makespans of the schedule): model %.6g s; "
               "measured compute, model transfers %.6g s (%+.2f%%); model compute, measured "
               "transfers %.6g s (%+.2f%%); all measured (the replay) %.6g s (%+.2f%%)\n",
               sp.model, sp.compute_meas, 100 * (sp.compute_meas / sp.model - 1),
               sp.transfer_meas, 100 * (sp.transfer_meas / sp.model - 1), sp.replay,
               100 * (sp.replay / sp.model - 1));
    }
    pps_critical_path_clear(&path);
    pps_bounds_clear(&b);
    pps_timeline_destroy(t);
    pps_prices_clear(&p);
    pps_cost_clear(&c);
    return st == PPS_OK ? 0 : cli_fail("explain", &err);
}

static int explain_timeline(const explain_args *a)
{
    pps_error err = {0};
    pps_timeline *t = NULL;
    pps_replay r = {0};
    pps_cost c;
    pps_cost_init(&c);
    pps_status st = pps_timeline_read(a->timeline, &t, &err);
    if (st == PPS_OK)
        st = cli_input_costs(&a->in, &c, &err);
    if (st == PPS_OK) {
        st = pps_replay_timeline(t, &c, &r, &err);
        if (st == PPS_EINPUT)
            pps_error_prefix(&err, "%s", a->timeline);
    }
    int rc = 0;
    if (st != PPS_OK) {
        rc = cli_fail("explain", &err);
    } else {
        const pps_diff *d = &r.diff;
        char mm[32], mr[32], se[32];
        pps_format_time(d->makespan.meas, mm, sizeof mm);
        pps_format_time(d->makespan.pred, mr, sizeof mr);
        pps_format_time(d->abs_start_error.median, se, sizeof se);
        if (!a->json)
            printf("%s: %s timeline of %s, P = %d, M = %d, v = %d\n"
                   "replay (the lowered schedule re-simulated with the measured durations): "
                   "makespan %s against %s measured (%+.2f%%); median start error %s = %.2f%% "
                   "of the makespan over %zu actions\n"
                   "the critical path below is the replay's, rebuilt from the schedule and the "
                   "measured durations\n\n",
                   a->timeline, t->source, t->schedule, t->ranks, t->microbatches, t->chunks,
                   mr, mm, 100 * d->makespan.rel_error, se,
                   d->makespan.meas > 0 ? 100 * d->abs_start_error.median / d->makespan.meas
                                        : 0,
                   d->matched);
        explained x = {0};
        st = explain_run(r.sched, &r.prices, r.timeline, &r.bounds, a, &x, &err);
        if (st == PPS_OK && a->json)
            st = write_json(a, r.timeline, &x, d, &err);
        rc = st == PPS_OK ? 0 : cli_fail("explain", &err);
        if (rc == 0 && costs_given(&a->in) && !a->json)
            rc = compare_prediction(a, &r, &x.path);
        explained_clear(&x);
    }
    pps_replay_clear(&r);
    pps_cost_clear(&c);
    pps_timeline_destroy(t);
    return rc;
}

int cmd_explain(int argc, char **argv)
{
    static const struct option extra[] = {
        {"top", required_argument, NULL, OPT_TOP},
        {"memory-budget", required_argument, NULL, OPT_BUDGET},
        {"no-advice", no_argument, NULL, OPT_NO_ADVICE},
        {"what-if", required_argument, NULL, OPT_WHAT_IF},
        {"json", no_argument, NULL, OPT_JSON},
        {"help", no_argument, NULL, 'h'},
    };
    struct option opts[CLI_MAX_OPTIONS];
    cli_options_merge(opts, 1, extra, sizeof extra / sizeof *extra);
    explain_args a = {.top = 10, .advice = 1};
    cli_input_init(&a.in);
    int c, top, rc;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":" CLI_INPUT_SHORT "h", opts, NULL)) != -1) {
        int r = cli_input_option(&a.in, "explain", c, optarg);
        if (r < 0)
            return -r;
        if (r > 0)
            continue;
        switch (c) {
        case OPT_TOP:
            if ((rc = cli_parse_int("explain", "--top", optarg, 0, 1000000, &top)) != 0)
                return rc;
            a.top = (size_t)top;
            break;
        case OPT_BUDGET:
            if ((rc = cli_parse_double("explain", "--memory-budget", optarg, &a.budget)) != 0)
                return rc;
            if (!(a.budget > 0)) {
                cli_error("explain", "--memory-budget: %s must be more than 0 bytes", optarg);
                return EXIT_BAD_INPUT;
            }
            break;
        case OPT_NO_ADVICE: a.advice = 0; break;
        case OPT_JSON: a.json = 1; break;
        case OPT_WHAT_IF: {
            pps_error err = {0};
            if (pps_what_if_parse(optarg, a.what_if, MAX_WHAT_IF, &a.nwhat_if, &err) != PPS_OK) {
                cli_error("explain", "--what-if: %s", err.msg);
                return EXIT_USAGE;
            }
            break;
        }
        case 'h':
            printf(explain_usage, cli_input_usage, cli_schedule_option_usage(), cli_cost_usage);
            return EXIT_OK;
        default: return cli_bad_option("explain", c, argv);
        }
    }
    if (optind < argc - 1) {
        cli_error("explain", "unexpected argument '%s'", argv[optind + 1]);
        return EXIT_USAGE;
    }
    if (optind == argc - 1) {
        a.timeline = argv[optind];
        if (a.in.schedule || a.in.file) {
            cli_error("explain", "give either one TIMELINE.json or -s/-f, not both");
            return EXIT_USAGE;
        }
        return explain_timeline(&a);
    }
    return explain_schedule(&a);
}
