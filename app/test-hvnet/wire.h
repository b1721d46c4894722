/* SPDX-License-Identifier: BSD-3-Clause */
/* Private declarations of the wire layer (host_wire.c, host_rss.c, host_gen.c). */
#ifndef HVNET_WIRE_H
#define HVNET_WIRE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "hv_wire.h"
#include "sim.h"

/* Largest frame the wire carries: 9216 bytes of jumbo payload plus Ethernet header and tags. */
#define WIRE_FRAME_MAX		(9216u + 18u)
#define WIRE_ETH_MIN		60u	/* shortest Ethernet frame without FCS */
#define WIRE_BACKLOG		1024u	/* frames held per NIC while the guest has no room */

enum wire_kind {
	WIRE_NONE,
	WIRE_LOOP,
	WIRE_PEER,
	WIRE_TAP,
	WIRE_PCAP,
};

/* Frames waiting for room in the guest, oldest first: fixed slots, no allocation per frame. */
struct wire_backlog {
	uint8_t *slots;		/* WIRE_BACKLOG slots of WIRE_FRAME_MAX bytes */
	uint32_t len[WIRE_BACKLOG];
	unsigned int head;	/* oldest frame */
	unsigned int count;
};

struct wire_gen;

/* Per-NIC wire state (nic->wire). */
struct wire_nic {
	enum wire_kind kind;
	unsigned int peer;	/* WIRE_PEER: index of the other NIC */
	int tap_fd;		/* WIRE_TAP, else -1 */
	char tap_name[16];
	FILE *pcap_in;		/* WIRE_PCAP: NULL once the file is exhausted */
	FILE *pcap_out;		/* WIRE_PCAP with an output file */
	bool pcap_swapped;	/* input file written in the other byte order */
	uint64_t pcap_frames;	/* frames read from the input file */
	struct wire_backlog backlog;
	uint64_t tx_wire;	/* frames the guest sent that went to this NIC's wire */
	uint64_t rx_wire;	/* frames from the wire the guest accepted */
	uint64_t drops;		/* frames the wire itself lost */
	struct wire_gen *gen;	/* traffic generator injecting into this NIC, or NULL */
	uint64_t sink_frames;	/* frames the guest sent while a rate run made the NIC a sink */
	uint64_t sink_bytes;
};

/* Generator counters, cumulative over the runs of one NIC's generator. */
struct wire_gen_counters {
	uint64_t sent;		/* offered to the host (taken, or dropped by filter or link) */
	uint64_t taken;		/* put into the guest's receive buffer */
	uint64_t missed;	/* rate: due while the guest had no room, never offered */
	uint64_t ok;
	uint64_t bad;
	uint64_t dup;
	uint64_t wrong_queue;
};

/*
 * Generated frame: Ethernet, IPv4, UDP, then the payload: magic (3 constant bytes and an id
 * byte naming the NIC and run), u32 sequence number, u16 frame length (all big-endian),
 * then pattern bytes that depend on the sequence number and the offset only.
 */
/*
 * Generated frames sent but not yet seen back. Below the smallest receive queue a DPDK
 * application usually sets up (256 descriptors) so that a correct guest never drops one.
 */
#define GEN_WINDOW		128u

#define GEN_OFF_MAGIC		42u
#define GEN_OFF_ID		45u
#define GEN_OFF_SEQ		46u
#define GEN_OFF_LEN		50u
#define GEN_OFF_PATTERN		52u

/* host_gen.c */
/* Inject what the generator's window allows into nic; returns frames the guest accepted. */
unsigned int gen_poll(struct sim_nic *nic);
/* The checker: true when the frame is a generated one (it is then consumed, not forwarded). */
bool gen_check(struct sim *sim, unsigned int chan, const uint8_t *frame, uint32_t len);
/* Rate runs: when the next frame is due (ns), UINT64_MAX when only the guest can wake it. */
uint64_t gen_next_wake(const struct wire_gen *gen);
/* True while a rate run makes the NIC a sink: what its guest sends is counted, not forwarded. */
bool gen_sink(const struct wire_gen *gen);
/* The "rate" summary line of a NIC with a rate run (nothing for other NICs). */
void gen_rate_summary(const struct wire_gen *gen, const struct wire_nic *w);
void gen_get_counters(const struct wire_gen *gen, struct wire_gen_counters *c);
void gen_free(struct wire_gen *gen);

#endif /* HVNET_WIRE_H */
