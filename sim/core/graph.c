/* graph.c — builds the dependency graph of a lowered schedule (see graph.h). */
#include "graph.h"

#include <stdlib.h>
#include <string.h>

/* Directed lane src -> dst: its sends (on src) and receives (on dst), each in program order. */
typedef struct lane {
    int32_t src, dst;
    size_t nsend, nrecv;
    int32_t *send, *recv; /* fill cursors during the second pass reuse nsend/nrecv */
    int32_t send_stream, recv_stream;
} lane;

/* The lanes touching one rank, found by linear scan: a rank has few neighbours. */
typedef struct lane_ref {
    int32_t peer;
    int32_t out; /* lane index rank -> peer, or -1 */
    int32_t in;  /* lane index peer -> rank, or -1 */
} lane_ref;

typedef struct builder {
    const pps_schedule *s;
    ppsg_graph *g;
    lane *lanes;
    size_t nlanes, caplanes;
    lane_ref **refs; /* [ranks] */
    size_t *nrefs, *caprefs;
    int32_t *at_f, *at_bi, *at_rf, *at_rb; /* [S·M] action ids, -1 */
} builder;

int ppsg_peer(const pps_schedule *s, const pps_action *a)
{
    int nb;
    switch ((pps_kind)a->kind) {
    case PPS_SEND_F: case PPS_RECV_B: nb = a->stage + 1; break;
    case PPS_RECV_F: case PPS_SEND_B: nb = a->stage - 1; break;
    default: return -1;
    }
    return nb >= 0 && nb < s->stages ? s->stage_rank[nb] : -1;
}

void ppsg_locate(const ppsg_graph *g, int32_t id, int *rank, size_t *pos)
{
    int lo = 0, hi = g->s->ranks - 1;
    while (lo < hi) { /* the last rank whose base is <= id */
        int mid = (lo + hi + 1) / 2;
        if (g->rank_base[mid] <= (size_t)id)
            lo = mid;
        else
            hi = mid - 1;
    }
    *rank = lo;
    *pos = (size_t)id - g->rank_base[lo];
}

const pps_action *ppsg_action(const ppsg_graph *g, int32_t id)
{
    int r;
    size_t pos;
    ppsg_locate(g, id, &r, &pos);
    return &g->s->programs[r].actions[pos];
}

/* "rank R, position P (TEXT): " for action id. */
static pps_status fail_at(const ppsg_graph *g, int32_t id, pps_error *err, const char *why)
{
    int r;
    size_t pos;
    ppsg_locate(g, id, &r, &pos);
    char text[PPS_ACTION_TEXT_MAX];
    pps_action_format(&g->s->programs[r].actions[pos], text, sizeof text);
    return pps_error_set(err, PPS_EINPUT, "rank %d, position %zu (%s): %s", r, pos, text, why);
}

static void describe(const ppsg_graph *g, int32_t id, char *buf, size_t size)
{
    int r;
    size_t pos;
    ppsg_locate(g, id, &r, &pos);
    char text[PPS_ACTION_TEXT_MAX];
    pps_action_format(&g->s->programs[r].actions[pos], text, sizeof text);
    snprintf(buf, size, "%s (rank %d, position %zu)", text, r, pos);
}

/* Returns the lane index src -> dst, creating it on first use. */
static int32_t lane_get(builder *b, int32_t src, int32_t dst, pps_error *err)
{
    lane_ref *refs = b->refs[src];
    for (size_t i = 0; i < b->nrefs[src]; i++)
        if (refs[i].peer == dst && refs[i].out >= 0)
            return refs[i].out;
    if (b->nlanes == b->caplanes) {
        size_t cap = b->caplanes ? 2 * b->caplanes : 16;
        lane *nl = realloc(b->lanes, cap * sizeof *nl);
        if (!nl)
            return pps_error_set(err, PPS_ENOMEM, "out of memory for lanes"), -1;
        b->lanes = nl;
        b->caplanes = cap;
    }
    int32_t id = (int32_t)b->nlanes++;
    b->lanes[id] = (lane){.src = src, .dst = dst, .send_stream = -1, .recv_stream = -1};
    /* Record the lane on both ends. */
    int32_t ends[2] = {src, dst}, peers[2] = {dst, src};
    for (int e = 0; e < 2; e++) {
        int32_t r = ends[e];
        lane_ref *ref = NULL;
        for (size_t i = 0; i < b->nrefs[r]; i++)
            if (b->refs[r][i].peer == peers[e])
                ref = &b->refs[r][i];
        if (!ref) {
            if (b->nrefs[r] == b->caprefs[r]) {
                size_t cap = b->caprefs[r] ? 2 * b->caprefs[r] : 4;
                lane_ref *nr = realloc(b->refs[r], cap * sizeof *nr);
                if (!nr)
                    return pps_error_set(err, PPS_ENOMEM, "out of memory for lanes"), -1;
                b->refs[r] = nr;
                b->caprefs[r] = cap;
            }
            ref = &b->refs[r][b->nrefs[r]++];
            *ref = (lane_ref){.peer = peers[e], .out = -1, .in = -1};
        }
        if (e == 0)
            ref->out = id;
        else
            ref->in = id;
    }
    return id;
}

/* Pass over every comm action: find (or create) its lane and count it. */
static pps_status count_lanes(builder *b, int32_t *lane_of, pps_error *err)
{
    const pps_schedule *s = b->s;
    ppsg_graph *g = b->g;
    for (int r = 0; r < s->ranks; r++) {
        for (size_t i = 0; i < s->programs[r].n; i++) {
            const pps_action *a = &s->programs[r].actions[i];
            int32_t id = (int32_t)(g->rank_base[r] + i);
            lane_of[id] = -1;
            if (!pps_kind_is_comm((pps_kind)a->kind))
                continue;
            int peer = ppsg_peer(s, a);
            if (peer < 0)
                return fail_at(g, id, err, "the stage has no neighbour in that direction");
            if (peer == r)
                return fail_at(g, id, err,
                               "both stages are on this rank: nothing to send or receive");
            int is_send = a->kind == PPS_SEND_F || a->kind == PPS_SEND_B;
            int32_t l = is_send ? lane_get(b, r, peer, err) : lane_get(b, peer, r, err);
            if (l < 0)
                return PPS_ENOMEM;
            lane_of[id] = l;
            if (is_send)
                b->lanes[l].nsend++;
            else
                b->lanes[l].nrecv++;
        }
    }
    return PPS_OK;
}

/* The receive that matches a send: SEND_F(s,m) -> RECV_F(s+1,m), SEND_B(s,m) -> RECV_B(s-1,m). */
static pps_action matching_recv(const pps_action *send)
{
    pps_action r = *send;
    r.kind = send->kind == PPS_SEND_F ? PPS_RECV_F : PPS_RECV_B;
    r.stage = send->kind == PPS_SEND_F ? send->stage + 1 : send->stage - 1;
    return r;
}

static pps_status match_lanes(builder *b, pps_error *err)
{
    ppsg_graph *g = b->g;
    char x[128], y[384];
    for (size_t l = 0; l < b->nlanes; l++) {
        lane *ln = &b->lanes[l];
        size_t common = ln->nsend < ln->nrecv ? ln->nsend : ln->nrecv;
        for (size_t k = 0; k < common; k++) {
            const pps_action *sa = ppsg_action_on(g, ln->src, ln->send[k]);
            const pps_action *ra = ppsg_action_on(g, ln->dst, ln->recv[k]);
            pps_action want = matching_recv(sa);
            if (want.kind != ra->kind || want.stage != ra->stage || want.mb != ra->mb) {
                /* Validation has found every receive's send: name it, and the send whose
                 * place in the order this receive takes. */
                size_t j = 0;
                for (; j < ln->nsend; j++) {
                    const pps_action *o = ppsg_action_on(g, ln->src, ln->send[j]);
                    pps_action m = matching_recv(o);
                    if (m.kind == ra->kind && m.stage == ra->stage && m.mb == ra->mb)
                        break;
                }
                char z[128] = "missing";
                if (j < ln->nsend)
                    describe(g, ln->send[j], z, sizeof z);
                describe(g, ln->send[k], x, sizeof x);
                snprintf(y, sizeof y,
                         "receives out of order: its send is %s, but the send in its place is "
                         "%s; sends and receives between two ranks must appear in the same "
                         "order on both sides", z, x);
                return fail_at(g, ln->recv[k], err, y);
            }
            g->partner[ln->send[k]] = ln->recv[k];
            g->partner[ln->recv[k]] = ln->send[k];
        }
        if (ln->nsend != ln->nrecv) {
            int more_sends = ln->nsend > ln->nrecv;
            snprintf(y, sizeof y, "no matching %s on rank %d (rank %d sends %zu, rank %d "
                     "receives %zu)", more_sends ? "receive" : "send",
                     more_sends ? ln->dst : ln->src, ln->src, ln->nsend, ln->dst, ln->nrecv);
            return fail_at(g, more_sends ? ln->send[common] : ln->recv[common], err, y);
        }
    }
    return PPS_OK;
}

static size_t cell(const pps_schedule *s, int stage, int mb)
{
    return (size_t)stage * (size_t)s->microbatches + (size_t)mb;
}

/* Input of F(stage, mb) on rank r: the previous stage's F there, or the receive. */
static int32_t input_f(const builder *b, int r, int stage, int mb)
{
    if (stage == 0)
        return -1;
    return b->s->stage_rank[stage - 1] == r ? b->at_f[cell(b->s, stage - 1, mb)]
                                            : b->at_rf[cell(b->s, stage, mb)];
}

/* Input of B/I(stage, mb) on rank r: the last stage's own F, the next stage's B/I, or the
 * receive. */
static int32_t input_bi(const builder *b, int r, int stage, int mb)
{
    const pps_schedule *s = b->s;
    if (stage == s->stages - 1)
        return b->at_f[cell(s, stage, mb)];
    return s->stage_rank[stage + 1] == r ? b->at_bi[cell(s, stage + 1, mb)]
                                         : b->at_rb[cell(s, stage, mb)];
}

/* The send WAIT_SEND_F/B(stage, mb) at id on rank r waits for: the partner of the receive it
 * feeds, when that send comes earlier on r; else -1. */
static int32_t sent_earlier(const builder *b, int r, int32_t id, const pps_action *w)
{
    const pps_schedule *s = b->s;
    int fwd = w->kind == PPS_WAIT_SEND_F, to = fwd ? w->stage + 1 : w->stage - 1;
    if (to < 0 || to >= s->stages || w->mb < 0 || w->mb >= s->microbatches)
        return -1;
    int32_t recv = (fwd ? b->at_rf : b->at_rb)[cell(s, to, w->mb)];
    int32_t send = recv >= 0 ? b->g->partner[recv] : -1;
    return send >= 0 && (size_t)send >= b->g->rank_base[r] && send < id ? send : -1;
}

static pps_status resolve_deps(builder *b, pps_error *err)
{
    const pps_schedule *s = b->s;
    ppsg_graph *g = b->g;
    for (int r = 0; r < s->ranks; r++) {
        for (size_t i = 0; i < s->programs[r].n; i++) {
            const pps_action *a = &s->programs[r].actions[i];
            int32_t id = (int32_t)(g->rank_base[r] + i), *d = &g->dep[2 * (size_t)id];
            int needs_input = 1;
            switch ((pps_kind)a->kind) {
            case PPS_F: d[0] = input_f(b, r, a->stage, a->mb); needs_input = a->stage > 0; break;
            case PPS_B: case PPS_I: d[0] = input_bi(b, r, a->stage, a->mb); break;
            case PPS_W: d[0] = b->at_bi[cell(s, a->stage, a->mb)]; break;
            case PPS_OVERLAP_F_B:
                d[0] = input_f(b, r, a->stage, a->mb);
                d[1] = input_bi(b, r, a->stage2, a->mb2);
                if (d[1] < 0)
                    return fail_at(g, id, err, "its backward half has no receive for its input "
                                   "(is the schedule lowered?)");
                needs_input = a->stage > 0;
                break;
            case PPS_SEND_F:
            case PPS_SEND_B:
                d[0] = a->kind == PPS_SEND_F ? b->at_f[cell(s, a->stage, a->mb)]
                                             : b->at_bi[cell(s, a->stage, a->mb)];
                if (d[0] < 0 || d[0] > id)
                    return fail_at(g, id, err, "sent before the compute action producing it");
                break;
            case PPS_WAIT_SEND_F:
            case PPS_WAIT_SEND_B:
                d[0] = sent_earlier(b, r, id, a);
                if (d[0] < 0)
                    return fail_at(g, id, err, "waits for a send that does not come earlier on "
                                   "this rank");
                needs_input = 0;
                break;
            default:
                needs_input = 0;
                break;
            }
            if (needs_input && d[0] < 0)
                return fail_at(g, id, err, "no receive for its input (is the schedule lowered?)");
        }
    }
    return PPS_OK;
}

/* Records each compute action and receive by cell. */
static void index_cells(builder *b)
{
    const pps_schedule *s = b->s;
    for (int r = 0; r < s->ranks; r++) {
        for (size_t i = 0; i < s->programs[r].n; i++) {
            const pps_action *a = &s->programs[r].actions[i];
            int32_t id = (int32_t)(b->g->rank_base[r] + i);
            switch ((pps_kind)a->kind) {
            case PPS_F: b->at_f[cell(s, a->stage, a->mb)] = id; break;
            case PPS_B: case PPS_I: b->at_bi[cell(s, a->stage, a->mb)] = id; break;
            case PPS_OVERLAP_F_B:
                b->at_f[cell(s, a->stage, a->mb)] = id;
                b->at_bi[cell(s, a->stage2, a->mb2)] = id;
                break;
            case PPS_RECV_F: b->at_rf[cell(s, a->stage, a->mb)] = id; break;
            case PPS_RECV_B: b->at_rb[cell(s, a->stage, a->mb)] = id; break;
            default: break;
            }
        }
    }
}

/* Assigns streams and fills order[]: compute streams first, then a send and a recv stream per
 * lane (none in sync mode, where SEND/RECV stay on the compute stream). */
static pps_status build_streams(builder *b, int comm_sync, const int32_t *lane_of, pps_error *err)
{
    const pps_schedule *s = b->s;
    ppsg_graph *g = b->g;
    g->nstreams = (size_t)s->ranks + (comm_sync ? 0 : 2 * b->nlanes);
    g->streams = calloc(g->nstreams, sizeof *g->streams);
    if (!g->streams)
        return pps_error_set(err, PPS_ENOMEM, "out of memory for streams");
    for (int r = 0; r < s->ranks; r++)
        g->streams[r] = (ppsg_stream){.rank = r, .peer = -1, .kind = PPS_STREAM_COMPUTE};
    for (size_t l = 0; !comm_sync && l < b->nlanes; l++) {
        lane *ln = &b->lanes[l];
        ln->send_stream = (int32_t)(s->ranks + 2 * l);
        ln->recv_stream = ln->send_stream + 1;
        g->streams[ln->send_stream] =
            (ppsg_stream){.rank = ln->src, .peer = ln->dst, .kind = PPS_STREAM_SEND};
        g->streams[ln->recv_stream] =
            (ppsg_stream){.rank = ln->dst, .peer = ln->src, .kind = PPS_STREAM_RECV};
    }
    for (int r = 0; r < s->ranks; r++) {
        for (size_t id = g->rank_base[r]; id < g->rank_base[r + 1]; id++) {
            const pps_action *a = ppsg_action_on(g, r, (int32_t)id);
            if (a->kind == PPS_IDLE)
                g->stream_of[id] = -1;
            else if (comm_sync || lane_of[id] < 0)
                g->stream_of[id] = r;
            else if (a->kind == PPS_SEND_F || a->kind == PPS_SEND_B)
                g->stream_of[id] = b->lanes[lane_of[id]].send_stream;
            else
                g->stream_of[id] = b->lanes[lane_of[id]].recv_stream;
            if (g->stream_of[id] >= 0)
                g->streams[g->stream_of[id]].count++;
        }
    }
    size_t at = 0;
    for (size_t k = 0; k < g->nstreams; k++) {
        g->streams[k].first = at;
        at += g->streams[k].count;
        g->streams[k].count = 0;
    }
    g->order = malloc((at ? at : 1) * sizeof *g->order);
    if (!g->order)
        return pps_error_set(err, PPS_ENOMEM, "out of memory for %zu actions", at);
    for (size_t id = 0; id < g->n; id++) {
        int32_t k = g->stream_of[id];
        if (k >= 0)
            g->order[g->streams[k].first + g->streams[k].count++] = (int32_t)id;
    }
    return PPS_OK;
}

pps_status ppsg_build(const pps_schedule *s, int comm_sync, ppsg_graph **out, pps_error *err)
{
    *out = NULL;
    builder b = {.s = s};
    int32_t *lane_of = NULL;
    pps_status st = PPS_ENOMEM;
    ppsg_graph *g = calloc(1, sizeof *g);
    if (!g)
        return pps_error_set(err, PPS_ENOMEM, "out of memory");
    b.g = g;
    g->s = s;
    g->rank_base = malloc(((size_t)s->ranks + 1) * sizeof *g->rank_base);
    if (!g->rank_base)
        goto nomem;
    g->rank_base[0] = 0;
    for (int r = 0; r < s->ranks; r++)
        g->rank_base[r + 1] = g->rank_base[r] + s->programs[r].n;
    g->n = g->rank_base[s->ranks];
    if (g->n > (size_t)INT32_MAX - 1) {
        st = pps_error_set(err, PPS_EINPUT, "%zu actions exceed the limit of %d", g->n,
                           INT32_MAX - 1);
        goto fail;
    }
    size_t ncells = (size_t)s->stages * (size_t)s->microbatches, n = g->n ? g->n : 1;
    g->dep = malloc(2 * n * sizeof *g->dep);
    g->partner = malloc(n * sizeof *g->partner);
    g->stream_of = malloc(n * sizeof *g->stream_of);
    lane_of = malloc(n * sizeof *lane_of);
    b.refs = calloc((size_t)s->ranks, sizeof *b.refs);
    b.nrefs = calloc((size_t)s->ranks, sizeof *b.nrefs);
    b.caprefs = calloc((size_t)s->ranks, sizeof *b.caprefs);
    b.at_f = malloc(ncells * sizeof *b.at_f);
    b.at_bi = malloc(ncells * sizeof *b.at_bi);
    b.at_rf = malloc(ncells * sizeof *b.at_rf);
    b.at_rb = malloc(ncells * sizeof *b.at_rb);
    if (!g->dep || !g->partner || !g->stream_of || !lane_of || !b.refs || !b.nrefs ||
        !b.caprefs || !b.at_f || !b.at_bi || !b.at_rf || !b.at_rb)
        goto nomem;
    /* All-ones bytes are -1 in two's complement: "none". */
    memset(g->dep, 0xff, 2 * n * sizeof *g->dep);
    memset(g->partner, 0xff, n * sizeof *g->partner);
    memset(b.at_f, 0xff, ncells * sizeof *b.at_f);
    memset(b.at_bi, 0xff, ncells * sizeof *b.at_bi);
    memset(b.at_rf, 0xff, ncells * sizeof *b.at_rf);
    memset(b.at_rb, 0xff, ncells * sizeof *b.at_rb);

    if ((st = count_lanes(&b, lane_of, err)) != PPS_OK)
        goto fail;
    for (size_t l = 0; l < b.nlanes; l++) {
        lane *ln = &b.lanes[l];
        ln->send = malloc((ln->nsend ? ln->nsend : 1) * sizeof *ln->send);
        ln->recv = malloc((ln->nrecv ? ln->nrecv : 1) * sizeof *ln->recv);
        if (!ln->send || !ln->recv)
            goto nomem;
        ln->nsend = ln->nrecv = 0;
    }
    for (size_t id = 0; id < g->n; id++) {
        if (lane_of[id] < 0)
            continue;
        lane *ln = &b.lanes[lane_of[id]];
        /* Sends sit on the lane's source rank, receives on its destination. */
        int on_src = id >= g->rank_base[ln->src] && id < g->rank_base[ln->src + 1];
        pps_kind k = (pps_kind)ppsg_action_on(g, on_src ? ln->src : ln->dst, (int32_t)id)->kind;
        if (on_src && (k == PPS_SEND_F || k == PPS_SEND_B))
            ln->send[ln->nsend++] = (int32_t)id;
        else
            ln->recv[ln->nrecv++] = (int32_t)id;
    }
    if ((st = match_lanes(&b, err)) != PPS_OK)
        goto fail;
    index_cells(&b);
    if ((st = resolve_deps(&b, err)) != PPS_OK)
        goto fail;
    if ((st = build_streams(&b, comm_sync, lane_of, err)) != PPS_OK)
        goto fail;
    *out = g;
    st = PPS_OK;
    goto done;
nomem:
    st = pps_error_set(err, PPS_ENOMEM, "out of memory building the graph of %zu actions", g->n);
fail:
    ppsg_destroy(g);
done:
    for (size_t l = 0; l < b.nlanes; l++) {
        free(b.lanes[l].send);
        free(b.lanes[l].recv);
    }
    free(b.lanes);
    if (b.refs)
        for (int r = 0; r < s->ranks; r++)
            free(b.refs[r]);
    free(b.refs);
    free(b.nrefs);
    free(b.caprefs);
    free(b.at_f);
    free(b.at_bi);
    free(b.at_rf);
    free(b.at_rb);
    free(lane_of);
    return st;
}

void ppsg_destroy(ppsg_graph *g)
{
    if (!g)
        return;
    free(g->rank_base);
    free(g->dep);
    free(g->partner);
    free(g->stream_of);
    free(g->order);
    free(g->streams);
    free(g);
}
