/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Doorbells between the fast path's main lcore and the slow path: a
 * counter in struct ep_shared that the sender bumps after putting a
 * message on a ring, and a futex on it that the receiver sleeps on while
 * its ring is empty. Without them each side polled its ring between
 * fixed sleeps (5 ms on an idle main lcore), and a request waited for the
 * sleep to end. Shared memory is a MAP_SHARED hugepage mapping in both
 * processes, so the futex is the shared (not private) kind. Control side
 * only: workers never ring or wait.
 */
#ifndef EP_BELL_H
#define EP_BELL_H

#include <errno.h>
#include <linux/futex.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* The bell's count now: read it before looking at the ring. */
static inline uint32_t ep_bell_seen(const uint32_t *bell)
{
	return __atomic_load_n(bell, __ATOMIC_ACQUIRE);
}

/* After a message is on the ring: wake whoever sleeps on the bell. */
static inline void ep_bell_ring(uint32_t *bell)
{
	__atomic_fetch_add(bell, 1, __ATOMIC_RELEASE);
	syscall(SYS_futex, bell, FUTEX_WAKE, 1, NULL, NULL, 0);
}

/*
 * Sleep at most `us` microseconds unless the bell rang since its count
 * was `seen` (then at once). 0 when it slept, woke or the count had moved
 * on; -1 when the futex is not available here (the caller then sleeps
 * its usual way).
 */
static inline int ep_bell_wait(uint32_t *bell, uint32_t seen, uint32_t us)
{
	struct timespec ts = { .tv_sec = us / 1000000,
			       .tv_nsec = (long)(us % 1000000) * 1000 };

	if (syscall(SYS_futex, bell, FUTEX_WAIT, seen, &ts, NULL, 0) == 0)
		return 0;
	return errno == EAGAIN || errno == EINTR || errno == ETIMEDOUT ? 0 : -1;
}

#endif /* EP_BELL_H */
