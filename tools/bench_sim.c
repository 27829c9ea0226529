/* bench_sim.c — ppsim-bench: times each phase of simulating one large schedule (generate,
 * simulate + analyze, lowering, timeline, analysis of a timeline, memory series, file writing
 * and reading) and many small configurations through the batch API, and prints rates per compute
 * and per lowered action, peak memory per compute action and file MB/s (docs/performance.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench_clock.h"
#include "ppsim.h"

static int die(const char *what, const pps_error *err)
{
    fprintf(stderr, "ppsim-bench: %s: %s\n", what, err->msg);
    return 1;
}

/* One timed phase: wall and CPU seconds of each repeat. */
typedef struct phase {
    const char *name;
    double w[BENCH_MAX_REPEATS], c[BENCH_MAX_REPEATS];
} phase;

enum { GEN, SUMMARY, LOWER, TIMELINE, ANALYZE, SERIES, WRITE_JSON, READ_JSON, WRITE_CHROME,
       NPHASES };

static const char *const phase_names[NPHASES] = {
    "generate", "simulate + analyze (summary)", "lower (gen --lower)",
    "simulate with timeline", "analyze a timeline", "memory series, all ranks",
    "write timeline JSON", "read timeline JSON", "write Chrome trace"};

/* Writes t with wr to path; returns the bytes written, or -1. */
static long write_file(pps_status (*wr)(const pps_timeline *, FILE *, pps_error *),
                       const pps_timeline *t, const char *path, pps_error *err)
{
    FILE *fp = fopen(path, "w");
    if (!fp)
        return pps_error_set(err, PPS_EIO, "%s: cannot write", path), -1;
    pps_status st = wr(t, fp, err);
    if (fclose(fp) != 0 || st != PPS_OK)
        return -1;
    struct stat sb;
    return stat(path, &sb) == 0 ? (long)sb.st_size : -1;
}

/* The small-configuration mode: `n` configurations of g at P, M through one batch, and the
 * same through the single calls (generate, simulate_summary) for reference. */
static int bench_small(const pps_generator *g, int P, int v, int M, int n, const pps_cost *c)
{
    pps_batch *b = NULL;
    pps_error err = {0};
    if (pps_batch_create(&b, &err) != PPS_OK)
        return die("batch", &err);
    pps_gen_params p = {.ranks = P, .chunks = v, .microbatches = M};
    const pps_analysis *a = NULL;
    double best_batch = 1e30, best_single = 1e30, best_batch_cpu = 1e30, makespan = 0;
    int nsingle = n / 4 > 0 ? n / 4 : 1;
    size_t compute = 0;
    for (int round = 0; round < 5; round++) {
        double t0 = bench_wall(), c0 = bench_cpu();
        for (int i = 0; i < n; i++)
            if (pps_batch_run(b, g, &p, c, &a, &err) != PPS_OK)
                return die("batch run", &err);
        double t1 = bench_wall();
        if (bench_cpu() - c0 < best_batch_cpu)
            best_batch_cpu = bench_cpu() - c0;
        pps_cost own = *c; /* resolving must not touch the caller's copy */
        own.resolved = NULL;
        own.nresolved = 0;
        for (int i = 0; i < nsingle; i++) {
            pps_schedule *s = NULL;
            pps_analysis x;
            if (pps_generate(g, &p, &s, &err) != PPS_OK ||
                pps_cost_resolve_for(&own, s, &err) != PPS_OK ||
                pps_simulate_summary(s, &own, &x, &err) != PPS_OK)
                return die("single run", &err);
            pps_analysis_clear(&x);
            pps_schedule_destroy(s);
        }
        free(own.resolved);
        double t2 = bench_wall();
        if (t1 - t0 < best_batch)
            best_batch = t1 - t0;
        if (t2 - t1 < best_single)
            best_single = t2 - t1;
    }
    makespan = a->makespan;
    compute = pps_schedule_count(pps_batch_schedule(b), 1);
    printf("small configurations: %s P=%d v=%d M=%d (%zu compute actions, makespan %.9g s), "
           "best of 5 rounds\n", g->name, P, p.chunks ? p.chunks : g->default_chunks, M,
           compute, makespan);
    printf("  batch API (generate + validate + simulate + analyze): %9.3f us per configuration"
           " (%.3f us of CPU; %d per round)\n", 1e6 * best_batch / n, 1e6 * best_batch_cpu / n,
           n);
    printf("  single calls (generate + simulate_summary):           %9.3f us per configuration"
           "\n", 1e6 * best_single / nsingle);
    printf("small_us %.6f cpu %.6f\n", 1e6 * best_batch / n, 1e6 * best_batch_cpu / n);
    pps_batch_destroy(b);
    return 0;
}

int main(int argc, char **argv)
{
    const char *name = "interleaved-1f1b", *dir = NULL;
    pps_gen_params p = {.ranks = 64, .chunks = 4, .microbatches = 4096};
    int repeats = 5, small = 0, io = 1;
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
        else if (i + 1 < argc && strcmp(argv[i], "--small") == 0)
            small = (int)strtol(argv[++i], NULL, 10);
        else if (i + 1 < argc && strcmp(argv[i], "--dir") == 0)
            dir = argv[++i];
        else if (strcmp(argv[i], "--no-io") == 0)
            io = 0;
        else {
            fprintf(stderr,
                    "Usage: ppsim-bench [-s NAME] [-p P] [-v V] [-m M] [--repeat N] [--no-io]\n"
                    "                   [--dir DIR] [--small N]\n"
                    "Times generate, simulate + analyze (no timeline), lower, simulate with a\n"
                    "timeline, analyze a timeline, the memory series, and writing and reading\n"
                    "the timeline files (in DIR, default $TMPDIR or /tmp; --no-io skips them):\n"
                    "medians of N repeats (default 5), wall and CPU seconds, million compute\n"
                    "and lowered actions per second, peak RSS per compute action.\n"
                    "Defaults: interleaved-1f1b, P=64, v=4, M=4096.\n"
                    "--small N: instead, N configurations P=8, M=32 of 1f1b (or -s/-p/-m/-v)\n"
                    "through the batch API, in microseconds per configuration.\n");
            return strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0 ? 0 : 2;
        }
    }
    if (repeats < 1 || repeats > BENCH_MAX_REPEATS)
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
    if (small > 0) {
        int P = 8, M = 32;
        for (int i = 1; i < argc; i++) { /* -p / -m given: take them */
            if (strcmp(argv[i], "-p") == 0)
                P = p.ranks;
            if (strcmp(argv[i], "-m") == 0)
                M = p.microbatches;
        }
        int named = 0;
        for (int i = 1; i < argc; i++)
            named |= strcmp(argv[i], "-s") == 0;
        int v = 0;
        for (int i = 1; i < argc; i++)
            if (strcmp(argv[i], "-v") == 0)
                v = p.chunks;
        return bench_small(named ? g : pps_generator_find("1f1b"), P, v, M, small, &cost);
    }

    char path[4096];
    const char *tmp = dir ? dir : getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    snprintf(path, sizeof path, "%s/ppsim-bench-%ld.json", tmp, (long)getpid());
    phase ph[NPHASES];
    for (int k = 0; k < NPHASES; k++)
        ph[k].name = phase_names[k];
    size_t compute = 0, lowered = 0;
    double makespan = 0, rss_summary = 0, rss_timeline = 0;
    long json_bytes = 0, chrome_bytes = 0;
/* Runs `code` as phase q of repeat k, timing it. */
#define PHASE(q, code)                                                                         \
    do {                                                                                       \
        double w0_ = bench_wall(), c0_ = bench_cpu();                                                      \
        code;                                                                                  \
        ph[q].w[k] = bench_wall() - w0_;                                                             \
        ph[q].c[k] = bench_cpu() - c0_;                                                              \
    } while (0)
    for (int k = 0; k < repeats; k++) {
        pps_schedule *s = NULL, *low = NULL;
        pps_timeline *t = NULL, *back = NULL;
        pps_analysis a = {0}, b = {0};
        pps_memory_point *pts = NULL;
        size_t *first = NULL;
        pps_status st = PPS_OK;
        bench_reset_peak();
        PHASE(GEN, st = pps_generate(g, &p, &s, &err));
        if (st == PPS_OK) /* uniform costs on a regular placement: nothing to allocate */
            st = pps_cost_resolve_for(&cost, s, &err);
        if (st == PPS_OK)
            PHASE(SUMMARY, st = pps_simulate_summary(s, &cost, &a, &err));
        if (st != PPS_OK)
            return die("generate and simulate", &err);
        if (k == 0)
            rss_summary = bench_status_bytes("VmHWM");
        PHASE(LOWER, st = pps_schedule_lower(s, &low, &err));
        if (st != PPS_OK)
            return die("lower", &err);
        lowered = pps_schedule_count(low, 0);
        pps_schedule_destroy(low);
        bench_reset_peak();
        PHASE(TIMELINE, st = pps_simulate(s, &cost, &t, &err));
        if (st == PPS_OK)
            PHASE(ANALYZE, st = pps_analyze(t, &b, &err));
        if (st == PPS_OK)
            PHASE(SERIES, st = pps_memory_series_all(t, &pts, &first, &err));
        if (st != PPS_OK)
            return die("timeline", &err);
        free(pts);
        free(first);
        if (k == 0)
            rss_timeline = bench_status_bytes("VmHWM");
        if (b.makespan != a.makespan || b.idle_over_total != a.idle_over_total) {
            fprintf(stderr, "ppsim-bench: the summary and the timeline's analysis differ\n");
            return 1;
        }
        if (io) {
            PHASE(WRITE_JSON, json_bytes = write_file(pps_timeline_write_json, t, path, &err));
            if (json_bytes >= 0)
                PHASE(READ_JSON, st = pps_timeline_read(path, &back, &err));
            if (json_bytes < 0 || st != PPS_OK)
                return die("timeline file", &err);
            PHASE(WRITE_CHROME,
                  chrome_bytes = write_file(pps_timeline_write_chrome, t, path, &err));
            remove(path);
            if (chrome_bytes < 0)
                return die("chrome file", &err);
        }
        compute = pps_schedule_count(s, 1);
        makespan = a.makespan;
        pps_timeline_destroy(back);
        pps_analysis_clear(&a);
        pps_analysis_clear(&b);
        pps_timeline_destroy(t);
        pps_schedule_destroy(s);
    }
    printf("schedule %s, P=%d, v=%d, M=%d: %zu compute actions, %zu after lowering; makespan "
           "%.12g s\n", g->name, p.ranks, p.chunks, p.microbatches, compute, lowered, makespan);
    printf("median of %d runs; rates per second of the phase's own time:\n", repeats);
    printf("  %-32s %10s %10s %13s %13s\n", "phase", "wall s", "cpu s", "M compute/s",
           "M lowered/s");
    double e2e[BENCH_MAX_REPEATS], e2e_cpu[BENCH_MAX_REPEATS];
    for (int k = 0; k < repeats; k++) {
        e2e[k] = ph[GEN].w[k] + ph[SUMMARY].w[k];
        e2e_cpu[k] = ph[GEN].c[k] + ph[SUMMARY].c[k];
    }
    for (int q = 0; q < NPHASES; q++) {
        if (!io && q >= WRITE_JSON)
            break;
        double mw = bench_median(ph[q].w, repeats), mc = bench_median(ph[q].c, repeats);
        printf("  %-32s %10.4f %10.4f %13.2f %13.2f\n", ph[q].name, mw, mc,
               (double)compute / mw / 1e6, (double)lowered / mw / 1e6);
        if (q == SUMMARY) {
            double ew = bench_median(e2e, repeats), ec = bench_median(e2e_cpu, repeats);
            printf("  %-32s %10.4f %10.4f %13.2f %13.2f\n", "= generate + simulate + analyze",
                   ew, ec, (double)compute / ew / 1e6, (double)lowered / ew / 1e6);
        }
    }
    printf("peak RSS, generate + simulate + analyze: %.1f MiB = %.1f bytes per compute action\n",
           rss_summary / 1048576.0, rss_summary / (double)compute);
    printf("peak RSS, simulate with timeline + analyze + series: %.1f MiB = %.1f bytes per "
           "compute action\n", rss_timeline / 1048576.0, rss_timeline / (double)compute);
    if (io) {
        double wj = bench_median(ph[WRITE_JSON].w, repeats), rj = bench_median(ph[READ_JSON].w, repeats);
        double wc = bench_median(ph[WRITE_CHROME].w, repeats);
        printf("files (in %s): timeline JSON %.1f MB written at %.1f MB/s, read at %.1f MB/s; "
               "Chrome trace %.1f MB written at %.1f MB/s\n", tmp, json_bytes / 1e6,
               json_bytes / wj / 1e6, json_bytes / rj / 1e6, chrome_bytes / 1e6,
               chrome_bytes / wc / 1e6);
    }
    /* One line for scripts (tools/bench_compare.sh). */
    printf("e2e_seconds %.6f cpu %.6f\n", bench_median(e2e, repeats), bench_median(e2e_cpu, repeats));
    return 0;
}
