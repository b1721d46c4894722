/* SPDX-License-Identifier: BSD-3-Clause */
/* net_hvnet channel reader: receive burst, host completions, notifications, receive acks. */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>
#include <rte_memcpy.h>
#include <rte_memory.h>
#include <rte_net.h>
#include <rte_pause.h>
#include <rte_ring.h>
#include <rte_vect.h>

#include "hvnet.h"
#include "hvnet_ptype.h"

#define HVNET_RX_POLL_BUDGET	1024u	/* VMBus packets per read, even from a busy host */
/*
 * Transfer-page ranges one read walks at most: a host repeating ranges (562 per packet, each
 * as long as a section) cannot keep the reader, nor the lcore behind it, busy for longer.
 * The packet under way stays current and the next read goes on with it.
 */
#define HVNET_RX_RANGE_BUDGET	4096u
#define HVNET_RX_MIN_SEG_ROOM	64u	/* smallest mbuf data room accepted */
/*
 * rx_nt_copy: frames this long at least (without the FCS) are copied with their lines past
 * the first HVNET_RX_NT_HEAD streamed (hvnet_rx_copy_nt). io, 1514-byte frames, 1 queue:
 * about 30% fewer cycles per frame; shorter frames have fewer lines to gain on.
 */
#define HVNET_RX_NT_MIN		1024u
#define HVNET_RX_NT_HEAD	(2 * RTE_CACHE_LINE_SIZE)

_Static_assert(HVNET_PARSE_MIN_FRAME == RTE_ETHER_HDR_LEN, "shortest frame: a header");
/* The longest frame in the smallest segments never wraps nb_segs (a uint16_t). */
_Static_assert((HVNET_MAX_MTU + RTE_ETHER_HDR_LEN + 2 * RTE_VLAN_HLEN) / HVNET_RX_MIN_SEG_ROOM
	       + 1 < UINT16_MAX, "segments of the longest frame");

struct hvnet_rx_ext_pkt;

/*
 * External-mbuf state of one rx queue. A transfer-page packet with frames attached owns a
 * slot; the slot's shared info is referenced by each attached frame plus the reader while it
 * still walks the packet, so its free callback runs when nothing references the packet's
 * sections any more and the packet can be acked.
 */
struct hvnet_rx_ext {
	struct rte_ring *done;		/* slots whose last frame was freed (MP/SC) */
	const rte_iova_t *page_iova;	/* hv->rxbuf_iova: the device's, not owned */
	uint32_t max_len;		/* longest frame attached: it must fit a send section */
	uint32_t limit;			/* frames outstanding at most */
	uint32_t nb_free;
	struct hvnet_rx_ext_pkt *active;	/* slot of rxq->cur, NULL when nothing attached */
	uint32_t active_frames;		/* references the reader gave the active slot */
	struct hvnet_rx_ext_pkt **free;	/* stack of free slots */
	struct hvnet_rx_ext_pkt *slot;	/* 'limit' slots */
};

struct hvnet_rx_ext_pkt {
	struct rte_mbuf_ext_shared_info shinfo;
	struct hvnet_rx_ext *ext;
	uint64_t xid;
	uint32_t nb_attached;
};

/* One read of a channel: where the frames go and the mbufs taken for them. */
struct hvnet_rx_ctx {
	struct hvnet_rxq *rxq;
	struct rte_mbuf **pkts;		/* caller's burst, or NULL: deliver to the stash */
	uint16_t n;
	uint16_t nb;
	uint32_t ranges_left;		/* of HVNET_RX_RANGE_BUDGET */
	bool streamed;			/* a copy used non-temporal stores: fenced at the end */
};

/* pkts NULL: the frames go to the queue's stash, as many as it holds. */
static void
hvnet_rx_ctx_init(struct hvnet_rx_ctx *ctx, struct hvnet_rxq *rxq, struct rte_mbuf **pkts,
		  uint16_t n)
{
	ctx->rxq = rxq;
	ctx->pkts = pkts;
	/* The stash's room is checked per frame: here, only the ranges budget bounds a read. */
	ctx->n = pkts != NULL ? n : UINT16_MAX;
	ctx->nb = 0;
	ctx->ranges_left = HVNET_RX_RANGE_BUDGET;
	ctx->streamed = false;
}

/* Ranges the read may still walk: the caller's burst room, within its ranges' worth. */
static inline uint32_t
hvnet_rx_room(const struct hvnet_rx_ctx *ctx)
{
	return RTE_MIN(ctx->ranges_left, (uint32_t)(ctx->n - ctx->nb));
}

/* The read stops here: the caller's burst is full, or the read walked its ranges' worth. */
static bool
hvnet_rx_burst_full(const struct hvnet_rx_ctx *ctx)
{
	return ctx->nb >= ctx->n || ctx->ranges_left == 0;	/* hvnet_rx_room() == 0 */
}

static const struct hv_nvsp_rndis_pkt_complete hvnet_rx_ack_msg = {
	.type = HV_NVSP_MSG_RNDIS_PKT_COMPLETE,
	.status = HV_NVSP_STATUS_SUCCESS,
};

/* Stage n acks into the channel's ring; returns those staged (the rest: ring full). */
static uint32_t
hvnet_rx_send_acks(struct rte_hvbus_channel *chan, const uint64_t *xid, uint32_t n)
{
	uint32_t i;

	for (i = 0; i < n; i++)
		if (rte_hvbus_chan_send_completion(chan, &hvnet_rx_ack_msg,
						   sizeof(hvnet_rx_ack_msg), xid[i], NULL) != 0)
			break;
	return i;
}

void
hvnet_ack_box_flush(struct hvnet_chan_lock *lock, struct rte_hvbus_channel *chan)
{
	uint32_t head = __atomic_load_n(&lock->box_head, __ATOMIC_ACQUIRE);
	uint32_t tail = lock->box_tail;

	while (tail != head) {
		if (rte_hvbus_chan_send_completion(chan, &hvnet_rx_ack_msg,
						   sizeof(hvnet_rx_ack_msg),
						   lock->box[tail % HVNET_ACK_BOX], NULL) != 0)
			break;
		tail++;
	}
	/* The slots are the reader's again once this is seen. */
	__atomic_store_n(&lock->box_tail, tail, __ATOMIC_RELEASE);
}

/* A writer holds the tx lock: leave it the acks, as many as the box holds. */
static uint32_t
hvnet_ack_box_put(struct hvnet_chan_lock *lock, const uint64_t *xid, uint32_t n)
{
	uint32_t head = lock->box_head;
	uint32_t room = HVNET_ACK_BOX - (head - __atomic_load_n(&lock->box_tail,
							      __ATOMIC_ACQUIRE));
	uint32_t i;

	n = RTE_MIN(n, room);
	for (i = 0; i < n; i++)
		lock->box[(head + i) % HVNET_ACK_BOX] = xid[i];
	__atomic_store_n(&lock->box_head, head + n, __ATOMIC_RELEASE);
	return n;
}

/*
 * Send the collected acks, the box's first; what cannot be sent now stays for the next read.
 * When a writer holds the tx lock (never wait for it: it may be this thread, polling from
 * inside a send), they go to the box, for that writer to send with its own packets. A holder
 * may send nothing more (the control path, a tx lcore's last burst): a read that finds the
 * lock free sends what is still in the box, new acks or not.
 */
static void
hvnet_rx_flush_acks(struct hvnet_rxq *rxq)
{
	struct hvnet_chan_lock *lock = rxq->lock;
	bool need_sig = false;
	uint32_t i;

	if (rxq->nb_acks == 0 && hvnet_ack_box_empty(lock))
		return;
	if (!rte_spinlock_trylock(&lock->tx)) {
		i = hvnet_ack_box_put(lock, rxq->pending_acks, rxq->nb_acks);
	} else {
		hvnet_ack_box_send(lock, rxq->chan);
		/* Staged, then published once: one write-index update for the whole batch. */
		i = hvnet_rx_send_acks(rxq->chan, rxq->pending_acks, rxq->nb_acks);
		rte_hvbus_chan_publish(rxq->chan, &need_sig);
		hvnet_unlock(&lock->tx);
		if (need_sig)
			rte_hvbus_chan_signal(rxq->chan);
	}
	if (i != 0 && i < rxq->nb_acks)
		memmove(rxq->pending_acks, rxq->pending_acks + i,
			(rxq->nb_acks - i) * sizeof(rxq->pending_acks[0]));
	rxq->nb_acks -= i;
}

/* Room for one more ack, flushing if needed; false stops reading (never drop an ack). */
static bool
hvnet_rx_ack_room(struct hvnet_rxq *rxq)
{
	if (likely(rxq->nb_acks < rxq->max_acks))
		return true;
	hvnet_rx_flush_acks(rxq);
	return rxq->nb_acks < rxq->max_acks;
}

static void
hvnet_rx_ack(struct hvnet_rxq *rxq, uint64_t xid)
{
	rxq->pending_acks[rxq->nb_acks++] = xid;
}

/* Count a drop by its reason (only the reader, under the channel's rx lock, does). */
static inline void
hvnet_rx_drop(struct hvnet_rxq *rxq, enum hvnet_rx_drop why)
{
	rxq->stats.errors[why]++;
}

/* Take over the acks owed by reads of this channel before the queue existed. */
static void
hvnet_rx_adopt_orphans(struct hvnet_rxq *rxq)
{
	struct hvnet_orphan_acks *o = rxq->orphan;
	uint32_t n = RTE_MIN(o->nb, rxq->max_acks - rxq->nb_acks);

	o->nb -= n;
	memcpy(rxq->pending_acks + rxq->nb_acks, o->xid + o->nb, n * sizeof(o->xid[0]));
	rxq->nb_acks += n;
}

/* ---- external mbufs -------------------------------------------------------------------- */

/* Last frame of a packet freed, on whatever lcore freed it: hand the slot to the reader. */
static void
hvnet_rx_ext_free_cb(void *addr __rte_unused, void *opaque)
{
	struct hvnet_rx_ext_pkt *p = opaque;

	/* Cannot fail: the ring holds every slot. */
	rte_ring_mp_enqueue(p->ext->done, p);
}

static void
hvnet_rx_ext_recycle(struct hvnet_rxq *rxq, struct hvnet_rx_ext_pkt *p)
{
	struct hvnet_rx_ext *ext = rxq->ext;

	hvnet_rx_ack(rxq, p->xid);
	rxq->ext_outstanding -= p->nb_attached;
	ext->free[ext->nb_free++] = p;
}

/* Ack the packets whose frames the application has freed since the last read. */
static void
hvnet_rx_ext_reap(struct hvnet_rxq *rxq)
{
	void *p;

	while (hvnet_rx_ack_room(rxq) && rte_ring_sc_dequeue(rxq->ext->done, &p) == 0)
		hvnet_rx_ext_recycle(rxq, p);
}

/* Give the current packet a slot; 'frames' bounds how many of its frames may attach. */
static struct hvnet_rx_ext_pkt *
hvnet_rx_ext_start(struct hvnet_rxq *rxq, uint32_t frames)
{
	struct hvnet_rx_ext *ext = rxq->ext;
	struct hvnet_rx_ext_pkt *p;

	if (ext->nb_free == 0)
		return NULL;
	p = ext->free[--ext->nb_free];
	p->xid = rxq->cur->xid;
	p->nb_attached = 0;
	/* One reference per frame that may attach, one for the reader: no atomics per frame. */
	ext->active_frames = frames;
	rte_mbuf_ext_refcnt_set(&p->shinfo, (uint16_t)(frames + 1));
	ext->active = p;
	return p;
}

/*
 * The reader is done with the current packet: drop its own reference and those of the
 * frames that were copied instead. False when the packet is not attached anywhere.
 */
static __rte_always_inline bool
hvnet_rx_ext_finish(struct hvnet_rxq *rxq)
{
	struct hvnet_rx_ext *ext = rxq->ext;
	struct hvnet_rx_ext_pkt *p;
	int16_t unused;

	if (likely(ext == NULL) || ext->active == NULL)
		return false;
	p = ext->active;
	ext->active = NULL;
	unused = (int16_t)(ext->active_frames - p->nb_attached + 1);
	if (rte_mbuf_ext_refcnt_update(&p->shinfo, (int16_t)-unused) == 0)
		hvnet_rx_ext_recycle(rxq, p);
	return true;
}

/*
 * IOVA of a frame at off in the receive buffer, RTE_BAD_IOVA unless every page it spans is
 * known and follows the one before: an mbuf has one buf_iova, and a GPA-direct send takes
 * each page's number from it by adding (hvnet_tx_fill_gpa).
 */
static __rte_always_inline rte_iova_t
hvnet_rx_ext_iova(const struct hvnet_rx_ext *ext, uint32_t off, uint32_t len)
{
	uint32_t pg = off >> HV_PAGE_SHIFT, last = (off + len - 1) >> HV_PAGE_SHIFT, i;
	rte_iova_t iova = ext->page_iova[pg];

	if (unlikely(iova == RTE_BAD_IOVA))
		return RTE_BAD_IOVA;
	for (i = pg + 1; i <= last; i++)
		if (ext->page_iova[i] != iova + (rte_iova_t)(i - pg) * HV_PAGE_SIZE)
			return RTE_BAD_IOVA;
	return iova + (off & (HV_PAGE_SIZE - 1));
}

/*
 * Attach a frame in the receive buffer to an mbuf; NULL: copy it instead. The headroom is the
 * frame's own RNDIS header, read already (hdr bytes before the frame, up to the usual mbuf
 * headroom): an application may prepend into it, as into a copied frame's; the bytes before
 * belong to another message, perhaps attached to another mbuf.
 */
static struct rte_mbuf *
hvnet_rx_ext_attach(struct hvnet_rxq *rxq, struct rte_mbuf *m, const uint8_t *frame,
		    uint32_t len, uint32_t hdr)
{
	struct hvnet_rx_ext *ext = rxq->ext;
	struct hvnet_rx_ext_pkt *p = ext->active;
	struct hvnet_rx_cur *cur = rxq->cur;
	const uint16_t room = (uint16_t)RTE_MIN(hdr, (uint32_t)RTE_PKTMBUF_HEADROOM);
	const uint8_t *buf = frame - room;

	if (rxq->ext_outstanding >= ext->limit || len > ext->max_len)
		return NULL;
	if (p == NULL) {
		/* Every frame of the packet, a bound: cur->next is not kept up while it is read. */
		p = hvnet_rx_ext_start(rxq, cur->count);
		if (p == NULL)
			return NULL;
	}
	p->nb_attached++;
	rxq->ext_outstanding++;
	/*
	 * With its IOVA, a frame sent on above tx_copybreak goes GPA-direct from here, bytes
	 * prepended included.
	 */
	rte_pktmbuf_attach_extbuf(m, (void *)(uintptr_t)buf,
				  hvnet_rx_ext_iova(ext, (uint32_t)(buf - rxq->rxbuf), len + room),
				  (uint16_t)(len + room), &p->shinfo);
	m->data_off = room;
	m->data_len = (uint16_t)len;
	m->pkt_len = len;
	return m;
}

static void
hvnet_rx_ext_free(struct hvnet_rx_ext *ext)
{
	if (ext == NULL)
		return;
	rte_ring_free(ext->done);
	rte_free(ext->free);
	rte_free(ext->slot);
	rte_free(ext);
}

/*
 * Longest frame attached: one without an IOVA (hvnet_rx_ext_iova) is sent on (hvnet_tx.c) by
 * copying it into a send section, with its RNDIS header and alignment; a longer one would be
 * dropped there. With its headroom it must fit an mbuf's 16-bit buf_len.
 */
static uint32_t
hvnet_rx_ext_max_len(const struct hvnet_dev *hv)
{
	uint32_t room = hv->sendbuf_section_size;
	uint32_t hdr = HVNET_RNDIS_PKT_ROOM + hv->rndis_agg_align;

	if (hv->rndis_agg_size != 0)
		room = RTE_MIN(room, hv->rndis_agg_size);
	return room > hdr ? RTE_MIN(room - hdr, (uint32_t)(UINT16_MAX - RTE_PKTMBUF_HEADROOM)) :
			    0;
}

/*
 * IOVA of each 4 KiB page of the receive buffer, as GPA-direct ranges give them to the host:
 * in IOVA-as-PA mode the guest-physical page under the uio mapping (the kernel's own pages,
 * found through /proc/self/pagemap, which needs CAP_SYS_ADMIN), faulted in first; RTE_BAD_IOVA
 * where it cannot be found, and such frames are copied on transmit as before. Once per device
 * (a lookup per page), kept until it closes: the queues share the buffer.
 */
static const rte_iova_t *
hvnet_rx_ext_page_iova(const struct hvnet_rxq *rxq, int socket)
{
	struct hvnet_dev *hv = rxq->hv;
	uint32_t i, n = (rxq->rxbuf_len + HV_PAGE_SIZE - 1) / HV_PAGE_SIZE, known = 0;
	rte_iova_t *tab;

	if (hv->rxbuf_iova != NULL && hv->rxbuf_iova_of == rxq->rxbuf)
		return hv->rxbuf_iova;
	tab = rte_malloc_socket("hvnet_rx_ext", n * sizeof(*tab), RTE_CACHE_LINE_SIZE, socket);
	if (tab == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		const volatile uint8_t *pg = rxq->rxbuf + (size_t)i * HV_PAGE_SIZE;

		(void)*pg;
		tab[i] = rte_mem_virt2iova((const void *)(uintptr_t)pg);
		known += tab[i] != RTE_BAD_IOVA;
	}
	if (known != n)
		HVNET_INIT_LOG(NOTICE, "port %u: IOVA of %u of the receive buffer's %u pages "
			       "unknown: frames attached there are copied when sent on",
			       rxq->port_id, n - known, n);
	/* Queues of an earlier buffer are gone: a new buffer means a new attach. */
	rte_free(hv->rxbuf_iova);
	hv->rxbuf_iova = tab;
	hv->rxbuf_iova_of = rxq->rxbuf;
	return tab;
}

void
hvnet_rx_dev_free(struct hvnet_dev *hv)
{
	rte_free(hv->rxbuf_iova);
	hv->rxbuf_iova = NULL;
	hv->rxbuf_iova_of = NULL;
}

static int
hvnet_rx_ext_alloc(struct hvnet_rxq *rxq, int socket)
{
	struct hvnet_dev *hv = rxq->hv;
	unsigned int nb_queues = RTE_MAX(hv->eth->data->nb_rx_queues, 1u);
	char name[RTE_RING_NAMESIZE];
	struct hvnet_rx_ext *ext;
	uint32_t i;

	ext = rte_zmalloc_socket("hvnet_rx_ext", sizeof(*ext), RTE_CACHE_LINE_SIZE, socket);
	if (ext == NULL)
		return -ENOMEM;
	/* Half of this queue's share of the sections: the host keeps the rest to fill. */
	ext->limit = RTE_MAX(hv->rxbuf_section_cnt / (2 * nb_queues), 1u);
	ext->max_len = hvnet_rx_ext_max_len(hv);
	ext->slot = rte_zmalloc_socket("hvnet_rx_ext", ext->limit * sizeof(ext->slot[0]),
				       RTE_CACHE_LINE_SIZE, socket);
	ext->free = rte_malloc_socket("hvnet_rx_ext", ext->limit * sizeof(ext->free[0]), 0,
				      socket);
	/* Named after the state itself: a queue's old state may outlive it (see rxq_free). */
	snprintf(name, sizeof(name), "hvnet_ext_%" PRIxPTR, (uintptr_t)ext);
	ext->done = rte_ring_create(name, ext->limit, socket, RING_F_SC_DEQ | RING_F_EXACT_SZ);
	if (ext->slot != NULL && ext->free != NULL && ext->done != NULL)
		ext->page_iova = hvnet_rx_ext_page_iova(rxq, socket);
	if (ext->page_iova == NULL) {
		hvnet_rx_ext_free(ext);
		return -ENOMEM;
	}
	for (i = 0; i < ext->limit; i++) {
		ext->slot[i].ext = ext;
		ext->slot[i].shinfo.free_cb = hvnet_rx_ext_free_cb;
		ext->slot[i].shinfo.fcb_opaque = &ext->slot[i];
		ext->free[i] = &ext->slot[ext->limit - 1 - i];
	}
	ext->nb_free = ext->limit;
	rxq->ext = ext;
	return 0;
}

/* ---- frames ---------------------------------------------------------------------------- */

/*
 * Refill the queue's spare mbufs and take one. The pool is asked once per HVNET_RX_SPARE
 * frames, whatever the bursts' sizes: what a burst does not use stays for the next one (and
 * goes back to the pool with the queue). The mbufs are raw, as the pool keeps them (refcnt 1,
 * one segment, no next): whoever takes one sets the rest (hvnet_rx_mbuf_rearm, or
 * rte_pktmbuf_reset on the long way).
 */
static __rte_noinline struct rte_mbuf *
hvnet_rx_mbuf_refill(struct hvnet_rxq *rxq)
{
	struct rte_mempool_cache *c = rte_mempool_default_cache(rxq->mp, rte_lcore_id());

	/*
	 * A whole batch in this lcore's cache: one copy of its top pointers, as DPDK's vector
	 * rearms do, instead of rte_mempool_get_bulk()'s pointer-by-pointer reversed copy.
	 */
	if (c != NULL && c->len >= HVNET_RX_SPARE) {
		c->len -= HVNET_RX_SPARE;
		rte_memcpy(rxq->spare, &c->objs[c->len], sizeof(rxq->spare));
	} else if (rte_mempool_get_bulk(rxq->mp, (void **)rxq->spare, HVNET_RX_SPARE) != 0) {
		return rte_mbuf_raw_alloc(rxq->mp);	/* the pool runs low: one at a time */
	}
	rxq->nb_spare = HVNET_RX_SPARE - 1;
	return rxq->spare[HVNET_RX_SPARE - 1];
}

/* A raw mbuf from the queue's spares; NULL only when a refill found the pool empty. */
static __rte_always_inline struct rte_mbuf *
hvnet_rx_mbuf(struct hvnet_rxq *rxq)
{
	struct rte_mbuf *m;

	if (unlikely(rxq->nb_spare == 0))
		return hvnet_rx_mbuf_refill(rxq);
	m = rxq->spare[--rxq->nb_spare];
	/* Spares come from a bulk get that succeeded: the caller's NULL test goes. */
	if (m == NULL)
		__builtin_unreachable();
	return m;
}

/* A spare mbuf, reset as rte_pktmbuf_alloc gives it. */
static struct rte_mbuf *
hvnet_rx_mbuf_reset(struct hvnet_rxq *rxq)
{
	struct rte_mbuf *m = hvnet_rx_mbuf(rxq);

	if (m != NULL)
		rte_pktmbuf_reset(m);
	return m;
}

/* data_off, refcnt, nb_segs and port are one 8-byte word: the template is stored at once. */
_Static_assert(offsetof(struct rte_mbuf, refcnt) == offsetof(struct rte_mbuf, data_off) + 2 &&
	       offsetof(struct rte_mbuf, nb_segs) == offsetof(struct rte_mbuf, data_off) + 4 &&
	       offsetof(struct rte_mbuf, port) == offsetof(struct rte_mbuf, data_off) + 6,
	       "mbuf rearm word");

/*
 * A raw mbuf as rte_pktmbuf_reset leaves it, the port set, but for the fields every frame
 * sets anyway (ol_flags, lengths, packet type, vlan_tci): one store of the template.
 */
static __rte_always_inline void
hvnet_rx_mbuf_rearm(const struct hvnet_rxq *rxq, struct rte_mbuf *m)
{
	memcpy((uint8_t *)m + offsetof(struct rte_mbuf, data_off), &rxq->mbuf_rearm,
	       sizeof(rxq->mbuf_rearm));
	m->tx_offload = 0;
	m->vlan_tci_outer = 0;
}

/* Give the spare mbufs back to the pool (the queue goes away). */
static void
hvnet_rx_mbuf_release(struct hvnet_rxq *rxq)
{
	if (rxq->nb_spare != 0)
		rte_mempool_put_bulk(rxq->mp, (void **)rxq->spare, rxq->nb_spare);
	rxq->nb_spare = 0;
}

/* Copy a frame into an mbuf chain, segments as large as the pool's data room allows. */
static struct rte_mbuf *
hvnet_rx_copy(struct hvnet_rx_ctx *ctx, struct rte_mbuf *head, const uint8_t *frame,
	      uint32_t len)
{
	struct rte_mbuf *seg = head;
	uint32_t off = 0;
	uint16_t chunk;

	for (;;) {
		chunk = (uint16_t)RTE_MIN(len - off, (uint32_t)rte_pktmbuf_tailroom(seg));
		rte_memcpy(rte_pktmbuf_mtod(seg, void *), frame + off, chunk);
		seg->data_len = chunk;
		off += chunk;
		if (off == len)
			break;
		/* Frames are at most max_frame long: far fewer segments than nb_segs can count. */
		if (unlikely(head->nb_segs == UINT16_MAX))
			seg->next = NULL;
		else
			seg->next = hvnet_rx_mbuf_reset(ctx->rxq);
		if (seg->next == NULL) {
			rte_pktmbuf_free(head);
			return NULL;
		}
		seg = seg->next;
		head->nb_segs++;
	}
	head->pkt_len = len;
	return head;
}

/*
 * The mbuf flags of the checksum PPI's six result bits (the IP and L4 verdicts; the others
 * say nothing a receiver uses): a table looked up per frame instead of four tests.
 */
#define HVNET_RX_CSUM_BITS	0x3fu
_Static_assert((HV_RXCSUM_TCP_FAILED | HV_RXCSUM_UDP_FAILED | HV_RXCSUM_IP_FAILED |
		HV_RXCSUM_TCP_OK | HV_RXCSUM_UDP_OK | HV_RXCSUM_IP_OK) == HVNET_RX_CSUM_BITS,
	       "checksum PPI result bits");
#define HVNET_RX_CSUM_IP(c) (((c) & HV_RXCSUM_IP_OK) ? RTE_MBUF_F_RX_IP_CKSUM_GOOD : \
			     ((c) & HV_RXCSUM_IP_FAILED) ? RTE_MBUF_F_RX_IP_CKSUM_BAD : 0)
#define HVNET_RX_CSUM_L4(c) (((c) & (HV_RXCSUM_TCP_OK | HV_RXCSUM_UDP_OK)) ? \
			     RTE_MBUF_F_RX_L4_CKSUM_GOOD : \
			     ((c) & (HV_RXCSUM_TCP_FAILED | HV_RXCSUM_UDP_FAILED)) ? \
			     RTE_MBUF_F_RX_L4_CKSUM_BAD : 0)
#define HVNET_RX_CSUM1(c)	(HVNET_RX_CSUM_IP(c) | HVNET_RX_CSUM_L4(c))
#define HVNET_RX_CSUM4(c)	HVNET_RX_CSUM1(c), HVNET_RX_CSUM1((c) + 1), \
				HVNET_RX_CSUM1((c) + 2), HVNET_RX_CSUM1((c) + 3)
#define HVNET_RX_CSUM16(c)	HVNET_RX_CSUM4(c), HVNET_RX_CSUM4((c) + 4), \
				HVNET_RX_CSUM4((c) + 8), HVNET_RX_CSUM4((c) + 12)

static const uint64_t hvnet_rx_csum_table[HVNET_RX_CSUM_BITS + 1] = {
	HVNET_RX_CSUM16(0), HVNET_RX_CSUM16(16), HVNET_RX_CSUM16(32), HVNET_RX_CSUM16(48),
};

static inline uint64_t
hvnet_rx_csum_flags(uint32_t csum)
{
	return hvnet_rx_csum_table[csum & HVNET_RX_CSUM_BITS];
}

/* NDIS keeps priority in bits 0-2, CFI in bit 3 and the id above; 802.1Q the reverse. */
static uint16_t
hvnet_rx_vlan_tci(uint32_t ndis)
{
	return (uint16_t)RTE_VLAN_TCI_MAKE((ndis >> HV_VLAN_ID_SHIFT) & HV_VLAN_ID_MASK,
					   ndis & HV_VLAN_PRIO_MASK, (ndis & HV_VLAN_CFI) ? 1 : 0);
}

/*
 * Offload results from the PPIs, over the flags the mbuf has (ol_base: those of a new one),
 * and its packet type (when the application wants them): every field rte_pktmbuf_reset would
 * have cleared and the frame sets.
 */
static __rte_always_inline void
hvnet_rx_offloads(const struct hvnet_rxq *rxq, struct rte_mbuf *m, uint64_t ol_base,
		  const struct hvnet_rx_info *info)
{
	uint64_t flags = ol_base;
	uint16_t tci = 0;

	if (info->have & HVNET_RX_HAVE(HV_PPI_CHECKSUM))
		flags |= hvnet_rx_csum_flags(info->csum);
	if ((info->have & HVNET_RX_HAVE_HASH) == HVNET_RX_HAVE_HASH) {
		m->hash.rss = info->hash_value;
		flags |= RTE_MBUF_F_RX_RSS_HASH;
	}
	if (info->have & HVNET_RX_HAVE(HV_PPI_VLAN)) {
		tci = hvnet_rx_vlan_tci(info->vlan);
		flags |= RTE_MBUF_F_RX_VLAN | RTE_MBUF_F_RX_VLAN_STRIPPED;
	}
	m->ol_flags = flags;
	m->vlan_tci = tci;
	m->packet_type = likely(rxq->ptypes) ? hvnet_ptype(m) : RTE_PTYPE_UNKNOWN;
}

/*
 * What hvnet_rx_packet decides for a frame of the cached layout, worked out when it is learnt:
 * the flags its PPIs always give, whether it has checksum bits (a mask, so that the table
 * gives nothing for a value that is not one), and the longest frame it copies directly (none
 * when the layout has a tag to put back).
 */
static void
hvnet_rx_layout_fast(struct hvnet_rxq *rxq)
{
	uint32_t have = rxq->layout.have;
	uint64_t flags = rxq->ol_base;

	if ((have & HVNET_RX_HAVE_HASH) == HVNET_RX_HAVE_HASH)
		flags |= RTE_MBUF_F_RX_RSS_HASH;
	if (have & HVNET_RX_HAVE(HV_PPI_VLAN))
		flags |= RTE_MBUF_F_RX_VLAN | RTE_MBUF_F_RX_VLAN_STRIPPED;
	rxq->layout_ol = flags;
	rxq->layout_csum = (have & HVNET_RX_HAVE(HV_PPI_CHECKSUM)) ? HVNET_RX_CSUM_BITS : 0;
	rxq->layout_copy_max = (have & rxq->tag_have) != 0 ? 0 : rxq->copy_max;
}

/*
 * hvnet_rx_offloads for a frame of the cached layout (a new mbuf): the flags and the tests
 * the layout decides were worked out when it was learnt. Values of PPIs the layout lacks are
 * read from its header (hvnet_parse_rndis_cached): masked out, or unused without the flag.
 */
static __rte_always_inline void
hvnet_rx_offloads_cached(const struct hvnet_rxq *rxq, struct rte_mbuf *m, const uint8_t *data,
			 uint32_t len, const struct hvnet_rx_info *info)
{
	m->ol_flags = rxq->layout_ol | hvnet_rx_csum_table[info->csum & rxq->layout_csum];
	m->hash.rss = info->hash_value;
	m->vlan_tci = (info->have & HVNET_RX_HAVE(HV_PPI_VLAN)) ? hvnet_rx_vlan_tci(info->vlan) : 0;
	m->packet_type = likely(rxq->ptypes) ? hvnet_ptype_of(m, data, len) : RTE_PTYPE_UNKNOWN;
}

/* Offloads of a frame that took the long way; false when the frame must be dropped. */
static bool
hvnet_rx_meta(struct hvnet_rxq *rxq, struct rte_mbuf **mp, const struct hvnet_rx_info *info)
{
	struct rte_mbuf *m = *mp;

	hvnet_rx_offloads(rxq, m, m->ol_flags, info);
	/* The host always strips the tag: put it back when the application wants it. */
	if ((info->have & HVNET_RX_HAVE(HV_PPI_VLAN)) && !rxq->vlan_strip) {
		if (rte_vlan_insert(mp) != 0)
			return false;
		if (rxq->ptypes)
			(*mp)->packet_type = hvnet_ptype(*mp);
	}
	return true;
}

/*
 * Frames are counted when the application gets them, by its burst alone (packets once per
 * burst, hvnet_recv_pkts); the reader (under the rx lock, on any thread) counts only what it
 * drops: errors by reason, nombuf, ring_full.
 */
static __rte_always_inline void
hvnet_rx_count(struct hvnet_qstats *st, const struct rte_ether_addr *dst, uint32_t len)
{
	unsigned int bin;

	st->bytes += len;
	if (len < 64)
		bin = 7;
	else if (len == 64)
		bin = 0;
	else if (len > RTE_ETHER_MAX_LEN)
		bin = 6;
	else if (len >= 1024)
		bin = 5;
	else	/* 65-1023: 65-127 is bin 1, then one bin per power of two */
		bin = rte_log2_u32(len + 1) - 6;
	st->size_bins[bin]++;
	if (rte_is_multicast_ether_addr(dst)) {
		if (rte_is_broadcast_ether_addr(dst))
			st->broadcast++;
		else
			st->multicast++;
	}
}

static void
hvnet_rx_count_mbuf(struct hvnet_qstats *st, const struct rte_mbuf *m)
{
	hvnet_rx_count(st, rte_pktmbuf_mtod(m, const struct rte_ether_addr *), m->pkt_len);
}

/*
 * Whether a frame read without a burst can wait for one: not on a stopped queue (no burst
 * comes before the frame is stale, and a stopped port holds no mbuf), nor in a full stash.
 */
static bool
hvnet_rx_can_park(const struct hvnet_rxq *rxq)
{
	return __atomic_load_n(&rxq->started, __ATOMIC_RELAXED) && !rte_ring_full(rxq->stash);
}

/* Park a finished frame in the stash, for the queue's next burst to count and deliver. */
static __rte_noinline void
hvnet_rx_stash(struct hvnet_rx_ctx *ctx, struct rte_mbuf *m)
{
	if (!hvnet_rx_can_park(ctx->rxq) || rte_ring_sp_enqueue(ctx->rxq->stash, m) != 0) {
		ctx->rxq->stats.ring_full++;
		rte_pktmbuf_free(m);
	}
}

/*
 * Hand a finished frame (its first bytes at data, len bytes in all) to the caller's burst
 * (counted now, while it is hot), or stash it.
 */
static __rte_always_inline void
hvnet_rx_deliver(struct hvnet_rx_ctx *ctx, struct hvnet_rxq *rxq, struct rte_mbuf *m,
		 const void *data, uint32_t len)
{
	if (likely(ctx->pkts != NULL)) {
		hvnet_rx_count(&rxq->stats, data, len);
		ctx->pkts[ctx->nb++] = m;
	} else {
		hvnet_rx_stash(ctx, m);
	}
}

/* ---- RNDIS ----------------------------------------------------------------------------- */

/*
 * Whether a well-formed frame of len bytes can be delivered by this queue, before an mbuf is
 * spent on it: not when longer than one mbuf (with its tag put back) without scattered rx,
 * which the application did not ask for.
 */
static inline enum hvnet_rx_drop
hvnet_rx_frame_fits(const struct hvnet_rxq *rxq, uint32_t len, bool tag)
{
	if (!rxq->scatter && len + (tag ? RTE_VLAN_HLEN : 0) > rxq->seg_room)
		return HVNET_RX_NO_SCATTER;
	return HVNET_RX_OK;
}

/*
 * The long way for a frame of a checked RNDIS PACKET (len bytes at frame, hdr bytes of its
 * message before it, offloads in info): no rx queue yet, a frame longer than one mbuf or the
 * copy-break, a tag to put back.
 */
static __rte_noinline void
hvnet_rx_packet_slow(struct hvnet_rx_ctx *ctx, const uint8_t *frame, uint32_t len, uint32_t hdr,
		     struct hvnet_rx_info offl)
{
	const struct hvnet_rx_info *info = &offl;
	struct hvnet_rxq *rxq = ctx->rxq;
	struct rte_mbuf *m, *done;
	enum hvnet_rx_drop why;
	bool tag;

	if (rxq->mp == NULL)	/* a channel read before its rx queue exists */
		return;
	tag = !rxq->vlan_strip && (info->have & HVNET_RX_HAVE(HV_PPI_VLAN));
	why = hvnet_rx_frame_fits(rxq, len, tag);
	if (unlikely(why != HVNET_RX_OK)) {
		hvnet_rx_drop(rxq, why);
		return;
	}
	if (ctx->pkts == NULL && !hvnet_rx_can_park(rxq)) {
		rxq->stats.ring_full++;		/* no copy for a frame nobody can take */
		return;
	}
	m = hvnet_rx_mbuf_reset(rxq);
	if (unlikely(m == NULL)) {
		rxq->stats.nombuf++;
		return;
	}
	m->port = rxq->port_id;
	done = NULL;
	if (len > rxq->rx_copybreak && !tag)
		done = hvnet_rx_ext_attach(rxq, m, frame, len, hdr);
	if (done == NULL)
		done = hvnet_rx_copy(ctx, m, frame, len);
	if (unlikely(done == NULL)) {
		rxq->stats.nombuf++;
		return;
	}
	if (unlikely(!hvnet_rx_meta(rxq, &done, info))) {
		hvnet_rx_drop(rxq, HVNET_RX_VLAN_INSERT);
		rte_pktmbuf_free(done);
		return;
	}
	hvnet_rx_deliver(ctx, rxq, done, rte_pktmbuf_mtod(done, void *), done->pkt_len);
}

#ifdef RTE_ARCH_X86
/* One line of a streamed copy: through no cache on the way to dst, a line's start. */
static __rte_always_inline void
hvnet_stream_line(uint8_t *dst, const uint8_t *src)
{
	RTE_BUILD_BUG_ON(RTE_CACHE_LINE_SIZE != 64);
	__m128i a = _mm_loadu_si128((const __m128i *)src);
	__m128i b = _mm_loadu_si128((const __m128i *)(src + 16));
	__m128i c = _mm_loadu_si128((const __m128i *)(src + 32));
	__m128i d = _mm_loadu_si128((const __m128i *)(src + 48));

	_mm_stream_si128((__m128i *)dst, a);
	_mm_stream_si128((__m128i *)(dst + 16), b);
	_mm_stream_si128((__m128i *)(dst + 32), c);
	_mm_stream_si128((__m128i *)(dst + 48), d);
}
#endif

/*
 * Copy a long frame (at least HVNET_RX_NT_MIN bytes) into a new mbuf of the caller's burst:
 * its first lines, the headers an application reads, through the cache; its other whole
 * lines with non-temporal stores. A forwarded frame's mbuf was last read by the host core (a
 * GPA-direct send), so a normal store would first fetch each of its lines back from there;
 * streamed, the payload goes to memory, where a NIC's DMA would have left it. The read fences
 * before its frames leave (hvnet_rx_read). Copied normally: not x86, or a destination not at
 * a line's start (a pool whose private size is not a multiple of 64, a pinned buffer), where
 * each streamed line would straddle two.
 */
static __rte_always_inline void
hvnet_rx_copy_nt(struct hvnet_rx_ctx *ctx, uint8_t *dst, const uint8_t *src, uint32_t len)
{
#ifdef RTE_ARCH_X86
	const uint32_t end = len & ~(uint32_t)(RTE_CACHE_LINE_SIZE - 1);
	uint32_t i;

	if (likely(((uintptr_t)dst & (RTE_CACHE_LINE_SIZE - 1)) == 0)) {
		rte_memcpy(dst, src, HVNET_RX_NT_HEAD);
		for (i = HVNET_RX_NT_HEAD; i < end; i += RTE_CACHE_LINE_SIZE)
			hvnet_stream_line(dst + i, src + i);
		rte_memcpy(dst + end, src + end, len - end);
		ctx->streamed = true;
		ctx->rxq->stats.streamed++;
		return;
	}
#else
	RTE_SET_USED(ctx);
#endif
	rte_memcpy(dst, src, len);
}

/*
 * The frame of a checked RNDIS PACKET (len bytes at off in the message at msg, offloads in
 * info; cached: of the cached layout), of the current transfer-page packet: at most one frame
 * delivered. Short frames that fit one mbuf, the common case, are copied into a raw mbuf set
 * up by one store of the queue's template; anything else takes hvnet_rx_packet_slow.
 */
static __rte_always_inline void
hvnet_rx_packet(struct hvnet_rx_ctx *ctx, struct hvnet_rxq *rxq, const uint8_t *msg, uint32_t off,
		uint32_t len, const struct hvnet_rx_info *info, bool cached)
{
	/* The cached layout's tag test was made when it was learnt. */
	const bool slow = cached ? len > rxq->layout_copy_max :
				   len > rxq->copy_max || (info->have & rxq->tag_have) != 0;
	const uint8_t *frame = msg + off;
	struct rte_mbuf *m;
	uint8_t *dst;

	if (unlikely(slow)) {
		hvnet_rx_packet_slow(ctx, frame, len, off, *info);
		return;
	}
	m = hvnet_rx_mbuf(rxq);
	if (unlikely(m == NULL)) {
		rxq->stats.nombuf++;
		return;
	}
	hvnet_rx_mbuf_rearm(rxq, m);
	dst = rte_pktmbuf_mtod(m, uint8_t *);
	/* Its blocks end inside the receive buffer and inside the mbuf's data room. */
	if (likely(len <= rxq->block_max && (uint32_t)(frame - rxq->rxbuf) <= rxq->block_end))
		hvnet_copy_blocks(dst, frame, len);
	else if (len >= rxq->nt_min && ctx->pkts != NULL)
		hvnet_rx_copy_nt(ctx, dst, frame, len);
	else
		rte_memcpy(dst, frame, len);
	m->data_len = (uint16_t)len;
	m->pkt_len = len;
	if (cached)
		hvnet_rx_offloads_cached(rxq, m, dst, len, info);
	else
		hvnet_rx_offloads(rxq, m, rxq->ol_base, info);
	hvnet_rx_deliver(ctx, rxq, m, dst, len);
}

/* NVSP control traffic goes up to the layer that registered for it (hvnet.h). */
static void
hvnet_rx_upcall_nvs(struct hvnet_rxq *rxq, const struct rte_hvbus_pkt *pkt)
{
	struct hvnet_dev *hv = rxq->hv;

	if (hv->up.nvs_msg != NULL)
		hv->up.nvs_msg(hv, rxq->queue_id, pkt);
}

/*
 * A control message: given the whole range, which old hosts' indications need (their
 * length leaves the status buffer out), copied out of the receive buffer once: the RNDIS
 * layer decides everything on that copy, never on memory the host can still change. The
 * control wait slot is filled only by the reader of the primary, serialised by its rx lock:
 * completions elsewhere are not ours to take.
 */
static void
hvnet_rx_control(struct hvnet_rxq *rxq, const uint8_t *msg, uint32_t len)
{
	uint8_t copy[HVNET_CTL_BUF_SIZE];
	struct hv_rndis_hdr h;

	len = RTE_MIN(len, (uint32_t)sizeof(copy));
	memcpy(copy, msg, len);
	memcpy(&h, copy, sizeof(h));	/* len >= sizeof(h): hvnet_parse_range */
	if ((h.type & HV_RNDIS_MSG_CMPLT_BIT) && rxq->queue_id != 0) {
		hvnet_rx_drop(rxq, HVNET_RX_STRAY_CONTROL);
		HVNET_RX_LOG(DEBUG, "port %u channel %u: RNDIS completion 0x%x off the primary "
			     "ignored", rxq->port_id, rxq->queue_id, h.type);
		return;
	}
	if (rxq->hv->up.rndis_msg != NULL)
		rxq->hv->up.rndis_msg(rxq->hv, copy, len);
}

/*
 * An RNDIS message whose layout is not the cached one: copied out once, routed and parsed on
 * that copy. A good PACKET's layout becomes the cached one.
 */
static __rte_noinline void
hvnet_rx_rndis_full(struct hvnet_rx_ctx *ctx, const uint8_t *msg, uint32_t range_len)
{
	struct hvnet_rxq *rxq = ctx->rxq;
	struct hvnet_rx_info info = { 0 };
	struct hv_rndis_packet p;
	enum hvnet_rx_drop why;
	uint32_t off, len;

	hvnet_parse_rndis_head(msg, range_len, &p);
	if (p.type != HV_RNDIS_MSG_PACKET) {
		hvnet_rx_control(rxq, msg, range_len);
		return;
	}
	why = hvnet_parse_rndis_packet(&p, msg, range_len, rxq->max_frame, &off, &len, &info,
				       &rxq->layout);
	if (unlikely(why != HVNET_RX_OK)) {
		hvnet_rx_drop(rxq, why);
		HVNET_RX_LOG(DEBUG, "port %u rxq %u: RNDIS packet dropped (reason %d)",
			     rxq->port_id, rxq->queue_id, why);
		return;
	}
	hvnet_rx_layout_fast(rxq);
	hvnet_rx_packet(ctx, rxq, msg, off, len, &info, false);
}

static __rte_noinline void
hvnet_rx_bad_range(struct hvnet_rxq *rxq, const struct hv_xfer_page_range *r,
		   enum hvnet_rx_drop why)
{
	hvnet_rx_drop(rxq, why);
	HVNET_RX_LOG(DEBUG, "port %u rxq %u: range %u@%u outside the receive buffer or longer "
		     "than a section", rxq->port_id, rxq->queue_id, r->byte_count,
		     r->byte_offset);
}

/* Whether a range of a transfer-page packet is good; a bad one is counted. */
static __rte_always_inline bool
hvnet_rx_range_ok(struct hvnet_rxq *rxq, const struct hv_xfer_page_range *r)
{
	enum hvnet_rx_drop why = hvnet_parse_range(rxq->rxbuf_len, rxq->section_len, r);

	if (unlikely(why != HVNET_RX_OK)) {
		hvnet_rx_bad_range(rxq, r, why);
		return false;
	}
	return true;
}

/* A range the fast path did not take: all its checks, then the full parse. */
static __rte_noinline void
hvnet_rx_range_slow(struct hvnet_rx_ctx *ctx, const struct hv_xfer_page_range *r)
{
	struct hvnet_rxq *rxq = ctx->rxq;

	if (hvnet_rx_range_ok(rxq, r))
		hvnet_rx_rndis_full(ctx, rxq->rxbuf + r->byte_offset, r->byte_count);
}

/*
 * One range of a data transfer-page packet. Data frames come as PACKETs, laid out as the
 * previous one but for their lengths and PPI values: the range's bounds and one compare
 * with the cached layout check those. Anything else (bad ranges, other layouts,
 * completions, indications) takes the full checks, which count what they drop and send
 * what is not a PACKET to the control layer.
 */
static __rte_always_inline void
hvnet_rx_range(struct hvnet_rx_ctx *ctx, struct hvnet_rxq *rxq, const struct hv_xfer_page_range *r)
{
	struct hvnet_rx_info info;
	const uint8_t *msg;
	uint32_t off, len;

	if (likely(hvnet_parse_range_fast(rxq->rxbuf_len, rxq->section_len, r))) {
		msg = rxq->rxbuf + r->byte_offset;	/* inside the buffer: formed only now */
		if (likely(hvnet_parse_rndis_cached(&rxq->layout, msg, r->byte_count,
						    rxq->max_frame, &off, &len, &info))) {
			hvnet_rx_packet(ctx, rxq, msg, off, len, &info, true);
			return;
		}
	}
	hvnet_rx_range_slow(ctx, r);
}

/*
 * What hvnet_rx_prefetch takes of every message; the length from which it takes the rest too
 * (a small frame's message ending in its third line gains less than the call costs); how far
 * it goes (a standard frame; the hardware's stream prefetch carries a jumbo frame on).
 */
#define HVNET_RX_PF_HEAD	(2 * RTE_CACHE_LINE_SIZE)
#define HVNET_RX_PF_LONG	(3 * RTE_CACHE_LINE_SIZE)
#define HVNET_RX_PF_MAX		2048u

/* The lines of len bytes at off past the first two, within the range and the buffer. */
static __rte_noinline void
hvnet_rx_prefetch_rest(const uint8_t *rxbuf, uint32_t rxbuf_len,
		       const struct hv_xfer_page_range *r, uint32_t len)
{
	const uint32_t off = r->byte_offset;
	uint32_t i;

	if (off >= rxbuf_len)
		return;
	len = RTE_MIN(RTE_MIN(len, HVNET_RX_PF_MAX), RTE_MIN(r->byte_count, rxbuf_len - off));
	for (i = HVNET_RX_PF_HEAD; i < len; i += RTE_CACHE_LINE_SIZE)
		rte_prefetch0(rxbuf + off + i);
}

/*
 * Start loading a range's RNDIS header and the frame after it ahead of use: the host has just
 * written them from another core, and those misses dominate the receive path. Two lines hold
 * the header, its PPIs and most of a small frame. A longer frame's size is only in its RNDIS
 * header, itself still in flight (the host gives a data range and its message the whole
 * section's length), so pf_len, the message length of the last frame read, says how much
 * to load: frames of a stream mostly have the sizes of the ones before. Without it every line
 * of a full-size frame's copy misses (1514-byte frames, testpmd rxonly: 370 cycles per frame
 * against 190). Prefetching never faults, but an address is only formed inside the buffer:
 * the start at an offset below pf_max (its length less a line), the rest up to its end.
 */
static __rte_always_inline void
hvnet_rx_prefetch(const uint8_t *rxbuf, uint32_t pf_max, const struct hv_xfer_page_range *r,
		  uint32_t pf_len)
{
	/* A bad offset (dropped when its turn comes) prefetches the buffer's start instead. */
	const uint8_t *p = rxbuf + (r->byte_offset < pf_max ? r->byte_offset : 0);

	rte_prefetch0(p);
	rte_prefetch0(p + RTE_CACHE_LINE_SIZE);
	if (unlikely(pf_len > HVNET_RX_PF_LONG))
		hvnet_rx_prefetch_rest(rxbuf, pf_max + RTE_CACHE_LINE_SIZE, r, pf_len);
}

/*
 * What to prefetch of frames like m, just delivered (hvnet_rx_prefetch()'s pf_len): a frame
 * attached as an external buffer is not copied, so its head is all the driver reads; one
 * above rx_copybreak may still have been copied (attach limit, a tag to put back).
 */
static __rte_always_inline uint32_t
hvnet_rx_pf_len(const struct hvnet_rxq *rxq, const struct rte_mbuf *m)
{
	return RTE_MBUF_HAS_EXTBUF(m) ? 0 : rxq->layout.frame_off + m->pkt_len;
}

/*
 * Deliver the rest of the current packet and ack it; false when the caller's burst filled
 * first (or no ack can be recorded yet): the packet stays current for the next read, from
 * cur->next on. The packet's ranges and the buffer stay put while it is read: held in
 * locals, they need not be loaded again after each frame's stores, and where the reader is
 * is written back only when it stops.
 */
static bool
hvnet_rx_cur_drain(struct hvnet_rx_ctx *ctx)
{
	struct hvnet_rxq *rxq = ctx->rxq;
	struct hvnet_rx_cur *cur = rxq->cur;
	const uint8_t *rxbuf = rxq->rxbuf;
	const uint32_t pf_max = rxq->rxbuf_len - RTE_CACHE_LINE_SIZE;
	const struct hv_xfer_page_range *r = &cur->range[cur->next];
	const struct hv_xfer_page_range *last = &cur->range[cur->count];
	const struct hv_xfer_page_range *end;
	uint32_t pf_len = rxq->pf_len;

	/* Range r is read next anyway: only the one after it gains from a prefetch. */
	if (last - r > 1)
		hvnet_rx_prefetch(rxbuf, pf_max, r + 1, pf_len);
	while (r < last) {
		/* Each range delivers at most one frame: check the room once for a run of them. */
		end = r + RTE_MIN((uint32_t)(last - r), hvnet_rx_room(ctx));
		if (end == r) {
			cur->next = (uint32_t)(r - cur->range);
			rxq->pf_len = pf_len;
			return false;
		}
		ctx->ranges_left -= end - r;
		for (; r < end; r++) {
			if (last - r > 2)	/* no pointer past the array's end */
				hvnet_rx_prefetch(rxbuf, pf_max, r + 2, pf_len);
			hvnet_rx_range(ctx, rxq, r);
		}
		/* Once per run, not per frame. */
		if (ctx->pkts != NULL && ctx->nb != 0)
			pf_len = hvnet_rx_pf_len(rxq, ctx->pkts[ctx->nb - 1]);
	}
	rxq->pf_len = pf_len;
	cur->next = cur->count;
	if (!hvnet_rx_ack_room(rxq))
		return false;
	if (!hvnet_rx_ext_finish(rxq))
		hvnet_rx_ack(rxq, cur->xid);
	cur->count = 0;
	cur->next = 0;
	return true;
}

/* ---- channel packets ------------------------------------------------------------------- */

/* Log an id the host should not have sent: the first ones, then ever more rarely. */
static void
hvnet_txd_bad_id(const struct hvnet_dev *hv, unsigned int q, uint64_t xid, const char *why)
{
	static uint64_t count;
	uint64_t n = hvnet_log_due(&count);

	if (n != 0)
		HVNET_LOG(WARNING, "port %u channel %u: tx completion 0x%" PRIx64
			  " ignored (%s; %" PRIu64 " so far)", hv->port_id, q, xid, why, n);
}

/*
 * A completion with a tx xid read on channel q: hand the descriptor to its tx queue through
 * done_txd, of which the reader (under the channel's rx lock) is the one producer. The xid
 * must name queue q, as a host completing on another channel would make two producers of one
 * done ring, and a descriptor now in flight. False for a refused xid.
 */
static bool
hvnet_txd_complete(struct hvnet_dev *hv, unsigned int q, uint64_t xid, uint32_t status)
{
	struct rte_eth_dev_data *data = hv->eth->data;
	uint32_t lo = (uint32_t)xid, idx = lo & UINT16_MAX;
	uint64_t xq = (xid >> 32) & HVNET_XID_QUEUE_MASK;
	struct hvnet_txq *txq;
	struct hvnet_txd *txd;
	uint32_t expect;

	if (xq != q) {
		hvnet_txd_bad_id(hv, q, xid, "not this channel's queue");
		return false;
	}
	if (q >= data->nb_tx_queues || data->tx_queues == NULL || data->tx_queues[q] == NULL) {
		hvnet_txd_bad_id(hv, q, xid, "no such queue");
		return false;
	}
	txq = data->tx_queues[q];
	if ((xid ^ txq->xid_base) >> 32 != 0) {
		hvnet_txd_bad_id(hv, q, xid, "earlier queue");
		return false;
	}
	if (idx >= txq->nb_desc) {
		hvnet_txd_bad_id(hv, q, xid, "no such descriptor");
		return false;
	}
	txd = &txq->txd[idx];
	/* INFLIGHT -> DONE for the generation the id names, or nothing (hvnet.h). */
	expect = (lo & ~HVNET_TXD_STATE) | HVNET_TXD_INFLIGHT;
	if (!__atomic_compare_exchange_n(&txd->own, &expect,
					 (lo & ~HVNET_TXD_STATE) | HVNET_TXD_DONE, false,
					 __ATOMIC_ACQ_REL, __ATOMIC_RELAXED)) {
		hvnet_txd_bad_id(hv, q, xid, "descriptor not in flight");
		return false;
	}
	txd->status = status;
	if (unlikely(status != HV_NVSP_STATUS_SUCCESS))
		HVNET_TX_LOG(DEBUG, "port %u txq %u: host failed descriptor %u (status %u)",
			     hv->port_id, q, idx, status);
	/* done_txd holds nb_desc and each descriptor is in it at most once. */
	hvnet_idxq_put(txq->done_txd, idx);
	return true;
}

/* Completions: of a tx descriptor here; any other goes up to the NVSP layer. */
static void
hvnet_rx_completion(struct hvnet_rxq *rxq, const struct rte_hvbus_pkt *pkt)
{
	struct hv_nvsp_rndis_pkt_complete c = { .type = HV_NVSP_MSG_NONE };

	if (!(pkt->xid & HVNET_XID_TX_TAG)) {
		hvnet_rx_upcall_nvs(rxq, pkt);
		return;
	}
	/* A fixed-size copy (no libc call); a short message leaves the type NONE. */
	if (likely(pkt->len >= sizeof(c)))
		memcpy(&c, pkt->data, sizeof(c));
	/* The host is done with the carrier whatever it says: never leak the slot. */
	if (c.type != HV_NVSP_MSG_RNDIS_PKT_COMPLETE)
		c.status = HV_NVSP_STATUS_FAILURE;
	if (!hvnet_txd_complete(rxq->hv, rxq->queue_id, pkt->xid, c.status))
		hvnet_rx_drop(rxq, HVNET_RX_UNKNOWN_COMPLETION);
}

/* A transfer-page packet: data goes through rxq->cur, control is handled at once. */
static void
hvnet_rx_xfer(struct hvnet_rx_ctx *ctx, const struct rte_hvbus_pkt *pkt)
{
	struct hvnet_rxq *rxq = ctx->rxq;
	struct hvnet_rx_cur *cur = rxq->cur;
	struct hv_xfer_page_range r;
	uint32_t count = pkt->range_count;
	enum hvnet_rx_drop why;
	uint32_t chan_type, i;

	why = hvnet_parse_xfer(pkt->xfer_set_id, count, pkt->data, pkt->len, &chan_type);
	if (unlikely(why != HVNET_RX_OK)) {
		/* The host still holds the sections for it: ack what we cannot use. */
		hvnet_rx_drop(rxq, why);
		HVNET_RX_LOG(DEBUG, "port %u channel %u: bad transfer-page packet (set %#x, %u "
			     "ranges, %u bytes) dropped", rxq->port_id, rxq->queue_id,
			     pkt->xfer_set_id, count, pkt->len);
		hvnet_rx_ack(rxq, pkt->xid);
		return;
	}
	/* Only control is told apart, as Linux and DPDK do: data otherwise, by message type. */
	if (chan_type == HV_NVSP_RNDIS_CHAN_CONTROL) {
		for (i = 0; i < count; i++) {
			memcpy(&r, &pkt->ranges[i], sizeof(r));
			if (hvnet_rx_range_ok(rxq, &r))
				hvnet_rx_control(rxq, rxq->rxbuf + r.byte_offset, r.byte_count);
		}
		ctx->ranges_left -= RTE_MIN(ctx->ranges_left, count);
		hvnet_rx_ack(rxq, pkt->xid);
		return;
	}
	cur->xid = pkt->xid;
	cur->next = 0;
	cur->count = count;
	/* One range (one frame) is the common packet: no call for it. */
	if (count == 1)
		memcpy(cur->range, pkt->ranges, sizeof(cur->range[0]));
	else
		memcpy(cur->range, pkt->ranges, count * sizeof(cur->range[0]));
}

static void
hvnet_rx_dispatch(struct hvnet_rx_ctx *ctx, const struct rte_hvbus_pkt *pkt)
{
	switch (pkt->type) {
	case HVBUS_PKT_XFER_PAGES:
		hvnet_rx_xfer(ctx, pkt);
		break;
	case HVBUS_PKT_COMPLETION:
		hvnet_rx_completion(ctx->rxq, pkt);
		break;
	case HVBUS_PKT_INBAND:
		hvnet_rx_upcall_nvs(ctx->rxq, pkt);
		break;
	default:
		HVNET_RX_LOG(DEBUG, "port %u channel %u: VMBus packet type %u ignored",
			     ctx->rxq->port_id, ctx->rxq->queue_id, pkt->type);
		break;
	}
}

/*
 * Read the channel as far as the burst (or the stash) and the budget allow: finish the
 * packet in progress first, publish the ring read index once, then send the acks.
 * Called with the channel's rx lock held. Returns the VMBus packets read.
 */
static unsigned int
hvnet_rx_read(struct hvnet_rx_ctx *ctx)
{
	struct hvnet_rxq *rxq = ctx->rxq;
	struct rte_hvbus_pkt pkt;
	unsigned int nread = 0;

	if (unlikely(rxq->orphan->nb != 0))
		hvnet_rx_adopt_orphans(rxq);
	if (rxq->ext != NULL)
		hvnet_rx_ext_reap(rxq);
	while (nread < HVNET_RX_POLL_BUDGET) {
		if (rxq->cur->count != 0 && !hvnet_rx_cur_drain(ctx))
			break;
		/* Each packet may need an ack: never take one without room to record it. */
		if (hvnet_rx_burst_full(ctx) || !hvnet_rx_ack_room(rxq))
			break;
		if (rte_hvbus_chan_recv(rxq->chan, &pkt) != 0)
			break;
		nread++;
		hvnet_rx_dispatch(ctx, &pkt);
	}
	if (nread != 0)
		rte_hvbus_chan_recv_done(rxq->chan);
	hvnet_rx_flush_acks(rxq);
	/* Streamed stores are weakly ordered: all done before the frames leave. */
	if (ctx->streamed)
		rte_wmb();
	return nread;
}

/*
 * Nothing to read and nothing owed: the ring empty, no frame stashed or left in a packet in
 * progress, no ack waiting for room or in the box. A look without the lock, so that an empty
 * poll (most of them, below line rate) takes no locked instruction; a reader racing it can
 * make it stale either way, and the next poll looks again. Attached frames always take the
 * lock: their acks come due as the application frees them.
 */
static inline bool
hvnet_rx_idle(const struct hvnet_rxq *rxq)
{
	/* The ring first: when it has data, that answers it with one look. */
	return rte_hvbus_chan_rx_empty(rxq->chan) && rxq->ext == NULL &&
	       __atomic_load_n(&rxq->cur->count, __ATOMIC_RELAXED) == 0 &&
	       __atomic_load_n(&rxq->nb_acks, __ATOMIC_RELAXED) == 0 &&
	       __atomic_load_n(&rxq->orphan->nb, __ATOMIC_RELAXED) == 0 &&
	       hvnet_ack_box_empty(rxq->lock) && rte_ring_empty(rxq->stash);
}

/* The synthetic path's share of a burst: frames stashed for the queue, then the ring's. */
static uint16_t
hvnet_rx_synthetic(struct hvnet_rxq *rxq, struct rte_mbuf **pkts, uint16_t n)
{
	struct hvnet_rx_ctx ctx;
	uint16_t nb, i;
	bool locked;

	/*
	 * Frames another thread read for us are older than anything still in the ring. Only the
	 * rx lock holder stashes: emptied under the lock, nothing newer can slip in between.
	 */
	locked = rte_spinlock_trylock(&rxq->lock->rx);
	nb = (uint16_t)rte_ring_sc_dequeue_burst(rxq->stash, (void **)pkts, n, NULL);
	for (i = 0; i < nb; i++)
		hvnet_rx_count_mbuf(&rxq->stats, pkts[i]);
	if (likely(locked)) {
		if (nb < n) {
			hvnet_rx_ctx_init(&ctx, rxq, pkts + nb, n - nb);
			hvnet_rx_read(&ctx);
			nb += ctx.nb;
		}
		hvnet_unlock(&rxq->lock->rx);
	}
	rxq->stats.packets += nb;
	return nb;
}

uint16_t
hvnet_recv_pkts(void *queue, struct rte_mbuf **pkts, uint16_t n)
{
	struct hvnet_rxq *rxq = queue;
	uint16_t nb;

	if (unlikely(rxq->hv->rescinded))
		return 0;	/* the host took the device away: its rings are not ours */
	nb = hvnet_rx_idle(rxq) ? 0 : hvnet_rx_synthetic(rxq, pkts, n);
	/* Accelerated networking: the VF's frames after the synthetic ones (own counters). */
	if (nb < n)
		nb += hvnet_vf_rx_burst(&rxq->vf, rxq->port_id, rxq->queue_id, pkts + nb, n - nb);
	return nb;
}

static bool
hvnet_rx_lock(struct hvnet_dev *hv, rte_spinlock_t *lock, bool wait)
{
	uint64_t deadline;

	if (rte_spinlock_trylock(lock))
		return true;
	if (!wait)
		return false;
	/* The holder is a burst or another poll: short, but bound it anyway. */
	deadline = rte_get_timer_cycles() + rte_get_timer_hz() * hv->args.ctl_timeout_ms / 1000;
	while (!rte_spinlock_trylock(lock)) {
		if (rte_get_timer_cycles() > deadline) {
			HVNET_LOG(ERR, "port %u: channel reader lock held for %u ms", hv->port_id,
				  hv->args.ctl_timeout_ms);
			return false;
		}
		rte_pause();
	}
	return true;
}

/* The rx queue reading channel q keeps its state in, if the application set one up. */
static struct hvnet_rxq *
hvnet_rx_queue_of(struct hvnet_dev *hv, unsigned int q)
{
	struct rte_eth_dev_data *data = hv->eth != NULL ? hv->eth->data : NULL;

	if (data == NULL || data->rx_queues == NULL || q >= data->nb_rx_queues)
		return NULL;
	return data->rx_queues[q];
}

/*
 * Read a channel that has no rx queue (attach, between configure and queue setup, or a tx
 * queue beyond the rx queues): data frames are dropped, everything else handled. Acks the
 * host ring has no room for stay in hv->orphan[q] for the next read: never wait for room,
 * as the caller may be a tx burst.
 */
static unsigned int
hvnet_rx_read_orphan(struct hvnet_dev *hv, unsigned int q)
{
	const struct rte_mem_resource *rb = &hv->vdev->resource[HVBUS_MAP_RECV];
	struct hvnet_orphan_acks *o = &hv->orphan[q];
	struct hvnet_rx_cur cur = { .count = 0 };
	struct hvnet_rxq tmp;
	struct hvnet_rx_ctx ctx;
	unsigned int nread;

	memset(&tmp, 0, sizeof(tmp));
	tmp.hv = hv;
	tmp.chan = hv->chan[q];
	tmp.lock = &hv->chan_lock[q];
	tmp.rxbuf = rb->addr;
	tmp.rxbuf_len = (uint32_t)RTE_MIN(rb->len, (uint64_t)UINT32_MAX);
	tmp.rx_copybreak = UINT32_MAX;
	tmp.section_len = hv->rxbuf_section_size;
	tmp.max_frame = UINT32_MAX;	/* no queue: every frame is dropped anyway */
	tmp.port_id = hv->port_id;
	tmp.queue_id = (uint16_t)q;
	tmp.cur = &cur;
	tmp.orphan = o;
	tmp.pending_acks = o->xid;
	tmp.nb_acks = o->nb;
	o->nb = 0;	/* owned by tmp meanwhile: hvnet_rx_read must not adopt them */
	/* One slot kept for the packet the read may leave current. */
	tmp.max_acks = HVNET_ORPHAN_ACKS - 1;
	hvnet_rx_ctx_init(&ctx, &tmp, NULL, 0);
	nread = hvnet_rx_read(&ctx);
	/* A packet cut short has no queue to wait in: its frames are dropped, its ack owed. */
	if (cur.count != 0) {
		tmp.max_acks = HVNET_ORPHAN_ACKS;
		hvnet_rx_cur_drain(&ctx);	/* without a burst, only ack room stops it */
		hvnet_rx_flush_acks(&tmp);
	}
	o->nb = tmp.nb_acks;
	return nread;
}

unsigned int
hvnet_chan_poll(struct hvnet_dev *hv, unsigned int q, bool wait)
{
	struct hvnet_rxq *rxq;
	struct hvnet_rx_ctx ctx;
	unsigned int nread;

	if (q >= HVNET_MAX_QUEUES || hv->chan[q] == NULL || hv->rescinded)
		return 0;
	if (!hvnet_rx_lock(hv, &hv->chan_lock[q].rx, wait))
		return 0;
	rxq = hvnet_rx_queue_of(hv, q);
	if (rxq != NULL) {
		hvnet_rx_ctx_init(&ctx, rxq, NULL, 0);
		nread = hvnet_rx_read(&ctx);
		/* A stopped queue holds no mbuf: give back the spares this read took. */
		if (!__atomic_load_n(&rxq->started, __ATOMIC_RELAXED))
			hvnet_rx_mbuf_release(rxq);
	} else {
		nread = hvnet_rx_read_orphan(hv, q);
	}
	rte_spinlock_unlock(&hv->chan_lock[q].rx);
	return nread;
}

/* ---- queue setup ----------------------------------------------------------------------- */

/* Free what the stash holds; returns how many frames that was. */
static unsigned int
hvnet_rx_stash_drop(struct hvnet_rxq *rxq)
{
	struct rte_mbuf *m;
	unsigned int n = 0;

	while (rte_ring_sc_dequeue(rxq->stash, (void **)&m) == 0) {
		rte_pktmbuf_free(m);
		n++;
	}
	return n;
}

void
hvnet_rxq_start(struct hvnet_rxq *rxq)
{
	if (rxq != NULL)
		__atomic_store_n(&rxq->started, true, __ATOMIC_RELAXED);
}

int
hvnet_rxq_stop(struct hvnet_rxq *rxq)
{
	if (rxq == NULL)
		return 0;
	/*
	 * Before the lock: a read that takes it after us drops what it finds (a control wait or
	 * a link query on the stopped port reads channel 0 until the host's frames in flight at
	 * the filter change are gone), and one that holds it now is waited for below.
	 */
	__atomic_store_n(&rxq->started, false, __ATOMIC_RELAXED);
	if (!hvnet_rx_lock(rxq->hv, &rxq->lock->rx, true))
		return -EBUSY;
	hvnet_rx_mbuf_release(rxq);
	/*
	 * Frames another thread read for this queue while no burst came (the link alarm takes
	 * them with its indications): the application missed them, and a stopped port holds no
	 * mbufs of its pool.
	 */
	rxq->stats.ring_full += hvnet_rx_stash_drop(rxq);
	hvnet_unlock(&rxq->lock->rx);
	return 0;
}

/* What hvnet_rx_packet decides a frame's way by, and what it sets a new mbuf up with. */
static void
hvnet_rx_fast_init(struct hvnet_rxq *rxq)
{
	struct rte_mbuf m = { .data_off = RTE_PKTMBUF_HEADROOM, .nb_segs = 1 };

	rxq->copy_max = RTE_MIN(rxq->seg_room, rxq->rx_copybreak);
	rxq->tag_have = rxq->vlan_strip ? 0 : HVNET_RX_HAVE(HV_PPI_VLAN);
	rxq->block_max = 0;
	rxq->block_end = 0;
	rxq->nt_min = rxq->hv->args.rx_nt_copy ? HVNET_RX_NT_MIN : UINT32_MAX;
	if (rxq->seg_room >= HVNET_COPY_BLOCK_MAX && rxq->rxbuf_len >= HVNET_COPY_BLOCK_MAX) {
		rxq->block_max = HVNET_COPY_BLOCK_MAX;
		rxq->block_end = rxq->rxbuf_len - HVNET_COPY_BLOCK_MAX;
	}
	rte_mbuf_refcnt_set(&m, 1);
	m.port = rxq->port_id;
	memcpy(&rxq->mbuf_rearm, (uint8_t *)&m + offsetof(struct rte_mbuf, data_off),
	       sizeof(rxq->mbuf_rearm));
	/* A pinned external buffer stays attached to its mbuf from the pool (rte_mbuf.h). */
	rxq->ol_base = (rte_pktmbuf_priv_flags(rxq->mp) & RTE_PKTMBUF_POOL_F_PINNED_EXT_BUF) ?
		RTE_MBUF_F_EXTERNAL : 0;
}

void
hvnet_rxq_free(struct hvnet_rxq *rxq)
{
	struct rte_eth_dev_data *data;

	if (rxq == NULL)
		return;
	data = rxq->hv->eth != NULL ? rxq->hv->eth->data : NULL;
	/* No reader may find the queue once we hold the lock, and none is inside it. */
	rte_spinlock_lock(&rxq->lock->rx);
	if (data != NULL && data->rx_queues != NULL && rxq->queue_id < data->nb_rx_queues &&
	    data->rx_queues[rxq->queue_id] == rxq)
		data->rx_queues[rxq->queue_id] = NULL;
	/* The host still owns the sections of a packet cut short: give them back. */
	if (rxq->cur != NULL && rxq->cur->count != 0) {
		rxq->cur->next = rxq->cur->count;
		if (hvnet_rx_ack_room(rxq) && !hvnet_rx_ext_finish(rxq))
			hvnet_rx_ack(rxq, rxq->cur->xid);
	}
	if (rxq->ext != NULL)
		hvnet_rx_ext_reap(rxq);
	hvnet_rx_flush_acks(rxq);
	rte_spinlock_unlock(&rxq->lock->rx);
	if (rxq->nb_acks != 0)
		HVNET_LOG(WARNING, "port %u rxq %u: %u receive acks not sent (host ring full)",
			  rxq->port_id, rxq->queue_id, rxq->nb_acks);
	if (rxq->ext != NULL && rxq->ext_outstanding != 0)
		/* Frames the application still holds would call back into freed memory. */
		HVNET_LOG(WARNING, "port %u rxq %u: %u external mbufs still held, their state"
			  " is kept", rxq->port_id, rxq->queue_id, rxq->ext_outstanding);
	else
		hvnet_rx_ext_free(rxq->ext);
	hvnet_rx_mbuf_release(rxq);
	if (rxq->stash != NULL) {
		hvnet_rx_stash_drop(rxq);
		rte_ring_free(rxq->stash);
	}
	rte_free(rxq->pending_acks);
	rte_free(rxq->cur);
	rte_free(rxq);
}

int
hvnet_rxq_setup(struct hvnet_dev *hv, uint16_t qid, uint16_t nb_desc, int socket,
		struct rte_mempool *mp, uint64_t offloads, struct hvnet_rxq **out)
{
	const struct rte_mem_resource *rb = &hv->vdev->resource[HVBUS_MAP_RECV];
	char name[RTE_RING_NAMESIZE];
	struct hvnet_rxq *rxq;
	int ret;

	if (qid >= HVNET_MAX_QUEUES || hv->chan[qid] == NULL) {
		HVNET_INIT_LOG(ERR, "port %u rxq %u: no channel open for it", hv->port_id, qid);
		return -EINVAL;
	}
	if (nb_desc == 0 || rte_pktmbuf_data_room_size(mp) <
	    RTE_PKTMBUF_HEADROOM + HVNET_RX_MIN_SEG_ROOM) {
		HVNET_INIT_LOG(ERR, "port %u rxq %u: %u descriptors or mbuf data room %u too small",
			       hv->port_id, qid, nb_desc, rte_pktmbuf_data_room_size(mp));
		return -EINVAL;
	}
	if (rb->addr == NULL || rb->len == 0 || rb->len > UINT32_MAX) {
		HVNET_INIT_LOG(ERR, "port %u rxq %u: receive buffer not mapped", hv->port_id, qid);
		return -EINVAL;
	}
	rxq = rte_zmalloc_socket("hvnet_rxq", sizeof(*rxq), RTE_CACHE_LINE_SIZE, socket);
	if (rxq == NULL)
		return -ENOMEM;
	rxq->hv = hv;
	rxq->chan = hv->chan[qid];
	rxq->lock = &hv->chan_lock[qid];
	rxq->mp = mp;
	rxq->rxbuf = rb->addr;
	rxq->rxbuf_len = (uint32_t)rb->len;
	rxq->rx_copybreak = hv->args.rx_extmbuf ? hv->args.rx_copybreak : UINT32_MAX;
	rxq->section_len = hv->rxbuf_section_size;
	/* The session's MTU: during an MTU change ethdev's data->mtu is still the old one. */
	rxq->max_frame = (uint32_t)hv->port_mtu + RTE_ETHER_HDR_LEN + RTE_VLAN_HLEN;
	rxq->seg_room = rte_pktmbuf_data_room_size(mp) - RTE_PKTMBUF_HEADROOM;
	offloads |= hv->eth->data->dev_conf.rxmode.offloads;
	rxq->scatter = (offloads & RTE_ETH_RX_OFFLOAD_SCATTER) != 0;
	rxq->port_id = hv->port_id;
	rxq->queue_id = qid;
	rxq->vlan_strip = !!(hv->eth->data->dev_conf.rxmode.offloads &
			     RTE_ETH_RX_OFFLOAD_VLAN_STRIP);
	rxq->ptypes = !hv->ptypes_off;
	rxq->orphan = &hv->orphan[qid];
	rxq->nb_desc = nb_desc;
	/*
	 * Every transfer-page packet the host has out holds at least one receive section, so
	 * room for one ack per section means the reader never stops for lack of ack room: a
	 * reader that stopped while the host waits for room in our ring would deadlock.
	 */
	rxq->max_acks = RTE_MAX((uint32_t)nb_desc, hv->rxbuf_section_cnt);
	rxq->cur = rte_zmalloc_socket("hvnet_rx_cur", sizeof(*rxq->cur), RTE_CACHE_LINE_SIZE,
				      socket);
	rxq->pending_acks = rte_malloc_socket("hvnet_rx_acks",
					      rxq->max_acks * sizeof(rxq->pending_acks[0]),
					      RTE_CACHE_LINE_SIZE, socket);
	snprintf(name, sizeof(name), "hvnet_stash_%u_%u", hv->port_id, qid);
	rxq->stash = rte_ring_create(name, nb_desc, socket,
				     RING_F_SP_ENQ | RING_F_SC_DEQ | RING_F_EXACT_SZ);
	ret = 0;
	if (rxq->cur == NULL || rxq->pending_acks == NULL || rxq->stash == NULL)
		ret = -ENOMEM;
	else if (hv->args.rx_extmbuf)
		ret = hvnet_rx_ext_alloc(rxq, socket);
	if (ret != 0) {
		HVNET_INIT_LOG(ERR, "port %u rxq %u: out of memory on socket %d", hv->port_id, qid,
			       socket);
		hvnet_rxq_free(rxq);
		return ret;
	}
	if (rxq->ext == NULL)
		rxq->rx_copybreak = UINT32_MAX;
	hvnet_rx_fast_init(rxq);
	*out = rxq;
	return 0;
}

/* ---- queue state ----------------------------------------------------------------------- */

hvnet_rx_count_t
hvnet_rx_queue_count(void *queue)
{
	struct hvnet_rxq *rxq = queue;
	uint32_t total = __atomic_load_n(&rxq->cur->count, __ATOMIC_RELAXED);
	uint32_t next = __atomic_load_n(&rxq->cur->next, __ATOMIC_RELAXED);
	uint32_t count;

	/*
	 * Approximate and lock-free: each frame in the ring costs at least an 8-byte range; a
	 * read under way shows the place its packet had when the read began.
	 */
	count = rte_ring_count(rxq->stash) + (total - RTE_MIN(next, total));
	/* A secondary process (dpdk-proc-info) has the queue but not the channel's mapping. */
	if (rte_eal_process_type() == RTE_PROC_PRIMARY)
		count += rte_hvbus_chan_rx_pending(rxq->chan) / sizeof(struct hv_xfer_page_range);
	return (hvnet_rx_count_t)RTE_MIN(count, (uint32_t)rxq->nb_desc);
}

/* Receive acks recorded but not in the ring yet (the caller holds the channel's rx lock). */
bool
hvnet_rx_acks_owed(const struct hvnet_rxq *rxq)
{
	return rxq->nb_acks != 0 || !hvnet_ack_box_empty(rxq->lock);
}

int
hvnet_rx_descriptor_status(void *queue, uint16_t offset)
{
	struct hvnet_rxq *rxq = queue;

	if (offset >= rxq->nb_desc)
		return -EINVAL;
	return offset < (uint32_t)hvnet_rx_queue_count(queue) ? RTE_ETH_RX_DESC_DONE :
								 RTE_ETH_RX_DESC_AVAIL;
}
