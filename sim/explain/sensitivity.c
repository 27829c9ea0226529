/* sensitivity.c — what-if sensitivities: how the makespan moves with each stage's compute and
 * transfer times, from the critical path and confirmed by re-simulation, and how the peak
 * activation memory moves with each stage's activation bytes (docs/explain.md). */
#include "ppsim.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The relative step of the one-sided derivatives: small enough that no path other than the
 * critical ones becomes critical on the usual scales (the makespan is piecewise linear in each
 * cost), large enough that rounding (1e-16 of the makespan) stays below 1e-9 of the result. */
#define STEP_TINY 1e-6
/* The step the "−10% → step −x%" reads. */
#define STEP_CONFIRM 0.1

void pps_sensitivities_clear(pps_sensitivities *s)
{
    if (!s)
        return;
    free(s->item);
    free(s->memory);
    memset(s, 0, sizeof *s);
}

/* The kinds a stage's costs are listed for. */
static const pps_kind kinds[] = {PPS_F, PPS_B, PPS_I, PPS_W, PPS_SEND_F, PPS_SEND_B};
#define NKINDS (sizeof kinds / sizeof *kinds)

static int kind_slot(pps_kind k)
{
    for (size_t i = 0; i < NKINDS; i++)
        if (kinds[i] == k)
            return (int)i;
    return -1;
}

/* Multiplies the price of kind k on stage s by f, saving what it changes in *save (room for
 * 1 + microbatches doubles) so that restore() puts it back bit for bit. */
static void scale(pps_prices *p, pps_kind k, int s, double f, double *save)
{
    double *bs = &p->by_stage[(size_t)s * PPS_KIND_COUNT + (size_t)k];
    save[0] = *bs;
    *bs *= f;
    double *cell = p->by_cell[k];
    if (cell) {
        double *row = cell + (size_t)s * (size_t)p->microbatches;
        memcpy(save + 1, row, (size_t)p->microbatches * sizeof *row);
        for (int m = 0; m < p->microbatches; m++)
            row[m] *= f;
    }
}

static void restore(pps_prices *p, pps_kind k, int s, const double *save)
{
    p->by_stage[(size_t)s * PPS_KIND_COUNT + (size_t)k] = save[0];
    double *cell = p->by_cell[k];
    if (cell)
        memcpy(cell + (size_t)s * (size_t)p->microbatches, save + 1,
               (size_t)p->microbatches * sizeof *save);
}

/* The makespan of s under p with kind k of stage st scaled by f (p is restored). */
static pps_status makespan_scaled(pps_batch *b, const pps_schedule *s, pps_prices *p, pps_kind k,
                                  int st, double f, double *save, double *out, pps_error *err)
{
    const pps_analysis *a = NULL;
    scale(p, k, st, f, save);
    pps_status rc = pps_batch_simulate(b, s, p, &a, err);
    restore(p, k, st, save);
    if (rc == PPS_OK)
        *out = a->makespan;
    return rc;
}

/* The cost a sensitivity is listed against: the stage's price, or the mean of its cells. */
static double stage_cost(const pps_prices *p, pps_kind k, int s)
{
    const double *cell = p->by_cell[k];
    if (!cell)
        return p->by_stage[(size_t)s * PPS_KIND_COUNT + (size_t)k];
    double sum = 0;
    for (int m = 0; m < p->microbatches; m++)
        sum += cell[(size_t)s * (size_t)p->microbatches + (size_t)m];
    return sum / p->microbatches;
}

/* Greatest path share first; among equals, the lower stage, then the kinds' order. */
static int by_path(const void *a, const void *b)
{
    const pps_sensitivity *x = a, *y = b;
    if (x->on_path != y->on_path)
        return x->on_path < y->on_path ? 1 : -1;
    if (x->stage != y->stage)
        return x->stage < y->stage ? -1 : 1;
    return kind_slot(x->kind) - kind_slot(y->kind);
}

/* Re-simulated first, by the −10% gain (largest first), then the path's order. */
static int by_effect(const void *a, const void *b)
{
    const pps_sensitivity *x = a, *y = b;
    int rx = !isnan(x->sim_minus), ry = !isnan(y->sim_minus);
    if (rx != ry)
        return ry - rx;
    if (rx && x->sim_minus != y->sim_minus)
        return x->sim_minus < y->sim_minus ? -1 : 1;
    return by_path(a, b);
}

/* Peak memory against each activation size of the stages of the rank with the highest peak:
 * the timeline's events fix when activations are held, so the peak is a maximum of sums linear
 * in the sizes, and its derivative is read from the series with one size stepped up. */
static pps_status memory_sensitivities(const pps_timeline *t, pps_sensitivities *out,
                                       pps_error *err)
{
    pps_analysis a = {0};
    pps_status st = pps_analyze(t, &a, err);
    if (st != PPS_OK)
        return st;
    int rank = 0;
    for (int r = 1; r < a.ranks; r++)
        if (a.per_rank[r].peak_activation > a.per_rank[rank].peak_activation)
            rank = r;
    out->peak_rank = rank;
    out->peak = a.ranks ? a.per_rank[rank].peak_activation : 0;
    pps_analysis_clear(&a);
    /* The stages whose actions run on that rank. */
    uint8_t *held = calloc((size_t)t->stages, 1);
    double *act = malloc((size_t)t->stages * sizeof *act);
    out->memory = calloc((size_t)t->stages, sizeof *out->memory);
    if (!held || !act || !out->memory) {
        free(held);
        free(act);
        return pps_error_set(err, PPS_ENOMEM, "sensitivities: out of memory");
    }
    for (size_t i = 0; i < t->n; i++) {
        const pps_event *e = &t->events[i];
        if (e->rank == rank && e->action.kind == PPS_F && e->action.stage >= 0 &&
            e->action.stage < t->stages)
            held[e->action.stage] = 1;
    }
    for (int s = 0; s < t->stages; s++)
        act[s] = t->act_bytes ? t->act_bytes[s] : 1;
    pps_timeline view = *t; /* the same events, read-only, with stepped sizes */
    view.act_bytes = act;
    for (int s = 0; s < t->stages && st == PPS_OK; s++) {
        if (!held[s] || act[s] <= 0)
            continue;
        double keep = act[s], step = keep * STEP_TINY;
        act[s] = keep + step;
        pps_memory_point *pts = NULL;
        size_t n = 0;
        st = pps_memory_series(&view, rank, &pts, &n, err);
        act[s] = keep;
        if (st != PPS_OK)
            break;
        double peak = 0;
        for (size_t k = 0; k < n; k++)
            peak = fmax(peak, pts[k].bytes);
        free(pts);
        /* (peak' − peak) / step is the number of stage s's activations held at the peak. */
        out->memory[out->nmemory++] = (pps_memory_sensitivity){
            .stage = s, .act_bytes = keep, .held = round((peak - out->peak) / step)};
    }
    free(held);
    free(act);
    return st;
}

pps_status pps_sensitivities_compute(const pps_schedule *s, pps_prices *p,
                                     const pps_critical_path *path, const pps_timeline *t,
                                     size_t top, pps_sensitivities *out, pps_error *err)
{
    memset(out, 0, sizeof *out);
    if (p->stages != s->stages || t->stages != s->stages)
        return pps_error_set(err, PPS_EINPUT, "sensitivities: the prices hold %d stages, the "
                             "schedule %d", p->stages, s->stages);
    size_t n = (size_t)s->stages * NKINDS;
    out->item = calloc(n, sizeof *out->item);
    double *save = malloc(((size_t)p->microbatches + 1) * sizeof *save);
    if (!out->item || !save) {
        free(save);
        return pps_error_set(err, PPS_ENOMEM, "sensitivities: out of memory");
    }
    out->makespan = path->makespan;
    for (int st = 0; st < s->stages; st++)
        for (size_t k = 0; k < NKINDS; k++)
            out->item[(size_t)st * NKINDS + k] = (pps_sensitivity){
                .kind = kinds[k], .stage = st, .cost = stage_cost(p, kinds[k], st),
                .d_down = NAN, .d_up = NAN, .sim_minus = NAN, .sim_plus = NAN};
    /* The path's share of each cost: compute segments of its kind and stage, transfers of the
     * SEND's kind and stage. An overlapped pair is priced by a formula of both halves, not
     * attributed here (its re-simulation still is). */
    for (size_t i = 0; i < path->n; i++) {
        const pps_path_segment *g = &path->seg[i];
        int slot = kind_slot((pps_kind)g->action.kind);
        if (slot < 0 || g->action.stage < 0 || g->action.stage >= s->stages)
            continue;
        pps_sensitivity *x = &out->item[(size_t)g->action.stage * NKINDS + (size_t)slot];
        x->on_path += g->end - g->start;
        x->count++;
    }
    /* Only the costs that are there: those of the actions the run holds (a schedule without
     * split backwards has no t_I), and not zero (nothing to change). */
    uint8_t *used = calloc(n, 1);
    if (!used) {
        free(save);
        return pps_error_set(err, PPS_ENOMEM, "sensitivities: out of memory");
    }
    for (size_t i = 0; i < t->n; i++) {
        const pps_action *a = &t->events[i].action;
        int k1 = kind_slot(a->kind == PPS_OVERLAP_F_B ? PPS_F : (pps_kind)a->kind);
        int k2 = a->kind == PPS_OVERLAP_F_B ? kind_slot((pps_kind)a->kind2) : -1;
        if (k1 >= 0 && a->stage >= 0 && a->stage < s->stages)
            used[(size_t)a->stage * NKINDS + (size_t)k1] = 1;
        if (k2 >= 0 && a->stage2 >= 0 && a->stage2 < s->stages)
            used[(size_t)a->stage2 * NKINDS + (size_t)k2] = 1;
    }
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (out->item[i].cost > 0 && used[i])
            out->item[m++] = out->item[i];
    free(used);
    out->n = m;
    qsort(out->item, m, sizeof *out->item, by_path);
    size_t limit = top == 0 || top > m ? m : top;
    pps_batch *b = NULL;
    pps_status rc = pps_batch_create(&b, err);
    const pps_analysis *a0 = NULL;
    if (rc == PPS_OK)
        rc = pps_batch_simulate(b, s, p, &a0, err);
    double m0 = rc == PPS_OK ? a0->makespan : NAN;
    for (size_t i = 0; i < limit && rc == PPS_OK; i++) {
        pps_sensitivity *x = &out->item[i];
        double lo, hi, down, up;
        rc = makespan_scaled(b, s, p, x->kind, x->stage, 1 - STEP_TINY, save, &lo, err);
        if (rc == PPS_OK)
            rc = makespan_scaled(b, s, p, x->kind, x->stage, 1 + STEP_TINY, save, &hi, err);
        if (rc == PPS_OK)
            rc = makespan_scaled(b, s, p, x->kind, x->stage, 1 - STEP_CONFIRM, save, &down, err);
        if (rc == PPS_OK)
            rc = makespan_scaled(b, s, p, x->kind, x->stage, 1 + STEP_CONFIRM, save, &up, err);
        if (rc != PPS_OK)
            break;
        /* Seconds of makespan per unit relative change: the path's seconds of this cost when
         * one path is critical; the least (down) and greatest (up) over the critical paths
         * when several tie. */
        x->d_down = (m0 - lo) / STEP_TINY;
        x->d_up = (hi - m0) / STEP_TINY;
        x->sim_minus = down - m0;
        x->sim_plus = up - m0;
    }
    pps_batch_destroy(b);
    free(save);
    if (rc != PPS_OK)
        return rc;
    qsort(out->item, m, sizeof *out->item, by_effect);
    return memory_sensitivities(t, out, err);
}

/* ------------------------------------------------------------------ text */

/* "t_F", "t_B", ..., "send_F" (the transfer of the stage's output), "send_B". */
static const char *cost_name(pps_kind k)
{
    switch (k) {
    case PPS_F: return "t_F";
    case PPS_B: return "t_B";
    case PPS_I: return "t_I";
    case PPS_W: return "t_W";
    case PPS_SEND_F: return "transfer to the next stage";
    case PPS_SEND_B: return "gradient transfer to the stage before";
    default: return "?";
    }
}

pps_status pps_sensitivities_write_text(const pps_sensitivities *s, FILE *fp, pps_error *err)
{
    double m = s->makespan;
    fputs("sensitivities (makespan change when one cost changes; path: what the critical path "
          "predicts)\n", fp);
    size_t shown = 0;
    for (size_t i = 0; i < s->n; i++) {
        const pps_sensitivity *x = &s->item[i];
        if (isnan(x->sim_minus))
            break;
        char c[32];
        pps_format_time(x->cost, c, sizeof c);
        fprintf(fp, "  stage %d %s (%s): -10%% -> step %+.2f%%, +10%% -> %+.2f%% "
                    "(path: %+.2f%%; d/dln = %.4g s down, %.4g s up)\n",
                x->stage, cost_name(x->kind), c, m > 0 ? 100 * x->sim_minus / m : 0,
                m > 0 ? 100 * x->sim_plus / m : 0, m > 0 ? -10 * x->on_path / m : 0, x->d_down,
                x->d_up);
        shown++;
    }
    size_t rest = 0;
    for (size_t i = shown; i < s->n; i++)
        rest += s->item[i].on_path > 0;
    if (rest)
        fprintf(fp, "  (%zu more costs on the path not re-simulated; --top 0 runs them all)\n",
                rest);
    char pk[32];
    pps_format_bytes(s->peak, pk, sizeof pk);
    fprintf(fp, "peak activation memory: rank %d, %s", s->peak_rank, pk);
    for (size_t i = 0; i < s->nmemory; i++) {
        const pps_memory_sensitivity *x = &s->memory[i];
        fprintf(fp, "%s stage %d's activation -10%% -> peak %+.2f%% (%g held)", i ? ";" : ":",
                x->stage, s->peak > 0 ? -10 * x->held * x->act_bytes / s->peak : 0, x->held);
    }
    fputc('\n', fp);
    return ferror(fp) ? pps_error_set(err, PPS_EIO, "sensitivities: write error") : PPS_OK;
}
