/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SYN-cookie secrets and the byte-string SipHash-2-4 (syncookie.h has the
 * per-packet make and check over 64-bit words).
 */
#include <ctype.h>

#include "syncookie.h"

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int syncookie_parse_secret(const char *hex, struct syncookie_key *k)
{
	uint64_t half[2] = { 0, 0 };

	if (hex == NULL || strlen(hex) != 32)
		return -EINVAL;
	for (int i = 0; i < 32; i++) {
		int v = hex_value(hex[i]);

		if (v < 0)
			return -EINVAL;
		half[i / 16] = half[i / 16] << 4 | (uint64_t)v;
	}
	k->k0 = half[0];
	k->k1 = half[1];
	return 0;
}

static uint64_t load_le64(const uint8_t *p, size_t n)
{
	uint64_t v = 0;

	for (size_t i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

uint64_t syncookie_siphash24(const struct syncookie_key *k, const void *data,
			     size_t len)
{
	const uint8_t *p = data;
	uint64_t v0 = k->k0 ^ 0x736f6d6570736575ull;
	uint64_t v1 = k->k1 ^ 0x646f72616e646f6dull;
	uint64_t v2 = k->k0 ^ 0x6c7967656e657261ull;
	uint64_t v3 = k->k1 ^ 0x7465646279746573ull;
	uint64_t m;
	size_t i;

	for (i = 0; i + 8 <= len; i += 8) {
		m = load_le64(p + i, 8);
		v3 ^= m;
		SIPROUND(v0, v1, v2, v3);
		SIPROUND(v0, v1, v2, v3);
		v0 ^= m;
	}
	m = load_le64(p + i, len - i) | (uint64_t)(len & 0xff) << 56;
	v3 ^= m;
	SIPROUND(v0, v1, v2, v3);
	SIPROUND(v0, v1, v2, v3);
	v0 ^= m;
	v2 ^= 0xff;
	SIPROUND(v0, v1, v2, v3);
	SIPROUND(v0, v1, v2, v3);
	SIPROUND(v0, v1, v2, v3);
	SIPROUND(v0, v1, v2, v3);
	return v0 ^ v1 ^ v2 ^ v3;
}
