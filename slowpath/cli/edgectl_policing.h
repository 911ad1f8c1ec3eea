/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * edgectl's policing commands without I/O: the body of a PATCH of one
 * service's "limits" or "acl" (docs/api.md), checked for shape before it
 * is sent (the API checks every value and names the field), and the
 * tables of the limits and access lists in force, global and per
 * service. tests/unit/test_edgectl.c checks them.
 */
#ifndef EP_EDGECTL_POLICING_H
#define EP_EDGECTL_POLICING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <cjson/cJSON.h>

/*
 * The PATCH body {"<part>": <text>} for part "limits" or "acl", where
 * text (len bytes) must be one JSON object whose members are those of
 * that part (docs/config.md, "Policing"): limits' packets_per_second,
 * bytes_per_second, connections_per_second (objects) and per_client (an
 * object of packets_per_second, connections_per_second, ipv6_prefix);
 * acl's allow and deny (arrays of strings). `{}` removes the part.
 * Returns the malloc'd body, or NULL with the reason in err.
 */
char *ectl_policing_body(const char *part, const char *text, size_t len,
			 char *err, size_t errlen);

/*
 * The PATCH /v1/policing body: text (len bytes) must be one JSON object
 * whose members are some of acl, per_client, syn_flood, syn_cookie
 * (docs/config.md, "Policing"), each an object of that part's members or
 * null (removes it). Returns the malloc'd body, or NULL with the reason
 * in err.
 */
char *ectl_global_policing_body(const char *text, size_t len, char *err,
				size_t errlen);

/* GET /v1/policing, or what its PATCH answers: the global table. */
int ectl_fmt_global_policing(FILE *out, const cJSON *policing);

/*
 * GET /v1/config: the global limits and access list ("policing": per
 * client, SYN-flood guard, ACL), then the services with limits or an
 * access list. 0, or -EPROTO when there is no services array, -ENOMEM.
 */
int ectl_fmt_limits(FILE *out, const cJSON *config);

/* One service as the PATCH answers it: its row of the limits table. */
int ectl_fmt_service_policing(FILE *out, const cJSON *service);

#endif /* EP_EDGECTL_POLICING_H */
