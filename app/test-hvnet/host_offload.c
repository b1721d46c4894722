/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The host half of the NDIS task offloads, as Hyper-V's NetVSP does it: the capabilities it
 * offers (--offload), the parameters the guest sets, and on the data path the checksums it
 * fills, the LSOv2 sends it cuts into MSS-sized frames, the 802.1Q tag it inserts, and the
 * checksum verdict it reports for frames to the guest. A per-packet info asking for what the
 * parameters did not enable is a violation (logged, counted); the host still does the work,
 * as the guests that get this wrong are known to work on Hyper-V.
 */
#include <string.h>

#include "host.h"
#include "sim_csum.h"

#define ETH_HLEN	14u
#define VLAN_HLEN	4u
#define MACS_LEN	12u	/* destination and source addresses */
#define ETHERTYPE_IPV4	0x0800u
#define ETHERTYPE_IPV6	0x86ddu
#define ETHERTYPE_VLAN	0x8100u
#define IPV4_HLEN_MIN	20u
#define IPV6_HLEN	40u
#define TCP_HLEN_MIN	20u
#define UDP_HLEN	8u
#define PROTO_TCP	6u
#define PROTO_UDP	17u
#define TCP_FIN		0x01u
#define TCP_PSH		0x08u
#define TCP_CWR		0x80u
#define LSO_MAX_SIZE	0xf53cu	/* Hyper-V's LSOv2 largest send */
#define LSO_MIN_SEGS	2u

/* --- capabilities and parameters --------------------------------------------------------- */

/* Hyper-V's LSOv2 offer: both IP versions, TCP options and IPv6 extension headers. */
static const struct hv_ndis_lsov2_offload lso_offer = {
	.ipv4_encap = HV_NDIS_ENCAP_802_3,
	.ipv4_max_size = LSO_MAX_SIZE,
	.ipv4_min_segs = LSO_MIN_SEGS,
	.ipv6_encap = HV_NDIS_ENCAP_802_3,
	.ipv6_max_size = LSO_MAX_SIZE,
	.ipv6_min_segs = LSO_MIN_SEGS,
	.ipv6_opts = HV_NDIS_LSOV2_CAP_IP6_EXT | HV_NDIS_LSOV2_CAP_TCP_OPTS,
};

void
host_offload_caps(const struct sim_nic *nic, struct hv_ndis_offload *o, uint8_t rev,
		  uint16_t size)
{
	enum sim_offload mode = nic->sim->opt.offload;
	uint32_t v4 = HV_NDIS_TXCSUM_CAP_IP4_OPTS | HV_NDIS_TXCSUM_CAP_TCP_OPTS |
		      HV_NDIS_TXCSUM_CAP_TCP | HV_NDIS_TXCSUM_CAP_UDP | HV_NDIS_TXCSUM_CAP_IP4;
	uint32_t v6 = HV_NDIS_TXCSUM_CAP_IP6_EXT | HV_NDIS_TXCSUM_CAP_TCP_OPTS |
		      HV_NDIS_TXCSUM_CAP_TCP | HV_NDIS_TXCSUM_CAP_UDP;
	bool ip6 = mode == SIM_OFFLOAD_ALL || mode == SIM_OFFLOAD_CSUM;

	memset(o, 0, sizeof(*o));
	o->hdr.type = HV_NDIS_OBJ_OFFLOAD;
	o->hdr.revision = rev;
	o->hdr.size = size;
	/* 802.3 framing is announced for every checksum direction, even when none is offered. */
	o->csum.ipv4_tx_encap = o->csum.ipv4_rx_encap = HV_NDIS_ENCAP_802_3;
	o->csum.ipv6_tx_encap = o->csum.ipv6_rx_encap = HV_NDIS_ENCAP_802_3;
	if (mode == SIM_OFFLOAD_NONE)
		return;
	o->csum.ipv4_tx_flags = o->csum.ipv4_rx_flags = v4;
	o->csum.ipv6_tx_flags = o->csum.ipv6_rx_flags = ip6 ? v6 : 0;
	if (mode == SIM_OFFLOAD_CSUM)
		return;
	o->lsov2 = lso_offer;
	if (!ip6) {
		/* IPv4 only: the IPv6 half of the block stays empty. */
		o->lsov2.ipv6_encap = 0;
		o->lsov2.ipv6_max_size = 0;
		o->lsov2.ipv6_min_segs = 0;
		o->lsov2.ipv6_opts = 0;
	}
}

/* A checksum byte of the parameters, masked to what the host offers (0 keeps the old one). */
static uint8_t
csum_param(uint8_t cur, uint8_t want, bool offered)
{
	if (want == HV_NDIS_OFFLOAD_PARAM_NOCHG || want > HV_NDIS_OFFLOAD_PARAM_TXRX)
		return cur;
	return offered ? want : HV_NDIS_OFFLOAD_PARAM_OFF;
}

static uint8_t
lso_param(uint8_t cur, uint8_t want, bool offered)
{
	if (want != HV_NDIS_OFFLOAD_PARAM_LSO_OFF && want != HV_NDIS_OFFLOAD_PARAM_LSO_ON)
		return cur;
	return offered ? want : HV_NDIS_OFFLOAD_PARAM_LSO_OFF;
}

void
host_offload_set(struct sim_nic *nic, const struct hv_ndis_offload_params *p)
{
	struct hv_ndis_offload_params *cur = &host_of(nic)->offload;
	struct hv_ndis_offload caps;

	host_offload_caps(nic, &caps, 3, HV_NDIS_OFFLOAD_REV3_SIZE);
	host_of(nic)->ol_reported = false;
	host_of(nic)->rx_epoch++;
	cur->ipv4_csum = csum_param(cur->ipv4_csum, p->ipv4_csum, caps.csum.ipv4_tx_flags != 0);
	cur->tcp4_csum = csum_param(cur->tcp4_csum, p->tcp4_csum, caps.csum.ipv4_tx_flags != 0);
	cur->udp4_csum = csum_param(cur->udp4_csum, p->udp4_csum, caps.csum.ipv4_tx_flags != 0);
	cur->tcp6_csum = csum_param(cur->tcp6_csum, p->tcp6_csum, caps.csum.ipv6_tx_flags != 0);
	cur->udp6_csum = csum_param(cur->udp6_csum, p->udp6_csum, caps.csum.ipv6_tx_flags != 0);
	cur->lsov2_ipv4 = lso_param(cur->lsov2_ipv4, p->lsov2_ipv4, caps.lsov2.ipv4_encap != 0);
	cur->lsov2_ipv6 = lso_param(cur->lsov2_ipv6, p->lsov2_ipv6, caps.lsov2.ipv6_encap != 0);
	sim_log("nic %u: offload parameters ip4=%u tcp4=%u udp4=%u tcp6=%u udp6=%u lso4=%u lso6=%u",
		nic->idx, cur->ipv4_csum, cur->tcp4_csum, cur->udp4_csum, cur->tcp6_csum,
		cur->udp6_csum, cur->lsov2_ipv4, cur->lsov2_ipv6);
}

static bool
tx_on(uint8_t v)
{
	return v == HV_NDIS_OFFLOAD_PARAM_TX || v == HV_NDIS_OFFLOAD_PARAM_TXRX;
}

static bool
rx_on(uint8_t v)
{
	return v == HV_NDIS_OFFLOAD_PARAM_RX || v == HV_NDIS_OFFLOAD_PARAM_TXRX;
}

/* --- checksums ----------------------------------------------------------------------------- */

static uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static void
wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* A parsed IP packet inside a frame: what the checksums need. */
struct ip_view {
	uint32_t l3;		/* IP header offset */
	uint32_t l3_len;	/* IPv4 header length (IHL), 40 for IPv6 */
	uint32_t l4;		/* transport header offset */
	uint32_t end;		/* end of the IP packet (by its length field, within the frame) */
	uint8_t proto;
	bool v6;
	bool frag;		/* an IPv4 fragment: no transport checksum to look at */
};

/* Sum of the pseudo-header for l4len transport bytes. */
static uint32_t
pseudo_sum(const uint8_t *f, const struct ip_view *v, uint32_t l4len)
{
	uint32_t sum = v->proto + (l4len & 0xffff) + (l4len >> 16);

	if (v->v6)
		return sim_csum_add(sum, f + v->l3 + 8, 32);
	return sim_csum_add(sum, f + v->l3 + 12, 8);
}

/* Parse an untagged or single-tagged frame; thoff (0 = from the IP header) names the L4. */
static bool
ip_parse(const uint8_t *f, uint32_t len, uint32_t thoff, bool lso, struct ip_view *v)
{
	uint32_t l3 = ETH_HLEN, iplen;
	uint16_t et;

	if (len < ETH_HLEN)
		return false;
	et = rd16(f + 12);
	if (et == ETHERTYPE_VLAN && len >= ETH_HLEN + VLAN_HLEN) {
		l3 += VLAN_HLEN;
		et = rd16(f + 16);
	}
	memset(v, 0, sizeof(*v));
	v->l3 = l3;
	if (et == ETHERTYPE_IPV4) {
		if (len - l3 < IPV4_HLEN_MIN || (f[l3] >> 4) != 4 ||
		    (f[l3] & 0xf) * 4u < IPV4_HLEN_MIN)
			return false;
		v->l3_len = (f[l3] & 0xf) * 4u;
		v->l4 = l3 + v->l3_len;
		v->proto = f[l3 + 9];
		v->frag = (rd16(f + l3 + 6) & 0x3fff) != 0;
		iplen = rd16(f + l3 + 2);
	} else if (et == ETHERTYPE_IPV6) {
		if (len - l3 < IPV6_HLEN || (f[l3] >> 4) != 6)
			return false;
		v->v6 = true;
		v->l3_len = IPV6_HLEN;
		v->l4 = l3 + IPV6_HLEN;
		v->proto = f[l3 + 6];
		iplen = IPV6_HLEN + rd16(f + l3 + 4);
		/* A payload length of 0 (jumbogram) leaves the length to the frame. */
		if (iplen == IPV6_HLEN)
			lso = true;
	} else {
		return false;
	}
	if (thoff != 0)
		v->l4 = thoff;
	if (v->l4 > len || v->l3 + v->l3_len > len)
		return false;
	/* An LSO send may leave the IP length 0 (NDIS) or give the whole send: the frame rules. */
	if (lso)
		iplen = len - l3;
	if (iplen > len - l3 || iplen < v->l4 - l3)
		return false;
	v->end = l3 + iplen;
	return true;
}

static void
ip4_csum_fill(uint8_t *f, const struct ip_view *v)
{
	/* By the IHL, as hardware does, wherever the PPI put the transport header. */
	wr16(f + v->l3 + 10, 0);
	wr16(f + v->l3 + 10, sim_csum_fold(sim_csum_add(0, f + v->l3, v->l3_len)));
}

/* Fill the TCP or UDP checksum at off within the transport header; false if it is not there. */
static bool
l4_csum_fill(uint8_t *f, const struct ip_view *v, uint32_t off)
{
	uint32_t l4len = v->end - v->l4;
	uint16_t c;

	if (l4len < off + 2)
		return false;
	wr16(f + v->l4 + off, 0);
	c = sim_csum_fold(sim_csum_add(pseudo_sum(f, v, l4len), f + v->l4, l4len));
	if (v->proto == PROTO_UDP && c == 0)
		c = 0xffff;
	wr16(f + v->l4 + off, c);
	return true;
}

static bool
l4_csum_ok(const uint8_t *f, const struct ip_view *v)
{
	uint32_t l4len = v->end - v->l4;

	if (v->proto == PROTO_UDP && !v->v6 && l4len >= UDP_HLEN && rd16(f + v->l4 + 6) == 0)
		return true;	/* IPv4 UDP without a checksum */
	return sim_csum_fold(sim_csum_add(pseudo_sum(f, v, l4len), f + v->l4, l4len)) == 0;
}

/* --- guest transmit ----------------------------------------------------------------------- */

static void
rule(struct sim_nic *nic, unsigned int c, const char *what)
{
	host_violation(nic, c, what);
}

/* The VLAN info is NDIS's: priority, CFI and id in the low 16 bits, the rest reserved. */
static bool
vlan_check(struct sim_nic *nic, unsigned int c, const struct host_tx_ol *ol)
{
	if (!ol->vlan)
		return true;
	if (ol->vlan_info >> 16) {
		rule(nic, c, "VLAN per-packet info with reserved bits set");
		return false;
	}
	if (!(host_of(nic)->ndis_caps & HV_NDIS_CAP_IEEE8021Q)) {
		rule(nic, c, "VLAN per-packet info without 802.1Q in NDIS_CONFIG");
		return false;
	}
	return true;
}

/* Checksum request: well formed (else false), and enabled by the parameters (else a rule). */
static bool
csum_check(struct sim_nic *nic, unsigned int c, uint32_t v)
{
	struct host_nic *hn = host_of(nic);
	const struct hv_ndis_offload_params *p = &hn->offload;
	bool v4 = v & HV_TXCSUM_IPV4, v6 = v & HV_TXCSUM_IPV6;
	bool tcp = v & HV_TXCSUM_TCP, udp = v & HV_TXCSUM_UDP;
	uint8_t l4;
	bool ok;

	if ((v4 && v6) || (tcp && udp) || ((tcp || udp) && !v4 && !v6) ||
	    ((v & HV_TXCSUM_IP_HDR) && !v4)) {
		rule(nic, c, "malformed checksum per-packet info");
		return false;
	}
	l4 = tcp ? (v4 ? p->tcp4_csum : p->tcp6_csum) : (v4 ? p->udp4_csum : p->udp6_csum);
	ok = (!(v & HV_TXCSUM_IP_HDR) || tx_on(p->ipv4_csum)) && (!(tcp || udp) || tx_on(l4));
	/* Once per parameter setting: a guest that gets it wrong gets it wrong on every frame. */
	if (!ok && !hn->ol_reported) {
		hn->ol_reported = true;
		if ((tcp || udp) && l4 == HV_NDIS_OFFLOAD_PARAM_RX)
			sim_log("nic %u: transmit checksum asked of a receive-only parameter (3)",
				nic->idx);
		rule(nic, c, "checksum per-packet info asks for an offload not enabled");
	}
	return true;
}

/*
 * The transport offset of an IPv4 checksum request is where the IP header ends, in the frame
 * as sent (a tag in a VLAN PPI is not in it). A wrong one is a violation; the host still
 * fills where it points, as hardware would.
 */
static void
thoff_check(struct sim_nic *nic, unsigned int c, const uint8_t *f, uint32_t len,
	    const struct host_tx_ol *ol)
{
	uint32_t thoff = (ol->csum_info >> HV_TXCSUM_THOFF_SHIFT) & HV_TXCSUM_THOFF_MASK;
	struct ip_view iv;

	if (thoff == 0 || !(ol->csum_info & HV_TXCSUM_IPV4) || !ip_parse(f, len, 0, false, &iv) ||
	    thoff == iv.l4)
		return;
	if (ol->vlan && thoff == iv.l4 + VLAN_HLEN)
		sim_log("nic %u: checksum offset counts the VLAN tag sent out of band", nic->idx);
	rule(nic, c, "checksum per-packet info offset is not the end of the IPv4 header");
}

/* Fill the checksums a checksum PPI asks for, in place; false if the frame does not fit it. */
static bool
csum_fill(uint8_t *f, uint32_t len, uint32_t v)
{
	uint32_t thoff = (v >> HV_TXCSUM_THOFF_SHIFT) & HV_TXCSUM_THOFF_MASK;
	struct ip_view iv;

	if (!(v & (HV_TXCSUM_TCP | HV_TXCSUM_UDP | HV_TXCSUM_IP_HDR)))
		return true;
	if (!ip_parse(f, len, thoff, false, &iv) || iv.v6 != !!(v & HV_TXCSUM_IPV6))
		return false;
	if (v & HV_TXCSUM_IP_HDR)
		ip4_csum_fill(f, &iv);
	if (v & HV_TXCSUM_TCP)
		return iv.proto == PROTO_TCP && l4_csum_fill(f, &iv, 16);
	if (v & HV_TXCSUM_UDP)
		return iv.proto == PROTO_UDP && l4_csum_fill(f, &iv, 6);
	return true;
}

static void
wire_out(struct sim_nic *nic, unsigned int c, const uint8_t *f, uint32_t len)
{
	wire_transmit(nic, c, f, len);
	nic->stats.from_guest_frames++;
	nic->stats.from_guest_bytes += len;
}

/* Put the frame on the wire, with the VLAN tag of the PPI if any; counts it. */
static void
tx_frame(struct sim_nic *nic, unsigned int c, uint8_t *buf, uint32_t len,
	 const struct host_tx_ol *ol)
{
	if (ol->vlan) {
		uint32_t i = ol->vlan_info;
		uint16_t tci = (uint16_t)(((i & HV_VLAN_PRIO_MASK) << 13) |
					  ((i & HV_VLAN_CFI) ? 0x1000u : 0) |
					  ((i >> HV_VLAN_ID_SHIFT) & HV_VLAN_ID_MASK));

		/* buf has VLAN_HLEN bytes of room after len (HOST_FRAME_MAX). */
		memmove(buf + MACS_LEN + VLAN_HLEN, buf + MACS_LEN, len - MACS_LEN);
		wr16(buf + 12, ETHERTYPE_VLAN);
		wr16(buf + 14, tci);
		len += VLAN_HLEN;
	}
	wire_out(nic, c, buf, len);
}

/* The LSOv2 request: well formed and enabled (else false), and the send it describes. */
static bool
lso_check(struct sim_nic *nic, unsigned int c, const uint8_t *f, uint32_t len, uint32_t v,
	  struct ip_view *iv, uint32_t *hlen)
{
	const struct hv_ndis_offload_params *p = &host_of(nic)->offload;
	bool v6 = v & HV_LSO_IPV6;
	uint32_t mss = v & HV_LSO_MSS_MASK;
	uint32_t thoff = (v >> HV_LSO_THOFF_SHIFT) & HV_LSO_THOFF_MASK;

	if (!(v & HV_LSO_TYPE_V2) || mss == 0) {
		rule(nic, c, "malformed LSO per-packet info");
		return false;
	}
	if ((v6 ? p->lsov2_ipv6 : p->lsov2_ipv4) != HV_NDIS_OFFLOAD_PARAM_LSO_ON) {
		rule(nic, c, "LSO per-packet info with LSOv2 not enabled");
		return false;
	}
	if (!ip_parse(f, len, thoff, true, iv) || iv->v6 != v6 || iv->proto != PROTO_TCP ||
	    iv->end - iv->l4 < TCP_HLEN_MIN)
		return false;
	*hlen = iv->l4 + (f[iv->l4 + 12] >> 4) * 4u;
	if ((f[iv->l4 + 12] >> 4) * 4u < TCP_HLEN_MIN || *hlen > iv->end)
		return false;
	if (iv->end - *hlen > LSO_MAX_SIZE) {
		rule(nic, c, "LSO send larger than the offered maximum");
		return false;
	}
	if ((uint64_t)*hlen - ETH_HLEN + mss > nic->mtu + (iv->l3 - ETH_HLEN)) {
		rule(nic, c, "LSO MSS beyond the MTU");
		return false;
	}
	return true;
}

/* Cut the LSO send in f into MSS-sized frames, each with its own headers and checksums. */
static void
lso_send(struct sim_nic *nic, unsigned int c, const uint8_t *f, const struct ip_view *iv,
	 uint32_t hlen, uint32_t mss, const struct host_tx_ol *ol)
{
	uint8_t *seg = host_of(nic)->frame;
	uint32_t total = iv->end - hlen, off = 0, n, seq = 0;
	uint8_t flags = f[iv->l4 + 13];
	struct ip_view sv = *iv;
	unsigned int i;

	for (i = 0; off < total || i == 0; i++, off += n) {
		n = total - off < mss ? total - off : mss;
		memcpy(seg, f, hlen);
		memcpy(seg + hlen, f + hlen + off, n);
		sv.end = hlen + n;
		if (iv->v6) {
			wr16(seg + iv->l3 + 4, (uint16_t)(sv.end - iv->l3 - IPV6_HLEN));
		} else {
			wr16(seg + iv->l3 + 2, (uint16_t)(sv.end - iv->l3));
			wr16(seg + iv->l3 + 4, (uint16_t)(rd16(f + iv->l3 + 4) + i));
			ip4_csum_fill(seg, &sv);
		}
		memcpy(&seq, f + iv->l4 + 4, sizeof(seq));
		seq = __builtin_bswap32(__builtin_bswap32(seq) + off);
		memcpy(seg + iv->l4 + 4, &seq, sizeof(seq));
		/* FIN and PSH only on the last segment, CWR only on the first. */
		seg[iv->l4 + 13] = flags & (uint8_t)~((off + n < total ? TCP_FIN | TCP_PSH : 0) |
						       (i > 0 ? TCP_CWR : 0));
		l4_csum_fill(seg, &sv, 16);
		tx_frame(nic, c, seg, sv.end, ol);
		nic->stats.tx_lso_segments++;
		if (n == 0)
			break;
	}
	nic->stats.tx_lso_sends++;
}

int
host_offload_tx(struct sim_nic *nic, unsigned int c, const uint8_t *frame, uint32_t len,
		const struct host_tx_ol *ol)
{
	uint8_t *buf = host_of(nic)->frame;
	struct ip_view iv;
	uint32_t hlen;

	if (!vlan_check(nic, c, ol))
		return -EINVAL;
	if (ol->lso) {
		if (!lso_check(nic, c, frame, len, ol->lso_info, &iv, &hlen))
			return -EINVAL;
		lso_send(nic, c, frame, &iv, hlen, ol->lso_info & HV_LSO_MSS_MASK, ol);
		return 0;
	}
	if (len > nic->mtu + ETH_HLEN + VLAN_HLEN)
		return -EMSGSIZE;
	if (!ol->csum && !ol->vlan) {
		/* Nothing to change: straight from the message, as most frames go. */
		wire_out(nic, c, frame, len);
		return 0;
	}
	memcpy(buf, frame, len);
	if (ol->csum && !csum_check(nic, c, ol->csum_info))
		return -EINVAL;
	if (ol->csum)
		thoff_check(nic, c, buf, len, ol);
	if (ol->csum && !csum_fill(buf, len, ol->csum_info))
		return -EINVAL;
	if (ol->csum && (ol->csum_info & (HV_TXCSUM_TCP | HV_TXCSUM_UDP | HV_TXCSUM_IP_HDR)))
		nic->stats.tx_csum_filled++;
	tx_frame(nic, c, buf, len, ol);
	return 0;
}

/* --- frames to the guest ------------------------------------------------------------------ */

uint32_t
host_offload_rx_csum(struct sim_nic *nic, const uint8_t *frame, uint32_t len)
{
	const struct hv_ndis_offload_params *p = &host_of(nic)->offload;
	uint32_t v = 0;
	struct ip_view iv;
	bool tcp_rx, udp_rx;

	if (!ip_parse(frame, len, 0, false, &iv))
		return 0;
	if (!iv.v6 && rx_on(p->ipv4_csum))
		v |= sim_csum_fold(sim_csum_add(0, frame + iv.l3, iv.l3_len)) == 0 ?
		     HV_RXCSUM_IP_OK : HV_RXCSUM_IP_FAILED;
	tcp_rx = rx_on(iv.v6 ? p->tcp6_csum : p->tcp4_csum);
	udp_rx = rx_on(iv.v6 ? p->udp6_csum : p->udp4_csum);
	if (iv.frag)
		return v;
	if (iv.proto == PROTO_TCP && tcp_rx && iv.end - iv.l4 >= TCP_HLEN_MIN)
		v |= l4_csum_ok(frame, &iv) ? HV_RXCSUM_TCP_OK : HV_RXCSUM_TCP_FAILED;
	else if (iv.proto == PROTO_UDP && udp_rx && iv.end - iv.l4 >= UDP_HLEN)
		v |= l4_csum_ok(frame, &iv) ? HV_RXCSUM_UDP_OK : HV_RXCSUM_UDP_FAILED;
	return v;
}
