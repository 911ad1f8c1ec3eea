/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Dotted-quad IPv4 text without printf: a 1000-service configuration
 * writes its addresses several times per change (canonical JSON, metric
 * names), and glibc's inet_ntop for IPv4 goes through sprintf, which was
 * a tenth of a change's instructions. IPv6 stays with inet_ntop.
 */
#ifndef EP_IPFMT_H
#define EP_IPFMT_H

#include <stddef.h>
#include <stdint.h>

/* `v` in decimal at `out` (no terminator); returns the digits written. */
static inline size_t ipfmt_u32(uint32_t v, char *out)
{
	char tmp[10];
	size_t n = 0, i;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	for (i = 0; i < n; i++)
		out[i] = tmp[n - 1 - i];
	return n;
}

/* The four bytes at `b` as "a.b.c.d" with a terminator at `out` (room
 * for 16 bytes); returns the length. */
static inline size_t ipfmt_ip4(const uint8_t b[4], char *out)
{
	size_t n = 0;

	for (int i = 0; i < 4; i++) {
		if (i > 0)
			out[n++] = '.';
		n += ipfmt_u32(b[i], out + n);
	}
	out[n] = '\0';
	return n;
}

#endif /* EP_IPFMT_H */
