/* SPDX-License-Identifier: BSD-3-Clause */
/* Worker progress (fp_progress.h). */
#include <string.h>

#include "fp_progress.h"

void fp_progress_reset(struct fp_progress *p)
{
	memset(p, 0, sizeof(*p));
}

uint32_t fp_progress_sample(struct fp_progress *p, const uint64_t *polls,
			    uint32_t n, uint64_t now_ms, uint32_t stall_ms)
{
	uint32_t stalled = 0;

	if (n > EP_MAX_WORKERS)
		n = EP_MAX_WORKERS;
	if (n != p->n) {
		for (uint32_t i = 0; i < n; i++) {
			p->polls[i] = polls[i];
			p->moved_ms[i] = now_ms;
		}
		p->n = n;
	}
	for (uint32_t i = 0; i < n; i++) {
		if (polls[i] != p->polls[i]) {
			p->polls[i] = polls[i];
			p->moved_ms[i] = now_ms;
		} else if (stall_ms != 0 &&
			   now_ms - p->moved_ms[i] >= stall_ms) {
			stalled++;
		}
	}
	p->stalled = stalled;
	return stalled;
}
