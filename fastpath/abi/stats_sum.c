/* SPDX-License-Identifier: BSD-3-Clause */
/* Stats memzone readers shared by both processes (see stats_sum.h). */
#include <string.h>

#include "stats_sum.h"

#define EP_X_NAME(sym, name) [EP_CNT_##sym] = name,
const char *const stats_counter_names[EP_CNT_MAX] = { EP_WORKER_COUNTERS(
	EP_X_NAME) };
#undef EP_X_NAME
#define EP_X_NAME(sym, name) [EP_DROP_##sym] = name,
const char *const stats_drop_names[EP_DROP_MAX] = { EP_DROP_REASONS(
	EP_X_NAME) };
#undef EP_X_NAME

static uint32_t n_lcores(const struct ep_stats *s)
{
	uint32_t n = __atomic_load_n(&s->n_lcores, __ATOMIC_RELAXED);

	return n < EP_MAX_WORKERS ? n : EP_MAX_WORKERS;
}

static uint64_t load64(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

uint64_t stats_sum_cnt(const struct ep_stats *s, enum ep_worker_counter c)
{
	uint64_t sum = 0;

	for (uint32_t i = 0; i < n_lcores(s); i++)
		sum += load64(&s->lcore[i].cnt[c]);
	return sum;
}

uint64_t stats_sum_drop(const struct ep_stats *s, enum ep_drop_reason r)
{
	uint64_t sum = 0;

	for (uint32_t i = 0; i < n_lcores(s); i++)
		sum += load64(&s->lcore[i].drop[r]);
	return sum;
}

void stats_sum_port(const struct ep_stats *s, uint32_t port,
		    struct ep_port_counters *out)
{
	memset(out, 0, sizeof(*out));
	if (port >= EP_MAX_PORTS)
		return;
	for (uint32_t i = 0; i < n_lcores(s); i++) {
		const struct ep_port_counters *p = &s->lcore[i].port[port];

		out->rx_pkts += load64(&p->rx_pkts);
		out->rx_bytes += load64(&p->rx_bytes);
		out->tx_pkts += load64(&p->tx_pkts);
		out->tx_bytes += load64(&p->tx_bytes);
		out->tx_drops += load64(&p->tx_drops);
	}
}

void stats_sum_svc(const struct ep_stats *s, uint32_t sid,
		   struct ep_svc_counters *out)
{
	memset(out, 0, sizeof(*out));
	if (sid >= EP_MAX_SERVICES)
		return;
	for (uint32_t i = 0; i < n_lcores(s); i++) {
		const struct ep_svc_counters *c = &s->svc[i][sid];

		out->pkts += load64(&c->pkts);
		out->bytes += load64(&c->bytes);
		out->new_flows += load64(&c->new_flows);
		out->drops += load64(&c->drops);
	}
}

void stats_sum_be(const struct ep_stats *s, uint32_t sid,
		  struct ep_be_counters *out)
{
	uint64_t active = 0; /* wraps like the other sums, no signed overflow */

	memset(out, 0, sizeof(*out));
	if (sid >= EP_MAX_BACKENDS)
		return;
	for (uint32_t i = 0; i < n_lcores(s); i++) {
		const struct ep_be_counters *c = &s->be[i][sid];

		out->pkts += load64(&c->pkts);
		out->bytes += load64(&c->bytes);
		out->new_flows += load64(&c->new_flows);
		active += (uint64_t)__atomic_load_n(&c->active_flows,
						    __ATOMIC_RELAXED);
	}
	out->active_flows = (int64_t)active;
}

uint64_t stats_sum_drops(const struct ep_stats *s)
{
	uint64_t sum = 0;

	for (int r = 0; r < EP_DROP_MAX; r++)
		sum += stats_sum_drop(s, (enum ep_drop_reason)r);
	return sum;
}
