/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control API (see api.h and docs/api.md): the configuration in force
 * and its one change path, then request routing, access checks and the
 * endpoints. Every answer is JSON except /metrics; every error has the
 * shape {"code": N, "message": "...", "details": {...}}.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "api.h"
#include "health_overlay.h"
#include "health_view.h"
#include "metrics.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define ETAG_LEN 32
#define PATH_SEGMENT_MAX 64 /* a decoded {name} or {id} */
#define QUERY_KEY_SHOWN 32
/*
 * Versions are reserved in blocks in CONFIG.version ("the highest version
 * this configuration file may have been given"), written before any
 * version of the block is used: after both processes restart, versions
 * go on above it, so an ETag never names two documents.
 */
#define API_VERSION_BLOCK 1024u

struct api {
	struct api_fastpath fp;
	char *config_path; /* NULL: changes are not persisted */
	struct config_ids *ids;
	struct ep_config cfg; /* in force */
	char *json; /* canonical JSON of cfg */
	char *doc; /* GET /v1/config: the file's bytes, or json + "\n" */
	size_t doc_len;
	bool adopted; /* doc is from api_adopt(), not (yet) the file */
	uint64_t version_floor; /* versions above it only (CONFIG.version) */
	uint64_t version_reserved; /* CONFIG.version as written */
	void *flat; /* flat form of cfg, as the fast path got it */
	size_t flat_len;
	struct metrics_names names; /* labels of the counters in use */
	uint64_t version;
	uint64_t generation; /* the fast path's answer to `version` */
	const struct http_server *srv;
	struct metrics_api metrics;
	/*
	 * The last /v1/stats body, reused by the requests of the same
	 * server pass (and version): they all get the counters read at one
	 * instant, and a pass of 100 requests renders once. Never reused
	 * across passes, so every pass reads fresh counters.
	 */
	struct {
		uint64_t pass; /* 0: nothing to reuse */
		uint64_t version;
		struct metrics_text text;
	} stats_body;
	double handle_start; /* api_handle()'s start (s), 0 outside it */
	const struct health_engine *health; /* NULL: no active checks */
	bool republishing; /* api_republish(): the document stays */
	/* Tracing: the request being handled, and who made the change in force. */
	const struct http_request *req; /* inside api_handle(), else NULL */
	FILE *access_log; /* one JSON line per request; NULL: none */
	struct metrics_text log_line; /* reused for every line */
	struct {
		char trace_id[TRACE_ID_HEX + 1]; /* "" when not from the API */
		char client[160]; /* subject, else peer; or "file" */
	} change;
};

/* ------------------------------------------------------------------ */
/* Errors                                                               */

static int fail(struct api_error *e, int status, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Fill `e` (details empty) and return -1. */
static int fail(struct api_error *e, int status, int code, const char *fmt, ...)
{
	va_list ap;

	memset(e, 0, sizeof(*e));
	e->status = status;
	e->code = code;
	va_start(ap, fmt);
	vsnprintf(e->message, sizeof(e->message), fmt, ap);
	va_end(ap);
	return -1;
}

static int fail_nomem(struct api_error *e)
{
	return fail(e, 500, API_ERR_INTERNAL, "out of memory");
}

/* A 400 about one field: details.field is `field`. */
static int fail_field(struct api_error *e, const char *field, const char *msg)
{
	fail(e, 400, API_ERR_VALIDATION, "%s: %s", field, msg);
	snprintf(e->field, sizeof(e->field), "%s", field);
	return -1;
}

/* config.c's refusal: "services[2].port: must be ..." names the field. */
static int fail_config(struct api_error *e, int rc,
		       const struct config_error *ce)
{
	const char *sep = strstr(ce->msg, ": ");
	size_t n;

	if (rc == -ENOMEM)
		return fail_nomem(e);
	if (rc == -EMSGSIZE)
		return fail(e, 413, API_ERR_TOO_LARGE, "%s", ce->msg);
	fail(e, 400, API_ERR_VALIDATION, "%s",
	     ce->msg[0] ? ce->msg : "document: invalid");
	n = sep ? (size_t)(sep - ce->msg) : strlen("document");
	snprintf(e->field, sizeof(e->field), "%.*s", (int)n,
		 sep ? ce->msg : "document");
	return -1;
}

/* ------------------------------------------------------------------ */
/* The change path                                                      */

/* One change on its way: everything built before anything is touched. */
struct change {
	uint64_t version;
	void *flat;
	size_t flat_len;
	char *json;
	struct metrics_names names;
	char tmp[PATH_MAX]; /* temporary file, "" when none */
	int fd; /* tmp while it is being written, else -1 */
	bool text_ok; /* json and names are built */
	bool commit_anyway; /* the fast path runs it even though we failed */
	struct ep_event_msg ev;
};

static void change_free(struct change *ch)
{
	if (ch->fd >= 0)
		close(ch->fd);
	if (ch->tmp[0])
		unlink(ch->tmp);
	free(ch->flat);
	free(ch->json);
	metrics_names_free(&ch->names);
}

/* Versions never repeat, even after an answer that came too late. */
static uint64_t next_version(const struct api *a)
{
	uint64_t fpv =
		__atomic_load_n(&a->fp.shared->version, __ATOMIC_ACQUIRE);
	uint64_t v = fpv > a->version ? fpv : a->version;

	return (v > a->version_floor ? v : a->version_floor) + 1;
}

/* "CONFIG.version", or "" when there is no configuration file. */
static void version_path(const struct api *a, char *out, size_t size)
{
	if (a->config_path == NULL ||
	    (size_t)snprintf(out, size, "%s.version", a->config_path) >= size)
		out[0] = 0;
}

static uint64_t version_file_read(const struct api *a)
{
	char path[PATH_MAX], text[32] = "";
	unsigned long long v = 0;
	FILE *f;

	version_path(a, path, sizeof(path));
	f = path[0] ? fopen(path, "r") : NULL;
	if (f == NULL)
		return 0;
	/* garbage, or so high that versions would wrap: start over */
	if (fgets(text, sizeof(text), f) == NULL ||
	    sscanf(text, "%llu", &v) != 1 || v > (UINT64_MAX >> 2))
		v = 0;
	fclose(f);
	return v;
}

static int write_all(int fd, const char *p, size_t n);
static void fsync_dir(const char *path);

/*
 * Make CONFIG.version cover version v (and v + 1, a rollback's) before
 * either is used. Best effort: a directory we cannot write costs the
 * uniqueness of versions across restarts, not the change (warned).
 */
static void version_reserve(struct api *a, uint64_t v)
{
	char path[PATH_MAX], tmp[PATH_MAX + 32], text[32];
	uint64_t top = v + API_VERSION_BLOCK;
	int fd, n, rc;

	version_path(a, path, sizeof(path));
	if (path[0] == 0 || v + 1 <= a->version_reserved)
		return;
	snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
	n = snprintf(text, sizeof(text), "%" PRIu64 "\n", top);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
		  0600);
	rc = fd < 0 ? -1 : write_all(fd, text, (size_t)n);
	rc = rc ? rc : fsync(fd);
	if (fd >= 0 && close(fd) < 0)
		rc = -1;
	if (rc == 0 && rename(tmp, path) == 0) {
		fsync_dir(path);
		a->version_reserved = top;
		return;
	}
	unlink(tmp);
	fprintf(stderr,
		"slowpath: warning: cannot write %s: versions may repeat "
		"after a restart\n",
		path);
}

/*
 * Temporary files a killed slow path left (CONFIG.tmp.PID,
 * CONFIG.version.tmp.PID): nobody else writes them, so they go.
 */
static void persist_clean(const struct api *a)
{
	char *copy = strdup(a->config_path), *dir, *base;
	char pfx[2][NAME_MAX + 16], path[PATH_MAX];
	struct dirent *d;
	DIR *dp;

	if (copy == NULL)
		return;
	base = strrchr(copy, '/');
	dir = base ? copy : ".";
	if (base)
		*base++ = 0;
	else
		base = copy;
	if (*dir == 0)
		dir = "/";
	snprintf(pfx[0], sizeof(pfx[0]), "%s.tmp.", base);
	snprintf(pfx[1], sizeof(pfx[1]), "%s.version.tmp.", base);
	dp = opendir(dir);
	while (dp != NULL && (d = readdir(dp)) != NULL) {
		for (int i = 0; i < 2; i++) {
			size_t n = strlen(pfx[i]);

			if (strncmp(d->d_name, pfx[i], n) != 0 ||
			    d->d_name[n] == 0 ||
			    strspn(d->d_name + n, "0123456789") !=
				    strlen(d->d_name + n))
				continue;
			snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
			if (unlink(path) == 0)
				fprintf(stderr,
					"slowpath: removed %s, left by a "
					"killed slow path\n",
					path);
		}
	}
	if (dp != NULL)
		closedir(dp);
	free(copy);
}

/* What the fast path needs: a version and the flat form. */
static int change_build_flat(struct api *a, const struct ep_config *cfg,
			     struct change *ch, struct api_error *e)
{
	struct config_error ce = { { 0 } };
	size_t cap = config_flat_size(cfg);
	int rc;

	ch->version = next_version(a);
	version_reserve(a, ch->version);
	ch->flat = malloc(cap);
	if (ch->flat == NULL)
		return fail_nomem(e);
	rc = config_to_flat(cfg, ch->version, a->ids, ch->flat, cap,
			    &ch->flat_len, &ce);
	if (rc == 0 && a->health != NULL) /* health state over config state */
		health_overlay_flat(a->health, cfg, ch->flat, ch->flat_len);
	return rc != 0 ? fail_config(e, rc, &ce) : 0;
}

/* What only we need: the document's text and the metric names. */
static int change_build_text(const struct ep_config *cfg, struct change *ch,
			     struct api_error *e)
{
	ch->json = config_to_json(cfg);
	if (ch->json == NULL ||
	    metrics_names_build(&ch->names, ch->flat, ch->flat_len) < 0)
		return fail_nomem(e);
	ch->text_ok = true;
	return 0;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/*
 * Create the temporary file next to the config file, before anything is
 * sent: a path we cannot write fails here and changes nothing.
 */
static int persist_open(struct api *a, struct change *ch, struct api_error *e)
{
	struct stat st;
	int err;

	if ((size_t)snprintf(ch->tmp, sizeof(ch->tmp), "%s.tmp.%ld",
			     a->config_path,
			     (long)getpid()) >= sizeof(ch->tmp)) {
		ch->tmp[0] = 0;
		return fail(e, 500, API_ERR_PERSIST, "%s: path too long",
			    a->config_path);
	}
	ch->fd = open(ch->tmp,
		      O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
		      0600);
	if (ch->fd < 0) {
		err = errno;
		ch->tmp[0] = 0;
		return fail(e, 500, API_ERR_PERSIST, "cannot persist: %s",
			    strerror(err));
	}
	if (stat(a->config_path, &st) == 0)
		fchmod(ch->fd, st.st_mode & 07777);
	return 0;
}

/* Write the new text into the temporary file and fsync it. */
static int persist_write(struct change *ch, struct api_error *e)
{
	int rc, err, fd = ch->fd;

	ch->fd = -1;
	rc = write_all(fd, ch->json, strlen(ch->json));
	rc = rc ? rc : write_all(fd, "\n", 1);
	rc = rc ? rc : fsync(fd);
	err = errno;
	if (close(fd) < 0 && rc == 0) {
		rc = -1;
		err = errno;
	}
	if (rc != 0)
		return fail(e, 500, API_ERR_PERSIST, "cannot persist to %s: %s",
			    ch->tmp, strerror(err));
	return 0;
}

static void fsync_dir(const char *path)
{
	char *copy = strdup(path);
	int fd = copy ? open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC)
		      : -1;

	if (fd < 0 || fsync(fd) < 0)
		fprintf(stderr,
			"slowpath: warning: cannot fsync the "
			"directory of %s\n",
			path);
	if (fd >= 0)
		close(fd);
	free(copy);
}

static int fastpath_refused(struct change *ch, int rc, struct api_error *e)
{
	ch->ev.error[sizeof(ch->ev.error) - 1] = 0;
	return fail(e, 503, API_ERR_FASTPATH,
		    "the fast path did not take the configuration: %s",
		    ch->ev.error[0] ? ch->ev.error : strerror(-rc));
}

static int change_send(struct api *a, struct change *ch, struct api_error *e)
{
	int rc = a->fp.apply_send(a->fp.ctx, ch->flat, ch->flat_len,
				  ch->version, &ch->ev);

	return rc == 0 ? 0 : fastpath_refused(ch, rc, e);
}

static int change_wait(struct api *a, struct change *ch, struct api_error *e)
{
	int rc = a->fp.apply_wait(a->fp.ctx, &ch->ev);

	return rc == 0 ? 0 : fastpath_refused(ch, rc, e);
}

/* Put the flat configuration in force back, under a new version. */
static int change_rollback(struct api *a, struct change *ch)
{
	uint64_t version = ch->version + 1;
	struct ep_event_msg ev;
	void *old = malloc(a->flat_len);
	int rc;

	if (old == NULL)
		return -ENOMEM;
	memcpy(old, a->flat, a->flat_len);
	((struct ep_cfg_hdr *)old)->version = version;
	rc = a->fp.apply_send(a->fp.ctx, old, a->flat_len, version, &ev);
	if (rc == 0)
		rc = a->fp.apply_wait(a->fp.ctx, &ev);
	if (rc == 0) {
		memcpy(a->flat, old, a->flat_len);
		a->version = version;
		a->generation = ev.generation;
	}
	free(old);
	return rc;
}

/*
 * The fast path runs ch, but it cannot be made ours (`why`): put the
 * previous configuration back, or, if there is none or that fails too,
 * keep ch (when it is whole) and say it is not persisted.
 */
static int change_undo(struct api *a, struct change *ch, struct api_error *e,
		       const char *why)
{
	if (a->flat != NULL && change_rollback(a, ch) == 0)
		return fail(e, 500, API_ERR_PERSIST,
			    "%s; the previous configuration is back in force",
			    why);
	ch->commit_anyway = ch->text_ok;
	return fail(e, 500, API_ERR_PERSIST,
		    "%s, nor undo the change: the new configuration is in "
		    "force but not persisted",
		    why);
}

/* Make the written file the config file; undo the change if we cannot. */
static int persist_finish(struct api *a, struct change *ch, struct api_error *e)
{
	char why[PATH_MAX + 64];

	if (rename(ch->tmp, a->config_path) == 0) {
		ch->tmp[0] = 0;
		fsync_dir(a->config_path);
		return 0;
	}
	snprintf(why, sizeof(why), "cannot rename onto %s: %s", a->config_path,
		 strerror(errno));
	return change_undo(a, ch, e, why);
}

/* GET /v1/config serves the canonical text, as an API write persists it. */
static void doc_set_json(struct api *a)
{
	size_t n = strlen(a->json);
	char *doc = malloc(n + 2);

	free(a->doc);
	a->doc = NULL; /* out of memory: GET /v1/config answers 500 */
	if (doc == NULL)
		return;
	memcpy(doc, a->json, n);
	memcpy(doc + n, "\n", 2);
	a->doc = doc;
	a->doc_len = n + 1;
	a->adopted = false;
}

/* GET /v1/config serves `text` (len bytes, NUL-terminated; taken). */
static void doc_set_file(struct api *a, char *text, size_t len)
{
	free(a->doc);
	a->doc = text;
	a->doc_len = len;
	a->adopted = false;
}

/*
 * Who made the change now in force: the API request's trace id and
 * client, or the configuration file (start-up, SIGHUP). Logged, so that
 * an operator can tie a fast-path generation to the request.
 */
static void change_record_origin(struct api *a)
{
	const struct http_request *req = a->req;

	if (req != NULL && req->trace != NULL) {
		snprintf(a->change.trace_id, sizeof(a->change.trace_id), "%s",
			 req->trace->trace_id);
		snprintf(a->change.client, sizeof(a->change.client), "%s",
			 req->subject && req->subject[0] ? req->subject
							 : req->peer);
		printf("slowpath: configuration version %" PRIu64
		       " in force, generation %" PRIu64
		       " (trace %s, client %s)\n",
		       a->version, a->generation, a->change.trace_id,
		       a->change.client);
	} else if (a->republishing) {
		a->change.trace_id[0] = 0;
		snprintf(a->change.client, sizeof(a->change.client), "health");
		printf("slowpath: configuration version %" PRIu64
		       " in force, generation %" PRIu64
		       " (the same document, new health state)\n",
		       a->version, a->generation);
	} else {
		a->change.trace_id[0] = 0;
		snprintf(a->change.client, sizeof(a->change.client), "file");
		printf("slowpath: configuration version %" PRIu64
		       " in force, generation %" PRIu64
		       " (from the configuration file)\n",
		       a->version, a->generation);
	}
	fflush(stdout);
}

/* The fast path runs ch: make it ours (ids, config, text, names). */
static void change_commit(struct api *a, struct ep_config *cfg,
			  struct change *ch)
{
	struct config_error ce = { { 0 } };
	struct metrics_names names = a->names;
	void *flat = a->flat;
	char *json = a->json;

	if (config_ids_commit(a->ids, ch->flat, ch->flat_len, &ce) != 0)
		fprintf(stderr,
			"slowpath: warning: stats ids not committed: %s\n",
			ce.msg);
	config_free(&a->cfg);
	a->cfg = *cfg;
	memset(cfg, 0, sizeof(*cfg));
	a->flat = ch->flat;
	a->flat_len = ch->flat_len;
	a->json = ch->json;
	a->names = ch->names;
	if (!a->republishing)
		doc_set_json(a);
	a->version = ch->version;
	a->generation = ch->ev.generation;
	change_record_origin(a);
	/* other names, other size: the next request renders anew */
	a->stats_body.pass = 0;
	metrics_text_free(&a->stats_body.text);
	/* the old ones go with the change */
	ch->flat = flat;
	ch->json = json;
	ch->names = names;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Time `phase` from *t to now, then move *t to now. */
static void apply_phase(struct api *a, enum metrics_apply_phase phase,
			double *t)
{
	double now = now_s();

	metrics_apply_observe(&a->metrics, phase, now - *t);
	*t = now;
}

/*
 * While the fast path builds ch: the text, the metric names and the
 * temporary file. 0, or -1 with `e` filled (the caller must then undo).
 */
static int change_prepare_rest(const struct ep_config *cfg, struct change *ch,
			       bool to_file, struct api_error *e)
{
	int rc = change_build_text(cfg, ch, e);

	return rc == 0 && to_file ? persist_write(ch, e) : rc;
}

/*
 * The one change path: flat form, send, and while the fast path builds,
 * the text and the temporary file; wait for the answer, rename, commit.
 * A path we cannot write fails before anything is sent; a write that
 * fails later, or a failed rename, puts the previous configuration back.
 */
int api_apply_config(struct api *a, struct ep_config *cfg, bool persist,
		     struct api_error *e)
{
	struct change ch = { .fd = -1 };
	struct api_error late = { 0 };
	bool to_file = persist && a->config_path != NULL;
	double start = a->handle_start > 0 ? a->handle_start : now_s(), t;
	int rc, late_rc = 0;

	t = start;
	rc = change_build_flat(a, cfg, &ch, e);
	if (rc == 0 && to_file)
		rc = persist_open(a, &ch, e);
	if (rc == 0) {
		apply_phase(a, METRICS_APPLY_BUILD, &t);
		rc = change_send(a, &ch, e);
	}
	if (rc == 0) {
		late_rc = change_prepare_rest(cfg, &ch, to_file, &late);
		apply_phase(a, METRICS_APPLY_PERSIST_WRITE, &t);
		rc = change_wait(a, &ch, e);
	}
	if (rc == 0) {
		apply_phase(a, METRICS_APPLY_FASTPATH, &t);
		metrics_apply_observe(&a->metrics, METRICS_APPLY_TO_ACK,
				      t - start);
		if (late_rc != 0)
			rc = change_undo(a, &ch, e, late.message);
		else if (to_file)
			rc = persist_finish(a, &ch, e);
		if (rc == 0 && to_file)
			apply_phase(a, METRICS_APPLY_PERSIST_RENAME, &t);
	}
	if (rc == 0 || ch.commit_anyway) {
		change_commit(a, cfg, &ch);
		printf("slowpath: configuration version %" PRIu64
		       " in force (generation %" PRIu64 ", %u services)\n",
		       a->version, a->generation, a->cfg.n_services);
		fflush(stdout);
	}
	change_free(&ch);
	config_free(cfg);
	return rc;
}

void api_set_health(struct api *a, const struct health_engine *h)
{
	a->health = h;
}

/*
 * The health state changed: send the configuration in force again with
 * the new overlay, through the same change path, under a new version;
 * the document (file, GET /v1/config text) stays as it is.
 */
int api_republish(struct api *a, struct api_error *e)
{
	struct ep_config cfg;
	int rc;

	if (config_copy(&cfg, &a->cfg) != 0)
		return fail_nomem(e);
	a->republishing = true;
	rc = api_apply_config(a, &cfg, false, e);
	a->republishing = false;
	return rc;
}

/* Read a whole file of at most CONFIG_MAX_BYTES (+1 to detect more). */
static char *read_file(const char *path, size_t *len, struct api_error *e)
{
	FILE *f = fopen(path, "rb");
	char *buf;

	if (f == NULL) {
		fail(e, 500, API_ERR_INTERNAL, "%s: %s", path, strerror(errno));
		return NULL;
	}
	buf = malloc(CONFIG_MAX_BYTES + 1);
	if (buf != NULL) {
		*len = fread(buf, 1, CONFIG_MAX_BYTES + 1, f);
		if (*len <= CONFIG_MAX_BYTES)
			buf[*len] = 0;
		if (ferror(f)) {
			fail(e, 500, API_ERR_INTERNAL, "%s: read error", path);
			free(buf);
			buf = NULL;
		}
	} else {
		fail_nomem(e);
	}
	fclose(f);
	return buf;
}

static bool fp_runs_ours(const struct api *a)
{
	return a->version != 0 &&
	       __atomic_load_n(&a->fp.shared->version, __ATOMIC_ACQUIRE) ==
		       a->version;
}

/* The file holds the bytes served as the version the fast path runs:
 * nothing to apply (a SIGHUP without an edit). */
static bool file_unchanged(const struct api *a, const char *text, size_t len)
{
	return a->doc != NULL && !a->adopted && fp_runs_ours(a) &&
	       len == a->doc_len && memcmp(text, a->doc, len) == 0;
}

int api_apply_file(struct api *a, struct api_error *e)
{
	struct config_error ce = { { 0 } };
	struct ep_config cfg;
	size_t len = 0;
	char *text;
	int rc;

	if (a->config_path == NULL)
		return fail(e, 500, API_ERR_INTERNAL, "no configuration file");
	text = read_file(a->config_path, &len, e);
	if (text == NULL)
		return -1;
	if (file_unchanged(a, text, len)) {
		free(text);
		printf("slowpath: %s unchanged: version %" PRIu64 " stays\n",
		       a->config_path, a->version);
		return 0;
	}
	rc = config_parse(text, len, &cfg, &ce);
	if (rc != 0) {
		free(text);
		return fail_config(e, rc, &ce);
	}
	if (a->adopted && fp_runs_ours(a) && config_equal(&cfg, &a->cfg)) {
		/* what the slow path before us served under this version */
		config_free(&cfg);
		doc_set_file(a, text, len);
		return 0;
	}
	rc = api_apply_config(a, &cfg, false, e);
	if (rc == 0)
		doc_set_file(a, text, len);
	else
		free(text);
	return rc;
}

int api_adopt(struct api *a, const void *flat, size_t len)
{
	const struct ep_cfg_hdr *h = flat;
	struct config_error ce = { { 0 } };
	struct change ch = { 0 };
	struct ep_config cfg;
	int rc;

	if (len < sizeof(*h) || h->magic != EP_CFG_MAGIC)
		return -EINVAL;
	if (h->version == 0 ||
	    h->version !=
		    __atomic_load_n(&a->fp.shared->version, __ATOMIC_ACQUIRE))
		return -ESTALE;
	rc = config_from_flat(flat, len, &cfg, &ce);
	if (rc != 0)
		return rc;
	ch.flat_len = h->total_len; /* checked: at most len */
	ch.flat = malloc(ch.flat_len);
	ch.json = config_to_json(&cfg);
	if (ch.flat == NULL || ch.json == NULL ||
	    metrics_names_build(&ch.names, flat, ch.flat_len) < 0) {
		change_free(&ch);
		config_free(&cfg);
		return -ENOMEM;
	}
	memcpy(ch.flat, flat, ch.flat_len);
	ch.version = h->version;
	ch.ev.generation =
		__atomic_load_n(&a->fp.shared->generation, __ATOMIC_ACQUIRE);
	change_commit(a, &cfg, &ch);
	a->adopted = true;
	change_free(&ch);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Life cycle and state                                                 */

/* The smallest document, "{}", flattened: in force before anything. */
static int api_init_empty(struct api *a)
{
	struct config_error ce = { { 0 } };
	size_t cap;

	if (config_parse("{}", 2, &a->cfg, &ce) != 0)
		return -ENOMEM;
	cap = config_flat_size(&a->cfg);
	a->flat = malloc(cap);
	if (a->flat == NULL || config_to_flat(&a->cfg, 0, a->ids, a->flat, cap,
					      &a->flat_len, &ce) != 0)
		return -ENOMEM;
	a->json = config_to_json(&a->cfg);
	if (a->json == NULL ||
	    metrics_names_build(&a->names, a->flat, a->flat_len) < 0)
		return -ENOMEM;
	doc_set_json(a);
	return a->doc != NULL ? 0 : -ENOMEM;
}

struct api *api_create(const struct api_fastpath *fp, const char *config_path)
{
	struct api *a;

	if (!fp->apply_send || !fp->apply_wait || !fp->sample_flows ||
	    !fp->alive || !fp->shared || !fp->stats || !fp->flows) {
		errno = EINVAL;
		return NULL;
	}
	a = calloc(1, sizeof(*a));
	if (a == NULL)
		return NULL;
	a->fp = *fp;
	a->ids = config_ids_create();
	a->config_path = config_path ? strdup(config_path) : NULL;
	if (a->ids == NULL || (config_path && a->config_path == NULL) ||
	    api_init_empty(a) < 0) {
		api_destroy(a);
		return NULL;
	}
	if (a->config_path != NULL) {
		persist_clean(a);
		a->version_floor = a->version_reserved = version_file_read(a);
	}
	return a;
}

void api_destroy(struct api *a)
{
	if (a == NULL)
		return;
	api_flush_log(a);
	metrics_text_free(&a->log_line);
	config_free(&a->cfg);
	config_ids_destroy(a->ids);
	metrics_names_free(&a->names);
	metrics_text_free(&a->stats_body.text);
	free(a->json);
	free(a->doc);
	free(a->flat);
	free(a->config_path);
	free(a);
}

const struct ep_config *api_config(const struct api *a)
{
	return &a->cfg;
}

uint64_t api_version(const struct api *a)
{
	return a->version;
}

static bool fp_alive(const struct api *a)
{
	return a->fp.alive(a->fp.ctx);
}

bool api_ready(const struct api *a)
{
	return fp_alive(a) && a->version != 0 &&
	       __atomic_load_n(&a->fp.shared->version, __ATOMIC_ACQUIRE) ==
		       a->version;
}

void api_set_server(struct api *a, const struct http_server *srv)
{
	a->srv = srv;
}

void api_set_access_log(struct api *a, FILE *f)
{
	a->access_log = f;
}

/* ------------------------------------------------------------------ */
/* JSON output                                                          */

/* Builders mark a failed allocation here; replies check it (one thread). */
static bool json_failed;

static cJSON *jadd(cJSON *o, const char *key, cJSON *item)
{
	if (item == NULL || o == NULL ||
	    !(key ? cJSON_AddItemToObject(o, key, item)
		  : cJSON_AddItemToArray(o, item))) {
		cJSON_Delete(item);
		json_failed = true;
		return NULL;
	}
	return item;
}

static void jstr(cJSON *o, const char *key, const char *v)
{
	jadd(o, key, v ? cJSON_CreateString(v) : cJSON_CreateNull());
}

/* 64-bit counters as exact integers (a double would round them). */
static void ju64(cJSON *o, const char *key, uint64_t v)
{
	char b[24];

	snprintf(b, sizeof(b), "%" PRIu64, v);
	jadd(o, key, cJSON_CreateRaw(b));
}

static cJSON *jobj(cJSON *parent, const char *key)
{
	return jadd(parent, key, cJSON_CreateObject());
}

static cJSON *jarr(cJSON *parent, const char *key)
{
	return jadd(parent, key, cJSON_CreateArray());
}

static void set_etag(struct http_response *resp, uint64_t version)
{
	snprintf(resp->etag, sizeof(resp->etag), "\"%" PRIu64 "\"", version);
}

/* Hand `text` (malloc'd, may be NULL) to the response. */
static int reply_text(struct http_response *resp, int status, char *text,
		      const char *type, struct api_error *e)
{
	if (text == NULL)
		return fail_nomem(e);
	resp->status = status;
	resp->body = text;
	resp->body_len = strlen(text);
	snprintf(resp->content_type, sizeof(resp->content_type), "%s", type);
	return 0;
}

/* Print and free `root`; a failed build or print is a 500. */
static int reply_json(struct http_response *resp, int status, cJSON *root,
		      struct api_error *e)
{
	char *text = NULL;

	if (root != NULL && !json_failed)
		text = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	return reply_text(resp, status, text, "application/json", e);
}

static void reply_error(struct http_response *resp, const struct api_error *e)
{
	cJSON *root = cJSON_CreateObject(), *details;
	char *text = NULL;

	jadd(root, "code", cJSON_CreateNumber(e->code));
	jstr(root, "message", e->message);
	details = jobj(root, "details");
	if (e->field[0])
		jstr(details, "field", e->field);
	if (e->detail_key != NULL)
		jstr(details, e->detail_key, e->detail);
	if (root != NULL && !json_failed)
		text = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	free(resp->body);
	resp->body = NULL;
	resp->body_len = 0;
	resp->etag[0] = 0;
	if (text == NULL) {
		http_response_error(resp, e->status, e->message);
		return;
	}
	resp->status = e->status;
	resp->body = text;
	resp->body_len = strlen(text);
	snprintf(resp->content_type, sizeof(resp->content_type),
		 "application/json");
}

/* ------------------------------------------------------------------ */
/* Requests: routes, methods, roles, preconditions                      */

enum api_route {
	R_HEALTHZ,
	R_READYZ,
	R_CONFIG,
	R_SERVICES,
	R_SERVICE,
	R_BACKENDS,
	R_BACKEND,
	R_STATS,
	R_FLOWS,
	R_METRICS,
	R_NONE,
};

static const char *const route_names[] = {
	[R_HEALTHZ] = "/healthz",
	[R_READYZ] = "/readyz",
	[R_CONFIG] = "/v1/config",
	[R_SERVICES] = "/v1/services",
	[R_SERVICE] = "/v1/services/{name}",
	[R_BACKENDS] = "/v1/services/{name}/backends",
	[R_BACKEND] = "/v1/services/{name}/backends/{id}",
	[R_STATS] = "/v1/stats",
	[R_FLOWS] = "/v1/flows",
	[R_METRICS] = "/metrics",
	[R_NONE] = "other",
};

enum { M_GET = 1, M_PUT = 2, M_POST = 4, M_PATCH = 8, M_DELETE = 16 };
#define M_WRITE (M_PUT | M_POST | M_PATCH | M_DELETE)
#define M_BODY (M_PUT | M_POST | M_PATCH)

static const struct {
	const char *name;
	unsigned int bit;
} methods[] = {
	{ "GET", M_GET },   { "HEAD", M_GET },	  { "PUT", M_PUT },
	{ "POST", M_POST }, { "PATCH", M_PATCH }, { "DELETE", M_DELETE },
};

static unsigned int method_bit(const char *m)
{
	for (size_t i = 0; i < ARRAY_LEN(methods); i++)
		if (strcmp(m, methods[i].name) == 0)
			return methods[i].bit;
	return 0;
}

/* One request being answered. */
struct api_call {
	struct api *a;
	const struct http_request *req;
	struct http_response *resp;
	enum api_route route;
	unsigned int method;
	char name[PATH_SEGMENT_MAX]; /* {name}, percent-decoded */
	char id[PATH_SEGMENT_MAX]; /* {id}, percent-decoded */
};

static int hex_val(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decode n bytes of s; -1 for a bad escape, %00 or no room. */
static int pct_decode(const char *s, size_t n, char *out, size_t size)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++, o++) {
		int c = (unsigned char)s[i];

		if (c == '%') {
			int hi = i + 2 < n ? hex_val(s[i + 1]) : -1;
			int lo = hi >= 0 ? hex_val(s[i + 2]) : -1;

			if (lo < 0 || (hi | lo) == 0)
				return -1;
			c = hi * 16 + lo;
			i += 2;
		}
		if (o + 1 >= size)
			return -1;
		out[o] = (char)c;
	}
	out[o] = 0;
	return 0;
}

/* Copy the next "/segment" of *p (decoded) into out; -1 if none. */
static int next_segment(const char **p, char *out, size_t size)
{
	const char *s = *p, *end;

	if (*s != '/' || s[1] == '/' || s[1] == 0)
		return -1;
	s++;
	end = strchr(s, '/');
	end = end ? end : s + strlen(s);
	*p = end;
	return pct_decode(s, (size_t)(end - s), out, size);
}

/* /v1/services/{name}[/backends[/{id}]] */
static enum api_route route_service(const char *p, struct api_call *c)
{
	char seg[PATH_SEGMENT_MAX];

	if (next_segment(&p, c->name, sizeof(c->name)) < 0)
		return R_NONE;
	if (*p == 0)
		return R_SERVICE;
	if (next_segment(&p, seg, sizeof(seg)) < 0 ||
	    strcmp(seg, "backends") != 0)
		return R_NONE;
	if (*p == 0)
		return R_BACKENDS;
	if (next_segment(&p, c->id, sizeof(c->id)) < 0 || *p != 0)
		return R_NONE;
	return R_BACKEND;
}

static enum api_route route_parse(const char *path, struct api_call *c)
{
	static const char prefix[] = "/v1/services";

	for (int r = R_HEALTHZ; r < R_NONE; r++)
		if (strchr(route_names[r], '{') == NULL &&
		    strcmp(path, route_names[r]) == 0)
			return (enum api_route)r;
	if (strncmp(path, prefix, sizeof(prefix) - 1) != 0)
		return R_NONE;
	return route_service(path + sizeof(prefix) - 1, c);
}

const char *api_route_name(const char *path)
{
	struct api_call c;

	return route_names[route_parse(path ? path : "", &c)];
}

static const char *role_name(int role)
{
	return role == HTTP_ROLE_ADMIN	  ? "admin"
	       : role == HTTP_ROLE_READER ? "reader"
					  : "none";
}

/* Writes need admin; reads need reader, except the two probes. */
static int check_role(const struct api_call *c, struct api_error *e)
{
	bool probe = c->route == R_HEALTHZ || c->route == R_READYZ;
	int need = (c->method & M_WRITE) ? HTTP_ROLE_ADMIN
		   : probe		 ? HTTP_ROLE_NONE
					 : HTTP_ROLE_READER;

	if (c->req->role >= need)
		return 0;
	fail(e, 403, API_ERR_FORBIDDEN,
	     "%s %s needs the %s role; this client's role is %s",
	     c->req->method, c->req->path, role_name(need),
	     role_name(c->req->role));
	e->detail_key = "role";
	snprintf(e->detail, sizeof(e->detail), "%s", role_name(c->req->role));
	return -1;
}

/* Absent, or application/json with optional parameters. */
static int check_media_type(const struct api_call *c, struct api_error *e)
{
	static const char json[] = "application/json";
	const char *ct = c->req->content_type;

	if (!(c->method & M_BODY) || ct == NULL)
		return 0;
	if (strncasecmp(ct, json, sizeof(json) - 1) == 0) {
		ct += sizeof(json) - 1;
		while (*ct == ' ' || *ct == '\t')
			ct++;
		if (*ct == 0 || *ct == ';')
			return 0;
	}
	return fail(e, 415, API_ERR_MEDIA_TYPE,
		    "Content-Type must be application/json, not \"%.64s\"",
		    c->req->content_type);
}

/* If-Match: "*" or a list of entity tags, one of them ours (strong). */
static bool etag_matches(const char *h, uint64_t version)
{
	char want[ETAG_LEN];
	size_t n = (size_t)snprintf(want, sizeof(want), "\"%" PRIu64 "\"",
				    version);
	const char *s, *t;

	while (*h) {
		while (*h == ' ' || *h == '\t' || *h == ',')
			h++;
		for (s = h; *h && *h != ','; h++)
			;
		for (t = h; t > s && (t[-1] == ' ' || t[-1] == '\t'); t--)
			;
		if ((t - s == 1 && *s == '*') ||
		    ((size_t)(t - s) == n && memcmp(s, want, n) == 0))
			return true;
	}
	return false;
}

static int check_if_match(const struct api_call *c, struct api_error *e)
{
	const char *h = c->req->if_match;

	if (!(c->method & M_WRITE) || h == NULL ||
	    etag_matches(h, c->a->version))
		return 0;
	fail(e, 412, API_ERR_PRECONDITION,
	     "If-Match %.64s is not the version in force", h);
	e->detail_key = "etag";
	snprintf(e->detail, sizeof(e->detail), "\"%" PRIu64 "\"",
		 c->a->version);
	return -1;
}

/* ------------------------------------------------------------------ */
/* Request bodies                                                       */

/*
 * The body as one JSON value: config_json_check() first (strict RFC 8259,
 * UTF-8, nesting; `path` is where the body goes in the document, "" for
 * a whole one), so cJSON only ever sees text that is JSON. A refusal is a
 * 400 whose details.field is the path of the value at fault.
 */
static int body_parse(const struct http_request *req, const char *path,
		      cJSON **out, struct api_error *e)
{
	const char *text = (const char *)req->body;
	struct config_error ce = { { 0 } };
	size_t n = req->body_len;
	const char *sep;

	*out = NULL;
	if (n == 0)
		return fail(e, 400, API_ERR_INVALID_JSON,
			    "body: empty; a JSON document is required");
	if (n > CONFIG_MAX_BYTES)
		return fail(e, 413, API_ERR_TOO_LARGE,
			    "body: %zu bytes, larger than the limit of %u", n,
			    CONFIG_MAX_BYTES);
	if (config_json_check(text, n, path, &ce) != 0) {
		fail(e, 400, API_ERR_INVALID_JSON, "%s", ce.msg);
		sep = strstr(ce.msg, ": ");
		snprintf(e->field, sizeof(e->field), "%.*s",
			 sep ? (int)(sep - ce.msg) : 0, ce.msg);
		return -1;
	}
	*out = cJSON_ParseWithLengthOpts(text, n, NULL, 0);
	return *out != NULL ? 0 : fail_nomem(e);
}

/* The body as a NUL-terminated copy (after body_parse accepted it). */
static char *body_text(const struct http_request *req)
{
	char *t = malloc(req->body_len + 1);

	if (t != NULL) {
		memcpy(t, req->body, req->body_len);
		t[req->body_len] = 0;
	}
	return t;
}

/* ------------------------------------------------------------------ */
/* The configuration in force, as JSON and as structs                    */

/* The canonical document in force, parsed (NULL: out of memory). */
static cJSON *doc_parse(const struct api *a)
{
	return cJSON_Parse(a->json);
}

/* services[svc] (and its backends[be] when be >= 0), detached. */
static cJSON *doc_item(const struct api *a, uint32_t svc, int64_t be)
{
	cJSON *doc = doc_parse(a), *arr, *item;

	arr = cJSON_GetObjectItemCaseSensitive(doc, "services");
	item = cJSON_GetArrayItem(arr, (int)svc);
	if (item != NULL && be >= 0) {
		arr = cJSON_GetObjectItemCaseSensitive(item, "backends");
		item = cJSON_GetArrayItem(arr, (int)be);
	}
	if (item != NULL)
		cJSON_DetachItemViaPointer(arr, item);
	cJSON_Delete(doc);
	return item;
}

static int find_service(const struct api *a, const char *name)
{
	for (uint32_t i = 0; i < a->cfg.n_services; i++)
		if (strcmp(a->cfg.services[i].name, name) == 0)
			return (int)i;
	return -1;
}

static int service_of(const struct api_call *c, struct api_error *e)
{
	int s = find_service(c->a, c->name);

	if (s < 0)
		fail(e, 404, API_ERR_NOT_FOUND, "no service named \"%.40s\"",
		     c->name);
	return s;
}

static bool ip_from_text(const char *s, uint8_t family, struct ep_ip *ip)
{
	memset(ip, 0, sizeof(*ip));
	ip->family = family;
	return inet_pton(family == EP_AF_INET6 ? AF_INET6 : AF_INET, s,
			 ip->bytes) == 1;
}

/* A decimal 0..65535 without sign or spaces. */
static bool port_from_text(const char *s, uint16_t *port)
{
	unsigned long v = 0;
	size_t n = strlen(s);

	if (n == 0 || n > 5 || strspn(s, "0123456789") != n)
		return false;
	v = strtoul(s, NULL, 10);
	*port = (uint16_t)v;
	return v <= 65535;
}

/* Backend id "ADDR:PORT" or "[ADDR6]:PORT". */
static bool backend_id_parse(const char *id, struct ep_ip *ip, uint16_t *port)
{
	char addr[PATH_SEGMENT_MAX];
	const char *colon;
	uint8_t family = EP_AF_INET;

	if (id[0] == '[') {
		colon = strstr(id, "]:");
		if (colon == NULL)
			return false;
		snprintf(addr, sizeof(addr), "%.*s", (int)(colon - id - 1),
			 id + 1);
		colon++;
		family = EP_AF_INET6;
	} else {
		colon = strchr(id, ':');
		if (colon == NULL)
			return false;
		snprintf(addr, sizeof(addr), "%.*s", (int)(colon - id), id);
	}
	return ip_from_text(addr, family, ip) &&
	       port_from_text(colon + 1, port);
}

static int find_backend(const struct config_service *s, const struct ep_ip *ip,
			uint16_t port)
{
	for (uint32_t i = 0; i < s->n_backends; i++) {
		const struct config_backend *b = &s->backends[i];

		if (b->addr.family == ip->family && b->port == port &&
		    memcmp(b->addr.bytes, ip->bytes, sizeof(ip->bytes)) == 0)
			return (int)i;
	}
	return -1;
}

/* The {name} service and its {id} backend, or a 404. */
static int backend_of(const struct api_call *c, int *svc, struct api_error *e)
{
	struct ep_ip ip;
	uint16_t port;
	int b;

	*svc = service_of(c, e);
	if (*svc < 0)
		return -1;
	b = backend_id_parse(c->id, &ip, &port)
		    ? find_backend(&c->a->cfg.services[*svc], &ip, port)
		    : -1;
	if (b < 0)
		fail(e, 404, API_ERR_NOT_FOUND,
		     "service \"%s\" has no backend \"%.56s\" (ADDRESS:PORT "
		     "or [IPV6]:PORT)",
		     c->name, c->id);
	return b;
}

/* A copy of the configuration in force, for a change by code. */
static int cfg_copy(const struct api *a, struct ep_config *out,
		    struct api_error *e)
{
	return config_copy(out, &a->cfg) == 0 ? 0 : fail_nomem(e);
}

/* A whole document (`root`: `text` parsed already, or NULL); then the
 * one change path, persisted. */
static int apply_text(struct api *a, const char *text, size_t len,
		      const cJSON *root, struct api_error *e)
{
	struct config_error ce = { { 0 } };
	struct ep_config cfg;
	int rc = root != NULL ? config_parse_tree(text, len, root, &cfg, &ce)
			      : config_parse(text, len, &cfg, &ce);

	if (rc != 0)
		return fail_config(e, rc, &ce);
	return api_apply_config(a, &cfg, true, e);
}

/* The answer to a change: `item` (NULL: out of memory), new ETag. */
static int reply_item(struct api_call *c, int status, cJSON *item,
		      struct api_error *e)
{
	set_etag(c->resp, c->a->version);
	return reply_json(c->resp, status, item, e);
}

/* The answer to a change with nothing to show: the new version. */
static int reply_version(struct api_call *c, int status, struct api_error *e)
{
	cJSON *root = cJSON_CreateObject();

	ju64(root, "version", c->a->version);
	ju64(root, "generation", c->a->generation);
	return reply_item(c, status, root, e);
}

/* ------------------------------------------------------------------ */
/* Endpoints: probes and the whole configuration                        */

static int h_healthz(struct api_call *c, struct api_error *e)
{
	cJSON *root = cJSON_CreateObject();

	jstr(root, "status", "ok");
	return reply_json(c->resp, 200, root, e);
}

static int h_readyz(struct api_call *c, struct api_error *e)
{
	const struct api *a = c->a;
	uint64_t fpv =
		__atomic_load_n(&a->fp.shared->version, __ATOMIC_ACQUIRE);
	cJSON *root;

	if (!fp_alive(a))
		return fail(e, 503, API_ERR_FASTPATH,
			    "not ready: the fast path is not running");
	if (a->version == 0 || fpv != a->version) {
		fail(e, 503, API_ERR_FASTPATH,
		     "not ready: the fast path runs version %" PRIu64
		     ", the slow path's is %" PRIu64,
		     fpv, a->version);
		e->detail_key = "fastpath_version";
		snprintf(e->detail, sizeof(e->detail), "%" PRIu64, fpv);
		return -1;
	}
	root = cJSON_CreateObject();
	jstr(root, "status", "ready");
	ju64(root, "version", a->version);
	ju64(root, "generation",
	     __atomic_load_n(&a->fp.shared->generation, __ATOMIC_ACQUIRE));
	return reply_json(c->resp, 200, root, e);
}

/* GET /v1/config's metadata: version in force, and who changed it. */
static int config_origin_headers(const struct api *a,
				 struct http_response *resp)
{
	char v[24];

	snprintf(v, sizeof(v), "%" PRIu64, a->version);
	if (http_response_add_header(resp, "x-edgepath-config-version", v))
		return -1;
	if (a->change.trace_id[0] &&
	    http_response_add_header(resp, "x-edgepath-config-trace-id",
				     a->change.trace_id))
		return -1;
	return 0;
}

/* The file's bytes as they are (as applied, or as an API write wrote
 * them), so GET /v1/config is byte-identical to the file. */
static int h_config_get(struct api_call *c, struct api_error *e)
{
	char *text = c->a->doc ? malloc(c->a->doc_len + 1) : NULL;

	if (text != NULL)
		memcpy(text, c->a->doc, c->a->doc_len + 1);
	set_etag(c->resp, c->a->version);
	if (config_origin_headers(c->a, c->resp) != 0) {
		free(text);
		return fail_nomem(e);
	}
	return reply_text(c->resp, 200, text, "application/json", e);
}

static int h_config_put(struct api_call *c, struct api_error *e)
{
	cJSON *body;
	int rc;

	if (body_parse(c->req, "", &body, e) < 0)
		return -1;
	/* Parsed once: config.c takes the tree (its own checks on the text
	 * still run), which saves a second parse of up to 1 MiB. */
	rc = apply_text(c->a, (const char *)c->req->body, c->req->body_len,
			body, e);
	cJSON_Delete(body);
	if (rc != 0)
		return -1;
	return reply_version(c, 200, e);
}

/* ------------------------------------------------------------------ */
/* Endpoints: services                                                  */

static int h_services_get(struct api_call *c, struct api_error *e)
{
	cJSON *doc = doc_parse(c->a), *root = cJSON_CreateObject(), *arr;

	arr = cJSON_DetachItemFromObjectCaseSensitive(doc, "services");
	jadd(root, "services", arr ? arr : cJSON_CreateArray());
	cJSON_Delete(doc);
	set_etag(c->resp, c->a->version);
	return reply_json(c->resp, 200, root, e);
}

static int h_service_get(struct api_call *c, struct api_error *e)
{
	int s = service_of(c, e);

	if (s < 0)
		return -1;
	set_etag(c->resp, c->a->version);
	return reply_json(c->resp, 200, doc_item(c->a, (uint32_t)s, -1), e);
}

/* Append `raw` (one JSON value) to the array at doc[key] (or at
 * services[svc][key]) and parse the whole new document. */
static int splice_apply(struct api *a, int svc, const char *key,
			const char *raw, struct api_error *e)
{
	cJSON *doc = doc_parse(a), *parent = doc, *arr;
	char *text = NULL;
	int rc = -1;

	if (svc >= 0)
		parent = cJSON_GetArrayItem(
			cJSON_GetObjectItemCaseSensitive(doc, "services"), svc);
	arr = cJSON_GetObjectItemCaseSensitive(parent, key);
	if (arr != NULL && cJSON_AddItemToArray(arr, cJSON_CreateRaw(raw)))
		text = cJSON_PrintUnformatted(doc);
	cJSON_Delete(doc);
	if (text == NULL)
		return fail_nomem(e);
	rc = apply_text(a, text, strlen(text), NULL, e);
	free(text);
	return rc;
}

/* The body of a POST: one JSON object, as NUL-terminated text. */
static int post_body(struct api_call *c, const char *path, cJSON **obj,
		     char **raw, struct api_error *e)
{
	*raw = NULL;
	if (body_parse(c->req, path, obj, e) < 0)
		return -1;
	if (!cJSON_IsObject(*obj)) {
		cJSON_Delete(*obj);
		return fail_field(e, path, "must be an object");
	}
	*raw = body_text(c->req);
	if (*raw == NULL) {
		cJSON_Delete(*obj);
		return fail_nomem(e);
	}
	return 0;
}

static int h_services_post(struct api_call *c, struct api_error *e)
{
	struct api *a = c->a;
	char path[48], location[160], *raw;
	const char *name;
	cJSON *obj;
	int rc;

	snprintf(path, sizeof(path), "services[%u]", a->cfg.n_services);
	if (post_body(c, path, &obj, &raw, e) < 0)
		return -1;
	name = cJSON_GetStringValue(
		cJSON_GetObjectItemCaseSensitive(obj, "name"));
	if (name != NULL && find_service(a, name) >= 0)
		rc = fail(e, 409, API_ERR_CONFLICT,
			  "a service named \"%.40s\" exists", name);
	else
		rc = splice_apply(a, -1, "services", raw, e);
	cJSON_Delete(obj);
	free(raw);
	if (rc < 0)
		return -1;
	snprintf(location, sizeof(location), "/v1/services/%s",
		 a->cfg.services[a->cfg.n_services - 1].name);
	http_response_add_header(c->resp, "Location", location);
	return reply_item(c, 201, doc_item(a, a->cfg.n_services - 1, -1), e);
}

static void service_remove(struct ep_config *cfg, uint32_t s)
{
	free(cfg->services[s].backends);
	memmove(&cfg->services[s], &cfg->services[s + 1],
		(cfg->n_services - s - 1) * sizeof(cfg->services[0]));
	cfg->n_services--;
}

static int h_service_delete(struct api_call *c, struct api_error *e)
{
	struct ep_config cfg;
	int s = service_of(c, e);

	if (s < 0 || cfg_copy(c->a, &cfg, e) < 0)
		return -1;
	service_remove(&cfg, (uint32_t)s);
	if (api_apply_config(c->a, &cfg, true, e) < 0)
		return -1;
	return reply_version(c, 200, e);
}

/* ------------------------------------------------------------------ */
/* Endpoints: backends                                                  */

static int h_backends_get(struct api_call *c, struct api_error *e)
{
	cJSON *svc, *root, *arr;
	int s = service_of(c, e);

	if (s < 0)
		return -1;
	svc = doc_item(c->a, (uint32_t)s, -1);
	arr = cJSON_DetachItemFromObjectCaseSensitive(svc, "backends");
	cJSON_Delete(svc);
	root = cJSON_CreateObject();
	jadd(root, "backends", arr ? arr : cJSON_CreateArray());
	jadd(root, "health",
	     health_view_service(c->a->health, &c->a->cfg.services[s],
				 health_now_ms()));
	set_etag(c->resp, c->a->version);
	return reply_json(c->resp, 200, root, e);
}

static int h_backend_get(struct api_call *c, struct api_error *e)
{
	int s, b = backend_of(c, &s, e);

	if (b < 0)
		return -1;
	set_etag(c->resp, c->a->version);
	return reply_json(c->resp, 200, doc_item(c->a, (uint32_t)s, b), e);
}

/* A backend with this body's address and port exists in service s. */
static bool backend_exists(const struct api *a, int s, const cJSON *obj)
{
	const struct config_service *svc = &a->cfg.services[s];
	const char *addr = cJSON_GetStringValue(
		cJSON_GetObjectItemCaseSensitive(obj, "address"));
	const cJSON *port = cJSON_GetObjectItemCaseSensitive(obj, "port");
	struct ep_ip ip;
	double p = port ? cJSON_GetNumberValue(port) : 0;

	if (addr == NULL || (port && !cJSON_IsNumber(port)) || !(p >= 0) ||
	    p > 65535 || p != floor(p))
		return false;
	return (ip_from_text(addr, EP_AF_INET, &ip) ||
		ip_from_text(addr, EP_AF_INET6, &ip)) &&
	       find_backend(svc, &ip, (uint16_t)p) >= 0;
}

static int h_backends_post(struct api_call *c, struct api_error *e)
{
	struct api *a = c->a;
	char path[64], *raw;
	cJSON *obj;
	int rc, s = service_of(c, e);
	uint32_t n;

	if (s < 0)
		return -1;
	n = a->cfg.services[s].n_backends;
	snprintf(path, sizeof(path), "services[%d].backends[%u]", s, n);
	if (post_body(c, path, &obj, &raw, e) < 0)
		return -1;
	if (backend_exists(a, s, obj))
		rc = fail(e, 409, API_ERR_CONFLICT,
			  "service \"%s\" has this backend already", c->name);
	else
		rc = splice_apply(a, s, "backends", raw, e);
	cJSON_Delete(obj);
	free(raw);
	if (rc < 0)
		return -1;
	s = find_service(a, c->name);
	n = a->cfg.services[s].n_backends - 1;
	return reply_item(c, 201, doc_item(a, (uint32_t)s, n), e);
}

/* {"weight": N, "state": "up|down|drain"}: at least one, nothing else. */
static int patch_field(const cJSON *v, const char *path,
		       struct config_backend *b, struct api_error *e)
{
	static const char *const states[] = { "up", "down", "drain" };
	static const enum ep_backend_state values[] = { EP_BE_UP, EP_BE_DOWN,
							EP_BE_DRAIN };
	char field[160];
	double d = cJSON_GetNumberValue(v);

	snprintf(field, sizeof(field), "%s.%s", path, v->string);
	if (strcmp(v->string, "weight") == 0) {
		if (!cJSON_IsNumber(v) || !(d >= 0) || d > 65535 ||
		    d != floor(d))
			return fail_field(e, field,
					  "must be an integer 0..65535");
		b->weight = (uint16_t)d;
		return 0;
	}
	for (size_t i = 0; cJSON_IsString(v) && i < ARRAY_LEN(states); i++) {
		if (strcmp(v->valuestring, states[i]) == 0) {
			b->state = values[i];
			return 0;
		}
	}
	return fail_field(e, field, "must be \"up\", \"down\" or \"drain\"");
}

/* Unknown fields are refused first, so the duplicate search is short. */
static int patch_parse(const cJSON *obj, const char *path,
		       struct config_backend *b, struct api_error *e)
{
	char msg[96];

	if (!cJSON_IsObject(obj))
		return fail_field(e, path, "must be an object");
	if (obj->child == NULL)
		return fail_field(e, path, "needs \"weight\" or \"state\"");
	for (const cJSON *v = obj->child; v != NULL; v = v->next) {
		if (strcmp(v->string, "weight") != 0 &&
		    strcmp(v->string, "state") != 0) {
			snprintf(msg, sizeof(msg), "unknown field \"%.40s\"",
				 v->string);
			return fail_field(e, path, msg);
		}
		for (const cJSON *p = obj->child; p != v; p = p->next)
			if (strcmp(p->string, v->string) == 0) {
				snprintf(msg, sizeof(msg),
					 "duplicate field \"%s\"", v->string);
				return fail_field(e, path, msg);
			}
		if (patch_field(v, path, b, e) < 0)
			return -1;
	}
	return 0;
}

static int h_backend_patch(struct api_call *c, struct api_error *e)
{
	struct ep_config cfg = { 0 };
	char path[64];
	cJSON *obj = NULL;
	int s, b = backend_of(c, &s, e);

	if (b < 0)
		return -1;
	snprintf(path, sizeof(path), "services[%d].backends[%d]", s, b);
	if (body_parse(c->req, path, &obj, e) < 0 ||
	    cfg_copy(c->a, &cfg, e) < 0) {
		cJSON_Delete(obj);
		return -1;
	}
	if (patch_parse(obj, path, &cfg.services[s].backends[b], e) < 0) {
		cJSON_Delete(obj);
		config_free(&cfg);
		return -1;
	}
	cJSON_Delete(obj);
	if (api_apply_config(c->a, &cfg, true, e) < 0)
		return -1;
	return reply_item(c, 200, doc_item(c->a, (uint32_t)s, b), e);
}

static int h_backend_delete(struct api_call *c, struct api_error *e)
{
	struct ep_config cfg;
	struct config_service *svc;
	int s, b = backend_of(c, &s, e);

	if (b < 0 || cfg_copy(c->a, &cfg, e) < 0)
		return -1;
	svc = &cfg.services[s];
	memmove(&svc->backends[b], &svc->backends[b + 1],
		(svc->n_backends - (uint32_t)b - 1) * sizeof(svc->backends[0]));
	svc->n_backends--;
	if (api_apply_config(c->a, &cfg, true, e) < 0)
		return -1;
	return reply_version(c, 200, e);
}

/* ------------------------------------------------------------------ */
/* Endpoints: stats, flows, metrics                                     */

/*
 * /v1/stats is served often: it is written straight into one growing
 * buffer, in the shape and order the cJSON builders above would give.
 */
struct jw {
	struct metrics_text t;
	bool first; /* the next member needs no comma */
};

static void jw_key(struct jw *w, const char *key)
{
	if (!w->first)
		metrics_text_add(&w->t, ",", 1);
	w->first = false;
	if (key != NULL) {
		metrics_text_json_string(&w->t, key);
		metrics_text_add(&w->t, ":", 1);
	}
}

/* Open an object ('{') or an array ('['), a member of the current one. */
static void jw_open(struct jw *w, const char *key, char c)
{
	jw_key(w, key);
	metrics_text_add(&w->t, &c, 1);
	w->first = true;
}

static void jw_close(struct jw *w, char c)
{
	metrics_text_add(&w->t, &c, 1);
	w->first = false;
}

static void jw_u64(struct jw *w, const char *key, uint64_t v)
{
	jw_key(w, key);
	metrics_text_u64(&w->t, v);
}

static void jw_i64(struct jw *w, const char *key, int64_t v)
{
	jw_key(w, key);
	metrics_text_i64(&w->t, v);
}

static void jw_bool(struct jw *w, const char *key, bool v)
{
	jw_key(w, key);
	metrics_text_puts(&w->t, v ? "true" : "false");
}

static void jw_str(struct jw *w, const char *key, const char *v)
{
	jw_key(w, key);
	if (v != NULL)
		metrics_text_json_string(&w->t, v);
	else
		metrics_text_add(&w->t, "null", 4);
}

static void stats_lcores(struct jw *w, const struct ep_stats *s)
{
	uint64_t total = 0, v;

	jw_open(w, "counters", '{');
	for (int i = 0; i < EP_CNT_MAX; i++)
		jw_u64(w, stats_counter_names[i], stats_sum_cnt(s, i));
	jw_close(w, '}');
	jw_open(w, "drops", '{');
	for (int r = 0; r < EP_DROP_MAX; r++) {
		v = stats_sum_drop(s, r);
		total += v;
		jw_u64(w, stats_drop_names[r], v);
	}
	jw_close(w, '}');
	jw_u64(w, "drops_total", total);
}

static void stats_ports(struct jw *w, const struct ep_stats *s, uint32_t n)
{
	struct ep_port_counters pc;

	jw_open(w, "ports", '[');
	for (uint32_t p = 0; p < n && p < EP_MAX_PORTS; p++) {
		stats_sum_port(s, p, &pc);
		jw_open(w, NULL, '{');
		jw_u64(w, "port", p);
		jw_u64(w, "rx_packets", pc.rx_pkts);
		jw_u64(w, "rx_bytes", pc.rx_bytes);
		jw_u64(w, "tx_packets", pc.tx_pkts);
		jw_u64(w, "tx_bytes", pc.tx_bytes);
		jw_u64(w, "tx_drops", pc.tx_drops);
		jw_close(w, '}');
	}
	jw_close(w, ']');
}

static void stats_backends(struct jw *w, const struct ep_stats *s,
			   const struct metrics_names *n,
			   const struct metrics_service_name *sn)
{
	struct ep_be_counters bc;

	jw_open(w, "backends", '[');
	for (uint32_t j = 0; j < sn->n_backends; j++) {
		const struct metrics_backend_name *b =
			&n->backends[sn->first_backend + j];

		stats_sum_be(s, b->sid, &bc);
		jw_open(w, NULL, '{');
		jw_str(w, "id", b->id);
		jw_u64(w, "packets", bc.pkts);
		jw_u64(w, "bytes", bc.bytes);
		jw_u64(w, "new_flows", bc.new_flows);
		jw_i64(w, "active_flows", bc.active_flows);
		jw_close(w, '}');
	}
	jw_close(w, ']');
}

static void stats_services(struct jw *w, const struct ep_stats *s,
			   const struct metrics_names *n)
{
	struct ep_svc_counters sc;

	jw_open(w, "services", '[');
	for (uint32_t i = 0; i < n->n_services; i++) {
		stats_sum_svc(s, n->services[i].sid, &sc);
		jw_open(w, NULL, '{');
		jw_str(w, "name", n->services[i].name);
		jw_u64(w, "packets", sc.pkts);
		jw_u64(w, "bytes", sc.bytes);
		jw_u64(w, "new_flows", sc.new_flows);
		jw_u64(w, "drops", sc.drops);
		/* The rest of the list (ep_abi.h): policing drops by reason
		 * ("drops_acl", ...), the SYN proxy's counters. */
		for (uint32_t k = EP_SVC_N_BASIC; k < EP_SVC_N; k++)
			jw_u64(w, ep_svc_counters[k].name,
			       ep_counter_u64(&sc, &ep_svc_counters[k]));
		stats_backends(w, s, n, &n->services[i]);
		jw_close(w, '}');
	}
	jw_close(w, ']');
}

/* Render the whole /v1/stats body into w (counters read now). */
static void stats_render(const struct api *a, struct jw *w)
{
	const struct ep_shared *sh = a->fp.shared;

	jw_open(w, NULL, '{');
	jw_u64(w, "generation",
	       __atomic_load_n(&sh->generation, __ATOMIC_ACQUIRE));
	jw_u64(w, "version", __atomic_load_n(&sh->version, __ATOMIC_ACQUIRE));
	jw_u64(w, "config_version", a->version);
	jw_bool(w, "attached", true);
	jw_bool(w, "fastpath_alive", fp_alive(a));
	jw_u64(w, "workers", sh->n_workers);
	jw_u64(w, "punt_ring_depth", a->fp.stats->ring_depth_punt);
	jw_u64(w, "inject_ring_depth", a->fp.stats->ring_depth_inject);
	jw_u64(w, "maglev_pending",
	       __atomic_load_n(&a->fp.stats->maglev_pending, __ATOMIC_RELAXED));
	jw_u64(w, "maglev_deferred",
	       __atomic_load_n(&a->fp.stats->maglev_deferred,
			       __ATOMIC_RELAXED));
	jw_u64(w, "maglev_abandoned",
	       __atomic_load_n(&a->fp.stats->maglev_abandoned,
			       __ATOMIC_RELAXED));
	stats_lcores(w, a->fp.stats);
	stats_ports(w, a->fp.stats, sh->n_ports);
	stats_services(w, a->fp.stats, &a->names);
	jw_close(w, '}');
}

/*
 * The body for a request of this pass: rendered by the pass's first
 * request into the kept buffer (its memory reused), copied for the others.
 */
static int h_stats(struct api_call *c, struct api_error *e)
{
	struct api *a = c->a;
	struct jw w = { .first = true };
	char *copy;

	if (c->req->pass == 0 || a->stats_body.pass != c->req->pass ||
	    a->stats_body.version != a->version) {
		w.t = a->stats_body.text;
		w.t.len = 0;
		w.t.failed = 0;
		stats_render(a, &w);
		a->stats_body.text = w.t;
		a->stats_body.pass = w.t.failed ? 0 : c->req->pass;
		a->stats_body.version = a->version;
		if (w.t.failed || w.t.buf == NULL)
			return fail_nomem(e);
	}
	copy = malloc(a->stats_body.text.len + 1);
	if (copy == NULL)
		return fail_nomem(e);
	memcpy(copy, a->stats_body.text.buf, a->stats_body.text.len + 1);
	return reply_text(c->resp, 200, copy, "application/json", e);
}

struct flows_query {
	char service[PATH_SEGMENT_MAX]; /* "" = every service */
	uint32_t limit;
};

static int query_param(const char *key, const char *val, struct flows_query *q,
		       unsigned int *seen, struct api_error *e)
{
	char field[QUERY_KEY_SHOWN + 8];
	unsigned long v;
	char *end;
	unsigned int bit = strcmp(key, "service") == 0 ? 1
			   : strcmp(key, "limit") == 0 ? 2
						       : 0;

	snprintf(field, sizeof(field), "query.%.*s", QUERY_KEY_SHOWN, key);
	if (bit == 0)
		return fail_field(e, field,
				  "unknown parameter (service, limit)");
	if (*seen & bit)
		return fail_field(e, field, "given twice");
	*seen |= bit;
	if (bit == 1) {
		snprintf(q->service, sizeof(q->service), "%s", val);
		return 0;
	}
	errno = 0;
	v = strtoul(val, &end, 10);
	if (errno || *end || end == val || val[0] == '-' || val[0] == '+' ||
	    v < 1 || v > EP_FLOW_SAMPLE_MAX)
		return fail_field(e, field, "must be an integer 1..1024");
	q->limit = (uint32_t)v;
	return 0;
}

/* ?service=NAME&limit=N, percent-decoded; anything else is a 400. */
static int flows_query_parse(const char *query, struct flows_query *q,
			     struct api_error *e)
{
	char key[PATH_SEGMENT_MAX], val[PATH_SEGMENT_MAX];
	unsigned int seen = 0;
	const char *p = query ? query : "", *amp, *eq;

	q->service[0] = 0;
	q->limit = API_FLOWS_LIMIT_DEFAULT;
	for (; *p; p = *amp ? amp + 1 : amp) {
		amp = strchr(p, '&');
		amp = amp ? amp : p + strlen(p);
		eq = memchr(p, '=', (size_t)(amp - p));
		if (amp == p)
			continue;
		if (eq == NULL ||
		    pct_decode(p, (size_t)(eq - p), key, sizeof(key)) < 0 ||
		    pct_decode(eq + 1, (size_t)(amp - eq - 1), val,
			       sizeof(val)) < 0)
			return fail_field(e, "query",
					  "must be key=value pairs, "
					  "percent-encoded");
		if (query_param(key, val, q, &seen, e) < 0)
			return -1;
	}
	return 0;
}

static const char *proto_name(uint8_t p)
{
	return p == 6	 ? "tcp"
	       : p == 17 ? "udp"
	       : p == 1	 ? "icmp"
	       : p == 58 ? "icmpv6"
			 : "other";
}

/* Values of ct_state (fastpath/conntrack.h), as the ABI carries them. */
static const char *flow_state_name(uint8_t s)
{
	static const char *const names[] = { "free", "syn", "established",
					     "fin", "udp" };

	return s < ARRAY_LEN(names) ? names[s] : "unknown";
}

static void flow_json(cJSON *arr, const struct api *a,
		      const struct ep_flow_entry *f)
{
	const struct metrics_service_name *sn =
		metrics_names_service(&a->names, f->service_stats_id);
	const struct metrics_backend_name *bn =
		metrics_names_backend(&a->names, f->backend_stats_id);
	cJSON *o = jadd(arr, NULL, cJSON_CreateObject());
	char b[METRICS_BACKEND_ID_LEN];

	jstr(o, "service", sn ? sn->name : NULL);
	jstr(o, "backend", bn ? bn->id : NULL);
	metrics_backend_id(&f->client, f->client_port, b, sizeof(b));
	jstr(o, "client", b);
	metrics_backend_id(&f->vip, f->vip_port, b, sizeof(b));
	jstr(o, "vip", b);
	metrics_backend_id(&f->backend, f->backend_port, b, sizeof(b));
	jstr(o, "backend_address", b);
	jstr(o, "protocol", proto_name(f->proto));
	jstr(o, "state", flow_state_name(f->state));
	ju64(o, "age_ms", f->age_ms);
	ju64(o, "worker", f->worker);
}

static int h_flows(struct api_call *c, struct api_error *e)
{
	const struct api *a = c->a;
	struct flows_query q;
	struct ep_event_msg ev;
	uint32_t sid = UINT32_MAX, n;
	cJSON *root, *arr;
	int s;

	if (flows_query_parse(c->req->query, &q, e) < 0)
		return -1;
	if (q.service[0]) {
		s = find_service(a, q.service);
		if (s < 0)
			return fail(e, 404, API_ERR_NOT_FOUND,
				    "no service named \"%.40s\"", q.service);
		sid = a->names.services[s].sid;
	}
	if (a->fp.sample_flows(a->fp.ctx, sid, q.limit, &ev) != 0) {
		ev.error[sizeof(ev.error) - 1] = 0;
		return fail(e, 503, API_ERR_FASTPATH,
			    "the fast path did not sample its flows: %s",
			    ev.error);
	}
	n = ev.count < a->fp.flows->count ? ev.count : a->fp.flows->count;
	n = n < q.limit ? n : q.limit;
	root = cJSON_CreateObject();
	ju64(root, "count", n);
	arr = jarr(root, "flows");
	for (uint32_t i = 0; i < n; i++)
		flow_json(arr, a, &a->fp.flows->flows[i]);
	return reply_json(c->resp, 200, root, e);
}

static void metrics_api_state(struct metrics_text *t, const struct api *a)
{
	metrics_family(t, "edgepath_api_config_version", "gauge",
		       "Configuration version in force in the slow path.");
	metrics_u64(t, "edgepath_api_config_version", NULL, 0, a->version);
	metrics_family(t, "edgepath_api_ready", "gauge",
		       "1 when the fast path runs the slow path's version.");
	metrics_u64(t, "edgepath_api_ready", NULL, 0, api_ready(a));
}

static int h_metrics(struct api_call *c, struct api_error *e)
{
	const struct api *a = c->a;
	struct metrics_text t = { 0 };
	struct http_stats hs;

	metrics_render_fastpath(&t, a->fp.stats, a->fp.shared, &a->names);
	metrics_api_state(&t, a);
	if (a->srv != NULL) {
		http_server_stats(a->srv, &hs);
		metrics_render_http(&t, &hs);
		metrics_render_listeners(&t, a->srv);
	}
	metrics_render_api(&t, &a->metrics);
	health_view_metrics(&t, a->health, &a->cfg);
	if (t.failed) {
		metrics_text_free(&t);
		return fail_nomem(e);
	}
	return reply_text(c->resp, 200, t.buf,
			  "text/plain; version=0.0.4; charset=utf-8", e);
}

/* ------------------------------------------------------------------ */
/* Dispatch                                                             */

typedef int (*endpoint_fn)(struct api_call *c, struct api_error *e);

static const struct {
	enum api_route route;
	unsigned int method;
	endpoint_fn fn;
} endpoints[] = {
	{ R_HEALTHZ, M_GET, h_healthz },
	{ R_READYZ, M_GET, h_readyz },
	{ R_CONFIG, M_GET, h_config_get },
	{ R_CONFIG, M_PUT, h_config_put },
	{ R_SERVICES, M_GET, h_services_get },
	{ R_SERVICES, M_POST, h_services_post },
	{ R_SERVICE, M_GET, h_service_get },
	{ R_SERVICE, M_DELETE, h_service_delete },
	{ R_BACKENDS, M_GET, h_backends_get },
	{ R_BACKENDS, M_POST, h_backends_post },
	{ R_BACKEND, M_GET, h_backend_get },
	{ R_BACKEND, M_PATCH, h_backend_patch },
	{ R_BACKEND, M_DELETE, h_backend_delete },
	{ R_STATS, M_GET, h_stats },
	{ R_FLOWS, M_GET, h_flows },
	{ R_METRICS, M_GET, h_metrics },
};

/* The endpoint, or a 405 listing the methods the route has. */
static endpoint_fn endpoint_find(const struct api_call *c,
				 struct http_response *resp,
				 struct api_error *e)
{
	char allow[64] = "";
	size_t n = 0;

	for (size_t i = 0; i < ARRAY_LEN(endpoints); i++)
		if (endpoints[i].route == c->route &&
		    endpoints[i].method == c->method)
			return endpoints[i].fn;
	for (size_t m = 0; m < ARRAY_LEN(methods); m++)
		for (size_t i = 0; i < ARRAY_LEN(endpoints); i++)
			if (endpoints[i].route == c->route &&
			    endpoints[i].method == methods[m].bit) {
				n += (size_t)snprintf(
					allow + n, sizeof(allow) - n, "%s%s",
					n ? ", " : "", methods[m].name);
				break;
			}
	fail(e, 405, API_ERR_METHOD, "%s is not allowed on %s", c->req->method,
	     route_names[c->route]);
	e->detail_key = "allowed";
	snprintf(e->detail, sizeof(e->detail), "%s", allow);
	http_response_add_header(resp, "Allow", allow);
	return NULL;
}

/* What the request head alone decides: endpoint, role, media type. */
static endpoint_fn check_head(struct api_call *c, struct api_error *e)
{
	endpoint_fn fn;

	c->route = route_parse(c->req->path, c);
	c->method = method_bit(c->req->method);
	if (c->route == R_NONE) {
		fail(e, 404, API_ERR_NOT_FOUND, "no endpoint %.100s",
		     c->req->path);
		return NULL;
	}
	fn = endpoint_find(c, c->resp, e);
	if (fn == NULL || check_role(c, e) < 0 || check_media_type(c, e) < 0)
		return NULL;
	return fn;
}

static int dispatch(struct api_call *c, struct api_error *e)
{
	endpoint_fn fn = check_head(c, e);

	if (fn == NULL || check_if_match(c, e) < 0)
		return -1;
	/* A change is coming: the fast path polls often while we parse. */
	if ((c->method & M_WRITE) && c->a->fp.wake != NULL)
		c->a->fp.wake(c->a->fp.ctx);
	return fn(c, e);
}

/* The error answer; a 405 keeps its Allow header. */
static void reply_head_error(struct http_response *resp,
			     const struct api_error *e)
{
	if (e->status != 405) /* a 405 keeps its Allow header */
		resp->n_headers = 0;
	json_failed = false;
	reply_error(resp, e);
}

void api_handle(const struct http_request *req, struct http_response *resp,
		void *arg)
{
	struct api_call c = { .a = arg, .req = req, .resp = resp };
	struct api_error e = { 0 };

	json_failed = false;
	c.a->handle_start = now_s();
	c.a->req = req;
	if (dispatch(&c, &e) == 0) {
		c.a->handle_start = 0;
		c.a->req = NULL;
		return;
	}
	c.a->handle_start = 0;
	c.a->req = NULL;
	reply_head_error(resp, &e);
}

int api_head(const struct http_request *req, struct http_response *resp,
	     void *arg)
{
	struct api_call c = { .a = arg, .req = req, .resp = resp };
	struct api_error e = { 0 };

	json_failed = false;
	if (check_head(&c, &e) == NULL) {
		reply_head_error(resp, &e);
		return 1;
	}
	if ((c.method & M_BODY) && req->body_len > CONFIG_MAX_BYTES) {
		fail(&e, 413, API_ERR_TOO_LARGE,
		     "body: %zu bytes, larger than the limit of %u",
		     req->body_len, CONFIG_MAX_BYTES);
		reply_head_error(resp, &e);
		return 1;
	}
	return 0;
}

/* "2026-12-01T23:59:59.123Z" */
static void utc_now(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;
	size_t n;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, len - n, ".%03ldZ", ts.tv_nsec / 1000000);
}

/*
 * One JSON line per request: time, trace (id, this request's span, the
 * caller's span), client (peer, certificate subject, role), method, path,
 * status, duration and the configuration version in force after it.
 */
static void access_log_line(struct api *a, const struct http_request *req,
			    int status, double seconds)
{
	struct trace_ctx own;
	const struct trace_ctx *t = req->trace;
	struct jw w = { .t = a->log_line, .first = true };
	char when[40], ms[32];

	if (t == NULL) { /* refused before its head: a trace of its own */
		if (trace_begin(NULL, &own) != 0)
			memset(&own, 0, sizeof(own));
		t = &own;
	}
	utc_now(when, sizeof(when));
	snprintf(ms, sizeof(ms), "%.3f", seconds * 1000.0);
	jw_open(&w, NULL, '{');
	jw_str(&w, "time", when);
	jw_str(&w, "trace_id", t->trace_id);
	jw_str(&w, "span_id", t->span_id);
	jw_str(&w, "parent_id", t->parent_id[0] ? t->parent_id : NULL);
	jw_open(&w, "client", '{');
	jw_str(&w, "peer", req->peer ? req->peer : "");
	jw_str(&w, "subject",
	       req->subject && req->subject[0] ? req->subject : NULL);
	jw_str(&w, "role", role_name(req->role));
	jw_close(&w, '}');
	jw_str(&w, "method", req->method ? req->method : "");
	jw_str(&w, "path", req->path ? req->path : "");
	jw_i64(&w, "status", status);
	jw_key(&w, "duration_ms");
	metrics_text_puts(&w.t, ms);
	jw_u64(&w, "config_version", a->version);
	jw_close(&w, '}');
	metrics_text_add(&w.t, "\n", 1);
	if (w.t.buf != NULL && !w.t.failed)
		fwrite(w.t.buf, 1, w.t.len, a->access_log);
	/* Keep the buffer for the next line; api_flush_log() writes. */
	a->log_line = w.t;
	a->log_line.len = 0;
	a->log_line.failed = 0;
}

void api_flush_log(struct api *a)
{
	if (a->access_log != NULL)
		fflush(a->access_log);
}

void api_complete(const struct http_request *req, int status, double seconds,
		  void *arg)
{
	struct api *a = arg;
	const char *m = req->method;

	if (method_bit(m) == 0)
		m = m[0] ? "other" : "";
	metrics_api_observe(&a->metrics, api_route_name(req->path), m, status,
			    seconds);
	if (a->access_log != NULL)
		access_log_line(a, req, status, seconds);
}
