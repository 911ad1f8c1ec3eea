/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of slowpath/config/ (see test_config.c): untrusted flat buffers, -ENOSPC, stable stats ids, and a
 * 1000-service build (timed, not asserted).
 */
#include "test_config.h"

/* ------------------------------------------------------------------ */
/* Untrusted flat buffers                                               */

/* from_flat must refuse `buf` with a message starting with `prefix`. */
#define FLAT_REFUSE(buf, len, prefix) flat_refuse(buf, len, prefix, __LINE__)

static void flat_refuse(const void *buf, size_t len, const char *prefix,
			int line)
{
	struct config_error err = { "" };
	struct ep_config cfg;
	int rc = config_from_flat(buf, len, &cfg, &err);

	CHECK_MSG(rc == -EINVAL && starts_with(err.msg, prefix),
		  "line %d: rc %d, message \"%s\", expected \"%s...\"", line,
		  rc, err.msg, prefix);
	if (rc == 0)
		config_free(&cfg);
}

static void test_flat_truncated(const void *good, size_t len)
{
	struct config_error err = { "" };
	struct ep_config cfg;
	size_t n, refused = 0;
	void *cut;

	for (n = 0; n < len; n++) {
		cut = malloc(n + 1); /* malloc(0) may return NULL */
		memcpy(cut, good, n);
		if (config_from_flat(cut, n, &cfg, &err) == -EINVAL)
			refused++;
		else
			config_free(&cfg);
		free(cut);
	}
	CHECK_MSG(refused == len, "%zu of %zu truncations refused", refused,
		  len);
	/* Spare bytes after total_len are fine (the staging area is larger). */
	cut = calloc(1, len + 64);
	memcpy(cut, good, len);
	CHECK(config_from_flat(cut, len + 64, &cfg, &err) == 0);
	config_free(&cfg);
	free(cut);
	CHECK(config_from_flat(NULL, 0, &cfg, &err) == -EINVAL);
}

static void test_flat_header(void *buf, size_t len)
{
	struct ep_cfg_hdr good = hdr_get(buf), h;

	h = good, h.magic ^= 1, hdr_put(buf, &h);
	FLAT_REFUSE(buf, len, "flat.magic: ");
	h = good, h.abi_version++, hdr_put(buf, &h);
	FLAT_REFUSE(buf, len, "flat.abi_version: ");
	h = good, h.total_len = (uint32_t)len + 1, hdr_put(buf, &h);
	FLAT_REFUSE(buf, len, "flat.total_len: ");
	h = good, h.total_len = 10, hdr_put(buf, &h);
	FLAT_REFUSE(buf, len, "flat.total_len: ");
	h = good, h.off_services = (uint32_t)len, hdr_put(buf, &h);
	FLAT_REFUSE(buf, len, "flat.off_services: ");
	h = good, h.off_backends = UINT32_MAX - 3, hdr_put(buf, &h);
	FLAT_REFUSE(buf, len, "flat.off_backends: ");
	h = good, h.off_backends += 2, hdr_put(buf, &h); /* misaligned */
	FLAT_REFUSE(buf, len, "flat.off_backends: ");
	h = good, h.off_node_addrs = 8, hdr_put(buf, &h); /* in the header */
	FLAT_REFUSE(buf, len, "flat.off_node_addrs: ");
	h = good, h.n_services = 100, hdr_put(buf, &h); /* beyond buffer */
	FLAT_REFUSE(buf, len, "flat.off_services: ");
	h = good, h.n_backends = EP_MAX_BACKENDS + 1, hdr_put(buf, &h);
	FLAT_REFUSE(buf, len, "flat: counts ");
	h = good, h.n_node_addrs = UINT32_MAX, hdr_put(buf, &h);
	FLAT_REFUSE(buf, len, "flat: counts ");
	h = good, h.off_backends = h.off_services, hdr_put(buf, &h);
	FLAT_REFUSE(buf, len, "flat: services and backends overlap");
	h = good, h.n_backends--, hdr_put(buf, &h);
	FLAT_REFUSE(buf, len, "flat.services[2]: backends ");
	h = good, h.node.flags = 4, hdr_put(buf, &h);
	FLAT_REFUSE(buf, len, "flat.node.flags: ");
	h = good, h.node.flags = EP_NODE_F_MAGLEV_FRESH | 2u, hdr_put(buf, &h);
	FLAT_REFUSE(buf, len, "flat.node.flags: unknown bits 0x2");
	h = good, h.node.flags = 0x80000000u, hdr_put(buf, &h);
	FLAT_REFUSE(buf, len, "flat.node.flags: unknown bits 0x80000000");
	h = good, h.node.encap_src4.bytes[8] = 1, hdr_put(buf, &h);
	FLAT_REFUSE(buf, len, "flat.node: ");
	h = good, h.node.encap_src4.family = EP_AF_INET6, hdr_put(buf, &h);
	FLAT_REFUSE(buf, len, "node.encap_source_v4: must be an IPv4");
	h = good, h.node.gue_port = 0, hdr_put(buf, &h);
	FLAT_REFUSE(buf, len, "node.gue_port: ");
	/* The global per-client limits: a known mode with a usable rate. */
	h = good, h.node.client_limits[EP_CLIENT_LIMIT_PPS].mode = 3;
	h.node.client_limits[EP_CLIENT_LIMIT_PPS].rate = 10, hdr_put(buf, &h);
	FLAT_REFUSE(buf, len,
		    "flat.node.client_limits.packets_per_second: mode 3");
	h = good, h.node.client_limits[EP_CLIENT_LIMIT_CPS].rate = 10;
	hdr_put(buf, &h); /* off, yet a rate */
	FLAT_REFUSE(buf, len, "flat.node.client_limits.connections_per_second");
	h = good,
	h.node.client_limits[EP_CLIENT_LIMIT_CPS].mode = EP_LIMIT_TOKEN_BUCKET;
	h.node.client_limits[EP_CLIENT_LIMIT_CPS].rate = 10, hdr_put(buf, &h);
	FLAT_REFUSE(buf, len, "flat.node.client_limits.connections_per_second");
	h = good, h.node.client_v6_prefix = 129, hdr_put(buf, &h);
	FLAT_REFUSE(buf, len, "flat.node.client_v6_prefix: 129");
	hdr_put(buf, &good);
}

/* Each case breaks service 1 (of the lab's three) and restores it. */
static void test_flat_services(void *buf, size_t len)
{
	struct ep_cfg_service good = svc_get(buf, 1), s;

	s = good, s.fwd_mode = 0, svc_put(buf, 1, &s);
	FLAT_REFUSE(buf, len, "flat.services[1]: ");
	s = good, s.fwd_mode = 4, svc_put(buf, 1, &s);
	FLAT_REFUSE(buf, len, "flat.services[1]: ");
	s = good, s.sched = 5, svc_put(buf, 1, &s);
	FLAT_REFUSE(buf, len, "flat.services[1]: ");
	s = good, s.proto = 1, svc_put(buf, 1, &s);
	FLAT_REFUSE(buf, len, "flat.services[1]: ");
	s = good, s.flags = 0x80, svc_put(buf, 1, &s);
	FLAT_REFUSE(buf, len, "flat.services[1].flags: ");
	s = good, s.flags = EP_SVC_F_GUE, svc_put(buf, 1, &s); /* nat */
	FLAT_REFUSE(buf, len, "flat.services[1].flags: ");
	s = good, memset(s.name, 'a', EP_NAME_LEN), svc_put(buf, 1, &s);
	FLAT_REFUSE(buf, len, "flat.services[1].name: not NUL-terminated");
	s = good, strcpy(s.name, "a b"), svc_put(buf, 1, &s);
	FLAT_REFUSE(buf, len, "services[1].name: must be 1..31");
	s = good, strcpy(s.name, "web-dsr"), svc_put(buf, 1, &s);
	FLAT_REFUSE(buf, len, "services[1].name: duplicate service name");
	s = good, s.vip.family = 5, svc_put(buf, 1, &s);
	FLAT_REFUSE(buf, len, "flat.services[1].vip: ");
	s = good, s.vip.bytes[15] = 1, svc_put(buf, 1, &s); /* IPv4 tail */
	FLAT_REFUSE(buf, len, "flat.services[1].vip: ");
	s = good, s.vip.pad[0] = 1, svc_put(buf, 1, &s);
	FLAT_REFUSE(buf, len, "flat.services[1].vip: ");
	s = good, s.stats_id = svc_get(buf, 0).stats_id, svc_put(buf, 1, &s);
	FLAT_REFUSE(buf, len, "flat.services[1].stats_id: ");
	s = good, s.stats_id = EP_MAX_SERVICES, svc_put(buf, 1, &s);
	FLAT_REFUSE(buf, len, "flat.services[1].stats_id: ");
	s = good, s.first_backend++, svc_put(buf, 1, &s);
	FLAT_REFUSE(buf, len, "flat.services[1]: backends ");
	s = good, s.n_backends = UINT32_MAX, svc_put(buf, 1, &s);
	FLAT_REFUSE(buf, len, "flat.services[1]: backends ");
	s = good, s.maglev_size = 4, svc_put(buf, 1, &s);
	FLAT_REFUSE(buf, len, "services[1].maglev_table_size: ");
	svc_put(buf, 1, &good);
}

static void test_flat_backends(void *buf, size_t len)
{
	struct ep_cfg_backend good = be_get(buf, 4), b;

	b = good, b.state = 3, be_put(buf, 4, &b);
	FLAT_REFUSE(buf, len, "flat.backends[4]: ");
	b = good, b.has_mac = 2, be_put(buf, 4, &b);
	FLAT_REFUSE(buf, len, "flat.backends[4]: ");
	b = good, b.stats_id = be_get(buf, 8).stats_id, be_put(buf, 4, &b);
	FLAT_REFUSE(buf, len, "flat.backends");
	b = good, b.stats_id = EP_MAX_BACKENDS, be_put(buf, 4, &b);
	FLAT_REFUSE(buf, len, "flat.backends[4].stats_id: ");
	b = good, b.addr.family = 0, be_put(buf, 4, &b);
	FLAT_REFUSE(buf, len, "flat.backends[4].addr: ");
	b = good, b.addr = be_get(buf, 3).addr, be_put(buf, 4, &b);
	FLAT_REFUSE(buf, len, "services[1].backends[1]: duplicate of");
	b = good, b.has_mac = 1, b.mac[0] = 1, be_put(buf, 4, &b);
	FLAT_REFUSE(buf, len, "services[1].backends[1].mac: ");
	be_put(buf, 4, &good);
}

void test_flat_refuse(void)
{
	struct config_error err = { "" };
	struct ep_config cfg, back;
	struct ep_cfg_service s;
	size_t len = 0;
	void *buf;

	if (load_sample("configs/lab.json", &cfg) != 0)
		return;
	buf = flat_of(&cfg, NULL, &len);
	test_flat_truncated(buf, len);
	test_flat_header(buf, len);
	test_flat_services(buf, len);
	test_flat_backends(buf, len);
	/* Restored after every case; maglev_size 0 reads as the default. */
	s = svc_get(buf, 0);
	s.maglev_size = 0;
	svc_put(buf, 0, &s);
	CHECK_MSG(config_from_flat(buf, len, &back, &err) == 0, "%s", err.msg);
	CHECK(back.n_services == 3 &&
	      back.services[0].maglev_size == EP_MAGLEV_DEFAULT_SIZE);
	config_free(&back);
	free(buf);
	config_free(&cfg);
}

void test_enospc(void)
{
	struct config_error err = { "" };
	struct ep_config cfg, back;
	size_t need, len = 0;
	char *buf;

	if (load_sample("configs/lab.json", &cfg) != 0)
		return;
	need = config_flat_size(&cfg);
	buf = malloc(need + 1); /* +1: unaligned start below */
	CHECK(config_to_flat(&cfg, 1, NULL, buf, need - 1, &len, &err) ==
		      -ENOSPC &&
	      len == need && starts_with(err.msg, "flat: needs "));
	CHECK(config_to_flat(&cfg, 1, NULL, NULL, 0, &len, &err) == -ENOSPC);
	CHECK(config_to_flat(&cfg, 1, NULL, buf + 1, need, &len, &err) == 0);
	CHECK(config_from_flat(buf + 1, need, &back, &err) == 0 &&
	      back.n_services == 3);
	free(buf);
	config_free(&back);
	config_free(&cfg);
}

/* ------------------------------------------------------------------ */
/* Stable stats ids                                                     */

/* Services named by `names` (NULL-terminated), each on its own port of
 * one VIP with backends 10.1.<i>.1 and .2. */
static void build(struct ep_config *cfg, const char *const *names)
{
	struct config_service *s;
	uint32_t i, j, n = 0;

	while (names[n] != NULL)
		n++;
	memset(cfg, 0, sizeof(*cfg));
	cfg->node.gue_port = CONFIG_GUE_PORT_DEFAULT;
	cfg->n_services = n;
	cfg->services = calloc(n + 1, sizeof(*cfg->services));
	for (i = 0; i < n; i++) {
		s = &cfg->services[i];
		snprintf(s->name, sizeof(s->name), "%s", names[i]);
		s->vip.family = EP_AF_INET;
		s->vip.bytes[0] = 10;
		s->vip.bytes[3] = 1;
		s->port = (uint16_t)(1000 + i);
		s->proto = 6;
		s->fwd = EP_FWD_NAT;
		s->sched = EP_SCHED_MAGLEV;
		s->maglev_size = EP_MAGLEV_DEFAULT_SIZE;
		s->n_backends = 2;
		s->backends = calloc(2, sizeof(*s->backends));
		for (j = 0; j < 2; j++) {
			s->backends[j].addr.family = EP_AF_INET;
			s->backends[j].addr.bytes[0] = 10;
			s->backends[j].addr.bytes[1] = 1;
			s->backends[j].addr.bytes[2] = (uint8_t)(names[i][0]);
			s->backends[j].addr.bytes[3] = (uint8_t)(j + 1);
			s->backends[j].port = 8080;
			s->backends[j].weight = 1;
		}
	}
}

/* Service `name`'s stats id in `buf` and its backends' ids in `be`. */
static uint32_t ids_of(const void *buf, const char *name, uint32_t be[2])
{
	struct ep_cfg_hdr h = hdr_get(buf);
	struct ep_cfg_service s;
	uint32_t i, j;

	for (i = 0; i < h.n_services; i++) {
		s = svc_get(buf, i);
		if (strcmp(s.name, name) != 0)
			continue;
		for (j = 0; j < 2 && j < s.n_backends; j++)
			be[j] = be_get(buf, s.first_backend + j).stats_id;
		return s.stats_id;
	}
	return UINT32_MAX;
}

/* to_flat + commit, as the slow path does once the fast path accepts. */
static void *publish(struct config_ids *ids, const struct ep_config *cfg,
		     size_t *len)
{
	struct config_error err = { "" };
	void *buf = flat_of(cfg, ids, len);

	CHECK_MSG(config_ids_commit(ids, buf, *len, &err) == 0, "%s", err.msg);
	return buf;
}

void test_ids_stable(void)
{
	static const char *const a[] = { "a", "b", "c", "d", "e", NULL };
	static const char *const b[] = { "a", "b", "d", "e", "f", NULL };
	static const char *const c[] = { "f", "e", "d", "b", "a", "g", NULL };
	struct config_ids *ids = config_ids_create();
	struct ep_config cfg;
	uint32_t be[2], be_c[2] = { 0 };
	size_t len;
	void *buf;

	build(&cfg, a);
	buf = publish(ids, &cfg, &len);
	CHECK(ids_of(buf, "a", be) == 0 && be[0] == 0 && be[1] == 1);
	CHECK(ids_of(buf, "c", be_c) == 2 && be_c[0] == 4 && be_c[1] == 5);
	CHECK(ids_of(buf, "e", be) == 4 && be[0] == 8 && be[1] == 9);
	free(buf);
	config_free(&cfg);

	/* "c" removed, "f" added: survivors keep ids, c's ids wait. */
	build(&cfg, b);
	buf = publish(ids, &cfg, &len);
	CHECK(ids_of(buf, "a", be) == 0 && be[0] == 0 && be[1] == 1);
	CHECK(ids_of(buf, "d", be) == 3 && be[0] == 6 && be[1] == 7);
	CHECK(ids_of(buf, "e", be) == 4 && be[0] == 8 && be[1] == 9);
	CHECK(ids_of(buf, "f", be) == 5 && be[0] == 10 && be[1] == 11);
	free(buf);
	config_free(&cfg);

	/* Reordered plus "g": order does not matter, 2 is still not reused. */
	build(&cfg, c);
	buf = publish(ids, &cfg, &len);
	CHECK(ids_of(buf, "f", be) == 5 && be[0] == 10);
	CHECK(ids_of(buf, "b", be) == 1 && be[0] == 2 && be[1] == 3);
	CHECK(ids_of(buf, "g", be) == 6 && be[0] == 12 && be[1] == 13);
	CHECK(be[0] != be_c[0] && be[1] != be_c[1]);
	free(buf);
	config_free(&cfg);
	config_ids_destroy(ids);
}

/* A backend keeps its id while its identity stays; another port or a
 * renamed service is a new identity. */
void test_ids_identity(void)
{
	static const char *const a[] = { "a", "b", NULL };
	struct config_ids *ids = config_ids_create();
	struct ep_config cfg;
	uint32_t be[2];
	size_t len;
	void *buf;

	build(&cfg, a);
	free(publish(ids, &cfg, &len));
	cfg.services[0].backends[0].weight = 9;
	cfg.services[0].backends[0].state = EP_BE_DRAIN;
	cfg.services[0].backends[1].port = 9090;
	buf = flat_of(&cfg, ids, &len);
	CHECK(ids_of(buf, "a", be) == 0 && be[0] == 0 && be[1] == 4);
	free(buf);
	strcpy(cfg.services[1].name, "b2");
	buf = flat_of(&cfg, ids, &len);
	CHECK(ids_of(buf, "b2", be) == 2);
	free(buf);
	config_free(&cfg);
	config_ids_destroy(ids);
}

/* Failed translations and commits leave the allocator as it was; a fresh
 * allocator committed with the flat config in force recovers the ids. */
void test_ids_no_mutation(void)
{
	static const char *const a[] = { "a", "b", "c", NULL };
	static const char *const b[] = { "b", "d", NULL };
	struct config_ids *ids = config_ids_create(), *ids2;
	struct config_error err = { "" };
	struct ep_config cfg;
	struct ep_cfg_service s;
	size_t len, len2;
	void *before, *after, *bad;
	char small[8];

	build(&cfg, a);
	free(publish(ids, &cfg, &len));
	config_free(&cfg);
	build(&cfg, b);
	before = flat_of(&cfg, ids, &len);
	/* Not committed: translating again gives the same ids. */
	after = flat_of(&cfg, ids, &len2);
	CHECK(len == len2 && memcmp(before, after, len) == 0);
	free(after);
	CHECK(config_to_flat(&cfg, 7, ids, small, sizeof(small), &len2, &err) ==
	      -ENOSPC);
	cfg.services[0].port = cfg.services[1].port; /* invalid: clash */
	CHECK(config_to_flat(&cfg, 7, ids, before, len, &len2, &err) ==
	      -EINVAL);
	cfg.services[0].port = 1000;
	bad = malloc(len);
	memcpy(bad, before, len);
	s = svc_get(bad, 0);
	s.stats_id = svc_get(bad, 1).stats_id;
	svc_put(bad, 0, &s);
	CHECK(config_ids_commit(ids, bad, len, &err) == -EINVAL);
	CHECK(config_ids_commit(ids, bad, 3, &err) == -EINVAL);
	after = flat_of(&cfg, ids, &len2);
	CHECK(len == len2 && memcmp(before, after, len) == 0);
	free(after);
	/* Commit "b", then recover its ids in a fresh allocator (the order
	 * of free ids is not recovered: it restarts ascending). */
	CHECK(config_ids_commit(ids, before, len, &err) == 0);
	ids2 = config_ids_create();
	CHECK(config_ids_commit(ids2, before, len, &err) == 0);
	free(before);
	before = flat_of(&cfg, ids, &len);
	after = flat_of(&cfg, ids2, &len2);
	CHECK(len == len2 && memcmp(before, after, len) == 0);
	free(before);
	free(after);
	free(bad);
	config_free(&cfg);
	config_ids_destroy(ids);
	config_ids_destroy(ids2);
}

/* A service with a new name each round, the old one removed: ids go
 * 0, 1, ... EP_MAX_SERVICES-1 and only then come back to 0. */
void test_ids_fifo(void)
{
	struct config_ids *ids = config_ids_create();
	struct ep_config cfg;
	char name[16];
	const char *names[] = { name, NULL };
	uint32_t k, be[2], wrong = 0;
	size_t len;
	void *buf;

	for (k = 0; k < EP_MAX_SERVICES + 3; k++) {
		snprintf(name, sizeof(name), "s%u", k);
		build(&cfg, names);
		buf = publish(ids, &cfg, &len);
		if (ids_of(buf, name, be) != k % EP_MAX_SERVICES ||
		    be[0] != 2 * k || be[1] != 2 * k + 1)
			wrong++;
		free(buf);
		config_free(&cfg);
	}
	CHECK_MSG(wrong == 0, "%u rounds gave an unexpected id", wrong);
	config_ids_destroy(ids);
}

/* With every id in use, the only id left is the one just freed. */
void test_ids_full(void)
{
	struct config_ids *ids = config_ids_create();
	struct ep_config cfg;
	struct config_service *s;
	uint32_t i, be[2];
	size_t len;
	void *buf;

	memset(&cfg, 0, sizeof(cfg));
	cfg.node.gue_port = CONFIG_GUE_PORT_DEFAULT;
	cfg.n_services = EP_MAX_SERVICES;
	cfg.services = calloc(EP_MAX_SERVICES, sizeof(*cfg.services));
	for (i = 0; i < EP_MAX_SERVICES; i++) {
		s = &cfg.services[i];
		snprintf(s->name, sizeof(s->name), "s%u", i);
		s->vip.family = EP_AF_INET;
		s->vip.bytes[0] = 10;
		s->vip.bytes[3] = 1;
		s->port = (uint16_t)(i + 1);
		s->proto = 6;
		s->fwd = EP_FWD_DSR;
		s->sched = EP_SCHED_RR;
		s->maglev_size = 7;
	}
	free(publish(ids, &cfg, &len));
	strcpy(cfg.services[5].name, "x");
	buf = flat_of(&cfg, ids, &len);
	CHECK(ids_of(buf, "x", be) == 5 && ids_of(buf, "s6", be) == 6);
	free(buf);
	config_free(&cfg);
	config_ids_destroy(ids);
}

/* ------------------------------------------------------------------ */
/* Scale: 1000 services x 10 backends                                   */

void test_scale(void)
{
	struct config_ids *ids = config_ids_create();
	struct config_error err = { "" };
	struct ep_config cfg, back;
	struct sbuf b = { 0 };
	uint32_t i, j;
	size_t len;
	double t0, t_parse, t_flat, t_back, t_json;
	char *json;
	void *buf;

	sb_printf(&b, "{'node':{'addresses':[{'address':'10.99.0.1'}]},"
		      "'services':[");
	for (i = 0; i < 1000; i++) {
		sb_printf(&b,
			  "%s{'name':'svc-%u','vip':'10.100.%u.%u','port':80,"
			  "'protocol':'tcp','forwarding':'nat','backends':[",
			  i ? "," : "", i, i / 250, i % 250 + 1);
		for (j = 0; j < 10; j++)
			sb_printf(&b, "%s{'address':'10.%u.%u.%u','port':8080}",
				  j ? "," : "", 200 + j, i / 250, i % 250 + 1);
		sb_printf(&b, "]}");
	}
	sb_printf(&b, "]}");
	for (i = 0; i < b.len; i++)
		if (b.p[i] == '\'')
			b.p[i] = '"';
	t0 = now_ms();
	CHECK_MSG(config_parse(b.p, b.len, &cfg, &err) == 0, "%s", err.msg);
	t_parse = now_ms();
	len = config_flat_size(&cfg);
	buf = malloc(len);
	CHECK(config_to_flat(&cfg, 1, ids, buf, len, &len, &err) == 0);
	CHECK(config_ids_commit(ids, buf, len, &err) == 0);
	t_flat = now_ms();
	CHECK(config_from_flat(buf, len, &back, &err) == 0);
	t_back = now_ms();
	json = config_to_json(&cfg);
	t_json = now_ms();
	CHECK(json != NULL && back.n_services == 1000 &&
	      back.services[999].n_backends == 10);
	printf("config: 1000x10 (%zu JSON bytes, %zu flat): parse %.1f ms, "
	       "to_flat+commit %.1f ms, from_flat %.1f ms, to_json %.1f ms\n",
	       b.len, len, t_parse - t0, t_flat - t_parse, t_back - t_flat,
	       t_json - t_back);
	free(json);
	free(buf);
	free(b.p);
	config_free(&back);
	config_free(&cfg);
	config_ids_destroy(ids);
}

/* This file's CHECKs, for main()'s total. */
void test_config_flat_checks(unsigned int *passed, unsigned int *failed)
{
	*passed += check_passed;
	*failed += check_failed;
}
