/* workload.c — the MLP stage math of workload.h on the CPU with OpenBLAS (one thread per rank),
 * in fp32, or rounding to bf16 where the CUDA backend's bf16 path stores its results. */
#include "workload.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* splitmix64: a fast, well-mixed hash so initial values are reproducible on every rank and
 * backend without communicating them. */
static uint64_t mix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

static void fill_uniform(uint64_t key, float scale, float *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint64_t r = mix(key ^ mix(i));
        v[i] = scale * (float)((double)(r >> 11) * (2.0 / 9007199254740992.0) - 1.0);
    }
}

void ppx_round_bf16(float *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t u;
        memcpy(&u, &v[i], sizeof u);
        if ((u & 0x7f800000u) == 0x7f800000u) /* Inf and NaN keep their class */
            u = (u & 0xffff0000u) | ((u & 0xffffu) ? 0x10000u : 0);
        else /* round to nearest, ties to even, on the 16 bits that go */
            u = (u + 0x7fffu + ((u >> 16) & 1u)) & 0xffff0000u;
        memcpy(&v[i], &u, sizeof u);
    }
}

/* Rounds v to bf16 when the workload computes in bf16. */
static void stored(const ppx_workload *wl, float *v, size_t n)
{
    if (wl->bf16)
        ppx_round_bf16(v, n);
}

void ppx_init_weights(const ppx_workload *wl, int stage, int layer, float *w)
{
    uint64_t key = mix(wl->seed ^ mix(((uint64_t)stage << 20) ^ (uint64_t)layer ^ 0x5741ULL));
    size_t hh = (size_t)wl->hidden * wl->hidden;
    fill_uniform(key, sqrtf(6.0f / (float)wl->hidden), w, hh);
    stored(wl, w, hh);
}

void ppx_init_input(const ppx_workload *wl, int mb, float *x)
{
    uint64_t key = mix(wl->seed ^ mix((uint64_t)mb ^ 0x1a7aULL));
    fill_uniform(key, 1.0f, x, ppx_msg_floats(wl));
    stored(wl, x, ppx_msg_floats(wl));
}

size_t ppx_msg_floats(const ppx_workload *wl)
{
    return (size_t)wl->tokens * (size_t)wl->hidden;
}

size_t ppx_elem_bytes(const ppx_workload *wl)
{
    return wl->bf16 ? 2 : sizeof(float);
}

void ppx_stage_bytes(const ppx_workload *wl, size_t *act, size_t *act_w, size_t *msg)
{
    size_t m = ppx_msg_floats(wl) * ppx_elem_bytes(wl);
    *act = (size_t)(wl->layers + 1) * m;
    *act_w = (size_t)wl->layers * m;
    *msg = m;
}

static void progress_if(ppx_progress_fn progress, void *arg)
{
    if (progress)
        progress(arg);
}

void ppx_forward(const ppx_workload *wl, const float *w, ppx_acts *a, ppx_progress_fn progress,
                 void *arg)
{
    const int b = wl->tokens, h = wl->hidden;
    const size_t n = ppx_msg_floats(wl), hh = (size_t)h * h;
    for (int l = 1; l <= wl->layers; l++) {
        float *y = a->y + (size_t)l * n;
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, b, h, h, 1.0f,
                    a->y + (size_t)(l - 1) * n, h, w + (size_t)(l - 1) * hh, h, 0.0f, y, h);
        stored(wl, y, n);
        for (size_t i = 0; i < n; i++)
            y[i] = y[i] > 0 ? y[i] : 0;
        progress_if(progress, arg);
    }
}

void ppx_loss_grad(const ppx_workload *wl, const ppx_acts *a, float *dy)
{
    const size_t n = ppx_msg_floats(wl);
    const float *y = a->y + (size_t)wl->layers * n;
    for (size_t i = 0; i < n; i++)
        dy[i] = y[i] / (float)wl->tokens;
    stored(wl, dy, n);
}

void ppx_backward_input(const ppx_workload *wl, const float *w, ppx_acts *a, float *dy,
                        float *dx, ppx_progress_fn progress, void *arg)
{
    const int b = wl->tokens, h = wl->hidden;
    const size_t n = ppx_msg_floats(wl), hh = (size_t)h * h;
    for (int l = wl->layers; l >= 1; l--) {
        float *g = a->g + (size_t)(l - 1) * n;
        const float *y = a->y + (size_t)l * n;
        for (size_t i = 0; i < n; i++)
            g[i] = y[i] > 0 ? dy[i] : 0;
        /* dL/dy_{l-1} = G_l · W_lᵀ; the last one is the stage input's gradient. */
        float *out = l == 1 ? dx : dy;
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, b, h, h, 1.0f, g, h,
                    w + (size_t)(l - 1) * hh, h, 0.0f, out, h);
        stored(wl, out, n);
        progress_if(progress, arg);
    }
}

void ppx_backward_weight(const ppx_workload *wl, const ppx_acts *a, float *dw,
                         ppx_progress_fn progress, void *arg)
{
    const int b = wl->tokens, h = wl->hidden;
    const size_t n = ppx_msg_floats(wl), hh = (size_t)h * h;
    for (int l = 1; l <= wl->layers; l++) {
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, h, h, b, 1.0f,
                    a->y + (size_t)(l - 1) * n, h, a->g + (size_t)(l - 1) * n, h, 1.0f,
                    dw + (size_t)(l - 1) * hh, h);
        progress_if(progress, arg);
    }
}

int ppx_reference_grads(const ppx_workload *wl, int stages, int microbatches, float *dw)
{
    const size_t n = ppx_msg_floats(wl), hh = (size_t)wl->hidden * wl->hidden;
    const size_t per_stage = (size_t)wl->layers * hh;
    float *w = malloc((size_t)stages * per_stage * sizeof *w);
    float *y = malloc((size_t)stages * (wl->layers + 1) * n * sizeof *y);
    float *g = malloc((size_t)stages * wl->layers * n * sizeof *g);
    float *dy = malloc(n * sizeof *dy), *dx = malloc(n * sizeof *dx);
    int rc = -1;
    if (!w || !y || !g || !dy || !dx)
        goto done;
    for (int s = 0; s < stages; s++)
        for (int l = 0; l < wl->layers; l++)
            ppx_init_weights(wl, s, l, w + (size_t)s * per_stage + (size_t)l * hh);
    memset(dw, 0, (size_t)stages * per_stage * sizeof *dw);
    for (int m = 0; m < microbatches; m++) {
        ppx_acts acts[1];
        for (int s = 0; s < stages; s++) {
            acts[0] = (ppx_acts){y + (size_t)s * (wl->layers + 1) * n,
                                 g + (size_t)s * wl->layers * n};
            if (s == 0)
                ppx_init_input(wl, m, acts[0].y);
            else /* the previous stage's output is this stage's input */
                memcpy(acts[0].y, y + ((size_t)(s - 1) * (wl->layers + 1) + wl->layers) * n,
                       n * sizeof *y);
            ppx_forward(wl, w + (size_t)s * per_stage, acts, NULL, NULL);
        }
        for (int s = stages - 1; s >= 0; s--) {
            acts[0] = (ppx_acts){y + (size_t)s * (wl->layers + 1) * n,
                                 g + (size_t)s * wl->layers * n};
            if (s == stages - 1)
                ppx_loss_grad(wl, acts, dy);
            else
                memcpy(dy, dx, n * sizeof *dy);
            ppx_backward_input(wl, w + (size_t)s * per_stage, acts, dy, dx, NULL, NULL);
            ppx_backward_weight(wl, acts, dw + (size_t)s * per_stage, NULL, NULL);
        }
    }
    rc = 0;
done:
    free(w);
    free(y);
    free(g);
    free(dy);
    free(dx);
    return rc;
}
