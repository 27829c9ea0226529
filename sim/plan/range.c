/* range.c — the CLI's RANGE syntax for sweeps: "8", "2,4,8", "2-32", "2-256:x2", and lists of them. */
#include "ppsim.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void pps_range_clear(pps_range *r)
{
    if (!r)
        return;
    free(r->values);
    memset(r, 0, sizeof *r);
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return x < y ? -1 : x > y;
}

/* Reads a decimal integer at *p (no sign), advancing *p; -1 when there is none or it is huge. */
static long read_int(const char **p)
{
    const char *s = *p;
    if (*s < '0' || *s > '9')
        return -1;
    errno = 0;
    char *end;
    long v = strtol(s, &end, 10);
    if (errno == ERANGE || v > 1000000000L)
        return -1;
    *p = end;
    return v;
}

static pps_status push(pps_range *r, size_t *cap, long v, pps_error *err)
{
    if (r->n == PPS_RANGE_MAX)
        return pps_error_set(err, PPS_EINPUT, "more than %d values", PPS_RANGE_MAX);
    if (r->n == *cap) {
        size_t c = *cap ? *cap * 2 : 16;
        int *nv = realloc(r->values, c * sizeof *nv);
        if (!nv)
            return pps_error_set(err, PPS_ENOMEM, "out of memory");
        r->values = nv;
        *cap = c;
    }
    r->values[r->n++] = (int)v;
    return PPS_OK;
}

/* One item: "A", "A-B" or "A-B:xK". */
static pps_status parse_item(const char **p, long lo, long hi, pps_range *r, size_t *cap,
                             pps_error *err)
{
    const char *at = *p;
    long a = read_int(p), b = a, factor = 0;
    if (a < 0)
        return pps_error_set(err, PPS_EINPUT, "expected a number at '%s'", at);
    if (**p == '-') {
        (*p)++;
        if ((b = read_int(p)) < 0)
            return pps_error_set(err, PPS_EINPUT, "expected the end of the range after '-' "
                                 "in '%s'", at);
        if (b < a)
            return pps_error_set(err, PPS_EINPUT, "range %ld-%ld runs backwards", a, b);
        if (**p == ':') {
            (*p)++;
            if (**p == 'x') {
                (*p)++;
                factor = read_int(p);
            }
            if (factor < 2)
                return pps_error_set(err, PPS_EINPUT, "expected ':xK' with a factor K >= 2 "
                                     "in '%s'", at);
        }
    }
    if (a < lo || b > hi)
        return pps_error_set(err, PPS_EINPUT, "%ld is out of range [%ld, %ld]", a < lo ? a : b,
                             lo, hi);
    if (factor && a == 0)
        return pps_error_set(err, PPS_EINPUT, "a geometric range cannot start at 0");
    for (long v = a; v <= b; v = factor ? v * factor : v + 1) {
        pps_status st = push(r, cap, v, err);
        if (st != PPS_OK)
            return st;
    }
    return PPS_OK;
}

pps_status pps_range_parse(const char *text, long lo, long hi, pps_range *out, pps_error *err)
{
    memset(out, 0, sizeof *out);
    size_t cap = 0;
    const char *p = text;
    if (!*p)
        return pps_error_set(err, PPS_EINPUT, "empty range");
    for (;;) {
        pps_status st = parse_item(&p, lo, hi, out, &cap, err);
        if (st == PPS_OK && *p != ',' && *p != '\0')
            st = pps_error_set(err, PPS_EINPUT, "unexpected '%s' (ranges look like 8, 2,4,8, "
                               "2-32 or 2-256:x2)", p);
        if (st != PPS_OK) {
            pps_range_clear(out);
            return st;
        }
        if (*p == '\0')
            break;
        p++;
    }
    /* Ascending, each value once, whatever order the items came in. */
    qsort(out->values, out->n, sizeof *out->values, cmp_int);
    size_t k = 0;
    for (size_t i = 0; i < out->n; i++)
        if (k == 0 || out->values[i] != out->values[k - 1])
            out->values[k++] = out->values[i];
    out->n = k;
    return PPS_OK;
}
