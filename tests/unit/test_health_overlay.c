/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * slowpath/health_overlay.c: the targets of a configuration, and the
 * health state laid over its flat form: a backend down by its checks is
 * EP_BE_DOWN there; operator drain/down and weight 0 stay as configured
 * and do not count; below the panic threshold every eligible backend
 * takes flows again; threshold 0 never panics. The breaker's ejections
 * as a source of "not healthy": tier loads spill and come back (half
 * open admitting counts as healthy, withdrawn does not), panic counts
 * them, the ejected never take flows, and the health view shows the
 * plan the flat form has.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "breaker_engine.h"
#include "check.h"
#include "config.h"
#include "health_overlay.h"
#include "health_view.h"

static const char doc[] =
	"{\"services\":[{\"name\":\"web\",\"vip\":\"10.0.0.1\",\"port\":80,"
	"\"protocol\":\"tcp\",\"forwarding\":\"nat\",\"health_check\":"
	"{\"type\":\"tcp\",\"fall\":1,\"rise\":1%s},\"backends\":["
	"{\"address\":\"10.0.1.1\",\"port\":8080},"
	"{\"address\":\"10.0.1.2\",\"port\":8080},"
	"{\"address\":\"10.0.1.3\",\"port\":8080},"
	"{\"address\":\"10.0.1.4\",\"port\":8080},"
	"{\"address\":\"10.0.1.5\",\"port\":8080,\"state\":\"drain\"}]},"
	"{\"name\":\"plain\",\"vip\":\"10.0.0.2\",\"port\":80,"
	"\"protocol\":\"tcp\",\"backends\":[{\"address\":\"10.0.2.1\"}]}]}";

static struct ep_cfg_backend *flat_backends(void *flat)
{
	struct ep_cfg_hdr *h = flat;

	return (struct ep_cfg_backend *)((char *)flat + h->off_backends);
}

/* The active checks of h as the only source of health. */
static struct health_inputs checks(const struct health_engine *h)
{
	struct health_inputs hi;

	health_inputs_init(&hi, h);
	return hi;
}

static void eval(const struct health_engine *h, const struct config_service *s,
		 struct health_service_status *st)
{
	struct health_inputs hi = checks(h);

	health_service_eval(&hi, s, st);
}

/* The overlay of cfg with the engine's state: the flat states, 0/1. */
static int overlay(const struct health_engine *h, const struct ep_config *cfg,
		   uint8_t states[6])
{
	size_t cap = config_flat_size(cfg), len = 0;
	void *flat = malloc(cap);
	struct config_error err;
	struct health_inputs hi = checks(h);
	int n;

	CHECK(config_to_flat(cfg, 1, NULL, flat, cap, &len, &err) == 0);
	n = health_overlay_flat(&hi, cfg, flat, len);
	for (int i = 0; i < 6; i++)
		states[i] = flat_backends(flat)[i].state;
	CHECK(health_overlay_flat(&hi, cfg, flat,
				  sizeof(struct ep_cfg_hdr) - 1) == -EINVAL);
	free(flat);
	return n;
}

static void load(struct ep_config *cfg, const char *extra)
{
	char text[2048];
	struct config_error err = { "" };

	snprintf(text, sizeof(text), doc, extra);
	CHECK_MSG(config_parse(text, strlen(text), cfg, &err) == 0, "%s",
		  err.msg);
}

static void test_targets(const struct ep_config *cfg)
{
	struct health_target *t;
	uint32_t n;

	CHECK(health_targets_build(cfg, &t, &n) == 0);
	CHECK(n == 5); /* the checked service only, drained one too */
	CHECK(strcmp(t[0].service, "web") == 0 && t[0].port == 8080);
	CHECK(t[4].addr.bytes[3] == 5 && t[4].backend_port == 8080);
	CHECK(t[0].params.type == HEALTH_TCP && t[0].params.fall == 1);
	free(t);
}

static void test_overlay(void)
{
	struct ep_config cfg = { 0 };
	struct health_engine *h = health_engine_create();
	struct health_service_status st;
	struct health_target *t;
	uint8_t s[6];
	uint32_t n;

	load(&cfg, "");
	test_targets(&cfg);
	CHECK(health_targets_build(&cfg, &t, &n) == 0);
	CHECK(health_engine_set(h, t, n, 0) == 0);
	free(t);

	/* all healthy: the flat form is the configuration */
	CHECK(overlay(h, &cfg, s) == 0);
	CHECK(s[0] == EP_BE_UP && s[4] == EP_BE_DRAIN && s[5] == EP_BE_UP);
	eval(h, &cfg.services[0], &st);
	CHECK(st.state == HEALTH_SVC_OK && st.eligible == 4 && st.healthy == 4);
	eval(h, &cfg.services[1], &st);
	CHECK(st.state == HEALTH_SVC_UNCHECKED);

	/* one down: out of the flat form */
	CHECK(health_engine_observe(h, 0, HEALTH_R_REFUSED, 111, 1) == 1);
	CHECK(overlay(h, &cfg, s) == 1);
	CHECK(s[0] == EP_BE_DOWN && s[1] == EP_BE_UP);
	/* the drained one failing changes nothing (not eligible) */
	CHECK(health_engine_observe(h, 4, HEALTH_R_REFUSED, 111, 1) == 1);
	CHECK(overlay(h, &cfg, s) == 1);
	CHECK(s[4] == EP_BE_DRAIN);
	/* two of four down: exactly 50 %, not below: no panic */
	CHECK(health_engine_observe(h, 1, HEALTH_R_TIMEOUT, 0, 2) == 1);
	CHECK(overlay(h, &cfg, s) == 2);
	CHECK(s[0] == EP_BE_DOWN && s[1] == EP_BE_DOWN && s[2] == EP_BE_UP);
	/* three of four: panic, every eligible backend takes flows */
	CHECK(health_engine_observe(h, 2, HEALTH_R_STATUS, 503, 3) == 1);
	eval(h, &cfg.services[0], &st);
	CHECK(st.state == HEALTH_SVC_PANIC && st.healthy == 1);
	CHECK(overlay(h, &cfg, s) == 0);
	CHECK(s[0] == EP_BE_UP && s[2] == EP_BE_UP && s[4] == EP_BE_DRAIN);
	CHECK(strcmp(health_service_state_name(st.state), "panic") == 0);
	/* one back: 2/4, out of panic, the two down ones out again */
	CHECK(health_engine_observe(h, 2, HEALTH_R_OK, 200, 4) == 1);
	CHECK(overlay(h, &cfg, s) == 2);
	config_free(&cfg);

	/* threshold 0: never panic, all down means none in the flat form */
	load(&cfg, ",\"panic_threshold_percent\":0");
	CHECK(health_targets_build(&cfg, &t, &n) == 0);
	CHECK(health_engine_set(h, t, n, 5) == 0); /* same keys: state kept */
	free(t);
	CHECK(health_engine_sm(h, 0)->state == HEALTH_DOWN);
	for (uint32_t i = 0; i < 4; i++)
		health_engine_observe(h, i, HEALTH_R_REFUSED, 111, 6);
	eval(h, &cfg.services[0], &st);
	CHECK(st.state == HEALTH_SVC_OK && st.healthy == 0);
	CHECK(overlay(h, &cfg, s) == 4);
	CHECK(s[3] == EP_BE_DOWN && s[5] == EP_BE_UP);
	/* no engine: the configuration as it is */
	CHECK(overlay(NULL, &cfg, s) == 0 && s[0] == EP_BE_UP);
	config_free(&cfg);
	health_engine_destroy(h);
}

static const char tiered[] =
	"{\"services\":[{\"name\":\"t\",\"vip\":\"10.0.0.1\",\"port\":80,"
	"\"protocol\":\"tcp\",\"forwarding\":\"nat\",\"scheduler\":\"%s\","
	"\"on_down\":\"reset\",\"health_check\":{\"type\":\"tcp\",\"fall\":1,"
	"\"rise\":1},\"backends\":["
	"{\"address\":\"10.0.1.1\",\"port\":8080,\"weight\":2},"
	"{\"address\":\"10.0.1.2\",\"port\":8080,\"weight\":2},"
	"{\"address\":\"10.0.1.3\",\"port\":8080,\"priority\":1},"
	"{\"address\":\"10.0.1.4\",\"port\":8080,\"priority\":1}]}]}";

/* Tiers in the flat form: effective weights, the health-down flag, rr
 * turned wrr while the load spans tiers, and back. */
static void test_tiered(const char *sched, uint8_t spill_sched)
{
	char text[2048];
	struct ep_config cfg = { 0 };
	struct config_error err = { "" };
	struct health_engine *h = health_engine_create();
	struct health_target *t;
	struct ep_cfg_backend *fb;
	struct ep_cfg_service *fs;
	struct health_inputs hi = checks(h);
	size_t cap, len = 0;
	uint32_t n;
	void *flat;

	snprintf(text, sizeof(text), tiered, sched);
	CHECK_MSG(config_parse(text, strlen(text), &cfg, &err) == 0, "%s",
		  err.msg);
	CHECK(cfg.services[0].backends[2].priority == 1);
	CHECK(cfg.services[0].on_down == CONFIG_ON_DOWN_RESET);
	CHECK(health_targets_build(&cfg, &t, &n) == 0 &&
	      health_engine_set(h, t, n, 0) == 0);
	free(t);
	cap = config_flat_size(&cfg);
	flat = malloc(cap);
	/* all healthy: tier 1 on standby (weight 0, still up) */
	CHECK(config_to_flat(&cfg, 1, NULL, flat, cap, &len, &err) == 0);
	fs = (struct ep_cfg_service *)((char *)flat +
				       ((struct ep_cfg_hdr *)flat)
					       ->off_services);
	CHECK(fs->flags & EP_SVC_F_RESET_ON_DOWN);
	CHECK(health_overlay_flat(&hi, &cfg, flat, len) == 0);
	fb = flat_backends(flat);
	CHECK(fb[0].weight == (sched[0] == 'r' ? 1 : 2) && fb[2].weight == 0);
	CHECK(fb[2].state == EP_BE_UP && fb[2].priority == 1);
	CHECK(fs->sched != spill_sched || spill_sched == EP_SCHED_MAGLEV);
	/* one of tier 0 down: 70 % / 30 % */
	CHECK(health_engine_observe(h, 0, HEALTH_R_REFUSED, 111, 1) == 1);
	CHECK(config_to_flat(&cfg, 2, NULL, flat, cap, &len, &err) == 0);
	CHECK(health_overlay_flat(&hi, &cfg, flat, len) == 1);
	CHECK(fb[0].state == EP_BE_DOWN && fb[0].flags == EP_BE_F_HEALTH_DOWN);
	CHECK(fb[1].weight == 42000 && fb[2].weight == 9000);
	CHECK(fb[1].flags == 0 && fs->sched == spill_sched);
	/* both down: tier 1 alone at its configured weights */
	CHECK(health_engine_observe(h, 1, HEALTH_R_REFUSED, 111, 2) == 1);
	CHECK(config_to_flat(&cfg, 3, NULL, flat, cap, &len, &err) == 0);
	CHECK(health_overlay_flat(&hi, &cfg, flat, len) == 2);
	CHECK(fb[2].weight == 1 && fb[3].weight == 1 &&
	      fb[1].state == EP_BE_DOWN);
	/* back */
	CHECK(health_engine_observe(h, 0, HEALTH_R_OK, 0, 3) == 1);
	CHECK(health_engine_observe(h, 1, HEALTH_R_OK, 0, 3) == 1);
	CHECK(config_to_flat(&cfg, 4, NULL, flat, cap, &len, &err) == 0);
	CHECK(health_overlay_flat(&hi, &cfg, flat, len) == 0);
	CHECK(fb[2].weight == 0 && fb[0].flags == 0 && fb[0].weight > 0);
	free(flat);
	config_free(&cfg);
	health_engine_destroy(h);
}

/* Two tiers of two, checked, with outlier detection that may eject all
 * of tier 0 (50 % of four). */
static const char ejecting[] =
	"{\"services\":[{\"name\":\"t\",\"vip\":\"10.0.0.1\",\"port\":80,"
	"\"protocol\":\"tcp\",\"forwarding\":\"nat\",\"scheduler\":\"wrr\","
	"\"on_down\":\"reset\",\"health_check\":{\"type\":\"tcp\",\"fall\":1,"
	"\"rise\":1},\"outlier_detection\":{\"consecutive_failures\":1,"
	"\"base_ejection_ms\":1000,\"max_ejection_percent\":50,"
	"\"half_open_flows\":1},\"backends\":["
	"{\"address\":\"10.0.1.1\",\"port\":8080,\"weight\":2},"
	"{\"address\":\"10.0.1.2\",\"port\":8080,\"weight\":2},"
	"{\"address\":\"10.0.1.3\",\"port\":8080,\"priority\":1},"
	"{\"address\":\"10.0.1.4\",\"port\":8080,\"priority\":1}]}]}";

static struct breaker_sample sums[8];

static void fake_read(void *ctx, uint32_t sid, struct breaker_sample *out)
{
	(void)ctx;
	*out = sid < 8 ? sums[sid] : (struct breaker_sample){ 0 };
}

struct bed {
	struct ep_config cfg;
	struct health_engine *h;
	struct breaker_engine *e;
	struct health_inputs hi;
	void *flat;
	size_t cap, len;
	uint64_t version;
};

/* The flat form again with the sources' state now; how many out. */
static int relay(struct bed *b)
{
	struct config_error err;

	CHECK(config_to_flat(&b->cfg, ++b->version, NULL, b->flat, b->cap,
			     &b->len, &err) == 0);
	return health_overlay_flat(&b->hi, &b->cfg, b->flat, b->len);
}

static struct ep_cfg_backend *be(const struct bed *b, uint32_t i)
{
	return &flat_backends(b->flat)[i];
}

static void bed_up(struct bed *b)
{
	struct config_error err = { "" };
	struct health_target *t;
	uint32_t n;

	memset(b, 0, sizeof(*b));
	memset(sums, 0, sizeof(sums));
	CHECK_MSG(config_parse(ejecting, strlen(ejecting), &b->cfg, &err) == 0,
		  "%s", err.msg);
	b->h = health_engine_create();
	b->e = breaker_engine_create(fake_read, NULL);
	CHECK(health_targets_build(&b->cfg, &t, &n) == 0 &&
	      health_engine_set(b->h, t, n, 0) == 0);
	free(t);
	health_inputs_init(&b->hi, b->h);
	CHECK(health_inputs_add(&b->hi, breaker_engine_holds_out, b->e) == 0);
	b->cap = config_flat_size(&b->cfg);
	b->flat = malloc(b->cap);
	CHECK(relay(b) == 0);
	CHECK(breaker_engine_sync(b->e, &b->cfg, b->flat, b->len, 1, 0) == 0);
	CHECK(breaker_engine_step(b->e, &b->cfg, 0) == 0); /* the baseline */
}

static void bed_down(struct bed *b)
{
	free(b->flat);
	breaker_engine_destroy(b->e);
	health_engine_destroy(b->h);
	config_free(&b->cfg);
}

/* One failure of backend i is an ejection (consecutive_failures 1). */
static void fail(struct bed *b, uint32_t i)
{
	sums[be(b, i)->stats_id].failures++;
}

/* The "health" view's load_percent of tier k and held_out of backend i. */
static double view_load(const struct bed *b, uint32_t k)
{
	cJSON *o = health_view_service(&b->hi, &b->cfg.services[0], 0);
	cJSON *t = cJSON_GetArrayItem(cJSON_GetObjectItem(o, "tiers"), (int)k);
	double v = cJSON_GetNumberValue(cJSON_GetObjectItem(t, "load_percent"));

	cJSON_Delete(o);
	return v;
}

static bool view_held_out(const struct bed *b, uint32_t i)
{
	cJSON *o = health_view_service(&b->hi, &b->cfg.services[0], 0);
	cJSON *x =
		cJSON_GetArrayItem(cJSON_GetObjectItem(o, "backends"), (int)i);
	bool v = cJSON_IsTrue(cJSON_GetObjectItem(x, "held_out"));

	cJSON_Delete(o);
	return v;
}

/* The breakers' ejections move tier loads as failed checks do, in the
 * flat form and in the view alike, and the load comes back with them. */
static void test_ejections_spill(void)
{
	struct health_service_status st;
	struct bed b;

	bed_up(&b);
	CHECK(be(&b, 2)->weight == 0 && view_load(&b, 0) == 100);

	/* one of tier 0 ejected: 70 % / 30 %, as one failing its checks */
	fail(&b, 0);
	CHECK(breaker_engine_step(b.e, &b.cfg, 100) == 1);
	CHECK(relay(&b) == 1);
	CHECK(be(&b, 0)->state == EP_BE_DOWN && be(&b, 0)->flags == 0);
	CHECK(be(&b, 1)->weight == 42000 && be(&b, 2)->weight == 9000);
	CHECK(be(&b, 3)->weight == 9000 && be(&b, 3)->state == EP_BE_UP);
	health_service_eval(&b.hi, &b.cfg.services[0], &st);
	CHECK(st.state == HEALTH_SVC_OK && st.healthy == 3 && st.eligible == 4);
	CHECK(view_load(&b, 0) == 70 && view_load(&b, 1) == 30);
	CHECK(view_held_out(&b, 0) && !view_held_out(&b, 1));

	/* all of tier 0 ejected: tier 1 takes all at its own weights */
	fail(&b, 1);
	CHECK(breaker_engine_step(b.e, &b.cfg, 200) == 1);
	CHECK(relay(&b) == 2);
	CHECK(be(&b, 1)->state == EP_BE_DOWN);
	CHECK(be(&b, 2)->weight == 1 && be(&b, 3)->weight == 1);
	CHECK(view_load(&b, 0) == 0 && view_load(&b, 1) == 100);
	health_service_eval(&b.hi, &b.cfg.services[0], &st);
	CHECK(st.state == HEALTH_SVC_OK && st.healthy == 2);

	/* base_ejection_ms on: half open, admitting its trial flows, so
	 * healthy for the plan (else its tier would get no load and it
	 * could never be tried): tier 0 takes the load again */
	CHECK(breaker_engine_step(b.e, &b.cfg, 1200) == 2);
	CHECK(relay(&b) == 0);
	CHECK(be(&b, 0)->weight == 2 && be(&b, 2)->weight == 0);
	/* its trial flow taken, no verdict yet: out, tier 1 again */
	sums[be(&b, 0)->stats_id].new_flows++;
	CHECK(breaker_engine_step(b.e, &b.cfg, 1300) == 1);
	CHECK(relay(&b) == 1);
	CHECK(be(&b, 0)->state == EP_BE_DOWN && be(&b, 1)->weight == 42000);
	/* it answers: closed, back */
	sums[be(&b, 0)->stats_id].successes++;
	CHECK(breaker_engine_step(b.e, &b.cfg, 1400) == 1);
	CHECK(relay(&b) == 0 && be(&b, 2)->weight == 0);
	bed_down(&b);
}

/* Panic counts ejections: tier 0 with one backend failing its checks
 * and one ejected, tier 1 failing its checks: none of 4 healthy. */
static void test_ejections_panic(void)
{
	struct health_service_status st;
	struct bed b;

	bed_up(&b);
	CHECK(health_engine_observe(b.h, 0, HEALTH_R_REFUSED, 111, 1) == 1);
	CHECK(health_engine_observe(b.h, 2, HEALTH_R_REFUSED, 111, 1) == 1);
	CHECK(health_engine_observe(b.h, 3, HEALTH_R_REFUSED, 111, 1) == 1);
	/* without the ejection: tier 0 alone, 70 % health of 1 / 2 */
	CHECK(relay(&b) == 3 && be(&b, 1)->weight == 2);
	health_service_eval(&b.hi, &b.cfg.services[0], &st);
	CHECK(st.state == HEALTH_SVC_OK && st.healthy == 1);
	fail(&b, 1);
	CHECK(breaker_engine_step(b.e, &b.cfg, 100) == 1);
	health_service_eval(&b.hi, &b.cfg.services[0], &st);
	CHECK(st.state == HEALTH_SVC_PANIC && st.healthy == 0);
	/* panic: the ones failing their checks take flows, the ejected one
	 * does not (OPEN admits nothing) */
	CHECK(relay(&b) == 1);
	CHECK(be(&b, 1)->state == EP_BE_DOWN && be(&b, 1)->flags == 0);
	CHECK(be(&b, 0)->state == EP_BE_UP && be(&b, 0)->weight == 2);
	CHECK(be(&b, 2)->weight == 1 && be(&b, 3)->weight == 1);
	bed_down(&b);
}

int main(void)
{
	test_overlay();
	test_tiered("maglev", EP_SCHED_MAGLEV);
	test_tiered("rr", EP_SCHED_WRR);
	test_ejections_spill();
	test_ejections_panic();
	return check_summary("health_overlay");
}
