/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Configuration module: JSON document <-> struct ep_config <-> flat binary
 * form (ep_abi.h), with the validation that keeps bad input away from the
 * fast path, and the stable stats_id allocator. Needs cJSON, not DPDK.
 * docs/config.md is the user-facing description of every rule below.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "config.h"
#include "config_policing.h"
#include "flat_check.h"

#define PATH_BUF 64 /* "services[4294967295].backends[4294967295]" fits */
#define SVC_PATH 24 /* "services[4294967295]" fits */
#define NAME_CHARS "[A-Za-z0-9_.-]"
#define IDS_NONE UINT32_MAX

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------------------ */
/* Errors                                                               */

static int fail(struct config_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Format `err` (when given) and return -EINVAL. */
static int fail(struct config_error *err, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL) {
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static int fail_at(struct config_error *err, const char *path, const char *key,
		   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/*
 * Error on `path`.`key` (or on `path` alone when key is NULL; the root
 * object's path is "" and shows as "document"). Returns -EINVAL.
 */
static int fail_at(struct config_error *err, const char *path, const char *key,
		   const char *fmt, ...)
{
	char what[200];
	va_list ap;

	if (err == NULL)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (key == NULL)
		snprintf(err->msg, sizeof(err->msg), "%s: %s",
			 *path != '\0' ? path : "document", what);
	else
		snprintf(err->msg, sizeof(err->msg), "%s%s%s: %s", path,
			 *path != '\0' ? "." : "", key, what);
	return -EINVAL;
}

/* Format "out of memory" and return -ENOMEM. */
static int fail_nomem(struct config_error *err)
{
	fail(err, "out of memory");
	return -ENOMEM;
}

/* A user-supplied string fit to quote in a message: at most 40 bytes,
 * anything but printable ASCII shown as '?', so errors stay one clean line. */
static const char *shown(const char *s, char buf[48])
{
	size_t i;

	for (i = 0; s[i] != '\0' && i < 40; i++)
		buf[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
	buf[i] = '\0';
	return buf;
}

/*
 * `buf` = "prefix.key[i]" ("key[i]" when prefix is empty), the path of an
 * array element. By hand rather than snprintf: parse and validate name
 * every service and backend, tens of thousands of paths per document.
 */
static const char *index_path(char *buf, size_t cap, const char *prefix,
			      const char *key, uint32_t i)
{
	size_t np = strlen(prefix), nk = strlen(key), n = 0;
	char digits[10], *d = digits + sizeof(digits);

	do {
		*--d = (char)('0' + i % 10);
		i /= 10;
	} while (i != 0);
	if (np + nk + (size_t)(digits + sizeof(digits) - d) + 4 > cap) {
		buf[0] = '\0'; /* callers' buffers always fit; never here */
		return buf;
	}
	memcpy(buf, prefix, np);
	n = np;
	if (np > 0)
		buf[n++] = '.';
	memcpy(buf + n, key, nk);
	n += nk;
	buf[n++] = '[';
	memcpy(buf + n, d, (size_t)(digits + sizeof(digits) - d));
	n += (size_t)(digits + sizeof(digits) - d);
	buf[n++] = ']';
	buf[n] = '\0';
	return buf;
}

/* ------------------------------------------------------------------ */
/* Names of enumerated values, indexed by value (holes are NULL).       */

static const char *const proto_names[] = {
	[IPPROTO_TCP] = "tcp",
	[IPPROTO_UDP] = "udp",
};
static const char *const fwd_names[] = {
	[EP_FWD_DSR] = "dsr",
	[EP_FWD_ENCAP] = "encap",
	[EP_FWD_NAT] = "nat",
};
static const char *const encap_names[] = {
	[CONFIG_ENCAP_IPIP] = "ipip",
	[CONFIG_ENCAP_GUE] = "gue",
};
static const char *const sched_names[] = {
	[EP_SCHED_MAGLEV] = "maglev",
	[EP_SCHED_RR] = "rr",
	[EP_SCHED_WRR] = "wrr",
	[EP_SCHED_LC] = "lc",
};
static const char *const affinity_names[] = {
	[CONFIG_AFFINITY_NONE] = "none",
	[CONFIG_AFFINITY_SOURCE_IP] = "source-ip",
};
static const char *const maglev_rebuild_names[] = {
	[CONFIG_MAGLEV_MINIMAL] = "minimal",
	[CONFIG_MAGLEV_FRESH] = "fresh",
};
/* The rule in node.maglev_rebuild's message (parse and validate). */
#define MAGLEV_REBUILD_RULE "must be \"minimal\" or \"fresh\""
static const char *const state_names[] = {
	[EP_BE_UP] = "up",
	[EP_BE_DOWN] = "down",
	[EP_BE_DRAIN] = "drain",
};

struct names {
	const char *const *v;
	size_t n;
};

#define NAMES(a)                                                               \
	(struct names)                                                         \
	{                                                                      \
		a, ARRAY_LEN(a)                                                \
	}

/* The name of value `v`, or NULL when `v` names nothing. */
static const char *name_of(struct names t, unsigned int v)
{
	return v < t.n ? t.v[v] : NULL;
}

static int name_index(struct names t, const char *s)
{
	size_t i;

	for (i = 0; i < t.n; i++)
		if (t.v[i] != NULL && strcmp(t.v[i], s) == 0)
			return (int)i;
	return -1;
}

/* "\"dsr\", \"encap\", \"nat\"" for messages. */
static const char *name_list(struct names t, char *buf, size_t cap)
{
	size_t i, used = 0;

	buf[0] = '\0';
	for (i = 0; i < t.n; i++) {
		if (t.v[i] == NULL)
			continue;
		used += snprintf(buf + used, cap - used, "%s\"%s\"",
				 used > 0 ? ", " : "", t.v[i]);
		if (used >= cap)
			break;
	}
	return buf;
}

/* ------------------------------------------------------------------ */
/* Addresses, names, MACs                                               */

static bool ip_parse(const char *s, struct ep_ip *ip)
{
	memset(ip, 0, sizeof(*ip));
	if (inet_pton(AF_INET, s, ip->bytes) == 1) {
		ip->family = EP_AF_INET;
		return true;
	}
	if (inet_pton(AF_INET6, s, ip->bytes) == 1) {
		ip->family = EP_AF_INET6;
		return true;
	}
	memset(ip, 0, sizeof(*ip));
	return false;
}

static size_t ip_len(const struct ep_ip *ip)
{
	return ip->family == EP_AF_INET ? 4 : 16;
}

static bool ip_equal(const struct ep_ip *a, const struct ep_ip *b)
{
	if (a->family != b->family)
		return false;
	return a->family == 0 || memcmp(a->bytes, b->bytes, ip_len(a)) == 0;
}

/* The ABI form: family and address bytes, everything else zero, so the
 * fast path can compare two of them with memcmp. */
static struct ep_ip ip_flat(const struct ep_ip *ip)
{
	struct ep_ip out;

	memset(&out, 0, sizeof(out));
	if (ip->family == EP_AF_INET || ip->family == EP_AF_INET6) {
		out.family = ip->family;
		memcpy(out.bytes, ip->bytes, ip_len(ip));
	}
	return out;
}

static const char *ip_str(const struct ep_ip *ip, char buf[INET6_ADDRSTRLEN])
{
	int af = ip->family == EP_AF_INET ? AF_INET : AF_INET6;

	if ((ip->family != EP_AF_INET && ip->family != EP_AF_INET6) ||
	    inet_ntop(af, ip->bytes, buf, INET6_ADDRSTRLEN) == NULL)
		snprintf(buf, INET6_ADDRSTRLEN, "(family %u)", ip->family);
	return buf;
}

static bool ip_valid(const struct ep_ip *ip)
{
	return ip->family == EP_AF_INET || ip->family == EP_AF_INET6;
}

static bool ip_is_any(const struct ep_ip *ip)
{
	static const uint8_t zero[16];

	return memcmp(ip->bytes, zero, ip_len(ip)) == 0;
}

/* Unicast: not unspecified, not multicast, not IPv4 broadcast. */
static bool ip_is_unicast(const struct ep_ip *ip)
{
	static const uint8_t bcast[4] = { 255, 255, 255, 255 };

	if (!ip_valid(ip) || ip_is_any(ip))
		return false;
	if (ip->family == EP_AF_INET)
		return (ip->bytes[0] & 0xf0) != 0xe0 &&
		       memcmp(ip->bytes, bcast, 4) != 0;
	return ip->bytes[0] != 0xff;
}

static bool ip_is_loopback(const struct ep_ip *ip)
{
	static const uint8_t v6_loopback[16] = { [15] = 1 };

	if (ip->family == EP_AF_INET)
		return ip->bytes[0] == 127;
	return ip->family == EP_AF_INET6 &&
	       memcmp(ip->bytes, v6_loopback, 16) == 0;
}

static const char *family_name(uint8_t family)
{
	return family == EP_AF_INET ? "IPv4" : "IPv6";
}

/* 1..EP_NAME_LEN-1 bytes of [A-Za-z0-9_.-], NUL within the array. */
static bool name_valid(const char name[EP_NAME_LEN])
{
	size_t i, n = strnlen(name, EP_NAME_LEN);

	if (n == 0 || n == EP_NAME_LEN)
		return false;
	for (i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '.' ||
		      c == '-'))
			return false;
	}
	return true;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Exactly "aa:bb:cc:dd:ee:ff" (either case). */
static bool mac_parse(const char *s, uint8_t mac[6])
{
	int i, hi, lo;

	if (strlen(s) != 17)
		return false;
	for (i = 0; i < 6; i++) {
		hi = hex_digit(s[3 * i]);
		lo = hex_digit(s[3 * i + 1]);
		if (hi < 0 || lo < 0 || (i < 5 && s[3 * i + 2] != ':'))
			return false;
		mac[i] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}

static bool mac_is_unicast(const uint8_t mac[6])
{
	static const uint8_t zero[6];

	return (mac[0] & 1) == 0 && memcmp(mac, zero, 6) != 0;
}

/* NUL-terminated within `cap`, 1 or more bytes, no control characters. */
static bool text_valid(const char *s, size_t cap)
{
	size_t i, n = strnlen(s, cap);

	if (n == 0 || n == cap)
		return false;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return true;
}

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
	return fail(s->err, "%s: %s at byte %zu", path, what, s->i);
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
		int d = hex_digit(s->t[i + k]);

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
static int json_load(const char *text, size_t len, cJSON **root,
		     struct config_error *err)
{
	const char *end = text;

	*root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
	if (*root == NULL)
		return fail(err, "document: invalid JSON at byte %zu",
			    (size_t)(end - text));
	while (end < text + len && is_json_space(*end))
		end++;
	if (end != text + len) {
		cJSON_Delete(*root);
		*root = NULL;
		return fail(err,
			    "document: unexpected text after the JSON value at "
			    "byte %zu",
			    (size_t)(end - text));
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Typed field readers. Each names path.key in its error.               */

static const char *json_type(const cJSON *v)
{
	if (cJSON_IsString(v))
		return "a string";
	if (cJSON_IsNumber(v))
		return "a number";
	if (cJSON_IsBool(v))
		return "a boolean";
	if (cJSON_IsNull(v))
		return "null";
	if (cJSON_IsArray(v))
		return "an array";
	return "an object";
}

static bool key_known(const char *key, const char *const known[])
{
	size_t i;

	for (i = 0; known[i] != NULL; i++)
		if (strcmp(known[i], key) == 0)
			return true;
	return false;
}

/*
 * `obj` is an object whose keys are all in `known` (NULL-terminated), each
 * once. cJSON keeps duplicate keys, so they are looked for here. Unknown
 * keys are refused first, so the duplicate search meets at most
 * ARRAY_LEN(known) earlier siblings whatever the object's size.
 */
static int check_object(const cJSON *obj, const char *path,
			const char *const known[], struct config_error *err)
{
	const cJSON *c, *p;
	char buf[48];

	if (!cJSON_IsObject(obj))
		return fail_at(err, path, NULL, "must be an object, not %s",
			       json_type(obj));
	for (c = obj->child; c != NULL; c = c->next) {
		if (!key_known(c->string, known))
			return fail_at(err, path, NULL, "unknown field \"%s\"",
				       shown(c->string, buf));
		for (p = obj->child; p != c; p = p->next)
			if (strcmp(p->string, c->string) == 0)
				return fail_at(err, path, NULL,
					       "duplicate field \"%s\"",
					       c->string);
	}
	return 0;
}

static const cJSON *field(const cJSON *obj, const char *key)
{
	return cJSON_GetObjectItemCaseSensitive(obj, key);
}

static int missing(struct config_error *err, const char *path, const char *key)
{
	return fail_at(err, path, key, "required field missing");
}

#define REQUIRED (-1)

/* An integer in min..max; `dflt` when absent, or REQUIRED. */
static int get_uint(const cJSON *obj, const char *path, const char *key,
		    uint32_t min, uint32_t max, int64_t dflt, uint32_t *out,
		    struct config_error *err)
{
	const cJSON *v = field(obj, key);
	double d;

	if (v == NULL && dflt == REQUIRED)
		return missing(err, path, key);
	if (v == NULL) {
		*out = (uint32_t)dflt;
		return 0;
	}
	if (!cJSON_IsNumber(v))
		return fail_at(err, path, key,
			       "must be an integer %u..%u, not %s", min, max,
			       json_type(v));
	d = v->valuedouble;
	if (!(d >= min && d <= max)) /* also NaN and infinities */
		return fail_at(err, path, key, "must be %u..%u", min, max);
	if (d != (double)(uint32_t)d)
		return fail_at(err, path, key, "must be an integer %u..%u", min,
			       max);
	*out = (uint32_t)d;
	return 0;
}

static int get_bool(const cJSON *obj, const char *path, const char *key,
		    bool dflt, bool *out, struct config_error *err)
{
	const cJSON *v = field(obj, key);

	if (v == NULL) {
		*out = dflt;
		return 0;
	}
	if (!cJSON_IsBool(v))
		return fail_at(err, path, key, "must be true or false, not %s",
			       json_type(v));
	*out = cJSON_IsTrue(v);
	return 0;
}

/* A string without control characters; *out = NULL when absent and
 * optional. */
static int get_str(const cJSON *obj, const char *path, const char *key,
		   bool required, const char **out, struct config_error *err)
{
	const cJSON *v = field(obj, key);
	const char *s;

	*out = NULL;
	if (v == NULL)
		return required ? missing(err, path, key) : 0;
	if (!cJSON_IsString(v))
		return fail_at(err, path, key, "must be a string, not %s",
			       json_type(v));
	for (s = v->valuestring; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return fail_at(err, path, key,
				       "must not contain control characters");
	*out = v->valuestring;
	return 0;
}

/* A string of 1..cap-1 bytes copied into `dst`; absent and optional leaves
 * dst an empty string. */
static int get_text(const cJSON *obj, const char *path, const char *key,
		    bool required, char *dst, size_t cap,
		    struct config_error *err)
{
	const char *s;
	size_t n;
	int rc = get_str(obj, path, key, required, &s, err);

	dst[0] = '\0';
	if (rc != 0 || s == NULL)
		return rc;
	n = strlen(s);
	if (n == 0 || n >= cap)
		return fail_at(err, path, key, "must be 1..%zu characters",
			       cap - 1);
	memcpy(dst, s, n + 1);
	return 0;
}

/* One of the names in `t`; `dflt` when absent, or REQUIRED. */
static int get_enum(const cJSON *obj, const char *path, const char *key,
		    struct names t, int dflt, int *out,
		    struct config_error *err)
{
	const char *s;
	char list[96];
	int rc = get_str(obj, path, key, dflt == REQUIRED, &s, err);

	*out = dflt;
	if (rc != 0 || s == NULL)
		return rc;
	*out = name_index(t, s);
	if (*out < 0)
		return fail_at(err, path, key, "must be one of %s",
			       name_list(t, list, sizeof(list)));
	return 0;
}

/* An IPv4 or IPv6 address; absent and optional leaves family 0. */
static int get_ip(const cJSON *obj, const char *path, const char *key,
		  bool required, struct ep_ip *out, struct config_error *err)
{
	const char *s;
	int rc = get_str(obj, path, key, required, &s, err);

	memset(out, 0, sizeof(*out));
	if (rc != 0 || s == NULL)
		return rc;
	if (!ip_parse(s, out))
		return fail_at(err, path, key, "not an IPv4 or IPv6 address");
	return 0;
}

/* `obj`.`key` as an array of at most `max` entries (absent: 0 entries). */
static int get_array(const cJSON *obj, const char *path, const char *key,
		     uint32_t max, const cJSON **arr, uint32_t *n,
		     struct config_error *err)
{
	int size;

	*arr = field(obj, key);
	*n = 0;
	if (*arr == NULL)
		return 0;
	if (!cJSON_IsArray(*arr))
		return fail_at(err, path, key, "must be an array, not %s",
			       json_type(*arr));
	size = cJSON_GetArraySize(*arr);
	if ((uint32_t)size > max)
		return fail_at(err, path, key, "at most %u entries, not %d",
			       max, size);
	*n = (uint32_t)size;
	return 0;
}

/* ------------------------------------------------------------------ */
/* JSON -> struct ep_config: node                                       */

static int parse_node_addr(const cJSON *obj, const char *path,
			   struct config_node_addr *a, struct config_error *err)
{
	static const char *const keys[] = { "address", "port", NULL };
	uint32_t v = 0;
	int rc;

	rc = check_object(obj, path, keys, err);
	if (rc == 0)
		rc = get_ip(obj, path, "address", true, &a->addr, err);
	if (rc == 0)
		rc = get_uint(obj, path, "port", 0, EP_MAX_PORTS - 1, 0, &v,
			      err);
	a->port_id = (uint16_t)v;
	return rc;
}

/* node.maglev_rebuild: "minimal" (the default) or "fresh". */
static int parse_maglev_rebuild(const cJSON *obj,
				enum config_maglev_rebuild *out,
				struct config_error *err)
{
	const char *s;
	int rc = get_str(obj, "node", "maglev_rebuild", false, &s, err), v;

	*out = CONFIG_MAGLEV_MINIMAL;
	if (rc != 0 || s == NULL)
		return rc;
	v = name_index(NAMES(maglev_rebuild_names), s);
	if (v < 0)
		return fail_at(err, "node", "maglev_rebuild",
			       MAGLEV_REBUILD_RULE);
	*out = (enum config_maglev_rebuild)v;
	return 0;
}

static int parse_node(const cJSON *root, struct config_node *node,
		      struct config_error *err)
{
	static const char *const keys[] = { "addresses",
					    "backend_port",
					    "encap_source_v4",
					    "encap_source_v6",
					    "gue_port",
					    "maglev_rebuild",
					    NULL };
	const cJSON *obj = field(root, "node"), *arr = NULL, *e;
	char path[PATH_BUF];
	uint32_t i, bport = 0, gport = CONFIG_GUE_PORT_DEFAULT;
	int rc;

	node->gue_port = CONFIG_GUE_PORT_DEFAULT;
	if (obj == NULL)
		return 0; /* every node field has a default */
	rc = check_object(obj, "node", keys, err);
	if (rc == 0)
		rc = get_array(obj, "node", "addresses", EP_MAX_NODE_ADDRS,
			       &arr, &node->n_addrs, err);
	e = arr != NULL ? arr->child : NULL;
	for (i = 0; rc == 0 && i < node->n_addrs; i++, e = e->next)
		rc = parse_node_addr(
			e,
			index_path(path, sizeof(path), "node", "addresses", i),
			&node->addrs[i], err);
	if (rc == 0)
		rc = get_uint(obj, "node", "backend_port", 0, EP_MAX_PORTS - 1,
			      0, &bport, err);
	if (rc == 0)
		rc = get_ip(obj, "node", "encap_source_v4", false,
			    &node->encap_src4, err);
	if (rc == 0)
		rc = get_ip(obj, "node", "encap_source_v6", false,
			    &node->encap_src6, err);
	if (rc == 0)
		rc = get_uint(obj, "node", "gue_port", 1, UINT16_MAX,
			      CONFIG_GUE_PORT_DEFAULT, &gport, err);
	if (rc == 0)
		rc = parse_maglev_rebuild(obj, &node->maglev_rebuild, err);
	node->backend_port = (uint16_t)bport;
	node->gue_port = (uint16_t)gport;
	return rc;
}

/* ------------------------------------------------------------------ */
/* JSON -> struct ep_config: a service's health_check                   */

static const char *const health_type_names[] = {
	[HEALTH_NONE] = "none",
	[HEALTH_TCP] = "tcp",
	[HEALTH_HTTP] = "http",
};

/* "200-399" or "200": a status range within 100..599. */
static int parse_expect_status(const cJSON *obj, const char *path,
			       struct health_params *h,
			       struct config_error *err)
{
	const char *s;
	unsigned int lo, hi;
	int n = 0, rc = get_str(obj, path, "expect_status", false, &s, err);

	if (rc != 0 || s == NULL)
		return rc;
	if (sscanf(s, "%3u-%3u%n", &lo, &hi, &n) == 2 && s[n] == '\0' &&
	    strlen(s) == 7)
		;
	else if (sscanf(s, "%3u%n", &lo, &n) == 1 && s[n] == '\0' &&
		 strlen(s) == 3)
		hi = lo;
	else
		return fail_at(err, path, "expect_status",
			       "must be \"NNN\" or \"NNN-NNN\" (for example "
			       "\"200-399\")");
	if (lo < 100 || hi > 599 || lo > hi)
		return fail_at(err, path, "expect_status",
			       "must be a range within 100..599, low first");
	h->status_min = (uint16_t)lo;
	h->status_max = (uint16_t)hi;
	return 0;
}

/* path: an origin-form target, printable ASCII without spaces. */
static int parse_health_path(const cJSON *obj, const char *path,
			     struct health_params *h, struct config_error *err)
{
	char buf[HEALTH_PATH_LEN];
	int rc = get_text(obj, path, "path", false, buf, sizeof(buf), err);

	if (rc != 0 || buf[0] == '\0')
		return rc;
	if (buf[0] != '/')
		return fail_at(err, path, "path", "must start with '/'");
	for (const char *c = buf; *c; c++)
		if (*c <= ' ' || *c >= 0x7f)
			return fail_at(err, path, "path",
				       "must be printable ASCII without "
				       "spaces");
	memcpy(h->path, buf, sizeof(buf));
	return 0;
}

/* The fields only "http" checks have. */
static int parse_health_http(const cJSON *obj, const char *path,
			     struct health_params *h, struct config_error *err)
{
	static const char *const http_only[] = { "path", "expect_status",
						 "body_contains" };
	int rc = 0;

	if (h->type != HEALTH_HTTP) {
		for (size_t i = 0; i < ARRAY_LEN(http_only); i++)
			if (field(obj, http_only[i]) != NULL)
				return fail_at(err, path, http_only[i],
					       "only valid with \"type\": "
					       "\"http\"");
		return 0;
	}
	rc = parse_health_path(obj, path, h, err);
	if (rc == 0)
		rc = parse_expect_status(obj, path, h, err);
	if (rc == 0)
		rc = get_text(obj, path, "body_contains", false,
			      h->body_contains, sizeof(h->body_contains), err);
	return rc;
}

/* Interval, timeout, rise, fall, port and the panic threshold. */
static int parse_health_timing(const cJSON *obj, const char *path,
			       struct config_service *s,
			       struct config_error *err)
{
	struct health_params *h = &s->health;
	uint32_t rise = 0, fall = 0, port = 0;
	int rc;

	rc = get_uint(obj, path, "interval_ms", HEALTH_INTERVAL_MS_MIN,
		      HEALTH_INTERVAL_MS_MAX, HEALTH_INTERVAL_MS_DEFAULT,
		      &h->interval_ms, err);
	if (rc == 0)
		rc = get_uint(obj, path, "timeout_ms", HEALTH_TIMEOUT_MS_MIN,
			      h->interval_ms,
			      h->interval_ms < HEALTH_TIMEOUT_MS_DEFAULT
				      ? h->interval_ms
				      : HEALTH_TIMEOUT_MS_DEFAULT,
			      &h->timeout_ms, err);
	if (rc == 0)
		rc = get_uint(obj, path, "rise", 1, HEALTH_RISE_FALL_MAX,
			      HEALTH_RISE_DEFAULT, &rise, err);
	if (rc == 0)
		rc = get_uint(obj, path, "fall", 1, HEALTH_RISE_FALL_MAX,
			      HEALTH_FALL_DEFAULT, &fall, err);
	if (rc == 0)
		rc = get_uint(obj, path, "port", 0, UINT16_MAX, 0, &port, err);
	if (rc == 0)
		rc = get_uint(obj, path, "panic_threshold_percent", 0, 100,
			      HEALTH_PANIC_PERCENT_DEFAULT, &s->panic_percent,
			      err);
	h->rise = (uint8_t)rise;
	h->fall = (uint8_t)fall;
	h->port = (uint16_t)port;
	return rc;
}

/* services[i].health_check: absent is "type": "none". */
static int parse_health_check(const cJSON *svc, const char *spath,
			      struct config_service *s,
			      struct config_error *err)
{
	static const char *const keys[] = { "type",
					    "interval_ms",
					    "timeout_ms",
					    "rise",
					    "fall",
					    "port",
					    "path",
					    "expect_status",
					    "body_contains",
					    "panic_threshold_percent",
					    NULL };
	const cJSON *obj = field(svc, "health_check");
	char path[SVC_PATH + 16];
	int type = HEALTH_NONE, rc;

	health_params_default(&s->health);
	s->panic_percent = HEALTH_PANIC_PERCENT_DEFAULT;
	if (obj == NULL)
		return 0;
	snprintf(path, sizeof(path), "%s.health_check", spath);
	rc = check_object(obj, path, keys, err);
	if (rc == 0)
		rc = get_enum(obj, path, "type", NAMES(health_type_names),
			      REQUIRED, &type, err);
	if (rc != 0)
		return rc;
	s->health.type = (enum health_type)type;
	if (type == HEALTH_NONE && obj->child->next != NULL)
		return fail_at(err, path, NULL,
			       "\"type\": \"none\" takes no other field");
	rc = parse_health_timing(obj, path, s, err);
	return rc == 0 ? parse_health_http(obj, path, &s->health, err) : rc;
}

/* A probe needs a port: the check's, the backend's or the service's. */
static int validate_health(const struct config_service *s, const char *path,
			   struct config_error *err)
{
	const struct health_params *h = &s->health;
	char hpath[SVC_PATH + 16];

	if (h->type == HEALTH_NONE)
		return 0;
	snprintf(hpath, sizeof(hpath), "%s.health_check", path);
	if (name_of(NAMES(health_type_names), h->type) == NULL)
		return fail_at(err, hpath, "type", "must be none, tcp or http");
	if (h->timeout_ms < HEALTH_TIMEOUT_MS_MIN ||
	    h->interval_ms < HEALTH_INTERVAL_MS_MIN ||
	    h->interval_ms > HEALTH_INTERVAL_MS_MAX ||
	    h->timeout_ms > h->interval_ms)
		return fail_at(err, hpath, "timeout_ms",
			       "must be %u..interval_ms",
			       HEALTH_TIMEOUT_MS_MIN);
	if (h->rise < 1 || h->rise > HEALTH_RISE_FALL_MAX || h->fall < 1 ||
	    h->fall > HEALTH_RISE_FALL_MAX)
		return fail_at(err, hpath, "rise",
			       "rise and fall must be 1..%u",
			       HEALTH_RISE_FALL_MAX);
	if (s->panic_percent > 100)
		return fail_at(err, hpath, "panic_threshold_percent",
			       "must be 0..100");
	if (h->port != 0 || s->port != 0)
		return 0;
	for (uint32_t j = 0; j < s->n_backends; j++)
		if (s->backends[j].port == 0)
			return fail_at(err, hpath, "port",
				       "required: the service and "
				       "backends[%u] have port 0",
				       j);
	return 0;
}

static bool health_equal(const struct config_service *a,
			 const struct config_service *b)
{
	const struct health_params *x = &a->health, *y = &b->health;

	if (x->type != y->type)
		return false;
	if (x->type == HEALTH_NONE)
		return true;
	return a->panic_percent == b->panic_percent &&
	       x->interval_ms == y->interval_ms &&
	       x->timeout_ms == y->timeout_ms && x->rise == y->rise &&
	       x->fall == y->fall && x->port == y->port &&
	       (x->type != HEALTH_HTTP ||
		(x->status_min == y->status_min &&
		 x->status_max == y->status_max &&
		 strcmp(x->path, y->path) == 0 &&
		 strcmp(x->body_contains, y->body_contains) == 0));
}

/* ------------------------------------------------------------------ */
/* JSON -> struct ep_config: services and backends                      */

static int parse_backend(const cJSON *obj, const char *path,
			 struct config_backend *b, struct config_error *err)
{
	static const char *const keys[] = { "address", "port", "weight",
					    "state",   "mac",  NULL };
	uint32_t port = 0, weight = 1;
	int state = EP_BE_UP, rc;
	const char *mac = NULL;

	rc = check_object(obj, path, keys, err);
	if (rc == 0)
		rc = get_ip(obj, path, "address", true, &b->addr, err);
	if (rc == 0)
		rc = get_uint(obj, path, "port", 0, UINT16_MAX, 0, &port, err);
	if (rc == 0)
		rc = get_uint(obj, path, "weight", 0, UINT16_MAX, 1, &weight,
			      err);
	if (rc == 0)
		rc = get_enum(obj, path, "state", NAMES(state_names), EP_BE_UP,
			      &state, err);
	if (rc == 0)
		rc = get_str(obj, path, "mac", false, &mac, err);
	if (rc == 0 && mac != NULL && !mac_parse(mac, b->mac))
		rc = fail_at(
			err, path, "mac",
			"must be a MAC address like \"02:00:00:00:00:01\"");
	b->port = (uint16_t)port;
	b->weight = (uint16_t)weight;
	b->state = (enum ep_backend_state)state;
	b->has_mac = mac != NULL;
	return rc;
}

/* The backends array; `*total` counts backends of all services so far,
 * so no allocation is ever larger than EP_MAX_BACKENDS entries. */
static int parse_backends(const cJSON *obj, const char *path,
			  struct config_service *s, uint32_t *total,
			  struct config_error *err)
{
	const cJSON *arr, *e;
	char bpath[PATH_BUF];
	uint32_t i, n;
	int rc;

	rc = get_array(obj, path, "backends", EP_MAX_BACKENDS, &arr, &n, err);
	if (rc != 0 || n == 0)
		return rc;
	if (n > EP_MAX_BACKENDS - *total)
		return fail_at(err, path, "backends",
			       "more than %u backends in all services",
			       EP_MAX_BACKENDS);
	*total += n;
	s->backends = calloc(n, sizeof(*s->backends));
	if (s->backends == NULL)
		return fail_nomem(err);
	s->n_backends = n;
	e = arr->child;
	for (i = 0; rc == 0 && i < n; i++, e = e->next)
		rc = parse_backend(
			e,
			index_path(bpath, sizeof(bpath), path, "backends", i),
			&s->backends[i], err);
	return rc;
}

/* Enumerated service fields, with their defaults. */
static int parse_service_modes(const cJSON *obj, const char *path,
			       struct config_service *s,
			       struct config_error *err)
{
	int proto = 0, fwd = EP_FWD_DSR, encap = CONFIG_ENCAP_IPIP;
	int sched = EP_SCHED_MAGLEV, aff = CONFIG_AFFINITY_NONE, rc;

	rc = get_enum(obj, path, "protocol", NAMES(proto_names), REQUIRED,
		      &proto, err);
	if (rc == 0)
		rc = get_enum(obj, path, "forwarding", NAMES(fwd_names),
			      EP_FWD_DSR, &fwd, err);
	if (rc == 0 && fwd != EP_FWD_ENCAP && field(obj, "encap") != NULL)
		rc = fail_at(err, path, "encap",
			     "only valid with \"forwarding\": \"encap\"");
	if (rc == 0)
		rc = get_enum(obj, path, "encap", NAMES(encap_names),
			      CONFIG_ENCAP_IPIP, &encap, err);
	if (rc == 0)
		rc = get_enum(obj, path, "scheduler", NAMES(sched_names),
			      EP_SCHED_MAGLEV, &sched, err);
	if (rc == 0)
		rc = get_enum(obj, path, "affinity", NAMES(affinity_names),
			      CONFIG_AFFINITY_NONE, &aff, err);
	s->proto = (uint8_t)proto;
	s->fwd = (enum ep_fwd_mode)fwd;
	s->encap = (enum config_encap)encap;
	s->sched = (enum ep_sched)sched;
	s->affinity = (enum config_affinity)aff;
	return rc;
}

static int parse_service(const cJSON *obj, const char *path,
			 struct config_service *s, uint32_t *total,
			 struct config_error *err)
{
	static const char *const keys[] = {
		"name",		"vip",	      "port",
		"protocol",	"forwarding", "encap",
		"scheduler",	"affinity",   "maglev_table_size",
		"backends",	"limits",     "acl",
		"health_check", "syn_proxy",  NULL
	};
	uint32_t port = 0;
	int rc;

	rc = check_object(obj, path, keys, err);
	if (rc == 0)
		rc = get_text(obj, path, "name", true, s->name, EP_NAME_LEN,
			      err);
	if (rc == 0)
		rc = get_ip(obj, path, "vip", true, &s->vip, err);
	if (rc == 0)
		rc = get_uint(obj, path, "port", 0, UINT16_MAX, REQUIRED, &port,
			      err);
	s->port = (uint16_t)port;
	if (rc == 0)
		rc = parse_service_modes(obj, path, s, err);
	if (rc == 0)
		rc = get_uint(obj, path, "maglev_table_size", 1,
			      EP_MAGLEV_MAX_SIZE, EP_MAGLEV_DEFAULT_SIZE,
			      &s->maglev_size, err);
	if (rc == 0)
		rc = parse_backends(obj, path, s, total, err);
	if (rc == 0)
		rc = parse_health_check(obj, path, s, err);
	return rc;
}

static int parse_services(const cJSON *root, struct ep_config *cfg,
			  struct config_error *err)
{
	const cJSON *arr, *e;
	char path[SVC_PATH];
	uint32_t i, n, total = 0;
	int rc;

	rc = get_array(root, "", "services", EP_MAX_SERVICES, &arr, &n, err);
	if (rc != 0 || n == 0)
		return rc;
	cfg->services = calloc(n, sizeof(*cfg->services));
	if (cfg->services == NULL)
		return fail_nomem(err);
	cfg->n_services = n;
	e = arr->child;
	for (i = 0; rc == 0 && i < n; i++, e = e->next) {
		uint32_t prefixes = 0;

		rc = parse_service(
			e, index_path(path, sizeof(path), "", "services", i),
			&cfg->services[i], &total, err);
		if (rc == 0) /* "limits" and "acl": config_policing.c */
			rc = cpol_parse_service(e, path, &cfg->services[i].pol,
						&prefixes, err);
	}
	return rc;
}

/* ------------------------------------------------------------------ */
/* JSON -> struct ep_config: api                                        */

static int parse_listener(const cJSON *obj, const char *path,
			  struct config_listener *l, struct config_error *err)
{
	static const char *const keys[] = { "address", "port", "tls", "unix",
					    NULL };
	static const char *const inet_keys[] = { "address", "port", "tls" };
	uint32_t i, port = 0;
	int rc;

	rc = check_object(obj, path, keys, err);
	if (rc != 0)
		return rc;
	l->is_unix = field(obj, "unix") != NULL;
	for (i = 0; l->is_unix && i < ARRAY_LEN(inet_keys); i++)
		if (field(obj, inet_keys[i]) != NULL)
			return fail_at(err, path, inet_keys[i],
				       "not valid with \"unix\"");
	if (l->is_unix)
		return get_text(obj, path, "unix", true, l->unix_path,
				CONFIG_UNIX_PATH_LEN, err);
	rc = get_ip(obj, path, "address", true, &l->addr, err);
	if (rc == 0)
		rc = get_uint(obj, path, "port", 1, UINT16_MAX, REQUIRED, &port,
			      err);
	if (rc == 0)
		rc = get_bool(obj, path, "tls", false, &l->tls, err);
	l->port = (uint16_t)port;
	return rc;
}

static int parse_subjects(const cJSON *obj, const char *key,
			  char subj[][CONFIG_SUBJECT_LEN], uint32_t *n,
			  struct config_error *err)
{
	const cJSON *arr, *e;
	char path[PATH_BUF];
	uint32_t i;
	int rc;

	rc = get_array(obj, "api.tls", key, CONFIG_MAX_SUBJECTS, &arr, n, err);
	e = arr != NULL ? arr->child : NULL;
	for (i = 0; rc == 0 && i < *n; i++, e = e->next) {
		index_path(path, sizeof(path), "api.tls", key, i);
		if (!cJSON_IsString(e) ||
		    !text_valid(e->valuestring, CONFIG_SUBJECT_LEN))
			return fail_at(err, path, NULL,
				       "must be a string of 1..%u characters",
				       CONFIG_SUBJECT_LEN - 1);
		memcpy(subj[i], e->valuestring, strlen(e->valuestring) + 1);
	}
	return rc;
}

static int parse_api_tls(const cJSON *obj, struct config_api *api,
			 struct config_error *err)
{
	static const char *const keys[] = { "certificate",     "private_key",
					    "client_ca",       "admin_subjects",
					    "reader_subjects", NULL };
	const char *p = "api.tls";
	int rc;

	api->has_tls = true;
	rc = check_object(obj, p, keys, err);
	if (rc == 0)
		rc = get_text(obj, p, "certificate", true, api->certificate,
			      CONFIG_PATH_LEN, err);
	if (rc == 0)
		rc = get_text(obj, p, "private_key", true, api->private_key,
			      CONFIG_PATH_LEN, err);
	if (rc == 0)
		rc = get_text(obj, p, "client_ca", false, api->client_ca,
			      CONFIG_PATH_LEN, err);
	if (rc == 0)
		rc = parse_subjects(obj, "admin_subjects", api->admin_subjects,
				    &api->n_admin_subjects, err);
	if (rc == 0)
		rc = parse_subjects(obj, "reader_subjects",
				    api->reader_subjects,
				    &api->n_reader_subjects, err);
	return rc;
}

static int parse_api(const cJSON *root, struct config_api *api,
		     struct config_error *err)
{
	static const char *const keys[] = { "listeners", "tls", NULL };
	const cJSON *obj = field(root, "api"), *arr = NULL, *tls, *e;
	char path[PATH_BUF];
	uint32_t i;
	int rc;

	if (obj == NULL)
		return 0;
	api->present = true;
	rc = check_object(obj, "api", keys, err);
	if (rc == 0 && field(obj, "listeners") == NULL)
		rc = missing(err, "api", "listeners");
	if (rc == 0)
		rc = get_array(obj, "api", "listeners", CONFIG_MAX_LISTENERS,
			       &arr, &api->n_listeners, err);
	e = arr != NULL ? arr->child : NULL;
	for (i = 0; rc == 0 && i < api->n_listeners; i++, e = e->next)
		rc = parse_listener(
			e,
			index_path(path, sizeof(path), "api", "listeners", i),
			&api->listeners[i], err);
	tls = field(obj, "tls");
	if (rc == 0 && tls != NULL)
		rc = parse_api_tls(tls, api, err);
	return rc;
}

static int parse_document(const cJSON *root, struct ep_config *cfg,
			  struct config_error *err)
{
	static const char *const keys[] = { "node", "services", "api",
					    "policing", NULL };
	uint32_t prefixes = 0;
	int rc;

	rc = check_object(root, "", keys, err);
	if (rc == 0)
		rc = parse_node(root, &cfg->node, err);
	if (rc == 0)
		rc = parse_services(root, cfg, err);
	if (rc == 0)
		rc = parse_api(root, &cfg->api, err);
	if (rc == 0)
		rc = cpol_parse_global(root, &cfg->pol, &prefixes, err);
	return rc;
}

/* The checks on the text that come before and apart from cJSON's. */
static int check_text(const char *text, size_t len, struct config_error *err)
{
	if (text == NULL)
		return fail(err, "document: missing");
	/* Checked before any parsing, so size costs nothing to refuse. */
	if (len > CONFIG_MAX_BYTES) {
		fail(err, "document: %zu bytes, larger than the limit of %u",
		     len, CONFIG_MAX_BYTES);
		return -EMSGSIZE;
	}
	return config_json_check(text, len, "", err);
}

/* The parsed document into `out`, validated; `out` is freed on error. */
static int parse_root(const cJSON *root, struct ep_config *out,
		      struct config_error *err)
{
	int rc = parse_document(root, out, err);

	if (rc == 0)
		rc = config_validate(out, err);
	if (rc != 0)
		config_free(out);
	return rc;
}

int config_parse(const char *text, size_t len, struct ep_config *out,
		 struct config_error *err)
{
	cJSON *root;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = check_text(text, len, err);
	if (rc == 0)
		rc = json_load(text, len, &root, err);
	if (rc != 0)
		return rc;
	rc = parse_root(root, out, err);
	cJSON_Delete(root);
	return rc;
}

int config_parse_tree(const char *text, size_t len, const struct cJSON *root,
		      struct ep_config *out, struct config_error *err)
{
	int rc;

	memset(out, 0, sizeof(*out));
	rc = check_text(text, len, err);
	if (rc == 0 && root == NULL)
		rc = fail(err, "document: missing");
	return rc != 0 ? rc : parse_root(root, out, err);
}

/* ------------------------------------------------------------------ */
/* Semantic validation of struct ep_config                              */

/* `ip` must be a unicast address (any family unless `family` is set). */
static int check_unicast(const char *path, const char *key,
			 const struct ep_ip *ip, uint8_t family,
			 struct config_error *err)
{
	char a[INET6_ADDRSTRLEN];

	if (!ip_valid(ip) || (family != 0 && ip->family != family))
		return fail_at(err, path, key, "must be an %s address",
			       family != 0 ? family_name(family)
					   : "IPv4 or IPv6");
	if (!ip_is_unicast(ip))
		return fail_at(err, path, key,
			       "must be a unicast address, not %s",
			       ip_str(ip, a));
	return 0;
}

static int validate_node_addrs(const struct config_node *node,
			       struct config_error *err)
{
	char path[PATH_BUF];
	uint32_t i, j;
	int rc;

	if (node->n_addrs > EP_MAX_NODE_ADDRS)
		return fail(err, "node.addresses: at most %u entries",
			    EP_MAX_NODE_ADDRS);
	for (i = 0; i < node->n_addrs; i++) {
		index_path(path, sizeof(path), "node", "addresses", i);
		rc = check_unicast(path, "address", &node->addrs[i].addr, 0,
				   err);
		if (rc != 0)
			return rc;
		if (node->addrs[i].port_id >= EP_MAX_PORTS)
			return fail_at(err, path, "port", "must be 0..%u",
				       EP_MAX_PORTS - 1);
		for (j = 0; j < i; j++)
			if (ip_equal(&node->addrs[j].addr,
				     &node->addrs[i].addr))
				return fail_at(
					err, path, "address",
					"duplicate of node.addresses[%u]", j);
	}
	return 0;
}

static int validate_node(const struct config_node *node,
			 struct config_error *err)
{
	int rc = validate_node_addrs(node, err);

	if (rc != 0)
		return rc;
	if (node->backend_port >= EP_MAX_PORTS)
		return fail(err, "node.backend_port: must be 0..%u",
			    EP_MAX_PORTS - 1);
	if (node->gue_port == 0)
		return fail(err, "node.gue_port: must be 1..65535");
	if (name_of(NAMES(maglev_rebuild_names), node->maglev_rebuild) == NULL)
		return fail_at(err, "node", "maglev_rebuild",
			       MAGLEV_REBUILD_RULE);
	if (node->encap_src4.family != 0)
		rc = check_unicast("node", "encap_source_v4", &node->encap_src4,
				   EP_AF_INET, err);
	if (rc == 0 && node->encap_src6.family != 0)
		rc = check_unicast("node", "encap_source_v6", &node->encap_src6,
				   EP_AF_INET6, err);
	return rc;
}

static int validate_backend(const struct config_service *s,
			    const struct config_backend *b, const char *path,
			    struct config_error *err)
{
	int rc = check_unicast(path, "address", &b->addr, 0, err);

	if (rc != 0)
		return rc;
	/* Same family in every mode: dsr and nat cannot translate families,
	 * and encap keeps the fast path to 4-in-4 and 6-in-6. */
	if (b->addr.family != s->vip.family)
		return fail_at(err, path, "address",
			       "%s backend for an %s VIP (families must match)",
			       family_name(b->addr.family),
			       family_name(s->vip.family));
	if (ip_equal(&b->addr, &s->vip))
		return fail_at(err, path, "address", "must not be the VIP");
	/* dsr and encap deliver the client's packet unchanged: no port
	 * rewrite is possible, so only "the packet's port" makes sense. */
	if (s->fwd != EP_FWD_NAT && b->port != 0 && b->port != s->port)
		return fail_at(err, path, "port",
			       "must be 0 or the service port %u (%s cannot "
			       "change ports)",
			       s->port, name_of(NAMES(fwd_names), s->fwd));
	if (name_of(NAMES(state_names), b->state) == NULL)
		return fail_at(err, path, "state", "must be up, down or drain");
	if (b->has_mac && !mac_is_unicast(b->mac))
		return fail_at(err, path, "mac",
			       "must be a unicast MAC address");
	return 0;
}

struct be_key {
	struct ep_ip addr;
	uint16_t port;
	uint32_t idx;
};

static int be_key_cmp(const void *pa, const void *pb)
{
	const struct be_key *a = pa, *b = pb;
	int c = memcmp(&a->addr, &b->addr, sizeof(a->addr));

	if (c == 0)
		c = (int)a->port - (int)b->port;
	if (c == 0)
		c = a->idx < b->idx ? -1 : a->idx > b->idx;
	return c;
}

/*
 * No (address, port) twice in one service. Sorted rather than compared
 * pairwise: one service may hold all EP_MAX_BACKENDS backends. Reports the
 * duplicate that comes first in document order.
 */
static int validate_backend_dups(const struct config_service *s,
				 const char *path, struct config_error *err)
{
	struct be_key *k;
	uint32_t i, first = 0, dup = UINT32_MAX;
	char a[INET6_ADDRSTRLEN];

	if (s->n_backends < 2)
		return 0;
	k = calloc(s->n_backends, sizeof(*k));
	if (k == NULL)
		return fail_nomem(err);
	for (i = 0; i < s->n_backends; i++) {
		k[i].addr = ip_flat(&s->backends[i].addr);
		k[i].port = s->backends[i].port;
		k[i].idx = i;
	}
	qsort(k, s->n_backends, sizeof(*k), be_key_cmp);
	for (i = 1; i < s->n_backends; i++)
		if (ip_equal(&k[i].addr, &k[i - 1].addr) &&
		    k[i].port == k[i - 1].port && k[i].idx < dup) {
			dup = k[i].idx;
			first = k[i - 1].idx;
		}
	free(k);
	if (dup == UINT32_MAX)
		return 0;
	return fail(err,
		    "%s.backends[%u]: duplicate of backends[%u] (%s port %u)",
		    path, dup, first, ip_str(&s->backends[dup].addr, a),
		    s->backends[dup].port);
}

static int validate_modes(const struct ep_config *cfg,
			  const struct config_service *s, const char *path,
			  struct config_error *err)
{
	const struct ep_ip *src;

	if (name_of(NAMES(proto_names), s->proto) == NULL)
		return fail_at(err, path, "protocol", "must be tcp or udp");
	if (name_of(NAMES(fwd_names), s->fwd) == NULL)
		return fail_at(err, path, "forwarding",
			       "must be dsr, nat or encap");
	if (name_of(NAMES(encap_names), s->encap) == NULL ||
	    (s->fwd != EP_FWD_ENCAP && s->encap != CONFIG_ENCAP_IPIP))
		return fail_at(
			err, path, "encap",
			"only ipip or gue, and only with forwarding encap");
	if (name_of(NAMES(sched_names), s->sched) == NULL)
		return fail_at(err, path, "scheduler",
			       "must be maglev, rr, wrr or lc");
	if (name_of(NAMES(affinity_names), s->affinity) == NULL)
		return fail_at(err, path, "affinity",
			       "must be none or source-ip");
	src = s->vip.family == EP_AF_INET ? &cfg->node.encap_src4
					  : &cfg->node.encap_src6;
	if (s->fwd == EP_FWD_ENCAP && src->family == 0)
		return fail_at(
			err, path, "forwarding",
			"encap needs node.encap_source_v%c for an %s VIP",
			s->vip.family == EP_AF_INET ? '4' : '6',
			family_name(s->vip.family));
	return 0;
}

static int validate_service(const struct ep_config *cfg, uint32_t i,
			    struct config_error *err)
{
	const struct config_service *s = &cfg->services[i];
	char path[SVC_PATH], bpath[PATH_BUF];
	uint32_t j;
	int rc;

	index_path(path, sizeof(path), "", "services", i);
	if (!name_valid(s->name))
		return fail_at(err, path, "name",
			       "must be 1..%u characters of " NAME_CHARS,
			       EP_NAME_LEN - 1);
	rc = check_unicast(path, "vip", &s->vip, 0, err);
	for (j = 0; rc == 0 && j < cfg->node.n_addrs; j++)
		if (ip_equal(&s->vip, &cfg->node.addrs[j].addr))
			rc = fail_at(err, path, "vip",
				     "is node.addresses[%u]; a VIP must not be "
				     "a node address",
				     j);
	if (rc == 0)
		rc = validate_modes(cfg, s, path, err);
	if (rc != 0)
		return rc;
	if (!ep_is_prime(s->maglev_size) || s->maglev_size > EP_MAGLEV_MAX_SIZE)
		return fail_at(err, path, "maglev_table_size",
			       "must be a prime number up to %u",
			       EP_MAGLEV_MAX_SIZE);
	if (s->maglev_size < s->n_backends)
		return fail_at(err, path, "maglev_table_size",
			       "must be at least the number of backends (%u)",
			       s->n_backends);
	for (j = 0; rc == 0 && j < s->n_backends; j++) {
		rc = validate_backend(
			s, &s->backends[j],
			index_path(bpath, sizeof(bpath), path, "backends", j),
			err);
	}
	if (rc == 0)
		rc = validate_backend_dups(s, path, err);
	if (rc == 0)
		rc = validate_health(s, path, err);
	if (rc == 0)
		rc = cpol_validate_syn_proxy(&s->pol, path, s->fwd, s->proto,
					     err);
	return rc != 0 ? rc : cpol_validate_service(&s->pol, path, err);
}

/*
 * First-index table for validate_service_clashes(): each key (a name, a
 * (vip, protocol, port) or a (vip, protocol)) maps to the first service
 * that has it. Keys are built zeroed so they compare and hash as bytes.
 */
enum clash_kind {
	CLASH_NAME = 1,
	CLASH_PORT = 2, /* vip, protocol and port */
	CLASH_VIP = 3, /* vip and protocol, any port */
};

struct clash_key {
	char name[EP_NAME_LEN];
	struct ep_ip vip;
	uint16_t port;
	uint8_t proto;
	uint8_t kind;
};

struct clash_slot {
	struct clash_key key;
	uint32_t first; /* IDS_NONE: empty slot */
};

struct clash_table {
	struct clash_slot *slots;
	uint32_t mask;
};

/* Room for `n` keys at a load factor of at most 1/2. */
static int clash_init(struct clash_table *t, uint32_t n)
{
	uint32_t i, size = 16;

	while (size < 2 * n)
		size <<= 1;
	t->mask = size - 1;
	t->slots = malloc(size * sizeof(*t->slots));
	if (t->slots == NULL)
		return -ENOMEM;
	for (i = 0; i < size; i++)
		t->slots[i].first = IDS_NONE;
	return 0;
}

/*
 * FNV-1a over a key's bytes: the keys (service identities, clash keys)
 * are short and not chosen by packets, so a simple hash is plenty.
 */
static uint32_t fnv1a(const void *key, size_t len)
{
	const uint8_t *p = key;
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

static uint32_t clash_hash(const struct clash_key *k)
{
	return fnv1a(k, sizeof(*k));
}

/* The first service recorded with key `k`, or IDS_NONE; `*slot` is where
 * the search ended (the key's slot, or the empty one it would take). */
static uint32_t clash_find(const struct clash_table *t,
			   const struct clash_key *k, uint32_t *slot)
{
	uint32_t h = clash_hash(k) & t->mask;

	while (t->slots[h].first != IDS_NONE) {
		if (memcmp(&t->slots[h].key, k, sizeof(*k)) == 0)
			break;
		h = (h + 1) & t->mask;
	}
	*slot = h;
	return t->slots[h].first;
}

static void clash_key_make(struct clash_key *k, enum clash_kind kind,
			   const struct config_service *s)
{
	memset(k, 0, sizeof(*k));
	k->kind = (uint8_t)kind;
	if (kind == CLASH_NAME) {
		memcpy(k->name, s->name, strnlen(s->name, EP_NAME_LEN - 1));
		return;
	}
	k->vip = ip_flat(&s->vip);
	k->proto = s->proto;
	if (kind == CLASH_PORT)
		k->port = s->port;
}

/* The first service before `i` with i's key of `kind`, or IDS_NONE;
 * records service i when it is the first. */
static uint32_t clash_check(struct clash_table *t, enum clash_kind kind,
			    const struct ep_config *cfg, uint32_t i)
{
	struct clash_key k;
	uint32_t slot, first;

	clash_key_make(&k, kind, &cfg->services[i]);
	first = clash_find(t, &k, &slot);
	if (first == IDS_NONE) {
		t->slots[slot].key = k;
		t->slots[slot].first = i;
	}
	return first;
}

static uint32_t min_u32(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

/*
 * The earliest service before `i` that would claim some of its packets
 * (same vip and protocol, and the same port or port 0 on either side),
 * or IDS_NONE; records service i. Port 0 overlaps every earlier service
 * of its (vip, protocol); port p the first with p and the first with 0.
 */
static uint32_t clash_overlap(struct clash_table *t,
			      const struct ep_config *cfg, uint32_t i)
{
	uint32_t any = clash_check(t, CLASH_VIP, cfg, i);
	uint32_t same = clash_check(t, CLASH_PORT, cfg, i);
	struct clash_key k;
	uint32_t slot;

	if (cfg->services[i].port == 0)
		return any;
	clash_key_make(&k, CLASH_PORT, &cfg->services[i]);
	k.port = 0;
	return min_u32(same, clash_find(t, &k, &slot));
}

static int clash_fail(const struct ep_config *cfg, uint32_t i, uint32_t j,
		      bool by_name, struct config_error *err)
{
	const struct config_service *a = &cfg->services[j];
	const struct config_service *b = &cfg->services[i];
	char ip[INET6_ADDRSTRLEN], buf[48];

	if (by_name)
		return fail(err,
			    "services[%u].name: duplicate service name \"%s\"",
			    i, shown(b->name, buf));
	return fail(err,
		    "services[%u]: %s port %u %s overlaps services[%u] "
		    "(\"%s\", port %u; port 0 means every port)",
		    i, ip_str(&b->vip, ip), b->port,
		    name_of(NAMES(proto_names), b->proto), j,
		    shown(a->name, buf), a->port);
}

/*
 * Names unique, (vip, port, protocol) unique. Reports what the pairwise
 * search would: the first service i that clashes with an earlier one,
 * with the earliest such j, and a duplicate name before an overlap when
 * both concern that j. Linear: a hash of first occurrences, since the
 * pairwise search was the largest cost of a 1000-service PUT.
 */
static int validate_service_clashes(const struct ep_config *cfg,
				    struct config_error *err)
{
	struct clash_table t;
	uint32_t i, by_name, overlap;
	int rc = 0;

	if (cfg->n_services < 2)
		return 0;
	/* Each service adds at most three keys. */
	if (clash_init(&t, 3 * cfg->n_services + 1) != 0)
		return fail_nomem(err);
	for (i = 0; rc == 0 && i < cfg->n_services; i++) {
		by_name = clash_check(&t, CLASH_NAME, cfg, i);
		overlap = clash_overlap(&t, cfg, i);
		if (by_name != IDS_NONE || overlap != IDS_NONE)
			rc = clash_fail(cfg, i, min_u32(by_name, overlap),
					by_name <= overlap, err);
	}
	free(t.slots);
	return rc;
}

static int validate_services(const struct ep_config *cfg,
			     struct config_error *err)
{
	uint64_t total = 0;
	uint32_t i;
	int rc;

	if (cfg->n_services > EP_MAX_SERVICES)
		return fail(err, "services: at most %u entries",
			    EP_MAX_SERVICES);
	for (i = 0; i < cfg->n_services; i++) {
		total += cfg->services[i].n_backends;
		if (total > EP_MAX_BACKENDS)
			return fail(err,
				    "services[%u].backends: more than %u "
				    "backends in all services",
				    i, EP_MAX_BACKENDS);
		rc = validate_service(cfg, i, err);
		if (rc != 0)
			return rc;
	}
	return validate_service_clashes(cfg, err);
}

/* Two listeners that bind() would refuse: same unix path, or same port
 * and family with the same address or a wildcard on either side. */
static bool listeners_clash(const struct config_listener *a,
			    const struct config_listener *b)
{
	if (a->is_unix || b->is_unix)
		return a->is_unix && b->is_unix &&
		       strncmp(a->unix_path, b->unix_path,
			       CONFIG_UNIX_PATH_LEN) == 0;
	return a->port == b->port && a->addr.family == b->addr.family &&
	       (ip_equal(&a->addr, &b->addr) || ip_is_any(&a->addr) ||
		ip_is_any(&b->addr));
}

static int validate_listener(const struct config_api *api, uint32_t i,
			     struct config_error *err)
{
	const struct config_listener *l = &api->listeners[i];
	char path[PATH_BUF], a[INET6_ADDRSTRLEN];
	uint32_t j;

	index_path(path, sizeof(path), "api", "listeners", i);
	for (j = 0; j < i; j++)
		if (listeners_clash(&api->listeners[j], l))
			return fail_at(
				err, path, NULL,
				"same address and port as api.listeners[%u]",
				j);
	if (l->is_unix && (l->unix_path[0] != '/' ||
			   !text_valid(l->unix_path, CONFIG_UNIX_PATH_LEN)))
		return fail_at(err, path, "unix",
			       "must be an absolute path of at most %u bytes",
			       CONFIG_UNIX_PATH_LEN - 1);
	if (l->is_unix)
		return 0;
	if (!ip_valid(&l->addr) ||
	    (!ip_is_any(&l->addr) && !ip_is_unicast(&l->addr)))
		return fail_at(err, path, "address",
			       "must be a unicast or wildcard address");
	if (l->port == 0)
		return fail_at(err, path, "port", "must be 1..65535");
	if (!l->tls && !ip_is_loopback(&l->addr))
		return fail_at(err, path, "tls",
			       "must be true on %s: cleartext only on loopback "
			       "addresses and unix sockets",
			       ip_str(&l->addr, a));
	if (l->tls && !api->has_tls)
		return fail_at(
			err, path, "tls",
			"needs api.tls.certificate and api.tls.private_key");
	return 0;
}

static int validate_subjects(const char subj[][CONFIG_SUBJECT_LEN], uint32_t n,
			     const char *key, bool has_ca,
			     struct config_error *err)
{
	uint32_t i;

	if (n > CONFIG_MAX_SUBJECTS)
		return fail(err, "api.tls.%s: at most %u entries", key,
			    CONFIG_MAX_SUBJECTS);
	if (n > 0 && !has_ca)
		return fail(err,
			    "api.tls.%s: needs api.tls.client_ca (subjects "
			    "come from client certificates)",
			    key);
	for (i = 0; i < n; i++)
		if (!text_valid(subj[i], CONFIG_SUBJECT_LEN))
			return fail(err,
				    "api.tls.%s[%u]: must be 1..%u characters",
				    key, i, CONFIG_SUBJECT_LEN - 1);
	return 0;
}

static int validate_api_tls(const struct config_api *api,
			    struct config_error *err)
{
	bool has_ca = api->client_ca[0] != '\0';
	int rc;

	if (!text_valid(api->certificate, CONFIG_PATH_LEN))
		return fail(err,
			    "api.tls.certificate: must be a path of 1..%u "
			    "characters",
			    CONFIG_PATH_LEN - 1);
	if (!text_valid(api->private_key, CONFIG_PATH_LEN))
		return fail(err,
			    "api.tls.private_key: must be a path of 1..%u "
			    "characters",
			    CONFIG_PATH_LEN - 1);
	if (has_ca && !text_valid(api->client_ca, CONFIG_PATH_LEN))
		return fail(
			err,
			"api.tls.client_ca: must be a path of 1..%u characters",
			CONFIG_PATH_LEN - 1);
	rc = validate_subjects(api->admin_subjects, api->n_admin_subjects,
			       "admin_subjects", has_ca, err);
	if (rc == 0)
		rc = validate_subjects(api->reader_subjects,
				       api->n_reader_subjects,
				       "reader_subjects", has_ca, err);
	return rc;
}

static int validate_api(const struct config_api *api, struct config_error *err)
{
	uint32_t i;
	int rc = 0;

	if (!api->present)
		return 0;
	if (api->n_listeners == 0 || api->n_listeners > CONFIG_MAX_LISTENERS)
		return fail(err, "api.listeners: must list 1..%u listeners",
			    CONFIG_MAX_LISTENERS);
	for (i = 0; rc == 0 && i < api->n_listeners; i++)
		rc = validate_listener(api, i, err);
	if (rc == 0 && api->has_tls)
		rc = validate_api_tls(api, err);
	return rc;
}

int config_validate(const struct ep_config *cfg, struct config_error *err)
{
	int rc = validate_node(&cfg->node, err);

	if (rc == 0)
		rc = validate_services(cfg, err);
	if (rc == 0)
		rc = validate_api(&cfg->api, err);
	if (rc == 0)
		rc = cpol_validate_global(&cfg->pol, err);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Ownership and comparison                                             */

void config_free(struct ep_config *cfg)
{
	uint32_t i;

	for (i = 0; cfg->services != NULL && i < cfg->n_services; i++) {
		free(cfg->services[i].backends);
		cpol_free_service(&cfg->services[i].pol);
	}
	free(cfg->services);
	cpol_free_global(&cfg->pol);
	memset(cfg, 0, sizeof(*cfg));
}

int config_copy(struct ep_config *dst, const struct ep_config *src)
{
	struct config_service *s;
	uint32_t i;

	*dst = *src;
	dst->services = NULL;
	dst->n_services = 0;
	if (cpol_copy_global(&dst->pol, &src->pol) != 0)
		goto fail;
	if (src->n_services == 0)
		return 0;
	dst->services = calloc(src->n_services, sizeof(*dst->services));
	if (dst->services == NULL)
		goto fail;
	dst->n_services = src->n_services;
	for (i = 0; i < src->n_services; i++) {
		s = &dst->services[i];
		*s = src->services[i];
		s->backends = NULL;
		if (cpol_copy_service(&s->pol, &src->services[i].pol) != 0)
			goto fail;
		if (s->n_backends == 0)
			continue;
		s->backends = malloc(s->n_backends * sizeof(*s->backends));
		if (s->backends == NULL)
			goto fail;
		memcpy(s->backends, src->services[i].backends,
		       s->n_backends * sizeof(*s->backends));
	}
	return 0;
fail:
	config_free(dst);
	return -ENOMEM;
}

static bool backend_equal(const struct config_backend *a,
			  const struct config_backend *b)
{
	return ip_equal(&a->addr, &b->addr) && a->port == b->port &&
	       a->weight == b->weight && a->state == b->state &&
	       a->has_mac == b->has_mac &&
	       (!a->has_mac || memcmp(a->mac, b->mac, 6) == 0);
}

static bool service_equal(const struct config_service *a,
			  const struct config_service *b)
{
	uint32_t i;

	if (strncmp(a->name, b->name, EP_NAME_LEN) != 0 ||
	    !ip_equal(&a->vip, &b->vip) || a->port != b->port ||
	    a->proto != b->proto || a->fwd != b->fwd || a->encap != b->encap ||
	    a->sched != b->sched || a->affinity != b->affinity ||
	    a->maglev_size != b->maglev_size ||
	    a->n_backends != b->n_backends || !health_equal(a, b) ||
	    !cpol_equal_service(&a->pol, &b->pol))
		return false;
	for (i = 0; i < a->n_backends; i++)
		if (!backend_equal(&a->backends[i], &b->backends[i]))
			return false;
	return true;
}

static bool node_equal(const struct config_node *a, const struct config_node *b)
{
	uint32_t i;

	if (a->n_addrs != b->n_addrs || a->backend_port != b->backend_port ||
	    a->gue_port != b->gue_port ||
	    a->maglev_rebuild != b->maglev_rebuild ||
	    !ip_equal(&a->encap_src4, &b->encap_src4) ||
	    !ip_equal(&a->encap_src6, &b->encap_src6))
		return false;
	for (i = 0; i < a->n_addrs && i < EP_MAX_NODE_ADDRS; i++)
		if (!ip_equal(&a->addrs[i].addr, &b->addrs[i].addr) ||
		    a->addrs[i].port_id != b->addrs[i].port_id)
			return false;
	return true;
}

static bool listener_equal(const struct config_listener *a,
			   const struct config_listener *b)
{
	if (a->is_unix != b->is_unix)
		return false;
	if (a->is_unix)
		return strncmp(a->unix_path, b->unix_path,
			       CONFIG_UNIX_PATH_LEN) == 0;
	return ip_equal(&a->addr, &b->addr) && a->port == b->port &&
	       a->tls == b->tls;
}

static bool subjects_equal(const char a[][CONFIG_SUBJECT_LEN], uint32_t na,
			   const char b[][CONFIG_SUBJECT_LEN], uint32_t nb)
{
	uint32_t i;

	if (na != nb)
		return false;
	for (i = 0; i < na && i < CONFIG_MAX_SUBJECTS; i++)
		if (strncmp(a[i], b[i], CONFIG_SUBJECT_LEN) != 0)
			return false;
	return true;
}

static bool api_tls_equal(const struct config_api *a,
			  const struct config_api *b)
{
	return strncmp(a->certificate, b->certificate, CONFIG_PATH_LEN) == 0 &&
	       strncmp(a->private_key, b->private_key, CONFIG_PATH_LEN) == 0 &&
	       strncmp(a->client_ca, b->client_ca, CONFIG_PATH_LEN) == 0 &&
	       subjects_equal(a->admin_subjects, a->n_admin_subjects,
			      b->admin_subjects, b->n_admin_subjects) &&
	       subjects_equal(a->reader_subjects, a->n_reader_subjects,
			      b->reader_subjects, b->n_reader_subjects);
}

static bool api_equal(const struct config_api *a, const struct config_api *b)
{
	uint32_t i;

	if (a->present != b->present)
		return false;
	if (!a->present)
		return true;
	if (a->n_listeners != b->n_listeners || a->has_tls != b->has_tls)
		return false;
	for (i = 0; i < a->n_listeners && i < CONFIG_MAX_LISTENERS; i++)
		if (!listener_equal(&a->listeners[i], &b->listeners[i]))
			return false;
	return !a->has_tls || api_tls_equal(a, b);
}

bool config_equal(const struct ep_config *a, const struct ep_config *b)
{
	uint32_t i;

	if (!node_equal(&a->node, &b->node) || a->n_services != b->n_services ||
	    !api_equal(&a->api, &b->api) ||
	    !cpol_equal_global(&a->pol, &b->pol))
		return false;
	for (i = 0; i < a->n_services; i++)
		if (!service_equal(&a->services[i], &b->services[i]))
			return false;
	return true;
}

/* ------------------------------------------------------------------ */
/* struct ep_config -> canonical JSON                                   */

/*
 * Written directly rather than through a cJSON tree: building and printing
 * the tree (an allocation per value, sprintf and sscanf per number) was
 * the slow path's largest cost for a 1000-service PUT. The output is what
 * cJSON_PrintUnformatted() gives for the same tree, byte for byte (tests
 * compare them), so persisted files and GET /v1/config did not change.
 */
struct jbuf {
	char *p;
	size_t len;
	size_t cap;
	bool failed; /* out of memory: every later write is a no-op */
};

static void jb_put(struct jbuf *b, const char *s, size_t n)
{
	size_t cap;
	char *p;

	if (b->failed)
		return;
	if (n > b->cap - b->len) {
		cap = b->cap != 0 ? b->cap : 4096;
		while (n > cap - b->len)
			cap *= 2;
		p = realloc(b->p, cap);
		if (p == NULL) {
			b->failed = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

static void jb_raw(struct jbuf *b, const char *s)
{
	jb_put(b, s, strlen(s));
}

/* A JSON string, escaped as cJSON escapes it: quote, backslash and
 * control characters; everything else (UTF-8 included) as it is. */
static void jb_str(struct jbuf *b, const char *s)
{
	static const char short_esc[] = "btn?fr"; /* \b .. \r, 8..13 */
	const char *run = s;
	char esc[8];

	jb_put(b, "\"", 1);
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		jb_put(b, run, (size_t)(s - run));
		run = s + 1;
		if (c == '"' || c == '\\')
			snprintf(esc, sizeof(esc), "\\%c", c);
		else if (c >= '\b' && c <= '\r' && c != '\v')
			snprintf(esc, sizeof(esc), "\\%c", short_esc[c - '\b']);
		else
			snprintf(esc, sizeof(esc), "\\u%04x", c);
		jb_raw(b, esc);
	}
	jb_put(b, run, (size_t)(s - run));
	jb_put(b, "\"", 1);
}

/* `"key":`, after a comma unless `first`. */
static void jb_key(struct jbuf *b, const char *key, bool first)
{
	if (!first)
		jb_put(b, ",", 1);
	jb_str(b, key);
	jb_put(b, ":", 1);
}

static void jb_kstr(struct jbuf *b, const char *key, const char *v)
{
	jb_key(b, key, false);
	jb_str(b, v);
}

/* Every number here is a non-negative integer: cJSON prints it "%d". */
static void jb_knum(struct jbuf *b, const char *key, uint32_t v)
{
	char digits[10], *d = digits + sizeof(digits);

	jb_key(b, key, false);
	do {
		*--d = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	jb_put(b, d, (size_t)(digits + sizeof(digits) - d));
}

static void jb_ip(struct jbuf *b, const struct ep_ip *ip)
{
	char a[INET6_ADDRSTRLEN];

	jb_str(b, ip_str(ip, a));
}

static void jb_kip(struct jbuf *b, const char *key, const struct ep_ip *ip)
{
	jb_key(b, key, false);
	jb_ip(b, ip);
}

/* Opens an object whose first member is `key`: `{"key":`. */
static void jb_open(struct jbuf *b, const char *key)
{
	jb_put(b, "{", 1);
	jb_key(b, key, true);
}

static void json_node(struct jbuf *b, const struct config_node *n)
{
	uint32_t i;

	jb_raw(b, "{\"addresses\":[");
	for (i = 0; i < n->n_addrs; i++) {
		jb_raw(b, i > 0 ? ",{" : "{");
		jb_key(b, "address", true);
		jb_ip(b, &n->addrs[i].addr);
		jb_knum(b, "port", n->addrs[i].port_id);
		jb_raw(b, "}");
	}
	jb_raw(b, "]");
	jb_knum(b, "backend_port", n->backend_port);
	if (n->encap_src4.family != 0)
		jb_kip(b, "encap_source_v4", &n->encap_src4);
	if (n->encap_src6.family != 0)
		jb_kip(b, "encap_source_v6", &n->encap_src6);
	jb_knum(b, "gue_port", n->gue_port);
	jb_kstr(b, "maglev_rebuild",
		name_of(NAMES(maglev_rebuild_names), n->maglev_rebuild));
	jb_raw(b, "}");
}

/* Members config_policing.c rendered (malloc'd, NULL: out of memory). */
static void jb_policing(struct jbuf *b, char *members)
{
	if (members == NULL)
		b->failed = true;
	else
		jb_raw(b, members);
	free(members);
}

static void json_backend(struct jbuf *b, const struct config_backend *be)
{
	char mac[18];

	jb_open(b, "address");
	jb_ip(b, &be->addr);
	jb_knum(b, "port", be->port);
	jb_knum(b, "weight", be->weight);
	jb_kstr(b, "state", name_of(NAMES(state_names), be->state));
	if (be->has_mac) {
		snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x",
			 be->mac[0], be->mac[1], be->mac[2], be->mac[3],
			 be->mac[4], be->mac[5]);
		jb_kstr(b, "mac", mac);
	}
	jb_raw(b, "}");
}

/* health_check, only when it probes (as encap only for encap). */
static void json_health(struct jbuf *b, const struct config_service *s)
{
	const struct health_params *h = &s->health;
	char status[16];

	if (h->type == HEALTH_NONE)
		return;
	jb_key(b, "health_check", false);
	jb_open(b, "type");
	jb_str(b, name_of(NAMES(health_type_names), h->type));
	jb_knum(b, "interval_ms", h->interval_ms);
	jb_knum(b, "timeout_ms", h->timeout_ms);
	jb_knum(b, "rise", h->rise);
	jb_knum(b, "fall", h->fall);
	jb_knum(b, "port", h->port);
	if (h->type == HEALTH_HTTP) {
		jb_kstr(b, "path", h->path);
		snprintf(status, sizeof(status), "%u-%u", h->status_min,
			 h->status_max);
		jb_kstr(b, "expect_status", status);
		if (h->body_contains[0])
			jb_kstr(b, "body_contains", h->body_contains);
	}
	jb_knum(b, "panic_threshold_percent", s->panic_percent);
	jb_raw(b, "}");
}

static void json_service(struct jbuf *b, const struct config_service *s)
{
	uint32_t i;

	jb_open(b, "name");
	jb_str(b, s->name);
	jb_kip(b, "vip", &s->vip);
	jb_knum(b, "port", s->port);
	jb_kstr(b, "protocol", name_of(NAMES(proto_names), s->proto));
	jb_kstr(b, "forwarding", name_of(NAMES(fwd_names), s->fwd));
	if (s->fwd == EP_FWD_ENCAP)
		jb_kstr(b, "encap", name_of(NAMES(encap_names), s->encap));
	jb_kstr(b, "scheduler", name_of(NAMES(sched_names), s->sched));
	jb_kstr(b, "affinity", name_of(NAMES(affinity_names), s->affinity));
	jb_knum(b, "maglev_table_size", s->maglev_size);
	jb_policing(b, cpol_json_service(&s->pol));
	json_health(b, s);
	jb_raw(b, ",\"backends\":[");
	for (i = 0; i < s->n_backends; i++) {
		if (i > 0)
			jb_raw(b, ",");
		json_backend(b, &s->backends[i]);
	}
	jb_raw(b, "]}");
}

static void json_listener(struct jbuf *b, const struct config_listener *l)
{
	if (l->is_unix) {
		jb_open(b, "unix");
		jb_str(b, l->unix_path);
	} else {
		jb_open(b, "address");
		jb_ip(b, &l->addr);
		jb_knum(b, "port", l->port);
		jb_key(b, "tls", false);
		jb_raw(b, l->tls ? "true" : "false");
	}
	jb_raw(b, "}");
}

static void json_subjects(struct jbuf *b, const char *key,
			  const char subj[][CONFIG_SUBJECT_LEN], uint32_t n)
{
	uint32_t i;

	jb_key(b, key, false);
	jb_raw(b, "[");
	for (i = 0; i < n; i++) {
		if (i > 0)
			jb_raw(b, ",");
		jb_str(b, subj[i]);
	}
	jb_raw(b, "]");
}

static void json_api_tls(struct jbuf *b, const struct config_api *api)
{
	jb_open(b, "certificate");
	jb_str(b, api->certificate);
	jb_kstr(b, "private_key", api->private_key);
	if (api->client_ca[0] != '\0')
		jb_kstr(b, "client_ca", api->client_ca);
	json_subjects(b, "admin_subjects", api->admin_subjects,
		      api->n_admin_subjects);
	json_subjects(b, "reader_subjects", api->reader_subjects,
		      api->n_reader_subjects);
	jb_raw(b, "}");
}

static void json_api(struct jbuf *b, const struct config_api *api)
{
	uint32_t i;

	jb_raw(b, "{\"listeners\":[");
	for (i = 0; i < api->n_listeners; i++) {
		if (i > 0)
			jb_raw(b, ",");
		json_listener(b, &api->listeners[i]);
	}
	jb_raw(b, "]");
	if (api->has_tls) {
		jb_key(b, "tls", false);
		json_api_tls(b, api);
	}
	jb_raw(b, "}");
}

char *config_to_json(const struct ep_config *cfg)
{
	struct jbuf b = { 0 };
	uint32_t i;

	/* Compact: indentation would triple a large document and push the
	 * persisted file past CONFIG_MAX_BYTES, refusing our own output. */
	jb_raw(&b, "{\"node\":");
	json_node(&b, &cfg->node);
	jb_raw(&b, ",\"services\":[");
	for (i = 0; i < cfg->n_services; i++) {
		if (i > 0)
			jb_raw(&b, ",");
		json_service(&b, &cfg->services[i]);
	}
	jb_raw(&b, "]");
	jb_policing(&b, cpol_json_global(&cfg->pol));
	if (cfg->api.present) {
		jb_raw(&b, ",\"api\":");
		json_api(&b, &cfg->api);
	}
	jb_put(&b, "}", 2); /* with the NUL */
	if (b.failed) {
		free(b.p);
		return NULL;
	}
	return b.p;
}

/* ------------------------------------------------------------------ */
/* Stable stats ids                                                     */

/* An identity: a service (name only) or a backend (name, address, port).
 * Built zeroed, so identities compare and hash as bytes. */
struct ids_key {
	char svc[EP_NAME_LEN];
	struct ep_ip addr;
	uint16_t port;
};

/* One id space. Every id is either live (owner[id] holds its identity,
 * index finds it) or in fifo[0..n_free), oldest free first. */
struct ids_table {
	uint32_t max; /* ids are 0..max-1 */
	uint32_t mask; /* index has mask + 1 slots, at least 2 * max */
	uint32_t *index; /* open addressing: id or IDS_NONE */
	struct ids_key *owner;
	uint8_t *live;
	uint32_t *fifo;
	uint32_t n_free;
	uint32_t *fifo_next; /* commit builds the new FIFO here, then swaps */
	uint8_t *live_next;
};

struct config_ids {
	struct ids_table svc;
	struct ids_table be;
};

static void ids_key_make(struct ids_key *k, const char *svc,
			 const struct ep_ip *addr, uint16_t port)
{
	memset(k, 0, sizeof(*k));
	memcpy(k->svc, svc, strnlen(svc, EP_NAME_LEN - 1));
	if (addr != NULL)
		k->addr = ip_flat(addr);
	k->port = port;
}

static uint32_t ids_hash(const struct ids_key *k)
{
	return fnv1a(k, sizeof(*k));
}

static uint32_t ids_lookup(const struct ids_table *t, const struct ids_key *k)
{
	uint32_t h = ids_hash(k) & t->mask;

	while (t->index[h] != IDS_NONE) {
		if (memcmp(&t->owner[t->index[h]], k, sizeof(*k)) == 0)
			return t->index[h];
		h = (h + 1) & t->mask;
	}
	return IDS_NONE;
}

static void ids_reindex(struct ids_table *t)
{
	uint32_t id, h;

	memset(t->index, 0xff, (t->mask + 1) * sizeof(*t->index));
	for (id = 0; id < t->max; id++) {
		if (!t->live[id])
			continue;
		h = ids_hash(&t->owner[id]) & t->mask;
		while (t->index[h] != IDS_NONE)
			h = (h + 1) & t->mask;
		t->index[h] = id;
	}
}

static void ids_table_fini(struct ids_table *t)
{
	free(t->index);
	free(t->owner);
	free(t->live);
	free(t->fifo);
	free(t->fifo_next);
	free(t->live_next);
}

static int ids_table_init(struct ids_table *t, uint32_t max)
{
	uint32_t id, slots = 1;

	while (slots < 2 * max) /* load factor <= 1/2 keeps probes short */
		slots <<= 1;
	t->max = max;
	t->mask = slots - 1;
	t->index = malloc(slots * sizeof(*t->index));
	t->owner = calloc(max, sizeof(*t->owner));
	t->live = calloc(max, 1);
	t->fifo = malloc(max * sizeof(*t->fifo));
	t->fifo_next = malloc(max * sizeof(*t->fifo_next));
	t->live_next = calloc(max, 1);
	if (t->index == NULL || t->owner == NULL || t->live == NULL ||
	    t->fifo == NULL || t->fifo_next == NULL || t->live_next == NULL)
		return -ENOMEM;
	for (id = 0; id < max; id++)
		t->fifo[id] = id;
	t->n_free = max;
	ids_reindex(t);
	return 0;
}

struct config_ids *config_ids_create(void)
{
	struct config_ids *ids = calloc(1, sizeof(*ids));

	if (ids == NULL)
		return NULL;
	if (ids_table_init(&ids->svc, EP_MAX_SERVICES) != 0 ||
	    ids_table_init(&ids->be, EP_MAX_BACKENDS) != 0) {
		config_ids_destroy(ids);
		return NULL;
	}
	return ids;
}

void config_ids_destroy(struct config_ids *ids)
{
	if (ids == NULL)
		return;
	ids_table_fini(&ids->svc);
	ids_table_fini(&ids->be);
	free(ids);
}

/*
 * Ids for `n` distinct identities, without changing `t`: known ones keep
 * theirs; new ones take the FIFO from its head, then the ids of live
 * identities missing from `keys`, lowest first (the order in which
 * ids_apply() queues them). NULL `t` numbers 0..n-1.
 */
static int ids_assign(const struct ids_table *t, const struct ids_key *keys,
		      uint32_t n, uint32_t *out)
{
	uint8_t *taken;
	uint32_t i, next_free = 0, next_old = 0;

	for (i = 0; t == NULL && i < n; i++)
		out[i] = i;
	if (t == NULL || n == 0)
		return 0;
	taken = calloc(t->max, 1);
	if (taken == NULL)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		out[i] = ids_lookup(t, &keys[i]);
		if (out[i] != IDS_NONE)
			taken[out[i]] = 1;
	}
	for (i = 0; i < n; i++) {
		if (out[i] != IDS_NONE)
			continue;
		if (next_free < t->n_free) {
			out[i] = t->fifo[next_free++];
			continue;
		}
		/* Validated limits (n <= max, keys distinct) leave one. */
		while (next_old < t->max &&
		       (!t->live[next_old] || taken[next_old]))
			next_old++;
		if (next_old == t->max)
			break;
		out[i] = next_old++;
	}
	free(taken);
	return i == n ? 0 : -ENOSPC;
}

/* Make `ids`/`keys` (n, distinct) the live set; cannot fail. */
static void ids_apply(struct ids_table *t, const struct ids_key *keys,
		      const uint32_t *ids, uint32_t n)
{
	uint32_t i, id, m = 0, *tmp;
	uint8_t *ltmp;

	memset(t->live_next, 0, t->max);
	for (i = 0; i < n; i++)
		t->live_next[ids[i]] = 1;
	for (i = 0; i < t->n_free; i++)
		if (!t->live_next[t->fifo[i]])
			t->fifo_next[m++] = t->fifo[i];
	for (id = 0; id < t->max; id++)
		if (t->live[id] && !t->live_next[id])
			t->fifo_next[m++] = id; /* freed: back of the queue */
	tmp = t->fifo;
	t->fifo = t->fifo_next;
	t->fifo_next = tmp;
	t->n_free = m;
	ltmp = t->live;
	t->live = t->live_next;
	t->live_next = ltmp;
	for (i = 0; i < n; i++)
		t->owner[ids[i]] = keys[i];
	ids_reindex(t);
}

/* ------------------------------------------------------------------ */
/* struct ep_config -> flat                                             */

struct flat_layout {
	uint32_t off_addrs;
	uint32_t off_services;
	uint32_t off_backends;
	uint32_t n_backends;
	uint32_t off_acl_rules;
	uint32_t n_acl_rules;
	size_t total;
};

static size_t align8(size_t v)
{
	return (v + 7) & ~(size_t)7;
}

/* Header, node addresses, services, backends, ACL rules, each 8-byte
 * aligned. */
static void flat_layout(const struct ep_config *cfg, struct flat_layout *l)
{
	size_t off, n_be = 0, n_rules = cpol_acl_count(&cfg->pol.acl);
	uint32_t i;

	for (i = 0; i < cfg->n_services; i++) {
		n_be += cfg->services[i].n_backends;
		n_rules += cpol_acl_count(&cfg->services[i].pol.acl);
	}
	off = align8(sizeof(struct ep_cfg_hdr));
	l->off_addrs = (uint32_t)off;
	off = align8(off + cfg->node.n_addrs * sizeof(struct ep_cfg_node_addr));
	l->off_services = (uint32_t)off;
	off = align8(off + cfg->n_services * sizeof(struct ep_cfg_service));
	l->off_backends = (uint32_t)off;
	l->n_backends = (uint32_t)n_be;
	off = align8(off + n_be * sizeof(struct ep_cfg_backend));
	l->off_acl_rules = (uint32_t)off;
	l->n_acl_rules = (uint32_t)n_rules;
	l->total = off + n_rules * sizeof(struct ep_cfg_acl_rule);
}

size_t config_flat_size(const struct ep_config *cfg)
{
	struct flat_layout l;

	flat_layout(cfg, &l);
	return l.total;
}

/* Identities of every service and backend, in flat order. */
static int ids_keys(const struct ep_config *cfg, struct ids_key **svc,
		    struct ids_key **be, uint32_t n_be)
{
	const struct config_service *s;
	uint32_t i, j, k = 0;

	*svc = malloc((cfg->n_services + 1) * sizeof(**svc));
	*be = malloc((n_be + 1) * sizeof(**be));
	if (*svc == NULL || *be == NULL)
		return -ENOMEM;
	for (i = 0; i < cfg->n_services; i++) {
		s = &cfg->services[i];
		ids_key_make(&(*svc)[i], s->name, NULL, 0);
		for (j = 0; j < s->n_backends; j++)
			ids_key_make(&(*be)[k++], s->name, &s->backends[j].addr,
				     s->backends[j].port);
	}
	return 0;
}

static int flat_assign_ids(const struct ep_config *cfg,
			   const struct config_ids *ids, uint32_t n_be,
			   uint32_t *svc_ids, uint32_t *be_ids)
{
	struct ids_key *svc = NULL, *be = NULL;
	int rc;

	rc = ids_keys(cfg, &svc, &be, n_be);
	if (rc == 0)
		rc = ids_assign(ids != NULL ? &ids->svc : NULL, svc,
				cfg->n_services, svc_ids);
	if (rc == 0)
		rc = ids_assign(ids != NULL ? &ids->be : NULL, be, n_be,
				be_ids);
	free(svc);
	free(be);
	return rc;
}

static void flat_put(void *buf, size_t off, const void *src, size_t n)
{
	memcpy((uint8_t *)buf + off, src, n);
}

static void flat_write_header(const struct ep_config *cfg, uint64_t version,
			      const struct flat_layout *l, void *buf)
{
	struct ep_cfg_hdr h;

	memset(&h, 0, sizeof(h));
	h.magic = EP_CFG_MAGIC;
	h.abi_version = EP_ABI_VERSION;
	h.version = version;
	h.total_len = (uint32_t)l->total;
	h.n_services = cfg->n_services;
	h.n_backends = l->n_backends;
	h.n_node_addrs = cfg->node.n_addrs;
	h.off_services = l->off_services;
	h.off_backends = l->off_backends;
	h.off_node_addrs = l->off_addrs;
	h.n_acl_rules = l->n_acl_rules;
	h.off_acl_rules = l->off_acl_rules;
	h.node.backend_port = cfg->node.backend_port;
	h.node.gue_port = cfg->node.gue_port;
	h.node.flags = cfg->node.maglev_rebuild == CONFIG_MAGLEV_FRESH
			       ? EP_NODE_F_MAGLEV_FRESH
			       : 0;
	h.node.encap_src4 = ip_flat(&cfg->node.encap_src4);
	h.node.encap_src6 = ip_flat(&cfg->node.encap_src6);
	cpol_flat_node(&cfg->pol, &h.node);
	flat_put(buf, 0, &h, sizeof(h));
}

static void flat_write_service(const struct config_service *s, uint32_t id,
			       uint32_t first, void *buf, size_t off)
{
	struct ep_cfg_service fs;

	memset(&fs, 0, sizeof(fs));
	memcpy(fs.name, s->name, strnlen(s->name, EP_NAME_LEN - 1));
	fs.vip = ip_flat(&s->vip);
	fs.port = s->port;
	fs.proto = s->proto;
	fs.fwd_mode = (uint8_t)s->fwd;
	fs.sched = (uint8_t)s->sched;
	if (s->affinity == CONFIG_AFFINITY_SOURCE_IP)
		fs.flags |= EP_SVC_F_AFFINITY;
	if (s->fwd == EP_FWD_ENCAP && s->encap == CONFIG_ENCAP_GUE)
		fs.flags |= EP_SVC_F_GUE;
	fs.stats_id = id;
	fs.maglev_size = s->maglev_size;
	fs.first_backend = first;
	fs.n_backends = s->n_backends;
	cpol_flat_service(&s->pol, &fs);
	flat_put(buf, off, &fs, sizeof(fs));
}

static void flat_write_backend(const struct config_backend *b, uint32_t id,
			       void *buf, size_t off)
{
	struct ep_cfg_backend fb;

	memset(&fb, 0, sizeof(fb));
	fb.addr = ip_flat(&b->addr);
	fb.port = b->port;
	fb.weight = b->weight;
	fb.state = (uint8_t)b->state;
	fb.has_mac = b->has_mac;
	if (b->has_mac)
		memcpy(fb.mac, b->mac, 6);
	fb.stats_id = id;
	flat_put(buf, off, &fb, sizeof(fb));
}

/* The global list's rules, then each service's (scope: its index). */
static void flat_write_acl_rules(const struct ep_config *cfg,
				 const struct flat_layout *l, void *buf)
{
	size_t off = l->off_acl_rules;
	uint32_t i;

	cpol_flat_acl(&cfg->pol.acl, EP_ACL_SCOPE_GLOBAL, (uint8_t *)buf + off);
	off += cpol_acl_count(&cfg->pol.acl) * sizeof(struct ep_cfg_acl_rule);
	for (i = 0; i < cfg->n_services; i++) {
		const struct config_acl *a = &cfg->services[i].pol.acl;

		cpol_flat_acl(a, i, (uint8_t *)buf + off);
		off += cpol_acl_count(a) * sizeof(struct ep_cfg_acl_rule);
	}
}

static void flat_write(const struct ep_config *cfg, uint64_t version,
		       const struct flat_layout *l, const uint32_t *svc_ids,
		       const uint32_t *be_ids, void *buf)
{
	const struct config_service *s;
	struct ep_cfg_node_addr na;
	uint32_t i, j, k = 0;

	memset(buf, 0, l->total);
	flat_write_header(cfg, version, l, buf);
	for (i = 0; i < cfg->node.n_addrs; i++) {
		memset(&na, 0, sizeof(na));
		na.addr = ip_flat(&cfg->node.addrs[i].addr);
		na.port_id = cfg->node.addrs[i].port_id;
		flat_put(buf, l->off_addrs + i * sizeof(na), &na, sizeof(na));
	}
	for (i = 0; i < cfg->n_services; i++) {
		s = &cfg->services[i];
		flat_write_service(s, svc_ids[i], k, buf,
				   l->off_services +
					   i * sizeof(struct ep_cfg_service));
		for (j = 0; j < s->n_backends; j++, k++)
			flat_write_backend(
				&s->backends[j], be_ids[k], buf,
				l->off_backends +
					k * sizeof(struct ep_cfg_backend));
	}
	flat_write_acl_rules(cfg, l, buf);
}

int config_to_flat(const struct ep_config *cfg, uint64_t version,
		   const struct config_ids *ids, void *buf, size_t cap,
		   size_t *len_out, struct config_error *err)
{
	struct flat_layout l;
	uint32_t *svc_ids, *be_ids;
	int rc = config_validate(cfg, err);

	if (rc != 0)
		return rc;
	flat_layout(cfg, &l);
	if (len_out != NULL)
		*len_out = l.total;
	if (buf == NULL || l.total > cap) {
		fail(err, "flat: needs %zu bytes, the buffer has %zu", l.total,
		     cap);
		return -ENOSPC;
	}
	svc_ids = malloc((cfg->n_services + 1) * sizeof(*svc_ids));
	be_ids = malloc((l.n_backends + 1) * sizeof(*be_ids));
	rc = svc_ids != NULL && be_ids != NULL
		     ? flat_assign_ids(cfg, ids, l.n_backends, svc_ids, be_ids)
		     : -ENOMEM;
	if (rc == 0)
		flat_write(cfg, version, &l, svc_ids, be_ids, buf);
	else
		fail(err, "flat: %s",
		     rc == -ENOMEM ? "out of memory" : "no stats id left");
	free(svc_ids);
	free(be_ids);
	return rc;
}

/* ------------------------------------------------------------------ */
/* flat -> struct ep_config. The buffer is input: check before use.      */

/* Every rule of the flat form is ep_flat_check()'s (fastpath/abi/, the
 * fast path's own); the semantic ones are config_validate()'s, applied to
 * the converted result. */
static int flat_check(const void *buf, size_t len, struct ep_cfg_hdr *h,
		      struct config_error *err)
{
	struct config_error why;

	if (ep_flat_check(buf, len, why.msg, sizeof(why.msg)) != 0)
		return fail(err, "%s", why.msg);
	ep_flat_header(buf, h);
	return 0;
}

static void flat_read_node(const void *buf, const struct ep_cfg_hdr *h,
			   struct config_node *node)
{
	struct ep_cfg_node_addr na;
	uint32_t i;

	node->backend_port = h->node.backend_port;
	node->gue_port = h->node.gue_port;
	node->maglev_rebuild = h->node.flags & EP_NODE_F_MAGLEV_FRESH
				       ? CONFIG_MAGLEV_FRESH
				       : CONFIG_MAGLEV_MINIMAL;
	node->encap_src4 = h->node.encap_src4;
	node->encap_src6 = h->node.encap_src6;
	node->n_addrs = h->n_node_addrs;
	for (i = 0; i < h->n_node_addrs; i++) {
		ep_flat_node_addr(buf, h, i, &na);
		node->addrs[i].addr = na.addr;
		node->addrs[i].port_id = na.port_id;
	}
}

static void flat_read_backend(const struct ep_cfg_backend *fb,
			      struct config_backend *b)
{
	b->addr = fb->addr;
	b->port = fb->port;
	b->weight = fb->weight;
	b->state = (enum ep_backend_state)fb->state;
	b->has_mac = fb->has_mac != 0;
	if (b->has_mac)
		memcpy(b->mac, fb->mac, 6);
}

static int flat_read_service(const void *buf, const struct ep_cfg_hdr *h,
			     uint32_t i, struct config_service *s)
{
	struct ep_cfg_service fs;
	struct ep_cfg_backend fb;
	uint32_t j;

	ep_flat_service(buf, h, i, &fs);
	memcpy(s->name, fs.name, EP_NAME_LEN);
	s->vip = fs.vip;
	s->port = fs.port;
	s->proto = fs.proto;
	s->fwd = (enum ep_fwd_mode)fs.fwd_mode;
	s->encap =
		fs.flags & EP_SVC_F_GUE ? CONFIG_ENCAP_GUE : CONFIG_ENCAP_IPIP;
	s->sched = (enum ep_sched)fs.sched;
	s->affinity = fs.flags & EP_SVC_F_AFFINITY ? CONFIG_AFFINITY_SOURCE_IP
						   : CONFIG_AFFINITY_NONE;
	s->maglev_size =
		fs.maglev_size != 0 ? fs.maglev_size : EP_MAGLEV_DEFAULT_SIZE;
	cpol_from_flat_service(&fs, &s->pol);
	if (fs.n_backends == 0)
		return 0;
	s->backends = calloc(fs.n_backends, sizeof(*s->backends));
	if (s->backends == NULL)
		return -ENOMEM;
	s->n_backends = fs.n_backends;
	for (j = 0; j < fs.n_backends; j++) {
		ep_flat_backend(buf, h, fs.first_backend + j, &fb);
		flat_read_backend(&fb, &s->backends[j]);
	}
	return 0;
}

/* Each checked rule to its list (the global one or its service's). */
static int flat_read_acl_rules(const void *buf, const struct ep_cfg_hdr *h,
			       struct ep_config *out)
{
	struct ep_cfg_acl_rule r;
	int rc = 0;

	for (uint32_t i = 0; rc == 0 && i < h->n_acl_rules; i++) {
		memcpy(&r,
		       (const uint8_t *)buf + h->off_acl_rules +
			       (size_t)i * sizeof(r),
		       sizeof(r));
		rc = cpol_from_flat_rule(
			&r, r.scope == EP_ACL_SCOPE_GLOBAL
				    ? &out->pol.acl
				    : &out->services[r.scope].pol.acl);
	}
	return rc;
}

int config_from_flat(const void *buf, size_t len, struct ep_config *out,
		     struct config_error *err)
{
	struct ep_cfg_hdr h;
	uint32_t i;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = flat_check(buf, len, &h, err);
	if (rc != 0)
		return rc;
	flat_read_node(buf, &h, &out->node);
	cpol_from_flat_node(&h.node, &out->pol);
	if (h.n_services > 0) {
		out->services = calloc(h.n_services, sizeof(*out->services));
		if (out->services == NULL)
			return fail_nomem(err);
		out->n_services = h.n_services;
	}
	for (i = 0; rc == 0 && i < h.n_services; i++)
		rc = flat_read_service(buf, &h, i, &out->services[i]);
	if (rc == 0)
		rc = flat_read_acl_rules(buf, &h, out);
	if (rc != 0)
		fail_nomem(err);
	else
		rc = config_validate(out, err);
	if (rc != 0)
		config_free(out);
	return rc;
}

/* Identities and stats ids of a checked flat config, in flat order. */
static void flat_read_ids(const void *buf, const struct ep_cfg_hdr *h,
			  struct ids_key *svc, uint32_t *svc_ids,
			  struct ids_key *be, uint32_t *be_ids)
{
	struct ep_cfg_service fs;
	struct ep_cfg_backend fb;
	uint32_t i, j, k;

	for (i = 0; i < h->n_services; i++) {
		ep_flat_service(buf, h, i, &fs);
		ids_key_make(&svc[i], fs.name, NULL, 0);
		svc_ids[i] = fs.stats_id;
		for (j = 0; j < fs.n_backends; j++) {
			k = fs.first_backend + j;
			ep_flat_backend(buf, h, k, &fb);
			ids_key_make(&be[k], fs.name, &fb.addr, fb.port);
			be_ids[k] = fb.stats_id;
		}
	}
}

int config_ids_commit(struct config_ids *ids, const void *buf, size_t len,
		      struct config_error *err)
{
	struct ep_config cfg;
	struct ep_cfg_hdr h;
	struct ids_key *svc, *be;
	uint32_t *svc_ids, *be_ids;
	int rc;

	/* Full validation: identities must be distinct for the index. */
	rc = config_from_flat(buf, len, &cfg, err);
	if (rc != 0)
		return rc;
	config_free(&cfg);
	ep_flat_header(buf, &h);
	svc = malloc((h.n_services + 1) * sizeof(*svc));
	be = malloc((h.n_backends + 1) * sizeof(*be));
	svc_ids = malloc((h.n_services + 1) * sizeof(*svc_ids));
	be_ids = malloc((h.n_backends + 1) * sizeof(*be_ids));
	rc = svc && be && svc_ids && be_ids ? 0 : fail_nomem(err);
	if (rc == 0) {
		flat_read_ids(buf, &h, svc, svc_ids, be, be_ids);
		ids_apply(&ids->svc, svc, svc_ids, h.n_services);
		ids_apply(&ids->be, be, be_ids, h.n_backends);
	}
	free(svc);
	free(be);
	free(svc_ids);
	free(be_ids);
	return rc;
}
