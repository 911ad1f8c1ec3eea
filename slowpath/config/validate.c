/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Configuration module: semantic validation of struct ep_config, the
 * same rules for documents and for configurations built by code.
 */
#include "config_int.h"

/* ------------------------------------------------------------------ */
/* Semantic validation of struct ep_config                              */

/* `ip` must be a unicast address (any family unless `family` is set). */
static int check_unicast(const char *path, const char *key,
			 const struct ep_ip *ip, uint8_t family,
			 struct config_error *err)
{
	char a[INET6_ADDRSTRLEN];

	if (!cfg_ip_valid(ip) || (family != 0 && ip->family != family))
		return cfg_fail_at(err, path, key, "must be an %s address",
				   family != 0 ? cfg_family_name(family)
					       : "IPv4 or IPv6");
	if (!cfg_ip_is_unicast(ip))
		return cfg_fail_at(err, path, key,
				   "must be a unicast address, not %s",
				   cfg_ip_str(ip, a));
	return 0;
}

static int validate_node_addrs(const struct config_node *node,
			       struct config_error *err)
{
	char path[PATH_BUF];
	uint32_t i, j;
	int rc;

	if (node->n_addrs > EP_MAX_NODE_ADDRS)
		return cfg_fail(err, "node.addresses: at most %u entries",
				EP_MAX_NODE_ADDRS);
	for (i = 0; i < node->n_addrs; i++) {
		cfg_index_path(path, sizeof(path), "node", "addresses", i);
		rc = check_unicast(path, "address", &node->addrs[i].addr, 0,
				   err);
		if (rc != 0)
			return rc;
		if (node->addrs[i].port_id >= EP_MAX_PORTS)
			return cfg_fail_at(err, path, "port", "must be 0..%u",
					   EP_MAX_PORTS - 1);
		for (j = 0; j < i; j++)
			if (cfg_ip_equal(&node->addrs[j].addr,
					 &node->addrs[i].addr))
				return cfg_fail_at(
					err, path, "address",
					"duplicate of node.addresses[%u]", j);
	}
	return 0;
}

static int validate_node(const struct config_node *node,
			 struct config_error *err)
{
	int rc = validate_node_addrs(node, err);

	if (rc != 0)
		return rc;
	if (node->backend_port >= EP_MAX_PORTS)
		return cfg_fail(err, "node.backend_port: must be 0..%u",
				EP_MAX_PORTS - 1);
	if (node->gue_port == 0)
		return cfg_fail(err, "node.gue_port: must be 1..65535");
	if (cfg_name_of(NAMES(maglev_rebuild_names), node->maglev_rebuild) ==
	    NULL)
		return cfg_fail_at(err, "node", "maglev_rebuild",
				   MAGLEV_REBUILD_RULE);
	if (node->encap_src4.family != 0)
		rc = check_unicast("node", "encap_source_v4", &node->encap_src4,
				   EP_AF_INET, err);
	if (rc == 0 && node->encap_src6.family != 0)
		rc = check_unicast("node", "encap_source_v6", &node->encap_src6,
				   EP_AF_INET6, err);
	return rc;
}

static int validate_backend(const struct config_service *s,
			    const struct config_backend *b, const char *path,
			    struct config_error *err)
{
	int rc = check_unicast(path, "address", &b->addr, 0, err);

	if (rc != 0)
		return rc;
	/* Same family in every mode: dsr and nat cannot translate families,
	 * and encap keeps the fast path to 4-in-4 and 6-in-6. */
	if (b->addr.family != s->vip.family)
		return cfg_fail_at(
			err, path, "address",
			"%s backend for an %s VIP (families must match)",
			cfg_family_name(b->addr.family),
			cfg_family_name(s->vip.family));
	if (cfg_ip_equal(&b->addr, &s->vip))
		return cfg_fail_at(err, path, "address", "must not be the VIP");
	/* dsr and encap deliver the client's packet unchanged: no port
	 * rewrite is possible, so only "the packet's port" makes sense. */
	if (s->fwd != EP_FWD_NAT && b->port != 0 && b->port != s->port)
		return cfg_fail_at(
			err, path, "port",
			"must be 0 or the service port %u (%s cannot "
			"change ports)",
			s->port, cfg_name_of(NAMES(fwd_names), s->fwd));
	if (cfg_name_of(NAMES(state_names), b->state) == NULL)
		return cfg_fail_at(err, path, "state",
				   "must be up, down or drain");
	if (b->priority > EP_BE_PRIORITY_MAX)
		return cfg_fail_at(err, path, "priority", "must be 0..%u",
				   EP_BE_PRIORITY_MAX);
	if (b->has_mac && !cfg_mac_is_unicast(b->mac))
		return cfg_fail_at(err, path, "mac",
				   "must be a unicast MAC address");
	return 0;
}

struct be_key {
	struct ep_ip addr;
	uint16_t port;
	uint32_t idx;
};

static int be_key_cmp(const void *pa, const void *pb)
{
	const struct be_key *a = pa, *b = pb;
	int c = memcmp(&a->addr, &b->addr, sizeof(a->addr));

	if (c == 0)
		c = (int)a->port - (int)b->port;
	if (c == 0)
		c = a->idx < b->idx ? -1 : a->idx > b->idx;
	return c;
}

/*
 * No (address, port) twice in one service. Sorted rather than compared
 * pairwise: one service may hold all EP_MAX_BACKENDS backends. Reports the
 * duplicate that comes first in document order.
 */
static int validate_backend_dups(const struct config_service *s,
				 const char *path, struct config_error *err)
{
	struct be_key *k;
	uint32_t i, first = 0, dup = UINT32_MAX;
	char a[INET6_ADDRSTRLEN];

	if (s->n_backends < 2)
		return 0;
	k = calloc(s->n_backends, sizeof(*k));
	if (k == NULL)
		return cfg_fail_nomem(err);
	for (i = 0; i < s->n_backends; i++) {
		k[i].addr = cfg_ip_flat(&s->backends[i].addr);
		k[i].port = s->backends[i].port;
		k[i].idx = i;
	}
	qsort(k, s->n_backends, sizeof(*k), be_key_cmp);
	for (i = 1; i < s->n_backends; i++)
		if (cfg_ip_equal(&k[i].addr, &k[i - 1].addr) &&
		    k[i].port == k[i - 1].port && k[i].idx < dup) {
			dup = k[i].idx;
			first = k[i - 1].idx;
		}
	free(k);
	if (dup == UINT32_MAX)
		return 0;
	return cfg_fail(
		err, "%s.backends[%u]: duplicate of backends[%u] (%s port %u)",
		path, dup, first, cfg_ip_str(&s->backends[dup].addr, a),
		s->backends[dup].port);
}

static int validate_modes(const struct ep_config *cfg,
			  const struct config_service *s, const char *path,
			  struct config_error *err)
{
	const struct ep_ip *src;

	if (cfg_name_of(NAMES(proto_names), s->proto) == NULL)
		return cfg_fail_at(err, path, "protocol", "must be tcp or udp");
	if (cfg_name_of(NAMES(fwd_names), s->fwd) == NULL)
		return cfg_fail_at(err, path, "forwarding",
				   "must be dsr, nat or encap");
	if (cfg_name_of(NAMES(encap_names), s->encap) == NULL ||
	    (s->fwd != EP_FWD_ENCAP && s->encap != CONFIG_ENCAP_IPIP))
		return cfg_fail_at(
			err, path, "encap",
			"only ipip or gue, and only with forwarding encap");
	if (cfg_name_of(NAMES(sched_names), s->sched) == NULL)
		return cfg_fail_at(err, path, "scheduler",
				   "must be maglev, rr, wrr or lc");
	if (cfg_name_of(NAMES(affinity_names), s->affinity) == NULL)
		return cfg_fail_at(err, path, "affinity",
				   "must be none or source-ip");
	src = s->vip.family == EP_AF_INET ? &cfg->node.encap_src4
					  : &cfg->node.encap_src6;
	if (s->fwd == EP_FWD_ENCAP && src->family == 0)
		return cfg_fail_at(
			err, path, "forwarding",
			"encap needs node.encap_source_v%c for an %s VIP",
			s->vip.family == EP_AF_INET ? '4' : '6',
			cfg_family_name(s->vip.family));
	return 0;
}

static int validate_service(const struct ep_config *cfg, uint32_t i,
			    struct config_error *err)
{
	const struct config_service *s = &cfg->services[i];
	char path[SVC_PATH], bpath[PATH_BUF];
	uint32_t j;
	int rc;

	cfg_index_path(path, sizeof(path), "", "services", i);
	if (!cfg_name_valid(s->name))
		return cfg_fail_at(err, path, "name",
				   "must be 1..%u characters of " NAME_CHARS,
				   EP_NAME_LEN - 1);
	rc = check_unicast(path, "vip", &s->vip, 0, err);
	for (j = 0; rc == 0 && j < cfg->node.n_addrs; j++)
		if (cfg_ip_equal(&s->vip, &cfg->node.addrs[j].addr))
			rc = cfg_fail_at(
				err, path, "vip",
				"is node.addresses[%u]; a VIP must not be "
				"a node address",
				j);
	if (rc == 0)
		rc = validate_modes(cfg, s, path, err);
	if (rc != 0)
		return rc;
	/* The default (prime) is the common case: no trial division for it. */
	if ((s->maglev_size != EP_MAGLEV_DEFAULT_SIZE &&
	     !ep_is_prime(s->maglev_size)) ||
	    s->maglev_size > EP_MAGLEV_MAX_SIZE)
		return cfg_fail_at(err, path, "maglev_table_size",
				   "must be a prime number up to %u",
				   EP_MAGLEV_MAX_SIZE);
	if (s->maglev_size < s->n_backends)
		return cfg_fail_at(
			err, path, "maglev_table_size",
			"must be at least the number of backends (%u)",
			s->n_backends);
	for (j = 0; rc == 0 && j < s->n_backends; j++) {
		rc = validate_backend(s, &s->backends[j],
				      cfg_index_path(bpath, sizeof(bpath), path,
						     "backends", j),
				      err);
	}
	if (rc == 0)
		rc = validate_backend_dups(s, path, err);
	if (rc == 0)
		rc = cfg_validate_health(s, path, err);
	if (rc == 0 && cfg_name_of(NAMES(on_down_names), s->on_down) == NULL)
		rc = cfg_fail_at(err, path, "on_down",
				 "must be \"keep\" or \"reset\"");
	if (rc == 0)
		rc = cfg_validate_registry(s, path, err);
	if (rc == 0)
		rc = cfg_validate_outlier(s, path, err);
	if (rc == 0)
		rc = cpol_validate_syn_proxy(&s->pol, path, s->fwd, s->proto,
					     err);
	return rc != 0 ? rc : cpol_validate_service(&s->pol, path, err);
}

int config_validate_service(const struct ep_config *cfg, uint32_t i,
			    struct config_error *err)
{
	if (i >= cfg->n_services)
		return cfg_fail(err, "services: no entry %u", i);
	return validate_service(cfg, i, err);
}

/*
 * First-index table for validate_service_clashes(): each key (a name, a
 * (vip, protocol, port) or a (vip, protocol)) maps to the first service
 * that has it. Keys are built zeroed so they compare and hash as bytes.
 */
enum clash_kind {
	CLASH_NAME = 1,
	CLASH_PORT = 2, /* vip, protocol and port */
	CLASH_VIP = 3, /* vip and protocol, any port */
};

struct clash_key {
	char name[EP_NAME_LEN];
	struct ep_ip vip;
	uint16_t port;
	uint8_t proto;
	uint8_t kind;
};

struct clash_slot {
	struct clash_key key;
	uint32_t first; /* IDS_NONE: empty slot */
};

struct clash_table {
	struct clash_slot *slots;
	uint32_t mask;
};

/* Room for `n` keys at a load factor of at most 1/2. */
static int clash_init(struct clash_table *t, uint32_t n)
{
	uint32_t i, size = 16;

	while (size < 2 * n)
		size <<= 1;
	t->mask = size - 1;
	t->slots = malloc(size * sizeof(*t->slots));
	if (t->slots == NULL)
		return -ENOMEM;
	for (i = 0; i < size; i++)
		t->slots[i].first = IDS_NONE;
	return 0;
}

/*
 * FNV-1a over a key's bytes: the keys (service identities, clash keys)
 * are short and not chosen by packets, so a simple hash is plenty.
 */
static uint32_t clash_hash(const struct clash_key *k)
{
	return cfg_fnv1a(k, sizeof(*k));
}

/* The first service recorded with key `k`, or IDS_NONE; `*slot` is where
 * the search ended (the key's slot, or the empty one it would take). */
static uint32_t clash_find(const struct clash_table *t,
			   const struct clash_key *k, uint32_t *slot)
{
	uint32_t h = clash_hash(k) & t->mask;

	while (t->slots[h].first != IDS_NONE) {
		if (memcmp(&t->slots[h].key, k, sizeof(*k)) == 0)
			break;
		h = (h + 1) & t->mask;
	}
	*slot = h;
	return t->slots[h].first;
}

static void clash_key_make(struct clash_key *k, enum clash_kind kind,
			   const struct config_service *s)
{
	memset(k, 0, sizeof(*k));
	k->kind = (uint8_t)kind;
	if (kind == CLASH_NAME) {
		memcpy(k->name, s->name, strnlen(s->name, EP_NAME_LEN - 1));
		return;
	}
	k->vip = cfg_ip_flat(&s->vip);
	k->proto = s->proto;
	if (kind == CLASH_PORT)
		k->port = s->port;
}

/* The first service before `i` with i's key of `kind`, or IDS_NONE;
 * records service i when it is the first. */
static uint32_t clash_check(struct clash_table *t, enum clash_kind kind,
			    const struct ep_config *cfg, uint32_t i)
{
	struct clash_key k;
	uint32_t slot, first;

	clash_key_make(&k, kind, &cfg->services[i]);
	first = clash_find(t, &k, &slot);
	if (first == IDS_NONE) {
		t->slots[slot].key = k;
		t->slots[slot].first = i;
	}
	return first;
}

static uint32_t min_u32(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

/*
 * The earliest service before `i` that would claim some of its packets
 * (same vip and protocol, and the same port or port 0 on either side),
 * or IDS_NONE; records service i. Port 0 overlaps every earlier service
 * of its (vip, protocol); port p the first with p and the first with 0.
 */
static uint32_t clash_overlap(struct clash_table *t,
			      const struct ep_config *cfg, uint32_t i)
{
	uint32_t any = clash_check(t, CLASH_VIP, cfg, i);
	uint32_t same = clash_check(t, CLASH_PORT, cfg, i);
	struct clash_key k;
	uint32_t slot;

	if (cfg->services[i].port == 0)
		return any;
	clash_key_make(&k, CLASH_PORT, &cfg->services[i]);
	k.port = 0;
	return min_u32(same, clash_find(t, &k, &slot));
}

static int clash_fail(const struct ep_config *cfg, uint32_t i, uint32_t j,
		      bool by_name, struct config_error *err)
{
	const struct config_service *a = &cfg->services[j];
	const struct config_service *b = &cfg->services[i];
	char ip[INET6_ADDRSTRLEN], buf[48];

	if (by_name)
		return cfg_fail(
			err, "services[%u].name: duplicate service name \"%s\"",
			i, cfg_shown(b->name, buf));
	return cfg_fail(err,
			"services[%u]: %s port %u %s overlaps services[%u] "
			"(\"%s\", port %u; port 0 means every port)",
			i, cfg_ip_str(&b->vip, ip), b->port,
			cfg_name_of(NAMES(proto_names), b->proto), j,
			cfg_shown(a->name, buf), a->port);
}

/*
 * Names unique, (vip, port, protocol) unique. Reports what the pairwise
 * search would: the first service i that clashes with an earlier one,
 * with the earliest such j, and a duplicate name before an overlap when
 * both concern that j. Linear: a hash of first occurrences, since the
 * pairwise search was the largest cost of a 1000-service PUT.
 */
static int validate_service_clashes(const struct ep_config *cfg,
				    struct config_error *err)
{
	struct clash_table t;
	uint32_t i, by_name, overlap;
	int rc = 0;

	if (cfg->n_services < 2)
		return 0;
	/* Each service adds at most three keys. */
	if (clash_init(&t, 3 * cfg->n_services + 1) != 0)
		return cfg_fail_nomem(err);
	for (i = 0; rc == 0 && i < cfg->n_services; i++) {
		by_name = clash_check(&t, CLASH_NAME, cfg, i);
		overlap = clash_overlap(&t, cfg, i);
		if (by_name != IDS_NONE || overlap != IDS_NONE)
			rc = clash_fail(cfg, i, min_u32(by_name, overlap),
					by_name <= overlap, err);
	}
	free(t.slots);
	return rc;
}

static int validate_services(const struct ep_config *cfg,
			     struct config_error *err)
{
	uint64_t total = 0;
	uint32_t i;
	int rc;

	if (cfg->n_services > EP_MAX_SERVICES)
		return cfg_fail(err, "services: at most %u entries",
				EP_MAX_SERVICES);
	for (i = 0; i < cfg->n_services; i++) {
		total += cfg->services[i].n_backends;
		if (total > EP_MAX_BACKENDS)
			return cfg_fail(err,
					"services[%u].backends: more than %u "
					"backends in all services",
					i, EP_MAX_BACKENDS);
		rc = validate_service(cfg, i, err);
		if (rc != 0)
			return rc;
	}
	return validate_service_clashes(cfg, err);
}

/* Two listeners that bind() would refuse: same unix path, or same port
 * and family with the same address or a wildcard on either side. */
static bool listeners_clash(const struct config_listener *a,
			    const struct config_listener *b)
{
	if (a->is_unix || b->is_unix)
		return a->is_unix && b->is_unix &&
		       strncmp(a->unix_path, b->unix_path,
			       CONFIG_UNIX_PATH_LEN) == 0;
	return a->port == b->port && a->addr.family == b->addr.family &&
	       (cfg_ip_equal(&a->addr, &b->addr) || cfg_ip_is_any(&a->addr) ||
		cfg_ip_is_any(&b->addr));
}

static int validate_listener(const struct config_api *api, uint32_t i,
			     struct config_error *err)
{
	const struct config_listener *l = &api->listeners[i];
	char path[PATH_BUF], a[INET6_ADDRSTRLEN];
	uint32_t j;

	cfg_index_path(path, sizeof(path), "api", "listeners", i);
	for (j = 0; j < i; j++)
		if (listeners_clash(&api->listeners[j], l))
			return cfg_fail_at(
				err, path, NULL,
				"same address and port as api.listeners[%u]",
				j);
	if (l->is_unix && (l->unix_path[0] != '/' ||
			   !cfg_text_valid(l->unix_path, CONFIG_UNIX_PATH_LEN)))
		return cfg_fail_at(
			err, path, "unix",
			"must be an absolute path of at most %u bytes",
			CONFIG_UNIX_PATH_LEN - 1);
	if (l->is_unix)
		return 0;
	if (!cfg_ip_valid(&l->addr) ||
	    (!cfg_ip_is_any(&l->addr) && !cfg_ip_is_unicast(&l->addr)))
		return cfg_fail_at(err, path, "address",
				   "must be a unicast or wildcard address");
	if (l->port == 0)
		return cfg_fail_at(err, path, "port", "must be 1..65535");
	if (!l->tls && !cfg_ip_is_loopback(&l->addr))
		return cfg_fail_at(
			err, path, "tls",
			"must be true on %s: cleartext only on loopback "
			"addresses and unix sockets",
			cfg_ip_str(&l->addr, a));
	if (l->tls && !api->has_tls)
		return cfg_fail_at(
			err, path, "tls",
			"needs api.tls.certificate and api.tls.private_key");
	return 0;
}

static int validate_subjects(const char subj[][CONFIG_SUBJECT_LEN], uint32_t n,
			     const char *key, bool has_ca,
			     struct config_error *err)
{
	uint32_t i;

	if (n > CONFIG_MAX_SUBJECTS)
		return cfg_fail(err, "api.tls.%s: at most %u entries", key,
				CONFIG_MAX_SUBJECTS);
	if (n > 0 && !has_ca)
		return cfg_fail(err,
				"api.tls.%s: needs api.tls.client_ca (subjects "
				"come from client certificates)",
				key);
	for (i = 0; i < n; i++)
		if (!cfg_text_valid(subj[i], CONFIG_SUBJECT_LEN))
			return cfg_fail(
				err, "api.tls.%s[%u]: must be 1..%u characters",
				key, i, CONFIG_SUBJECT_LEN - 1);
	return 0;
}

static int validate_api_tls(const struct config_api *api,
			    struct config_error *err)
{
	bool has_ca = api->client_ca[0] != '\0';
	int rc;

	if (!cfg_text_valid(api->certificate, CONFIG_PATH_LEN))
		return cfg_fail(err,
				"api.tls.certificate: must be a path of 1..%u "
				"characters",
				CONFIG_PATH_LEN - 1);
	if (!cfg_text_valid(api->private_key, CONFIG_PATH_LEN))
		return cfg_fail(err,
				"api.tls.private_key: must be a path of 1..%u "
				"characters",
				CONFIG_PATH_LEN - 1);
	if (has_ca && !cfg_text_valid(api->client_ca, CONFIG_PATH_LEN))
		return cfg_fail(
			err,
			"api.tls.client_ca: must be a path of 1..%u characters",
			CONFIG_PATH_LEN - 1);
	rc = validate_subjects(api->admin_subjects, api->n_admin_subjects,
			       "admin_subjects", has_ca, err);
	if (rc == 0)
		rc = validate_subjects(api->reader_subjects,
				       api->n_reader_subjects,
				       "reader_subjects", has_ca, err);
	if (rc == 0)
		rc = validate_subjects(api->registry_subjects,
				       api->n_registry_subjects,
				       "registry_subjects", has_ca, err);
	return rc;
}

static int validate_api(const struct config_api *api, struct config_error *err)
{
	uint32_t i;
	int rc = 0;

	if (!api->present)
		return 0;
	if (api->n_listeners == 0 || api->n_listeners > CONFIG_MAX_LISTENERS)
		return cfg_fail(err, "api.listeners: must list 1..%u listeners",
				CONFIG_MAX_LISTENERS);
	for (i = 0; rc == 0 && i < api->n_listeners; i++)
		rc = validate_listener(api, i, err);
	if (rc == 0 && api->has_tls)
		rc = validate_api_tls(api, err);
	return rc;
}

int config_validate(const struct ep_config *cfg, struct config_error *err)
{
	int rc = validate_node(&cfg->node, err);

	if (rc == 0)
		rc = validate_services(cfg, err);
	if (rc == 0)
		rc = validate_api(&cfg->api, err);
	if (rc == 0)
		rc = cpol_validate_global(&cfg->pol, err);
	return rc;
}
