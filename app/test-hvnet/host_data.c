/* SPDX-License-Identifier: BSD-3-Clause */
/* Host data path: receive buffer sub-allocations, guest transmit, frames to the guest. */

#include <stdlib.h>
#include <string.h>

#include "host.h"

#define ETH_HLEN	14u
#define ETH_ALEN	6u
#define VLAN_HLEN	4u
#define ETH_P_8021Q	0x8100u
#define RX_PPI_OFFSET	(sizeof(struct hv_rndis_packet) - HV_RNDIS_OFFSET_BASE)
#define RX_PPI_SIZE	(sizeof(struct hv_rndis_ppi) + sizeof(uint32_t))

/* ---- receive buffer bookkeeping ------------------------------------------------------- */

void
host_rxbuf_free(struct host_rxbuf *rx)
{
	free(rx->busy);
	free(rx->sent_on);
	free(rx->next);
	free(rx->stack);
	memset(rx, 0, sizeof(*rx));
}

static void
rx_push(struct host_nic *hn, uint32_t idx)
{
	struct host_rxbuf *rx = &hn->rx;
	uint32_t c;

	if (idx < HOST_CTL_SUBALLOCS || rx->per_chan == 0)
		return;
	c = (idx - HOST_CTL_SUBALLOCS) / rx->per_chan;
	/* Indices past the even split (the remainder) are never handed out. */
	if (c < rx->nsplit)
		rx->stack[c * rx->per_chan + hn->chan[c].rx_top++] = idx;
}

void
host_rxbuf_split(struct sim_nic *nic)
{
	struct host_nic *hn = host_of(nic);
	struct host_rxbuf *rx = &hn->rx;
	uint32_t c, idx, data;

	if (rx->busy == NULL)
		return;
	data = rx->count > HOST_CTL_SUBALLOCS ? rx->count - HOST_CTL_SUBALLOCS : 0;
	rx->nsplit = nic->nchan ? nic->nchan : 1;
	rx->per_chan = data / rx->nsplit;
	for (c = 0; c < SIM_MAX_CHANNELS; c++)
		hn->chan[c].rx_top = 0;
	/* Highest first so that each stack hands out its lowest index first. */
	for (idx = HOST_CTL_SUBALLOCS + rx->per_chan * rx->nsplit; idx-- > HOST_CTL_SUBALLOCS;)
		if (!rx->busy[idx])
			rx_push(hn, idx);
}

int
host_rxbuf_setup(struct sim_nic *nic, uint16_t id)
{
	struct host_nic *hn = host_of(nic);
	struct host_rxbuf *rx = &hn->rx;
	uint32_t size = HV_RXBUF_HEADROOM + hn->ndis_mtu + HV_RXBUF_TAILROOM;
	size_t count;
	unsigned int c;

	host_rxbuf_free(rx);
	/* Batches name sub-allocations of the old buffer. */
	for (c = 0; c < SIM_MAX_CHANNELS; c++)
		memset(&hn->chan[c].batch, 0, sizeof(hn->chan[c].batch));
	if (nic->rxbuf == NULL || nic->rxbuf_size > UINT32_MAX)
		return -EINVAL;
	count = nic->rxbuf_size / size;
	if (count == 0)
		return -EINVAL;
	rx->busy = calloc(count, 1);
	rx->sent_on = calloc(count, 1);
	rx->next = calloc(count, sizeof(*rx->next));
	rx->stack = calloc(count, sizeof(*rx->stack));
	if (rx->busy == NULL || rx->sent_on == NULL || rx->next == NULL || rx->stack == NULL) {
		host_rxbuf_free(rx);
		return -ENOMEM;
	}
	rx->id = id;
	rx->packed = nic->sim->opt.rx_layout == SIM_RX_LAYOUT_PACKED;
	rx->sub_size = size;
	rx->count = (uint32_t)count;
	rx->ready = true;
	host_rxbuf_split(nic);
	return 0;
}

int
host_rxbuf_take_ctl(struct host_rxbuf *rx)
{
	uint32_t i;

	for (i = 0; i < HOST_CTL_SUBALLOCS && i < rx->count; i++) {
		if (rx->busy[i] == HOST_RX_FREE) {
			rx->busy[i] = HOST_RX_HEAD;
			rx->next[i] = HOST_RX_NONE;
			return (int)i;
		}
	}
	return -1;
}

static int
rxbuf_take_data(struct host_nic *hn, unsigned int c)
{
	struct host_rxbuf *rx = &hn->rx;
	uint32_t idx;

	if (c >= rx->nsplit || hn->chan[c].rx_top == 0)
		return -1;
	idx = rx->stack[c * rx->per_chan + --hn->chan[c].rx_top];
	rx->busy[idx] = HOST_RX_PENDING;
	rx->next[idx] = HOST_RX_NONE;
	return (int)idx;
}

void
host_rxbuf_put_back(struct sim_nic *nic, uint32_t idx)
{
	struct host_nic *hn = host_of(nic);

	if (hn->fault != NULL)
		host_fault_released(nic, idx);
	hn->rx.busy[idx] = HOST_RX_FREE;
	rx_push(hn, idx);
}

int
host_rxbuf_release(struct sim_nic *nic, unsigned int c, uint64_t tid)
{
	struct host_rxbuf *rx = &host_of(nic)->rx;
	uint32_t idx, next, i;
	bool known = rx->busy != NULL && tid < rx->count && rx->busy[tid] == HOST_RX_HEAD;

	/*
	 * After a revoke the guest may still ack what it had (and some of it may have been
	 * counted already by the audit): taken when known, never fatal.
	 */
	if (!rx->ready && rx->busy != NULL && !known)
		return 0;
	/* Only the first sub-allocation of a sent packet names it. */
	if (!known)
		return host_fatal(nic, c, "receive completion with an unknown or duplicate id");
	/* The chain is host memory, built by rx_batch_send; the bound is only a safety net. */
	for (idx = (uint32_t)tid, i = 0; idx != HOST_RX_NONE && i < HOST_RX_BATCH_MAX; i++) {
		next = rx->next[idx];
		host_rxbuf_put_back(nic, idx);
		idx = next;
	}
	return 0;
}

/* Ring bytes (trailer included) of a transfer-page packet with n ranges. */
static uint32_t
xfer_ring_bytes(const struct host_nic *hn, uint32_t n)
{
	uint32_t len = (uint32_t)(sizeof(struct hv_vmbus_desc) + sizeof(struct hv_xfer_page_hdr) +
				  n * sizeof(struct hv_xfer_page_range)) + hn->msg_size;

	return ((len + HV_RING_ALIGN - 1) & ~(HV_RING_ALIGN - 1)) + HV_RING_TRAILER_SIZE;
}

/* The honest way a packet of n ranges goes out. */
static struct host_xfer_out
xfer_out(const struct host_nic *hn, uint32_t n)
{
	return (struct host_xfer_out){ .nranges = n, .claim = n, .set_id = hn->rx.id,
				       .nvsp_type = HV_NVSP_MSG_RNDIS_PKT };
}

/* Send x (its ranges filled) as one transfer-page packet; same returns as host_chan_send. */
static int
send_xfer(struct sim_nic *nic, unsigned int c, uint64_t tid, struct host_xfer *x,
	  const struct host_xfer_out *out, uint32_t chan_type)
{
	struct host_nic *hn = host_of(nic);
	uint8_t msg[HV_NVSP_MSG_SIZE_V61] = { 0 };
	struct hv_nvsp_rndis_pkt m = {
		.type = out->nvsp_type,
		.channel_type = chan_type,
		.section_index = HV_NVSP_NO_SECTION,
	};

	x->hdr = (struct hv_xfer_page_hdr){ .set_id = out->set_id, .range_count = out->claim };
	memcpy(msg, &m, sizeof(m));
	return host_chan_send(nic, c, HV_PKT_DATA_XFER_PAGES, HV_PKT_FLAG_RC, tid, x,
			      (uint32_t)(sizeof(x->hdr) + out->nranges * sizeof(x->range[0])),
			      msg, hn->msg_size, HOST_REPLY_ROOM);
}

int
host_send_xfer(struct sim_nic *nic, unsigned int c, uint32_t idx, uint32_t byte_count,
	       uint32_t chan_type)
{
	struct host_nic *hn = host_of(nic);
	const struct host_xfer_out out = xfer_out(hn, 1);
	int rc;

	hn->xfer.range[0] = (struct hv_xfer_page_range){
		.byte_count = byte_count,
		.byte_offset = idx * hn->rx.sub_size,
	};
	rc = send_xfer(nic, c, idx, &hn->xfer, &out, chan_type);
	if (rc == 0)
		hn->rx.sent_on[idx] = (uint8_t)c;
	return rc;
}

/* ---- batches of received frames ---------------------------------------------------------- */

/* Ranges per data packet: what the NDIS version the guest announced allows. */
static uint32_t
batch_limit(const struct host_nic *hn)
{
	return hn->ndis_version >= HOST_NDIS_6_0 ? HOST_RX_BATCH_MAX : HOST_RX_BATCH_OLD;
}

/* Send channel c's batch as one packet; 0 (also when empty) or host_chan_send's error. */
static int
rx_batch_send(struct sim_nic *nic, unsigned int c)
{
	struct host_nic *hn = host_of(nic);
	struct host_rx_batch *b = &hn->chan[c].batch;
	struct host_xfer_out out = xfer_out(hn, b->n);
	enum host_fault_kind fault;
	uint32_t idx = b->head, i;
	int rc;

	if (b->n == 0)
		return 0;
	/* Members may be marked before the send: only the head's state makes the packet known. */
	for (i = 0; i < b->n; i++, idx = hn->rx.next[idx]) {
		hn->xfer.range[i] = (struct hv_xfer_page_range){
			.byte_count = hn->rx.sub_size,
			.byte_offset = idx * hn->rx.sub_size,
		};
		hn->rx.busy[idx] = i ? HOST_RX_MEMBER : HOST_RX_PENDING;
	}
	fault = host_fault_xfer(nic, c, &hn->xfer, b->n, &out);
	rc = send_xfer(nic, c, b->head, &hn->xfer, &out, HV_NVSP_RNDIS_CHAN_DATA);
	if (rc < 0)
		return rc;
	if (fault != HOST_FAULT_NONE)
		host_fault_sent(nic, c, fault, host_fault_xfer_lost(fault, b->n));
	hn->rx.busy[b->head] = HOST_RX_HEAD;
	hn->rx.sent_on[b->head] = (uint8_t)c;
	memset(b, 0, sizeof(*b));
	return 0;
}

/* Give back a batch that will never be sent; its frames count as dropped, not delivered. */
static void
rx_batch_drop(struct sim_nic *nic, unsigned int c)
{
	struct host_nic *hn = host_of(nic);
	struct host_rx_batch *b = &hn->chan[c].batch;
	uint32_t idx = b->head, next, i;

	for (i = 0; i < b->n; i++, idx = next) {
		next = hn->rx.next[idx];
		host_rxbuf_put_back(nic, idx);
	}
	nic->stats.to_guest_frames -= b->n;
	nic->stats.to_guest_bytes -= b->bytes;
	nic->stats.rx_nobuf += b->n;
	memset(b, 0, sizeof(*b));
}

void
host_rxbuf_revoke(struct sim_nic *nic)
{
	struct host_nic *hn = host_of(nic);
	unsigned int c;

	for (c = 0; c < nic->nchan && c < SIM_MAX_CHANNELS; c++) {
		if (hn->chan[c].batch.n == 0 || rx_batch_send(nic, c) == 0)
			continue;
		sim_vlog(nic, "receive buffer revoked: %u batched frames dropped on channel %u",
			 hn->chan[c].batch.n, c);
		rx_batch_drop(nic, c);
	}
	hn->rx.ready = false;
	/* Counted at the end of this poll round, once every channel's acks were read. */
	hn->audit_due = true;
}

/* A range more is that many bytes more in the ring: ranges keep the ring's alignment. */
_Static_assert(sizeof(struct hv_xfer_page_range) % HV_RING_ALIGN == 0, "range size aligned");

/*
 * Channel c's ring has room for the batch's packet with n ranges (and a reply). Only the guest
 * frees room, so what fitted at the last look still fits while the host wrote nothing since:
 * the guest's read index (a line its reader keeps writing) is read only when the batch outgrows
 * that, not once per frame.
 */
static bool
rx_batch_fits(struct sim_nic *nic, unsigned int c, uint32_t n)
{
	struct host_nic *hn = host_of(nic);
	struct host_chan *hc = &hn->chan[c];
	struct host_rx_batch *b = &hc->batch;
	uint32_t room, fixed;

	if (n <= b->fits && b->fits_idx == hc->out.idx && !hc->dead && hc->pending == 0)
		return true;
	room = host_chan_room(nic, c);
	fixed = xfer_ring_bytes(hn, 0) + HOST_REPLY_ROOM;
	b->fits = room > fixed ? (room - fixed) / sizeof(struct hv_xfer_page_range) : 0;
	b->fits_idx = hc->out.idx;
	return n <= b->fits;
}

/*
 * Make channel c's batch able to take one more frame: send it first when it is full or the
 * ring could not take it one range bigger. -ENOBUFS when the ring has no room even then.
 */
static int
rx_batch_room(struct sim_nic *nic, unsigned int c)
{
	struct host_nic *hn = host_of(nic);
	struct host_rx_batch *b = &hn->chan[c].batch;

	if (b->n < batch_limit(hn) && rx_batch_fits(nic, c, b->n + 1))
		return 0;
	if (rx_batch_send(nic, c) < 0)
		return -ENOBUFS;
	return host_chan_need(nic, c, xfer_ring_bytes(hn, 1) + HOST_REPLY_ROOM) ? 0 : -ENOBUFS;
}

static void
rx_batch_add(struct host_nic *hn, unsigned int c, uint32_t idx, uint32_t bytes)
{
	struct host_rx_batch *b = &hn->chan[c].batch;

	if (b->n == 0)
		b->head = idx;
	else
		hn->rx.next[b->tail] = idx;
	b->tail = idx;
	b->n++;
	b->bytes += bytes;
}

unsigned int
host_nic_flush(struct sim_nic *nic)
{
	struct host_nic *hn = host_of(nic);
	unsigned int c, sent = 0;

	if (hn == NULL || !hn->rx.ready)
		return 0;
	for (c = 0; c < nic->nchan && c < SIM_MAX_CHANNELS; c++) {
		uint32_t n = hn->chan[c].batch.n;

		if (n == 0)
			continue;
		/* A stopped channel will never take them: count them as dropped. */
		if (hn->chan[c].dead)
			rx_batch_drop(nic, c);
		else if (rx_batch_send(nic, c) == 0)
			sent += n;
	}
	return sent;
}

/* ---- reading what a carrier points at -------------------------------------------------- */

static int
read_section(struct sim_nic *nic, unsigned int c, const struct hv_nvsp_rndis_pkt *m,
	     uint32_t *len)
{
	struct host_nic *hn = host_of(nic);

	if (!hn->have_sendbuf)
		return host_fatal(nic, c, "send-buffer section used without a send buffer");
	if (m->section_index >= hn->sendbuf_sections)
		return host_fatal(nic, c, "send-buffer section index out of range");
	if (m->section_size == 0 || m->section_size > HV_SENDBUF_SECTION_SIZE)
		return host_fatal(nic, c, "send-buffer section size out of range");
	/* Copy once: the guest may rewrite the section while the host parses it. */
	memcpy(hn->gather, nic->sendbuf + (size_t)m->section_index * HV_SENDBUF_SECTION_SIZE,
	       m->section_size);
	*len = m->section_size;
	return 0;
}

/* Read one GPA range's pages, one guest read per run of consecutive PFNs. */
static int
read_range(struct sim_nic *nic, const uint8_t *pfns, uint32_t off, uint32_t count,
	   uint8_t *dst)
{
	uint64_t start = 0, pfn, prev = 0;
	uint32_t run = 0;

	for (; count != 0; pfns += sizeof(pfn), off = 0) {
		uint32_t chunk = HV_PAGE_SIZE - off;

		if (chunk > count)
			chunk = count;
		memcpy(&pfn, pfns, sizeof(pfn));
		if (pfn > (UINT64_MAX >> HV_PAGE_SHIFT))
			return -EIO;
		if (run != 0 && pfn != prev + 1) {
			if (sim_env_guest_read(nic, start, dst, run) < 0)
				return -EIO;
			dst += run;
			run = 0;
		}
		if (run == 0)
			start = (pfn << HV_PAGE_SHIFT) + off;
		run += chunk;
		count -= chunk;
		prev = pfn;
	}
	if (run != 0 && sim_env_guest_read(nic, start, dst, run) < 0)
		return -EIO;
	return 0;
}

/* Whether a range (its first PFN, offset) starts in the guest's view of a receive buffer. */
static bool
range_in_rxbuf(struct sim_nic *nic, const uint8_t *pfns, uint32_t off)
{
	uint64_t pfn;

	memcpy(&pfn, pfns, sizeof(pfn));
	return pfn <= (UINT64_MAX >> HV_PAGE_SHIFT) &&
	       sim_env_guest_in_rxbuf(nic, (pfn << HV_PAGE_SHIFT) + off);
}

/* Append the bytes of every GPA range after the first off bytes of hn->gather. */
static int
read_gpa(struct sim_nic *nic, unsigned int c, const struct host_pkt *pkt, uint32_t off,
	 uint32_t *len)
{
	struct host_nic *hn = host_of(nic);
	struct hv_gpa_direct_hdr g;
	uint32_t pos = sizeof(struct hv_vmbus_desc) + sizeof(g), total = off, i;
	bool failed = false;

	memcpy(&g, pkt->raw + sizeof(struct hv_vmbus_desc), sizeof(g));
	hn->gather_rxbuf = false;
	for (i = 0; i < g.range_count; i++) {
		struct hv_gpa_range r;
		uint64_t npfn;

		if (pkt->hdr_len - pos < sizeof(r))
			return host_fatal(nic, c, "GPA-direct range list overruns its header");
		memcpy(&r, pkt->raw + pos, sizeof(r));
		pos += sizeof(r);
		if (r.byte_offset >= HV_PAGE_SIZE)
			return host_fatal(nic, c, "GPA-direct range offset beyond its first page");
		npfn = ((uint64_t)r.byte_offset + r.byte_count + HV_PAGE_SIZE - 1) / HV_PAGE_SIZE;
		if (npfn * sizeof(uint64_t) > pkt->hdr_len - pos)
			return host_fatal(nic, c, "GPA-direct PFN list overruns its header");
		if (!failed && r.byte_count > sizeof(hn->gather) - total)
			failed = true;
		if (!failed && read_range(nic, pkt->raw + pos, r.byte_offset, r.byte_count,
					  hn->gather + total) < 0)
			failed = true;
		/* After the read: a first read of the receive buffer maps it (sim_env.c). */
		if (!failed && !hn->gather_rxbuf)
			hn->gather_rxbuf = range_in_rxbuf(nic, pkt->raw + pos, r.byte_offset);
		if (!failed)
			total += r.byte_count;
		pos += (uint32_t)npfn * sizeof(uint64_t);
	}
	*len = total - off;
	return failed ? -EIO : 0;
}

int
host_carrier_read(struct sim_nic *nic, unsigned int c, const struct host_pkt *pkt,
		  const struct hv_nvsp_rndis_pkt *m, uint32_t *chim_len, uint32_t *len)
{
	bool gpa = pkt->type == HV_PKT_DATA_GPA_DIRECT;
	uint32_t gpa_len = 0;
	int rc;

	*chim_len = 0;
	*len = 0;
	/* A GPA-direct carrier may also name a section: messages batched before it. */
	if (m->section_index != HV_NVSP_NO_SECTION && (!gpa || m->section_size != 0)) {
		rc = read_section(nic, c, m, chim_len);
		if (rc < 0)
			return rc;
	} else if (!gpa) {
		return host_fatal(nic, c, "in-band RNDIS packet without a send-buffer section");
	}
	rc = gpa ? read_gpa(nic, c, pkt, *chim_len, &gpa_len) : 0;
	*len = *chim_len + gpa_len;
	return rc;
}

/* ---- guest transmit -------------------------------------------------------------------- */

/* Check one PPI element; false makes the whole packet fail. */
static bool
tx_ppi(const uint8_t *el, uint32_t size, uint32_t data_len, struct host_tx_ol *meta)
{
	struct hv_rndis_ppi p;
	uint32_t v, thoff;

	memcpy(&p, el, sizeof(p));
	if (p.type != HV_PPI_CHECKSUM && p.type != HV_PPI_VLAN && p.type != HV_PPI_LSO)
		return true;	/* hash value, queue id and others carry nothing for the host */
	if (p.data_offset < sizeof(p) || p.data_offset > size - sizeof(v))
		return false;
	memcpy(&v, el + p.data_offset, sizeof(v));
	switch (p.type) {
	case HV_PPI_CHECKSUM:
		thoff = (v >> HV_TXCSUM_THOFF_SHIFT) & HV_TXCSUM_THOFF_MASK;
		if (thoff == 0) {
			meta->csum = true;
			meta->csum_info = v;
			return true;
		}
		if ((v & HV_TXCSUM_IPV4) && thoff < ETH_HLEN + 20)
			return false;
		if ((v & HV_TXCSUM_IPV6) && thoff < ETH_HLEN + 40)
			return false;
		meta->csum = true;
		meta->csum_info = v;
		return thoff < data_len;
	case HV_PPI_VLAN:
		meta->vlan = true;
		meta->vlan_info = v;
		return true;
	default:
		meta->lso = true;
		meta->lso_info = v;
		return true;
	}
}

static bool
tx_ppi_walk(const uint8_t *ppi, uint32_t len, uint32_t data_len,
	    struct host_tx_ol *meta)
{
	uint32_t pos = 0, size;

	while (pos < len) {
		if (len - pos < sizeof(struct hv_rndis_ppi))
			return false;
		memcpy(&size, ppi + pos, sizeof(size));
		if (size < sizeof(struct hv_rndis_ppi) || size > len - pos || (size & 3))
			return false;
		if (!tx_ppi(ppi + pos, size, data_len, meta))
			return false;
		pos += size;
	}
	return true;
}

/* Within the message when offset (from byte 8) and len fit; 64-bit so nothing wraps. */
static bool
span_ok(uint32_t msglen, uint32_t off, uint32_t len)
{
	return off >= RX_PPI_OFFSET &&
	       (uint64_t)HV_RNDIS_OFFSET_BASE + off + len <= msglen;
}

/* Validate one RNDIS PACKET and hand its frame to the wire; false = failed packet. */
static bool
tx_packet(struct sim_nic *nic, unsigned int c, const uint8_t *msg, uint32_t msglen,
	  bool chimney)
{
	struct host_tx_ol meta = { .vlan = false };
	struct hv_rndis_packet p;

	memcpy(&p, msg, sizeof(p));
	if (p.oob_offset || p.oob_length || p.num_oob || p.vc_handle)
		return false;
	if (p.data_length < ETH_HLEN || !span_ok(msglen, p.data_offset, p.data_length))
		return false;
	if (p.ppi_length != 0 && (!span_ok(msglen, p.ppi_offset, p.ppi_length) ||
				  !tx_ppi_walk(msg + HV_RNDIS_OFFSET_BASE + p.ppi_offset,
					       p.ppi_length, p.data_length, &meta)))
		return false;
	if (host_offload_tx(nic, c, msg + HV_RNDIS_OFFSET_BASE + p.data_offset, p.data_length,
			    &meta) != 0)
		return false;
	if (chimney) {
		nic->stats.tx_chimney++;
	} else {
		nic->stats.tx_gpa++;
		nic->stats.tx_gpa_rxbuf += host_of(nic)->gather_rxbuf;
	}
	return true;
}

/* Walk the PACKET messages in gather[pos, end) by their length; false if any failed. */
static bool
tx_messages(struct sim_nic *nic, unsigned int c, uint32_t pos, uint32_t end, bool chimney)
{
	struct host_nic *hn = host_of(nic);
	uint32_t start = pos;
	bool ok = true;

	while (end - pos >= sizeof(struct hv_rndis_hdr)) {
		struct hv_rndis_hdr h;

		memcpy(&h, hn->gather + pos, sizeof(h));
		/* Zero padding after the last message ends the walk. */
		if (h.type == 0 && h.length == 0 && pos != start)
			break;
		if (h.type != HV_RNDIS_MSG_PACKET || h.length < sizeof(struct hv_rndis_packet) ||
		    h.length > end - pos) {
			nic->stats.tx_errors++;
			return false;
		}
		if (!tx_packet(nic, c, hn->gather + pos, h.length, chimney)) {
			nic->stats.tx_errors++;
			ok = false;
		}
		pos += h.length;
	}
	return ok;
}

int
host_data_tx(struct sim_nic *nic, unsigned int c, const struct host_pkt *pkt,
	     const struct hv_nvsp_rndis_pkt *m)
{
	uint32_t status = HV_NVSP_STATUS_SUCCESS, chim_len, len;
	int rc;

	rc = host_carrier_read(nic, c, pkt, m, &chim_len, &len);
	if (rc == -EPROTO)
		return rc;
	if (rc < 0) {
		nic->stats.tx_errors++;
		status = HV_NVSP_STATUS_FAILURE;
	} else {
		/* Both parts are walked even if the first had a bad packet. */
		bool chim_ok = tx_messages(nic, c, 0, chim_len, true);
		bool gpa_ok = tx_messages(nic, c, chim_len, len, false);

		if (!chim_ok || !gpa_ok)
			status = HV_NVSP_STATUS_FAILURE;
	}
	rc = host_nvsp_rndis_complete(nic, c, pkt->tid, status);
	if (rc == 0)
		host_fault_tx_done(nic, c, pkt->tid);
	return rc;
}

/* ---- frames to the guest --------------------------------------------------------------- */

static bool
filter_accepts(const struct sim_nic *nic, uint32_t filter, const uint8_t *dst)
{
	static const uint8_t bcast[ETH_ALEN] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

	if (filter & HV_NDIS_PACKET_TYPE_PROMISCUOUS)
		return true;
	if (memcmp(dst, bcast, ETH_ALEN) == 0)
		return filter & HV_NDIS_PACKET_TYPE_BROADCAST;
	/* No multicast list is kept, so MULTICAST accepts every group like ALL_MULTICAST. */
	if (dst[0] & 1)
		return filter & (HV_NDIS_PACKET_TYPE_MULTICAST | HV_NDIS_PACKET_TYPE_ALL_MULTICAST);
	return (filter & HV_NDIS_PACKET_TYPE_DIRECTED) && memcmp(dst, nic->mac, ETH_ALEN) == 0;
}

static uint8_t *
put_ppi(uint8_t *p, uint32_t type, uint32_t value)
{
	struct hv_rndis_ppi h = {
		.size = RX_PPI_SIZE,
		.type = type,
		.data_offset = sizeof(h),
	};

	memcpy(p, &h, sizeof(h));
	memcpy(p + sizeof(h), &value, sizeof(value));
	return p + RX_PPI_SIZE;
}

struct rx_meta {
	bool vlan;
	uint32_t vlan_info;
	struct sim_rx_memo d;	/* derived from the headers */
};

/* Write RNDIS header, PPIs and frame (tag already stripped) into sub-allocation idx. */
static void
rx_fill(struct host_nic *hn, uint32_t idx, const uint8_t *frame, uint32_t len,
	const struct rx_meta *meta, uint8_t *rxbuf)
{
	uint8_t *sub = rxbuf + (size_t)idx * hn->rx.sub_size;
	uint8_t *p = sub + sizeof(struct hv_rndis_packet);
	struct hv_rndis_packet h = {
		.type = HV_RNDIS_MSG_PACKET,
		.length = hn->rx.sub_size,
		.data_length = len,
		.ppi_offset = RX_PPI_OFFSET,
	};
	uint8_t *data;

	/* Always there, as from Hyper-V; 0 ("no information") unless rx checksums are on. */
	p = put_ppi(p, HV_PPI_CHECKSUM, meta->d.csum);
	if (meta->vlan)
		p = put_ppi(p, HV_PPI_VLAN, meta->vlan_info);
	if (meta->d.hashed) {
		p = put_ppi(p, HV_PPI_HASH_VALUE, meta->d.hash);
		p = put_ppi(p, HV_PPI_HASH_INFO, HV_NDIS_HASH_FUNCTION_TOEPLITZ | meta->d.hash_type);
	}
	h.ppi_length = (uint32_t)(p - sub - sizeof(h));
	data = hn->rx.packed ? p : sub + HV_RXBUF_HEADROOM;
	h.data_offset = (uint32_t)(data - sub) - HV_RNDIS_OFFSET_BASE;
	memcpy(sub, &h, sizeof(h));
	if (meta->vlan) {
		memcpy(data, frame, 2 * ETH_ALEN);
		memcpy(data + 2 * ETH_ALEN, frame + 2 * ETH_ALEN + VLAN_HLEN, len - 2 * ETH_ALEN);
	} else {
		memcpy(data, frame, len);
	}
}

/* RSS hash and checksum verdict of the frame: memo's when it is current, else derived (kept). */
static void
rx_derive(struct sim_nic *nic, const uint8_t *frame, uint32_t len, struct sim_rx_memo *memo,
	  struct sim_rx_memo *d)
{
	struct host_nic *hn = host_of(nic);

	if (memo != NULL && memo->epoch == hn->rx_epoch) {
		*d = *memo;
		return;
	}
	d->epoch = hn->rx_epoch;
	d->hashed = hn->rss_on && rss_frame_hash(&hn->rss_hasher, hn->rss_hash_info, frame, len,
						 &d->hash, &d->hash_type);
	d->csum = host_offload_rx_csum(nic, frame, len);
	if (memo != NULL)
		*memo = *d;
}

/* Pick the channel from the RSS table; 0 when not hashed or the entry is not usable. */
static unsigned int
rx_channel(struct sim_nic *nic, const struct sim_rx_memo *d)
{
	struct host_nic *hn = host_of(nic);
	unsigned int c;

	if (!d->hashed)
		return 0;
	c = hn->rss_table[d->hash & (HV_NDIS_RSS_INDIRECTION_SIZE - 1)];
	if (c >= nic->nchan || hn->chan[c].dead || !host_chan_sync(nic, c))
		return 0;
	return c;
}

/* Fault filter_late armed: frames the cleared filter took still come, as if in flight. */
static bool
filter_late(const struct host_nic *hn)
{
	return hn->filter == HV_NDIS_PACKET_TYPE_NONE &&
	       hn->filter_cleared != HV_NDIS_PACKET_TYPE_NONE &&
	       hn->fault_left[HOST_FAULT_FILTER_LATE] != 0;
}

bool
host_nic_listening(const struct sim_nic *nic)
{
	const struct host_nic *hn = host_of(nic);

	return hn->state == HOST_READY && hn->rx.ready &&
	       (hn->filter != HV_NDIS_PACKET_TYPE_NONE || filter_late(hn));
}

/*
 * Whether a frame the guest's filter refused comes all the same (fault filter_late, counted
 * once the frame is on its way). Out of line: an accepted frame never pays for the fault.
 */
static __attribute__((noinline)) bool
filter_late_passes(struct sim_nic *nic, const uint8_t *dst)
{
	const struct host_nic *hn = host_of(nic);

	return filter_late(hn) && filter_accepts(nic, hn->filter_cleared, dst);
}

int
host_nic_receive(struct sim_nic *nic, const uint8_t *frame, uint32_t len)
{
	return host_nic_receive_memo(nic, frame, len, NULL);
}

int
host_nic_receive_memo(struct sim_nic *nic, const uint8_t *frame, uint32_t len,
		      struct sim_rx_memo *memo)
{
	struct host_nic *hn = host_of(nic);
	struct rx_meta meta = { .vlan = false };
	uint32_t flen = len;
	unsigned int c;
	bool late;
	int idx;

	if (len < ETH_HLEN)
		return -EINVAL;
	if (!nic->link_up) {
		nic->stats.rx_link_down++;
		return -EPERM;
	}
	/* Switched to the VF: unicast for the NIC goes there, the rest stays synthetic. */
	if (hn->datapath_vf && host_vf_receive(nic, frame, len))
		return SIM_CHAN_VF;
	late = !filter_accepts(nic, hn->filter, frame);
	if (late && !filter_late_passes(nic, frame)) {
		nic->stats.rx_filtered++;
		return -EPERM;
	}
	if (hn->state != HOST_READY || !hn->rx.ready || hn->chan[0].dead) {
		nic->stats.rx_nobuf++;
		return -EPERM;
	}
	if (len >= ETH_HLEN + VLAN_HLEN && frame[12] == (ETH_P_8021Q >> 8) &&
	    frame[13] == (ETH_P_8021Q & 0xff)) {
		uint32_t tci = ((uint32_t)frame[14] << 8) | frame[15];

		/* NDIS always strips the tag and reports it in a VLAN PPI. */
		meta.vlan = true;
		meta.vlan_info = (tci >> 13) | (((tci >> 12) & 1) << 3) |
				 ((tci & HV_VLAN_ID_MASK) << HV_VLAN_ID_SHIFT);
		flen -= VLAN_HLEN;
	}
	if (flen > hn->rx.sub_size - HV_RXBUF_HEADROOM)
		return -EINVAL;
	rx_derive(nic, frame, len, memo, &meta.d);
	c = rx_channel(nic, &meta.d);
	if (late && hn->fault_chan[HOST_FAULT_FILTER_LATE] >= 0 &&
	    (unsigned int)hn->fault_chan[HOST_FAULT_FILTER_LATE] != c) {
		nic->stats.rx_filtered++;	/* the fault is for another channel */
		return -EPERM;
	}
	if (rx_batch_room(nic, c) < 0)
		return -ENOBUFS;
	idx = rxbuf_take_data(hn, c);
	if (idx < 0)
		return -ENOBUFS;
	rx_fill(hn, (uint32_t)idx, frame, flen, &meta, nic->rxbuf);
	if (hn->fault != NULL)	/* armed once: no call per frame in most runs */
		host_fault_rx_frame(nic, c, nic->rxbuf + (size_t)idx * hn->rx.sub_size,
				    hn->rx.sub_size);
	rx_batch_add(hn, c, (uint32_t)idx, flen);
	if (late)
		host_fault_sent(nic, c, HOST_FAULT_FILTER_LATE, 1);
	nic->stats.to_guest_frames++;
	nic->stats.to_guest_bytes += flen;
	if (meta.d.csum & (HV_RXCSUM_IP_FAILED | HV_RXCSUM_TCP_FAILED | HV_RXCSUM_UDP_FAILED))
		nic->stats.rx_csum_bad++;
	/* A full batch goes now; if the ring refuses it, the next frame or flush retries. */
	if (hn->chan[c].batch.n == batch_limit(hn))
		rx_batch_send(nic, c);
	return (int)c;
}
