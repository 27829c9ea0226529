/* fuzz_cost.c — pps_cost_parse_json, then pps_cost_resolve for a stage count taken from the
 * input's length. Oracles: a resolved cost has finite non-negative times and durations. */
#include "fuzz_common.h"

#include <math.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_copy(data, size);
    pps_error err = {0};
    pps_cost c;
    pps_cost_init(&c);
    pps_status st = pps_cost_parse_json(text, size, "fuzz.costs.json", &c, &err);
    free(text);
    if (st != PPS_OK) {
        fuzz_check_error(&err, st);
        pps_cost_clear(&c);
        return 0;
    }
    int stages = c.nstages > 0 ? c.nstages : (int)(size % 7) + 1;
    st = pps_cost_resolve(&c, stages, &err);
    if (st != PPS_OK) {
        fuzz_check_error(&err, st);
        pps_cost_clear(&c);
        return 0;
    }
    for (int s = 0; s < stages; s++) {
        pps_stage_cost sc = pps_cost_of_stage(&c, s);
        FUZZ_CHECK(isfinite(sc.tf) && sc.tf >= 0 && isfinite(sc.tb) && sc.tb >= 0 &&
                       isfinite(sc.ti) && sc.ti >= 0 && isfinite(sc.tw) && sc.tw >= 0,
                   "stage %d: unresolved or negative time", s);
        FUZZ_CHECK(sc.act_w_bytes <= sc.act_bytes, "stage %d: act_w_bytes > act_bytes", s);
        for (int k = PPS_F; k <= PPS_W; k++) {
            pps_action a = pps_action_make((pps_kind)k, s, 0);
            double d = pps_cost_duration(&c, &a);
            FUZZ_CHECK(isfinite(d) && d >= 0, "stage %d kind %d: duration %g", s, k, d);
        }
        double tr = pps_cost_transfer(&c, 0, s + 1, sc.send_bytes);
        FUZZ_CHECK(!isnan(tr) && tr >= 0, "transfer time %g", tr);
    }
    pps_cost_clear(&c);
    return 0;
}
