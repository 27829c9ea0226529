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

/* v in unit u ("174"), or "-" when it is not a number. */
static const char *in_unit(double v, pps_unit u, char *buf, size_t size)
{
    if (isnan(v))
        return "-";
    pps_format_number(v, u, buf, size);
    return buf;
}

/* A signed v in unit u ("+7.96"). */
static const char *signed_in_unit(double v, pps_unit u, char *buf, size_t size)
{
    if (isnan(v))
        return "-";
    char num[40];
    pps_format_number(fabs(v), u, num, sizeof num);
    snprintf(buf, size, "%s%s", v < 0 ? "-" : "+", num);
    return buf;
}

/* The text: times in the unit the largest of them needs (docs/plots.md, "Units"): the
 * makespans and busy times in one, the errors in another, the worst actions' times in a third. */
static void print_text(FILE *fp, const pps_timeline *pt, const pps_timeline *mt,
                       const pps_diff *d, double tol)
{
    char b1[48], b2[48], b3[48], label[64];
    fprintf(fp, "diff: %s (%s, %s) vs %s (%s, %s%s): %d ranks, %d stages, %d micro-batch%s\n",
            pt->schedule, pt->source, pt->backend, mt->schedule, mt->source, mt->backend,
            mt->incomplete ? ", incomplete" : "", d->ranks, d->stages, d->microbatches,
            d->microbatches == 1 ? "" : "es");
    pps_unit tu = pps_unit_time(fmax(d->makespan.pred, d->makespan.meas));
    pps_unit eu = pps_unit_time(fmax(d->abs_start_error.max, d->abs_end_error.max));
    fprintf(fp, "%-22s %14s %14s %12s\n", "", "predicted", "measured", "error");
    snprintf(label, sizeof label, "makespan (%s)", tu.name);
    fprintf(fp, "%-22s %14s %14s %12s\n", label, in_unit(d->makespan.pred, tu, b2, sizeof b2),
            in_unit(d->makespan.meas, tu, b3, sizeof b3),
            percent(d->makespan.rel_error, b1, sizeof b1));
    const struct { const char *name; const pps_diff_value *v; } bub[3] = {
        {"bubble idle/total", &d->idle_over_total},
        {"bubble idle/compute", &d->idle_over_compute},
        {"bubble stage-span", &d->stage_span_rate},
    };
    for (int i = 0; i < 3; i++)
        fprintf(fp, "%-22s %14.4f %14.4f %+12.4f\n", bub[i].name, bub[i].v->pred, bub[i].v->meas,
                bub[i].v->diff);
    int first = 0, last = d->ranks - 1;
    if (d->ranks > DIFF_RANK_ROWS) { /* one row: the rank whose busy time is furthest off */
        for (int r = 1; r < d->ranks; r++)
            if (fabs(d->busy[r].rel_error) > fabs(d->busy[first].rel_error))
                first = r;
        last = first;
    }
    for (int r = first; r <= last; r++) {
        if (d->ranks > DIFF_RANK_ROWS)
            snprintf(label, sizeof label, "busy rank %d (worst, %s)", r, tu.name);
        else
            snprintf(label, sizeof label, "busy rank %d (%s)", r, tu.name);
        fprintf(fp, "%-22s %14s %14s %12s\n", label, in_unit(d->busy[r].pred, tu, b2, sizeof b2),
                in_unit(d->busy[r].meas, tu, b3, sizeof b3),
                percent(d->busy[r].rel_error, b1, sizeof b1));
    }
    fprintf(fp, "events: %zu matched, %zu only predicted, %zu only measured\n", d->matched,
            d->only_pred, d->only_meas);
    const struct { const char *name; const pps_diff_dist *s; } err[2] = {
        {"|start error|", &d->abs_start_error},
        {"|end error|", &d->abs_end_error},
    };
    for (int i = 0; i < 2; i++) {
        snprintf(label, sizeof label, "%s (%s)", err[i].name, eu.name);
        fprintf(fp, "%-22s median %s   p90 %s   max %s\n", label,
                in_unit(err[i].s->median, eu, b1, sizeof b1),
                in_unit(err[i].s->p90, eu, b2, sizeof b2), in_unit(err[i].s->max, eu, b3, sizeof b3));
    }
    if (d->nworst) {
        double wmax = 0;
        for (size_t i = 0; i < d->nworst; i++)
            wmax = fmax(wmax, fmax(d->worst[i].pred_end, d->worst[i].meas_end));
        pps_unit wu = pps_unit_time(wmax);
        fprintf(fp, "worst actions (largest |end error|, times in %s from each timeline's "
                    "start, error in %s):\n", wu.name, eu.name);
        fprintf(fp, "  %-5s %-9s %-18s %11s %11s %11s %11s %11s\n", "rank", "stream", "action",
                "pred start", "pred end", "meas start", "meas end", "end error");
        for (size_t i = 0; i < d->nworst; i++) {
            const pps_diff_event *e = &d->worst[i];
            char stream[PPS_STREAM_TEXT_MAX], action[PPS_ACTION_TEXT_MAX], t[4][48];
            pps_stream_format((pps_stream)e->stream, e->peer, stream);
            pps_action_format(&e->action, action, sizeof action);
            fprintf(fp, "  %-5d %-9s %-18s %11s %11s %11s %11s %11s\n", (int)e->rank, stream,
                    action, in_unit(e->pred_start, wu, t[0], sizeof t[0]),
                    in_unit(e->pred_end, wu, t[1], sizeof t[1]),
                    in_unit(e->meas_start, wu, t[2], sizeof t[2]),
                    in_unit(e->meas_end, wu, t[3], sizeof t[3]),
                    signed_in_unit(e->end_error, eu, b1, sizeof b1));
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
    if (cli_operands("diff", argc, 2, "two arguments, PREDICTED.json and MEASURED.json"))
        return EXIT_USAGE;
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
