/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of slowpath/config/ (see test_config.c): backends and api refused; defaults, the sample configs, JSON and
 * flat round trips, copy and compare, validation of configs built in
 * memory, health_check.
 */
#include "test_config.h"

/* ------------------------------------------------------------------ */
/* Refusals: backends                                                   */

void test_refuse_backend_fields(void)
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

void test_refuse_backend_rules(void)
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
void test_refuse_backend_count(void)
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
#define TLS_OK "'tls':{'certificate':'/c','private_key':'/k'}"

void test_refuse_api(void)
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

void test_defaults(void)
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

void test_lab(void)
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

void test_full_example(void)
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

void test_roundtrips(void)
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
void test_maglev_rebuild(void)
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

void test_copy_equal(void)
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
void test_validate_in_memory(void)
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

void test_health_check(void)
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
	CHECK(parse_sq(SVC_HC("{'type':'https','server_name':'be.example',"
			      "'verify':true,'ca_file':'/etc/ca.pem',"
			      "'path':'/ready'}"),
		       &cfg, &err) == 0);
	s = &cfg.services[0];
	CHECK_MSG(err.msg[0] == 0, "%s", err.msg);
	CHECK(s->health.type == HEALTH_HTTPS && s->health.verify);
	CHECK(strcmp(s->health.server_name, "be.example") == 0 &&
	      strcmp(s->health.ca_file, "/etc/ca.pem") == 0 &&
	      strcmp(s->health.path, "/ready") == 0);
	check_json_roundtrip(&cfg, "health https");
	config_free(&cfg);
	CHECK(parse_sq(SVC_HC("{'type':'https'}"), &cfg, &err) == 0);
	CHECK(cfg.services[0].health.type == HEALTH_HTTPS &&
	      !cfg.services[0].health.verify &&
	      cfg.services[0].health.server_name[0] == 0);
	check_json_roundtrip(&cfg, "health https, defaults");
	config_free(&cfg);
	/* tiers and on_down */
	CHECK(parse_sq(DOC(SVC(",'on_down':'reset','backends':["
			       "{'address':'10.0.1.1','priority':15}]")),
		       &cfg, &err) == 0);
	CHECK_MSG(err.msg[0] == 0, "%s", err.msg);
	CHECK(cfg.services[0].on_down == CONFIG_ON_DOWN_RESET &&
	      cfg.services[0].backends[0].priority == 15);
	check_json_roundtrip(&cfg, "priority and on_down");
	config_free(&cfg);

	REFUSE(SVC_HC("1"),
	       "services[0].health_check: must be an object, not a number");
	REFUSE(SVC_HC("{}"), "services[0].health_check.type: required");
	REFUSE(SVC_HC("{'type':'icmp'}"),
	       "services[0].health_check.type: must be one of");
	REFUSE(SVC_HC("{'type':'https','verify':true}"),
	       "services[0].health_check.ca_file: required with");
	REFUSE(SVC_HC("{'type':'https','ca_file':'/etc/ca.pem'}"),
	       "services[0].health_check.ca_file: only valid with "
	       "\"verify\": true");
	REFUSE(SVC_HC("{'type':'https','verify':'yes'}"),
	       "services[0].health_check.verify: must be true or false");
	REFUSE(SVC_HC("{'type':'https','server_name':'a b'}"),
	       "services[0].health_check.server_name: must be a DNS name");
	REFUSE(SVC_HC("{'type':'http','server_name':'a.example'}"),
	       "services[0].health_check.server_name: only valid with "
	       "\"type\": \"https\"");
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

/* This file's CHECKs, for main()'s total. */
void test_config_accept_checks(unsigned int *passed, unsigned int *failed)
{
	*passed += check_passed;
	*failed += check_failed;
}
