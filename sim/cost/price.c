/* price.c — the pricing step: turns the cost model and a schedule's placement into the numbers
 * the event core reads (pps_prices in ppsim.h), so that the core never calls the cost model. */
#include "cost_fields.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Transfer time of stage s's data to stage `to` (its neighbour), or 0 when `to` is not a stage.
 * The bytes are the sending stage's, as the core has always charged them. */
static double transfer(const pps_schedule *s, const pps_cost *c, int from, int to)
{
    if (to < 0 || to >= s->stages)
        return 0;
    return pps_cost_transfer(c, s->stage_rank[from], s->stage_rank[to],
                             pps_cost_of_stage(c, from).send_bytes);
}

static void drop_overrides(pps_prices *p)
{
    for (int k = 0; k < PPS_KIND_COUNT; k++) {
        free(p->by_cell[k]);
        p->by_cell[k] = NULL;
    }
}

pps_status pps_price(const pps_schedule *s, const pps_cost *c, pps_prices *p, pps_error *err)
{
    if ((c->nresolved && c->nresolved != s->stages) || (c->nstages && c->nstages != s->stages))
        return ppsc_fault(pps_error_set(err, PPS_EINPUT,
                                        "costs: resolved for %d stages, the schedule has %d "
                                        "stages", c->nresolved ? c->nresolved : c->nstages,
                                        s->stages),
                          err);
    drop_overrides(p);
    size_t n = (size_t)s->stages;
    if (n > p->cap_stages) {
        double *tab = realloc(p->by_stage, n * PPS_KIND_COUNT * sizeof *tab);
        if (tab)
            p->by_stage = tab;
        double *act = tab ? realloc(p->act_bytes, n * sizeof *act) : NULL;
        if (act)
            p->act_bytes = act;
        double *act_w = act ? realloc(p->act_w_bytes, n * sizeof *act_w) : NULL;
        if (act_w)
            p->act_w_bytes = act_w;
        if (!act_w)
            return pps_error_set(err, PPS_ENOMEM, "out of memory pricing %d stages", s->stages);
        p->cap_stages = n;
    }
    p->stages = s->stages;
    p->microbatches = s->microbatches;
    p->comm_sync = c->comm_sync;
    for (int st = 0; st < s->stages; st++) {
        double *row = &p->by_stage[(size_t)st * PPS_KIND_COUNT];
        for (int k = 0; k < PPS_KIND_COUNT; k++) {
            pps_action a = pps_action_make((pps_kind)k, st, 0);
            /* The cost model prices every kind it knows; communication and the composite are
             * priced here, by their parts. */
            row[k] = pps_kind_is_comm((pps_kind)k) || k == PPS_OVERLAP_F_B || k == PPS_IDLE
                         ? 0
                         : pps_cost_duration(c, &a);
        }
        pps_stage_cost x = pps_cost_of_stage(c, st);
        row[PPS_OVERLAP_F_B] = x.tfb;
        row[PPS_SEND_F] = transfer(s, c, st, st + 1);
        row[PPS_SEND_B] = transfer(s, c, st, st - 1);
        row[PPS_RECV_F] = st > 0 ? transfer(s, c, st - 1, st) : 0;
        row[PPS_RECV_B] = st + 1 < s->stages ? transfer(s, c, st + 1, st) : 0;
        p->act_bytes[st] = x.act_bytes;
        p->act_w_bytes[st] = x.act_w_bytes;
    }
    /* times the core can add up without losing any */
    return ppsc_fault(ppsc_check_step(s, c, err), err);
}

/* Kinds that name one cell (stage, micro-batch). */
static int per_cell_kind(pps_kind k)
{
    return k == PPS_F || k == PPS_B || k == PPS_I || k == PPS_W || k == PPS_SEND_F ||
           k == PPS_SEND_B;
}

pps_status pps_prices_override(pps_prices *p, pps_kind k, pps_error *err)
{
    if ((unsigned)k >= PPS_KIND_COUNT || !per_cell_kind(k))
        return pps_error_set(err, PPS_EINPUT, "prices: kind %s has no per-micro-batch price",
                             pps_kind_name(k));
    if (p->by_cell[k])
        return PPS_OK;
    size_t M = (size_t)p->microbatches, n = (size_t)p->stages * M;
    double *cell = malloc((n ? n : 1) * sizeof *cell);
    if (!cell)
        return pps_error_set(err, PPS_ENOMEM, "out of memory for %zu prices", n);
    for (size_t st = 0; st < (size_t)p->stages; st++)
        for (size_t m = 0; m < M; m++)
            cell[st * M + m] = p->by_stage[st * PPS_KIND_COUNT + (size_t)k];
    p->by_cell[k] = cell;
    return PPS_OK;
}

/* The start of each cell's SEND_F/SEND_B and the start and end of its RECV, while reading a
 * timeline: a transfer is keyed by the cell of its RECV. */
typedef struct transfer_seen {
    double send_start, recv_start, recv_end;
} transfer_seen;

pps_status pps_prices_from_timeline(pps_prices *p, const pps_timeline *t, pps_error *err)
{
    if (t->stages != p->stages || t->microbatches != p->microbatches)
        return pps_error_set(err, PPS_EINPUT, "replay: the timeline has %d stages and %d "
                             "micro-batches, the prices %d and %d", t->stages, t->microbatches,
                             p->stages, p->microbatches);
    static const pps_kind kinds[] = {PPS_F, PPS_B, PPS_I, PPS_W, PPS_SEND_F, PPS_SEND_B};
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        pps_status st = pps_prices_override(p, kinds[i], err);
        if (st != PPS_OK)
            return st;
    }
    size_t S = (size_t)p->stages, M = (size_t)p->microbatches;
    transfer_seen *fwd = malloc(S * M * sizeof *fwd), *bwd = malloc(S * M * sizeof *bwd);
    if (!fwd || !bwd) {
        free(fwd);
        free(bwd);
        return pps_error_set(err, PPS_ENOMEM, "replay: out of memory for %zu cells", S * M);
    }
    for (size_t c = 0; c < S * M; c++)
        fwd[c] = bwd[c] = (transfer_seen){NAN, NAN, NAN};
    pps_status st = PPS_OK;
    for (size_t i = 0; i < t->n && st == PPS_OK; i++) {
        const pps_event *e = &t->events[i];
        const pps_action *a = &e->action;
        pps_kind k = (pps_kind)a->kind;
        int in_range = a->stage >= 0 && (size_t)a->stage < S && a->mb >= 0 && (size_t)a->mb < M;
        if (k == PPS_OVERLAP_F_B)
            in_range = in_range && a->stage2 >= 0 && (size_t)a->stage2 < S && a->mb2 >= 0 &&
                       (size_t)a->mb2 < M && (a->kind2 == PPS_B || a->kind2 == PPS_I);
        if (!pps_kind_is_compute(k) && !pps_kind_is_comm(k))
            continue; /* UNSHARD & co. keep their prices by stage */
        if (!in_range) {
            st = pps_error_set(err, PPS_EINPUT, "replay: event %zu names a stage or micro-batch "
                               "out of range", i);
            break;
        }
        size_t c = (size_t)a->stage * M + (size_t)a->mb;
        double d = e->end - e->start;
        switch (k) {
        case PPS_F: case PPS_B: case PPS_I: case PPS_W: p->by_cell[k][c] = d; break;
        case PPS_OVERLAP_F_B:
            p->by_cell[PPS_F][c] = d;
            p->by_cell[a->kind2][(size_t)a->stage2 * M + (size_t)a->mb2] = 0;
            p->by_stage[(size_t)a->stage * PPS_KIND_COUNT + PPS_OVERLAP_F_B] = NAN;
            break;
        /* A transfer is keyed by its receiver's cell: SEND_F(s,m) pairs with RECV_F(s+1,m). */
        case PPS_SEND_F:
            if ((size_t)a->stage + 1 < S)
                fwd[c + M].send_start = e->start;
            break;
        case PPS_SEND_B:
            if (a->stage > 0)
                bwd[c - M].send_start = e->start;
            break;
        case PPS_RECV_F: fwd[c].recv_start = e->start, fwd[c].recv_end = e->end; break;
        case PPS_RECV_B: bwd[c].recv_start = e->start, bwd[c].recv_end = e->end; break;
        default: break;
        }
    }
    /* A transfer moves from the later of its two starts: its time is what remains, never
     * below 0 (two ranks' clocks apart can make a receive seem to end before its send began:
     * ppexec before its common start, or two hosts). */
    for (size_t c = 0; c < S * M && st == PPS_OK; c++) {
        const transfer_seen *f = &fwd[c], *b = &bwd[c];
        if (c >= M && !isnan(f->send_start) && !isnan(f->recv_end))
            p->by_cell[PPS_SEND_F][c - M] = fmax(
                0, f->recv_end - (f->send_start > f->recv_start ? f->send_start : f->recv_start));
        if (c + M < S * M && !isnan(b->send_start) && !isnan(b->recv_end))
            p->by_cell[PPS_SEND_B][c + M] = fmax(
                0, b->recv_end - (b->send_start > b->recv_start ? b->send_start : b->recv_start));
    }
    free(fwd);
    free(bwd);
    return st;
}

void pps_prices_clear(pps_prices *p)
{
    if (!p)
        return;
    drop_overrides(p);
    free(p->by_stage);
    free(p->act_bytes);
    free(p->act_w_bytes);
    memset(p, 0, sizeof *p);
}
