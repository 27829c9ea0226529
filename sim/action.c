/* action.c — (being written) */
#include "ppsim.h"
