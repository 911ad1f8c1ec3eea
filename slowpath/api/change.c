/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control API's one change path (see api.h): every change, from
 * PUT/POST/PATCH/DELETE, SIGHUP, start-up and a health republish, is
 * validated, versioned, flattened, sent to the fast path, waited for and
 * persisted here, or nothing changes.
 */
#include "api_int.h"

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
	bool same_keys; /* the services and backends in force, same ids */
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

uint64_t api_version_file_read(const struct api *a)
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
void api_persist_clean(const struct api *a)
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
	struct health_inputs hi;
	int rc;

	ch->version = next_version(a);
	version_reserve(a, ch->version);
	ch->flat = malloc(cap);
	if (ch->flat == NULL)
		return api_fail_nomem(e);
	rc = config_to_flat(cfg, ch->version, a->ids, ch->flat, cap,
			    &ch->flat_len, &ce);
	if (rc != 0)
		return api_fail_config(e, rc, &ce);
	/* health (checks, lapsed TTLs, ejections) and priority tiers over
	 * the configuration's */
	api_health_inputs(a, &hi);
	if (health_overlay_flat(&hi, cfg, ch->flat, ch->flat_len) < 0)
		return api_fail_nomem(e);
	return 0;
}

/* What only we need: the document's text and the metric names. */
static int change_build_text(const struct ep_config *cfg, struct change *ch,
			     struct api_error *e)
{
	ch->json = config_to_json(cfg);
	if (ch->json == NULL ||
	    (!ch->same_keys &&
	     metrics_names_build(&ch->names, ch->flat, ch->flat_len) < 0))
		return api_fail_nomem(e);
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
		return api_fail(e, 500, API_ERR_PERSIST, "%s: path too long",
				a->config_path);
	}
	ch->fd = open(ch->tmp,
		      O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
		      0600);
	if (ch->fd < 0) {
		err = errno;
		ch->tmp[0] = 0;
		return api_fail(e, 500, API_ERR_PERSIST, "cannot persist: %s",
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
		return api_fail(e, 500, API_ERR_PERSIST,
				"cannot persist to %s: %s", ch->tmp,
				strerror(err));
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
	return api_fail(e, 503, API_ERR_FASTPATH,
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
		return api_fail(
			e, 500, API_ERR_PERSIST,
			"%s; the previous configuration is back in force", why);
	ch->commit_anyway = ch->text_ok;
	return api_fail(e, 500, API_ERR_PERSIST,
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
void api_doc_set_json(struct api *a)
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
	} else if (a->registry_changing) {
		a->change.trace_id[0] = 0;
		snprintf(a->change.client, sizeof(a->change.client),
			 "registry");
		printf("slowpath: configuration version %" PRIu64
		       " in force, generation %" PRIu64
		       " (the registry: TTLs lapsed or expired)\n",
		       a->version, a->generation);
	} else if (a->republishing) {
		a->change.trace_id[0] = 0;
		snprintf(a->change.client, sizeof(a->change.client), "health");
		printf("slowpath: configuration version %" PRIu64
		       " in force, generation %" PRIu64
		       " (the same document, new health or breaker "
		       "state)\n",
		       a->version, a->generation);
	} else if (a->from_remote) {
		a->change.trace_id[0] = 0;
		snprintf(a->change.client, sizeof(a->change.client), "etcd");
		printf("slowpath: configuration version %" PRIu64
		       " in force, generation %" PRIu64 " (from etcd)\n",
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

	/* same keys: the same ids, the same metric names */
	if (!ch->same_keys &&
	    config_ids_commit(a->ids, ch->flat, ch->flat_len, &ce) != 0)
		fprintf(stderr,
			"slowpath: warning: stats ids not committed: %s\n",
			ce.msg);
	config_free(&a->cfg);
	a->cfg = *cfg;
	memset(cfg, 0, sizeof(*cfg));
	a->flat = ch->flat;
	a->flat_len = ch->flat_len;
	a->json = ch->json;
	if (!ch->same_keys) {
		a->names = ch->names;
		ch->names = names;
	}
	if (!a->republishing)
		api_doc_set_json(a);
	a->version = ch->version;
	a->generation = ch->ev.generation;
	/* the flat form in force has every TTL verdict made so far */
	a->registry_dirty = false;
	if (registry_sync(a->registry, &a->cfg, a->now_ms()) != 0)
		fprintf(stderr, "slowpath: warning: registry TTLs not "
				"tracked: out of memory\n");
	change_record_origin(a);
	/* other names, other size: the next request renders anew */
	a->stats_body.pass = 0;
	jw_buf_free(&a->stats_body.text);
	/* the old ones go with the change */
	ch->flat = flat;
	ch->json = json;
}

double api_now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Time `phase` from *t to now, then move *t to now. */
static void apply_phase(struct api *a, enum metrics_apply_phase phase,
			double *t)
{
	double now = api_now_s();

	metrics_apply_observe(&a->metrics, phase, now - *t);
	*t = now;
}

/* From `start` to the fast path's answer, by the clock in the answer
 * (CLOCK_MONOTONIC, as api_now_s()); an answer without one counts not. */
static void observe_applied(struct api *a, const struct change *ch,
			    double start)
{
	double answered = (double)ch->ev.answered_ns * 1e-9;

	if (ch->ev.answered_ns != 0 && answered >= start)
		metrics_apply_observe(&a->metrics,
				      METRICS_APPLY_FASTPATH_APPLIED,
				      answered - start);
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

/* The remote source holds the document first (then every node's watch
 * sees it); the answer waits for this node's own apply below. */
static int change_put_remote(struct api *a, const struct ep_config *cfg,
			     struct api_error *e)
{
	char *json = config_to_json(cfg);
	int rc;

	if (json == NULL)
		return api_fail_nomem(e);
	rc = a->remote->put(a->remote->ctx, json, a->reg_op, e);
	free(json);
	return rc;
}

void api_set_remote(struct api *a, const struct api_remote *r)
{
	a->remote = r;
}

/*
 * Every node of a fleet shares etcd's document, but its node addresses
 * (what its fast path answers ARP for, the routers' next hop) and its
 * API listeners are its own: those two sections stay as they are in
 * force here (docs/scale-out.md).
 */
static void keep_node_local(struct ep_config *cfg, const struct ep_config *cur)
{
	cfg->node.n_addrs = cur->node.n_addrs;
	memcpy(cfg->node.addrs, cur->node.addrs, sizeof(cfg->node.addrs));
	cfg->api = cur->api;
}

int api_apply_remote(struct api *a, const char *text, size_t len,
		     struct api_error *e)
{
	struct config_error ce = { { 0 } };
	struct ep_config cfg;
	int rc = config_parse(text, len, &cfg, &ce);

	if (rc != 0)
		return api_fail_config(e, rc, &ce);
	keep_node_local(&cfg, &a->cfg);
	rc = config_validate(&cfg, &ce);
	if (rc != 0) {
		config_free(&cfg);
		return api_fail_config(e, rc, &ce);
	}
	a->from_remote = true;
	rc = api_apply_config(a, &cfg, true, e);
	a->from_remote = false;
	return rc;
}

/* The fast path's answer to ch, timed from `start` (*t: the phase's). */
static int change_await(struct api *a, struct change *ch, double start,
			double *t, struct api_error *e)
{
	int rc = change_wait(a, ch, e);

	if (rc == 0) {
		apply_phase(a, METRICS_APPLY_FASTPATH, t);
		metrics_apply_observe(&a->metrics, METRICS_APPLY_TO_ACK,
				      *t - start);
		observe_applied(a, ch, start);
	}
	return rc;
}

static void edit_set(struct config_backend *b,
		     const struct api_backend_edit *ed)
{
	b->weight = ed->weight;
	b->state = ed->state;
	b->priority = ed->priority;
}

/* cfg: the configuration in force with ed made (for the text and the
 * commit); 0, or -1 with `e` filled. */
static int edit_copy(const struct api *a, const struct api_backend_edit *ed,
		     struct ep_config *cfg, struct api_error *e)
{
	if (api_cfg_copy(a, cfg, e) < 0)
		return -1;
	edit_set(&cfg->services[ed->svc].backends[ed->be], ed);
	return 0;
}

/*
 * From a built flat form (rc: how its build went) to the change in
 * force: the temporary file, the send, the text and the file written,
 * the answer, the rename, the commit. A whole change (ed NULL) writes
 * while the fast path builds; an edit (its cfg made here, after the
 * answer) waits first, as the fast path's share is then short and the
 * text would only take the CPU from it. A path we cannot write fails
 * before anything is sent; a write that fails later, or a failed rename,
 * puts the previous configuration back.
 */
static int change_run(struct api *a, struct ep_config *cfg,
		      const struct api_backend_edit *ed, struct change *ch,
		      int rc, double start, bool persist, struct api_error *e)
{
	struct api_error late = { 0 };
	bool to_file = persist && a->config_path != NULL;
	double t = start;
	int late_rc = 0;

	if (rc == 0 && to_file)
		rc = persist_open(a, ch, e);
	if (rc == 0) {
		apply_phase(a, METRICS_APPLY_BUILD, &t);
		rc = change_send(a, ch, e);
	}
	if (rc == 0 && ed == NULL) {
		late_rc = change_prepare_rest(cfg, ch, to_file, &late);
		apply_phase(a, METRICS_APPLY_PERSIST_WRITE, &t);
		rc = change_await(a, ch, start, &t, e);
	} else if (rc == 0) {
		rc = change_await(a, ch, start, &t, e);
		if (rc == 0) {
			late_rc = edit_copy(a, ed, cfg, &late);
			if (late_rc == 0)
				late_rc = change_prepare_rest(cfg, ch, to_file,
							      &late);
			apply_phase(a, METRICS_APPLY_PERSIST_WRITE, &t);
		}
	}
	if (rc == 0) {
		if (late_rc != 0)
			rc = change_undo(a, ch, e, late.message);
		else if (to_file)
			rc = persist_finish(a, ch, e);
		if (rc == 0 && to_file)
			apply_phase(a, METRICS_APPLY_PERSIST_RENAME, &t);
	}
	if (rc == 0 || ch->commit_anyway) {
		change_commit(a, cfg, ch);
		printf("slowpath: configuration version %" PRIu64
		       " in force (generation %" PRIu64 ", %u services)\n",
		       a->version, a->generation, a->cfg.n_services);
		fflush(stdout);
	}
	change_free(ch);
	config_free(cfg);
	return rc;
}

/* The one change path for a whole configuration (api.h). */
int api_apply_config(struct api *a, struct ep_config *cfg, bool persist,
		     struct api_error *e)
{
	struct change ch = { .fd = -1 };
	double start = a->handle_start > 0 ? a->handle_start : api_now_s();
	int rc = change_build_flat(a, cfg, &ch, e);

	if (rc == 0 && persist && a->remote != NULL && !a->from_remote &&
	    !a->republishing)
		rc = change_put_remote(a, cfg, e);
	return change_run(a, cfg, NULL, &ch, rc, start, persist, e);
}

static bool fp_runs_ours(const struct api *a);

/*
 * Can an edit be laid over the flat form in force? Not with a remote
 * source (it takes the whole document first), registry verdicts not yet
 * sent (they change other services) or a fast path that runs another
 * version (it needs the whole form).
 */
static bool edit_in_place(const struct api *a)
{
	return a->flat != NULL && a->remote == NULL && !a->registry_dirty &&
	       fp_runs_ours(a);
}

/*
 * ch's flat form for ed: the one in force with ed's service rewritten
 * and its health laid over again, the other services' entries as they
 * are. The configuration in force holds ed only while this runs.
 */
static int change_patch_flat(struct api *a, const struct api_backend_edit *ed,
			     struct change *ch, struct api_error *e)
{
	struct config_backend *b = &a->cfg.services[ed->svc].backends[ed->be];
	struct config_backend was = *b;
	struct config_error ce = { { 0 } };
	struct health_inputs hi;
	int rc;

	ch->version = next_version(a);
	version_reserve(a, ch->version);
	ch->flat = malloc(a->flat_len);
	if (ch->flat == NULL)
		return api_fail_nomem(e);
	memcpy(ch->flat, a->flat, a->flat_len);
	ch->flat_len = a->flat_len;
	edit_set(b, ed);
	rc = config_validate_service(&a->cfg, ed->svc, &ce);
	if (rc == 0)
		rc = config_flat_rewrite_service(&a->cfg, ed->svc, ch->version,
						 ch->flat, ch->flat_len, &ce);
	if (rc == 0) {
		api_health_inputs(a, &hi);
		if (health_overlay_flat_services(&hi, &a->cfg, ed->svc, 1,
						 ch->flat, ch->flat_len) < 0)
			rc = -ENOMEM;
	}
	*b = was;
	if (rc == -ENOMEM)
		return api_fail_nomem(e);
	return rc != 0 ? api_fail_config(e, rc, &ce) : 0;
}

/*
 * One backend's weight, state and priority changed, persisted: the same
 * change path, with the flat form patched for that service alone and the
 * configuration copied only once the fast path has it, so the fast path
 * gets a one-weight change of a large configuration within a few
 * milliseconds. The same flat form as api_apply_config() builds.
 */
int api_apply_backend_edit(struct api *a, const struct api_backend_edit *ed,
			   struct api_error *e)
{
	struct change ch = { .fd = -1, .same_keys = true };
	struct ep_config cfg = { 0 };
	double start = a->handle_start > 0 ? a->handle_start : api_now_s();

	if (ed->svc >= a->cfg.n_services ||
	    ed->be >= a->cfg.services[ed->svc].n_backends)
		return api_fail(e, 500, API_ERR_INTERNAL, "no such backend");
	if (!edit_in_place(a)) {
		if (edit_copy(a, ed, &cfg, e) < 0)
			return -1;
		return api_apply_config(a, &cfg, true, e);
	}
	return change_run(a, &cfg, ed, &ch, change_patch_flat(a, ed, &ch, e),
			  start, true, e);
}

/* A whole document (`root`: `text` parsed already, or NULL); then the
 * one change path, persisted. */
int api_apply_text(struct api *a, const char *text, size_t len,
		   const cJSON *root, struct api_error *e)
{
	struct config_error ce = { { 0 } };
	struct ep_config cfg;
	int rc = root != NULL ? config_parse_tree(text, len, root, &cfg, &ce)
			      : config_parse(text, len, &cfg, &ce);

	if (rc != 0)
		return api_fail_config(e, rc, &ce);
	return api_apply_config(a, &cfg, true, e);
}

void api_set_health(struct api *a, const struct health_engine *h)
{
	a->health = h;
}

void api_set_breaker(struct api *a, const struct breaker_engine *b)
{
	a->breaker = b;
}

void api_health_inputs(const struct api *a, struct health_inputs *hi)
{
	health_inputs_init(hi, a->health);
	/* two sources: HEALTH_SOURCES_MAX has room */
	if (registry_count(a->registry) > 0)
		health_inputs_add(hi, api_registry_holds_out, a->registry);
	if (a->breaker != NULL)
		health_inputs_add(hi, breaker_engine_holds_out, a->breaker);
}

const void *api_flat(const struct api *a, size_t *len)
{
	*len = a->flat_len;
	return a->flat;
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
		return api_fail_nomem(e);
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
		api_fail(e, 500, API_ERR_INTERNAL, "%s: %s", path,
			 strerror(errno));
		return NULL;
	}
	buf = malloc(CONFIG_MAX_BYTES + 1);
	if (buf != NULL) {
		*len = fread(buf, 1, CONFIG_MAX_BYTES + 1, f);
		if (*len <= CONFIG_MAX_BYTES)
			buf[*len] = 0;
		if (ferror(f)) {
			api_fail(e, 500, API_ERR_INTERNAL, "%s: read error",
				 path);
			free(buf);
			buf = NULL;
		}
	} else {
		api_fail_nomem(e);
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
		return api_fail(e, 500, API_ERR_INTERNAL,
				"no configuration file");
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
		return api_fail_config(e, rc, &ce);
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
