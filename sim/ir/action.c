/* action.c — action kinds and PyTorch's action strings (`0F3`, `(0F3;1B2)OVERLAP_F_B`). */
#include "internal.h"

#include <string.h>

static const char *const kind_names[PPS_KIND_COUNT] = {
    [PPS_IDLE] = "",
    [PPS_F] = "F",
    [PPS_B] = "B",
    [PPS_I] = "I",
    [PPS_W] = "W",
    [PPS_OVERLAP_F_B] = "OVERLAP_F_B",
    [PPS_SEND_F] = "SEND_F",
    [PPS_RECV_F] = "RECV_F",
    [PPS_SEND_B] = "SEND_B",
    [PPS_RECV_B] = "RECV_B",
    [PPS_UNSHARD] = "UNSHARD",
    [PPS_RESHARD] = "RESHARD",
    [PPS_REDUCE_GRAD] = "REDUCE_GRAD",
    [PPS_WAIT_SEND_F] = "WAIT_SEND_F",
    [PPS_WAIT_SEND_B] = "WAIT_SEND_B",
    [PPS_WAIT_REDUCE_GRAD] = "WAIT_REDUCE_GRAD",
};

const char *pps_kind_name(pps_kind k)
{
    return (unsigned)k < PPS_KIND_COUNT ? kind_names[k] : "?";
}

/* ------------------------------------------------------------------ parsing */

static int is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

static int is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static int is_word(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

/* Reads the decimal number at text[*pos..n) into *out. Returns 0 when there is no digit, 1 when
 * it fits in int32, -1 on overflow; *pos always ends after the digits. */
static int read_number(const char *text, size_t n, size_t *pos, int32_t *out)
{
    size_t i = *pos;
    int64_t v = 0;
    int over = 0;
    if (i >= n || !is_digit((unsigned char)text[i]))
        return 0;
    for (; i < n && is_digit((unsigned char)text[i]); i++) {
        if (!over)
            v = v * 10 + (text[i] - '0');
        over |= v > INT32_MAX;
    }
    *pos = i;
    *out = (int32_t)(over ? 0 : v);
    return over ? -1 : 1;
}

/* Maps a kind word to its kind; PPS_KIND_COUNT when unknown. OVERLAP_F_B is recognised so the
 * caller can say it needs sub-actions. */
static pps_kind kind_of_word(const char *w, size_t n)
{
    switch (n) {
    case 1:
        switch (w[0]) {
        case 'F': return PPS_F;
        case 'B': return PPS_B;
        case 'I': return PPS_I;
        case 'W': return PPS_W;
        }
        break;
    case 6:
        if (memcmp(w, "SEND_F", 6) == 0) return PPS_SEND_F;
        if (memcmp(w, "RECV_F", 6) == 0) return PPS_RECV_F;
        if (memcmp(w, "SEND_B", 6) == 0) return PPS_SEND_B;
        if (memcmp(w, "RECV_B", 6) == 0) return PPS_RECV_B;
        break;
    case 7:
        if (memcmp(w, "UNSHARD", 7) == 0) return PPS_UNSHARD;
        if (memcmp(w, "RESHARD", 7) == 0) return PPS_RESHARD;
        break;
    case 11:
        if (memcmp(w, "REDUCE_GRAD", 11) == 0) return PPS_REDUCE_GRAD;
        if (memcmp(w, "OVERLAP_F_B", 11) == 0) return PPS_OVERLAP_F_B;
        if (memcmp(w, "WAIT_SEND_F", 11) == 0) return PPS_WAIT_SEND_F;
        if (memcmp(w, "WAIT_SEND_B", 11) == 0) return PPS_WAIT_SEND_B;
        break;
    case 16:
        if (memcmp(w, "WAIT_REDUCE_GRAD", 16) == 0) return PPS_WAIT_REDUCE_GRAD;
        break;
    }
    return PPS_KIND_COUNT;
}

/* Parses a plain (non-composite) action from the trimmed, non-empty, NUL-free text[0..n). */
static pps_status parse_plain(const char *text, size_t n, pps_action *out, pps_error *err)
{
    char q[PPS_QUOTE_SIZE];
    size_t pos = 0;
    int32_t stage = 0, mb = -1;

    if (text[0] == '-' && n > 1 && is_digit((unsigned char)text[1])) {
        pps_quote(text, n, q);
        return pps_error_set(err, PPS_EINPUT, "action '%s': negative stage", q);
    }
    int got = read_number(text, n, &pos, &stage);
    if (got < 0) {
        pps_quote(text, n, q);
        return pps_error_set(err, PPS_EINPUT, "action '%s': stage number exceeds %d", q,
                             (int)INT32_MAX);
    }
    size_t w0 = pos;
    while (pos < n && is_word((unsigned char)text[pos]))
        pos++;
    pps_kind kind = kind_of_word(text + w0, pos - w0);
    if (kind == PPS_KIND_COUNT) {
        pps_quote(text, n, q);
        return pps_error_set(err, PPS_EINPUT, "unknown action '%s'", q);
    }
    /* The quoted text is made only for a message: timelines parse millions of actions. */
    const char *why = NULL;
    if (!got)
        why = "missing stage number";
    else if (kind == PPS_OVERLAP_F_B)
        why = "OVERLAP_F_B takes two sub-actions, as in (0F1;1B0)OVERLAP_F_B";
    else if (pos < n && text[pos] == '-' && pos + 1 < n && is_digit((unsigned char)text[pos + 1]))
        why = "negative micro-batch";
    if (why) {
        pps_quote(text, n, q);
        return pps_error_set(err, PPS_EINPUT, "action '%s': %s", q, why);
    }
    got = read_number(text, n, &pos, &mb);
    if (got >= 0 && pos == n && (pps_kind_has_mb(kind) != 0) == (got != 0)) {
        *out = pps_action_make(kind, stage, mb);
        return PPS_OK;
    }
    pps_quote(text, n, q);
    if (got < 0)
        return pps_error_set(err, PPS_EINPUT, "action '%s': micro-batch number exceeds %d", q,
                             (int)INT32_MAX);
    if (pos < n) {
        char tail[PPS_QUOTE_SIZE];
        pps_quote(text + pos, n - pos, tail);
        return pps_error_set(err, PPS_EINPUT, "action '%s': unexpected '%s' after the action", q,
                             tail);
    }
    if (pps_kind_has_mb(kind))
        return pps_error_set(err, PPS_EINPUT, "action '%s': missing micro-batch", q);
    return pps_error_set(err, PPS_EINPUT, "action '%s': %s takes no micro-batch", q,
                         kind_names[kind]);
}

/* Trims whitespace from both ends of text[0..*n); returns the new start. */
static const char *trim(const char *text, size_t *n)
{
    size_t a = 0, b = *n;
    while (a < b && is_space((unsigned char)text[a]))
        a++;
    while (b > a && is_space((unsigned char)text[b - 1]))
        b--;
    *n = b - a;
    return text + a;
}

/* Parses `(F;B)OVERLAP_F_B` from the trimmed text[0..n), which starts with '('. */
static pps_status parse_composite(const char *text, size_t n, pps_action *out, pps_error *err)
{
    char q[PPS_QUOTE_SIZE];
    pps_quote(text, n, q);
    if (n > 1 && memchr(text + 1, '(', n - 1)) /* n >= 1: text starts with '(' */
        return pps_error_set(err, PPS_EINPUT, "action '%s': nested composite action", q);
    const char *close = memchr(text, ')', n);
    if (!close)
        return pps_error_set(err, PPS_EINPUT, "action '%s': missing ')'", q);
    size_t inner = (size_t)(close - text) - 1;
    const char *semi = memchr(text + 1, ';', inner);
    if (!semi || memchr(semi + 1, ';', (size_t)(close - semi) - 1))
        return pps_error_set(err, PPS_EINPUT, "action '%s': OVERLAP_F_B takes exactly two "
                             "sub-actions", q);
    const char *kw = close + 1;
    size_t kn = n - (size_t)(kw - text);
    if (kn == 0)
        return pps_error_set(err, PPS_EINPUT, "action '%s': missing OVERLAP_F_B after ')'", q);
    if (kn != 11 || memcmp(kw, "OVERLAP_F_B", 11) != 0) {
        char k[PPS_QUOTE_SIZE];
        pps_quote(kw, kn, k);
        return pps_error_set(err, PPS_EINPUT, "action '%s': unknown composite kind '%s'", q, k);
    }

    pps_action half[2];
    const char *part[2] = {text + 1, semi + 1};
    size_t plen[2] = {(size_t)(semi - text) - 1, (size_t)(close - semi) - 1};
    for (int h = 0; h < 2; h++) {
        size_t m = plen[h];
        const char *p = trim(part[h], &m);
        if (m == 0)
            return pps_error_set(err, PPS_EINPUT, "action '%s': empty sub-action", q);
        pps_error sub;
        if (parse_plain(p, m, &half[h], &sub) != PPS_OK)
            return pps_error_set(err, PPS_EINPUT, "action '%s': %s", q, sub.msg);
    }
    if (half[0].kind != PPS_F || (half[1].kind != PPS_B && half[1].kind != PPS_I))
        return pps_error_set(err, PPS_EINPUT, "action '%s': OVERLAP_F_B needs a forward (F) "
                             "first and a backward (B or I) second", q);
    pps_action a = half[0];
    a.kind = PPS_OVERLAP_F_B;
    a.stage2 = half[1].stage;
    a.mb2 = half[1].mb;
    a.kind2 = half[1].kind;
    *out = a;
    return PPS_OK;
}

pps_status pps_action_parse(const char *text, size_t len, pps_action *out, pps_error *err)
{
    size_t n = len;
    const char *t = trim(text, &n);
    if (n == 0) {
        *out = pps_action_make(PPS_IDLE, -1, -1);
        return PPS_OK;
    }
    if (memchr(t, '\0', n)) {
        char q[PPS_QUOTE_SIZE];
        pps_quote(t, n, q);
        return pps_error_set(err, PPS_EINPUT, "action '%s': contains a NUL byte", q);
    }
    if (t[0] == '(')
        return parse_composite(t, n, out, err);
    return parse_plain(t, n, out, err);
}

/* ------------------------------------------------------------------ formatting */

/* Writes v in decimal at p; returns the end. */
static char *put_int(char *p, int32_t v)
{
    char d[12];
    int k = 0;
    uint32_t u = v < 0 ? 0u - (uint32_t)v : (uint32_t)v;
    do {
        d[k++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        *p++ = '-';
    while (k)
        *p++ = d[--k];
    return p;
}

static char *put_str(char *p, const char *s)
{
    size_t n = strlen(s);
    memcpy(p, s, n);
    return p + n;
}

int pps_action_format(const pps_action *a, char *buf, size_t size)
{
    /* Worst case: "(" 11 "F" 11 ";" 11 "B" 11 ")OVERLAP_F_B" = 60 bytes, within the buffer. */
    char tmp[PPS_ACTION_TEXT_MAX + 16];
    char *p = tmp;
    pps_kind k = (pps_kind)a->kind;
    if (k == PPS_OVERLAP_F_B) {
        *p++ = '(';
        p = put_int(p, a->stage);
        *p++ = 'F';
        p = put_int(p, a->mb);
        *p++ = ';';
        p = put_int(p, a->stage2);
        p = put_str(p, pps_kind_name((pps_kind)a->kind2));
        p = put_int(p, a->mb2);
        p = put_str(p, ")OVERLAP_F_B");
    } else if (k != PPS_IDLE) {
        p = put_int(p, a->stage);
        p = put_str(p, pps_kind_name(k));
        if (pps_kind_has_mb(k))
            p = put_int(p, a->mb);
    }
    size_t n = (size_t)(p - tmp);
    if (size > 0) {
        size_t c = n < size ? n : size - 1;
        memcpy(buf, tmp, c);
        buf[c] = '\0';
    }
    return (int)n;
}
