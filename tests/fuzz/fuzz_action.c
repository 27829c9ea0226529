/* fuzz_action.c — pps_action_parse (PyTorch action strings). Oracle: whatever parses formats to a
 * canonical string within PPS_ACTION_TEXT_MAX that parses back to the identical action. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_copy(data, size);
    pps_error err = {0};
    pps_action a;
    pps_status st = pps_action_parse(text, size, &a, &err);
    if (st != PPS_OK) {
        fuzz_check_error(&err, st);
        free(text);
        return 0;
    }
    char buf[PPS_ACTION_TEXT_MAX];
    int n = pps_action_format(&a, buf, sizeof buf);
    FUZZ_CHECK(n >= 0 && n < PPS_ACTION_TEXT_MAX, "format length %d", n);
    /* Formatting into a too-small buffer reports the needed length, as snprintf does. */
    char small[4];
    FUZZ_CHECK(pps_action_format(&a, small, sizeof small) == n, "short-buffer length differs");
    pps_action b;
    st = pps_action_parse(buf, (size_t)n, &b, &err);
    FUZZ_CHECK(st == PPS_OK, "canonical form '%s' does not parse: %s", buf, err.msg);
    FUZZ_CHECK(a.kind == b.kind && a.stage == b.stage && a.mb == b.mb && a.kind2 == b.kind2 &&
                   a.stage2 == b.stage2 && a.mb2 == b.mb2,
               "round trip of '%s' changed the action", buf);
    free(text);
    return 0;
}
