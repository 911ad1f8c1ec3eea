/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Configuration module: struct ep_config <-> the flat form the fast
 * path reads (ep_abi.h), and the commit of its stats ids.
 */
#include "config_int.h"

/* ------------------------------------------------------------------ */
/* struct ep_config -> flat                                             */

struct flat_layout {
	uint32_t off_addrs;
	uint32_t off_services;
	uint32_t off_backends;
	uint32_t n_backends;
	uint32_t off_acl_rules;
	uint32_t n_acl_rules;
	size_t total;
};

static size_t align8(size_t v)
{
	return (v + 7) & ~(size_t)7;
}

/* Header, node addresses, services, backends, ACL rules, each 8-byte
 * aligned. */
static void flat_layout(const struct ep_config *cfg, struct flat_layout *l)
{
	size_t off, n_be = 0, n_rules = cpol_acl_count(&cfg->pol.acl);
	uint32_t i;

	for (i = 0; i < cfg->n_services; i++) {
		n_be += cfg->services[i].n_backends;
		n_rules += cpol_acl_count(&cfg->services[i].pol.acl);
	}
	off = align8(sizeof(struct ep_cfg_hdr));
	l->off_addrs = (uint32_t)off;
	off = align8(off + cfg->node.n_addrs * sizeof(struct ep_cfg_node_addr));
	l->off_services = (uint32_t)off;
	off = align8(off + cfg->n_services * sizeof(struct ep_cfg_service));
	l->off_backends = (uint32_t)off;
	l->n_backends = (uint32_t)n_be;
	off = align8(off + n_be * sizeof(struct ep_cfg_backend));
	l->off_acl_rules = (uint32_t)off;
	l->n_acl_rules = (uint32_t)n_rules;
	l->total = off + n_rules * sizeof(struct ep_cfg_acl_rule);
}

size_t config_flat_size(const struct ep_config *cfg)
{
	struct flat_layout l;

	flat_layout(cfg, &l);
	return l.total;
}

/* Identities of every service and backend, in flat order. */
static int ids_keys(const struct ep_config *cfg, struct ids_key **svc,
		    struct ids_key **be, uint32_t n_be)
{
	const struct config_service *s;
	uint32_t i, j, k = 0;

	*svc = malloc((cfg->n_services + 1) * sizeof(**svc));
	*be = malloc((n_be + 1) * sizeof(**be));
	if (*svc == NULL || *be == NULL)
		return -ENOMEM;
	for (i = 0; i < cfg->n_services; i++) {
		s = &cfg->services[i];
		cfg_ids_key_make(&(*svc)[i], s->name, NULL, 0);
		for (j = 0; j < s->n_backends; j++)
			cfg_ids_key_make(&(*be)[k++], s->name,
					 &s->backends[j].addr,
					 s->backends[j].port);
	}
	return 0;
}

static int flat_assign_ids(const struct ep_config *cfg,
			   const struct config_ids *ids, uint32_t n_be,
			   uint32_t *svc_ids, uint32_t *be_ids)
{
	struct ids_key *svc = NULL, *be = NULL;
	int rc;

	rc = ids_keys(cfg, &svc, &be, n_be);
	if (rc == 0)
		rc = cfg_ids_assign(ids != NULL ? &ids->svc : NULL, svc,
				    cfg->n_services, svc_ids);
	if (rc == 0)
		rc = cfg_ids_assign(ids != NULL ? &ids->be : NULL, be, n_be,
				    be_ids);
	free(svc);
	free(be);
	return rc;
}

static void flat_put(void *buf, size_t off, const void *src, size_t n)
{
	memcpy((uint8_t *)buf + off, src, n);
}

static void flat_write_header(const struct ep_config *cfg, uint64_t version,
			      const struct flat_layout *l, void *buf)
{
	struct ep_cfg_hdr h;

	memset(&h, 0, sizeof(h));
	h.magic = EP_CFG_MAGIC;
	h.abi_version = EP_ABI_VERSION;
	h.version = version;
	h.total_len = (uint32_t)l->total;
	h.n_services = cfg->n_services;
	h.n_backends = l->n_backends;
	h.n_node_addrs = cfg->node.n_addrs;
	h.off_services = l->off_services;
	h.off_backends = l->off_backends;
	h.off_node_addrs = l->off_addrs;
	h.n_acl_rules = l->n_acl_rules;
	h.off_acl_rules = l->off_acl_rules;
	h.node.backend_port = cfg->node.backend_port;
	h.node.gue_port = cfg->node.gue_port;
	h.node.flags = cfg->node.maglev_rebuild == CONFIG_MAGLEV_FRESH
			       ? EP_NODE_F_MAGLEV_FRESH
			       : 0;
	h.node.encap_src4 = cfg_ip_flat(&cfg->node.encap_src4);
	h.node.encap_src6 = cfg_ip_flat(&cfg->node.encap_src6);
	cpol_flat_node(&cfg->pol, &h.node);
	flat_put(buf, 0, &h, sizeof(h));
}

static void flat_write_service(const struct config_service *s, uint32_t id,
			       uint32_t first, void *buf, size_t off)
{
	struct ep_cfg_service fs;

	memset(&fs, 0, sizeof(fs));
	memcpy(fs.name, s->name, strnlen(s->name, EP_NAME_LEN - 1));
	fs.vip = cfg_ip_flat(&s->vip);
	fs.port = s->port;
	fs.proto = s->proto;
	fs.fwd_mode = (uint8_t)s->fwd;
	fs.sched = (uint8_t)s->sched;
	if (s->affinity == CONFIG_AFFINITY_SOURCE_IP)
		fs.flags |= EP_SVC_F_AFFINITY;
	if (s->fwd == EP_FWD_ENCAP && s->encap == CONFIG_ENCAP_GUE)
		fs.flags |= EP_SVC_F_GUE;
	if (s->on_down == CONFIG_ON_DOWN_RESET)
		fs.flags |= EP_SVC_F_RESET_ON_DOWN;
	fs.stats_id = id;
	fs.maglev_size = s->maglev_size;
	fs.first_backend = first;
	fs.n_backends = s->n_backends;
	cpol_flat_service(&s->pol, &fs);
	flat_put(buf, off, &fs, sizeof(fs));
}

static void flat_write_backend(const struct config_backend *b, uint32_t id,
			       void *buf, size_t off)
{
	struct ep_cfg_backend fb;

	memset(&fb, 0, sizeof(fb));
	fb.addr = cfg_ip_flat(&b->addr);
	fb.port = b->port;
	fb.weight = b->weight;
	fb.state = (uint8_t)b->state;
	fb.priority = b->priority;
	fb.has_mac = b->has_mac;
	if (b->has_mac)
		memcpy(fb.mac, b->mac, 6);
	fb.stats_id = id;
	flat_put(buf, off, &fb, sizeof(fb));
}

/* The global list's rules, then each service's (scope: its index). */
static void flat_write_acl_rules(const struct ep_config *cfg,
				 const struct flat_layout *l, void *buf)
{
	size_t off = l->off_acl_rules;
	uint32_t i;

	cpol_flat_acl(&cfg->pol.acl, EP_ACL_SCOPE_GLOBAL, (uint8_t *)buf + off);
	off += cpol_acl_count(&cfg->pol.acl) * sizeof(struct ep_cfg_acl_rule);
	for (i = 0; i < cfg->n_services; i++) {
		const struct config_acl *a = &cfg->services[i].pol.acl;

		cpol_flat_acl(a, i, (uint8_t *)buf + off);
		off += cpol_acl_count(a) * sizeof(struct ep_cfg_acl_rule);
	}
}

static void flat_write(const struct ep_config *cfg, uint64_t version,
		       const struct flat_layout *l, const uint32_t *svc_ids,
		       const uint32_t *be_ids, void *buf)
{
	const struct config_service *s;
	struct ep_cfg_node_addr na;
	uint32_t i, j, k = 0;

	memset(buf, 0, l->total);
	flat_write_header(cfg, version, l, buf);
	for (i = 0; i < cfg->node.n_addrs; i++) {
		memset(&na, 0, sizeof(na));
		na.addr = cfg_ip_flat(&cfg->node.addrs[i].addr);
		na.port_id = cfg->node.addrs[i].port_id;
		flat_put(buf, l->off_addrs + i * sizeof(na), &na, sizeof(na));
	}
	for (i = 0; i < cfg->n_services; i++) {
		s = &cfg->services[i];
		flat_write_service(s, svc_ids[i], k, buf,
				   l->off_services +
					   i * sizeof(struct ep_cfg_service));
		for (j = 0; j < s->n_backends; j++, k++)
			flat_write_backend(
				&s->backends[j], be_ids[k], buf,
				l->off_backends +
					k * sizeof(struct ep_cfg_backend));
	}
	flat_write_acl_rules(cfg, l, buf);
}

int config_to_flat(const struct ep_config *cfg, uint64_t version,
		   const struct config_ids *ids, void *buf, size_t cap,
		   size_t *len_out, struct config_error *err)
{
	struct flat_layout l;
	uint32_t *svc_ids, *be_ids;
	int rc = config_validate(cfg, err);

	if (rc != 0)
		return rc;
	flat_layout(cfg, &l);
	if (len_out != NULL)
		*len_out = l.total;
	if (buf == NULL || l.total > cap) {
		cfg_fail(err, "flat: needs %zu bytes, the buffer has %zu",
			 l.total, cap);
		return -ENOSPC;
	}
	svc_ids = malloc((cfg->n_services + 1) * sizeof(*svc_ids));
	be_ids = malloc((l.n_backends + 1) * sizeof(*be_ids));
	rc = svc_ids != NULL && be_ids != NULL
		     ? flat_assign_ids(cfg, ids, l.n_backends, svc_ids, be_ids)
		     : -ENOMEM;
	if (rc == 0)
		flat_write(cfg, version, &l, svc_ids, be_ids, buf);
	else
		cfg_fail(err, "flat: %s",
			 rc == -ENOMEM ? "out of memory" : "no stats id left");
	free(svc_ids);
	free(be_ids);
	return rc;
}

/*
 * Service i's record and its backends' in `flat` (a flat form of a
 * configuration that differs from cfg at most in service i's backends'
 * weight, state and priority) rewritten from cfg, each keeping its stats
 * id; the header takes `version`. -EINVAL when flat's layout is not
 * cfg's (then flat is unchanged).
 */
int config_flat_rewrite_service(const struct ep_config *cfg, uint32_t i,
				uint64_t version, void *flat, size_t len,
				struct config_error *err)
{
	const struct config_service *s = &cfg->services[i];
	struct ep_cfg_hdr *h = flat;
	struct ep_cfg_service *fs;
	struct ep_cfg_backend *fb;
	uint32_t j;

	if (len < sizeof(*h) || i >= cfg->n_services ||
	    h->n_services != cfg->n_services || h->off_services > len ||
	    (len - h->off_services) / sizeof(*fs) < h->n_services ||
	    h->off_backends > len ||
	    (len - h->off_backends) / sizeof(*fb) < h->n_backends)
		return cfg_fail(err, "flat: not this configuration's layout");
	fs = (struct ep_cfg_service *)((uint8_t *)flat + h->off_services) + i;
	fb = (struct ep_cfg_backend *)((uint8_t *)flat + h->off_backends);
	if (fs->n_backends != s->n_backends ||
	    fs->first_backend > h->n_backends ||
	    h->n_backends - fs->first_backend < s->n_backends ||
	    strncmp(fs->name, s->name, EP_NAME_LEN) != 0)
		return cfg_fail(err, "flat: service %u is not %s", i, s->name);
	fb += fs->first_backend;
	flat_write_service(s, fs->stats_id, fs->first_backend, flat,
			   (size_t)((uint8_t *)fs - (uint8_t *)flat));
	for (j = 0; j < s->n_backends; j++)
		flat_write_backend(
			&s->backends[j], fb[j].stats_id, flat,
			(size_t)((uint8_t *)&fb[j] - (uint8_t *)flat));
	h->version = version;
	return 0;
}

/* ------------------------------------------------------------------ */
/* flat -> struct ep_config. The buffer is input: check before use.      */

/* Every rule of the flat form is ep_flat_check()'s (fastpath/abi/, the
 * fast path's own); the semantic ones are config_validate()'s, applied to
 * the converted result. */
static int flat_check(const void *buf, size_t len, struct ep_cfg_hdr *h,
		      struct config_error *err)
{
	struct config_error why;

	if (ep_flat_check(buf, len, why.msg, sizeof(why.msg)) != 0)
		return cfg_fail(err, "%s", why.msg);
	ep_flat_header(buf, h);
	return 0;
}

static void flat_read_node(const void *buf, const struct ep_cfg_hdr *h,
			   struct config_node *node)
{
	struct ep_cfg_node_addr na;
	uint32_t i;

	node->backend_port = h->node.backend_port;
	node->gue_port = h->node.gue_port;
	node->maglev_rebuild = h->node.flags & EP_NODE_F_MAGLEV_FRESH
				       ? CONFIG_MAGLEV_FRESH
				       : CONFIG_MAGLEV_MINIMAL;
	node->encap_src4 = h->node.encap_src4;
	node->encap_src6 = h->node.encap_src6;
	node->n_addrs = h->n_node_addrs;
	for (i = 0; i < h->n_node_addrs; i++) {
		ep_flat_node_addr(buf, h, i, &na);
		node->addrs[i].addr = na.addr;
		node->addrs[i].port_id = na.port_id;
	}
}

static void flat_read_backend(const struct ep_cfg_backend *fb,
			      struct config_backend *b)
{
	b->addr = fb->addr;
	b->port = fb->port;
	b->weight = fb->weight;
	b->state = (enum ep_backend_state)fb->state;
	b->priority = fb->priority;
	b->has_mac = fb->has_mac != 0;
	if (b->has_mac)
		memcpy(b->mac, fb->mac, 6);
}

static int flat_read_service(const void *buf, const struct ep_cfg_hdr *h,
			     uint32_t i, struct config_service *s)
{
	struct ep_cfg_service fs;
	struct ep_cfg_backend fb;
	uint32_t j;

	ep_flat_service(buf, h, i, &fs);
	memcpy(s->name, fs.name, EP_NAME_LEN);
	s->vip = fs.vip;
	s->port = fs.port;
	s->proto = fs.proto;
	s->fwd = (enum ep_fwd_mode)fs.fwd_mode;
	s->encap =
		fs.flags & EP_SVC_F_GUE ? CONFIG_ENCAP_GUE : CONFIG_ENCAP_IPIP;
	s->sched = (enum ep_sched)fs.sched;
	s->affinity = fs.flags & EP_SVC_F_AFFINITY ? CONFIG_AFFINITY_SOURCE_IP
						   : CONFIG_AFFINITY_NONE;
	s->on_down = fs.flags & EP_SVC_F_RESET_ON_DOWN ? CONFIG_ON_DOWN_RESET
						       : CONFIG_ON_DOWN_KEEP;
	s->maglev_size =
		fs.maglev_size != 0 ? fs.maglev_size : EP_MAGLEV_DEFAULT_SIZE;
	cpol_from_flat_service(&fs, &s->pol);
	if (fs.n_backends == 0)
		return 0;
	s->backends = calloc(fs.n_backends, sizeof(*s->backends));
	if (s->backends == NULL)
		return -ENOMEM;
	s->n_backends = fs.n_backends;
	for (j = 0; j < fs.n_backends; j++) {
		ep_flat_backend(buf, h, fs.first_backend + j, &fb);
		flat_read_backend(&fb, &s->backends[j]);
	}
	return 0;
}

/* Each checked rule to its list (the global one or its service's). */
static int flat_read_acl_rules(const void *buf, const struct ep_cfg_hdr *h,
			       struct ep_config *out)
{
	struct ep_cfg_acl_rule r;
	int rc = 0;

	for (uint32_t i = 0; rc == 0 && i < h->n_acl_rules; i++) {
		memcpy(&r,
		       (const uint8_t *)buf + h->off_acl_rules +
			       (size_t)i * sizeof(r),
		       sizeof(r));
		rc = cpol_from_flat_rule(
			&r, r.scope == EP_ACL_SCOPE_GLOBAL
				    ? &out->pol.acl
				    : &out->services[r.scope].pol.acl);
	}
	return rc;
}

int config_from_flat(const void *buf, size_t len, struct ep_config *out,
		     struct config_error *err)
{
	struct ep_cfg_hdr h;
	uint32_t i;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = flat_check(buf, len, &h, err);
	if (rc != 0)
		return rc;
	flat_read_node(buf, &h, &out->node);
	cpol_from_flat_node(&h.node, &out->pol);
	if (h.n_services > 0) {
		out->services = calloc(h.n_services, sizeof(*out->services));
		if (out->services == NULL)
			return cfg_fail_nomem(err);
		out->n_services = h.n_services;
	}
	for (i = 0; rc == 0 && i < h.n_services; i++)
		rc = flat_read_service(buf, &h, i, &out->services[i]);
	if (rc == 0)
		rc = flat_read_acl_rules(buf, &h, out);
	if (rc != 0)
		cfg_fail_nomem(err);
	else
		rc = config_validate(out, err);
	if (rc != 0)
		config_free(out);
	return rc;
}

/* Identities and stats ids of a checked flat config, in flat order. */
static void flat_read_ids(const void *buf, const struct ep_cfg_hdr *h,
			  struct ids_key *svc, uint32_t *svc_ids,
			  struct ids_key *be, uint32_t *be_ids)
{
	struct ep_cfg_service fs;
	struct ep_cfg_backend fb;
	uint32_t i, j, k;

	for (i = 0; i < h->n_services; i++) {
		ep_flat_service(buf, h, i, &fs);
		cfg_ids_key_make(&svc[i], fs.name, NULL, 0);
		svc_ids[i] = fs.stats_id;
		for (j = 0; j < fs.n_backends; j++) {
			k = fs.first_backend + j;
			ep_flat_backend(buf, h, k, &fb);
			cfg_ids_key_make(&be[k], fs.name, &fb.addr, fb.port);
			be_ids[k] = fb.stats_id;
		}
	}
}

int config_ids_commit(struct config_ids *ids, const void *buf, size_t len,
		      struct config_error *err)
{
	struct ep_config cfg;
	struct ep_cfg_hdr h;
	struct ids_key *svc, *be;
	uint32_t *svc_ids, *be_ids;
	int rc;

	/* Full validation: identities must be distinct for the index. */
	rc = config_from_flat(buf, len, &cfg, err);
	if (rc != 0)
		return rc;
	config_free(&cfg);
	ep_flat_header(buf, &h);
	svc = malloc((h.n_services + 1) * sizeof(*svc));
	be = malloc((h.n_backends + 1) * sizeof(*be));
	svc_ids = malloc((h.n_services + 1) * sizeof(*svc_ids));
	be_ids = malloc((h.n_backends + 1) * sizeof(*be_ids));
	rc = svc && be && svc_ids && be_ids ? 0 : cfg_fail_nomem(err);
	if (rc == 0) {
		flat_read_ids(buf, &h, svc, svc_ids, be, be_ids);
		cfg_ids_apply(&ids->svc, svc, svc_ids, h.n_services);
		cfg_ids_apply(&ids->be, be, be_ids, h.n_backends);
	}
	free(svc);
	free(be);
	free(svc_ids);
	free(be_ids);
	return rc;
}
