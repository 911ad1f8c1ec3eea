/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Growable byte buffers for a connection's input and output, the clock
 * and the server's error text.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http_int.h"

uint64_t http_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

double http_now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int http_fail(struct http_server *srv, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(srv->err, sizeof(srv->err), fmt, ap);
	va_end(ap);
	return rc;
}

/* Room for n more bytes at the end, the whole buffer within limit. */
int buf_reserve(struct buf *b, size_t n, size_t limit)
{
	size_t cap;
	char *p;

	if (b->cap - b->len >= n)
		return 0;
	if (b->off > 0) {
		memmove(b->data, b->data + b->off, b->len - b->off);
		b->len -= b->off;
		b->off = 0;
		if (b->cap - b->len >= n)
			return 0;
	}
	if (b->len + n > limit)
		return -ENOBUFS;
	cap = b->cap ? b->cap : 4096;
	while (cap < b->len + n)
		cap *= 2;
	cap = cap < limit ? cap : limit;
	p = realloc(b->data, cap);
	if (p == NULL)
		return -ENOMEM;
	b->data = p;
	b->cap = cap;
	return 0;
}

int buf_append(struct buf *b, const void *p, size_t n, size_t limit)
{
	int rc = buf_reserve(b, n, limit);

	if (rc == 0) {
		memcpy(b->data + b->len, p, n);
		b->len += n;
	}
	return rc;
}

void buf_consume(struct buf *b, size_t n)
{
	b->off += n;
	if (b->off == b->len)
		b->off = b->len = 0;
}

void buf_free(struct buf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

/* Give back a big buffer once it is empty (many idle connections). */
void buf_trim(struct buf *b)
{
	if (b->len == 0 && b->cap > HTTP_BUF_KEEP)
		buf_free(b);
}
