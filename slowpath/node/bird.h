/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The slow path's side of a local BIRD (docs/scale-out.md): the announced
 * VIPs go into a generated include file (written to a temporary file,
 * then renamed over it, so BIRD never reads half a file) and BIRD is told
 * to read its configuration again over its control socket, the command
 * `birdc configure` sends. The socket is non-blocking and driven from the
 * slow path's poll loop: bird_fd()/bird_events() to wait on,
 * bird_run() to make progress; no call blocks. A refused or failed
 * reconfiguration is retried every BIRD_RETRY_MS.
 */
#ifndef EP_BIRD_H
#define EP_BIRD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BIRD_RETRY_MS 1000u /* a failed configure is tried again */
#define BIRD_REPLY_MS 3000u /* longest wait for BIRD's answer */

struct bird_status {
	bool synced; /* BIRD confirmed the include file as it is now */
	uint64_t writes; /* include files written */
	uint64_t configures_ok;
	uint64_t configures_failed;
	uint64_t last_ok_ms; /* when BIRD last confirmed (caller's clock) */
	char last_error[192]; /* "" when the last attempt succeeded */
};

struct bird;

/*
 * include_path: the file to write (required). socket_path: BIRD's control
 * socket, NULL to only write the file (then "synced" means written).
 * NULL with errno set on failure.
 */
struct bird *bird_create(const char *include_path, const char *socket_path);
void bird_destroy(struct bird *b);

/*
 * Make the include file `text` (len bytes). When it differs from what was
 * last written, write it and ask BIRD to reconfigure. 0, or a negative
 * errno when the file could not be written (tried again at the next
 * call with the same text).
 */
int bird_set(struct bird *b, const char *text, size_t len, uint64_t now_ms);

/* Progress without blocking: connect, read, send, time out, retry. */
void bird_run(struct bird *b, uint64_t now_ms);

/* The socket to poll (-1: none) and for what (POLLIN/POLLOUT). */
int bird_fd(const struct bird *b);
short bird_events(const struct bird *b);

/* Milliseconds until bird_run() has something to do without I/O
 * (a retry, a timeout); -1 for nothing. */
int bird_next_ms(const struct bird *b, uint64_t now_ms);

void bird_get_status(const struct bird *b, struct bird_status *out);
const char *bird_include_path(const struct bird *b);
const char *bird_socket_path(const struct bird *b);

#endif /* EP_BIRD_H */
