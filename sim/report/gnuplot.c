/* gnuplot.c — runs gnuplot on a written script, takes the image from its stdout, and turns a
 * failure into one line. */
#include "report/plot.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

enum { ERR_TAIL = 400, IMAGE_MAX = 1 << 30 };

/* The last non-blank line of gnuplot's stderr (its error comes last, after the offending command
 * and a caret line), kept as the bytes arrive. */
typedef struct tail {
    char line[ERR_TAIL], last[ERR_TAIL];
    size_t len;
} tail;

static void tail_add(tail *t, const char *buf, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char c = buf[i];
        if (c == '\n') {
            t->line[t->len] = '\0';
            size_t k = 0;
            while (t->line[k] == ' ' || t->line[k] == '\t' || t->line[k] == '^')
                k++;
            if (t->line[k])
                snprintf(t->last, sizeof t->last, "%s", t->line + k);
            t->len = 0;
        } else if (t->len + 1 < sizeof t->line) {
            t->line[t->len++] = (unsigned char)c < 0x20 ? ' ' : c;
        }
    }
}

/* The -e command: change to the folder, then send the image to stdout (outfile '-'; the script
 * then says `set output` with no file). gnuplot single-quoted strings double a quote. */
static char *preamble(const char *dir)
{
    size_t n = 2 * strlen(dir) + 32;
    char *s = malloc(n), *w = s;
    if (!s)
        return NULL;
    w += sprintf(w, "cd '");
    for (const char *c = dir; *c; c++) {
        if (*c == '\'')
            *w++ = '\'';
        *w++ = *c;
    }
    strcpy(w, "'; outfile = '-'");
    return s;
}

/* Reads gnuplot's stdout into *image and its stderr into t until both close. */
static pps_status drain(int out, int errfd, char **image, size_t *len, tail *t, pps_error *err)
{
    size_t cap = 0;
    struct pollfd fds[2] = {{out, POLLIN, 0}, {errfd, POLLIN, 0}};
    int open_fds = 2;
    char buf[65536];
    while (open_fds) {
        if (poll(fds, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            return pps_error_set(err, PPS_EIO, "gnuplot: %s", strerror(errno));
        }
        for (int i = 0; i < 2; i++) {
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            ssize_t got = read(fds[i].fd, buf, sizeof buf);
            if (got < 0 && errno == EINTR)
                continue;
            if (got <= 0) {
                fds[i].fd = -1;
                open_fds--;
                continue;
            }
            if (i == 1) {
                tail_add(t, buf, (size_t)got);
                continue;
            }
            if (*len + (size_t)got > IMAGE_MAX)
                return pps_error_set(err, PPS_EIO, "gnuplot: an image over %d bytes", IMAGE_MAX);
            if (*len + (size_t)got > cap) {
                cap = cap ? cap * 2 : 1 << 20;
                while (cap < *len + (size_t)got)
                    cap *= 2;
                char *nb = realloc(*image, cap);
                if (!nb)
                    return pps_error_set(err, PPS_ENOMEM, "gnuplot: out of memory");
                *image = nb;
            }
            memcpy(*image + *len, buf, (size_t)got);
            *len += (size_t)got;
        }
    }
    return PPS_OK;
}

static pps_status spawn_failed(const char *program, const char *prog, int rc,
                               const char *dir, const char *script_name, pps_error *err)
{
    char where[300] = "";
    if (strcmp(dir, ".") != 0)
        snprintf(where, sizeof where, " in %s", dir);
    if (rc == ENOENT && !program)
        return pps_error_set(err, PPS_EIO,
                             "gnuplot is not installed or not on PATH; install it (Debian/"
                             "Ubuntu: apt-get install gnuplot-nox; macOS: brew install "
                             "gnuplot); the data and script are written: run `gnuplot %s`%s "
                             "to draw the image", script_name, where);
    return pps_error_set(err, PPS_EIO, "cannot run %s: %s; the data and script are written: "
                         "run `gnuplot %s`%s to draw the image", prog, strerror(rc),
                         script_name, where);
}

pps_status ppsr_gnuplot_run(const char *program, const char *dir, const char *script_name,
                            char **image, size_t *len, pps_error *err)
{
    *image = NULL;
    *len = 0;
    const char *prog = program ? program : "gnuplot";
    char *pre = preamble(dir);
    if (!pre)
        return pps_error_set(err, PPS_ENOMEM, "plot: out of memory");
    int out[2], errp[2];
    if (pipe(out) != 0) {
        free(pre);
        return pps_error_set(err, PPS_EIO, "cannot run %s: %s", prog, strerror(errno));
    }
    if (pipe(errp) != 0) {
        int e = errno;
        close(out[0]);
        close(out[1]);
        free(pre);
        return pps_error_set(err, PPS_EIO, "cannot run %s: %s", prog, strerror(e));
    }
    fcntl(out[0], F_SETFD, FD_CLOEXEC);
    fcntl(errp[0], F_SETFD, FD_CLOEXEC);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_adddup2(&fa, errp[1], 2);
    posix_spawn_file_actions_addclose(&fa, out[1]);
    posix_spawn_file_actions_addclose(&fa, errp[1]);
    char *argv[] = {(char *)prog, "-e", pre, (char *)script_name, NULL};
    pid_t pid;
    int rc = posix_spawnp(&pid, prog, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(out[1]);
    close(errp[1]);
    free(pre);
    if (rc != 0) {
        close(out[0]);
        close(errp[0]);
        return spawn_failed(program, prog, rc, dir, script_name, err);
    }
    tail t = {0};
    pps_status st = drain(out[0], errp[0], image, len, &t, err);
    close(out[0]);
    close(errp[0]);
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return pps_error_set(err, PPS_EIO, "%s: lost track of gnuplot: %s", script_name,
                                 strerror(errno));
    if (t.len)
        tail_add(&t, "\n", 1);
    if (st == PPS_OK && *len > 0) { /* a NUL past the end, for readers of SVG text */
        char *nb = realloc(*image, *len + 1);
        if (!nb)
            st = pps_error_set(err, PPS_ENOMEM, "gnuplot: out of memory");
        else
            (*image = nb)[*len] = '\0';
    }
    if (st == PPS_OK && WIFEXITED(status) && WEXITSTATUS(status) == 0 && *len > 0)
        return PPS_OK;
    if (st == PPS_OK)
        st = pps_error_set(err, PPS_EIO, "gnuplot failed on %s/%s (%s); the data and script "
                           "are kept", dir, script_name,
                           t.last[0] ? t.last : WIFEXITED(status) && WEXITSTATUS(status) == 0
                                                    ? "it drew nothing"
                                                    : "no message");
    free(*image);
    *image = NULL;
    *len = 0;
    return st;
}
