/* jsonutil.h — internal cJSON helpers for the JSON readers: parsing with line numbers and typed
 * member access whose errors name the file, the JSON path and the field. */
#ifndef PPS_JSONUTIL_H
#define PPS_JSONUTIL_H

#include <cjson/cJSON.h>

#include "ppsim.h"

/* Parses text[0..len) as one JSON document. On failure: "NAME:LINE:COL: malformed JSON". */
pps_status ppsj_parse(const char *text, size_t len, const char *name, cJSON **out, pps_error *err);

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

#endif
