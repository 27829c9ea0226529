/* format_csv.c — (being written) */
#include "ppsim.h"
