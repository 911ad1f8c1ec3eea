/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * edgectl's policing commands (edgectl_policing.h): the PATCH bodies of a
 * service's limits and access list, and the tables of what is in force.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "edgectl_fmt_int.h"
#include "edgectl_policing.h"

static const char *const limit_keys[] = { "packets_per_second",
					  "bytes_per_second",
					  "connections_per_second", NULL };
static const char *const client_keys[] = { "packets_per_second",
					   "connections_per_second",
					   "ipv6_prefix", NULL };
static const char *const acl_keys[] = { "allow", "deny", NULL };

static char *refuse(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static char *refuse(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return NULL;
}

static bool known(const char *const *keys, const char *k)
{
	for (; *keys != NULL; keys++)
		if (strcmp(*keys, k) == 0)
			return true;
	return false;
}

/* The first member of `o` that is not in `keys`, or one of the wrong
 * type, as a sentence; NULL when the object has the part's shape. */
static const char *bad_member(const cJSON *o, const char *part,
			      const char *const *keys, char *why, size_t size)
{
	const cJSON *m;

	cJSON_ArrayForEach(m, o)
	{
		bool is_client = strstr(part, "per_client") != NULL;
		bool want_obj =
			strcmp(part, "acl") != 0 &&
			!(is_client && strcmp(m->string, "ipv6_prefix") == 0);

		if (!known(keys, m->string) &&
		    !(strcmp(part, "limits") == 0 &&
		      strcmp(m->string, "per_client") == 0)) {
			snprintf(why, size, "%s: unknown member \"%s\"", part,
				 m->string);
			return why;
		}
		if (strcmp(part, "acl") == 0 && !cJSON_IsArray(m)) {
			snprintf(why, size,
				 "acl.%s: must be an array of prefixes",
				 m->string);
			return why;
		}
		if (is_client && !want_obj && !cJSON_IsNumber(m)) {
			snprintf(why, size, "%s.%s: must be a number", part,
				 m->string);
			return why;
		}
		if (want_obj && !cJSON_IsObject(m)) {
			snprintf(
				why, size,
				"%s.%s: must be an object ({\"rate\": N, ...})",
				part, m->string);
			return why;
		}
	}
	return NULL;
}

static const char *bad_acl_entries(const cJSON *acl, char *why, size_t size)
{
	const cJSON *list, *e;

	cJSON_ArrayForEach(list, acl)
	{
		unsigned int i = 0;

		cJSON_ArrayForEach(e, list)
		{
			if (!cJSON_IsString(e)) {
				snprintf(why, size,
					 "acl.%s[%u]: must be a prefix string "
					 "(\"10.0.0.0/8\")",
					 list->string, i);
				return why;
			}
			i++;
		}
	}
	return NULL;
}

/* `text` (len bytes) as one JSON value with nothing after it, or NULL
 * with the reason in err. */
static cJSON *parse_arg(const char *part, const char *text, size_t len,
			char *err, size_t errlen)
{
	const char *end = NULL;
	cJSON *o = cJSON_ParseWithLengthOpts(text, len, &end, false);

	if (o == NULL) {
		refuse(err, errlen, "%s: not valid JSON (near byte %zu)", part,
		       end && end >= text ? (size_t)(end - text) : 0);
		return NULL;
	}
	while (end && (size_t)(end - text) < len &&
	       strchr(" \t\r\n", *end) != NULL && *end != 0)
		end++;
	if (end && (size_t)(end - text) < len && *end != 0) {
		cJSON_Delete(o);
		refuse(err, errlen, "%s: text after the JSON object (byte %zu)",
		       part, (size_t)(end - text));
		return NULL;
	}
	return o;
}

char *ectl_policing_body(const char *part, const char *text, size_t len,
			 char *err, size_t errlen)
{
	bool acl = strcmp(part, "acl") == 0;
	const char *why;
	char reason[160];
	cJSON *o, *body;
	char *out;

	o = parse_arg(part, text, len, err, errlen);
	if (o == NULL)
		return NULL;
	if (!cJSON_IsObject(o)) {
		cJSON_Delete(o);
		return refuse(err, errlen,
			      "%s: must be a JSON object ('{}' removes the %s)",
			      part, part);
	}
	why = bad_member(o, part, acl ? acl_keys : limit_keys, reason,
			 sizeof(reason));
	if (why == NULL && acl)
		why = bad_acl_entries(o, reason, sizeof(reason));
	if (why == NULL && !acl && ectl_member(o, "per_client") != NULL)
		why = bad_member(ectl_member(o, "per_client"),
				 "limits.per_client", client_keys, reason,
				 sizeof(reason));
	if (why != NULL) {
		cJSON_Delete(o);
		return refuse(err, errlen, "%s", why);
	}
	body = cJSON_CreateObject();
	if (body == NULL || !cJSON_AddItemToObject(body, part, o)) {
		cJSON_Delete(body);
		cJSON_Delete(o);
		return refuse(err, errlen, "out of memory");
	}
	out = cJSON_PrintUnformatted(body);
	cJSON_Delete(body);
	return out ? out : refuse(err, errlen, "out of memory");
}

/* The shape of one part of a global policing PATCH, as a sentence;
 * NULL when it has it (null, or an object with the part's members). */
static const char *bad_global_part(const cJSON *m, char *why, size_t size)
{
	static const char *const guard_keys[] = { "new_flows_per_second",
						  "burst", NULL };
	static const char *const cookie_keys[] = { "secret", "previous_secret",
						   NULL };
	const char *const *keys =
		strcmp(m->string, "syn_flood") == 0 ? guard_keys : cookie_keys;
	const char *bad = NULL;
	const cJSON *k;
	char part[40];

	if (cJSON_IsNull(m))
		return NULL;
	snprintf(part, sizeof(part), "policing.%s", m->string);
	if (!cJSON_IsObject(m)) {
		snprintf(why, size,
			 "%s: must be an object, or null to remove it", part);
		return why;
	}
	if (strcmp(m->string, "acl") == 0) {
		bad = bad_member(m, "acl", acl_keys, why, size);
		return bad ? bad : bad_acl_entries(m, why, size);
	}
	if (strcmp(m->string, "per_client") == 0)
		return bad_member(m, "policing.per_client", client_keys, why,
				  size);
	cJSON_ArrayForEach(k, m)
	{
		if (!known(keys, k->string)) {
			snprintf(why, size, "%s: unknown member \"%s\"", part,
				 k->string);
			return why;
		}
	}
	return NULL;
}

char *ectl_global_policing_body(const char *text, size_t len, char *err,
				size_t errlen)
{
	static const char *const parts[] = { "acl", "per_client", "syn_flood",
					     "syn_cookie", NULL };
	const cJSON *m;
	char reason[160];
	cJSON *o = parse_arg("policing", text, len, err, errlen);
	char *out;

	if (o == NULL)
		return NULL;
	if (!cJSON_IsObject(o) || o->child == NULL) {
		cJSON_Delete(o);
		return refuse(err, errlen,
			      "policing: must be a JSON object with acl, "
			      "per_client, syn_flood or syn_cookie");
	}
	cJSON_ArrayForEach(m, o)
	{
		const char *why = reason;

		if (known(parts, m->string))
			why = bad_global_part(m, reason, sizeof(reason));
		else
			snprintf(reason, sizeof(reason),
				 "policing: unknown member \"%s\"", m->string);
		if (why != NULL) {
			cJSON_Delete(o);
			return refuse(err, errlen, "%s", why);
		}
	}
	out = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return out ? out : refuse(err, errlen, "out of memory");
}

/* ------------------------------------------------------------------ */
/* Tables                                                               */

/* "1000/s burst 50 token" for a limit object, "-" when absent. */
static void limit_cell(struct table *t, const cJSON *limits, const char *key)
{
	const cJSON *l = ectl_member(limits, key);
	char rate[32], burst[32];

	if (!cJSON_IsObject(l)) {
		ectl_table_cell(t, "-");
		return;
	}
	ectl_table_cell(t, "%s/s burst %s %s",
			ectl_count_text(l, "rate", rate, 32),
			ectl_count_text(l, "burst", burst, 32),
			strcmp(ectl_str_or(l, "mode", ""), "leaky_bucket") == 0
				? "leaky"
				: "token");
}

static void acl_cell(struct table *t, const cJSON *acl)
{
	if (acl == NULL)
		ectl_table_cell(t, "-");
	else
		ectl_table_cell(t, "%d allow, %d deny",
				cJSON_GetArraySize(ectl_member(acl, "allow")),
				cJSON_GetArraySize(ectl_member(acl, "deny")));
}

int ectl_policing_table(FILE *out, const cJSON *arr, const char *title)
{
	static const char *const heads[] = { "NAME",	    "PACKETS",
					     "BYTES",	    "CONNECTIONS",
					     "CLIENT PKTS", "CLIENT CONNS",
					     "ACL" };
	struct table t = { 7, heads, "lllllll", NULL, 0, 0, false };
	const cJSON *s;

	cJSON_ArrayForEach(s, arr)
	{
		const cJSON *lim = ectl_member(s, "limits"),
			    *acl = ectl_member(s, "acl");

		if (lim == NULL && acl == NULL)
			continue;
		ectl_table_cell(&t, "%s", ectl_str_or(s, "name", "-"));
		limit_cell(&t, lim, "packets_per_second");
		limit_cell(&t, lim, "bytes_per_second");
		limit_cell(&t, lim, "connections_per_second");
		limit_cell(&t, ectl_member(lim, "per_client"),
			   "packets_per_second");
		limit_cell(&t, ectl_member(lim, "per_client"),
			   "connections_per_second");
		acl_cell(&t, acl);
	}
	if (t.n_cells == 0)
		return 0;
	fputs(title, out);
	return ectl_table_finish(out, &t);
}

/* policing: CLIENT PKTS, CLIENT CONNS, CLIENT IPV6, SYN FLOOD, ACL. */
static int global_table(FILE *out, const cJSON *pol)
{
	static const char *const heads[] = { "CLIENT PKTS", "CLIENT CONNS",
					     "CLIENT IPV6", "SYN FLOOD",
					     "ACL" };
	struct table t = { 5, heads, "lllll", NULL, 0, 0, false };
	const cJSON *pc = ectl_member(pol, "per_client");
	const cJSON *sf = ectl_member(pol, "syn_flood");
	char rate[32], burst[32], pfx[32];

	fputs("Global (policing, every service):\n", out);
	limit_cell(&t, pc, "packets_per_second");
	limit_cell(&t, pc, "connections_per_second");
	if (pc && strcmp(ectl_count_text(pc, "ipv6_prefix", pfx, 32), "-") != 0)
		ectl_table_cell(&t, "/%s", pfx);
	else
		ectl_table_cell(&t, "-");
	if (sf)
		ectl_table_cell(
			&t, "%s/s burst %s per worker",
			ectl_count_text(sf, "new_flows_per_second", rate, 32),
			ectl_count_text(sf, "burst", burst, 32));
	else
		ectl_table_cell(&t, "-");
	acl_cell(&t, ectl_member(pol, "acl"));
	return ectl_table_finish(out, &t);
}

int ectl_fmt_global_policing(FILE *out, const cJSON *policing)
{
	return global_table(out, policing);
}

int ectl_fmt_limits(FILE *out, const cJSON *config)
{
	const cJSON *arr = ectl_array_of(config, "services"), *s;
	bool any = false;
	int rc;

	if (arr == NULL)
		return -EPROTO;
	rc = global_table(out, ectl_member(config, "policing"));
	cJSON_ArrayForEach(s, arr) any |= ectl_member(s, "limits") != NULL ||
					  ectl_member(s, "acl") != NULL;
	if (rc == 0 && !any)
		fputs("\nServices: none has limits or an access list\n", out);
	return rc ? rc : ectl_policing_table(out, arr, "\nServices:\n");
}

int ectl_fmt_service_policing(FILE *out, const cJSON *service)
{
	cJSON *arr = cJSON_CreateArray();
	int rc;

	if (arr == NULL)
		return -ENOMEM;
	/* A reference: the array does not own the service. */
	if (!cJSON_AddItemReferenceToArray(arr, (cJSON *)service)) {
		cJSON_Delete(arr);
		return -ENOMEM;
	}
	rc = ectl_policing_table(out, arr, "");
	if (rc == 0 && ectl_member(service, "limits") == NULL &&
	    ectl_member(service, "acl") == NULL)
		fprintf(out, "%s: no limits and no access list\n",
			ectl_str_or(service, "name", "-"));
	cJSON_Delete(arr);
	return rc;
}
