/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for h1_parse(). Besides memory safety (run it under
 * ASan/UBSan) it checks the parser's promises: the result never exceeds
 * the input, every span it returns lies inside the input, a complete
 * request parses the same from its exact prefix, and the head never
 * exceeds HTTP_MAX_HEADER_BYTES.
 *   clang -fsanitize=fuzzer,address,undefined -Islowpath/http \
 *         tests/fuzz/fuzz_h1.c slowpath/http/h1.c -o fuzz_h1 && ./fuzz_h1 -max_total_time=60
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "h1.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_span(const char *buf, size_t len, const char *p, size_t n)
{
	if (p == NULL)
		return;
	if (p >= buf && p + n <= buf + len)
		return;
	if (n != 1 || strcmp(p, "/") != 0) /* the parser's static "/" */
		abort();
}

static void check_request(const char *buf, size_t len,
			  const struct h1_request *r)
{
	unsigned int i;

	if (r->head_len > HTTP_MAX_HEADER_BYTES || r->n_fields > H1_MAX_FIELDS)
		abort();
	if (r->content_length > HTTP_MAX_BODY)
		abort();
	check_span(buf, len, r->method, r->method_len);
	check_span(buf, len, r->target, r->target_len);
	check_span(buf, len, r->query, r->query_len);
	check_span(buf, len, r->body, r->body_len);
	for (i = 0; i < r->n_fields; i++) {
		check_span(buf, len, r->fields[i].name, r->fields[i].name_len);
		check_span(buf, len, r->fields[i].value,
			   r->fields[i].value_len);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct h1_request r, again;
	const char *buf;
	char *copy;
	int n;

	/* an exact-size heap copy, so ASan sees any read past the end */
	copy = malloc(size ? size : 1);
	if (copy == NULL)
		return 0;
	memcpy(copy, data, size);
	buf = copy;
	n = h1_parse(buf, size, &r);
	if (n > 0 && (size_t)n > size)
		abort();
	if (n >= 0)
		check_request(buf, size, &r);
	if (n > 0 && h1_parse(buf, (size_t)n, &again) != n)
		abort();
	if (n == 0 && r.head_complete &&
	    (r.head_len > size || !r.method || !r.path))
		abort();
	free(copy);
	return 0;
}
