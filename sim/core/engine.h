/* engine.h — internal: the two cores behind pps_simulate*, pps_batch and their shared buffers
 * (docs/semantics.md, docs/performance.md). Both read only prices, never the cost model.
 *
 * - The stream core (stream_core.c) runs a compute-only schedule with overlapped communication
 *   on the ranks' compute streams alone. Lowering puts each send right after its producer and
 *   keeps every receive queue in its peer's send order, so the k-th transfer of a directed link
 *   starts when its producer has ended and the link's previous transfer is done; the core works
 *   it out the moment the producer ends, and needs neither the lowered program nor a graph: two
 *   ready times per (stage, micro-batch) cell and a few numbers per rank and link.
 * - The graph core (graph_core.c) runs any lowered schedule, and --comm sync, on the dependency
 *   graph of graph.h; it is also the reference the stream core is tested against, and it
 *   reports deadlocks (the stream core only detects them). */
#ifndef PPS_ENGINE_H
#define PPS_ENGINE_H

#include "analysis/accum.h"
#include "internal.h"

/* The state of one rank's compute stream in the stream core. */
typedef struct ppse_rank {
    const pps_action *act; /* its program (borrowed) */
    size_t n, head;        /* actions, and the next to run */
    double prev_end;       /* end of the previous action on the stream, s (0 before the first) */
    ppsa_busy busy;
    ppsa_mem mem;
} ppse_rank;

/* The two ready times of a (stage, micro-batch) cell, s, stored negated (stream_core.c: the
 * sign bit means known, all-zero bytes unknown). */
typedef struct ppse_cell {
    double f; /* F(s, m)'s input: F(s - 1, m) ended, or its transfer arrived */
    double b; /* B/I(s, m)'s input: B/I(s + 1, m) ended or arrived, or F(s, m) on the last stage */
} ppse_cell;

/* What the stream core's fast path reads about a stage, in one row: the rank of stage s + 1
 * (s − 1), or -1 when there is none, and the directed link to it between ranks, or -1 when it
 * is on the same rank or there is none; and, from the prices by stage, the durations of F, B, I
 * and W (indexed by kind), the change each makes to the activation memory (+act for F, −act for
 * B, −(act − act_w) for I, −act_w for W) and the two transfer times. */
typedef struct ppse_stage {
    int32_t rank_f, rank_b;
    int32_t link_f, link_b;
    double dur[PPS_W + 1];   /* s, [PPS_F .. PPS_W] */
    double delta[PPS_W + 1]; /* bytes, [PPS_F .. PPS_W] */
    double send_f, send_b;   /* s */
} ppse_stage;

typedef struct ppse_hslot {
    int64_t key; /* src << 20 | dst, -1 when free */
    int32_t link;
} ppse_hslot;

/* Buffers of the stream core, grown on demand and reused from one run to the next. */
typedef struct ppse_work {
    ppse_cell *cell;    /* [stages * microbatches], cell s * M + m */
    size_t cap_cell;
    ppse_rank *rank;    /* [ranks] */
    size_t cap_rank;
    int64_t *parked;    /* [ranks] the ready time each waits for (stream_core.c), -1: none */
    size_t cap_parked;
    int32_t *ready;     /* [ranks] stack of runnable ranks */
    size_t cap_ready;
    ppse_stage *stage;  /* [stages] */
    size_t cap_stage;
    double *link_end;   /* [links] end of the link's latest transfer (0 before the first) */
    size_t cap_link_end, nlinks;
    ppse_hslot *hash;   /* numbers the links while they are built */
    size_t cap_hash;
} ppse_work;

void ppse_work_free(ppse_work *w);

/* Runs the compute-only schedule s (valid, not lowered) under p (comm_sync 0) on the compute
 * streams: fills the ready times and each rank's busy time and memory, with its step function
 * when want_points. PPS_EDEADLOCK without a message when some rank cannot finish (the caller
 * asks the graph core why); PPS_EINPUT when s holds an action the stream core does not run (a
 * SEND/RECV: it is not compute-only). */
pps_status ppse_stream_run(ppse_work *w, const pps_schedule *s, const pps_prices *p,
                           int want_points, pps_error *err);

/* After a successful ppse_stream_run with want_points: every rank's memory series, as
 * pps_memory_series_all gives them (the caller frees both arrays). */
pps_status ppse_stream_series(ppse_work *w, const pps_schedule *s, pps_memory_point **points,
                              size_t **first, pps_error *err);

/* After a successful ppse_stream_run: the summary (out->per_rank has room for s->ranks). */
void ppse_stream_summary(const ppse_work *w, const pps_schedule *s, pps_analysis *out);

/* After a successful ppse_stream_run: the timeline of s's lowering, written in place from the
 * ready times, and, when bounds is not NULL, the record of what bound each event's start. */
pps_status ppse_stream_timeline(ppse_work *w, const pps_schedule *s, const pps_prices *p,
                                pps_timeline **out, pps_bounds *bounds, pps_error *err);

/* Receives a timeline's events in timeline order, one batch at a time; first is the index of
 * ev[0] in the whole timeline. Anything but PPS_OK stops the writing with that status. */
typedef pps_status (*ppse_sink)(void *ctx, const pps_event *ev, size_t n, size_t first,
                                pps_error *err);

/* After a successful ppse_stream_run: the events ppse_stream_timeline would give, handed to
 * sink a rank at a time from one rank-sized buffer instead of held all at once. */
pps_status ppse_stream_events(ppse_work *w, const pps_schedule *s, const pps_prices *p,
                              ppse_sink sink, void *ctx, pps_error *err);

/* Runs the lowered (or single-rank) valid schedule s under p on its dependency graph: the
 * timeline and, when bounds is not NULL, the record of what bound each event's start. */
pps_status ppse_graph_run(const pps_schedule *s, const pps_prices *p, pps_timeline **out,
                          pps_bounds *bounds, pps_error *err);

/* A timeline with s's header and p's activation sizes, room for n events, none used. */
pps_status ppse_timeline_new(const pps_schedule *s, const pps_prices *p, size_t n,
                             pps_timeline **out, pps_error *err);

/* Allocates b for n events (pred and partner -1, bound NONE). */
pps_status ppse_bounds_alloc(pps_bounds *b, size_t n, pps_error *err);

#endif /* PPS_ENGINE_H */
