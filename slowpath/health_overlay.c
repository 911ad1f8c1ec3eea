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

void health_service_eval(const struct health_engine *h,
			 const struct config_service *s,
			 struct health_service_status *out)
{
	memset(out, 0, sizeof(*out));
	for (uint32_t b = 0; b < s->n_backends; b++) {
		const struct health_sm *sm = health_backend_sm(h, s, b);

		if (!eligible(&s->backends[b]))
			continue;
		out->eligible++;
		out->healthy += sm == NULL || sm->state == HEALTH_UP;
	}
	if (h == NULL || s->health.type == HEALTH_NONE)
		out->state = HEALTH_SVC_UNCHECKED;
	else if (health_panic(out->healthy, out->eligible, s->panic_percent))
		out->state = HEALTH_SVC_PANIC;
	else
		out->state = HEALTH_SVC_OK;
}

int health_overlay_flat(const struct health_engine *h,
			const struct ep_config *cfg, void *flat, size_t len)
{
	struct ep_cfg_hdr *hdr = flat;
	struct ep_cfg_service *fs;
	struct ep_cfg_backend *fb;
	int out = 0;

	if (len < sizeof(*hdr) || hdr->n_services != cfg->n_services ||
	    hdr->off_services > len ||
	    len - hdr->off_services < (size_t)hdr->n_services * sizeof(*fs) ||
	    hdr->off_backends > len ||
	    len - hdr->off_backends < (size_t)hdr->n_backends * sizeof(*fb))
		return -EINVAL;
	fs = (struct ep_cfg_service *)((char *)flat + hdr->off_services);
	fb = (struct ep_cfg_backend *)((char *)flat + hdr->off_backends);
	for (uint32_t i = 0; h != NULL && i < cfg->n_services; i++) {
		const struct config_service *s = &cfg->services[i];
		struct health_service_status st;

		if (fs[i].n_backends != s->n_backends ||
		    fs[i].first_backend > hdr->n_backends ||
		    hdr->n_backends - fs[i].first_backend < s->n_backends)
			return -EINVAL;
		health_service_eval(h, s, &st);
		if (st.state != HEALTH_SVC_OK)
			continue;
		for (uint32_t b = 0; b < s->n_backends; b++) {
			const struct health_sm *sm = health_backend_sm(h, s, b);
			struct ep_cfg_backend *f = &fb[fs[i].first_backend + b];

			if (sm != NULL && sm->state == HEALTH_DOWN &&
			    f->state == EP_BE_UP) {
				f->state = EP_BE_DOWN;
				out++;
			}
		}
	}
	return out;
}

int health_overlay_out(const struct ep_config *cfg, void *flat, size_t len,
		       health_out_fn out, void *arg)
{
	struct ep_cfg_hdr *hdr = flat;
	struct ep_cfg_service *fs;
	struct ep_cfg_backend *fb;
	int n = 0;

	if (len < sizeof(*hdr) || hdr->n_services != cfg->n_services ||
	    hdr->off_services > len ||
	    len - hdr->off_services < (size_t)hdr->n_services * sizeof(*fs) ||
	    hdr->off_backends > len ||
	    len - hdr->off_backends < (size_t)hdr->n_backends * sizeof(*fb))
		return -EINVAL;
	fs = (struct ep_cfg_service *)((char *)flat + hdr->off_services);
	fb = (struct ep_cfg_backend *)((char *)flat + hdr->off_backends);
	for (uint32_t i = 0; i < cfg->n_services; i++) {
		const struct config_service *s = &cfg->services[i];

		if (fs[i].n_backends != s->n_backends ||
		    fs[i].first_backend > hdr->n_backends ||
		    hdr->n_backends - fs[i].first_backend < s->n_backends)
			return -EINVAL;
		for (uint32_t b = 0; b < s->n_backends; b++) {
			struct ep_cfg_backend *f = &fb[fs[i].first_backend + b];

			if (f->state == EP_BE_UP &&
			    out(s, &s->backends[b], arg)) {
				f->state = EP_BE_DOWN;
				n++;
			}
		}
	}
	return n;
}
