/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The service registry's TTLs (registry.h): an open-addressing table
 * keyed by (service, instance id), rebuilt from the configuration after
 * every change, looked up once per heartbeat.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "registry.h"

struct reg_entry {
	char svc[EP_NAME_LEN];
	char id[CONFIG_REG_ID_LEN];
	bool used;
	bool out; /* marked unhealthy (the flat form has it down) */
	int8_t remote; /* the remote source's registry_state; -1: none */
	uint64_t ttl_ms;
	uint64_t beat_ms; /* the last heartbeat, or the registration */
};

struct registry {
	struct reg_entry *e;
	uint32_t mask; /* e has mask + 1 slots, 0 when none */
	uint32_t n;
};

const char *registry_state_name(enum registry_state s)
{
	return s == REGISTRY_HEALTHY	 ? "healthy"
	       : s == REGISTRY_UNHEALTHY ? "unhealthy"
					 : "expired";
}

static uint32_t key_hash(const char *svc, const char *id)
{
	uint32_t h = 2166136261u;

	for (const char *p = svc; *p; p++)
		h = (h ^ (uint8_t)*p) * 16777619u;
	h = (h ^ 0xffu) * 16777619u;
	for (const char *p = id; *p; p++)
		h = (h ^ (uint8_t)*p) * 16777619u;
	return h;
}

/* The slot of (svc, id), or of the free slot where it would go. */
static struct reg_entry *slot(struct reg_entry *e, uint32_t mask,
			      const char *svc, const char *id)
{
	uint32_t i = key_hash(svc, id) & mask;

	for (uint32_t k = 0; k <= mask; k++, i = (i + 1) & mask)
		if (!e[i].used ||
		    (strcmp(e[i].id, id) == 0 && strcmp(e[i].svc, svc) == 0))
			return &e[i];
	return NULL; /* never: the table is at most half full */
}

static const struct reg_entry *find(const struct registry *r, const char *svc,
				    const char *id)
{
	struct reg_entry *s;

	if (r->n == 0 || strlen(svc) >= EP_NAME_LEN ||
	    strlen(id) >= CONFIG_REG_ID_LEN)
		return NULL;
	s = slot(r->e, r->mask, svc, id);
	return s != NULL && s->used ? s : NULL;
}

struct registry *registry_create(void)
{
	return calloc(1, sizeof(struct registry));
}

void registry_destroy(struct registry *r)
{
	if (r == NULL)
		return;
	free(r->e);
	free(r);
}

static uint32_t count_registered(const struct ep_config *cfg)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < cfg->n_services; i++)
		for (uint32_t j = 0; j < cfg->services[i].n_backends; j++)
			n += cfg->services[i].backends[j].reg != NULL;
	return n;
}

static void entry_fill(struct reg_entry *ne, const struct registry *r,
		       const char *svc, const struct config_registration *reg,
		       uint64_t now_ms)
{
	const struct reg_entry *old = find(r, svc, reg->id);

	memcpy(ne->svc, svc, EP_NAME_LEN);
	memcpy(ne->id, reg->id, CONFIG_REG_ID_LEN);
	ne->used = true;
	ne->ttl_ms = (uint64_t)reg->ttl_s * 1000u;
	ne->beat_ms = old != NULL ? old->beat_ms : now_ms;
	ne->out = old != NULL && old->out;
	ne->remote = old != NULL ? old->remote : -1;
}

int registry_sync(struct registry *r, const struct ep_config *cfg,
		  uint64_t now_ms)
{
	uint32_t n = count_registered(cfg), size = 2;
	struct reg_entry *e = NULL;

	while (size < 2 * n)
		size *= 2;
	if (n > 0) {
		e = calloc(size, sizeof(*e));
		if (e == NULL)
			return -ENOMEM;
	}
	for (uint32_t i = 0; n > 0 && i < cfg->n_services; i++) {
		const struct config_service *s = &cfg->services[i];

		for (uint32_t j = 0; j < s->n_backends; j++) {
			const struct config_registration *reg =
				s->backends[j].reg;

			if (reg != NULL)
				entry_fill(slot(e, size - 1, s->name, reg->id),
					   r, s->name, reg, now_ms);
		}
	}
	free(r->e);
	r->e = e;
	r->mask = n > 0 ? size - 1 : 0;
	r->n = n;
	return 0;
}

static enum registry_state entry_state(const struct reg_entry *e,
				       uint64_t now_ms)
{
	if (e->remote >= 0)
		return (enum registry_state)e->remote;
	if (now_ms >= e->beat_ms + 2 * e->ttl_ms)
		return REGISTRY_GONE;
	return now_ms >= e->beat_ms + e->ttl_ms ? REGISTRY_UNHEALTHY
						: REGISTRY_HEALTHY;
}

int registry_heartbeat(struct registry *r, const char *svc, const char *id,
		       uint64_t now_ms)
{
	struct reg_entry *e = (struct reg_entry *)find(r, svc, id);
	bool was_out;

	if (e == NULL || entry_state(e, now_ms) == REGISTRY_GONE)
		return -ENOENT;
	was_out = e->out;
	e->beat_ms = now_ms;
	e->out = false;
	return was_out ? 1 : 0;
}

int registry_renew(struct registry *r, const char *svc, const char *id,
		   uint64_t now_ms)
{
	struct reg_entry *e = (struct reg_entry *)find(r, svc, id);
	bool was_out;

	if (e == NULL)
		return -ENOENT;
	was_out = e->out;
	e->beat_ms = now_ms;
	e->out = false;
	return was_out ? 1 : 0;
}

int registry_set_remote(struct registry *r, const char *svc, const char *id,
			int state, uint64_t now_ms)
{
	struct reg_entry *e = (struct reg_entry *)find(r, svc, id);
	bool revived;

	if (e == NULL)
		return -ENOENT;
	if (state < 0 || state > REGISTRY_GONE) {
		e->remote = -1;
		return 0;
	}
	if (state == REGISTRY_HEALTHY && e->remote != REGISTRY_HEALTHY)
		e->beat_ms = now_ms;
	e->remote = (int8_t)state;
	revived = state == REGISTRY_HEALTHY && e->out;
	if (revived)
		e->out = false;
	return revived ? 1 : 0;
}

enum registry_state registry_state(const struct registry *r, const char *svc,
				   const char *id, uint64_t now_ms)
{
	const struct reg_entry *e = find(r, svc, id);

	return e != NULL ? entry_state(e, now_ms) : REGISTRY_GONE;
}

uint64_t registry_remaining_ms(const struct registry *r, const char *svc,
			       const char *id, uint64_t now_ms)
{
	const struct reg_entry *e = find(r, svc, id);

	if (e == NULL || now_ms >= e->beat_ms + e->ttl_ms)
		return 0;
	return e->beat_ms + e->ttl_ms - now_ms;
}

bool registry_out(const struct registry *r, const char *svc, const char *id)
{
	const struct reg_entry *e = find(r, svc, id);

	return e != NULL && e->out;
}

void registry_run(struct registry *r, uint64_t now_ms,
		  struct registry_tick *out)
{
	memset(out, 0, sizeof(*out));
	for (uint32_t i = 0; r->n > 0 && i <= r->mask; i++) {
		struct reg_entry *e = &r->e[i];
		enum registry_state st;

		if (!e->used)
			continue;
		st = entry_state(e, now_ms);
		if (st != REGISTRY_HEALTHY && !e->out) {
			e->out = true;
			out->lapsed++;
		}
		out->due += st == REGISTRY_GONE;
	}
}

uint32_t registry_count(const struct registry *r)
{
	return r->n;
}
