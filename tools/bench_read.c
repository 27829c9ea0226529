/* bench_read.c — ppsim-bench-read: each file reader's peak memory per input byte (docs/ir.md, "Out
 * of memory"). Reads each FILE with the reader of KIND and prints its size, the reader's peak
 * resident and peak virtual memory above what the process held before (the file's text
 * included) and both per input byte, and the CPU seconds it took. With --limit F, the address
 * space is first limited to what the process holds plus F bytes per input byte plus PPS_READ_SLACK
 * (setrlimit RLIMIT_AS): a reader that needs more fails with "out of memory" and a non-zero exit,
 * which is what tests/cli/read_memory.sh checks for each shape of input.
 *
 *   ppsim-bench-read [--limit F] KIND FILE...
 *
 * KIND: schedule (JSON), csv (PyTorch's schedule CSV), timeline, costs, profile or model; a
 * schedule or csv file is read by its extension, as the CLI reads it.
 *
 * Exit: 0 when every file was read, 1 when a reader refused a file (its message on stderr), 77
 * for --limit in an AddressSanitizer build (whose shadow memory no address-space limit fits). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#include "bench_clock.h"
#include "ppsim.h"

/* AddressSanitizer reserves terabytes of shadow address space: no address-space limit fits. */
#if defined(__SANITIZE_ADDRESS__)
#define PPS_READ_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PPS_READ_ASAN 1
#endif
#endif

/* Bytes the limit allows beyond F per input byte: the allocator's arenas and stdio's buffers,
 * which do not grow with the input. */
#define PPS_READ_SLACK (8.0 * 1024 * 1024)

/* Reads path with the reader of kind, keeps the result until the peak is taken, frees it. */
static pps_status read_one(const char *kind, const char *path, pps_error *err)
{
    pps_status st;
    if (strcmp(kind, "schedule") == 0 || strcmp(kind, "csv") == 0) {
        /* By extension, as the CLI reads it: a .csv file is PyTorch's CSV. */
        pps_schedule *s = NULL;
        st = pps_schedule_read(path, &s, err);
        pps_schedule_destroy(s);
    } else if (strcmp(kind, "timeline") == 0) {
        pps_timeline *t = NULL;
        st = pps_timeline_read(path, &t, err);
        pps_timeline_destroy(t);
    } else if (strcmp(kind, "costs") == 0) {
        pps_cost c;
        pps_cost_init(&c);
        st = pps_cost_read(path, &c, err);
        pps_cost_clear(&c);
    } else if (strcmp(kind, "profile") == 0) {
        pps_profile *p = NULL;
        st = pps_profile_read(path, &p, err);
        pps_profile_destroy(p);
    } else if (strcmp(kind, "model") == 0) {
        pps_model m;
        st = pps_model_read(path, &m, err);
    } else {
        st = pps_error_set(err, PPS_EINPUT, "unknown kind '%s' (expected schedule, csv, "
                           "timeline, costs, profile or model)", kind);
    }
    return st;
}

int main(int argc, char **argv)
{
    double limit = -1;
    int a = 1;
    if (a + 1 < argc && strcmp(argv[a], "--limit") == 0) {
        char *end;
        limit = strtod(argv[a + 1], &end);
        if (*end || !(limit >= 0)) {
            fprintf(stderr, "ppsim-bench-read: --limit: expected bytes per input byte, got '%s'\n",
                    argv[a + 1]);
            return 2;
        }
        a += 2;
#ifdef PPS_READ_ASAN
        fprintf(stderr, "ppsim-bench-read: --limit: no address-space limit under "
                "AddressSanitizer\n");
        return 77;
#endif
    }
    if (argc - a < 2) {
        fprintf(stderr, "usage: ppsim-bench-read [--limit F] KIND FILE...\n");
        return 2;
    }
    const char *kind = argv[a++];
    int bad = 0;
    printf("%-9s %12s %12s %12s %9s %9s %8s  %s\n", "reader", "input B", "peak RSS B",
           "peak VM B", "RSS/B", "VM/B", "CPU s", "file");
    for (; a < argc; a++) {
        struct stat sb;
        if (stat(argv[a], &sb) != 0) {
            fprintf(stderr, "ppsim-bench-read: %s: cannot stat\n", argv[a]);
            return 2;
        }
        double bytes = (double)sb.st_size;
        if (limit >= 0) {
            /* A limit only lowers: set once, for the first file, which is how the test runs. */
            struct rlimit rl;
            double cap = bench_status_bytes("VmSize") + limit * bytes + PPS_READ_SLACK;
            rl.rlim_cur = rl.rlim_max = (rlim_t)cap;
            if (setrlimit(RLIMIT_AS, &rl) != 0) {
                perror("ppsim-bench-read: setrlimit");
                return 2;
            }
        }
        bench_reset_peak();
        double rss0 = bench_status_bytes("VmRSS"), vm0 = bench_status_bytes("VmSize");
        double peak_vm0 = bench_status_bytes("VmPeak");
        double c0 = bench_cpu();
        pps_error err = {0};
        pps_status st = read_one(kind, argv[a], &err);
        double c1 = bench_cpu();
        double rss = bench_status_bytes("VmHWM") - rss0;
        /* VmPeak cannot be reset: above the earlier peak it is this read's; else the read stayed
         * within what the process had mapped before (0 shown). */
        double peak_vm = bench_status_bytes("VmPeak");
        double vm = peak_vm > peak_vm0 ? peak_vm - vm0 : 0;
        if (st != PPS_OK) {
            fprintf(stderr, "ppsim-bench-read: %s\n", err.msg);
            bad = 1;
        }
        double per = bytes > 0 ? bytes : 1;
        printf("%-9s %12.0f %12.0f %12.0f %9.2f %9.2f %8.3f  %s %s\n", kind, bytes, rss, vm,
               rss / per, vm / per, c1 - c0, st == PPS_OK ? "read" : "refused", argv[a]);
    }
    return bad;
}
