/* fuzz_pipeline.c — whatever parses goes on through validation, lowering, simulation and
 * analysis, with bounded sizes (fuzz_sched.h), so that hangs and deadlock-detection failures show
 * up as timeouts or crashes.
 *
 * Input: byte 0 selects options, the rest is the schedule text.
 *   bit 0: 1 = PyTorch CSV, 0 = ppsim JSON
 *   bit 1: communication on the compute stream (--comm sync)
 *   bit 2: non-zero transfer cost (send_bytes 1, latency 0.5, bandwidth 2)
 *   bit 3: two ranks per node with a slower inter-node link
 * Oracles: a valid compute-only schedule lowers to a valid lowered schedule; a simulation that
 * ends without deadlock gives a timeline that analyses and round-trips through timeline JSON, and
 * PyTorch's compute_comms form of the schedule (with and without waits) runs to the same end; a
 * deadlock gives a non-empty one-line message. */
#include "fuzz_common.h"

#include "fuzz_sched.h"

static pps_status write_tl(const void *t, FILE *fp, pps_error *err)
{
    return pps_timeline_write_json(t, fp, err);
}

/* PyTorch's compute_comms form of a schedule that ran (pps_schedule_for_pytorch): with the
 * 2.15 waits and without, it is valid and runs to the same makespan, as every wait comes after
 * its send has completed or at the end of its rank, and takes no time. */
static void check_pytorch_form(const pps_schedule *run, const pps_cost *c, const pps_timeline *t)
{
    double t1 = 0;
    for (size_t i = 0; i < t->n; i++)
        t1 = t->events[i].end > t1 ? t->events[i].end : t1;
    for (int waits = 0; waits <= 1; waits++) {
        pps_schedule *w = NULL;
        pps_error err = {0};
        pps_status st = pps_schedule_for_pytorch(run, waits, &w, &err);
        FUZZ_CHECK(st == PPS_OK, "for_pytorch failed: %s", err.msg);
        st = pps_schedule_validate(w, &err);
        FUZZ_CHECK(st == PPS_OK, "the PyTorch form is invalid: %s", err.msg);
        pps_timeline *u = NULL;
        st = pps_simulate(w, c, &u, &err);
        FUZZ_CHECK(st == PPS_OK, "the PyTorch form does not run: %s", err.msg);
        double u1 = 0;
        for (size_t i = 0; i < u->n; i++)
            u1 = u->events[i].end > u1 ? u->events[i].end : u1;
        FUZZ_CHECK(u1 == t1, "the PyTorch form ends at %.17g, not %.17g", u1, t1);
        pps_timeline_destroy(u);
        pps_schedule_destroy(w);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    unsigned flags = data[0];
    char *text = fuzz_copy(data + 1, size - 1);
    pps_error err = {0};
    pps_schedule *s = NULL;
    pps_status st = (flags & 1) ? pps_schedule_parse_csv(text, size - 1, "fuzz.csv", &s, &err)
                                : pps_schedule_parse_json(text, size - 1, "fuzz.json", &s, &err);
    free(text);
    if (st != PPS_OK) {
        fuzz_check_error(&err, st);
        return 0;
    }
    if (!fuzz_schedule_small(s)) {
        pps_schedule_destroy(s);
        return 0;
    }
    st = pps_schedule_validate(s, &err);
    if (st != PPS_OK) {
        fuzz_check_error(&err, st);
        pps_schedule_destroy(s);
        return 0;
    }
    pps_schedule *low = NULL;
    if (!s->lowered) {
        st = pps_schedule_lower(s, &low, &err);
        FUZZ_CHECK(st == PPS_OK, "a valid schedule does not lower: %s", err.msg);
        FUZZ_CHECK(low->lowered, "lowered flag not set");
        st = pps_schedule_validate(low, &err);
        FUZZ_CHECK(st == PPS_OK, "the lowered schedule is invalid: %s", err.msg);
        /* Stripping the communication gives back a valid compute-only schedule. */
        pps_schedule *stripped = NULL;
        st = pps_schedule_strip_comms(low, &stripped, &err);
        FUZZ_CHECK(st == PPS_OK, "strip_comms failed: %s", err.msg);
        st = pps_schedule_validate(stripped, &err);
        FUZZ_CHECK(st == PPS_OK, "stripped schedule invalid: %s", err.msg);
        FUZZ_CHECK(pps_schedule_count(stripped, 1) == pps_schedule_count(s, 1),
                   "strip_comms changed the compute count");
        pps_schedule_destroy(stripped);
    }
    const pps_schedule *run = low ? low : s;

    pps_cost c;
    pps_cost_init(&c);
    c.comm_sync = (flags >> 1) & 1;
    if (flags & 4) {
        c.uniform.send_bytes = 1;
        c.intra.latency = 0.5;
        c.intra.bandwidth = 2;
        c.inter = c.intra;
    }
    if (flags & 8) {
        c.ranks_per_node = 2;
        c.inter.latency = 3;
    }
    st = pps_cost_resolve_for(&c, s, &err);
    FUZZ_CHECK(st == PPS_OK, "default cost does not resolve: %s", err.msg);

    pps_timeline *t = NULL;
    st = pps_simulate(run, &c, &t, &err);
    if (st == PPS_OK) {
        pps_analysis a = {0};
        st = pps_analyze(t, &a, &err);
        FUZZ_CHECK(st == PPS_OK, "a simulated timeline does not analyse: %s", err.msg);
        st = pps_timeline_check(t, &err);
        FUZZ_CHECK(st == PPS_OK, "a simulated timeline breaks the timeline rules: %s", err.msg);
        for (int r = 0; r < a.ranks; r++)
            FUZZ_CHECK(a.per_rank[r].busy <= a.makespan * (1 + 1e-9) + 1e-300,
                       "rank %d busy %.17g in a makespan of %.17g", r, a.per_rank[r].busy,
                       a.makespan);
        FUZZ_CHECK(a.compute_actions == pps_schedule_count(run, 1),
                   "simulated %zu compute actions of %zu", a.compute_actions,
                   pps_schedule_count(run, 1));
        pps_analysis_clear(&a);
        size_t n = 0;
        char *out = fuzz_write_mem(write_tl, t, &n);
        pps_timeline *u = NULL;
        st = pps_timeline_parse_json(out, n, "roundtrip.json", &u, &err);
        FUZZ_CHECK(st == PPS_OK, "a simulated timeline does not read back: %s", err.msg);
        FUZZ_CHECK(u->n == t->n, "event count changed in the round trip");
        pps_timeline_destroy(u);
        free(out);
        check_pytorch_form(run, &c, t);
    } else {
        FUZZ_CHECK(st == PPS_EDEADLOCK || st == PPS_EINPUT || st == PPS_EUNSUPPORTED,
                   "simulate: unexpected status %d: %s", (int)st, err.msg);
        fuzz_check_error(&err, st);
        FUZZ_CHECK(t == NULL, "timeline set on failure");
    }
    pps_timeline_destroy(t);
    pps_cost_clear(&c);
    pps_schedule_destroy(low);
    pps_schedule_destroy(s);
    return 0;
}
