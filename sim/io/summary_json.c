/* summary_json.c — the --json summaries: a run's analysis (`sim`, `analyze`, `compare`;
 * docs/cli.md) and a predicted-vs-measured diff (`diff`; docs/validation-method.md). */
#include "io/json_write.h"

#include <math.h>

pps_summary pps_summary_of(const pps_timeline *t, const pps_analysis *a)
{
    return (pps_summary){.schedule = t->schedule, .ranks = t->ranks, .stages = t->stages,
                         .microbatches = t->microbatches, .chunks = t->chunks, .analysis = a,
                         .analytic_idle_over_compute = NAN, .analytic_stage_span_idle = NAN,
                         .analytic_peak = NULL, .skipped = NULL};
}

static void put_summary(ppsj_writer *w, const pps_summary *s)
{
    const pps_analysis *a = s->analysis;
    ppsj_begin_object(w, PPSJ_SPACED);
    ppsj_member_string(w, "schedule", s->schedule ? s->schedule : "");
    if (!a) {
        ppsj_member_string(w, "skipped", s->skipped ? s->skipped : "");
        ppsj_end_object(w);
        return;
    }
    ppsj_member_integer(w, "ranks", s->ranks);
    ppsj_member_integer(w, "stages", s->stages);
    ppsj_member_integer(w, "microbatches", s->microbatches);
    ppsj_member_integer(w, "chunks", s->chunks);
    /* How uniform costs are read: one rank's share, split over its stages (cost-model.md). */
    ppsj_member_string(w, "costs_per", "rank-share");
    ppsj_member_integer(w, "actions", (long long)a->compute_actions);
    ppsj_member_number(w, "makespan", a->makespan);
    ppsj_key(w, "bubble");
    ppsj_begin_object(w, PPSJ_SPACED);
    ppsj_member_number(w, "idle_over_total", a->idle_over_total);
    ppsj_member_number(w, "idle_over_compute", a->idle_over_compute);
    ppsj_member_number(w, "stage_span_rate", a->stage_span_rate);
    ppsj_member_number(w, "stage_span_idle", a->stage_span_idle);
    ppsj_end_object(w);
    ppsj_key(w, "analytic");
    ppsj_begin_object(w, PPSJ_SPACED);
    ppsj_member_number(w, "idle_over_compute", s->analytic_idle_over_compute);
    ppsj_member_number(w, "stage_span_idle", s->analytic_stage_span_idle);
    ppsj_key(w, "peak_activation");
    if (s->analytic_peak) {
        ppsj_begin_array(w, PPSJ_SPACED);
        for (int r = 0; r < a->ranks; r++)
            ppsj_number(w, s->analytic_peak[r]);
        ppsj_end_array(w);
    } else {
        ppsj_null(w);
    }
    ppsj_end_object(w);
    ppsj_member_number(w, "throughput", a->throughput);
    ppsj_key(w, "per_rank");
    ppsj_begin_array(w, PPSJ_SPACED);
    for (int r = 0; r < a->ranks; r++) {
        const pps_rank_stats *rs = &a->per_rank[r];
        ppsj_begin_object(w, PPSJ_SPACED);
        ppsj_member_integer(w, "rank", r);
        ppsj_member_number(w, "busy", rs->busy);
        ppsj_member_number(w, "idle", rs->idle);
        ppsj_member_number(w, "peak_activation", rs->peak_activation);
        ppsj_end_object(w);
    }
    ppsj_end_array(w);
    ppsj_end_object(w);
}

pps_status pps_summary_write_json(const pps_summary *s, FILE *fp, pps_error *err)
{
    ppsj_writer w;
    ppsj_writer_init(&w, fp);
    put_summary(&w, s);
    return ppsj_writer_finish(&w, "summary", err);
}

pps_status pps_summaries_write_json(const pps_summary *s, size_t n, FILE *fp, pps_error *err)
{
    ppsj_writer w;
    ppsj_writer_init(&w, fp);
    ppsj_begin_array(&w, PPSJ_SPACED);
    for (size_t i = 0; i < n; i++) {
        if (i)
            ppsj_newline(&w, 1);
        put_summary(&w, &s[i]);
    }
    ppsj_end_array(&w);
    return ppsj_writer_finish(&w, "summary", err);
}

/* ------------------------------------------------------------------ diff */

/* KEY: {"predicted": .., "measured": .., "rel_error" or "diff": ..}. */
static void put_value(ppsj_writer *w, const char *key, const pps_diff_value *v, int relative)
{
    static const char *const rel[3] = {"predicted", "measured", "rel_error"};
    static const char *const abs[3] = {"predicted", "measured", "diff"};
    const double x[3] = {v->pred, v->meas, relative ? v->rel_error : v->diff};
    ppsj_member_numbers(w, key, relative ? rel : abs, x, 3);
}

static void put_dist(ppsj_writer *w, const char *key, const pps_diff_dist *d)
{
    static const char *const names[3] = {"median", "p90", "max"};
    const double x[3] = {d->median, d->p90, d->max};
    ppsj_member_numbers(w, key, names, x, 3);
}

/* KEY: {"schedule", "source", "backend"} of a timeline's header. */
static void put_side(ppsj_writer *w, const char *key, const pps_timeline *t, int incomplete)
{
    ppsj_key(w, key);
    ppsj_begin_object(w, PPSJ_SPACED);
    ppsj_member_string(w, "schedule", t->schedule);
    ppsj_member_string(w, "source", t->source);
    ppsj_member_string(w, "backend", t->backend);
    if (incomplete)
        ppsj_member_bool(w, "incomplete", t->incomplete);
    ppsj_end_object(w);
}

/* [start, end] */
static void put_pair(ppsj_writer *w, const char *key, double start, double end)
{
    ppsj_key(w, key);
    ppsj_begin_array(w, PPSJ_SPACED);
    ppsj_number(w, start);
    ppsj_number(w, end);
    ppsj_end_array(w);
}

pps_status pps_diff_write_json(const pps_diff *d, const pps_timeline *pred,
                               const pps_timeline *meas, double tolerance, FILE *fp,
                               pps_error *err)
{
    ppsj_writer w;
    ppsj_begin_file(&w, fp, "ppsim-diff", 1);
    put_side(&w, "predicted", pred, 0);
    put_side(&w, "measured", meas, 1);
    ppsj_member_integer(&w, "ranks", d->ranks);
    ppsj_member_integer(&w, "stages", d->stages);
    ppsj_member_integer(&w, "microbatches", d->microbatches);
    ppsj_member_number(&w, "tolerance", tolerance);
    ppsj_member_bool(&w, "exceeds_tolerance", pps_diff_exceeds(d, tolerance));
    put_value(&w, "makespan", &d->makespan, 1);
    ppsj_key(&w, "bubble");
    ppsj_begin_object(&w, PPSJ_SPACED);
    put_value(&w, "idle_over_total", &d->idle_over_total, 0);
    put_value(&w, "idle_over_compute", &d->idle_over_compute, 0);
    put_value(&w, "stage_span_rate", &d->stage_span_rate, 0);
    ppsj_end_object(&w);
    ppsj_key(&w, "per_rank");
    ppsj_begin_array(&w, PPSJ_SPACED);
    for (int r = 0; r < d->ranks; r++) {
        ppsj_begin_object(&w, PPSJ_SPACED);
        ppsj_member_integer(&w, "rank", r);
        ppsj_member_number(&w, "busy_predicted", d->busy[r].pred);
        ppsj_member_number(&w, "busy_measured", d->busy[r].meas);
        ppsj_member_number(&w, "busy_rel_error", d->busy[r].rel_error);
        ppsj_end_object(&w);
    }
    ppsj_end_array(&w);
    ppsj_key(&w, "events");
    ppsj_begin_object(&w, PPSJ_SPACED);
    ppsj_member_integer(&w, "matched", (long long)d->matched);
    ppsj_member_integer(&w, "only_predicted", (long long)d->only_pred);
    ppsj_member_integer(&w, "only_measured", (long long)d->only_meas);
    ppsj_end_object(&w);
    put_dist(&w, "abs_start_error", &d->abs_start_error);
    put_dist(&w, "abs_end_error", &d->abs_end_error);
    ppsj_key(&w, "worst");
    ppsj_begin_array(&w, PPSJ_SPACED);
    for (size_t i = 0; i < d->nworst; i++) {
        const pps_diff_event *e = &d->worst[i];
        char stream[PPS_STREAM_TEXT_MAX], action[PPS_ACTION_TEXT_MAX];
        pps_stream_format((pps_stream)e->stream, e->peer, stream);
        pps_action_format(&e->action, action, sizeof action);
        ppsj_begin_object(&w, PPSJ_SPACED);
        ppsj_member_integer(&w, "rank", e->rank);
        ppsj_member_string(&w, "stream", stream);
        ppsj_member_string(&w, "action", action);
        put_pair(&w, "predicted", e->pred_start, e->pred_end);
        put_pair(&w, "measured", e->meas_start, e->meas_end);
        ppsj_member_number(&w, "start_error", e->start_error);
        ppsj_member_number(&w, "end_error", e->end_error);
        ppsj_end_object(&w);
    }
    ppsj_end_array(&w);
    ppsj_end_object(&w);
    return ppsj_writer_finish(&w, "diff", err);
}
