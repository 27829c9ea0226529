/* cmd_sweep.c — `ppsim sweep`: a grid of configurations on all cores into one CSV, in shards
 * when it outgrows one machine, and `sweep --merge` to join the shards (docs/sweeps.md). */
#include "cli.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char sweep_usage[] =
    "Usage: ppsim sweep -s NAME[,NAME...] -p RANGE -m RANGE [-v RANGE] [--ratio LIST]\n"
    "                   [--w-fraction LIST] [costs] [-j N] [--shard K/N] -o OUT.csv\n"
    "       ppsim sweep --merge SHARD.csv... -o OUT.csv\n"
    "Simulates every combination of schedule × P × M × v × cost ratios, in parallel, and writes\n"
    "one CSV row per configuration: the --json summary's fields as columns (per-rank values as\n"
    "their extremes), exact numbers; a configuration a schedule cannot take is a row with the\n"
    "reason in the last column. On a terminal a progress line (rate, ETA) goes to stderr.\n\n"
    "RANGE: 8 | 2,4,8 | 2-32 (every integer) | 2-256:x2 (geometric: 2, 4, ..., 256), or a\n"
    "comma-separated mix (1,2-8,16-256:x2). LIST: comma-separated numbers.\n\n"
    "  -s, --schedule LIST      schedule names, comma-separated, or all\n"
    "  -p, --ranks RANGE        pipeline ranks\n"
    "  -m, --microbatches RANGE micro-batches\n"
    "  -v, --chunks RANGE       stages per rank (default: each schedule's own); a schedule\n"
    "                           that takes one v refuses the others (rows with the reason)\n"
    "      --ratio LIST         t_B / t_F values (t_F from --tf, default 1; t_I = t_W = t_B/2)\n"
    "      --w-fraction LIST    t_W / t_B values (t_I = t_B - t_W), for split backward passes\n"
    "%s\n%s\n"
    "Running:\n"
    "  -j, --jobs N             threads (default: every online core)\n"
    "      --shard K/N          evaluate only configurations i with i mod N = K (K in 0..N-1),\n"
    "                           e.g. one task of a Slurm job array; join with --merge\n"
    "      --merge FILES...     join the CSVs of the shards of one sweep into the CSV a single\n"
    "                           run writes, byte for byte (any order; each shard once)\n"
    "  -o, --output FILE        the CSV ('-': stdout), written atomically (required)\n"
    "  -h, --help               show this help\n";

enum { OPT_RATIO = 3072, OPT_W_FRACTION, OPT_SHARD, OPT_MERGE };
enum { MAX_SCHEDULES = 64, MAX_LIST = 64 };

/* "1.5,2,3" into values (at most MAX_LIST). */
static int parse_list(const char *opt, const char *arg, double *values, size_t *n)
{
    char *copy = strdup(arg), *save = NULL;
    int rc = copy ? 0 : EXIT_BAD_INPUT;
    *n = 0;
    for (char *tok = copy ? strtok_r(copy, ",", &save) : NULL; tok && !rc;
         tok = strtok_r(NULL, ",", &save)) {
        if (*n == MAX_LIST) {
            cli_error("sweep", "%s: more than %d values", opt, MAX_LIST);
            rc = EXIT_USAGE;
        } else {
            rc = cli_parse_double("sweep", opt, tok, &values[(*n)++]);
        }
    }
    if (!rc && *n == 0) {
        cli_error("sweep", "%s: no values in '%s'", opt, arg);
        rc = EXIT_USAGE;
    }
    free(copy);
    return rc;
}

static int parse_range(const char *opt, const char *arg, long lo, long hi, pps_range *r)
{
    pps_error err = {0};
    pps_range_clear(r);
    if (pps_range_parse(arg, lo, hi, r, &err) == PPS_OK)
        return 0;
    cli_error("sweep", "%s: %s", opt, err.msg);
    return err.status == PPS_ENOMEM ? EXIT_BAD_INPUT : EXIT_USAGE;
}

static int parse_shard(const char *arg, size_t *k, size_t *n)
{
    char *end;
    unsigned long a = strtoul(arg, &end, 10), b = 0;
    if (end != arg && *end == '/') {
        const char *bs = end + 1;
        b = strtoul(bs, &end, 10);
        if (end == bs)
            b = 0;
    }
    if (*end != '\0' || b == 0 || a >= b || b > 1000000) {
        cli_error("sweep", "--shard: expected K/N with 0 <= K < N, got '%s'", arg);
        return EXIT_USAGE;
    }
    *k = a;
    *n = b;
    return 0;
}

/* The progress line on stderr: done/total, rate and time left; only on a terminal. */
typedef struct progress_ctx {
    struct timespec t0;
    int shown;
} progress_ctx;

static void show_progress(void *ctx, size_t done, size_t total)
{
    progress_ctx *p = ctx;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    double el = (double)(now.tv_sec - p->t0.tv_sec) + (now.tv_nsec - p->t0.tv_nsec) * 1e-9;
    double rate = el > 0 ? done / el : 0;
    char eta[32] = "-";
    if (rate > 0 && done < total)
        pps_format_time((double)(total - done) / rate, eta, sizeof eta);
    else if (done == total)
        snprintf(eta, sizeof eta, "done");
    fprintf(stderr, "\rsweep: %zu/%zu configurations (%.0f%%), %.0f/s, ETA %s   ", done, total,
            total ? 100.0 * done / total : 100.0, rate, eta);
    p->shown = 1;
}

static int write_csv(const char *path, const pps_sweep_row *rows, size_t n,
                     const char *const *merge, size_t nmerge)
{
    pps_outfile o;
    pps_error err = {0};
    pps_status st = pps_outfile_open(&o, path, &err);
    if (st == PPS_OK)
        st = merge ? pps_sweep_merge_csv(merge, nmerge, o.fp, &err)
                   : pps_sweep_write_csv(rows, n, o.fp, &err);
    if (st == PPS_OK)
        st = pps_outfile_commit(&o, &err);
    pps_outfile_abort(&o);
    return st == PPS_OK ? EXIT_OK : cli_fail("sweep", &err);
}

typedef struct sweep_args {
    cli_input in;
    pps_range ranks, mbs, chunks;
    double ratios[MAX_LIST], fractions[MAX_LIST];
    size_t nratios, nfractions;
    int jobs, merge;
    size_t shard, shards;
    const char *out;
} sweep_args;

/* Parses the command line into a; returns -1 to go on, else the exit code. */
static int parse_args(int argc, char **argv, sweep_args *a)
{
    static const struct option extra[] = {
        {"ratio", required_argument, NULL, OPT_RATIO},
        {"w-fraction", required_argument, NULL, OPT_W_FRACTION},
        {"jobs", required_argument, NULL, 'j'},
        {"shard", required_argument, NULL, OPT_SHARD},
        {"merge", no_argument, NULL, OPT_MERGE},
        {"output", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
    };
    struct option opts[CLI_MAX_OPTIONS];
    cli_options_merge(opts, 0, extra, sizeof extra / sizeof *extra);
    int c, rc = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":s:p:m:v:j:o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'p': rc = parse_range("-p", optarg, 1, PPS_MAX_RANKS, &a->ranks); break;
        case 'm': rc = parse_range("-m", optarg, 1, PPS_MAX_MICROBATCHES, &a->mbs); break;
        case 'v': rc = parse_range("-v", optarg, 1, PPS_MAX_CHUNKS, &a->chunks); break;
        case OPT_RATIO: rc = parse_list("--ratio", optarg, a->ratios, &a->nratios); break;
        case OPT_W_FRACTION:
            rc = parse_list("--w-fraction", optarg, a->fractions, &a->nfractions);
            break;
        case 'j': rc = cli_parse_int("sweep", "-j", optarg, 1, 4096, &a->jobs); break;
        case OPT_SHARD: rc = parse_shard(optarg, &a->shard, &a->shards); break;
        case OPT_MERGE: a->merge = 1; break;
        case 'o': a->out = optarg; break;
        case 'h':
            printf(sweep_usage, cli_schedule_option_usage(), cli_cost_usage);
            return EXIT_OK;
        default: {
            int r = cli_input_option(&a->in, "sweep", c, optarg);
            if (r < 0)
                return -r;
            if (r == 0)
                return cli_bad_option("sweep", c, argv);
        }
        }
        if (rc)
            return rc;
    }
    if (!a->out) {
        cli_error("sweep", "-o OUT.csv is required ('-' for stdout)");
        return EXIT_USAGE;
    }
    return -1;
}

static int run_merge(const sweep_args *a, int argc, char **argv)
{
    if (optind >= argc) {
        cli_error("sweep", "--merge needs the shards' CSV files");
        return EXIT_USAGE;
    }
    return write_csv(a->out, NULL, 0, (const char *const *)argv + optind,
                     (size_t)(argc - optind));
}

static int run_grid(const sweep_args *a, int argc, char **argv)
{
    int rc = cli_no_argument_from("sweep", argc, argv, optind);
    if (rc)
        return rc;
    if (!a->in.schedule || !a->ranks.n || !a->mbs.n) {
        cli_error("sweep", "give -s NAMES, -p RANGE and -m RANGE (see --help)");
        return EXIT_USAGE;
    }
    const pps_generator *list[MAX_SCHEDULES];
    size_t count = 0;
    rc = cli_schedule_list("sweep", a->in.schedule, list, MAX_SCHEDULES, &count);
    if (rc != 0)
        return rc;
    pps_cost cost;
    pps_error err = {0};
    if (cli_input_costs(&a->in, &cost, &err) != PPS_OK) {
        pps_cost_clear(&cost);
        return cli_fail("sweep", &err);
    }
    pps_sweep_grid g = {.schedules = list, .nschedules = count,
                        .ranks = a->ranks.values, .nranks = a->ranks.n,
                        .microbatches = a->mbs.values, .nmicrobatches = a->mbs.n,
                        .chunks = a->chunks.values, .nchunks = a->chunks.n,
                        .tb_ratio = a->ratios, .nratios = a->nratios,
                        .w_fraction = a->fractions, .nw = a->nfractions, .cost = &cost,
                        .nsettings = a->in.nsettings, .settings = a->in.settings};
    int jobs = a->jobs;
    if (jobs <= 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        jobs = n > 0 ? (int)n : 1;
    }
    progress_ctx pc = {0};
    clock_gettime(CLOCK_MONOTONIC, &pc.t0);
    pps_sweep_row *rows = NULL;
    size_t n = 0;
    pps_status st = pps_sweep_run(&g, jobs, a->shard, a->shards,
                                  isatty(STDERR_FILENO) ? show_progress : NULL, &pc, &rows, &n,
                                  &err);
    if (pc.shown)
        fputc('\n', stderr);
    rc = st == PPS_OK ? write_csv(a->out, rows, n, NULL, 0) : cli_fail("sweep", &err);
    free(rows);
    pps_cost_clear(&cost);
    return rc;
}

int cmd_sweep(int argc, char **argv)
{
    sweep_args a = {.shards = 1};
    cli_input_init(&a.in);
    int rc = parse_args(argc, argv, &a);
    if (rc < 0)
        rc = a.merge ? run_merge(&a, argc, argv) : run_grid(&a, argc, argv);
    pps_range_clear(&a.ranks);
    pps_range_clear(&a.mbs);
    pps_range_clear(&a.chunks);
    return rc;
}
