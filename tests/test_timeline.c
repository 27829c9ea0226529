/* test_timeline.c — timeline container, timeline JSON round trips and errors, Chrome export. */
#include <check.h>
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ppsim.h"
#include "testutil.h"

/* ------------------------------------------------------------------ helpers */

static void add(pps_timeline *t, int rank, pps_stream stream, int peer, pps_kind kind, int stage,
                int mb, double start, double end)
{
    pps_event e = {0};
    e.rank = rank;
    e.stream = (uint8_t)stream;
    e.peer = peer;
    e.action = pps_action_make(kind, stage, mb);
    e.start = start;
    e.end = end;
    pps_error err = {0};
    ck_assert_msg(pps_timeline_append(t, &e, &err) == PPS_OK, "%s", err.msg);
}

/* The worked example: two ranks, 1F1B, M = 2, t_F = 1, t_B = 2, latency 0.5. */
static pps_timeline *example(void)
{
    pps_timeline *t;
    pps_error err = {0};
    ck_assert_msg(pps_timeline_create(2, 2, 2, &t, &err) == PPS_OK, "%s", err.msg);
    strcpy(t->schedule, "1f1b");
    const pps_stream C = PPS_STREAM_COMPUTE, S = PPS_STREAM_SEND, R = PPS_STREAM_RECV;
    add(t, 0, C, -1, PPS_F, 0, 0, 0, 1);
    add(t, 0, S, 1, PPS_SEND_F, 0, 0, 1, 1.5);
    add(t, 0, C, -1, PPS_F, 0, 1, 1, 2);
    add(t, 0, S, 1, PPS_SEND_F, 0, 1, 2, 2.5);
    add(t, 0, R, 1, PPS_RECV_B, 0, 0, 0, 5);
    add(t, 0, C, -1, PPS_B, 0, 0, 5, 7);
    add(t, 0, R, 1, PPS_RECV_B, 0, 1, 5, 8);
    add(t, 0, C, -1, PPS_B, 0, 1, 8, 10);
    add(t, 1, R, 0, PPS_RECV_F, 1, 0, 0, 1.5);
    add(t, 1, C, -1, PPS_F, 1, 0, 1.5, 2.5);
    add(t, 1, R, 0, PPS_RECV_F, 1, 1, 1.5, 2.5);
    add(t, 1, C, -1, PPS_B, 1, 0, 2.5, 4.5);
    add(t, 1, S, 0, PPS_SEND_B, 1, 0, 4.5, 5);
    add(t, 1, C, -1, PPS_F, 1, 1, 4.5, 5.5);
    add(t, 1, C, -1, PPS_B, 1, 1, 5.5, 7.5);
    add(t, 1, S, 0, PPS_SEND_B, 1, 1, 7.5, 8);
    return t;
}

/* Runs a writer into memory; returns the NUL-terminated text (caller frees). */
static char *write_to_string(pps_status (*wr)(const pps_timeline *, FILE *, pps_error *),
                             const pps_timeline *t, size_t *len)
{
    char *buf = NULL;
    size_t n = 0;
    FILE *fp = open_memstream(&buf, &n);
    ck_assert_ptr_nonnull(fp);
    pps_error err = {0};
    ck_assert_msg(wr(t, fp, &err) == PPS_OK, "%s", err.msg);
    fclose(fp);
    if (len)
        *len = n;
    return buf;
}

static void assert_same_events(const pps_timeline *a, const pps_timeline *b)
{
    ck_assert_uint_eq(a->n, b->n);
    for (size_t i = 0; i < a->n; i++) {
        const pps_event *x = &a->events[i], *y = &b->events[i];
        ck_assert_int_eq(x->rank, y->rank);
        ck_assert_int_eq(x->stream, y->stream);
        ck_assert_int_eq(x->peer, y->peer);
        ck_assert_int_eq(x->action.kind, y->action.kind);
        ck_assert_int_eq(x->action.stage, y->action.stage);
        ck_assert_int_eq(x->action.mb, y->action.mb);
        ck_assert_int_eq(x->action.kind2, y->action.kind2);
        ck_assert_int_eq(x->action.stage2, y->action.stage2);
        ck_assert_int_eq(x->action.mb2, y->action.mb2);
        /* Bitwise, not approximately: the format promises exact round trips. */
        ck_assert_msg(memcmp(&x->start, &y->start, sizeof x->start) == 0,
                      "event %zu start %.17g != %.17g", i, x->start, y->start);
        ck_assert_msg(memcmp(&x->end, &y->end, sizeof x->end) == 0,
                      "event %zu end %.17g != %.17g", i, x->end, y->end);
    }
}

/* A two-rank, two-stage, two-micro-batch timeline file with the given events (text inside the
 * array) and extra header members (text ending in ", " or empty). */
static pps_status parse_doc(const char *extra, const char *events, pps_error *err)
{
    char doc[4096];
    snprintf(doc, sizeof doc,
             "{\"format\": \"ppsim-timeline\", \"version\": 1, %s\"ranks\": 2, \"stages\": 2, "
             "\"microbatches\": 2, \"events\": [%s]}",
             extra, events);
    pps_timeline *t = NULL;
    pps_status st = pps_timeline_parse_json(doc, strlen(doc), "bad.json", &t, err);
    ck_assert(st == PPS_OK ? t != NULL : t == NULL);
    pps_timeline_destroy(t);
    return st;
}

static void assert_error(const char *extra, const char *events, const char *want)
{
    pps_error err = {0};
    ck_assert_int_eq(parse_doc(extra, events, &err), PPS_EINPUT);
    ck_assert_str_eq(err.msg, want);
}

/* ------------------------------------------------------------------ container */

START_TEST(create_sets_defaults_and_derives_chunks)
{
    pps_timeline *t;
    pps_error err = {0};
    ck_assert_int_eq(pps_timeline_create(2, 4, 8, &t, &err), PPS_OK);
    ck_assert_str_eq(t->source, "simulated");
    ck_assert_str_eq(t->backend, "sim");
    ck_assert_int_eq(t->chunks, 2);
    ck_assert_ptr_null(t->act_bytes);
    ck_assert_uint_eq(t->n, 0);
    pps_timeline_destroy(t);
    ck_assert_int_eq(pps_timeline_create(2, 3, 8, &t, &err), PPS_OK);
    ck_assert_int_eq(t->chunks, 0);
    pps_timeline_destroy(t);
    pps_timeline_destroy(NULL);
}
END_TEST

START_TEST(create_refuses_sizes_beyond_the_limits)
{
    pps_timeline *t = (pps_timeline *)1;
    pps_error err = {0};
    ck_assert_int_eq(pps_timeline_create(0, 1, 1, &t, &err), PPS_EINPUT);
    ck_assert_ptr_null(t);
    ck_assert_str_eq(err.msg, "ranks: 0 is out of range [1, 65536]");
    ck_assert_int_eq(pps_timeline_create(1, 1, 0, &t, &err), PPS_EINPUT);
    ck_assert_int_eq(pps_timeline_create(1, 4096, 8192, &t, &err), PPS_EINPUT);
    ck_assert_str_eq(err.msg, "stages x microbatches = 33554432 exceeds the limit of 16777216");
}
END_TEST

START_TEST(append_grows_and_keeps_order)
{
    pps_timeline *t;
    pps_error err = {0};
    ck_assert_int_eq(pps_timeline_create(1, 1, 1, &t, &err), PPS_OK);
    for (int i = 0; i < 100000; i++)
        add(t, 0, PPS_STREAM_COMPUTE, -1, PPS_F, 0, 0, i, i + 1);
    ck_assert_uint_eq(t->n, 100000);
    ck_assert(t->cap >= t->n);
    ck_assert(t->events[99999].start == 99999);
    pps_event e = {0};
    e.rank = 1;
    ck_assert_int_eq(pps_timeline_append(t, &e, &err), PPS_EINPUT);
    pps_timeline_destroy(t);
}
END_TEST

/* ------------------------------------------------------------------ JSON */

START_TEST(json_writes_one_compact_array_per_event)
{
    pps_timeline *t = example();
    char *text = write_to_string(pps_timeline_write_json, t, NULL);
    ck_assert_ptr_nonnull(strstr(text, "\"format\": \"ppsim-timeline\", \"version\": 1"));
    ck_assert_ptr_nonnull(strstr(text, "\"time_unit\": \"s\""));
    ck_assert_ptr_nonnull(strstr(text, "\n[0,\"compute\",\"0F0\",0,1],\n"));
    ck_assert_ptr_nonnull(strstr(text, "\n[0,\"send:1\",\"0SEND_F0\",1,1.5],\n"));
    ck_assert_ptr_nonnull(strstr(text, "\n[1,\"recv:0\",\"1RECV_F1\",1.5,2.5],\n"));
    ck_assert_ptr_null(strstr(text, "act_bytes")); /* NULL means the default, not written */
    free(text);
    pps_timeline_destroy(t);
}
END_TEST

START_TEST(json_round_trip_keeps_events_and_header_exactly)
{
    pps_timeline *t = example(), *u = NULL;
    pps_error err = {0};
    strcpy(t->source, "measured");
    strcpy(t->backend, "cuda");
    strcpy(t->note, "host \"a\"\tback\\slash\nline");
    t->incomplete = 1;
    t->act_bytes = malloc(2 * sizeof(double));
    t->act_w_bytes = malloc(2 * sizeof(double));
    t->act_bytes[0] = 4e9;
    t->act_bytes[1] = 0.1;
    t->act_w_bytes[0] = 1e9 / 3;
    t->act_w_bytes[1] = 0;
    /* Doubles that need all 17 digits, tiny and huge values, on actions that keep the timeline
     * consistent (pps_timeline_check): rank 1 is idle before 1.5 s, rank 0 after 10 s, and the
     * OVERLAP_F_B takes a third micro-batch (the run is incomplete, so 1F2 may be missing). */
    t->microbatches = 3;
    add(t, 1, PPS_STREAM_COMPUTE, -1, PPS_RESHARD, 1, -1, 0.1, 1.0 / 3);
    add(t, 1, PPS_STREAM_COMPUTE, -1, PPS_REDUCE_GRAD, 1, -1, 5e-324, 2.2250738585072014e-308);
    add(t, 0, PPS_STREAM_COMPUTE, -1, PPS_UNSHARD, 0, -1, 123456789.123456789, 1e300);
    pps_event ov = {0};
    ov.rank = 0;
    ov.peer = -1;
    ov.action = (pps_action){0, 2, 1, 2, PPS_OVERLAP_F_B, PPS_I};
    ov.start = nextafter(7.0, 8.0);
    ov.end = 8;
    ck_assert_int_eq(pps_timeline_append(t, &ov, &err), PPS_OK);

    size_t len;
    char *text = write_to_string(pps_timeline_write_json, t, &len);
    ck_assert_msg(pps_timeline_parse_json(text, len, "rt.json", &u, &err) == PPS_OK, "%s",
                  err.msg);
    ck_assert_str_eq(u->schedule, "1f1b");
    ck_assert_str_eq(u->source, "measured");
    ck_assert_str_eq(u->backend, "cuda");
    ck_assert_str_eq(u->note, t->note);
    ck_assert_int_eq(u->incomplete, 1);
    ck_assert_int_eq(u->ranks, 2);
    ck_assert_int_eq(u->stages, 2);
    ck_assert_int_eq(u->microbatches, 3);
    ck_assert_int_eq(u->chunks, 1);
    ck_assert_ptr_nonnull(u->act_bytes);
    ck_assert_ptr_nonnull(u->act_w_bytes);
    ck_assert(memcmp(u->act_bytes, t->act_bytes, 2 * sizeof(double)) == 0);
    ck_assert(memcmp(u->act_w_bytes, t->act_w_bytes, 2 * sizeof(double)) == 0);
    assert_same_events(t, u);
    free(text);
    pps_timeline_destroy(t);
    pps_timeline_destroy(u);
}
END_TEST

START_TEST(json_round_trip_of_many_events_is_exact)
{
    pps_timeline *t, *u = NULL;
    pps_error err = {0};
    /* Each event its own micro-batch, one after another: a consistent (if incomplete) run. */
    ck_assert_int_eq(pps_timeline_create(4, 8, 50000, &t, &err), PPS_OK);
    t->incomplete = 1;
    double now = 0;
    for (int i = 0; i < 200000; i++) {
        int r = i % 4;
        double d = 1e-3 * (1 + (i * 7919) % 1000) / 7; /* awkward fractions */
        add(t, r, i % 3 ? PPS_STREAM_COMPUTE : PPS_STREAM_SEND, i % 3 ? -1 : (r + 1) % 4,
            i % 3 ? PPS_F : PPS_SEND_F, r, i / 4, now, now + d);
        now += d;
    }
    size_t len;
    char *text = write_to_string(pps_timeline_write_json, t, &len);
    ck_assert_msg(pps_timeline_parse_json(text, len, "big.json", &u, &err) == PPS_OK, "%s",
                  err.msg);
    assert_same_events(t, u);
    free(text);
    pps_timeline_destroy(t);
    pps_timeline_destroy(u);
}
END_TEST

START_TEST(json_reader_takes_minimal_header_and_any_whitespace)
{
    const char *doc = " {\"events\":[ [ 1 , \"recv:0\" , \"1RECV_F0\" , 0 , 2.5e-1 ] ,"
                      "[0,\"compute\",\"0F0\",0,0.25],\n[1,\"compute\",\"1F0\",0.25,1],"
                      "[1,\"compute\",\"1B0\",1,3],\t[0,\"compute\",\"0B0\",3,5]],"
                      "\"microbatches\":1,\"stages\":2,\"ranks\":2,"
                      "\"version\":1,\"format\":\"ppsim-timeline\"}\n";
    pps_timeline *t = NULL;
    pps_error err = {0};
    ck_assert_msg(pps_timeline_parse_json(doc, strlen(doc), "min.json", &t, &err) == PPS_OK,
                  "%s", err.msg);
    ck_assert_str_eq(t->source, "simulated");
    ck_assert_int_eq(t->incomplete, 0);
    ck_assert_uint_eq(t->n, 5);
    ck_assert_int_eq(t->events[0].stream, PPS_STREAM_RECV);
    ck_assert_int_eq(t->events[0].peer, 0);
    ck_assert_int_eq(t->events[0].action.kind, PPS_RECV_F);
    ck_assert(t->events[0].end == 0.25);
    pps_timeline_destroy(t);
}
END_TEST

START_TEST(json_reader_refuses_end_before_start)
{
    assert_error("", "[0, \"compute\", \"0F0\", 2, 1]",
                 "bad.json: $.events[0][4]: end 1 is before start 2");
}
END_TEST

START_TEST(json_reader_refuses_unknown_stream)
{
    assert_error("", "[0, \"compute\", \"0F0\", 0, 1], [0, \"gpu\", \"0F1\", 1, 2]",
                 "bad.json: $.events[1][1]: unknown stream 'gpu' (expected \"compute\", "
                 "\"send:PEER\" or \"recv:PEER\")");
    assert_error("", "[0, \"send:01\", \"0SEND_F0\", 0, 1]",
                 "bad.json: $.events[0][1]: unknown stream 'send:01' (expected \"compute\", "
                 "\"send:PEER\" or \"recv:PEER\")");
    assert_error("", "[0, \"send:2\", \"0SEND_F0\", 0, 1]",
                 "bad.json: $.events[0][1]: stream 'send:2': peer 2 is out of range [0, 2)");
    assert_error("", "[0, \"send:0\", \"0SEND_F0\", 0, 1]",
                 "bad.json: $.events[0][1]: stream 'send:0': peer 0 is the event's own rank");
    assert_error("", "[0, \"send:1\", \"0F0\", 0, 1]",
                 "bad.json: $.events[0][2]: a F action cannot run on a send stream");
}
END_TEST

START_TEST(json_reader_refuses_rank_out_of_range)
{
    assert_error("", "[2, \"compute\", \"1F0\", 0, 1]",
                 "bad.json: $.events[0][0]: rank 2 is out of range [0, 2)");
    assert_error("", "[-1, \"compute\", \"1F0\", 0, 1]",
                 "bad.json: $.events[0][0]: rank -1 is out of range [0, 2)");
    assert_error("", "[0.5, \"compute\", \"1F0\", 0, 1]",
                 "bad.json: $.events[0][0]: expected an integer rank, got 0.5");
    assert_error("", "[\"0\", \"compute\", \"1F0\", 0, 1]",
                 "bad.json: $.events[0][0]: expected an integer rank, got a string");
}
END_TEST

START_TEST(json_reader_refuses_times_that_are_not_finite_or_negative)
{
    assert_error("", "[0, \"compute\", \"0F0\", 0, 1e999]",
                 "bad.json: $.events[0][4]: end is not finite");
    assert_error("", "[0, \"compute\", \"0F0\", -1e999, 1]",
                 "bad.json: $.events[0][3]: start is not finite");
    assert_error("", "[0, \"compute\", \"0F0\", -0.5, 1]",
                 "bad.json: $.events[0][3]: start -0.5 is negative");
    assert_error("", "[0, \"compute\", \"0F0\", null, 1]",
                 "bad.json: $.events[0][3]: expected a number, got null");
}
END_TEST

START_TEST(json_reader_refuses_bad_actions)
{
    pps_error err = {0};
    ck_assert_int_eq(parse_doc("", "[0, \"compute\", \"0X0\", 0, 1]", &err), PPS_EINPUT);
    ck_assert_msg(strncmp(err.msg, "bad.json: $.events[0][2]: ", 26) == 0, "%s", err.msg);
    ck_assert_ptr_nonnull(strstr(err.msg, "0X0"));
    assert_error("", "[0, \"compute\", \"2F0\", 0, 1]",
                 "bad.json: $.events[0][2]: action '2F0': stage 2 is out of range [0, 2)");
    assert_error("", "[0, \"compute\", \"0B2\", 0, 1]",
                 "bad.json: $.events[0][2]: action '0B2': micro-batch 2 is out of range [0, 2)");
}
END_TEST

START_TEST(json_reader_refuses_events_of_the_wrong_shape)
{
    assert_error("", "[0, \"compute\", \"0F0\", 0, 1], [0, \"compute\", \"0F1\", 1]",
                 "bad.json: $.events[1]: expected 5 elements [rank, stream, action, start, end], "
                 "got 4");
    assert_error("", "[0, \"compute\", \"0F0\", 0, 1, 2]",
                 "bad.json: $.events[0]: expected 5 elements [rank, stream, action, start, end], "
                 "got more");
    assert_error("", "{\"rank\": 0}",
                 "bad.json: $.events[0]: expected an array [rank, stream, action, start, end], "
                 "got an object");
}
END_TEST

START_TEST(json_reader_refuses_unknown_field)
{
    assert_error("\"colour\": \"blue\", ", "", "bad.json: $.colour: unknown field");
}
END_TEST

START_TEST(json_reader_refuses_other_versions_formats_and_units)
{
    pps_error err = {0};
    const char *doc = "{\"format\": \"ppsim-timeline\", \"version\": 2, \"ranks\": 1, "
                      "\"stages\": 1, \"microbatches\": 1, \"events\": []}";
    pps_timeline *t = NULL;
    ck_assert_int_eq(pps_timeline_parse_json(doc, strlen(doc), "v2.json", &t, &err), PPS_EINPUT);
    ck_assert_str_eq(err.msg, "v2.json: $.version: unsupported version 2 (this ppsim reads "
                              "version 1)");
    doc = "{\"format\": \"ppsim-schedule\", \"version\": 1, \"events\": []}";
    ck_assert_int_eq(pps_timeline_parse_json(doc, strlen(doc), "f.json", &t, &err), PPS_EINPUT);
    ck_assert_str_eq(err.msg, "f.json: $.format: expected \"ppsim-timeline\", got "
                              "\"ppsim-schedule\"");
    assert_error("\"time_unit\": \"ms\", ", "",
                 "bad.json: $.time_unit: unsupported unit \"ms\" (expected \"s\")");
    assert_error("\"chunks\": 2, ", "",
                 "bad.json: $.chunks: 2 does not match 2 stages on 2 ranks (expected 1)");
    assert_error("\"source\": \"guessed\", ", "",
                 "bad.json: $.source: expected \"simulated\" or \"measured\", got \"guessed\"");
    assert_error("\"act_bytes\": [1], ", "",
                 "bad.json: $.act_bytes: expected 2 entries (one per stage), got 1");
    assert_error("\"act_bytes\": [1, 1], \"act_w_bytes\": [0, 2], ", "",
                 "bad.json: $.act_w_bytes[1]: 2 exceeds the stage's activation of 1 bytes");
    assert_error("\"ranks\": 3, ", "", "bad.json: $.ranks: duplicate field");
}
END_TEST

START_TEST(json_reader_reports_malformed_text_with_line_and_column)
{
    pps_error err = {0};
    const char *doc = "{\"format\": \"ppsim-timeline\", \"version\": 1, \"ranks\": 1,\n"
                      "\"stages\": 1, \"microbatches\": 1, \"events\": [\n"
                      "[0, \"compute\", \"0F0\", 0, 1] [0, \"compute\", \"0B0\", 1, 2]]}";
    pps_timeline *t = NULL;
    ck_assert_int_eq(pps_timeline_parse_json(doc, strlen(doc), "m.json", &t, &err), PPS_EINPUT);
    ck_assert_str_eq(err.msg, "m.json:3:29: malformed JSON: expected ',' or ']'");
    ck_assert_int_eq(pps_timeline_parse_json("", 0, "e.json", &t, &err), PPS_EINPUT);
    ck_assert_str_eq(err.msg, "e.json: empty file, expected a JSON document");
    doc = "{\"format\": \"ppsim-timeline\", \"events\": [[0, \"compute\", \"0F0\", 0, 1]]";
    ck_assert_int_eq(pps_timeline_parse_json(doc, strlen(doc), "t.json", &t, &err), PPS_EINPUT);
    ck_assert_str_eq(err.msg, "t.json:1:69: malformed JSON: expected ',' or '}'");
    doc = "{\"format\": \"ppsim-timeline\", \"version\": 1, \"ranks\": 1, \"stages\": 1, "
          "\"microbatches\": 1, \"events\": [[0, \"compute\", \"0F0\", 01, 1]]}";
    ck_assert_int_eq(pps_timeline_parse_json(doc, strlen(doc), "z.json", &t, &err), PPS_EINPUT);
    ck_assert_str_eq(err.msg, "z.json:1:122: malformed JSON: expected ',' or ']'");
    ck_assert_ptr_null(t);
}
END_TEST

START_TEST(json_reader_requires_events)
{
    pps_error err = {0};
    const char *doc = "{\"format\": \"ppsim-timeline\", \"version\": 1, \"ranks\": 1, "
                      "\"stages\": 1, \"microbatches\": 1}";
    pps_timeline *t = NULL;
    ck_assert_int_eq(pps_timeline_parse_json(doc, strlen(doc), "n.json", &t, &err), PPS_EINPUT);
    ck_assert_str_eq(err.msg, "n.json: $.events: missing required field");
}
END_TEST

/* Parses doc, which must be valid; returns the timeline. */
static pps_timeline *parse_ok(const char *doc)
{
    pps_timeline *t = NULL;
    pps_error err = {0};
    ck_assert_msg(pps_timeline_parse_json(doc, strlen(doc), "p.json", &t, &err) == PPS_OK, "%s",
                  err.msg);
    return t;
}

START_TEST(json_reader_reads_events_alike_in_one_pass_or_two)
{
    /* Events after the header are read in the same pass as it (and the writer's form takes a
     * fast path); a header member after the events makes the reader read the file twice. Both
     * must give the same events, in every form JSON allows: the values below are worked out by
     * hand. */
    const char *events =
        "[1, \"recv:0\" ,\"1RECV_F0\", 0, 2.5e-1], [0,\"compute\",\"0F0\",0,0.25],"
        "[1.0,\"\\u0063ompute\",\"1F0\",0.25,1], [1,\"compute\",\" 1B0 \",1,3E0],"
        "[0,\"compute\",\"0B0\",3,5.000000000000000000001],"
        "[0,\"compute\",\"\",5,5.1000000000000005]";
    char one[1024], two[1024];
    snprintf(one, sizeof one, "{\"format\": \"ppsim-timeline\", \"version\": 1, \"ranks\": 2, "
             "\"stages\": 2, \"microbatches\": 1, \"events\": [%s]}", events);
    snprintf(two, sizeof two, "{\"format\": \"ppsim-timeline\", \"version\": 1, \"ranks\": 2, "
             "\"stages\": 2, \"events\": [%s], \"microbatches\": 1}", events);
    pps_timeline *a = parse_ok(one), *b = parse_ok(two);
    assert_same_events(a, b);
    ck_assert_uint_eq(a->n, 6);
    ck_assert(a->events[0].end == 0.25);
    ck_assert_int_eq(a->events[2].rank, 1);
    ck_assert_int_eq(a->events[2].stream, PPS_STREAM_COMPUTE);
    ck_assert_int_eq(a->events[3].action.kind, PPS_B);
    ck_assert(a->events[3].end == 3);
    ck_assert(a->events[4].end == 5); /* 5 + 1e-21 rounds to 5 */
    ck_assert_int_eq(a->events[5].action.kind, PPS_IDLE);
    ck_assert(a->events[5].end == 5.1000000000000005); /* the double after 5.1 */
    ck_assert(a->events[5].end != 5.1);
    pps_timeline_destroy(a);
    pps_timeline_destroy(b);
}
END_TEST

START_TEST(json_reader_words_errors_alike_in_one_pass_or_two)
{
    /* What is wrong is said as the two-pass reading says it: a syntax error after the events
     * beats a bad event before it, a bad header beats a bad event, and a bad event is named
     * whether or not the header continues after the events. */
    pps_error err = {0};
    pps_timeline *t = NULL;
    const char *doc = "{\"format\": \"ppsim-timeline\", \"version\": 1, \"ranks\": 1, "
                      "\"stages\": 1, \"microbatches\": 1, \"events\": [[0, \"compute\", \"0F0\", "
                      "2, 1]], \"note\": }";
    ck_assert_int_eq(pps_timeline_parse_json(doc, strlen(doc), "s.json", &t, &err), PPS_EINPUT);
    ck_assert_str_eq(err.msg, "s.json:1:137: malformed JSON: expected a value");
    assert_error("\"chunks\": 2, ", "[0, \"compute\", \"0F0\", 2, 1]",
                 "bad.json: $.chunks: 2 does not match 2 stages on 2 ranks (expected 1)");
    doc = "{\"format\": \"ppsim-timeline\", \"version\": 1, \"ranks\": 1, \"stages\": 1, "
          "\"events\": [[0, \"compute\", \"0F0\", 2, 1]], \"microbatches\": 1}";
    ck_assert_int_eq(pps_timeline_parse_json(doc, strlen(doc), "h.json", &t, &err), PPS_EINPUT);
    ck_assert_str_eq(err.msg, "h.json: $.events[0][4]: end 1 is before start 2");
    assert_error("", "[0, \"compute\", \"0F0\", 0, 1], [0, \"compute\", \"0F1\", 2, 1]",
                 "bad.json: $.events[1][4]: end 1 is before start 2");
    ck_assert_ptr_null(t);
}
END_TEST

START_TEST(read_takes_the_path_as_the_name)
{
    char path[] = "/tmp/ppsim-tl-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    const char *doc = "{\"format\": \"ppsim-timeline\", \"version\": 1, \"ranks\": 1, "
                      "\"stages\": 1, \"microbatches\": 1, \"events\": [[0, \"compute\", "
                      "\"0F0\", 1, 0]]}";
    ck_assert_int_eq(write(fd, doc, strlen(doc)), (int)strlen(doc));
    close(fd);
    pps_timeline *t = NULL;
    pps_error err = {0};
    ck_assert_int_eq(pps_timeline_read(path, &t, &err), PPS_EINPUT);
    char want[256];
    snprintf(want, sizeof want, "%s: $.events[0][4]: end 0 is before start 1", path);
    ck_assert_str_eq(err.msg, want);
    remove(path);
    ck_assert_int_eq(pps_timeline_read(path, &t, &err), PPS_EIO);
}
END_TEST

/* ------------------------------------------------------------------ Chrome trace */

static const cJSON *find_meta(const cJSON *evs, const char *what, int pid, int tid)
{
    const cJSON *e;
    cJSON_ArrayForEach(e, evs)
    {
        const char *ph = cJSON_GetStringValue(cJSON_GetObjectItem(e, "ph"));
        const char *name = cJSON_GetStringValue(cJSON_GetObjectItem(e, "name"));
        if (ph && strcmp(ph, "M") == 0 && strcmp(name, what) == 0 &&
            cJSON_GetObjectItem(e, "pid")->valueint == pid &&
            cJSON_GetObjectItem(e, "tid")->valueint == tid)
            return cJSON_GetObjectItem(cJSON_GetObjectItem(e, "args"), "name");
    }
    return NULL;
}

START_TEST(chrome_trace_has_processes_threads_slices_and_flows)
{
    pps_timeline *t = example();
    char *text = write_to_string(pps_timeline_write_chrome, t, NULL);
    cJSON *root = cJSON_Parse(text);
    ck_assert_msg(root != NULL, "chrome output is not JSON");
    ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(root, "displayTimeUnit")), "ms");
    const cJSON *evs = cJSON_GetObjectItem(root, "traceEvents");
    ck_assert(cJSON_IsArray(evs));

    ck_assert_str_eq(cJSON_GetStringValue(find_meta(evs, "process_name", 0, 0)), "rank 0");
    ck_assert_str_eq(cJSON_GetStringValue(find_meta(evs, "process_name", 1, 0)), "rank 1");
    /* tid 0 compute, 1 + 2p send to p, 2 + 2p receive from p. */
    ck_assert_str_eq(cJSON_GetStringValue(find_meta(evs, "thread_name", 0, 0)), "compute");
    ck_assert_str_eq(cJSON_GetStringValue(find_meta(evs, "thread_name", 0, 3)), "send\u21921");
    ck_assert_str_eq(cJSON_GetStringValue(find_meta(evs, "thread_name", 0, 4)), "recv\u21901");
    ck_assert_str_eq(cJSON_GetStringValue(find_meta(evs, "thread_name", 1, 2)), "recv\u21900");
    ck_assert_str_eq(cJSON_GetStringValue(find_meta(evs, "thread_name", 1, 1)), "send\u21920");

    int nx = 0, ns = 0, nf = 0, found_b0 = 0;
    double s_ts[8], f_ts[8];
    int s_pid[8], f_pid[8], s_tid[8], f_tid[8];
    const cJSON *e;
    cJSON_ArrayForEach(e, evs)
    {
        const char *ph = cJSON_GetStringValue(cJSON_GetObjectItem(e, "ph"));
        int pid = cJSON_GetObjectItem(e, "pid")->valueint;
        int tid = cJSON_GetObjectItem(e, "tid")->valueint;
        if (strcmp(ph, "X") == 0) {
            nx++;
            const char *name = cJSON_GetStringValue(cJSON_GetObjectItem(e, "name"));
            if (strcmp(name, "0B0") == 0) {
                found_b0 = 1;
                ck_assert_int_eq(pid, 0);
                ck_assert_int_eq(tid, 0);
                ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(e, "cat")), "B");
                ck_assert(cJSON_GetObjectItem(e, "ts")->valuedouble == 5e6);  /* µs */
                ck_assert(cJSON_GetObjectItem(e, "dur")->valuedouble == 2e6);
            }
        } else if (strcmp(ph, "s") == 0 || strcmp(ph, "f") == 0) {
            int id = cJSON_GetObjectItem(e, "id")->valueint;
            ck_assert(id >= 0 && id < 8);
            double ts = cJSON_GetObjectItem(e, "ts")->valuedouble;
            if (ph[0] == 's') {
                ns++;
                s_ts[id] = ts, s_pid[id] = pid, s_tid[id] = tid;
            } else {
                nf++;
                ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(e, "bp")), "e");
                f_ts[id] = ts, f_pid[id] = pid, f_tid[id] = tid;
            }
        }
    }
    ck_assert_int_eq(nx, 16);
    ck_assert(found_b0);
    ck_assert_int_eq(ns, 4);
    ck_assert_int_eq(nf, 4);
    for (int id = 0; id < 4; id++) {
        /* Each arrow goes from a send queue of one rank to the receive queue of the other. */
        ck_assert_int_eq(s_pid[id], 1 - f_pid[id]);
        ck_assert_int_eq(s_tid[id], 1 + 2 * f_pid[id]);
        ck_assert_int_eq(f_tid[id], 2 + 2 * s_pid[id]);
        ck_assert(f_ts[id] >= s_ts[id]);
    }
    /* The second send from rank 0 (2..2.5) pairs with the second receive on rank 1
     * (1.5..2.5): the arrow enters the receive inside it. */
    int second = -1;
    for (int id = 0; id < 4; id++)
        if (s_pid[id] == 0 && s_ts[id] == 2e6)
            second = id;
    ck_assert_int_ge(second, 0);
    ck_assert(f_ts[second] > 1.5e6 && f_ts[second] < 2.5e6);
    cJSON_Delete(root);
    free(text);
    pps_timeline_destroy(t);
}
END_TEST

START_TEST(chrome_trace_of_an_empty_timeline_is_valid_json)
{
    pps_timeline *t;
    pps_error err = {0};
    ck_assert_int_eq(pps_timeline_create(3, 3, 1, &t, &err), PPS_OK);
    char *text = write_to_string(pps_timeline_write_chrome, t, NULL);
    cJSON *root = cJSON_Parse(text);
    ck_assert_ptr_nonnull(root);
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(root, "traceEvents")), 6);
    cJSON_Delete(root);
    free(text);
    pps_timeline_destroy(t);
}
END_TEST

static Suite *timeline_suite(void)
{
    Suite *s = suite_create("timeline");
    TCase *tc = tcase_create("container");
    tcase_add_test(tc, create_sets_defaults_and_derives_chunks);
    tcase_add_test(tc, create_refuses_sizes_beyond_the_limits);
    tcase_add_test(tc, append_grows_and_keeps_order);
    suite_add_tcase(s, tc);
    tc = tcase_create("json");
    tcase_add_test(tc, json_writes_one_compact_array_per_event);
    tcase_add_test(tc, json_round_trip_keeps_events_and_header_exactly);
    tcase_add_test(tc, json_round_trip_of_many_events_is_exact);
    tcase_add_test(tc, json_reader_takes_minimal_header_and_any_whitespace);
    tcase_add_test(tc, json_reader_refuses_end_before_start);
    tcase_add_test(tc, json_reader_refuses_unknown_stream);
    tcase_add_test(tc, json_reader_refuses_rank_out_of_range);
    tcase_add_test(tc, json_reader_refuses_times_that_are_not_finite_or_negative);
    tcase_add_test(tc, json_reader_refuses_bad_actions);
    tcase_add_test(tc, json_reader_refuses_events_of_the_wrong_shape);
    tcase_add_test(tc, json_reader_refuses_unknown_field);
    tcase_add_test(tc, json_reader_refuses_other_versions_formats_and_units);
    tcase_add_test(tc, json_reader_reports_malformed_text_with_line_and_column);
    tcase_add_test(tc, json_reader_requires_events);
    tcase_add_test(tc, json_reader_reads_events_alike_in_one_pass_or_two);
    tcase_add_test(tc, json_reader_words_errors_alike_in_one_pass_or_two);
    tcase_add_test(tc, read_takes_the_path_as_the_name);
    suite_add_tcase(s, tc);
    tc = tcase_create("chrome");
    tcase_add_test(tc, chrome_trace_has_processes_threads_slices_and_flows);
    tcase_add_test(tc, chrome_trace_of_an_empty_timeline_is_valid_json);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(timeline_suite());
}
