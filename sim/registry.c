/* registry.c — (being written) */
#include "ppsim.h"
