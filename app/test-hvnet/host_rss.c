/* SPDX-License-Identifier: BSD-3-Clause */
/* Toeplitz RSS hash of received frames, as NDIS hash_info asks for it. */
#include <string.h>

#include "wire.h"

#define ETH_HLEN		14u
#define ETH_P_IPV4		0x0800u
#define ETH_P_IPV6		0x86ddu
#define ETH_P_VLAN		0x8100u
#define VLAN_HLEN		4u
#define IPV4_HLEN_MIN		20u
#define IPV6_HLEN		40u
#define IPPROTO_TCP_NUM		6u
#define IPPROTO_UDP_NUM		17u
#define L4_PORTS_LEN		4u

uint32_t
rss_toeplitz(const uint8_t *key, size_t keylen, const uint8_t *data, size_t n)
{
	uint32_t result = 0;
	size_t i;

	/* Each input byte needs the 40 key bits starting at its own position. */
	if (keylen < 4)
		return 0;
	if (n > keylen - 4)
		n = keylen - 4;
	for (i = 0; i < n; i++) {
		uint64_t window = ((uint64_t)key[i] << 32) | ((uint64_t)key[i + 1] << 24) |
				  ((uint64_t)key[i + 2] << 16) | ((uint64_t)key[i + 3] << 8) |
				  key[i + 4];
		unsigned int bit;

		for (bit = 0; bit < 8; bit++)
			if (data[i] & (0x80u >> bit))
				result ^= (uint32_t)(window >> (8 - bit));
	}
	return result;
}

void
rss_hasher_init(struct rss_hasher *h, const uint8_t *key)
{
	unsigned int i, v;

	/* Byte i of the input meets the 40 key bits from its own position on: key[i..i+4]. */
	for (i = 0; i < RSS_INPUT_MAX; i++) {
		for (v = 0; v < 256; v++) {
			uint8_t byte = (uint8_t)v;

			h->t[i][v] = rss_toeplitz(key + i, 5, &byte, 1);
		}
	}
}

static uint16_t
get_be16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

/* The first of the two hash-type bits that hash_info enables (plain before _EX), or 0. */
static uint32_t
pick_type(uint32_t hash_info, uint32_t plain, uint32_t ex)
{
	if (hash_info & plain)
		return plain;
	return hash_info & ex;
}

/* Where the IP header sits and what protocol the frame carries, or false when not IP. */
static bool
l3_locate(const uint8_t *frame, uint32_t len, uint32_t *l3, uint16_t *ethertype)
{
	uint32_t off = ETH_HLEN;
	uint16_t type;

	if (len < ETH_HLEN)
		return false;
	type = get_be16(frame + 12);
	if (type == ETH_P_VLAN) {
		if (len < ETH_HLEN + VLAN_HLEN)
			return false;
		type = get_be16(frame + 16);
		off += VLAN_HLEN;
	}
	*l3 = off;
	*ethertype = type;
	return true;
}

/* One IP header as the hash sees it, and the hash types hash_info enables for it. */
struct rss_l3 {
	const uint8_t *addr;
	uint32_t addr_len;	/* both addresses */
	const uint8_t *l4;	/* NULL when the ports are absent or must not be used */
	uint8_t proto;
	uint32_t ip_type;	/* hash type bit for the 2-tuple */
	uint32_t tcp_type;	/* hash type bit for TCP 4-tuple */
	uint32_t udp_type;	/* hash type bit for UDP 4-tuple */
};

/*
 * Fill in[] with the addresses (and ports when a 4-tuple type applies); returns its length,
 * 0 when hash_info enables no type for this frame.
 */
static size_t
rss_input(const struct rss_l3 *l3, uint8_t *in, uint32_t *type)
{
	uint32_t l4_type = 0;

	if (l3->l4 != NULL && l3->proto == IPPROTO_TCP_NUM)
		l4_type = l3->tcp_type;
	else if (l3->l4 != NULL && l3->proto == IPPROTO_UDP_NUM)
		l4_type = l3->udp_type;
	memcpy(in, l3->addr, l3->addr_len);
	if (l4_type != 0) {
		memcpy(in + l3->addr_len, l3->l4, L4_PORTS_LEN);
		*type = l4_type;
		return l3->addr_len + L4_PORTS_LEN;
	}
	if (l3->ip_type == 0)
		return 0;
	*type = l3->ip_type;
	return l3->addr_len;
}

static bool
parse_ipv4(uint32_t hash_info, const uint8_t *ip, uint32_t avail, struct rss_l3 *l3)
{
	uint32_t ihl;
	bool fragment;

	if (avail < IPV4_HLEN_MIN || (ip[0] >> 4) != 4)
		return false;
	ihl = (ip[0] & 0x0fu) * 4u;
	if (ihl < IPV4_HLEN_MIN || ihl > avail)
		return false;
	/* Any fragment (more-fragments flag or an offset) has no usable ports. */
	fragment = (get_be16(ip + 6) & 0x3fffu) != 0;
	l3->addr = ip + 12;
	l3->addr_len = 8;
	l3->proto = ip[9];
	l3->l4 = (!fragment && avail - ihl >= L4_PORTS_LEN) ? ip + ihl : NULL;
	l3->ip_type = hash_info & HV_NDIS_HASH_IPV4;
	l3->tcp_type = hash_info & HV_NDIS_HASH_TCP_IPV4;
	l3->udp_type = hash_info & HV_NDIS_HASH_UDP_IPV4;
	return true;
}

static bool
parse_ipv6(uint32_t hash_info, const uint8_t *ip, uint32_t avail, struct rss_l3 *l3)
{
	if (avail < IPV6_HLEN || (ip[0] >> 4) != 6)
		return false;
	/* Extension headers are not walked: only a plain next header gives ports. */
	l3->addr = ip + 8;
	l3->addr_len = 32;
	l3->proto = ip[6];
	l3->l4 = avail - IPV6_HLEN >= L4_PORTS_LEN ? ip + IPV6_HLEN : NULL;
	l3->ip_type = pick_type(hash_info, HV_NDIS_HASH_IPV6, HV_NDIS_HASH_IPV6_EX);
	l3->tcp_type = pick_type(hash_info, HV_NDIS_HASH_TCP_IPV6, HV_NDIS_HASH_TCP_IPV6_EX);
	l3->udp_type = pick_type(hash_info, HV_NDIS_HASH_UDP_IPV6, HV_NDIS_HASH_UDP_IPV6_EX);
	return true;
}

bool
rss_frame_hash(const struct rss_hasher *h, uint32_t hash_info, const uint8_t *frame,
	       uint32_t len, uint32_t *hash, uint32_t *hash_type)
{
	uint8_t in[RSS_INPUT_MAX];
	uint32_t off, type = 0, x = 0;
	struct rss_l3 l3;
	uint16_t ethertype;
	size_t n, i;
	bool ok;

	if ((hash_info & HV_NDIS_HASH_FUNCTION_MASK) != HV_NDIS_HASH_FUNCTION_TOEPLITZ)
		return false;
	if (!l3_locate(frame, len, &off, &ethertype))
		return false;
	if (ethertype == ETH_P_IPV4)
		ok = parse_ipv4(hash_info, frame + off, len - off, &l3);
	else if (ethertype == ETH_P_IPV6)
		ok = parse_ipv6(hash_info, frame + off, len - off, &l3);
	else
		ok = false;
	if (!ok)
		return false;
	n = rss_input(&l3, in, &type);
	if (n == 0)
		return false;
	for (i = 0; i < n; i++)
		x ^= h->t[i][in[i]];
	*hash = x;
	*hash_type = type;
	return true;
}
