/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for parse_frame(). Besides memory safety (run with
 * ASan/UBSan) it asserts what callers rely on: a result is 0 or a parser
 * drop reason; a successful parse claims no byte it was not given, its
 * offsets are ordered, its key has no stray bytes; and bytes after
 * frame_len (padding) never change the result.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "parse.h"

static void check_meta(const struct pkt_meta *m, uint32_t len)
{
	static const uint8_t zero[16];

	FUZZ_CHECK(m->frame_len <= len);
	FUZZ_CHECK(m->l3_off <= m->frame_len);
	FUZZ_CHECK(m->l4_off <= m->frame_len);
	FUZZ_CHECK(m->l4_off == 0 || m->l4_off >= m->l3_off);
	FUZZ_CHECK((uint32_t)m->l3_off + m->l3_len == m->frame_len);
	FUZZ_CHECK(m->n_vlans <= PARSE_MAX_VLANS);
	FUZZ_CHECK(m->kind <= PKT_ND_NA);
	FUZZ_CHECK(m->key.zero == 0);
	switch (m->family) {
	case 0:
		FUZZ_CHECK(memcmp(&m->key, zero, sizeof(zero)) == 0);
		break;
	case EP_AF_INET:
		FUZZ_CHECK(memcmp(m->key.src + 4, zero, 12) == 0);
		FUZZ_CHECK(memcmp(m->key.dst + 4, zero, 12) == 0);
		/* fall through */
	case EP_AF_INET6:
		FUZZ_CHECK(m->key.family == m->family);
		FUZZ_CHECK(m->l4_off != 0);
		break;
	default:
		FUZZ_CHECK(0);
	}
	if (m->kind == PKT_L4)
		FUZZ_CHECK(m->key.proto == m->l4_proto);
	if (m->kind == PKT_ICMP_ERR)
		FUZZ_CHECK(m->key.proto == 6 || m->key.proto == 17);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pkt_meta m, again;
	uint32_t len = size > UINT32_MAX ? UINT32_MAX : (uint32_t)size;
	uint8_t *copy;
	int rc;

	rc = parse_frame(data, len, &m);
	FUZZ_CHECK(rc == 0 || (rc < 0 && -rc - 1 <= EP_DROP_ICMP_INNER_BAD));
	if (rc != 0)
		return 0;
	check_meta(&m, len);
	/* Without the padding, the same answer, byte for byte. */
	copy = malloc(m.frame_len ? m.frame_len : 1);
	memcpy(copy, data, m.frame_len);
	rc = parse_frame(copy, m.frame_len, &again);
	free(copy);
	FUZZ_CHECK(rc == 0 && memcmp(&m, &again, sizeof(m)) == 0);
	return 0;
}
