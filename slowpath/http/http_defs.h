/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What every layer of the HTTP server shares: the request limits the
 * HTTP/1.1 parser (h1.c) enforces and the roles TLS (tls.c) gives a client.
 * http.h, the server's public header, includes this; h1.h and tls.h
 * include only this, so the lower layers do not see the server.
 */
#ifndef EP_HTTP_DEFS_H
#define EP_HTTP_DEFS_H

#define HTTP_MAX_HEADER_BYTES (16 * 1024) /* request line + fields */
#define HTTP_MAX_BODY (1024 * 1024 + 64 * 1024) /* one request body */

enum http_role {
	HTTP_ROLE_NONE = 0, /* authenticated but not authorised */
	HTTP_ROLE_READER = 1,
	HTTP_ROLE_ADMIN = 2,
	/* the service registry's endpoints only (docs/api.md): not above
	 * reader, so roles are compared by name, never by value */
	HTTP_ROLE_REGISTRY = 3,
};

#endif /* EP_HTTP_DEFS_H */
