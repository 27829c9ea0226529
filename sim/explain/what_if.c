/* what_if.c — `--what-if 'stage 7 tb *0.9'`: a change of one stage's compute time or activation
 * size, parsed, applied to a run's prices and re-simulated for a before/after comparison
 * (docs/explain.md, "What-if"). */
#include "ppsim.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The cost names a change may give, and what each edits. */
static const struct {
    const char *name;
    pps_what_if_cost cost;
    pps_kind kind; /* the priced kind; PPS_KIND_COUNT for act */
} costs[] = {
    {"tf", PPS_WHAT_IF_TF, PPS_F},
    {"tb", PPS_WHAT_IF_TB, PPS_B},
    {"ti", PPS_WHAT_IF_TI, PPS_I},
    {"tw", PPS_WHAT_IF_TW, PPS_W},
    {"act", PPS_WHAT_IF_ACT, PPS_KIND_COUNT},
};
#define NCOSTS (sizeof costs / sizeof *costs)

const char *pps_what_if_cost_name(pps_what_if_cost c)
{
    return (size_t)c < NCOSTS ? costs[c].name : "?";
}

/* The next token of text at *at: a run of characters that are not blanks, commas or (after a
 * word) an operator; its bounds in *b, *e. */
static void skip_blanks(const char *text, size_t *at)
{
    while (text[*at] && isspace((unsigned char)text[*at]))
        (*at)++;
}

static size_t token_end(const char *text, size_t at, int stop_at_op)
{
    while (text[at] && !isspace((unsigned char)text[at]) && text[at] != ',' &&
           !(stop_at_op && (text[at] == '*' || text[at] == '=' || text[at] == '+')))
        at++;
    return at;
}

/* Sets the error for the token text[b..e) ("'x' is not ..."); an empty token reads as the end
 * of the text. */
static pps_status bad_token(pps_error *err, const char *text, size_t b, size_t e,
                            const char *what)
{
    if (e == b)
        return pps_error_set(err, PPS_EINPUT, "'%s': ends where %s should be", text, what);
    return pps_error_set(err, PPS_EINPUT, "'%s': '%.*s' is not %s", text, (int)(e - b),
                         text + b, what);
}

pps_status pps_what_if_parse(const char *text, pps_what_if *out, size_t max, size_t *n,
                             pps_error *err)
{
    size_t at = 0;
    for (;;) {
        pps_what_if w = {0};
        skip_blanks(text, &at);
        size_t b = at, e = token_end(text, at, 0);
        if (e - b != 5 || strncmp(text + b, "stage", 5) != 0)
            return bad_token(err, text, b, e, "'stage' (expected 'stage N COST OPVALUE')");
        at = e;
        skip_blanks(text, &at);
        b = at;
        e = token_end(text, at, 0);
        char num[32];
        char *end;
        snprintf(num, sizeof num, "%.*s", (int)(e - b), text + b);
        errno = 0;
        long st = strtol(num, &end, 10);
        if (e == b || e - b >= sizeof num || *end || errno || st < 0 || st > 1000000)
            return bad_token(err, text, b, e, "a stage number");
        w.stage = (int)st;
        at = e;
        skip_blanks(text, &at);
        b = at;
        e = token_end(text, at, 1);
        size_t k = 0;
        while (k < NCOSTS && !(strlen(costs[k].name) == e - b &&
                               strncmp(text + b, costs[k].name, e - b) == 0))
            k++;
        if (k == NCOSTS)
            return bad_token(err, text, b, e, "a cost (tf, tb, ti, tw or act)");
        w.cost = costs[k].cost;
        at = e;
        skip_blanks(text, &at);
        b = at;
        if (text[at] != '*' && text[at] != '=' && text[at] != '+')
            return bad_token(err, text, b, token_end(text, at, 0),
                             "a change (*FACTOR, =VALUE or +VALUE)");
        w.op = text[at++];
        skip_blanks(text, &at);
        e = token_end(text, at, 0);
        snprintf(num, sizeof num, "%.*s", (int)(e - at), text + at);
        errno = 0;
        w.value = strtod(num, &end);
        if (e == at || e - at >= sizeof num || *end || errno || !isfinite(w.value))
            return bad_token(err, text, b, e, "a change (*FACTOR, =VALUE or +VALUE)");
        if (w.op != '+' && w.value < 0)
            return bad_token(err, text, b, e, "a change: a factor or a value is 0 or more");
        at = e;
        if (*n == max)
            return pps_error_set(err, PPS_EINPUT, "'%s': more than %zu changes", text, max);
        out[(*n)++] = w;
        skip_blanks(text, &at);
        if (!text[at])
            return PPS_OK;
        if (text[at] != ',')
            return bad_token(err, text, at, token_end(text, at, 0),
                             "a ',' before the next change, or the end");
        at++;
    }
}

void pps_what_if_format(const pps_what_if *w, char *buf, size_t size)
{
    char v[32];
    pps_format_exact(w->value, v, sizeof v);
    snprintf(buf, size, "stage %d %s %c%s", w->stage, pps_what_if_cost_name(w->cost), w->op, v);
}

static double changed(const pps_what_if *w, double x)
{
    return w->op == '*' ? x * w->value : w->op == '=' ? w->value : x + w->value;
}

/* 1 when schedule s runs an action of kind k on stage st (an overlapped pair counts for both
 * halves). */
static int runs_kind(const pps_schedule *s, pps_kind k, int st)
{
    for (int r = 0; r < s->ranks; r++) {
        const pps_program *p = &s->programs[r];
        for (size_t i = 0; i < p->n; i++) {
            const pps_action *a = &p->actions[i];
            if ((a->kind == k && a->stage == st) ||
                (a->kind == PPS_OVERLAP_F_B && ((k == PPS_F && a->stage == st) ||
                                               (a->kind2 == k && a->stage2 == st))))
                return 1;
        }
    }
    return 0;
}

pps_status pps_what_if_apply(const pps_schedule *s, pps_prices *p, const pps_what_if *w,
                             size_t n, pps_error *err)
{
    for (size_t i = 0; i < n; i++) {
        char text[96];
        pps_what_if_format(&w[i], text, sizeof text);
        if (w[i].stage >= p->stages)
            return pps_error_set(err, PPS_EINPUT, "'%s': stage %d: the schedule has %d stages "
                                 "(0..%d)", text, w[i].stage, p->stages, p->stages - 1);
        if ((size_t)w[i].cost >= NCOSTS)
            return pps_error_set(err, PPS_EINPUT, "'%s': not a cost", text);
        int st = w[i].stage;
        pps_kind k = costs[w[i].cost].kind;
        if (k == PPS_KIND_COUNT) {
            double old = p->act_bytes[st], act = changed(&w[i], old);
            if (!(act >= 0) || !isfinite(act))
                return pps_error_set(err, PPS_EINPUT, "'%s': the activation size would be %g "
                                     "bytes", text, act);
            /* The part kept for W stays the same share of the activation. */
            p->act_w_bytes[st] = old > 0 ? p->act_w_bytes[st] * (act / old) : 0;
            p->act_bytes[st] = act;
            continue;
        }
        if (!runs_kind(s, k, st))
            return pps_error_set(err, PPS_EINPUT, "'%s': stage %d runs no %s action%s", text, st,
                                 pps_kind_name(k),
                                 k == PPS_B ? " (its backward is split: change ti and tw)"
                                 : k == PPS_I || k == PPS_W ? " (its backward is whole: change "
                                                              "tb)" : "");
        double *bs = &p->by_stage[(size_t)st * PPS_KIND_COUNT + (size_t)k];
        double nb = changed(&w[i], *bs);
        double *row = p->by_cell[k] ? p->by_cell[k] + (size_t)st * (size_t)p->microbatches : NULL;
        for (int m = 0; row && m < p->microbatches && nb >= 0; m++)
            nb = fmin(nb, changed(&w[i], row[m]));
        if (!(nb >= 0) || !isfinite(nb))
            return pps_error_set(err, PPS_EINPUT, "'%s': the time would be %g s", text, nb);
        *bs = changed(&w[i], *bs);
        for (int m = 0; row && m < p->microbatches; m++)
            row[m] = changed(&w[i], row[m]);
    }
    return PPS_OK;
}

/* The figures compared: makespan, bubble and the highest rank's peak activation memory. */
static pps_status figures(const pps_schedule *s, const pps_prices *p, pps_what_if_figures *f,
                          pps_error *err)
{
    pps_analysis a = {0};
    pps_status st = pps_simulate_prices(s, p, NULL, &a, NULL, err);
    if (st != PPS_OK)
        return st;
    f->makespan = a.makespan;
    f->idle_over_total = a.idle_over_total;
    f->peak = 0;
    f->peak_rank = 0;
    for (int r = 0; r < a.ranks; r++)
        if (a.per_rank[r].peak_activation > f->peak) {
            f->peak = a.per_rank[r].peak_activation;
            f->peak_rank = r;
        }
    pps_analysis_clear(&a);
    return PPS_OK;
}

pps_status pps_what_if_run(const pps_schedule *s, const pps_prices *p, const pps_what_if *w,
                           size_t n, pps_what_if_result *out, pps_error *err)
{
    memset(out, 0, sizeof *out);
    pps_prices q = {0};
    pps_status st = figures(s, p, &out->before, err);
    /* A copy to change: pps_price's buffers, then p's values (per cell where p has them). */
    if (st == PPS_OK) {
        q.stages = p->stages;
        q.microbatches = p->microbatches;
        q.comm_sync = p->comm_sync;
        q.cap_stages = (size_t)p->stages;
        size_t ns = (size_t)p->stages, cells = ns * (size_t)p->microbatches;
        q.by_stage = malloc(ns * PPS_KIND_COUNT * sizeof *q.by_stage);
        q.act_bytes = malloc(ns * sizeof *q.act_bytes);
        q.act_w_bytes = malloc(ns * sizeof *q.act_w_bytes);
        if (!q.by_stage || !q.act_bytes || !q.act_w_bytes)
            st = pps_error_set(err, PPS_ENOMEM, "what-if: out of memory");
        for (int k = 0; k < PPS_KIND_COUNT && st == PPS_OK; k++) {
            if (!p->by_cell[k])
                continue;
            if (!(q.by_cell[k] = malloc(cells * sizeof *q.by_cell[k])))
                st = pps_error_set(err, PPS_ENOMEM, "what-if: out of memory");
            else
                memcpy(q.by_cell[k], p->by_cell[k], cells * sizeof *q.by_cell[k]);
        }
        if (st == PPS_OK) {
            memcpy(q.by_stage, p->by_stage, ns * PPS_KIND_COUNT * sizeof *q.by_stage);
            memcpy(q.act_bytes, p->act_bytes, ns * sizeof *q.act_bytes);
            memcpy(q.act_w_bytes, p->act_w_bytes, ns * sizeof *q.act_w_bytes);
        }
    }
    if (st == PPS_OK)
        st = pps_what_if_apply(s, &q, w, n, err);
    if (st == PPS_OK)
        st = figures(s, &q, &out->after, err);
    pps_prices_clear(&q);
    return st;
}

pps_status pps_what_if_write_text(const pps_what_if *w, size_t n, const pps_what_if_result *r,
                                  FILE *fp, pps_error *err)
{
    fputs("what-if:", fp);
    for (size_t i = 0; i < n; i++) {
        char text[96];
        pps_what_if_format(&w[i], text, sizeof text);
        fprintf(fp, "%s %s", i ? "," : "", text);
    }
    const pps_what_if_figures *b = &r->before, *a = &r->after;
    char x[32], y[32];
    fprintf(fp, "\n  %-22s %14s %14s %10s\n", "", "before", "after", "change");
    pps_format_time(b->makespan, x, sizeof x);
    pps_format_time(a->makespan, y, sizeof y);
    fprintf(fp, "  %-22s %14s %14s %+9.2f%%\n", "makespan", x, y,
            b->makespan > 0 ? 100 * (a->makespan / b->makespan - 1) : 0);
    fprintf(fp, "  %-22s %13.2f%% %13.2f%% %+8.2f pp\n", "bubble (idle/total)",
            100 * b->idle_over_total, 100 * a->idle_over_total,
            100 * (a->idle_over_total - b->idle_over_total));
    pps_format_bytes(b->peak, x, sizeof x);
    pps_format_bytes(a->peak, y, sizeof y);
    fprintf(fp, "  %-22s %14s %14s %+9.2f%%\n", "peak activation memory", x, y,
            b->peak > 0 ? 100 * (a->peak / b->peak - 1) : 0);
    return ferror(fp) ? pps_error_set(err, PPS_EIO, "what-if: write error") : PPS_OK;
}
