/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * slowpath/etcd/etcd_watch.c without an etcd: the watch stream cut at
 * every byte boundary gives the same messages; created, put (base64
 * values), delete, compaction (canceled with compact_revision), errors
 * and garbage (the stream is refused: the client reconnects); range and
 * txn answers; base64 both ways; the reconnect back-off.
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
	test_b64_backoff();
	return check_summary("etcd_watch");
}
