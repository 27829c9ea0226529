/* ppsim.h — the one public header of libppsim: schedule IR, file formats, generators, cost model,
 * event core, timeline and analysis. Names are pps_<noun>_<verb>; times are seconds, sizes bytes.
 *
 * Conventions (as in Redis and cJSON); each function's comment adds only what differs:
 * - Every fallible function returns a pps_status (PPS_OK is 0) and, on failure, fills the
 *   caller-owned pps_error (which may be NULL) with one line naming the file, line or JSON path,
 *   and the field; err->topic says what the message is about where a caller needs to know.
 * - Ownership: what a function hands back through an output pointer belongs to the caller, who
 *   frees it with the _destroy or _clear the comment names (free() where it says so);
 *   everything passed in is borrowed for the call and never kept unless the comment says so.
 * - One rule for outputs on failure: an object returned through `T **out` is NULL; a result
 *   struct the function fills (pps_analysis, pps_bounds, pps_diff, pps_range, pps_plan_eval,
 *   pps_plan_result, a pps_cost it initialises) is cleared by the library, holding no memory,
 *   so the caller clears it after success only (clearing it again is harmless); an array
 *   returned through a pointer is NULL and its count 0. An object the function is given to
 *   change (a schedule appended to, a pps_cost merged into, pps_prices reused) stays valid for
 *   its _destroy or _clear, in the state its comment says.
 * - Objects come in _create/_destroy pairs; every _destroy and _clear accepts NULL (a no-op)
 *   and a zeroed struct (tests/test_api.c checks each).
 * - Writers (_write_*) write to a FILE the caller opened; on failure part of the output may be
 *   written, so callers write through a pps_outfile, which keeps the old file until commit.
 * - Nothing here prints or exits; only the CLI's main does.
 * - Only the public API is here. What the library's modules share with each other and with
 *   ppexec (exec/) is declared in sim/internal.h and the module headers it lists.
 */
#ifndef PPSIM_H
#define PPSIM_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define PPS_VERSION "0.1.0"

/* ------------------------------------------------------------------ status and errors */

typedef enum pps_status {
    PPS_OK = 0,
    PPS_EINPUT,       /* bad input: malformed file, unknown name, impossible parameter */
    PPS_ENOMEM,       /* an allocation failed */
    PPS_EIO,          /* a file could not be read or written */
    PPS_EDEADLOCK,    /* the program cannot progress; the message names every blocked stream */
    PPS_EUNSUPPORTED  /* a configuration the schedule cannot take (e.g. M < P for 1f1b) */
} pps_status;

#define PPS_ERRMSG_MAX 2048

/* What a message is about, for a caller that adds where the faulty input came from: the field
 * it decides by, never the message's text. */
typedef enum pps_topic {
    PPS_TOPIC_NONE = 0, /* not said: the message names what it needs (a reader names its file) */
    PPS_TOPIC_COSTS     /* cost values: resolving or pricing found them unusable. The message
                           ("costs: ...") names no file; the caller names the costs file, if the
                           values came from one */
} pps_topic;

/* Caller-owned error details. msg is one line (no newline), without a "ppsim:" prefix. */
typedef struct pps_error {
    pps_status status;
    int errnum; /* PPS_EIO from a failed system call: its errno (so callers decide by it, not
                   by the message); 0 otherwise */
    pps_topic topic; /* PPS_TOPIC_NONE unless the function that failed says otherwise */
    char msg[PPS_ERRMSG_MAX];
} pps_error;

/* Formats msg (printf-style) into err when err is not NULL, sets errnum to 0 and topic to
 * PPS_TOPIC_NONE; returns st so callers can `return pps_error_set(err, PPS_EINPUT, "...")`. A
 * message too long is cut with "...". */
pps_status pps_error_set(pps_error *err, pps_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* PPS_EIO for a system call that failed with errnum: msg is "MESSAGE: strerror(errnum)". */
pps_status pps_error_errno(pps_error *err, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prepends "prefix: " to an existing message (used to add a file name or JSON path); status,
 * errnum and topic are kept. A no-op when err is NULL. */
void pps_error_prefix(pps_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

const char *pps_status_name(pps_status st);

/* Writes v into buf (size bytes) in the shortest decimal form that reads back as exactly v, as
 * the JSON writer writes numbers (docs/ir.md, "JSON output"; NaN and infinities as nan, inf),
 * for messages where %g would show two different values alike ("1 exceeds 1"). Returns the
 * length as snprintf does. */
int pps_format_exact(double v, char *buf, size_t size);

/* ------------------------------------------------------------------ limits */

/* Configurations beyond these are refused with PPS_EINPUT before anything is allocated.
 * PPS_MAX_CELLS bounds stages × micro-batches, so that R·v·M cannot overflow and a lowered
 * program (at most 6 actions per cell) stays within 32-bit action ids. */
#define PPS_MAX_RANKS 65536
#define PPS_MAX_CHUNKS 1024
#define PPS_MAX_MICROBATCHES (1 << 24)
#define PPS_MAX_CELLS (1 << 24)
#define PPS_MAX_ACTIONS ((size_t)1 << 28)
/* Input files larger than this are refused (docs/ir.md). */
#define PPS_MAX_FILE_BYTES ((size_t)1 << 30)

/* ------------------------------------------------------------------ actions */

typedef enum pps_kind {
    PPS_IDLE = 0,   /* an empty cell of a PyTorch CSV: kept for lossless round trips, runs as nothing */
    PPS_F,          /* forward */
    PPS_B,          /* full backward (inputs and weights) */
    PPS_I,          /* backward for inputs only */
    PPS_W,          /* backward for weights only */
    PPS_OVERLAP_F_B,/* composite (F;B) or (F;I) run as one compute action, as in DualPipe */
    PPS_SEND_F,     /* stage s sends its forward output to stage s+1 */
    PPS_RECV_F,     /* stage s receives its forward input from stage s-1 */
    PPS_SEND_B,     /* stage s sends the gradient of its input to stage s-1 */
    PPS_RECV_B,     /* stage s receives the gradient of its output from stage s+1 */
    PPS_UNSHARD,    /* FSDP-style actions read from PyTorch files; no micro-batch, no cost by default */
    PPS_RESHARD,
    PPS_REDUCE_GRAD,
    PPS_WAIT_SEND_F,     /* PyTorch >= 2.15: the compute stream waits until this rank's earlier
                          * SEND_F of (stage, mb) has completed; no cost by default */
    PPS_WAIT_SEND_B,     /* the same for SEND_B */
    PPS_WAIT_REDUCE_GRAD,/* waits for this rank's earlier REDUCE_GRAD of the stage (no micro-batch) */
    PPS_KIND_COUNT
} pps_kind;

/* One action of a rank's program. For PPS_OVERLAP_F_B, (stage, mb) is the forward half and
 * (stage2, mb2, kind2) the backward half (kind2 is PPS_B or PPS_I); otherwise those are -1/0.
 * mb is -1 for kinds without a micro-batch. */
typedef struct pps_action {
    int32_t stage;
    int32_t mb;
    int32_t stage2;
    int32_t mb2;
    uint8_t kind;
    uint8_t kind2;
} pps_action;

/* Longest text form of an action, NUL included. */
#define PPS_ACTION_TEXT_MAX 64

/* "F", "SEND_F", ... ; "" for PPS_IDLE. */
const char *pps_kind_name(pps_kind k);

/* The small helpers below are inline: lowering, the event core and analysis call them once per
 * action of multi-million-action schedules. */

/* F, B, I, W, OVERLAP_F_B */
static inline int pps_kind_is_compute(pps_kind k)
{
    return k == PPS_F || k == PPS_B || k == PPS_I || k == PPS_W || k == PPS_OVERLAP_F_B;
}

/* SEND_*, RECV_* */
static inline int pps_kind_is_comm(pps_kind k)
{
    return k == PPS_SEND_F || k == PPS_RECV_F || k == PPS_SEND_B || k == PPS_RECV_B;
}

/* WAIT_SEND_F, WAIT_SEND_B, WAIT_REDUCE_GRAD: compute-stream actions that wait for an earlier
 * action of the same rank to complete (docs/semantics.md). */
static inline int pps_kind_is_wait(pps_kind k)
{
    return k == PPS_WAIT_SEND_F || k == PPS_WAIT_SEND_B || k == PPS_WAIT_REDUCE_GRAD;
}

/* Kinds that name a micro-batch: all but IDLE and the FSDP-style UNSHARD, RESHARD,
 * REDUCE_GRAD and WAIT_REDUCE_GRAD (which carry a stage only). */
static inline int pps_kind_has_mb(pps_kind k)
{
    return k != PPS_IDLE && k != PPS_UNSHARD && k != PPS_RESHARD && k != PPS_REDUCE_GRAD &&
           k != PPS_WAIT_REDUCE_GRAD;
}

/* Builds a plain action: stage2 = mb2 = -1, kind2 = 0, padding zeroed (callers may hash or
 * memcmp actions). IDLE has stage = mb = -1; a kind without a micro-batch has mb = -1. */
static inline pps_action pps_action_make(pps_kind kind, int stage, int mb)
{
    pps_action a;
    memset(&a, 0, sizeof a);
    a.kind = (uint8_t)kind;
    a.stage = kind == PPS_IDLE ? -1 : stage;
    a.mb = pps_kind_has_mb(kind) ? mb : -1;
    a.stage2 = -1;
    a.mb2 = -1;
    return a;
}

/* Parses PyTorch's text form (`0F3`, `2SEND_B1`, `0REDUCE_GRAD`, `(0F3;1B2)OVERLAP_F_B`) from
 * text[0..len). Surrounding whitespace is ignored; an empty or blank cell gives PPS_IDLE.
 * On failure returns PPS_EINPUT with the reason (no location; the caller adds it). */
pps_status pps_action_parse(const char *text, size_t len, pps_action *out, pps_error *err);

/* Writes the text form (NUL-terminated) into buf of size bytes; returns the length written,
 * or the length needed (as snprintf) when size is too small. PPS_IDLE gives "". */
int pps_action_format(const pps_action *a, char *buf, size_t size);

/* ------------------------------------------------------------------ schedule IR */

typedef enum pps_placement {
    PPS_PLACE_LOOP = 0, /* stage s on rank s mod R */
    PPS_PLACE_V,        /* v = 2: rank r holds stages r and 2R-1-r */
    PPS_PLACE_EXPLICIT  /* stage_rank given as a list */
} pps_placement;

/* One rank's ordered list of actions. */
typedef struct pps_program {
    pps_action *actions;
    size_t n, cap;
} pps_program;

/* A schedule: R ranks, S stages, M micro-batches, a placement and a program per rank.
 * chunks = S / R when R divides S, else 0 (an irregular explicit placement). */
typedef struct pps_schedule {
    char name[64];          /* generator name, or what the file said */
    int ranks;
    int stages;
    int microbatches;
    int chunks;
    pps_placement placement;
    int32_t *stage_rank;    /* [stages]: the rank owning each stage */
    pps_program *programs;  /* [ranks] */
    /* 1: programs hold SEND/RECV (PyTorch's compute_comms). Derived, never to be set by hand:
     * pps_schedule_append sets it when it appends a SEND/RECV, pps_schedule_lower on its result
     * (a one-rank lowering holds none), the readers from the file (docs/ir.md), and
     * pps_schedule_strip_comms clears it. A stored bit rather than a scan of the programs: the
     * cores read it on every run of schedules of millions of actions. */
    int lowered;
    int cap_ranks, cap_stages; /* private: room in programs and stage_rank, reused internally */
} pps_schedule;

/* Creates an empty schedule. stage_rank is copied and used only for PPS_PLACE_EXPLICIT (then it
 * must have `stages` entries in [0, ranks)); for LOOP and V, stages must be ranks·v (V: 2·ranks).
 * Refuses sizes beyond the limits above. The caller owns *out (pps_schedule_destroy). */
pps_status pps_schedule_create(int ranks, int stages, int microbatches, pps_placement placement,
                               const int32_t *stage_rank, pps_schedule **out, pps_error *err);
void pps_schedule_destroy(pps_schedule *s);

/* Appends a copy of a to rank's program (rank in [0, s->ranks)); a SEND/RECV sets s->lowered.
 * PPS_ENOMEM on allocation failure, PPS_EINPUT past PPS_MAX_ACTIONS; s is unchanged on failure. */
pps_status pps_schedule_append(pps_schedule *s, int rank, pps_action a, pps_error *err);

/* Number of actions over all ranks; compute_only counts F, B, I, W and OVERLAP_F_B only. */
size_t pps_schedule_count(const pps_schedule *s, int compute_only);

const char *pps_placement_name(pps_placement p); /* "loop", "v", "explicit" */

/* Checks the rules of docs/ir.md: stages and micro-batches in range; each action on the rank
 * owning its stage; per (stage, micro-batch) exactly one F and either one B or one I and one W;
 * B/I after F and W after I on the owning rank (program order); for a lowered schedule, every
 * send paired with a receive and, per ordered pair of ranks, sends and receives in the same
 * order on both sides, and at most one SEND_F, RECV_F, SEND_B and RECV_B per stage and
 * micro-batch. The message names rank, position (0-based) and action. */
pps_status pps_schedule_validate(const pps_schedule *s, pps_error *err);

/* Returns in *out a new lowered copy of the compute-only schedule s: a SEND right after each
 * producing compute action, the matching RECV before the consumer, receives from one peer kept
 * in the order that peer sends them. s must be valid and not lowered (PPS_EINPUT otherwise).
 * Caller owns *out (pps_schedule_destroy); NULL on failure. */
pps_status pps_schedule_lower(const pps_schedule *s, pps_schedule **out, pps_error *err);

/* Returns in *out the valid schedule s in the form PyTorch's
 * `_PipelineScheduleRuntime._load_csv(..., "compute_comms")` reads (docs/ir.md, "Waits"): its
 * idle slots dropped (the loader refuses empty cells) and, when waits is nonzero (PyTorch 2.15
 * and later), the waits 2.15's lowering adds: WAIT_SEND_F(s,m) right after the backward (B, I
 * or OVERLAP_F_B half) of (s,m) when SEND_F(s,m) came earlier on the rank; every other send's
 * wait at the end of its rank's program, in send order; a WAIT_REDUCE_GRAD right after each
 * REDUCE_GRAD the program does not wait for. Sends and reductions s already waits for get no
 * second wait. waits = 0 gives the form of PyTorch 2.14 and earlier, which refuse any wait.
 * Caller owns *out (pps_schedule_destroy); NULL on failure (PPS_ENOMEM). */
pps_status pps_schedule_for_pytorch(const pps_schedule *s, int waits, pps_schedule **out,
                                    pps_error *err);

/* Returns a copy without SEND/RECV actions and their WAIT_SEND_F/B (lowered = 0). Caller owns
 * *out (pps_schedule_destroy); NULL on failure (PPS_ENOMEM). */
pps_status pps_schedule_strip_comms(const pps_schedule *s, pps_schedule **out, pps_error *err);

/* ------------------------------------------------------------------ schedule files */

/* ppsim JSON (docs/ir.md) and PyTorch's per-rank CSV (row i = rank i, one action per cell).
 * Readers: `name` is used in error messages (the file path); the caller owns *out. The CSV reader
 * infers S from the largest stage, M from the largest micro-batch and the placement from which
 * row holds each stage; it sets lowered when any SEND/RECV appears. Both readers only parse and
 * check ranges; call pps_schedule_validate for the schedule rules. */
pps_status pps_schedule_parse_json(const char *text, size_t len, const char *name,
                                   pps_schedule **out, pps_error *err);
pps_status pps_schedule_parse_csv(const char *text, size_t len, const char *name,
                                  pps_schedule **out, pps_error *err);
/* Reads a file; ".csv" means CSV, anything else JSON. */
pps_status pps_schedule_read(const char *path, pps_schedule **out, pps_error *err);

/* Write s to fp in either format, which the readers above read back to the same schedule (the
 * CSV keeps only the programs: docs/ir.md). PPS_EIO when the write fails (see the conventions
 * on writers). */
pps_status pps_schedule_write_json(const pps_schedule *s, FILE *fp, pps_error *err);
pps_status pps_schedule_write_csv(const pps_schedule *s, FILE *fp, pps_error *err);

/* ------------------------------------------------------------------ generators */

struct pps_cost;

/* An option of one schedule only (interleaved-1f1b's group size, ...), declared by its table
 * row. The CLI offers it as --NAME VALUE; the generator parses VALUE (sim/schedules/). */
typedef struct pps_gen_option {
    const char *name; /* "group" */
    const char *arg;  /* placeholder for usage texts: "G" */
    const char *help; /* one line: meaning, default, range */
} pps_gen_option;

/* A value given for a schedule's option; both strings are borrowed. */
typedef struct pps_gen_setting {
    const char *name;
    const char *value;
} pps_gen_setting;

#define PPS_GEN_MAX_SETTINGS 8

typedef struct pps_gen_params {
    int ranks;        /* P */
    int chunks;       /* v, stages per rank; 0 takes the schedule's default */
    int microbatches; /* M */
    /* Values of the schedule's own options; each name must be one of the row's options. */
    size_t nsettings;
    pps_gen_setting settings[PPS_GEN_MAX_SETTINGS];
    /* The costs the schedule is generated for (resolved for its stages), read only by
     * cost-aware generators; NULL means the defaults of pps_cost_init. Borrowed. */
    const struct pps_cost *cost;
} pps_gen_params;

struct pps_stage_cost;

/* One row of the schedule table. Each generator file under sim/schedules/ defines its own row
 * next to its code, and sim/schedules/list.h names every row once (docs/schedules.md). */
typedef struct pps_generator {
    const char *name;       /* canonical name, e.g. "interleaved-1f1b" */
    const char *aliases;    /* comma-separated, matched case-insensitively, e.g. "Interleaved1F1B" */
    const char *summary;    /* one line for --help and docs */
    pps_placement placement;
    int default_chunks;     /* v used when the user gives none */
    const pps_gen_option *options; /* terminated by a NULL name; NULL when it has none */
    /* Refuses a configuration the schedule cannot take with PPS_EUNSUPPORTED and the reason,
     * or a bad option value with PPS_EINPUT. */
    pps_status (*check)(const pps_gen_params *p, pps_error *err);
    /* Appends the compute-only programs to s, which was created with the right R, S, M. */
    pps_status (*generate)(const pps_gen_params *p, pps_schedule *s, pps_error *err);
    /* idle_over_compute predicted by the literature's formula for uniform per-stage cost c and
     * free communication; NaN where no formula applies. Called through pps_generator_analytic,
     * so p is within limits, accepted by check, and its chunks resolved. NULL: no formula. */
    double (*analytic_idle_over_compute)(const pps_gen_params *p, const struct pps_stage_cost *c);
    /* The bubble time of the literature's formula, seconds: on the rank with the longest compute
     * span, span − busy (pps_analysis.stage_span_idle, the Zero Bubble paper's bubble). Reads the
     * costs from p->cost (resolved for the schedule's stages; NULL: the defaults split over
     * p->chunks). NaN where the formula's assumptions do not hold (stages that differ,
     * communication the formula has no term for, M too small). Called as the one above. */
    double (*analytic_bubble)(const pps_gen_params *p);
    /* Peak activation memory of rank `rank` (in [0, P)), bytes, by the formula; NaN where it
     * does not hold. Called as the one above. */
    double (*analytic_peak)(const pps_gen_params *p, int rank);
} pps_generator;

/* The table's rows, in the order of sim/schedules/list.h: pps_generator_at(i) for i below
 * pps_generator_count() (NULL beyond). Rows are static: nothing to free. */
size_t pps_generator_count(void);
const pps_generator *pps_generator_at(size_t i);
/* Finds by name or alias, case-insensitively; NULL if none. */
const pps_generator *pps_generator_find(const char *name);
/* The option `name` of g, or NULL when g has no such option. */
const pps_gen_option *pps_generator_option(const pps_generator *g, const char *name);

/* The row's analytic idle_over_compute for p and uniform per-stage cost c; NaN when the row has
 * no formula or refuses p (chunks 0 takes the default). */
double pps_generator_analytic(const pps_generator *g, const pps_gen_params *p,
                              const struct pps_stage_cost *c);

/* The row's analytic bubble time (seconds) and peak activation of one rank (bytes) for p, whose
 * cost is read as the row's functions say; NaN when the row has no formula, refuses p, or the
 * rank is out of range (chunks 0 takes the default). */
double pps_generator_analytic_bubble(const pps_generator *g, const pps_gen_params *p);
double pps_generator_analytic_peak(const pps_generator *g, const pps_gen_params *p, int rank);

/* Checks p (limits, that every setting is an option of g, then the generator's check) and
 * returns a new compute-only schedule. A chunks value of 0 takes the generator's default.
 * Caller owns *out; *out is NULL on failure. */
pps_status pps_generate(const pps_generator *g, const pps_gen_params *p, pps_schedule **out,
                        pps_error *err);

/* ------------------------------------------------------------------ cost model */

/* Costs of one micro-batch on one stage. Unset fields are NaN until pps_cost_resolve fills them:
 * t_B = t_I + t_W when only I and W are given, t_I = t_W = t_B / 2 when only B is given. tfb
 * may stay unset (NaN): an overlapped pair then takes the sum of its halves' times. */
typedef struct pps_stage_cost {
    double tf, tb, ti, tw; /* seconds */
    double act_bytes;      /* activation left on the stage by one micro-batch's F (bytes) */
    double act_w_bytes;    /* the part of it still held after I, released by W (bytes) */
    double send_bytes;     /* bytes of one transfer from this stage to a neighbour */
    double tfb;            /* seconds of an OVERLAP_F_B whose forward half runs on this stage and
                              whose backward half is a full B (docs/cost-model.md); NaN: t_F + t_B */
} pps_stage_cost;

/* Number of doubles in pps_stage_cost, in declaration order (tf .. tfb). */
#define PPS_STAGE_COST_FIELDS 8

/* A directed link's cost: a transfer of n bytes takes latency + n / bandwidth. */
typedef struct pps_link {
    double latency;   /* seconds */
    double bandwidth; /* bytes per second; 0 means unlimited */
} pps_link;

/* The cost model. Schedules are compared on the same model, so the uniform values describe one
 * rank's share of the model (its layers under a one-stage-per-rank split) and are split evenly
 * over the stages a rank holds: with v stages per rank each stage gets t/v and bytes/v, while a
 * transfer between stages keeps its full size (send_bytes is not split). Per-stage entries (a
 * costs file's "stages") are taken as given; the fields an entry leaves unset come from the
 * split uniform values. */
typedef struct pps_cost {
    pps_stage_cost uniform; /* one rank's share of the model, for every stage without an entry */
    int nstages;            /* entries in stage[]; 0 = uniform only */
    pps_stage_cost *stage;  /* owned; entries may leave fields NaN to inherit (as given, never
                               changed by resolving) */
    pps_link intra;         /* between ranks of one node */
    pps_link inter;         /* between nodes */
    int ranks_per_node;     /* 0: every rank on one node (all links intra) */
    int comm_sync;          /* 1: communication runs on the compute stream (--comm sync) */
    double t_unshard, t_reshard, t_reduce_grad; /* seconds; 0 by default */
    /* Filled by resolving, read through pps_cost_of_stage: the costs of a stage without an entry
     * (uniform split over v stages per rank), and, when there are entries or a rank holds a
     * number of stages other ranks do not, every stage's costs (resolved[nresolved], owned). */
    pps_stage_cost split;
    int nresolved;
    pps_stage_cost *resolved;
} pps_cost;

/* Defaults: t_F = 1, t_B = 2 (t_I = t_W = 1), activation 1 byte, nothing sent, free links,
 * overlapped communication; tfb unset. */
void pps_cost_init(pps_cost *c);
/* Frees c->stage and the resolved costs; c stays usable as uniform-only. */
void pps_cost_clear(pps_cost *c);
/* Merges a cost JSON file (docs/cost-model.md) into c, which must be initialised
 * (pps_cost_init) or hold costs already: the file's values replace c's, the rest stay. `name`
 * (the path) starts every message. On failure c holds the values merged before the fault and is
 * valid for pps_cost_clear; read into a fresh pps_cost_init to keep nothing of a bad file. The
 * _read form reads the file first (PPS_EIO naming it when it cannot). */
pps_status pps_cost_parse_json(const char *text, size_t len, const char *name, pps_cost *c,
                               pps_error *err);
pps_status pps_cost_read(const char *path, pps_cost *c, pps_error *err);
/* Resolves c for schedule s (only its ranks, stages and placement are read): fills unset times,
 * checks every value is finite and non-negative and that the per-stage entries fit s's stages,
 * then applies the rank-share rule above, dividing the uniform values of a stage by the number
 * of stages its rank holds. May be called again, for another schedule: the entries and the
 * uniform values given are kept. PPS_EINPUT (err->topic PPS_TOPIC_COSTS: the message names no
 * file) for a value out of range or entries that do not fit; PPS_ENOMEM when the per-stage table
 * cannot be allocated. On failure c keeps the values given (unset times may be filled) and is
 * not resolved for s: resolve it again before pricing; pps_cost_clear frees it as always. */
pps_status pps_cost_resolve_for(pps_cost *c, const pps_schedule *s, pps_error *err);
/* The same for `stages` stages, each on its own rank (one stage per rank: nothing is split). */
pps_status pps_cost_resolve(pps_cost *c, int stages, pps_error *err);
/* The resolved costs of one stage. */
pps_stage_cost pps_cost_of_stage(const pps_cost *c, int stage);
/* Duration of a compute (or UNSHARD/RESHARD/REDUCE_GRAD) action, seconds. */
double pps_cost_duration(const pps_cost *c, const pps_action *a);
/* Duration of a transfer of `bytes` from rank src to rank dst, seconds. */
double pps_cost_transfer(const pps_cost *c, int src, int dst, double bytes);

/* ------------------------------------------------------------------ pricing */

/* The numbers the event core reads. A pricing step turns the costs and a schedule's placement
 * into a duration for every action and transfer before the core runs, so that the core knows no
 * cost model: trace-driven replay fills the same numbers from a measured timeline, a what-if
 * edits only the entries it changes, and sweeps reuse the buffers (docs/performance.md).
 *
 * An action is priced by its (kind, stage, micro-batch), which names it in a compute-only
 * schedule and in its lowering alike:
 * - by_stage[s * PPS_KIND_COUNT + k]: seconds for an action of kind k on stage s. For SEND_F
 *   (SEND_B) it is the transfer of stage s's output to stage s + 1 (of its input gradient to
 *   stage s − 1), latency + send_bytes / bandwidth on the link between the two stages' ranks;
 *   RECV_F (RECV_B) holds the transfer it completes, for reference: the core charges a transfer
 *   once, at its send. IDLE and a transfer without a neighbour stage are 0. The OVERLAP_F_B
 *   column holds the stage's t_FB (NaN when the costs leave it unset).
 * - by_cell[k], when not NULL: seconds for kind k per cell (s * microbatches + m), overriding
 *   by_stage for that kind (see pps_prices_override).
 * - An OVERLAP_F_B costs the overlap rule of docs/cost-model.md (pps_cost_duration's) over its
 *   parts priced as above: its F half, the t_FB of its F stage, its B or I half and the W of its
 *   backward cell (so that replay can give an overlapped pair its measured length as its F
 *   half's, with t_FB NaN and the backward 0).
 * - act_bytes / act_w_bytes: per stage, for the activation-memory rules of docs/analysis.md.
 * All times are finite and non-negative when they come from a resolved pps_cost. */
typedef struct pps_prices {
    int stages, microbatches;
    int comm_sync;                   /* 1: communication runs on the compute stream */
    double *by_stage;                /* [stages * PPS_KIND_COUNT], owned */
    double *by_cell[PPS_KIND_COUNT]; /* owned; NULL: that kind is priced by stage */
    double *act_bytes, *act_w_bytes; /* [stages], owned */
    size_t cap_stages;               /* room in the per-stage buffers, reused by pps_price */
} pps_prices;

/* Prices schedule s (compute-only or lowered) under c, resolved for s (pps_cost_resolve_for).
 * p must be zeroed or come from an earlier call: its buffers are reused when large enough (no
 * allocation when re-pricing a schedule of no more stages), and every override is dropped.
 * PPS_EINPUT (err->topic PPS_TOPIC_COSTS) when c was resolved for another number of stages or
 * its times exceed the limits of docs/cost-model.md ("Limits"); PPS_ENOMEM. After a failure p is
 * still valid for pps_prices_clear. */
pps_status pps_price(const pps_schedule *s, const pps_cost *c, pps_prices *p, pps_error *err);

/* Gives kind k per-cell prices (by_cell[k], stages * microbatches entries) initialised from
 * by_stage, for the caller to edit; a no-op when k already has them. Only kinds with a
 * micro-batch take per-cell prices: F, B, I, W, SEND_F and SEND_B (PPS_EINPUT otherwise). */
pps_status pps_prices_override(pps_prices *p, pps_kind k, pps_error *err);

/* Frees p's buffers and zeroes it; a no-op on a zeroed p. */
void pps_prices_clear(pps_prices *p);

/* Seconds for kind k on (stage, mb); stage must be in [0, stages) and, where by_cell[k] is set,
 * mb in [0, microbatches). Inline: the core calls it once per action. */
static inline double pps_price_of(const pps_prices *p, pps_kind k, int stage, int mb)
{
    const double *cell = p->by_cell[k];
    return cell ? cell[(size_t)stage * (size_t)p->microbatches + (size_t)mb]
                : p->by_stage[(size_t)stage * PPS_KIND_COUNT + (size_t)k];
}

/* ------------------------------------------------------------------ timeline */

typedef enum pps_stream {
    PPS_STREAM_COMPUTE = 0,
    PPS_STREAM_SEND = 1, /* the in-order send queue to one peer */
    PPS_STREAM_RECV = 2  /* the in-order receive queue from one peer */
} pps_stream;

/* One executed action. For a RECV, start is when it was posted and end when the data arrived. */
typedef struct pps_event {
    double start, end; /* seconds from the timeline's origin */
    pps_action action;
    int32_t rank;
    int32_t peer;      /* send/recv: the other rank; compute: -1 */
    uint8_t stream;    /* pps_stream */
} pps_event;

/* A predicted or measured run: a header and events. Events are grouped by rank, each rank's in
 * program order. act_bytes/act_w_bytes (per stage) let analysis compute memory for any timeline. */
typedef struct pps_timeline {
    char schedule[64];
    char source[16];   /* "simulated" or "measured" */
    char backend[32];  /* "sim", "cpu", "cuda" */
    int ranks, stages, microbatches, chunks;
    double *act_bytes;   /* [stages] owned, or NULL: 1 byte per micro-batch */
    double *act_w_bytes; /* [stages] owned, or NULL: 0 */
    int incomplete;      /* 1: a measured run stopped early */
    char note[256];      /* free text: hosts, devices, clock notes */
    pps_event *events;
    size_t n, cap;
} pps_timeline;

/* Creates an empty timeline (source "simulated", backend "sim", chunks S/R or 0) of the shape
 * pps_check_shape accepts (PPS_EINPUT otherwise). The caller owns *out (pps_timeline_destroy);
 * NULL on failure. */
pps_status pps_timeline_create(int ranks, int stages, int microbatches, pps_timeline **out,
                               pps_error *err);
void pps_timeline_destroy(pps_timeline *t);
/* Appends a copy of e. PPS_EINPUT when e's rank is out of range, PPS_ENOMEM; t is unchanged on
 * failure. Events are not checked further: pps_timeline_check does that. */
pps_status pps_timeline_append(pps_timeline *t, const pps_event *e, pps_error *err);

/* The rules every timeline obeys (docs/trace.md, "Consistency"), which analysis relies on:
 * - one rank's compute stream runs one event at a time: no two overlap (touching is fine);
 * - each F, B, I, W (an OVERLAP_F_B counts as its two halves) and each SEND_F, RECV_F, SEND_B,
 *   RECV_B runs at most once per stage and micro-batch, and a B never beside an I or W;
 * - a B or I starts no earlier than its F ended, a W no earlier than its I ended;
 * - unless t->incomplete (a measured run stopped early, which may miss events but not overlap
 *   or repeat them), every stage and micro-batch has its F and a whole backward.
 * Returns PPS_EINPUT naming the event as "$.events[I]" (its index in t->events, which is its
 * place in the file) and the rule broken. O(events) time; memory 17 bytes per stage and
 * micro-batch, plus 32 bytes per compute event when a rank's events are not in time order. */
pps_status pps_timeline_check(const pps_timeline *t, pps_error *err);

/* A stream's name as timeline files spell it: "compute", "send:PEER" or "recv:PEER" (a negative
 * peer is written as 0). Writes it with its NUL into buf (PPS_STREAM_TEXT_MAX bytes); returns
 * its length. */
#define PPS_STREAM_TEXT_MAX 16
int pps_stream_format(pps_stream stream, int peer, char *buf);

/* Timeline JSON (docs/trace.md). */
pps_status pps_timeline_write_json(const pps_timeline *t, FILE *fp, pps_error *err);
pps_status pps_timeline_parse_json(const char *text, size_t len, const char *name,
                                   pps_timeline **out, pps_error *err);
pps_status pps_timeline_read(const char *path, pps_timeline **out, pps_error *err);
/* Chrome Trace Event format: ranks as processes, streams as threads, flow arrows send -> recv.
 * Times in microseconds as the format requires. */
pps_status pps_timeline_write_chrome(const pps_timeline *t, FILE *fp, pps_error *err);

/* ------------------------------------------------------------------ event core */

/* Runs the valid schedule s under cost c (resolved for s->stages) with the execution semantics
 * of docs/semantics.md and returns the predicted timeline (caller owns *out). s may be lowered
 * or compute-only; a compute-only schedule runs as its lowering (pps_schedule_lower) would, with
 * the same timeline, without the lowered copy being made. A program that cannot progress gives
 * PPS_EDEADLOCK with each blocked stream's head action and what it waits for. More entry points
 * (summaries without a timeline, given prices, reusable buffers) follow the analysis section. */
pps_status pps_simulate(const pps_schedule *s, const pps_cost *c, pps_timeline **out,
                        pps_error *err);

/* ------------------------------------------------------------------ analysis */

typedef struct pps_rank_stats {
    double busy;            /* seconds of F, B, I, W, OVERLAP_F_B (never bookkeeping, transfers) */
    double idle;            /* makespan - busy */
    double first_start;     /* first compute start (NaN: none); the span's ends, docs/analysis.md */
    double last_end;        /* last compute end (NaN: none) */
    double peak_activation; /* bytes */
    size_t compute_actions;
} pps_rank_stats;

/* The three bubble conventions of docs/analysis.md. */
typedef struct pps_analysis {
    int ranks;
    double makespan;          /* latest end minus earliest start over all events */
    double busy, idle;        /* summed over ranks */
    double idle_over_total;   /* idle / (R · makespan): GPipe's (P-1)/(M+P-1) */
    double idle_over_compute; /* idle / busy: Megatron's (P-1)/M */
    double stage_span_rate;   /* Zero Bubble paper: on the rank with the longest compute span,
                                 (span - busy) / span */
    double stage_span_idle;   /* seconds: span - busy on that rank, the bubble time the Zero
                                 Bubble paper's formulas give; NaN when no rank computes */
    double throughput;        /* micro-batches per second: M / makespan */
    size_t compute_actions;
    pps_rank_stats *per_rank; /* [ranks], owned */
} pps_analysis;

/* Analyses t, which should obey pps_timeline_check (the reader and the simulator guarantee it):
 * on a timeline whose compute events overlap, busy time can exceed the makespan. Fills *out
 * (any prior content is overwritten, not freed); the caller clears it with pps_analysis_clear.
 * PPS_EINPUT for a timeline without events, PPS_ENOMEM; *out is cleared on failure. */
pps_status pps_analyze(const pps_timeline *t, pps_analysis *out, pps_error *err);
void pps_analysis_clear(pps_analysis *a);

/* ------------------------------------------------------------------ summaries (--json) */

/* One run as `ppsim sim --json`, `analyze --json` and `compare --json` report it (docs/cli.md).
 * Every pointer is borrowed. A run that was skipped (compare) has analysis NULL and skipped set. */
typedef struct pps_summary {
    const char *schedule;         /* the schedule's name */
    int ranks, stages, microbatches, chunks;
    const pps_analysis *analysis; /* NULL when skipped */
    /* The literature's values beside the simulated ones (docs/schedules.md); NaN, or NULL,
     * where none applies (written as null). */
    double analytic_idle_over_compute;
    double analytic_stage_span_idle; /* seconds */
    const double *analytic_peak;     /* [ranks] bytes */
    const char *skipped;             /* why the run was skipped; NULL when it ran */
} pps_summary;

/* The summary of timeline t and its analysis a (borrowed: they must outlive the summary),
 * with no analytic values. */
pps_summary pps_summary_of(const pps_timeline *t, const pps_analysis *a);
/* Writes one summary object (pps_summaries_write_json: an array of n) and a newline to fp.
 * Strings are escaped and numbers exact (docs/ir.md, "JSON output"); NaN and infinities are
 * written as null. Returns PPS_EIO when the write fails. */
pps_status pps_summary_write_json(const pps_summary *s, FILE *fp, pps_error *err);
pps_status pps_summaries_write_json(const pps_summary *s, size_t n, FILE *fp, pps_error *err);

/* One step of a rank's activation memory: from time t on, `bytes` are held. */
typedef struct pps_memory_point {
    double t;
    double bytes;
} pps_memory_point;

/* The activation memory time series of one rank (F holds from its start; I releases
 * act - act_w at its end, W the rest at its end, B all at its end; at one instant the releases
 * of actions that ran up to it come first, then zero-length actions in program order, then
 * allocations; docs/analysis.md). Caller frees *points with free(). */
pps_status pps_memory_series(const pps_timeline *t, int rank, pps_memory_point **points,
                             size_t *n, pps_error *err);

/* Every rank's series in one pass over the events: rank r's points are
 * (*points)[(*first)[r] .. (*first)[r + 1]), as pps_memory_series gives them. O(events) when
 * each rank's events are in time order (as the event core writes them); a rank whose are not is
 * sorted. The caller frees *points and *first with free(); both are NULL after a failure. */
pps_status pps_memory_series_all(const pps_timeline *t, pps_memory_point **points,
                                 size_t **first, pps_error *err);

/* Writes every rank's series (as pps_memory_series_all gives them) as the CSV `ppsim sim
 * --memory` writes: a header "rank,time_s,bytes", then a line per point, rank by rank, numbers
 * as printf's "%.17g" writes them. PPS_EIO (err->errnum set when known) when a write fails. */
pps_status pps_memory_write_csv(int ranks, const pps_memory_point *points, const size_t *first,
                                FILE *fp, pps_error *err);

/* ------------------------------------------------------------------ simulation: summaries,
 * prices, the critical path's record, batches (docs/performance.md) */

/* What bound an event's start, as the core recorded it. */
typedef enum pps_bound {
    PPS_BOUND_NONE = 0, /* nothing: it started at time 0 */
    PPS_BOUND_STREAM,   /* the previous event of its stream ended (preferred on ties) */
    PPS_BOUND_INPUT     /* its data input ended: the producing compute action, or the receive
                           that brought it; for a SEND, its producer */
} pps_bound;

/* Why every event of a simulated timeline starts when it does, indexed like its events, so that
 * the critical path follows from the run itself (no re-simulation): an event's start is the end
 * of pred[i] (or 0), and a SEND's or RECV's end is the later of its own start and its partner's,
 * plus the transfer time (a send queue owns its link, so the link never waits on its own). */
typedef struct pps_bounds {
    size_t n;         /* events */
    int32_t *pred;    /* [n]: the event whose end is this event's start; -1 with PPS_BOUND_NONE */
    int32_t *partner; /* [n]: the matching RECV of a SEND and SEND of a RECV; -1 otherwise */
    uint8_t *bound;   /* [n]: pps_bound */
} pps_bounds;

/* Frees b's arrays and zeroes it; a no-op on a zeroed b. */
void pps_bounds_clear(pps_bounds *b);

/* The general entry point: runs the valid schedule s (lowered or compute-only) under prices p
 * (pps_price for s, possibly edited). Each output is optional (NULL: not wanted):
 * - *timeline: as pps_simulate returns it (caller owns it);
 * - *summary: pps_analyze of that timeline, bit for bit, without building it when no timeline
 *   is asked for (caller clears it with pps_analysis_clear);
 * - *bounds: the record above for the timeline's events (needs timeline; caller clears it with
 *   pps_bounds_clear).
 * On failure every output asked for is cleared (NULL, zeroed).
 * A compute-only schedule with overlapped communication runs on the compute streams alone, in
 * O(compute actions) time and memory beyond the outputs; a lowered schedule, or --comm sync,
 * runs on the dependency graph of its lowering (docs/semantics.md). Failures as pps_simulate. */
pps_status pps_simulate_prices(const pps_schedule *s, const pps_prices *p,
                               pps_timeline **timeline, pps_analysis *summary,
                               pps_bounds *bounds, pps_error *err);

/* Trace-driven replay: gives p (priced for the schedule t ran) per-cell prices taken from the
 * events of timeline t, measured or simulated. A compute event's duration is end − start; an
 * OVERLAP_F_B's goes to its F half, its backward half gets 0 and the t_FB of its F stage NaN, so
 * that the pair costs what was measured. A transfer's time is its RECV's end − the later of its
 * SEND's start and the RECV's (the semantics' rule, docs/semantics.md), 0 where that is below 0
 * (two ranks' clocks apart). Cells without an event
 * keep their price. Simulating t's schedule under p then reproduces t's times where the
 * semantics held when it was measured (to rounding: start + (end − start) may differ from end
 * in the last bit). PPS_EINPUT when t's stages and micro-batches are not p's, or an event names
 * a cell out of range; PPS_ENOMEM. */
pps_status pps_prices_from_timeline(pps_prices *p, const pps_timeline *t, pps_error *err);

/* pps_simulate_prices writing the timeline to fp, byte for byte as pps_timeline_write_json
 * writes the timeline pps_simulate_prices gives, and giving the summary (optional). When the
 * stream core runs s, the events are written a rank at a time and never held all at once
 * (memory O(cells + one rank's events), not O(events)). On failure fp may hold part of a
 * document: write to a temporary file (pps_outfile). Failures as pps_simulate_prices, and
 * PPS_EIO when a write fails. */
pps_status pps_simulate_write_json(const pps_schedule *s, const pps_prices *p,
                                   pps_analysis *summary, FILE *fp, pps_error *err);

/* pps_simulate_prices giving the summary (optional) and every rank's activation memory series
 * as pps_memory_series_all of the timeline gives them, without building the timeline. The
 * caller frees *points and *first (NULL after a failure). */
pps_status pps_simulate_memory(const pps_schedule *s, const pps_prices *p,
                               pps_analysis *summary, pps_memory_point **points, size_t **first,
                               pps_error *err);

/* pps_simulate followed by pps_analyze, without the timeline: the same numbers, in a fraction
 * of the time and memory. The caller clears *out with pps_analysis_clear; cleared on failure
 * (pricing failures as pps_price's, err->topic PPS_TOPIC_COSTS among them). */
pps_status pps_simulate_summary(const pps_schedule *s, const pps_cost *c, pps_analysis *out,
                                pps_error *err);

/* Reusable buffers for simulating many configurations (sweeps, planners, what-ifs): after the
 * first few calls a batch allocates nothing per configuration. Not thread-safe: use one batch
 * per thread. */
typedef struct pps_batch pps_batch;

/* An empty batch; the caller owns *out (pps_batch_destroy), NULL on failure (PPS_ENOMEM). */
pps_status pps_batch_create(pps_batch **out, pps_error *err);
void pps_batch_destroy(pps_batch *b);

/* Generates g under p into the batch's schedule, validates it, resolves a copy of c for it
 * (pps_cost_resolve_for: c itself is not changed, and may be resolved or not), prices,
 * simulates and analyses it. *out points into the batch and stays valid until its next call or
 * destroy. Failures as pps_generate, pps_schedule_validate, pps_cost_resolve_for and
 * pps_simulate. */
pps_status pps_batch_run(pps_batch *b, const pps_generator *g, const pps_gen_params *p,
                         const pps_cost *c, const pps_analysis **out, pps_error *err);

/* Simulates and analyses the valid schedule s under prices p (from pps_price, possibly edited)
 * with the batch's buffers; *out as for pps_batch_run. */
pps_status pps_batch_simulate(pps_batch *b, const pps_schedule *s, const pps_prices *p,
                              const pps_analysis **out, pps_error *err);

/* The schedule of the batch's last pps_batch_run (borrowed; NULL before the first). */
const pps_schedule *pps_batch_schedule(const pps_batch *b);

/* ------------------------------------------------------------------ files */

/* Reads a whole file (at most PPS_MAX_FILE_BYTES) into a NUL-terminated buffer the caller frees. */
pps_status pps_file_slurp(const char *path, char **text, size_t *len, pps_error *err);

/* An output file that never destroys anything (docs/cli.md, "Output files"):
 * - a regular file, new or existing, is written to an exclusive temporary file in its directory
 *   and renamed over it on commit, so a failed or interrupted run leaves the old file as it was.
 *   The temporary is unnamed (O_TMPFILE, linked only at commit) where the filesystem allows it,
 *   so that not even SIGKILL leaves one behind; else it is ".NAME.tmp.XXXXXX", created with
 *   O_EXCL | O_NOFOLLOW. The new file keeps the old one's permission bits (not its owner, nor
 *   other hard links to it).
 * - a symbolic link is followed: the regular file it names is replaced, the link stays; a link
 *   to nothing is refused.
 * - a character device or a FIFO is written through (so a full device reports "No space left
 *   on device" at flush or commit); it is never replaced.
 * - a directory, block device or socket is refused.
 * - path "-" is stdout.
 * Write to fp; the other members are private. A zeroed pps_outfile may be aborted. */
typedef struct pps_outfile {
    FILE *fp;
    char *path;  /* the target as given, for messages */
    char *base;  /* the name replaced in dirfd's directory */
    int dirfd;   /* that directory, or -1 */
    int kind;    /* nothing, stdout, written through, temporary */
    int mode;    /* permission bits for the new file, or -1 (0666 less the umask) */
    int unnamed; /* 1: fp is an O_TMPFILE, named only at commit */
    int slot;    /* the signal-cleanup slot of a named temporary, or -1 */
    char tmp[256]; /* the named temporary in dirfd's directory, "" when none */
} pps_outfile;

/* Opens path for writing as above; refuses (PPS_EIO, "PATH: cannot write: REASON") what cannot
 * be written or must not be replaced. On failure nothing is left open. */
pps_status pps_outfile_open(pps_outfile *o, const char *path, pps_error *err);
/* Flushes the stream and reports a write error (say ENOSPC on a device written through); the
 * file stays open. Lets a caller with several outputs find such errors before it renames any. */
pps_status pps_outfile_flush(pps_outfile *o, pps_error *err);
/* Returns st after a writer wrote to o->fp. When st is PPS_EIO, err becomes "PATH: cannot write:
 * REASON" with the reason the writer saw (err->errnum) or, failing that, the one the stream
 * gives. */
pps_status pps_outfile_check(pps_outfile *o, pps_status st, pps_error *err);
/* Flushes, closes and renames the temporary over the target; on failure removes the temporary,
 * leaves the target as it was, and reports why. */
pps_status pps_outfile_commit(pps_outfile *o, pps_error *err);
/* Closes and removes the temporary file; a no-op when nothing is open. */
void pps_outfile_abort(pps_outfile *o);

/* Installs handlers for SIGINT, SIGTERM and SIGHUP that remove the named temporaries of open
 * pps_outfiles and then die of the signal as before; a signal the program already handles or
 * ignores is left alone. Programs with their own handlers call pps_outfile_remove_temps from
 * them instead (it is async-signal-safe). */
void pps_outfile_cleanup_on_signals(void);
void pps_outfile_remove_temps(void);

/* Flushes stdout and reports a write error, now or earlier: "stdout: cannot write: REASON". */
pps_status pps_stdout_flush(pps_error *err);

/* 1 when two output paths name one file: the same text, or (where they exist) the same file
 * found through links, "./" or hard links, or (where neither exists) the same name in the same
 * directory. A character device named twice (say /dev/null) is not counted as the same. */
int pps_outputs_same(const char *a, const char *b);

/* ------------------------------------------------------------------ validation: diff, profiles,
 * calibration (docs/validation-method.md; sim/analysis/diff.c, sim/io/profile_json.c,
 * sim/analysis/calibrate.c) */

/* One matched event of a diff: times shifted so that each timeline's earliest event starts at
 * 0; errors are measured − predicted, seconds. */
typedef struct pps_diff_event {
    pps_action action;
    int32_t rank;
    int32_t peer;      /* as in pps_event */
    uint8_t stream;    /* pps_stream */
    double pred_start, pred_end, meas_start, meas_end;
    double start_error, end_error;
} pps_diff_event;

/* A value of both timelines: rel_error = (meas − pred) / pred (0 when both are equal, NaN when
 * pred is 0 and meas is not); diff = meas − pred in the value's own unit. */
typedef struct pps_diff_value {
    double pred, meas, diff, rel_error;
} pps_diff_value;

/* Median, 90th percentile (linear interpolation between order statistics) and maximum of a set
 * of non-negative errors, seconds; NaN when the set is empty. */
typedef struct pps_diff_dist {
    double median, p90, max;
} pps_diff_dist;

#define PPS_DIFF_WORST 10

typedef struct pps_diff {
    int ranks, stages, microbatches;
    pps_diff_value makespan;
    pps_diff_value idle_over_total, idle_over_compute, stage_span_rate; /* docs/analysis.md */
    pps_diff_value *busy;        /* [ranks], owned: per-rank busy (compute) time */
    size_t matched;              /* events found in both timelines */
    size_t only_pred, only_meas; /* unmatched events of either side */
    pps_diff_dist abs_start_error, abs_end_error; /* over matched events */
    size_t nworst;               /* ≤ PPS_DIFF_WORST */
    pps_diff_event worst[PPS_DIFF_WORST]; /* largest |end error| first */
} pps_diff;

/* Compares a predicted and a measured timeline of one schedule. Ranks, stages and micro-batches
 * must be equal (else PPS_EINPUT naming the field); both must hold events. Events are matched by
 * (rank, stream, peer, action); duplicates of one key are paired in timeline order. Fills *out
 * (caller clears it with pps_diff_clear; cleared on failure). */
pps_status pps_timeline_diff(const pps_timeline *pred, const pps_timeline *meas, pps_diff *out,
                             pps_error *err);
void pps_diff_clear(pps_diff *d);
/* 1 when |makespan relative error| exceeds tolerance or is undefined (NaN), else 0. */
int pps_diff_exceeds(const pps_diff *d, double tolerance);
/* Writes d, the diff of timelines pred and meas (whose headers it names), under `tolerance` as
 * one JSON object (format "ppsim-diff", docs/validation-method.md) and a newline. NaN and
 * infinities are written as null. Returns PPS_EIO when the write fails. */
pps_status pps_diff_write_json(const pps_diff *d, const pps_timeline *pred,
                               const pps_timeline *meas, double tolerance, FILE *fp,
                               pps_error *err);

/* A measured profile written by `ppexec --profile` (format "ppsim-profile", version 1). Times are
 * medians over `repeats` runs, seconds; sizes bytes. */
typedef struct pps_profile_stage {
    int stage, rank;
    double tf, tb, ti, tw;
    double act_bytes, act_w_bytes, send_bytes;
    long repeats;
} pps_profile_stage;

typedef struct pps_profile_link {
    int src, dst;
    double bytes, latency, bandwidth; /* latency s, bandwidth bytes/s */
    double one_way; /* s: measured time of one `bytes` message (informational; 0 = absent) */
    long repeats;
} pps_profile_link;

typedef struct pps_profile {
    char backend[32];
    char note[256];
    int ranks, stages;
    /* $.workload, informational; -1 (bf16: -1) when not given */
    long hidden, tokens, layers;
    int bf16;
    /* $.receiver_copies: a receive's copy runs on the receiving rank's compute thread (CPU
     * backend), so calibration charges it to the consuming compute; 0 when absent */
    int receiver_copies;
    pps_profile_stage *stage_costs; /* [stages], owned, in stage order */
    pps_profile_link *links;        /* [nlinks], owned */
    size_t nlinks;
} pps_profile;

/* Strict reader: unknown fields, wrong types and values out of range are refused with the file,
 * the JSON path and the field. The caller owns *out (pps_profile_destroy). */
pps_status pps_profile_parse_json(const char *text, size_t len, const char *name,
                                  pps_profile **out, pps_error *err);
pps_status pps_profile_read(const char *path, pps_profile **out, pps_error *err);
void pps_profile_destroy(pps_profile *p);
/* Writes p as a profile file that pps_profile_parse_json reads back to the same values (numbers
 * exact; workload fields of -1 left out). PPS_EINPUT when a time or size is not finite (nothing
 * written), PPS_EIO when the write fails. */
pps_status pps_profile_write_json(const pps_profile *p, FILE *fp, pps_error *err);

/* Calibration: initialises *out (pps_cost_init) and fills one entry per stage from the profile
 * and the links from the medians of the profiled links (docs/validation-method.md). The result
 * passes pps_cost_resolve for p->stages. The caller frees it with pps_cost_clear; cleared on
 * failure (PPS_EINPUT "calibrated costs: ..." when the profile's values do not resolve). */
pps_status pps_profile_to_costs(const pps_profile *p, pps_cost *out, pps_error *err);

/* Writes c as a cost JSON file (docs/cost-model.md): every field that is set (not NaN), numbers
 * in their shortest exact form. pps_cost_parse_json into a fresh pps_cost_init gives back the
 * identical fields when all are set (as after calibration), else the same resolved costs. */
pps_status pps_cost_write_json(const pps_cost *c, FILE *fp, pps_error *err);

/* ------------------------------------------------------------------ human-readable units
 * (sim/report/units.c; docs/plots.md "Units"). Three significant digits and a unit, for tables,
 * summaries and plot labels; --json and CSV outputs keep exact numbers instead.
 * Times: ns, µs, ms, s. Bytes: decimal SI units (1 kB = 1000 B, 1 GB = 10^9 B), the units
 * `--act-bytes 3e8` is written in; a GiB is 1.074 GB. */

/* A unit for a set of values: multiply a value in seconds (or bytes) by scale to get the number
 * shown beside name. */
typedef struct pps_unit {
    double scale;
    const char *name; /* "ms", "GB", ... (static) */
} pps_unit;

/* The unit that shows `largest` (seconds / bytes) with 1 to 3 digits before the point;
 * seconds for 0 or anything not finite, and never a unit above s or PB. */
pps_unit pps_unit_time(double largest);
pps_unit pps_unit_bytes(double largest);
/* Writes value·u.scale with three significant digits (trailing zeros kept: "2.50", "12.0",
 * "125", "1250"; 0 gives "0"; a whole number of bytes in B as it is: "4") and no unit; returns
 * the length as snprintf does. */
int pps_format_number(double value, pps_unit u, char *buf, size_t size);
/* "12.0 ms", "1.44 s", "250 µs", "0 s"; "2.40 GB", "512 B". Returns the length as snprintf. */
int pps_format_time(double seconds, char *buf, size_t size);
int pps_format_bytes(double bytes, char *buf, size_t size);

/* ------------------------------------------------------------------ plots (sim/report/;
 * docs/plots.md). Each plot is three files side by side: the data (BASE.dat), a gnuplot script
 * (BASE.gp) that reads it, and the image, BASE being the image path without its extension. The
 * data and the script are written first (both or neither), then gnuplot draws the image into
 * memory, and only a complete image is written over the old one (pps_outfile), so a failure
 * never leaves a partial image. Users restyle by editing BASE.gp and running `gnuplot BASE.gp`
 * in its folder. */

typedef struct pps_plot_options {
    int width, height;   /* image size in pixels; 0 = sized from the content */
    int render;          /* 1 (default): run gnuplot; 0: only write the data and the script */
    int transfers;       /* timeline: a thin row of each rank's outgoing transfers under it */
    double memory_limit; /* memory: bytes; > 0 draws the limit as a line */
    int ranks;           /* sweep: the P drawn; 0: the largest in the sweep */
    const char *title;   /* NULL: the generated title (schedule, P, M, v, bubble) */
    const char *gnuplot; /* the program to run; NULL: "gnuplot", looked up on PATH */
    /* timeline: [t->n] flags, one per event of the timeline drawn, or NULL: the compute events
     * flagged are drawn highlighted as the critical path (pps_critical_path_mark) */
    const uint8_t *critical;
} pps_plot_options;

/* Every option at its default: sized from the content, rendered, no transfers, no limit, the
 * generated title, gnuplot from PATH. */
void pps_plot_options_init(pps_plot_options *o);

/* The colour ppsim's pictures give kind k (0xRRGGBB; Okabe & Ito's palette, told apart with any
 * common colour-vision deficiency): F blue, B orange, I vermillion, W bluish green, OVERLAP_F_B
 * reddish purple, SEND_F sky blue, SEND_B dark yellow, anything else grey. Chunk c of v > 1 is
 * mixed with white by 0.55·c/(v − 1), so later chunks are lighter. */
unsigned pps_plot_colour(pps_kind k, int chunk, int chunks);
/* Black (0) or white (0xFFFFFF): whichever reads better on rgb. */
unsigned pps_plot_text_colour(unsigned rgb);

/* The image path must end in ".png" (pngcairo) or ".svg"; anything else is PPS_EINPUT. When
 * gnuplot is not found or fails, returns PPS_EIO with one line that says how to install it or
 * quotes gnuplot's error, and names the data and script, which are kept. */

/* One row per rank, one box per compute action coloured by kind (chunks of v > 1 in lighter
 * tints), the micro-batch inside boxes wide enough, idle left empty; the title gives schedule,
 * P, M, v and the bubble in its three conventions. In SVG every box carries a <title> (hover
 * text "3F12 start 1.25 ms end 2.50 ms"). */
pps_status pps_plot_timeline(const pps_timeline *t, const pps_plot_options *o, const char *image,
                             pps_error *err);
/* Activation memory over time: one step line per rank (small multiples past 8 ranks). */
pps_status pps_plot_memory(const pps_timeline *t, const pps_plot_options *o, const char *image,
                           pps_error *err);
/* Two timelines of one schedule as paired thin rows per rank (each shifted to start at 0), the
 * makespan and bubble of each in the legend, the worst actions of pps_timeline_diff marked. */
pps_status pps_plot_diff(const pps_timeline *pred, const pps_timeline *meas,
                         const pps_plot_options *o, const char *image, pps_error *err);

/* ------------------------------------------------------------------ sweeps (sim/plan/;
 * docs/sweeps.md): a grid of configurations evaluated in parallel, one row each. */

/* A set of integers in ascending order, each once. */
typedef struct pps_range {
    int *values; /* [n], owned */
    size_t n;
} pps_range;

#define PPS_RANGE_MAX 100000

/* Parses the CLI's RANGE syntax: comma-separated items, each "8", "2-32" (every integer) or
 * "2-256:x2" (geometric: 2, 4, ..., up to 256), every value in [lo, hi]. PPS_EINPUT with the
 * reason (no option name; the caller adds it). The caller clears *out with pps_range_clear;
 * cleared on failure. */
pps_status pps_range_parse(const char *text, long lo, long hi, pps_range *out, pps_error *err);
void pps_range_clear(pps_range *r);

/* What a sweep evaluates: every combination of schedule × P × M × v × t_B/t_F × t_W/t_B, in that
 * order (the last varies fastest). Everything is borrowed. */
typedef struct pps_sweep_grid {
    const pps_generator *const *schedules;
    size_t nschedules;
    const int *ranks, *microbatches;
    size_t nranks, nmicrobatches;
    const int *chunks;        /* v; nchunks 0: each schedule's default */
    size_t nchunks;
    const double *tb_ratio;   /* t_B / t_F of the uniform costs; nratios 0: the costs' t_B */
    size_t nratios;
    const double *w_fraction; /* t_W / t_B (t_I = t_B − t_W); nw 0: the costs' split */
    size_t nw;
    const pps_cost *cost;     /* everything else: links, sizes, per-stage entries (unresolved) */
    /* schedule options (pps_gen_setting); each schedule takes the ones it declares */
    size_t nsettings;
    const pps_gen_setting *settings;
} pps_sweep_grid;

/* Number of configurations in the grid (0 when a dimension is empty). */
size_t pps_sweep_size(const pps_sweep_grid *g);

/* One configuration and what it gave. A configuration the schedule cannot take (or that
 * deadlocks) has status != PPS_OK, its reason, and no results (NaN, 0). */
typedef struct pps_sweep_row {
    size_t index;                 /* position in the grid */
    const pps_generator *gen;
    int ranks, microbatches, chunks; /* chunks as run (the schedule's default resolved) */
    double tf, tb, ti, tw;        /* the uniform costs, one rank's share, seconds */
    pps_status status;
    char reason[256];
    int stages;
    size_t actions, lowered_actions; /* compute actions; all actions after lowering */
    double makespan, idle_over_total, idle_over_compute, stage_span_rate;
    double analytic;              /* idle_over_compute by the schedule's formula; NaN: none */
    double throughput;
    double busy_max, peak_min, peak_max; /* over ranks: seconds, bytes */
} pps_sweep_row;

/* Called about 5 times a second from the thread that called pps_sweep_run. */
typedef void (*pps_sweep_progress)(void *ctx, size_t done, size_t total);

/* Evaluates the configurations of g whose index i has i mod shards == shard (shards 1: all) on
 * `threads` threads (>= 1), calling the library directly. *rows (caller frees) holds them in
 * grid order. Rows for configurations a schedule refuses; PPS_ENOMEM or PPS_EINPUT (a bad
 * grid) stop the sweep. */
pps_status pps_sweep_run(const pps_sweep_grid *g, int threads, size_t shard, size_t shards,
                         pps_sweep_progress progress, void *ctx, pps_sweep_row **rows,
                         size_t *nrows, pps_error *err);

/* Bubble (idle/compute; the analytic value dashed beside it), peak activation and step time
 * against M on a log-2 axis, one line per schedule (and v), for one P (o->ranks) and the first
 * costs of the sweep; three panels side by side (docs/plots.md). */
pps_status pps_plot_sweep(const pps_sweep_row *rows, size_t n, const pps_plot_options *o,
                          const char *image, pps_error *err);

/* Writes the CSV header and rows (docs/sweeps.md): one row per configuration, the --json
 * summary's fields as columns with exact numbers, the reason of a skipped one last. */
pps_status pps_sweep_write_csv(const pps_sweep_row *rows, size_t n, FILE *fp, pps_error *err);
/* Reads a sweep CSV this ppsim wrote (pps_sweep_write_csv or a merge) back into rows (caller
 * frees *rows). PPS_EINPUT naming the file, line and column for anything else. */
pps_status pps_sweep_read_csv(const char *path, pps_sweep_row **rows, size_t *n,
                              pps_error *err);
/* Joins the CSVs of the shards of one sweep (any order) into the CSV one run of the whole grid
 * writes, byte for byte. PPS_EINPUT naming the file when headers differ, a row repeats, or a
 * configuration is missing (a shard not given). */
pps_status pps_sweep_merge_csv(const char *const *paths, size_t n, FILE *fp, pps_error *err);

/* ------------------------------------------------------------------ planner: model description,
 * derived costs, stage balancing, plan (sim/plan/; docs/planner.md, docs/cost-model.md) */

/* Activation recomputation (Korthikanti et al., "Reducing Activation Recomputation in Large
 * Transformer Models", MLSys 2023). */
typedef enum pps_recompute {
    PPS_RECOMPUTE_NONE = 0,  /* every activation the backward needs is kept */
    PPS_RECOMPUTE_SELECTIVE, /* the attention core (QK^T, softmax, dropout, ·V) is recomputed */
    PPS_RECOMPUTE_FULL,      /* only each layer's input is kept; its forward is rerun in backward */
    PPS_RECOMPUTE_COUNT
} pps_recompute;

const char *pps_recompute_name(pps_recompute r); /* "none", "selective", "full" */

/* A transformer, the cluster it trains on and the training setup: the "ppsim-model" JSON file
 * (docs/planner.md). Plain data, no owned memory. Sizes are counts of elements unless named
 * _bytes; a micro-batch holds micro_batch sequences of seq_len tokens. */
typedef struct pps_model {
    char name[64];
    /* $.model */
    int layers, hidden, ffn_hidden, heads, kv_heads, seq_len, vocab;
    int dtype_bytes;       /* bytes of one weight, gradient or activation element: 2 or 4 */
    char dtype[8];         /* "bf16", "fp16", "fp32" */
    int gated_mlp;         /* 1: SwiGLU (three matrices of hidden × ffn_hidden); 0: GeLU (two) */
    int rms_norm;          /* 1: RMSNorm (a weight); 0: LayerNorm (weight and bias) */
    int bias;              /* 1: linear layers have biases */
    int dropout;           /* 1: dropout masks are kept (1 byte per element) */
    int learned_positions; /* 1: a learned position embedding of seq_len × hidden */
    int tied_embeddings;   /* 1: the LM head uses the embedding matrix */
    int embedding_last;    /* 0: the embedding sits on the first stage; 1: on the last */
    int lm_head_first;     /* 0: the LM head (final norm, projection, loss) on the last stage */
    /* $.cluster */
    char gpu[64];
    double peak_flops;     /* FLOP/s of one GPU at dtype */
    double efficiency[3];  /* achieved fraction of peak_flops for F, I and W, in (0, 1] */
    double memory_bytes;   /* memory of one GPU */
    int gpus_per_node;
    pps_link intra, inter; /* one GPU's link inside a node and between nodes */
    /* $.cluster.calibration: measured per-stage times replace `efficiency` (docs/cost-model.md) */
    int calibrated;        /* 1 when a calibration was read */
    char calibration[256]; /* the costs file, as resolved against the model file's folder */
    int calib_layers, calib_tp, calib_micro_batch;
    double calib_t[3];     /* median over the file's stages of t_F, t_I, t_W (seconds) */
    /* $.training */
    long global_batch;     /* sequences per step */
    int micro_batch;       /* sequences per micro-batch; 0: the planner searches */
    int sequence_parallel; /* 1: Megatron-LM's sequence parallelism alongside TP */
    int zero1;             /* 1: optimizer state sharded over DP (ZeRO stage 1) */
    int recompute;         /* a pps_recompute, or -1: the planner searches */
    int pp, tp, dp;        /* $.training.layout; 0: the planner searches */
} pps_model;

/* Strict reader of a "ppsim-model" file: unknown fields, wrong types, values out of range and
 * inconsistent shapes (heads not dividing hidden, ...) are refused with the file, the JSON path
 * and the field. `name` is the file's path: a calibration costs file named inside is read
 * relative to its folder. */
pps_status pps_model_parse_json(const char *text, size_t len, const char *name, pps_model *out,
                                pps_error *err);
pps_status pps_model_read(const char *path, pps_model *out, pps_error *err);

/* How the model is split and run. */
typedef struct pps_layout {
    int pp, tp, dp;        /* pipeline ranks, tensor- and data-parallel degrees */
    int chunks;            /* v: stages per pipeline rank (S = pp · v) */
    int micro_batch;       /* sequences per micro-batch */
    pps_recompute recompute;
    int sequence_parallel; /* with tp > 1 */
    int zero1;
} pps_layout;

/* The layout the model file asks for, with the planner's defaults where it leaves a choice
 * (chunks 1, micro_batch 1, recompute none, pp/tp/dp 1). */
pps_layout pps_model_layout(const pps_model *m);

/* Costs of one piece of the model for one micro-batch on one GPU of its tensor-parallel group. */
typedef struct pps_piece_costs {
    double flops_f, flops_i, flops_w; /* FLOPs on one GPU; recomputation included in flops_i */
    double tf, ti, tw;                /* seconds: FLOPs at the achieved rate, plus comm_* */
    double comm_f, comm_i;            /* seconds of tensor-parallel all-reduces in tf and ti */
    double act_bytes;                 /* activation held from F until the backward */
    double act_w_bytes;               /* the part of it still held after I, until W */
    double params;                    /* parameters on one GPU */
} pps_piece_costs;

/* Everything derived from a model and a layout (docs/cost-model.md, "Derived costs"). */
typedef struct pps_model_costs {
    pps_piece_costs layer;     /* one transformer layer */
    pps_piece_costs embedding; /* token (and position) embedding */
    pps_piece_costs lm_head;   /* final norm, output projection and loss */
    double send_bytes;         /* one stage-boundary transfer, per GPU */
    double model_flops;        /* FLOPs of one training step of the whole model, without
                                  recomputation: the numerator of MFU */
    int microbatches;          /* M = global_batch / (micro_batch · dp) */
} pps_model_costs;

/* Parameter count of the whole model (tied embeddings counted once). */
double pps_model_params(const pps_model *m);

/* Derives the costs of m under layout l. Refuses a layout the model cannot take (tp not
 * dividing heads, kv_heads or ffn_hidden; a global batch that dp · micro_batch does not divide;
 * ...) with PPS_EUNSUPPORTED and the reason. */
pps_status pps_model_derive(const pps_model *m, const pps_layout *l, pps_model_costs *out,
                            pps_error *err);

/* A contiguous partition of the model's layers into stages. layers[s] ≥ 1, summing to the
 * model's layers; stage s runs on rank stage_rank[s]. */
typedef struct pps_partition {
    int stages, ranks;
    int *layers;         /* [stages] */
    int32_t *stage_rank; /* [stages] */
} pps_partition;

/* The costs file the simulator reads for partition p: one entry per stage (layers, plus the
 * embedding and LM head on their stages), the links of m, and pipeline ranks per node from the
 * layout (TP innermost, then DP, then PP: docs/cost-model.md). *out is initialised here; the
 * caller frees it with pps_cost_clear; cleared on failure. */
pps_status pps_model_stage_costs(const pps_model *m, const pps_layout *l,
                                 const pps_model_costs *mc, const pps_partition *p,
                                 pps_cost *out, pps_error *err);

/* Per pipeline rank: bytes of parameters, gradients and optimizer state (16 per parameter;
 * ZeRO-1 shards the optimizer's part over DP), and seconds of the data-parallel gradient
 * all-reduce (ring) at the end of the step. Arrays of p->ranks entries. */
void pps_model_rank_static(const pps_model *m, const pps_layout *l, const pps_model_costs *mc,
                           const pps_partition *p, double *static_bytes, double *dp_seconds);

/* One configuration simulated. */
typedef struct pps_plan_eval {
    double step_time;   /* seconds: over ranks, the last compute end plus the DP all-reduce */
    double makespan;    /* seconds: the pipeline alone */
    double bubble;      /* the pipeline's idle / (P · makespan) */
    double peak_bytes;  /* over ranks, the most of static + peak activation */
    int peak_rank;      /* the rank holding it */
    double *rank_act;   /* [ranks] owned: peak activation bytes per rank */
    double *rank_static;/* [ranks] owned: static bytes per rank */
} pps_plan_eval;

void pps_plan_eval_clear(pps_plan_eval *e);

/* Generates schedule g for the layout (M from the global batch), simulates it under the costs
 * of partition p and fills *out (caller clears it with pps_plan_eval_clear; cleared on
 * failure). `settings` (may be NULL) are the schedule's
 * own options. The schedule's refusal comes back as PPS_EUNSUPPORTED. */
pps_status pps_plan_evaluate(const pps_model *m, const pps_layout *l, const pps_generator *g,
                             const pps_partition *p, pps_plan_eval *out, pps_error *err);

/* Partitions: pps_partition_create allocates an even split of `layers` over `stages` stages
 * placed on `ranks` ranks by `placement` (loop or V), the extra layers going to the middle
 * stages. Caller frees with pps_partition_destroy. Refuses stages > layers (PPS_EUNSUPPORTED). */
pps_status pps_partition_create(int layers, int stages, int ranks, pps_placement placement,
                                pps_partition **out, pps_error *err);
void pps_partition_destroy(pps_partition *p);

/* Stage balancing (docs/planner.md): chooses the contiguous partition of the layers into p's
 * stages with the lowest simulated step time of g under l among those whose peak memory stays
 * within memory_limit bytes (0: no limit). It starts from the better of p as given and the
 * partition that evens out per-rank compute (layers plus the embedding and LM head), then moves
 * one layer at a time across a stage boundary while the simulation says it helps; when the
 * partitions are no more than max_evals, it simulates every one. At most max_evals simulations
 * (0: 32). p is changed in place and *out describes it (caller clears it with
 * pps_plan_eval_clear; cleared on failure). When no partition
 * fits the limit, p is the one with the least peak memory found. */
pps_status pps_balance(const pps_model *m, const pps_layout *l, const pps_generator *g,
                       pps_partition *p, double memory_limit, int max_evals, pps_plan_eval *out,
                       pps_error *err);

/* Why a configuration was dropped. */
typedef enum pps_plan_reject {
    PPS_REJECT_MEMORY = 0,   /* simulated peak memory over the limit */
    PPS_REJECT_STATIC,       /* parameters, gradients and optimizer state alone over the limit */
    PPS_REJECT_SCHEDULE,     /* the schedule refuses it (M < P, M < 2P, ...) */
    PPS_REJECT_LAYERS,       /* more stages than layers */
    PPS_REJECT_TP,           /* tp does not divide heads, kv_heads or ffn_hidden */
    PPS_REJECT_BATCH,        /* dp · micro_batch does not divide the global batch */
    PPS_REJECT_RECOMPUTE,    /* full recomputation with a split backward (not modelled) */
    PPS_REJECT_COUNT
} pps_plan_reject;

const char *pps_plan_reject_name(pps_plan_reject r);

typedef struct pps_plan_options {
    int gpus;              /* N = pp · tp · dp */
    double memory_limit;   /* bytes per GPU; 0: the model's memory_bytes */
    int top;               /* best candidates returned; 0: 5 */
    int threads;           /* worker threads; 0: 1 */
    /* Restrictions of the search; an empty list (n = 0) searches every value. */
    const pps_generator *const *gens; size_t ngens; /* schedules (default every row) */
    const int *pp; size_t npp;
    const int *tp; size_t ntp;
    const int *chunks; size_t nchunks;             /* v for multi-chunk rows (default 2, 4) */
    const int *micro_batch; size_t nmicro_batch;   /* default the model's, else 1, 2, 4 */
    int recompute_mask;    /* bit r: try pps_recompute r; 0: the model's, else all */
    int sequence_parallel; /* -1: the model's */
    long global_batch;     /* 0: the model's */
    int max_evals;         /* balancing budget per refined candidate; 0: default */
    int even_split;        /* 1: every stage gets the even split of layers, no balancing */
    /* Called from worker threads (serialised) as candidates finish; may be NULL. */
    void (*progress)(void *ctx, size_t done, size_t total);
    void *progress_ctx;
} pps_plan_options;

typedef struct pps_plan_candidate {
    const pps_generator *gen;
    pps_layout layout;
    int microbatches;
    pps_partition *partition; /* owned */
    double even_step_time;    /* seconds with the even split of layers */
    pps_plan_eval eval;       /* owned arrays */
    double tokens_per_s;
    double mfu;               /* model_flops / (step_time · gpus · peak_flops) */
    double act_budget;        /* bytes of activation per rank a cost-reading schedule (zb-auto)
                                 was given as its memory limit: the limit less the largest static
                                 part; 0 for the other schedules */
} pps_plan_candidate;

typedef struct pps_plan_result {
    size_t considered;        /* configurations looked at */
    size_t simulated;         /* of them, simulated */
    size_t fits;              /* simulated and within the memory limit */
    size_t pruned;            /* not simulated: a lower bound on their step time (docs/planner.md)
                                 exceeded the step times of as many candidates as are balanced;
                                 the count depends on the order threads finish in */
    size_t rejected[PPS_REJECT_COUNT];
    double memory_limit;      /* bytes, as applied */
    pps_plan_candidate *best; /* [nbest] owned, fastest first */
    size_t nbest;
} pps_plan_result;

/* Searches schedule × micro-batch size (hence M) × v × recomputation × PP/TP/DP split for m on
 * o->gpus GPUs, simulates each configuration, drops those over the memory limit, balances the
 * stages of the best and returns the o->top fastest. No configuration fitting is not an error
 * (nbest 0). The caller clears *out with pps_plan_result_clear; cleared on failure. */
pps_status pps_plan(const pps_model *m, const pps_plan_options *o, pps_plan_result *out,
                    pps_error *err);
void pps_plan_result_clear(pps_plan_result *r);

/* ------------------------------------------------------------------ reports (sim/report/;
 * docs/plots.md, "Reports") */

/* What `ppsim report DIR` puts in DIR/index.md (Markdown that renders on GitHub as it is) and
 * beside it. Everything is borrowed. */
typedef struct pps_report {
    const char *dir;
    const char *command;          /* the command that made it, shown; NULL: none */
    const pps_timeline *timeline; /* the configuration's predicted run */
    const pps_cost *cost;         /* its costs as given (not resolved), shown */
    const char *costs_file;       /* where per-stage costs came from; NULL: flags only */
    double analytic;              /* the schedule's formula for idle/compute; NaN: none */
    const pps_sweep_row *compare; /* every schedule on the same P, M and costs (a sweep) */
    size_t ncompare;
    const pps_sweep_row *sweep;   /* rows of a sweep over M, for the sweep plot; NULL: none */
    size_t nsweep;
    const pps_timeline *measured; /* a measured run of the same schedule; NULL: none */
    const char *measured_name;    /* its file, shown */
    pps_plot_options plot;        /* how the images are drawn (render, gnuplot, sizes) */
} pps_report;

/* Writes the report into a new folder beside r->dir and puts it in r->dir's place in one step
 * (replacing an earlier report there; anything else at r->dir is refused), so a reader sees the
 * old report or the new one, never a mix. Files: index.md, the timeline (timeline.json), the
 * tables' data (compare.csv, sweep.csv), and each image with its data and gnuplot script. When
 * gnuplot is missing or fails nothing is replaced (the error says how to install it; with
 * r->plot.render 0 the report is written without its images). */
pps_status pps_report_write(const pps_report *r, pps_error *err);

/* ------------------------------------------------------------------ explain: the critical path
 * (sim/explain/; docs/explain.md) */

/* One stretch of the critical path. The path is a chain of segments, each starting where the one
 * before it ends, from the step's first instant to its last, so their lengths sum to the
 * makespan. A compute segment is one compute action, start to end. A transfer segment is one
 * message, from the later of its SEND's and RECV's starts (when it could move) to its end. */
typedef struct pps_path_segment {
    double start, end;  /* seconds, on the timeline's clock */
    pps_action action;  /* compute: the action; transfer: its SEND */
    int32_t event;      /* index into the timeline's events: the compute event, or the RECV */
    int32_t rank;       /* compute: its rank; transfer: the sending rank */
    int32_t peer;       /* transfer: the receiving rank; compute: -1 */
    uint8_t transfer;   /* 1: a transfer segment */
    uint8_t order;      /* 1: the next segment waited for this one to free its stream (compute)
                           or its queue (transfer), not for its data; 0: for its data, or it
                           is the last */
} pps_path_segment;

/* The critical path of a simulated run and where its time goes. Shares are seconds of the
 * path, which sum (with transfer_seconds) to the makespan. */
typedef struct pps_critical_path {
    pps_path_segment *seg;   /* [n], owned, in time order */
    size_t n;
    double makespan;         /* the timeline's: latest end minus earliest start */
    double origin;           /* seg[0].start, the timeline's earliest start */
    int ranks;
    double *rank_seconds;    /* [ranks], owned: compute segments on each rank */
    double kind_seconds[PPS_KIND_COUNT]; /* compute segments by kind (OVERLAP_F_B its own) */
    double compute_seconds;  /* all compute segments */
    double transfer_seconds; /* all transfer segments: communication on the path */
    double stream_wait_seconds; /* compute segments the next one waited for as the stream's
                                   previous action ("a stream busy with an earlier action") */
    double queue_wait_seconds;  /* transfer segments the next transfer waited for in its queue
                                   ("a queue held by an earlier transfer") */
} pps_critical_path;

/* Follows the record of what bound each start (pps_simulate_prices with bounds) back from the
 * event that ends last (a compute event where one ends last; the first such in event order), so
 * nothing is simulated again: from a compute event to the event that bound its start, from a
 * transfer to whichever of its SEND and RECV started later (the SEND on a tie), until an event
 * that started at time 0 unbound. Where several chains are equally long the record's choice
 * (a stream's previous action over an input on a tie) picks one. t and b must come from one
 * run. Fills *out (caller clears it with pps_critical_path_clear, also after a failure).
 * PPS_EINPUT when b does not describe t (sizes, or a chain that does not close). */
pps_status pps_critical_path_find(const pps_timeline *t, const pps_bounds *b,
                                  pps_critical_path *out, pps_error *err);
void pps_critical_path_clear(pps_critical_path *p);

/* Writes the path compactly, one line per stretch on one rank, runs of one kind and stage over
 * consecutive micro-batches folded ("rank 3: F0..F7 (8 × 1.00 s)"; the stage is written where a
 * rank holds several), transfers that take time on lines of their own, then the share of the
 * makespan per rank, per kind and in communication. t is the timeline the path came from. */
pps_status pps_critical_path_write_text(const pps_critical_path *p, const pps_timeline *t,
                                        FILE *fp, pps_error *err);

/* ------------------------------------------------------------------ explain: sensitivities
 * (sim/explain/sensitivity.c; docs/explain.md) */

/* How the makespan moves with one cost: kind F, B, I or W of a stage (its compute time), or
 * SEND_F (SEND_B) of a stage (the transfer of its output to the next stage, of its input
 * gradient to the one before: the link's latency + bytes / bandwidth). Seconds of makespan per
 * unit relative change of the cost, so that a step of x·cost changes the makespan by x times
 * the figure (−10%: −0.1 × figure). */
typedef struct pps_sensitivity {
    pps_kind kind;
    int stage;
    double cost;      /* seconds: the stage's price (the mean of its cells when priced by cell) */
    double on_path;   /* seconds of the critical path this cost makes: the derivative the path
                         gives (exact while that path stays the only critical one) */
    size_t count;     /* the path's segments of this cost */
    double d_down;    /* re-simulated at cost × (1 − 1e-6): the derivative for a decrease, the
                         least on_path over all critical paths when several tie; NaN: not run */
    double d_up;      /* the same for an increase, the greatest; NaN: not run */
    double sim_minus; /* makespan at cost × 0.9 minus the makespan, seconds; NaN: not run */
    double sim_plus;  /* makespan at cost × 1.1 minus the makespan, seconds; NaN: not run */
} pps_sensitivity;

/* Peak activation memory against one stage's activation bytes (the rank with the highest peak:
 * its peak is `held` × act_bytes of this stage plus the other stages' terms). */
typedef struct pps_memory_sensitivity {
    int stage;
    double act_bytes; /* bytes per micro-batch */
    double held;      /* d peak / d act_bytes: this stage's activations held at the peak */
} pps_memory_sensitivity;

typedef struct pps_sensitivities {
    pps_sensitivity *item; /* [n], owned: every non-zero cost; the re-simulated ones first, by
                              sim_minus (greatest gain first), then by on_path */
    size_t n;
    double makespan;       /* seconds */
    int peak_rank;         /* the rank with the highest peak activation memory */
    double peak;           /* its peak, bytes */
    pps_memory_sensitivity *memory; /* [nmemory], owned: the stages that rank holds */
    size_t nmemory;
} pps_sensitivities;

/* The sensitivities of schedule s under prices p (those t was simulated with; path is t's
 * critical path). Every cost's on_path comes from the path; the `top` with the greatest on_path
 * (0: all) are re-simulated four times each (±1e-6 and ±10%; pps_batch_simulate, without a
 * timeline). p is changed during the call and restored bit for bit. Memory sensitivities read
 * t's events. Fills *out (caller clears it with pps_sensitivities_clear, also after a failure).
 * Failures as pps_simulate; PPS_EINPUT when p, s and t disagree on the stages. */
pps_status pps_sensitivities_compute(const pps_schedule *s, pps_prices *p,
                                     const pps_critical_path *path, const pps_timeline *t,
                                     size_t top, pps_sensitivities *out, pps_error *err);
void pps_sensitivities_clear(pps_sensitivities *s);

/* Writes the sensitivities as text: one line per re-simulated cost ("stage 7 t_B: −10% → step
 * −4.1% (path: −4.1%)"), then the peak memory's line. */
pps_status pps_sensitivities_write_text(const pps_sensitivities *s, FILE *fp, pps_error *err);

/* Flags (marks[i] = 1, else 0) the compute events of timeline t that are compute segments of
 * path p, found in timeline pt (the run p was followed in: t itself, or its replay), matched by
 * rank and action; returns how many were marked. marks has room for t->n. PPS_ENOMEM. */
pps_status pps_critical_path_mark(const pps_critical_path *p, const pps_timeline *pt,
                                  const pps_timeline *t, uint8_t *marks, size_t *marked,
                                  pps_error *err);

/* Where two critical paths part: their compute segments that take time, compared in order by
 * rank and action. Returns 1 when the sequences are equal; else 0, with *at_a and *at_b (each
 * optional) the index in a->seg and b->seg of the first compute segment that differs (n when
 * one sequence ends first). */
int pps_critical_path_same(const pps_critical_path *a, const pps_critical_path *b, size_t *at_a,
                           size_t *at_b);

/* ------------------------------------------------------------------ explain: replay
 * (sim/explain/replay.c; docs/explain.md) */

/* The schedule timeline t names (t->schedule, ranks, micro-batches, chunks; generated with the
 * row's default options), and c resolved for it. Caller destroys *out (NULL after a failure).
 * PPS_EINPUT naming $.schedule when no row has that name, $.stages when the shapes differ;
 * failures of pps_generate and pps_cost_resolve_for. */
pps_status pps_replay_schedule(const pps_timeline *t, pps_cost *c, pps_schedule **out,
                               pps_error *err);

/* A trace-driven replay: t's schedule re-simulated with t's durations (pps_prices_from_timeline
 * over the prices of c), its record for the critical path, and its diff against t. */
typedef struct pps_replay {
    pps_schedule *sched;    /* owned: the schedule t names (compute-only) */
    pps_prices prices;      /* owned: c's prices, then t's durations */
    pps_timeline *timeline; /* owned: the replay */
    pps_bounds bounds;      /* owned: its record */
    pps_diff diff;          /* the replay (predicted) against t (measured) */
} pps_replay;

/* Replays t (which should obey pps_timeline_check) with costs c for the cells t has no event
 * for (c is resolved for the schedule by the call). Fills *out (caller clears it with
 * pps_replay_clear, also after a failure). Failures as pps_replay_schedule,
 * pps_prices_from_timeline, pps_simulate_prices and pps_timeline_diff. */
pps_status pps_replay_timeline(const pps_timeline *t, pps_cost *c, pps_replay *out,
                               pps_error *err);
void pps_replay_clear(pps_replay *r);

/* The prediction's error split by cost source: makespans of the replay's schedule priced four
 * ways, seconds. The replay is exact where the semantics held, so replay − model is the
 * prediction's cost error, and the two mixed runs say how much of it the compute durations and
 * the transfers carry. */
typedef struct pps_replay_split {
    double model;         /* every price from the cost model: the prediction */
    double compute_meas;  /* measured compute durations, the model's transfers */
    double transfer_meas; /* the model's compute durations, measured transfers */
    double replay;        /* every price measured: the replay */
} pps_replay_split;

/* Fills *out for replay r and the model's prices for r->sched (pps_price under the costs).
 * r's prices are changed during the call and restored. PPS_EINPUT when model's shape is not
 * r's; failures as pps_simulate. */
pps_status pps_replay_split_error(pps_replay *r, const pps_prices *model, pps_replay_split *out,
                                  pps_error *err);

/* ------------------------------------------------------------------ explain: what-if
 * (sim/explain/what_if.c; docs/explain.md) */

/* The cost a what-if changes: a stage's price of F, B, I or W (seconds per action, every
 * micro-batch's where priced by cell), or its activation bytes per micro-batch (act; the part
 * kept for W keeps its share). */
typedef enum pps_what_if_cost {
    PPS_WHAT_IF_TF, PPS_WHAT_IF_TB, PPS_WHAT_IF_TI, PPS_WHAT_IF_TW, PPS_WHAT_IF_ACT
} pps_what_if_cost;

/* One change, as written "stage N COST OPVALUE": op '*' multiplies the cost by value, '=' sets
 * it, '+' adds value (seconds or bytes). */
typedef struct pps_what_if {
    int stage;
    pps_what_if_cost cost;
    char op;
    double value;
} pps_what_if;

/* "tf", "tb", "ti", "tw", "act". */
const char *pps_what_if_cost_name(pps_what_if_cost c);
/* Parses text: one or more changes separated by commas, each "stage N COST OP VALUE" (blanks
 * between the operator and its neighbours optional: "stage 7 tb *0.9", "stage 7 tb * 0.9"),
 * COST one of tf, tb, ti, tw, act, OP one of * = +. Appends them to out (room for max, *n
 * already used). PPS_EINPUT naming text and the bad token ("'stage 7 tq *0.9': 'tq' is not a
 * cost (tf, tb, ti, tw or act)"); a factor or value below 0 is refused (an added one may be). */
pps_status pps_what_if_parse(const char *text, pps_what_if *out, size_t max, size_t *n,
                             pps_error *err);
/* Writes w as it parses ("stage 7 tb *0.9"). */
void pps_what_if_format(const pps_what_if *w, char *buf, size_t size);
/* Applies the n changes in order to p, priced for s. PPS_EINPUT when a stage is out of range,
 * the stage runs no action of the kind changed (tb on a split backward: change ti and tw), or
 * a time or size would be negative. */
pps_status pps_what_if_apply(const pps_schedule *s, pps_prices *p, const pps_what_if *w,
                             size_t n, pps_error *err);

/* What a what-if compares: makespan (seconds), bubble (idle/total) and the highest peak of
 * activation memory over the ranks (bytes; peak_rank holds it). */
typedef struct pps_what_if_figures {
    double makespan, idle_over_total, peak;
    int peak_rank;
} pps_what_if_figures;

typedef struct pps_what_if_result {
    pps_what_if_figures before, after;
} pps_what_if_result;

/* Simulates s under p (before) and under a copy of p with the n changes applied (after); p is
 * not changed. Failures as pps_what_if_apply and pps_simulate. */
pps_status pps_what_if_run(const pps_schedule *s, const pps_prices *p, const pps_what_if *w,
                           size_t n, pps_what_if_result *out, pps_error *err);
/* The changes, then before and after side by side: makespan, bubble, peak memory. */
pps_status pps_what_if_write_text(const pps_what_if *w, size_t n, const pps_what_if_result *r,
                                  FILE *fp, pps_error *err);

/* ------------------------------------------------------------------ explain: advice
 * (sim/explain/advice.c; docs/explain.md lists the rules) */

/* The rules' thresholds (docs/explain.md). */
#define PPS_ADVICE_MB_PER_RANK 4     /* microbatches: M below this many times P */
#define PPS_ADVICE_BUBBLE 0.20       /* bubble: idle/total above this */
#define PPS_ADVICE_UNBALANCED 1.10   /* unbalanced: the slowest stage over the mean above this */
#define PPS_ADVICE_COMM_SHARE 0.10   /* communication: transfers' share of the path above this */
#define PPS_ADVICE_MEMORY_GAIN 0.10  /* memory-schedule: another schedule holds this much less */
#define PPS_ADVICE_SAME_TIME 0.01    /* ... at a makespan no more than this much longer */
#define PPS_ADVICE_ZB_GAIN 0.05      /* zero-bubble: a zero-bubble schedule this much faster */
#define PPS_ADVICE_MAX 8

/* One finding: the rule's name, its evidence, the fix with its simulated gain, and the rule's
 * figure before and after the fix (microbatches, bubble: idle/total; unbalanced, communication,
 * zero-bubble: makespan, seconds; memory-schedule, memory-budget: peak bytes). */
typedef struct pps_advice_item {
    char rule[24];
    char finding[320];
    char fix[384];
    double before, after;
} pps_advice_item;

typedef struct pps_advice {
    pps_advice_item item[PPS_ADVICE_MAX];
    size_t n;
} pps_advice;

/* What the rules read: the run, and how to make others like it. All borrowed. */
typedef struct pps_advice_input {
    const pps_generator *gen;   /* the run's schedule; NULL (a file): the rules that simulate
                                   other schedules or another M are skipped */
    pps_gen_params params;      /* its P, M, v (chunks resolved) and options */
    const pps_cost *cost;       /* the run's costs */
    const pps_schedule *sched;  /* the run */
    const pps_prices *prices;   /* its prices */
    const pps_analysis *analysis;
    const pps_critical_path *path;
    double memory_budget;       /* bytes per rank; 0: no budget */
} pps_advice_input;

/* Applies every rule (microbatches, bubble, unbalanced, communication, memory-schedule,
 * memory-budget, zero-bubble) and simulates each fix (pps_batch). Fills *out. Failures of the
 * run's own re-simulation as pps_simulate; a schedule that refuses a what-if is left out. */
pps_status pps_advise(const pps_advice_input *in, pps_advice *out, pps_error *err);
/* The finding of rule `rule`, or NULL when it did not trigger. */
const pps_advice_item *pps_advice_find(const pps_advice *a, const char *rule);
pps_status pps_advice_write_text(const pps_advice *a, FILE *fp, pps_error *err);

/* ------------------------------------------------------------------ explain: --json
 * (sim/io/explain_json.c; docs/explain.md, "JSON") */

/* One explanation as `ppsim explain --json` writes it; every member borrowed. The sections
 * that were not computed are NULL (written as null). */
typedef struct pps_explanation {
    const pps_timeline *timeline;        /* the run explained (its header and events: the
                                            segments' labels) */
    const pps_critical_path *path;
    const pps_sensitivities *sens;
    const pps_advice *advice;            /* NULL: --no-advice, or a timeline */
    const pps_diff *replay;              /* a timeline's replay against it; NULL for a run */
    const char *replay_of;               /* the timeline's path (with replay) */
    const pps_what_if *what_if;          /* [nwhat_if] changes; with what_if_result */
    size_t nwhat_if;
    const pps_what_if_result *what_if_result;
} pps_explanation;

/* Writes e as one JSON object (format "ppsim-explain", docs/explain.md) and a newline; numbers
 * exact, NaN as null. PPS_EIO when the write fails. */
pps_status pps_explanation_write_json(const pps_explanation *e, FILE *fp, pps_error *err);

#endif /* PPSIM_H */
