/* gen_classic.c — (being written) */
#include "ppsim.h"
