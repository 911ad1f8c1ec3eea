/* SPDX-License-Identifier: BSD-3-Clause */
/* The JSON writer (see jw.h). */
#include <stdlib.h>
#include <string.h>

#include "jw.h"

static int reserve(struct jw_buf *b, size_t n)
{
	size_t cap = b->cap ? b->cap : 4096;
	char *p;

	if (b->failed)
		return -1;
	if (b->len + n + 1 <= b->cap)
		return 0;
	while (cap < b->len + n + 1)
		cap *= 2;
	p = realloc(b->buf, cap);
	if (p == NULL) {
		b->failed = 1;
		return -1;
	}
	b->buf = p;
	b->cap = cap;
	return 0;
}

void jw_buf_add_grow(struct jw_buf *b, const char *s, size_t n)
{
	if (reserve(b, n) < 0)
		return;
	memcpy(b->buf + b->len, s, n);
	b->len += n;
	b->buf[b->len] = 0;
}

void jw_buf_puts(struct jw_buf *b, const char *s)
{
	jw_buf_add(b, s, strlen(s));
}

/* Digits of v, written backwards ending at `end`; returns the first. */
static char *u64_digits(char *end, uint64_t v)
{
	do {
		*--end = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	return end;
}

void jw_buf_u64(struct jw_buf *b, uint64_t v)
{
	char d[24], *p = u64_digits(d + sizeof(d), v);

	jw_buf_add(b, p, (size_t)(d + sizeof(d) - p));
}

void jw_buf_i64(struct jw_buf *b, int64_t v)
{
	char d[24], *p;

	p = u64_digits(d + sizeof(d), v < 0 ? 0 - (uint64_t)v : (uint64_t)v);
	if (v < 0)
		*--p = '-';
	jw_buf_add(b, p, (size_t)(d + sizeof(d) - p));
}

/* The escape of byte `c` into `esc` (length returned), or 0 when it goes
 * as it is. */
static size_t escape_of(unsigned char c, char esc[7])
{
	static const char hex[] = "0123456789abcdef";
	static const char short_esc[] = "btn\0fr"; /* \b .. \r, 8..13 */

	if (c >= 0x20 && c != '"' && c != '\\')
		return 0;
	esc[0] = '\\';
	if (c == '"' || c == '\\') {
		esc[1] = (char)c;
		return 2;
	}
	if (c >= '\b' && c <= '\r' && short_esc[c - '\b'] != '\0') {
		esc[1] = short_esc[c - '\b'];
		return 2;
	}
	memcpy(esc + 1, "u00", 3);
	esc[4] = hex[c >> 4];
	esc[5] = hex[c & 15];
	return 6;
}

void jw_buf_string(struct jw_buf *b, const char *s)
{
	const char *run = s;
	char esc[7];
	size_t n;

	jw_buf_add(b, "\"", 1);
	for (; *s != '\0'; s++) {
		n = escape_of((unsigned char)*s, esc);
		if (n == 0)
			continue;
		jw_buf_add(b, run, (size_t)(s - run));
		jw_buf_add(b, esc, n);
		run = s + 1;
	}
	jw_buf_add(b, run, (size_t)(s - run));
	jw_buf_add(b, "\"", 1);
}

size_t jw_escape_into(const char *s, char *out, size_t size)
{
	size_t o = 0, n;
	char esc[7];

	if (size == 0)
		return 0;
	for (; *s != '\0'; s++) {
		n = escape_of((unsigned char)*s, esc);
		if (n == 0) {
			esc[0] = *s;
			n = 1;
		}
		if (o + n >= size)
			break;
		memcpy(out + o, esc, n);
		o += n;
	}
	out[o] = 0;
	return o;
}

void jw_buf_free(struct jw_buf *b)
{
	free(b->buf);
	memset(b, 0, sizeof(*b));
}

void jw_key(struct jw *w, const char *key)
{
	if (!w->first)
		jw_buf_add(&w->b, ",", 1);
	w->first = false;
	if (key != NULL) {
		jw_buf_string(&w->b, key);
		jw_buf_add(&w->b, ":", 1);
	}
}

void jw_open(struct jw *w, const char *key, char c)
{
	jw_key(w, key);
	jw_buf_add(&w->b, &c, 1);
	w->first = true;
}

void jw_close(struct jw *w, char c)
{
	jw_buf_add(&w->b, &c, 1);
	w->first = false;
}

void jw_u64(struct jw *w, const char *key, uint64_t v)
{
	jw_key(w, key);
	jw_buf_u64(&w->b, v);
}

void jw_i64(struct jw *w, const char *key, int64_t v)
{
	jw_key(w, key);
	jw_buf_i64(&w->b, v);
}

void jw_bool(struct jw *w, const char *key, bool v)
{
	jw_key(w, key);
	jw_buf_puts(&w->b, v ? "true" : "false");
}

void jw_str(struct jw *w, const char *key, const char *v)
{
	jw_key(w, key);
	if (v != NULL)
		jw_buf_string(&w->b, v);
	else
		jw_buf_add(&w->b, "null", 4);
}
