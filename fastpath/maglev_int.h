/* SPDX-License-Identifier: BSD-3-Clause */
/* What maglev.c and maglev_rebuild.c share; not for other modules. */
#ifndef EP_MAGLEV_INT_H
#define EP_MAGLEV_INT_H

#include <stdint.h>

#include "maglev.h"

/* MAGLEV_EMPTY is UINT16_MAX, so the last usable backend index is one less. */
#define MAGLEV_MAX_BACKENDS 65534u

/* The arguments of a build or rebuild, all but the weights: 0 or -EINVAL. */
int maglev_args_valid(const struct maglev_backend *backends, uint32_t n,
		      const uint16_t *table, uint32_t m);

#endif
