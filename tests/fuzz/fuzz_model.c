/* fuzz_model.c — pps_model_parse_json (the model file of `ppsim plan`), then the derived costs
 * of the layout the file asks for. Oracles: a layout the model takes gives finite, non-negative
 * times, FLOPs, sizes and parameters, with act_w_bytes ≤ act_bytes; one it refuses says why. */
#include "fuzz_common.h"

#include <math.h>

static void check_piece(const pps_piece_costs *c, const char *what)
{
    const double v[] = {c->flops_f, c->flops_i, c->flops_w, c->tf, c->ti, c->tw, c->comm_f,
                        c->comm_i, c->act_bytes, c->act_w_bytes, c->params};
    for (size_t i = 0; i < sizeof v / sizeof *v; i++)
        FUZZ_CHECK(isfinite(v[i]) && v[i] >= 0, "%s: value %zu is %g", what, i, v[i]);
    FUZZ_CHECK(c->act_w_bytes <= c->act_bytes, "%s: act_w_bytes > act_bytes", what);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_copy(data, size);
    pps_error err = {0};
    pps_model m;
    /* No folder in the name: a calibration file is looked up in the working directory. */
    pps_status st = pps_model_parse_json(text, size, "fuzz.model.json", &m, &err);
    free(text);
    if (st != PPS_OK) {
        fuzz_check_error(&err, st);
        return 0;
    }
    double params = pps_model_params(&m);
    FUZZ_CHECK(isfinite(params) && params > 0, "parameters %g", params);
    pps_layout l = pps_model_layout(&m);
    pps_model_costs mc;
    st = pps_model_derive(&m, &l, &mc, &err);
    if (st != PPS_OK) {
        fuzz_check_error(&err, st);
        return 0;
    }
    check_piece(&mc.layer, "layer");
    check_piece(&mc.embedding, "embedding");
    check_piece(&mc.lm_head, "lm_head");
    FUZZ_CHECK(mc.microbatches >= 1, "M = %d", mc.microbatches);
    FUZZ_CHECK(isfinite(mc.send_bytes) && mc.send_bytes > 0, "send_bytes %g", mc.send_bytes);
    return 0;
}
