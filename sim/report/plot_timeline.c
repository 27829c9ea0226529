/* plot_timeline.c — `ppsim plot timeline`: one row per rank, one box per compute action. */
#include "report/plot.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Layout in pixels (docs/plots.md): fixed margins so that the plot area, and with it each box's
 * width, is known when deciding which labels fit. */
enum {
    MARGIN_LEFT = 70, MARGIN_RIGHT = 25, MARGIN_TOP = 62, MARGIN_BOTTOM = 78,
    MIN_PLOT_W = 760, MAX_PLOT_W = 2300,
    /* the shortest action gets room for the widest micro-batch number (this many pixels per
     * digit and 4 more), within the bounds above */
    DIGIT_PX = 7,
};

typedef struct timeline_ctx {
    const pps_timeline *t;
    pps_analysis a;
    double t0;   /* earliest event start: the plot's time 0 */
    pps_unit u;  /* the time axis' unit */
    const char *opt_title;
} timeline_ctx;


/* Row pitch in pixels: generous for a few ranks, tighter for many so P = 32 stays on a page. */
static int row_px(int ranks, int transfers)
{
    int px = ranks <= 8 ? 34 : ranks <= 16 ? 26 : 20;
    return px + (transfers ? 10 : 0);
}

static void resolve_size(const timeline_ctx *c, ppsr_plot *p)
{
    const pps_timeline *t = c->t;
    double min_dur = INFINITY;
    for (size_t i = 0; i < t->n; i++)
        if (ppsr_is_compute(&t->events[i]) && t->events[i].end > t->events[i].start)
            min_dur = fmin(min_dur, t->events[i].end - t->events[i].start);
    double span = c->a.makespan > 0 ? c->a.makespan : 1;
    int digits = 1;
    for (int m = t->microbatches - 1; m >= 10; m /= 10)
        digits++;
    double w = isfinite(min_dur) ? ceil(span / min_dur * (digits * DIGIT_PX + 4)) : MIN_PLOT_W;
    w = fmax(MIN_PLOT_W, fmin(MAX_PLOT_W, w));
    p->width = p->opt->width > 0 ? p->opt->width : (int)w + MARGIN_LEFT + MARGIN_RIGHT;
    p->height = p->opt->height > 0 ? p->opt->height
                                   : MARGIN_TOP + MARGIN_BOTTOM +
                                         t->ranks * row_px(t->ranks, p->opt->transfers);
}


/* The chunk (0-based stage index on its rank) of an action's stage under the timeline's
 * placement: stage s of a loop placement is chunk s / R; 0 when unknown. */
static int chunk_of(const pps_timeline *t, int stage)
{
    return t->chunks > 1 ? stage / t->ranks : 0;
}

/* Vertical layout of a rank's row (data units; rank r's row is centred on y = r): the compute
 * boxes, and with transfers a thin strip below them. */
typedef struct row_geom {
    double box_y, box_h, xfer_y, xfer_h; /* centre offsets and half-heights */
} row_geom;

static row_geom geometry(int transfers)
{
    if (transfers)
        return (row_geom){-0.08, 0.32, 0.33, 0.07};
    return (row_geom){0, 0.38, 0, 0};
}

static void write_title(FILE *fp, const timeline_ctx *c)
{
    const pps_timeline *t = c->t;
    char mk[64], line1[256], line2[512];
    pps_format_time(c->a.makespan, mk, sizeof mk);
    ppsr_describe(t, line1, sizeof line1);
    snprintf(line2, sizeof line2, "makespan %s   bubble: idle/total %.1f%% (GPipe), "
             "idle/compute %.1f%% (Megatron), stage-span %.1f%% (Zero Bubble)", mk,
             100 * c->a.idle_over_total, 100 * c->a.idle_over_compute,
             100 * c->a.stage_span_rate);
    ppsr_gp_title(fp, c->opt_title ? c->opt_title : line1, line2);
}

/* The micro-batch label of a box: "7", or "3|1" for an overlapped forward and backward. */
static void label_text(const pps_action *a, char *buf, size_t size)
{
    if (a->kind == PPS_OVERLAP_F_B)
        snprintf(buf, size, "%d|%d", a->mb, a->mb2);
    else
        snprintf(buf, size, "%d", a->mb);
}

/* Where labels go, per kind. When most boxes of a kind hold their label (80% or more), each box
 * that does gets it inside. Otherwise (many ranks and micro-batches) the label of every
 * stride-th micro-batch is drawn over its box on a white ground, so the diagonal of one
 * micro-batch through the ranks can still be followed; stride (2, 5, 10, 20, 50, ...) is the
 * smallest that keeps those labels apart along a row. */
typedef struct label_plan {
    double plot_w;   /* pixels of the plot area */
    double char_px;  /* pixels of one label character */
    int stride[PPS_KIND_COUNT]; /* 0: labels inside boxes that hold them */
} label_plan;

static double box_px(const timeline_ctx *c, const label_plan *lp, const pps_event *e)
{
    return (e->end - e->start) / (c->a.makespan > 0 ? c->a.makespan : 1) * lp->plot_w;
}

static int label_fits(const timeline_ctx *c, const label_plan *lp, const pps_event *e)
{
    char lb[32];
    label_text(&e->action, lb, sizeof lb);
    return box_px(c, lp, e) >= strlen(lb) * lp->char_px + 3;
}

static void plan_labels(const timeline_ctx *c, label_plan *lp)
{
    size_t boxes[PPS_KIND_COUNT] = {0}, fit[PPS_KIND_COUNT] = {0};
    double min_px[PPS_KIND_COUNT];
    int widest = 1;
    for (int k = 0; k < PPS_KIND_COUNT; k++)
        min_px[k] = INFINITY;
    for (size_t i = 0; i < c->t->n; i++) {
        const pps_event *e = &c->t->events[i];
        if (!ppsr_is_compute(e))
            continue;
        char lb[32];
        label_text(&e->action, lb, sizeof lb);
        if ((int)strlen(lb) > widest)
            widest = (int)strlen(lb);
        boxes[e->action.kind]++;
        fit[e->action.kind] += label_fits(c, lp, e);
        if (e->end > e->start)
            min_px[e->action.kind] = fmin(min_px[e->action.kind], box_px(c, lp, e));
    }
    for (int k = 0; k < PPS_KIND_COUNT; k++) {
        lp->stride[k] = 0;
        if (!boxes[k] || fit[k] * 5 >= boxes[k] * 4)
            continue;
        double need = 1.5 * widest * lp->char_px + 6, px = isfinite(min_px[k]) ? min_px[k] : 1;
        /* 2, 5, 10, 20, 50, 100, ...: strides people count in */
        int stride = 2;
        for (int step = 0; stride * px < need && stride < c->t->microbatches; step++)
            stride = step % 3 == 0 ? stride / 2 * 5 : stride * 2;
        lp->stride[k] = stride;
    }
    /* One stride for every thinned kind, so that a row's labels count alike. */
    int common = 0;
    for (int k = 0; k < PPS_KIND_COUNT; k++)
        common = lp->stride[k] > common ? lp->stride[k] : common;
    for (int k = 0; k < PPS_KIND_COUNT; k++)
        lp->stride[k] = lp->stride[k] ? common : 0;
}

static void write_boxes(const timeline_ctx *c, ppsr_plot *p, FILE *data, pps_error *err,
                        pps_status *st)
{
    const pps_timeline *t = c->t;
    fputs("# compute actions: rank start end kind chunk action hover\n", data);
    for (size_t i = 0; i < t->n && *st == PPS_OK; i++) {
        const pps_event *e = &t->events[i];
        if (!ppsr_is_compute(e))
            continue;
        char act[PPS_ACTION_TEXT_MAX], hover[PPS_ACTION_TEXT_MAX + 160], ns[32], ne[32];
        pps_action_format(&e->action, act, sizeof act);
        pps_format_number(e->start - c->t0, c->u, ns, sizeof ns);
        pps_format_number(e->end - c->t0, c->u, ne, sizeof ne);
        snprintf(hover, sizeof hover, "%s start %s %s end %s %s", act, ns, c->u.name, ne,
                 c->u.name);
        fprintf(data, "%d %.9g %.9g %s %d \"%s\" \"%s\"\n", e->rank,
                (e->start - c->t0) * c->u.scale, (e->end - c->t0) * c->u.scale,
                ppsr_kind_code((pps_kind)e->action.kind), chunk_of(t, e->action.stage), act, hover);
        *st = ppsr_plot_hover(p, hover, err);
    }
}

/* Writes the data sets "labels" (inside their boxes) and "thinned" (every stride-th
 * micro-batch on a white ground, skipping one that would touch the label before it on its
 * row); counts each. */
static pps_status write_labels(const timeline_ctx *c, const label_plan *lp, double y_off,
                               FILE *data, size_t count[2], pps_error *err)
{
    const pps_timeline *t = c->t;
    double span = c->a.makespan > 0 ? c->a.makespan : 1;
    double *right = malloc((size_t)t->ranks * sizeof *right); /* last thinned label's end, px */
    if (!right)
        return pps_error_set(err, PPS_ENOMEM, "plot: out of memory");
    for (int r = 0; r < t->ranks; r++)
        right[r] = -INFINITY;
    count[0] = count[1] = 0;
    for (int block = 0; block < 2; block++) {
        fputs(block == 0 ? "\n\n# labels inside the boxes that hold them: x y text colour\n"
                         : "\n\n# thinned labels, every stride-th micro-batch where boxes "
                           "are too narrow: x y text\n",
              data);
        for (size_t i = 0; i < t->n; i++) {
            const pps_event *e = &t->events[i];
            if (!ppsr_is_compute(e))
                continue;
            int stride = lp->stride[e->action.kind];
            char lb[32];
            label_text(&e->action, lb, sizeof lb);
            double x = ((e->start + e->end) / 2 - c->t0) * c->u.scale, y = e->rank + y_off;
            if (block == 0 && !stride && label_fits(c, lp, e)) {
                unsigned col = pps_plot_colour((pps_kind)e->action.kind,
                                               chunk_of(t, e->action.stage), t->chunks);
                fprintf(data, "%.9g %.9g \"%s\" %u\n", x, y, lb, pps_plot_text_colour(col));
                count[0]++;
            } else if (block == 1 && stride && e->action.mb % stride == 0) {
                double mid = ((e->start + e->end) / 2 - c->t0) / span * lp->plot_w;
                double half = (strlen(lb) * lp->char_px + 4) / 2;
                if (mid - half < right[e->rank] + 2)
                    continue;
                right[e->rank] = mid + half;
                fprintf(data, "%.9g %.9g \"%s\"\n", x, y, lb);
                count[1]++;
            }
        }
    }
    free(right);
    return PPS_OK;
}

/* The compute actions on the critical path (o->critical), drawn again as black outlines over
 * their boxes; returns how many. */
static size_t write_critical(const timeline_ctx *c, const uint8_t *critical, FILE *data)
{
    const pps_timeline *t = c->t;
    size_t n = 0;
    fputs("\n\n# critical path (compute actions on it): rank start end action\n", data);
    for (size_t i = 0; i < t->n; i++) {
        const pps_event *e = &t->events[i];
        if (!critical[i] || !ppsr_is_compute(e))
            continue;
        char act[PPS_ACTION_TEXT_MAX];
        pps_action_format(&e->action, act, sizeof act);
        fprintf(data, "%d %.9g %.9g \"%s\"\n", e->rank, (e->start - c->t0) * c->u.scale,
                (e->end - c->t0) * c->u.scale, act);
        n++;
    }
    return n;
}

static size_t write_transfers(const timeline_ctx *c, FILE *data)
{
    const pps_timeline *t = c->t;
    size_t n = 0;
    fputs("\n\n# transfers going out (the send queue): rank start end kind action\n",
          data);
    for (size_t i = 0; i < t->n; i++) {
        const pps_event *e = &t->events[i];
        if (e->action.kind != PPS_SEND_F && e->action.kind != PPS_SEND_B)
            continue;
        char act[PPS_ACTION_TEXT_MAX];
        pps_action_format(&e->action, act, sizeof act);
        fprintf(data, "%d %.9g %.9g %s \"%s\"\n", e->rank, (e->start - c->t0) * c->u.scale,
                (e->end - c->t0) * c->u.scale, pps_kind_name((pps_kind)e->action.kind), act);
        n++;
    }
    return n;
}

/* The legend: the kinds this timeline holds (each chunk's tint when v > 1), then the transfers;
 * each entry a colour expression of the script and a title. */
enum { MAX_LEGEND = 5 * 8 + 3 };

typedef struct legend {
    char colour[MAX_LEGEND][40];
    char title[MAX_LEGEND][64];
    uint8_t outline[MAX_LEGEND]; /* 1: an outline in that colour, not a filled box */
    int n;
    int cols, rows; /* as laid out in the bottom margin */
} legend;

static void build_legend(const timeline_ctx *c, int transfers, int critical, int width,
                         legend *lg)
{
    const pps_timeline *t = c->t;
    int present[PPS_KIND_COUNT] = {0};
    for (size_t i = 0; i < t->n; i++)
        if (ppsr_is_compute(&t->events[i]))
            present[t->events[i].action.kind] = 1;
    static const pps_kind order[] = {PPS_F, PPS_B, PPS_I, PPS_W, PPS_OVERLAP_F_B};
    static const char *names[] = {"forward", "backward", "backward (inputs)",
                                  "backward (weights)", "forward & backward overlapped"};
    /* Chunk tints are listed up to 8 chunks; beyond, the last entry stands for the rest. */
    int nchunks = t->chunks > 1 ? (t->chunks < 8 ? t->chunks : 8) : 1;
    lg->n = 0;
    memset(lg->outline, 0, sizeof lg->outline);
    size_t widest = 1;
    for (size_t k = 0; k < sizeof order / sizeof *order; k++) {
        if (!present[order[k]])
            continue;
        for (int ch = 0; ch < nchunks; ch++, lg->n++) {
            const char *code = ppsr_kind_code(order[k]);
            snprintf(lg->colour[lg->n], sizeof lg->colour[0], "colour('%s', tint(%d))", code,
                     ch);
            if (nchunks > 1)
                snprintf(lg->title[lg->n], sizeof lg->title[0], "%s %s, chunk %d", code,
                         names[k], ch);
            else
                snprintf(lg->title[lg->n], sizeof lg->title[0], "%s %s", code, names[k]);
        }
    }
    if (transfers) {
        snprintf(lg->colour[lg->n], sizeof lg->colour[0], "cSEND_F");
        snprintf(lg->title[lg->n++], sizeof lg->title[0], "send F (transfer)");
        snprintf(lg->colour[lg->n], sizeof lg->colour[0], "cSEND_B");
        snprintf(lg->title[lg->n++], sizeof lg->title[0], "send B");
    }
    if (critical) {
        snprintf(lg->colour[lg->n], sizeof lg->colour[0], "'#000000'");
        lg->outline[lg->n] = 1;
        snprintf(lg->title[lg->n++], sizeof lg->title[0], "critical path");
    }
    for (int i = 0; i < lg->n; i++)
        if (strlen(lg->title[i]) > widest)
            widest = strlen(lg->title[i]);
    /* A column: the title (at most 7.5 px a character at 10 points), the sample and gaps. Too
     * wide a guess only costs a row: gnuplot then takes no more columns than maxcols. */
    int col_px = (int)(widest * 7.5) + 80;
    lg->cols = (width - 40) / col_px;
    if (lg->cols < 1)
        lg->cols = 1;
    if (lg->cols > lg->n)
        lg->cols = lg->n ? lg->n : 1;
    lg->rows = (lg->n + lg->cols - 1) / lg->cols;
}

static void write_legend(const legend *lg, FILE *gp)
{
    for (int i = 0; i < lg->n; i++) {
        if (lg->outline[i])
            fprintf(gp, ", \\\n     keyentry with boxes fs empty border lw 2.5 lc rgb %s "
                        "title ", lg->colour[i]);
        else
            fprintf(gp, ", \\\n     keyentry with boxes fc rgb %s title ", lg->colour[i]);
        ppsr_gp_string(gp, lg->title[i]);
    }
}

static pps_status write_timeline(const void *ctx, ppsr_plot *p, FILE *data, FILE *gp,
                                 pps_error *err)
{
    const timeline_ctx *c = ctx;
    const pps_timeline *t = c->t;
    const pps_plot_options *o = p->opt;
    resolve_size(c, p);
    legend lg;
    build_legend(c, o->transfers, o->critical != NULL, p->width, &lg);
    int bottom = MARGIN_BOTTOM + 18 * (lg.rows - 1);
    if (o->height <= 0)
        p->height += bottom - MARGIN_BOTTOM;
    int rowpx = (p->height - MARGIN_TOP - bottom) / t->ranks;
    int label_pt = rowpx >= 24 ? 8 : 7;
    label_plan lp = {.plot_w = p->width - MARGIN_LEFT - MARGIN_RIGHT,
                     /* pngcairo and svg draw a digit of an N-point font about 0.8·N pixels wide */
                     .char_px = 0.8 * label_pt};
    plan_labels(c, &lp);
    row_geom g = geometry(o->transfers);

    fprintf(data, "# ppsim timeline plot data: %s, %d ranks, %d stages, %d micro-batches.\n",
            t->schedule, t->ranks, t->stages, t->microbatches);
    fprintf(data, "# Times in %s from the first event (%.17g s in the timeline).\n", c->u.name,
            c->t0);
    pps_status st = PPS_OK;
    write_boxes(c, p, data, err, &st);
    if (st != PPS_OK)
        return st;
    size_t nlabels[2] = {0, 0};
    if ((st = write_labels(c, &lp, g.box_y, data, nlabels, err)) != PPS_OK)
        return st;
    size_t nxfer = o->transfers ? write_transfers(c, data) : 0;
    size_t ncrit = o->critical ? write_critical(c, o->critical, data) : 0;

    ppsr_script_begin(gp, p, "a timeline plot");
    ppsr_script_palette(gp);
    fputs("# Chunk c of v is drawn mixed with white by tint(c): later chunks are lighter.\n", gp);
    fprintf(gp, "v = %d\n", t->chunks > 1 ? t->chunks : 1);
    fputs("tint(c) = v > 1 ? 0.55 * c / (v - 1) : 0\n\n", gp);
    write_title(gp, c);
    fprintf(gp, "set lmargin at screen %.6f\nset rmargin at screen %.6f\n",
            (double)MARGIN_LEFT / p->width, 1 - (double)MARGIN_RIGHT / p->width);
    fprintf(gp, "set tmargin at screen %.6f\nset bmargin at screen %.6f\n",
            1 - (double)MARGIN_TOP / p->height, (double)bottom / p->height);
    fprintf(gp, "set xrange [0:%.9g]\n", (c->a.makespan > 0 ? c->a.makespan : 1) * c->u.scale);
    fprintf(gp, "set yrange [%.2f:-0.5]\n", t->ranks - 0.5);
    fprintf(gp, "set xlabel 'time (%s)'\n", c->u.name);
    fputs("set xtics out nomirror\nset mxtics\nset ytics nomirror scale 0 (", gp);
    for (int r = 0; r < t->ranks; r++)
        fprintf(gp, "%s'rank %d' %d", r ? ", " : "", r, r);
    fputs(")\n", gp);
    fputs("set grid xtics back lc rgb '#e0e0e0' lw 1\n", gp);
    fprintf(gp, "set key outside bottom center horizontal maxcols %d samplen 1.5 width 1\n",
            lg.cols);
    fputs("set style fill solid 1.0 border lc rgb '#ffffff'\n", gp);
    fputs("set style textbox opaque fc rgb '#ffffff' noborder margins 1,1\n", gp);
    /* A faint band per rank, so that idle time reads as an empty slot of the row. */
    for (int r = 0; r < t->ranks; r++)
        fprintf(gp, "set object %d rect from graph 0, first %.2f to graph 1, first %.2f "
                    "fc rgb '#f3f3f3' fs solid 1.0 noborder behind\n",
                r + 1, r + g.box_y - g.box_h, r + g.box_y + g.box_h);
    fprintf(gp, "boxh = %.3f; boxy = %.3f; xferh = %.3f; xfery = %.3f\n", g.box_h, g.box_y,
            g.xfer_h, g.xfer_y);
    fprintf(gp, "labelfont = 'DejaVu Sans,%d'\n", label_pt);
    fputs("\nplot datafile index 'compute' using (($2+$3)/2):($1+boxy):(($3-$2)/2):(boxh):"
          "(colour(strcol(4), tint($5))) with boxxyerror lc rgb variable notitle", gp);
    p->hover_plot = 1;
    if (nlabels[0])
        fputs(", \\\n     datafile index 'labels' using 1:2:3:4 with labels font labelfont "
              "tc rgb variable notitle", gp);
    if (nlabels[1])
        fputs(", \\\n     datafile index 'thinned' using 1:2:3 with labels boxed font labelfont "
              "tc rgb '#000000' notitle", gp);
    if (nxfer)
        fputs(", \\\n     datafile index 'transfers' using (($2+$3)/2):($1+xfery):(($3-$2)/2):(xferh):"
              "(colour(strcol(4), 0)) with boxxyerror fs solid 1.0 noborder "
              "lc rgb variable notitle", gp);
    if (ncrit)
        fputs(", \\\n     datafile index 'critical' using (($2+$3)/2):($1+boxy):(($3-$2)/2):"
              "(boxh) with boxxyerror fs empty border lw 2.5 lc rgb '#000000' notitle", gp);
    write_legend(&lg, gp);
    fputc('\n', gp);
    return PPS_OK;
}

pps_status pps_plot_timeline(const pps_timeline *t, const pps_plot_options *o, const char *image,
                             pps_error *err)
{
    timeline_ctx c = {.t = t, .opt_title = o->title};
    pps_status st = pps_analyze(t, &c.a, err);
    if (st != PPS_OK)
        return st;
    c.t0 = ppsr_first_start(t);
    c.u = pps_unit_time(c.a.makespan);
    st = ppsr_plot_emit(image, o, write_timeline, &c, err);
    pps_analysis_clear(&c.a);
    return st;
}
