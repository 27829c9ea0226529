/* cmd_plan.c — `ppsim plan`: from a model description to the fastest configurations that fit
 * (schedule, micro-batches, v, recomputation, PP × TP × DP), each simulated (docs/planner.md). */
#include "cli.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char plan_usage[] =
    "Usage: ppsim plan --model MODEL.json --gpus N [--memory-limit BYTES] [--top K]\n"
    "                  [search restrictions] [--write-costs COSTS.json] [-j THREADS]\n"
    "Searches schedule x micro-batch size (M = global batch / (micro-batch x DP)) x v x\n"
    "recomputation x PP/TP/DP split for the model on N GPUs, simulates every configuration\n"
    "under costs derived from the model (docs/cost-model.md), drops those whose peak memory\n"
    "(parameters, gradients, optimizer state and peak activation) exceeds the limit, balances\n"
    "the stages of the fastest, and prints the best with step time, bubble, peak memory per\n"
    "GPU, throughput and MFU, a count of the configurations dropped by reason, and one line per\n"
    "runner-up saying what it costs against the winner. TP stays inside a node unless --tp\n"
    "asks otherwise.\n\n"
    "  -M, --model FILE         model, cluster and training description (docs/planner.md)\n"
    "  -n, --gpus N             GPUs (default: pp x tp x dp of the file's layout)\n"
    "      --memory-limit B     bytes per GPU (default: the cluster's memory_bytes)\n"
    "  -k, --top K              configurations to print (default 5)\n"
    "      --write-costs FILE   write the winner's per-stage costs as a costs file, for\n"
    "                           `ppsim sim -s NAME -p PP -m M -v V --costs FILE`\n"
    "  -j, --threads N          worker threads (default: the online CPUs)\n"
    "Search restrictions (comma-separated lists; default: everything, or what the file fixes):\n"
    "  -s, --schedule LIST      schedules (see `ppsim gen --list`)\n"
    "      --pp LIST            pipeline ranks\n"
    "      --tp LIST            tensor-parallel degrees\n"
    "  -v, --chunks LIST        v for multi-chunk schedules (default 2,4)\n"
    "      --micro-batch LIST   sequences per micro-batch (default: the file's, else 1,2,4)\n"
    "      --recompute LIST     none, selective, full (default: the file's, else all)\n"
    "      --sequence-parallel on|off   override the file's setting\n"
    "      --global-batch N     sequences per step, overriding the file's\n"
    "      --balance-evals N    simulations per balanced candidate (default 32)\n"
    "      --even-split         give every stage the same number of layers (the extra ones\n"
    "                           to the middle stages) instead of balancing\n"
    "  -h, --help               show this help\n\n"
    "Exit status: 0 ok (also when nothing fits: the reasons are printed), 1 bad input,\n"
    "2 usage error.\n";

enum {
    OPT_MEMORY_LIMIT = 600, OPT_PP, OPT_TP, OPT_MICRO_BATCH, OPT_RECOMPUTE, OPT_SEQ_PAR,
    OPT_GLOBAL_BATCH, OPT_BALANCE_EVALS, OPT_EVEN_SPLIT, OPT_WRITE_COSTS
};

#define MAX_LIST 64

/* Calls item(ctx, token) for each token of the comma-separated list arg of option opt; stops
 * at the first non-zero return (an exit code, the error printed). An empty list is a usage
 * error. */
static int each_item(const char *opt, const char *arg, int (*item)(void *ctx, const char *tok),
                     void *ctx)
{
    char *copy = strdup(arg), *save = NULL;
    if (!copy) {
        cli_error("plan", "out of memory");
        return EXIT_BAD_INPUT;
    }
    int rc = 0, n = 0;
    for (char *tok = strtok_r(copy, ",", &save); tok && rc == 0;
         tok = strtok_r(NULL, ",", &save), n++)
        rc = item(ctx, tok);
    free(copy);
    if (rc == 0 && n == 0) {
        cli_error("plan", "%s: expected a comma-separated list, got '%s'", opt, arg);
        rc = EXIT_USAGE;
    }
    return rc;
}

/* A list of integers in [lo, hi] for option opt. */
typedef struct int_list {
    const char *opt;
    long lo, hi;
    int v[MAX_LIST];
    size_t n;
} int_list;

static int int_item(void *ctx, const char *tok)
{
    int_list *l = ctx;
    if (l->n == MAX_LIST) {
        cli_error("plan", "%s: more than %d values", l->opt, MAX_LIST);
        return EXIT_USAGE;
    }
    int rc = cli_parse_int("plan", l->opt, tok, l->lo, l->hi, &l->v[l->n]);
    l->n += rc == 0;
    return rc;
}

static int recompute_item(void *ctx, const char *tok)
{
    int k = 0;
    while (k < PPS_RECOMPUTE_COUNT && strcmp(tok, pps_recompute_name((pps_recompute)k)) != 0)
        k++;
    if (k == PPS_RECOMPUTE_COUNT) {
        cli_error("plan", "--recompute: expected none, selective or full, got '%s'", tok);
        return EXIT_USAGE;
    }
    *(int *)ctx |= 1 << k;
    return 0;
}

/* The schedules named by -s. */
typedef struct gen_list {
    const pps_generator *g[MAX_LIST];
    size_t n;
} gen_list;

static int schedule_item(void *ctx, const char *tok)
{
    gen_list *l = ctx;
    const pps_generator *g = pps_generator_find(tok);
    if (!g) {
        cli_error("plan", "-s: unknown schedule '%s' (see `ppsim gen --list`)", tok);
        return EXIT_BAD_INPUT;
    }
    if (l->n == MAX_LIST) {
        cli_error("plan", "-s: more than %d schedules", MAX_LIST);
        return EXIT_USAGE;
    }
    l->g[l->n++] = g;
    return 0;
}

/* The progress line, on a terminal only: "plan: 1234/5678 configurations". */
static void progress(void *ctx, size_t done, size_t total)
{
    (void)ctx;
    if (done == total || done % 64 == 0)
        fprintf(stderr, "\rplan: %zu/%zu configurations", done, total);
}

static void describe(char *buf, size_t size, const pps_plan_candidate *c)
{
    snprintf(buf, size, "%s pp=%d tp=%d dp=%d v=%d b=%d M=%d %s", c->gen->name, c->layout.pp,
             c->layout.tp, c->layout.dp, c->layout.chunks, c->layout.micro_batch, c->microbatches,
             pps_recompute_name(c->layout.recompute));
}

static void layers_text(char *buf, size_t size, const pps_partition *p)
{
    size_t len = 0;
    buf[0] = '\0';
    for (int s = 0; s < p->stages && len + 16 < size; s++)
        len += (size_t)snprintf(buf + len, size - len, "%s%d", s ? "," : "", p->layers[s]);
    if (len + 16 >= size)
        snprintf(buf + len, size - len, ",...");
}

static void print_table(const pps_model *m, const pps_plan_options *o, const pps_plan_result *r)
{
    char lim[32];
    pps_format_bytes(r->memory_limit, lim, sizeof lim);
    printf("%s: %.4g B parameters, %d layers; %d GPUs (%d per node); global batch %ld x %d "
           "tokens; memory limit %s per GPU\n",
           m->name[0] ? m->name : "model", pps_model_params(m) / 1e9, m->layers, o->gpus,
           m->gpus_per_node, o->global_batch > 0 ? o->global_batch : m->global_batch,
           m->seq_len, lim);
    printf("%zu configurations: %zu simulated, %zu fit", r->considered, r->simulated, r->fits);
    if (r->pruned)
        printf(", %zu not simulated (a lower bound on their step time exceeds the %d fastest)",
               r->pruned, 2 * o->top < 8 ? 8 : 2 * o->top);
    size_t rejected = 0;
    for (int k = 0; k < PPS_REJECT_COUNT; k++)
        rejected += r->rejected[k];
    printf("; %zu dropped", rejected);
    const char *sep = ": ";
    for (int k = 0; k < PPS_REJECT_COUNT; k++)
        if (r->rejected[k]) {
            printf("%s%zu %s", sep, r->rejected[k], pps_plan_reject_name((pps_plan_reject)k));
            sep = ", ";
        }
    printf("\n");
    if (r->nbest == 0) {
        printf("nothing fits in %s per GPU\n", lim);
        return;
    }
    printf("\n%-3s %-18s %4s %3s %4s %2s %2s %6s %-9s %10s %7s %9s %9s %9s %11s %6s\n", "#",
           "schedule", "pp", "tp", "dp", "v", "b", "M", "recompute", "step", "bubble",
           "peak mem", "act", "static", "tokens/s", "MFU");
    for (size_t i = 0; i < r->nbest; i++) {
        const pps_plan_candidate *c = &r->best[i];
        char step[32], peak[32], act[32], stat[32];
        int pr = c->eval.peak_rank;
        pps_format_time(c->eval.step_time, step, sizeof step);
        pps_format_bytes(c->eval.peak_bytes, peak, sizeof peak);
        pps_format_bytes(c->eval.rank_act[pr], act, sizeof act);
        pps_format_bytes(c->eval.rank_static[pr], stat, sizeof stat);
        printf("%-3zu %-18s %4d %3d %4d %2d %2d %6d %-9s %10s %7.4f %9s %9s %9s %11.4g %5.1f%%\n",
               i + 1, c->gen->name, c->layout.pp, c->layout.tp, c->layout.dp, c->layout.chunks,
               c->layout.micro_batch, c->microbatches, pps_recompute_name(c->layout.recompute),
               step, c->eval.bubble, peak, act, stat, c->tokens_per_s, 100 * c->mfu);
    }
    const pps_plan_candidate *w = &r->best[0];
    char lay[512], what[160];
    layers_text(lay, sizeof lay, w->partition);
    printf("\nstep = pipeline + data-parallel all-reduce; bubble = pipeline idle / (P x "
           "makespan); peak mem = act + static on the fullest GPU\n");
    printf("#1 layers per stage: %s (even split: %+.1f%% step time)\n", lay,
           100 * (w->even_step_time / w->eval.step_time - 1));
    /* Memory per rank, in one unit: activation + static. */
    pps_unit u = pps_unit_bytes(w->eval.peak_bytes);
    printf("#1 peak memory per rank, activation + static (%s):", u.name);
    for (int rk = 0; rk < w->layout.pp; rk++) {
        char a[32], b[32];
        if (rk == 16) {
            printf(" ... (%d ranks)", w->layout.pp);
            break;
        }
        pps_format_number(w->eval.rank_act[rk], u, a, sizeof a);
        pps_format_number(w->eval.rank_static[rk], u, b, sizeof b);
        printf("%s %s+%s", rk ? "," : "", a, b);
    }
    printf("\n");
    if (w->act_budget > 0)
        printf("#1 %s scheduled within %.17g bytes of activation per rank (`ppsim sim -s %s "
               "--memory-limit %.17g` with --write-costs' file runs the same)\n", w->gen->name,
               w->act_budget, w->gen->name, w->act_budget);
    for (size_t i = 1; i < r->nbest; i++) {
        const pps_plan_candidate *c = &r->best[i];
        char dm[32];
        describe(what, sizeof what, c);
        double d = c->eval.peak_bytes - w->eval.peak_bytes;
        pps_format_bytes(fabs(d), dm, sizeof dm);
        printf("#%zu %s: %+.1f%% step time, %s%s%s\n", i + 1, what,
               100 * (c->eval.step_time / w->eval.step_time - 1), d == 0 ? "same peak" : d < 0
               ? "-" : "+", d == 0 ? "" : dm, d == 0 ? "" : " peak");
    }
}

/* Writes the winner's per-stage costs, so that `ppsim sim` runs the same pipeline. */
static int write_costs(const pps_model *m, const pps_plan_candidate *c, const char *path)
{
    pps_model_costs mc;
    pps_cost cost;
    pps_outfile of = {0};
    pps_error err = {0};
    pps_status st = pps_model_derive(m, &c->layout, &mc, &err);
    if (st == PPS_OK)
        st = pps_model_stage_costs(m, &c->layout, &mc, c->partition, &cost, &err);
    else
        pps_cost_init(&cost);
    if (st == PPS_OK)
        st = pps_outfile_open(&of, path, &err);
    if (st == PPS_OK)
        st = pps_cost_write_json(&cost, of.fp, &err);
    if (st == PPS_OK)
        st = pps_outfile_commit(&of, &err);
    pps_outfile_abort(&of);
    pps_cost_clear(&cost);
    return st == PPS_OK ? 0 : cli_fail("plan", &err);
}

int cmd_plan(int argc, char **argv)
{
    static const struct option opts[] = {
        {"model", required_argument, NULL, 'M'},
        {"gpus", required_argument, NULL, 'n'},
        {"memory-limit", required_argument, NULL, OPT_MEMORY_LIMIT},
        {"top", required_argument, NULL, 'k'},
        {"threads", required_argument, NULL, 'j'},
        {"schedule", required_argument, NULL, 's'},
        {"pp", required_argument, NULL, OPT_PP},
        {"tp", required_argument, NULL, OPT_TP},
        {"chunks", required_argument, NULL, 'v'},
        {"micro-batch", required_argument, NULL, OPT_MICRO_BATCH},
        {"recompute", required_argument, NULL, OPT_RECOMPUTE},
        {"sequence-parallel", required_argument, NULL, OPT_SEQ_PAR},
        {"global-batch", required_argument, NULL, OPT_GLOBAL_BATCH},
        {"balance-evals", required_argument, NULL, OPT_BALANCE_EVALS},
        {"even-split", no_argument, NULL, OPT_EVEN_SPLIT},
        {"write-costs", required_argument, NULL, OPT_WRITE_COSTS},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *model_path = NULL, *costs_path = NULL;
    int c, rc = 0, gpus = 0;
    double limit = 0;
    int_list pp = {.opt = "--pp", .lo = 1, .hi = PPS_MAX_RANKS};
    int_list tp = {.opt = "--tp", .lo = 1, .hi = PPS_MAX_RANKS};
    int_list chunks = {.opt = "-v", .lo = 1, .hi = PPS_MAX_CHUNKS};
    int_list mb = {.opt = "--micro-batch", .lo = 1, .hi = 1 << 24};
    gen_list gens = {.n = 0};
    long onl = sysconf(_SC_NPROCESSORS_ONLN);
    pps_plan_options o = {.top = 5, .threads = onl > 0 ? (int)onl : 1,
                          .sequence_parallel = -1};
    opterr = 0;
    while (rc == 0 && (c = getopt_long(argc, argv, ":M:n:k:j:s:v:h", opts, NULL)) != -1) {
        int gb = 0;
        switch (c) {
        case 'M': model_path = optarg; break;
        case 'n': rc = cli_parse_int("plan", "--gpus", optarg, 1, PPS_MAX_RANKS, &gpus); break;
        case OPT_MEMORY_LIMIT:
            rc = cli_parse_double("plan", "--memory-limit", optarg, &limit);
            if (rc == 0 && limit <= 0) {
                cli_error("plan", "--memory-limit: %s must be positive", optarg);
                rc = EXIT_BAD_INPUT;
            }
            break;
        case 'k': rc = cli_parse_int("plan", "--top", optarg, 1, 1000, &o.top); break;
        case 'j': rc = cli_parse_int("plan", "--threads", optarg, 1, 256, &o.threads); break;
        case 's': gens.n = 0; rc = each_item("-s", optarg, schedule_item, &gens); break;
        case OPT_PP: pp.n = 0; rc = each_item("--pp", optarg, int_item, &pp); break;
        case OPT_TP: tp.n = 0; rc = each_item("--tp", optarg, int_item, &tp); break;
        case 'v': chunks.n = 0; rc = each_item("-v", optarg, int_item, &chunks); break;
        case OPT_MICRO_BATCH:
            mb.n = 0;
            rc = each_item("--micro-batch", optarg, int_item, &mb);
            break;
        case OPT_RECOMPUTE:
            o.recompute_mask = 0;
            rc = each_item("--recompute", optarg, recompute_item, &o.recompute_mask);
            break;
        case OPT_SEQ_PAR:
            if (strcmp(optarg, "on") != 0 && strcmp(optarg, "off") != 0) {
                cli_error("plan", "--sequence-parallel: expected on or off, got '%s'", optarg);
                rc = EXIT_USAGE;
            }
            o.sequence_parallel = strcmp(optarg, "on") == 0;
            break;
        case OPT_GLOBAL_BATCH:
            rc = cli_parse_int("plan", "--global-batch", optarg, 1, 1 << 30, &gb);
            o.global_batch = gb;
            break;
        case OPT_BALANCE_EVALS:
            rc = cli_parse_int("plan", "--balance-evals", optarg, 1, 1 << 20, &o.max_evals);
            break;
        case OPT_EVEN_SPLIT: o.even_split = 1; break;
        case OPT_WRITE_COSTS: costs_path = optarg; break;
        case 'h': fputs(plan_usage, stdout); return EXIT_OK;
        default: return cli_bad_option("plan", c, argv);
        }
    }
    if (rc)
        return rc;
    if ((rc = cli_no_argument_from("plan", argc, argv, optind)) != 0)
        return rc;
    if (!model_path) {
        cli_error("plan", "--model FILE is required (see --help)");
        return EXIT_USAGE;
    }
    pps_model m;
    pps_error err = {0};
    if (pps_model_read(model_path, &m, &err) != PPS_OK)
        return cli_fail("plan", &err);
    /* A layout in the file fixes the split unless the flags say otherwise. */
    if (m.pp && m.tp && m.dp) {
        int n = m.pp * m.tp * m.dp;
        if (gpus && gpus != n) {
            cli_error("plan", "--gpus %d: %s: $.training.layout gives pp x tp x dp = %d", gpus,
                      model_path, n);
            return EXIT_BAD_INPUT;
        }
        gpus = n;
        if (!pp.n)
            pp.v[pp.n++] = m.pp;
        if (!tp.n)
            tp.v[tp.n++] = m.tp;
    }
    if (!gpus) {
        cli_error("plan", "--gpus N is required (the model file gives no layout)");
        return EXIT_USAGE;
    }
    o.gpus = gpus;
    o.memory_limit = limit;
    o.gens = gens.g;
    o.ngens = gens.n;
    o.pp = pp.v;
    o.npp = pp.n;
    o.tp = tp.v;
    o.ntp = tp.n;
    o.chunks = chunks.v;
    o.nchunks = chunks.n;
    o.micro_batch = mb.v;
    o.nmicro_batch = mb.n;
    int tty = isatty(STDERR_FILENO);
    if (tty)
        o.progress = progress;
    pps_plan_result r;
    pps_status st = pps_plan(&m, &o, &r, &err);
    if (tty)
        fprintf(stderr, "\r%60s\r", "");
    if (st != PPS_OK) {
        pps_plan_result_clear(&r);
        return cli_fail("plan", &err);
    }
    if (o.global_batch > 0)
        m.global_batch = o.global_batch;
    if (costs_path && r.nbest == 0) {
        cli_error("plan", "--write-costs: no configuration fits in %.6g bytes", r.memory_limit);
        pps_plan_result_clear(&r);
        return EXIT_BAD_INPUT;
    }
    if (costs_path)
        rc = write_costs(&m, &r.best[0], costs_path);
    if (rc == 0)
        print_table(&m, &o, &r);
    pps_plan_result_clear(&r);
    return rc;
}
