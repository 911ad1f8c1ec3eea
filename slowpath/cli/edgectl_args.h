/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * edgectl's command line: the commands, their options and the checks of
 * every argument (addresses, ports, weights, names, numbers), done before
 * any request is sent. Pure: no I/O, so tests/unit/test_edgectl.c runs it
 * without a server. docs/edgectl.md describes what the user sees.
 */
#ifndef EP_EDGECTL_ARGS_H
#define EP_EDGECTL_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ECTL_DEFAULT_SOCKET "/run/edgepath/api.sock"
#define ECTL_DEFAULT_TIMEOUT_MS 10000u /* an apply waits up to 5 s */
#define ECTL_DEFAULT_INTERVAL_MS 2000u /* top */
#define ECTL_DEFAULT_FLOWS_LIMIT 100u
#define ECTL_FLOWS_LIMIT_MAX 1024u /* the API's bound on ?limit= */
#define ECTL_NAME_MAX 31u /* a service name, without the NUL */
#define ECTL_ADDR_LEN 46u /* INET6_ADDRSTRLEN */
#define ECTL_ID_LEN 64u /* "[v6]:port", percent-encoded, with the NUL */
#define ECTL_ERR_LEN 256u

/* Exit codes (docs/edgectl.md). */
enum ectl_exit {
	ECTL_EXIT_OK = 0,
	ECTL_EXIT_API = 1, /* the API answered with an error */
	ECTL_EXIT_USAGE = 2, /* a bad command line; nothing was sent */
	ECTL_EXIT_TRANSPORT = 3, /* the API could not be reached or read */
};

enum ectl_cmd {
	ECTL_CMD_HELP,
	ECTL_CMD_VERSION,
	ECTL_CMD_CONFIG_SHOW,
	ECTL_CMD_CONFIG_APPLY,
	ECTL_CMD_SERVICES,
	ECTL_CMD_BACKENDS,
	ECTL_CMD_BACKEND_ADD,
	ECTL_CMD_BACKEND_REMOVE,
	ECTL_CMD_BACKEND_DRAIN,
	ECTL_CMD_BACKEND_UP,
	ECTL_CMD_BACKEND_DOWN,
	ECTL_CMD_BACKEND_WEIGHT,
	ECTL_CMD_STATS,
	ECTL_CMD_FLOWS,
	ECTL_CMD_TOP,
	ECTL_CMD_NODE_STATUS,
	ECTL_CMD_NODE_DRAIN,
	ECTL_CMD_NODE_UNDRAIN,
	ECTL_CMD_LIMITS, /* the limits and access lists in force */
	ECTL_CMD_SERVICE_LIMITS, /* PATCH a service's "limits" */
	ECTL_CMD_SERVICE_ACL, /* PATCH a service's "acl" */
	ECTL_CMD_POLICING_SET, /* PATCH the global "policing" */
};

/* A backend as the user named it: ADDRESS, ADDRESS:PORT, [IPV6]:PORT. */
struct ectl_backend_addr {
	char addr[ECTL_ADDR_LEN]; /* as inet_ntop prints it */
	bool ipv6;
	bool has_port;
	uint16_t port; /* 0 when not given */
};

/* The parsed, checked command line. Strings point into argv. */
struct ectl_args {
	enum ectl_cmd cmd;
	/* where the API is */
	const char *socket_path; /* default ECTL_DEFAULT_SOCKET */
	const char *url; /* "https://host:port" without a trailing '/' */
	size_t url_len; /* of url without trailing slashes */
	const char *cert, *key, *cacert;
	uint32_t timeout_ms;
	bool json, verbose;
	/* the command's operands and options */
	const char *service; /* backends, backend *, flows --service */
	struct ectl_backend_addr backend;
	const char *file; /* config apply; service limits|acl @FILE */
	const char *policing; /* service limits|acl: the JSON object given */
	bool has_weight;
	uint32_t weight; /* backend add --weight, backend weight N */
	bool force; /* config apply: no If-Match */
	bool has_if_version;
	uint64_t if_version; /* config apply --if-version */
	bool all; /* stats */
	uint32_t limit; /* flows */
	uint32_t interval_ms; /* top */
	uint32_t count; /* top: blocks to print, 0 = until interrupted */
};

/*
 * Parse argv (argv[0] is the program). Options may come before or after
 * the command words; "--opt value" and "--opt=value" are both accepted,
 * "--" ends the options. Returns 0, or -1 with a message for the user in
 * err (no request should be sent then: exit ECTL_EXIT_USAGE).
 */
int ectl_args_parse(int argc, char *const argv[], struct ectl_args *a,
		    char *err, size_t errlen);

/*
 * A backend "ADDRESS[:PORT]" or "[IPV6][:PORT]"; a bare IPv6 address has
 * no port. need_port: the port must be given (a backend's identity).
 * Returns 0 or -1 with the reason in err.
 */
int ectl_parse_backend(const char *s, bool need_port,
		       struct ectl_backend_addr *b, char *err, size_t errlen);

/* A decimal integer lo..hi: digits only, no sign or spaces. 0 or -1. */
int ectl_parse_uint(const char *s, uint64_t lo, uint64_t hi, uint64_t *v);

/* Seconds as a decimal ("2", "0.5") within lo_ms..hi_ms. 0 or -1. */
int ectl_parse_seconds(const char *s, uint32_t lo_ms, uint32_t hi_ms,
		       uint32_t *ms);

/* A service name: 1..31 characters of [A-Za-z0-9_.-]. */
bool ectl_valid_name(const char *s);

/*
 * The backend's API id, "10.0.0.1:80" or "[2001:db8::1]:80"; for a URL
 * path (url) the brackets are percent-encoded. Returns the length, or -1
 * if it does not fit.
 */
int ectl_backend_id(const struct ectl_backend_addr *b, bool url, char *out,
		    size_t size);

/* The usage text. */
const char *ectl_usage(void);

#endif /* EP_EDGECTL_ARGS_H */
