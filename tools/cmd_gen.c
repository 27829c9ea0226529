/* cmd_gen.c — `ppsim gen`: write a generated schedule as ppsim JSON or PyTorch CSV. */
#include "cli.h"

#include <string.h>

static const char gen_usage[] =
    "Usage: ppsim gen -s NAME -p P -m M [-v V] [schedule options] [cost options]\n"
    "                 [--format json|csv] [--lower [--no-waits]] [-o FILE]\n"
    "       ppsim gen --list\n"
    "Generates a schedule's per-rank programs. --lower writes PyTorch's compute_comms form:\n"
    "SEND/RECV inserted, idle slots dropped, and the WAIT_SEND_F/WAIT_SEND_B that PyTorch\n"
    "2.15's loader requires; the default is compute-only. Cost options matter only to cost-aware schedules (zb-auto, zb-v-auto),\n"
    "which order the actions for those costs.\n\n"
    "  -s, --schedule NAME      schedule name or PyTorch class name (case-insensitive)\n"
    "  -p, --ranks P            pipeline ranks\n"
    "  -m, --microbatches M     micro-batches\n"
    "  -v, --chunks V           stages per rank (default per schedule)\n"
    "      --format FMT         json (default) or csv\n"
    "      --lower              include SEND/RECV actions and their waits\n"
    "      --no-waits           with --lower: no WAIT_SEND_F/B, the compute_comms form of\n"
    "                           PyTorch 2.14 and earlier, which refuse waits\n"
    "  -o, --output FILE        write to FILE instead of stdout (atomically)\n"
    "      --list               list schedules, their aliases and placements\n"
    "  -h, --help               show this help\n\n%s\n%s";

static void list_schedules(void)
{
    printf("%-18s %-9s %-3s %s\n", "schedule", "placement", "v", "summary (aliases)");
    for (size_t i = 0; i < pps_generator_count(); i++) {
        const pps_generator *g = pps_generator_at(i);
        printf("%-18s %-9s %-3d %s (%s)\n", g->name, pps_placement_name(g->placement),
               g->default_chunks, g->summary, g->aliases ? g->aliases : "");
    }
}

int cmd_gen(int argc, char **argv)
{
    static const struct option extra[] = {
        {"format", required_argument, NULL, OPT_FORMAT},
        {"lower", no_argument, NULL, OPT_LOWER},
        {"no-waits", no_argument, NULL, OPT_NO_WAITS},
        {"output", required_argument, NULL, 'o'},
        {"list", no_argument, NULL, 'l'},
        {"help", no_argument, NULL, 'h'},
    };
    struct option opts[CLI_MAX_OPTIONS];
    cli_options_merge(opts, 0, extra, sizeof extra / sizeof *extra);
    cli_input in;
    cli_input_init(&in);
    int csv = 0, lower = 0, waits = 1, c, rc;
    const char *out = "-";
    while ((c = cli_next_option(&in, "gen", argc, argv, ":s:p:m:v:o:h", opts, &rc)) != -1) {
        switch (c) {
        case OPT_FORMAT:
            if (strcmp(optarg, "json") != 0 && strcmp(optarg, "csv") != 0) {
                cli_error("gen", "--format: expected json or csv, got '%s'", optarg);
                return EXIT_USAGE;
            }
            csv = strcmp(optarg, "csv") == 0;
            break;
        case OPT_LOWER: lower = 1; break;
        case OPT_NO_WAITS: waits = 0; break;
        case 'o': out = optarg; break;
        case 'l': list_schedules(); return EXIT_OK;
        case 'h':
            printf(gen_usage, cli_cost_usage, cli_schedule_option_usage());
            return EXIT_OK;
        default: return cli_bad_option("gen", c, argv);
        }
    }
    if (rc || (rc = cli_no_argument_from("gen", argc, argv, optind)) != 0)
        return rc;
    if (!in.schedule || !in.ranks || !in.microbatches) {
        cli_error("gen", "needs -s NAME, -p RANKS and -m MICROBATCHES (see --help)");
        return EXIT_USAGE;
    }
    if (!waits && !lower) {
        cli_error("gen", "--no-waits needs --lower: only a lowered schedule has waits");
        return EXIT_USAGE;
    }
    const pps_generator *g = pps_generator_find(in.schedule);
    if (!g) {
        cli_error("gen", "-s: unknown schedule '%s' (see `ppsim gen --list`)", in.schedule);
        return EXIT_BAD_INPUT;
    }
    pps_gen_params p;
    cli_gen_params(&in, g, 0, &p);
    pps_error err = {0};
    pps_schedule *s = NULL, *low = NULL, *torch = NULL;
    pps_outfile of = {0};
    pps_cost cost;
    pps_status st = cli_gen_costs(&in, g, &p, &cost, &err);
    if (st == PPS_OK)
        st = pps_generate(g, &p, &s, &err);
    if (st == PPS_OK)
        st = pps_schedule_validate(s, &err);
    if (st == PPS_OK && lower)
        st = pps_schedule_lower(s, &low, &err);
    if (st == PPS_OK && lower) { /* PyTorch's compute_comms form, as its loader reads it */
        st = pps_schedule_for_pytorch(low, waits, &torch, &err);
        pps_schedule_destroy(low);
        low = torch;
    }
    if (st == PPS_OK)
        st = pps_outfile_open(&of, out, &err);
    if (st == PPS_OK)
        st = pps_outfile_check(&of, csv ? pps_schedule_write_csv(low ? low : s, of.fp, &err)
                                        : pps_schedule_write_json(low ? low : s, of.fp, &err),
                               &err);
    if (st == PPS_OK)
        st = pps_outfile_commit(&of, &err);
    pps_outfile_abort(&of);
    pps_schedule_destroy(s);
    pps_schedule_destroy(low);
    pps_cost_clear(&cost);
    return st == PPS_OK ? EXIT_OK : cli_fail("gen", &err);
}
