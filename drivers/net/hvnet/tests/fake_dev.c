/* SPDX-License-Identifier: BSD-3-Clause */
/* The port of hvnet's channel tests: see fake_dev.h. */

#include <stdio.h>

#include <rte_eal.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "fake_dev.h"

bool
fake_dev_eal_init(int argc, char **argv)
{
	char *eal[] = {
		argv[0], "--no-huge", "-m", "64", "--no-pci", "--no-shconf", "-l", "0",
		"--log-level=*:error",
	};

	RTE_SET_USED(argc);
	if (rte_eal_init((int)RTE_DIM(eal), eal) < 0) {
		printf("%s: EAL init failed\n", argv[0]);
		return false;
	}
	return true;
}

bool
fake_dev_init(struct fake_dev *d, const char *pool, unsigned int nb_mbufs, uint32_t rxbuf_len,
	      uint32_t section)
{
	struct hvnet_dev *hv = &d->hv;

	hv->vdev = &d->vdev;
	hv->eth = &d->eth;
	d->eth.data = &d->data;
	d->data.tx_queues = d->txqs;
	d->data.rx_queues = d->rxqs;
	d->data.nb_tx_queues = 1;
	d->data.nb_rx_queues = 1;
	d->data.mtu = RTE_ETHER_MTU;
	hv->socket_id = SOCKET_ID_ANY;
	hv->port_mtu = RTE_ETHER_MTU;
	hv->args.rx_copybreak = UINT32_MAX;
	hv->args.ctl_timeout_ms = 1000;
	hv->chan[0] = &d->chan;
	hv->nb_chan = 1;
	hv->chan_lock = rte_zmalloc(NULL, HVNET_MAX_QUEUES * sizeof(*hv->chan_lock), 0);
	hv->rxbuf_section_size = section;
	hv->rxbuf_section_cnt = rxbuf_len / section;
	d->rxbuf = rte_zmalloc(NULL, rxbuf_len, 64);
	d->vdev.resource[HVBUS_MAP_RECV].addr = d->rxbuf;
	d->vdev.resource[HVBUS_MAP_RECV].len = rxbuf_len;
	d->mp = rte_pktmbuf_pool_create(pool, nb_mbufs, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
					SOCKET_ID_ANY);
	if (hv->chan_lock == NULL || d->rxbuf == NULL || d->mp == NULL)
		return false;
	rte_spinlock_init(&hv->chan_lock[0].rx);
	rte_spinlock_init(&hv->chan_lock[0].tx);
	return true;
}
