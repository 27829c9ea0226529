/* backends.c — the table of ppexec backends; the CUDA one is present when it was built. */
#include <stdio.h>
#include <string.h>

#include "backends.h"

static const ppx_backend *const table[] = {
    &ppx_backend_cpu,
#ifdef PPX_HAVE_CUDA
    &ppx_backend_cuda,
#endif
};

enum { NBACKENDS = sizeof table / sizeof table[0] };

const ppx_backend *ppx_backend_find(const char *name)
{
    for (size_t i = 0; i < NBACKENDS; i++)
        if (strcmp(table[i]->name, name) == 0)
            return table[i];
    return NULL;
}

void ppx_backend_names(char *buf, size_t size)
{
    size_t len = 0;
    if (size)
        buf[0] = '\0';
    for (size_t i = 0; i < NBACKENDS && len < size; i++) {
        int w = snprintf(buf + len, size - len, "%s%s", i ? ", " : "", table[i]->name);
        len += w > 0 ? (size_t)w : 0;
    }
}
