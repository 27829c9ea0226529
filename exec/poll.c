/* poll.c — the CPU backend's wait policy (poll.h). */
#include "poll.h"

#include <sched.h>
#include <time.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

void ppx_poll_setup(void)
{
#ifdef __linux__
    prctl(PR_SET_TIMERSLACK, 1000UL, 0UL, 0UL, 0UL); /* best effort: a failure only costs latency */
#endif
}

void ppx_poll_pause(double waited)
{
    if (waited < PPX_POLL_SPIN_S) {
        /* A spin costs the neighbouring core nothing measurable here (4 sgemms of 256x512x512
         * took 4.84-4.88 ms beside a sched_yield loop, 4.84-4.92 ms beside an idle core), and
         * notices an arrival within a poll. sched_yield lets an oversubscribed rank (more ranks
         * than cores) run. */
        sched_yield();
        return;
    }
    nanosleep(&(struct timespec){.tv_nsec = 10000}, NULL);
}
