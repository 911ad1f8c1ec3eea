/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * slowpath/health_tls.c: "https" probes against a TLS server in a child
 * process on loopback, with a self-signed certificate made here (CN and
 * SAN localhost, SAN IP 127.0.0.1): verify off; verify on with the
 * certificate as ca_file, by server_name and by address; a wrong
 * server_name and an unreadable ca_file fail as "tls"; a TLS probe of a
 * server that does not speak TLS fails as "tls".
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "check.h"
#include "health.h"

static int listener(uint16_t *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t al = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    listen(fd, 64) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &al) < 0)
		return -1;
	*port = ntohs(a.sin_port);
	return fd;
}

/* A self-signed P-256 certificate for localhost / 127.0.0.1. */
static X509 *make_cert(EVP_PKEY **key)
{
	X509 *x = X509_new();
	X509V3_CTX v3;
	X509_EXTENSION *ext;
	X509_NAME *n;

	*key = EVP_EC_gen("P-256");
	if (x == NULL || *key == NULL)
		return NULL;
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_set_pubkey(x, *key);
	n = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
				   (const unsigned char *)"localhost", -1, -1,
				   0);
	X509_set_issuer_name(x, n);
	X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name,
				  "DNS:localhost,IP:127.0.0.1");
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	ext = X509V3_EXT_conf_nid(NULL, &v3, NID_basic_constraints,
				  "critical,CA:TRUE");
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	if (X509_sign(x, *key, EVP_sha256()) == 0)
		return NULL;
	return x;
}

static const char reply[] = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n"
			    "Connection: close\r\n\r\nready";

/* The child: answer every TLS connection with `reply`, until killed. */
static void tls_server(int lfd, X509 *cert, EVP_PKEY *key)
{
	SSL_CTX *c = SSL_CTX_new(TLS_server_method());
	struct timeval tv = { .tv_sec = 0, .tv_usec = 300000 };

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	SSL_CTX_use_certificate(c, cert);
	SSL_CTX_use_PrivateKey(c, key);
	for (;;) {
		char buf[2048];
		int fd = accept(lfd, NULL, NULL);
		SSL *s;

		if (fd < 0)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		s = SSL_new(c);
		SSL_set_fd(s, fd);
		if (SSL_accept(s) == 1 && SSL_read(s, buf, sizeof(buf)) > 0)
			SSL_write(s, reply, (int)strlen(reply));
		SSL_free(s);
		close(fd);
	}
}

/* A server that is not TLS: answers plain HTTP to anything. */
static void plain_server(int lfd)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	for (;;) {
		int fd = accept(lfd, NULL, NULL);

		if (fd < 0)
			continue;
		if (send(fd, reply, strlen(reply), MSG_NOSIGNAL) < 0)
			(void)0;
		usleep(20000);
		close(fd);
	}
}

static void target(struct health_target *t, const char *svc, uint16_t port)
{
	memset(t, 0, sizeof(*t));
	snprintf(t->service, sizeof(t->service), "%s", svc);
	t->addr.family = EP_AF_INET;
	t->addr.bytes[0] = 127;
	t->addr.bytes[3] = 1;
	t->port = port;
	t->backend_port = port;
	health_params_default(&t->params);
	t->params.type = HEALTH_HTTPS;
	t->params.interval_ms = 200;
	t->params.timeout_ms = 150;
	t->params.rise = 1;
	t->params.fall = 1;
	snprintf(t->params.path, sizeof(t->params.path), "/ready");
	snprintf(t->params.body_contains, sizeof(t->params.body_contains),
		 "ready");
}

enum {
	T_NOVERIFY,
	T_BY_NAME,
	T_BY_ADDR,
	T_WRONG_NAME,
	T_NO_CA,
	T_NOT_TLS,
	T_N
};

int main(void)
{
	char ca[] = "/tmp/test_health_tls.XXXXXX";
	struct health_target t[T_N];
	struct health_engine *h = health_engine_create();
	struct health_stats st;
	uint16_t port = 0, plain_port = 0;
	int lfd = listener(&port), pfd = listener(&plain_port), cfd;
	pid_t child, child2;
	EVP_PKEY *key = NULL;
	X509 *cert = make_cert(&key);
	FILE *f;

	CHECK(h != NULL && lfd >= 0 && pfd >= 0 && cert != NULL);
	if (h == NULL || lfd < 0 || pfd < 0 || cert == NULL)
		return check_summary("health_tls");
	cfd = mkstemp(ca);
	f = fdopen(cfd, "w");
	CHECK(f != NULL && PEM_write_X509(f, cert) == 1);
	fclose(f);
	child = fork();
	if (child == 0)
		tls_server(lfd, cert, key);
	child2 = fork();
	if (child2 == 0)
		plain_server(pfd);
	close(lfd);
	close(pfd);

	target(&t[T_NOVERIFY], "plain", port);
	target(&t[T_BY_NAME], "name", port);
	t[T_BY_NAME].params.verify = true;
	snprintf(t[T_BY_NAME].params.server_name, HEALTH_SNI_LEN, "localhost");
	snprintf(t[T_BY_NAME].params.ca_file, HEALTH_CA_LEN, "%s", ca);
	target(&t[T_BY_ADDR], "addr", port);
	t[T_BY_ADDR].params.verify = true;
	snprintf(t[T_BY_ADDR].params.ca_file, HEALTH_CA_LEN, "%s", ca);
	t[T_WRONG_NAME] = t[T_BY_NAME];
	snprintf(t[T_WRONG_NAME].service, EP_NAME_LEN, "wrong");
	snprintf(t[T_WRONG_NAME].params.server_name, HEALTH_SNI_LEN,
		 "wrong.example");
	t[T_NO_CA] = t[T_BY_NAME];
	snprintf(t[T_NO_CA].service, EP_NAME_LEN, "noca");
	snprintf(t[T_NO_CA].params.ca_file, HEALTH_CA_LEN, "/nonexistent/ca");
	target(&t[T_NOT_TLS], "nottls", plain_port);

	CHECK(health_engine_set(h, t, T_N, health_now_ms()) == 0);
	for (uint64_t end = health_now_ms() + 900; health_now_ms() < end;) {
		struct pollfd p = { .fd = health_engine_fd(h),
				    .events = POLLIN };

		poll(&p, 1, 5);
		CHECK(health_engine_run(h, health_now_ms()) >= 0);
	}
	for (int i = 0; i < T_N; i++) {
		const struct health_sm *sm = health_engine_sm(h, (uint32_t)i);
		int want_up = i <= T_BY_ADDR;

		CHECK_MSG(sm->state == (want_up ? HEALTH_UP : HEALTH_DOWN),
			  "target %d: %s, last %s %d", i,
			  health_state_name(sm->state),
			  health_result_name(sm->last), sm->last_detail);
		if (want_up)
			CHECK_MSG(sm->last == HEALTH_R_OK &&
					  sm->last_detail == 200,
				  "target %d: %s %d", i,
				  health_result_name(sm->last),
				  sm->last_detail);
		else
			CHECK_MSG(sm->reason == HEALTH_R_TLS,
				  "target %d: reason %s", i,
				  health_result_name(sm->reason));
	}
	health_engine_stats(h, &st);
	CHECK(st.probes_tls >= 3 && st.probes_ok >= 3);
	CHECK(strcmp(health_result_name(HEALTH_R_TLS), "tls") == 0);
	health_engine_destroy(h);
	kill(child, SIGKILL);
	kill(child2, SIGKILL);
	waitpid(child, NULL, 0);
	waitpid(child2, NULL, 0);
	unlink(ca);
	X509_free(cert);
	EVP_PKEY_free(key);
	return check_summary("health_tls");
}
