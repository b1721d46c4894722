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

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
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
 * the ring sets offset8 to hdr_len / 8 and len8 to the padded total / 8. No publish.
 */
int hvbus_ring_write_pkt(struct hvbus_ring *r, struct hv_vmbus_desc *hdr, uint32_t hdr_len,
			 const struct iovec *iov, unsigned int iovcnt);
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
 */
int hvbus_ring_peek(struct hvbus_ring *r, struct hvbus_ring_pkt *pkt, void *bounce,
		    size_t bounce_len);
/*
 * Publish the private read index. *need_sig = true when the host has feature bit 0 set in
 * this ring, asked for pending_send_sz bytes, and this batch made free space reach it.
 */
void hvbus_ring_read_commit(struct hvbus_ring *r, bool *need_sig);
/* Reader: 1 = the host need not signal us on empty -> non-empty. Unmasking is followed by a
 * full barrier: the caller then re-checks hvbus_ring_bytes_to_read() before sleeping.
 */
void hvbus_ring_set_intr_mask(struct hvbus_ring *r, bool masked);
/* Reader: whether interrupt_mask is set now (any non-zero value: the host's rule). */
bool hvbus_ring_intr_masked(const struct hvbus_ring *r);

/* Reader: bytes after the private read index (0 if the host's index is corrupt). */
uint32_t hvbus_ring_bytes_to_read(const struct hvbus_ring *r);
/* Writer: free bytes now; a packet taking n ring bytes fits iff n < free. */
uint32_t hvbus_ring_bytes_free(const struct hvbus_ring *r);

/* The control page of r now, for telemetry: any thread, no lock (hvbus_info.c). */
void hvbus_ring_snapshot(const struct hvbus_ring *r, struct rte_hvbus_ring_info *info);

/* Check a type-7 packet's header and range array; 0, -EINVAL (not type 7) or -EPROTO. */
int hvbus_ring_parse_xfer(const struct hvbus_ring_pkt *pkt, struct hvbus_ring_xfer *xfer);

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

#endif /* HVBUS_RING_H */
