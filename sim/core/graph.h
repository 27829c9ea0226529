/* graph.h — the dependency graph of a lowered schedule: its streams, each action's inputs and
 * each send's matching receive. Built once and read by both the event core and the executor,
 * so that they interpret one program with one set of execution semantics (docs/semantics.md). */
#ifndef PPS_GRAPH_H
#define PPS_GRAPH_H

#include "ppsim.h"

/* An in-order stream: a rank's compute stream, or its send (recv) queue to (from) one peer. */
typedef struct ppsg_stream {
    int32_t rank;
    int32_t peer;  /* -1 for the compute stream */
    uint8_t kind;  /* pps_stream */
    size_t first;  /* its actions are order[first .. first + count) */
    size_t count;
} ppsg_stream;

/* Actions are numbered globally: rank r's position i is id rank_base[r] + i. */
typedef struct ppsg_graph {
    const pps_schedule *s; /* borrowed */
    size_t n;              /* actions, idle slots included */
    size_t *rank_base;     /* [ranks + 1] */
    /* [2n] inputs: this action starts only after these have ended (-1: none). Compute: the
     * actions producing its data (two for OVERLAP_F_B); SEND: its producer; RECV: none;
     * WAIT_SEND_F/B: the send it waits for (on the same rank); WAIT_REDUCE_GRAD: none (its
     * REDUCE_GRAD ran earlier on the same compute stream). */
    int32_t *dep;
    int32_t *partner;      /* [n] SEND <-> matching RECV; -1 for everything else */
    int32_t *stream_of;    /* [n] index into streams; -1 for idle slots */
    int32_t *order;        /* action ids grouped by stream, each in program order */
    ppsg_stream *streams;
    size_t nstreams;       /* the first `ranks` are the compute streams */
} ppsg_graph;

/* Builds the graph of s. comm_sync puts SEND/RECV on the compute stream. Fails with the rank,
 * position and action when a send has no matching receive, when two ranks order their sends and
 * receives differently, when a send precedes its producer, when a WAIT_SEND_F/B has no earlier
 * send on its rank, or when a cross-rank input has no receive (the schedule was not lowered). s must pass the compute rules of pps_schedule_validate
 * and outlive the graph. Caller owns *out (ppsg_destroy). */
pps_status ppsg_build(const pps_schedule *s, int comm_sync, ppsg_graph **out, pps_error *err);
void ppsg_destroy(ppsg_graph *g);

/* Rank and program position of action id (a binary search: use ppsg_action_on in loops that
 * know the rank). */
void ppsg_locate(const ppsg_graph *g, int32_t id, int *rank, size_t *pos);
const pps_action *ppsg_action(const ppsg_graph *g, int32_t id);

/* Action id when its rank is known: O(1). */
static inline const pps_action *ppsg_action_on(const ppsg_graph *g, int rank, int32_t id)
{
    return &g->s->programs[rank].actions[(size_t)id - g->rank_base[rank]];
}

/* The rank at the other end of a SEND/RECV, or -1 when the stage has no such neighbour. */
int ppsg_peer(const pps_schedule *s, const pps_action *a);

#endif
