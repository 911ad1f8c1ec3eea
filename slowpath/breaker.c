/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The per-backend circuit breaker (breaker.h).
 */
#include <string.h>

#include "breaker.h"

void outlier_params_default(struct outlier_params *p)
{
	memset(p, 0, sizeof(*p));
	p->consecutive_failures = OUTLIER_CONSECUTIVE_DEFAULT;
	p->failure_rate_percent = OUTLIER_RATE_PERCENT_DEFAULT;
	p->failure_rate_min_flows = OUTLIER_RATE_MIN_FLOWS_DEFAULT;
	p->window_ms = OUTLIER_WINDOW_MS_DEFAULT;
	p->base_ejection_ms = OUTLIER_BASE_EJECTION_MS_DEFAULT;
	p->max_ejection_ms = OUTLIER_MAX_EJECTION_MS_DEFAULT;
	p->max_ejection_percent = OUTLIER_MAX_EJECTION_PERCENT_DEFAULT;
	p->half_open_flows = OUTLIER_HALF_OPEN_FLOWS_DEFAULT;
	p->half_open_timeout_ms = OUTLIER_HALF_OPEN_TIMEOUT_MS_DEFAULT;
}

const char *breaker_state_name(enum breaker_state s)
{
	switch (s) {
	case BREAKER_OPEN:
		return "open";
	case BREAKER_HALF_OPEN:
		return "half_open";
	default:
		return "closed";
	}
}

void breaker_init(struct breaker *b, uint64_t now_ms)
{
	memset(b, 0, sizeof(*b));
	b->state = BREAKER_CLOSED;
	b->since_ms = now_ms;
	b->closed_ms = now_ms;
}

bool breaker_admits(const struct breaker *b)
{
	return b->state == BREAKER_CLOSED ||
	       (b->state == BREAKER_HALF_OPEN && !b->withdrawn);
}

bool breaker_cap_allows(uint32_t ejected, uint32_t n, uint32_t percent)
{
	if (percent == 0 || ejected >= n)
		return false;
	if (ejected == 0)
		return true;
	return (uint64_t)(ejected + 1) * 100 <= (uint64_t)percent * n;
}

/* Move the window to now, clearing the slices that fell out of it. */
static void window_advance(struct breaker *b, const struct outlier_params *p,
			   uint64_t now_ms)
{
	uint64_t slice = p->window_ms / BREAKER_BUCKETS, slot;

	slice = slice ? slice : 1;
	slot = now_ms / slice;
	if (slot - b->win_slot >= BREAKER_BUCKETS) {
		memset(b->win_ok, 0, sizeof(b->win_ok));
		memset(b->win_fail, 0, sizeof(b->win_fail));
	} else {
		for (uint64_t s = b->win_slot + 1; s <= slot; s++) {
			b->win_ok[s % BREAKER_BUCKETS] = 0;
			b->win_fail[s % BREAKER_BUCKETS] = 0;
		}
	}
	b->win_slot = slot;
}

static bool rate_tripped(const struct breaker *b,
			 const struct outlier_params *p)
{
	uint64_t ok = 0, fail = 0;

	if (p->failure_rate_percent == 0)
		return false;
	for (uint32_t i = 0; i < BREAKER_BUCKETS; i++) {
		ok += b->win_ok[i];
		fail += b->win_fail[i];
	}
	return ok + fail >= p->failure_rate_min_flows &&
	       fail * 100 >= (uint64_t)p->failure_rate_percent * (ok + fail);
}

static void set_state(struct breaker *b, enum breaker_state s, uint64_t now)
{
	b->state = s;
	b->since_ms = now;
}

/* Eject: OPEN for base x multiplier, capped. */
static void eject(struct breaker *b, const struct outlier_params *p,
		  uint64_t now)
{
	uint64_t t;

	if (b->state == BREAKER_CLOSED) {
		/* One less for every base_ejection_ms spent closed. */
		uint64_t decay = (now - b->closed_ms) / p->base_ejection_ms;

		b->multiplier = decay >= b->multiplier
					? 0
					: b->multiplier - (uint32_t)decay;
	}
	if (b->multiplier < OUTLIER_COUNT_MAX)
		b->multiplier++;
	t = (uint64_t)p->base_ejection_ms * b->multiplier;
	if (t > p->max_ejection_ms)
		t = p->max_ejection_ms;
	b->open_until_ms = now + t;
	b->n_ejections++;
	b->refused = false;
	b->consecutive = 0;
	set_state(b, BREAKER_OPEN, now);
}

static void close_breaker(struct breaker *b, uint64_t now)
{
	b->consecutive = 0;
	b->closed_ms = now;
	memset(b->win_ok, 0, sizeof(b->win_ok));
	memset(b->win_fail, 0, sizeof(b->win_fail));
	set_state(b, BREAKER_CLOSED, now);
}

static void step_closed(struct breaker *b, const struct outlier_params *p,
			uint64_t ok, uint64_t fail, uint64_t now,
			bool may_eject)
{
	bool trip;

	if (ok > 0)
		b->consecutive = 0;
	else if (fail > 0)
		b->consecutive = b->consecutive + fail > OUTLIER_COUNT_MAX
					 ? OUTLIER_COUNT_MAX
					 : b->consecutive + (uint32_t)fail;
	trip = (p->consecutive_failures != 0 &&
		b->consecutive >= p->consecutive_failures) ||
	       rate_tripped(b, p);
	if (!trip) {
		b->refused = false;
		return;
	}
	if (may_eject) {
		eject(b, p, now);
	} else if (!b->refused) {
		b->refused = true;
		b->n_refused++;
	}
}

static void step_half_open(struct breaker *b, const struct outlier_params *p,
			   uint64_t ok, uint64_t fail, uint64_t flows,
			   uint64_t now)
{
	b->admitted = b->admitted + flows > UINT32_MAX
			      ? UINT32_MAX
			      : b->admitted + (uint32_t)flows;
	if (b->admitted > 0 && b->first_flow_ms == 0)
		b->first_flow_ms = now ? now : 1;
	if (fail > 0) {
		eject(b, p, now);
	} else if (ok > 0) {
		close_breaker(b, now);
	} else if (b->first_flow_ms != 0 &&
		   now - b->first_flow_ms >= p->half_open_timeout_ms) {
		/* The probes never answered: a failure, not a stuck state. */
		b->n_half_open_timeouts++;
		b->n_failures++;
		eject(b, p, now);
	} else if (b->admitted >= p->half_open_flows) {
		b->withdrawn = true;
	}
}

bool breaker_step(struct breaker *b, const struct outlier_params *p,
		  const struct breaker_sample *s, uint64_t now_ms,
		  bool may_eject)
{
	bool before = breaker_admits(b);
	uint64_t ok, fail, flows;

	if (!b->primed) {
		b->last = *s;
		b->primed = true;
		b->win_slot = now_ms / (p->window_ms / BREAKER_BUCKETS
						? p->window_ms / BREAKER_BUCKETS
						: 1);
		return false;
	}
	/* Sums only grow; one that went back (a fast-path restart) starts
	 * again from here. */
	ok = s->successes >= b->last.successes
		     ? s->successes - b->last.successes
		     : 0;
	fail = s->failures >= b->last.failures ? s->failures - b->last.failures
					       : 0;
	flows = s->new_flows >= b->last.new_flows
			? s->new_flows - b->last.new_flows
			: 0;
	b->last = *s;
	b->n_successes += ok;
	b->n_failures += fail;
	window_advance(b, p, now_ms);
	b->win_ok[b->win_slot % BREAKER_BUCKETS] += (uint32_t)ok;
	b->win_fail[b->win_slot % BREAKER_BUCKETS] += (uint32_t)fail;
	switch (b->state) {
	case BREAKER_CLOSED:
		step_closed(b, p, ok, fail, now_ms, may_eject);
		break;
	case BREAKER_OPEN:
		/* Verdicts now are of flows from before the ejection. */
		if (now_ms >= b->open_until_ms) {
			b->admitted = 0;
			b->first_flow_ms = 0;
			b->withdrawn = false;
			set_state(b, BREAKER_HALF_OPEN, now_ms);
		}
		break;
	default:
		step_half_open(b, p, ok, fail, flows, now_ms);
		break;
	}
	return before != breaker_admits(b);
}

uint32_t breaker_service_step(struct breaker *b, uint32_t n,
			      const struct outlier_params *p,
			      const struct breaker_sample *s,
			      const bool *eligible, uint64_t now_ms)
{
	uint32_t ejected = 0, total = 0, changed = 0;

	for (uint32_t i = 0; i < n; i++) {
		if (!eligible[i])
			continue;
		total++;
		ejected += b[i].state != BREAKER_CLOSED;
	}
	for (uint32_t i = 0; i < n; i++) {
		bool was_closed = b[i].state == BREAKER_CLOSED;

		if (!eligible[i])
			continue;
		changed += breaker_step(
			&b[i], p, &s[i], now_ms,
			breaker_cap_allows(ejected, total,
					   p->max_ejection_percent));
		if (was_closed && b[i].state != BREAKER_CLOSED)
			ejected++;
		else if (!was_closed && b[i].state == BREAKER_CLOSED)
			ejected--;
	}
	return changed;
}
