/* report.c — `ppsim report`: a folder with index.md (Markdown that GitHub renders as it is), the
 * images, and the data and scripts behind them, swapped into place in one step. */
#include "report/plot.h"
#include "report/report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Up to this many ranks the per-rank table lists every rank; past it, the extremes. */
enum { RANK_ROWS = 16 };

/* ------------------------------------------------------------------ Markdown text */

/* Text inside a table cell or a line: Markdown's and HTML's special characters escaped, line
 * breaks as blanks, so that no input can break the table or inject markup. */
static void md_text(FILE *fp, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '<')
            fputs("&lt;", fp);
        else if (c == '>')
            fputs("&gt;", fp);
        else if (c == '&')
            fputs("&amp;", fp);
        else if (strchr("|*_`[]\\#", c))
            fprintf(fp, "\\%c", c);
        else
            fputc(c < 0x20 ? ' ' : c, fp);
    }
}

/* A command in a code span: backticks inside become quotes (a span cannot hold them plainly). */
static void md_code(FILE *fp, const char *s)
{
    fputc('`', fp);
    for (; *s; s++)
        fputc(*s == '`' ? '\'' : (unsigned char)*s < 0x20 ? ' ' : *s, fp);
    fputc('`', fp);
}

/* A finite value through one of ppsim's formatters (seconds or bytes), else a dash: a table
 * cell never shows "nan" or "inf". */
static void put_formatted(FILE *fp, double v, int (*format)(double, char *, size_t))
{
    char b[32];
    if (!isfinite(v)) {
        fputs("–", fp);
        return;
    }
    format(v, b, sizeof b);
    fputs(b, fp);
}

static void put_time(FILE *fp, double s)
{
    put_formatted(fp, s, pps_format_time);
}

static void put_bytes(FILE *fp, double v)
{
    put_formatted(fp, v, pps_format_bytes);
}

/* A span of time "start – end" (seconds). */
static void put_time_span(FILE *fp, double start, double end)
{
    put_time(fp, start);
    fputs(" – ", fp);
    put_time(fp, end);
}

static void put_pct(FILE *fp, double v)
{
    if (isfinite(v))
        fprintf(fp, "%.1f%%", 100 * v);
    else
        fputs("–", fp);
}

/* The cells both schedule tables share: the makespan and the bubble in its four conventions,
 * "makespan | idle/total | idle/compute | analytic | stage-span". */
static void put_makespan_bubbles(FILE *fp, double makespan, double over_total,
                                 double over_compute, double analytic, double stage_span)
{
    put_time(fp, makespan);
    fputs(" | ", fp);
    put_pct(fp, over_total);
    fputs(" | ", fp);
    put_pct(fp, over_compute);
    fputs(" | ", fp);
    put_pct(fp, analytic);
    fputs(" | ", fp);
    put_pct(fp, stage_span);
}

/* ------------------------------------------------------------------ sections */

static void section_configuration(FILE *fp, const pps_report *r)
{
    const pps_timeline *t = r->timeline;
    const pps_cost *c = r->cost;
    fputs("## Configuration\n\n| | |\n| --- | --- |\n", fp);
    fputs("| schedule | ", fp);
    md_text(fp, t->schedule);
    const pps_generator *g = pps_generator_find(t->schedule);
    if (g) {
        fputs(": ", fp);
        md_text(fp, g->summary);
    }
    fprintf(fp, " |\n| ranks P, micro-batches M, stages S | %d, %d, %d", t->ranks,
            t->microbatches, t->stages);
    if (t->chunks > 0)
        fprintf(fp, " (v = %d per rank)", t->chunks);
    fputs(" |\n", fp);
    if (c) {
        const pps_stage_cost *u = &c->uniform;
        fputs("| costs, one rank's share of the model | t_F ", fp);
        put_time(fp, u->tf);
        fputs(", t_B ", fp);
        put_time(fp, isnan(u->tb) ? u->ti + u->tw : u->tb);
        if (!isnan(u->ti) && !isnan(u->tw)) {
            fputs(" (t_I ", fp);
            put_time(fp, u->ti);
            fputs(", t_W ", fp);
            put_time(fp, u->tw);
            fputs(")", fp);
        }
        if (t->chunks > 1)
            fprintf(fp, "; split over the %d stages a rank holds", t->chunks);
        fputs(" |\n", fp);
        if (c->nstages && r->costs_file) {
            fputs("| per-stage costs | from ", fp);
            md_text(fp, r->costs_file);
            fprintf(fp, " (%d stages) |\n", c->nstages);
        }
        fputs("| activation of one micro-batch | ", fp);
        put_bytes(fp, u->act_bytes);
        fputs(" per rank's share (", fp);
        put_bytes(fp, u->act_w_bytes);
        fputs(" of it held from I to W) |\n| transfers | ", fp);
        put_bytes(fp, u->send_bytes);
        fputs(" each; latency ", fp);
        put_time(fp, c->intra.latency);
        if (c->intra.bandwidth > 0) {
            fputs(", bandwidth ", fp);
            put_bytes(fp, c->intra.bandwidth);
            fputs("/s", fp);
        } else {
            fputs(", bandwidth unlimited", fp);
        }
        fprintf(fp, "%s |\n", c->comm_sync ? "; on the compute stream (--comm sync)" : "");
    }
    fputc('\n', fp);
}

static void section_result(FILE *fp, const pps_report *r, const pps_analysis *a)
{
    fputs("## Result\n\n| makespan | idle/total (GPipe) | idle/compute (Megatron) | analytic "
          "idle/compute | stage-span (Zero Bubble) | throughput |\n"
          "| --- | --- | --- | --- | --- | --- |\n| ", fp);
    put_makespan_bubbles(fp, a->makespan, a->idle_over_total, a->idle_over_compute, r->analytic,
                         a->stage_span_rate);
    fprintf(fp, " | %.3g micro-batches/s |\n\n", a->throughput);
    fputs("| rank | busy | idle | peak activation |\n| --- | --- | --- | --- |\n", fp);
    for (int k = 0; k < a->ranks; k++) {
        /* past RANK_ROWS ranks: the first and last few, the middle summarised */
        if (a->ranks > RANK_ROWS && k == 4) {
            double lo = INFINITY, hi = -INFINITY;
            for (int j = 4; j < a->ranks - 4; j++) {
                lo = fmin(lo, a->per_rank[j].peak_activation);
                hi = fmax(hi, a->per_rank[j].peak_activation);
            }
            fprintf(fp, "| 4 – %d | … | … | ", a->ranks - 5);
            put_bytes(fp, lo);
            fputs(" – ", fp);
            put_bytes(fp, hi);
            fputs(" |\n", fp);
            k = a->ranks - 5;
            continue;
        }
        const pps_rank_stats *s = &a->per_rank[k];
        fprintf(fp, "| %d | ", k);
        put_time(fp, s->busy);
        fputs(" | ", fp);
        put_time(fp, s->idle);
        fputs(" | ", fp);
        put_bytes(fp, s->peak_activation);
        fputs(" |\n", fp);
    }
    fputs("\n![timeline: one row per rank, one box per compute action](timeline.png)\n\n"
          "![activation memory per rank over time](memory.png)\n\n", fp);
}

static void section_compare(FILE *fp, const pps_report *r)
{
    if (!r->ncompare)
        return;
    fputs("## Every schedule on this configuration\n\nThe same P, M and costs for each schedule "
          "(its own v); [compare.csv](compare.csv) holds the exact numbers.\n\n"
          "| schedule | v | makespan | idle/total | idle/compute | analytic | stage-span | peak "
          "activation (busiest rank) |\n| --- | --- | --- | --- | --- | --- | --- | --- |\n", fp);
    for (size_t i = 0; i < r->ncompare; i++) {
        const pps_sweep_row *w = &r->compare[i];
        int self = strcmp(w->gen->name, r->timeline->schedule) == 0;
        fprintf(fp, "| %s%s%s | ", self ? "**" : "", w->gen->name, self ? "**" : "");
        if (w->status != PPS_OK) {
            fputs("– | refused: ", fp);
            md_text(fp, w->reason);
            fputs(" | | | | | |\n", fp);
            continue;
        }
        fprintf(fp, "%d | ", w->chunks);
        put_makespan_bubbles(fp, w->makespan, w->idle_over_total, w->idle_over_compute,
                             w->analytic, w->stage_span_rate);
        fputs(" | ", fp);
        put_bytes(fp, w->peak_max);
        fputs(" |\n", fp);
    }
    fputc('\n', fp);
}

static void stream_text(const pps_diff_event *e, char *buf, size_t size)
{
    if (e->stream == PPS_STREAM_COMPUTE)
        snprintf(buf, size, "compute");
    else
        snprintf(buf, size, "%s:%d", e->stream == PPS_STREAM_SEND ? "send" : "recv", e->peer);
}

static void diff_row(FILE *fp, const char *name, pps_diff_value v, int percent)
{
    fprintf(fp, "| %s | ", name);
    if (percent) {
        put_pct(fp, v.pred);
        fputs(" | ", fp);
        put_pct(fp, v.meas);
        fprintf(fp, " | %+.1f points |\n", 100 * v.diff);
        return;
    }
    put_time(fp, v.pred);
    fputs(" | ", fp);
    put_time(fp, v.meas);
    if (isfinite(v.rel_error))
        fprintf(fp, " | %+.1f%% |\n", 100 * v.rel_error);
    else
        fputs(" | – |\n", fp);
}

/* One error distribution in words: "M, 90th percentile P, largest L" (seconds). */
static void put_error_dist(FILE *fp, const pps_diff_dist *e)
{
    put_time(fp, e->median);
    fputs(", 90th percentile ", fp);
    put_time(fp, e->p90);
    fputs(", largest ", fp);
    put_time(fp, e->max);
}

static pps_status section_measured(FILE *fp, const pps_report *r, pps_error *err)
{
    if (!r->measured)
        return PPS_OK;
    pps_diff d = {0};
    pps_status st = pps_timeline_diff(r->timeline, r->measured, &d, err);
    if (st != PPS_OK) {
        pps_diff_clear(&d);
        return st;
    }
    fputs("## Predicted against measured\n\nThe measured run is ", fp);
    md_text(fp, r->measured_name ? r->measured_name : "given");
    fputs(" (", fp);
    md_text(fp, r->measured->backend);
    fputs(" backend; [measured.json](measured.json)); each timeline from its own first event. "
          "Errors are measured - predicted.\n\n| | predicted | measured | error |\n"
          "| --- | --- | --- | --- |\n", fp);
    diff_row(fp, "makespan", d.makespan, 0);
    diff_row(fp, "idle/total", d.idle_over_total, 1);
    diff_row(fp, "idle/compute", d.idle_over_compute, 1);
    diff_row(fp, "stage-span", d.stage_span_rate, 1);
    for (int k = 0; k < d.ranks && k < RANK_ROWS; k++) {
        char name[32];
        snprintf(name, sizeof name, "busy, rank %d", k);
        diff_row(fp, name, d.busy[k], 0);
    }
    fprintf(fp, "\n%zu events matched (%zu only predicted, %zu only measured). Absolute error of "
                "the starts: median ", d.matched, d.only_pred, d.only_meas);
    put_error_dist(fp, &d.abs_start_error);
    fputs("; of the ends: median ", fp);
    put_error_dist(fp, &d.abs_end_error);
    fputs(".\n\n| rank | stream | action | predicted | measured | end error |\n"
          "| --- | --- | --- | --- | --- | --- |\n", fp);
    for (size_t i = 0; i < d.nworst; i++) {
        const pps_diff_event *e = &d.worst[i];
        char act[PPS_ACTION_TEXT_MAX], stream[32];
        pps_action_format(&e->action, act, sizeof act);
        stream_text(e, stream, sizeof stream);
        fprintf(fp, "| %d | %s | ", e->rank, stream);
        md_text(fp, act);
        fputs(" | ", fp);
        put_time_span(fp, e->pred_start, e->pred_end);
        fputs(" | ", fp);
        put_time_span(fp, e->meas_start, e->meas_end);
        fprintf(fp, " | %s", e->end_error >= 0 ? "+" : "-");
        put_time(fp, fabs(e->end_error));
        fputs(" |\n", fp);
    }
    fputs("\n![predicted and measured, paired rows per rank](diff.png)\n\n"
          "![the measured timeline](measured.png)\n\n", fp);
    pps_diff_clear(&d);
    return PPS_OK;
}

static void section_sweep(FILE *fp, const pps_report *r)
{
    if (!r->sweep)
        return;
    fprintf(fp, "## Against M\n\nEvery schedule at P = %d over M ([sweep.csv](sweep.csv)): the "
                "bubble with the literature's formula dashed, peak activation and step time.\n\n"
                "![bubble, peak activation and step time against M](sweep.png)\n\n",
            r->timeline->ranks);
}

static void section_files(FILE *fp, const pps_report *r)
{
    fputs("## Files\n\n"
          "- [timeline.json](timeline.json): the predicted timeline (`docs/trace.md`), for "
          "`ppsim analyze`, `ppsim show` or `ppsim plot`\n", fp);
    if (r->ncompare)
        fputs("- [compare.csv](compare.csv): the table of every schedule, exact numbers "
              "(`ppsim sweep`'s columns)\n", fp);
    if (r->sweep)
        fputs("- [sweep.csv](sweep.csv): the sweep over M\n", fp);
    if (r->measured)
        fputs("- [measured.json](measured.json): the measured timeline\n", fp);
    fputs("- each image `NAME.png` with its data `NAME.dat` and gnuplot script `NAME.gp`: edit "
          "the script and run `gnuplot NAME.gp` here to draw it again\n", fp);
    if (!r->plot.render)
        fputs("\nThe images were not drawn (`--no-render`): run `for f in *.gp; do gnuplot "
              "\"$f\"; done` here.\n", fp);
}

/* ------------------------------------------------------------------ files */

typedef pps_status (*file_writer)(const void *ctx, FILE *fp, pps_error *err);

static char *path_in(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/%s", dir, name);
    return p;
}

static pps_status write_file(const char *dir, const char *name, file_writer w, const void *ctx,
                             pps_error *err)
{
    char *path = path_in(dir, name);
    if (!path)
        return pps_error_set(err, PPS_ENOMEM, "report: out of memory");
    pps_outfile o = {0};
    pps_status st = pps_outfile_open(&o, path, err);
    if (st == PPS_OK)
        st = pps_outfile_check(&o, w(ctx, o.fp, err), err);
    if (st == PPS_OK)
        st = pps_outfile_commit(&o, err);
    pps_outfile_abort(&o);
    free(path);
    return st;
}

static pps_status put_timeline(const void *ctx, FILE *fp, pps_error *err)
{
    return pps_timeline_write_json(ctx, fp, err);
}

typedef struct rows_ref {
    const pps_sweep_row *rows;
    size_t n;
} rows_ref;

static pps_status put_rows(const void *ctx, FILE *fp, pps_error *err)
{
    const rows_ref *r = ctx;
    return pps_sweep_write_csv(r->rows, r->n, fp, err);
}

typedef struct index_ctx {
    const pps_report *r;
    const pps_analysis *a;
} index_ctx;

static pps_status put_index(const void *ctx, FILE *fp, pps_error *err)
{
    const index_ctx *x = ctx;
    const pps_report *r = x->r;
    const pps_timeline *t = r->timeline;
    fprintf(fp, "%s: written by ppsim %s; `ppsim report` replaces this folder -->\n",
            PPSR_REPORT_MARKER, PPS_VERSION);
    fputs("# ppsim report: ", fp);
    md_text(fp, t->schedule);
    fprintf(fp, ", P = %d, M = %d, ", t->ranks, t->microbatches);
    if (t->chunks > 0)
        fprintf(fp, "v = %d\n\n", t->chunks);
    else
        fprintf(fp, "%d stages\n\n", t->stages);
    if (r->command) {
        fputs("Made by ", fp);
        md_code(fp, r->command);
        fputs(" (ppsim " PPS_VERSION "). ", fp);
    }
    fputs("Bubbles are given in the three conventions the literature mixes "
          "(idle/total, idle/compute, stage-span); times and sizes in decimal units "
          "(1 GB = 10⁹ B).\n\n", fp);
    section_configuration(fp, r);
    section_result(fp, r, x->a);
    section_compare(fp, r);
    pps_status st = section_measured(fp, r, err);
    if (st != PPS_OK)
        return st;
    section_sweep(fp, r);
    section_files(fp, r);
    return PPS_OK;
}

/* Draws one image (and its data and script) into dir. */
static pps_status image(const char *dir, const char *name, const pps_report *r,
                        const pps_timeline *t, int kind, pps_error *err)
{
    char *path = path_in(dir, name);
    if (!path)
        return pps_error_set(err, PPS_ENOMEM, "report: out of memory");
    pps_status st;
    switch (kind) {
    case 0: st = pps_plot_timeline(t, &r->plot, path, err); break;
    case 1: st = pps_plot_memory(t, &r->plot, path, err); break;
    case 2: st = pps_plot_diff(r->timeline, r->measured, &r->plot, path, err); break;
    default: st = pps_plot_sweep(r->sweep, r->nsweep, &r->plot, path, err); break;
    }
    free(path);
    return st;
}

static pps_status build(const pps_report *r, const char *dir, const pps_analysis *a,
                        pps_error *err)
{
    rows_ref cmp = {r->compare, r->ncompare}, sw = {r->sweep, r->nsweep};
    index_ctx x = {r, a};
    pps_status st = write_file(dir, "timeline.json", put_timeline, r->timeline, err);
    if (st == PPS_OK && r->ncompare)
        st = write_file(dir, "compare.csv", put_rows, &cmp, err);
    if (st == PPS_OK && r->sweep)
        st = write_file(dir, "sweep.csv", put_rows, &sw, err);
    if (st == PPS_OK && r->measured)
        st = write_file(dir, "measured.json", put_timeline, r->measured, err);
    if (st == PPS_OK)
        st = write_file(dir, "index.md", put_index, &x, err);
    if (st == PPS_OK)
        st = image(dir, "timeline.png", r, r->timeline, 0, err);
    if (st == PPS_OK)
        st = image(dir, "memory.png", r, r->timeline, 1, err);
    if (st == PPS_OK && r->measured)
        st = image(dir, "diff.png", r, NULL, 2, err);
    if (st == PPS_OK && r->measured)
        st = image(dir, "measured.png", r, r->measured, 0, err);
    if (st == PPS_OK && r->sweep)
        st = image(dir, "sweep.png", r, NULL, 3, err);
    return st;
}

pps_status pps_report_write(const pps_report *r, pps_error *err)
{
    pps_analysis a = {0};
    pps_status st = pps_analyze(r->timeline, &a, err);
    char *tmp = NULL;
    if (st == PPS_OK)
        st = ppsr_dir_stage(r->dir, &tmp, err);
    if (st == PPS_OK)
        st = build(r, tmp, &a, err);
    if (st == PPS_OK)
        st = ppsr_dir_replace(tmp, r->dir, err);
    if (st != PPS_OK && tmp)
        ppsr_dir_remove(tmp);
    free(tmp);
    pps_analysis_clear(&a);
    return st;
}
