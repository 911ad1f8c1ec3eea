/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * edgectl's transport: requests to the control API with libcurl, over the
 * slow path's Unix socket or HTTPS with a client certificate, HTTP/2
 * where libcurl has it (h2c with prior knowledge on the socket, ALPN over
 * TLS). One connection is kept for the client's life (`top` reuses it).
 * Every request is bounded in time.
 */
#ifndef EP_EDGECTL_HTTP_H
#define EP_EDGECTL_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ECTL_HTTP_MAX_BODY (16u << 20) /* answers larger are refused */
#define ECTL_HTTP_CONNECT_TIMEOUT_MS 3000u

struct ectl_http_opts {
	const char *socket_path; /* used when url is NULL */
	const char *url; /* "https://host:port" */
	size_t url_len; /* of url, without trailing slashes */
	const char *cert, *key, *cacert; /* PEM files; NULL: none */
	uint32_t timeout_ms; /* whole request */
	bool verbose; /* requests and answers on stderr */
};

/* An answer of any HTTP status. */
struct ectl_reply {
	long status;
	char *body; /* NUL-terminated, len bytes before the NUL */
	size_t len;
	char etag[32]; /* the ETag header without quotes, "" if none */
	char proto[8]; /* "1.1", "2" */
};

struct ectl_http;

/* A client; NULL with the reason in err if libcurl cannot start. */
struct ectl_http *ectl_http_open(const struct ectl_http_opts *o, char *err,
				 size_t errlen);

void ectl_http_close(struct ectl_http *h);

/*
 * One request: method, path ("/v1/stats"), an optional JSON body and
 * If-Match value (NULL: none). Returns 0 with the answer in r (free with
 * ectl_reply_free), or -1 when no answer came, with a message for the
 * user in err ("cannot reach the API at ...").
 */
int ectl_http_request(struct ectl_http *h, const char *method, const char *path,
		      const char *body, size_t body_len, const char *if_match,
		      struct ectl_reply *r, char *err, size_t errlen);

void ectl_reply_free(struct ectl_reply *r);

#endif /* EP_EDGECTL_HTTP_H */
