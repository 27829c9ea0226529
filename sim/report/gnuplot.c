/* gnuplot.c — runs gnuplot on a written script and turns its failure into one line. */
#include "report/plot.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

enum { ERR_TAIL = 400 };

/* Reads fd to its end, keeping the last non-blank line (gnuplot's error comes last, after the
 * offending command and a caret line). */
static void last_line(int fd, char *out, size_t size)
{
    char buf[4096], line[ERR_TAIL];
    size_t len = 0;
    out[0] = '\0';
    ssize_t got;
    while ((got = read(fd, buf, sizeof buf)) != 0) {
        if (got < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        for (ssize_t i = 0; i < got; i++) {
            char c = buf[i];
            if (c == '\n') {
                line[len] = '\0';
                size_t k = 0;
                while (line[k] == ' ' || line[k] == '\t' || line[k] == '^')
                    k++;
                if (line[k])
                    snprintf(out, size, "%s", line + k);
                len = 0;
            } else if (len + 1 < sizeof line) {
                line[len++] = (unsigned char)c < 0x20 ? ' ' : c;
            }
        }
    }
    if (len) {
        line[len] = '\0';
        snprintf(out, size, "%s", line);
    }
}

/* The -e command: change to the folder, then name the output (gnuplot single-quoted strings). */
static char *preamble(const char *dir, const char *out_name)
{
    size_t n = 2 * (strlen(dir) + strlen(out_name)) + 32;
    char *s = malloc(n), *w = s;
    if (!s)
        return NULL;
    const char *parts[2] = {dir, out_name};
    const char *heads[2] = {"cd '", "'; outfile = '"};
    for (int i = 0; i < 2; i++) {
        w += sprintf(w, "%s", heads[i]);
        for (const char *c = parts[i]; *c; c++) {
            if (*c == '\'')
                *w++ = '\'';
            *w++ = *c;
        }
    }
    strcpy(w, "'");
    return s;
}

pps_status ppsr_gnuplot_run(const char *program, const char *dir, const char *script_name,
                            const char *out_name, pps_error *err)
{
    const char *prog = program ? program : "gnuplot";
    char *pre = preamble(dir, out_name);
    if (!pre)
        return pps_error_set(err, PPS_ENOMEM, "plot: out of memory");
    int fds[2];
    if (pipe(fds) != 0) {
        free(pre);
        return pps_error_set(err, PPS_EIO, "cannot run %s: %s", prog, strerror(errno));
    }
    fcntl(fds[0], F_SETFD, FD_CLOEXEC);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 2);
    posix_spawn_file_actions_addclose(&fa, fds[1]);
    char *argv[] = {(char *)prog, "-e", pre, (char *)script_name, NULL};
    pid_t pid;
    int rc = posix_spawnp(&pid, prog, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    free(pre);
    if (rc != 0) {
        close(fds[0]);
        char where[300] = "";
        if (strcmp(dir, ".") != 0)
            snprintf(where, sizeof where, " in %s", dir);
        if (rc == ENOENT && !program)
            return pps_error_set(err, PPS_EIO,
                                 "gnuplot is not installed or not on PATH; install it (Debian/"
                                 "Ubuntu: apt-get install gnuplot-nox; macOS: brew install "
                                 "gnuplot); the data and script are written: run `gnuplot %s`%s "
                                 "to draw the image", script_name, where);
        return pps_error_set(err, PPS_EIO, "cannot run %s: %s; the data and script are "
                             "written: run `gnuplot %s`%s to draw the image", prog,
                             strerror(rc), script_name, where);
    }
    char tail[ERR_TAIL];
    last_line(fds[0], tail, sizeof tail);
    close(fds[0]);
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return pps_error_set(err, PPS_EIO, "%s: lost track of gnuplot: %s", script_name,
                                 strerror(errno));
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return PPS_OK;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 127 && !tail[0])
        return pps_error_set(err, PPS_EIO, "%s could not be started; install gnuplot (Debian/"
                             "Ubuntu: apt-get install gnuplot-nox); the data and script are "
                             "written", prog);
    return pps_error_set(err, PPS_EIO, "gnuplot failed on %s/%s (%s); the data and script are "
                         "kept", dir, script_name, tail[0] ? tail : "no message");
}
