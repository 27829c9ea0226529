/* memory_csv.c — every rank's activation memory series as the CSV of `ppsim sim --memory`
 * (docs/cli.md): "rank,time_s,bytes", numbers as printf's %.17g, through one buffer. */
#include "ppsim.h"

#include "io/json_write.h"

#include <errno.h>
#include <string.h>

/* Lines of at most 11 + 2 * PPSJ_NUMBER_MAX + 3 bytes go into a 64 KiB buffer: no stdio call
 * per line or per number (a series has a point per compute action: millions). */
enum { CSV_BUF = 65536, CSV_LINE_MAX = 96 };

static int put_all(FILE *fp, const char *buf, size_t n, int *errnum)
{
    errno = 0;
    if (n && fwrite(buf, 1, n, fp) != n) {
        *errnum = errno;
        return 0;
    }
    return 1;
}

pps_status pps_memory_write_csv(int ranks, const pps_memory_point *points, const size_t *first,
                                FILE *fp, pps_error *err)
{
    static const char head[] = "rank,time_s,bytes\n";
    char buf[CSV_BUF];
    size_t len = sizeof head - 1;
    int errnum = 0, ok = 1;
    memcpy(buf, head, len);
    for (int r = 0; r < ranks && ok; r++) {
        char rank[16];
        int rl = snprintf(rank, sizeof rank, "%d,", r);
        for (size_t i = first[r]; i < first[r + 1] && ok; i++) {
            if (len + CSV_LINE_MAX > sizeof buf) {
                ok = put_all(fp, buf, len, &errnum);
                len = 0;
            }
            char *p = buf + len;
            memcpy(p, rank, (size_t)rl);
            p = ppsj_format_g17(p + rl, points[i].t);
            *p++ = ',';
            p = ppsj_format_g17(p, points[i].bytes);
            *p++ = '\n';
            len = (size_t)(p - buf);
        }
    }
    if (ok)
        ok = put_all(fp, buf, len, &errnum);
    if (errnum)
        return pps_error_errno(err, errnum, "memory series: write error");
    return !ok || ferror(fp) ? pps_error_set(err, PPS_EIO, "memory series: write error") : PPS_OK;
}
