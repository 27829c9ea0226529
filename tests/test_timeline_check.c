/* test_timeline_check.c — the rules every timeline obeys (pps_timeline_check, docs/trace.md
 * "Consistency"): no overlap on a rank's compute stream, each action once, a backward after its
 * forward, every action unless the run is marked incomplete; the simulator's timelines obey
 * them. */
#include <math.h>
#include <stdlib.h>

#include "testutil.h"

/* A timeline of `ranks` ranks, `stages` stages, `mbs` micro-batches whose events are given as
 * "RANK ACTION START END" lines, all on the compute stream unless the action is a SEND/RECV
 * (then on the queue to or from peer `rank ^ 1`). */
static pps_timeline *timeline_of(int ranks, int stages, int mbs, const char *const *lines,
                                 size_t n)
{
    pps_timeline *t = NULL;
    pps_error err = {0};
    ck_assert_msg(pps_timeline_create(ranks, stages, mbs, &t, &err) == PPS_OK, "%s", err.msg);
    for (size_t i = 0; i < n; i++) {
        pps_event e = {0};
        int rank;
        char act[PPS_ACTION_TEXT_MAX];
        ck_assert(sscanf(lines[i], "%d %63s %lf %lf", &rank, act, &e.start, &e.end) == 4);
        e.rank = rank;
        ck_assert_msg(pps_action_parse(act, strlen(act), &e.action, &err) == PPS_OK, "%s",
                      err.msg);
        pps_kind k = (pps_kind)e.action.kind;
        e.peer = pps_kind_is_comm(k) ? rank ^ 1 : -1;
        e.stream = k == PPS_SEND_F || k == PPS_SEND_B   ? PPS_STREAM_SEND
                   : k == PPS_RECV_F || k == PPS_RECV_B ? PPS_STREAM_RECV
                                                        : PPS_STREAM_COMPUTE;
        ck_assert_msg(pps_timeline_append(t, &e, &err) == PPS_OK, "%s", err.msg);
    }
    return t;
}

/* ------------------------------------------------------------------ the simulator's output */

/* Every generator, with B and with I/W costs, overlapped and (where it runs) synchronous
 * communication: the predicted timeline passes the rules analysis relies on. */
START_TEST(every_simulated_timeline_is_consistent)
{
    size_t checked = 0;
    for (size_t g = 0; g < pps_generator_count(); g++) {
        const pps_generator *gen = pps_generator_at(g);
        for (int variant = 0; variant < 4; variant++) {
            pps_gen_params p = {.ranks = 4, .microbatches = 8};
            pps_schedule *s = NULL, *low = NULL;
            pps_timeline *t = NULL;
            pps_error err = {0};
            pps_cost c;
            pps_cost_init(&c);
            if (variant & 1) { /* split backward, uneven: t_I = 0.7, t_W = 0.5 */
                c.uniform.tb = NAN;
                c.uniform.ti = 0.7;
                c.uniform.tw = 0.5;
            }
            c.comm_sync = (variant & 2) != 0;
            c.intra.latency = c.inter.latency = 0.25;
            if (pps_generate(gen, &p, &s, &err) == PPS_OK &&
                pps_schedule_lower(s, &low, &err) == PPS_OK &&
                pps_cost_resolve(&c, s->stages, &err) == PPS_OK &&
                pps_simulate(low, &c, &t, &err) == PPS_OK) {
                ck_assert_msg(pps_timeline_check(t, &err) == PPS_OK, "%s (variant %d): %s",
                              gen->name, variant, err.msg);
                checked++;
            }
            pps_timeline_destroy(t);
            pps_schedule_destroy(low);
            pps_schedule_destroy(s);
            pps_cost_clear(&c);
        }
    }
    /* Every generator takes P = 4, M = 8 at least with overlapped communication. */
    ck_assert_uint_ge(checked, 2 * pps_generator_count());
}
END_TEST

/* A timeline and the rules' verdict on it: msg NULL when it passes, else the exact refusal. One
 * case a row, run by a loop test: each row runs, and fails, on its own, named by its test and
 * case. Events as timeline_of reads them, "RANK ACTION START END", at most 8. */
typedef struct rule_case {
    const char *why;
    int ranks, stages, mbs, incomplete;
    const char *events[8]; /* NULL after the last */
    const char *msg;
} rule_case;

static const rule_case rule_cases[] = {
    /* ------------------------------------------------------------------ overlap */
    /* The example: four 10 s actions at once on one rank, which analysis would report as
     * 40 s busy in a 10 s makespan (a bubble of -3). */
    {"overlapping compute events are refused", 1, 1, 2, 0,
     {"0 0F0 0 10", "0 0F1 0 10", "0 0B0 0 10", "0 0B1 0 10"},
     "$.events[1]: 0F1 on rank 0 starts at 0, before 0F0 ($.events[0]) ends at 10: a rank's "
     "compute events must not overlap"},
    {"touching and zero length events do not overlap (case 1)", 1, 1, 2, 0,
     {"0 0F0 0 1", "0 0F1 1 1", "0 0B0 1 1", "0 0B1 1 3"},
     NULL},
    /* A zero-length event inside another one does overlap it. */
    {"touching and zero length events do not overlap (case 2)", 1, 1, 2, 0,
     {"0 0F0 0 2", "0 0F1 1 1", "0 0B0 2 3", "0 0B1 3 4"},
     "$.events[1]: 0F1 on rank 0 starts at 1, before 0F0 ($.events[0]) ends at 2: a rank's "
     "compute events must not overlap"},
    /* Readers do not rely on event order: events listed out of time order are sorted first. */
    {"events out of time order are checked by time (case 1)", 2, 2, 1, 0,
     {"1 1B0 2 4", "0 0B0 4.5 6.5", "0 0F0 0 1", "1 1F0 1 2"},
     NULL},
    {"events out of time order are checked by time (case 2)", 1, 1, 2, 0,
     {"0 0B1 6 8", "0 0B0 2.5 7", "0 0F1 1 2", "0 0F0 0 1"},
     "$.events[0]: 0B1 on rank 0 starts at 6, before 0B0 ($.events[1]) ends at 7: a rank's "
     "compute events must not overlap"},
    /* Only one rank's own compute stream is sequential: ranks, and a send queue beside the
     * compute stream, run at the same time. */
    {"different ranks and streams may overlap", 2, 2, 1, 0,
     {"0 0F0 0 1", "0 0SEND_F0 1 2", "1 1RECV_F0 0 2", "1 1F0 2 3", "1 1B0 3 5", "1 1SEND_B0 5 6",
      "0 0RECV_B0 0 6", "0 0B0 6 8"},
     NULL},
    /* ------------------------------------------------------------------ each action once */
    {"a repeated action is refused (case 1)", 1, 1, 1, 0,
     {"0 0F0 0 1", "0 0B0 1 3", "0 0F0 3 4"},
     "$.events[2]: 0F0: duplicate F for this stage and micro-batch (after 0F0, $.events[0]): "
     "each action runs once"},
    {"a repeated action is refused (case 2)", 2, 2, 1, 0,
     {"0 0F0 0 1", "0 0SEND_F0 1 2", "0 0SEND_F0 2 3"},
     "$.events[2]: 0SEND_F0: duplicate SEND_F for this stage and micro-batch (after 0SEND_F0, "
     "$.events[1]): each action runs once"},
    {"a b beside an i is refused", 1, 1, 1, 0,
     {"0 0F0 0 1", "0 0I0 1 2", "0 0B0 2 4"},
     "$.events[2]: 0B0: B and I/W both given for this stage and micro-batch (after 0I0, "
     "$.events[1]): each action runs once"},
    /* An OVERLAP_F_B is its two halves: its F repeats a forward as a plain F would. */
    {"overlap f b counts as its two halves (case 1)", 1, 1, 2, 0,
     {"0 0F0 0 1", "0 (0F1;0B0)OVERLAP_F_B 1 4", "0 0B1 4 6"},
     NULL},
    {"overlap f b counts as its two halves (case 2)", 1, 1, 2, 0,
     {"0 0F0 0 1", "0 (0F0;0B0)OVERLAP_F_B 1 4", "0 0F1 4 5", "0 0B1 5 7"},
     "$.events[1]: 0F0: duplicate F for this stage and micro-batch (after 0F0, $.events[0]): "
     "each action runs once"},
    /* ------------------------------------------------------------------ order */
    /* On one rank the B before the F; across ranks (no placement in a timeline) a B that
     * starts while its F still runs. */
    {"a backward before its forward is refused (case 1)", 1, 1, 1, 0,
     {"0 0B0 0 2", "0 0F0 2 3"},
     "$.events[0]: 0B0 starts at 0, before its forward 0F0 ($.events[1]) ends at 3"},
    {"a backward before its forward is refused (case 2)", 2, 1, 1, 0,
     {"0 0F0 0 2", "1 0B0 1.5 3"},
     "$.events[1]: 0B0 starts at 1.5, before its forward 0F0 ($.events[0]) ends at 2"},
    {"a backward before its forward is refused (case 3)", 1, 1, 1, 0,
     {"0 0F0 0 1", "0 0W0 1 2", "0 0I0 2 3"},
     "$.events[1]: 0W0 starts at 1, before its I 0I0 ($.events[2]) ends at 3"},
    /* ------------------------------------------------------------------ completeness */
    {"a complete timeline has every action (case 1)", 1, 1, 2, 0,
     {"0 0F0 0 1", "0 0B0 1 3", "0 0F1 3 4"},
     "$.events: stage 0, micro-batch 1 has no backward (B, or I and W): only a timeline marked "
     "incomplete may miss events"},
    {"a complete timeline has every action (case 2)", 1, 1, 1, 0,
     {"0 0F0 0 1", "0 0I0 1 2"},
     "$.events: stage 0, micro-batch 0 has no W (it has an I): only a timeline marked incomplete "
     "may miss events"},
    {"a complete timeline has every action (case 3)", 1, 1, 1, 0,
     {"0 0B0 0 1"},
     "$.events[0]: 0B0 runs without its forward 0F0: only a timeline marked incomplete may miss "
     "events"},
    /* A measured run that stopped early may miss any event, but what it has obeys the rest. */
    {"an incomplete timeline may miss events but not overlap (case 1)", 1, 1, 3, 1,
     {"0 0F0 0 1", "0 0F1 1 2", "0 0B1 2 4"},
     NULL},
    {"an incomplete timeline may miss events but not overlap (case 2)", 1, 1, 2, 1,
     {"0 0F0 0 2", "0 0F1 1.5 3"},
     "$.events[1]: 0F1 on rank 0 starts at 1.5, before 0F0 ($.events[0]) ends at 2: a rank's "
     "compute events must not overlap"},
    {"an incomplete timeline may miss events but not overlap (case 3)", 1, 1, 1, 1,
     {"0 0F0 0 1", "0 0F0 1 2"},
     "$.events[1]: 0F0: duplicate F for this stage and micro-batch (after 0F0, $.events[0]): "
     "each action runs once"},
    /* ------------------------------------------------------------------ declared sizes */
    /* A timeline declaring far more cells (S x M) than its events name is checked through a
     * table of the cells named (docs/ir.md, "Out of memory"): the same rules and messages. */
    {"declared cells far above the events: a repeated action", 1, 1, 1 << 24, 0,
     {"0 0F16777215 0 1", "0 0B16777215 1 3", "0 0F16777215 3 4"},
     "$.events[2]: 0F16777215: duplicate F for this stage and micro-batch (after 0F16777215, "
     "$.events[0]): each action runs once"},
    {"declared cells far above the events: a backward before its forward", 1, 1, 1 << 24, 0,
     {"0 0B9 0 2", "0 0F9 2 3"},
     "$.events[0]: 0B9 starts at 0, before its forward 0F9 ($.events[1]) ends at 3"},
    {"declared cells far above the events: a backward without its forward", 1, 1, 1 << 24, 0,
     {"0 0B5 0 1"},
     "$.events[0]: 0B5 runs without its forward 0F5: only a timeline marked incomplete may miss "
     "events"},
    /* Complete but for micro-batch 1, the first cell no event names. */
    {"declared cells far above the events: the first missing cell", 1, 1, 1 << 24, 0,
     {"0 0F0 0 1", "0 0B0 1 3", "0 0F2 3 4", "0 0B2 4 6"},
     "$.events: stage 0, micro-batch 1 has no F: only a timeline marked incomplete may miss "
     "events"},
    {"declared cells far above the events: incomplete and consistent", 1, 4096, 4096, 1,
     {"0 4095F4095 0 1", "0 4095B4095 1 2", "0 7F3 2 3", "0 (7F4;7B3)OVERLAP_F_B 3 5"},
     NULL},
};

START_TEST(each_timeline_gets_its_verdict)
{
    const rule_case *c = &rule_cases[_i];
    size_t n = 0;
    while (n < 8 && c->events[n])
        n++;
    pps_timeline *t = timeline_of(c->ranks, c->stages, c->mbs, c->events, n);
    t->incomplete = c->incomplete;
    pps_error err = {0};
    pps_status st = pps_timeline_check(t, &err);
    pps_timeline_destroy(t);
    if (!c->msg) {
        ck_assert_msg(st == PPS_OK, "%s: refused: %s", c->why, err.msg);
        return;
    }
    ck_assert_msg(st == PPS_EINPUT, "%s: status %d, want PPS_EINPUT", c->why, st);
    ck_assert_msg(strcmp(err.msg, c->msg) == 0, "%s:\n got  %s\n want %s", c->why, err.msg,
                  c->msg);
}
END_TEST


static Suite *timeline_check_suite(void)
{
    Suite *s = suite_create("timeline_check");
    TCase *tc = tcase_create("simulated");
    tcase_add_test(tc, every_simulated_timeline_is_consistent);
    suite_add_tcase(s, tc);
    tc = tcase_create("rules");
    tcase_add_loop_test(tc, each_timeline_gets_its_verdict, 0,
                        (int)(sizeof rule_cases / sizeof rule_cases[0]));
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(timeline_check_suite());
}
