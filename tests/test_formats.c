/* test_formats.c — schedule JSON and PyTorch CSV: round trips, inference, exact errors. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ppsim.h"
#include "testutil.h"

/* ------------------------------------------------------------------ helpers */

/* Writes s with the given writer and returns the text (caller frees). */
static char *write_text(const pps_schedule *s, int csv)
{
    FILE *fp = tmpfile();
    ck_assert_ptr_nonnull(fp);
    pps_error err = {0};
    pps_status st =
        csv ? pps_schedule_write_csv(s, fp, &err) : pps_schedule_write_json(s, fp, &err);
    ck_assert_msg(st == PPS_OK, "write failed: %s", err.msg);
    long n = ftell(fp);
    ck_assert_int_ge(n, 0);
    rewind(fp);
    char *buf = malloc((size_t)n + 1);
    ck_assert_ptr_nonnull(buf);
    ck_assert_uint_eq(fread(buf, 1, (size_t)n, fp), (size_t)n);
    buf[n] = '\0';
    fclose(fp);
    return buf;
}

static int action_eq(const pps_action *a, const pps_action *b)
{
    return a->kind == b->kind && a->stage == b->stage && a->mb == b->mb &&
           a->stage2 == b->stage2 && a->mb2 == b->mb2 && a->kind2 == b->kind2;
}

static void assert_same_schedule(const pps_schedule *a, const pps_schedule *b)
{
    ck_assert_str_eq(a->name, b->name);
    ck_assert_int_eq(a->ranks, b->ranks);
    ck_assert_int_eq(a->stages, b->stages);
    ck_assert_int_eq(a->microbatches, b->microbatches);
    ck_assert_int_eq(a->chunks, b->chunks);
    ck_assert_int_eq(a->placement, b->placement);
    ck_assert_int_eq(a->lowered, b->lowered);
    for (int s = 0; s < a->stages; s++)
        ck_assert_int_eq(a->stage_rank[s], b->stage_rank[s]);
    /* Check's assertions are slow (each marks a point); compare plainly, assert once. */
    for (int r = 0; r < a->ranks; r++) {
        ck_assert_uint_eq(a->programs[r].n, b->programs[r].n);
        size_t i = 0;
        const pps_action *x = a->programs[r].actions, *y = b->programs[r].actions;
        while (i < a->programs[r].n && action_eq(&x[i], &y[i]))
            i++;
        ck_assert_msg(i == a->programs[r].n, "rank %d action %zu differs", r, i);
    }
}

static pps_schedule *json_ok(const char *text)
{
    pps_schedule *s = NULL;
    pps_error err = {0};
    pps_status st = pps_schedule_parse_json(text, strlen(text), "t.json", &s, &err);
    ck_assert_msg(st == PPS_OK, "parse failed: %s", err.msg);
    return s;
}

/* A text a parser must refuse, and the exact message it gives. */
typedef struct bad_text {
    const char *text, *want;
} bad_text;

/* One of the library's parsers: pps_schedule_parse_json or pps_schedule_parse_csv. */
typedef pps_status (*schedule_parser)(const char *text, size_t len, const char *name,
                                      pps_schedule **out, pps_error *err);

/* Fails the test unless parse refuses text (len bytes, named `name`) with exactly the message
 * want and leaves no schedule. */
static void parse_fails(schedule_parser parse, const char *name, const char *text, size_t len,
                        const char *want)
{
    pps_schedule *s = (pps_schedule *)1;
    pps_error err = {0};
    pps_status st = parse(text, len, name, &s, &err);
    ck_assert_msg(st == PPS_EINPUT, "accepted: %s", text);
    ck_assert_ptr_null(s);
    ck_assert_str_eq(err.msg, want);
}

static void json_fails(const char *text, const char *want)
{
    parse_fails(pps_schedule_parse_json, "t.json", text, strlen(text), want);
}

static pps_schedule *csv_ok_n(const char *text, size_t len)
{
    pps_schedule *s = NULL;
    pps_error err = {0};
    pps_status st = pps_schedule_parse_csv(text, len, "t.csv", &s, &err);
    ck_assert_msg(st == PPS_OK, "parse failed: %s", err.msg);
    return s;
}

static pps_schedule *csv_ok(const char *text)
{
    return csv_ok_n(text, strlen(text));
}

static void csv_fails_n(const char *text, size_t len, const char *want)
{
    parse_fails(pps_schedule_parse_csv, "t.csv", text, len, want);
}

static void csv_fails(const char *text, const char *want)
{
    csv_fails_n(text, strlen(text), want);
}

static void append(pps_schedule *s, int rank, const char *text)
{
    pps_action a;
    pps_error err = {0};
    ck_assert_int_eq(pps_action_parse(text, strlen(text), &a, &err), PPS_OK);
    ck_assert_int_eq(pps_schedule_append(s, rank, a, &err), PPS_OK);
}

/* The trace files sit in traces/ at the repository root; meson runs tests from tests/. */
static char *trace_path(const char *file)
{
    static const char *const roots[] = {"../traces/pytorch/", "traces/pytorch/"};
    for (size_t i = 0; i < 2; i++) {
        size_t n = strlen(roots[i]) + strlen(file) + 1;
        char *p = malloc(n);
        ck_assert_ptr_nonnull(p);
        snprintf(p, n, "%s%s", roots[i], file);
        if (access(p, R_OK) == 0)
            return p;
        free(p);
    }
    ck_abort_msg("trace file %s not found (run from the repository root or tests/)", file);
    return NULL;
}

/* The CSV text with blanks around cells removed, "\r\n" as "\n" and a final newline: what the
 * writer produces for a file it read. */
static char *normalise_csv(const char *text)
{
    size_t n = strlen(text);
    char *out = malloc(n + 2), *o = out;
    ck_assert_ptr_nonnull(out);
    const char *p = text, *end = text + n;
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol)
            eol = end;
        const char *c = p;
        for (;;) {
            const char *comma = memchr(c, ',', (size_t)(eol - c));
            const char *ce = comma ? comma : eol;
            const char *a = c, *b = ce;
            while (a < b && (*a == ' ' || *a == '\t' || *a == '\r'))
                a++;
            while (b > a && (b[-1] == ' ' || b[-1] == '\t' || b[-1] == '\r'))
                b--;
            memcpy(o, a, (size_t)(b - a));
            o += b - a;
            if (!comma)
                break;
            *o++ = ',';
            c = comma + 1;
        }
        *o++ = '\n';
        p = eol < end ? eol + 1 : end;
    }
    *o = '\0';
    return out;
}

static char *slurp(const char *path)
{
    char *text;
    size_t len;
    pps_error err = {0};
    ck_assert_msg(pps_file_slurp(path, &text, &len, &err) == PPS_OK, "%s", err.msg);
    return text;
}

/* ------------------------------------------------------------------ JSON */

#define HEAD                                                                                       \
    "{\"format\": \"ppsim-schedule\", \"version\": 1, \"name\": \"t\", \"ranks\": 2, "           \
    "\"stages\": 2, \"microbatches\": 2, "
#define LOOP_1F1B HEAD "\"placement\": \"loop\", \"programs\": [[\"0F0\"], [\"1F0\"]]"

START_TEST(json_example_document_parses)
{
    pps_schedule *s = json_ok(
        "{\"format\": \"ppsim-schedule\", \"version\": 1, \"name\": \"1f1b\", \"ranks\": 2,\n"
        " \"stages\": 2, \"microbatches\": 2, \"placement\": \"loop\", \"lowered\": false,\n"
        " \"programs\": [[\"0F0\", \"0F1\", \"0B0\", \"0B1\"], [\"1F0\", \"1B0\", \"1F1\", "
        "\"1B1\"]]}");
    ck_assert_str_eq(s->name, "1f1b");
    ck_assert_int_eq(s->ranks, 2);
    ck_assert_int_eq(s->stages, 2);
    ck_assert_int_eq(s->microbatches, 2);
    ck_assert_int_eq(s->chunks, 1);
    ck_assert_int_eq(s->placement, PPS_PLACE_LOOP);
    ck_assert_int_eq(s->lowered, 0);
    ck_assert_uint_eq(s->programs[1].n, 4);
    ck_assert_int_eq(s->programs[1].actions[1].kind, PPS_B);
    ck_assert_int_eq(s->programs[1].actions[1].stage, 1);
    pps_schedule_destroy(s);
}
END_TEST

START_TEST(json_lowered_defaults_to_whether_comm_actions_appear)
{
    pps_schedule *s = json_ok(HEAD "\"placement\": \"loop\", \"programs\": "
                                   "[[\"0F0\", \"0SEND_F0\"], [\"1RECV_F0\", \"1F0\"]]}");
    ck_assert_int_eq(s->lowered, 1);
    pps_schedule_destroy(s);
    s = json_ok(LOOP_1F1B "}");
    ck_assert_int_eq(s->lowered, 0);
    ck_assert_str_eq(s->name, "t");
    pps_schedule_destroy(s);
}
END_TEST

START_TEST(json_round_trip_keeps_every_field)
{
    static const int32_t stage_rank[] = {0, 1, 1};
    pps_schedule *s;
    pps_error err = {0};
    ck_assert_int_eq(pps_schedule_create(2, 3, 4, PPS_PLACE_EXPLICIT, stage_rank, &s, &err),
                     PPS_OK);
    strcpy(s->name, "odd \"name\"\\ with\ttab");
    s->lowered = 1;
    const char *r0[] = {"0UNSHARD", "0F0", "", "0SEND_F0", "(0F1;0B0)OVERLAP_F_B", "0REDUCE_GRAD"};
    const char *r1[] = {"1RECV_F0", "1F0", "2F0", "(2F1;2I0)OVERLAP_F_B", "2W0", "1SEND_B3", ""};
    for (size_t i = 0; i < sizeof r0 / sizeof *r0; i++)
        append(s, 0, r0[i]);
    for (size_t i = 0; i < sizeof r1 / sizeof *r1; i++)
        append(s, 1, r1[i]);

    char *text = write_text(s, 0);
    pps_schedule *back = json_ok(text);
    assert_same_schedule(s, back);
    char *again = write_text(back, 0);
    ck_assert_str_eq(text, again);
    ck_assert_ptr_nonnull(strstr(text, "\"placement\": [0, 1, 1]"));
    ck_assert_ptr_nonnull(strstr(text, "\"lowered\": true"));
    free(again);
    free(text);
    pps_schedule_destroy(back);
    pps_schedule_destroy(s);
}
END_TEST

START_TEST(json_round_trip_of_v_placement_and_empty_program)
{
    pps_schedule *s;
    pps_error err = {0};
    ck_assert_int_eq(pps_schedule_create(2, 4, 1, PPS_PLACE_V, NULL, &s, &err), PPS_OK);
    append(s, 0, "0F0");
    append(s, 0, "3F0");
    char *text = write_text(s, 0);
    pps_schedule *back = json_ok(text);
    assert_same_schedule(s, back);
    ck_assert_int_eq(back->placement, PPS_PLACE_V);
    ck_assert_int_eq(back->stage_rank[3], 0);
    ck_assert_uint_eq(back->programs[1].n, 0);
    free(text);
    pps_schedule_destroy(back);
    pps_schedule_destroy(s);
}
END_TEST

START_TEST(json_writer_puts_one_program_per_line)
{
    pps_schedule *s = json_ok(LOOP_1F1B "}");
    char *text = write_text(s, 0);
    ck_assert_str_eq(text, "{\n"
                           "  \"format\": \"ppsim-schedule\",\n"
                           "  \"version\": 1,\n"
                           "  \"name\": \"t\",\n"
                           "  \"ranks\": 2,\n"
                           "  \"stages\": 2,\n"
                           "  \"microbatches\": 2,\n"
                           "  \"placement\": \"loop\",\n"
                           "  \"lowered\": false,\n"
                           "  \"programs\": [\n"
                           "    [\"0F0\"],\n"
                           "    [\"1F0\"]\n"
                           "  ]\n"
                           "}\n");
    free(text);
    pps_schedule_destroy(s);
}
END_TEST

START_TEST(json_errors_name_the_path_and_the_reason)
{
    static const bad_text cases[] = {
        {"{\n  \"format\": \"ppsim-schedule\",\n  oops\n}", "t.json:3:3: malformed JSON: expected a key"},
        {"", "t.json: empty file, expected a JSON document"},
        {"[1, 2]", "t.json: $: expected an object, got an array"},
        {"{\"format\": \"other\", \"version\": 1}",
         "t.json: $.format: expected \"ppsim-schedule\", got \"other\""},
        {"{\"version\": 1}", "t.json: $.format: missing required field"},
        {"{\"format\": \"ppsim-schedule\", \"version\": 2, \"new\": 1}",
         "t.json: $.version: unsupported version 2 (this reader knows version 1)"},
        {"{\"format\": \"ppsim-schedule\", \"version\": \"1\"}",
         "t.json: $.version: expected an integer, got a string"},
        {LOOP_1F1B ", \"colour\": 1}", "t.json: $.colour: unknown field"},
        {"{\"format\": \"ppsim-schedule\", \"version\": 1, \"stages\": 2, \"microbatches\": 2, "
         "\"placement\": \"loop\", \"programs\": []}",
         "t.json: $.ranks: missing required field"},
        {"{\"format\": \"ppsim-schedule\", \"version\": 1, \"ranks\": \"2\", \"stages\": 2, "
         "\"microbatches\": 2, \"placement\": \"loop\", \"programs\": []}",
         "t.json: $.ranks: expected an integer, got a string"},
        {"{\"format\": \"ppsim-schedule\", \"version\": 1, \"ranks\": 1.5, \"stages\": 2, "
         "\"microbatches\": 2, \"placement\": \"loop\", \"programs\": []}",
         "t.json: $.ranks: expected an integer, got a fraction"},
        {"{\"format\": \"ppsim-schedule\", \"version\": 1, \"ranks\": 0, \"stages\": 2, "
         "\"microbatches\": 2, \"placement\": \"loop\", \"programs\": []}",
         "t.json: $: ranks: 0 is out of range [1, 65536]"},
        {"{\"format\": \"ppsim-schedule\", \"version\": 1, \"ranks\": 2, \"stages\": 3, "
         "\"microbatches\": 2, \"placement\": \"loop\", \"programs\": []}",
         "t.json: $: placement loop: stages (3) must be a multiple of ranks (2)"},
        {"{\"format\": \"ppsim-schedule\", \"version\": 1, \"ranks\": 2, \"stages\": 4096, "
         "\"microbatches\": 4097, \"placement\": \"loop\", \"programs\": []}",
         "t.json: $: stages x microbatches = 16781312 exceeds the limit of 16777216"},
        {"{\"format\": \"ppsim-schedule\", \"version\": 1, \"name\": 7, \"ranks\": 1, "
         "\"stages\": 1, \"microbatches\": 1, \"placement\": \"loop\", \"programs\": [[]]}",
         "t.json: $.name: expected a string, got a number"},
        {"{\"format\": \"ppsim-schedule\", \"version\": 1, \"name\": "
         "\"0123456789012345678901234567890123456789012345678901234567890123\", \"ranks\": 1, "
         "\"stages\": 1, \"microbatches\": 1, \"placement\": \"loop\", \"programs\": [[]]}",
         "t.json: $.name: longer than 63 bytes"},
        {HEAD "\"programs\": [[], []]}", "t.json: $.placement: missing required field"},
        {HEAD "\"placement\": \"loopy\", \"programs\": [[], []]}",
         "t.json: $.placement: unknown placement \"loopy\" (expected \"loop\", \"v\" or a list "
         "of ranks)"},
        {HEAD "\"placement\": 1, \"programs\": [[], []]}",
         "t.json: $.placement: expected a string or an array, got a number"},
        {HEAD "\"placement\": [0, 1, 1], \"programs\": [[], []]}",
         "t.json: $.placement: expected 2 entries (one rank per stage), got 3"},
        {HEAD "\"placement\": [0, 2], \"programs\": [[], []]}",
         "t.json: $.placement[1]: rank 2 is out of range [0, 2)"},
        {HEAD "\"placement\": [-1, 0], \"programs\": [[], []]}",
         "t.json: $.placement[0]: rank -1 is out of range [0, 2)"},
        {HEAD "\"placement\": [0, \"1\"], \"programs\": [[], []]}",
         "t.json: $.placement[1]: expected an integer, got a string"},
        {HEAD "\"placement\": \"loop\", \"lowered\": 0, \"programs\": [[], []]}",
         "t.json: $.lowered: expected a boolean, got a number"},
        {HEAD "\"placement\": \"loop\"}", "t.json: $.programs: missing required field"},
        {HEAD "\"placement\": \"loop\", \"programs\": {}}",
         "t.json: $.programs: expected an array, got an object"},
        {HEAD "\"placement\": \"loop\", \"programs\": [[]]}",
         "t.json: $.programs: expected 2 arrays (one per rank), got 1"},
        {HEAD "\"placement\": \"loop\", \"programs\": [[], \"1F0\"]}",
         "t.json: $.programs[1]: expected an array, got a string"},
        {HEAD "\"placement\": \"loop\", \"programs\": [[], [\"1F0\", 3]]}",
         "t.json: $.programs[1][1]: expected a string, got a number"},
        {HEAD "\"placement\": \"loop\", \"programs\": [[\"0F0\"], [\"1F0\", \"1X0\"]]}",
         "t.json: $.programs[1][1]: unknown action '1X0'"},
        {HEAD "\"placement\": \"loop\", \"programs\": [[\"0F0\"], [\"1F0\", \"1B0\", \"1F1\", "
              "\"1F9\"]]}",
         "t.json: $.programs[1][3]: action '1F9': micro-batch 9 is out of range [0, 2)"},
        {HEAD "\"placement\": \"loop\", \"programs\": [[\"2F0\"], []]}",
         "t.json: $.programs[0][0]: action '2F0': stage 2 is out of range [0, 2)"},
        {HEAD "\"placement\": \"loop\", \"programs\": [[\"(0F0;1B5)OVERLAP_F_B\"], []]}",
         "t.json: $.programs[0][0]: action '(0F0;1B5)OVERLAP_F_B': micro-batch 5 is out of "
         "range [0, 2)"},
        {HEAD "\"placement\": \"loop\", \"lowered\": false, \"programs\": [[\"0F0\", "
              "\"0SEND_F0\"], []]}",
         "t.json: $.programs[0][1]: action '0SEND_F0': communication action in a schedule with "
         "\"lowered\": false"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        json_fails(cases[i].text, cases[i].want);
}
END_TEST

START_TEST(json_two_million_actions_round_trip)
{
    /* 8 ranks x 250000 actions = 2 million actions. */
    pps_schedule *s;
    pps_error err = {0};
    const int R = 8, M = 125000;
    ck_assert_int_eq(pps_schedule_create(R, R, M, PPS_PLACE_LOOP, NULL, &s, &err), PPS_OK);
    pps_status st = PPS_OK;
    for (int r = 0; r < R; r++)
        for (int m = 0; m < M && st == PPS_OK; m++) {
            st = pps_schedule_append(s, r, pps_action_make(PPS_F, r, m), &err);
            if (st == PPS_OK)
                st = pps_schedule_append(s, r, pps_action_make(PPS_B, r, m), &err);
        }
    ck_assert_int_eq(st, PPS_OK);
    char *text = write_text(s, 0);
    /* Speed is bounded by the test timeout (about 1 s natively, 10 s under valgrind). */
    pps_schedule *back = json_ok(text);
    ck_assert_uint_eq(pps_schedule_count(back, 0), (size_t)2 * R * M);
    assert_same_schedule(s, back);
    free(text);
    pps_schedule_destroy(back);
    pps_schedule_destroy(s);
}
END_TEST

/* ------------------------------------------------------------------ CSV */

START_TEST(csv_round_trip_of_each_trace_file_is_cell_for_cell)
{
    static const char *const files[] = {"1f1b_p4_m8.csv", "interleaved_p2_v2_m4.csv",
                                        "1f1b_p2_m2_comms.csv"};
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        char *path = trace_path(files[i]);
        pps_schedule *s = NULL;
        pps_error err = {0};
        ck_assert_msg(pps_schedule_read(path, &s, &err) == PPS_OK, "%s", err.msg);
        char *orig = slurp(path);
        char *want = normalise_csv(orig);
        char *got = write_text(s, 1);
        ck_assert_str_eq(got, want);
        pps_schedule *back = csv_ok(got);
        assert_same_schedule(s, back);
        pps_schedule_destroy(back);
        free(got);
        free(want);
        free(orig);
        free(path);
        pps_schedule_destroy(s);
    }
}
END_TEST

START_TEST(csv_trace_files_infer_sizes_placement_and_lowering)
{
    static const struct {
        const char *file;
        int ranks, stages, mbs, chunks, lowered;
        size_t compute;
    } cases[] = {
        {"1f1b_p4_m8.csv", 4, 4, 8, 1, 0, 64},
        {"interleaved_p2_v2_m4.csv", 2, 4, 4, 2, 0, 32},
        {"1f1b_p2_m2_comms.csv", 2, 2, 2, 1, 1, 8},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *path = trace_path(cases[i].file);
        pps_schedule *s = NULL;
        pps_error err = {0};
        ck_assert_msg(pps_schedule_read(path, &s, &err) == PPS_OK, "%s", err.msg);
        ck_assert_str_eq(s->name, "csv");
        ck_assert_int_eq(s->ranks, cases[i].ranks);
        ck_assert_int_eq(s->stages, cases[i].stages);
        ck_assert_int_eq(s->microbatches, cases[i].mbs);
        ck_assert_int_eq(s->chunks, cases[i].chunks);
        ck_assert_int_eq(s->placement, PPS_PLACE_LOOP);
        ck_assert_int_eq(s->lowered, cases[i].lowered);
        ck_assert_uint_eq(pps_schedule_count(s, 1), cases[i].compute);
        free(path);
        pps_schedule_destroy(s);
    }
}
END_TEST

START_TEST(csv_empty_cell_is_idle_slot)
{
    pps_schedule *s = csv_ok("0F0,,0B0\n, 1F0 ,1B0,\n");
    ck_assert_uint_eq(s->programs[0].n, 3);
    ck_assert_int_eq(s->programs[0].actions[1].kind, PPS_IDLE);
    ck_assert_uint_eq(s->programs[1].n, 4);
    ck_assert_int_eq(s->programs[1].actions[0].kind, PPS_IDLE);
    ck_assert_int_eq(s->programs[1].actions[3].kind, PPS_IDLE);
    ck_assert_uint_eq(pps_schedule_count(s, 1), 4);
    char *text = write_text(s, 1);
    ck_assert_str_eq(text, "0F0,,0B0\n,1F0,1B0,\n");
    free(text);
    pps_schedule_destroy(s);
}
END_TEST

START_TEST(csv_infers_loop_v_and_explicit_placement)
{
    pps_schedule *s = csv_ok("0F0,2F0\n1F0,3F0\n");
    ck_assert_int_eq(s->placement, PPS_PLACE_LOOP);
    ck_assert_int_eq(s->chunks, 2);
    pps_schedule_destroy(s);

    s = csv_ok("0F0,3F0\n1F0,2F0\n");
    ck_assert_int_eq(s->placement, PPS_PLACE_V);
    ck_assert_int_eq(s->stage_rank[3], 0);
    pps_schedule_destroy(s);

    s = csv_ok("0F0,2F0,1UNSHARD\n3F0\n");
    ck_assert_int_eq(s->placement, PPS_PLACE_EXPLICIT);
    ck_assert_int_eq(s->stages, 4);
    ck_assert_int_eq(s->stage_rank[0], 0);
    ck_assert_int_eq(s->stage_rank[1], 0);
    ck_assert_int_eq(s->stage_rank[2], 0);
    ck_assert_int_eq(s->stage_rank[3], 1);
    char *text = write_text(s, 0);
    ck_assert_ptr_nonnull(strstr(text, "\"placement\": [0, 0, 0, 1]"));
    free(text);
    pps_schedule_destroy(s);
}
END_TEST

START_TEST(csv_composite_action_places_both_halves)
{
    pps_schedule *s = csv_ok("(0F1;3B0)OVERLAP_F_B,0F0\n1F0,2F0\n");
    ck_assert_int_eq(s->placement, PPS_PLACE_V);
    ck_assert_int_eq(s->microbatches, 2);
    char *text = write_text(s, 1);
    ck_assert_str_eq(text, "(0F1;3B0)OVERLAP_F_B,0F0\n1F0,2F0\n");
    free(text);
    pps_schedule_destroy(s);
}
END_TEST

START_TEST(csv_accepts_crlf_quotes_bom_and_no_final_newline)
{
    pps_schedule *s = csv_ok("\xEF\xBB\xBF\"0F0\" , 0F1 \r\n 1F0,\"\",\"(1F1;1B0)OVERLAP_F_B\"");
    ck_assert_int_eq(s->ranks, 2);
    ck_assert_uint_eq(s->programs[0].n, 2);
    ck_assert_uint_eq(s->programs[1].n, 3);
    ck_assert_int_eq(s->programs[1].actions[1].kind, PPS_IDLE);
    ck_assert_int_eq(s->programs[1].actions[2].kind, PPS_OVERLAP_F_B);
    pps_schedule_destroy(s);
}
END_TEST

START_TEST(csv_trailing_newline_is_not_a_rank_but_a_blank_row_is)
{
    pps_schedule *s = csv_ok("0F0\n1F0\n");
    ck_assert_int_eq(s->ranks, 2);
    pps_schedule_destroy(s);

    s = csv_ok("0F0\n  \r\n1F0\n");
    ck_assert_int_eq(s->ranks, 3);
    ck_assert_uint_eq(s->programs[1].n, 0);
    ck_assert_int_eq(s->placement, PPS_PLACE_EXPLICIT);
    ck_assert_int_eq(s->stage_rank[1], 2);
    char *text = write_text(s, 1);
    ck_assert_str_eq(text, "0F0\n\n1F0\n");
    free(text);
    pps_schedule_destroy(s);
}
END_TEST

START_TEST(csv_lone_idle_cell_is_written_quoted_and_reads_back)
{
    pps_schedule *s = csv_ok("0F0\n\"\"\n");
    ck_assert_int_eq(s->ranks, 2);
    ck_assert_uint_eq(s->programs[1].n, 1);
    ck_assert_int_eq(s->programs[1].actions[0].kind, PPS_IDLE);
    char *text = write_text(s, 1);
    ck_assert_str_eq(text, "0F0\n\"\"\n");
    free(text);
    pps_schedule_destroy(s);
}
END_TEST

START_TEST(csv_unshard_and_reduce_grad_count_without_micro_batch)
{
    pps_schedule *s = csv_ok("0UNSHARD,0F0,0REDUCE_GRAD\n");
    ck_assert_int_eq(s->stages, 1);
    ck_assert_int_eq(s->microbatches, 1);
    ck_assert_int_eq(s->programs[0].actions[0].mb, -1);
    pps_schedule_destroy(s);
    s = csv_ok("0RESHARD\n");
    ck_assert_int_eq(s->microbatches, 1);
    pps_schedule_destroy(s);
}
END_TEST

START_TEST(csv_errors_name_line_and_cell)
{
    static const bad_text cases[] = {
        {"", "t.csv: empty file, no ranks"},
        {"\n \r\n\t\n", "t.csv: empty file, no ranks"},
        {"0F0\n0F1\n", "t.csv:2: cell 1: stage 0 appears on two ranks: 0 (line 1) and 1 (line 2)"},
        {"0F0,1F0\n,,1B0\n",
         "t.csv:2: cell 3: stage 1 appears on two ranks: 0 (line 1) and 1 (line 2)"},
        {"0F0,0F1\n1F0,1X0\n", "t.csv:2: cell 2: unknown action '1X0'"},
        {"0F0, 0F\n", "t.csv:1: cell 2: action '0F': missing micro-batch"},
        {"0F0\n2F0\n", "t.csv: stage 1 appears on no rank"},
        {",,\n", "t.csv: no action names a stage, cannot infer the stages"},
        {"\"0F0\n", "t.csv:1: cell 1: unterminated quoted cell"},
        {"\"0F0\"x,0F1\n", "t.csv:1: cell 1: unexpected text after a quoted cell"},
        {"0F0;0F1\n", "t.csv:1: cell 1: action '0F0;0F1': unexpected ';0F1' after the action"},
        {"16777216F0\n",
         "t.csv:1: cell 1: action '16777216F0': stage 16777216 exceeds the limit of 16777215"},
        {"0F16777216\n",
         "t.csv:1: cell 1: action '0F16777216': micro-batch 16777216 exceeds the limit of "
         "16777215"},
        {"0F0\n1F8388608\n",
         "t.csv: stages x microbatches = 16777218 exceeds the limit of 16777216"},
        {"\x89PNG\r\n\x1a\n", "t.csv:1: cell 1: unknown action '?PNG'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        csv_fails(cases[i].text, cases[i].want);
}
END_TEST

START_TEST(csv_nul_byte_is_refused)
{
    static const char text[] = "0F0,0F\0" "1\n1F0\n";
    csv_fails_n(text, sizeof text - 1, "t.csv:1: cell 2: action '0F?1': contains a NUL byte");
}
END_TEST

START_TEST(csv_very_long_garbage_line_gives_a_short_error)
{
    size_t n = 1 << 20;
    char *text = malloc(n);
    ck_assert_ptr_nonnull(text);
    memset(text, 'A', n);
    csv_fails_n(text, n, "t.csv:1: cell 1: unknown action "
                         "'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA...'");
    /* Random bytes must give an error, never a crash. */
    srand(7);
    for (size_t i = 0; i < n; i++)
        text[i] = (char)(rand() & 0xff);
    pps_schedule *s = NULL;
    pps_error err = {0};
    pps_status st = pps_schedule_parse_csv(text, n, "t.csv", &s, &err);
    ck_assert_int_eq(st, PPS_EINPUT);
    ck_assert_ptr_null(s);
    ck_assert_ptr_null(strchr(err.msg, '\n'));
    free(text);
}
END_TEST

START_TEST(csv_two_million_cell_line_parses)
{
    /* One rank, 2 million cells. */
    const int M = 1000000;
    size_t cap = (size_t)M * 20, n = 0;
    char *text = malloc(cap);
    ck_assert_ptr_nonnull(text);
    for (int m = 0; m < M; m++)
        n += (size_t)snprintf(text + n, cap - n, "%s0F%d, 0B%d", m ? ", " : "", m, m);
    text[n++] = '\n';
    pps_schedule *s = csv_ok_n(text, n);
    ck_assert_int_eq(s->microbatches, M);
    ck_assert_uint_eq(s->programs[0].n, (size_t)2 * M);
    pps_schedule_destroy(s);
    free(text);
}
END_TEST

/* ------------------------------------------------------------------ files */

START_TEST(read_picks_the_parser_by_extension)
{
    char path[64];
    snprintf(path, sizeof path, "/tmp/ppsim-test-%ld.CSV", (long)getpid());
    FILE *fp = fopen(path, "wb");
    ck_assert_ptr_nonnull(fp);
    fputs("0F0,0B0\n", fp);
    fclose(fp);
    pps_schedule *s = NULL;
    pps_error err = {0};
    ck_assert_msg(pps_schedule_read(path, &s, &err) == PPS_OK, "%s", err.msg);
    ck_assert_str_eq(s->name, "csv");
    pps_schedule_destroy(s);

    /* The same text under another name is read as JSON, and errors carry the path. */
    snprintf(path, sizeof path, "/tmp/ppsim-test-%ld.json", (long)getpid());
    fp = fopen(path, "wb");
    ck_assert_ptr_nonnull(fp);
    fputs("0F0,0B0\n", fp);
    fclose(fp);
    ck_assert_int_eq(pps_schedule_read(path, &s, &err), PPS_EINPUT);
    ck_assert_ptr_null(s);
    char want[128];
    snprintf(want, sizeof want, "%s:1:2: malformed JSON: text after the document", path);
    ck_assert_str_eq(err.msg, want);
    remove(path);
    snprintf(path, sizeof path, "/tmp/ppsim-test-%ld.CSV", (long)getpid());
    remove(path);

    ck_assert_int_eq(pps_schedule_read("/nonexistent/x.csv", &s, &err), PPS_EIO);
    ck_assert_str_eq(err.msg, "/nonexistent/x.csv: cannot open: No such file or directory");
}
END_TEST

static Suite *formats_suite(void)
{
    Suite *s = suite_create("formats");
    TCase *json = tcase_create("json");
    tcase_set_timeout(json, 60);
    tcase_add_test(json, json_example_document_parses);
    tcase_add_test(json, json_lowered_defaults_to_whether_comm_actions_appear);
    tcase_add_test(json, json_round_trip_keeps_every_field);
    tcase_add_test(json, json_round_trip_of_v_placement_and_empty_program);
    tcase_add_test(json, json_writer_puts_one_program_per_line);
    tcase_add_test(json, json_errors_name_the_path_and_the_reason);
    tcase_add_test(json, json_two_million_actions_round_trip);
    suite_add_tcase(s, json);

    TCase *csv = tcase_create("csv");
    tcase_set_timeout(csv, 60);
    tcase_add_test(csv, csv_round_trip_of_each_trace_file_is_cell_for_cell);
    tcase_add_test(csv, csv_trace_files_infer_sizes_placement_and_lowering);
    tcase_add_test(csv, csv_empty_cell_is_idle_slot);
    tcase_add_test(csv, csv_infers_loop_v_and_explicit_placement);
    tcase_add_test(csv, csv_composite_action_places_both_halves);
    tcase_add_test(csv, csv_accepts_crlf_quotes_bom_and_no_final_newline);
    tcase_add_test(csv, csv_trailing_newline_is_not_a_rank_but_a_blank_row_is);
    tcase_add_test(csv, csv_lone_idle_cell_is_written_quoted_and_reads_back);
    tcase_add_test(csv, csv_unshard_and_reduce_grad_count_without_micro_batch);
    tcase_add_test(csv, csv_errors_name_line_and_cell);
    tcase_add_test(csv, csv_nul_byte_is_refused);
    tcase_add_test(csv, csv_very_long_garbage_line_gives_a_short_error);
    tcase_add_test(csv, csv_two_million_cell_line_parses);
    suite_add_tcase(s, csv);

    TCase *files = tcase_create("files");
    tcase_add_test(files, read_picks_the_parser_by_extension);
    suite_add_tcase(s, files);
    return s;
}

int main(void)
{
    return run_suite(formats_suite());
}
