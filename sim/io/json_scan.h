/* json_scan.h — a streaming JSON scanner over text in memory, for readers of files too big for
 * a tree (timelines, schedules): a cursor, strings, numbers, literals, skipping, JSON paths
 * and error messages with line and column. Internal (prefix ppsj_).
 *
 * It builds nothing: the caller walks the document and turns values into its own records, so
 * memory is the text plus what the caller keeps. Strict RFC 8259 grammar (no '+', leading
 * zeros, NaN, comments or trailing commas); a leading UTF-8 byte order mark is skipped. Strings
 * are refused when they hold \u0000: every field ppsim reads is a C string, which a NUL would
 * silently cut ("0F0\u0000junk" is not "0F0").
 *
 * Errors: syntax as "NAME:LINE:COL: malformed JSON: WHAT" (LINE and COL 1-based, COL in bytes);
 * content as "NAME: PATH: WHAT" with a JSON path such as $.events[3][2]. */
#ifndef PPS_JSON_SCAN_H
#define PPS_JSON_SCAN_H

#include "ppsim.h"

/* Deepest nesting accepted (cJSON's limit; ppsim's own files nest at most 4 deep). */
#define PPSJ_MAX_DEPTH 1000

/* The type of a value, told from its first byte. */
typedef enum ppsj_type {
    PPSJ_INVALID = 0, /* not the start of a value, or the end of the text */
    PPSJ_OBJECT,
    PPSJ_ARRAY,
    PPSJ_STRING,
    PPSJ_NUMBER,
    PPSJ_BOOL,
    PPSJ_NULL
} ppsj_type;

/* "an object", "an array", "a string", "a number", "a boolean", "null", "an invalid value". */
const char *ppsj_type_text(ppsj_type t);

/* Where a value sits, for messages: a chain from the value up to the root ($). Built on the
 * caller's stack as it descends; formatted only when an error is reported. */
typedef struct ppsj_path {
    const struct ppsj_path *up; /* NULL: the parent is the root */
    const char *key;            /* member name, NUL-terminated; NULL: an array element */
    size_t index;               /* the element's index when key is NULL */
} ppsj_path;

/* Writes "$", "$.uniform.tf" or "$.events[3][2]" for path at (NULL: the root) into buf. */
void ppsj_path_format(const ppsj_path *at, char *buf, size_t size);

typedef struct ppsj_scan {
    const char *s; /* the text: s[0..len), need not end in a NUL */
    size_t len, pos;
    const char *name; /* the file, for messages */
    pps_error *err;
    char *buf; /* decoded strings that held escapes (owned; ppsj_scan_free) */
    size_t cap;
} ppsj_scan;

/* Starts at text[0] (after a UTF-8 byte order mark). name and err are borrowed. */
void ppsj_scan_init(ppsj_scan *c, const char *text, size_t len, const char *name,
                    pps_error *err);
/* Frees the string buffer; c can be initialised again. */
void ppsj_scan_free(ppsj_scan *c);

/* These three are inline: readers call them several times per value of files with millions. */
static inline void ppsj_skip_ws(ppsj_scan *c)
{
    const char *s = c->s;
    size_t p = c->pos, n = c->len;
    while (p < n && (s[p] == ' ' || s[p] == '\n' || s[p] == '\r' || s[p] == '\t'))
        p++;
    c->pos = p;
}

/* The byte at the cursor, or -1 at the end of the text. */
static inline int ppsj_peek(const ppsj_scan *c)
{
    return c->pos < c->len ? (unsigned char)c->s[c->pos] : -1;
}

/* The type of the value starting at the cursor (whitespace already skipped). */
static inline ppsj_type ppsj_peek_type(const ppsj_scan *c)
{
    int ch = ppsj_peek(c);
    switch (ch) {
    case '{': return PPSJ_OBJECT;
    case '[': return PPSJ_ARRAY;
    case '"': return PPSJ_STRING;
    case 't':
    case 'f': return PPSJ_BOOL;
    case 'n': return PPSJ_NULL;
    default: return ch == '-' || (ch >= '0' && ch <= '9') ? PPSJ_NUMBER : PPSJ_INVALID;
    }
}

/* Fills err with "NAME:LINE:COL: malformed JSON[: WHAT]" for byte offset at; returns PPS_EINPUT. */
pps_status ppsj_malformed(const ppsj_scan *c, size_t at, const char *what);
/* Fills err with "NAME: PATH: MESSAGE" (printf-style); returns PPS_EINPUT. */
pps_status ppsj_error_at(const ppsj_scan *c, const ppsj_path *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* "NAME: PATH: expected WANT, got TYPE" for the value at the cursor, or the syntax error when
 * what is there is no value at all. */
pps_status ppsj_wrong_type(const ppsj_scan *c, const ppsj_path *at, const char *want);

/* Skips whitespace, then requires byte ch and steps over it; else malformed with WHAT. */
pps_status ppsj_expect(ppsj_scan *c, char ch, const char *what);

/* Scans the string at the cursor (which must be at its '"'). *out points into the text when
 * it held no escapes, else into c's buffer, valid until the next string is scanned; *len is its
 * length in bytes (the text is NUL-terminated at *out[*len] only in the buffer case). Escapes
 * are decoded (\uXXXX with surrogate pairs to UTF-8); a lone surrogate is malformed; \u0000 is
 * refused as "NAME: PATH: \u0000 (NUL) in a string" (ppsj_scan_key: "in a key", PATH being the
 * object's). Each byte that is not part of valid UTF-8 becomes U+FFFD, as the writer writes it
 * (docs/ir.md), so that what is read is what is written back. PPS_ENOMEM when the buffer cannot
 * grow. */
pps_status ppsj_scan_string(ppsj_scan *c, const ppsj_path *at, const char **out, size_t *len);
pps_status ppsj_scan_key(ppsj_scan *c, const ppsj_path *at, const char **out, size_t *len);
/* Scans a number (correctly rounded; overflow gives ±HUGE_VAL for the caller to refuse). */
pps_status ppsj_scan_number(ppsj_scan *c, double *out);
/* As ppsj_scan_number, but wording nothing: 1 having read a number, 0 when there is none at the
 * cursor (or memory ran out), the cursor unmoved and c->err untouched. For fast paths that leave
 * the error, if any, to a slower reader. */
int ppsj_scan_number_quiet(ppsj_scan *c, double *out);
/* Scans true, false (*out 1 or 0) or null (*out -1). */
pps_status ppsj_scan_literal(ppsj_scan *c, int *out);
/* Steps over one whole value, checking its syntax (nesting at most PPSJ_MAX_DEPTH) but not its
 * content. */
pps_status ppsj_skip_value(ppsj_scan *c);
/* The checks every reader makes first, at the document's first byte: a NUL byte anywhere is
 * refused where it is, and a document that is not an object is read whole (text after it is the
 * error) and then refused as not an object. PPS_OK (an object, or nothing) leaves c where it was. */
pps_status ppsj_check_document(ppsj_scan *c);

/* 1 for the bytes a JSON string holds as they are (printable ASCII but '"' and '\\'), 0 for
 * the rest: the end, escapes, control bytes (refused) and UTF-8 (checked). */
extern const unsigned char ppsj_plain_byte[256];

/* Length (2-4) of the valid UTF-8 sequence at p, which has `avail` bytes, or 0 when the byte at
 * p (>= 0x80) does not start one (RFC 3629: no overlong forms, no surrogates, nothing past
 * U+10FFFF, no cut sequence). In a C string avail may be 4: the NUL stops the check. */
int ppsj_utf8_length(const unsigned char *p, size_t avail);

/* Object and array walking: after '{' (or '['), ppsj_next_member (ppsj_next_element) returns
 * 1 when another member (element) follows, having read the ',' before it; 0 after reading the
 * closing '}' (']'); -1 after filling err (malformed). first is 1 on the first call. */
int ppsj_next_member(ppsj_scan *c, int first);
int ppsj_next_element(ppsj_scan *c, int first);

#endif
