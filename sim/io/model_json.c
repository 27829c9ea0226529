/* model_json.c — the model description file (format "ppsim-model"; docs/planner.md): a strict
 * reader of the transformer, the cluster and the training setup. Derived costs live in plan/. */
#include "json_read.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Largest count accepted for a shape (layers, hidden, sequence, vocabulary, ...). */
#define SHAPE_MAX (1L << 24)
/* Largest time (s), size (bytes) or rate accepted. */
#define VALUE_MAX 1e30

/* Reads optional string member `key`, which must be one of the NULL-terminated `words`; *out
 * becomes its index and is left untouched when the member is absent. */
static pps_status get_word(const cJSON *obj, const char *key, const char *const *words, int *out,
                           const char *name, const char *path, pps_error *err)
{
    const char *s = NULL;
    pps_status st = ppsj_get_string(obj, key, 0, &s, name, path, err);
    if (st != PPS_OK || !s)
        return st;
    char list[128] = "";
    size_t len = 0;
    for (int i = 0; words[i]; i++) {
        if (strcmp(s, words[i]) == 0) {
            *out = i;
            return PPS_OK;
        }
        len += (size_t)snprintf(list + len, sizeof list - len, "%s\"%s\"", i ? ", " : "",
                                words[i]);
        if (len >= sizeof list)
            len = sizeof list - 1;
    }
    return pps_error_set(err, PPS_EINPUT, "%s: %s.%s: expected one of %s, got \"%.40s\"", name,
                         path, key, list, s);
}

static pps_status get_count(const cJSON *obj, const char *key, int required, int *out,
                            const char *name, const char *path, pps_error *err)
{
    long v = *out;
    pps_status st = ppsj_get_int(obj, key, required, 1, SHAPE_MAX, &v, name, path, err);
    *out = (int)v;
    return st;
}

static pps_status read_transformer(const cJSON *root, const char *name, pps_model *m,
                                   pps_error *err)
{
    static const char *const keys[] = {
        "layers", "hidden", "ffn_hidden", "heads", "kv_heads", "seq_len", "vocab", "dtype", "mlp",
        "norm", "bias", "dropout", "positions", "tied_embeddings", "embedding", "lm_head", NULL};
    static const char *const dtypes[] = {"bf16", "fp16", "fp32", NULL};
    static const int dtype_bytes[] = {2, 2, 4};
    static const char *const mlps[] = {"gelu", "swiglu", NULL};
    static const char *const norms[] = {"layernorm", "rmsnorm", NULL};
    static const char *const positions[] = {"rope", "learned", NULL};
    static const char *const ends[] = {"first", "last", NULL};
    const char *P = "$.model";
    const cJSON *o = NULL;
    pps_status st = ppsj_get_object(root, "model", 1, &o, name, "$", err);
    if (st == PPS_OK)
        st = ppsj_check_keys(o, keys, name, P, err);
    const char *const required[] = {"layers", "hidden", "ffn_hidden", "heads", "seq_len", "vocab"};
    int *dst[] = {&m->layers, &m->hidden, &m->ffn_hidden, &m->heads, &m->seq_len, &m->vocab};
    for (size_t i = 0; i < sizeof dst / sizeof *dst && st == PPS_OK; i++)
        st = get_count(o, required[i], 1, dst[i], name, P, err);
    m->kv_heads = m->heads;
    if (st == PPS_OK)
        st = get_count(o, "kv_heads", 0, &m->kv_heads, name, P, err);
    int dtype = 0, end_emb = 0, end_head = 1;
    if (st == PPS_OK)
        st = get_word(o, "dtype", dtypes, &dtype, name, P, err);
    if (st == PPS_OK)
        st = get_word(o, "mlp", mlps, &m->gated_mlp, name, P, err);
    if (st == PPS_OK)
        st = get_word(o, "norm", norms, &m->rms_norm, name, P, err);
    if (st == PPS_OK)
        st = get_word(o, "positions", positions, &m->learned_positions, name, P, err);
    if (st == PPS_OK)
        st = get_word(o, "embedding", ends, &end_emb, name, P, err);
    if (st == PPS_OK)
        st = get_word(o, "lm_head", ends, &end_head, name, P, err);
    if (st == PPS_OK)
        st = ppsj_get_bool(o, "bias", &m->bias, name, P, err);
    if (st == PPS_OK)
        st = ppsj_get_bool(o, "dropout", &m->dropout, name, P, err);
    if (st == PPS_OK)
        st = ppsj_get_bool(o, "tied_embeddings", &m->tied_embeddings, name, P, err);
    if (st != PPS_OK)
        return st;
    m->dtype_bytes = dtype_bytes[dtype];
    snprintf(m->dtype, sizeof m->dtype, "%s", dtypes[dtype]);
    m->embedding_last = end_emb;
    m->lm_head_first = !end_head;
    /* Shapes the formulas need: whole heads, whole KV groups. */
    if (m->hidden % m->heads != 0)
        return pps_error_set(err, PPS_EINPUT, "%s: %s.heads: %d does not divide hidden = %d",
                             name, P, m->heads, m->hidden);
    if (m->kv_heads > m->heads || m->heads % m->kv_heads != 0)
        return pps_error_set(err, PPS_EINPUT, "%s: %s.kv_heads: %d does not divide heads = %d",
                             name, P, m->kv_heads, m->heads);
    return PPS_OK;
}

static pps_status read_link(const cJSON *obj, const char *key, pps_link *l, const char *name,
                            pps_error *err)
{
    static const char *const keys[] = {"latency", "bandwidth", NULL};
    char path[48];
    snprintf(path, sizeof path, "$.cluster.%s", key);
    const cJSON *o = NULL;
    pps_status st = ppsj_get_object(obj, key, 1, &o, name, "$.cluster", err);
    if (st == PPS_OK)
        st = ppsj_check_keys(o, keys, name, path, err);
    if (st == PPS_OK)
        st = ppsj_get_number(o, "latency", 1, 0, 1e3, &l->latency, name, path, err);
    /* A planner needs a finite transfer time: bandwidth 0 ("unlimited" in costs files) is
     * refused here. */
    if (st == PPS_OK)
        st = ppsj_get_number(o, "bandwidth", 1, 1, VALUE_MAX, &l->bandwidth, name, path, err);
    return st;
}

/* Median of the n values of v (sorted in place). */
static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Reads the calibration costs file (path relative to the model file's folder) and keeps the
 * median per-stage t_F, t_I, t_W and the links it measured. */
static pps_status read_calibration(const cJSON *cluster, const char *name, pps_model *m,
                                   pps_error *err)
{
    static const char *const keys[] = {"costs", "layers", "tp", "micro_batch", NULL};
    const char *P = "$.cluster.calibration";
    const cJSON *o = NULL;
    pps_status st = ppsj_get_object(cluster, "calibration", 0, &o, name, "$.cluster", err);
    if (st != PPS_OK || !o)
        return st;
    const char *file = NULL;
    m->calib_tp = 1;
    m->calib_micro_batch = 1;
    st = ppsj_check_keys(o, keys, name, P, err);
    if (st == PPS_OK)
        st = ppsj_get_string(o, "costs", 1, &file, name, P, err);
    if (st == PPS_OK)
        st = get_count(o, "layers", 1, &m->calib_layers, name, P, err);
    if (st == PPS_OK)
        st = get_count(o, "tp", 0, &m->calib_tp, name, P, err);
    if (st == PPS_OK)
        st = get_count(o, "micro_batch", 0, &m->calib_micro_batch, name, P, err);
    if (st != PPS_OK)
        return st;
    const char *slash = strrchr(name, '/');
    int dir = file[0] == '/' || !slash ? 0 : (int)(slash - name + 1);
    if ((size_t)snprintf(m->calibration, sizeof m->calibration, "%.*s%s", dir, name, file) >=
        sizeof m->calibration)
        return pps_error_set(err, PPS_EINPUT, "%s: %s.costs: path longer than %zu bytes", name, P,
                             sizeof m->calibration - 1);
    pps_cost c;
    pps_cost_init(&c);
    st = pps_cost_read(m->calibration, &c, err);
    if (st == PPS_OK)
        st = pps_cost_resolve(&c, c.nstages > 0 ? c.nstages : 1, err);
    if (st != PPS_OK) {
        pps_error_prefix(err, "%s: %s.costs", name, P);
        pps_cost_clear(&c);
        return st;
    }
    int n = c.nstages > 0 ? c.nstages : 1;
    double *v = malloc(3 * (size_t)n * sizeof *v);
    if (!v) {
        pps_cost_clear(&c);
        return pps_error_set(err, PPS_ENOMEM, "%s: out of memory", name);
    }
    for (int s = 0; s < n; s++) {
        pps_stage_cost x = pps_cost_of_stage(&c, s);
        v[s] = x.tf;
        v[n + s] = x.ti;
        v[2 * n + s] = x.tw;
    }
    for (int k = 0; k < 3; k++)
        m->calib_t[k] = median(v + (size_t)k * (size_t)n, n);
    free(v);
    /* Measured links replace the nominal ones where the file gives them. */
    if (c.intra.bandwidth > 0)
        m->intra = c.intra;
    if (c.inter.bandwidth > 0)
        m->inter = c.inter;
    pps_cost_clear(&c);
    const char *kinds = "FIW";
    for (int k = 0; k < 3; k++)
        if (!(m->calib_t[k] > 0))
            return pps_error_set(err, PPS_EINPUT, "%s: %s.costs: %s: median t_%c is 0; a "
                                 "calibration needs measured times", name, P, m->calibration,
                                 kinds[k]);
    m->calibrated = 1;
    return PPS_OK;
}

static pps_status read_cluster(const cJSON *root, const char *name, pps_model *m, pps_error *err)
{
    static const char *const keys[] = {"gpu", "peak_flops", "efficiency", "memory_bytes",
                                       "gpus_per_node", "intra_node", "inter_node",
                                       "calibration", NULL};
    const char *P = "$.cluster";
    const cJSON *o = NULL;
    pps_status st = ppsj_get_object(root, "cluster", 1, &o, name, "$", err);
    if (st == PPS_OK)
        st = ppsj_check_keys(o, keys, name, P, err);
    if (st == PPS_OK)
        st = ppsj_get_text(o, "gpu", m->gpu, sizeof m->gpu, name, P, err);
    if (st == PPS_OK)
        st = ppsj_get_number(o, "peak_flops", 1, 1, VALUE_MAX, &m->peak_flops, name, P, err);
    double eff = NAN;
    if (st == PPS_OK)
        st = ppsj_get_number(o, "efficiency", 0, 1e-6, 1, &eff, name, P, err);
    if (st == PPS_OK)
        st = ppsj_get_number(o, "memory_bytes", 1, 1, VALUE_MAX, &m->memory_bytes, name, P, err);
    if (st == PPS_OK)
        st = get_count(o, "gpus_per_node", 1, &m->gpus_per_node, name, P, err);
    if (st == PPS_OK)
        st = read_link(o, "intra_node", &m->intra, name, err);
    if (st == PPS_OK)
        st = read_link(o, "inter_node", &m->inter, name, err);
    if (st == PPS_OK)
        st = read_calibration(o, name, m, err);
    if (st != PPS_OK)
        return st;
    if (isnan(eff) && !m->calibrated)
        return pps_error_set(err, PPS_EINPUT, "%s: %s.efficiency: missing required field (or "
                             "give a calibration)", name, P);
    if (!isnan(eff) && m->calibrated)
        return pps_error_set(err, PPS_EINPUT, "%s: %s.efficiency: give efficiency or a "
                             "calibration, not both", name, P);
    for (int k = 0; k < 3; k++)
        m->efficiency[k] = eff; /* NaN when calibrated: plan/ derives it per kind */
    return PPS_OK;
}

static pps_status read_training(const cJSON *root, const char *name, pps_model *m,
                                pps_error *err)
{
    static const char *const keys[] = {"global_batch", "micro_batch", "sequence_parallel",
                                       "zero1", "recompute", "layout", NULL};
    static const char *const layout_keys[] = {"pp", "tp", "dp", NULL};
    static const char *const recomputes[] = {"none", "selective", "full", NULL};
    const char *P = "$.training";
    const cJSON *o = NULL, *lay = NULL;
    pps_status st = ppsj_get_object(root, "training", 1, &o, name, "$", err);
    if (st == PPS_OK)
        st = ppsj_check_keys(o, keys, name, P, err);
    if (st == PPS_OK)
        st = ppsj_get_int(o, "global_batch", 1, 1, 1L << 30, &m->global_batch, name, P, err);
    if (st == PPS_OK)
        st = get_count(o, "micro_batch", 0, &m->micro_batch, name, P, err);
    if (st == PPS_OK)
        st = ppsj_get_bool(o, "sequence_parallel", &m->sequence_parallel, name, P, err);
    if (st == PPS_OK)
        st = ppsj_get_bool(o, "zero1", &m->zero1, name, P, err);
    if (st == PPS_OK)
        st = get_word(o, "recompute", recomputes, &m->recompute, name, P, err);
    if (st == PPS_OK)
        st = ppsj_get_object(o, "layout", 0, &lay, name, P, err);
    if (st != PPS_OK || !lay)
        return st;
    const char *L = "$.training.layout";
    st = ppsj_check_keys(lay, layout_keys, name, L, err);
    int *dst[] = {&m->pp, &m->tp, &m->dp};
    for (int i = 0; i < 3 && st == PPS_OK; i++)
        st = get_count(lay, layout_keys[i], 1, dst[i], name, L, err);
    return st;
}

pps_status pps_model_parse_json(const char *text, size_t len, const char *name, pps_model *out,
                                pps_error *err)
{
    static const char *const keys[] = {"format", "version", "name", "model", "cluster",
                                       "training", NULL};
    /* Defaults: a GPT-style model (Korthikanti et al.'s), trained without sequence parallelism
     * or ZeRO; the planner searches whatever the file leaves open. */
    pps_model m;
    memset(&m, 0, sizeof m);
    m.bias = m.dropout = m.learned_positions = m.tied_embeddings = 1;
    m.recompute = -1;
    static const char *const deferred[] = {NULL};
    cJSON *root = NULL;
    /* Unknown members are only checked for syntax, never built into a tree. */
    pps_status st = ppsj_parse_object(text, len, name, keys, deferred, NULL, &root, err);
    if (st != PPS_OK)
        return st;
    const char *format = NULL;
    long version = 0;
    if (!cJSON_IsObject(root))
        st = pps_error_set(err, PPS_EINPUT, "%s: $: expected an object, got %s", name,
                           ppsj_type_name(root));
    if (st == PPS_OK)
        st = ppsj_check_keys(root, keys, name, "$", err);
    if (st == PPS_OK)
        st = ppsj_get_string(root, "format", 1, &format, name, "$", err);
    if (st == PPS_OK && strcmp(format, "ppsim-model") != 0)
        st = pps_error_set(err, PPS_EINPUT, "%s: $.format: expected \"ppsim-model\", got "
                           "\"%.40s\"", name, format);
    if (st == PPS_OK)
        st = ppsj_get_int(root, "version", 1, 1, 1, &version, name, "$", err);
    if (st == PPS_OK)
        st = ppsj_get_text(root, "name", m.name, sizeof m.name, name, "$", err);
    if (st == PPS_OK)
        st = read_transformer(root, name, &m, err);
    if (st == PPS_OK)
        st = read_cluster(root, name, &m, err);
    if (st == PPS_OK)
        st = read_training(root, name, &m, err);
    cJSON_Delete(root);
    if (st == PPS_OK)
        *out = m;
    return st;
}

pps_status pps_model_read(const char *path, pps_model *out, pps_error *err)
{
    char *text;
    size_t len;
    pps_status st = pps_file_slurp(path, &text, &len, err);
    if (st != PPS_OK)
        return st;
    st = pps_model_parse_json(text, len, path, out, err);
    free(text);
    return st;
}
