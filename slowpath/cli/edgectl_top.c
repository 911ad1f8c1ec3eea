/* SPDX-License-Identifier: BSD-3-Clause */
/* edgectl top: per-second rates between two /v1/stats documents, and
 * their table (edgectl_fmt.h). */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "edgectl_fmt.h"
#include "edgectl_fmt_int.h"

/* ------------------------------------------------------------------ */
/* Rates                                                                */

/* (cur - prev) / s for one counter; -1 when either is missing or the
 * counter went back. */
static double rate_of(const cJSON *cur, const cJSON *prev, const char *key,
		      double s)
{
	double c = ectl_count_of(cur, key), p = ectl_count_of(prev, key);

	if (prev == NULL || c < 0 || p < 0 || c < p)
		return -1;
	return (c - p) / s;
}

static int rates_push(struct ectl_rates *r, size_t *cap,
		      const struct ectl_rate *row)
{
	struct ectl_rate *grown;

	if (r->n_rows == *cap) {
		*cap = *cap ? *cap * 2 : 32;
		grown = realloc(r->rows, *cap * sizeof(*grown));
		if (grown == NULL)
			return -ENOMEM;
		r->rows = grown;
	}
	r->rows[r->n_rows++] = *row;
	return 0;
}

static void rate_row(struct ectl_rate *row, const cJSON *cur, const cJSON *prev,
		     double s, bool backend)
{
	memset(row, 0, sizeof(*row));
	snprintf(row->name, sizeof(row->name), "%s",
		 ectl_str_or(cur, backend ? "id" : "name", "-"));
	row->backend = backend;
	row->pkts_per_s = rate_of(cur, prev, "packets", s);
	row->bytes_per_s = rate_of(cur, prev, "bytes", s);
	row->new_flows_per_s = rate_of(cur, prev, "new_flows", s);
	row->drops_per_s = backend ? -1 : rate_of(cur, prev, "drops", s);
	row->active_flows = backend ? ectl_count_of(cur, "active_flows") : -1;
}

static int rates_service(struct ectl_rates *r, size_t *cap, const cJSON *svc,
			 const cJSON *prev_svc, double s)
{
	struct ectl_rate row;
	const cJSON *b;

	rate_row(&row, svc, prev_svc, s, false);
	if (rates_push(r, cap, &row) < 0)
		return -ENOMEM;
	cJSON_ArrayForEach(b, ectl_array_of(svc, "backends"))
	{
		const char *id = ectl_str_or(b, "id", "");
		const cJSON *pb = ectl_find_by(
			ectl_array_of(prev_svc, "backends"), "id", id);

		rate_row(&row, b, pb, s, true);
		if (rates_push(r, cap, &row) < 0)
			return -ENOMEM;
	}
	return 0;
}

int ectl_rates_compute(const cJSON *prev, const cJSON *cur, double interval_s,
		       struct ectl_rates *r)
{
	const cJSON *services = ectl_array_of(cur, "services"), *svc;
	const cJSON *pc = ectl_member(prev, "counters"),
		    *cc = ectl_member(cur, "counters");
	size_t cap = 0;

	memset(r, 0, sizeof(*r));
	if (!(interval_s > 0))
		return -EINVAL;
	if (services == NULL)
		return -EPROTO;
	r->interval_s = interval_s;
	r->rx_pkts_per_s = rate_of(cc, pc, "rx_packets", interval_s);
	r->tx_pkts_per_s = rate_of(cc, pc, "tx_packets", interval_s);
	r->rx_bytes_per_s = rate_of(cc, pc, "rx_bytes", interval_s);
	r->tx_bytes_per_s = rate_of(cc, pc, "tx_bytes", interval_s);
	r->drops_per_s = rate_of(cur, prev, "drops_total", interval_s);
	cJSON_ArrayForEach(svc, services)
	{
		const cJSON *ps =
			ectl_find_by(ectl_array_of(prev, "services"), "name",
				     ectl_str_or(svc, "name", ""));

		if (rates_service(r, &cap, svc, ps, interval_s) < 0) {
			ectl_rates_free(r);
			return -ENOMEM;
		}
	}
	return 0;
}

void ectl_rates_free(struct ectl_rates *r)
{
	free(r->rows);
	r->rows = NULL;
	r->n_rows = 0;
}

static void si_cell(struct table *t, double v)
{
	char buf[32];

	ectl_fmt_si(v, buf, sizeof(buf));
	ectl_table_cell(t, "%s", buf);
}

void ectl_fmt_top(FILE *out, const struct ectl_rates *r, const char *title)
{
	static const char *const heads[] = {
		"SERVICE / BACKEND", "PKT/S",	"BYTES/S",
		"NEW FLOWS/S",	     "DROPS/S", "ACTIVE FLOWS"
	};
	struct table t = { 6, heads, "lrrrrr", NULL, 0, 0, false };
	char rp[16], rb[16], tp[16], tb[16], dp[16];

	ectl_fmt_si(r->rx_pkts_per_s, rp, sizeof(rp));
	ectl_fmt_si(r->rx_bytes_per_s, rb, sizeof(rb));
	ectl_fmt_si(r->tx_pkts_per_s, tp, sizeof(tp));
	ectl_fmt_si(r->tx_bytes_per_s, tb, sizeof(tb));
	ectl_fmt_si(r->drops_per_s, dp, sizeof(dp));
	fprintf(out, "%s\n", title);
	fprintf(out,
		"rx %s pkt/s %s B/s   tx %s pkt/s %s B/s   drops %s pkt/s\n\n",
		rp, rb, tp, tb, dp);
	for (size_t i = 0; i < r->n_rows; i++) {
		const struct ectl_rate *row = &r->rows[i];

		ectl_table_cell(&t, "%s%s", row->backend ? "  " : "",
				row->name);
		si_cell(&t, row->pkts_per_s);
		si_cell(&t, row->bytes_per_s);
		si_cell(&t, row->new_flows_per_s);
		si_cell(&t, row->drops_per_s);
		si_cell(&t, row->active_flows);
	}
	if (ectl_table_finish(out, &t) < 0)
		fprintf(out, "(out of memory)\n");
}
