/* fuzz_schedule_json.c — pps_schedule_parse_json. Oracles: an accepted schedule validates
 * without crashing (when small), and writing it back and re-reading gives the same sizes and
 * programs. */
#include "fuzz_common.h"

#include "fuzz_sched.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_copy(data, size);
    pps_error err = {0};
    pps_schedule *s = NULL;
    pps_status st = pps_schedule_parse_json(text, size, "fuzz.json", &s, &err);
    free(text);
    if (st != PPS_OK) {
        fuzz_check_error(&err, st);
        FUZZ_CHECK(s == NULL, "output set on failure");
        return 0;
    }
    fuzz_schedule_roundtrip(s, 0);
    if (fuzz_schedule_small(s)) {
        pps_error verr = {0};
        st = pps_schedule_validate(s, &verr);
        if (st != PPS_OK)
            fuzz_check_error(&verr, st);
    }
    pps_schedule_destroy(s);
    return 0;
}
