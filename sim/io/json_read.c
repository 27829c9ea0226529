/* jsonutil.c — cJSON helpers with JSON-path error messages (see jsonutil.h). */
#include "io/json_read.h"

#include <math.h>
#include <string.h>

/* 1-based line and column of byte offset at. */
static void line_col(const char *text, size_t at, long *line, long *col)
{
    *line = 1;
    *col = 1;
    for (size_t i = 0; i < at; i++) {
        if (text[i] == '\n') {
            (*line)++;
            *col = 1;
        } else {
            (*col)++;
        }
    }
}

static int is_ws(char ch)
{
    return ch == ' ' || ch == '\n' || ch == '\r' || ch == '\t';
}

pps_status ppsj_parse(const char *text, size_t len, const char *name, cJSON **out, pps_error *err)
{
    long line, col;
    size_t pos = 0;
    while (pos < len && is_ws(text[pos]))
        pos++;
    if (pos == len)
        return pps_error_set(err, PPS_EINPUT, "%s: empty file, expected a JSON document", name);
    /* cJSON reads C strings: a NUL byte would silently end the document or cut a string. JSON
     * allows no raw NUL anywhere, so refuse it where it is. */
    const char *nul = memchr(text, '\0', len);
    if (nul) {
        line_col(text, (size_t)(nul - text), &line, &col);
        return pps_error_set(err, PPS_EINPUT, "%s:%ld:%ld: malformed JSON: a NUL byte", name,
                             line, col);
    }
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    if (root) {
        /* cJSON stops after the first value; anything but whitespace after it is an error. */
        pos = (size_t)(end - text);
        while (pos < len && is_ws(text[pos]))
            pos++;
        if (pos == len) {
            *out = root;
            return PPS_OK;
        }
        cJSON_Delete(root);
        line_col(text, pos, &line, &col);
        return pps_error_set(err, PPS_EINPUT, "%s:%ld:%ld: malformed JSON: text after the "
                             "document", name, line, col);
    }
    /* cJSON gives the position it stopped at (or NULL when out of memory). */
    size_t at = end ? (size_t)(end - text) : 0;
    line_col(text, at > len ? len : at, &line, &col);
    return pps_error_set(err, PPS_EINPUT, "%s:%ld:%ld: malformed JSON", name, line, col);
}

const char *ppsj_type_name(const cJSON *v)
{
    if (!v)
        return "nothing";
    if (cJSON_IsNumber(v))
        return "a number";
    if (cJSON_IsString(v))
        return "a string";
    if (cJSON_IsArray(v))
        return "an array";
    if (cJSON_IsObject(v))
        return "an object";
    if (cJSON_IsBool(v))
        return "a boolean";
    if (cJSON_IsNull(v))
        return "null";
    return "an invalid value";
}

const char *ppsj_not_integer(const cJSON *v)
{
    if (!cJSON_IsNumber(v))
        return ppsj_type_name(v);
    /* cJSON reads a number beyond a double (1e400) as infinity: too large, not a fraction. */
    if (!isfinite(v->valuedouble))
        return "a number too large for a double";
    return v->valuedouble != floor(v->valuedouble) ? "a fraction" : NULL;
}

/* Finds member key (case-sensitive); reports a missing required member. */
static pps_status member(const cJSON *obj, const char *key, int required, const cJSON **v,
                         const char *name, const char *path, pps_error *err)
{
    *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!*v && required)
        return pps_error_set(err, PPS_EINPUT, "%s: %s.%s: missing required field", name, path,
                             key);
    return PPS_OK;
}

pps_status ppsj_get_int(const cJSON *obj, const char *key, int required, long lo, long hi,
                        long *out, const char *name, const char *path, pps_error *err)
{
    const cJSON *v;
    pps_status st = member(obj, key, required, &v, name, path, err);
    if (st != PPS_OK || !v)
        return st;
    const char *why = ppsj_not_integer(v);
    if (why)
        return pps_error_set(err, PPS_EINPUT, "%s: %s.%s: expected an integer, got %s", name,
                             path, key, why);
    double d = v->valuedouble;
    /* (double)LONG_MAX rounds up to 2^63, which (long) cannot hold: refuse it explicitly. */
    if (d < (double)lo || d > (double)hi || d >= 9223372036854775808.0) {
        char num[32];
        pps_format_exact(d, num, sizeof num);
        return pps_error_set(err, PPS_EINPUT, "%s: %s.%s: %s is out of range [%ld, %ld]", name,
                             path, key, num, lo, hi);
    }
    *out = (long)d;
    return PPS_OK;
}

pps_status ppsj_get_number(const cJSON *obj, const char *key, int required, double lo, double hi,
                           double *out, const char *name, const char *path, pps_error *err)
{
    const cJSON *v;
    pps_status st = member(obj, key, required, &v, name, path, err);
    if (st != PPS_OK || !v)
        return st;
    if (!cJSON_IsNumber(v))
        return pps_error_set(err, PPS_EINPUT, "%s: %s.%s: expected a number, got %s", name, path,
                             key, ppsj_type_name(v));
    double d = v->valuedouble;
    if (!isfinite(d))
        return pps_error_set(err, PPS_EINPUT, "%s: %s.%s: number is not finite", name, path, key);
    if (d < lo || d > hi)
        return pps_error_set(err, PPS_EINPUT, "%s: %s.%s: %.17g is out of range [%g, %g]", name,
                             path, key, d, lo, hi);
    *out = d;
    return PPS_OK;
}

pps_status ppsj_get_string(const cJSON *obj, const char *key, int required, const char **out,
                           const char *name, const char *path, pps_error *err)
{
    const cJSON *v;
    pps_status st = member(obj, key, required, &v, name, path, err);
    if (st != PPS_OK || !v)
        return st;
    if (!cJSON_IsString(v) || !v->valuestring)
        return pps_error_set(err, PPS_EINPUT, "%s: %s.%s: expected a string, got %s", name, path,
                             key, ppsj_type_name(v));
    *out = v->valuestring;
    return PPS_OK;
}

pps_status ppsj_get_bool(const cJSON *obj, const char *key, int *out, const char *name,
                         const char *path, pps_error *err)
{
    const cJSON *v;
    pps_status st = member(obj, key, 0, &v, name, path, err);
    if (st != PPS_OK || !v)
        return st;
    if (!cJSON_IsBool(v))
        return pps_error_set(err, PPS_EINPUT, "%s: %s.%s: expected a boolean, got %s", name, path,
                             key, ppsj_type_name(v));
    *out = cJSON_IsTrue(v);
    return PPS_OK;
}

pps_status ppsj_get_text(const cJSON *obj, const char *key, char *buf, size_t size,
                         const char *name, const char *path, pps_error *err)
{
    const char *s = NULL;
    pps_status st = ppsj_get_string(obj, key, 0, &s, name, path, err);
    if (st != PPS_OK || !s)
        return st;
    size_t len = strlen(s);
    if (len >= size)
        return pps_error_set(err, PPS_EINPUT, "%s: %s.%s: longer than %zu bytes", name, path, key,
                             size - 1);
    memcpy(buf, s, len + 1);
    return PPS_OK;
}

static pps_status get_container(const cJSON *obj, const char *key, int required, int want_object,
                                const cJSON **out, const char *name, const char *path,
                                pps_error *err)
{
    const cJSON *v;
    pps_status st = member(obj, key, required, &v, name, path, err);
    if (st != PPS_OK || !v)
        return st;
    if (want_object ? !cJSON_IsObject(v) : !cJSON_IsArray(v))
        return pps_error_set(err, PPS_EINPUT, "%s: %s.%s: expected %s, got %s", name, path, key,
                             want_object ? "an object" : "an array", ppsj_type_name(v));
    *out = v;
    return PPS_OK;
}

pps_status ppsj_get_array(const cJSON *obj, const char *key, int required, const cJSON **out,
                          const char *name, const char *path, pps_error *err)
{
    return get_container(obj, key, required, 0, out, name, path, err);
}

pps_status ppsj_get_object(const cJSON *obj, const char *key, int required, const cJSON **out,
                           const char *name, const char *path, pps_error *err)
{
    return get_container(obj, key, required, 1, out, name, path, err);
}

pps_status ppsj_check_keys(const cJSON *obj, const char *const *allowed, const char *name,
                           const char *path, pps_error *err)
{
    for (const cJSON *m = obj->child; m; m = m->next) {
        int known = 0;
        for (const char *const *a = allowed; *a && !known; a++)
            known = m->string && strcmp(m->string, *a) == 0;
        if (!known)
            return pps_error_set(err, PPS_EINPUT, "%s: %s.%s: unknown field", name, path,
                                 m->string ? m->string : "?");
    }
    return PPS_OK;
}
