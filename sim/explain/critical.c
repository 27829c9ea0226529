/* critical.c — the critical path of a simulated run, followed back through the record of what
 * bound each start (pps_bounds), and its compact text form (docs/explain.md). */
#include "ppsim.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void pps_critical_path_clear(pps_critical_path *p)
{
    if (!p)
        return;
    free(p->seg);
    free(p->rank_seconds);
    memset(p, 0, sizeof *p);
}

static int is_comm_event(const pps_event *e)
{
    return pps_kind_is_comm((pps_kind)e->action.kind);
}

/* The event the walk starts from: the latest end, a compute event preferred, the first in
 * event order among equals. */
static size_t last_event(const pps_timeline *t)
{
    size_t best = 0;
    for (size_t i = 1; i < t->n; i++) {
        const pps_event *e = &t->events[i], *b = &t->events[best];
        int later = e->end > b->end;
        int better_kind = e->end == b->end && is_comm_event(b) && !is_comm_event(e);
        if (later || better_kind)
            best = i;
    }
    return best;
}

/* Adds one segment to the (backward) list, growing it. */
static pps_status push(pps_critical_path *p, size_t *cap, const pps_path_segment *s,
                       pps_error *err)
{
    if (p->n == *cap) {
        size_t nc = *cap ? 2 * *cap : 64;
        pps_path_segment *ns = realloc(p->seg, nc * sizeof *ns);
        if (!ns)
            return pps_error_set(err, PPS_ENOMEM, "critical path: out of memory");
        p->seg = ns;
        *cap = nc;
    }
    p->seg[p->n++] = *s;
    return PPS_OK;
}

static void account(pps_critical_path *p)
{
    for (size_t i = 0; i < p->n; i++) {
        const pps_path_segment *s = &p->seg[i];
        double d = s->end - s->start;
        if (s->transfer) {
            p->transfer_seconds += d;
            if (s->order)
                p->queue_wait_seconds += d;
            continue;
        }
        p->compute_seconds += d;
        p->kind_seconds[s->action.kind] += d;
        if (s->rank >= 0 && s->rank < p->ranks)
            p->rank_seconds[s->rank] += d;
        if (s->order)
            p->stream_wait_seconds += d;
    }
}

pps_status pps_critical_path_find(const pps_timeline *t, const pps_bounds *b,
                                  pps_critical_path *out, pps_error *err)
{
    memset(out, 0, sizeof *out);
    if (b->n != t->n || (t->n && (!b->pred || !b->partner || !b->bound)))
        return pps_error_set(err, PPS_EINPUT, "critical path: the record holds %zu events, the "
                             "timeline %zu", b->n, t->n);
    out->ranks = t->ranks;
    out->rank_seconds = calloc(t->ranks > 0 ? (size_t)t->ranks : 1, sizeof *out->rank_seconds);
    if (!out->rank_seconds)
        return pps_error_set(err, PPS_ENOMEM, "critical path: out of memory");
    if (t->n == 0)
        return PPS_OK;
    double first = INFINITY;
    for (size_t i = 0; i < t->n; i++)
        first = fmin(first, t->events[i].start);
    size_t cap = 0, at = last_event(t);
    out->makespan = t->events[at].end - first;
    uint8_t order = 0; /* how the segment found next is waited for by the one after it */
    /* Every step moves to an event that bound an earlier start, so the walk ends within as
     * many steps as there are events unless the record is not this timeline's. */
    for (size_t steps = 0; steps <= t->n; steps++) {
        const pps_event *e = &t->events[at];
        pps_path_segment s = {.start = e->start, .end = e->end, .action = e->action,
                              .event = (int32_t)at, .rank = e->rank, .peer = -1,
                              .order = order};
        size_t from = at; /* the event whose start the walk continues from */
        int32_t q = b->partner[at];
        if (is_comm_event(e) && q >= 0 && (size_t)q < t->n) {
            int send = e->stream == PPS_STREAM_SEND;
            size_t si = send ? at : (size_t)q, ri = send ? (size_t)q : at;
            const pps_event *se = &t->events[si], *re = &t->events[ri];
            from = se->start >= re->start ? si : ri;
            s.start = t->events[from].start;
            s.action = se->action;
            s.event = (int32_t)ri;
            s.rank = se->rank;
            s.peer = re->rank;
            s.transfer = 1;
        }
        pps_status st = push(out, &cap, &s, err);
        if (st != PPS_OK)
            return st;
        if (b->bound[from] == PPS_BOUND_NONE) {
            /* Reversed into time order: the chain must close at the step's first instant. */
            for (size_t i = 0, j = out->n - 1; i < j; i++, j--) {
                pps_path_segment tmp = out->seg[i];
                out->seg[i] = out->seg[j];
                out->seg[j] = tmp;
            }
            out->origin = out->seg[0].start;
            account(out);
            if (out->origin != first)
                return pps_error_set(err, PPS_EINPUT, "critical path: the chain starts at %g s, "
                                     "the timeline at %g s", out->origin, first);
            return PPS_OK;
        }
        int32_t p = b->pred[from];
        if (p < 0 || (size_t)p >= t->n || t->events[p].end != t->events[from].start)
            break;
        order = b->bound[from] == PPS_BOUND_STREAM;
        at = (size_t)p;
    }
    return pps_error_set(err, PPS_EINPUT, "critical path: the record does not form a chain "
                         "back to the start at event %zu", at);
}

/* ------------------------------------------------------------------ text */

/* The label of a compute action: kind and micro-batch, with the stage first where a rank
 * holds several stages (as `ppsim show` writes them). */
static void label(const pps_timeline *t, const pps_action *a, char *buf, size_t size)
{
    if (t->chunks == 1 && t->stages == t->ranks && a->kind != PPS_OVERLAP_F_B)
        snprintf(buf, size, "%s%d", pps_kind_name((pps_kind)a->kind), a->mb);
    else
        pps_action_format(a, buf, size);
}

/* Segment b continues segment a in a folded run: both compute on one rank, the same kind and
 * stage, b's micro-batch one after a's in the run's direction. */
static int continues(const pps_path_segment *a, const pps_path_segment *b, int dir)
{
    return !a->transfer && !b->transfer && a->rank == b->rank &&
           a->action.kind == b->action.kind && a->action.kind != PPS_OVERLAP_F_B &&
           a->action.stage == b->action.stage && b->action.mb - a->action.mb == dir;
}

/* How many segments from seg[i] form a run of period `period` (1: F0 F1 F2; 2: F0 B0 F1 B1),
 * each segment continuing the one `period` before it, all on one rank. */
static size_t run_length(const pps_path_segment *seg, size_t n, size_t i, int period)
{
    if (i + (size_t)period >= n || seg[i].transfer)
        return 1;
    int dir = seg[i + (size_t)period].action.mb - seg[i].action.mb;
    if (dir != 1 && dir != -1)
        return 1;
    size_t j = i + 1;
    while (j < n && !seg[j].transfer && seg[j].rank == seg[i].rank &&
           (j < i + (size_t)period || continues(&seg[j - (size_t)period], &seg[j], dir)))
        j++;
    size_t len = j - i;
    return len - len % (size_t)period;
}

/* Writes "LABEL" of segment k and returns its duration. */
static double seg_label(const pps_timeline *t, const pps_path_segment *s, char *buf, size_t size)
{
    label(t, &s->action, buf, size);
    return s->end - s->start;
}

/* Writes seg[i..] as one folded run ("F0..F7 (8 × 1.00 s)", "F0 B0 .. F7 B7 (8 × (1.00 s +
 * 2.00 s))", or one action) and returns the index after it. */
static size_t write_run(FILE *fp, const pps_timeline *t, const pps_path_segment *seg, size_t n,
                        size_t i)
{
    size_t one = run_length(seg, n, i, 1), two = run_length(seg, n, i, 2);
    int period = two >= 4 && two > one ? 2 : 1;
    size_t len = period == 2 ? two : one;
    char a[PPS_ACTION_TEXT_MAX], b[PPS_ACTION_TEXT_MAX], d[32], e[32];
    if (len == 1) {
        pps_format_time(seg_label(t, &seg[i], a, sizeof a), d, sizeof d);
        fprintf(fp, "%s (%s)", a, d);
        return i + 1;
    }
    /* Equal durations along each of the run's chains are written once. */
    double total = 0;
    int same = 1;
    for (size_t k = i; k < i + len; k++) {
        double dk = seg[k].end - seg[k].start;
        total += dk;
        same &= dk == seg[i + (k - i) % (size_t)period].end - seg[i + (k - i) % (size_t)period].start;
    }
    size_t reps = len / (size_t)period;
    if (period == 1) {
        double d0 = seg_label(t, &seg[i], a, sizeof a);
        seg_label(t, &seg[i + len - 1], b, sizeof b);
        pps_format_time(same ? d0 : total, d, sizeof d);
        fprintf(fp, same ? "%s..%s (%zu × %s)" : "%s..%s (%zu, %s)", a, b, reps, d);
        return i + len;
    }
    double d0 = seg_label(t, &seg[i], a, sizeof a), d1 = seg_label(t, &seg[i + 1], b, sizeof b);
    fprintf(fp, "%s %s .. ", a, b);
    seg_label(t, &seg[i + len - 2], a, sizeof a);
    seg_label(t, &seg[i + len - 1], b, sizeof b);
    if (same) {
        pps_format_time(d0, d, sizeof d);
        pps_format_time(d1, e, sizeof e);
        fprintf(fp, "%s %s (%zu × (%s + %s))", a, b, reps, d, e);
    } else {
        pps_format_time(total, d, sizeof d);
        fprintf(fp, "%s %s (%zu actions, %s)", a, b, len, d);
    }
    return i + len;
}

static void percent(FILE *fp, double part, double whole)
{
    fprintf(fp, "%.1f%%", whole > 0 ? 100 * part / whole : 0);
}

pps_status pps_critical_path_write_text(const pps_critical_path *p, const pps_timeline *t,
                                        FILE *fp, pps_error *err)
{
    char d[32];
    pps_format_time(p->makespan, d, sizeof d);
    fprintf(fp, "critical path: %zu segments, %s (the makespan)\n", p->n, d);
    size_t i = 0;
    while (i < p->n) {
        const pps_path_segment *s = &p->seg[i];
        if (s->transfer) {
            if (s->end > s->start) {
                char a[PPS_ACTION_TEXT_MAX];
                pps_action_format(&s->action, a, sizeof a);
                pps_format_time(s->end - s->start, d, sizeof d);
                fprintf(fp, "  transfer %d -> %d: %s (%s%s)\n", s->rank, s->peer, a, d,
                        s->order ? ", the next transfer queued behind it" : "");
            }
            i++;
            continue;
        }
        fprintf(fp, "  rank %d: ", s->rank);
        int first = 1;
        /* A line holds the compute runs of one rank until the path leaves it (a zero-length
         * transfer between two runs of one rank does not break the line). */
        while (i < p->n) {
            if (p->seg[i].transfer) {
                if (p->seg[i].end > p->seg[i].start)
                    break;
                size_t k = i;
                while (k < p->n && p->seg[k].transfer && p->seg[k].end <= p->seg[k].start)
                    k++;
                if (k == p->n || p->seg[k].rank != s->rank)
                    break;
                i = k;
            }
            if (p->seg[i].rank != s->rank)
                break;
            if (!first)
                fputs(", ", fp);
            first = 0;
            i = write_run(fp, t, p->seg, p->n, i);
        }
        fputc('\n', fp);
        while (i < p->n && p->seg[i].transfer && p->seg[i].end <= p->seg[i].start)
            i++; /* free transfers take no time: not shown */
    }
    double m = p->makespan;
    fputs("share of the makespan: compute ", fp);
    percent(fp, p->compute_seconds, m);
    for (int k = 0; k < PPS_KIND_COUNT; k++) {
        if (p->kind_seconds[k] <= 0)
            continue;
        fprintf(fp, ", %s ", pps_kind_name((pps_kind)k));
        percent(fp, p->kind_seconds[k], m);
    }
    fputs("; communication ", fp);
    percent(fp, p->transfer_seconds, m);
    fputs(" (queued behind earlier transfers ", fp);
    percent(fp, p->queue_wait_seconds, m);
    fputs(")\nper rank:", fp);
    for (int r = 0; r < p->ranks; r++) {
        fprintf(fp, "%s rank %d ", r ? "," : "", r);
        percent(fp, p->rank_seconds[r], m);
    }
    fputs("\nwaiting for a busy stream rather than for data: ", fp);
    percent(fp, p->stream_wait_seconds, m);
    fputc('\n', fp);
    return ferror(fp) ? pps_error_set(err, PPS_EIO, "critical path: write error") : PPS_OK;
}

/* ------------------------------------------------------------------ marking a timeline */

/* An event's rank and action (kind, stage, micro-batch and an overlapped pair's second half):
 * sorted, a path's action is found by binary search. */
typedef struct ev_key {
    int32_t k[7];
    size_t event;
} ev_key;

static ev_key key_of(const pps_event *e, size_t i)
{
    const pps_action *a = &e->action;
    return (ev_key){{e->rank, a->kind, a->stage, a->mb, a->kind2, a->stage2, a->mb2}, i};
}

static int key_cmp(const ev_key *x, const ev_key *y)
{
    for (size_t i = 0; i < 7; i++)
        if (x->k[i] != y->k[i])
            return x->k[i] < y->k[i] ? -1 : 1;
    return 0;
}

static int by_key(const void *a, const void *b)
{
    return key_cmp(a, b);
}

pps_status pps_critical_path_mark(const pps_critical_path *p, const pps_timeline *pt,
                                  const pps_timeline *t, uint8_t *marks, size_t *marked,
                                  pps_error *err)
{
    memset(marks, 0, t->n);
    *marked = 0;
    size_t n = 0;
    ev_key *keys = malloc((t->n ? t->n : 1) * sizeof *keys);
    if (!keys)
        return pps_error_set(err, PPS_ENOMEM, "critical path: out of memory");
    for (size_t i = 0; i < t->n; i++)
        if (t->events[i].stream == PPS_STREAM_COMPUTE && !is_comm_event(&t->events[i]))
            keys[n++] = key_of(&t->events[i], i);
    qsort(keys, n, sizeof *keys, by_key);
    for (size_t k = 0; k < p->n; k++) {
        const pps_path_segment *s = &p->seg[k];
        if (s->transfer || s->event < 0 || (size_t)s->event >= pt->n)
            continue;
        ev_key want = key_of(&pt->events[s->event], 0);
        size_t lo = 0, hi = n;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (key_cmp(&keys[mid], &want) < 0)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo < n && key_cmp(&keys[lo], &want) == 0 && !marks[keys[lo].event]) {
            marks[keys[lo].event] = 1;
            (*marked)++;
        }
    }
    free(keys);
    return PPS_OK;
}

/* ------------------------------------------------------------------ comparing paths */

/* The index of the next compute segment that takes time at or after i; n when none. */
static size_t next_compute(const pps_critical_path *p, size_t i)
{
    while (i < p->n && (p->seg[i].transfer || p->seg[i].end <= p->seg[i].start))
        i++;
    return i;
}

int pps_critical_path_same(const pps_critical_path *a, const pps_critical_path *b, size_t *at_a,
                           size_t *at_b)
{
    size_t i = next_compute(a, 0), j = next_compute(b, 0);
    while (i < a->n && j < b->n) {
        const pps_path_segment *x = &a->seg[i], *y = &b->seg[j];
        const pps_action *u = &x->action, *v = &y->action;
        if (x->rank != y->rank || u->kind != v->kind || u->stage != v->stage || u->mb != v->mb ||
            u->kind2 != v->kind2 || u->stage2 != v->stage2 || u->mb2 != v->mb2)
            break;
        i = next_compute(a, i + 1);
        j = next_compute(b, j + 1);
    }
    if (at_a)
        *at_a = i;
    if (at_b)
        *at_b = j;
    return i == a->n && j == b->n;
}
