/* fuzz_timeline.c — pps_timeline_parse_json (the streaming timeline reader, with the timeline
 * rules), then analysis, memory series and the writers on small accepted timelines. Oracles: no
 * rank of an accepted timeline is busy longer than its makespan; a written timeline reads back
 * with the same header and events. */
#include "fuzz_common.h"

#define FUZZ_MAX_EVENTS 4096
#define FUZZ_MAX_RANKS 64

static pps_status write_tl(const void *t, FILE *fp, pps_error *err)
{
    return pps_timeline_write_json(t, fp, err);
}

static pps_status write_chrome(const void *t, FILE *fp, pps_error *err)
{
    return pps_timeline_write_chrome(t, fp, err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_copy(data, size);
    pps_error err = {0};
    pps_timeline *t = NULL;
    pps_status st = pps_timeline_parse_json(text, size, "fuzz.timeline.json", &t, &err);
    free(text);
    if (st != PPS_OK) {
        fuzz_check_error(&err, st);
        FUZZ_CHECK(t == NULL, "output set on failure");
        return 0;
    }
    if (t->n > FUZZ_MAX_EVENTS || t->ranks > FUZZ_MAX_RANKS) {
        pps_timeline_destroy(t);
        return 0;
    }
    pps_analysis a = {0};
    st = pps_analyze(t, &a, &err);
    if (st != PPS_OK)
        fuzz_check_error(&err, st);
    /* What the timeline rules buy analysis: a rank is never busy longer than the makespan. */
    for (int r = 0; st == PPS_OK && r < a.ranks; r++)
        FUZZ_CHECK(a.per_rank[r].busy <= a.makespan * (1 + 1e-9) + 1e-300,
                   "an accepted timeline has rank %d busy %.17g in a makespan of %.17g", r,
                   a.per_rank[r].busy, a.makespan);
    pps_analysis_clear(&a);
    for (int r = 0; r < t->ranks; r++) {
        pps_memory_point *pts = NULL;
        size_t n = 0;
        st = pps_memory_series(t, r, &pts, &n, &err);
        if (st != PPS_OK)
            fuzz_check_error(&err, st);
        free(pts);
    }
    size_t n = 0;
    char *out = fuzz_write_mem_ex(write_chrome, t, &n, 1);
    free(out);
    out = fuzz_write_mem(write_tl, t, &n);
    pps_timeline *u = NULL;
    st = pps_timeline_parse_json(out, n, "roundtrip.json", &u, &err);
    FUZZ_CHECK(st == PPS_OK, "written timeline does not read back: %s", err.msg);
    FUZZ_CHECK(u->n == t->n && u->ranks == t->ranks && u->stages == t->stages &&
                   u->microbatches == t->microbatches && u->incomplete == t->incomplete &&
                   strcmp(u->schedule, t->schedule) == 0 && strcmp(u->note, t->note) == 0,
               "header changed in the round trip");
    for (size_t i = 0; i < t->n; i++) {
        const pps_event *e = &t->events[i], *f = &u->events[i];
        FUZZ_CHECK(e->start == f->start && e->end == f->end && e->rank == f->rank &&
                       e->peer == f->peer && e->stream == f->stream &&
                       e->action.kind == f->action.kind && e->action.stage == f->action.stage &&
                       e->action.mb == f->action.mb,
                   "event %zu changed in the round trip", i);
    }
    pps_timeline_destroy(u);
    free(out);
    pps_timeline_destroy(t);
    return 0;
}
