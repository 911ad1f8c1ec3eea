/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The breakers of a configuration (breaker_engine.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "breaker_engine.h"

struct breaker_key {
	char service[EP_NAME_LEN];
	struct ep_ip addr;
	uint16_t port;
	uint32_t stats_id;
};

struct breaker_engine {
	breaker_read_fn read;
	void *ctx;
	uint64_t version;
	bool synced;
	uint32_t n;
	struct breaker_key *keys; /* service by service, in document order */
	struct breaker *br;
	struct breaker_sample *samples; /* scratch, n long */
	bool *eligible; /* scratch, n long */
	breaker_change_fn on_change;
	void *change_arg;
};

void breaker_engine_on_change(struct breaker_engine *e, breaker_change_fn fn,
			      void *arg)
{
	e->on_change = fn;
	e->change_arg = arg;
}

/* Report the state changes of one service's step. */
static void report(const struct breaker_engine *e,
		   const struct config_service *sv, uint32_t x,
		   const enum breaker_state *before)
{
	for (uint32_t j = 0; e->on_change != NULL && j < sv->n_backends; j++)
		if (e->br[x + j].state != before[j])
			e->on_change(sv, j, &e->br[x + j], e->change_arg);
}

struct breaker_engine *breaker_engine_create(breaker_read_fn read, void *ctx)
{
	struct breaker_engine *e = calloc(1, sizeof(*e));

	if (e != NULL) {
		e->read = read;
		e->ctx = ctx;
	}
	return e;
}

static void arrays_free(struct breaker_key *k, struct breaker *b,
			struct breaker_sample *s, bool *el)
{
	free(k);
	free(b);
	free(s);
	free(el);
}

void breaker_engine_destroy(struct breaker_engine *e)
{
	if (e == NULL)
		return;
	arrays_free(e->keys, e->br, e->samples, e->eligible);
	free(e);
}

static int find_key(const struct breaker_engine *e, const char *service,
		    const struct ep_ip *addr, uint16_t port)
{
	for (uint32_t i = 0; i < e->n; i++)
		if (e->keys[i].port == port &&
		    memcmp(&e->keys[i].addr, addr, sizeof(*addr)) == 0 &&
		    strncmp(e->keys[i].service, service, EP_NAME_LEN) == 0)
			return (int)i;
	return -1;
}

static const struct ep_cfg_backend *flat_backends(const void *flat, size_t len,
						  const struct ep_config *cfg)
{
	const struct ep_cfg_hdr *h = flat;
	uint32_t total = 0;

	if (flat == NULL || len < sizeof(*h) || h->off_backends > len ||
	    len - h->off_backends <
		    (size_t)h->n_backends * sizeof(struct ep_cfg_backend))
		return NULL;
	for (uint32_t i = 0; i < cfg->n_services; i++)
		total += cfg->services[i].n_backends;
	if (total != h->n_backends || h->n_services != cfg->n_services)
		return NULL;
	return (const struct ep_cfg_backend *)((const char *)flat +
					       h->off_backends);
}

int breaker_engine_sync(struct breaker_engine *e, const struct ep_config *cfg,
			const void *flat, size_t len, uint64_t version,
			uint64_t now_ms)
{
	const struct ep_cfg_backend *fb;
	struct breaker_key *k;
	struct breaker *b;
	struct breaker_sample *s;
	bool *el;
	uint32_t n = 0, x = 0, base = 0;

	if (e->synced && version == e->version)
		return 0;
	fb = flat_backends(flat, len, cfg);
	if (fb == NULL)
		return -EINVAL;
	for (uint32_t i = 0; i < cfg->n_services; i++)
		if (cfg->services[i].outlier.enabled)
			n += cfg->services[i].n_backends;
	k = calloc(n ? n : 1, sizeof(*k));
	b = calloc(n ? n : 1, sizeof(*b));
	s = calloc(n ? n : 1, sizeof(*s));
	el = calloc(n ? n : 1, sizeof(*el));
	if (k == NULL || b == NULL || s == NULL || el == NULL) {
		arrays_free(k, b, s, el);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < cfg->n_services; i++) {
		const struct config_service *sv = &cfg->services[i];

		for (uint32_t j = 0; sv->outlier.enabled && j < sv->n_backends;
		     j++, x++) {
			int old = find_key(e, sv->name, &sv->backends[j].addr,
					   sv->backends[j].port);

			memcpy(k[x].service, sv->name, EP_NAME_LEN);
			k[x].addr = sv->backends[j].addr;
			k[x].port = sv->backends[j].port;
			k[x].stats_id = fb[base + j].stats_id;
			if (old >= 0) {
				b[x] = e->br[old];
				/* Another counter: sample it afresh. */
				if (e->keys[old].stats_id != k[x].stats_id)
					b[x].primed = false;
			} else {
				breaker_init(&b[x], now_ms);
			}
		}
		base += sv->n_backends;
	}
	arrays_free(e->keys, e->br, e->samples, e->eligible);
	e->keys = k;
	e->br = b;
	e->samples = s;
	e->eligible = el;
	e->n = n;
	e->version = version;
	e->synced = true;
	return 0;
}

uint32_t breaker_engine_step(struct breaker_engine *e,
			     const struct ep_config *cfg, uint64_t now_ms)
{
	uint32_t changed = 0, x = 0;
	enum breaker_state before[64]; /* logged for services up to 64 */

	for (uint32_t i = 0; i < cfg->n_services && x < e->n; i++) {
		const struct config_service *sv = &cfg->services[i];

		if (!sv->outlier.enabled)
			continue;
		if (e->n - x < sv->n_backends ||
		    strncmp(e->keys[x].service, sv->name, EP_NAME_LEN) != 0)
			break; /* not synced with cfg yet */
		for (uint32_t j = 0; j < sv->n_backends; j++) {
			const struct config_backend *cb = &sv->backends[j];

			e->read(e->ctx, e->keys[x + j].stats_id,
				&e->samples[x + j]);
			e->eligible[x + j] =
				cb->state == EP_BE_UP && cb->weight > 0;
		}
		for (uint32_t j = 0; j < sv->n_backends && j < 64; j++)
			before[j] = e->br[x + j].state;
		changed += breaker_service_step(&e->br[x], sv->n_backends,
						&sv->outlier, &e->samples[x],
						&e->eligible[x], now_ms);
		if (sv->n_backends <= 64)
			report(e, sv, x, before);
		x += sv->n_backends;
	}
	return changed;
}

const struct breaker *breaker_engine_find(const struct breaker_engine *e,
					  const struct config_service *s,
					  uint32_t b)
{
	int i;

	if (e == NULL || !s->outlier.enabled || b >= s->n_backends)
		return NULL;
	i = find_key(e, s->name, &s->backends[b].addr, s->backends[b].port);
	return i < 0 ? NULL : &e->br[i];
}

bool breaker_engine_holds_out(const struct config_service *s, uint32_t b,
			      const void *engine)
{
	const struct breaker *br = breaker_engine_find(engine, s, b);

	return br != NULL && !breaker_admits(br);
}
