/* timeline.c — (being written) */
#include "ppsim.h"
