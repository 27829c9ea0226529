/* advice.c — rules that turn a simulated run into findings, each with its evidence and the
 * simulated gain of its fix (docs/explain.md lists the rules and their thresholds). */
#include "ppsim.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One alternative schedule simulated on the run's P, M and costs. */
typedef struct alt {
    const pps_generator *gen;
    int chunks;
    double makespan, bubble, peak; /* seconds, idle/total, bytes (the highest rank's) */
} alt;

#define MAX_ALTS 32

static double peak_of(const pps_analysis *a)
{
    double p = 0;
    for (int r = 0; r < a->ranks; r++)
        p = fmax(p, a->per_rank[r].peak_activation);
    return p;
}

/* x as "N/D" when it is such a fraction with D ≤ 1000 (to 1e-9), else as a percentage. */
static void fraction(double x, char *buf, size_t size)
{
    for (int d = 1; d <= 1000; d++) {
        double n = round(x * d);
        if (n > 0 && fabs(n / d - x) <= 1e-9) {
            snprintf(buf, size, "%.1f%% = %.0f/%d", 100 * x, n, d);
            return;
        }
    }
    snprintf(buf, size, "%.1f%%", 100 * x);
}

static pps_advice_item *add(pps_advice *out, const char *rule, double before, double after)
{
    if (out->n == PPS_ADVICE_MAX)
        return NULL;
    pps_advice_item *it = &out->item[out->n++];
    memset(it, 0, sizeof *it);
    snprintf(it->rule, sizeof it->rule, "%s", rule);
    it->before = before;
    it->after = after;
    return it;
}

static void say(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void say(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, size, fmt, ap);
    va_end(ap);
}

/* The bytes of one micro-batch's activations on `rank` (its stages' act_bytes summed): the unit
 * peaks are counted in. */
static double mb_bytes(const pps_schedule *s, const pps_prices *p, int rank)
{
    double sum = 0;
    for (int st = 0; st < s->stages; st++)
        if (s->stage_rank[st] == rank)
            sum += p->act_bytes ? p->act_bytes[st] : 1;
    return sum;
}

static int peak_rank(const pps_analysis *a)
{
    int r = 0;
    for (int k = 1; k < a->ranks; k++)
        if (a->per_rank[k].peak_activation > a->per_rank[r].peak_activation)
            r = k;
    return r;
}

/* Simulates the registry's other schedules on the run's P, M and costs (those that take the
 * configuration; automatic searches and the naive reference left out). */
static size_t alternatives(pps_batch *b, const pps_advice_input *in, alt *out)
{
    size_t n = 0;
    int v = in->params.chunks;
    for (size_t i = 0; i < pps_generator_count() && n < MAX_ALTS; i++) {
        const pps_generator *g = pps_generator_at(i);
        if (g == in->gen || strstr(g->name, "auto") || strcmp(g->name, "naive") == 0)
            continue;
        pps_gen_params gp = {.ranks = in->params.ranks, .microbatches = in->params.microbatches,
                             .chunks = g->default_chunks > 1 ? (v > 1 ? v : g->default_chunks)
                                                             : 1,
                             .cost = NULL};
        const pps_analysis *a = NULL;
        pps_error e = {0};
        if (pps_batch_run(b, g, &gp, in->cost, &a, &e) != PPS_OK)
            continue; /* a configuration this schedule refuses */
        out[n++] = (alt){.gen = g, .chunks = gp.chunks, .makespan = a->makespan,
                         .bubble = a->idle_over_total, .peak = peak_of(a)};
    }
    return n;
}

/* A copy of p's per-stage prices (the per-cell ones are not copied: the rules that edit prices
 * apply to runs priced by stage). */
static pps_status prices_copy(const pps_prices *p, pps_prices *q, pps_error *err)
{
    memset(q, 0, sizeof *q);
    size_t ns = (size_t)p->stages;
    q->stages = p->stages;
    q->microbatches = p->microbatches;
    q->comm_sync = p->comm_sync;
    q->cap_stages = ns;
    q->by_stage = malloc(ns * PPS_KIND_COUNT * sizeof *q->by_stage);
    q->act_bytes = malloc(ns * sizeof *q->act_bytes);
    q->act_w_bytes = malloc(ns * sizeof *q->act_w_bytes);
    if (!q->by_stage || !q->act_bytes || !q->act_w_bytes)
        return pps_error_set(err, PPS_ENOMEM, "advice: out of memory");
    memcpy(q->by_stage, p->by_stage, ns * PPS_KIND_COUNT * sizeof *q->by_stage);
    memcpy(q->act_bytes, p->act_bytes, ns * sizeof *q->act_bytes);
    memcpy(q->act_w_bytes, p->act_w_bytes, ns * sizeof *q->act_w_bytes);
    return PPS_OK;
}

static int priced_by_cell(const pps_prices *p)
{
    for (int k = 0; k < PPS_KIND_COUNT; k++)
        if (p->by_cell[k])
            return 1;
    return 0;
}

static const pps_kind compute_kinds[] = {PPS_F, PPS_B, PPS_I, PPS_W, PPS_OVERLAP_F_B};
#define NCOMPUTE (sizeof compute_kinds / sizeof *compute_kinds)

/* A stage's compute time per micro-batch: t_F and its backward (t_B, or t_I + t_W when the
 * schedule splits it: the larger of the two, since a stage runs one or the other). */
static double stage_time(const pps_prices *p, int s)
{
    const double *c = &p->by_stage[(size_t)s * PPS_KIND_COUNT];
    return c[PPS_F] + fmax(c[PPS_B], c[PPS_I] + c[PPS_W]);
}

/* unbalanced: the slowest stage against the mean; the fix gives every stage the mean of each
 * compute kind. */
static pps_status rule_unbalanced(pps_batch *b, const pps_advice_input *in, pps_advice *out,
                                  pps_error *err)
{
    const pps_prices *p = in->prices;
    if (priced_by_cell(p) || p->stages < 2)
        return PPS_OK;
    double sum = 0, worst = 0;
    int slow = 0;
    for (int s = 0; s < p->stages; s++) {
        double t = stage_time(p, s);
        sum += t;
        if (t > worst) {
            worst = t;
            slow = s;
        }
    }
    double mean = sum / p->stages;
    if (!(mean > 0) || worst <= PPS_ADVICE_UNBALANCED * mean)
        return PPS_OK;
    pps_prices q;
    pps_status st = prices_copy(p, &q, err);
    for (size_t k = 0; k < NCOMPUTE && st == PPS_OK; k++) {
        double m = 0;
        for (int s = 0; s < p->stages; s++)
            m += p->by_stage[(size_t)s * PPS_KIND_COUNT + (size_t)compute_kinds[k]];
        m /= p->stages;
        for (int s = 0; s < p->stages; s++)
            q.by_stage[(size_t)s * PPS_KIND_COUNT + (size_t)compute_kinds[k]] = m;
    }
    const pps_analysis *a = NULL;
    if (st == PPS_OK)
        st = pps_batch_simulate(b, in->sched, &q, &a, err);
    if (st == PPS_OK) {
        double m0 = in->analysis->makespan;
        pps_advice_item *it = add(out, "unbalanced", m0, a->makespan);
        if (it) {
            char w[32], mn[32], x0[32], x1[32];
            pps_format_time(worst, w, sizeof w);
            pps_format_time(mean, mn, sizeof mn);
            pps_format_time(m0, x0, sizeof x0);
            pps_format_time(a->makespan, x1, sizeof x1);
            say(it->finding, sizeof it->finding, "stage %d takes %s per micro-batch (t_F + "
                "backward), %.0f%% above the mean %s (threshold: %.0f%%)", slow, w,
                100 * (worst / mean - 1), mn, 100 * (PPS_ADVICE_UNBALANCED - 1));
            say(it->fix, sizeof it->fix, "move layers off stage %d: with every stage at the "
                "mean, simulated makespan %s -> %s (%+.1f%%)", slow, x0, x1,
                100 * (a->makespan / m0 - 1));
        }
    }
    pps_prices_clear(&q);
    return st;
}

/* communication: the path's share spent in transfers; the fix's bound is the run with free
 * transfers (every SEND priced 0). */
static pps_status rule_communication(pps_batch *b, const pps_advice_input *in, pps_advice *out,
                                     pps_error *err)
{
    double m0 = in->analysis->makespan;
    double share = m0 > 0 ? in->path->transfer_seconds / m0 : 0;
    if (share <= PPS_ADVICE_COMM_SHARE || priced_by_cell(in->prices))
        return PPS_OK;
    pps_prices q;
    pps_status st = prices_copy(in->prices, &q, err);
    for (int s = 0; s < q.stages && st == PPS_OK; s++) {
        q.by_stage[(size_t)s * PPS_KIND_COUNT + PPS_SEND_F] = 0;
        q.by_stage[(size_t)s * PPS_KIND_COUNT + PPS_SEND_B] = 0;
    }
    const pps_analysis *a = NULL;
    if (st == PPS_OK)
        st = pps_batch_simulate(b, in->sched, &q, &a, err);
    if (st == PPS_OK) {
        pps_advice_item *it = add(out, "communication", m0, a->makespan);
        if (it) {
            char x0[32], x1[32];
            pps_format_time(m0, x0, sizeof x0);
            pps_format_time(a->makespan, x1, sizeof x1);
            say(it->finding, sizeof it->finding, "transfers make %.1f%% of the critical path "
                "(threshold: %.0f%%)", 100 * share, 100 * PPS_ADVICE_COMM_SHARE);
            say(it->fix, sizeof it->fix, "keep tensor parallelism within a node and pipeline "
                "stages across nodes, use larger micro-batches, or overlap communication: with "
                "free transfers the simulated makespan is %s -> %s (%+.1f%%), the most this "
                "can gain", x0, x1, 100 * (a->makespan / m0 - 1));
        }
    }
    pps_prices_clear(&q);
    return st;
}

/* microbatches: M < 4P; the fix is the same schedule at M = 4P. */
static pps_status rule_microbatches(pps_batch *b, const pps_advice_input *in, pps_advice *out)
{
    int P = in->params.ranks, M = in->params.microbatches;
    if (!in->gen || M >= PPS_ADVICE_MB_PER_RANK * P)
        return PPS_OK;
    pps_gen_params gp = in->params;
    gp.microbatches = PPS_ADVICE_MB_PER_RANK * P;
    const pps_analysis *a = NULL;
    pps_error e = {0};
    if (pps_batch_run(b, in->gen, &gp, in->cost, &a, &e) != PPS_OK)
        return PPS_OK; /* the schedule does not take that M: nothing to show */
    double b0 = in->analysis->idle_over_total;
    pps_advice_item *it = add(out, "microbatches", b0, a->idle_over_total);
    if (!it)
        return PPS_OK;
    char f0[48], f1[48];
    fraction(b0, f0, sizeof f0);
    fraction(a->idle_over_total, f1, sizeof f1);
    say(it->finding, sizeof it->finding, "M = %d micro-batches < %d x P = %d: bubble "
        "(idle/total) %s", M, PPS_ADVICE_MB_PER_RANK, PPS_ADVICE_MB_PER_RANK * P, f0);
    say(it->fix, sizeof it->fix, "use at least %d x as many micro-batches as stages (M >= %d): "
        "simulated bubble at M = %d: %s", PPS_ADVICE_MB_PER_RANK, gp.microbatches,
        gp.microbatches, f1);
    return PPS_OK;
}

/* bubble: idle/total above the threshold; the fix names the alternative with the least. */
static void rule_bubble(const pps_advice_input *in, const alt *alts, size_t n, pps_advice *out)
{
    double b0 = in->analysis->idle_over_total;
    if (b0 <= PPS_ADVICE_BUBBLE)
        return;
    const alt *best = NULL;
    for (size_t i = 0; i < n; i++)
        if (alts[i].bubble < b0 && (!best || alts[i].bubble < best->bubble))
            best = &alts[i];
    pps_advice_item *it = add(out, "bubble", b0, best ? best->bubble : b0);
    if (!it)
        return;
    say(it->finding, sizeof it->finding, "%.1f%% of the ranks' time is idle (threshold: "
        "%.0f%%)", 100 * b0, 100 * PPS_ADVICE_BUBBLE);
    if (best)
        say(it->fix, sizeof it->fix, "%s (v = %d) idles %.1f%% on this configuration; more "
            "micro-batches also shrink it", best->gen->name, best->chunks, 100 * best->bubble);
    else
        say(it->fix, sizeof it->fix, "no other schedule idles less here: use more "
            "micro-batches");
}

/* memory-schedule: an alternative at no more than 1% longer that holds at least 10% less. */
static void rule_memory_schedule(const pps_advice_input *in, const alt *alts, size_t n,
                                 pps_advice *out)
{
    double m0 = in->analysis->makespan, p0 = peak_of(in->analysis);
    const alt *best = NULL;
    for (size_t i = 0; i < n; i++)
        if (alts[i].makespan <= m0 * (1 + PPS_ADVICE_SAME_TIME) &&
            alts[i].peak <= p0 * (1 - PPS_ADVICE_MEMORY_GAIN) &&
            (!best || alts[i].peak < best->peak))
            best = &alts[i];
    if (!best)
        return;
    pps_advice_item *it = add(out, "memory-schedule", p0, best->peak);
    if (!it)
        return;
    double unit = mb_bytes(in->sched, in->prices, peak_rank(in->analysis));
    char b0[32], b1[32], x0[32], x1[32];
    pps_format_bytes(p0, b0, sizeof b0);
    pps_format_bytes(best->peak, b1, sizeof b1);
    pps_format_time(m0, x0, sizeof x0);
    pps_format_time(best->makespan, x1, sizeof x1);
    say(it->finding, sizeof it->finding, "peak activation memory %s, %g micro-batches' "
        "activations", b0, unit > 0 ? p0 / unit : NAN);
    say(it->fix, sizeof it->fix, "%s (v = %d) holds %s, %g micro-batches, at makespan %s "
        "(now %s)", best->gen->name, best->chunks, b1, unit > 0 ? best->peak / unit : NAN, x1,
        x0);
}

/* memory-budget: the peak over the budget; the fix is the fastest alternative that fits. */
static void rule_memory_budget(const pps_advice_input *in, const alt *alts, size_t n,
                               pps_advice *out)
{
    double p0 = peak_of(in->analysis), budget = in->memory_budget;
    if (!(budget > 0) || p0 <= budget)
        return;
    const alt *best = NULL;
    for (size_t i = 0; i < n; i++)
        if (alts[i].peak <= budget && (!best || alts[i].makespan < best->makespan))
            best = &alts[i];
    pps_advice_item *it = add(out, "memory-budget", p0, best ? best->peak : p0);
    if (!it)
        return;
    char b0[32], bb[32], b1[32], x1[32];
    pps_format_bytes(p0, b0, sizeof b0);
    pps_format_bytes(budget, bb, sizeof bb);
    say(it->finding, sizeof it->finding, "peak activation memory %s is over the budget %s",
        b0, bb);
    if (best) {
        pps_format_bytes(best->peak, b1, sizeof b1);
        pps_format_time(best->makespan, x1, sizeof x1);
        say(it->fix, sizeof it->fix, "%s (v = %d) fits: peak %s, makespan %s; fewer "
            "micro-batches in flight or recomputation also lower it", best->gen->name,
            best->chunks, b1, x1);
    } else {
        say(it->fix, sizeof it->fix, "no schedule of the registry fits at this M: recompute "
            "activations (smaller act_bytes) or add stages");
    }
}

/* zero-bubble: a zero-bubble schedule at least 5% faster, with the memory it costs. */
static void rule_zero_bubble(const pps_advice_input *in, const alt *alts, size_t n,
                             pps_advice *out)
{
    double m0 = in->analysis->makespan, p0 = peak_of(in->analysis);
    const alt *best = NULL;
    for (size_t i = 0; i < n; i++) {
        const char *nm = alts[i].gen->name;
        int zb = strncmp(nm, "zb-", 3) == 0 || strstr(nm, "-zb") || strncmp(nm, "dualpipe", 8) == 0;
        if (zb && alts[i].makespan <= m0 * (1 - PPS_ADVICE_ZB_GAIN) &&
            (!best || alts[i].makespan < best->makespan))
            best = &alts[i];
    }
    if (!best)
        return;
    pps_advice_item *it = add(out, "zero-bubble", m0, best->makespan);
    if (!it)
        return;
    char x0[32], x1[32], b0[32], b1[32];
    pps_format_time(m0, x0, sizeof x0);
    pps_format_time(best->makespan, x1, sizeof x1);
    pps_format_bytes(p0, b0, sizeof b0);
    pps_format_bytes(best->peak, b1, sizeof b1);
    say(it->finding, sizeof it->finding, "a zero-bubble schedule is %.1f%% faster (threshold: "
        "%.0f%%)", 100 * (1 - best->makespan / m0), 100 * PPS_ADVICE_ZB_GAIN);
    say(it->fix, sizeof it->fix, "%s (v = %d): makespan %s -> %s, bubble %.1f%%, peak memory "
        "%s -> %s", best->gen->name, best->chunks, x0, x1, 100 * best->bubble, b0, b1);
}

pps_status pps_advise(const pps_advice_input *in, pps_advice *out, pps_error *err)
{
    memset(out, 0, sizeof *out);
    pps_batch *b = NULL;
    pps_status st = pps_batch_create(&b, err);
    if (st == PPS_OK)
        st = rule_microbatches(b, in, out);
    alt alts[MAX_ALTS];
    size_t n = st == PPS_OK && in->gen ? alternatives(b, in, alts) : 0;
    if (st == PPS_OK) {
        rule_bubble(in, alts, n, out);
        st = rule_unbalanced(b, in, out, err);
    }
    if (st == PPS_OK)
        st = rule_communication(b, in, out, err);
    if (st == PPS_OK) {
        rule_memory_schedule(in, alts, n, out);
        rule_memory_budget(in, alts, n, out);
        rule_zero_bubble(in, alts, n, out);
    }
    pps_batch_destroy(b);
    return st;
}

const pps_advice_item *pps_advice_find(const pps_advice *a, const char *rule)
{
    for (size_t i = 0; i < a->n; i++)
        if (strcmp(a->item[i].rule, rule) == 0)
            return &a->item[i];
    return NULL;
}

pps_status pps_advice_write_text(const pps_advice *a, FILE *fp, pps_error *err)
{
    fprintf(fp, "advice (%zu finding%s)\n", a->n, a->n == 1 ? "" : "s");
    if (a->n == 0)
        fputs("  none: no rule of docs/explain.md triggers\n", fp);
    for (size_t i = 0; i < a->n; i++)
        fprintf(fp, "  [%s] %s\n    fix: %s\n", a->item[i].rule, a->item[i].finding,
                a->item[i].fix);
    return ferror(fp) ? pps_error_set(err, PPS_EIO, "advice: write error") : PPS_OK;
}
