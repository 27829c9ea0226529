/* ppsim.c — the ppsim command: dispatches to one subcommand per job. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

typedef struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} command;

static const command commands[] = {
    {"sim", cmd_sim, "simulate a schedule: makespan, bubble, memory"},
    {"gen", cmd_gen, "write a generated schedule as ppsim JSON or PyTorch CSV"},
    {"compare", cmd_compare, "simulate every schedule side by side (no options: the default)"},
    {"analyze", cmd_analyze, "analyse a predicted or measured timeline"},
    {"show", cmd_show, "draw a timeline as ASCII, scaled by time"},
    {"diff", cmd_diff, "compare a predicted and a measured timeline (exit 3: over tolerance)"},
    {"calibrate", cmd_calibrate, "turn a measured profile (ppexec --profile) into a costs file"},
    {"sweep", cmd_sweep, "simulate a grid of schedules x P x M x v x costs into a CSV (threads, shards)"},
    {"plan", cmd_plan, "the fastest schedule, M, v, recomputation and PP x TP x DP split that fit"},
    {"report", cmd_report, "write a Markdown report of one configuration with its pictures"},
    {"explain", cmd_explain, "why a step takes as long as it does: critical path, sensitivities, advice"},
    {"plot", cmd_plot, "draw a timeline, memory curves or a predicted-vs-measured diff (gnuplot)"},
};

static void usage(FILE *fp)
{
    fprintf(fp, "Usage: ppsim COMMAND [OPTIONS]   (ppsim COMMAND --help for its options)\n"
                "Predicts bubble and activation memory of pipeline-parallel schedules.\n\n"
                "Commands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        fprintf(fp, "  %-9s %s\n", commands[i].name, commands[i].summary);
    fprintf(fp, "\nExit status: 0 ok, 1 bad input or failed run, 2 usage error, 3 (diff only)\n"
                "prediction and measurement differ by more than the tolerance.\n"
                "Docs: docs/ (cli.md, ir.md, trace.md, semantics.md, schedules.md, executor.md).\n");
}

int main(int argc, char **argv)
{
    /* An interrupted run removes its temporary output files (pps_outfile). */
    pps_outfile_cleanup_on_signals();
    /* Into a file or a pipe, stdout gets a 64 KiB buffer: a help text or table longer than
     * stdio's default 4 KiB would otherwise be written past the buffer in one call, and when that
     * write fails (a full device) its reason is gone by the flush at exit, which could then say
     * only "write error" instead of "No space left on device". */
    static char stdout_buffer[1 << 16];
    if (!isatty(STDOUT_FILENO))
        setvbuf(stdout, stdout_buffer, _IOFBF, sizeof stdout_buffer);
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return cli_finish(NULL, EXIT_OK);
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("ppsim %s\n", PPS_VERSION);
        return cli_finish(NULL, EXIT_OK);
    }
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return cli_finish(commands[i].name, commands[i].run(argc - 1, argv + 1));
    cli_error(NULL, "unknown command '%s'; try 'ppsim --help'", argv[1]);
    return EXIT_USAGE;
}
