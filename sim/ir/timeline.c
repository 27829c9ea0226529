/* timeline.c — the timeline container: a header and the events of one predicted or measured run. */
#include "ppsim.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

pps_status pps_timeline_create(int ranks, int stages, int microbatches, pps_timeline **out,
                               pps_error *err)
{
    *out = NULL;
    /* The same limits as a schedule's: a timeline describes one run of a schedule. */
    pps_status st = pps_check_shape(ranks, stages, microbatches, err);
    if (st != PPS_OK)
        return st;
    pps_timeline *t = calloc(1, sizeof *t);
    if (!t)
        return pps_error_set(err, PPS_ENOMEM, "out of memory");
    strcpy(t->source, "simulated");
    strcpy(t->backend, "sim");
    t->ranks = ranks;
    t->stages = stages;
    t->microbatches = microbatches;
    t->chunks = stages % ranks == 0 ? stages / ranks : 0;
    *out = t;
    return PPS_OK;
}

void pps_timeline_destroy(pps_timeline *t)
{
    if (!t)
        return;
    free(t->act_bytes);
    free(t->act_w_bytes);
    free(t->events);
    free(t);
}

pps_status pps_timeline_append(pps_timeline *t, const pps_event *e, pps_error *err)
{
    if (e->rank < 0 || e->rank >= t->ranks)
        return pps_error_set(err, PPS_EINPUT, "timeline: event rank %d is out of range [0, %d)",
                             (int)e->rank, t->ranks);
    if (t->n == t->cap) {
        /* Doubling keeps appends amortised O(1) for the millions of events of a long run. */
        size_t cap = t->cap ? t->cap * 2 : 1024;
        if (cap > SIZE_MAX / sizeof *t->events)
            return pps_error_set(err, PPS_ENOMEM, "timeline: too many events");
        pps_event *ev = realloc(t->events, cap * sizeof *ev);
        if (!ev)
            return pps_error_set(err, PPS_ENOMEM, "timeline: out of memory for %zu events", cap);
        t->events = ev;
        t->cap = cap;
    }
    t->events[t->n++] = *e;
    return PPS_OK;
}
