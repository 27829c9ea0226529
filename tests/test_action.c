/* test_action.c — action strings: each kind parses and formats back; exact reasons for bad ones. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "ppsim.h"
#include "testutil.h"

/* Parses text (NUL-terminated) and checks it succeeds. */
static pps_action parse_ok(const char *text)
{
    pps_action a;
    pps_error err = {0};
    pps_status st = pps_action_parse(text, strlen(text), &a, &err);
    ck_assert_msg(st == PPS_OK, "'%s' did not parse: %s", text, err.msg);
    return a;
}

/* Parses text[0..len) and checks it fails with exactly `want`. */
static void parse_fails(const char *text, size_t len, const char *want)
{
    pps_action a;
    pps_error err = {0};
    pps_status st = pps_action_parse(text, len, &a, &err);
    ck_assert_int_eq(st, PPS_EINPUT);
    ck_assert_int_eq(err.status, PPS_EINPUT);
    ck_assert_str_eq(err.msg, want);
}

static void format_is(const pps_action *a, const char *want)
{
    char buf[PPS_ACTION_TEXT_MAX];
    int n = pps_action_format(a, buf, sizeof buf);
    ck_assert_str_eq(buf, want);
    ck_assert_int_eq(n, (int)strlen(want));
}

START_TEST(every_plain_kind_parses_and_formats_back)
{
    static const struct {
        const char *text;
        pps_kind kind;
        int stage, mb;
    } cases[] = {
        {"0F3", PPS_F, 0, 3},
        {"12B0", PPS_B, 12, 0},
        {"1I7", PPS_I, 1, 7},
        {"2W5", PPS_W, 2, 5},
        {"3SEND_F1", PPS_SEND_F, 3, 1},
        {"3RECV_F1", PPS_RECV_F, 3, 1},
        {"2SEND_B1", PPS_SEND_B, 2, 1},
        {"2RECV_B10", PPS_RECV_B, 2, 10},
        {"1UNSHARD", PPS_UNSHARD, 1, -1},
        {"1RESHARD", PPS_RESHARD, 1, -1},
        {"0REDUCE_GRAD", PPS_REDUCE_GRAD, 0, -1},
        /* PyTorch 2.15's waits (its _action_regex): a send's, with the micro-batch; a reduction's,
         * without. */
        {"1WAIT_SEND_F3", PPS_WAIT_SEND_F, 1, 3},
        {"2WAIT_SEND_B0", PPS_WAIT_SEND_B, 2, 0},
        {"4WAIT_REDUCE_GRAD", PPS_WAIT_REDUCE_GRAD, 4, -1},
        {"2147483647F2147483647", PPS_F, 2147483647, 2147483647},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        pps_action a = parse_ok(cases[i].text);
        ck_assert_int_eq(a.kind, cases[i].kind);
        ck_assert_int_eq(a.stage, cases[i].stage);
        ck_assert_int_eq(a.mb, cases[i].mb);
        ck_assert_int_eq(a.stage2, -1);
        ck_assert_int_eq(a.mb2, -1);
        ck_assert_int_eq(a.kind2, 0);
        format_is(&a, cases[i].text);
    }
}
END_TEST

START_TEST(leading_zeros_are_read_as_decimal)
{
    pps_action a = parse_ok("007F010");
    ck_assert_int_eq(a.stage, 7);
    ck_assert_int_eq(a.mb, 10);
    format_is(&a, "7F10");
}
END_TEST

START_TEST(composite_action_round_trips)
{
    pps_action a = parse_ok("(0F3;1B2)OVERLAP_F_B");
    ck_assert_int_eq(a.kind, PPS_OVERLAP_F_B);
    ck_assert_int_eq(a.stage, 0);
    ck_assert_int_eq(a.mb, 3);
    ck_assert_int_eq(a.stage2, 1);
    ck_assert_int_eq(a.mb2, 2);
    ck_assert_int_eq(a.kind2, PPS_B);
    format_is(&a, "(0F3;1B2)OVERLAP_F_B");

    pps_action b = parse_ok("(4F0;5I1)OVERLAP_F_B");
    ck_assert_int_eq(b.kind2, PPS_I);
    format_is(&b, "(4F0;5I1)OVERLAP_F_B");
}
END_TEST

START_TEST(whitespace_around_actions_is_ignored)
{
    pps_action a = parse_ok("  \t0F3 \r\n");
    ck_assert_int_eq(a.kind, PPS_F);
    format_is(&a, "0F3");
    pps_action b = parse_ok(" ( 0F3 ; 1B2 )OVERLAP_F_B ");
    format_is(&b, "(0F3;1B2)OVERLAP_F_B");
}
END_TEST

START_TEST(blank_text_is_idle_and_formats_empty)
{
    const char *blanks[] = {"", "   ", "\t\r\n"};
    for (size_t i = 0; i < 3; i++) {
        pps_action a = parse_ok(blanks[i]);
        ck_assert_int_eq(a.kind, PPS_IDLE);
        ck_assert_int_eq(a.stage, -1);
        ck_assert_int_eq(a.mb, -1);
        format_is(&a, "");
    }
}
END_TEST

START_TEST(parse_reads_only_the_given_length)
{
    pps_action a;
    pps_error err = {0};
    ck_assert_int_eq(pps_action_parse("0F12,junk", 4, &a, &err), PPS_OK);
    ck_assert_int_eq(a.mb, 12);
}
END_TEST

START_TEST(bad_action_strings_give_exact_reasons)
{
    static const struct {
        const char *text, *want;
    } cases[] = {
        {"FOO", "unknown action 'FOO'"},
        {"0FOO1", "unknown action '0FOO1'"},
        {"0f1", "unknown action '0f1'"},
        {"+0F1", "unknown action '+0F1'"},
        {"0F", "action '0F': missing micro-batch"},
        {"3SEND_B", "action '3SEND_B': missing micro-batch"},
        {"F0", "action 'F0': missing stage number"},
        {"0UNSHARD1", "action '0UNSHARD1': UNSHARD takes no micro-batch"},
        {"0REDUCE_GRAD0", "action '0REDUCE_GRAD0': REDUCE_GRAD takes no micro-batch"},
        {"0WAIT_SEND_F", "action '0WAIT_SEND_F': missing micro-batch"},
        {"0WAIT_SEND_B", "action '0WAIT_SEND_B': missing micro-batch"},
        {"0WAIT_REDUCE_GRAD1", "action '0WAIT_REDUCE_GRAD1': WAIT_REDUCE_GRAD takes no "
                               "micro-batch"},
        {"0WAIT_SEND1", "unknown action '0WAIT_SEND1'"},
        {"0wait_send_f1", "unknown action '0wait_send_f1'"},
        {"(0F3;1WAIT_SEND_F2)OVERLAP_F_B", "action '(0F3;1WAIT_SEND_F2)OVERLAP_F_B': OVERLAP_F_B "
                                           "needs a forward (F) first and a backward (B or I) "
                                           "second"},
        {"99999999999F0", "action '99999999999F0': stage number exceeds 2147483647"},
        {"2147483648F0", "action '2147483648F0': stage number exceeds 2147483647"},
        {"0F99999999999", "action '0F99999999999': micro-batch number exceeds 2147483647"},
        {"-1F0", "action '-1F0': negative stage"},
        {"0F-1", "action '0F-1': negative micro-batch"},
        {"0F1x", "action '0F1x': unexpected 'x' after the action"},
        {"0F1 2", "action '0F1 2': unexpected ' 2' after the action"},
        {"0F1;", "action '0F1;': unexpected ';' after the action"},
        {"0OVERLAP_F_B1",
         "action '0OVERLAP_F_B1': OVERLAP_F_B takes two sub-actions, as in (0F1;1B0)OVERLAP_F_B"},
        {"(0F3;1B2", "action '(0F3;1B2': missing ')'"},
        {"(0F3;1B2)", "action '(0F3;1B2)': missing OVERLAP_F_B after ')'"},
        {"(0F3;1B2)FOO", "action '(0F3;1B2)FOO': unknown composite kind 'FOO'"},
        {"(0F3)OVERLAP_F_B",
         "action '(0F3)OVERLAP_F_B': OVERLAP_F_B takes exactly two sub-actions"},
        {"(0F3;1B2;2B1)OVERLAP_F_B",
         "action '(0F3;1B2;2B1)OVERLAP_F_B': OVERLAP_F_B takes exactly two sub-actions"},
        {"(0B3;1F2)OVERLAP_F_B", "action '(0B3;1F2)OVERLAP_F_B': OVERLAP_F_B needs a forward (F) "
                                 "first and a backward (B or I) second"},
        {"(0F3;1W2)OVERLAP_F_B", "action '(0F3;1W2)OVERLAP_F_B': OVERLAP_F_B needs a forward (F) "
                                 "first and a backward (B or I) second"},
        {"(0F3;)OVERLAP_F_B", "action '(0F3;)OVERLAP_F_B': empty sub-action"},
        {"(0F3;1X2)OVERLAP_F_B", "action '(0F3;1X2)OVERLAP_F_B': unknown action '1X2'"},
        {"((0F3;1B2)OVERLAP_F_B;1B2)OVERLAP_F_B",
         "action '((0F3;1B2)OVERLAP_F_B;1B2)OVERLAP_F_B': nested composite action"},
        {"\x01\xff", "unknown action '?" "?'"}, /* split: a ?? pair would be a trigraph */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        parse_fails(cases[i].text, strlen(cases[i].text), cases[i].want);
}
END_TEST

START_TEST(embedded_nul_byte_is_refused)
{
    parse_fails("0F1\0", 4, "action '0F1?': contains a NUL byte");
    parse_fails("0F\0" "1", 4, "action '0F?1': contains a NUL byte");
}
END_TEST

START_TEST(long_bad_text_is_quoted_cut_to_forty_bytes)
{
    char text[200];
    memset(text, 'x', sizeof text);
    parse_fails(text, sizeof text, "unknown action 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...'");
}
END_TEST

START_TEST(format_reports_the_needed_length_like_snprintf)
{
    pps_action a = pps_action_make(PPS_F, 12, 345);
    char buf[3];
    ck_assert_int_eq(pps_action_format(&a, buf, sizeof buf), 6);
    ck_assert_str_eq(buf, "12");
    ck_assert_int_eq(pps_action_format(&a, NULL, 0), 6);
}
END_TEST

START_TEST(longest_action_fits_the_text_limit)
{
    pps_action a = parse_ok("(2147483647F2147483647;2147483647B2147483647)OVERLAP_F_B");
    char buf[PPS_ACTION_TEXT_MAX];
    int n = pps_action_format(&a, buf, sizeof buf);
    ck_assert_int_lt(n, PPS_ACTION_TEXT_MAX);
}
END_TEST

START_TEST(make_fills_the_unused_fields)
{
    pps_action a = pps_action_make(PPS_SEND_B, 3, 4);
    ck_assert_int_eq(a.kind, PPS_SEND_B);
    ck_assert_int_eq(a.stage, 3);
    ck_assert_int_eq(a.mb, 4);
    ck_assert_int_eq(a.stage2, -1);
    ck_assert_int_eq(a.mb2, -1);
    ck_assert_int_eq(a.kind2, 0);
    pps_action u = pps_action_make(PPS_RESHARD, 1, 7);
    ck_assert_int_eq(u.mb, -1);
    format_is(&u, "1RESHARD");
}
END_TEST

START_TEST(kind_names_and_classes)
{
    ck_assert_str_eq(pps_kind_name(PPS_IDLE), "");
    ck_assert_str_eq(pps_kind_name(PPS_F), "F");
    ck_assert_str_eq(pps_kind_name(PPS_OVERLAP_F_B), "OVERLAP_F_B");
    ck_assert_str_eq(pps_kind_name(PPS_RECV_B), "RECV_B");
    ck_assert_str_eq(pps_kind_name(PPS_REDUCE_GRAD), "REDUCE_GRAD");
    ck_assert_str_eq(pps_kind_name(PPS_WAIT_SEND_F), "WAIT_SEND_F");
    ck_assert_str_eq(pps_kind_name(PPS_WAIT_SEND_B), "WAIT_SEND_B");
    ck_assert_str_eq(pps_kind_name(PPS_WAIT_REDUCE_GRAD), "WAIT_REDUCE_GRAD");
    ck_assert_str_eq(pps_kind_name(PPS_KIND_COUNT), "?");
    for (int k = 0; k < PPS_KIND_COUNT; k++) {
        int compute = k == PPS_F || k == PPS_B || k == PPS_I || k == PPS_W ||
                      k == PPS_OVERLAP_F_B;
        int comm = k == PPS_SEND_F || k == PPS_RECV_F || k == PPS_SEND_B || k == PPS_RECV_B;
        ck_assert_int_eq(pps_kind_is_compute((pps_kind)k) != 0, compute);
        ck_assert_int_eq(pps_kind_is_comm((pps_kind)k) != 0, comm);
        int wait = k == PPS_WAIT_SEND_F || k == PPS_WAIT_SEND_B || k == PPS_WAIT_REDUCE_GRAD;
        ck_assert_int_eq(pps_kind_is_wait((pps_kind)k) != 0, wait);
    }
}
END_TEST

static Suite *action_suite(void)
{
    Suite *s = suite_create("action");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, every_plain_kind_parses_and_formats_back);
    tcase_add_test(tc, leading_zeros_are_read_as_decimal);
    tcase_add_test(tc, composite_action_round_trips);
    tcase_add_test(tc, whitespace_around_actions_is_ignored);
    tcase_add_test(tc, blank_text_is_idle_and_formats_empty);
    tcase_add_test(tc, parse_reads_only_the_given_length);
    tcase_add_test(tc, bad_action_strings_give_exact_reasons);
    tcase_add_test(tc, embedded_nul_byte_is_refused);
    tcase_add_test(tc, long_bad_text_is_quoted_cut_to_forty_bytes);
    tcase_add_test(tc, format_reports_the_needed_length_like_snprintf);
    tcase_add_test(tc, longest_action_fits_the_text_limit);
    tcase_add_test(tc, make_fills_the_unused_fields);
    tcase_add_test(tc, kind_names_and_classes);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(action_suite());
}
