/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Configuration module (config.h): JSON document <-> struct ep_config <->
 * flat binary form (ep_abi.h), with the validation that keeps bad input
 * away from the fast path, and the stable stats_id allocator. Needs cJSON,
 * not DPDK. docs/config.md is the user-facing description of every rule.
 *
 * This file: errors, names of enumerated values, addresses, names and MACs,
 * ownership (free, copy) and comparison. The others: scan.c (the strict
 * RFC 8259 scan), parse.c (JSON -> struct), health_check.c (a service's
 * health_check), validate.c, json.c (canonical JSON), ids.c (stable stats
 * ids), flat.c (the flat form), policing.c and policing_form.c (limits
 * and ACLs).
 */
#include "config_int.h"
#include "ipfmt.h"

/* Format `err` (when given) and return -EINVAL. */
int cfg_fail(struct config_error *err, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL) {
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/*
 * Error on `path`.`key` (or on `path` alone when key is NULL; the root
 * object's path is "" and shows as "document"). Returns -EINVAL.
 */
int cfg_fail_at(struct config_error *err, const char *path, const char *key,
		const char *fmt, ...)
{
	char what[200];
	va_list ap;

	if (err == NULL)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (key == NULL)
		snprintf(err->msg, sizeof(err->msg), "%s: %s",
			 *path != '\0' ? path : "document", what);
	else
		snprintf(err->msg, sizeof(err->msg), "%s%s%s: %s", path,
			 *path != '\0' ? "." : "", key, what);
	return -EINVAL;
}

/* Format "out of memory" and return -ENOMEM. */
int cfg_fail_nomem(struct config_error *err)
{
	cfg_fail(err, "out of memory");
	return -ENOMEM;
}

/* A user-supplied string fit to quote in a message: at most 40 bytes,
 * anything but printable ASCII shown as '?', so errors stay one clean line. */
const char *cfg_shown(const char *s, char buf[48])
{
	size_t i;

	for (i = 0; s[i] != '\0' && i < 40; i++)
		buf[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
	buf[i] = '\0';
	return buf;
}

/*
 * `buf` = "prefix.key[i]" ("key[i]" when prefix is empty), the path of an
 * array element. By hand rather than snprintf: parse and validate name
 * every service and backend, tens of thousands of paths per document.
 */
const char *cfg_index_path(char *buf, size_t cap, const char *prefix,
			   const char *key, uint32_t i)
{
	size_t np = strlen(prefix), nk = strlen(key), n = 0;
	char digits[10], *d = digits + sizeof(digits);

	do {
		*--d = (char)('0' + i % 10);
		i /= 10;
	} while (i != 0);
	if (np + nk + (size_t)(digits + sizeof(digits) - d) + 4 > cap) {
		buf[0] = '\0'; /* callers' buffers always fit; never here */
		return buf;
	}
	memcpy(buf, prefix, np);
	n = np;
	if (np > 0)
		buf[n++] = '.';
	memcpy(buf + n, key, nk);
	n += nk;
	buf[n++] = '[';
	memcpy(buf + n, d, (size_t)(digits + sizeof(digits) - d));
	n += (size_t)(digits + sizeof(digits) - d);
	buf[n++] = ']';
	buf[n] = '\0';
	return buf;
}

/* The name of value `v`, or NULL when `v` names nothing. */
const char *cfg_name_of(struct names t, unsigned int v)
{
	return v < t.n ? t.v[v] : NULL;
}

int cfg_name_index(struct names t, const char *s)
{
	size_t i;

	for (i = 0; i < t.n; i++)
		if (t.v[i] != NULL && strcmp(t.v[i], s) == 0)
			return (int)i;
	return -1;
}

/* "\"dsr\", \"encap\", \"nat\"" for messages. */
const char *cfg_name_list(struct names t, char *buf, size_t cap)
{
	size_t i, used = 0;

	buf[0] = '\0';
	for (i = 0; i < t.n; i++) {
		if (t.v[i] == NULL)
			continue;
		used += snprintf(buf + used, cap - used, "%s\"%s\"",
				 used > 0 ? ", " : "", t.v[i]);
		if (used >= cap)
			break;
	}
	return buf;
}

/* ------------------------------------------------------------------ */
/* Addresses, names, MACs                                               */

bool cfg_ip_parse(const char *s, struct ep_ip *ip)
{
	memset(ip, 0, sizeof(*ip));
	if (inet_pton(AF_INET, s, ip->bytes) == 1) {
		ip->family = EP_AF_INET;
		return true;
	}
	if (inet_pton(AF_INET6, s, ip->bytes) == 1) {
		ip->family = EP_AF_INET6;
		return true;
	}
	memset(ip, 0, sizeof(*ip));
	return false;
}

static size_t ip_len(const struct ep_ip *ip)
{
	return ip->family == EP_AF_INET ? 4 : 16;
}

bool cfg_ip_equal(const struct ep_ip *a, const struct ep_ip *b)
{
	if (a->family != b->family)
		return false;
	return a->family == 0 || memcmp(a->bytes, b->bytes, ip_len(a)) == 0;
}

/* The ABI form: family and address bytes, everything else zero, so the
 * fast path can compare two of them with memcmp. */
struct ep_ip cfg_ip_flat(const struct ep_ip *ip)
{
	struct ep_ip out;

	memset(&out, 0, sizeof(out));
	if (ip->family == EP_AF_INET || ip->family == EP_AF_INET6) {
		out.family = ip->family;
		memcpy(out.bytes, ip->bytes, ip_len(ip));
	}
	return out;
}

const char *cfg_ip_str(const struct ep_ip *ip, char buf[INET6_ADDRSTRLEN])
{
	if (ip->family == EP_AF_INET) {
		ipfmt_ip4(ip->bytes, buf);
		return buf;
	}
	if (ip->family != EP_AF_INET6 ||
	    inet_ntop(AF_INET6, ip->bytes, buf, INET6_ADDRSTRLEN) == NULL)
		snprintf(buf, INET6_ADDRSTRLEN, "(family %u)", ip->family);
	return buf;
}

bool cfg_ip_valid(const struct ep_ip *ip)
{
	return ip->family == EP_AF_INET || ip->family == EP_AF_INET6;
}

bool cfg_ip_is_any(const struct ep_ip *ip)
{
	static const uint8_t zero[16];

	return memcmp(ip->bytes, zero, ip_len(ip)) == 0;
}

/* Unicast: not unspecified, not multicast, not IPv4 broadcast. */
bool cfg_ip_is_unicast(const struct ep_ip *ip)
{
	static const uint8_t bcast[4] = { 255, 255, 255, 255 };

	if (!cfg_ip_valid(ip) || cfg_ip_is_any(ip))
		return false;
	if (ip->family == EP_AF_INET)
		return (ip->bytes[0] & 0xf0) != 0xe0 &&
		       memcmp(ip->bytes, bcast, 4) != 0;
	return ip->bytes[0] != 0xff;
}

bool cfg_ip_is_loopback(const struct ep_ip *ip)
{
	static const uint8_t v6_loopback[16] = { [15] = 1 };

	if (ip->family == EP_AF_INET)
		return ip->bytes[0] == 127;
	return ip->family == EP_AF_INET6 &&
	       memcmp(ip->bytes, v6_loopback, 16) == 0;
}

const char *cfg_family_name(uint8_t family)
{
	return family == EP_AF_INET ? "IPv4" : "IPv6";
}

/* 1..EP_NAME_LEN-1 bytes of [A-Za-z0-9_.-], NUL within the array. */
bool cfg_name_valid(const char name[EP_NAME_LEN])
{
	size_t i, n = strnlen(name, EP_NAME_LEN);

	if (n == 0 || n == EP_NAME_LEN)
		return false;
	for (i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '.' ||
		      c == '-'))
			return false;
	}
	return true;
}

int cfg_hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Exactly "aa:bb:cc:dd:ee:ff" (either case). */
bool cfg_mac_parse(const char *s, uint8_t mac[6])
{
	int i, hi, lo;

	if (strlen(s) != 17)
		return false;
	for (i = 0; i < 6; i++) {
		hi = cfg_hex_digit(s[3 * i]);
		lo = cfg_hex_digit(s[3 * i + 1]);
		if (hi < 0 || lo < 0 || (i < 5 && s[3 * i + 2] != ':'))
			return false;
		mac[i] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}

bool cfg_mac_is_unicast(const uint8_t mac[6])
{
	static const uint8_t zero[6];

	return (mac[0] & 1) == 0 && memcmp(mac, zero, 6) != 0;
}

/* NUL-terminated within `cap`, 1 or more bytes, no control characters. */
bool cfg_text_valid(const char *s, size_t cap)
{
	size_t i, n = strnlen(s, cap);

	if (n == 0 || n == cap)
		return false;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return true;
}

/* ------------------------------------------------------------------ */
/* Ownership and comparison                                             */

void config_free(struct ep_config *cfg)
{
	uint32_t i;

	for (i = 0; cfg->services != NULL && i < cfg->n_services; i++) {
		cfg_registry_free_service(&cfg->services[i]);
		free(cfg->services[i].backends);
		cpol_free_service(&cfg->services[i].pol);
	}
	free(cfg->services);
	cpol_free_global(&cfg->pol);
	memset(cfg, 0, sizeof(*cfg));
}

int config_copy(struct ep_config *dst, const struct ep_config *src)
{
	struct config_service *s;
	uint32_t i;

	*dst = *src;
	dst->services = NULL;
	dst->n_services = 0;
	if (cpol_copy_global(&dst->pol, &src->pol) != 0)
		goto cfg_fail;
	if (src->n_services == 0)
		return 0;
	dst->services = calloc(src->n_services, sizeof(*dst->services));
	if (dst->services == NULL)
		goto cfg_fail;
	dst->n_services = src->n_services;
	for (i = 0; i < src->n_services; i++) {
		s = &dst->services[i];
		*s = src->services[i];
		s->backends = NULL;
		s->registry_clients = NULL;
		if (cpol_copy_service(&s->pol, &src->services[i].pol) != 0)
			goto cfg_fail;
		if (s->n_backends > 0) {
			s->backends =
				malloc(s->n_backends * sizeof(*s->backends));
			if (s->backends == NULL)
				goto cfg_fail;
			memcpy(s->backends, src->services[i].backends,
			       s->n_backends * sizeof(*s->backends));
		}
		if (cfg_registry_copy_service(s, &src->services[i]) != 0)
			goto cfg_fail;
	}
	return 0;
cfg_fail:
	config_free(dst);
	return -ENOMEM;
}

static bool backend_equal(const struct config_backend *a,
			  const struct config_backend *b)
{
	return cfg_ip_equal(&a->addr, &b->addr) && a->port == b->port &&
	       a->weight == b->weight && a->state == b->state &&
	       a->priority == b->priority && a->has_mac == b->has_mac &&
	       (!a->has_mac || memcmp(a->mac, b->mac, 6) == 0) &&
	       cfg_registration_equal(a, b);
}

static bool service_equal(const struct config_service *a,
			  const struct config_service *b)
{
	uint32_t i;

	if (strncmp(a->name, b->name, EP_NAME_LEN) != 0 ||
	    !cfg_ip_equal(&a->vip, &b->vip) || a->port != b->port ||
	    a->proto != b->proto || a->fwd != b->fwd || a->encap != b->encap ||
	    a->sched != b->sched || a->affinity != b->affinity ||
	    a->maglev_size != b->maglev_size || a->on_down != b->on_down ||
	    a->n_backends != b->n_backends || !cfg_health_equal(a, b) ||
	    !cpol_equal_service(&a->pol, &b->pol) ||
	    !cfg_registry_clients_equal(a, b) || !cfg_outlier_equal(a, b))
		return false;
	for (i = 0; i < a->n_backends; i++)
		if (!backend_equal(&a->backends[i], &b->backends[i]))
			return false;
	return true;
}

static bool node_equal(const struct config_node *a, const struct config_node *b)
{
	uint32_t i;

	if (a->n_addrs != b->n_addrs || a->backend_port != b->backend_port ||
	    a->gue_port != b->gue_port ||
	    a->maglev_rebuild != b->maglev_rebuild ||
	    !cfg_ip_equal(&a->encap_src4, &b->encap_src4) ||
	    !cfg_ip_equal(&a->encap_src6, &b->encap_src6))
		return false;
	for (i = 0; i < a->n_addrs && i < EP_MAX_NODE_ADDRS; i++)
		if (!cfg_ip_equal(&a->addrs[i].addr, &b->addrs[i].addr) ||
		    a->addrs[i].port_id != b->addrs[i].port_id)
			return false;
	return true;
}

static bool listener_equal(const struct config_listener *a,
			   const struct config_listener *b)
{
	if (a->is_unix != b->is_unix)
		return false;
	if (a->is_unix)
		return strncmp(a->unix_path, b->unix_path,
			       CONFIG_UNIX_PATH_LEN) == 0;
	return cfg_ip_equal(&a->addr, &b->addr) && a->port == b->port &&
	       a->tls == b->tls;
}

static bool subjects_equal(const char a[][CONFIG_SUBJECT_LEN], uint32_t na,
			   const char b[][CONFIG_SUBJECT_LEN], uint32_t nb)
{
	uint32_t i;

	if (na != nb)
		return false;
	for (i = 0; i < na && i < CONFIG_MAX_SUBJECTS; i++)
		if (strncmp(a[i], b[i], CONFIG_SUBJECT_LEN) != 0)
			return false;
	return true;
}

static bool api_tls_equal(const struct config_api *a,
			  const struct config_api *b)
{
	return strncmp(a->certificate, b->certificate, CONFIG_PATH_LEN) == 0 &&
	       strncmp(a->private_key, b->private_key, CONFIG_PATH_LEN) == 0 &&
	       strncmp(a->client_ca, b->client_ca, CONFIG_PATH_LEN) == 0 &&
	       subjects_equal(a->admin_subjects, a->n_admin_subjects,
			      b->admin_subjects, b->n_admin_subjects) &&
	       subjects_equal(a->reader_subjects, a->n_reader_subjects,
			      b->reader_subjects, b->n_reader_subjects) &&
	       subjects_equal(a->registry_subjects, a->n_registry_subjects,
			      b->registry_subjects, b->n_registry_subjects);
}

static bool api_equal(const struct config_api *a, const struct config_api *b)
{
	uint32_t i;

	if (a->present != b->present)
		return false;
	if (!a->present)
		return true;
	if (a->n_listeners != b->n_listeners || a->has_tls != b->has_tls)
		return false;
	for (i = 0; i < a->n_listeners && i < CONFIG_MAX_LISTENERS; i++)
		if (!listener_equal(&a->listeners[i], &b->listeners[i]))
			return false;
	return !a->has_tls || api_tls_equal(a, b);
}

bool config_equal(const struct ep_config *a, const struct ep_config *b)
{
	uint32_t i;

	if (!node_equal(&a->node, &b->node) || a->n_services != b->n_services ||
	    !api_equal(&a->api, &b->api) ||
	    !cpol_equal_global(&a->pol, &b->pol))
		return false;
	for (i = 0; i < a->n_services; i++)
		if (!service_equal(&a->services[i], &b->services[i]))
			return false;
	return true;
}
