/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The ethdev layer of net_hvnet, split by topic; what its files share:
 *   hvnet_ethdev.c  ethdev ops (configure, start/stop, queues, link, modes, MTU), the
 *                   attach/detach sequences, probe/remove
 *   hvnet_rss.c     RSS: hash types against the host's capabilities, RETA, key
 *   hvnet_stats.c   stats, xstats, device and queue info: what a port reports from shared
 *                   memory alone, and with it the secondary-process view of a port
 *   hvnet_devargs.c device arguments
 *   hvnet_intr.c    receive interrupts: per-queue event fds, enable/disable
 */
#ifndef HVNET_ETHDEV_H
#define HVNET_ETHDEV_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_version.h>
#include <ethdev_driver.h>

#include "hvnet.h"

/* What a queue was set up with, to build it again after the channels were re-created. */
struct hvnet_qconf {
	uint16_t nb_desc;	/* as the application asked */
	int socket;
	uint64_t offloads;
	bool deferred;
	struct rte_mempool *mp;	/* rx only */
};

/* Receive interrupts of one rx queue (hvnet_intr.c): fds of the primary process. */
struct hvnet_intr_q {
	int ep;		/* epoll fd: the queue's event fd for ethdev */
	int uio;	/* a listener of the device's interrupts */
	int kick;	/* eventfd: packets were already waiting at enable */
};

/*
 * The port's private data: hvnet_dev first (the layers below see only that), then the
 * bookkeeping of the ethdev layer. Lives in shared memory like any dev_private.
 */
struct hvnet_port {
	struct hvnet_dev hv;
	uint32_t attached;		/* HVNET_AT_* (hvnet_ethdev.c) */
	bool subch_requested;		/* in this NVS session: the host takes one request only */
	unsigned int chan_granted;	/* channels of a short grant (0: none), until reset */
	bool lsc_armed;
	uint64_t lsc_seen_rx;		/* queue 0's frames at the last LSC alarm */
	struct hvnet_qconf rxq_conf[HVNET_MAX_QUEUES];
	struct hvnet_qconf txq_conf[HVNET_MAX_QUEUES];
	unsigned int nb_intr;		/* rx queues with interrupts set up (started port) */
	struct hvnet_intr_q intr[HVNET_MAX_QUEUES];
};

static inline struct hvnet_port *
hvnet_port_of(struct hvnet_dev *hv)
{
	return container_of(hv, struct hvnet_port, hv);
}

static inline struct hvnet_dev *
hvnet_dev_of(const struct rte_eth_dev *dev)
{
	return dev->data->dev_private;
}

/* hvnet_rss.c */
/* A new port's key: DPDK's usual Toeplitz key. */
void hvnet_rss_init(struct hvnet_dev *hv);
/* Every RETA entry to queue i % nb_rxq. */
void hvnet_rss_reta_default(struct hvnet_dev *hv, uint16_t nb_rxq);
/* Take the key and hash types of rss (limited to what the host can do), not yet applied. */
int hvnet_rss_conf_apply(struct rte_eth_dev *dev, const struct rte_eth_rss_conf *rss);
/* Tell the host the current RSS state; only meaningful with subchannels. */
int hvnet_rss_apply(struct rte_eth_dev *dev);
/* The ethdev flow types the host can spread. */
uint64_t hvnet_rss_offloads(const struct hvnet_dev *hv);
/* The hash types in use (configured or updated since), as ethdev flow types. */
uint64_t hvnet_rss_hf(const struct hvnet_dev *hv);
int hvnet_reta_update(struct rte_eth_dev *dev, struct rte_eth_rss_reta_entry64 *conf,
		      uint16_t size);
int hvnet_reta_query(struct rte_eth_dev *dev, struct rte_eth_rss_reta_entry64 *conf,
		     uint16_t size);
int hvnet_rss_hash_update(struct rte_eth_dev *dev, struct rte_eth_rss_conf *rss);
int hvnet_rss_hash_conf_get(struct rte_eth_dev *dev, struct rte_eth_rss_conf *rss);

/* hvnet_stats.c */
/*
 * DPDK 25.11 took the per-queue counters (q_ipackets, ...) out of struct rte_eth_stats into a
 * struct eth_queue_stats that the stats op gets as a separate, optional argument.
 */
#if RTE_VERSION >= RTE_VERSION_NUM(25, 11, 0, 0)
#define HVNET_QSTATS_ARG 1
int hvnet_stats_get(struct rte_eth_dev *dev, struct rte_eth_stats *st,
		    struct eth_queue_stats *qs);
#else
int hvnet_stats_get(struct rte_eth_dev *dev, struct rte_eth_stats *st);
#endif
int hvnet_stats_reset(struct rte_eth_dev *dev);
int hvnet_xstats_get(struct rte_eth_dev *dev, struct rte_eth_xstat *xs, unsigned int limit);
int hvnet_xstats_get_names(struct rte_eth_dev *dev, struct rte_eth_xstat_name *names,
			   unsigned int limit);
int hvnet_dev_infos_get(struct rte_eth_dev *dev, struct rte_eth_dev_info *info);
void hvnet_rxq_info_get(struct rte_eth_dev *dev, uint16_t q, struct rte_eth_rxq_info *qinfo);
void hvnet_txq_info_get(struct rte_eth_dev *dev, uint16_t q, struct rte_eth_txq_info *qinfo);
/* Probe in a secondary process: the port the primary made, with the secondary's ops. */
int hvnet_probe_secondary(struct rte_hvbus_device *vdev);

/*
 * hvnet_intr.c: at start with intr_conf.rxq, every rx queue gets its event fd (0 when not
 * asked for; a negative errno, logged, when they cannot be made); stop closes them; free
 * releases the port's interrupt handle (close). The ops: rx_queue_intr_enable/disable.
 */
int hvnet_intr_start(struct rte_eth_dev *dev);
void hvnet_intr_stop(struct rte_eth_dev *dev);
void hvnet_intr_free(struct rte_eth_dev *dev);
int hvnet_rx_intr_enable(struct rte_eth_dev *dev, uint16_t q);
int hvnet_rx_intr_disable(struct rte_eth_dev *dev, uint16_t q);

/*
 * hvnet_vf.c: accelerated networking. init at probe; start and stop follow the port's (the
 * VF is used only while the port is started); close after the last stop; the *_changed
 * calls pass a receive mode, RSS or queue state change on to a VF in use; the multicast list
 * is changed through hvnet_vf_mc_list_set (the VF alarm reads it). Primary process only.
 */
void hvnet_vf_init(struct hvnet_dev *hv);
void hvnet_vf_start(struct rte_eth_dev *dev);
void hvnet_vf_stop(struct rte_eth_dev *dev);
void hvnet_vf_close(struct rte_eth_dev *dev);
void hvnet_vf_modes_changed(struct rte_eth_dev *dev, bool promisc, bool allmulti);
void hvnet_vf_rss_changed(struct rte_eth_dev *dev);
int hvnet_vf_queue_changed(struct rte_eth_dev *dev, bool rx, uint16_t q, bool started);
void hvnet_vf_mc_list_set(struct rte_eth_dev *dev, const struct rte_ether_addr *addrs,
			  uint32_t nb);
const char *hvnet_vf_state_name(const struct hvnet_dev *hv);

/* hvnet_devargs.c: the device's arguments over the defaults; -EINVAL, logged, if bad. */
int hvnet_parse_devargs(const struct rte_hvbus_device *vdev, struct hvnet_devargs *args);

#endif /* HVNET_ETHDEV_H */
