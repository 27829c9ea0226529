/* timeline.c — the timeline container (a header and the events of one predicted or measured run)
 * and the rules every timeline obeys (pps_timeline_check; docs/trace.md, "Consistency"). */
#include "ppsim.h"
#include "internal.h"

#include "ir/cells.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

pps_status pps_timeline_create(int ranks, int stages, int microbatches, pps_timeline **out,
                               pps_error *err)
{
    *out = NULL;
    /* The same limits as a schedule's: a timeline describes one run of a schedule. */
    pps_status st = pps_check_shape(ranks, stages, microbatches, err);
    if (st != PPS_OK)
        return st;
    pps_timeline *t = calloc(1, sizeof *t);
    if (!t)
        return pps_error_set(err, PPS_ENOMEM, "out of memory");
    strcpy(t->source, "simulated");
    strcpy(t->backend, "sim");
    t->ranks = ranks;
    t->stages = stages;
    t->microbatches = microbatches;
    t->chunks = stages % ranks == 0 ? stages / ranks : 0;
    *out = t;
    return PPS_OK;
}

void pps_timeline_destroy(pps_timeline *t)
{
    if (!t)
        return;
    free(t->act_bytes);
    free(t->act_w_bytes);
    free(t->events);
    free(t);
}

pps_status pps_timeline_append(pps_timeline *t, const pps_event *e, pps_error *err)
{
    if (e->rank < 0 || e->rank >= t->ranks)
        return pps_error_set(err, PPS_EINPUT, "timeline: event rank %d is out of range [0, %d)",
                             (int)e->rank, t->ranks);
    if (t->n == t->cap) {
        /* Doubling keeps appends amortised O(1) for the millions of events of a long run. */
        size_t cap = t->cap ? t->cap * 2 : 1024;
        if (cap > SIZE_MAX / sizeof *t->events)
            return pps_error_set(err, PPS_ENOMEM, "timeline: too many events");
        pps_event *ev = realloc(t->events, cap * sizeof *ev);
        if (!ev)
            return pps_error_set(err, PPS_ENOMEM, "timeline: out of memory for %zu events", cap);
        t->events = ev;
        t->cap = cap;
    }
    t->events[t->n++] = *e;
    return PPS_OK;
}

/* ------------------------------------------------------------------ consistency */

/* Ranges the rules below index by; the reader refuses all of these with better messages. */
static pps_status check_event_ranges(const pps_timeline *t, pps_error *err)
{
    for (size_t i = 0; i < t->n; i++) {
        const pps_event *e = &t->events[i];
        const pps_action *a = &e->action;
        const char *why = NULL;
        if (e->rank < 0 || e->rank >= t->ranks)
            why = "rank out of range";
        else if (e->stream > PPS_STREAM_RECV)
            why = "unknown stream";
        else if (!isfinite(e->start) || !isfinite(e->end) || e->end < e->start)
            why = "times not finite, or end before start";
        else if (a->kind >= PPS_KIND_COUNT)
            why = "unknown action kind";
        else if (ppsi_cell_bit((pps_kind)a->kind) || a->kind == PPS_OVERLAP_F_B) {
            int two = a->kind == PPS_OVERLAP_F_B;
            if (a->stage < 0 || a->stage >= t->stages || a->mb < 0 || a->mb >= t->microbatches ||
                (two && (a->stage2 < 0 || a->stage2 >= t->stages || a->mb2 < 0 ||
                         a->mb2 >= t->microbatches || (a->kind2 != PPS_B && a->kind2 != PPS_I))))
                why = "stage or micro-batch out of range";
        }
        if (why)
            return pps_error_set(err, PPS_EINPUT, "$.events[%zu]: %s", i, why);
    }
    return PPS_OK;
}

/* ---- one rank's compute stream runs one action at a time */

typedef struct span {
    double start, end;
    size_t idx;
    int32_t rank;
} span;

static int cmp_span(const void *a, const void *b)
{
    const span *x = a, *y = b;
    if (x->rank != y->rank)
        return x->rank < y->rank ? -1 : 1;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    if (x->end != y->end)
        return x->end < y->end ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static int on_compute_stream(const pps_event *e)
{
    return e->stream == PPS_STREAM_COMPUTE && e->action.kind != PPS_IDLE;
}

static pps_status overlap_error(const pps_timeline *t, size_t i, size_t j, pps_error *err)
{
    const pps_event *e = &t->events[i], *f = &t->events[j];
    char a[PPS_ACTION_TEXT_MAX], b[PPS_ACTION_TEXT_MAX], s[32], fe[32];
    pps_action_format(&e->action, a, sizeof a);
    pps_action_format(&f->action, b, sizeof b);
    pps_format_exact(e->start, s, sizeof s);
    pps_format_exact(f->end, fe, sizeof fe);
    return pps_error_set(err, PPS_EINPUT, "$.events[%zu]: %s on rank %d starts at %s, before %s "
                         "($.events[%zu]) ends at %s: a rank's compute events must not overlap",
                         i, a, (int)e->rank, s, b, j, fe);
}

/* Sweeps each rank's compute events in time order: an event starting before the latest end so
 * far overlaps the event that ends there. Events come grouped by rank in program order (docs/
 * trace.md), so the file order is usually time order already and needs no memory; otherwise a
 * sorted copy is made. */
static pps_status check_overlaps(const pps_timeline *t, pps_error *err)
{
    size_t r_n = (size_t)t->ranks;
    double *last_start = malloc(r_n * sizeof *last_start), *last_end = malloc(r_n * sizeof *last_end);
    double *max_end = malloc(r_n * sizeof *max_end);
    size_t *max_idx = malloc(r_n * sizeof *max_idx);
    pps_status st = PPS_OK;
    int sorted = 1;
    if (!last_start || !last_end || !max_end || !max_idx) {
        st = pps_error_set(err, PPS_ENOMEM, "timeline check: out of memory");
        goto done;
    }
    for (size_t r = 0; r < r_n; r++) {
        last_start[r] = last_end[r] = max_end[r] = -INFINITY;
        max_idx[r] = 0;
    }
    for (size_t i = 0; i < t->n && sorted; i++) {
        const pps_event *e = &t->events[i];
        if (!on_compute_stream(e))
            continue;
        size_t r = (size_t)e->rank;
        if (e->start < last_start[r] || (e->start == last_start[r] && e->end < last_end[r])) {
            sorted = 0; /* not in (start, end) order: sort below */
            break;
        }
        if (e->start < max_end[r]) {
            st = overlap_error(t, i, max_idx[r], err);
            goto done;
        }
        last_start[r] = e->start;
        last_end[r] = e->end;
        if (e->end > max_end[r]) {
            max_end[r] = e->end;
            max_idx[r] = i;
        }
    }
    if (!sorted) {
        size_t m = 0;
        for (size_t i = 0; i < t->n; i++)
            m += on_compute_stream(&t->events[i]) != 0;
        span *sp = malloc((m ? m : 1) * sizeof *sp);
        if (!sp) {
            st = pps_error_set(err, PPS_ENOMEM, "timeline check: out of memory for %zu events", m);
            goto done;
        }
        m = 0;
        for (size_t i = 0; i < t->n; i++)
            if (on_compute_stream(&t->events[i]))
                sp[m++] = (span){t->events[i].start, t->events[i].end, i, t->events[i].rank};
        qsort(sp, m, sizeof *sp, cmp_span);
        /* top: the event with the latest end so far on the current rank. */
        for (size_t k = 1, top = 0; k < m && st == PPS_OK; k++) {
            int same_rank = sp[k].rank == sp[top].rank;
            if (same_rank && sp[k].start < sp[top].end)
                st = overlap_error(t, sp[k].idx, sp[top].idx, err);
            else if (!same_rank || sp[k].end > sp[top].end)
                top = k;
        }
        free(sp);
    }
done:
    free(last_start);
    free(last_end);
    free(max_end);
    free(max_idx);
    return st;
}

/* ---- each action once, backward after forward, every action when complete */

/* The index of the first event running `kind` on (stage, mb) (a half of an OVERLAP_F_B counts),
 * or t->n. */
static size_t find_action(const pps_timeline *t, pps_kind kind, int stage, int mb)
{
    for (size_t i = 0; i < t->n; i++) {
        const pps_action *a = &t->events[i].action;
        if ((a->kind == kind && a->stage == stage && a->mb == mb) ||
            (a->kind == PPS_OVERLAP_F_B &&
             ((kind == PPS_F && a->stage == stage && a->mb == mb) ||
              (a->kind2 == kind && a->stage2 == stage && a->mb2 == mb))))
            return i;
    }
    return t->n;
}

/* What the rules keep per (stage, mb) cell. Dense (key NULL: slot = stage * M + mb) when the
 * declared S x M is within a few cells per recorded part; otherwise a hash table of the cells the
 * events name, so that a small file declaring 2^24 cells costs memory by its events, not by its
 * header (docs/ir.md, "Out of memory"). */
typedef struct cells {
    uint8_t *seen;
    double *f_end, *i_end; /* when the cell's F (I) ended, seconds */
    uint64_t *key;         /* sparse: [cap] cell + 1 per slot, 0 = free; NULL when dense */
    size_t cap;            /* sparse: a power of two, at least twice the parts */
} cells;

/* The slot of `cell`: dense, its index; sparse, its hash slot, claimed when add is set (the
 * table is never more than half full), else SIZE_MAX when the cell has no slot. */
static size_t slot_of(const cells *c, size_t cell, int add)
{
    if (!c->key)
        return cell;
    size_t mask = c->cap - 1;
    size_t h = (size_t)(((uint64_t)cell * UINT64_C(0x9E3779B97F4A7C15)) >> 20) & mask;
    for (;; h = (h + 1) & mask) {
        if (c->key[h] == (uint64_t)cell + 1)
            return h;
        if (c->key[h] == 0) {
            if (!add)
                return SIZE_MAX;
            c->key[h] = (uint64_t)cell + 1;
            return h;
        }
    }
}

/* What the cell has seen: PPSI_SEEN_* bits. */
static unsigned seen_of(const cells *c, size_t cell)
{
    size_t k = slot_of(c, cell, 0);
    return k == SIZE_MAX ? 0 : c->seen[k];
}

/* One (kind, stage, mb) run by event i from start to end. */
typedef struct part {
    pps_kind kind;
    int stage, mb;
    double start, end;
} part;

/* The recorded parts of event e: none, one, or an OVERLAP_F_B's two halves. */
static int parts_of(const pps_event *e, part out[2])
{
    const pps_action *a = &e->action;
    if (a->kind == PPS_OVERLAP_F_B) {
        out[0] = (part){PPS_F, a->stage, a->mb, e->start, e->end};
        out[1] = (part){(pps_kind)a->kind2, a->stage2, a->mb2, e->start, e->end};
        return 2;
    }
    if (!ppsi_cell_bit((pps_kind)a->kind))
        return 0;
    out[0] = (part){(pps_kind)a->kind, a->stage, a->mb, e->start, e->end};
    return 1;
}

/* Pass 1: each kind once per cell, and when each F and I ended. */
static pps_status record(const pps_timeline *t, cells *c, pps_error *err)
{
    for (size_t i = 0; i < t->n; i++) {
        part p[2];
        int n = parts_of(&t->events[i], p);
        for (int k = 0; k < n; k++) {
            size_t cell = slot_of(c, (size_t)p[k].stage * (size_t)t->microbatches +
                                         (size_t)p[k].mb, 1);
            char why[96];
            if (ppsi_cell_conflict(c->seen[cell], p[k].kind, why, sizeof why)) {
                /* The earlier event: the same kind, or for a B/I/W clash the other kind. */
                size_t j = find_action(t, p[k].kind, p[k].stage, p[k].mb);
                if (j == i || j == t->n)
                    j = find_action(t, p[k].kind == PPS_B ? PPS_I : PPS_B, p[k].stage, p[k].mb);
                if (j == t->n)
                    j = find_action(t, PPS_W, p[k].stage, p[k].mb);
                char a[PPS_ACTION_TEXT_MAX], b[PPS_ACTION_TEXT_MAX];
                pps_action pa = pps_action_make(p[k].kind, p[k].stage, p[k].mb);
                pps_action_format(&pa, a, sizeof a);
                pps_action_format(&t->events[j].action, b, sizeof b);
                return pps_error_set(err, PPS_EINPUT, "$.events[%zu]: %s: %s (after %s, "
                                     "$.events[%zu]): each action runs once", i, a, why, b, j);
            }
            c->seen[cell] |= (uint8_t)ppsi_cell_bit(p[k].kind);
            if (p[k].kind == PPS_F)
                c->f_end[cell] = p[k].end;
            else if (p[k].kind == PPS_I)
                c->i_end[cell] = p[k].end;
        }
    }
    return PPS_OK;
}

/* Pass 2: a backward starts after its forward ended, a W after its I; in a complete timeline
 * both exist. */
static pps_status order(const pps_timeline *t, const cells *c, pps_error *err)
{
    for (size_t i = 0; i < t->n; i++) {
        part p[2];
        int n = parts_of(&t->events[i], p);
        for (int k = 0; k < n; k++) {
            pps_kind before = p[k].kind == PPS_B || p[k].kind == PPS_I ? PPS_F
                              : p[k].kind == PPS_W                   ? PPS_I
                                                                     : PPS_IDLE;
            if (before == PPS_IDLE)
                continue;
            size_t cell = slot_of(c, (size_t)p[k].stage * (size_t)t->microbatches +
                                         (size_t)p[k].mb, 0);
            int seen = cell != SIZE_MAX && (c->seen[cell] & ppsi_cell_bit(before)) != 0;
            double end = !seen ? 0 : before == PPS_F ? c->f_end[cell] : c->i_end[cell];
            if (seen ? !(p[k].start < end) : t->incomplete)
                continue;
            char a[PPS_ACTION_TEXT_MAX], b[PPS_ACTION_TEXT_MAX], s[32], e[32];
            pps_action pa = pps_action_make(p[k].kind, p[k].stage, p[k].mb);
            pps_action pb = pps_action_make(before, p[k].stage, p[k].mb);
            pps_action_format(&pa, a, sizeof a);
            pps_action_format(&pb, b, sizeof b);
            const char *what = before == PPS_F ? "its forward" : "its I";
            if (!seen)
                return pps_error_set(err, PPS_EINPUT, "$.events[%zu]: %s runs without %s %s: "
                                     "only a timeline marked incomplete may miss events", i, a,
                                     what, b);
            pps_format_exact(p[k].start, s, sizeof s);
            pps_format_exact(end, e, sizeof e);
            return pps_error_set(err, PPS_EINPUT, "$.events[%zu]: %s starts at %s, before %s %s "
                                 "($.events[%zu]) ends at %s", i, a, s, what, b,
                                 find_action(t, before, p[k].stage, p[k].mb), e);
        }
    }
    return PPS_OK;
}

/* Pass 3, complete timelines: every cell has its F and a whole backward. */
static pps_status complete(const pps_timeline *t, const cells *c, pps_error *err)
{
    size_t ncells = (size_t)t->stages * (size_t)t->microbatches;
    if (t->n == 0)
        return pps_error_set(err, PPS_EINPUT, "$.events: the timeline has no events");
    /* Sparse, this stops within the first parts + 1 cells: fewer cells than that are named. */
    for (size_t cell = 0; cell < ncells; cell++) {
        unsigned x = seen_of(c, cell);
        const char *missing = !(x & PPSI_SEEN_F)                                 ? "no F"
                              : (x & PPSI_SEEN_I) && !(x & PPSI_SEEN_W)          ? "no W (it has an I)"
                              : !(x & (PPSI_SEEN_B | PPSI_SEEN_I))               ? "no backward (B, or I and W)"
                                                                                 : NULL;
        if (missing)
            return pps_error_set(err, PPS_EINPUT, "$.events: stage %d, micro-batch %d has %s: "
                                 "only a timeline marked incomplete may miss events",
                                 (int)(cell / (size_t)t->microbatches),
                                 (int)(cell % (size_t)t->microbatches), missing);
    }
    return PPS_OK;
}

pps_status pps_timeline_check(const pps_timeline *t, pps_error *err)
{
    pps_status st = check_event_ranges(t, err);
    if (st == PPS_OK)
        st = check_overlaps(t, err);
    if (st != PPS_OK)
        return st;
    size_t ncells = (size_t)t->stages * (size_t)t->microbatches, parts = 0, nslots = ncells;
    for (size_t i = 0; i < t->n; i++) {
        part p[2];
        parts += (size_t)parts_of(&t->events[i], p);
    }
    cells c = {0};
    /* Dense costs 17 bytes per declared cell, sparse 25 per slot at 2 to 4 slots per part. */
    if (ncells > 4 * parts + 4096) {
        c.cap = 64;
        while (c.cap < 2 * parts)
            c.cap *= 2;
        nslots = c.cap;
        c.key = calloc(c.cap, sizeof *c.key);
    }
    /* calloc: pages of cells no event touches are never committed. */
    c.seen = calloc(nslots, 1);
    c.f_end = calloc(nslots, sizeof(double));
    c.i_end = calloc(nslots, sizeof(double));
    if (!c.seen || !c.f_end || !c.i_end || (c.cap && !c.key))
        st = pps_error_set(err, PPS_ENOMEM, "timeline check: out of memory for %zu cells", nslots);
    if (st == PPS_OK)
        st = record(t, &c, err);
    if (st == PPS_OK)
        st = order(t, &c, err);
    if (st == PPS_OK && !t->incomplete)
        st = complete(t, &c, err);
    free(c.seen);
    free(c.f_end);
    free(c.i_end);
    free(c.key);
    return st;
}

int pps_stream_format(pps_stream stream, int peer, char *buf)
{
    if (stream != PPS_STREAM_SEND && stream != PPS_STREAM_RECV) {
        memcpy(buf, "compute", 8);
        return 7;
    }
    /* By hand: snprintf per event is too slow for the millions a timeline file holds. */
    memcpy(buf, stream == PPS_STREAM_SEND ? "send:" : "recv:", 5);
    char d[10];
    int k = 0;
    uint32_t u = peer < 0 ? 0 : (uint32_t)peer;
    do {
        d[k++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    int n = 5;
    while (k)
        buf[n++] = d[--k];
    buf[n] = '\0';
    return n;
}
