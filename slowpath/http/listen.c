/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Listeners: TLS and loopback TCP, Unix sockets (mode 0660, stale sockets
 * replaced, only our own inode unlinked at close), and shedding on
 * EMFILE.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "http_int.h"

/* Out of descriptors: accept one with the spare and drop it. */
void listener_shed(struct http_server *srv, struct listener *l)
{
	int fd;

	if (srv->spare_fd < 0)
		return;
	close(srv->spare_fd);
	fd = accept(l->fd, NULL, NULL);
	if (fd >= 0)
		close(fd);
	srv->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	srv->stats.conns_refused++;
}

static int parse_addr(const char *addr, uint16_t port,
		      struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *in = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
	char tmp[INET6_ADDRSTRLEN + 2];
	size_t n = strlen(addr);

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, addr, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		in->sin_port = htons(port);
		*len = sizeof(*in);
		return 0;
	}
	if (n >= 2 && n < sizeof(tmp) && addr[0] == '[' && addr[n - 1] == ']') {
		memcpy(tmp, addr + 1, n - 2);
		tmp[n - 2] = 0;
		addr = tmp;
	}
	if (inet_pton(AF_INET6, addr, &in6->sin6_addr) != 1)
		return -EINVAL;
	in6->sin6_family = AF_INET6;
	in6->sin6_port = htons(port);
	*len = sizeof(*in6);
	return 0;
}

static bool is_loopback(const struct sockaddr_storage *ss)
{
	const struct sockaddr_in *in = (const void *)ss;
	const struct sockaddr_in6 *in6 = (const void *)ss;

	if (ss->ss_family == AF_INET)
		return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
	return IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr) ||
	       (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr) &&
		in6->sin6_addr.s6_addr[12] == 127);
}

static int listener_add(struct http_server *srv, int fd, bool tls, bool is_unix,
			const char *name)
{
	struct listener *l = &srv->listeners[srv->n_listeners];
	struct epoll_event e = { .events = EPOLLIN, .data.ptr = l };

	memset(l, 0, sizeof(*l));
	l->kind = EV_LISTENER;
	l->fd = fd;
	l->tls = tls;
	l->is_unix = is_unix;
	l->st.max = tls ? srv->max_conns : srv->local_max_conns;
	snprintf(l->st.name, sizeof(l->st.name), "%s %s",
		 tls	   ? "tls"
		 : is_unix ? "unix"
			   : "tcp",
		 name);
	if (epoll_ctl(srv->epfd, EPOLL_CTL_ADD, fd, &e) < 0) {
		close(fd);
		return http_fail(srv, -errno, "epoll_ctl: %s", strerror(errno));
	}
	return srv->n_listeners++;
}

static int tcp_socket(struct http_server *srv,
		      const struct sockaddr_storage *ss, socklen_t len,
		      const char *addr)
{
	int one = 1, fd, err;

	fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    0);
	if (fd < 0)
		return http_fail(srv, -errno, "socket: %s", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ss->ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)ss, len) < 0 ||
	    listen(fd, HTTP_LISTEN_BACKLOG) < 0) {
		err = errno;
		close(fd);
		return http_fail(srv, -err, "listen on %s: %s", addr,
				 strerror(err));
	}
	return fd;
}

int http_server_add_listener_tcp(struct http_server *srv, const char *addr,
				 uint16_t port, bool tls)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, idx;

	if (srv->n_listeners == HTTP_MAX_LISTENERS)
		return http_fail(srv, -ENOSPC, "more than %d listeners",
				 HTTP_MAX_LISTENERS);
	if (parse_addr(addr, port, &ss, &len) < 0)
		return http_fail(srv, -EINVAL, "%s: not an IPv4/IPv6 address",
				 addr);
	if (tls && srv->ssl_ctx == NULL)
		return http_fail(srv, -EINVAL,
				 "TLS listener %s needs cert_file and key_file",
				 addr);
	if (!tls && !is_loopback(&ss))
		return http_fail(srv, -EPERM,
				 "cleartext listener %s: must be loopback "
				 "(127.0.0.0/8 or ::1); use TLS",
				 addr);
	fd = tcp_socket(srv, &ss, len, addr);
	if (fd < 0)
		return fd;
	idx = listener_add(srv, fd, tls, false, addr);
	if (idx >= 0 && getsockname(fd, (struct sockaddr *)&ss, &len) == 0) {
		struct listener *l = &srv->listeners[idx];

		l->port = ntohs(
			ss.ss_family == AF_INET
				? ((struct sockaddr_in *)&ss)->sin_port
				: ((struct sockaddr_in6 *)&ss)->sin6_port);
		snprintf(l->st.name, sizeof(l->st.name),
			 ss.ss_family == AF_INET6 ? "%s [%s]:%u" : "%s %s:%u",
			 tls ? "tls" : "tcp", addr, l->port);
	}
	return idx;
}

/* A socket file nobody listens on may go; anything else stays. */
static int unix_clear_stale(struct http_server *srv,
			    const struct sockaddr_un *sun)
{
	struct stat st;
	int fd, rc;

	if (lstat(sun->sun_path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode))
		return http_fail(srv, -EEXIST, "%s exists and is not a socket",
				 sun->sun_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	rc = connect(fd, (const struct sockaddr *)sun, sizeof(*sun));
	rc = rc == 0 || errno == EAGAIN ? -EADDRINUSE : 0;
	close(fd);
	if (rc < 0)
		return http_fail(srv, rc, "%s: a server is listening there",
				 sun->sun_path);
	return unlink(sun->sun_path) < 0 ? -errno : 0;
}

static int unix_socket(struct http_server *srv, const struct sockaddr_un *sun)
{
	int fd, err;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return http_fail(srv, -errno, "socket: %s", strerror(errno));
	/* nobody can connect before listen(), so chmod after bind is safe */
	if (bind(fd, (const struct sockaddr *)sun, sizeof(*sun)) < 0 ||
	    chmod(sun->sun_path, 0660) < 0 ||
	    listen(fd, HTTP_LISTEN_BACKLOG) < 0) {
		err = errno;
		close(fd);
		return http_fail(srv, -err, "listen on %s: %s", sun->sun_path,
				 strerror(err));
	}
	return fd;
}

int http_server_add_listener_unix(struct http_server *srv, const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct stat st;
	int fd, idx, rc;

	if (srv->n_listeners == HTTP_MAX_LISTENERS)
		return http_fail(srv, -ENOSPC, "more than %d listeners",
				 HTTP_MAX_LISTENERS);
	if (strlen(path) >= sizeof(sun.sun_path))
		return http_fail(srv, -ENAMETOOLONG, "%s: path too long", path);
	strcpy(sun.sun_path, path);
	rc = unix_clear_stale(srv, &sun);
	if (rc < 0)
		return rc;
	fd = unix_socket(srv, &sun);
	if (fd < 0)
		return fd;
	idx = listener_add(srv, fd, false, true, path);
	if (idx >= 0 && stat(path, &st) == 0) {
		strcpy(srv->listeners[idx].path, path);
		srv->listeners[idx].dev = st.st_dev;
		srv->listeners[idx].ino = st.st_ino;
	}
	return idx;
}

int http_server_listener_port(const struct http_server *srv, int listener)
{
	if (listener < 0 || listener >= srv->n_listeners ||
	    srv->listeners[listener].is_unix)
		return -EINVAL;
	return srv->listeners[listener].port;
}

int http_server_fd(const struct http_server *srv)
{
	return srv->epfd;
}

int http_server_listener_stats(const struct http_server *srv, int i,
			       struct http_listener_stats *out)
{
	if (i < 0 || i >= srv->n_listeners)
		return -EINVAL;
	*out = srv->listeners[i].st;
	return 0;
}

void listener_close(struct listener *l)
{
	struct stat st;

	close(l->fd);
	if (l->is_unix && l->path[0] && stat(l->path, &st) == 0 &&
	    st.st_dev == l->dev && st.st_ino == l->ino)
		unlink(l->path);
}
