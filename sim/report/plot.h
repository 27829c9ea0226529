/* plot.h — what the plot writers of sim/report/ share: the plot being written, the driver that
 * writes its data and script and has gnuplot draw it, the palette and gnuplot text helpers.
 * Internal to libppsim; prefix ppsr_. */
#ifndef PPSR_PLOT_H
#define PPSR_PLOT_H

#include <stdio.h>

#include "ppsim.h"

/* One plot being written. The driver fills the names and the format; the writer resolves the
 * size (from the options or the content) before it writes the script's header. */
typedef struct ppsr_plot {
    const pps_plot_options *opt;
    int svg;            /* 1: SVG, 0: PNG (pngcairo) */
    int width, height;  /* pixels */
    const char *image;  /* file names without the folder: "t.png", "t.dat", "t.gp" */
    const char *data;
    const char *script;
    /* SVG only: the hover text of each box of gnuplot's plot element number hover_plot
     * (1-based, as its gnuplot_plot_N groups), in data order. Added with ppsr_plot_hover;
     * owned and freed by the driver. */
    int hover_plot;
    char **hover;
    size_t nhover, hover_cap;
} ppsr_plot;

/* Writes the plot's data into `data` and its gnuplot script into `script`. */
typedef pps_status (*ppsr_write_fn)(const void *ctx, ppsr_plot *p, FILE *data, FILE *script,
                                    pps_error *err);

/* The driver (plot.c): checks the image's extension, writes BASE.dat and BASE.gp atomically
 * with `write`, then (o->render) runs gnuplot and renames the image into place. */
pps_status ppsr_plot_emit(const char *image, const pps_plot_options *o, ppsr_write_fn write,
                          const void *ctx, pps_error *err);

/* Appends a copy of one box's hover text (SVG only; a no-op for PNG). */
pps_status ppsr_plot_hover(ppsr_plot *p, const char *text, pps_error *err);

/* The script's opening: a comment naming the data, the terminal at the plot's size, outfile
 * (overridable with -e "outfile='...'"), text without gnuplot's markup. */
void ppsr_script_begin(FILE *fp, const ppsr_plot *p, const char *what);

/* Two lines (the second may be NULL) as one double-quoted gnuplot string. */
void ppsr_gp_lines(FILE *fp, const char *line1, const char *line2);
/* `set title` with two lines (the second may be NULL), as a double-quoted gnuplot string. */
void ppsr_gp_title(FILE *fp, const char *line1, const char *line2);
/* "1f1b: P = 4, M = 8, v = 1 (simulated)" or "(measured, cpu)". */
void ppsr_describe(const pps_timeline *t, char *buf, size_t size);

/* Writes s as a gnuplot single-quoted string ('' for a quote; control characters as blanks). */
void ppsr_gp_string(FILE *fp, const char *s);

/* Runs gnuplot (gnuplot.c): `program` (NULL: "gnuplot" on PATH) in folder dir, loading
 * script_name (relative to dir) with outfile '-', and returns the image it writes to stdout in
 * *image (caller frees; *len bytes, then a NUL not counted). PPS_EIO with one line (how to
 * install gnuplot when it is missing, or gnuplot's own error) when it fails or draws nothing;
 * *image is then NULL. */
pps_status ppsr_gnuplot_run(const char *program, const char *dir, const char *script_name,
                            char **image, size_t *len, pps_error *err);

/* Gives the k-th box (a <polygon>) of gnuplot_plot_N in the SVG text *svg (NUL-terminated, *len
 * bytes) the k-th title, replacing *svg (svg.c). Leaves it as it is when the count of boxes
 * differs from n. PPS_ENOMEM when out of memory. */
pps_status ppsr_svg_add_titles(char **svg, size_t *len, int plot_index, char *const *titles,
                               size_t n, pps_error *err);

/* Colour-blind-safe colours (Okabe & Ito) as 0xRRGGBB. */
enum {
    PPSR_BLUE = 0x0072B2,
    PPSR_ORANGE = 0xE69F00,
    PPSR_SKY = 0x56B4E9,
    PPSR_GREEN = 0x009E73,
    PPSR_YELLOW = 0xF0E442,
    PPSR_VERMILLION = 0xD55E00,
    PPSR_PURPLE = 0xCC79A7,
    PPSR_GREY = 0x999999,
    PPSR_DARK_YELLOW = 0xB8A200, /* Okabe & Ito's yellow darkened to show on white */
};

/* The earliest start of any event (0 for none): every plot's time 0. */
double ppsr_first_start(const pps_timeline *t);
/* 1 for an F, B, I, W or OVERLAP_F_B on the compute stream: the actions drawn as boxes. */
int ppsr_is_compute(const pps_event *e);
/* "F", "B", "I", "W" or "FB" (overlapped): the data files' kind column. */
const char *ppsr_kind_code(pps_kind k);
/* The script's palette: cF ... cSEND_B, kindcolour(k) of a kind code, colour(k, f). */
void ppsr_script_palette(FILE *gp);

/* The colour of a kind (compute kinds and SEND_F/SEND_B); grey for any other. */
unsigned ppsr_kind_colour(pps_kind k);
/* c mixed with white by f in [0, 1] (lighter tints for later chunks). */
unsigned ppsr_tint(unsigned c, double f);
/* Black or white, whichever reads better on c. */
unsigned ppsr_text_colour(unsigned c);

#endif
