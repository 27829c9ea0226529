/* validate.c — (being written) */
#include "ppsim.h"
