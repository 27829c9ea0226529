/* equivalence_digest.c — prints, for every case of equiv_cases.h, the digest of its timeline and
 * of its analysis as lowering, simulating and analysing give them: "i TIMELINE ANALYSIS desc".
 * Built against the library before the stream core (commit fbaae1f), its output is
 * tests/data/equivalence.txt, the previous algorithm's verdict that test_equivalence holds every
 * later build to (tests/README.md says how to regenerate it). */
#include "equiv_cases.h"

int main(void)
{
    for (int i = 0; i < EQ_CASES; i++) {
        pps_schedule *s = NULL, *low = NULL;
        pps_cost c;
        char desc[128];
        if (!eq_case(i, &s, &c, desc, sizeof desc)) {
            printf("%d invalid\n", i);
            continue;
        }
        pps_error err = {0};
        pps_timeline *t = NULL;
        pps_analysis a = {0};
        uint64_t ht = 0xCBF29CE484222325u, ha = 0xCBF29CE484222325u;
        pps_status st = pps_schedule_lower(s, &low, &err);
        if (st == PPS_OK)
            st = pps_simulate(low, &c, &t, &err);
        if (st == PPS_OK)
            st = pps_analyze(t, &a, &err);
        if (st == PPS_OK) {
            eq_hash_timeline(&ht, t);
            eq_hash_analysis(&ha, &a);
        } else {
            eq_hash_failure(&ht, st, err.msg);
            eq_hash_failure(&ha, st, err.msg);
        }
        printf("%d %016llx %016llx %s\n", i, (unsigned long long)ht, (unsigned long long)ha,
               desc);
        pps_analysis_clear(&a);
        pps_timeline_destroy(t);
        pps_schedule_destroy(low);
        pps_schedule_destroy(s);
        pps_cost_clear(&c);
    }
    return 0;
}
