/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Accelerated networking: follow the host's VF association, find the VF's device by the
 * NIC's MAC, own it, configure it like the synthetic port, switch the data path to it, and
 * back to synthetic when the association is withdrawn, the VF signals removal, its link or
 * its interface goes away, or the port stops.
 *
 * Level-triggered: whatever the order of host messages and device events, hvnet_vf_sync()
 * compares what is (a VF in use or not) with what should be (port started, VF offered and
 * allowed, its device healthy) and moves one way or the other. It runs under vf.lock from
 * the ethdev ops (start, stop, modes, RSS) and every HVNET_VF_TICK_US from an EAL alarm
 * while the port is started; the data path's side is in hvnet_vf.h.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <rte_alarm.h>
#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_dev.h>
#include <rte_eal.h>
#include <ethdev_driver.h>

#include "hvnet_ethdev.h"

#define HVNET_VF_TICK_US	100000u	/* how often the alarm looks at the VF */
#define HVNET_VF_SYSFS_NET	"/sys/class/net"
#define HVNET_VF_CB_TRIES	100u	/* callback unregister retries, 1 ms apart */

static const char *const hvnet_vf_state_names[] = {
	[HVNET_VF_DISABLED] = "disabled",
	[HVNET_VF_NONE] = "none",
	[HVNET_VF_WAITING] = "waiting",
	[HVNET_VF_MISSING] = "missing",
	[HVNET_VF_ACTIVE] = "active",
};

const char *
hvnet_vf_state_name(const struct hvnet_dev *hv)
{
	return hvnet_vf_state_names[hv->vf.state];
}

void
hvnet_vf_init(struct hvnet_dev *hv)
{
	pthread_mutex_init(&hv->vf.lock, NULL);
	hv->vf.state = hv->args.vf_enable ? HVNET_VF_NONE : HVNET_VF_DISABLED;
}

/* ---- finding the device -------------------------------------------------------------- */

/* A port other than ours (and other than a synthetic NIC's) with our MAC. */
static int
hvnet_vf_find_port(const struct hvnet_dev *hv, uint16_t *out)
{
	struct rte_ether_addr mac;
	uint16_t p;

	for (p = 0; p < RTE_MAX_ETHPORTS; p++) {
		if (p == hv->port_id || !rte_eth_dev_is_valid_port(p) ||
		    rte_eth_devices[p].dev_ops == hv->eth->dev_ops)
			continue;
		if (rte_eth_macaddr_get(p, &mac) == 0 && rte_is_same_ether_addr(&mac, &hv->mac)) {
			*out = p;
			return 0;
		}
	}
	return -ENODEV;
}

/* The last component of the link at path, or -1. */
static int
hvnet_vf_link_name(const char *path, char *out, size_t len)
{
	char target[PATH_MAX];
	const char *base;
	ssize_t n;

	n = readlink(path, target, sizeof(target) - 1);
	if (n <= 0)
		return -1;
	target[n] = '\0';
	base = strrchr(target, '/');
	base = base != NULL ? base + 1 : target;
	if (strlen(base) >= len)
		return -1;
	strcpy(out, base);
	return 0;
}

static bool
hvnet_vf_netdev_has_mac(const char *ifname, const struct rte_ether_addr *mac)
{
	char path[PATH_MAX], text[32];
	struct rte_ether_addr got;
	FILE *f;
	bool ok;

	snprintf(path, sizeof(path), HVNET_VF_SYSFS_NET "/%s/address", ifname);
	f = fopen(path, "r");
	if (f == NULL)
		return false;
	ok = fgets(text, sizeof(text), f) != NULL;
	fclose(f);
	if (!ok)
		return false;
	text[strcspn(text, "\n")] = '\0';
	return rte_ether_unformat_addr(text, &got) == 0 && rte_is_same_ether_addr(&got, mac);
}

/* Its operstate is up (or unknown: drivers that do not report one); not down, no carrier. */
static bool
hvnet_vf_netdev_up(const char *ifname)
{
	char path[PATH_MAX], state[16] = "";
	FILE *f;

	snprintf(path, sizeof(path), HVNET_VF_SYSFS_NET "/%s/operstate", ifname);
	f = fopen(path, "r");
	if (f == NULL)
		return false;
	if (fgets(state, sizeof(state), f) == NULL)
		state[0] = '\0';
	fclose(f);
	return strncmp(state, "up", 2) == 0 || strncmp(state, "unknown", 7) == 0;
}

/*
 * The kernel interface with our MAC that is not a VMBus device (a synthetic NIC still bound
 * to the kernel's netvsc has it too) and is up: a VF whose link is down is not taken (nor
 * kept). pci gets its PCI address when it has one ("" if not).
 */
static int
hvnet_vf_find_netdev(const struct hvnet_dev *hv, char *ifname, char *pci, size_t pci_len)
{
	char path[PATH_MAX], bus[32];
	struct dirent *e;
	int ret = -ENODEV;
	DIR *d;

	d = opendir(HVNET_VF_SYSFS_NET);
	if (d == NULL)
		return -errno;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.' || strlen(e->d_name) >= IF_NAMESIZE ||
		    !hvnet_vf_netdev_has_mac(e->d_name, &hv->mac) ||
		    !hvnet_vf_netdev_up(e->d_name))
			continue;
		snprintf(path, sizeof(path), HVNET_VF_SYSFS_NET "/%s/device/subsystem", e->d_name);
		if (hvnet_vf_link_name(path, bus, sizeof(bus)) != 0)
			bus[0] = '\0';
		if (strcmp(bus, "vmbus") == 0)
			continue;
		pci[0] = '\0';
		if (strcmp(bus, "pci") == 0) {
			snprintf(path, sizeof(path), HVNET_VF_SYSFS_NET "/%s/device", e->d_name);
			if (hvnet_vf_link_name(path, pci, pci_len) != 0)
				continue;
		}
		strcpy(ifname, e->d_name);
		ret = 0;
		break;
	}
	closedir(d);
	return ret;
}

/*
 * Probe the VF's device as Azure hot-plug does: its PCI address (bound to a DPDK-capable
 * driver: mlx5 bifurcated, MANA), with vf_devargs. An interface without a PCI device (the
 * simulator's veth) is probed as net_af_packet with one queue pair per queue.
 */
static int
hvnet_vf_probe(struct rte_eth_dev *dev, const char *ifname, const char *pci)
{
	struct hvnet_dev *hv = hvnet_dev_of(dev);
	const char *extra = hv->args.vf_devargs;
	char args[HVNET_VF_DEVARGS_MAX + 128];
	unsigned int nq = RTE_MAX(dev->data->nb_rx_queues, dev->data->nb_tx_queues);
	int ret;

	if (pci[0] != '\0') {
		snprintf(hv->vf.dev_name, sizeof(hv->vf.dev_name), "%s", pci);
		snprintf(args, sizeof(args), "%s%s%s", pci, extra[0] ? "," : "", extra);
	} else {
		snprintf(hv->vf.dev_name, sizeof(hv->vf.dev_name), "net_af_packet_hvnet%u",
			 hv->port_id);
		snprintf(args, sizeof(args), "%s,iface=%s,qpairs=%u%s%s", hv->vf.dev_name, ifname,
			 RTE_MAX(nq, 1u), extra[0] ? "," : "", extra);
	}
	ret = rte_dev_probe(args);
	if (ret != 0) {
		char now_if[IF_NAMESIZE], now_pci[64];

		/*
		 * The host may take the VF back while it is being probed (Azure does so while it
		 * services the host): with no device behind our MAC any more (or its link down,
		 * which hvnet does not take either), that is the race, not an error of the VF's
		 * driver.
		 */
		if (hvnet_vf_find_netdev(hv, now_if, now_pci, sizeof(now_pci)) != 0)
			HVNET_LOG(NOTICE, "port %u: VF %s went away or down during its probe; "
				  "synthetic until the host offers one again", hv->port_id,
				  pci[0] != '\0' ? pci : ifname);
		else
			HVNET_LOG(ERR, "port %u: VF probe \"%s\" failed: %s", hv->port_id, args,
				  strerror(-ret));
		/* Not again every tick: the next association or start tries again. */
		hv->vf.state = HVNET_VF_MISSING;
	} else {
		hv->vf.probed = true;
	}
	return ret;
}

/* Remove the device hvnet_vf_probe() added (its ports closed). */
static void
hvnet_vf_unprobe(struct hvnet_dev *hv)
{
	const char *bus = strncmp(hv->vf.dev_name, "net_", 4) == 0 ? "vdev" : "pci";
	int ret;

	hv->vf.probed = false;
	ret = rte_eal_hotplug_remove(bus, hv->vf.dev_name);
	if (ret != 0 && ret != -ENOENT)
		HVNET_LOG(NOTICE, "port %u: VF device %s not removed: %s", hv->port_id,
			  hv->vf.dev_name, strerror(-ret));
}

/* The VF's port: one that exists with our MAC, or the device behind our MAC, probed. */
static int
hvnet_vf_find(struct rte_eth_dev *dev, uint16_t *vf)
{
	struct hvnet_dev *hv = hvnet_dev_of(dev);
	char ifname[IF_NAMESIZE], pci[64];
	int ret;

	hv->vf.probed = false;
	ret = hvnet_vf_find_netdev(hv, ifname, pci, sizeof(pci));
	if (ret == 0) {
		strcpy(hv->vf.ifname, ifname);
		hv->vf.ifindex = if_nametoindex(ifname);
	} else {
		hv->vf.ifname[0] = '\0';
		hv->vf.ifindex = 0;
	}
	if (hvnet_vf_find_port(hv, vf) == 0) {
		/* Someone else's port: its name, for the log (only ours are removed by name). */
		if (rte_eth_dev_get_name_by_port(*vf, hv->vf.dev_name) != 0)
			hv->vf.dev_name[0] = '\0';
		return 0;
	}
	if (ret != 0)
		return ret;
	ret = hvnet_vf_probe(dev, ifname, pci);
	if (ret == 0)
		ret = hvnet_vf_find_port(hv, vf);
	if (ret != 0 && hv->vf.probed) {
		HVNET_LOG(ERR, "port %u: VF device %s has no port with our MAC", hv->port_id,
			  hv->vf.dev_name);
		hvnet_vf_unprobe(hv);
		hv->vf.state = HVNET_VF_MISSING;
	}
	return ret;
}

/* ---- configuring it like the synthetic port --------------------------------------------- */

static void
hvnet_vf_note(const struct hvnet_dev *hv, const char *what, int ret)
{
	if (ret != 0 && ret != -ENOTSUP)
		HVNET_LOG(NOTICE, "port %u: VF port %u: %s: %s", hv->port_id, hv->vf.port, what,
			  strerror(-ret));
}

/* Promiscuous, all-multicast and the multicast list, as the synthetic port has them. */
static void
hvnet_vf_apply_modes(struct rte_eth_dev *dev, uint16_t vf, bool promisc, bool allmulti)
{
	struct hvnet_dev *hv = hvnet_dev_of(dev);

	hvnet_vf_note(hv, "promiscuous mode", promisc ?
		      rte_eth_promiscuous_enable(vf) : rte_eth_promiscuous_disable(vf));
	hvnet_vf_note(hv, "all-multicast mode", allmulti ?
		      rte_eth_allmulticast_enable(vf) : rte_eth_allmulticast_disable(vf));
	hvnet_vf_note(hv, "multicast list",
		      rte_eth_dev_set_mc_addr_list(vf, hv->mc_addrs, hv->nb_mc_addrs));
}

/*
 * One of the VF's queues started or stopped as the synthetic one is. A VF whose driver has no
 * per-queue start and stop (net_af_packet, MANA) keeps the queue running: its frames then wait
 * in the VF's ring, as the host's do on a stopped synthetic queue, until the queue is polled
 * again. A failure is logged and returned.
 */
static int
hvnet_vf_queue_follow(const struct hvnet_dev *hv, uint16_t vf, bool rx, uint16_t q, bool start)
{
	int ret;

	if (rx)
		ret = start ? rte_eth_dev_rx_queue_start(vf, q) : rte_eth_dev_rx_queue_stop(vf, q);
	else
		ret = start ? rte_eth_dev_tx_queue_start(vf, q) : rte_eth_dev_tx_queue_stop(vf, q);
	if (ret == -ENOTSUP)
		return 0;
	if (ret != 0)
		HVNET_LOG(ERR, "port %u: VF port %u: %s queue %u not %s: %s", hv->port_id, vf,
			  rx ? "rx" : "tx", q, start ? "started" : "stopped", strerror(-ret));
	return ret;
}

/*
 * Whether the VF's driver can start a queue set up deferred: ethdev refuses the setup of one
 * without the ops from 25.03 on, and some drivers refuse it themselves.
 */
static bool
hvnet_vf_can_defer(uint16_t vf, bool rx)
{
	const struct eth_dev_ops *ops = rte_eth_devices[vf].dev_ops;

	return rx ? ops->rx_queue_start != NULL && ops->rx_queue_stop != NULL :
		    ops->tx_queue_start != NULL && ops->tx_queue_stop != NULL;
}

/*
 * The VF just started: the queues the application has stopped (or defers) stop there too,
 * where the VF's driver did not take them as deferred.
 */
static void
hvnet_vf_queues_follow(struct rte_eth_dev *dev, uint16_t vf)
{
	const struct hvnet_dev *hv = hvnet_dev_of(dev);
	const struct rte_eth_dev_data *data = dev->data, *vfd = rte_eth_devices[vf].data;
	uint16_t q;

	/* A failure is logged: the queue only fills, unpolled, as without per-queue ops. */
	for (q = 0; q < data->nb_rx_queues; q++)
		if (data->rx_queue_state[q] == RTE_ETH_QUEUE_STATE_STOPPED &&
		    vfd->rx_queue_state[q] != RTE_ETH_QUEUE_STATE_STOPPED)
			(void)hvnet_vf_queue_follow(hv, vf, true, q, false);
	for (q = 0; q < data->nb_tx_queues; q++)
		if (data->tx_queue_state[q] == RTE_ETH_QUEUE_STATE_STOPPED &&
		    vfd->tx_queue_state[q] != RTE_ETH_QUEUE_STATE_STOPPED)
			(void)hvnet_vf_queue_follow(hv, vf, false, q, false);
}

/* Our RSS key, hash types (those the VF has) and RETA (folded onto the VF's size). */
static void
hvnet_vf_apply_rss(struct rte_eth_dev *dev, uint16_t vf, const struct rte_eth_dev_info *info)
{
	struct hvnet_dev *hv = hvnet_dev_of(dev);
	struct rte_eth_rss_reta_entry64 reta[RTE_ETH_RSS_RETA_SIZE_512 / RTE_ETH_RETA_GROUP_SIZE];
	struct rte_eth_rss_conf rss = {
		.rss_key = info->hash_key_size == HVNET_RSS_KEY_SIZE ? hv->rss_key : NULL,
		.rss_key_len = info->hash_key_size == HVNET_RSS_KEY_SIZE ? HVNET_RSS_KEY_SIZE : 0,
		/* Not dev_conf's: rss_hash_update leaves that as configured. */
		.rss_hf = hvnet_rss_hf(hv) & info->flow_type_rss_offloads,
	};
	unsigned int i;

	if (dev->data->nb_rx_queues < 2 || info->flow_type_rss_offloads == 0)
		return;
	hvnet_vf_note(hv, "RSS hash", rte_eth_dev_rss_hash_update(vf, &rss));
	if (info->reta_size == 0 || info->reta_size > RTE_ETH_RSS_RETA_SIZE_512)
		return;
	memset(reta, 0, sizeof(reta));
	for (i = 0; i < info->reta_size; i++) {
		reta[i / RTE_ETH_RETA_GROUP_SIZE].mask |= 1ull << (i % RTE_ETH_RETA_GROUP_SIZE);
		reta[i / RTE_ETH_RETA_GROUP_SIZE].reta[i % RTE_ETH_RETA_GROUP_SIZE] =
			hv->reta[i % HVNET_RETA_SIZE];
	}
	hvnet_vf_note(hv, "RSS RETA", rte_eth_dev_rss_reta_update(vf, reta, info->reta_size));
}

static uint16_t
hvnet_vf_desc(uint16_t want, const struct rte_eth_desc_lim *lim)
{
	uint16_t n = RTE_MAX(RTE_MIN(want, lim->nb_max), lim->nb_min);

	return lim->nb_align > 1 ? RTE_ALIGN_CEIL(n, lim->nb_align) : n;
}

/*
 * The synthetic port's configuration on the VF: the same queues (rx on the same mempools),
 * descriptors within the VF's limits, MTU, offloads both have, RSS, receive modes; no LSC
 * (the port's link is the synthetic one), RMV when the VF can tell it.
 */
static int
hvnet_vf_configure(struct rte_eth_dev *dev, uint16_t vf)
{
	struct hvnet_dev *hv = hvnet_dev_of(dev);
	struct hvnet_port *port = hvnet_port_of(hv);
	struct rte_eth_conf conf = dev->data->dev_conf;
	struct rte_eth_dev_info info;
	struct rte_eth_rxconf rxc;
	struct rte_eth_txconf txc;
	uint16_t q;
	int ret;

	ret = rte_eth_dev_info_get(vf, &info);
	if (ret != 0)
		return ret;
	if (dev->data->nb_rx_queues > info.max_rx_queues ||
	    dev->data->nb_tx_queues > info.max_tx_queues) {
		HVNET_LOG(ERR, "port %u: VF port %u has %u rx and %u tx queues, %u and %u needed",
			  hv->port_id, vf, info.max_rx_queues, info.max_tx_queues,
			  dev->data->nb_rx_queues, dev->data->nb_tx_queues);
		return -EINVAL;
	}
	memset(&conf.intr_conf, 0, sizeof(conf.intr_conf));
	conf.intr_conf.rmv = (*info.dev_flags & RTE_ETH_DEV_INTR_RMV) != 0;
	conf.rxmode.mtu = dev->data->mtu;
	conf.rxmode.offloads &= info.rx_offload_capa;
	conf.txmode.offloads &= info.tx_offload_capa;
	conf.rx_adv_conf.rss_conf.rss_key = NULL;
	conf.rx_adv_conf.rss_conf.rss_hf &= info.flow_type_rss_offloads;
	if (conf.rx_adv_conf.rss_conf.rss_hf == 0)
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_NONE;
	ret = rte_eth_dev_configure(vf, dev->data->nb_rx_queues, dev->data->nb_tx_queues, &conf);
	if (ret != 0)
		return ret;
	/*
	 * A queue stopped on our port now is deferred on the VF where its driver can start it
	 * later, else stopped after the VF's start (if it can be).
	 */
	for (q = 0; q < dev->data->nb_rx_queues && ret == 0; q++) {
		rxc = info.default_rxconf;
		rxc.offloads = conf.rxmode.offloads;
		rxc.rx_deferred_start = hvnet_vf_can_defer(vf, true) &&
			dev->data->rx_queue_state[q] == RTE_ETH_QUEUE_STATE_STOPPED;
		ret = rte_eth_rx_queue_setup(vf, q, hvnet_vf_desc(port->rxq_conf[q].nb_desc,
				&info.rx_desc_lim), rte_eth_dev_socket_id(vf), &rxc,
				port->rxq_conf[q].mp);
	}
	for (q = 0; q < dev->data->nb_tx_queues && ret == 0; q++) {
		txc = info.default_txconf;
		txc.offloads = conf.txmode.offloads;
		txc.tx_deferred_start = hvnet_vf_can_defer(vf, false) &&
			dev->data->tx_queue_state[q] == RTE_ETH_QUEUE_STATE_STOPPED;
		ret = rte_eth_tx_queue_setup(vf, q, hvnet_vf_desc(port->txq_conf[q].nb_desc,
				&info.tx_desc_lim), rte_eth_dev_socket_id(vf), &txc);
	}
	if (ret != 0)
		return ret;
	hvnet_vf_apply_rss(dev, vf, &info);
	hvnet_vf_apply_modes(dev, vf, hv->vf.promisc, hv->vf.allmulti);
	ret = rte_eth_dev_start(vf);
	if (ret == 0)
		hvnet_vf_queues_follow(dev, vf);
	return ret;
}

/* ---- switching ---------------------------------------------------------------------- */

/* EAL interrupt thread: only noted; the alarm switches back (not from inside a callback). */
static int
hvnet_vf_rmv_event(uint16_t port_id __rte_unused, enum rte_eth_event_type type __rte_unused,
		   void *arg, void *ret_param __rte_unused)
{
	struct hvnet_dev *hv = arg;

	hv->vf.rmv_pending = true;
	return 0;
}

/* Every queue on the VF or off it; off returns only when no burst is inside the VF. */
static void
hvnet_vf_queues(struct rte_eth_dev *dev, bool on)
{
	struct hvnet_dev *hv = hvnet_dev_of(dev);
	struct hvnet_vf_q *vq;
	uint16_t q;

	for (q = 0; q < dev->data->nb_rx_queues + dev->data->nb_tx_queues; q++) {
		if (q < dev->data->nb_rx_queues) {
			struct hvnet_rxq *rxq = dev->data->rx_queues[q];

			vq = rxq != NULL ? &rxq->vf : NULL;
		} else {
			struct hvnet_txq *txq = dev->data->tx_queues[q - dev->data->nb_rx_queues];

			vq = txq != NULL ? &txq->vf : NULL;
		}
		if (vq == NULL)
			continue;
		rte_rwlock_write_lock(&vq->lock);
		vq->port = hv->vf.port;
		vq->guard = hv->vf.probed && hv->vf.ifindex != 0;
		__atomic_store_n(&vq->on, on, __ATOMIC_RELEASE);
		rte_rwlock_write_unlock(&vq->lock);
	}
}

/* Give the VF back: stopped, closed and removed if we probed it, else only released. */
static void
hvnet_vf_release(struct hvnet_dev *hv)
{
	uint16_t vf = hv->vf.port;
	unsigned int i;
	int ret;

	for (i = 0; i < HVNET_VF_CB_TRIES; i++) {
		ret = rte_eth_dev_callback_unregister(vf, RTE_ETH_EVENT_INTR_RMV,
						      hvnet_vf_rmv_event, hv);
		if (ret != -EAGAIN)
			break;
		rte_delay_ms(1);	/* the callback is running: it only sets a flag */
	}
	hvnet_vf_note(hv, "stop", rte_eth_dev_stop(vf));
	if (hv->vf.probed) {
		hvnet_vf_note(hv, "close", rte_eth_dev_close(vf));
		hvnet_vf_unprobe(hv);
	} else {
		hvnet_vf_note(hv, "release", rte_eth_dev_owner_unset(vf, hv->vf.owner));
	}
	hv->vf.rmv_pending = false;
}

/* Look for the VF again for vf_wait_ms (after an association, a removal, a start). */
static void
hvnet_vf_rearm_wait(struct hvnet_dev *hv)
{
	hv->vf.wait_until = rte_get_timer_cycles() +
			    rte_get_timer_hz() * hv->args.vf_wait_ms / 1000;
	hv->vf.state = hv->vf_present ? HVNET_VF_WAITING : HVNET_VF_NONE;
	if (hv->vf_present)
		HVNET_LOG(INFO, "port %u: looking for the VF (serial %u, MAC " RTE_ETHER_ADDR_PRT_FMT
			  ") for %u ms", hv->port_id, hv->vf_serial, RTE_ETHER_ADDR_BYTES(&hv->mac),
			  hv->args.vf_wait_ms);
}

/* Back to synthetic: the host first, then our queues, then the VF is given back. */
static void
hvnet_vf_detach(struct rte_eth_dev *dev, const char *why)
{
	struct hvnet_dev *hv = hvnet_dev_of(dev);
	int ret = 0;

	if (!hv->rescinded)
		ret = hvnet_nvs_set_datapath(hv, HV_NVSP_DATAPATH_SYNTHETIC);
	if (ret != 0)
		HVNET_LOG(NOTICE, "port %u: data path not switched back: %s", hv->port_id,
			  strerror(-ret));
	hvnet_vf_queues(dev, false);
	hvnet_vf_release(hv);
	hv->vf.detaches++;
	HVNET_LOG(NOTICE, "port %u: VF port %u (%s) left: %s; synthetic data path", hv->port_id,
		  hv->vf.port, hv->vf.dev_name, why);
	hvnet_vf_rearm_wait(hv);
}

static int
hvnet_vf_own(struct hvnet_dev *hv, uint16_t vf)
{
	struct rte_eth_dev_owner owner = { .id = hv->vf.owner };
	int ret;

	if (hv->vf.owner == 0) {
		ret = rte_eth_dev_owner_new(&hv->vf.owner);
		if (ret != 0)
			return ret;
		owner.id = hv->vf.owner;
	}
	snprintf(owner.name, sizeof(owner.name), "net_hvnet port %u", hv->port_id);
	return rte_eth_dev_owner_set(vf, &owner);
}

/* Find, own, configure and start the VF, then switch the data path to it. */
static void
hvnet_vf_attach(struct rte_eth_dev *dev)
{
	struct hvnet_dev *hv = hvnet_dev_of(dev);
	uint16_t vf;
	int ret;

	if (hvnet_vf_find(dev, &vf) != 0)
		return;		/* not there (yet): the alarm looks again */
	hv->vf.port = vf;
	ret = hvnet_vf_own(hv, vf);
	if (ret != 0) {
		HVNET_LOG(ERR, "port %u: VF port %u not owned: %s", hv->port_id, vf,
			  strerror(-ret));
		if (hv->vf.probed) {
			rte_eth_dev_close(vf);
			hvnet_vf_unprobe(hv);
		}
		hv->vf.state = HVNET_VF_MISSING;
		return;
	}
	rte_eth_dev_callback_register(vf, RTE_ETH_EVENT_INTR_RMV, hvnet_vf_rmv_event, hv);
	ret = hvnet_vf_configure(dev, vf);
	if (ret == 0) {
		hvnet_vf_queues(dev, true);
		ret = hvnet_nvs_set_datapath(hv, HV_NVSP_DATAPATH_VF);
		if (ret != 0)
			hvnet_vf_queues(dev, false);
	}
	if (ret != 0) {
		HVNET_LOG(ERR, "port %u: VF port %u not used: %s", hv->port_id, vf,
			  strerror(-ret));
		hvnet_vf_release(hv);
		hv->vf.state = HVNET_VF_MISSING;
		return;
	}
	hv->vf.state = HVNET_VF_ACTIVE;
	hv->vf.attaches++;
	HVNET_LOG(NOTICE, "port %u: VF port %u (%s%s%s, serial %u): data path switched to it",
		  hv->port_id, vf, hv->vf.dev_name, hv->vf.ifname[0] ? " on " : "",
		  hv->vf.ifname, hv->vf_serial);
}

/* Why the VF in use must be given up now, or NULL. */
static const char *
hvnet_vf_unhealthy(struct hvnet_dev *hv)
{
	struct rte_eth_link link;

	if (hv->vf.rmv_pending)
		return "removal event";
	if (!rte_eth_dev_is_valid_port(hv->vf.port))
		return "port gone";
	if (hv->vf.ifindex != 0) {
		/* Surprise removal: its interface is gone (or a new one took the name). */
		if (if_nametoindex(hv->vf.ifname) != hv->vf.ifindex)
			return "interface gone";
		if (!hvnet_vf_netdev_up(hv->vf.ifname))
			return "interface down";
	}
	if (rte_eth_link_get_nowait(hv->vf.port, &link) == 0 &&
	    link.link_status == RTE_ETH_LINK_DOWN)
		return "link down";
	return NULL;
}

/* What is against what should be; with vf.lock held. */
static void
hvnet_vf_sync(struct rte_eth_dev *dev)
{
	struct hvnet_dev *hv = hvnet_dev_of(dev);
	uint32_t gen = __atomic_load_n(&hv->vf.assoc_gen, __ATOMIC_ACQUIRE);
	bool active = hv->vf.state == HVNET_VF_ACTIVE;
	const char *why = NULL;

	if (hv->vf.state == HVNET_VF_DISABLED)
		return;
	/* ticking: started (ethdev sets dev_started only after the start op returns). */
	if (!hv->vf.ticking || hv->rescinded)
		why = "port stopped";
	else if (!hv->vf_present)
		why = "host withdrew the association";
	else if (active)
		why = hvnet_vf_unhealthy(hv);
	if (active && why != NULL)
		hvnet_vf_detach(dev, why);
	/* A new association: look afresh (one repeated while the VF is in use changes nothing). */
	if (gen != hv->vf.assoc_seen) {
		hv->vf.assoc_seen = gen;
		if (hv->vf.state != HVNET_VF_ACTIVE)
			hvnet_vf_rearm_wait(hv);
	}
	if (why != NULL || hv->vf.state == HVNET_VF_ACTIVE)
		return;
	if (hv->vf.state == HVNET_VF_WAITING) {
		hvnet_vf_attach(dev);
		if (hv->vf.state == HVNET_VF_WAITING && rte_get_timer_cycles() > hv->vf.wait_until) {
			HVNET_LOG(NOTICE, "port %u: the host offers a VF (serial %u) but no device "
				  "with MAC " RTE_ETHER_ADDR_PRT_FMT " appeared in %u ms",
				  hv->port_id, hv->vf_serial, RTE_ETHER_ADDR_BYTES(&hv->mac),
				  hv->args.vf_wait_ms);
			hv->vf.state = HVNET_VF_MISSING;
		}
	}
}

static void
hvnet_vf_tick(void *arg)
{
	struct rte_eth_dev *dev = arg;
	struct hvnet_dev *hv = hvnet_dev_of(dev);
	bool again;

	pthread_mutex_lock(&hv->vf.lock);
	hvnet_vf_sync(dev);
	again = hv->vf.ticking;
	pthread_mutex_unlock(&hv->vf.lock);
	if (again && rte_eal_alarm_set(HVNET_VF_TICK_US, hvnet_vf_tick, dev) != 0)
		HVNET_LOG(ERR, "port %u: cannot watch the VF any more", hv->port_id);
}

/* ---- ethdev ops ------------------------------------------------------------------------ */

void
hvnet_vf_start(struct rte_eth_dev *dev)
{
	struct hvnet_dev *hv = hvnet_dev_of(dev);

	if (!hv->args.vf_enable || rte_eal_process_type() != RTE_PROC_PRIMARY)
		return;
	pthread_mutex_lock(&hv->vf.lock);
	hv->vf.ticking = true;
	hv->vf.promisc = dev->data->promiscuous;
	hv->vf.allmulti = dev->data->all_multicast;
	hvnet_vf_rearm_wait(hv);
	hvnet_vf_sync(dev);
	pthread_mutex_unlock(&hv->vf.lock);
	if (rte_eal_alarm_set(HVNET_VF_TICK_US, hvnet_vf_tick, dev) != 0)
		HVNET_LOG(ERR, "port %u: cannot watch the VF: no accelerated networking",
			  hv->port_id);
}

void
hvnet_vf_stop(struct rte_eth_dev *dev)
{
	struct hvnet_dev *hv = hvnet_dev_of(dev);

	if (!hv->args.vf_enable || rte_eal_process_type() != RTE_PROC_PRIMARY)
		return;
	pthread_mutex_lock(&hv->vf.lock);
	hv->vf.ticking = false;
	pthread_mutex_unlock(&hv->vf.lock);
	/* Not under the lock: a tick running now waits for it, and cancel waits for the tick. */
	rte_eal_alarm_cancel(hvnet_vf_tick, dev);
	pthread_mutex_lock(&hv->vf.lock);
	if (hv->vf.state == HVNET_VF_ACTIVE)
		hvnet_vf_detach(dev, "port stopped");
	hv->vf.state = HVNET_VF_NONE;
	pthread_mutex_unlock(&hv->vf.lock);
}

void
hvnet_vf_close(struct rte_eth_dev *dev)
{
	struct hvnet_dev *hv = hvnet_dev_of(dev);

	if (hv->vf.owner != 0)
		rte_eth_dev_owner_delete(hv->vf.owner);
	hv->vf.owner = 0;
	pthread_mutex_destroy(&hv->vf.lock);
}

void
hvnet_vf_modes_changed(struct rte_eth_dev *dev, bool promisc, bool allmulti)
{
	struct hvnet_dev *hv = hvnet_dev_of(dev);

	pthread_mutex_lock(&hv->vf.lock);
	hv->vf.promisc = promisc;
	hv->vf.allmulti = allmulti;
	if (hv->vf.state == HVNET_VF_ACTIVE)
		hvnet_vf_apply_modes(dev, hv->vf.port, promisc, allmulti);
	pthread_mutex_unlock(&hv->vf.lock);
}

/*
 * The VF alarm copies the list into a VF it takes (hvnet_vf_apply_modes): change it under the
 * lock so that it never sees half of an update. The caller applies it (hvnet_vf_modes_changed).
 */
void
hvnet_vf_mc_list_set(struct rte_eth_dev *dev, const struct rte_ether_addr *addrs, uint32_t nb)
{
	struct hvnet_dev *hv = hvnet_dev_of(dev);
	uint32_t i;

	pthread_mutex_lock(&hv->vf.lock);
	for (i = 0; i < nb; i++)
		rte_ether_addr_copy(&addrs[i], &hv->mc_addrs[i]);
	hv->nb_mc_addrs = nb;
	pthread_mutex_unlock(&hv->vf.lock);
}

void
hvnet_vf_rss_changed(struct rte_eth_dev *dev)
{
	struct hvnet_dev *hv = hvnet_dev_of(dev);
	struct rte_eth_dev_info info;

	pthread_mutex_lock(&hv->vf.lock);
	if (hv->vf.state == HVNET_VF_ACTIVE && rte_eth_dev_info_get(hv->vf.port, &info) == 0)
		hvnet_vf_apply_rss(dev, hv->vf.port, &info);
	pthread_mutex_unlock(&hv->vf.lock);
}

/*
 * The application starts or stops a queue (its new state already recorded, so that an attach
 * after this reads it: hvnet_vf_queues_follow): the VF's follows while it is in use. A VF
 * queue that fails to start fails the start (a burst must not reach a stopped VF queue); one
 * that fails to stop does not fail the stop (it only fills, unpolled).
 */
int
hvnet_vf_queue_changed(struct rte_eth_dev *dev, bool rx, uint16_t q, bool started)
{
	struct hvnet_dev *hv = hvnet_dev_of(dev);
	int ret = 0;

	if (!hv->args.vf_enable || rte_eal_process_type() != RTE_PROC_PRIMARY)
		return 0;
	pthread_mutex_lock(&hv->vf.lock);
	if (hv->vf.state == HVNET_VF_ACTIVE)
		ret = hvnet_vf_queue_follow(hv, hv->vf.port, rx, q, started);
	pthread_mutex_unlock(&hv->vf.lock);
	return started ? ret : 0;
}
