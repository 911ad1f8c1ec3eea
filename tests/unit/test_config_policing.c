/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for the policing part of the configuration
 * (slowpath/config_policing.c through config.c): limits and access lists
 * parsed with defaults, every refusal naming its field, canonical JSON
 * that parses back equal, the flat form (limits, rules with their scopes)
 * read back equal, copies and comparisons.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "check.h"
#include "config.h"
#include "config_policing.h"
#include "ep_abi.h"

#define DOC_HEAD                                                               \
	"{\"node\":{\"addresses\":[{\"address\":\"10.0.0.1\",\"port\":0}],"    \
	"\"backend_port\":0},\"services\":["
#define SVC(name, vip, extra)                                                  \
	"{\"name\":\"" name "\",\"vip\":\"" vip "\",\"port\":80,"              \
	"\"protocol\":\"tcp\"" extra ",\"backends\":[{\"address\":"            \
	"\"10.0.0.11\",\"port\":0,\"weight\":1}]}"

static int parse(const char *doc, struct ep_config *cfg,
		 struct config_error *err)
{
	memset(cfg, 0, sizeof(*cfg));
	memset(err, 0, sizeof(*err));
	return config_parse(doc, strlen(doc), cfg, err);
}

/* clang-format off */
static const char *full_doc =
	DOC_HEAD
	SVC("web", "10.1.0.1",
	    ",\"limits\":{\"packets_per_second\":{\"rate\":1000,\"burst\":50},"
	    "\"bytes_per_second\":{\"rate\":125000,\"burst\":3000,"
	    "\"mode\":\"leaky_bucket\"},"
	    "\"connections_per_second\":{\"rate\":100},"
	    "\"per_client\":{\"packets_per_second\":{\"rate\":100,"
	    "\"burst\":10},\"ipv6_prefix\":48}},"
	    "\"acl\":{\"allow\":[\"10.0.0.0/8\",\"2001:db8::/32\"],"
	    "\"deny\":[\"10.1.0.0/16\",\"192.0.2.1\"]}")
	","
	SVC("api", "10.1.0.2", ",\"acl\":{\"deny\":[\"0.0.0.0/0\"]}")
	"],\"policing\":{\"acl\":{\"deny\":[\"203.0.113.0/24\",\"::/0\"]},"
	"\"syn_flood\":{\"new_flows_per_second\":5000}}}";
/* clang-format on */

static void test_parse(void)
{
	struct ep_config cfg;
	struct config_error err;
	const struct config_svc_policing *p;

	CHECK_MSG(parse(full_doc, &cfg, &err) == 0, "%s", err.msg);
	if (cfg.n_services != 2)
		return;
	p = &cfg.services[0].pol;
	CHECK(p->limits[CONFIG_LIMIT_PPS].mode == EP_LIMIT_TOKEN_BUCKET &&
	      p->limits[CONFIG_LIMIT_PPS].rate == 1000 &&
	      p->limits[CONFIG_LIMIT_PPS].burst == 50);
	CHECK(p->limits[CONFIG_LIMIT_BPS].mode == EP_LIMIT_LEAKY_BUCKET &&
	      p->limits[CONFIG_LIMIT_BPS].burst == 3000);
	/* Default burst: a tenth of a second of the rate. */
	CHECK(p->limits[CONFIG_LIMIT_CPS].burst == 10);
	CHECK(p->limits[CONFIG_LIMIT_CLIENT_PPS].rate == 100 &&
	      p->limits[CONFIG_LIMIT_CLIENT_PPS].burst == 10 &&
	      p->limits[CONFIG_LIMIT_CLIENT_CPS].mode == EP_LIMIT_OFF &&
	      p->client_v6_prefix == 48);
	CHECK(p->acl.n_allow == 2 && p->acl.n_deny == 2);
	CHECK(p->acl.prefixes[3].depth == 32 &&
	      p->acl.prefixes[1].addr.family == EP_AF_INET6 &&
	      p->acl.prefixes[1].depth == 32);
	CHECK(cfg.services[1].pol.acl.n_deny == 1 &&
	      cfg.services[1].pol.acl.prefixes[0].depth == 0);
	CHECK(cfg.services[1].pol.limits[0].mode == EP_LIMIT_OFF);
	CHECK(cfg.pol.acl.n_deny == 2 && cfg.pol.acl.n_allow == 0);
	CHECK(cfg.pol.syn_guard.rate == 5000 && cfg.pol.syn_guard.burst == 500);
	config_free(&cfg);
}

static void test_refusals(void)
{
	static const struct {
		const char *extra;
		const char *want;
	} cases[] = {
		{ ",\"limits\":{\"packets_per_second\":{\"rate\":0,\"burst\":5}"
		  "}",
		  "services[0].limits.packets_per_second.rate: must be 1.." },
		{ ",\"limits\":{\"packets_per_second\":{\"burst\":5}}",
		  "services[0].limits.packets_per_second.rate: required" },
		{ ",\"limits\":{\"bytes_per_second\":{\"rate\":10,\"burst\":0}"
		  "}",
		  "services[0].limits.bytes_per_second.burst: must be at least "
		  "1" },
		{ ",\"limits\":{\"bytes_per_second\":{\"rate\":10,\"burst\":"
		  "6001}}",
		  "services[0].limits.bytes_per_second.burst: must last at "
		  "most 600 s" },
		{ ",\"limits\":{\"connections_per_second\":{\"rate\":10,"
		  "\"mode\":\"fast\"}}",
		  "services[0].limits.connections_per_second.mode: must be" },
		{ ",\"limits\":{\"connections_per_second\":{\"rate\":1.5}}",
		  "services[0].limits.connections_per_second.rate: must be an "
		  "integer" },
		{ ",\"limits\":{\"packets\":{\"rate\":1}}",
		  "services[0].limits: unknown field \"packets\"" },
		{ ",\"limits\":{\"packets_per_second\":{\"rate\":1,\"x\":1}}",
		  "services[0].limits.packets_per_second: unknown field" },
		{ ",\"acl\":{\"deny\":[\"10.0.0.0/33\"]}",
		  "services[0].acl.deny[0]: prefix length 33 is past IPv4's "
		  "32" },
		{ ",\"acl\":{\"allow\":[\"::/0\",\"2001:db8::/129\"]}",
		  "services[0].acl.allow[1]: prefix length 129 is past IPv6's "
		  "128" },
		{ ",\"acl\":{\"deny\":[\"10.1.2.3/8\"]}",
		  "services[0].acl.deny[0]: bits set past the prefix length "
		  "8" },
		{ ",\"acl\":{\"deny\":[\"10.0.0.300/8\"]}",
		  "services[0].acl.deny[0]: not an IPv4 or IPv6 prefix" },
		{ ",\"acl\":{\"deny\":[\"10.0.0.0/\"]}",
		  "services[0].acl.deny[0]: prefix length missing" },
		{ ",\"acl\":{\"deny\":[8]}",
		  "services[0].acl.deny[0]: must be a string" },
		{ ",\"acl\":{\"deny\":\"10.0.0.0/8\"}",
		  "services[0].acl.deny: must be an array" },
		{ ",\"limits\":{\"per_client\":{\"packets_per_second\":"
		  "{\"rate\":1},\"ipv6_prefix\":0}}",
		  "services[0].limits.per_client.ipv6_prefix: must be 1..128" },
		{ ",\"limits\":{\"per_client\":{\"ipv6_prefix\":129}}",
		  "services[0].limits.per_client.ipv6_prefix: must be an "
		  "integer 0..128" },
		{ ",\"limits\":{\"per_client\":{\"connections_per_second\":"
		  "{\"rate\":0}}}",
		  "services[0].limits.per_client.connections_per_second.rate: "
		  "must be 1.." },
		{ ",\"acl\":{\"block\":[]}",
		  "services[0].acl: unknown field \"block\"" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char doc[1024];
		struct ep_config cfg;
		struct config_error err;
		int rc;

		snprintf(
			doc, sizeof(doc),
			"%s{\"name\":\"s\",\"vip\":\"10.1.0.1\","
			"\"port\":80,\"protocol\":\"tcp\"%s,\"backends\":[]}]}",
			DOC_HEAD, cases[i].extra);
		rc = parse(doc, &cfg, &err);
		CHECK_MSG(rc == -EINVAL && strncmp(err.msg, cases[i].want,
						   strlen(cases[i].want)) == 0,
			  "case %zu: rc %d, \"%s\", want \"%s\"", i, rc,
			  err.msg, cases[i].want);
		if (rc == 0)
			config_free(&cfg);
	}
	/* The global list names its own path. */
	{
		struct ep_config cfg;
		struct config_error err;
		const char *doc = DOC_HEAD "],\"policing\":{\"acl\":{\"allow\":"
					   "[\"fe80::1/10\"]}}}";

		CHECK(parse(doc, &cfg, &err) == -EINVAL &&
		      strstr(err.msg, "policing.acl.allow[0]: bits set") ==
			      err.msg);
		doc = DOC_HEAD "],\"policing\":{\"limits\":{}}}";
		CHECK(parse(doc, &cfg, &err) == -EINVAL &&
		      strstr(err.msg, "policing: unknown field") == err.msg);
		doc = DOC_HEAD "],\"policing\":{\"syn_flood\":"
			       "{\"new_flows_per_second\":0}}}";
		CHECK(parse(doc, &cfg, &err) == -EINVAL &&
		      strstr(err.msg,
			     "policing.syn_flood.new_flows_per_second: "
			     "must be 1..") == err.msg);
		doc = DOC_HEAD "],\"policing\":{\"syn_flood\":"
			       "{\"new_flows_per_second\":10,\"burst\":0}}}";
		CHECK(parse(doc, &cfg, &err) == -EINVAL &&
		      strstr(err.msg, "policing.syn_flood.burst: ") == err.msg);
	}
	/* An allow and a deny of one prefix in one list are accepted. */
	{
		struct ep_config cfg;
		struct config_error err;
		char doc[512];

		snprintf(doc, sizeof(doc), "%s%s]}", DOC_HEAD,
			 SVC("s", "10.1.0.1",
			     ",\"acl\":{\"allow\":[\"10.0.0.0/8\"],"
			     "\"deny\":[\"10.0.0.0/8\"]}"));
		CHECK_MSG(parse(doc, &cfg, &err) == 0, "%s", err.msg);
		config_free(&cfg);
	}
}

static void test_roundtrip(void)
{
	struct ep_config a, b, c, d;
	struct config_error err;
	struct config_ids *ids = config_ids_create();
	char *json;
	size_t need, len;
	void *buf;

	CHECK(parse(full_doc, &a, &err) == 0);
	json = config_to_json(&a);
	CHECK(json != NULL);
	if (json == NULL || ids == NULL)
		return;
	CHECK(strstr(json, "\"limits\":{\"packets_per_second\":{\"rate\":1000,"
			   "\"burst\":50,\"mode\":\"token_bucket\"}") != NULL);
	CHECK(strstr(json,
		     "\"policing\":{\"acl\":{\"allow\":[],\"deny\":"
		     "[\"203.0.113.0/24\",\"::/0\"]},\"syn_flood\":"
		     "{\"new_flows_per_second\":5000,\"burst\":500}}") != NULL);
	CHECK_MSG(parse(json, &b, &err) == 0, "%s", err.msg);
	CHECK(config_equal(&a, &b));
	/* Copies compare equal; a changed limit or prefix does not. */
	CHECK(config_copy(&c, &a) == 0 && config_equal(&a, &c));
	c.services[0].pol.limits[CONFIG_LIMIT_PPS].rate++;
	CHECK(!config_equal(&a, &c));
	c.services[0].pol.limits[CONFIG_LIMIT_PPS].rate--;
	c.pol.acl.prefixes[0].depth = 25;
	CHECK(!config_equal(&a, &c));
	config_free(&c);

	/* Flat: limits in the service entries, rules with their scopes. */
	need = config_flat_size(&a);
	buf = malloc(need);
	CHECK(config_to_flat(&a, 3, ids, buf, need, &len, &err) == 0 &&
	      len == need);
	{
		struct ep_cfg_hdr h;
		struct ep_cfg_service s0;
		struct ep_cfg_acl_rule r;

		memcpy(&h, buf, sizeof(h));
		CHECK(h.n_acl_rules == 2 + 4 + 1);
		CHECK(h.node.syn_guard_rate == 5000 &&
		      h.node.syn_guard_burst == 500);
		memcpy(&s0, (uint8_t *)buf + h.off_services, sizeof(s0));
		CHECK(s0.limits[EP_LIMIT_BPS].mode == EP_LIMIT_LEAKY_BUCKET &&
		      s0.limits[EP_LIMIT_BPS].rate == 125000);
		CHECK(s0.limits[EP_LIMIT_CLIENT_PPS].rate == 100 &&
		      s0.client_v6_prefix == 48);
		memcpy(&r, (uint8_t *)buf + h.off_acl_rules, sizeof(r));
		CHECK(r.scope == EP_ACL_SCOPE_GLOBAL && r.kind == EP_ACL_DENY &&
		      r.depth == 24);
		memcpy(&r, (uint8_t *)buf + h.off_acl_rules + 2 * sizeof(r),
		       sizeof(r));
		CHECK(r.scope == 0 && r.kind == EP_ACL_ALLOW && r.depth == 8);
		memcpy(&r, (uint8_t *)buf + h.off_acl_rules + 6 * sizeof(r),
		       sizeof(r));
		CHECK(r.scope == 1 && r.kind == EP_ACL_DENY && r.depth == 0);
	}
	CHECK_MSG(config_from_flat(buf, len, &d, &err) == 0, "%s", err.msg);
	CHECK(config_equal(&a, &d));
	free(buf);
	free(json);
	config_free(&a);
	config_free(&b);
	config_free(&d);
	config_ids_destroy(ids);
}

/* syn_proxy and policing.syn_cookie: parsed, refused with their paths,
 * rendered, in the flat form and back. */
static void test_syn_proxy(void)
{
	static const struct {
		const char *svc, *pol, *want;
	} bad[] = {
		{ ",\"syn_proxy\":true", "",
		  "services[0].syn_proxy: needs \"forwarding\": \"nat\"" },
		{ ",\"forwarding\":\"nat\",\"syn_proxy\":1", "",
		  "services[0].syn_proxy: must be true or false" },
		{ "", ",\"policing\":{\"syn_cookie\":{}}",
		  "policing.syn_cookie.secret: required field missing" },
		{ "",
		  ",\"policing\":{\"syn_cookie\":{\"secret\":\"00112233\"}}",
		  "policing.syn_cookie.secret: must be a string of 32 hex" },
		{ "",
		  ",\"policing\":{\"syn_cookie\":{\"secret\":"
		  "\"000000000000000000000000000000zz\"}}",
		  "policing.syn_cookie.secret: must be a string of 32 hex" },
		{ "",
		  ",\"policing\":{\"syn_cookie\":{\"secret\":"
		  "\"00000000000000000000000000000000\"}}",
		  "policing.syn_cookie.secret: must not be all zeros" },
		{ "",
		  ",\"policing\":{\"syn_cookie\":{\"previous_secret\":"
		  "\"00112233445566778899aabbccddeeff\"}}",
		  "policing.syn_cookie.secret: required field missing" },
		{ "",
		  ",\"policing\":{\"syn_cookie\":{\"secret\":"
		  "\"00112233445566778899aabbccddeeff\",\"key\":1}}",
		  "policing.syn_cookie: unknown field \"key\"" },
	};
	const char *good = DOC_HEAD SVC("sp", "10.1.0.3",
					",\"forwarding\":\"nat\",\"syn_proxy\":"
					"true") "," SVC("plain", "10.1.0.4",
							",\"forwarding\":"
							"\"nat\"") "],"
								   "\"policing"
								   "\":{\"syn_"
								   "cookie\":{"
								   "\"secret\":"
								   "\"001122334"
								   "45566778899"
								   "AABBCCDDEEF"
								   "F\","
								   "\"previous_"
								   "secret\":"
								   "\"ffeeddccb"
								   "baa99887766"
								   "55443322110"
								   "0\"}}}";
	struct ep_config a, b, d;
	struct config_error err;
	struct config_ids *ids = config_ids_create();
	char *json;
	size_t need, len;
	void *buf;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char doc[1024];
		struct ep_config cfg;
		int rc;

		snprintf(doc, sizeof(doc),
			 "%s{\"name\":\"s\",\"vip\":\"10.1.0.1\",\"port\":80,"
			 "\"protocol\":\"tcp\"%s,\"backends\":[]}]%s}",
			 DOC_HEAD, bad[i].svc, bad[i].pol);
		rc = parse(doc, &cfg, &err);
		if (rc == 0) {
			rc = config_validate(&cfg, &err);
			config_free(&cfg);
		}
		CHECK_MSG(rc == -EINVAL && strncmp(err.msg, bad[i].want,
						   strlen(bad[i].want)) == 0,
			  "case %zu: rc %d, \"%s\", want \"%s\"", i, rc,
			  err.msg, bad[i].want);
	}
	CHECK_MSG(parse(good, &a, &err) == 0, "%s", err.msg);
	if (a.n_services != 2 || ids == NULL)
		return;
	CHECK(a.services[0].pol.syn_proxy && !a.services[1].pol.syn_proxy);
	CHECK(a.pol.syn_cookie.has_secret && a.pol.syn_cookie.has_previous);
	CHECK(a.pol.syn_cookie.secret[0] == 0x0011223344556677ull &&
	      a.pol.syn_cookie.secret[1] == 0x8899aabbccddeeffull &&
	      a.pol.syn_cookie.previous[0] == 0xffeeddccbbaa9988ull);
	json = config_to_json(&a);
	CHECK(json != NULL && strstr(json, "\"syn_proxy\":true") != NULL &&
	      strstr(json, "\"syn_cookie\":{\"secret\":"
			   "\"00112233445566778899aabbccddeeff\","
			   "\"previous_secret\":"
			   "\"ffeeddccbbaa99887766554433221100\"}") != NULL);
	CHECK(json != NULL && parse(json, &b, &err) == 0 &&
	      config_equal(&a, &b));
	if (json != NULL)
		config_free(&b);
	free(json);
	/* Another secret, or syn_proxy off, is another configuration. */
	CHECK(config_copy(&b, &a) == 0);
	b.pol.syn_cookie.previous[1] ^= 1;
	CHECK(!config_equal(&a, &b));
	b.pol.syn_cookie.previous[1] ^= 1;
	b.services[0].pol.syn_proxy = false;
	CHECK(!config_equal(&a, &b));
	config_free(&b);
	need = config_flat_size(&a);
	buf = malloc(need);
	CHECK(config_to_flat(&a, 4, ids, buf, need, &len, &err) == 0);
	{
		struct ep_cfg_hdr h;
		struct ep_cfg_service s0, s1;

		memcpy(&h, buf, sizeof(h));
		memcpy(&s0, (uint8_t *)buf + h.off_services, sizeof(s0));
		memcpy(&s1, (uint8_t *)buf + h.off_services + sizeof(s0),
		       sizeof(s1));
		CHECK((s0.flags & EP_SVC_F_SYN_PROXY) &&
		      !(s1.flags & EP_SVC_F_SYN_PROXY));
		CHECK(h.node.syn_cookie_flags ==
		      (EP_SYN_COOKIE_F_KEY | EP_SYN_COOKIE_F_PREV));
		CHECK(h.node.syn_cookie_key[0] == 0x0011223344556677ull &&
		      h.node.syn_cookie_prev[1] == 0x7766554433221100ull);
	}
	CHECK_MSG(config_from_flat(buf, len, &d, &err) == 0, "%s", err.msg);
	CHECK(config_equal(&a, &d));
	config_free(&d);
	free(buf);
	config_free(&a);
	config_ids_destroy(ids);
}

/* One service's policing changed alone (the API's PATCH). */
static void test_patch(void)
{
	struct ep_config a;
	struct config_error err;
	struct config_svc_policing *p;
	cJSON *body;

	CHECK(parse(full_doc, &a, &err) == 0);
	if (a.n_services != 2)
		return;
	p = &a.services[0].pol;
	/* Limits alone: the access list stays. */
	body = cJSON_Parse(
		"{\"limits\":{\"packets_per_second\":{\"rate\":7}}}");
	memset(&err, 0, sizeof(err));
	CHECK(cpol_patch_service(body, "services[0]", p, &err) == 0);
	cJSON_Delete(body);
	CHECK(p->limits[CONFIG_LIMIT_PPS].rate == 7 &&
	      p->limits[CONFIG_LIMIT_PPS].burst == 1 &&
	      p->limits[CONFIG_LIMIT_BPS].mode == EP_LIMIT_OFF &&
	      p->client_v6_prefix == 0);
	CHECK(p->acl.n_allow == 2 && p->acl.n_deny == 2);
	/* The access list removed, syn_proxy set; limits stay. */
	body = cJSON_Parse("{\"acl\":{},\"syn_proxy\":true}");
	CHECK(cpol_patch_service(body, "services[0]", p, &err) == 0);
	cJSON_Delete(body);
	CHECK(p->acl.n_allow == 0 && p->acl.n_deny == 0 && p->syn_proxy);
	CHECK(p->limits[CONFIG_LIMIT_PPS].rate == 7);
	/* Refusals name the field and change nothing. */
	body = cJSON_Parse("{\"limits\":{\"packets_per_second\":{\"rate\":0}},"
			   "\"acl\":{\"deny\":[\"10.0.0.0/8\"]}}");
	CHECK(cpol_patch_service(body, "services[0]", p, &err) == -EINVAL &&
	      strstr(err.msg, "services[0].limits.packets_per_second.rate: "
			      "must be 1..") == err.msg);
	cJSON_Delete(body);
	CHECK(p->limits[CONFIG_LIMIT_PPS].rate == 7 && p->acl.n_deny == 0);
	body = cJSON_Parse("{\"backends\":[]}");
	CHECK(cpol_patch_service(body, "services[0]", p, &err) == -EINVAL &&
	      strstr(err.msg, "services[0]: unknown field \"backends\"") ==
		      err.msg);
	cJSON_Delete(body);
	body = cJSON_Parse("{}");
	CHECK(cpol_patch_service(body, "services[0]", p, &err) == -EINVAL &&
	      strstr(err.msg, "services[0]: needs ") == err.msg);
	cJSON_Delete(body);
	body = cJSON_Parse("[1]");
	CHECK(cpol_patch_service(body, "services[0]", p, &err) == -EINVAL);
	cJSON_Delete(body);
	config_free(&a);
}

/* The global policing changed part by part (PATCH /v1/policing). */
static void test_patch_global(void)
{
	struct ep_config a;
	struct config_error err;
	struct config_policing *p;
	cJSON *body;

	CHECK(parse(full_doc, &a, &err) == 0);
	p = &a.pol;
	/* A per-client limit added: the access list and the guard stay. */
	body = cJSON_Parse("{\"per_client\":{\"packets_per_second\":"
			   "{\"rate\":300}}}");
	memset(&err, 0, sizeof(err));
	CHECK_MSG(cpol_patch_global(body, p, &err) == 0, "%s", err.msg);
	cJSON_Delete(body);
	CHECK(p->per_client.limits[EP_CLIENT_LIMIT_PPS].rate == 300 &&
	      p->per_client.limits[EP_CLIENT_LIMIT_PPS].mode ==
		      EP_LIMIT_TOKEN_BUCKET);
	CHECK(p->acl.n_deny == 2 && p->syn_guard.rate == 5000);
	/* The access list replaced, the guard removed by null. */
	body = cJSON_Parse("{\"acl\":{\"deny\":[\"198.51.100.0/24\"]},"
			   "\"syn_flood\":null}");
	CHECK_MSG(cpol_patch_global(body, p, &err) == 0, "%s", err.msg);
	cJSON_Delete(body);
	CHECK(p->acl.n_deny == 1 && p->acl.n_allow == 0 &&
	      p->acl.prefixes[0].depth == 24);
	CHECK(p->syn_guard.rate == 0 && p->syn_guard.burst == 0);
	CHECK(p->per_client.limits[EP_CLIENT_LIMIT_PPS].rate == 300);
	/* Refusals name the field as the document's parser does, and
	 * change nothing. */
	body = cJSON_Parse("{\"acl\":{},\"syn_flood\":"
			   "{\"new_flows_per_second\":0}}");
	CHECK(cpol_patch_global(body, p, &err) == -EINVAL &&
	      strstr(err.msg, "policing.syn_flood.new_flows_per_second: "
			      "must be 1..") == err.msg);
	cJSON_Delete(body);
	CHECK(p->acl.n_deny == 1 && p->syn_guard.rate == 0);
	body = cJSON_Parse("{\"syn_cookie\":{\"previous_secret\":"
			   "\"00112233445566778899aabbccddeeff\"}}");
	CHECK(cpol_patch_global(body, p, &err) == -EINVAL &&
	      strstr(err.msg, "policing.syn_cookie.secret: ") == err.msg);
	cJSON_Delete(body);
	CHECK(!p->syn_cookie.has_secret);
	body = cJSON_Parse("{\"acl\":{\"deny\":[\"10.0.0.0/33\"]}}");
	CHECK(cpol_patch_global(body, p, &err) == -EINVAL &&
	      strstr(err.msg, "policing.acl.deny[0]") == err.msg);
	cJSON_Delete(body);
	CHECK(p->acl.n_deny == 1 && p->acl.prefixes[0].depth == 24);
	body = cJSON_Parse("{\"services\":[]}");
	CHECK(cpol_patch_global(body, p, &err) == -EINVAL &&
	      strstr(err.msg, "policing: unknown field \"services\"") ==
		      err.msg);
	cJSON_Delete(body);
	body = cJSON_Parse("{}");
	CHECK(cpol_patch_global(body, p, &err) == -EINVAL &&
	      strstr(err.msg, "policing: needs ") == err.msg);
	cJSON_Delete(body);
	body = cJSON_Parse("[1]");
	CHECK(cpol_patch_global(body, p, &err) == -EINVAL);
	cJSON_Delete(body);
	/* null empties the access list too. */
	body = cJSON_Parse("{\"acl\":null}");
	CHECK(cpol_patch_global(body, p, &err) == 0 && p->acl.n_deny == 0 &&
	      p->acl.prefixes == NULL);
	cJSON_Delete(body);
	config_free(&a);
}

/* policing.per_client: the global per-client limits, parsed with their
 * defaults, refused with their paths, rendered, flat and back. */
static void test_global_per_client(void)
{
	static const struct {
		const char *pol, *want;
	} bad[] = {
		{ "{\"packets_per_second\":{\"rate\":0}}",
		  "policing.per_client.packets_per_second.rate: must be 1.." },
		{ "{\"connections_per_second\":{\"rate\":10,\"burst\":0}}",
		  "policing.per_client.connections_per_second.burst: must be "
		  "at least 1" },
		{ "{\"packets_per_second\":{\"rate\":1},\"ipv6_prefix\":0}",
		  "policing.per_client.ipv6_prefix: must be 1..128" },
		{ "{\"ipv6_prefix\":129}",
		  "policing.per_client.ipv6_prefix: must be an integer "
		  "0..128" },
		{ "{\"bytes_per_second\":{\"rate\":1}}",
		  "policing.per_client: unknown field \"bytes_per_second\"" },
		{ "[]", "policing.per_client: must be an object" },
	};
	const char *good = DOC_HEAD SVC("web", "10.1.0.1", "") "," SVC(
		"api", "10.1.0.2",
		",\"limits\":{\"per_client\":{\"packets_per_second\":"
		"{\"rate\":50}}}") "],\"policing\":{\"per_client\":"
				   "{\"packets_per_second\":{"
				   "\"rate\":200,\"burst\":20},"
				   "\"connections_per_second\":{"
				   "\"rate\":10,\"mode\":\"leaky_"
				   "bucket\"},\"ipv6_prefix\":56}}}";
	struct ep_config a, b, c, d;
	struct config_error err;
	struct config_ids *ids = config_ids_create();
	const struct config_client_limits *pc;
	char *json = NULL;
	size_t need, len;
	void *buf;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char doc[512];
		int rc;

		snprintf(doc, sizeof(doc),
			 "%s],\"policing\":{\"per_client\":%s}}", DOC_HEAD,
			 bad[i].pol);
		rc = parse(doc, &a, &err);
		CHECK_MSG(rc == -EINVAL && strncmp(err.msg, bad[i].want,
						   strlen(bad[i].want)) == 0,
			  "case %zu: rc %d, \"%s\", want \"%s\"", i, rc,
			  err.msg, bad[i].want);
		if (rc == 0)
			config_free(&a);
	}
	CHECK_MSG(parse(good, &a, &err) == 0, "%s", err.msg);
	if (ids == NULL || a.n_services != 2)
		return;
	pc = &a.pol.per_client;
	CHECK(pc->limits[EP_CLIENT_LIMIT_PPS].mode == EP_LIMIT_TOKEN_BUCKET &&
	      pc->limits[EP_CLIENT_LIMIT_PPS].rate == 200 &&
	      pc->limits[EP_CLIENT_LIMIT_PPS].burst == 20);
	CHECK(pc->limits[EP_CLIENT_LIMIT_CPS].mode == EP_LIMIT_LEAKY_BUCKET &&
	      pc->limits[EP_CLIENT_LIMIT_CPS].burst == 0 &&
	      pc->v6_prefix == 56);
	/* The service's own client limit is apart from the global one. */
	CHECK(a.services[1].pol.limits[CONFIG_LIMIT_CLIENT_PPS].rate == 50 &&
	      a.services[1].pol.client_v6_prefix == 64);
	/* Without a limit the prefix means nothing and is not kept. */
	{
		const char *doc = DOC_HEAD "],\"policing\":{\"per_client\":"
					   "{\"ipv6_prefix\":48}}}";

		CHECK(parse(doc, &c, &err) == 0 &&
		      c.pol.per_client.v6_prefix == 0);
		json = config_to_json(&c);
		CHECK(json && strstr(json, "per_client") == NULL);
		free(json);
		config_free(&c);
	}
	json = config_to_json(&a);
	CHECK_MSG(json && strstr(json,
				 "\"policing\":{\"per_client\":{"
				 "\"packets_per_second\":{\"rate\":200,"
				 "\"burst\":20,\"mode\":\"token_bucket\"},"
				 "\"connections_per_second\":{\"rate\":10,"
				 "\"burst\":0,\"mode\":\"leaky_bucket\"},"
				 "\"ipv6_prefix\":56}}"),
		  "%s", json ? json : "(null)");
	CHECK(json && parse(json, &b, &err) == 0 && config_equal(&a, &b));
	free(json);
	CHECK(config_copy(&c, &a) == 0 && config_equal(&a, &c));
	c.pol.per_client.limits[EP_CLIENT_LIMIT_CPS].rate++;
	CHECK(!config_equal(&a, &c));
	c.pol.per_client.limits[EP_CLIENT_LIMIT_CPS].rate--;
	c.pol.per_client.v6_prefix = 64;
	CHECK(!config_equal(&a, &c));
	/* A config built by code is held to the same rules. */
	c.pol.per_client.v6_prefix = 129;
	CHECK(config_validate(&c, &err) == -EINVAL &&
	      strstr(err.msg, "policing.per_client.ipv6_prefix: ") == err.msg);
	c.pol.per_client.v6_prefix = 56;
	c.pol.per_client.limits[EP_CLIENT_LIMIT_PPS].burst = 0;
	CHECK(config_validate(&c, &err) == -EINVAL &&
	      strstr(err.msg,
		     "policing.per_client.packets_per_second.burst: ") ==
		      err.msg);
	config_free(&c);

	need = config_flat_size(&a);
	buf = malloc(need);
	CHECK(buf && config_to_flat(&a, 4, ids, buf, need, &len, &err) == 0);
	if (buf) {
		struct ep_cfg_hdr h;

		memcpy(&h, buf, sizeof(h));
		CHECK(h.node.client_limits[EP_CLIENT_LIMIT_PPS].mode ==
			      EP_LIMIT_TOKEN_BUCKET &&
		      h.node.client_limits[EP_CLIENT_LIMIT_PPS].rate == 200 &&
		      h.node.client_limits[EP_CLIENT_LIMIT_PPS].burst == 20);
		CHECK(h.node.client_limits[EP_CLIENT_LIMIT_CPS].mode ==
			      EP_LIMIT_LEAKY_BUCKET &&
		      h.node.client_v6_prefix == 56);
		CHECK_MSG(config_from_flat(buf, len, &d, &err) == 0, "%s",
			  err.msg);
		CHECK(config_equal(&a, &d));
		config_free(&d);
	}
	free(buf);
	config_free(&a);
	config_free(&b);
	config_ids_destroy(ids);
}

int main(void)
{
	test_parse();
	test_refusals();
	test_roundtrip();
	test_syn_proxy();
	test_patch();
	test_patch_global();
	test_global_per_client();
	return check_summary("config_policing");
}
