/* engine.c — (being written) */
#include "ppsim.h"
