/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The slow path's one JSON writer: a growing text buffer, strings escaped
 * as cJSON_PrintUnformatted() escapes them (quote, backslash, \b \t \n \f
 * \r, other control characters as \u00XX, everything else as it is),
 * integers without printf, and objects and arrays whose commas it places.
 * Used by every producer of JSON: the canonical configuration (config),
 * /v1/stats (api), the JSON strings of /metrics, and error bodies (http).
 */
#ifndef EP_JW_H
#define EP_JW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* A growing, NUL-terminated buffer; after an allocation failure `failed`
 * stays set and every later write is a no-op. */
struct jw_buf {
	char *buf;
	size_t len;
	size_t cap;
	int failed;
};

/* jw_buf_add() when the bytes do not fit: grows the buffer first. */
void jw_buf_add_grow(struct jw_buf *b, const char *s, size_t n);

/* Inline: it runs once per token of every document written. */
static inline void jw_buf_add(struct jw_buf *b, const char *s, size_t n)
{
	if (b->failed || b->len + n + 1 > b->cap) {
		jw_buf_add_grow(b, s, n);
		return;
	}
	memcpy(b->buf + b->len, s, n);
	b->len += n;
	b->buf[b->len] = 0;
}
void jw_buf_puts(struct jw_buf *b, const char *s);
void jw_buf_u64(struct jw_buf *b, uint64_t v);
void jw_buf_i64(struct jw_buf *b, int64_t v);
/* `s` quoted and escaped. */
void jw_buf_string(struct jw_buf *b, const char *s);
void jw_buf_free(struct jw_buf *b);

/*
 * `s` escaped (no quotes) into `out` of `size` bytes, NUL-terminated;
 * stops before an escape or character that would not fit, so the result
 * is never cut inside one. Returns the bytes written.
 */
size_t jw_escape_into(const char *s, char *out, size_t size);

/* Nesting: members and elements get their commas from `first`. */
struct jw {
	struct jw_buf b;
	bool first; /* the next member needs no comma */
};

/* Open an object ('{') or an array ('['); `key` NULL inside arrays and
 * for the outermost value. */
void jw_open(struct jw *w, const char *key, char c);
void jw_close(struct jw *w, char c);
/* `"key":` (after a comma when needed); NULL writes only the comma. */
void jw_key(struct jw *w, const char *key);
void jw_u64(struct jw *w, const char *key, uint64_t v);
void jw_i64(struct jw *w, const char *key, int64_t v);
void jw_bool(struct jw *w, const char *key, bool v);
/* A string, or null when `v` is NULL. */
void jw_str(struct jw *w, const char *key, const char *v);

#endif /* EP_JW_H */
