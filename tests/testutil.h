/* testutil.h — small helpers shared by the Check suites: running a suite, schedules from action
 * strings, finding an event. */
#ifndef PPS_TESTUTIL_H
#define PPS_TESTUTIL_H

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "ppsim.h"

/* Runs every test of s (each in a child process, Check's default) and returns main's exit
 * status: EXIT_SUCCESS when none failed. */
static inline int run_suite(Suite *s)
{
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* Builds a loop-placed schedule of rows.length ranks from comma-separated action strings,
 * e.g. {"0F0,0F1,0B0,0B1", "1F0,1B0,1F1,1B1"}. Fails the test on any error. */
static inline pps_schedule *schedule_from_rows(int ranks, int stages, int microbatches,
                                               const char *const *rows)
{
    pps_schedule *s = NULL;
    pps_error err = {0};
    ck_assert_msg(pps_schedule_create(ranks, stages, microbatches, PPS_PLACE_LOOP, NULL, &s,
                                      &err) == PPS_OK, "%s", err.msg);
    for (int r = 0; r < ranks; r++) {
        const char *p = rows[r];
        while (*p) {
            const char *q = strchr(p, ',');
            size_t len = q ? (size_t)(q - p) : strlen(p);
            pps_action a;
            ck_assert_msg(pps_action_parse(p, len, &a, &err) == PPS_OK, "%s", err.msg);
            ck_assert(pps_schedule_append(s, r, a, &err) == PPS_OK);
            p += len + (q ? 1 : 0);
        }
    }
    return s;
}

/* The event of rank r whose action text is `text`; fails the test when there is none. */
static inline const pps_event *find_event(const pps_timeline *t, int rank, const char *text)
{
    char buf[PPS_ACTION_TEXT_MAX];
    for (size_t i = 0; i < t->n; i++) {
        pps_action_format(&t->events[i].action, buf, sizeof buf);
        if (t->events[i].rank == rank && strcmp(buf, text) == 0)
            return &t->events[i];
    }
    ck_abort_msg("no event %s on rank %d", text, rank);
    return NULL;
}

#endif
