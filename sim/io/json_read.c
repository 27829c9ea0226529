/* json_read.c — small JSON documents into a cJSON tree through the streaming scanner, and typed
 * getters with JSON-path messages (see json_read.h). */
#include "io/json_read.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ the tree */

static pps_status out_of_memory(const ppsj_scan *c)
{
    return pps_error_set(c->err, PPS_ENOMEM, "%s: out of memory reading JSON", c->name);
}

typedef struct key_at {
    const char *key;
    size_t index;
} key_at;

static int cmp_key_at(const void *a, const void *b)
{
    const key_at *x = a, *y = b;
    int k = strcmp(x->key, y->key);
    return k ? k : (x->index > y->index) - (x->index < y->index);
}

/* Refuses a key given twice in object o (at path at), naming the second in document order:
 * pairwise for small objects, by sorting for large ones (a hostile file may have millions of
 * keys). */
static pps_status check_duplicates(ppsj_scan *c, const ppsj_path *at, const cJSON *o, size_t n)
{
    const char *dup = NULL;
    if (n <= 16) {
        for (const cJSON *m = o->child; m && !dup; m = m->next)
            for (const cJSON *e = o->child; e != m && !dup; e = e->next)
                if (strcmp(e->string, m->string) == 0)
                    dup = m->string;
    } else {
        key_at *keys = malloc(n * sizeof *keys);
        if (!keys)
            return out_of_memory(c);
        size_t i = 0, first = n;
        for (const cJSON *m = o->child; m; m = m->next, i++)
            keys[i] = (key_at){m->string, i};
        qsort(keys, n, sizeof *keys, cmp_key_at);
        for (i = 1; i < n; i++)
            if (strcmp(keys[i].key, keys[i - 1].key) == 0 && keys[i].index < first) {
                first = keys[i].index;
                dup = keys[i].key;
            }
        if (dup) {
            ppsj_path p = {at, dup, 0};
            pps_status st = ppsj_error_at(c, &p, "duplicate field");
            free(keys);
            return st;
        }
        free(keys);
        return PPS_OK;
    }
    if (!dup)
        return PPS_OK;
    ppsj_path p = {at, dup, 0};
    return ppsj_error_at(c, &p, "duplicate field");
}

/* budget: NULL for a whole document (ppsj_parse); else the values still allowed in a member read
 * whole (ppsj_parse_value), where an array is kept empty: no reader looks into one there. */
static pps_status parse_value(ppsj_scan *c, const ppsj_path *at, int depth, long *budget,
                              cJSON **out);

static pps_status parse_container(ppsj_scan *c, const ppsj_path *at, int depth, int object,
                                  long *budget, cJSON **out)
{
    if (depth >= PPSJ_MAX_DEPTH)
        return ppsj_malformed(c, c->pos, "nested deeper than 1000 levels");
    if (budget && !object) {
        pps_status st = ppsj_skip_value(c);
        if (st != PPS_OK)
            return st;
        if (!(*out = cJSON_CreateArray()))
            return out_of_memory(c);
        return PPS_OK;
    }
    cJSON *v = object ? cJSON_CreateObject() : cJSON_CreateArray();
    if (!v)
        return out_of_memory(c);
    c->pos++; /* '{' or '[' */
    pps_status st = PPS_OK;
    size_t n = 0;
    for (int more; st == PPS_OK && (more = object ? ppsj_next_member(c, n == 0)
                                                  : ppsj_next_element(c, n == 0)) != 0;) {
        if (more < 0) {
            st = PPS_EINPUT;
            break;
        }
        char *key = NULL;
        ppsj_path here = {at, NULL, n};
        if (object) {
            const char *k;
            size_t klen;
            if ((st = ppsj_scan_key(c, at, &k, &klen)))
                break;
            if (!(key = malloc(klen + 1))) {
                st = out_of_memory(c);
                break;
            }
            memcpy(key, k, klen);
            key[klen] = '\0';
            here.key = key;
            if ((st = ppsj_expect(c, ':', "expected ':'"))) {
                free(key);
                break;
            }
        }
        cJSON *item = NULL;
        st = parse_value(c, &here, depth + 1, budget, &item);
        if (st == PPS_OK && !item) /* parse_value sets it on success; said for the analyzer */
            st = out_of_memory(c);
        if (st == PPS_OK && object) {
            /* The key is handed over as the item's name, not copied again. */
            item->string = key;
            key = NULL;
            cJSON_AddItemToArray(v, item); /* an object's members are its array of children */
        } else if (st == PPS_OK) {
            cJSON_AddItemToArray(v, item);
        }
        free(key);
        n++;
    }
    if (st == PPS_OK && object)
        st = check_duplicates(c, at, v, n);
    if (st != PPS_OK) {
        cJSON_Delete(v);
        return st;
    }
    *out = v;
    return PPS_OK;
}

static pps_status parse_value(ppsj_scan *c, const ppsj_path *at, int depth, long *budget,
                              cJSON **out)
{
    pps_status st;
    cJSON *v = NULL;
    ppsj_skip_ws(c);
    if (budget && (*budget)-- <= 0)
        return ppsj_error_at(c, at, "more than %d values in a member read whole (docs/ir.md, "
                             "\"Limits\")", PPSJ_MAX_VALUES);
    switch (ppsj_peek_type(c)) {
    case PPSJ_OBJECT:
    case PPSJ_ARRAY:
        return parse_container(c, at, depth, ppsj_peek(c) == '{', budget, out);
    case PPSJ_STRING: {
        const char *s;
        size_t n;
        if ((st = ppsj_scan_string(c, at, &s, &n)))
            return st;
        char *copy = malloc(n + 1);
        if (!copy)
            return out_of_memory(c);
        memcpy(copy, s, n);
        copy[n] = '\0';
        /* cJSON_CreateString would copy the text once more. */
        if (!(v = cJSON_CreateNull())) {
            free(copy);
            return out_of_memory(c);
        }
        v->type = cJSON_String;
        v->valuestring = copy;
        break;
    }
    case PPSJ_NUMBER: {
        double d;
        if ((st = ppsj_scan_number(c, &d)))
            return st;
        v = cJSON_CreateNumber(d);
        break;
    }
    case PPSJ_BOOL:
    case PPSJ_NULL: {
        int b;
        if ((st = ppsj_scan_literal(c, &b)))
            return st;
        v = b < 0 ? cJSON_CreateNull() : cJSON_CreateBool(b);
        break;
    }
    case PPSJ_INVALID:
        return ppsj_malformed(c, c->pos, "expected a value");
    }
    if (!v)
        return out_of_memory(c);
    *out = v;
    return PPS_OK;
}

pps_status ppsj_parse_value(ppsj_scan *c, const ppsj_path *at, cJSON **out)
{
    long budget = PPSJ_MAX_VALUES;
    *out = NULL;
    return parse_value(c, at, 0, &budget, out);
}

pps_status ppsj_parse(const char *text, size_t len, const char *name, cJSON **out, pps_error *err)
{
    ppsj_scan c;
    *out = NULL;
    ppsj_scan_init(&c, text, len, name, err);
    ppsj_skip_ws(&c);
    if (c.pos == len)
        return pps_error_set(err, PPS_EINPUT, "%s: empty file, expected a JSON document", name);
    /* JSON allows no raw NUL anywhere: refuse it where it is, before anything else. */
    const char *nul = memchr(text, '\0', len);
    if (nul)
        return ppsj_malformed(&c, (size_t)(nul - text), "a NUL byte");
    cJSON *root = NULL;
    pps_status st = parse_value(&c, NULL, 0, NULL, &root);
    if (st == PPS_OK) {
        ppsj_skip_ws(&c);
        if (c.pos < len) {
            st = ppsj_malformed(&c, c.pos, "text after the document");
            cJSON_Delete(root);
            root = NULL;
        }
    }
    ppsj_scan_free(&c);
    *out = root;
    return st;
}

static int in_list(const char *const *list, const char *key)
{
    for (int i = 0; list[i]; i++)
        if (strcmp(list[i], key) == 0)
            return i;
    return -1;
}

pps_status ppsj_parse_top(const char *text, size_t len, const char *name,
                          const char *const *known, const char *const *deferred,
                          size_t *deferred_at, ppsj_deferred_fn read_deferred, void *ctx,
                          cJSON **hdr, pps_error *err)
{
    ppsj_scan c;
    pps_status st = PPS_OK;
    cJSON *h = NULL;
    char *key = NULL;
    int unknown_seen = 0;
    *hdr = NULL;
    for (int i = 0; deferred[i]; i++)
        deferred_at[i] = SIZE_MAX;
    ppsj_scan_init(&c, text, len, name, err);
    ppsj_skip_ws(&c);
    if (c.pos == len)
        return pps_error_set(err, PPS_EINPUT, "%s: empty file, expected a JSON document", name);
    if (ppsj_peek_type(&c) != PPSJ_OBJECT)
        return ppsj_wrong_type(&c, NULL, "an object");
    if (!(h = cJSON_CreateObject()))
        return out_of_memory(&c);
    c.pos++;
    for (int first = 1, more; (more = ppsj_next_member(&c, first)) != 0; first = 0) {
        const char *k;
        size_t klen;
        if (more < 0) {
            st = PPS_EINPUT;
            goto fail;
        }
        if ((st = ppsj_scan_key(&c, NULL, &k, &klen)))
            goto fail;
        if (!(key = malloc(klen + 1))) {
            st = out_of_memory(&c);
            goto fail;
        }
        memcpy(key, k, klen);
        key[klen] = '\0';
        if ((st = ppsj_expect(&c, ':', "expected ':'")))
            goto fail;
        ppsj_skip_ws(&c);
        ppsj_path at = {NULL, key, 0};
        int d = in_list(deferred, key);
        if ((d >= 0 && deferred_at[d] != SIZE_MAX) ||
            (d < 0 && cJSON_GetObjectItemCaseSensitive(h, key))) {
            st = ppsj_error_at(&c, &at, "duplicate field");
            goto fail;
        }
        cJSON *v = NULL;
        if (d >= 0) {
            deferred_at[d] = c.pos;
            if (!(read_deferred && read_deferred(&c, d, h, ctx))) {
                c.pos = deferred_at[d];
                st = ppsj_skip_value(&c);
            }
        } else if (in_list(known, key) >= 0) {
            st = ppsj_parse_value(&c, &at, &v);
        } else if (!unknown_seen) {
            unknown_seen = 1;
            if ((st = ppsj_skip_value(&c)) == PPS_OK && !(v = cJSON_CreateNull()))
                st = out_of_memory(&c);
        } else {
            st = ppsj_skip_value(&c);
        }
        if (st)
            goto fail;
        if (v) {
            v->string = key; /* handed over */
            key = NULL;
            cJSON_AddItemToArray(h, v);
        }
        free(key);
        key = NULL;
    }
    ppsj_skip_ws(&c);
    if (c.pos < len) {
        st = ppsj_malformed(&c, c.pos, "text after the document");
        goto fail;
    }
    ppsj_scan_free(&c);
    *hdr = h;
    return PPS_OK;
fail:
    free(key);
    cJSON_Delete(h);
    ppsj_scan_free(&c);
    return st;
}

pps_status ppsj_parse_object(const char *text, size_t len, const char *name,
                             const char *const *known, const char *const *deferred,
                             size_t *deferred_at, cJSON **hdr, pps_error *err)
{
    ppsj_scan c;
    *hdr = NULL;
    ppsj_scan_init(&c, text, len, name, err);
    ppsj_skip_ws(&c);
    pps_status st = ppsj_check_document(&c);
    if (st != PPS_OK)
        return st;
    return ppsj_parse_top(text, len, name, known, deferred, deferred_at, NULL, NULL, hdr, err);
}

pps_status ppsj_count_array(ppsj_scan *c, size_t at, const ppsj_path *path, size_t *n)
{
    pps_status st;
    *n = 0;
    c->pos = at;
    if (ppsj_peek_type(c) != PPSJ_ARRAY)
        return ppsj_wrong_type(c, path, "an array");
    c->pos++;
    for (int more; (more = ppsj_next_element(c, *n == 0)) != 0; (*n)++) {
        if (more < 0)
            return PPS_EINPUT;
        if ((st = ppsj_skip_value(c)) != PPS_OK)
            return st;
    }
    return PPS_OK;
}

pps_status ppsj_each_element(ppsj_scan *c, size_t at, const ppsj_path *path, ppsj_element_fn fn,
                             void *arg)
{
    pps_status st = PPS_OK;
    c->pos = at + 1; /* after the '[' */
    for (size_t i = 0; st == PPS_OK; i++) {
        int more = ppsj_next_element(c, i == 0);
        if (more <= 0)
            return more < 0 ? PPS_EINPUT : PPS_OK;
        ppsj_path here = {path, NULL, i};
        cJSON *e = NULL;
        if ((st = ppsj_parse_value(c, &here, &e)) == PPS_OK)
            st = fn(e, i, arg);
        cJSON_Delete(e);
    }
    return st;
}

const char *ppsj_type_name(const cJSON *v)
{
    if (!v)
        return "nothing";
    ppsj_type t = cJSON_IsNumber(v)   ? PPSJ_NUMBER
                  : cJSON_IsString(v) ? PPSJ_STRING
                  : cJSON_IsArray(v)  ? PPSJ_ARRAY
                  : cJSON_IsObject(v) ? PPSJ_OBJECT
                  : cJSON_IsBool(v)   ? PPSJ_BOOL
                  : cJSON_IsNull(v)   ? PPSJ_NULL
                                      : PPSJ_INVALID;
    return ppsj_type_text(t);
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
