/* cli.h — what the ppsim subcommands share: option parsing for schedule inputs and costs, the
 * load → validate → lower → simulate pipeline, summaries, and exit codes. */
#ifndef PPS_CLI_H
#define PPS_CLI_H

#include <getopt.h>

#include "ppsim.h"

/* Exit codes of the CLI contract (3: diff only, the makespan error exceeds the tolerance). */
enum { EXIT_OK = 0, EXIT_BAD_INPUT = 1, EXIT_USAGE = 2, EXIT_DIFF_TOLERANCE = 3 };

/* Long-only options get codes above the char range. */
enum {
    OPT_TF = 256, OPT_TB, OPT_TI, OPT_TW, OPT_COSTS, OPT_LATENCY, OPT_BANDWIDTH,
    OPT_INTER_LATENCY, OPT_INTER_BANDWIDTH, OPT_RANKS_PER_NODE, OPT_SEND_BYTES, OPT_ACT_BYTES,
    OPT_ACT_W_BYTES, OPT_COMM, OPT_JSON, OPT_CHROME, OPT_MEMORY, OPT_FORMAT, OPT_LOWER, OPT_WIDTH,
    OPT_TFB, OPT_NO_WAITS, OPT_DURATIONS_FROM,
    /* A schedule's own option (pps_gen_option) k of cli_schedule_option_name(k). */
    OPT_SCHEDULE_OPTION = 1024,
};

/* What the user asked to run: a generated or a file schedule, and cost overrides. */
typedef struct cli_input {
    const char *schedule; /* -s NAME */
    const char *file;     /* -f FILE */
    int ranks, microbatches, chunks; /* 0 = not given */
    /* --NAME VALUE for the schedules' own options, in the order given */
    size_t nsettings;
    pps_gen_setting settings[PPS_GEN_MAX_SETTINGS];
    pps_cost cost;        /* defaults, then --costs, then flags (applied in cli_input_costs) */
    const char *costs_file;
    /* flag values, NaN or -1 when not given */
    double tf, tb, ti, tw, tfb, latency, bandwidth, inter_latency, inter_bandwidth;
    double send_bytes, act_bytes, act_w_bytes;
    int ranks_per_node, comm_sync;
    /* 1: the subcommand reads the run's events (show, plot, sim -o/--chrome); otherwise only
     * the summary is computed and run->timeline holds the header alone. */
    int want_events;
    /* 1: sim -o without another reader of the events: the timeline file is written by a second
     * run of the simulation, a rank's events at a time (pps_simulate_write_json), so that they
     * are never all in memory (hundreds of MB on a long run); run->prices kept for it. */
    int timeline_to_file;
    /* 1: the subcommand writes every rank's memory series (sim --memory): computed by the
     * simulation itself (run->mem_points) unless the events are wanted anyway. */
    int want_memory;
    /* sim --durations-from: every action's price replaced by its duration in this timeline
     * (pps_prices_from_timeline; borrowed), named durations_path in errors. */
    const pps_timeline *durations;
    const char *durations_path;
} cli_input;

/* A loaded run: the schedule as given, the costs, the result. */
typedef struct cli_run {
    const pps_generator *gen; /* NULL for a file */
    pps_gen_params params;
    pps_schedule *sched;
    pps_cost cost;
    pps_timeline *timeline; /* its events only when the input asked for them (want_events) */
    pps_analysis analysis;
    pps_prices prices; /* with timeline_to_file: what the run was simulated under */
    /* With want_memory and no events: every rank's memory series (pps_simulate_memory). */
    pps_memory_point *mem_points;
    size_t *mem_first;
} cli_run;

/* The options every input-taking subcommand accepts, for getopt_long; terminated. */
extern const struct option cli_input_options[];
#define CLI_INPUT_SHORT "s:f:p:m:v:"
/* The usage text for those options. */
extern const char cli_input_usage[];
extern const char cli_cost_usage[];

/* Usage lines of the schedules' own options, gathered from the table rows. */
const char *cli_schedule_option_usage(void);

/* Room for the input options, the schedules' own and a subcommand's own. */
#define CLI_MAX_OPTIONS 96

/* Fills out (CLI_MAX_OPTIONS entries) with the input options, less -f when !with_file, then
 * every schedule's own options (less those an `extra` one names: the subcommand's own wins),
 * followed by the n `extra` ones and the terminating entry. */
void cli_options_merge(struct option *out, int with_file, const struct option *extra, size_t n);

/* The schedules of a comma-separated -s list (NULL or "all": every schedule) into list (room for
 * max); returns 0, or the exit code after printing the error for an unknown name. */
int cli_schedule_list(const char *cmd, const char *names, const pps_generator **list,
                      size_t max, size_t *count);

void cli_input_init(cli_input *in);
/* Handles one getopt result if it is an input or cost option: returns 1 if handled, 0 if not
 * an input option, -1 after printing a usage error. */
int cli_input_option(cli_input *in, const char *cmd, int opt, const char *arg);
/* Records schedule option --name value (both borrowed; a repeat replaces the earlier value).
 * Returns 0, or EXIT_USAGE after printing an error when there are too many. */
int cli_input_setting(cli_input *in, const char *cmd, const char *name, const char *value);

/* Parameters for generator g from the input: -p, -m, -v and the settings. With only_own, the
 * settings g has no option for are left out (compare runs every schedule with one input). */
void cli_gen_params(const cli_input *in, const pps_generator *g, int only_own, pps_gen_params *p);

/* Builds the costs p's schedule is generated for (defaults, then --costs, then flags),
 * resolved for P·v stages (v: p->chunks, or g's default), and points p->cost at *cost; the
 * caller clears *cost with pps_cost_clear, also after a failure. A shape beyond the limits
 * leaves p->cost NULL, for pps_generate to refuse naming the field. */
pps_status cli_gen_costs(const cli_input *in, const pps_generator *g, pps_gen_params *p,
                         pps_cost *cost, pps_error *err);

/* The costs the input names, not yet resolved: defaults, then the costs file, then flags. Times
 * given as flags follow the rule of the cost model: t_B alone splits evenly into I and W; I and
 * W alone define t_B. The caller clears *c (also after a failure). */
pps_status cli_input_costs(const cli_input *in, pps_cost *c, pps_error *err);
/* Checks once what every schedule of a run shares (compare, sweep): the costs file reads and
 * the costs resolve for any schedule's stages. Prints one error line and returns the exit code,
 * or 0. */
int cli_check_costs(const char *cmd, const cli_input *in);

/* Generates or reads, validates and simulates (a compute-only schedule runs as its lowering
 * would, without the lowered copy); on success fills run and returns 0, else prints one error
 * line and returns the exit code. */
int cli_run_input(const char *cmd, const cli_input *in, cli_run *run);
/* Same for an already chosen generator and params (compare and sweep). */
int cli_run_generated(const char *cmd, const cli_input *in, const pps_generator *g,
                      const pps_gen_params *p, cli_run *run, pps_error *err);
void cli_run_free(cli_run *run);
/* The timeline a subcommand draws or analyses: the file `timeline` when not NULL (then `in`
 * must name no schedule), else the run of the -s/-f input. Fills run->timeline and
 * run->analysis (nothing else for a file); returns 0 or the exit code after printing the error. */
int cli_timeline_input(const char *cmd, const cli_input *in, const char *timeline, cli_run *run);

/* --critical (show, plot timeline): flags in *marks (caller frees; [run->timeline->n]) the
 * compute events of run's timeline on its critical path, and gives the path's length. A run of
 * -s/-f is simulated again with the record of what bound each start (the same timeline); a
 * timeline file (timeline != NULL) is replayed with its own durations (docs/explain.md) and
 * the replay's path marked on it. Returns 0 or the exit code after printing the error. */
int cli_critical_marks(const char *cmd, const cli_run *run, const char *timeline,
                       uint8_t **marks, double *length);

/* Prints "ppsim CMD: msg" (or "ppsim: msg" when cmd is NULL) on stderr. */
void cli_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Maps a status to the CLI's exit code and prints the error line. */
int cli_fail(const char *cmd, const pps_error *err);
/* The same for a writer to stdout that failed: a failed write is named as cli_finish names it
 * ("stdout: cannot write: REASON"). */
int cli_fail_stdout(const char *cmd, pps_error *err);

/* Strict number parsing: the whole argument must be a number. */
int cli_parse_double(const char *cmd, const char *opt, const char *arg, double *out);
int cli_parse_int(const char *cmd, const char *opt, const char *arg, long lo, long hi, int *out);
/* Prints the one-line error for a getopt_long result of '?' (unknown option) or ':' (missing
 * value; optstrings start with ':' and opterr is 0) and returns EXIT_USAGE. */
int cli_bad_option(const char *cmd, int c, char *const *argv);
/* getopt_long (with opterr off, for cli_bad_option) that takes the input and cost options into
 * *in itself: returns the next option the subcommand handles, or -1 at the end of the options
 * or after a bad input or cost option was named; *rc is then that error's exit code, else 0. */
int cli_next_option(cli_input *in, const char *cmd, int argc, char **argv, const char *shortopts,
                    const struct option *opts, int *rc);
/* The arguments after the options: 0 when there are exactly `count` of them, else EXIT_USAGE
 * after printing "expected WHAT" (e.g. "one TIMELINE.json argument"). */
int cli_operands(const char *cmd, int argc, int count, const char *what);
/* 0 when argv holds nothing from index `first` on, else EXIT_USAGE after printing
 * "unexpected argument 'ARG'" for the first one. */
int cli_no_argument_from(const char *cmd, int argc, char **argv, int first);

/* The literature's values for a generated run (the row's formulas, docs/schedules.md), beside
 * the simulated ones; NaN where none applies. */
typedef struct cli_analytic {
    double idle_over_compute;
    double stage_span_idle; /* seconds: the bubble time */
    double *peak;           /* [ranks] bytes, owned; NULL when no rank has a value */
} cli_analytic;

/* Fills *an for run (a file's run gets none); free with cli_analytic_free. */
void cli_analytic_of(const cli_run *run, cli_analytic *an);
void cli_analytic_free(cli_analytic *an);

/* Summaries: human text, or one JSON object on stdout written by the library (returns 0, or the
 * exit code after printing the error). an may be NULL (no analytic values). */
void cli_print_summary(FILE *fp, const pps_timeline *t, const pps_analysis *a,
                       const cli_analytic *an);
int cli_print_summary_json(const char *cmd, const pps_timeline *t, const pps_analysis *a,
                           const cli_analytic *an);
/* The library's summary of t, a and an (all borrowed; an may be NULL). */
pps_summary cli_summary(const pps_timeline *t, const pps_analysis *a, const cli_analytic *an);

/* Writes run's timeline JSON, Chrome trace and memory CSV (each path may be NULL)
 * atomically: either every file is written or none. Two paths naming one file are refused
 * (exit 2) before anything is written. The memory series comes from run->mem_points when the
 * run computed them, else from its events. */
int cli_write_outputs(const char *cmd, const cli_run *run, const char *timeline_path,
                      const char *chrome_path, const char *memory_path);

/* The end of every subcommand: flushes stdout, and turns a result lost to a write error (a full
 * device, a closed stdout) into one error line and exit 1. Returns the exit code. */
int cli_finish(const char *cmd, int rc);

/* Subcommands. */
int cmd_sim(int argc, char **argv);
int cmd_gen(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_analyze(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_calibrate(int argc, char **argv);
int cmd_plan(int argc, char **argv);
int cmd_plot(int argc, char **argv);
int cmd_sweep(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_explain(int argc, char **argv);

#endif
