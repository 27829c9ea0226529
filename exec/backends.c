/* backends.c — the table of ppexec backends; the CUDA one is present when it was built. */
#include <string.h>

#include "backends.h"

static const ppx_backend *const table[] = {
    &ppx_backend_cpu,
#ifdef PPX_HAVE_CUDA
    &ppx_backend_cuda,
#endif
};

const ppx_backend *ppx_backend_find(const char *name)
{
    for (size_t i = 0; i < sizeof table / sizeof *table; i++)
        if (strcmp(table[i]->name, name) == 0)
            return table[i];
    return NULL;
}

