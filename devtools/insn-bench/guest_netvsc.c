/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Upstream net_netvsc as the benchmark's guest: hn_rxtx.c and the vmbus bus's channel and
 * ring code, compiled from Debian's source package of the installed DPDK (never part of this
 * tree), on channels made here from the benchmark's memory instead of uio maps. Set up as
 * hn_dev_init() and queue setup would, with the values the host model stands for.
 */

#include <string.h>

#include <rte_malloc.h>
#include <ethdev_driver.h>
#include <rte_bus_vmbus.h>

#include "bench.h"
#include "hn_var.h"
#include "hn_nvs.h"
#include "hn_rndis.h"

const char *const guest_name = "netvsc";

static struct rte_device rdev;
static struct hn_data hvd;
static struct rte_eth_dev *eth;

/* guest_netvsc_chan.c: kept apart, as private.h and hn_var.h cannot be included together. */
struct vmbus_channel *bench_vmbus_chan(uint8_t *ring, struct hv_monitor_page *mon,
				       unsigned int q);

int
guest_init(const struct bench_env *env)
{
	struct rte_eth_rxconf rxconf = { .rx_free_thresh = 0 };
	struct rte_eth_txconf txconf = { .tx_free_thresh = 0 };
	unsigned int q;

	eth = rte_eth_dev_allocate("insn_bench_netvsc");
	if (eth == NULL)
		return -1;
	rdev.numa_node = SOCKET_ID_ANY;
	eth->device = &rdev;
	eth->data->dev_private = &hvd;
	eth->data->nb_rx_queues = (uint16_t)env->nb_queues;
	eth->data->nb_tx_queues = (uint16_t)env->nb_queues;
	/* What rte_eth_dev_configure() would allocate. */
	eth->data->rx_queues = rte_zmalloc(NULL, env->nb_queues * sizeof(void *), 0);
	eth->data->tx_queues = rte_zmalloc(NULL, env->nb_queues * sizeof(void *), 0);
	if (eth->data->rx_queues == NULL || eth->data->tx_queues == NULL)
		return -1;
	eth->data->mtu = RTE_ETHER_MTU;
	eth->data->dev_conf.rxmode.offloads = RTE_ETH_RX_OFFLOAD_RSS_HASH;
	eth->data->dev_started = 1;
	hvd.port_id = eth->data->port_id;
	rte_rwlock_init(&hvd.vf_lock);
	hvd.vf_ctx.vf_port = HN_INVALID_PORT;
	hvd.rxbuf_res.addr = env->rxbuf;
	hvd.rxbuf_res.len = (uint64_t)BENCH_RX_SECTIONS * BENCH_RX_SECTION;
	hvd.rxbuf_section_cnt = BENCH_RX_SECTIONS;
	hvd.rx_copybreak = HN_RXCOPY_THRESHOLD;
	hvd.rx_extmbuf_enable = HN_RX_EXTMBUF_ENABLE;
	hvd.chim_res.addr = env->sendbuf;
	hvd.chim_res.len = (uint64_t)BENCH_TX_SECTIONS * BENCH_TX_SECTION;
	hvd.chim_szmax = BENCH_TX_SECTION;
	hvd.chim_cnt = BENCH_TX_SECTIONS;
	hvd.tx_copybreak = HN_TXCOPY_THRESHOLD;
	hvd.rndis_agg_size = BENCH_TX_SECTION;
	hvd.rndis_agg_pkts = 64;
	hvd.rndis_agg_align = 8;
	hvd.max_queues = (uint16_t)env->nb_queues;
	hvd.num_queues = (uint16_t)env->nb_queues;
	for (q = 0; q < env->nb_queues; q++) {
		hvd.channels[q] = bench_vmbus_chan(env->ring[q], env->monitor, q);
		if (hvd.channels[q] == NULL)
			return -1;
	}
	hvd.primary = hn_rx_queue_alloc(&hvd, 0, SOCKET_ID_ANY);
	if (hvd.primary == NULL || hn_chim_init(eth) != 0)
		return -1;
	/* As hn_nvs_conn_rxbuf() does for the primary queue. */
	hvd.primary->rxbuf_info = rte_calloc(NULL, BENCH_RX_SECTIONS,
					     sizeof(*hvd.primary->rxbuf_info), RTE_CACHE_LINE_SIZE);
	if (hvd.primary->rxbuf_info == NULL)
		return -1;
	for (q = 0; q < env->nb_queues; q++)
		if (hn_dev_tx_queue_setup(eth, (uint16_t)q, 256, SOCKET_ID_ANY, &txconf) != 0 ||
		    hn_dev_rx_queue_setup(eth, (uint16_t)q, 512, SOCKET_ID_ANY, &rxconf,
					  env->mp) != 0)
			return -1;
	return 0;
}

uint16_t
guest_rx(unsigned int q, struct rte_mbuf **pkts, uint16_t n)
{
	return hn_recv_pkts(eth->data->rx_queues[q], pkts, n);
}

uint16_t
guest_tx(unsigned int q, struct rte_mbuf **pkts, uint16_t n)
{
	return hn_xmit_pkts(eth->data->tx_queues[q], pkts, n);
}

/*
 * What hn_rxtx.c and hn_nvs.c call outside the data path (hn_ethdev.c, hn_rndis.c, hn_vf.c):
 * no VF, no control messages in this model, so none of it is reached.
 */
int hn_logtype_init;
int hn_logtype_driver;

void
hn_nvs_handle_vfassoc(struct rte_eth_dev *dev, const struct vmbus_chanpkt_hdr *hdr,
		      const void *data)
{
	RTE_SET_USED(dev);
	RTE_SET_USED(hdr);
	RTE_SET_USED(data);
}

void
hn_rndis_receive_response(struct hn_data *hv, const void *data, uint32_t len)
{
	RTE_SET_USED(hv);
	RTE_SET_USED(data);
	RTE_SET_USED(len);
}

void
hn_rndis_link_status(struct rte_eth_dev *dev, const void *msg)
{
	RTE_SET_USED(dev);
	RTE_SET_USED(msg);
}

int
hn_vf_tx_queue_setup(struct rte_eth_dev *dev, uint16_t queue_idx, uint16_t nb_desc,
		     unsigned int socket_id, const struct rte_eth_txconf *tx_conf)
{
	RTE_SET_USED(dev);
	RTE_SET_USED(queue_idx);
	RTE_SET_USED(nb_desc);
	RTE_SET_USED(socket_id);
	RTE_SET_USED(tx_conf);
	return 0;
}

int
hn_vf_rx_queue_setup(struct rte_eth_dev *dev, uint16_t queue_idx, uint16_t nb_desc,
		     unsigned int socket_id, const struct rte_eth_rxconf *rx_conf,
		     struct rte_mempool *mp)
{
	RTE_SET_USED(dev);
	RTE_SET_USED(queue_idx);
	RTE_SET_USED(nb_desc);
	RTE_SET_USED(socket_id);
	RTE_SET_USED(rx_conf);
	RTE_SET_USED(mp);
	return 0;
}

void
hn_vf_rx_queue_release(struct hn_data *hv, uint16_t queue_id)
{
	RTE_SET_USED(hv);
	RTE_SET_USED(queue_id);
}

/* Upstream classifies every frame (rte_net_get_ptype()), whatever the application asks. */
bool
guest_set_ptypes(bool on)
{
	return on;
}
