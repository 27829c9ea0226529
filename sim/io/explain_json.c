/* explain_json.c — `ppsim explain --json`: the critical path with its segments and shares, the
 * sensitivities, the advice, a timeline's replay error and a what-if, as one JSON object
 * (docs/explain.md, "JSON"). */
#include "io/json_write.h"

#include <math.h>

/* Seconds as a share of the makespan (0 when it is 0). */
static double share(double seconds, double makespan)
{
    return makespan > 0 ? seconds / makespan : 0;
}

static void put_segment(ppsj_writer *w, const pps_path_segment *s)
{
    char a[PPS_ACTION_TEXT_MAX];
    pps_action_format(&s->action, a, sizeof a);
    ppsj_newline(w, 4);
    ppsj_begin_object(w, PPSJ_SPACED);
    ppsj_member_string(w, "type", s->transfer ? "transfer" : "compute");
    ppsj_member_string(w, "action", a);
    ppsj_member_string(w, "kind", pps_kind_name((pps_kind)s->action.kind));
    ppsj_member_integer(w, "stage", s->action.stage);
    ppsj_member_integer(w, "microbatch", s->action.mb);
    ppsj_member_integer(w, "rank", s->rank);
    if (s->transfer)
        ppsj_member_integer(w, "to_rank", s->peer);
    ppsj_member_number(w, "start", s->start);
    ppsj_member_number(w, "end", s->end);
    /* What the next segment waited for this one to free: its stream or its send queue, rather
     * than its data. */
    ppsj_member_bool(w, s->transfer ? "queued_behind" : "stream_wait", s->order);
    ppsj_end_object(w);
}

/* {"compute": x, ..., "kind": {"F": x, ...}, "rank": [x, ...]} with x = f(seconds). */
static void put_shares(ppsj_writer *w, const char *key, const pps_critical_path *p, int as_share)
{
    double m = as_share ? p->makespan : 0;
#define V(x) (as_share ? share((x), m) : (x))
    ppsj_key(w, key);
    ppsj_begin_object(w, PPSJ_SPACED);
    ppsj_member_number(w, "compute", V(p->compute_seconds));
    ppsj_member_number(w, "communication", V(p->transfer_seconds));
    ppsj_member_number(w, "queued", V(p->queue_wait_seconds));
    ppsj_member_number(w, "stream_wait", V(p->stream_wait_seconds));
    ppsj_key(w, "kind");
    ppsj_begin_object(w, PPSJ_SPACED);
    for (int k = 0; k < PPS_KIND_COUNT; k++)
        if (p->kind_seconds[k] > 0)
            ppsj_member_number(w, pps_kind_name((pps_kind)k), V(p->kind_seconds[k]));
    ppsj_end_object(w);
    ppsj_key(w, "rank");
    ppsj_begin_array(w, PPSJ_SPACED);
    for (int r = 0; r < p->ranks; r++)
        ppsj_number(w, V(p->rank_seconds[r]));
    ppsj_end_array(w);
    ppsj_end_object(w);
#undef V
}

static void put_path(ppsj_writer *w, const pps_critical_path *p)
{
    ppsj_newline(w, 1);
    ppsj_key(w, "critical_path");
    ppsj_begin_object(w, PPSJ_SPACED);
    ppsj_member_number(w, "makespan", p->makespan);
    ppsj_member_number(w, "origin", p->origin);
    ppsj_newline(w, 2);
    put_shares(w, "seconds", p, 0);
    ppsj_newline(w, 2);
    put_shares(w, "share", p, 1);
    ppsj_newline(w, 2);
    ppsj_key(w, "segments");
    ppsj_begin_array(w, PPSJ_SPACED);
    for (size_t i = 0; i < p->n; i++)
        put_segment(w, &p->seg[i]);
    ppsj_newline(w, 2);
    ppsj_end_array(w);
    ppsj_newline(w, 1);
    ppsj_end_object(w);
}

/* The cost's name in the text's terms: t_F .. t_W, send_F (a stage's output to the next),
 * send_B (its input gradient to the one before). */
static const char *cost_key(pps_kind k)
{
    switch (k) {
    case PPS_F: return "t_F";
    case PPS_B: return "t_B";
    case PPS_I: return "t_I";
    case PPS_W: return "t_W";
    case PPS_SEND_F: return "send_F";
    case PPS_SEND_B: return "send_B";
    default: return pps_kind_name(k);
    }
}

static void put_sensitivities(ppsj_writer *w, const pps_sensitivities *s)
{
    ppsj_newline(w, 1);
    ppsj_key(w, "sensitivities");
    ppsj_begin_object(w, PPSJ_SPACED);
    ppsj_member_number(w, "makespan", s->makespan);
    ppsj_newline(w, 2);
    ppsj_key(w, "costs");
    ppsj_begin_array(w, PPSJ_SPACED);
    for (size_t i = 0; i < s->n; i++) {
        const pps_sensitivity *x = &s->item[i];
        ppsj_newline(w, 4);
        ppsj_begin_object(w, PPSJ_SPACED);
        ppsj_member_integer(w, "stage", x->stage);
        ppsj_member_string(w, "cost", cost_key(x->kind));
        ppsj_member_number(w, "value", x->cost);
        ppsj_member_number(w, "on_path", x->on_path);
        ppsj_member_integer(w, "path_segments", (long long)x->count);
        ppsj_member_number(w, "d_down", x->d_down);
        ppsj_member_number(w, "d_up", x->d_up);
        ppsj_member_number(w, "minus_10", x->sim_minus);
        ppsj_member_number(w, "plus_10", x->sim_plus);
        ppsj_end_object(w);
    }
    ppsj_newline(w, 2);
    ppsj_end_array(w);
    ppsj_newline(w, 2);
    ppsj_key(w, "memory");
    ppsj_begin_object(w, PPSJ_SPACED);
    ppsj_member_integer(w, "peak_rank", s->peak_rank);
    ppsj_member_number(w, "peak", s->peak);
    ppsj_key(w, "stages");
    ppsj_begin_array(w, PPSJ_SPACED);
    for (size_t i = 0; i < s->nmemory; i++) {
        ppsj_begin_object(w, PPSJ_SPACED);
        ppsj_member_integer(w, "stage", s->memory[i].stage);
        ppsj_member_number(w, "act_bytes", s->memory[i].act_bytes);
        ppsj_member_number(w, "held", s->memory[i].held);
        ppsj_end_object(w);
    }
    ppsj_end_array(w);
    ppsj_end_object(w);
    ppsj_newline(w, 1);
    ppsj_end_object(w);
}

static void put_advice(ppsj_writer *w, const pps_advice *a)
{
    ppsj_newline(w, 1);
    ppsj_key(w, "advice");
    if (!a) {
        ppsj_null(w);
        return;
    }
    ppsj_begin_array(w, PPSJ_SPACED);
    for (size_t i = 0; i < a->n; i++) {
        const pps_advice_item *it = &a->item[i];
        ppsj_newline(w, 2);
        ppsj_begin_object(w, PPSJ_SPACED);
        ppsj_member_string(w, "rule", it->rule);
        ppsj_member_string(w, "finding", it->finding);
        ppsj_member_string(w, "fix", it->fix);
        ppsj_member_number(w, "before", it->before);
        ppsj_member_number(w, "after", it->after);
        ppsj_end_object(w);
    }
    if (a->n)
        ppsj_newline(w, 1);
    ppsj_end_array(w);
}

static void put_replay(ppsj_writer *w, const pps_explanation *e)
{
    ppsj_newline(w, 1);
    ppsj_key(w, "replay");
    if (!e->replay) {
        ppsj_null(w);
        return;
    }
    const pps_diff *d = e->replay;
    ppsj_begin_object(w, PPSJ_SPACED);
    ppsj_member_string(w, "timeline", e->replay_of ? e->replay_of : "");
    ppsj_member_number(w, "makespan", d->makespan.pred);
    ppsj_member_number(w, "measured_makespan", d->makespan.meas);
    ppsj_member_number(w, "rel_error", d->makespan.rel_error);
    ppsj_member_number(w, "median_start_error", d->abs_start_error.median);
    ppsj_member_integer(w, "matched", (long long)d->matched);
    ppsj_end_object(w);
}

static void put_figures(ppsj_writer *w, const char *key, const pps_what_if_figures *f)
{
    ppsj_key(w, key);
    ppsj_begin_object(w, PPSJ_SPACED);
    ppsj_member_number(w, "makespan", f->makespan);
    ppsj_member_number(w, "idle_over_total", f->idle_over_total);
    ppsj_member_number(w, "peak", f->peak);
    ppsj_member_integer(w, "peak_rank", f->peak_rank);
    ppsj_end_object(w);
}

static void put_what_if(ppsj_writer *w, const pps_explanation *e)
{
    ppsj_newline(w, 1);
    ppsj_key(w, "what_if");
    if (!e->what_if_result) {
        ppsj_null(w);
        return;
    }
    ppsj_begin_object(w, PPSJ_SPACED);
    ppsj_key(w, "changes");
    ppsj_begin_array(w, PPSJ_SPACED);
    for (size_t i = 0; i < e->nwhat_if; i++) {
        char text[96];
        pps_what_if_format(&e->what_if[i], text, sizeof text);
        ppsj_string(w, text);
    }
    ppsj_end_array(w);
    ppsj_newline(w, 2);
    put_figures(w, "before", &e->what_if_result->before);
    ppsj_newline(w, 2);
    put_figures(w, "after", &e->what_if_result->after);
    ppsj_newline(w, 1);
    ppsj_end_object(w);
}

pps_status pps_explanation_write_json(const pps_explanation *e, FILE *fp, pps_error *err)
{
    ppsj_writer w;
    const pps_timeline *t = e->timeline;
    ppsj_begin_file(&w, fp, "ppsim-explain", 1);
    ppsj_newline(&w, 1);
    ppsj_member_string(&w, "schedule", t->schedule);
    ppsj_member_string(&w, "source", e->replay ? "replay" : "simulated");
    ppsj_member_integer(&w, "ranks", t->ranks);
    ppsj_member_integer(&w, "stages", t->stages);
    ppsj_member_integer(&w, "microbatches", t->microbatches);
    ppsj_member_integer(&w, "chunks", t->chunks);
    put_replay(&w, e);
    if (e->path)
        put_path(&w, e->path);
    if (e->sens)
        put_sensitivities(&w, e->sens);
    put_advice(&w, e->advice);
    put_what_if(&w, e);
    ppsj_newline(&w, 0);
    ppsj_end_object(&w);
    return ppsj_writer_finish(&w, "explain", err);
}
