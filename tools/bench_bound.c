/* bench_bound.c — ppsim-bench-bound: the deliberately tight reference loop of
 * docs/performance.md, to put ppsim-bench's rate in proportion. It generates the same
 * interleaved 1F1B order as sim/schedules/interleaved_1f1b.c (Megatron's table, computed per
 * entry) into 8-byte actions, then walks each rank's actions once: its clock, busy time and
 * activation memory with its peak. No communication, no waiting on other ranks, no events, no
 * validation: less than any simulator of the schedule can do, so ppsim's time over this one is
 * what the rest costs. Needs nothing from libppsim. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_clock.h"

/* An action in 8 bytes: the backward flag in bit 63, the stage in bits 32..62, the micro-batch
 * in the low 32. */
static uint64_t pack(int backward, int stage, int mb)
{
    return (uint64_t)backward << 63 | (uint64_t)stage << 32 | (uint32_t)mb;
}

/* Megatron's table entry k (group G, v chunks, M micro-batches), as interleaved_1f1b.c. */
static void entry(int k, int M, int v, int G, int *mb, int *chunk)
{
    int full = M / G, span = G * v;
    if (k < full * span || full * G == M) { /* a complete group (there is no short one) */
        int off = k % span;
        *chunk = off / G;
        *mb = (k / span) * G + off % G;
    } else {
        int g0 = full * G, len = M - g0, off = k - full * span;
        *chunk = off / len;
        *mb = g0 + off % len;
    }
}

/* Rank r's 2vM actions in interleaved 1F1B order (warm-up, one forward one backward, cool-down). */
static void generate(uint64_t *out, int P, int v, int M, int r)
{
    int total = v * M, G = P, n = 0, m, c;
    int64_t w64 = 2 * (int64_t)(P - 1 - r) + (int64_t)(v - 1) * G;
    int w = w64 < total ? (int)w64 : total;
    for (int k = 0; k < w; k++) {
        entry(k, M, v, G, &m, &c);
        out[n++] = pack(0, c * P + r, m);
    }
    for (int k = 0; k < total - w; k++) {
        entry(w + k, M, v, G, &m, &c);
        out[n++] = pack(0, c * P + r, m);
        entry(k, M, v, G, &m, &c);
        out[n++] = pack(1, (v - 1 - c) * P + r, m);
    }
    for (int k = total - w; k < total; k++) {
        entry(k, M, v, G, &m, &c);
        out[n++] = pack(1, (v - 1 - c) * P + r, m);
    }
}

int main(int argc, char **argv)
{
    int P = 64, v = 4, M = 4096, repeats = 5;
    for (int i = 1; i < argc; i++) {
        if (i + 1 < argc && strcmp(argv[i], "-p") == 0)
            P = (int)strtol(argv[++i], NULL, 10);
        else if (i + 1 < argc && strcmp(argv[i], "-v") == 0)
            v = (int)strtol(argv[++i], NULL, 10);
        else if (i + 1 < argc && strcmp(argv[i], "-m") == 0)
            M = (int)strtol(argv[++i], NULL, 10);
        else if (i + 1 < argc && strcmp(argv[i], "--repeat") == 0)
            repeats = (int)strtol(argv[++i], NULL, 10);
        else {
            fprintf(stderr, "Usage: ppsim-bench-bound [-p P] [-v V] [-m M] [--repeat N]\n"
                            "The tight reference loop (interleaved 1F1B order, 8 bytes per action,\n"
                            "no communication, no events): medians of N repeats (default 5).\n");
            return strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0 ? 0 : 2;
        }
    }
    if (P < 1 || v < 2 || M < P || (int64_t)P * v * M > (1 << 24) || repeats < 1 ||
        repeats > BENCH_MAX_REPEATS) {
        fprintf(stderr, "ppsim-bench-bound: need P >= 1, v >= 2, M >= P, P*v*M <= 2^24, "
                        "1..%d repeats\n", BENCH_MAX_REPEATS);
        return 2;
    }
    size_t per_rank = 2 * (size_t)v * (size_t)M, n = per_rank * (size_t)P;
    int S = P * v;
    /* Per-stage durations and activation (the same uniform costs, split over v stages). */
    double *tf = malloc((size_t)S * sizeof *tf), *tb = malloc((size_t)S * sizeof *tb);
    double *act = malloc((size_t)S * sizeof *act);
    if (!tf || !tb || !act) {
        free(tf);
        free(tb);
        free(act);
        return 1;
    }
    for (int s = 0; s < S; s++) {
        tf[s] = 1.0 / v;
        tb[s] = 2.0 / v;
        act[s] = 1.0 / v;
    }
    double tw[BENCH_MAX_REPEATS], tc[BENCH_MAX_REPEATS], check = 0;
    for (int k = 0; k < repeats; k++) {
        double w0 = bench_wall(), c0 = bench_cpu();
        uint64_t *a = calloc(n, sizeof *a);
        if (!a) {
            fprintf(stderr, "ppsim-bench-bound: out of memory for %zu actions\n", n);
            free(tf);
            free(tb);
            free(act);
            return 1;
        }
        for (int r = 0; r < P; r++)
            generate(a + (size_t)r * per_rank, P, v, M, r);
        double makespan = 0, busy_all = 0, peak_all = 0;
        for (int r = 0; r < P; r++) {
            const uint64_t *x = a + (size_t)r * per_rank;
            double t = 0, busy = 0, mem = 0, peak = 0;
            for (size_t i = 0; i < per_rank; i++) {
                int back = (int)(x[i] >> 63), s = (int)((x[i] >> 32) & 0x7fffffff);
                double d = back ? tb[s] : tf[s];
                t += d;
                busy += d;
                mem += back ? -act[s] : act[s];
                if (mem > peak)
                    peak = mem;
            }
            if (t > makespan)
                makespan = t;
            busy_all += busy;
            if (peak > peak_all)
                peak_all = peak;
        }
        free(a);
        tw[k] = bench_wall() - w0;
        tc[k] = bench_cpu() - c0;
        check = makespan + busy_all + peak_all;
    }
    double mw = bench_median(tw, repeats), mc = bench_median(tc, repeats);
    printf("tight reference loop, interleaved 1F1B P=%d, v=%d, M=%d: %zu compute actions "
           "(check %.6g)\n", P, v, M, n, check);
    printf("median of %d runs: %.4f s wall, %.4f s cpu: %.2f M compute actions/s\n", repeats,
           mw, mc, (double)n / mw / 1e6);
    printf("bound_seconds %.6f cpu %.6f\n", mw, mc);
    free(tf);
    free(tb);
    free(act);
    return 0;
}
