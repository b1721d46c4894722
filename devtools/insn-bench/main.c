/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Instruction benchmark driver (devtools/insn-bench.sh): for each frames-per-burst K and
 * PPI count, the host model writes K 64-byte frames into a queue's ring, the guest's rx burst
 * takes them and its tx burst sends them back (as testpmd's io forwarding does), and the host
 * completes the sends. Only the two bursts are measured: under callgrind, the instructions
 * they execute (collection toggled around them, one dump per configuration); natively, TSC
 * cycles (indicative only). Queues are used round robin, one burst pair each in turn. Last,
 * the rx burst alone on queues with nothing to read (K=0: per poll).
 *
 * Usage: insn-bench-<driver> <queues> [EAL options]
 */

#include <stdio.h>

#include <rte_cycles.h>
#include <rte_mbuf.h>
#include <valgrind/callgrind.h>

#include "bench.h"

#define FRAMES		8192u	/* measured frames per configuration */
#define WARM_FRAMES	1024u
#define RX_ROOM		32u	/* the rx burst's room: testpmd's default burst */
#define EMPTY_POLLS	4096u

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

/*
 * Empty polls: the rx burst on a queue with nothing to read and nothing owed, as an
 * application polls below line rate (queues round robin, as above).
 */
static int
run_empty(const struct bench_env *env, bool ptypes)
{
	struct rte_mbuf *pkts[RX_ROOM];
	unsigned int i;
	char label[128];
	uint16_t n = 0;

	CALLGRIND_ZERO_STATS;
	for (i = 0; i < EMPTY_POLLS; i++) {
		CALLGRIND_TOGGLE_COLLECT;
		n |= guest_rx(i % env->nb_queues, pkts, RX_ROOM);
		CALLGRIND_TOGGLE_COLLECT;
	}
	snprintf(label, sizeof(label), "driver=%s queues=%u k=0 ppi=0 ptypes=%s frames=0 polls=%u",
		 guest_name, env->nb_queues, ptypes ? "on" : "off", EMPTY_POLLS);
	CALLGRIND_DUMP_STATS_AT(label);
	if (n != 0) {
		fprintf(stderr, "insn-bench: an empty poll returned frames\n");
		return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct bench_env env;
	struct host_counts c;
	unsigned int i, j, t;

	if (bench_setup(argc, argv, &env) != 0)
		return 1;
	/* Packet types on (every frame classified), then off where the driver can: testpmd's. */
	for (t = 0; t < 2; t++) {
		if (!guest_set_ptypes(t == 0))
			continue;
		for (i = 0; i < RTE_DIM(bursts); i++)
			for (j = 0; j < RTE_DIM(ppi_counts); j++)
				if (run(&env, bursts[i], ppi_counts[j], t == 0) != 0)
					return 1;
		if (run_empty(&env, t == 0) != 0)
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
