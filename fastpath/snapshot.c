/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Snapshot construction on the main lcore: check the slow path's flat
 * configuration (ep_flat_check(), fastpath/abi/), then lay out services, backends, address tables and the
 * per-service Maglev / round-robin tables in DPDK memory.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_lcore.h>
#include <rte_malloc.h>

#include "flat_check.h"
#include "maglev.h"
#include "snapshot.h"
#include "snapshot_maglev.h"

#define SNAP_WRR_CAP 65536u

static int fail(char *err, size_t err_len, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, err_len, fmt, ap);
	va_end(ap);
	return rc;
}

static uint32_t table_slots(uint32_t n)
{
	uint32_t slots = 16;

	while (slots < 2 * n)
		slots <<= 1;
	return slots;
}

static int addr_table_init(struct snap_addr_table *t, uint32_t n)
{
	uint32_t slots = table_slots(n);

	t->slots = rte_zmalloc("ep_snap_addrs", slots * sizeof(*t->slots), 64);
	t->mask = slots - 1;
	return t->slots ? 0 : -ENOMEM;
}

/* Insert; -EEXIST when the key is present (its value is kept). */
static int addr_table_add(struct snap_addr_table *t, const uint8_t addr[16],
			  uint8_t family, uint16_t port_n, uint8_t proto,
			  uint32_t value)
{
	uint32_t i = snap_addr_hash(addr, port_n, proto) & t->mask;

	while (t->slots[i].family != 0) {
		struct snap_addr_slot *s = &t->slots[i];

		if (s->family == family && s->port_n == port_n &&
		    s->proto == proto && memcmp(s->addr, addr, 16) == 0)
			return -EEXIST;
		i = (i + 1) & t->mask;
	}
	memcpy(t->slots[i].addr, addr, 16);
	t->slots[i].family = family;
	t->slots[i].port_n = port_n;
	t->slots[i].proto = proto;
	t->slots[i].value = value;
	return 0;
}

static uint32_t needs_maglev(const struct ep_cfg_service *sv)
{
	return sv->sched == EP_SCHED_MAGLEV || (sv->flags & EP_SVC_F_AFFINITY);
}

static uint32_t sched_uses_wrr(uint8_t sched)
{
	return sched == EP_SCHED_RR || sched == EP_SCHED_WRR;
}

/* Round-robin tables only: each Maglev table has its own allocation. */
static uint64_t tables_size(const struct ep_cfg_service *svcs, uint32_t n)
{
	uint64_t total = 0;

	for (uint32_t i = 0; i < n; i++) {
		if (sched_uses_wrr(svcs[i].sched))
			total += SNAP_WRR_CAP;
	}
	return total;
}

static void copy_backend(struct snap_backend *dst,
			 const struct ep_cfg_backend *src)
{
	memcpy(dst->addr, src->addr.bytes, 16);
	dst->family = src->addr.family;
	dst->state = src->state;
	dst->port_n = rte_cpu_to_be_16(src->port);
	dst->weight = src->weight;
	dst->stats_id = src->stats_id;
}

/* Stable identity of a backend for Maglev permutations. */
static uint32_t backend_hash_id(const struct snap_backend *b)
{
	return snap_addr_hash(b->addr, b->port_n, b->family);
}

/* The weight Maglev gives a backend: 0 unless up. */
static uint16_t backend_weight(const struct snap_backend *b)
{
	return b->state == EP_BE_UP ? b->weight : 0;
}

/*
 * Provisional tables: about this many slots per backend (see
 * snap_build()). A table serves for the second or two until its full one
 * is built, so its shares may be off by one slot in 32 (3 %); a build
 * costs about m ln m probes, and at 100 per backend the provisional
 * tables of a 1000-service change took 92 % of snap_build().
 */
#define SNAP_PROVISIONAL_PER_BACKEND 32u

static uint32_t sync_build_slots = SNAP_SYNC_BUILD_SLOTS;

void snap_set_sync_build_slots(uint32_t slots)
{
	sync_build_slots = slots;
}

/*
 * The snapshot being replaced, indexed so that a service's Maglev table
 * can be shared when its inputs did not change, or else rebuilt from its
 * previous one (fewest flows moved) instead of built afresh.
 */
struct snap_prev {
	const struct fp_snapshot *snap; /* NULL: first build */
	uint32_t *by_sid; /* [EP_MAX_SERVICES] stats_id -> index, or MAX */
	uint32_t *ids; /* scratch: one previous service's backend hash_ids */
	int rebuild; /* not EP_NODE_F_MAGLEV_FRESH: rebuild from old tables */
	uint32_t sync_left; /* slots new services may still build at once */
};

/*
 * `node_flags` are the new configuration's: with EP_NODE_F_MAGLEV_FRESH
 * no table is rebuilt from the previous one (each is shared or fresh).
 */
static int prev_init(struct snap_prev *p, const struct fp_snapshot *prev,
		     uint32_t node_flags)
{
	p->snap = prev;
	p->by_sid = NULL;
	p->ids = NULL;
	p->rebuild = !(node_flags & EP_NODE_F_MAGLEV_FRESH);
	p->sync_left = sync_build_slots;
	if (prev == NULL)
		return 0;
	/* Every previous service's backends fit in the whole array. */
	p->by_sid = malloc((EP_MAX_SERVICES + prev->n_backends) *
			   sizeof(*p->by_sid));
	if (p->by_sid == NULL)
		return -ENOMEM;
	p->ids = p->by_sid + EP_MAX_SERVICES;
	for (uint32_t i = 0; i < EP_MAX_SERVICES; i++)
		p->by_sid[i] = UINT32_MAX;
	for (uint32_t i = 0; i < prev->n_services; i++)
		if (prev->services[i].stats_id < EP_MAX_SERVICES)
			p->by_sid[prev->services[i].stats_id] = i;
	return 0;
}

static void prev_free(struct snap_prev *p)
{
	free(p->by_sid);
	p->by_sid = NULL;
	p->ids = NULL;
}

/* The previous service with `sv`'s stats_id and Maglev table size. */
static const struct snap_service *prev_same_sid(const struct snap_prev *p,
						const struct snap_service *sv)
{
	const struct snap_service *old;
	uint32_t idx;

	if (p->snap == NULL)
		return NULL;
	idx = p->by_sid[sv->stats_id];
	if (idx == UINT32_MAX)
		return NULL;
	old = &p->snap->services[idx];
	if (old->maglev_ref == NULL || old->maglev_size != sv->maglev_size)
		return NULL;
	return old;
}

/* Did `old` have exactly the inputs `mb` (sv's backends as Maglev takes
 * them, in order)? */
static int same_inputs(const struct snap_prev *p,
		       const struct snap_service *old,
		       const struct snap_service *sv,
		       const struct maglev_backend *mb)
{
	if (old->n_backends != sv->n_backends)
		return 0;
	for (uint32_t j = 0; j < old->n_backends; j++) {
		const struct snap_backend *b =
			&p->snap->backends[old->first_backend + j];

		if (backend_hash_id(b) != mb[j].hash_id ||
		    backend_weight(b) != mb[j].weight)
			return 0;
	}
	return 1;
}

/* Fill p->ids with `old`'s backend identities for maglev_rebuild(). */
static void prev_ids(const struct snap_prev *p, const struct snap_service *old)
{
	for (uint32_t j = 0; j < old->n_backends; j++)
		p->ids[j] = backend_hash_id(
			&p->snap->backends[old->first_backend + j]);
}

/* Smallest prime >= x (x well below UINT32_MAX here). */
static uint32_t prime_at_least(uint32_t x)
{
	while (!ep_is_prime(x))
		x++;
	return x;
}

/* The provisional table size for `n` weighted backends, or 0 when a
 * provisional table would be no smaller than the full one. */
static uint32_t provisional_size(uint32_t n, uint32_t full)
{
	/* Services of a change tend to have the same counts: remember the
	 * last answer (main lcore only) instead of searching primes again. */
	static uint32_t last_n, last_full, last_size;
	uint64_t want = (uint64_t)SNAP_PROVISIONAL_PER_BACKEND * n;

	if (n == 0 || want >= full)
		return 0;
	if (n == last_n && full == last_full)
		return last_size;
	want = prime_at_least((uint32_t)want);
	last_n = n;
	last_full = full;
	last_size = want < full ? (uint32_t)want : 0;
	return last_size;
}

/*
 * A full table built now: rebuilt from `old`'s (same size) when given,
 * else fresh. On success sv holds the only reference.
 */
static int build_now(const struct snap_prev *p, struct snap_service *sv,
		     const struct maglev_backend *mb,
		     const struct snap_service *old)
{
	struct snap_maglev *o = snap_maglev_alloc(sv->maglev_size, mb, 0, 0);
	struct maglev_table *t = snap_table_alloc(sv->maglev_size);
	int rc;

	if (o == NULL || t == NULL) {
		rte_free(t);
		free(o);
		return -ENOMEM;
	}
	if (old == NULL) {
		rc = maglev_build(mb, sv->n_backends, t->slots, t->size);
	} else {
		prev_ids(p, old);
		rc = maglev_rebuild(mb, sv->n_backends, p->ids, old->n_backends,
				    old->maglev_ref->full->slots, t->slots,
				    t->size);
	}
	if (rc < 0 && rc != -ENOENT) {
		rte_free(t);
		free(o);
		return rc;
	}
	o->full = t;
	o->fresh = old == NULL;
	o->cur = t;
	sv->maglev_ref = o;
	return rc;
}

/*
 * Defer sv's full (fresh) table. Meanwhile `interim`'s table serves
 * (same inputs, so the same backends and shares), or when NULL a
 * provisional table of `psize` slots built now.
 */
static int defer(struct snap_service *sv, const struct maglev_backend *mb,
		 struct snap_maglev *interim, uint32_t psize)
{
	struct snap_maglev *o =
		snap_maglev_alloc(sv->maglev_size, mb, sv->n_backends, psize);
	int rc;

	if (o == NULL)
		return -ENOMEM;
	if (interim != NULL) {
		interim->refs++;
		o->interim = interim;
		o->cur = interim->cur;
	} else {
		rc = maglev_build(mb, sv->n_backends, o->provisional->slots,
				  psize);
		if (rc < 0) {
			free(o);
			return rc;
		}
		o->cur = o->provisional;
	}
	snap_maglev_defer(o);
	sv->maglev_ref = o;
	return 0;
}

/*
 * A service's Maglev table, as snap_build() describes. On success sv
 * holds one reference to its table object.
 */
static int build_maglev(struct snap_prev *p, struct snap_service *sv,
			const struct maglev_backend *mb)
{
	const struct snap_service *old = prev_same_sid(p, sv);
	struct snap_maglev *prev_o = old ? old->maglev_ref : NULL;
	uint32_t psize;

	if (old != NULL && same_inputs(p, old, sv, mb)) {
		if (p->rebuild || prev_o->fresh || prev_o->pending) {
			prev_o->refs++;
			sv->maglev_ref = prev_o;
			return 0;
		}
		return defer(sv, mb, prev_o, 0);
	}
	if (old != NULL && !prev_o->pending)
		return build_now(p, sv, mb, p->rebuild ? old : NULL);
	psize = provisional_size(sv->n_pickable, sv->maglev_size);
	if (psize == 0 || p->sync_left >= sv->maglev_size) {
		if (psize != 0)
			p->sync_left -= sv->maglev_size;
		return build_now(p, sv, mb, NULL);
	}
	return defer(sv, mb, NULL, psize);
}

static int build_service_tables(struct fp_snapshot *s, struct snap_service *sv,
				struct snap_prev *p, uint16_t **next_table,
				char *err, size_t err_len)
{
	struct maglev_backend mb[sv->n_backends ? sv->n_backends : 1];
	int rc;

	sv->n_pickable = 0;
	for (uint32_t j = 0; j < sv->n_backends; j++) {
		const struct snap_backend *b =
			&s->backends[sv->first_backend + j];
		int pickable = b->state == EP_BE_UP && b->weight > 0;

		mb[j].hash_id = backend_hash_id(b);
		mb[j].weight = pickable ? b->weight : 0;
		sv->n_pickable += pickable;
	}
	if (sv->maglev_size) {
		rc = build_maglev(p, sv, mb);
		if (rc < 0 && rc != -ENOENT)
			return fail(err, err_len, rc,
				    "services[%u]: Maglev build failed (%d)",
				    sv->index, rc);
	}
	if (sched_uses_wrr(sv->sched)) {
		uint16_t *t = *next_table;

		rc = maglev_wrr_sequence(mb, sv->n_backends,
					 sv->sched == EP_SCHED_RR, t,
					 SNAP_WRR_CAP);
		if (rc < 0)
			return fail(err, err_len, rc,
				    "services[%u]: round-robin build failed",
				    sv->index);
		sv->wrr = t;
		sv->wrr_len = (uint32_t)rc;
		*next_table += SNAP_WRR_CAP;
	}
	return 0;
}

static uint8_t action_of(const struct ep_cfg_service *sv)
{
	switch (sv->fwd_mode) {
	case EP_FWD_ENCAP:
		return sv->flags & EP_SVC_F_GUE ? FP_ACT_GUE : FP_ACT_IPIP;
	case EP_FWD_NAT:
		return FP_ACT_NAT;
	default:
		return FP_ACT_DSR;
	}
}

static void copy_service(struct snap_service *dst,
			 const struct ep_cfg_service *src, uint32_t index)
{
	memcpy(dst->vip, src->vip.bytes, 16);
	dst->family = src->vip.family;
	dst->proto = src->proto;
	dst->fwd_mode = src->fwd_mode;
	dst->action = action_of(src);
	dst->sched = src->sched;
	dst->flags = src->flags;
	dst->port_n = rte_cpu_to_be_16(src->port);
	dst->stats_id = src->stats_id;
	dst->index = index;
	dst->first_backend = src->first_backend;
	dst->n_backends = src->n_backends;
	dst->maglev_size = 0;
	if (needs_maglev(src))
		dst->maglev_size = src->maglev_size ? src->maglev_size
						    : EP_MAGLEV_DEFAULT_SIZE;
	memcpy(dst->name, src->name, EP_NAME_LEN);
	dst->name[EP_NAME_LEN - 1] = '\0';
}

static int alloc_arrays(struct fp_snapshot *s, const struct ep_cfg_hdr *h,
			const struct ep_cfg_service *svcs)
{
	uint64_t tables = tables_size(svcs, h->n_services);

	s->services = rte_zmalloc(
		"ep_snap_svc", (h->n_services + 1) * sizeof(*s->services), 64);
	s->backends = rte_zmalloc(
		"ep_snap_be", (h->n_backends + 1) * sizeof(*s->backends), 64);
	s->tables = rte_malloc("ep_snap_tables",
			       (tables + 1) * sizeof(uint16_t), 64);
	if (!s->services || !s->backends || !s->tables)
		return -ENOMEM;
	if (addr_table_init(&s->vips, h->n_services) ||
	    addr_table_init(&s->local_addrs, h->n_services + h->n_node_addrs) ||
	    addr_table_init(&s->backend_ids, h->n_backends))
		return -ENOMEM;
	return 0;
}

static int add_local(struct fp_snapshot *s, const struct ep_ip *ip,
		     uint32_t kind)
{
	int rc = addr_table_add(&s->local_addrs, ip->bytes, ip->family, 0, 0,
				kind);

	return rc == -EEXIST ? 0 : rc;
}

static int fill_services(struct fp_snapshot *s, const struct ep_cfg_hdr *h,
			 const struct ep_cfg_service *svcs,
			 const struct fp_snapshot *prev, char *err,
			 size_t err_len)
{
	uint16_t *next_table = s->tables;
	struct snap_prev p;
	int rc = 0;

	if (prev_init(&p, prev, h->node.flags))
		return fail(err, err_len, -ENOMEM, "out of memory");
	for (uint32_t i = 0; i < h->n_services; i++) {
		struct snap_service *sv = &s->services[i];

		copy_service(sv, &svcs[i], i);
		rc = addr_table_add(&s->vips, sv->vip, sv->family, sv->port_n,
				    sv->proto, i);
		if (rc == -EEXIST) {
			rc = fail(err, err_len, -EINVAL,
				  "services[%u]: VIP, port and protocol "
				  "already used by another service",
				  i);
			break;
		}
		if (add_local(s, &svcs[i].vip, SNAP_LOCAL_VIP)) {
			rc = fail(err, err_len, -ENOMEM, "out of memory");
			break;
		}
		rc = build_service_tables(s, sv, &p, &next_table, err, err_len);
		if (rc)
			break;
		s->has_nat |= sv->fwd_mode == EP_FWD_NAT;
	}
	prev_free(&p);
	return rc;
}

/*
 * Index backends by address; backends of several services may share one
 * (a neighbour learned for the address serves them all), so they chain.
 */
static int link_backend_addr(struct fp_snapshot *s, uint32_t i)
{
	struct snap_backend *b = &s->backends[i];
	uint32_t first;
	int rc;

	b->next_same_addr = UINT32_MAX;
	rc = addr_table_add(&s->backend_ids, b->addr, b->family, 0, 0, i);
	if (rc != -EEXIST)
		return rc;
	first = snap_addr_find(&s->backend_ids, b->addr, b->family, 0, 0);
	b->next_same_addr = s->backends[first].next_same_addr;
	s->backends[first].next_same_addr = i;
	return 0;
}

static int fill_backends(struct fp_snapshot *s, const struct ep_cfg_hdr *h,
			 const struct ep_cfg_backend *bes, char *err,
			 size_t err_len)
{
	for (uint32_t i = 0; i < h->n_backends; i++) {
		int rc;

		copy_backend(&s->backends[i], &bes[i]);
		rc = link_backend_addr(s, i);
		if (rc)
			return fail(err, err_len, rc, "out of memory");
	}
	return 0;
}

/* The first node address of each family sources ARP/ND requests. */
static void remember_source(struct fp_snapshot *s, const struct ep_ip *ip)
{
	if (ip->family == EP_AF_INET && !s->has_src4) {
		memcpy(s->src4, ip->bytes, 16);
		s->has_src4 = 1;
	} else if (ip->family == EP_AF_INET6 && !s->has_src6) {
		memcpy(s->src6, ip->bytes, 16);
		s->has_src6 = 1;
	}
}

static int fill_node(struct fp_snapshot *s, const struct ep_cfg_hdr *h,
		     const struct ep_cfg_node_addr *addrs, char *err,
		     size_t err_len)
{
	s->node = h->node;
	for (uint32_t i = 0; i < h->n_node_addrs; i++) {
		if (add_local(s, &addrs[i].addr, SNAP_LOCAL_NODE))
			return fail(err, err_len, -ENOMEM, "out of memory");
		remember_source(s, &addrs[i].addr);
	}
	return 0;
}

/* Limits and access list (policing.c), for this process's workers. */
static int build_policing(struct fp_snapshot *s, const uint8_t *base,
			  const struct ep_cfg_hdr *h,
			  const struct fp_snapshot *prev, char *err,
			  size_t err_len)
{
	uint32_t sids[EP_MAX_SERVICES];
	unsigned int lcores = rte_lcore_count();

	for (uint32_t i = 0; i < h->n_services; i++)
		sids[i] = s->services[i].stats_id;
	return pol_build(&s->pol, base, h, sids, prev ? &prev->pol : NULL,
			 lcores > 1 ? lcores - 1 : 1, rte_get_tsc_hz(), err,
			 err_len);
}

/*
 * on_down "reset": the stats ids of backends down by their checks in
 * services that reset their flows, as a bitmap the workers test on a
 * connection-table hit. None: no bitmap (the workers' one test).
 */
static int build_reset_down(struct fp_snapshot *s,
			    const struct ep_cfg_service *svcs,
			    const struct ep_cfg_backend *bes, uint32_t n_svcs)
{
	for (uint32_t i = 0; i < n_svcs; i++) {
		if (!(svcs[i].flags & EP_SVC_F_RESET_ON_DOWN))
			continue;
		for (uint32_t j = 0; j < svcs[i].n_backends; j++) {
			const struct ep_cfg_backend *b =
				&bes[svcs[i].first_backend + j];

			if (!(b->flags & EP_BE_F_HEALTH_DOWN))
				continue;
			if (s->reset_down == NULL)
				s->reset_down =
					rte_zmalloc("ep_snap_reset",
						    EP_MAX_BACKENDS / 8, 64);
			if (s->reset_down == NULL)
				return -ENOMEM;
			s->reset_down[b->stats_id / 8] |=
				(uint8_t)(1u << (b->stats_id % 8));
		}
	}
	return 0;
}

static int build_checked(struct fp_snapshot *s, const uint8_t *base,
			 const struct ep_cfg_hdr *h,
			 const struct fp_snapshot *prev, char *err,
			 size_t err_len)
{
	const struct ep_cfg_service *svcs =
		(const void *)(base + h->off_services);
	const struct ep_cfg_backend *bes =
		(const void *)(base + h->off_backends);
	const struct ep_cfg_node_addr *addrs =
		(const void *)(base + h->off_node_addrs);
	int rc;

	if (alloc_arrays(s, h, svcs))
		return fail(err, err_len, -ENOMEM,
			    "out of memory for %u services, %u backends",
			    h->n_services, h->n_backends);
	rc = fill_backends(s, h, bes, err, err_len);
	if (rc == 0)
		rc = fill_node(s, h, addrs, err, err_len);
	if (rc == 0)
		rc = fill_services(s, h, svcs, prev, err, err_len);
	if (rc == 0)
		rc = build_policing(s, base, h, prev, err, err_len);
	if (rc == 0 && build_reset_down(s, svcs, bes, h->n_services))
		rc = fail(err, err_len, -ENOMEM, "out of memory");
	return rc;
}

int snap_build(const void *flat, uint32_t len, uint64_t generation,
	       const struct fp_snapshot *prev, struct fp_snapshot **out,
	       char *err, size_t err_len)
{
	const struct ep_cfg_hdr *h = flat;
	struct fp_snapshot *s;
	int rc;

	/* The bytes are input: the one checker both processes use. */
	rc = ep_flat_check(flat, len, err, err_len);
	if (rc)
		return rc;
	s = rte_zmalloc("ep_snapshot", sizeof(*s), 64);
	if (!s)
		return fail(err, err_len, -ENOMEM, "out of memory");
	s->generation = generation;
	s->version = h->version;
	s->n_services = h->n_services;
	s->n_backends = h->n_backends;
	rc = build_checked(s, flat, h, prev, err, err_len);
	if (rc) {
		snap_free(s);
		return rc;
	}
	*out = s;
	return 0;
}

void snap_free(struct fp_snapshot *s)
{
	if (!s)
		return;
	/* Services never filled (a failed build) are zero: no reference. */
	for (uint32_t i = 0; s->services && i < s->n_services; i++)
		snap_maglev_put(s->services[i].maglev_ref);
	pol_free(&s->pol);
	rte_free(s->vips.slots);
	rte_free(s->local_addrs.slots);
	rte_free(s->backend_ids.slots);
	rte_free(s->tables);
	rte_free(s->reset_down);
	rte_free(s->backends);
	rte_free(s->services);
	rte_free(s);
}
