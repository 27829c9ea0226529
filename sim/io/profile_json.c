/* profile_json.c — the measured profile file written by `ppexec --profile` (format
 * "ppsim-profile"; docs/validation-method.md): a strict reader and the writer. */
#include "io/json_read.h"
#include "io/json_write.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Largest time (s) or size (bytes) accepted, as in the cost model. */
#define PROFILE_MAX 1e15
/* Largest bandwidth (bytes/s) accepted, as in the cost model's reader. */
#define BANDWIDTH_MAX 1e30
#define REPEATS_MAX 1000000000L

static pps_status read_workload(const cJSON *root, const char *name, pps_profile *p,
                                pps_error *err)
{
    static const char *const keys[] = {"hidden", "tokens", "layers", "bf16", NULL};
    const cJSON *o = NULL;
    pps_status st = ppsj_get_object(root, "workload", 0, &o, name, "$", err);
    if (st != PPS_OK || !o)
        return st;
    if ((st = ppsj_check_keys(o, keys, name, "$.workload", err)) != PPS_OK)
        return st;
    long *dst[3] = {&p->hidden, &p->tokens, &p->layers};
    for (int i = 0; i < 3 && st == PPS_OK; i++)
        st = ppsj_get_int(o, keys[i], 0, 1, 1L << 40, dst[i], name, "$.workload", err);
    if (st == PPS_OK)
        st = ppsj_get_bool(o, "bf16", &p->bf16, name, "$.workload", err);
    return st;
}

static pps_status read_stage(const cJSON *e, int i, const char *name, pps_profile *p,
                             pps_error *err)
{
    static const char *const keys[] = {"stage", "rank", "tf", "tb", "ti", "tw", "act_bytes",
                                       "act_w_bytes", "send_bytes", "repeats", NULL};
    char path[48];
    snprintf(path, sizeof path, "$.stage_costs[%d]", i);
    if (!cJSON_IsObject(e))
        return pps_error_set(err, PPS_EINPUT, "%s: %s: expected an object, got %s", name, path,
                             ppsj_type_name(e));
    pps_status st = ppsj_check_keys(e, keys, name, path, err);
    pps_profile_stage *x = &p->stage_costs[i];
    long stage = 0, rank = 0;
    if (st == PPS_OK)
        st = ppsj_get_int(e, "stage", 1, 0, p->stages - 1, &stage, name, path, err);
    if (st == PPS_OK && stage != i)
        return pps_error_set(err, PPS_EINPUT,
                             "%s: %s.stage: expected %d (entries in stage order), got %ld", name,
                             path, i, stage);
    if (st == PPS_OK)
        st = ppsj_get_int(e, "rank", 1, 0, p->ranks - 1, &rank, name, path, err);
    x->stage = (int)stage;
    x->rank = (int)rank;
    double *v[7] = {&x->tf, &x->tb, &x->ti, &x->tw, &x->act_bytes, &x->act_w_bytes,
                    &x->send_bytes};
    for (int k = 0; k < 7 && st == PPS_OK; k++)
        st = ppsj_get_number(e, keys[2 + k], 1, 0, PROFILE_MAX, v[k], name, path, err);
    if (st == PPS_OK && x->act_w_bytes > x->act_bytes)
        return pps_error_set(err, PPS_EINPUT, "%s: %s.act_w_bytes: %.17g exceeds act_bytes %.17g",
                             name, path, x->act_w_bytes, x->act_bytes);
    if (st == PPS_OK)
        st = ppsj_get_int(e, "repeats", 1, 1, REPEATS_MAX, &x->repeats, name, path, err);
    return st;
}

static pps_status read_link(const cJSON *e, size_t i, const char *name, pps_profile *p,
                            pps_error *err)
{
    static const char *const keys[] = {"src", "dst", "bytes", "latency", "bandwidth", "one_way",
                                       "repeats", NULL};
    char path[48];
    snprintf(path, sizeof path, "$.links[%zu]", i);
    if (!cJSON_IsObject(e))
        return pps_error_set(err, PPS_EINPUT, "%s: %s: expected an object, got %s", name, path,
                             ppsj_type_name(e));
    pps_status st = ppsj_check_keys(e, keys, name, path, err);
    pps_profile_link *l = &p->links[i];
    long src = 0, dst = 0;
    if (st == PPS_OK)
        st = ppsj_get_int(e, "src", 1, 0, p->ranks - 1, &src, name, path, err);
    if (st == PPS_OK)
        st = ppsj_get_int(e, "dst", 1, 0, p->ranks - 1, &dst, name, path, err);
    if (st == PPS_OK && src == dst)
        return pps_error_set(err, PPS_EINPUT, "%s: %s.dst: equals src %ld (a link joins two ranks)",
                             name, path, src);
    l->src = (int)src;
    l->dst = (int)dst;
    if (st == PPS_OK)
        st = ppsj_get_number(e, "bytes", 1, 0, PROFILE_MAX, &l->bytes, name, path, err);
    if (st == PPS_OK)
        st = ppsj_get_number(e, "latency", 1, 0, PROFILE_MAX, &l->latency, name, path, err);
    if (st == PPS_OK)
        st = ppsj_get_number(e, "bandwidth", 1, 0, BANDWIDTH_MAX, &l->bandwidth, name, path,
                             err);
    l->one_way = 0;
    if (st == PPS_OK)
        st = ppsj_get_number(e, "one_way", 0, 0, PROFILE_MAX, &l->one_way, name, path, err);
    if (st == PPS_OK)
        st = ppsj_get_int(e, "repeats", 1, 1, REPEATS_MAX, &l->repeats, name, path, err);
    return st;
}

/* Where the entries go as they are read, one element at a time. */
typedef struct profile_ctx {
    const char *name;
    pps_profile *p;
    pps_error *err;
    size_t links_read;
} profile_ctx;

static pps_status stage_element(const cJSON *e, size_t i, void *arg)
{
    profile_ctx *x = arg;
    return read_stage(e, (int)i, x->name, x->p, x->err);
}

static pps_status link_element(const cJSON *e, size_t i, void *arg)
{
    profile_ctx *x = arg;
    x->links_read = i + 1;
    return read_link(e, i, x->name, x->p, x->err);
}

/* Reads the header members in root; stage_costs and links, which may be long, are read from their
 * offsets arrays_at[0] and [1] in sc's text (SIZE_MAX: absent), one element at a time. */
static pps_status read_profile(const cJSON *root, ppsj_scan *sc, const size_t *arrays_at,
                               const char *name, pps_profile *p, pps_error *err)
{
    static const char *const keys[] = {"format", "version", "backend", "ranks", "stages",
                                       "workload", "note", "receiver_copies", "stage_costs",
                                       "links", NULL};
    if (!cJSON_IsObject(root))
        return pps_error_set(err, PPS_EINPUT, "%s: $: expected an object, got %s", name,
                             ppsj_type_name(root));
    /* The format first, so that another ppsim file is named as such, not by its first field. */
    const char *format = NULL;
    pps_status st = ppsj_get_string(root, "format", 1, &format, name, "$", err);
    if (st == PPS_OK && strcmp(format, "ppsim-profile") != 0)
        return pps_error_set(err, PPS_EINPUT,
                             "%s: $.format: expected \"ppsim-profile\", got \"%.40s\"", name,
                             format);
    if (st == PPS_OK)
        st = ppsj_check_keys(root, keys, name, "$", err);
    long version = 0, ranks = 0, stages = 0;
    if (st == PPS_OK)
        st = ppsj_get_int(root, "version", 1, 0, 1000000, &version, name, "$", err);
    if (st == PPS_OK && version != 1)
        return pps_error_set(err, PPS_EINPUT,
                             "%s: $.version: unsupported version %ld (this ppsim reads version 1)",
                             name, version);
    if (st == PPS_OK)
        st = ppsj_get_int(root, "ranks", 1, 1, PPS_MAX_RANKS, &ranks, name, "$", err);
    if (st == PPS_OK)
        st = ppsj_get_int(root, "stages", 1, 1, PPS_MAX_CELLS, &stages, name, "$", err);
    p->ranks = (int)ranks;
    p->stages = (int)stages;
    if (st == PPS_OK)
        st = ppsj_get_text(root, "backend", p->backend, sizeof p->backend, name, "$", err);
    if (st == PPS_OK)
        st = ppsj_get_text(root, "note", p->note, sizeof p->note, name, "$", err);
    if (st == PPS_OK)
        st = read_workload(root, name, p, err);
    p->receiver_copies = 0;
    if (st == PPS_OK)
        st = ppsj_get_bool(root, "receiver_copies", &p->receiver_copies, name, "$", err);

    static const ppsj_path at_stages = {NULL, "stage_costs", 0}, at_links = {NULL, "links", 0};
    profile_ctx x = {name, p, err};
    size_t n = 0;
    if (st != PPS_OK)
        return st;
    if (arrays_at[0] == SIZE_MAX)
        return pps_error_set(err, PPS_EINPUT, "%s: $.stage_costs: missing required field", name);
    if ((st = ppsj_count_array(sc, arrays_at[0], &at_stages, &n)) != PPS_OK)
        return st;
    if (n != (size_t)p->stages)
        return pps_error_set(err, PPS_EINPUT,
                             "%s: $.stage_costs: expected %d entries (one per stage), got %zu",
                             name, p->stages, n);
    p->stage_costs = calloc(n, sizeof *p->stage_costs);
    if (!p->stage_costs)
        return pps_error_set(err, PPS_ENOMEM, "%s: out of memory", name);
    if ((st = ppsj_each_element(sc, arrays_at[0], &at_stages, stage_element, &x)) != PPS_OK)
        return st;

    if (arrays_at[1] == SIZE_MAX)
        return pps_error_set(err, PPS_EINPUT, "%s: $.links: missing required field", name);
    if ((st = ppsj_count_array(sc, arrays_at[1], &at_links, &n)) != PPS_OK)
        return st;
    if (n > 0) {
        p->links = calloc(n, sizeof *p->links);
        if (!p->links)
            return pps_error_set(err, PPS_ENOMEM, "%s: out of memory", name);
    }
    st = ppsj_each_element(sc, arrays_at[1], &at_links, link_element, &x);
    p->nlinks = st == PPS_OK ? n : x.links_read;
    return st;
}

void pps_profile_destroy(pps_profile *p)
{
    if (!p)
        return;
    free(p->stage_costs);
    free(p->links);
    free(p);
}

pps_status pps_profile_parse_json(const char *text, size_t len, const char *name,
                                  pps_profile **out, pps_error *err)
{
    *out = NULL;
    static const char *const keys[] = {"format", "version", "backend", "ranks", "stages",
                                       "workload", "note", "receiver_copies", NULL};
    static const char *const deferred[] = {"stage_costs", "links", NULL};
    cJSON *root = NULL;
    size_t arrays_at[2];
    pps_status st = ppsj_parse_object(text, len, name, keys, deferred, arrays_at, &root, err);
    if (st != PPS_OK)
        return st;
    pps_profile *p = calloc(1, sizeof *p);
    if (!p) {
        cJSON_Delete(root);
        return pps_error_set(err, PPS_ENOMEM, "%s: out of memory", name);
    }
    p->hidden = p->tokens = p->layers = -1;
    p->bf16 = -1;
    ppsj_scan sc;
    ppsj_scan_init(&sc, text, len, name, err);
    st = read_profile(root, &sc, arrays_at, name, p, err);
    ppsj_scan_free(&sc);
    cJSON_Delete(root);
    if (st != PPS_OK) {
        pps_profile_destroy(p);
        return st;
    }
    *out = p;
    return PPS_OK;
}

pps_status pps_profile_read(const char *path, pps_profile **out, pps_error *err)
{
    *out = NULL;
    char *text;
    size_t len;
    pps_status st = pps_file_slurp(path, &text, &len, err);
    if (st != PPS_OK)
        return st;
    st = pps_profile_parse_json(text, len, path, out, err);
    free(text);
    return st;
}

/* ------------------------------------------------------------------ writer */

pps_status pps_profile_write_json(const pps_profile *p, FILE *fp, pps_error *err)
{
    for (int i = 0; i < p->stages; i++) {
        const pps_profile_stage *x = &p->stage_costs[i];
        const double v[7] = {x->tf, x->tb, x->ti, x->tw, x->act_bytes, x->act_w_bytes,
                             x->send_bytes};
        for (int k = 0; k < 7; k++)
            if (!isfinite(v[k]))
                return pps_error_set(err, PPS_EINPUT, "profile: stage %d: a time or size is "
                                     "not finite", i);
    }
    for (size_t i = 0; i < p->nlinks; i++) {
        const pps_profile_link *l = &p->links[i];
        if (!isfinite(l->bytes) || !isfinite(l->latency) || !isfinite(l->bandwidth) ||
            !isfinite(l->one_way))
            return pps_error_set(err, PPS_EINPUT, "profile: link %zu: a time or size is not "
                                 "finite", i);
    }
    ppsj_writer w;
    ppsj_begin_file(&w, fp, "ppsim-profile", 1);
    ppsj_member_string(&w, "backend", p->backend);
    ppsj_member_integer(&w, "ranks", p->ranks);
    ppsj_member_integer(&w, "stages", p->stages);
    ppsj_member_bool(&w, "receiver_copies", p->receiver_copies);
    if (p->hidden >= 0 || p->tokens >= 0 || p->layers >= 0 || p->bf16 >= 0) {
        const char *const keys[3] = {"hidden", "tokens", "layers"};
        const long v[3] = {p->hidden, p->tokens, p->layers};
        ppsj_newline(&w, 1);
        ppsj_key(&w, "workload");
        ppsj_begin_object(&w, PPSJ_SPACED);
        for (int k = 0; k < 3; k++)
            if (v[k] >= 0)
                ppsj_member_integer(&w, keys[k], v[k]);
        if (p->bf16 >= 0)
            ppsj_member_bool(&w, "bf16", p->bf16);
        ppsj_end_object(&w);
    }
    ppsj_newline(&w, 1);
    ppsj_member_string(&w, "note", p->note);
    ppsj_newline(&w, 1);
    ppsj_key(&w, "stage_costs");
    ppsj_begin_array(&w, PPSJ_SPACED);
    for (int i = 0; i < p->stages; i++) {
        const pps_profile_stage *x = &p->stage_costs[i];
        ppsj_newline(&w, 2);
        ppsj_begin_object(&w, PPSJ_SPACED);
        ppsj_member_integer(&w, "stage", x->stage);
        ppsj_member_integer(&w, "rank", x->rank);
        ppsj_member_number(&w, "tf", x->tf);
        ppsj_member_number(&w, "tb", x->tb);
        ppsj_member_number(&w, "ti", x->ti);
        ppsj_member_number(&w, "tw", x->tw);
        ppsj_member_number(&w, "act_bytes", x->act_bytes);
        ppsj_member_number(&w, "act_w_bytes", x->act_w_bytes);
        ppsj_member_number(&w, "send_bytes", x->send_bytes);
        ppsj_member_integer(&w, "repeats", x->repeats);
        ppsj_end_object(&w);
    }
    ppsj_end_array(&w);
    ppsj_newline(&w, 1);
    ppsj_key(&w, "links");
    ppsj_begin_array(&w, PPSJ_SPACED);
    for (size_t i = 0; i < p->nlinks; i++) {
        const pps_profile_link *l = &p->links[i];
        ppsj_newline(&w, 2);
        ppsj_begin_object(&w, PPSJ_SPACED);
        ppsj_member_integer(&w, "src", l->src);
        ppsj_member_integer(&w, "dst", l->dst);
        ppsj_member_number(&w, "bytes", l->bytes);
        ppsj_member_number(&w, "latency", l->latency);
        ppsj_member_number(&w, "bandwidth", l->bandwidth);
        ppsj_member_number(&w, "one_way", l->one_way);
        ppsj_member_integer(&w, "repeats", l->repeats);
        ppsj_end_object(&w);
    }
    ppsj_end_array(&w);
    ppsj_end_object(&w);
    return ppsj_writer_finish(&w, "profile", err);
}
