/* test_generators.c — schedule orderings, lookup, constraints and an independent dependency check. */
#include "ppsim.h"
#include "testutil.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ helpers */

/* Parameters P, v, M, with the group option G (as text in `text`) when G != 0 and g takes it. */
static pps_gen_params params_for(const pps_generator *g, int P, int v, int M, int G,
                                 char text[16])
{
    pps_gen_params p = {.ranks = P, .chunks = v, .microbatches = M};
    if (G != 0 && pps_generator_option(g, "group")) {
        snprintf(text, 16, "%d", G);
        p.settings[p.nsettings++] = (pps_gen_setting){"group", text};
    }
    return p;
}

/* The group option's value in p, 0 when not given (for messages). */
static int group_of(const pps_gen_params *p)
{
    for (size_t i = 0; i < p->nsettings; i++)
        if (strcmp(p->settings[i].name, "group") == 0)
            return atoi(p->settings[i].value);
    return 0;
}

/* Generates by name and fails the test on any error. */
static pps_schedule *gen(const char *name, int P, int v, int M, int G)
{
    const pps_generator *g = pps_generator_find(name);
    ck_assert_msg(g != NULL, "no generator %s", name);
    char text[16];
    pps_gen_params p = params_for(g, P, v, M, G, text);
    pps_schedule *s = NULL;
    pps_error err = {0};
    pps_status st = pps_generate(g, &p, &s, &err);
    ck_assert_msg(st == PPS_OK, "%s P=%d v=%d M=%d G=%d: %s", name, P, v, M, G, err.msg);
    ck_assert_ptr_nonnull(s);
    return s;
}

/* Fails the test unless generating name with P, v, M, G is refused with status `want` and,
 * when want_msg is not NULL, exactly that message; the schedule pointer must come back NULL. */
static void assert_refused(const char *name, int P, int v, int M, int G, pps_status want,
                           const char *want_msg)
{
    const pps_generator *g = pps_generator_find(name);
    ck_assert_msg(g != NULL, "no generator %s", name);
    char text[16];
    pps_gen_params p = params_for(g, P, v, M, G, text);
    pps_schedule *s = (pps_schedule *)&p; /* must be reset to NULL on failure */
    pps_error err = {0};
    pps_status st = pps_generate(g, &p, &s, &err);
    ck_assert_msg(s == NULL, "%s P=%d v=%d M=%d G=%d: schedule not reset to NULL", name, P, v,
                  M, G);
    ck_assert_msg(st == want, "%s P=%d v=%d M=%d G=%d: status %d, want %d (%s)", name, P, v, M,
                  G, st, want, err.msg);
    ck_assert_msg(!want_msg || strcmp(err.msg, want_msg) == 0,
                  "%s P=%d v=%d M=%d G=%d:\n got  %s\n want %s", name, P, v, M, G, err.msg,
                  want_msg);
}

/* Rank r's program in PyTorch's text form, comma-separated ("0F0,0B0"); formatted here rather
 * than with pps_action_format so this suite depends on the generators alone. */
static char *program_text(const pps_schedule *s, int r)
{
    const pps_program *p = &s->programs[r];
    size_t cap = p->n * 32 + 1, len = 0;
    char *buf = malloc(cap);
    ck_assert_ptr_nonnull(buf);
    buf[0] = '\0';
    for (size_t i = 0; i < p->n; i++) {
        const pps_action *a = &p->actions[i];
        const char *k = a->kind == PPS_F ? "F" : a->kind == PPS_B ? "B" : "?";
        len += (size_t)snprintf(buf + len, cap - len, "%s%d%s%d", i ? "," : "", a->stage, k,
                                a->mb);
    }
    return buf;
}

static void assert_program(const pps_schedule *s, int r, const char *want)
{
    char *got = program_text(s, r);
    ck_assert_msg(strcmp(got, want) == 0, "%s rank %d:\n got  %s\n want %s", s->name, r, got,
                  want);
    free(got);
}

/* The independent second method: runs the compute-only programs with per-action times tf, tb
 * (integers, arbitrary units; I and W take tb/2 each, an overlapped pair tf + tb) and free,
 * asynchronous communication. Each rank runs its program in order (idle cells take no time);
 * an action starts at max(end of the rank's previous action, end of the actions it depends on):
 * F(s,m) on F(s-1,m); B or I(s,m) on F(s,m) and on B/I(s+1,m) (F(S-1,m) for the last stage);
 * W(s,m) on I(s,m); an overlapped pair on both halves' inputs. Returns 0 and the makespan, or
 * -1 when no rank can progress (deadlock) or an action repeats. */
typedef struct unit_run {
    int S, M;
    long *fend, *bend, *wend; /* [S·M] end of F, of B or I, of W; -1 before */
} unit_run;

/* End of what the half (kind, stage, mb) waits for, or -1 while it cannot start. */
static long unit_dep(const unit_run *u, int kind, int stage, int mb)
{
    size_t cell = (size_t)stage * u->M + mb;
    if (kind == PPS_F)
        return stage > 0 ? u->fend[cell - u->M] : 0;
    if (kind == PPS_W)
        return u->bend[cell];
    if (u->fend[cell] < 0)
        return -1;
    return stage < u->S - 1 ? u->bend[cell + u->M] : u->fend[cell];
}

static long *unit_slot(const unit_run *u, int kind, int stage, int mb)
{
    size_t cell = (size_t)stage * u->M + mb;
    return kind == PPS_F ? &u->fend[cell] : kind == PPS_W ? &u->wend[cell] : &u->bend[cell];
}

static int run_unit_times(const pps_schedule *s, long tf, long tb, long *makespan)
{
    const int R = s->ranks, S = s->stages, M = s->microbatches;
    unit_run u = {S, M, malloc((size_t)S * M * sizeof(long)), malloc((size_t)S * M * sizeof(long)),
                  malloc((size_t)S * M * sizeof(long))};
    size_t *pos = calloc((size_t)R, sizeof *pos);
    long *tfree = calloc((size_t)R, sizeof *tfree);
    ck_assert(u.fend && u.bend && u.wend && pos && tfree);
    for (size_t i = 0; i < (size_t)S * M; i++)
        u.fend[i] = u.bend[i] = u.wend[i] = -1;
    size_t left = 0;
    for (int r = 0; r < R; r++)
        left += s->programs[r].n;
    int rc = 0;
    long end_max = 0;
    while (left > 0) {
        int progress = 0;
        for (int r = 0; r < R && rc == 0; r++) {
            const pps_program *p = &s->programs[r];
            while (pos[r] < p->n) {
                const pps_action *a = &p->actions[pos[r]];
                if (a->kind != PPS_IDLE) {
                    int two = a->kind == PPS_OVERLAP_F_B;
                    int k1 = two ? PPS_F : a->kind, k2 = two ? a->kind2 : 0;
                    long dep = unit_dep(&u, k1, a->stage, a->mb), dep2 = 0;
                    if (two)
                        dep2 = unit_dep(&u, k2, a->stage2, a->mb2);
                    if (dep < 0 || dep2 < 0)
                        break;
                    long *done = unit_slot(&u, k1, a->stage, a->mb);
                    long *done2 = two ? unit_slot(&u, k2, a->stage2, a->mb2) : NULL;
                    if (*done >= 0 || (done2 && *done2 >= 0)) {
                        rc = -1; /* the same action twice */
                        break;
                    }
                    long start = tfree[r] > dep ? tfree[r] : dep;
                    start = start > dep2 ? start : dep2;
                    long d = k1 == PPS_F ? tf : k1 == PPS_B ? tb : tb / 2;
                    if (two)
                        d += k2 == PPS_B ? tb : tb / 2;
                    *done = tfree[r] = start + d;
                    if (done2)
                        *done2 = *done;
                    if (*done > end_max)
                        end_max = *done;
                }
                pos[r]++;
                left--;
                progress = 1;
            }
        }
        if (rc != 0 || !progress) {
            rc = -1;
            break;
        }
    }
    free(u.fend);
    free(u.bend);
    free(u.wend);
    free(pos);
    free(tfree);
    *makespan = end_max;
    return rc;
}

/* The largest number of micro-batch activations rank r holds: F adds one, B releases one. */
static int peak_in_flight(const pps_schedule *s, int r)
{
    int cur = 0, peak = 0;
    for (size_t i = 0; i < s->programs[r].n; i++) {
        cur += s->programs[r].actions[i].kind == PPS_F ? 1 : -1;
        if (cur > peak)
            peak = cur;
    }
    return peak;
}

/* ------------------------------------------------------------------ lookup */

START_TEST(lookup_matches_names_and_aliases_ignoring_case)
{
    const struct { const char *query, *name; } cases[] = {
        {"naive", "naive"},
        {"Naive", "naive"},
        {"gpipe", "gpipe"},
        {"GPipe", "gpipe"},
        {"schedulegpipe", "gpipe"},
        {"1f1b", "1f1b"},
        {"1F1B", "1f1b"},
        {"Schedule1F1B", "1f1b"},
        {"PipeDream-Flush", "1f1b"},
        {"pipedreamflush", "1f1b"},
        {"interleaved-1f1b", "interleaved-1f1b"},
        {"Interleaved1F1B", "interleaved-1f1b"},
        {"INTERLEAVED-1f1b", "interleaved-1f1b"},
        {"ScheduleInterleaved1F1B", "interleaved-1f1b"},
        {"megatron-interleaved", "interleaved-1f1b"},
        {"looped-bfs", "looped-bfs"},
        {"LoopedBFS", "looped-bfs"},
        {"ScheduleLoopedBFS", "looped-bfs"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const pps_generator *g = pps_generator_find(cases[i].query);
        ck_assert_msg(g != NULL, "%s not found", cases[i].query);
        ck_assert_str_eq(g->name, cases[i].name);
    }
}
END_TEST

START_TEST(lookup_refuses_unknown_partial_and_empty_names)
{
    ck_assert_ptr_null(pps_generator_find("1f1"));
    ck_assert_ptr_null(pps_generator_find("gpipe2"));
    ck_assert_ptr_null(pps_generator_find("Interleaved"));
    ck_assert_ptr_null(pps_generator_find("zb-h3"));
    ck_assert_ptr_null(pps_generator_find(""));
    ck_assert_ptr_null(pps_generator_find(NULL));
}
END_TEST

START_TEST(table_rows_have_unique_names_and_every_field)
{
    size_t n = pps_generator_count();
    ck_assert_uint_ge(n, 5);
    ck_assert_ptr_null(pps_generator_at(n));
    for (size_t i = 0; i < n; i++) {
        const pps_generator *g = pps_generator_at(i);
        ck_assert(g && g->name && g->aliases && g->summary && g->generate && g->check);
        ck_assert_int_ge(g->default_chunks, 1);
        ck_assert_ptr_eq(pps_generator_find(g->name), g);
        for (size_t j = 0; j < i; j++)
            ck_assert_str_ne(pps_generator_at(j)->name, g->name);
    }
}
END_TEST

/* ------------------------------------------------------------------ exact programs */

/* Programs worked out by hand from each schedule's definition, one case a row (a loop test: each
 * row runs, and fails, on its own, named by `why`); want[r] NULL: rank r is not checked. */
typedef struct exact_case {
    const char *why, *name;
    int P, v, M, G;
    const char *want[4];
} exact_case;

static const exact_case exact_cases[] = {
    {"naive runs one micro-batch at a time", "naive", 2, 1, 2, 0,
     {"0F0,0B0,0F1,0B1", "1F0,1B0,1F1,1B1"}},
    {"gpipe runs all forwards, then all backwards, in order", "gpipe", 2, 0, 3, 0,
     {"0F0,0F1,0F2,0B0,0B1,0B2", "1F0,1F1,1F2,1B0,1B1,1B2"}},
    {"1f1b P=2 M=2 matches the hand-written programs", "1f1b", 2, 1, 2, 0,
     {"0F0,0F1,0B0,0B1", "1F0,1B0,1F1,1B1"}},
    {"1f1b rank 0 warms up P-1 forwards", "1f1b", 4, 1, 8, 0,
     {[0] = "0F0,0F1,0F2,0F3,0B0,0F4,0B1,0F5,0B2,0F6,0B3,0F7,0B4,0B5,0B6,0B7",
      [3] = "3F0,3B0,3F1,3B1,3F2,3B2,3F3,3B3,3F4,3B4,3F5,3B5,3F6,3B6,3F7,3B7"}},
    {"1f1b accepts fewer micro-batches than ranks", "1f1b", 4, 1, 2, 0,
     {[0] = "0F0,0F1,0B0,0B1", [2] = "2F0,2F1,2B0,2B1", [3] = "3F0,3B0,3F1,3B1"}},
    /* G = 3 > P = 2, M = 5: groups [0,3) and [3,5); the last group has 2 >= P micro-batches.
     * Rank 1 warms up (v-1)·G = 3 forwards: table entries (0,0) (1,0) (2,0). */
    {"interleaved groups take G micro-batches per chunk", "interleaved-1f1b", 2, 2, 5, 3,
     {[1] = "1F0,1F1,1F2,3F0,3B0,3F1,3B1,3F2,3B2,1F3,1B0,1F4,1B1,3F3,1B2,3F4,3B3,3B4,1B3,1B4"}},
    {"looped BFS matches PyTorch's order", "looped-bfs", 2, 2, 2, 0,
     {"0F0,0F1,2F0,2F1,2B1,2B0,0B1,0B0", "1F0,1F1,3F0,3F1,3B1,3B0,1B1,1B0"}},
};

START_TEST(generated_programs_match_the_hand_written_ones)
{
    const exact_case *c = &exact_cases[_i];
    pps_schedule *s = gen(c->name, c->P, c->v, c->M, c->G);
    for (int r = 0; r < c->P; r++) {
        if (!c->want[r])
            continue;
        char *got = program_text(s, r);
        ck_assert_msg(strcmp(got, c->want[r]) == 0, "%s: rank %d:\n got  %s\n want %s", c->why,
                      r, got, c->want[r]);
        free(got);
    }
    pps_schedule_destroy(s);
}
END_TEST

START_TEST(one_f_one_b_rank_r_holds_at_most_min_p_minus_r_m_activations)
{
    const int Ms[] = {1, 2, 3, 8, 9};
    for (size_t i = 0; i < sizeof Ms / sizeof Ms[0]; i++) {
        pps_schedule *s = gen("1f1b", 6, 1, Ms[i], 0);
        for (int r = 0; r < 6; r++) {
            int want = 6 - r < Ms[i] ? 6 - r : Ms[i];
            ck_assert_int_eq(peak_in_flight(s, r), want);
        }
        pps_schedule_destroy(s);
    }
}
END_TEST

/* Counted in chunk activations (one micro-batch through one stage): rank r holds its warm-up
 * plus one, min(2(P-1-r) + (v-1)·G + 1, v·M); GPipe and looped BFS hold all v·M. */
START_TEST(interleaved_rank_r_holds_warm_up_plus_one_chunk_activations)
{
    const struct { int P, v, M, G; } cases[] = {
        {2, 2, 4, 0}, {4, 2, 8, 0}, {4, 3, 12, 0}, {4, 2, 14, 5}, {8, 4, 8, 0}, {3, 2, 7, 4},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int P = cases[i].P, v = cases[i].v, M = cases[i].M;
        int G = cases[i].G ? cases[i].G : P;
        pps_schedule *s = gen("interleaved-1f1b", P, v, M, cases[i].G);
        pps_schedule *bfs = gen("looped-bfs", P, v, M, 0);
        for (int r = 0; r < P; r++) {
            int want = 2 * (P - 1 - r) + (v - 1) * G + 1;
            ck_assert_int_eq(peak_in_flight(s, r), want < v * M ? want : v * M);
            ck_assert_int_eq(peak_in_flight(bfs, r), v * M);
        }
        pps_schedule_destroy(s);
        pps_schedule_destroy(bfs);
    }
}
END_TEST

/* Worked out from Megatron's rule with G = P = 2: table (m, c) = (0,0) (1,0) (0,1) (1,1)
 * (2,0) (3,0) (2,1) (3,1); warm-up 4 forwards on rank 0, 2 on rank 1. */
START_TEST(interleaved_p2_v2_m4_matches_megatron_order)
{
    pps_schedule *s = gen("interleaved-1f1b", 2, 2, 4, 0);
    assert_program(s, 0, "0F0,0F1,2F0,2F1,0F2,2B0,0F3,2B1,2F2,0B0,2F3,0B1,2B2,2B3,0B2,0B3");
    assert_program(s, 1, "1F0,1F1,3F0,3B0,3F1,3B1,1F2,1B0,1F3,1B1,3F2,3B2,3F3,3B3,1B2,1B3");
    /* Worked out by hand with tf = 1, tb = 2: the last backward, 0B3, ends at 27. */
    long makespan;
    ck_assert_int_eq(run_unit_times(s, 1, 2, &makespan), 0);
    ck_assert_int_eq(makespan, 27);
    pps_schedule_destroy(s);
}
END_TEST

/* G = 3 > P = 2, M = 5: groups [0,3) and [3,5); the last group has 2 >= P micro-batches. */
START_TEST(generated_schedule_records_name_placement_and_sizes)
{
    pps_gen_params p = {.ranks = 4, .chunks = 0, .microbatches = 8};
    pps_schedule *s = NULL;
    pps_error err = {0};
    ck_assert_int_eq(pps_generate(pps_generator_find("Interleaved1F1B"), &p, &s, &err), PPS_OK);
    ck_assert_str_eq(s->name, "interleaved-1f1b");
    ck_assert_int_eq(s->ranks, 4);
    ck_assert_int_eq(s->chunks, 2); /* the default */
    ck_assert_int_eq(s->stages, 8);
    ck_assert_int_eq(s->microbatches, 8);
    ck_assert_int_eq(s->placement, PPS_PLACE_LOOP);
    ck_assert_int_eq(s->lowered, 0);
    for (int st = 0; st < 8; st++)
        ck_assert_int_eq(s->stage_rank[st], st % 4);
    pps_schedule_destroy(s);
}
END_TEST

/* ------------------------------------------------------------------ constraints and limits */

START_TEST(limits_refuse_zero_ranks_with_field_name)
{
    assert_refused("1f1b", 0, 1, 4, 0, PPS_EINPUT, "ranks: 0 is out of range [1, 65536]");
    assert_refused("1f1b", 65537, 1, 4, 0, PPS_EINPUT,
                   "ranks: 65537 is out of range [1, 65536]");
}
END_TEST

START_TEST(limits_refuse_zero_microbatches_with_field_name)
{
    assert_refused("gpipe", 4, 1, 0, 0, PPS_EINPUT,
                   "microbatches: 0 is out of range [1, 16777216]");
}
END_TEST

START_TEST(limits_refuse_chunks_beyond_1024)
{
    assert_refused("looped-bfs", 2, 1025, 4, 0, PPS_EINPUT,
                   "chunks: 1025 is out of range [1, 1024]");
    assert_refused("looped-bfs", 2, -1, 4, 0, PPS_EINPUT, "chunks: -1 is out of range [1, 1024]");
}
END_TEST

/* 2^16 · 2^10 · 2^24 = 2^50 cells would wrap a 32-bit product; refused before any allocation. */
START_TEST(limits_refuse_cell_overflow_before_allocating)
{
    assert_refused("interleaved-1f1b", 65536, 1024, 16777216, 0, PPS_EINPUT,
                   "ranks x chunks x microbatches = 1125899906842624 exceeds the limit of "
                   "16777216");
    assert_refused("1f1b", 4097, 1, 4096, 0, PPS_EINPUT,
                   "ranks x chunks x microbatches = 16781312 exceeds the limit of 16777216");
}
END_TEST

START_TEST(classic_schedules_refuse_more_than_one_chunk)
{
    assert_refused("1f1b", 4, 2, 8, 0, PPS_EUNSUPPORTED,
                   "1f1b: chunks must be 1 (got 2); for several stages per rank use "
                   "interleaved-1f1b or looped-bfs");
    assert_refused("gpipe", 4, 3, 8, 0, PPS_EUNSUPPORTED, NULL);
    assert_refused("naive", 4, 2, 8, 0, PPS_EUNSUPPORTED, NULL);
}
END_TEST

START_TEST(interleaved_refuses_one_chunk_and_points_to_1f1b)
{
    assert_refused("interleaved-1f1b", 4, 1, 8, 0, PPS_EUNSUPPORTED,
                   "interleaved-1f1b: chunks must be at least 2 (got 1); with one "
                   "stage per rank use 1f1b");
}
END_TEST

START_TEST(interleaved_refuses_last_group_smaller_than_p)
{
    assert_refused("interleaved-1f1b", 4, 2, 6, 0, PPS_EUNSUPPORTED,
                   "interleaved-1f1b: M=6 leaves a last group of M mod G = 2 "
                   "micro-batches (G=4), fewer than P=4; use M a multiple of G or "
                   "M mod G >= P");
    assert_refused("interleaved-1f1b", 4, 2, 13, 5, PPS_EUNSUPPORTED,
                   "interleaved-1f1b: M=13 leaves a last group of M mod G = 3 "
                   "micro-batches (G=5), fewer than P=4; use M a multiple of G or "
                   "M mod G >= P");
    /* M mod G >= P is accepted. */
    pps_schedule_destroy(gen("interleaved-1f1b", 4, 2, 14, 5));
}
END_TEST

/* Why the refusals matter: generated anyway (bypassing the check), such orderings can
 * deadlock even with asynchronous communication. */
static int interleaved_unchecked_deadlocks(int P, int v, int M, int G)
{
    const pps_generator *g = pps_generator_find("interleaved-1f1b");
    char text[16];
    pps_gen_params p = params_for(g, P, v, M, G, text);
    pps_schedule *s = NULL;
    pps_error err = {0};
    ck_assert_int_eq(g->check(&p, &err), PPS_EUNSUPPORTED);
    ck_assert_int_eq(pps_schedule_create(P, P * v, M, PPS_PLACE_LOOP, NULL, &s, &err), PPS_OK);
    ck_assert_int_eq(g->generate(&p, s, &err), PPS_OK);
    long makespan;
    int rc = run_unit_times(s, 1, 2, &makespan);
    pps_schedule_destroy(s);
    return rc != 0;
}

START_TEST(interleaved_refused_configurations_can_deadlock)
{
    ck_assert(interleaved_unchecked_deadlocks(4, 3, 9, 4));  /* last group of 1 < P */
    ck_assert(interleaved_unchecked_deadlocks(8, 2, 10, 8)); /* last group of 2 < P */
    ck_assert(interleaved_unchecked_deadlocks(4, 2, 12, 2)); /* G < P */
}
END_TEST

START_TEST(interleaved_refuses_group_outside_p_to_m)
{
    assert_refused("interleaved-1f1b", 4, 2, 12, 3, PPS_EUNSUPPORTED,
                   "interleaved-1f1b: group G=3 must be at least the ranks P=4");
    assert_refused("interleaved-1f1b", 4, 2, 2, 0, PPS_EUNSUPPORTED,
                   "interleaved-1f1b: group G=4 exceeds the micro-batches M=2 "
                   "(G defaults to P; need P <= G <= M)");
    assert_refused("interleaved-1f1b", 4, 2, 8, -1, PPS_EINPUT,
                   "--group: '-1' is not an integer in [1, 16777216]");
    /* An option of another schedule is refused, not ignored. */
    pps_gen_params p = {.ranks = 4, .chunks = 1, .microbatches = 8, .nsettings = 1,
                        .settings = {{"group", "4"}}};
    pps_schedule *s = NULL;
    pps_error err = {0};
    ck_assert_int_eq(pps_generate(pps_generator_find("1f1b"), &p, &s, &err), PPS_EINPUT);
    ck_assert_str_eq(err.msg, "--group does not apply to schedule 1f1b");
    ck_assert_ptr_null(s);
}
END_TEST

/* ------------------------------------------------------------------ properties of every row */

/* Configurations tried for every generator; those a generator refuses are skipped. */
static const int sweep_P[] = {1, 2, 3, 4, 8};
static const int sweep_v[] = {1, 2, 3, 4};
static const int sweep_M[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 16, 24, 32};
static const int sweep_G[] = {0, 5, 6, 9};
#define LEN(a) (sizeof a / sizeof a[0])

/* Calls fn on every accepted configuration of every generator; returns how many ran. */
static int sweep(void (*fn)(const pps_generator *g, const pps_gen_params *p, pps_schedule *s))
{
    int ran = 0;
    for (size_t gi = 0; gi < pps_generator_count(); gi++) {
        const pps_generator *g = pps_generator_at(gi);
        int gen_ran = 0;
        for (size_t a = 0; a < LEN(sweep_P); a++)
            for (size_t b = 0; b < LEN(sweep_v); b++)
                for (size_t c = 0; c < LEN(sweep_M); c++)
                    for (size_t d = 0; d < LEN(sweep_G); d++) {
                        if (d > 0 && !pps_generator_option(g, "group"))
                            break; /* G only matters to a row that takes it */
                        char text[16];
                        pps_gen_params p =
                            params_for(g, sweep_P[a], sweep_v[b], sweep_M[c], sweep_G[d], text);
                        pps_schedule *s = NULL;
                        pps_error err = {0};
                        pps_status st = pps_generate(g, &p, &s, &err);
                        if (st != PPS_OK) {
                            ck_assert_msg(st == PPS_EUNSUPPORTED, "%s: %s", g->name, err.msg);
                            continue;
                        }
                        fn(g, &p, s);
                        pps_schedule_destroy(s);
                        gen_ran++;
                    }
        ck_assert_msg(gen_ran > 0, "%s accepted no configuration", g->name);
        ran += gen_ran;
    }
    return ran;
}

/* Records one half (kind, stage, mb) at program position i of rank r in pos[kind][cell]. */
static void record_half(const pps_generator *g, const pps_schedule *s, int r, int kind, int stage,
                        int mb, int i, int *pos[5])
{
    const int S = s->stages, M = s->microbatches;
    ck_assert_msg(kind >= PPS_F && kind <= PPS_W, "%s: kind %d", g->name, kind);
    ck_assert(stage >= 0 && stage < S && mb >= 0 && mb < M);
    ck_assert_msg(s->stage_rank[stage] == r, "%s: stage %d on rank %d", g->name, stage, r);
    int *slot = &pos[kind][stage * M + mb];
    ck_assert_msg(*slot < 0, "%s: %d/%d kind %d twice", g->name, stage, mb, kind);
    *slot = i;
}

/* Each (stage, mb) has exactly one F and either one B or one I and one W, on the rank owning
 * the stage, in the order F, then B or I, then W (an overlapped pair counts as both halves). */
static void check_cells(const pps_generator *g, const pps_gen_params *p, pps_schedule *s)
{
    const int S = s->stages, M = s->microbatches;
    ck_assert_int_eq(S, p->ranks * p->chunks);
    int *pos[5] = {NULL};
    for (int k = PPS_F; k <= PPS_W; k++) {
        pos[k] = malloc((size_t)S * M * sizeof *pos[k]);
        ck_assert_ptr_nonnull(pos[k]);
        for (int i = 0; i < S * M; i++)
            pos[k][i] = -1;
    }
    for (int r = 0; r < s->ranks; r++)
        for (size_t i = 0; i < s->programs[r].n; i++) {
            const pps_action *a = &s->programs[r].actions[i];
            if (a->kind == PPS_IDLE)
                continue;
            if (a->kind == PPS_OVERLAP_F_B) {
                record_half(g, s, r, PPS_F, a->stage, a->mb, (int)i, pos);
                record_half(g, s, r, a->kind2, a->stage2, a->mb2, (int)i, pos);
                continue;
            }
            ck_assert(a->stage2 == -1 && a->mb2 == -1 && a->kind2 == 0);
            record_half(g, s, r, a->kind, a->stage, a->mb, (int)i, pos);
        }
    for (int i = 0; i < S * M; i++) {
        int f = pos[PPS_F][i], b = pos[PPS_B][i], in = pos[PPS_I][i], w = pos[PPS_W][i];
        int ok = f >= 0 && (b >= 0 ? in < 0 && w < 0 && b > f : in > f && w > in);
        ck_assert_msg(ok, "%s P=%d v=%d M=%d: cell %d/%d (F %d, B %d, I %d, W %d)", g->name,
                      p->ranks, p->chunks, p->microbatches, i / M, i % M, f, b, in, w);
    }
    for (int k = PPS_F; k <= PPS_W; k++)
        free(pos[k]);
}

START_TEST(every_generator_places_one_f_and_one_b_per_cell_on_its_owner)
{
    ck_assert_int_gt(sweep(check_cells), 100);
}
END_TEST

/* Runs without deadlock and, where the generator gives an analytic bubble, attains it exactly
 * with tf = 1, tb = 2 per stage and free communication. */
static int analytic_checked;
static void check_run(const pps_generator *g, const pps_gen_params *p, pps_schedule *s)
{
    long makespan;
    ck_assert_msg(run_unit_times(s, 1, 2, &makespan) == 0, "%s P=%d v=%d M=%d G=%d deadlocks",
                  g->name, p->ranks, p->chunks, p->microbatches, group_of(p));
    pps_stage_cost c = {.tf = 1, .tb = 2};
    double want = pps_generator_analytic(g, p, &c);
    if (isnan(want))
        return;
    long busy = (long)s->stages * s->microbatches * 3;
    double got = (double)((long)s->ranks * makespan - busy) / (double)busy;
    ck_assert_msg(fabs(got - want) <= 1e-12 * (1 + want),
                  "%s P=%d v=%d M=%d G=%d: idle/compute %.9g, analytic %.9g", g->name, p->ranks,
                  p->chunks, p->microbatches, group_of(p), got, want);
    analytic_checked++;
}

START_TEST(every_generator_runs_without_deadlock_and_meets_its_analytic_bubble)
{
    analytic_checked = 0;
    sweep(check_run);
    ck_assert_int_gt(analytic_checked, 100);
}
END_TEST

START_TEST(analytic_bubbles_follow_the_literature)
{
    pps_stage_cost c = {.tf = 1, .tb = 2};
    pps_gen_params p = {.ranks = 4, .chunks = 0, .microbatches = 8};
    ck_assert_double_eq(pps_generator_analytic(pps_generator_find("naive"), &p, &c), 3.0);
    ck_assert_double_eq(pps_generator_analytic(pps_generator_find("gpipe"), &p, &c), 3.0 / 8);
    ck_assert_double_eq(pps_generator_analytic(pps_generator_find("1f1b"), &p, &c), 3.0 / 8);
    ck_assert_double_eq(pps_generator_analytic(pps_generator_find("interleaved-1f1b"), &p, &c),
                        3.0 / 16);
    ck_assert_double_eq(pps_generator_analytic(pps_generator_find("looped-bfs"), &p, &c),
                        3.0 / 16);
    p.chunks = 4;
    ck_assert_double_eq(pps_generator_analytic(pps_generator_find("interleaved-1f1b"), &p, &c),
                        3.0 / 32);
    /* No formula: looped BFS with M < P, interleaved outside its constraints. */
    p.microbatches = 2;
    ck_assert(isnan(pps_generator_analytic(pps_generator_find("looped-bfs"), &p, &c)));
    ck_assert(isnan(pps_generator_analytic(pps_generator_find("interleaved-1f1b"), &p, &c)));
    ck_assert(isnan(pps_generator_analytic(pps_generator_find("1f1b"), &p, &c)));
}
END_TEST

/* The sweep's interleaved configurations include M multiples of P for P in {2,3,4,8} and v in
 * {2,3,4}; this states the claim directly for the ones the brief names. */
START_TEST(interleaved_bubble_is_p_minus_1_over_v_m_for_m_multiple_of_p)
{
    const int Ps[] = {2, 3, 4, 8}, vs[] = {2, 3, 4};
    for (size_t a = 0; a < LEN(Ps); a++)
        for (size_t b = 0; b < LEN(vs); b++)
            for (int k = 1; k <= 4; k++) {
                int P = Ps[a], v = vs[b], M = k * P;
                pps_schedule *s = gen("interleaved-1f1b", P, v, M, 0);
                long makespan;
                ck_assert_int_eq(run_unit_times(s, 1, 2, &makespan), 0);
                long busy = (long)P * v * M * 3, idle = (long)P * makespan - busy;
                /* idle / busy == (P-1) / (v·M), compared in integers. */
                ck_assert_msg(idle * v * M == (long)(P - 1) * busy,
                              "P=%d v=%d M=%d: idle %ld busy %ld", P, v, M, idle, busy);
                pps_schedule_destroy(s);
            }
}
END_TEST

/* ------------------------------------------------------------------ size */

/* The largest default configuration generates whole. Its speed is a benchmark's business
 * (ppsim-bench prints generate's rate), not a timed assertion on a shared machine. */
START_TEST(interleaved_p64_v4_m4096_generates_every_action)
{
    pps_schedule *s = gen("interleaved-1f1b", 64, 4, 4096, 0);
    ck_assert_uint_eq(s->programs[0].n + s->programs[63].n, 4 * 2 * 4096 * 2);
    pps_schedule_destroy(s);
}
END_TEST

static Suite *generators_suite(void)
{
    Suite *su = suite_create("generators");
    TCase *tc = tcase_create("lookup");
    tcase_add_test(tc, lookup_matches_names_and_aliases_ignoring_case);
    tcase_add_test(tc, lookup_refuses_unknown_partial_and_empty_names);
    tcase_add_test(tc, table_rows_have_unique_names_and_every_field);
    suite_add_tcase(su, tc);

    tc = tcase_create("orderings");
    tcase_add_loop_test(tc, generated_programs_match_the_hand_written_ones, 0,
                        (int)(sizeof exact_cases / sizeof exact_cases[0]));
    tcase_add_test(tc, one_f_one_b_rank_r_holds_at_most_min_p_minus_r_m_activations);
    tcase_add_test(tc, interleaved_p2_v2_m4_matches_megatron_order);
    tcase_add_test(tc, interleaved_rank_r_holds_warm_up_plus_one_chunk_activations);
    tcase_add_test(tc, generated_schedule_records_name_placement_and_sizes);
    suite_add_tcase(su, tc);

    tc = tcase_create("constraints");
    tcase_add_test(tc, limits_refuse_zero_ranks_with_field_name);
    tcase_add_test(tc, limits_refuse_zero_microbatches_with_field_name);
    tcase_add_test(tc, limits_refuse_chunks_beyond_1024);
    tcase_add_test(tc, limits_refuse_cell_overflow_before_allocating);
    tcase_add_test(tc, classic_schedules_refuse_more_than_one_chunk);
    tcase_add_test(tc, interleaved_refuses_one_chunk_and_points_to_1f1b);
    tcase_add_test(tc, interleaved_refuses_last_group_smaller_than_p);
    tcase_add_test(tc, interleaved_refuses_group_outside_p_to_m);
    tcase_add_test(tc, interleaved_refused_configurations_can_deadlock);
    suite_add_tcase(su, tc);

    tc = tcase_create("properties");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, every_generator_places_one_f_and_one_b_per_cell_on_its_owner);
    tcase_add_test(tc, every_generator_runs_without_deadlock_and_meets_its_analytic_bubble);
    tcase_add_test(tc, analytic_bubbles_follow_the_literature);
    tcase_add_test(tc, interleaved_bubble_is_p_minus_1_over_v_m_for_m_multiple_of_p);
    tcase_add_test(tc, interleaved_p64_v4_m4096_generates_every_action);
    suite_add_tcase(su, tc);
    return su;
}

int main(void)
{
    return run_suite(generators_suite());
}
