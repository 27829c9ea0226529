/* zb_slots.c — the slot ordering that ZB-H1 and ZB-H2 share (Qi et al., ICLR 2024, §2): 1F1B
 * with the backward split into I and W, and W held back by a fixed lag. */
#include "schedules.h"

#include <math.h>

/* Stage r (rank r, one stage per rank), slot x = 0, 1, ...: F(x), then I(x − k·(P−1−r)), then
 * W(x − k·(P−1)), each only when its micro-batch is in [0, M). k = 1 is ZB-H1, k = 2 ZB-H2.
 *
 * Why this order works: I(m) on stage r needs I(m) on stage r+1, which that stage emits k slots
 * earlier, and F(m) on stage r+1 needs F(m) on stage r, emitted in the same slot; so no wait
 * forms a cycle, whatever M. The W lag is the same on every stage (k·(P−1) slots after F), so
 * every stage holds the same number of micro-batches between F and W: stage r holds
 * k·(P−1−r) + 1 whole activations (between F and I) and k·r partial ones (between I and W). */
pps_status pps_gen_zb_slots(const pps_gen_params *p, int k, pps_schedule *s, pps_error *err)
{
    const int P = p->ranks, M = p->microbatches;
    pps_status st = pps_gen_reserve(s, 3 * (size_t)M, err);
    if (st != PPS_OK)
        return st;
    /* The lags are below 2·PPS_MAX_RANKS and x below M + 2·PPS_MAX_RANKS: no overflow. */
    const int wlag = k * (P - 1);
    for (int r = 0; r < P; r++) {
        const int ilag = k * (P - 1 - r);
        for (int x = 0; x < M + wlag; x++) {
            if (x < M)
                pps_gen_put(s, r, PPS_F, r, x);
            if (x - ilag >= 0 && x - ilag < M)
                pps_gen_put(s, r, PPS_I, r, x - ilag);
            if (x - wlag >= 0)
                pps_gen_put(s, r, PPS_W, r, x - wlag);
        }
    }
    return PPS_OK;
}

/* Memory follows the order alone (a rank's actions run one after another): after F(x) stage r
 * holds the micro-batches forwarded but not yet through I whole, and those through I but not W
 * in part. Both counts only grow with x, so the peak comes after the last forward, x = M − 1:
 * whole = min(M, k(P−1−r) + 1), partial = I's done − W's done before that slot. With
 * M ≥ k(P−1) + 1 this is the paper's (kP − kr − k + 1)·M_B + kr·M_W; for smaller M it is the
 * same count cut short, derived here from the ordering. */
double pps_gen_zb_slots_peak(const pps_gen_params *p, int k, int rank)
{
    pps_stage_cost c;
    double comm;
    if (!pps_gen_uniform_costs(p, &c, &comm))
        return NAN;
    const long P = p->ranks, M = p->microbatches, r = rank;
    long ilag = k * (P - 1 - r), wlag = k * (P - 1);
    long whole = M < ilag + 1 ? M : ilag + 1;
    long idone = M - 1 - ilag > 0 ? M - 1 - ilag : 0;
    long wdone = M - 1 - wlag > 0 ? M - 1 - wlag : 0;
    return (double)whole * c.act_bytes + (double)(idone - wdone) * c.act_w_bytes;
}
