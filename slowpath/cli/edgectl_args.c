/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * edgectl's command line (edgectl_args.h): a table of commands and one of
 * options, then a check of every value against the rules of
 * docs/config.md and docs/api.md, so a wrong argument is named before any
 * request leaves.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edgectl_args.h"

#define MAX_OPERANDS 8u /* words beyond this are refused, not ignored */
#define UNIX_PATH_MAX 107u /* sizeof(sun_path) - 1 */
#define TIMEOUT_MIN_MS 100u
#define TIMEOUT_MAX_MS 600000u
#define INTERVAL_MIN_MS 100u
#define INTERVAL_MAX_MS 3600000u
#define COUNT_MAX 1000000u
#define WEIGHT_MAX 65535u
#define PORT_MAX 65535u

enum opt {
	OPT_SOCKET,
	OPT_URL,
	OPT_CERT,
	OPT_KEY,
	OPT_CACERT,
	OPT_TIMEOUT,
	OPT_JSON,
	OPT_VERBOSE,
	OPT_HELP,
	/* options of one command */
	OPT_WEIGHT,
	OPT_FORCE,
	OPT_IF_VERSION,
	OPT_ALL,
	OPT_SERVICE,
	OPT_LIMIT,
	OPT_INTERVAL,
	OPT_COUNT,
	OPT_MAX,
};

#define BIT(o) (1u << (o))
#define GLOBAL_OPTS                                                            \
	(BIT(OPT_SOCKET) | BIT(OPT_URL) | BIT(OPT_CERT) | BIT(OPT_KEY) |       \
	 BIT(OPT_CACERT) | BIT(OPT_TIMEOUT) | BIT(OPT_JSON) |                  \
	 BIT(OPT_VERBOSE) | BIT(OPT_HELP))

static const struct {
	const char *name;
	bool value; /* takes a value */
} opt_specs[OPT_MAX] = {
	[OPT_SOCKET] = { "socket", true },
	[OPT_URL] = { "url", true },
	[OPT_CERT] = { "cert", true },
	[OPT_KEY] = { "key", true },
	[OPT_CACERT] = { "cacert", true },
	[OPT_TIMEOUT] = { "timeout", true },
	[OPT_JSON] = { "json", false },
	[OPT_VERBOSE] = { "verbose", false },
	[OPT_HELP] = { "help", false },
	[OPT_WEIGHT] = { "weight", true },
	[OPT_FORCE] = { "force", false },
	[OPT_IF_VERSION] = { "if-version", true },
	[OPT_ALL] = { "all", false },
	[OPT_SERVICE] = { "service", true },
	[OPT_LIMIT] = { "limit", true },
	[OPT_INTERVAL] = { "interval", true },
	[OPT_COUNT] = { "count", true },
};

struct cmd_spec {
	const char *group; /* "config", "backend", "node" or NULL */
	const char *word;
	enum ectl_cmd cmd;
	unsigned int n_operands;
	uint32_t opts; /* allowed beyond GLOBAL_OPTS */
	const char *operands; /* for the usage line */
};

static const struct cmd_spec cmd_specs[] = {
	{ "config", "show", ECTL_CMD_CONFIG_SHOW, 0, 0, "" },
	{ "config", "apply", ECTL_CMD_CONFIG_APPLY, 1,
	  BIT(OPT_FORCE) | BIT(OPT_IF_VERSION),
	  " FILE [--if-version V | --force]" },
	{ NULL, "services", ECTL_CMD_SERVICES, 0, 0, "" },
	{ NULL, "backends", ECTL_CMD_BACKENDS, 1, 0, " SERVICE" },
	{ "backend", "add", ECTL_CMD_BACKEND_ADD, 2, BIT(OPT_WEIGHT),
	  " SERVICE ADDRESS[:PORT] [--weight N]" },
	{ "backend", "remove", ECTL_CMD_BACKEND_REMOVE, 2, 0,
	  " SERVICE ADDRESS:PORT" },
	{ "backend", "drain", ECTL_CMD_BACKEND_DRAIN, 2, 0,
	  " SERVICE ADDRESS:PORT" },
	{ "backend", "up", ECTL_CMD_BACKEND_UP, 2, 0, " SERVICE ADDRESS:PORT" },
	{ "backend", "down", ECTL_CMD_BACKEND_DOWN, 2, 0,
	  " SERVICE ADDRESS:PORT" },
	{ "backend", "weight", ECTL_CMD_BACKEND_WEIGHT, 3, 0,
	  " SERVICE ADDRESS:PORT WEIGHT" },
	{ NULL, "stats", ECTL_CMD_STATS, 0, BIT(OPT_ALL), " [--all]" },
	{ NULL, "flows", ECTL_CMD_FLOWS, 0, BIT(OPT_SERVICE) | BIT(OPT_LIMIT),
	  " [--service NAME] [--limit N]" },
	{ NULL, "top", ECTL_CMD_TOP, 0, BIT(OPT_INTERVAL) | BIT(OPT_COUNT),
	  " [--interval SECONDS] [--count N]" },
	{ "node", "status", ECTL_CMD_NODE_STATUS, 0, 0, "" },
	{ "node", "drain", ECTL_CMD_NODE_DRAIN, 0, 0, "" },
	{ "node", "undrain", ECTL_CMD_NODE_UNDRAIN, 0, 0, "" },
	{ NULL, "limits", ECTL_CMD_LIMITS, 0, 0, "" },
	{ "service", "limits", ECTL_CMD_SERVICE_LIMITS, 2, 0,
	  " SERVICE JSON|@FILE" },
	{ "service", "acl", ECTL_CMD_SERVICE_ACL, 2, 0, " SERVICE JSON|@FILE" },
	{ "policing", "set", ECTL_CMD_POLICING_SET, 1, 0, " JSON|@FILE" },
	{ NULL, "help", ECTL_CMD_HELP, 0, 0, "" },
	{ NULL, "version", ECTL_CMD_VERSION, 0, 0, "" },
};

#define N_CMDS (sizeof(cmd_specs) / sizeof(cmd_specs[0]))

/* The raw command line, split into operands and option values. */
struct raw_args {
	const char *operand[MAX_OPERANDS];
	unsigned int n_operands;
	const char *value[OPT_MAX]; /* "" for a flag */
	uint32_t seen; /* BIT(opt) */
};

static int fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

int ectl_parse_uint(const char *s, uint64_t lo, uint64_t hi, uint64_t *v)
{
	size_t n = strlen(s);
	unsigned long long x;

	if (n == 0 || n > 20 || strspn(s, "0123456789") != n)
		return -1;
	errno = 0;
	x = strtoull(s, NULL, 10);
	if (errno != 0 || x < lo || x > hi)
		return -1;
	*v = x;
	return 0;
}

int ectl_parse_seconds(const char *s, uint32_t lo_ms, uint32_t hi_ms,
		       uint32_t *ms)
{
	size_t n = strlen(s);
	double v;
	char *end;

	/* digits and at most one dot: no sign, exponent, "inf" or "nan" */
	if (n == 0 || n > 16 || strspn(s, "0123456789.") != n ||
	    strchr(s, '.') != strrchr(s, '.') || strcmp(s, ".") == 0)
		return -1;
	v = strtod(s, &end) * 1000.0;
	if (*end != 0 || !isfinite(v) || v < lo_ms || v > hi_ms)
		return -1;
	*ms = (uint32_t)lround(v);
	return 0;
}

bool ectl_valid_name(const char *s)
{
	static const char ok[] = "abcdefghijklmnopqrstuvwxyz"
				 "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-";
	size_t n = strlen(s);

	return n >= 1 && n <= ECTL_NAME_MAX && strspn(s, ok) == n;
}

/* addr (n bytes of s) as IPv4 or IPv6 into b->addr, canonical. */
static int backend_address(const char *s, size_t n, bool v6_only,
			   struct ectl_backend_addr *b)
{
	unsigned char bin[16];
	char text[ECTL_ADDR_LEN];

	if (n == 0 || n >= sizeof(text))
		return -1;
	memcpy(text, s, n);
	text[n] = 0;
	b->ipv6 = strchr(text, ':') != NULL;
	if (v6_only && !b->ipv6)
		return -1;
	if (inet_pton(b->ipv6 ? AF_INET6 : AF_INET, text, bin) != 1)
		return -1;
	return inet_ntop(b->ipv6 ? AF_INET6 : AF_INET, bin, b->addr,
			 sizeof(b->addr)) != NULL
		       ? 0
		       : -1;
}

static int backend_port(const char *s, const char *whole,
			struct ectl_backend_addr *b, char *err, size_t errlen)
{
	uint64_t v;

	if (ectl_parse_uint(s, 0, PORT_MAX, &v) < 0)
		return fail(err, errlen,
			    "backend '%s': port '%s' must be 0..65535 (0: the "
			    "packet's own port)",
			    whole, s);
	b->has_port = true;
	b->port = (uint16_t)v;
	return 0;
}

int ectl_parse_backend(const char *s, bool need_port,
		       struct ectl_backend_addr *b, char *err, size_t errlen)
{
	const char *close, *colon, *port = NULL;
	size_t n;

	memset(b, 0, sizeof(*b));
	if (s[0] == '[') {
		close = strchr(s, ']');
		if (close == NULL || (close[1] != 0 && close[1] != ':'))
			return fail(err, errlen,
				    "backend '%s': write an IPv6 backend as "
				    "[ADDRESS]:PORT",
				    s);
		if (backend_address(s + 1, (size_t)(close - s - 1), true, b))
			return fail(err, errlen,
				    "backend '%s': not an IPv6 address in "
				    "the brackets",
				    s);
		port = close[1] == ':' ? close + 2 : NULL;
	} else if (strchr(s, ':') != strrchr(s, ':')) {
		/* two colons or more: a bare IPv6 address, no port */
		if (backend_address(s, strlen(s), true, b))
			return fail(err, errlen,
				    "backend '%s': not an IPv6 address (with a "
				    "port: [ADDRESS]:PORT)",
				    s);
	} else {
		colon = strchr(s, ':');
		n = colon ? (size_t)(colon - s) : strlen(s);
		if (backend_address(s, n, false, b))
			return fail(err, errlen,
				    "backend '%s': '%.*s' is not an IPv4 or "
				    "IPv6 address",
				    s, (int)n, s);
		port = colon ? colon + 1 : NULL;
	}
	if (port != NULL)
		return backend_port(port, s, b, err, errlen);
	if (need_port)
		return fail(
			err, errlen,
			"backend '%s': give ADDRESS:PORT, or [ADDRESS]:PORT "
			"for IPv6 (the port is part of a backend's "
			"identity; 0 when it has none)",
			s);
	return 0;
}

int ectl_backend_id(const struct ectl_backend_addr *b, bool url, char *out,
		    size_t size)
{
	int n;

	if (!b->ipv6)
		n = snprintf(out, size, "%s:%u", b->addr, b->port);
	else
		n = snprintf(out, size, "%s%s%s:%u", url ? "%5B" : "[", b->addr,
			     url ? "%5D" : "]", b->port);
	return n < 0 || (size_t)n >= size ? -1 : n;
}

/* ------------------------------------------------------------------ */
/* Splitting argv                                                       */

static int find_opt(const char *name, size_t n)
{
	for (int o = 0; o < OPT_MAX; o++)
		if (strlen(opt_specs[o].name) == n &&
		    strncmp(opt_specs[o].name, name, n) == 0)
			return o;
	return -1;
}

/* argv[*i] is "--name[=value]": record it, consuming a separate value. */
static int take_option(int argc, char *const argv[], int *i, struct raw_args *r,
		       char *err, size_t errlen)
{
	const char *arg = argv[*i] + 2, *eq = strchr(arg, '=');
	size_t n = eq ? (size_t)(eq - arg) : strlen(arg);
	int o = find_opt(arg, n);

	if (o < 0)
		return fail(err, errlen, "unknown option '%s'", argv[*i]);
	if (r->seen & BIT(o))
		return fail(err, errlen, "--%s given twice", opt_specs[o].name);
	r->seen |= BIT(o);
	if (!opt_specs[o].value) {
		if (eq != NULL)
			return fail(err, errlen, "--%s takes no value",
				    opt_specs[o].name);
		r->value[o] = "";
		return 0;
	}
	if (eq != NULL) {
		r->value[o] = eq + 1;
		return 0;
	}
	if (*i + 1 >= argc)
		return fail(err, errlen, "--%s needs a value",
			    opt_specs[o].name);
	r->value[o] = argv[++*i];
	return 0;
}

/* "-5" is an operand (a bad number), not an option. */
static bool is_option(const char *s)
{
	return s[0] == '-' && s[1] != 0 && !(s[1] >= '0' && s[1] <= '9');
}

static int split_argv(int argc, char *const argv[], struct raw_args *r,
		      char *err, size_t errlen)
{
	bool options = true;

	memset(r, 0, sizeof(*r));
	for (int i = 1; i < argc; i++) {
		const char *s = argv[i];

		if (options && strcmp(s, "--") == 0) {
			options = false;
		} else if (options && strcmp(s, "-h") == 0) {
			r->seen |= BIT(OPT_HELP);
		} else if (options && strncmp(s, "--", 2) == 0) {
			if (take_option(argc, argv, &i, r, err, errlen) < 0)
				return -1;
		} else if (options && is_option(s)) {
			return fail(err, errlen,
				    "unknown option '%s' (options are long: "
				    "--json, --socket PATH, ...)",
				    s);
		} else if (r->n_operands == MAX_OPERANDS) {
			return fail(err, errlen, "too many arguments ('%s')",
				    s);
		} else {
			r->operand[r->n_operands++] = s;
		}
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Finding the command                                                  */

static void group_words(const char *group, char *out, size_t size)
{
	size_t len = 0;

	out[0] = 0;
	for (size_t i = 0; i < N_CMDS; i++) {
		const struct cmd_spec *c = &cmd_specs[i];

		if (c->group == NULL || strcmp(c->group, group) != 0)
			continue;
		len += (size_t)snprintf(out + len, size - len, "%s%s",
					len ? ", " : "", c->word);
		if (len >= size)
			return;
	}
}

static const struct cmd_spec *find_cmd(const struct raw_args *r, char *err,
				       size_t errlen)
{
	const char *w0 = r->operand[0], *w1 = r->operand[1];
	bool group = false;
	char words[96];

	for (size_t i = 0; i < N_CMDS; i++) {
		const struct cmd_spec *c = &cmd_specs[i];

		if (c->group == NULL && strcmp(c->word, w0) == 0)
			return c;
		if (c->group == NULL || strcmp(c->group, w0) != 0)
			continue;
		group = true;
		if (w1 != NULL && strcmp(c->word, w1) == 0)
			return c;
	}
	if (!group) {
		fail(err, errlen,
		     "unknown command '%s' (commands: config, services, "
		     "backends, backend, limits, service, stats, flows, top, "
		     "node; see --help)",
		     w0);
		return NULL;
	}
	group_words(w0, words, sizeof(words));
	if (w1 == NULL)
		fail(err, errlen, "'edgectl %s' needs one of: %s", w0, words);
	else if (strcmp(w0, "backend") == 0)
		fail(err, errlen,
		     "unknown command 'edgectl backend %s' (one of: %s; to "
		     "list a service's backends: edgectl backends SERVICE)",
		     w1, words);
	else
		fail(err, errlen,
		     "unknown command 'edgectl %s %s' (one of: %s)", w0, w1,
		     words);
	return NULL;
}

static void cmd_name(const struct cmd_spec *c, char *out, size_t size)
{
	snprintf(out, size, "edgectl %s%s%s", c->group ? c->group : "",
		 c->group ? " " : "", c->word);
}

/* Options the command does not take, the operand count. */
static int check_shape(const struct cmd_spec *c, const struct raw_args *r,
		       char *err, size_t errlen)
{
	unsigned int words = c->group ? 2 : 1;
	uint32_t extra = r->seen & ~(GLOBAL_OPTS | c->opts);
	char name[48];

	cmd_name(c, name, sizeof(name));
	for (int o = 0; o < OPT_MAX; o++)
		if (extra & BIT(o))
			return fail(err, errlen,
				    "--%s is not an option of '%s' (usage: "
				    "%s%s)",
				    opt_specs[o].name, name, name, c->operands);
	if (c->cmd == ECTL_CMD_TOP && (r->seen & BIT(OPT_JSON)))
		return fail(err, errlen,
			    "'edgectl top' has no --json: for scripts, sample "
			    "'edgectl stats --json' or GET /metrics");
	if (r->n_operands != words + c->n_operands)
		return fail(err, errlen, "%s arguments; usage: %s%s",
			    r->n_operands < words + c->n_operands ? "missing"
								  : "too many",
			    name, c->operands);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Checking the values                                                  */

static int check_url(struct ectl_args *a, char *err, size_t errlen)
{
	const char *u = a->url, *host;
	size_t n = strlen(u);

	if (strncmp(u, "https://", 8) == 0)
		host = u + 8;
	else if (strncmp(u, "http://", 7) == 0)
		host = u + 7;
	else
		return fail(err, errlen,
			    "--url '%s': give https://HOST:PORT (or http:// "
			    "for a loopback cleartext listener)",
			    u);
	while (n > 0 && u[n - 1] == '/')
		n--;
	if (u + n <= host || strpbrk(host, "?# \t") != NULL)
		return fail(err, errlen,
			    "--url '%s': give https://HOST:PORT, without a "
			    "query",
			    u);
	a->url_len = n;
	return 0;
}

static int check_transport(const struct raw_args *r, struct ectl_args *a,
			   char *err, size_t errlen)
{
	const char *sock = r->value[OPT_SOCKET], *t = r->value[OPT_TIMEOUT];

	if (sock && a->url)
		return fail(err, errlen,
			    "--socket and --url exclude each other: the API is "
			    "reached one way");
	if (!a->url && (a->cert || a->key || a->cacert))
		return fail(err, errlen,
			    "--cert, --key and --cacert need --url https://... "
			    "(the Unix socket has no TLS)");
	if (a->key && !a->cert)
		return fail(err, errlen, "--key needs --cert");
	if (sock && (sock[0] == 0 || strlen(sock) > UNIX_PATH_MAX))
		return fail(err, errlen, "--socket '%s': a path of 1..%u bytes",
			    sock, UNIX_PATH_MAX);
	if (sock)
		a->socket_path = sock;
	if (t && ectl_parse_seconds(t, TIMEOUT_MIN_MS, TIMEOUT_MAX_MS,
				    &a->timeout_ms) < 0)
		return fail(err, errlen,
			    "--timeout '%s': seconds between 0.1 and 600", t);
	return a->url ? check_url(a, err, errlen) : 0;
}

static int check_service(const char *s, char *err, size_t errlen)
{
	if (ectl_valid_name(s))
		return 0;
	return fail(err, errlen,
		    "service name '%s': 1..31 characters of A-Z a-z 0-9 _ . -",
		    s);
}

static int check_weight(const char *s, struct ectl_args *a, char *err,
			size_t errlen)
{
	uint64_t v;

	if (ectl_parse_uint(s, 0, WEIGHT_MAX, &v) < 0)
		return fail(
			err, errlen,
			"weight '%s': an integer 0..65535 (0: no new flows)",
			s);
	a->has_weight = true;
	a->weight = (uint32_t)v;
	return 0;
}

/* service limits|acl, policing set: a JSON object, or @FILE holding one
 * (what it says is checked once read: ectl_policing_body()). */
static int check_policing_arg(const char *s, struct ectl_args *a, char *err,
			      size_t errlen)
{
	const char *what = a->cmd == ECTL_CMD_SERVICE_ACL    ? "acl"
			   : a->cmd == ECTL_CMD_POLICING_SET ? "policing"
							     : "limits";

	if (s[0] == '@') {
		a->file = s + 1;
		return s[1] ? 0
			    : fail(err, errlen,
				   "'@': give @FILE, a file with the %s "
				   "object",
				   what);
	}
	if (s[0] != '{' && a->cmd == ECTL_CMD_POLICING_SET)
		return fail(err, errlen,
			    "policing '%s': give a JSON object ('{\"acl\": "
			    "{...}}', a part null removes it) or @FILE",
			    s);
	if (s[0] != '{')
		return fail(err, errlen,
			    "%s '%s': give a JSON object ('{...}', '{}' "
			    "removes the %s) or @FILE",
			    what, s, what);
	a->policing = s;
	return 0;
}

/* The operands after the command words. */
static int check_operands(const struct raw_args *r, struct ectl_args *a,
			  unsigned int first, char *err, size_t errlen)
{
	const char *const *op = &r->operand[first];

	switch (a->cmd) {
	case ECTL_CMD_CONFIG_APPLY:
		a->file = op[0];
		return op[0][0] ? 0 : fail(err, errlen, "FILE is empty");
	case ECTL_CMD_BACKENDS:
		a->service = op[0];
		return check_service(op[0], err, errlen);
	case ECTL_CMD_SERVICE_LIMITS:
	case ECTL_CMD_SERVICE_ACL:
		a->service = op[0];
		if (check_service(op[0], err, errlen) < 0)
			return -1;
		return check_policing_arg(op[1], a, err, errlen);
	case ECTL_CMD_POLICING_SET:
		return check_policing_arg(op[0], a, err, errlen);
	case ECTL_CMD_BACKEND_WEIGHT:
		if (check_weight(op[2], a, err, errlen) < 0)
			return -1;
		/* fall through */
	case ECTL_CMD_BACKEND_ADD:
	case ECTL_CMD_BACKEND_REMOVE:
	case ECTL_CMD_BACKEND_DRAIN:
	case ECTL_CMD_BACKEND_UP:
	case ECTL_CMD_BACKEND_DOWN:
		a->service = op[0];
		if (check_service(op[0], err, errlen) < 0)
			return -1;
		return ectl_parse_backend(op[1], a->cmd != ECTL_CMD_BACKEND_ADD,
					  &a->backend, err, errlen);
	default:
		return 0;
	}
}

static int check_cmd_options(const struct raw_args *r, struct ectl_args *a,
			     char *err, size_t errlen)
{
	const char *const *v = r->value;
	uint64_t n;

	if (v[OPT_WEIGHT] && check_weight(v[OPT_WEIGHT], a, err, errlen) < 0)
		return -1;
	a->force = v[OPT_FORCE] != NULL;
	a->all = v[OPT_ALL] != NULL;
	if (a->force && v[OPT_IF_VERSION])
		return fail(err, errlen,
			    "--force and --if-version exclude each other");
	if (v[OPT_IF_VERSION]) {
		if (ectl_parse_uint(v[OPT_IF_VERSION], 1, INT64_MAX, &n) < 0)
			return fail(err, errlen,
				    "--if-version '%s': a configuration "
				    "version, an integer >= 1",
				    v[OPT_IF_VERSION]);
		a->has_if_version = true;
		a->if_version = n;
	}
	if (v[OPT_SERVICE]) {
		a->service = v[OPT_SERVICE];
		if (check_service(v[OPT_SERVICE], err, errlen) < 0)
			return -1;
	}
	if (v[OPT_LIMIT]) {
		if (ectl_parse_uint(v[OPT_LIMIT], 1, ECTL_FLOWS_LIMIT_MAX, &n) <
		    0)
			return fail(err, errlen,
				    "--limit '%s': an integer 1..%u",
				    v[OPT_LIMIT], ECTL_FLOWS_LIMIT_MAX);
		a->limit = (uint32_t)n;
	}
	if (v[OPT_INTERVAL] &&
	    ectl_parse_seconds(v[OPT_INTERVAL], INTERVAL_MIN_MS,
			       INTERVAL_MAX_MS, &a->interval_ms) < 0)
		return fail(err, errlen,
			    "--interval '%s': seconds between 0.1 and 3600",
			    v[OPT_INTERVAL]);
	if (v[OPT_COUNT]) {
		if (ectl_parse_uint(v[OPT_COUNT], 1, COUNT_MAX, &n) < 0)
			return fail(err, errlen,
				    "--count '%s': an integer 1..%u",
				    v[OPT_COUNT], COUNT_MAX);
		a->count = (uint32_t)n;
	}
	return 0;
}

static void set_defaults(struct ectl_args *a)
{
	memset(a, 0, sizeof(*a));
	a->cmd = ECTL_CMD_HELP;
	a->socket_path = ECTL_DEFAULT_SOCKET;
	a->timeout_ms = ECTL_DEFAULT_TIMEOUT_MS;
	a->interval_ms = ECTL_DEFAULT_INTERVAL_MS;
	a->limit = ECTL_DEFAULT_FLOWS_LIMIT;
}

int ectl_args_parse(int argc, char *const argv[], struct ectl_args *a,
		    char *err, size_t errlen)
{
	const struct cmd_spec *c;
	struct raw_args r;

	set_defaults(a);
	if (split_argv(argc, argv, &r, err, errlen) < 0)
		return -1;
	if (r.seen & BIT(OPT_HELP))
		return 0;
	if (r.n_operands == 0)
		return fail(err, errlen, "no command given");
	c = find_cmd(&r, err, errlen);
	if (c == NULL || check_shape(c, &r, err, errlen) < 0)
		return -1;
	a->cmd = c->cmd;
	a->url = r.value[OPT_URL];
	a->cert = r.value[OPT_CERT];
	a->key = r.value[OPT_KEY];
	a->cacert = r.value[OPT_CACERT];
	a->json = r.value[OPT_JSON] != NULL;
	a->verbose = r.value[OPT_VERBOSE] != NULL;
	if (check_transport(&r, a, err, errlen) < 0 ||
	    check_operands(&r, a, c->group ? 2 : 1, err, errlen) < 0)
		return -1;
	return check_cmd_options(&r, a, err, errlen);
}

const char *ectl_usage(void)
{
	return "usage: edgectl [OPTIONS] COMMAND [ARGS]\n"
	       "\n"
	       "Talks to the edgepath control API (docs/api.md).\n"
	       "\n"
	       "Commands:\n"
	       "  config show                       the configuration in "
	       "force (JSON)\n"
	       "  config apply FILE                 replace it with FILE "
	       "(If-Match: the\n"
	       "         [--if-version V|--force]   current version, or V; "
	       "none with --force)\n"
	       "  services                          services and their "
	       "backends up/total\n"
	       "  backends SERVICE                  a service's backends "
	       "with counters\n"
	       "  backend add SERVICE ADDRESS[:PORT] [--weight N]\n"
	       "  backend remove SERVICE ADDRESS:PORT\n"
	       "  backend drain SERVICE ADDRESS:PORT    no new flows; "
	       "established stay\n"
	       "  backend up|down SERVICE ADDRESS:PORT\n"
	       "  backend weight SERVICE ADDRESS:PORT N (0..65535)\n"
	       "  stats [--all]                     counters, ports, drops "
	       "by reason\n"
	       "  flows [--service NAME] [--limit N]    a sample of the "
	       "connection table\n"
	       "  top [--interval SECONDS] [--count N]  live packet and "
	       "byte rates\n"
	       "  node status                       announced VIPs and why "
	       "others are not\n"
	       "  node drain|undrain                withdraw this node's VIPs "
	       "from BGP, or\n"
	       "                                    announce them again\n"
	       "  limits                            rate limits and access "
	       "lists in force,\n"
	       "                                    global and per service\n"
	       "  service limits SERVICE JSON|@FILE replace the service's "
	       "\"limits\" ('{}': none)\n"
	       "  service acl SERVICE JSON|@FILE    replace the service's "
	       "\"acl\" ('{}': none)\n"
	       "  policing set JSON|@FILE           replace parts of the "
	       "global \"policing\"\n"
	       "                                    (acl, per_client, "
	       "syn_flood, syn_cookie;\n"
	       "                                    null removes one)\n"
	       "  version                           edgectl's version\n"
	       "\n"
	       "IPv6 backends: [ADDRESS]:PORT. Options:\n"
	       "  --socket PATH     the API's Unix socket (default "
	       "/run/edgepath/api.sock)\n"
	       "  --url URL         https://HOST:PORT instead of the "
	       "socket\n"
	       "  --cert FILE, --key FILE, --cacert FILE\n"
	       "                    client certificate, its key, the "
	       "server's CA (PEM)\n"
	       "  --timeout SECONDS each request (default 10)\n"
	       "  --json            print the API's JSON unchanged\n"
	       "  --verbose         each request and its answer on stderr\n"
	       "  -h, --help        this text\n"
	       "\n"
	       "Exit status: 0 done, 1 the API refused, 2 bad usage (nothing "
	       "sent),\n"
	       "3 the API could not be reached or its answer not read.\n";
}
