/* test_plan.c — the planner's model: the model file reader, derived FLOPs, times and memory
 * against the papers' formulas and hand calculation, stage costs and static memory. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "testutil.h"

#include "plan/plan.h" /* the program-order memory peaks */

/* Relative closeness for derived quantities (they go through a few divisions). */
#define ck_assert_rel(x, want) \
    ck_assert_msg(fabs((double)(x) - (double)(want)) <= 1e-9 * fabs((double)(want)),             \
                  "%s = %.17g, expected %.17g", #x,                                          \
                  (double)(x), (double)(want))

static pps_model load(const char *path)
{
    pps_model m;
    pps_error err = {0};
    ck_assert_msg(pps_model_read(path, &m, &err) == PPS_OK, "%s", err.msg);
    return m;
}

/* A GPT layer as Korthikanti et al. and the Zero Bubble paper assume it: f = 4h, kv = a, GeLU,
 * 2-byte elements, dropout. s = 2048, h = 1024, a = 16, b = 2. */
static const char gpt_json[] =
    "{\"format\": \"ppsim-model\", \"version\": 1, \"name\": \"gpt\","
    " \"model\": {\"layers\": 8, \"hidden\": 1024, \"ffn_hidden\": 4096, \"heads\": 16,"
    "  \"seq_len\": 2048, \"vocab\": 51200},"
    " \"cluster\": {\"peak_flops\": 1e15, \"efficiency\": 0.5, \"memory_bytes\": 80e9,"
    "  \"gpus_per_node\": 8, \"intra_node\": {\"latency\": 1e-5, \"bandwidth\": 1e11},"
    "  \"inter_node\": {\"latency\": 2e-5, \"bandwidth\": 1e10}},"
    " \"training\": {\"global_batch\": 64, \"micro_batch\": 2}}";

static pps_model gpt(void)
{
    pps_model m;
    pps_error err = {0};
    ck_assert_msg(pps_model_parse_json(gpt_json, strlen(gpt_json), "gpt.json", &m, &err) ==
                  PPS_OK, "%s", err.msg);
    return m;
}

static pps_model_costs derive(const pps_model *m, pps_layout l)
{
    pps_model_costs mc;
    pps_error err = {0};
    ck_assert_msg(pps_model_derive(m, &l, &mc, &err) == PPS_OK, "%s", err.msg);
    return mc;
}

static pps_layout layout(int tp, int mb, pps_recompute rc, int sp)
{
    return (pps_layout){.pp = 1, .tp = tp, .dp = 1, .chunks = 1, .micro_batch = mb,
                        .recompute = rc, .sequence_parallel = sp};
}

/* ------------------------------------------------------------------ FLOPs and time */

START_TEST(gpt_layer_flops_are_zero_bubble_table_1)
{
    pps_model m = gpt();
    pps_model_costs mc = derive(&m, layout(1, 2, PPS_RECOMPUTE_NONE, 0));
    double s = 2048, b = 2, h = 1024;
    /* Qi et al. 2024, Table 1: F = sbh(24h + 4s), B = sbh(24h + 8s), W = sbh·24h */
    ck_assert_rel(mc.layer.flops_f, s * b * h * (24 * h + 4 * s));
    ck_assert_rel(mc.layer.flops_i, s * b * h * (24 * h + 8 * s));
    ck_assert_rel(mc.layer.flops_w, s * b * h * 24 * h);
    /* no TP: no all-reduce; time = FLOPs / (1e15 · 0.5) */
    ck_assert_rel(mc.layer.tf, s * b * h * (24 * h + 4 * s) / 5e14);
    ck_assert_double_eq(mc.layer.comm_f, 0);
}
END_TEST

START_TEST(tp_splits_flops_and_adds_two_all_reduces_each_way)
{
    pps_model m = gpt();
    pps_model_costs mc = derive(&m, layout(4, 2, PPS_RECOMPUTE_NONE, 0));
    double s = 2048, b = 2, h = 1024;
    /* ring all-reduce of the layer output, 2·s·b·h = 8 MiB, over 4 GPUs on the intra link:
     * 2·(3/4)·8388608 / 1e11 + 2·3·1e-5 = 1.2582912e-4 + 6e-5 */
    double ar = 2 * 0.75 * 8388608 / 1e11 + 6e-5;
    ck_assert_rel(mc.layer.comm_f, 2 * ar);
    ck_assert_rel(mc.layer.comm_i, 2 * ar);
    ck_assert_rel(mc.layer.tf, s * b * h * (24 * h + 4 * s) / 4 / 5e14 + 2 * ar);
    ck_assert_rel(mc.layer.tw, s * b * h * 24 * h / 4 / 5e14);
    /* the stage boundary carries the output split 4 ways: 2·s·b·h / 4 */
    ck_assert_rel(mc.send_bytes, 2 * s * b * h / 4);
}
END_TEST

START_TEST(recomputation_lengthens_the_input_gradient_pass)
{
    pps_model m = gpt();
    double s = 2048, b = 2, h = 1024;
    pps_model_costs none = derive(&m, layout(1, 2, PPS_RECOMPUTE_NONE, 0));
    pps_model_costs sel = derive(&m, layout(1, 2, PPS_RECOMPUTE_SELECTIVE, 0));
    pps_model_costs full = derive(&m, layout(1, 2, PPS_RECOMPUTE_FULL, 0));
    /* selective: QK^T and ·V again, 4bs²h; full: the whole forward again */
    ck_assert_rel(sel.layer.flops_i - none.layer.flops_i, 4 * b * s * s * h);
    ck_assert_rel(full.layer.flops_i - none.layer.flops_i, s * b * h * (24 * h + 4 * s));
    ck_assert_double_eq(sel.layer.flops_f, none.layer.flops_f);
    ck_assert_double_eq(full.layer.flops_w, none.layer.flops_w);
}
END_TEST

/* ------------------------------------------------------------------ activation memory */

START_TEST(gpt_layer_activation_is_korthikanti_table_2)
{
    pps_model m = gpt();
    double s = 2048, b = 2, h = 1024, a = 16, sbh = s * b * h;
    /* Korthikanti et al. 2022, Table 2 (bytes per layer per micro-batch): */
    pps_model_costs x = derive(&m, layout(1, 2, PPS_RECOMPUTE_NONE, 0));
    ck_assert_rel(x.layer.act_bytes, sbh * (34 + 5 * a * s / h));            /* no parallelism */
    x = derive(&m, layout(4, 2, PPS_RECOMPUTE_NONE, 0));
    ck_assert_rel(x.layer.act_bytes, sbh * (10 + 24.0 / 4 + 5 * a * s / (h * 4))); /* TP */
    x = derive(&m, layout(4, 2, PPS_RECOMPUTE_NONE, 1));
    ck_assert_rel(x.layer.act_bytes, sbh / 4 * (34 + 5 * a * s / h));         /* TP + SP */
    x = derive(&m, layout(4, 2, PPS_RECOMPUTE_SELECTIVE, 0));
    ck_assert_rel(x.layer.act_bytes, sbh * (10 + 24.0 / 4));                 /* TP + selective */
    x = derive(&m, layout(4, 2, PPS_RECOMPUTE_SELECTIVE, 1));
    ck_assert_rel(x.layer.act_bytes, sbh * 34 / 4);                     /* TP + SP + selective */
    x = derive(&m, layout(4, 2, PPS_RECOMPUTE_FULL, 0));
    ck_assert_rel(x.layer.act_bytes, 2 * sbh);                                /* full */
    x = derive(&m, layout(4, 2, PPS_RECOMPUTE_FULL, 1));
    ck_assert_rel(x.layer.act_bytes, 2 * sbh / 4);                            /* full + SP */
}
END_TEST

START_TEST(gpt_layer_weight_pass_keeps_32sbh)
{
    pps_model m = gpt();
    double sbh = 2048.0 * 2 * 1024;
    /* Qi et al. 2024, Table 1: W needs 32sbh (no TP) */
    pps_model_costs x = derive(&m, layout(1, 2, PPS_RECOMPUTE_NONE, 0));
    ck_assert_rel(x.layer.act_w_bytes, 32 * sbh);
    /* split t ways with sequence parallelism */
    x = derive(&m, layout(4, 2, PPS_RECOMPUTE_SELECTIVE, 1));
    ck_assert_rel(x.layer.act_w_bytes, 32 * sbh / 4);
}
END_TEST

/* ------------------------------------------------------------------ the committed examples */

START_TEST(llama_7b_like_layer_by_hand)
{
    pps_model m = load("../traces/models/llama2-7b-like.json");
    pps_model_costs x = derive(&m, layout(1, 1, PPS_RECOMPUTE_NONE, 0));
    /* s = h = 4096, f = 11008, a = kv = 32, b = 1, bf16, SwiGLU, no dropout.
     * matmul weights: Q, K, V, O 4·4096² = 67 108 864; MLP 3·4096·11008 = 135 266 304;
     *   sum 202 375 168.
     * F = 2·s·202 375 168 + 4·s²·h = 1 657 857 376 256 + 274 877 906 944 = 1 932 735 283 200
     * I = 1 657 857 376 256 + 8·s²·h = 1 657 857 376 256 + 549 755 813 888 = 2 207 613 190 144
     * W = 1 657 857 376 256 */
    ck_assert_rel(x.layer.flops_f, 1932735283200.0);
    ck_assert_rel(x.layer.flops_i, 2207613190144.0);
    ck_assert_rel(x.layer.flops_w, 1657857376256.0);
    /* at 989e12 · 0.5 FLOP/s: 1 932 735 283 200 / 494.5e12 = 3.908463666...e-3 s */
    ck_assert_rel(x.layer.tf, 1932735283200.0 / 494.5e12);
    /* Activation, 2 bytes per element, tok = 4096 tokens:
     *   norm inputs 2·2, QKV input 2, MLP input 2 (·tok·h)         = 8·tok·h =   134 217 728
     *   Q, K, V 3·2, projection input 2 (·tok·h)                   = 8·tok·h =   134 217 728
     *   SwiGLU inputs 2·2·tok·f, fc2 input 2·tok·f                 = 6·tok·f =   270 532 608
     *   softmax output 2·a·s² (no dropout: no mask, no copy)        =          1 073 741 824
     *   total                                                                1 612 709 888 */
    ck_assert_rel(x.layer.act_bytes, 1612709888.0);
    /* Parameters of a layer: 202 375 168 + two RMSNorm weights 2·4096 = 202 383 360 */
    ck_assert_rel(x.layer.params, 202383360.0);
    /* Selective recomputation drops the softmax output: 538 968 064 */
    x = derive(&m, layout(1, 1, PPS_RECOMPUTE_SELECTIVE, 0));
    ck_assert_rel(x.layer.act_bytes, 538968064.0);
    /* Llama-2-7B's published size: 32 layers · 202 383 360 + embedding and LM head
     * 2·32000·4096 + final norm 4096 = 6 738 415 616 */
    ck_assert_rel(pps_model_params(&m), 6738415616.0);
}
END_TEST

START_TEST(gpt3_175b_like_has_175_billion_parameters)
{
    pps_model m = load("../traces/models/gpt3-175b-like.json");
    /* 96 layers · (12h² + 13h) + embedding 50257·h + positions 2048·h + final norm 2h, tied;
     * h = 12288: 96·1 812 099 072 + 617 558 016 + 25 165 824 + 24 576 = 174 604 259 328 */
    double p = pps_model_params(&m);
    ck_assert_rel(p, 174604259328.0);
    ck_assert_msg(fabs(p - 175e9) / 175e9 < 0.01, "%.6g parameters", p);
}
END_TEST

/* ------------------------------------------------------------------ stages and ranks */

START_TEST(stage_costs_put_embedding_first_and_lm_head_last)
{
    pps_model m = gpt();
    pps_layout l = layout(1, 2, PPS_RECOMPUTE_NONE, 0);
    l.pp = 2;
    pps_model_costs mc = derive(&m, l);
    pps_partition *p = NULL;
    pps_error err = {0};
    ck_assert(pps_partition_create(8, 2, 2, PPS_PLACE_LOOP, &p, &err) == PPS_OK);
    p->layers[0] = 5;
    p->layers[1] = 3;
    pps_cost c;
    ck_assert_msg(pps_model_stage_costs(&m, &l, &mc, p, &c, &err) == PPS_OK, "%s", err.msg);
    pps_stage_cost s0 = pps_cost_of_stage(&c, 0), s1 = pps_cost_of_stage(&c, 1);
    ck_assert_rel(s0.tf, 5 * mc.layer.tf + mc.embedding.tf);
    ck_assert_rel(s1.tf, 3 * mc.layer.tf + mc.lm_head.tf);
    ck_assert_rel(s1.tw, 3 * mc.layer.tw + mc.lm_head.tw);
    ck_assert_rel(s1.tb, s1.ti + s1.tw);
    /* LM head: 2·s·b·h·V FLOPs per pass, at 5e14 FLOP/s */
    ck_assert_rel(mc.lm_head.tf, 2.0 * 2048 * 2 * 1024 * 51200 / 5e14);
    /* its activation: final-norm and projection inputs 2·2·sbh, fp32 logits 4·s·b·V */
    ck_assert_rel(s1.act_bytes, 3 * mc.layer.act_bytes + 4.0 * 2048 * 2 * 1024 +
                                    4.0 * 2048 * 2 * 51200);
    ck_assert_rel(s0.send_bytes, 2.0 * 2048 * 2 * 1024);
    pps_cost_clear(&c);
    pps_partition_destroy(p);
}
END_TEST

START_TEST(static_memory_is_16_bytes_per_parameter_and_zero1_shards_12)
{
    pps_model m = gpt();
    pps_layout l = layout(2, 2, PPS_RECOMPUTE_NONE, 0);
    l.pp = 2;
    l.dp = 4;
    m.global_batch = 64;
    pps_model_costs mc = derive(&m, l);
    pps_partition *p = NULL;
    pps_error err = {0};
    ck_assert(pps_partition_create(8, 2, 2, PPS_PLACE_LOOP, &p, &err) == PPS_OK);
    double st[2], dp[2];
    pps_model_rank_static(&m, &l, &mc, p, st, dp);
    /* rank 1: 4 layers of 12h² + 13h, the final LayerNorm 2h and the tied head's copy V·h,
     * all but the norm split 2 ways (TP) */
    double h = 1024, layer = 12 * h * h + 13 * h;
    double params1 = 4 * layer / 2 + 2 * h + 51200 * h / 2;
    ck_assert_rel(st[1], 16 * params1);
    /* gradients 2 bytes each, ring all-reduce over 4 on the intra link (tp·dp = 8 ≤ 8) */
    ck_assert_rel(dp[1], 2 * 0.75 * 2 * params1 / 1e11 + 2 * 3 * 1e-5);
    l.zero1 = 1;
    pps_model_rank_static(&m, &l, &mc, p, st, dp);
    ck_assert_rel(st[1], (4 + 12.0 / 4) * params1);
    pps_partition_destroy(p);
}
END_TEST

START_TEST(a_layout_the_model_cannot_take_is_refused)
{
    pps_model m = gpt();
    pps_model_costs mc;
    pps_error err = {0};
    pps_layout l = layout(3, 2, PPS_RECOMPUTE_NONE, 0);
    ck_assert_int_eq(pps_model_derive(&m, &l, &mc, &err), PPS_EUNSUPPORTED);
    ck_assert_str_eq(err.msg, "tp = 3 does not divide heads = 16, kv_heads = 16 and "
                              "ffn_hidden = 4096");
    l = layout(1, 3, PPS_RECOMPUTE_NONE, 0);
    ck_assert_int_eq(pps_model_derive(&m, &l, &mc, &err), PPS_EUNSUPPORTED);
    ck_assert_str_eq(err.msg, "global batch 64 is not a multiple of dp · micro_batch = 3");
}
END_TEST

/* ------------------------------------------------------------------ the reader */

static void refused(const char *json, const char *want)
{
    pps_model m;
    pps_error err = {0};
    ck_assert_int_eq(pps_model_parse_json(json, strlen(json), "m.json", &m, &err), PPS_EINPUT);
    ck_assert_str_eq(err.msg, want);
}

START_TEST(model_file_errors_name_the_json_path)
{
    refused("{\"format\": \"ppsim-model\", \"version\": 1, \"model\": {\"layers\": 2}}",
            "m.json: $.model.hidden: missing required field");
    refused("{\"format\": \"ppsim-model\", \"version\": 2}",
            "m.json: $.version: 2 is out of range [1, 1]");
    refused("{\"format\": \"ppsim-costs\", \"version\": 1}",
            "m.json: $.format: expected \"ppsim-model\", got \"ppsim-costs\"");
    refused("{\"format\": \"ppsim-model\", \"version\": 1, \"model\": {\"layers\": 2, "
            "\"hidden\": 100, \"ffn_hidden\": 400, \"heads\": 3, \"seq_len\": 8, \"vocab\": 9}}",
            "m.json: $.model.heads: 3 does not divide hidden = 100");
    refused("{\"format\": \"ppsim-model\", \"version\": 1, \"model\": {\"layers\": 2, "
            "\"hidden\": 64, \"ffn_hidden\": 4, \"heads\": 4, \"seq_len\": 8, \"vocab\": 9, "
            "\"mlp\": \"relu\"}}",
            "m.json: $.model.mlp: expected one of \"gelu\", \"swiglu\", got \"relu\"");
}
END_TEST

START_TEST(committed_examples_read)
{
    pps_model m = load("../traces/models/gpt3-175b-like.json");
    ck_assert_int_eq(m.layers, 96);
    ck_assert_int_eq(m.hidden, 12288);
    ck_assert_int_eq(m.heads, 96);
    ck_assert_int_eq(m.seq_len, 2048);
    ck_assert_int_eq(m.gpus_per_node, 8);
    m = load("../traces/models/llama2-7b-like.json");
    ck_assert_int_eq(m.ffn_hidden, 11008);
    ck_assert_int_eq(m.gated_mlp, 1);
    ck_assert_int_eq(m.recompute, -1); /* left to the planner */
}
END_TEST


/* ------------------------------------------------------------------ stage balancing */

/* A GPT model shaped so that every time is a round number: s = h = 64, b = 1, tp = 1, and a
 * rate of sbh(24h + 4s) = 7 340 032 FLOP/s make a layer's t_F = 1 s and t_I + t_W = 2 s (Zero
 * Bubble Table 1: I + W = 2F); V = 24h + 4s = 1792 makes the LM head's t_F = 2sbhV / rate = 2 s
 * and its t_I = t_W = 2 s. The embedding costs nothing; links are free (1e30 B/s). */
static const char round_json[] =
    "{\"format\": \"ppsim-model\", \"version\": 1, \"name\": \"round\","
    " \"model\": {\"layers\": 8, \"hidden\": 64, \"ffn_hidden\": 256, \"heads\": 4,"
    "  \"seq_len\": 64, \"vocab\": 1792},"
    " \"cluster\": {\"peak_flops\": 7340032, \"efficiency\": 1, \"memory_bytes\": 1e12,"
    "  \"gpus_per_node\": 8, \"intra_node\": {\"latency\": 0, \"bandwidth\": 1e30},"
    "  \"inter_node\": {\"latency\": 0, \"bandwidth\": 1e30}},"
    " \"training\": {\"global_batch\": 4, \"micro_batch\": 1}}";

static pps_model round_model(void)
{
    pps_model m;
    pps_error err = {0};
    ck_assert_msg(pps_model_parse_json(round_json, strlen(round_json), "round.json", &m, &err) ==
                  PPS_OK, "%s", err.msg);
    return m;
}

START_TEST(round_model_times_are_round)
{
    pps_model m = round_model();
    pps_model_costs mc = derive(&m, layout(1, 1, PPS_RECOMPUTE_NONE, 0));
    ck_assert_rel(mc.layer.tf, 1);
    ck_assert_rel(mc.layer.ti + mc.layer.tw, 2);
    ck_assert_rel(mc.lm_head.tf, 2);
    ck_assert_rel(mc.lm_head.ti + mc.lm_head.tw, 4);
    ck_assert_double_eq(mc.embedding.tf + mc.embedding.ti + mc.embedding.tw, 0);
}
END_TEST

START_TEST(balancing_the_lm_head_stage_beats_the_even_split)
{
    /* GPipe, P = 4, M = 4, 8 layers. With identical micro-batches the forwards are a flow shop,
     * ending at Σf + (M−1)·max f; the backwards start there and end Σb + (M−1)·max b later;
     * here b = 2f on every stage, so the step is 3·(Σf + 3·max f).
     *   even split 2,2,2,2: f = 2,2,2,4 (the head adds 2): 3·(10 + 3·4) = 66 s
     *   best split x,y,z,1 with x+y+z = 7, max 3: f = ≤3,≤3,≤3,3: 3·(10 + 3·3) = 57 s */
    pps_model m = round_model();
    pps_layout l = layout(1, 1, PPS_RECOMPUTE_NONE, 0);
    l.pp = 4;
    const pps_generator *g = pps_generator_find("gpipe");
    pps_partition *p = NULL;
    pps_error err = {0};
    ck_assert(pps_partition_create(8, 4, 4, PPS_PLACE_LOOP, &p, &err) == PPS_OK);
    pps_plan_eval even, bal;
    ck_assert_msg(pps_plan_evaluate(&m, &l, g, p, &even, &err) == PPS_OK, "%s", err.msg);
    ck_assert_double_eq_tol(even.step_time, 66, 1e-9);
    ck_assert_msg(pps_balance(&m, &l, g, p, 0, 0, &bal, &err) == PPS_OK, "%s", err.msg);
    ck_assert_double_eq_tol(bal.step_time, 57, 1e-9);
    ck_assert_int_eq(p->layers[3], 1);
    ck_assert_int_eq(p->layers[0] + p->layers[1] + p->layers[2], 7);
    for (int s = 0; s < 3; s++)
        ck_assert_int_le(p->layers[s], 3);
    pps_plan_eval_clear(&even);
    pps_plan_eval_clear(&bal);

    /* 1F1B on the same model: balancing helps too, and cannot beat the busiest rank's work,
     * M·(f + b) = 4·9 = 36 s on the LM-head stage of the best split, plus the first forward's
     * way there (at least 3 of the 7 layers before it) and its own backward drain. */
    g = pps_generator_find("1f1b");
    pps_partition_destroy(p);
    ck_assert(pps_partition_create(8, 4, 4, PPS_PLACE_LOOP, &p, &err) == PPS_OK);
    ck_assert(pps_plan_evaluate(&m, &l, g, p, &even, &err) == PPS_OK);
    ck_assert(pps_balance(&m, &l, g, p, 0, 0, &bal, &err) == PPS_OK);
    ck_assert_msg(bal.step_time < even.step_time - 1, "balanced %g, even %g", bal.step_time,
                  even.step_time);
    ck_assert_double_ge(bal.step_time, 36 + 3);
    pps_plan_eval_clear(&even);
    pps_plan_eval_clear(&bal);
    pps_partition_destroy(p);
}
END_TEST

START_TEST(local_search_reaches_the_exhaustive_optimum)
{
    /* 16 layers on 4 stages: C(15, 3) = 455 partitions. Simulating them all (budget 500) and
     * the local search from the proxy (budget 32) must agree. */
    pps_model m = round_model();
    m.layers = 16;
    m.global_batch = 8;
    pps_layout l = layout(1, 1, PPS_RECOMPUTE_NONE, 0);
    l.pp = 4;
    const char *names[] = {"1f1b", "gpipe"};
    for (int i = 0; i < 2; i++) {
        const pps_generator *g = pps_generator_find(names[i]);
        pps_partition *a = NULL, *b = NULL;
        pps_error err = {0};
        pps_plan_eval ea, eb;
        ck_assert(pps_partition_create(16, 4, 4, PPS_PLACE_LOOP, &a, &err) == PPS_OK);
        ck_assert(pps_partition_create(16, 4, 4, PPS_PLACE_LOOP, &b, &err) == PPS_OK);
        ck_assert(pps_balance(&m, &l, g, a, 0, 500, &ea, &err) == PPS_OK);
        ck_assert(pps_balance(&m, &l, g, b, 0, 32, &eb, &err) == PPS_OK);
        ck_assert_msg(fabs(ea.step_time - eb.step_time) < 1e-9, "%s: exhaustive %g, local %g",
                      names[i], ea.step_time, eb.step_time);
        pps_plan_eval_clear(&ea);
        pps_plan_eval_clear(&eb);
        pps_partition_destroy(a);
        pps_partition_destroy(b);
    }
}
END_TEST

/* ------------------------------------------------------------------ the planner */

/* A small GPT on 4 GPUs of one node, global batch 8: few enough configurations to check every
 * one of them, with every partition of its 6 layers. */
static const char small_json[] =
    "{\"format\": \"ppsim-model\", \"version\": 1, \"name\": \"small\","
    " \"model\": {\"layers\": 6, \"hidden\": 256, \"ffn_hidden\": 1024, \"heads\": 8,"
    "  \"seq_len\": 512, \"vocab\": 8000},"
    " \"cluster\": {\"peak_flops\": 1e14, \"efficiency\": 0.5, \"memory_bytes\": 80e9,"
    "  \"gpus_per_node\": 4, \"intra_node\": {\"latency\": 5e-6, \"bandwidth\": 2e9},"
    "  \"inter_node\": {\"latency\": 1e-5, \"bandwidth\": 1e10}},"
    " \"training\": {\"global_batch\": 8, \"sequence_parallel\": true}}";

/* Every composition of m->layers into p's stages; the fastest within the limit, over all. */
static void every_partition(const pps_model *m, const pps_layout *l, const pps_generator *g,
                            pps_partition *p, int s, int left, double limit, double *best,
                            int *over)
{
    if (s == p->stages - 1) {
        p->layers[s] = left;
        pps_plan_eval e;
        pps_error err = {0};
        ck_assert_msg(pps_plan_evaluate(m, l, g, p, &e, &err) == PPS_OK, "%s", err.msg);
        if (e.peak_bytes <= limit && e.step_time < *best)
            *best = e.step_time;
        *over += e.peak_bytes > limit;
        pps_plan_eval_clear(&e);
        return;
    }
    for (int n = 1; n <= left - (p->stages - 1 - s); n++) {
        p->layers[s] = n;
        every_partition(m, l, g, p, s + 1, left - n, limit, best, over);
    }
}

START_TEST(first_pick_is_not_beaten_by_any_configuration_of_a_small_grid)
{
    pps_model m;
    pps_error err = {0};
    ck_assert(pps_model_parse_json(small_json, strlen(small_json), "small.json", &m, &err) ==
              PPS_OK);
    const char *names[] = {"gpipe", "1f1b", "interleaved-1f1b", "looped-bfs"};
    const pps_generator *gens[4];
    for (int i = 0; i < 4; i++)
        gens[i] = pps_generator_find(names[i]);
    int chunks[] = {2}, mbs[] = {1, 2};
    /* A limit that keeps out the fastest configurations: no recomputation and several
     * micro-batches in flight do not fit. */
    double limit = 160e6;
    pps_plan_options o = {.gpus = 4, .memory_limit = limit, .top = 3, .threads = 2,
                          .gens = gens, .ngens = 4, .chunks = chunks, .nchunks = 1,
                          .micro_batch = mbs, .nmicro_batch = 2, .sequence_parallel = -1};
    pps_plan_result r;
    ck_assert_msg(pps_plan(&m, &o, &r, &err) == PPS_OK, "%s", err.msg);
    ck_assert_uint_ge(r.nbest, 1);
    ck_assert_uint_gt(r.rejected[PPS_REJECT_MEMORY], 0);

    /* The same grid by brute force through the public building blocks. */
    double best = INFINITY, unlimited = INFINITY;
    int over = 0, tried = 0;
    for (int tp = 1; tp <= 4; tp *= 2)
        for (int pp = 1; pp * tp <= 4; pp *= 2)
            for (int gi = 0; gi < 4; gi++)
                for (int bi = 0; bi < 2; bi++)
                    for (int rc = 0; rc < PPS_RECOMPUTE_COUNT; rc++) {
                        const pps_generator *g = gens[gi];
                        pps_layout l = {.pp = pp, .tp = tp, .dp = 4 / pp / tp,
                                        .chunks = g->default_chunks > 1 ? 2 : 1,
                                        .micro_batch = mbs[bi], .recompute = (pps_recompute)rc,
                                        .sequence_parallel = 1};
                        pps_model_costs mc;
                        if (pps_model_derive(&m, &l, &mc, &err) != PPS_OK)
                            continue; /* more stages than layers, batch not divisible */
                        pps_partition *p = NULL;
                        if (pps_partition_create(6, pp * l.chunks, pp, g->placement, &p, &err))
                            continue;
                        pps_plan_eval e;
                        pps_status st = pps_plan_evaluate(&m, &l, g, p, &e, &err);
                        pps_plan_eval_clear(&e);
                        if (st == PPS_OK) { /* the schedule takes it */
                            tried++;
                            every_partition(&m, &l, g, p, 0, 6, limit, &best, &over);
                            every_partition(&m, &l, g, p, 0, 6, INFINITY, &unlimited, &over);
                        }
                        pps_partition_destroy(p);
                    }
    ck_assert_int_gt(tried, 20);
    ck_assert_int_gt(over, 0);
    ck_assert_msg(unlimited < best, "the limit keeps nothing out: %g", unlimited);
    ck_assert_msg(r.best[0].eval.step_time <= best * (1 + 1e-12),
                  "plan's pick %.9g s, brute force %.9g s", r.best[0].eval.step_time, best);
    ck_assert_double_le(r.best[0].eval.peak_bytes, limit);
    for (size_t i = 1; i < r.nbest; i++)
        ck_assert_double_ge(r.best[i].eval.step_time, r.best[i - 1].eval.step_time);
    pps_plan_result_clear(&r);
}
END_TEST

START_TEST(program_order_peaks_equal_the_simulated_peaks)
{
    /* The planner skips simulating configurations whose memory is over the limit by reading
     * peaks off the programs; the event core and the analysis must agree, for every schedule,
     * with uneven stages and a split backward (act_w > 0). */
    pps_model m = round_model();
    m.layers = 12;
    int checked = 0;
    for (size_t gi = 0; gi < pps_generator_count(); gi++) {
        const pps_generator *g = pps_generator_at(gi);
        for (int P = 2; P <= 4; P++)
            for (int M = 1; M <= 8; M += 3) {
                pps_layout l = layout(1, 1, PPS_RECOMPUTE_SELECTIVE, 0);
                l.pp = P;
                l.chunks = g->default_chunks;
                m.global_batch = M;
                ppsp_eval ev;
                pps_error err = {0};
                if (ppsp_eval_init(&ev, &m, &l, g, &err) != PPS_OK)
                    continue; /* the schedule refuses (P, v, M) */
                pps_partition *p = NULL;
                ck_assert(pps_partition_create(12, P * l.chunks, P, g->placement, &p, &err) ==
                          PPS_OK);
                for (int s = 0; s < p->stages; s++) /* uneven: 1, 2, 1, 2, ... then the rest */
                    p->layers[s] = 1 + s % 2;
                int used = 0;
                for (int s = 0; s < p->stages; s++)
                    used += p->layers[s];
                p->layers[p->stages - 1] += 12 - used;
                double peaks[4];
                pps_plan_eval e;
                ck_assert_msg(ppsp_eval_peaks(&ev, p, peaks, &err) == PPS_OK, "%s", err.msg);
                ck_assert_msg(ppsp_eval_run(&ev, p, &e, &err) == PPS_OK, "%s", err.msg);
                for (int r = 0; r < P; r++)
                    ck_assert_msg(fabs(peaks[r] - e.rank_act[r]) <= 1e-9 * e.rank_act[r],
                                  "%s P=%d M=%d rank %d: program %.17g, simulated %.17g",
                                  g->name, P, M, r, peaks[r], e.rank_act[r]);
                checked++;
                pps_plan_eval_clear(&e);
                pps_partition_destroy(p);
                ppsp_eval_clear(&ev);
            }
    }
    ck_assert_int_ge(checked, 30);
}
END_TEST

START_TEST(calibrated_times_replace_the_efficiency)
{
    /* A profile of stages of 2 GPT layers (the gpt model: s = 2048, b = 2, h = 1024), measured
     * at a quarter of the 1e15 FLOP/s peak for F and I and at half of it for W, with a measured
     * intra-node link. The planner then times every layer at those rates. */
    double s = 2048, b = 2, h = 1024, sbh = s * b * h;
    double tf = 2 * sbh * (24 * h + 4 * s) / 2.5e14, ti = 2 * sbh * (24 * h + 8 * s) / 2.5e14;
    double tw = 2 * sbh * 24 * h / 5e14;
    char dir[] = "/tmp/ppsim-calib.XXXXXX";
    ck_assert(mkdtemp(dir) != NULL);
    char path[128], model[128];
    snprintf(path, sizeof path, "%s/cal.json", dir);
    snprintf(model, sizeof model, "%s/m.json", dir);
    FILE *fp = fopen(path, "w");
    ck_assert(fp != NULL);
    fprintf(fp, "{\"format\": \"ppsim-costs\", \"version\": 1, \"stages\": ["
                "{\"tf\": %.17g, \"ti\": %.17g, \"tw\": %.17g}, {\"tf\": %.17g, \"ti\": %.17g, "
                "\"tw\": %.17g}, {\"tf\": 99, \"ti\": 99, \"tw\": 99}], \"links\": {\"intra\": "
                "{\"latency\": 3e-6, \"bandwidth\": 2e11}}}", tf, ti, tw, tf, ti, tw);
    fclose(fp);
    fp = fopen(model, "w");
    ck_assert(fp != NULL);
    /* gpt_json with "efficiency" replaced by a calibration naming the file by its bare name */
    char text[2048];
    snprintf(text, sizeof text, "%s", gpt_json);
    char *e = strstr(text, "\"efficiency\": 0.5");
    ck_assert(e != NULL);
    char tail[2048];
    snprintf(tail, sizeof tail, "%s", e + strlen("\"efficiency\": 0.5"));
    snprintf(e, sizeof text - (size_t)(e - text),
             "\"calibration\": {\"costs\": \"cal.json\", \"layers\": 2, \"micro_batch\": 2}%s",
             tail);
    fputs(text, fp);
    fclose(fp);
    pps_model m = load(model);
    remove(path);
    remove(model);
    rmdir(dir);
    ck_assert_int_eq(m.calibrated, 1);
    /* the median of the three stages is the measured one, not the outlier 99 s */
    pps_model_costs x = derive(&m, layout(1, 2, PPS_RECOMPUTE_NONE, 0));
    ck_assert_rel(x.layer.tf, tf / 2);
    ck_assert_rel(x.layer.ti, ti / 2);
    ck_assert_rel(x.layer.tw, tw / 2);
    ck_assert_double_eq(m.intra.bandwidth, 2e11);
    ck_assert_double_eq(m.inter.bandwidth, 1e10); /* not in the file: nominal */
}
END_TEST

START_TEST(balancing_the_v_placement_moves_layers_off_rank_0)
{
    /* zb-v, P = 2: rank 0 holds stages 0 and 3, so both the embedding and the LM head. On the
     * round model (a layer's t_F + t_B = 3 s, the head's 6 s), 8 layers, M = 4:
     *   even split 2,2,2,2: rank 0 works 4·(2·3 + 2·3 + 6) = 72 s, rank 1 4·12 = 48 s, so no
     *   schedule of it beats 72 s;
     *   best: rank 0 three layers (4·(9 + 6) = 60 s), rank 1 five (4·15 = 60 s). */
    pps_model m = round_model();
    pps_layout l = layout(1, 1, PPS_RECOMPUTE_NONE, 0);
    l.pp = 2;
    l.chunks = 2;
    const pps_generator *g = pps_generator_find("zb-v");
    ck_assert(g != NULL && g->placement == PPS_PLACE_V);
    pps_partition *p = NULL;
    pps_error err = {0};
    ck_assert(pps_partition_create(8, 4, 2, PPS_PLACE_V, &p, &err) == PPS_OK);
    ck_assert_int_eq(p->stage_rank[3], 0);
    pps_plan_eval even, bal;
    ck_assert_msg(pps_plan_evaluate(&m, &l, g, p, &even, &err) == PPS_OK, "%s", err.msg);
    ck_assert_double_ge(even.step_time, 72 - 1e-9);
    ck_assert_msg(pps_balance(&m, &l, g, p, 0, 0, &bal, &err) == PPS_OK, "%s", err.msg);
    ck_assert_msg(bal.step_time < 72 - 1, "balanced %g s", bal.step_time);
    ck_assert_double_ge(bal.step_time, 60 - 1e-9);
    ck_assert_int_eq(p->layers[0] + p->layers[3], 3);
    pps_plan_eval_clear(&even);
    pps_plan_eval_clear(&bal);
    pps_partition_destroy(p);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("plan");
    TCase *tc = tcase_create("derive");
    tcase_add_test(tc, gpt_layer_flops_are_zero_bubble_table_1);
    tcase_add_test(tc, tp_splits_flops_and_adds_two_all_reduces_each_way);
    tcase_add_test(tc, recomputation_lengthens_the_input_gradient_pass);
    tcase_add_test(tc, gpt_layer_activation_is_korthikanti_table_2);
    tcase_add_test(tc, gpt_layer_weight_pass_keeps_32sbh);
    tcase_add_test(tc, llama_7b_like_layer_by_hand);
    tcase_add_test(tc, gpt3_175b_like_has_175_billion_parameters);
    tcase_add_test(tc, stage_costs_put_embedding_first_and_lm_head_last);
    tcase_add_test(tc, static_memory_is_16_bytes_per_parameter_and_zero1_shards_12);
    tcase_add_test(tc, a_layout_the_model_cannot_take_is_refused);
    suite_add_tcase(s, tc);
    tc = tcase_create("balance");
    tcase_add_test(tc, round_model_times_are_round);
    tcase_add_test(tc, balancing_the_lm_head_stage_beats_the_even_split);
    tcase_add_test(tc, local_search_reaches_the_exhaustive_optimum);
    tcase_add_test(tc, balancing_the_v_placement_moves_layers_off_rank_0);
    suite_add_tcase(s, tc);
    tc = tcase_create("planner");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, first_pick_is_not_beaten_by_any_configuration_of_a_small_grid);
    tcase_add_test(tc, program_order_peaks_equal_the_simulated_peaks);
    suite_add_tcase(s, tc);
    tc = tcase_create("reader");
    tcase_add_test(tc, model_file_errors_name_the_json_path);
    tcase_add_test(tc, committed_examples_read);
    tcase_add_test(tc, calibrated_times_replace_the_efficiency);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(suite());
}
