/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hvnet_ptype() against rte_net_get_ptype() on frames of every shape its short path takes
 * or must leave to the library: both must give the same type for each, in every length
 * from the Ethernet header up. No EAL: the mbufs are plain structs over test buffers.
 */

#include <stdio.h>
#include <string.h>

#include "check.h"
#include "hvnet_ptype.h"

#define FRAME_MAX	128u

struct shape {
	const char *name;
	uint16_t ether_type;
	uint8_t l3[48];		/* after the Ethernet header */
};

static const struct shape shapes[] = {
	{ "ipv4 udp", RTE_ETHER_TYPE_IPV4, { 0x45, 0, 0, 50, 0, 0, 0, 0, 64, IPPROTO_UDP } },
	{ "ipv4 tcp", RTE_ETHER_TYPE_IPV4, { 0x45, 0, 0, 50, 0, 0, 0, 0, 64, IPPROTO_TCP } },
	{ "ipv4 icmp", RTE_ETHER_TYPE_IPV4, { 0x45, 0, 0, 50, 0, 0, 0, 0, 64, IPPROTO_ICMP } },
	{ "ipv4 sctp", RTE_ETHER_TYPE_IPV4, { 0x45, 0, 0, 50, 0, 0, 0, 0, 64, IPPROTO_SCTP } },
	{ "ipv4 options", RTE_ETHER_TYPE_IPV4, { 0x46, 0, 0, 50, 0, 0, 0, 0, 64, IPPROTO_UDP } },
	{ "ipv4 bad ihl", RTE_ETHER_TYPE_IPV4, { 0x44, 0, 0, 50, 0, 0, 0, 0, 64, IPPROTO_UDP } },
	{ "ipv4 version 6", RTE_ETHER_TYPE_IPV4, { 0x65, 0, 0, 50, 0, 0, 0, 0, 64, IPPROTO_UDP } },
	{ "ipv4 first fragment", RTE_ETHER_TYPE_IPV4,
	  { 0x45, 0, 0, 50, 0, 0, 0x20, 0, 64, IPPROTO_UDP } },
	{ "ipv4 later fragment", RTE_ETHER_TYPE_IPV4,
	  { 0x45, 0, 0, 50, 0, 0, 0, 0x10, 64, IPPROTO_TCP } },
	{ "ipv4 don't fragment", RTE_ETHER_TYPE_IPV4,
	  { 0x45, 0, 0, 50, 0, 0, 0x40, 0, 64, IPPROTO_TCP } },
	{ "ipv6 udp", RTE_ETHER_TYPE_IPV6, { 0x60, 0, 0, 0, 0, 10, IPPROTO_UDP, 64 } },
	{ "ipv6 tcp", RTE_ETHER_TYPE_IPV6, { 0x60, 0, 0, 0, 0, 10, IPPROTO_TCP, 64 } },
	{ "ipv6 hop-by-hop", RTE_ETHER_TYPE_IPV6, { 0x60, 0, 0, 0, 0, 10, IPPROTO_HOPOPTS, 64 } },
	{ "ipv6 fragment", RTE_ETHER_TYPE_IPV6, { 0x60, 0, 0, 0, 0, 10, IPPROTO_FRAGMENT, 64 } },
	{ "ipv6 icmp", RTE_ETHER_TYPE_IPV6, { 0x60, 0, 0, 0, 0, 10, IPPROTO_ICMPV6, 64 } },
	{ "vlan ipv4 udp", RTE_ETHER_TYPE_VLAN,
	  { 0, 5, 0x08, 0x00, 0x45, 0, 0, 50, 0, 0, 0, 0, 64, IPPROTO_UDP } },
	{ "qinq", RTE_ETHER_TYPE_QINQ, { 0, 5, 0x81, 0x00, 0, 6, 0x08, 0x00, 0x45 } },
	{ "arp", RTE_ETHER_TYPE_ARP, { 0, 1, 8, 0, 6, 4, 0, 1 } },
	{ "mpls", RTE_ETHER_TYPE_MPLS, { 0, 0, 0x11, 64 } },
};

static uint32_t
reference(const struct rte_mbuf *m)
{
	return rte_net_get_ptype(m, NULL, RTE_PTYPE_L2_MASK | RTE_PTYPE_L3_MASK |
				 RTE_PTYPE_L4_MASK);
}

int
main(void)
{
	static uint8_t buf[RTE_PKTMBUF_HEADROOM + FRAME_MAX];
	struct rte_mbuf m;
	unsigned int s, len, fast = 0;
	uint16_t type;

	for (s = 0; s < RTE_DIM(shapes); s++) {
		for (len = RTE_ETHER_HDR_LEN; len <= FRAME_MAX; len++) {
			uint8_t *f = buf + RTE_PKTMBUF_HEADROOM;

			memset(buf, 0xee, sizeof(buf));
			memset(f, 0, RTE_ETHER_HDR_LEN);
			f[0] = 0x02;
			type = rte_cpu_to_be_16(shapes[s].ether_type);
			memcpy(f + 2 * RTE_ETHER_ADDR_LEN, &type, sizeof(type));
			memcpy(f + RTE_ETHER_HDR_LEN, shapes[s].l3,
			       RTE_MIN(sizeof(shapes[s].l3), (size_t)(len - RTE_ETHER_HDR_LEN)));
			memset(&m, 0, sizeof(m));
			m.buf_addr = buf;
			m.data_off = RTE_PKTMBUF_HEADROOM;
			m.data_len = (uint16_t)len;
			m.pkt_len = len;
			m.nb_segs = 1;
			CHECK(hvnet_ptype(&m) == reference(&m), " %s, %u bytes: %#x, library %#x",
			      shapes[s].name, len, hvnet_ptype(&m), reference(&m));
			fast += len == 64 && (hvnet_ptype(&m) & RTE_PTYPE_L4_MASK) != 0;
		}
	}
	/* The shapes the short path takes are there (and typed to L4, at 64 bytes). */
	CHECK(fast >= 5, " %u shapes with an L4 type at 64 bytes", fast);
	return check_done("hvnet-ptype");
}
