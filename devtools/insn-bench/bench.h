/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Instruction benchmark of the burst functions (devtools/insn-bench.sh): one guest driver,
 * hvnet's or upstream net_netvsc's rx and tx bursts with their bus ring code, against an
 * in-process host model working on the same memory the driver sees as its VMBus rings,
 * receive buffer and send buffer. The host side runs outside the measured region.
 */
#ifndef INSN_BENCH_H
#define INSN_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_mbuf.h>

#include "hv_wire.h"

#define BENCH_MAX_QUEUES	8u
#define BENCH_RING_BYTES	(512u * 1024u)	/* one channel: both rings, control pages included */
#define BENCH_RX_SECTION	2048u		/* receive slot of one frame */
#define BENCH_RX_SECTIONS	1024u
#define BENCH_TX_SECTION	6144u
#define BENCH_TX_SECTIONS	512u
#define BENCH_RXBUF_ID		HV_RXBUF_ID

/* What the host model shares with the guest: the memory both sides map. */
struct bench_env {
	unsigned int nb_queues;
	uint8_t *ring[BENCH_MAX_QUEUES];	/* guest->host ring first, host->guest second */
	uint8_t *rxbuf;				/* BENCH_RX_SECTIONS sections */
	uint8_t *sendbuf;			/* BENCH_TX_SECTIONS sections */
	struct hv_monitor_page *monitor;
	uint8_t *int_page;
	struct rte_mempool *mp;
};

/*
 * EAL (argv: program, queue count, EAL options), the shared memory and mbuf pool, the host
 * model and the guest driver on it (setup.c). 0, or -1 after saying why.
 */
int bench_setup(int argc, char **argv, struct bench_env *env);

/* The guest driver under test (guest_hvnet.c or guest_netvsc.c). */
extern const char *const guest_name;
int guest_init(const struct bench_env *env);
uint16_t guest_rx(unsigned int q, struct rte_mbuf **pkts, uint16_t n);
uint16_t guest_tx(unsigned int q, struct rte_mbuf **pkts, uint16_t n);
/*
 * Packet types on or off on every rx queue, as rte_eth_dev_set_ptypes() would set them
 * (testpmd turns them off on every port it starts); false when the driver always classifies.
 */
bool guest_set_ptypes(bool on);

/* The host model (host.c). */
void host_init(const struct bench_env *env, unsigned int nb_ppi);
/* PPIs per frame from now on: 1 (checksum) or 3 (checksum, RSS hash value and type). */
void host_init_ppis(unsigned int nb_ppi);
/* Write one transfer-page packet of k 64-byte frames into queue q's host->guest ring. */
int host_produce(unsigned int q, unsigned int k);
/*
 * Read queue q's guest->host ring: receive acks give the sections back, each send is
 * counted and completed into the host->guest ring. Returns the frames the guest sent.
 */
int host_consume(unsigned int q);
/* Host-side counts, to check that the run did what it claims. */
struct host_counts {
	uint64_t produced;	/* frames written for the guest */
	uint64_t acked;		/* transfer-page packets the guest acked */
	uint64_t sent;		/* frames the guest sent */
	uint64_t sends;		/* VMBus send packets (a send may aggregate frames) */
	uint64_t bad;		/* anything malformed or unexpected */
};
void host_counts(struct host_counts *c);

#endif /* INSN_BENCH_H */
