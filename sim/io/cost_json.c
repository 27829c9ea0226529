/* cost_json.c — the cost JSON file (docs/cost-model.md): strict reader and exact writer. */
#include "io/json_read.h"
#include "io/json_write.h"
#include "cost/cost_fields.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ reader */

/* Reads a stage cost object; fields not given stay NaN (inherit). */
static pps_status read_stage(const cJSON *o, const char *name, const char *path,
                             pps_stage_cost *x, pps_error *err)
{
    *x = ppsc_unset();
    pps_status st = ppsj_check_keys(o, ppsc_field_names, name, path, err);
    double *v = &x->tf;
    for (int i = 0; i < PPS_STAGE_COST_FIELDS && st == PPS_OK; i++)
        st = ppsj_get_number(o, ppsc_field_names[i], 0, 0, PPSC_MAX, &v[i], name, path, err);
    return st;
}

static pps_status read_link(const cJSON *links, const char *key, pps_link *l, const char *name,
                            pps_error *err)
{
    static const char *const keys[] = {"latency", "bandwidth", NULL};
    const cJSON *o = NULL;
    char path[32];
    snprintf(path, sizeof path, "$.links.%s", key);
    pps_status st = ppsj_get_object(links, key, 0, &o, name, "$.links", err);
    if (st != PPS_OK || !o)
        return st;
    if ((st = ppsj_check_keys(o, keys, name, path, err)) != PPS_OK)
        return st;
    if ((st = ppsj_get_number(o, "latency", 0, 0, PPSC_MAX, &l->latency, name, path, err)))
        return st;
    return ppsj_get_number(o, "bandwidth", 0, 0, PPSC_BANDWIDTH_MAX, &l->bandwidth, name, path, err);
}

/* Where the stages go as they are read, one element at a time. */
typedef struct stage_ctx {
    const char *name;
    pps_stage_cost *v;
    pps_error *err;
} stage_ctx;

static pps_status stage_element(const cJSON *e, size_t i, void *arg)
{
    stage_ctx *x = arg;
    char path[48];
    snprintf(path, sizeof path, "$.stages[%zu]", i);
    if (!cJSON_IsObject(e))
        return pps_error_set(x->err, PPS_EINPUT, "%s: %s: expected an object, got %s", x->name,
                             path, ppsj_type_name(e));
    return read_stage(e, x->name, path, &x->v[i], x->err);
}

/* Reads the header members in root; the stages array, which may be long, is read from its
 * offset stages_at in sc's text (SIZE_MAX: absent), one element at a time. */
static pps_status read_costs(const cJSON *root, ppsj_scan *sc, size_t stages_at, const char *name,
                             pps_cost *c, pps_error *err)
{
    static const char *const keys[] = {"format", "version", "uniform", "stages", "links", "comm",
                                       "t_unshard", "t_reshard", "t_reduce_grad", NULL};
    static const char *const link_keys[] = {"intra", "inter", "ranks_per_node", NULL};
    if (!cJSON_IsObject(root))
        return pps_error_set(err, PPS_EINPUT, "%s: $: expected an object, got %s", name,
                             ppsj_type_name(root));
    pps_status st = ppsj_check_keys(root, keys, name, "$", err);
    const char *format = "ppsim-costs", *comm = NULL;
    long version = 0;
    if (st == PPS_OK)
        st = ppsj_get_string(root, "format", 0, &format, name, "$", err);
    if (st == PPS_OK && strcmp(format, "ppsim-costs") != 0)
        st = pps_error_set(err, PPS_EINPUT, "%s: $.format: expected \"ppsim-costs\", got \"%.40s\"",
                           name, format);
    if (st == PPS_OK)
        st = ppsj_get_int(root, "version", 1, 1, 1, &version, name, "$", err);
    const cJSON *o = NULL;
    if (st == PPS_OK)
        st = ppsj_get_object(root, "uniform", 0, &o, name, "$", err);
    if (st == PPS_OK && o) {
        pps_stage_cost u;
        if ((st = read_stage(o, name, "$.uniform", &u, err)) == PPS_OK)
            c->uniform = ppsc_merge(c->uniform, &u);
    }
    if (st == PPS_OK && stages_at != SIZE_MAX) {
        static const ppsj_path at_stages = {NULL, "stages", 0};
        size_t n = 0;
        if ((st = ppsj_count_array(sc, stages_at, &at_stages, &n)) != PPS_OK)
            return st;
        if (n < 1 || n > PPS_MAX_CELLS)
            return pps_error_set(err, PPS_EINPUT, "%s: $.stages: expected 1 to %d entries, got %zu",
                                 name, PPS_MAX_CELLS, n);
        stage_ctx x = {name, malloc(n * sizeof *x.v), err};
        if (!x.v)
            return pps_error_set(err, PPS_ENOMEM, "%s: out of memory for %zu stages", name, n);
        if ((st = ppsj_each_element(sc, stages_at, &at_stages, stage_element, &x)) != PPS_OK) {
            free(x.v);
            return st;
        }
        free(c->stage);
        c->stage = x.v;
        c->nstages = (int)n;
    }
    o = NULL; /* an absent optional member leaves the pointer untouched */
    if (st == PPS_OK)
        st = ppsj_get_object(root, "links", 0, &o, name, "$", err);
    if (st == PPS_OK && o) {
        long rpn = c->ranks_per_node;
        st = ppsj_check_keys(o, link_keys, name, "$.links", err);
        if (st == PPS_OK)
            st = read_link(o, "intra", &c->intra, name, err);
        if (st == PPS_OK)
            st = read_link(o, "inter", &c->inter, name, err);
        if (st == PPS_OK)
            st = ppsj_get_int(o, "ranks_per_node", 0, 0, PPS_MAX_RANKS, &rpn, name, "$.links",
                              err);
        c->ranks_per_node = (int)rpn;
    }
    if (st == PPS_OK)
        st = ppsj_get_string(root, "comm", 0, &comm, name, "$", err);
    if (st == PPS_OK && comm) {
        if (strcmp(comm, "overlap") != 0 && strcmp(comm, "sync") != 0)
            return pps_error_set(err, PPS_EINPUT,
                                 "%s: $.comm: expected \"overlap\" or \"sync\", got \"%.40s\"",
                                 name, comm);
        c->comm_sync = strcmp(comm, "sync") == 0;
    }
    if (st == PPS_OK)
        st = ppsj_get_number(root, "t_unshard", 0, 0, PPSC_MAX, &c->t_unshard, name, "$", err);
    if (st == PPS_OK)
        st = ppsj_get_number(root, "t_reshard", 0, 0, PPSC_MAX, &c->t_reshard, name, "$", err);
    if (st == PPS_OK)
        st = ppsj_get_number(root, "t_reduce_grad", 0, 0, PPSC_MAX, &c->t_reduce_grad, name, "$",
                             err);
    return st;
}

pps_status pps_cost_parse_json(const char *text, size_t len, const char *name, pps_cost *c,
                               pps_error *err)
{
    static const char *const keys[] = {"format", "version", "uniform", "links", "comm",
                                       "t_unshard", "t_reshard", "t_reduce_grad", NULL};
    static const char *const deferred[] = {"stages", NULL};
    cJSON *root = NULL;
    size_t stages_at;
    pps_status st = ppsj_parse_object(text, len, name, keys, deferred, &stages_at, &root, err);
    if (st != PPS_OK)
        return st;
    ppsj_scan sc;
    ppsj_scan_init(&sc, text, len, name, err);
    st = read_costs(root, &sc, stages_at, name, c, err);
    ppsj_scan_free(&sc);
    cJSON_Delete(root);
    return st;
}

pps_status pps_cost_read(const char *path, pps_cost *c, pps_error *err)
{
    char *text;
    size_t len;
    pps_status st = pps_file_slurp(path, &text, &len, err);
    if (st != PPS_OK)
        return st;
    st = pps_cost_parse_json(text, len, path, c, err);
    free(text);
    return st;
}

/* ------------------------------------------------------------------ writer */

/* Every value that will be written must be finite: JSON has no infinities. */
static pps_status check_finite(const pps_cost *c, pps_error *err)
{
    for (int s = -1; s < c->nstages; s++) {
        const double *v = s < 0 ? &c->uniform.tf : &c->stage[s].tf;
        for (int k = 0; k < PPS_STAGE_COST_FIELDS; k++)
            if (isinf(v[k])) {
                if (s < 0)
                    return pps_error_set(err, PPS_EINPUT, "costs: uniform %s is not finite",
                                         ppsc_field_names[k]);
                return pps_error_set(err, PPS_EINPUT, "costs: stage %d: %s is not finite", s,
                                     ppsc_field_names[k]);
            }
    }
    double other[7] = {c->intra.latency, c->intra.bandwidth, c->inter.latency,
                       c->inter.bandwidth, c->t_unshard, c->t_reshard, c->t_reduce_grad};
    for (int k = 0; k < 7; k++)
        if (!isfinite(other[k]))
            return pps_error_set(err, PPS_EINPUT,
                                 "costs: link, unshard, reshard and reduce_grad values must be "
                                 "finite");
    if (c->ranks_per_node < 0)
        return pps_error_set(err, PPS_EINPUT, "costs: ranks_per_node must be non-negative");
    return PPS_OK;
}

/* Writes {"tf": ..., ...} with the set (non-NaN) fields of x. */
static void put_stage(ppsj_writer *w, const pps_stage_cost *x)
{
    const double *v = &x->tf;
    ppsj_begin_object(w, PPSJ_SPACED);
    for (int k = 0; k < PPS_STAGE_COST_FIELDS; k++)
        if (!isnan(v[k]))
            ppsj_member_number(w, ppsc_field_names[k], v[k]);
    ppsj_end_object(w);
}

static void put_link(ppsj_writer *w, const char *key, const pps_link *l)
{
    static const char *const names[2] = {"latency", "bandwidth"};
    const double v[2] = {l->latency, l->bandwidth};
    ppsj_member_numbers(w, key, names, v, 2);
}

pps_status pps_cost_write_json(const pps_cost *c, FILE *fp, pps_error *err)
{
    pps_status st = check_finite(c, err);
    if (st != PPS_OK)
        return st;
    ppsj_writer w;
    ppsj_begin_file(&w, fp, "ppsim-costs", 1);
    ppsj_newline(&w, 1);
    ppsj_key(&w, "uniform");
    put_stage(&w, &c->uniform);
    if (c->nstages > 0) {
        ppsj_newline(&w, 1);
        ppsj_key(&w, "stages");
        ppsj_begin_array(&w, PPSJ_SPACED);
        for (int s = 0; s < c->nstages; s++) {
            ppsj_newline(&w, 2);
            put_stage(&w, &c->stage[s]);
        }
        ppsj_end_array(&w);
    }
    ppsj_newline(&w, 1);
    ppsj_key(&w, "links");
    ppsj_begin_object(&w, PPSJ_SPACED);
    put_link(&w, "intra", &c->intra);
    put_link(&w, "inter", &c->inter);
    ppsj_member_integer(&w, "ranks_per_node", c->ranks_per_node);
    ppsj_end_object(&w);
    ppsj_newline(&w, 1);
    ppsj_member_string(&w, "comm", c->comm_sync ? "sync" : "overlap");
    ppsj_newline(&w, 1);
    ppsj_member_number(&w, "t_unshard", c->t_unshard);
    ppsj_member_number(&w, "t_reshard", c->t_reshard);
    ppsj_member_number(&w, "t_reduce_grad", c->t_reduce_grad);
    ppsj_end_object(&w);
    return ppsj_writer_finish(&w, "cost JSON", err);
}
