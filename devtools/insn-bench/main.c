/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Instruction benchmark driver (devtools/insn-bench.sh): for each frames-per-burst K and
 * PPI count, the host model writes K 64-byte frames into a queue's ring, the guest's rx burst
 * takes them and its tx burst sends them back (as testpmd's io forwarding does), and the host
 * completes the sends. Only the two bursts are measured: under callgrind, the instructions
 * they execute (collection toggled around them, one dump per configuration); natively, TSC
 * cycles (indicative only). Queues are used round robin, one burst pair each in turn.
 *
 * Usage: insn-bench-<driver> <queues> [EAL options]
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <valgrind/callgrind.h>

#include "bench.h"

#define FRAMES		8192u	/* measured frames per configuration */
#define WARM_FRAMES	1024u
#define RX_ROOM		32u	/* the rx burst's room: testpmd's default burst */

static const unsigned int bursts[] = { 32, 8, 4, 1 };	/* K: frames the host delivers */
static const unsigned int ppi_counts[] = { 1, 3 };
static uint64_t short_rx, short_tx, cycles;

static int
burst_pair(unsigned int q, unsigned int k, bool measured)
{
	struct rte_mbuf *pkts[RX_ROOM];
	uint16_t n, sent;
	uint64_t t0 = 0;

	if (host_produce(q, k) != 0) {
		fprintf(stderr, "insn-bench: host ring or sections full\n");
		return -1;
	}
	if (measured) {
		CALLGRIND_TOGGLE_COLLECT;
		t0 = rte_rdtsc_precise();
	}
	/* As testpmd: room for a whole burst, whatever the host delivered. */
	n = guest_rx(q, pkts, RX_ROOM);
	sent = guest_tx(q, pkts, n);
	if (measured) {
		cycles += rte_rdtsc_precise() - t0;
		CALLGRIND_TOGGLE_COLLECT;
	}
	short_rx += n == k ? 0 : 1;
	short_tx += n - sent;
	if (sent < n)
		rte_pktmbuf_free_bulk(pkts + sent, n - sent);
	host_consume(q);
	return 0;
}

static int
run(const struct bench_env *env, unsigned int k, unsigned int ppi, bool ptypes)
{
	unsigned int i, iters = FRAMES / k;
	char label[128];

	host_init_ppis(ppi);
	for (i = 0; i < WARM_FRAMES / k; i++)
		if (burst_pair(i % env->nb_queues, k, false) != 0)
			return -1;
	cycles = 0;
	CALLGRIND_ZERO_STATS;
	for (i = 0; i < iters; i++)
		if (burst_pair(i % env->nb_queues, k, true) != 0)
			return -1;
	snprintf(label, sizeof(label), "driver=%s queues=%u k=%u ppi=%u ptypes=%s frames=%u",
		 guest_name, env->nb_queues, k, ppi, ptypes ? "on" : "off", iters * k);
	CALLGRIND_DUMP_STATS_AT(label);
	if (!RUNNING_ON_VALGRIND)
		printf("%s tsc_cycles_per_frame=%.1f\n", label, (double)cycles / (iters * k));
	return 0;
}

int
main(int argc, char **argv)
{
	struct bench_env env = { .nb_queues = 0 };
	struct host_counts c;
	unsigned int q, i, j, t;

	if (argc < 2 || (env.nb_queues = (unsigned int)atoi(argv[1])) == 0 ||
	    env.nb_queues > BENCH_MAX_QUEUES) {
		fprintf(stderr, "usage: %s <queues 1-%u> [EAL options]\n", argv[0],
			BENCH_MAX_QUEUES);
		return 2;
	}
	argv[1] = argv[0];
	if (rte_eal_init(argc - 1, argv + 1) < 0)
		return 1;
	for (q = 0; q < env.nb_queues; q++)
		env.ring[q] = rte_zmalloc(NULL, BENCH_RING_BYTES, 4096);
	env.rxbuf = rte_zmalloc(NULL, (size_t)BENCH_RX_SECTIONS * BENCH_RX_SECTION, 4096);
	env.sendbuf = rte_zmalloc(NULL, (size_t)BENCH_TX_SECTIONS * BENCH_TX_SECTION, 4096);
	env.monitor = rte_zmalloc(NULL, sizeof(*env.monitor), 4096);
	env.int_page = rte_zmalloc(NULL, 4096, 4096);
	env.mp = rte_pktmbuf_pool_create("insn_bench", 4095, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
					 SOCKET_ID_ANY);
	for (q = 0; q < env.nb_queues; q++)
		if (env.ring[q] == NULL)
			env.mp = NULL;
	if (env.rxbuf == NULL || env.sendbuf == NULL || env.monitor == NULL ||
	    env.int_page == NULL || env.mp == NULL) {
		fprintf(stderr, "insn-bench: out of memory\n");
		return 1;
	}
	host_init(&env, 1);
	if (guest_init(&env) != 0) {
		fprintf(stderr, "insn-bench: %s setup failed\n", guest_name);
		return 1;
	}
	/* Packet types on (every frame classified), then off where the driver can: testpmd's. */
	for (t = 0; t < 2; t++) {
		if (!guest_set_ptypes(t == 0))
			continue;
		for (i = 0; i < RTE_DIM(bursts); i++)
			for (j = 0; j < RTE_DIM(ppi_counts); j++)
				if (run(&env, bursts[i], ppi_counts[j], t == 0) != 0)
					return 1;
	}
	host_counts(&c);
	printf("insn-bench: %s: produced %" PRIu64 " frames, guest sent %" PRIu64 " in %" PRIu64
	       " sends, %" PRIu64 " packets acked, %" PRIu64 " short rx, %" PRIu64 " short tx, %"
	       PRIu64 " host-side errors\n", guest_name, c.produced, c.sent, c.sends, c.acked,
	       short_rx, short_tx, c.bad);
	/* Every frame went through: anything else means the figures measure something else. */
	if (c.bad != 0 || short_rx != 0 || short_tx != 0 || c.sent + 64 * env.nb_queues < c.produced)
		return 1;
	return 0;
}
