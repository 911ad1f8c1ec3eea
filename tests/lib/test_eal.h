/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Starting the EAL the way the C tests do: no hugepages, no shared
 * configuration and a file prefix of their own, so that parallel runs do
 * not share a runtime directory. (--in-memory is refused with --no-huge
 * on DPDK 22.11: it implies legacy memory.)
 */
#ifndef EP_TEST_EAL_H
#define EP_TEST_EAL_H

#include <sched.h>
#include <stdio.h>

#include <rte_common.h>
#include <rte_eal.h>
#include <rte_errno.h>

/*
 * "--lcores=0@A,1@B,...": the main lcore (the test) on the first CPU we
 * may run on, the workers 1..workers on the second (or the first again).
 */
static inline void test_lcores_arg(char *buf, size_t len, unsigned int workers)
{
	cpu_set_t set;
	int cpus[2] = { 0, 0 }, n = 0, off;

	if (sched_getaffinity(0, sizeof(set), &set) == 0)
		for (int c = 0; c < CPU_SETSIZE && n < 2; c++)
			if (CPU_ISSET(c, &set))
				cpus[n++] = c;
	if (n < 2)
		cpus[1] = cpus[0];
	off = snprintf(buf, len, "--lcores=0@%d", cpus[0]);
	for (unsigned int w = 1; w <= workers; w++)
		off += snprintf(buf + off, len - (size_t)off, ",%u@%d", w,
				cpus[1]);
}

/*
 * A unit test's EAL: lcore 0 only, mem_mb MB of memory, prefix
 * "test_NAME". 0, or -1 after saying why.
 */
static inline int test_eal_init(const char *name, const char *mem_mb)
{
	static char prefix[80];
	char *argv[] = { "test",
			 "--no-huge",
			 "--no-shconf",
			 "--no-telemetry",
			 prefix,
			 "--no-pci",
			 "-l",
			 "0",
			 "--log-level=error",
			 "-m",
			 (char *)mem_mb,
			 NULL };

	snprintf(prefix, sizeof(prefix), "--file-prefix=test_%s", name);
	if (rte_eal_init((int)RTE_DIM(argv) - 1, argv) < 0) {
		fprintf(stderr, "EAL init failed: %s\n",
			rte_strerror(rte_errno));
		return -1;
	}
	return 0;
}

/*
 * An integration test's EAL: the main lcore and `workers` worker lcores
 * (test_lcores_arg), mem_mb MB, prefix and program name `name` (a string
 * that lives as long as the process). 0, or -1 after saying why.
 */
static inline int test_eal_init_workers(const char *name, const char *mem_mb,
					unsigned int workers)
{
	static char lcores[64], prefix[80];
	char *argv[] = { (char *)name,	      "--no-huge", "-m",
			 (char *)mem_mb,      "--no-pci",  "--no-shconf",
			 "--no-telemetry",    lcores,	   prefix,
			 "--log-level=error", NULL };

	test_lcores_arg(lcores, sizeof(lcores), workers);
	snprintf(prefix, sizeof(prefix), "--file-prefix=%s", name);
	if (rte_eal_init((int)RTE_DIM(argv) - 1, argv) < 0) {
		fprintf(stderr, "EAL init failed: %s\n",
			rte_strerror(rte_errno));
		return -1;
	}
	return 0;
}

#endif /* EP_TEST_EAL_H */
