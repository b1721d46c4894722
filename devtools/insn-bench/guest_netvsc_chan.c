/* SPDX-License-Identifier: BSD-3-Clause */
/* An upstream vmbus channel on the benchmark's memory (see guest_netvsc.c). */

#include <errno.h>

#include <rte_malloc.h>

#include "bench.h"
#include "private.h"

struct vmbus_channel *bench_vmbus_chan(uint8_t *ring, struct hv_monitor_page *mon,
				       unsigned int q);

struct vmbus_channel *
bench_vmbus_chan(uint8_t *ring, struct hv_monitor_page *mon, unsigned int q)
{
	struct vmbus_channel *c = rte_zmalloc(NULL, sizeof(*c), RTE_CACHE_LINE_SIZE);

	if (c == NULL)
		return NULL;
	/* As vmbus_uio_map_rings(): guest->host ring first, host->guest in the second half. */
	vmbus_br_setup(&c->txbr, ring, BENCH_RING_BYTES / 2);
	vmbus_br_setup(&c->rxbr, ring + BENCH_RING_BYTES / 2, BENCH_RING_BYTES / 2);
	c->relid = (uint16_t)(14 + q);
	c->subchannel_id = (uint16_t)q;
	c->monitor_id = (uint8_t)q;
	c->monitor_page = (struct vmbus_mon_page *)mon;
	/* hn_dev_init() reads with interrupts masked (rte_vmbus_irq_mask). */
	c->rxbr.vbr->imask = 1;
	return c;
}


/* The uio side of the vmbus bus, which opening channels uses: never reached here. */
int vmbus_logtype_bus;

struct mapped_vmbus_resource *
vmbus_uio_find_resource(const struct rte_vmbus_device *dev)
{
	RTE_SET_USED(dev);
	return NULL;
}

int
vmbus_uio_get_subchan(struct vmbus_channel *primary, struct vmbus_channel **subchan)
{
	RTE_SET_USED(primary);
	RTE_SET_USED(subchan);
	return -ENOTSUP;
}

int
vmbus_uio_map_rings(struct vmbus_channel *chan)
{
	RTE_SET_USED(chan);
	return -ENOTSUP;
}

bool
vmbus_uio_subchannels_supported(const struct rte_vmbus_device *dev,
				const struct vmbus_channel *chan)
{
	RTE_SET_USED(dev);
	RTE_SET_USED(chan);
	return false;
}
