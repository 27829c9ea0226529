/* validate.h — internal: pps_schedule_validate with a caller's scratch buffer, so that a batch of
 * configurations validates without allocating (core/batch.c). */
#ifndef PPS_VALIDATE_H
#define PPS_VALIDATE_H

#include "ppsim.h"

/* pps_schedule_validate using cells (stages * microbatches bytes, any contents) as scratch. */
pps_status ppsv_validate(const pps_schedule *s, uint8_t *cells, pps_error *err);

#endif /* PPS_VALIDATE_H */
