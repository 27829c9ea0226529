/* ppexec.c — the executor's command: one process per pipeline rank (under mpirun; a single-rank
 * schedule runs as one plain process without MPI) replays a lowered schedule with real compute
 * and transfers and writes the measured timeline. */
#include <getopt.h>
#include <math.h>
#include <mpi.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backends.h"
#include "engine.h"
#include "profile.h"
#include "workload.h"
#include "world.h"

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

static const char usage[] =
    "Usage: mpirun -np R ppexec (-s NAME -m M [-v V] | -f FILE) [--backend NAME]\n"
    "              [workload] [--check-grads] [-o MEASURED.json] [--profile PROFILE.json]\n"
    "       ppexec ...     (the same, for a schedule of one rank: one process, no MPI)\n"
    "Replays one training step of a pipeline schedule on real hardware, one process per rank,\n"
    "and writes the measured timeline in ppsim's format (ppsim analyze/diff read it).\n\n"
    "  -s, --schedule NAME      generate the schedule (R = the number of processes)\n"
    "  -f, --file FILE          read it (ppsim JSON or PyTorch CSV)\n"
    "  -p, --ranks P            optional check: must equal the number of processes\n"
    "  -m, --microbatches M     micro-batches (with -s)\n"
    "  -v, --chunks V           stages per rank (with -s)\n"
    "      --backend NAME       where the step runs, one of: %s (default cpu; cpu is\n"
    "                           OpenBLAS + MPI, cuda is cuBLAS + NCCL)\n"
    "Workload (each stage: L blocks y = relu(x W) of hidden size h over b tokens):\n"
    "      --hidden H           hidden size h (default 512)\n"
    "      --tokens B           tokens per micro-batch b (default 256)\n"
    "      --layers L           blocks per stage (default 2)\n"
    "      --bf16               cuda: GEMMs in bf16 with fp32 accumulation\n"
    "      --seed N             weights and inputs seed (default 1)\n"
    "Run:\n"
    "      --warmup N           untimed steps before the measured one (default 1)\n"
    "      --timeout SEC        fail a wait after SEC seconds (default 60): a step's, or any of\n"
    "                           profiling's (for another rank, in a collective or a link)\n"
    "      --check-grads        compare weight gradients with a one-process sequential run\n"
    "      --grad-tolerance X   largest relative error allowed (default 1e-4; with --bf16,\n"
    "                           against a reference that rounds as bf16 does, %g)\n"
    "  -o, --output FILE        measured timeline (rank 0 writes it atomically; an unwritable\n"
    "                           FILE fails before any step)\n"
    "      --profile FILE       instead of a step: time each op per stage (replaying each\n"
    "                           rank's compute without communication) and each link, and\n"
    "                           write a profile for `ppsim calibrate` (-o, --warmup and\n"
    "                           --check-grads do not apply: given with it they are refused)\n"
    "      --repeats N          profiling: time every op at least N times (default 20)\n"
    "      --verbose            each rank reports on stderr when a step (or profiling) starts\n"
    "                           and ends\n"
    "  -h, --help               show this help\n\n"
    "A schedule that `ppsim sim` finds deadlocked is refused with its message, before any step.\n"
    "Without an MPI launcher ppexec is one process and never initialises MPI (PPEXEC_MPI=1 or 0\n"
    "forces or forbids it). CUDA: PPX_CUDA_DEVICE, PPX_NCCL_LIBRARY (docs/executor-cuda.md).\n"
    "A failed, stopped or killed rank makes the others stop within the timeout; SIGTERM, SIGINT\n"
    "and SIGHUP stop a rank at its next wait (profiling: its next op) and end the job. After a\n"
    "failed step each surviving rank writes what it measured to FILE.rankN.json, marked\n"
    "incomplete. No output is left half-written, nor a temporary file (after SIGKILL, one only\n"
    "where the filesystem lacks O_TMPFILE). Exit: 0 ok, 1 failure, 2 usage error.\n";

typedef struct options {
    const char *schedule, *file, *backend, *output, *profile;
    int ranks, microbatches, chunks, warmup, check_grads, repeats, verbose;
    double timeout, grad_tol;
    ppx_workload work;
} options;

static int world_rank;
/* Rank 0's -o: opened before the first step, so that an unwritable path fails before anything
 * runs, and committed after the measured step. Its temporary is removed on every failure. */
static pps_outfile output;

/* Errors are printed by the rank that meets them, prefixed with its rank. */
static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "ppexec: rank %d: ", world_rank);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

/* Ends every rank of the job: the others may be waiting for this one in a collective. A named
 * temporary of this rank's output goes first (an unnamed one vanishes with the process). */
static void abort_job(void) __attribute__((noreturn));
static void abort_job(void)
{
    pps_outfile_remove_temps();
    ppx_world_abort(EXIT_FAIL);
}

/* SIGTERM, SIGINT, SIGHUP: waits fail at once and profiling stops at its next op (the rank then
 * ends the job); a named temporary of an output goes now, in case the job's end is a SIGKILL
 * from mpirun (unlinkat, inside, is async-signal-safe). */
static void on_signal(int sig)
{
    (void)sig;
    ppx_stop_signal = 1;
    pps_outfile_remove_temps();
}

/* A profiling wait (world.h) that must not go on: say why, clean up, end the job. */
static double wait_limit; /* --timeout, for the message */
static void on_stuck(const char *what, int signalled) __attribute__((noreturn));
static void on_stuck(const char *what, int signalled)
{
    if (signalled) /* what it was waiting for is not why it stopped */
        fail("stopped by a signal");
    else
        fail("%s did not complete within %g s (a peer failed or stopped)", what, wait_limit);
    abort_job();
}

static int parse_int(const char *opt, const char *arg, long lo, long hi, int *out)
{
    char *end;
    long v = strtol(arg, &end, 10);
    if (end == arg || *end || v < lo || v > hi) {
        if (world_rank == 0)
            fail("%s: '%s' is not an integer in [%ld, %ld]", opt, arg, lo, hi);
        return -1;
    }
    *out = (int)v;
    return 0;
}

static int parse_double(const char *opt, const char *arg, double lo, double *out)
{
    char *end;
    double v = strtod(arg, &end);
    if (end == arg || *end || !isfinite(v) || v < lo) {
        if (world_rank == 0)
            fail("%s: '%s' is not a finite number >= %g", opt, arg, lo);
        return -1;
    }
    *out = v;
    return 0;
}

/* Options that would do nothing together are usage errors, not silently ignored: a profile
 * runs no step, so it writes no timeline, checks no gradients and warms up by itself. Returns 0
 * or -1 (reported by rank 0). Unset options are negative (parse_args). */
static int check_combinations(const options *o)
{
    const char *opt = NULL; /* the option that does not apply */
    int talk = world_rank == 0;
    if (o->profile) {
        opt = o->output ? "-o" : o->check_grads ? "--check-grads"
              : o->grad_tol >= 0 ? "--grad-tolerance" : o->warmup >= 0 ? "--warmup" : NULL;
        if (opt && talk)
            fail("--profile times ops and links instead of running a step: %s does not apply",
                 opt);
    } else if (o->repeats >= 0) {
        opt = "--repeats";
        if (talk)
            fail("--repeats applies only with --profile");
    } else if (!o->check_grads && o->grad_tol >= 0) {
        opt = "--grad-tolerance";
        if (talk)
            fail("--grad-tolerance applies only with --check-grads");
    }
    return opt ? -1 : 0;
}

/* Returns 0, or the exit code. */
static int parse_args(int argc, char **argv, options *o)
{
    enum { O_BACKEND = 256, O_HIDDEN, O_TOKENS, O_LAYERS, O_BF16, O_SEED, O_WARMUP, O_TIMEOUT,
           O_CHECK, O_TOL, O_PROFILE, O_REPEATS, O_VERBOSE };
    static const struct option opts[] = {
        {"schedule", required_argument, NULL, 's'}, {"file", required_argument, NULL, 'f'},
        {"ranks", required_argument, NULL, 'p'}, {"microbatches", required_argument, NULL, 'm'},
        {"chunks", required_argument, NULL, 'v'}, {"backend", required_argument, NULL, O_BACKEND},
        {"hidden", required_argument, NULL, O_HIDDEN}, {"tokens", required_argument, NULL, O_TOKENS},
        {"layers", required_argument, NULL, O_LAYERS}, {"bf16", no_argument, NULL, O_BF16},
        {"seed", required_argument, NULL, O_SEED}, {"warmup", required_argument, NULL, O_WARMUP},
        {"timeout", required_argument, NULL, O_TIMEOUT},
        {"check-grads", no_argument, NULL, O_CHECK},
        {"grad-tolerance", required_argument, NULL, O_TOL},
        {"output", required_argument, NULL, 'o'}, {"profile", required_argument, NULL, O_PROFILE},
        {"repeats", required_argument, NULL, O_REPEATS}, {"verbose", no_argument, NULL, O_VERBOSE},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    /* -1: not given (defaults below, once the combinations are checked) */
    *o = (options){.backend = "cpu", .warmup = -1, .repeats = -1, .timeout = 60,
                   .grad_tol = -1, /* not given: by precision, below */
                   .work = {.hidden = 512, .tokens = 256, .layers = 2, .seed = 1}};
    int c, seed = 1, bad = 0;
    opterr = world_rank == 0;
    while (!bad && (c = getopt_long(argc, argv, "s:f:p:m:v:o:h", opts, NULL)) != -1) {
        switch (c) {
        case 's': o->schedule = optarg; break;
        case 'f': o->file = optarg; break;
        case 'p': bad = parse_int("-p", optarg, 1, PPS_MAX_RANKS, &o->ranks); break;
        case 'm': bad = parse_int("-m", optarg, 1, PPS_MAX_MICROBATCHES, &o->microbatches); break;
        case 'v': bad = parse_int("-v", optarg, 1, PPS_MAX_CHUNKS, &o->chunks); break;
        case O_BACKEND: o->backend = optarg; break;
        case O_HIDDEN: bad = parse_int("--hidden", optarg, 1, 65536, &o->work.hidden); break;
        case O_TOKENS: bad = parse_int("--tokens", optarg, 1, 1 << 20, &o->work.tokens); break;
        case O_LAYERS: bad = parse_int("--layers", optarg, 1, 1024, &o->work.layers); break;
        case O_BF16: o->work.bf16 = 1; break;
        case O_SEED: bad = parse_int("--seed", optarg, 0, 1L << 30, &seed); break;
        case O_WARMUP: bad = parse_int("--warmup", optarg, 0, 100, &o->warmup); break;
        case O_TIMEOUT: bad = parse_double("--timeout", optarg, 0.001, &o->timeout); break;
        case O_CHECK: o->check_grads = 1; break;
        case O_TOL: bad = parse_double("--grad-tolerance", optarg, 0, &o->grad_tol); break;
        case 'o': o->output = optarg; break;
        case O_PROFILE: o->profile = optarg; break;
        case O_REPEATS: bad = parse_int("--repeats", optarg, 1, 10000, &o->repeats); break;
        case O_VERBOSE: o->verbose = 1; break;
        case 'h':
            if (world_rank == 0) {
                char names[128];
                ppx_backend_names(names, sizeof names);
                printf(usage, names, PPX_GRAD_TOLERANCE_BF16);
            }
            return -1; /* exit 0 */
        default: return EXIT_USAGE;
        }
    }
    if (bad)
        return EXIT_USAGE;
    if (check_combinations(o) != 0)
        return EXIT_USAGE;
    o->work.seed = (uint64_t)seed;
    if (o->warmup < 0)
        o->warmup = 1;
    if (o->repeats < 0)
        o->repeats = 20;
    if (o->grad_tol < 0)
        o->grad_tol = o->work.bf16 ? PPX_GRAD_TOLERANCE_BF16 : PPX_GRAD_TOLERANCE_FP32;
    if (!!o->schedule == !!o->file || optind < argc) {
        if (world_rank == 0)
            fail("give exactly one of -s NAME and -f FILE, and no other arguments (see --help)");
        return EXIT_USAGE;
    }
    if (o->schedule && !o->microbatches) {
        if (world_rank == 0)
            fail("-s %s needs -m MICROBATCHES", o->schedule);
        return EXIT_USAGE;
    }
    /* Message sizes must stay countable in an int for MPI and the activations addressable. */
    if ((double)o->work.tokens * o->work.hidden > (double)(1 << 28)) {
        if (world_rank == 0)
            fail("--tokens x --hidden = %.0f floats per message exceeds %d",
                 (double)o->work.tokens * o->work.hidden, 1 << 28);
        return EXIT_FAIL;
    }
    return 0;
}

/* Whether the lowered schedule can run to its end: the simulator's dependency order does not
 * depend on the costs (docs/semantics.md), so any costs find a deadlock, with the message
 * `ppsim sim` gives, before a step waits out its timeout on it. */
static pps_status check_progress(const pps_schedule *low, pps_error *err)
{
    pps_cost c;
    pps_cost_init(&c);
    pps_analysis a = {0};
    pps_status st = pps_cost_resolve_for(&c, low, err);
    if (st == PPS_OK)
        st = pps_simulate_summary(low, &c, &a, err);
    pps_analysis_clear(&a);
    pps_cost_clear(&c);
    return st;
}

/* Rank 0 opens -o; collective: every rank learns whether it could (rank 0 says why not).
 * Returns 0 or -1. */
static int open_output(const char *path)
{
    pps_error err = {0};
    int ok = world_rank != 0 || pps_outfile_open(&output, path, &err) == PPS_OK;
    if (!ok)
        fail("%s", err.msg);
    return ppx_world_min_int(ok) ? 0 : -1;
}

/* Generates or reads, validates and lowers the schedule; every rank does the same. */
static pps_status load_schedule(const options *o, int world, pps_schedule **low, pps_error *err)
{
    pps_schedule *s = NULL;
    pps_status st;
    if (o->file) {
        st = pps_schedule_read(o->file, &s, err);
    } else {
        const pps_generator *g = pps_generator_find(o->schedule);
        if (!g)
            return pps_error_set(err, PPS_EINPUT, "-s: unknown schedule '%s'", o->schedule);
        pps_gen_params p = {.ranks = o->ranks ? o->ranks : world, .chunks = o->chunks,
                            .microbatches = o->microbatches};
        st = pps_generate(g, &p, &s, err);
    }
    if (st == PPS_OK && (st = pps_schedule_validate(s, err)) != PPS_OK && o->file)
        pps_error_prefix(err, "%s", o->file);
    if (st == PPS_OK && s->ranks != world)
        st = pps_error_set(err, PPS_EINPUT, "the schedule has %d ranks but %d processes were "
                           "started (mpirun -np %d)%s", s->ranks, world, s->ranks,
                           ppx_world_uses_mpi() ? "" : "; without an MPI launcher ppexec runs one "
                           "process, without MPI");
    if (st == PPS_OK && o->ranks && o->ranks != world)
        st = pps_error_set(err, PPS_EINPUT, "-p %d but %d processes were started", o->ranks,
                           world);
    if (st == PPS_OK && !s->lowered)
        st = pps_schedule_lower(s, low, err);
    else if (st == PPS_OK) {
        *low = s;
        s = NULL;
    }
    pps_schedule_destroy(s);
    return st;
}

/* Appends rank r's events whose times are known (start >= 0) to t. */
static pps_status add_rank_events(pps_timeline *t, const ppsg_graph *g, int r, const double *start,
                                  const double *end, pps_error *err)
{
    const pps_program *p = &g->s->programs[r];
    for (size_t i = 0; i < p->n; i++) {
        const pps_action *a = &p->actions[i];
        size_t k = i;
        if (g->stream_of[g->rank_base[r] + i] < 0 || start[k] < 0 || end[k] < start[k])
            continue;
        if (!pps_kind_is_compute((pps_kind)a->kind) && !pps_kind_is_comm((pps_kind)a->kind))
            continue; /* UNSHARD & co. do nothing here */
        int is_send = a->kind == PPS_SEND_F || a->kind == PPS_SEND_B;
        pps_event e = {.start = start[k], .end = end[k], .action = *a, .rank = r,
                       .peer = pps_kind_is_comm((pps_kind)a->kind) ? ppsg_peer(g->s, a) : -1,
                       .stream = !pps_kind_is_comm((pps_kind)a->kind) ? PPS_STREAM_COMPUTE
                                 : is_send ? PPS_STREAM_SEND : PPS_STREAM_RECV};
        pps_status st = pps_timeline_append(t, &e, err);
        if (st != PPS_OK)
            return st;
    }
    return PPS_OK;
}

static pps_status new_timeline(const pps_schedule *s, const options *o, const char *note,
                               pps_timeline **out, pps_error *err)
{
    pps_status st = pps_timeline_create(s->ranks, s->stages, s->microbatches, out, err);
    if (st != PPS_OK)
        return st;
    pps_timeline *t = *out;
    snprintf(t->schedule, sizeof t->schedule, "%s", s->name);
    snprintf(t->source, sizeof t->source, "measured");
    snprintf(t->backend, sizeof t->backend, "%s", o->backend);
    snprintf(t->note, sizeof t->note, "%s", note);
    t->chunks = s->chunks;
    t->act_bytes = malloc((size_t)s->stages * sizeof *t->act_bytes);
    t->act_w_bytes = malloc((size_t)s->stages * sizeof *t->act_w_bytes);
    if (!t->act_bytes || !t->act_w_bytes)
        return pps_error_set(err, PPS_ENOMEM, "out of memory");
    size_t act, act_w, msg; /* bytes, by the element size (bf16: 2) */
    ppx_stage_bytes(&o->work, &act, &act_w, &msg);
    for (int i = 0; i < s->stages; i++) {
        t->act_bytes[i] = (double)act;
        t->act_w_bytes[i] = (double)act_w;
    }
    return PPS_OK;
}

/* Writes t to the open output of and commits it; of is closed either way. */
static pps_status commit_timeline(const pps_timeline *t, pps_outfile *of, pps_error *err)
{
    pps_status st = pps_outfile_check(of, pps_timeline_write_json(t, of->fp, err), err);
    if (st == PPS_OK)
        st = pps_outfile_commit(of, err);
    pps_outfile_abort(of);
    return st;
}

static pps_status write_timeline(const pps_timeline *t, const char *path, pps_error *err)
{
    pps_outfile of;
    pps_status st = pps_outfile_open(&of, path, err);
    return st == PPS_OK ? commit_timeline(t, &of, err) : st;
}

/* After a failure: this rank's measured events so far go to OUTPUT.rankN.json, incomplete. */
static void write_partial(const options *o, const ppsg_graph *g, const double *start,
                          const double *end, const char *why)
{
    if (!o->output)
        return;
    char path[4096], note[256];
    snprintf(path, sizeof path, "%s.rank%d.json", o->output, world_rank);
    snprintf(note, sizeof note, "incomplete: only rank %d's events; %.180s", world_rank, why);
    pps_timeline *t = NULL;
    pps_error err = {0};
    if (new_timeline(g->s, o, note, &t, &err) == PPS_OK &&
        add_rank_events(t, g, world_rank, start, end, &err) == PPS_OK) {
        t->incomplete = 1;
        if (write_timeline(t, path, &err) == PPS_OK)
            fprintf(stderr, "ppexec: rank %d: wrote the events measured so far to %s\n",
                    world_rank, path);
    }
    if (err.msg[0])
        fail("could not write %s: %s", path, err.msg);
    pps_timeline_destroy(t);
}

/* Seconds this process has waited for a core so far (Linux's run_delay, the second field of
 * /proc/self/schedstat); NaN where the kernel does not say. A rank waiting in the middle of a
 * step stretches it by time no action holds, which no replay of the actions can show. */
static double runqueue_wait(void)
{
    FILE *fp = fopen("/proc/self/schedstat", "r");
    char line[128], *end = NULL;
    const char *text = fp && fgets(line, sizeof line, fp) ? line : NULL;
    if (fp)
        fclose(fp);
    if (!text)
        return NAN;
    strtoull(text, &end, 10); /* the time on a core; the wait follows */
    char *after = NULL;
    unsigned long long wait = end && end != text ? strtoull(end, &after, 10) : 0;
    return after && after != end ? 1e-9 * (double)wait : NAN;
}

/* Collective: rank 0 gets "hosts: a x2, b x2" (distinct host names with their rank counts). */
static void gather_hosts(char *out, size_t size)
{
    enum { HOST = 64 };
    char me[HOST] = {0};
    gethostname(me, HOST - 1);
    int world = ppx_world_size();
    char *all = world_rank == 0 ? calloc((size_t)world, HOST) : NULL;
    ppx_world_gather_bytes(me, HOST, all);
    if (world_rank != 0)
        return;
    size_t len = (size_t)snprintf(out, size, "hosts:");
    for (int r = 0; all && r < world && len < size; r++) {
        int seen = 0, count = 0;
        for (int q = 0; q < world; q++) {
            int same = strncmp(all + (size_t)q * HOST, all + (size_t)r * HOST, HOST) == 0;
            seen |= same && q < r;
            count += same;
        }
        if (!seen)
            len += (size_t)snprintf(out + len, size - len, "%s %s x%d", r ? "," : "",
                                    all + (size_t)r * HOST, count);
    }
    free(all);
}

/* Rank 0 compares each stage's weight gradients with the sequential reference. Collective. */
static int check_grads(const options *o, const ppx_backend *be, ppx_ctx *ctx,
                       const pps_schedule *s)
{
    size_t per_stage = (size_t)o->work.layers * o->work.hidden * o->work.hidden;
    float *got = malloc(per_stage * sizeof *got);
    float *ref = world_rank == 0 ? malloc((size_t)s->stages * per_stage * sizeof *ref) : NULL;
    int ok = got && (world_rank != 0 || ref);
    if (ok && world_rank == 0)
        ok = ppx_reference_grads(&o->work, s->stages, s->microbatches, ref) == 0;
    for (int st = 0; st < s->stages; st++) {
        int owner = s->stage_rank[st];
        pps_error err = {0};
        if (world_rank == owner && got && be->weight_grads(ctx, st, got, &err) != PPS_OK)
            fail("%s", err.msg);
        /* A stage not on rank 0 means several ranks, hence MPI (world.h). */
        if (owner != 0 && world_rank == owner)
            MPI_Send(got, (int)per_stage, MPI_FLOAT, 0, 7, MPI_COMM_WORLD);
        if (world_rank != 0)
            continue;
        if (owner != 0)
            MPI_Recv(got, (int)per_stage, MPI_FLOAT, owner, 7, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        if (!ok)
            continue;
        double max_diff = 0, max_ref = 0;
        for (size_t i = 0; i < per_stage; i++) {
            double r = ref[(size_t)st * per_stage + i], d = fabs((double)got[i] - r);
            max_diff = d > max_diff || isnan(d) ? d : max_diff;
            max_ref = fabs(r) > max_ref ? fabs(r) : max_ref;
        }
        double rel = max_ref > 0 ? max_diff / max_ref : max_diff;
        int pass = rel <= o->grad_tol; /* false for NaN */
        printf("check-grads: stage %d (rank %d): max |dW - dW_ref| / max |dW_ref| = %.3g %s\n", st,
               owner, rel, pass ? "ok" : "FAILED");
        ok = ok && pass;
    }
    free(got);
    free(ref);
    ppx_world_bcast(&ok, sizeof ok, 0);
    if (!ok && world_rank == 0)
        fail("check-grads: weight gradients differ from the sequential reference by more than %g",
             o->grad_tol);
    return ok ? EXIT_OK : EXIT_FAIL;
}

/* One step: init, run, (on success) gather to rank 0. Returns an exit code; on failure this
 * rank's partial timeline is written and the job aborted. */
static int run_step(const options *o, const ppx_backend *be, const ppx_setup *setup,
                    const ppsg_graph *g, int measured)
{
    pps_error err = {0};
    ppx_ctx *ctx = NULL;
    pps_status st = be->init(setup, &ctx, &err);
    if (st != PPS_OK) { /* init is collective: every rank fails, so all can exit cleanly */
        fail("%s", err.msg);
        return EXIT_FAIL;
    }
    if (o->verbose)
        fprintf(stderr, "ppexec: rank %d: %s step started\n", world_rank,
                measured ? "measured" : "warm-up");
    double waited = runqueue_wait();
    st = ppx_run_rank(be, ctx, g, world_rank, &err);
    waited = runqueue_wait() - waited;
    if (o->verbose && st == PPS_OK)
        fprintf(stderr, "ppexec: rank %d: %s step done\n", world_rank,
                measured ? "measured" : "warm-up");
    size_t base = g->rank_base[world_rank], n = g->rank_base[world_rank + 1] - base;
    double *times = malloc((2 * n + 1) * sizeof *times);
    if (!times) {
        fail("out of memory");
        abort_job();
    }
    for (size_t i = 0; i < n; i++)
        be->times(ctx, (int32_t)(base + i), &times[i], &times[n + i]);
    if (st != PPS_OK) {
        fail("%s", err.msg);
        if (measured)
            write_partial(o, g, times, times + n, err.msg);
        free(times);
        be->finalize(ctx);
        abort_job();
    }
    int rc = EXIT_OK;
    if (measured) {
        /* Rank 0 gathers every rank's (start..., end...) arrays. */
        int R = g->s->ranks, *counts = NULL, *displs = NULL;
        double *all = NULL;
        if (world_rank == 0) {
            counts = malloc((size_t)R * sizeof *counts);
            displs = malloc((size_t)R * sizeof *displs);
            all = malloc((2 * g->n + 1) * sizeof *all);
            if (!counts || !displs || !all) { /* the others wait in the gather: abort them */
                fail("out of memory gathering %zu actions' times", g->n);
                abort_job();
            }
            for (int r = 0; r < R; r++) {
                counts[r] = (int)(2 * (g->rank_base[r + 1] - g->rank_base[r]));
                displs[r] = (int)(2 * g->rank_base[r]);
            }
        }
        ppx_world_gather_doubles(times, (int)(2 * n), all, counts, displs);
        char hosts[128] = "";
        gather_hosts(hosts, sizeof hosts);
        double waited_all = 0;
        ppx_world_sum_doubles(&waited, &waited_all, 1);
        if (world_rank == 0) {
            char note[320], desc[160];
            be->describe(ctx, desc, sizeof desc);
            /* The ranks' wait for a core during the step first, where a cut never reaches. */
            snprintf(note, sizeof note, "%d ranks, run-queue wait %.3f ms; %.60s; %.60s; "
                     "clock: monotonic, one start after a barrier per host; h=%d b=%d L=%d", R,
                     1e3 * waited_all, hosts, desc, o->work.hidden, o->work.tokens,
                     o->work.layers);
            pps_timeline *t = NULL;
            st = new_timeline(g->s, o, note, &t, &err);
            for (int r = 0; r < R && st == PPS_OK; r++) {
                size_t nr = g->rank_base[r + 1] - g->rank_base[r];
                const double *tr = all + 2 * g->rank_base[r];
                st = add_rank_events(t, g, r, tr, tr + nr, &err);
            }
            pps_analysis a = {0};
            if (st == PPS_OK && ppx_stop_signal) /* a single rank's step has no wait to fail */
                st = pps_error_set(&err, PPS_EIO, "stopped by a signal");
            if (st == PPS_OK && o->output)
                st = commit_timeline(t, &output, &err);
            if (st == PPS_OK && pps_analyze(t, &a, &err) == PPS_OK)
                printf("ppexec: %s on %d ranks (%s): measured makespan %.6g s, bubble "
                       "idle/total %.4f, idle/compute %.4f, stage-span %.4f%s%s\n",
                       t->schedule, R, o->backend, a.makespan, a.idle_over_total,
                       a.idle_over_compute, a.stage_span_rate, o->output ? "; wrote " : "",
                       o->output ? o->output : "");
            if (st != PPS_OK) {
                fail("%s", err.msg);
                rc = EXIT_FAIL;
            }
            pps_analysis_clear(&a);
            pps_timeline_destroy(t);
        }
        free(counts);
        free(displs);
        free(all);
        ppx_world_bcast(&rc, sizeof rc, 0);
        if (rc == EXIT_OK && o->check_grads)
            rc = check_grads(o, be, ctx, g->s);
    }
    free(times);
    be->finalize(ctx);
    return rc;
}

int main(int argc, char **argv)
{
    /* Arguments first: the backend may set process-wide environment (CUDA's) that must be in
     * place before MPI_Init, which a CUDA-aware MPI may use to create a CUDA context. */
    world_rank = ppx_world_plan();
    options o;
    int rc = parse_args(argc, argv, &o);
    if (rc != 0)
        return rc < 0 ? EXIT_OK : rc; /* every rank parsed the same arguments */
    const ppx_backend *be = ppx_backend_find(o.backend);
    if (be && be->prepare)
        be->prepare();
    char why[256];
    if (ppx_world_init(&argc, &argv, why, sizeof why) != 0) {
        fail("MPI_Init failed: %s", why);
        return EXIT_FAIL;
    }
    world_rank = ppx_world_rank();
    int world = ppx_world_size();
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    signal(SIGHUP, on_signal);

    pps_error err = {0};
    pps_schedule *low = NULL;
    ppsg_graph *g = NULL;
    pps_status st = PPS_OK;
    if (!be) {
        char names[128];
        ppx_backend_names(names, sizeof names);
        st = pps_error_set(&err, PPS_EINPUT, "--backend: unknown backend '%s'; this ppexec has: "
                           "%s%s", o.backend, names, strcmp(o.backend, "cuda") == 0
                               ? " (the CUDA backend is built only where meson finds nvcc, "
                                 "cuBLAS and NCCL)" : "");
    }
    if (st == PPS_OK && o.work.bf16 && !be->bf16)
        st = pps_error_set(&err, PPS_EINPUT, "--bf16: the %s backend computes in fp32 only",
                           be->name);
    if (st == PPS_OK)
        st = load_schedule(&o, world, &low, &err);
    if (st == PPS_OK)
        st = ppsg_build(low, 0, &g, &err);
    if (st == PPS_OK)
        st = check_progress(low, &err);
    if (st != PPS_OK) { /* every rank meets the same error: rank 0 reports it */
        if (world_rank == 0)
            fprintf(stderr, "ppexec: %s\n", err.msg);
        pps_schedule_destroy(low);
        ppx_world_finalize();
        return EXIT_FAIL;
    }
    ppx_setup setup = {.rank = world_rank, .ranks = world, .sched = low, .work = o.work,
                       .nactions = g->n, .timeout = o.timeout};
    if (o.profile) {
        /* Profiling waits on other ranks in collectives and link timings: each wait gets the
         * step's --timeout, and a signal ends it (a step's own waits are the backend's). */
        wait_limit = o.timeout;
        ppx_world_set_deadline(o.timeout, &ppx_stop_signal, on_stuck);
        if (o.verbose)
            fprintf(stderr, "ppexec: rank %d: profiling started\n", world_rank);
        st = ppx_profile(be, &setup, o.repeats, o.profile, &err);
        ppx_world_set_deadline(0, NULL, NULL);
        if (o.verbose && st == PPS_OK)
            fprintf(stderr, "ppexec: rank %d: profiling done\n", world_rank);
        if (st != PPS_OK) {
            if (err.msg[0]) /* empty: another rank failed and says why */
                fail("%s", err.msg);
        } else if (world_rank == 0) {
            printf("ppexec: wrote profile %s\n", o.profile);
        }
        rc = st == PPS_OK ? EXIT_OK : EXIT_FAIL;
    } else if (o.output && open_output(o.output) != 0) {
        rc = EXIT_FAIL;
    } else {
        for (int w = 0; w < o.warmup && rc == EXIT_OK; w++)
            rc = run_step(&o, be, &setup, g, 0);
        if (rc == EXIT_OK)
            rc = run_step(&o, be, &setup, g, 1);
    }
    pps_outfile_abort(&output); /* after a failure: its temporary goes */
    ppsg_destroy(g);
    pps_schedule_destroy(low);
    ppx_world_finalize();
    return rc;
}
