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
	struct syncookie_sip s;
	size_t i;

	syncookie_sip_init(&s, k);
	for (i = 0; i + 8 <= len; i += 8)
		syncookie_sip_word(&s, load_le64(p + i, 8));
	return syncookie_sip_final(&s, load_le64(p + i, len - i) |
					       (uint64_t)(len & 0xff) << 56);
}
