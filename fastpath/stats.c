/* SPDX-License-Identifier: BSD-3-Clause */
/* Stats memzone, reader sums, telemetry and printing (see stats.h). */
#include <inttypes.h>
#include <pthread.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_memzone.h>
#include <rte_telemetry.h>

#include "fp.h"
#include "stats.h"

static const struct rte_memzone *stats_mz;

struct ep_stats *stats_create(void)
{
	const struct rte_memzone *mz;
	struct ep_stats *s;

	mz = rte_memzone_reserve(EP_MZ_STATS, sizeof(struct ep_stats),
				 SOCKET_ID_ANY, 0);
	if (mz == NULL)
		return NULL;
	stats_mz = mz;
	s = mz->addr;
	memset(s, 0, sizeof(*s));
	s->magic = EP_STATS_MAGIC;
	return s;
}

void stats_destroy(void)
{
	rte_memzone_free(stats_mz);
	stats_mz = NULL;
}

/* ------------------------------------------------------------------ */
/* Telemetry. The callbacks run on DPDK's telemetry threads; the one    */
/* that reads the snapshot does so as an RCU reader under a mutex, so   */
/* the main lcore cannot free the snapshot under it.                    */

static pthread_mutex_t telemetry_lock = PTHREAD_MUTEX_INITIALIZER;

static int tel_counters(const char *cmd, const char *params,
			struct rte_tel_data *d)
{
	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	for (int c = 0; c < EP_CNT_MAX; c++)
		rte_tel_data_add_dict_u64(d, stats_counter_names[c],
					  stats_sum_cnt(fp.stats, c));
	return 0;
}

static int tel_drops(const char *cmd, const char *params,
		     struct rte_tel_data *d)
{
	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	for (int r = 0; r < EP_DROP_MAX; r++)
		rte_tel_data_add_dict_u64(d, stats_drop_names[r],
					  stats_sum_drop(fp.stats, r));
	return 0;
}

static int tel_info(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "abi_version", EP_ABI_VERSION);
	rte_tel_data_add_dict_u64(
		d, "generation",
		__atomic_load_n(&fp.shared->generation, __ATOMIC_ACQUIRE));
	rte_tel_data_add_dict_u64(
		d, "config_version",
		__atomic_load_n(&fp.shared->version, __ATOMIC_ACQUIRE));
	rte_tel_data_add_dict_u64(d, "workers", fp.n_workers);
	rte_tel_data_add_dict_u64(d, "ports", fp.n_ports);
	rte_tel_data_add_dict_u64(
		d, "slowpath_attached",
		__atomic_load_n(&fp.punt_enabled, __ATOMIC_RELAXED));
	rte_tel_data_add_dict_u64(d, "punt_ring_depth",
				  fp.stats->ring_depth_punt);
	rte_tel_data_add_dict_u64(d, "inject_ring_depth",
				  fp.stats->ring_depth_inject);
	rte_tel_data_add_dict_u64(d, "maglev_pending",
				  fp.stats->maglev_pending);
	rte_tel_data_add_dict_u64(d, "maglev_deferred",
				  fp.stats->maglev_deferred);
	rte_tel_data_add_dict_u64(d, "maglev_built", fp.stats->maglev_built);
	rte_tel_data_add_dict_u64(d, "maglev_abandoned",
				  fp.stats->maglev_abandoned);
	rte_tel_data_add_dict_u64(
		d, "exception_path",
		__atomic_load_n(&fp.exc_on, __ATOMIC_RELAXED));
	rte_tel_data_add_dict_u64(d, "exception_tap_tx_packets",
				  fp.stats->exc_tap_tx);
	rte_tel_data_add_dict_u64(d, "exception_tap_tx_drops",
				  fp.stats->exc_tap_tx_drops);
	rte_tel_data_add_dict_u64(d, "exception_tap_rx_packets",
				  fp.stats->exc_tap_rx);
	rte_tel_data_add_dict_u64(d, "exception_tap_rx_drops",
				  fp.stats->exc_tap_rx_drops);
	for (uint16_t i = 0; i < fp.n_workers; i++) {
		char key[32];

		if (fp.workers[i].handoff == NULL)
			continue;
		snprintf(key, sizeof(key), "handoff_ring_depth_%u", i);
		rte_tel_data_add_dict_u64(
			d, key, rte_ring_count(fp.workers[i].handoff));
	}
	return 0;
}

static int tel_ports(const char *cmd, const char *params,
		     struct rte_tel_data *d)
{
	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	for (uint16_t p = 0; p < fp.n_ports; p++) {
		struct rte_tel_data *pd = rte_tel_data_alloc();
		struct ep_port_counters sum;
		char key[16];

		if (pd == NULL)
			return -ENOMEM;
		stats_sum_port(fp.stats, p, &sum);
		rte_tel_data_start_dict(pd);
		for (uint32_t k = 0; k < EP_PORT_N; k++)
			rte_tel_data_add_dict_u64(
				pd, ep_port_counters[k].name,
				ep_counter_u64(&sum, &ep_port_counters[k]));
		snprintf(key, sizeof(key), "%u", p);
		if (rte_tel_data_add_dict_container(d, key, pd, 0) != 0)
			rte_tel_data_free(pd);
	}
	return 0;
}

/*
 * DPDK 22.11's telemetry takes only [A-Za-z0-9_/] in dict keys and
 * refuses the whole entry otherwise; service names may also hold '.' and
 * '-'. The key is the name with every other character made '_' (the
 * service dict keeps the real one as "name"), and, if another service's
 * name gives the same key, "_<stats id>" after it.
 */
static int tel_key_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '/';
}

static void tel_sanitise(char *out, size_t len, const char *name)
{
	size_t i;

	for (i = 0; i + 1 < len && name[i] != '\0'; i++)
		out[i] = tel_key_char(name[i]) ? name[i] : '_';
	out[i] = '\0';
}

static void tel_service_key(char *key, size_t len, const struct fp_snapshot *s,
			    const struct snap_service *sv)
{
	char other[EP_NAME_LEN + 16];

	tel_sanitise(key, len, sv->name);
	if (strncmp(key, sv->name, EP_NAME_LEN) == 0)
		return;
	for (uint32_t i = 0; i < s->n_services; i++) {
		if (&s->services[i] == sv)
			continue;
		tel_sanitise(other, sizeof(other), s->services[i].name);
		if (strcmp(other, key) == 0) {
			size_t n = strlen(key);

			snprintf(key + n, len - n, "_%u", sv->stats_id);
			return;
		}
	}
}

/* Backend `j` of a service: its brief counters as "backend<j>_<name>"
 * (a gauge as its two's complement bits, as telemetry has no i64). */
static void tel_backend(struct rte_tel_data *sd, uint32_t j, uint32_t sid)
{
	struct ep_be_counters bc;
	char key[48];

	stats_sum_be(fp.stats, sid, &bc);
	for (uint32_t k = 0; k < EP_BE_N; k++) {
		if (!ep_be_counters[k].brief)
			continue;
		snprintf(key, sizeof(key), "backend%u_%s", j,
			 ep_be_counters[k].name);
		rte_tel_data_add_dict_u64(
			sd, key, ep_counter_u64(&bc, &ep_be_counters[k]));
	}
}

static void tel_service(struct rte_tel_data *d, const struct fp_snapshot *s,
			const struct snap_service *sv)
{
	struct rte_tel_data *sd = rte_tel_data_alloc();
	struct ep_svc_counters c;
	char name[EP_NAME_LEN + 1];
	char skey[EP_NAME_LEN + 16];

	if (sd == NULL)
		return;
	stats_sum_svc(fp.stats, sv->stats_id, &c);
	memcpy(name, sv->name, EP_NAME_LEN);
	name[EP_NAME_LEN] = '\0';
	rte_tel_data_start_dict(sd);
	rte_tel_data_add_dict_string(sd, "name", name);
	/* The brief counters always; the others (policing drops, the SYN
	 * proxy's) when not 0, so that many services still fit telemetry's
	 * 16 KiB answer. */
	for (uint32_t k = 0; k < EP_SVC_N; k++) {
		uint64_t v = ep_counter_u64(&c, &ep_svc_counters[k]);

		if (ep_svc_counters[k].brief || v != 0)
			rte_tel_data_add_dict_u64(sd, ep_svc_counters[k].name,
						  v);
	}
	for (uint32_t j = 0; j < sv->n_backends; j++)
		tel_backend(sd, j, s->backends[sv->first_backend + j].stats_id);
	tel_service_key(skey, sizeof(skey), s, sv);
	/* On success the response owns sd; otherwise it is ours to free. */
	if (rte_tel_data_add_dict_container(d, skey, sd, 0) != 0)
		rte_tel_data_free(sd);
}

static int tel_services(const char *cmd, const char *params,
			struct rte_tel_data *d)
{
	struct fp_snapshot *s;

	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	pthread_mutex_lock(&telemetry_lock);
	rte_rcu_qsbr_thread_online(fp.qsbr, EP_MAX_WORKERS);
	s = __atomic_load_n(&fp.snap, __ATOMIC_ACQUIRE);
	for (uint32_t i = 0; s && i < s->n_services; i++)
		tel_service(d, s, &s->services[i]);
	rte_rcu_qsbr_thread_offline(fp.qsbr, EP_MAX_WORKERS);
	pthread_mutex_unlock(&telemetry_lock);
	return 0;
}

int stats_telemetry_register(void)
{
	int rc = 0;

	/* The telemetry threads share one RCU reader id after the workers. */
	rte_rcu_qsbr_thread_register(fp.qsbr, EP_MAX_WORKERS);
	rc |= rte_telemetry_register_cmd("/edgepath/counters", tel_counters,
					 "Worker counters summed over lcores");
	rc |= rte_telemetry_register_cmd("/edgepath/drops", tel_drops,
					 "Drops by reason");
	rc |= rte_telemetry_register_cmd("/edgepath/info", tel_info,
					 "Generation, version, workers");
	rc |= rte_telemetry_register_cmd("/edgepath/ports", tel_ports,
					 "Per-port packets and bytes");
	rc |= rte_telemetry_register_cmd(
		"/edgepath/services", tel_services,
		"Per-service and per-backend counters");
	return rc;
}

void stats_print_rates(FILE *f, const struct ep_stats *s, uint64_t tsc_hz,
		       struct stats_rate_state *prev)
{
	uint64_t now = rte_rdtsc();
	uint64_t rx = stats_sum_cnt(s, EP_CNT_RX_PKTS);
	uint64_t tx = stats_sum_cnt(s, EP_CNT_TX_PKTS);
	uint64_t drops = stats_sum_drops(s);
	uint64_t busy = stats_sum_cnt(s, EP_CNT_BUSY_CYCLES);
	uint64_t busy_pkts = stats_sum_cnt(s, EP_CNT_BUSY_PKTS);
	double secs = prev->tsc ? (double)(now - prev->tsc) / tsc_hz : 0;

	if (secs > 0)
		fprintf(f,
			"rx %" PRIu64 " (%.0f pps)  tx %" PRIu64
			" (%.0f pps)  drops %" PRIu64 " (+%" PRIu64
			")  flows %" PRIu64 "  cycles/pkt %.0f\n",
			rx, (rx - prev->rx) / secs, tx, (tx - prev->tx) / secs,
			drops, drops - prev->drops,
			stats_sum_cnt(s, EP_CNT_CT_INSERTS),
			busy_pkts ? (double)busy / busy_pkts : 0.0);
	fflush(f);
	prev->tsc = now;
	prev->rx = rx;
	prev->tx = tx;
	prev->drops = drops;
}

void stats_print_final(FILE *f, const struct ep_stats *s)
{
	fprintf(f, "final counters:\n");
	for (int c = 0; c < EP_CNT_MAX; c++) {
		uint64_t v = stats_sum_cnt(s, c);

		if (v)
			fprintf(f, "  %-24s %" PRIu64 "\n",
				stats_counter_names[c], v);
	}
	for (int r = 0; r < EP_DROP_MAX; r++) {
		uint64_t v = stats_sum_drop(s, r);

		if (v)
			fprintf(f, "  drop_%-19s %" PRIu64 "\n",
				stats_drop_names[r], v);
	}
}
