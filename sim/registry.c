/* registry.c — the one table of schedule generators, lookup by name or alias, and pps_generate. */
#include "generators.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* Adding a schedule = one generator file and one row here. Later rows (zb-h1, zb-h2, zb-v,
 * interleaved-zb, dualpipe-v, zb-auto) go after these; docs/schedules.md describes each row. */
static const pps_generator generators[] = {
    {
        .name = "naive",
        .aliases = "Naive",
        .summary = "one micro-batch at a time through all stages and back; no overlap",
        .placement = PPS_PLACE_LOOP,
        .default_chunks = 1,
        .check = pps_gen_naive_check,
        .generate = pps_gen_naive_generate,
        .analytic_idle_over_compute = pps_gen_naive_analytic,
    },
    {
        .name = "gpipe",
        .aliases = "GPipe,ScheduleGPipe",
        .summary = "all forwards, then all backwards (GPipe; PyTorch ScheduleGPipe)",
        .placement = PPS_PLACE_LOOP,
        .default_chunks = 1,
        .check = pps_gen_gpipe_check,
        .generate = pps_gen_gpipe_generate,
        .analytic_idle_over_compute = pps_gen_gpipe_analytic,
    },
    {
        .name = "1f1b",
        .aliases = "1F1B,Schedule1F1B,PipeDream-Flush,PipeDreamFlush",
        .summary = "P-1-r warm-up forwards, then one forward one backward (PipeDream-Flush)",
        .placement = PPS_PLACE_LOOP,
        .default_chunks = 1,
        .check = pps_gen_1f1b_check,
        .generate = pps_gen_1f1b_generate,
        .analytic_idle_over_compute = pps_gen_1f1b_analytic,
    },
    {
        .name = "interleaved-1f1b",
        .aliases = "Interleaved1F1B,ScheduleInterleaved1F1B,megatron-interleaved",
        .summary = "v chunks per rank, 1F1B over micro-batch groups (Megatron-LM interleaved)",
        .placement = PPS_PLACE_LOOP,
        .default_chunks = 2,
        .check = pps_gen_interleaved_check,
        .generate = pps_gen_interleaved_generate,
        .analytic_idle_over_compute = pps_gen_interleaved_analytic,
    },
    {
        .name = "looped-bfs",
        .aliases = "LoopedBFS,ScheduleLoopedBFS",
        .summary = "v chunks per rank, all forwards chunk by chunk, then all backwards (PyTorch)",
        .placement = PPS_PLACE_LOOP,
        .default_chunks = 2,
        .check = pps_gen_looped_bfs_check,
        .generate = pps_gen_looped_bfs_generate,
        .analytic_idle_over_compute = pps_gen_looped_bfs_analytic,
    },
};

#define NGENERATORS (sizeof generators / sizeof generators[0])

size_t pps_generator_count(void)
{
    return NGENERATORS;
}

const pps_generator *pps_generator_at(size_t i)
{
    return i < NGENERATORS ? &generators[i] : NULL;
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
        if (generator_matches(&generators[i], name))
            return &generators[i];
    return NULL;
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

pps_status pps_generate(const pps_generator *g, const pps_gen_params *p, pps_schedule **out,
                        pps_error *err)
{
    if (out)
        *out = NULL;
    if (!g || !p || !out)
        return pps_error_set(err, PPS_EINPUT, "pps_generate: generator, parameters and output "
                                              "are required");
    pps_gen_params q = *p;
    if (q.chunks == 0)
        q.chunks = g->default_chunks;

    /* Every limit is checked before anything is allocated, so a huge request costs nothing. */
    pps_status st;
    if ((st = check_range("ranks", q.ranks, 1, PPS_MAX_RANKS, err)) != PPS_OK ||
        (st = check_range("chunks", q.chunks, 1, PPS_MAX_CHUNKS, err)) != PPS_OK ||
        (st = check_range("microbatches", q.microbatches, 1, PPS_MAX_MICROBATCHES, err)) !=
            PPS_OK ||
        (st = check_range("group", q.group, 0, PPS_MAX_MICROBATCHES, err)) != PPS_OK)
        return st;
    /* Each factor is below 2^25, so the 64-bit product cannot wrap. */
    int64_t cells = (int64_t)q.ranks * q.chunks * q.microbatches;
    if (cells > PPS_MAX_CELLS)
        return pps_error_set(err, PPS_EINPUT,
                             "ranks x chunks x microbatches = %lld exceeds the limit of %d",
                             (long long)cells, PPS_MAX_CELLS);
    if (g->check && (st = g->check(&q, err)) != PPS_OK)
        return st;

    pps_schedule *s;
    st = pps_schedule_create(q.ranks, q.ranks * q.chunks, q.microbatches, g->placement, NULL, &s,
                             err);
    if (st != PPS_OK)
        return st;
    snprintf(s->name, sizeof s->name, "%s", g->name);
    st = g->generate(&q, s, err);
    if (st != PPS_OK) {
        pps_schedule_destroy(s);
        return st;
    }
    *out = s;
    return PPS_OK;
}
