/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The cost of active health checks: N targets (default 1000) at a 1 s
 * interval, probed by the engine of slowpath/health.c against listeners
 * on 127.0.0.1 served by a child process, for S seconds (default 10).
 * Prints the probes done and the CPU time of the probing process (user
 * and system, getrusage) as a share of one core; the listeners' CPU is
 * printed apart. Loopback handshakes are partly charged to the sender,
 * so the figure is an upper bound of what probing real backends costs.
 *
 *   bench_health [--targets N] [--seconds S] [--http] [--interval MS]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "health.h"

#define N_LISTENERS 16

static const char http_ok[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n"
			      "Connection: close\r\n\r\nok";

static int listen_on(uint16_t *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t al = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    listen(fd, 4096) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &al) < 0) {
		perror("listener");
		exit(1);
	}
	*port = ntohs(a.sin_port);
	return fd;
}

/* The child: accept; for HTTP read the request and answer; close. */
static void serve(const int *lfd, bool http)
{
	int ep = epoll_create1(0);
	struct epoll_event ev[64];

	for (int i = 0; i < N_LISTENERS; i++) {
		struct epoll_event e = { .events = EPOLLIN, .data.fd = lfd[i] };

		epoll_ctl(ep, EPOLL_CTL_ADD, lfd[i], &e);
	}
	for (;;) {
		int n = epoll_wait(ep, ev, 64, -1);

		for (int i = 0; i < n; i++) {
			int fd;

			while ((fd = accept4(ev[i].data.fd, NULL, NULL,
					     SOCK_NONBLOCK)) >= 0) {
				if (http) {
					struct epoll_event e = {
						.events = EPOLLIN | EPOLLONESHOT
					};

					e.data.u64 = (uint64_t)fd << 32 | 1u;
					epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e);
				} else {
					close(fd);
				}
			}
			if ((ev[i].data.u64 & 0xffffffffu) == 1u) {
				char buf[1024];
				int cfd = (int)(ev[i].data.u64 >> 32);

				if (recv(cfd, buf, sizeof(buf), 0) > 0)
					send(cfd, http_ok, sizeof(http_ok) - 1,
					     MSG_NOSIGNAL);
				close(cfd);
			}
		}
	}
}

static double cpu_s(int who)
{
	struct rusage ru;

	getrusage(who, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec * 1e-6 +
	       (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec * 1e-6;
}

int main(int argc, char **argv)
{
	unsigned int n = 1000, seconds = 10, interval = 1000;
	bool http = false;
	int lfd[N_LISTENERS];
	uint16_t port[N_LISTENERS];
	struct health_target *t;
	struct health_engine *h;
	struct health_stats st;
	pid_t child;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--targets") == 0 && i + 1 < argc)
			n = (unsigned int)atoi(argv[++i]);
		else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc)
			seconds = (unsigned int)atoi(argv[++i]);
		else if (strcmp(argv[i], "--interval") == 0 && i + 1 < argc)
			interval = (unsigned int)atoi(argv[++i]);
		else if (strcmp(argv[i], "--http") == 0)
			http = true;
		else {
			fprintf(stderr,
				"usage: %s [--targets N] [--seconds S] "
				"[--http] [--interval MS]\n",
				argv[0]);
			return 2;
		}
	}
	if (n == 0 || seconds == 0 || interval < HEALTH_INTERVAL_MS_MIN) {
		fprintf(stderr, "bad arguments\n");
		return 2;
	}
	for (int i = 0; i < N_LISTENERS; i++)
		lfd[i] = listen_on(&port[i]);
	child = fork();
	if (child == 0)
		serve(lfd, http);
	for (int i = 0; i < N_LISTENERS; i++)
		close(lfd[i]);

	t = calloc(n, sizeof(*t));
	h = health_engine_create();
	if (t == NULL || h == NULL)
		return 1;
	for (unsigned int i = 0; i < n; i++) {
		snprintf(t[i].service, sizeof(t[i].service), "s%u", i);
		t[i].addr.family = EP_AF_INET;
		t[i].addr.bytes[0] = 127;
		t[i].addr.bytes[3] = 1;
		t[i].port = port[i % N_LISTENERS];
		t[i].backend_port = t[i].port;
		health_params_default(&t[i].params);
		t[i].params.type = http ? HEALTH_HTTP : HEALTH_TCP;
		t[i].params.interval_ms = interval;
		t[i].params.timeout_ms = interval < 1000 ? interval : 1000;
	}
	if (health_engine_set(h, t, n, health_now_ms()) != 0)
		return 1;

	/* one interval to settle (first probes are spread over it) */
	uint64_t start = health_now_ms(), measure = start + interval;
	uint64_t end = measure + 1000ull * seconds, started0 = 0;
	double cpu0 = 0;
	bool measuring = false;

	for (uint64_t now = start; now < end; now = health_now_ms()) {
		struct pollfd pfd = { .fd = health_engine_fd(h),
				      .events = POLLIN };
		int wait = health_engine_next_ms(h, now);

		if (!measuring && now >= measure) {
			measuring = true;
			cpu0 = cpu_s(RUSAGE_SELF);
			health_engine_stats(h, &st);
			started0 = st.probes_started;
		}
		poll(&pfd, 1, wait < 0 || wait > 100 ? 100 : wait);
		if (health_engine_run(h, health_now_ms()) < 0)
			return 1;
	}
	double cpu = cpu_s(RUSAGE_SELF) - cpu0;

	health_engine_stats(h, &st);
	kill(child, SIGTERM);
	waitpid(child, NULL, 0);
	printf("bench_health: %u %s targets, interval %u ms, %u s measured\n",
	       n, http ? "http" : "tcp", interval, seconds);
	printf("  probes %llu (%.0f/s), ok %llu, failed %llu\n",
	       (unsigned long long)(st.probes_started - started0),
	       (double)(st.probes_started - started0) / seconds,
	       (unsigned long long)st.probes_ok,
	       (unsigned long long)(st.probes_started - st.probes_ok -
				    st.in_flight));
	printf("  prober CPU %.3f s = %.1f%% of one core "
	       "(budget 20%%); listeners %.3f s\n",
	       cpu, 100.0 * cpu / seconds, cpu_s(RUSAGE_CHILDREN));
	health_engine_destroy(h);
	free(t);
	return st.probes_ok == 0;
}
