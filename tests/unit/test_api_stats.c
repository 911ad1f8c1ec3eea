/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of slowpath/api/ (see test_api.c): /v1/stats (also against the cJSON builders it replaced), the JSON
 * string escape, /v1/flows and /metrics.
 */
#include "test_api.h"

void test_stats(void)
{
	const cJSON *svc, *be;

	fresh();
	memset(fake.stats, 0, sizeof(*fake.stats));
	fake.stats->n_lcores = 2;
	fake.stats->lcore[0].cnt[EP_CNT_RX_PKTS] = 10;
	fake.stats->lcore[1].cnt[EP_CNT_RX_PKTS] = (1ull << 60) + 1;
	fake.stats->lcore[1].drop[EP_DROP_NO_BACKEND] = 3;
	fake.stats->lcore[0].port[1].tx_bytes = 5;
	fake.stats->lcore[2].cnt[EP_CNT_RX_PKTS] = 1000; /* unused lcore */
	/* services web, web6 have stats ids 0, 1; backends 0..2 */
	fake.stats->svc[0][1].pkts = 4;
	fake.stats->svc[1][1].pkts = 5;
	fake.stats->be[1][2].active_flows = 2;
	fake.stats->be[0][2].active_flows = -1;
	fake.stats->be[0][2].out_reset = 3;
	fake.stats->be[1][2].out_reset = 4;
	get("/v1/stats");
	CHECK(R.status == 200);
	CHECK(body_has("\"rx_packets\":1152921504606846987"));
	CHECK(jnum(jget(R.json, "drops"), "no_backend") == 3);
	CHECK(jnum(R.json, "drops_total") == 3);
	CHECK(jnum(cJSON_GetArrayItem(jget(R.json, "ports"), 1), "tx_bytes") ==
	      5);
	CHECK(cJSON_GetArraySize(jget(R.json, "ports")) == 2);
	svc = cJSON_GetArrayItem(jget(R.json, "services"), 1);
	CHECK(strcmp(cJSON_GetStringValue(jget(svc, "name")), "web6") == 0);
	CHECK(jnum(svc, "packets") == 9);
	be = cJSON_GetArrayItem(jget(svc, "backends"), 0);
	CHECK(strcmp(cJSON_GetStringValue(jget(be, "id")),
		     "[2001:db8::10]:8443") == 0);
	CHECK(jnum(be, "active_flows") == 1);
	CHECK(jnum(be, "outlier_resets") == 7);
	CHECK(jnum(R.json, "config_version") == 1 &&
	      jnum(R.json, "generation") == 1);
	CHECK(cJSON_IsTrue(jget(R.json, "fastpath_alive")));
}

/*
 * Requests of one server pass share one reading of the counters (one
 * rendering); a new pass, a change of configuration or an unknown pass
 * (0) reads them again.
 */
void test_stats_one_pass(void)
{
	char *first;

	fresh();
	memset(fake.stats, 0, sizeof(*fake.stats));
	fake.stats->n_lcores = 1;
	fake.stats->lcore[0].cnt[EP_CNT_RX_PKTS] = 10;
	call_pass = 41;
	get("/v1/stats");
	CHECK(R.status == 200 &&
	      jnum(jget(R.json, "counters"), "rx_packets") == 10);
	first = strdup(R.body);
	fake.stats->lcore[0].cnt[EP_CNT_RX_PKTS] = 20;
	for (int i = 0; i < 3; i++) { /* the same pass: the same body */
		call(i == 1 ? "HEAD" : "GET", "/v1/stats", READER, NULL, NULL,
		     NULL);
		CHECK_MSG(R.status == 200 && strcmp(R.body, first) == 0,
			  "request %d of the pass: %s", i, R.body);
		CHECK(strcmp(R.ctype, "application/json") == 0);
	}
	get("/v1/stats?x=1"); /* the query changes nothing in the body */
	CHECK(strcmp(R.body, first) == 0);
	call_pass = 42; /* the next pass reads the counters again */
	get("/v1/stats");
	CHECK(jnum(jget(R.json, "counters"), "rx_packets") == 20);
	/* a change within the pass: the next request sees it */
	post("/v1/services", "{'name': 'api', 'vip': '198.51.100.2', "
			     "'port': 443, 'protocol': 'tcp', 'backends': []}");
	CHECK_MSG(R.status == 201, "%d %s", R.status, R.body);
	get("/v1/stats");
	CHECK(jnum(R.json, "config_version") == 2);
	CHECK(cJSON_GetArraySize(jget(R.json, "services")) == 3);
	/* a refused change leaves the body as it was */
	fake.apply_rc = -EIO;
	del("/v1/services/api");
	CHECK(R.status == 503);
	fake.apply_rc = 0;
	fake.stats->lcore[0].cnt[EP_CNT_RX_PKTS] = 30;
	get("/v1/stats");
	CHECK(jnum(R.json, "config_version") == 2 &&
	      jnum(jget(R.json, "counters"), "rx_packets") == 20);
	call_pass = 0; /* unknown: every request reads the counters */
	get("/v1/stats");
	CHECK(jnum(jget(R.json, "counters"), "rx_packets") == 30);
	fake.stats->lcore[0].cnt[EP_CNT_RX_PKTS] = 40;
	get("/v1/stats");
	CHECK(jnum(jget(R.json, "counters"), "rx_packets") == 40);
	free(first);
}

/* ---- /v1/stats as the cJSON builders rendered it before issue 4 ---- */

static void ref_u64(cJSON *o, const char *key, uint64_t v)
{
	char b[24];

	snprintf(b, sizeof(b), "%" PRIu64, v);
	cJSON_AddItemToObject(o, key, cJSON_CreateRaw(b));
}

static void ref_i64(cJSON *o, const char *key, int64_t v)
{
	char b[24];

	snprintf(b, sizeof(b), "%" PRId64, v);
	cJSON_AddItemToObject(o, key, cJSON_CreateRaw(b));
}

/* services[].maglev as docs/api.md describes it, from the raw slot. */
static void ref_maglev(cJSON *o, const struct ep_maglev_digest *d,
		       uint64_t fp_version)
{
	static const char *const states[] = { "none", "pending", "fresh",
					      "rebuilt" };
	uint32_t state = d->state, slots = d->slots;
	cJSON *m;
	char hex[19];

	if (d->seq & 1) /* a torn slot never settles: shown as zeros */
		state = 0, slots = 0;
	if ((d->seq & 1) || d->version != fp_version)
		state = 1;
	if (state == 0)
		return;
	m = cJSON_AddObjectToObject(o, "maglev");
	cJSON_AddStringToObject(m, "state",
				state < 4 ? states[state] : "unknown");
	ref_u64(m, "slots", slots);
	if (state == 2 || state == 3) {
		snprintf(hex, sizeof(hex), "%016llx",
			 (unsigned long long)d->digest);
		cJSON_AddStringToObject(m, "digest", hex);
	}
}

static cJSON *ref_stats(const struct ep_stats *s, const struct ep_shared *sh,
			uint64_t config_version, bool alive,
			const struct metrics_names *n)
{
	cJSON *root = cJSON_CreateObject(), *cnt, *drops, *arr, *o, *barr, *b;
	uint64_t total = 0, v;
	struct ep_port_counters pc;
	struct ep_svc_counters sc;
	struct ep_be_counters bc;

	ref_u64(root, "generation", sh->generation);
	ref_u64(root, "version", sh->version);
	ref_u64(root, "config_version", config_version);
	cJSON_AddBoolToObject(root, "attached", true);
	cJSON_AddBoolToObject(root, "fastpath_alive", alive);
	ref_u64(root, "workers", sh->n_workers);
	ref_u64(root, "punt_ring_depth", s->ring_depth_punt);
	ref_u64(root, "inject_ring_depth", s->ring_depth_inject);
	ref_u64(root, "maglev_pending", s->maglev_pending);
	ref_u64(root, "maglev_deferred", s->maglev_deferred);
	ref_u64(root, "maglev_abandoned", s->maglev_abandoned);
	ref_u64(root, "exception_tap_tx_packets", s->exc_tap_tx);
	ref_u64(root, "exception_tap_tx_drops", s->exc_tap_tx_drops);
	ref_u64(root, "exception_tap_rx_packets", s->exc_tap_rx);
	ref_u64(root, "exception_tap_rx_drops", s->exc_tap_rx_drops);
	cnt = cJSON_AddObjectToObject(root, "counters");
	drops = cJSON_AddObjectToObject(root, "drops");
	for (int i = 0; i < EP_CNT_MAX; i++)
		ref_u64(cnt, stats_counter_names[i], stats_sum_cnt(s, i));
	for (int r = 0; r < EP_DROP_MAX; r++) {
		v = stats_sum_drop(s, r);
		total += v;
		ref_u64(drops, stats_drop_names[r], v);
	}
	ref_u64(root, "drops_total", total);
	arr = cJSON_AddArrayToObject(root, "ports");
	for (uint32_t p = 0; p < sh->n_ports && p < EP_MAX_PORTS; p++) {
		stats_sum_port(s, p, &pc);
		cJSON_AddItemToArray(arr, o = cJSON_CreateObject());
		ref_u64(o, "port", p);
		ref_u64(o, "rx_packets", pc.rx_pkts);
		ref_u64(o, "rx_bytes", pc.rx_bytes);
		ref_u64(o, "tx_packets", pc.tx_pkts);
		ref_u64(o, "tx_bytes", pc.tx_bytes);
		ref_u64(o, "tx_drops", pc.tx_drops);
	}
	arr = cJSON_AddArrayToObject(root, "services");
	for (uint32_t i = 0; i < n->n_services; i++) {
		const struct metrics_service_name *sn = &n->services[i];

		stats_sum_svc(s, sn->sid, &sc);
		cJSON_AddItemToArray(arr, o = cJSON_CreateObject());
		cJSON_AddStringToObject(o, "name", sn->name);
		ref_u64(o, "packets", sc.pkts);
		ref_u64(o, "bytes", sc.bytes);
		ref_u64(o, "new_flows", sc.new_flows);
		ref_u64(o, "drops", sc.drops);
		ref_u64(o, "drops_acl", sc.drop_acl);
		ref_u64(o, "drops_rate_service_pps", sc.drop_rate_pps);
		ref_u64(o, "drops_rate_service_bps", sc.drop_rate_bps);
		ref_u64(o, "drops_rate_service_cps", sc.drop_rate_cps);
		ref_u64(o, "drops_rate_client", sc.drop_rate_client);
		ref_u64(o, "drops_rate_client_global",
			sc.drop_rate_client_global);
		ref_u64(o, "drops_syn_flood", sc.drop_syn_flood);
		ref_u64(o, "syn_cookie_sent", sc.syn_cookie_sent);
		ref_u64(o, "syn_cookie_invalid", sc.syn_cookie_invalid);
		ref_u64(o, "syn_cookie_valid", sc.syn_cookie_valid);
		ref_u64(o, "syn_proxy_established", sc.syn_proxy_established);
		ref_u64(o, "syn_proxy_backend_reset",
			sc.syn_proxy_backend_reset);
		ref_u64(o, "syn_proxy_syn_retries", sc.syn_proxy_syn_retries);
		ref_u64(o, "drops_syn_proxy_waiting", sc.drop_syn_proxy_wait);
		ref_u64(o, "flows_reset_on_down", sc.reset_on_down);
		ref_maglev(o, &s->maglev[sn->sid], sh->version);
		barr = cJSON_AddArrayToObject(o, "backends");
		for (uint32_t j = 0; j < sn->n_backends; j++) {
			const struct metrics_backend_name *bn =
				&n->backends[sn->first_backend + j];

			stats_sum_be(s, bn->sid, &bc);
			cJSON_AddItemToArray(barr, b = cJSON_CreateObject());
			cJSON_AddStringToObject(b, "id", bn->id);
			ref_u64(b, "packets", bc.pkts);
			ref_u64(b, "bytes", bc.bytes);
			ref_u64(b, "new_flows", bc.new_flows);
			ref_i64(b, "active_flows", bc.active_flows);
			ref_u64(b, "outlier_successes", bc.out_success);
			ref_u64(b, "outlier_resets", bc.out_reset);
			ref_u64(b, "outlier_syn_retransmits", bc.out_retrans);
			ref_u64(b, "outlier_timeouts", bc.out_timeout);
		}
	}
	return root;
}

static uint64_t xorshift(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/* Fill bytes with pseudo-random data (any counter value, any sign). */
static void fill_random(void *p, size_t n, uint64_t *seed)
{
	unsigned char *c = p;

	for (size_t i = 0; i < n; i++)
		c[i] = (unsigned char)xorshift(seed);
}

/* The direct writer gives the same document, byte for byte, as cJSON. */
void test_stats_same_as_cjson(void)
{
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	struct metrics_names names = { 0 };
	cJSON *ref, *got;
	char *ref_text;

	fresh();
	for (int round = 0; round < 3; round++) {
		memset(fake.stats, 0, sizeof(*fake.stats));
		fill_random(fake.stats->lcore, sizeof(fake.stats->lcore),
			    &seed);
		for (unsigned int w = 0; w < EP_MAX_WORKERS; w++) {
			fill_random(fake.stats->svc[w],
				    4 * sizeof(fake.stats->svc[w][0]), &seed);
			fill_random(fake.stats->be[w],
				    8 * sizeof(fake.stats->be[w][0]), &seed);
		}
		fake.stats->n_lcores = round == 0 ? 1 : EP_MAX_WORKERS;
		fake.stats->ring_depth_punt = (uint32_t)xorshift(&seed);
		fake.stats->ring_depth_inject = UINT32_MAX;
		fake.stats->maglev_pending = 7;
		fake.stats->maglev_deferred = UINT64_MAX;
		fake.stats->exc_tap_tx = xorshift(&seed);
		fake.stats->exc_tap_tx_drops = 3;
		fake.stats->exc_tap_rx = UINT64_MAX;
		fake.stats->exc_tap_rx_drops = round;
		/* web: a digest for the version in force (fresh, then
		 * rebuilt), then one for another version (pending). */
		fake.stats->maglev[0].seq = 2;
		fake.stats->maglev[0].state = round == 1 ? 3 : 2;
		fake.stats->maglev[0].slots = 65537;
		fake.stats->maglev[0].digest = xorshift(&seed);
		fake.stats->maglev[0].version =
			fake.shared.version + (round == 2);
		fake.shared.generation = round == 2 ? UINT64_MAX : 7;
		fake.shared.n_ports = round == 2 ? EP_MAX_PORTS + 1 : 2;
		fake.alive = round != 1;
		get("/v1/stats");
		CHECK(R.status == 200 && R.json != NULL);
		CHECK(fake.last_flat != NULL &&
		      metrics_names_build(&names, fake.last_flat,
					  fake.last_len) == 0);
		ref = ref_stats(fake.stats, &fake.shared, 1, fake.alive,
				&names);
		ref_text = cJSON_PrintUnformatted(ref);
		got = cJSON_Parse(ref_text);
		CHECK(got != NULL && cJSON_Compare(got, R.json, true));
		CHECK_MSG(ref_text && strcmp(ref_text, R.body) == 0,
			  "round %d:\n%s\n%s", round, ref_text, R.body);
		cJSON_Delete(got);
		cJSON_Delete(ref);
		free(ref_text);
		metrics_names_free(&names);
	}
	fake.alive = true;
	fake.shared.n_ports = 2;
}

/* Names are escaped the way cJSON_PrintUnformatted escapes them. */
void test_json_string_escape(void)
{
	static const char *const cases[] = {
		"",	     "web",	      "a\"b\\c",  "\b\f\n\r\t",
		"\x01\x1f ", "\x7f\xc3\xa9/", "x\x10y\"",
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct jw_buf t = { 0 };
		cJSON *s = cJSON_CreateString(cases[i]);
		char *want = cJSON_PrintUnformatted(s);

		jw_buf_string(&t, cases[i]);
		CHECK_MSG(want && t.buf && strcmp(want, t.buf) == 0, "%s != %s",
			  want, t.buf);
		free(want);
		cJSON_Delete(s);
		jw_buf_free(&t);
	}
}

/* Two flows: one of web's (backend 10.0.0.2:8080), one of a service
 * and backend no longer configured. */
static void flows_fixture(void)
{
	struct ep_flow_entry *f = &fake.flows.flows[0];

	memset(&fake.flows, 0, sizeof(fake.flows));
	fake.flows.count = 2;
	f->client.family = EP_AF_INET;
	memcpy(f->client.bytes, "\xc0\x00\x02\x07", 4);
	f->client_port = 5555;
	f->vip.family = EP_AF_INET;
	memcpy(f->vip.bytes, "\xc6\x33\x64\x01", 4);
	f->vip_port = 80;
	f->backend.family = EP_AF_INET;
	memcpy(f->backend.bytes, "\x0a\x00\x00\x02", 4);
	f->backend_port = 8080;
	f->proto = 6;
	f->state = 2;
	f->service_stats_id = 0;
	f->backend_stats_id = 1;
	f->age_ms = 12;
	fake.flows.flows[1] = *f;
	fake.flows.flows[1].service_stats_id = 999;
	fake.flows.flows[1].backend_stats_id = 999;
}

void test_flows(void)
{
	const cJSON *e;

	fresh();
	flows_fixture();
	get("/v1/flows?service=web&limit=1");
	CHECK(R.status == 200 && jnum(R.json, "count") == 1);
	CHECK(fake.last_sample_sid == 0 && fake.last_sample_limit == 1);
	e = cJSON_GetArrayItem(jget(R.json, "flows"), 0);
	CHECK(strcmp(cJSON_GetStringValue(jget(e, "service")), "web") == 0);
	CHECK(strcmp(cJSON_GetStringValue(jget(e, "backend")),
		     "10.0.0.2:8080") == 0);
	CHECK(strcmp(cJSON_GetStringValue(jget(e, "client")),
		     "192.0.2.7:5555") == 0);
	CHECK(strcmp(cJSON_GetStringValue(jget(e, "vip")), "198.51.100.1:80") ==
	      0);
	CHECK(strcmp(cJSON_GetStringValue(jget(e, "state")), "established") ==
	      0);
	CHECK(strcmp(cJSON_GetStringValue(jget(e, "protocol")), "tcp") == 0);
	get("/v1/flows");
	CHECK(R.status == 200 && jnum(R.json, "count") == 2);
	CHECK(fake.last_sample_sid == UINT32_MAX &&
	      fake.last_sample_limit == API_FLOWS_LIMIT_DEFAULT);
	e = cJSON_GetArrayItem(jget(R.json, "flows"), 1);
	CHECK(cJSON_IsNull(jget(e, "service")) &&
	      cJSON_IsNull(jget(e, "backend")));
	get("/v1/flows?limit=1024&service=w%65b6");
	CHECK(R.status == 200 && fake.last_sample_sid == 1);
}

void test_flows_query(void)
{
	fresh();
	flows_fixture();
	get("/v1/flows?limit=0");
	CHECK(is_error(400, API_ERR_VALIDATION) && field_is("query.limit"));
	get("/v1/flows?limit=1025");
	CHECK(is_error(400, API_ERR_VALIDATION) && field_is("query.limit"));
	get("/v1/flows?limit=1x");
	CHECK(is_error(400, API_ERR_VALIDATION));
	get("/v1/flows?limit=1&limit=2");
	CHECK(is_error(400, API_ERR_VALIDATION));
	get("/v1/flows?colour=red");
	CHECK(is_error(400, API_ERR_VALIDATION) && field_is("query.colour"));
	get("/v1/flows?service");
	CHECK(is_error(400, API_ERR_VALIDATION) && field_is("query"));
	get("/v1/flows?service=nope");
	CHECK(is_error(404, API_ERR_NOT_FOUND));
	fake.sample_rc = -ETIMEDOUT;
	get("/v1/flows");
	CHECK(is_error(503, API_ERR_FASTPATH));
	fake.sample_rc = 0;
}

void test_metrics_text(void)
{
	struct jw_buf t = { 0 };
	struct metrics_label l[2] = { { "a", "q\"b\\s\nx" }, { "b", "" } };
	char err[256];

	metrics_family(&t, "x_total", "counter", "help \\ with\nnewline");
	metrics_u64(&t, "x_total", l, 2, 5);
	CHECK_MSG(strcmp(t.buf,
			 "# HELP x_total help \\\\ with\\nnewline\n"
			 "# TYPE x_total counter\n"
			 "x_total{a=\"q\\\"b\\\\s\\nx\",b=\"\"} 5\n") == 0,
		  "%s", t.buf);
	CHECK(prom_check(t.buf, t.len, err, sizeof(err)) == 1);
	jw_buf_free(&t);
	/* the parser refuses what it should */
	static const char *const bad[] = {
		"x 1",
		"x{a=\"1\"} 1\ny 2\nx{a=\"2\"} 3\n",
		"x 1\nx 2\n",
		"# TYPE x counter\n# TYPE x counter\nx 1\n",
		"x 1\n# TYPE x counter\n",
		"# TYPE x counter\nx -1\n",
		"x{a=\"\\q\"} 1\n",
		"x{a=1} 1\n",
		"x{__a=\"1\"} 1\n",
		"x{a=\"1\",a=\"2\"} 1\n",
		"1x 1\n",
		"x  1\n",
		"x 0x10\n",
		"x abc\n",
		"# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"2\"} "
		"1\n"
		"h_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 2\n",
		"# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_sum 1\nh_count "
		"2\n",
		"# TYPE h histogram\nh_bucket{le=\"2\"} 1\nh_bucket{le=\"1\"} "
		"1\n"
		"h_bucket{le=\"+Inf\"} 2\n",
		"# TYPE x wibble\nx 1\n",
		"# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count "
		"3\n",
		"# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\n",
		"x{a=\"1\",} 1\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_MSG(prom_check(bad[i], strlen(bad[i]), err, sizeof(err)) <
				  0,
			  "accepted: %s", bad[i]);
	static const char good[] =
		"# HELP h x\n# TYPE h histogram\nh_bucket{le=\"0.5\"} 1\n"
		"h_bucket{le=\"+Inf\"} 2\nh_sum 1.5\nh_count 2\n"
		"# a comment\n\nx{a=\"1\"} NaN 1700000000000\n";
	CHECK_MSG(prom_check(good, strlen(good), err, sizeof(err)) == 5, "%s",
		  err);
}

/* /metrics (in R) counts `built` changes built and persisted, of which
 * `acked` the fast path took. */
static void check_apply_phases(int built, int acked)
{
	static const char *const phases[] = {
		"build",	  "persist_write",   "fastpath",
		"persist_rename", "to_fastpath_ack", "fastpath_applied"
	};
	char want[160];

	for (size_t i = 0; i < sizeof(phases) / sizeof(phases[0]); i++) {
		snprintf(want, sizeof(want),
			 "\nedgepath_api_config_apply_seconds_count{phase="
			 "\"%s\"} %d\n",
			 phases[i], i < 2 ? built : acked);
		CHECK_MSG(body_has(want), "no %s", want + 1);
	}
}

void test_metrics_endpoint(void)
{
	struct metrics_api m = { 0 };
	char err[256];
	long n;

	fresh();
	memset(fake.stats, 0, sizeof(*fake.stats));
	fake.stats->n_lcores = 1;
	fake.stats->lcore[0].drop[EP_DROP_NO_BACKEND] = 42;
	fake.stats->lcore[0].drop[EP_DROP_ACL] = 5;
	fake.stats->be[0][2].pkts = 7;
	get("/v1/config");
	get("/nothing");
	call("GET", "/metrics", READER, NULL, NULL, NULL);
	CHECK(R.status == 200);
	CHECK(strcmp(R.ctype, "text/plain; version=0.0.4; charset=utf-8") == 0);
	n = prom_check(R.body, strlen(R.body), err, sizeof(err));
	CHECK_MSG(n > 100, "metrics refused: %s", err);
	CHECK(body_has("\nedgepath_drops_total{reason=\"no_backend\"} 42\n"));
	CHECK(body_has("\nedgepath_backend_packets_total{service=\"web6\","
		       "backend=\"[2001:db8::10]:8443\"} 7\n"));
	CHECK(body_has("\nedgepath_port_rx_packets_total{port=\"1\"} 0\n"));
	CHECK(body_has(
		"\nedgepath_service_packets_total{service=\"web\"} 0\n"));
	CHECK(body_has("\nedgepath_drops_total{reason=\"acl\"} 5\n"));
	CHECK(body_has("\nedgepath_service_drops_rate_service_pps_total{"
		       "service=\"web\"} 0\n"));
	CHECK(body_has("\nedgepath_api_requests_total{route=\"/v1/config\","
		       "method=\"GET\",code=\"200\"} 1\n"));
	CHECK(body_has("\nedgepath_api_requests_total{route=\"other\","
		       "method=\"GET\",code=\"404\"} 1\n"));
	CHECK(body_has("edgepath_api_request_duration_seconds_bucket{route="
		       "\"/v1/config\",le=\"0.0025\"} 0\n"));
	CHECK(body_has("edgepath_api_request_duration_seconds_bucket{route="
		       "\"/v1/config\",le=\"0.005\"} 2\n"));
	CHECK(body_has("\nedgepath_api_config_version 1\n"));
	CHECK(body_has("\nedgepath_api_ready 1\n"));
	check_apply_phases(1, 1);
	/* refused by validation, then by the fast path: only the phases
	 * that completed count */
	put("/v1/config", "{'services': 3}");
	fake.apply_rc = -EINVAL;
	put("/v1/config", doc_base);
	fake.apply_rc = 0;
	call("GET", "/metrics", READER, NULL, NULL, NULL);
	CHECK(prom_check(R.body, strlen(R.body), err, sizeof(err)) > 100);
	check_apply_phases(2, 1);
	/* every counter family ends in _total */
	for (const char *p = strstr(R.body, "# TYPE "); p;
	     p = strstr(p + 1, "# TYPE ")) {
		const char *sp = strchr(p + 7, ' ');

		if (strncmp(sp, " counter", 8) == 0)
			CHECK_MSG(strncmp(sp - 6, "_total", 6) == 0, "%.60s",
				  p);
	}
	/* bounded series */
	for (int i = 0; i < METRICS_MAX_SERIES + 10; i++)
		metrics_api_observe(&m, "/r", "GET", 200 + i, 0.1);
	CHECK(m.n_series == METRICS_MAX_SERIES && m.dropped == 10);
	metrics_api_observe(&m, "/r", "GET", 200, NAN);
	metrics_api_observe(&m, "/r", "GET", 200, 100.0);
	CHECK(m.routes[0].count == METRICS_MAX_SERIES + 2);
}

/* This file's CHECKs, for main()'s total. */
void test_api_stats_checks(unsigned int *passed, unsigned int *failed)
{
	*passed += check_passed;
	*failed += check_failed;
}
