/* timeline_json.h — internal: the timeline file's writer in parts (header, batches of events,
 * end), for a simulation that writes its events a rank at a time instead of holding them all
 * (pps_simulate_write_json). pps_timeline_write_json is these parts over a whole timeline, so
 * both write the same bytes. */
#ifndef PPS_TIMELINE_JSON_H
#define PPS_TIMELINE_JSON_H

#include "ppsim.h"

#include "io/json_write.h"

/* Refuses events that cannot be written as valid event lines (times not finite, negative rank,
 * unknown stream, a queue without a peer); `first` numbers ev[0] in the whole timeline for the
 * message. Writes nothing. */
pps_status ppsj_timeline_check(const pps_event *ev, size_t n, size_t first, pps_error *err);

/* Starts the file on w: t's header (its events are not read), up to the opening of "events".
 * PPS_EINPUT (nothing meaningful written) when an activation size is not a finite
 * non-negative number. */
pps_status ppsj_timeline_begin(ppsj_writer *w, FILE *fp, const pps_timeline *t,
                               pps_error *err);

/* Appends events ev[0..n), already checked (ppsj_timeline_check); `first` as there. */
pps_status ppsj_timeline_events(ppsj_writer *w, const pps_event *ev, size_t n, size_t first,
                                pps_error *err);

/* Closes the events and the file and flushes w (ppsj_writer_finish: PPS_EIO on a failed write). */
pps_status ppsj_timeline_end(ppsj_writer *w, pps_error *err);

#endif /* PPS_TIMELINE_JSON_H */
