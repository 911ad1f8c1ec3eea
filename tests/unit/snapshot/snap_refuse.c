/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_snapshot, refusals: malformed flat configurations (header, arrays,
 * services, backends, node, duplicates) refused with a reason; and the
 * time to build a large configuration.
 */
#include "snapshot_test.h"

/* 1000 services x 10 backends (65537-slot tables): a build from nothing,
 * then one with a single weight changed. Timing printed, not asserted. */
#define BIG_SVC 1000u
#define BIG_BE 10u

static void *big_flat(uint16_t w, uint32_t *len)
{
	uint32_t off_s = flat_align8(sizeof(struct ep_cfg_hdr));
	uint32_t off_b =
		flat_align8(off_s + BIG_SVC * sizeof(struct ep_cfg_service));
	uint32_t total = flat_align8(
		off_b + BIG_SVC * BIG_BE * sizeof(struct ep_cfg_backend));
	uint8_t *buf = calloc(1, total);
	struct ep_cfg_hdr *h = (void *)buf;
	struct ep_cfg_service *sv = (void *)(buf + off_s);
	struct ep_cfg_backend *be = (void *)(buf + off_b);

	if (buf == NULL)
		abort();
	h->magic = EP_CFG_MAGIC;
	h->abi_version = EP_ABI_VERSION;
	h->version = 1;
	h->total_len = total;
	h->node.gue_port = 6080;
	h->n_services = BIG_SVC;
	h->off_services = off_s;
	h->n_backends = BIG_SVC * BIG_BE;
	h->off_backends = off_b;
	h->off_node_addrs = off_s;
	for (uint32_t i = 0; i < BIG_SVC; i++) {
		snprintf(sv[i].name, sizeof(sv[i].name), "s%u", i);
		sv[i].vip = ep_ip4(198, 51, (uint8_t)(i / 250),
				   (uint8_t)(1 + i % 250));
		sv[i].port = 80;
		sv[i].proto = IPPROTO_TCP;
		sv[i].fwd_mode = EP_FWD_DSR;
		sv[i].sched = EP_SCHED_MAGLEV;
		sv[i].stats_id = i;
		sv[i].first_backend = i * BIG_BE;
		sv[i].n_backends = BIG_BE;
	}
	for (uint32_t i = 0; i < BIG_SVC * BIG_BE; i++) {
		be[i].addr = ep_ip4(10, (uint8_t)(i / 62500),
				    (uint8_t)(i / 250 % 250),
				    (uint8_t)(1 + i % 250));
		be[i].weight = 1;
		be[i].state = EP_BE_UP;
		be[i].stats_id = i;
	}
	be[BIG_SVC * BIG_BE / 2].weight = w;
	*len = total;
	return buf;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

void test_big_timing(void)
{
	struct fp_snapshot *a = NULL, *b = NULL;
	char err[EP_EVENT_ERR_LEN] = "";
	uint32_t len, shared = 0, full = 0;
	void *buf = big_flat(1, &len);
	double t0 = now_ms(), t1, t2, t3, t4;

	CHECK_MSG(snap_build(buf, len, 1, NULL, &a, err, sizeof(err)) == 0,
		  "big build: %s", err);
	free(buf);
	buf = big_flat(2, &len);
	t1 = now_ms();
	CHECK_MSG(snap_build(buf, len, 2, a, &b, err, sizeof(err)) == 0,
		  "big rebuild: %s", err);
	t2 = now_ms();
	free(buf);
	for (uint32_t i = 0; a != NULL && b != NULL && i < BIG_SVC; i++)
		shared += same_ptrs(a, b, i);
	CHECK(shared == BIG_SVC - 1);
	/* Beyond the first few, new services start provisional. */
	CHECK(snap_maglev_pending() >=
	      BIG_SVC - SNAP_SYNC_BUILD_SLOTS / TABLE_SIZE - 1);
	t3 = now_ms();
	CHECK(snap_maglev_build_pending(UINT64_MAX) == 0);
	t4 = now_ms();
	for (uint32_t i = 0; b != NULL && i < BIG_SVC; i++)
		full += b->services[i].maglev_ref->cur->size == TABLE_SIZE;
	CHECK(full == BIG_SVC);
	printf("snap_build %u services x %u backends: %.1f ms from scratch, "
	       "%.1f ms with one weight changed (%u tables shared); "
	       "deferred full tables %.1f ms\n",
	       BIG_SVC, BIG_BE, t1 - t0, t2 - t1, shared, t4 - t3);
	snap_free(a);
	snap_free(b);
}

/* Two TCP services on one VIP (ports 80 and 443), two backends each, one
 * node address. */
void base_cfg(struct flat_build *c)
{
	flat_init(c, 0);
	c->na[0].addr = ep_ip4(192, 0, 2, 10);
	c->n_na = 1;
	cfg_add_service(c, "a", ep_ip4(198, 51, 100, 1), 80, IPPROTO_TCP);
	cfg_add_backend(c, 0, 1);
	cfg_add_backend(c, 1, 1);
	cfg_add_service(c, "b", ep_ip4(198, 51, 100, 1), 443, IPPROTO_TCP);
	c->svc[1].maglev_size = 251;
	cfg_add_backend(c, 2, 1);
	cfg_add_backend(c, 3, 1);
}

/* snap_build must refuse `len` bytes of `buf` with `want_rc` (0: any
 * negative) and an error starting with `prefix`. */
#define REFUSE_BUF(buf, len, want_rc, prefix)                                  \
	refuse_buf(buf, len, want_rc, prefix, __LINE__)

static void refuse_buf(const void *buf, uint32_t len, int want_rc,
		       const char *prefix, int line)
{
	struct fp_snapshot *s = NULL;
	char err[EP_EVENT_ERR_LEN] = "";
	int rc = snap_build(buf, len, 1, NULL, &s, err, sizeof(err));

	CHECK_MSG(rc < 0 && (want_rc == 0 || rc == want_rc) && s == NULL &&
			  err[0] != '\0' &&
			  strncmp(err, prefix, strlen(prefix)) == 0,
		  "line %d: rc %d, error \"%s\", expected %d \"%s...\"", line,
		  rc, err, want_rc, prefix);
	if (rc == 0)
		snap_free(s);
}

/* Lay out `c`, let `edit` break the header, expect the refusal. */
#define REFUSE_HDR(c, stmt, want_rc, prefix)                                   \
	do {                                                                   \
		uint32_t len_;                                                 \
		uint8_t *buf_ = flat_bytes(c, &len_);                          \
		struct ep_cfg_hdr h_;                                          \
                                                                               \
		memcpy(&h_, buf_, sizeof(h_));                                 \
		stmt;                                                          \
		memcpy(buf_, &h_, sizeof(h_));                                 \
		REFUSE_BUF(buf_, len_, want_rc, prefix);                       \
		free(buf_);                                                    \
	} while (0)

/* Break a copy of `c` with `stmt` (on `x`, a struct flat_build), expect the
 * refusal. */
#define REFUSE_CFG(c, stmt, want_rc, prefix)                                   \
	do {                                                                   \
		struct flat_build x = *(c);                                    \
		uint32_t len_;                                                 \
		uint8_t *buf_;                                                 \
                                                                               \
		stmt;                                                          \
		buf_ = flat_bytes(&x, &len_);                                  \
		REFUSE_BUF(buf_, len_, want_rc, prefix);                       \
		free(buf_);                                                    \
	} while (0)

void test_refuse_header(void)
{
	struct flat_build c;
	uint32_t len;
	uint8_t *buf;

	base_cfg(&c);
	buf = flat_bytes(&c, &len);
	REFUSE_BUF(buf, 0, -EINVAL, "flat: 0 bytes, shorter than");
	{
		char want[64];

		snprintf(want, sizeof(want), "flat: %zu bytes, shorter than",
			 sizeof(struct ep_cfg_hdr) - 1);
		REFUSE_BUF(buf, sizeof(struct ep_cfg_hdr) - 1, -EINVAL, want);
	}
	free(buf);
	REFUSE_HDR(&c, h_.magic ^= 1, -EINVAL, "flat.magic: ");
	REFUSE_HDR(&c, h_.abi_version = EP_ABI_VERSION - 1, -EPROTO,
		   "flat.abi_version: ");
	REFUSE_HDR(&c, h_.abi_version = EP_ABI_VERSION + 1, -EPROTO,
		   "flat.abi_version: ");
	REFUSE_HDR(&c, h_.node.flags = 0x2, -EINVAL,
		   "flat.node.flags: unknown bits");
	REFUSE_HDR(&c, h_.total_len += 8, -EINVAL, "flat.total_len: ");
	REFUSE_HDR(&c, h_.n_services = EP_MAX_SERVICES + 1, -E2BIG,
		   "flat: counts ");
	REFUSE_HDR(&c, h_.n_backends = EP_MAX_BACKENDS + 1, -E2BIG,
		   "flat: counts ");
	REFUSE_HDR(&c, h_.n_node_addrs = UINT32_MAX, -E2BIG, "flat: counts ");
}

void test_refuse_arrays(void)
{
	const char *be = "flat.off_backends: ", *sv = "flat.off_services: ";
	struct flat_build c;

	base_cfg(&c);
	REFUSE_HDR(&c, h_.off_backends = h_.total_len, -EINVAL, be);
	REFUSE_HDR(&c, h_.n_backends += 1, -EINVAL, be);
	REFUSE_HDR(&c, h_.n_services = 100, -EINVAL, sv);
	REFUSE_HDR(&c, h_.off_node_addrs = h_.total_len - 8, -EINVAL,
		   "flat.off_node_addrs: ");
	REFUSE_HDR(&c, h_.off_services = UINT32_MAX - 7, -EINVAL, sv);
	REFUSE_HDR(&c, h_.off_services = 8, -EINVAL, sv); /* in the header */
	REFUSE_HDR(&c, h_.off_backends += 4, -EINVAL, be); /* misaligned */
	REFUSE_HDR(&c, h_.off_node_addrs = 0, -EINVAL, "flat.off_node_addrs: ");
}

void test_refuse_services(void)
{
	const char *range = "flat.services[1]: backends ";
	struct flat_build c;

	base_cfg(&c);
	REFUSE_CFG(&c, x.svc[1].first_backend = 3, -EINVAL, range);
	REFUSE_CFG(&c, x.svc[1].first_backend = 4, -EINVAL, range);
	REFUSE_CFG(&c, x.svc[1].n_backends = 3, -EINVAL, range);
	REFUSE_CFG(&c, x.svc[1].first_backend = UINT32_MAX, -EINVAL, range);
	REFUSE_CFG(&c, x.svc[1].n_backends = UINT32_MAX, -EINVAL, range);
	REFUSE_CFG(&c, x.svc[1].proto = IPPROTO_ICMP, -EINVAL,
		   "flat.services[1]: proto 1,");
	REFUSE_CFG(&c, x.svc[1].fwd_mode = 0, -EINVAL,
		   "flat.services[1]: proto 6, fwd_mode 0 or");
	REFUSE_CFG(&c, x.svc[1].fwd_mode = EP_FWD_NAT + 1, -EINVAL,
		   "flat.services[1]: proto 6, fwd_mode 4 or");
	REFUSE_CFG(&c, x.svc[1].sched = 0, -EINVAL,
		   "flat.services[1]: proto 6, fwd_mode 1 or sched 0 ");
	REFUSE_CFG(&c, x.svc[1].sched = EP_SCHED_LC + 1, -EINVAL,
		   "flat.services[1]: proto 6, fwd_mode 1 or sched 5 ");
	REFUSE_CFG(&c, x.svc[1].vip.family = 5, -EINVAL,
		   "flat.services[1].vip: malformed");
	REFUSE_CFG(&c, x.svc[1].stats_id = EP_MAX_SERVICES, -EINVAL,
		   "flat.services[1].stats_id: 2048 out of range");
	/* The slow path's rule, now the fast path's too: ids are unique. */
	REFUSE_CFG(&c, x.svc[1].stats_id = x.svc[0].stats_id, -EINVAL,
		   "flat.services[1].stats_id: ");
	REFUSE_CFG(&c, x.svc[1].maglev_size = 250, -EINVAL,
		   "services[1].maglev_table_size: 250 unusable");
	REFUSE_CFG(&c, x.svc[1].maglev_size = EP_MAGLEV_MAX_SIZE + 2, -EINVAL,
		   "services[1].maglev_table_size: ");
	/* Prime, but fewer slots (2) than backends (3). */
	REFUSE_CFG(&c,
		   (x.svc[0].n_backends = 1, x.svc[1].first_backend = 1,
		    x.svc[1].n_backends = 3, x.svc[1].maglev_size = 2),
		   -EINVAL, "services[1].maglev_table_size: 2 unusable");
}

void test_refuse_backends_and_node(void)
{
	struct flat_build c;

	base_cfg(&c);
	REFUSE_CFG(&c, x.be[2].state = EP_BE_DRAIN + 1, -EINVAL,
		   "flat.backends[2]: state 3 ");
	REFUSE_CFG(&c, x.be[2].stats_id = EP_MAX_BACKENDS, -EINVAL,
		   "flat.backends[2].stats_id: 32768 out of range");
	REFUSE_CFG(&c, x.be[2].addr.family = 0, -EINVAL,
		   "flat.backends[2].addr: malformed");
	REFUSE_CFG(&c, x.be[2].addr.family = 7, -EINVAL,
		   "flat.backends[2].addr: malformed");
	REFUSE_CFG(&c, x.na[0].addr.family = 0, -EINVAL,
		   "flat.node_addrs[0].addr: malformed");
}

void test_refuse_duplicates(void)
{
	const char *dup = "services[1]: VIP, port and protocol already used";
	struct fp_snapshot *s;
	struct flat_build c;

	base_cfg(&c);
	REFUSE_CFG(&c, x.svc[1].port = 80, -EINVAL, dup);
	REFUSE_CFG(&c, (x.svc[0].port = 0, x.svc[1].port = 0), -EINVAL, dup);
	/* The same VIP and port over the other protocol is another service. */
	c.svc[1].port = 80;
	c.svc[1].proto = IPPROTO_UDP;
	s = build_ok(&c, NULL);
	if (s != NULL)
		CHECK(s->n_services == 2 &&
		      s->services[1].proto == IPPROTO_UDP);
	snap_free(s);
	/* An IPv6 VIP with the same leading bytes is another address. */
	c.svc[1].proto = IPPROTO_TCP;
	c.svc[1].vip.family = EP_AF_INET6;
	c.be[2].addr.family = EP_AF_INET6;
	c.be[3].addr.family = EP_AF_INET6;
	s = build_ok(&c, NULL);
	snap_free(s);
}
