/* SPDX-License-Identifier: BSD-3-Clause */
/* One direction of a VMBus ring pair, guest side: packet writer (TX) or packet reader (RX). */
#ifndef HVBUS_RING_H
#define HVBUS_RING_H

/*
 * No EAL here: the ring only needs libc and compiler atomics, so that the unit test can drive
 * it standalone. Threading: one writer thread per TX ring and one reader thread per RX ring.
 *
 * Trust: the host writes the peer index and the RX data area at any time. Every index read
 * from the control page is range-checked, every descriptor is copied out once and checked
 * before use, and no access ever leaves data[0, size). Payload bytes returned in place stay
 * host memory: callers copy a field out before checking and using it.
 *
 * Signal results (*need_sig) are only ever set to true, never cleared, so that a burst of
 * calls can share one flag (initialised to false by the caller) and signal the host once.
 */

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/uio.h>

#include "bus_hvbus_info.h"
#include "hv_wire.h"

struct hvbus_ring {
	uint8_t *data;			/* data area, right after the control page(s) */
	uint32_t size;			/* data area bytes, a multiple of HV_PAGE_SIZE */
	uint32_t priv;			/* writer: next write; reader: next unread */
	uint32_t pub;			/* our index as last published to the host */
	uint32_t peer;			/* host's index as last seen (checked < size, aligned) */
	struct hv_ring_ctl *ctl;
};

/* A packet returned by hvbus_ring_peek(); the header fields are our checked copy. */
struct hvbus_ring_pkt {
	const uint8_t *buf;		/* the whole packet, descriptor first (ring or bounce) */
	uint64_t xid;
	uint32_t len;			/* len8 * 8: header + payload + padding, no trailer */
	uint16_t type;			/* HV_PKT_*: in-band, xfer pages, GPA direct, completion */
	uint16_t flags;			/* HV_PKT_FLAG_RC: the host wants a completion */
	uint32_t hdr_len;		/* offset8 * 8: payload start, 16 <= hdr_len <= len */
};

/* Transfer-page header of a type-7 packet, checked against the packet. */
struct hvbus_ring_xfer {
	const struct hv_xfer_page_range *ranges;	/* host memory: copy each before use */
	uint32_t range_count;				/* >= 1, array inside the header */
	uint16_t set_id;
};

/*
 * Attach to one ring of a freshly opened channel: base is the ring's control page, the data
 * area starts hdr_bytes further (the system page size) and runs to ring_bytes. The data area
 * must be a non-zero multiple of 4096 bytes (at most 1 GiB) and both indices must be sane.
 * The TX ring (guest->host) also gets feature bit 0: we read the host's pending_send_sz.
 * 0, -EINVAL (sizes or alignment) or -EPROTO (the host's indices are corrupt).
 */
int hvbus_ring_attach_tx(struct hvbus_ring *r, void *base, size_t ring_bytes, size_t hdr_bytes);
int hvbus_ring_attach_rx(struct hvbus_ring *r, void *base, size_t ring_bytes, size_t hdr_bytes);

/*
 * Writer. iov[0] starts with the 16-byte descriptor built by the caller, whose len8 must be
 * the padded total / 8 and offset8 within [2, len8]; the ring adds the zero padding and the
 * trailer. hvbus_ring_write_staged() copies the packet without publishing it (a TX burst
 * publishes once with hvbus_ring_publish()); hvbus_ring_write() does both.
 * 0; -EAGAIN when the ring has no room now (nothing written); -EINVAL for a bad descriptor or
 * iovec; -EMSGSIZE when the packet could never fit; -EPROTO when the host's read index is
 * corrupt.
 */
int hvbus_ring_write_staged(struct hvbus_ring *r, const struct iovec *iov, unsigned int iovcnt);
/*
 * The same, for a packet whose descriptor the ring completes: hdr holds the descriptor (type,
 * flags and tid set by the caller) and any header after it, hdr_len bytes, a multiple of 8;
 * the ring sets offset8 to hdr_len / 8 and len8 to the padded total / 8. No publish. Inline
 * (below): the channel's sends pass constant header sizes, which turn the copies into moves.
 */
static inline int hvbus_ring_write_pkt(struct hvbus_ring *r, struct hv_vmbus_desc *hdr,
				       uint32_t hdr_len, const struct iovec *iov,
				       unsigned int iovcnt);
/* Publish staged packets; *need_sig = true if the host's interrupt_mask is 0 and it had
 * consumed everything published before (the ring was empty).
 */
void hvbus_ring_publish(struct hvbus_ring *r, bool *need_sig);
int hvbus_ring_write(struct hvbus_ring *r, const struct iovec *iov, unsigned int iovcnt,
		     bool *need_sig);

/*
 * Reader. Returns the next packet at the private read index and moves past it; the host sees
 * the progress only at hvbus_ring_read_commit(). The packet is in place when contiguous, else
 * copied to bounce (8-byte aligned; len >= min(data size, 65535 * 8) never fails), valid
 * until the next peek that wraps or the commit.
 * 0; -EAGAIN when empty; -EPROTO when the host's write index or the descriptor is malformed,
 * or a wrapped packet exceeds bounce_len (the index stays put: the ring cannot resync).
 * Inline (below): the channel's receive runs it once per packet.
 */
static inline int hvbus_ring_peek(struct hvbus_ring *r, struct hvbus_ring_pkt *pkt,
				  void *bounce, size_t bounce_len);
/*
 * hvbus_ring_peek() from scratch, with the host's write index reloaded: for what the inline
 * path leaves (a descriptor across the end, a wrapped packet, a bad descriptor, a packet past
 * the cached write index).
 */
int hvbus_ring_peek_slow(struct hvbus_ring *r, struct hvbus_ring_pkt *pkt, void *bounce,
			 size_t bounce_len);
/*
 * Publish the private read index. *need_sig = true when the host has feature bit 0 set in
 * this ring, asked for pending_send_sz bytes, and this batch made free space reach it.
 */
static inline void hvbus_ring_read_commit(struct hvbus_ring *r, bool *need_sig);
/* Reader: 1 = the host need not signal us on empty -> non-empty. Unmasking is followed by a
 * full barrier: the caller then re-checks hvbus_ring_bytes_to_read() before sleeping.
 */
void hvbus_ring_set_intr_mask(struct hvbus_ring *r, bool masked);
/* Reader: whether interrupt_mask is set now (any non-zero value: the host's rule). Inline
 * (below): the channel asks after every receive batch.
 */
static inline bool hvbus_ring_intr_masked(const struct hvbus_ring *r);

/* Reader: bytes after the private read index (0 if the host's index is corrupt). */
uint32_t hvbus_ring_bytes_to_read(const struct hvbus_ring *r);
/* Writer: free bytes now; a packet taking n ring bytes fits iff n < free. */
uint32_t hvbus_ring_bytes_free(const struct hvbus_ring *r);

/* The control page of r now, for telemetry: any thread, no lock (hvbus_info.c). */
void hvbus_ring_snapshot(const struct hvbus_ring *r, struct rte_hvbus_ring_info *info);


static inline const void *
hvbus_ring_pkt_payload(const struct hvbus_ring_pkt *pkt)
{
	return pkt->buf + pkt->hdr_len;
}

static inline uint32_t
hvbus_ring_pkt_payload_len(const struct hvbus_ring_pkt *pkt)
{
	return pkt->len - pkt->hdr_len;
}

/*
 * Check a type-7 packet's header and range array; 0, -EINVAL (not type 7) or -EPROTO.
 * Inline: the channel's receive calls it once per data packet.
 */
static inline int
hvbus_ring_parse_xfer(const struct hvbus_ring_pkt *pkt, struct hvbus_ring_xfer *xfer)
{
	const uint32_t hdr_end = sizeof(struct hv_vmbus_desc) + sizeof(struct hv_xfer_page_hdr);
	struct hv_xfer_page_hdr hdr;

	if (pkt->type != HV_PKT_DATA_XFER_PAGES)
		return -EINVAL;
	if (pkt->hdr_len < hdr_end)
		return -EPROTO;
	memcpy(&hdr, pkt->buf + sizeof(struct hv_vmbus_desc), sizeof(hdr));
	/* The ranges lie between the header and the payload: offset8 >= 3 + range_count. */
	if (hdr.range_count == 0 ||
	    hdr.range_count > (pkt->hdr_len - hdr_end) / sizeof(struct hv_xfer_page_range))
		return -EPROTO;
	xfer->ranges = (const struct hv_xfer_page_range *)(pkt->buf + hdr_end);
	xfer->range_count = hdr.range_count;
	xfer->set_id = hdr.set_id;
	return 0;
}

/* ---- Inline writer: the send path of every packet, specialised by the channel's calls. ---- */

#define HVBUS_RING_LIKELY(x)	__builtin_expect(!!(x), 1)
#define HVBUS_RING_UNLIKELY(x)	__builtin_expect(!!(x), 0)

/* Control page words by offset: the struct is packed, its page alignment is the real one. */
#define HVBUS_RING_CTL_WORD(r, field) \
	((uint32_t *)((uint8_t *)(r)->ctl + offsetof(struct hv_ring_ctl, field)))

/* Whether a host-written index can be one: inside the data area, 8-byte aligned. */
static inline bool
hvbus_ring_index_ok(const struct hvbus_ring *r, uint32_t idx)
{
	return idx < r->size && (idx & (HV_RING_ALIGN - 1)) == 0;
}

/* Bytes from index 'from' forward to index 'to', both < size. */
static inline uint32_t
hvbus_ring_dist(const struct hvbus_ring *r, uint32_t from, uint32_t to)
{
	return to >= from ? to - from : r->size - from + to;
}

/*
 * Copy n bytes into the ring without a libc call when n is small (descriptors and protocol
 * messages are 8 to 40 bytes): overlapping fixed-size moves cover every length up to 32.
 */
static inline void
hvbus_ring_put_bytes(uint8_t *dst, const uint8_t *src, uint32_t n)
{
	uint64_t w[4];
	uint32_t h[2];
	uint16_t s[2];

	if (n > 32) {
		memcpy(dst, src, n);
	} else if (n >= 16) {
		memcpy(w, src, 16);
		memcpy(w + 2, src + n - 16, 16);
		memcpy(dst, w, 16);
		memcpy(dst + n - 16, w + 2, 16);
	} else if (n >= 8) {
		memcpy(&w[0], src, 8);
		memcpy(&w[1], src + n - 8, 8);
		memcpy(dst, &w[0], 8);
		memcpy(dst + n - 8, &w[1], 8);
	} else if (n >= 4) {
		memcpy(&h[0], src, 4);
		memcpy(&h[1], src + n - 4, 4);
		memcpy(dst, &h[0], 4);
		memcpy(dst + n - 4, &h[1], 4);
	} else if (n >= 2) {
		memcpy(&s[0], src, 2);
		memcpy(&s[1], src + n - 2, 2);
		memcpy(dst, &s[0], 2);
		memcpy(dst + n - 2, &s[1], 2);
	} else if (n == 1) {
		*dst = *src;
	}
}

/*
 * Sum hdr_len and the iovecs' lengths into *padded (rounded up to 8), after checking each
 * iovec: 0, -EINVAL for a bad iovec, -EMSGSIZE when the packet could never fit (len8 is 16
 * bits, and a full ring is one trailer short of empty).
 */
static inline int
hvbus_ring_tx_len(const struct hvbus_ring *r, uint32_t hdr_len, const struct iovec *iov,
		  unsigned int iovcnt, uint32_t *padded)
{
	size_t bytes = hdr_len;
	unsigned int i;

	for (i = 0; i < iovcnt; i++) {
		if (iov[i].iov_len > r->size || (iov[i].iov_len != 0 && iov[i].iov_base == NULL))
			return -EINVAL;
		bytes += iov[i].iov_len;	/* <= (iovcnt + 1) * 1 GiB: no size_t overflow */
	}
	if (bytes + HV_RING_TRAILER_SIZE >= r->size || bytes > (size_t)UINT16_MAX * HV_RING_ALIGN)
		return -EMSGSIZE;
	*padded = ((uint32_t)bytes + HV_RING_ALIGN - 1) & ~(HV_RING_ALIGN - 1);
	return 0;
}

/*
 * Copy a checked packet of padded bytes whose trailer ends at or before the end of the data
 * area, at the private index, and move past it.
 */
static inline __attribute__((always_inline)) void
hvbus_ring_put_flat(struct hvbus_ring *r, const void *hdr, uint32_t hdr_len,
		    const struct iovec *iov, unsigned int iovcnt, uint32_t padded)
{
	const uint64_t zero = 0, trailer = (uint64_t)r->priv << 32;
	uint8_t *start = r->data + r->priv, *p = start;
	uint32_t end = r->priv + padded + HV_RING_TRAILER_SIZE;
	unsigned int i;

	/* Zeroing the last word first leaves the padding zero under the data. */
	memcpy(start + padded - HV_RING_ALIGN, &zero, sizeof(zero));
	hvbus_ring_put_bytes(p, (const uint8_t *)hdr, hdr_len);
	p += hdr_len;
	for (i = 0; i < iovcnt; i++) {
		hvbus_ring_put_bytes(p, (const uint8_t *)iov[i].iov_base, (uint32_t)iov[i].iov_len);
		p += iov[i].iov_len;
	}
	memcpy(start + padded, &trailer, sizeof(trailer));
	r->priv = end < r->size ? end : 0;
}

/*
 * hvbus_ring_put() when the cached read index leaves no room or the packet wraps: reloads
 * and checks the host's read index, copies piecewise across the end. Same results.
 */
int hvbus_ring_put_slow(struct hvbus_ring *r, const void *hdr, uint32_t hdr_len,
			const struct iovec *iov, unsigned int iovcnt, uint32_t padded);

/*
 * Whether need bytes (a packet and its trailer) fit at the private index, as the cached read
 * index tells, without wrapping. The cached index is conservative: the host only ever frees
 * space; a full ring is one byte short of need.
 */
static inline bool
hvbus_ring_fits_flat(const struct hvbus_ring *r, uint32_t need)
{
	return r->size - hvbus_ring_dist(r, r->peer, r->priv) > need && need <= r->size - r->priv;
}

/* Copy a checked packet of padded bytes (< size) in at the private index, if it fits. */
static inline __attribute__((always_inline)) int
hvbus_ring_put(struct hvbus_ring *r, const void *hdr, uint32_t hdr_len,
	       const struct iovec *iov, unsigned int iovcnt, uint32_t padded)
{
	const uint32_t need = padded + HV_RING_TRAILER_SIZE;

	if (HVBUS_RING_LIKELY(hvbus_ring_fits_flat(r, need))) {
		hvbus_ring_put_flat(r, hdr, hdr_len, iov, iovcnt, padded);
		return 0;
	}
	return hvbus_ring_put_slow(r, hdr, hdr_len, iov, iovcnt, padded);
}

static inline __attribute__((always_inline)) int
hvbus_ring_write_pkt(struct hvbus_ring *r, struct hv_vmbus_desc *hdr, uint32_t hdr_len,
		     const struct iovec *iov, unsigned int iovcnt)
{
	uint32_t padded;
	int rc;

	if (hdr_len < sizeof(*hdr) || (hdr_len & (HV_RING_ALIGN - 1)) != 0)
		return -EINVAL;
	rc = hvbus_ring_tx_len(r, hdr_len, iov, iovcnt, &padded);
	if (HVBUS_RING_UNLIKELY(rc != 0))
		return rc;
	hdr->offset8 = (uint16_t)(hdr_len / HV_RING_ALIGN);
	hdr->len8 = (uint16_t)(padded / HV_RING_ALIGN);
	return hvbus_ring_put(r, hdr, hdr_len, iov, iovcnt, padded);
}

/* Payloads hvbus_ring_write_small() takes: acks (8 bytes), NVSP data messages (40). */
#define HVBUS_RING_SMALL_MAX	40

/*
 * hvbus_ring_write_pkt() for a bare 16-byte descriptor and a payload of 1 to
 * HVBUS_RING_SMALL_MAX bytes that fits without a reload or a wrap: with len a constant, a few
 * fixed-size moves and no iovec to walk. The same bytes land in the ring. 0, or 1 when the
 * caller must take hvbus_ring_write_pkt() (nothing written).
 */
static inline __attribute__((always_inline)) int
hvbus_ring_write_small(struct hvbus_ring *r, struct hv_vmbus_desc *desc, const void *data,
		       size_t len)
{
	const uint32_t padded =
		(uint32_t)(sizeof(*desc) + len + HV_RING_ALIGN - 1) & ~(HV_RING_ALIGN - 1);
	const uint32_t need = padded + HV_RING_TRAILER_SIZE;
	const uint64_t trailer = (uint64_t)r->priv << 32;
	uint64_t w[HVBUS_RING_SMALL_MAX / sizeof(uint64_t)] = { 0 };
	uint8_t *p;

	if (HVBUS_RING_UNLIKELY(len - 1 >= HVBUS_RING_SMALL_MAX || data == NULL ||
				!hvbus_ring_fits_flat(r, need)))
		return 1;
	/* The payload in zeroed words: its padding comes with it. */
	hvbus_ring_put_bytes((uint8_t *)w, (const uint8_t *)data, (uint32_t)len);
	desc->offset8 = sizeof(*desc) / HV_RING_ALIGN;
	desc->len8 = (uint16_t)(padded / HV_RING_ALIGN);
	p = r->data + r->priv;
	memcpy(p, desc, sizeof(*desc));
	memcpy(p + sizeof(*desc), w, padded - sizeof(*desc));
	memcpy(p + padded, &trailer, sizeof(trailer));
	r->priv = need < r->size - r->priv ? r->priv + need : 0;
	return 0;
}

/* ---- Inline reader: the receive path of every packet. ---- */

static inline bool
hvbus_ring_intr_masked(const struct hvbus_ring *r)
{
	return __atomic_load_n(HVBUS_RING_CTL_WORD(r, interrupt_mask), __ATOMIC_RELAXED) != 0;
}

/* Inline: the channel commits after every receive batch. */
static inline void
hvbus_ring_read_commit(struct hvbus_ring *r, bool *need_sig)
{
	uint32_t done = hvbus_ring_dist(r, r->pub, r->priv);
	uint32_t pending, widx, new_free;

	if (done == 0)
		return;
	__atomic_store_n(HVBUS_RING_CTL_WORD(r, read_index), r->priv, __ATOMIC_RELEASE);
	r->pub = r->priv;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	pending = __atomic_load_n(HVBUS_RING_CTL_WORD(r, pending_send_sz), __ATOMIC_RELAXED);
	if (pending == 0 || (__atomic_load_n(HVBUS_RING_CTL_WORD(r, feature_bits), __ATOMIC_RELAXED) &
			     HV_RING_FEAT_PENDING_SZ) == 0)
		return;
	widx = __atomic_load_n(HVBUS_RING_CTL_WORD(r, write_index), __ATOMIC_RELAXED);
	if (!hvbus_ring_index_ok(r, widx))
		return;
	new_free = r->size - hvbus_ring_dist(r, r->priv, widx);
	/*
	 * Signal when this batch made free space reach the host's threshold. Linux waits for
	 * free > pending, openvmm for free >= pending: accept both edges, since a spare signal
	 * costs little and a missed one stalls the host.
	 */
	if (pending <= new_free && (new_free < done || new_free - done <= pending))
		*need_sig = true;
}

/* Packet types a ring may carry: anything else means a corrupt ring (hvnet_protocol.rst). */
#define HVBUS_RING_TYPE_MASK	((1u << HV_PKT_DATA_INBAND) | (1u << HV_PKT_DATA_XFER_PAGES) | \
				 (1u << HV_PKT_DATA_GPA_DIRECT) | (1u << HV_PKT_COMPLETION))

/* Checks on our copy of a host-written descriptor. */
static inline bool
hvbus_ring_desc_ok(const struct hv_vmbus_desc *d)
{
	return d->type < 32 && ((1u << d->type) & HVBUS_RING_TYPE_MASK) != 0 &&
	       d->offset8 >= 2 && d->len8 >= d->offset8;
}

static inline void
hvbus_ring_pkt_fill(struct hvbus_ring_pkt *pkt, const struct hv_vmbus_desc *d, uint32_t len)
{
	pkt->xid = d->tid;
	pkt->len = len;
	pkt->type = d->type;
	pkt->flags = d->flags;
	pkt->hdr_len = (uint32_t)d->offset8 * HV_RING_ALIGN;
}

/*
 * The slow path's result through a local (zeroed: a failure leaves *pkt zero): pkt's address
 * then does not escape the inline path, whose caller can keep the packet in registers.
 */
static inline int
hvbus_ring_peek_slow_copy(struct hvbus_ring *r, struct hvbus_ring_pkt *pkt, void *bounce,
			  size_t bounce_len)
{
	struct hvbus_ring_pkt out = { .buf = NULL };
	int rc = hvbus_ring_peek_slow(r, &out, bounce, bounce_len);

	*pkt = out;
	return rc;
}

/* hvbus_ring_peek_fast(): the inline path cannot decide, hvbus_ring_peek_slow() must. */
#define HVBUS_RING_PEEK_SLOW 1

/*
 * The common case inline: the descriptor and the whole packet lie before the end of the data
 * area, inside what the host has published. The host's write index is reloaded (and checked)
 * only when the cached one shows less than a packet: once per batch on an honest host, whose
 * index moves by whole packets. Anything else is HVBUS_RING_PEEK_SLOW (nothing consumed):
 * the slow path starts over with its own reload and copy.
 */
static inline __attribute__((always_inline)) int
hvbus_ring_peek_fast(struct hvbus_ring *r, struct hvbus_ring_pkt *pkt)
{
	const uint32_t min_pkt = sizeof(struct hv_vmbus_desc) + HV_RING_TRAILER_SIZE;
	const uint32_t pos = r->priv, room = r->size - pos;
	uint32_t avail = hvbus_ring_dist(r, pos, r->peer);
	struct hv_vmbus_desc desc;
	uint32_t len, next;

	if (avail < min_pkt) {
		next = __atomic_load_n(HVBUS_RING_CTL_WORD(r, write_index), __ATOMIC_ACQUIRE);
		if (HVBUS_RING_UNLIKELY(!hvbus_ring_index_ok(r, next)))
			return -EPROTO;
		r->peer = next;
		avail = hvbus_ring_dist(r, pos, next);
		if (avail < min_pkt)
			return avail == 0 ? -EAGAIN : -EPROTO;
	}
	if (HVBUS_RING_UNLIKELY(room < sizeof(desc)))
		return HVBUS_RING_PEEK_SLOW;
	/* Host memory can change under us: copy the descriptor once, check the copy only. */
	memcpy(&desc, r->data + pos, sizeof(desc));
	len = (uint32_t)desc.len8 * HV_RING_ALIGN;
	if (HVBUS_RING_UNLIKELY(!hvbus_ring_desc_ok(&desc) ||
				len + HV_RING_TRAILER_SIZE > avail || len > room))
		return HVBUS_RING_PEEK_SLOW;
	pkt->buf = r->data + pos;
	hvbus_ring_pkt_fill(pkt, &desc, len);
	next = pos + len + HV_RING_TRAILER_SIZE;	/* the trailer may wrap: < 2 * size */
	r->priv = next < r->size ? next : next - r->size;
	return 0;
}

static inline __attribute__((always_inline)) int
hvbus_ring_peek(struct hvbus_ring *r, struct hvbus_ring_pkt *pkt, void *bounce,
		size_t bounce_len)
{
	int rc = hvbus_ring_peek_fast(r, pkt);

	if (HVBUS_RING_UNLIKELY(rc == HVBUS_RING_PEEK_SLOW))
		return hvbus_ring_peek_slow_copy(r, pkt, bounce, bounce_len);
	return rc;
}

#endif /* HVBUS_RING_H */
