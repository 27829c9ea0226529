/* chrome.c — timeline export to the Chrome Trace Event format (Perfetto, chrome://tracing). */
#include "ppsim.h"

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

/* Writes ns as microseconds ("1500", "2.5", "0.001") at p; returns the end. */
static char *fmt_us(char *p, long long ns)
{
    char d[24];
    int k = 0;
    if (ns < 0) {
        *p++ = '-';
        ns = -ns;
    }
    unsigned long long us = (unsigned long long)ns / 1000;
    unsigned frac = (unsigned)((unsigned long long)ns % 1000);
    do {
        d[k++] = (char)('0' + us % 10);
        us /= 10;
    } while (us);
    while (k)
        *p++ = d[--k];
    if (frac) {
        *p++ = '.';
        *p++ = (char)('0' + frac / 100);
        if (frac % 100) {
            *p++ = (char)('0' + frac / 10 % 10);
            if (frac % 10)
                *p++ = (char)('0' + frac % 10);
        }
    }
    return p;
}

static void put_us(FILE *fp, long long ns)
{
    char buf[32];
    fwrite(buf, 1, (size_t)(fmt_us(buf, ns) - buf), fp);
}

static void put_string(FILE *fp, const char *s)
{
    putc('"', fp);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(fp, "\\%c", *p);
        else if (*p < 0x20)
            fprintf(fp, "\\u%04x", *p);
        else
            putc(*p, fp);
    }
    putc('"', fp);
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
static pps_status write_flows(const pps_timeline *t, FILE *fp, pps_error *err)
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
        fprintf(fp, ",\n{\"ph\":\"s\",\"name\":\"transfer\",\"cat\":\"flow\",\"id\":%zu,"
                "\"pid\":%d,\"tid\":%ld,\"ts\":", id, (int)s->rank, stream_tid(s));
        put_us(fp, s_ns);
        fprintf(fp, "},\n{\"ph\":\"f\",\"bp\":\"e\",\"name\":\"transfer\",\"cat\":\"flow\","
                "\"id\":%zu,\"pid\":%d,\"tid\":%ld,\"ts\":", id, (int)r->rank, stream_tid(r));
        put_us(fp, f_ns);
        putc('}', fp);
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
static pps_status write_thread_names(const pps_timeline *t, FILE *fp, pps_error *err)
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
        fprintf(fp, ",\n{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":%d,\"tid\":%ld,"
                "\"args\":{\"name\":\"%s\"}},\n{\"ph\":\"M\",\"name\":\"thread_sort_index\","
                "\"pid\":%d,\"tid\":%ld,\"args\":{\"sort_index\":%ld}}",
                rank, tid, tname, rank, tid, tid);
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
    fputs("{\"displayTimeUnit\": \"ms\",\n\"otherData\": {\"schedule\": ", fp);
    put_string(fp, t->schedule);
    fputs(", \"source\": ", fp);
    put_string(fp, t->source);
    fputs(", \"backend\": ", fp);
    put_string(fp, t->backend);
    fputs(", \"note\": ", fp);
    put_string(fp, t->note);
    fputs("},\n\"traceEvents\": [", fp);
    /* One process per rank, named and sorted by rank. */
    for (int r = 0; r < t->ranks; r++)
        fprintf(fp, "%s\n{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":%d,\"tid\":0,"
                "\"args\":{\"name\":\"rank %d\"}},\n{\"ph\":\"M\",\"name\":\"process_sort_index\","
                "\"pid\":%d,\"tid\":0,\"args\":{\"sort_index\":%d}}",
                r ? "," : "", r, r, r, r);
    if ((st = write_thread_names(t, fp, err)))
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
        /* Integer printf is cheap; the times go through fmt_us, not printf of doubles. */
        char line[192 + PPS_ACTION_TEXT_MAX], *p = line;
        p += snprintf(p, 128 + PPS_ACTION_TEXT_MAX,
                      ",\n{\"ph\":\"X\",\"name\":\"%s\",\"cat\":\"%s\",\"pid\":%d,\"tid\":%ld,"
                      "\"ts\":", act, pps_kind_name((pps_kind)e->action.kind), (int)e->rank,
                      stream_tid(e));
        p = fmt_us(p, t0);
        memcpy(p, ",\"dur\":", 7);
        p = fmt_us(p + 7, t1 - t0);
        *p++ = '}';
        fwrite(line, 1, (size_t)(p - line), fp);
    }
    if ((st = write_flows(t, fp, err)))
        return st;
    fputs("\n]}\n", fp);
    if (ferror(fp))
        return pps_error_set(err, PPS_EIO, "chrome trace: write error");
    return PPS_OK;
}
