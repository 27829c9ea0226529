/* timeline_json.c — the timeline JSON file format (docs/trace.md): its writer (through
 * json_write) and its schema reader (on the streaming scanner, json_scan). */
#include "ppsim.h"

#include "io/json_read.h"
#include "io/json_scan.h"
#include "io/json_write.h"
#include "io/timeline_json.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ writing */

static pps_status put_stage_array(ppsj_writer *w, const char *key, const double *v, int n,
                                  pps_error *err)
{
    for (int s = 0; s < n; s++)
        if (!isfinite(v[s]) || v[s] < 0)
            return pps_error_set(err, PPS_EINPUT, "timeline: %s[%d] = %g is not a finite "
                                 "non-negative number", key, s, v[s]);
    ppsj_newline(w, 1);
    ppsj_key(w, key);
    ppsj_begin_array(w, PPSJ_SPACED);
    for (int s = 0; s < n; s++)
        ppsj_number(w, v[s]);
    ppsj_end_array(w);
    return PPS_OK;
}

/* Refuses what cannot be written as a valid event line, before anything of it is written; i
 * numbers it in the whole timeline. */
static pps_status check_event(const pps_event *e, size_t i, pps_error *err)
{
    if (!isfinite(e->start) || !isfinite(e->end))
        return pps_error_set(err, PPS_EINPUT, "timeline: event %zu: time is not finite", i);
    if (e->rank < 0)
        return pps_error_set(err, PPS_EINPUT, "timeline: event %zu: negative rank", i);
    if (e->stream != PPS_STREAM_COMPUTE && e->stream != PPS_STREAM_SEND &&
        e->stream != PPS_STREAM_RECV)
        return pps_error_set(err, PPS_EINPUT, "timeline: event %zu: unknown stream %d", i,
                             e->stream);
    if (e->stream != PPS_STREAM_COMPUTE && e->peer < 0)
        return pps_error_set(err, PPS_EINPUT, "timeline: event %zu: no peer", i);
    return PPS_OK;
}

pps_status ppsj_timeline_check(const pps_event *ev, size_t n, size_t first, pps_error *err)
{
    for (size_t i = 0; i < n; i++) {
        pps_status st = check_event(&ev[i], first + i, err);
        if (st)
            return st;
    }
    return PPS_OK;
}

/* An event's line: [rank, stream, action, start, end]. */
static const ppsj_column event_columns[5] = {{NULL, PPSJ_FIELD_INTEGER, 0},
                                             {NULL, PPSJ_FIELD_STRING, 0},
                                             {NULL, PPSJ_FIELD_STRING, 0},
                                             {NULL, PPSJ_FIELD_NUMBER, 0},
                                             {NULL, PPSJ_FIELD_NUMBER, 0}};

pps_status ppsj_timeline_begin(ppsj_writer *w, FILE *fp, const pps_timeline *t, pps_error *err)
{
    pps_status st;
    ppsj_begin_file(w, fp, "ppsim-timeline", 1);
    ppsj_newline(w, 1);
    ppsj_member_string(w, "schedule", t->schedule);
    ppsj_member_string(w, "source", t->source);
    ppsj_member_string(w, "backend", t->backend);
    ppsj_member_string(w, "time_unit", "s");
    ppsj_newline(w, 1);
    ppsj_member_integer(w, "ranks", t->ranks);
    ppsj_member_integer(w, "stages", t->stages);
    ppsj_member_integer(w, "microbatches", t->microbatches);
    ppsj_member_integer(w, "chunks", t->chunks);
    ppsj_member_bool(w, "incomplete", t->incomplete);
    ppsj_member_string(w, "note", t->note);
    if (t->act_bytes && (st = put_stage_array(w, "act_bytes", t->act_bytes, t->stages, err)))
        return st;
    if (t->act_w_bytes &&
        (st = put_stage_array(w, "act_w_bytes", t->act_w_bytes, t->stages, err)))
        return st;
    ppsj_newline(w, 1);
    ppsj_key(w, "events");
    ppsj_begin_array(w, PPSJ_COMPACT);
    return PPS_OK;
}

pps_status ppsj_timeline_events(ppsj_writer *w, const pps_event *ev, size_t n, size_t first,
                                pps_error *err)
{
    for (size_t i = 0; i < n; i++) {
        const pps_event *e = &ev[i];
        char stream[PPS_STREAM_TEXT_MAX], action[PPS_ACTION_TEXT_MAX];
        pps_stream_format((pps_stream)e->stream, e->peer, stream);
        if (pps_action_format(&e->action, action, sizeof action) >= (int)sizeof action)
            return pps_error_set(err, PPS_EINPUT, "timeline: event %zu: action text too long",
                                 first + i);
        ppsj_value v[5];
        v[0].i = e->rank;
        v[1].s = stream;
        v[2].s = action;
        v[3].d = e->start;
        v[4].d = e->end;
        ppsj_row(w, 0, event_columns, v, 5);
    }
    return PPS_OK;
}

pps_status ppsj_timeline_end(ppsj_writer *w, pps_error *err)
{
    ppsj_newline(w, 0);
    ppsj_end_array(w);
    ppsj_end_object(w);
    return ppsj_writer_finish(w, "timeline", err);
}

pps_status pps_timeline_write_json(const pps_timeline *t, FILE *fp, pps_error *err)
{
    pps_status st = ppsj_timeline_check(t->events, t->n, 0, err);
    if (st)
        return st;
    ppsj_writer w;
    if ((st = ppsj_timeline_begin(&w, fp, t, err)) ||
        (st = ppsj_timeline_events(&w, t->events, t->n, 0, err)))
        return st;
    return ppsj_timeline_end(&w, err);
}

/* ------------------------------------------------------------------ reading */

/* The reader walks the top-level object with the streaming scanner: header members go into a
 * small cJSON tree, while the events array, which may hold millions of entries, is parsed
 * directly into pps_event records (a tree would take about 500 bytes per event), and the
 * per-stage arrays into their doubles. */

/* Per-event parsing context: the header's sizes and the event's path. */
typedef struct evctx {
    ppsj_scan *c;
    const pps_timeline *t;
    ppsj_path event;   /* $.events[i] */
} evctx;

static pps_status ev_error(const evctx *x, int elem, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* "NAME: $.events[I][ELEM]: message" (ELEM < 0: the event as a whole). */
static pps_status ev_error(const evctx *x, int elem, const char *fmt, ...)
{
    char what[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    ppsj_path el = {&x->event, NULL, (size_t)elem};
    return ppsj_error_at(x->c, elem >= 0 ? &el : &x->event, "%s", what);
}

/* Reads the comma before element elem (elem > 0) and checks the value there is a `want`. */
static pps_status ev_element(evctx *x, int elem, ppsj_type type, const char *want)
{
    ppsj_scan *c = x->c;
    ppsj_skip_ws(c);
    if (elem > 0) {
        if (ppsj_peek(c) == ']')
            return ev_error(x, -1, "expected 5 elements [rank, stream, action, start, end], "
                            "got %d", elem);
        if (ppsj_peek(c) != ',')
            return ppsj_malformed(c, c->pos, "expected ',' or ']'");
        c->pos++;
        ppsj_skip_ws(c);
    }
    if (ppsj_peek_type(c) != type) {
        ppsj_path el = {&x->event, NULL, (size_t)elem};
        return ppsj_wrong_type(c, &el, want);
    }
    return PPS_OK;
}

/* Checks an action's stage and micro-batch against the header. The action's text goes into a
 * message only when there is one (at most 64 characters of it): nothing is formatted for an
 * event that is right, which is nearly every one of millions. */
static pps_status ev_check_action(const evctx *x, const pps_action *a, const char *text,
                                  size_t tlen)
{
    int shown = (int)(tlen > 64 ? 64 : tlen);
    if (a->kind == PPS_IDLE)
        return PPS_OK;
    if (a->stage < 0 || a->stage >= x->t->stages)
        return ev_error(x, 2, "action '%.*s': stage %d is out of range [0, %d)", shown, text,
                        (int)a->stage, x->t->stages);
    if (a->mb >= x->t->microbatches)
        return ev_error(x, 2, "action '%.*s': micro-batch %d is out of range [0, %d)", shown,
                        text, (int)a->mb, x->t->microbatches);
    if (a->kind == PPS_OVERLAP_F_B) {
        if (a->stage2 < 0 || a->stage2 >= x->t->stages)
            return ev_error(x, 2, "action '%.*s': stage %d is out of range [0, %d)", shown,
                            text, (int)a->stage2, x->t->stages);
        if (a->mb2 >= x->t->microbatches)
            return ev_error(x, 2, "action '%.*s': micro-batch %d is out of range [0, %d)",
                            shown, text, (int)a->mb2, x->t->microbatches);
    }
    return PPS_OK;
}

/* Parses "compute", "send:PEER" or "recv:PEER" into e->stream and e->peer. */
static pps_status ev_stream(const evctx *x, const char *s, size_t n, pps_event *e)
{
    int shown = (int)(n > 64 ? 64 : n); /* characters of s in a message, formatted on error only */
    e->peer = -1;
    if (n == 7 && memcmp(s, "compute", 7) == 0) {
        e->stream = PPS_STREAM_COMPUTE;
        return PPS_OK;
    }
    int is_send = n > 5 && memcmp(s, "send:", 5) == 0;
    int is_recv = n > 5 && memcmp(s, "recv:", 5) == 0;
    long peer = 0;
    int digits_ok = (is_send || is_recv) && n - 5 <= 6 && (s[5] != '0' || n == 6);
    for (size_t k = 5; digits_ok && k < n; k++) {
        digits_ok = s[k] >= '0' && s[k] <= '9';
        peer = peer * 10 + (s[k] - '0');
    }
    if (!digits_ok)
        return ev_error(x, 1, "unknown stream '%.*s' (expected \"compute\", \"send:PEER\" or "
                        "\"recv:PEER\")", shown, s);
    if (peer >= x->t->ranks)
        return ev_error(x, 1, "stream '%.*s': peer %ld is out of range [0, %d)", shown, s, peer,
                        x->t->ranks);
    if (peer == e->rank)
        return ev_error(x, 1, "stream '%.*s': peer %ld is the event's own rank", shown, s,
                        peer);
    e->stream = is_send ? PPS_STREAM_SEND : PPS_STREAM_RECV;
    e->peer = (int32_t)peer;
    return PPS_OK;
}

/* Parses one event [rank, "stream", "action", start, end] at the cursor. */
static pps_status parse_event(evctx *x, pps_event *e)
{
    ppsj_scan *c = x->c;
    pps_status st;
    double d;
    const char *str;
    size_t n;
    ppsj_path el = {&x->event, NULL, 0};

    memset(e, 0, sizeof *e);
    ppsj_skip_ws(c);
    if (ppsj_peek_type(c) != PPSJ_ARRAY)
        return ppsj_wrong_type(c, &x->event, "an array [rank, stream, action, start, end]");
    c->pos++;

    if ((st = ev_element(x, 0, PPSJ_NUMBER, "an integer rank")) ||
        (st = ppsj_scan_number(c, &d)))
        return st;
    if (d != floor(d))
        return ev_error(x, 0, "expected an integer rank, got %.17g", d);
    if (!(d >= 0 && d < x->t->ranks))
        return ev_error(x, 0, "rank %.17g is out of range [0, %d)", d, x->t->ranks);
    e->rank = (int32_t)d;

    el.index = 1;
    if ((st = ev_element(x, 1, PPSJ_STRING, "a stream string")) ||
        (st = ppsj_scan_string(c, &el, &str, &n)) || (st = ev_stream(x, str, n, e)))
        return st;

    el.index = 2;
    if ((st = ev_element(x, 2, PPSJ_STRING, "an action string")) ||
        (st = ppsj_scan_string(c, &el, &str, &n)))
        return st;
    pps_error aerr = {0};
    if (pps_action_parse(str, n, &e->action, &aerr) != PPS_OK)
        return ppsj_error_at(c, &el, "%s", aerr.msg);
    if ((st = ev_check_action(x, &e->action, str, n)))
        return st;
    pps_kind k = (pps_kind)e->action.kind;
    if (e->stream == PPS_STREAM_SEND && k != PPS_SEND_F && k != PPS_SEND_B)
        return ev_error(x, 2, "a %s action cannot run on a send stream",
                        k == PPS_IDLE ? "IDLE" : pps_kind_name(k));
    if (e->stream == PPS_STREAM_RECV && k != PPS_RECV_F && k != PPS_RECV_B)
        return ev_error(x, 2, "a %s action cannot run on a recv stream",
                        k == PPS_IDLE ? "IDLE" : pps_kind_name(k));

    for (int elem = 3; elem <= 4; elem++) {
        const char *what = elem == 3 ? "start" : "end";
        if ((st = ev_element(x, elem, PPSJ_NUMBER, "a number")) ||
            (st = ppsj_scan_number(c, &d)))
            return st;
        if (!isfinite(d))
            return ev_error(x, elem, "%s is not finite", what);
        if (d < 0)
            return ev_error(x, elem, "%s %.17g is negative", what, d);
        if (elem == 3)
            e->start = d;
        else
            e->end = d;
    }
    if (e->end < e->start)
        return ev_error(x, 4, "end %.17g is before start %.17g", e->end, e->start);

    ppsj_skip_ws(c);
    if (ppsj_peek(c) == ',')
        return ev_error(x, -1, "expected 5 elements [rank, stream, action, start, end], got "
                        "more");
    return ppsj_expect(c, ']', "expected ']'");
}

/* The fast path of parse_event, for an event as the writer writes it: [RANK,"STREAM","ACTION",
 * START,END] with a plain decimal rank and strings without escapes (whitespace is allowed where
 * JSON allows it). Returns 1 with *e filled and the cursor after the ']' exactly when
 * parse_event would succeed with the same event; 0, the cursor unmoved and nothing said, for
 * everything else, which parse_event then reads (and words the error of, if any). */
static int fast_event(ppsj_scan *c, const pps_timeline *t, pps_event *e)
{
    const char *s = c->s;
    size_t p = c->pos, n = c->len, from;
#define WS()                                                                                     \
    while (p < n && (s[p] == ' ' || s[p] == '\n' || s[p] == '\r' || s[p] == '\t'))             \
    p++
#define SEP()                                                                                    \
    do {                                                                                         \
        WS();                                                                                    \
        if (p >= n || s[p] != ',')                                                               \
            return 0;                                                                            \
        p++;                                                                                     \
        WS();                                                                                    \
    } while (0)
    if (p >= n || s[p] != '[')
        return 0;
    p++;
    WS();
    /* The rank: digits without a leading zero (a "1.0" or "1e0" goes the slow way). */
    long rank = 0;
    for (from = p; p < n && s[p] >= '0' && s[p] <= '9' && p - from < 7; p++)
        rank = rank * 10 + (s[p] - '0');
    if (p == from || (s[from] == '0' && p - from > 1) || rank >= t->ranks ||
        (p < n && ((s[p] >= '0' && s[p] <= '9') || s[p] == '.' || s[p] == 'e' || s[p] == 'E')))
        return 0;
    memset(e, 0, sizeof *e); /* padding too: as parse_event leaves it */
    e->rank = (int32_t)rank;
    SEP();
    /* The stream. */
    if (p >= n || s[p] != '"')
        return 0;
    for (from = ++p; p < n && ppsj_plain_byte[(unsigned char)s[p]]; p++)
        ;
    if (p >= n || s[p] != '"')
        return 0;
    size_t sl = p - from;
    const char *st = s + from;
    p++;
    e->peer = -1;
    if (sl == 7 && memcmp(st, "compute", 7) == 0) {
        e->stream = PPS_STREAM_COMPUTE;
    } else {
        if (sl <= 5 || sl > 11 || (memcmp(st, "send:", 5) != 0 && memcmp(st, "recv:", 5) != 0) ||
            (st[5] == '0' && sl > 6))
            return 0;
        long peer = 0;
        for (size_t k = 5; k < sl; k++) {
            if (st[k] < '0' || st[k] > '9')
                return 0;
            peer = peer * 10 + (st[k] - '0');
        }
        if (peer >= t->ranks || peer == rank)
            return 0;
        e->stream = st[0] == 's' ? PPS_STREAM_SEND : PPS_STREAM_RECV;
        e->peer = (int32_t)peer;
    }
    SEP();
    /* The action. */
    if (p >= n || s[p] != '"')
        return 0;
    for (from = ++p; p < n && ppsj_plain_byte[(unsigned char)s[p]]; p++)
        ;
    if (p >= n || s[p] != '"')
        return 0;
    pps_error aerr;
    if (pps_action_parse(s + from, p - from, &e->action, &aerr) != PPS_OK)
        return 0;
    p++;
    const pps_action *a = &e->action;
    pps_kind k = (pps_kind)a->kind;
    if (k != PPS_IDLE &&
        (a->stage < 0 || a->stage >= t->stages || a->mb >= t->microbatches ||
         (k == PPS_OVERLAP_F_B && (a->stage2 < 0 || a->stage2 >= t->stages ||
                                   a->mb2 >= t->microbatches))))
        return 0;
    if ((e->stream == PPS_STREAM_SEND && k != PPS_SEND_F && k != PPS_SEND_B) ||
        (e->stream == PPS_STREAM_RECV && k != PPS_RECV_F && k != PPS_RECV_B))
        return 0;
    /* The times: the scanner's number path, which says nothing while the grammar holds. */
    double d[2];
    for (int i = 0; i < 2; i++) {
        SEP();
        size_t save = c->pos;
        c->pos = p;
        if (!ppsj_scan_number_quiet(c, &d[i])) {
            c->pos = save;
            return 0;
        }
        p = c->pos;
        c->pos = save;
        if (!isfinite(d[i]) || d[i] < 0)
            return 0;
    }
    if (d[1] < d[0])
        return 0;
    WS();
    if (p >= n || s[p] != ']')
        return 0;
    e->start = d[0];
    e->end = d[1];
    c->pos = p + 1;
    return 1;
#undef SEP
#undef WS
}

static pps_status parse_events(ppsj_scan *c, pps_timeline *t)
{
    static const ppsj_path events = {NULL, "events", 0};
    pps_status st;
    evctx x = {c, t, {&events, NULL, 0}};
    ppsj_skip_ws(c);
    if (ppsj_peek_type(c) != PPSJ_ARRAY)
        return ppsj_wrong_type(c, &events, "an array");
    c->pos++;
    for (int more; (more = ppsj_next_element(c, x.event.index == 0)) != 0; x.event.index++) {
        if (more < 0)
            return PPS_EINPUT;
        if (t->n == t->cap) {
            /* Grown by appending one event (doubling), then written in place. */
            pps_event e = {0};
            if (!fast_event(c, t, &e) && (st = parse_event(&x, &e)))
                return st;
            if ((st = pps_timeline_append(t, &e, c->err)))
                return st;
            continue;
        }
        pps_event *e = &t->events[t->n];
        if (!fast_event(c, t, e) && (st = parse_event(&x, e)))
            return st;
        t->n++;
    }
    return PPS_OK;
}

/* Reads an optional per-stage array of finite non-negative numbers, located at text offset `at`
 * (SIZE_MAX: absent), into *out (allocated). Streamed, not a tree: a file may declare millions of
 * stages, and a tree takes 80 bytes per 2-byte number. */
static pps_status get_stage_array(ppsj_scan *c, size_t at, const char *key, int stages,
                                  double **out)
{
    ppsj_path path = {NULL, key, 0};
    if (at == SIZE_MAX)
        return PPS_OK;
    c->pos = at;
    if (ppsj_peek_type(c) != PPSJ_ARRAY)
        return ppsj_wrong_type(c, &path, "an array");
    size_t n = 0;
    pps_status st = PPS_OK;
    c->pos++;
    for (int more; (more = ppsj_next_element(c, n == 0)) != 0; n++)
        if (more < 0 || (st = ppsj_skip_value(c)))
            return more < 0 ? PPS_EINPUT : st;
    if (n != (size_t)stages)
        return ppsj_error_at(c, &path, "expected %d entries (one per stage), got %zu", stages, n);
    double *v = malloc((n ? n : 1) * sizeof *v); /* n = stages >= 1; said for the analyzer */
    if (!v)
        return pps_error_set(c->err, PPS_ENOMEM, "%s: out of memory for %d stages", c->name,
                             stages);
    c->pos = at + 1;
    for (size_t s = 0; st == PPS_OK && ppsj_next_element(c, s == 0) > 0; s++) {
        ppsj_path el = {&path, NULL, s};
        if (ppsj_peek_type(c) != PPSJ_NUMBER)
            st = ppsj_wrong_type(c, &el, "a number");
        else if ((st = ppsj_scan_number(c, &v[s])) == PPS_OK && !isfinite(v[s]))
            st = ppsj_error_at(c, &el, "number is not finite");
        else if (st == PPS_OK && v[s] < 0)
            st = ppsj_error_at(c, &el, "%.17g is negative", v[s]);
    }
    if (st) {
        free(v);
        return st;
    }
    *out = v;
    return PPS_OK;
}

/* Copies optional string member key into dst (size bytes), refusing longer values. */
static pps_status get_text(const cJSON *hdr, const char *key, char *dst, size_t size,
                           const char *name, pps_error *err)
{
    const char *v = NULL;
    pps_status st = ppsj_get_string(hdr, key, 0, &v, name, "$", err);
    if (st || !v)
        return st;
    if (strlen(v) >= size)
        return pps_error_set(err, PPS_EINPUT, "%s: $.%s: longer than %zu bytes", name, key,
                             size - 1);
    strcpy(dst, v);
    return PPS_OK;
}

/* The header's members (all but events). */
static const char *const header_keys[] = {
    "format", "version", "schedule", "source", "backend", "time_unit", "ranks", "stages",
    "microbatches", "chunks", "incomplete", "note", "act_bytes", "act_w_bytes", NULL};

/* Checks the header and creates the timeline it describes (events not yet read); the per-stage
 * arrays are read with c from their offsets act_at[0] (act_bytes) and act_at[1] (act_w_bytes). */
static pps_status parse_header(const cJSON *hdr, ppsj_scan *c, const size_t *act_at,
                               pps_timeline **out)
{
    const char *name = c->name;
    pps_error *err = c->err;
    pps_status st;
    const char *str = NULL;
    long version = 0, ranks = 0, stages = 0, mbs = 0, chunks = -1;
    pps_timeline *t = NULL;

    if ((st = ppsj_check_keys(hdr, header_keys, name, "$", err)))
        return st;
    if ((st = ppsj_get_string(hdr, "format", 1, &str, name, "$", err)))
        return st;
    if (strcmp(str, "ppsim-timeline") != 0)
        return pps_error_set(err, PPS_EINPUT, "%s: $.format: expected \"ppsim-timeline\", got "
                             "\"%.64s\"", name, str);
    if ((st = ppsj_get_int(hdr, "version", 1, -2147483647L, 2147483647L, &version, name, "$",
                           err)))
        return st;
    if (version != 1)
        return pps_error_set(err, PPS_EINPUT, "%s: $.version: unsupported version %ld (this "
                             "ppsim reads version 1)", name, version);
    str = NULL;
    if ((st = ppsj_get_string(hdr, "time_unit", 0, &str, name, "$", err)))
        return st;
    if (str && strcmp(str, "s") != 0)
        return pps_error_set(err, PPS_EINPUT, "%s: $.time_unit: unsupported unit \"%.64s\" "
                             "(expected \"s\")", name, str);
    if ((st = ppsj_get_int(hdr, "ranks", 1, 1, PPS_MAX_RANKS, &ranks, name, "$", err)) ||
        (st = ppsj_get_int(hdr, "stages", 1, 1, PPS_MAX_CELLS, &stages, name, "$", err)) ||
        (st = ppsj_get_int(hdr, "microbatches", 1, 1, PPS_MAX_MICROBATCHES, &mbs, name, "$",
                           err)) ||
        (st = ppsj_get_int(hdr, "chunks", 0, 0, PPS_MAX_CELLS, &chunks, name, "$", err)))
        return st;
    if ((st = pps_timeline_create((int)ranks, (int)stages, (int)mbs, &t, err))) {
        pps_error_prefix(err, "%s: $", name);
        return st;
    }
    if (chunks >= 0 && chunks != t->chunks) {
        st = pps_error_set(err, PPS_EINPUT, "%s: $.chunks: %ld does not match %d stages on %d "
                           "ranks (expected %d)", name, chunks, t->stages, t->ranks, t->chunks);
        goto fail;
    }
    if ((st = get_text(hdr, "schedule", t->schedule, sizeof t->schedule, name, err)) ||
        (st = get_text(hdr, "source", t->source, sizeof t->source, name, err)) ||
        (st = get_text(hdr, "backend", t->backend, sizeof t->backend, name, err)) ||
        (st = get_text(hdr, "note", t->note, sizeof t->note, name, err)))
        goto fail;
    if (strcmp(t->source, "simulated") != 0 && strcmp(t->source, "measured") != 0) {
        st = pps_error_set(err, PPS_EINPUT, "%s: $.source: expected \"simulated\" or "
                           "\"measured\", got \"%s\"", name, t->source);
        goto fail;
    }
    const cJSON *inc = cJSON_GetObjectItemCaseSensitive(hdr, "incomplete");
    if (inc && !cJSON_IsBool(inc)) {
        st = pps_error_set(err, PPS_EINPUT, "%s: $.incomplete: expected a boolean, got %s", name,
                           ppsj_type_name(inc));
        goto fail;
    }
    t->incomplete = inc && cJSON_IsTrue(inc);
    if ((st = get_stage_array(c, act_at[0], "act_bytes", t->stages, &t->act_bytes)) ||
        (st = get_stage_array(c, act_at[1], "act_w_bytes", t->stages, &t->act_w_bytes)))
        goto fail;
    for (int s = 0; t->act_w_bytes && s < t->stages; s++) {
        double act = t->act_bytes ? t->act_bytes[s] : 1.0;
        if (t->act_w_bytes[s] > act) {
            st = pps_error_set(err, PPS_EINPUT, "%s: $.act_w_bytes[%d]: %.17g exceeds the "
                               "stage's activation of %.17g bytes", name, s, t->act_w_bytes[s],
                               act);
            goto fail;
        }
    }
    *out = t;
    return PPS_OK;
fail:
    pps_timeline_destroy(t);
    return st;
}

/* One pass for the files ppsim writes, whose events come after the header: at the events,
 * ppsj_parse_top hands over the header read so far; when it makes a timeline, the events are
 * read into it at once. Anything wrong (or merely unusual: a header member after the events)
 * drops what was read and the file is read again in two passes (the header, whole, then the
 * events), which word every error as they always have: the messages do not depend on the path. */
typedef struct at_once {
    const size_t *at;      /* ppsj_parse_top's offsets of the deferred members, as it fills them */
    pps_timeline *t;       /* the timeline read at once; NULL: none */
    int header_fields;     /* the header's members when it was made */
    size_t act_at[2];      /* and the per-stage arrays' offsets */
} at_once;

static int read_events_at_once(ppsj_scan *c, int which, const cJSON *hdr, void *ctx)
{
    at_once *o = ctx;
    pps_error quiet; /* what goes wrong here is found again by the two passes, and worded there */
    pps_timeline *t = NULL;
    if (which != 0) /* a per-stage array: checked and located as usual */
        return 0;
    ppsj_scan ev = *c;
    ev.err = &quiet;
    ev.buf = NULL;
    ev.cap = 0;
    size_t events = c->pos;
    pps_status st = parse_header(hdr, &ev, o->at + 1, &t);
    if (st == PPS_OK) {
        ev.pos = events;
        st = parse_events(&ev, t);
    }
    ppsj_scan_free(&ev);
    if (st) {
        pps_timeline_destroy(t);
        return 0;
    }
    c->pos = ev.pos;
    o->t = t;
    o->header_fields = cJSON_GetArraySize(hdr);
    o->act_at[0] = o->at[1];
    o->act_at[1] = o->at[2];
    return 1;
}

pps_status pps_timeline_parse_json(const char *text, size_t len, const char *name,
                                   pps_timeline **out, pps_error *err)
{
    static const char *const deferred[] = {"events", "act_bytes", "act_w_bytes", NULL};
    size_t at[3];
    cJSON *hdr = NULL;
    pps_timeline *t = NULL;
    ppsj_scan c;
    at_once once = {at, NULL, 0, {0, 0}};

    *out = NULL;
    /* Pass 1: the header members into hdr; the events are read at once when the header before
     * them allows, else they and the per-stage arrays are only checked and located. */
    pps_status st = ppsj_parse_top(text, len, name, header_keys, deferred, at,
                                   read_events_at_once, &once, &hdr, err);
    if (st) {
        pps_timeline_destroy(once.t);
        return st;
    }
    ppsj_scan_init(&c, text, len, name, err);
    if (once.t && cJSON_GetArraySize(hdr) == once.header_fields && at[1] == once.act_at[0] &&
        at[2] == once.act_at[1]) {
        t = once.t;
        goto check;
    }
    pps_timeline_destroy(once.t);
    if ((st = parse_header(hdr, &c, at + 1, &t)))
        goto fail;
    if (at[0] == SIZE_MAX) {
        st = pps_error_set(err, PPS_EINPUT, "%s: $.events: missing required field", name);
        goto fail;
    }
    /* Pass 2: the events, checked against the header. */
    c.pos = at[0];
    if ((st = parse_events(&c, t)))
        goto fail;
check:
    if ((st = pps_timeline_check(t, err))) {
        pps_error_prefix(err, "%s", name);
        goto fail;
    }
    ppsj_scan_free(&c);
    cJSON_Delete(hdr);
    *out = t;
    return PPS_OK;
fail:
    ppsj_scan_free(&c);
    cJSON_Delete(hdr);
    pps_timeline_destroy(t);
    return st;
}

pps_status pps_timeline_read(const char *path, pps_timeline **out, pps_error *err)
{
    char *text = NULL;
    size_t len = 0;
    *out = NULL;
    pps_status st = pps_file_slurp(path, &text, &len, err);
    if (st)
        return st;
    st = pps_timeline_parse_json(text, len, path, out, err);
    free(text);
    return st;
}
