/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * etcd v3 JSON gateway messages: the watch stream's framing and events,
 * range and txn answers, base64 (etcd_watch.h). proto3's JSON mapping
 * writes 64-bit integers as strings and leaves out zero values, so every
 * number here is read from either form and absent means 0.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "etcd_watch.h"

static const char b64_chars[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *etcd_b64_encode(const void *data, size_t len)
{
	const unsigned char *p = data;
	char *out = malloc((len + 2) / 3 * 4 + 1), *o = out;

	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16;

		if (i + 1 < len)
			v |= (uint32_t)p[i + 1] << 8;
		if (i + 2 < len)
			v |= p[i + 2];
		*o++ = b64_chars[v >> 18 & 63];
		*o++ = b64_chars[v >> 12 & 63];
		*o++ = i + 1 < len ? b64_chars[v >> 6 & 63] : '=';
		*o++ = i + 2 < len ? b64_chars[v & 63] : '=';
	}
	*o = 0;
	return out;
}

static int b64_val(char c)
{
	const char *p = c ? strchr(b64_chars, c) : NULL;

	return p ? (int)(p - b64_chars) : -1;
}

char *etcd_b64_decode(const char *text, size_t *out_len)
{
	size_t n = strlen(text), k = 0;
	char *out;

	if (n % 4 != 0)
		return NULL;
	out = malloc(n / 4 * 3 + 1);
	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < n; i += 4) {
		int v[4], pad = 0;

		for (int j = 0; j < 4; j++) {
			v[j] = b64_val(text[i + j]);
			if (text[i + j] == '=' && i + 4 == n && j >= 2 &&
			    (j == 3 || text[i + 3] == '=')) {
				v[j] = 0;
				pad++;
			} else if (v[j] < 0) {
				free(out);
				return NULL;
			}
		}
		uint32_t w =
			(uint32_t)(v[0] << 18 | v[1] << 12 | v[2] << 6 | v[3]);
		out[k++] = (char)(w >> 16);
		if (pad < 2)
			out[k++] = (char)(w >> 8 & 255);
		if (pad < 1)
			out[k++] = (char)(w & 255);
	}
	out[k] = 0;
	*out_len = k;
	return out;
}

uint32_t etcd_backoff_ms(uint32_t attempt)
{
	uint32_t ms = 100;

	while (attempt-- > 0 && ms < 5000)
		ms *= 2;
	return ms < 5000 ? ms : 5000;
}

/* An int64 member written as a string or a number; 0 when absent. */
static int64_t j_i64(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	if (cJSON_IsString(v))
		return strtoll(v->valuestring, NULL, 10);
	if (cJSON_IsNumber(v))
		return (int64_t)v->valuedouble;
	return 0;
}

static const cJSON *j_obj(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsObject(v) ? v : NULL;
}

static void msg_error(struct etcd_msg *m, etcd_msg_fn fn, void *arg,
		      const char *why)
{
	m->kind = ETCD_MSG_ERROR;
	snprintf(m->error, sizeof(m->error), "%s", why);
	fn(arg, m);
}

/* One event of a watch answer. */
static void event_decode(struct etcd_msg *m, const cJSON *ev, etcd_msg_fn fn,
			 void *arg)
{
	const cJSON *kv = j_obj(ev, "kv"), *type, *val, *key;
	size_t key_len;

	type = cJSON_GetObjectItemCaseSensitive(ev, "type");
	key = kv ? cJSON_GetObjectItemCaseSensitive(kv, "key") : NULL;
	m->mod_revision = kv ? j_i64(kv, "mod_revision") : 0;
	m->lease = kv ? j_i64(kv, "lease") : 0;
	m->value = NULL;
	m->value_len = 0;
	m->key = cJSON_IsString(key)
			 ? etcd_b64_decode(key->valuestring, &key_len)
			 : calloc(1, 1);
	if (m->key == NULL) {
		msg_error(m, fn, arg, "watch event: key is not base64");
		return;
	}
	if (cJSON_IsString(type) && strcmp(type->valuestring, "DELETE") == 0) {
		m->kind = ETCD_MSG_DELETE;
		fn(arg, m);
		free(m->key);
		m->key = NULL;
		return;
	}
	val = kv ? cJSON_GetObjectItemCaseSensitive(kv, "value") : NULL;
	m->kind = ETCD_MSG_PUT;
	if (val == NULL) { /* an empty value is left out */
		m->value = calloc(1, 1);
	} else if (cJSON_IsString(val)) {
		m->value = etcd_b64_decode(val->valuestring, &m->value_len);
	}
	if (m->value != NULL)
		fn(arg, m);
	else
		msg_error(m, fn, arg, "watch event: value is not base64");
	free(m->value);
	free(m->key);
	m->value = NULL;
	m->key = NULL;
}

void etcd_msg_decode(const char *json, size_t len, etcd_msg_fn fn, void *arg)
{
	cJSON *root = cJSON_ParseWithLength(json, len);
	const cJSON *res = root ? j_obj(root, "result") : NULL, *hdr, *evs;
	const cJSON *ev;
	struct etcd_msg m = { 0 };

	if (res == NULL) {
		const cJSON *err = root ? j_obj(root, "error") : NULL;
		const cJSON *msg =
			err ? cJSON_GetObjectItemCaseSensitive(err, "message")
			    : NULL;

		msg_error(&m, fn, arg,
			  cJSON_IsString(msg) ? msg->valuestring
					      : "watch: unreadable message");
		cJSON_Delete(root);
		return;
	}
	hdr = j_obj(res, "header");
	m.revision = hdr ? j_i64(hdr, "revision") : 0;
	evs = cJSON_GetObjectItemCaseSensitive(res, "events");
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(res, "canceled"))) {
		m.kind = ETCD_MSG_CANCELED;
		m.compact_revision = j_i64(res, "compact_revision");
		fn(arg, &m);
	} else if (cJSON_IsArray(evs) && cJSON_GetArraySize(evs) > 0) {
		cJSON_ArrayForEach(ev, evs)
		{
			if (cJSON_IsObject(ev))
				event_decode(&m, ev, fn, arg);
		}
	} else {
		m.kind = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(
				 res, "created"))
				 ? ETCD_MSG_CREATED
				 : ETCD_MSG_PROGRESS;
		fn(arg, &m);
	}
	cJSON_Delete(root);
}

void etcd_stream_reset(struct etcd_stream *s)
{
	free(s->buf);
	memset(s, 0, sizeof(*s));
}

/* Find the end of the first top-level object from s->scan on. */
static long stream_scan(struct etcd_stream *s)
{
	for (; s->scan < s->len; s->scan++) {
		char c = s->buf[s->scan];

		if (s->in_str) {
			if (s->esc)
				s->esc = false;
			else if (c == '\\')
				s->esc = true;
			else if (c == '"')
				s->in_str = false;
		} else if (c == '"') {
			s->in_str = true;
		} else if (c == '{') {
			s->depth++;
		} else if (c == '}' && --s->depth == 0) {
			return (long)s->scan++;
		}
	}
	return -1;
}

int etcd_stream_feed(struct etcd_stream *s, const char *data, size_t len,
		     etcd_msg_fn fn, void *arg)
{
	long end;

	if (s->failed)
		return -1;
	if (s->len + len > ETCD_MSG_MAX) {
		s->failed = true;
		return -1;
	}
	if (s->len + len + 1 > s->cap) {
		size_t cap = (s->len + len + 1) * 2;
		char *b = realloc(s->buf, cap);

		if (b == NULL) {
			s->failed = true;
			return -1;
		}
		s->buf = b;
		s->cap = cap;
	}
	memcpy(s->buf + s->len, data, len);
	s->len += len;
	while ((end = stream_scan(s)) >= 0) {
		size_t n = (size_t)end + 1;

		etcd_msg_decode(s->buf, n, fn, arg);
		memmove(s->buf, s->buf + n, s->len - n);
		s->len -= n;
		s->scan = 0;
	}
	/* Between objects only white space is allowed. */
	if (s->depth == 0 && !s->in_str) {
		size_t i = 0;

		while (i < s->len && strchr(" \t\r\n", s->buf[i]) != NULL)
			i++;
		if (i < s->len) {
			s->failed = true;
			return -1;
		}
		s->len = 0;
		s->scan = 0;
	}
	return 0;
}

int etcd_parse_range(const char *body, char **value, size_t *value_len,
		     int64_t *mod_revision, int64_t *revision, char *err,
		     size_t err_len)
{
	cJSON *root = cJSON_Parse(body);
	const cJSON *hdr = root ? j_obj(root, "header") : NULL, *kvs, *kv, *v;
	int rc = -1;

	*value = NULL;
	*value_len = 0;
	*mod_revision = 0;
	if (hdr == NULL) {
		snprintf(err, err_len, "range: unreadable answer");
		goto out;
	}
	*revision = j_i64(hdr, "revision");
	kvs = cJSON_GetObjectItemCaseSensitive(root, "kvs");
	kv = cJSON_IsArray(kvs) ? cJSON_GetArrayItem(kvs, 0) : NULL;
	if (kv == NULL) {
		rc = 0; /* no such key */
		goto out;
	}
	*mod_revision = j_i64(kv, "mod_revision");
	v = cJSON_GetObjectItemCaseSensitive(kv, "value");
	*value = cJSON_IsString(v) ? etcd_b64_decode(v->valuestring, value_len)
				   : calloc(1, 1);
	if (*value == NULL)
		snprintf(err, err_len, "range: value is not base64");
	else
		rc = 0;
out:
	cJSON_Delete(root);
	return rc;
}

/* One kv of a range answer, decoded, to fn. */
static int kv_walk(const cJSON *kv, etcd_kv_fn fn, void *arg, char *err,
		   size_t err_len)
{
	const cJSON *k = cJSON_GetObjectItemCaseSensitive(kv, "key");
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(kv, "value");
	struct etcd_kv out = { 0 };
	char *key = NULL, *val = NULL;
	size_t n;
	int rc = -1;

	key = cJSON_IsString(k) ? etcd_b64_decode(k->valuestring, &n) : NULL;
	val = cJSON_IsString(v)
		      ? etcd_b64_decode(v->valuestring, &out.value_len)
		      : calloc(1, 1);
	if (key == NULL || val == NULL) {
		snprintf(err, err_len, "range: key or value is not base64");
	} else {
		out.key = key;
		out.value = val;
		out.mod_revision = j_i64(kv, "mod_revision");
		out.lease = j_i64(kv, "lease");
		rc = fn(arg, &out);
	}
	free(key);
	free(val);
	return rc;
}

int etcd_parse_kvs(const char *body, etcd_kv_fn fn, void *arg,
		   int64_t *revision, char *err, size_t err_len)
{
	cJSON *root = cJSON_Parse(body);
	const cJSON *hdr = root ? j_obj(root, "header") : NULL, *kvs, *kv;
	int rc = 0;

	if (hdr == NULL) {
		snprintf(err, err_len, "range: unreadable answer");
		cJSON_Delete(root);
		return -1;
	}
	*revision = j_i64(hdr, "revision");
	kvs = cJSON_GetObjectItemCaseSensitive(root, "kvs");
	if (cJSON_IsArray(kvs)) {
		cJSON_ArrayForEach(kv, kvs)
		{
			rc = cJSON_IsObject(kv)
				     ? kv_walk(kv, fn, arg, err, err_len)
				     : 0;
			if (rc != 0)
				break;
		}
	}
	cJSON_Delete(root);
	return rc;
}

int etcd_parse_grant(const char *body, int64_t *id, int64_t *ttl_s, char *err,
		     size_t err_len)
{
	cJSON *root = cJSON_Parse(body);
	int rc = -1;

	*id = root ? j_i64(root, "ID") : 0;
	*ttl_s = root ? j_i64(root, "TTL") : 0;
	if (*id != 0 && *ttl_s > 0)
		rc = 0;
	else
		snprintf(err, err_len, "lease grant: unreadable answer");
	cJSON_Delete(root);
	return rc;
}

int etcd_parse_keepalive(const char *body, int64_t id, int64_t *ttl_s)
{
	const char *p = body, *end = NULL;

	*ttl_s = 0;
	while (p != NULL && *p != 0) {
		cJSON *root = cJSON_ParseWithOpts(p, &end, 0);
		const cJSON *res = root ? j_obj(root, "result") : NULL;
		bool hit = res != NULL && j_i64(res, "ID") == id;

		if (hit)
			*ttl_s = j_i64(res, "TTL");
		cJSON_Delete(root);
		if (hit)
			return 0;
		if (root == NULL)
			return -1;
		p = end;
		while (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')
			p++;
	}
	return -1;
}

int etcd_parse_txn(const char *body, int64_t *revision, char *err,
		   size_t err_len)
{
	cJSON *root = cJSON_Parse(body);
	const cJSON *hdr = root ? j_obj(root, "header") : NULL;
	int rc = -1;

	if (hdr == NULL) {
		snprintf(err, err_len, "txn: unreadable answer");
	} else {
		*revision = j_i64(hdr, "revision");
		rc = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(root,
								   "succeeded"))
			     ? 1
			     : 0;
	}
	cJSON_Delete(root);
	return rc;
}
