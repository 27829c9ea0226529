/* bench_sim.c — ppsim-bench: times generation, lowering and simulation of one large schedule and
 * prints actions per second, peak RSS and bytes per action (medians over repeats). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "ppsim.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
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

static long peak_rss_bytes(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss * 1024L; /* Linux reports KiB */
}

static int die(const pps_error *err)
{
    fprintf(stderr, "ppsim-bench: %s\n", err->msg);
    return 1;
}

int main(int argc, char **argv)
{
    const char *name = "interleaved-1f1b";
    pps_gen_params p = {.ranks = 64, .chunks = 4, .microbatches = 4096};
    int repeats = 5;
    for (int i = 1; i < argc; i++) {
        if (i + 1 < argc && strcmp(argv[i], "-s") == 0)
            name = argv[++i];
        else if (i + 1 < argc && strcmp(argv[i], "-p") == 0)
            p.ranks = (int)strtol(argv[++i], NULL, 10);
        else if (i + 1 < argc && strcmp(argv[i], "-v") == 0)
            p.chunks = (int)strtol(argv[++i], NULL, 10);
        else if (i + 1 < argc && strcmp(argv[i], "-m") == 0)
            p.microbatches = (int)strtol(argv[++i], NULL, 10);
        else if (i + 1 < argc && strcmp(argv[i], "--repeat") == 0)
            repeats = (int)strtol(argv[++i], NULL, 10);
        else {
            fprintf(stderr, "Usage: ppsim-bench [-s NAME] [-p P] [-v V] [-m M] [--repeat N]\n"
                            "Defaults: interleaved-1f1b, P=64, v=4, M=4096, 5 repeats.\n");
            return strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0 ? 0 : 2;
        }
    }
    if (repeats < 1 || repeats > 100)
        repeats = 5;
    const pps_generator *g = pps_generator_find(name);
    if (!g) {
        fprintf(stderr, "ppsim-bench: unknown schedule '%s'\n", name);
        return 1;
    }
    pps_error err = {0};
    pps_cost cost;
    pps_cost_init(&cost);
    cost.intra.latency = 1e-5; /* a real latency, so that transfers take time */

    double t_gen[100], t_low[100], t_sim[100], t_an[100];
    size_t compute = 0, lowered_n = 0;
    double makespan = 0;
    for (int k = 0; k < repeats; k++) {
        pps_schedule *s = NULL, *low = NULL;
        pps_timeline *t = NULL;
        pps_analysis a = {0};
        double t0 = now();
        if (pps_generate(g, &p, &s, &err) != PPS_OK)
            return die(&err);
        double t1 = now();
        if (pps_schedule_lower(s, &low, &err) != PPS_OK)
            return die(&err);
        double t2 = now();
        if (k == 0 && pps_cost_resolve_for(&cost, s, &err) != PPS_OK)
            return die(&err);
        if (pps_simulate(low, &cost, &t, &err) != PPS_OK)
            return die(&err);
        double t3 = now();
        if (pps_analyze(t, &a, &err) != PPS_OK)
            return die(&err);
        double t4 = now();
        t_gen[k] = t1 - t0;
        t_low[k] = t2 - t1;
        t_sim[k] = t3 - t2;
        t_an[k] = t4 - t3;
        compute = pps_schedule_count(s, 1);
        lowered_n = pps_schedule_count(low, 0);
        makespan = a.makespan;
        pps_analysis_clear(&a);
        pps_timeline_destroy(t);
        pps_schedule_destroy(low);
        pps_schedule_destroy(s);
    }
    double gen = median(t_gen, repeats), low = median(t_low, repeats);
    double sim = median(t_sim, repeats), an = median(t_an, repeats);
    long rss = peak_rss_bytes();
    printf("schedule %s, P=%d, v=%d, M=%d: %zu compute actions, %zu after lowering; "
           "makespan %.6g s\n", g->name, p.ranks, p.chunks, p.microbatches, compute, lowered_n,
           makespan);
    printf("median of %d runs:\n", repeats);
    printf("  generate  %8.3f s  %8.2f M compute actions/s\n", gen, compute / gen / 1e6);
    printf("  lower     %8.3f s  %8.2f M lowered actions/s\n", low, lowered_n / low / 1e6);
    printf("  simulate  %8.3f s  %8.2f M lowered actions/s\n", sim, lowered_n / sim / 1e6);
    printf("  analyze   %8.3f s  %8.2f M lowered actions/s\n", an, lowered_n / an / 1e6);
    printf("  end to end %7.3f s  %8.2f M lowered actions/s\n", gen + low + sim + an,
           lowered_n / (gen + low + sim + an) / 1e6);
    printf("peak RSS %.1f MiB, %.1f bytes per lowered action\n", rss / 1048576.0,
           (double)rss / (double)lowered_n);
    return 0;
}
