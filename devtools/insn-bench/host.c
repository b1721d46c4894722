/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The host model of the instruction benchmark: what Hyper-V's side of a synthetic NIC does
 * with the guest's rings, reduced to the data path. Frames reach the guest as transfer-page
 * packets (one range per frame, each range an RNDIS PACKET with its PPIs in a receive
 * section); the guest's sends are counted and completed. Both guest drivers see the same
 * bytes, written by this one file.
 */

#include <stdio.h>
#include <string.h>

#include "bench.h"

#define FRAME_LEN	64u
#define MAX_RANGES	64u
#define XID_RING	256u	/* transfer-page packets outstanding per queue at most */

struct host_ring {
	struct hv_ring_ctl *ctl;
	uint8_t *data;
	uint32_t size;
};

struct host_q {
	struct host_ring g2h;		/* the guest writes, we read */
	struct host_ring h2g;		/* we write, the guest reads */
	/* Transfer-page packets in flight: the sections each owns. */
	uint32_t sec[XID_RING][MAX_RANGES];
	uint32_t count[XID_RING];
	uint32_t next_xid;		/* the next packet's id (a small number: upstream checks) */
	uint32_t oldest;		/* packets are acked in the order they were sent */
};

static struct host_q hq[BENCH_MAX_QUEUES];

static const struct bench_env *henv;
static struct host_counts counts;
static unsigned int ppis;
static uint32_t free_head, free_tail;	/* sections: a FIFO of indices */
static uint32_t free_sec[BENCH_RX_SECTIONS];

static void
ring_init(struct host_ring *r, uint8_t *base, uint32_t half)
{
	r->ctl = (struct hv_ring_ctl *)base;
	r->data = base + HV_RING_CTL_SIZE;
	r->size = half - HV_RING_CTL_SIZE;
}

/* The bytes of one RNDIS PACKET with ppis PPIs and a 64-byte IPv4/UDP frame. */
static uint32_t
rndis_packet(uint8_t *p, uint32_t seq)
{
	static const uint32_t type[3] = { HV_PPI_CHECKSUM, HV_PPI_HASH_VALUE, HV_PPI_HASH_INFO };
	const uint32_t value[3] = {
		HV_RXCSUM_IP_OK | HV_RXCSUM_UDP_OK, 0x9e3779b9u * seq,
		HV_NDIS_HASH_FUNCTION_TOEPLITZ | HV_NDIS_HASH_UDP_IPV4,
	};
	struct hv_rndis_packet h = { .type = HV_RNDIS_MSG_PACKET };
	uint32_t ppi_len = ppis * (sizeof(struct hv_rndis_ppi) + 4u);
	uint8_t *f, *q;
	unsigned int i;

	h.ppi_offset = sizeof(h) - HV_RNDIS_OFFSET_BASE;
	h.ppi_length = ppi_len;
	h.data_offset = sizeof(h) + ppi_len - HV_RNDIS_OFFSET_BASE;
	h.data_length = FRAME_LEN;
	h.length = sizeof(h) + ppi_len + FRAME_LEN;
	memcpy(p, &h, sizeof(h));
	q = p + sizeof(h);
	for (i = 0; i < ppis; i++) {
		struct hv_rndis_ppi e = {
			.size = sizeof(e) + 4u, .type = type[i], .data_offset = sizeof(e),
		};

		memcpy(q, &e, sizeof(e));
		memcpy(q + sizeof(e), &value[i], 4);
		q += sizeof(e) + 4u;
	}
	/* 02:00:00:00:00:01 <- 02:00:00:00:00:02, IPv4 198.51.100.1 -> .2, UDP 9 -> 9. */
	f = q;
	memset(f, 0, FRAME_LEN);
	f[0] = 0x02; f[5] = 0x01; f[6] = 0x02; f[11] = 0x02;
	f[12] = 0x08; f[13] = 0x00;
	f[14] = 0x45; f[16] = 0; f[17] = FRAME_LEN - 14; f[22] = 64; f[23] = 17;
	f[26] = 198; f[27] = 51; f[28] = 100; f[29] = 1;
	f[30] = 198; f[31] = 51; f[32] = 100; f[33] = 2;
	f[35] = 9; f[37] = 9; f[39] = FRAME_LEN - 34;
	return h.length;
}

void
host_init_ppis(unsigned int nb_ppi)
{
	ppis = nb_ppi;
}

void
host_init(const struct bench_env *env, unsigned int nb_ppi)
{
	unsigned int q, i;

	henv = env;
	ppis = nb_ppi;
	memset(hq, 0, sizeof(hq));
	memset(&counts, 0, sizeof(counts));
	for (q = 0; q < env->nb_queues; q++) {
		ring_init(&hq[q].g2h, env->ring[q], BENCH_RING_BYTES / 2);
		ring_init(&hq[q].h2g, env->ring[q] + BENCH_RING_BYTES / 2, BENCH_RING_BYTES / 2);
		/* The guest polls: it never asks to be signalled in this model. */
		hq[q].next_xid = 1;
		hq[q].oldest = 1;
	}
	for (i = 0; i < BENCH_RX_SECTIONS; i++)
		free_sec[i] = i;
	free_head = 0;
	free_tail = BENCH_RX_SECTIONS;
}

static uint32_t
ring_free(const struct host_ring *r)
{
	uint32_t w = r->ctl->write_index, rd = __atomic_load_n(&r->ctl->read_index,
							       __ATOMIC_ACQUIRE);

	return rd > w ? rd - w : r->size - w + rd;
}

static void
ring_copy_in(const struct host_ring *r, uint32_t *w, const void *src, uint32_t len)
{
	uint32_t first = len < r->size - *w ? len : r->size - *w;

	memcpy(r->data + *w, src, first);
	memcpy(r->data, (const uint8_t *)src + first, len - first);
	*w = (*w + len) % r->size;
}

/* One packet into the host->guest ring: descriptor and header, payload, padding, trailer. */
static int
ring_put(struct host_ring *r, const void *hdr, uint32_t hdr_len, const void *pl, uint32_t pl_len)
{
	static const uint8_t zero[8];
	uint32_t total = (hdr_len + pl_len + 7u) & ~7u;
	uint32_t w = r->ctl->write_index, start = w;
	uint64_t trailer;

	if (total + HV_RING_TRAILER_SIZE >= ring_free(r))
		return -1;
	ring_copy_in(r, &w, hdr, hdr_len);
	ring_copy_in(r, &w, pl, pl_len);
	ring_copy_in(r, &w, zero, total - hdr_len - pl_len);
	trailer = (uint64_t)start << 32;
	ring_copy_in(r, &w, &trailer, sizeof(trailer));
	__atomic_store_n(&r->ctl->write_index, w, __ATOMIC_RELEASE);
	return 0;
}

int
host_produce(unsigned int q, unsigned int k)
{
	struct {
		struct hv_vmbus_desc d;
		struct hv_xfer_page_hdr x;
		struct hv_xfer_page_range r[MAX_RANGES];
	} h;
	const struct hv_nvsp_rndis_pkt msg = { .type = HV_NVSP_MSG_RNDIS_PKT };
	struct host_q *s = &hq[q];
	uint32_t hdr_len = sizeof(h.d) + sizeof(h.x) + k * sizeof(h.r[0]);
	uint32_t slot = s->next_xid % XID_RING, i, sec;

	if (k == 0 || k > MAX_RANGES || free_tail - free_head < k ||
	    s->next_xid - s->oldest >= XID_RING - 1)
		return -1;
	s->count[slot] = k;
	for (i = 0; i < k; i++) {
		sec = free_sec[(free_head + i) % BENCH_RX_SECTIONS];
		s->sec[slot][i] = sec;
		h.r[i].byte_offset = sec * BENCH_RX_SECTION;
		h.r[i].byte_count = rndis_packet(henv->rxbuf + h.r[i].byte_offset,
						 (uint32_t)counts.produced + i);
	}
	h.d = (struct hv_vmbus_desc){
		.type = HV_PKT_DATA_XFER_PAGES, .offset8 = hdr_len / 8,
		.len8 = (hdr_len + sizeof(msg) + 7) / 8, .flags = HV_PKT_FLAG_RC,
		.tid = slot,	/* below the section count: upstream refuses larger ids */
	};
	h.x = (struct hv_xfer_page_hdr){ .set_id = BENCH_RXBUF_ID, .range_count = k };
	if (ring_put(&s->h2g, &h, hdr_len, &msg, sizeof(msg)) != 0)
		return -1;
	free_head += k;
	s->next_xid++;
	counts.produced += k;
	return 0;
}

static void
ring_copy_out(const struct host_ring *r, uint32_t off, void *dst, uint32_t len)
{
	uint32_t first;

	off %= r->size;
	first = len < r->size - off ? len : r->size - off;
	memcpy(dst, r->data + off, first);
	memcpy((uint8_t *)dst + first, r->data, len - first);
}

/* The guest acked transfer-page packet xid: its sections go back to the free FIFO. */
static void
host_ack(struct host_q *s, uint64_t xid)
{
	uint32_t slot = (uint32_t)xid % XID_RING, i;

	if (xid != s->oldest % XID_RING) {
		counts.bad++;
		return;
	}
	for (i = 0; i < s->count[slot]; i++)
		free_sec[(free_tail + i) % BENCH_RX_SECTIONS] = s->sec[slot][i];
	free_tail += s->count[slot];
	s->oldest++;
	counts.acked++;
}

/* RNDIS PACKETs aggregated in send section sec (or, GPA-direct, one). */
static uint32_t
host_frames(const struct hv_nvsp_rndis_pkt *m)
{
	const uint8_t *p;
	uint32_t off = 0, n = 0;
	struct hv_rndis_packet h;

	if (m->section_index == HV_NVSP_NO_SECTION)
		return 1;
	if (m->section_index >= BENCH_TX_SECTIONS || m->section_size > BENCH_TX_SECTION) {
		counts.bad++;
		return 0;
	}
	p = henv->sendbuf + (size_t)m->section_index * BENCH_TX_SECTION;
	while (off + sizeof(h) <= m->section_size) {
		memcpy(&h, p + off, sizeof(h));
		if (h.type != HV_RNDIS_MSG_PACKET || h.length < sizeof(h) ||
		    h.length > m->section_size - off || h.data_length != FRAME_LEN) {
			counts.bad++;
			return n;
		}
		n++;
		off += h.length;
	}
	return n;
}

int
host_consume(unsigned int q)
{
	const struct hv_nvsp_rndis_pkt_complete done = {
		.type = HV_NVSP_MSG_RNDIS_PKT_COMPLETE, .status = HV_NVSP_STATUS_SUCCESS,
	};
	struct host_q *s = &hq[q];
	struct host_ring *r = &s->g2h;
	uint32_t rd = r->ctl->read_index;
	uint32_t w = __atomic_load_n(&r->ctl->write_index, __ATOMIC_ACQUIRE);
	uint64_t before = counts.sent;

	while (rd != w) {
		struct hv_vmbus_desc d, c;
		struct hv_nvsp_rndis_pkt m;

		ring_copy_out(r, rd, &d, sizeof(d));
		if (d.len8 * 8u < d.offset8 * 8u || d.offset8 < 2) {
			counts.bad++;
			break;
		}
		switch (d.type) {
		case HV_PKT_COMPLETION:
			host_ack(s, d.tid);
			break;
		case HV_PKT_DATA_INBAND:
		case HV_PKT_DATA_GPA_DIRECT:
			ring_copy_out(r, rd + d.offset8 * 8u, &m, sizeof(m));
			if (m.type != HV_NVSP_MSG_RNDIS_PKT) {
				counts.bad++;
				break;
			}
			counts.sent += host_frames(&m);
			counts.sends++;
			c = (struct hv_vmbus_desc){
				.type = HV_PKT_COMPLETION, .offset8 = 2,
				.len8 = (sizeof(c) + sizeof(done) + 7) / 8, .tid = d.tid,
			};
			if (ring_put(&s->h2g, &c, sizeof(c), &done, sizeof(done)) != 0)
				counts.bad++;
			break;
		default:
			counts.bad++;
			break;
		}
		rd = (rd + d.len8 * 8u + HV_RING_TRAILER_SIZE) % r->size;
	}
	__atomic_store_n(&r->ctl->read_index, rd, __ATOMIC_RELEASE);
	return (int)(counts.sent - before);
}

void
host_counts(struct host_counts *c)
{
	*c = counts;
}
