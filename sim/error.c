/* error.c — statuses and the caller-owned error messages every module fills. */
#include "internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void error_setv(pps_error *err, pps_status st, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

static void error_setv(pps_error *err, pps_status st, const char *fmt, va_list ap)
{
    err->status = st;
    err->errnum = 0;
    err->topic = PPS_TOPIC_NONE;
    int n = vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    if (n >= (int)sizeof err->msg)
        memcpy(err->msg + sizeof err->msg - 4, "...", 4);
    /* One line: a newline from a quoted input would break the contract. */
    for (char *p = err->msg; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
}

pps_status pps_error_set(pps_error *err, pps_status st, const char *fmt, ...)
{
    if (!err)
        return st;
    va_list ap;
    va_start(ap, fmt);
    error_setv(err, st, fmt, ap);
    va_end(ap);
    return st;
}

pps_status pps_error_errno(pps_error *err, int errnum, const char *fmt, ...)
{
    if (!err)
        return PPS_EIO;
    char head[PPS_ERRMSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(head, sizeof head, fmt, ap);
    va_end(ap);
    pps_error_set(err, PPS_EIO, "%s: %s", head, strerror(errnum));
    err->errnum = errnum;
    return PPS_EIO;
}

void pps_error_prefix(pps_error *err, const char *fmt, ...)
{
    if (!err)
        return;
    char head[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(head, sizeof head, fmt, ap);
    va_end(ap);
    char old[PPS_ERRMSG_MAX];
    memcpy(old, err->msg, sizeof old);
    int errnum = err->errnum;
    pps_topic topic = err->topic;
    pps_error_set(err, err->status, "%s: %s", head, old);
    err->errnum = errnum;
    err->topic = topic;
}

const char *pps_quote(const char *text, size_t n, char *buf)
{
    size_t k = n > PPS_QUOTE_MAX ? PPS_QUOTE_MAX : n;
    for (size_t i = 0; i < k; i++) {
        unsigned char c = (unsigned char)text[i];
        buf[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
    }
    if (n > k) {
        memcpy(buf + k, "...", 3);
        k += 3;
    }
    buf[k] = '\0';
    return buf;
}

const char *pps_status_name(pps_status st)
{
    switch (st) {
    case PPS_OK: return "ok";
    case PPS_EINPUT: return "bad input";
    case PPS_ENOMEM: return "out of memory";
    case PPS_EIO: return "I/O error";
    case PPS_EDEADLOCK: return "deadlock";
    case PPS_EUNSUPPORTED: return "unsupported configuration";
    }
    return "unknown status";
}
