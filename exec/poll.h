/* poll.h — how a CPU-backend rank waits for MPI: spin briefly, then sleep in short naps. One
 * policy for the step's waits and for the profile's link timings, so that the link times a
 * profile measures include what waiting adds to a transfer. */
#ifndef PPX_POLL_H
#define PPX_POLL_H

/* Once per process, before waiting: asks the kernel for 1 µs of timer slack (default 50 µs),
 * so that a 10 µs nap takes about 30 µs here instead of about 85 µs. */
void ppx_poll_setup(void);

/* Called between two polls of a wait that began `waited` seconds ago: yields the core (and
 * returns at once when nothing else wants it) for the first PPX_POLL_SPIN_S, then naps 10 µs per
 * call. */
void ppx_poll_pause(double waited);

#define PPX_POLL_SPIN_S 200e-6

#endif
