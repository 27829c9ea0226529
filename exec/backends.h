/* backends.h — the backends ppexec can drive, found by name. */
#ifndef PPX_BACKENDS_H
#define PPX_BACKENDS_H

#include "backend.h"

extern const ppx_backend ppx_backend_cpu;
#ifdef PPX_HAVE_CUDA
extern const ppx_backend ppx_backend_cuda;
#endif

/* The backend called `name` ("cpu", "cuda"), or NULL when unknown or not built. */
const ppx_backend *ppx_backend_find(const char *name);

#endif
