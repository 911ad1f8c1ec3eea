/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for fastpath/abi/ep_bell.h, across two processes as the fast
 * path and the slow path use it: a bell in a MAP_SHARED page, a child
 * asleep on it (seen in /proc as sleeping) and woken by the parent's ring
 * long before its 20 s timeout; a wait whose count moved on returns at
 * once; an unrung wait ends with its timeout.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "ep_bell.h"

#define LONG_WAIT_US 20000000u /* what a missed wake-up would cost */
#define ASLEEP_TRIES 500 /* x 10 ms: the child is seen asleep */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The state letter of /proc/PID/stat ('S': sleeping), or 0. */
static char proc_state(pid_t pid)
{
	char path[64], comm[64], state = 0;
	FILE *f;
	int id;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (f == NULL)
		return 0;
	if (fscanf(f, "%d %63s %c", &id, comm, &state) != 3)
		state = 0;
	fclose(f);
	return state;
}

struct shared_page {
	uint32_t bell;
	uint32_t ready; /* the child is about to wait */
	double waited_s; /* how long the child's wait took */
	int rc;
};

static void test_wake_across_processes(void)
{
	struct shared_page *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int status = 0, tries;
	pid_t child;

	CHECK(p != MAP_FAILED);
	if (p == MAP_FAILED)
		return;
	child = fork();
	if (child == 0) {
		uint32_t seen = ep_bell_seen(&p->bell);
		double t0 = now_s();

		__atomic_store_n(&p->ready, 1, __ATOMIC_RELEASE);
		p->rc = ep_bell_wait(&p->bell, seen, LONG_WAIT_US);
		p->waited_s = now_s() - t0;
		_exit(0);
	}
	CHECK(child > 0);
	for (tries = 0; tries < ASLEEP_TRIES; tries++) {
		if (__atomic_load_n(&p->ready, __ATOMIC_ACQUIRE) &&
		    proc_state(child) == 'S')
			break;
		usleep(10000);
	}
	CHECK_MSG(tries < ASLEEP_TRIES, "the child never slept on the bell");
	ep_bell_ring(&p->bell);
	CHECK(waitpid(child, &status, 0) == child && WIFEXITED(status));
	CHECK(p->rc == 0);
	CHECK_MSG(p->waited_s < LONG_WAIT_US * 1e-6 / 2,
		  "the ring did not wake the child (%.1f s)", p->waited_s);
	CHECK(ep_bell_seen(&p->bell) == 1);
	munmap(p, 4096);
}

static void test_moved_on_and_timeout(void)
{
	uint32_t bell = 0, seen = ep_bell_seen(&bell);
	double t0;

	ep_bell_ring(&bell); /* nobody asleep: the count moves on */
	t0 = now_s();
	CHECK(ep_bell_wait(&bell, seen, LONG_WAIT_US) == 0);
	CHECK(now_s() - t0 < LONG_WAIT_US * 1e-6 / 2);
	/* not rung since: sleeps its timeout, then 0 */
	t0 = now_s();
	CHECK(ep_bell_wait(&bell, ep_bell_seen(&bell), 20000) == 0);
	CHECK(now_s() - t0 >= 0.019);
}

int main(void)
{
	test_wake_across_processes();
	test_moved_on_and_timeout();
	return check_summary("bell");
}
