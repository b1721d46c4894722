/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What a net_hvnet port reports, read from shared memory alone so that a secondary process
 * (dpdk-proc-info, dpdk-dumpcap) can answer too: stats, per-queue xstats, device and queue
 * info; and the secondary-process view of a port, made of these.
 */

#include <stdio.h>
#include <string.h>

#include <rte_common.h>
#include <ethdev_driver.h>

#include "hvnet_ethdev.h"

/* Receive copies frames into mbuf chains: any data room from this size up will do. */
#define HVNET_MIN_RX_BUFSIZE	64u
#define HVNET_MAX_DESC		4096u
#define HVNET_MIN_RX_DESC	32u

/* ---- statistics -------------------------------------------------------------------------- */

static const struct hvnet_qstats *
hvnet_rxq_stats(const struct rte_eth_dev *dev, uint16_t q)
{
	const struct hvnet_rxq *rxq = dev->data->rx_queues[q];

	return rxq != NULL ? &rxq->stats : NULL;
}

static const struct hvnet_qstats *
hvnet_txq_stats(const struct rte_eth_dev *dev, uint16_t q)
{
	const struct hvnet_txq *txq = dev->data->tx_queues[q];

	return txq != NULL ? &txq->stats : NULL;
}

/* What a queue moved over the VF (hvnet_vf.h); only for a queue that is set up. */
static struct hvnet_vf_q *
hvnet_rxq_vf(const struct rte_eth_dev *dev, uint16_t q)
{
	return &((struct hvnet_rxq *)dev->data->rx_queues[q])->vf;
}

static struct hvnet_vf_q *
hvnet_txq_vf(const struct rte_eth_dev *dev, uint16_t q)
{
	return &((struct hvnet_txq *)dev->data->tx_queues[q])->vf;
}

/* qs: where the per-queue counters go (NULL: nowhere). Same field names in both layouts. */
#ifdef HVNET_QSTATS_ARG
typedef struct eth_queue_stats hvnet_queue_stats_t;
#else
typedef struct rte_eth_stats hvnet_queue_stats_t;
#endif

static void
hvnet_stats_fill(struct rte_eth_dev *dev, struct rte_eth_stats *st, hvnet_queue_stats_t *qs)
{
	const struct hvnet_qstats *s;
	uint16_t q;

	for (q = 0; q < dev->data->nb_rx_queues; q++) {
		s = hvnet_rxq_stats(dev, q);
		if (s == NULL)
			continue;
		st->ipackets += s->packets + hvnet_rxq_vf(dev, q)->packets;
		st->ibytes += s->bytes + hvnet_rxq_vf(dev, q)->bytes;
		st->ierrors += hvnet_qstats_errors(s);
		st->imissed += s->ring_full;
		st->rx_nombuf += s->nombuf;
		if (qs != NULL && q < RTE_DIM(qs->q_ipackets)) {
			qs->q_ipackets[q] = s->packets + hvnet_rxq_vf(dev, q)->packets;
			qs->q_ibytes[q] = s->bytes + hvnet_rxq_vf(dev, q)->bytes;
			qs->q_errors[q] = hvnet_qstats_errors(s);
		}
	}
	for (q = 0; q < dev->data->nb_tx_queues; q++) {
		s = hvnet_txq_stats(dev, q);
		if (s == NULL)
			continue;
		st->opackets += s->packets + hvnet_txq_vf(dev, q)->packets;
		st->obytes += s->bytes + hvnet_txq_vf(dev, q)->bytes;
		st->oerrors += hvnet_qstats_errors(s);
		if (qs != NULL && q < RTE_DIM(qs->q_opackets)) {
			qs->q_opackets[q] = s->packets + hvnet_txq_vf(dev, q)->packets;
			qs->q_obytes[q] = s->bytes + hvnet_txq_vf(dev, q)->bytes;
		}
	}
}

#ifdef HVNET_QSTATS_ARG
int
hvnet_stats_get(struct rte_eth_dev *dev, struct rte_eth_stats *st, struct eth_queue_stats *qs)
{
	hvnet_stats_fill(dev, st, qs);
	return 0;
}
#else
int
hvnet_stats_get(struct rte_eth_dev *dev, struct rte_eth_stats *st)
{
	hvnet_stats_fill(dev, st, st);
	return 0;
}
#endif

int
hvnet_stats_reset(struct rte_eth_dev *dev)
{
	struct hvnet_dev *hv = hvnet_dev_of(dev);
	struct hvnet_rxq *rxq;
	struct hvnet_txq *txq;
	uint16_t q;

	for (q = 0; q < dev->data->nb_rx_queues; q++) {
		rxq = dev->data->rx_queues[q];
		if (rxq != NULL) {
			memset(&rxq->stats, 0, sizeof(rxq->stats));
			rxq->vf.packets = 0;
			rxq->vf.bytes = 0;
		}
	}
	for (q = 0; q < dev->data->nb_tx_queues; q++) {
		txq = dev->data->tx_queues[q];
		if (txq != NULL) {
			memset(&txq->stats, 0, sizeof(txq->stats));
			txq->vf.packets = 0;
			txq->vf.bytes = 0;
		}
	}
	memset(hv->host_bad, 0, sizeof(hv->host_bad));
	hv->vf.attaches = 0;
	hv->vf.detaches = 0;
	return 0;
}

/* ---- extended statistics ----------------------------------------------------------------- */

#define HVNET_XS_RX	0x1u
#define HVNET_XS_TX	0x2u
#define HVNET_XS_ERR(why)	offsetof(struct hvnet_qstats, errors[why])

/* A new drop reason needs its line in the table below (and in doc/guides/nics/hvnet.rst). */
_Static_assert(HVNET_RX_DROP_MAX == 11 && HVNET_TX_DROP_MAX == 3, "drop reasons and xstats differ");

/* Per-queue extended statistics, named <rx|tx>_q<N>_<name>. */
static const struct {
	const char *name;
	size_t off;
	unsigned int dir;
} hvnet_xstats[] = {
	{ "good_packets", offsetof(struct hvnet_qstats, packets), HVNET_XS_RX | HVNET_XS_TX },
	{ "good_bytes", offsetof(struct hvnet_qstats, bytes), HVNET_XS_RX | HVNET_XS_TX },
	/* Drops by reason (enum hvnet_rx_drop, enum hvnet_tx_drop). */
	{ "bad_xfer_errors", HVNET_XS_ERR(HVNET_RX_BAD_XFER), HVNET_XS_RX },
	{ "bad_range_count_errors", HVNET_XS_ERR(HVNET_RX_BAD_RANGE_COUNT), HVNET_XS_RX },
	{ "bad_range_errors", HVNET_XS_ERR(HVNET_RX_BAD_RANGE), HVNET_XS_RX },
	{ "bad_rndis_errors", HVNET_XS_ERR(HVNET_RX_BAD_RNDIS), HVNET_XS_RX },
	{ "bad_ppi_errors", HVNET_XS_ERR(HVNET_RX_BAD_PPI), HVNET_XS_RX },
	{ "unknown_completion_errors", HVNET_XS_ERR(HVNET_RX_UNKNOWN_COMPLETION), HVNET_XS_RX },
	{ "stray_control_errors", HVNET_XS_ERR(HVNET_RX_STRAY_CONTROL), HVNET_XS_RX },
	{ "vlan_insert_errors", HVNET_XS_ERR(HVNET_RX_VLAN_INSERT), HVNET_XS_RX },
	{ "range_oversize_errors", HVNET_XS_ERR(HVNET_RX_RANGE_OVERSIZE), HVNET_XS_RX },
	{ "frame_oversize_errors", HVNET_XS_ERR(HVNET_RX_FRAME_OVERSIZE), HVNET_XS_RX },
	{ "no_scatter_errors", HVNET_XS_ERR(HVNET_RX_NO_SCATTER), HVNET_XS_RX },
	{ "oversize_errors", HVNET_XS_ERR(HVNET_TX_OVERSIZE), HVNET_XS_TX },
	{ "send_errors", HVNET_XS_ERR(HVNET_TX_SEND_FAILED), HVNET_XS_TX },
	{ "host_errors", HVNET_XS_ERR(HVNET_TX_HOST_FAILED), HVNET_XS_TX },
	{ "ring_full", offsetof(struct hvnet_qstats, ring_full), HVNET_XS_RX | HVNET_XS_TX },
	{ "sendbuf_full", offsetof(struct hvnet_qstats, sendbuf_full), HVNET_XS_TX },
	{ "prepare_rejected", offsetof(struct hvnet_qstats, prepare_rejected), HVNET_XS_TX },
	{ "nombuf", offsetof(struct hvnet_qstats, nombuf), HVNET_XS_RX },
	{ "streamed_packets", offsetof(struct hvnet_qstats, streamed), HVNET_XS_RX },
	{ "multicast_packets", offsetof(struct hvnet_qstats, multicast),
	  HVNET_XS_RX | HVNET_XS_TX },
	{ "broadcast_packets", offsetof(struct hvnet_qstats, broadcast),
	  HVNET_XS_RX | HVNET_XS_TX },
	{ "undersize_packets", offsetof(struct hvnet_qstats, size_bins[7]),
	  HVNET_XS_RX | HVNET_XS_TX },
	{ "size_64_packets", offsetof(struct hvnet_qstats, size_bins[0]),
	  HVNET_XS_RX | HVNET_XS_TX },
	{ "size_65_127_packets", offsetof(struct hvnet_qstats, size_bins[1]),
	  HVNET_XS_RX | HVNET_XS_TX },
	{ "size_128_255_packets", offsetof(struct hvnet_qstats, size_bins[2]),
	  HVNET_XS_RX | HVNET_XS_TX },
	{ "size_256_511_packets", offsetof(struct hvnet_qstats, size_bins[3]),
	  HVNET_XS_RX | HVNET_XS_TX },
	{ "size_512_1023_packets", offsetof(struct hvnet_qstats, size_bins[4]),
	  HVNET_XS_RX | HVNET_XS_TX },
	{ "size_1024_1518_packets", offsetof(struct hvnet_qstats, size_bins[5]),
	  HVNET_XS_RX | HVNET_XS_TX },
	{ "size_1519_max_packets", offsetof(struct hvnet_qstats, size_bins[6]),
	  HVNET_XS_RX | HVNET_XS_TX },
};

static unsigned int
hvnet_xstats_per_queue(unsigned int dir)
{
	unsigned int i, n = 0;

	for (i = 0; i < RTE_DIM(hvnet_xstats); i++)
		n += (hvnet_xstats[i].dir & dir) != 0;
	return n;
}

/* Per-port counters of host messages the control layers refused (enum hvnet_host_bad). */
static const char *const hvnet_host_bad_names[HVNET_BAD_MAX] = {
	[HVNET_BAD_NVSP] = "host_bad_nvsp_msgs",
	[HVNET_BAD_RNDIS] = "host_bad_rndis_msgs",
};

/*
 * Per-port counters of the VF path: what the queues moved over it (their sum; the ethdev
 * stats count both paths together) and the switches to it and back.
 */
static const char *const hvnet_vf_xstat_names[] = {
	"vf_rx_packets", "vf_rx_bytes", "vf_tx_packets", "vf_tx_bytes",
	"vf_attaches", "vf_detaches",
};
#define HVNET_VF_XSTATS RTE_DIM(hvnet_vf_xstat_names)

static uint64_t
hvnet_vf_xstat(const struct rte_eth_dev *dev, unsigned int i)
{
	const struct hvnet_dev *hv = hvnet_dev_of(dev);
	const struct hvnet_vf_q *vq;
	uint64_t sum = 0;
	uint16_t q, nb;

	if (i >= 4)
		return i == 4 ? hv->vf.attaches : hv->vf.detaches;
	nb = i < 2 ? dev->data->nb_rx_queues : dev->data->nb_tx_queues;
	for (q = 0; q < nb; q++) {
		if ((i < 2 ? dev->data->rx_queues[q] : dev->data->tx_queues[q]) == NULL)
			continue;
		vq = i < 2 ? hvnet_rxq_vf(dev, q) : hvnet_txq_vf(dev, q);
		sum += i % 2 == 0 ? vq->packets : vq->bytes;
	}
	return sum;
}

/* Per-queue counters, then the host's refusals, then the VF's (the port counters). */
#define HVNET_PORT_XSTATS (HVNET_BAD_MAX + HVNET_VF_XSTATS)

static unsigned int
hvnet_xstats_count(const struct rte_eth_dev *dev)
{
	return dev->data->nb_rx_queues * hvnet_xstats_per_queue(HVNET_XS_RX) +
	       dev->data->nb_tx_queues * hvnet_xstats_per_queue(HVNET_XS_TX) + HVNET_PORT_XSTATS;
}

/*
 * Walk every (queue, counter) pair in the order of the names; fn gets the counter block
 * (NULL for a queue not set up) and the table index.
 */
static void
hvnet_xstats_walk(const struct rte_eth_dev *dev,
		  void (*fn)(void *arg, unsigned int id, const char *dir, uint16_t q,
			     const struct hvnet_qstats *s, unsigned int i),
		  void *arg)
{
	unsigned int i, id = 0;
	uint16_t q;

	for (q = 0; q < dev->data->nb_rx_queues; q++) {
		for (i = 0; i < RTE_DIM(hvnet_xstats); i++) {
			if (hvnet_xstats[i].dir & HVNET_XS_RX)
				fn(arg, id++, "rx", q, hvnet_rxq_stats(dev, q), i);
		}
	}
	for (q = 0; q < dev->data->nb_tx_queues; q++) {
		for (i = 0; i < RTE_DIM(hvnet_xstats); i++) {
			if (hvnet_xstats[i].dir & HVNET_XS_TX)
				fn(arg, id++, "tx", q, hvnet_txq_stats(dev, q), i);
		}
	}
}

static void
hvnet_xstat_name(void *arg, unsigned int id, const char *dir, uint16_t q,
		 const struct hvnet_qstats *s __rte_unused, unsigned int i)
{
	struct rte_eth_xstat_name *names = arg;

	snprintf(names[id].name, sizeof(names[id].name), "%s_q%u_%s", dir, q,
		 hvnet_xstats[i].name);
}

static void
hvnet_xstat_value(void *arg, unsigned int id, const char *dir __rte_unused,
		  uint16_t q __rte_unused, const struct hvnet_qstats *s, unsigned int i)
{
	struct rte_eth_xstat *xs = arg;

	xs[id].id = id;
	xs[id].value = s != NULL ?
		*(const uint64_t *)((const uint8_t *)s + hvnet_xstats[i].off) : 0;
}

int
hvnet_xstats_get_names(struct rte_eth_dev *dev, struct rte_eth_xstat_name *names,
		       unsigned int limit)
{
	unsigned int n = hvnet_xstats_count(dev), i;

	if (names == NULL || limit < n)
		return n;
	hvnet_xstats_walk(dev, hvnet_xstat_name, names);
	for (i = 0; i < HVNET_PORT_XSTATS; i++)
		snprintf(names[n - HVNET_PORT_XSTATS + i].name, sizeof(names[0].name), "%s",
			 i < HVNET_BAD_MAX ? hvnet_host_bad_names[i] :
					     hvnet_vf_xstat_names[i - HVNET_BAD_MAX]);
	return n;
}

int
hvnet_xstats_get(struct rte_eth_dev *dev, struct rte_eth_xstat *xs, unsigned int limit)
{
	const struct hvnet_dev *hv = hvnet_dev_of(dev);
	unsigned int n = hvnet_xstats_count(dev), i;

	if (xs == NULL || limit < n)
		return n;
	hvnet_xstats_walk(dev, hvnet_xstat_value, xs);
	for (i = 0; i < HVNET_PORT_XSTATS; i++) {
		xs[n - HVNET_PORT_XSTATS + i].id = n - HVNET_PORT_XSTATS + i;
		xs[n - HVNET_PORT_XSTATS + i].value = i < HVNET_BAD_MAX ?
			__atomic_load_n(&hv->host_bad[i], __ATOMIC_RELAXED) :
			hvnet_vf_xstat(dev, i - HVNET_BAD_MAX);
	}
	return n;
}

/* ---- device and queue info --------------------------------------------------------------- */

int
hvnet_dev_infos_get(struct rte_eth_dev *dev, struct rte_eth_dev_info *info)
{
	const struct hvnet_dev *hv = hvnet_dev_of(dev);

	info->max_rx_queues = hv->max_chan;
	info->max_tx_queues = hv->max_chan;
	info->min_rx_bufsize = HVNET_MIN_RX_BUFSIZE;
	info->max_rx_pktlen = HVNET_MAX_MTU + RTE_ETHER_HDR_LEN + RTE_VLAN_HLEN;
	info->min_mtu = HVNET_MIN_MTU;
	info->max_mtu = HVNET_MAX_MTU;
	info->max_mac_addrs = 1;
	info->rx_offload_capa = hv->rx_offload_capa | RTE_ETH_RX_OFFLOAD_SCATTER;
	info->tx_offload_capa = hv->tx_offload_capa;
	info->reta_size = HVNET_RETA_SIZE;
	info->hash_key_size = HVNET_RSS_KEY_SIZE;
	info->flow_type_rss_offloads = hvnet_rss_offloads(hv);
	info->rx_desc_lim.nb_min = HVNET_MIN_RX_DESC;
	info->rx_desc_lim.nb_max = HVNET_MAX_DESC;
	info->rx_desc_lim.nb_align = 1;
	info->tx_desc_lim.nb_min = 1;
	info->tx_desc_lim.nb_max = (uint16_t)RTE_MIN(RTE_MAX(hv->sendbuf_section_cnt, 1u),
						     HVNET_MAX_DESC);
	info->tx_desc_lim.nb_align = 1;
	/* Segments that always fit GPA-direct: each may straddle a page (two ranges). */
	info->tx_desc_lim.nb_mtu_seg_max = (HVNET_MAX_TX_PAGES - 1) / 2;
	info->tx_desc_lim.nb_seg_max = (HVNET_MAX_TX_PAGES - 1) / 2;
	/* The host sets the speed: whatever it reports now is the one we can claim. */
	info->speed_capa = hv->link_speed_mbps != 0 ?
		rte_eth_speed_bitflag(hv->link_speed_mbps, RTE_ETH_LINK_FULL_DUPLEX) : 0;
	return 0;
}

void
hvnet_rxq_info_get(struct rte_eth_dev *dev, uint16_t q, struct rte_eth_rxq_info *qinfo)
{
	const struct hvnet_rxq *rxq = dev->data->rx_queues[q];
	const struct hvnet_qconf *c = &hvnet_port_of(hvnet_dev_of(dev))->rxq_conf[q];

	qinfo->mp = rxq->mp;
	qinfo->nb_desc = rxq->nb_desc;
	qinfo->scattered_rx = rxq->scatter;
	qinfo->conf.offloads = c->offloads;
	qinfo->conf.rx_deferred_start = c->deferred;
	qinfo->rx_buf_size = rte_pktmbuf_data_room_size(rxq->mp) - RTE_PKTMBUF_HEADROOM;
}

void
hvnet_txq_info_get(struct rte_eth_dev *dev, uint16_t q, struct rte_eth_txq_info *qinfo)
{
	const struct hvnet_txq *txq = dev->data->tx_queues[q];
	const struct hvnet_qconf *c = &hvnet_port_of(hvnet_dev_of(dev))->txq_conf[q];

	qinfo->nb_desc = txq->nb_desc;
	qinfo->conf.offloads = c->offloads;
	qinfo->conf.tx_deferred_start = c->deferred;
}

/* ---- the secondary-process view ---------------------------------------------------------- */

/* The secondary never touches a channel: the link the primary published is the answer. */
static int
hvnet_dev_link_update_secondary(struct rte_eth_dev *dev __rte_unused,
				int wait_to_complete __rte_unused)
{
	return -1;
}

/* The primary owns the channels and the queues: a secondary has nothing of its own to free. */
static int
hvnet_dev_close_secondary(struct rte_eth_dev *dev __rte_unused)
{
	return 0;
}

/*
 * A secondary process (dpdk-proc-info, dpdk-dumpcap) reads what lives in shared memory:
 * the queues' counters and the port's configuration. Nothing here reaches a channel.
 */
static const struct eth_dev_ops hvnet_secondary_ops = {
	.dev_close = hvnet_dev_close_secondary,
	.dev_infos_get = hvnet_dev_infos_get,
	.link_update = hvnet_dev_link_update_secondary,
	.stats_get = hvnet_stats_get,
	.stats_reset = hvnet_stats_reset,
	.xstats_get = hvnet_xstats_get,
	.xstats_get_names = hvnet_xstats_get_names,
	.xstats_reset = hvnet_stats_reset,
	.rxq_info_get = hvnet_rxq_info_get,
	.txq_info_get = hvnet_txq_info_get,
	.reta_query = hvnet_reta_query,
	.rss_hash_conf_get = hvnet_rss_hash_conf_get,
};

int
hvnet_probe_secondary(struct rte_hvbus_device *vdev)
{
	struct rte_eth_dev *eth;

	eth = rte_eth_dev_attach_secondary(vdev->device.name);
	if (eth == NULL) {
		HVNET_INIT_LOG(ERR, "%s: no such port in the primary process", vdev->name);
		return -ENODEV;
	}
	eth->device = &vdev->device;
	eth->dev_ops = &hvnet_secondary_ops;
	/* The channels are mapped in the primary only: the secondary has no data path. */
	eth->rx_pkt_burst = rte_eth_pkt_burst_dummy;
	eth->tx_pkt_burst = rte_eth_pkt_burst_dummy;
	/*
	 * Queue state is in shared memory, and these read no channel in a secondary. ethdev
	 * calls them without a NULL check (25.11's dpdk-proc-info --show-port does).
	 */
	eth->rx_queue_count = hvnet_rx_queue_count;
	eth->rx_descriptor_status = hvnet_rx_descriptor_status;
	eth->tx_descriptor_status = hvnet_tx_descriptor_status;
	rte_eth_dev_probing_finish(eth);
	return 0;
}
