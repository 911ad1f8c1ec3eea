/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * edgepath-xdp attach, decap attach, detach and unpin: loading the
 * programs with their maps pinned under EP_XDP_PIN_DIR, attaching them
 * to an interface, and the lock that keeps two invocations apart.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/if_link.h>
#include <net/if.h>
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
#include "xdp_loader.h"

#define EP_BPF_FS_MAGIC 0xcafe4a11 /* linux/magic.h BPF_FS_MAGIC */

/* Program names the kernel reports (BPF names stop at 15 chars). */
static const char *const our_progs[] = { "xdp_steer", "xdp_decap" };

/* ------------------------------------------------------------------ */
/* bpffs and pins                                                       */

/*
 * Checks that EP_XDP_BPFFS is a bpffs. We never mount one ourselves: under
 * `ip netns exec` the command gets a private /sys, and pins made in a bpffs
 * mounted there would vanish on exit, so the next call would silently
 * start from empty maps.
 */
int bpffs_ready(void)
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
int pin_dir_lock(void)
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
struct xdp_steer *steer_load(const char *ifname)
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

int cmd_attach(int argc, char **argv, bool decap)
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

int cmd_detach(int argc, char **argv)
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

int cmd_unpin(int argc)
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
