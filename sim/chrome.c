/* chrome.c — (being written) */
#include "ppsim.h"
