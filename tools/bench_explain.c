/* bench_explain.c — the speed of an explanation (docs/explain.md, "Speed"): simulation with the
 * critical path's record, the path, and the sensitivities (top 10 re-simulated), on one large
 * configuration; prints each phase's median wall and CPU seconds over the repeats.
 *
 * Usage: ppsim-explain-bench [SCHEDULE P V M [REPEATS]]  (default interleaved-1f1b 64 4 4096 3)
 */
#include <stdio.h>
#include <stdlib.h>

#include "bench_clock.h"
#include "ppsim.h"

enum { PH_SIM, PH_PATH, PH_SENS, PH_TOTAL, PH_COUNT };
static const char *const phase_names[PH_COUNT] = {
    "simulate (timeline + record)", "critical path", "sensitivities (top 10)", "total"};

static int fail(const pps_error *err)
{
    fprintf(stderr, "ppsim-explain-bench: %s\n", err->msg);
    return 1;
}

/* Argument i as a positive integer, or `dflt` when absent; -1 when it is not one. */
static int arg_int(int argc, char **argv, int i, int dflt)
{
    if (argc <= i)
        return dflt;
    char *end;
    long v = strtol(argv[i], &end, 10);
    return end == argv[i] || *end || v < 1 || v > 1000000 ? -1 : (int)v;
}

int main(int argc, char **argv)
{
    const char *name = argc > 1 ? argv[1] : "interleaved-1f1b";
    pps_gen_params gp = {.ranks = arg_int(argc, argv, 2, 64),
                         .chunks = arg_int(argc, argv, 3, 4),
                         .microbatches = arg_int(argc, argv, 4, 4096)};
    int repeats = arg_int(argc, argv, 5, 3);
    if (gp.ranks < 0 || gp.chunks < 0 || gp.microbatches < 0 || repeats < 0 ||
        repeats > BENCH_MAX_REPEATS) {
        fprintf(stderr, "usage: ppsim-explain-bench [SCHEDULE P V M [REPEATS <= %d]]\n",
                BENCH_MAX_REPEATS);
        return 2;
    }
    pps_error err = {0};
    pps_schedule *s = NULL, *low = NULL;
    pps_cost c;
    pps_cost_init(&c);
    pps_prices p = {0};
    const pps_generator *g = pps_generator_find(name);
    if (!g) {
        fprintf(stderr, "ppsim-explain-bench: unknown schedule '%s'\n", name);
        return 2;
    }
    if (pps_generate(g, &gp, &s, &err) != PPS_OK || pps_cost_resolve_for(&c, s, &err) != PPS_OK ||
        pps_price(s, &c, &p, &err) != PPS_OK || pps_schedule_lower(s, &low, &err) != PPS_OK)
        return fail(&err);
    size_t lowered = 0;
    for (int r = 0; r < low->ranks; r++)
        lowered += low->programs[r].n;
    pps_schedule_destroy(low);
    double wall[PH_COUNT][BENCH_MAX_REPEATS], cpu[PH_COUNT][BENCH_MAX_REPEATS];
    double makespan = 0;
    size_t segments = 0;
    for (int k = 0; k < repeats; k++) {
        pps_timeline *t = NULL;
        pps_bounds b = {0};
        pps_critical_path path = {0};
        pps_sensitivities sens = {0};
        double w0 = bench_wall(), c0 = bench_cpu();
        if (pps_simulate_prices(s, &p, &t, NULL, &b, &err) != PPS_OK)
            return fail(&err);
        double w1 = bench_wall(), c1 = bench_cpu();
        if (pps_critical_path_find(t, &b, &path, &err) != PPS_OK)
            return fail(&err);
        double w2 = bench_wall(), c2 = bench_cpu();
        if (pps_sensitivities_compute(s, &p, &path, t, 10, &sens, &err) != PPS_OK)
            return fail(&err);
        double w3 = bench_wall(), c3 = bench_cpu();
        wall[PH_SIM][k] = w1 - w0;
        wall[PH_PATH][k] = w2 - w1;
        wall[PH_SENS][k] = w3 - w2;
        wall[PH_TOTAL][k] = w3 - w0;
        cpu[PH_SIM][k] = c1 - c0;
        cpu[PH_PATH][k] = c2 - c1;
        cpu[PH_SENS][k] = c3 - c2;
        cpu[PH_TOTAL][k] = c3 - c0;
        makespan = path.makespan;
        segments = path.n;
        pps_sensitivities_clear(&sens);
        pps_critical_path_clear(&path);
        pps_bounds_clear(&b);
        pps_timeline_destroy(t);
    }
    printf("explain: %s P=%d v=%d M=%d, %zu lowered actions, makespan %.6g s, path %zu "
           "segments; median of %d\n",
           name, gp.ranks, gp.chunks, gp.microbatches, lowered, makespan, segments, repeats);
    for (int ph = 0; ph < PH_COUNT; ph++)
        printf("  %-30s wall %7.3f s  cpu %7.3f s\n", phase_names[ph],
               bench_median(wall[ph], repeats), bench_median(cpu[ph], repeats));
    pps_prices_clear(&p);
    pps_cost_clear(&c);
    pps_schedule_destroy(s);
    return 0;
}
