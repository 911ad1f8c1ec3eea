/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_policing, access lists: global and per-service deny and allow
 * lists over IPv4 and IPv6, a list changed under established flows, and
 * limits and a 100,000-prefix list changed while traffic flows.
 */
#include "policing_test.h"

static uint32_t gen_acl(uint64_t i, uint8_t *f, uint32_t *sid, int *ok)
{
	uint16_t sport = (uint16_t)(1024 + i % 50000);
	uint32_t r = rnd();

	*ok = i % 8 == 0 || i % 8 == 3 || i % 8 == 7;
	switch (i % 8) {
	case 0: /* allowed anywhere */
		*sid = SVC_WEB;
		return frame_tcp4(f, IP4(10, 5, 128, 0) | (r & 0x7fff),
				  IP4(10, 1, 0, 1), sport, TH_SYN);
	case 1: /* global deny */
		*sid = SVC_WEB;
		return frame_tcp4(f, IP4(10, 66, 0, 0) | (r & 0xffff),
				  IP4(10, 1, 0, 1), sport, TH_SYN);
	case 2: /* web's own deny list (10.5.5.0/24) */
		*sid = SVC_WEB;
		return frame_tcp4(f, IP4(10, 5, 5, 0) | (r & 0xff),
				  IP4(10, 1, 0, 1), sport, TH_SYN);
	case 3: /* priv: in its allow list */
		*sid = SVC_PRIV;
		return frame_tcp4(f, IP4(10, 20, 0, 0) | (r & 0xffff),
				  IP4(10, 1, 0, 2), sport, TH_SYN);
	case 4: /* priv: outside its allow list */
		*sid = SVC_PRIV;
		return frame_tcp4(f, IP4(10, 21, 0, 0) | (r & 0xffff),
				  IP4(10, 1, 0, 2), sport, TH_SYN);
	case 5: /* priv: global deny wins over nothing */
		*sid = SVC_PRIV;
		return frame_tcp4(f, IP4(10, 66, 1, 1), IP4(10, 1, 0, 2), sport,
				  TH_SYN);
	default: {
		struct ep_ip src = ip6(i % 8 == 6 ? "2001:db8:bad::5"
						  : "2001:db8:600d::5");
		struct ep_ip dst = ip6("fd00:1::1");

		put32(src.bytes + 12, r);
		*sid = SVC_WEB6;
		return frame_tcp6(f, src.bytes, dst.bytes, sport);
	}
	}
}

void test_acl(struct cfg *c)
{
	struct stream s = { .gen = gen_acl, .pps = 40000, .secs = 1.0 };
	uint64_t drop0 = stats_sum_drop(fp.stats, EP_DROP_ACL), per_web,
		 per_priv, per_web6, sent, want_ok;
	pthread_t th;

	base_cfg(c);
	cfg_rule(c, ip4(IP4(10, 66, 0, 0)), 16, EP_ACL_DENY, 0);
	cfg_rule(c, ip6("2001:db8:bad::"), 48, EP_ACL_DENY, 0);
	cfg_rule(c, ip4(IP4(10, 5, 5, 0)), 24, EP_ACL_DENY, SVC_WEB);
	cfg_rule(c, ip4(IP4(192, 0, 2, 1)), 32, EP_ACL_DENY, SVC_WEB);
	cfg_rule(c, ip4(IP4(10, 20, 0, 0)), 16, EP_ACL_ALLOW, SVC_PRIV);
	per_web = SVC_DROPS(SVC_WEB, drop_acl);
	per_priv = SVC_DROPS(SVC_PRIV, drop_acl);
	per_web6 = SVC_DROPS(SVC_WEB6, drop_acl);
	if (apply(c, 10) != 0)
		return;
	stream_start(&s, &th);
	pthread_join(th, NULL);
	sent = s.t.sent[SVC_WEB] + s.t.sent[SVC_PRIV] + s.t.sent[SVC_WEB6];
	/* Cases 0, 3 and 7 of every 8 pass. */
	want_ok = s.t.out[SVC_WEB] + s.t.out[SVC_PRIV] + s.t.out[SVC_WEB6];
	CHECK_MSG(s.t.denied_out == 0,
		  "%" PRIu64 " denied frames reached a "
		  "backend",
		  s.t.denied_out);
	CHECK_MSG(s.t.other == 0, "%" PRIu64 " unexpected frames out",
		  s.t.other);
	CHECK_MSG(s.t.out[SVC_WEB] == s.t.sent_ok[SVC_WEB] &&
			  s.t.out[SVC_PRIV] == s.t.sent_ok[SVC_PRIV] &&
			  s.t.out[SVC_WEB6] == s.t.sent_ok[SVC_WEB6],
		  "out %" PRIu64 "/%" PRIu64 " %" PRIu64 "/%" PRIu64 " %" PRIu64
		  "/%" PRIu64,
		  s.t.out[SVC_WEB], s.t.sent[SVC_WEB], s.t.out[SVC_PRIV],
		  s.t.sent[SVC_PRIV], s.t.out[SVC_WEB6], s.t.sent[SVC_WEB6]);
	CHECK_MSG(
		stats_sum_drop(fp.stats, EP_DROP_ACL) - drop0 == sent - want_ok,
		"acl drops %" PRIu64 ", expected %" PRIu64,
		stats_sum_drop(fp.stats, EP_DROP_ACL) - drop0, sent - want_ok);
	CHECK(SVC_DROPS(SVC_WEB, drop_acl) - per_web ==
	      s.t.sent[SVC_WEB] - s.t.out[SVC_WEB]);
	CHECK(SVC_DROPS(SVC_PRIV, drop_acl) - per_priv ==
	      s.t.sent[SVC_PRIV] - s.t.out[SVC_PRIV]);
	CHECK(SVC_DROPS(SVC_WEB6, drop_acl) - per_web6 ==
	      s.t.sent[SVC_WEB6] - s.t.out[SVC_WEB6]);
	printf("acl: %" PRIu64 " frames, %" PRIu64 " passed, none denied out\n",
	       sent, want_ok);
}

static uint32_t gen_change(uint64_t i, uint8_t *f, uint32_t *sid, int *ok)
{
	(void)ok;
	*sid = SVC_CHANGE;
	return frame_tcp4(f, IP4(10, 4, 0, 0) | (uint32_t)(i % 500),
			  IP4(10, 1, 0, SVC_CHANGE), (uint16_t)(3000 + i % 500),
			  TH_ACK);
}

/* 100,000 global deny prefixes in 100.64.0.0/10, none of our sources. */
static void add_big_acl(struct cfg *c)
{
	for (uint32_t i = 0; i < 100000; i++) {
		uint32_t a = IP4(100, 64, 0, 0) | (i << 5 & 0x3fffff);
		uint8_t depth = (uint8_t)(27 - i % 12);

		a &= ~0u << (32 - depth);
		cfg_rule(c, ip4(a), depth, EP_ACL_DENY, 0);
	}
	/* Edge prefixes that must not match: IPv6 ::/0 deny, a /32. */
	cfg_rule(c, ip6("::"), 0, EP_ACL_DENY, 0);
	cfg_rule(c, ip4(IP4(10, 4, 255, 255)), 32, EP_ACL_DENY, 0);
}

void test_change_midstream(struct cfg *c)
{
	struct stream s = { .gen = gen_change, .pps = 10000, .secs = 4.0 };
	uint64_t drops0 = SVC_DROPS(SVC_CHANGE, drops);
	pthread_t th;

	base_cfg(c);
	cfg_limit(c, SVC_CHANGE, EP_LIMIT_PPS, EP_LIMIT_TOKEN_BUCKET, 40000,
		  4000);
	cfg_limit(c, SVC_CHANGE, EP_LIMIT_BPS, EP_LIMIT_LEAKY_BUCKET,
		  40000 * 60, 40000);
	if (apply(c, 40) != 0)
		return;
	stream_start(&s, &th);
	rte_delay_ms(1000);
	/* 1 s: other limits, other modes. */
	cfg_limit(c, SVC_CHANGE, EP_LIMIT_PPS, EP_LIMIT_LEAKY_BUCKET, 30000,
		  3000);
	cfg_limit(c, SVC_CHANGE, EP_LIMIT_BPS, EP_LIMIT_TOKEN_BUCKET,
		  30000 * 60, 60000);
	apply(c, 41);
	rte_delay_ms(1000);
	/* 2 s: 100,000 prefixes built and swapped in. */
	add_big_acl(c);
	apply(c, 42);
	rte_delay_ms(700);
	/* Then everything off again. */
	base_cfg(c);
	apply(c, 43);
	pthread_join(th, NULL);
	CHECK_MSG(s.t.out[SVC_CHANGE] == s.t.sent[SVC_CHANGE] &&
			  s.t.sent[SVC_CHANGE] > 30000,
		  "changes mid-stream: %" PRIu64 " of %" PRIu64 " out",
		  s.t.out[SVC_CHANGE], s.t.sent[SVC_CHANGE]);
	CHECK(SVC_DROPS(SVC_CHANGE, drops) == drops0);
	printf("changes mid-stream (limits, 100,000-prefix ACL): %" PRIu64
	       " of %" PRIu64 " out\n",
	       s.t.out[SVC_CHANGE], s.t.sent[SVC_CHANGE]);
}

/*
 * Established flows when the access list changes under them: 400 flows
 * from 10.7.0.0/23 to web, first all allowed, then 10.7.0.0/24 denied,
 * then allowed again. A flow remembers the list it passed (policing's
 * words in its entry), so a new list must be looked up again: every
 * frame from the denied /24 is refused once it is in force, and nothing
 * else is lost in any phase.
 */
static int est_denied; /* the phase: 10.7.0.0/24 denied */

static uint32_t gen_est(uint64_t i, uint8_t *f, uint32_t *sid, int *ok)
{
	uint32_t k = (uint32_t)(i % 400);

	*sid = SVC_WEB;
	*ok = !(est_denied && k < 256);
	return frame_tcp4(f, IP4(10, 7, 0, 0) + k, IP4(10, 1, 0, 1),
			  (uint16_t)(5000 + k), TH_ACK);
}

static void est_phase(struct cfg *c, uint64_t version, int denied)
{
	struct stream s = { .gen = gen_est, .pps = 20000, .secs = 0.5 };
	uint64_t drop0, sent;
	pthread_t th;

	base_cfg(c);
	cfg_rule(c, ip4(IP4(10, 66, 0, 0)), 16, EP_ACL_DENY, 0);
	if (denied)
		cfg_rule(c, ip4(IP4(10, 7, 0, 0)), 24, EP_ACL_DENY, 0);
	if (apply(c, version) != 0)
		return;
	est_denied = denied;
	drop0 = stats_sum_drop(fp.stats, EP_DROP_ACL);
	stream_start(&s, &th);
	pthread_join(th, NULL);
	sent = s.t.sent[SVC_WEB];
	CHECK_MSG(s.t.out[SVC_WEB] == s.t.sent_ok[SVC_WEB] && sent > 5000 &&
			  s.t.other == 0,
		  "established, %s: %" PRIu64 " out of %" PRIu64
		  " sent, %" PRIu64 " allowed",
		  denied ? "denied" : "allowed", s.t.out[SVC_WEB], sent,
		  s.t.sent_ok[SVC_WEB]);
	CHECK_MSG(stats_sum_drop(fp.stats, EP_DROP_ACL) - drop0 ==
			  sent - s.t.sent_ok[SVC_WEB],
		  "established, %s: %" PRIu64 " acl drops, expected %" PRIu64,
		  denied ? "denied" : "allowed",
		  stats_sum_drop(fp.stats, EP_DROP_ACL) - drop0,
		  sent - s.t.sent_ok[SVC_WEB]);
	printf("acl over established flows, %s: %" PRIu64 " of %" PRIu64
	       " out\n",
	       denied ? "10.7.0.0/24 denied" : "allowed", s.t.out[SVC_WEB],
	       sent);
}

void test_acl_established(struct cfg *c)
{
	est_phase(c, 50, 0);
	est_phase(c, 51, 1);
	est_phase(c, 52, 0);
}
