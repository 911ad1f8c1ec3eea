/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_fastpath, refusals: malformed frames dropped and counted, bad
 * configurations refused with the old one kept.
 */
#include "fastpath_test.h"

void test_malformed(struct tflow *fl)
{
	static const struct {
		enum ep_drop_reason why;
		const char *name;
	} kinds[] = {
		{ EP_DROP_IP4_TRUNC, "truncated IPv4 header" },
		{ EP_DROP_IP4_BAD_CSUM, "bad IPv4 header checksum" },
		{ EP_DROP_IP4_BAD_LEN, "IPv4 total length past the frame" },
		{ EP_DROP_TCP_TRUNC, "truncated TCP header" },
		{ EP_DROP_NOT_FOR_US, "unicast to another host's MAC" },
	};
	uint64_t inserts0 = stats_sum_cnt(fp.stats, EP_CNT_CT_INSERTS);

	for (unsigned int i = 0; i < RTE_DIM(kinds); i++) {
		uint64_t d0 = stats_sum_drop(fp.stats, kinds[i].why);
		uint8_t f[128], *ip = f + 14;
		uint32_t len =
			flow_frame4(f, fl, i, IP4(10, 1, 0, 1), 80, TH_SYN, 0);
		struct rte_mbuf *mb;
		unsigned int got;

		switch (kinds[i].why) {
		case EP_DROP_IP4_TRUNC:
			len = 14 + 12;
			break;
		case EP_DROP_IP4_BAD_CSUM:
			ip[10] ^= 0x5a;
			break;
		case EP_DROP_IP4_BAD_LEN:
			be16_put(ip + 2, 200);
			set_ip4_csum(ip);
			break;
		case EP_DROP_NOT_FOR_US:
			f[5] ^= 0x40; /* still unicast, not the port's MAC */
			break;
		default: /* 10 bytes of TCP header */
			be16_put(ip + 2, 30);
			set_ip4_csum(ip);
			break;
		}
		mb = mk(f, len);
		got = xmit(&mb, 1);
		CHECK_MSG(got == 0, "%s forwarded", kinds[i].name);
		free_out(got);
		CHECK_MSG(stats_sum_drop(fp.stats, kinds[i].why) == d0 + 1,
			  "%s: drop counter %s did not move", kinds[i].name,
			  stats_drop_names[kinds[i].why]);
	}
	CHECK(stats_sum_cnt(fp.stats, EP_CNT_CT_INSERTS) == inserts0);
}

void test_bad_config(struct tflow *fl)
{
	struct ep_event_msg ev;
	struct dsr_stats st;
	struct ep_cfg_hdr *h;
	struct flat_build c;
	uint64_t gen = fp.snap->generation;
	uint32_t len;
	uint8_t *buf;

	make_cfg(&c, 2);
	buf = cfg_flat(&c, 3, &len);
	h = (struct ep_cfg_hdr *)buf;

	h->magic = 0x12345678;
	memset(&ev, 0, sizeof(ev));
	CHECK(ctrl_apply(buf, len, &ev) < 0);
	CHECK(ev.status < 0);
	CHECK(ev.error[0] != '\0');
	CHECK(ev.generation == gen);
	h->magic = EP_CFG_MAGIC;

	/* Service 0's backends run past the backend array. */
	((struct ep_cfg_service *)(buf + h->off_services))[0].n_backends =
		c.n_be + 5;
	memset(&ev, 0, sizeof(ev));
	CHECK(ctrl_apply(buf, len, &ev) < 0);
	CHECK(ev.status < 0);
	CHECK_MSG(ev.error[0] != '\0', "no error text");
	CHECK(ev.generation == gen);
	CHECK(fp.snap->generation == gen);
	CHECK(fp.snap->version == 2);
	free(buf);

	/* Established flows still go where they went. */
	dsr_round(fl, 0, 500, IP4(10, 1, 0, 1), TH_ACK, 3, 0, 0, &st);
	CHECK(st.got == 500);
	CHECK(st.bad == 0);
	CHECK(st.moved == 0);
}
