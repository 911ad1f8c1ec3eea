/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the files of the config unit test share: documents written with
 * single quotes, refuse()/accept() with the field path, the sample
 * configs, flat-form accessors, and the test functions main() runs.
 *
 * check.h's counters are per file: each file hands its own to main()
 * through its *_checks() function, and main() prints the sum.
 */
#ifndef EP_TEST_CONFIG_H
#define EP_TEST_CONFIG_H

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "check.h"
#include "config.h"
#include "ep_abi.h"
#include "testrand.h"

/* The repository root (argv[1], default SOURCE_ROOT), to find configs/. */
extern const char *source_root;

/* ------------------------------------------------------------------ */
/* Helpers                                                              */

/* A growable string for generated documents. */
struct sbuf {
	char *p;
	size_t len;
	size_t cap;
};

static inline void sb_printf(struct sbuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static inline void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (b->len + (size_t)n + 1 > b->cap) {
		b->cap = (b->len + (size_t)n + 1) * 2;
		b->p = realloc(b->p, b->cap);
		if (b->p == NULL)
			abort();
	}
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

/* Tests write JSON with single quotes; this turns them into double ones. */
static inline char *dq(const char *sq)
{
	char *s = strdup(sq), *p;

	if (s == NULL)
		abort();
	for (p = s; *p != '\0'; p++)
		if (*p == '\'')
			*p = '"';
	return s;
}

/*
 * config_parse_tree() on a document cJSON accepts whole must give what
 * config_parse() gave (`rc`, `msg`): the PUT handler parses once and
 * uses it. Documents cJSON refuses never reach it.
 */
static inline void check_tree_same(const char *doc, size_t len, int rc,
				   const char *msg)
{
	struct config_error err = { "" };
	const char *end = NULL;
	struct ep_config cfg;
	cJSON *root = cJSON_ParseWithLengthOpts(doc, len, &end, 0);
	int rc2;

	while (root != NULL && end < doc + len && strchr(" \t\r\n", *end))
		end++;
	if (root == NULL || end != doc + len) {
		cJSON_Delete(root);
		return;
	}
	rc2 = config_parse_tree(doc, len, root, &cfg, &err);
	CHECK_MSG(rc2 == rc && strcmp(err.msg, msg) == 0,
		  "config_parse_tree: %d \"%s\", config_parse: %d \"%s\"", rc2,
		  err.msg, rc, msg);
	if (rc2 == 0)
		config_free(&cfg);
	cJSON_Delete(root);
}

static inline int parse_sq(const char *sq, struct ep_config *cfg,
			   struct config_error *err)
{
	char *doc = dq(sq);
	int rc = config_parse(doc, strlen(doc), cfg, err);

	check_tree_same(doc, strlen(doc), rc, err != NULL ? err->msg : "");
	free(doc);
	return rc;
}

static inline bool starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* config_parse must refuse `sq` with a message that starts with `prefix`. */
#define REFUSE(sq, prefix) refuse(sq, prefix, __LINE__)

static inline void refuse(const char *sq, const char *prefix, int line)
{
	struct config_error err = { "" };
	struct ep_config cfg;
	int rc = parse_sq(sq, &cfg, &err);

	CHECK_MSG(rc < 0 && starts_with(err.msg, prefix),
		  "line %d: rc %d, message \"%s\", expected \"%s...\"", line,
		  rc, err.msg, prefix);
	if (rc == 0)
		config_free(&cfg);
}

#define ACCEPT(sq) accept(sq, __LINE__)

static inline void accept(const char *sq, int line)
{
	struct config_error err = { "" };
	struct ep_config cfg;
	int rc = parse_sq(sq, &cfg, &err);

	CHECK_MSG(rc == 0, "line %d: refused: %s", line, err.msg);
	if (rc == 0)
		config_free(&cfg);
}

static inline char *read_file(const char *rel, size_t *len)
{
	char path[512];
	FILE *f;
	char *buf;
	long n;

	snprintf(path, sizeof(path), "%s/%s", source_root, rel);
	f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	if (buf != NULL && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static inline int load_sample(const char *rel, struct ep_config *cfg)
{
	struct config_error err = { "" };
	size_t len = 0;
	char *text = read_file(rel, &len);
	int rc;

	CHECK_MSG(text != NULL, "cannot read %s/%s", source_root, rel);
	if (text == NULL)
		return -ENOENT;
	rc = config_parse(text, len, cfg, &err);
	CHECK_MSG(rc == 0, "%s refused: %s", rel, err.msg);
	free(text);
	return rc;
}

static inline double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* A flat buffer of its own exact size, so ASan sees any overread. */
static inline void *flat_of(const struct ep_config *cfg,
			    const struct config_ids *ids, size_t *len)
{
	struct config_error err = { "" };
	size_t need = config_flat_size(cfg);
	void *buf = malloc(need);
	int rc = config_to_flat(cfg, 7, ids, buf, need, len, &err);

	CHECK_MSG(rc == 0, "to_flat: %d %s", rc, err.msg);
	return buf;
}

static inline struct ep_cfg_hdr hdr_get(const void *buf)
{
	struct ep_cfg_hdr h;

	memcpy(&h, buf, sizeof(h));
	return h;
}

static inline void hdr_put(void *buf, const struct ep_cfg_hdr *h)
{
	memcpy(buf, h, sizeof(*h));
}

static inline struct ep_cfg_service svc_get(const void *buf, uint32_t i)
{
	struct ep_cfg_hdr h = hdr_get(buf);
	struct ep_cfg_service s;

	memcpy(&s, (const char *)buf + h.off_services + i * sizeof(s),
	       sizeof(s));
	return s;
}

static inline void svc_put(void *buf, uint32_t i,
			   const struct ep_cfg_service *s)
{
	struct ep_cfg_hdr h = hdr_get(buf);

	memcpy((char *)buf + h.off_services + i * sizeof(*s), s, sizeof(*s));
}

static inline struct ep_cfg_backend be_get(const void *buf, uint32_t i)
{
	struct ep_cfg_hdr h = hdr_get(buf);
	struct ep_cfg_backend b;

	memcpy(&b, (const char *)buf + h.off_backends + i * sizeof(b),
	       sizeof(b));
	return b;
}

static inline void be_put(void *buf, uint32_t i, const struct ep_cfg_backend *b)
{
	struct ep_cfg_hdr h = hdr_get(buf);

	memcpy((char *)buf + h.off_backends + i * sizeof(*b), b, sizeof(*b));
}

/* ------------------------------------------------------------------ */
/* Refusals: document level                                             */

#define SVC(extra)                                                             \
	"{'name':'web','vip':'10.0.0.1','port':80,'protocol':'tcp'" extra "}"
#define DOC(services) "{'services':[" services "]}"
#define BE(extra) "{'address':'10.0.1.1'" extra "}"
#define SVC_BE(extra) SVC(",'backends':[" BE(extra) "]")
#define B8080 "{'address':'10.0.1.1','port':8080}"
#define B8081 "{'address':'10.0.1.1','port':8081}"
#define TWO_SAME "{'address':'10.0.1.1'},{'address':'10.0.1.1','port':0}"
#define NAT_TWO B8080 "," B8081
#define NAT_DUP B8080 "," B8081 "," B8080

/* services[].health_check: defaults, every field's rule, round trips. */
#define SVC_HC(hc) DOC(SVC(",'health_check':" hc ",'backends':[" BE("") "]"))

/* ------------------------------------------------------------------ */
/* Refusals: api                                                        */

#define API(x) "{'api':" x "}"
#define LO "{'address':'127.0.0.1','port':8080}"

/* A reader subject holding `subj` (raw bytes), in a document with mTLS. */
#define SUBJ_DOC(subj)                                                         \
	API("{'listeners':[" LO "],'tls':{'certificate':'/c','private_key':"   \
	    "'/k','client_ca':'/ca','reader_subjects':['" subj "']}}")
#define SUBJ_PATH "api.tls.reader_subjects[0]"

void test_refuse_size(void);
void test_refuse_depth(void);
void test_refuse_json(void);
void test_refuse_node(void);
void test_refuse_service_fields(void);
void test_refuse_service_numbers(void);
void test_refuse_service_modes(void);
void test_refuse_service_clashes(void);
void test_refuse_clashes_at_scale(void);
void test_clashes_match_pairwise(void);
void test_refuse_service_count(void);
void test_refuse_utf8(void);
void test_refuse_numbers(void);
void test_refuse_backend_fields(void);
void test_refuse_backend_rules(void);
void test_refuse_backend_count(void);
void test_refuse_api(void);
void test_defaults(void);
void test_lab(void);
void test_full_example(void);
void test_roundtrips(void);
void test_maglev_rebuild(void);
void test_copy_equal(void);
void test_validate_in_memory(void);
void test_health_check(void);
void test_flat_refuse(void);
void test_enospc(void);
void test_ids_stable(void);
void test_ids_identity(void);
void test_ids_no_mutation(void);
void test_ids_fifo(void);
void test_ids_full(void);
void test_scale(void);

void test_config_refuse_checks(unsigned int *passed, unsigned int *failed);
void test_config_accept_checks(unsigned int *passed, unsigned int *failed);
void test_config_flat_checks(unsigned int *passed, unsigned int *failed);

#endif /* EP_TEST_CONFIG_H */
