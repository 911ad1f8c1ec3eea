/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for slowpath/config.c: every refusal of config_parse() with
 * the field path its message must start with, the sample configs,
 * JSON and flat round trips, untrusted flat buffers, stable stats ids and
 * a 1000-service build (timed, not asserted). argv[1] may name the
 * repository root (default SOURCE_ROOT) to find configs/.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "check.h"
#include "config.h"
#include "ep_abi.h"
#include "testrand.h"

#ifndef SOURCE_ROOT
#define SOURCE_ROOT "."
#endif

static const char *source_root = SOURCE_ROOT;

/* ------------------------------------------------------------------ */
/* Helpers                                                              */

/* A growable string for generated documents. */
struct sbuf {
	char *p;
	size_t len;
	size_t cap;
};

static void sb_printf(struct sbuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (b->len + (size_t)n + 1 > b->cap) {
		b->cap = (b->len + (size_t)n + 1) * 2;
		b->p = realloc(b->p, b->cap);
		if (b->p == NULL)
			abort();
	}
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

/* Tests write JSON with single quotes; this turns them into double ones. */
static char *dq(const char *sq)
{
	char *s = strdup(sq), *p;

	if (s == NULL)
		abort();
	for (p = s; *p != '\0'; p++)
		if (*p == '\'')
			*p = '"';
	return s;
}

/*
 * config_parse_tree() on a document cJSON accepts whole must give what
 * config_parse() gave (`rc`, `msg`): the PUT handler parses once and
 * uses it. Documents cJSON refuses never reach it.
 */
static void check_tree_same(const char *doc, size_t len, int rc,
			    const char *msg)
{
	struct config_error err = { "" };
	const char *end = NULL;
	struct ep_config cfg;
	cJSON *root = cJSON_ParseWithLengthOpts(doc, len, &end, 0);
	int rc2;

	while (root != NULL && end < doc + len && strchr(" \t\r\n", *end))
		end++;
	if (root == NULL || end != doc + len) {
		cJSON_Delete(root);
		return;
	}
	rc2 = config_parse_tree(doc, len, root, &cfg, &err);
	CHECK_MSG(rc2 == rc && strcmp(err.msg, msg) == 0,
		  "config_parse_tree: %d \"%s\", config_parse: %d \"%s\"", rc2,
		  err.msg, rc, msg);
	if (rc2 == 0)
		config_free(&cfg);
	cJSON_Delete(root);
}

static int parse_sq(const char *sq, struct ep_config *cfg,
		    struct config_error *err)
{
	char *doc = dq(sq);
	int rc = config_parse(doc, strlen(doc), cfg, err);

	check_tree_same(doc, strlen(doc), rc, err != NULL ? err->msg : "");
	free(doc);
	return rc;
}

static bool starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* config_parse must refuse `sq` with a message that starts with `prefix`. */
#define REFUSE(sq, prefix) refuse(sq, prefix, __LINE__)

static void refuse(const char *sq, const char *prefix, int line)
{
	struct config_error err = { "" };
	struct ep_config cfg;
	int rc = parse_sq(sq, &cfg, &err);

	CHECK_MSG(rc < 0 && starts_with(err.msg, prefix),
		  "line %d: rc %d, message \"%s\", expected \"%s...\"", line,
		  rc, err.msg, prefix);
	if (rc == 0)
		config_free(&cfg);
}

#define ACCEPT(sq) accept(sq, __LINE__)

static void accept(const char *sq, int line)
{
	struct config_error err = { "" };
	struct ep_config cfg;
	int rc = parse_sq(sq, &cfg, &err);

	CHECK_MSG(rc == 0, "line %d: refused: %s", line, err.msg);
	if (rc == 0)
		config_free(&cfg);
}

static char *read_file(const char *rel, size_t *len)
{
	char path[512];
	FILE *f;
	char *buf;
	long n;

	snprintf(path, sizeof(path), "%s/%s", source_root, rel);
	f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	if (buf != NULL && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static int load_sample(const char *rel, struct ep_config *cfg)
{
	struct config_error err = { "" };
	size_t len = 0;
	char *text = read_file(rel, &len);
	int rc;

	CHECK_MSG(text != NULL, "cannot read %s/%s", source_root, rel);
	if (text == NULL)
		return -ENOENT;
	rc = config_parse(text, len, cfg, &err);
	CHECK_MSG(rc == 0, "%s refused: %s", rel, err.msg);
	free(text);
	return rc;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* A flat buffer of its own exact size, so ASan sees any overread. */
static void *flat_of(const struct ep_config *cfg, const struct config_ids *ids,
		     size_t *len)
{
	struct config_error err = { "" };
	size_t need = config_flat_size(cfg);
	void *buf = malloc(need);
	int rc = config_to_flat(cfg, 7, ids, buf, need, len, &err);

	CHECK_MSG(rc == 0, "to_flat: %d %s", rc, err.msg);
	return buf;
}

static struct ep_cfg_hdr hdr_get(const void *buf)
{
	struct ep_cfg_hdr h;

	memcpy(&h, buf, sizeof(h));
	return h;
}

static void hdr_put(void *buf, const struct ep_cfg_hdr *h)
{
	memcpy(buf, h, sizeof(*h));
}

static struct ep_cfg_service svc_get(const void *buf, uint32_t i)
{
	struct ep_cfg_hdr h = hdr_get(buf);
	struct ep_cfg_service s;

	memcpy(&s, (const char *)buf + h.off_services + i * sizeof(s),
	       sizeof(s));
	return s;
}

static void svc_put(void *buf, uint32_t i, const struct ep_cfg_service *s)
{
	struct ep_cfg_hdr h = hdr_get(buf);

	memcpy((char *)buf + h.off_services + i * sizeof(*s), s, sizeof(*s));
}

static struct ep_cfg_backend be_get(const void *buf, uint32_t i)
{
	struct ep_cfg_hdr h = hdr_get(buf);
	struct ep_cfg_backend b;

	memcpy(&b, (const char *)buf + h.off_backends + i * sizeof(b),
	       sizeof(b));
	return b;
}

static void be_put(void *buf, uint32_t i, const struct ep_cfg_backend *b)
{
	struct ep_cfg_hdr h = hdr_get(buf);

	memcpy((char *)buf + h.off_backends + i * sizeof(*b), b, sizeof(*b));
}

/* ------------------------------------------------------------------ */
/* Refusals: document level                                             */

#define SVC(extra)                                                             \
	"{'name':'web','vip':'10.0.0.1','port':80,'protocol':'tcp'" extra "}"
#define DOC(services) "{'services':[" services "]}"
#define BE(extra) "{'address':'10.0.1.1'" extra "}"
#define SVC_BE(extra) SVC(",'backends':[" BE(extra) "]")
#define B8080 "{'address':'10.0.1.1','port':8080}"
#define B8081 "{'address':'10.0.1.1','port':8081}"
#define THREE_BES                                                              \
	"{'address':'10.0.1.1'},{'address':'10.0.1.2'},{'address':'10.0.1.3'}"
#define TWO_SAME "{'address':'10.0.1.1'},{'address':'10.0.1.1','port':0}"
#define NAT_TWO B8080 "," B8081
#define NAT_DUP B8080 "," B8081 "," B8080
#define VXLAN SVC(",'forwarding':'encap','encap':'vxlan'")

static void test_refuse_size(void)
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

static void test_refuse_depth(void)
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

static void test_refuse_json(void)
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

static void test_refuse_node(void)
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

static void test_refuse_service_fields(void)
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

static void test_refuse_service_numbers(void)
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

static void test_refuse_service_modes(void)
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

static void test_refuse_service_clashes(void)
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

static void test_refuse_clashes_at_scale(void)
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
static void test_clashes_match_pairwise(void)
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

static void test_refuse_service_count(void)
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

/* ------------------------------------------------------------------ */
/* Refusals: backends                                                   */

static void test_refuse_backend_fields(void)
{
	REFUSE(DOC(SVC(",'backends':{}")),
	       "services[0].backends: must be an array");
	REFUSE(DOC(SVC(",'backends':['10.0.1.1']")),
	       "services[0].backends[0]: must be an object, not a string");
	REFUSE(DOC(SVC_BE(",'foo':1")),
	       "services[0].backends[0]: unknown field \"foo\"");
	REFUSE(DOC(SVC_BE(",'weight':1,'weight':2")),
	       "services[0].backends[0]: duplicate field \"weight\"");
	REFUSE(DOC(SVC(",'backends':[{'port':80}]")),
	       "services[0].backends[0].address: required");
	REFUSE(DOC(SVC(",'backends':[{'address':'10.0.1'}]")),
	       "services[0].backends[0].address: not an IPv4 or IPv6 address");
	REFUSE(DOC(SVC("") "," SVC("") "," SVC_BE(",'weight':65536")),
	       "services[2].backends[0].weight: must be 0..65535");
	REFUSE(DOC(SVC_BE(",'weight':1.5")),
	       "services[0].backends[0].weight: must be an integer 0..65535");
	REFUSE(DOC(SVC_BE(",'weight':true")),
	       "services[0].backends[0].weight: must be an integer 0..65535, "
	       "not a boolean");
	REFUSE(DOC(SVC_BE(",'port':70000")),
	       "services[0].backends[0].port: must be 0..65535");
	REFUSE(DOC(SVC_BE(",'state':'up!'")),
	       "services[0].backends[0].state: must be one of \"up\", "
	       "\"down\", \"drain\"");
	REFUSE(DOC(SVC_BE(",'mac':'02:00:00:00:00'")),
	       "services[0].backends[0].mac: must be a MAC address");
	REFUSE(DOC(SVC_BE(",'mac':'02-00-00-00-00-01'")),
	       "services[0].backends[0].mac: must be a MAC address");
	REFUSE(DOC(SVC_BE(",'mac':'0g:00:00:00:00:01'")),
	       "services[0].backends[0].mac: must be a MAC address");
	REFUSE(DOC(SVC_BE(",'mac':'01:00:5e:00:00:01'")),
	       "services[0].backends[0].mac: must be a unicast MAC address");
	REFUSE(DOC(SVC_BE(",'mac':'00:00:00:00:00:00'")),
	       "services[0].backends[0].mac: must be a unicast MAC address");
}

static void test_refuse_backend_rules(void)
{
	REFUSE(DOC(SVC(",'backends':[" TWO_SAME "]")),
	       "services[0].backends[1]: duplicate of backends[0]");
	REFUSE(DOC(SVC(",'forwarding':'nat','backends':[" NAT_DUP "]")),
	       "services[0].backends[2]: duplicate of backends[0]");
	ACCEPT(DOC(SVC(",'forwarding':'nat','backends':[" NAT_TWO "]")));
	REFUSE(DOC(SVC(",'backends':[{'address':'fd00::11'}]")),
	       "services[0].backends[0].address: IPv6 backend for an IPv4 VIP");
	REFUSE(DOC(SVC(",'forwarding':'nat','backends':[{'address':'fd00::11'}"
		       "]")),
	       "services[0].backends[0].address: IPv6 backend for an IPv4 VIP");
	REFUSE("{'node':{'encap_source_v4':'10.9.9.9','encap_source_v6':"
	       "'fd00::9'},'services':[" SVC(",'forwarding':'encap','backends':"
					     "[{'address':'fd00::11'}]") "]}",
	       "services[0].backends[0].address: IPv6 backend for an IPv4 VIP");
	REFUSE(DOC(SVC(",'backends':[{'address':'10.0.0.1'}]")),
	       "services[0].backends[0].address: must not be the VIP");
	REFUSE(DOC(SVC_BE(",'port':8080")), "services[0].backends[0].port: "
					    "must be 0 or the service port 80");
	ACCEPT(DOC(SVC_BE(",'port':80")));
	ACCEPT(DOC(SVC(",'forwarding':'nat','backends':[" B8080 "]")));
	REFUSE(DOC(SVC_BE(",'address':'10.0.1.2'")),
	       "services[0].backends[0]: duplicate field \"address\"");
}

/* 32768 backends in one service are fine; one more anywhere is not. */
static void test_refuse_backend_count(void)
{
	struct sbuf b = { 0 };
	uint32_t i;

	sb_printf(&b, "{'services':[{'name':'big','vip':'10.255.0.1','port':80,"
		      "'protocol':'tcp','backends':[");
	for (i = 0; i < EP_MAX_BACKENDS; i++)
		sb_printf(&b, "%s{'address':'10.%u.%u.1'}", i ? "," : "",
			  i / 256, i % 256);
	sb_printf(&b, "]}]}");
	ACCEPT(b.p);
	b.len -= 2;
	sb_printf(&b,
		  ",{'name':'one','vip':'10.255.0.2','port':80,"
		  "'protocol':'tcp','backends':[{'address':'10.0.0.9'}]}]}");
	REFUSE(b.p, "services[1].backends: more than 32768 backends in all "
		    "services");
	free(b.p);
}

/* ------------------------------------------------------------------ */
/* Refusals: api                                                        */

#define API(x) "{'api':" x "}"
#define LO "{'address':'127.0.0.1','port':8080}"
#define TLS_OK "'tls':{'certificate':'/c','private_key':'/k'}"

static void test_refuse_api(void)
{
	REFUSE(API("[]"), "api: must be an object");
	REFUSE(API("{'listeners':[" LO "],'x':1}"), "api: unknown field \"x\"");
	REFUSE(API("{}"), "api.listeners: required");
	REFUSE(API("{'listeners':[]}"), "api.listeners: must list 1..8");
	REFUSE(API("{'listeners':[" LO "," LO "," LO "," LO "," LO "," LO "," LO
		   "," LO "," LO "]}"),
	       "api.listeners: at most 8 entries");
	REFUSE(API("{'listeners':[{'address':'0.0.0.0','port':8080}]}"),
	       "api.listeners[0].tls: must be true on 0.0.0.0");
	REFUSE(API("{'listeners':[{'address':'10.0.0.1','port':80,"
		   "'tls':false}]}"),
	       "api.listeners[0].tls: must be true on 10.0.0.1");
	REFUSE(API("{'listeners':[" LO ",{'address':'::','port':8443,"
		   "'tls':true}]}"),
	       "api.listeners[1].tls: needs api.tls.certificate");
	REFUSE(API("{'listeners':[{'address':'127.0.0.1','port':0}]}"),
	       "api.listeners[0].port: must be 1..65535");
	REFUSE(API("{'listeners':[{'address':'127.0.0.1'}]}"),
	       "api.listeners[0].port: required");
	REFUSE(API("{'listeners':[{'address':'127.0.0.1','port':1,'tls':1}]}"),
	       "api.listeners[0].tls: must be true or false");
	REFUSE(API("{'listeners':[{'unix':'/run/a','address':'127.0.0.1'}]}"),
	       "api.listeners[0].address: not valid with \"unix\"");
	REFUSE(API("{'listeners':[{'unix':'/run/a','tls':false}]}"),
	       "api.listeners[0].tls: not valid with \"unix\"");
	REFUSE(API("{'listeners':[{'unix':'run/a'}]}"),
	       "api.listeners[0].unix: must be an absolute path");
	REFUSE(API("{'listeners':[" LO "," LO "]}"),
	       "api.listeners[1]: same address and port as api.listeners[0]");
	REFUSE(API("{'listeners':[{'address':'0.0.0.0','port':8443,'tls':true}"
		   ",{'address':'10.1.1.1','port':8443,'tls':true}]," TLS_OK
		   "}"),
	       "api.listeners[1]: same address and port");
	REFUSE(API("{'listeners':[{'unix':'/a'},{'unix':'/a'}]}"),
	       "api.listeners[1]: same address and port");
	REFUSE(API("{'listeners':[" LO "],'tls':{'private_key':'/k'}}"),
	       "api.tls.certificate: required");
	REFUSE(API("{'listeners':[" LO "],'tls':{'certificate':'/c'}}"),
	       "api.tls.private_key: required");
	REFUSE(API("{'listeners':[" LO
		   "],'tls':{'certificate':'','private_key':"
		   "'/k'}}"),
	       "api.tls.certificate: must be 1..255 characters");
	REFUSE(API("{'listeners':[" LO
		   "],'tls':{'certificate':'/c','private_key':"
		   "'/k','crl':'/x'}}"),
	       "api.tls: unknown field \"crl\"");
	REFUSE(API("{'listeners':[" LO
		   "],'tls':{'certificate':'/c','private_key':"
		   "'/k','admin_subjects':['CN=a']}}"),
	       "api.tls.admin_subjects: needs api.tls.client_ca");
	REFUSE(API("{'listeners':[" LO
		   "],'tls':{'certificate':'/c','private_key':"
		   "'/k','client_ca':'/ca','reader_subjects':[7]}}"),
	       "api.tls.reader_subjects[0]: must be a string");
	REFUSE(API("{'listeners':[" LO
		   "],'tls':{'certificate':'/c','private_key':"
		   "'/k','client_ca':'/"
		   "ca','admin_subjects':['a','a','a','a','a',"
		   "'a','a','a','a','a','a','a','a','a','a','a','a']}}"),
	       "api.tls.admin_subjects: at most 16 entries");
	ACCEPT(API("{'listeners':[{'address':'::1','port':80},{'address':"
		   "'127.9.9.9','port':80},{'unix':'/a'}]}"));
}

/* ------------------------------------------------------------------ */
/* Acceptance                                                           */

static void test_defaults(void)
{
	struct config_error err = { "" };
	struct ep_config cfg;
	const struct config_backend *b;
	const struct config_service *s;

	CHECK(parse_sq("{}", &cfg, &err) == 0);
	CHECK(cfg.n_services == 0 && cfg.node.n_addrs == 0);
	CHECK(cfg.node.gue_port == 6080 && cfg.node.backend_port == 0);
	CHECK(!cfg.api.present && cfg.node.encap_src4.family == 0);
	CHECK(cfg.node.maglev_rebuild == CONFIG_MAGLEV_MINIMAL);
	config_free(&cfg);

	CHECK(parse_sq("{'node':{'gue_port':1}}", &cfg, &err) == 0);
	CHECK(cfg.node.maglev_rebuild == CONFIG_MAGLEV_MINIMAL);
	config_free(&cfg);
	CHECK(parse_sq("{'node':{'maglev_rebuild':'minimal'}}", &cfg, &err) ==
	      0);
	CHECK(cfg.node.maglev_rebuild == CONFIG_MAGLEV_MINIMAL);
	config_free(&cfg);
	CHECK(parse_sq("{'node':{'maglev_rebuild':'fresh'}}", &cfg, &err) == 0);
	CHECK(cfg.node.maglev_rebuild == CONFIG_MAGLEV_FRESH);
	config_free(&cfg);

	CHECK(parse_sq(" \n" DOC(SVC_BE("")) "\r\n\t ", &cfg, &err) == 0);
	s = &cfg.services[0];
	CHECK(strcmp(s->name, "web") == 0 && s->port == 80);
	CHECK(s->proto == 6 && s->fwd == EP_FWD_DSR);
	CHECK(s->sched == EP_SCHED_MAGLEV && s->encap == CONFIG_ENCAP_IPIP);
	CHECK(s->affinity == CONFIG_AFFINITY_NONE);
	CHECK(s->maglev_size == EP_MAGLEV_DEFAULT_SIZE);
	CHECK(s->vip.family == EP_AF_INET && s->vip.bytes[0] == 10 &&
	      s->vip.bytes[3] == 1);
	b = &s->backends[0];
	CHECK(s->n_backends == 1 && b->port == 0 && b->weight == 1);
	CHECK(b->state == EP_BE_UP && !b->has_mac);
	config_free(&cfg);
}

static void test_lab(void)
{
	struct ep_config cfg;
	const struct config_service *s;
	uint32_t i;

	if (load_sample("configs/lab.json", &cfg) != 0)
		return;
	CHECK(cfg.node.n_addrs == 2 && cfg.node.addrs[0].port_id == 0);
	CHECK(cfg.node.addrs[1].addr.family == EP_AF_INET6);
	CHECK(cfg.node.encap_src4.family == EP_AF_INET &&
	      cfg.node.encap_src4.bytes[3] == 1);
	CHECK(cfg.n_services == 3);
	s = &cfg.services[0];
	CHECK(strcmp(s->name, "web-dsr") == 0 && s->fwd == EP_FWD_DSR);
	CHECK(s->vip.bytes[2] == 100 && s->vip.bytes[3] == 1 && s->port == 80);
	for (i = 0; i < 3; i++)
		CHECK(s->backends[i].port == 0 &&
		      s->backends[i].addr.bytes[3] == 11 + i);
	s = &cfg.services[1];
	CHECK(strcmp(s->name, "web-nat") == 0 && s->fwd == EP_FWD_NAT);
	CHECK(s->n_backends == 3 && s->backends[0].port == 80);
	s = &cfg.services[2];
	CHECK(strcmp(s->name, "web6-dsr") == 0 &&
	      s->vip.family == EP_AF_INET6 && s->n_backends == 3);
	CHECK(s->backends[2].addr.family == EP_AF_INET6 &&
	      s->backends[2].addr.bytes[15] == 0x13);
	CHECK(cfg.api.present && cfg.api.n_listeners == 2 && !cfg.api.has_tls);
	CHECK(!cfg.api.listeners[0].tls && cfg.api.listeners[0].port == 8080);
	CHECK(cfg.api.listeners[1].is_unix &&
	      strcmp(cfg.api.listeners[1].unix_path,
		     "/run/edgepath/api.sock") == 0);
	config_free(&cfg);
}

static void test_full_example(void)
{
	struct ep_config cfg;
	const struct config_service *s;

	if (load_sample("configs/example-full.json", &cfg) != 0)
		return;
	CHECK(cfg.node.backend_port == 1 && cfg.node.gue_port == 6081);
	CHECK(cfg.node.encap_src6.family == EP_AF_INET6);
	CHECK(cfg.node.maglev_rebuild == CONFIG_MAGLEV_FRESH);
	CHECK(cfg.n_services == 5);
	s = &cfg.services[0];
	CHECK(s->affinity == CONFIG_AFFINITY_SOURCE_IP);
	CHECK(s->backends[0].has_mac && s->backends[0].mac[5] == 0x21);
	CHECK(s->backends[1].state == EP_BE_DRAIN &&
	      s->backends[2].state == EP_BE_DOWN);
	CHECK(cfg.services[1].sched == EP_SCHED_WRR &&
	      cfg.services[1].maglev_size == 251);
	CHECK(cfg.services[2].port == 0 && cfg.services[2].proto == 17);
	CHECK(cfg.services[3].encap == CONFIG_ENCAP_GUE &&
	      cfg.services[3].sched == EP_SCHED_LC);
	CHECK(cfg.services[4].n_backends == 0);
	CHECK(cfg.api.n_listeners == 3 && cfg.api.listeners[1].tls);
	CHECK(cfg.api.has_tls && cfg.api.n_admin_subjects == 1 &&
	      cfg.api.n_reader_subjects == 2);
	CHECK(strcmp(cfg.api.client_ca, "/etc/edgepath/clients-ca.crt") == 0);
	config_free(&cfg);
}

/* ------------------------------------------------------------------ */
/* Round trips                                                          */

/* config_to_json() writes what cJSON_PrintUnformatted() would for the
 * same tree, byte for byte (it used to build one): files persisted and
 * answers to GET /v1/config stay the same. */
static void check_json_is_cjson(const char *text, const char *what)
{
	cJSON *tree = cJSON_Parse(text);
	char *printed = tree != NULL ? cJSON_PrintUnformatted(tree) : NULL;

	CHECK_MSG(printed != NULL && strcmp(text, printed) == 0,
		  "%s: canonical JSON differs from cJSON's printing:\n%s\n%s",
		  what, text, printed ? printed : "(null)");
	free(printed);
	cJSON_Delete(tree);
}

static void check_json_roundtrip(const struct ep_config *cfg, const char *what)
{
	struct config_error err = { "" };
	struct ep_config back;
	char *text = config_to_json(cfg), *again;

	CHECK(text != NULL);
	if (text == NULL)
		return;
	CHECK_MSG(config_parse(text, strlen(text), &back, &err) == 0,
		  "%s: canonical JSON refused: %s", what, err.msg);
	CHECK_MSG(config_equal(cfg, &back), "%s: JSON round trip differs",
		  what);
	again = config_to_json(&back);
	CHECK_MSG(again != NULL && strcmp(text, again) == 0,
		  "%s: canonical JSON is not a fixed point", what);
	free(again);
	check_json_is_cjson(text, what);
	free(text);
	config_free(&back);
}

/* to_flat then from_flat gives the same services, backends and node
 * (the api section has no flat form), and the same bytes again. */
static void check_flat_roundtrip(const struct ep_config *cfg, const char *what)
{
	struct config_error err = { "" };
	struct ep_config back, want;
	size_t len = 0, len2 = 0;
	void *buf = flat_of(cfg, NULL, &len), *buf2;

	CHECK(len == config_flat_size(cfg) && hdr_get(buf).version == 7);
	CHECK_MSG(config_from_flat(buf, len, &back, &err) == 0,
		  "%s: from_flat: %s", what, err.msg);
	CHECK(config_copy(&want, cfg) == 0);
	memset(&want.api, 0, sizeof(want.api));
	CHECK_MSG(config_equal(&want, &back), "%s: flat round trip differs",
		  what);
	buf2 = flat_of(&back, NULL, &len2);
	CHECK(len2 == len && memcmp(buf, buf2, len) == 0);
	free(buf2);
	free(buf);
	config_free(&back);
	config_free(&want);
}

/* Parse `doc` and check its JSON round trip. */
static void accept_json(const char *doc, const char *what)
{
	struct config_error err = { "" };
	struct ep_config cfg;

	CHECK_MSG(config_parse(doc, strlen(doc), &cfg, &err) == 0,
		  "%s: refused: %s", what, err.msg);
	if (err.msg[0] != '\0')
		return;
	check_json_roundtrip(&cfg, what);
	config_free(&cfg);
}

static void test_roundtrips(void)
{
	static const char *const samples[] = { "configs/lab.json",
					       "configs/example-full.json" };
	struct ep_config cfg;
	size_t i;

	for (i = 0; i < 2; i++) {
		if (load_sample(samples[i], &cfg) != 0)
			continue;
		check_json_roundtrip(&cfg, samples[i]);
		check_flat_roundtrip(&cfg, samples[i]);
		config_free(&cfg);
	}
	memset(&cfg, 0, sizeof(cfg));
	cfg.node.gue_port = 6080;
	check_json_roundtrip(&cfg, "empty");
	check_flat_roundtrip(&cfg, "empty");
	/* Strings that need escaping (quote, backslash; UTF-8 stays). */
	accept_json(
		"{\"api\":{\"listeners\":[{\"unix\":\"/run/a \\\"b\\\\c\\/d \\u"
		"00e9\"},{\"address\":\"::\",\"port\":1,\"tls\":true}],\"tls\""
		":{\"certificate\":\"/c\\\\\\\\x\",\"private_key\":\"/k\\\"\""
		",\"client_ca\":\"/ca\",\"admin_subjects\":[\"CN=\\\"q\\\",O="
		"x\",\"\\u00fc\\u4e2d\"],\"reader_subjects\":[]}},\"node\":{\""
		"addresses\":[{\"address\":\"10.0.0.1\",\"port\":3}],\"encap_"
		"source_v6\":\"fd00::1\"}}",
		"escapes");
}

/* node.maglev_rebuild: canonical JSON writes it (default too), the flat
 * form carries it as EP_NODE_F_MAGLEV_FRESH and reads it back. */
static void test_maglev_rebuild(void)
{
#define NODE_DOC(node) "{'node':{" node "},'services':[" SVC_BE("") "]}"
	static const char *const docs[] = {
		NODE_DOC("'maglev_rebuild':'minimal'"),
		NODE_DOC("'maglev_rebuild':'fresh'"),
	};
#undef NODE_DOC
	static const char *const want_json[] = {
		"\"maglev_rebuild\":\"minimal\"",
		"\"maglev_rebuild\":\"fresh\"",
	};
	struct config_error err = { "" };
	struct ep_config cfg, back;
	size_t len = 0;
	char *text;
	void *buf;
	int i;

	for (i = 0; i < 2; i++) {
		CHECK_MSG(parse_sq(docs[i], &cfg, &err) == 0, "%s", err.msg);
		CHECK(cfg.node.maglev_rebuild ==
		      (i ? CONFIG_MAGLEV_FRESH : CONFIG_MAGLEV_MINIMAL));
		text = config_to_json(&cfg);
		CHECK_MSG(text != NULL && strstr(text, want_json[i]) != NULL,
			  "canonical JSON lacks %s: %s", want_json[i],
			  text ? text : "(null)");
		free(text);
		check_json_roundtrip(&cfg, docs[i]);
		check_flat_roundtrip(&cfg, docs[i]);
		buf = flat_of(&cfg, NULL, &len);
		CHECK(hdr_get(buf).node.flags ==
		      (i ? EP_NODE_F_MAGLEV_FRESH : 0u));
		CHECK_MSG(config_from_flat(buf, len, &back, &err) == 0, "%s",
			  err.msg);
		CHECK(back.node.maglev_rebuild == cfg.node.maglev_rebuild);
		config_free(&back);
		free(buf);
		config_free(&cfg);
	}
	/* A canonical document without the field still parses (default). */
	CHECK(parse_sq("{'node':{}}", &cfg, &err) == 0);
	text = config_to_json(&cfg);
	CHECK(text != NULL && strstr(text, want_json[0]) != NULL);
	free(text);
	config_free(&cfg);
}

static void test_copy_equal(void)
{
	struct ep_config a, b;

	if (load_sample("configs/example-full.json", &a) != 0)
		return;
	CHECK(config_copy(&b, &a) == 0 && config_equal(&a, &b));
	b.services[0].backends[1].weight++;
	CHECK(!config_equal(&a, &b));
	b.services[0].backends[1].weight--;
	strcpy(b.api.reader_subjects[1], "CN=other");
	CHECK(!config_equal(&a, &b));
	config_free(&b);
	CHECK(config_copy(&b, &a) == 0);
	b.node.gue_port = 1;
	CHECK(!config_equal(&a, &b));
	config_free(&b);
	CHECK(config_copy(&b, &a) == 0 &&
	      b.node.maglev_rebuild == a.node.maglev_rebuild);
	b.node.maglev_rebuild = CONFIG_MAGLEV_MINIMAL;
	CHECK(a.node.maglev_rebuild == CONFIG_MAGLEV_FRESH &&
	      !config_equal(&a, &b));
	config_free(&b);
	config_free(&a);
}

/* Configs built by code get the same rules through config_validate(). */
static void test_validate_in_memory(void)
{
	struct config_error err = { "" };
	struct ep_config cfg;

	if (load_sample("configs/lab.json", &cfg) != 0)
		return;
	CHECK(config_validate(&cfg, &err) == 0);
	cfg.services[1].fwd = (enum ep_fwd_mode)9;
	CHECK(config_validate(&cfg, &err) == -EINVAL &&
	      starts_with(err.msg, "services[1].forwarding: "));
	cfg.services[1].fwd = EP_FWD_NAT;
	cfg.services[2].backends[1].state = (enum ep_backend_state)3;
	CHECK(config_validate(&cfg, &err) == -EINVAL &&
	      starts_with(err.msg, "services[2].backends[1].state: "));
	cfg.services[2].backends[1].state = EP_BE_UP;
	memcpy(cfg.services[0].name, "web-nat", 8);
	CHECK(config_validate(&cfg, &err) == -EINVAL &&
	      starts_with(
		      err.msg,
		      "services[1].name: duplicate service name \"web-nat\""));
	memset(cfg.services[0].name, 'a', EP_NAME_LEN); /* no NUL */
	CHECK(config_validate(&cfg, &err) == -EINVAL &&
	      starts_with(err.msg, "services[0].name: "));
	memcpy(cfg.services[0].name, "web-dsr", 8);
	cfg.node.maglev_rebuild = (enum config_maglev_rebuild)2;
	CHECK(config_validate(&cfg, &err) == -EINVAL &&
	      strcmp(err.msg, "node.maglev_rebuild: must be \"minimal\" or "
			      "\"fresh\"") == 0);
	cfg.node.maglev_rebuild = CONFIG_MAGLEV_FRESH;
	CHECK_MSG(config_validate(&cfg, &err) == 0, "%s", err.msg);
	cfg.api.listeners[0].port = 0;
	CHECK(config_validate(&cfg, &err) == -EINVAL &&
	      starts_with(err.msg, "api.listeners[0].port: "));
	config_free(&cfg);
}

/* ------------------------------------------------------------------ */
/* Untrusted flat buffers                                               */

/* from_flat must refuse `buf` with a message starting with `prefix`. */
#define FLAT_REFUSE(buf, len, prefix) flat_refuse(buf, len, prefix, __LINE__)

static void flat_refuse(const void *buf, size_t len, const char *prefix,
			int line)
{
	struct config_error err = { "" };
	struct ep_config cfg;
	int rc = config_from_flat(buf, len, &cfg, &err);

	CHECK_MSG(rc == -EINVAL && starts_with(err.msg, prefix),
		  "line %d: rc %d, message \"%s\", expected \"%s...\"", line,
		  rc, err.msg, prefix);
	if (rc == 0)
		config_free(&cfg);
}

static void test_flat_truncated(const void *good, size_t len)
{
	struct config_error err = { "" };
	struct ep_config cfg;
	size_t n, refused = 0;
	void *cut;

	for (n = 0; n < len; n++) {
		cut = malloc(n + 1); /* malloc(0) may return NULL */
		memcpy(cut, good, n);
		if (config_from_flat(cut, n, &cfg, &err) == -EINVAL)
			refused++;
		else
			config_free(&cfg);
		free(cut);
	}
	CHECK_MSG(refused == len, "%zu of %zu truncations refused", refused,
		  len);
	/* Spare bytes after total_len are fine (the staging area is larger). */
	cut = calloc(1, len + 64);
	memcpy(cut, good, len);
	CHECK(config_from_flat(cut, len + 64, &cfg, &err) == 0);
	config_free(&cfg);
	free(cut);
	CHECK(config_from_flat(NULL, 0, &cfg, &err) == -EINVAL);
}

static void test_flat_header(void *buf, size_t len)
{
	struct ep_cfg_hdr good = hdr_get(buf), h;

	h = good, h.magic ^= 1, hdr_put(buf, &h);
	FLAT_REFUSE(buf, len, "flat.magic: ");
	h = good, h.abi_version++, hdr_put(buf, &h);
	FLAT_REFUSE(buf, len, "flat.abi_version: ");
	h = good, h.total_len = (uint32_t)len + 1, hdr_put(buf, &h);
	FLAT_REFUSE(buf, len, "flat.total_len: ");
	h = good, h.total_len = 10, hdr_put(buf, &h);
	FLAT_REFUSE(buf, len, "flat.total_len: ");
	h = good, h.off_services = (uint32_t)len, hdr_put(buf, &h);
	FLAT_REFUSE(buf, len, "flat.off_services: ");
	h = good, h.off_backends = UINT32_MAX - 3, hdr_put(buf, &h);
	FLAT_REFUSE(buf, len, "flat.off_backends: ");
	h = good, h.off_backends += 2, hdr_put(buf, &h); /* misaligned */
	FLAT_REFUSE(buf, len, "flat.off_backends: ");
	h = good, h.off_node_addrs = 8, hdr_put(buf, &h); /* in the header */
	FLAT_REFUSE(buf, len, "flat.off_node_addrs: ");
	h = good, h.n_services = 100, hdr_put(buf, &h); /* beyond buffer */
	FLAT_REFUSE(buf, len, "flat.off_services: ");
	h = good, h.n_backends = EP_MAX_BACKENDS + 1, hdr_put(buf, &h);
	FLAT_REFUSE(buf, len, "flat: counts ");
	h = good, h.n_node_addrs = UINT32_MAX, hdr_put(buf, &h);
	FLAT_REFUSE(buf, len, "flat: counts ");
	h = good, h.off_backends = h.off_services, hdr_put(buf, &h);
	FLAT_REFUSE(buf, len, "flat: services and backends overlap");
	h = good, h.n_backends--, hdr_put(buf, &h);
	FLAT_REFUSE(buf, len, "flat.services[2]: backends ");
	h = good, h.node.flags = 4, hdr_put(buf, &h);
	FLAT_REFUSE(buf, len, "flat.node.flags: ");
	h = good, h.node.flags = EP_NODE_F_MAGLEV_FRESH | 2u, hdr_put(buf, &h);
	FLAT_REFUSE(buf, len, "flat.node.flags: unknown bits 0x2");
	h = good, h.node.flags = 0x80000000u, hdr_put(buf, &h);
	FLAT_REFUSE(buf, len, "flat.node.flags: unknown bits 0x80000000");
	h = good, h.node.encap_src4.bytes[8] = 1, hdr_put(buf, &h);
	FLAT_REFUSE(buf, len, "flat.node: ");
	h = good, h.node.encap_src4.family = EP_AF_INET6, hdr_put(buf, &h);
	FLAT_REFUSE(buf, len, "node.encap_source_v4: must be an IPv4");
	h = good, h.node.gue_port = 0, hdr_put(buf, &h);
	FLAT_REFUSE(buf, len, "node.gue_port: ");
	hdr_put(buf, &good);
}

/* Each case breaks service 1 (of the lab's three) and restores it. */
static void test_flat_services(void *buf, size_t len)
{
	struct ep_cfg_service good = svc_get(buf, 1), s;

	s = good, s.fwd_mode = 0, svc_put(buf, 1, &s);
	FLAT_REFUSE(buf, len, "flat.services[1]: ");
	s = good, s.fwd_mode = 4, svc_put(buf, 1, &s);
	FLAT_REFUSE(buf, len, "flat.services[1]: ");
	s = good, s.sched = 5, svc_put(buf, 1, &s);
	FLAT_REFUSE(buf, len, "flat.services[1]: ");
	s = good, s.proto = 1, svc_put(buf, 1, &s);
	FLAT_REFUSE(buf, len, "flat.services[1]: ");
	s = good, s.flags = 0x80, svc_put(buf, 1, &s);
	FLAT_REFUSE(buf, len, "flat.services[1].flags: ");
	s = good, s.flags = EP_SVC_F_GUE, svc_put(buf, 1, &s); /* nat */
	FLAT_REFUSE(buf, len, "flat.services[1].flags: ");
	s = good, memset(s.name, 'a', EP_NAME_LEN), svc_put(buf, 1, &s);
	FLAT_REFUSE(buf, len, "flat.services[1].name: not NUL-terminated");
	s = good, strcpy(s.name, "a b"), svc_put(buf, 1, &s);
	FLAT_REFUSE(buf, len, "services[1].name: must be 1..31");
	s = good, strcpy(s.name, "web-dsr"), svc_put(buf, 1, &s);
	FLAT_REFUSE(buf, len, "services[1].name: duplicate service name");
	s = good, s.vip.family = 5, svc_put(buf, 1, &s);
	FLAT_REFUSE(buf, len, "flat.services[1].vip: ");
	s = good, s.vip.bytes[15] = 1, svc_put(buf, 1, &s); /* IPv4 tail */
	FLAT_REFUSE(buf, len, "flat.services[1].vip: ");
	s = good, s.vip.pad[0] = 1, svc_put(buf, 1, &s);
	FLAT_REFUSE(buf, len, "flat.services[1].vip: ");
	s = good, s.stats_id = svc_get(buf, 0).stats_id, svc_put(buf, 1, &s);
	FLAT_REFUSE(buf, len, "flat.services[1].stats_id: ");
	s = good, s.stats_id = EP_MAX_SERVICES, svc_put(buf, 1, &s);
	FLAT_REFUSE(buf, len, "flat.services[1].stats_id: ");
	s = good, s.first_backend++, svc_put(buf, 1, &s);
	FLAT_REFUSE(buf, len, "flat.services[1]: backends ");
	s = good, s.n_backends = UINT32_MAX, svc_put(buf, 1, &s);
	FLAT_REFUSE(buf, len, "flat.services[1]: backends ");
	s = good, s.maglev_size = 4, svc_put(buf, 1, &s);
	FLAT_REFUSE(buf, len, "services[1].maglev_table_size: ");
	svc_put(buf, 1, &good);
}

static void test_flat_backends(void *buf, size_t len)
{
	struct ep_cfg_backend good = be_get(buf, 4), b;

	b = good, b.state = 3, be_put(buf, 4, &b);
	FLAT_REFUSE(buf, len, "flat.backends[4]: ");
	b = good, b.has_mac = 2, be_put(buf, 4, &b);
	FLAT_REFUSE(buf, len, "flat.backends[4]: ");
	b = good, b.stats_id = be_get(buf, 8).stats_id, be_put(buf, 4, &b);
	FLAT_REFUSE(buf, len, "flat.backends");
	b = good, b.stats_id = EP_MAX_BACKENDS, be_put(buf, 4, &b);
	FLAT_REFUSE(buf, len, "flat.backends[4].stats_id: ");
	b = good, b.addr.family = 0, be_put(buf, 4, &b);
	FLAT_REFUSE(buf, len, "flat.backends[4].addr: ");
	b = good, b.addr = be_get(buf, 3).addr, be_put(buf, 4, &b);
	FLAT_REFUSE(buf, len, "services[1].backends[1]: duplicate of");
	b = good, b.has_mac = 1, b.mac[0] = 1, be_put(buf, 4, &b);
	FLAT_REFUSE(buf, len, "services[1].backends[1].mac: ");
	be_put(buf, 4, &good);
}

static void test_flat_refuse(void)
{
	struct config_error err = { "" };
	struct ep_config cfg, back;
	struct ep_cfg_service s;
	size_t len = 0;
	void *buf;

	if (load_sample("configs/lab.json", &cfg) != 0)
		return;
	buf = flat_of(&cfg, NULL, &len);
	test_flat_truncated(buf, len);
	test_flat_header(buf, len);
	test_flat_services(buf, len);
	test_flat_backends(buf, len);
	/* Restored after every case; maglev_size 0 reads as the default. */
	s = svc_get(buf, 0);
	s.maglev_size = 0;
	svc_put(buf, 0, &s);
	CHECK_MSG(config_from_flat(buf, len, &back, &err) == 0, "%s", err.msg);
	CHECK(back.n_services == 3 &&
	      back.services[0].maglev_size == EP_MAGLEV_DEFAULT_SIZE);
	config_free(&back);
	free(buf);
	config_free(&cfg);
}

static void test_enospc(void)
{
	struct config_error err = { "" };
	struct ep_config cfg, back;
	size_t need, len = 0;
	char *buf;

	if (load_sample("configs/lab.json", &cfg) != 0)
		return;
	need = config_flat_size(&cfg);
	buf = malloc(need + 1); /* +1: unaligned start below */
	CHECK(config_to_flat(&cfg, 1, NULL, buf, need - 1, &len, &err) ==
		      -ENOSPC &&
	      len == need && starts_with(err.msg, "flat: needs "));
	CHECK(config_to_flat(&cfg, 1, NULL, NULL, 0, &len, &err) == -ENOSPC);
	CHECK(config_to_flat(&cfg, 1, NULL, buf + 1, need, &len, &err) == 0);
	CHECK(config_from_flat(buf + 1, need, &back, &err) == 0 &&
	      back.n_services == 3);
	free(buf);
	config_free(&back);
	config_free(&cfg);
}

/* ------------------------------------------------------------------ */
/* Stable stats ids                                                     */

/* Services named by `names` (NULL-terminated), each on its own port of
 * one VIP with backends 10.1.<i>.1 and .2. */
static void build(struct ep_config *cfg, const char *const *names)
{
	struct config_service *s;
	uint32_t i, j, n = 0;

	while (names[n] != NULL)
		n++;
	memset(cfg, 0, sizeof(*cfg));
	cfg->node.gue_port = CONFIG_GUE_PORT_DEFAULT;
	cfg->n_services = n;
	cfg->services = calloc(n + 1, sizeof(*cfg->services));
	for (i = 0; i < n; i++) {
		s = &cfg->services[i];
		snprintf(s->name, sizeof(s->name), "%s", names[i]);
		s->vip.family = EP_AF_INET;
		s->vip.bytes[0] = 10;
		s->vip.bytes[3] = 1;
		s->port = (uint16_t)(1000 + i);
		s->proto = 6;
		s->fwd = EP_FWD_NAT;
		s->sched = EP_SCHED_MAGLEV;
		s->maglev_size = EP_MAGLEV_DEFAULT_SIZE;
		s->n_backends = 2;
		s->backends = calloc(2, sizeof(*s->backends));
		for (j = 0; j < 2; j++) {
			s->backends[j].addr.family = EP_AF_INET;
			s->backends[j].addr.bytes[0] = 10;
			s->backends[j].addr.bytes[1] = 1;
			s->backends[j].addr.bytes[2] = (uint8_t)(names[i][0]);
			s->backends[j].addr.bytes[3] = (uint8_t)(j + 1);
			s->backends[j].port = 8080;
			s->backends[j].weight = 1;
		}
	}
}

/* Service `name`'s stats id in `buf` and its backends' ids in `be`. */
static uint32_t ids_of(const void *buf, const char *name, uint32_t be[2])
{
	struct ep_cfg_hdr h = hdr_get(buf);
	struct ep_cfg_service s;
	uint32_t i, j;

	for (i = 0; i < h.n_services; i++) {
		s = svc_get(buf, i);
		if (strcmp(s.name, name) != 0)
			continue;
		for (j = 0; j < 2 && j < s.n_backends; j++)
			be[j] = be_get(buf, s.first_backend + j).stats_id;
		return s.stats_id;
	}
	return UINT32_MAX;
}

/* to_flat + commit, as the slow path does once the fast path accepts. */
static void *publish(struct config_ids *ids, const struct ep_config *cfg,
		     size_t *len)
{
	struct config_error err = { "" };
	void *buf = flat_of(cfg, ids, len);

	CHECK_MSG(config_ids_commit(ids, buf, *len, &err) == 0, "%s", err.msg);
	return buf;
}

static void test_ids_stable(void)
{
	static const char *const a[] = { "a", "b", "c", "d", "e", NULL };
	static const char *const b[] = { "a", "b", "d", "e", "f", NULL };
	static const char *const c[] = { "f", "e", "d", "b", "a", "g", NULL };
	struct config_ids *ids = config_ids_create();
	struct ep_config cfg;
	uint32_t be[2], be_c[2] = { 0 };
	size_t len;
	void *buf;

	build(&cfg, a);
	buf = publish(ids, &cfg, &len);
	CHECK(ids_of(buf, "a", be) == 0 && be[0] == 0 && be[1] == 1);
	CHECK(ids_of(buf, "c", be_c) == 2 && be_c[0] == 4 && be_c[1] == 5);
	CHECK(ids_of(buf, "e", be) == 4 && be[0] == 8 && be[1] == 9);
	free(buf);
	config_free(&cfg);

	/* "c" removed, "f" added: survivors keep ids, c's ids wait. */
	build(&cfg, b);
	buf = publish(ids, &cfg, &len);
	CHECK(ids_of(buf, "a", be) == 0 && be[0] == 0 && be[1] == 1);
	CHECK(ids_of(buf, "d", be) == 3 && be[0] == 6 && be[1] == 7);
	CHECK(ids_of(buf, "e", be) == 4 && be[0] == 8 && be[1] == 9);
	CHECK(ids_of(buf, "f", be) == 5 && be[0] == 10 && be[1] == 11);
	free(buf);
	config_free(&cfg);

	/* Reordered plus "g": order does not matter, 2 is still not reused. */
	build(&cfg, c);
	buf = publish(ids, &cfg, &len);
	CHECK(ids_of(buf, "f", be) == 5 && be[0] == 10);
	CHECK(ids_of(buf, "b", be) == 1 && be[0] == 2 && be[1] == 3);
	CHECK(ids_of(buf, "g", be) == 6 && be[0] == 12 && be[1] == 13);
	CHECK(be[0] != be_c[0] && be[1] != be_c[1]);
	free(buf);
	config_free(&cfg);
	config_ids_destroy(ids);
}

/* A backend keeps its id while its identity stays; another port or a
 * renamed service is a new identity. */
static void test_ids_identity(void)
{
	static const char *const a[] = { "a", "b", NULL };
	struct config_ids *ids = config_ids_create();
	struct ep_config cfg;
	uint32_t be[2];
	size_t len;
	void *buf;

	build(&cfg, a);
	free(publish(ids, &cfg, &len));
	cfg.services[0].backends[0].weight = 9;
	cfg.services[0].backends[0].state = EP_BE_DRAIN;
	cfg.services[0].backends[1].port = 9090;
	buf = flat_of(&cfg, ids, &len);
	CHECK(ids_of(buf, "a", be) == 0 && be[0] == 0 && be[1] == 4);
	free(buf);
	strcpy(cfg.services[1].name, "b2");
	buf = flat_of(&cfg, ids, &len);
	CHECK(ids_of(buf, "b2", be) == 2);
	free(buf);
	config_free(&cfg);
	config_ids_destroy(ids);
}

/* Failed translations and commits leave the allocator as it was; a fresh
 * allocator committed with the flat config in force recovers the ids. */
static void test_ids_no_mutation(void)
{
	static const char *const a[] = { "a", "b", "c", NULL };
	static const char *const b[] = { "b", "d", NULL };
	struct config_ids *ids = config_ids_create(), *ids2;
	struct config_error err = { "" };
	struct ep_config cfg;
	struct ep_cfg_service s;
	size_t len, len2;
	void *before, *after, *bad;
	char small[8];

	build(&cfg, a);
	free(publish(ids, &cfg, &len));
	config_free(&cfg);
	build(&cfg, b);
	before = flat_of(&cfg, ids, &len);
	/* Not committed: translating again gives the same ids. */
	after = flat_of(&cfg, ids, &len2);
	CHECK(len == len2 && memcmp(before, after, len) == 0);
	free(after);
	CHECK(config_to_flat(&cfg, 7, ids, small, sizeof(small), &len2, &err) ==
	      -ENOSPC);
	cfg.services[0].port = cfg.services[1].port; /* invalid: clash */
	CHECK(config_to_flat(&cfg, 7, ids, before, len, &len2, &err) ==
	      -EINVAL);
	cfg.services[0].port = 1000;
	bad = malloc(len);
	memcpy(bad, before, len);
	s = svc_get(bad, 0);
	s.stats_id = svc_get(bad, 1).stats_id;
	svc_put(bad, 0, &s);
	CHECK(config_ids_commit(ids, bad, len, &err) == -EINVAL);
	CHECK(config_ids_commit(ids, bad, 3, &err) == -EINVAL);
	after = flat_of(&cfg, ids, &len2);
	CHECK(len == len2 && memcmp(before, after, len) == 0);
	free(after);
	/* Commit "b", then recover its ids in a fresh allocator (the order
	 * of free ids is not recovered: it restarts ascending). */
	CHECK(config_ids_commit(ids, before, len, &err) == 0);
	ids2 = config_ids_create();
	CHECK(config_ids_commit(ids2, before, len, &err) == 0);
	free(before);
	before = flat_of(&cfg, ids, &len);
	after = flat_of(&cfg, ids2, &len2);
	CHECK(len == len2 && memcmp(before, after, len) == 0);
	free(before);
	free(after);
	free(bad);
	config_free(&cfg);
	config_ids_destroy(ids);
	config_ids_destroy(ids2);
}

/* A service with a new name each round, the old one removed: ids go
 * 0, 1, ... EP_MAX_SERVICES-1 and only then come back to 0. */
static void test_ids_fifo(void)
{
	struct config_ids *ids = config_ids_create();
	struct ep_config cfg;
	char name[16];
	const char *names[] = { name, NULL };
	uint32_t k, be[2], wrong = 0;
	size_t len;
	void *buf;

	for (k = 0; k < EP_MAX_SERVICES + 3; k++) {
		snprintf(name, sizeof(name), "s%u", k);
		build(&cfg, names);
		buf = publish(ids, &cfg, &len);
		if (ids_of(buf, name, be) != k % EP_MAX_SERVICES ||
		    be[0] != 2 * k || be[1] != 2 * k + 1)
			wrong++;
		free(buf);
		config_free(&cfg);
	}
	CHECK_MSG(wrong == 0, "%u rounds gave an unexpected id", wrong);
	config_ids_destroy(ids);
}

/* With every id in use, the only id left is the one just freed. */
static void test_ids_full(void)
{
	struct config_ids *ids = config_ids_create();
	struct ep_config cfg;
	struct config_service *s;
	uint32_t i, be[2];
	size_t len;
	void *buf;

	memset(&cfg, 0, sizeof(cfg));
	cfg.node.gue_port = CONFIG_GUE_PORT_DEFAULT;
	cfg.n_services = EP_MAX_SERVICES;
	cfg.services = calloc(EP_MAX_SERVICES, sizeof(*cfg.services));
	for (i = 0; i < EP_MAX_SERVICES; i++) {
		s = &cfg.services[i];
		snprintf(s->name, sizeof(s->name), "s%u", i);
		s->vip.family = EP_AF_INET;
		s->vip.bytes[0] = 10;
		s->vip.bytes[3] = 1;
		s->port = (uint16_t)(i + 1);
		s->proto = 6;
		s->fwd = EP_FWD_DSR;
		s->sched = EP_SCHED_RR;
		s->maglev_size = 7;
	}
	free(publish(ids, &cfg, &len));
	strcpy(cfg.services[5].name, "x");
	buf = flat_of(&cfg, ids, &len);
	CHECK(ids_of(buf, "x", be) == 5 && ids_of(buf, "s6", be) == 6);
	free(buf);
	config_free(&cfg);
	config_ids_destroy(ids);
}

/* ------------------------------------------------------------------ */
/* Scale: 1000 services x 10 backends                                   */

static void test_scale(void)
{
	struct config_ids *ids = config_ids_create();
	struct config_error err = { "" };
	struct ep_config cfg, back;
	struct sbuf b = { 0 };
	uint32_t i, j;
	size_t len;
	double t0, t_parse, t_flat, t_back, t_json;
	char *json;
	void *buf;

	sb_printf(&b, "{'node':{'addresses':[{'address':'10.99.0.1'}]},"
		      "'services':[");
	for (i = 0; i < 1000; i++) {
		sb_printf(&b,
			  "%s{'name':'svc-%u','vip':'10.100.%u.%u','port':80,"
			  "'protocol':'tcp','forwarding':'nat','backends':[",
			  i ? "," : "", i, i / 250, i % 250 + 1);
		for (j = 0; j < 10; j++)
			sb_printf(&b, "%s{'address':'10.%u.%u.%u','port':8080}",
				  j ? "," : "", 200 + j, i / 250, i % 250 + 1);
		sb_printf(&b, "]}");
	}
	sb_printf(&b, "]}");
	for (i = 0; i < b.len; i++)
		if (b.p[i] == '\'')
			b.p[i] = '"';
	t0 = now_ms();
	CHECK_MSG(config_parse(b.p, b.len, &cfg, &err) == 0, "%s", err.msg);
	t_parse = now_ms();
	len = config_flat_size(&cfg);
	buf = malloc(len);
	CHECK(config_to_flat(&cfg, 1, ids, buf, len, &len, &err) == 0);
	CHECK(config_ids_commit(ids, buf, len, &err) == 0);
	t_flat = now_ms();
	CHECK(config_from_flat(buf, len, &back, &err) == 0);
	t_back = now_ms();
	json = config_to_json(&cfg);
	t_json = now_ms();
	CHECK(json != NULL && back.n_services == 1000 &&
	      back.services[999].n_backends == 10);
	printf("config: 1000x10 (%zu JSON bytes, %zu flat): parse %.1f ms, "
	       "to_flat+commit %.1f ms, from_flat %.1f ms, to_json %.1f ms\n",
	       b.len, len, t_parse - t0, t_flat - t_parse, t_back - t_flat,
	       t_json - t_back);
	free(json);
	free(buf);
	free(b.p);
	config_free(&back);
	config_free(&cfg);
	config_ids_destroy(ids);
}

/* A reader subject holding `subj` (raw bytes), in a document with mTLS. */
#define SUBJ_DOC(subj)                                                         \
	API("{'listeners':[" LO "],'tls':{'certificate':'/c','private_key':"   \
	    "'/k','client_ca':'/ca','reader_subjects':['" subj "']}}")
#define SUBJ_PATH "api.tls.reader_subjects[0]"

/* RFC 3629: every string, keys included, must be valid UTF-8. */
static void test_refuse_utf8(void)
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
static void test_refuse_numbers(void)
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

/* services[].health_check: defaults, every field's rule, round trips. */
#define SVC_HC(hc) DOC(SVC(",'health_check':" hc ",'backends':[" BE("") "]"))

static void test_health_check(void)
{
	struct config_error err = { "" };
	struct ep_config cfg;
	const struct config_service *s;

	CHECK(parse_sq(SVC_HC("{'type':'tcp'}"), &cfg, &err) == 0);
	s = cfg.n_services ? &cfg.services[0] : NULL;
	CHECK(s != NULL && s->health.type == HEALTH_TCP);
	if (s != NULL) {
		CHECK(s->health.interval_ms == 1000 &&
		      s->health.timeout_ms == 1000);
		CHECK(s->health.rise == 2 && s->health.fall == 3);
		CHECK(s->panic_percent == 50 && s->health.port == 0);
		check_json_roundtrip(&cfg, "health tcp");
	}
	config_free(&cfg);
	CHECK(parse_sq(DOC(SVC("")), &cfg, &err) == 0);
	CHECK(cfg.services[0].health.type == HEALTH_NONE);
	config_free(&cfg);
	CHECK(parse_sq(SVC_HC("{'type':'http','interval_ms':500,'rise':1,"
			      "'fall':1,'path':'/ready?x=1',"
			      "'expect_status':'204','body_contains':'ok',"
			      "'panic_threshold_percent':0,'port':8080}"),
		       &cfg, &err) == 0);
	s = &cfg.services[0];
	CHECK_MSG(err.msg[0] == 0, "%s", err.msg);
	CHECK(s->health.type == HEALTH_HTTP && s->health.timeout_ms == 500);
	CHECK(s->health.status_min == 204 && s->health.status_max == 204);
	CHECK(strcmp(s->health.path, "/ready?x=1") == 0);
	CHECK(strcmp(s->health.body_contains, "ok") == 0);
	CHECK(s->panic_percent == 0 && s->health.port == 8080);
	check_json_roundtrip(&cfg, "health http");
	config_free(&cfg);
	accept_json("{\"services\":[{\"name\":\"a\",\"vip\":\"10.0.0.1\","
		    "\"port\":80,\"protocol\":\"tcp\",\"health_check\":"
		    "{\"type\":\"none\"}}]}",
		    "health none");

	REFUSE(SVC_HC("1"),
	       "services[0].health_check: must be an object, not a number");
	REFUSE(SVC_HC("{}"), "services[0].health_check.type: required");
	REFUSE(SVC_HC("{'type':'https'}"),
	       "services[0].health_check.type: must be one of");
	REFUSE(SVC_HC("{'type':'tcp','foo':1}"),
	       "services[0].health_check: unknown field \"foo\"");
	REFUSE(SVC_HC("{'type':'none','rise':1}"),
	       "services[0].health_check: \"type\": \"none\" takes no");
	REFUSE(SVC_HC("{'type':'tcp','interval_ms':99}"),
	       "services[0].health_check.interval_ms: must be 100..3600000");
	REFUSE(SVC_HC("{'type':'tcp','interval_ms':500,'timeout_ms':501}"),
	       "services[0].health_check.timeout_ms: must be 10..500");
	REFUSE(SVC_HC("{'type':'tcp','timeout_ms':9}"),
	       "services[0].health_check.timeout_ms: must be 10..1000");
	REFUSE(SVC_HC("{'type':'tcp','rise':0}"),
	       "services[0].health_check.rise: must be 1..100");
	REFUSE(SVC_HC("{'type':'tcp','fall':101}"),
	       "services[0].health_check.fall: must be 1..100");
	REFUSE(SVC_HC("{'type':'tcp','panic_threshold_percent':101}"),
	       "services[0].health_check.panic_threshold_percent: must be "
	       "0..100");
	REFUSE(SVC_HC("{'type':'tcp','path':'/'}"),
	       "services[0].health_check.path: only valid with \"type\": "
	       "\"http\"");
	REFUSE(SVC_HC("{'type':'tcp','expect_status':'200'}"),
	       "services[0].health_check.expect_status: only valid");
	REFUSE(SVC_HC("{'type':'http','path':'ready'}"),
	       "services[0].health_check.path: must start with '/'");
	REFUSE(SVC_HC("{'type':'http','path':'/a b'}"),
	       "services[0].health_check.path: must be printable ASCII");
	REFUSE(SVC_HC("{'type':'http','expect_status':'2xx'}"),
	       "services[0].health_check.expect_status: must be \"NNN\"");
	REFUSE(SVC_HC("{'type':'http','expect_status':'399-200'}"),
	       "services[0].health_check.expect_status: must be a range");
	REFUSE(SVC_HC("{'type':'http','expect_status':'099-200'}"),
	       "services[0].health_check.expect_status: must be a range");
	REFUSE(SVC_HC("{'type':'http','body_contains':''}"),
	       "services[0].health_check.body_contains: must be 1..63");
	REFUSE(DOC("{'name':'a','vip':'10.0.0.1','port':0,'protocol':'tcp',"
		   "'health_check':{'type':'tcp'},'backends':[" BE("") "]}"),
	       "services[0].health_check.port: required: the service and "
	       "backends[0] have port 0");
	CHECK(parse_sq(DOC("{'name':'a','vip':'10.0.0.1','port':0,"
			   "'protocol':'tcp','health_check':{'type':'tcp',"
			   "'port':22},'backends':[" BE("") "]}"),
		       &cfg, &err) == 0);
	config_free(&cfg);
}

int main(int argc, char **argv)
{
	if (argc > 1)
		source_root = argv[1];
	test_refuse_size();
	test_refuse_depth();
	test_refuse_json();
	test_refuse_utf8();
	test_refuse_numbers();
	test_refuse_node();
	test_refuse_service_fields();
	test_refuse_service_numbers();
	test_refuse_service_modes();
	test_refuse_service_clashes();
	test_refuse_clashes_at_scale();
	test_clashes_match_pairwise();
	test_refuse_service_count();
	test_refuse_backend_fields();
	test_refuse_backend_rules();
	test_refuse_backend_count();
	test_refuse_api();
	test_defaults();
	test_lab();
	test_full_example();
	test_roundtrips();
	test_maglev_rebuild();
	test_copy_equal();
	test_validate_in_memory();
	test_flat_refuse();
	test_enospc();
	test_ids_stable();
	test_ids_identity();
	test_ids_no_mutation();
	test_ids_fifo();
	test_ids_full();
	test_scale();
	test_health_check();
	return check_summary("config");
}
