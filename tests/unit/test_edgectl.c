/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for edgectl's pure layers, without a server:
 * slowpath/edgectl_args.c (every argument checked, with the message the
 * user sees) and slowpath/edgectl_fmt.c (tables from the API's JSON, the
 * error shape, SI numbers, rates from two /v1/stats samples) and
 * slowpath/edgectl_policing.c (PATCH bodies of a service's limits and
 * access list, the tables of the limits in force).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "check.h"
#include "edgectl_args.h"
#include "edgectl_fmt.h"
#include "edgectl_policing.h"

#define MAX_ARGV 16

/* ------------------------------------------------------------------ */
/* Helpers                                                              */

/* Parse a command line given as one string of space-separated words. */
static int parse(struct ectl_args *a, char *err, const char *line)
{
	static char buf[512];
	char *argv[MAX_ARGV] = { "edgectl" }, *save = NULL, *w;
	int argc = 1;

	snprintf(buf, sizeof(buf), "%s", line);
	for (w = strtok_r(buf, " ", &save); w && argc < MAX_ARGV;
	     w = strtok_r(NULL, " ", &save))
		argv[argc++] = w;
	err[0] = 0;
	return ectl_args_parse(argc, argv, a, err, ECTL_ERR_LEN);
}

/* The line is refused with a message that contains `want`. */
static void refused(const char *line, const char *want)
{
	struct ectl_args a;
	char err[ECTL_ERR_LEN];
	int rc = parse(&a, err, line);

	CHECK_MSG(rc == -1 && strstr(err, want) != NULL,
		  "'%s': rc %d, message \"%s\", wanted \"%s\"", line, rc, err,
		  want);
}

/* Text written by fn to a memory stream; the caller frees it. */
struct capture {
	FILE *f;
	char *text;
	size_t len;
};

static FILE *capture_start(struct capture *c)
{
	memset(c, 0, sizeof(*c));
	c->f = open_memstream(&c->text, &c->len);
	return c->f;
}

static char *capture_end(struct capture *c)
{
	fclose(c->f);
	return c->text;
}

static void check_text(const char *got, const char *want, const char *what)
{
	CHECK_MSG(got && strcmp(got, want) == 0,
		  "%s:\n--- got\n%s--- wanted\n%s---", what, got ? got : "",
		  want);
}

/* ------------------------------------------------------------------ */
/* Arguments                                                            */

static void test_args_commands(void)
{
	struct ectl_args a;
	char err[ECTL_ERR_LEN];

	CHECK(parse(&a, err, "services") == 0 && a.cmd == ECTL_CMD_SERVICES);
	CHECK(strcmp(a.socket_path, "/run/edgepath/api.sock") == 0);
	CHECK(a.url == NULL && !a.json && a.timeout_ms == 10000);
	CHECK(parse(&a, err, "--socket /tmp/s.sock services --json") == 0 &&
	      strcmp(a.socket_path, "/tmp/s.sock") == 0 && a.json);
	CHECK(parse(&a, err, "--socket=/tmp/t.sock stats --all") == 0 &&
	      a.cmd == ECTL_CMD_STATS && a.all &&
	      strcmp(a.socket_path, "/tmp/t.sock") == 0);
	CHECK(parse(&a, err, "config show") == 0 &&
	      a.cmd == ECTL_CMD_CONFIG_SHOW);
	CHECK(parse(&a, err, "config apply f.json") == 0 &&
	      a.cmd == ECTL_CMD_CONFIG_APPLY && strcmp(a.file, "f.json") == 0 &&
	      !a.force && !a.has_if_version);
	CHECK(parse(&a, err, "config apply f.json --force") == 0 && a.force);
	CHECK(parse(&a, err, "config apply f.json --if-version 7") == 0 &&
	      a.has_if_version && a.if_version == 7);
	CHECK(parse(&a, err, "backends web") == 0 &&
	      a.cmd == ECTL_CMD_BACKENDS && strcmp(a.service, "web") == 0);
	CHECK(parse(&a, err, "flows") == 0 && a.limit == 100 &&
	      a.service == NULL);
	CHECK(parse(&a, err, "flows --service api.nat --limit 1024") == 0 &&
	      a.limit == 1024 && strcmp(a.service, "api.nat") == 0);
	CHECK(parse(&a, err, "top") == 0 && a.cmd == ECTL_CMD_TOP &&
	      a.interval_ms == 2000 && a.count == 0);
	CHECK(parse(&a, err, "top --interval 0.5 --count 3") == 0 &&
	      a.interval_ms == 500 && a.count == 3);
	CHECK(parse(&a, err, "--help") == 0 && a.cmd == ECTL_CMD_HELP);
	CHECK(parse(&a, err, "backend add -h") == 0 && a.cmd == ECTL_CMD_HELP);
	CHECK(parse(&a, err, "help") == 0 && a.cmd == ECTL_CMD_HELP);
	CHECK(parse(&a, err, "version") == 0 && a.cmd == ECTL_CMD_VERSION);
	CHECK(parse(&a, err,
		    "--url https://lb:8443/ --cert c.pem --key k.pem "
		    "--cacert ca.pem --timeout 2.5 services") == 0 &&
	      a.url_len == strlen("https://lb:8443") &&
	      strcmp(a.cert, "c.pem") == 0 && strcmp(a.key, "k.pem") == 0 &&
	      strcmp(a.cacert, "ca.pem") == 0 && a.timeout_ms == 2500);
	CHECK(parse(&a, err, "--url http://127.0.0.1:8080 stats") == 0);
	CHECK(strstr(ectl_usage(), "backend add SERVICE") != NULL);
}

static void test_args_backends(void)
{
	struct ectl_args a;
	char err[ECTL_ERR_LEN], id[ECTL_ID_LEN];

	CHECK(parse(&a, err, "backend add web 10.0.0.3:8080 --weight 2") == 0);
	CHECK(a.cmd == ECTL_CMD_BACKEND_ADD && strcmp(a.service, "web") == 0 &&
	      strcmp(a.backend.addr, "10.0.0.3") == 0 && !a.backend.ipv6 &&
	      a.backend.has_port && a.backend.port == 8080 && a.has_weight &&
	      a.weight == 2);
	CHECK(parse(&a, err, "backend add web 10.0.0.3") == 0 &&
	      !a.backend.has_port && a.backend.port == 0 && !a.has_weight);
	CHECK(parse(&a, err, "backend add web 2001:db8::1") == 0 &&
	      a.backend.ipv6 && !a.backend.has_port);
	CHECK(parse(&a, err, "backend add web [2001:db8::1]:443") == 0 &&
	      a.backend.ipv6 && a.backend.port == 443);
	CHECK(parse(&a, err, "backend remove web [2001:0db8::0001]:0") == 0 &&
	      strcmp(a.backend.addr, "2001:db8::1") == 0 &&
	      a.backend.has_port && a.backend.port == 0);
	CHECK(ectl_backend_id(&a.backend, false, id, sizeof(id)) > 0 &&
	      strcmp(id, "[2001:db8::1]:0") == 0);
	CHECK(ectl_backend_id(&a.backend, true, id, sizeof(id)) > 0 &&
	      strcmp(id, "%5B2001:db8::1%5D:0") == 0);
	CHECK(ectl_backend_id(&a.backend, true, id, 8) == -1);
	CHECK(parse(&a, err, "backend drain web 10.0.0.1:80") == 0 &&
	      a.cmd == ECTL_CMD_BACKEND_DRAIN);
	CHECK(ectl_backend_id(&a.backend, true, id, sizeof(id)) > 0 &&
	      strcmp(id, "10.0.0.1:80") == 0);
	CHECK(parse(&a, err, "backend up web 10.0.0.1:80") == 0 &&
	      a.cmd == ECTL_CMD_BACKEND_UP);
	CHECK(parse(&a, err, "backend down web 10.0.0.1:80") == 0 &&
	      a.cmd == ECTL_CMD_BACKEND_DOWN);
	CHECK(parse(&a, err, "backend weight web 10.0.0.1:80 65535") == 0 &&
	      a.cmd == ECTL_CMD_BACKEND_WEIGHT && a.weight == 65535);
	CHECK(parse(&a, err, "backend weight web 10.0.0.1:80 0") == 0 &&
	      a.has_weight && a.weight == 0);
}

static void test_args_refused(void)
{
	refused("", "no command given");
	refused("frobnicate", "unknown command 'frobnicate'");
	refused("backend", "'edgectl backend' needs one of: add, remove");
	refused("backend web", "edgectl backends SERVICE");
	refused("config edit", "unknown command 'edgectl config edit'");
	refused("--frob services", "unknown option '--frob'");
	refused("-x services", "unknown option '-x'");
	refused("services --json=1", "--json takes no value");
	refused("services --json --json", "--json given twice");
	refused("flows --limit", "--limit needs a value");
	refused("services extra",
		"too many arguments; usage: edgectl services");
	refused("backends",
		"missing arguments; usage: edgectl backends SERVICE");
	refused("backend add web", "usage: edgectl backend add SERVICE");
	refused("backend remove web 10.0.0.1:80 --weight 3",
		"--weight is not an option of 'edgectl backend remove'");
	refused("services --all", "--all is not an option of");
	refused("top --json", "'edgectl top' has no --json");
	/* addresses, ports, weights, names */
	refused("backend add web 10.0.0.256:80",
		"'10.0.0.256' is not an IPv4 or IPv6 address");
	refused("backend add web 010.0.0.1", "is not an IPv4 or IPv6 address");
	refused("backend add web 10.0.0.1:70000",
		"port '70000' must be 0..65535");
	refused("backend add web 10.0.0.1:", "port '' must be 0..65535");
	refused("backend add web 10.0.0.1:+80", "port '+80'");
	refused("backend add web [10.0.0.1]:80", "not an IPv6 address");
	refused("backend add web [2001:db8::1]80", "[ADDRESS]:PORT");
	refused("backend add web 2001:db8::g", "not an IPv6 address");
	refused("backend add web fe80::1%eth0", "not an IPv6 address");
	refused("backend remove web 10.0.0.1", "give ADDRESS:PORT");
	refused("backend drain web 2001:db8::1", "give ADDRESS:PORT");
	refused("backend add web 10.0.0.1:80 --weight 65536",
		"weight '65536': an integer 0..65535");
	refused("backend weight web 10.0.0.1:80 -1", "weight '-1'");
	refused("backend weight web 10.0.0.1:80 1.5", "weight '1.5'");
	refused("backends we/b", "service name 'we/b'");
	refused("backends abcdefghijabcdefghijabcdefghij12",
		"1..31 characters");
	refused("flows --service a?b", "service name 'a?b'");
	/* numbers */
	refused("flows --limit 0", "--limit '0': an integer 1..1024");
	refused("flows --limit 1025", "--limit '1025'");
	refused("flows --limit 10x", "--limit '10x'");
	refused("top --interval 0", "--interval '0': seconds between 0.1");
	refused("top --interval 0.05", "--interval '0.05'");
	refused("top --interval 1e3", "--interval '1e3'");
	refused("top --interval nan", "--interval 'nan'");
	refused("top --count 0", "--count '0'");
	refused("config apply f --force --if-version 3", "exclude each other");
	refused("config apply f --if-version 0", "--if-version '0'");
	/* transport */
	refused("--socket /s --url https://h:1 services", "exclude each other");
	refused("--cert c.pem services", "need --url");
	refused("--url https://h:1 --key k.pem services", "--key needs --cert");
	refused("--url ftp://h services", "give https://HOST:PORT");
	refused("--url https:// services", "give https://HOST:PORT");
	refused("--url https://h:1/?x=1 services", "without a query");
	refused("--timeout 0 services", "--timeout '0'");
	refused("--socket "
		"/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa "
		"services",
		"a path of 1..107 bytes");
}

static void test_numbers(void)
{
	uint64_t v = 0;
	uint32_t ms = 0;

	CHECK(ectl_parse_uint("0", 0, 10, &v) == 0 && v == 0);
	CHECK(ectl_parse_uint("65535", 0, 65535, &v) == 0 && v == 65535);
	CHECK(ectl_parse_uint("65536", 0, 65535, &v) == -1);
	CHECK(ectl_parse_uint("", 0, 10, &v) == -1);
	CHECK(ectl_parse_uint(" 1", 0, 10, &v) == -1);
	CHECK(ectl_parse_uint("+1", 0, 10, &v) == -1);
	CHECK(ectl_parse_uint("-1", 0, 10, &v) == -1);
	CHECK(ectl_parse_uint("99999999999999999999999", 0, UINT64_MAX, &v) ==
	      -1);
	CHECK(ectl_parse_seconds("1", 100, 3600000, &ms) == 0 && ms == 1000);
	CHECK(ectl_parse_seconds("0.1", 100, 3600000, &ms) == 0 && ms == 100);
	CHECK(ectl_parse_seconds("3600", 100, 3600000, &ms) == 0);
	CHECK(ectl_parse_seconds("3600.1", 100, 3600000, &ms) == -1);
	CHECK(ectl_parse_seconds(".", 100, 3600000, &ms) == -1);
	CHECK(ectl_parse_seconds("1.2.3", 100, 3600000, &ms) == -1);
	CHECK(ectl_parse_seconds("-1", 100, 3600000, &ms) == -1);
	CHECK(ectl_valid_name("web") && ectl_valid_name("api.nat-2_x"));
	CHECK(!ectl_valid_name("") && !ectl_valid_name("a b"));
}

/* ------------------------------------------------------------------ */
/* Tables                                                               */

static const char services_json[] =
	"{\"services\": ["
	"{\"name\": \"web\", \"vip\": \"198.51.100.1\", \"port\": 80,"
	" \"protocol\": \"tcp\", \"forwarding\": \"nat\","
	" \"scheduler\": \"maglev\", \"backends\": ["
	"  {\"address\": \"10.0.0.1\", \"port\": 8080, \"weight\": 1,"
	"   \"state\": \"up\"},"
	"  {\"address\": \"10.0.0.2\", \"port\": 8080, \"weight\": 3,"
	"   \"state\": \"drain\"}]},"
	"{\"name\": \"dns\", \"vip\": \"198.51.100.3\", \"port\": 0,"
	" \"protocol\": \"udp\", \"forwarding\": \"encap\", \"encap\": \"gue\","
	" \"scheduler\": \"rr\", \"backends\": []},"
	"{\"name\": \"web6\", \"vip\": \"2001:db8:100::1\", \"port\": 443,"
	" \"protocol\": \"tcp\", \"forwarding\": \"dsr\","
	" \"scheduler\": \"lc\", \"backends\": ["
	"  {\"address\": \"2001:db8:1::1\", \"port\": 0, \"weight\": 1,"
	"   \"state\": \"up\"}]}]}";

static const char stats_json[] =
	"{\"generation\": 12, \"version\": 12, \"config_version\": 12,"
	" \"attached\": true, \"fastpath_alive\": true, \"workers\": 2,"
	" \"punt_ring_depth\": 0, \"inject_ring_depth\": 1,"
	" \"counters\": {\"rx_packets\": 1234, \"rx_bytes\": 80000,"
	"  \"tx_packets\": 1200, \"tx_bytes\": 78000,"
	"  \"forwarded_packets\": 1190, \"punted_packets\": 4,"
	"  \"ct_hits\": 1100, \"ct_misses\": 90, \"ct_inserts\": 90,"
	"  \"ct_evictions\": 0, \"ct_expired\": 3, \"idle_polls\": "
	"9007199254740992},"
	" \"drops\": {\"eth_truncated\": 0, \"no_backend\": 3,"
	"  \"not_for_us\": 31},"
	" \"drops_total\": 34,"
	" \"ports\": [{\"port\": 0, \"rx_packets\": 1234, \"rx_bytes\": 80000,"
	"  \"tx_packets\": 1200, \"tx_bytes\": 78000, \"tx_drops\": 0}],"
	" \"services\": [{\"name\": \"web\", \"packets\": 10, \"bytes\": 900,"
	"  \"new_flows\": 2, \"drops\": 0, \"backends\": ["
	"   {\"id\": \"10.0.0.1:8080\", \"packets\": 5, \"bytes\": 450,"
	"    \"new_flows\": 1, \"active_flows\": 1}]}]}";

static void test_fmt_services(void)
{
	cJSON *doc = cJSON_Parse(services_json), *empty;
	struct capture c;
	char *text;

	CHECK(ectl_fmt_services(capture_start(&c), doc) == 0);
	text = capture_end(&c);
	check_text(
		text,
		"NAME  VIP                        MODE       SCHEDULER  "
		"BACKENDS\n"
		"web   198.51.100.1:80/tcp        nat        maglev     1/2\n"
		"dns   198.51.100.3:*/udp         encap/gue  rr         0/0\n"
		"web6  [2001:db8:100::1]:443/tcp  dsr        lc         1/1\n",
		"services table");
	free(text);
	empty = cJSON_Parse("{\"nothing\": 1}");
	CHECK(ectl_fmt_services(capture_start(&c), empty) == -EPROTO);
	free(capture_end(&c));
	cJSON_Delete(empty);
	cJSON_Delete(doc);
}

/* Services with limits or access lists get a second table. */
static void test_fmt_services_policing(void)
{
	cJSON *doc = cJSON_Parse(
		"{\"services\": [{\"name\": \"web\", \"vip\": \"10.1.0.1\","
		" \"port\": 80, \"protocol\": \"tcp\", \"forwarding\": \"dsr\","
		" \"scheduler\": \"maglev\", \"limits\": {"
		"\"packets_per_second\": {\"rate\": 1000, \"burst\": 50,"
		" \"mode\": \"token_bucket\"}, \"connections_per_second\":"
		" {\"rate\": 10, \"burst\": 0, \"mode\": \"leaky_bucket\"},"
		" \"per_client\": {\"connections_per_second\": {\"rate\": 5,"
		" \"burst\": 1, \"mode\": \"token_bucket\"},"
		" \"ipv6_prefix\": 64}},"
		" \"acl\": {\"allow\": [\"10.0.0.0/8\"], \"deny\": []},"
		" \"backends\": []},"
		" {\"name\": \"free\", \"vip\": \"10.1.0.2\", \"port\": 80,"
		" \"protocol\": \"tcp\", \"forwarding\": \"dsr\","
		" \"scheduler\": \"rr\", \"backends\": []}]}");
	cJSON *st = cJSON_Parse(
		"{\"counters\": {}, \"services\": [{\"name\": \"web\","
		" \"packets\": 1, \"drops_acl\": 7, \"drops_rate_service_pps\":"
		" 0, \"drops_rate_service_bps\": 0, \"drops_rate_service_cps\":"
		" 2}, {\"name\": \"free\", \"drops_acl\": 0}]}");
	struct capture c;
	char *text;

	CHECK(ectl_fmt_services(capture_start(&c), doc) == 0);
	text = capture_end(&c);
	CHECK_MSG(text && strstr(text, "\nLimits and access lists:\n"
				       "NAME  PACKETS                BYTES  "
				       "CONNECTIONS         CLIENT PKTS  "
				       "CLIENT CONNS       ACL\n"
				       "web   1000/s burst 50 token  -      "
				       "10/s burst 0 leaky  -            "
				       "5/s burst 1 token  1 allow, 0 deny\n"),
		  "%s", text);
	CHECK(text && strstr(text, "free  -") == NULL);
	free(text);
	CHECK(ectl_fmt_stats(capture_start(&c), st, false) == 0);
	text = capture_end(&c);
	/* Every per-service counter is a column (the counter table). */
	CHECK_MSG(
		text && strstr(text,
			       "SERVICE  PACKETS  BYTES  NEW FLOWS  DROPS  "
			       "DROPS ACL  DROPS RATE SERVICE PPS  DROPS RATE "
			       "SERVICE BPS  DROPS RATE SERVICE CPS  DROPS "
			       "RATE CLIENT  DROPS RATE CLIENT GLOBAL  DROPS "
			       "SYN FLOOD\n"
			       "web            1      -          -      -     "
			       "     7                       0               "
			       "        0                       2            "
			       "      -                         -            "
			       "    -\n"),
		"%s", text);
	free(text);
	cJSON_Delete(st);
	cJSON_Delete(doc);
}

static void test_fmt_backends(void)
{
	cJSON *svc = cJSON_Parse(services_json),
	      *stats = cJSON_Parse(stats_json);
	cJSON *web =
		cJSON_GetArrayItem(cJSON_GetObjectItem(svc, "services"), 0);
	cJSON *web6 =
		cJSON_GetArrayItem(cJSON_GetObjectItem(svc, "services"), 2);
	struct capture c;
	char *text;

	CHECK(ectl_fmt_backends(capture_start(&c), web, stats, "web") == 0);
	text = capture_end(&c);
	check_text(text,
		   "BACKEND        WEIGHT  STATE  PACKETS  ACTIVE FLOWS\n"
		   "10.0.0.1:8080       1  up           5             1\n"
		   "10.0.0.2:8080       3  drain        -             -\n",
		   "backends table");
	free(text);
	CHECK(ectl_fmt_backends(capture_start(&c), web6, NULL, "web6") == 0);
	text = capture_end(&c);
	check_text(text,
		   "BACKEND            WEIGHT  STATE  PACKETS  ACTIVE FLOWS\n"
		   "[2001:db8:1::1]:0       1  up           -             -\n",
		   "IPv6 backends without stats");
	free(text);
	/* with an active check: HEALTH and LAST CHECK, and the service */
	cJSON_AddItemToObject(
		web, "health",
		cJSON_Parse("{\"check\":\"tcp\",\"state\":\"ok\","
			    "\"healthy\":1,\"eligible\":1,\"backends\":["
			    "{\"id\":\"10.0.0.1:8080\",\"state\":\"up\","
			    "\"reason\":\"\",\"last_result\":\"ok\","
			    "\"last_latency_ms\":0.21},"
			    "{\"id\":\"10.0.0.2:8080\",\"state\":\"down\","
			    "\"reason\":\"refused\",\"last_result\":"
			    "\"refused\",\"last_latency_ms\":0.1}]}"));
	CHECK(ectl_fmt_backends(capture_start(&c), web, stats, "web") == 0);
	text = capture_end(&c);
	check_text(
		text,
		"BACKEND        WEIGHT  STATE  HEALTH        LAST CHECK       "
		"PACKETS  ACTIVE FLOWS\n"
		"10.0.0.1:8080       1  up     up            ok 0.21 ms       "
		"      5             1\n"
		"10.0.0.2:8080       3  drain  down refused  refused 0.10 ms  "
		"      -             -\n"
		"health: tcp check, service ok, 1 of 1 healthy\n",
		"backends table with health");
	free(text);
	/* priority tiers: TIER and SHARE, and the tiers' line */
	cJSON_AddNumberToObject(
		cJSON_GetArrayItem(cJSON_GetObjectItem(web, "backends"), 1),
		"priority", 1);
	cJSON_ReplaceItemInObject(
		web, "health",
		cJSON_Parse(
			"{\"check\":\"none\",\"tiers\":["
			"{\"priority\":0,\"eligible\":1,\"healthy\":1,"
			"\"load_percent\":70,\"panic\":false},"
			"{\"priority\":1,\"eligible\":1,\"healthy\":1,"
			"\"load_percent\":30,\"panic\":true}],"
			"\"backends\":["
			"{\"id\":\"10.0.0.1:8080\",\"share_percent\":70},"
			"{\"id\":\"10.0.0.2:8080\",\"share_percent\":30}]}"));
	CHECK(ectl_fmt_backends(capture_start(&c), web, stats, "web") == 0);
	text = capture_end(&c);
	check_text(text,
		   "BACKEND        WEIGHT  STATE  TIER   SHARE  PACKETS  "
		   "ACTIVE FLOWS\n"
		   "10.0.0.1:8080       1  up        0  70.00%        5  "
		   "           1\n"
		   "10.0.0.2:8080       3  drain     1  30.00%        -  "
		   "           -\n"
		   "tiers: 0 70.00% (1/1 healthy), 1 30.00% (1/1 healthy, "
		   "panic)\n",
		   "backends table with tiers");
	free(text);
	cJSON_Delete(svc);
	cJSON_Delete(stats);
}

static void test_fmt_stats(void)
{
	cJSON *stats = cJSON_Parse(stats_json);
	struct capture c;
	char *text;

	CHECK(ectl_fmt_stats(capture_start(&c), stats, false) == 0);
	text = capture_end(&c);
	check_text(
		text,
		"fast path: alive, workers 2, generation 12, version 12; "
		"API configuration version 12\n"
		"rings: punt 0, inject 1\n"
		"\n"
		"PORT  RX PACKETS  RX BYTES  TX PACKETS  TX BYTES  TX DROPS\n"
		"   0        1234     80000        1200     78000         0\n"
		"\n"
		"SERVICE  PACKETS  BYTES  NEW FLOWS  DROPS  DROPS ACL  "
		"DROPS RATE SERVICE PPS  DROPS RATE SERVICE BPS  "
		"DROPS RATE SERVICE CPS  DROPS RATE CLIENT  "
		"DROPS RATE CLIENT GLOBAL  DROPS SYN FLOOD\n"
		"web           10    900          2      0          -      "
		"                 -                       -                 "
		"      -                  -                         -       "
		"         -\n"
		"\n"
		"SERVICE  SYN COOKIE SENT  SYN COOKIE INVALID  SYN COOKIE "
		"VALID  "
		"SYN PROXY ESTABLISHED  SYN PROXY BACKEND RESET  "
		"SYN PROXY SYN RETRIES  DROPS SYN PROXY WAITING  "
		"FLOWS RESET ON DOWN\n"
		"web                    -                   -                 "
		"-  "
		"                    -                        -                "
		" "
		"     -                        -                    -\n"
		"\n"
		"COUNTER            VALUE\n"
		"rx_packets          1234\n"
		"rx_bytes           80000\n"
		"tx_packets          1200\n"
		"tx_bytes           78000\n"
		"forwarded_packets   1190\n"
		"punted_packets         4\n"
		"ct_hits             1100\n"
		"ct_misses             90\n"
		"ct_inserts            90\n"
		"ct_evictions           0\n"
		"ct_expired             3\n"
		"\n"
		"DROP REASON  PACKETS\n"
		"no_backend         3\n"
		"not_for_us        31\n"
		"total             34\n",
		"stats summary");
	free(text);
	CHECK(ectl_fmt_stats(capture_start(&c), stats, true) == 0);
	text = capture_end(&c);
	CHECK(strstr(text, "\neth_truncated        0\n") != NULL);
	CHECK(strstr(text, "idle_polls         9007199254740992\n") != NULL);
	free(text);
	cJSON_Delete(stats);
}

static void test_fmt_flows(void)
{
	cJSON *doc = cJSON_Parse(
		"{\"count\": 2, \"flows\": ["
		"{\"service\": \"web\", \"backend\": \"10.0.0.2:8080\","
		" \"client\": \"192.0.2.7:5555\", \"vip\": \"198.51.100.1:80\","
		" \"backend_address\": \"10.0.0.2:8080\", \"protocol\": "
		"\"tcp\","
		" \"state\": \"established\", \"age_ms\": 12, \"worker\": 0},"
		"{\"service\": null, \"backend\": null,"
		" \"client\": \"192.0.2.8:53\", \"vip\": \"198.51.100.3:53\","
		" \"backend_address\": \"10.0.1.1:53\", \"protocol\": \"udp\","
		" \"state\": \"udp\", \"age_ms\": 75500, \"worker\": 1}]}");
	struct capture c;
	char *text;

	CHECK(ectl_fmt_flows(capture_start(&c), doc) == 0);
	text = capture_end(&c);
	check_text(text,
		   "SERVICE  CLIENT          VIP              BACKEND        "
		   "PROTO  STATE        AGE    WORKER\n"
		   "web      192.0.2.7:5555  198.51.100.1:80  10.0.0.2:8080  "
		   "tcp    established  12ms        0\n"
		   "-        192.0.2.8:53    198.51.100.3:53  10.0.1.1:53    "
		   "udp    udp          1m15s       1\n",
		   "flows table");
	free(text);
	cJSON_Delete(doc);
}

static void test_fmt_error(void)
{
	static const char body[] =
		"{\"code\": 1001, \"message\": "
		"\"services[0].backends[1].weight:"
		" must be 0..65535\", \"details\": {\"field\":"
		" \"services[0].backends[1].weight\"}}";
	static const char e412[] = "{\"code\":1004,\"message\":\"If-Match "
				   "\\\"3\\\" is not the version in force\","
				   "\"details\":{\"etag\":\"\\\"9\\\"\"}}";
	struct capture c;
	char *text;

	CHECK(ectl_fmt_error(capture_start(&c), 400, body, strlen(body)) ==
	      1001);
	text = capture_end(&c);
	check_text(text,
		   "edgectl: services[0].backends[1].weight: must be 0..65535 "
		   "(code 1001)\n"
		   "  field: services[0].backends[1].weight\n",
		   "error with a field");
	free(text);
	CHECK(ectl_fmt_error(capture_start(&c), 412, e412, strlen(e412)) ==
	      1004);
	text = capture_end(&c);
	check_text(text,
		   "edgectl: If-Match \"3\" is not the version in force "
		   "(code 1004)\n"
		   "  etag: \"9\"\n",
		   "error with an etag");
	free(text);
	CHECK(ectl_fmt_error(capture_start(&c), 502, "<html>", 6) == 502);
	text = capture_end(&c);
	CHECK(strstr(text, "HTTP 502") != NULL);
	free(text);
	CHECK(ectl_fmt_error(capture_start(&c), 500, NULL, 0) == 500);
	free(capture_end(&c));
	CHECK(ectl_error_hint(1004, true) != NULL);
	CHECK(ectl_error_hint(1004, false) == NULL);
	CHECK(strstr(ectl_error_hint(1006, false), "admin") != NULL);
	CHECK(ectl_error_hint(1002, false) == NULL);
}

static void test_si(void)
{
	static const struct {
		double v;
		const char *want;
	} cases[] = {
		{ 0, "0" },
		{ 7.5, "7.5" },
		{ 7, "7" },
		{ 950, "950" },
		{ 999.4, "999" },
		{ 999.6, "1.0k" },
		{ 1234, "1.2k" },
		{ 12345, "12.3k" },
		{ 123456, "123k" },
		{ 4e6, "4.0M" },
		{ 2.5e9, "2.5G" },
		{ -1, "-" },
		{ 1e30, "1000000000000E" },
	};
	char buf[32];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ectl_fmt_si(cases[i].v, buf, sizeof(buf));
		CHECK_MSG(strcmp(buf, cases[i].want) == 0,
			  "%g: got %s, want %s", cases[i].v, buf,
			  cases[i].want);
	}
}

/* ------------------------------------------------------------------ */
/* Rates                                                                */

static const char prev_json[] =
	"{\"counters\": {\"rx_packets\": 1000, \"tx_packets\": 900,"
	" \"rx_bytes\": 64000, \"tx_bytes\": 60000}, \"drops_total\": 10,"
	" \"services\": [{\"name\": \"web\", \"packets\": 100, \"bytes\": 6400,"
	"  \"new_flows\": 10, \"drops\": 1, \"backends\": ["
	"   {\"id\": \"10.0.0.1:8080\", \"packets\": 60, \"bytes\": 3840,"
	"    \"new_flows\": 6, \"active_flows\": 3}]},"
	" {\"name\": \"gone\", \"packets\": 5, \"bytes\": 5, \"new_flows\": 0,"
	"  \"drops\": 0, \"backends\": []}]}";

static const char cur_json[] =
	"{\"counters\": {\"rx_packets\": 3000, \"tx_packets\": 2900,"
	" \"rx_bytes\": 192000, \"tx_bytes\": 188000}, \"drops_total\": 14,"
	" \"services\": [{\"name\": \"web\", \"packets\": 2100,"
	"  \"bytes\": 134400, \"new_flows\": 30, \"drops\": 5, \"backends\": ["
	"   {\"id\": \"10.0.0.1:8080\", \"packets\": 40, \"bytes\": 4000,"
	"    \"new_flows\": 8, \"active_flows\": 2},"
	"   {\"id\": \"10.0.0.3:8080\", \"packets\": 7, \"bytes\": 700,"
	"    \"new_flows\": 1, \"active_flows\": 1}]},"
	" {\"name\": \"new\", \"packets\": 1, \"bytes\": 1, \"new_flows\": 0,"
	"  \"drops\": 0, \"backends\": []}]}";

static void test_rates(void)
{
	cJSON *prev = cJSON_Parse(prev_json), *cur = cJSON_Parse(cur_json);
	struct ectl_rates r;
	struct capture c;
	char *text;

	CHECK(ectl_rates_compute(prev, cur, 2.0, &r) == 0);
	CHECK(r.interval_s == 2.0 && r.rx_pkts_per_s == 1000 &&
	      r.tx_pkts_per_s == 1000 && r.rx_bytes_per_s == 64000 &&
	      r.tx_bytes_per_s == 64000 && r.drops_per_s == 2);
	CHECK(r.n_rows == 4);
	if (r.n_rows == 4) {
		CHECK(strcmp(r.rows[0].name, "web") == 0 && !r.rows[0].backend);
		CHECK(r.rows[0].pkts_per_s == 1000 &&
		      r.rows[0].bytes_per_s == 64000 &&
		      r.rows[0].new_flows_per_s == 10 &&
		      r.rows[0].drops_per_s == 2 &&
		      r.rows[0].active_flows == -1);
		/* counter went back (fast path restart): no rate */
		CHECK(r.rows[1].backend && r.rows[1].pkts_per_s == -1 &&
		      r.rows[1].bytes_per_s == 80 &&
		      r.rows[1].new_flows_per_s == 1 &&
		      r.rows[1].active_flows == 2);
		/* new backend, new service: no previous sample */
		CHECK(strcmp(r.rows[2].name, "10.0.0.3:8080") == 0 &&
		      r.rows[2].pkts_per_s == -1 &&
		      r.rows[2].active_flows == 1);
		CHECK(strcmp(r.rows[3].name, "new") == 0 &&
		      r.rows[3].pkts_per_s == -1);
	}
	ectl_fmt_top(capture_start(&c), &r, "edgectl top  test");
	text = capture_end(&c);
	check_text(text,
		   "edgectl top  test\n"
		   "rx 1.0k pkt/s 64.0k B/s   tx 1.0k pkt/s 64.0k B/s   drops "
		   "2 pkt/s\n"
		   "\n"
		   "SERVICE / BACKEND  PKT/S  BYTES/S  NEW FLOWS/S  DROPS/S  "
		   "ACTIVE FLOWS\n"
		   "web                 1.0k    64.0k           10        2  "
		   "           -\n"
		   "  10.0.0.1:8080        -       80            1        -  "
		   "           2\n"
		   "  10.0.0.3:8080        -        -            -        -  "
		   "           1\n"
		   "new                    -        -            -        -  "
		   "           -\n",
		   "top block");
	free(text);
	ectl_rates_free(&r);
	CHECK(r.rows == NULL && r.n_rows == 0);
	CHECK(ectl_rates_compute(prev, cur, 0, &r) == -EINVAL);
	CHECK(ectl_rates_compute(prev, prev, -1, &r) == -EINVAL);
	CHECK(ectl_rates_compute(cur, prev, 1, &r) == 0);
	CHECK(r.rx_pkts_per_s == -1); /* went back */
	ectl_rates_free(&r);
	CHECK(ectl_rates_compute(NULL, cur, 1, &r) == 0 && r.n_rows == 4 &&
	      r.rows[0].pkts_per_s == -1);
	ectl_rates_free(&r);
	CHECK(ectl_rates_compute(prev, NULL, 1, &r) == -EPROTO);
	cJSON_Delete(prev);
	cJSON_Delete(cur);
}

/* edgectl node status|drain|undrain: the words and the table. */
static void test_node(void)
{
	static const char body[] =
		"{\"state\":\"drained\",\"drained\":true,\"stopping\":false,"
		"\"reasons\":[\"drained\"],\"announced\":[],\"vips\":["
		"{\"vip\":\"10.99.100.1\",\"announced\":false,\"services\":1,"
		"\"healthy_backends\":3,\"reasons\":[\"drained\"]},"
		"{\"vip\":\"fd99:100::1\",\"announced\":false,\"services\":2,"
		"\"healthy_backends\":0,\"reasons\":[\"drained\","
		"\"no_healthy_backends\"]}],\"bird\":{\"synced\":true,"
		"\"last_error\":\"\"}}";
	struct ectl_args a;
	char err[ECTL_ERR_LEN];
	struct capture c;
	cJSON *doc = cJSON_Parse(body), *bad = cJSON_Parse("{\"vips\":1}");
	char *text;

	CHECK(parse(&a, err, "node status") == 0 &&
	      a.cmd == ECTL_CMD_NODE_STATUS);
	CHECK(parse(&a, err, "node drain") == 0 &&
	      a.cmd == ECTL_CMD_NODE_DRAIN);
	CHECK(parse(&a, err, "node undrain --json") == 0 &&
	      a.cmd == ECTL_CMD_NODE_UNDRAIN && a.json);
	CHECK(parse(&a, err, "node") < 0);
	CHECK(parse(&a, err, "node drain now") < 0);
	CHECK(parse(&a, err, "node stop") < 0);
	CHECK(ectl_fmt_node(capture_start(&c), doc) == 0);
	text = capture_end(&c);
	check_text(
		text,
		"node: drained (drained)\n"
		"VIP                                      ANNOUNCED SERVICES "
		"HEALTHY REASONS\n"
		"10.99.100.1                              no               1 "
		"      3 drained\n"
		"fd99:100::1                              no               2 "
		"      0 drained,no_healthy_backends\n"
		"bird: synced\n",
		"node table");
	free(text);
	CHECK(ectl_fmt_node(capture_start(&c), bad) == -EPROTO);
	free(capture_end(&c));
	cJSON_Delete(doc);
	cJSON_Delete(bad);
}

/* ------------------------------------------------------------------ */
/* Policing commands                                                    */

static void test_args_policing(void)
{
	struct ectl_args a;
	char err[ECTL_ERR_LEN];

	CHECK(parse(&a, err, "limits") == 0 && a.cmd == ECTL_CMD_LIMITS);
	CHECK(parse(&a, err, "limits --json") == 0 && a.json);
	CHECK(parse(&a, err, "service limits web {}") == 0 &&
	      a.cmd == ECTL_CMD_SERVICE_LIMITS &&
	      strcmp(a.service, "web") == 0 && strcmp(a.policing, "{}") == 0 &&
	      a.file == NULL);
	CHECK(parse(&a, err, "service acl web @acl.json") == 0 &&
	      a.cmd == ECTL_CMD_SERVICE_ACL && a.policing == NULL &&
	      strcmp(a.file, "acl.json") == 0);
	refused("service acl web @", "give @FILE");
	refused("service limits web 5000", "limits '5000': give a JSON object");
	refused("service limits we/b {}", "service name 'we/b'");
	refused("service limits web", "missing arguments; usage: edgectl "
				      "service limits SERVICE JSON|@FILE");
	refused("service limits web {} --all", "--all is not an option");
	refused("service", "'edgectl service' needs one of: limits, acl");
	refused("service weight web {}", "unknown command 'edgectl service "
					 "weight'");
	CHECK(strstr(ectl_usage(), "service limits SERVICE JSON|@FILE") !=
	      NULL);
	CHECK(parse(&a, err, "policing set {\"acl\":null}") == 0 &&
	      a.cmd == ECTL_CMD_POLICING_SET &&
	      strcmp(a.policing, "{\"acl\":null}") == 0 && a.file == NULL);
	CHECK(parse(&a, err, "policing set @pol.json") == 0 &&
	      a.cmd == ECTL_CMD_POLICING_SET &&
	      strcmp(a.file, "pol.json") == 0);
	refused("policing set acl", "policing 'acl': give a JSON object");
	refused("policing set", "missing arguments; usage: edgectl "
				"policing set JSON|@FILE");
	CHECK(strstr(ectl_usage(), "policing set JSON|@FILE") != NULL);
}

/* `text` as a `part` body: the body it makes, or refused with `want`. */
static void body_is(const char *part, const char *text, const char *want)
{
	char err[ECTL_ERR_LEN] = "";
	char *b =
		ectl_policing_body(part, text, strlen(text), err, sizeof(err));

	CHECK_MSG(b && strcmp(b, want) == 0, "%s '%s': got '%s' (%s)", part,
		  text, b ? b : "(refused)", err);
	free(b);
}

static void body_refused(const char *part, const char *text, const char *want)
{
	char err[ECTL_ERR_LEN] = "";
	char *b =
		ectl_policing_body(part, text, strlen(text), err, sizeof(err));

	CHECK_MSG(b == NULL && strstr(err, want) != NULL,
		  "%s '%s': got '%s', message \"%s\", wanted \"%s\"", part,
		  text, b ? b : "(refused)", err, want);
	free(b);
}

static void test_policing_body(void)
{
	body_is("limits", "{}", "{\"limits\":{}}");
	body_is("acl", " {} \n", "{\"acl\":{}}");
	body_is("limits",
		"{\"packets_per_second\": {\"rate\": 5000, \"burst\": 500},"
		" \"per_client\": {\"connections_per_second\": {\"rate\": 20},"
		" \"ipv6_prefix\": 56}}",
		"{\"limits\":{\"packets_per_second\":{\"rate\":5000,"
		"\"burst\":500},\"per_client\":{\"connections_per_second\":"
		"{\"rate\":20},\"ipv6_prefix\":56}}}");
	body_is("acl", "{\"allow\": [\"10.0.0.0/8\"], \"deny\": []}",
		"{\"acl\":{\"allow\":[\"10.0.0.0/8\"],\"deny\":[]}}");
	/* Values are the API's to check (it names the field). */
	body_is("limits", "{\"bytes_per_second\": {\"rate\": 0}}",
		"{\"limits\":{\"bytes_per_second\":{\"rate\":0}}}");
	body_refused("limits", "{\"packets\": {\"rate\": 1}}",
		     "limits: unknown member \"packets\"");
	body_refused("limits", "{\"packets_per_second\": 5000}",
		     "limits.packets_per_second: must be an object");
	body_refused("limits", "{\"per_client\": {\"bytes_per_second\": {}}}",
		     "limits.per_client: unknown member \"bytes_per_second\"");
	body_refused("limits", "{\"per_client\": {\"ipv6_prefix\": \"64\"}}",
		     "limits.per_client.ipv6_prefix: must be a number");
	body_refused("acl", "{\"allow\": \"10.0.0.0/8\"}",
		     "acl.allow: must be an array");
	body_refused("acl", "{\"deny\": [\"10.0.0.0/8\", 7]}",
		     "acl.deny[1]: must be a prefix string");
	body_refused("acl", "{\"block\": []}", "acl: unknown member \"block\"");
	body_refused("acl", "[]", "acl: must be a JSON object");
	body_refused("limits", "{\"a\":", "limits: not valid JSON");
	body_refused("limits", "{} {}", "limits: text after the JSON object");
}

/* `text` as a global policing body: the body, or refused with `want`. */
static void global_body(const char *text, const char *want, int ok)
{
	char err[ECTL_ERR_LEN] = "";
	char *b =
		ectl_global_policing_body(text, strlen(text), err, sizeof(err));

	if (ok)
		CHECK_MSG(b && strcmp(b, want) == 0, "'%s': got '%s' (%s)",
			  text, b ? b : "(refused)", err);
	else
		CHECK_MSG(b == NULL && strstr(err, want) != NULL,
			  "'%s': got '%s', message \"%s\", wanted \"%s\"", text,
			  b ? b : "(refused)", err, want);
	free(b);
}

static void test_global_policing_body(void)
{
	global_body("{\"acl\": {\"deny\": [\"203.0.113.0/24\"]},"
		    " \"syn_flood\": null}",
		    "{\"acl\":{\"deny\":[\"203.0.113.0/24\"]},"
		    "\"syn_flood\":null}",
		    1);
	global_body("{\"syn_cookie\": {\"secret\": \"ab\","
		    " \"previous_secret\": \"cd\"}}",
		    "{\"syn_cookie\":{\"secret\":\"ab\","
		    "\"previous_secret\":\"cd\"}}",
		    1);
	global_body("{\"per_client\": {\"packets_per_second\": {\"rate\": 9}}}",
		    "{\"per_client\":{\"packets_per_second\":{\"rate\":9}}}",
		    1);
	global_body("{}", "policing: must be a JSON object with acl", 0);
	global_body("[]", "policing: must be a JSON object with acl", 0);
	global_body("{\"services\": []}",
		    "policing: unknown member "
		    "\"services\"",
		    0);
	global_body("{\"acl\": 1}", "policing.acl: must be an object, or null",
		    0);
	global_body("{\"acl\": {\"block\": []}}",
		    "acl: unknown member \"block\"", 0);
	global_body("{\"acl\": {\"deny\": [7]}}",
		    "acl.deny[0]: must be a prefix string", 0);
	global_body("{\"syn_flood\": {\"rate\": 5}}",
		    "policing.syn_flood: unknown member \"rate\"", 0);
	global_body("{\"syn_cookie\": {\"key\": \"ab\"}}",
		    "policing.syn_cookie: unknown member \"key\"", 0);
	global_body("{\"per_client\": {\"bytes_per_second\": {}}}",
		    "policing.per_client: unknown member \"bytes_per_second\"",
		    0);
	global_body("{\"per_client\": {\"ipv6_prefix\": \"64\"}}",
		    "policing.per_client.ipv6_prefix: must be a number", 0);
	global_body("{\"acl\":", "policing: not valid JSON", 0);
}

static void test_fmt_limits(void)
{
	cJSON *doc = cJSON_Parse(
		"{\"services\": [{\"name\": \"web\", \"limits\": {"
		"\"packets_per_second\": {\"rate\": 1000, \"burst\": 50,"
		" \"mode\": \"token_bucket\"}},"
		" \"acl\": {\"allow\": [], \"deny\": [\"10.66.0.0/16\"]}},"
		" {\"name\": \"free\"}],"
		" \"policing\": {\"acl\": {\"allow\": [], \"deny\": "
		"[\"203.0.113.0/24\"]}, \"syn_flood\": "
		"{\"new_flows_per_second\": 20000, \"burst\": 2000},"
		" \"per_client\": {\"packets_per_second\": {\"rate\": 5000,"
		" \"burst\": 500, \"mode\": \"token_bucket\"},"
		" \"ipv6_prefix\": 56}}}");
	cJSON *none = cJSON_Parse("{\"services\": [{\"name\": \"free\"}]}");
	cJSON *bad = cJSON_Parse("{\"policing\": {}}");
	struct capture c;

	CHECK(ectl_fmt_limits(capture_start(&c), doc) == 0);
	check_text(capture_end(&c),
		   "Global (policing, every service):\n"
		   "CLIENT PKTS             CLIENT CONNS  CLIENT IPV6  "
		   "SYN FLOOD                      ACL\n"
		   "5000/s burst 500 token  -             /56          "
		   "20000/s burst 2000 per worker  0 allow, 1 deny\n"
		   "\n"
		   "Services:\n"
		   "NAME  PACKETS                BYTES  CONNECTIONS  "
		   "CLIENT PKTS  CLIENT CONNS  ACL\n"
		   "web   1000/s burst 50 token  -      -            "
		   "-            -             0 allow, 1 deny\n",
		   "limits");
	free(c.text);
	CHECK(ectl_fmt_limits(capture_start(&c), none) == 0);
	check_text(capture_end(&c),
		   "Global (policing, every service):\n"
		   "CLIENT PKTS  CLIENT CONNS  CLIENT IPV6  SYN FLOOD  ACL\n"
		   "-            -             -            -          -\n"
		   "\n"
		   "Services: none has limits or an access list\n",
		   "limits, none set");
	free(c.text);
	CHECK(ectl_fmt_limits(capture_start(&c), bad) == -EPROTO);
	free(capture_end(&c));
	/* A PATCH answer: the service's row, or that it has none. */
	CHECK(ectl_fmt_service_policing(
		      capture_start(&c),
		      cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "services"),
					 0)) == 0);
	check_text(capture_end(&c),
		   "NAME  PACKETS                BYTES  CONNECTIONS  "
		   "CLIENT PKTS  CLIENT CONNS  ACL\n"
		   "web   1000/s burst 50 token  -      -            "
		   "-            -             0 allow, 1 deny\n",
		   "service row");
	free(c.text);
	CHECK(ectl_fmt_service_policing(
		      capture_start(&c),
		      cJSON_GetArrayItem(cJSON_GetObjectItem(none, "services"),
					 0)) == 0);
	check_text(capture_end(&c), "free: no limits and no access list\n",
		   "service without");
	free(c.text);
	cJSON_Delete(doc);
	cJSON_Delete(none);
	cJSON_Delete(bad);
}

int main(void)
{
	test_args_commands();
	test_args_backends();
	test_args_refused();
	test_numbers();
	test_fmt_services();
	test_fmt_services_policing();
	test_fmt_backends();
	test_fmt_stats();
	test_fmt_flows();
	test_fmt_error();
	test_si();
	test_rates();
	test_node();
	test_args_policing();
	test_policing_body();
	test_global_policing_body();
	test_fmt_limits();
	return check_summary("edgectl");
}
