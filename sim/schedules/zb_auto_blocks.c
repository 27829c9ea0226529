/* zb_auto_blocks.c — seeds for zb-auto: orders built from a fixed repeating pattern. On the V
 * placement, the building blocks of Qi et al., "Pipeline Parallelism with Controllable Memory"
 * (arXiv 2405.15362), whose lifespans set the memory (V-Half, V-Min and their neighbours); on one
 * stage per rank, the ZB-H1/ZB-H2 family. */
#include "zb_auto.h"

#include <stdlib.h>
#include <string.h>

void zba_offset_orders(const zba_problem *pb, int ka, int kb, int b_global, zba_orders *o)
{
    const int P = pb->P, M = pb->M;
    for (int r = 0; r < P; r++) {
        int a = ka * (P - 1 - r);
        int b = b_global ? kb * (P - 1) : kb * (P - 1 - r);
        if (b < a)
            b = a;
        zba_op *row = zba_row(o, r);
        size_t n = 0;
        for (int t = 0; t < M + b; t++) {
            if (t < M)
                row[n++] = (zba_op){.stage = r, .mb = t, .kind = PPS_F};
            if (t - a >= 0 && t - a < M)
                row[n++] = (zba_op){.stage = r, .mb = t - a, .kind = PPS_I};
            if (t - b >= 0 && t - b < M)
                row[n++] = (zba_op){.stage = r, .mb = t - b, .kind = PPS_W};
        }
        o->n[r] = n;
    }
}

/* Slot times of micro-batch 0 on rank r for block b: F of chunk 0 and 1, I of chunk 1 and 0.
 * Neighbouring ranks are offset by k (the chunk-0 forward and chunk-1 backward, which go up the
 * ranks) or 1 (the others, which come down); g1, g2, g3 are the turns of the V at rank P-1
 * (F0 to F1), rank 0 (F1 to I1) and rank P-1 (I1 to I0). */
static void block_slots(const zba_problem *pb, const zba_block *b, int r, long t[4])
{
    const long P = pb->P, k = b->k;
    long f1_last = k * (P - 1) + b->g1;          /* F1 on rank P-1 */
    long i1_first = f1_last + (P - 1) + b->g2;   /* I1 on rank 0 */
    long i0_last = i1_first + k * (P - 1) + b->g3; /* I0 on rank P-1 */
    t[0] = k * r;
    t[1] = f1_last + (P - 1 - r);
    t[2] = i1_first + k * r;
    t[3] = i0_last + (P - 1 - r);
}

#define PERIOD 6 /* six actions per micro-batch and rank: F, I, W on each of two stages */

int zba_block_orders(const zba_problem *pb, const zba_block *b, zba_orders *o)
{
    const int P = pb->P, M = pb->M;
    if (!pb->vshape)
        return 0;
    /* the stages of the I that still wait for their W, oldest first */
    int32_t *pend = malloc(2 * (size_t)M * sizeof *pend);
    if (!pend)
        return 0;
    int ok = 1;
    for (int r = 0; r < P && ok; r++) {
        long t[4];
        block_slots(pb, b, r, t);
        int used[PERIOD] = {0};
        for (int i = 0; i < 4; i++)
            ok &= !used[t[i] % PERIOD]++; /* else two actions of this rank share a slot */
        if (!ok)
            break;
        /* The two free residues hold W; each W slot takes the oldest I still without its W. */
        long w[2] = {0, 0};
        int nw = 0;
        for (int res = 0; res < PERIOD; res++)
            if (!used[res])
                w[nw++] = res;
        const int s0 = r, s1 = 2 * P - 1 - r;
        const int stage[4] = {s0, s1, s1, s0}, kind[4] = {PPS_F, PPS_F, PPS_I, PPS_I};
        /* the first W slot of each residue after the rank's first I */
        long first_i = t[2] < t[3] ? t[2] : t[3];
        for (int i = 0; i < 2; i++)
            w[i] = first_i + 1 + ((w[i] - (first_i + 1) % PERIOD) + PERIOD) % PERIOD;
        long end = (t[3] > t[2] ? t[3] : t[2]) + (long)PERIOD * (M + 2);
        zba_op *row = zba_row(o, r);
        size_t n = 0, pending_head = 0, pending_n = 0;
        int next_w[2] = {0, 0}; /* W per stage, in micro-batch order */
        for (long time = 0; time < end && n < o->per_rank; time++) {
            int placed = 0;
            for (int i = 0; i < 4 && !placed; i++) {
                long d = time - t[i];
                if (d >= 0 && d % PERIOD == 0 && d / PERIOD < M) {
                    row[n++] = (zba_op){.stage = stage[i], .mb = (int32_t)(d / PERIOD),
                                        .kind = kind[i]};
                    if (kind[i] == PPS_I)
                        pend[pending_n++] = stage[i];
                    placed = 1;
                }
            }
            for (int i = 0; i < 2 && !placed; i++)
                if (time >= w[i] && (time - w[i]) % PERIOD == 0 && pending_head < pending_n) {
                    int s = pend[pending_head++];
                    int c = s == s0 ? 0 : 1;
                    row[n++] = (zba_op){.stage = s, .mb = next_w[c]++, .kind = PPS_W};
                    placed = 1;
                }
        }
        while (pending_head < pending_n) { /* leftover W at the end */
            int s = pend[pending_head++];
            int c = s == s0 ? 0 : 1;
            row[n++] = (zba_op){.stage = s, .mb = next_w[c]++, .kind = PPS_W};
        }
        o->n[r] = n;
    }
    free(pend);
    return ok;
}

size_t zba_blocks(const zba_problem *pb, zba_block *out, size_t cap)
{
    size_t n = 0;
    for (int k = 1; k <= 5; k++)
        for (int g1 = 1; g1 <= PERIOD; g1++)
            for (int g2 = 1; g2 <= PERIOD; g2++)
                for (int g3 = 1; g3 <= PERIOD; g3++) {
                    zba_block b = {k, g1, g2, g3};
                    int ok = 1;
                    for (int r = 0; r < pb->P && ok; r++) {
                        long t[4];
                        block_slots(pb, &b, r, t);
                        int used[PERIOD] = {0};
                        for (int i = 0; i < 4; i++)
                            ok &= !used[t[i] % PERIOD]++;
                    }
                    if (ok && n < cap)
                        out[n++] = b;
                }
    return n;
}
