/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Packet type of a received frame, as rte_net_get_ptype(m, NULL, L2 | L3 | L4 masks) gives
 * it, without its general walk for the frames a synthetic NIC mostly carries: untagged IPv4
 * (no options, not a fragment) or IPv6 (no extension header) with TCP or UDP, whose header
 * is in the first segment. Every other frame goes to rte_net_get_ptype() itself, so the two
 * never disagree (tests/test_ptype.c compares them).
 */
#ifndef HVNET_PTYPE_H
#define HVNET_PTYPE_H

#include <netinet/in.h>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_net.h>
#include <rte_tcp.h>

/* L4 type of an IP protocol, when it is one of the two the short path knows; else 0. */
static inline uint32_t
hvnet_ptype_l4(uint8_t proto)
{
	if (proto == IPPROTO_UDP)
		return RTE_PTYPE_L4_UDP;
	if (proto == IPPROTO_TCP)
		return RTE_PTYPE_L4_TCP;
	return 0;
}

/* The packet type of m, whose first segment holds len bytes at p (the caller has them). */
static inline uint32_t
hvnet_ptype_of(const struct rte_mbuf *m, const uint8_t *p, uint32_t len)
{
	/* The library reads a TCP header whole: so must the short path see one. */
	const uint32_t l4_need = sizeof(struct rte_tcp_hdr);
	const uint32_t l3 = RTE_ETHER_HDR_LEN;
	uint16_t type;
	uint32_t l4;

	if (likely(len >= l3 + sizeof(struct rte_ipv4_hdr) + l4_need)) {
		memcpy(&type, p + 2 * RTE_ETHER_ADDR_LEN, sizeof(type));
		if (type == RTE_BE16(RTE_ETHER_TYPE_IPV4)) {
			const struct rte_ipv4_hdr *ip = (const void *)(p + l3);

			l4 = hvnet_ptype_l4(ip->next_proto_id);
			if (ip->version_ihl == RTE_IPV4_VHL_DEF && l4 != 0 &&
			    (ip->fragment_offset &
			     RTE_BE16(RTE_IPV4_HDR_OFFSET_MASK | RTE_IPV4_HDR_MF_FLAG)) == 0)
				return RTE_PTYPE_L2_ETHER | RTE_PTYPE_L3_IPV4 | l4;
		} else if (type == RTE_BE16(RTE_ETHER_TYPE_IPV6) &&
			   len >= l3 + sizeof(struct rte_ipv6_hdr) + l4_need) {
			const struct rte_ipv6_hdr *ip = (const void *)(p + l3);

			l4 = hvnet_ptype_l4(ip->proto);
			if (l4 != 0)
				return RTE_PTYPE_L2_ETHER | RTE_PTYPE_L3_IPV6 | l4;
		}
	}
	return rte_net_get_ptype(m, NULL, RTE_PTYPE_L2_MASK | RTE_PTYPE_L3_MASK |
				 RTE_PTYPE_L4_MASK);
}

static inline uint32_t
hvnet_ptype(const struct rte_mbuf *m)
{
	return hvnet_ptype_of(m, rte_pktmbuf_mtod(m, const uint8_t *), m->data_len);
}

#endif /* HVNET_PTYPE_H */
