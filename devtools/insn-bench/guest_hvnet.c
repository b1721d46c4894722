/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hvnet as the benchmark's guest: its rx and tx bursts (hvnet_rx.c, hvnet_tx.c) over the bus's
 * real channel and ring code (hvbus_channel.c, hvbus_ring.c), on channels made here from the
 * benchmark's memory instead of uio maps. Set up as probe and queue setup would, with the
 * NVSP/RNDIS values the host model stands for.
 */

#include <string.h>

#include <rte_malloc.h>

#include "bench.h"
#include "hvbus_private.h"
#include "hvbus_ring.h"
#include "hvnet.h"

/* What hvnet_ethdev.c and hvbus.c register in the real plugins. */
int hvnet_logtype_init;
int hvnet_logtype_driver;
int hvbus_logtype;

const char *const guest_name = "hvnet";

static struct rte_hvbus_device vdev;
static struct rte_eth_dev_data data;
static struct rte_eth_dev eth;
static struct hvnet_dev hv;
static void *rxqs[BENCH_MAX_QUEUES], *txqs[BENCH_MAX_QUEUES];

static struct rte_hvbus_channel *
chan_make(uint8_t *ring, unsigned int q)
{
	struct rte_hvbus_channel *c = rte_zmalloc(NULL, sizeof(*c), RTE_CACHE_LINE_SIZE);

	if (c == NULL)
		return NULL;
	c->bounce = rte_malloc(NULL, HVBUS_BOUNCE_SIZE, 8);
	c->dev = &vdev;
	c->relid = 14 + q;
	c->subidx = (uint16_t)q;
	c->monitor_id = (uint8_t)q;
	c->primary = c;
	/* Monitor page signalling, as with a kernel that gives channels monitor ids. */
	c->sig_word = &((struct hv_monitor_page *)vdev.resource[HVBUS_MAP_MONITOR].addr)
		->trigger[0].pending;
	c->sig_bit = 1u << q;
	if (c->bounce == NULL ||
	    hvbus_ring_attach_tx(&c->tx, ring, BENCH_RING_BYTES / 2, HV_RING_CTL_SIZE) != 0 ||
	    hvbus_ring_attach_rx(&c->rx, ring + BENCH_RING_BYTES / 2, BENCH_RING_BYTES / 2,
				 HV_RING_CTL_SIZE) != 0)
		return NULL;
	hvbus_ring_set_intr_mask(&c->rx, true);
	return c;
}

int
guest_init(const struct bench_env *env)
{
	unsigned int q;

	vdev.resource[HVBUS_MAP_MONITOR].addr = env->monitor;
	vdev.resource[HVBUS_MAP_INT].addr = env->int_page;
	vdev.resource[HVBUS_MAP_RECV].addr = env->rxbuf;
	vdev.resource[HVBUS_MAP_RECV].len = (uint64_t)BENCH_RX_SECTIONS * BENCH_RX_SECTION;
	vdev.resource[HVBUS_MAP_SEND].addr = env->sendbuf;
	vdev.resource[HVBUS_MAP_SEND].len = (uint64_t)BENCH_TX_SECTIONS * BENCH_TX_SECTION;
	hv.vdev = &vdev;
	hv.eth = &eth;
	eth.data = &data;
	data.rx_queues = rxqs;
	data.tx_queues = txqs;
	data.nb_rx_queues = (uint16_t)env->nb_queues;
	data.nb_tx_queues = (uint16_t)env->nb_queues;
	data.mtu = RTE_ETHER_MTU;
	data.dev_conf.rxmode.offloads = RTE_ETH_RX_OFFLOAD_RSS_HASH;
	hv.socket_id = SOCKET_ID_ANY;
	hv.port_mtu = RTE_ETHER_MTU;
	hv.args.tx_copybreak = 512;
	hv.args.rx_copybreak = 256;
	hv.args.ctl_timeout_ms = 1000;
	hv.sendbuf_section_size = BENCH_TX_SECTION;
	hv.sendbuf_section_cnt = BENCH_TX_SECTIONS;
	hv.rxbuf_section_size = BENCH_RX_SECTION;
	hv.rxbuf_section_cnt = BENCH_RX_SECTIONS;
	hv.rndis_agg_size = BENCH_TX_SECTION;
	hv.rndis_agg_pkts = 64;
	hv.rndis_agg_align = 8;
	hv.chan_lock = rte_zmalloc(NULL, HVNET_MAX_QUEUES * sizeof(*hv.chan_lock),
				   RTE_CACHE_LINE_SIZE);
	if (hv.chan_lock == NULL)
		return -1;
	for (q = 0; q < env->nb_queues; q++) {
		hv.chan[q] = chan_make(env->ring[q], q);
		if (hv.chan[q] == NULL)
			return -1;
		rte_spinlock_init(&hv.chan_lock[q].rx);
		rte_spinlock_init(&hv.chan_lock[q].tx);
	}
	hv.nb_chan = env->nb_queues;
	for (q = 0; q < env->nb_queues; q++)
		if (hvnet_txq_setup(&hv, (uint16_t)q, 256, SOCKET_ID_ANY, 0,
				    (struct hvnet_txq **)&txqs[q]) != 0 ||
		    hvnet_rxq_setup(&hv, (uint16_t)q, 512, SOCKET_ID_ANY, env->mp,
				    RTE_ETH_RX_OFFLOAD_RSS_HASH,
				    (struct hvnet_rxq **)&rxqs[q]) != 0)
			return -1;
	return 0;
}

uint16_t
guest_rx(unsigned int q, struct rte_mbuf **pkts, uint16_t n)
{
	return hvnet_recv_pkts(rxqs[q], pkts, n);
}

uint16_t
guest_tx(unsigned int q, struct rte_mbuf **pkts, uint16_t n)
{
	return hvnet_xmit_pkts(txqs[q], pkts, n);
}

/* hvbus.c's rescind watch, which rte_hvbus_map_device() starts: no uio device here. */
void
hvbus_watch_start(struct rte_hvbus_device *dev)
{
	RTE_SET_USED(dev);
}

void
hvbus_watch_stop(struct rte_hvbus_device *dev)
{
	RTE_SET_USED(dev);
}

bool
guest_set_ptypes(bool on)
{
	unsigned int q;

	for (q = 0; q < BENCH_MAX_QUEUES; q++)
		if (rxqs[q] != NULL)
			((struct hvnet_rxq *)rxqs[q])->ptypes = on;
	return true;
}
