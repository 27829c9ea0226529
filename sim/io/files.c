/* files.c — whole-file reads and atomic output files (temp file + rename) for every writer. */
#include "ppsim.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

pps_status pps_file_slurp(const char *path, char **text, size_t *len, pps_error *err)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return pps_error_set(err, PPS_EIO, "%s: cannot open: %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fileno(fp), &sb) == 0 && S_ISDIR(sb.st_mode)) {
        fclose(fp);
        return pps_error_set(err, PPS_EIO, "%s: is a directory", path);
    }
    /* A regular file over the limit is refused before anything is read. */
    if (fstat(fileno(fp), &sb) == 0 && S_ISREG(sb.st_mode) &&
        (unsigned long long)sb.st_size > (unsigned long long)PPS_MAX_FILE_BYTES) {
        fclose(fp);
        return pps_error_set(err, PPS_EINPUT, "%s: file larger than the limit of %zu bytes",
                             path, (size_t)PPS_MAX_FILE_BYTES);
    }
    size_t cap = 65536, n = 0;
    char *buf = malloc(cap);
    if (!buf) {
        fclose(fp);
        return pps_error_set(err, PPS_ENOMEM, "%s: out of memory", path);
    }
    for (;;) {
        if (n + 1 >= cap) {
            if (cap > PPS_MAX_FILE_BYTES) {
                free(buf);
                fclose(fp);
                return pps_error_set(err, PPS_EINPUT, "%s: file larger than the limit of %zu bytes",
                                     path, (size_t)PPS_MAX_FILE_BYTES);
            }
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                fclose(fp);
                return pps_error_set(err, PPS_ENOMEM, "%s: out of memory", path);
            }
            buf = nb;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - 1 - n, fp);
        n += got;
        if (got == 0)
            break;
        /* The doubling above stops at a buffer of 2 * PPS_MAX_FILE_BYTES; the limit is on n. */
        if (n > PPS_MAX_FILE_BYTES) {
            free(buf);
            fclose(fp);
            return pps_error_set(err, PPS_EINPUT, "%s: file larger than the limit of %zu bytes",
                                 path, (size_t)PPS_MAX_FILE_BYTES);
        }
    }
    int bad = ferror(fp);
    fclose(fp);
    if (bad) {
        free(buf);
        return pps_error_set(err, PPS_EIO, "%s: read error", path);
    }
    buf[n] = '\0';
    *text = buf;
    *len = n;
    return PPS_OK;
}

pps_status pps_outfile_open(pps_outfile *o, const char *path, pps_error *err)
{
    memset(o, 0, sizeof *o);
    if (strcmp(path, "-") == 0) {
        o->fp = stdout;
        return PPS_OK;
    }
    size_t n = strlen(path) + 32;
    o->path = strdup(path);
    o->tmp = malloc(n);
    if (!o->path || !o->tmp) {
        pps_outfile_abort(o);
        return pps_error_set(err, PPS_ENOMEM, "%s: out of memory", path);
    }
    snprintf(o->tmp, n, "%s.tmp.%ld", path, (long)getpid());
    o->fp = fopen(o->tmp, "wb");
    if (!o->fp) {
        int e = errno;
        pps_outfile_abort(o);
        return pps_error_set(err, PPS_EIO, "%s: cannot write: %s", path, strerror(e));
    }
    return PPS_OK;
}

pps_status pps_outfile_commit(pps_outfile *o, pps_error *err)
{
    if (!o->fp)
        return PPS_OK;
    if (o->fp == stdout) {
        o->fp = NULL;
        return fflush(stdout) == 0 ? PPS_OK : pps_error_set(err, PPS_EIO, "stdout: write error");
    }
    int bad = ferror(o->fp);
    bad |= fclose(o->fp) != 0;
    o->fp = NULL;
    if (bad || rename(o->tmp, o->path) != 0) {
        int e = errno;
        pps_status st = pps_error_set(err, PPS_EIO, "%s: cannot write: %s", o->path,
                                      bad ? "write error" : strerror(e));
        pps_outfile_abort(o);
        return st;
    }
    free(o->tmp);
    free(o->path);
    o->tmp = o->path = NULL;
    return PPS_OK;
}

void pps_outfile_abort(pps_outfile *o)
{
    if (o->fp && o->fp != stdout)
        fclose(o->fp);
    if (o->tmp)
        remove(o->tmp);
    free(o->tmp);
    free(o->path);
    memset(o, 0, sizeof *o);
}
