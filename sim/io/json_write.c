/* json_write.c — the one JSON writer: structure, string escaping and exact shortest numbers
 * (see json_write.h). */
#include "io/json_write.h"

#include "io/json_scan.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ buffer */

/* The reason is kept: when fwrite fails, stdio drops the data and keeps only its error flag, so
 * a later fflush cannot say why (a full device: ENOSPC). */
static void flush(ppsj_writer *w)
{
    errno = 0;
    if (w->len && !w->failed && fwrite(w->buf, 1, w->len, w->fp) != w->len) {
        w->failed = 1;
        w->errnum = errno;
    }
    w->len = 0;
}

/* Room for n more bytes (n <= PPSJ_WRITE_BUF); returns where they go. */
static char *room(ppsj_writer *w, size_t n)
{
    if (w->len + n > sizeof w->buf)
        flush(w);
    return w->buf + w->len;
}

static void put_bytes(ppsj_writer *w, const char *s, size_t n)
{
    while (n) {
        size_t k = n < sizeof w->buf ? n : sizeof w->buf;
        memcpy(room(w, k), s, k);
        w->len += k;
        s += k;
        n -= k;
    }
}

static void put_char(ppsj_writer *w, char c)
{
    *room(w, 1) = c;
    w->len++;
}

void ppsj_writer_init(ppsj_writer *w, FILE *fp)
{
    w->fp = fp;
    w->len = 0;
    w->failed = 0;
    w->errnum = 0;
    w->depth = 0;
    w->after_key = 0;
    w->brk = 0;
    w->memo_len[0] = w->memo_len[1] = 0;
    w->memo_next = 0;
    memset(w->memo_text, 0, sizeof w->memo_text); /* a hit copies all 32 bytes */
}

pps_status ppsj_writer_finish(ppsj_writer *w, const char *what, pps_error *err)
{
    if (w->depth != 0 || w->after_key)
        w->failed = 1; /* a writer bug: an unclosed container or a key without a value */
    put_char(w, '\n');
    flush(w);
    if (w->errnum)
        return pps_error_errno(err, w->errnum, "%s: write error", what);
    if (w->failed || ferror(w->fp))
        return pps_error_set(err, PPS_EIO, "%s: write error", what);
    return PPS_OK;
}

/* ------------------------------------------------------------------ structure */

/* The pending line break and indent, if any. */
static void put_break(ppsj_writer *w)
{
    if (!w->brk)
        return;
    size_t indent = (size_t)(w->brk - 1);
    char *p = room(w, 1 + indent);
    *p = '\n';
    memset(p + 1, ' ', indent);
    w->len += 1 + indent;
    w->brk = 0;
}

/* What comes before a value or a key: the comma, then the pending line break. */
static void separate(ppsj_writer *w)
{
    if (w->after_key) {
        w->after_key = 0;
        return;
    }
    if (w->depth > 0) {
        int d = w->depth - 1;
        if (w->nonempty[d]) {
            put_char(w, ',');
            if (!w->brk && w->style[d] == PPSJ_SPACED)
                put_char(w, ' ');
        }
        w->nonempty[d] = 1;
    }
    put_break(w);
}

void ppsj_newline(ppsj_writer *w, int indent)
{
    if (indent < 0)
        indent = 0;
    if (indent > 64)
        indent = 64;
    w->brk = 1 + indent;
}

static void begin(ppsj_writer *w, char open, ppsj_style style)
{
    separate(w);
    put_char(w, open);
    if (w->depth == PPSJ_WRITE_DEPTH) {
        w->failed = 1;
        return;
    }
    w->style[w->depth] = (unsigned char)style;
    w->nonempty[w->depth] = 0;
    w->depth++;
}

static void end(ppsj_writer *w, char close)
{
    if (w->after_key || w->depth == 0)
        w->failed = 1;
    put_break(w);
    put_char(w, close);
    if (w->depth > 0)
        w->depth--;
}

void ppsj_begin_object(ppsj_writer *w, ppsj_style style)
{
    begin(w, '{', style);
}

void ppsj_end_object(ppsj_writer *w)
{
    end(w, '}');
}

void ppsj_begin_array(ppsj_writer *w, ppsj_style style)
{
    begin(w, '[', style);
}

void ppsj_end_array(ppsj_writer *w)
{
    end(w, ']');
}

/* ------------------------------------------------------------------ strings */

static int plain(unsigned char c)
{
    return ppsj_plain_byte[c];
}

static void put_escape(ppsj_writer *w, unsigned char c)
{
    static const char hex[] = "0123456789abcdef";
    char *p = room(w, 6);
    p[0] = '\\';
    switch (c) {
    case '"': p[1] = '"'; w->len += 2; return;
    case '\\': p[1] = '\\'; w->len += 2; return;
    case '\n': p[1] = 'n'; w->len += 2; return;
    case '\t': p[1] = 't'; w->len += 2; return;
    case '\r': p[1] = 'r'; w->len += 2; return;
    case '\b': p[1] = 'b'; w->len += 2; return;
    case '\f': p[1] = 'f'; w->len += 2; return;
    default:
        p[1] = 'u';
        p[2] = '0';
        p[3] = '0';
        p[4] = hex[c >> 4];
        p[5] = hex[c & 15];
        w->len += 6;
    }
}

static void put_quoted(ppsj_writer *w, const char *str)
{
    const unsigned char *p = (const unsigned char *)str, *q = p;
    while (plain(*q))
        q++;
    size_t n = (size_t)(q - p);
    if (*q == 0 && n <= 256) { /* the common case: short and nothing to escape */
        char *o = room(w, n + 2);
        o[0] = '"';
        memcpy(o + 1, p, n);
        o[n + 1] = '"';
        w->len += n + 2;
        return;
    }
    put_char(w, '"');
    for (;;) {
        put_bytes(w, (const char *)p, (size_t)(q - p));
        if (*q == 0)
            break;
        if (*q < 0x80) { /* a control character, '"' or '\\' */
            put_escape(w, *q);
            p = q + 1;
        } else {
            int len = ppsj_utf8_length(q, 4); /* the NUL ends a cut sequence */
            if (len) {
                put_bytes(w, (const char *)q, (size_t)len);
                p = q + len;
            } else {
                put_bytes(w, "\xEF\xBF\xBD", 3); /* U+FFFD REPLACEMENT CHARACTER */
                p = q + 1;
            }
        }
        q = p;
        while (plain(*q))
            q++;
    }
    put_char(w, '"');
}

/* put_quoted for the short strings of rows (keys, actions, kinds): checks and copies in one
 * pass; anything longer than 64 bytes or with a byte to escape goes to put_quoted, the bytes
 * copied so far not counted. */
static inline void put_quoted_short(ppsj_writer *w, const char *str)
{
    char *o = room(w, 66);
    size_t i = 0;
    o[0] = '"';
    while (i < 64 && plain((unsigned char)str[i])) {
        o[1 + i] = str[i];
        i++;
    }
    if (str[i] != 0) {
        put_quoted(w, str);
        return;
    }
    o[1 + i] = '"';
    w->len += i + 2;
}

void ppsj_key(ppsj_writer *w, const char *key)
{
    separate(w);
    put_quoted(w, key);
    int spaced = w->depth > 0 && w->style[w->depth - 1] == PPSJ_SPACED;
    put_bytes(w, ": ", spaced ? 2 : 1);
    w->after_key = 1;
}

void ppsj_string(ppsj_writer *w, const char *s)
{
    separate(w);
    put_quoted(w, s);
}

/* ------------------------------------------------------------------ numbers */

static const uint64_t pow10_u64[19] = {
    1ULL, 10ULL, 100ULL, 1000ULL, 10000ULL, 100000ULL, 1000000ULL, 10000000ULL, 100000000ULL,
    1000000000ULL, 10000000000ULL, 100000000000ULL, 1000000000000ULL, 10000000000000ULL,
    100000000000000ULL, 1000000000000000ULL, 10000000000000000ULL, 100000000000000000ULL,
    1000000000000000000ULL};

static const double pow10_dbl[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                     1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                     1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* "00" to "99": two digits per division. */
static const char digit_pairs[201] = "00010203040506070809101112131415161718192021222324252627282930"
                                     "31323334353637383940414243444546474849505152535455565758596061"
                                     "62636465666768697071727374757677787980818283848586878889909192"
                                     "93949596979899";

/* The k lowest decimal digits of u, zero-padded, ending at end (k <= 20); returns the start. */
static char *put_digits_back(char *end, uint64_t u, int k)
{
    char *q = end;
    for (; k >= 2; k -= 2) {
        q -= 2;
        memcpy(q, digit_pairs + 2 * (u % 100), 2);
        u /= 100;
    }
    if (k)
        *--q = (char)('0' + u % 10);
    return q;
}

/* The number of decimal digits of u (1 for 0): from its bit length (log10(2) is about
 * 1233/4096), one too many at most, which one comparison corrects. */
static int digit_count(uint64_t u)
{
    static const uint64_t p10[20] = {
        1ULL, 10ULL, 100ULL, 1000ULL, 10000ULL, 100000ULL, 1000000ULL, 10000000ULL, 100000000ULL,
        1000000000ULL, 10000000000ULL, 100000000000ULL, 1000000000000ULL, 10000000000000ULL,
        100000000000000ULL, 1000000000000000ULL, 10000000000000000ULL, 100000000000000000ULL,
        1000000000000000000ULL, 10000000000000000000ULL};
    int t = ((64 - __builtin_clzll(u | 1)) * 1233) >> 12;
    return t + 1 - ((u | 1) < p10[t]);
}

/* The decimal digits of u at p; returns the end. */
static char *put_u64(char *p, uint64_t u)
{
    int k = digit_count(u);
    put_digits_back(p + k, u, k);
    return p + k;
}

/* u·10^-decimals at p (decimals 1..18; other values write u), trailing zeros of the fraction
 * dropped. Inline, so that the common decimals (3 and 9) divide by constants. */
static inline __attribute__((always_inline)) char *put_fixed_k(char *p, uint64_t u, int decimals)
{
    if (decimals <= 0 || decimals > 18)
        return put_u64(p, u);
    uint64_t scale = pow10_u64[decimals], frac = u % scale;
    p = put_u64(p, u / scale);
    if (frac) {
        /* Trailing zeros dropped 8, 4, 2 and 1 at a time (frac has at most 17). */
        int k = decimals;
        while (frac % 100000000 == 0) {
            frac /= 100000000;
            k -= 8;
        }
        if (frac % 10000 == 0) {
            frac /= 10000;
            k -= 4;
        }
        if (frac % 100 == 0) {
            frac /= 100;
            k -= 2;
        }
        if (frac % 10 == 0) {
            frac /= 10;
            k -= 1;
        }
        *p++ = '.';
        put_digits_back(p + k, frac, k);
        p += k;
    }
    return p;
}

/* The digits after the point of f·2^-8 (0 < f < 256), exactly: with j the trailing zero bits of
 * f, f/2^8 = (f >> j)/2^(8-j) = (f >> j)·5^(8-j)/10^(8-j), so there are k = 8 - j digits, the
 * last not 0, and no division finds them. Returns k; *digits holds them as an integer. */
static inline int eighths_fraction(unsigned f, uint64_t *digits)
{
    static const uint32_t pow5[9] = {1, 5, 25, 125, 625, 3125, 15625, 78125, 390625};
    int j = __builtin_ctz(f), k = 8 - j;
    *digits = (uint64_t)(f >> j) * pow5[k];
    return k;
}

/* u·2^-8 at p, exactly, trailing zeros dropped (multiples of 1/256: quarter seconds, bytes). */
static inline char *put_over_256(char *p, uint64_t u)
{
    p = put_u64(p, u >> 8);
    unsigned f = (unsigned)(u & 255);
    if (f) {
        uint64_t digits;
        int k = eighths_fraction(f, &digits);
        *p++ = '.';
        put_digits_back(p + k, digits, k);
        p += k;
    }
    return p;
}

static char *put_fixed(char *p, uint64_t u, int decimals)
{
    switch (decimals) {
    case 3: return put_fixed_k(p, u, 3); /* microseconds from nanoseconds (Chrome traces) */
    case 9: return put_fixed_k(p, u, 9); /* seconds to the nanosecond (ppsj_format_number) */
    default: return put_fixed_k(p, u, decimals);
    }
}

/* Whether m·10^k, read as a correctly rounded double (as strtod does), is a. With m < 2^53 and
 * |k| <= 22 both operands are exact doubles and one IEEE operation rounds correctly (Clinger's
 * fast path); otherwise strtod decides. */
static int reads_back(uint64_t m, int k, double a)
{
    if (m < (1ULL << 53) && k >= -22 && k <= 22)
        return (k >= 0 ? (double)m * pow10_dbl[k] : (double)m / pow10_dbl[-k]) == a;
    char text[48];
    snprintf(text, sizeof text, "%llue%d", (unsigned long long)m, k);
    return strtod(text, NULL) == a;
}

/* The n-digit decimal (mantissa *m, times 10^(e10 - n + 1)) that reads back as a, if any. dig
 * holds the 17 significant digits of a rounded to nearest, e10 the exponent of the first. The
 * two n-digit decimals around a are the cut of dig and the next one up: dig is within half a
 * unit of its 17th digit of a, so when dig's tail past n is zero, the cut itself is the only
 * candidate close enough. The nearer is tried first. */
static int digits_that_read_back(const char *dig, int n, int e10, double a, uint64_t *m)
{
    uint64_t t = 0;
    for (int i = 0; i < n; i++)
        t = t * 10 + (uint64_t)(dig[i] - '0');
    int k = e10 - (n - 1), tail_zero = 1, above_half;
    for (int i = n; i < 17 && tail_zero; i++)
        tail_zero = dig[i] == '0';
    if (tail_zero) {
        *m = t;
        return reads_back(t, k, a);
    }
    above_half = dig[n] > '5';
    for (int i = n + 1; i < 17 && dig[n] == '5' && !above_half; i++)
        above_half = dig[i] != '0';
    uint64_t first = above_half ? t + 1 : t, second = above_half ? t : t + 1;
    if (reads_back(first, k, a)) {
        *m = first;
        return 1;
    }
    *m = second;
    return reads_back(second, k, a);
}

#ifdef __SIZEOF_INT128__
__extension__ typedef unsigned __int128 u128;

/* The 17 significant digits of a, correctly rounded (ties to even, as printf's %.16e), without
 * printf: a = m·2^e exactly, so a·10^q = m·10^q / 2^-e, an integer product below 2^127 and one
 * shift, for 1e-6 <= a < 2^53 (10^q <= 10^22). Returns 0 outside that range. */
static int digits17_exact(double a, char *dig, int *e10)
{
    int e2;
    double fr = frexp(a, &e2); /* a = fr·2^e2, fr in [0.5, 1) */
    uint64_t m = (uint64_t)ldexp(fr, 53);
    int sh = 53 - e2;          /* a = m / 2^sh */
    int q = 16 - (int)floor((e2 - 1) * 0.30102999566398120); /* off by one at most */
    if (sh <= 0)
        return 0;
    for (int tries = 0; tries < 3; tries++) {
        if (q < 0 || q > 22)
            return 0;
        u128 p10 = q > 18 ? (u128)pow10_u64[18] * pow10_u64[q - 18] : (u128)pow10_u64[q];
        u128 n = (u128)m * p10, d = n >> sh, rem = n - (d << sh), half = (u128)1 << (sh - 1);
        if (rem > half || (rem == half && (d & 1)))
            d++;
        if (d >= (u128)pow10_u64[17]) { /* 18 digits: the estimate of q was one too big */
            q--;
            continue;
        }
        if (d < (u128)pow10_u64[16]) {
            q++;
            continue;
        }
        uint64_t u = (uint64_t)d;
        for (int i = 16; i >= 0; i--, u /= 10)
            dig[i] = (char)('0' + u % 10);
        *e10 = 16 - q;
        return 1;
    }
    return 0;
}
#endif

/* The 17 significant digits of a rounded to nearest and the exponent of the first. */
static void digits17(double a, char *dig, int *e10)
{
#ifdef __SIZEOF_INT128__
    if (digits17_exact(a, dig, e10))
        return;
#endif
    char text[40];
    snprintf(text, sizeof text, "%.16e", a); /* d.dddddddddddddddde±XX */
    dig[0] = text[0];
    memcpy(dig + 1, text + 2, 16);
    *e10 = (int)strtol(text + 19, NULL, 10);
}

/* The shortest exact form of finite, non-zero a > 0 (the sign is written by the caller): fixed
 * notation for exponents -7 < e < 21 (as JavaScript writes numbers), else d.ddde±X. */
static char *put_shortest(char *p, double a)
{
    char dig[17];
    int e10;
    digits17(a, dig, &e10);
    uint64_t m = 0, best = 0;
    int n = 17;
    /* Success is monotone in n (an n-digit answer is also an (n+1)-digit one). Numbers that
     * miss the fast paths mostly need 16 or 17 digits: try 16 and 15 first, then bisect. */
    if (!digits_that_read_back(dig, 16, e10, a, &best)) {
        best = 0;
        for (int i = 0; i < 17; i++)
            best = best * 10 + (uint64_t)(dig[i] - '0');
    } else if (!digits_that_read_back(dig, 15, e10, a, &m)) {
        n = 16;
    } else {
        int lo = 1, hi = 15;
        best = m;
        while (lo < hi) {
            int mid = (lo + hi) / 2;
            if (digits_that_read_back(dig, mid, e10, a, &m)) {
                hi = mid;
                best = m;
            } else {
                lo = mid + 1;
            }
        }
        n = hi;
    }
    /* best has n digits, or n + 1 when rounding up carried (999 -> 1000). */
    char d[20];
    int len = (int)(put_u64(d, best) - d);
    int exp = e10 + (len - n); /* exponent of the first digit */
    while (len > 1 && d[len - 1] == '0')
        len--;
    if (exp > -7 && exp < 21) {
        if (exp < 0) {
            *p++ = '0';
            *p++ = '.';
            for (int i = -1; i > exp; i--)
                *p++ = '0';
            memcpy(p, d, (size_t)len);
            return p + len;
        }
        for (int i = 0; i <= exp || i < len; i++) {
            if (i == exp + 1)
                *p++ = '.';
            *p++ = i < len ? d[i] : '0';
        }
        return p;
    }
    *p++ = d[0];
    if (len > 1) {
        *p++ = '.';
        memcpy(p, d + 1, (size_t)(len - 1));
        p += len - 1;
    }
    *p++ = 'e';
    if (exp < 0) {
        *p++ = '-';
        exp = -exp;
    }
    return put_u64(p, (uint64_t)exp);
}

char *ppsj_format_number(char *p, double v)
{
    if (v == 0) {
        if (signbit(v))
            *p++ = '-';
        *p++ = '0';
        return p;
    }
    if (v < 0)
        *p++ = '-';
    double a = fabs(v);
    /* Fast paths, exact and shortest by construction: whole numbers below 2^53 (every integer
     * there is a double of its own), and values below 2^23 that are the double nearest a decimal
     * with at most 9 decimals (seconds to the nanosecond: simulated times from short costs).
     * Below 2^23 a double's spacing is under 1e-9, so no two such decimals share a double and
     * the 9-decimal form with its trailing zeros dropped is the shortest. The check redoes the
     * reader's correctly rounded division u / 1e9. */
    if (a < 9007199254740992.0 && a == floor(a))
        return put_u64(p, (uint64_t)a);
    if (a < 8388608.0) {
        /* Multiples of 2^-8 first (quarter seconds and the like): their exact decimal has at
         * most 8 decimals, so it is the 9-decimal form below, found without the division that
         * checks it. */
        double m8 = a * 256.0;
        if (m8 == (double)(uint64_t)m8)
            return put_over_256(p, (uint64_t)m8);
        /* nearbyint(x) for 0 <= x < 2^53, without the call: adding and taking away 2^52 rounds
         * to an integer (ties to even), and from 2^52 up every double is one. */
        const double two52 = 4503599627370496.0;
        double x = a * 1e9, u = x < two52 ? (x + two52) - two52 : x;
        if (u / 1e9 == a)
            return put_fixed(p, (uint64_t)u, 9);
    }
    return put_shortest(p, a);
}

char *ppsj_format_g17(char *p, double v)
{
    char dig[17];
    int e10 = 0, ok = 0;
    double a = fabs(v);
    /* Multiples of 2^-8 below 2^36 (times and sizes of quarter seconds, quarter bytes): the
     * double's exact decimal value has at most 8 decimals (put_over_256), which %.17g writes as
     * it is (trailing zeros dropped) when it has at most 17 significant digits. Exponents lie in
     * [-3, 10], where %g writes fixed notation. */
    double m8 = a * 256.0; /* exact: a power of two */
    if (a >= 0.00390625 && a < 68719476736.0 && m8 == (double)(uint64_t)m8) {
        uint64_t u = (uint64_t)m8, ip = u >> 8, frac = 0;
        int k = (u & 255) ? eighths_fraction((unsigned)(u & 255), &frac) : 0;
        if ((ip ? digit_count(ip) + k : digit_count(frac)) <= 17) { /* significant digits */
            if (v < 0)
                *p++ = '-';
            return put_over_256(p, u);
        }
    }
    if (v == 0) { /* %.17g writes zeros as "0" and "-0" */
        if (signbit(v))
            *p++ = '-';
        *p++ = '0';
        return p;
    }
#ifdef __SIZEOF_INT128__
    ok = isfinite(v) && v != 0 && digits17_exact(a, dig, &e10);
#endif
    if (!ok) { /* zeros, NaN, infinities, and magnitudes outside [1e-6, 2^53) */
        char text[40];
        int n = snprintf(text, sizeof text, "%.17g", v);
        memcpy(p, text, (size_t)n);
        return p + n;
    }
    /* %g with precision 17: the 17 significant digits, trailing zeros dropped; fixed notation
     * for exponents -4 <= X < 17, else d.ddde±XX (two exponent digits at least). */
    int len = 17;
    while (len > 1 && dig[len - 1] == '0')
        len--;
    if (v < 0)
        *p++ = '-';
    if (e10 >= -4 && e10 < 17) {
        if (e10 < 0) {
            *p++ = '0';
            *p++ = '.';
            for (int i = -1; i > e10; i--)
                *p++ = '0';
            memcpy(p, dig, (size_t)len);
            return p + len;
        }
        memcpy(p, dig, (size_t)e10 + 1);
        p += e10 + 1;
        if (len > e10 + 1) {
            *p++ = '.';
            memcpy(p, dig + e10 + 1, (size_t)(len - e10 - 1));
            p += len - e10 - 1;
        }
        return p;
    }
    *p++ = dig[0];
    if (len > 1) {
        *p++ = '.';
        memcpy(p, dig + 1, (size_t)len - 1);
        p += len - 1;
    }
    *p++ = 'e';
    *p++ = e10 < 0 ? '-' : '+';
    int x = e10 < 0 ? -e10 : e10;
    if (x < 10)
        *p++ = '0';
    return put_u64(p, (uint64_t)x);
}

int pps_format_exact(double v, char *buf, size_t size)
{
    char text[PPSJ_NUMBER_MAX + 1];
    if (!isfinite(v))
        snprintf(text, sizeof text, "%g", v); /* messages may name them: nan, inf */
    else
        *ppsj_format_number(text, v == 0 ? 0.0 : v) = '\0'; /* -0 reads as 0 in a message */
    return snprintf(buf, size, "%s", text);
}

void ppsj_number(ppsj_writer *w, double v)
{
    separate(w);
    if (!isfinite(v)) {
        put_bytes(w, "null", 4);
        return;
    }
    char *p = room(w, PPSJ_NUMBER_MAX);
    w->len += (size_t)(ppsj_format_number(p, v) - p);
}

void ppsj_integer(ppsj_writer *w, long long v)
{
    separate(w);
    char *p = room(w, 24), *e = p;
    if (v < 0)
        *e++ = '-';
    e = put_u64(e, v < 0 ? 0 - (uint64_t)v : (uint64_t)v);
    w->len += (size_t)(e - p);
}

void ppsj_decimal(ppsj_writer *w, long long units, int decimals)
{
    separate(w);
    char *p = room(w, 24), *e = p;
    if (units < 0)
        *e++ = '-';
    e = put_fixed(e, units < 0 ? 0 - (uint64_t)units : (uint64_t)units, decimals);
    w->len += (size_t)(e - p);
}

void ppsj_bool(ppsj_writer *w, int v)
{
    separate(w);
    put_bytes(w, v ? "true" : "false", v ? 4 : 5);
}

void ppsj_null(ppsj_writer *w)
{
    separate(w);
    put_bytes(w, "null", 4);
}

void ppsj_member_string(ppsj_writer *w, const char *key, const char *s)
{
    ppsj_key(w, key);
    ppsj_string(w, s);
}

void ppsj_member_number(ppsj_writer *w, const char *key, double v)
{
    ppsj_key(w, key);
    ppsj_number(w, v);
}

void ppsj_member_integer(ppsj_writer *w, const char *key, long long v)
{
    ppsj_key(w, key);
    ppsj_integer(w, v);
}

void ppsj_member_bool(ppsj_writer *w, const char *key, int v)
{
    ppsj_key(w, key);
    ppsj_bool(w, v);
}

void ppsj_row(ppsj_writer *w, int object, const ppsj_column *cols, const ppsj_value *v, int n)
{
    ppsj_newline(w, 0);
    separate(w);
    put_char(w, object ? '{' : '[');
    if (w->depth == PPSJ_WRITE_DEPTH)
        w->failed = 1; /* as ppsj_begin_array would */
    for (int i = 0; i < n; i++) {
        if (i)
            put_char(w, ',');
        if (object) {
            put_quoted_short(w, cols[i].key);
            put_char(w, ':');
        }
        char *p;
        switch (cols[i].type) {
        case PPSJ_FIELD_INTEGER:
        case PPSJ_FIELD_DECIMAL: {
            long long x = v[i].i;
            p = room(w, 24);
            char *e = p;
            if (x < 0)
                *e++ = '-';
            uint64_t u = x < 0 ? 0 - (uint64_t)x : (uint64_t)x;
            e = cols[i].type == PPSJ_FIELD_INTEGER ? put_u64(e, u)
                                                   : put_fixed(e, u, cols[i].decimals);
            w->len += (size_t)(e - p);
            break;
        }
        case PPSJ_FIELD_STRING: put_quoted_short(w, v[i].s); break;
        case PPSJ_FIELD_NUMBER: {
            uint64_t bits;
            memcpy(&bits, &v[i].d, sizeof bits);
            int m = w->memo_len[0] && bits == w->memo_bits[0]   ? 0
                    : w->memo_len[1] && bits == w->memo_bits[1] ? 1
                                                                : -1;
            p = room(w, PPSJ_NUMBER_MAX);
            if (m >= 0) { /* formatted just before: the same bits give the same text */
                memcpy(p, w->memo_text[m], sizeof w->memo_text[m]);
                w->len += w->memo_len[m];
            } else if (!isfinite(v[i].d)) {
                put_bytes(w, "null", 4);
            } else {
                size_t len = (size_t)(ppsj_format_number(p, v[i].d) - p);
                m = w->memo_next;
                w->memo_next ^= 1;
                w->memo_bits[m] = bits;
                w->memo_len[m] = (unsigned char)len;
                memcpy(w->memo_text[m], p, len);
                w->len += len;
            }
            break;
        }
        }
    }
    put_char(w, object ? '}' : ']');
}

void ppsj_begin_file(ppsj_writer *w, FILE *fp, const char *format, int version)
{
    ppsj_writer_init(w, fp);
    ppsj_begin_object(w, PPSJ_SPACED);
    ppsj_member_string(w, "format", format);
    ppsj_member_integer(w, "version", version);
}

void ppsj_member_numbers(ppsj_writer *w, const char *key, const char *const *names,
                         const double *v, int n)
{
    ppsj_key(w, key);
    ppsj_begin_object(w, PPSJ_SPACED);
    for (int i = 0; i < n; i++)
        ppsj_member_number(w, names[i], v[i]);
    ppsj_end_object(w);
}
