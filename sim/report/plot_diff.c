/* plot_diff.c — `ppsim plot diff`: two timelines of one schedule as paired rows per rank, the
 * worst actions marked, so that where they diverge shows at a glance. */
#include "report/plot.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum {
    MARGIN_LEFT = 130, MARGIN_RIGHT = 25, MARGIN_TOP = 62, MARGIN_BOTTOM = 100,
    MIN_PLOT_W = 900, MAX_PLOT_W = 2300, MIN_BOX_PX = 10,
    WORST = 5, /* actions marked */
};

/* Row centres (offsets from y = rank) and the half-height of the boxes of the two timelines. */
static const double ROW_Y[2] = {-0.21, 0.21};
static const double ROW_H = 0.18;
/* The first timeline's boxes are drawn lighter, mixed with white by this much. */
static const double PALE = 0.45;

typedef struct diff_ctx {
    const pps_timeline *t[2]; /* the compute actions of each timeline */
    pps_analysis a[2];        /* of the whole timelines */
    double t0[2];
    pps_diff d;  /* of the compute actions: their worst are marked */
    size_t nworst;
    pps_unit u;
    double span; /* the longer makespan, seconds */
} diff_ctx;

/* "predicted"/"measured", or "first"/"second" when both are of one source. */
static const char *role(const diff_ctx *c, int which)
{
    if (strcmp(c->t[0]->source, c->t[1]->source) != 0)
        return strcmp(c->t[which]->source, "measured") == 0 ? "measured" : "predicted";
    return which ? "second" : "first";
}

static void resolve_size(const diff_ctx *c, ppsr_plot *p)
{
    double min_dur = INFINITY;
    for (int w = 0; w < 2; w++)
        for (size_t i = 0; i < c->t[w]->n; i++) {
            const pps_event *e = &c->t[w]->events[i];
            if (ppsr_is_compute(e) && e->end > e->start)
                min_dur = fmin(min_dur, e->end - e->start);
        }
    double span = c->span > 0 ? c->span : 1;
    double w = isfinite(min_dur) ? ceil(span / min_dur * MIN_BOX_PX) : MIN_PLOT_W;
    w = fmax(MIN_PLOT_W, fmin(MAX_PLOT_W, w));
    int ranks = c->t[0]->ranks;
    int row = ranks <= 8 ? 56 : ranks <= 16 ? 40 : 30;
    p->width = p->opt->width > 0 ? p->opt->width : (int)w + MARGIN_LEFT + MARGIN_RIGHT;
    p->height = p->opt->height > 0 ? p->opt->height : MARGIN_TOP + MARGIN_BOTTOM + ranks * row;
}

static pps_status write_boxes(const diff_ctx *c, ppsr_plot *p, FILE *data, pps_error *err)
{
    fputs("# compute actions of both timelines: which (0 first, 1 second) rank start end kind "
          "action hover\n", data);
    for (int w = 0; w < 2; w++) {
        const pps_timeline *t = c->t[w];
        for (size_t i = 0; i < t->n; i++) {
            const pps_event *e = &t->events[i];
            if (!ppsr_is_compute(e))
                continue;
            char act[PPS_ACTION_TEXT_MAX], hover[PPS_ACTION_TEXT_MAX + 200], ns[32], ne[32];
            pps_action_format(&e->action, act, sizeof act);
            pps_format_number(e->start - c->t0[w], c->u, ns, sizeof ns);
            pps_format_number(e->end - c->t0[w], c->u, ne, sizeof ne);
            snprintf(hover, sizeof hover, "%s %s start %s %s end %s %s", role(c, w), act, ns,
                     c->u.name, ne, c->u.name);
            fprintf(data, "%d %d %.9g %.9g %s \"%s\" \"%s\"\n", w, e->rank,
                    (e->start - c->t0[w]) * c->u.scale, (e->end - c->t0[w]) * c->u.scale,
                    ppsr_kind_code((pps_kind)e->action.kind), act, hover);
            pps_status st = ppsr_plot_hover(p, hover, err);
            if (st != PPS_OK)
                return st;
        }
    }
    return PPS_OK;
}

/* The worst compute actions (largest |end error|): an outline around each of their two boxes
 * and their number above the second; the title lists them. */
static void write_worst(const diff_ctx *c, FILE *data)
{
    fputs("\n\n# worst actions by end-time error: rank first_start first_end second_start "
          "second_end number\n", data);
    for (size_t i = 0; i < c->nworst; i++) {
        const pps_diff_event *w = &c->d.worst[i];
        fprintf(data, "%d %.9g %.9g %.9g %.9g \"%zu\"\n", w->rank, w->pred_start * c->u.scale,
                w->pred_end * c->u.scale, w->meas_start * c->u.scale, w->meas_end * c->u.scale,
                i + 1);
    }
}

/* "worst end-time errors (outlined): 1 = 1B15 +8.73 ms, 2 = ..." */
static void worst_text(const diff_ctx *c, char *buf, size_t size)
{
    size_t len = (size_t)snprintf(buf, size, "outlined, the largest end-time errors:");
    for (size_t i = 0; i < c->nworst && len < size; i++) {
        const pps_diff_event *w = &c->d.worst[i];
        char act[PPS_ACTION_TEXT_MAX], e[32];
        pps_action_format(&w->action, act, sizeof act);
        pps_format_number(w->end_error, c->u, e, sizeof e);
        len += (size_t)snprintf(buf + len, size - len, "%s %zu = %s %s%s %s", i ? "," : "",
                                i + 1, act, w->end_error >= 0 ? "+" : "", e, c->u.name);
    }
}

static void legend_text(const diff_ctx *c, int w, char *buf, size_t size)
{
    char mk[64];
    pps_format_time(c->a[w].makespan, mk, sizeof mk);
    snprintf(buf, size, "%s (%s): makespan %s, bubble %.1f%% idle/total, %.1f%% idle/compute",
             role(c, w), c->t[w]->backend, mk, 100 * c->a[w].idle_over_total,
             100 * c->a[w].idle_over_compute);
}

static pps_status write_diff(const void *ctx, ppsr_plot *p, FILE *data, FILE *gp,
                             pps_error *err)
{
    const diff_ctx *c = ctx;
    const pps_timeline *t = c->t[1];
    resolve_size(c, p);
    fprintf(data, "# ppsim diff plot data: %s, %d ranks; times in %s, each timeline from its own "
                  "first event.\n", t->schedule, t->ranks, c->u.name);
    pps_status st = write_boxes(c, p, data, err);
    if (st != PPS_OK)
        return st;
    write_worst(c, data);

    ppsr_script_begin(gp, p, "a diff plot of two timelines");
    ppsr_script_palette(gp);
    fprintf(gp, "pale = %.2f  # the first timeline's boxes are lighter\n", PALE);
    fprintf(gp, "rowy0 = %.2f; rowy1 = %.2f; boxh = %.2f\n", ROW_Y[0], ROW_Y[1], ROW_H);
    fputs("rowy(w) = w > 0 ? rowy1 : rowy0\n", gp);
    char line1[400], line2[400], err_txt[64] = "";
    double rel = c->a[0].makespan > 0 ? c->a[1].makespan / c->a[0].makespan - 1 : NAN;
    if (isfinite(rel))
        snprintf(err_txt, sizeof err_txt, ", makespan error %+.1f%%", 100 * rel);
    snprintf(line1, sizeof line1, "%s: P = %d, M = %d, %d stages: %s (%s) vs %s (%s)%s",
             t->schedule, t->ranks, t->microbatches, t->stages, role(c, 0), c->t[0]->backend,
             role(c, 1), c->t[1]->backend, err_txt);
    worst_text(c, line2, sizeof line2);
    ppsr_gp_title(gp, p->opt->title ? p->opt->title : line1, line2);
    fprintf(gp, "set lmargin at screen %.6f\nset rmargin at screen %.6f\n",
            (double)MARGIN_LEFT / p->width, 1 - (double)MARGIN_RIGHT / p->width);
    fprintf(gp, "set tmargin at screen %.6f\nset bmargin at screen %.6f\n",
            1 - (double)MARGIN_TOP / p->height, (double)MARGIN_BOTTOM / p->height);
    fprintf(gp, "set xrange [0:%.9g]\nset yrange [%.2f:-0.5]\n",
            (c->span > 0 ? c->span : 1) * c->u.scale, t->ranks - 0.5);
    fprintf(gp, "set xlabel 'time (%s), each timeline from its first event'\n", c->u.name);
    fputs("set xtics out nomirror\nset mxtics\nset ytics nomirror scale 0 (", gp);
    for (int r = 0; r < t->ranks; r++)
        fprintf(gp, "%s'rank %d %s' %.2f, '%s' %.2f", r ? ", " : "", r, role(c, 0),
                r + ROW_Y[0], role(c, 1), r + ROW_Y[1]);
    fputs(") font ',9'\n", gp);
    fputs("set grid xtics back lc rgb '#e0e0e0'\n", gp);
    for (int r = 0; r + 1 < t->ranks; r++)
        fprintf(gp, "set arrow %d from graph 0, first %.1f to graph 1, first %.1f nohead "
                    "lc rgb '#bbbbbb' back\n", r + 1, r + 0.5, r + 0.5);
    /* The legend in the bottom margin, one line per timeline, under the axis label. */
    fprintf(gp, "set key at screen %.4f, screen %.4f left bottom vertical Left reverse "
                "maxcols 1 samplen 1.5\n", 10.0 / p->width, 8.0 / p->height);
    fputs("set style fill solid 1.0 border lc rgb '#ffffff'\n", gp);
    fputs("set style textbox opaque fc rgb '#ffffff' noborder margins 1,1\n", gp);
    fputs("\nplot datafile index 'compute' using (($3+$4)/2):($2+rowy($1)):(($4-$3)/2):(boxh):"
          "(colour(strcol(5), $1 > 0 ? 0 : pale)) with boxxyerror lc rgb variable notitle", gp);
    p->hover_plot = 1;
    if (c->nworst) {
        fputs(", \\\n     datafile index 'worst' using (($2+$3)/2):($1+rowy0):(($3-$2)/2):"
              "(boxh+0.03) with boxxyerror fs empty lw 2 lc rgb 0x000000 notitle", gp);
        fputs(", \\\n     datafile index 'worst' using (($4+$5)/2):($1+rowy1):(($5-$4)/2):"
              "(boxh+0.03) with boxxyerror fs empty lw 2 lc rgb 0x000000 notitle", gp);
        /* The number inside the measured box, on white: above it, between the rows, the
         * numbers of neighbouring actions ran into each other and into the outlines. */
        fputs(", \\\n     datafile index 'worst' using (($4+$5)/2):($1+rowy1):6 "
              "with labels boxed font ',8' tc rgb 0x000000 notitle", gp);
    }
    for (int w = 0; w < 2; w++) {
        char lg[300];
        legend_text(c, w, lg, sizeof lg);
        fprintf(gp, ", \\\n     keyentry with boxes fc rgb colour('F', %s) title ",
                w ? "0" : "pale");
        ppsr_gp_string(gp, lg);
    }
    fputc('\n', gp);
    return PPS_OK;
}

/* A copy of t holding only its compute actions (the boxes), so that the diff's worst actions
 * are actions the plot draws. Caller destroys *out. */
static pps_status compute_only(const pps_timeline *t, pps_timeline **out, pps_error *err)
{
    pps_status st = pps_timeline_create(t->ranks, t->stages, t->microbatches, out, err);
    if (st != PPS_OK)
        return st;
    pps_timeline *c = *out;
    memcpy(c->schedule, t->schedule, sizeof c->schedule);
    memcpy(c->source, t->source, sizeof c->source);
    memcpy(c->backend, t->backend, sizeof c->backend);
    c->chunks = t->chunks;
    for (size_t i = 0; i < t->n && st == PPS_OK; i++)
        if (ppsr_is_compute(&t->events[i]))
            st = pps_timeline_append(c, &t->events[i], err);
    return st;
}

pps_status pps_plot_diff(const pps_timeline *pred, const pps_timeline *meas,
                         const pps_plot_options *o, const char *image, pps_error *err)
{
    diff_ctx c = {0};
    pps_timeline *cp = NULL, *cm = NULL;
    pps_status st = pps_analyze(pred, &c.a[0], err);
    if (st == PPS_OK)
        st = pps_analyze(meas, &c.a[1], err);
    if (st == PPS_OK)
        st = compute_only(pred, &cp, err);
    if (st == PPS_OK)
        st = compute_only(meas, &cm, err);
    if (st == PPS_OK)
        st = pps_timeline_diff(cp, cm, &c.d, err);
    if (st == PPS_OK) {
        c.t[0] = cp;
        c.t[1] = cm;
        c.nworst = c.d.nworst < WORST ? c.d.nworst : WORST;
        c.t0[0] = ppsr_first_start(cp);
        c.t0[1] = ppsr_first_start(cm);
        c.span = fmax(c.a[0].makespan, c.a[1].makespan);
        c.u = pps_unit_time(c.span);
        st = ppsr_plot_emit(image, o, write_diff, &c, err);
    }
    pps_diff_clear(&c.d);
    pps_analysis_clear(&c.a[0]);
    pps_analysis_clear(&c.a[1]);
    pps_timeline_destroy(cp);
    pps_timeline_destroy(cm);
    return st;
}
