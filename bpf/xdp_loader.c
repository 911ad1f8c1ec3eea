/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * edgepath-xdp: attaches edgepath's XDP programs (xdp_steer for the fast
 * path's af_xdp mode, xdp_decap for backends) and edits their maps. Maps
 * are pinned under EP_XDP_PIN_DIR, so every invocation, and the DPDK
 * af_xdp PMD, sees the same VIPs, sockets and counters.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "ep_xdp.h"
#include "xdp_loader.h"

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

void die_usage(const char *fmt, ...)
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
int fail(int err, const char *fmt, ...)
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

unsigned int parse_iface(const char *name, bool must_exist)
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
unsigned long parse_uint(const char *what, const char *s, unsigned long lo,
			 unsigned long hi)
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

__u32 parse_mode(const char *s)
{
	if (!strcmp(s, "skb"))
		return XDP_FLAGS_SKB_MODE;
	if (!strcmp(s, "native"))
		return XDP_FLAGS_DRV_MODE;
	die_usage("--mode '%s': must be skb or native", s);
	return 0;
}

void parse_vip(char **argv, struct ep_xdp_vip_key *key)
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
