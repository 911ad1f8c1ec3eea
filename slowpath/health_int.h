/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Private to the health-check engine (health.c: the scheduler, its
 * deadline heap and key table; health_probe.c: one probe's socket I/O).
 * health.h is the public header.
 */
#ifndef EP_HEALTH_INT_H
#define EP_HEALTH_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "health.h"

enum probe_phase {
	PROBE_IDLE = 0,
	PROBE_CONNECTING,
	PROBE_HANDSHAKE, /* HTTPS: TLS handshake under way */
	PROBE_READING, /* HTTP: request written, reading the answer */
};

struct ssl_st;
struct ssl_ctx_st;

/* HTTPS: one client context per (verify, ca_file) of the targets. */
#define HEALTH_TLS_CTX_MAX 16u

struct health_tls_ctx {
	bool verify;
	char ca_file[HEALTH_CA_LEN];
	struct ssl_ctx_st *ctx; /* NULL: could not be made (ca_file) */
};

struct probe {
	struct health_target t;
	struct health_sm sm;
	int fd; /* -1 when idle */
	enum probe_phase phase;
	struct ssl_st *ssl; /* HTTPS: the connection's, or NULL */
	uint32_t tls_events; /* PROBE_HANDSHAKE: what the handshake waits for */
	uint64_t start_ns; /* of the probe in flight */
	uint64_t deadline_ms; /* next start (idle) or timeout (in flight) */
	uint32_t heap_pos;
	/* HTTP: what has been read; the head first, then a body window */
	uint16_t rx_len;
	bool head_done;
	int status; /* HTTP status, once head_done */
	uint32_t body_read;
	char rx[HEALTH_HEAD_MAX];
};

struct health_engine {
	int epfd;
	struct probe *p; /* n of them */
	uint32_t n;
	uint32_t *heap; /* probe indices, min-heap by deadline_ms */
	uint32_t *slot; /* key hash table: probe index + 1, 0 = empty */
	uint32_t slot_mask;
	struct health_stats st;
	health_change_fn on_change;
	void *on_change_arg;
	uint32_t n_tls;
	struct health_tls_ctx tls[HEALTH_TLS_CTX_MAX];
};

uint64_t health_now_ns(void);

void health_set_deadline(struct health_engine *h, struct probe *p,
			 uint64_t deadline_ms);

void health_probe_close(struct health_engine *h, struct probe *p);

void health_count_change(struct health_engine *h, const struct probe *p);

int health_probe_finish(struct health_engine *h, struct probe *p,
			enum health_result r, int detail, uint64_t now_ms);

int health_probe_start(struct health_engine *h, struct probe *p,
		       uint64_t now_ms);

int health_probe_event(struct health_engine *h, struct probe *p,
		       uint32_t events, uint64_t now_ms);

/* health_tls.c: the HTTPS probe's TLS (OpenSSL, non-blocking). */

/* Connected: make p->ssl over p->fd (SNI, verification). 0 or -1. */
int health_tls_start(struct health_engine *h, struct probe *p);

/* Drive the handshake: 1 done, 0 waiting (p->tls_events set), -1 failed
 * (*detail: the verification result or 0). */
int health_tls_handshake(struct probe *p, int *detail);

/* send()/recv() over TLS: bytes, or -1 with errno (EAGAIN: wait). */
long health_tls_send(struct probe *p, const void *buf, size_t n);
long health_tls_recv(struct probe *p, void *buf, size_t n);

/* Free p->ssl (no close_notify: the probe ends with a reset anyway). */
void health_tls_free(struct probe *p);

/* Free the engine's contexts. */
void health_tls_destroy(struct health_engine *h);

#endif /* EP_HEALTH_INT_H */
