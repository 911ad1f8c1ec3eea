/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The server object: configuration, TLS context, nghttp2 set-up,
 * counters and destruction.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "http_int.h"

const char *const http_stat_names[] = {
#define HTTP_STAT_NAME(name) #name,
	HTTP_STATS(HTTP_STAT_NAME)
#undef HTTP_STAT_NAME
		NULL,
};

static char **copy_list(const char *const *list, size_t n)
{
	char **out = calloc(n + 1, sizeof(*out));
	size_t i;

	for (i = 0; out != NULL && i < n; i++) {
		out[i] = strdup(list[i] ? list[i] : "");
		if (out[i] == NULL) {
			while (i--)
				free(out[i]);
			free(out);
			return NULL;
		}
	}
	return out;
}

static void free_list(char **list)
{
	size_t i;

	for (i = 0; list != NULL && list[i] != NULL; i++)
		free(list[i]);
	free(list);
}

static int server_config(struct http_server *srv,
			 const struct http_server_config *cfg)
{
	if (cfg->n_admin_subjects > HTTP_MAX_ROLE_ENTRIES ||
	    cfg->n_reader_subjects > HTTP_MAX_ROLE_ENTRIES ||
	    cfg->n_registry_subjects > HTTP_MAX_ROLE_ENTRIES)
		return http_fail(srv, -E2BIG, "more than %d role entries",
				 HTTP_MAX_ROLE_ENTRIES);
	srv->admin = copy_list(cfg->admin_subjects, cfg->n_admin_subjects);
	srv->reader = copy_list(cfg->reader_subjects, cfg->n_reader_subjects);
	srv->registry =
		copy_list(cfg->registry_subjects, cfg->n_registry_subjects);
	srv->scratch = malloc(HTTP_SCRATCH);
	if (!srv->admin || !srv->reader || !srv->registry || !srv->scratch)
		return http_fail(srv, -ENOMEM, "out of memory");
	srv->roles.admin = (const char *const *)srv->admin;
	srv->roles.n_admin = cfg->n_admin_subjects;
	srv->roles.reader = (const char *const *)srv->reader;
	srv->roles.n_reader = cfg->n_reader_subjects;
	srv->roles.registry = (const char *const *)srv->registry;
	srv->roles.n_registry = cfg->n_registry_subjects;
	srv->handler = cfg->handler;
	srv->head_check = cfg->head_check;
	srv->max_body_total =
		cfg->max_body_total ? cfg->max_body_total : HTTP_MAX_BODY_TOTAL;
	srv->on_complete = cfg->on_complete;
	srv->arg = cfg->arg;
	srv->max_conns = cfg->max_conns ? cfg->max_conns : HTTP_MAX_CONNS;
	srv->local_max_conns = cfg->local_max_conns ? cfg->local_max_conns
						    : HTTP_LOCAL_MAX_CONNS;
	srv->max_per_addr = cfg->max_conns_per_addr ? cfg->max_conns_per_addr
						    : HTTP_MAX_CONNS_PER_ADDR;
	srv->idle_ms = cfg->idle_timeout_ms ? cfg->idle_timeout_ms
					    : HTTP_IDLE_TIMEOUT_MS;
	srv->handshake_ms = cfg->handshake_timeout_ms
				    ? cfg->handshake_timeout_ms
				    : HTTP_HANDSHAKE_TIMEOUT_MS;
	return 0;
}

static int server_io(struct http_server *srv)
{
	srv->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (srv->epfd < 0)
		return http_fail(srv, -errno, "epoll_create1: %s",
				 strerror(errno));
	srv->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	return 0;
}

static void ignore_sigpipe(void)
{
	struct sigaction sa;

	if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL) {
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = SIG_IGN;
		sigaction(SIGPIPE, &sa, NULL);
	}
}

static int server_tls(struct http_server *srv,
		      const struct http_server_config *cfg)
{
	if (cfg->cert_file == NULL && cfg->client_ca_file == NULL)
		return 0;
	srv->ssl_ctx =
		tls_ctx_new(cfg->cert_file, cfg->key_file, cfg->client_ca_file,
			    srv->err, sizeof(srv->err));
	return srv->ssl_ctx ? 0 : -EINVAL;
}

struct http_server *http_server_create(const struct http_server_config *cfg)
{
	struct http_server *srv = calloc(1, sizeof(*srv));
	int rc;

	if (srv == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	srv->epfd = srv->spare_fd = -1;
	rc = server_config(srv, cfg);
	if (rc == 0)
		rc = server_io(srv);
	if (rc == 0 && h2_setup(srv) < 0)
		rc = http_fail(srv, -ENOMEM, "nghttp2: out of memory");
	if (rc == 0)
		rc = server_tls(srv, cfg);
	if (rc < 0) {
		if (cfg->err != NULL && cfg->err_len > 0)
			snprintf(cfg->err, cfg->err_len, "%s", srv->err);
		http_server_destroy(srv);
		errno = -rc;
		return NULL;
	}
	ignore_sigpipe();
	return srv;
}

int http_server_reload_tls(struct http_server *srv, const char *cert_file,
			   const char *key_file, const char *client_ca_file)
{
	return tls_ctx_reload(&srv->ssl_ctx, cert_file, key_file,
			      client_ca_file, srv->err, sizeof(srv->err));
}

const char *http_server_error(const struct http_server *srv)
{
	return srv->err;
}

void http_server_stats(const struct http_server *srv, struct http_stats *out)
{
	*out = srv->stats;
}

void http_server_destroy(struct http_server *srv)
{
	struct conn *c, *next;
	int i;

	if (srv == NULL)
		return;
	for (c = srv->conns; c != NULL; c = next) {
		next = c->next;
		conn_close(c);
	}
	for (i = 0; i < srv->n_listeners; i++)
		listener_close(&srv->listeners[i]);
	if (srv->epfd >= 0)
		close(srv->epfd);
	if (srv->spare_fd >= 0)
		close(srv->spare_fd);
	SSL_CTX_free(srv->ssl_ctx);
	nghttp2_session_callbacks_del(srv->h2_cbs);
	nghttp2_option_del(srv->h2_opt);
	free_list(srv->admin);
	free_list(srv->reader);
	free_list(srv->registry);
	free(srv->scratch);
	free(srv);
}
