/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-client limit tables: creation, insertion with least-recently-seen
 * recycling, and the LRU list (the lookup is inline in clientlimit.h).
 */
#include <errno.h>

#include <rte_common.h>
#include <rte_errno.h>
#include <rte_malloc.h>

#include "clientlimit.h"

static uint32_t heads_for(uint32_t entries)
{
	return rte_align32pow2(entries);
}

uint64_t cl_memory_bytes(uint32_t entries)
{
	return (uint64_t)entries * sizeof(struct cl_entry) +
	       (uint64_t)heads_for(entries) * sizeof(uint32_t) +
	       sizeof(struct cl_table);
}

struct cl_table *cl_create(const struct cl_params *p)
{
	struct cl_table *t;
	uint32_t n_heads;
	uint64_t per_tick;

	if (p->entries == 0 || p->entries > CL_MAX_ENTRIES ||
	    p->v6_prefix > 128 || p->tsc_hz == 0) {
		rte_errno = EINVAL;
		return NULL;
	}
	t = rte_zmalloc_socket(p->name, sizeof(*t), 64, p->socket_id);
	if (t == NULL)
		goto fail;
	n_heads = heads_for(p->entries);
	t->entries = rte_malloc_socket(p->name,
				       (size_t)p->entries * sizeof(*t->entries),
				       64, p->socket_id);
	t->heads = rte_malloc_socket(
		p->name, (size_t)n_heads * sizeof(uint32_t), 64, p->socket_id);
	if (t->entries == NULL || t->heads == NULL)
		goto fail;
	memset(t->heads, 0xff, (size_t)n_heads * sizeof(uint32_t));
	t->capacity = p->entries;
	t->head_mask = n_heads - 1;
	t->lru_head = CL_NONE;
	t->lru_tail = CL_NONE;
	t->v6_prefix = p->v6_prefix ? p->v6_prefix : CL_DEFAULT_V6_PREFIX;
	/* The largest power of two of TSC cycles within a millisecond. */
	per_tick = p->tsc_hz / 1000 ? p->tsc_hz / 1000 : 1;
	while (t->tick_shift < 63 && (2ull << t->tick_shift) <= per_tick)
		t->tick_shift++;
	t->seed = p->seed;
	return t;
fail:
	cl_free(t);
	rte_errno = ENOMEM;
	return NULL;
}

void cl_free(struct cl_table *t)
{
	if (t == NULL)
		return;
	rte_free(t->heads);
	rte_free(t->entries);
	rte_free(t);
}

static void lru_unlink(struct cl_table *t, uint32_t i)
{
	struct cl_entry *e = &t->entries[i];

	if (e->lru_prev != CL_NONE)
		t->entries[e->lru_prev].lru_next = e->lru_next;
	else
		t->lru_head = e->lru_next;
	if (e->lru_next != CL_NONE)
		t->entries[e->lru_next].lru_prev = e->lru_prev;
	else
		t->lru_tail = e->lru_prev;
}

static void lru_push_head(struct cl_table *t, uint32_t i)
{
	struct cl_entry *e = &t->entries[i];

	e->lru_prev = CL_NONE;
	e->lru_next = t->lru_head;
	if (t->lru_head != CL_NONE)
		t->entries[t->lru_head].lru_prev = i;
	t->lru_head = i;
	if (t->lru_tail == CL_NONE)
		t->lru_tail = i;
}

void cl_move_to_head(struct cl_table *t, uint32_t i)
{
	if (t->lru_head == i)
		return;
	lru_unlink(t, i);
	lru_push_head(t, i);
}

/* Take entry `i` out of its index chain. */
static void index_unlink(struct cl_table *t, uint32_t i)
{
	struct cl_entry *e = &t->entries[i];
	uint32_t *link =
		&t->heads[cl_hash(t, e->addr, e->scope) & t->head_mask];

	while (*link != CL_NONE && *link != i)
		link = &t->entries[*link].hnext;
	if (*link == i)
		*link = e->hnext;
}

struct cl_entry *cl_insert(struct cl_table *t, const uint8_t key[16],
			   uint16_t scope, uint32_t hash, uint64_t now_tsc)
{
	uint32_t *head = &t->heads[hash & t->head_mask];
	struct cl_entry *e;
	uint32_t i;

	if (t->used < t->capacity) {
		i = t->used++;
	} else {
		i = t->lru_tail;
		lru_unlink(t, i);
		index_unlink(t, i);
		t->evictions++;
	}
	e = &t->entries[i];
	memcpy(e->addr, key, 16);
	/* No history: a TAT of now conforms with the whole tolerance. */
	for (uint32_t l = 0; l < CL_N_LIMITS; l++)
		e->tat[l] = policer_time(now_tsc);
	e->scope = scope;
	e->tick = (uint16_t)(now_tsc >> t->tick_shift);
	e->hnext = *head;
	*head = i;
	lru_push_head(t, i);
	return e;
}

void cl_refresh(struct cl_table *t, uint32_t budget, uint64_t now_tsc)
{
	uint64_t now = policer_time(now_tsc);

	for (uint32_t k = 0; k < budget && t->used; k++) {
		struct cl_entry *e = &t->entries[t->refresh_cursor];

		for (uint32_t l = 0; l < CL_N_LIMITS; l++)
			if (now - e->tat[l] > POLICER_REFRESH_AGE &&
			    (int64_t)(e->tat[l] - now) <= 0)
				e->tat[l] = now - POLICER_REFRESH_AGE;
		if (++t->refresh_cursor >= t->used)
			t->refresh_cursor = 0;
	}
}
