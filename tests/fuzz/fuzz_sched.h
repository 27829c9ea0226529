/* fuzz_sched.h — schedule helpers shared by the schedule fuzz targets. */
#ifndef PPS_FUZZ_SCHED_H
#define PPS_FUZZ_SCHED_H

#include "fuzz_common.h"

/* Bounds for the work done on an accepted input, so that a libFuzzer timeout means a real hang
 * and not a legitimately big (but valid) schedule. */
#define FUZZ_MAX_RANKS 64
#define FUZZ_MAX_STAGES 256
#define FUZZ_MAX_CELLS 4096   /* stages x micro-batches */
#define FUZZ_MAX_ACTIONS 4096 /* over all ranks, before lowering */

static inline int fuzz_schedule_small(const pps_schedule *s)
{
    return s->ranks <= FUZZ_MAX_RANKS && s->stages <= FUZZ_MAX_STAGES &&
           (long long)s->stages * s->microbatches <= FUZZ_MAX_CELLS &&
           pps_schedule_count(s, 0) <= FUZZ_MAX_ACTIONS;
}

static pps_status fuzz_write_json(const void *s, FILE *fp, pps_error *err)
{
    return pps_schedule_write_json(s, fp, err);
}

static pps_status fuzz_write_csv(const void *s, FILE *fp, pps_error *err)
{
    return pps_schedule_write_csv(s, fp, err);
}

static inline int fuzz_same_action(const pps_action *a, const pps_action *b)
{
    return a->kind == b->kind && a->stage == b->stage && a->mb == b->mb &&
           a->kind2 == b->kind2 && a->stage2 == b->stage2 && a->mb2 == b->mb2;
}

/* Writes s in its own format, reads it back and compares. A CSV carries no sizes or placement,
 * only programs, so for CSV only the programs are compared. */
static inline void fuzz_schedule_roundtrip(const pps_schedule *s, int csv)
{
    if (!fuzz_schedule_small(s))
        return;
    size_t n = 0;
    char *text = fuzz_write_mem(csv ? fuzz_write_csv : fuzz_write_json, s, &n);
    pps_error err = {0};
    pps_schedule *t = NULL;
    pps_status st = csv ? pps_schedule_parse_csv(text, n, "roundtrip.csv", &t, &err)
                        : pps_schedule_parse_json(text, n, "roundtrip.json", &t, &err);
    FUZZ_CHECK(st == PPS_OK, "written schedule does not read back: %s", err.msg);
    if (!csv)
        FUZZ_CHECK(t->ranks == s->ranks && t->stages == s->stages &&
                       t->microbatches == s->microbatches && t->placement == s->placement &&
                       t->lowered == s->lowered && strcmp(t->name, s->name) == 0,
                   "header changed in the round trip");
    FUZZ_CHECK(t->ranks == s->ranks, "rank count changed: %d -> %d", s->ranks, t->ranks);
    for (int r = 0; r < s->ranks; r++) {
        const pps_program *p = &s->programs[r], *q = &t->programs[r];
        /* A CSV writer may drop trailing idle cells; compare the common prefix and the rest idle. */
        size_t m = p->n < q->n ? p->n : q->n;
        for (size_t i = 0; i < m; i++)
            FUZZ_CHECK(fuzz_same_action(&p->actions[i], &q->actions[i]),
                       "rank %d action %zu changed in the round trip", r, i);
        if (!csv)
            FUZZ_CHECK(p->n == q->n, "rank %d: %zu actions became %zu", r, p->n, q->n);
        for (size_t i = m; i < p->n; i++)
            FUZZ_CHECK(p->actions[i].kind == PPS_IDLE, "rank %d lost action %zu", r, i);
        for (size_t i = m; i < q->n; i++)
            FUZZ_CHECK(q->actions[i].kind == PPS_IDLE, "rank %d gained action %zu", r, i);
    }
    pps_schedule_destroy(t);
    free(text);
}

/* The whole oracle of a schedule-parser target: a refusal leaves no output and gives a well-formed
 * error; an accepted schedule round-trips through its own format (csv) and, when small,
 * validates without crashing. */
typedef pps_status (*fuzz_schedule_parse_fn)(const char *text, size_t len, const char *name,
                                             pps_schedule **out, pps_error *err);

static inline int fuzz_schedule_parser(const uint8_t *data, size_t size,
                                       fuzz_schedule_parse_fn parse, const char *name, int csv)
{
    char *text = fuzz_copy(data, size);
    pps_error err = {0};
    pps_schedule *s = NULL;
    pps_status st = parse(text, size, name, &s, &err);
    free(text);
    if (st != PPS_OK) {
        fuzz_check_error(&err, st);
        FUZZ_CHECK(s == NULL, "output set on failure");
        return 0;
    }
    fuzz_schedule_roundtrip(s, csv);
    if (fuzz_schedule_small(s)) {
        pps_error verr = {0};
        st = pps_schedule_validate(s, &verr);
        if (st != PPS_OK)
            fuzz_check_error(&verr, st);
    }
    pps_schedule_destroy(s);
    return 0;
}

#endif
