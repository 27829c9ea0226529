/* format_json.c — (being written) */
#include "ppsim.h"
