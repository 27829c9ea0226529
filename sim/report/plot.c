/* plot.c — the plot driver: names the data, script and image files, writes the first two
 * atomically, has gnuplot draw the image into memory and writes it whole into place. */
#include "report/plot.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

void pps_plot_options_init(pps_plot_options *o)
{
    memset(o, 0, sizeof *o);
    o->render = 1;
}

pps_status ppsr_plot_hover(ppsr_plot *p, const char *text, pps_error *err)
{
    if (!p->svg)
        return PPS_OK;
    if (p->nhover == p->hover_cap) {
        size_t cap = p->hover_cap ? p->hover_cap * 2 : 256;
        char **h = realloc(p->hover, cap * sizeof *h);
        if (!h)
            return pps_error_set(err, PPS_ENOMEM, "plot: out of memory");
        p->hover = h;
        p->hover_cap = cap;
    }
    if (!(p->hover[p->nhover] = strdup(text)))
        return pps_error_set(err, PPS_ENOMEM, "plot: out of memory");
    p->nhover++;
    return PPS_OK;
}

void ppsr_gp_string(FILE *fp, const char *s)
{
    fputc('\'', fp);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '\'')
            fputs("''", fp);
        else
            fputc(c < 0x20 || c == 0x7f ? ' ' : c, fp);
    }
    fputc('\'', fp);
}

/* Double-quoted gnuplot strings take backslash escapes: a newline becomes \n, quotes and
 * backslashes apostrophes and slashes, other control characters blanks. */
static void gp_dquoted_text(FILE *fp, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '\n')
            fputs("\\n", fp);
        else
            fputc(c == '"' ? '\'' : c == '\\' ? '/' : c < 0x20 || c == 0x7f ? ' ' : c, fp);
    }
}

void ppsr_gp_lines(FILE *fp, const char *line1, const char *line2)
{
    fputc('"', fp);
    gp_dquoted_text(fp, line1);
    if (line2) {
        fputs("\\n", fp);
        gp_dquoted_text(fp, line2);
    }
    fputc('"', fp);
}

void ppsr_gp_title(FILE *fp, const char *line1, const char *line2)
{
    fputs("set title ", fp);
    ppsr_gp_lines(fp, line1, line2);
    fputc('\n', fp);
}

void ppsr_describe(const pps_timeline *t, char *buf, size_t size)
{
    char src[64];
    if (strcmp(t->source, "measured") == 0)
        snprintf(src, sizeof src, "measured, %s", t->backend);
    else
        snprintf(src, sizeof src, "%s", t->source);
    if (t->chunks > 0)
        snprintf(buf, size, "%s: P = %d, M = %d, v = %d (%s)", t->schedule, t->ranks,
                 t->microbatches, t->chunks, src);
    else
        snprintf(buf, size, "%s: P = %d, M = %d, %d stages (%s)", t->schedule, t->ranks,
                 t->microbatches, t->stages, src);
}

void ppsr_script_begin(FILE *fp, const ppsr_plot *p, const char *what)
{
    fprintf(fp, "# %s — %s, written by ppsim %s.\n", p->script, what, PPS_VERSION);
    fprintf(fp, "# Restyle freely, then run `gnuplot %s` in this folder to draw %s again.\n",
            p->script, p->image);
    fprintf(fp, "# Data: %s (its opening comments say what each column holds).\n", p->data);
    fputs("if (!exists(\"outfile\")) outfile = ", fp);
    ppsr_gp_string(fp, p->image);
    fputs("  # '-': to stdout\n", fp);
    fputs("set encoding utf8\n", fp);
    /* noenhanced: names like idle_over_total are text, not gnuplot's subscript markup. */
    if (p->svg)
        fprintf(fp, "set terminal svg size %d,%d dynamic font 'DejaVu Sans,10' noenhanced "
                    "background '#ffffff'\n", p->width, p->height);
    else
        fprintf(fp, "set terminal pngcairo size %d,%d font 'DejaVu Sans,10' noenhanced\n",
                p->width, p->height);
    fputs("if (outfile eq '-') { set output } else { set output outfile }\n", fp);
    fputs("datafile = ", fp);
    ppsr_gp_string(fp, p->data);
    fputc('\n', fp);
}

double ppsr_first_start(const pps_timeline *t)
{
    double t0 = INFINITY;
    for (size_t i = 0; i < t->n; i++)
        t0 = fmin(t0, t->events[i].start);
    return isfinite(t0) ? t0 : 0;
}

int ppsr_is_compute(const pps_event *e)
{
    return e->stream == PPS_STREAM_COMPUTE && pps_kind_is_compute((pps_kind)e->action.kind);
}

const char *ppsr_kind_code(pps_kind k)
{
    return k == PPS_OVERLAP_F_B ? "FB" : pps_kind_name(k);
}

void ppsr_script_palette(FILE *gp)
{
    fputs("\n# Colours per kind (Okabe & Ito, readable with colour-blindness); colour(k, f) is\n"
          "# kind k's colour mixed with white by f in [0, 1].\n", gp);
    fprintf(gp, "cF = 0x%06X; cB = 0x%06X; cI = 0x%06X; cW = 0x%06X; cFB = 0x%06X\n",
            ppsr_kind_colour(PPS_F), ppsr_kind_colour(PPS_B), ppsr_kind_colour(PPS_I),
            ppsr_kind_colour(PPS_W), ppsr_kind_colour(PPS_OVERLAP_F_B));
    fprintf(gp, "cSEND_F = 0x%06X; cSEND_B = 0x%06X\n", ppsr_kind_colour(PPS_SEND_F),
            ppsr_kind_colour(PPS_SEND_B));
    fputs("kindcolour(k) = k eq 'F' ? cF : k eq 'B' ? cB : k eq 'I' ? cI : k eq 'W' ? cW : "
          "k eq 'SEND_F' ? cSEND_F : k eq 'SEND_B' ? cSEND_B : cFB\n"
          "mix(x, f) = int(x + (255 - x) * f)\n"
          "colour(k, f) = (mix((kindcolour(k) >> 16) & 255, f) << 16) + "
          "(mix((kindcolour(k) >> 8) & 255, f) << 8) + mix(kindcolour(k) & 255, f)\n", gp);
}

unsigned ppsr_kind_colour(pps_kind k)
{
    switch (k) {
    case PPS_F: return PPSR_BLUE;
    case PPS_B: return PPSR_ORANGE;
    case PPS_I: return PPSR_VERMILLION;
    case PPS_W: return PPSR_GREEN;
    case PPS_OVERLAP_F_B: return PPSR_PURPLE;
    case PPS_SEND_F: return PPSR_SKY;
    case PPS_SEND_B: return PPSR_DARK_YELLOW;
    default: return PPSR_GREY;
    }
}

unsigned pps_plot_colour(pps_kind k, int chunk, int chunks)
{
    if (chunks <= 1)
        return ppsr_kind_colour(k);
    if (chunk >= chunks)
        chunk = chunks - 1;
    return ppsr_tint(ppsr_kind_colour(k), 0.55 * (chunk < 0 ? 0 : chunk) / (chunks - 1));
}

unsigned pps_plot_text_colour(unsigned rgb)
{
    return ppsr_text_colour(rgb);
}

unsigned ppsr_tint(unsigned c, double f)
{
    unsigned out = 0;
    for (int shift = 16; shift >= 0; shift -= 8) {
        unsigned x = (c >> shift) & 255;
        out |= (unsigned)(x + (255 - x) * f) << shift;
    }
    return out;
}

unsigned ppsr_text_colour(unsigned c)
{
    /* Relative luminance (ITU-R BT.709 weights, on the gamma-encoded values, which is close
     * enough to choose between black and white). */
    double l = (0.2126 * ((c >> 16) & 255) + 0.7152 * ((c >> 8) & 255) + 0.0722 * (c & 255)) / 255;
    return l > 0.5 ? 0x000000 : 0xFFFFFF;
}

/* The parts of an image path: its folder ("." when none) and the three file names. */
typedef struct plot_names {
    char *dir, *image, *data, *script;
    char *data_path, *script_path;
} plot_names;

static void names_free(plot_names *n)
{
    free(n->dir);
    free(n->image);
    free(n->data);
    free(n->script);
    free(n->data_path);
    free(n->script_path);
}

static char *joined(const char *a, const char *b, const char *c)
{
    size_t n = strlen(a) + strlen(b) + strlen(c) + 1;
    char *s = malloc(n);
    if (s)
        snprintf(s, n, "%s%s%s", a, b, c);
    return s;
}

static pps_status make_names(const char *image, plot_names *n, int *svg, pps_error *err)
{
    memset(n, 0, sizeof *n);
    const char *slash = strrchr(image, '/');
    const char *file = slash ? slash + 1 : image;
    size_t len = strlen(file);
    const char *ext = len > 4 ? file + len - 4 : "";
    if (strcasecmp(ext, ".png") != 0 && strcasecmp(ext, ".svg") != 0)
        return pps_error_set(err, PPS_EINPUT, "%s: the image must end in .png or .svg", image);
    *svg = strcasecmp(ext, ".svg") == 0;
    char *base = strndup(file, len - 4);
    n->dir = slash ? strndup(image, slash == image ? 1 : (size_t)(slash - image)) : strdup(".");
    n->image = strdup(file);
    if (base && n->image) {
        n->data = joined(base, ".dat", "");
        n->script = joined(base, ".gp", "");
    }
    free(base);
    if (n->dir && n->data && n->script) {
        n->data_path = joined(n->dir, "/", n->data);
        n->script_path = joined(n->dir, "/", n->script);
    }
    if (!n->data_path || !n->script_path) {
        names_free(n);
        return pps_error_set(err, PPS_ENOMEM, "%s: out of memory", image);
    }
    return PPS_OK;
}

static pps_status write_files(const plot_names *n, ppsr_plot *p, ppsr_write_fn write,
                              const void *ctx, pps_error *err)
{
    pps_outfile data = {0}, script = {0};
    pps_status st = pps_outfile_open(&data, n->data_path, err);
    if (st == PPS_OK)
        st = pps_outfile_open(&script, n->script_path, err);
    if (st == PPS_OK)
        st = write(ctx, p, data.fp, script.fp, err);
    /* Both or neither: the script is useless without its data. Flush both (a full disk shows
     * here) before either is renamed into place. */
    if (st == PPS_OK)
        st = pps_outfile_flush(&data, err);
    if (st == PPS_OK)
        st = pps_outfile_flush(&script, err);
    if (st == PPS_OK)
        st = pps_outfile_commit(&data, err);
    if (st == PPS_OK)
        st = pps_outfile_commit(&script, err);
    pps_outfile_abort(&data);
    pps_outfile_abort(&script);
    return st;
}

/* gnuplot draws into memory; only a complete image is written, through an output file that
 * replaces the old image only once it is whole (pps_outfile). */
static pps_status render(const char *image, const plot_names *n, const ppsr_plot *p,
                         pps_error *err)
{
    char *img = NULL;
    size_t len = 0;
    pps_status st = ppsr_gnuplot_run(p->opt->gnuplot, n->dir, n->script, &img, &len, err);
    if (st == PPS_OK && p->svg && p->hover_plot > 0)
        st = ppsr_svg_add_titles(&img, &len, p->hover_plot, p->hover, p->nhover, err);
    pps_outfile o = {0};
    if (st == PPS_OK)
        st = pps_outfile_open(&o, image, err);
    if (st == PPS_OK && fwrite(img, 1, len, o.fp) != len)
        st = pps_outfile_check(&o, PPS_EIO, err);
    if (st == PPS_OK)
        st = pps_outfile_commit(&o, err);
    pps_outfile_abort(&o);
    free(img);
    return st;
}

pps_status ppsr_plot_emit(const char *image, const pps_plot_options *o, ppsr_write_fn write,
                          const void *ctx, pps_error *err)
{
    plot_names n;
    ppsr_plot p = {.opt = o};
    pps_status st = make_names(image, &n, &p.svg, err);
    if (st != PPS_OK)
        return st;
    p.image = n.image;
    p.data = n.data;
    p.script = n.script;
    st = write_files(&n, &p, write, ctx, err);
    if (st == PPS_OK && o->render)
        st = render(image, &n, &p, err);
    for (size_t i = 0; i < p.nhover; i++)
        free(p.hover[i]);
    free(p.hover);
    names_free(&n);
    return st;
}
