/* json_write.h — the one JSON writer of libppsim: every file and --json summary ppsim writes
 * goes through it (docs/ir.md, "JSON output"). Internal (prefix ppsj_).
 *
 * What it guarantees, whatever the caller passes:
 * - Valid JSON structure: separators and nesting come from begin/end calls, never from the
 *   caller's text.
 * - Strings: '"' and '\' escaped, control characters (U+0000-U+001F) as \n, \t, \r, \b, \f or
 *   \u00XX; valid UTF-8 copied as is; every byte that is not part of a valid UTF-8 sequence
 *   (stray continuation bytes, overlong forms, surrogates, code points past U+10FFFF, cut
 *   sequences) replaced by U+FFFD. Strings are C strings, so no NUL (raw or \u0000) is ever
 *   written.
 * - Numbers: the fewest significant digits that read back (correctly rounded, as strtod and
 *   every conforming JSON parser read) as exactly the same double; NaN and infinities as null.
 *
 * Output goes through a 64 KiB buffer, flushed with fwrite: no stdio call per character or per
 * field, since timelines and Chrome traces hold millions of events. */
#ifndef PPS_JSON_WRITE_H
#define PPS_JSON_WRITE_H

#include "ppsim.h"

#include <stdint.h>
#include <stdio.h>

#define PPSJ_WRITE_BUF 65536
#define PPSJ_WRITE_DEPTH 16

/* Separators inside one container. */
typedef enum ppsj_style {
    PPSJ_SPACED = 0, /* "a": 1, "b": 2   (headers, summaries) */
    PPSJ_COMPACT = 1 /* "a":1,"b":2      (millions of events) */
} ppsj_style;

/* A writer onto one FILE. Plain data; lives on the caller's stack (about 64 KiB). */
typedef struct ppsj_writer {
    FILE *fp;
    size_t len;      /* bytes waiting in buf */
    int failed;      /* a short fwrite or a nesting error: finish reports it */
    int errnum;      /* errno of the first failed fwrite, 0 if none */
    int depth;       /* open containers */
    int after_key;   /* the next value completes a member: no separator before it */
    int brk;         /* 0, or 1 + indent: a line break before the next element or closer */
    unsigned char style[PPSJ_WRITE_DEPTH];
    unsigned char nonempty[PPSJ_WRITE_DEPTH];
    /* The last two numbers rows formatted (by their bits) and their text: an event's times are
     * often its neighbour's (a send starts when its producer ends). memo_len 0: empty. */
    uint64_t memo_bits[2];
    unsigned char memo_len[2], memo_next;
    char memo_text[2][32];
    char buf[PPSJ_WRITE_BUF];
} ppsj_writer;

void ppsj_writer_init(ppsj_writer *w, FILE *fp);
/* Ends the document with a newline, flushes the buffer into the FILE (not the FILE itself) and
 * returns PPS_EIO when any write failed or the FILE's error flag is set: "WHAT: write error:
 * REASON" with err->errnum set when the failed fwrite gave one (pps_outfile_check then names the
 * file), else "WHAT: write error". PPS_OK otherwise. */
pps_status ppsj_writer_finish(ppsj_writer *w, const char *what, pps_error *err);

void ppsj_begin_object(ppsj_writer *w, ppsj_style style);
void ppsj_end_object(ppsj_writer *w);
void ppsj_begin_array(ppsj_writer *w, ppsj_style style);
void ppsj_end_array(ppsj_writer *w);
/* The key of the next member of the innermost object (escaped like any string). */
void ppsj_key(ppsj_writer *w, const char *key);
/* Puts a line break and `indent` spaces before the next element, member or closing bracket
 * (layout only). */
void ppsj_newline(ppsj_writer *w, int indent);

/* Values: each is an array element or completes the member named by the last ppsj_key. */
void ppsj_string(ppsj_writer *w, const char *s);
void ppsj_number(ppsj_writer *w, double v);       /* shortest exact form; NaN, inf: null */
void ppsj_integer(ppsj_writer *w, long long v);
/* The exact decimal units·10^-decimals (decimals 0..18), trailing zeros dropped: 1500 with 3
 * decimals is 1.5. For fixed-point quantities such as integer nanoseconds. */
void ppsj_decimal(ppsj_writer *w, long long units, int decimals);
void ppsj_bool(ppsj_writer *w, int v);
void ppsj_null(ppsj_writer *w);

/* Rows: one compact array or object on a line of its own, written in one call, for the
 * millions of events of timelines and traces (a call per field costs more than the field). The
 * output is what ppsj_newline(w, 0), ppsj_begin_array/object(w, PPSJ_COMPACT), a ppsj_key and
 * value call per field and the end call write, byte for byte. */
typedef enum ppsj_field_type {
    PPSJ_FIELD_INTEGER, /* .i, as ppsj_integer */
    PPSJ_FIELD_STRING,  /* .s, as ppsj_string */
    PPSJ_FIELD_NUMBER,  /* .d, as ppsj_number */
    PPSJ_FIELD_DECIMAL  /* .i with the column's decimals, as ppsj_decimal */
} ppsj_field_type;

/* What a row's field is: constant for all rows of a kind (a static table). */
typedef struct ppsj_column {
    const char *key; /* the member's key in an object row; NULL in an array row */
    ppsj_field_type type;
    int decimals; /* PPSJ_FIELD_DECIMAL */
} ppsj_column;

/* A field's value (8 bytes: filling one per field is all a row costs its caller). */
typedef union ppsj_value {
    long long i;
    double d;
    const char *s;
} ppsj_value;

/* An array row [v0,v1,...] (object: {"k0":v0,"k1":v1,...}) of n fields (n <= 16). */
void ppsj_row(ppsj_writer *w, int object, const ppsj_column *cols, const ppsj_value *v, int n);

/* Starts a ppsim file on fp: init, then {"format": FORMAT, "version": VERSION (spaced). */
void ppsj_begin_file(ppsj_writer *w, FILE *fp, const char *format, int version);
/* KEY: {"NAME0": v[0], ..., "NAME(n-1)": v[n-1]} (spaced), numbers as ppsj_number. */
void ppsj_member_numbers(ppsj_writer *w, const char *key, const char *const *names,
                         const double *v, int n);

/* Member shorthands: ppsj_key then the value. */
void ppsj_member_string(ppsj_writer *w, const char *key, const char *s);
void ppsj_member_number(ppsj_writer *w, const char *key, double v);
void ppsj_member_integer(ppsj_writer *w, const char *key, long long v);
void ppsj_member_bool(ppsj_writer *w, const char *key, int v);

/* Formats v at p as ppsj_number does (finite v only); p has room for PPSJ_NUMBER_MAX bytes.
 * Returns the end (no NUL written). For messages and tests. */
#define PPSJ_NUMBER_MAX 32
char *ppsj_format_number(char *p, double v);
/* Formats v at p exactly as printf's "%.17g" does, byte for byte (without printf where the
 * digits can be worked out exactly: 1e-6 <= |v| < 2^53); at most PPSJ_NUMBER_MAX bytes, no NUL.
 * For CSV files that have always been written with %.17g. */
char *ppsj_format_g17(char *p, double v);

#endif
