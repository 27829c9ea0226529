/* bench_clock.h — wall and CPU clocks, medians and peak memory for the benchmarks (bench_sim.c,
 * bench_bound.c, bench_read.c); header-only, so that the reference loop needs nothing from libppsim. */
#ifndef PPS_BENCH_CLOCK_H
#define PPS_BENCH_CLOCK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BENCH_MAX_REPEATS 101

/* Seconds on the monotonic clock. */
static inline double bench_wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* CPU seconds of this process: what other work on a shared machine does not add to. */
static inline double bench_cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static inline int bench_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The median of v[0..n), 1 <= n <= BENCH_MAX_REPEATS (v is left as it was). */
static inline double bench_median(const double *v, int n)
{
    double s[BENCH_MAX_REPEATS];
    memcpy(s, v, (size_t)n * sizeof *s);
    qsort(s, (size_t)n, sizeof *s, bench_cmp_double);
    return n % 2 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
}

/* One field of /proc/self/status in bytes, e.g. "VmHWM" (the peak resident set since the last
 * bench_reset_peak) or "VmPeak" (Linux; -1 when absent). */
static inline double bench_status_bytes(const char *field)
{
    FILE *fp = fopen("/proc/self/status", "r");
    char line[256];
    size_t n = strlen(field);
    double kib = -1;
    while (fp && fgets(line, sizeof line, fp))
        if (strncmp(line, field, n) == 0 && line[n] == ':')
            kib = strtod(line + n + 1, NULL);
    if (fp)
        fclose(fp);
    return kib * 1024;
}

/* Starts a new peak resident set: Linux resets VmHWM to the current one on "5" (since 4.0). */
static inline void bench_reset_peak(void)
{
    FILE *fp = fopen("/proc/self/clear_refs", "w");
    if (fp) {
        fputs("5", fp);
        fclose(fp);
    }
}

#endif /* PPS_BENCH_CLOCK_H */
