/* fuzz_common.h — shared helpers of the libFuzzer targets (tests/fuzz/README.md).
 * Parsers get an exact-length heap copy of the input, NOT NUL-terminated, so that ASan catches any
 * read past text[len) (the API contract is text[0..len), sim/ppsim.h). */
#ifndef PPS_FUZZ_COMMON_H
#define PPS_FUZZ_COMMON_H

#include "ppsim.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A failed oracle: print why and abort, which libFuzzer reports as a crash with the input. */
#define FUZZ_CHECK(cond, ...)                                                                     \
    do {                                                                                          \
        if (!(cond)) {                                                                            \
            fprintf(stderr, "fuzz oracle failed: %s (%s:%d): ", #cond, __FILE__, __LINE__);       \
            fprintf(stderr, __VA_ARGS__);                                                         \
            fputc('\n', stderr);                                                                  \
            abort();                                                                              \
        }                                                                                         \
    } while (0)

/* An exact-size copy (one byte for empty input, so that malloc(0) is never passed on). */
static inline char *fuzz_copy(const uint8_t *data, size_t size)
{
    char *p = malloc(size ? size : 1);
    if (!p)
        abort();
    if (size)
        memcpy(p, data, size);
    return p;
}

/* Checks that an error message is one non-empty line, as the header promises. */
static inline void fuzz_check_error(const pps_error *err, pps_status st)
{
    FUZZ_CHECK(st != PPS_OK, "status ok");
    FUZZ_CHECK(err->msg[0] != '\0', "empty error message for status %d", (int)st);
    FUZZ_CHECK(memchr(err->msg, '\0', sizeof err->msg) != NULL, "unterminated message");
    FUZZ_CHECK(strchr(err->msg, '\n') == NULL, "newline in message: %s", err->msg);
}

/* Runs writer into a memory buffer and returns the text (caller frees). A writer error is an
 * oracle failure unless may_refuse, when a PPS_EINPUT refusal with a proper message gives NULL
 * (the Chrome writer refuses times that do not fit its integer nanoseconds). */
typedef pps_status (*fuzz_writer)(const void *obj, FILE *fp, pps_error *err);
static inline char *fuzz_write_mem_ex(fuzz_writer w, const void *obj, size_t *len, int may_refuse)
{
    char *buf = NULL;
    size_t n = 0;
    FILE *fp = open_memstream(&buf, &n);
    if (!fp)
        abort();
    pps_error err = {0};
    pps_status st = w(obj, fp, &err);
    fclose(fp);
    if (st != PPS_OK && may_refuse && st == PPS_EINPUT) {
        fuzz_check_error(&err, st);
        free(buf);
        return NULL;
    }
    FUZZ_CHECK(st == PPS_OK, "writer failed: %s", err.msg);
    *len = n;
    return buf;
}

static inline char *fuzz_write_mem(fuzz_writer w, const void *obj, size_t *len)
{
    return fuzz_write_mem_ex(w, obj, len, 0);
}

#endif
