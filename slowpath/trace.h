/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Request tracing for the control API: W3C Trace Context `traceparent`
 * (https://www.w3.org/TR/trace-context/), parsed, checked, or made anew.
 *
 *   traceparent = version "-" trace-id "-" parent-id "-" trace-flags
 *   version 00: 2 + 1 + 32 + 1 + 16 + 1 + 2 = 55 characters, lowercase
 *   hex only; trace-id and parent-id not all zeros; version ff invalid.
 *   A higher version is read as 00 (its first four fields) when it is at
 *   least 55 characters long and, if longer, the next character is '-'.
 *
 * Every request gets a trace: the caller's trace id when its header is
 * valid (with the caller's span as parent), else a new random one; a new
 * span id for the request itself. The response carries
 * "00-<trace id>-<span id>-<flags>".
 */
#ifndef EDGEPATH_TRACE_H
#define EDGEPATH_TRACE_H

#include <stdbool.h>
#include <stdint.h>

#define TRACE_ID_HEX 32
#define TRACE_SPAN_HEX 16
#define TRACEPARENT_LEN 55

struct trace_ctx {
	char trace_id[TRACE_ID_HEX + 1]; /* lowercase hex */
	char parent_id[TRACE_SPAN_HEX + 1]; /* the caller's span; "" if new */
	char span_id[TRACE_SPAN_HEX + 1]; /* this request's span */
	uint8_t flags; /* trace-flags; only bit 0 (sampled) is kept */
	bool from_caller; /* trace_id came from a valid traceparent */
};

/*
 * Parse one traceparent value. 0 and *out filled (span_id left empty),
 * or -1 when it is absent (NULL), malformed or invalid; *why (if not
 * NULL) then names the rule it broke.
 */
int trace_parse(const char *header, struct trace_ctx *out, const char **why);

/*
 * The trace of a request: header parsed if valid, else a new trace id;
 * a new span id either way. -1 only when no random bytes can be had.
 */
int trace_begin(const char *header, struct trace_ctx *out);

/* "00-<trace>-<span>-<flags>" into buf (at least TRACEPARENT_LEN + 1). */
void trace_format(const struct trace_ctx *t, char *buf, unsigned long len);

#endif
