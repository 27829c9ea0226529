/* fuzz_csv.c — pps_schedule_parse_csv (PyTorch per-rank CSV). Oracles as fuzz_schedule_json. */
#include "fuzz_common.h"

#include "fuzz_sched.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_copy(data, size);
    pps_error err = {0};
    pps_schedule *s = NULL;
    pps_status st = pps_schedule_parse_csv(text, size, "fuzz.csv", &s, &err);
    free(text);
    if (st != PPS_OK) {
        fuzz_check_error(&err, st);
        FUZZ_CHECK(s == NULL, "output set on failure");
        return 0;
    }
    fuzz_schedule_roundtrip(s, 1);
    if (fuzz_schedule_small(s)) {
        pps_error verr = {0};
        st = pps_schedule_validate(s, &verr);
        if (st != PPS_OK)
            fuzz_check_error(&verr, st);
    }
    pps_schedule_destroy(s);
    return 0;
}
