/* fuzz_csv.c — pps_schedule_parse_csv (PyTorch per-rank CSV). Oracles as fuzz_schedule_json. */
#include "fuzz_common.h"

#include "fuzz_sched.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_schedule_parser(data, size, pps_schedule_parse_csv, "fuzz.csv", 1);
}
