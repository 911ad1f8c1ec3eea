/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of slowpath/config/ (see test_config.c): documents refused with the field path their message must start
 * with: size, depth, strict JSON and UTF-8, numbers, node, services and
 * their clashes (also at scale and against a pairwise reference).
 */
#include "test_config.h"

#define THREE_BES                                                              \
	"{'address':'10.0.1.1'},{'address':'10.0.1.2'},{'address':'10.0.1.3'}"
#define VXLAN SVC(",'forwarding':'encap','encap':'vxlan'")

void test_refuse_size(void)
{
	struct config_error err = { "" };
	struct ep_config cfg;
	size_t n = CONFIG_MAX_BYTES + 1;
	char *doc = malloc(n);
	int rc;

	memset(doc, ' ', n);
	doc[0] = '{';
	doc[n - 1] = '}';
	rc = config_parse(doc, n, &cfg, &err);
	CHECK(rc == -EMSGSIZE && starts_with(err.msg, "document: "));
	/* One byte less is parsed (and valid: an empty object). */
	doc[n - 2] = '}';
	rc = config_parse(doc, n - 1, &cfg, &err);
	CHECK_MSG(rc == 0, "%s", err.msg);
	config_free(&cfg);
	free(doc);
}

void test_refuse_depth(void)
{
	struct sbuf b = { 0 };
	int i;

	for (i = 0; i < 17; i++)
		sb_printf(&b, "[");
	for (i = 0; i < 17; i++)
		sb_printf(&b, "]");
	REFUSE(b.p, "[0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0]: nested "
		    "deeper than 16 levels at byte 16");
	/* Hostile depth far beyond cJSON's own limit, never closed. */
	b.len = 0;
	for (i = 0; i < 100000; i++)
		sb_printf(&b, "{'a':[");
	REFUSE(b.p, "a[0].a[0].a[0].a[0].a[0].a[0].a[0].a[0]: nested deeper");
	/* 16 levels pass the strict scan (then fail on the unknown field). */
	b.len = 0;
	sb_printf(&b, "{'x':");
	for (i = 0; i < 15; i++)
		sb_printf(&b, "[");
	for (i = 0; i < 15; i++)
		sb_printf(&b, "]");
	sb_printf(&b, "}");
	REFUSE(b.p, "document: unknown field \"x\"");
	/* Brackets inside strings, also after escaped quotes, do not count. */
	REFUSE("{'x':'[[[[[[[[[[[[[[[[[[[[[[[[[['}", "document: unknown field");
	REFUSE("{'x':'\\\\\\'[[[[[[[[[[[[[[[[[[[[[[[[[[[[[['}",
	       "document: unknown field");
	free(b.p);
}

void test_refuse_json(void)
{
	REFUSE("{'services': }", "services: invalid JSON at byte 13");
	REFUSE("", "document: invalid JSON, expected a value at byte 0");
	REFUSE("{'services':[]",
	       "services: invalid JSON, expected ',' or '}' at byte 14");
	REFUSE("{} x",
	       "document: unexpected text after the JSON value at byte 3");
	REFUSE("{}{}", "document: unexpected text");
	REFUSE("[]", "document: must be an object");
	REFUSE("42", "document: must be an object");
	REFUSE("{'foo':1}", "document: unknown field \"foo\"");
	REFUSE("{'services':[],'services':[]}",
	       "document: duplicate field \"services\"");
	REFUSE("{'services':[], 'serv\\u0069ces':[]}",
	       "document: duplicate field");
	REFUSE(DOC(SVC(",'name':'\\u0000web'")), "services[0].name: \\u0000");
	REFUSE("{'node':{'x\ty':1}}", "node: control character");
	REFUSE(DOC(SVC(",'foo':1")), "services[0]: unknown field \"foo\"");
	{
		struct config_error err = { "" };
		struct ep_config cfg;
		const char doc[] = "{}\0{}";

		CHECK(config_parse(doc, sizeof(doc) - 1, &cfg, &err) ==
			      -EINVAL &&
		      starts_with(err.msg, "document: NUL byte at byte 2"));
		CHECK(config_parse(NULL, 0, &cfg, &err) == -EINVAL);
	}
}

/* ------------------------------------------------------------------ */
/* Refusals: node                                                       */

void test_refuse_node(void)
{
	struct sbuf b = { 0 };
	int i;

	REFUSE("{'node':[]}", "node: must be an object");
	REFUSE("{'node':{'bogus':1}}", "node: unknown field \"bogus\"");
	REFUSE("{'node':{'gue_port':1,'gue_port':2}}",
	       "node: duplicate field \"gue_port\"");
	REFUSE("{'node':{'addresses':{}}}", "node.addresses: must be an array");
	REFUSE("{'node':{'addresses':[{'port':0}]}}",
	       "node.addresses[0].address: required");
	REFUSE("{'node':{'addresses':[{'address':'10.0.0.1','x':0}]}}",
	       "node.addresses[0]: unknown field");
	REFUSE("{'node':{'addresses':[{'address':'10.0.0.300'}]}}",
	       "node.addresses[0].address: not an IPv4 or IPv6 address");
	REFUSE("{'node':{'addresses':[{'address':'0.0.0.0'}]}}",
	       "node.addresses[0].address: must be a unicast address");
	REFUSE("{'node':{'addresses':[{'address':'10.0.0.1','port':8}]}}",
	       "node.addresses[0].port: must be 0..7");
	REFUSE("{'node':{'addresses':[{'address':'10.0.0.1'},"
	       "{'address':'10.0.0.1'}]}}",
	       "node.addresses[1].address: duplicate of node.addresses[0]");
	REFUSE("{'node':{'backend_port':'0'}}",
	       "node.backend_port: must be an integer 0..7, not a string");
	REFUSE("{'node':{'backend_port':8}}",
	       "node.backend_port: must be 0..7");
	REFUSE("{'node':{'gue_port':0}}", "node.gue_port: must be 1..65535");
	REFUSE("{'node':{'gue_port':65536}}",
	       "node.gue_port: must be 1..65535");
	REFUSE("{'node':{'encap_source_v4':'fd99::1'}}",
	       "node.encap_source_v4: must be an IPv4 address");
	REFUSE("{'node':{'encap_source_v6':'10.0.0.1'}}",
	       "node.encap_source_v6: must be an IPv6 address");
	REFUSE("{'node':{'encap_source_v6':'ff02::1'}}",
	       "node.encap_source_v6: must be a unicast address");
	REFUSE("{'node':{'encap_source_v4':4}}",
	       "node.encap_source_v4: must be a string, not a number");
	REFUSE("{'node':{'maglev_rebuild':'slow'}}",
	       "node.maglev_rebuild: must be \"minimal\" or \"fresh\"");
	REFUSE("{'node':{'maglev_rebuild':'Fresh'}}",
	       "node.maglev_rebuild: must be \"minimal\" or \"fresh\"");
	REFUSE("{'node':{'maglev_rebuild':''}}",
	       "node.maglev_rebuild: must be \"minimal\" or \"fresh\"");
	REFUSE("{'node':{'maglev_rebuild':1}}",
	       "node.maglev_rebuild: must be a string, not a number");
	REFUSE("{'node':{'maglev_rebuild':'fresh','maglev_rebuild':'fresh'}}",
	       "node: duplicate field \"maglev_rebuild\"");
	sb_printf(&b, "{'node':{'addresses':[");
	for (i = 0; i <= (int)EP_MAX_NODE_ADDRS; i++)
		sb_printf(&b, "%s{'address':'10.0.0.%d'}", i ? "," : "", i + 1);
	sb_printf(&b, "]}}");
	REFUSE(b.p, "node.addresses: at most 32 entries");
	free(b.p);
}

/* ------------------------------------------------------------------ */
/* Refusals: services                                                   */

void test_refuse_service_fields(void)
{
	REFUSE("{'services':{}}", "services: must be an array, not an object");
	REFUSE(DOC("1"), "services[0]: must be an object, not a number");
	REFUSE(DOC(SVC("") "," SVC(",'foo':true")),
	       "services[1]: unknown field \"foo\"");
	REFUSE(DOC(SVC(",'port':81")), "services[0]: duplicate field \"port\"");
	REFUSE(DOC("{'vip':'10.0.0.1','port':80,'protocol':'tcp'}"),
	       "services[0].name: required");
	REFUSE(DOC("{'name':'web','port':80,'protocol':'tcp'}"),
	       "services[0].vip: required");
	REFUSE(DOC("{'name':'web','vip':'10.0.0.1','protocol':'tcp'}"),
	       "services[0].port: required");
	REFUSE(DOC("{'name':'web','vip':'10.0.0.1','port':80}"),
	       "services[0].protocol: required");
	REFUSE(DOC("{'name':'abcdefghijabcdefghijabcdefghij12','vip':'10.0.0.1'"
		   ","
		   "'port':80,'protocol':'tcp'}"),
	       "services[0].name: must be 1..31 characters");
	REFUSE(DOC("{'name':'','vip':'10.0.0.1','port':80,'protocol':'tcp'}"),
	       "services[0].name: must be 1..31 characters");
	REFUSE(DOC("{'name':'web/1','vip':'10.0.0.1','port':80,"
		   "'protocol':'tcp'}"),
	       "services[0].name: must be 1..31 characters of [A-Za-z0-9_.-]");
	REFUSE(DOC("{'name':'web','vip':'10.0.0.1','port':80,'protocol':'tcp'},"
		   "{'name':'b','vip':'10.0.0.256','port':80,'protocol':'tcp'"
		   "}"),
	       "services[1].vip: not an IPv4 or IPv6 address");
	REFUSE(DOC("{'name':'web','vip':'fd99::1%eth0','port':80,"
		   "'protocol':'tcp'}"),
	       "services[0].vip: not an IPv4 or IPv6 address");
	REFUSE(DOC("{'name':'web','vip':'224.0.0.1','port':80,"
		   "'protocol':'tcp'}"),
	       "services[0].vip: must be a unicast address");
	REFUSE("{'node':{'addresses':[{'address':'10.0.0.1'}]},"
	       "'services':[" SVC("") "]}",
	       "services[0].vip: is node.addresses[0]");
}

void test_refuse_service_numbers(void)
{
	REFUSE(DOC("{'name':'web','vip':'10.0.0.1','port':65536,"
		   "'protocol':'tcp'}"),
	       "services[0].port: must be 0..65535");
	REFUSE(DOC("{'name':'web','vip':'10.0.0.1','port':-1,'protocol':'tcp'"
		   "}"),
	       "services[0].port: must be 0..65535");
	REFUSE(DOC("{'name':'web','vip':'10.0.0.1','port':80.5,"
		   "'protocol':'tcp'}"),
	       "services[0].port: must be an integer 0..65535");
	REFUSE(DOC("{'name':'web','vip':'10.0.0.1','port':1e400,"
		   "'protocol':'tcp'}"),
	       "services[0].port: must be 0..65535");
	REFUSE(DOC("{'name':'web','vip':'10.0.0.1','port':'80',"
		   "'protocol':'tcp'}"),
	       "services[0].port: must be an integer 0..65535, not a string");
	REFUSE(DOC("{'name':'web','vip':'10.0.0.1','port':null,"
		   "'protocol':'tcp'}"),
	       "services[0].port: must be an integer 0..65535, not null");
	REFUSE(DOC(SVC(",'maglev_table_size':65536")),
	       "services[0].maglev_table_size: must be a prime number");
	REFUSE(DOC(SVC(",'maglev_table_size':1")),
	       "services[0].maglev_table_size: must be a prime number");
	REFUSE(DOC(SVC(",'maglev_table_size':0")),
	       "services[0].maglev_table_size: must be 1..655373");
	REFUSE(DOC(SVC(",'maglev_table_size':700001")),
	       "services[0].maglev_table_size: must be 1..655373");
	REFUSE(DOC(SVC(",'maglev_table_size':2,'backends':[" THREE_BES "]")),
	       "services[0].maglev_table_size: must be at least the number of "
	       "backends (3)");
}

void test_refuse_service_modes(void)
{
	REFUSE(DOC("{'name':'web','vip':'10.0.0.1','port':80,"
		   "'protocol':'sctp'}"),
	       "services[0].protocol: must be one of \"tcp\", \"udp\"");
	REFUSE(DOC(SVC(",'forwarding':'tunnel'")),
	       "services[0].forwarding: must be one of \"dsr\", \"encap\", "
	       "\"nat\"");
	REFUSE(DOC(SVC(",'encap':'gue'")),
	       "services[0].encap: only valid with");
	REFUSE(DOC(SVC(",'forwarding':'nat','encap':'ipip'")),
	       "services[0].encap: only valid with");
	REFUSE("{'node':{'encap_source_v4':'10.9.9.9'},'services':[" VXLAN "]}",
	       "services[0].encap: must be one of \"ipip\", \"gue\"");
	REFUSE(DOC(SVC(",'scheduler':'random'")),
	       "services[0].scheduler: must be one of");
	REFUSE(DOC(SVC(",'affinity':'dest'")),
	       "services[0].affinity: must be one of \"none\", \"source-ip\"");
	REFUSE(DOC(SVC(",'forwarding':'encap'")),
	       "services[0].forwarding: encap needs node.encap_source_v4");
	REFUSE("{'node':{'encap_source_v4':'10.9.9.9'},'services':[{'name':'w',"
	       "'vip':'fd00::1','port':80,'protocol':'tcp','forwarding':"
	       "'encap'}]}",
	       "services[0].forwarding: encap needs node.encap_source_v6");
	ACCEPT("{'node':{'encap_source_v6':'fd00::9'},'services':[{'name':'w',"
	       "'vip':'fd00::1','port':80,'protocol':'tcp','forwarding':"
	       "'encap','encap':'gue'}]}");
}

void test_refuse_service_clashes(void)
{
	REFUSE(DOC(SVC("") ",{'name':'a','vip':'10.0.0.2','port':80,'protocol':"
			   "'tcp'},{'name':'b','vip':'10.0.0.3','port':80,"
			   "'protocol':'tcp'},{'name':'web','vip':'10.0.0.4',"
			   "'port':80,'protocol':'tcp'}"),
	       "services[3].name: duplicate service name \"web\"");
	REFUSE(DOC(SVC("") ",{'name':'b','vip':'10.0.0.1','port':80,"
			   "'protocol':'tcp'}"),
	       "services[1]: 10.0.0.1 port 80 tcp overlaps services[0]");
	REFUSE(DOC(SVC("") ",{'name':'b','vip':'10.0.0.1','port':0,"
			   "'protocol':'tcp'}"),
	       "services[1]: 10.0.0.1 port 0 tcp overlaps services[0]");
	REFUSE(DOC("{'name':'b','vip':'10.0.0.1','port':0,'protocol':'tcp'},"
		   "{'name':'c','vip':'10.0.0.1','port':443,'protocol':'tcp'}"),
	       "services[1]: 10.0.0.1 port 443 tcp overlaps services[0]");
	/* Same vip and port with another protocol, or another vip: fine. */
	ACCEPT(DOC(SVC("") ",{'name':'b','vip':'10.0.0.1','port':80,"
			   "'protocol':'udp'},{'name':'c','vip':'10.0.0.2',"
			   "'port':0,'protocol':'tcp'}"));
	ACCEPT(DOC(SVC("") ",{'name':'b','vip':'10.0.0.1','port':81,"
			   "'protocol':'tcp'}"));
}

/* 2000 services (the limit is 2048) with one clash, the last service. */
static void scale_clash(const char *last, const char *expect)
{
	struct config_error err = { "" };
	struct ep_config cfg;
	struct sbuf b = { 0 };
	uint32_t i;
	int rc;

	sb_printf(&b, "{\"services\":[");
	for (i = 0; i < 1999; i++)
		sb_printf(&b,
			  "{\"name\":\"svc-%u\",\"vip\":\"10.100.%u.%u\","
			  "\"port\":%u,\"protocol\":\"tcp\"},",
			  i, i / 250, i % 250 + 1, i == 7 ? 0u : 80u);
	sb_printf(&b, "%s]}", last);
	rc = config_parse(b.p, b.len, &cfg, &err);
	CHECK_MSG(rc == -EINVAL && strcmp(err.msg, expect) == 0,
		  "rc %d, \"%s\", expected \"%s\"", rc, err.msg, expect);
	if (rc == 0)
		config_free(&cfg);
	free(b.p);
}

void test_refuse_clashes_at_scale(void)
{
	scale_clash("{\"name\":\"svc-1998\",\"vip\":\"10.200.0.1\",\"port\":80,"
		    "\"protocol\":\"tcp\"}",
		    "services[1999].name: duplicate service name \"svc-1998\"");
	scale_clash("{\"name\":\"svc-0\",\"vip\":\"10.100.0.1\",\"port\":80,"
		    "\"protocol\":\"tcp\"}",
		    "services[1999].name: duplicate service name \"svc-0\"");
	scale_clash("{\"name\":\"last\",\"vip\":\"10.100.7.245\",\"port\":80,"
		    "\"protocol\":\"tcp\"}",
		    "services[1999]: 10.100.7.245 port 80 tcp overlaps "
		    "services[1994] (\"svc-1994\", port 80; port 0 means every "
		    "port)");
	scale_clash("{\"name\":\"last\",\"vip\":\"10.100.0.8\",\"port\":443,"
		    "\"protocol\":\"tcp\"}",
		    "services[1999]: 10.100.0.8 port 443 tcp overlaps "
		    "services[7] (\"svc-7\", port 0; port 0 means every port)");
	scale_clash("{\"name\":\"last\",\"vip\":\"10.100.3.1\",\"port\":0,"
		    "\"protocol\":\"tcp\"}",
		    "services[1999]: 10.100.3.1 port 0 tcp overlaps "
		    "services[750] (\"svc-750\", port 80; port 0 means every "
		    "port)");
	/* Same name and an overlap with the same earlier service: the name
	 * is reported, as the pairwise search found it first. */
	scale_clash("{\"name\":\"svc-3\",\"vip\":\"10.100.0.4\",\"port\":80,"
		    "\"protocol\":\"tcp\"}",
		    "services[1999].name: duplicate service name \"svc-3\"");
	/* Another protocol on a used vip and port clashes with nothing. */
	scale_clash("{\"name\":\"svc-1\",\"vip\":\"10.100.0.3\",\"port\":80,"
		    "\"protocol\":\"udp\"}",
		    "services[1999].name: duplicate service name \"svc-1\"");
}

/* random_service()'s VIPs in inet_ntop form: 10.0.0.x or fd00::x. */
static void vip_text(const struct ep_ip *ip, char *buf, size_t cap)
{
	if (ip->family == EP_AF_INET)
		snprintf(buf, cap, "%u.%u.%u.%u", ip->bytes[0], ip->bytes[1],
			 ip->bytes[2], ip->bytes[3]);
	else
		snprintf(buf, cap, "fd00::%u", ip->bytes[15]);
}

/* The pairwise search validate_service_clashes() once was: the message
 * for the later service of the first clashing pair, or "". */
static void clash_reference(const struct ep_config *cfg, char *msg, size_t cap)
{
	const struct config_service *a, *b;
	char ip[48];
	uint32_t i, j;

	msg[0] = '\0';
	for (i = 1; i < cfg->n_services; i++) {
		b = &cfg->services[i];
		for (j = 0; j < i; j++) {
			a = &cfg->services[j];
			if (strcmp(a->name, b->name) == 0) {
				snprintf(msg, cap,
					 "services[%u].name: duplicate service "
					 "name \"%s\"",
					 i, b->name);
				return;
			}
			if (a->vip.family == b->vip.family &&
			    memcmp(a->vip.bytes, b->vip.bytes, 16) == 0 &&
			    a->proto == b->proto &&
			    (a->port == b->port || a->port == 0 ||
			     b->port == 0)) {
				vip_text(&b->vip, ip, sizeof(ip));
				snprintf(msg, cap,
					 "services[%u]: %s port %u %s overlaps "
					 "services[%u] (\"%s\", port %u; port "
					 "0 means every port)",
					 i, ip, b->port,
					 b->proto == 6 ? "tcp" : "udp", j,
					 a->name, a->port);
				return;
			}
		}
	}
}

/* A random service from small pools, so that clashes are frequent. */
static void random_service(struct config_service *s)
{
	static const uint16_t ports[] = { 0, 80, 443 };
	uint64_t r = rng64();

	memset(s, 0, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "s%u", (unsigned int)(r % 24));
	r >>= 8;
	s->vip.family = r & 1 ? EP_AF_INET6 : EP_AF_INET;
	if (s->vip.family == EP_AF_INET)
		memcpy(s->vip.bytes, (const uint8_t[]){ 10, 0, 0, 1 }, 4);
	else
		s->vip.bytes[0] = 0xfd, s->vip.bytes[15] = 1;
	s->vip.bytes[s->vip.family == EP_AF_INET ? 3 : 15] += (r >> 1) % 3;
	r >>= 8;
	s->port = ports[r % 3];
	s->proto = (r >> 4) & 1 ? 17 : 6;
	s->fwd = EP_FWD_DSR;
	s->sched = EP_SCHED_MAGLEV;
	s->maglev_size = 251;
}

/* config_validate() reports exactly what the pairwise search would. */
void test_clashes_match_pairwise(void)
{
	struct config_error err;
	char want[256];
	struct ep_config cfg;
	unsigned int round, bad = 0, clashes = 0;
	uint32_t i;

	for (round = 0; round < 20000; round++) {
		memset(&cfg, 0, sizeof(cfg));
		cfg.node.gue_port = CONFIG_GUE_PORT_DEFAULT;
		cfg.n_services = 1 + (uint32_t)(rng64() % 14);
		cfg.services = calloc(cfg.n_services, sizeof(*cfg.services));
		if (cfg.services == NULL)
			abort();
		for (i = 0; i < cfg.n_services; i++)
			random_service(&cfg.services[i]);
		clash_reference(&cfg, want, sizeof(want));
		memset(&err, 0, sizeof(err));
		if (config_validate(&cfg, &err) != (want[0] ? -EINVAL : 0) ||
		    strcmp(err.msg, want) != 0) {
			if (bad++ < 5)
				fprintf(stderr,
					"round %u: \"%s\", expected "
					"\"%s\"\n",
					round, err.msg, want);
		}
		clashes += want[0] != '\0';
		config_free(&cfg);
	}
	CHECK_MSG(bad == 0, "%u of 20000 random configs differ", bad);
	CHECK_MSG(clashes > 5000 && clashes < 19000,
		  "%u clashes: the pools no longer exercise both sides",
		  clashes);
}

void test_refuse_service_count(void)
{
	struct sbuf b = { 0 };
	uint32_t i;

	sb_printf(&b, "{'services':[");
	for (i = 0; i <= EP_MAX_SERVICES; i++)
		sb_printf(&b,
			  "%s{'name':'s%u','vip':'10.0.%u.%u','port':80,"
			  "'protocol':'tcp'}",
			  i ? "," : "", i, i / 250, i % 250 + 1);
	sb_printf(&b, "]}");
	REFUSE(b.p, "services: at most 2048 entries");
	free(b.p);
}

/* RFC 3629: every string, keys included, must be valid UTF-8. */
void test_refuse_utf8(void)
{
	static const char *const bad[] = {
		"CN=ops\xc0\x80,O=edgepath", /* overlong NUL */
		"CN=ops\xc1\x81", /* overlong 'A' */
		"CN=\xe0\x80\xaf", /* overlong '/' */
		"CN=\xf0\x80\x80\xaf", /* overlong, 4 bytes */
		"CN=\x80", /* lone continuation byte */
		"CN=\xbf",
		"CN=\xed\xa0\x80", /* encoded surrogate U+D800 */
		"CN=\xed\xbf\xbf", /* U+DFFF */
		"CN=\xf4\x90\x80\x80", /* U+110000 */
		"CN=\xf5\x80\x80\x80",
		"CN=\xff",
		"CN=\xfe",
		"CN=\xc3", /* truncated before the quote */
		"CN=\xe2\x82",
		"CN=\xf0\x9f\x98",
		"CN=\xc3"
		"A",
		"CN=\\ud800", /* unpaired surrogate escapes */
		"CN=\\udc00",
		"CN=\\ud800\\u0041",
	};
	char want[96];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *doc = malloc(strlen(bad[i]) + 256);

		snprintf(doc, 256 + strlen(bad[i]), SUBJ_DOC("%s"), bad[i]);
		snprintf(want, sizeof(want), "%s: %s", SUBJ_PATH,
			 bad[i][3] == '\\' ? "unpaired surrogate"
					   : "invalid UTF-8");
		refuse(doc, want, __LINE__);
		free(doc);
	}
	/* keys too, and outside api: a Unix socket path */
	REFUSE("{'node':{'x\xc0\x80':1}}", "node: invalid UTF-8 at byte 11");
	REFUSE(API("{'listeners':[{'unix':'/run/\xf5"
		   "a'}]}"),
	       "api.listeners[0].unix: invalid UTF-8");
	/* the boundaries of what is valid */
	ACCEPT(SUBJ_DOC("CN=\xc2\x80\xdf\xbf\xe0\xa0\x80\xed\x9f\xbf"
			"\xee\x80\x80\xef\xbf\xbf\xf0\x90\x80\x80"
			"\xf4\x8f\xbf\xbf,O=\xc3\xa9"));
	ACCEPT(SUBJ_DOC("CN=\\ud83d\\ude00 \\u00e9"));
}

/* RFC 8259 numbers only, whatever cJSON's strtod would take. */
void test_refuse_numbers(void)
{
	static const char *const bad[] = {
		"0443",	 "00",	     "-0443", "+80",	   ".5",  "5.",
		"-",	 "-.5",	     "0x50",  "1e",	   "1e+", "1.e5",
		"80abc", "Infinity", "NaN",   "-Infinity", "1_0", "8\xc2\xa0",
	};
	char doc[160], want[96];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(doc, sizeof(doc),
			 "{'services':[{'name':'web','vip':'10.0.0.1',"
			 "'port':%s,'protocol':'tcp'}]}",
			 bad[i]);
		snprintf(want, sizeof(want), "services[0].port: %s",
			 bad[i][0] == 'I' || bad[i][0] == 'N'
				 ? "invalid JSON"
				 : "not a JSON number");
		refuse(doc, want, __LINE__);
	}
	REFUSE(DOC(SVC(",'backends':[{'address':'10.0.1.1','weight':01}]")),
	       "services[0].backends[0].weight: not a JSON number (leading "
	       "zero)");
	ACCEPT(DOC(SVC(",'backends':[{'address':'10.0.1.1','weight':1e0}]")));
	ACCEPT(DOC(SVC(",'backends':[{'address':'10.0.1.1','weight':"
		       "0.1e1}]")));
	ACCEPT("{'services':[{'name':'web','vip':'10.0.0.1','port':0,"
	       "'protocol':'tcp'}]}");
	REFUSE("{'services':[]} \x01", "document: unexpected text");
	REFUSE("{'services':tru}", "services: invalid JSON at byte 12");
}

/* This file's CHECKs, for main()'s total. */
void test_config_refuse_checks(unsigned int *passed, unsigned int *failed)
{
	*passed += check_passed;
	*failed += check_failed;
}
