/* test_json.c — the JSON writer (sim/io/json_write.c): escaping, numbers, layout, and every
 * library writer's output parsed by an independent parser (cJSON). */
#include <check.h>
#include <cjson/cJSON.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/json_read.h"
#include "io/json_scan.h"
#include "io/json_write.h"
#include "ppsim.h"
#include "testutil.h"

/* ------------------------------------------------------------------ helpers */

/* Strings with every character class a writer must handle, and what a reader must get back:
 * each byte that is not part of valid UTF-8 becomes U+FFFD (EF BF BD), worked out by hand. */
static const struct {
    const char *in, *out;
} tricky[] = {
    {"my \"fast\" 1f1b", "my \"fast\" 1f1b"},
    {"back\\slash\tand\ttabs\nnew line\r", "back\\slash\tand\ttabs\nnew line\r"},
    {"\x01\x02\x1f\b\f", "\x01\x02\x1f\b\f"},
    {"caf\xc3\xa9 \xe2\x82\xac \xf0\x9d\x84\x9e", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9d\x84\x9e"},
    {"bad \xff byte", "bad \xef\xbf\xbd byte"},
    {"stray \x80\xbf", "stray \xef\xbf\xbd\xef\xbf\xbd"},
    {"overlong \xc0\xaf", "overlong \xef\xbf\xbd\xef\xbf\xbd"},
    {"surrogate \xed\xa0\x80", "surrogate \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"},
    {"too big \xf4\x90\x80\x80", "too big \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"},
    {"cut \xe2\x82", "cut \xef\xbf\xbd\xef\xbf\xbd"},
    {"cut then ascii \xe2\x82x", "cut then ascii \xef\xbf\xbd\xef\xbf\xbdx"},
    {"", ""},
};
#define NTRICKY (sizeof tricky / sizeof *tricky)

/* Runs fn(w, arg) on a writer into memory; returns the text (caller frees). */
static char *write_with(void (*fn)(ppsj_writer *, const void *), const void *arg)
{
    char *buf = NULL;
    size_t n = 0;
    FILE *fp = open_memstream(&buf, &n);
    ck_assert_ptr_nonnull(fp);
    static ppsj_writer w; /* 64 KiB: not on Check's stack */
    ppsj_writer_init(&w, fp);
    fn(&w, arg);
    pps_error err = {0};
    ck_assert_msg(ppsj_writer_finish(&w, "test", &err) == PPS_OK, "%s", err.msg);
    fclose(fp);
    return buf;
}

static void one_string(ppsj_writer *w, const void *s)
{
    ppsj_string(w, s);
}

static void one_number(ppsj_writer *w, const void *v)
{
    ppsj_number(w, *(const double *)v);
}

/* The number as ppsj_number writes it, without the document's newline. */
static void number_text(double v, char *buf, size_t size)
{
    char *t = write_with(one_number, &v);
    snprintf(buf, size, "%s", t);
    buf[strcspn(buf, "\n")] = '\0';
    free(t);
}

/* Runs a library writer into memory and parses the text with cJSON (caller deletes). */
static cJSON *written(pps_status (*wr)(const void *, FILE *, pps_error *), const void *obj)
{
    char *buf = NULL;
    size_t n = 0;
    FILE *fp = open_memstream(&buf, &n);
    ck_assert_ptr_nonnull(fp);
    pps_error err = {0};
    ck_assert_msg(wr(obj, fp, &err) == PPS_OK, "%s", err.msg);
    fclose(fp);
    ck_assert_msg(memchr(buf, '\0', n) == NULL, "a NUL byte in the output");
    cJSON *root = cJSON_ParseWithLength(buf, n);
    ck_assert_msg(root != NULL, "not valid JSON: %s", buf);
    free(buf);
    return root;
}

static const char *str_at(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    ck_assert_msg(cJSON_IsString(v), "%s is not a string", key);
    return v->valuestring;
}

/* ------------------------------------------------------------------ strings */

START_TEST(strings_round_trip_through_an_independent_parser)
{
    for (size_t i = 0; i < NTRICKY; i++) {
        char *text = write_with(one_string, tricky[i].in);
        cJSON *v = cJSON_Parse(text);
        ck_assert_msg(cJSON_IsString(v), "case %zu: not a JSON string: %s", i, text);
        ck_assert_msg(strcmp(v->valuestring, tricky[i].out) == 0, "case %zu: got '%s'", i,
                      v->valuestring);
        cJSON_Delete(v);
        free(text);
    }
}
END_TEST

START_TEST(strings_use_short_escapes_and_never_raw_control_bytes)
{
    char *text = write_with(one_string, "\"\\\n\t\r\b\f\x01\x1f\x7f");
    ck_assert_str_eq(text, "\"\\\"\\\\\\n\\t\\r\\b\\f\\u0001\\u001f\x7f\"\n");
    free(text);
}
END_TEST

START_TEST(long_strings_cross_the_buffer_intact)
{
    size_t n = 3 * PPSJ_WRITE_BUF + 17;
    char *s = malloc(n + 1);
    ck_assert_ptr_nonnull(s);
    for (size_t i = 0; i < n; i++)
        s[i] = i % 1000 == 999 ? '"' : (char)('a' + i % 26);
    s[n] = '\0';
    char *text = write_with(one_string, s);
    cJSON *v = cJSON_Parse(text);
    ck_assert(cJSON_IsString(v));
    ck_assert(strcmp(v->valuestring, s) == 0);
    cJSON_Delete(v);
    free(text);
    free(s);
}
END_TEST

/* ------------------------------------------------------------------ numbers */

/* Fewest significant digits that read back as v, by brute force: printf rounds the exact binary
 * value correctly at every precision, so the first precision that reads back is the answer. */
static int shortest_digits(double v)
{
    char b[64];
    for (int p = 1; p <= 17; p++) {
        snprintf(b, sizeof b, "%.*e", p - 1, v);
        if (strtod(b, NULL) == v)
            return p;
    }
    return 99;
}

static int significant_digits(const char *s)
{
    char d[64];
    int k = 0, started = 0;
    for (const char *p = s; *p && *p != 'e'; p++)
        if (*p >= '1' && *p <= '9')
            started = 1, d[k++] = *p;
        else if (*p == '0' && started)
            d[k++] = *p;
    while (k > 1 && d[k - 1] == '0')
        k--;
    return k ? k : 1;
}

START_TEST(numbers_read_back_exactly_with_the_fewest_digits)
{
    uint64_t x = 88172645463325252ULL; /* xorshift64 */
    for (int i = 0; i < 20000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        double v;
        if (i % 3 == 0) {
            memcpy(&v, &x, sizeof v); /* any bit pattern */
        } else if (i % 3 == 1) {
            v = (double)(x % 1000000) * 0.0123 + (double)(x >> 40) * 1e-9; /* sums of costs */
        } else {
            v = (double)(x >> 11) * 0x1p-53 * pow(10, (double)((int)(x % 60) - 30));
        }
        if (!isfinite(v) || v == 0)
            continue;
        char text[64];
        *ppsj_format_number(text, v) = '\0';
        ck_assert_msg(strtod(text, NULL) == v, "%.17g written as %s", v, text);
        ck_assert_msg(significant_digits(text) == shortest_digits(v),
                      "%.17g written as %s, %d digits suffice", v, text, shortest_digits(v));
    }
}
END_TEST

START_TEST(numbers_in_the_documented_forms)
{
    static const struct {
        double v;
        const char *text;
    } cases[] = {
        {0, "0"}, {-0.0, "-0"}, {33, "33"}, {-2.5, "-2.5"}, {0.1, "0.1"},
        {0.1 + 0.2, "0.30000000000000004"}, {0.037, "0.037"}, {1e15, "1000000000000000"},
        {1e21, "1e21"}, {123456.789, "123456.789"}, {1e-7, "0.0000001"},
        {1.5e-7, "0.00000015"}, {1.5e-10, "1.5e-10"}, {5e-324, "5e-324"},
        {1.7976931348623157e308, "1.7976931348623157e308"}, {9007199254740993.0, "9007199254740992"},
        {2.0 / 3.0, "0.6666666666666666"}, {1e23, "1e23"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char text[64];
        number_text(cases[i].v, text, sizeof text);
        ck_assert_msg(strcmp(text, cases[i].text) == 0, "%.17g: got %s, expected %s",
                      cases[i].v, text, cases[i].text);
    }
    char text[64];
    number_text(NAN, text, sizeof text);
    ck_assert_str_eq(text, "null");
    number_text(-INFINITY, text, sizeof text);
    ck_assert_str_eq(text, "null");
}
END_TEST

static void decimals(ppsj_writer *w, const void *arg)
{
    (void)arg;
    ppsj_begin_array(w, PPSJ_COMPACT);
    ppsj_decimal(w, 1500, 3);
    ppsj_decimal(w, 1, 3);
    ppsj_decimal(w, -2000, 3);
    ppsj_decimal(w, 0, 3);
    ppsj_decimal(w, 123456789, 9);
    ppsj_integer(w, -9223372036854775807LL - 1);
    ppsj_end_array(w);
}

START_TEST(fixed_point_decimals_drop_trailing_zeros)
{
    char *text = write_with(decimals, NULL);
    ck_assert_str_eq(text, "[1.5,0.001,-2,0,0.123456789,-9223372036854775808]\n");
    free(text);
}
END_TEST

/* ------------------------------------------------------------------ layout */

static void layout(ppsj_writer *w, const void *arg)
{
    (void)arg;
    ppsj_begin_object(w, PPSJ_SPACED);
    ppsj_member_string(w, "a", "x");
    ppsj_member_integer(w, "b", 1);
    ppsj_newline(w, 1);
    ppsj_key(w, "list");
    ppsj_begin_array(w, PPSJ_COMPACT);
    for (int i = 0; i < 2; i++) {
        ppsj_newline(w, 0);
        ppsj_begin_array(w, PPSJ_COMPACT);
        ppsj_integer(w, i);
        ppsj_bool(w, i);
        ppsj_null(w);
        ppsj_end_array(w);
    }
    ppsj_newline(w, 0);
    ppsj_end_array(w);
    ppsj_key(w, "empty");
    ppsj_begin_object(w, PPSJ_COMPACT);
    ppsj_end_object(w);
    ppsj_end_object(w);
}

START_TEST(separators_and_line_breaks_come_from_the_structure)
{
    char *text = write_with(layout, NULL);
    ck_assert_str_eq(text, "{\"a\": \"x\", \"b\": 1,\n \"list\": [\n[0,false,null],\n[1,true,null]"
                           "\n], \"empty\": {}}\n");
    free(text);
}
END_TEST

START_TEST(an_unfinished_document_is_a_write_error)
{
    char *buf = NULL;
    size_t n = 0;
    FILE *fp = open_memstream(&buf, &n);
    static ppsj_writer w;
    ppsj_writer_init(&w, fp);
    ppsj_begin_object(&w, PPSJ_SPACED);
    ppsj_key(&w, "dangling");
    pps_error err = {0};
    ck_assert_int_eq(ppsj_writer_finish(&w, "test", &err), PPS_EIO);
    ck_assert_str_eq(err.msg, "test: write error");
    fclose(fp);
    free(buf);
}
END_TEST

/* ------------------------------------------------------------------ every library writer */

static pps_status wr_schedule(const void *o, FILE *fp, pps_error *err)
{
    return pps_schedule_write_json(o, fp, err);
}

static pps_status wr_timeline(const void *o, FILE *fp, pps_error *err)
{
    return pps_timeline_write_json(o, fp, err);
}

static pps_status wr_chrome(const void *o, FILE *fp, pps_error *err)
{
    return pps_timeline_write_chrome(o, fp, err);
}

static pps_status wr_profile(const void *o, FILE *fp, pps_error *err)
{
    return pps_profile_write_json(o, fp, err);
}

static pps_status wr_costs(const void *o, FILE *fp, pps_error *err)
{
    return pps_cost_write_json(o, fp, err);
}

static pps_status wr_summaries(const void *o, FILE *fp, pps_error *err)
{
    return pps_summaries_write_json(o, 2, fp, err);
}

START_TEST(schedule_writer_escapes_the_name)
{
    for (size_t i = 0; i < NTRICKY; i++) {
        pps_schedule *s = NULL;
        pps_error err = {0};
        ck_assert(pps_schedule_create(1, 1, 1, PPS_PLACE_LOOP, NULL, &s, &err) == PPS_OK);
        snprintf(s->name, sizeof s->name, "%s", tricky[i].in);
        ck_assert(pps_schedule_append(s, 0, pps_action_make(PPS_F, 0, 0), &err) == PPS_OK);
        cJSON *root = written(wr_schedule, s);
        ck_assert_str_eq(str_at(root, "name"), tricky[i].out);
        cJSON_Delete(root);
        pps_schedule_destroy(s);
    }
}
END_TEST

/* A one-event timeline whose free-text fields hold tricky[i].in. */
static pps_timeline *tricky_timeline(size_t i)
{
    pps_timeline *t = NULL;
    pps_error err = {0};
    ck_assert(pps_timeline_create(2, 2, 1, &t, &err) == PPS_OK);
    snprintf(t->schedule, sizeof t->schedule, "%s", tricky[i].in);
    snprintf(t->backend, sizeof t->backend, "%s", tricky[i].in);
    snprintf(t->note, sizeof t->note, "%s", tricky[i].in);
    pps_event e = {.start = 0.1, .end = 0.30000000000000004, .rank = 0, .peer = -1,
                   .stream = PPS_STREAM_COMPUTE, .action = pps_action_make(PPS_F, 0, 0)};
    ck_assert(pps_timeline_append(t, &e, &err) == PPS_OK);
    return t;
}

START_TEST(timeline_and_chrome_writers_escape_every_free_text_field)
{
    for (size_t i = 0; i < NTRICKY; i++) {
        pps_timeline *t = tricky_timeline(i);
        cJSON *root = written(wr_timeline, t);
        ck_assert_str_eq(str_at(root, "schedule"), tricky[i].out);
        ck_assert_str_eq(str_at(root, "backend"), tricky[i].out);
        ck_assert_str_eq(str_at(root, "note"), tricky[i].out);
        const cJSON *ev = cJSON_GetArrayItem(cJSON_GetObjectItem(root, "events"), 0);
        ck_assert(cJSON_GetArrayItem(ev, 4)->valuedouble == 0.30000000000000004);
        cJSON_Delete(root);
        root = written(wr_chrome, t);
        const cJSON *other = cJSON_GetObjectItem(root, "otherData");
        ck_assert_str_eq(str_at(other, "schedule"), tricky[i].out);
        ck_assert_str_eq(str_at(other, "backend"), tricky[i].out);
        ck_assert_str_eq(str_at(other, "note"), tricky[i].out);
        cJSON_Delete(root);
        pps_timeline_destroy(t);
    }
}
END_TEST

START_TEST(profile_writer_escapes_and_keeps_numbers_exact)
{
    for (size_t i = 0; i < NTRICKY; i++) {
        pps_profile_stage st = {.stage = 0, .rank = 0, .tf = 0.1, .tb = 2.0 / 3.0, .ti = 1e-7,
                                .tw = 0.30000000000000004, .act_bytes = 5e9, .act_w_bytes = 1,
                                .send_bytes = 0, .repeats = 7};
        pps_profile_link l = {.src = 0, .dst = 1, .bytes = 4096, .latency = 1.5e-6,
                              .bandwidth = 1.2345678901234567e10, .one_way = 2e-6, .repeats = 3};
        pps_profile p = {.ranks = 2, .stages = 1, .hidden = -1, .tokens = 4, .layers = -1,
                         .bf16 = -1, .stage_costs = &st, .links = &l, .nlinks = 1};
        snprintf(p.backend, sizeof p.backend, "%s", tricky[i].in);
        snprintf(p.note, sizeof p.note, "%s", tricky[i].in);
        cJSON *root = written(wr_profile, &p);
        ck_assert_str_eq(str_at(root, "backend"), tricky[i].out);
        ck_assert_str_eq(str_at(root, "note"), tricky[i].out);
        const cJSON *s0 = cJSON_GetArrayItem(cJSON_GetObjectItem(root, "stage_costs"), 0);
        ck_assert(cJSON_GetObjectItem(s0, "tb")->valuedouble == 2.0 / 3.0);
        ck_assert(cJSON_GetObjectItem(s0, "tw")->valuedouble == 0.30000000000000004);
        const cJSON *l0 = cJSON_GetArrayItem(cJSON_GetObjectItem(root, "links"), 0);
        ck_assert(cJSON_GetObjectItem(l0, "bandwidth")->valuedouble == 1.2345678901234567e10);
        const cJSON *wl = cJSON_GetObjectItem(root, "workload");
        ck_assert_int_eq(cJSON_GetArraySize(wl), 1); /* only tokens was given */
        cJSON_Delete(root);
    }
}
END_TEST

START_TEST(cost_writer_output_is_valid_json)
{
    pps_cost c;
    pps_cost_init(&c);
    c.uniform.tf = 0.1 + 0.2;
    c.intra.bandwidth = 1e30;
    cJSON *root = written(wr_costs, &c);
    ck_assert(cJSON_GetObjectItem(cJSON_GetObjectItem(root, "uniform"), "tf")->valuedouble ==
              0.1 + 0.2);
    cJSON_Delete(root);
    pps_cost_clear(&c);
}
END_TEST

START_TEST(summary_writer_escapes_names_and_skip_reasons)
{
    pps_rank_stats rs[1] = {{.busy = 24, .idle = 9, .peak_activation = 4}};
    pps_analysis a = {.ranks = 1, .makespan = 33, .idle_over_total = 3.0 / 11, .per_rank = rs};
    for (size_t i = 0; i < NTRICKY; i++) {
        pps_summary s[2] = {
            {.schedule = tricky[i].in, .ranks = 1, .stages = 1, .microbatches = 1, .chunks = 1,
             .analysis = &a, .analytic_idle_over_compute = NAN,
             .analytic_stage_span_idle = NAN},
            {.schedule = "x", .skipped = tricky[i].in},
        };
        cJSON *root = written(wr_summaries, s);
        const cJSON *r0 = cJSON_GetArrayItem(root, 0), *r1 = cJSON_GetArrayItem(root, 1);
        ck_assert_str_eq(str_at(r0, "schedule"), tricky[i].out);
        ck_assert(cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetObjectItem(r0, "analytic"),
                                                   "idle_over_compute")));
        ck_assert(cJSON_GetObjectItem(cJSON_GetObjectItem(r0, "bubble"), "idle_over_total")
                      ->valuedouble == 3.0 / 11);
        ck_assert_str_eq(str_at(r1, "skipped"), tricky[i].out);
        cJSON_Delete(root);
    }
}
END_TEST

typedef struct diff_args {
    const pps_diff *d;
    const pps_timeline *pred, *meas;
} diff_args;

static pps_status wr_diff(const void *o, FILE *fp, pps_error *err)
{
    const diff_args *x = o;
    return pps_diff_write_json(x->d, x->pred, x->meas, 0.05, fp, err);
}

START_TEST(diff_writer_escapes_both_headers)
{
    for (size_t i = 0; i < NTRICKY; i++) {
        pps_timeline *t = tricky_timeline(i);
        pps_diff d = {0};
        pps_error err = {0};
        ck_assert_msg(pps_timeline_diff(t, t, &d, &err) == PPS_OK, "%s", err.msg);
        diff_args x = {&d, t, t};
        cJSON *root = written(wr_diff, &x);
        ck_assert_str_eq(str_at(cJSON_GetObjectItem(root, "predicted"), "schedule"),
                         tricky[i].out);
        ck_assert_str_eq(str_at(cJSON_GetObjectItem(root, "measured"), "backend"),
                         tricky[i].out);
        cJSON_Delete(root);
        pps_diff_clear(&d);
        pps_timeline_destroy(t);
    }
}
END_TEST

/* ------------------------------------------------------------------ scanner and tree */

/* Parses doc with ppsj_parse; returns the status and leaves the message in msg. */
static pps_status parse_doc(const char *doc, cJSON **root, char *msg, size_t size)
{
    pps_error err = {0};
    pps_status st = ppsj_parse(doc, strlen(doc), "t.json", root, &err);
    snprintf(msg, size, "%s", err.msg);
    return st;
}

START_TEST(scanner_decodes_every_escape_and_surrogate_pairs)
{
    char msg[PPS_ERRMSG_MAX];
    cJSON *root = NULL;
    ck_assert_int_eq(parse_doc("[\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\ud834\\udd1e\\u20AC\"]", &root,
                               msg, sizeof msg),
                     PPS_OK);
    ck_assert_str_eq(cJSON_GetArrayItem(root, 0)->valuestring,
                     "\"\\/\b\f\n\r\t\xc3\xa9\xf0\x9d\x84\x9e\xe2\x82\xac");
    cJSON_Delete(root);
    /* Invalid UTF-8 reads as the writer writes it: each such byte as U+FFFD. */
    ck_assert_int_eq(parse_doc("[\"a\xff\xe2\x82\xac\xe2\x82\"]", &root, msg, sizeof msg), PPS_OK);
    ck_assert_str_eq(cJSON_GetArrayItem(root, 0)->valuestring,
                     "a\xef\xbf\xbd\xe2\x82\xac\xef\xbf\xbd\xef\xbf\xbd");
    cJSON_Delete(root);
    ck_assert_int_eq(parse_doc("[\"\\ud834x\"]", &root, msg, sizeof msg), PPS_EINPUT);
    ck_assert_str_eq(msg, "t.json:1:3: malformed JSON: \\u escape of a lone surrogate");
    ck_assert_int_eq(parse_doc("[\"\\udd1e\"]", &root, msg, sizeof msg), PPS_EINPUT);
    ck_assert_str_eq(msg, "t.json:1:3: malformed JSON: \\u escape of a lone surrogate");
    ck_assert_int_eq(parse_doc("[\"\\x\"]", &root, msg, sizeof msg), PPS_EINPUT);
    ck_assert_str_eq(msg, "t.json:1:3: malformed JSON: bad escape in string");
    ck_assert_int_eq(parse_doc("[\"\\u12G4\"]", &root, msg, sizeof msg), PPS_EINPUT);
    ck_assert_str_eq(msg, "t.json:1:3: malformed JSON: bad \\u escape");
}
END_TEST

START_TEST(tree_refuses_nul_escapes_naming_the_path)
{
    char msg[PPS_ERRMSG_MAX];
    cJSON *root = NULL;
    ck_assert_int_eq(parse_doc("{\"a\": [1, {\"b\": \"x\\u0000y\"}]}", &root, msg, sizeof msg),
                     PPS_EINPUT);
    ck_assert_str_eq(msg, "t.json: $.a[1].b: \\u0000 (NUL) in a string");
    ck_assert_int_eq(parse_doc("{\"a\": {\"k\\u0000\": 1}}", &root, msg, sizeof msg),
                     PPS_EINPUT);
    ck_assert_str_eq(msg, "t.json: $.a: \\u0000 (NUL) in a key");
    ck_assert_ptr_null(root);
}
END_TEST

START_TEST(tree_refuses_duplicate_keys_in_small_and_large_objects)
{
    char msg[PPS_ERRMSG_MAX];
    cJSON *root = NULL;
    ck_assert_int_eq(parse_doc("{\"uniform\": {\"tf\": 1, \"tf\": 100}}", &root, msg,
                               sizeof msg),
                     PPS_EINPUT);
    ck_assert_str_eq(msg, "t.json: $.uniform.tf: duplicate field");
    /* 40 distinct keys, then k7 again and k3 again: the first repeated in the text is named. */
    char doc[2048];
    size_t n = (size_t)snprintf(doc, sizeof doc, "{");
    for (int i = 0; i < 40; i++)
        n += (size_t)snprintf(doc + n, sizeof doc - n, "\"k%d\": %d, ", i, i);
    snprintf(doc + n, sizeof doc - n, "\"k7\": 0, \"k3\": 0}");
    ck_assert_int_eq(parse_doc(doc, &root, msg, sizeof msg), PPS_EINPUT);
    ck_assert_str_eq(msg, "t.json: $.k7: duplicate field");
    /* The same keys in different objects are fine. */
    ck_assert_int_eq(parse_doc("[{\"a\": 1}, {\"a\": 2}]", &root, msg, sizeof msg), PPS_OK);
    cJSON_Delete(root);
}
END_TEST

START_TEST(skipping_checks_syntax_and_nesting)
{
    static const struct {
        const char *doc;
        int ok;
    } cases[] = {
        {"{\"a\": [1, -2.5e3, true, false, null, \"s\\\"\", {}, []], \"b\": {\"c\": {}}} x", 1},
        {"[1,]", 0}, {"[,1]", 0}, {"{\"a\" 1}", 0}, {"{\"a\": 1,}", 0}, {"{1: 2}", 0},
        {"[01]", 0}, {"[+1]", 0}, {"[1.]", 0}, {"[nul]", 0}, {"[\"a]", 0}, {"[1 2]", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        ppsj_scan c;
        pps_error err = {0};
        ppsj_scan_init(&c, cases[i].doc, strlen(cases[i].doc), "s.json", &err);
        pps_status st = ppsj_skip_value(&c);
        ck_assert_msg((st == PPS_OK) == cases[i].ok, "%s: %s", cases[i].doc, err.msg);
        if (cases[i].ok) /* stops right after the value */
            ck_assert_str_eq(cases[i].doc + c.pos, " x");
        ppsj_scan_free(&c);
    }
    /* 1000 levels are fine, 1001 are not. */
    char deep[2100];
    for (int depth = 1000; depth <= 1001; depth++) {
        memset(deep, '[', (size_t)depth);
        memset(deep + depth, ']', (size_t)depth);
        ppsj_scan c;
        pps_error err = {0};
        ppsj_scan_init(&c, deep, 2 * (size_t)depth, "d.json", &err);
        ck_assert_int_eq(ppsj_skip_value(&c), depth == 1000 ? PPS_OK : PPS_EINPUT);
        ppsj_scan_free(&c);
        cJSON *root = NULL;
        ck_assert_int_eq(ppsj_parse(deep, 2 * (size_t)depth, "d.json", &root, &err),
                         depth == 1000 ? PPS_OK : PPS_EINPUT);
        cJSON_Delete(root);
    }
}
END_TEST

/* Scans text (which must be one whole number) and compares the bits with strtod's. */
static void check_number_bits(const char *text)
{
    ppsj_scan c;
    pps_error err = {0};
    double got = 0;
    ppsj_scan_init(&c, text, strlen(text), "n.json", &err);
    ck_assert_msg(ppsj_scan_number(&c, &got) == PPS_OK, "%s: %s", text, err.msg);
    ck_assert_msg(c.pos == strlen(text), "%s: stopped at %zu", text, c.pos);
    double want = strtod(text, NULL);
    uint64_t a, b;
    memcpy(&a, &got, sizeof a);
    memcpy(&b, &want, sizeof b);
    ck_assert_msg(a == b, "%s: scanner %.17g, strtod %.17g", text, got, want);
    ppsj_scan_free(&c);
}

START_TEST(scanner_numbers_equal_strtod_bit_for_bit)
{
    /* The fast path's edges: 2^53 and one past it, 10^22 and 10^23, 19 and 20 digits, leading
     * and trailing zeros, signed zeros, exponents in both directions, under- and overflow. */
    static const char *const edges[] = {
        "0", "-0", "0.0", "-0.0", "0e5", "-0E-5", "1", "-1", "12302.25", "0.1", "0.3",
        "9007199254740992", "9007199254740993", "9007199254740993.0", "900719925474099.3",
        "1e22", "1e23", "1e-22", "1e-23", "4.35e22", "123456789012345678", "1234567890123456789",
        "12345678901234567890", "0.00000000000000000000001", "0.000123", "1.5000000000000000000",
        "2.2250738585072014e-308", "4.9e-324", "1e-400", "1.7976931348623157e308", "1e400",
        "-1e400", "3.0000000000000004", "0.30000000000000004", "7e+22", "7E-0", "1e0000000003",
        "123.456e-7", "9999999999999999", "99999999999999999999e-20"};
    for (size_t i = 0; i < sizeof edges / sizeof *edges; i++)
        check_number_bits(edges[i]);
    /* Random decimals of 1 to 20 digits, a point anywhere, and exponents of -30 to 30: most
     * take the fast path, the rest strtod; a fixed seed keeps it reproducible. */
    uint64_t x = 0x9E3779B97F4A7C15u;
    char text[64];
    for (int k = 0; k < 200000; k++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        int digits = 1 + (int)(x % 20), point = (int)((x >> 8) % (uint64_t)(digits + 1));
        int n = 0;
        if (x >> 63)
            text[n++] = '-';
        uint64_t y = x;
        for (int d = 0; d < digits; d++) {
            if (d == point && d > 0)
                text[n++] = '.';
            y = y * 6364136223846793005u + 1442695040888963407u;
            int digit = (int)(y >> 60) % 10;
            if (d == 0 && digits > 1 && point != 1 && digit == 0)
                digit = 1; /* no leading zero before more integer digits (JSON grammar) */
            text[n++] = (char)('0' + digit);
        }
        if ((x >> 20) % 3 == 0)
            n += snprintf(text + n, sizeof text - (size_t)n, "e%d", (int)((x >> 24) % 61) - 30);
        text[n] = '\0';
        check_number_bits(text);
    }
}
END_TEST

START_TEST(g17_formatting_equals_printf_byte_for_byte)
{
    /* ppsj_format_g17 against printf's "%.17g" (the second method): edges of its exact range
     * (1e-6 and 2^53), of %g's notation switch (1e-4, 1e-5, 1e16, 1e17), ties of the 17th
     * digit, signed zeros, NaN and infinities; then random doubles, from random bits and from
     * short decimals (memory series: 0.25, 79.8, ...). */
    static const double edges[] = {0.0, -0.0, 1, -1, 0.25, 79.8, 0.1, 1e-4, 9.9999999999999991e-5,
                                   1e-5, 1.5e-5, 1e-6, 9.9999999999999995e-7, 1e16, 1e17,
                                   9007199254740991.0, 9007199254740992.0, 9007199254740993.0,
                                   12302.25, 123456789.123456789, 5e-324, 1.7976931348623157e308,
                                   0.30000000000000004, 2.5, 1e22, NAN, INFINITY, -INFINITY};
    char got[PPSJ_NUMBER_MAX + 1], want[64];
    uint64_t x = 0x2545F4914F6CDD1Du;
    for (int k = 0; k < 300000; k++) {
        double v;
        if (k < (int)(sizeof edges / sizeof *edges)) {
            v = edges[k];
        } else {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            if (k % 3 == 1) {
                memcpy(&v, &x, sizeof v);
            } else if (k % 3 == 2) { /* a multiple of 2^-10 .. 2^-6 below 2^40 */
                v = ldexp((double)(x >> 24), -(int)(6 + (x >> 8) % 5));
                if (x & 1)
                    v = -v;
            } else { /* a decimal of up to 9 digits scaled by 10^-9 .. 10^9 */
                v = (double)(x % 1000000000u) * pow(10, (double)((int)(x >> 40) % 19 - 9));
                if (x >> 63)
                    v = -v;
            }
        }
        *ppsj_format_g17(got, v) = '\0';
        snprintf(want, sizeof want, "%.17g", v);
        ck_assert_msg(strcmp(got, want) == 0, "%a: %s, printf %s", v, got, want);
    }
}
END_TEST

START_TEST(paths_and_the_byte_order_mark)
{
    ppsj_path a = {NULL, "programs", 0}, b = {&a, NULL, 3}, c = {&b, "x", 0};
    char buf[64];
    ppsj_path_format(&c, buf, sizeof buf);
    ck_assert_str_eq(buf, "$.programs[3].x");
    ppsj_path_format(NULL, buf, sizeof buf);
    ck_assert_str_eq(buf, "$");
    char msg[PPS_ERRMSG_MAX];
    cJSON *root = NULL;
    ck_assert_int_eq(parse_doc("\xEF\xBB\xBF{\"a\": 1}", &root, msg, sizeof msg), PPS_OK);
    cJSON_Delete(root);
}
END_TEST

static Suite *json_suite(void)
{
    Suite *s = suite_create("json");
    TCase *tc = tcase_create("writer");
    tcase_add_test(tc, strings_round_trip_through_an_independent_parser);
    tcase_add_test(tc, strings_use_short_escapes_and_never_raw_control_bytes);
    tcase_add_test(tc, long_strings_cross_the_buffer_intact);
    tcase_add_test(tc, numbers_read_back_exactly_with_the_fewest_digits);
    tcase_add_test(tc, numbers_in_the_documented_forms);
    tcase_add_test(tc, fixed_point_decimals_drop_trailing_zeros);
    tcase_add_test(tc, g17_formatting_equals_printf_byte_for_byte);
    tcase_add_test(tc, separators_and_line_breaks_come_from_the_structure);
    tcase_add_test(tc, an_unfinished_document_is_a_write_error);
    suite_add_tcase(s, tc);
    tc = tcase_create("library writers");
    tcase_add_test(tc, schedule_writer_escapes_the_name);
    tcase_add_test(tc, timeline_and_chrome_writers_escape_every_free_text_field);
    tcase_add_test(tc, profile_writer_escapes_and_keeps_numbers_exact);
    tcase_add_test(tc, cost_writer_output_is_valid_json);
    tcase_add_test(tc, summary_writer_escapes_names_and_skip_reasons);
    tcase_add_test(tc, diff_writer_escapes_both_headers);
    suite_add_tcase(s, tc);
    tc = tcase_create("scanner");
    tcase_add_test(tc, scanner_decodes_every_escape_and_surrogate_pairs);
    tcase_add_test(tc, tree_refuses_nul_escapes_naming_the_path);
    tcase_add_test(tc, tree_refuses_duplicate_keys_in_small_and_large_objects);
    tcase_add_test(tc, skipping_checks_syntax_and_nesting);
    tcase_add_test(tc, paths_and_the_byte_order_mark);
    tcase_add_test(tc, scanner_numbers_equal_strtod_bit_for_bit);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(json_suite());
}
