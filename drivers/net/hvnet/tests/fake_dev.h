/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The port that hvnet's channel code runs on in unit tests (hvnet_rx.c and hvnet_tx.c over
 * the test host of fake_hvbus.c), with EAL in memory: one channel, room for one rx and one tx
 * queue, a receive buffer and a pool. Each test adds what it needs (a send buffer, its
 * queues, devargs) before setting its queues up.
 */
#ifndef HVNET_FAKE_DEV_H
#define HVNET_FAKE_DEV_H

#include <stdbool.h>
#include <stdint.h>

#include "fake_hvbus.h"
#include "hvnet.h"

struct fake_dev {
	struct rte_hvbus_channel chan;
	struct rte_eth_dev_data data;
	struct rte_eth_dev eth;
	struct rte_hvbus_device vdev;
	struct hvnet_dev hv;
	void *txqs[1];
	void *rxqs[1];
	struct rte_mempool *mp;
	uint8_t *rxbuf;
};

/* EAL in memory, no hugepages, one lcore, errors only (not argv's): false when it fails. */
bool fake_dev_eal_init(int argc, char **argv);

/*
 * Set d up: MTU 1500, no external mbufs, a receive buffer of rxbuf_len bytes (zeroed) in
 * sections of 'section' bytes, a pool of nb_mbufs named 'pool'. False when an allocation
 * failed.
 */
bool fake_dev_init(struct fake_dev *d, const char *pool, unsigned int nb_mbufs,
		   uint32_t rxbuf_len, uint32_t section);

#endif /* HVNET_FAKE_DEV_H */
