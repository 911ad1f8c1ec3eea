/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The health state and the configuration (health_overlay.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "health_overlay.h"

static uint16_t probe_port(const struct config_service *s,
			   const struct config_backend *b)
{
	if (s->health.port != 0)
		return s->health.port;
	return b->port != 0 ? b->port : s->port;
}

int health_targets_build(const struct ep_config *cfg,
			 struct health_target **out, uint32_t *n)
{
	uint32_t count = 0, k = 0;
	struct health_target *t;

	*out = NULL;
	*n = 0;
	for (uint32_t i = 0; i < cfg->n_services; i++)
		if (cfg->services[i].health.type != HEALTH_NONE)
			count += cfg->services[i].n_backends;
	if (count == 0)
		return 0;
	t = calloc(count, sizeof(*t));
	if (t == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < cfg->n_services; i++) {
		const struct config_service *s = &cfg->services[i];

		if (s->health.type == HEALTH_NONE)
			continue;
		for (uint32_t j = 0; j < s->n_backends; j++, k++) {
			memcpy(t[k].service, s->name, EP_NAME_LEN);
			t[k].addr = s->backends[j].addr;
			t[k].backend_port = s->backends[j].port;
			t[k].port = probe_port(s, &s->backends[j]);
			t[k].params = s->health;
		}
	}
	*out = t;
	*n = count;
	return 0;
}

const char *health_service_state_name(enum health_service_state s)
{
	switch (s) {
	case HEALTH_SVC_OK:
		return "ok";
	case HEALTH_SVC_PANIC:
		return "panic";
	default:
		return "unchecked";
	}
}

const struct health_sm *health_backend_sm(const struct health_engine *h,
					  const struct config_service *s,
					  uint32_t b)
{
	int i;

	if (h == NULL || s->health.type == HEALTH_NONE || b >= s->n_backends)
		return NULL;
	i = health_engine_find(h, s->name, &s->backends[b].addr,
			       s->backends[b].port);
	return i < 0 ? NULL : health_engine_sm(h, (uint32_t)i);
}

static bool eligible(const struct config_backend *b)
{
	return b->state == EP_BE_UP && b->weight > 0;
}

void health_inputs_init(struct health_inputs *hi, const struct health_engine *h)
{
	memset(hi, 0, sizeof(*hi));
	hi->engine = h;
}

int health_inputs_add(struct health_inputs *hi, health_out_fn out,
		      const void *arg)
{
	if (hi->n_sources >= HEALTH_SOURCES_MAX)
		return -ENOSPC;
	hi->sources[hi->n_sources].out = out;
	hi->sources[hi->n_sources].arg = arg;
	hi->n_sources++;
	return 0;
}

bool health_inputs_held_out(const struct health_inputs *hi,
			    const struct config_service *s, uint32_t b)
{
	for (uint32_t i = 0; i < hi->n_sources; i++)
		if (hi->sources[i].out(s, b, hi->sources[i].arg))
			return true;
	return false;
}

/* Does backend b of s fail its active checks? */
static bool checks_down(const struct health_inputs *hi,
			const struct config_service *s, uint32_t b)
{
	const struct health_sm *sm = health_backend_sm(hi->engine, s, b);

	return sm != NULL && sm->state != HEALTH_UP;
}

void health_overlay_inputs(const struct health_inputs *hi,
			   const struct config_service *s, struct tiers_in *in)
{
	for (uint32_t b = 0; b < s->n_backends; b++) {
		const struct config_backend *cb = &s->backends[b];

		in[b].priority = cb->priority;
		/* rr ignores weights beyond 0 / non-0: equal shares */
		in[b].weight = s->sched == EP_SCHED_RR && cb->weight > 0
				       ? 1
				       : cb->weight;
		in[b].eligible = eligible(cb);
		in[b].healthy = !checks_down(hi, s, b);
		in[b].held_out = health_inputs_held_out(hi, s, b);
	}
}

/* The plan of service s: in and out are s->n_backends long. Every
 * source of "not healthy" is in `in` before the plan is made, so its
 * tier loads and panic see them all. */
static void service_plan(const struct health_inputs *hi,
			 const struct config_service *s, struct tiers_in *in,
			 struct tiers_out *out, struct tiers_plan *plan)
{
	health_overlay_inputs(hi, s, in);
	tiers_plan(in, s->n_backends, s->panic_percent, out, plan);
}

/* Scratch for the largest service of cfg; NULL when out of memory. */
static void *plan_scratch(const struct ep_config *cfg, struct tiers_in **in,
			  struct tiers_out **out)
{
	uint32_t n = 1;
	char *mem;

	for (uint32_t i = 0; i < cfg->n_services; i++)
		if (cfg->services[i].n_backends > n)
			n = cfg->services[i].n_backends;
	mem = malloc((size_t)n * (sizeof(**in) + sizeof(**out)));
	*out = (struct tiers_out *)mem;
	*in = (struct tiers_in *)(mem + (size_t)n * sizeof(**out));
	return mem;
}

int health_service_plan(const struct health_inputs *hi,
			const struct config_service *s, struct tiers_out *out,
			struct tiers_plan *plan)
{
	struct tiers_in *in =
		malloc((s->n_backends ? s->n_backends : 1) * sizeof(*in));

	if (in == NULL)
		return -ENOMEM;
	service_plan(hi, s, in, out, plan);
	free(in);
	return 0;
}

void health_service_eval(const struct health_inputs *hi,
			 const struct config_service *s,
			 struct health_service_status *out)
{
	struct tiers_out *o =
		malloc((s->n_backends ? s->n_backends : 1) * sizeof(*o));
	struct tiers_plan plan;

	memset(out, 0, sizeof(*out));
	if (o == NULL || health_service_plan(hi, s, o, &plan) != 0) {
		free(o);
		return;
	}
	free(o);
	out->eligible = plan.eligible;
	out->healthy = plan.healthy;
	if (hi->engine == NULL || s->health.type == HEALTH_NONE)
		out->state = HEALTH_SVC_UNCHECKED;
	else if (plan.panic)
		out->state = HEALTH_SVC_PANIC;
	else
		out->state = HEALTH_SVC_OK;
}

static uint32_t tiers_loaded(const struct tiers_plan *p)
{
	uint32_t k = 0;

	for (uint32_t t = 0; t < p->n_tiers; t++)
		k += p->tier[t].load_ppm > 0;
	return k;
}

/* Lay service s's plan over its flat entries; the backends marked
 * down. */
static int overlay_service(const struct health_inputs *hi,
			   const struct config_service *s,
			   const struct tiers_out *out,
			   const struct tiers_plan *plan,
			   struct ep_cfg_service *fs, struct ep_cfg_backend *fb)
{
	int down = 0;

	/* rr's equal turns cannot carry unequal tier shares: wrr can. */
	if (fs->sched == EP_SCHED_RR && tiers_loaded(plan) > 1)
		fs->sched = EP_SCHED_WRR;
	for (uint32_t b = 0; b < fs->n_backends; b++) {
		struct ep_cfg_backend *f = &fb[b];

		if (f->state != EP_BE_UP)
			continue;
		if (out[b].down) {
			f->state = EP_BE_DOWN;
			/* on_down "reset" is for failed checks only: an
			 * ejection or a lapsed TTL keeps established flows */
			if (checks_down(hi, s, b))
				f->flags |= EP_BE_F_HEALTH_DOWN;
			down++;
		} else {
			f->weight = out[b].weight;
		}
	}
	return down;
}

/* flat's service and backend arrays, when they are cfg's shape. */
static int overlay_arrays(const struct ep_config *cfg, void *flat, size_t len,
			  struct ep_cfg_service **fs,
			  struct ep_cfg_backend **fb)
{
	struct ep_cfg_hdr *hdr = flat;

	if (len < sizeof(*hdr) || hdr->n_services != cfg->n_services ||
	    hdr->off_services > len ||
	    len - hdr->off_services < (size_t)hdr->n_services * sizeof(**fs) ||
	    hdr->off_backends > len ||
	    len - hdr->off_backends < (size_t)hdr->n_backends * sizeof(**fb))
		return -EINVAL;
	*fs = (struct ep_cfg_service *)((char *)flat + hdr->off_services);
	*fb = (struct ep_cfg_backend *)((char *)flat + hdr->off_backends);
	for (uint32_t i = 0; i < cfg->n_services; i++)
		if ((*fs)[i].n_backends != cfg->services[i].n_backends ||
		    (*fs)[i].first_backend > hdr->n_backends ||
		    hdr->n_backends - (*fs)[i].first_backend <
			    cfg->services[i].n_backends)
			return -EINVAL;
	return 0;
}

int health_overlay_flat_services(const struct health_inputs *hi,
				 const struct ep_config *cfg, uint32_t first,
				 uint32_t count, void *flat, size_t len)
{
	struct ep_cfg_service *fs;
	struct ep_cfg_backend *fb;
	struct tiers_in *in;
	struct tiers_out *o;
	struct tiers_plan plan;
	void *mem;
	int out = 0;

	if (first > cfg->n_services || count > cfg->n_services - first ||
	    overlay_arrays(cfg, flat, len, &fs, &fb) != 0)
		return -EINVAL;
	mem = plan_scratch(cfg, &in, &o);
	if (mem == NULL)
		return -ENOMEM;
	for (uint32_t i = first; i < first + count; i++) {
		service_plan(hi, &cfg->services[i], in, o, &plan);
		out += overlay_service(hi, &cfg->services[i], o, &plan, &fs[i],
				       &fb[fs[i].first_backend]);
	}
	free(mem);
	return out;
}

int health_overlay_flat(const struct health_inputs *hi,
			const struct ep_config *cfg, void *flat, size_t len)
{
	return health_overlay_flat_services(hi, cfg, 0, cfg->n_services, flat,
					    len);
}
