/* diff.c — predicted vs measured timeline: makespan, bubble, busy time and per-action errors
 * (docs/validation-method.md). */
#include "ppsim.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* (meas − pred) / pred; 0 when equal (both 0 included), NaN when pred is 0 and meas is not or
 * either is NaN. */
static double rel_error(double pred, double meas)
{
    if (pred == meas)
        return 0;
    if (pred == 0 || isnan(pred) || isnan(meas))
        return NAN;
    return (meas - pred) / pred;
}

static pps_diff_value value(double pred, double meas)
{
    return (pps_diff_value){pred, meas, meas - pred, rel_error(pred, meas)};
}

/* An event and its position in its timeline, for sorting by key. */
typedef struct keyed {
    const pps_event *e;
    size_t idx;
} keyed;

/* Orders by (rank, stream, peer, action fields); equal keys are equal actions on one queue. */
static int cmp_key(const pps_event *x, const pps_event *y)
{
    long a[9] = {x->rank, x->stream, x->peer, x->action.kind, x->action.stage, x->action.mb,
                 x->action.kind2, x->action.stage2, x->action.mb2};
    long b[9] = {y->rank, y->stream, y->peer, y->action.kind, y->action.stage, y->action.mb,
                 y->action.kind2, y->action.stage2, y->action.mb2};
    for (int i = 0; i < 9; i++)
        if (a[i] != b[i])
            return a[i] < b[i] ? -1 : 1;
    return 0;
}

/* Key order, then timeline order, so that duplicates of one key pair up in timeline order. */
static int cmp_keyed(const void *p, const void *q)
{
    const keyed *x = p, *y = q;
    int c = cmp_key(x->e, y->e);
    if (c)
        return c;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Returns the events of t sorted by key (caller frees), or NULL when out of memory. */
static keyed *sorted_events(const pps_timeline *t)
{
    keyed *k = malloc((t->n ? t->n : 1) * sizeof *k);
    if (!k)
        return NULL;
    for (size_t i = 0; i < t->n; i++)
        k[i] = (keyed){&t->events[i], i};
    qsort(k, t->n, sizeof *k, cmp_keyed);
    return k;
}

static double earliest_start(const pps_timeline *t)
{
    double m = INFINITY;
    for (size_t i = 0; i < t->n; i++)
        if (t->events[i].start < m)
            m = t->events[i].start;
    return t->n ? m : 0;
}

static int cmp_double(const void *p, const void *q)
{
    double a = *(const double *)p, b = *(const double *)q;
    return a < b ? -1 : a > b;
}

/* Value at quantile q of sorted x[0..n): linear interpolation at position q·(n − 1). */
static double quantile(const double *x, size_t n, double q)
{
    if (n == 0)
        return NAN;
    double pos = q * (double)(n - 1);
    size_t lo = (size_t)floor(pos), hi = (size_t)ceil(pos);
    return x[lo] + (pos - (double)lo) * (x[hi] - x[lo]);
}

/* Sorts x[0..n) in place and summarises it. */
static pps_diff_dist distribution(double *x, size_t n)
{
    qsort(x, n, sizeof *x, cmp_double);
    return (pps_diff_dist){quantile(x, n, 0.5), quantile(x, n, 0.9), n ? x[n - 1] : NAN};
}

/* Keeps d->worst sorted by |end error|, largest first; an equal error does not displace an
 * earlier event, so ties keep key order. */
static void keep_worst(pps_diff *d, const pps_diff_event *e)
{
    double v = fabs(e->end_error);
    size_t n = d->nworst;
    if (n == PPS_DIFF_WORST && !(v > fabs(d->worst[n - 1].end_error)))
        return;
    size_t i = n < PPS_DIFF_WORST ? n : n - 1;
    while (i > 0 && v > fabs(d->worst[i - 1].end_error)) {
        d->worst[i] = d->worst[i - 1];
        i--;
    }
    d->worst[i] = *e;
    if (n < PPS_DIFF_WORST)
        d->nworst++;
}

static pps_status check_sizes(const pps_timeline *pred, const pps_timeline *meas, pps_error *err)
{
    const char *names[3] = {"ranks", "stages", "microbatches"};
    int p[3] = {pred->ranks, pred->stages, pred->microbatches};
    int m[3] = {meas->ranks, meas->stages, meas->microbatches};
    for (int i = 0; i < 3; i++)
        if (p[i] != m[i])
            return pps_error_set(err, PPS_EINPUT,
                                 "%s: predicted %d, measured %d (the timelines must describe "
                                 "the same schedule)", names[i], p[i], m[i]);
    return PPS_OK;
}

/* Matches the events of both timelines and fills the event fields of d. */
static pps_status match_events(const pps_timeline *pred, const pps_timeline *meas, pps_diff *d,
                               pps_error *err)
{
    keyed *kp = sorted_events(pred), *km = sorted_events(meas);
    size_t cap = pred->n < meas->n ? pred->n : meas->n;
    double *abs_start = malloc((cap ? cap : 1) * sizeof *abs_start);
    double *abs_end = malloc((cap ? cap : 1) * sizeof *abs_end);
    if (!kp || !km || !abs_start || !abs_end) {
        free(kp);
        free(km);
        free(abs_start);
        free(abs_end);
        return pps_error_set(err, PPS_ENOMEM, "diff: out of memory");
    }
    double op = earliest_start(pred), om = earliest_start(meas);
    size_t i = 0, j = 0, n = 0;
    while (i < pred->n && j < meas->n) {
        int c = cmp_key(kp[i].e, km[j].e);
        if (c < 0) {
            d->only_pred++;
            i++;
        } else if (c > 0) {
            d->only_meas++;
            j++;
        } else {
            const pps_event *p = kp[i++].e, *m = km[j++].e;
            pps_diff_event e = {.action = p->action, .rank = p->rank, .peer = p->peer,
                                .stream = p->stream, .pred_start = p->start - op,
                                .pred_end = p->end - op, .meas_start = m->start - om,
                                .meas_end = m->end - om};
            e.start_error = e.meas_start - e.pred_start;
            e.end_error = e.meas_end - e.pred_end;
            abs_start[n] = fabs(e.start_error);
            abs_end[n] = fabs(e.end_error);
            n++;
            keep_worst(d, &e);
        }
    }
    d->only_pred += pred->n - i;
    d->only_meas += meas->n - j;
    d->matched = n;
    d->abs_start_error = distribution(abs_start, n);
    d->abs_end_error = distribution(abs_end, n);
    free(kp);
    free(km);
    free(abs_start);
    free(abs_end);
    return PPS_OK;
}

static pps_status diff_into(const pps_timeline *pred, const pps_timeline *meas, pps_diff *out,
                            pps_error *err)
{
    pps_status st = check_sizes(pred, meas, err);
    if (st != PPS_OK)
        return st;
    out->ranks = pred->ranks;
    out->stages = pred->stages;
    out->microbatches = pred->microbatches;
    pps_analysis ap = {0}, am = {0};
    if ((st = pps_analyze(pred, &ap, err)) != PPS_OK) {
        pps_error_prefix(err, "predicted timeline");
        return st;
    }
    if ((st = pps_analyze(meas, &am, err)) != PPS_OK) {
        pps_error_prefix(err, "measured timeline");
        pps_analysis_clear(&ap);
        return st;
    }
    out->makespan = value(ap.makespan, am.makespan);
    out->idle_over_total = value(ap.idle_over_total, am.idle_over_total);
    out->idle_over_compute = value(ap.idle_over_compute, am.idle_over_compute);
    out->stage_span_rate = value(ap.stage_span_rate, am.stage_span_rate);
    out->busy = malloc((size_t)out->ranks * sizeof *out->busy);
    if (out->busy)
        for (int r = 0; r < out->ranks; r++)
            out->busy[r] = value(ap.per_rank[r].busy, am.per_rank[r].busy);
    pps_analysis_clear(&ap);
    pps_analysis_clear(&am);
    if (!out->busy)
        return pps_error_set(err, PPS_ENOMEM, "diff: out of memory");
    return match_events(pred, meas, out, err);
}

pps_status pps_timeline_diff(const pps_timeline *pred, const pps_timeline *meas, pps_diff *out,
                             pps_error *err)
{
    memset(out, 0, sizeof *out);
    pps_status st = diff_into(pred, meas, out, err);
    if (st != PPS_OK)
        pps_diff_clear(out);
    return st;
}

void pps_diff_clear(pps_diff *d)
{
    if (!d)
        return;
    free(d->busy);
    memset(d, 0, sizeof *d);
}

int pps_diff_exceeds(const pps_diff *d, double tolerance)
{
    double e = d->makespan.rel_error;
    return !(fabs(e) <= tolerance);
}
