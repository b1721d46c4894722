/* SPDX-License-Identifier: BSD-3-Clause */
/* Host end of the VMBus ring pairs: read the guest->host ring, write the host->guest ring. */

#include <string.h>

#include "host.h"

/*
 * The guest shares the control pages and may change them at any time: every index the guest
 * writes is loaded once, checked, and only the checked copy is used. The host keeps its own
 * index of each ring in host_ring.idx and never reads it back from shared memory.
 */

static inline uint32_t
load_acquire(const uint32_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static inline void
store_release(uint32_t *p, uint32_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

static inline bool
index_ok(const struct host_ring *r, uint32_t v)
{
	return v < r->size && (v & (HV_RING_ALIGN - 1)) == 0;
}

/* Bytes between consumer index rd and producer index wr. */
static inline uint32_t
ring_used(const struct host_ring *r, uint32_t wr, uint32_t rd)
{
	return wr >= rd ? wr - rd : r->size - rd + wr;
}

static void
ring_copy_out(const struct host_ring *r, uint32_t off, void *dst, uint32_t n)
{
	uint32_t first = r->size - off;

	if (n <= first) {
		memcpy(dst, r->data + off, n);
		return;
	}
	memcpy(dst, r->data + off, first);
	memcpy((uint8_t *)dst + first, r->data, n - first);
}

/* Copy n bytes (src NULL: zeros) at off; returns the offset after them. */
static uint32_t
ring_copy_in(struct host_ring *r, uint32_t off, const void *src, uint32_t n)
{
	uint32_t first = r->size - off;

	if (n < first)
		first = n;
	if (src != NULL) {
		memcpy(r->data + off, src, first);
		memcpy(r->data, (const uint8_t *)src + first, n - first);
	} else {
		memset(r->data + off, 0, first);
		memset(r->data, 0, n - first);
	}
	off += n;
	return off >= r->size ? off - r->size : off;
}

void
host_ring_init(struct host_ring *r, uint8_t *base, size_t bytes)
{
	r->ctl = (struct hv_ring_ctl *)base;
	r->data = base + HV_RING_CTL_SIZE;
	r->size = (uint32_t)(bytes - HV_RING_CTL_SIZE);
	r->idx = 0;
}

static void
ring_ctl_reset(struct hv_ring_ctl *ctl, bool masked)
{
	memset(ctl, 0, sizeof(*ctl));
	ctl->interrupt_mask = masked;
	ctl->feature_bits = HV_RING_FEAT_PENDING_SZ;
}

void
host_ring_pair_reset(uint8_t *ring, size_t ring_size, bool guest_masked)
{
	if (ring == NULL || ring_size < 2 * (HV_RING_CTL_SIZE + HV_PAGE_SIZE))
		return;
	/* The host polls a new channel: the guest need not signal until it sleeps. */
	ring_ctl_reset((struct hv_ring_ctl *)ring, true);
	ring_ctl_reset((struct hv_ring_ctl *)(ring + ring_size / 2), guest_masked);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

int
host_ring_write_index(const struct host_ring *r, uint32_t *windex)
{
	uint32_t w = load_acquire(&r->ctl->write_index);

	if (!index_ok(r, w))
		return -EBADMSG;
	*windex = w;
	return 0;
}

static bool
desc_ok(const struct hv_vmbus_desc *d)
{
	if (d->offset8 < 2 || d->len8 < d->offset8)
		return false;
	if (d->flags & ~HV_PKT_FLAG_RC)
		return false;
	switch (d->type) {
	case HV_PKT_DATA_INBAND:
	case HV_PKT_DATA_XFER_PAGES:
	case HV_PKT_DATA_GPA_DIRECT:
	case HV_PKT_COMPLETION:
		return true;
	default:
		return false;
	}
}

int
host_ring_peek(const struct host_ring *r, uint32_t windex, void *buf, uint32_t cap)
{
	struct hv_vmbus_desc d;
	uint32_t avail = ring_used(r, windex, r->idx);
	uint32_t len;

	if (avail == 0)
		return 0;
	/* The writer publishes whole packets only: a partial one is corruption. */
	if (avail < sizeof(d) + HV_RING_TRAILER_SIZE)
		return -EBADMSG;
	ring_copy_out(r, r->idx, &d, sizeof(d));
	if (!desc_ok(&d))
		return -EBADMSG;
	len = (uint32_t)d.len8 * 8;
	if (len + HV_RING_TRAILER_SIZE > avail || len > cap)
		return -EBADMSG;
	memcpy(buf, &d, sizeof(d));
	ring_copy_out(r, (r->idx + (uint32_t)sizeof(d)) % r->size, (uint8_t *)buf + sizeof(d),
		      len - (uint32_t)sizeof(d));
	return (int)len;
}

void
host_ring_skip(struct host_ring *r, uint32_t len)
{
	r->idx = (uint32_t)(((uint64_t)r->idx + len + HV_RING_TRAILER_SIZE) % r->size);
}

bool
host_ring_read_done(struct host_ring *r, uint32_t bytes_read)
{
	uint32_t pending, w, free_now;

	store_release(&r->ctl->read_index, r->idx);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!(load_acquire(&r->ctl->feature_bits) & HV_RING_FEAT_PENDING_SZ))
		return false;
	pending = load_acquire(&r->ctl->pending_send_sz);
	if (pending == 0)
		return false;
	w = load_acquire(&r->ctl->write_index);
	if (!index_ok(r, w))
		return false;
	free_now = r->size - ring_used(r, w, r->idx);
	/* Signal only when this batch moved the free space across the writer's threshold. */
	return free_now > pending && (uint64_t)free_now <= (uint64_t)pending + bytes_read;
}

int
host_ring_room(const struct host_ring *r, uint32_t *room)
{
	uint32_t rd = load_acquire(&r->ctl->read_index);
	uint32_t free_bytes;

	if (!index_ok(r, rd))
		return -EBADMSG;
	free_bytes = r->size - ring_used(r, r->idx, rd);
	/* Never fill the ring completely: full would read as empty. */
	*room = free_bytes > HV_RING_ALIGN ? free_bytes - HV_RING_ALIGN : 0;
	return 0;
}

int
host_ring_write(struct host_ring *r, const struct iovec *iov, unsigned int n,
		uint32_t reserve, bool *signal)
{
	uint64_t len = 0, total, trailer;
	uint32_t room, old = r->idx, off = r->idx;
	unsigned int i;
	int rc;

	*signal = false;
	rc = host_ring_room(r, &room);
	if (rc < 0)
		return rc;
	for (i = 0; i < n; i++)
		len += iov[i].iov_len;
	total = ((len + HV_RING_ALIGN - 1) & ~(uint64_t)(HV_RING_ALIGN - 1)) +
		HV_RING_TRAILER_SIZE;
	if (total + reserve > room)
		return -EAGAIN;
	for (i = 0; i < n; i++)
		off = ring_copy_in(r, off, iov[i].iov_base, (uint32_t)iov[i].iov_len);
	off = ring_copy_in(r, off, NULL, (uint32_t)(total - HV_RING_TRAILER_SIZE - len));
	trailer = (uint64_t)old << 32;
	off = ring_copy_in(r, off, &trailer, sizeof(trailer));
	r->idx = off;
	store_release(&r->ctl->write_index, off);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	*signal = load_acquire(&r->ctl->interrupt_mask) == 0 &&
		  load_acquire(&r->ctl->read_index) == old;
	return 0;
}

/* ---- channel level ------------------------------------------------------------------- */

bool
host_chan_sync(struct sim_nic *nic, unsigned int c)
{
	struct sim_chan *sc = &nic->chan[c];
	struct host_chan *hc = &host_of(nic)->chan[c];
	size_t half = sc->ring_size / 2;

	if (c >= nic->nchan || sc->ring == NULL || (c != 0 && !sc->offered))
		return false;
	if (half <= HV_RING_CTL_SIZE || (half - HV_RING_CTL_SIZE) % HV_RING_ALIGN != 0 ||
	    half - HV_RING_CTL_SIZE > UINT32_MAX / 2)
		return false;
	if (hc->base != sc->ring) {
		host_ring_init(&hc->in, sc->ring, half);
		host_ring_init(&hc->out, sc->ring + half, half);
		hc->base = sc->ring;
		hc->batch.fits = 0;	/* room seen in the old ring says nothing of this one */
	}
	return true;
}

int
host_chan_send(struct sim_nic *nic, unsigned int c, uint16_t type, uint16_t flags,
	       uint64_t tid, const void *ext, uint32_t ext_len, const void *msg,
	       uint32_t msg_len, uint32_t reserve)
{
	struct host_chan *hc = &host_of(nic)->chan[c];
	uint32_t hdr = (uint32_t)sizeof(struct hv_vmbus_desc) + ext_len;
	struct hv_vmbus_desc d = {
		.type = type,
		.offset8 = (uint16_t)(hdr / 8),
		.len8 = (uint16_t)((hdr + msg_len + 7) / 8),
		.flags = flags,
		.tid = tid,
	};
	struct iovec iov[3] = {
		{ .iov_base = &d, .iov_len = sizeof(d) },
		{ .iov_base = (void *)(uintptr_t)ext, .iov_len = ext_len },
		{ .iov_base = (void *)(uintptr_t)msg, .iov_len = msg_len },
	};
	enum host_fault_kind fault;
	bool signal;
	int rc;

	if (hc->dead || !host_chan_sync(nic, c) || host_chan_blocked(nic, c))
		return -EAGAIN;
	fault = host_fault_desc(nic, c, &d);
	host_fault_ring(nic, c);
	rc = host_ring_write(&hc->out, iov, 3, reserve, &signal);
	if (rc == -EBADMSG)
		return host_fatal(nic, c, "host->guest ring read_index corrupt");
	if (rc == -EAGAIN)
		host_chan_block(nic, c, (uint32_t)d.len8 * 8 + HV_RING_TRAILER_SIZE + reserve);
	if (rc == 0 && type == HV_PKT_COMPLETION && tid == host_of(nic)->cur_tid)
		host_of(nic)->cur_completed = true;
	if (rc == 0 && fault == HOST_FAULT_NONE)
		fault = host_fault_written(nic, c, &hc->out);
	if (rc == 0 && fault != HOST_FAULT_NONE) {
		/* The guest cannot read past it: nothing more goes to (or comes from) it. */
		host_fault_sent(nic, c, fault, 0);
		hc->dead = true;
		sim_log("nic %u: channel %u stopped after its ring was corrupted", nic->idx, c);
	}
	if (rc == 0 && signal)
		sim_env_interrupt_guest(nic, c);
	return rc;
}

uint32_t
host_chan_room(struct sim_nic *nic, unsigned int c)
{
	struct host_chan *hc = &host_of(nic)->chan[c];
	uint32_t room;

	/* A channel waiting for room does not look at the guest's read index meanwhile. */
	if (hc->dead || !host_chan_sync(nic, c) || host_chan_blocked(nic, c) ||
	    host_ring_room(&hc->out, &room) < 0)
		return 0;
	return room;
}

bool
host_chan_need(struct sim_nic *nic, unsigned int c, uint32_t len)
{
	if (host_chan_room(nic, c) >= len)
		return true;
	return !host_of(nic)->chan[c].dead && !host_chan_blocked(nic, c) &&
	       !host_chan_block(nic, c, len);
}

/* Split a copied packet into descriptor fields and NVSP message; false if malformed. */
static bool
pkt_parse(const uint8_t *raw, uint32_t len, struct host_pkt *pkt)
{
	const struct hv_vmbus_desc *d = (const struct hv_vmbus_desc *)raw;
	uint32_t hdr = (uint32_t)d->offset8 * 8;

	pkt->type = d->type;
	pkt->flags = d->flags;
	pkt->tid = d->tid;
	pkt->raw = raw;
	pkt->raw_len = len;
	pkt->hdr_len = hdr;
	pkt->msg = raw + hdr;
	pkt->msg_len = len - hdr;
	if (d->type == HV_PKT_DATA_GPA_DIRECT) {
		const struct hv_gpa_direct_hdr *g =
			(const struct hv_gpa_direct_hdr *)(raw + sizeof(*d));

		return hdr >= sizeof(*d) + sizeof(*g) && g->range_count != 0;
	}
	if (d->type == HV_PKT_DATA_XFER_PAGES)
		return hdr >= sizeof(*d) + sizeof(struct hv_xfer_page_hdr);
	return true;
}

unsigned int
host_chan_poll(struct sim_nic *nic, unsigned int c)
{
	struct host_nic *hn = host_of(nic);
	struct host_chan *hc = &hn->chan[c];
	uint32_t w, bytes = 0;
	unsigned int n = 0;
	struct host_pkt pkt;
	int len, rc = 0;

	if (hc->dead || !host_chan_sync(nic, c) || host_fault_hold(nic, c))
		return 0;
	if (host_ring_write_index(&hc->in, &w) < 0) {
		host_fatal(nic, c, "guest->host ring write_index corrupt");
		return 0;
	}
	while (n < HOST_POLL_BUDGET && rc != -EPROTO) {
		/* Stop reading while a reply might not fit: completions are never dropped. */
		if (!host_chan_need(nic, c, HOST_REPLY_ROOM))
			break;
		len = host_ring_peek(&hc->in, w, hn->pkt, sizeof(hn->pkt));
		if (len == 0)
			break;
		if (len < 0 || !pkt_parse(hn->pkt, (uint32_t)len, &pkt)) {
			host_fatal(nic, c, "corrupt packet descriptor in guest->host ring");
			break;
		}
		hn->cur_tid = pkt.tid;
		hn->cur_rc = (pkt.flags & HV_PKT_FLAG_RC) != 0;
		hn->cur_completed = false;
		rc = host_nvsp_packet(nic, c, &pkt);
		if (rc == -EAGAIN)
			break;
		/* Every packet asking for a completion gets one (host_audit.c reports a debt). */
		if (rc == 0 && hn->cur_rc && !hn->cur_completed)
			hn->owed++;
		host_ring_skip(&hc->in, (uint32_t)len);
		bytes += (uint32_t)len + HV_RING_TRAILER_SIZE;
		n++;
	}
	if (bytes != 0 && host_ring_read_done(&hc->in, bytes))
		sim_env_interrupt_guest(nic, c);
	return n;
}
