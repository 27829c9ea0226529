/* fuzz_schedule_json.c — pps_schedule_parse_json. Oracles: an accepted schedule validates
 * without crashing (when small), and writing it back and re-reading gives the same sizes and
 * programs. */
#include "fuzz_common.h"

#include "fuzz_sched.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_schedule_parser(data, size, pps_schedule_parse_json, "fuzz.json", 0);
}
