/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * edgepath-fastpath: the DPDK primary process. Sets up ports, workers and
 * shared memory, then runs the control loop on the main lcore (which never
 * forwards) until SIGINT/SIGTERM: drain, print final counters, free.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "ctrl.h"
#include "ep_bell.h"
#include "flowhash.h"
#include "fp.h"
#include "port.h"
#include "stats.h"

static void usage(const char *prog)
{
	printf("usage: %s [EAL options] -- [options]\n"
	       "  --ct-entries N      connection-table entries per worker "
	       "(default 262144, 1024..67108864)\n"
	       "  --client-entries N  per-client limit entries per worker "
	       "(default 65536, 1024..67108864; 52 bytes each)\n"
	       "  --mbufs N           packet buffers (default 32767)\n"
	       "  --idle-sleep-us N   sleep N us when polls come back empty "
	       "(default 0: busy poll; 1..100000)\n"
	       "  --stats-interval S  print rates every S seconds (0 = off)\n"
	       "  --hash-seed N       fixed flow-hash seed (default random; "
	       "give every node the same seed to share Maglev picks)\n"
	       "  --rx-desc N, --tx-desc N  descriptors per queue "
	       "(default 1024)\n"
	       "  --exception-tap NAME  create kernel interface NAME (net_tap, "
	       "the data port's MAC and MTU): packets for the node that the "
	       "fast path does not handle go there, what the kernel sends "
	       "there goes out of the data port (default: none; punted "
	       "packets go to the slow path)\n"
	       "  --exception-port N  the data port the tap stands for "
	       "(default 0)\n"
	       "  --exception-pps N   packets/s to the tap, ARP/ND apart "
	       "(default %u; 0 = no limit)\n"
	       "  --exception-source-pps N  packets/s to the tap per source "
	       "address (default %u; 0 = no limit)\n"
	       "  --exception-neigh-pps N  ARP/ND packets/s to the tap, a "
	       "budget of their own (default %u; 0 = no limit)\n",
	       prog, EXC_DEFAULT_PPS, EXC_DEFAULT_SOURCE_PPS,
	       EXC_DEFAULT_NEIGH_PPS);
}

/* Parse a whole decimal number within [min, max]; -1 with a message. */
static int parse_u32(const char *opt, const char *s, uint64_t min, uint64_t max,
		     uint32_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *end != '\0' || s[0] == '-' || v < min ||
	    v > max) {
		fprintf(stderr, "--%s: '%s' is not a number in %llu..%llu\n",
			opt, s, (unsigned long long)min,
			(unsigned long long)max);
		return -1;
	}
	*out = (uint32_t)v;
	return 0;
}

/* An interface name the kernel takes: 1..15 of [A-Za-z0-9_.-]. */
static int parse_ifname(const char *s, char out[EXC_NAME_MAX + 1])
{
	size_t n = strlen(s);

	if (n == 0 || n > EXC_NAME_MAX ||
	    strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		      "0123456789_.-") != n ||
	    strcmp(s, ".") == 0 || strcmp(s, "..") == 0) {
		fprintf(stderr,
			"--exception-tap: '%s' is not an interface name "
			"(1..%u of A-Z a-z 0-9 _ . -)\n",
			s, EXC_NAME_MAX);
		return -1;
	}
	memcpy(out, s, n + 1);
	return 0;
}

static int parse_exc_option(int c, const char *name, struct exc_params *e)
{
	uint32_t v;

	switch (c) {
	case 'T':
		return parse_ifname(optarg, e->tap_name);
	case 'P':
		if (parse_u32(name, optarg, 0, EP_MAX_PORTS - 1, &v))
			return -1;
		e->port = (uint16_t)v;
		return 0;
	case 'X':
		return parse_u32(name, optarg, 0, 100000000, &e->pps);
	case 'Y':
		return parse_u32(name, optarg, 0, 100000000, &e->source_pps);
	case 'N':
		return parse_u32(name, optarg, 0, 100000000, &e->neigh_pps);
	default:
		return -1;
	}
}

static int parse_option(int c, const char *name, struct fp_options *o)
{
	uint32_t v;

	switch (c) {
	case 'c':
		return parse_u32(name, optarg, 1024, 1u << 26, &o->ct_entries);
	case 'C':
		return parse_u32(name, optarg, 1024, CL_MAX_ENTRIES,
				 &o->client_entries);
	case 'm':
		return parse_u32(name, optarg, 1023, 1u << 24, &o->mbufs);
	case 'i':
		return parse_u32(name, optarg, 0, 100000, &o->idle_sleep_us);
	case 's':
		return parse_u32(name, optarg, 0, 3600, &o->stats_interval_s);
	case 'S':
		o->seed_given = 1;
		return parse_u32(name, optarg, 0, UINT32_MAX, &o->hash_seed);
	case 'r':
	case 't':
		if (parse_u32(name, optarg, 64, 16384, &v))
			return -1;
		*(c == 'r' ? &o->rx_desc : &o->tx_desc) = (uint16_t)v;
		return 0;
	default:
		return parse_exc_option(c, name, &o->exc);
	}
}

static int parse_args(int argc, char **argv, struct fp_options *o)
{
	static const struct option longopts[] = {
		{ "ct-entries", required_argument, NULL, 'c' },
		{ "client-entries", required_argument, NULL, 'C' },
		{ "mbufs", required_argument, NULL, 'm' },
		{ "idle-sleep-us", required_argument, NULL, 'i' },
		{ "stats-interval", required_argument, NULL, 's' },
		{ "hash-seed", required_argument, NULL, 'S' },
		{ "rx-desc", required_argument, NULL, 'r' },
		{ "tx-desc", required_argument, NULL, 't' },
		{ "exception-tap", required_argument, NULL, 'T' },
		{ "exception-port", required_argument, NULL, 'P' },
		{ "exception-pps", required_argument, NULL, 'X' },
		{ "exception-source-pps", required_argument, NULL, 'Y' },
		{ "exception-neigh-pps", required_argument, NULL, 'N' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, idx;

	fp_default_options(o);
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, &idx)) != -1) {
		if (c == 'h') {
			usage(argv[0]);
			exit(0);
		}
		if (c == '?' || parse_option(c, longopts[idx].name, o)) {
			usage(argv[0]);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	return 0;
}

static void on_signal(int sig)
{
	(void)sig;
	__atomic_store_n(&fp.stop, 1, __ATOMIC_RELAXED);
}

/*
 * The main lcore shares a CPU with a worker in small set-ups, so it
 * sleeps: CTRL_IDLE_SLEEP_US a loop while nothing happens, CTRL_BUSY_SLEEP_US
 * for CTRL_BUSY_HOLD_MS after a control request (the slow path sends them
 * in bursts: attach, configuration, samples). A request waits at most
 * one idle sleep before it is handled.
 */
#define CTRL_IDLE_SLEEP_US 5000u
#define CTRL_BUSY_SLEEP_US 1000u
#define CTRL_BUSY_HOLD_MS 100u
/*
 * While deferred Maglev tables wait: build for CTRL_BUILD_SLICE_US, look
 * at the control ring, sleep CTRL_BUILD_SLEEP_US (a worker sharing this
 * CPU gets it back), and again. A request then waits one slice (plus at
 * most one table's build) instead of the whole backlog.
 */
#define CTRL_BUILD_SLICE_US 5000u
#define CTRL_BUILD_SLEEP_US 100u

/* Sleep `us`, or less: the slow path's doorbell ends it (ep_bell.h). */
static void ctrl_doze(uint32_t us)
{
	uint32_t seen = ep_bell_seen(&fp.shared->ctrl_bell);

	if (rte_ring_count(fp.ctrl_ring) > 0)
		return;
	if (ep_bell_wait(&fp.shared->ctrl_bell, seen, us) != 0)
		rte_delay_us_sleep(us);
}

static void control_loop(uint32_t stats_interval_s)
{
	struct stats_rate_state rates = { 0 };
	uint64_t next_print = rte_rdtsc(), busy_until = 0;

	while (!__atomic_load_n(&fp.stop, __ATOMIC_RELAXED)) {
		unsigned int handled = ctrl_poll();
		uint32_t pending = ctrl_build_pending(CTRL_BUILD_SLICE_US);
		uint64_t now;

		ctrl_watch_slowpath();
		now = rte_rdtsc();
		if (handled)
			busy_until = now + fp.tsc_hz / 1000 * CTRL_BUSY_HOLD_MS;
		if (stats_interval_s && now >= next_print) {
			stats_print_rates(stdout, fp.stats, fp.tsc_hz, &rates);
			next_print = rte_rdtsc() + stats_interval_s * fp.tsc_hz;
		}
		if (pending > 0)
			rte_delay_us_sleep(CTRL_BUILD_SLEEP_US);
		else
			ctrl_doze(now < busy_until ? CTRL_BUSY_SLEEP_US
						   : CTRL_IDLE_SLEEP_US);
	}
}

int main(int argc, char **argv)
{
	struct fp_options opts;
	int n, rc;

	n = rte_eal_init(argc, argv);
	if (n < 0) {
		int why = rte_errno;

		fprintf(stderr, "EAL init failed: %s\n", rte_strerror(why));
		if (why == ENOMEM)
			fprintf(stderr,
				"edgepath-fastpath: not enough hugepage "
				"memory: reserve more hugepages "
				"(scripts/setup.sh --hugepages N, or echo N > "
				"/sys/kernel/mm/hugepages/hugepages-2048kB/"
				"nr_hugepages), ask for less "
				"(-m/--socket-mem), "
				"or stop what holds them (grep HugePages "
				"/proc/meminfo)\n");
		return 1;
	}
	argv[n] = argv[0];
	if (parse_args(argc - n, argv + n, &opts)) {
		rte_eal_cleanup();
		return 2;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	rc = fp_setup(&opts);
	if (rc == 0) {
		printf("edgepath-fastpath: %u worker(s), %u port(s), "
		       "waiting for configuration\n",
		       fp.n_workers, fp.n_ports);
		fflush(stdout);
		fp_launch_workers();
		fp_mark_ready();
		control_loop(opts.stats_interval_s);
	}
	fp_teardown();
	rte_eal_cleanup();
	return rc ? 1 : 0;
}
