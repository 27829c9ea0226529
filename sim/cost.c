/* cost.c — (being written) */
#include "ppsim.h"
