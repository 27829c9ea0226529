/* fuzz_profile.c — pps_profile_parse_json (ppexec --profile output), then calibration. Oracles
 * (sim/ppsim.h): the calibrated cost passes pps_cost_resolve for p->stages, and writing it as a
 * cost file and reading that back resolves too. Calibration runs only for at most 4096 stages. */
#include "fuzz_common.h"

static pps_status write_cost(const void *c, FILE *fp, pps_error *err)
{
    return pps_cost_write_json(c, fp, err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_copy(data, size);
    pps_error err = {0};
    pps_profile *p = NULL;
    pps_status st = pps_profile_parse_json(text, size, "fuzz.profile.json", &p, &err);
    free(text);
    if (st != PPS_OK) {
        fuzz_check_error(&err, st);
        pps_profile_destroy(p);
        return 0;
    }
    if (p->stages > 4096) {
        pps_profile_destroy(p);
        return 0;
    }
    pps_cost c;
    st = pps_profile_to_costs(p, &c, &err);
    if (st != PPS_OK) {
        fuzz_check_error(&err, st);
        pps_cost_clear(&c);
        pps_profile_destroy(p);
        return 0;
    }
    st = pps_cost_resolve(&c, p->stages, &err);
    FUZZ_CHECK(st == PPS_OK, "calibrated cost does not resolve: %s", err.msg);
    size_t n = 0;
    char *out = fuzz_write_mem(write_cost, &c, &n);
    pps_cost d;
    pps_cost_init(&d);
    st = pps_cost_parse_json(out, n, "calibrated.json", &d, &err);
    FUZZ_CHECK(st == PPS_OK, "written cost file does not read back: %s", err.msg);
    st = pps_cost_resolve(&d, p->stages, &err);
    FUZZ_CHECK(st == PPS_OK, "re-read cost file does not resolve: %s", err.msg);
    free(out);
    pps_cost_clear(&d);
    pps_cost_clear(&c);
    pps_profile_destroy(p);
    return 0;
}
