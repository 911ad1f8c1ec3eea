/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The slow path process's state, shared by main.c (start-up, the loop,
 * the configuration sources) and sp_server.c (the API's listeners).
 */
#ifndef EP_SP_STATE_H
#define EP_SP_STATE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "api.h"
#include "etcd.h"
#include "fpclient.h"
#include "node.h"

struct sp_state {
	const char *config_path;
	const char *access_log_path; /* "-": stdout (default), "none": off */
	FILE *access_log;
	uint32_t status_interval_s;
	uint32_t attach_timeout_s; /* 0 = wait for ever */
	struct fpclient fp;
	uint32_t stall_ms; /* --stall-ms: workers still that long = stalled */
	uint32_t stalled; /* workers stalled at the last look */
	struct api *api;
	struct http_server *srv;
	struct health_engine *health;
	uint64_t health_version; /* the configuration its targets are from */
	bool health_dirty; /* a state change not yet in force */
	uint64_t health_retry_ms; /* when to try a failed republish again */
	struct node_opts node_opts; /* --bird-include, --bird-socket, grace */
	struct node *node;
	struct breaker_engine *breaker; /* passive outlier ejection */
	uint64_t breaker_next_ms; /* its next sample */
	bool eal_up;
	struct etcd_options etcd_opts; /* url NULL: no etcd source */
	struct etcd_client *etcd;
	struct api_remote remote;
	char node_name[64];
};

/* sp_server.c: the API server from the configuration's api section. */
void server_start(struct sp_state *st);
/* New connections get the certificate files of the api section in force. */
void reload_tls(struct sp_state *st);

/* sp_etcd.c: the etcd source; each 0, or -1 with the error printed. */
int etcd_option(struct sp_state *st, int c, const char *v);
int etcd_begin(struct sp_state *st);
void etcd_tick(struct sp_state *st);

#endif /* EP_SP_STATE_H */
