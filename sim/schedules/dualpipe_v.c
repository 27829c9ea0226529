/* dualpipe_v.c — DualPipeV (DeepSeek, deepseek-ai/DualPipe, dualpipe/dualpipev.py): two stages per
 * rank on the V placement; in the steady state a forward of one stage and a full backward of the
 * other run as one overlapped action, (F;B)OVERLAP_F_B, whose duration the cost model sets
 * (tfb, docs/cost-model.md). The same order, cell for cell, as PyTorch 2.15's ScheduleDualPipeV. */
#include "schedules.h"

#include <math.h>
#include <stdlib.h>

static pps_status dualpipe_v_check(const pps_gen_params *p, pps_error *err)
{
    if (p->chunks != 2)
        return pps_error_set(err, PPS_EUNSUPPORTED,
                             "dualpipe-v: chunks must be 2 (got %d): the V placement gives rank r "
                             "stages r and 2P-1-r",
                             p->chunks);
    if (p->microbatches < 2 * p->ranks)
        return pps_error_set(err, PPS_EUNSUPPORTED,
                             "dualpipe-v: M=%d is below 2P=%d: its phases need at least as many "
                             "micro-batches as stages (M - 2P + r + 1 steady pairs on rank r)",
                             p->microbatches, 2 * p->ranks);
    return PPS_OK;
}

/* One rank's state while its program is written: next micro-batch per stage for F and for the
 * backward (B or I share one counter), and the I's whose W is still due, oldest first. */
typedef struct dpv_rank {
    pps_schedule *s;
    int r;
    int nf[2], nb[2]; /* [chunk]: chunk 0 is stage r, chunk 1 stage 2P−1−r */
    int stage[2];
    int32_t *wq;      /* (chunk, mb) pairs of pending W's, a FIFO */
    size_t whead, wtail;
} dpv_rank;

static void fwd(dpv_rank *k, int c)
{
    pps_gen_put(k->s, k->r, PPS_F, k->stage[c], k->nf[c]++);
}

/* A backward of chunk c: a full B, or an I whose W joins the queue. */
static void bwd(dpv_rank *k, int c, int split)
{
    int m = k->nb[c]++;
    pps_gen_put(k->s, k->r, split ? PPS_I : PPS_B, k->stage[c], m);
    if (split) {
        k->wq[2 * k->wtail] = c;
        k->wq[2 * k->wtail + 1] = m;
        k->wtail++;
    }
}

/* The W of the oldest pending I, if any (DualPipe's WeightGradStore). */
static void weight(dpv_rank *k)
{
    if (k->whead == k->wtail)
        return;
    int c = k->wq[2 * k->whead], m = k->wq[2 * k->whead + 1];
    k->whead++;
    pps_gen_put(k->s, k->r, PPS_W, k->stage[c], m);
}

/* Forward of chunk cf overlapped with the full backward of chunk cb. */
static void overlap(dpv_rank *k, int cf, int cb)
{
    pps_gen_put_overlap(k->s, k->r, k->stage[cf], k->nf[cf]++, PPS_B, k->stage[cb],
                        k->nb[cb]++);
}

/* Rank r, chunks 0 (stage r) and 1 (stage 2P−1−r), in DualPipeV's eight phases:
 * 1. 2(P−1−r) forwards of chunk 0;
 * 2. r+1 pairs F(0), F(1);
 * 3. P−1−r triples I(1), W, F(1) (zero-bubble backwards fill the gap before the steady state);
 * 4. M−2P+r+1 steady pairs (F(0);B(1)) and (F(1);B(0)), overlapped, except that the last rank
 *    runs its first F(0) and B(1) apart;
 * 5. P−1−r pairs B(1), (F(1);B(0));
 * 6. r+1 pairs of backwards of chunks 1 and 0, switching from B to I in the middle pair
 *    (i = (r+1)/2: before chunk 1's half for odd r, between the halves for even r);
 * 7. P−1−r pairs W, backward of chunk 0 (I from then on);
 * 8. r+1 W's. */
static void rank_order(dpv_rank *k, int P, int M)
{
    const int r = k->r;
    for (int i = 0; i < 2 * (P - 1 - r); i++)
        fwd(k, 0);
    for (int i = 0; i < r + 1; i++) {
        fwd(k, 0);
        fwd(k, 1);
    }
    for (int i = 0; i < P - 1 - r; i++) {
        bwd(k, 1, 1);
        weight(k);
        fwd(k, 1);
    }
    for (int i = 0; i < M - 2 * P + r + 1; i++) {
        if (i == 0 && r == P - 1) {
            fwd(k, 0);
            bwd(k, 1, 0);
        } else {
            overlap(k, 0, 1);
        }
        overlap(k, 1, 0);
    }
    for (int i = 0; i < P - 1 - r; i++) {
        bwd(k, 1, 0);
        overlap(k, 1, 0);
    }
    int split = 0;
    for (int i = 0; i < r + 1; i++) {
        if (i == (r + 1) / 2 && r % 2 == 1)
            split = 1;
        bwd(k, 1, split);
        if (i == (r + 1) / 2 && r % 2 == 0)
            split = 1;
        bwd(k, 0, split);
    }
    for (int i = 0; i < P - 1 - r; i++) {
        weight(k);
        bwd(k, 0, split);
    }
    for (int i = 0; i < r + 1; i++)
        weight(k);
}

static pps_status dualpipe_v_generate(const pps_gen_params *p, pps_schedule *s, pps_error *err)
{
    const int P = p->ranks, M = p->microbatches;
    /* At most 6M actions per rank (every F, B/I and W apart); at most 2M I's queue their W. */
    pps_status st = pps_gen_reserve(s, 6 * (size_t)M, err);
    if (st != PPS_OK)
        return st;
    dpv_rank k = {.s = s, .wq = malloc(4 * (size_t)M * sizeof *k.wq)};
    if (!k.wq)
        return pps_error_set(err, PPS_ENOMEM, "dualpipe-v: out of memory");
    for (int r = 0; r < P; r++) {
        k.r = r;
        k.stage[0] = r;
        k.stage[1] = 2 * P - 1 - r;
        k.nf[0] = k.nf[1] = k.nb[0] = k.nb[1] = 0;
        k.whead = k.wtail = 0;
        rank_order(&k, P, M);
    }
    free(k.wq);
    return PPS_OK;
}

/* The DualPipe README (deepseek-ai/DualPipe): bubble (PP/2 − 1)(t_F&B + t_B − 3t_W), PP = 2P
 * stages, per-stage times, t_B a full backward. Under ppsim's semantics it is exact only where
 * the pair costs the sum of its halves (tfb unset or t_F + t_B), t_F = t_I and t_W ≤ t_F, with
 * free communication (tested on random costs). Elsewhere the simulated bubble differs either
 * way (t_F = t_I = t_W = 1 per stage and tfb = 2, P = 3: 1 simulated against the formula's 2),
 * so only there is it given. */
static double dualpipe_v_bubble(const pps_gen_params *p)
{
    pps_stage_cost c;
    double a;
    if (!pps_gen_uniform_costs(p, &c, &a) || a > 0)
        return NAN;
    double fb = isnan(c.tfb) ? c.tf + c.tb : c.tfb;
    if (fb != c.tf + c.tb || c.tf != c.ti || c.tw > c.tf)
        return NAN;
    return (p->ranks - 1.0) * (fb + c.tb - 3 * c.tw);
}

/* The DualPipe README: PP + 1 activations per device, here 2P + 1 chunk activations of M_B/2.
 * Every rank holds 2P forwards when its steady state begins, and an overlapped pair holds its
 * forward's activation from its start while it releases its backward's only at its end
 * (docs/cost-model.md), so each pair peaks at 2P + 1; the I's before it are followed by their
 * W at once, so M_W never adds. Any accepted M (≥ 2P). */
static double dualpipe_v_peak(const pps_gen_params *p, int rank)
{
    (void)rank;
    return pps_gen_activations(p, 2.0 * p->ranks + 1);
}

const pps_generator pps_schedule_dualpipe_v = {
    .name = "dualpipe-v",
    .aliases = "DualPipeV,ScheduleDualPipeV",
    .summary = "V placement, overlapped F&B pairs in the steady state (DeepSeek DualPipeV; "
               "PyTorch ScheduleDualPipeV); M >= 2P",
    .placement = PPS_PLACE_V,
    .default_chunks = 2,
    .check = dualpipe_v_check,
    .generate = dualpipe_v_generate,
    .analytic_bubble = dualpipe_v_bubble,
    .analytic_peak = dualpipe_v_peak,
};
