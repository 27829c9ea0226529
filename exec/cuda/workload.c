/* workload.c — the CUDA backend's compute (internal.h): device buffers of this rank's stages,
 * their initial values, and F, I, W, B as cuBLAS GEMMs and element-wise kernels on the compute
 * stream, with the same math as exec/workload.c. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "kernels.h"
#include "workload.h"

/* cudaMalloc, remembered for finalize, then zeroed on the compute stream (our streams do not
 * synchronise with the legacy default stream, so a plain cudaMemset could land after later
 * work on them). */
pps_status ppxc_dev_alloc(ppx_ctx *c, void **p, size_t bytes, pps_error *err)
{
    *p = NULL;
    if (c->nallocs == c->capallocs) {
        size_t cap = c->capallocs ? 2 * c->capallocs : 64;
        void **a = realloc(c->allocs, cap * sizeof *a);
        if (!a)
            return pps_error_set(err, PPS_ENOMEM, "cuda: out of host memory");
        c->allocs = a;
        c->capallocs = cap;
    }
    CUDACHECK(cudaMalloc(p, bytes ? bytes : 1));
    c->allocs[c->nallocs++] = *p;
    CUDACHECK(cudaMemsetAsync(*p, 0, bytes, c->compute.s));
    return PPS_OK;
}

/* Frees p (allocated by ppxc_dev_alloc) now. */
void ppxc_dev_free(ppx_ctx *c, void *p)
{
    for (size_t i = 0; i < c->nallocs; i++)
        if (c->allocs[i] == p) {
            cudaFree(p);
            c->allocs[i] = c->allocs[--c->nallocs];
            return;
        }
}

/* The buffers of (stage, mb) on this rank, or NULL with err set. */
cmb *ppxc_cell(ppx_ctx *c, int stage, int mb, int *li, pps_error *err)
{
    if (stage < 0 || stage >= c->S || mb < 0 || mb >= c->M) {
        pps_error_set(err, PPS_EINPUT, "cuda: stage %d, micro-batch %d out of range", stage, mb);
        return NULL;
    }
    int i = c->local_of[stage];
    if (i < 0) {
        pps_error_set(err, PPS_EINPUT, "cuda: stage %d is not on rank %d", stage, c->rank);
        return NULL;
    }
    if (li)
        *li = i;
    return &c->stages[i].mb[mb];
}

int32_t *ppxc_producer_of(ppx_ctx *c, int li, int mb, int dir)
{
    return &c->producer[((size_t)li * (size_t)c->M + (size_t)mb) * 2 + (size_t)dir];
}

static void *layer(const ppx_ctx *c, void *base, int l) /* element l of an array of b·h blocks */
{
    return (char *)base + (size_t)l * c->n * c->esize;
}

/* y_l of a cell: y_0 is the input, y_1..y_L live in y. */
void *ppxc_act(const ppx_ctx *c, const cmb *m, int l)
{
    return l == 0 ? m->in : layer(c, m->y, l - 1);
}

static void *weight(const ppx_ctx *c, const cstage *st, int l) /* W_l, l = 1..L */
{
    return (char *)st->w + (size_t)(l - 1) * c->hh * c->esize;
}

/* ------------------------------------------------------------------ GEMMs
 * Row-major X (r×k) is column-major Xᵀ, so every row-major product is issued transposed:
 *   Y = X·W       ->  Yᵀ = Wᵀ·Xᵀ    (N, N, m=h, n=b, k=h)
 *   D = G·Wᵀ      ->  Dᵀ = W·Gᵀ     (T, N, m=h, n=b, k=h)
 *   dW += Yᵀ·G    ->  dWᵀ += Gᵀ·Y   (N, T, m=h, n=h, k=b)
 * Inputs are fp32 or bf16; accumulation is always fp32 (CUBLAS_COMPUTE_32F: no TF32). */
static pps_status gemm(ppx_ctx *c, cublasOperation_t ta, cublasOperation_t tb, int m, int n,
                       int k, const void *A, const void *B, void *C, int c_fp32, float beta,
                       pps_error *err)
{
    const float alpha = 1.0f;
    CUBLASCHECK(cublasGemmEx(c->blas, ta, tb, m, n, k, &alpha, A, c->dtype, c->h, B, c->dtype,
                             c->h, &beta, C, c_fp32 ? CUDA_R_32F : c->dtype, c->h,
                             CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
    return PPS_OK;
}

static pps_status run_forward(ppx_ctx *c, cstage *st, cmb *m, pps_error *err)
{
    for (int l = 1; l <= c->L; l++) {
        void *y = ppxc_act(c, m, l);
        TRY(gemm(c, CUBLAS_OP_N, CUBLAS_OP_N, c->h, c->b, c->h, weight(c, st, l), ppxc_act(c, m, l - 1),
                 y, 0, 0.0f, err));
        CUDACHECK(ppxk_relu(y, c->n, c->bf16, c->compute.s));
    }
    return PPS_OK;
}

static pps_status run_backward_input(ppx_ctx *c, cstage *st, cmb *m, pps_error *err)
{
    if (st->stage == c->S - 1) /* the loss 0.5·Σ y_L² / b: dL/dy_L = y_L / b */
        CUDACHECK(ppxk_divide(m->dy, ppxc_act(c, m, c->L), (float)c->b, c->n, c->bf16, c->compute.s));
    const void *dy = m->dy; /* never written here: it may be the next stage's dx */
    for (int l = c->L; l >= 1; l--) {
        void *g = layer(c, m->g, l - 1);
        CUDACHECK(ppxk_relu_backward(g, dy, ppxc_act(c, m, l), c->n, c->bf16, c->compute.s));
        /* dL/dy_{l-1} = G_l·W_lᵀ; the last is the stage input's gradient (discarded on stage 0) */
        void *out = l > 1 ? c->scr_a : m->dx ? m->dx : c->scr_b;
        TRY(gemm(c, CUBLAS_OP_T, CUBLAS_OP_N, c->h, c->b, c->h, weight(c, st, l), g, out, 0, 0.0f,
                 err));
        dy = out;
    }
    return PPS_OK;
}

static pps_status run_backward_weight(ppx_ctx *c, cstage *st, cmb *m, pps_error *err)
{
    for (int l = 1; l <= c->L; l++)
        TRY(gemm(c, CUBLAS_OP_N, CUBLAS_OP_T, c->h, c->h, c->b, layer(c, m->g, l - 1),
                 ppxc_act(c, m, l - 1), st->dw + (size_t)(l - 1) * c->hh, 1, 1.0f, err));
    return PPS_OK;
}

/* Enqueues compute op kind (F, I, W or B = I then W) of cell m on the compute stream. */
pps_status ppxc_run_op(ppx_ctx *c, cstage *st, cmb *m, pps_kind kind, pps_error *err)
{
    switch (kind) {
    case PPS_F: return run_forward(c, st, m, err);
    case PPS_I: return run_backward_input(c, st, m, err);
    case PPS_W: return run_backward_weight(c, st, m, err);
    case PPS_B:
        TRY(run_backward_input(c, st, m, err));
        return run_backward_weight(c, st, m, err);
    default: return pps_error_set(err, PPS_EINPUT, "cuda: not a compute kind: %d", (int)kind);
    }
}

/* Device buffers of this rank's stages. */
pps_status ppxc_make_buffers(ppx_ctx *c, pps_error *err)
{
    const size_t n = c->n, e = c->esize, L = (size_t)c->L, M = (size_t)c->M;
    c->local_of = malloc((size_t)c->S * sizeof *c->local_of);
    if (!c->local_of)
        return pps_error_set(err, PPS_ENOMEM, "cuda: out of host memory");
    for (int s = 0; s < c->S; s++)
        c->local_of[s] = c->s->stage_rank[s] == c->rank ? c->nstages++ : -1;
    c->stages = calloc((size_t)c->nstages + 1, sizeof *c->stages);
    c->producer = malloc(((size_t)c->nstages * M * 2 + 1) * sizeof *c->producer);
    if (!c->stages || !c->producer)
        return pps_error_set(err, PPS_ENOMEM, "cuda: out of host memory");
    for (size_t i = 0; i < (size_t)c->nstages * M * 2; i++)
        c->producer[i] = -1;

    /* Refuse up front what cannot fit, with the figure, rather than fail inside cudaMalloc. */
    size_t need = 2 * n * e + (c->hh > n ? c->hh : n) * sizeof(float) + (size_t)c->nrecv * n * e;
    for (int s = 0; s < c->S; s++) {
        if (c->local_of[s] < 0)
            continue;
        int own_in = s == 0 || c->local_of[s - 1] < 0;
        int own_dy = s == c->S - 1 || c->local_of[s + 1] < 0;
        need += L * c->hh * (e + sizeof(float));
        need += M * n * e * (2 * L + (size_t)own_in + (size_t)own_dy + (s > 0));
    }
    size_t free_b = 0, total_b = 0;
    CUDACHECK(cudaMemGetInfo(&free_b, &total_b));
    const size_t reserve = (size_t)512 << 20; /* NCCL and cuBLAS workspaces */
    if (need + reserve > free_b)
        return pps_error_set(err, PPS_EIO, "cuda: rank %d needs %.2f GiB on GPU %d (%s) but only "
                             "%.2f GiB of %.2f are free; reduce micro-batches, tokens, hidden "
                             "or layers", c->rank, (double)need / (1 << 30), c->device,
                             c->devname, (double)free_b / (1 << 30),
                             (double)total_b / (1 << 30));

    TRY(ppxc_dev_alloc(c, &c->scr_a, n * e, err));
    TRY(ppxc_dev_alloc(c, &c->scr_b, n * e, err));
    TRY(ppxc_dev_alloc(c, (void **)&c->scr_f, (c->hh > n ? c->hh : n) * sizeof(float), err));
    for (int s = 0; s < c->S; s++) {
        int li = c->local_of[s];
        if (li < 0)
            continue;
        cstage *st = &c->stages[li];
        st->stage = s;
        st->mb = calloc(M, sizeof *st->mb);
        if (!st->mb)
            return pps_error_set(err, PPS_ENOMEM, "cuda: out of host memory");
        TRY(ppxc_dev_alloc(c, &st->w, L * c->hh * e, err));
        TRY(ppxc_dev_alloc(c, (void **)&st->dw, L * c->hh * sizeof(float), err));
        for (size_t m = 0; m < M; m++) {
            cmb *b = &st->mb[m];
            TRY(ppxc_dev_alloc(c, &b->y, L * n * e, err));
            TRY(ppxc_dev_alloc(c, &b->g, L * n * e, err));
            if (s == 0 || c->local_of[s - 1] < 0)
                TRY(ppxc_dev_alloc(c, &b->in, n * e, err));
            if (s == c->S - 1 || c->local_of[s + 1] < 0)
                TRY(ppxc_dev_alloc(c, &b->dy, n * e, err));
            if (s > 0)
                TRY(ppxc_dev_alloc(c, &b->dx, n * e, err));
        }
    }
    /* Hand-offs between stages on this rank read the neighbour's buffers in place. */
    for (int s = 0; s < c->S; s++) {
        int li = c->local_of[s];
        if (li < 0)
            continue;
        for (size_t m = 0; m < M; m++) {
            cmb *b = &c->stages[li].mb[m];
            if (!b->in)
                b->in = ppxc_act(c, &c->stages[c->local_of[s - 1]].mb[m], c->L);
            if (!b->dy)
                b->dy = c->stages[c->local_of[s + 1]].mb[m].dx;
        }
    }
    return PPS_OK;
}

/* Copies count host floats to dst (converted to bf16 when the GEMMs are bf16). */
static pps_status upload(ppx_ctx *c, void *dst, const float *host, size_t count, pps_error *err)
{
    void *to = c->bf16 ? (void *)c->scr_f : dst;
    CUDACHECK(cudaMemcpyAsync(to, host, count * sizeof(float), cudaMemcpyHostToDevice,
                              c->compute.s));
    if (c->bf16)
        CUDACHECK(ppxk_to_bf16(dst, c->scr_f, count, c->compute.s));
    CUDACHECK(cudaStreamSynchronize(c->compute.s)); /* host and scr_f are reused next call */
    return PPS_OK;
}

/* Initial weights and inputs, from the same functions as the CPU workload. */
pps_status ppxc_upload_initial_values(ppx_ctx *c, pps_error *err)
{
    size_t count = c->hh > c->n ? c->hh : c->n;
    float *host = malloc(count * sizeof *host);
    if (!host)
        return pps_error_set(err, PPS_ENOMEM, "cuda: out of host memory");
    pps_status st = PPS_OK;
    for (int li = 0; li < c->nstages && st == PPS_OK; li++) {
        cstage *s = &c->stages[li];
        for (int l = 0; l < c->L && st == PPS_OK; l++) {
            ppx_init_weights(&c->setup.work, s->stage, l, host);
            st = upload(c, weight(c, s, l + 1), host, c->hh, err);
        }
        /* Buffers a receive fills get input-like values too, not zeros: a profile computes on
         * them (time_op), and on the CPU an sgemm over zeros ran 30% faster than over data. */
        int recv_in = s->stage > 0 && c->local_of[s->stage - 1] < 0;
        int recv_dy = s->stage < c->S - 1 && c->local_of[s->stage + 1] < 0;
        for (int m = 0; m < c->M && st == PPS_OK; m++) {
            ppx_init_input(&c->setup.work, m, host);
            if (s->stage == 0 || recv_in)
                st = upload(c, s->mb[m].in, host, c->n, err);
            if (st == PPS_OK && recv_dy)
                st = upload(c, s->mb[m].dy, host, c->n, err);
        }
    }
    free(host);
    return st;
}

/* Bit k set in (*used)[li] when this rank's program runs compute kind k (PPS_F, PPS_I, PPS_W,
 * PPS_B) on local stage li, an OVERLAP_F_B's halves included. */
static pps_status kinds_used(ppx_ctx *c, unsigned **used, pps_error *err)
{
    unsigned *u = calloc((size_t)c->nstages + 1, sizeof *u);
    if (!u)
        return pps_error_set(err, PPS_ENOMEM, "cuda: out of host memory");
    const pps_program *p = &c->s->programs[c->rank];
    for (size_t i = 0; i < p->n; i++) {
        const pps_action *a = &p->actions[i];
        int halves = a->kind == PPS_OVERLAP_F_B ? 2 : 1;
        for (int h = 0; h < halves; h++) {
            pps_kind k = (pps_kind)(h ? a->kind2 : a->kind == PPS_OVERLAP_F_B ? PPS_F : a->kind);
            int stage = h ? a->stage2 : a->stage;
            if (pps_kind_is_compute(k) && stage >= 0 && stage < c->S && c->local_of[stage] >= 0)
                u[c->local_of[stage]] |= 1u << k;
        }
    }
    *used = u;
    return PPS_OK;
}

pps_status ppxc_warm_compute(ppx_ctx *c, pps_error *err)
{
    static const pps_kind kinds[] = {PPS_F, PPS_I, PPS_W, PPS_B};
    unsigned *used = NULL;
    TRY(kinds_used(c, &used, err));
    pps_status st = PPS_OK;
    for (int it = 0; it < 2 && st == PPS_OK; it++) /* the first loads, the second confirms */
        for (int li = 0; li < c->nstages && st == PPS_OK; li++)
            for (size_t k = 0; k < sizeof kinds / sizeof *kinds && st == PPS_OK; k++)
                if (used[li] & (1u << kinds[k]))
                    st = ppxc_run_op(c, &c->stages[li], &c->stages[li].mb[0], kinds[k], err);
    free(used);
    TRY(st);
    /* W accumulated into dW: the step starts from zero. */
    for (int li = 0; li < c->nstages; li++)
        CUDACHECK(cudaMemsetAsync(c->stages[li].dw, 0, (size_t)c->L * c->hh * sizeof(float),
                                  c->compute.s));
    CUDACHECK(cudaStreamSynchronize(c->compute.s));
    return PPS_OK;
}

pps_status ppxc_keep_busy(ppx_ctx *c, double seconds, pps_error *err)
{
    if (c->nstages == 0)
        return PPS_OK;
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    cstage *st = &c->stages[0];
    for (;;) {
        for (int i = 0; i < 4; i++) /* a few forwards per check keep the queue from running dry */
            TRY(ppxc_run_op(c, st, &st->mb[0], PPS_F, err));
        CUDACHECK(cudaStreamSynchronize(c->compute.s));
        clock_gettime(CLOCK_MONOTONIC, &t);
        if ((double)(t.tv_sec - t0.tv_sec) + 1e-9 * (double)(t.tv_nsec - t0.tv_nsec) >= seconds)
            return PPS_OK;
    }
}
