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

/* The reader walks the top-level object with the streaming scanner: the header members go
 * into a small cJSON tree, while the programs (millions of actions) and an explicit placement
 * list (one entry per stage) are read straight into the schedule's arrays, each sized exactly
 * from a counting pass. A tree would take 80 bytes per value, 27 per byte of `"",` (docs/ir.md,
 * "Out of memory"); this way the reader's memory is the text plus 20 bytes per action. */

static const ppsj_path at_placement = {NULL, "placement", 0};
static const ppsj_path at_programs = {NULL, "programs", 0};

/* Counts the elements of the array at the cursor (its syntax already checked), leaving the
 * cursor after it. */
static pps_status count_elements(ppsj_scan *c, size_t *n)
{
    pps_status st;
    *n = 0;
    c->pos++; /* '[' */
    for (int more; (more = ppsj_next_element(c, *n == 0)) != 0; (*n)++) {
        if (more < 0)
            return PPS_EINPUT;
        if ((st = ppsj_skip_value(c)))
            return st;
    }
    return PPS_OK;
}

/* Reads the explicit placement list (the array at the cursor) into a new array of `stages`
 * entries (*out, caller frees). The length and entry ranges are checked only when stages and
 * ranks lie within the limits; otherwise pps_schedule_create reports the bad size, which is the
 * more useful message. */
static pps_status scan_stage_list(ppsj_scan *c, int ranks, int stages, int32_t **out)
{
    *out = NULL;
    if (stages < 1 || stages > PPS_MAX_CELLS)
        return PPS_OK;
    size_t at = c->pos, n;
    pps_status st = count_elements(c, &n);
    if (st)
        return st;
    if (n != (size_t)stages)
        return ppsj_error_at(c, &at_placement, "expected %d entries (one rank per stage), got %zu",
                             stages, n);
    int32_t *sr = malloc((size_t)stages * sizeof *sr);
    if (!sr)
        return pps_error_set(c->err, PPS_ENOMEM, "%s: out of memory for %d stages", c->name,
                             stages);
    c->pos = at + 1;
    for (size_t i = 0; ppsj_next_element(c, i == 0) > 0; i++) {
        ppsj_path here = {&at_placement, NULL, i};
        ppsj_type t = ppsj_peek_type(c);
        double d = 0;
        const char *why = t == PPSJ_NUMBER ? NULL : ppsj_type_text(t);
        if (!why && (st = ppsj_scan_number(c, &d)) == PPS_OK)
            why = !isfinite(d) ? "a number too large for a double" : d != floor(d) ? "a fraction"
                                                                                 : NULL;
        if (!why && !st && (d < 0 || (ranks >= 1 && ranks <= PPS_MAX_RANKS && d >= ranks) ||
                            d > INT32_MAX))
            st = ppsj_error_at(c, &here, "rank %.17g is out of range [0, %d)", d, ranks);
        else if (why && !st)
            st = ppsj_error_at(c, &here, "expected an integer, got %s", why);
        if (st) {
            free(sr);
            return st;
        }
        sr[i] = (int32_t)d;
    }
    *out = sr;
    return PPS_OK;
}

/* Reads the placement member: "loop", "v" (in the header tree) or a list of ranks (at text
 * offset `list_at` in c, SIZE_MAX when the member is not a list). */
static pps_status parse_placement(const cJSON *root, ppsj_scan *c, size_t list_at, int ranks,
                                  int stages, pps_placement *pl, int32_t **stage_rank)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, "placement");
    const char *name = c->name;
    *stage_rank = NULL;
    if (list_at != SIZE_MAX) {
        *pl = PPS_PLACE_EXPLICIT;
        c->pos = list_at;
        return scan_stage_list(c, ranks, stages, stage_rank);
    }
    if (!v)
        return pps_error_set(c->err, PPS_EINPUT, "%s: $.placement: missing required field", name);
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
        return pps_error_set(c->err, PPS_EINPUT,
                             "%s: $.placement: unknown placement \"%s\" (expected \"loop\", \"v\" "
                             "or a list of ranks)",
                             name, q);
    }
    return pps_error_set(c->err, PPS_EINPUT,
                         "%s: $.placement: expected a string or an array, got %s", name,
                         ppsj_type_name(v));
}

/* Reads one rank's program (the array at the cursor, $.programs[rank], of n elements) into s.
 * *comm is set when a SEND/RECV appears; lowered is -1 (not given), 0 or 1. */
static pps_status scan_program(ppsj_scan *c, int rank, size_t n, pps_schedule *s, int lowered,
                               int *comm)
{
    const char *name = c->name;
    pps_error *err = c->err;
    ppsj_path at = {&at_programs, NULL, (size_t)rank};
    if (ppsj_peek_type(c) != PPSJ_ARRAY)
        return ppsj_wrong_type(c, &at, "an array");
    if (n > PPS_MAX_ACTIONS)
        return pps_error_set(err, PPS_EINPUT, "%s: $.programs[%d]: more than %zu actions", name,
                             rank, (size_t)PPS_MAX_ACTIONS);
    pps_program *p = &s->programs[rank];
    if (n) {
        /* Sized once, from the counting pass: a doubling array would waste up to half. */
        p->actions = malloc(n * sizeof *p->actions);
        if (!p->actions)
            return pps_error_set(err, PPS_ENOMEM, "%s: out of memory for %zu actions", name, n);
        p->cap = n;
    }
    c->pos++; /* '[' */
    for (size_t i = 0; ppsj_next_element(c, i == 0) > 0; i++) {
        ppsj_path here = {&at, NULL, i};
        const char *text;
        size_t len;
        pps_action a;
        if (ppsj_peek_type(c) != PPSJ_STRING)
            return ppsj_wrong_type(c, &here, "a string");
        pps_status st = ppsj_scan_string(c, &here, &text, &len);
        if (st)
            return st;
        st = pps_action_parse(text, len, &a, err);
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

/* Reads the programs array at the cursor into s: a counting pass (how many programs, and the
 * length of each of the first `ranks`), then the actions. */
static pps_status scan_programs(ppsj_scan *c, pps_schedule *s, int lowered, int *comm)
{
    size_t at = c->pos, np = 0;
    pps_status st = PPS_OK;
    size_t *len = calloc((size_t)s->ranks, sizeof *len);
    if (!len)
        return pps_error_set(c->err, PPS_ENOMEM, "%s: out of memory for %d ranks", c->name,
                             s->ranks);
    c->pos++; /* '[' */
    for (int more; (more = ppsj_next_element(c, np == 0)) != 0; np++) {
        if (more < 0) {
            st = PPS_EINPUT;
            break;
        }
        if (np < (size_t)s->ranks && ppsj_peek_type(c) == PPSJ_ARRAY)
            st = count_elements(c, &len[np]);
        else
            st = ppsj_skip_value(c);
        if (st)
            break;
    }
    if (st == PPS_OK && np != (size_t)s->ranks)
        st = ppsj_error_at(c, &at_programs, "expected %d arrays (one per rank), got %zu",
                           s->ranks, np);
    c->pos = at + 1;
    for (int r = 0; st == PPS_OK && r < s->ranks; r++) {
        ppsj_next_element(c, r == 0);
        st = scan_program(c, r, len[r], s, lowered, comm);
    }
    free(len);
    return st;
}

pps_status pps_schedule_parse_json(const char *text, size_t len, const char *name,
                                   pps_schedule **out, pps_error *err)
{
    static const char *const keys[] = {"format", "version",   "name",    "ranks",    "stages",
                                       "microbatches", "placement", "lowered", "programs", NULL};
    static const char *const header[] = {"format", "version", "name", "ranks", "stages",
                                         "microbatches", "placement", "lowered", NULL};
    static const char *const deferred[] = {"programs", "placement", NULL};
    cJSON *root = NULL;
    pps_schedule *s = NULL;
    int32_t *stage_rank = NULL;
    const char *format = NULL, *sname = "";
    long version = 0, ranks = 0, stages = 0, mbs = 0;
    size_t at[2];
    pps_placement pl = PPS_PLACE_LOOP;
    int lowered = -1, comm = 0;
    pps_status st;
    ppsj_scan c;

    *out = NULL;
    ppsj_scan_init(&c, text, len, name, err);
    ppsj_skip_ws(&c);
    /* As every JSON reader: a NUL byte, then a document that is not an object. */
    if ((st = ppsj_check_document(&c)) != PPS_OK)
        return st;
    /* The header into a tree, the programs and the placement only located; a placement that is
     * not a list is then parsed into the tree below. */
    st = ppsj_parse_top(text, len, name, header, deferred, at, NULL, NULL, &root, err);
    if (st != PPS_OK)
        return st;
    size_t programs_at = at[0], placement_at = at[1];
    if (placement_at != SIZE_MAX) {
        c.pos = placement_at;
        if (ppsj_peek_type(&c) == PPSJ_ARRAY) {
            /* Kept for scan_stage_list, after the sizes are known. */
        } else {
            cJSON *v = NULL;
            if ((st = ppsj_parse_value(&c, &at_placement, &v)) != PPS_OK)
                goto fail;
            v->string = strdup("placement");
            if (!v->string) {
                cJSON_Delete(v);
                st = pps_error_set(err, PPS_ENOMEM, "%s: out of memory", name);
                goto fail;
            }
            cJSON_AddItemToArray(root, v); /* an object's members are its array of children */
            placement_at = SIZE_MAX;
        }
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
    if ((st = parse_placement(root, &c, placement_at, (int)ranks, (int)stages, &pl,
                              &stage_rank)) != PPS_OK)
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
    if (programs_at == SIZE_MAX) {
        st = pps_error_set(err, PPS_EINPUT, "%s: $.programs: missing required field", name);
        goto fail;
    }
    c.pos = programs_at;
    if (ppsj_peek_type(&c) != PPSJ_ARRAY) {
        st = ppsj_wrong_type(&c, &at_programs, "an array");
        goto fail;
    }

    st = pps_schedule_create((int)ranks, (int)stages, (int)mbs, pl, stage_rank, &s, err);
    if (st != PPS_OK) {
        pps_error_prefix(err, "%s: $", name);
        goto fail;
    }
    memcpy(s->name, sname, strlen(sname) + 1);
    if ((st = scan_programs(&c, s, lowered, &comm)) != PPS_OK)
        goto fail;
    s->lowered = lowered >= 0 ? lowered : comm;

    ppsj_scan_free(&c);
    free(stage_rank);
    cJSON_Delete(root);
    *out = s;
    return PPS_OK;

fail:
    ppsj_scan_free(&c);
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
