/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The service registry's keys in etcd (docs/scale-out.md): PREFIX
 * "registry/SVC/ID" (lease of 2 x ttl: the instance exists) and PREFIX
 * "alive/SVC/ID" (lease of ttl: it takes new flows), and the table of
 * them a node has seen through its read and its watch. Pure (no I/O, no
 * lock: the etcd client's mutex guards the table), for unit tests.
 */
#ifndef EP_ETCD_REG_H
#define EP_ETCD_REG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ETCD_REG_SVC_LEN 32u /* EP_NAME_LEN */
#define ETCD_REG_ID_LEN 17u /* CONFIG_REG_ID_LEN */

enum etcd_reg_kind {
	ETCD_REG_NONE = 0, /* not a registry key */
	ETCD_REG_INSTANCE = 1, /* registry/SVC/ID */
	ETCD_REG_ALIVE = 2, /* alive/SVC/ID */
};

/* What etcd says of an instance; the values of enum registry_state. */
enum etcd_reg_verdict {
	ETCD_REG_UNKNOWN = -1, /* not seen yet: the node decides alone */
	ETCD_REG_HEALTHY = 0, /* both keys */
	ETCD_REG_UNHEALTHY = 1, /* the instance key only: ttl lapsed */
	ETCD_REG_GONE = 2, /* no instance key: 2 x ttl lapsed, or deleted */
};

struct etcd_reg_entry {
	char svc[ETCD_REG_SVC_LEN];
	char id[ETCD_REG_ID_LEN];
	int64_t lease; /* of the instance key, 0 when absent */
	int64_t alive_lease; /* of the alive key, 0 when absent */
};

struct etcd_reg_table {
	struct etcd_reg_entry *e;
	uint32_t n, cap;
};

/*
 * The kind of key `rel` (the key without the prefix), with its service
 * and id: a service of [A-Za-z0-9_.-] (1..31 bytes) and an id of 16
 * lowercase hex digits, else ETCD_REG_NONE.
 */
enum etcd_reg_kind etcd_reg_key_parse(const char *rel,
				      char svc[ETCD_REG_SVC_LEN],
				      char id[ETCD_REG_ID_LEN]);

/* "registry/SVC/ID" or "alive/SVC/ID" into out; 0 or -1 (too long). */
int etcd_reg_key(enum etcd_reg_kind k, const char *prefix, const char *svc,
		 const char *id, char *out, size_t out_len);

/* A put of a key of kind k with `lease` (0: none): 0 or -ENOMEM. */
int etcd_reg_put(struct etcd_reg_table *t, enum etcd_reg_kind k,
		 const char *svc, const char *id, int64_t lease);

/* The key of kind k is gone (deleted, or its lease expired). */
void etcd_reg_del(struct etcd_reg_table *t, enum etcd_reg_kind k,
		  const char *svc, const char *id);

/* Empty the table (before a new read of every key). */
void etcd_reg_clear(struct etcd_reg_table *t);
void etcd_reg_free(struct etcd_reg_table *t);

/* The entry of (svc, id), NULL when neither key is known. */
const struct etcd_reg_entry *etcd_reg_find(const struct etcd_reg_table *t,
					   const char *svc, const char *id);

/*
 * The verdict on an instance that the document in force names. Without
 * an entry it is GONE only once the table covers the document's revision
 * (seen_rev >= doc_rev): a registration writes the document and both keys
 * in one transaction, so a table that has seen that revision and has no
 * instance key knows it expired. Before that, and for a document that is
 * not etcd's (doc_rev 0: the --config file's), it is UNKNOWN.
 */
enum etcd_reg_verdict etcd_reg_verdict(const struct etcd_reg_table *t,
				       const char *svc, const char *id,
				       int64_t seen_rev, int64_t doc_rev);

#endif /* EP_ETCD_REG_H */
