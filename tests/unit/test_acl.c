/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for fastpath/acl: rule checks with their messages; edge
 * prefixes (/0, /32, /128, and the LPMs' second-level tables past /24)
 * for both families; deny winning over allow at any length and across
 * the global and a service's lists; allow lists; random rule sets
 * checked address by address against a brute-force reading of the same
 * rules; and 100,000 prefixes built and matched.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_eal.h>
#include <rte_errno.h>

#include "acl.h"
#include "check.h"
#include "test_eal.h"
#include "testrand.h"

#define G ACL_SCOPE_GLOBAL

static struct acl_rule r4(uint32_t host, uint8_t depth, uint8_t kind,
			  uint16_t scope)
{
	struct acl_rule r;

	memset(&r, 0, sizeof(r));
	r.addr[0] = (uint8_t)(host >> 24);
	r.addr[1] = (uint8_t)(host >> 16);
	r.addr[2] = (uint8_t)(host >> 8);
	r.addr[3] = (uint8_t)host;
	r.family = EP_AF_INET;
	r.depth = depth;
	r.kind = kind;
	r.scope = scope;
	return r;
}

static struct acl_rule r6(const char *hex32, uint8_t depth, uint8_t kind,
			  uint16_t scope)
{
	struct acl_rule r;

	memset(&r, 0, sizeof(r));
	for (int i = 0; i < 16 && hex32[2 * i]; i++) {
		unsigned int b;

		sscanf(hex32 + 2 * i, "%2x", &b);
		r.addr[i] = (uint8_t)b;
	}
	r.family = EP_AF_INET6;
	r.depth = depth;
	r.kind = kind;
	r.scope = scope;
	return r;
}

static int denied4(const struct acl *a, uint32_t host, uint16_t scope)
{
	struct acl_rule r = r4(host, 32, ACL_DENY, 0);

	return acl_denied(a, r.addr, EP_AF_INET, scope);
}

static int denied6(const struct acl *a, const char *hex32, uint16_t scope)
{
	struct acl_rule r = r6(hex32, 128, ACL_DENY, 0);

	return acl_denied(a, r.addr, EP_AF_INET6, scope);
}

static struct acl *build(const struct acl_rule *rules, uint32_t n)
{
	struct acl *a = NULL;
	char err[160] = "";
	int rc = acl_build(rules, n, SOCKET_ID_ANY, &a, err, sizeof(err));

	CHECK_MSG(rc == 0 && a != NULL, "acl_build: %d %s", rc, err);
	return a;
}

static void test_refusals(void)
{
	struct acl_rule bad[6] = {
		r4(0x0a000000, 33, ACL_DENY, G),
		r6("20010db8", 129, ACL_DENY, G),
		r4(0x0a000000, 8, 3, G),
		r4(0x0a000000, 8, ACL_DENY, ACL_MAX_SCOPES),
		r4(0x0a000000, 8, ACL_DENY, G),
		r4(0x0a000000, 8, ACL_DENY, G),
	};
	struct acl *a = (struct acl *)1;
	char err[160];

	bad[4].family = 5;
	bad[5].addr[7] = 1;
	CHECK(acl_build(bad, 0, SOCKET_ID_ANY, &a, err, sizeof(err)) == 0 &&
	      a == NULL);
	CHECK(acl_denied(NULL, bad[0].addr, EP_AF_INET, 0) == 0);
	for (uint32_t i = 0; i < 6; i++) {
		struct acl_rule two[2] = { r4(0x0b000000, 8, ACL_DENY, G),
					   bad[i] };
		char want[16];
		int rc = acl_build(two, 2, SOCKET_ID_ANY, &a, err, sizeof(err));

		snprintf(want, sizeof(want), "rule 1:");
		CHECK_MSG(rc == -EINVAL && a == NULL && strstr(err, want),
			  "bad rule %u: %d %s", i, rc, err);
	}
	CHECK(strstr(err, "IPv4 address") != NULL);
	{
		struct acl_rule one = bad[0];

		acl_build(&one, 1, SOCKET_ID_ANY, &a, err, sizeof(err));
		CHECK(strstr(err, "prefix length 33 is past IPv4's 32") !=
		      NULL);
	}
}

static void test_edges4(void)
{
	struct acl_rule rules[] = {
		r4(0xc0000201, 32, ACL_DENY, G), /* 192.0.2.1/32 */
		r4(0xc6336480, 25, ACL_DENY, G), /* 198.51.100.128/25 */
		r4(0xcb00711f, 32, ACL_DENY, G), /* 203.0.113.31/32 */
		r4(0x0a000000, 8, ACL_DENY, G),
	};
	struct acl *a = build(rules, 4);

	if (!a)
		return;
	CHECK(denied4(a, 0xc0000201, 0));
	CHECK(!denied4(a, 0xc0000200, 0));
	CHECK(!denied4(a, 0xc0000202, 0));
	CHECK(denied4(a, 0xc6336480, 0) && denied4(a, 0xc63364ff, 0));
	CHECK(!denied4(a, 0xc633647f, 0));
	CHECK(denied4(a, 0xcb00711f, 0) && !denied4(a, 0xcb00711e, 0));
	CHECK(denied4(a, 0x0a000000, 0) && denied4(a, 0x0affffff, 0));
	CHECK(!denied4(a, 0x0b000000, 0) && !denied4(a, 0x09ffffff, 0));
	CHECK(!denied6(a, "0a000000", 0)); /* the other family */
	CHECK(a->lpm6 == NULL);
	acl_free(a);

	/* /0 denies every IPv4 address, no IPv6 one; no LPM needed. */
	rules[0] = r4(0, 0, ACL_DENY, G);
	a = build(rules, 1);
	if (!a)
		return;
	CHECK(a->lpm4 == NULL);
	CHECK(denied4(a, 0, 0) && denied4(a, 0xffffffff, 0) &&
	      denied4(a, 0x7f000001, 7));
	CHECK(!denied6(a, "20010db8", 0));
	acl_free(a);
}

static void test_edges6(void)
{
	struct acl_rule rules[] = {
		r6("20010db8000000000000000000000001", 128, ACL_DENY, G),
		r6("20010db8000100000000000000000000", 48, ACL_DENY, G),
		r6("20010db80002000000000000000000fe", 127, ACL_DENY, G),
		r6("fe800000", 10, ACL_DENY, G),
	};
	struct acl *a = build(rules, 4);

	if (!a)
		return;
	CHECK(denied6(a, "20010db8000000000000000000000001", 0));
	CHECK(!denied6(a, "20010db8000000000000000000000002", 0));
	CHECK(!denied6(a, "20010db8000000000000000000000000", 0));
	CHECK(denied6(a, "20010db80001ffff0000000000000005", 0));
	CHECK(!denied6(a, "20010db80002ffff0000000000000005", 0));
	CHECK(denied6(a, "20010db80002000000000000000000fe", 0));
	CHECK(denied6(a, "20010db80002000000000000000000ff", 0));
	CHECK(!denied6(a, "20010db80002000000000000000000fd", 0));
	CHECK(denied6(a, "febf0000000000000000000000000001", 0));
	CHECK(!denied6(a, "fec00000000000000000000000000001", 0));
	CHECK(!denied4(a, 0x20010db8, 0));
	acl_free(a);

	/* ::/0 allowed globally: the allow list is not empty, so every
	 * IPv4 client (in no allowed prefix) is denied. */
	rules[0] = r6("", 0, ACL_ALLOW, G);
	a = build(rules, 1);
	if (!a)
		return;
	CHECK(!denied6(a, "20010db8", 0) && !denied6(a, "ffff", 3));
	CHECK(denied4(a, 0x0a000001, 0));
	acl_free(a);
}

static void test_deny_wins(void)
{
	struct acl_rule rules[] = {
		r4(0x0a000000, 8, ACL_ALLOW, 3), /* svc 3: allow 10/8 */
		r4(0x0a010000, 16, ACL_DENY, 3), /*   but deny 10.1/16 */
		r4(0x0a020000, 16, ACL_DENY, 4), /* svc 4: deny 10.2/16 */
		r4(0x0a020300, 24, ACL_ALLOW, 4), /*   a longer allow loses */
		r4(0x0b000000, 8, ACL_ALLOW, 4), /*   and 11/8 is allowed */
		r4(0xac100000, 12, ACL_DENY, G), /* global deny 172.16/12 */
		r4(0xac100000, 12, ACL_ALLOW, 5), /*   svc 5 cannot undo it */
		r4(0xc0a80000, 16, ACL_ALLOW, 6), /* one prefix in both */
		r4(0xc0a80000, 16, ACL_DENY, 6),
	};
	struct acl *a = build(rules, 9);

	if (!a)
		return;
	CHECK(!denied4(a, 0x0a020001, 3)); /* in the allow list */
	CHECK(denied4(a, 0x0a010203, 3)); /* deny inside the allow */
	CHECK(denied4(a, 0x0b000001, 3)); /* outside a non-empty allow */
	CHECK(!denied4(a, 0x0b000001, 4)); /* in svc 4's allow list */
	CHECK(denied4(a, 0x0a020305, 4)); /* its deny wins over /24 */
	CHECK(denied4(a, 0x0a030305, 4)); /* in no allow prefix of svc 4 */
	CHECK(!denied4(a, 0x0a030305, 8)); /* a service without lists */
	CHECK(denied4(a, 0xac100001, 5) && denied4(a, 0xac100001, 7));
	CHECK(denied4(a, 0xac100001, G));
	CHECK(denied4(a, 0xc0a80101, 6));
	CHECK(!denied4(a, 0xc0a80101, 7));
	CHECK(!denied4(a, 0x08080808, 7) && !denied4(a, 0x08080808, G));
	acl_free(a);
}

/* Brute-force reading of the rules (the specification of acl_denied). */
static int covers(const struct acl_rule *r, const uint8_t addr[16],
		  uint8_t family)
{
	if (r->family != family)
		return 0;
	for (uint32_t b = 0; b < r->depth; b++) {
		uint8_t m = (uint8_t)(0x80u >> (b % 8));

		if ((r->addr[b / 8] & m) != (addr[b / 8] & m))
			return 0;
	}
	return 1;
}

static int ref_denied(const struct acl_rule *rules, uint32_t n,
		      const uint8_t addr[16], uint8_t family, uint16_t scope)
{
	int g_allow_list = 0, g_allowed = 0, s_allow_list = 0, s_allowed = 0;

	for (uint32_t i = 0; i < n; i++) {
		const struct acl_rule *r = &rules[i];
		int c = covers(r, addr, family);

		if (r->scope != G && r->scope != scope)
			continue;
		if (r->kind == ACL_DENY && c)
			return 1;
		if (r->kind == ACL_ALLOW && r->scope == G) {
			g_allow_list = 1;
			g_allowed |= c;
		} else if (r->kind == ACL_ALLOW) {
			s_allow_list = 1;
			s_allowed |= c;
		}
	}
	return (g_allow_list && !g_allowed) || (s_allow_list && !s_allowed);
}

static void random_rule(struct acl_rule *r, const struct acl_rule *near,
			int with_global_allow)
{
	memset(r, 0, sizeof(*r));
	r->family = rng64() & 1 ? EP_AF_INET : EP_AF_INET6;
	if (near && near->family == r->family) {
		memcpy(r->addr, near->addr, 16);
		r->addr[rng64() % (r->family == EP_AF_INET ? 4 : 16)] ^=
			(uint8_t)(1u << (rng64() % 8));
	} else {
		rng_bytes(r->addr, r->family == EP_AF_INET ? 4 : 16);
	}
	r->depth = (uint8_t)(rng64() % (r->family == EP_AF_INET ? 33 : 129));
	if (r->depth < 4 && rng64() % 8)
		r->depth += 8; /* few /0../3: they cover everything */
	r->kind = rng64() % 3 ? ACL_DENY : ACL_ALLOW;
	r->scope = (uint16_t)(rng64() % 4);
	if (rng64() % 5 == 0)
		r->scope = G;
	if (r->kind == ACL_ALLOW && r->scope == G && !with_global_allow)
		r->kind = ACL_DENY;
}

static void probe_like(uint8_t addr[16], const struct acl_rule *r)
{
	memcpy(addr, r->addr, 16);
	/* Flip one bit somewhere, at or past the prefix or not. */
	if (rng64() & 1) {
		uint32_t bits = r->family == EP_AF_INET ? 32 : 128;
		uint32_t b = (uint32_t)(rng64() % bits);

		addr[b / 8] ^= (uint8_t)(0x80u >> (b % 8));
	}
	if (r->family == EP_AF_INET)
		memset(addr + 4, 0, 12);
}

static void test_against_reference(void)
{
	for (int round = 0; round < 6; round++) {
		const uint32_t n = 300 + (uint32_t)round * 100;
		struct acl_rule *rules = calloc(n, sizeof(*rules));
		struct acl *a;
		uint32_t wrong = 0, checked = 0;

		for (uint32_t i = 0; i < n; i++)
			random_rule(&rules[i], i ? &rules[rng64() % i] : NULL,
				    round % 2);
		a = build(rules, n);
		if (a) {
			for (uint32_t k = 0; k < 4000; k++) {
				const struct acl_rule *r = &rules[rng64() % n];
				uint8_t addr[16];
				uint16_t scope = (uint16_t)(rng64() % 5);

				if (scope == 4)
					scope = G;
				probe_like(addr, r);
				checked++;
				if (acl_denied(a, addr, r->family, scope) !=
				    ref_denied(rules, n, addr, r->family,
					       scope))
					wrong++;
			}
			CHECK_MSG(wrong == 0, "round %d: %u of %u wrong", round,
				  wrong, checked);
		}
		acl_free(a);
		free(rules);
	}
}

static void test_100k(void)
{
	const uint32_t n = 100000;
	struct acl_rule *rules = calloc(n, sizeof(*rules));
	struct timespec t0, t1;
	struct acl *a;
	uint32_t wrong = 0;
	double ms;

	for (uint32_t i = 0; i < n; i++) {
		if (i % 5 < 3) {
			/* IPv4 anywhere, /8 to /32. */
			rules[i] = r4((uint32_t)rng64(),
				      (uint8_t)(8 + rng64() % 25), ACL_DENY,
				      (uint16_t)(rng64() % 16));
		} else {
			/* IPv6 /48s and /64s in 2001:db8::/32. */
			rules[i] = r6("20010db8", rng64() % 4 ? 48 : 64,
				      ACL_DENY, G);
			rng_bytes(rules[i].addr + 4, 4);
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	a = build(rules, n);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
	     (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	printf("100000 prefixes built in %.1f ms, %.1f MiB\n", ms,
	       (double)acl_memory_bytes(a) / (1 << 20));
	if (a) {
		for (uint32_t k = 0; k < 300; k++) {
			const struct acl_rule *r = &rules[rng64() % n];
			uint8_t addr[16];
			uint16_t scope = (uint16_t)(rng64() % 16);

			probe_like(addr, r);
			if (acl_denied(a, addr, r->family, scope) !=
			    ref_denied(rules, n, addr, r->family, scope))
				wrong++;
		}
		CHECK_MSG(wrong == 0, "100k: %u of 300 wrong", wrong);
		/* Every rule's own address is denied for its scope. */
		for (uint32_t i = 0; i < n; i += 97)
			wrong += !acl_denied(a, rules[i].addr, rules[i].family,
					     rules[i].scope);
		CHECK_MSG(wrong == 0, "100k: %u rule addresses passed", wrong);
	}
	acl_free(a);
	free(rules);
}

int main(void)
{
	if (test_eal_init("acl", "768") < 0)
		return 1;
	test_refusals();
	test_edges4();
	test_edges6();
	test_deny_wins();
	test_against_reference();
	test_100k();
	rte_eal_cleanup();
	return check_summary("acl");
}
