/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The epoll loop: one pass serves connection events, then accepts, then
 * expires deadlines.
 */
#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http_int.h"

/* Pass numbers are unique across every server of the process. */
static uint64_t http_last_pass;

static void listener_accept(struct http_server *srv, struct listener *l)
{
	int i;

	for (i = 0; i < HTTP_ACCEPT_BURST; i++) {
		struct sockaddr_storage ss = { 0 };
		socklen_t sl = sizeof(ss);
		int fd = accept4(l->fd, (struct sockaddr *)&ss, &sl,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0 && (errno == EMFILE || errno == ENFILE))
			listener_shed(srv, l);
		if (fd < 0 && (errno == EINTR || errno == ECONNABORTED))
			continue;
		if (fd < 0)
			return;
		if (!conn_admit(srv, l, &ss)) {
			srv->stats.conns_refused++;
			close(fd);
		} else if (conn_new(srv, l, fd, &ss) < 0) {
			close(fd);
		}
	}
}

int http_server_run_once(struct http_server *srv, int timeout_ms)
{
	struct epoll_event ev[HTTP_MAX_EVENTS];
	int kinds[HTTP_MAX_EVENTS], i, n;

	n = epoll_wait(srv->epfd, ev, HTTP_MAX_EVENTS,
		       conn_next_timeout(srv, timeout_ms));
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	srv->pass = __atomic_add_fetch(&http_last_pass, 1, __ATOMIC_RELAXED);
	/*
	 * Connections first: an accept may evict one, whose event must not
	 * come after it in this array. Kinds are read before any event is
	 * served, since serving may free a connection.
	 */
	for (i = 0; i < n; i++)
		kinds[i] = *(const int *)ev[i].data.ptr;
	for (i = 0; i < n; i++)
		if (kinds[i] == EV_CONN)
			conn_event(ev[i].data.ptr, ev[i].events);
	for (i = 0; i < n; i++)
		if (kinds[i] == EV_LISTENER)
			listener_accept(srv, ev[i].data.ptr);
	conn_expire(srv);
	return n;
}
