/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A tiny server built on slowpath/http/ for tests/integration/
 * test_http.sh: its handler echoes method, path, role, protocol and body
 * as JSON. SIGHUP reloads the certificate files, SIGTERM stops it.
 *
 *   test_http --cert C --key K [--ca CA] [--admin S]... [--reader S]...
 *             [--tls ADDR] [--plain ADDR] [--unix PATH]
 *             [--idle-ms N] [--handshake-ms N] [--body-total N]
 *
 * ADDR is an IPv4/IPv6 literal; ports are chosen by the kernel and printed
 * as "READY tls=PORT plain=PORT" once listening. Paths:
 *   /big?N    a body of N bytes of 'x'
 *   /status/N an empty answer with status N
 *   /stats    the server's counters
 *   /listeners each listener's connection counters, one line each
 *   anything  the echo
 * A client whose role is none may only GET: anything else is refused
 * with 403 on the request head, before its body is read.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../slowpath/http/http.h"

#define MAX_ROLES 8
#define ECHO_BODY_MAX 256

struct options {
	const char *cert, *key, *ca, *tls_addr, *plain_addr, *unix_path;
	const char *admin[MAX_ROLES], *reader[MAX_ROLES];
	size_t n_admin, n_reader;
	unsigned int idle_ms, handshake_ms;
	size_t body_total;
};

static volatile sig_atomic_t got_hup, got_term;
static struct http_server *server;
static unsigned long completed;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		got_hup = 1;
	else
		got_term = 1;
}

static const char *role_name(int role)
{
	return role == HTTP_ROLE_ADMIN	  ? "admin"
	       : role == HTTP_ROLE_READER ? "reader"
					  : "none";
}

/* Append s (n bytes) to out as a JSON string body. */
static size_t json_str(char *out, size_t size, const char *s, size_t n)
{
	size_t o = 0, i;

	for (i = 0; i < n && o + 7 < size; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == '"' || ch == '\\')
			o += (size_t)snprintf(out + o, size - o, "\\%c", ch);
		else if (ch < 0x20 || ch >= 0x7f)
			o += (size_t)snprintf(out + o, size - o, "\\u%04x", ch);
		else
			out[o++] = (char)ch;
	}
	out[o] = 0;
	return o;
}

static void respond(struct http_response *resp, int status, char *body)
{
	resp->status = status;
	snprintf(resp->content_type, sizeof(resp->content_type),
		 "application/json");
	resp->body = body;
	resp->body_len = body ? strlen(body) : 0;
}

static void echo(const struct http_request *req, struct http_response *resp)
{
	char path[1024], query[1024], body[ECHO_BODY_MAX * 6 + 8];
	size_t blen =
		req->body_len < ECHO_BODY_MAX ? req->body_len : ECHO_BODY_MAX;
	char *out = NULL;

	json_str(path, sizeof(path), req->path, strlen(req->path));
	json_str(query, sizeof(query), req->query ? req->query : "",
		 req->query ? strlen(req->query) : 0);
	json_str(body, sizeof(body), (const char *)req->body, blen);
	if (asprintf(&out,
		     "{\"method\": \"%s\", \"path\": \"%s\", \"query\": "
		     "\"%s\", \"role\": \"%s\", \"proto\": %d, \"tls\": %s, "
		     "\"subject\": \"%s\", \"if_match\": \"%s\", "
		     "\"body_len\": %zu, \"body\": \"%s\"}\n",
		     req->method, path, query, role_name(req->role), req->proto,
		     req->tls ? "true" : "false", req->subject,
		     req->if_match ? req->if_match : "", req->body_len,
		     body) < 0)
		out = NULL;
	respond(resp, 200, out);
	snprintf(resp->etag, sizeof(resp->etag), "\"echo-%zu\"", req->body_len);
	http_response_add_header(resp, "Cache-Control", "no-store");
}

static void big(const struct http_request *req, struct http_response *resp)
{
	long n = req->query ? strtol(req->query, NULL, 10) : 0;

	if (n < 0 || n > 8 * 1024 * 1024) {
		http_response_error(resp, 400, "size out of range");
		return;
	}
	resp->status = 200;
	snprintf(resp->content_type, sizeof(resp->content_type),
		 "application/octet-stream");
	resp->body = malloc((size_t)n + 1);
	if (resp->body == NULL) {
		http_response_error(resp, 500, "out of memory");
		return;
	}
	memset(resp->body, 'x', (size_t)n);
	resp->body_len = (size_t)n;
}

static void stats(struct http_response *resp)
{
	struct http_stats st;
	char *out = NULL;

	http_server_stats(server, &st);
	if (asprintf(&out,
		     "{\"conns_open\": %llu, \"conns_accepted\": %llu, "
		     "\"conns_refused\": %llu, \"timeouts\": %llu, "
		     "\"tls_handshake_failed\": %llu, \"head_refused\": %llu, "
		     "\"body_budget_refused\": %llu, \"body_bytes\": %llu, "
		     "\"completed\": %lu}\n",
		     (unsigned long long)st.conns_open,
		     (unsigned long long)st.conns_accepted,
		     (unsigned long long)st.conns_refused,
		     (unsigned long long)st.timeouts,
		     (unsigned long long)st.tls_handshake_failed,
		     (unsigned long long)st.head_refused,
		     (unsigned long long)st.body_budget_refused,
		     (unsigned long long)st.body_bytes, completed) < 0)
		out = NULL;
	respond(resp, 200, out);
}

/* /listeners: every listener's connection counters, one line each. */
static void listeners(struct http_response *resp)
{
	struct http_listener_stats ls;
	char *out = NULL, *prev;
	int i;

	for (i = 0; http_server_listener_stats(server, i, &ls) == 0; i++) {
		prev = out;
		if (asprintf(&out,
			     "%s%s open=%llu max=%llu accepted=%llu "
			     "refused=%llu refused_addr=%llu evicted=%llu\n",
			     prev ? prev : "", ls.name,
			     (unsigned long long)ls.open,
			     (unsigned long long)ls.max,
			     (unsigned long long)ls.accepted,
			     (unsigned long long)ls.refused,
			     (unsigned long long)ls.refused_addr,
			     (unsigned long long)ls.evicted) < 0)
			out = NULL;
		free(prev);
		if (out == NULL)
			break;
	}
	respond(resp, 200, out);
	snprintf(resp->content_type, sizeof(resp->content_type), "text/plain");
}

static void handler(const struct http_request *req, struct http_response *resp,
		    void *arg)
{
	(void)arg;
	if (strcmp(req->path, "/big") == 0)
		big(req, resp);
	else if (strncmp(req->path, "/status/", 8) == 0)
		resp->status = atoi(req->path + 8);
	else if (strcmp(req->path, "/stats") == 0)
		stats(resp);
	else if (strcmp(req->path, "/listeners") == 0)
		listeners(resp);
	else
		echo(req, resp);
}

static int head_check(const struct http_request *req,
		      struct http_response *resp, void *arg)
{
	(void)arg;
	if (req->role != HTTP_ROLE_NONE || strcmp(req->method, "GET") == 0)
		return 0;
	http_response_error(resp, 403, "role none may only GET");
	return 1;
}

static void on_complete(const struct http_request *req, int status,
			double seconds, void *arg)
{
	(void)req;
	(void)status;
	(void)seconds;
	(void)arg;
	completed++;
}

static int parse_args(int argc, char **argv, struct options *o)
{
	int i;

	for (i = 1; i + 1 < argc; i += 2) {
		const char *k = argv[i], *v = argv[i + 1];

		if (!strcmp(k, "--cert"))
			o->cert = v;
		else if (!strcmp(k, "--key"))
			o->key = v;
		else if (!strcmp(k, "--ca"))
			o->ca = v;
		else if (!strcmp(k, "--tls"))
			o->tls_addr = v;
		else if (!strcmp(k, "--plain"))
			o->plain_addr = v;
		else if (!strcmp(k, "--unix"))
			o->unix_path = v;
		else if (!strcmp(k, "--idle-ms"))
			o->idle_ms = (unsigned int)atoi(v);
		else if (!strcmp(k, "--handshake-ms"))
			o->handshake_ms = (unsigned int)atoi(v);
		else if (!strcmp(k, "--body-total"))
			o->body_total = (size_t)atol(v);
		else if (!strcmp(k, "--admin") && o->n_admin < MAX_ROLES)
			o->admin[o->n_admin++] = v;
		else if (!strcmp(k, "--reader") && o->n_reader < MAX_ROLES)
			o->reader[o->n_reader++] = v;
		else
			return -1;
	}
	return i == argc ? 0 : -1;
}

/* The server must refuse cleartext anywhere but loopback. */
static int check_refusals(struct http_server *srv)
{
	if (http_server_add_listener_tcp(srv, "0.0.0.0", 0, false) != -EPERM ||
	    http_server_add_listener_tcp(srv, "::", 0, false) != -EPERM ||
	    http_server_add_listener_tcp(srv, "not-an-ip", 0, true) !=
		    -EINVAL) {
		fprintf(stderr, "test_http: non-loopback cleartext allowed\n");
		return -1;
	}
	return 0;
}

static int listen_all(struct http_server *srv, const struct options *o)
{
	int tls = -1, plain = -1;

	if (o->tls_addr &&
	    (tls = http_server_add_listener_tcp(srv, o->tls_addr, 0, true)) < 0)
		return tls;
	if (o->plain_addr && (plain = http_server_add_listener_tcp(
				      srv, o->plain_addr, 0, false)) < 0)
		return plain;
	if (o->unix_path) {
		int rc = http_server_add_listener_unix(srv, o->unix_path);

		if (rc < 0)
			return rc;
	}
	printf("READY tls=%d plain=%d\n", http_server_listener_port(srv, tls),
	       http_server_listener_port(srv, plain));
	fflush(stdout);
	return 0;
}

static void reload(const struct options *o)
{
	if (http_server_reload_tls(server, o->cert, o->key, o->ca) == 0)
		printf("RELOADED ok\n");
	else
		printf("RELOAD FAILED: %s\n", http_server_error(server));
	fflush(stdout);
}

int main(int argc, char **argv)
{
	struct options o = { 0 };
	char err[256] = "";
	struct http_server_config cfg = { 0 };
	struct sigaction sa = { .sa_handler = on_signal };
	int rc;

	if (parse_args(argc, argv, &o) < 0) {
		fprintf(stderr, "usage: see the comment in test_http.c\n");
		return 2;
	}
	cfg = (struct http_server_config){
		.cert_file = o.cert,
		.key_file = o.key,
		.client_ca_file = o.ca,
		.admin_subjects = o.admin,
		.n_admin_subjects = o.n_admin,
		.reader_subjects = o.reader,
		.n_reader_subjects = o.n_reader,
		.handler = handler,
		.head_check = head_check,
		.max_body_total = o.body_total,
		.on_complete = on_complete,
		.idle_timeout_ms = o.idle_ms,
		.handshake_timeout_ms = o.handshake_ms,
		.err = err,
		.err_len = sizeof(err),
	};
	server = http_server_create(&cfg);
	if (server == NULL) {
		fprintf(stderr, "test_http: %s\n", err);
		return 1;
	}
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	rc = check_refusals(server) < 0 ? -1 : listen_all(server, &o);
	if (rc < 0)
		fprintf(stderr, "test_http: %s\n", http_server_error(server));
	while (rc == 0 && !got_term) {
		if (got_hup) {
			got_hup = 0;
			reload(&o);
		}
		rc = http_server_run_once(server, 200);
		rc = rc < 0 ? rc : 0;
	}
	http_server_destroy(server);
	return rc == 0 ? 0 : 1;
}
