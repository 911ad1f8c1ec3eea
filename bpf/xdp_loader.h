/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the files of edgepath-xdp share: option parsing and messages
 * (xdp_loader.c), the pin directory and attach commands (xdp_attach.c),
 * the map commands (xdp_maps.c).
 */
#ifndef EP_XDP_LOADER_H
#define EP_XDP_LOADER_H

#include <stdbool.h>

#include <linux/types.h>

#include "ep_xdp.h"

#define EXIT_USAGE 2

struct xdp_steer; /* xdp_steer.skel.h */

/* xdp_loader.c */
void die_usage(const char *fmt, ...);
int fail(int err, const char *fmt, ...);
unsigned int parse_iface(const char *name, bool must_exist);
unsigned long parse_uint(const char *what, const char *s, unsigned long lo,
			 unsigned long hi);
__u32 parse_mode(const char *s);
void parse_vip(char **argv, struct ep_xdp_vip_key *key);

/* xdp_attach.c */
int bpffs_ready(void);
int pin_dir_lock(void);
struct xdp_steer *steer_load(const char *ifname);
int cmd_attach(int argc, char **argv, bool decap);
int cmd_detach(int argc, char **argv);
int cmd_unpin(int argc);

/* xdp_maps.c */
int cmd_vip(int argc, char **argv);
int cmd_stats(int argc);

#endif /* EP_XDP_LOADER_H */
