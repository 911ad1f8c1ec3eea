/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * slowpath/trace.c: W3C Trace Context traceparent parsing, as a table of
 * headers and the verdict the specification gives each, then the trace a
 * request gets (kept or new) and its response form.
 */
#include <string.h>

#include "check.h"
#include "trace.h"

#define TID "4bf92f3577b34da6a3ce929d0e0e4736"
#define PID "00f067aa0ba902b7"

static const struct {
	const char *header;
	int ok;
	const char *why; /* a word of the reason, for failures */
} cases[] = {
	{ "00-" TID "-" PID "-01", 1, NULL },
	{ "00-" TID "-" PID "-00", 1, NULL },
	{ "00-" TID "-" PID "-09", 1, NULL }, /* unknown flags: kept, masked */
	/* a later version: read as 00, more fields after a dash */
	{ "01-" TID "-" PID "-01-what-the-future-holds", 1, NULL },
	{ "cc-" TID "-" PID "-01", 1, NULL },
	{ "cc-" TID "-" PID "-01x", 0, "later version" },
	{ "ff-" TID "-" PID "-01", 0, "ff" },
	{ "00-" TID "-" PID "-01-", 0, "exactly 55" },
	{ "00-" TID "-" PID "-1", 0, "shorter" },
	{ "", 0, "shorter" },
	{ "00-4BF92F3577B34DA6A3CE929D0E0E4736-" PID "-01", 0, "trace-id" },
	{ "00-" TID "-00F067AA0BA902B7-01", 0, "parent-id" },
	{ "0A-" TID "-" PID "-01", 0, "version" },
	{ "00-00000000000000000000000000000000-" PID "-01", 0, "all zeros" },
	{ "00-" TID "-0000000000000000-01", 0, "all zeros" },
	{ "00-" TID "-" PID "-0g", 0, "trace-flags" },
	{ "00_" TID "-" PID "-01", 0, "'-'" },
	{ "00-" TID "_" PID "-01", 0, "'-'" },
	{ "00-4bf92f3577b34da6a3ce929d0e0e473g-" PID "-01", 0, "trace-id" },
	{ "00-" TID "-" PID "-01 ", 0, "exactly 55" },
};

static void test_table(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct trace_ctx t;
		const char *why = NULL;
		int rc = trace_parse(cases[i].header, &t, &why);

		CHECK_MSG((rc == 0) == cases[i].ok, "case %zu '%s': rc %d (%s)",
			  i, cases[i].header, rc, why ? why : "");
		if (rc == 0) {
			CHECK(strcmp(t.trace_id, TID) == 0);
			CHECK(strcmp(t.parent_id, PID) == 0);
			CHECK(t.from_caller);
		} else if (cases[i].why) {
			CHECK_MSG(why && strstr(why, cases[i].why),
				  "case %zu: reason '%s'", i,
				  why ? why : "(none)");
		}
	}
	CHECK(trace_parse(NULL, &(struct trace_ctx){ 0 }, NULL) == -1);
}

static void test_flags_masked(void)
{
	struct trace_ctx t;

	CHECK(trace_parse("00-" TID "-" PID "-09", &t, NULL) == 0);
	CHECK(t.flags == 0x01);
	CHECK(trace_parse("00-" TID "-" PID "-fe", &t, NULL) == 0);
	CHECK(t.flags == 0x00);
}

static void test_begin_keeps_a_valid_trace(void)
{
	struct trace_ctx t;
	char out[TRACEPARENT_LEN + 1];

	CHECK(trace_begin("00-" TID "-" PID "-01", &t) == 0);
	CHECK(strcmp(t.trace_id, TID) == 0);
	CHECK(strcmp(t.parent_id, PID) == 0);
	CHECK(strlen(t.span_id) == TRACE_SPAN_HEX);
	CHECK(strcmp(t.span_id, PID) != 0);
	trace_format(&t, out, sizeof(out));
	CHECK(strlen(out) == TRACEPARENT_LEN);
	CHECK(strncmp(out, "00-" TID "-", 36) == 0);
	CHECK(strcmp(out + 53, "01") == 0);
	/* What we send is itself a valid traceparent. */
	CHECK(trace_parse(out, &(struct trace_ctx){ 0 }, NULL) == 0);
}

static void test_begin_makes_a_new_trace(void)
{
	static const char *bad[] = { NULL, "", "garbage",
				     "00-00000000000000000000000000000000-" PID
				     "-01" };
	char seen[4][TRACE_ID_HEX + 1];

	for (size_t i = 0; i < 4; i++) {
		struct trace_ctx t;
		char out[TRACEPARENT_LEN + 1];
		struct trace_ctx back;

		CHECK(trace_begin(bad[i], &t) == 0);
		CHECK(!t.from_caller);
		CHECK(t.parent_id[0] == '\0');
		CHECK(strlen(t.trace_id) == TRACE_ID_HEX);
		CHECK(t.flags == 0x01);
		trace_format(&t, out, sizeof(out));
		CHECK_MSG(trace_parse(out, &back, NULL) == 0, "generated '%s'",
			  out);
		memcpy(seen[i], t.trace_id, sizeof(seen[i]));
		for (size_t j = 0; j < i; j++)
			CHECK(strcmp(seen[i], seen[j]) != 0);
	}
}

int main(void)
{
	test_table();
	test_flags_masked();
	test_begin_keeps_a_valid_trace();
	test_begin_makes_a_new_trace();
	return check_summary("trace");
}
