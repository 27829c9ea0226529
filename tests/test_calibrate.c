/* test_calibrate.c — profile reading and its error messages, calibration of the cost model from a
 * profile, and the cost JSON writer's round trip through pps_cost_parse_json. */
#include <math.h>
#include <stdlib.h>

#include "testutil.h"

/* A valid profile. The stages exercise each backward rule (worked out in calibration_*):
 * stage 0: ti + tw = 2.01 is within 1% of tb = 2; stage 1: 3 + 1 = 4 is not; stage 2: the split
 * measured nothing; stage 3: ti + tw = tb exactly. */
static const char base[] =
    "{\"format\": \"ppsim-profile\", \"version\": 1, \"backend\": \"cpu\", \"ranks\": 2, "
    "\"stages\": 4,\n"
    " \"workload\": {\"hidden\": 512, \"tokens\": 256, \"layers\": 2, \"bf16\": false},\n"
    " \"note\": \"test host\",\n"
    " \"stage_costs\": [\n"
    "  {\"stage\": 0, \"rank\": 0, \"tf\": 1, \"tb\": 2, \"ti\": 1, \"tw\": 1.01, "
    "\"act_bytes\": 1048576, \"act_w_bytes\": 524288, \"send_bytes\": 524288, \"repeats\": 20},\n"
    "  {\"stage\": 1, \"rank\": 1, \"tf\": 1.5, \"tb\": 2, \"ti\": 3, \"tw\": 1, "
    "\"act_bytes\": 1048576, \"act_w_bytes\": 524288, \"send_bytes\": 524288, \"repeats\": 20},\n"
    "  {\"stage\": 2, \"rank\": 0, \"tf\": 2, \"tb\": 4, \"ti\": 0, \"tw\": 0, "
    "\"act_bytes\": 2097152, \"act_w_bytes\": 0, \"send_bytes\": 524288, \"repeats\": 20},\n"
    "  {\"stage\": 3, \"rank\": 1, \"tf\": 0.5, \"tb\": 1, \"ti\": 0.5, \"tw\": 0.5, "
    "\"act_bytes\": 1048576, \"act_w_bytes\": 524288, \"send_bytes\": 0, \"repeats\": 20}],\n"
    " \"links\": [\n"
    "  {\"src\": 0, \"dst\": 1, \"bytes\": 524288, \"latency\": 1e-5, \"bandwidth\": 1e9, "
    "\"repeats\": 50},\n"
    "  {\"src\": 1, \"dst\": 0, \"bytes\": 524288, \"latency\": 3e-5, \"bandwidth\": 3e9, "
    "\"repeats\": 50},\n"
    "  {\"src\": 0, \"dst\": 1, \"bytes\": 1048576, \"latency\": 2e-5, \"bandwidth\": 2e9, "
    "\"one_way\": 5.4e-4, \"repeats\": 50}]}\n";

/* base with the first occurrence of `from` replaced by `to` (static buffer). */
static const char *with(const char *from, const char *to)
{
    static char buf[sizeof base + 256];
    const char *at = strstr(base, from);
    ck_assert_msg(at != NULL, "'%s' is not in the base profile", from);
    size_t head = (size_t)(at - base);
    ck_assert(sizeof base + strlen(to) < sizeof buf + strlen(from));
    memcpy(buf, base, head);
    strcpy(buf + head, to);
    strcat(buf, at + strlen(from));
    return buf;
}

static pps_status parse(const char *text, pps_profile **p, pps_error *err)
{
    return pps_profile_parse_json(text, strlen(text), "p.json", p, err);
}

/* The profile text must parse; fails the test with the reader's message if not. */
static pps_profile *parsed(const char *text)
{
    pps_profile *p = NULL;
    pps_error err = {0};
    ck_assert_msg(parse(text, &p, &err) == PPS_OK, "%s", err.msg);
    return p;
}

/* The costs profile p implies; fails the test with the message if there are none. */
static void costs_of(const pps_profile *p, pps_cost *c)
{
    pps_error err = {0};
    ck_assert_msg(pps_profile_to_costs(p, c, &err) == PPS_OK, "%s", err.msg);
}

START_TEST(a_valid_profile_is_read_field_by_field)
{
    pps_profile *p = parsed(base);
    ck_assert_str_eq(p->backend, "cpu");
    ck_assert_str_eq(p->note, "test host");
    ck_assert_int_eq(p->ranks, 2);
    ck_assert_int_eq(p->stages, 4);
    ck_assert_int_eq(p->hidden, 512);
    ck_assert_int_eq(p->tokens, 256);
    ck_assert_int_eq(p->layers, 2);
    ck_assert_int_eq(p->bf16, 0);
    ck_assert_int_eq(p->stage_costs[1].rank, 1);
    ck_assert_double_eq(p->stage_costs[1].tf, 1.5);
    ck_assert_double_eq(p->stage_costs[0].tw, 1.01);
    ck_assert_double_eq(p->stage_costs[2].act_bytes, 2097152);
    ck_assert_int_eq(p->stage_costs[3].repeats, 20);
    ck_assert_uint_eq(p->nlinks, 3);
    ck_assert_int_eq(p->links[1].src, 1);
    ck_assert_int_eq(p->links[1].dst, 0);
    ck_assert_double_eq(p->links[2].bytes, 1048576);
    ck_assert_double_eq(p->links[2].latency, 2e-5);
    ck_assert_int_eq(p->links[2].repeats, 50);
    ck_assert_double_eq(p->links[0].one_way, 0); /* optional: absent reads as 0 */
    ck_assert_double_eq(p->links[2].one_way, 5.4e-4);
    pps_profile_destroy(p);
    pps_profile_destroy(NULL);
}
END_TEST

START_TEST(workload_note_and_backend_are_optional)
{
    const char *text =
        "{\"format\": \"ppsim-profile\", \"version\": 1, \"ranks\": 1, \"stages\": 1,"
        " \"stage_costs\": [{\"stage\": 0, \"rank\": 0, \"tf\": 1, \"tb\": 2, \"ti\": 1,"
        " \"tw\": 1, \"act_bytes\": 1, \"act_w_bytes\": 0, \"send_bytes\": 0, \"repeats\": 1}],"
        " \"links\": []}";
    pps_profile *p = parsed(text);
    ck_assert_str_eq(p->backend, "");
    ck_assert_int_eq(p->hidden, -1);
    ck_assert_int_eq(p->bf16, -1);
    ck_assert_uint_eq(p->nlinks, 0);
    pps_profile_destroy(p);
}
END_TEST

START_TEST(bad_profiles_name_file_path_and_field)
{
    struct { const char *from, *to, *msg; } cases[] = {
        {"\"tb\": 2, \"ti\": 3, ", "\"ti\": 3, ",
         "p.json: $.stage_costs[1].tb: missing required field"},
        {"\"ranks\": 2", "\"ranks\": \"2\"", "p.json: $.ranks: expected an integer, got a string"},
        {"\"stages\": 4", "\"stages\": 5",
         "p.json: $.stage_costs: expected 5 entries (one per stage), got 4"},
        {"\"stages\": 4", "\"stages\": 3",
         "p.json: $.stage_costs: expected 3 entries (one per stage), got 4"},
        {"\"tf\": 1,", "\"tf\": -0.001,",
         "p.json: $.stage_costs[0].tf: -0.001 is out of range [0, 1e+15]"},
        {"\"tw\": 1.01", "\"tw\": \"fast\"",
         "p.json: $.stage_costs[0].tw: expected a number, got a string"},
        {"\"stage\": 1,", "\"stage\": 2,",
         "p.json: $.stage_costs[1].stage: expected 1 (entries in stage order), got 2"},
        {"\"rank\": 1,", "\"rank\": 2,",
         "p.json: $.stage_costs[1].rank: 2 is out of range [0, 1]"},
        {"\"repeats\": 20", "\"repeats\": 0",
         "p.json: $.stage_costs[0].repeats: 0 is out of range [1, 1000000000]"},
        {"\"act_w_bytes\": 524288", "\"act_w_bytes\": 2097152",
         "p.json: $.stage_costs[0].act_w_bytes: 2097152 exceeds act_bytes 1048576"},
        {"\"bf16\": false", "\"bf16\": 0",
         "p.json: $.workload.bf16: expected a boolean, got a number"},
        {"\"layers\": 2", "\"layers\": 2, \"depth\": 3", "p.json: $.workload.depth: unknown field"},
        {"{\"hidden\": 512, \"tokens\": 256, \"layers\": 2, \"bf16\": false}", "\"big\"",
         "p.json: $.workload: expected an object, got a string"},
        {"\"note\"", "\"colour\": 1, \"note\"", "p.json: $.colour: unknown field"},
        {"ppsim-profile", "ppsim-costs",
         "p.json: $.format: expected \"ppsim-profile\", got \"ppsim-costs\""},
        {"\"version\": 1", "\"version\": 2",
         "p.json: $.version: unsupported version 2 (this ppsim reads version 1)"},
        {"\"format\": \"ppsim-profile\", ", "", "p.json: $.format: missing required field"},
        {"{\"stage\": 3, \"rank\": 1, \"tf\": 0.5, \"tb\": 1, \"ti\": 0.5, \"tw\": 0.5, "
         "\"act_bytes\": 1048576, \"act_w_bytes\": 524288, \"send_bytes\": 0, \"repeats\": 20}",
         "7", "p.json: $.stage_costs[3]: expected an object, got a number"},
        {"\"dst\": 1, \"bytes\": 524288", "\"dst\": 0, \"bytes\": 524288",
         "p.json: $.links[0].dst: equals src 0 (a link joins two ranks)"},
        {"\"latency\": 3e-5", "\"latency\": null",
         "p.json: $.links[1].latency: expected a number, got null"},
        {"\"one_way\": 5.4e-4", "\"one_way\": -1",
         "p.json: $.links[2].one_way: -1 is out of range [0, 1e+15]"},
        {"\"note\"", "\"receiver_copies\": 1, \"note\"",
         "p.json: $.receiver_copies: expected a boolean, got a number"},
        {"\"backend\": \"cpu\"", "\"backend\": \"a-backend-name-longer-than-31-bytes\"",
         "p.json: $.backend: longer than 31 bytes"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        pps_profile *p = NULL;
        pps_error err = {0};
        ck_assert_msg(parse(with(cases[i].from, cases[i].to), &p, &err) == PPS_EINPUT,
                      "case %zu parsed", i);
        ck_assert_ptr_null(p);
        ck_assert_str_eq(err.msg, cases[i].msg);
    }
}
END_TEST

START_TEST(missing_links_are_refused)
{
    /* Cut the text just before ",\n \"links\"" and close the object. */
    char text[sizeof base];
    strcpy(text, base);
    strcpy(strstr(text, ",\n \"links\""), "}");
    pps_profile *p = NULL;
    pps_error err = {0};
    ck_assert_int_eq(parse(text, &p, &err), PPS_EINPUT);
    ck_assert_str_eq(err.msg, "p.json: $.links: missing required field");
}
END_TEST

START_TEST(a_missing_file_is_an_io_error)
{
    pps_profile *p = NULL;
    pps_error err = {0};
    ck_assert_int_eq(pps_profile_read("no-such-profile.json", &p, &err), PPS_EIO);
    ck_assert_str_eq(err.msg, "no-such-profile.json: cannot open: No such file or directory");
}
END_TEST

START_TEST(calibration_keeps_or_rescales_the_backward_split)
{
    pps_profile *p = parsed(base);
    pps_cost c;
    costs_of(p, &c);
    ck_assert_int_eq(c.nstages, 4);
    /* stage 0: |2.01 − 2| = 0.01 ≤ 1% of 2 = 0.02: ti = 1 and tw = 1.01 kept, tb = 2.01 */
    ck_assert_double_eq(c.stage[0].tf, 1);
    ck_assert_double_eq(c.stage[0].ti, 1);
    ck_assert_double_eq(c.stage[0].tw, 1.01);
    ck_assert_double_eq(c.stage[0].tb, 1 + 1.01);
    /* stage 1: 3 + 1 = 4 is 100% off tb = 2: tb kept, ti = 2·3/4 = 1.5, tw = 2 − 1.5 = 0.5 */
    ck_assert_double_eq(c.stage[1].tb, 2);
    ck_assert_double_eq(c.stage[1].ti, 1.5);
    ck_assert_double_eq(c.stage[1].tw, 0.5);
    /* stage 2: the split measured 0 + 0: tb = 4 kept and split evenly */
    ck_assert_double_eq(c.stage[2].tb, 4);
    ck_assert_double_eq(c.stage[2].ti, 2);
    ck_assert_double_eq(c.stage[2].tw, 2);
    /* stage 3: exact, kept */
    ck_assert_double_eq(c.stage[3].tb, 1);
    ck_assert_double_eq(c.stage[3].ti, 0.5);
    /* sizes copied */
    ck_assert_double_eq(c.stage[2].act_bytes, 2097152);
    ck_assert_double_eq(c.stage[0].act_w_bytes, 524288);
    ck_assert_double_eq(c.stage[3].send_bytes, 0);
    /* the model's rule ti + tw = tb holds on every stage */
    for (int s = 0; s < 4; s++)
        ck_assert_double_eq_tol(c.stage[s].ti + c.stage[s].tw, c.stage[s].tb, 1e-15);
    /* uniform: the mean over stages, tf (1 + 1.5 + 2 + 0.5) / 4 = 1.25 */
    ck_assert_double_eq(c.uniform.tf, 1.25);
    /* links: median of 1e-5, 3e-5, 2e-5 is 2e-5; of 1e9, 3e9, 2e9 is 2e9; one node */
    ck_assert_double_eq(c.intra.latency, 2e-5);
    ck_assert_double_eq(c.intra.bandwidth, 2e9);
    ck_assert_double_eq(c.inter.latency, 2e-5);
    ck_assert_int_eq(c.ranks_per_node, 0);
    ck_assert_int_eq(c.comm_sync, 0);
    /* the result is a resolved cost model: a transfer of 1e6 bytes takes 2e-5 + 1e6/2e9 */
    ck_assert_double_eq_tol(pps_cost_transfer(&c, 0, 1, 1e6), 2e-5 + 5e-4, 1e-18);
    pps_cost_clear(&c);
    pps_profile_destroy(p);
}
END_TEST

START_TEST(calibration_takes_the_mean_of_the_middle_links_for_an_even_count)
{
    /* Without the third link: median latency (1e-5 + 3e-5)/2 = 2e-5, bandwidth (1e9 + 3e9)/2. */
    const char *text = with(",\n  {\"src\": 0, \"dst\": 1, \"bytes\": 1048576, \"latency\": 2e-5, "
                            "\"bandwidth\": 2e9, \"one_way\": 5.4e-4, \"repeats\": 50}", "");
    pps_profile *p = parsed(text);
    ck_assert_uint_eq(p->nlinks, 2);
    pps_cost c;
    costs_of(p, &c);
    ck_assert_double_eq_tol(c.intra.latency, 2e-5, 1e-20);
    ck_assert_double_eq(c.intra.bandwidth, 2e9);
    pps_cost_clear(&c);
    pps_profile_destroy(p);
}
END_TEST

START_TEST(calibration_without_links_gives_free_communication)
{
    char text[sizeof base];
    strcpy(text, base);
    strcpy(strstr(text, "\"links\": [") + strlen("\"links\": ["), "]}");
    pps_profile *p = parsed(text);
    pps_cost c;
    costs_of(p, &c);
    ck_assert_double_eq(c.intra.latency, 0);
    ck_assert_double_eq(c.intra.bandwidth, 0);
    ck_assert_double_eq(pps_cost_transfer(&c, 0, 1, 1e9), 0);
    pps_cost_clear(&c);
    pps_profile_destroy(p);
}
END_TEST

START_TEST(receiver_copies_charge_each_message_to_the_compute_that_consumes_it)
{
    /* Stages on ranks 0, 1, 1: a message crosses ranks only between stages 0 and 1. Links:
     * 0->1 with one_way 2.1e-4 s, latency 1e-5 s over 1e6 B: copy 2e-4 s, 2e-10 s/B;
     * 1->0 without one_way: 1e6 B / 1e9 B/s = 1e-3 s, 1e-9 s/B. Median of the two:
     * (2e-10 + 1e-9) / 2 = 6e-10 s/B. Stage 1 receives stage 0's 5e5-byte activations:
     * tf 1 + 3e-4. Stage 0 receives stage 1's 2.5e5-byte gradients: tb 2 + 1.5e-4, ti
     * 1 + 1.5e-4, tw 1. Stage 2 talks only to stage 1 on its own rank: unchanged. The link keeps
     * the median latency (1e-5 + 3e-5) / 2 = 2e-5 s and no bandwidth term. */
    const char *text =
        "{\"format\": \"ppsim-profile\", \"version\": 1, \"ranks\": 2, \"stages\": 3, "
        "\"receiver_copies\": true, \"stage_costs\": [\n"
        " {\"stage\": 0, \"rank\": 0, \"tf\": 1, \"tb\": 2, \"ti\": 1, \"tw\": 1, \"act_bytes\": 8, "
        "\"act_w_bytes\": 0, \"send_bytes\": 500000, \"repeats\": 5},\n"
        " {\"stage\": 1, \"rank\": 1, \"tf\": 1, \"tb\": 2, \"ti\": 1, \"tw\": 1, \"act_bytes\": 8, "
        "\"act_w_bytes\": 0, \"send_bytes\": 250000, \"repeats\": 5},\n"
        " {\"stage\": 2, \"rank\": 1, \"tf\": 1, \"tb\": 2, \"ti\": 1, \"tw\": 1, \"act_bytes\": 8, "
        "\"act_w_bytes\": 0, \"send_bytes\": 0, \"repeats\": 5}],\n"
        " \"links\": [\n"
        " {\"src\": 0, \"dst\": 1, \"bytes\": 1e6, \"latency\": 1e-5, \"bandwidth\": 5e9, "
        "\"one_way\": 2.1e-4, \"repeats\": 9},\n"
        " {\"src\": 1, \"dst\": 0, \"bytes\": 1e6, \"latency\": 3e-5, \"bandwidth\": 1e9, "
        "\"repeats\": 9}]}";
    pps_profile *p = parsed(text);
    ck_assert_int_eq(p->receiver_copies, 1);
    pps_cost c;
    costs_of(p, &c);
    ck_assert_double_eq_tol(c.stage[0].tf, 1, 1e-12);
    ck_assert_double_eq_tol(c.stage[0].tb, 2 + 1.5e-4, 1e-12);
    ck_assert_double_eq_tol(c.stage[0].ti, 1 + 1.5e-4, 1e-12);
    ck_assert_double_eq_tol(c.stage[0].tw, 1, 1e-12);
    ck_assert_double_eq_tol(c.stage[1].tf, 1 + 3e-4, 1e-12);
    ck_assert_double_eq_tol(c.stage[1].tb, 2, 1e-12);
    ck_assert_double_eq_tol(c.stage[2].tf, 1, 1e-12);
    ck_assert_double_eq_tol(c.stage[2].tb, 2, 1e-12);
    ck_assert_double_eq_tol(c.intra.latency, 2e-5, 1e-18);
    ck_assert_double_eq(c.intra.bandwidth, 0);
    ck_assert_double_eq_tol(c.uniform.tf, (3 + 3e-4) / 3, 1e-12);
    pps_cost_clear(&c);

    /* Without the flag the same profile keeps compute as measured and the links' medians. */
    p->receiver_copies = 0;
    costs_of(p, &c);
    ck_assert_double_eq(c.stage[1].tf, 1);
    ck_assert_double_eq(c.intra.bandwidth, 3e9);
    pps_cost_clear(&c);
    pps_profile_destroy(p);
}
END_TEST

/* Writes c with pps_cost_write_json and reads it back into a fresh default cost. */
static void round_trip(const pps_cost *c, pps_cost *back)
{
    pps_error err = {0};
    FILE *fp = tmpfile();
    ck_assert_ptr_nonnull(fp);
    ck_assert_msg(pps_cost_write_json(c, fp, &err) == PPS_OK, "%s", err.msg);
    long n = ftell(fp);
    rewind(fp);
    char *text = malloc((size_t)n + 1);
    ck_assert_uint_eq(fread(text, 1, (size_t)n, fp), (size_t)n);
    text[n] = '\0';
    fclose(fp);
    pps_cost_init(back);
    ck_assert_msg(pps_cost_parse_json(text, (size_t)n, "w.json", back, &err) == PPS_OK,
                  "%s in:\n%s", err.msg, text);
    free(text);
}

/* Equal, or both NaN (unset). */
static int same(double a, double b)
{
    return a == b || (isnan(a) && isnan(b));
}

static void assert_same_stage(const pps_stage_cost *a, const pps_stage_cost *b, int s)
{
    const double *x = &a->tf, *y = &b->tf;
    for (int k = 0; k < 7; k++)
        ck_assert_msg(same(x[k], y[k]), "stage %d field %d: %.17g != %.17g", s, k, x[k], y[k]);
}

static void assert_same_cost(const pps_cost *a, const pps_cost *b)
{
    assert_same_stage(&a->uniform, &b->uniform, -1);
    ck_assert_int_eq(a->nstages, b->nstages);
    for (int s = 0; s < a->nstages; s++)
        assert_same_stage(&a->stage[s], &b->stage[s], s);
    ck_assert(same(a->intra.latency, b->intra.latency));
    ck_assert(same(a->intra.bandwidth, b->intra.bandwidth));
    ck_assert(same(a->inter.latency, b->inter.latency));
    ck_assert(same(a->inter.bandwidth, b->inter.bandwidth));
    ck_assert_int_eq(a->ranks_per_node, b->ranks_per_node);
    ck_assert_int_eq(a->comm_sync, b->comm_sync);
    ck_assert(same(a->t_unshard, b->t_unshard));
    ck_assert(same(a->t_reshard, b->t_reshard));
    ck_assert(same(a->t_reduce_grad, b->t_reduce_grad));
}

START_TEST(calibrated_costs_round_trip_through_the_cost_json_identically)
{
    pps_profile *p = parsed(base);
    pps_cost c, back;
    costs_of(p, &c);
    round_trip(&c, &back);
    assert_same_cost(&c, &back);
    pps_cost_clear(&c);
    pps_cost_clear(&back);
    pps_profile_destroy(p);
}
END_TEST

START_TEST(awkward_numbers_and_every_option_round_trip_identically)
{
    /* Values without a short decimal form, tiny and huge ones, unset (NaN) per-stage fields,
     * two nodes and synchronous communication. */
    pps_cost c, back;
    pps_cost_init(&c);
    c.uniform = (pps_stage_cost){0.1 + 0.2, 1.0 / 3, 1.0 / 6, 1.0 / 3 - 1.0 / 6, 1e15, 1e-300,
                                 12345.678901234567};
    c.nstages = 3;
    c.stage = malloc(3 * sizeof *c.stage);
    c.stage[0] = (pps_stage_cost){NAN, NAN, NAN, NAN, NAN, NAN, NAN};
    c.stage[1] = (pps_stage_cost){2.0 / 7, 4, NAN, NAN, 0, 0, NAN};
    c.stage[2] = (pps_stage_cost){NAN, NAN, 0.7, 0.3, NAN, NAN, 3e-7};
    c.intra = (pps_link){5e-6, 4e11};
    c.inter = (pps_link){1.0 / 49, 2.5e10};
    c.ranks_per_node = 8;
    c.comm_sync = 1;
    c.t_unshard = 0.25;
    c.t_reshard = 1e-9;
    c.t_reduce_grad = 0.1 * 3;
    round_trip(&c, &back);
    assert_same_cost(&c, &back);
    pps_cost_clear(&c);
    pps_cost_clear(&back);
}
END_TEST

START_TEST(default_costs_read_back_to_the_same_resolved_model)
{
    /* pps_cost_init leaves ti and tw unset (derived from tb): the file omits them, and reading
     * derives the same values again. */
    pps_cost c, back;
    pps_error err = {0};
    pps_cost_init(&c);
    round_trip(&c, &back);
    ck_assert(pps_cost_resolve(&c, 2, &err) == PPS_OK);
    ck_assert(pps_cost_resolve(&back, 2, &err) == PPS_OK);
    assert_same_cost(&c, &back);
    ck_assert_double_eq(back.uniform.ti, 1);
}
END_TEST

START_TEST(writing_an_infinite_value_is_refused)
{
    pps_cost c;
    pps_error err = {0};
    pps_cost_init(&c);
    c.uniform.tf = INFINITY;
    FILE *fp = tmpfile();
    ck_assert_int_eq(pps_cost_write_json(&c, fp, &err), PPS_EINPUT);
    ck_assert_str_eq(err.msg, "costs: uniform tf is not finite");
    ck_assert_int_eq(ftell(fp), 0); /* nothing written */
    fclose(fp);
}
END_TEST

static Suite *calibrate_suite(void)
{
    Suite *s = suite_create("calibrate");
    TCase *tc = tcase_create("profile");
    tcase_add_test(tc, a_valid_profile_is_read_field_by_field);
    tcase_add_test(tc, workload_note_and_backend_are_optional);
    tcase_add_test(tc, bad_profiles_name_file_path_and_field);
    tcase_add_test(tc, missing_links_are_refused);
    tcase_add_test(tc, a_missing_file_is_an_io_error);
    suite_add_tcase(s, tc);
    tc = tcase_create("calibration");
    tcase_add_test(tc, calibration_keeps_or_rescales_the_backward_split);
    tcase_add_test(tc, calibration_takes_the_mean_of_the_middle_links_for_an_even_count);
    tcase_add_test(tc, calibration_without_links_gives_free_communication);
    suite_add_tcase(s, tc);
    tc = tcase_create("writer");
    tcase_add_test(tc, calibrated_costs_round_trip_through_the_cost_json_identically);
    tcase_add_test(tc, awkward_numbers_and_every_option_round_trip_identically);
    tcase_add_test(tc, default_costs_read_back_to_the_same_resolved_model);
    tcase_add_test(tc, writing_an_infinite_value_is_refused);
    tcase_add_test(tc, receiver_copies_charge_each_message_to_the_compute_that_consumes_it);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(calibrate_suite());
}
