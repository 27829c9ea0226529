/* plot_memory.c — `ppsim plot memory`: each rank's activation memory over time. */
#include "report/plot.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Past this many ranks one panel per rank (small multiples) reads better than a tangle. */
enum { MAX_LINES = 8, PANEL_COLS = 4, PANEL_H = 110 };

/* Line colours for up to eight ranks (Okabe & Ito, black last), each with its own dash type
 * as a second cue. */
static const unsigned line_colour[MAX_LINES] = {PPSR_BLUE,  PPSR_ORANGE, PPSR_GREEN,
                                                PPSR_VERMILLION, PPSR_PURPLE, PPSR_SKY,
                                                PPSR_DARK_YELLOW,
                                                0x000000};

typedef struct memory_ctx {
    const pps_timeline *t;
    pps_analysis a;
    double t0;
    pps_unit tu, bu;  /* time and byte units of the axes */
    double top;       /* the y axis' top, bytes */
} memory_ctx;

static pps_status write_memory(const void *ctx, ppsr_plot *p, FILE *data, FILE *gp,
                               pps_error *err)
{
    const memory_ctx *c = ctx;
    const pps_timeline *t = c->t;
    const pps_plot_options *o = p->opt;
    int panels = t->ranks > MAX_LINES;
    int rows = (t->ranks + PANEL_COLS - 1) / PANEL_COLS;
    p->width = o->width > 0 ? o->width : panels ? 1200 : 900;
    p->height = o->height > 0 ? o->height : panels ? 100 + rows * PANEL_H : 480;

    fprintf(data, "# ppsim memory plot data: %s, %d ranks. Block r is rank r: time (%s from the "
                  "first event) and the activation held from then on (%s).\n",
            t->schedule, t->ranks, c->tu.name, c->bu.name);
    double end = c->a.makespan;
    int peak_rank = 0;
    for (int r = 0; r < t->ranks; r++) {
        pps_memory_point *pts = NULL;
        size_t n = 0;
        pps_status st = pps_memory_series(t, r, &pts, &n, err);
        if (st != PPS_OK)
            return st;
        if (r)
            fputs("\n\n", data);
        fprintf(data, "# rank %d\n", r);
        /* Start at 0 bytes at time 0 and hold the last value to the end, so every line spans
         * the whole step. */
        if (n == 0 || pts[0].t - c->t0 > 0)
            fprintf(data, "0 0\n");
        double last = 0, last_t = 0;
        for (size_t i = 0; i < n; i++) {
            fprintf(data, "%.9g %.9g\n", (pts[i].t - c->t0) * c->tu.scale,
                    pts[i].bytes * c->bu.scale);
            last = pts[i].bytes;
            last_t = pts[i].t - c->t0;
        }
        if (n == 0 || last_t < end)
            fprintf(data, "%.9g %.9g\n", end * c->tu.scale, last * c->bu.scale);
        free(pts);
        if (c->a.per_rank[r].peak_activation > c->a.per_rank[peak_rank].peak_activation)
            peak_rank = r;
    }

    ppsr_script_begin(gp, p, "a memory plot");
    char line1[256], line2[256], pk[64], lim[64];
    ppsr_describe(t, line1, sizeof line1);
    pps_format_bytes(c->a.per_rank[peak_rank].peak_activation, pk, sizeof pk);
    snprintf(line2, sizeof line2, "activation memory per rank; peak %s on rank %d", pk, peak_rank);
    if (o->memory_limit > 0) {
        pps_format_bytes(o->memory_limit, lim, sizeof lim);
        size_t len = strlen(line2);
        snprintf(line2 + len, sizeof line2 - len, "; limit %s", lim);
    }
    fprintf(gp, "set xrange [0:%.9g]\nset yrange [0:%.9g]\n", end * c->tu.scale,
            c->top * c->bu.scale);
    fprintf(gp, "limit = %.9g\n", o->memory_limit > 0 ? o->memory_limit * c->bu.scale : -1);
    fputs("set grid back lc rgb '#e0e0e0'\nset xtics out nomirror\nset ytics out nomirror\n", gp);
    if (!panels) {
        ppsr_gp_title(gp, o->title ? o->title : line1, line2);
        fprintf(gp, "set xlabel 'time (%s)'\nset ylabel 'activation (%s)'\n", c->tu.name,
                c->bu.name);
        fputs("set key outside right top vertical\n", gp);
        fputs("plot", gp);
        for (int r = 0; r < t->ranks; r++) {
            pps_format_bytes(c->a.per_rank[r].peak_activation, pk, sizeof pk);
            fprintf(gp, "%s datafile index %d using 1:2 with steps lw 2 dt %d lc rgb 0x%06X "
                        "title 'rank %d (peak %s)'",
                    r ? ", \\\n    " : "", r, 1 + r % 4, line_colour[r], r, pk);
        }
        if (o->memory_limit > 0)
            fprintf(gp, ", \\\n     limit with lines lw 2 dt 2 lc rgb 0x%06X title 'limit %s'",
                    PPSR_VERMILLION, lim);
        fputc('\n', gp);
        return PPS_OK;
    }
    /* Small multiples: one panel per rank on shared axes, titles inside the panels. */
    fprintf(gp, "set multiplot layout %d,%d title ", rows, PANEL_COLS);
    ppsr_gp_lines(gp, o->title ? o->title : line1, line2);
    fputs(" margins 0.06,0.98,0.085,0.9 spacing 0.02,0.035\n", gp);
    fprintf(gp, "set key off\nset format x ''\nset format y ''\n"
                "set label 1 'time (%s)' at screen 0.5, screen 0.015 center\n"
                "set label 2 'activation (%s)' at screen 0.012, screen 0.5 center rotate\n",
            c->tu.name, c->bu.name);
    fprintf(gp, "array peak[%d] = [", t->ranks);
    for (int r = 0; r < t->ranks; r++) {
        pps_format_bytes(c->a.per_rank[r].peak_activation, pk, sizeof pk);
        fprintf(gp, "%s'%s'", r ? ", " : "", pk);
    }
    fputs("]\n", gp);
    fprintf(gp, "do for [r = 0:%d] {\n", t->ranks - 1);
    fputs("    set title sprintf('rank %d, peak %s', r, peak[r + 1]) offset 0,-0.9 font ',9'\n",
          gp);
    fprintf(gp, "    set format x (r >= %d ? '%%g' : '')\n", t->ranks - PANEL_COLS);
    fprintf(gp, "    set format y (r %% %d == 0 ? '%%g' : '')\n", PANEL_COLS);
    fprintf(gp, "    plot datafile index r using 1:2 with steps lw 1.5 lc rgb 0x%06X notitle, "
                "limit with lines dt 2 lc rgb 0x%06X notitle\n",
            PPSR_BLUE, PPSR_VERMILLION);
    /* The axis names are labels on the screen: draw them once, with the first panel. */
    fputs("    unset label 1; unset label 2\n}\n", gp);
    fputs("unset multiplot\n", gp);
    return PPS_OK;
}

pps_status pps_plot_memory(const pps_timeline *t, const pps_plot_options *o, const char *image,
                           pps_error *err)
{
    memory_ctx c = {.t = t};
    pps_status st = pps_analyze(t, &c.a, err);
    if (st != PPS_OK)
        return st;
    c.t0 = ppsr_first_start(t);
    double peak = 0;
    for (int r = 0; r < t->ranks; r++)
        peak = fmax(peak, c.a.per_rank[r].peak_activation);
    double top = fmax(peak, o->memory_limit);
    c.top = top > 0 ? top * 1.08 : 1;
    c.tu = pps_unit_time(c.a.makespan);
    c.bu = pps_unit_bytes(top);
    st = ppsr_plot_emit(image, o, write_memory, &c, err);
    pps_analysis_clear(&c.a);
    return st;
}
