/* dir.c — a report's folder: built beside its place, then swapped into it in one step. */
#ifndef _GNU_SOURCE /* meson defines it for this file (sim/meson.build); other builds here */
#define _GNU_SOURCE /* renameat2 and RENAME_EXCHANGE (Linux 3.15, glibc 2.28) */
#endif
#include "report/report.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

pps_status ppsr_dir_stage(const char *dir, char **tmp, pps_error *err)
{
    size_t n = strlen(dir) + 16;
    *tmp = malloc(n);
    if (!*tmp)
        return pps_error_set(err, PPS_ENOMEM, "%s: out of memory", dir);
    /* A trailing slash would put the new folder inside the old one. */
    size_t len = strlen(dir);
    while (len > 1 && dir[len - 1] == '/')
        len--;
    snprintf(*tmp, n, "%.*s.new.XXXXXX", (int)len, dir);
    if (!mkdtemp(*tmp)) {
        int e = errno;
        free(*tmp);
        *tmp = NULL;
        return pps_error_set(err, PPS_EIO, "%s: cannot make a folder beside it: %s", dir,
                             strerror(e));
    }
    return PPS_OK;
}

void ppsr_dir_remove(const char *dir)
{
    DIR *d = opendir(dir);
    if (d) {
        int fd = dirfd(d);
        struct dirent *e;
        while ((e = readdir(d)) != NULL)
            if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
                unlinkat(fd, e->d_name, 0);
        closedir(d);
    }
    rmdir(dir);
}

/* 0 when dir may be replaced: it is empty, or a ppsim report (its index.md starts with the
 * marker) holding only files. */
static int replaceable(const char *dir, char *why, size_t size)
{
    DIR *d = opendir(dir);
    if (!d) {
        snprintf(why, size, "%s", strerror(errno));
        return -1;
    }
    int entries = 0, subdirs = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        entries++;
        struct stat sb;
        if (fstatat(dirfd(d), e->d_name, &sb, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISREG(sb.st_mode))
            subdirs++;
    }
    closedir(d);
    if (entries == 0)
        return 0;
    char index[4096], head[64] = "";
    snprintf(index, sizeof index, "%s/index.md", dir);
    FILE *fp = fopen(index, "rb");
    if (fp) {
        size_t got = fread(head, 1, sizeof head - 1, fp);
        head[got] = '\0';
        fclose(fp);
    }
    if (strncmp(head, PPSR_REPORT_MARKER, strlen(PPSR_REPORT_MARKER)) != 0) {
        snprintf(why, size, "it exists and is not a ppsim report (no index.md written by "
                 "ppsim); remove it or name another folder");
        return -1;
    }
    if (subdirs) {
        snprintf(why, size, "the report there holds other things than files; remove it or name "
                 "another folder");
        return -1;
    }
    return 0;
}

pps_status ppsr_dir_replace(const char *tmp, const char *dir, pps_error *err)
{
    struct stat sb;
    char why[256];
    if (lstat(dir, &sb) != 0) {
        if (errno != ENOENT)
            return pps_error_set(err, PPS_EIO, "%s: %s", dir, strerror(errno));
        if (rename(tmp, dir) != 0)
            return pps_error_set(err, PPS_EIO, "%s: cannot put the report in place: %s", dir,
                                 strerror(errno));
        return PPS_OK;
    }
    if (!S_ISDIR(sb.st_mode))
        return pps_error_set(err, PPS_EIO, "%s: exists and is not a folder", dir);
    if (replaceable(dir, why, sizeof why) != 0)
        return pps_error_set(err, PPS_EIO, "%s: %s", dir, why);
    /* One step: the new folder takes the old one's name, the old one the new one's, which is
     * then removed. A filesystem without the exchange gets two renames, with the old report
     * moved aside (not lost) between them. */
    if (renameat2(AT_FDCWD, tmp, AT_FDCWD, dir, RENAME_EXCHANGE) == 0) {
        ppsr_dir_remove(tmp);
        return PPS_OK;
    }
    size_t n = strlen(tmp) + 8;
    char *aside = malloc(n);
    if (!aside)
        return pps_error_set(err, PPS_ENOMEM, "%s: out of memory", dir);
    snprintf(aside, n, "%s.old", tmp);
    pps_status st = PPS_OK;
    if (rename(dir, aside) != 0)
        st = pps_error_set(err, PPS_EIO, "%s: cannot move the old report aside: %s", dir,
                           strerror(errno));
    else if (rename(tmp, dir) != 0) {
        st = pps_error_set(err, PPS_EIO, "%s: cannot put the report in place: %s", dir,
                           strerror(errno));
        rename(aside, dir);
    } else {
        ppsr_dir_remove(aside);
    }
    free(aside);
    return st;
}
