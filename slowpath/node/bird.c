/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * BIRD's control socket protocol, as much as `configure` needs: on
 * connect BIRD greets with "0001 BIRD x.y ready."; a reply is lines of
 * "DDDD-text" (more follows), " text" (continuation) and one final
 * "DDDD text". Codes below 1000 are success ("0003 Reconfigured", "0004
 * Reconfiguration in progress"), 8xxx and 9xxx errors ("8002 file:line:
 * syntax error").
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "bird.h"

enum bird_phase { PH_IDLE, PH_GREETING, PH_SENDING, PH_REPLY };

struct bird {
	char *include_path;
	char *socket_path; /* NULL: file only */
	char *text; /* what the file holds (last written) */
	size_t text_len;
	bool write_failed;
	uint64_t want_gen; /* bumped by every new file */
	uint64_t sent_gen; /* the file the configure in flight reads */
	uint64_t done_gen; /* confirmed by BIRD */
	enum bird_phase phase;
	int fd;
	uint64_t deadline_ms; /* of the exchange in flight */
	uint64_t retry_ms; /* no new attempt before */
	char in[1024];
	size_t in_len;
	size_t out_off; /* bytes of the command already sent */
	struct bird_status st;
};

static const char cmd[] = "configure\n";

struct bird *bird_create(const char *include_path, const char *socket_path)
{
	struct bird *b;

	if (include_path == NULL || *include_path == 0) {
		errno = EINVAL;
		return NULL;
	}
	b = calloc(1, sizeof(*b));
	if (b == NULL)
		return NULL;
	b->fd = -1;
	b->include_path = strdup(include_path);
	b->socket_path = socket_path ? strdup(socket_path) : NULL;
	if (b->include_path == NULL || (socket_path && !b->socket_path)) {
		bird_destroy(b);
		errno = ENOMEM;
		return NULL;
	}
	return b;
}

static void close_conn(struct bird *b)
{
	if (b->fd >= 0)
		close(b->fd);
	b->fd = -1;
	b->phase = PH_IDLE;
	b->in_len = 0;
	b->out_off = 0;
}

void bird_destroy(struct bird *b)
{
	if (b == NULL)
		return;
	close_conn(b);
	free(b->include_path);
	free(b->socket_path);
	free(b->text);
	free(b);
}

static int write_file(const char *path, const char *text, size_t len)
{
	char tmp[4096];
	size_t off = 0;
	int fd, rc = 0;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path,
			     (int)getpid()) >= sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	while (off < len && rc == 0) {
		ssize_t w = write(fd, text + off, len - off);

		if (w < 0 && errno != EINTR)
			rc = -errno;
		else if (w > 0)
			off += (size_t)w;
	}
	if (close(fd) < 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && rename(tmp, path) < 0)
		rc = -errno;
	if (rc < 0)
		unlink(tmp);
	return rc;
}

int bird_set(struct bird *b, const char *text, size_t len, uint64_t now_ms)
{
	char *copy;
	int rc;

	(void)now_ms;
	if (!b->write_failed && b->text != NULL && b->text_len == len &&
	    memcmp(b->text, text, len) == 0)
		return 0;
	rc = write_file(b->include_path, text, len);
	if (rc < 0) {
		b->write_failed = true;
		snprintf(b->st.last_error, sizeof(b->st.last_error),
			 "cannot write %s: %s", b->include_path, strerror(-rc));
		return rc;
	}
	copy = malloc(len + 1);
	if (copy == NULL)
		return -ENOMEM;
	memcpy(copy, text, len);
	copy[len] = 0;
	free(b->text);
	b->text = copy;
	b->text_len = len;
	b->write_failed = false;
	b->st.writes++;
	b->want_gen++;
	b->retry_ms = 0; /* a new file is tried at once */
	if (b->socket_path == NULL)
		b->done_gen = b->want_gen;
	return 0;
}

static void failed(struct bird *b, uint64_t now_ms, const char *what,
		   const char *detail)
{
	int w = snprintf(b->st.last_error, sizeof(b->st.last_error), "%s",
			 what);

	if (w >= 0 && (size_t)w < sizeof(b->st.last_error))
		snprintf(b->st.last_error + w,
			 sizeof(b->st.last_error) - (size_t)w, "%s", detail);
	b->st.configures_failed++;
	b->retry_ms = now_ms + BIRD_RETRY_MS;
	close_conn(b);
}

static void start(struct bird *b, uint64_t now_ms)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	if (strlen(b->socket_path) >= sizeof(sa.sun_path)) {
		failed(b, now_ms, "socket path too long: ", b->socket_path);
		return;
	}
	strcpy(sa.sun_path, b->socket_path);
	b->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (b->fd < 0) {
		failed(b, now_ms, "socket: ", strerror(errno));
		return;
	}
	/* A Unix stream connect completes at once or fails (EAGAIN: the
	 * backlog is full, tried again later). */
	if (connect(b->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		char what[300];

		snprintf(what, sizeof(what), "%s: %s", b->socket_path,
			 strerror(errno));
		failed(b, now_ms, "cannot connect to BIRD at ", what);
		return;
	}
	b->phase = PH_GREETING;
	b->sent_gen = b->want_gen;
	b->deadline_ms = now_ms + BIRD_REPLY_MS;
}

static void send_cmd(struct bird *b, uint64_t now_ms)
{
	ssize_t w = send(b->fd, cmd + b->out_off, sizeof(cmd) - 1 - b->out_off,
			 MSG_NOSIGNAL | MSG_DONTWAIT);

	if (w < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (w < 0) {
		failed(b, now_ms, "send to BIRD: ", strerror(errno));
		return;
	}
	b->out_off += (size_t)w;
	b->phase = b->out_off == sizeof(cmd) - 1 ? PH_REPLY : PH_SENDING;
}

/* One complete line (NUL-terminated, no newline) of the exchange. */
static void on_line(struct bird *b, const char *line, uint64_t now_ms)
{
	int code;

	if (strlen(line) < 5 || line[4] != ' ' ||
	    sscanf(line, "%4d", &code) != 1)
		return; /* "DDDD-" or " text": more follows */
	if (b->phase == PH_GREETING) {
		if (code != 1) {
			failed(b, now_ms, "unexpected BIRD greeting: ", line);
			return;
		}
		b->phase = PH_SENDING;
		send_cmd(b, now_ms);
		return;
	}
	if (code >= 1000) {
		failed(b, now_ms, "BIRD refused the configuration: ", line);
		return;
	}
	b->done_gen = b->sent_gen;
	b->st.configures_ok++;
	b->st.last_ok_ms = now_ms;
	b->st.last_error[0] = 0;
	close_conn(b);
}

static void read_lines(struct bird *b, uint64_t now_ms)
{
	ssize_t r = recv(b->fd, b->in + b->in_len,
			 sizeof(b->in) - 1 - b->in_len, MSG_DONTWAIT);
	char *line, *nl;

	if (r < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (r <= 0) {
		failed(b, now_ms, "BIRD closed the control socket",
		       r < 0 ? " with an error" : "");
		return;
	}
	b->in_len += (size_t)r;
	b->in[b->in_len] = 0;
	line = b->in;
	while (b->fd >= 0 && (nl = strchr(line, '\n')) != NULL) {
		*nl = 0;
		on_line(b, line, now_ms);
		line = nl + 1;
	}
	if (b->fd < 0)
		return;
	b->in_len -= (size_t)(line - b->in);
	memmove(b->in, line, b->in_len);
	if (b->in_len == sizeof(b->in) - 1) /* a line too long to be BIRD's */
		failed(b, now_ms, "BIRD sent a line over 1 KiB", "");
}

void bird_run(struct bird *b, uint64_t now_ms)
{
	if (b->socket_path == NULL)
		return;
	if (b->phase == PH_IDLE) {
		if (b->done_gen == b->want_gen || now_ms < b->retry_ms)
			return;
		start(b, now_ms);
		if (b->fd < 0)
			return;
	}
	if (now_ms >= b->deadline_ms) {
		failed(b, now_ms, "no answer from BIRD in time", "");
		return;
	}
	if (b->phase == PH_SENDING)
		send_cmd(b, now_ms);
	if (b->fd >= 0 && b->phase != PH_SENDING)
		read_lines(b, now_ms);
}

int bird_fd(const struct bird *b)
{
	return b->fd;
}

short bird_events(const struct bird *b)
{
	return b->phase == PH_SENDING ? POLLOUT : POLLIN;
}

int bird_next_ms(const struct bird *b, uint64_t now_ms)
{
	uint64_t at;

	if (b->socket_path == NULL)
		return -1;
	if (b->phase != PH_IDLE)
		at = b->deadline_ms;
	else if (b->done_gen != b->want_gen)
		at = b->retry_ms;
	else
		return -1;
	return at <= now_ms ? 0 : (int)(at - now_ms);
}

void bird_get_status(const struct bird *b, struct bird_status *out)
{
	*out = b->st;
	out->synced = !b->write_failed && b->want_gen > 0 &&
		      b->done_gen == b->want_gen;
}

const char *bird_include_path(const struct bird *b)
{
	return b->include_path;
}

const char *bird_socket_path(const struct bird *b)
{
	return b->socket_path;
}
