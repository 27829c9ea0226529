/* profile.c — `ppexec --profile` (profile.h): medians of F, I, W, B per stage on this rank's
 * CPU, and latency and bandwidth per communicating pair from MPI ping-pongs. */
#include "profile.h"

#include <mpi.h>
#include <stdlib.h>
#include <string.h>

#include "workload.h"

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* Medians of F, I, W, B (seconds) for one stage, on real data. */
static int time_stage(const ppx_workload *wl, int stage, int repeats, double out[4])
{
    size_t n = ppx_msg_floats(wl), hh = (size_t)wl->hidden * wl->hidden;
    float *w = malloc((size_t)wl->layers * hh * sizeof *w);
    float *dw = calloc((size_t)wl->layers * hh, sizeof *dw);
    ppx_acts a = {malloc((size_t)(wl->layers + 1) * n * sizeof(float)),
                  malloc((size_t)wl->layers * n * sizeof(float))};
    float *dy = malloc(n * sizeof *dy), *dx = malloc(n * sizeof *dx);
    double *t = malloc((size_t)repeats * 4 * sizeof *t);
    int rc = -1;
    if (!w || !dw || !a.y || !a.g || !dy || !dx || !t)
        goto done;
    for (int l = 0; l < wl->layers; l++)
        ppx_init_weights(wl, stage, l, w + (size_t)l * hh);
    ppx_init_input(wl, 0, a.y);
    /* Two untimed rounds warm caches and OpenBLAS's buffers. */
    for (int k = -2; k < repeats; k++) {
        double t0 = MPI_Wtime();
        ppx_forward(wl, w, &a, NULL, NULL);
        double t1 = MPI_Wtime();
        ppx_loss_grad(wl, &a, dy);
        double t2 = MPI_Wtime();
        ppx_backward_input(wl, w, &a, dy, dx, NULL, NULL);
        double t3 = MPI_Wtime();
        ppx_backward_weight(wl, &a, dw, NULL, NULL);
        double t4 = MPI_Wtime();
        if (k >= 0) {
            t[k] = t1 - t0;
            t[repeats + k] = t3 - t2;
            t[2 * repeats + k] = t4 - t3;
            t[3 * repeats + k] = (t3 - t2) + (t4 - t3); /* B = I then W */
        }
    }
    for (int j = 0; j < 4; j++)
        out[j] = median(t + (size_t)j * repeats, repeats);
    rc = 0;
done:
    free(w);
    free(dw);
    free(a.y);
    free(a.g);
    free(dy);
    free(dx);
    free(t);
    return rc;
}

/* Half the median round trip of `count` floats between ranks a and b (seconds); on ranks other
 * than a and b returns 0 without communicating. */
static double ping_pong(int a, int b, int count, int repeats, float *buf)
{
    int me;
    MPI_Comm_rank(MPI_COMM_WORLD, &me);
    if (me != a && me != b)
        return 0;
    double *t = malloc((size_t)repeats * sizeof *t);
    if (!t)
        return -1;
    for (int k = -3; k < repeats; k++) {
        double t0 = MPI_Wtime();
        if (me == a) {
            MPI_Send(buf, count, MPI_FLOAT, b, 1, MPI_COMM_WORLD);
            MPI_Recv(buf, count, MPI_FLOAT, b, 1, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        } else {
            MPI_Recv(buf, count, MPI_FLOAT, a, 1, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            MPI_Send(buf, count, MPI_FLOAT, a, 1, MPI_COMM_WORLD);
        }
        if (k >= 0)
            t[k] = (MPI_Wtime() - t0) / 2;
    }
    double m = median(t, repeats);
    free(t);
    return m;
}

pps_status ppx_profile(const ppx_setup *setup, const char *backend, int repeats,
                       const char *path, pps_error *err)
{
    const pps_schedule *s = setup->sched;
    const ppx_workload *wl = &setup->work;
    const int S = s->stages, R = s->ranks;
    const size_t n = ppx_msg_floats(wl);
    double *mine = calloc((size_t)S * 4, sizeof *mine), *all = calloc((size_t)S * 4, sizeof *all);
    char *pairs = calloc((size_t)R * R, 1);
    float *buf = calloc(n, sizeof *buf);
    pps_status st = PPS_OK;
    if (!mine || !all || !pairs || !buf) {
        st = pps_error_set(err, PPS_ENOMEM, "profile: out of memory");
        goto done;
    }
    for (int st_i = 0; st_i < S; st_i++)
        if (s->stage_rank[st_i] == setup->rank && time_stage(wl, st_i, repeats, mine + 4 * st_i)) {
            st = pps_error_set(err, PPS_ENOMEM, "profile: out of memory timing stage %d", st_i);
            goto done;
        }
    /* Each stage is on exactly one rank: a sum gathers them. */
    MPI_Reduce(mine, all, S * 4, MPI_DOUBLE, MPI_SUM, 0, MPI_COMM_WORLD);

    /* The pairs of ranks that exchange data in this schedule (stage s and s+1 on different
     * ranks), measured one at a time so they do not disturb each other. */
    for (int i = 0; i + 1 < S; i++) {
        int a = s->stage_rank[i], b = s->stage_rank[i + 1];
        if (a != b)
            pairs[a * R + b] = 1;
    }
    if (setup->rank == 0) {
        pps_outfile of;
        if ((st = pps_outfile_open(&of, path, err)) != PPS_OK)
            goto links; /* still take part in the ping-pongs below */
        FILE *fp = of.fp;
        fprintf(fp, "{\"format\": \"ppsim-profile\", \"version\": 1, \"backend\": \"%s\", "
                    "\"ranks\": %d, \"stages\": %d,\n \"workload\": {\"hidden\": %d, "
                    "\"tokens\": %d, \"layers\": %d, \"bf16\": %s},\n \"note\": \"medians of %d "
                    "runs; ping-pong half round trips\",\n \"stage_costs\": [",
                backend, R, S, wl->hidden, wl->tokens, wl->layers, wl->bf16 ? "true" : "false",
                repeats);
        for (int i = 0; i < S; i++) {
            const double *c = all + 4 * i;
            fprintf(fp, "%s\n  {\"stage\": %d, \"rank\": %d, \"tf\": %.9g, \"tb\": %.9g, "
                        "\"ti\": %.9g, \"tw\": %.9g, \"act_bytes\": %zu, \"act_w_bytes\": %zu, "
                        "\"send_bytes\": %zu, \"repeats\": %d}",
                    i ? "," : "", i, (int)s->stage_rank[i], c[0], c[3], c[1], c[2],
                    (size_t)(wl->layers + 1) * n * sizeof(float),
                    (size_t)wl->layers * n * sizeof(float), n * sizeof(float), repeats);
        }
        fprintf(fp, "],\n \"links\": [");
        int first = 1;
        for (int a = 0; a < R; a++)
            for (int b = 0; b < R; b++) {
                if (!pairs[a * R + b])
                    continue;
                double lat = ping_pong(a, b, 1, 50, buf);
                double big = ping_pong(a, b, (int)n, 20, buf);
                double bw = big > lat ? (double)(n * sizeof(float)) / (big - lat) : 0;
                fprintf(fp, "%s\n  {\"src\": %d, \"dst\": %d, \"bytes\": %zu, \"latency\": %.9g, "
                            "\"bandwidth\": %.9g, \"repeats\": 20}",
                        first ? "" : ",", a, b, n * sizeof(float), lat, bw);
                first = 0;
                MPI_Barrier(MPI_COMM_WORLD);
            }
        fprintf(fp, "]}\n");
        st = pps_outfile_commit(&of, err);
        pps_outfile_abort(&of);
        goto done;
    }
links:
    for (int a = 0; a < R; a++)
        for (int b = 0; b < R; b++) {
            if (!pairs[a * R + b])
                continue;
            ping_pong(a, b, 1, 50, buf);
            ping_pong(a, b, (int)n, 20, buf);
            MPI_Barrier(MPI_COMM_WORLD);
        }
done:
    free(mine);
    free(all);
    free(pairs);
    free(buf);
    return st;
}
