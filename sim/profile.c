/* profile.c — measured profiles (`ppexec --profile`, format "ppsim-profile"), calibration of the
 * cost model from them, and the cost JSON writer (docs/validation-method.md, cost-model.md). */
#include "jsonutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Largest time (s) or size (bytes) accepted, as in the cost model. */
#define PROFILE_MAX 1e15
/* Largest bandwidth (bytes/s) accepted, as in the cost model's reader. */
#define BANDWIDTH_MAX 1e30
#define REPEATS_MAX 1000000000L

/* ------------------------------------------------------------------ reading */

/* Reads optional boolean member `key`; *out is left untouched when it is absent. */
static pps_status get_bool(const cJSON *obj, const char *key, int *out, const char *name,
                           const char *path, pps_error *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!v)
        return PPS_OK;
    if (!cJSON_IsBool(v))
        return pps_error_set(err, PPS_EINPUT, "%s: %s.%s: expected a boolean, got %s", name, path,
                             key, ppsj_type_name(v));
    *out = cJSON_IsTrue(v);
    return PPS_OK;
}

/* Reads optional string member `key` into buf (size bytes, NUL included). */
static pps_status get_text(const cJSON *obj, const char *key, char *buf, size_t size,
                           const char *name, pps_error *err)
{
    const char *s = NULL;
    pps_status st = ppsj_get_string(obj, key, 0, &s, name, "$", err);
    if (st != PPS_OK || !s)
        return st;
    if (strlen(s) >= size)
        return pps_error_set(err, PPS_EINPUT, "%s: $.%s: longer than %zu bytes", name, key,
                             size - 1);
    memcpy(buf, s, strlen(s) + 1);
    return PPS_OK;
}

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
        st = get_bool(o, "bf16", &p->bf16, name, "$.workload", err);
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

static pps_status read_profile(const cJSON *root, const char *name, pps_profile *p,
                               pps_error *err)
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
        st = get_text(root, "backend", p->backend, sizeof p->backend, name, err);
    if (st == PPS_OK)
        st = get_text(root, "note", p->note, sizeof p->note, name, err);
    if (st == PPS_OK)
        st = read_workload(root, name, p, err);
    p->receiver_copies = 0;
    if (st == PPS_OK)
        st = get_bool(root, "receiver_copies", &p->receiver_copies, name, "$", err);

    const cJSON *arr = NULL;
    if (st == PPS_OK)
        st = ppsj_get_array(root, "stage_costs", 1, &arr, name, "$", err);
    if (st != PPS_OK)
        return st;
    int n = cJSON_GetArraySize(arr);
    if (n != p->stages)
        return pps_error_set(err, PPS_EINPUT,
                             "%s: $.stage_costs: expected %d entries (one per stage), got %d",
                             name, p->stages, n);
    p->stage_costs = calloc((size_t)n, sizeof *p->stage_costs);
    if (!p->stage_costs)
        return pps_error_set(err, PPS_ENOMEM, "%s: out of memory", name);
    int i = 0;
    for (const cJSON *e = arr->child; e && st == PPS_OK; e = e->next, i++)
        st = read_stage(e, i, name, p, err);

    arr = NULL;
    if (st == PPS_OK)
        st = ppsj_get_array(root, "links", 1, &arr, name, "$", err);
    if (st != PPS_OK)
        return st;
    int nl = cJSON_GetArraySize(arr);
    if (nl > 0) {
        p->links = calloc((size_t)nl, sizeof *p->links);
        if (!p->links)
            return pps_error_set(err, PPS_ENOMEM, "%s: out of memory", name);
    }
    size_t k = 0;
    for (const cJSON *e = arr->child; e && st == PPS_OK; e = e->next, k++)
        st = read_link(e, k, name, p, err);
    p->nlinks = k;
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
    cJSON *root = NULL;
    pps_status st = ppsj_parse(text, len, name, &root, err);
    if (st != PPS_OK)
        return st;
    pps_profile *p = calloc(1, sizeof *p);
    if (!p) {
        cJSON_Delete(root);
        return pps_error_set(err, PPS_ENOMEM, "%s: out of memory", name);
    }
    p->hidden = p->tokens = p->layers = -1;
    p->bf16 = -1;
    st = read_profile(root, name, p, err);
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

/* ------------------------------------------------------------------ calibration */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Median of x[0..n) (sorted in place): the middle value, or the mean of the two middle ones. */
static double median(double *x, size_t n)
{
    qsort(x, n, sizeof *x, cmp_double);
    return n % 2 ? x[n / 2] : (x[n / 2 - 1] + x[n / 2]) / 2;
}

/* The model's backward times from measured tb, ti, tw: a split whose sum is within 1% of tb is
 * kept (and tb becomes ti + tw); otherwise tb is kept and split in the measured proportion, or
 * evenly when the split measured nothing. */
static void backward_times(const pps_profile_stage *x, pps_stage_cost *c)
{
    double sum = x->ti + x->tw;
    if (fabs(sum - x->tb) <= 0.01 * x->tb) {
        c->ti = x->ti;
        c->tw = x->tw;
        c->tb = sum;
        return;
    }
    c->tb = x->tb;
    c->ti = sum > 0 ? x->tb * (x->ti / sum) : x->tb / 2;
    c->tw = x->tb - c->ti;
}

/* Seconds per byte that a receive's copy costs the receiving rank: the median over links of the
 * measured one-way time less the latency (or, without one_way, bytes / bandwidth), per byte. */
static double copy_seconds_per_byte(const pps_profile *p, double *scratch)
{
    size_t n = 0;
    for (size_t i = 0; i < p->nlinks; i++) {
        const pps_profile_link *l = &p->links[i];
        double t = l->one_way > 0 ? l->one_way - l->latency
                   : l->bandwidth > 0 ? l->bytes / l->bandwidth : 0;
        if (l->bytes > 0)
            scratch[n++] = t > 0 ? t / l->bytes : 0;
    }
    return n ? median(scratch, n) : 0;
}

/* receiver_copies: charges each message's copy to the compute that consumes it on the receiving
 * rank (F of a stage whose previous stage is elsewhere, B and I of a stage whose next stage is
 * elsewhere); the link keeps only its latency. */
static void charge_receive_copies(const pps_profile *p, double per_byte, pps_cost *out)
{
    for (int s = 0; s < p->stages; s++) {
        pps_stage_cost *c = &out->stage[s];
        int rank = p->stage_costs[s].rank;
        if (s > 0 && p->stage_costs[s - 1].rank != rank)
            c->tf += per_byte * p->stage_costs[s - 1].send_bytes;
        if (s + 1 < p->stages && p->stage_costs[s + 1].rank != rank) {
            double t = per_byte * p->stage_costs[s + 1].send_bytes;
            c->tb += t;
            c->ti += t;
        }
    }
    out->intra.bandwidth = 0; /* unlimited: the transfer's time is in the consumer's compute */
}

pps_status pps_profile_to_costs(const pps_profile *p, pps_cost *out, pps_error *err)
{
    pps_cost_init(out);
    out->stage = calloc((size_t)p->stages, sizeof *out->stage);
    double *lat = malloc((p->nlinks ? p->nlinks : 1) * sizeof *lat);
    double *bw = malloc((p->nlinks ? p->nlinks : 1) * sizeof *bw);
    if (!out->stage || !lat || !bw) {
        free(lat);
        free(bw);
        pps_cost_clear(out);
        return pps_error_set(err, PPS_ENOMEM, "calibrate: out of memory");
    }
    out->nstages = p->stages;
    pps_stage_cost mean = {0};
    for (int s = 0; s < p->stages; s++) {
        const pps_profile_stage *x = &p->stage_costs[s];
        pps_stage_cost *c = &out->stage[s];
        c->tf = x->tf;
        backward_times(x, c);
        c->act_bytes = x->act_bytes;
        c->act_w_bytes = x->act_w_bytes;
        c->send_bytes = x->send_bytes;
        double *m = &mean.tf;
        const double *v = &c->tf;
        for (int k = 0; k < 7; k++)
            m[k] += v[k] / p->stages;
    }
    /* Only a schedule without per-stage entries would use it; the mean is the best guess. */
    out->uniform = mean;
    out->uniform.tw = mean.tb - mean.ti;
    if (out->uniform.act_w_bytes > out->uniform.act_bytes)
        out->uniform.act_w_bytes = out->uniform.act_bytes;
    for (size_t i = 0; i < p->nlinks; i++) {
        lat[i] = p->links[i].latency;
        bw[i] = p->links[i].bandwidth;
    }
    if (p->nlinks) {
        out->intra.latency = median(lat, p->nlinks);
        out->intra.bandwidth = median(bw, p->nlinks);
    }
    if (p->receiver_copies) {
        charge_receive_copies(p, copy_seconds_per_byte(p, lat), out);
        /* the uniform entry follows the per-stage ones */
        pps_stage_cost m = {0};
        for (int s = 0; s < p->stages; s++) {
            m.tf += out->stage[s].tf / p->stages;
            m.tb += out->stage[s].tb / p->stages;
            m.ti += out->stage[s].ti / p->stages;
        }
        out->uniform.tf = m.tf;
        out->uniform.tb = m.tb;
        out->uniform.ti = m.ti;
        out->uniform.tw = m.tb - m.ti;
    }
    out->inter = out->intra;
    out->ranks_per_node = 0;
    free(lat);
    free(bw);
    pps_status st = pps_cost_resolve(out, p->stages, err);
    if (st != PPS_OK) {
        pps_error_prefix(err, "calibrate");
        pps_cost_clear(out);
    }
    return st;
}

/* ------------------------------------------------------------------ cost JSON writer */

/* Writes v in its shortest decimal form that reads back as exactly v. */
static void put_number(FILE *fp, double v)
{
    char buf[40];
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    fputs(buf, fp);
}

static const char *const stage_fields[7] = {"tf", "tb", "ti", "tw", "act_bytes", "act_w_bytes",
                                            "send_bytes"};

/* Every value that will be written must be finite: JSON has no infinities. */
static pps_status check_finite(const pps_cost *c, pps_error *err)
{
    for (int s = -1; s < c->nstages; s++) {
        const double *v = s < 0 ? &c->uniform.tf : &c->stage[s].tf;
        for (int k = 0; k < 7; k++)
            if (isinf(v[k])) {
                if (s < 0)
                    return pps_error_set(err, PPS_EINPUT, "costs: uniform %s is not finite",
                                         stage_fields[k]);
                return pps_error_set(err, PPS_EINPUT, "costs: stage %d: %s is not finite", s,
                                     stage_fields[k]);
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
static void put_stage(FILE *fp, const pps_stage_cost *x)
{
    const double *v = &x->tf;
    int first = 1;
    fputc('{', fp);
    for (int k = 0; k < 7; k++) {
        if (isnan(v[k]))
            continue;
        fprintf(fp, "%s\"%s\": ", first ? "" : ", ", stage_fields[k]);
        put_number(fp, v[k]);
        first = 0;
    }
    fputc('}', fp);
}

static void put_link(FILE *fp, const char *key, const pps_link *l)
{
    fprintf(fp, "\"%s\": {\"latency\": ", key);
    put_number(fp, l->latency);
    fputs(", \"bandwidth\": ", fp);
    put_number(fp, l->bandwidth);
    fputc('}', fp);
}

pps_status pps_cost_write_json(const pps_cost *c, FILE *fp, pps_error *err)
{
    pps_status st = check_finite(c, err);
    if (st != PPS_OK)
        return st;
    fputs("{\"format\": \"ppsim-costs\", \"version\": 1,\n \"uniform\": ", fp);
    put_stage(fp, &c->uniform);
    if (c->nstages > 0) {
        fputs(",\n \"stages\": [", fp);
        for (int s = 0; s < c->nstages; s++) {
            fputs(s ? ",\n  " : "\n  ", fp);
            put_stage(fp, &c->stage[s]);
        }
        fputs("]", fp);
    }
    fputs(",\n \"links\": {", fp);
    put_link(fp, "intra", &c->intra);
    fputs(", ", fp);
    put_link(fp, "inter", &c->inter);
    fprintf(fp, ", \"ranks_per_node\": %d},\n \"comm\": \"%s\",\n \"t_unshard\": ",
            c->ranks_per_node, c->comm_sync ? "sync" : "overlap");
    put_number(fp, c->t_unshard);
    fputs(", \"t_reshard\": ", fp);
    put_number(fp, c->t_reshard);
    fputs(", \"t_reduce_grad\": ", fp);
    put_number(fp, c->t_reduce_grad);
    fputs("}\n", fp);
    if (ferror(fp))
        return pps_error_set(err, PPS_EIO, "cost JSON: write error");
    return PPS_OK;
}
