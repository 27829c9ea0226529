/* schedule_json.c — ppsim schedule JSON (docs/ir.md): reader, writer, by-extension file reader. */
#include "internal.h"
#include "io/json_read.h"
#include "io/json_write.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define SCHEDULE_FORMAT "ppsim-schedule"
#define SCHEDULE_VERSION 1

/* Checks that an action's stages and micro-batches lie in [0, stages) and [0, mb). */
static pps_status check_range(const pps_action *a, int stages, int mbs, pps_error *err)
{
    if (a->kind == PPS_IDLE)
        return PPS_OK;
    int halves = a->kind == PPS_OVERLAP_F_B ? 2 : 1;
    for (int h = 0; h < halves; h++) {
        int32_t st = h ? a->stage2 : a->stage, mb = h ? a->mb2 : a->mb;
        char t[PPS_ACTION_TEXT_MAX];
        if (st < 0 || st >= stages) {
            pps_action_format(a, t, sizeof t);
            return pps_error_set(err, PPS_EINPUT, "action '%s': stage %d is out of range [0, %d)",
                                 t, (int)st, stages);
        }
        /* mb is -1 exactly for the kinds without a micro-batch (the parser guarantees it). */
        if (mb != -1 && mb >= mbs) {
            pps_action_format(a, t, sizeof t);
            return pps_error_set(err, PPS_EINPUT,
                                 "action '%s': micro-batch %d is out of range [0, %d)", t, (int)mb,
                                 mbs);
        }
    }
    return PPS_OK;
}

/* Reads the explicit placement list into a new array of `stages` entries (*out, caller frees).
 * The length and entry ranges are checked only when stages and ranks lie within the limits;
 * otherwise pps_schedule_create reports the bad size, which is the more useful message. */
static pps_status parse_stage_list(const cJSON *list, int ranks, int stages, int32_t **out,
                                   const char *name, pps_error *err)
{
    *out = NULL;
    if (stages < 1 || stages > PPS_MAX_CELLS)
        return PPS_OK;
    int n = cJSON_GetArraySize(list);
    if (n != stages)
        return pps_error_set(err, PPS_EINPUT,
                             "%s: $.placement: expected %d entries (one rank per stage), got %d",
                             name, stages, n);
    int32_t *sr = malloc((size_t)stages * sizeof *sr);
    if (!sr)
        return pps_error_set(err, PPS_ENOMEM, "%s: out of memory", name);
    int i = 0;
    for (const cJSON *e = list->child; e; e = e->next, i++) {
        const char *why = ppsj_not_integer(e);
        if (why) {
            free(sr);
            return pps_error_set(err, PPS_EINPUT,
                                 "%s: $.placement[%d]: expected an integer, got %s", name, i, why);
        }
        double d = e->valuedouble;
        int ranks_ok = ranks >= 1 && ranks <= PPS_MAX_RANKS;
        if (d < 0 || (ranks_ok && d >= ranks) || d > INT32_MAX) {
            free(sr);
            return pps_error_set(err, PPS_EINPUT,
                                 "%s: $.placement[%d]: rank %.17g is out of range [0, %d)", name, i,
                                 d, ranks);
        }
        sr[i] = (int32_t)d;
    }
    *out = sr;
    return PPS_OK;
}

/* Reads the placement member: "loop", "v" or a list of ranks. */
static pps_status parse_placement(const cJSON *root, int ranks, int stages, pps_placement *pl,
                                  int32_t **stage_rank, const char *name, pps_error *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, "placement");
    *stage_rank = NULL;
    if (!v)
        return pps_error_set(err, PPS_EINPUT, "%s: $.placement: missing required field", name);
    if (cJSON_IsString(v) && v->valuestring) {
        if (strcmp(v->valuestring, "loop") == 0) {
            *pl = PPS_PLACE_LOOP;
            return PPS_OK;
        }
        if (strcmp(v->valuestring, "v") == 0) {
            *pl = PPS_PLACE_V;
            return PPS_OK;
        }
        char q[PPS_QUOTE_SIZE];
        pps_quote(v->valuestring, strlen(v->valuestring), q);
        return pps_error_set(err, PPS_EINPUT,
                             "%s: $.placement: unknown placement \"%s\" (expected \"loop\", \"v\" "
                             "or a list of ranks)",
                             name, q);
    }
    if (!cJSON_IsArray(v))
        return pps_error_set(err, PPS_EINPUT,
                             "%s: $.placement: expected a string or an array, got %s", name,
                             ppsj_type_name(v));
    *pl = PPS_PLACE_EXPLICIT;
    return parse_stage_list(v, ranks, stages, stage_rank, name, err);
}

/* Reads one rank's program (the array `list` at $.programs[rank]) into s. *comm is set when a
 * SEND/RECV appears; lowered is -1 (not given), 0 or 1. */
static pps_status parse_program(const cJSON *list, int rank, pps_schedule *s, int lowered,
                                int *comm, const char *name, pps_error *err)
{
    if (!cJSON_IsArray(list))
        return pps_error_set(err, PPS_EINPUT, "%s: $.programs[%d]: expected an array, got %s", name,
                             rank, ppsj_type_name(list));
    size_t n = 0;
    for (const cJSON *e = list->child; e; e = e->next)
        n++;
    if (n > PPS_MAX_ACTIONS)
        return pps_error_set(err, PPS_EINPUT, "%s: $.programs[%d]: more than %zu actions", name,
                             rank, (size_t)PPS_MAX_ACTIONS);
    pps_program *p = &s->programs[rank];
    if (n) {
        /* Sized once: a doubling array would waste up to half of a large program. */
        p->actions = malloc(n * sizeof *p->actions);
        if (!p->actions)
            return pps_error_set(err, PPS_ENOMEM, "%s: out of memory for %zu actions", name, n);
        p->cap = n;
    }
    size_t i = 0;
    for (const cJSON *e = list->child; e; e = e->next, i++) {
        pps_action a;
        if (!cJSON_IsString(e) || !e->valuestring)
            return pps_error_set(err, PPS_EINPUT,
                                 "%s: $.programs[%d][%zu]: expected a string, got %s", name, rank,
                                 i, ppsj_type_name(e));
        pps_status st = pps_action_parse(e->valuestring, strlen(e->valuestring), &a, err);
        if (st == PPS_OK)
            st = check_range(&a, s->stages, s->microbatches, err);
        if (st == PPS_OK && pps_kind_is_comm((pps_kind)a.kind)) {
            *comm = 1;
            if (lowered == 0) {
                char t[PPS_ACTION_TEXT_MAX];
                pps_action_format(&a, t, sizeof t);
                st = pps_error_set(err, PPS_EINPUT,
                                   "action '%s': communication action in a schedule with "
                                   "\"lowered\": false",
                                   t);
            }
        }
        if (st != PPS_OK) {
            pps_error_prefix(err, "%s: $.programs[%d][%zu]", name, rank, i);
            return st;
        }
        p->actions[p->n++] = a;
    }
    return PPS_OK;
}

pps_status pps_schedule_parse_json(const char *text, size_t len, const char *name,
                                   pps_schedule **out, pps_error *err)
{
    static const char *const keys[] = {"format", "version",   "name",    "ranks",    "stages",
                                       "microbatches", "placement", "lowered", "programs", NULL};
    cJSON *root = NULL;
    pps_schedule *s = NULL;
    int32_t *stage_rank = NULL;
    const char *format = NULL, *sname = "";
    long version = 0, ranks = 0, stages = 0, mbs = 0;
    const cJSON *programs = NULL;
    pps_placement pl = PPS_PLACE_LOOP;
    int lowered = -1, comm = 0;
    pps_status st;

    *out = NULL;
    st = ppsj_parse(text, len, name, &root, err);
    if (st != PPS_OK)
        return st;
    if (!cJSON_IsObject(root)) {
        st = pps_error_set(err, PPS_EINPUT, "%s: $: expected an object, got %s", name,
                           ppsj_type_name(root));
        goto fail;
    }
    /* Format and version first: a newer file's new fields must not read as "unknown field". */
    if ((st = ppsj_get_string(root, "format", 1, &format, name, "$", err)) != PPS_OK)
        goto fail;
    if (strcmp(format, SCHEDULE_FORMAT) != 0) {
        char q[PPS_QUOTE_SIZE];
        pps_quote(format, strlen(format), q);
        st = pps_error_set(err, PPS_EINPUT, "%s: $.format: expected \"%s\", got \"%s\"", name,
                           SCHEDULE_FORMAT, q);
        goto fail;
    }
    if ((st = ppsj_get_int(root, "version", 1, LONG_MIN, LONG_MAX, &version, name, "$", err)) !=
        PPS_OK)
        goto fail;
    if (version != SCHEDULE_VERSION) {
        st = pps_error_set(err, PPS_EINPUT,
                           "%s: $.version: unsupported version %ld (this reader knows version %d)",
                           name, version, SCHEDULE_VERSION);
        goto fail;
    }
    if ((st = ppsj_check_keys(root, keys, name, "$", err)) != PPS_OK ||
        (st = ppsj_get_string(root, "name", 0, &sname, name, "$", err)) != PPS_OK ||
        (st = ppsj_get_int(root, "ranks", 1, INT_MIN, INT_MAX, &ranks, name, "$", err)) !=
            PPS_OK ||
        (st = ppsj_get_int(root, "stages", 1, INT_MIN, INT_MAX, &stages, name, "$", err)) !=
            PPS_OK ||
        (st = ppsj_get_int(root, "microbatches", 1, INT_MIN, INT_MAX, &mbs, name, "$", err)) !=
            PPS_OK)
        goto fail;
    if (strlen(sname) >= sizeof s->name) {
        st = pps_error_set(err, PPS_EINPUT, "%s: $.name: longer than %zu bytes", name,
                           sizeof s->name - 1);
        goto fail;
    }
    if ((st = parse_placement(root, (int)ranks, (int)stages, &pl, &stage_rank, name, err)) !=
        PPS_OK)
        goto fail;
    const cJSON *lw = cJSON_GetObjectItemCaseSensitive(root, "lowered");
    if (lw) {
        if (!cJSON_IsBool(lw)) {
            st = pps_error_set(err, PPS_EINPUT, "%s: $.lowered: expected a boolean, got %s", name,
                               ppsj_type_name(lw));
            goto fail;
        }
        lowered = cJSON_IsTrue(lw) ? 1 : 0;
    }
    if ((st = ppsj_get_array(root, "programs", 1, &programs, name, "$", err)) != PPS_OK)
        goto fail;

    st = pps_schedule_create((int)ranks, (int)stages, (int)mbs, pl, stage_rank, &s, err);
    if (st != PPS_OK) {
        pps_error_prefix(err, "%s: $", name);
        goto fail;
    }
    memcpy(s->name, sname, strlen(sname) + 1);

    int np = cJSON_GetArraySize(programs);
    if (np != s->ranks) {
        st = pps_error_set(err, PPS_EINPUT,
                           "%s: $.programs: expected %d arrays (one per rank), got %d", name,
                           s->ranks, np);
        goto fail;
    }
    int r = 0;
    for (const cJSON *e = programs->child; e; e = e->next, r++)
        if ((st = parse_program(e, r, s, lowered, &comm, name, err)) != PPS_OK)
            goto fail;
    s->lowered = lowered >= 0 ? lowered : comm;

    free(stage_rank);
    cJSON_Delete(root);
    *out = s;
    return PPS_OK;

fail:
    pps_schedule_destroy(s);
    free(stage_rank);
    cJSON_Delete(root);
    return st;
}

/* ------------------------------------------------------------------ writer */

pps_status pps_schedule_write_json(const pps_schedule *s, FILE *fp, pps_error *err)
{
    ppsj_writer w;
    ppsj_writer_init(&w, fp);
    ppsj_begin_object(&w, PPSJ_SPACED);
    ppsj_newline(&w, 2);
    ppsj_member_string(&w, "format", SCHEDULE_FORMAT);
    ppsj_newline(&w, 2);
    ppsj_member_integer(&w, "version", SCHEDULE_VERSION);
    ppsj_newline(&w, 2);
    ppsj_member_string(&w, "name", s->name);
    ppsj_newline(&w, 2);
    ppsj_member_integer(&w, "ranks", s->ranks);
    ppsj_newline(&w, 2);
    ppsj_member_integer(&w, "stages", s->stages);
    ppsj_newline(&w, 2);
    ppsj_member_integer(&w, "microbatches", s->microbatches);
    ppsj_newline(&w, 2);
    ppsj_key(&w, "placement");
    if (s->placement == PPS_PLACE_EXPLICIT) {
        ppsj_begin_array(&w, PPSJ_SPACED);
        for (int i = 0; i < s->stages; i++)
            ppsj_integer(&w, s->stage_rank[i]);
        ppsj_end_array(&w);
    } else {
        ppsj_string(&w, pps_placement_name(s->placement));
    }
    ppsj_newline(&w, 2);
    ppsj_member_bool(&w, "lowered", s->lowered);
    ppsj_newline(&w, 2);
    ppsj_key(&w, "programs");
    ppsj_begin_array(&w, PPSJ_SPACED);
    for (int r = 0; r < s->ranks; r++) {
        const pps_program *p = &s->programs[r];
        ppsj_newline(&w, 4);
        ppsj_begin_array(&w, PPSJ_SPACED);
        for (size_t i = 0; i < p->n; i++) {
            char t[PPS_ACTION_TEXT_MAX];
            pps_action_format(&p->actions[i], t, sizeof t);
            ppsj_string(&w, t);
        }
        ppsj_end_array(&w);
    }
    ppsj_newline(&w, 2);
    ppsj_end_array(&w);
    ppsj_newline(&w, 0);
    ppsj_end_object(&w);
    return ppsj_writer_finish(&w, "schedule", err);
}

/* ------------------------------------------------------------------ files */

/* True when path ends in ".csv", in any letter case. */
static int has_csv_extension(const char *path)
{
    size_t n = strlen(path);
    if (n < 4)
        return 0;
    const char *e = path + n - 4;
    return e[0] == '.' && (e[1] | 0x20) == 'c' && (e[2] | 0x20) == 's' && (e[3] | 0x20) == 'v';
}

pps_status pps_schedule_read(const char *path, pps_schedule **out, pps_error *err)
{
    char *text = NULL;
    size_t len = 0;
    *out = NULL;
    pps_status st = pps_file_slurp(path, &text, &len, err);
    if (st != PPS_OK)
        return st;
    if (has_csv_extension(path))
        st = pps_schedule_parse_csv(text, len, path, out, err);
    else
        st = pps_schedule_parse_json(text, len, path, out, err);
    free(text);
    return st;
}
