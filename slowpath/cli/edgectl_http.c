/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * edgectl's transport (edgectl_http.h) on libcurl's easy interface. The
 * handle is reset before each request, which keeps its open connection,
 * so every option is set afresh and no method or header leaks from one
 * request to the next. Failures become one sentence that names where the
 * API was looked for and what to check.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "edgectl_http.h"

#define USER_AGENT "edgectl/" EDGECTL_VERSION
#define URL_MAX 512u
#define H2C_REUSE_FIXED 0x080000 /* libcurl 8.0.0 */

struct ectl_http {
	CURL *curl;
	struct ectl_http_opts o;
	bool h2; /* libcurl was built with HTTP/2 */
	bool h2c_no_reuse; /* its h2c connections cannot be reused */
	char base[URL_MAX]; /* "http://localhost" or the --url */
	char where[URL_MAX + 16]; /* for messages: the socket path or URL */
};

struct ectl_http *ectl_http_open(const struct ectl_http_opts *o, char *err,
				 size_t errlen)
{
	struct ectl_http *h = calloc(1, sizeof(*h));
	const curl_version_info_data *info;

	if (h == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK ||
	    (h->curl = curl_easy_init()) == NULL) {
		snprintf(err, errlen, "libcurl failed to start");
		free(h);
		return NULL;
	}
	h->o = *o;
	info = curl_version_info(CURLVERSION_NOW);
	h->h2 = (info->features & CURL_VERSION_HTTP2) != 0;
	/* libcurl before 8.0 fails the second request on a reused
	 * prior-knowledge h2c connection ("Error in the HTTP2 framing
	 * layer", curl issue 10634; Debian 12 has 7.88) */
	h->h2c_no_reuse = info->version_num < H2C_REUSE_FIXED;
	if (o->url != NULL) {
		snprintf(h->base, sizeof(h->base), "%.*s", (int)o->url_len,
			 o->url);
		snprintf(h->where, sizeof(h->where), "%s", h->base);
	} else {
		snprintf(h->base, sizeof(h->base), "http://localhost");
		snprintf(h->where, sizeof(h->where), "%s", o->socket_path);
	}
	return h;
}

void ectl_http_close(struct ectl_http *h)
{
	if (h == NULL)
		return;
	curl_easy_cleanup(h->curl);
	curl_global_cleanup();
	free(h);
}

void ectl_reply_free(struct ectl_reply *r)
{
	free(r->body);
	memset(r, 0, sizeof(*r));
}

/* ------------------------------------------------------------------ */
/* Callbacks                                                            */

struct transfer {
	struct ectl_reply *r;
	size_t cap;
	bool too_large, nomem;
};

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
	struct transfer *t = arg;
	struct ectl_reply *r = t->r;
	size_t len = size * n;
	char *grown;

	if (r->len + len > ECTL_HTTP_MAX_BODY) {
		t->too_large = true;
		return 0;
	}
	if (r->len + len + 1 > t->cap) {
		t->cap = (r->len + len + 1) * 2;
		grown = realloc(r->body, t->cap);
		if (grown == NULL) {
			t->nomem = true;
			return 0;
		}
		r->body = grown;
	}
	memcpy(r->body + r->len, data, len);
	r->len += len;
	r->body[r->len] = 0;
	return len;
}

/* Keeps the ETag: `"7"` becomes `7`. */
static size_t on_header(char *data, size_t size, size_t n, void *arg)
{
	struct transfer *t = arg;
	size_t len = size * n, i = 5, end;

	if (len < 6 || strncasecmp(data, "etag:", 5) != 0)
		return len;
	while (i < len && (data[i] == ' ' || data[i] == '\t' || data[i] == '"'))
		i++;
	end = i;
	while (end < len && data[end] != '"' && data[end] != '\r' &&
	       data[end] != '\n')
		end++;
	snprintf(t->r->etag, sizeof(t->r->etag), "%.*s", (int)(end - i),
		 data + i);
	return len;
}

/* ------------------------------------------------------------------ */
/* Options                                                              */

static long http_version(const struct ectl_http *h)
{
	if (!h->h2)
		return CURL_HTTP_VERSION_1_1;
	/* cleartext listeners speak h2c with prior knowledge (docs/api.md) */
	if (h->o.url == NULL || strncmp(h->o.url, "http://", 7) == 0)
		return CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE;
	return CURL_HTTP_VERSION_2TLS;
}

static void set_transport(struct ectl_http *h)
{
	CURL *c = h->curl;
	uint32_t connect_ms = h->o.timeout_ms < ECTL_HTTP_CONNECT_TIMEOUT_MS
				      ? h->o.timeout_ms
				      : ECTL_HTTP_CONNECT_TIMEOUT_MS;

	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)h->o.timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)connect_ms);
	curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, USER_AGENT);
	curl_easy_setopt(c, CURLOPT_HTTP_VERSION, http_version(h));
	if (h->h2c_no_reuse &&
	    http_version(h) == CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE) {
		curl_easy_setopt(c, CURLOPT_FRESH_CONNECT, 1L);
		curl_easy_setopt(c, CURLOPT_FORBID_REUSE, 1L);
	}
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
#endif
	if (h->o.url == NULL) {
		curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, h->o.socket_path);
		curl_easy_setopt(c, CURLOPT_PROXY, ""); /* never a proxy */
		return;
	}
	if (h->o.cert != NULL)
		curl_easy_setopt(c, CURLOPT_SSLCERT, h->o.cert);
	if (h->o.key != NULL)
		curl_easy_setopt(c, CURLOPT_SSLKEY, h->o.key);
	if (h->o.cacert != NULL)
		curl_easy_setopt(c, CURLOPT_CAINFO, h->o.cacert);
}

static void set_method(CURL *c, const char *method, const char *body,
		       size_t body_len)
{
	if (body != NULL) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
				 (curl_off_t)body_len);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	}
	if (strcmp(method, "GET") != 0 && strcmp(method, "POST") != 0)
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
}

static struct curl_slist *headers(const char *body, const char *if_match)
{
	struct curl_slist *l = NULL, *n;
	char im[96];
	/* "Expect:" off: the API answers at once, no 100-continue */
	const char *list[] = { "Accept: application/json", "Expect:",
			       body ? "Content-Type: application/json" : NULL,
			       if_match ? im : NULL };

	snprintf(im, sizeof(im), "If-Match: %s", if_match ? if_match : "");
	for (size_t i = 0; i < sizeof(list) / sizeof(list[0]); i++) {
		if (list[i] == NULL)
			continue;
		n = curl_slist_append(l, list[i]);
		if (n == NULL) {
			curl_slist_free_all(l);
			return NULL;
		}
		l = n;
	}
	return l;
}

/* ------------------------------------------------------------------ */
/* Errors                                                               */

static void socket_error(const struct ectl_http *h, char *err, size_t errlen)
{
	const char *p = h->o.socket_path;
	struct stat st;
	int rc = stat(p, &st);

	if ((rc < 0 && errno == EACCES) ||
	    (rc == 0 && S_ISSOCK(st.st_mode) && access(p, W_OK) < 0))
		snprintf(err, errlen,
			 "cannot reach the API at %s: permission denied (run "
			 "as root or as a member of the socket's group)",
			 p);
	else if (rc < 0)
		snprintf(err, errlen,
			 "cannot reach the API at %s: is edgepath-slowpath "
			 "running? (no such socket; --socket PATH names "
			 "another)",
			 p);
	else if (!S_ISSOCK(st.st_mode))
		snprintf(err, errlen,
			 "cannot reach the API at %s: not a socket", p);
	else
		snprintf(err, errlen,
			 "cannot reach the API at %s: is edgepath-slowpath "
			 "running? (connection refused)",
			 p);
}

static void transport_error(const struct ectl_http *h, CURLcode rc,
			    const char *detail, char *err, size_t errlen)
{
	const char *d = detail[0] ? detail : curl_easy_strerror(rc);
	double s = h->o.timeout_ms / 1000.0;

	switch (rc) {
	case CURLE_COULDNT_CONNECT:
		if (h->o.url == NULL) {
			socket_error(h, err, errlen);
			return;
		}
		snprintf(err, errlen,
			 "cannot reach the API at %s: is edgepath-slowpath "
			 "listening there? (%s)",
			 h->where, d);
		return;
	case CURLE_COULDNT_RESOLVE_HOST:
		snprintf(err, errlen, "cannot resolve the host of %s (%s)",
			 h->where, d);
		return;
	case CURLE_OPERATION_TIMEDOUT:
		snprintf(err, errlen,
			 "the API at %s did not answer within %.1f s "
			 "(--timeout SECONDS)",
			 h->where, s);
		return;
	case CURLE_SSL_CERTPROBLEM:
		snprintf(err, errlen,
			 "the client certificate or key cannot be used "
			 "(--cert, --key): %s",
			 d);
		return;
	case CURLE_SSL_CACERT_BADFILE:
		snprintf(err, errlen,
			 "the CA file cannot be used (--cacert): %s", d);
		return;
	case CURLE_PEER_FAILED_VERIFICATION:
		snprintf(err, errlen,
			 "the certificate of %s is not trusted (--cacert names "
			 "its CA): %s",
			 h->where, d);
		return;
	case CURLE_SSL_CONNECT_ERROR:
		snprintf(err, errlen,
			 "TLS handshake with %s failed (a client certificate "
			 "it trusts? --cert, --key): %s",
			 h->where, d);
		return;
	default:
		snprintf(err, errlen, "no answer from the API at %s%s: %s",
			 h->where,
			 h->o.url ? " (does it trust the client certificate? "
				    "--cert, --key)"
				  : "",
			 d);
	}
}

/* ------------------------------------------------------------------ */
/* A request                                                            */

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void reply_proto(CURL *c, struct ectl_reply *r)
{
	long v = 0;

	curl_easy_getinfo(c, CURLINFO_HTTP_VERSION, &v);
	snprintf(r->proto, sizeof(r->proto), "%s",
		 v == CURL_HTTP_VERSION_2_0   ? "2"
		 : v == CURL_HTTP_VERSION_1_0 ? "1.0"
					      : "1.1");
}

int ectl_http_request(struct ectl_http *h, const char *method, const char *path,
		      const char *body, size_t body_len, const char *if_match,
		      struct ectl_reply *r, char *err, size_t errlen)
{
	char url[URL_MAX * 2], detail[CURL_ERROR_SIZE] = "";
	struct transfer t = { .r = r };
	struct curl_slist *hdr = headers(body, if_match);
	double t0 = now_ms();
	CURLcode rc;

	memset(r, 0, sizeof(*r));
	if (hdr == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	snprintf(url, sizeof(url), "%s%s", h->base, path);
	curl_easy_reset(h->curl);
	set_transport(h);
	set_method(h->curl, method, body, body_len);
	curl_easy_setopt(h->curl, CURLOPT_URL, url);
	curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(h->curl, CURLOPT_ERRORBUFFER, detail);
	curl_easy_setopt(h->curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h->curl, CURLOPT_WRITEDATA, &t);
	curl_easy_setopt(h->curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h->curl, CURLOPT_HEADERDATA, &t);
	if (h->o.verbose)
		fprintf(stderr, "edgectl: > %s %s (%s)\n", method, path,
			h->where);
	rc = curl_easy_perform(h->curl);
	curl_slist_free_all(hdr);
	if (rc == CURLE_OK) {
		curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &r->status);
		reply_proto(h->curl, r);
		if (h->o.verbose)
			fprintf(stderr,
				"edgectl: < HTTP/%s %ld, %zu bytes, %.0f ms\n",
				r->proto, r->status, r->len, now_ms() - t0);
		return 0;
	}
	if (t.too_large)
		snprintf(err, errlen,
			 "the API's answer to %s %s is over %u MiB", method,
			 path, ECTL_HTTP_MAX_BODY >> 20);
	else if (t.nomem)
		snprintf(err, errlen, "out of memory reading the answer");
	else
		transport_error(h, rc, detail, err, errlen);
	ectl_reply_free(r);
	return -1;
}
