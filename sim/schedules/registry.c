/* registry.c — the list of schedule rows, lookup by name or alias, options, and pps_generate. */
#include "schedules.h"
#include "cost/cost_fields.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The rows, each defined in its own file and named once in list.h. */
#define PPS_SCHEDULE(x) extern const pps_generator pps_schedule_##x;
#include "list.h"
#undef PPS_SCHEDULE

static const pps_generator *const generators[] = {
#define PPS_SCHEDULE(x) &pps_schedule_##x,
#include "list.h"
#undef PPS_SCHEDULE
};

#define NGENERATORS (sizeof generators / sizeof generators[0])

size_t pps_generator_count(void)
{
    return NGENERATORS;
}

const pps_generator *pps_generator_at(size_t i)
{
    return i < NGENERATORS ? generators[i] : NULL;
}

/* 1 when word[0..len) equals name, ignoring ASCII case (no locale: names are ASCII). */
static int same_word(const char *word, size_t len, const char *name)
{
    if (strlen(name) != len)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (tolower((unsigned char)word[i]) != tolower((unsigned char)name[i]))
            return 0;
    return 1;
}

/* 1 when name matches g's name or one of its comma-separated aliases (blanks around an alias
 * are ignored, so the table may be written "A, B"). */
static int generator_matches(const pps_generator *g, const char *name)
{
    if (same_word(g->name, strlen(g->name), name))
        return 1;
    for (const char *a = g->aliases; a && *a;) {
        const char *end = strchr(a, ',');
        size_t len = end ? (size_t)(end - a) : strlen(a);
        const char *w = a;
        size_t wl = len;
        while (wl > 0 && isspace((unsigned char)*w)) {
            w++;
            wl--;
        }
        while (wl > 0 && isspace((unsigned char)w[wl - 1]))
            wl--;
        if (wl > 0 && same_word(w, wl, name))
            return 1;
        if (!end)
            break;
        a = end + 1;
    }
    return 0;
}

const pps_generator *pps_generator_find(const char *name)
{
    if (!name || !*name)
        return NULL;
    for (size_t i = 0; i < NGENERATORS; i++)
        if (generator_matches(generators[i], name))
            return generators[i];
    return NULL;
}

const pps_gen_option *pps_generator_option(const pps_generator *g, const char *name)
{
    for (const pps_gen_option *o = g && name ? g->options : NULL; o && o->name; o++)
        if (strcmp(o->name, name) == 0)
            return o;
    return NULL;
}

const char *pps_gen_option_text(const pps_gen_params *p, const char *name)
{
    for (size_t i = 0; i < p->nsettings && i < PPS_GEN_MAX_SETTINGS; i++)
        if (p->settings[i].name && strcmp(p->settings[i].name, name) == 0)
            return p->settings[i].value;
    return NULL;
}

pps_status pps_gen_int_option(const pps_gen_params *p, const char *name, long fallback, long lo,
                              long hi, long *out, pps_error *err)
{
    const char *text = pps_gen_option_text(p, name);
    *out = fallback;
    if (!text)
        return PPS_OK;
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (end == text || *end != '\0' || errno == ERANGE || v < lo || v > hi)
        return pps_error_set(err, PPS_EINPUT, "--%s: '%s' is not an integer in [%ld, %ld]", name,
                             text, lo, hi);
    *out = v;
    return PPS_OK;
}

pps_status pps_gen_one_chunk(const char *name, const pps_gen_params *p, pps_error *err)
{
    if (p->chunks != 1)
        return pps_error_set(err, PPS_EUNSUPPORTED,
                             "%s: chunks must be 1 (got %d); for several stages per rank use "
                             "interleaved-1f1b or looped-bfs",
                             name, p->chunks);
    return PPS_OK;
}

pps_status pps_gen_reserve(pps_schedule *s, size_t per_rank, pps_error *err)
{
    for (int r = 0; r < s->ranks; r++) {
        pps_program *p = &s->programs[r];
        if (per_rank > PPS_MAX_ACTIONS - p->n)
            return pps_error_set(err, PPS_EINPUT, "rank %d: more than %zu actions", r,
                                 (size_t)PPS_MAX_ACTIONS);
        size_t need = p->n + per_rank;
        if (need <= p->cap)
            continue;
        pps_action *na = realloc(p->actions, need * sizeof *na);
        if (!na)
            return pps_error_set(err, PPS_ENOMEM, "rank %d: out of memory for %zu actions", r,
                                 need);
        p->actions = na;
        p->cap = need;
    }
    return PPS_OK;
}

/* Range of one parameter, in the words schedule.c uses, so the CLI can prefix the flag. */
static pps_status check_range(const char *field, int v, int lo, int hi, pps_error *err)
{
    if (v < lo || v > hi)
        return pps_error_set(err, PPS_EINPUT, "%s: %d is out of range [%d, %d]", field, v, lo,
                             hi);
    return PPS_OK;
}

/* Limits, the settings (each an option of g) and the row's own check, for p with chunks
 * resolved. Every limit is checked before anything is allocated, so a huge request costs
 * nothing. */
static pps_status check_params(const pps_generator *g, const pps_gen_params *q, pps_error *err)
{
    pps_status st;
    if ((st = check_range("ranks", q->ranks, 1, PPS_MAX_RANKS, err)) != PPS_OK ||
        (st = check_range("chunks", q->chunks, 1, PPS_MAX_CHUNKS, err)) != PPS_OK ||
        (st = check_range("microbatches", q->microbatches, 1, PPS_MAX_MICROBATCHES, err)) !=
            PPS_OK)
        return st;
    if (q->nsettings > PPS_GEN_MAX_SETTINGS)
        return pps_error_set(err, PPS_EINPUT, "more than %d schedule options",
                             PPS_GEN_MAX_SETTINGS);
    for (size_t i = 0; i < q->nsettings; i++)
        if (!pps_generator_option(g, q->settings[i].name) || !q->settings[i].value)
            return pps_error_set(err, PPS_EINPUT, "--%s does not apply to schedule %s",
                                 q->settings[i].name ? q->settings[i].name : "(null)", g->name);
    /* Each factor is below 2^25, so the 64-bit product cannot wrap. */
    int64_t cells = (int64_t)q->ranks * q->chunks * q->microbatches;
    if (cells > PPS_MAX_CELLS)
        return pps_error_set(err, PPS_EINPUT,
                             "ranks x chunks x microbatches = %lld exceeds the limit of %d",
                             (long long)cells, PPS_MAX_CELLS);
    if (g->check && (st = g->check(q, err)) != PPS_OK)
        return st;
    return PPS_OK;
}

double pps_generator_analytic(const pps_generator *g, const pps_gen_params *p,
                              const pps_stage_cost *c)
{
    if (!g || !p || !g->analytic_idle_over_compute)
        return NAN;
    pps_gen_params q = *p;
    if (q.chunks == 0)
        q.chunks = g->default_chunks;
    if (check_params(g, &q, NULL) != PPS_OK)
        return NAN;
    return g->analytic_idle_over_compute(&q, c);
}

/* p with chunks resolved, if g accepts it: 1, else 0. */
static int accepted(const pps_generator *g, const pps_gen_params *p, pps_gen_params *q)
{
    *q = *p;
    if (q->chunks == 0)
        q->chunks = g->default_chunks;
    return check_params(g, q, NULL) == PPS_OK;
}

double pps_generator_analytic_bubble(const pps_generator *g, const pps_gen_params *p)
{
    pps_gen_params q;
    if (!g || !p || !g->analytic_bubble || !accepted(g, p, &q))
        return NAN;
    return g->analytic_bubble(&q);
}

double pps_generator_analytic_peak(const pps_generator *g, const pps_gen_params *p, int rank)
{
    pps_gen_params q;
    if (!g || !p || !g->analytic_peak || rank < 0 || rank >= p->ranks || !accepted(g, p, &q))
        return NAN;
    return g->analytic_peak(&q, rank);
}

/* 1 when two stages cost the same (an unset tfb equals an unset tfb). */
static int same_costs(const pps_stage_cost *a, const pps_stage_cost *b)
{
    const double *x = &a->tf, *y = &b->tf;
    for (int i = 0; i < PPS_STAGE_COST_FIELDS; i++)
        if (x[i] != y[i] && !(isnan(x[i]) && isnan(y[i])))
            return 0;
    return 1;
}

int pps_gen_uniform_costs(const pps_gen_params *p, pps_stage_cost *c, double *comm)
{
    pps_cost def;
    const pps_cost *k = p->cost;
    if (!k) {
        pps_cost_init(&def);
        if (pps_cost_resolve(&def, p->ranks, NULL) != PPS_OK)
            return 0;
        def.split = ppsc_share(def.uniform, p->chunks);
        k = &def;
    }
    *c = pps_cost_of_stage(k, 0);
    for (int s = 1; s < k->nresolved; s++) {
        pps_stage_cost x = pps_cost_of_stage(k, s);
        if (!same_costs(&x, c))
            return 0;
    }
    /* One transfer time for every pair of ranks: a single node, or both link kinds alike. */
    int one_kind = k->ranks_per_node <= 0 || k->ranks_per_node >= p->ranks ||
                   (k->intra.latency == k->inter.latency &&
                    k->intra.bandwidth == k->inter.bandwidth);
    if (!one_kind || k->comm_sync)
        return 0;
    *comm = p->ranks > 1 || p->chunks > 1 ? pps_cost_transfer(k, 0, 0, c->send_bytes) : 0;
    return 1;
}

double pps_gen_fill_drain_bubble(const pps_gen_params *p)
{
    pps_stage_cost c;
    double a;
    if (!pps_gen_uniform_costs(p, &c, &a) || a > 0)
        return NAN;
    return (p->ranks - 1.0) * (c.tf + c.tb);
}

double pps_gen_activations(const pps_gen_params *p, double n)
{
    pps_stage_cost c;
    double a;
    return pps_gen_uniform_costs(p, &c, &a) ? n * c.act_bytes : NAN;
}

/* Resolves p's chunks and checks it: q is what the generator gets. */
static pps_status prepare(const pps_generator *g, const pps_gen_params *p, pps_gen_params *q,
                          pps_error *err)
{
    if (!g || !p)
        return pps_error_set(err, PPS_EINPUT, "pps_generate: generator, parameters and output "
                                              "are required");
    *q = *p;
    if (q->chunks == 0)
        q->chunks = g->default_chunks;
    return check_params(g, q, err);
}

/* Fills s, already shaped for q, with g's programs. */
static pps_status fill(const pps_generator *g, const pps_gen_params *q, pps_schedule *s,
                       pps_error *err)
{
    snprintf(s->name, sizeof s->name, "%s", g->name);
    return g->generate(q, s, err);
}

pps_status pps_generate(const pps_generator *g, const pps_gen_params *p, pps_schedule **out,
                        pps_error *err)
{
    if (out)
        *out = NULL;
    pps_gen_params q;
    pps_status st = out ? prepare(g, p, &q, err) : prepare(NULL, NULL, &q, err);
    if (st != PPS_OK)
        return st;
    pps_schedule *s;
    st = pps_schedule_create(q.ranks, q.ranks * q.chunks, q.microbatches, g->placement, NULL, &s,
                             err);
    if (st == PPS_OK)
        st = fill(g, &q, s, err);
    if (st != PPS_OK) {
        pps_schedule_destroy(s);
        return st;
    }
    *out = s;
    return PPS_OK;
}

pps_status pps_generate_into(const pps_generator *g, const pps_gen_params *p, pps_schedule *s,
                             pps_error *err)
{
    pps_gen_params q;
    pps_status st = s ? prepare(g, p, &q, err) : prepare(NULL, NULL, &q, err);
    if (st == PPS_OK)
        st = pps_schedule_reset(s, q.ranks, q.ranks * q.chunks, q.microbatches, g->placement,
                                NULL, err);
    if (st == PPS_OK)
        st = fill(g, &q, s, err);
    if (st != PPS_OK && s) /* a half-filled schedule must not pass for a generated one */
        for (int r = 0; r < s->ranks; r++)
            s->programs[r].n = 0;
    return st;
}
