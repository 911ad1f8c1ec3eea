/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * slowpath/health_overlay.c: the targets of a configuration, and the
 * health state laid over its flat form: a backend down by its checks is
 * EP_BE_DOWN there; operator drain/down and weight 0 stay as configured
 * and do not count; below the panic threshold every eligible backend
 * takes flows again; threshold 0 never panics.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "config.h"
#include "health_overlay.h"

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

int main(void)
{
	test_overlay();
	test_tiered("maglev", EP_SCHED_MAGLEV);
	test_tiered("rr", EP_SCHED_WRR);
	return check_summary("health_overlay");
}
