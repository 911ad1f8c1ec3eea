/* SPDX-License-Identifier: BSD-3-Clause */
/* A strict checker of the Prometheus text format (see prom_check.h). */
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prom_check.h"

#define PROM_MAX_FAMILIES 1024
#define PROM_NAME 128
#define PROM_LINE 1024

struct prom_family {
	char name[PROM_NAME];
	char type[16]; /* "" = untyped (no TYPE line) */
	bool help, typed, has_samples, closed;
};

struct prom_bucket {
	char group[PROM_LINE]; /* labels without le */
	double le, v;
};

struct prom {
	struct prom_family fam[PROM_MAX_FAMILIES];
	unsigned int n_fam;
	int current; /* family of the last sample, -1 none */
	char **series; /* "name{sorted labels}" */
	size_t n_series, cap_series;
	struct prom_bucket *buckets; /* of the current histogram family */
	size_t n_buckets, cap_buckets;
	char err[256];
	unsigned int line;
};

static int prom_fail(struct prom *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int prom_fail(struct prom *p, const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(p->err, sizeof(p->err), "line %u: %s", p->line, msg);
	return -1;
}

static bool prom_name_ok(const char *s, bool label)
{
	if (!*s || (*s >= '0' && *s <= '9'))
		return false;
	if (label && strncmp(s, "__", 2) == 0)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' ||
		      (*s == ':' && !label)))
			return false;
	return true;
}

static int prom_find(struct prom *p, const char *name)
{
	for (unsigned int i = 0; i < p->n_fam; i++)
		if (strcmp(p->fam[i].name, name) == 0)
			return (int)i;
	return -1;
}

static int prom_get(struct prom *p, const char *name)
{
	int i = prom_find(p, name);

	if (i >= 0 || p->n_fam == PROM_MAX_FAMILIES)
		return i;
	snprintf(p->fam[p->n_fam].name, PROM_NAME, "%s", name);
	return (int)p->n_fam++;
}

/* A Go-ParseFloat style number, or Inf / NaN forms. */
static bool prom_float(const char *s, double *v)
{
	char *end;

	if (strcmp(s, "+Inf") == 0 || strcmp(s, "Inf") == 0) {
		*v = INFINITY;
		return true;
	}
	if (strcmp(s, "-Inf") == 0) {
		*v = -INFINITY;
		return true;
	}
	if (strcmp(s, "NaN") == 0) {
		*v = NAN;
		return true;
	}
	if (!*s || strpbrk(s, "xXiInN") != NULL)
		return false;
	*v = strtod(s, &end);
	return *end == 0;
}

/* The _count of a histogram group, or NAN when there is none. */
static double prom_count_of(const struct prom *p, const char *group)
{
	for (size_t i = 0; i < p->n_buckets; i++)
		if (isnan(p->buckets[i].le) &&
		    strcmp(p->buckets[i].group, group) == 0)
			return p->buckets[i].v;
	return NAN;
}

/* The buckets of the histogram family that just ended, group by group:
 * le ascending, counts cumulative, a +Inf bucket equal to _count. */
static int prom_check_buckets(struct prom *p, const struct prom_family *f)
{
	const struct prom_bucket *b = NULL, *prev = NULL;

	for (size_t i = 0; i < p->n_buckets; i++, prev = b) {
		b = &p->buckets[i];
		if (isnan(b->le)) {
			b = prev; /* a _count: checked with its +Inf */
			continue;
		}
		if (prev && strcmp(prev->group, b->group) == 0 &&
		    (!(b->le > prev->le) || b->v < prev->v))
			return prom_fail(p,
					 "%s: buckets not ascending and "
					 "cumulative",
					 f->name);
		if (isinf(b->le) && b->v != prom_count_of(p, b->group))
			return prom_fail(p, "%s: +Inf bucket is not _count",
					 f->name);
		if (!isinf(b->le) &&
		    (i + 1 == p->n_buckets || isnan(p->buckets[i + 1].le) ||
		     strcmp(p->buckets[i + 1].group, b->group)))
			return prom_fail(p, "%s: no le=\"+Inf\" bucket",
					 f->name);
	}
	p->n_buckets = 0;
	return 0;
}

/* Read one name="value" at *s into pair (as written); -1 if malformed. */
static int prom_label(struct prom *p, const char **s, char *name, char *pair)
{
	const char *c = *s;
	size_t k = strcspn(c, "="), len;

	if (c[k] != '=' || k == 0 || k >= PROM_NAME || c[k + 1] != '"')
		return prom_fail(p, "bad label");
	snprintf(name, PROM_NAME, "%.*s", (int)k, c);
	if (!prom_name_ok(name, true))
		return prom_fail(p, "bad label name %s", name);
	len = (size_t)snprintf(pair, PROM_LINE, "%s=\"", name);
	for (c += k + 2; *c != '"'; c++) {
		if (*c == 0 || *c == '\n')
			return prom_fail(p, "unterminated label value");
		if (*c == '\\' && c[1] != '\\' && c[1] != '"' && c[1] != 'n')
			return prom_fail(p, "bad escape \\%c", c[1]);
		if (len + 3 >= PROM_LINE)
			return prom_fail(p, "label value too long");
		if (*c == '\\')
			pair[len++] = *c++;
		pair[len++] = *c;
	}
	pair[len++] = '"';
	pair[len] = 0;
	*s = c + 1;
	return 0;
}

/* The pairs sorted and joined, without le (which groups buckets). */
static void prom_canon(char (*pairs)[PROM_LINE], unsigned int n, char *canon,
		       size_t size)
{
	char t[PROM_LINE];

	for (unsigned int i = 1; i < n; i++)
		for (unsigned int j = i;
		     j > 0 && strcmp(pairs[j - 1], pairs[j]) > 0; j--) {
			memcpy(t, pairs[j], PROM_LINE);
			memcpy(pairs[j], pairs[j - 1], PROM_LINE);
			memcpy(pairs[j - 1], t, PROM_LINE);
		}
	canon[0] = 0;
	for (unsigned int i = 0; i < n; i++) {
		if (strncmp(pairs[i], "le=", 3) == 0)
			continue;
		strncat(canon, pairs[i], size - strlen(canon) - 2);
		strncat(canon, ",", size - strlen(canon) - 1);
	}
}

/* Labels up to "}": a canonical string (sorted, no le) and le's value. */
static int prom_labels(struct prom *p, const char *s, const char **end,
		       char *canon, size_t size, char *le, size_t le_size)
{
	char names[32][PROM_NAME], pairs[32][PROM_LINE];
	unsigned int n = 0;

	le[0] = 0;
	for (; *s != '}'; n++) {
		if (n == 32 || prom_label(p, &s, names[n], pairs[n]) < 0)
			return n == 32 ? prom_fail(p, "too many labels") : -1;
		for (unsigned int i = 0; i < n; i++)
			if (strcmp(names[i], names[n]) == 0)
				return prom_fail(p, "label %s twice", names[n]);
		if (strcmp(names[n], "le") == 0)
			snprintf(le, le_size, "%.*s",
				 (int)(strlen(pairs[n]) - 5), pairs[n] + 4);
		if (*s == ',' && s[1] != '}')
			s++;
		else if (*s != '}')
			return prom_fail(p, "expected , or }");
	}
	*end = s + 1;
	prom_canon(pairs, n, canon, size);
	return 0;
}

/* The family a sample belongs to (histogram suffixes folded). */
static int prom_family_of(struct prom *p, const char *name, bool *bucket,
			  bool *count)
{
	static const char *const sfx[] = { "_bucket", "_sum", "_count" };
	char base[PROM_NAME];
	size_t n = strlen(name);
	int f;

	*bucket = *count = false;
	for (size_t i = 0; i < 3; i++) {
		size_t k = strlen(sfx[i]);

		if (n <= k || strcmp(name + n - k, sfx[i]) != 0)
			continue;
		snprintf(base, sizeof(base), "%.*s", (int)(n - k), name);
		f = prom_find(p, base);
		if (f >= 0 &&
		    (strcmp(p->fam[f].type, "histogram") == 0 ||
		     (i > 0 && strcmp(p->fam[f].type, "summary") == 0))) {
			*bucket = i == 0;
			*count = i == 2;
			return f;
		}
	}
	return prom_get(p, name);
}

static int prom_series_add(struct prom *p, const char *key)
{
	for (size_t i = 0; i < p->n_series; i++)
		if (strcmp(p->series[i], key) == 0)
			return prom_fail(p, "duplicate series %s", key);
	if (p->n_series == p->cap_series) {
		p->cap_series = p->cap_series ? p->cap_series * 2 : 256;
		p->series = realloc(p->series, p->cap_series * sizeof(char *));
	}
	p->series[p->n_series++] = strdup(key);
	return 0;
}

static int prom_switch_family(struct prom *p, int f)
{
	if (f == p->current)
		return 0;
	if (p->fam[f].closed || p->fam[f].has_samples)
		return prom_fail(p, "family %s is not contiguous",
				 p->fam[f].name);
	if (p->current >= 0) {
		if (prom_check_buckets(p, &p->fam[p->current]) < 0)
			return -1;
		p->fam[p->current].closed = true;
	}
	p->current = f;
	return 0;
}

/* Keep a histogram bucket (or, le NAN, a _count) for the family's end. */
static int prom_keep(struct prom *p, const char *group, double le, double v)
{
	struct prom_bucket *b;

	if (p->n_buckets == p->cap_buckets) {
		p->cap_buckets = p->cap_buckets ? p->cap_buckets * 2 : 64;
		p->buckets = realloc(p->buckets,
				     p->cap_buckets * sizeof(*p->buckets));
	}
	b = &p->buckets[p->n_buckets++];
	snprintf(b->group, PROM_LINE, "%s", group);
	b->le = le;
	b->v = v;
	return 0;
}

/* What the family's type says about this sample. */
static int prom_typed_sample(struct prom *p, int f, const char *name,
			     const char *canon, const char *le, double v,
			     bool bucket, bool count)
{
	const char *type = p->fam[f].type;
	double lev;

	if (strcmp(type, "counter") == 0 && !(v >= 0))
		return prom_fail(p, "counter %s negative or NaN", name);
	if (strcmp(type, "histogram") != 0)
		return 0;
	if (!bucket && !count && strcmp(name + strlen(name) - 4, "_sum") != 0)
		return prom_fail(p, "histogram %s: stray sample", name);
	if (bucket && (!le[0] || !prom_float(le, &lev) || isnan(lev)))
		return prom_fail(p, "bucket without a valid le");
	if (bucket || count)
		return prom_keep(p, canon, bucket ? lev : NAN, v);
	return 0;
}

static int prom_sample(struct prom *p, const char *line)
{
	char name[PROM_NAME], canon[PROM_LINE * 2], le[64], key[PROM_LINE * 3];
	const char *s = line;
	bool bucket, count;
	size_t k = strcspn(s, "{ ");
	double v;
	int f;

	if (k == 0 || k >= PROM_NAME)
		return prom_fail(p, "bad metric name");
	snprintf(name, sizeof(name), "%.*s", (int)k, s);
	if (!prom_name_ok(name, false))
		return prom_fail(p, "bad metric name %s", name);
	s += k;
	canon[0] = le[0] = 0;
	if (*s == '{' &&
	    prom_labels(p, s + 1, &s, canon, sizeof(canon), le, sizeof(le)) < 0)
		return -1;
	if (*s != ' ' || s[1] == ' ')
		return prom_fail(p, "expected one space before the value");
	k = strcspn(++s, " ");
	snprintf(key, sizeof(key), "%.*s", (int)k, s);
	if (!prom_float(key, &v))
		return prom_fail(p, "bad value '%s'", key);
	if (s[k] == ' ' &&
	    strspn(s + k + 1, "-0123456789") != strlen(s + k + 1))
		return prom_fail(p, "bad timestamp");
	f = prom_family_of(p, name, &bucket, &count);
	if (f < 0 || prom_switch_family(p, f) < 0)
		return f < 0 ? prom_fail(p, "too many families") : -1;
	p->fam[f].has_samples = true;
	if (prom_typed_sample(p, f, name, canon, le, v, bucket, count) < 0)
		return -1;
	snprintf(key, sizeof(key), "%s{%s%s%s}", name, canon,
		 le[0] ? "le=" : "", le);
	return prom_series_add(p, key);
}

static int prom_comment(struct prom *p, const char *line)
{
	char kind[8], name[PROM_NAME];
	const char *rest;
	int f, n = 0;

	if (sscanf(line, "# %7s %127s %n", kind, name, &n) < 2 ||
	    (strcmp(kind, "HELP") != 0 && strcmp(kind, "TYPE") != 0))
		return 0; /* a plain comment */
	rest = line + n;
	if (strncmp(line + 2 + strlen(kind), " ", 1) != 0 ||
	    !prom_name_ok(name, false))
		return prom_fail(p, "bad %s line", kind);
	f = prom_get(p, name);
	if (f < 0)
		return prom_fail(p, "too many families");
	if (p->fam[f].has_samples)
		return prom_fail(p, "%s for %s after its samples", kind, name);
	if (strcmp(kind, "HELP") == 0) {
		for (const char *c = rest; *c; c++)
			if (*c == '\\' && c[1] != '\\' && c[1] != 'n')
				return prom_fail(p, "bad escape in HELP");
			else if (*c == '\\')
				c++;
		if (p->fam[f].help)
			return prom_fail(p, "second HELP for %s", name);
		p->fam[f].help = true;
		return 0;
	}
	if (p->fam[f].typed)
		return prom_fail(p, "second TYPE for %s", name);
	if (strcmp(rest, "counter") && strcmp(rest, "gauge") &&
	    strcmp(rest, "histogram") && strcmp(rest, "summary") &&
	    strcmp(rest, "untyped"))
		return prom_fail(p, "unknown type '%s'", rest);
	p->fam[f].typed = true;
	snprintf(p->fam[f].type, sizeof(p->fam[f].type), "%s", rest);
	return 0;
}

static void prom_free(struct prom *p)
{
	for (size_t i = 0; i < p->n_series; i++)
		free(p->series[i]);
	free(p->series);
	free(p->buckets);
	free(p);
}

long prom_check(const char *text, size_t len, char *err, size_t n)
{
	struct prom *p = calloc(1, sizeof(*p));
	char line[PROM_LINE * 4];
	size_t i = 0;
	long samples = -1;
	int rc = 0;

	p->current = -1;
	if (len > 0 && text[len - 1] != '\n')
		rc = prom_fail(p, "no newline at the end");
	while (rc == 0 && i < len) {
		const char *nl = memchr(text + i, '\n', len - i);
		size_t k = (size_t)(nl - (text + i));

		p->line++;
		if (k >= sizeof(line) || memchr(text + i, 0, k)) {
			rc = prom_fail(p, "line too long or NUL");
			break;
		}
		memcpy(line, text + i, k);
		line[k] = 0;
		i += k + 1;
		if (k == 0)
			continue;
		rc = line[0] == '#' ? prom_comment(p, line)
				    : prom_sample(p, line);
	}
	if (rc == 0 && p->current >= 0)
		rc = prom_check_buckets(p, &p->fam[p->current]);
	if (rc == 0)
		samples = (long)p->n_series;
	snprintf(err, n, "%s", p->err);
	prom_free(p);
	return samples;
}
