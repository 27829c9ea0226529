/* analysis.c — (being written) */
#include "ppsim.h"
