/* cost.c — the cost model: per-stage compute times and activation sizes, link costs, and the
 * cost JSON file (docs/cost-model.md). */
#include "jsonutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Largest value accepted for any time (s) or size (bytes): beyond it sums lose meaning. */
#define COST_MAX 1e15

static pps_stage_cost unset_stage(void)
{
    return (pps_stage_cost){NAN, NAN, NAN, NAN, NAN, NAN, NAN};
}

void pps_cost_init(pps_cost *c)
{
    memset(c, 0, sizeof *c);
    c->uniform = (pps_stage_cost){.tf = 1, .tb = NAN, .ti = NAN, .tw = NAN, .act_bytes = 1,
                                  .act_w_bytes = 0, .send_bytes = 0};
    c->uniform.tb = 2;
}

void pps_cost_clear(pps_cost *c)
{
    free(c->stage);
    c->stage = NULL;
    c->nstages = 0;
}

/* Fills t_B from I + W, or I and W from B / 2. */
static void fill_times(pps_stage_cost *x)
{
    if (isnan(x->tb) && !isnan(x->ti) && !isnan(x->tw))
        x->tb = x->ti + x->tw;
    if (!isnan(x->tb) && isnan(x->ti) && isnan(x->tw))
        x->ti = x->tw = x->tb / 2;
    if (!isnan(x->tb) && isnan(x->ti) && !isnan(x->tw))
        x->ti = x->tb - x->tw;
    if (!isnan(x->tb) && !isnan(x->ti) && isnan(x->tw))
        x->tw = x->tb - x->ti;
}

/* Fields of `over` that are set replace those of `base`. Giving t_B alone drops base's I/W
 * split, and giving I or W alone drops base's t_B, so they are derived again consistently. */
static pps_stage_cost merge(pps_stage_cost base, const pps_stage_cost *over)
{
    if (!isnan(over->tb) && isnan(over->ti) && isnan(over->tw))
        base.ti = base.tw = NAN;
    if (isnan(over->tb) && (!isnan(over->ti) || !isnan(over->tw)))
        base.tb = NAN;
    double *b = &base.tf;
    const double *o = &over->tf;
    for (int i = 0; i < 7; i++)
        if (!isnan(o[i]))
            b[i] = o[i];
    fill_times(&base);
    return base;
}

/* Field names in the order of pps_stage_cost's doubles; NULL-terminated for ppsj_check_keys. */
static const char *const field_names[8] = {"tf", "tb", "ti", "tw", "act_bytes", "act_w_bytes",
                                           "send_bytes", NULL};

static pps_status check_stage(const pps_stage_cost *x, const char *where, pps_error *err)
{
    const double *v = &x->tf;
    for (int i = 0; i < 7; i++) {
        if (isnan(v[i]) && i >= 1 && i <= 3)
            return pps_error_set(err, PPS_EINPUT, "%s: %s is not set (give tb, or ti and tw)",
                                 where, field_names[i]);
        if (!isfinite(v[i]) || v[i] < 0 || v[i] > COST_MAX)
            return pps_error_set(err, PPS_EINPUT,
                                 "%s: %s = %g must be finite, non-negative and at most %g", where,
                                 field_names[i], v[i], COST_MAX);
    }
    if (fabs(x->ti + x->tw - x->tb) > 1e-9 * (x->tb > 1 ? x->tb : 1))
        return pps_error_set(err, PPS_EINPUT, "%s: ti + tw = %g differs from tb = %g", where,
                             x->ti + x->tw, x->tb);
    if (x->act_w_bytes > x->act_bytes)
        return pps_error_set(err, PPS_EINPUT, "%s: act_w_bytes = %g exceeds act_bytes = %g",
                             where, x->act_w_bytes, x->act_bytes);
    return PPS_OK;
}

pps_status pps_cost_resolve(pps_cost *c, int stages, pps_error *err)
{
    if (c->nstages && c->nstages != stages)
        return pps_error_set(err, PPS_EINPUT,
                             "costs: %d per-stage entries given, the schedule has %d stages",
                             c->nstages, stages);
    fill_times(&c->uniform);
    pps_status st = check_stage(&c->uniform, "costs", err);
    for (int s = 0; s < c->nstages && st == PPS_OK; s++) {
        c->stage[s] = merge(c->uniform, &c->stage[s]);
        char where[48];
        snprintf(where, sizeof where, "costs: stage %d", s);
        st = check_stage(&c->stage[s], where, err);
    }
    const pps_link *links[2] = {&c->intra, &c->inter};
    for (int i = 0; i < 2 && st == PPS_OK; i++)
        if (!isfinite(links[i]->latency) || links[i]->latency < 0 ||
            links[i]->latency > COST_MAX || !isfinite(links[i]->bandwidth) ||
            links[i]->bandwidth < 0)
            st = pps_error_set(err, PPS_EINPUT,
                               "costs: %s link: latency and bandwidth must be finite and "
                               "non-negative", i ? "inter-node" : "intra-node");
    if (st == PPS_OK && c->ranks_per_node < 0)
        st = pps_error_set(err, PPS_EINPUT, "costs: ranks_per_node must be non-negative");
    double extra[3] = {c->t_unshard, c->t_reshard, c->t_reduce_grad};
    for (int i = 0; i < 3 && st == PPS_OK; i++)
        if (!isfinite(extra[i]) || extra[i] < 0 || extra[i] > COST_MAX)
            st = pps_error_set(err, PPS_EINPUT,
                               "costs: unshard/reshard/reduce_grad times must be finite and "
                               "non-negative");
    return st;
}

pps_stage_cost pps_cost_of_stage(const pps_cost *c, int stage)
{
    return stage >= 0 && stage < c->nstages ? c->stage[stage] : c->uniform;
}

static double compute_time(const pps_cost *c, pps_kind k, int stage)
{
    const pps_stage_cost *x = stage >= 0 && stage < c->nstages ? &c->stage[stage] : &c->uniform;
    switch (k) {
    case PPS_F: return x->tf;
    case PPS_B: return x->tb;
    case PPS_I: return x->ti;
    case PPS_W: return x->tw;
    case PPS_UNSHARD: return c->t_unshard;
    case PPS_RESHARD: return c->t_reshard;
    case PPS_REDUCE_GRAD: return c->t_reduce_grad;
    default: return 0;
    }
}

double pps_cost_duration(const pps_cost *c, const pps_action *a)
{
    /* An overlapped F and B share the device: without a measured overlap gain the model charges
     * both in full (a conservative bound; DualPipe's gain is a calibration matter). */
    if (a->kind == PPS_OVERLAP_F_B)
        return compute_time(c, PPS_F, a->stage) + compute_time(c, (pps_kind)a->kind2, a->stage2);
    return compute_time(c, (pps_kind)a->kind, a->stage);
}

double pps_cost_transfer(const pps_cost *c, int src, int dst, double bytes)
{
    int same_node = c->ranks_per_node <= 0 || src / c->ranks_per_node == dst / c->ranks_per_node;
    const pps_link *l = same_node ? &c->intra : &c->inter;
    return l->latency + (l->bandwidth > 0 ? bytes / l->bandwidth : 0);
}

/* ------------------------------------------------------------------ JSON */

/* Reads a stage cost object; fields not given stay NaN (inherit). */
static pps_status read_stage(const cJSON *o, const char *name, const char *path,
                             pps_stage_cost *x, pps_error *err)
{
    *x = unset_stage();
    pps_status st = ppsj_check_keys(o, field_names, name, path, err);
    double *v = &x->tf;
    for (int i = 0; i < 7 && st == PPS_OK; i++)
        st = ppsj_get_number(o, field_names[i], 0, 0, COST_MAX, &v[i], name, path, err);
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
    if ((st = ppsj_get_number(o, "latency", 0, 0, COST_MAX, &l->latency, name, path, err)))
        return st;
    return ppsj_get_number(o, "bandwidth", 0, 0, 1e30, &l->bandwidth, name, path, err);
}

static pps_status read_costs(const cJSON *root, const char *name, pps_cost *c, pps_error *err)
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
            c->uniform = merge(c->uniform, &u);
    }
    const cJSON *arr = NULL;
    if (st == PPS_OK)
        st = ppsj_get_array(root, "stages", 0, &arr, name, "$", err);
    if (st == PPS_OK && arr) {
        int n = cJSON_GetArraySize(arr);
        if (n < 1 || n > PPS_MAX_CELLS)
            return pps_error_set(err, PPS_EINPUT, "%s: $.stages: expected 1 to %d entries, got %d",
                                 name, PPS_MAX_CELLS, n);
        pps_stage_cost *v = malloc((size_t)n * sizeof *v);
        if (!v)
            return pps_error_set(err, PPS_ENOMEM, "%s: out of memory", name);
        int i = 0;
        for (const cJSON *e = arr->child; e && st == PPS_OK; e = e->next, i++) {
            char path[48];
            snprintf(path, sizeof path, "$.stages[%d]", i);
            if (!cJSON_IsObject(e))
                st = pps_error_set(err, PPS_EINPUT, "%s: %s: expected an object, got %s", name,
                                   path, ppsj_type_name(e));
            else
                st = read_stage(e, name, path, &v[i], err);
        }
        if (st != PPS_OK) {
            free(v);
            return st;
        }
        free(c->stage);
        c->stage = v;
        c->nstages = n;
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
        st = ppsj_get_number(root, "t_unshard", 0, 0, COST_MAX, &c->t_unshard, name, "$", err);
    if (st == PPS_OK)
        st = ppsj_get_number(root, "t_reshard", 0, 0, COST_MAX, &c->t_reshard, name, "$", err);
    if (st == PPS_OK)
        st = ppsj_get_number(root, "t_reduce_grad", 0, 0, COST_MAX, &c->t_reduce_grad, name, "$",
                             err);
    return st;
}

pps_status pps_cost_parse_json(const char *text, size_t len, const char *name, pps_cost *c,
                               pps_error *err)
{
    cJSON *root = NULL;
    pps_status st = ppsj_parse(text, len, name, &root, err);
    if (st != PPS_OK)
        return st;
    st = read_costs(root, name, c, err);
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
