/* SPDX-License-Identifier: BSD-3-Clause */
/* net_hvnet transmit: send-buffer aggregation, GPA-direct sends and completion reclaim. */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ip.h>
#include <rte_malloc.h>
#include <rte_memcpy.h>
#include <rte_memory.h>
#include <rte_net.h>
#include <rte_ring_elem.h>

#include "hvnet.h"

/* Bytes of a fresh section prefetched for writing: 8 minimum-size RNDIS packets. */
#define HVNET_TX_PREFETCH_BYTES	1024u
#define HVNET_TX_CHUNK		64u	/* packets per lock hold and per bulk mbuf free */
#define HVNET_TX_DRAIN_MS	2000u	/* hvnet_tx_drain's bound (or ctl_timeout if lower) */
#define HVNET_PPI_SIZE		(sizeof(struct hv_rndis_ppi) + sizeof(uint32_t))
/* RNDIS PACKET header with the most PPIs one frame gets: VLAN, then LSO or checksum. */
#define HVNET_TX_HDR_MAX	(sizeof(struct hv_rndis_packet) + 2 * HVNET_PPI_SIZE)
/* Room a block copy needs after a section's fill: a header, the blocks, a zero word. */
#define HVNET_TX_BLOCK_ROOM	(HVNET_TX_HDR_MAX + HVNET_COPY_BLOCK_MAX + sizeof(uint64_t))
#define HVNET_TX_MIN_ALIGN	4u	/* RNDIS messages are padded to at least 4 bytes */
#define HVNET_TX_FAST_MAX	UINT16_MAX	/* bound of txq->fast_max */

/* mbuf flags that make the RNDIS header carry a PPI. */
#define HVNET_TX_OL_PPI \
	(RTE_MBUF_F_TX_VLAN | RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_L4_MASK | \
	 RTE_MBUF_F_TX_TCP_SEG)
/* Offloads hvnet_xmit_prepare accepts at all (each further needs the queue's offload). */
#define HVNET_TX_OL_SUPPORTED \
	(HVNET_TX_OL_PPI | RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IPV6)

/* Header rooms are aligned to their size, so none crosses a 4 KiB page (GPA range 0). */
_Static_assert(HVNET_TX_HDR_MAX <= HVNET_RNDIS_PKT_ROOM, "RNDIS header room too small");
_Static_assert((HVNET_RNDIS_PKT_ROOM & (HVNET_RNDIS_PKT_ROOM - 1)) == 0 &&
	       HV_PAGE_SIZE % HVNET_RNDIS_PKT_ROOM == 0, "RNDIS header room must tile a page");
_Static_assert(HVNET_MAX_TX_PAGES <= 64, "GPA ranges beyond the bus limit");
_Static_assert(HVNET_MAX_QUEUES <= HVNET_XID_QUEUE_MASK + 1, "queue ids beyond the xid field");

/*
 * A data NVSP message as it goes out: at the 6.1 size like every other request (hosts ignore
 * shorter ones), the 16-byte message then zeroes, in one iovec (the bus copies each iovec
 * with a call of its own).
 */
struct hvnet_tx_msg {
	struct hv_nvsp_rndis_pkt pkt;
	uint8_t pad[HV_NVSP_MSG_SIZE_V61 - sizeof(struct hv_nvsp_rndis_pkt)];
};
_Static_assert(sizeof(struct hvnet_tx_msg) == HV_NVSP_MSG_SIZE_V61, "data message size");

/*
 * Epoch of the last queue set up, in the transaction ids of its sends: a completion the host
 * sends late for a queue since freed never matches a descriptor of a later queue.
 */
static uint32_t hvnet_tx_epoch;

/*
 * State of one burst chunk: free descriptors taken in bulk, mbufs to free in bulk (plain
 * ones of the chunk's first pool straight back to it, others through hvnet_tx_free()).
 */
struct hvnet_tx_burst {
	bool need_sig;
	uint32_t nstock;
	uint32_t nfree;
	uint32_t nput;
	struct rte_mempool *mp;
	uint32_t stock[HVNET_TX_CHUNK];
	struct rte_mbuf *free[HVNET_TX_CHUNK];
	struct rte_mbuf *put[HVNET_TX_CHUNK];
};

/* ---- statistics ------------------------------------------------------------------------ */

/* Size bin of hvnet_qstats: 64, 65-127, 128-255, 256-511, 512-1023, 1024-1518, >1518, <64. */
static inline unsigned int
hvnet_size_bin(uint32_t len)
{
	if (unlikely(len - RTE_ETHER_MIN_LEN > RTE_ETHER_MAX_LEN - RTE_ETHER_MIN_LEN))
		return len < RTE_ETHER_MIN_LEN ? 7 : 6;
	/*
	 * 64 -> 0, 65..127 -> 1, ..., 512..1023 -> 4, 1024..1518 -> 5: one bin per power of two
	 * above 64 (bit 6 is the highest bit of 64..127, so 64 itself is taken off).
	 */
	return 31 - __builtin_clz(len) - 5 - (len == RTE_ETHER_MIN_LEN);
}

/* The per-frame counters of a frame taken: its size bin, multicast or broadcast. */
static inline void
hvnet_tx_count_kind(struct hvnet_qstats *st, const struct rte_mbuf *m)
{
	st->size_bins[hvnet_size_bin(m->pkt_len)]++;
	if (likely(m->data_len >= RTE_ETHER_ADDR_LEN)) {
		const struct rte_ether_addr *da;

		da = rte_pktmbuf_mtod(m, const struct rte_ether_addr *);
		if (unlikely(rte_is_multicast_ether_addr(da))) {
			if (rte_is_broadcast_ether_addr(da))
				st->broadcast++;
			else
				st->multicast++;
		}
	}
}

/*
 * Count a frame handed to the host when it is taken, so that the counters are whole as soon
 * as the burst returns; a failed completion moves its frames from packets to errors.
 */
static inline void
hvnet_tx_count(struct hvnet_qstats *st, const struct rte_mbuf *m)
{
	st->packets++;
	st->bytes += m->pkt_len;
	hvnet_tx_count_kind(st, m);
}

/* ---- descriptors ----------------------------------------------------------------------- */

/* Move a descriptor to a state of its current generation (hvnet.h: who may, when). */
static inline void
hvnet_txd_set(struct hvnet_txd *txd, uint32_t state)
{
	__atomic_store_n(&txd->own, (uint32_t)txd->gen << 16 | state, __ATOMIC_RELEASE);
}

static inline uint32_t
hvnet_txd_state(const struct hvnet_txd *txd)
{
	return __atomic_load_n(&txd->own, __ATOMIC_ACQUIRE) & HVNET_TXD_STATE;
}

/* FREE -> STAGED: nothing of the descriptor's last use survives into this one. */
static inline void
hvnet_txd_take(struct hvnet_txd *txd)
{
	txd->mbuf = NULL;
	txd->chim_len = 0;
	txd->npkts = 0;
	txd->nbytes = 0;
	txd->status = HV_NVSP_STATUS_NONE;
	hvnet_txd_set(txd, HVNET_TXD_STAGED);
}

/* STAGED or DONE -> FREE: the frame reference is dropped with it (the caller freed it). */
static inline void
hvnet_txd_release(struct hvnet_txd *txd)
{
	txd->mbuf = NULL;
	hvnet_txd_set(txd, HVNET_TXD_FREE);
}

/* The host failed (or we could not send) frames counted as sent: they are errors instead. */
static inline void
hvnet_tx_uncount(struct hvnet_qstats *st, const struct hvnet_txd *txd, enum hvnet_tx_drop why)
{
	st->packets -= txd->npkts;
	st->bytes -= txd->nbytes;
	st->errors[why] += txd->npkts;
}

/*
 * Take back what the host completed (DONE -> FREE): free GPA-direct mbufs in bulk, return
 * indices to free_txd, or, when b is given with an empty stock, make them its stock (one
 * ring trip less for the descriptors the burst is about to take). Stops once max_pkts frames
 * are done; returns the frames done.
 */
static uint32_t
hvnet_tx_reclaim(struct hvnet_txq *txq, uint32_t max_pkts, struct hvnet_tx_burst *b)
{
	uint32_t spare[HVNET_TX_CHUNK], *idx, done = 0;
	struct rte_mbuf *mb[HVNET_TX_CHUNK];
	unsigned int n, i, nmb;

	do {
		idx = b != NULL && b->nstock == 0 ? b->stock : spare;
		n = hvnet_idxq_take(txq->done_txd, idx, HVNET_TX_CHUNK);
		nmb = 0;
		for (i = 0; i < n; i++) {
			struct hvnet_txd *txd = &txq->txd[idx[i]];

			/* The reader put it there after winning INFLIGHT -> DONE, once. */
			RTE_ASSERT(hvnet_txd_state(txd) == HVNET_TXD_DONE);
			if (unlikely(txd->status != HV_NVSP_STATUS_SUCCESS))
				hvnet_tx_uncount(&txq->stats, txd, HVNET_TX_HOST_FAILED);
			done += txd->npkts;
			if (txd->mbuf != NULL)
				mb[nmb++] = txd->mbuf;
			hvnet_txd_release(txd);
		}
		if (nmb != 0)
			rte_pktmbuf_free_bulk(mb, nmb);
		/* free_txd holds nb_desc: the indices always fit. */
		if (idx == spare)
			rte_ring_sp_enqueue_bulk_elem(txq->free_txd, idx, HVNET_TX_IDX_SIZE, n,
						      NULL);
		else
			b->nstock = n;
	} while (n == HVNET_TX_CHUNK && done < max_pkts);
	return done;
}

/*
 * A free descriptor from the chunk's stock (refilled in bulk, want = frames left to send),
 * taken: FREE -> STAGED.
 */
static struct hvnet_txd *
hvnet_txd_get(struct hvnet_txq *txq, struct hvnet_tx_burst *b, unsigned int want)
{
	struct hvnet_txd *txd;

	if (b->nstock == 0) {
		b->nstock = rte_ring_sc_dequeue_burst_elem(txq->free_txd, b->stock,
							   HVNET_TX_IDX_SIZE, want, NULL);
		if (b->nstock == 0)
			hvnet_tx_reclaim(txq, UINT32_MAX, b);
		if (b->nstock == 0)
			return NULL;
	}
	txd = &txq->txd[b->stock[--b->nstock]];
	hvnet_txd_take(txd);
	return txd;
}

/* STAGED -> FREE, back into the chunk's stock (returned to free_txd at the chunk's end). */
static inline void
hvnet_txd_unget(struct hvnet_tx_burst *b, struct hvnet_txd *txd)
{
	hvnet_txd_release(txd);
	b->stock[b->nstock++] = txd->idx;
}

/* The transaction id of a descriptor's next send: a new generation, never 0. */
static inline uint64_t
hvnet_tx_xid(const struct hvnet_txq *txq, struct hvnet_txd *txd)
{
	if (++txd->gen == 0)
		txd->gen = 1;
	return txq->xid_base | (uint32_t)txd->gen << 16 | txd->idx;
}

/*
 * STAGED -> INFLIGHT, right after the send was written to the ring and before the write is
 * published (every publish happens under the channel's tx lock, which the caller holds): the
 * host can complete only what it can see, and a completion that came earlier was refused.
 */
static inline void
hvnet_txd_sent(struct hvnet_txd *txd)
{
	hvnet_txd_set(txd, HVNET_TXD_INFLIGHT);
}

/* ---- RNDIS header ---------------------------------------------------------------------- */

static inline uint32_t
hvnet_ppi_put(uint8_t *p, uint32_t type, uint32_t val)
{
	const struct hv_rndis_ppi h = {
		.size = HVNET_PPI_SIZE, .type = type, .data_offset = sizeof(h),
	};

	memcpy(p, &h, sizeof(h));
	memcpy(p + sizeof(h), &val, sizeof(val));
	return HVNET_PPI_SIZE;
}

/* Offload flags of m the queue does not offer, or 0. */
static inline uint64_t
hvnet_tx_ol_missing(const struct hvnet_txq *txq, uint64_t ol)
{
	uint64_t l4 = ol & RTE_MBUF_F_TX_L4_MASK, want = txq->offloads, bad;

	bad = ol & RTE_MBUF_F_TX_OFFLOAD_MASK & ~HVNET_TX_OL_SUPPORTED;
	if ((ol & RTE_MBUF_F_TX_VLAN) && !(want & RTE_ETH_TX_OFFLOAD_VLAN_INSERT))
		bad |= RTE_MBUF_F_TX_VLAN;
	if ((ol & RTE_MBUF_F_TX_IP_CKSUM) && !(want & RTE_ETH_TX_OFFLOAD_IPV4_CKSUM))
		bad |= RTE_MBUF_F_TX_IP_CKSUM;
	if ((ol & RTE_MBUF_F_TX_TCP_SEG) && !(want & RTE_ETH_TX_OFFLOAD_TCP_TSO))
		bad |= RTE_MBUF_F_TX_TCP_SEG;
	if ((l4 == RTE_MBUF_F_TX_TCP_CKSUM && !(want & RTE_ETH_TX_OFFLOAD_TCP_CKSUM)) ||
	    (l4 == RTE_MBUF_F_TX_UDP_CKSUM && !(want & RTE_ETH_TX_OFFLOAD_UDP_CKSUM)) ||
	    l4 == RTE_MBUF_F_TX_SCTP_CKSUM)
		bad |= l4;
	return bad;
}

/* The offload flags of m that this queue honours (others are ignored, as the NIC would). */
static inline uint64_t
hvnet_tx_ol(const struct hvnet_txq *txq, const struct rte_mbuf *m)
{
	return m->ol_flags & ~hvnet_tx_ol_missing(txq, m->ol_flags);
}

/* Write the PPIs of m at p; returns their length. */
static uint32_t
hvnet_tx_ppis(const struct hvnet_txq *txq, const struct rte_mbuf *m, uint8_t *p)
{
	uint64_t ol = hvnet_tx_ol(txq, m), l4 = ol & RTE_MBUF_F_TX_L4_MASK;
	uint32_t thoff = (m->l2_len + m->l3_len) & HV_TXCSUM_THOFF_MASK;
	uint32_t len = 0, v;

	if (ol & RTE_MBUF_F_TX_VLAN) {
		uint16_t tci = m->vlan_tci;

		v = (RTE_VLAN_TCI_PRI(tci) & HV_VLAN_PRIO_MASK) |
		    (RTE_VLAN_TCI_DEI(tci) ? HV_VLAN_CFI : 0) |
		    (RTE_VLAN_TCI_ID(tci) & HV_VLAN_ID_MASK) << HV_VLAN_ID_SHIFT;
		len += hvnet_ppi_put(p + len, HV_PPI_VLAN, v);
	}
	if (ol & RTE_MBUF_F_TX_TCP_SEG) {
		/* LSO implies the checksums: no checksum PPI with it. */
		v = (m->tso_segsz & HV_LSO_MSS_MASK) | thoff << HV_LSO_THOFF_SHIFT |
		    HV_LSO_TYPE_V2 | ((ol & RTE_MBUF_F_TX_IPV6) ? HV_LSO_IPV6 : 0);
		len += hvnet_ppi_put(p + len, HV_PPI_LSO, v);
	} else if (ol & (RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_L4_MASK)) {
		v = 0;
		if (ol & RTE_MBUF_F_TX_IPV4)
			v |= HV_TXCSUM_IPV4 |
			     ((ol & RTE_MBUF_F_TX_IP_CKSUM) ? HV_TXCSUM_IP_HDR : 0);
		else if (ol & RTE_MBUF_F_TX_IPV6)
			v |= HV_TXCSUM_IPV6;
		if (l4 == RTE_MBUF_F_TX_TCP_CKSUM)
			v |= HV_TXCSUM_TCP | thoff << HV_TXCSUM_THOFF_SHIFT;
		else if (l4 == RTE_MBUF_F_TX_UDP_CKSUM)
			v |= HV_TXCSUM_UDP | thoff << HV_TXCSUM_THOFF_SHIFT;
		len += hvnet_ppi_put(p + len, HV_PPI_CHECKSUM, v);
	}
	return len;
}

/*
 * Write the RNDIS PACKET header of m at buf, for a message of the header, ppi_len bytes of
 * PPIs, the frame and pad bytes; returns the header length (where the frame goes). Field by
 * field in place (buf is 4-byte aligned: sections, agg_align and header rooms are multiples
 * of 4), which the compiler merges into a few wide stores; a copy of a header built on the
 * stack cost 8 instructions more per frame.
 */
static inline uint32_t
hvnet_tx_rndis(uint32_t frame_len, uint8_t *buf, uint32_t ppi_len, uint32_t pad)
{
	const uint32_t hlen = sizeof(struct hv_rndis_packet) + ppi_len;
	struct hv_rndis_packet *pkt = (struct hv_rndis_packet *)buf;

	pkt->type = HV_RNDIS_MSG_PACKET;
	pkt->length = hlen + frame_len + pad;
	pkt->data_offset = hlen - HV_RNDIS_OFFSET_BASE;
	pkt->data_length = frame_len;
	pkt->oob_offset = 0;
	pkt->oob_length = 0;
	pkt->num_oob = 0;
	pkt->ppi_offset = ppi_len ? sizeof(*pkt) - HV_RNDIS_OFFSET_BASE : 0;
	pkt->ppi_length = ppi_len;
	pkt->vc_handle = 0;
	pkt->reserved = 0;
	return hlen;
}

/* PPI bytes m needs (so the message length is known before anything is written). */
static inline uint32_t
hvnet_tx_ppi_len(const struct hvnet_txq *txq, const struct rte_mbuf *m)
{
	uint64_t ol;
	uint32_t n = 0;

	if (likely(!(m->ol_flags & HVNET_TX_OL_PPI)))
		return 0;
	ol = hvnet_tx_ol(txq, m);
	if (ol & RTE_MBUF_F_TX_VLAN)
		n += HVNET_PPI_SIZE;
	if (ol & (RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_L4_MASK))
		n += HVNET_PPI_SIZE;
	return n;
}

/*
 * Bytes m takes in a section: RNDIS header, PPIs, frame, padded to agg_align. Computed in
 * 64 bits and capped, so that no pkt_len wraps it below the room it needs.
 */
static inline uint32_t
hvnet_tx_msg_len(const struct hvnet_txq *txq, const struct rte_mbuf *m, uint32_t ppi_len)
{
	uint64_t len = sizeof(struct hv_rndis_packet) + (uint64_t)ppi_len + m->pkt_len;

	len = RTE_ALIGN_CEIL(len, (uint64_t)txq->agg_align);
	return (uint32_t)RTE_MIN(len, (uint64_t)UINT32_MAX);
}

/*
 * The bus refused a packet for a reason other than a full ring: a bug of ours, not the
 * host's doing. Logged as an error, rate-limited: it could repeat at packet rate.
 */
static void
hvnet_tx_send_failed(const struct hvnet_txq *txq, int rc)
{
	static uint64_t count;
	uint64_t n = hvnet_log_due(&count);

	if (n != 0)
		HVNET_LOG(ERR, "port %u txq %u: send refused by the bus: %s (%" PRIu64 " so far)",
			  txq->port_id, txq->queue_id, strerror(-rc), n);
}

/* ---- send-buffer aggregation ----------------------------------------------------------- */

/* Send the section being filled (NVSP 107 in-band). -EAGAIN: ring full, section kept. */
static int
hvnet_tx_flush(struct hvnet_txq *txq)
{
	struct hvnet_txd *txd = txq->agg;
	struct hvnet_tx_msg msg = {
		.pkt.type = HV_NVSP_MSG_RNDIS_PKT,
		.pkt.channel_type = HV_NVSP_RNDIS_CHAN_DATA,
	};
	struct iovec iov = { .iov_base = &msg, .iov_len = sizeof(msg) };
	uint32_t idx;
	int rc;

	if (txd == NULL)
		return 0;
	msg.pkt.section_index = txd->section;
	msg.pkt.section_size = txd->chim_len;
	rc = rte_hvbus_chan_send_inband(txq->chan, &iov, 1, hvnet_tx_xid(txq, txd), true, NULL);
	if (likely(rc == 0)) {
		hvnet_txd_sent(txd);
		txq->agg = NULL;
		return 0;
	}
	if (rc == -EAGAIN) {
		/* Still STAGED: the section waits for room in the ring. */
		txq->stats.ring_full++;
		return rc;
	}
	/* Not retryable (the bus refused the packet): the frames copied here are lost. */
	hvnet_tx_send_failed(txq, rc);
	hvnet_tx_uncount(&txq->stats, txd, HVNET_TX_SEND_FAILED);
	hvnet_txd_release(txd);
	idx = txd->idx;
	rte_ring_sp_enqueue_elem(txq->free_txd, &idx, HVNET_TX_IDX_SIZE);
	txq->agg = NULL;
	return 0;
}

/* Bytes the section being filled can still take (0 if, against its invariant, it is over). */
static inline uint32_t
hvnet_tx_room(const struct hvnet_txq *txq, const struct hvnet_txd *txd)
{
	return txd->chim_len < txq->agg_max_bytes ? txq->agg_max_bytes - txd->chim_len : 0;
}

/* Where section txd starts in the send buffer. */
static inline uint8_t *
hvnet_tx_section(const struct hvnet_txq *txq, const struct hvnet_txd *txd)
{
	return txq->sendbuf + (size_t)txd->section * txq->section_size;
}

/*
 * The host last read this section from another core: take its first lines for writing now,
 * while the frame's RNDIS header is built, instead of one ownership miss per line later.
 */
static inline void
hvnet_tx_prefetch_section(const struct hvnet_txq *txq, const struct hvnet_txd *txd)
{
	const uint8_t *sec = hvnet_tx_section(txq, txd);
	uint32_t span = RTE_MIN(txq->agg_max_bytes, HVNET_TX_PREFETCH_BYTES);
	uint32_t off;

	for (off = 0; off < span; off += RTE_CACHE_LINE_SIZE)
		__builtin_prefetch(sec + off, 1, 3);
}

/*
 * Whether m's frame can be copied in whole blocks (hvnet_copy_blocks): short, all in the first
 * segment (what any further one holds is beyond pkt_len: the general copy would not take it
 * either), with a block's worth of its buffer after its data. The section must also have room
 * for the header, the blocks and a zero word after them (block_end): the caller's test.
 */
static __rte_always_inline bool
hvnet_tx_blocks_fit(const struct rte_mbuf *m)
{
	return m->pkt_len <= HVNET_COPY_BLOCK_MAX && m->data_len == m->pkt_len &&
	       (uint32_t)m->buf_len >= m->data_off + HVNET_COPY_BLOCK_MAX;
}

/*
 * Write m's message (RNDIS header, ppi_len bytes of PPIs, the frame, zero padding up to
 * msg_len) at buf, in a section with room for msg_len; blocks_room: buf is below the
 * section's block_end. Returns the frame bytes written.
 */
static __rte_always_inline uint32_t
hvnet_tx_write(const struct hvnet_txq *txq, uint8_t *buf, const struct rte_mbuf *m,
	       uint32_t ppi_len, uint32_t msg_len, bool blocks_room)
{
	const uint64_t zero = 0;
	uint32_t hlen, off, left = m->pkt_len;

	/*
	 * RNDIS wants the alignment padding (and any shortfall) zeroed: the message's last word
	 * is zeroed first (msg_len > header size > 8), and what follows overwrites all but the
	 * padding; more than a word of it is cleared at the end.
	 */
	memcpy(buf + msg_len - sizeof(zero), &zero, sizeof(zero));
	hlen = hvnet_tx_rndis(left, buf, ppi_len,
			      msg_len - sizeof(struct hv_rndis_packet) - ppi_len - left);
	if (ppi_len != 0)
		hvnet_tx_ppis(txq, m, buf + sizeof(struct hv_rndis_packet));
	off = hlen;
	if (blocks_room && hvnet_tx_blocks_fit(m)) {
		/* The blocks wrote past the frame: the padding is cleared again after them. */
		hvnet_copy_blocks(buf + off, rte_pktmbuf_mtod(m, const uint8_t *), left);
		off += left;
		memcpy(buf + off, &zero, sizeof(zero));
		left = 0;
	}
	/* Bounded by pkt_len, which msg_len was sized for, whatever the segments claim. */
	for (; m != NULL && left != 0; m = m->next) {
		uint32_t len = RTE_MIN((uint32_t)m->data_len, left);

		rte_memcpy(buf + off, rte_pktmbuf_mtod(m, const void *), len);
		off += len;
		left -= len;
	}
	if (unlikely(msg_len - off > sizeof(zero)))
		memset(buf + off, 0, msg_len - off);
	return off - hlen;
}

/* Append m's message to section txd, which the caller checked has room for msg_len. */
static __rte_always_inline void
hvnet_tx_append(const struct hvnet_txq *txq, struct hvnet_txd *txd, const struct rte_mbuf *m,
		uint32_t ppi_len, uint32_t msg_len)
{
	uint8_t *buf = hvnet_tx_section(txq, txd) + txd->chim_len;

	txd->nbytes += hvnet_tx_write(txq, buf, m, ppi_len, msg_len,
				      txd->chim_len < txq->block_end);
	txd->chim_len += msg_len;
	txd->npkts++;
}

/*
 * Open a section for copies (a free descriptor taken, FREE -> STAGED), or NULL when no
 * descriptor is free (counted).
 */
static struct hvnet_txd *
hvnet_tx_open(struct hvnet_txq *txq, struct hvnet_tx_burst *b, unsigned int want)
{
	struct hvnet_txd *txd = hvnet_txd_get(txq, b, want);

	if (txd == NULL) {
		txq->stats.sendbuf_full++;
		return NULL;
	}
	txd->section = txq->first_section + txd->idx;
	txq->agg = txd;
	hvnet_tx_prefetch_section(txq, txd);
	return txd;
}

/*
 * Copy m into the section being filled, opening one when needed. msg_len is the message
 * padded to agg_align. 0, -EAGAIN (ring full) or -ENOBUFS (no free descriptor).
 */
static int
hvnet_tx_copy(struct hvnet_txq *txq, struct hvnet_tx_burst *b, const struct rte_mbuf *m,
	      uint32_t ppi_len, uint32_t msg_len, unsigned int want)
{
	struct hvnet_txd *txd = txq->agg;
	int rc;

	/* In a copied section, npkts is the RNDIS packets aggregated so far. */
	if (txd != NULL && (txd->npkts >= txq->agg_max_pkts ||
			    hvnet_tx_room(txq, txd) < msg_len)) {
		rc = hvnet_tx_flush(txq);
		if (rc != 0)
			return rc;
		txd = NULL;
	}
	if (txd == NULL) {
		txd = hvnet_tx_open(txq, b, want);
		if (txd == NULL)
			return -ENOBUFS;
	}
	/* The caller sized msg_len for a section (agg_max_bytes <= section_size). */
	if (unlikely(hvnet_tx_room(txq, txd) < msg_len))
		return -E2BIG;
	hvnet_tx_append(txq, txd, m, ppi_len, msg_len);
	return 0;
}

/*
 * The usual frame, copied without the general path's choices: no PPI, direct, one segment,
 * its only reference, from the chunk's first pool (it goes back to the pool as it is, in the
 * chunk's one put), not above fast_max (tx_copybreak, at most a section).
 */
static __rte_always_inline bool
hvnet_tx_plain(const struct rte_mbuf *m, const struct rte_mempool *mp, uint32_t fast_max)
{
	return !(m->ol_flags & (HVNET_TX_OL_PPI | RTE_MBUF_F_INDIRECT | RTE_MBUF_F_EXTERNAL)) &&
	       m->next == NULL && m->nb_segs == 1 && rte_mbuf_refcnt_read(m) == 1 &&
	       m->pool == mp && m->pkt_len <= fast_max;
}

/* Record the fill state a run kept in registers into its section's descriptor. */
static inline void
hvnet_tx_fill_save(struct hvnet_txd *txd, uint32_t chim_len, uint32_t npkts, uint32_t nbytes)
{
	txd->chim_len = chim_len;
	txd->npkts = npkts;
	txd->nbytes = nbytes;
}

/*
 * The usual burst: plain frames (hvnet_tx_plain) copied one after the other into the section
 * being filled, full sections sent and new ones opened on the way, the fill state in
 * registers meanwhile. Returns the frames taken, their bytes added to *bytes. Stops at the
 * first frame the general path (hvnet_tx_one) must decide, at a send the ring has no room for
 * (the general path retries and stops), or with *stop set when no descriptor is free
 * (counted).
 */
static __rte_noinline unsigned int
hvnet_tx_run(struct hvnet_txq *txq, struct hvnet_tx_burst *b, struct rte_mbuf **pkts,
	     unsigned int n, uint64_t *bytes, bool *stop)
{
	const uint32_t max_bytes = txq->agg_max_bytes, max_pkts = txq->agg_max_pkts;
	const uint32_t fast_max = txq->fast_max, align = txq->agg_align;
	const struct rte_mempool *mp = b->mp;
	struct hvnet_txd *txd = txq->agg;
	/* The section's bytes are sum - base: one addition per frame for both counts. */
	uint32_t chim = 0, npkts = 0, base = 0, nput = b->nput;
	uint8_t *sec = NULL;
	uint64_t sum = 0;
	unsigned int i;

	if (txd != NULL) {
		chim = txd->chim_len;
		npkts = txd->npkts;
		base = -txd->nbytes;
		sec = hvnet_tx_section(txq, txd);
	}
	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		uint32_t msg_len, len;

		if (!hvnet_tx_plain(m, mp, fast_max))
			break;
		/* No PPI, and the frame is short (fast_max): no overflow to guard against. */
		msg_len = RTE_ALIGN_CEIL((uint32_t)sizeof(struct hv_rndis_packet) + m->pkt_len,
					 align);
		if (txd != NULL && (npkts >= max_pkts || chim + msg_len > max_bytes)) {
			hvnet_tx_fill_save(txd, chim, npkts, (uint32_t)sum - base);
			if (hvnet_tx_flush(txq) != 0)
				break;
			txd = NULL;
		}
		if (txd == NULL) {
			/* A fresh section has max_bytes of room: never open one for nothing. */
			if (unlikely(msg_len > max_bytes))
				break;
			txd = hvnet_tx_open(txq, b, n - i);
			if (unlikely(txd == NULL)) {
				*stop = true;
				break;
			}
			chim = txd->chim_len;
			npkts = txd->npkts;
			base = (uint32_t)sum - txd->nbytes;
			sec = hvnet_tx_section(txq, txd);
		}
		len = hvnet_tx_write(txq, sec + chim, m, 0, msg_len, chim < txq->block_end);
		chim += msg_len;
		npkts++;
		sum += len;
		b->put[nput++] = m;
		hvnet_tx_count_kind(&txq->stats, m);
	}
	if (txd != NULL)
		hvnet_tx_fill_save(txd, chim, npkts, (uint32_t)sum - base);
	b->nput = nput;
	*bytes += sum;
	return i;
}

/* ---- GPA-direct ------------------------------------------------------------------------ */

/*
 * Ranges of the frame, split at 4 KiB page boundaries of each segment's IOVA, after range 0
 * (the RNDIS header). Returns the number of ranges, header included, or 0 when the frame
 * needs more than HVNET_MAX_TX_PAGES or a segment has no IOVA.
 */
static unsigned int
hvnet_tx_fill_gpa(const struct rte_mbuf *m, struct rte_hvbus_gpa *gpa)
{
	uint32_t left = m->pkt_len;
	unsigned int n = 1;

	for (; m != NULL && left != 0; m = m->next) {
		rte_iova_t iova = rte_pktmbuf_iova(m);
		uint32_t len = RTE_MIN((uint32_t)m->data_len, left);

		if (len != 0 && unlikely(m->buf_iova == RTE_BAD_IOVA))
			return 0;
		left -= len;
		while (len != 0) {
			uint32_t ofs = iova & (HV_PAGE_SIZE - 1);
			uint32_t chunk = RTE_MIN(len, HV_PAGE_SIZE - ofs);

			if (unlikely(n == HVNET_MAX_TX_PAGES))
				return 0;
			gpa[n].len = chunk;
			gpa[n].ofs = ofs;
			gpa[n].pfn = iova >> HV_PAGE_SHIFT;
			n++;
			iova += chunk;
			len -= chunk;
		}
	}
	return n;
}

/*
 * Send m GPA-direct from its own pages; the descriptor keeps m until the completion.
 * 0, -EAGAIN (ring full), -ENOBUFS (no descriptor) or another negative errno (m cannot be
 * sent this way).
 */
static int
hvnet_tx_gpa(struct hvnet_txq *txq, struct hvnet_tx_burst *b, struct rte_mbuf *m,
	     struct rte_hvbus_gpa *gpa, unsigned int ngpa, uint32_t ppi_len, unsigned int want)
{
	struct hvnet_tx_msg msg = {
		.pkt.type = HV_NVSP_MSG_RNDIS_PKT,
		.pkt.channel_type = HV_NVSP_RNDIS_CHAN_DATA,
		.pkt.section_index = HV_NVSP_NO_SECTION,
	};
	struct iovec iov = { .iov_base = &msg, .iov_len = sizeof(msg) };
	struct hvnet_txd *txd;
	uint32_t hlen;
	int rc;

	txd = hvnet_txd_get(txq, b, want);
	if (txd == NULL) {
		txq->stats.sendbuf_full++;
		return -ENOBUFS;
	}
	hlen = hvnet_tx_rndis(m->pkt_len, txd->rndis, ppi_len, 0);
	if (ppi_len != 0)
		hvnet_tx_ppis(txq, m, txd->rndis + sizeof(struct hv_rndis_packet));
	gpa[0].len = hlen;
	gpa[0].ofs = txd->rndis_iova & (HV_PAGE_SIZE - 1);
	gpa[0].pfn = txd->rndis_iova >> HV_PAGE_SHIFT;
	txd->mbuf = m;
	txd->npkts = 1;
	txd->nbytes = m->pkt_len;
	rc = rte_hvbus_chan_send_gpa(txq->chan, gpa, ngpa, &iov, 1, hvnet_tx_xid(txq, txd), NULL);
	if (likely(rc == 0)) {
		hvnet_txd_sent(txd);
		return 0;
	}
	hvnet_txd_unget(b, txd);
	if (rc == -EAGAIN)
		txq->stats.ring_full++;
	return rc;
}

/* ---- burst ----------------------------------------------------------------------------- */

/* A frame that can never be sent: count it and free it (the burst has taken it). */
static inline void
hvnet_tx_drop(struct hvnet_txq *txq, struct hvnet_tx_burst *b, struct rte_mbuf *m,
	      enum hvnet_tx_drop why, int rc)
{
	txq->stats.errors[why]++;
	HVNET_TX_LOG(DEBUG, "port %u txq %u: frame of %u bytes in %u segments dropped: %s",
		     txq->port_id, txq->queue_id, m->pkt_len, m->nb_segs, strerror(-rc));
	b->free[b->nfree++] = m;
}

/* Send one frame: 0 when taken (sent, copied or dropped), < 0 to stop the burst. */
static int
hvnet_tx_one(struct hvnet_txq *txq, struct hvnet_tx_burst *b, struct rte_mbuf *m,
	     unsigned int left)
{
	struct rte_hvbus_gpa gpa[HVNET_MAX_TX_PAGES];
	uint32_t ppi_len = hvnet_tx_ppi_len(txq, m);
	uint32_t msg_len = hvnet_tx_msg_len(txq, m, ppi_len);
	bool fits = msg_len <= txq->agg_max_bytes;
	unsigned int ngpa = 0;
	int rc;

	/* Large frames go GPA-direct unless they need too many ranges and fit a section. */
	if (txq->gpa_direct && (m->pkt_len > txq->tx_copybreak || !fits))
		ngpa = hvnet_tx_fill_gpa(m, gpa);
	if (ngpa == 0 && !fits) {
		hvnet_tx_drop(txq, b, m, HVNET_TX_OVERSIZE, -E2BIG);
		return 0;
	}
	if (ngpa == 0) {
		rc = hvnet_tx_copy(txq, b, m, ppi_len, msg_len, left);
		if (rc == -E2BIG) {
			hvnet_tx_drop(txq, b, m, HVNET_TX_OVERSIZE, rc);
			return 0;
		}
		if (rc != 0)
			return rc;
		b->free[b->nfree++] = m;
	} else {
		/* Frames copied before this one go first. */
		rc = hvnet_tx_flush(txq);
		if (rc != 0)
			return rc;
		rc = hvnet_tx_gpa(txq, b, m, gpa, ngpa, ppi_len, left);
		if (rc == -EAGAIN || rc == -ENOBUFS)
			return rc;
		if (rc != 0) {
			hvnet_tx_drop(txq, b, m, HVNET_TX_SEND_FAILED, rc);
			return 0;
		}
	}
	hvnet_tx_count(&txq->stats, m);
	return 0;
}

/*
 * Free the frames a chunk copied or dropped. The usual frame (direct, one segment, its only
 * reference, from the first one's pool) goes back to the pool as it is, all in one put; any
 * other through rte_pktmbuf_free().
 */
static void
hvnet_tx_free(struct rte_mbuf **m, unsigned int n)
{
	struct rte_mempool *mp = m[0]->pool;
	unsigned int i, nput = 0;

	for (i = 0; i < n; i++) {
		struct rte_mbuf *x = m[i];

		if (likely(x->pool == mp && x->next == NULL && x->nb_segs == 1 &&
			   RTE_MBUF_DIRECT(x) && rte_mbuf_refcnt_read(x) == 1))
			m[nput++] = x;	/* nput <= i: what is left of m[] is still to read */
		else
			rte_pktmbuf_free(x);
	}
	if (nput != 0)
		rte_mempool_put_bulk(mp, (void **)m, nput);
}

/* Up to HVNET_TX_CHUNK frames under one hold of the channel's tx lock; returns those taken. */
static unsigned int
hvnet_tx_chunk(struct hvnet_txq *txq, struct hvnet_tx_burst *b, struct rte_mbuf **pkts,
	       unsigned int n, bool last)
{
	uint64_t packets = 0, bytes = 0;
	unsigned int i = 0, run;
	bool stop = false;

	b->nfree = 0;
	b->nput = 0;
	b->mp = pkts[0]->pool;
	rte_spinlock_lock(&txq->lock->tx);
	/* Acks the reader left while a writer held the lock: they go out with this chunk. */
	hvnet_ack_box_send(txq->lock, txq->chan);
	for (;;) {
		/* The runs' packets and bytes are added once, after the loop. */
		run = hvnet_tx_run(txq, b, pkts + i, n - i, &bytes, &stop);
		packets += run;
		i += run;
		if (i == n || stop || hvnet_tx_one(txq, b, pkts[i], n - i) != 0)
			break;
		i++;
	}
	txq->stats.packets += packets;
	txq->stats.bytes += bytes;
	/*
	 * The partial section goes at the end of the burst. After a stop there is none, or its
	 * send just found the ring full: it waits for the next burst.
	 */
	if (i == n && last)
		hvnet_tx_flush(txq);
	/* Everything this chunk sent was staged: one write-index update for all of it. */
	rte_hvbus_chan_publish(txq->chan, &b->need_sig);
	hvnet_unlock(&txq->lock->tx);
	if (b->nstock != 0)
		rte_ring_sp_enqueue_bulk_elem(txq->free_txd, b->stock, HVNET_TX_IDX_SIZE,
					      b->nstock, NULL);
	b->nstock = 0;
	if (b->nput != 0)
		rte_mempool_put_bulk(b->mp, (void **)b->put, b->nput);
	if (b->nfree != 0)
		hvnet_tx_free(b->free, b->nfree);
	return i;
}

uint16_t
hvnet_xmit_pkts(void *queue, struct rte_mbuf **pkts, uint16_t n)
{
	struct hvnet_txq *txq = queue;
	uint64_t ring_full = txq->stats.ring_full;
	struct hvnet_tx_burst b;
	unsigned int sent = 0, chunk, done;
	int vf_sent;

	if (unlikely(txq->hv->rescinded))
		return 0;	/* the host took the device away: its rings are not ours */
	/* Also while the VF carries the queue: synthetic sends still complete, mbufs return. */
	b.nstock = 0;
	hvnet_tx_reclaim(txq, UINT32_MAX, &b);
	vf_sent = hvnet_vf_tx_burst(&txq->vf, txq->queue_id, pkts, n);
	if (vf_sent >= 0) {
		if (b.nstock != 0)
			rte_ring_sp_enqueue_bulk_elem(txq->free_txd, b.stock, HVNET_TX_IDX_SIZE,
						      b.nstock, NULL);
		return (uint16_t)vf_sent;
	}
	/*
	 * Nobody may be polling rx: read the completions ourselves when short of descriptors.
	 * Completions just reclaimed prove a reader at work: no count then.
	 */
	if (b.nstock == 0 && rte_ring_count(txq->free_txd) < n) {
		hvnet_chan_poll(txq->hv, txq->queue_id, false);
		hvnet_tx_reclaim(txq, UINT32_MAX, &b);
	}
	b.need_sig = false;
	while (sent < n) {
		chunk = RTE_MIN(n - sent, HVNET_TX_CHUNK);
		done = hvnet_tx_chunk(txq, &b, pkts + sent, chunk, sent + chunk == n);
		sent += done;
		if (done < chunk)
			break;
	}
	if (b.need_sig)
		rte_hvbus_chan_signal(txq->chan);
	/*
	 * A full ring may mean a host blocked on writing to ours (completions, received frames)
	 * while nobody polls rx: read it so that it goes on reading what we sent.
	 */
	if (unlikely(txq->stats.ring_full != ring_full))
		hvnet_chan_poll(txq->hv, txq->queue_id, false);
	return sent;
}

/* ---- prepare --------------------------------------------------------------------------- */

/* Ranges m needs GPA-direct (header included), or UINT32_MAX without IOVA. */
static uint32_t
hvnet_tx_pages(const struct rte_mbuf *m)
{
	uint32_t n = 1;

	for (; m != NULL; m = m->next) {
		if (m->data_len == 0)
			continue;
		if (m->buf_iova == RTE_BAD_IOVA)
			return UINT32_MAX;
		n += ((rte_pktmbuf_iova(m) & (HV_PAGE_SIZE - 1)) + m->data_len +
		      HV_PAGE_SIZE - 1) >> HV_PAGE_SHIFT;
	}
	return n;
}

/*
 * LSOv2 as NDIS defines it: pseudo-header checksums without the length, and the IP length
 * fields zero (the host fills them per segment). Headers are in the first segment.
 */
static void
hvnet_tx_lso_fix(struct rte_mbuf *m)
{
	if (m->ol_flags & RTE_MBUF_F_TX_IPV4) {
		struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *,
								   m->l2_len);

		ip->total_length = 0;
	} else {
		struct rte_ipv6_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv6_hdr *,
								   m->l2_len);

		ip->payload_len = 0;
	}
}

/*
 * What the host's LSOv2 takes: an MSS whose segments fit the MTU, TCP headers of 20 to 60
 * bytes, a payload within the size it offered (checked in 64 bits: pkt_len is host-sized).
 */
static int
hvnet_tx_lso_check(const struct hvnet_txq *txq, const struct rte_mbuf *m)
{
	uint64_t hdr = (uint64_t)m->l2_len + m->l3_len + m->l4_len;

	if (m->tso_segsz == 0 || m->l4_len < sizeof(struct rte_tcp_hdr) || m->l4_len > 60 ||
	    hdr - m->l2_len + m->tso_segsz > txq->hv->eth->data->mtu)
		return EINVAL;
	if (hdr > m->pkt_len || m->pkt_len - hdr > txq->hv->lso_max_size)
		return EMSGSIZE;
	return 0;
}

/* 0, or a positive errno for rte_errno: why m cannot be sent as it asks. */
static int
hvnet_tx_check(const struct hvnet_txq *txq, struct rte_mbuf *m)
{
	uint32_t ppi_len = hvnet_tx_ppi_len(txq, m);
	uint32_t msg_len = hvnet_tx_msg_len(txq, m, ppi_len);
	uint32_t max_len = txq->hv->eth->data->mtu + RTE_ETHER_HDR_LEN + RTE_VLAN_HLEN;
	uint64_t ol = m->ol_flags;
	int rc;

	if (m->pkt_len < RTE_ETHER_HDR_LEN)
		return EINVAL;
	if (!(ol & RTE_MBUF_F_TX_TCP_SEG) && m->pkt_len > max_len)
		return EMSGSIZE;
	if (hvnet_tx_ol_missing(txq, ol) != 0)
		return ENOTSUP;
	if (rte_validate_tx_offload(m) != 0)
		return EINVAL;
	/* The PPIs hold the L4 header offset in 10 bits (the 16-bit MSS always fits). */
	if ((ol & (RTE_MBUF_F_TX_L4_MASK | RTE_MBUF_F_TX_TCP_SEG)) &&
	    (uint32_t)m->l2_len + m->l3_len > HV_TXCSUM_THOFF_MASK)
		return EINVAL;
	if (ol & RTE_MBUF_F_TX_TCP_SEG) {
		rc = hvnet_tx_lso_check(txq, m);
		if (rc != 0)
			return rc;
	}
	/* Too many pages for GPA-direct is fine only if the frame can be copied instead. */
	if (msg_len > txq->agg_max_bytes &&
	    (!txq->gpa_direct || hvnet_tx_pages(m) > HVNET_MAX_TX_PAGES))
		return txq->gpa_direct ? EINVAL : EMSGSIZE;
	if (ol & (RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_L4_MASK | RTE_MBUF_F_TX_TCP_SEG)) {
		/* The checksum fields get the pseudo-header sum (NDIS); headers must be ours. */
		if (!RTE_MBUF_DIRECT(m) || rte_mbuf_refcnt_read(m) > 1)
			return EINVAL;
		rc = rte_net_intel_cksum_prepare(m);
		if (rc != 0)
			return -rc;
		if (ol & RTE_MBUF_F_TX_TCP_SEG)
			hvnet_tx_lso_fix(m);
	}
	return 0;
}

uint16_t
hvnet_xmit_prepare(void *queue, struct rte_mbuf **pkts, uint16_t n)
{
	struct hvnet_txq *txq = queue;
	uint16_t i;
	int rc;

	for (i = 0; i < n; i++) {
		rc = hvnet_tx_check(txq, pkts[i]);
		if (rc != 0) {
			HVNET_TX_LOG(DEBUG, "queue %u: packet %u refused: %s", txq->queue_id, i,
				     strerror(rc));
			txq->stats.prepare_rejected++;
			rte_errno = rc;
			break;
		}
	}
	return i;
}

/* ---- control path ---------------------------------------------------------------------- */

/* Descriptors the host still owns (a section being filled counts as in use). */
static inline uint32_t
hvnet_tx_busy(const struct hvnet_txq *txq)
{
	return txq->nb_desc - rte_ring_count(txq->free_txd) - hvnet_idxq_count(txq->done_txd);
}

int
hvnet_tx_done_cleanup(void *queue, uint32_t free_cnt)
{
	struct hvnet_txq *txq = queue;
	bool need_sig = false;

	if (txq->hv->rescinded)
		return 0;	/* nothing completes any more: close frees what the host held */
	/* Frames sitting in a section are only freed by sending them. */
	rte_spinlock_lock(&txq->lock->tx);
	hvnet_ack_box_send(txq->lock, txq->chan);
	hvnet_tx_flush(txq);
	rte_hvbus_chan_publish(txq->chan, &need_sig);
	rte_spinlock_unlock(&txq->lock->tx);
	if (need_sig)
		rte_hvbus_chan_signal(txq->chan);
	hvnet_chan_poll(txq->hv, txq->queue_id, false);
	return (int)RTE_MIN(hvnet_tx_reclaim(txq, free_cnt ? free_cnt : UINT32_MAX, NULL),
			    (uint32_t)INT32_MAX);
}

int
hvnet_tx_descriptor_status(void *queue, uint16_t offset)
{
	struct hvnet_txq *txq = queue;

	if (offset >= txq->nb_desc)
		return -EINVAL;
	/* A secondary process (dpdk-proc-info) has the queue but not the channel's mapping. */
	if (rte_eal_process_type() == RTE_PROC_PRIMARY)
		hvnet_chan_poll(txq->hv, txq->queue_id, false);
	/* Offset k from the next descriptor to fill is reusable iff more than k are free. */
	return offset < txq->nb_desc - hvnet_tx_busy(txq) ? RTE_ETH_TX_DESC_DONE :
							    RTE_ETH_TX_DESC_FULL;
}

void
hvnet_tx_drain(struct hvnet_dev *hv)
{
	struct rte_eth_dev_data *data = hv->eth->data;
	uint64_t limit_ms = RTE_MIN(hv->args.ctl_timeout_ms, HVNET_TX_DRAIN_MS);
	uint64_t deadline = rte_get_timer_cycles() + limit_ms * rte_get_timer_hz() / 1000;
	uint32_t busy;
	uint16_t q;

	if (hv->rescinded)
		return;	/* nothing completes any more: close frees what the host held */
	for (;;) {
		busy = 0;
		for (q = 0; q < data->nb_tx_queues; q++) {
			struct hvnet_txq *txq = data->tx_queues[q];

			if (txq == NULL)
				continue;
			hvnet_tx_done_cleanup(txq, 0);
			busy += hvnet_tx_busy(txq);
		}
		if (busy == 0 || rte_get_timer_cycles() > deadline)
			break;
		rte_delay_us_sleep(1000);
	}
	if (busy == 0)
		return;
	for (q = 0; q < data->nb_tx_queues; q++) {
		struct hvnet_txq *txq = data->tx_queues[q];

		if (txq != NULL && hvnet_tx_busy(txq) != 0)
			HVNET_LOG(WARNING, "port %u txq %u: %u of %u descriptors not completed by "
				  "the host after %" PRIu64 " ms", hv->port_id, q,
				  hvnet_tx_busy(txq), txq->nb_desc, limit_ms);
	}
}

/* ---- setup ----------------------------------------------------------------------------- */

/* Aggregation limits from RNDIS INITIALIZE_CMPLT, bounded by our section. */
static void
hvnet_txq_agg_init(struct hvnet_txq *txq, const struct hvnet_dev *hv)
{
	uint32_t align = hv->rndis_agg_align;

	/* The host's factor is untrusted: a bad one means no aggregation, not a wild pad. */
	txq->agg_align = HVNET_TX_MIN_ALIGN;
	txq->agg_max_pkts = RTE_MAX(hv->rndis_agg_pkts, 1u);
	if (rte_is_power_of_2(align) && align <= HV_PAGE_SIZE)
		txq->agg_align = RTE_MAX(align, HVNET_TX_MIN_ALIGN);
	else
		txq->agg_max_pkts = 1;
	txq->agg_max_bytes = txq->section_size;
	if (hv->rndis_agg_size != 0)
		txq->agg_max_bytes = RTE_MIN(txq->agg_max_bytes, hv->rndis_agg_size);
	/* Never more than a section takes: its message length then fits 32-bit arithmetic. */
	txq->fast_max = RTE_MIN(RTE_MIN(txq->tx_copybreak, txq->agg_max_bytes),
				(uint32_t)HVNET_TX_FAST_MAX);
}

/* Where the send buffer is, and this queue's default share of its sections. */
static void
hvnet_txq_sendbuf_init(struct hvnet_txq *txq, const struct hvnet_dev *hv, uint16_t qid)
{
	const struct rte_mem_resource *res = &hv->vdev->resource[HVBUS_MAP_SEND];
	uint32_t nq = RTE_MAX(hv->eth->data->nb_tx_queues, 1u);
	uint32_t share = hv->sendbuf_section_cnt / nq;

	txq->sendbuf = res->addr;
	txq->section_size = hv->sendbuf_section_size;
	txq->block_end = 0;
	txq->first_section = qid * share;
	if (txq->sendbuf == NULL || share == 0 ||
	    (uint64_t)hv->sendbuf_section_cnt * txq->section_size > res->len ||
	    txq->section_size < HVNET_TX_HDR_MAX + RTE_ETHER_MIN_LEN) {
		HVNET_INIT_LOG(NOTICE, "port %u txq %u: no send-buffer section, every frame goes "
			       "GPA-direct", hv->port_id, qid);
		txq->section_size = 0;
		return;
	}
	if (txq->section_size > HVNET_TX_BLOCK_ROOM)
		txq->block_end = txq->section_size - HVNET_TX_BLOCK_ROOM;
	/* Descriptor i owns section first_section + i: no more descriptors than sections. */
	if (txq->nb_desc > share) {
		HVNET_INIT_LOG(NOTICE, "port %u txq %u: %u descriptors capped to its %u "
			       "send-buffer sections", hv->port_id, qid, txq->nb_desc, share);
		txq->nb_desc = (uint16_t)share;
	}
}

static struct rte_ring *
hvnet_txq_ring(const struct hvnet_txq *txq, const char *what, int socket)
{
	char name[RTE_RING_NAMESIZE];

	snprintf(name, sizeof(name), "hvnet_%s_%u_%u", what, txq->port_id, txq->queue_id);
	return rte_ring_create_elem(name, HVNET_TX_IDX_SIZE, txq->nb_desc, socket,
				    RING_F_SP_ENQ | RING_F_SC_DEQ | RING_F_EXACT_SZ);
}

/* IOVA of one header room: per room, since the block need not be IOVA-contiguous. */
static rte_iova_t
hvnet_tx_iova(const void *p)
{
	const struct rte_memseg *ms = rte_mem_virt2memseg(p, NULL);

	if (ms == NULL || ms->iova == RTE_BAD_IOVA)
		return RTE_BAD_IOVA;
	return ms->iova + RTE_PTR_DIFF(p, ms->addr);
}

/* Descriptors, their header rooms (one block: txd[0].rndis) and the two index rings. */
static int
hvnet_txq_alloc(struct hvnet_txq *txq, int socket)
{
	uint8_t *rooms;
	uint32_t i;

	txq->txd = rte_zmalloc_socket("hvnet_txd", sizeof(*txq->txd) * txq->nb_desc,
				      RTE_CACHE_LINE_SIZE, socket);
	if (txq->txd == NULL)
		return -ENOMEM;
	rooms = rte_zmalloc_socket("hvnet_tx_rndis", (size_t)HVNET_RNDIS_PKT_ROOM * txq->nb_desc,
				   HVNET_RNDIS_PKT_ROOM, socket);
	if (rooms == NULL)
		return -ENOMEM;
	txq->free_txd = hvnet_txq_ring(txq, "txf", socket);
	txq->done_txd = hvnet_idxq_create(txq->nb_desc, socket);
	for (i = 0; i < txq->nb_desc; i++) {
		struct hvnet_txd *txd = &txq->txd[i];

		txd->idx = (uint16_t)i;
		txd->section = HV_NVSP_NO_SECTION;
		txd->rndis = rooms + (size_t)i * HVNET_RNDIS_PKT_ROOM;
		txd->rndis_iova = hvnet_tx_iova(txd->rndis);
		if (txd->rndis_iova == RTE_BAD_IOVA)
			return -EFAULT;
	}
	if (txq->free_txd == NULL || txq->done_txd == NULL)
		return -ENOMEM;
	for (i = 0; i < txq->nb_desc; i++)
		rte_ring_sp_enqueue_elem(txq->free_txd, &i, HVNET_TX_IDX_SIZE);
	return 0;
}

int
hvnet_txq_setup(struct hvnet_dev *hv, uint16_t qid, uint16_t nb_desc, int socket,
		uint64_t offloads, struct hvnet_txq **out)
{
	struct hvnet_txq *txq;
	uint32_t epoch;
	int rc;

	*out = NULL;
	if (qid >= hv->nb_chan || hv->chan[qid] == NULL) {
		HVNET_INIT_LOG(ERR, "port %u txq %u: channel not open (%u open)", hv->port_id,
			       qid, hv->nb_chan);
		return -EINVAL;
	}
	if (nb_desc == 0) {
		HVNET_INIT_LOG(ERR, "port %u txq %u: no descriptors", hv->port_id, qid);
		return -EINVAL;
	}
	txq = rte_zmalloc_socket("hvnet_txq", sizeof(*txq), RTE_CACHE_LINE_SIZE, socket);
	if (txq == NULL)
		return -ENOMEM;
	txq->hv = hv;
	txq->chan = hv->chan[qid];
	txq->lock = &hv->chan_lock[qid];
	txq->port_id = hv->port_id;
	txq->queue_id = qid;
	epoch = __atomic_add_fetch(&hvnet_tx_epoch, 1, __ATOMIC_RELAXED) & HVNET_XID_EPOCH_MASK;
	txq->xid_base = HVNET_XID_TX_TAG | (uint64_t)epoch << HVNET_XID_EPOCH_SHIFT |
			(uint64_t)qid << 32;
	txq->nb_desc = nb_desc;
	txq->offloads = offloads;
	/* In an isolated VM the host reads only shared memory: every frame is copied. */
	txq->gpa_direct = !hv->args.isolated;
	txq->tx_copybreak = txq->gpa_direct ? hv->args.tx_copybreak : UINT32_MAX;
	hvnet_txq_sendbuf_init(txq, hv, qid);
	hvnet_txq_agg_init(txq, hv);
	rc = hvnet_txq_alloc(txq, socket);
	if (rc != 0) {
		HVNET_INIT_LOG(ERR, "port %u txq %u: cannot set up %u descriptors on socket %d: "
			       "%s", hv->port_id, qid, nb_desc, socket, strerror(-rc));
		hvnet_txq_free(txq);
		return rc;
	}
	HVNET_INIT_LOG(DEBUG, "port %u txq %u: %u descriptors, sections %u.., aggregation %u "
		       "packets %u bytes align %u", hv->port_id, qid, txq->nb_desc,
		       txq->first_section, txq->agg_max_pkts, txq->agg_max_bytes, txq->agg_align);
	*out = txq;
	return 0;
}

/*
 * Free the frames of the descriptors the host gave back. While the channel is open, the host
 * may still read those it holds (header room, frame): they are left allocated for good.
 * Returns how many were left.
 */
static uint32_t
hvnet_txq_free_mbufs(struct hvnet_txq *txq)
{
	const struct hvnet_dev *hv = txq->hv;
	bool chan_open = !hv->rescinded && hv->chan[txq->queue_id] == txq->chan;
	uint32_t i, held = 0;

	for (i = 0; txq->txd != NULL && i < txq->nb_desc; i++) {
		struct hvnet_txd *txd = &txq->txd[i];

		if (hvnet_txd_state(txd) == HVNET_TXD_INFLIGHT && chan_open)
			held++;
		else
			rte_pktmbuf_free(txd->mbuf);
	}
	if (held != 0)
		HVNET_LOG(WARNING, "port %u txq %u: the host still holds %u descriptors on an open "
			  "channel: their frames and header rooms are leaked, not freed under it",
			  txq->port_id, txq->queue_id, held);
	return held;
}

void
hvnet_txq_free(struct hvnet_txq *txq)
{
	struct rte_eth_dev_data *data;

	if (txq == NULL)
		return;
	/* Completions find the queue under the channel's rx lock: unpublish it under that lock. */
	data = txq->hv->eth != NULL ? txq->hv->eth->data : NULL;
	rte_spinlock_lock(&txq->lock->rx);
	if (data != NULL && data->tx_queues != NULL && txq->queue_id < data->nb_tx_queues &&
	    data->tx_queues[txq->queue_id] == txq)
		data->tx_queues[txq->queue_id] = NULL;
	rte_spinlock_unlock(&txq->lock->rx);
	/* No completion reaches this queue any more: each descriptor's state is stable. */
	if (hvnet_txq_free_mbufs(txq) == 0 && txq->txd != NULL)
		rte_free(txq->txd[0].rndis);
	rte_ring_free(txq->free_txd);
	rte_free(txq->done_txd);
	rte_free(txq->txd);
	rte_free(txq);
}
