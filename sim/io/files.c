/* files.c — whole-file reads, and output files that never destroy anything: a regular target is
 * written to an exclusive temporary file in its directory and renamed over it; a character device
 * or pipe is written through; a link is followed, never replaced (docs/cli.md, "Output files"). */
#ifndef _GNU_SOURCE /* meson defines it for this file (sim/meson.build); other builds (fuzz) here */
#define _GNU_SOURCE /* O_TMPFILE, O_PATH, linkat's AT_EMPTY_PATH, realpath */
#endif
#include "ppsim.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Unnamed temporaries need O_TMPFILE and linkat's AT_EMPTY_PATH (Linux 3.11, glibc with
 * _GNU_SOURCE); elsewhere every temporary is named. */
#if defined(O_TMPFILE) && defined(AT_EMPTY_PATH)
#define HAVE_UNNAMED 1
#else
#define HAVE_UNNAMED 0
#endif

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
    /* A regular file's buffer is sized from its size, the text and a NUL: doubling from a
     * guess would map up to twice the text (docs/ir.md, "Out of memory"). Pipes (and files
     * whose size reads 0, as in /proc) grow it. */
    size_t cap = 65536, n = 0;
    if (fstat(fileno(fp), &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size > 0)
        cap = (size_t)sb.st_size + 1;
    char *buf = malloc(cap);
    if (!buf) {
        fclose(fp);
        return pps_error_set(err, PPS_ENOMEM, "%s: out of memory", path);
    }
    for (;;) {
        if (n + 1 >= cap) {
            /* Full: at the end of the file when it is as long as its size said. */
            int ch = fgetc(fp);
            if (ch == EOF)
                break;
            ungetc(ch, fp);
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

/* ------------------------------------------------------------------ flushing streams */

/* Flushes fp and reports a write error that happened now or earlier (a full device gives
 * ENOSPC): "WHAT: cannot write: REASON". */
static pps_status flush_checked(FILE *fp, const char *what, pps_error *err)
{
    errno = 0;
    if (fflush(fp) != 0)
        return pps_error_set(err, PPS_EIO, "%s: cannot write: %s", what,
                             errno ? strerror(errno) : "write error");
    /* glibc retries a failed write's data at fflush, so an earlier error usually shows above
     * with its reason; the flag alone says only that something was lost. */
    if (ferror(fp))
        return pps_error_set(err, PPS_EIO, "%s: cannot write: write error", what);
    return PPS_OK;
}

pps_status pps_stdout_flush(pps_error *err)
{
    return flush_checked(stdout, "stdout", err);
}

/* ------------------------------------------------------------------ temporaries and signals */

/* Named temporaries that exist right now, for removal on SIGINT, SIGTERM or SIGHUP. A slot is
 * claimed (FILLING), filled, then published (LIVE); the handler touches only LIVE slots and uses
 * nothing but unlinkat, which is async-signal-safe. The atomics are lock-free on every target
 * ppsim builds for, so a handler may read them. */
enum { SLOT_FREE = 0, SLOT_FILLING, SLOT_LIVE, NSLOTS = 16 };
static struct {
    atomic_int state;
    int dirfd;
    char name[NAME_MAX + 1];
} slots[NSLOTS];

void pps_outfile_remove_temps(void)
{
    for (int i = 0; i < NSLOTS; i++)
        if (atomic_load(&slots[i].state) == SLOT_LIVE)
            unlinkat(slots[i].dirfd, slots[i].name, 0);
}

/* Publishes (dirfd, name) for removal on a signal; returns the slot or -1 when all are taken
 * (the file then lacks only that cleanup). */
static int slot_claim(int dirfd, const char *name)
{
    for (int i = 0; i < NSLOTS; i++) {
        int expect = SLOT_FREE;
        if (atomic_compare_exchange_strong(&slots[i].state, &expect, SLOT_FILLING)) {
            slots[i].dirfd = dirfd;
            snprintf(slots[i].name, sizeof slots[i].name, "%s", name);
            atomic_store(&slots[i].state, SLOT_LIVE);
            return i;
        }
    }
    return -1;
}

static void slot_release(int *slot)
{
    if (*slot >= 0)
        atomic_store(&slots[*slot].state, SLOT_FREE);
    *slot = -1;
}

static void on_fatal_signal(int sig)
{
    int saved = errno;
    pps_outfile_remove_temps();
    /* Die of the same signal, so the parent sees how the run ended. */
    signal(sig, SIG_DFL);
    raise(sig);
    errno = saved;
}

static const int cleanup_signals[] = {SIGINT, SIGTERM, SIGHUP};

void pps_outfile_cleanup_on_signals(void)
{
    for (size_t i = 0; i < sizeof cleanup_signals / sizeof *cleanup_signals; i++) {
        struct sigaction old;
        /* A signal the program ignores (nohup) or handles itself is left alone. */
        if (sigaction(cleanup_signals[i], NULL, &old) != 0 || old.sa_handler != SIG_DFL)
            continue;
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_fatal_signal;
        sigemptyset(&sa.sa_mask);
        sigaction(cleanup_signals[i], &sa, NULL);
    }
}

/* Blocks the cleanup signals while a temporary's name and its slot change together, so that
 * the handler never removes a name that is not (or no longer) ours. */
static void signals_block(sigset_t *old)
{
    sigset_t set;
    sigemptyset(&set);
    for (size_t i = 0; i < sizeof cleanup_signals / sizeof *cleanup_signals; i++)
        sigaddset(&set, cleanup_signals[i]);
    pthread_sigmask(SIG_BLOCK, &set, old);
}

static void signals_restore(const sigset_t *old)
{
    pthread_sigmask(SIG_SETMASK, old, NULL);
}

/* Six characters from [A-Za-z0-9]; unpredictability is a courtesy (O_EXCL makes the creation
 * safe whatever the name), so a failed getrandom falls back to the clock and a counter. */
static void random_suffix(char out[7])
{
    static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    static atomic_uint counter;
    uint64_t r = 0;
    if (getrandom(&r, sizeof r, GRND_NONBLOCK) != (ssize_t)sizeof r) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        r = (uint64_t)ts.tv_nsec * 0x9E3779B97F4A7C15u ^ (uint64_t)getpid() << 32 ^
            atomic_fetch_add(&counter, 1u) * 0xBF58476D1CE4E5B9u;
    }
    for (int i = 0; i < 6; i++, r /= 62)
        out[i] = abc[r % 62];
    out[6] = '\0';
}

/* ".STEM.tmp.XXXXXX" for the target name base, within NAME_MAX: the stem is base cut at a
 * UTF-8 character boundary so that a 255-byte target name still gets a legal temporary. */
static void temp_name(const char *base, char out[NAME_MAX + 1])
{
    enum { OVERHEAD = 1 + 5 + 6 }; /* ".", ".tmp.", XXXXXX */
    size_t n = strlen(base);
    if (n > NAME_MAX - OVERHEAD) {
        n = NAME_MAX - OVERHEAD;
        while (n > 0 && ((unsigned char)base[n] & 0xC0) == 0x80)
            n--;
    }
    char suffix[7];
    random_suffix(suffix);
    snprintf(out, NAME_MAX + 1, ".%.*s.tmp.%s", (int)n, base, suffix);
}

/* Whether to try unnamed temporaries: they need O_TMPFILE and a way to name them at commit,
 * which for an unprivileged process is /proc/self/fd. PPSIM_NAMED_TEMPS=1 forces named ones
 * (tests/cli/output_safety.sh uses it to test the signal cleanup of those). */
static int use_unnamed(void)
{
#if HAVE_UNNAMED
    const char *env = getenv("PPSIM_NAMED_TEMPS");
    if (env && strcmp(env, "1") == 0)
        return 0;
    return access("/proc/self/fd", X_OK) == 0;
#else
    return 0;
#endif
}

/* ------------------------------------------------------------------ output files */

/* The states of pps_outfile.kind. */
enum { OUT_NONE = 0, OUT_STDOUT, OUT_THROUGH, OUT_TEMP };

static void outfile_reset(pps_outfile *o)
{
    memset(o, 0, sizeof *o);
    o->dirfd = -1;
    o->slot = -1;
}

static pps_status out_error(pps_outfile *o, int e, const char *why, pps_error *err)
{
    pps_status st = pps_error_set(err, PPS_EIO, "%s: cannot write: %s", o->path,
                                  why ? why : strerror(e));
    pps_outfile_abort(o);
    return st;
}

static pps_status attach(pps_outfile *o, int fd, pps_error *err)
{
    o->fp = fdopen(fd, "wb");
    if (!o->fp) {
        int e = errno;
        close(fd);
        if (o->tmp[0])
            unlinkat(o->dirfd, o->tmp, 0);
        o->tmp[0] = '\0';
        return out_error(o, e, NULL, err);
    }
    return PPS_OK;
}

/* A new temporary in the target's directory: unnamed where possible, else a fresh name
 * created exclusively (O_EXCL | O_NOFOLLOW: a planted file or link makes us pick another). */
static pps_status open_temp(pps_outfile *o, pps_error *err)
{
    int fd;
#if HAVE_UNNAMED
    if (use_unnamed()) {
        fd = openat(o->dirfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0666);
        if (fd >= 0) {
            o->unnamed = 1;
            return attach(o, fd, err);
        }
        /* Filesystems without O_TMPFILE say so in one of these ways; anything else (EACCES,
         * ENOSPC, ...) would fail a named temporary too. */
        if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL && errno != ENOENT &&
            errno != ENOSYS)
            return out_error(o, errno, NULL, err);
    }
#endif
    for (int tries = 0; tries < 100; tries++) {
        sigset_t old;
        signals_block(&old);
        temp_name(o->base, o->tmp);
        fd = openat(o->dirfd, o->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
        int e = errno;
        if (fd >= 0)
            o->slot = slot_claim(o->dirfd, o->tmp);
        signals_restore(&old);
        if (fd >= 0)
            return attach(o, fd, err);
        o->tmp[0] = '\0';
        if (e != EEXIST)
            return out_error(o, e, NULL, err);
    }
    return out_error(o, 0, "no free temporary file name", err);
}

/* Writing through to a character device or FIFO: no temporary (a device cannot be replaced
 * atomically, and must not be replaced at all). The type is checked again on the open file, as
 * the name may have changed since it was looked at. */
static pps_status open_through(pps_outfile *o, const char *path, pps_error *err)
{
    int fd = open(path, O_WRONLY | O_NOCTTY | O_CLOEXEC);
    if (fd < 0)
        return out_error(o, errno, NULL, err);
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !(S_ISCHR(sb.st_mode) || S_ISFIFO(sb.st_mode))) {
        close(fd);
        return out_error(o, 0, "changed while it was being opened", err);
    }
    o->kind = OUT_THROUGH;
    return attach(o, fd, err);
}

/* What a non-regular target is, for refusals. */
static const char *type_name(mode_t m)
{
    return S_ISDIR(m)    ? strerror(EISDIR)
           : S_ISBLK(m)  ? "a block device (ppsim writes files, character devices and pipes)"
           : S_ISSOCK(m) ? "a socket (ppsim writes files, character devices and pipes)"
                         : "not a regular file, character device or pipe";
}

/* Opens the target's directory and looks at the target itself (not following a link). */
static pps_status open_dir(pps_outfile *o, const char *path, struct stat *sb, int *exists,
                           pps_error *err)
{
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    if (!*base || strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
        return out_error(o, EISDIR, NULL, err);
    free(o->base);
    o->base = strdup(base);
    if (!o->base)
        return out_error(o, ENOMEM, NULL, err);
    char *dir = slash ? strndup(path, (size_t)(slash - path) + (slash == path)) : strdup(".");
    if (!dir)
        return out_error(o, ENOMEM, NULL, err);
#ifdef O_PATH
    int flags = O_PATH | O_DIRECTORY | O_CLOEXEC; /* search permission suffices */
#else
    int flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC;
#endif
    if (o->dirfd >= 0)
        close(o->dirfd);
    o->dirfd = open(dir, flags);
    int e = errno;
    free(dir);
    if (o->dirfd < 0)
        return out_error(o, e, NULL, err);
    *exists = fstatat(o->dirfd, o->base, sb, AT_SYMLINK_NOFOLLOW) == 0;
    if (!*exists && errno != ENOENT)
        return out_error(o, errno, NULL, err);
    return PPS_OK;
}

pps_status pps_outfile_open(pps_outfile *o, const char *path, pps_error *err)
{
    outfile_reset(o);
    if (strcmp(path, "-") == 0) {
        o->fp = stdout;
        o->kind = OUT_STDOUT;
        return PPS_OK;
    }
    o->path = strdup(path);
    if (!o->path)
        return pps_error_set(err, PPS_ENOMEM, "%s: out of memory", path);
    struct stat sb;
    int exists;
    pps_status st = open_dir(o, path, &sb, &exists, err);
    if (st != PPS_OK)
        return st;
    if (exists && S_ISLNK(sb.st_mode)) {
        /* Follow the link: a regular target is replaced where it lies, the link stays. */
        struct stat target;
        if (stat(path, &target) != 0)
            return out_error(o, 0, errno == ENOENT ? "a symbolic link to a missing file (ppsim "
                             "replaces no links)" : strerror(errno), err);
        if (S_ISCHR(target.st_mode) || S_ISFIFO(target.st_mode))
            return open_through(o, path, err);
        if (!S_ISREG(target.st_mode))
            return out_error(o, 0, type_name(target.st_mode), err);
        char *real = realpath(path, NULL);
        if (!real)
            return out_error(o, errno, NULL, err);
        st = open_dir(o, real, &sb, &exists, err);
        free(real);
        if (st != PPS_OK)
            return st;
        if (!exists || !S_ISREG(sb.st_mode))
            return out_error(o, 0, "changed while it was being opened", err);
    }
    if (exists && (S_ISCHR(sb.st_mode) || S_ISFIFO(sb.st_mode)))
        return open_through(o, path, err);
    if (exists && !S_ISREG(sb.st_mode))
        return out_error(o, 0, type_name(sb.st_mode), err);
    /* The new file keeps the permissions of the one it replaces (a new one gets 0666 less the
     * umask, as fopen would give it). */
    o->mode = exists ? (int)(sb.st_mode & 07777) : -1;
    o->kind = OUT_TEMP;
    return open_temp(o, err);
}

pps_status pps_outfile_flush(pps_outfile *o, pps_error *err)
{
    if (!o->fp)
        return PPS_OK;
    if (o->kind == OUT_STDOUT)
        return pps_stdout_flush(err);
    return flush_checked(o->fp, o->path, err);
}

pps_status pps_outfile_check(pps_outfile *o, pps_status st, pps_error *err)
{
    pps_error why = {0};
    if (st != PPS_EIO || !o->fp || !err)
        return st;
    if (err->errnum) /* the writer saw its write fail, and why */
        return pps_error_errno(err, err->errnum, "%s: cannot write", o->path);
    if (pps_outfile_flush(o, &why) != PPS_OK)
        *err = why;
    return st;
}

/* Gives an unnamed temporary a fresh name in the target's directory (slot claimed). */
static int link_unnamed(pps_outfile *o)
{
#if !HAVE_UNNAMED
    (void)o;
    return ENOSYS; /* never called: no unnamed temporaries here */
#else
    char proc[64];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", fileno(o->fp));
    for (int tries = 0; tries < 100; tries++) {
        temp_name(o->base, o->tmp);
        /* AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH; /proc/self/fd serves everyone else. */
        int rc = linkat(fileno(o->fp), "", o->dirfd, o->tmp, AT_EMPTY_PATH);
        if (rc != 0 && errno != EEXIST)
            rc = linkat(AT_FDCWD, proc, o->dirfd, o->tmp, AT_SYMLINK_FOLLOW);
        if (rc == 0) {
            o->slot = slot_claim(o->dirfd, o->tmp);
            return 0;
        }
        if (errno != EEXIST) {
            o->tmp[0] = '\0';
            return errno;
        }
    }
    o->tmp[0] = '\0';
    return EEXIST;
#endif
}

pps_status pps_outfile_commit(pps_outfile *o, pps_error *err)
{
    if (!o->fp)
        return PPS_OK;
    pps_status st = pps_outfile_flush(o, err);
    if (st != PPS_OK || o->kind == OUT_STDOUT) {
        if (st != PPS_OK)
            pps_outfile_abort(o);
        outfile_reset(o);
        return st;
    }
    if (o->kind == OUT_THROUGH) {
        int bad = fclose(o->fp) != 0;
        int e = errno;
        o->fp = NULL;
        if (bad)
            return out_error(o, e, NULL, err);
        pps_outfile_abort(o); /* frees; nothing else is left */
        return PPS_OK;
    }
    if (o->mode >= 0 && fchmod(fileno(o->fp), (mode_t)o->mode) != 0)
        return out_error(o, errno, NULL, err);
    sigset_t old;
    signals_block(&old);
    int e = o->unnamed ? link_unnamed(o) : 0;
    errno = 0;
    int closed = fclose(o->fp); /* a late write error (NFS, quota) shows here */
    int close_errno = errno ? errno : EIO;
    o->fp = NULL;
    if (e == 0 && closed != 0)
        e = close_errno;
    if (e == 0 && renameat(o->dirfd, o->tmp, o->dirfd, o->base) != 0)
        e = errno;
    if (e == 0) {
        o->tmp[0] = '\0'; /* renamed: nothing to remove any more */
        slot_release(&o->slot);
    }
    signals_restore(&old);
    if (e != 0)
        return out_error(o, e, NULL, err);
    pps_outfile_abort(o);
    return PPS_OK;
}

void pps_outfile_abort(pps_outfile *o)
{
    if (!o)
        return;
    if (o->kind == OUT_NONE && !o->path) {
        outfile_reset(o);
        return;
    }
    if (o->fp && o->fp != stdout)
        fclose(o->fp);
    if (o->tmp[0]) {
        sigset_t old;
        signals_block(&old);
        unlinkat(o->dirfd, o->tmp, 0);
        slot_release(&o->slot);
        signals_restore(&old);
    }
    if (o->dirfd >= 0)
        close(o->dirfd);
    free(o->path);
    free(o->base);
    outfile_reset(o);
}

/* ------------------------------------------------------------------ same output? */

/* The identity of the directory that would hold path's last component (following links in the
 * directory part), and that component. */
static int parent_identity(const char *path, struct stat *sb, const char **base)
{
    const char *slash = strrchr(path, '/');
    *base = slash ? slash + 1 : path;
    char *dir = slash ? strndup(path, (size_t)(slash - path) + (slash == path)) : strdup(".");
    if (!dir)
        return -1;
    int rc = stat(dir, sb);
    free(dir);
    return rc;
}

int pps_outputs_same(const char *a, const char *b)
{
    int da = strcmp(a, "-") == 0, db = strcmp(b, "-") == 0;
    if (da || db)
        return da && db;
    struct stat sa, sb;
    int ea = stat(a, &sa) == 0, eb = stat(b, &sb) == 0;
    /* One character device twice (say /dev/null) takes both outputs harmlessly. */
    if (ea && eb)
        return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino && !S_ISCHR(sa.st_mode);
    if (strcmp(a, b) == 0)
        return 1;
    if (ea || eb)
        return 0;
    /* Neither exists yet: the same name in the same directory. */
    const char *ba, *bb;
    if (parent_identity(a, &sa, &ba) != 0 || parent_identity(b, &sb, &bb) != 0)
        return 0;
    return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino && strcmp(ba, bb) == 0;
}
