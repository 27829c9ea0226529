/* workload.h — the model ppexec trains: per stage, L MLP blocks y_l = relu(y_{l-1} · W_l) over b
 * tokens of hidden size h, in fp32 on the CPU. Used by the CPU backend, by the CUDA backend for
 * initial values, and by the single-process reference that --check-grads compares against.
 *
 * With wl->bf16 the functions round to bf16 (nearest, ties to even) exactly where the CUDA
 * backend's bf16 path stores a result: initial weights and inputs, each GEMM output of F and I,
 * the loss gradient; products are exact in fp32 and sums stay fp32, as cuBLAS's
 * CUBLAS_COMPUTE_32F does, and dW stays fp32. The reference then differs from a GPU only by
 * summation order (and the roundings that order flips), not by the bf16 rounding itself.
 *
 * Backward of a stage, given dY = dL/dy_L (b×h):
 *   I (inputs):  for l = L..1: G_l = dY ⊙ [y_l > 0]; dY = G_l · W_lᵀ   → dX = dY (sent back)
 *   W (weights): for l = 1..L: dW_l += y_{l-1}ᵀ · G_l                   (accumulates over mbs)
 * The loss is 0.5·Σ y_L² / b on the last stage, so there dY = y_L / b. */
#ifndef PPX_WORKLOAD_H
#define PPX_WORKLOAD_H

#include <stddef.h>
#include <stdint.h>

#include "backend.h"

/* Fills w (h×h, row-major) with layer `layer` of stage `stage`'s initial weights:
 * uniform in ±sqrt(6/h) (He), a pure function of (seed, stage, layer). */
void ppx_init_weights(const ppx_workload *wl, int stage, int layer, float *w);
/* Fills x (b×h) with micro-batch mb's input: uniform in ±1, a pure function of (seed, mb). */
void ppx_init_input(const ppx_workload *wl, int mb, float *x);

/* One stage's activations for one micro-batch: y[0..L] (y[0] the input) and G[1..L]. */
typedef struct ppx_acts {
    float *y; /* (L+1)·b·h */
    float *g; /* L·b·h, G_l at index l-1 */
} ppx_acts;

/* Elements of one activation or gradient message: b·h. */
size_t ppx_msg_floats(const ppx_workload *wl);
/* Bytes of one element of activations, gradients and messages: 2 with bf16, else 4. */
size_t ppx_elem_bytes(const ppx_workload *wl);
/* One stage's bytes for one micro-batch: held after F (y_0..y_L), still held for W after I
 * (y_0..y_{L-1}), and one message (b·h); all in elements of ppx_elem_bytes. */
void ppx_stage_bytes(const ppx_workload *wl, size_t *act, size_t *act_w, size_t *msg);
/* Rounds each v[i] to the nearest bf16 value (ties to even), kept as a float. */
void ppx_round_bf16(float *v, size_t n);

/* Default --grad-tolerance of --check-grads: max |dW - dW_ref| / max |dW_ref|. In fp32 GEMMs
 * differ from the reference only in summation order (1e-7 to 2e-7 seen). In bf16 a different
 * summation order also flips some roundings to bf16, and the flips propagate: the CUDA backend's
 * code over a CPU stand-in that sums in another order than OpenBLAS gave 1e-7 at h = 64 and
 * 1.4e-4 at h = 1024 (b = 128, L = 2, v = 2, M = 4); the bf16 bound leaves a factor of about
 * 15 over that for tensor cores, whose fp32 accumulation need not round as IEEE adds do. It is
 * still far below what a lost or doubled micro-batch costs (about 1/M: 0.16 at M = 8) and than
 * bf16 against an fp32 reference (1.5e-2 to 2.2e-2 at h = 64). */
#define PPX_GRAD_TOLERANCE_FP32 1e-4
#define PPX_GRAD_TOLERANCE_BF16 2e-3

/* The progress hook compute calls between layers, so that transfers move during long compute. */
typedef void (*ppx_progress_fn)(void *arg);

/* F: y[0] must hold the input; fills y[1..L]. w: L weight matrices (h×h each). */
void ppx_forward(const ppx_workload *wl, const float *w, ppx_acts *a, ppx_progress_fn progress,
                 void *arg);
/* I: dy (b×h, overwritten as scratch) holds dL/dy_L; fills G and writes dL/dx into dx. */
void ppx_backward_input(const ppx_workload *wl, const float *w, ppx_acts *a, float *dy,
                        float *dx, ppx_progress_fn progress, void *arg);
/* W: dw (L·h·h) += yᵀ·G per layer. */
void ppx_backward_weight(const ppx_workload *wl, const ppx_acts *a, float *dw,
                         ppx_progress_fn progress, void *arg);
/* The last stage's dL/dy_L = y_L / b. */
void ppx_loss_grad(const ppx_workload *wl, const ppx_acts *a, float *dy);

/* The reference: all stages of a pipeline of `stages` stages run sequentially over M
 * micro-batches in one process; fills dw (stages·L·h·h) with the accumulated weight gradients.
 * Returns 0, or -1 when memory runs out. */
int ppx_reference_grads(const ppx_workload *wl, int stages, int microbatches, float *dw);

#endif
