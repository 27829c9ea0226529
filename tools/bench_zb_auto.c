/* bench_zb_auto.c — ppsim-zb-bench: how fast zb-auto schedules a large pipeline (P = 64,
 * M = 1024), and how far zb-auto and the fixed schedules are from the optimum that the exact
 * search finds on small cases (the table of docs/schedules.md). Prints figures; not a test. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ppsim.h"
#include "schedules/zb_auto.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double cpu_now(void)
{
    return (double)clock() / CLOCKS_PER_SEC;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static int die(const pps_error *err)
{
    fprintf(stderr, "ppsim-zb-bench: %s\n", err->msg);
    return 1;
}

/* One cost setting of the table: uniform per-rank values. */
typedef struct cost_set {
    const char *label;
    double tf, ti, tw, latency, act_w;
} cost_set;

static void make_cost(const cost_set *cs, int P, int v, pps_cost *c)
{
    pps_cost_init(c);
    c->uniform.tf = cs->tf;
    c->uniform.ti = cs->ti;
    c->uniform.tw = cs->tw;
    c->uniform.tb = cs->ti + cs->tw;
    c->uniform.act_w_bytes = cs->act_w;
    c->intra.latency = c->inter.latency = cs->latency;
    pps_schedule shape = {.ranks = P, .stages = P * v, .chunks = v,
                          .placement = v == 2 ? PPS_PLACE_V : PPS_PLACE_LOOP};
    (void)pps_cost_resolve_for(c, &shape, NULL); /* the values above are valid */
}

/* Generates `name` with params p (limit given to it when it takes one) and simulates it under
 * c: makespan and the largest per-rank peak. Returns 0, or 1 when the schedule refuses p. */
static int run_schedule(const char *name, pps_gen_params p, const char *limit, pps_cost *c,
                        double *makespan, double *peak)
{
    const pps_generator *g = pps_generator_find(name);
    if (!g)
        return 1;
    if (limit && pps_generator_option(g, "memory-limit"))
        p.settings[p.nsettings++] = (pps_gen_setting){"memory-limit", limit};
    p.cost = c;
    pps_schedule *s = NULL, *low = NULL;
    pps_timeline *t = NULL;
    pps_analysis a = {0};
    pps_error err = {0};
    int rc = 1;
    if (pps_generate(g, &p, &s, &err) == PPS_OK && pps_schedule_lower(s, &low, &err) == PPS_OK &&
        pps_simulate(low, c, &t, &err) == PPS_OK && pps_analyze(t, &a, &err) == PPS_OK) {
        *makespan = a.makespan;
        *peak = 0;
        for (int r = 0; r < a.ranks; r++)
            *peak = a.per_rank[r].peak_activation > *peak ? a.per_rank[r].peak_activation : *peak;
        rc = 0;
    }
    pps_analysis_clear(&a);
    pps_timeline_destroy(t);
    pps_schedule_destroy(low);
    pps_schedule_destroy(s);
    return rc;
}

/* ------------------------------------------------------------------ speed */

static int speed(int P, int M, int repeats)
{
    const char *limits[2] = {"1x", "2x"};
    printf("zb-auto, P = %d, M = %d, t_F = t_I = t_W = 1, no communication "
           "(generation only; median of %d runs)\n",
           P, M, repeats);
    for (int l = 0; l < 2; l++) {
        pps_cost c;
        cost_set unit = {"unit", 1, 1, 1, 0, 0};
        make_cost(&unit, P, 1, &c);
        pps_gen_params p = {.ranks = P, .chunks = 1, .microbatches = M, .cost = &c};
        p.settings[p.nsettings++] = (pps_gen_setting){"memory-limit", limits[l]};
        double wall[64] = {0}, cpu[64] = {0};
        size_t actions = 0;
        for (int k = 0; k < repeats; k++) {
            pps_schedule *s = NULL;
            pps_error err = {0};
            double w0 = now(), c0 = cpu_now();
            if (pps_generate(pps_generator_find("zb-auto"), &p, &s, &err) != PPS_OK)
                return die(&err);
            wall[k] = now() - w0;
            cpu[k] = cpu_now() - c0;
            actions = pps_schedule_count(s, 1);
            pps_schedule_destroy(s);
        }
        double makespan = NAN, peak = NAN;
        (void)run_schedule("zb-auto", (pps_gen_params){.ranks = P, .chunks = 1,
                                                        .microbatches = M},
                           limits[l], &c, &makespan, &peak);
        printf("  --memory-limit %s: %.3f s wall, %.3f s CPU for %zu actions; makespan %.6g "
               "(3M + P - 1 = %d), peak activation %g\n",
               limits[l], median(wall, repeats), median(cpu, repeats), actions, makespan,
               3 * M + P - 1, peak);
        pps_cost_clear(&c);
    }
    return 0;
}

/* ------------------------------------------------------------------ gap table */

static const cost_set cost_sets[] = {
    {"A", 1, 1, 1, 0, 0},
    {"B", 1, 1.5, 0.5, 0.2, 0.25},
    {"C", 1, 1, 1, 1, 0.5},
};

/* "makespan (+gap%)", "over" when the peak exceeds the limit, "—" when refused. */
static void cell(char *buf, size_t size, int refused, double makespan, double peak,
                 double limit, double best)
{
    if (refused)
        snprintf(buf, size, "—");
    else if (peak > limit * (1 + 1e-12))
        snprintf(buf, size, "over (%g)", peak);
    else
        snprintf(buf, size, "%g (%+.1f%%)", makespan, 100 * (makespan - best) / best);
}

static int gap_row(int P, int M, int v, const cost_set *cs, const char *limit,
                   long long node_limit, const char *const *fixed, size_t nfixed)
{
    pps_cost c;
    make_cost(cs, P, v, &c);
    pps_error err = {0};
    zba_problem pb;
    zba_orders o = {0};
    zba_stats stats;
    zbx_result res;
    if (zba_problem_init(&pb, P, v, M, &c, &err) != PPS_OK ||
        zba_set_memory_limit(&pb, limit, "zb-auto", &err) != PPS_OK ||
        zba_orders_alloc(&o, &pb, &err) != PPS_OK ||
        zba_solve(&pb, zba_default_budget(&pb), &o, &stats, &err) != PPS_OK)
        return die(&err);
    double t0 = cpu_now(); /* CPU time: the machine is shared, wall times vary with its load */
    if (zbx_search(&pb, node_limit, &o, &res, &err) != PPS_OK)
        return die(&err);
    double secs = cpu_now() - t0, best = res.best.makespan;
    char opt[64], heur[48], autos[48];
    snprintf(opt, sizeof opt, res.proven ? "%g" : "≤ %g (≥ %g)", best, res.lower_bound);
    cell(heur, sizeof heur, 0, stats.heuristic.makespan, 0, 1, best);
    cell(autos, sizeof autos, 0, stats.best.makespan, 0, 1, best);
    printf("| %d | %d | %s | %s | %s | %s | %s |", P, M, cs->label, limit, opt, autos, heur);
    for (size_t f = 0; f < nfixed; f++) {
        double ms = 0, peak = 0;
        pps_gen_params p = {.ranks = P, .chunks = v, .microbatches = M};
        int refused = run_schedule(fixed[f], p, NULL, &c, &ms, &peak);
        char buf[48];
        cell(buf, sizeof buf, refused, ms, peak, pb.mem_limit, best);
        printf(" %s |", buf);
    }
    printf(" %lld, %.1f s |\n", res.nodes, secs);
    fflush(stdout);
    zba_orders_free(&o);
    zba_problem_free(&pb);
    pps_cost_clear(&c);
    return 0;
}

static int gap_table(long long node_limit, int quick)
{
    static const char *const fixed1[] = {"1f1b", "zb-h1", "zb-h2"};
    static const char *const fixed2[] = {"zb-v"};
    static const int shapes1[][2] = {{2, 4}, {3, 6}, {4, 4}, {4, 8}};
    static const int shapes2[][2] = {{2, 4}, {3, 6}};
    printf("Costs per rank (rank share): A t_F = t_I = t_W = 1, no communication, M_W = 0; "
           "B t_F = 1, t_I = 1.5, t_W = 0.5, latency 0.2, M_W = 0.25 M_B; C t_F = t_I = t_W = "
           "1, latency 1, M_W = 0.5 M_B. Makespans (gap to the optimum); \"over\": the "
           "schedule's peak exceeds the limit; \"—\": the schedule is not there or refuses.\n\n");
    printf("One stage per rank (zb-auto):\n\n");
    printf("| P | M | costs | limit | optimum | zb-auto | heuristic only |");
    for (size_t f = 0; f < 3; f++)
        printf(" %s |", fixed1[f]);
    printf(" exact search: nodes, CPU time |\n|---|---|---|---|---|---|---|---|---|---|---|\n");
    size_t nshapes1 = quick ? 2 : 4;
    for (size_t i = 0; i < nshapes1; i++)
        for (size_t cs = 0; cs < 3; cs++)
            for (int l = 0; l < 2; l++)
                if (gap_row(shapes1[i][0], shapes1[i][1], 1, &cost_sets[cs], l ? "2x" : "1x",
                            node_limit, fixed1, 3))
                    return 1;
    printf("\nV placement (zb-v-auto):\n\n");
    printf("| P | M | costs | limit | optimum | zb-v-auto | heuristic only | zb-v |"
           " exact search: nodes, CPU time |\n|---|---|---|---|---|---|---|---|---|\n");
    for (size_t i = 0; i < (quick ? 1 : 2); i++)
        for (size_t cs = 0; cs < 2; cs++)
            for (int l = 0; l < 2; l++)
                if (gap_row(shapes2[i][0], shapes2[i][1], 2, &cost_sets[cs],
                            l ? "0.5x" : "1x", node_limit, fixed2, 1))
                    return 1;
    return 0;
}

/* ------------------------------------------------------------------ V memory points */

/* Step time, stage-span bubble rate and peak of `name` (limit given when it takes one). */
static int measure(const char *name, int P, int v, int M, const char *limit, pps_cost *c,
                   double *makespan, double *rate, double *peak)
{
    const pps_generator *g = pps_generator_find(name);
    pps_gen_params p = {.ranks = P, .chunks = v, .microbatches = M, .cost = c};
    if (limit)
        p.settings[p.nsettings++] = (pps_gen_setting){"memory-limit", limit};
    pps_schedule *s = NULL, *low = NULL;
    pps_timeline *t = NULL;
    pps_analysis a = {0};
    pps_error err = {0};
    pps_status st = g ? pps_generate(g, &p, &s, &err) : PPS_EINPUT;
    if (st == PPS_OK && (st = pps_schedule_lower(s, &low, &err)) == PPS_OK &&
        (st = pps_simulate(low, c, &t, &err)) == PPS_OK &&
        (st = pps_analyze(t, &a, &err)) == PPS_OK) {
        *makespan = a.makespan;
        *rate = a.stage_span_rate;
        *peak = 0;
        for (int r = 0; r < a.ranks; r++)
            *peak = a.per_rank[r].peak_activation > *peak ? a.per_rank[r].peak_activation : *peak;
    }
    if (st != PPS_OK)
        fprintf(stderr, "ppsim-zb-bench: %s: %s\n", name, err.msg);
    pps_analysis_clear(&a);
    pps_timeline_destroy(t);
    pps_schedule_destroy(low);
    pps_schedule_destroy(s);
    return st != PPS_OK;
}

/* The peak activation of building block b replayed under c (V-Half, V-Min as sail-sg builds
 * them, before their warm-up and cool-down are reordered). */
static double block_peak(int P, int M, zba_block b, pps_cost *c)
{
    zba_problem pb;
    zba_orders o = {0};
    zba_clock k;
    double peak = NAN;
    if (zba_problem_init(&pb, P, 2, M, c, NULL) != PPS_OK)
        return NAN;
    if (zba_orders_alloc(&o, &pb, NULL) == PPS_OK && zba_clock_init(&k, &pb, NULL) == PPS_OK) {
        if (zba_block_orders(&pb, &b, &o) && zba_replay(&k, &o, NULL, NULL) == PPS_OK) {
            peak = 0;
            for (int r = 0; r < P; r++)
                peak = k.peak[r] > peak ? k.peak[r] : peak;
        }
        zba_clock_free(&k);
    }
    zba_orders_free(&o);
    zba_problem_free(&pb);
    return peak;
}

static int v_points(void)
{
    static const int shapes[][2] = {{4, 16}, {8, 32}, {8, 64}};
    printf("zb-v-auto at the memory points of ZB-V (1x), V-Half and V-Min; t_F = t_I = t_W = 1 "
           "per rank (0.5 per stage), no communication. B = 1F1B's stage-span bubble rate; "
           "sail-sg's README gives V-Half B/2 at 1/2 the memory and V-Min 2B/3 at 1/3.\n\n");
    printf("| P | M | schedule, limit | peak (1x = P) | makespan | stage-span rate | in B |\n"
           "|---|---|---|---|---|---|---|\n");
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        int P = shapes[i][0], M = shapes[i][1];
        pps_cost c1, c2;
        cost_set unit = {"unit", 1, 1, 1, 0, 0};
        make_cost(&unit, P, 1, &c1);
        make_cost(&unit, P, 2, &c2);
        double ms, rate, peak, B;
        if (measure("1f1b", P, 1, M, NULL, &c1, &ms, &B, &peak))
            return 1;
        printf("| %d | %d | 1f1b | %g | %g | %.4f | 1 |\n", P, M, peak, ms, B);
        /* V-Half and V-Min blocks (zbv_greedy.py's stable patterns; interval when P is even,
         * resp. a multiple of 3) */
        zba_block half = {2, 1, 1 + (P % 2 == 0 ? 3 : 0), 2};
        zba_block vmin = {1, 1, 1 + (P % 3 == 0 ? 2 : 0), 1};
        char limits[5][32] = {"1x", "", "0.5x", "", "1/3x"};
        snprintf(limits[1], sizeof limits[1], "%.17g", block_peak(P, M, half, &c2));
        snprintf(limits[3], sizeof limits[3], "%.17g", block_peak(P, M, vmin, &c2));
        const char *what[5] = {"ZB-V point", "V-Half's peak", "", "V-Min's peak", ""};
        for (int l = 0; l < 5; l++) {
            if (measure("zb-v-auto", P, 2, M, limits[l], &c2, &ms, &rate, &peak))
                return 1;
            printf("| %d | %d | zb-v-auto, %s%s%s%s | %g | %g | %.4f | %.2f |\n", P, M,
                   limits[l], *what[l] ? " (" : "", what[l], *what[l] ? ")" : "", peak, ms,
                   rate, rate / B);
        }
        pps_cost_clear(&c1);
        pps_cost_clear(&c2);
    }
    return 0;
}

int main(int argc, char **argv)
{
    int gap = 0, quick = 0, vpoints = 0, repeats = 5, P = 64, M = 1024;
    long long node_limit = 1000000000; /* a billion: minutes at most per row */
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--gap") == 0)
            gap = 1;
        else if (strcmp(argv[i], "--v-points") == 0)
            vpoints = 1;
        else if (strcmp(argv[i], "--quick") == 0)
            quick = 1;
        else if (i + 1 < argc && strcmp(argv[i], "--repeat") == 0)
            repeats = (int)strtol(argv[++i], NULL, 10);
        else if (i + 1 < argc && strcmp(argv[i], "--node-limit") == 0)
            node_limit = strtoll(argv[++i], NULL, 10);
        else if (i + 1 < argc && strcmp(argv[i], "-p") == 0)
            P = (int)strtol(argv[++i], NULL, 10);
        else if (i + 1 < argc && strcmp(argv[i], "-m") == 0)
            M = (int)strtol(argv[++i], NULL, 10);
        else {
            fprintf(stderr,
                    "Usage: ppsim-zb-bench [-p P] [-m M] [--repeat N]   zb-auto's speed "
                    "(default P=64, M=1024, 5 runs)\n"
                    "       ppsim-zb-bench --gap [--quick] [--node-limit N]   the gap to the "
                    "exact optimum on small cases (Markdown; the search stops after N nodes, "
                    "default 10^9)\n"
                    "       ppsim-zb-bench --v-points   zb-v-auto at the ZB-V, V-Half and "
                    "V-Min memory points (Markdown)\n");
            return strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0 ? 0 : 2;
        }
    }
    if (repeats < 1 || repeats > 64 || P < 1 || M < 1 || node_limit < 1) {
        fprintf(stderr, "ppsim-zb-bench: --repeat in [1, 64], P, M and --node-limit >= 1\n");
        return 2;
    }
    return vpoints ? v_points() : gap ? gap_table(node_limit, quick) : speed(P, M, repeats);
}
