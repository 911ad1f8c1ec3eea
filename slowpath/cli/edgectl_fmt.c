/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * edgectl's output (edgectl_fmt.h): a small column table, one renderer per
 * endpoint and the error shape; the rates of `top` are in edgectl_top.c. Counters arrive as
 * exact integers in the JSON text; cJSON reads them as doubles, exact up
 * to 2^53, which no counter reaches in practice.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "edgectl_fmt.h"
#include "edgectl_fmt_int.h"
#include "stats_sum.h"

/* ------------------------------------------------------------------ */
/* A text table: columns as wide as their widest cell                  */

void ectl_table_cell(struct table *t, const char *fmt, ...)
{
	char buf[CELL_MAX], **grown;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (t->n_cells == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 64;
		grown = realloc(t->cells, t->cap * sizeof(*grown));
		if (grown == NULL) {
			t->failed = true;
			return;
		}
		t->cells = grown;
	}
	t->cells[t->n_cells] = strdup(buf);
	if (t->cells[t->n_cells] == NULL)
		t->failed = true;
	else
		t->n_cells++;
}

static void table_row(FILE *out, const struct table *t, const size_t *width,
		      const char *const *cells)
{
	for (unsigned int c = 0; c < t->n_cols; c++) {
		int w = (int)width[c];
		bool last = c + 1 == t->n_cols;

		if (c > 0)
			fprintf(out, "%*s", TABLE_GAP, "");
		if (t->align[c] == 'r')
			fprintf(out, "%*s", w, cells[c]);
		else
			fprintf(out, "%-*s", last ? 0 : w, cells[c]);
	}
	fputc('\n', out);
}

/* Print and free. A table whose cells could not all be kept is not
 * printed half: the caller's answer is then -ENOMEM. */
int ectl_table_finish(FILE *out, struct table *t)
{
	size_t width[16] = { 0 }, rows = t->n_cells / t->n_cols;
	int rc = t->failed || t->n_cols > 16 ? -ENOMEM : 0;

	for (unsigned int c = 0; rc == 0 && c < t->n_cols; c++) {
		width[c] = strlen(t->heads[c]);
		for (size_t r = 0; r < rows; r++) {
			size_t n = strlen(t->cells[r * t->n_cols + c]);

			width[c] = n > width[c] ? n : width[c];
		}
	}
	if (rc == 0) {
		table_row(out, t, width, t->heads);
		for (size_t r = 0; r < rows; r++)
			table_row(
				out, t, width,
				(const char *const *)&t->cells[r * t->n_cols]);
	}
	for (size_t i = 0; i < t->n_cells; i++)
		free(t->cells[i]);
	free(t->cells);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Reading the documents                                                */

const cJSON *ectl_member(const cJSON *o, const char *key)
{
	return cJSON_GetObjectItemCaseSensitive(o, key);
}

const char *ectl_str_or(const cJSON *o, const char *key, const char *dflt)
{
	const char *s = cJSON_GetStringValue(ectl_member(o, key));

	return s ? s : dflt;
}

/* A count: a number >= 0, else -1. */
double ectl_count_of(const cJSON *o, const char *key)
{
	const cJSON *v = ectl_member(o, key);

	return cJSON_IsNumber(v) && v->valuedouble >= 0 ? v->valuedouble : -1;
}

const char *ectl_count_text(const cJSON *o, const char *key, char *buf,
			    size_t size)
{
	double v = ectl_count_of(o, key);

	if (v < 0)
		return "-";
	snprintf(buf, size, "%.0f", v);
	return buf;
}

const cJSON *ectl_array_of(const cJSON *o, const char *key)
{
	const cJSON *a = ectl_member(o, key);

	return cJSON_IsArray(a) ? a : NULL;
}

/* The element of array `a` whose `key` is the string `want`. */
const cJSON *ectl_find_by(const cJSON *a, const char *key, const char *want)
{
	const cJSON *e;

	cJSON_ArrayForEach(e, a)
	{
		const char *s = ectl_str_or(e, key, NULL);

		if (s != NULL && strcmp(s, want) == 0)
			return e;
	}
	return NULL;
}

/* "10.0.0.1:80", "[2001:db8::1]:80": the API's backend id form. */
static void endpoint_text(const char *addr, const cJSON *port, char *out,
			  size_t size)
{
	bool v6 = strchr(addr, ':') != NULL;
	char p[24] = "-";

	if (cJSON_IsNumber(port))
		snprintf(p, sizeof(p), "%.0f", port->valuedouble);
	snprintf(out, size, "%s%s%s:%s", v6 ? "[" : "", addr, v6 ? "]" : "", p);
}

/* ------------------------------------------------------------------ */
/* Services and backends                                                */

static void service_row(struct table *t, const cJSON *s)
{
	const char *fwd = ectl_str_or(s, "forwarding", "-");
	const char *vip = ectl_str_or(s, "vip", "-");
	const cJSON *port = ectl_member(s, "port"), *b;
	bool v6 = strchr(vip, ':') != NULL;
	unsigned int up = 0, total = 0;
	char p[24] = "-";

	if (cJSON_IsNumber(port))
		snprintf(p, sizeof(p), "%.0f", port->valuedouble);
	cJSON_ArrayForEach(b, ectl_array_of(s, "backends"))
	{
		total++;
		up += strcmp(ectl_str_or(b, "state", "up"), "up") == 0;
	}
	ectl_table_cell(t, "%s", ectl_str_or(s, "name", "-"));
	ectl_table_cell(t, "%s%s%s:%s/%s", v6 ? "[" : "", vip, v6 ? "]" : "",
			strcmp(p, "0") == 0 ? "*" : p,
			ectl_str_or(s, "protocol", "-"));
	if (strcmp(fwd, "encap") == 0)
		ectl_table_cell(t, "encap/%s", ectl_str_or(s, "encap", "ipip"));
	else
		ectl_table_cell(t, "%s", fwd);
	ectl_table_cell(t, "%s", ectl_str_or(s, "scheduler", "-"));
	ectl_table_cell(t, "%u/%u", up, total);
}

#define HEAD_MAX 32
#define COLS_MAX 16

/* Columns from a counter table (ep_abi.h's lists): `first` heads the
 * table, then one right-aligned column per counter (only the brief ones
 * when `brief`), headed by its name in capitals with spaces. Room is
 * left for two more columns (the backend table's weight and state). */
struct counter_cols {
	char head[COLS_MAX][HEAD_MAX];
	const char *heads[COLS_MAX];
	char align[COLS_MAX + 1];
	const struct ep_counter_desc *d[COLS_MAX];
	unsigned int n; /* columns, `first` included */
};

static void counter_cols(struct counter_cols *c, const char *first,
			 const struct ep_counter_desc *d, unsigned int n,
			 bool brief)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->head[0], HEAD_MAX, "%s", first);
	c->align[0] = 'l';
	c->n = 1;
	for (unsigned int k = 0; k < n && c->n < COLS_MAX - 2; k++) {
		char *h = c->head[c->n];

		if (brief && !d[k].brief)
			continue;
		snprintf(h, HEAD_MAX, "%s", d[k].name);
		for (char *p = h; *p != '\0'; p++)
			*p = *p == '_' ? ' '
				       : (char)(*p >= 'a' && *p <= 'z' ? *p - 32
								       : *p);
		c->d[c->n] = &d[k];
		c->align[c->n++] = 'r';
	}
	for (unsigned int k = 0; k < c->n; k++)
		c->heads[k] = c->head[k];
}

int ectl_fmt_services(FILE *out, const cJSON *services)
{
	static const char *const heads[] = { "NAME", "VIP", "MODE", "SCHEDULER",
					     "BACKENDS" };
	struct table t = { 5, heads, "lllll", NULL, 0, 0, false };
	const cJSON *arr = ectl_array_of(services, "services"), *s;
	int rc;

	if (arr == NULL)
		return -EPROTO;
	cJSON_ArrayForEach(s, arr) service_row(&t, s);
	rc = ectl_table_finish(out, &t);
	return rc ? rc
		  : ectl_policing_table(out, arr,
					"\nLimits and access lists:\n");
}

/* The active health check of backend `id` (GET .../backends "health"):
 * "up", "down refused", and its last result "ok 0.21 ms". */
static void health_cells(struct table *t, const cJSON *health, const char *id)
{
	const cJSON *h =
		ectl_find_by(ectl_array_of(health, "backends"), "id", id);
	const cJSON *lat = ectl_member(h, "last_latency_ms");
	const char *state = ectl_str_or(h, "state", "-");
	const char *reason = ectl_str_or(h, "reason", "");

	if (strcmp(state, "down") == 0 && reason[0])
		ectl_table_cell(t, "down %s", reason);
	else
		ectl_table_cell(t, "%s", state);
	if (cJSON_IsNumber(lat))
		ectl_table_cell(t, "%s %.2f ms",
				ectl_str_or(h, "last_result", "-"),
				lat->valuedouble);
	else
		ectl_table_cell(t, "%s", ectl_str_or(h, "last_result", "-"));
}

/* TIER and SHARE of backend `id`: its priority and its share of new
 * flows now (GET .../backends "health"). */
static void tier_cells(struct table *t, const cJSON *health, const cJSON *b,
		       const char *id)
{
	const cJSON *h =
		ectl_find_by(ectl_array_of(health, "backends"), "id", id);
	const cJSON *share = ectl_member(h, "share_percent");
	const cJSON *prio = ectl_member(b, "priority");

	/* the document leaves priority 0 out */
	ectl_table_cell(t, "%.0f",
			cJSON_IsNumber(prio) ? prio->valuedouble : 0.0);
	if (cJSON_IsNumber(share))
		ectl_table_cell(t, "%.2f%%", share->valuedouble);
	else
		ectl_table_cell(t, "-");
}

/* A backend of the service has a priority other than 0. */
static bool has_tiers(const cJSON *arr)
{
	const cJSON *b;

	cJSON_ArrayForEach(b, arr)
	{
		const cJSON *p = ectl_member(b, "priority");

		if (cJSON_IsNumber(p) && p->valuedouble != 0)
			return true;
	}
	return false;
}

/* BACKEND, WEIGHT, STATE[, TIER, SHARE][, HEALTH, LAST CHECK], then the
 * brief counters. */
static void backend_cols(struct counter_cols *c, bool tiered, bool checked)
{
	static const char *const tier_heads[] = { "TIER", "SHARE" };
	static const char *const check_heads[] = { "HEALTH", "LAST CHECK" };
	unsigned int extra = 2 + (tiered ? 2 : 0) + (checked ? 2 : 0), k = 1;

	counter_cols(c, "BACKEND", ep_be_counters, EP_BE_N, true);
	memmove(&c->d[1 + extra], &c->d[1], (c->n - 1) * sizeof(c->d[0]));
	memmove(&c->head[1 + extra], &c->head[1],
		(c->n - 1) * sizeof(c->head[0]));
	c->align[k] = 'r';
	snprintf(c->head[k++], HEAD_MAX, "WEIGHT");
	c->align[k] = 'l';
	snprintf(c->head[k++], HEAD_MAX, "STATE");
	for (unsigned int i = 0; tiered && i < 2; i++) {
		c->align[k] = 'r';
		snprintf(c->head[k++], HEAD_MAX, "%s", tier_heads[i]);
	}
	for (unsigned int i = 0; checked && i < 2; i++) {
		c->align[k] = 'l';
		snprintf(c->head[k++], HEAD_MAX, "%s", check_heads[i]);
	}
	c->n += extra;
	for (k = 0; k < c->n; k++) {
		c->heads[k] = c->head[k];
		if (k == 0 || k > extra)
			c->align[k] = k == 0 ? 'l' : 'r';
	}
}

/* The outlier breakers (GET .../backends "outlier"), when the service
 * has outlier_detection: one row per backend. */
static int breaker_table(FILE *out, const cJSON *outlier)
{
	static const char *const heads[] = { "BACKEND",	  "BREAKER",
					     "EJECTIONS", "FAILURES",
					     "SUCCESSES", "CONSECUTIVE" };
	static const char align[] = { 'l', 'l', 'r', 'r', 'r', 'r' };
	static const char *const nums[] = { "ejections", "failures",
					    "successes",
					    "consecutive_failures" };
	const cJSON *b;
	char num[32], id[32];
	struct table t = { 6, heads, align, NULL, 0, 0, false };

	if (!cJSON_IsTrue(ectl_member(outlier, "enabled")))
		return 0;
	cJSON_ArrayForEach(b, ectl_array_of(outlier, "backends"))
	{
		ectl_table_cell(&t, "%s", ectl_str_or(b, "id", "-"));
		ectl_table_cell(&t, "%s", ectl_str_or(b, "state", "-"));
		for (unsigned int k = 0; k < 4; k++)
			ectl_table_cell(
				&t, "%s",
				ectl_count_text(b, nums[k], num, sizeof(num)));
	}
	if (ectl_table_finish(out, &t) != 0)
		return -ENOMEM;
	fprintf(out, "outlier detection: %s ejected (max %s%%)\n",
		ectl_count_text(outlier, "ejected", num, sizeof(num)),
		ectl_count_text(outlier, "max_ejection_percent", id,
				sizeof(id)));
	return 0;
}

/* "tiers: 0 35.00% (1/4 healthy), 1 65.00% (4/4 healthy)" */
static void tiers_line(FILE *out, const cJSON *health)
{
	const cJSON *t, *arr = ectl_array_of(health, "tiers");
	char a[32], b[32], c[32];
	const char *sep = "";

	if (arr == NULL)
		return;
	fprintf(out, "tiers:");
	cJSON_ArrayForEach(t, arr)
	{
		const cJSON *load = ectl_member(t, "load_percent");

		fprintf(out, "%s %s %.2f%% (%s/%s healthy%s)", sep,
			ectl_count_text(t, "priority", a, sizeof(a)),
			cJSON_IsNumber(load) ? load->valuedouble : 0.0,
			ectl_count_text(t, "healthy", b, sizeof(b)),
			ectl_count_text(t, "eligible", c, sizeof(c)),
			cJSON_IsTrue(ectl_member(t, "panic")) ? ", panic" : "");
		sep = ",";
	}
	fprintf(out, "\n");
}

int ectl_fmt_backends(FILE *out, const cJSON *backends, const cJSON *stats,
		      const char *service)
{
	const cJSON *arr = ectl_array_of(backends, "backends"), *b, *counters;
	const cJSON *svc =
		ectl_find_by(ectl_array_of(stats, "services"), "name", service);
	const cJSON *health = ectl_member(backends, "health");
	bool checked =
		strcmp(ectl_str_or(health, "check", "none"), "none") != 0;
	bool tiered = has_tiers(arr);
	unsigned int first = 3 + (checked ? 2 : 0) + (tiered ? 2 : 0);
	char id[96], num[32];
	struct counter_cols c;
	struct table t;
	int rc;

	if (arr == NULL)
		return -EPROTO;
	backend_cols(&c, tiered, checked);
	t = (struct table){ c.n, c.heads, c.align, NULL, 0, 0, false };
	cJSON_ArrayForEach(b, arr)
	{
		endpoint_text(ectl_str_or(b, "address", "-"),
			      ectl_member(b, "port"), id, sizeof(id));
		counters =
			ectl_find_by(ectl_array_of(svc, "backends"), "id", id);
		ectl_table_cell(&t, "%s", id);
		ectl_table_cell(&t, "%s",
				ectl_count_text(b, "weight", num, sizeof(num)));
		ectl_table_cell(&t, "%s", ectl_str_or(b, "state", "up"));
		if (tiered)
			tier_cells(&t, health, b, id);
		if (checked)
			health_cells(&t, health, id);
		for (unsigned int k = first; k < c.n; k++)
			ectl_table_cell(&t, "%s",
					ectl_count_text(counters, c.d[k]->name,
							num, sizeof(num)));
	}
	rc = ectl_table_finish(out, &t);
	if (rc == 0 && checked)
		fprintf(out, "health: %s check, service %s, %s of %s healthy\n",
			ectl_str_or(health, "check", "-"),
			ectl_str_or(health, "state", "-"),
			ectl_count_text(health, "healthy", num, sizeof(num)),
			ectl_count_text(health, "eligible", id, sizeof(id)));
	if (rc == 0 && tiered)
		tiers_line(out, health);
	return rc ? rc : breaker_table(out, ectl_member(backends, "outlier"));
}

/* ------------------------------------------------------------------ */
/* Stats                                                                */

/* The counters `edgectl stats` shows without --all. */
static const char *const main_counters[] = {
	"rx_packets",	     "rx_bytes",       "tx_packets", "tx_bytes",
	"forwarded_packets", "punted_packets", "ct_hits",    "ct_misses",
	"ct_inserts",	     "ct_evictions",   "ct_expired",
};

#define N_MAIN_COUNTERS (sizeof(main_counters) / sizeof(main_counters[0]))

static void stats_state(FILE *out, const cJSON *st)
{
	char g[32], v[32], c[32], w[32], pr[32], in[32];
	bool alive = cJSON_IsTrue(ectl_member(st, "fastpath_alive"));

	fprintf(out,
		"fast path: %s, workers %s, generation %s, version %s; API "
		"configuration version %s\n",
		alive ? "alive" : "NOT RUNNING",
		ectl_count_text(st, "workers", w, sizeof(w)),
		ectl_count_text(st, "generation", g, sizeof(g)),
		ectl_count_text(st, "version", v, sizeof(v)),
		ectl_count_text(st, "config_version", c, sizeof(c)));
	fprintf(out, "rings: punt %s, inject %s\n\n",
		ectl_count_text(st, "punt_ring_depth", pr, sizeof(pr)),
		ectl_count_text(st, "inject_ring_depth", in, sizeof(in)));
}

/*
 * One row per element of st's array `key`: its ectl_member `first` (a count
 * when `first_is_count`, else text) under `head`, then the counters of
 * the family's table.
 */
static int counter_rows(FILE *out, const cJSON *st, const char *key,
			const char *head, const char *first,
			bool first_is_count, const struct ep_counter_desc *d,
			unsigned int n)
{
	struct counter_cols c;
	struct table t;
	const cJSON *e;
	char num[32];

	counter_cols(&c, head, d, n, false);
	c.align[0] = first_is_count ? 'r' : 'l';
	t = (struct table){ c.n, c.heads, c.align, NULL, 0, 0, false };
	cJSON_ArrayForEach(e, ectl_array_of(st, key))
	{
		ectl_table_cell(&t, "%s",
				first_is_count ? ectl_count_text(e, first, num,
								 sizeof(num))
					       : ectl_str_or(e, first, "-"));
		for (unsigned int k = 1; k < c.n; k++)
			ectl_table_cell(&t, "%s",
					ectl_count_text(e, c.d[k]->name, num,
							sizeof(num)));
	}
	return ectl_table_finish(out, &t);
}

static int stats_ports(FILE *out, const cJSON *st)
{
	return counter_rows(out, st, "ports", "PORT", "port", true,
			    ep_port_counters, EP_PORT_N);
}

#ifndef RTE_MIN
#define RTE_MIN(a, b) ((a) < (b) ? (a) : (b))
#endif

/* Services' counters in tables of at most SVC_TABLE_COLS counters each
 * (traffic and policing drops, then the SYN proxy's), a blank line
 * between them. */
#define SVC_TABLE_COLS 11u

static int stats_services(FILE *out, const cJSON *st)
{
	int rc = 0;

	for (unsigned int k = 0; k < EP_SVC_N; k += SVC_TABLE_COLS) {
		if (k)
			fputc('\n', out);
		rc |= counter_rows(out, st, "services", "SERVICE", "name",
				   false, ep_svc_counters + k,
				   RTE_MIN(SVC_TABLE_COLS, EP_SVC_N - k));
	}
	return rc;
}

static int stats_counters(FILE *out, const cJSON *st, bool all)
{
	static const char *const heads[] = { "COUNTER", "VALUE" };
	struct table t = { 2, heads, "lr", NULL, 0, 0, false };
	const cJSON *cnt = ectl_member(st, "counters"), *c;
	char num[32];

	if (all) {
		cJSON_ArrayForEach(c, cnt)
		{
			ectl_table_cell(&t, "%s", c->string);
			ectl_table_cell(&t, "%s",
					ectl_count_text(cnt, c->string, num,
							sizeof(num)));
		}
		return ectl_table_finish(out, &t);
	}
	for (size_t i = 0; i < N_MAIN_COUNTERS; i++) {
		ectl_table_cell(&t, "%s", main_counters[i]);
		ectl_table_cell(&t, "%s",
				ectl_count_text(cnt, main_counters[i], num,
						sizeof(num)));
	}
	return ectl_table_finish(out, &t);
}

/* Drop reasons, non-zero ones unless all, then the total. */
static int stats_drops(FILE *out, const cJSON *st, bool all)
{
	static const char *const heads[] = { "DROP REASON", "PACKETS" };
	struct table t = { 2, heads, "lr", NULL, 0, 0, false };
	const cJSON *drops = ectl_member(st, "drops"), *d;
	char num[32];

	cJSON_ArrayForEach(d, drops)
	{
		if (!all && ectl_count_of(drops, d->string) == 0)
			continue;
		ectl_table_cell(&t, "%s", d->string);
		ectl_table_cell(
			&t, "%s",
			ectl_count_text(drops, d->string, num, sizeof(num)));
	}
	ectl_table_cell(&t, "total");
	ectl_table_cell(&t, "%s",
			ectl_count_text(st, "drops_total", num, sizeof(num)));
	return ectl_table_finish(out, &t);
}

int ectl_fmt_stats(FILE *out, const cJSON *stats, bool all)
{
	int rc = 0;

	if (!cJSON_IsObject(stats) ||
	    !cJSON_IsObject(ectl_member(stats, "counters")))
		return -EPROTO;
	stats_state(out, stats);
	rc |= stats_ports(out, stats);
	fputc('\n', out);
	rc |= stats_services(out, stats);
	fputc('\n', out);
	rc |= stats_counters(out, stats, all);
	fputc('\n', out);
	rc |= stats_drops(out, stats, all);
	return rc ? -ENOMEM : 0;
}

/* ------------------------------------------------------------------ */
/* Flows                                                                */

static void age_text(double ms, char *out, size_t size)
{
	if (ms < 0)
		snprintf(out, size, "-");
	else if (ms < 1000)
		snprintf(out, size, "%.0fms", ms);
	else if (ms < 60000)
		snprintf(out, size, "%.1fs", ms / 1000);
	else
		snprintf(out, size, "%.0fm%02.0fs", floor(ms / 60000),
			 floor(fmod(ms, 60000) / 1000));
}

int ectl_fmt_flows(FILE *out, const cJSON *flows)
{
	static const char *const heads[] = { "SERVICE", "CLIENT", "VIP",
					     "BACKEND", "PROTO",  "STATE",
					     "AGE",	"WORKER" };
	struct table t = { 8, heads, "lllllllr", NULL, 0, 0, false };
	const cJSON *arr = ectl_array_of(flows, "flows"), *f;
	char num[32];

	if (arr == NULL)
		return -EPROTO;
	cJSON_ArrayForEach(f, arr)
	{
		ectl_table_cell(&t, "%s", ectl_str_or(f, "service", "-"));
		ectl_table_cell(&t, "%s", ectl_str_or(f, "client", "-"));
		ectl_table_cell(&t, "%s", ectl_str_or(f, "vip", "-"));
		ectl_table_cell(&t, "%s",
				ectl_str_or(f, "backend_address", "-"));
		ectl_table_cell(&t, "%s", ectl_str_or(f, "protocol", "-"));
		ectl_table_cell(&t, "%s", ectl_str_or(f, "state", "-"));
		age_text(ectl_count_of(f, "age_ms"), num, sizeof(num));
		ectl_table_cell(&t, "%s", num);
		ectl_table_cell(&t, "%s",
				ectl_count_text(f, "worker", num, sizeof(num)));
	}
	return ectl_table_finish(out, &t);
}

/* ------------------------------------------------------------------ */
/* Errors                                                               */

static void detail_line(FILE *out, const cJSON *d)
{
	char *text;

	if (cJSON_IsString(d)) {
		fprintf(out, "  %s: %s\n", d->string, d->valuestring);
		return;
	}
	text = cJSON_PrintUnformatted(d);
	fprintf(out, "  %s: %s\n", d->string, text ? text : "?");
	free(text);
}

long ectl_fmt_error(FILE *out, long status, const char *body, size_t len)
{
	cJSON *doc = body ? cJSON_ParseWithLength(body, len) : NULL;
	const cJSON *code = ectl_member(doc, "code"), *d;
	const char *msg = ectl_str_or(doc, "message", NULL);
	long rc = status;

	if (cJSON_IsNumber(code) && msg != NULL) {
		rc = (long)code->valuedouble;
		fprintf(out, "edgectl: %s (code %ld)\n", msg, rc);
		cJSON_ArrayForEach(d, ectl_member(doc, "details"))
			detail_line(out, d);
	} else {
		fprintf(out,
			"edgectl: the API answered HTTP %ld, without an error "
			"body edgectl can read\n",
			status);
	}
	cJSON_Delete(doc);
	return rc;
}

const char *ectl_error_hint(long code, bool config_apply)
{
	switch (code) {
	case 1004:
		return config_apply ? "the configuration changed since that "
				      "version: review it with 'edgectl config "
				      "show', or apply anyway with --force"
				    : NULL;
	case 1005:
		return "is edgepath-fastpath running? 'edgectl stats' says "
		       "whether it is alive";
	case 1006:
		return "this needs the admin role: an admin client "
		       "certificate (--cert, --key) or the Unix socket";
	default:
		return NULL;
	}
}

void ectl_fmt_si(double v, char *out, size_t size)
{
	static const char suffix[] = "kMGTPE";
	int i = -1;

	if (!(v >= 0) || isinf(v)) {
		snprintf(out, size, "-");
		return;
	}
	if (v < 10 && v != floor(v)) {
		snprintf(out, size, "%.1f", v);
		return;
	}
	while (v >= 999.5 && i < 5) {
		v /= 1000;
		i++;
	}
	if (i < 0)
		snprintf(out, size, "%.0f", v);
	else
		snprintf(out, size, v < 99.95 ? "%.1f%c" : "%.0f%c", v,
			 suffix[i]);
}

/* ---- node ------------------------------------------------------------ */

static void fmt_reasons(FILE *out, const cJSON *arr)
{
	const cJSON *r;
	int n = 0;

	cJSON_ArrayForEach(r, arr)
	{
		if (cJSON_IsString(r))
			fprintf(out, "%s%s", n++ ? "," : "", r->valuestring);
	}
	if (n == 0)
		fputc('-', out);
}

int ectl_fmt_node(FILE *out, const cJSON *node)
{
	const cJSON *st = cJSON_GetObjectItemCaseSensitive(node, "state");
	const cJSON *vips = cJSON_GetObjectItemCaseSensitive(node, "vips");
	const cJSON *bird = cJSON_GetObjectItemCaseSensitive(node, "bird");
	const cJSON *v;

	if (!cJSON_IsString(st) || !cJSON_IsArray(vips))
		return -EPROTO;
	fprintf(out, "node: %s (", st->valuestring);
	fmt_reasons(out, cJSON_GetObjectItemCaseSensitive(node, "reasons"));
	fprintf(out, ")\n%-40s %-9s %8s %7s %s\n", "VIP", "ANNOUNCED",
		"SERVICES", "HEALTHY", "REASONS");
	cJSON_ArrayForEach(v, vips)
	{
		const cJSON *a = cJSON_GetObjectItemCaseSensitive(v, "vip");
		const cJSON *s =
			cJSON_GetObjectItemCaseSensitive(v, "services");
		const cJSON *h =
			cJSON_GetObjectItemCaseSensitive(v, "healthy_backends");

		if (!cJSON_IsString(a) || !cJSON_IsNumber(s) ||
		    !cJSON_IsNumber(h))
			return -EPROTO;
		fprintf(out, "%-40s %-9s %8.0f %7.0f ", a->valuestring,
			cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(
				v, "announced"))
				? "yes"
				: "no",
			s->valuedouble, h->valuedouble);
		fmt_reasons(out,
			    cJSON_GetObjectItemCaseSensitive(v, "reasons"));
		fputc('\n', out);
	}
	if (cJSON_IsObject(bird)) {
		const cJSON *e =
			cJSON_GetObjectItemCaseSensitive(bird, "last_error");

		fprintf(out, "bird: %s",
			cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(bird,
								      "synced"))
				? "synced"
				: "not synced");
		if (cJSON_IsString(e) && *e->valuestring)
			fprintf(out, " (%s)", e->valuestring);
		fputc('\n', out);
	}
	return 0;
}
