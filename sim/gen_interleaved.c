/* gen_interleaved.c — (being written) */
#include "ppsim.h"
