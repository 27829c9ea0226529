/* lower.c — (being written) */
#include "ppsim.h"
