/* SPDX-License-Identifier: BSD-3-Clause */
/* Stats memzone readers shared by both processes (see stats_sum.h). */
#include <stddef.h>
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

#define EP_X_DESC(st, field, type, name, kind, brief)                          \
	{ name, offsetof(struct st, field), kind,                              \
	  _Generic((type)0, int64_t : 1, default : 0), brief },
#define EP_X_PORT(...) EP_X_DESC(ep_port_counters, __VA_ARGS__)
#define EP_X_SVC(...) EP_X_DESC(ep_svc_counters, __VA_ARGS__)
#define EP_X_BE(...) EP_X_DESC(ep_be_counters, __VA_ARGS__)
const struct ep_counter_desc ep_port_counters[EP_PORT_N] = { EP_PORT_COUNTERS(
	EP_X_PORT) };
const struct ep_counter_desc ep_svc_counters[EP_SVC_N] = { EP_SVC_COUNTERS(
	EP_X_SVC) };
const struct ep_counter_desc ep_be_counters[EP_BE_N] = { EP_BE_COUNTERS(
	EP_X_BE) };
#undef EP_X_PORT
#undef EP_X_SVC
#undef EP_X_BE
#undef EP_X_DESC

/* out->field += this lcore's, wrapping (an int64_t gauge sums as its
 * two's complement bits, so a removal on one lcore and the insert on
 * another still add up). */
#define EP_X_ADD(field, type, name, kind, brief)                               \
	out->field = (type)((uint64_t)out->field +                             \
			    (uint64_t)__atomic_load_n(&c->field,               \
						      __ATOMIC_RELAXED));

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
		const struct ep_port_counters *c = &s->lcore[i].port[port];

		EP_PORT_COUNTERS(EP_X_ADD)
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

		EP_SVC_COUNTERS(EP_X_ADD)
	}
}

void stats_sum_be(const struct ep_stats *s, uint32_t sid,
		  struct ep_be_counters *out)
{
	memset(out, 0, sizeof(*out));
	if (sid >= EP_MAX_BACKENDS)
		return;
	for (uint32_t i = 0; i < n_lcores(s); i++) {
		const struct ep_be_counters *c = &s->be[i][sid];

		EP_BE_COUNTERS(EP_X_ADD)
	}
}

uint64_t stats_sum_drops(const struct ep_stats *s)
{
	uint64_t sum = 0;

	for (int r = 0; r < EP_DROP_MAX; r++)
		sum += stats_sum_drop(s, (enum ep_drop_reason)r);
	return sum;
}
