/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Large TSO sends, run as the guest of the simulated host: each send named on the command line
 * is one TCP/IPv4 or TCP/IPv6 frame of up to 64 KiB, built as a chain (a header mbuf, then data
 * segments of a pool with large data rooms, since data_len is 16 bits), asking for
 * RTE_MBUF_F_TX_TCP_SEG at an MSS; it goes through rte_eth_tx_prepare() and rte_eth_tx_burst()
 * on port 0. The host cuts it onto its wire; tso64k.py checks the capture. One line per send
 * says what it was and whether it was sent or refused (with rte_errno), then, once the host
 * completed everything, the mbufs still in use and the driver's tx_q0_prepare_rejected.
 *
 * After "--", each send is V:MSS:PAYLOAD:SEG: IP version (4 or 6), MSS, TCP payload bytes,
 * data bytes per segment. Send i's payload byte k is (7k + k/251 + 31i) mod 256; its sequence
 * number starts at 0xfffff000 - i * 0x10000 and its IPv4 id at 0xffe0 + i * 0x1111 (mod 2^16):
 * both wrap within the send.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#define PORT		0
#define MAX_SENDS	16u
#define NB_DESC		512u
#define BIG_ROOM	16384u	/* data bytes per big segment at most */
#define NB_BIG		511u
#define NB_HDR		255u
#define NB_RX		1023u
#define TCP_OPT_LEN	12u	/* NOP, NOP, timestamps */
#define TX_TRIES	2000u	/* ... 1 ms apart: a full ring drains long before */
#define DRAIN_MS	5000u

struct send {
	unsigned int v;		/* 4 or 6 */
	unsigned int mss;
	unsigned int payload;
	unsigned int seg;
};

static struct send sends[MAX_SENDS];
static unsigned int nb_sends;

static const struct rte_ether_addr peer_mac = {{ 0x02, 0, 0, 0, 0, 0x01 }};
static const uint8_t ip4_src[4] = { 192, 0, 2, 1 }, ip4_dst[4] = { 198, 51, 100, 1 };
static const uint8_t ip6_src[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
static const uint8_t ip6_dst[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, [15] = 2 };

static uint8_t
payload_byte(unsigned int i, uint32_t k)
{
	return (uint8_t)(k * 7 + k / 251 + i * 31);
}

static uint32_t
first_seq(unsigned int i)
{
	return 0xfffff000u - i * 0x10000u;
}

static uint16_t
first_id(unsigned int i)
{
	return (uint16_t)(0xffe0u + i * 0x1111u);
}

/* Ethernet, IP and TCP headers of send i in h; returns their length. */
static uint16_t
put_headers(unsigned int i, const struct send *s, const struct rte_ether_addr *src,
	    uint8_t *h)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)h;
	uint16_t l3_len = s->v == 4 ? sizeof(struct rte_ipv4_hdr) : sizeof(struct rte_ipv6_hdr);
	uint16_t l4_len = sizeof(struct rte_tcp_hdr) + TCP_OPT_LEN;
	uint32_t ip_payload = l4_len + s->payload;
	struct rte_tcp_hdr *tcp = (struct rte_tcp_hdr *)(h + sizeof(*eth) + l3_len);
	uint8_t *opt = (uint8_t *)(tcp + 1);
	uint32_t tsval = rte_cpu_to_be_32(i + 1);

	memset(h, 0, sizeof(*eth) + l3_len + l4_len);
	eth->dst_addr = peer_mac;
	eth->src_addr = *src;
	if (s->v == 4) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);

		eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
		ip->version_ihl = RTE_IPV4_VHL_DEF;
		/* The application's honest length; what tx_prepare does with it is the driver's. */
		ip->total_length = rte_cpu_to_be_16((uint16_t)RTE_MIN(l3_len + ip_payload,
								       (uint32_t)UINT16_MAX));
		ip->packet_id = rte_cpu_to_be_16(first_id(i));
		ip->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
		ip->time_to_live = 64;
		ip->next_proto_id = IPPROTO_TCP;
		memcpy(&ip->src_addr, ip4_src, sizeof(ip4_src));
		memcpy(&ip->dst_addr, ip4_dst, sizeof(ip4_dst));
	} else {
		struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)(eth + 1);

		eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6);
		ip->vtc_flow = rte_cpu_to_be_32(6u << 28);
		ip->payload_len = rte_cpu_to_be_16((uint16_t)RTE_MIN(ip_payload,
								      (uint32_t)UINT16_MAX));
		ip->proto = IPPROTO_TCP;
		ip->hop_limits = 64;
		memcpy(&ip->src_addr, ip6_src, sizeof(ip6_src));
		memcpy(&ip->dst_addr, ip6_dst, sizeof(ip6_dst));
	}
	tcp->src_port = rte_cpu_to_be_16((uint16_t)(40000 + i));
	tcp->dst_port = rte_cpu_to_be_16(80);
	tcp->sent_seq = rte_cpu_to_be_32(first_seq(i));
	tcp->recv_ack = rte_cpu_to_be_32(7);
	tcp->data_off = (uint8_t)((l4_len / 4) << 4);
	/* FIN and PSH belong on the last segment, CWR on the first: the host must split them. */
	tcp->tcp_flags = RTE_TCP_FIN_FLAG | RTE_TCP_PSH_FLAG | RTE_TCP_ACK_FLAG |
			 RTE_TCP_CWR_FLAG;
	tcp->rx_win = rte_cpu_to_be_16(65535);
	opt[0] = 1;
	opt[1] = 1;
	opt[2] = 8;
	opt[3] = 10;
	memcpy(opt + 4, &tsval, sizeof(tsval));
	return (uint16_t)(sizeof(*eth) + l3_len + l4_len);
}

/* Send i as a chain: headers alone in the first mbuf, then the payload in s->seg pieces. */
static struct rte_mbuf *
build(unsigned int i, const struct send *s, const struct rte_ether_addr *src,
      struct rte_mempool *hdr_pool, struct rte_mempool *big_pool)
{
	struct rte_mbuf *head = rte_pktmbuf_alloc(hdr_pool), *m;
	uint32_t off = 0, k;
	uint16_t hlen;

	if (head == NULL)
		return NULL;
	hlen = put_headers(i, s, src, rte_pktmbuf_mtod(head, uint8_t *));
	head->data_len = hlen;
	head->pkt_len = hlen;
	while (off < s->payload) {
		uint32_t n = RTE_MIN(s->seg, s->payload - off);
		uint8_t *d;

		m = rte_pktmbuf_alloc(big_pool);
		if (m == NULL || rte_pktmbuf_chain(head, m) != 0) {
			rte_pktmbuf_free(m);
			rte_pktmbuf_free(head);
			return NULL;
		}
		d = rte_pktmbuf_mtod(m, uint8_t *);
		for (k = 0; k < n; k++)
			d[k] = payload_byte(i, off + k);
		m->data_len = (uint16_t)n;
		head->pkt_len += n;
		off += n;
	}
	head->l2_len = sizeof(struct rte_ether_hdr);
	head->l3_len = s->v == 4 ? sizeof(struct rte_ipv4_hdr) : sizeof(struct rte_ipv6_hdr);
	head->l4_len = sizeof(struct rte_tcp_hdr) + TCP_OPT_LEN;
	head->tso_segsz = (uint16_t)s->mss;
	head->ol_flags = RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_TCP_CKSUM |
			 (s->v == 4 ? RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM :
				      RTE_MBUF_F_TX_IPV6);
	return head;
}

/* Prepare and send m; 0 when sent, else a positive errno (m freed either way). */
static int
transmit(struct rte_mbuf *m)
{
	unsigned int tries;
	int rc;

	if (rte_eth_tx_prepare(PORT, 0, &m, 1) != 1) {
		rc = rte_errno;
		rte_pktmbuf_free(m);
		return rc;
	}
	for (tries = 0; tries < TX_TRIES; tries++) {
		if (rte_eth_tx_burst(PORT, 0, &m, 1) == 1)
			return 0;
		rte_delay_us_sleep(1000);
	}
	rte_pktmbuf_free(m);
	return EAGAIN;
}

static int
port_setup(struct rte_mempool *rx_pool)
{
	const uint64_t want = RTE_ETH_TX_OFFLOAD_TCP_TSO | RTE_ETH_TX_OFFLOAD_IPV4_CKSUM |
			      RTE_ETH_TX_OFFLOAD_TCP_CKSUM | RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
	struct rte_eth_conf conf;
	struct rte_eth_dev_info info;
	int ret;

	memset(&conf, 0, sizeof(conf));
	ret = rte_eth_dev_info_get(PORT, &info);
	if (ret != 0)
		return ret;
	conf.txmode.offloads = info.tx_offload_capa & want;
	printf("offloads tso=%d ipv4_cksum=%d tcp_cksum=%d multi_segs=%d\n",
	       !!(conf.txmode.offloads & RTE_ETH_TX_OFFLOAD_TCP_TSO),
	       !!(conf.txmode.offloads & RTE_ETH_TX_OFFLOAD_IPV4_CKSUM),
	       !!(conf.txmode.offloads & RTE_ETH_TX_OFFLOAD_TCP_CKSUM),
	       !!(conf.txmode.offloads & RTE_ETH_TX_OFFLOAD_MULTI_SEGS));
	ret = rte_eth_dev_configure(PORT, 1, 1, &conf);
	if (ret == 0)
		ret = rte_eth_rx_queue_setup(PORT, 0, NB_DESC, rte_socket_id(), NULL, rx_pool);
	if (ret == 0)
		ret = rte_eth_tx_queue_setup(PORT, 0, NB_DESC, rte_socket_id(), NULL);
	if (ret == 0)
		ret = rte_eth_dev_start(PORT);
	return ret;
}

/* The driver's count of frames tx_prepare refused on queue 0, or -1 if it has none. */
static int64_t
prepare_rejected(void)
{
	uint64_t id, value;

	if (rte_eth_xstats_get_id_by_name(PORT, "tx_q0_prepare_rejected", &id) != 0 ||
	    rte_eth_xstats_get_by_id(PORT, &id, &value, 1) != 1)
		return -1;
	return (int64_t)value;
}

/* Wait (bounded) for the host to complete every send; returns the big mbufs still in use. */
static unsigned int
drain(struct rte_mempool *big_pool, struct rte_mempool *hdr_pool)
{
	uint64_t end = rte_get_timer_cycles() + rte_get_timer_hz() * DRAIN_MS / 1000;

	while (rte_get_timer_cycles() < end) {
		rte_eth_tx_done_cleanup(PORT, 0, 0);
		if (rte_mempool_in_use_count(big_pool) == 0 &&
		    rte_mempool_in_use_count(hdr_pool) == 0)
			break;
		rte_delay_us_sleep(1000);
	}
	return rte_mempool_in_use_count(big_pool) + rte_mempool_in_use_count(hdr_pool);
}

static int
parse_args(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		struct send *s = &sends[nb_sends];

		if (nb_sends == MAX_SENDS ||
		    sscanf(argv[i], "%u:%u:%u:%u", &s->v, &s->mss, &s->payload, &s->seg) != 4 ||
		    (s->v != 4 && s->v != 6) || s->mss == 0 || s->mss > UINT16_MAX ||
		    s->payload == 0 || s->payload > 2 * UINT16_MAX || s->seg == 0 ||
		    s->seg > BIG_ROOM)
			return -1;
		nb_sends++;
	}
	return nb_sends != 0 ? 0 : -1;
}

int
main(int argc, char **argv)
{
	struct rte_mempool *hdr_pool, *big_pool, *rx_pool;
	struct rte_ether_addr mac;
	unsigned int i, left;
	int ret;

	ret = rte_eal_init(argc, argv);
	if (ret < 0) {
		fprintf(stderr, "test-tso: rte_eal_init failed: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	if (parse_args(argc - ret, argv + ret) != 0 || rte_eth_dev_count_avail() < 1) {
		fprintf(stderr, "usage: test-tso <EAL args, port 0> -- V:MSS:PAYLOAD:SEG...\n");
		return 2;
	}
	rx_pool = rte_pktmbuf_pool_create("tso_rx", NB_RX, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
					  rte_socket_id());
	hdr_pool = rte_pktmbuf_pool_create("tso_hdr", NB_HDR, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
					   rte_socket_id());
	big_pool = rte_pktmbuf_pool_create("tso_big", NB_BIG, 0, 0,
					   BIG_ROOM + RTE_PKTMBUF_HEADROOM, rte_socket_id());
	ret = rx_pool && hdr_pool && big_pool ? port_setup(rx_pool) : -ENOMEM;
	if (ret == 0)
		ret = rte_eth_macaddr_get(PORT, &mac);
	if (ret != 0) {
		fprintf(stderr, "test-tso: port setup: %s\n", rte_strerror(-ret));
		return 1;
	}
	for (i = 0; i < nb_sends; i++) {
		const struct send *s = &sends[i];
		struct rte_mbuf *m = build(i, s, &mac, hdr_pool, big_pool);
		unsigned int segs = m != NULL ? m->nb_segs : 0, len = m != NULL ? m->pkt_len : 0;
		int rc = m != NULL ? transmit(m) : ENOMEM;

		printf("send %u v=%u mss=%u payload=%u seg=%u segs=%u len=%u seq=%" PRIu32
		       " id=%u sport=%u result=%s errno=%d (%s)\n", i, s->v, s->mss, s->payload,
		       s->seg, segs, len, first_seq(i), first_id(i), 40000 + i,
		       rc == 0 ? "sent" : "refused", rc, rc == 0 ? "-" : strerror(rc));
	}
	left = drain(big_pool, hdr_pool);
	printf("mbufs_in_use=%u prepare_rejected=%" PRId64 "\n", left, prepare_rejected());
	ret = rte_eth_dev_stop(PORT);
	if (ret == 0)
		ret = rte_eth_dev_close(PORT);
	rte_eal_cleanup();
	printf("test-tso: exit %d\n", ret);
	fflush(stdout);
	return ret == 0 && left == 0 ? 0 : 1;
}
