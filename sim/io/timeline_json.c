/* timeline_json.c — the timeline JSON file format (docs/trace.md): writer and streaming reader. */
#include "ppsim.h"

#include "io/json_read.h"
#include "io/json_write.h"

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

/* Refuses what cannot be written as a valid event line, before anything is written. */
static pps_status check_events(const pps_timeline *t, pps_error *err)
{
    for (size_t i = 0; i < t->n; i++) {
        const pps_event *e = &t->events[i];
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
    }
    return PPS_OK;
}

pps_status pps_timeline_write_json(const pps_timeline *t, FILE *fp, pps_error *err)
{
    pps_status st = check_events(t, err);
    if (st)
        return st;
    ppsj_writer w;
    ppsj_begin_file(&w, fp, "ppsim-timeline", 1);
    ppsj_newline(&w, 1);
    ppsj_member_string(&w, "schedule", t->schedule);
    ppsj_member_string(&w, "source", t->source);
    ppsj_member_string(&w, "backend", t->backend);
    ppsj_member_string(&w, "time_unit", "s");
    ppsj_newline(&w, 1);
    ppsj_member_integer(&w, "ranks", t->ranks);
    ppsj_member_integer(&w, "stages", t->stages);
    ppsj_member_integer(&w, "microbatches", t->microbatches);
    ppsj_member_integer(&w, "chunks", t->chunks);
    ppsj_member_bool(&w, "incomplete", t->incomplete);
    ppsj_member_string(&w, "note", t->note);
    if (t->act_bytes && (st = put_stage_array(&w, "act_bytes", t->act_bytes, t->stages, err)))
        return st;
    if (t->act_w_bytes &&
        (st = put_stage_array(&w, "act_w_bytes", t->act_w_bytes, t->stages, err)))
        return st;
    ppsj_newline(&w, 1);
    ppsj_key(&w, "events");
    ppsj_begin_array(&w, PPSJ_COMPACT);
    for (size_t i = 0; i < t->n; i++) {
        const pps_event *e = &t->events[i];
        char stream[PPS_STREAM_TEXT_MAX], action[PPS_ACTION_TEXT_MAX];
        pps_stream_format((pps_stream)e->stream, e->peer, stream);
        if (pps_action_format(&e->action, action, sizeof action) >= (int)sizeof action)
            return pps_error_set(err, PPS_EINPUT, "timeline: event %zu: action text too long",
                                 i);
        /* One line per event: [rank, stream, action, start, end]. */
        ppsj_newline(&w, 0);
        ppsj_begin_array(&w, PPSJ_COMPACT);
        ppsj_integer(&w, e->rank);
        ppsj_string(&w, stream);
        ppsj_string(&w, action);
        ppsj_number(&w, e->start);
        ppsj_number(&w, e->end);
        ppsj_end_array(&w);
    }
    ppsj_newline(&w, 0);
    ppsj_end_array(&w);
    ppsj_end_object(&w);
    return ppsj_writer_finish(&w, "timeline", err);
}

/* ------------------------------------------------------------------ reading */

/* The reader scans the top-level object itself: header members are parsed with cJSON (small),
 * while the events array, which may hold millions of entries, is parsed directly into
 * pps_event records without building a cJSON tree (about 500 bytes per event otherwise). */
typedef struct cursor {
    const char *s;
    size_t len, pos;
    const char *name;
    pps_error *err;
} cursor;

static void skip_ws(cursor *c)
{
    while (c->pos < c->len &&
           (c->s[c->pos] == ' ' || c->s[c->pos] == '\n' || c->s[c->pos] == '\r' ||
            c->s[c->pos] == '\t'))
        c->pos++;
}

static int peek(const cursor *c)
{
    return c->pos < c->len ? (unsigned char)c->s[c->pos] : -1;
}

/* "NAME:LINE:COL: malformed JSON: what" at byte offset at. */
static pps_status malformed_at(const cursor *c, size_t at, const char *what)
{
    long line = 1, col = 1;
    for (size_t i = 0; i < at && i < c->len; i++) {
        if (c->s[i] == '\n') {
            line++;
            col = 1;
        } else {
            col++;
        }
    }
    return pps_error_set(c->err, PPS_EINPUT, "%s:%ld:%ld: malformed JSON%s%s", c->name, line,
                         col, what ? ": " : "", what ? what : "");
}

static pps_status expect(cursor *c, char ch, const char *what)
{
    skip_ws(c);
    if (peek(c) != (unsigned char)ch)
        return malformed_at(c, c->pos, what);
    c->pos++;
    return PPS_OK;
}

/* The type of the JSON value starting at the cursor, for messages. */
static const char *value_type_at(const cursor *c)
{
    switch (peek(c)) {
    case '{': return "an object";
    case '[': return "an array";
    case '"': return "a string";
    case 't':
    case 'f': return "a boolean";
    case 'n': return "null";
    case '-':
    case '0': case '1': case '2': case '3': case '4':
    case '5': case '6': case '7': case '8': case '9': return "a number";
    }
    return "an invalid value";
}

/* Scans a string at the cursor. Without escapes *out points into the text; with escapes the
 * decoded text goes to buf (cut at size - 1 bytes). */
static pps_status scan_string(cursor *c, const char **out, size_t *outlen, char *buf,
                              size_t size)
{
    size_t start = c->pos;
    int escaped = 0;
    if (peek(c) != '"')
        return malformed_at(c, c->pos, "expected a string");
    c->pos++;
    for (;;) {
        if (c->pos >= c->len)
            return malformed_at(c, start, "unterminated string");
        unsigned char ch = (unsigned char)c->s[c->pos];
        if (ch == '"')
            break;
        if (ch < 0x20)
            return malformed_at(c, c->pos, "control character in string");
        if (ch == '\\') {
            escaped = 1;
            c->pos++;
        }
        c->pos++;
    }
    c->pos++; /* closing quote */
    if (!escaped) {
        *out = c->s + start + 1;
        *outlen = c->pos - start - 2;
        return PPS_OK;
    }
    /* Rare: let cJSON decode the escapes. */
    cJSON *v = cJSON_ParseWithLength(c->s + start, c->pos - start);
    if (!v || !cJSON_IsString(v)) {
        cJSON_Delete(v);
        return malformed_at(c, start, "bad escape in string");
    }
    size_t n = strlen(v->valuestring);
    if (n >= size)
        n = size - 1;
    memcpy(buf, v->valuestring, n);
    buf[n] = '\0';
    cJSON_Delete(v);
    *out = buf;
    *outlen = n;
    return PPS_OK;
}

/* Scans a JSON number (strict grammar: no '+', 'inf', hex or leading zeros). */
static pps_status scan_number(cursor *c, double *out)
{
    size_t start = c->pos, p = c->pos;
    const char *s = c->s;
    if (p < c->len && s[p] == '-')
        p++;
    if (p < c->len && s[p] == '0') {
        p++;
    } else if (p < c->len && s[p] >= '1' && s[p] <= '9') {
        while (p < c->len && s[p] >= '0' && s[p] <= '9')
            p++;
    } else {
        return malformed_at(c, start, "bad number");
    }
    if (p < c->len && s[p] == '.') {
        p++;
        if (p >= c->len || s[p] < '0' || s[p] > '9')
            return malformed_at(c, start, "bad number");
        while (p < c->len && s[p] >= '0' && s[p] <= '9')
            p++;
    }
    if (p < c->len && (s[p] == 'e' || s[p] == 'E')) {
        p++;
        if (p < c->len && (s[p] == '+' || s[p] == '-'))
            p++;
        if (p >= c->len || s[p] < '0' || s[p] > '9')
            return malformed_at(c, start, "bad number");
        while (p < c->len && s[p] >= '0' && s[p] <= '9')
            p++;
    }
    /* Fast path (Clinger): at most 15 significant digits and no exponent, so the digits and
     * the power of ten are exact doubles and one correctly rounded division gives strtod's
     * result. */
    {
        uint64_t mant = 0;
        int sig = 0, frac = 0, in_frac = 0, simple = 1;
        for (size_t k = start; k < p && simple; k++) {
            char ch = s[k];
            if (ch == '-')
                continue;
            if (ch == '.') {
                in_frac = 1;
                continue;
            }
            if (ch == 'e' || ch == 'E') {
                simple = 0;
                break;
            }
            if (sig || ch != '0')
                sig++;
            mant = mant * 10 + (uint64_t)(ch - '0');
            frac += in_frac;
            simple = sig <= 15 && frac <= 22;
        }
        if (simple) {
            static const double pow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                           1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                           1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
            double d = (double)mant / pow10[frac];
            *out = s[start] == '-' ? -d : d;
            c->pos = p;
            return PPS_OK;
        }
    }
    /* strtod needs a terminated copy: the text need not end in a NUL. */
    char small[64], *buf = small;
    size_t n = p - start;
    if (n >= sizeof small && !(buf = malloc(n + 1)))
        return pps_error_set(c->err, PPS_ENOMEM, "%s: out of memory", c->name);
    memcpy(buf, s + start, n);
    buf[n] = '\0';
    *out = strtod(buf, NULL); /* overflow gives ±HUGE_VAL, refused by the caller as not finite */
    if (buf != small)
        free(buf);
    c->pos = p;
    return PPS_OK;
}

/* Skips one JSON value without checking it (the events array is checked when it is parsed). */
static pps_status skip_value(cursor *c)
{
    size_t start = c->pos;
    int depth = 0;
    while (c->pos < c->len) {
        char ch = c->s[c->pos];
        if (ch == '"') {
            const char *str;
            size_t n;
            char tmp[8];
            pps_status st = scan_string(c, &str, &n, tmp, sizeof tmp);
            if (st)
                return st;
            if (depth == 0)
                return PPS_OK;
            continue;
        }
        if (ch == '[' || ch == '{') {
            depth++;
        } else if (ch == ']' || ch == '}') {
            if (depth == 0)
                return c->pos > start ? PPS_OK : malformed_at(c, start, "expected a value");
            if (--depth == 0) {
                c->pos++;
                return PPS_OK;
            }
        } else if (depth == 0 && (ch == ',' || ch == ' ' || ch == '\n' || ch == '\r' ||
                                  ch == '\t')) {
            return c->pos > start ? PPS_OK : malformed_at(c, start, "expected a value");
        }
        c->pos++;
    }
    return malformed_at(c, start, "unterminated value");
}

/* Per-event parsing context: the header's sizes and the event's index for paths. */
typedef struct evctx {
    cursor *c;
    const pps_timeline *t;
    size_t i;
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
    if (elem >= 0)
        return pps_error_set(x->c->err, PPS_EINPUT, "%s: $.events[%zu][%d]: %s", x->c->name,
                             x->i, elem, what);
    return pps_error_set(x->c->err, PPS_EINPUT, "%s: $.events[%zu]: %s", x->c->name, x->i, what);
}

/* Reads the comma before element elem (elem > 0) and checks the value there is a `want`. */
static pps_status ev_element(evctx *x, int elem, int want_string, const char *want)
{
    cursor *c = x->c;
    skip_ws(c);
    if (elem > 0) {
        if (peek(c) == ']')
            return ev_error(x, -1, "expected 5 elements [rank, stream, action, start, end], "
                            "got %d", elem);
        if (peek(c) != ',')
            return malformed_at(c, c->pos, "expected ',' or ']'");
        c->pos++;
        skip_ws(c);
    }
    const char *type = value_type_at(c);
    int ok = want_string ? peek(c) == '"' : strcmp(type, "a number") == 0;
    if (!ok) {
        if (strcmp(type, "an invalid value") == 0)
            return malformed_at(c, c->pos, "expected a value");
        return ev_error(x, elem, "expected %s, got %s", want, type);
    }
    return PPS_OK;
}

/* Checks an action's stage and micro-batch against the header. */
static pps_status ev_check_action(const evctx *x, const pps_action *a, const char *text,
                                  size_t tlen)
{
    char shown[80];
    snprintf(shown, sizeof shown, "'%.*s'", (int)(tlen > 64 ? 64 : tlen), text);
    if (a->kind == PPS_IDLE)
        return PPS_OK;
    if (a->stage < 0 || a->stage >= x->t->stages)
        return ev_error(x, 2, "action %s: stage %d is out of range [0, %d)", shown,
                        (int)a->stage, x->t->stages);
    if (a->mb >= x->t->microbatches)
        return ev_error(x, 2, "action %s: micro-batch %d is out of range [0, %d)", shown,
                        (int)a->mb, x->t->microbatches);
    if (a->kind == PPS_OVERLAP_F_B) {
        if (a->stage2 < 0 || a->stage2 >= x->t->stages)
            return ev_error(x, 2, "action %s: stage %d is out of range [0, %d)", shown,
                            (int)a->stage2, x->t->stages);
        if (a->mb2 >= x->t->microbatches)
            return ev_error(x, 2, "action %s: micro-batch %d is out of range [0, %d)",
                            shown, (int)a->mb2, x->t->microbatches);
    }
    return PPS_OK;
}

/* Parses "compute", "send:PEER" or "recv:PEER" into e->stream and e->peer. */
static pps_status ev_stream(const evctx *x, const char *s, size_t n, pps_event *e)
{
    char shown[80];
    snprintf(shown, sizeof shown, "%.*s", (int)(n > 64 ? 64 : n), s);
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
        return ev_error(x, 1, "unknown stream '%s' (expected \"compute\", \"send:PEER\" or "
                        "\"recv:PEER\")", shown);
    if (peer >= x->t->ranks)
        return ev_error(x, 1, "stream '%s': peer %ld is out of range [0, %d)", shown, peer,
                        x->t->ranks);
    if (peer == e->rank)
        return ev_error(x, 1, "stream '%s': peer %ld is the event's own rank", shown, peer);
    e->stream = is_send ? PPS_STREAM_SEND : PPS_STREAM_RECV;
    e->peer = (int32_t)peer;
    return PPS_OK;
}

/* Parses one event [rank, "stream", "action", start, end] at the cursor. */
static pps_status parse_event(evctx *x, pps_event *e)
{
    cursor *c = x->c;
    pps_status st;
    double d;
    const char *str;
    size_t n;
    char buf[PPS_ACTION_TEXT_MAX * 2];

    memset(e, 0, sizeof *e);
    skip_ws(c);
    if (peek(c) != '[') {
        if (strcmp(value_type_at(c), "an invalid value") == 0)
            return malformed_at(c, c->pos, "expected a value");
        return ev_error(x, -1, "expected an array [rank, stream, action, start, end], got %s",
                        value_type_at(c));
    }
    c->pos++;

    if ((st = ev_element(x, 0, 0, "an integer rank")) || (st = scan_number(c, &d)))
        return st;
    if (d != floor(d))
        return ev_error(x, 0, "expected an integer rank, got %.17g", d);
    if (!(d >= 0 && d < x->t->ranks))
        return ev_error(x, 0, "rank %.17g is out of range [0, %d)", d, x->t->ranks);
    e->rank = (int32_t)d;

    if ((st = ev_element(x, 1, 1, "a stream string")) ||
        (st = scan_string(c, &str, &n, buf, sizeof buf)) || (st = ev_stream(x, str, n, e)))
        return st;

    if ((st = ev_element(x, 2, 1, "an action string")) ||
        (st = scan_string(c, &str, &n, buf, sizeof buf)))
        return st;
    pps_error aerr = {0};
    if (pps_action_parse(str, n, &e->action, &aerr) != PPS_OK)
        return pps_error_set(c->err, PPS_EINPUT, "%s: $.events[%zu][2]: %s", c->name, x->i,
                             aerr.msg);
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
        if ((st = ev_element(x, elem, 0, "a number")) || (st = scan_number(c, &d)))
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

    skip_ws(c);
    if (peek(c) == ',')
        return ev_error(x, -1, "expected 5 elements [rank, stream, action, start, end], got "
                        "more");
    return expect(c, ']', "expected ']'");
}

static pps_status parse_events(cursor *c, pps_timeline *t)
{
    pps_status st;
    evctx x = {c, t, 0};
    skip_ws(c);
    if (peek(c) != '[') {
        if (strcmp(value_type_at(c), "an invalid value") == 0)
            return malformed_at(c, c->pos, "expected a value");
        return pps_error_set(c->err, PPS_EINPUT, "%s: $.events: expected an array, got %s",
                             c->name, value_type_at(c));
    }
    c->pos++;
    skip_ws(c);
    if (peek(c) == ']') {
        c->pos++;
        return PPS_OK;
    }
    for (;;) {
        pps_event e;
        if ((st = parse_event(&x, &e)))
            return st;
        if ((st = pps_timeline_append(t, &e, c->err)))
            return st;
        x.i++;
        skip_ws(c);
        if (peek(c) == ']') {
            c->pos++;
            return PPS_OK;
        }
        if ((st = expect(c, ',', "expected ',' or ']' after an event")))
            return st;
    }
}

/* Reads an optional per-stage array of finite non-negative numbers into *out (allocated). */
static pps_status get_stage_array(const cJSON *hdr, const char *key, int stages, double **out,
                                  const char *name, pps_error *err)
{
    const cJSON *arr = NULL;
    pps_status st = ppsj_get_array(hdr, key, 0, &arr, name, "$", err);
    if (st || !arr)
        return st;
    int n = cJSON_GetArraySize(arr);
    if (n != stages)
        return pps_error_set(err, PPS_EINPUT, "%s: $.%s: expected %d entries (one per stage), "
                             "got %d", name, key, stages, n);
    double *v = malloc((size_t)stages * sizeof *v);
    if (!v)
        return pps_error_set(err, PPS_ENOMEM, "%s: out of memory", name);
    int s = 0;
    for (const cJSON *it = arr->child; it; it = it->next, s++) {
        if (!cJSON_IsNumber(it))
            st = pps_error_set(err, PPS_EINPUT, "%s: $.%s[%d]: expected a number, got %s", name,
                               key, s, ppsj_type_name(it));
        else if (!isfinite(it->valuedouble))
            st = pps_error_set(err, PPS_EINPUT, "%s: $.%s[%d]: number is not finite", name,
                               key, s);
        else if (it->valuedouble < 0)
            st = pps_error_set(err, PPS_EINPUT, "%s: $.%s[%d]: %.17g is negative", name, key, s,
                               it->valuedouble);
        if (st) {
            free(v);
            return st;
        }
        v[s] = it->valuedouble;
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

/* Checks the header and creates the timeline it describes (events not yet read). */
static pps_status parse_header(const cJSON *hdr, const char *name, pps_timeline **out,
                               pps_error *err)
{
    static const char *const keys[] = {
        "format", "version", "schedule", "source", "backend", "time_unit", "ranks", "stages",
        "microbatches", "chunks", "incomplete", "note", "act_bytes", "act_w_bytes", NULL};
    pps_status st;
    const char *str = NULL;
    long version = 0, ranks = 0, stages = 0, mbs = 0, chunks = -1;
    pps_timeline *t = NULL;

    if ((st = ppsj_check_keys(hdr, keys, name, "$", err)))
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
    if ((st = get_stage_array(hdr, "act_bytes", t->stages, &t->act_bytes, name, err)) ||
        (st = get_stage_array(hdr, "act_w_bytes", t->stages, &t->act_w_bytes, name, err)))
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

pps_status pps_timeline_parse_json(const char *text, size_t len, const char *name,
                                   pps_timeline **out, pps_error *err)
{
    cursor c = {text, len, 0, name, err};
    cJSON *hdr = NULL;
    pps_timeline *t = NULL;
    size_t events_at = 0;
    int have_events = 0;
    pps_status st;

    *out = NULL;
    /* A leading UTF-8 byte order mark is skipped, as every other reader does (cJSON's, the
     * CSV reader). */
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
        c.pos = 3;
    skip_ws(&c);
    if (c.pos == len)
        return pps_error_set(err, PPS_EINPUT, "%s: empty file, expected a JSON document", name);
    if (peek(&c) != '{') {
        if (strcmp(value_type_at(&c), "an invalid value") == 0)
            return malformed_at(&c, c.pos, NULL);
        return pps_error_set(err, PPS_EINPUT, "%s: $: expected an object, got %s", name,
                             value_type_at(&c));
    }
    c.pos++;
    if (!(hdr = cJSON_CreateObject())) {
        st = pps_error_set(err, PPS_ENOMEM, "%s: out of memory", name);
        goto fail;
    }
    /* Pass 1: header members into hdr; the events array is only located. */
    skip_ws(&c);
    if (peek(&c) == '}') {
        c.pos++;
    } else {
        for (;;) {
            const char *key;
            size_t klen;
            char kbuf[128], kz[128];
            skip_ws(&c);
            if ((st = scan_string(&c, &key, &klen, kbuf, sizeof kbuf)))
                goto fail;
            snprintf(kz, sizeof kz, "%.*s", (int)(klen < 127 ? klen : 127), key);
            if ((st = expect(&c, ':', "expected ':'")))
                goto fail;
            skip_ws(&c);
            if (strcmp(kz, "events") == 0 ? have_events
                                           : cJSON_GetObjectItemCaseSensitive(hdr, kz) != NULL) {
                st = pps_error_set(err, PPS_EINPUT, "%s: $.%s: duplicate field", name, kz);
                goto fail;
            }
            if (strcmp(kz, "events") == 0) {
                have_events = 1;
                events_at = c.pos;
                if ((st = skip_value(&c)))
                    goto fail;
            } else {
                const char *end = NULL;
                cJSON *v = cJSON_ParseWithLengthOpts(text + c.pos, len - c.pos, &end, 0);
                if (!v) {
                    st = malformed_at(&c, end ? (size_t)(end - text) : c.pos, NULL);
                    goto fail;
                }
                c.pos = (size_t)(end - text);
                cJSON_AddItemToObject(hdr, kz, v);
            }
            skip_ws(&c);
            if (peek(&c) == '}') {
                c.pos++;
                break;
            }
            if ((st = expect(&c, ',', "expected ',' or '}'")))
                goto fail;
        }
    }
    skip_ws(&c);
    if (c.pos < len) { /* a NUL byte is text too, not an end */
        st = malformed_at(&c, c.pos, "text after the document");
        goto fail;
    }
    if ((st = parse_header(hdr, name, &t, err)))
        goto fail;
    if (!have_events) {
        st = pps_error_set(err, PPS_EINPUT, "%s: $.events: missing required field", name);
        goto fail;
    }
    /* Pass 2: the events, checked against the header. */
    c.pos = events_at;
    if ((st = parse_events(&c, t)))
        goto fail;
    if ((st = pps_timeline_check(t, err))) {
        pps_error_prefix(err, "%s", name);
        goto fail;
    }
    cJSON_Delete(hdr);
    *out = t;
    return PPS_OK;
fail:
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
