/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Server TLS contexts and client identities for the control API and the
 * L7 front. Contexts are immutable once built; a reload builds a new one.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "tls.h"

/* TLS 1.2 suites: forward secret (ECDHE) and AEAD only (RFC 7540 9.2.2). */
#define TLS12_CIPHERS                                                          \
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"           \
	"ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"           \
	"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"
#define TLS_GROUPS "X25519:P-256:P-384"
#define TLS_SESSION_CACHE 1024

static const unsigned char tls_alpn_protos[] = "\x02h2\x08http/1.1";
static const unsigned char tls_sid_ctx[] = "edgepath";

static void tls_err(char *err, size_t err_len, const char *what,
		    const char *file)
{
	unsigned long e = ERR_get_error();
	char ossl[160] = "";

	if (e != 0)
		ERR_error_string_n(e, ossl, sizeof(ossl));
	ERR_clear_error();
	if (err != NULL && err_len > 0)
		snprintf(err, err_len, "%s %s: %s", what, file ? file : "",
			 ossl[0] ? ossl : "failed");
}

/* Server preference: h2 first. No overlap: no ALPN, so HTTP/1.1. */
static int tls_alpn_select(SSL *ssl, const unsigned char **out,
			   unsigned char *out_len, const unsigned char *in,
			   unsigned int in_len, void *arg)
{
	unsigned char *sel;
	unsigned char sel_len;

	(void)ssl;
	(void)arg;
	if (SSL_select_next_proto(&sel, &sel_len, tls_alpn_protos,
				  sizeof(tls_alpn_protos) - 1, in,
				  in_len) != OPENSSL_NPN_NEGOTIATED)
		return SSL_TLSEXT_ERR_NOACK;
	*out = sel;
	*out_len = sel_len;
	return SSL_TLSEXT_ERR_OK;
}

static int tls_ctx_policy(SSL_CTX *ctx, char *err, size_t err_len)
{
	if (!SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) ||
	    !SSL_CTX_set_cipher_list(ctx, TLS12_CIPHERS) ||
	    !SSL_CTX_set1_groups_list(ctx, TLS_GROUPS)) {
		tls_err(err, err_len, "TLS policy", NULL);
		return -EINVAL;
	}
	SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION |
					 SSL_OP_NO_RENEGOTIATION |
					 SSL_OP_CIPHER_SERVER_PREFERENCE);
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
				      SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
				      SSL_MODE_RELEASE_BUFFERS);
	SSL_CTX_sess_set_cache_size(ctx, TLS_SESSION_CACHE);
	SSL_CTX_set_session_id_context(ctx, tls_sid_ctx,
				       sizeof(tls_sid_ctx) - 1);
	SSL_CTX_set_alpn_select_cb(ctx, tls_alpn_select, NULL);
	return 0;
}

static int tls_ctx_keys(SSL_CTX *ctx, const char *cert, const char *key,
			char *err, size_t err_len)
{
	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
		tls_err(err, err_len, "certificate", cert);
		return -EINVAL;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
		tls_err(err, err_len, "private key", key);
		return -EINVAL;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		tls_err(err, err_len, "key does not match certificate", key);
		return -EINVAL;
	}
	return 0;
}

static int tls_ctx_client_ca(SSL_CTX *ctx, const char *ca, char *err,
			     size_t err_len)
{
	STACK_OF(X509_NAME) * names;

	if (SSL_CTX_load_verify_locations(ctx, ca, NULL) != 1) {
		tls_err(err, err_len, "client CA", ca);
		return -EINVAL;
	}
	names = SSL_load_client_CA_file(ca);
	if (names == NULL) {
		tls_err(err, err_len, "client CA names", ca);
		return -EINVAL;
	}
	SSL_CTX_set_client_CA_list(ctx, names);
	SSL_CTX_set_verify(
		ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	SSL_CTX_set_verify_depth(ctx, TLS_VERIFY_DEPTH);
	return 0;
}

SSL_CTX *tls_ctx_new(const char *cert_file, const char *key_file,
		     const char *client_ca_file, char *err, size_t err_len)
{
	SSL_CTX *ctx;

	if (cert_file == NULL || key_file == NULL) {
		if (err != NULL && err_len > 0)
			snprintf(err, err_len,
				 "TLS needs a certificate and a key");
		return NULL;
	}
	ERR_clear_error();
	ctx = SSL_CTX_new(TLS_server_method());
	if (ctx == NULL) {
		tls_err(err, err_len, "SSL_CTX_new", NULL);
		return NULL;
	}
	if (tls_ctx_policy(ctx, err, err_len) < 0 ||
	    tls_ctx_keys(ctx, cert_file, key_file, err, err_len) < 0 ||
	    (client_ca_file != NULL &&
	     tls_ctx_client_ca(ctx, client_ca_file, err, err_len) < 0))
		goto fail;
	return ctx;
fail:
	SSL_CTX_free(ctx);
	return NULL;
}

int tls_ctx_reload(SSL_CTX **ctx, const char *cert_file, const char *key_file,
		   const char *client_ca_file, char *err, size_t err_len)
{
	SSL_CTX *fresh =
		tls_ctx_new(cert_file, key_file, client_ca_file, err, err_len);

	if (fresh == NULL)
		return -EINVAL;
	SSL_CTX_free(*ctx);
	*ctx = fresh;
	return 0;
}

bool tls_ctx_mtls(const SSL_CTX *ctx)
{
	return (SSL_CTX_get_verify_mode(ctx) & SSL_VERIFY_PEER) != 0;
}

bool tls_alpn_h2(const SSL *ssl)
{
	const unsigned char *p;
	unsigned int n;

	SSL_get0_alpn_selected(ssl, &p, &n);
	return n == 2 && memcmp(p, "h2", 2) == 0;
}

static void tls_subject(X509 *cert, struct tls_peer *peer)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data;
	long n;

	peer->subject[0] = 0;
	if (bio == NULL)
		return;
	if (X509_NAME_print_ex(bio, X509_get_subject_name(cert), 0,
			       XN_FLAG_RFC2253) >= 0) {
		n = BIO_get_mem_data(bio, &data);
		if (n > 0 && (size_t)n < sizeof(peer->subject) &&
		    memchr(data, 0, (size_t)n) == NULL) {
			memcpy(peer->subject, data, (size_t)n);
			peer->subject[n] = 0;
		}
	}
	BIO_free(bio);
}

static void tls_san_add(const ASN1_IA5STRING *s, struct tls_peer *peer)
{
	int n = ASN1_STRING_length(s);
	const unsigned char *p = ASN1_STRING_get0_data(s);

	if (peer->n_san == TLS_MAX_SAN || n <= 0 || n >= TLS_MAX_SAN_LEN ||
	    memchr(p, 0, (size_t)n) != NULL)
		return;
	memcpy(peer->san[peer->n_san], p, (size_t)n);
	peer->san[peer->n_san][n] = 0;
	peer->n_san++;
}

static void tls_sans(X509 *cert, struct tls_peer *peer)
{
	GENERAL_NAMES *names =
		X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
	int i;

	peer->n_san = 0;
	for (i = 0; names != NULL && i < sk_GENERAL_NAME_num(names); i++) {
		const GENERAL_NAME *gn = sk_GENERAL_NAME_value(names, i);

		if (gn->type == GEN_DNS)
			tls_san_add(gn->d.dNSName, peer);
		else if (gn->type == GEN_URI)
			tls_san_add(gn->d.uniformResourceIdentifier, peer);
	}
	GENERAL_NAMES_free(names);
}

int tls_peer_get(const SSL *ssl, struct tls_peer *peer)
{
	X509 *cert = SSL_get0_peer_certificate(ssl);

	memset(peer, 0, sizeof(*peer));
	if (cert == NULL || SSL_get_verify_result(ssl) != X509_V_OK)
		return -ENOENT;
	peer->has_cert = true;
	tls_subject(cert, peer);
	tls_sans(cert, peer);
	return 0;
}

static bool tls_entry_matches(const char *entry, const struct tls_peer *peer)
{
	unsigned int i;

	if (strncmp(entry, "SAN:", 4) != 0)
		return peer->subject[0] != 0 &&
		       strcmp(entry, peer->subject) == 0;
	for (i = 0; i < peer->n_san; i++)
		if (strcmp(entry + 4, peer->san[i]) == 0)
			return true;
	return false;
}

static bool tls_list_matches(const char *const *list, size_t n,
			     const struct tls_peer *peer)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (list[i] != NULL && tls_entry_matches(list[i], peer))
			return true;
	return false;
}

int tls_role(const struct tls_peer *peer, const struct tls_roles *roles,
	     bool mtls)
{
	if (!mtls)
		return HTTP_ROLE_ADMIN;
	if (peer == NULL || !peer->has_cert)
		return HTTP_ROLE_NONE;
	if (tls_list_matches(roles->admin, roles->n_admin, peer))
		return HTTP_ROLE_ADMIN;
	if (tls_list_matches(roles->reader, roles->n_reader, peer))
		return HTTP_ROLE_READER;
	if (tls_list_matches(roles->registry, roles->n_registry, peer))
		return HTTP_ROLE_REGISTRY;
	return HTTP_ROLE_NONE;
}
