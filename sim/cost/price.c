/* price.c — the pricing step: turns the cost model and a schedule's placement into the numbers
 * the event core reads (pps_prices in ppsim.h), so that the core never calls the cost model. */
#include "cost_fields.h"

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
        return pps_error_set(err, PPS_EINPUT,
                             "costs: resolved for %d stages, the schedule has %d stages",
                             c->nresolved ? c->nresolved : c->nstages, s->stages);
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
    return ppsc_check_step(s, c, err); /* times the core can add up without losing any */
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
