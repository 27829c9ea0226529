/* schedule_csv.c — PyTorch's per-rank schedule CSV (row i = rank i, one action per cell). */
#include "ppsim.h"

#include <stdlib.h>
#include <string.h>

/* What the reader gathers before it knows S and M: the rows and which rank holds each stage. */
typedef struct csv_state {
    const char *name;
    pps_program *rows;
    size_t nrows, cap;
    int32_t *owner; /* [ncap] stage -> rank, -1 = not seen yet; stages >= ncap: not seen */
    size_t ncap;
    /* The owner map covers stages below this, the file's length + 1: a file of n bytes cannot
     * name n + 1 stages (each takes a digit and a kind), so when a higher stage appears a lower
     * one is missing, and that is found below the bound. The map is sized from the data, never
     * from a declared index ("0F0,16777215F0" would take 64 MiB). */
    size_t stage_bound;
    int32_t max_stage, max_mb;
    int comm;
} csv_state;

static void free_rows(csv_state *c)
{
    for (size_t r = 0; r < c->nrows; r++)
        free(c->rows[r].actions);
    free(c->rows);
    free(c->owner);
    c->rows = NULL;
    c->owner = NULL;
    c->nrows = c->cap = c->ncap = 0;
}

static pps_status add_row(csv_state *c, long line, pps_error *err)
{
    if (c->nrows == PPS_MAX_RANKS)
        return pps_error_set(err, PPS_EINPUT, "%s:%ld: more than %d rows (ranks)", c->name, line,
                             PPS_MAX_RANKS);
    if (c->nrows == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 8;
        pps_program *nr = realloc(c->rows, cap * sizeof *nr);
        if (!nr)
            return pps_error_set(err, PPS_ENOMEM, "%s: out of memory", c->name);
        c->rows = nr;
        c->cap = cap;
    }
    memset(&c->rows[c->nrows++], 0, sizeof *c->rows);
    return PPS_OK;
}

static pps_status push_action(csv_state *c, pps_action a, long line, pps_error *err)
{
    pps_program *p = &c->rows[c->nrows - 1];
    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 16;
        if (p->n >= PPS_MAX_ACTIONS)
            return pps_error_set(err, PPS_EINPUT, "%s:%ld: more than %zu actions in a row",
                                 c->name, line, (size_t)PPS_MAX_ACTIONS);
        pps_action *na = realloc(p->actions, cap * sizeof *na);
        if (!na)
            return pps_error_set(err, PPS_ENOMEM, "%s: out of memory", c->name);
        p->actions = na;
        p->cap = cap;
    }
    p->actions[p->n++] = a;
    return PPS_OK;
}

/* Records that the current row's rank holds `stage` and `mb` (mb -1: none), refusing numbers
 * beyond the limits before they size any array, and a stage seen on two ranks. */
static pps_status note_stage(csv_state *c, const pps_action *a, int32_t stage, int32_t mb,
                             long line, long cell, pps_error *err)
{
    char t[PPS_ACTION_TEXT_MAX];
    if (stage >= PPS_MAX_CELLS || mb >= PPS_MAX_MICROBATCHES) {
        pps_action_format(a, t, sizeof t);
        int big_stage = stage >= PPS_MAX_CELLS;
        return pps_error_set(err, PPS_EINPUT,
                             "%s:%ld: cell %ld: action '%s': %s %d exceeds the limit of %d",
                             c->name, line, cell, t, big_stage ? "stage" : "micro-batch",
                             (int)(big_stage ? stage : mb),
                             big_stage ? PPS_MAX_CELLS - 1 : PPS_MAX_MICROBATCHES - 1);
    }
    if ((size_t)stage >= c->ncap && (size_t)stage < c->stage_bound) {
        size_t cap = c->ncap ? c->ncap : 16;
        while (cap <= (size_t)stage)
            cap *= 2;
        if (cap > c->stage_bound)
            cap = c->stage_bound;
        int32_t *no = realloc(c->owner, cap * sizeof *no);
        if (!no)
            return pps_error_set(err, PPS_ENOMEM, "%s: out of memory", c->name);
        for (size_t i = c->ncap; i < cap; i++)
            no[i] = -1;
        c->owner = no;
        c->ncap = cap;
    }
    int32_t rank = (int32_t)c->nrows - 1;
    if ((size_t)stage >= c->ncap || !c->owner) {
        /* Beyond the bound: the file is refused for a missing stage below it. */
    } else if (c->owner[stage] < 0) {
        c->owner[stage] = rank;
    } else if (c->owner[stage] != rank) {
        return pps_error_set(err, PPS_EINPUT,
                             "%s:%ld: cell %ld: stage %d appears on two ranks: %d (line %d) and %d "
                             "(line %ld)",
                             c->name, line, cell, (int)stage, (int)c->owner[stage],
                             (int)c->owner[stage] + 1, (int)rank, line);
    }
    if (stage > c->max_stage)
        c->max_stage = stage;
    if (mb > c->max_mb)
        c->max_mb = mb;
    return PPS_OK;
}

/* Parses one cell's text and adds the action to the current row. */
static pps_status take_cell(csv_state *c, const char *text, size_t n, long line, long cell,
                            pps_error *err)
{
    pps_action a;
    pps_status st = pps_action_parse(text, n, &a, err);
    if (st != PPS_OK) {
        pps_error_prefix(err, "%s:%ld: cell %ld", c->name, line, cell);
        return st;
    }
    if (a.kind != PPS_IDLE) {
        st = note_stage(c, &a, a.stage, a.mb, line, cell, err);
        if (st == PPS_OK && a.kind == PPS_OVERLAP_F_B)
            st = note_stage(c, &a, a.stage2, a.mb2, line, cell, err);
        if (st != PPS_OK)
            return st;
        c->comm |= pps_kind_is_comm((pps_kind)a.kind);
    }
    return push_action(c, a, line, err);
}

static int is_blank(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\r';
}

/* Reads the line starting at text[*pos] as the next row; *pos ends after its '\n' (or at len).
 * A line of only blanks is a rank with no actions, as Python's csv module reads it. */
static pps_status read_line(csv_state *c, const char *text, size_t len, size_t *pos, long line,
                            pps_error *err)
{
    size_t i = *pos;
    pps_status st = add_row(c, line, err);
    if (st != PPS_OK)
        return st;
    size_t k = i;
    while (k < len && is_blank(text[k]))
        k++;
    if (k == len || text[k] == '\n') {
        *pos = k < len ? k + 1 : k;
        return PPS_OK;
    }
    /* Sized once, for as many cells as the line has commas + 1 (actions hold no comma): a
     * doubling array would map up to 40 bytes per byte of a row of empty cells, not 20. */
    const char *nl = memchr(text + i, '\n', len - i);
    size_t cells = 1;
    for (const char *q = text + i, *e = nl ? nl : text + len; q < e; q++)
        cells += *q == ',';
    if (cells > PPS_MAX_ACTIONS)
        return pps_error_set(err, PPS_EINPUT, "%s:%ld: more than %zu actions in a row", c->name,
                             line, (size_t)PPS_MAX_ACTIONS);
    pps_program *p = &c->rows[c->nrows - 1];
    if (!(p->actions = malloc(cells * sizeof *p->actions)))
        return pps_error_set(err, PPS_ENOMEM, "%s:%ld: out of memory for %zu actions", c->name,
                             line, cells);
    p->cap = cells;
    for (long cell = 1;; cell++) {
        while (i < len && (text[i] == ' ' || text[i] == '\t'))
            i++;
        if (i < len && text[i] == '"') {
            /* Python's csv writer may quote a cell; actions never hold quotes or commas. */
            size_t q = i + 1;
            while (q < len && text[q] != '"' && text[q] != '\n')
                q++;
            if (q == len || text[q] != '"')
                return pps_error_set(err, PPS_EINPUT, "%s:%ld: cell %ld: unterminated quoted cell",
                                     c->name, line, cell);
            if ((st = take_cell(c, text + i + 1, q - i - 1, line, cell, err)) != PPS_OK)
                return st;
            i = q + 1;
            while (i < len && is_blank(text[i]))
                i++;
            if (i < len && text[i] != ',' && text[i] != '\n')
                return pps_error_set(err, PPS_EINPUT,
                                     "%s:%ld: cell %ld: unexpected text after a quoted cell",
                                     c->name, line, cell);
        } else {
            size_t start = i;
            while (i < len && text[i] != ',' && text[i] != '\n')
                i++;
            if ((st = take_cell(c, text + start, i - start, line, cell, err)) != PPS_OK)
                return st;
        }
        if (i >= len || text[i] == '\n')
            break;
        i++; /* the comma */
    }
    *pos = i < len ? i + 1 : i;
    return PPS_OK;
}

/* Picks LOOP or V when the observed stage -> rank map is exactly that placement. */
static pps_placement infer_placement(const int32_t *owner, int ranks, int stages)
{
    int loop = stages % ranks == 0, v = stages == 2 * ranks;
    for (int s = 0; s < stages && (loop || v); s++) {
        loop &= owner[s] == s % ranks;
        v &= owner[s] == (s < ranks ? s : 2 * ranks - 1 - s);
    }
    return loop ? PPS_PLACE_LOOP : v ? PPS_PLACE_V : PPS_PLACE_EXPLICIT;
}

pps_status pps_schedule_parse_csv(const char *text, size_t len, const char *name,
                                  pps_schedule **out, pps_error *err)
{
    csv_state c = {.name = name, .max_stage = -1, .max_mb = -1, .stage_bound = len + 1};
    pps_schedule *s = NULL;
    pps_status st = PPS_OK;
    size_t pos = 0;

    *out = NULL;
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
        pos = 3; /* a UTF-8 byte order mark, as some editors write */
    size_t k = pos;
    while (k < len && (is_blank(text[k]) || text[k] == '\n'))
        k++;
    if (k == len)
        return pps_error_set(err, PPS_EINPUT, "%s: empty file, no ranks", name);

    for (long line = 1; pos < len; line++)
        if ((st = read_line(&c, text, len, &pos, line, err)) != PPS_OK)
            goto fail;
    if (c.max_stage < 0) {
        st = pps_error_set(err, PPS_EINPUT, "%s: no action names a stage, cannot infer the stages",
                           name);
        goto fail;
    }
    int ranks = (int)c.nrows, stages = c.max_stage + 1;
    for (int i = 0; i < stages; i++) {
        if ((size_t)i >= c.ncap || c.owner[i] < 0) {
            st = pps_error_set(err, PPS_EINPUT, "%s: stage %d appears on no rank", name, i);
            goto fail;
        }
    }
    pps_placement pl = infer_placement(c.owner, ranks, stages);
    st = pps_schedule_create(ranks, stages, c.max_mb + 1 > 0 ? c.max_mb + 1 : 1, pl, c.owner, &s,
                             err);
    if (st != PPS_OK) {
        pps_error_prefix(err, "%s", name);
        goto fail;
    }
    /* Hand the rows over: the new schedule's programs are all still empty. */
    for (int r = 0; r < ranks; r++)
        s->programs[r] = c.rows[r];
    c.nrows = 0;
    free_rows(&c);
    memcpy(s->name, "csv", 4);
    s->lowered = c.comm;
    *out = s;
    return PPS_OK;

fail:
    free_rows(&c);
    return st;
}

pps_status pps_schedule_write_csv(const pps_schedule *s, FILE *fp, pps_error *err)
{
    for (int r = 0; r < s->ranks; r++) {
        const pps_program *p = &s->programs[r];
        /* A lone empty cell is written "" (as Python's csv does) so it does not read back as a
         * rank with no actions. */
        if (p->n == 1 && p->actions[0].kind == PPS_IDLE)
            fputs("\"\"", fp);
        for (size_t i = 0; i < p->n; i++) {
            char t[PPS_ACTION_TEXT_MAX];
            if (i)
                fputc(',', fp);
            int n = pps_action_format(&p->actions[i], t, sizeof t);
            fwrite(t, 1, (size_t)n, fp);
        }
        fputc('\n', fp);
    }
    if (ferror(fp))
        return pps_error_set(err, PPS_EIO, "write error");
    return PPS_OK;
}
