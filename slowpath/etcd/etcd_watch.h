/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * etcd v3 JSON gateway messages (no I/O): the stream POST /v3/watch
 * answers, cut into messages and decoded, and the bodies of range and txn
 * answers. Pure functions of their input, so that unit tests and fuzzing
 * reach them without an etcd. Keys and values travel base64-encoded.
 */
#ifndef EP_ETCD_WATCH_H
#define EP_ETCD_WATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ETCD_MSG_MAX (16u << 20) /* larger: the stream is refused */

enum etcd_msg_kind {
	ETCD_MSG_CREATED = 1, /* the watch is registered */
	ETCD_MSG_PUT = 2, /* the key has a new value */
	ETCD_MSG_DELETE = 3, /* the key was deleted */
	ETCD_MSG_CANCELED = 4, /* the watch ended (compact_revision > 0:
				  compaction; re-read and watch again) */
	ETCD_MSG_PROGRESS = 5, /* header only */
	ETCD_MSG_ERROR = 6, /* {"error": ...} or a message we cannot read */
};

struct etcd_msg {
	enum etcd_msg_kind kind;
	int64_t revision; /* header.revision */
	int64_t mod_revision; /* PUT/DELETE: the event's kv.mod_revision */
	int64_t compact_revision; /* CANCELED */
	char *value; /* PUT: decoded, NUL-terminated, valid during fn */
	size_t value_len;
	char *key; /* PUT/DELETE: decoded, NUL-terminated, valid during fn */
	int64_t lease; /* PUT: the key's lease, 0 when none */
	char error[160];
};

/* Cuts a byte stream into top-level JSON objects. */
struct etcd_stream {
	char *buf;
	size_t len, cap;
	size_t scan; /* bytes of buf already scanned */
	int depth;
	bool in_str, esc;
	bool failed; /* a message over ETCD_MSG_MAX */
};

typedef void (*etcd_msg_fn)(void *arg, const struct etcd_msg *m);

/*
 * Feed `len` bytes; every complete object is decoded and passed to `fn`
 * (one event per PUT/DELETE of the answer). Returns 0, or -1 once the
 * stream is unusable (then the caller reconnects).
 */
int etcd_stream_feed(struct etcd_stream *s, const char *data, size_t len,
		     etcd_msg_fn fn, void *arg);
void etcd_stream_reset(struct etcd_stream *s);

/* Decode one watch-stream message (messages with events: one call of fn
 * per event). */
void etcd_msg_decode(const char *json, size_t len, etcd_msg_fn fn, void *arg);

/*
 * A range answer for one key: *value (malloc'd, NUL-terminated, NULL when
 * the key is absent), its mod_revision (0 when absent) and the store's
 * revision. 0 or -1 (err filled).
 */
int etcd_parse_range(const char *body, char **value, size_t *value_len,
		     int64_t *mod_revision, int64_t *revision, char *err,
		     size_t err_len);

/* One key of a range answer (valid during the call). */
struct etcd_kv {
	const char *key, *value;
	size_t value_len;
	int64_t mod_revision, lease;
};

typedef int (*etcd_kv_fn)(void *arg, const struct etcd_kv *kv);

/*
 * A range answer for many keys: fn for each (its non-zero return ends
 * the walk and is returned), *revision the store's. 0, the return of fn,
 * or -1 (err filled: unreadable, or a key or value not base64).
 */
int etcd_parse_kvs(const char *body, etcd_kv_fn fn, void *arg,
		   int64_t *revision, char *err, size_t err_len);

/* A lease grant answer: 0 with *id and *ttl_s (etcd may raise the TTL to
 * its minimum), or -1 (err filled). */
int etcd_parse_grant(const char *body, int64_t *id, int64_t *ttl_s, char *err,
		     size_t err_len);

/*
 * A keep-alive answer (one {"result"} object per lease asked, in one
 * body): *ttl_s of lease `id` (0: expired or unknown). 0, or -1 when the
 * body has no answer for it.
 */
int etcd_parse_keepalive(const char *body, int64_t id, int64_t *ttl_s);

/* A txn answer: 1 succeeded, 0 compare failed, -1 unreadable; *revision. */
int etcd_parse_txn(const char *body, int64_t *revision, char *err,
		   size_t err_len);

/* Base64 (RFC 4648, padded). Encode: malloc'd string. Decode: malloc'd,
 * NUL-terminated, or NULL when not base64. */
char *etcd_b64_encode(const void *data, size_t len);
char *etcd_b64_decode(const char *text, size_t *out_len);

/* Reconnect back-off: 100 ms doubling to 5 s, for attempt 0, 1, ... */
uint32_t etcd_backoff_ms(uint32_t attempt);

#endif /* EP_ETCD_WATCH_H */
