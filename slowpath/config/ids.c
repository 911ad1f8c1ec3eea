/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Configuration module: the stable stats ids of services and backends.
 */
#include "config_int.h"

void cfg_ids_key_make(struct ids_key *k, const char *svc,
		      const struct ep_ip *addr, uint16_t port)
{
	memset(k, 0, sizeof(*k));
	memcpy(k->svc, svc, strnlen(svc, EP_NAME_LEN - 1));
	if (addr != NULL)
		k->addr = cfg_ip_flat(addr);
	k->port = port;
}

static uint32_t ids_hash(const struct ids_key *k)
{
	return cfg_fnv1a(k, sizeof(*k));
}

static uint32_t ids_lookup(const struct ids_table *t, const struct ids_key *k)
{
	uint32_t h = ids_hash(k) & t->mask;

	while (t->index[h] != IDS_NONE) {
		if (memcmp(&t->owner[t->index[h]], k, sizeof(*k)) == 0)
			return t->index[h];
		h = (h + 1) & t->mask;
	}
	return IDS_NONE;
}

static void ids_reindex(struct ids_table *t)
{
	uint32_t id, h;

	memset(t->index, 0xff, (t->mask + 1) * sizeof(*t->index));
	for (id = 0; id < t->max; id++) {
		if (!t->live[id])
			continue;
		h = ids_hash(&t->owner[id]) & t->mask;
		while (t->index[h] != IDS_NONE)
			h = (h + 1) & t->mask;
		t->index[h] = id;
	}
}

static void ids_table_fini(struct ids_table *t)
{
	free(t->index);
	free(t->owner);
	free(t->live);
	free(t->fifo);
	free(t->fifo_next);
	free(t->live_next);
}

static int ids_table_init(struct ids_table *t, uint32_t max)
{
	uint32_t id, slots = 1;

	while (slots < 2 * max) /* load factor <= 1/2 keeps probes short */
		slots <<= 1;
	t->max = max;
	t->mask = slots - 1;
	t->index = malloc(slots * sizeof(*t->index));
	t->owner = calloc(max, sizeof(*t->owner));
	t->live = calloc(max, 1);
	t->fifo = malloc(max * sizeof(*t->fifo));
	t->fifo_next = malloc(max * sizeof(*t->fifo_next));
	t->live_next = calloc(max, 1);
	if (t->index == NULL || t->owner == NULL || t->live == NULL ||
	    t->fifo == NULL || t->fifo_next == NULL || t->live_next == NULL)
		return -ENOMEM;
	for (id = 0; id < max; id++)
		t->fifo[id] = id;
	t->n_free = max;
	ids_reindex(t);
	return 0;
}

struct config_ids *config_ids_create(void)
{
	struct config_ids *ids = calloc(1, sizeof(*ids));

	if (ids == NULL)
		return NULL;
	if (ids_table_init(&ids->svc, EP_MAX_SERVICES) != 0 ||
	    ids_table_init(&ids->be, EP_MAX_BACKENDS) != 0) {
		config_ids_destroy(ids);
		return NULL;
	}
	return ids;
}

void config_ids_destroy(struct config_ids *ids)
{
	if (ids == NULL)
		return;
	ids_table_fini(&ids->svc);
	ids_table_fini(&ids->be);
	free(ids);
}

/*
 * Ids for `n` distinct identities, without changing `t`: known ones keep
 * theirs; new ones take the FIFO from its head, then the ids of live
 * identities missing from `keys`, lowest first (the order in which
 * ids_apply() queues them). NULL `t` numbers 0..n-1.
 */
int cfg_ids_assign(const struct ids_table *t, const struct ids_key *keys,
		   uint32_t n, uint32_t *out)
{
	uint8_t *taken;
	uint32_t i, next_free = 0, next_old = 0;

	for (i = 0; t == NULL && i < n; i++)
		out[i] = i;
	if (t == NULL || n == 0)
		return 0;
	taken = calloc(t->max, 1);
	if (taken == NULL)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		out[i] = ids_lookup(t, &keys[i]);
		if (out[i] != IDS_NONE)
			taken[out[i]] = 1;
	}
	for (i = 0; i < n; i++) {
		if (out[i] != IDS_NONE)
			continue;
		if (next_free < t->n_free) {
			out[i] = t->fifo[next_free++];
			continue;
		}
		/* Validated limits (n <= max, keys distinct) leave one. */
		while (next_old < t->max &&
		       (!t->live[next_old] || taken[next_old]))
			next_old++;
		if (next_old == t->max)
			break;
		out[i] = next_old++;
	}
	free(taken);
	return i == n ? 0 : -ENOSPC;
}

/* Make `ids`/`keys` (n, distinct) the live set; cannot fail. */
void cfg_ids_apply(struct ids_table *t, const struct ids_key *keys,
		   const uint32_t *ids, uint32_t n)
{
	uint32_t i, id, m = 0, *tmp;
	uint8_t *ltmp;

	memset(t->live_next, 0, t->max);
	for (i = 0; i < n; i++)
		t->live_next[ids[i]] = 1;
	for (i = 0; i < t->n_free; i++)
		if (!t->live_next[t->fifo[i]])
			t->fifo_next[m++] = t->fifo[i];
	for (id = 0; id < t->max; id++)
		if (t->live[id] && !t->live_next[id])
			t->fifo_next[m++] = id; /* freed: back of the queue */
	tmp = t->fifo;
	t->fifo = t->fifo_next;
	t->fifo_next = tmp;
	t->n_free = m;
	ltmp = t->live;
	t->live = t->live_next;
	t->live_next = ltmp;
	for (i = 0; i < n; i++)
		t->owner[ids[i]] = keys[i];
	ids_reindex(t);
}
