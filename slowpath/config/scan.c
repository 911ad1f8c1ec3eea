/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Configuration module: the strict RFC 8259 scan that runs before cJSON,
 * and the cJSON load that refuses trailing text.
 */
#include "config_int.h"

/* ------------------------------------------------------------------ */
/* Strict RFC 8259 scan: runs before cJSON, so hostile input never      */
/* reaches its recursive descent deeper than CONFIG_MAX_DEPTH, and what */
/* cJSON tolerates (0443, 5., invalid UTF-8, \u0000) is refused with    */
/* the path of the value it is in.                                      */

#define JS_KEY_SHOWN 40 /* bytes of a key shown in a path */

struct js_level {
	bool is_obj;
	bool has_key; /* objects: key_off/key_len name the current member */
	size_t key_off, key_len;
	uint32_t index; /* arrays: the current element */
};

struct js_scan {
	const char *t;
	size_t len, i;
	unsigned int depth;
	struct js_level lv[CONFIG_MAX_DEPTH];
	const char *prefix;
	struct config_error *err;
};

/* The path of the value being scanned: prefix, keys and indices. */
static void js_path(const struct js_scan *s, char *out, size_t cap)
{
	size_t n = (size_t)snprintf(out, cap, "%s", s->prefix);
	unsigned int d;

	for (d = 0; d < s->depth && n + JS_KEY_SHOWN + 16 < cap; d++) {
		const struct js_level *l = &s->lv[d];
		size_t k;

		if (!l->is_obj) {
			n += (size_t)snprintf(out + n, cap - n, "[%u]",
					      l->index);
			continue;
		}
		if (!l->has_key)
			break;
		if (n > 0)
			out[n++] = '.';
		for (k = 0; k < l->key_len && k < JS_KEY_SHOWN; k++) {
			char c = s->t[l->key_off + k];

			out[n++] = c >= 0x20 && c < 0x7f ? c : '?';
		}
		out[n] = '\0';
	}
	if (n == 0)
		snprintf(out, cap, "document");
}

static int js_fail(const struct js_scan *s, const char *what)
{
	char path[160];

	js_path(s, path, sizeof(path));
	return cfg_fail(s->err, "%s: %s at byte %zu", path, what, s->i);
}

static void js_space(struct js_scan *s)
{
	while (s->i < s->len && (s->t[s->i] == ' ' || s->t[s->i] == '\t' ||
				 s->t[s->i] == '\n' || s->t[s->i] == '\r'))
		s->i++;
}

/*
 * Length of the UTF-8 sequence at p (n bytes left), 0 when it is not one
 * RFC 3629 allows: no overlongs (C0 80), no surrogates (ED A0 80),
 * nothing above U+10FFFF (F4 90.., F5..FF), no lone continuation byte,
 * nothing truncated.
 */
static size_t utf8_len(const unsigned char *p, size_t n)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t len, k;

	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4;
	else
		return 0;
	if (p[0] == 0xe0)
		lo = 0xa0;
	else if (p[0] == 0xed)
		hi = 0x9f;
	else if (p[0] == 0xf0)
		lo = 0x90;
	else if (p[0] == 0xf4)
		hi = 0x8f;
	if (n < len || p[1] < lo || p[1] > hi)
		return 0;
	for (k = 2; k < len; k++)
		if (p[k] < 0x80 || p[k] > 0xbf)
			return 0;
	return len;
}

/* The 4 hex digits of a \u escape at t[i], or -1. */
static long js_hex4(const struct js_scan *s, size_t i)
{
	long v = 0;
	size_t k;

	if (i + 4 > s->len)
		return -1;
	for (k = 0; k < 4; k++) {
		int d = cfg_hex_digit(s->t[i + k]);

		if (d < 0)
			return -1;
		v = v * 16 + d;
	}
	return v;
}

/* A \u escape at s->i (the backslash): one code point, not NUL, no
 * unpaired surrogate. */
static int js_unicode_escape(struct js_scan *s)
{
	long u = js_hex4(s, s->i + 2), lo;

	if (u < 0)
		return js_fail(s, "invalid \\u escape");
	if (u == 0)
		return js_fail(s, "\\u0000 is not allowed in strings");
	if (u >= 0xdc00 && u <= 0xdfff)
		return js_fail(s, "unpaired surrogate escape");
	if (u >= 0xd800 && u <= 0xdbff) {
		lo = s->i + 12 <= s->len && s->t[s->i + 6] == '\\' &&
				     s->t[s->i + 7] == 'u'
			     ? js_hex4(s, s->i + 8)
			     : -1;
		if (lo < 0xdc00 || lo > 0xdfff)
			return js_fail(s, "unpaired surrogate escape");
		s->i += 6;
	}
	s->i += 6;
	return 0;
}

/* A string at s->i (the quote); every string, keys too, comes here. */
static int js_string(struct js_scan *s)
{
	size_t n;

	s->i++;
	while (s->i < s->len) {
		unsigned char c = (unsigned char)s->t[s->i];

		if (c == '"') {
			s->i++;
			return 0;
		}
		if (c == '\0')
			return js_fail(s, "NUL byte");
		if (c < 0x20)
			return js_fail(s, "control character in a string");
		if (c == '\\' && s->i + 1 < s->len && s->t[s->i + 1] == 'u') {
			if (js_unicode_escape(s) != 0)
				return -EINVAL;
		} else if (c == '\\') {
			if (s->i + 1 >= s->len ||
			    strchr("\"\\/bfnrt", s->t[s->i + 1]) == NULL ||
			    s->t[s->i + 1] == '\0')
				return js_fail(s, "invalid escape");
			s->i += 2;
		} else if (c < 0x80) {
			s->i++;
		} else if ((n = utf8_len((const unsigned char *)s->t + s->i,
					 s->len - s->i)) == 0) {
			return js_fail(s, "invalid UTF-8");
		} else {
			s->i += n;
		}
	}
	return js_fail(s, "unterminated string");
}

static bool js_digit(const struct js_scan *s, size_t i)
{
	return i < s->len && s->t[i] >= '0' && s->t[i] <= '9';
}

static size_t js_digits(const struct js_scan *s, size_t i)
{
	while (js_digit(s, i))
		i++;
	return i;
}

/* A number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?, then a
 * delimiter (0443, +1, .5, 5., 0x1F, 1e are refused). */
static int js_number(struct js_scan *s)
{
	size_t i = s->i;

	if (i < s->len && s->t[i] == '-')
		i++;
	if (!js_digit(s, i))
		return js_fail(s, "not a JSON number");
	i = s->t[i] == '0' ? i + 1 : js_digits(s, i);
	if (i < s->len && s->t[i] == '.') {
		if (!js_digit(s, i + 1))
			return js_fail(s, "not a JSON number");
		i = js_digits(s, i + 1);
	}
	if (i < s->len && (s->t[i] == 'e' || s->t[i] == 'E')) {
		i++;
		if (i < s->len && (s->t[i] == '+' || s->t[i] == '-'))
			i++;
		if (!js_digit(s, i))
			return js_fail(s, "not a JSON number");
		i = js_digits(s, i);
	}
	if (i < s->len && strchr(" \t\r\n,]}", s->t[i]) == NULL)
		return js_fail(s, s->t[i] >= '0' && s->t[i] <= '9'
					  ? "not a JSON number (leading zero)"
					  : "not a JSON number");
	s->i = i;
	return 0;
}

static int js_literal(struct js_scan *s)
{
	static const char *const words[] = { "true", "false", "null" };
	size_t k, n;

	for (k = 0; k < ARRAY_LEN(words); k++) {
		n = strlen(words[k]);
		if (s->len - s->i >= n &&
		    memcmp(s->t + s->i, words[k], n) == 0) {
			s->i += n;
			return 0;
		}
	}
	return js_fail(s, "invalid JSON");
}

static int js_value(struct js_scan *s);

/* Enter an object or array at s->i; refuses nesting too deep. */
static int js_enter(struct js_scan *s, bool is_obj)
{
	struct js_level *l;

	if (s->depth == CONFIG_MAX_DEPTH) {
		char what[64];

		snprintf(what, sizeof(what), "nested deeper than %u levels",
			 CONFIG_MAX_DEPTH);
		return js_fail(s, what);
	}
	l = &s->lv[s->depth++];
	memset(l, 0, sizeof(*l));
	l->is_obj = is_obj;
	s->i++;
	js_space(s);
	return 0;
}

static int js_object(struct js_scan *s)
{
	struct js_level *l;
	size_t key;

	if (js_enter(s, true) != 0)
		return -EINVAL;
	l = &s->lv[s->depth - 1];
	if (s->i < s->len && s->t[s->i] == '}')
		goto done;
	for (;;) {
		if (s->i >= s->len || s->t[s->i] != '"')
			return js_fail(s, "invalid JSON, expected a key");
		key = s->i;
		if (js_string(s) != 0)
			return -EINVAL;
		l->key_off = key + 1;
		l->key_len = s->i - key - 2;
		l->has_key = true;
		js_space(s);
		if (s->i >= s->len || s->t[s->i] != ':')
			return js_fail(s, "invalid JSON, expected ':'");
		s->i++;
		if (js_value(s) != 0)
			return -EINVAL;
		js_space(s);
		if (s->i < s->len && s->t[s->i] == '}')
			break;
		if (s->i >= s->len || s->t[s->i] != ',')
			return js_fail(s, "invalid JSON, expected ',' or '}'");
		s->i++;
		l->has_key = false;
		js_space(s);
	}
done:
	s->i++;
	s->depth--;
	return 0;
}

static int js_array(struct js_scan *s)
{
	struct js_level *l;

	if (js_enter(s, false) != 0)
		return -EINVAL;
	l = &s->lv[s->depth - 1];
	if (s->i < s->len && s->t[s->i] == ']')
		goto done;
	for (;;) {
		if (js_value(s) != 0)
			return -EINVAL;
		js_space(s);
		if (s->i < s->len && s->t[s->i] == ']')
			break;
		if (s->i >= s->len || s->t[s->i] != ',')
			return js_fail(s, "invalid JSON, expected ',' or ']'");
		s->i++;
		l->index++;
	}
done:
	s->i++;
	s->depth--;
	return 0;
}

/* One value at s->i (after optional whitespace). Recursion is bounded
 * by CONFIG_MAX_DEPTH, checked before each level is entered. */
static int js_value(struct js_scan *s)
{
	char c;

	js_space(s);
	if (s->i >= s->len)
		return js_fail(s, "invalid JSON, expected a value");
	c = s->t[s->i];
	if (c == '{')
		return js_object(s);
	if (c == '[')
		return js_array(s);
	if (c == '"')
		return js_string(s);
	if (c == '-' || c == '+' || c == '.' || (c >= '0' && c <= '9'))
		return js_number(s);
	if (c == '\0')
		return js_fail(s, "NUL byte");
	return js_literal(s);
}

int config_json_check(const char *text, size_t len, const char *prefix,
		      struct config_error *err)
{
	struct js_scan s = {
		.t = text, .len = len, .prefix = prefix, .err = err
	};

	if (js_value(&s) != 0)
		return -EINVAL;
	js_space(&s);
	if (s.i < len && text[s.i] == '\0')
		return js_fail(&s, "NUL byte");
	if (s.i < len)
		return js_fail(&s, "unexpected text after the JSON value");
	return 0;
}

static bool is_json_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* cJSON parse with the error offset and a refusal of trailing text. */
int cfg_json_load(const char *text, size_t len, cJSON **root,
		  struct config_error *err)
{
	const char *end = text;

	*root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
	if (*root == NULL)
		return cfg_fail(err, "document: invalid JSON at byte %zu",
				(size_t)(end - text));
	while (end < text + len && is_json_space(*end))
		end++;
	if (end != text + len) {
		cJSON_Delete(*root);
		*root = NULL;
		return cfg_fail(
			err,
			"document: unexpected text after the JSON value at "
			"byte %zu",
			(size_t)(end - text));
	}
	return 0;
}
