/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * edgepath-xdp vip and stats: the pinned VIP map (addresses referenced
 * by their VIPs) and the per-CPU counters.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "ep_xdp.h"
#include "xdp_steer.skel.h"
#include "xdp_loader.h"

/* ------------------------------------------------------------------ */
/* VIPs                                                                 */

static void addr_key_of(const struct ep_xdp_vip_key *vip,
			struct ep_xdp_addr_key *a)
{
	memset(a, 0, sizeof(*a));
	memcpy(a->addr, vip->addr, sizeof(a->addr));
	a->family = vip->family;
}

static const char *vip_str(const struct ep_xdp_vip_key *k, char *buf,
			   size_t len)
{
	char addr[INET6_ADDRSTRLEN];

	inet_ntop(k->family == EP_XDP_FAMILY_V4 ? AF_INET : AF_INET6, k->addr,
		  addr, sizeof(addr));
	snprintf(buf, len, "%s %u %s", addr, ntohs(k->port),
		 k->proto == IPPROTO_TCP ? "tcp" : "udp");
	return buf;
}

/* Adds to / drops from an address's VIP count; 0 or negative errno. */
static int addr_ref(int addrs_fd, const struct ep_xdp_vip_key *vip, int delta)
{
	struct ep_xdp_addr_val val = { 0 };
	struct ep_xdp_addr_key a;

	addr_key_of(vip, &a);
	if (bpf_map_lookup_elem(addrs_fd, &a, &val) && errno != ENOENT)
		return -errno;
	if (delta < 0 && val.refs <= 1)
		return bpf_map_delete_elem(addrs_fd, &a) && errno != ENOENT
			       ? -errno
			       : 0;
	val.refs += delta;
	return bpf_map_update_elem(addrs_fd, &a, &val, BPF_ANY) ? -errno : 0;
}

static int vip_add(const struct ep_xdp_vip_key *key)
{
	struct ep_xdp_vip_val val = { 0 };
	struct xdp_steer *skel = NULL;
	int vips_fd, addrs_fd, err;
	char buf[80];

	vips_fd = bpf_obj_get(EP_XDP_PIN_VIPS);
	if (vips_fd < 0 && errno == ENOENT) {
		/* First VIP before any attach: create and pin the maps. */
		skel = steer_load(NULL);
		if (!skel)
			return 1;
		vips_fd = dup(bpf_map__fd(skel->maps.vips));
		xdp_steer__destroy(skel);
	}
	if (vips_fd < 0)
		return fail(-errno, "cannot open %s", EP_XDP_PIN_VIPS);
	addrs_fd = bpf_obj_get(EP_XDP_PIN_VIP_ADDRS);
	if (addrs_fd < 0) {
		err = fail(-errno, "cannot open %s", EP_XDP_PIN_VIP_ADDRS);
		goto out;
	}
	if (bpf_map_update_elem(vips_fd, key, &val, BPF_NOEXIST)) {
		if (errno == EEXIST)
			err = fail(0, "VIP %s already exists",
				   vip_str(key, buf, sizeof(buf)));
		else if (errno == E2BIG)
			err = fail(0, "VIP table full (%u entries)",
				   EP_XDP_MAX_VIPS);
		else
			err = fail(-errno, "cannot add VIP %s",
				   vip_str(key, buf, sizeof(buf)));
		goto out;
	}
	err = addr_ref(addrs_fd, key, +1);
	if (err) {
		bpf_map_delete_elem(vips_fd, key);
		err = fail(err, "cannot add the VIP address (table of %u)",
			   EP_XDP_MAX_VIP_ADDRS);
		goto out;
	}
	printf("added VIP %s\n", vip_str(key, buf, sizeof(buf)));
out:
	if (addrs_fd >= 0)
		close(addrs_fd);
	if (vips_fd >= 0)
		close(vips_fd);
	return err ? 1 : 0;
}

static int vip_del(const struct ep_xdp_vip_key *key)
{
	int vips_fd = bpf_obj_get(EP_XDP_PIN_VIPS);
	int addrs_fd = bpf_obj_get(EP_XDP_PIN_VIP_ADDRS);
	char buf[80];
	int err = 0;

	if (vips_fd < 0 || addrs_fd < 0) {
		err = fail(0, "VIP %s not found (no VIP map pinned in %s)",
			   vip_str(key, buf, sizeof(buf)), EP_XDP_PIN_DIR);
		goto out;
	}
	if (bpf_map_delete_elem(vips_fd, key)) {
		if (errno == ENOENT)
			err = fail(0, "VIP %s not found",
				   vip_str(key, buf, sizeof(buf)));
		else
			err = fail(-errno, "cannot delete VIP %s",
				   vip_str(key, buf, sizeof(buf)));
		goto out;
	}
	err = addr_ref(addrs_fd, key, -1);
	if (err)
		err = fail(err, "VIP deleted, but its address entry was not");
	else
		printf("deleted VIP %s\n", vip_str(key, buf, sizeof(buf)));
out:
	if (addrs_fd >= 0)
		close(addrs_fd);
	if (vips_fd >= 0)
		close(vips_fd);
	return err ? 1 : 0;
}

static int vip_cmp(const void *a, const void *b)
{
	const struct ep_xdp_vip_key *x = a, *y = b;
	int c;

	if (x->family != y->family)
		return x->family - y->family;
	c = memcmp(x->addr, y->addr, sizeof(x->addr));
	if (c)
		return c;
	if (x->proto != y->proto)
		return x->proto - y->proto;
	return ntohs(x->port) - ntohs(y->port);
}

static int vip_list(void)
{
	struct ep_xdp_vip_key *keys, key, *prev = NULL;
	size_t n = 0;
	char buf[80];
	int fd;

	if (bpffs_ready())
		return 1;
	fd = bpf_obj_get(EP_XDP_PIN_VIPS);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0; /* nothing configured */
		return fail(-errno, "cannot open %s", EP_XDP_PIN_VIPS);
	}
	keys = calloc(EP_XDP_MAX_VIPS, sizeof(*keys));
	if (!keys) {
		close(fd);
		return fail(-ENOMEM, "vip list");
	}
	while (n < EP_XDP_MAX_VIPS && !bpf_map_get_next_key(fd, prev, &key)) {
		keys[n] = key;
		prev = &keys[n++];
	}
	close(fd);
	qsort(keys, n, sizeof(*keys), vip_cmp);
	for (size_t i = 0; i < n; i++)
		printf("%s\n", vip_str(&keys[i], buf, sizeof(buf)));
	free(keys);
	return 0;
}

int cmd_vip(int argc, char **argv)
{
	struct ep_xdp_vip_key key;
	int lock, ret;

	if (argc < 1)
		die_usage("vip: expected add, del or list");
	if (!strcmp(argv[0], "list")) {
		if (argc != 1)
			die_usage("vip list: takes no arguments");
		return vip_list();
	}
	if (strcmp(argv[0], "add") && strcmp(argv[0], "del"))
		die_usage("vip: unknown subcommand '%s' (add, del or list)",
			  argv[0]);
	if (argc != 4)
		die_usage("vip %s: expected ADDR PORT tcp|udp", argv[0]);
	parse_vip(argv + 1, &key);
	lock = pin_dir_lock();
	if (lock < 0)
		return 1;
	ret = argv[0][0] == 'a' ? vip_add(&key) : vip_del(&key);
	close(lock);
	return ret;
}

/* ------------------------------------------------------------------ */
/* stats / unpin                                                        */

/* Sums a pinned one-entry per-CPU array of n __u64 counters. */
static int read_percpu(const char *pin, __u64 *sum, unsigned int n)
{
	int ncpu = libbpf_num_possible_cpus();
	int fd = bpf_obj_get(pin);
	__u32 zero = 0;
	__u64 *vals;

	if (fd < 0)
		return -errno;
	if (ncpu < 1) {
		close(fd);
		return ncpu;
	}
	vals = calloc((size_t)ncpu * n, sizeof(*vals));
	if (!vals) {
		close(fd);
		return -ENOMEM;
	}
	if (bpf_map_lookup_elem(fd, &zero, vals)) {
		int err = -errno;

		free(vals);
		close(fd);
		return err;
	}
	memset(sum, 0, n * sizeof(*sum));
	for (int c = 0; c < ncpu; c++)
		for (unsigned int i = 0; i < n; i++)
			sum[i] += vals[(size_t)c * n + i];
	free(vals);
	close(fd);
	return 0;
}

int cmd_stats(int argc)
{
	static const char *const steer_names[] = {
#define EP_XDP_X(name, str) str,
		EP_XDP_STEER_STATS(EP_XDP_X)
#undef EP_XDP_X
	};
	static const char *const decap_names[] = {
#define EP_XDP_X(name, str) str,
		EP_XDP_DECAP_STATS(EP_XDP_X)
#undef EP_XDP_X
	};
	__u64 steer[EP_XDP_STEER_NSTATS], decap[EP_XDP_DECAP_NSTATS];
	int e1, e2;

	if (argc != 0)
		die_usage("stats: takes no arguments");
	if (bpffs_ready())
		return 1;
	e1 = read_percpu(EP_XDP_PIN_STEER_STATS, steer, EP_XDP_STEER_NSTATS);
	e2 = read_percpu(EP_XDP_PIN_DECAP_STATS, decap, EP_XDP_DECAP_NSTATS);
	if (e1 == -ENOENT && e2 == -ENOENT)
		return fail(0, "no counters pinned in %s (nothing attached)",
			    EP_XDP_PIN_DIR);
	if (e1 && e1 != -ENOENT)
		return fail(e1, "cannot read %s", EP_XDP_PIN_STEER_STATS);
	if (e2 && e2 != -ENOENT)
		return fail(e2, "cannot read %s", EP_XDP_PIN_DECAP_STATS);
	for (unsigned int i = 0; !e1 && i < EP_XDP_STEER_NSTATS; i++)
		printf("steer %-10s %llu\n", steer_names[i],
		       (unsigned long long)steer[i]);
	for (unsigned int i = 0; !e2 && i < EP_XDP_DECAP_NSTATS; i++)
		printf("decap %-10s %llu\n", decap_names[i],
		       (unsigned long long)decap[i]);
	return 0;
}
