/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Active health checks: the TLS of an "https" probe (OpenSSL client over
 * the probe's non-blocking socket). One client context per (verify,
 * ca_file) among the targets, made on first use; verification, when on,
 * checks the chain against ca_file and the name: server_name, or the
 * backend's address when there is none.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <sys/epoll.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "health_int.h"

static SSL_CTX *ctx_new(bool verify, const char *ca_file)
{
	SSL_CTX *c = SSL_CTX_new(TLS_client_method());

	if (c == NULL)
		return NULL;
	SSL_CTX_set_min_proto_version(c, TLS1_2_VERSION);
	/* one handshake per probe: nothing to resume */
	SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_OFF);
	if (verify) {
		if (SSL_CTX_load_verify_locations(c, ca_file, NULL) != 1) {
			SSL_CTX_free(c);
			return NULL;
		}
		SSL_CTX_set_verify(c, SSL_VERIFY_PEER, NULL);
	} else {
		SSL_CTX_set_verify(c, SSL_VERIFY_NONE, NULL);
	}
	return c;
}

/* The context of p's parameters; NULL when it cannot be made. */
static SSL_CTX *ctx_for(struct health_engine *h, const struct probe *p)
{
	const struct health_params *hp = &p->t.params;
	const char *ca = hp->verify ? hp->ca_file : "";
	struct health_tls_ctx *t;

	for (uint32_t i = 0; i < h->n_tls; i++)
		if (h->tls[i].verify == hp->verify &&
		    strcmp(h->tls[i].ca_file, ca) == 0)
			return h->tls[i].ctx;
	if (h->n_tls == HEALTH_TLS_CTX_MAX)
		return NULL;
	t = &h->tls[h->n_tls++];
	t->verify = hp->verify;
	snprintf(t->ca_file, sizeof(t->ca_file), "%s", ca);
	/* a ca_file that does not load stays NULL: its probes fail "tls"
	 * until the configuration changes (a new engine set keeps it) */
	t->ctx = ctx_new(hp->verify, ca);
	ERR_clear_error();
	return t->ctx;
}

static int set_peer_name(SSL *ssl, const struct probe *p)
{
	const struct health_params *hp = &p->t.params;
	char ip[INET6_ADDRSTRLEN];

	if (hp->server_name[0] != 0 &&
	    SSL_set_tlsext_host_name(ssl, hp->server_name) != 1)
		return -1;
	if (!hp->verify)
		return 0;
	if (hp->server_name[0] != 0)
		return SSL_set1_host(ssl, hp->server_name) == 1 ? 0 : -1;
	inet_ntop(p->t.addr.family == EP_AF_INET6 ? AF_INET6 : AF_INET,
		  p->t.addr.bytes, ip, sizeof(ip));
	return X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), ip) == 1 ? 0
									   : -1;
}

int health_tls_start(struct health_engine *h, struct probe *p)
{
	SSL_CTX *c = ctx_for(h, p);

	p->ssl = c != NULL ? SSL_new(c) : NULL;
	if (p->ssl == NULL || SSL_set_fd(p->ssl, p->fd) != 1 ||
	    set_peer_name(p->ssl, p) < 0) {
		health_tls_free(p);
		ERR_clear_error();
		return -1;
	}
	return 0;
}

int health_tls_handshake(struct probe *p, int *detail)
{
	int rc = SSL_connect(p->ssl);

	*detail = 0;
	if (rc == 1)
		return 1;
	switch (SSL_get_error(p->ssl, rc)) {
	case SSL_ERROR_WANT_READ:
		p->tls_events = EPOLLIN;
		return 0;
	case SSL_ERROR_WANT_WRITE:
		p->tls_events = EPOLLOUT;
		return 0;
	default:
		*detail = (int)SSL_get_verify_result(p->ssl);
		ERR_clear_error();
		return -1;
	}
}

static long io_result(struct probe *p, int rc)
{
	switch (SSL_get_error(p->ssl, rc)) {
	case SSL_ERROR_WANT_READ:
	case SSL_ERROR_WANT_WRITE:
		errno = EAGAIN;
		return -1;
	case SSL_ERROR_ZERO_RETURN:
		return 0; /* close_notify: the end of the answer */
	case SSL_ERROR_SYSCALL:
		ERR_clear_error();
		if (errno == 0)
			return 0; /* closed without close_notify */
		return -1;
	default:
		ERR_clear_error();
		errno = EPROTO;
		return -1;
	}
}

long health_tls_send(struct probe *p, const void *buf, size_t n)
{
	int rc = SSL_write(p->ssl, buf, (int)n);

	return rc > 0 ? rc : io_result(p, rc);
}

long health_tls_recv(struct probe *p, void *buf, size_t n)
{
	int rc;

	errno = 0;
	rc = SSL_read(p->ssl, buf, (int)n);
	return rc > 0 ? rc : io_result(p, rc);
}

void health_tls_free(struct probe *p)
{
	SSL_free(p->ssl);
	p->ssl = NULL;
}

void health_tls_destroy(struct health_engine *h)
{
	for (uint32_t i = 0; i < h->n_tls; i++)
		SSL_CTX_free(h->tls[i].ctx);
	h->n_tls = 0;
}
