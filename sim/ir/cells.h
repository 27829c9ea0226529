/* cells.h — internal: the per (stage, micro-batch) record of which actions were seen, shared by
 * schedule validation (validate.c, in program order) and timeline checks (timeline.c, in time). */
#ifndef PPS_CELLS_H
#define PPS_CELLS_H

#include "ppsim.h"

#include <stdio.h>

/* One bit per kind that runs at most once per stage and micro-batch. */
enum {
    PPSI_SEEN_F = 1, PPSI_SEEN_B = 2, PPSI_SEEN_I = 4, PPSI_SEEN_W = 8,
    PPSI_SEEN_SEND_F = 16, PPSI_SEEN_RECV_F = 32, PPSI_SEEN_SEND_B = 64, PPSI_SEEN_RECV_B = 128
};

/* The bit of kind k, or 0 for kinds that are not recorded per cell (IDLE, OVERLAP_F_B, whose
 * halves are recorded instead, UNSHARD, RESHARD, REDUCE_GRAD). */
static inline unsigned ppsi_cell_bit(pps_kind k)
{
    switch (k) {
    case PPS_F: return PPSI_SEEN_F;
    case PPS_B: return PPSI_SEEN_B;
    case PPS_I: return PPSI_SEEN_I;
    case PPS_W: return PPSI_SEEN_W;
    case PPS_SEND_F: return PPSI_SEEN_SEND_F;
    case PPS_RECV_F: return PPSI_SEEN_RECV_F;
    case PPS_SEND_B: return PPSI_SEEN_SEND_B;
    case PPS_RECV_B: return PPSI_SEEN_RECV_B;
    default: return 0;
    }
}

/* Why a cell holding `seen` cannot take kind k as well, or NULL: k seen already, or a B beside
 * an I or W. buf (at least 64 bytes) holds the text. */
static inline const char *ppsi_cell_conflict(unsigned seen, pps_kind k, char *buf, size_t size)
{
    unsigned bit = ppsi_cell_bit(k);
    if (seen & bit)
        snprintf(buf, size, "duplicate %s for this stage and micro-batch", pps_kind_name(k));
    else if ((k == PPS_B && (seen & (PPSI_SEEN_I | PPSI_SEEN_W))) ||
             ((k == PPS_I || k == PPS_W) && (seen & PPSI_SEEN_B)))
        snprintf(buf, size, "B and I/W both given for this stage and micro-batch");
    else
        return NULL;
    return buf;
}

#endif /* PPS_CELLS_H */
