/* cmd_calibrate.c — `ppsim calibrate`: turn a measured profile into a cost JSON file. */
#include "cli.h"

#include <string.h>

static const char calibrate_usage[] =
    "Usage: ppsim calibrate PROFILE.json [-o COSTS.json]\n"
    "Reads a profile written by `ppexec --profile` (format \"ppsim-profile\") and writes the cost\n"
    "model it implies (format \"ppsim-costs\", docs/cost-model.md): per-stage tf, tb, ti, tw and\n"
    "activation/send sizes, and the median latency and bandwidth of the profiled links. A\n"
    "profile marked \"receiver_copies\" (the CPU backend's) has each message's copy charged to\n"
    "the compute that consumes it, and its links keep only their latency\n"
    "(docs/validation-method.md). Use the result with `ppsim sim --costs COSTS.json` for a\n"
    "schedule with the profiled stages on the same ranks.\n\n"
    "  -o, --output FILE        write to FILE instead of stdout (atomically)\n"
    "  -h, --help               show this help\n\n"
    "Exit status: 0 ok, 1 bad input, 2 usage error.\n";

int cmd_calibrate(int argc, char **argv)
{
    static const struct option opts[] = {
        {"output", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *out = "-";
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case 'h': fputs(calibrate_usage, stdout); return EXIT_OK;
        default: return cli_bad_option("calibrate", c, argv);
        }
    }
    if (cli_operands("calibrate", argc, 1, "one PROFILE.json argument"))
        return EXIT_USAGE;
    pps_error err = {0};
    pps_profile *p = NULL;
    pps_cost cost;
    pps_cost_init(&cost);
    pps_outfile of = {0};
    pps_status st = pps_profile_read(argv[optind], &p, &err);
    if (st == PPS_OK && (st = pps_profile_to_costs(p, &cost, &err)) == PPS_EINPUT)
        pps_error_prefix(&err, "%s", argv[optind]); /* the profile whose values gave it */
    if (st == PPS_OK)
        st = pps_outfile_open(&of, out, &err);
    if (st == PPS_OK)
        st = pps_outfile_check(&of, pps_cost_write_json(&cost, of.fp, &err), &err);
    if (st == PPS_OK)
        st = pps_outfile_commit(&of, &err);
    pps_outfile_abort(&of);
    pps_cost_clear(&cost);
    pps_profile_destroy(p);
    return st == PPS_OK ? EXIT_OK : cli_fail("calibrate", &err);
}
