/* backends.h — the backends ppexec can drive: one table, searched by name and listed for --help. */
#ifndef PPX_BACKENDS_H
#define PPX_BACKENDS_H

#include <stddef.h>

#include "backend.h"

extern const ppx_backend ppx_backend_cpu;
#ifdef PPX_HAVE_CUDA
extern const ppx_backend ppx_backend_cuda;
#endif

/* The backend called `name` ("cpu", "cuda"), or NULL when unknown or not built. */
const ppx_backend *ppx_backend_find(const char *name);

/* Writes the names of the backends this build has, in table order, as "cpu, cuda" into buf
 * (always NUL-terminated; truncated to size). */
void ppx_backend_names(char *buf, size_t size);

#endif
