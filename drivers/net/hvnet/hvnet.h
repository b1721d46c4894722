/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * net_hvnet internals shared by its files: the device, queue and control-path state, and
 * the calls between the layers, which run one way (ethdev -> rndis -> nvs -> ctl/rx/tx ->
 * hvbus; within the channel layer, ctl and tx -> rx):
 *   hvnet_ethdev.c ethdev ops, probe/remove, link (with hvnet_rss.c, hvnet_stats.c,
 *                  hvnet_devargs.c: the ethdev layer by topic, hvnet_ethdev.h)
 *   hvnet_rndis.c  RNDIS control: init/halt, query/set OIDs, RSS, offloads, indications
 *   hvnet_nvs.c    NVSP: version walk, buffers, subchannels, data path switch, notifications
 *   hvnet_ctl.c    the control request slot: arm, wait, completion
 *   hvnet_rx.c     channel reader: receive burst, tx completions, acks; hands control
 *                  messages up through hvnet_dev.up; its checks of host data: hvnet_parse.h
 *   hvnet_tx.c     transmit burst: send-buffer aggregation, GPA-direct, completion reclaim
 * The picture, with which file owns which state and which thread touches it:
 * doc/guides/prog_guide/hvnet_layers.rst.
 *
 * Threads: queue q's rx burst and tx burst may run on different lcores, and the control path
 * (configure, link query, ...) runs on a third. All of them may need to read channel q's
 * host->guest ring (rx data, tx completions, control responses), so reading a channel is
 * serialised by chan_lock->rx (try-lock on the data path), and writing to it by
 * chan_lock->tx. A tx completion found by any reader is handed to its tx queue through a
 * single-producer ring (the producer is whoever holds the rx lock).
 */
#ifndef HVNET_H
#define HVNET_H

#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_log.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <rte_spinlock.h>
#include <rte_version.h>
#include <ethdev_driver.h>

#include "bus_hvbus_driver.h"
#include "hv_wire.h"
#include "hvnet_ctl_parse.h"
#include "hvnet_idxq.h"
#include "hvnet_parse.h"
#include "hvnet_vf.h"

extern int hvnet_logtype_init;
extern int hvnet_logtype_driver;
#define HVNET_LOG(level, fmt, ...) \
	rte_log(RTE_LOG_ ## level, hvnet_logtype_driver, "hvnet: %s(): " fmt "\n", __func__, \
		## __VA_ARGS__)
#define HVNET_INIT_LOG(level, fmt, ...) \
	rte_log(RTE_LOG_ ## level, hvnet_logtype_init, "hvnet: %s(): " fmt "\n", __func__, \
		## __VA_ARGS__)

/*
 * Data-path logs (bursts and the channel reader, at packet rate): compiled in only when built
 * with -DHVNET_DEBUG_RX / -DHVNET_DEBUG_TX, as virtio does with its RX/TX debug switches.
 * Otherwise they cost nothing but keep their format checked; every drop they would report is
 * counted by reason in the queue's xstats either way.
 */
#ifdef HVNET_DEBUG_RX
#define HVNET_DEBUG_RX_ON 1
#else
#define HVNET_DEBUG_RX_ON 0
#endif
#ifdef HVNET_DEBUG_TX
#define HVNET_DEBUG_TX_ON 1
#else
#define HVNET_DEBUG_TX_ON 0
#endif
#define HVNET_RX_LOG(level, fmt, ...) do { \
	if (HVNET_DEBUG_RX_ON) \
		HVNET_LOG(level, fmt, ## __VA_ARGS__); \
} while (0)
#define HVNET_TX_LOG(level, fmt, ...) do { \
	if (HVNET_DEBUG_TX_ON) \
		HVNET_LOG(level, fmt, ## __VA_ARGS__); \
} while (0)

/*
 * Rate limit of the few data-path logs that stay in: count an event in *count (any thread)
 * and return the count for the 1st, 2nd, 4th, 8th... event, else 0.
 */
static inline uint64_t
hvnet_log_due(uint64_t *count)
{
	uint64_t c = __atomic_add_fetch(count, 1, __ATOMIC_RELAXED);

	return (c & (c - 1)) == 0 ? c : 0;
}

#define HVNET_COPY_BLOCK	64u	/* bytes a short frame is copied by */
#define HVNET_COPY_BLOCK_MAX	(2 * HVNET_COPY_BLOCK)	/* longest (beyond: rte_memcpy) */

/*
 * Copy a frame of at most HVNET_COPY_BLOCK_MAX bytes in one or two whole blocks: up to a
 * block minus one byte more is read and written than the frame holds, which the caller made
 * sure both source and destination have. No call, no size dispatch (rx and tx fast paths).
 */
static __rte_always_inline void
hvnet_copy_blocks(uint8_t *dst, const uint8_t *src, uint32_t len)
{
	memcpy(dst, src, HVNET_COPY_BLOCK);
	if (len > HVNET_COPY_BLOCK)
		memcpy(dst + HVNET_COPY_BLOCK, src + HVNET_COPY_BLOCK, HVNET_COPY_BLOCK);
}

/*
 * Host messages the control layers refused, per port (xstats host_bad_<name>_msgs): NVSP
 * notifications and completions, RNDIS completions and indications. The host can send them
 * at will, so each is counted and logged rate-limited, never a log line per message.
 */
enum hvnet_host_bad {
	HVNET_BAD_NVSP,
	HVNET_BAD_RNDIS,
	HVNET_BAD_MAX
};

#define HVNET_HOST_LOG(hv, kind, fmt, ...) do { \
	uint64_t n_ = hvnet_log_due(&(hv)->host_bad[kind]); \
	if (n_ != 0) \
		HVNET_LOG(NOTICE, "port %u: " fmt " (%" PRIu64 " refused so far)", \
			  (hv)->port_id, ## __VA_ARGS__, n_); \
} while (0)

#define HVNET_MAX_QUEUES	64u	/* channels a host grants per NIC, primary included */
#define HVNET_RETA_SIZE		HV_NDIS_RSS_INDIRECTION_SIZE	/* 128 */
#define HVNET_RSS_KEY_SIZE	HV_NDIS_RSS_KEY_SIZE		/* 40 */
#define HVNET_MIN_MTU		RTE_ETHER_MIN_MTU
#define HVNET_MAX_MTU		9000u	/* NDIS_CONFIG limit of 9216 with the header */
#define HVNET_MAX_TX_PAGES	32u	/* GPA ranges of one packet (RNDIS header + frame) */
#define HVNET_RNDIS_PKT_ROOM	128u	/* RNDIS PACKET header + the PPIs we send */
#define HVNET_CTL_BUF_SIZE	4096u	/* one RNDIS control message: never crosses a page */

/* Device arguments (upstream net_netvsc names and defaults). */
#define HVNET_ARG_LATENCY	"latency"		/* us, default 50 */
#define HVNET_ARG_RX_COPYBREAK	"rx_copybreak"		/* bytes, default 256 */
#define HVNET_ARG_TX_COPYBREAK	"tx_copybreak"		/* bytes, default 512 */
#define HVNET_ARG_RX_EXTMBUF	"rx_extmbuf_enable"	/* 0/1, default 0 */
#define HVNET_ARG_RX_NT_COPY	"rx_nt_copy"		/* 0/1, ours, default 1 */
#define HVNET_ARG_NUMA_AWARE	"numa_aware"		/* 0/1, default 0 */
#define HVNET_ARG_CTL_TIMEOUT	"ctl_timeout"		/* ms, ours, default 60000 */
#define HVNET_ARG_VF		"vf"			/* 0/1: use the VF, default 1 */
#define HVNET_ARG_VF_WAIT	"vf_wait_ms"		/* ms, default 60000 */
#define HVNET_ARG_VF_DEVARGS	"vf_devargs"		/* for the VF's probe, [a=1,b=2] */
#define HVNET_VF_DEVARGS_MAX	256u

struct hvnet_devargs {
	uint32_t latency_us;
	uint32_t rx_copybreak;
	uint32_t tx_copybreak;
	bool rx_extmbuf;
	bool rx_nt_copy;
	bool numa_aware;
	uint32_t ctl_timeout_ms;
	bool vf_enable;
	uint32_t vf_wait_ms;
	char vf_devargs[HVNET_VF_DEVARGS_MAX];
	/*
	 * Not an argument: Hyper-V reports the VM as isolated (confidential), so that guest
	 * memory is private and the host reads only what is in the shared buffers. Then no
	 * GPA-direct send: RNDIS requests and frames go through the send buffer.
	 */
	bool isolated;
};

/* Transaction ids: control requests use fixed values; tx carriers encode queue and slot. */
#define HVNET_XID_NVS_CTL	0ull			/* NVSP control requests */
#define HVNET_XID_RNDIS_CTL	1ull			/* RNDIS control carriers */
#define HVNET_XID_TX_TAG	(1ull << 63)	/* | epoch << 40 | queue << 32 | gen << 16 | txd */
#define HVNET_XID_QUEUE_MASK	0xffull			/* after >> 32 */
#define HVNET_XID_EPOCH_SHIFT	40
#define HVNET_XID_EPOCH_MASK	((1u << (63 - HVNET_XID_EPOCH_SHIFT)) - 1)
#define HVNET_TX_IDX_SIZE	sizeof(uint32_t)	/* free_txd element: an index */

/* Why a transmit queue lost frames (tx_q<N>_<name>_errors, counted in frames; sum: oerrors). */
enum hvnet_tx_drop {
	HVNET_TX_OVERSIZE,		/* fits neither a send section nor the GPA-direct ranges */
	HVNET_TX_SEND_FAILED,		/* the bus refused the packet (not for a full ring) */
	HVNET_TX_HOST_FAILED,		/* the host's completion said failure or was malformed */
	HVNET_TX_DROP_MAX
};

/* Per-queue counters; each written by one thread only (the queue's burst, or its reader). */
struct hvnet_qstats {
	uint64_t packets;
	uint64_t bytes;
	uint64_t errors[HVNET_RX_DROP_MAX];	/* by enum hvnet_rx_drop or hvnet_tx_drop */
	uint64_t ring_full;		/* tx: ring had no room; rx: stash overflow or stop */
	uint64_t sendbuf_full;		/* tx: no free descriptor/section */
	uint64_t nombuf;		/* rx: mbuf allocation failed */
	uint64_t streamed;		/* rx: frames copied with non-temporal stores */
	uint64_t multicast;
	uint64_t broadcast;
	uint64_t size_bins[8];		/* 64, 65-127, 128-255, 256-511, 512-1023, 1024-1518, >1518, <64 */
	uint64_t prepare_rejected;	/* tx: packets tx_prepare refused (not sent, not errors) */
};

_Static_assert((int)HVNET_TX_DROP_MAX <= (int)HVNET_RX_DROP_MAX, "tx reasons beyond errors[]");

/* The frames a queue dropped, all reasons together (ethdev's ierrors/oerrors, q_errors). */
static inline uint64_t
hvnet_qstats_errors(const struct hvnet_qstats *st)
{
	uint64_t sum = 0;
	unsigned int i;

	for (i = 0; i < RTE_DIM(st->errors); i++)
		sum += st->errors[i];
	return sum;
}

/*
 * Unlock of the data path's spinlocks: a release store. x86's rte_spinlock_unlock() is an
 * exchange, which on x86 is a locked instruction; a release store is all an unlock needs on
 * any architecture (it orders the critical section before the lock's next acquire).
 */
static inline void
hvnet_unlock(rte_spinlock_t *sl)
{
	__atomic_store_n((int *)(uintptr_t)&sl->locked, 0, __ATOMIC_RELEASE);
}

#define HVNET_ACK_BOX	256u	/* receive acks handed from the reader to the writer */

/*
 * Locks of one channel, shared by the rx queue, the tx queue and the control path, each on a
 * cache line of its own (rx and tx of a queue may poll on different lcores); and the receive
 * acks the reader could not send because a writer held the tx lock. The next holder of the tx
 * lock sends those with its own packets (hvnet_ack_box_send()), so a tx lcore that keeps the
 * lock busy cannot starve the host of its receive sections. The box has one producer (the
 * rx-lock holder) and one consumer (the tx-lock holder); its indices only grow.
 */
struct hvnet_chan_lock {
	rte_spinlock_t rx __rte_cache_aligned;	/* reading the host->guest ring */
	rte_spinlock_t tx __rte_cache_aligned;	/* writing the guest->host ring */
	uint32_t box_tail;			/* acks sent: the tx-lock holder's */
	uint32_t box_head __rte_cache_aligned;	/* acks put: the rx-lock holder's */
	uint64_t box[HVNET_ACK_BOX];
} __rte_cache_aligned;

/* Cache line of a member: two members written by different lcores must differ in it. */
#define HVNET_LINE_OF(type, member)	(offsetof(type, member) / RTE_CACHE_LINE_SIZE)
_Static_assert(HVNET_LINE_OF(struct hvnet_chan_lock, rx) !=
	       HVNET_LINE_OF(struct hvnet_chan_lock, tx), "rx and tx locks share a line");
_Static_assert(HVNET_LINE_OF(struct hvnet_chan_lock, box_head) !=
	       HVNET_LINE_OF(struct hvnet_chan_lock, box_tail), "ack box ends share a line");
_Static_assert((HVNET_ACK_BOX & (HVNET_ACK_BOX - 1)) == 0, "ack box size a power of two");

/* A transfer-page packet being delivered: its ranges copied out of the ring. */
struct hvnet_rx_cur {
	uint64_t xid;
	uint32_t count;
	uint32_t next;
	struct hv_xfer_page_range range[HVNET_MAX_RX_RANGES];
};

struct hvnet_dev;

#define HVNET_RX_SPARE	32u	/* raw mbufs an rx queue takes from its pool at a time */

struct hvnet_rxq {
	/* Hot. */
	struct rte_hvbus_channel *chan;
	struct hvnet_chan_lock *lock;
	struct rte_mempool *mp;
	const uint8_t *rxbuf;			/* receive buffer (map 3) */
	uint32_t rxbuf_len;
	uint32_t rx_copybreak;			/* UINT32_MAX when external mbufs are off */
	uint32_t section_len;			/* receive section size the host announced */
	uint32_t max_frame;			/* MTU + Ethernet header + VLAN tag */
	uint32_t seg_room;			/* data room of one mbuf (after headroom) */
	uint32_t copy_max;			/* longest frame copied into one mbuf directly */
	uint32_t tag_have;			/* PPI bit that makes a frame take the long way */
	uint32_t block_max;			/* longest frame copied in whole blocks */
	uint32_t block_end;			/* and the last offset in rxbuf it may start at */
	uint32_t nt_min;			/* shortest frame streamed (UINT32_MAX: none) */
	uint32_t pf_len;			/* message bytes of the last frame: to prefetch */
	uint64_t mbuf_rearm;			/* data_off, refcnt, nb_segs, port of a new mbuf */
	uint64_t ol_base;			/* ol_flags of a new mbuf of the pool */
	/* What the frames of the cached layout (below) get: hvnet_rx_layout_fast(). */
	uint64_t layout_ol;			/* ol_base and the flags its PPIs always give */
	uint32_t layout_csum;			/* checksum bits its PPIs hold */
	uint32_t layout_copy_max;		/* copy_max, or 0 when it has a tag to put back */
	uint32_t nb_spare;			/* raw mbufs taken from mp, not used yet */
	struct rte_mbuf *spare[HVNET_RX_SPARE];
	bool scatter;				/* RTE_ETH_RX_OFFLOAD_SCATTER: chains allowed */
	uint16_t port_id;
	uint16_t queue_id;
	bool vlan_strip;
	bool ptypes;				/* classify frames (rte_eth_dev_set_ptypes) */
	struct rte_ring *stash;			/* frames read by other threads, delivered first */
	struct hvnet_rx_cur *cur;		/* packet in progress across bursts */
	struct hvnet_orphan_acks *orphan;	/* hv->orphan[queue_id]: acks read without us */
	uint64_t *pending_acks;			/* xids to complete, flushed once per burst */
	uint32_t nb_acks;
	uint32_t max_acks;
	struct hvnet_qstats stats;
	struct hvnet_rx_layout layout;		/* of the last good PACKET (hvnet_parse.h) */
	/* Cold. */
	struct hvnet_dev *hv;
	uint16_t nb_desc;
	bool started;				/* frames read without a burst may be parked */
	/* External mbufs: one shinfo per receive section, and the ack owed when all are freed. */
	struct hvnet_rx_ext *ext;
	uint32_t ext_outstanding;
	struct hvnet_vf_q vf;			/* the VF's queue of the same index */
} __rte_cache_aligned;

/*
 * Who owns a transmit descriptor: one word, own = generation << 16 | state, that only these
 * transitions change (a descriptor is always in exactly one of the states):
 *   FREE -> STAGED      the tx burst takes it (from free_txd); every per-use field is reset
 *   STAGED -> INFLIGHT  the tx burst wrote its send into the ring, before publishing the
 *                       write: only then can the host see it, so only then may it complete
 *   STAGED -> FREE      the send failed for good (or the descriptor was not needed)
 *   INFLIGHT -> DONE    the reader of the channel, by compare-and-swap on the generation the
 *                       completion names: the one transition two threads can race for, and
 *                       won at most once per send; then it goes into done_txd
 *   DONE -> FREE        the tx burst reclaims it (done_txd to free_txd)
 * A completion for a descriptor in any other state (a send still being staged or that failed,
 * one already completed, a stale generation) is refused and counted.
 */
#define HVNET_TXD_FREE		0u
#define HVNET_TXD_STAGED	1u
#define HVNET_TXD_INFLIGHT	2u
#define HVNET_TXD_DONE		3u
#define HVNET_TXD_STATE		0xffffu	/* mask of the state in own */

/* One transmit descriptor: owns send-buffer section 'section' for its whole life. */
struct hvnet_txd {
	struct rte_mbuf *mbuf;		/* GPA-direct frame, freed on completion; NULL for chimney */
	uint32_t section;		/* send-buffer section index (chimney), or HV_NVSP_NO_SECTION */
	uint32_t chim_len;		/* bytes aggregated in the section so far */
	uint32_t npkts;			/* frames the completion finishes (stats); RNDIS packets in a
					 * section being filled */
	uint32_t nbytes;		/* their bytes (stats) */
	uint32_t status;		/* NVSP status of the completion, set by the reader */
	uint32_t own;			/* gen << 16 | HVNET_TXD_* (see above) */
	uint16_t gen;			/* bumped per send: a stale completion id never matches */
	uint8_t *rndis;			/* header room for GPA-direct sends */
	rte_iova_t rndis_iova;
	uint16_t idx;
};

struct hvnet_txq {
	/* Hot, read-only: also read by the channel's reader (on any lcore) for completions. */
	struct rte_hvbus_channel *chan;
	struct hvnet_chan_lock *lock;
	uint8_t *sendbuf;			/* send buffer (map 4) */
	uint64_t xid_base;			/* HVNET_XID_TX_TAG | epoch << 40 | queue << 32 */
	struct hvnet_idxq *done_txd;		/* completed by whoever read the channel */
	struct hvnet_txd *txd;			/* nb_desc descriptors */
	uint16_t nb_desc;
	uint16_t port_id;
	uint16_t queue_id;
	/* Hot, the tx burst's alone: the reader never touches these lines. */
	struct hvnet_txd *agg __rte_cache_aligned;	/* section being filled, not yet sent */
	struct rte_ring *free_txd;		/* indices of free descriptors (SP/SC) */
	uint32_t section_size;
	uint32_t block_end;			/* sections filled below this take block copies */
	uint32_t tx_copybreak;			/* frames up to this are copied; all without GPA-direct */
	uint32_t fast_max;			/* longest frame the copy fast path takes */
	bool gpa_direct;			/* frames may be sent from their own pages */
	uint32_t agg_max_bytes;			/* host limits from RNDIS INITIALIZE_CMPLT */
	uint32_t agg_max_pkts;
	uint32_t agg_align;
	struct hvnet_qstats stats;
	/* Cold. */
	struct hvnet_dev *hv;
	uint32_t first_section;			/* this queue's sections: first .. first + nb_desc */
	uint64_t offloads;
	struct hvnet_vf_q vf;			/* the VF's queue of the same index */
} __rte_cache_aligned;

_Static_assert(HVNET_LINE_OF(struct hvnet_txq, queue_id) == 0 &&
	       HVNET_LINE_OF(struct hvnet_txq, agg) != 0, "completion reader's line apart");

/*
 * A control request in flight; matched by the reader of the primary channel. seq holds a
 * sequence (bumped by every arm and disarm) above a 2-bit state: the reader claims an
 * ARMED slot by compare-and-swap to FILLING, so a reply that comes after its request timed
 * out can never fill the slot of the next request.
 */
#define HVNET_CTL_IDLE		0u
#define HVNET_CTL_ARMED		1u
#define HVNET_CTL_FILLING	2u
#define HVNET_CTL_DONE		3u
#define HVNET_CTL_STATE		3u	/* mask of the state in seq */
#define HVNET_CTL_SEQ_ONE	4u	/* one step of the sequence */

struct hvnet_ctl_wait {
	uint32_t nvs_type;		/* NVSP completion type awaited, 0 = none */
	uint32_t rndis_rid;		/* RNDIS request id awaited, 0 = none */
	uint32_t seq;
	uint32_t len;
	uint8_t buf[HVNET_CTL_BUF_SIZE];
};

/* Receive acks owed on a channel read without an rx queue: sent by its next read. */
#define HVNET_ORPHAN_ACKS	64u
struct hvnet_orphan_acks {
	uint32_t nb;
	uint64_t xid[HVNET_ORPHAN_ACKS];
};

/*
 * What the channel reader (hvnet_rx.c) hands to the layers above it instead of calling them
 * by name: each layer sets its entry when it attaches. Called by whichever thread reads
 * channel q, under its rx lock; a NULL entry drops the message. Primary process only (the
 * pointers are that process's).
 */
struct hvnet_upcalls {
	/*
	 * NVSP control traffic: a completion without HVNET_XID_TX_TAG, or an in-band message,
	 * still in the host's ring (the NVSP layer copies it out once).
	 */
	void (*nvs_msg)(struct hvnet_dev *hv, unsigned int q, const struct rte_hvbus_pkt *pkt);
	/*
	 * An RNDIS message other than a data PACKET, read on the primary: a private copy of its
	 * range (up to HVNET_CTL_BUF_SIZE bytes), len bytes long.
	 */
	void (*rndis_msg)(struct hvnet_dev *hv, const void *msg, uint32_t len);
};

struct hvnet_dev {
	struct rte_hvbus_device *vdev;
	struct rte_eth_dev *eth;
	uint16_t port_id;
	int socket_id;
	struct hvnet_devargs args;

	/* Channels: [0] = primary; queue q uses channel q. */
	struct rte_hvbus_channel *chan[HVNET_MAX_QUEUES];
	struct hvnet_chan_lock *chan_lock;	/* HVNET_MAX_QUEUES entries */
	struct hvnet_upcalls up;
	unsigned int nb_chan;			/* open now, primary included */
	unsigned int max_chan;			/* from sysfs and the RSS capabilities */

	/* NVSP. */
	uint16_t port_mtu;			/* MTU of this NVS session (NDIS_CONFIG) */
	uint32_t nvs_ver;
	uint32_t ndis_ver;
	uint32_t rxbuf_section_size;
	uint32_t rxbuf_section_cnt;
	uint32_t sendbuf_section_size;
	uint32_t sendbuf_section_cnt;		/* for the tx queues (ctl_section excluded) */
	/* IOVA of each 4 KiB page of the receive buffer at rxbuf_iova_of (rx_extmbuf only). */
	rte_iova_t *rxbuf_iova;
	const uint8_t *rxbuf_iova_of;
	uint32_t ctl_section;			/* RNDIS requests' section, or HV_NVSP_NO_SECTION */
	bool vf_present;
	uint32_t vf_serial;
	struct hvnet_vf vf;			/* hvnet_vf.c */

	/* RNDIS. */
	uint32_t rndis_rid;
	uint32_t rndis_agg_size;
	uint32_t rndis_agg_pkts;
	uint32_t rndis_agg_align;
	uint8_t *ctl_buf;			/* HVNET_CTL_BUF_SIZE, page aligned: RNDIS requests */
	rte_iova_t ctl_buf_iova;
	struct hvnet_ctl_wait *wait;		/* the one control request in flight */
	/* Per channel, under its rx lock; forgotten when the receive buffer is revoked. */
	struct hvnet_orphan_acks orphan[HVNET_MAX_QUEUES];
	rte_spinlock_t ctl_lock;		/* one control request at a time */

	/* Link, as last indicated or queried. */
	volatile bool link_up;
	volatile uint32_t link_speed_mbps;
	volatile bool lsc_pending;		/* an indication arrived: raise LSC from an alarm */
	/* The host rescinded the device: bursts return 0, control requests -ENODEV. */
	volatile bool rescinded;
	uint64_t host_bad[HVNET_BAD_MAX];	/* HVNET_HOST_LOG, by enum hvnet_host_bad */

	/* Capabilities and configuration. */
	struct rte_ether_addr mac;
	uint16_t mtu;
	uint32_t rss_hash_caps;			/* RSS capabilities (HV_NDIS_RSS_CAP_*) */
	uint32_t rss_hash_info;			/* NDIS hash info in use */
	uint8_t rss_key[HVNET_RSS_KEY_SIZE];
	uint16_t reta[HVNET_RETA_SIZE];
	uint32_t packet_filter;
	uint64_t tx_offload_capa;
	uint64_t rx_offload_capa;
	uint32_t lso_max_size;			/* largest LSOv2 payload the host takes, 0 = none */
	bool ptypes_off;			/* the application wants no packet types */
	struct rte_ether_addr mc_addrs[32];
	uint32_t nb_mc_addrs;
};

/*
 * hvnet_ctl.c: the control request slot, hv->wait. One request at a time, with ctl_lock held
 * from the arm to the last read of hv->wait:
 *   hvnet_ctl_alloc()    before the first request (NVSP attach); hvnet_ctl_free() after the
 *                        last (NVSP detach).
 *   hvnet_ctl_arm()      before sending: the reply that fills the slot, an NVSP completion
 *                        type or an RNDIS request id (the other 0).
 *   hvnet_ctl_wait()     read the primary (hvnet_chan_poll) until the reply filled the slot,
 *                        then disarm it: 0 with the reply in hv->wait->buf and ->len,
 *                        -ETIMEDOUT after args.ctl_timeout_ms, -ENODEV once rescinded.
 *   hvnet_ctl_complete() the reader of the primary, under its rx lock: fill the slot if it is
 *                        armed for this reply; false when nothing awaits it (caller logs).
 * A reply that comes after its wait gave up never fills the slot of a later request.
 */
int hvnet_ctl_alloc(struct hvnet_dev *hv);
void hvnet_ctl_free(struct hvnet_dev *hv);
void hvnet_ctl_arm(struct hvnet_dev *hv, uint32_t nvs_type, uint32_t rndis_rid);
int hvnet_ctl_wait(struct hvnet_dev *hv, const char *what);
bool hvnet_ctl_complete(struct hvnet_dev *hv, uint32_t nvs_type, uint32_t rndis_rid,
			const void *data, uint32_t len);
/* When a control step started now must give up (args.ctl_timeout_ms), in timer cycles. */
uint64_t hvnet_ctl_deadline(const struct hvnet_dev *hv);

/* hvnet_nvs.c */
int hvnet_nvs_attach(struct hvnet_dev *hv, uint16_t mtu);
void hvnet_nvs_detach(struct hvnet_dev *hv);
int hvnet_nvs_alloc_subchannels(struct hvnet_dev *hv, uint32_t *count);
int hvnet_nvs_set_datapath(struct hvnet_dev *hv, uint32_t path);
/*
 * Send the RNDIS message in ctl_buf (len bytes) as a control carrier, with ctl_lock held and
 * the slot armed: GPA-direct from ctl_buf, or, in an isolated VM, copied into the send
 * section kept for it (ctl_section). xid HVNET_XID_RNDIS_CTL, or HVNET_XID_NVS_CTL for HALT,
 * whose carrier completion (type 108) is awaited through hv->wait before ctl_buf is freed.
 */
int hvnet_nvs_send_rndis_ctl(struct hvnet_dev *hv, uint32_t len, uint64_t xid);

/* hvnet_rndis.c */
int hvnet_rndis_attach(struct hvnet_dev *hv);
void hvnet_rndis_detach(struct hvnet_dev *hv);
int hvnet_rndis_query(struct hvnet_dev *hv, uint32_t oid, const void *in, uint32_t in_len,
		      void *out, uint32_t out_len, uint32_t *got);
int hvnet_rndis_set(struct hvnet_dev *hv, uint32_t oid, const void *data, uint32_t len);
int hvnet_rndis_get_mac(struct hvnet_dev *hv);
int hvnet_rndis_get_mtu(struct hvnet_dev *hv);
int hvnet_rndis_link_update(struct hvnet_dev *hv);
int hvnet_rndis_rss_caps(struct hvnet_dev *hv, unsigned int *max_queues);
int hvnet_rndis_set_rss(struct hvnet_dev *hv, unsigned int nb_queues);
int hvnet_rndis_set_filter(struct hvnet_dev *hv, uint32_t filter);
int hvnet_rndis_offload_setup(struct hvnet_dev *hv);

/* hvnet_rx.c */
int hvnet_rxq_setup(struct hvnet_dev *hv, uint16_t qid, uint16_t nb_desc, int socket,
		    struct rte_mempool *mp, uint64_t offloads, struct hvnet_rxq **out);
void hvnet_rxq_free(struct hvnet_rxq *rxq);
/* What the receive side keeps per device (the receive buffer's page IOVAs): at close. */
void hvnet_rx_dev_free(struct hvnet_dev *hv);
/*
 * The queue starts (before the host's filter lets frames in) or stops: a stopped queue gives
 * its spare and parked mbufs back to the pool, and what is read for it meanwhile is dropped.
 * Nothing may poll the queue meanwhile (its stash has one consumer). The stop fails with
 * -EBUSY, the mbufs still held, when a channel reader keeps the queue's lock (ctl_timeout).
 */
void hvnet_rxq_start(struct hvnet_rxq *rxq);
int hvnet_rxq_stop(struct hvnet_rxq *rxq);
uint16_t hvnet_recv_pkts(void *rxq, struct rte_mbuf **pkts, uint16_t n);
/*
 * Read channel q's ring as far as it goes now, delivering frames to the queue's stash
 * (control path and tx reclaim: no caller to hand them to). Takes the rx lock itself; with
 * wait = false it gives up when another thread holds it.
 */
unsigned int hvnet_chan_poll(struct hvnet_dev *hv, unsigned int q, bool wait);
/* With the channel's tx lock held: stage the acks in its box (the caller publishes). */
void hvnet_ack_box_flush(struct hvnet_chan_lock *lock, struct rte_hvbus_channel *chan);
/* Acks put in the box that no tx-lock holder has sent yet. */
static inline bool
hvnet_ack_box_empty(const struct hvnet_chan_lock *lock)
{
	return __atomic_load_n(&lock->box_head, __ATOMIC_RELAXED) ==
		__atomic_load_n(&lock->box_tail, __ATOMIC_RELAXED);
}

static inline void
hvnet_ack_box_send(struct hvnet_chan_lock *lock, struct rte_hvbus_channel *chan)
{
	if (unlikely(__atomic_load_n(&lock->box_head, __ATOMIC_RELAXED) != lock->box_tail))
		hvnet_ack_box_flush(lock, chan);
}
/* DPDK 25.11 made rx_queue_count return int (a negative errno on error), uint32_t before. */
#if RTE_VERSION >= RTE_VERSION_NUM(25, 11, 0, 0)
typedef int hvnet_rx_count_t;
#else
typedef uint32_t hvnet_rx_count_t;
#endif
hvnet_rx_count_t hvnet_rx_queue_count(void *rxq);
bool hvnet_rx_acks_owed(const struct hvnet_rxq *rxq);
int hvnet_rx_descriptor_status(void *rxq, uint16_t offset);

/* hvnet_tx.c */
int hvnet_txq_setup(struct hvnet_dev *hv, uint16_t qid, uint16_t nb_desc, int socket,
		    uint64_t offloads, struct hvnet_txq **out);
void hvnet_txq_free(struct hvnet_txq *txq);
uint16_t hvnet_xmit_pkts(void *txq, struct rte_mbuf **pkts, uint16_t n);
uint16_t hvnet_xmit_prepare(void *txq, struct rte_mbuf **pkts, uint16_t n);
int hvnet_tx_done_cleanup(void *txq, uint32_t free_cnt);
int hvnet_tx_descriptor_status(void *txq, uint16_t offset);
/* Wait (bounded) until every descriptor of every queue is back from the host. */
void hvnet_tx_drain(struct hvnet_dev *hv);

#endif /* HVNET_H */
