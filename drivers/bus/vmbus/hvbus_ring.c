/* SPDX-License-Identifier: BSD-3-Clause */
/* VMBus ring buffer, guest side: packet writes with padding and trailer, checked batched reads. */

#include <errno.h>
#include <string.h>

#include "hvbus_ring.h"

/*
 * Memory order. Writer: the host's read index is loaded with acquire (its reads of old data
 * are done before we overwrite them) and our write index is stored with release (the data is
 * visible first). Reader: mirrored. The signal decisions read the host's fields after a full
 * fence, so that the host either sees our new index or we see its mask/pending update.
 * The host is little-endian, as the wire (x86-64 and arm64 guests).
 */


#define RING_MAX_DATA		(1u << 30)	/* keeps index + length sums inside uint32_t */
#define RING_DESC_SIZE		((uint32_t)sizeof(struct hv_vmbus_desc))

static inline uint32_t
ring_advance(const struct hvbus_ring *r, uint32_t pos, uint32_t len)
{
	pos += len;
	return pos >= r->size ? pos - r->size : pos;
}

/* Copy len (< size) bytes into the ring at pos; returns the position after them. */
static inline uint32_t
ring_copy_in(struct hvbus_ring *r, uint32_t pos, const void *src, uint32_t len)
{
	uint32_t room = r->size - pos;

	if (HVBUS_RING_LIKELY(len < room)) {
		memcpy(r->data + pos, src, len);
		return pos + len;
	}
	memcpy(r->data + pos, src, room);
	memcpy(r->data, (const uint8_t *)src + room, len - room);
	return len - room;
}

/* Copy len (<= size) bytes out of the ring from pos, splitting at the end of the data area. */
static inline void
ring_copy_out(const struct hvbus_ring *r, uint32_t pos, void *dst, uint32_t len)
{
	uint32_t room = r->size - pos;

	if (HVBUS_RING_LIKELY(len <= room)) {
		memcpy(dst, r->data + pos, len);
		return;
	}
	memcpy(dst, r->data + pos, room);
	memcpy((uint8_t *)dst + room, r->data, len - room);
}

/*
 * Geometry of one ring, and the indices the host left in it: ours becomes the private and
 * published index, the host's the cached peer index.
 */
static int
ring_attach(struct hvbus_ring *r, void *base, size_t ring_bytes, size_t hdr_bytes, bool writer)
{
	uint32_t own, peer;
	size_t size;

	if (base == NULL || ((uintptr_t)base & (HV_RING_ALIGN - 1)) != 0 ||
	    hdr_bytes < sizeof(struct hv_ring_ctl) || (hdr_bytes & (HV_RING_ALIGN - 1)) != 0 ||
	    ring_bytes <= hdr_bytes)
		return -EINVAL;
	size = ring_bytes - hdr_bytes;
	if (size % HV_PAGE_SIZE != 0 || size > RING_MAX_DATA)
		return -EINVAL;
	r->ctl = base;
	r->data = (uint8_t *)base + hdr_bytes;
	r->size = (uint32_t)size;
	own = __atomic_load_n(writer ? HVBUS_RING_CTL_WORD(r, write_index) :
				       HVBUS_RING_CTL_WORD(r, read_index), __ATOMIC_RELAXED);
	peer = __atomic_load_n(writer ? HVBUS_RING_CTL_WORD(r, read_index) :
					HVBUS_RING_CTL_WORD(r, write_index), __ATOMIC_ACQUIRE);
	if (!hvbus_ring_index_ok(r, own) || !hvbus_ring_index_ok(r, peer))
		return -EPROTO;
	r->priv = own;
	r->pub = own;
	r->peer = peer;
	return 0;
}

int
hvbus_ring_attach_tx(struct hvbus_ring *r, void *base, size_t ring_bytes, size_t hdr_bytes)
{
	int rc;

	rc = ring_attach(r, base, ring_bytes, hdr_bytes, true);
	if (rc != 0)
		return rc;
	/* We never block on a full ring (polling), so our own pending_send_sz stays 0. */
	__atomic_store_n(HVBUS_RING_CTL_WORD(r, pending_send_sz), 0, __ATOMIC_RELAXED);
	__atomic_store_n(HVBUS_RING_CTL_WORD(r, feature_bits),
			 __atomic_load_n(HVBUS_RING_CTL_WORD(r, feature_bits), __ATOMIC_RELAXED) |
			 HV_RING_FEAT_PENDING_SZ, __ATOMIC_RELEASE);
	return 0;
}

int
hvbus_ring_attach_rx(struct hvbus_ring *r, void *base, size_t ring_bytes, size_t hdr_bytes)
{
	return ring_attach(r, base, ring_bytes, hdr_bytes, false);
}

/* Reload the host's index of this ring (read index for TX, write index for RX). */
static inline int
ring_reload_peer(struct hvbus_ring *r, bool tx)
{
	uint32_t idx = tx ? __atomic_load_n(HVBUS_RING_CTL_WORD(r, read_index), __ATOMIC_ACQUIRE) :
			    __atomic_load_n(HVBUS_RING_CTL_WORD(r, write_index), __ATOMIC_ACQUIRE);

	if (HVBUS_RING_UNLIKELY(!hvbus_ring_index_ok(r, idx)))
		return -EPROTO;
	r->peer = idx;
	return 0;
}

/* Check the caller's descriptor (the first 16 bytes of first) against the padded length. */
static inline int
ring_tx_desc_ok(const void *first, size_t first_len, uint32_t padded)
{
	struct hv_vmbus_desc desc;

	if (first == NULL || first_len < RING_DESC_SIZE)
		return -EINVAL;
	memcpy(&desc, first, sizeof(desc));
	if (desc.offset8 < 2 || desc.len8 < desc.offset8 ||
	    (uint32_t)desc.len8 * HV_RING_ALIGN != padded)
		return -EINVAL;
	return 0;
}

/* The packet or its trailer crosses the end of the data area. */
static void
ring_put_wrapped(struct hvbus_ring *r, const void *hdr, uint32_t hdr_len,
		 const struct iovec *iov, unsigned int iovcnt, uint32_t padded)
{
	const uint64_t zero = 0, trailer = (uint64_t)r->priv << 32;
	uint32_t last, pos;
	unsigned int i;

	/* Aligned 8-byte words never straddle the end of the data area. */
	last = ring_advance(r, r->priv, padded - HV_RING_ALIGN);
	memcpy(r->data + last, &zero, sizeof(zero));
	pos = r->priv;
	if (hdr_len != 0)
		pos = ring_copy_in(r, pos, hdr, hdr_len);
	for (i = 0; i < iovcnt; i++)
		if (iov[i].iov_len != 0)
			pos = ring_copy_in(r, pos, iov[i].iov_base, (uint32_t)iov[i].iov_len);
	pos = ring_advance(r, last, HV_RING_ALIGN);
	memcpy(r->data + pos, &trailer, sizeof(trailer));
	r->priv = ring_advance(r, pos, HV_RING_TRAILER_SIZE);
}

int
hvbus_ring_put_slow(struct hvbus_ring *r, const void *hdr, uint32_t hdr_len,
		    const struct iovec *iov, unsigned int iovcnt, uint32_t padded)
{
	const uint32_t need = padded + HV_RING_TRAILER_SIZE;
	int rc;

	/* The cached read index is conservative (the host only frees space): reload it. */
	if (r->size - hvbus_ring_dist(r, r->peer, r->priv) <= need) {
		rc = ring_reload_peer(r, true);
		if (rc != 0)
			return rc;
		if (r->size - hvbus_ring_dist(r, r->peer, r->priv) <= need)
			return -EAGAIN;
	}
	if (need <= r->size - r->priv)
		hvbus_ring_put_flat(r, hdr, hdr_len, iov, iovcnt, padded);
	else
		ring_put_wrapped(r, hdr, hdr_len, iov, iovcnt, padded);
	return 0;
}

int
hvbus_ring_write_staged(struct hvbus_ring *r, const struct iovec *iov, unsigned int iovcnt)
{
	uint32_t padded;
	int rc;

	rc = hvbus_ring_tx_len(r, 0, iov, iovcnt, &padded);
	if (rc != 0)
		return rc;
	rc = ring_tx_desc_ok(iovcnt != 0 ? iov[0].iov_base : NULL,
			     iovcnt != 0 ? iov[0].iov_len : 0, padded);
	if (rc != 0)
		return rc;
	return hvbus_ring_put(r, NULL, 0, iov, iovcnt, padded);
}

void
hvbus_ring_publish(struct hvbus_ring *r, bool *need_sig)
{
	uint32_t old = r->pub;

	if (r->priv == old)
		return;
	__atomic_store_n(HVBUS_RING_CTL_WORD(r, write_index), r->priv, __ATOMIC_RELEASE);
	r->pub = r->priv;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	/* Signal on empty -> non-empty only: a host still draining will find the new data. */
	if (__atomic_load_n(HVBUS_RING_CTL_WORD(r, interrupt_mask), __ATOMIC_RELAXED) == 0 &&
	    __atomic_load_n(HVBUS_RING_CTL_WORD(r, read_index), __ATOMIC_RELAXED) == old)
		*need_sig = true;
}

int
hvbus_ring_write(struct hvbus_ring *r, const struct iovec *iov, unsigned int iovcnt,
		 bool *need_sig)
{
	int rc = hvbus_ring_write_staged(r, iov, iovcnt);

	if (rc == 0)
		hvbus_ring_publish(r, need_sig);
	return rc;
}

int
hvbus_ring_peek_slow(struct hvbus_ring *r, struct hvbus_ring_pkt *pkt, void *bounce,
		     size_t bounce_len)
{
	const uint32_t min_pkt = RING_DESC_SIZE + HV_RING_TRAILER_SIZE;
	const uint32_t pos = r->priv, room = r->size - pos;
	struct hv_vmbus_desc desc;
	uint32_t avail, len;

	if (ring_reload_peer(r, false) != 0)
		return -EPROTO;
	avail = hvbus_ring_dist(r, pos, r->peer);
	if (avail < min_pkt)
		return avail == 0 ? -EAGAIN : -EPROTO;
	/* Host memory can change under us: copy the descriptor once, check the copy only. */
	ring_copy_out(r, pos, &desc, RING_DESC_SIZE);
	if (!hvbus_ring_desc_ok(&desc))
		return -EPROTO;
	len = (uint32_t)desc.len8 * HV_RING_ALIGN;
	if (len + HV_RING_TRAILER_SIZE > avail)
		return -EPROTO;
	if (len <= room) {
		pkt->buf = r->data + pos;
	} else {
		if (len > bounce_len)
			return -EPROTO;
		ring_copy_out(r, pos, bounce, len);
		pkt->buf = bounce;
	}
	hvbus_ring_pkt_fill(pkt, &desc, len);
	r->priv = ring_advance(r, pos, len + HV_RING_TRAILER_SIZE);
	return 0;
}

void
hvbus_ring_set_intr_mask(struct hvbus_ring *r, bool masked)
{
	__atomic_store_n(HVBUS_RING_CTL_WORD(r, interrupt_mask), masked ? 1u : 0u, __ATOMIC_RELAXED);
	if (!masked)
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

uint32_t
hvbus_ring_bytes_to_read(const struct hvbus_ring *r)
{
	uint32_t widx = __atomic_load_n(HVBUS_RING_CTL_WORD(r, write_index), __ATOMIC_ACQUIRE);

	return hvbus_ring_index_ok(r, widx) ? hvbus_ring_dist(r, r->priv, widx) : 0;
}

uint32_t
hvbus_ring_bytes_free(const struct hvbus_ring *r)
{
	uint32_t ridx = __atomic_load_n(HVBUS_RING_CTL_WORD(r, read_index), __ATOMIC_ACQUIRE);

	return hvbus_ring_index_ok(r, ridx) ? r->size - hvbus_ring_dist(r, ridx, r->priv) : 0;
}

void
hvbus_ring_snapshot(const struct hvbus_ring *r, struct rte_hvbus_ring_info *info)
{
	info->size = r->size;
	info->write_index = __atomic_load_n(HVBUS_RING_CTL_WORD(r, write_index), __ATOMIC_ACQUIRE);
	info->read_index = __atomic_load_n(HVBUS_RING_CTL_WORD(r, read_index), __ATOMIC_ACQUIRE);
	info->interrupt_mask = __atomic_load_n(HVBUS_RING_CTL_WORD(r, interrupt_mask), __ATOMIC_RELAXED);
	info->pending_send_sz = __atomic_load_n(HVBUS_RING_CTL_WORD(r, pending_send_sz), __ATOMIC_RELAXED);
	info->feature_bits = __atomic_load_n(HVBUS_RING_CTL_WORD(r, feature_bits), __ATOMIC_RELAXED);
	info->indices_ok = hvbus_ring_index_ok(r, info->write_index) &&
			   hvbus_ring_index_ok(r, info->read_index);
	info->bytes_used = info->indices_ok ?
			   hvbus_ring_dist(r, info->read_index, info->write_index) : 0;
}
