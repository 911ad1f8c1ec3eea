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

#include <curl/curl.h>

#include "etcd.h"
#include "etcd_watch.h"
#include "jw.h"

#define ETCD_CONNECT_MS 1000L
#define ETCD_REQUEST_MS 2000L
#define ETCD_BODY_MAX (ETCD_MSG_MAX)

struct etcd_client {
	char url[256];
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
	/* watch thread only */
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

static char *key_json(const char *key)
{
	char *k = etcd_b64_encode(key, strlen(key)), *out;
	size_t n;

	if (k == NULL)
		return NULL;
	n = strlen(k) + 32;
	out = malloc(n);
	if (out != NULL)
		snprintf(out, n, "{\"key\":\"%s\"}", k);
	free(k);
	return out;
}

/* Range-get the key: 0 (*revision: the store's), or -EIO. */
static int do_range(struct etcd_client *c, CURL *h, int64_t *revision)
{
	char err[160] = "", *req = key_json(c->key), *val;
	struct body b;
	size_t len;
	int64_t mod;
	int rc =
		req ? post(h, c->url, "/v3/kv/range", req, &b, err, sizeof(err))
		    : -ENOMEM;

	free(req);
	if (rc < 0) {
		set_conn(c, false, err);
		return rc;
	}
	rc = etcd_parse_range(b.buf, &val, &len, &mod, revision, err,
			      sizeof(err));
	free(b.buf);
	if (rc < 0) {
		set_conn(c, false, err);
		return -EIO;
	}
	set_conn(c, true, NULL);
	if (val != NULL)
		hand_over(c, val, len, mod);
	return 0;
}

static void on_watch_msg(void *arg, const struct etcd_msg *m)
{
	struct etcd_client *c = arg;

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

	if (etcd_stream_feed(&c->stream, p, sz * n, on_watch_msg, c) < 0)
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
	char full[320], req[600], *k = etcd_b64_encode(c->key, strlen(c->key));
	CURLcode rc;

	if (k == NULL)
		return -ENOMEM;
	snprintf(req, sizeof(req),
		 "{\"create_request\":{\"key\":\"%s\",\"start_revision\":"
		 "\"%" PRId64 "\"}}",
		 k, start);
	free(k);
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

int etcd_put_doc(struct etcd_client *c, const char *json, int64_t *revision,
		 char *err, size_t err_len)
{
	char *kb = etcd_b64_encode(c->key, strlen(c->key));
	char *vb = etcd_b64_encode(json, strlen(json)), *req = NULL;
	int64_t base;
	struct body b;
	size_t n;
	int rc = -ENOMEM;

	pthread_mutex_lock(&c->mu);
	base = c->applied_rev;
	pthread_mutex_unlock(&c->mu);
	if (kb == NULL || vb == NULL)
		goto out;
	n = strlen(kb) * 2 + strlen(vb) + 256;
	req = malloc(n);
	if (req == NULL)
		goto out;
	snprintf(req, n,
		 "{\"compare\":[{\"key\":\"%s\",\"target\":\"MOD\","
		 "\"result\":\"EQUAL\",\"mod_revision\":\"%" PRId64 "\"}],"
		 "\"success\":[{\"request_put\":{\"key\":\"%s\","
		 "\"value\":\"%s\"}}]}",
		 kb, base, kb, vb);
	rc = post(c->own, c->url, "/v3/kv/txn", req, &b, err, err_len);
	if (rc == 0) {
		rc = etcd_parse_txn(b.buf, revision, err, err_len);
		free(b.buf);
		rc = rc == 1 ? 0 : rc == 0 ? -EAGAIN : -EIO;
		if (rc == 0) {
			/* The caller applies it now: the watch's echo of
			 * this revision is already in force. */
			pthread_mutex_lock(&c->mu);
			c->applied_rev = *revision;
			if (c->handed_rev < *revision)
				c->handed_rev = *revision;
			pthread_mutex_unlock(&c->mu);
		}
		if (rc == -EAGAIN)
			snprintf(err, err_len,
				 "the document in etcd changed since revision "
				 "%" PRId64 " (this node's); retry",
				 base);
	}
out:
	free(req);
	free(kb);
	free(vb);
	return rc;
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
	jw_str(w, "last_error", c->apply_error[0] ? c->apply_error : NULL);
	jw_str(w, "connection_error", c->connected ? NULL : c->conn_error);
	jw_close(w, '}');
	pthread_mutex_unlock(&c->mu);
}
