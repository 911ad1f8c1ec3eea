/* SPDX-License-Identifier: BSD-3-Clause */
/* What edgectl_fmt.c shares with edgectl_top.c: the column table and the
 * readers of the API's documents. Not for other modules. */
#ifndef EP_EDGECTL_FMT_INT_H
#define EP_EDGECTL_FMT_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#define TABLE_GAP 2 /* spaces between columns */
#define CELL_MAX 128

/* A text table: columns as wide as their widest cell. */
struct table {
	unsigned int n_cols;
	const char *const *heads;
	const char *align; /* 'l' or 'r' per column */
	char **cells; /* row-major, n_cols per row */
	size_t n_cells, cap;
	bool failed;
};

void ectl_table_cell(struct table *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Print and free; a table whose cells could not all be kept is not
 * printed half: then -ENOMEM. */
int ectl_table_finish(FILE *out, struct table *t);

const cJSON *ectl_member(const cJSON *o, const char *key);
const char *ectl_str_or(const cJSON *o, const char *key, const char *dflt);
/* A count: a number >= 0, else -1. */
double ectl_count_of(const cJSON *o, const char *key);
/* A count as text in buf: exact digits, "-" if absent. */
const char *ectl_count_text(const cJSON *o, const char *key, char *buf,
			    size_t size);
const cJSON *ectl_array_of(const cJSON *o, const char *key);
/* The element of array `a` whose `key` is the string `want`. */
const cJSON *ectl_find_by(const cJSON *a, const char *key, const char *want);

/* The services of `arr` that have limits or an access list, one row each
 * (NAME, PACKETS, BYTES, CONNECTIONS, CLIENT PKTS, CLIENT CONNS, ACL)
 * after `title`; nothing when none has (edgectl_policing.c). */
int ectl_policing_table(FILE *out, const cJSON *arr, const char *title);

#endif
