/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What every benchmark program of devtools/insn-bench starts with: EAL, the memory the host
 * model and the guest share, the mbuf pool, then both sides set up on it.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "bench.h"

int
bench_setup(int argc, char **argv, struct bench_env *env)
{
	unsigned int q;

	memset(env, 0, sizeof(*env));
	if (argc < 2 || (env->nb_queues = (unsigned int)atoi(argv[1])) == 0 ||
	    env->nb_queues > BENCH_MAX_QUEUES) {
		fprintf(stderr, "usage: %s <queues 1-%u> [EAL options]\n", argv[0],
			BENCH_MAX_QUEUES);
		return -1;
	}
	argv[1] = argv[0];
	if (rte_eal_init(argc - 1, argv + 1) < 0)
		return -1;
	for (q = 0; q < env->nb_queues; q++)
		env->ring[q] = rte_zmalloc(NULL, BENCH_RING_BYTES, 4096);
	env->rxbuf = rte_zmalloc(NULL, (size_t)BENCH_RX_SECTIONS * BENCH_RX_SECTION, 4096);
	env->sendbuf = rte_zmalloc(NULL, (size_t)BENCH_TX_SECTIONS * BENCH_TX_SECTION, 4096);
	env->monitor = rte_zmalloc(NULL, sizeof(*env->monitor), 4096);
	env->int_page = rte_zmalloc(NULL, 4096, 4096);
	env->mp = rte_pktmbuf_pool_create("insn_bench", 4095, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
					  SOCKET_ID_ANY);
	for (q = 0; q < env->nb_queues; q++)
		if (env->ring[q] == NULL)
			env->mp = NULL;
	if (env->rxbuf == NULL || env->sendbuf == NULL || env->monitor == NULL ||
	    env->int_page == NULL || env->mp == NULL) {
		fprintf(stderr, "insn-bench: out of memory\n");
		return -1;
	}
	host_init(env, 1);
	if (guest_init(env) != 0) {
		fprintf(stderr, "insn-bench: %s setup failed\n", guest_name);
		return -1;
	}
	return 0;
}
