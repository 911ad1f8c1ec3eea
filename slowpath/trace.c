/* SPDX-License-Identifier: BSD-3-Clause */
/* W3C Trace Context traceparent for the control API (see trace.h). */
#include "trace.h"

#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#define TRACE_VERSION_HEX 2
#define TRACE_FLAGS_HEX 2
#define TRACE_FLAG_SAMPLED 0x01u
/* Offsets of the version-00 fields and their dashes. */
#define OFF_TRACE 3
#define OFF_PARENT (OFF_TRACE + TRACE_ID_HEX + 1)
#define OFF_FLAGS (OFF_PARENT + TRACE_SPAN_HEX + 1)

static bool lower_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		      (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

static bool all_zero(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != '0')
			return false;
	return true;
}

static unsigned int hex_byte(const char *s)
{
	unsigned int v = 0;

	for (int i = 0; i < 2; i++)
		v = v * 16 +
		    (unsigned int)(s[i] <= '9' ? s[i] - '0' : s[i] - 'a' + 10);
	return v;
}

static int fail(const char **why, const char *reason)
{
	if (why)
		*why = reason;
	return -1;
}

int trace_parse(const char *h, struct trace_ctx *out, const char **why)
{
	size_t len;

	if (h == NULL)
		return fail(why, "absent");
	len = strlen(h);
	if (len < TRACEPARENT_LEN)
		return fail(why, "shorter than 55 characters");
	if (!lower_hex(h, TRACE_VERSION_HEX))
		return fail(why, "version is not two lowercase hex digits");
	if (memcmp(h, "ff", 2) == 0)
		return fail(why, "version ff is invalid");
	if (memcmp(h, "00", 2) == 0 && len != TRACEPARENT_LEN)
		return fail(why, "version 00 is exactly 55 characters");
	/* A later version: its first fields read as 00, then a dash. */
	if (len > TRACEPARENT_LEN && h[TRACEPARENT_LEN] != '-')
		return fail(why, "a later version's fields must follow a '-'");
	if (h[2] != '-' || h[OFF_PARENT - 1] != '-' || h[OFF_FLAGS - 1] != '-')
		return fail(why, "fields are not separated by '-'");
	if (!lower_hex(h + OFF_TRACE, TRACE_ID_HEX))
		return fail(why, "trace-id is not 32 lowercase hex digits");
	if (all_zero(h + OFF_TRACE, TRACE_ID_HEX))
		return fail(why, "trace-id is all zeros");
	if (!lower_hex(h + OFF_PARENT, TRACE_SPAN_HEX))
		return fail(why, "parent-id is not 16 lowercase hex digits");
	if (all_zero(h + OFF_PARENT, TRACE_SPAN_HEX))
		return fail(why, "parent-id is all zeros");
	if (!lower_hex(h + OFF_FLAGS, TRACE_FLAGS_HEX))
		return fail(why, "trace-flags is not two lowercase hex digits");
	memset(out, 0, sizeof(*out));
	memcpy(out->trace_id, h + OFF_TRACE, TRACE_ID_HEX);
	memcpy(out->parent_id, h + OFF_PARENT, TRACE_SPAN_HEX);
	out->flags = (uint8_t)(hex_byte(h + OFF_FLAGS) & TRACE_FLAG_SAMPLED);
	out->from_caller = true;
	return 0;
}

/*
 * Ids need to be random, not secret (W3C Trace Context, "Privacy"): a
 * xorshift128+ generator seeded once from getrandom(2), so a request
 * costs no system call. The slow path re-executes itself to re-attach,
 * which seeds anew.
 */
static uint64_t rng_state[2];

static int rng_next(uint64_t *out)
{
	uint64_t a, b;

	if (rng_state[0] == 0 && rng_state[1] == 0) {
		while (rng_state[0] == 0 && rng_state[1] == 0)
			if (getrandom(rng_state, sizeof(rng_state), 0) !=
			    (ssize_t)sizeof(rng_state))
				return -1;
	}
	a = rng_state[0];
	b = rng_state[1];
	rng_state[0] = b;
	a ^= a << 23;
	rng_state[1] = a ^ b ^ (a >> 17) ^ (b >> 26);
	*out = rng_state[1] + b;
	return 0;
}

/* 16 * words lowercase hex digits, never all zeros. */
static int random_hex(char *out, size_t words)
{
	static const char digits[] = "0123456789abcdef";
	uint64_t v[TRACE_ID_HEX / 16];
	bool zero = true;

	if (words == 0 || words > sizeof(v) / sizeof(v[0]))
		return -1;
	while (zero) {
		for (size_t i = 0; i < words; i++) {
			if (rng_next(&v[i]) != 0)
				return -1;
			zero = zero && v[i] == 0;
		}
	}
	for (size_t i = 0; i < words; i++)
		for (int d = 0; d < 16; d++)
			out[16 * i + (size_t)d] =
				digits[(v[i] >> (60 - 4 * d)) & 15];
	out[16 * words] = '\0';
	return 0;
}

int trace_begin(const char *header, struct trace_ctx *out)
{
	if (trace_parse(header, out, NULL) != 0) {
		memset(out, 0, sizeof(*out));
		if (random_hex(out->trace_id, TRACE_ID_HEX / 16))
			return -1;
		/* We record every request: a trace we start is sampled. */
		out->flags = TRACE_FLAG_SAMPLED;
	}
	return random_hex(out->span_id, TRACE_SPAN_HEX / 16);
}

void trace_format(const struct trace_ctx *t, char *buf, unsigned long len)
{
	snprintf(buf, len, "00-%s-%s-%02x", t->trace_id, t->span_id,
		 (unsigned int)t->flags);
}
