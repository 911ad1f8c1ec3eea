/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * edgepath-xdp: attaches edgepath's XDP programs (xdp_steer for the fast
 * path's af_xdp mode, xdp_decap for backends) and edits their maps. Maps
 * are pinned under EP_XDP_PIN_DIR, so every invocation, and the DPDK
 * af_xdp PMD, sees the same VIPs, sockets and counters.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "ep_xdp.h"
#include "xdp_decap.skel.h"
#include "xdp_steer.skel.h"

#define EP_BPF_FS_MAGIC 0xcafe4a11 /* linux/magic.h BPF_FS_MAGIC */
#define EXIT_USAGE 2

static const char usage_text[] =
	"usage: edgepath-xdp COMMAND ...\n"
	"  attach IFACE [--mode skb|native]   attach xdp_steer (af_xdp mode)\n"
	"  decap attach IFACE [--mode skb|native] [--gue-port PORT]\n"
	"                                     attach xdp_decap (backends)\n"
	"  detach IFACE                       detach whichever of the two\n"
	"  vip add ADDR PORT tcp|udp          PORT 0 = every port\n"
	"  vip del ADDR PORT tcp|udp\n"
	"  vip list\n"
	"  stats\n"
	"  unpin                              remove " EP_XDP_PIN_DIR
	" once nothing is attached\n"
	"Without --mode the kernel picks native XDP when the driver has it.\n";

/* Program names the kernel reports (BPF names stop at 15 chars). */
static const char *const our_progs[] = { "xdp_steer", "xdp_decap" };

static void die_usage(const char *fmt, ...)
{
	va_list ap;

	fputs("edgepath-xdp: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\n(run 'edgepath-xdp --help' for usage)\n", stderr);
	exit(EXIT_USAGE);
}

/* Prints an error; err is a negative errno (0 = none to show). */
static int fail(int err, const char *fmt, ...)
{
	va_list ap;

	fputs("edgepath-xdp: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (err)
		fprintf(stderr, ": %s", strerror(-err));
	if (err == -EPERM)
		fputs(" (needs root: CAP_BPF, CAP_NET_ADMIN)", stderr);
	fputc('\n', stderr);
	return 1;
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	if (level != LIBBPF_WARN)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

/* ------------------------------------------------------------------ */
/* Argument parsing: each returns 0 or exits with a usage error.        */

static unsigned int parse_iface(const char *name, bool must_exist)
{
	unsigned int ifindex;

	if (!*name || strlen(name) >= IF_NAMESIZE || strchr(name, '/') ||
	    !strcmp(name, ".") || !strcmp(name, ".."))
		die_usage("'%s' is not an interface name (1..%d characters, "
			  "no '/')",
			  name, IF_NAMESIZE - 1);
	ifindex = if_nametoindex(name);
	if (!ifindex && must_exist)
		die_usage("no interface named '%s'", name);
	return ifindex;
}

/* Decimal, no sign, no spaces, lo..hi. */
static unsigned long parse_uint(const char *what, const char *s,
				unsigned long lo, unsigned long hi)
{
	unsigned long v;
	char *end;

	if (*s < '0' || *s > '9')
		die_usage("%s '%s': must be a number %lu..%lu", what, s, lo,
			  hi);
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < lo || v > hi)
		die_usage("%s '%s': must be a number %lu..%lu", what, s, lo,
			  hi);
	return v;
}

static __u32 parse_mode(const char *s)
{
	if (!strcmp(s, "skb"))
		return XDP_FLAGS_SKB_MODE;
	if (!strcmp(s, "native"))
		return XDP_FLAGS_DRV_MODE;
	die_usage("--mode '%s': must be skb or native", s);
	return 0;
}

static void parse_vip(char **argv, struct ep_xdp_vip_key *key)
{
	const char *addr = argv[0], *proto = argv[2];
	struct in6_addr a6;
	struct in_addr a4;

	memset(key, 0, sizeof(*key));
	if (inet_pton(AF_INET, addr, &a4) == 1) {
		__u8 first = ntohl(a4.s_addr) >> 24;

		if (!a4.s_addr || first >= 224 || first == 127)
			die_usage("VIP address '%s': must be a unicast IPv4 "
				  "address (not 0.0.0.0, loopback, multicast "
				  "or broadcast)",
				  addr);
		memcpy(key->addr, &a4, 4);
		key->family = EP_XDP_FAMILY_V4;
	} else if (inet_pton(AF_INET6, addr, &a6) == 1) {
		if (IN6_IS_ADDR_UNSPECIFIED(&a6) || IN6_IS_ADDR_LOOPBACK(&a6) ||
		    IN6_IS_ADDR_MULTICAST(&a6) || IN6_IS_ADDR_V4MAPPED(&a6))
			die_usage("VIP address '%s': must be a unicast IPv6 "
				  "address (not ::, ::1, multicast or "
				  "v4-mapped; write IPv4 VIPs as a.b.c.d)",
				  addr);
		memcpy(key->addr, &a6, 16);
		key->family = EP_XDP_FAMILY_V6;
	} else {
		die_usage("VIP address '%s': not an IPv4 or IPv6 address",
			  addr);
	}
	key->port = htons(parse_uint("VIP port", argv[1], 0, 65535));
	if (!strcmp(proto, "tcp"))
		key->proto = IPPROTO_TCP;
	else if (!strcmp(proto, "udp"))
		key->proto = IPPROTO_UDP;
	else
		die_usage("VIP protocol '%s': must be tcp or udp", proto);
}

/* ------------------------------------------------------------------ */
/* bpffs and pins                                                       */

/*
 * Checks that EP_XDP_BPFFS is a bpffs. We never mount one ourselves: under
 * `ip netns exec` the command gets a private /sys, and pins made in a bpffs
 * mounted there would vanish on exit, so the next call would silently
 * start from empty maps.
 */
static int bpffs_ready(void)
{
	struct statfs sfs;

	if (!statfs(EP_XDP_BPFFS, &sfs) &&
	    (unsigned long)sfs.f_type == EP_BPF_FS_MAGIC)
		return 0;
	fail(0,
	     "%s is not a bpf filesystem here. Mount one (mount -t bpf bpf "
	     "%s; systemd usually does), and inside a network namespace "
	     "run 'nsenter --net=/run/netns/NAME edgepath-xdp ...' rather "
	     "than 'ip netns exec', which gives the command its own /sys",
	     EP_XDP_BPFFS, EP_XDP_BPFFS);
	return -1;
}

/* Creates the pin dir and locks it. */
static int pin_dir_lock(void)
{
	int fd;

	if (bpffs_ready())
		return -1;
	if (mkdir(EP_XDP_PIN_DIR, 0700) && errno != EEXIST) {
		fail(-errno, "cannot create %s", EP_XDP_PIN_DIR);
		return -1;
	}
	fd = open(EP_XDP_PIN_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || flock(fd, LOCK_EX)) {
		fail(-errno, "cannot lock %s", EP_XDP_PIN_DIR);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd; /* closing it drops the lock */
}

static void if_pin_path(char *buf, size_t len, const char *ifname,
			const char *leaf)
{
	if (leaf)
		snprintf(buf, len, "%s/%s/%s", EP_XDP_PIN_DIR, ifname, leaf);
	else
		snprintf(buf, len, "%s/%s", EP_XDP_PIN_DIR, ifname);
}

/* Removes EP_XDP_PIN_DIR/<ifname>/ and what we pin in it. */
static void if_unpin(const char *ifname)
{
	char path[PATH_MAX];

	if_pin_path(path, sizeof(path), ifname, EP_XDP_PIN_IF_XSKS);
	unlink(path);
	if_pin_path(path, sizeof(path), ifname, EP_XDP_PIN_IF_PROG);
	unlink(path);
	if_pin_path(path, sizeof(path), ifname, NULL);
	rmdir(path);
}

/*
 * Opens and loads xdp_steer with its shared maps pinned (reused when they
 * exist). With ifname, its XSKMAP is pinned in that interface's directory;
 * without, the XSKMAP is private and dies with the skeleton.
 */
static struct xdp_steer *steer_load(const char *ifname)
{
	struct xdp_steer *skel = xdp_steer__open();
	char path[PATH_MAX];
	int err;

	if (!skel) {
		fail(-errno, "cannot open the xdp_steer object");
		return NULL;
	}
	err = bpf_map__set_pin_path(skel->maps.vips, EP_XDP_PIN_VIPS);
	if (!err)
		err = bpf_map__set_pin_path(skel->maps.vip_addrs,
					    EP_XDP_PIN_VIP_ADDRS);
	if (!err)
		err = bpf_map__set_pin_path(skel->maps.stats,
					    EP_XDP_PIN_STEER_STATS);
	if (!err && ifname) {
		if_pin_path(path, sizeof(path), ifname, EP_XDP_PIN_IF_XSKS);
		err = bpf_map__set_pin_path(skel->maps.xsks, path);
	}
	if (!err)
		err = xdp_steer__load(skel);
	if (err) {
		fail(err,
		     "cannot load xdp_steer (if the pins in %s come from "
		     "another edgepath version, detach everything and run "
		     "'edgepath-xdp unpin')",
		     EP_XDP_PIN_DIR);
		xdp_steer__destroy(skel);
		return NULL;
	}
	return skel;
}

static struct xdp_decap *decap_load(void)
{
	struct xdp_decap *skel = xdp_decap__open();
	int err;

	if (!skel) {
		fail(-errno, "cannot open the xdp_decap object");
		return NULL;
	}
	err = bpf_map__set_pin_path(skel->maps.decap_cfg, EP_XDP_PIN_DECAP_CFG);
	if (!err)
		err = bpf_map__set_pin_path(skel->maps.stats,
					    EP_XDP_PIN_DECAP_STATS);
	if (!err)
		err = xdp_decap__load(skel);
	if (err) {
		fail(err,
		     "cannot load xdp_decap (if the pins in %s come from "
		     "another edgepath version, detach everything and run "
		     "'edgepath-xdp unpin')",
		     EP_XDP_PIN_DIR);
		xdp_decap__destroy(skel);
		return NULL;
	}
	return skel;
}

/* ------------------------------------------------------------------ */
/* attach / detach                                                      */

static const char *mode_name(__u32 flags)
{
	if (flags & XDP_FLAGS_SKB_MODE)
		return "skb";
	if (flags & XDP_FLAGS_DRV_MODE)
		return "native";
	return "auto";
}

/* Name of a loaded program by id, "" when it cannot be read. */
static void prog_name(__u32 id, char *name, size_t len)
{
	struct bpf_prog_info info;
	__u32 info_len = sizeof(info);
	int fd = bpf_prog_get_fd_by_id(id);

	name[0] = '\0';
	if (fd < 0)
		return;
	memset(&info, 0, sizeof(info));
	if (!bpf_obj_get_info_by_fd(fd, &info, &info_len))
		snprintf(name, len, "%s", info.name);
	close(fd);
}

static bool is_ours(const char *name)
{
	for (size_t i = 0; i < sizeof(our_progs) / sizeof(our_progs[0]); i++)
		if (!strcmp(name, our_progs[i]))
			return true;
	return false;
}

/* Refuses to attach over any XDP program already on the interface. */
static int check_free(const char *ifname, unsigned int ifindex)
{
	/* Options set by hand: LIBBPF_OPTS() is a GNU extension (-pedantic). */
	struct bpf_xdp_query_opts q = { .sz = sizeof(q) };
	char name[BPF_OBJ_NAME_LEN];
	int err = bpf_xdp_query(ifindex, 0, &q);
	__u32 id;

	if (err)
		return fail(err, "cannot query XDP state of %s", ifname);
	if (!q.prog_id && !q.skb_prog_id && !q.drv_prog_id && !q.hw_prog_id)
		return 0;
	id = q.prog_id ? q.prog_id : q.skb_prog_id;
	prog_name(id, name, sizeof(name));
	if (is_ours(name))
		return fail(0,
			    "%s already has %s (id %u); run 'edgepath-xdp "
			    "detach %s' first",
			    ifname, name, id, ifname);
	return fail(0,
		    "%s already has XDP program '%s' (id %u) that edgepath "
		    "did not attach; remove it first (ip link set dev %s xdp "
		    "off)",
		    ifname, name[0] ? name : "?", id, ifname);
}

/*
 * Attaches prog on ifindex through netlink (it stays after we exit) and
 * pins it in the interface's directory as the record of what we attached.
 */
static int attach_prog(struct bpf_program *prog, const char *ifname,
		       unsigned int ifindex, __u32 mode)
{
	char path[PATH_MAX];
	int err;

	if_pin_path(path, sizeof(path), ifname, NULL);
	if (mkdir(path, 0700) && errno != EEXIST)
		return fail(-errno, "cannot create %s", path);
	err = bpf_xdp_attach(ifindex, bpf_program__fd(prog),
			     mode | XDP_FLAGS_UPDATE_IF_NOEXIST, NULL);
	if (err) {
		if_unpin(ifname);
		if (err == -EOPNOTSUPP && (mode & XDP_FLAGS_DRV_MODE))
			return fail(err,
				    "%s: the driver has no native XDP; "
				    "use --mode skb",
				    ifname);
		return fail(err, "cannot attach %s to %s",
			    bpf_program__name(prog), ifname);
	}
	/* A pin left by a program removed behind our back is stale. */
	if_pin_path(path, sizeof(path), ifname, EP_XDP_PIN_IF_PROG);
	unlink(path);
	err = bpf_program__pin(prog, path);
	if (err)
		fprintf(stderr, "edgepath-xdp: warning: cannot pin %s: %s\n",
			path, strerror(-err));
	printf("attached %s to %s (mode %s)\n", bpf_program__name(prog), ifname,
	       mode_name(mode));
	return 0;
}

static int cmd_attach(int argc, char **argv, bool decap)
{
	unsigned int ifindex;
	const char *ifname;
	long gue_port = -1;
	__u32 mode = 0;
	int lock, ret;

	if (argc < 1)
		die_usage("%sattach: missing IFACE", decap ? "decap " : "");
	ifname = argv[0];
	ifindex = parse_iface(ifname, true);
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--mode") && i + 1 < argc) {
			mode = parse_mode(argv[++i]);
		} else if (decap && !strcmp(argv[i], "--gue-port") &&
			   i + 1 < argc) {
			gue_port =
				parse_uint("--gue-port", argv[++i], 1, 65535);
		} else if (i + 1 == argc && (!strcmp(argv[i], "--mode") ||
					     !strcmp(argv[i], "--gue-port"))) {
			die_usage("%s: missing value", argv[i]);
		} else {
			die_usage("%sattach: unexpected argument '%s'",
				  decap ? "decap " : "", argv[i]);
		}
	}

	lock = pin_dir_lock();
	if (lock < 0)
		return 1;
	ret = check_free(ifname, ifindex);
	if (!ret && !decap) {
		struct xdp_steer *skel = steer_load(ifname);

		ret = skel ? attach_prog(skel->progs.xdp_steer, ifname, ifindex,
					 mode)
			   : 1;
		if (!ret)
			printf("AF_XDP sockets go in %s/%s/%s (key = rx queue)"
			       "\n",
			       EP_XDP_PIN_DIR, ifname, EP_XDP_PIN_IF_XSKS);
		xdp_steer__destroy(skel);
	} else if (!ret) {
		struct xdp_decap *skel = decap_load();
		struct ep_xdp_decap_cfg cfg = { 0 };
		__u32 zero = 0;

		ret = skel ? 0 : 1;
		if (!ret && gue_port >= 0) {
			cfg.gue_port = (__u16)gue_port;
			ret = bpf_map__update_elem(skel->maps.decap_cfg, &zero,
						   sizeof(zero), &cfg,
						   sizeof(cfg), 0);
			if (ret)
				ret = fail(ret, "cannot set the GUE port");
		}
		if (!ret)
			ret = attach_prog(skel->progs.xdp_decap, ifname,
					  ifindex, mode);
		xdp_decap__destroy(skel);
	}
	close(lock);
	return ret;
}

/* Detaches our program in one attach mode, if that is what is there. */
static int detach_mode(const char *ifname, unsigned int ifindex, __u32 id,
		       __u32 mode, bool *done)
{
	struct bpf_xdp_attach_opts o = { .sz = sizeof(o) };
	char name[BPF_OBJ_NAME_LEN];
	int fd, err;

	if (!id)
		return 0;
	prog_name(id, name, sizeof(name));
	if (!is_ours(name))
		return fail(0,
			    "%s has XDP program '%s' (id %u) that edgepath did "
			    "not attach; leaving it",
			    ifname, name, id);
	fd = bpf_prog_get_fd_by_id(id);
	if (fd < 0)
		return fail(-errno, "cannot open program %u", id);
	/* Replace-only-if-still-ours: a racing attach is not undone. */
	o.old_prog_fd = fd;
	err = bpf_xdp_detach(ifindex, mode, &o);
	close(fd);
	if (err)
		return fail(err, "cannot detach %s from %s", name, ifname);
	printf("detached %s from %s (mode %s)\n", name, ifname,
	       mode_name(mode));
	*done = true;
	return 0;
}

static int cmd_detach(int argc, char **argv)
{
	struct bpf_xdp_query_opts q = { .sz = sizeof(q) };
	unsigned int ifindex;
	bool done = false;
	char path[PATH_MAX];
	struct stat sb;
	int lock, ret;

	if (argc != 1)
		die_usage("detach: expected exactly one IFACE");
	ifindex = parse_iface(argv[0], false);
	lock = pin_dir_lock();
	if (lock < 0)
		return 1;
	if_pin_path(path, sizeof(path), argv[0], NULL);
	if (!ifindex) {
		if (!stat(path, &sb)) {
			if_unpin(argv[0]);
			printf("%s is gone; removed its pins\n", argv[0]);
			ret = 0;
		} else {
			ret = fail(0, "no interface named '%s'", argv[0]);
		}
		close(lock);
		return ret;
	}
	ret = bpf_xdp_query(ifindex, 0, &q);
	if (ret) {
		ret = fail(ret, "cannot query XDP state of %s", argv[0]);
	} else {
		ret = detach_mode(argv[0], ifindex, q.skb_prog_id,
				  XDP_FLAGS_SKB_MODE, &done);
		if (!ret)
			ret = detach_mode(argv[0], ifindex, q.drv_prog_id,
					  XDP_FLAGS_DRV_MODE, &done);
		if (!ret && q.hw_prog_id)
			ret = fail(0,
				   "%s has an offloaded XDP program (id %u);"
				   " edgepath never attaches in hw mode",
				   argv[0], q.hw_prog_id);
	}
	if (!ret && !done) {
		if (!stat(path, &sb))
			printf("%s: no XDP program attached; removed stale "
			       "pins\n",
			       argv[0]);
		else
			ret = fail(0, "%s: no XDP program attached", argv[0]);
	}
	if (!ret)
		if_unpin(argv[0]);
	close(lock);
	return ret;
}

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

static int cmd_vip(int argc, char **argv)
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

static int cmd_stats(int argc)
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

static int cmd_unpin(int argc)
{
	static const char *const pins[] = {
		EP_XDP_PIN_VIPS,	EP_XDP_PIN_VIP_ADDRS,
		EP_XDP_PIN_STEER_STATS, EP_XDP_PIN_DECAP_CFG,
		EP_XDP_PIN_DECAP_STATS,
	};
	struct dirent *de;
	int lock, busy = 0;
	DIR *d;

	if (argc != 0)
		die_usage("unpin: takes no arguments");
	if (bpffs_ready())
		return 1;
	d = opendir(EP_XDP_PIN_DIR);
	if (!d) {
		if (errno == ENOENT)
			return 0;
		return fail(-errno, "cannot open %s", EP_XDP_PIN_DIR);
	}
	lock = dirfd(d);
	if (flock(lock, LOCK_EX)) {
		closedir(d);
		return fail(-errno, "cannot lock %s", EP_XDP_PIN_DIR);
	}
	while ((de = readdir(d)))
		if (de->d_type == DT_DIR && strcmp(de->d_name, ".") &&
		    strcmp(de->d_name, "..")) {
			fprintf(stderr,
				"edgepath-xdp: %s still has an edgepath "
				"program; run 'edgepath-xdp detach %s'\n",
				de->d_name, de->d_name);
			busy = 1;
		}
	if (!busy) {
		for (size_t i = 0; i < sizeof(pins) / sizeof(pins[0]); i++)
			if (unlink(pins[i]) && errno != ENOENT)
				busy = fail(-errno, "cannot remove %s",
					    pins[i]);
		if (!busy && rmdir(EP_XDP_PIN_DIR))
			busy = fail(-errno, "cannot remove %s", EP_XDP_PIN_DIR);
	}
	closedir(d);
	return busy;
}

int main(int argc, char **argv)
{
	const char *cmd;

	if (argc < 2)
		die_usage("missing command");
	cmd = argv[1];
	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") ||
	    !strcmp(cmd, "help")) {
		fputs(usage_text, stdout);
		return 0;
	}
	libbpf_set_print(libbpf_print);
	argc -= 2;
	argv += 2;
	if (!strcmp(cmd, "attach"))
		return cmd_attach(argc, argv, false);
	if (!strcmp(cmd, "decap")) {
		if (argc < 1 || strcmp(argv[0], "attach"))
			die_usage("decap: expected 'decap attach IFACE ...' "
				  "(detach with 'edgepath-xdp detach IFACE')");
		return cmd_attach(argc - 1, argv + 1, true);
	}
	if (!strcmp(cmd, "detach"))
		return cmd_detach(argc, argv);
	if (!strcmp(cmd, "vip"))
		return cmd_vip(argc, argv);
	if (!strcmp(cmd, "stats"))
		return cmd_stats(argc);
	if (!strcmp(cmd, "unpin"))
		return cmd_unpin(argc);
	die_usage("unknown command '%s'", cmd);
	return EXIT_USAGE;
}
