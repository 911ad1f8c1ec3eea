/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * edgectl: the command-line client of the slow path's control API
 * (docs/api.md, docs/edgectl.md). The command line is checked first
 * (edgectl_args.c), then each command is a few requests (edgectl_http.c)
 * whose answers are printed as tables (edgectl_fmt.c) or, with --json,
 * as the API sent them. Exit: 0 done, 1 API error, 2 usage, 3 transport.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "edgectl_args.h"
#include "edgectl_fmt.h"
#include "edgectl_http.h"
#include "edgectl_policing.h"

#define CONFIG_FILE_MAX (1u << 20) /* the API's limit (CONFIG_MAX_BYTES) */
#define PATH_MAX_LEN 256u
#define MSG_LEN 512u

struct ctl {
	const struct ectl_args *a;
	struct ectl_http *h;
	char *file; /* config apply: FILE's text */
	size_t file_len;
};

static volatile sig_atomic_t stop_requested;

/* ------------------------------------------------------------------ */
/* Requests and answers                                                 */

/*
 * One request. Returns ECTL_EXIT_OK with the answer in r (a 2xx), or the
 * exit code after printing why: the transport failed (3) or the API
 * answered with an error (1, with its message, details and a hint).
 */
static int call(struct ctl *c, const char *method, const char *path,
		const char *body, size_t body_len, const char *if_match,
		struct ectl_reply *r)
{
	char err[MSG_LEN];
	const char *hint;
	long code;

	if (ectl_http_request(c->h, method, path, body, body_len, if_match, r,
			      err, sizeof(err)) < 0) {
		fprintf(stderr, "edgectl: %s\n", err);
		return ECTL_EXIT_TRANSPORT;
	}
	if (r->status >= 200 && r->status < 300)
		return ECTL_EXIT_OK;
	code = ectl_fmt_error(stderr, r->status, r->body, r->len);
	hint = ectl_error_hint(code, c->a->cmd == ECTL_CMD_CONFIG_APPLY);
	if (hint != NULL)
		fprintf(stderr, "  hint: %s\n", hint);
	ectl_reply_free(r);
	return ECTL_EXIT_API;
}

/* A 2xx answer that edgectl cannot read is a transport failure. */
static int unreadable(const char *method, const char *path)
{
	fprintf(stderr,
		"edgectl: cannot read the API's answer to %s %s (not the "
		"JSON docs/api.md describes)\n",
		method, path);
	return ECTL_EXIT_TRANSPORT;
}

/* GET path and parse it; on success *doc is the document. */
static int get_doc(struct ctl *c, const char *path, struct ectl_reply *r,
		   cJSON **doc)
{
	int rc = call(c, "GET", path, NULL, 0, NULL, r);

	*doc = NULL;
	if (rc != ECTL_EXIT_OK)
		return rc;
	*doc = cJSON_ParseWithLength(r->body, r->len);
	if (*doc == NULL) {
		ectl_reply_free(r);
		return unreadable("GET", path);
	}
	return ECTL_EXIT_OK;
}

/* --json: the body as the API sent it, and a final newline. */
static int print_body(const struct ectl_reply *r)
{
	if (r->len > 0)
		fwrite(r->body, 1, r->len, stdout);
	if (r->len == 0 || r->body[r->len - 1] != '\n')
		fputc('\n', stdout);
	return ECTL_EXIT_OK;
}

/* A table renderer's result as an exit code. */
static int rendered(int rc, const char *path)
{
	if (rc == -ENOMEM) {
		fprintf(stderr, "edgectl: out of memory\n");
		return ECTL_EXIT_TRANSPORT;
	}
	return rc < 0 ? unreadable("GET", path) : ECTL_EXIT_OK;
}

/* ------------------------------------------------------------------ */
/* Read commands                                                        */

/* GET path; print it as JSON (--json or always_json) or with render. */
static int show(struct ctl *c, const char *path, bool always_json,
		int (*render)(FILE *, const cJSON *, const struct ectl_args *))
{
	struct ectl_reply r;
	cJSON *doc;
	int rc;

	if (always_json || c->a->json) {
		rc = call(c, "GET", path, NULL, 0, NULL, &r);
		if (rc == ECTL_EXIT_OK)
			print_body(&r);
		ectl_reply_free(&r);
		return rc;
	}
	rc = get_doc(c, path, &r, &doc);
	if (rc != ECTL_EXIT_OK)
		return rc;
	rc = rendered(render(stdout, doc, c->a), path);
	cJSON_Delete(doc);
	ectl_reply_free(&r);
	return rc;
}

static int render_services(FILE *out, const cJSON *doc,
			   const struct ectl_args *a)
{
	(void)a;
	return ectl_fmt_services(out, doc);
}

static int render_stats(FILE *out, const cJSON *doc, const struct ectl_args *a)
{
	return ectl_fmt_stats(out, doc, a->all);
}

static int render_flows(FILE *out, const cJSON *doc, const struct ectl_args *a)
{
	(void)a;
	return ectl_fmt_flows(out, doc);
}

static int cmd_config_show(struct ctl *c)
{
	return show(c, "/v1/config", true, NULL);
}

static int cmd_services(struct ctl *c)
{
	return show(c, "/v1/services", false, render_services);
}

static int cmd_stats(struct ctl *c)
{
	return show(c, "/v1/stats", false, render_stats);
}

static int cmd_flows(struct ctl *c)
{
	char path[PATH_MAX_LEN];

	snprintf(path, sizeof(path), "/v1/flows?limit=%u%s%s", c->a->limit,
		 c->a->service ? "&service=" : "",
		 c->a->service ? c->a->service : "");
	return show(c, path, false, render_flows);
}

static int render_node(FILE *out, const cJSON *doc, const struct ectl_args *a)
{
	(void)a;
	return ectl_fmt_node(out, doc);
}

/* node status: GET /v1/node; drain/undrain: POST, then the same view. */
static int cmd_node(struct ctl *c)
{
	const char *path = c->a->cmd == ECTL_CMD_NODE_DRAIN ? "/v1/node/drain"
			   : c->a->cmd == ECTL_CMD_NODE_UNDRAIN
				   ? "/v1/node/undrain"
				   : NULL;
	struct ectl_reply r;
	cJSON *doc;
	int rc;

	if (path == NULL)
		return show(c, "/v1/node", false, render_node);
	rc = call(c, "POST", path, "{}", 2, NULL, &r);
	if (rc == ECTL_EXIT_OK && c->a->json) {
		print_body(&r);
	} else if (rc == ECTL_EXIT_OK) {
		doc = cJSON_ParseWithLength(r.body, r.len);
		rc = rendered(doc ? ectl_fmt_node(stdout, doc) : -EPROTO, path);
		cJSON_Delete(doc);
	}
	ectl_reply_free(&r);
	return rc;
}

/* The service's backends joined with their counters from /v1/stats. */
static int cmd_backends(struct ctl *c)
{
	struct ectl_reply rb, rs;
	cJSON *backends, *stats;
	char path[PATH_MAX_LEN];
	int rc;

	snprintf(path, sizeof(path), "/v1/services/%s/backends", c->a->service);
	if (c->a->json)
		return show(c, path, true, NULL);
	rc = get_doc(c, path, &rb, &backends);
	if (rc != ECTL_EXIT_OK)
		return rc;
	rc = get_doc(c, "/v1/stats", &rs, &stats);
	if (rc == ECTL_EXIT_OK) {
		rc = rendered(ectl_fmt_backends(stdout, backends, stats,
						c->a->service),
			      path);
		cJSON_Delete(stats);
		ectl_reply_free(&rs);
	}
	cJSON_Delete(backends);
	ectl_reply_free(&rb);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Changes                                                              */

/* The version a change answer carries (its ETag), "?" if none. */
static const char *version_of(const struct ectl_reply *r)
{
	return r->etag[0] ? r->etag : "?";
}

static int cmd_config_apply(struct ctl *c)
{
	char if_match[32], *im = NULL, prev[32] = "";
	struct ectl_reply r;
	int rc;

	if (c->a->has_if_version) {
		snprintf(if_match, sizeof(if_match), "\"%llu\"",
			 (unsigned long long)c->a->if_version);
		im = if_match;
	} else if (!c->a->force) {
		rc = call(c, "GET", "/v1/config", NULL, 0, NULL, &r);
		if (rc != ECTL_EXIT_OK)
			return rc;
		snprintf(prev, sizeof(prev), "%s", r.etag);
		ectl_reply_free(&r);
		if (prev[0] == 0)
			return unreadable("GET", "/v1/config");
		snprintf(if_match, sizeof(if_match), "\"%s\"", prev);
		im = if_match;
	}
	rc = call(c, "PUT", "/v1/config", c->file, c->file_len, im, &r);
	if (rc != ECTL_EXIT_OK)
		return rc;
	if (c->a->json)
		print_body(&r);
	else
		printf("configuration applied: version %s%s%s%s\n",
		       version_of(&r), prev[0] ? " (was " : "", prev,
		       prev[0] ? ")" : "");
	ectl_reply_free(&r);
	return ECTL_EXIT_OK;
}

static void backend_paths(const struct ctl *c, char *coll, char *item,
			  size_t size)
{
	char id[ECTL_ID_LEN];

	ectl_backend_id(&c->a->backend, true, id, sizeof(id));
	snprintf(coll, size, "/v1/services/%s/backends", c->a->service);
	snprintf(item, size, "/v1/services/%s/backends/%s", c->a->service, id);
}

/* The body of POST and PATCH: the members set, as JSON text. */
static char *backend_body(const struct ectl_args *a, const char *state)
{
	cJSON *o = cJSON_CreateObject();
	char *text = NULL;
	bool ok = o != NULL;

	if (ok && a->cmd == ECTL_CMD_BACKEND_ADD) {
		ok = cJSON_AddStringToObject(o, "address", a->backend.addr) &&
		     (!a->backend.has_port ||
		      cJSON_AddNumberToObject(o, "port", a->backend.port));
	}
	if (ok && a->has_weight)
		ok = cJSON_AddNumberToObject(o, "weight", a->weight) != NULL;
	if (ok && state != NULL)
		ok = cJSON_AddStringToObject(o, "state", state) != NULL;
	if (ok)
		text = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return text;
}

/* What a change did, for people (or the API's answer with --json). */
static void report_change(const struct ctl *c, const struct ectl_reply *r,
			  const char *did)
{
	char id[ECTL_ID_LEN];
	cJSON *doc;
	const cJSON *w, *st;

	if (c->a->json) {
		print_body(r);
		return;
	}
	ectl_backend_id(&c->a->backend, false, id, sizeof(id));
	doc = cJSON_ParseWithLength(r->body, r->len);
	w = cJSON_GetObjectItemCaseSensitive(doc, "weight");
	st = cJSON_GetObjectItemCaseSensitive(doc, "state");
	printf("%s: backend %s %s", c->a->service, id, did);
	if (cJSON_IsNumber(w) && cJSON_IsString(st))
		printf(" (weight %.0f, state %s)", w->valuedouble,
		       st->valuestring);
	printf("; configuration version %s\n", version_of(r));
	cJSON_Delete(doc);
}

static int cmd_backend_change(struct ctl *c)
{
	static const char *const states[] = {
		[ECTL_CMD_BACKEND_DRAIN] = "drain",
		[ECTL_CMD_BACKEND_UP] = "up",
		[ECTL_CMD_BACKEND_DOWN] = "down",
	};
	enum ectl_cmd cmd = c->a->cmd;
	char coll[PATH_MAX_LEN], item[PATH_MAX_LEN], *body = NULL;
	const char *state = NULL, *did;
	struct ectl_reply r;
	int rc;

	backend_paths(c, coll, item, sizeof(item));
	if (cmd == ECTL_CMD_BACKEND_DRAIN || cmd == ECTL_CMD_BACKEND_UP ||
	    cmd == ECTL_CMD_BACKEND_DOWN)
		state = states[cmd];
	if (cmd != ECTL_CMD_BACKEND_REMOVE) {
		body = backend_body(c->a, state);
		if (body == NULL) {
			fprintf(stderr, "edgectl: out of memory\n");
			return ECTL_EXIT_TRANSPORT;
		}
	}
	if (cmd == ECTL_CMD_BACKEND_ADD) {
		rc = call(c, "POST", coll, body, strlen(body), NULL, &r);
		did = "added";
	} else if (cmd == ECTL_CMD_BACKEND_REMOVE) {
		rc = call(c, "DELETE", item, NULL, 0, NULL, &r);
		did = "removed";
	} else {
		rc = call(c, "PATCH", item, body, strlen(body), NULL, &r);
		did = state ? "set" : "reweighted";
	}
	free(body);
	if (rc != ECTL_EXIT_OK)
		return rc;
	report_change(c, &r, did);
	ectl_reply_free(&r);
	return ECTL_EXIT_OK;
}

static int render_limits(FILE *out, const cJSON *doc, const struct ectl_args *a)
{
	(void)a;
	return ectl_fmt_limits(out, doc);
}

/* The limits and access lists in force: the configuration's. */
static int cmd_limits(struct ctl *c)
{
	return show(c, "/v1/config", false, render_limits);
}

/*
 * Send a policing PATCH `body` (NULL: refused before sending, why in
 * err) to `path`; then "LABEL set; configuration version V" and the part
 * in force as `fmt` renders the answer.
 */
static int send_policing(struct ctl *c, const char *path, char *body,
			 const char *err, const char *label,
			 int (*fmt)(FILE *, const cJSON *))
{
	struct ectl_reply r;
	cJSON *doc;
	int rc;

	if (body == NULL) {
		fprintf(stderr, "edgectl: %s%s%s\n", c->file ? c->a->file : "",
			c->file ? ": " : "", err);
		return ECTL_EXIT_USAGE;
	}
	rc = call(c, "PATCH", path, body, strlen(body), NULL, &r);
	free(body);
	if (rc != ECTL_EXIT_OK)
		return rc;
	if (c->a->json) {
		print_body(&r);
		ectl_reply_free(&r);
		return ECTL_EXIT_OK;
	}
	printf("%s set; configuration version %s\n", label, version_of(&r));
	doc = cJSON_ParseWithLength(r.body, r.len);
	rc = rendered(doc ? fmt(stdout, doc) : -EPROTO, path);
	cJSON_Delete(doc);
	ectl_reply_free(&r);
	return rc;
}

/* PATCH one service's "limits" or "acl" (the rest of it stays). */
static int cmd_service_policing(struct ctl *c)
{
	const char *part = c->a->cmd == ECTL_CMD_SERVICE_ACL ? "acl" : "limits";
	const char *text = c->file ? c->file : c->a->policing;
	size_t len = c->file ? c->file_len : strlen(text);
	char path[PATH_MAX_LEN], label[PATH_MAX_LEN], err[MSG_LEN];
	char *body = ectl_policing_body(part, text, len, err, sizeof(err));

	snprintf(path, sizeof(path), "/v1/services/%s", c->a->service);
	snprintf(label, sizeof(label), "%s: %s", c->a->service, part);
	return send_policing(c, path, body, err, label,
			     ectl_fmt_service_policing);
}

/* PATCH parts of the global "policing" (the rest of it stays). */
static int cmd_policing_set(struct ctl *c)
{
	const char *text = c->file ? c->file : c->a->policing;
	size_t len = c->file ? c->file_len : strlen(text);
	char err[MSG_LEN];
	char *body = ectl_global_policing_body(text, len, err, sizeof(err));

	return send_policing(c, "/v1/policing", body, err, "policing",
			     ectl_fmt_global_policing);
}

/* ------------------------------------------------------------------ */
/* top                                                                  */

static void on_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void catch_stop(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop; /* no SA_RESTART: the sleep ends at once */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Sleep until the monotonic time `until`; false if asked to stop. */
static bool sleep_until(double until)
{
	struct timespec ts;
	double left;

	while (!stop_requested && (left = until - mono_s()) > 0) {
		ts.tv_sec = (time_t)left;
		ts.tv_nsec = (long)((left - (double)ts.tv_sec) * 1e9);
		nanosleep(&ts, NULL);
	}
	return !stop_requested;
}

/* One /v1/stats sample and the time it was taken. */
static int sample(struct ctl *c, cJSON **doc, double *when)
{
	struct ectl_reply r;
	int rc = get_doc(c, "/v1/stats", &r, doc);

	*when = mono_s();
	if (rc == ECTL_EXIT_OK)
		ectl_reply_free(&r);
	return rc;
}

static void top_block(const struct ctl *c, const struct ectl_rates *rates,
		      bool tty, unsigned int n)
{
	char title[128], stamp[32];
	time_t t = time(NULL);
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S", &tm);
	snprintf(title, sizeof(title), "edgectl top  %s  every %.1f s%s", stamp,
		 c->a->interval_ms / 1000.0, tty ? "  (Ctrl-C quits)" : "");
	if (tty)
		fputs("\033[H\033[J", stdout); /* home, clear to the end */
	else if (n > 0)
		fputc('\n', stdout);
	ectl_fmt_top(stdout, rates, title);
	fflush(stdout);
}

static int cmd_top(struct ctl *c)
{
	double interval_s = c->a->interval_ms / 1000.0, t_prev, t_cur;
	bool tty = isatty(STDOUT_FILENO);
	struct ectl_rates rates;
	cJSON *prev, *cur;
	unsigned int n;
	int rc;

	catch_stop();
	rc = sample(c, &prev, &t_prev);
	for (n = 0; rc == ECTL_EXIT_OK && (c->a->count == 0 || n < c->a->count);
	     n++) {
		if (!sleep_until(t_prev + interval_s))
			break;
		rc = sample(c, &cur, &t_cur);
		if (rc != ECTL_EXIT_OK)
			break;
		if (ectl_rates_compute(prev, cur, t_cur - t_prev, &rates) < 0) {
			cJSON_Delete(cur);
			rc = unreadable("GET", "/v1/stats");
			break;
		}
		top_block(c, &rates, tty, n);
		ectl_rates_free(&rates);
		cJSON_Delete(prev);
		prev = cur;
		t_prev = t_cur;
	}
	cJSON_Delete(prev);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Start                                                                */

/* FILE's text (config apply), read before any request. */
static int load_file(struct ctl *c, const char *path)
{
	FILE *f = fopen(path, "rb");
	size_t n;

	if (f == NULL) {
		fprintf(stderr, "edgectl: cannot read '%s': %s\n", path,
			strerror(errno));
		return ECTL_EXIT_USAGE;
	}
	c->file = malloc(CONFIG_FILE_MAX + 2);
	n = c->file ? fread(c->file, 1, CONFIG_FILE_MAX + 1, f) : 0;
	if (c->file == NULL || ferror(f) || n > CONFIG_FILE_MAX) {
		fprintf(stderr, "edgectl: cannot read '%s': %s\n", path,
			c->file == NULL ? "out of memory"
			: ferror(f)	? strerror(errno)
					: "larger than 1 MiB, the API's limit");
		fclose(f);
		return ECTL_EXIT_USAGE;
	}
	fclose(f);
	c->file[n] = 0;
	c->file_len = n;
	return ECTL_EXIT_OK;
}

/* The certificate files exist and can be read. */
static int check_files(const struct ectl_args *a)
{
	const char *const names[] = { "--cert", "--key", "--cacert" };
	const char *const paths[] = { a->cert, a->key, a->cacert };

	for (int i = 0; i < 3; i++) {
		if (paths[i] == NULL || access(paths[i], R_OK) == 0)
			continue;
		fprintf(stderr, "edgectl: %s '%s': %s\n", names[i], paths[i],
			strerror(errno));
		return ECTL_EXIT_USAGE;
	}
	return ECTL_EXIT_OK;
}

static int print_version(void)
{
	const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);

	printf("edgectl %s (libcurl %s, HTTP/2 %s)\n", EDGECTL_VERSION,
	       v->version, (v->features & CURL_VERSION_HTTP2) ? "yes" : "no");
	return ECTL_EXIT_OK;
}

static int run(struct ctl *c)
{
	switch (c->a->cmd) {
	case ECTL_CMD_CONFIG_SHOW:
		return cmd_config_show(c);
	case ECTL_CMD_CONFIG_APPLY:
		return cmd_config_apply(c);
	case ECTL_CMD_SERVICES:
		return cmd_services(c);
	case ECTL_CMD_BACKENDS:
		return cmd_backends(c);
	case ECTL_CMD_STATS:
		return cmd_stats(c);
	case ECTL_CMD_FLOWS:
		return cmd_flows(c);
	case ECTL_CMD_TOP:
		return cmd_top(c);
	case ECTL_CMD_LIMITS:
		return cmd_limits(c);
	case ECTL_CMD_SERVICE_LIMITS:
	case ECTL_CMD_SERVICE_ACL:
		return cmd_service_policing(c);
	case ECTL_CMD_POLICING_SET:
		return cmd_policing_set(c);
	case ECTL_CMD_NODE_STATUS:
	case ECTL_CMD_NODE_DRAIN:
	case ECTL_CMD_NODE_UNDRAIN:
		return cmd_node(c);
	default:
		return cmd_backend_change(c);
	}
}

int main(int argc, char **argv)
{
	struct ectl_http_opts o;
	struct ectl_args a;
	struct ctl c = { .a = &a };
	char err[MSG_LEN];
	int rc;

	if (argc < 2) {
		fputs(ectl_usage(), stderr);
		return ECTL_EXIT_USAGE;
	}
	if (ectl_args_parse(argc, argv, &a, err, sizeof(err)) < 0) {
		fprintf(stderr, "edgectl: %s\nTry 'edgectl --help'.\n", err);
		return ECTL_EXIT_USAGE;
	}
	if (a.cmd == ECTL_CMD_HELP) {
		fputs(ectl_usage(), stdout);
		return ECTL_EXIT_OK;
	}
	if (a.cmd == ECTL_CMD_VERSION)
		return print_version();
	rc = check_files(&a);
	if (rc == ECTL_EXIT_OK && a.file != NULL)
		rc = load_file(&c,
			       a.file); /* config apply, service ... @FILE */
	if (rc != ECTL_EXIT_OK) {
		free(c.file);
		return rc;
	}
	o = (struct ectl_http_opts){ a.url ? NULL : a.socket_path,
				     a.url,
				     a.url_len,
				     a.cert,
				     a.key,
				     a.cacert,
				     a.timeout_ms,
				     a.verbose };
	c.h = ectl_http_open(&o, err, sizeof(err));
	if (c.h == NULL) {
		fprintf(stderr, "edgectl: %s\n", err);
		free(c.file);
		return ECTL_EXIT_TRANSPORT;
	}
	rc = run(&c);
	ectl_http_close(c.h);
	free(c.file);
	return rc;
}
