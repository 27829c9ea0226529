/* cmd_diff.c — `ppsim diff`: compare a predicted and a measured timeline of one schedule. */
#include "cli.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Per-rank rows printed in the text table; more ranks get a one-line summary. */
#define DIFF_RANK_ROWS 32

static const char diff_usage[] =
    "Usage: ppsim diff PREDICTED.json MEASURED.json [--tolerance T] [--json]\n"
    "Compares two timelines of one schedule (docs/trace.md), typically `ppsim sim -o` against\n"
    "`ppexec -o`: makespan and its relative error, the bubble in the three conventions, per-rank\n"
    "busy time, and per-action start/end errors after shifting both to start at 0\n"
    "(docs/validation-method.md).\n\n"
    "      --tolerance T        largest accepted |makespan relative error| (default 0.05)\n"
    "      --json               print one object instead of the table\n"
    "  -h, --help               show this help\n\n"
    "Exit status: 0 within tolerance, 1 bad input, 2 usage error,\n"
    "             3 |makespan relative error| exceeds the tolerance (or is undefined).\n";

/* A relative error as "+5.00%", or "n/a" when undefined. */
static const char *percent(double v, char *buf, size_t size)
{
    if (isfinite(v))
        snprintf(buf, size, "%+.2f%%", 100 * v);
    else
        snprintf(buf, size, "n/a");
    return buf;
}

static void print_text(FILE *fp, const pps_timeline *pt, const pps_timeline *mt,
                       const pps_diff *d, double tol)
{
    char b1[32];
    fprintf(fp, "diff: %s (%s, %s) vs %s (%s, %s%s): %d ranks, %d stages, %d micro-batches\n",
            pt->schedule, pt->source, pt->backend, mt->schedule, mt->source, mt->backend,
            mt->incomplete ? ", incomplete" : "", d->ranks, d->stages, d->microbatches);
    fprintf(fp, "%-22s %14s %14s %12s\n", "", "predicted", "measured", "error");
    fprintf(fp, "%-22s %14.6g %14.6g %12s\n", "makespan (s)", d->makespan.pred, d->makespan.meas,
            percent(d->makespan.rel_error, b1, sizeof b1));
    const struct { const char *name; const pps_diff_value *v; } bub[3] = {
        {"bubble idle/total", &d->idle_over_total},
        {"bubble idle/compute", &d->idle_over_compute},
        {"bubble stage-span", &d->stage_span_rate},
    };
    for (int i = 0; i < 3; i++)
        fprintf(fp, "%-22s %14.4f %14.4f %+12.4f\n", bub[i].name, bub[i].v->pred, bub[i].v->meas,
                bub[i].v->diff);
    if (d->ranks <= DIFF_RANK_ROWS) {
        for (int r = 0; r < d->ranks; r++) {
            char label[32];
            snprintf(label, sizeof label, "busy rank %d (s)", r);
            fprintf(fp, "%-22s %14.6g %14.6g %12s\n", label, d->busy[r].pred, d->busy[r].meas,
                    percent(d->busy[r].rel_error, b1, sizeof b1));
        }
    } else {
        int worst = 0;
        for (int r = 1; r < d->ranks; r++)
            if (fabs(d->busy[r].rel_error) > fabs(d->busy[worst].rel_error))
                worst = r;
        char label[48];
        snprintf(label, sizeof label, "busy rank %d (worst)", worst);
        fprintf(fp, "%-22s %14.6g %14.6g %12s\n", label, d->busy[worst].pred,
                d->busy[worst].meas, percent(d->busy[worst].rel_error, b1, sizeof b1));
    }
    fprintf(fp, "events: %zu matched, %zu only predicted, %zu only measured\n", d->matched,
            d->only_pred, d->only_meas);
    fprintf(fp, "|start error| (s)      median %.3g   p90 %.3g   max %.3g\n",
            d->abs_start_error.median, d->abs_start_error.p90, d->abs_start_error.max);
    fprintf(fp, "|end error| (s)        median %.3g   p90 %.3g   max %.3g\n",
            d->abs_end_error.median, d->abs_end_error.p90, d->abs_end_error.max);
    if (d->nworst) {
        fprintf(fp, "worst actions (largest |end error|, times from each timeline's start):\n");
        fprintf(fp, "  %-5s %-9s %-18s %11s %11s %11s %11s %11s\n", "rank", "stream", "action",
                "pred start", "pred end", "meas start", "meas end", "end error");
        for (size_t i = 0; i < d->nworst; i++) {
            const pps_diff_event *e = &d->worst[i];
            char stream[PPS_STREAM_TEXT_MAX], action[PPS_ACTION_TEXT_MAX];
            pps_stream_format((pps_stream)e->stream, e->peer, stream);
            pps_action_format(&e->action, action, sizeof action);
            fprintf(fp, "  %-5d %-9s %-18s %11.5g %11.5g %11.5g %11.5g %+11.4g\n", (int)e->rank,
                    stream, action, e->pred_start, e->pred_end, e->meas_start, e->meas_end,
                    e->end_error);
        }
    }
    fprintf(fp, "makespan error %s %s the tolerance of %.2f%%\n",
            percent(d->makespan.rel_error, b1, sizeof b1),
            pps_diff_exceeds(d, tol) ? "EXCEEDS" : "is within", 100 * tol);
}

int cmd_diff(int argc, char **argv)
{
    static const struct option opts[] = {
        {"tolerance", required_argument, NULL, 't'},
        {"json", no_argument, NULL, OPT_JSON},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int json = 0, c, rc;
    double tol = 0.05;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case 't':
            if ((rc = cli_parse_double("diff", "--tolerance", optarg, &tol)) != 0)
                return rc;
            break;
        case OPT_JSON: json = 1; break;
        case 'h': fputs(diff_usage, stdout); return EXIT_OK;
        default: return cli_bad_option("diff", c, argv);
        }
    }
    if (optind != argc - 2) {
        cli_error("diff", "expected two arguments, PREDICTED.json and MEASURED.json");
        return EXIT_USAGE;
    }
    pps_error err = {0};
    pps_timeline *pt = NULL, *mt = NULL;
    pps_diff d = {0};
    if (pps_timeline_read(argv[optind], &pt, &err) != PPS_OK ||
        pps_timeline_read(argv[optind + 1], &mt, &err) != PPS_OK ||
        pps_timeline_diff(pt, mt, &d, &err) != PPS_OK) {
        pps_diff_clear(&d);
        pps_timeline_destroy(pt);
        pps_timeline_destroy(mt);
        return cli_fail("diff", &err);
    }
    rc = pps_diff_exceeds(&d, tol) ? EXIT_DIFF_TOLERANCE : EXIT_OK; /* stdout: cli_finish */
    if (json && pps_diff_write_json(&d, pt, mt, tol, stdout, &err) != PPS_OK)
        rc = cli_fail_stdout("diff", &err);
    else if (!json)
        print_text(stdout, pt, mt, &d, tol);
    pps_diff_clear(&d);
    pps_timeline_destroy(pt);
    pps_timeline_destroy(mt);
    return rc;
}
