/* schedule.c — the schedule IR container: creation with size limits, placement, programs. */
#include "ppsim.h"
#include "internal.h"

#include <stdlib.h>
#include <string.h>

const char *pps_placement_name(pps_placement p)
{
    switch (p) {
    case PPS_PLACE_LOOP: return "loop";
    case PPS_PLACE_V: return "v";
    case PPS_PLACE_EXPLICIT: return "explicit";
    }
    return "?";
}

pps_status pps_check_shape(int ranks, int stages, int microbatches, pps_error *err)
{
    if (ranks < 1 || ranks > PPS_MAX_RANKS)
        return pps_error_set(err, PPS_EINPUT, "ranks: %d is out of range [1, %d]", ranks,
                             PPS_MAX_RANKS);
    if (stages < 1 || stages > PPS_MAX_CELLS)
        return pps_error_set(err, PPS_EINPUT, "stages: %d is out of range [1, %d]", stages,
                             PPS_MAX_CELLS);
    if (microbatches < 1 || microbatches > PPS_MAX_MICROBATCHES)
        return pps_error_set(err, PPS_EINPUT, "microbatches: %d is out of range [1, %d]",
                             microbatches, PPS_MAX_MICROBATCHES);
    /* 64-bit product: R·v·M must not wrap before it is compared. */
    if ((int64_t)stages * microbatches > PPS_MAX_CELLS)
        return pps_error_set(err, PPS_EINPUT,
                             "stages x microbatches = %lld exceeds the limit of %d",
                             (long long)stages * microbatches, PPS_MAX_CELLS);
    return PPS_OK;
}

/* Refuses a shape or placement pps_schedule_create would refuse. */
static pps_status check_placement(int ranks, int stages, int microbatches, pps_placement placement,
                                  const int32_t *stage_rank, pps_error *err)
{
    pps_status shape = pps_check_shape(ranks, stages, microbatches, err);
    if (shape != PPS_OK)
        return shape;
    if (placement == PPS_PLACE_LOOP && stages % ranks != 0)
        return pps_error_set(err, PPS_EINPUT,
                             "placement loop: stages (%d) must be a multiple of ranks (%d)",
                             stages, ranks);
    if (placement == PPS_PLACE_V && stages != 2 * ranks)
        return pps_error_set(err, PPS_EINPUT,
                             "placement v: stages (%d) must be twice the ranks (%d)", stages,
                             ranks);
    if (placement == PPS_PLACE_EXPLICIT && !stage_rank)
        return pps_error_set(err, PPS_EINPUT, "placement explicit: no stage list given");
    if (placement == PPS_PLACE_EXPLICIT) {
        for (int s = 0; s < stages; s++)
            if (stage_rank[s] < 0 || stage_rank[s] >= ranks)
                return pps_error_set(err, PPS_EINPUT,
                                     "placement[%d]: rank %d is out of range [0, %d)", s,
                                     (int)stage_rank[s], ranks);
    }
    return PPS_OK;
}

pps_status pps_schedule_reset(pps_schedule *s, int ranks, int stages, int microbatches,
                              pps_placement placement, const int32_t *stage_rank,
                              pps_error *err)
{
    pps_status st = check_placement(ranks, stages, microbatches, placement, stage_rank, err);
    if (st != PPS_OK)
        return st;
    for (int r = 0; r < s->cap_ranks; r++)
        s->programs[r].n = 0;
    if (stages > s->cap_stages) {
        int32_t *sr = malloc((size_t)stages * sizeof *sr);
        if (!sr)
            return pps_error_set(err, PPS_ENOMEM, "out of memory for %d stages", stages);
        free(s->stage_rank);
        s->stage_rank = sr;
        s->cap_stages = stages;
    }
    if (ranks > s->cap_ranks) {
        pps_program *pr = realloc(s->programs, (size_t)ranks * sizeof *pr);
        if (!pr)
            return pps_error_set(err, PPS_ENOMEM, "out of memory for %d ranks", ranks);
        memset(pr + s->cap_ranks, 0, (size_t)(ranks - s->cap_ranks) * sizeof *pr);
        s->programs = pr;
        s->cap_ranks = ranks;
    }
    /* Ranks beyond the new count keep their programs' room for a later, larger shape. */
    s->ranks = ranks;
    s->stages = stages;
    s->microbatches = microbatches;
    s->chunks = stages % ranks == 0 ? stages / ranks : 0;
    s->placement = placement;
    s->lowered = 0;
    s->name[0] = '\0';
    for (int st2 = 0; st2 < stages; st2++) {
        switch (placement) {
        case PPS_PLACE_LOOP: s->stage_rank[st2] = st2 % ranks; break;
        case PPS_PLACE_V: s->stage_rank[st2] = st2 < ranks ? st2 : 2 * ranks - 1 - st2; break;
        case PPS_PLACE_EXPLICIT: s->stage_rank[st2] = stage_rank[st2]; break;
        }
    }
    return PPS_OK;
}

pps_status pps_schedule_create(int ranks, int stages, int microbatches, pps_placement placement,
                               const int32_t *stage_rank, pps_schedule **out, pps_error *err)
{
    *out = NULL;
    /* Checked before anything is allocated, so that a huge request costs nothing. */
    pps_status st = check_placement(ranks, stages, microbatches, placement, stage_rank, err);
    if (st != PPS_OK)
        return st;
    pps_schedule *s = calloc(1, sizeof *s);
    if (!s)
        return pps_error_set(err, PPS_ENOMEM, "out of memory");
    st = pps_schedule_reset(s, ranks, stages, microbatches, placement, stage_rank, err);
    if (st != PPS_OK) {
        pps_schedule_destroy(s);
        return st;
    }
    *out = s;
    return PPS_OK;
}

void pps_schedule_destroy(pps_schedule *s)
{
    if (!s)
        return;
    if (s->programs)
        for (int r = 0; r < s->cap_ranks; r++)
            free(s->programs[r].actions);
    free(s->programs);
    free(s->stage_rank);
    free(s);
}

pps_status pps_schedule_append(pps_schedule *s, int rank, pps_action a, pps_error *err)
{
    pps_program *p = &s->programs[rank];
    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 16;
        if (cap > PPS_MAX_ACTIONS)
            return pps_error_set(err, PPS_EINPUT, "rank %d: more than %zu actions", rank,
                                 (size_t)PPS_MAX_ACTIONS);
        pps_action *na = realloc(p->actions, cap * sizeof *na);
        if (!na)
            return pps_error_set(err, PPS_ENOMEM, "rank %d: out of memory for %zu actions", rank,
                                 cap);
        p->actions = na;
        p->cap = cap;
    }
    p->actions[p->n++] = a;
    /* lowered follows the programs: a SEND/RECV makes the schedule a lowered one. */
    if (pps_kind_is_comm((pps_kind)a.kind))
        s->lowered = 1;
    return PPS_OK;
}

size_t pps_schedule_count(const pps_schedule *s, int compute_only)
{
    size_t n = 0;
    for (int r = 0; r < s->ranks; r++) {
        if (!compute_only) {
            n += s->programs[r].n;
            continue;
        }
        for (size_t i = 0; i < s->programs[r].n; i++)
            n += pps_kind_is_compute((pps_kind)s->programs[r].actions[i].kind) != 0;
    }
    return n;
}

pps_status pps_schedule_strip_comms(const pps_schedule *s, pps_schedule **out, pps_error *err)
{
    *out = NULL;
    pps_schedule *c;
    pps_status st = pps_schedule_create(s->ranks, s->stages, s->microbatches, s->placement,
                                        s->stage_rank, &c, err);
    if (st != PPS_OK)
        return st;
    memcpy(c->name, s->name, sizeof c->name);
    for (int r = 0; r < s->ranks && st == PPS_OK; r++)
        for (size_t i = 0; i < s->programs[r].n && st == PPS_OK; i++)
            if (!pps_kind_is_comm((pps_kind)s->programs[r].actions[i].kind) &&
                s->programs[r].actions[i].kind != PPS_WAIT_SEND_F &&
                s->programs[r].actions[i].kind != PPS_WAIT_SEND_B)
                st = pps_schedule_append(c, r, s->programs[r].actions[i], err);
    if (st != PPS_OK) {
        pps_schedule_destroy(c);
        return st;
    }
    *out = c;
    return PPS_OK;
}
