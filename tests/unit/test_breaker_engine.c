/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * slowpath/breaker_engine.c and config/outlier.c: outlier_detection parsed
 * and written back canonically; the breakers of a configuration fed by
 * (fake) fast-path sums; the ejections laid over the flat form
 * (EP_BE_DOWN) as a source of the health overlay, max_ejection_percent across a service, the operator's
 * drain kept apart, state kept across a new version, and half open
 * admitting again after base_ejection_ms.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "breaker_engine.h"
#include "check.h"
#include "config.h"
#include "health_overlay.h"

static const char doc[] =
	"{\"services\":[{\"name\":\"web\",\"vip\":\"10.0.0.1\",\"port\":80,"
	"\"protocol\":\"tcp\",\"forwarding\":\"nat\",\"outlier_detection\":"
	"{\"consecutive_failures\":2,\"base_ejection_ms\":1000,"
	"\"max_ejection_percent\":50},\"backends\":["
	"{\"address\":\"10.0.1.1\",\"port\":8080},"
	"{\"address\":\"10.0.1.2\",\"port\":8080},"
	"{\"address\":\"10.0.1.3\",\"port\":8080},"
	"{\"address\":\"10.0.1.4\",\"port\":8080},"
	"{\"address\":\"10.0.1.5\",\"port\":8080,\"state\":\"drain\"}]},"
	"{\"name\":\"plain\",\"vip\":\"10.0.0.2\",\"port\":80,"
	"\"protocol\":\"tcp\",\"backends\":[{\"address\":\"10.0.2.1\"}]}]}";

#define N_BE 6u

static struct breaker_sample sums[64];

static void fake_read(void *ctx, uint32_t sid, struct breaker_sample *out)
{
	(void)ctx;
	*out = sid < 64 ? sums[sid] : (struct breaker_sample){ 0 };
}

struct flat {
	void *p;
	size_t len;
};

static void build(const struct ep_config *cfg, struct flat *f)
{
	size_t cap = config_flat_size(cfg);
	struct config_error err;

	f->p = malloc(cap);
	CHECK(f->p != NULL &&
	      config_to_flat(cfg, 1, NULL, f->p, cap, &f->len, &err) == 0);
}

static struct ep_cfg_backend *flat_be(const struct flat *f, uint32_t i)
{
	const struct ep_cfg_hdr *h = f->p;

	return (struct ep_cfg_backend *)((char *)f->p + h->off_backends) + i;
}

/* The flat states after the health overlay with e as its only source
 * (no active checks); how many it took out. */
static int overlay(const struct breaker_engine *e, const struct ep_config *cfg,
		   uint8_t st[N_BE])
{
	struct health_inputs hi;
	struct flat f;
	int n;

	health_inputs_init(&hi, NULL);
	CHECK(health_inputs_add(&hi, breaker_engine_holds_out, e) == 0);
	build(cfg, &f);
	n = health_overlay_flat(&hi, cfg, f.p, f.len);
	for (uint32_t i = 0; i < N_BE; i++) {
		st[i] = flat_be(&f, i)->state;
		/* an ejection keeps established flows: no on_down reset */
		CHECK(flat_be(&f, i)->flags == 0);
	}
	CHECK(health_overlay_flat(&hi, cfg, f.p, sizeof(struct ep_cfg_hdr)) ==
	      -EINVAL);
	free(f.p);
	return n;
}

static void fail_backend(const struct flat *f, uint32_t i, uint64_t n)
{
	sums[flat_be(f, i)->stats_id].failures += n;
}

static void test_canonical(const struct ep_config *cfg)
{
	char *json = config_to_json(cfg);
	struct ep_config again;
	struct config_error err = { "" };

	CHECK(json != NULL &&
	      strstr(json, "\"outlier_detection\":{"
			   "\"consecutive_failures\":2,"
			   "\"failure_rate_percent\":0,") != NULL);
	CHECK(strstr(json, "\"max_ejection_percent\":50,") != NULL);
	CHECK_MSG(config_parse(json, strlen(json), &again, &err) == 0, "%s",
		  err.msg);
	CHECK(config_equal(cfg, &again));
	CHECK(again.services[0].outlier.enabled &&
	      !again.services[1].outlier.enabled);
	CHECK(again.services[0].outlier.half_open_flows ==
	      OUTLIER_HALF_OPEN_FLOWS_DEFAULT);
	config_free(&again);
	free(json);
}

int main(void)
{
	struct ep_config cfg;
	struct config_error err = { "" };
	struct breaker_engine *e = breaker_engine_create(fake_read, NULL);
	struct flat f;
	uint8_t st[N_BE];
	const struct breaker *b;

	CHECK_MSG(config_parse(doc, strlen(doc), &cfg, &err) == 0, "%s",
		  err.msg);
	test_canonical(&cfg);
	build(&cfg, &f);
	CHECK(e != NULL);
	CHECK(breaker_engine_sync(e, &cfg, f.p, 10, 1, 0) == -EINVAL);
	CHECK(breaker_engine_sync(e, &cfg, f.p, f.len, 1, 0) == 0);
	CHECK(breaker_engine_step(e, &cfg, 0) == 0); /* the baseline */
	CHECK(breaker_engine_find(e, &cfg.services[1], 0) == NULL);
	CHECK(overlay(e, &cfg, st) == 0);

	/* Two failures in a row eject backend 0. */
	fail_backend(&f, 0, 2);
	CHECK(breaker_engine_step(e, &cfg, 100) == 1);
	b = breaker_engine_find(e, &cfg.services[0], 0);
	CHECK(b != NULL && b->state == BREAKER_OPEN);
	CHECK(overlay(e, &cfg, st) == 1);
	CHECK(st[0] == EP_BE_DOWN && st[1] == EP_BE_UP && st[2] == EP_BE_UP);
	CHECK(st[4] == EP_BE_DRAIN && st[5] == EP_BE_UP);

	/* 50 % of the 4 eligible: one more, not a third; the drained one
	 * neither counts nor is judged. */
	fail_backend(&f, 1, 2);
	fail_backend(&f, 2, 2);
	fail_backend(&f, 4, 9);
	CHECK(breaker_engine_step(e, &cfg, 200) == 1);
	CHECK(overlay(e, &cfg, st) == 2);
	CHECK(st[0] == EP_BE_DOWN && st[1] == EP_BE_DOWN && st[2] == EP_BE_UP);
	CHECK(breaker_engine_find(e, &cfg.services[0], 2)->n_refused == 1);
	CHECK(breaker_engine_find(e, &cfg.services[0], 4)->state ==
	      BREAKER_CLOSED);

	/* A new version of the same document keeps the state. */
	CHECK(breaker_engine_sync(e, &cfg, f.p, f.len, 2, 300) == 0);
	CHECK(breaker_engine_find(e, &cfg.services[0], 0)->state ==
	      BREAKER_OPEN);
	CHECK(breaker_engine_step(e, &cfg, 300) == 0);

	/* base_ejection_ms later: half open, admitting again. */
	CHECK(breaker_engine_step(e, &cfg, 1100) == 1);
	CHECK(breaker_engine_find(e, &cfg.services[0], 0)->state ==
	      BREAKER_HALF_OPEN);
	CHECK(overlay(e, &cfg, st) == 1);
	CHECK(st[0] == EP_BE_UP && st[1] == EP_BE_DOWN);
	/* Half open still counts as out: backend 2, still tripping, has no
	 * room while backend 1 turns half open too. */
	fail_backend(&f, 2, 1);
	CHECK(breaker_engine_step(e, &cfg, 1200) == 1);
	CHECK(breaker_engine_find(e, &cfg.services[0], 1)->state ==
	      BREAKER_HALF_OPEN);
	CHECK(breaker_engine_find(e, &cfg.services[0], 2)->state ==
	      BREAKER_CLOSED);
	CHECK(breaker_engine_find(e, &cfg.services[0], 2)->n_refused == 1);
	/* Backend 0 answers: closed, and in the same tick backend 2, whose
	 * run still trips, takes the room. */
	sums[flat_be(&f, 0)->stats_id].successes++;
	CHECK(breaker_engine_step(e, &cfg, 1300) == 1);
	CHECK(breaker_engine_find(e, &cfg.services[0], 0)->state ==
	      BREAKER_CLOSED);
	CHECK(breaker_engine_find(e, &cfg.services[0], 2)->state ==
	      BREAKER_OPEN);
	CHECK(overlay(e, &cfg, st) == 1);
	CHECK(st[0] == EP_BE_UP && st[1] == EP_BE_UP && st[2] == EP_BE_DOWN);

	free(f.p);
	config_free(&cfg);
	breaker_engine_destroy(e);
	return check_summary("breaker_engine");
}
