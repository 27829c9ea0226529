/* sweep_csv.c — a sweep's rows as CSV, and the merge of the CSVs of its shards into one. */
#include "ppsim.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The --json summary's fields, flattened: per_rank lists become their extremes over ranks. */
static const char header[] =
    "index,schedule,ranks,microbatches,chunks,tf,tb,ti,tw,stages,actions,lowered_actions,"
    "makespan,bubble.idle_over_total,bubble.idle_over_compute,bubble.stage_span_rate,"
    "analytic.idle_over_compute,throughput,per_rank.busy.max,per_rank.peak_activation.min,"
    "per_rank.peak_activation.max,skipped\n";

/* v in the shortest form that reads back as exactly v, the JSON writer's (pps_format_exact);
 * nothing for NaN or infinities (an empty CSV field). */
static void put_number(FILE *fp, double v)
{
    fputc(',', fp);
    if (!isfinite(v))
        return;
    char buf[32];
    pps_format_exact(v, buf, sizeof buf);
    fputs(buf, fp);
}

/* A CSV field: quoted, with "" for a quote, when it holds a comma, a quote or a line break. */
static void put_text(FILE *fp, const char *s)
{
    fputc(',', fp);
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, fp);
        return;
    }
    fputc('"', fp);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', fp);
        fputc(*s == '\r' || *s == '\n' ? ' ' : *s, fp);
    }
    fputc('"', fp);
}

pps_status pps_sweep_write_csv(const pps_sweep_row *rows, size_t n, FILE *fp, pps_error *err)
{
    fputs(header, fp);
    for (size_t i = 0; i < n; i++) {
        const pps_sweep_row *r = &rows[i];
        int ok = r->status == PPS_OK;
        fprintf(fp, "%zu", r->index);
        put_text(fp, r->gen->name);
        fprintf(fp, ",%d,%d,%d", r->ranks, r->microbatches, r->chunks);
        put_number(fp, r->tf);
        put_number(fp, r->tb);
        put_number(fp, r->ti);
        put_number(fp, r->tw);
        if (ok)
            fprintf(fp, ",%d,%zu,%zu", r->stages, r->actions, r->lowered_actions);
        else
            fputs(",,,", fp);
        const double v[] = {r->makespan, r->idle_over_total, r->idle_over_compute,
                            r->stage_span_rate, r->analytic, r->throughput, r->busy_max,
                            r->peak_min, r->peak_max};
        for (size_t k = 0; k < sizeof v / sizeof *v; k++)
            put_number(fp, v[k]);
        put_text(fp, ok ? "" : r->reason);
        fputc('\n', fp);
    }
    return ferror(fp) ? pps_error_set(err, PPS_EIO, "sweep CSV: write error") : PPS_OK;
}

/* ------------------------------------------------------------------ reading */

enum { NCOLUMNS = 22 };

/* Splits one line (without its newline) into NCOLUMNS fields in place: commas end fields, a
 * field in quotes may hold commas and "" for a quote. Returns the number of fields, or -1 for
 * a quote left open. */
static int split_fields(char *line, char **fields)
{
    int n = 0;
    char *p = line;
    for (;;) {
        if (n == NCOLUMNS)
            return n + 1; /* too many */
        if (*p == '"') {
            char *w = ++p;
            fields[n++] = w;
            for (;; p++) {
                if (*p == '\0')
                    return -1;
                if (*p == '"' && p[1] == '"') {
                    *w++ = '"';
                    p++;
                } else if (*p == '"') {
                    p++;
                    break;
                } else {
                    *w++ = *p;
                }
            }
            *w = '\0';
            if (*p != ',' && *p != '\0')
                return -1;
        } else {
            fields[n++] = p;
            p += strcspn(p, ",");
        }
        if (*p == '\0')
            return n;
        *p++ = '\0';
    }
}

/* A number field: empty is NaN; anything but a whole number is an error (returns 0). */
static int number_field(const char *f, double *out)
{
    if (!*f) {
        *out = NAN;
        return 1;
    }
    char *end;
    *out = strtod(f, &end);
    return *end == '\0';
}

static pps_status parse_row(const char *path, size_t lineno, char *line, pps_sweep_row *r,
                            pps_error *err)
{
    char *f[NCOLUMNS + 1];
    int nf = split_fields(line, f);
    if (nf < 0)
        return pps_error_set(err, PPS_EINPUT, "%s:%zu: a quoted field is not closed", path,
                             lineno);
    if (nf != NCOLUMNS)
        return pps_error_set(err, PPS_EINPUT, "%s:%zu: expected %d columns, found %s%d", path,
                             lineno, NCOLUMNS, nf > NCOLUMNS ? "more than " : "",
                             nf > NCOLUMNS ? NCOLUMNS : nf);
    memset(r, 0, sizeof *r);
    r->gen = pps_generator_find(f[1]);
    if (!r->gen)
        return pps_error_set(err, PPS_EINPUT, "%s:%zu: schedule: unknown schedule '%s'", path,
                             lineno, f[1]);
    double v[NCOLUMNS];
    for (int k = 0; k < NCOLUMNS - 1; k++)
        if (k != 1 && !number_field(f[k], &v[k]))
            return pps_error_set(err, PPS_EINPUT, "%s:%zu: column %d: '%s' is not a number",
                                 path, lineno, k + 1, f[k]);
    r->index = (size_t)v[0];
    r->ranks = (int)v[2];
    r->microbatches = (int)v[3];
    r->chunks = (int)v[4];
    r->tf = v[5];
    r->tb = v[6];
    r->ti = v[7];
    r->tw = v[8];
    double *res[] = {&r->makespan, &r->idle_over_total, &r->idle_over_compute,
                     &r->stage_span_rate, &r->analytic, &r->throughput, &r->busy_max,
                     &r->peak_min, &r->peak_max};
    for (int k = 0; k < 9; k++)
        *res[k] = v[12 + k];
    r->status = f[NCOLUMNS - 1][0] ? PPS_EUNSUPPORTED : PPS_OK;
    if (r->status == PPS_OK) {
        r->stages = (int)v[9];
        r->actions = (size_t)v[10];
        r->lowered_actions = (size_t)v[11];
    } else {
        size_t len = strnlen(f[NCOLUMNS - 1], sizeof r->reason - 1);
        memcpy(r->reason, f[NCOLUMNS - 1], len);
        r->reason[len] = '\0';
    }
    return PPS_OK;
}

pps_status pps_sweep_read_csv(const char *path, pps_sweep_row **rows, size_t *n,
                              pps_error *err)
{
    *rows = NULL;
    *n = 0;
    char *text = NULL;
    size_t len = 0;
    pps_status st = pps_file_slurp(path, &text, &len, err);
    if (st != PPS_OK)
        return st;
    size_t hlen = sizeof header - 1, cap = 0;
    if (len < hlen || memcmp(text, header, hlen) != 0)
        st = pps_error_set(err, PPS_EINPUT, "%s:1: not a ppsim sweep CSV (its header differs "
                           "from this ppsim's)", path);
    char *p = text + hlen, *save = NULL;
    size_t lineno = 2;
    for (char *line = st == PPS_OK ? strtok_r(p, "\n", &save) : NULL; line && st == PPS_OK;
         line = strtok_r(NULL, "\n", &save), lineno++) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 1024;
            pps_sweep_row *nr = realloc(*rows, cap * sizeof *nr);
            if (!nr) {
                st = pps_error_set(err, PPS_ENOMEM, "%s: out of memory", path);
                break;
            }
            *rows = nr;
        }
        st = parse_row(path, lineno, line, &(*rows)[*n], err);
        if (st == PPS_OK)
            (*n)++;
    }
    free(text);
    if (st != PPS_OK) {
        free(*rows);
        *rows = NULL;
        *n = 0;
    }
    return st;
}

/* ------------------------------------------------------------------ merging shards */

/* A data line of a shard and the configuration it describes. */
typedef struct csv_line {
    size_t index;
    const char *text; /* the line, newline included, inside its file's buffer */
    size_t len;
    const char *file;
} csv_line;

static int cmp_line(const void *a, const void *b)
{
    const csv_line *x = a, *y = b;
    return x->index < y->index ? -1 : x->index > y->index;
}

/* Appends the data lines of one shard's text to *lines. */
static pps_status collect(const char *path, const char *text, size_t len, csv_line **lines,
                          size_t *n, size_t *cap, pps_error *err)
{
    size_t hlen = sizeof header - 1;
    if (len < hlen || memcmp(text, header, hlen) != 0)
        return pps_error_set(err, PPS_EINPUT, "%s:1: not a ppsim sweep CSV (its header differs "
                             "from this ppsim's)", path);
    const char *p = text + hlen, *end = text + len;
    for (size_t lineno = 2; p < end; lineno++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl)
            return pps_error_set(err, PPS_EINPUT, "%s:%zu: the last line has no newline (a "
                                 "shard cut short?)", path, lineno);
        char *q;
        unsigned long long idx = strtoull(p, &q, 10);
        if (q == p || *q != ',')
            return pps_error_set(err, PPS_EINPUT, "%s:%zu: expected the configuration's index "
                                 "first", path, lineno);
        if (*n == *cap) {
            size_t c = *cap ? *cap * 2 : 4096;
            csv_line *nl2 = realloc(*lines, c * sizeof *nl2);
            if (!nl2)
                return pps_error_set(err, PPS_ENOMEM, "sweep merge: out of memory");
            *lines = nl2;
            *cap = c;
        }
        (*lines)[(*n)++] = (csv_line){(size_t)idx, p, (size_t)(nl + 1 - p), path};
        p = nl + 1;
    }
    return PPS_OK;
}

pps_status pps_sweep_merge_csv(const char *const *paths, size_t n, FILE *fp, pps_error *err)
{
    char **texts = calloc(n ? n : 1, sizeof *texts);
    csv_line *lines = NULL;
    size_t nlines = 0, cap = 0;
    pps_status st = texts ? PPS_OK : pps_error_set(err, PPS_ENOMEM, "sweep merge: out of memory");
    for (size_t i = 0; i < n && st == PPS_OK; i++) {
        size_t len = 0;
        st = pps_file_slurp(paths[i], &texts[i], &len, err);
        if (st == PPS_OK)
            st = collect(paths[i], texts[i], len, &lines, &nlines, &cap, err);
    }
    if (st == PPS_OK) {
        if (nlines)
            qsort(lines, nlines, sizeof *lines, cmp_line);
        /* Indices must run 0, 1, 2, ... with neither a repeat nor a gap. */
        for (size_t i = 0; i < nlines && st == PPS_OK; i++) {
            if (lines[i].index == i)
                continue;
            if (lines[i].index < i)
                st = pps_error_set(err, PPS_EINPUT, "%s: configuration %zu is also in %s (a "
                                   "shard given twice?)", lines[i].file, lines[i].index,
                                   lines[i - 1].file);
            else
                st = pps_error_set(err, PPS_EINPUT, "configuration %zu is in none of the %zu "
                                   "files (a shard missing?)", i, n);
        }
    }
    if (st == PPS_OK) {
        fputs(header, fp);
        for (size_t i = 0; i < nlines; i++)
            fwrite(lines[i].text, 1, lines[i].len, fp);
        if (ferror(fp))
            st = pps_error_set(err, PPS_EIO, "sweep merge: write error");
    }
    for (size_t i = 0; texts && i < n; i++)
        free(texts[i]);
    free(texts);
    free(lines);
    return st;
}
