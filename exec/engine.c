/* engine.c — the rank interpreter (engine.h): one pass over the rank's program; every ordering
 * rule beyond program order comes from the graph's inputs, enforced by the backend. */
#include "engine.h"

volatile sig_atomic_t ppx_stop_signal = 0;

/* Orders the compute stream after every receive action a's inputs arrive by. */
static pps_status wait_inputs(const ppx_backend *be, ppx_ctx *ctx, const ppsg_graph *g,
                              int32_t id, pps_error *err)
{
    for (int j = 0; j < 2; j++) {
        int32_t d = g->dep[2 * (size_t)id + j];
        if (d < 0 || g->partner[d] < 0)
            continue; /* no input, or one produced on this rank's own compute stream */
        /* A receive feeding this rank's compute lives on this rank. */
        pps_status st = be->wait(ctx, d, err);
        if (st != PPS_OK)
            return st;
    }
    return PPS_OK;
}

pps_status ppx_run_rank(const ppx_backend *be, ppx_ctx *ctx, const ppsg_graph *g, int rank,
                        pps_error *err)
{
    const pps_program *p = &g->s->programs[rank];
    pps_status st = PPS_OK;
    for (size_t i = 0; i < p->n && st == PPS_OK; i++) {
        const pps_action *a = &p->actions[i];
        int32_t id = (int32_t)(g->rank_base[rank] + i);
        pps_kind k = (pps_kind)a->kind;
        switch (k) {
        case PPS_SEND_F:
        case PPS_SEND_B:
            st = be->send(ctx, id, ppsg_peer(g->s, a), k, a->stage, a->mb, err);
            break;
        case PPS_RECV_F:
        case PPS_RECV_B:
            st = be->recv(ctx, id, ppsg_peer(g->s, a), k, a->stage, a->mb, err);
            break;
        case PPS_F:
        case PPS_B:
        case PPS_I:
        case PPS_W:
            st = wait_inputs(be, ctx, g, id, err);
            if (st == PPS_OK)
                st = be->compute(ctx, id, k, a->stage, a->mb, err);
            break;
        case PPS_OVERLAP_F_B: /* the halves run back to back on the compute stream */
            st = wait_inputs(be, ctx, g, id, err);
            if (st == PPS_OK)
                st = be->compute(ctx, id, PPS_F, a->stage, a->mb, err);
            if (st == PPS_OK)
                st = be->compute(ctx, id, (pps_kind)a->kind2, a->stage2, a->mb2, err);
            break;
        case PPS_WAIT_SEND_F:
        case PPS_WAIT_SEND_B: /* the compute stream goes on once the send has completed */
            st = be->wait(ctx, g->dep[2 * (size_t)id], err);
            break;
        default:
            break; /* idle slots; UNSHARD, RESHARD, REDUCE_GRAD, WAIT_REDUCE_GRAD carry no work */
        }
    }
    if (st == PPS_OK)
        st = be->drain(ctx, err);
    return st;
}
