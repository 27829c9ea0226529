/* plot_sweep.c — `ppsim plot sweep`: bubble, peak activation and step time against M. */
#include "report/plot.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_SERIES = 16 };

/* One line of the plot: a schedule at one v. */
typedef struct series {
    const pps_generator *gen;
    int chunks;
    size_t *rows; /* indices into the sweep's rows, by ascending M */
    size_t n;
} series;

typedef struct sweep_ctx {
    const pps_sweep_row *rows;
    int ranks;            /* P drawn */
    const pps_sweep_row *costs; /* the row whose t_F, t_B, t_W the drawn rows share */
    series s[MAX_SERIES];
    size_t nseries;
    pps_unit tu, bu;
    int legend_cols, legend_rows; /* the legend's layout along the bottom */
    double legend_h;              /* its share of the height */
} sweep_ctx;

static const unsigned series_colour[] = {PPSR_BLUE,   PPSR_ORANGE, PPSR_GREEN,
                                         PPSR_VERMILLION, PPSR_PURPLE, PPSR_SKY,
                                         PPSR_DARK_YELLOW, 0x000000};
/* Point types: twelve, so that with the eight colours no two of 24 series look alike. */
static const int series_point[] = {7, 5, 9, 11, 13, 15, 4, 6, 8, 10, 12, 14};

static int same_costs(const pps_sweep_row *a, const pps_sweep_row *b)
{
    return a->tf == b->tf && a->tb == b->tb && a->tw == b->tw;
}

/* Adds row i to s, keeping s's rows by ascending M (a sweep's rows come in that order, so this
 * is one comparison per row). */
static void add_sorted(series *s, const pps_sweep_row *rows, size_t i)
{
    size_t j = s->n++;
    while (j > 0 && rows[s->rows[j - 1]].microbatches > rows[i].microbatches) {
        s->rows[j] = s->rows[j - 1];
        j--;
    }
    s->rows[j] = i;
}

/* Picks P and the costs, then gathers each schedule's (and v's) rows that ran. */
static pps_status gather(const pps_sweep_row *rows, size_t n, int want_ranks, sweep_ctx *c,
                         pps_error *err)
{
    c->rows = rows;
    c->ranks = want_ranks;
    for (size_t i = 0; i < n && !want_ranks; i++)
        if (rows[i].status == PPS_OK && rows[i].ranks > c->ranks)
            c->ranks = rows[i].ranks;
    double peak = 0, span = 0;
    for (size_t i = 0; i < n; i++) {
        const pps_sweep_row *r = &rows[i];
        if (r->status != PPS_OK || r->ranks != c->ranks)
            continue;
        if (!c->costs)
            c->costs = r;
        if (!same_costs(r, c->costs))
            continue;
        size_t k = 0;
        while (k < c->nseries && (c->s[k].gen != r->gen || c->s[k].chunks != r->chunks))
            k++;
        if (k == MAX_SERIES)
            continue;
        series *s = &c->s[k];
        if (k == c->nseries) {
            c->nseries++;
            *s = (series){.gen = r->gen, .chunks = r->chunks};
            s->rows = malloc(n * sizeof *s->rows);
            if (!s->rows)
                return pps_error_set(err, PPS_ENOMEM, "plot sweep: out of memory");
        }
        add_sorted(s, rows, i);
        peak = fmax(peak, r->peak_max);
        span = fmax(span, r->makespan);
    }
    if (!c->nseries)
        return pps_error_set(err, PPS_EINPUT, "plot sweep: no configuration with P = %d ran in "
                             "the sweep", c->ranks);
    c->tu = pps_unit_time(span);
    c->bu = pps_unit_bytes(peak);
    return PPS_OK;
}

static void series_name(const series *s, char *buf, size_t size)
{
    if (s->gen->default_chunks > 1 || s->chunks > 1)
        snprintf(buf, size, "%s, v = %d", s->gen->name, s->chunks);
    else
        snprintf(buf, size, "%s", s->gen->name);
}

/* Panel k of three: column `column` of every series against M; with `analytic` the simulated
 * values are points on the formula's dashed curve, on a linear axis from 0 to 1 (a bubble);
 * the others are lines on a log axis (they span decades). */
static void panel(FILE *gp, const sweep_ctx *c, int k, const char *title, const char *ylabel,
                  int column, int analytic)
{
    fprintf(gp, "\nset origin %.4f, %.4f\nset size 0.3333, %.4f\n", k / 3.0, c->legend_h,
            0.94 - c->legend_h);
    fprintf(gp, "set title '%s'\nset ylabel '%s'\n", title, ylabel);
    fputs(analytic ? "unset logscale y\nset yrange [0:1]\n"
                   : "set logscale y\nset yrange [*:*]\n", gp);
    fputs("plot", gp);
    for (size_t i = 0; i < c->nseries; i++) {
        fprintf(gp, "%s datafile index %zu using 1:%d with %s lw 1.5 pt %d ps %s "
                    "lc rgb 0x%06X notitle",
                i ? ", \\\n    " : " ", i, column, analytic ? "points" : "linespoints",
                series_point[i % 12], analytic ? "1.1" : "0.8", series_colour[i % 8]);
        if (analytic)
            fprintf(gp, ", \\\n     datafile index %zu using 1:3 with lines dt 2 lw 1.5 "
                        "lc rgb 0x%06X notitle", i, series_colour[i % 8]);
    }
    fputc('\n', gp);
}

/* The legend of the three panels: an empty plot along the bottom holding only the key. */
static void legend(FILE *gp, const sweep_ctx *c)
{
    fprintf(gp, "\nset origin 0, 0\nset size 1, %.4f\n", c->legend_h);
    fputs("unset title\nunset xlabel\nunset ylabel\n"
          "unset logscale\nunset border\nunset tics\nunset grid\n"
          "set xrange [0:1]\nset yrange [0:1]\n", gp);
    fprintf(gp, "set key center center horizontal reverse Left maxcols %d samplen 2\nplot",
            c->legend_cols);
    for (size_t i = 0; i < c->nseries; i++) {
        char name[128];
        series_name(&c->s[i], name, sizeof name);
        fprintf(gp, "%s NaN with linespoints lw 1.5 pt %d lc rgb 0x%06X title ",
                i ? ", \\\n    " : " ", series_point[i % 12], series_colour[i % 8]);
        ppsr_gp_string(gp, name);
    }
    fputs(", \\\n     NaN with lines dt 2 lw 1.5 lc rgb 0x000000 "
          "title 'the literature''s formula'\n", gp);
}

/* The legend's layout: columns as wide as its longest entry (at most 7.5 px a character, the
 * sample and gaps; too wide a guess costs a row, as gnuplot then takes no more columns than
 * maxcols), rows of 18 px under the panels. */
static void layout_legend(sweep_ctx *c, const pps_plot_options *o)
{
    int width = o->width > 0 ? o->width : 1500;
    size_t widest = strlen("the literature's formula");
    for (size_t k = 0; k < c->nseries; k++) {
        char name[128];
        series_name(&c->s[k], name, sizeof name);
        widest = strlen(name) > widest ? strlen(name) : widest;
    }
    c->legend_cols = (int)((width - 40) / (widest * 7.5 + 80));
    if (c->legend_cols < 1)
        c->legend_cols = 1;
    c->legend_rows = (int)((c->nseries + 1 + (size_t)c->legend_cols - 1) / (size_t)c->legend_cols);
    int height = o->height > 0 ? o->height : 450 + 18 * c->legend_rows;
    c->legend_h = (18.0 * c->legend_rows + 16) / height;
}

static pps_status write_sweep(const void *ctx, ppsr_plot *p, FILE *data, FILE *gp,
                              pps_error *err)
{
    (void)err;
    const sweep_ctx *c = ctx;
    p->width = p->opt->width > 0 ? p->opt->width : 1500;
    p->height = p->opt->height > 0 ? p->opt->height : 450 + 18 * c->legend_rows;
    fprintf(data, "# ppsim sweep plot data, P = %d. One data set per schedule (and v): M, "
                  "idle/total simulated, idle/total by the literature's formula, peak "
                  "activation (%s, max over ranks), step time (%s).\n", c->ranks, c->bu.name,
            c->tu.name);
    for (size_t k = 0; k < c->nseries; k++) {
        char name[128];
        series_name(&c->s[k], name, sizeof name);
        fprintf(data, "%s# %s\n", k ? "\n\n" : "", name);
        for (size_t j = 0; j < c->s[k].n; j++) {
            const pps_sweep_row *r = &c->rows[c->s[k].rows[j]];
            /* idle/total = idle/(idle + busy) = a/(1 + a) for a = idle/compute, so the
             * formula's value converts exactly. */
            fprintf(data, "%d %.9g ", r->microbatches, r->idle_over_total);
            if (isfinite(r->analytic))
                fprintf(data, "%.9g", r->analytic / (1 + r->analytic));
            else
                fputs("NaN", data);
            fprintf(data, " %.9g %.9g\n", r->peak_max * c->bu.scale, r->makespan * c->tu.scale);
        }
    }
    ppsr_script_begin(gp, p, "a sweep plot");
    char line1[256], tf[32], tb[32];
    pps_format_time(c->costs->tf, tf, sizeof tf);
    pps_format_time(c->costs->tb, tb, sizeof tb);
    snprintf(line1, sizeof line1, "sweep at P = %d: one rank's share t_F = %s, t_B = %s; "
             "points simulated, dashed lines the literature's formula", c->ranks, tf, tb);
    fputs("set multiplot title ", gp);
    ppsr_gp_lines(gp, p->opt->title ? p->opt->title : line1, NULL);
    fputs("\nset logscale x 2\nset xlabel 'micro-batches M (log scale)'\n"
          "set grid back lc rgb '#e0e0e0'\nset xtics out nomirror\nset ytics out nomirror\n"
          "set key off\n", gp);
    panel(gp, c, 0, "bubble: idle/total (GPipe convention)", "idle time / total time", 2, 1);
    char yl[64];
    snprintf(yl, sizeof yl, "peak activation (%s, log scale)", c->bu.name);
    panel(gp, c, 1, "peak activation memory (busiest rank)", yl, 4, 0);
    snprintf(yl, sizeof yl, "step time (%s, log scale)", c->tu.name);
    panel(gp, c, 2, "step time (makespan)", yl, 5, 0);
    legend(gp, c);
    fputs("unset multiplot\n", gp);
    return PPS_OK;
}

pps_status pps_plot_sweep(const pps_sweep_row *rows, size_t n, const pps_plot_options *o,
                          const char *image, pps_error *err)
{
    sweep_ctx c = {0};
    pps_status st = gather(rows, n, o->ranks, &c, err);
    if (st == PPS_OK) {
        layout_legend(&c, o);
        st = ppsr_plot_emit(image, o, write_sweep, &c, err);
    }
    for (size_t k = 0; k < c.nseries; k++)
        free(c.s[k].rows);
    return st;
}
