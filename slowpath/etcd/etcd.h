/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The etcd configuration source (docs/scale-out.md): a thread reads and
 * watches PREFIX "config" through etcd's v3 JSON gateway (libcurl) and
 * hands each new document to the slow path's loop, which applies it
 * through the one change path; API writes go to etcd by a txn on the
 * key's mod_revision. Each node writes its outcome to PREFIX "nodes/NAME".
 */
#ifndef EP_ETCD_H
#define EP_ETCD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct jw;
struct etcd_client;

struct etcd_options {
	const char *url; /* http://host:port */
	const char *prefix; /* e.g. "/edgepath/" */
	const char *node; /* this node's name */
};

/* Start the watch thread; NULL with err filled. */
struct etcd_client *etcd_start(const struct etcd_options *o, char *err,
			       size_t err_len);
void etcd_stop(struct etcd_client *c);

/* Readable while a document waits for etcd_take(). */
int etcd_fd(const struct etcd_client *c);

/* The newest document not yet taken: 1 (text malloc'd), or 0. */
int etcd_take(struct etcd_client *c, char **text, size_t *len,
	      int64_t *mod_revision);

/* The loop's outcome for a taken document: error NULL = in force. Written
 * to PREFIX nodes/NODE (best effort, 1 s at most). */
void etcd_applied(struct etcd_client *c, int64_t mod_revision, uint64_t version,
		  const char *error);

/* Put `json` as the document if the key is still at the revision in
 * force: 0 (*revision: the new one), -EAGAIN (someone else wrote it
 * first), -EIO (etcd unreachable or answered an error; err says). */
int etcd_put_doc(struct etcd_client *c, const char *json, int64_t *revision,
		 char *err, size_t err_len);

/* A registered instance: service, id and its ttl (seconds). */
struct etcd_reg_ref {
	const char *svc, *id;
	uint32_t ttl_s;
};

/*
 * A registration (remove false): grant a lease of 2 x ttl for PREFIX
 * registry/SVC/ID and one of ttl for PREFIX alive/SVC/ID, and put both
 * keys, with the document `json` (as etcd_put_doc) in the same txn when
 * given. A deregistration (remove true): both keys deleted, with the
 * document. 0, -EAGAIN (the document moved on), -EIO (err says).
 */
int etcd_reg_write(struct etcd_client *c, const char *json,
		   const struct etcd_reg_ref *r, bool remove, int64_t *revision,
		   char *err, size_t err_len);

/*
 * A heartbeat: both leases kept alive (one request, no revision); when
 * the alive key's lease lapsed, the key again under a new lease. 0, 1
 * (it was unhealthy: the alive key is back), -ENOENT (no instance key:
 * expired or unknown), -EIO.
 */
int etcd_reg_beat(struct etcd_client *c, const struct etcd_reg_ref *r,
		  char *err, size_t err_len);

/* What etcd says of an instance (enum etcd_reg_verdict: -1 unknown, else
 * the values of enum registry_state). */
int etcd_reg_verdict_of(struct etcd_client *c, const char *svc, const char *id);

/* Changes whenever the registry's keys seen, or the revision they cover,
 * change: the loop asks for verdicts again only then. */
uint64_t etcd_reg_gen(struct etcd_client *c);

/* The "source" object of /v1/stats. */
void etcd_render(struct etcd_client *c, struct jw *w);

#endif /* EP_ETCD_H */
