/* graph.c — (being written) */
#include "ppsim.h"
