/* chrome_trace.c — timeline export to the Chrome Trace Event format (Perfetto, chrome://tracing). */
#include "io/json_write.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Thread ids: one thread per stream of a rank. tid 0 is compute; the send queue to peer p is
 * 1 + 2p and the receive queue from p is 2 + 2p, so the tid depends only on (stream, peer) and
 * sorts compute first, then the queues by peer. */
static long stream_tid(const pps_event *e)
{
    if (e->stream == PPS_STREAM_COMPUTE)
        return 0;
    return (e->stream == PPS_STREAM_SEND ? 1L : 2L) + 2L * e->peer;
}

/* Seconds to whole nanoseconds: Perfetto keeps trace times as integer nanoseconds, so finer
 * digits would be dropped on import anyway. Converting both ends of a slice this way keeps
 * ts + dur of one slice equal to ts of the next where the seconds were equal. */
static int to_ns(double seconds, long long *ns)
{
    double v = nearbyint(seconds * 1e9);
    if (!isfinite(v) || fabs(v) >= 9e18)
        return 0;
    *ns = (long long)v;
    return 1;
}

/* Opens one trace event, {"ph":PH, on a line of its own. */
static void begin_event(ppsj_writer *w, const char *ph)
{
    ppsj_newline(w, 0);
    ppsj_begin_object(w, PPSJ_COMPACT);
    ppsj_member_string(w, "ph", ph);
}

/* The fields of a slice ("X", times in microseconds with 3 decimals: the integer nanoseconds,
 * exact) and of a flow's start ("s") and end ("f", bound to its slice's end: "bp"). */
static const ppsj_column slice_columns[7] = {
    {"ph", PPSJ_FIELD_STRING, 0},   {"name", PPSJ_FIELD_STRING, 0},
    {"cat", PPSJ_FIELD_STRING, 0},  {"pid", PPSJ_FIELD_INTEGER, 0},
    {"tid", PPSJ_FIELD_INTEGER, 0}, {"ts", PPSJ_FIELD_DECIMAL, 3},
    {"dur", PPSJ_FIELD_DECIMAL, 3}};
static const ppsj_column flow_start_columns[7] = {
    {"ph", PPSJ_FIELD_STRING, 0},  {"name", PPSJ_FIELD_STRING, 0},
    {"cat", PPSJ_FIELD_STRING, 0}, {"id", PPSJ_FIELD_INTEGER, 0},
    {"pid", PPSJ_FIELD_INTEGER, 0}, {"tid", PPSJ_FIELD_INTEGER, 0},
    {"ts", PPSJ_FIELD_DECIMAL, 3}};
static const ppsj_column flow_end_columns[8] = {
    {"ph", PPSJ_FIELD_STRING, 0},   {"bp", PPSJ_FIELD_STRING, 0},
    {"name", PPSJ_FIELD_STRING, 0}, {"cat", PPSJ_FIELD_STRING, 0},
    {"id", PPSJ_FIELD_INTEGER, 0},  {"pid", PPSJ_FIELD_INTEGER, 0},
    {"tid", PPSJ_FIELD_INTEGER, 0}, {"ts", PPSJ_FIELD_DECIMAL, 3}};

/* A metadata event {"ph":"M","name":NAME,"pid":..,"tid":..,"args":{ARG: ...}}: the value is
 * the string text, or the integer num when text is NULL. */
static void metadata(ppsj_writer *w, const char *name, int pid, long tid, const char *arg,
                     const char *text, long num)
{
    begin_event(w, "M");
    ppsj_member_string(w, "name", name);
    ppsj_member_integer(w, "pid", pid);
    ppsj_member_integer(w, "tid", tid);
    ppsj_key(w, "args");
    ppsj_begin_object(w, PPSJ_COMPACT);
    if (text)
        ppsj_member_string(w, arg, text);
    else
        ppsj_member_integer(w, arg, num);
    ppsj_end_object(w);
    ppsj_end_object(w);
}

/* A send or receive, keyed for matching: (src, dst) of the transfer, then timeline order. */
typedef struct xfer {
    uint64_t pair; /* src << 32 | dst */
    size_t idx;    /* event index */
} xfer;

static int cmp_xfer(const void *a, const void *b)
{
    const xfer *x = a, *y = b;
    if (x->pair != y->pair)
        return x->pair < y->pair ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Pairs of ranks up to which transfers are sorted by counting (a count per pair: 32 MiB at
 * most); beyond it, by qsort. Both give the order of cmp_xfer. */
#define COUNTING_PAIRS (1L << 22)

/* Sorts x[0..n) by (pair, idx): x comes in idx order, so a stable counting sort by pair (an
 * O(n) pass for the millions of transfers of a long run) gives what qsort would. */
static pps_status sort_xfers(xfer *x, size_t n, int ranks, pps_error *err)
{
    size_t pairs = (size_t)ranks * (size_t)ranks;
    if ((long)ranks * ranks > COUNTING_PAIRS || n < 2) {
        qsort(x, n, sizeof *x, cmp_xfer);
        return PPS_OK;
    }
    size_t *at = calloc(pairs + 1, sizeof *at);
    xfer *out = malloc(n * sizeof *out);
    if (!at || !out) {
        free(at);
        free(out);
        return pps_error_set(err, PPS_ENOMEM, "chrome trace: out of memory");
    }
    /* The dense number of pair (src, dst) is src * ranks + dst, in the order of src << 32 | dst. */
    for (size_t i = 0; i < n; i++)
        at[(x[i].pair >> 32) * (size_t)ranks + (x[i].pair & 0xffffffffu) + 1]++;
    for (size_t k = 0; k < pairs; k++)
        at[k + 1] += at[k];
    for (size_t i = 0; i < n; i++)
        out[at[(x[i].pair >> 32) * (size_t)ranks + (x[i].pair & 0xffffffffu)]++] = x[i];
    memcpy(x, out, n * sizeof *x);
    free(at);
    free(out);
    return PPS_OK;
}

static int is_send(const pps_event *e)
{
    return (e->action.kind == PPS_SEND_F || e->action.kind == PPS_SEND_B) && e->peer >= 0;
}

static int is_recv(const pps_event *e)
{
    return (e->action.kind == PPS_RECV_F || e->action.kind == PPS_RECV_B) && e->peer >= 0;
}

/* Where the arrow enters a receive slice: the middle of the part of the receive during which
 * the data was in flight (after the send started), so that it points forward in time and lies
 * strictly inside the slice, which "bp":"e" binding needs. */
static double flow_end_time(const pps_event *send, const pps_event *recv)
{
    double from = send->start > recv->start ? send->start : recv->start;
    if (from > recv->end)
        from = recv->start; /* clocks of a measured run disagree: use the whole slice */
    return from + (recv->end - from) / 2;
}

/* Writes one flow arrow per matched SEND/RECV pair: the k-th send from a to b is matched with
 * the k-th receive on b from a, in timeline order. */
static pps_status write_flows(const pps_timeline *t, ppsj_writer *w, pps_error *err)
{
    size_t ns = 0, nr = 0;
    for (size_t i = 0; i < t->n; i++) {
        ns += is_send(&t->events[i]);
        nr += is_recv(&t->events[i]);
    }
    if (ns == 0 || nr == 0)
        return PPS_OK;
    pps_status st = PPS_OK;
    xfer *sends = malloc(ns * sizeof *sends), *recvs = malloc(nr * sizeof *recvs);
    if (!sends || !recvs) {
        st = pps_error_set(err, PPS_ENOMEM, "chrome trace: out of memory");
        goto done;
    }
    ns = nr = 0;
    for (size_t i = 0; i < t->n; i++) {
        const pps_event *e = &t->events[i];
        if (is_send(e))
            sends[ns++] = (xfer){(uint64_t)(uint32_t)e->rank << 32 | (uint32_t)e->peer, i};
        else if (is_recv(e))
            recvs[nr++] = (xfer){(uint64_t)(uint32_t)e->peer << 32 | (uint32_t)e->rank, i};
    }
    if ((st = sort_xfers(sends, ns, t->ranks, err)) || (st = sort_xfers(recvs, nr, t->ranks, err)))
        goto done;
    /* Merge join: within one pair both lists are in timeline order, so position k matches k. */
    size_t a = 0, b = 0, id = 0;
    while (a < ns && b < nr) {
        if (sends[a].pair != recvs[b].pair) {
            if (sends[a].pair < recvs[b].pair)
                a++;
            else
                b++;
            continue;
        }
        const pps_event *s = &t->events[sends[a].idx], *r = &t->events[recvs[b].idx];
        long long s_ns = 0, f_ns = 0;
        to_ns(s->start, &s_ns); /* times were checked when the slices were written */
        to_ns(flow_end_time(s, r), &f_ns);
        for (int end = 0; end < 2; end++) {
            const pps_event *e = end ? r : s;
            ppsj_value v[8];
            int k = 0;
            v[k++].s = end ? "f" : "s";
            if (end) /* the start has no "bp" */
                v[k++].s = "e";
            v[k++].s = "transfer";
            v[k++].s = "flow";
            v[k++].i = (long long)id;
            v[k++].i = e->rank;
            v[k++].i = stream_tid(e);
            v[k++].i = end ? f_ns : s_ns;
            ppsj_row(w, 1, end ? flow_end_columns : flow_start_columns, v, k);
        }
        id++;
        a++;
        b++;
    }
done:
    free(sends);
    free(recvs);
    return st;
}

/* The thread_name and thread_sort_index metadata of (rank, tid). */
static void thread_name(ppsj_writer *w, int rank, long tid)
{
    char tname[48];
    if (tid == 0)
        snprintf(tname, sizeof tname, "compute");
    else if (tid % 2 == 1)
        snprintf(tname, sizeof tname, "send\u2192%ld", (tid - 1) / 2);
    else
        snprintf(tname, sizeof tname, "recv\u2190%ld", (tid - 2) / 2);
    metadata(w, "thread_name", rank, tid, "name", tname, 0);
    metadata(w, "thread_sort_index", rank, tid, "sort_index", NULL, tid);
}

/* Writes thread_name metadata for every (rank, stream) that has events. */
static pps_status write_thread_names(const pps_timeline *t, ppsj_writer *w, pps_error *err)
{
    if (t->n == 0)
        return PPS_OK;
    /* Distinct (rank, tid) keys: in a table of a bit per key when ranks × tids is small (tids
     * are below 2 · ranks + 1), else by sorting (the table could be far too big). Both list
     * them in key order. */
    size_t tids = 2 * (size_t)t->ranks + 1, nbits = (size_t)t->ranks * tids;
    if (nbits <= ((size_t)1 << 26)) { /* 8 MiB */
        uint64_t *seen = calloc((nbits + 63) / 64, sizeof *seen);
        if (!seen)
            return pps_error_set(err, PPS_ENOMEM, "chrome trace: out of memory");
        for (size_t i = 0; i < t->n; i++) {
            size_t b = (size_t)t->events[i].rank * tids + (size_t)stream_tid(&t->events[i]);
            seen[b / 64] |= (uint64_t)1 << (b % 64);
        }
        for (size_t b = 0; b < nbits; b++)
            if (seen[b / 64] >> (b % 64) & 1)
                thread_name(w, (int)(b / tids), (long)(b % tids));
        free(seen);
        return PPS_OK;
    }
    uint64_t *keys = malloc(t->n * sizeof *keys);
    if (!keys)
        return pps_error_set(err, PPS_ENOMEM, "chrome trace: out of memory");
    for (size_t i = 0; i < t->n; i++)
        keys[i] = (uint64_t)(uint32_t)t->events[i].rank << 32 |
                  (uint32_t)stream_tid(&t->events[i]);
    qsort(keys, t->n, sizeof *keys, cmp_u64);
    for (size_t i = 0; i < t->n; i++) {
        if (i > 0 && keys[i] == keys[i - 1])
            continue;
        thread_name(w, (int)(keys[i] >> 32), (long)(keys[i] & 0xffffffffu));
    }
    free(keys);
    return PPS_OK;
}

pps_status pps_timeline_write_chrome(const pps_timeline *t, FILE *fp, pps_error *err)
{
    pps_status st;
    /* Refuse what would give bad pids/tids before writing anything. */
    for (size_t i = 0; i < t->n; i++) {
        const pps_event *e = &t->events[i];
        int queue = e->stream == PPS_STREAM_SEND || e->stream == PPS_STREAM_RECV;
        if (e->rank < 0 || e->rank >= t->ranks || (e->stream != PPS_STREAM_COMPUTE && !queue) ||
            (queue && (e->peer < 0 || e->peer >= t->ranks)))
            return pps_error_set(err, PPS_EINPUT, "chrome trace: event %zu: bad rank %d, "
                                 "stream %d or peer %d", i, (int)e->rank, e->stream,
                                 (int)e->peer);
    }
    ppsj_writer w;
    ppsj_writer_init(&w, fp);
    ppsj_begin_object(&w, PPSJ_SPACED);
    ppsj_member_string(&w, "displayTimeUnit", "ms");
    ppsj_newline(&w, 0);
    ppsj_key(&w, "otherData");
    ppsj_begin_object(&w, PPSJ_SPACED);
    ppsj_member_string(&w, "schedule", t->schedule);
    ppsj_member_string(&w, "source", t->source);
    ppsj_member_string(&w, "backend", t->backend);
    ppsj_member_string(&w, "note", t->note);
    ppsj_end_object(&w);
    ppsj_newline(&w, 0);
    ppsj_key(&w, "traceEvents");
    ppsj_begin_array(&w, PPSJ_COMPACT);
    /* One process per rank, named and sorted by rank. */
    for (int r = 0; r < t->ranks; r++) {
        char pname[32];
        snprintf(pname, sizeof pname, "rank %d", r);
        metadata(&w, "process_name", r, 0, "name", pname, 0);
        metadata(&w, "process_sort_index", r, 0, "sort_index", NULL, r);
    }
    if ((st = write_thread_names(t, &w, err)))
        return st;
    /* One complete event per executed action; PPS_IDLE runs as nothing and is left out. */
    for (size_t i = 0; i < t->n; i++) {
        const pps_event *e = &t->events[i];
        if (e->action.kind == PPS_IDLE)
            continue;
        long long t0, t1;
        char act[PPS_ACTION_TEXT_MAX];
        pps_action_format(&e->action, act, sizeof act);
        int bad_start = !to_ns(e->start, &t0);
        if (bad_start || !to_ns(e->end, &t1)) {
            char v[32];
            pps_format_exact(bad_start ? e->start : e->end, v, sizeof v);
            return pps_error_set(err, PPS_EINPUT, "chrome trace: event %zu (%s on rank %d): its "
                                 "%s, %s s, is beyond the 9e9 s a trace holds in nanoseconds",
                                 i, act, (int)e->rank, bad_start ? "start" : "end", v);
        }
        ppsj_value v[7];
        v[0].s = "X";
        v[1].s = act;
        v[2].s = pps_kind_name((pps_kind)e->action.kind);
        v[3].i = e->rank;
        v[4].i = stream_tid(e);
        v[5].i = t0;
        v[6].i = t1 - t0;
        ppsj_row(&w, 1, slice_columns, v, 7);
    }
    if ((st = write_flows(t, &w, err)))
        return st;
    ppsj_newline(&w, 0);
    ppsj_end_array(&w);
    ppsj_end_object(&w);
    return ppsj_writer_finish(&w, "chrome trace", err);
}
