/* json_read.h — the small-file JSON readers' tree (cJSON) and typed member access: a document is
 * read with the streaming scanner (json_scan.h) into a cJSON tree, refusing duplicate keys and
 * \u0000 with their JSON path; getters' errors name the file, the JSON path and the field.
 * Internal (prefix ppsj_). Big files (schedules, timelines) and the big arrays of small ones
 * (costs' stages, a profile's stage_costs and links) are read with the scanner.
 *
 * Memory: a whole tree (ppsj_parse) takes up to 40 bytes per byte of JSON text (a cJSON node, 64
 * bytes plus the allocator's 16, per value of at least two bytes: "0,"), plus strings and keys
 * as long as the text's. The readers therefore never parse a whole file so: they stream what grows
 * with the file and read the rest with ppsj_parse_value, which is bounded (docs/ir.md, "Out of
 * memory"). */
#ifndef PPS_JSON_READ_H
#define PPS_JSON_READ_H

#include <cjson/cJSON.h>

#include "io/json_scan.h"
#include "ppsim.h"

/* Parses text[0..len) as one JSON document into *out (caller deletes; NULL on failure).
 * Refuses: an empty text ("NAME: empty file, expected a JSON document"), a NUL byte
 * ("NAME:LINE:COL: malformed JSON: a NUL byte"), any syntax error ("NAME:LINE:COL: malformed
 * JSON: WHAT"), text after the document, a key given twice in one object ("NAME: PATH.KEY:
 * duplicate field"), \u0000 in a string ("NAME: PATH: \u0000 (NUL) in a string"). Out of
 * memory is PPS_ENOMEM ("NAME: out of memory reading JSON"), never "malformed". */
pps_status ppsj_parse(const char *text, size_t len, const char *name, cJSON **out, pps_error *err);
/* Values a member read whole may hold (ppsj_parse_value): ppsim's members hold a few dozen. */
#define PPSJ_MAX_VALUES 4096

/* Parses the one value at the scanner's cursor (whitespace skipped) into *out as ppsj_parse
 * does, `at` being its path, but bounded for the members of files read in parts (every reader's
 * header members and array elements): an array is checked for syntax and kept empty (a tree
 * reader reads none: its arrays are streamed), and more than PPSJ_MAX_VALUES values are refused
 * ("NAME: PATH: more than 4096 values in a member read whole ..."), so that the tree takes at
 * most about 460 KB whatever the member holds (docs/ir.md, "Out of memory"). */
pps_status ppsj_parse_value(ppsj_scan *c, const ppsj_path *at, cJSON **out);

/* Reads the top-level object of a big file whose large members the caller then reads with its
 * own streaming code. Members named in `deferred` (NULL-terminated) are only checked for syntax
 * and located: deferred_at[i] is the offset of the value in text, SIZE_MAX when absent. Members
 * named in `known` go into *hdr as ppsj_parse reads them. The first other member goes into *hdr
 * as null, so that ppsj_check_keys names it where the caller checks keys; later ones are only
 * checked for syntax: the file is refused for them anyway, and memory stays bounded by the known
 * members. Refuses what ppsj_parse refuses (but a NUL byte as the syntax error it makes where it
 * is) and a value that is not an object ("NAME: $: expected an object, got ..."). *hdr is the
 * caller's to delete; NULL on failure.
 *
 * read_deferred (may be NULL) lets the caller read a deferred member at once, in the same pass:
 * it is called with the cursor on the value, `which` its index in deferred, and hdr holding the
 * members read so far. It returns 1 having read the whole value (the cursor right after it,
 * where skipping would have left it; so it must accept only valid JSON), or 0 to have the value
 * checked and skipped as without it (the cursor may be anywhere: it is put back). It must not
 * touch c->err: what it finds wrong it drops, and the skip reports syntax errors as before. */
typedef int (*ppsj_deferred_fn)(ppsj_scan *c, int which, const cJSON *hdr, void *ctx);
pps_status ppsj_parse_top(const char *text, size_t len, const char *name,
                          const char *const *known, const char *const *deferred,
                          size_t *deferred_at, ppsj_deferred_fn read_deferred, void *ctx,
                          cJSON **hdr, pps_error *err);

/* ppsj_parse_top for a reader that read its whole file with ppsj_parse before: what ppsj_parse
 * refuses first is refused first, in its order and with its messages (an empty text, a NUL byte
 * anywhere, where it is, and a document that is not an object, after its syntax and any text
 * after it), then the members as ppsj_parse_top reads them. Unknown members are never built
 * into a tree (docs/ir.md, "Out of memory"). */
pps_status ppsj_parse_object(const char *text, size_t len, const char *name,
                             const char *const *known, const char *const *deferred,
                             size_t *deferred_at, cJSON **hdr, pps_error *err);

/* Deferred arrays (ppsj_parse_top), read a bounded piece at a time. ppsj_count_array counts the
 * elements of the array at text offset `at` (its syntax already checked), refusing a value that
 * is not an array ("NAME: PATH: expected an array, got ..."). ppsj_each_element parses each
 * element in turn into a tree of its own (as ppsj_parse would: duplicate keys and \u0000
 * refused, at PATH[i]), calls fn with it and deletes it; the first error from fn stops it. */
pps_status ppsj_count_array(ppsj_scan *c, size_t at, const ppsj_path *path, size_t *n);
typedef pps_status (*ppsj_element_fn)(const cJSON *e, size_t i, void *arg);
pps_status ppsj_each_element(ppsj_scan *c, size_t at, const ppsj_path *path, ppsj_element_fn fn,
                             void *arg);

/* Each getter reads member `key` of object `obj`, which sits at JSON path `path` (e.g. "$" or
 * "$.stages[2]") in file `name`. A missing member is an error only when `required`; then *out is
 * left untouched and PPS_OK returned. Errors read "NAME: PATH.KEY: expected ..., got ...". */
pps_status ppsj_get_int(const cJSON *obj, const char *key, int required, long lo, long hi,
                        long *out, const char *name, const char *path, pps_error *err);
pps_status ppsj_get_number(const cJSON *obj, const char *key, int required, double lo, double hi,
                           double *out, const char *name, const char *path, pps_error *err);
/* *out points into obj (not owned). */
pps_status ppsj_get_string(const cJSON *obj, const char *key, int required, const char **out,
                           const char *name, const char *path, pps_error *err);
/* Optional boolean member `key`; *out (0 or 1) is left untouched when it is absent. */
pps_status ppsj_get_bool(const cJSON *obj, const char *key, int *out, const char *name,
                         const char *path, pps_error *err);
/* Optional string member `key` copied into buf (size bytes, NUL included); refused when longer;
 * buf is left untouched when the member is absent. */
pps_status ppsj_get_text(const cJSON *obj, const char *key, char *buf, size_t size,
                         const char *name, const char *path, pps_error *err);
/* Requires member `key` to be an array (or object when want_object); *out borrowed. */
pps_status ppsj_get_array(const cJSON *obj, const char *key, int required, const cJSON **out,
                          const char *name, const char *path, pps_error *err);
pps_status ppsj_get_object(const cJSON *obj, const char *key, int required, const cJSON **out,
                           const char *name, const char *path, pps_error *err);

/* Refuses a member of obj whose key is not in the NULL-terminated list `allowed`. */
pps_status ppsj_check_keys(const cJSON *obj, const char *const *allowed, const char *name,
                           const char *path, pps_error *err);

/* NULL when v is a number with an integer value; else what it is instead, for "expected an
 * integer, got ...": "a fraction", "a number too large for a double", "a string", ... */
const char *ppsj_not_integer(const cJSON *v);

/* A short description of a value's type for messages: "a string", "an array", ... */
const char *ppsj_type_name(const cJSON *v);

#endif /* PPS_JSON_READ_H */
