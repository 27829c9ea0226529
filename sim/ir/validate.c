/* validate.c — the schedule rules of docs/ir.md, with errors naming rank, position and action. */
#include "core/graph.h"
#include "ir/cells.h"
#include "ir/validate.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static pps_status at(pps_error *err, int rank, size_t pos, const pps_action *a, const char *fmt,
                     const char *detail)
{
    char text[PPS_ACTION_TEXT_MAX];
    pps_action_format(a, text, sizeof text);
    char why[256];
    snprintf(why, sizeof why, fmt, detail);
    return pps_error_set(err, PPS_EINPUT, "rank %d, position %zu (%s): %s", rank, pos, text, why);
}

/* Checks that (stage, mb) is in range and owned by `rank`. mb < 0 is allowed only when
 * !needs_mb. */
static pps_status check_place(const pps_schedule *s, int rank, size_t pos, const pps_action *a,
                              int stage, int mb, int needs_mb, pps_error *err)
{
    char d[128];
    if (stage < 0 || stage >= s->stages) {
        snprintf(d, sizeof d, "stage %d is out of range [0, %d)", stage, s->stages);
        return at(err, rank, pos, a, "%s", d);
    }
    if (needs_mb ? (mb < 0 || mb >= s->microbatches) : mb >= s->microbatches) {
        snprintf(d, sizeof d, "micro-batch %d is out of range [0, %d)", mb, s->microbatches);
        return at(err, rank, pos, a, "%s", d);
    }
    if (s->stage_rank[stage] != rank) {
        snprintf(d, sizeof d, "stage %d belongs to rank %d", stage, (int)s->stage_rank[stage]);
        return at(err, rank, pos, a, "%s", d);
    }
    return PPS_OK;
}

/* Position of the first action at or after `from` in rank r's program that is kind k on
 * (stage, mb), or holds it as a half of an OVERLAP_F_B; SIZE_MAX when there is none. Only
 * errors call it, to say where (or that nowhere) the action they miss is. */
static size_t find(const pps_schedule *s, int r, size_t from, pps_kind k, int stage, int mb)
{
    const pps_program *p = &s->programs[r];
    for (size_t i = from; i < p->n; i++) {
        const pps_action *a = &p->actions[i];
        if (a->kind == k && a->stage == stage && a->mb == mb)
            return i;
        if (a->kind == PPS_OVERLAP_F_B &&
            ((k == PPS_F && a->stage == stage && a->mb == mb) ||
             (a->kind2 == k && a->stage2 == stage && a->mb2 == mb)))
            return i;
    }
    return SIZE_MAX;
}

/* The text of kind k on (stage, mb), e.g. "1F3". */
static void name(pps_kind k, int stage, int mb, char *buf, size_t size)
{
    pps_action a = pps_action_make(k, stage, mb);
    pps_action_format(&a, buf, size);
}

/* Why kind (B, I or W) at position pos of rank r cannot run yet: the action it needs (F, or I
 * for W) comes later, or nowhere (then it is missing, which is what to say), or for a W a B
 * of the same cell comes later. */
static const char *missing_before(const pps_schedule *s, int r, size_t pos, pps_kind kind,
                                  int stage, int mb, char *buf, size_t size)
{
    pps_kind need = kind == PPS_W ? PPS_I : PPS_F;
    const char *what = kind == PPS_W ? "I" : "forward";
    char text[PPS_ACTION_TEXT_MAX];
    name(need, stage, mb, text, sizeof text);
    size_t at = find(s, r, pos + 1, need, stage, mb);
    if (at != SIZE_MAX)
        snprintf(buf, size, "%s before its %s %s (position %zu)", kind == PPS_W ? "W" : "backward",
                 what, text, at);
    else if (kind == PPS_W && (at = find(s, r, pos + 1, PPS_B, stage, mb)) != SIZE_MAX)
        snprintf(buf, size, "B and I/W both given for this stage and micro-batch (the B at "
                 "position %zu)", at);
    else
        snprintf(buf, size, "no %s anywhere: %s is missing", what, text);
    return buf;
}

/* Records one kind for a cell and enforces uniqueness and, for compute, program order. */
static pps_status see(uint8_t *cells, const pps_schedule *s, int rank, size_t pos,
                      const pps_action *a, pps_kind kind, int stage, int mb, pps_error *err)
{
    uint8_t *c = &cells[(size_t)stage * (size_t)s->microbatches + (size_t)mb];
    char buf[160];
    const char *why = ppsi_cell_conflict(*c, kind, buf, sizeof buf);
    if (!why && (((kind == PPS_B || kind == PPS_I) && !(*c & PPSI_SEEN_F)) ||
                 (kind == PPS_W && !(*c & PPSI_SEEN_I))))
        why = missing_before(s, rank, pos, kind, stage, mb, buf, sizeof buf);
    *c |= (uint8_t)ppsi_cell_bit(kind);
    return why ? at(err, rank, pos, a, "%s", why) : PPS_OK;
}

static pps_status check_action(const pps_schedule *s, uint8_t *cells, int r, size_t i,
                               const pps_action *a, pps_error *err)
{
    pps_kind k = (pps_kind)a->kind;
    pps_status st;
    switch (k) {
    case PPS_IDLE:
        return PPS_OK;
    case PPS_F: case PPS_B: case PPS_I: case PPS_W:
        st = check_place(s, r, i, a, a->stage, a->mb, 1, err);
        return st != PPS_OK ? st : see(cells, s, r, i, a, k, a->stage, a->mb, err);
    case PPS_OVERLAP_F_B:
        if (a->kind2 != PPS_B && a->kind2 != PPS_I)
            return at(err, r, i, a, "%s", "the second half of OVERLAP_F_B must be B or I");
        st = check_place(s, r, i, a, a->stage, a->mb, 1, err);
        if (st == PPS_OK)
            st = check_place(s, r, i, a, a->stage2, a->mb2, 1, err);
        if (st == PPS_OK)
            st = see(cells, s, r, i, a, PPS_F, a->stage, a->mb, err);
        return st != PPS_OK ? st : see(cells, s, r, i, a, (pps_kind)a->kind2, a->stage2, a->mb2, err);
    case PPS_SEND_F: case PPS_RECV_F: case PPS_SEND_B: case PPS_RECV_B:
        st = check_place(s, r, i, a, a->stage, a->mb, 1, err);
        return st != PPS_OK ? st : see(cells, s, r, i, a, k, a->stage, a->mb, err);
    case PPS_UNSHARD: case PPS_RESHARD: case PPS_REDUCE_GRAD: case PPS_WAIT_REDUCE_GRAD:
        return check_place(s, r, i, a, a->stage, a->mb, 0, err);
    case PPS_WAIT_SEND_F: case PPS_WAIT_SEND_B: /* paired with their sends by check_waits */
        return check_place(s, r, i, a, a->stage, a->mb, 1, err);
    default:
        return at(err, r, i, a, "%s", "unknown action kind");
    }
}

/* Every wait has an earlier action of its rank to wait for, not taken by another wait:
 * WAIT_SEND_F/B(s, m) a SEND_F/B(s, m), WAIT_REDUCE_GRAD(s) a REDUCE_GRAD(s). A send or a
 * reduction need not be waited for (lowered files of PyTorch before 2.15 have no waits). Run
 * only when the schedule has waits; every action is in range and on its stage's rank. */
static pps_status check_waits(const pps_schedule *s, pps_error *err)
{
    enum { SENT_F = 1, SENT_B = 2, WAITED_F = 4, WAITED_B = 8 };
    size_t M = (size_t)s->microbatches, ncells = (size_t)s->stages * M;
    uint8_t *cell = calloc(ncells ? ncells : 1, 1);
    uint32_t *reductions = calloc((size_t)s->stages + 1, sizeof *reductions); /* not waited */
    pps_status st = PPS_OK;
    if (!cell || !reductions)
        st = pps_error_set(err, PPS_ENOMEM, "out of memory validating %zu cells", ncells);
    for (int r = 0; r < s->ranks && st == PPS_OK; r++) {
        for (size_t i = 0; i < s->programs[r].n && st == PPS_OK; i++) {
            const pps_action *a = &s->programs[r].actions[i];
            pps_kind k = (pps_kind)a->kind;
            uint8_t *c = pps_kind_has_mb(k) ? &cell[(size_t)a->stage * M + (size_t)a->mb] : NULL;
            const char *why = NULL;
            if (k == PPS_SEND_F || k == PPS_SEND_B) {
                *c |= k == PPS_SEND_F ? SENT_F : SENT_B;
            } else if (k == PPS_WAIT_SEND_F || k == PPS_WAIT_SEND_B) {
                int fwd = k == PPS_WAIT_SEND_F;
                if (*c & (fwd ? WAITED_F : WAITED_B))
                    why = fwd ? "duplicate WAIT_SEND_F for this stage and micro-batch"
                              : "duplicate WAIT_SEND_B for this stage and micro-batch";
                else if (!(*c & (fwd ? SENT_F : SENT_B)))
                    why = fwd ? "waits for a SEND_F of this stage and micro-batch, but none "
                                "comes earlier on this rank"
                              : "waits for a SEND_B of this stage and micro-batch, but none "
                                "comes earlier on this rank";
                *c |= fwd ? WAITED_F : WAITED_B;
            } else if (k == PPS_REDUCE_GRAD) {
                reductions[a->stage]++;
            } else if (k == PPS_WAIT_REDUCE_GRAD) {
                if (reductions[a->stage] == 0)
                    why = "waits for a REDUCE_GRAD of this stage, but none comes earlier on this "
                          "rank without its wait";
                else
                    reductions[a->stage]--;
            }
            if (why)
                st = at(err, r, i, a, "%s", why);
        }
    }
    free(cell);
    free(reductions);
    return st;
}

/* The compute kinds' rules as 4-bit masks (of PPSI_SEEN_F .. PPSI_SEEN_W) packed per kind k at
 * bits 4k..4k+3: k may come when none of FORBID's kinds and all of NEED's were seen in its
 * cell. The same rules as see(), in two shifts for the fast path of ppsv_validate; see() words
 * the error. */
#define RULE(k, mask) ((uint32_t)(mask) << (4 * (k)))
static const uint32_t FORBID =
    RULE(PPS_F, PPSI_SEEN_F) | RULE(PPS_B, PPSI_SEEN_B | PPSI_SEEN_I | PPSI_SEEN_W) |
    RULE(PPS_I, PPSI_SEEN_B | PPSI_SEEN_I) | RULE(PPS_W, PPSI_SEEN_B | PPSI_SEEN_W);
static const uint32_t NEED =
    RULE(PPS_B, PPSI_SEEN_F) | RULE(PPS_I, PPSI_SEEN_F) | RULE(PPS_W, PPSI_SEEN_I);
/* A complete cell's compute kinds: F and B, or F, I and W. */
#define COMPUTE_SEEN (PPSI_SEEN_F | PPSI_SEEN_B | PPSI_SEEN_I | PPSI_SEEN_W)

/* The error for a cell whose compute is incomplete (seen: its bits; the program-order checks
 * have passed, so a backward or W in it has what it needs before it): names the action that
 * is there and what is missing for it, or the cell when it is empty. */
static pps_status incomplete(const pps_schedule *s, unsigned seen, int stage, int mb,
                             pps_error *err)
{
    int r = (int)s->stage_rank[stage];
    char f[PPS_ACTION_TEXT_MAX], b[PPS_ACTION_TEXT_MAX], i[PPS_ACTION_TEXT_MAX],
        w[PPS_ACTION_TEXT_MAX];
    name(PPS_F, stage, mb, f, sizeof f);
    name(PPS_B, stage, mb, b, sizeof b);
    name(PPS_I, stage, mb, i, sizeof i);
    name(PPS_W, stage, mb, w, sizeof w);
    char why[256];
    if (!(seen & PPSI_SEEN_F))
        return pps_error_set(err, PPS_EINPUT, "rank %d: stage %d, micro-batch %d has no action: "
                             "%s and its backward (%s, or %s and %s) are missing", r, stage, mb, f,
                             b, i, w);
    if (seen & PPSI_SEEN_I) { /* no W: a W without its I is refused where it stands */
        snprintf(why, sizeof why, "no W anywhere for this I: %s is missing", w);
        size_t pos = find(s, r, 0, PPS_I, stage, mb);
        return at(err, r, pos, &s->programs[r].actions[pos], "%s", why);
    }
    snprintf(why, sizeof why, "no backward anywhere for this F: %s (or %s and %s) is missing", b,
             i, w);
    size_t pos = find(s, r, 0, PPS_F, stage, mb);
    return at(err, r, pos, &s->programs[r].actions[pos], "%s", why);
}

/* For the action at position i of rank r, whose (stage, mb) takes its input through receive
 * kind rk (PPS_RECV_F: from stage - 1; PPS_RECV_B: from stage + 1) when that stage is on
 * another rank: the error when that receive is missing, naming the send (or that it is
 * missing too). */
static pps_status need_recv(const pps_schedule *s, const uint8_t *cells, int r, size_t i,
                            pps_kind rk, int stage, int mb, pps_error *err)
{
    int src = rk == PPS_RECV_F ? stage - 1 : stage + 1;
    if (src < 0 || src >= s->stages || s->stage_rank[src] == r)
        return PPS_OK;
    if (cells[(size_t)stage * (size_t)s->microbatches + (size_t)mb] & ppsi_cell_bit(rk))
        return PPS_OK;
    pps_kind sk = rk == PPS_RECV_F ? PPS_SEND_F : PPS_SEND_B;
    int peer = (int)s->stage_rank[src];
    char recv[PPS_ACTION_TEXT_MAX], send[PPS_ACTION_TEXT_MAX], why[256];
    name(rk, stage, mb, recv, sizeof recv);
    name(sk, src, mb, send, sizeof send);
    size_t at_send = find(s, peer, 0, sk, src, mb);
    if (at_send != SIZE_MAX)
        snprintf(why, sizeof why, "the receive of its input, %s, is missing (rank %d sends it at "
                 "position %zu: %s)", recv, peer, at_send, send);
    else
        snprintf(why, sizeof why, "the receive of its input, %s, is missing, and so is its send "
                 "%s on rank %d", recv, send, peer);
    return at(err, r, i, &s->programs[r].actions[i], "%s", why);
}

/* For receive a at position i of rank r: the error when its send is missing. A receive from a
 * stage that does not exist or is on this rank is left to the graph, which words those. */
static pps_status need_send(const pps_schedule *s, const uint8_t *cells, int r, size_t i,
                            const pps_action *a, pps_error *err)
{
    int src = a->kind == PPS_RECV_F ? a->stage - 1 : a->stage + 1;
    if (src < 0 || src >= s->stages || s->stage_rank[src] == r)
        return PPS_OK;
    pps_kind sk = a->kind == PPS_RECV_F ? PPS_SEND_F : PPS_SEND_B;
    if (cells[(size_t)src * (size_t)s->microbatches + (size_t)a->mb] & ppsi_cell_bit(sk))
        return PPS_OK;
    char send[PPS_ACTION_TEXT_MAX], why[128];
    name(sk, src, a->mb, send, sizeof send);
    snprintf(why, sizeof why, "its send %s is missing on rank %d", send,
             (int)s->stage_rank[src]);
    return at(err, r, i, a, "%s", why);
}

/* Lowered schedules, rule 5 of docs/ir.md: every input from another rank has its receive and
 * every receive its send, refused as missing where they are missing. (With every cell complete,
 * a send whose receive is missing leaves the consumer without it, so consumers and receives
 * are all there is to check; each pair of ranks' order is checked where the graph matches
 * them, which can then only find orders that differ.) */
static pps_status check_pairs(const pps_schedule *s, const uint8_t *cells, pps_error *err)
{
    pps_status st = PPS_OK;
    for (int r = 0; r < s->ranks && st == PPS_OK; r++) {
        const pps_program *p = &s->programs[r];
        for (size_t i = 0; i < p->n && st == PPS_OK; i++) {
            const pps_action *a = &p->actions[i];
            switch ((pps_kind)a->kind) {
            case PPS_F: st = need_recv(s, cells, r, i, PPS_RECV_F, a->stage, a->mb, err); break;
            case PPS_B: case PPS_I:
                st = need_recv(s, cells, r, i, PPS_RECV_B, a->stage, a->mb, err);
                break;
            case PPS_OVERLAP_F_B:
                st = need_recv(s, cells, r, i, PPS_RECV_F, a->stage, a->mb, err);
                if (st == PPS_OK)
                    st = need_recv(s, cells, r, i, PPS_RECV_B, a->stage2, a->mb2, err);
                break;
            case PPS_RECV_F: case PPS_RECV_B: st = need_send(s, cells, r, i, a, err); break;
            default: break;
            }
        }
    }
    return st;
}

pps_status ppsv_validate(const pps_schedule *s, uint8_t *cells, pps_error *err)
{
    size_t ncells = (size_t)s->stages * (size_t)s->microbatches;
    memset(cells, 0, ncells);
    pps_status st = PPS_OK;
    int waits = 0;
    /* Locals: a store to cells (bytes) could alias anything the loop reads through s. */
    const unsigned S = (unsigned)s->stages, M = (unsigned)s->microbatches;
    const int32_t *stage_rank = s->stage_rank;
    for (int r = 0; r < s->ranks && st == PPS_OK; r++) {
        const pps_action *act = s->programs[r].actions;
        size_t n = s->programs[r].n;
        for (size_t i = 0; i < n; i++) {
            /* The common case, a plain F, B, I or W in range, on its rank and in order, in a
             * few comparisons; anything else (and every error) takes the path that words it. */
            const pps_action *a = &act[i];
            unsigned k = a->kind, stage = (unsigned)a->stage, mb = (unsigned)a->mb;
            if (k >= PPS_F && k <= PPS_W && stage < S && mb < M && stage_rank[stage] == r) {
                uint8_t *c = &cells[(size_t)stage * M + mb];
                unsigned forbid = FORBID >> 4 * k & 15, need = NEED >> 4 * k & 15;
                if (!(*c & forbid) && (*c & need) == need) {
                    *c = (uint8_t)(*c | 1u << (k - 1)); /* PPSI_SEEN_F .. PPSI_SEEN_W */
                    continue;
                }
            }
            if (!s->lowered && pps_kind_is_comm((pps_kind)a->kind))
                st = at(err, r, i, a, "%s", "send/receive in a schedule not marked lowered");
            else
                st = check_action(s, cells, r, i, a, err);
            if (st != PPS_OK)
                break;
            waits |= pps_kind_is_wait((pps_kind)a->kind);
        }
    }
    /* Every cell needs its forward and a complete backward. */
    for (size_t c = 0; c < ncells && st == PPS_OK; c++) {
        unsigned seen = cells[c] & COMPUTE_SEEN;
        if (seen != (PPSI_SEEN_F | PPSI_SEEN_B) &&
            seen != (PPSI_SEEN_F | PPSI_SEEN_I | PPSI_SEEN_W))
            st = incomplete(s, cells[c], (int)(c / M), (int)(c % M), err);
    }
    if (st == PPS_OK && waits)
        st = check_waits(s, err);
    if (st == PPS_OK && s->lowered)
        st = check_pairs(s, cells, err);
    if (st != PPS_OK || !s->lowered)
        return st;
    /* Sends and receives: pairing and per-pair order are checked where they are matched. */
    ppsg_graph *g = NULL;
    st = ppsg_build(s, 0, &g, err);
    ppsg_destroy(g);
    return st;
}

pps_status pps_schedule_validate(const pps_schedule *s, pps_error *err)
{
    size_t ncells = (size_t)s->stages * (size_t)s->microbatches;
    uint8_t *cells = malloc(ncells ? ncells : 1);
    if (!cells)
        return pps_error_set(err, PPS_ENOMEM, "out of memory validating %zu cells", ncells);
    pps_status st = ppsv_validate(s, cells, err);
    free(cells);
    return st;
}
