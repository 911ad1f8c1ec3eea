/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control API's server: its listeners from the configuration's api
 * section (or the default Unix socket), and certificate reloads.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"
#include "http.h"
#include "sp_state.h"

#define DEFAULT_API_SOCKET "/run/edgepath/api.sock"

static struct http_server *
server_create(struct sp_state *st, const struct config_api *api, bool with_tls)
{
	const char *admin[CONFIG_MAX_SUBJECTS], *reader[CONFIG_MAX_SUBJECTS];
	const char *registry[CONFIG_MAX_SUBJECTS];
	struct http_server_config hc = { 0 };
	struct http_server *srv;
	char err[256] = "";

	for (uint32_t i = 0; i < api->n_admin_subjects; i++)
		admin[i] = api->admin_subjects[i];
	for (uint32_t i = 0; i < api->n_reader_subjects; i++)
		reader[i] = api->reader_subjects[i];
	for (uint32_t i = 0; i < api->n_registry_subjects; i++)
		registry[i] = api->registry_subjects[i];
	if (with_tls && api->has_tls) {
		hc.cert_file = api->certificate;
		hc.key_file = api->private_key;
		hc.client_ca_file = api->client_ca[0] ? api->client_ca : NULL;
	}
	hc.admin_subjects = admin;
	hc.n_admin_subjects = api->n_admin_subjects;
	hc.reader_subjects = reader;
	hc.n_reader_subjects = api->n_reader_subjects;
	hc.registry_subjects = registry;
	hc.n_registry_subjects = api->n_registry_subjects;
	hc.handler = api_handle;
	hc.head_check = api_head;
	hc.on_complete = api_complete;
	hc.arg = st->api;
	hc.err = err;
	hc.err_len = sizeof(err);
	srv = http_server_create(&hc);
	if (srv == NULL)
		fprintf(stderr, "slowpath: API server: %s\n", err);
	return srv;
}

/* The directory of a Unix socket (one level, as /run/edgepath). */
static void make_parent_dir(const char *path)
{
	char *copy = strdup(path);

	if (copy != NULL && mkdir(dirname(copy), 0750) < 0 && errno != EEXIST)
		fprintf(stderr,
			"slowpath: cannot create the directory of %s: "
			"%s\n",
			path, strerror(errno));
	free(copy);
}

static void listener_add(struct http_server *srv,
			 const struct config_listener *l)
{
	char addr[INET6_ADDRSTRLEN] = "", what[160];
	int rc;

	if (l->is_unix) {
		make_parent_dir(l->unix_path);
		rc = http_server_add_listener_unix(srv, l->unix_path);
		snprintf(what, sizeof(what), "%s", l->unix_path);
	} else {
		inet_ntop(l->addr.family == EP_AF_INET6 ? AF_INET6 : AF_INET,
			  l->addr.bytes, addr, sizeof(addr));
		rc = http_server_add_listener_tcp(srv, addr, l->port, l->tls);
		snprintf(what, sizeof(what), "%s%s%s port %u (%s)",
			 l->addr.family == EP_AF_INET6 ? "[" : "", addr,
			 l->addr.family == EP_AF_INET6 ? "]" : "", l->port,
			 l->tls ? "TLS" : "cleartext");
	}
	if (rc < 0)
		fprintf(stderr, "slowpath: API listener %s: %s\n", what,
			http_server_error(srv));
	else
		printf("slowpath: API listening on %s\n", what);
}

/*
 * Listeners and roles come from the api section in force at start (the
 * default Unix socket without one); a change to them takes effect at the
 * next start. Without a usable certificate the cleartext ones still run.
 */
void server_start(struct sp_state *st)
{
	static struct config_api dflt = {
		.present = true,
		.n_listeners = 1,
		.listeners = { { .is_unix = true,
				 .unix_path = DEFAULT_API_SOCKET } },
	};
	const struct config_api *api = &api_config(st->api)->api;

	if (!api->present)
		api = &dflt;
	st->srv = server_create(st, api, true);
	if (st->srv == NULL && api->has_tls) {
		fprintf(stderr, "slowpath: API: TLS listeners disabled\n");
		st->srv = server_create(st, api, false);
	}
	if (st->srv == NULL)
		return;
	for (uint32_t i = 0; i < api->n_listeners; i++)
		listener_add(st->srv, &api->listeners[i]);
	api_set_server(st->api, st->srv);
	fflush(stdout);
}

/* New connections get the certificate files of the api section in force. */
void reload_tls(struct sp_state *st)
{
	const struct config_api *api = &api_config(st->api)->api;

	if (st->srv == NULL || !api->present || !api->has_tls)
		return;
	if (http_server_reload_tls(st->srv, api->certificate, api->private_key,
				   api->client_ca[0] ? api->client_ca : NULL) <
	    0)
		fprintf(stderr,
			"slowpath: TLS reload failed: %s; new connections "
			"keep the previous certificate, key and client CA\n",
			http_server_error(st->srv));
	else
		printf("slowpath: TLS certificates reloaded\n");
}
