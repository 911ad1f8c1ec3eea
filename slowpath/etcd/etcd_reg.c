/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The registry's keys in etcd (etcd_reg.h): key names both ways and the
 * table of keys seen, a plain array (instances number in the hundreds;
 * the loop reads it only when it changed).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "etcd_reg.h"

static const char *const kind_dir[] = { "", "registry/", "alive/" };

static bool svc_ok(const char *s, size_t n)
{
	if (n == 0 || n >= ETCD_REG_SVC_LEN)
		return false;
	for (size_t i = 0; i < n; i++)
		if (strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXY"
			   "Z"
			   "0123456789_.-",
			   s[i]) == NULL ||
		    s[i] == 0)
			return false;
	return true;
}

static bool id_ok(const char *s)
{
	return strlen(s) == ETCD_REG_ID_LEN - 1 &&
	       strspn(s, "0123456789abcdef") == ETCD_REG_ID_LEN - 1;
}

enum etcd_reg_kind etcd_reg_key_parse(const char *rel,
				      char svc[ETCD_REG_SVC_LEN],
				      char id[ETCD_REG_ID_LEN])
{
	for (int k = ETCD_REG_INSTANCE; k <= ETCD_REG_ALIVE; k++) {
		size_t d = strlen(kind_dir[k]);
		const char *s = rel + d, *slash;

		if (strncmp(rel, kind_dir[k], d) != 0)
			continue;
		slash = strchr(s, '/');
		if (slash == NULL || !svc_ok(s, (size_t)(slash - s)) ||
		    !id_ok(slash + 1))
			return ETCD_REG_NONE;
		memcpy(svc, s, (size_t)(slash - s));
		svc[slash - s] = 0;
		memcpy(id, slash + 1, ETCD_REG_ID_LEN);
		return (enum etcd_reg_kind)k;
	}
	return ETCD_REG_NONE;
}

int etcd_reg_key(enum etcd_reg_kind k, const char *prefix, const char *svc,
		 const char *id, char *out, size_t out_len)
{
	int n;

	if (k != ETCD_REG_INSTANCE && k != ETCD_REG_ALIVE)
		return -1;
	n = snprintf(out, out_len, "%s%s%s/%s", prefix, kind_dir[k], svc, id);
	return n < 0 || (size_t)n >= out_len ? -1 : 0;
}

static struct etcd_reg_entry *find(const struct etcd_reg_table *t,
				   const char *svc, const char *id)
{
	for (uint32_t i = 0; i < t->n; i++)
		if (strcmp(t->e[i].id, id) == 0 &&
		    strcmp(t->e[i].svc, svc) == 0)
			return &t->e[i];
	return NULL;
}

const struct etcd_reg_entry *etcd_reg_find(const struct etcd_reg_table *t,
					   const char *svc, const char *id)
{
	return find(t, svc, id);
}

static struct etcd_reg_entry *add(struct etcd_reg_table *t, const char *svc,
				  const char *id)
{
	struct etcd_reg_entry *e;

	if (strlen(svc) >= ETCD_REG_SVC_LEN || strlen(id) >= ETCD_REG_ID_LEN)
		return NULL;
	if (t->n == t->cap) {
		uint32_t cap = t->cap ? t->cap * 2 : 16;

		e = realloc(t->e, cap * sizeof(*e));
		if (e == NULL)
			return NULL;
		t->e = e;
		t->cap = cap;
	}
	e = &t->e[t->n++];
	memset(e, 0, sizeof(*e));
	memcpy(e->svc, svc, strlen(svc) + 1);
	memcpy(e->id, id, strlen(id) + 1);
	return e;
}

int etcd_reg_put(struct etcd_reg_table *t, enum etcd_reg_kind k,
		 const char *svc, const char *id, int64_t lease)
{
	struct etcd_reg_entry *e = find(t, svc, id);

	if (e == NULL)
		e = add(t, svc, id);
	if (e == NULL)
		return -ENOMEM;
	/* a key without a lease is still there: -1 marks it present */
	if (k == ETCD_REG_INSTANCE)
		e->lease = lease != 0 ? lease : -1;
	else
		e->alive_lease = lease != 0 ? lease : -1;
	return 0;
}

void etcd_reg_del(struct etcd_reg_table *t, enum etcd_reg_kind k,
		  const char *svc, const char *id)
{
	struct etcd_reg_entry *e = find(t, svc, id);

	if (e == NULL)
		return;
	if (k == ETCD_REG_INSTANCE)
		e->lease = 0;
	else
		e->alive_lease = 0;
	if (e->lease == 0 && e->alive_lease == 0)
		*e = t->e[--t->n];
}

void etcd_reg_clear(struct etcd_reg_table *t)
{
	t->n = 0;
}

void etcd_reg_free(struct etcd_reg_table *t)
{
	free(t->e);
	memset(t, 0, sizeof(*t));
}

enum etcd_reg_verdict etcd_reg_verdict(const struct etcd_reg_table *t,
				       const char *svc, const char *id,
				       int64_t seen_rev, int64_t doc_rev)
{
	const struct etcd_reg_entry *e = find(t, svc, id);

	if (e != NULL && e->lease != 0)
		return e->alive_lease != 0 ? ETCD_REG_HEALTHY
					   : ETCD_REG_UNHEALTHY;
	/* doc_rev 0: the document is the --config file's, not etcd's */
	return doc_rev > 0 && seen_rev >= doc_rev ? ETCD_REG_GONE
						  : ETCD_REG_UNKNOWN;
}
