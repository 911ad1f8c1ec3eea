/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TLS for the slow path's servers (OpenSSL 3): a server SSL_CTX limited to
 * TLS 1.2/1.3 with ECDHE+AEAD suites, ALPN "h2" then "http/1.1", optional
 * client certificates (mTLS), and the mapping from a client certificate to
 * an API role.
 *
 * Role lists: an entry matches a client when it equals the certificate's
 * subject in RFC 2253 form exactly ("CN=admin,O=edgepath": most specific
 * RDN first, as `openssl x509 -subject -nameopt RFC2253` prints it), or
 * when it is "SAN:" followed by exactly one of the certificate's
 * subjectAltName DNS names or URIs ("SAN:ops.example.com",
 * "SAN:spiffe://edgepath/admin"). Admin entries are checked first. A
 * verified certificate that matches nothing gets HTTP_ROLE_NONE. Without a
 * client CA there is no client identity, and every client is ADMIN (local
 * trust: the operator controls who reaches the port).
 */
#ifndef EP_TLS_H
#define EP_TLS_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/ssl.h>

#include "http_defs.h"

#define TLS_MAX_SUBJECT 256 /* longer subjects match no subject entry */
#define TLS_MAX_SAN 16 /* SAN DNS/URI names kept per certificate */
#define TLS_MAX_SAN_LEN 256 /* longer names are skipped */
#define TLS_VERIFY_DEPTH 4

struct tls_peer {
	bool has_cert;
	char subject[TLS_MAX_SUBJECT]; /* RFC 2253, "" if none or too long */
	char san[TLS_MAX_SAN][TLS_MAX_SAN_LEN];
	unsigned int n_san;
};

struct tls_roles {
	const char *const *admin;
	size_t n_admin;
	const char *const *reader;
	size_t n_reader;
	const char *const *registry; /* checked after admin and reader */
	size_t n_registry;
};

/*
 * A new server context from PEM files. client_ca_file NULL: no client
 * certificates asked; else one signed by that CA is required at the
 * handshake. Returns NULL and a message naming the file in err on failure.
 */
SSL_CTX *tls_ctx_new(const char *cert_file, const char *key_file,
		     const char *client_ca_file, char *err, size_t err_len);

/*
 * Build a new context and, on success, drop *ctx's reference and store the
 * new one. Connections made from the old context keep it alive until they
 * close (SSL_CTX is reference counted). On failure *ctx is untouched.
 * Returns 0 or -EINVAL with err filled.
 */
int tls_ctx_reload(SSL_CTX **ctx, const char *cert_file, const char *key_file,
		   const char *client_ca_file, char *err, size_t err_len);

/* True when ctx asks for (and requires) client certificates. */
bool tls_ctx_mtls(const SSL_CTX *ctx);

/* True when the handshake on ssl selected ALPN "h2". */
bool tls_alpn_h2(const SSL *ssl);

/*
 * Fill peer from ssl's verified client certificate. Returns 0, or
 * -ENOENT when there is none (peer->has_cert false).
 */
int tls_peer_get(const SSL *ssl, struct tls_peer *peer);

/* The role of a peer under the rules above; mtls false gives ADMIN. */
int tls_role(const struct tls_peer *peer, const struct tls_roles *roles,
	     bool mtls);

#endif /* EP_TLS_H */
