/* parse_rss.c — reads one schedule (JSON or CSV) or timeline file with the library's readers and
 * prints the time taken and the process's peak RSS (tests/fuzz/bigfile.sh, docs/testing.md).
 *   parse_rss schedule FILE | parse_rss timeline FILE */
#include "ppsim.h"

#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

int main(int argc, char **argv)
{
    if (argc != 3 || (strcmp(argv[1], "schedule") != 0 && strcmp(argv[1], "timeline") != 0)) {
        fprintf(stderr, "usage: parse_rss schedule|timeline FILE\n");
        return 2;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pps_error err = {0};
    pps_status st;
    size_t items = 0;
    if (strcmp(argv[1], "schedule") == 0) {
        pps_schedule *s = NULL;
        st = pps_schedule_read(argv[2], &s, &err);
        if (st == PPS_OK)
            items = pps_schedule_count(s, 0);
        pps_schedule_destroy(s);
    } else {
        pps_timeline *t = NULL;
        st = pps_timeline_read(argv[2], &t, &err);
        if (st == PPS_OK)
            items = t->n;
        pps_timeline_destroy(t);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    if (st != PPS_OK) {
        printf("%s: refused: %s\n", argv[2], err.msg);
        return 1;
    }
    printf("%s: %zu %s in %.2f s, peak RSS %.0f MiB\n", argv[2], items,
           argv[1][0] == 's' ? "actions" : "events",
           (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec),
           (double)ru.ru_maxrss / 1024.0);
    return 0;
}
