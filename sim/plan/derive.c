/* derive.c — costs derived from a model description and a layout: FLOPs, times, activation
 * memory, parameters, transfers and the data-parallel all-reduce (docs/cost-model.md,
 * "Derived costs"; every formula's source is named beside it there and here). */
#include "plan/plan.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *pps_recompute_name(pps_recompute r)
{
    switch (r) {
    case PPS_RECOMPUTE_NONE: return "none";
    case PPS_RECOMPUTE_SELECTIVE: return "selective";
    case PPS_RECOMPUTE_FULL: return "full";
    case PPS_RECOMPUTE_COUNT: break;
    }
    return "?";
}

pps_layout pps_model_layout(const pps_model *m)
{
    pps_layout l = {.pp = m->pp ? m->pp : 1, .tp = m->tp ? m->tp : 1, .dp = m->dp ? m->dp : 1,
                    .chunks = 1, .micro_batch = m->micro_batch ? m->micro_batch : 1,
                    .recompute = m->recompute >= 0 ? (pps_recompute)m->recompute
                                                   : PPS_RECOMPUTE_NONE,
                    .sequence_parallel = m->sequence_parallel, .zero1 = m->zero1};
    return l;
}

/* Weights of the four matrix multiplications of one layer: Q and the output projection h × h,
 * K and V h × h·kv/a each, the MLP two (GeLU) or three (SwiGLU) matrices of h × f. */
static double matmul_weights(const pps_model *m)
{
    double h = m->hidden, kvr = (double)m->kv_heads / m->heads;
    return h * h * (2 + 2 * kvr) + (m->gated_mlp ? 3.0 : 2.0) * h * m->ffn_hidden;
}

static double layer_params(const pps_model *m)
{
    double h = m->hidden, f = m->ffn_hidden, kvr = (double)m->kv_heads / m->heads;
    double norms = m->rms_norm ? 2 * h : 4 * h; /* two norms: weight (and bias) each */
    double biases = m->bias ? h * (1 + 2 * kvr) + h + (m->gated_mlp ? 2 * f : f) + h : 0;
    return matmul_weights(m) + norms + biases;
}

static double embedding_params(const pps_model *m)
{
    return (double)m->vocab * m->hidden +
           (m->learned_positions ? (double)m->seq_len * m->hidden : 0);
}

/* Final norm plus, untied, the output projection. */
static double head_params(const pps_model *m)
{
    return (m->rms_norm ? 1.0 : 2.0) * m->hidden +
           (m->tied_embeddings ? 0 : (double)m->vocab * m->hidden);
}

double pps_model_params(const pps_model *m)
{
    return m->layers * layer_params(m) + embedding_params(m) + head_params(m);
}

/* Ring all-reduce of n bytes over k GPUs on link l: each GPU sends and receives 2(k−1)/k · n
 * bytes in 2(k−1) steps (Patarasuk and Yuan 2009; NCCL's ring). 0 for k = 1. */
static double ring_allreduce(double n, int k, const pps_link *l)
{
    if (k <= 1)
        return 0;
    return 2.0 * (k - 1) / k * n / l->bandwidth + 2.0 * (k - 1) * l->latency;
}

/* FLOPs of one layer for one micro-batch of tok = s·b tokens (before the TP split), Qi et al.,
 * "Zero Bubble Pipeline Parallelism", ICLR 2024, Table 1: F = sbh(24h + 4s), B (inputs) =
 * sbh(24h + 8s), W = sbh · 24h. Written as 2 · tok · (matmul weights) for the matrix
 * multiplications, which is 24sbh² for a GPT layer (f = 4h, kv = a, GeLU), plus the attention
 * core: 4bs²h forward (QK^T and ·V, 2bs²h each), twice that for input gradients. */
static void layer_flops(const pps_model *m, int b, double fiw[3], double *core)
{
    double s = m->seq_len, tok = s * b, h = m->hidden;
    double mm = 2 * tok * matmul_weights(m);
    *core = 4 * b * s * s * h;
    fiw[0] = mm + *core;
    fiw[1] = mm + 2 * *core;
    fiw[2] = mm;
}

/* Activation bytes of one layer per micro-batch on one GPU, and the part W still needs after I.
 * Korthikanti et al. 2022 §4: sbh(34 + 5as/h) without parallelism (2-byte elements, 1-byte
 * dropout masks), of which 10sbh (the norms' and the first linear layers' inputs, two masks)
 * stays whole under tensor parallelism and the rest is split t ways: sbh(10 + 24/t + 5as/(ht));
 * with sequence parallelism everything is split: sbh/t · (34 + 5as/h). Selective recomputation
 * drops the 5as²b of the attention core; full recomputation keeps only the layer input (2sbh,
 * split t ways with sequence parallelism). Written per tensor below so that GQA, SwiGLU, fp32
 * and dropout-free models follow the same accounting; for a GPT layer it is the paper's. */
static void layer_activation(const pps_model *m, const pps_layout *l, double *act, double *act_w)
{
    double e = m->dtype_bytes, s = m->seq_len, tok = s * l->micro_batch, h = m->hidden;
    double f = m->ffn_hidden, a = m->heads, kvr = (double)m->kv_heads / m->heads;
    double mask = m->dropout ? 1 : 0, t = l->tp;
    double whole = l->sequence_parallel && l->tp > 1 ? 1 / t : 1; /* unsplit without SP */
    double split = 1 / t;
    if (l->recompute == PPS_RECOMPUTE_FULL) {
        *act = e * tok * h * whole;
    } else {
        /* two norm inputs, QKV and fc1 inputs, the dropout masks after attention and MLP */
        double kept = (2 * e + e + e + 2 * mask) * tok * h;
        /* Q, K, V, projection input; MLP activation input(s) and fc2 input */
        double sharded = (e * (1 + 2 * kvr) + e) * tok * h +
                         e * tok * f * (m->gated_mlp ? 2 : 1) + e * tok * f;
        /* softmax output, its dropout mask and the dropout output (the attention core) */
        double core = (e + mask + (m->dropout ? e : 0)) * a * s * s * l->micro_batch;
        if (l->recompute == PPS_RECOMPUTE_SELECTIVE)
            core = 0;
        *act = kept * whole + (sharded + core) * split;
    }
    /* W needs the inputs of the four matrix multiplications and the gradients of their outputs:
     * 32sbh for a GPT layer (Qi et al. 2024, Table 1). The QKV and fc1 inputs and the output
     * gradients of the two row-parallel layers are whole under TP without SP. */
    double w_kept = 4 * e * tok * h;
    double w_sharded = e * tok * h + e * tok * f + e * tok * h * (1 + 2 * kvr) +
                       e * tok * f * (m->gated_mlp ? 2 : 1);
    double w = w_kept * whole + w_sharded * split;
    *act_w = w < *act ? w : *act;
}

/* Achieved FLOP/s for F, I, W: peak × efficiency, or from a calibration's measured times. */
static pps_status rates(const pps_model *m, double rate[3], pps_error *err)
{
    if (!m->calibrated) {
        for (int k = 0; k < 3; k++)
            rate[k] = m->peak_flops * m->efficiency[k];
        return PPS_OK;
    }
    /* The profiled stages ran calib_layers layers at TP calib_tp and micro-batch size
     * calib_micro_batch without recomputation: their FLOPs per GPU over the measured time,
     * less the all-reduces the model charges, give the achieved rate. */
    pps_layout cl = {.pp = 1, .tp = m->calib_tp, .dp = 1, .chunks = 1,
                     .micro_batch = m->calib_micro_batch};
    double fiw[3], core;
    layer_flops(m, cl.micro_batch, fiw, &core);
    const pps_link *link = m->calib_tp <= m->gpus_per_node ? &m->intra : &m->inter;
    double ar = ring_allreduce((double)m->dtype_bytes * m->seq_len * cl.micro_batch * m->hidden,
                               cl.tp, link);
    double comm[3] = {2 * ar, 2 * ar, 0};
    const char *kinds = "FIW";
    for (int k = 0; k < 3; k++) {
        double busy = m->calib_t[k] - m->calib_layers * comm[k];
        rate[k] = busy > 0 ? m->calib_layers * fiw[k] / m->calib_tp / busy : INFINITY;
        if (!(rate[k] <= m->peak_flops))
            return pps_error_set(err, PPS_EINPUT,
                                 "%s: calibration: t_%c = %g s for %d layers means more than "
                                 "peak_flops; the profile did not run %d layers of this model",
                                 m->calibration, kinds[k], m->calib_t[k], m->calib_layers,
                                 m->calib_layers);
    }
    return PPS_OK;
}

pps_plan_reject ppsp_layout_reject(const pps_model *m, const pps_layout *l)
{
    if (m->heads % l->tp || m->kv_heads % l->tp || m->ffn_hidden % l->tp)
        return PPS_REJECT_TP;
    if (m->global_batch % ((long)l->dp * l->micro_batch))
        return PPS_REJECT_BATCH;
    if ((long)l->pp * l->chunks > m->layers)
        return PPS_REJECT_LAYERS;
    return PPS_REJECT_COUNT;
}

static pps_status check_layout(const pps_model *m, const pps_layout *l, pps_error *err)
{
    if (l->pp < 1 || l->tp < 1 || l->dp < 1 || l->chunks < 1 || l->micro_batch < 1 ||
        (int)l->recompute < 0 || l->recompute >= PPS_RECOMPUTE_COUNT)
        return pps_error_set(err, PPS_EINPUT, "layout: pp, tp, dp, v and micro_batch must be "
                             "positive");
    switch (ppsp_layout_reject(m, l)) {
    case PPS_REJECT_TP:
        return pps_error_set(err, PPS_EUNSUPPORTED,
                             "tp = %d does not divide heads = %d, kv_heads = %d and "
                             "ffn_hidden = %d", l->tp, m->heads, m->kv_heads, m->ffn_hidden);
    case PPS_REJECT_BATCH:
        return pps_error_set(err, PPS_EUNSUPPORTED,
                             "global batch %ld is not a multiple of dp · micro_batch = %ld",
                             m->global_batch, (long)l->dp * l->micro_batch);
    case PPS_REJECT_LAYERS:
        return pps_error_set(err, PPS_EUNSUPPORTED, "%d stages (pp %d · v %d) for %d layers",
                             l->pp * l->chunks, l->pp, l->chunks, m->layers);
    default: return PPS_OK;
    }
}

/* Fills times from FLOPs (per GPU) and the all-reduces. */
static void set_times(pps_piece_costs *c, const double rate[3])
{
    c->tf = c->flops_f / rate[0] + c->comm_f;
    c->ti = c->flops_i / rate[1] + c->comm_i;
    c->tw = c->flops_w / rate[2];
}

pps_status pps_model_derive(const pps_model *m, const pps_layout *l, pps_model_costs *out,
                            pps_error *err)
{
    memset(out, 0, sizeof *out);
    double rate[3];
    pps_status st = check_layout(m, l, err);
    if (st == PPS_OK)
        st = rates(m, rate, err);
    if (st != PPS_OK)
        return st;
    double t = l->tp, e = m->dtype_bytes, h = m->hidden, V = m->vocab;
    double tok = (double)m->seq_len * l->micro_batch;
    int sp = l->sequence_parallel && l->tp > 1;
    /* One all-reduce of a layer's output, e·tok·h bytes, inside the TP group (NVLink when the
     * group fits a node). Sequence parallelism replaces each by a reduce-scatter and an
     * all-gather of the same bytes (Korthikanti et al. 2022 §4.2.2): the same time. */
    const pps_link *tl = l->tp <= m->gpus_per_node ? &m->intra : &m->inter;
    double ar = ring_allreduce(e * tok * h, l->tp, tl);

    /* Transformer layer: two all-reduces in F (after attention and after the MLP) and two in
     * the input-gradient pass (Narayanan et al. SC'21 §3.2.2, Megatron's f and g). */
    pps_piece_costs *c = &out->layer;
    double fiw[3], core;
    layer_flops(m, l->micro_batch, fiw, &core);
    c->flops_f = fiw[0] / t;
    c->flops_i = fiw[1] / t;
    c->flops_w = fiw[2] / t;
    c->comm_f = 2 * ar;
    c->comm_i = 2 * ar;
    if (l->recompute == PPS_RECOMPUTE_SELECTIVE) {
        c->flops_i += core / t; /* the attention core's forward again */
    } else if (l->recompute == PPS_RECOMPUTE_FULL) {
        c->flops_i += fiw[0] / t; /* the whole forward again, its all-reduces included */
        c->comm_i += 2 * ar;
    }
    set_times(c, rate);
    layer_activation(m, l, &c->act_bytes, &c->act_w_bytes);
    c->params = layer_params(m) / t;

    /* Embedding: a lookup (no FLOPs counted) whose vocabulary-parallel output is all-reduced;
     * it keeps the token ids (8 bytes each, Megatron-LM's theoretical memory) and its dropout
     * mask. */
    c = &out->embedding;
    c->comm_f = ar;
    set_times(c, rate);
    c->act_bytes = 8 * tok + (m->dropout ? tok * h * (sp ? 1 / t : 1) : 0);
    c->act_w_bytes = 8 * tok;
    c->params = (double)m->vocab * h / t + (m->learned_positions ? (double)m->seq_len * h : 0);

    /* LM head: the projection to the vocabulary, 2·tok·h·V FLOPs in each of F, I and W; the
     * input gradient is all-reduced. It keeps the final norm's and the projection's inputs and
     * the fp32 logits of the vocabulary-parallel loss: 4sbh + 4sbV/t (Korthikanti et al. §4.3). */
    c = &out->lm_head;
    double proj = 2 * tok * h * V / t;
    c->flops_f = c->flops_i = c->flops_w = proj;
    c->comm_i = ar;
    set_times(c, rate);
    c->act_bytes = 2 * e * tok * h * (sp ? 1 / t : 1) + 4 * tok * V / t;
    double head_w = e * tok * h * (sp ? 1 / t : 1) + e * tok * V / t;
    c->act_w_bytes = head_w < c->act_bytes ? head_w : c->act_bytes;
    c->params = (m->rms_norm ? 1.0 : 2.0) * h + V * h / t;

    /* One stage-boundary transfer: the layer output split t ways (Narayanan et al. SC'21 §4.1,
     * scatter/gather; with sequence parallelism it is split already). */
    out->send_bytes = e * tok * h / t;
    out->microbatches = (int)(m->global_batch / ((long)l->dp * l->micro_batch));
    /* MFU counts the model's FLOPs once: F + I + W without recomputation. */
    double per_mb = m->layers * (fiw[0] + fiw[1] + fiw[2]) + 3 * 2 * tok * h * V;
    out->model_flops = per_mb * (double)m->global_batch / l->micro_batch;
    return PPS_OK;
}

/* ------------------------------------------------------------------ stages and ranks */

static int embedding_stage(const pps_model *m, int stages)
{
    return m->embedding_last ? stages - 1 : 0;
}

static int head_stage(const pps_model *m, int stages)
{
    return m->lm_head_first ? 0 : stages - 1;
}

pps_status pps_model_stage_costs(const pps_model *m, const pps_layout *l,
                                 const pps_model_costs *mc, const pps_partition *p,
                                 pps_cost *out, pps_error *err)
{
    pps_cost_init(out);
    out->stage = malloc((size_t)p->stages * sizeof *out->stage);
    if (!out->stage)
        return pps_error_set(err, PPS_ENOMEM, "costs: out of memory for %d stages", p->stages);
    out->nstages = p->stages;
    int es = embedding_stage(m, p->stages), hs = head_stage(m, p->stages);
    for (int s = 0; s < p->stages; s++) {
        pps_stage_cost *c = &out->stage[s];
        *c = out->uniform;
        const pps_piece_costs *ly = &mc->layer;
        c->tf = p->layers[s] * ly->tf;
        c->ti = p->layers[s] * ly->ti;
        c->tw = p->layers[s] * ly->tw;
        c->act_bytes = p->layers[s] * ly->act_bytes;
        c->act_w_bytes = p->layers[s] * ly->act_w_bytes;
        const pps_piece_costs *extra[2] = {s == es ? &mc->embedding : NULL,
                                           s == hs ? &mc->lm_head : NULL};
        for (int i = 0; i < 2; i++) {
            if (!extra[i])
                continue;
            c->tf += extra[i]->tf;
            c->ti += extra[i]->ti;
            c->tw += extra[i]->tw;
            c->act_bytes += extra[i]->act_bytes;
            c->act_w_bytes += extra[i]->act_w_bytes;
        }
        c->tb = c->ti + c->tw;
        c->send_bytes = mc->send_bytes;
    }
    out->intra = m->intra;
    out->inter = m->inter;
    /* GPUs are numbered TP fastest, then DP, then PP (Megatron-LM's default order), so pipeline
     * rank r starts at GPU r·tp·dp: gpus_per_node / (tp·dp) pipeline ranks share a node. */
    int group = l->tp * l->dp;
    out->ranks_per_node = m->gpus_per_node % group == 0 ? m->gpus_per_node / group : 1;
    pps_status st = pps_cost_resolve(out, p->stages, err);
    if (st != PPS_OK)
        pps_cost_clear(out);
    return st;
}

void pps_model_rank_static(const pps_model *m, const pps_layout *l, const pps_model_costs *mc,
                           const pps_partition *p, double *static_bytes, double *dp_seconds)
{
    int es = embedding_stage(m, p->stages), hs = head_stage(m, p->stages);
    double e = m->dtype_bytes;
    /* 16 bytes per parameter: the dtype's weight and gradient (2e) and Adam's state (fp32 master
     * weights when e < 4, momentum, variance: 16 − 2e), Rajbhandari et al., ZeRO (SC'20) §3.1.
     * ZeRO-1 shards the optimizer's part over DP. */
    double per_param = 2 * e + (16 - 2 * e) / (l->zero1 ? l->dp : 1);
    const pps_link *dl = l->tp * l->dp <= m->gpus_per_node ? &m->intra : &m->inter;
    for (int r = 0; r < p->ranks; r++) {
        double params = 0;
        for (int s = 0; s < p->stages; s++) {
            if (p->stage_rank[s] != r)
                continue;
            params += p->layers[s] * mc->layer.params;
            if (s == es)
                params += mc->embedding.params;
            if (s == hs)
                params += mc->lm_head.params;
        }
        /* Tied embeddings on one rank are one matrix. */
        if (m->tied_embeddings && p->stage_rank[es] == r && p->stage_rank[hs] == r)
            params -= (double)m->vocab * m->hidden / l->tp;
        static_bytes[r] = params * per_param;
        /* Gradients (e bytes each) all-reduced over DP once per step; ZeRO-1's reduce-scatter
         * plus all-gather moves the same bytes. */
        dp_seconds[r] = ring_allreduce(params * e, l->dp, dl);
    }
}
