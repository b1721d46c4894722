/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit test of the receive burst's offload results (hvnet_rx.c on the test host of
 * fake_hvbus.c, with EAL in memory): every combination of the four PPIs a receiver reads
 * (checksum, VLAN, hash value, hash info), with the tag stripped and put back, each in a
 * transfer-page packet of three frames with different values. The first frame of a layout
 * takes the full parse, the next ones the cached layout with the flags worked out when it was
 * learnt: each frame's ol_flags, vlan_tci, RSS hash, packet type and bytes must be what its
 * own PPIs say, whichever way it took, and a layout learnt after another must not keep any
 * of the other's flags.
 */

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_mbuf.h>

#include "check.h"
#include "fake_dev.h"

#define SECTION		2048u
#define RXBUF		(64u * 1024u)
#define FRAMES		3u	/* per packet: one full parse, then the cached layout */
#define FRAME_LEN	60u
#define PPI_LEN		16u	/* element header and a 4-byte value */
#define VID		0x123u
#define PRIO		5u
#define HAVE_ALL	(HVNET_RX_HAVE(HV_PPI_CHECKSUM) | HVNET_RX_HAVE(HV_PPI_VLAN) | \
			 HVNET_RX_HAVE_HASH)

static const uint32_t csum_values[FRAMES] = {
	HV_RXCSUM_IP_OK | HV_RXCSUM_UDP_OK, HV_RXCSUM_IP_FAILED | HV_RXCSUM_UDP_FAILED, 0,
};

static struct fake_dev dev;
static uint64_t next_xid = 1;

/* An IPv4/UDP frame, its payload telling frames apart. */
static void
udp_frame(uint8_t *f, uint32_t seq)
{
	static const uint8_t head[34] = {
		0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, 0x08, 0x00,
		0x45, 0, 0, 46, 0, 0, 0, 0, 64, 17, 0, 0, 192, 0, 2, 1, 192, 0, 2, 2,
	};
	uint32_t i;

	memcpy(f, head, sizeof(head));
	for (i = sizeof(head); i < FRAME_LEN; i++)
		f[i] = (uint8_t)(seq * 31 + i);
}

static uint8_t *
put_ppi(uint8_t *p, uint32_t type, uint32_t val)
{
	const struct hv_rndis_ppi el = { .size = PPI_LEN, .type = type, .data_offset = 12 };

	memcpy(p, &el, sizeof(el));
	memcpy(p + sizeof(el), &val, sizeof(val));
	return p + PPI_LEN;
}

/* Frame k of a packet with the PPIs in have, as an RNDIS PACKET in section k; its range. */
static struct hv_xfer_page_range
put_packet(uint32_t have, uint32_t k)
{
	uint8_t *msg = dev.rxbuf + k * SECTION;
	uint8_t *p = msg + sizeof(struct hv_rndis_packet);
	struct hv_rndis_packet h = {
		.type = HV_RNDIS_MSG_PACKET,
		.ppi_offset = sizeof(h) - HV_RNDIS_OFFSET_BASE,
		.data_length = FRAME_LEN,
	};

	if (have & HVNET_RX_HAVE(HV_PPI_CHECKSUM))
		p = put_ppi(p, HV_PPI_CHECKSUM, csum_values[k]);
	if (have & HVNET_RX_HAVE(HV_PPI_VLAN))
		p = put_ppi(p, HV_PPI_VLAN, ((VID + k) << HV_VLAN_ID_SHIFT) | PRIO);
	if (have & HVNET_RX_HAVE(HV_PPI_HASH_VALUE))
		p = put_ppi(p, HV_PPI_HASH_VALUE, 0x5eed0000u + k);
	if (have & HVNET_RX_HAVE(HV_PPI_HASH_INFO))
		p = put_ppi(p, HV_PPI_HASH_INFO,
			    HV_NDIS_HASH_FUNCTION_TOEPLITZ | HV_NDIS_HASH_UDP_IPV4);
	h.ppi_length = (uint32_t)(p - msg) - sizeof(h);
	h.data_offset = (uint32_t)(p - msg) - HV_RNDIS_OFFSET_BASE;
	h.length = (uint32_t)(p - msg) + FRAME_LEN;
	memcpy(msg, &h, sizeof(h));
	udp_frame(p, k);
	return (struct hv_xfer_page_range){ .byte_count = h.length, .byte_offset = k * SECTION };
}

/* What frame k's PPIs say, written from the specification rather than from the driver. */
static uint64_t
expected_flags(uint32_t have, bool strip, uint32_t k)
{
	uint32_t c = csum_values[k];
	uint64_t f = 0;

	if (have & HVNET_RX_HAVE(HV_PPI_CHECKSUM)) {
		if (c & HV_RXCSUM_IP_OK)
			f |= RTE_MBUF_F_RX_IP_CKSUM_GOOD;
		else if (c & HV_RXCSUM_IP_FAILED)
			f |= RTE_MBUF_F_RX_IP_CKSUM_BAD;
		if (c & (HV_RXCSUM_TCP_OK | HV_RXCSUM_UDP_OK))
			f |= RTE_MBUF_F_RX_L4_CKSUM_GOOD;
		else if (c & (HV_RXCSUM_TCP_FAILED | HV_RXCSUM_UDP_FAILED))
			f |= RTE_MBUF_F_RX_L4_CKSUM_BAD;
	}
	if ((have & HVNET_RX_HAVE_HASH) == HVNET_RX_HAVE_HASH)
		f |= RTE_MBUF_F_RX_RSS_HASH;
	/* A tag put back in the frame is not a stripped one any more (rte_vlan_insert). */
	if (have & HVNET_RX_HAVE(HV_PPI_VLAN))
		f |= RTE_MBUF_F_RX_VLAN | (strip ? RTE_MBUF_F_RX_VLAN_STRIPPED : 0);
	return f;
}

/* Frame k as delivered: the frame sent, with its tag when it was to be put back. */
static void
check_frame(const struct rte_mbuf *m, uint32_t have, bool strip, uint32_t k)
{
	bool vlan = (have & HVNET_RX_HAVE(HV_PPI_VLAN)) != 0;
	bool tagged = vlan && !strip;
	const uint16_t tci = (uint16_t)((PRIO << 13) | (VID + k));
	uint8_t want[FRAME_LEN + RTE_VLAN_HLEN], sent[FRAME_LEN];
	uint32_t len = FRAME_LEN + (tagged ? RTE_VLAN_HLEN : 0);
	uint64_t flags = expected_flags(have, strip, k);
	const uint32_t ptype = tagged ?
		RTE_PTYPE_L2_ETHER_VLAN | RTE_PTYPE_L3_IPV4 | RTE_PTYPE_L4_UDP :
		RTE_PTYPE_L2_ETHER | RTE_PTYPE_L3_IPV4 | RTE_PTYPE_L4_UDP;

	udp_frame(sent, k);
	memcpy(want, sent, 2 * RTE_ETHER_ADDR_LEN);
	if (tagged) {
		want[12] = 0x81;
		want[13] = 0x00;
		want[14] = (uint8_t)(tci >> 8);
		want[15] = (uint8_t)tci;
	}
	memcpy(want + (tagged ? 16 : 12), sent + 12, FRAME_LEN - 12);
	CHECK(m->ol_flags == flags, " have 0x%x strip %d frame %u: ol_flags 0x%" PRIx64
	      ", want 0x%" PRIx64, have, strip, k, m->ol_flags, flags);
	CHECK(!vlan || m->vlan_tci == tci, " have 0x%x strip %d frame %u: vlan_tci 0x%x", have,
	      strip, k, m->vlan_tci);
	CHECK(vlan || m->vlan_tci == 0, " have 0x%x frame %u: a tci without a tag", have, k);
	CHECK(!(flags & RTE_MBUF_F_RX_RSS_HASH) || m->hash.rss == 0x5eed0000u + k,
	      " have 0x%x frame %u: hash 0x%x", have, k, m->hash.rss);
	CHECK(m->packet_type == ptype, " have 0x%x strip %d frame %u: packet type 0x%x", have,
	      strip, k, m->packet_type);
	CHECK(m->nb_segs == 1 && m->pkt_len == len && m->data_len == len &&
	      memcmp(rte_pktmbuf_mtod(m, const void *), want, len) == 0,
	      " have 0x%x strip %d frame %u: %u bytes, not the frame sent", have, strip, k,
	      m->pkt_len);
}

static struct hvnet_rxq *
queue_setup(bool strip)
{
	dev.data.dev_conf.rxmode.offloads = strip ? RTE_ETH_RX_OFFLOAD_VLAN_STRIP : 0;
	CHECK(hvnet_rxq_setup(&dev.hv, 0, 64, SOCKET_ID_ANY, dev.mp, 0,
			      (struct hvnet_rxq **)&dev.rxqs[0]) == 0, "rx queue, strip %d", strip);
	return dev.rxqs[0];
}

/* One packet of FRAMES frames with the PPIs in have, read by one burst. */
static void
one_packet(struct hvnet_rxq *rxq, uint32_t have, bool strip)
{
	struct hv_xfer_page_range r[FRAMES];
	struct rte_mbuf *pkts[32];
	uint32_t acks = dev.chan.nb_acks, k;
	uint16_t n;

	for (k = 0; k < FRAMES; k++)
		r[k] = put_packet(have, k);
	fake_xfer(&dev.chan, next_xid++, r, FRAMES);
	n = hvnet_recv_pkts(rxq, pkts, RTE_DIM(pkts));
	CHECK(n == FRAMES, " have 0x%x strip %d: %u frames of %u", have, strip, n, FRAMES);
	CHECK(dev.chan.nb_acks == acks + 1, " have 0x%x strip %d: the packet not acked once", have,
	      strip);
	CHECK(rxq->layout.min_range != 0 && rxq->layout.have == have,
	      " have 0x%x strip %d: layout not learnt (0x%x)", have, strip, rxq->layout.have);
	for (k = 0; k < n; k++) {
		check_frame(pkts[k], have, strip, k);
		rte_pktmbuf_free(pkts[k]);
	}
}

/*
 * Every PPI subset, in an order where each layout is learnt after one with other flags (the
 * full set first, then each of its subsets), with the tag stripped, then put back.
 */
static void
all_layouts(void)
{
	struct hvnet_rxq *rxq;
	unsigned int strip;
	uint32_t have;

	for (strip = 0; strip < 2; strip++) {
		rxq = queue_setup(strip != 0);
		one_packet(rxq, HAVE_ALL, strip != 0);
		for (have = HAVE_ALL;; have = (have - 1) & HAVE_ALL) {
			one_packet(rxq, have, strip != 0);
			if (have == 0)
				break;
		}
		hvnet_rxq_free(rxq);
		dev.rxqs[0] = NULL;
	}
	CHECK(rte_mempool_in_use_count(dev.mp) == 0, "%u mbufs still in use",
	      rte_mempool_in_use_count(dev.mp));
}

int
main(int argc, char **argv)
{
	if (!fake_dev_eal_init(argc, argv))
		return 1;
	CHECK(fake_dev_init(&dev, "rx_offloads", 255, RXBUF, SECTION), "port");
	all_layouts();
	rte_eal_cleanup();
	return check_done("hvnet-rx-offloads");
}
