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

/* Integer nanoseconds as the format's microseconds: 3 decimals, exact. */
static void member_us(ppsj_writer *w, const char *key, long long ns)
{
    ppsj_key(w, key);
    ppsj_decimal(w, ns, 3);
}

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
    qsort(sends, ns, sizeof *sends, cmp_xfer);
    qsort(recvs, nr, sizeof *recvs, cmp_xfer);
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
            begin_event(w, end ? "f" : "s");
            if (end)
                ppsj_member_string(w, "bp", "e");
            ppsj_member_string(w, "name", "transfer");
            ppsj_member_string(w, "cat", "flow");
            ppsj_member_integer(w, "id", (long long)id);
            ppsj_member_integer(w, "pid", e->rank);
            ppsj_member_integer(w, "tid", stream_tid(e));
            member_us(w, "ts", end ? f_ns : s_ns);
            ppsj_end_object(w);
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

/* Writes thread_name metadata for every (rank, stream) that has events. */
static pps_status write_thread_names(const pps_timeline *t, ppsj_writer *w, pps_error *err)
{
    if (t->n == 0)
        return PPS_OK;
    /* Distinct (rank, tid) keys by sorting: ranks × peers can be far too many for a table. */
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
        int rank = (int)(keys[i] >> 32);
        long tid = (long)(keys[i] & 0xffffffffu);
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
        begin_event(&w, "X");
        ppsj_member_string(&w, "name", act);
        ppsj_member_string(&w, "cat", pps_kind_name((pps_kind)e->action.kind));
        ppsj_member_integer(&w, "pid", e->rank);
        ppsj_member_integer(&w, "tid", stream_tid(e));
        member_us(&w, "ts", t0);
        member_us(&w, "dur", t1 - t0);
        ppsj_end_object(&w);
    }
    if ((st = write_flows(t, &w, err)))
        return st;
    ppsj_newline(&w, 0);
    ppsj_end_array(&w);
    ppsj_end_object(&w);
    return ppsj_writer_finish(&w, "chrome trace", err);
}
