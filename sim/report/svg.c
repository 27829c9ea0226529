/* svg.c — gives the boxes of a gnuplot SVG their hover titles (<title> inside each <polygon>). */
#include "report/plot.h"

#include <stdlib.h>
#include <string.h>

/* gnuplot's svg terminal (5.x) puts each plot element in <g id="gnuplot_plot_N" > and draws a
 * filled box as one self-closing <polygon .../>, in data order. */

static size_t xml_escaped_len(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += *s == '&' ? 5 : *s == '<' || *s == '>' ? 4 : 1;
    return n;
}

static char *xml_escape(char *w, const char *s)
{
    for (; *s; s++) {
        const char *rep = *s == '&' ? "&amp;" : *s == '<' ? "&lt;" : *s == '>' ? "&gt;" : NULL;
        if (rep) {
            w += sprintf(w, "%s", rep);
        } else {
            *w++ = *s;
        }
    }
    return w;
}

pps_status ppsr_svg_add_titles(char **svg, size_t *len, int plot_index, char *const *titles,
                               size_t n, pps_error *err)
{
    char *text = *svg, *end_text = text + *len;
    char id[64], next_id[] = "<g id=\"gnuplot_plot_";
    snprintf(id, sizeof id, "<g id=\"gnuplot_plot_%d\" >", plot_index);
    /* gnuplot's SVG is text without NUL bytes: search it as a string (the driver appended a
     * NUL past its end). */
    char *begin = strstr(text, id);
    if (!begin)
        return PPS_OK;
    begin += strlen(id);
    char *end = strstr(begin, next_id);
    if (!end)
        end = end_text;
    /* Count the boxes first: titles go in only when they match one to one. */
    size_t boxes = 0, extra = 0;
    for (char *q = begin; (q = strstr(q, "<polygon")) && q < end; q++)
        boxes++;
    if (boxes != n)
        return PPS_OK;
    for (size_t i = 0; i < n; i++)
        extra += xml_escaped_len(titles[i]) + sizeof "><title></title></polygon>";
    char *out = malloc(*len + extra + 1);
    if (!out)
        return pps_error_set(err, PPS_ENOMEM, "svg: out of memory");
    char *w = out, *r = text;
    size_t k = 0;
    for (char *q = begin; k < n && (q = strstr(q, "<polygon")) && q < end; k++) {
        char *close = strstr(q, "/>");
        if (!close || close > end)
            break;
        memcpy(w, r, (size_t)(close - r));
        w += close - r;
        w += sprintf(w, "><title>");
        w = xml_escape(w, titles[k]);
        w += sprintf(w, "</title></polygon>");
        r = q = close + 2;
    }
    memcpy(w, r, (size_t)(end_text - r));
    w += end_text - r;
    *w = '\0';
    free(text);
    *svg = out;
    *len = (size_t)(w - out);
    return PPS_OK;
}
