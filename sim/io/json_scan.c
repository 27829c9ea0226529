/* json_scan.c — the streaming JSON scanner: cursor, strings, numbers, skipping, paths and
 * positioned errors (see json_scan.h). */
#include "io/json_scan.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *ppsj_type_text(ppsj_type t)
{
    switch (t) {
    case PPSJ_OBJECT: return "an object";
    case PPSJ_ARRAY: return "an array";
    case PPSJ_STRING: return "a string";
    case PPSJ_NUMBER: return "a number";
    case PPSJ_BOOL: return "a boolean";
    case PPSJ_NULL: return "null";
    case PPSJ_INVALID: break;
    }
    return "an invalid value";
}

void ppsj_path_format(const ppsj_path *at, char *buf, size_t size)
{
    /* The chain runs leaf to root; collect it to print root first. Deeper than 64 levels the
     * path is cut at the root end (as "$..."). */
    const ppsj_path *chain[64];
    int n = 0, cut = 0;
    for (const ppsj_path *p = at; p; p = p->up) {
        if (n == 64) {
            cut = 1;
            break;
        }
        chain[n++] = p;
    }
    size_t len = (size_t)snprintf(buf, size, cut ? "$..." : "$");
    while (n-- > 0 && len < size) {
        const ppsj_path *p = chain[n];
        if (p->key)
            len += (size_t)snprintf(buf + len, size - len, ".%.80s", p->key);
        else
            len += (size_t)snprintf(buf + len, size - len, "[%zu]", p->index);
    }
}

void ppsj_scan_init(ppsj_scan *c, const char *text, size_t len, const char *name,
                    pps_error *err)
{
    *c = (ppsj_scan){.s = text, .len = len, .name = name, .err = err};
    /* RFC 8259 §8.1 lets a parser ignore a byte order mark; editors on Windows write one. */
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
        c->pos = 3;
}

void ppsj_scan_free(ppsj_scan *c)
{
    free(c->buf);
    c->buf = NULL;
    c->cap = 0;
}

pps_status ppsj_malformed(const ppsj_scan *c, size_t at, const char *what)
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

pps_status ppsj_error_at(const ppsj_scan *c, const ppsj_path *at, const char *fmt, ...)
{
    char path[256], what[PPS_ERRMSG_MAX];
    ppsj_path_format(at, path, sizeof path);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return pps_error_set(c->err, PPS_EINPUT, "%s: %s: %s", c->name, path, what);
}

pps_status ppsj_wrong_type(const ppsj_scan *c, const ppsj_path *at, const char *want)
{
    ppsj_type t = ppsj_peek_type(c);
    if (t == PPSJ_INVALID)
        return ppsj_malformed(c, c->pos, "expected a value");
    return ppsj_error_at(c, at, "expected %s, got %s", want, ppsj_type_text(t));
}

pps_status ppsj_expect(ppsj_scan *c, char ch, const char *what)
{
    ppsj_skip_ws(c);
    if (ppsj_peek(c) != (unsigned char)ch)
        return ppsj_malformed(c, c->pos, what);
    c->pos++;
    return PPS_OK;
}

/* ------------------------------------------------------------------ strings */

int ppsj_utf8_length(const unsigned char *p, size_t avail)
{
    unsigned char c = p[0];
    unsigned char lo = 0x80, hi = 0xBF; /* the range of the second byte */
    int n;
    if (c >= 0xC2 && c <= 0xDF)
        n = 2;
    else if (c >= 0xE0 && c <= 0xEF)
        n = 3;
    else if (c >= 0xF0 && c <= 0xF4)
        n = 4;
    else
        return 0;
    if (c == 0xE0)
        lo = 0xA0; /* overlong */
    else if (c == 0xED)
        hi = 0x9F; /* surrogates U+D800-U+DFFF */
    else if (c == 0xF0)
        lo = 0x90; /* overlong */
    else if (c == 0xF4)
        hi = 0x8F; /* past U+10FFFF */
    if ((size_t)n > avail || p[1] < lo || p[1] > hi)
        return 0;
    for (int i = 2; i < n; i++)
        if (p[i] < 0x80 || p[i] > 0xBF)
            return 0;
    return n;
}

static int hex4(const char *p, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char h = p[i];
        v <<= 4;
        if (h >= '0' && h <= '9')
            v |= (unsigned)(h - '0');
        else if (h >= 'a' && h <= 'f')
            v |= (unsigned)(h - 'a' + 10);
        else if (h >= 'A' && h <= 'F')
            v |= (unsigned)(h - 'A' + 10);
        else
            return 0;
    }
    *out = v;
    return 1;
}

static char *put_utf8(char *o, unsigned cp)
{
    if (cp < 0x80) {
        *o++ = (char)cp;
    } else if (cp < 0x800) {
        *o++ = (char)(0xC0 | cp >> 6);
        *o++ = (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        *o++ = (char)(0xE0 | cp >> 12);
        *o++ = (char)(0x80 | (cp >> 6 & 0x3F));
        *o++ = (char)(0x80 | (cp & 0x3F));
    } else {
        *o++ = (char)(0xF0 | cp >> 18);
        *o++ = (char)(0x80 | (cp >> 12 & 0x3F));
        *o++ = (char)(0x80 | (cp >> 6 & 0x3F));
        *o++ = (char)(0x80 | (cp & 0x3F));
    }
    return o;
}

/* Decodes the escapes of the string body s[from..to) (its syntax checked) into c->buf. */
static pps_status decode(ppsj_scan *c, size_t from, size_t to, const ppsj_path *at,
                         const char *where, const char **out, size_t *len)
{
    /* Escapes only shorten the text; a byte of invalid UTF-8 becomes three (U+FFFD). */
    size_t need = 3 * (to - from) + 1;
    if (need > c->cap) {
        char *nb = realloc(c->buf, need);
        if (!nb)
            return pps_error_set(c->err, PPS_ENOMEM, "%s: out of memory for a string of %zu "
                                 "bytes", c->name, need - 1);
        c->buf = nb;
        c->cap = need;
    }
    const char *s = c->s;
    char *o = c->buf;
    for (size_t i = from; i < to; i++) {
        if ((unsigned char)s[i] >= 0x80) {
            int n = ppsj_utf8_length((const unsigned char *)s + i, to - i);
            if (n == 0) {
                memcpy(o, "\xEF\xBF\xBD", 3);
                o += 3;
            } else {
                memcpy(o, s + i, (size_t)n);
                o += n;
                i += (size_t)n - 1;
            }
            continue;
        }
        if (s[i] != '\\') {
            *o++ = s[i];
            continue;
        }
        size_t esc = i++;
        switch (s[i]) {
        case '"': *o++ = '"'; break;
        case '\\': *o++ = '\\'; break;
        case '/': *o++ = '/'; break;
        case 'b': *o++ = '\b'; break;
        case 'f': *o++ = '\f'; break;
        case 'n': *o++ = '\n'; break;
        case 'r': *o++ = '\r'; break;
        case 't': *o++ = '\t'; break;
        default: { /* 'u', checked by the scan */
            unsigned cp = 0, lo = 0;
            hex4(s + i + 1, &cp);
            i += 4;
            if (cp >= 0xD800 && cp <= 0xDBFF) { /* a high surrogate needs its low half */
                if (i + 6 < to && s[i + 1] == '\\' && s[i + 2] == 'u' &&
                    hex4(s + i + 3, &lo) && lo >= 0xDC00 && lo <= 0xDFFF) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    i += 6;
                } else {
                    return ppsj_malformed(c, esc, "\\u escape of a lone surrogate");
                }
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                return ppsj_malformed(c, esc, "\\u escape of a lone surrogate");
            } else if (cp == 0) {
                return ppsj_error_at(c, at, "\\u0000 (NUL) in %s", where);
            }
            o = put_utf8(o, cp);
        }
        }
    }
    *o = '\0';
    *out = c->buf;
    *len = (size_t)(o - c->buf);
    return PPS_OK;
}

/* 1 for the bytes a string holds as they are: printable ASCII but '"' (0x22) and '\\' (0x5C).
 * The writer (json_write.c) copies the same bytes as they are. */
const unsigned char ppsj_plain_byte[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
};

/* Checks the syntax of the string (where: "a string" or "a key") at the cursor and steps over
 * it; its body is s[*from..*to). *escaped tells whether it holds escapes. */
static pps_status string_syntax(ppsj_scan *c, const char *where, size_t *from, size_t *to,
                                int *escaped)
{
    size_t start = c->pos;
    if (ppsj_peek(c) != '"')
        return ppsj_malformed(c, c->pos, strcmp(where, "a key") == 0 ? "expected a key"
                                                                     : "expected a string");
    const char *s = c->s;
    size_t p = c->pos + 1, n = c->len;
    *escaped = 0;
    for (;;) {
        /* The common bytes (printable ASCII) in one tight loop. */
        while (p < n && ppsj_plain_byte[(unsigned char)s[p]])
            p++;
        if (p >= n)
            return ppsj_malformed(c, start, "unterminated string");
        if (s[p] == '"')
            break;
        if ((unsigned char)s[p] < 0x20)
            return ppsj_malformed(c, p, "control character in string");
        if ((unsigned char)s[p] >= 0x80) { /* valid UTF-8 is kept; anything else is decoded */
            int len = ppsj_utf8_length((const unsigned char *)s + p, n - p);
            if (len == 0) {
                *escaped = 1;
                len = 1;
            }
            p += (size_t)len;
            continue;
        }
        /* A backslash: check the escape's syntax here, decode it later. */
        *escaped = 1;
        if (p + 1 >= n)
            return ppsj_malformed(c, start, "unterminated string");
        char e = s[p + 1];
        unsigned v;
        if (e == 'u') {
            if (p + 6 > n || !hex4(s + p + 2, &v))
                return ppsj_malformed(c, p, "bad \\u escape");
            p += 6;
        } else if (e != '\0' && strchr("\"\\/bfnrt", e)) {
            p += 2;
        } else {
            return ppsj_malformed(c, p, "bad escape in string");
        }
    }
    *from = start + 1;
    *to = p;
    c->pos = p + 1;
    return PPS_OK;
}

static pps_status scan_string(ppsj_scan *c, const ppsj_path *at, const char *where,
                              const char **out, size_t *len)
{
    size_t from, to;
    int escaped;
    pps_status st = string_syntax(c, where, &from, &to, &escaped);
    if (st)
        return st;
    if (!escaped) {
        *out = c->s + from;
        *len = to - from;
        return PPS_OK;
    }
    return decode(c, from, to, at, where, out, len);
}

pps_status ppsj_scan_string(ppsj_scan *c, const ppsj_path *at, const char **out, size_t *len)
{
    return scan_string(c, at, "a string", out, len);
}

pps_status ppsj_scan_key(ppsj_scan *c, const ppsj_path *at, const char **out, size_t *len)
{
    return scan_string(c, at, "a key", out, len);
}

/* ------------------------------------------------------------------ numbers, literals */

/* Exact powers of ten as doubles: 10^22 is the largest whose every digit fits 53 bits. */
static const double pow10_exact[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                     1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                     1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* ppsj_scan_number; quiet: errors are returned but not worded (nothing is written to c->err). */
static inline pps_status scan_number(ppsj_scan *c, double *out, int quiet)
{
    const char *s = c->s;
    size_t start = c->pos, p = c->pos, n = c->len;
    /* One pass checks the grammar and gathers the digits: mant holds the first 19 significant
     * digits (an exact uint64), sig counts all of them, frac the digits after the point. */
    uint64_t mant = 0;
    int sig = 0, frac = 0, neg = 0;
    long exp10 = 0;
    if (p < n && s[p] == '-') {
        neg = 1;
        p++;
    }
    if (p < n && s[p] == '0') {
        p++;
    } else if (p < n && s[p] >= '1' && s[p] <= '9') {
        for (; p < n && s[p] >= '0' && s[p] <= '9'; p++)
            if (++sig <= 19)
                mant = mant * 10 + (uint64_t)(s[p] - '0');
    } else {
        return quiet ? PPS_EINPUT : ppsj_malformed(c, start, "bad number");
    }
    if (p < n && s[p] == '.') {
        p++;
        if (p >= n || s[p] < '0' || s[p] > '9')
            return quiet ? PPS_EINPUT : ppsj_malformed(c, start, "bad number");
        for (; p < n && s[p] >= '0' && s[p] <= '9'; p++) {
            frac++;
            if (sig || s[p] != '0') /* leading zeros (0.000x) are not significant */
                if (++sig <= 19)
                    mant = mant * 10 + (uint64_t)(s[p] - '0');
        }
    }
    if (p < n && (s[p] == 'e' || s[p] == 'E')) {
        int eneg = 0;
        p++;
        if (p < n && (s[p] == '+' || s[p] == '-'))
            eneg = s[p++] == '-';
        if (p >= n || s[p] < '0' || s[p] > '9')
            return quiet ? PPS_EINPUT : ppsj_malformed(c, start, "bad number");
        for (; p < n && s[p] >= '0' && s[p] <= '9'; p++)
            if (exp10 < 100000) /* past any double either way; the slow path reads it all */
                exp10 = exp10 * 10 + (s[p] - '0');
        if (eneg)
            exp10 = -exp10;
    }
    /* Fast path (Clinger): when the significant digits are an integer below 2^53 and the power
     * of ten is at most 10^22 either way, both are exact doubles and one correctly rounded
     * division or multiplication gives strtod's result, bit for bit. */
    long e = exp10 - frac;
    if (sig <= 19 && mant <= ((uint64_t)1 << 53) && e >= -22 && e <= 22) {
        double d = (double)mant;
        d = e < 0 ? d / pow10_exact[-e] : d * pow10_exact[e];
        *out = neg ? -d : d;
        c->pos = p;
        return PPS_OK;
    }
    /* strtod needs a terminated copy: the text need not end in a NUL. */
    char small[64], *buf = small;
    size_t len = p - start;
    if (len >= sizeof small && !(buf = malloc(len + 1)))
        return quiet ? PPS_ENOMEM
                     : pps_error_set(c->err, PPS_ENOMEM,
                                     "%s: out of memory for a number of %zu digits", c->name, len);
    memcpy(buf, s + start, len);
    buf[len] = '\0';
    *out = strtod(buf, NULL); /* overflow gives ±HUGE_VAL, refused by the caller as not finite */
    if (buf != small)
        free(buf);
    c->pos = p;
    return PPS_OK;
}

pps_status ppsj_scan_number(ppsj_scan *c, double *out)
{
    return scan_number(c, out, 0);
}

int ppsj_scan_number_quiet(ppsj_scan *c, double *out)
{
    return scan_number(c, out, 1) == PPS_OK;
}

pps_status ppsj_scan_literal(ppsj_scan *c, int *out)
{
    static const struct {
        const char *text;
        int value;
    } lit[3] = {{"true", 1}, {"false", 0}, {"null", -1}};
    for (int i = 0; i < 3; i++) {
        size_t n = strlen(lit[i].text);
        if (c->len - c->pos >= n && memcmp(c->s + c->pos, lit[i].text, n) == 0) {
            c->pos += n;
            *out = lit[i].value;
            return PPS_OK;
        }
    }
    return ppsj_malformed(c, c->pos, "expected a value");
}

/* ------------------------------------------------------------------ walking, skipping */

/* A ',' followed by the closer is left to the caller, whose value or key is then missing. */
static int next_item(ppsj_scan *c, int first, char close, const char *what)
{
    ppsj_skip_ws(c);
    if (ppsj_peek(c) == (unsigned char)close) {
        c->pos++;
        return 0;
    }
    if (!first) {
        if (ppsj_peek(c) != ',') {
            ppsj_malformed(c, c->pos, what);
            return -1;
        }
        c->pos++;
        ppsj_skip_ws(c);
    }
    return 1;
}

int ppsj_next_member(ppsj_scan *c, int first)
{
    return next_item(c, first, '}', "expected ',' or '}'");
}

int ppsj_next_element(ppsj_scan *c, int first)
{
    return next_item(c, first, ']', "expected ',' or ']'");
}

pps_status ppsj_check_document(ppsj_scan *c)
{
    if (c->pos >= c->len)
        return PPS_OK;
    const char *nul = memchr(c->s, '\0', c->len);
    if (nul)
        return ppsj_malformed(c, (size_t)(nul - c->s), "a NUL byte");
    if (ppsj_peek_type(c) == PPSJ_OBJECT)
        return PPS_OK;
    size_t top = c->pos;
    pps_status st = ppsj_skip_value(c);
    if (st != PPS_OK)
        return st;
    ppsj_skip_ws(c);
    if (c->pos < c->len)
        return ppsj_malformed(c, c->pos, "text after the document");
    c->pos = top;
    return ppsj_wrong_type(c, NULL, "an object");
}

pps_status ppsj_skip_value(ppsj_scan *c)
{
    /* Without recursion: the open containers as a stack of their closers. */
    char stack[PPSJ_MAX_DEPTH];
    int depth = 0, first = 0, escaped;
    size_t from, to;
    pps_status st;
    for (;;) {
        /* A value. */
        ppsj_skip_ws(c);
        switch (ppsj_peek_type(c)) {
        case PPSJ_OBJECT:
        case PPSJ_ARRAY:
            if (depth == PPSJ_MAX_DEPTH)
                return ppsj_malformed(c, c->pos, "nested deeper than 1000 levels");
            stack[depth++] = c->s[c->pos] == '{' ? '}' : ']';
            c->pos++;
            first = 1;
            break;
        case PPSJ_STRING:
            if ((st = string_syntax(c, "a string", &from, &to, &escaped)))
                return st;
            first = 0;
            break;
        case PPSJ_NUMBER: {
            double d;
            if ((st = ppsj_scan_number(c, &d)))
                return st;
            first = 0;
            break;
        }
        case PPSJ_BOOL:
        case PPSJ_NULL: {
            int v;
            if ((st = ppsj_scan_literal(c, &v)))
                return st;
            first = 0;
            break;
        }
        case PPSJ_INVALID:
            return ppsj_malformed(c, c->pos, "expected a value");
        }
        /* Then the separators and closers up to the next value. */
        for (;;) {
            if (depth == 0)
                return PPS_OK;
            int obj = stack[depth - 1] == '}';
            int more = obj ? ppsj_next_member(c, first) : ppsj_next_element(c, first);
            if (more < 0)
                return c->err ? c->err->status : PPS_EINPUT;
            if (more == 0) {
                depth--;
                first = 0;
                continue;
            }
            if (obj && ((st = string_syntax(c, "a key", &from, &to, &escaped)) ||
                        (st = ppsj_expect(c, ':', "expected ':'"))))
                return st;
            break;
        }
    }
}
