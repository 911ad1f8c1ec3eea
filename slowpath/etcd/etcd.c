/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The etcd source (etcd.h). One thread owns the range and the watch
 * stream (blocking libcurl; a progress callback ends it on stop) and
 * hands the newest document to the loop through a mutex and a pipe; the
 * loop's own writes (txn, node status) use a second handle of its own.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "etcd.h"
#include "etcd_reg.h"
#include "etcd_watch.h"
#include "jw.h"

#define ETCD_CONNECT_MS 1000L
#define ETCD_REQUEST_MS 2000L
#define ETCD_BODY_MAX (ETCD_MSG_MAX)

struct etcd_client {
	char url[256];
	char prefix[160];
	char key[256]; /* PREFIX config */
	char node_key[256]; /* PREFIX nodes/NODE */
	char node[64];
	pthread_t thread;
	bool thread_up;
	volatile int stop;
	int pipe_rd, pipe_wr;
	CURL *own; /* the loop's handle */
	pthread_mutex_t mu; /* guards what follows */
	char *doc; /* newest document not taken */
	size_t doc_len;
	int64_t doc_rev;
	int64_t handed_rev; /* newest mod_revision handed over */
	int64_t applied_rev; /* mod_revision of the document in force */
	int64_t refused_rev;
	uint64_t applied_version;
	bool connected;
	bool deleted; /* the key was deleted; the last document stays */
	uint64_t reconnects, compactions, refused;
	char conn_error[160];
	char apply_error[240];
	struct etcd_reg_table reg; /* the registry's keys seen */
	int64_t seen_rev; /* the revision reg covers */
	uint64_t reg_gen; /* bumped whenever reg or seen_rev changes */
	/* watch thread only */
	int64_t msg_rev; /* the newest header revision decoded */
	struct etcd_stream stream;
	bool canceled;
	int64_t compact_rev;
};

struct body {
	char *buf;
	size_t len;
};

static size_t body_write(char *p, size_t sz, size_t n, void *arg)
{
	struct body *b = arg;
	size_t add = sz * n;
	char *nb;

	if (b->len + add > ETCD_BODY_MAX)
		return 0;
	nb = realloc(b->buf, b->len + add + 1);
	if (nb == NULL)
		return 0;
	memcpy(nb + b->len, p, add);
	b->buf = nb;
	b->len += add;
	b->buf[b->len] = 0;
	return add;
}

/* POST `json` to url+path; 0 with the body, or -EIO (err filled). */
static int post(CURL *h, const char *url, const char *path, const char *json,
		struct body *b, char *err, size_t err_len)
{
	char full[320];
	long code = 0;
	CURLcode rc;

	snprintf(full, sizeof(full), "%s%s", url, path);
	b->buf = NULL;
	b->len = 0;
	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_URL, full);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, json);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, body_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, b);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, ETCD_CONNECT_MS);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, ETCD_REQUEST_MS);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	rc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	if (rc != CURLE_OK || code != 200 || b->buf == NULL) {
		snprintf(err, err_len, "etcd %s: %s", path,
			 rc != CURLE_OK ? curl_easy_strerror(rc)
					: "HTTP error status");
		free(b->buf);
		b->buf = NULL;
		return -EIO;
	}
	return 0;
}

static void set_conn(struct etcd_client *c, bool up, const char *why)
{
	pthread_mutex_lock(&c->mu);
	c->connected = up;
	if (why != NULL)
		snprintf(c->conn_error, sizeof(c->conn_error), "%s", why);
	pthread_mutex_unlock(&c->mu);
}

/* A new document for the loop (the newest wins); `text` is taken. */
static void hand_over(struct etcd_client *c, char *text, size_t len,
		      int64_t rev)
{
	char one = 1;

	pthread_mutex_lock(&c->mu);
	if (rev <= c->handed_rev) {
		pthread_mutex_unlock(&c->mu);
		free(text);
		return;
	}
	free(c->doc);
	c->doc = text;
	c->doc_len = len;
	c->doc_rev = rev;
	c->handed_rev = rev;
	c->deleted = false;
	pthread_mutex_unlock(&c->mu);
	if (write(c->pipe_wr, &one, 1) < 0 && errno != EAGAIN)
		fprintf(stderr, "slowpath: etcd: wake-up pipe: %s\n",
			strerror(errno));
}

/* The key range of the whole prefix: [PREFIX, PREFIX with its last byte
 * + 1), as the gateway's base64 members `"key":..,"range_end":..`. */
static char *prefix_range_json(const char *prefix)
{
	size_t n = strlen(prefix);
	char end[160], *k, *e, *out = NULL;

	if (n == 0 || n >= sizeof(end))
		return NULL;
	memcpy(end, prefix, n);
	end[n - 1]++; /* '/' + 1 = '0' */
	k = etcd_b64_encode(prefix, n);
	e = etcd_b64_encode(end, n);
	if (k != NULL && e != NULL) {
		n = strlen(k) + strlen(e) + 32;
		out = malloc(n);
		if (out != NULL)
			snprintf(out, n, "\"key\":\"%s\",\"range_end\":\"%s\"",
				 k, e);
	}
	free(k);
	free(e);
	return out;
}

/* A registry key's put or delete into the table (mutex held); false when
 * `key` is not one. */
static bool reg_event(struct etcd_client *c, const char *key, bool put,
		      int64_t lease)
{
	size_t n = strlen(c->prefix);
	char svc[ETCD_REG_SVC_LEN], id[ETCD_REG_ID_LEN];
	enum etcd_reg_kind k;

	if (strncmp(key, c->prefix, n) != 0)
		return false;
	k = etcd_reg_key_parse(key + n, svc, id);
	if (k == ETCD_REG_NONE)
		return false;
	if (!put)
		etcd_reg_del(&c->reg, k, svc, id);
	else if (etcd_reg_put(&c->reg, k, svc, id, lease) < 0)
		fprintf(stderr,
			"slowpath: etcd: registry key %s not tracked: "
			"out of memory\n",
			key);
	c->reg_gen++;
	return true;
}

struct range_out {
	struct etcd_client *c;
	char *doc;
	size_t len;
	int64_t mod;
};

static int range_kv(void *arg, const struct etcd_kv *kv)
{
	struct range_out *r = arg;

	if (strcmp(kv->key, r->c->key) != 0) {
		reg_event(r->c, kv->key, true, kv->lease);
		return 0;
	}
	r->doc = malloc(kv->value_len + 1);
	if (r->doc == NULL)
		return -1;
	memcpy(r->doc, kv->value, kv->value_len + 1);
	r->len = kv->value_len;
	r->mod = kv->mod_revision;
	return 0;
}

/* Range-get the prefix (the document and the registry's keys, at one
 * revision): 0 (*revision: the store's), or -EIO. */
static int do_range(struct etcd_client *c, CURL *h, int64_t *revision)
{
	char err[160] = "", *range = prefix_range_json(c->prefix), *req;
	struct range_out r = { .c = c };
	struct body b;
	size_t n = range ? strlen(range) + 4 : 0;
	int rc = -ENOMEM;

	req = range ? malloc(n) : NULL;
	if (req != NULL) {
		snprintf(req, n, "{%s}", range);
		rc = post(h, c->url, "/v3/kv/range", req, &b, err, sizeof(err));
	}
	free(range);
	free(req);
	if (rc < 0) {
		set_conn(c, false, err[0] ? err : "out of memory");
		return rc;
	}
	pthread_mutex_lock(&c->mu);
	etcd_reg_clear(&c->reg); /* deletes missed while away */
	rc = etcd_parse_kvs(b.buf, range_kv, &r, revision, err, sizeof(err));
	if (rc == 0 && *revision > c->seen_rev)
		c->seen_rev = *revision;
	c->reg_gen++;
	pthread_mutex_unlock(&c->mu);
	free(b.buf);
	if (rc != 0) {
		free(r.doc);
		set_conn(c, false, err[0] ? err : "range: out of memory");
		return -EIO;
	}
	set_conn(c, true, NULL);
	if (r.doc != NULL)
		hand_over(c, r.doc, r.len, r.mod);
	return 0;
}

static void on_watch_msg(void *arg, const struct etcd_msg *m)
{
	struct etcd_client *c = arg;

	if (m->revision > c->msg_rev)
		c->msg_rev = m->revision;
	if (m->kind == ETCD_MSG_PUT || m->kind == ETCD_MSG_DELETE) {
		if (m->key == NULL || strcmp(m->key, c->key) != 0) {
			/* a registry key; others (nodes/...) are not ours */
			pthread_mutex_lock(&c->mu);
			if (m->key != NULL)
				reg_event(c, m->key, m->kind == ETCD_MSG_PUT,
					  m->lease);
			pthread_mutex_unlock(&c->mu);
			return;
		}
	}
	switch (m->kind) {
	case ETCD_MSG_CREATED:
		set_conn(c, true, NULL);
		break;
	case ETCD_MSG_PUT:
		hand_over(c, strdup(m->value), m->value_len, m->mod_revision);
		break;
	case ETCD_MSG_DELETE:
		pthread_mutex_lock(&c->mu);
		c->deleted = true;
		pthread_mutex_unlock(&c->mu);
		fprintf(stderr,
			"slowpath: etcd: %s deleted; the last "
			"configuration stays in force\n",
			c->key);
		break;
	case ETCD_MSG_CANCELED:
		c->canceled = true;
		c->compact_rev = m->compact_revision;
		break;
	case ETCD_MSG_ERROR:
		set_conn(c, false, m->error);
		c->canceled = true;
		break;
	default:
		break;
	}
}

static size_t watch_write(char *p, size_t sz, size_t n, void *arg)
{
	struct etcd_client *c = arg;

	int rc = etcd_stream_feed(&c->stream, p, sz * n, on_watch_msg, c);

	/* Whole messages only: the table covers a revision once all of its
	 * events (a registration's document and keys) are in. */
	pthread_mutex_lock(&c->mu);
	if (c->msg_rev > c->seen_rev) {
		c->seen_rev = c->msg_rev;
		c->reg_gen++;
	}
	pthread_mutex_unlock(&c->mu);
	if (rc < 0)
		return 0;
	return c->canceled ? 0 : sz * n; /* canceled: end the stream */
}

static int watch_progress(void *arg, curl_off_t a, curl_off_t b, curl_off_t d,
			  curl_off_t e)
{
	struct etcd_client *c = arg;

	(void)a, (void)b, (void)d, (void)e;
	return c->stop ? 1 : 0;
}

/* Watch from `start`; returns when the stream ends (0 after a
 * compaction: read again at once; -EIO otherwise). */
static int do_watch(struct etcd_client *c, CURL *h, int64_t start)
{
	char full[320], req[800], *range = prefix_range_json(c->prefix);
	CURLcode rc;

	if (range == NULL)
		return -ENOMEM;
	snprintf(req, sizeof(req),
		 "{\"create_request\":{%s,\"start_revision\":"
		 "\"%" PRId64 "\"}}",
		 range, start);
	free(range);
	snprintf(full, sizeof(full), "%s/v3/watch", c->url);
	etcd_stream_reset(&c->stream);
	c->canceled = false;
	c->compact_rev = 0;
	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_URL, full);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, req);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, watch_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, c);
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, watch_progress);
	curl_easy_setopt(h, CURLOPT_XFERINFODATA, c);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, ETCD_CONNECT_MS);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	/* A silent peer (host gone): TCP keep-alive finds out. */
	curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(h, CURLOPT_TCP_KEEPIDLE, 5L);
	curl_easy_setopt(h, CURLOPT_TCP_KEEPINTVL, 2L);
	rc = curl_easy_perform(h);
	etcd_stream_reset(&c->stream);
	if (c->canceled && c->compact_rev > 0) {
		pthread_mutex_lock(&c->mu);
		c->compactions++;
		pthread_mutex_unlock(&c->mu);
		fprintf(stderr,
			"slowpath: etcd: watch canceled by compaction at "
			"revision %" PRId64 "; reading the key again\n",
			c->compact_rev);
		return 0;
	}
	set_conn(c, false,
		 rc == CURLE_OK ? "watch stream ended"
				: curl_easy_strerror(rc));
	return -EIO;
}

static void nap_ms(struct etcd_client *c, uint32_t ms)
{
	struct timespec ts = { 0, 20 * 1000000L };

	for (uint32_t t = 0; t < ms && !c->stop; t += 20)
		nanosleep(&ts, NULL);
}

static void *watch_main(void *arg)
{
	struct etcd_client *c = arg;
	CURL *h = curl_easy_init();
	uint32_t attempt = 0;
	int64_t rev = 0;

	while (h != NULL && !c->stop) {
		int rc = do_range(c, h, &rev);

		if (rc == 0) {
			attempt = 0;
			rc = do_watch(c, h, rev + 1);
		}
		if (rc == 0 || c->stop)
			continue;
		pthread_mutex_lock(&c->mu);
		c->reconnects++;
		pthread_mutex_unlock(&c->mu);
		nap_ms(c, etcd_backoff_ms(attempt++));
	}
	curl_easy_cleanup(h);
	return NULL;
}

struct etcd_client *etcd_start(const struct etcd_options *o, char *err,
			       size_t err_len)
{
	struct etcd_client *c = calloc(1, sizeof(*c));
	int p[2];

	if (c == NULL || pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0) {
		snprintf(err, err_len, "out of memory or descriptors");
		free(c);
		return NULL;
	}
	c->pipe_rd = p[0];
	c->pipe_wr = p[1];
	snprintf(c->url, sizeof(c->url), "%s", o->url);
	snprintf(c->prefix, sizeof(c->prefix), "%s", o->prefix);
	snprintf(c->key, sizeof(c->key), "%sconfig", o->prefix);
	snprintf(c->node_key, sizeof(c->node_key), "%snodes/%s", o->prefix,
		 o->node);
	snprintf(c->node, sizeof(c->node), "%s", o->node);
	snprintf(c->conn_error, sizeof(c->conn_error), "not connected yet");
	pthread_mutex_init(&c->mu, NULL);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	c->own = curl_easy_init();
	if (c->own == NULL ||
	    pthread_create(&c->thread, NULL, watch_main, c) != 0) {
		snprintf(err, err_len, "cannot start the etcd thread");
		etcd_stop(c);
		return NULL;
	}
	c->thread_up = true;
	return c;
}

void etcd_stop(struct etcd_client *c)
{
	if (c == NULL)
		return;
	c->stop = 1;
	if (c->thread_up)
		pthread_join(c->thread, NULL);
	curl_easy_cleanup(c->own);
	close(c->pipe_rd);
	close(c->pipe_wr);
	free(c->doc);
	etcd_reg_free(&c->reg);
	pthread_mutex_destroy(&c->mu);
	free(c);
}

int etcd_fd(const struct etcd_client *c)
{
	return c->pipe_rd;
}

int etcd_take(struct etcd_client *c, char **text, size_t *len,
	      int64_t *mod_revision)
{
	char drain[64];
	int got = 0;

	while (read(c->pipe_rd, drain, sizeof(drain)) > 0)
		;
	pthread_mutex_lock(&c->mu);
	if (c->doc != NULL && c->doc_rev > c->applied_rev) {
		*text = c->doc;
		*len = c->doc_len;
		*mod_revision = c->doc_rev;
		c->doc = NULL;
		got = 1;
	}
	free(c->doc);
	c->doc = NULL;
	pthread_mutex_unlock(&c->mu);
	return got;
}

/* PREFIX nodes/NODE := {"node", "revision", "version", "error"}. */
static void write_node_status(struct etcd_client *c)
{
	char val[512], err[160], *kb, *vb, *req;
	struct body b;
	size_t n;

	pthread_mutex_lock(&c->mu);
	snprintf(val, sizeof(val),
		 "{\"node\":\"%s\",\"revision\":%" PRId64
		 ",\"version\":%" PRIu64 ",\"refused_revision\":%" PRId64 "}",
		 c->node, c->applied_rev, c->applied_version, c->refused_rev);
	pthread_mutex_unlock(&c->mu);
	kb = etcd_b64_encode(c->node_key, strlen(c->node_key));
	vb = etcd_b64_encode(val, strlen(val));
	n = (kb ? strlen(kb) : 0) + (vb ? strlen(vb) : 0) + 32;
	req = kb && vb ? malloc(n) : NULL;
	if (req != NULL) {
		snprintf(req, n, "{\"key\":\"%s\",\"value\":\"%s\"}", kb, vb);
		if (post(c->own, c->url, "/v3/kv/put", req, &b, err,
			 sizeof(err)) == 0)
			free(b.buf);
	}
	free(req);
	free(kb);
	free(vb);
}

void etcd_applied(struct etcd_client *c, int64_t mod_revision, uint64_t version,
		  const char *error)
{
	pthread_mutex_lock(&c->mu);
	if (error == NULL) {
		c->applied_rev = mod_revision;
		c->applied_version = version;
		c->apply_error[0] = 0;
	} else {
		c->refused_rev = mod_revision;
		c->refused++;
		snprintf(c->apply_error, sizeof(c->apply_error),
			 "revision %" PRId64 " refused: %s", mod_revision,
			 error);
	}
	pthread_mutex_unlock(&c->mu);
	write_node_status(c);
}

/* {"request_put": {key, value, lease}} (lease 0: none); NULL when out
 * of memory. */
static cJSON *op_put(const char *key, const char *value, int64_t lease)
{
	char *kb = etcd_b64_encode(key, strlen(key));
	char *vb = etcd_b64_encode(value, strlen(value)), l[24];
	cJSON *op = cJSON_CreateObject(), *put;

	put = op ? cJSON_AddObjectToObject(op, "request_put") : NULL;
	if (kb == NULL || vb == NULL || put == NULL ||
	    cJSON_AddStringToObject(put, "key", kb) == NULL ||
	    cJSON_AddStringToObject(put, "value", vb) == NULL) {
		cJSON_Delete(op);
		op = NULL;
	} else if (lease != 0) {
		snprintf(l, sizeof(l), "%" PRId64, lease);
		if (cJSON_AddStringToObject(put, "lease", l) == NULL) {
			cJSON_Delete(op);
			op = NULL;
		}
	}
	free(kb);
	free(vb);
	return op;
}

static cJSON *op_delete(const char *key)
{
	char *kb = etcd_b64_encode(key, strlen(key));
	cJSON *op = cJSON_CreateObject(), *del;

	del = op ? cJSON_AddObjectToObject(op, "request_delete_range") : NULL;
	if (kb == NULL || del == NULL ||
	    cJSON_AddStringToObject(del, "key", kb) == NULL) {
		cJSON_Delete(op);
		op = NULL;
	}
	free(kb);
	return op;
}

/* compare[] entry: `target` of key `key` `result` `value`. */
static cJSON *cmp(const char *key, const char *target, const char *result,
		  const char *field, int64_t value)
{
	char *kb = etcd_b64_encode(key, strlen(key)), v[24];
	cJSON *c = cJSON_CreateObject();

	snprintf(v, sizeof(v), "%" PRId64, value);
	if (kb == NULL || c == NULL ||
	    cJSON_AddStringToObject(c, "key", kb) == NULL ||
	    cJSON_AddStringToObject(c, "target", target) == NULL ||
	    cJSON_AddStringToObject(c, "result", result) == NULL ||
	    cJSON_AddStringToObject(c, field, v) == NULL) {
		cJSON_Delete(c);
		c = NULL;
	}
	free(kb);
	return c;
}

/* Add `item` to array `arr`; false (item freed) when either is NULL. */
static bool push(cJSON *arr, cJSON *item)
{
	if (arr == NULL || item == NULL) {
		cJSON_Delete(item);
		return false;
	}
	return cJSON_AddItemToArray(arr, item);
}

/* POST the txn (taken): 1 succeeded, 0 a compare failed, -EIO, -ENOMEM. */
static int txn_run(struct etcd_client *c, cJSON *txn, int64_t *revision,
		   char *err, size_t err_len)
{
	char *req = txn ? cJSON_PrintUnformatted(txn) : NULL;
	struct body b;
	int rc = -ENOMEM;

	cJSON_Delete(txn);
	if (req == NULL) {
		snprintf(err, err_len, "etcd: out of memory");
		return rc;
	}
	rc = post(c->own, c->url, "/v3/kv/txn", req, &b, err, err_len);
	free(req);
	if (rc < 0)
		return rc;
	rc = etcd_parse_txn(b.buf, revision, err, err_len);
	free(b.buf);
	return rc < 0 ? -EIO : rc;
}

/*
 * One transaction: when `json` is given, put it as the document if the
 * key is still at the revision in force, with the puts and deletes of
 * `ops` (taken; may be NULL); without it, `ops` alone. 0, -EAGAIN (the
 * document moved on), -EIO or -ENOMEM (err filled).
 */
static int doc_txn(struct etcd_client *c, const char *json, cJSON *ops,
		   int64_t *revision, char *err, size_t err_len)
{
	cJSON *txn = cJSON_CreateObject(), *compare, *success, *op;
	bool ok = txn != NULL;
	int64_t base;
	int rc;

	pthread_mutex_lock(&c->mu);
	base = c->applied_rev;
	pthread_mutex_unlock(&c->mu);
	success = cJSON_AddArrayToObject(txn, "success");
	if (json != NULL) {
		compare = cJSON_AddArrayToObject(txn, "compare");
		ok = ok && push(compare, cmp(c->key, "MOD", "EQUAL",
					     "mod_revision", base));
		ok = ok && push(success, op_put(c->key, json, 0));
	}
	while (ops != NULL && (op = cJSON_DetachItemFromArray(ops, 0)))
		ok = push(success, op) && ok;
	cJSON_Delete(ops);
	if (!ok) {
		cJSON_Delete(txn);
		snprintf(err, err_len, "etcd: out of memory");
		return -ENOMEM;
	}
	rc = txn_run(c, txn, revision, err, err_len);
	if (rc == 1 && json != NULL) {
		/* The caller applies it now: the watch's echo of this
		 * revision is already in force. */
		pthread_mutex_lock(&c->mu);
		c->applied_rev = *revision;
		if (c->handed_rev < *revision)
			c->handed_rev = *revision;
		pthread_mutex_unlock(&c->mu);
	}
	if (rc == 0)
		snprintf(err, err_len,
			 "the document in etcd changed since revision "
			 "%" PRId64 " (this node's); retry",
			 base);
	return rc == 1 ? 0 : rc == 0 ? -EAGAIN : rc;
}

int etcd_put_doc(struct etcd_client *c, const char *json, int64_t *revision,
		 char *err, size_t err_len)
{
	return doc_txn(c, json, NULL, revision, err, err_len);
}

/* A lease of ttl_s: 0 (*id), or -EIO (err filled). */
static int lease_grant(struct etcd_client *c, uint32_t ttl_s, int64_t *id,
		       char *err, size_t err_len)
{
	char req[48];
	int64_t granted;
	struct body b;
	int rc;

	snprintf(req, sizeof(req), "{\"TTL\":\"%u\"}", ttl_s);
	rc = post(c->own, c->url, "/v3/lease/grant", req, &b, err, err_len);
	if (rc < 0)
		return rc;
	rc = etcd_parse_grant(b.buf, id, &granted, err, err_len);
	free(b.buf);
	return rc < 0 ? -EIO : 0;
}

/* The value of both registry keys: who they are, for operators. */
static void reg_value(const struct etcd_client *c, const char *svc,
		      const char *id, uint32_t ttl_s, char *out, size_t len)
{
	snprintf(out, len,
		 "{\"service\":\"%s\",\"id\":\"%s\",\"ttl\":%u,"
		 "\"node\":\"%s\"}",
		 svc, id, ttl_s, c->node);
}

/* The key of kind k of (svc, id); false when it does not fit. */
static bool reg_key(const struct etcd_client *c, enum etcd_reg_kind k,
		    const char *svc, const char *id, char out[320])
{
	return etcd_reg_key(k, c->prefix, svc, id, out, 320) == 0;
}

int etcd_reg_write(struct etcd_client *c, const char *json,
		   const struct etcd_reg_ref *r, bool remove, int64_t *revision,
		   char *err, size_t err_len)
{
	char ik[320], ak[320], val[256];
	int64_t inst = 0, alive = 0;
	cJSON *ops = cJSON_CreateArray();
	bool ok;
	int rc;

	if (!reg_key(c, ETCD_REG_INSTANCE, r->svc, r->id, ik) ||
	    !reg_key(c, ETCD_REG_ALIVE, r->svc, r->id, ak) || ops == NULL) {
		cJSON_Delete(ops);
		snprintf(err, err_len, "etcd: registry key too long");
		return -EINVAL;
	}
	if (remove) {
		ok = push(ops, op_delete(ik)) && push(ops, op_delete(ak));
	} else {
		/* 2 x ttl for the instance, ttl for its heartbeat */
		rc = lease_grant(c, 2 * r->ttl_s, &inst, err, err_len);
		if (rc == 0)
			rc = lease_grant(c, r->ttl_s, &alive, err, err_len);
		if (rc < 0) {
			cJSON_Delete(ops);
			return rc;
		}
		reg_value(c, r->svc, r->id, r->ttl_s, val, sizeof(val));
		ok = push(ops, op_put(ik, val, inst)) &&
		     push(ops, op_put(ak, val, alive));
	}
	if (!ok) {
		cJSON_Delete(ops);
		snprintf(err, err_len, "etcd: out of memory");
		return -ENOMEM;
	}
	rc = doc_txn(c, json, ops, revision, err, err_len);
	if (rc == 0) {
		pthread_mutex_lock(&c->mu);
		if (remove) {
			etcd_reg_del(&c->reg, ETCD_REG_INSTANCE, r->svc, r->id);
			etcd_reg_del(&c->reg, ETCD_REG_ALIVE, r->svc, r->id);
		} else if (etcd_reg_put(&c->reg, ETCD_REG_INSTANCE, r->svc,
					r->id, inst) < 0 ||
			   etcd_reg_put(&c->reg, ETCD_REG_ALIVE, r->svc, r->id,
					alive) < 0) {
			fprintf(stderr, "slowpath: etcd: registry table: out "
					"of memory\n");
		}
		c->reg_gen++;
		pthread_mutex_unlock(&c->mu);
	}
	return rc;
}

/* Keep both leases alive in one request: *inst_s and *alive_s their TTLs
 * (0: expired). 0 or -EIO. */
static int keepalive(struct etcd_client *c, int64_t inst, int64_t alive,
		     int64_t *inst_s, int64_t *alive_s, char *err,
		     size_t err_len)
{
	char req[96];
	struct body b;
	int rc;

	*inst_s = *alive_s = 0;
	snprintf(req, sizeof(req), "{\"ID\":\"%" PRId64 "\"}\n", inst);
	if (alive > 0)
		snprintf(req + strlen(req), sizeof(req) - strlen(req),
			 "{\"ID\":\"%" PRId64 "\"}\n", alive);
	rc = post(c->own, c->url, "/v3/lease/keepalive", req, &b, err, err_len);
	if (rc < 0)
		return rc;
	rc = etcd_parse_keepalive(b.buf, inst, inst_s);
	if (rc == 0 && alive > 0)
		rc = etcd_parse_keepalive(b.buf, alive, alive_s);
	free(b.buf);
	if (rc < 0)
		snprintf(err, err_len, "lease keepalive: unreadable answer");
	return rc < 0 ? -EIO : 0;
}

/* The alive key again, under a new lease, if the instance key is still
 * there: 1, -ENOENT (it is not), -EIO. */
static int revive(struct etcd_client *c, const struct etcd_reg_ref *r,
		  char *err, size_t err_len)
{
	char ik[320], ak[320], val[256];
	cJSON *txn = cJSON_CreateObject(), *compare, *success;
	int64_t alive = 0, rev = 0;
	int rc;

	if (!reg_key(c, ETCD_REG_INSTANCE, r->svc, r->id, ik) ||
	    !reg_key(c, ETCD_REG_ALIVE, r->svc, r->id, ak) || txn == NULL) {
		cJSON_Delete(txn);
		return -EINVAL;
	}
	rc = lease_grant(c, r->ttl_s, &alive, err, err_len);
	if (rc < 0) {
		cJSON_Delete(txn);
		return rc;
	}
	reg_value(c, r->svc, r->id, r->ttl_s, val, sizeof(val));
	compare = cJSON_AddArrayToObject(txn, "compare");
	success = cJSON_AddArrayToObject(txn, "success");
	if (!push(compare,
		  cmp(ik, "CREATE", "GREATER", "create_revision", 0)) ||
	    !push(success, op_put(ak, val, alive))) {
		cJSON_Delete(txn);
		return -ENOMEM;
	}
	rc = txn_run(c, txn, &rev, err, err_len);
	if (rc != 1)
		return rc == 0 ? -ENOENT : rc;
	pthread_mutex_lock(&c->mu);
	if (etcd_reg_put(&c->reg, ETCD_REG_ALIVE, r->svc, r->id, alive) < 0)
		fprintf(stderr, "slowpath: etcd: registry table: out of "
				"memory\n");
	c->reg_gen++;
	pthread_mutex_unlock(&c->mu);
	return 1;
}

int etcd_reg_beat(struct etcd_client *c, const struct etcd_reg_ref *r,
		  char *err, size_t err_len)
{
	const struct etcd_reg_entry *e;
	int64_t inst = 0, alive = 0, inst_s = 0, alive_s = 0;
	int rc;

	pthread_mutex_lock(&c->mu);
	e = etcd_reg_find(&c->reg, r->svc, r->id);
	if (e != NULL) {
		inst = e->lease;
		alive = e->alive_lease;
	}
	pthread_mutex_unlock(&c->mu);
	if (inst == 0)
		return -ENOENT;
	if (inst > 0) { /* -1: a key without a lease, kept by someone else */
		rc = keepalive(c, inst, alive, &inst_s, &alive_s, err, err_len);
		if (rc < 0)
			return rc;
		if (inst_s == 0)
			return -ENOENT; /* expired: its delete is on its way */
	}
	if (alive < 0 || (alive > 0 && alive_s > 0))
		return 0;
	return revive(c, r, err, err_len);
}

int etcd_reg_verdict_of(struct etcd_client *c, const char *svc, const char *id)
{
	int v;

	pthread_mutex_lock(&c->mu);
	v = etcd_reg_verdict(&c->reg, svc, id, c->seen_rev, c->applied_rev);
	pthread_mutex_unlock(&c->mu);
	return v;
}

uint64_t etcd_reg_gen(struct etcd_client *c)
{
	uint64_t g;

	pthread_mutex_lock(&c->mu);
	g = c->reg_gen;
	pthread_mutex_unlock(&c->mu);
	return g;
}

/* Instances with an instance key (mutex held). */
static uint64_t reg_instances(const struct etcd_reg_table *t)
{
	uint64_t n = 0;

	for (uint32_t i = 0; i < t->n; i++)
		n += t->e[i].lease != 0;
	return n;
}

void etcd_render(struct etcd_client *c, struct jw *w)
{
	pthread_mutex_lock(&c->mu);
	jw_open(w, "source", '{');
	jw_str(w, "kind", "etcd");
	jw_str(w, "endpoint", c->url);
	jw_str(w, "key", c->key);
	jw_str(w, "node", c->node);
	jw_bool(w, "connected", c->connected);
	jw_i64(w, "applied_revision", c->applied_rev);
	jw_u64(w, "applied_version", c->applied_version);
	jw_i64(w, "refused_revision", c->refused_rev);
	jw_u64(w, "refused", c->refused);
	jw_u64(w, "reconnects", c->reconnects);
	jw_u64(w, "compactions", c->compactions);
	jw_bool(w, "key_deleted", c->deleted);
	jw_u64(w, "registry_instances", reg_instances(&c->reg));
	jw_i64(w, "seen_revision", c->seen_rev);
	jw_str(w, "last_error", c->apply_error[0] ? c->apply_error : NULL);
	jw_str(w, "connection_error", c->connected ? NULL : c->conn_error);
	jw_close(w, '}');
	pthread_mutex_unlock(&c->mu);
}
