/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * slowpath/etcd/etcd_watch.c without an etcd: the watch stream cut at
 * every byte boundary gives the same messages; created, put (base64
 * values), delete, compaction (canceled with compact_revision), errors
 * and garbage (the stream is refused: the client reconnects); range and
 * txn answers; keys and leases of events; range answers of many keys;
 * lease grant and keep-alive answers; base64 both ways; the reconnect
 * back-off.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "etcd_watch.h"

struct seen {
	int n;
	enum etcd_msg_kind kind[8];
	int64_t rev[8], mod[8], compact[8];
	char value[8][64];
	char key[8][64];
	int64_t lease[8];
};

static void on_msg(void *arg, const struct etcd_msg *m)
{
	struct seen *s = arg;

	if (s->n >= 8)
		return;
	s->kind[s->n] = m->kind;
	s->rev[s->n] = m->revision;
	s->mod[s->n] = m->mod_revision;
	s->compact[s->n] = m->compact_revision;
	snprintf(s->value[s->n], sizeof(s->value[0]), "%s",
		 m->value ? m->value : "");
	snprintf(s->key[s->n], sizeof(s->key[0]), "%s", m->key ? m->key : "");
	s->lease[s->n] = m->lease;
	s->n++;
}

/* "{\"a\":1}" is eyJhIjoxfQ== */
static const char stream[] =
	"{\"result\":{\"header\":{\"revision\":\"7\"},\"created\":true}}\n"
	"{\"result\":{\"header\":{\"revision\":\"8\"},\"events\":[{\"kv\":"
	"{\"key\":\"L2VwL2NvbmZpZw==\",\"mod_revision\":\"8\",\"value\":"
	"\"eyJhIjoxfQ==\"}}]}}\n"
	"{\"result\":{\"header\":{\"revision\":\"9\"},\"events\":[{\"type\":"
	"\"DELETE\",\"kv\":{\"key\":\"L2VwL2NvbmZpZw==\",\"mod_revision\":"
	"\"9\"}}]}}\r\n"
	"{\"result\":{\"header\":{\"revision\":\"20\"},\"canceled\":true,"
	"\"compact_revision\":\"15\",\"cancel_reason\":\"}{\\\"\"}}\n";

static void check_stream_msgs(const struct seen *s)
{
	CHECK(s->n == 4);
	CHECK(s->kind[0] == ETCD_MSG_CREATED && s->rev[0] == 7);
	CHECK(s->kind[1] == ETCD_MSG_PUT && s->mod[1] == 8 &&
	      strcmp(s->value[1], "{\"a\":1}") == 0);
	CHECK(s->kind[2] == ETCD_MSG_DELETE && s->mod[2] == 9);
	CHECK(s->kind[3] == ETCD_MSG_CANCELED && s->compact[3] == 15 &&
	      s->rev[3] == 20);
}

static void test_stream_splits(void)
{
	size_t len = strlen(stream);

	for (size_t cut = 0; cut <= len; cut++) {
		struct etcd_stream st = { 0 };
		struct seen s = { 0 };

		CHECK(etcd_stream_feed(&st, stream, cut, on_msg, &s) == 0);
		CHECK(etcd_stream_feed(&st, stream + cut, len - cut, on_msg,
				       &s) == 0);
		check_stream_msgs(&s);
		etcd_stream_reset(&st);
	}
	/* One byte at a time. */
	struct etcd_stream st = { 0 };
	struct seen s = { 0 };

	for (size_t i = 0; i < len; i++)
		CHECK(etcd_stream_feed(&st, stream + i, 1, on_msg, &s) == 0);
	check_stream_msgs(&s);
	etcd_stream_reset(&st);
}

static void test_stream_bad(void)
{
	struct etcd_stream st = { 0 };
	struct seen s = { 0 };
	const char err[] = "{\"error\":{\"grpc_code\":14,\"message\":"
			   "\"etcdserver: no leader\"}}";
	const char badv[] = "{\"result\":{\"events\":[{\"kv\":{\"value\":"
			    "\"!!notbase64\"}}]}}";

	CHECK(etcd_stream_feed(&st, err, strlen(err), on_msg, &s) == 0);
	CHECK(s.n == 1 && s.kind[0] == ETCD_MSG_ERROR);
	CHECK(etcd_stream_feed(&st, badv, strlen(badv), on_msg, &s) == 0);
	CHECK(s.n == 2 && s.kind[1] == ETCD_MSG_ERROR);
	/* Garbage between messages: the stream is unusable (reconnect). */
	CHECK(etcd_stream_feed(&st, "xyz", 3, on_msg, &s) == -1);
	CHECK(etcd_stream_feed(&st, "{}", 2, on_msg, &s) == -1);
	etcd_stream_reset(&st);
	/* An empty value is left out by proto3 JSON: a PUT of "". */
	memset(&s, 0, sizeof(s));
	const char empty[] =
		"{\"result\":{\"events\":[{\"kv\":{\"key\":\"YQ==\","
		"\"mod_revision\":3}}]}}";
	CHECK(etcd_stream_feed(&st, empty, strlen(empty), on_msg, &s) == 0);
	CHECK(s.n == 1 && s.kind[0] == ETCD_MSG_PUT && s.mod[0] == 3 &&
	      s.value[0][0] == 0);
	etcd_stream_reset(&st);
}

static void test_range_txn(void)
{
	char *v, err[160];
	size_t n;
	int64_t mod, rev;

	CHECK(etcd_parse_range("{\"header\":{\"revision\":\"12\"},\"kvs\":[{"
			       "\"key\":\"YQ==\",\"mod_revision\":\"11\","
			       "\"value\":\"eyJhIjoxfQ==\"}],\"count\":\"1\"}",
			       &v, &n, &mod, &rev, err, sizeof(err)) == 0);
	CHECK(v != NULL && n == 7 && strcmp(v, "{\"a\":1}") == 0);
	CHECK(mod == 11 && rev == 12);
	free(v);
	CHECK(etcd_parse_range("{\"header\":{\"revision\":\"5\"}}", &v, &n,
			       &mod, &rev, err, sizeof(err)) == 0);
	CHECK(v == NULL && mod == 0 && rev == 5);
	CHECK(etcd_parse_range("nope", &v, &n, &mod, &rev, err, sizeof(err)) ==
	      -1);
	CHECK(etcd_parse_txn("{\"header\":{\"revision\":\"9\"},"
			     "\"succeeded\":true}",
			     &rev, err, sizeof(err)) == 1 &&
	      rev == 9);
	CHECK(etcd_parse_txn("{\"header\":{\"revision\":\"10\"}}", &rev, err,
			     sizeof(err)) == 0 &&
	      rev == 10);
	CHECK(etcd_parse_txn("[]", &rev, err, sizeof(err)) == -1);
}

#define REG_KEY "L3AvcmVnaXN0cnkvd2ViLzAwMDAwMDAwMDAwMDAwYTE="

/* Events of several keys in one message (a registration's txn): each
 * with its key, the put with its lease; a delete with its key. */
static void test_event_keys(void)
{
	struct etcd_stream st = { 0 };
	struct seen s = { 0 };
	const char msg[] =
		"{\"result\":{\"header\":{\"revision\":\"30\"},\"events\":["
		"{\"kv\":{\"key\":\"L3AvY29uZmln\",\"mod_revision\":\"30\","
		"\"value\":\"eyJhIjoxfQ==\"}},"
		"{\"kv\":{\"key\":\"" REG_KEY "\",\"mod_revision\":\"30\","
		"\"value\":\"eyJhIjoxfQ==\",\"lease\":\"7587866\"}}]}}\n"
		"{\"result\":{\"header\":{\"revision\":\"31\"},\"events\":["
		"{\"type\":\"DELETE\",\"kv\":{\"key\":\"" REG_KEY "\","
		"\"mod_revision\":\"31\"}}]}}\n";
	const char badk[] = "{\"result\":{\"events\":[{\"kv\":{\"key\":"
			    "\"!!\",\"value\":\"YQ==\"}}]}}";

	CHECK(etcd_stream_feed(&st, msg, strlen(msg), on_msg, &s) == 0);
	CHECK(s.n == 3);
	CHECK(s.kind[0] == ETCD_MSG_PUT && strcmp(s.key[0], "/p/config") == 0 &&
	      s.lease[0] == 0 && s.rev[0] == 30);
	CHECK(s.kind[1] == ETCD_MSG_PUT &&
	      strcmp(s.key[1], "/p/registry/web/00000000000000a1") == 0 &&
	      s.lease[1] == 7587866 && s.rev[1] == 30);
	CHECK(s.kind[2] == ETCD_MSG_DELETE &&
	      strcmp(s.key[2], "/p/registry/web/00000000000000a1") == 0 &&
	      s.rev[2] == 31);
	CHECK(etcd_stream_feed(&st, badk, strlen(badk), on_msg, &s) == 0);
	CHECK(s.n == 4 && s.kind[3] == ETCD_MSG_ERROR);
	etcd_stream_reset(&st);
}

struct kvs_seen {
	int n;
	char key[4][64], value[4][16];
	int64_t mod[4], lease[4];
	int stop_at; /* return 1 from this call on (0: never) */
};

static int on_kv(void *arg, const struct etcd_kv *kv)
{
	struct kvs_seen *s = arg;

	if (s->n >= 4)
		return -1;
	snprintf(s->key[s->n], sizeof(s->key[0]), "%s", kv->key);
	snprintf(s->value[s->n], sizeof(s->value[0]), "%s", kv->value);
	s->mod[s->n] = kv->mod_revision;
	s->lease[s->n] = kv->lease;
	s->n++;
	return s->stop_at != 0 && s->n >= s->stop_at ? 1 : 0;
}

static void test_range_kvs(void)
{
	const char body[] = "{\"header\":{\"revision\":\"40\"},\"kvs\":["
			    "{\"key\":\"L3AvY29uZmln\",\"mod_revision\":\"38\","
			    "\"value\":\"eyJhIjoxfQ==\"},"
			    "{\"key\":\"" REG_KEY "\",\"mod_revision\":\"39\","
			    "\"lease\":\"99\"}],\"count\":\"2\"}";
	struct kvs_seen s = { 0 };
	char err[160];
	int64_t rev = 0;

	CHECK(etcd_parse_kvs(body, on_kv, &s, &rev, err, sizeof(err)) == 0);
	CHECK(rev == 40 && s.n == 2);
	CHECK(strcmp(s.key[0], "/p/config") == 0 &&
	      strcmp(s.value[0], "{\"a\":1}") == 0 && s.mod[0] == 38 &&
	      s.lease[0] == 0);
	CHECK(strcmp(s.key[1], "/p/registry/web/00000000000000a1") == 0 &&
	      s.value[1][0] == 0 && s.mod[1] == 39 && s.lease[1] == 99);
	/* fn ends the walk */
	memset(&s, 0, sizeof(s));
	s.stop_at = 1;
	CHECK(etcd_parse_kvs(body, on_kv, &s, &rev, err, sizeof(err)) == 1);
	CHECK(s.n == 1);
	/* no keys; unreadable; a key not base64 */
	memset(&s, 0, sizeof(s));
	CHECK(etcd_parse_kvs("{\"header\":{\"revision\":7}}", on_kv, &s, &rev,
			     err, sizeof(err)) == 0 &&
	      rev == 7 && s.n == 0);
	CHECK(etcd_parse_kvs("{}", on_kv, &s, &rev, err, sizeof(err)) == -1);
	CHECK(etcd_parse_kvs("{\"header\":{},\"kvs\":[{\"key\":\"%%\"}]}",
			     on_kv, &s, &rev, err, sizeof(err)) == -1);
	CHECK(s.n == 0);
}

static void test_leases(void)
{
	/* two leases asked in one body: one answer object each; an
	 * expired lease's answer has no TTL */
	const char ka[] =
		"{\"result\":{\"header\":{\"revision\":\"1\"},\"ID\":\"41\","
		"\"TTL\":\"4\"}}\n"
		"{\"result\":{\"header\":{\"revision\":\"1\"},"
		"\"ID\":\"42\"}}\n";
	char err[160];
	int64_t id, ttl;

	CHECK(etcd_parse_grant("{\"header\":{},\"ID\":\"4111\",\"TTL\":\"2\"}",
			       &id, &ttl, err, sizeof(err)) == 0);
	CHECK(id == 4111 && ttl == 2);
	CHECK(etcd_parse_grant("{\"error\":\"x\",\"code\":5}", &id, &ttl, err,
			       sizeof(err)) == -1);
	CHECK(etcd_parse_grant("nope", &id, &ttl, err, sizeof(err)) == -1);
	CHECK(etcd_parse_keepalive(ka, 41, &ttl) == 0 && ttl == 4);
	CHECK(etcd_parse_keepalive(ka, 42, &ttl) == 0 && ttl == 0);
	CHECK(etcd_parse_keepalive(ka, 43, &ttl) == -1 && ttl == 0);
	CHECK(etcd_parse_keepalive("", 41, &ttl) == -1);
	CHECK(etcd_parse_keepalive("{\"result\":{\"ID\":\"41\"}} garbage", 42,
				   &ttl) == -1);
}

static void test_b64_backoff(void)
{
	static const char *const plain[] = { "",     "f",     "fo",    "foo",
					     "foob", "fooba", "foobar" };
	static const char *const enc[] = {
		"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"
	};
	size_t n;

	for (int i = 0; i < 7; i++) {
		char *e = etcd_b64_encode(plain[i], strlen(plain[i]));
		char *d = etcd_b64_decode(enc[i], &n);

		CHECK(e != NULL && strcmp(e, enc[i]) == 0);
		CHECK(d != NULL && n == strlen(plain[i]) &&
		      strcmp(d, plain[i]) == 0);
		free(e);
		free(d);
	}
	CHECK(etcd_b64_decode("Zm9", &n) == NULL);
	CHECK(etcd_b64_decode("Z=9v", &n) == NULL);
	CHECK(etcd_b64_decode("Zm9v!A==", &n) == NULL);
	CHECK(etcd_backoff_ms(0) == 100 && etcd_backoff_ms(1) == 200 &&
	      etcd_backoff_ms(5) == 3200 && etcd_backoff_ms(6) == 5000 &&
	      etcd_backoff_ms(1000) == 5000);
}

int main(void)
{
	test_stream_splits();
	test_stream_bad();
	test_range_txn();
	test_event_keys();
	test_range_kvs();
	test_leases();
	test_b64_backoff();
	return check_summary("etcd_watch");
}
