/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * net_hvnet ethdev ops: the attach/detach sequences, configure, queues, start/stop, link and
 * LSC, receive modes, MTU; probe/remove. RSS, stats and devargs have files of their own
 * (hvnet_ethdev.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include <rte_alarm.h>
#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_malloc.h>
#include <ethdev_driver.h>

#include "hvnet_ethdev.h"

RTE_LOG_REGISTER_SUFFIX(hvnet_logtype_init, init, NOTICE);
RTE_LOG_REGISTER_SUFFIX(hvnet_logtype_driver, driver, NOTICE);

/* How often a started port looks for host link indications (LSC without interrupts). */
#define HVNET_LSC_PERIOD_US	(100 * 1000)

/* Steps of the attach sequence that are done, so that a detach undoes exactly those. */
#define HVNET_AT_MAPPED		0x1u
#define HVNET_AT_NVS		0x2u
#define HVNET_AT_RNDIS		0x4u

/* ---- attach / detach --------------------------------------------------------------------- */

static void
hvnet_close_subchannels(struct hvnet_dev *hv)
{
	unsigned int i;

	for (i = 1; i < HVNET_MAX_QUEUES; i++) {
		if (hv->chan[i] != NULL) {
			rte_hvbus_chan_close(hv->chan[i]);
			hv->chan[i] = NULL;
		}
	}
	hv->nb_chan = hv->chan[0] != NULL ? 1 : 0;
}

/* Undo whatever part of hvnet_attach() was done, in reverse; safe to call twice. */
static void
hvnet_detach(struct hvnet_dev *hv)
{
	struct hvnet_port *port = hvnet_port_of(hv);

	hvnet_close_subchannels(hv);
	if (port->attached & HVNET_AT_RNDIS)
		hvnet_rndis_detach(hv);
	if (port->attached & HVNET_AT_NVS)
		hvnet_nvs_detach(hv);
	if (hv->chan[0] != NULL) {
		rte_hvbus_chan_close(hv->chan[0]);
		hv->chan[0] = NULL;
	}
	if (port->attached & HVNET_AT_MAPPED)
		rte_hvbus_unmap_device(hv->vdev);
	hv->nb_chan = 0;
	port->attached = 0;
	port->subch_requested = false;
}

/* Channel count the device can have: sysfs, the host's RSS queues, our table. */
static void
hvnet_max_channels(struct hvnet_dev *hv)
{
	unsigned int sys = rte_hvbus_max_channels(hv->vdev);
	unsigned int host = 1;
	int ret;

	if (hv->nvs_ver >= HV_NVSP_VERSION_5 && sys > 1) {
		ret = hvnet_rndis_rss_caps(hv, &host);
		if (ret != 0) {
			HVNET_INIT_LOG(NOTICE, "%s: no RSS capabilities (%s): one queue",
				       hv->vdev->name, strerror(-ret));
			host = 1;
		}
	}
	hv->max_chan = RTE_MIN(RTE_MIN(sys, host), HVNET_MAX_QUEUES);
	if (hvnet_port_of(hv)->chan_granted != 0)
		hv->max_chan = RTE_MIN(hv->max_chan, hvnet_port_of(hv)->chan_granted);
	if (hv->max_chan == 0)
		hv->max_chan = 1;
}

/* The host's answers the port depends on: MAC, MTU, link, queues. */
static int
hvnet_query_host(struct hvnet_dev *hv)
{
	int ret;

	ret = hvnet_rndis_get_mac(hv);
	if (ret != 0) {
		HVNET_INIT_LOG(ERR, "%s: cannot read the MAC address: %s", hv->vdev->name,
			       strerror(-ret));
		return ret;
	}
	ret = hvnet_rndis_get_mtu(hv);
	if (ret != 0 || hv->mtu < HVNET_MIN_MTU || hv->mtu > HVNET_MAX_MTU) {
		HVNET_INIT_LOG(NOTICE, "%s: host gave no usable MTU (%d, %u): using %u",
			       hv->vdev->name, ret, hv->mtu, RTE_ETHER_MTU);
		hv->mtu = RTE_ETHER_MTU;
	}
	ret = hvnet_rndis_link_update(hv);
	if (ret != 0) {
		HVNET_INIT_LOG(NOTICE, "%s: link query failed (%s): link down until told",
			       hv->vdev->name, strerror(-ret));
		hv->link_up = false;
	}
	hvnet_max_channels(hv);
	/* Offload capabilities are reported before the application configures the port. */
	ret = hvnet_rndis_offload_setup(hv);
	if (ret != 0)
		HVNET_INIT_LOG(NOTICE, "%s: offload setup failed (%s): no offloads",
			       hv->vdev->name, strerror(-ret));
	return 0;
}

/* Map the device, open the primary channel, run NVSP and RNDIS with this MTU. */
static int
hvnet_attach(struct hvnet_dev *hv, uint16_t mtu)
{
	struct hvnet_port *port = hvnet_port_of(hv);
	int ret;

	ret = rte_hvbus_map_device(hv->vdev);
	if (ret != 0)
		goto fail;
	port->attached |= HVNET_AT_MAPPED;
	ret = rte_hvbus_chan_open(hv->vdev, &hv->chan[0]);
	if (ret != 0)
		goto fail;
	hv->nb_chan = 1;
	ret = rte_hvbus_chan_set_latency(hv->chan[0], hv->args.latency_us);
	if (ret != 0)
		goto fail;
	ret = hvnet_nvs_attach(hv, mtu);
	if (ret != 0)
		goto fail;
	port->attached |= HVNET_AT_NVS;
	ret = hvnet_rndis_attach(hv);
	if (ret != 0)
		goto fail;
	port->attached |= HVNET_AT_RNDIS;
	ret = hvnet_query_host(hv);
	if (ret != 0)
		goto fail;
	return 0;
fail:
	HVNET_INIT_LOG(ERR, "%s: attach failed: %s", hv->vdev->name, strerror(-ret));
	hvnet_detach(hv);
	return ret;
}

/*
 * A subchannel the guest cannot signal (no monitor id, and a kernel whose uio write signals
 * the primary channel alone: no Linux d062463edf17) would carry one send and then stall for
 * good. No user-space driver can signal it there, so the port takes one queue on such a
 * kernel: configure fails and the port offers one queue from then on (squeezing all queues
 * onto the primary would put a lock on every burst). doc/guides/nics/hvnet.rst, "Signalling".
 */
static int
hvnet_check_signalling(struct hvnet_dev *hv)
{
	struct hvnet_port *port = hvnet_port_of(hv);
	unsigned int i;

	for (i = 1; i < HVNET_MAX_QUEUES; i++) {
		if (hv->chan[i] == NULL || rte_hvbus_chan_can_signal(hv->chan[i]))
			continue;
		port->chan_granted = 1;
		hv->max_chan = 1;
		HVNET_LOG(ERR, "port %u: subchannel %u has no monitor id, and this kernel's "
			  "uio_hv_generic signals only the primary channel (it lacks Linux commit "
			  "d062463edf17, 6.15, or its stable backport): that queue would stall after "
			  "its first send. The port takes 1 queue on this kernel: configure it again "
			  "with 1 queue, or update the kernel.", hv->port_id, i);
		return -ENOTSUP;
	}
	return 0;
}

/*
 * Open nb - 1 subchannels. The host takes one subchannel request per NVS session, so the
 * caller re-attaches first when one was made already.
 */
static int
hvnet_open_subchannels(struct hvnet_dev *hv, unsigned int nb)
{
	struct hvnet_port *port = hvnet_port_of(hv);
	uint64_t hz = rte_get_timer_hz();
	uint64_t deadline = rte_get_timer_cycles() + hz * hv->args.ctl_timeout_ms / 1000;
	struct rte_hvbus_channel *ch;
	uint32_t count = nb - 1;
	unsigned int i, left_ms;
	uint16_t idx;
	int ret;

	port->subch_requested = true;
	ret = hvnet_nvs_alloc_subchannels(hv, &count);
	if (ret != 0)
		return ret;
	if (count < nb - 1) {
		/* Linux runs with fewer; here the application's queue counts are fixed. */
		port->chan_granted = count + 1;
		hv->max_chan = port->chan_granted;
		HVNET_LOG(ERR, "port %u: the host granted %" PRIu32 " of the %u subchannels asked: "
			  "the port takes at most %u queues now, configure it again with that many",
			  hv->port_id, count, nb - 1, hv->max_chan);
		return -EINVAL;
	}
	for (i = 1; i < nb; i++) {
		uint64_t now = rte_get_timer_cycles();

		left_ms = now < deadline ? (unsigned int)((deadline - now) * 1000 / hz) : 0;
		ret = rte_hvbus_subchan_open(hv->chan[0], &ch, left_ms);
		if (ret != 0)
			return ret;
		idx = rte_hvbus_chan_index(ch);
		if (idx == 0 || idx >= nb || hv->chan[idx] != NULL) {
			HVNET_LOG(ERR, "port %u: host offered subchannel index %u (expected 1..%u, "
				  "once each)", hv->port_id, idx, nb - 1);
			rte_hvbus_chan_close(ch);
			return -EPROTO;
		}
		hv->chan[idx] = ch;
		hv->nb_chan++;
		/* Each channel with a monitor id has its own latency slot (0: the host's own). */
		ret = rte_hvbus_chan_set_latency(ch, hv->args.latency_us);
		if (ret != 0)
			return ret;
	}
	return hvnet_check_signalling(hv);
}

/* ---- queues ------------------------------------------------------------------------------ */

static int
hvnet_queue_socket(const struct hvnet_dev *hv, int socket)
{
	return socket == SOCKET_ID_ANY ? hv->socket_id : socket;
}

static int
hvnet_rxq_create(struct rte_eth_dev *dev, uint16_t q)
{
	struct hvnet_dev *hv = hvnet_dev_of(dev);
	const struct hvnet_qconf *c = &hvnet_port_of(hv)->rxq_conf[q];
	struct hvnet_rxq *rxq;
	int ret;

	ret = hvnet_rxq_setup(hv, q, c->nb_desc, hvnet_queue_socket(hv, c->socket), c->mp,
			      c->offloads, &rxq);
	if (ret != 0) {
		HVNET_LOG(ERR, "port %u: rx queue %u setup failed: %s", hv->port_id, q,
			  strerror(-ret));
		return ret;
	}
	dev->data->rx_queues[q] = rxq;
	return 0;
}

static int
hvnet_txq_create(struct rte_eth_dev *dev, uint16_t q)
{
	struct hvnet_dev *hv = hvnet_dev_of(dev);
	const struct hvnet_qconf *c = &hvnet_port_of(hv)->txq_conf[q];
	struct hvnet_txq *txq;
	int ret;

	/* hvnet_txq_setup() gives queue q its share of the send-buffer sections. */
	ret = hvnet_txq_setup(hv, q, c->nb_desc, hvnet_queue_socket(hv, c->socket), c->offloads,
			      &txq);
	if (ret != 0) {
		HVNET_LOG(ERR, "port %u: tx queue %u setup failed: %s", hv->port_id, q,
			  strerror(-ret));
		return ret;
	}
	dev->data->tx_queues[q] = txq;
	return 0;
}

static void
hvnet_rxq_destroy(struct rte_eth_dev *dev, uint16_t q)
{
	if (dev->data->rx_queues[q] != NULL) {
		hvnet_rxq_free(dev->data->rx_queues[q]);
		dev->data->rx_queues[q] = NULL;
	}
}

static void
hvnet_txq_destroy(struct rte_eth_dev *dev, uint16_t q)
{
	if (dev->data->tx_queues[q] != NULL) {
		hvnet_txq_free(dev->data->tx_queues[q]);
		dev->data->tx_queues[q] = NULL;
	}
}

static void
hvnet_queues_destroy(struct rte_eth_dev *dev)
{
	uint16_t q;

	for (q = 0; q < dev->data->nb_rx_queues; q++)
		hvnet_rxq_destroy(dev, q);
	for (q = 0; q < dev->data->nb_tx_queues; q++)
		hvnet_txq_destroy(dev, q);
}

/* Build again the queues that existed (bitmaps from before the channels changed). */
static int
hvnet_queues_rebuild(struct rte_eth_dev *dev, uint64_t rx_had, uint64_t tx_had)
{
	uint16_t q;
	int ret;

	for (q = 0; q < dev->data->nb_rx_queues; q++) {
		if (rx_had & RTE_BIT64(q)) {
			ret = hvnet_rxq_create(dev, q);
			if (ret != 0)
				return ret;
		}
	}
	for (q = 0; q < dev->data->nb_tx_queues; q++) {
		if (tx_had & RTE_BIT64(q)) {
			ret = hvnet_txq_create(dev, q);
			if (ret != 0)
				return ret;
		}
	}
	return 0;
}

static uint64_t
hvnet_queue_map(void **queues, uint16_t nb)
{
	uint64_t map = 0;
	uint16_t q;

	for (q = 0; q < nb && q < HVNET_MAX_QUEUES; q++) {
		if (queues[q] != NULL)
			map |= RTE_BIT64(q);
	}
	return map;
}

static int
hvnet_rx_queue_setup(struct rte_eth_dev *dev, uint16_t q, uint16_t nb_desc, unsigned int socket,
		     const struct rte_eth_rxconf *conf, struct rte_mempool *mp)
{
	struct hvnet_dev *hv = hvnet_dev_of(dev);
	struct hvnet_qconf *c = &hvnet_port_of(hv)->rxq_conf[q];

	if (q >= hv->nb_chan) {
		HVNET_LOG(ERR, "port %u: rx queue %u has no channel (%u open)", hv->port_id, q,
			  hv->nb_chan);
		return -EINVAL;
	}
	hvnet_rxq_destroy(dev, q);
	c->nb_desc = nb_desc;
	c->socket = (int)socket;
	c->offloads = conf->offloads | dev->data->dev_conf.rxmode.offloads;
	c->deferred = conf->rx_deferred_start != 0;
	c->mp = mp;
	return hvnet_rxq_create(dev, q);
}

static int
hvnet_tx_queue_setup(struct rte_eth_dev *dev, uint16_t q, uint16_t nb_desc, unsigned int socket,
		     const struct rte_eth_txconf *conf)
{
	struct hvnet_dev *hv = hvnet_dev_of(dev);
	struct hvnet_qconf *c = &hvnet_port_of(hv)->txq_conf[q];

	if (q >= hv->nb_chan) {
		HVNET_LOG(ERR, "port %u: tx queue %u has no channel (%u open)", hv->port_id, q,
			  hv->nb_chan);
		return -EINVAL;
	}
	hvnet_txq_destroy(dev, q);
	c->nb_desc = nb_desc;
	c->socket = (int)socket;
	c->offloads = conf->offloads | dev->data->dev_conf.txmode.offloads;
	c->deferred = conf->tx_deferred_start != 0;
	c->mp = NULL;
	return hvnet_txq_create(dev, q);
}

static void
hvnet_rx_queue_release(struct rte_eth_dev *dev, uint16_t q)
{
	hvnet_rxq_destroy(dev, q);
}

static void
hvnet_tx_queue_release(struct rte_eth_dev *dev, uint16_t q)
{
	hvnet_txq_destroy(dev, q);
}

/*
 * The host feeds all channels of a port while its filter is set: a stopped rx queue only
 * stops holding frames read for it without a burst. Tx queues keep ethdev's view. The VF's
 * queue of the same number follows either: one that cannot start fails the start.
 */
static int
hvnet_rx_queue_start(struct rte_eth_dev *dev, uint16_t q)
{
	int ret;

	dev->data->rx_queue_state[q] = RTE_ETH_QUEUE_STATE_STARTED;
	ret = hvnet_vf_queue_changed(dev, true, q, true);
	if (ret != 0) {
		dev->data->rx_queue_state[q] = RTE_ETH_QUEUE_STATE_STOPPED;
		return ret;
	}
	hvnet_rxq_start(dev->data->rx_queues[q]);
	return 0;
}

static int
hvnet_rx_queue_stop(struct rte_eth_dev *dev, uint16_t q)
{
	int ret = hvnet_rxq_stop(dev->data->rx_queues[q]);

	if (ret != 0) {
		/* Still started, as ethdev keeps it: what is read for it is parked again. */
		hvnet_rxq_start(dev->data->rx_queues[q]);
		return ret;
	}
	dev->data->rx_queue_state[q] = RTE_ETH_QUEUE_STATE_STOPPED;
	return hvnet_vf_queue_changed(dev, true, q, false);
}

static int
hvnet_tx_queue_start(struct rte_eth_dev *dev, uint16_t q)
{
	int ret;

	dev->data->tx_queue_state[q] = RTE_ETH_QUEUE_STATE_STARTED;
	ret = hvnet_vf_queue_changed(dev, false, q, true);
	if (ret != 0)
		dev->data->tx_queue_state[q] = RTE_ETH_QUEUE_STATE_STOPPED;
	return ret;
}

static int
hvnet_tx_queue_stop(struct rte_eth_dev *dev, uint16_t q)
{
	dev->data->tx_queue_state[q] = RTE_ETH_QUEUE_STATE_STOPPED;
	return hvnet_vf_queue_changed(dev, false, q, false);
}

/* ---- configure --------------------------------------------------------------------------- */

/* Channels for nb queues, RSS and offloads, from an attached primary channel. */
static int
hvnet_setup_channels(struct rte_eth_dev *dev, unsigned int nb)
{
	struct hvnet_dev *hv = hvnet_dev_of(dev);
	int ret;

	if (nb > hv->nb_chan) {
		ret = hvnet_open_subchannels(hv, nb);
		if (ret != 0) {
			HVNET_LOG(ERR, "port %u: cannot open %u channels: %s", hv->port_id, nb,
				  strerror(-ret));
			return ret;
		}
	}
	ret = hvnet_rss_apply(dev);
	if (ret != 0)
		return ret;
	ret = hvnet_rndis_offload_setup(hv);
	if (ret != 0)
		HVNET_LOG(ERR, "port %u: offload setup failed: %s", hv->port_id, strerror(-ret));
	return ret;
}

/*
 * Start over with a fresh NVS session: everything detached, the device unmapped and mapped
 * again (the kernel then closes and re-opens the channel), attached with this MTU, and the
 * channels and queues the port had built again.
 */
static int
hvnet_reattach_queues(struct rte_eth_dev *dev, uint16_t mtu, unsigned int nb_chan,
		      uint64_t rx_had, uint64_t tx_had)
{
	struct hvnet_dev *hv = hvnet_dev_of(dev);
	int ret;

	hvnet_queues_destroy(dev);
	hvnet_detach(hv);
	ret = hvnet_attach(hv, mtu);
	if (ret != 0)
		return ret;
	if (nb_chan > hv->max_chan) {
		HVNET_LOG(ERR, "port %u: host now allows %u queues, %u configured", hv->port_id,
			  hv->max_chan, nb_chan);
		return -EINVAL;
	}
	ret = hvnet_setup_channels(dev, nb_chan);
	if (ret == 0)
		ret = hvnet_queues_rebuild(dev, rx_had, tx_had);
	return ret;
}

static int
hvnet_reattach(struct rte_eth_dev *dev, uint16_t mtu, unsigned int nb_chan)
{
	return hvnet_reattach_queues(dev, mtu, nb_chan,
				     hvnet_queue_map(dev->data->rx_queues, dev->data->nb_rx_queues),
				     hvnet_queue_map(dev->data->tx_queues, dev->data->nb_tx_queues));
}

/*
 * The send buffer is split among the transmit queues by their count: queues kept from an
 * earlier configure are built again on their new share.
 */
static int
hvnet_txqs_reshare(struct rte_eth_dev *dev)
{
	uint64_t had = hvnet_queue_map(dev->data->tx_queues, dev->data->nb_tx_queues);
	uint16_t q;

	for (q = 0; q < dev->data->nb_tx_queues; q++)
		hvnet_txq_destroy(dev, q);
	return hvnet_queues_rebuild(dev, 0, had);
}

static bool
hvnet_attached(struct hvnet_dev *hv)
{
	return (hvnet_port_of(hv)->attached & HVNET_AT_RNDIS) != 0;
}

static int
hvnet_dev_configure(struct rte_eth_dev *dev)
{
	struct hvnet_dev *hv = hvnet_dev_of(dev);
	const struct rte_eth_conf *conf = &dev->data->dev_conf;
	unsigned int nb = RTE_MAX(dev->data->nb_rx_queues, dev->data->nb_tx_queues);
	struct rte_eth_rss_conf rss = conf->rx_adv_conf.rss_conf;
	int ret;

	if (!hvnet_attached(hv)) {
		HVNET_LOG(ERR, "port %u: device not attached (failed re-attach): reset the port",
			  hv->port_id);
		return -EIO;
	}
	if (nb == 0 || nb > hv->max_chan) {
		HVNET_LOG(ERR, "port %u: %u rx and %u tx queues: the device has 1..%u",
			  hv->port_id, dev->data->nb_rx_queues, dev->data->nb_tx_queues,
			  hv->max_chan);
		return -EINVAL;
	}
	if (!(conf->rxmode.mq_mode & RTE_ETH_MQ_RX_RSS_FLAG))
		rss.rss_hf = 0;
	ret = hvnet_rss_conf_apply(dev, &rss);
	if (ret != 0)
		return ret;
	hvnet_rss_reta_default(hv, dev->data->nb_rx_queues);
	if (nb != hv->nb_chan && hvnet_port_of(hv)->subch_requested)
		return hvnet_reattach(dev, dev->data->mtu, nb);
	ret = hvnet_setup_channels(dev, nb);
	if (ret != 0)
		return ret;
	return hvnet_txqs_reshare(dev);
}

/* ---- link and LSC ------------------------------------------------------------------------ */

/* Publish the host's link state to ethdev; true when it changed. */
static bool
hvnet_link_publish(struct rte_eth_dev *dev)
{
	const struct hvnet_dev *hv = hvnet_dev_of(dev);
	struct rte_eth_link link = {
		.link_duplex = RTE_ETH_LINK_FULL_DUPLEX,
		.link_autoneg = RTE_ETH_LINK_FIXED,
	};

	link.link_status = hv->link_up ? RTE_ETH_LINK_UP : RTE_ETH_LINK_DOWN;
	link.link_speed = hv->link_up ? hv->link_speed_mbps : RTE_ETH_SPEED_NUM_NONE;
	return rte_eth_linkstatus_set(dev, &link) == 0;
}

/*
 * Whether an lcore received on queue 0 since the last alarm. Its reads take the indications
 * too: a read of the alarm's own would park up to a ring's worth of its frames in the stash,
 * and drop what the stash cannot hold (0.1 % of a max-rate rxonly run here).
 */
static bool
hvnet_lsc_rx_busy(struct rte_eth_dev *dev)
{
	struct hvnet_port *port = hvnet_port_of(hvnet_dev_of(dev));
	struct hvnet_rxq *rxq;
	uint64_t seen;
	bool busy;

	if (dev->data->nb_rx_queues == 0 || dev->data->rx_queues[0] == NULL)
		return false;
	rxq = dev->data->rx_queues[0];
	seen = __atomic_load_n(&rxq->stats.packets, __ATOMIC_RELAXED);
	busy = seen != port->lsc_seen_rx;
	port->lsc_seen_rx = seen;
	return busy;
}

/*
 * Host link indications arrive in the primary channel's ring. While the port is started this
 * reads that ring if no lcore is doing so, and turns an indication into an LSC event.
 */
static void
hvnet_lsc_alarm(void *arg)
{
	struct rte_eth_dev *dev = arg;
	struct hvnet_dev *hv = hvnet_dev_of(dev);
	struct hvnet_port *port = hvnet_port_of(hv);

	if (!hvnet_lsc_rx_busy(dev))
		hvnet_chan_poll(hv, 0, false);
	if (__atomic_exchange_n(&hv->lsc_pending, false, __ATOMIC_ACQ_REL)) {
		hvnet_link_publish(dev);
		if (dev->data->dev_conf.intr_conf.lsc)
			rte_eth_dev_callback_process(dev, RTE_ETH_EVENT_INTR_LSC, NULL);
	}
	if (__atomic_load_n(&port->lsc_armed, __ATOMIC_ACQUIRE) &&
	    rte_eal_alarm_set(HVNET_LSC_PERIOD_US, hvnet_lsc_alarm, dev) != 0)
		HVNET_LOG(ERR, "port %u: link watch stopped (no alarm)", hv->port_id);
}

static void
hvnet_lsc_disarm(struct rte_eth_dev *dev)
{
	struct hvnet_port *port = hvnet_port_of(hvnet_dev_of(dev));

	__atomic_store_n(&port->lsc_armed, false, __ATOMIC_RELEASE);
	/* Waits for a running callback, and removes the alarm it may have set again. */
	rte_eal_alarm_cancel(hvnet_lsc_alarm, dev);
}

static int
hvnet_lsc_arm(struct rte_eth_dev *dev)
{
	struct hvnet_port *port = hvnet_port_of(hvnet_dev_of(dev));
	int ret;

	__atomic_store_n(&port->lsc_armed, true, __ATOMIC_RELEASE);
	ret = rte_eal_alarm_set(HVNET_LSC_PERIOD_US, hvnet_lsc_alarm, dev);
	if (ret != 0)
		__atomic_store_n(&port->lsc_armed, false, __ATOMIC_RELEASE);
	return ret;
}

static int
hvnet_dev_link_update(struct rte_eth_dev *dev, int wait_to_complete)
{
	struct hvnet_dev *hv = hvnet_dev_of(dev);

	/* Without waiting, indications already queued are enough: read them, do not ask. */
	if (hvnet_attached(hv) && (wait_to_complete == 0 || hvnet_rndis_link_update(hv) != 0))
		hvnet_chan_poll(hv, 0, false);
	return hvnet_link_publish(dev) ? 0 : -1;
}

/* ---- start / stop / close / reset -------------------------------------------------------- */

/* The host filter for these modes: promiscuous alone, or the usual set (hvnet_protocol.rst). */
static uint32_t
hvnet_filter_for(const struct hvnet_dev *hv, bool promisc, bool allmulti)
{
	uint32_t f = HV_NDIS_PACKET_TYPE_DIRECTED | HV_NDIS_PACKET_TYPE_BROADCAST;

	if (promisc)
		return HV_NDIS_PACKET_TYPE_PROMISCUOUS;
	/* The host filters no multicast list: any subscribed group needs all of them. */
	if (allmulti || hv->nb_mc_addrs > 0)
		f |= HV_NDIS_PACKET_TYPE_ALL_MULTICAST;
	return f;
}

/* Apply a receive mode now if the port is started; a stopped port has filter 0. */
static int
hvnet_filter_update(struct rte_eth_dev *dev, bool promisc, bool allmulti)
{
	struct hvnet_dev *hv = hvnet_dev_of(dev);
	uint32_t filter = hvnet_filter_for(hv, promisc, allmulti);
	int ret;

	if (!dev->data->dev_started)
		return 0;
	ret = hvnet_rndis_set_filter(hv, filter);
	if (ret != 0) {
		HVNET_LOG(ERR, "port %u: packet filter 0x%x not set: %s", hv->port_id, filter,
			  strerror(-ret));
		return ret;
	}
	HVNET_LOG(DEBUG, "port %u: packet filter 0x%x", hv->port_id, filter);
	/* ethdev records the new mode after this op: the VF gets it from these arguments. */
	hvnet_vf_modes_changed(dev, promisc, allmulti);
	return 0;
}

/*
 * Start (before the filter lets the host's frames in, so that a control read parks them) or
 * stop the rx queues that are not deferred, and keep ethdev's view of all queues.
 */
static void
hvnet_queue_states(struct rte_eth_dev *dev, bool started)
{
	const struct hvnet_port *port = hvnet_port_of(hvnet_dev_of(dev));
	uint16_t q;

	for (q = 0; q < dev->data->nb_rx_queues; q++) {
		if (started && !port->rxq_conf[q].deferred) {
			hvnet_rxq_start(dev->data->rx_queues[q]);
			dev->data->rx_queue_state[q] = RTE_ETH_QUEUE_STATE_STARTED;
		} else {
			/* A reader holding the lock too long is logged; the release frees all. */
			hvnet_rxq_stop(dev->data->rx_queues[q]);
			dev->data->rx_queue_state[q] = RTE_ETH_QUEUE_STATE_STOPPED;
		}
	}
	for (q = 0; q < dev->data->nb_tx_queues; q++)
		dev->data->tx_queue_state[q] = started && !port->txq_conf[q].deferred ?
			RTE_ETH_QUEUE_STATE_STARTED : RTE_ETH_QUEUE_STATE_STOPPED;
}

static int
hvnet_queues_ready(const struct rte_eth_dev *dev)
{
	uint16_t q;

	for (q = 0; q < dev->data->nb_rx_queues; q++) {
		if (dev->data->rx_queues[q] == NULL)
			goto missing;
	}
	for (q = 0; q < dev->data->nb_tx_queues; q++) {
		if (dev->data->tx_queues[q] == NULL)
			goto missing;
	}
	return 0;
missing:
	HVNET_LOG(ERR, "port %u: start with a queue not set up", dev->data->port_id);
	return -EINVAL;
}

static int
hvnet_dev_start(struct rte_eth_dev *dev)
{
	struct hvnet_dev *hv = hvnet_dev_of(dev);
	uint32_t filter;
	int ret;

	if (!hvnet_attached(hv))
		return -EIO;
	ret = hvnet_queues_ready(dev);
	if (ret != 0)
		return ret;
	hvnet_queue_states(dev, true);
	filter = hvnet_filter_for(hv, dev->data->promiscuous, dev->data->all_multicast);
	ret = hvnet_rndis_set_filter(hv, filter);
	if (ret != 0) {
		HVNET_LOG(ERR, "port %u: packet filter 0x%x not set: %s", hv->port_id, filter,
			  strerror(-ret));
		hvnet_queue_states(dev, false);
		return ret;
	}
	if (hvnet_rndis_link_update(hv) != 0)
		HVNET_LOG(NOTICE, "port %u: link query failed, keeping the last state",
			  hv->port_id);
	__atomic_store_n(&hv->lsc_pending, false, __ATOMIC_RELEASE);
	hvnet_link_publish(dev);
	ret = hvnet_lsc_arm(dev);
	if (ret != 0)
		HVNET_LOG(ERR, "port %u: cannot watch the link: %s", hv->port_id, strerror(-ret));
	if (ret == 0) {
		ret = hvnet_intr_start(dev);
		if (ret != 0)
			hvnet_lsc_disarm(dev);
	}
	if (ret != 0) {
		hvnet_rndis_set_filter(hv, HV_NDIS_PACKET_TYPE_NONE);
		hvnet_queue_states(dev, false);
		return ret;
	}
	hvnet_vf_start(dev);
	return 0;
}

static int
hvnet_dev_stop(struct rte_eth_dev *dev)
{
	struct hvnet_dev *hv = hvnet_dev_of(dev);
	int ret;

	/* The VF first: the bursts fall back to the synthetic queues stopped below. */
	hvnet_vf_stop(dev);
	hvnet_lsc_disarm(dev);
	hvnet_intr_stop(dev);
	/*
	 * Nothing new from the host, then wait for what it still holds of ours. A host that does
	 * not answer must not keep the port started: it could never be closed.
	 */
	ret = hvnet_rndis_set_filter(hv, HV_NDIS_PACKET_TYPE_NONE);
	/* A rescinded device has no filter left to clear. */
	if (ret != 0 && !hv->rescinded)
		HVNET_LOG(ERR, "port %u: packet filter not cleared: %s", hv->port_id,
			  strerror(-ret));
	hvnet_tx_drain(hv);
	hvnet_queue_states(dev, false);
	return 0;
}

/* Everything the port holds, in any state a failed probe or configure may have left. */
static void
hvnet_teardown(struct rte_eth_dev *dev)
{
	struct hvnet_dev *hv = hvnet_dev_of(dev);

	hvnet_queues_destroy(dev);
	hvnet_rx_dev_free(hv);
	hvnet_detach(hv);
	rte_free(hv->chan_lock);
	hv->chan_lock = NULL;
}

/* ethdev stops a port before closing it (a secondary closes with hvnet_stats.c's ops). */
static int
hvnet_dev_close(struct rte_eth_dev *dev)
{
	hvnet_intr_free(dev);
	hvnet_vf_close(dev);
	hvnet_teardown(dev);
	return 0;
}

/* Back to the state of a fresh probe: the application configures the port again. */
static int
hvnet_dev_reset(struct rte_eth_dev *dev)
{
	struct hvnet_dev *hv = hvnet_dev_of(dev);
	int ret;

	hvnet_queues_destroy(dev);
	hvnet_detach(hv);
	hvnet_port_of(hv)->chan_granted = 0;
	ret = hvnet_attach(hv, dev->data->mtu);
	if (ret == 0)
		rte_ether_addr_copy(&hv->mac, dev->data->mac_addrs);
	return ret;
}

/* ---- receive modes ----------------------------------------------------------------------- */

static int
hvnet_promiscuous_enable(struct rte_eth_dev *dev)
{
	return hvnet_filter_update(dev, true, dev->data->all_multicast);
}

static int
hvnet_promiscuous_disable(struct rte_eth_dev *dev)
{
	return hvnet_filter_update(dev, false, dev->data->all_multicast);
}

static int
hvnet_allmulticast_enable(struct rte_eth_dev *dev)
{
	return hvnet_filter_update(dev, dev->data->promiscuous, true);
}

static int
hvnet_allmulticast_disable(struct rte_eth_dev *dev)
{
	return hvnet_filter_update(dev, dev->data->promiscuous, false);
}

static int
hvnet_set_mc_addr_list(struct rte_eth_dev *dev, struct rte_ether_addr *addrs, uint32_t nb)
{
	struct hvnet_dev *hv = hvnet_dev_of(dev);
	uint32_t i;

	if (nb > RTE_DIM(hv->mc_addrs)) {
		HVNET_LOG(ERR, "port %u: %u multicast addresses, at most %zu", hv->port_id, nb,
			  RTE_DIM(hv->mc_addrs));
		return -ENOSPC;
	}
	for (i = 0; i < nb; i++) {
		if (!rte_is_multicast_ether_addr(&addrs[i])) {
			HVNET_LOG(ERR, "port %u: multicast list entry %u is not multicast",
				  hv->port_id, i);
			return -EINVAL;
		}
	}
	hvnet_vf_mc_list_set(dev, addrs, nb);
	return hvnet_filter_update(dev, dev->data->promiscuous, dev->data->all_multicast);
}

/*
 * The MTU is part of the NVS session (NDIS_CONFIG): a new one needs a full re-attach. The
 * host answers with the MTU it took; below what was asked, the old one is restored.
 */
static int
hvnet_mtu_set(struct rte_eth_dev *dev, uint16_t mtu)
{
	struct hvnet_dev *hv = hvnet_dev_of(dev);
	uint16_t old = dev->data->mtu;
	unsigned int nb = RTE_MAX(hv->nb_chan, 1u);
	/* The queues to build again, also when the first attempt fails half way. */
	uint64_t rx_had = hvnet_queue_map(dev->data->rx_queues, dev->data->nb_rx_queues);
	uint64_t tx_had = hvnet_queue_map(dev->data->tx_queues, dev->data->nb_tx_queues);
	int ret;

	if (dev->data->dev_started) {
		HVNET_LOG(ERR, "port %u: stop the port to change its MTU", hv->port_id);
		return -EBUSY;
	}
	if (mtu == old)
		return 0;
	ret = hvnet_reattach_queues(dev, mtu, nb, rx_had, tx_had);
	if (ret == 0 && hv->mtu >= mtu)
		return 0;
	if (ret == 0) {
		HVNET_LOG(ERR, "port %u: host took MTU %u for %u asked", hv->port_id, hv->mtu,
			  mtu);
		ret = -EINVAL;
	}
	if (hvnet_reattach_queues(dev, old, nb, rx_had, tx_had) != 0)
		HVNET_LOG(ERR, "port %u: MTU %u not restored: reset the port", hv->port_id, old);
	return ret;
}

/* ---- packet types ------------------------------------------------------------------------ */

/* What the receive path classifies: hvnet_ptype.h's short path, or rte_net_get_ptype(). */
static const uint32_t hvnet_ptypes[] = {
	RTE_PTYPE_L2_ETHER, RTE_PTYPE_L2_ETHER_VLAN, RTE_PTYPE_L2_ETHER_QINQ,
	RTE_PTYPE_L2_ETHER_MPLS, RTE_PTYPE_L3_IPV4, RTE_PTYPE_L3_IPV4_EXT, RTE_PTYPE_L3_IPV6,
	RTE_PTYPE_L3_IPV6_EXT, RTE_PTYPE_L4_TCP, RTE_PTYPE_L4_UDP, RTE_PTYPE_L4_SCTP,
	RTE_PTYPE_L4_FRAG, RTE_PTYPE_UNKNOWN
};

#if RTE_VERSION >= RTE_VERSION_NUM(24, 3, 0, 0)
static const uint32_t *
hvnet_dev_supported_ptypes_get(struct rte_eth_dev *dev __rte_unused, size_t *n)
{
	*n = RTE_DIM(hvnet_ptypes) - 1;
	return hvnet_ptypes;
}
#else
static const uint32_t *
hvnet_dev_supported_ptypes_get(struct rte_eth_dev *dev __rte_unused)
{
	return hvnet_ptypes;	/* ends with RTE_PTYPE_UNKNOWN */
}
#endif

/*
 * rte_eth_dev_set_ptypes(): no type wanted (testpmd asks for none unless told otherwise)
 * spares every frame its classification, RTE_PTYPE_UNKNOWN; any L2 to L4 type wanted brings
 * all back. Queues set up already and later ones alike. VF frames carry what the VF's driver
 * gives them.
 */
static int
hvnet_dev_ptypes_set(struct rte_eth_dev *dev, uint32_t mask)
{
	struct hvnet_dev *hv = hvnet_dev_of(dev);
	uint16_t q;

	hv->ptypes_off = (mask & (RTE_PTYPE_L2_MASK | RTE_PTYPE_L3_MASK | RTE_PTYPE_L4_MASK)) == 0;
	for (q = 0; q < dev->data->nb_rx_queues; q++) {
		struct hvnet_rxq *rxq = dev->data->rx_queues[q];

		if (rxq != NULL)
			rxq->ptypes = !hv->ptypes_off;
	}
	return 0;
}

/* ---- ops tables -------------------------------------------------------------------------- */

static const struct eth_dev_ops hvnet_ops = {
	.dev_configure = hvnet_dev_configure,
	.dev_start = hvnet_dev_start,
	.dev_stop = hvnet_dev_stop,
	.dev_close = hvnet_dev_close,
	.dev_reset = hvnet_dev_reset,
	.dev_infos_get = hvnet_dev_infos_get,
	.dev_supported_ptypes_get = hvnet_dev_supported_ptypes_get,
	.dev_ptypes_set = hvnet_dev_ptypes_set,
	.link_update = hvnet_dev_link_update,
	.promiscuous_enable = hvnet_promiscuous_enable,
	.promiscuous_disable = hvnet_promiscuous_disable,
	.allmulticast_enable = hvnet_allmulticast_enable,
	.allmulticast_disable = hvnet_allmulticast_disable,
	.set_mc_addr_list = hvnet_set_mc_addr_list,
	.mtu_set = hvnet_mtu_set,
	.stats_get = hvnet_stats_get,
	.stats_reset = hvnet_stats_reset,
	.xstats_get = hvnet_xstats_get,
	.xstats_get_names = hvnet_xstats_get_names,
	.xstats_reset = hvnet_stats_reset,
	.rx_queue_setup = hvnet_rx_queue_setup,
	.rx_queue_release = hvnet_rx_queue_release,
	.tx_queue_setup = hvnet_tx_queue_setup,
	.tx_queue_release = hvnet_tx_queue_release,
	.rx_queue_start = hvnet_rx_queue_start,
	.rx_queue_stop = hvnet_rx_queue_stop,
	.tx_queue_start = hvnet_tx_queue_start,
	.tx_queue_stop = hvnet_tx_queue_stop,
	.rxq_info_get = hvnet_rxq_info_get,
	.txq_info_get = hvnet_txq_info_get,
	.tx_done_cleanup = hvnet_tx_done_cleanup,
	.rx_queue_intr_enable = hvnet_rx_intr_enable,
	.rx_queue_intr_disable = hvnet_rx_intr_disable,
	.reta_update = hvnet_reta_update,
	.reta_query = hvnet_reta_query,
	.rss_hash_update = hvnet_rss_hash_update,
	.rss_hash_conf_get = hvnet_rss_hash_conf_get,
};

/* ---- probe / remove ---------------------------------------------------------------------- */

static int
hvnet_chan_locks_alloc(struct hvnet_dev *hv)
{
	unsigned int i;

	hv->chan_lock = rte_zmalloc_socket("hvnet_chan_lock",
					   HVNET_MAX_QUEUES * sizeof(*hv->chan_lock),
					   RTE_CACHE_LINE_SIZE, hv->socket_id);
	if (hv->chan_lock == NULL)
		return -ENOMEM;
	for (i = 0; i < HVNET_MAX_QUEUES; i++) {
		rte_spinlock_init(&hv->chan_lock[i].rx);
		rte_spinlock_init(&hv->chan_lock[i].tx);
	}
	return 0;
}

/* The copy threshold cannot exceed what one send-buffer section holds. */
static void
hvnet_clamp_tx_copybreak(struct hvnet_dev *hv)
{
	uint32_t room = hv->sendbuf_section_size > HVNET_RNDIS_PKT_ROOM ?
			hv->sendbuf_section_size - HVNET_RNDIS_PKT_ROOM : 0;

	if (hv->args.tx_copybreak > room) {
		HVNET_INIT_LOG(NOTICE, "%s: %s=%u above the %u bytes a send section holds: %u",
			       hv->vdev->name, HVNET_ARG_TX_COPYBREAK, hv->args.tx_copybreak,
			       room, room);
		hv->args.tx_copybreak = room;
	}
}

/*
 * The host is given IOVA page numbers as guest-physical pages: only IOVA as PA makes them
 * right on Hyper-V. VA is kept (the simulated host follows it; the tests run that way).
 */
static void
hvnet_check_iova_mode(const struct rte_hvbus_device *vdev)
{
	if (rte_eal_iova_mode() == RTE_IOVA_PA)
		return;
	HVNET_INIT_LOG(WARNING, "%s: IOVA mode is not PA: GPA-direct transmits and RNDIS "
		       "requests then give the host virtual addresses, which only a simulated host "
		       "(dpdk-test-hvnet) can follow. On Hyper-V/Azure run with IOVA as PA "
		       "(hugepages, no --iova-mode=va).", vdev->name);
}

static void
hvnet_eth_init(struct rte_eth_dev *eth, struct rte_ether_addr *mac)
{
	struct hvnet_dev *hv = hvnet_dev_of(eth);

	rte_ether_addr_copy(&hv->mac, mac);
	eth->data->mac_addrs = mac;
	eth->data->mtu = hv->mtu;
	eth->data->numa_node = hv->socket_id;
	eth->data->dev_flags |= RTE_ETH_DEV_INTR_LSC | RTE_ETH_DEV_INTR_RMV;
	eth->rx_pkt_burst = hvnet_recv_pkts;
	eth->tx_pkt_burst = hvnet_xmit_pkts;
	eth->tx_pkt_prepare = hvnet_xmit_prepare;
	eth->rx_queue_count = hvnet_rx_queue_count;
	eth->rx_descriptor_status = hvnet_rx_descriptor_status;
	eth->tx_descriptor_status = hvnet_tx_descriptor_status;
}

static int
hvnet_probe(struct rte_hvbus_driver *drv __rte_unused, struct rte_hvbus_device *vdev)
{
	struct rte_ether_addr *mac = NULL;
	struct hvnet_devargs args;
	struct rte_eth_dev *eth;
	struct hvnet_port *port;
	struct hvnet_dev *hv;
	int socket, ret;

	if (rte_eal_process_type() != RTE_PROC_PRIMARY)
		return hvnet_probe_secondary(vdev);
	ret = hvnet_parse_devargs(vdev, &args);
	if (ret != 0)
		return ret;
	hvnet_check_iova_mode(vdev);
	socket = args.numa_aware && vdev->device.numa_node >= 0 ?
		 vdev->device.numa_node : SOCKET_ID_ANY;
	eth = rte_eth_dev_allocate(vdev->device.name);
	if (eth == NULL) {
		HVNET_INIT_LOG(ERR, "%s: cannot allocate a port", vdev->name);
		return -ENOMEM;
	}
	port = rte_zmalloc_socket("hvnet_port", sizeof(*port), RTE_CACHE_LINE_SIZE, socket);
	mac = rte_zmalloc_socket("hvnet_mac", sizeof(*mac), 0, socket);
	eth->data->dev_private = port;
	eth->device = &vdev->device;
	eth->dev_ops = &hvnet_ops;
	if (port == NULL || mac == NULL) {
		ret = -ENOMEM;
		goto fail;
	}
	hv = &port->hv;
	hv->vdev = vdev;
	hv->eth = eth;
	hv->port_id = eth->data->port_id;
	hv->socket_id = socket;
	hv->args = args;
	rte_spinlock_init(&hv->ctl_lock);
	hvnet_vf_init(hv);
	hvnet_rss_init(hv);
	ret = hvnet_chan_locks_alloc(hv);
	if (ret == 0)
		ret = hvnet_attach(hv, RTE_ETHER_MTU);
	if (ret != 0)
		goto fail;
	hvnet_clamp_tx_copybreak(hv);
	hvnet_rss_reta_default(hv, 1);
	hvnet_eth_init(eth, mac);
	rte_eth_dev_probing_finish(eth);
	HVNET_INIT_LOG(INFO, "%s: port %u, MAC " RTE_ETHER_ADDR_PRT_FMT ", MTU %u, %u queues, "
		       "NVSP 0x%x", vdev->name, hv->port_id, RTE_ETHER_ADDR_BYTES(&hv->mac),
		       hv->mtu, hv->max_chan, hv->nvs_ver);
	return 0;
fail:
	if (port != NULL)
		hvnet_teardown(eth);
	rte_free(mac);
	/* Frees the port's private data too. */
	rte_eth_dev_release_port(eth);
	return ret;
}

static int
hvnet_remove(struct rte_hvbus_device *vdev)
{
	struct rte_eth_dev *eth = rte_eth_dev_allocated(vdev->device.name);

	if (eth == NULL)
		return 0;	/* closed already */
	if (rte_eal_process_type() != RTE_PROC_PRIMARY)
		return rte_eth_dev_release_port(eth);
	if (eth->data->dev_started)
		rte_eth_dev_stop(eth->data->port_id);
	return rte_eth_dev_close(eth->data->port_id);
}

/*
 * The host rescinded the device (EAL interrupt thread). The bursts and the control path stop
 * using its channels at once; the application learns of it from the RMV event and then
 * closes the port and detaches the device, as for a hot-unplug, which frees everything.
 */
static void
hvnet_rescind(struct rte_hvbus_device *vdev)
{
	struct rte_eth_dev *eth = rte_eth_dev_allocated(vdev->device.name);
	struct hvnet_dev *hv;

	if (eth == NULL)
		return;	/* closed already */
	hv = hvnet_dev_of(eth);
	__atomic_store_n(&hv->rescinded, true, __ATOMIC_RELEASE);
	HVNET_LOG(NOTICE, "port %u: %s rescinded by the host", hv->port_id, vdev->name);
	if (eth->data->dev_conf.intr_conf.rmv)
		rte_eth_dev_callback_process(eth, RTE_ETH_EVENT_INTR_RMV, NULL);
}

static struct rte_hvbus_driver hvnet_driver = {
	.class_guid = HV_NETWORK_CLASS_GUID,
	.probe = hvnet_probe,
	.remove = hvnet_remove,
	.rescind = hvnet_rescind,
};

RTE_PMD_REGISTER_HVBUS(net_hvnet, hvnet_driver);
/* Types as dpdk-pmdinfo.py shows them for upstream net_netvsc; the ranges are in the guide. */
RTE_PMD_REGISTER_PARAM_STRING(net_hvnet,
			      HVNET_ARG_LATENCY "=<uint32> "
			      HVNET_ARG_RX_COPYBREAK "=<uint32> "
			      HVNET_ARG_TX_COPYBREAK "=<uint32> "
			      HVNET_ARG_RX_EXTMBUF "=<0|1> "
			      HVNET_ARG_RX_NT_COPY "=<0|1> "
			      HVNET_ARG_NUMA_AWARE "=<0|1> "
			      HVNET_ARG_CTL_TIMEOUT "=<uint32>");
RTE_PMD_REGISTER_KMOD_DEP(net_hvnet, "* uio_hv_generic");
