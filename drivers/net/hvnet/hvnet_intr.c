/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * net_hvnet receive interrupts (rte_eth_dev_rx_intr_enable/disable and the queues' event fds),
 * for applications that sleep when idle (l3fwd-power style).
 *
 * What the kernel gives: one interrupt count per uio device, bumped by the interrupt of any
 * of its channels; every open of /dev/uioN is a listener of its own (uio semantics), and a
 * channel interrupts only while its host->guest interrupt_mask is 0 and the host writes to
 * its empty ring (doc/guides/nics/hvnet.rst, "Receive interrupts").
 *
 * So each rx queue q gets, while the port is started with intr_conf.rxq:
 *  - a listener of the device's interrupts (rte_hvbus_intr_open),
 *  - an eventfd the driver kicks itself: enabling finds packets that came while the channel
 *    was masked, and no interrupt will come for those,
 *  - an epoll fd watching both, handed to ethdev as the queue's event fd (EAL then adds it
 *    to the application's epoll; the handle is of type EXT, so EAL reads nothing from it).
 * Enable unmasks channel q and kicks if anything waits (ring, stash, a packet in progress,
 * receive acks not sent yet: the host may have no section left to interrupt with);
 * disable masks it and consumes what woke the queue. Since every listener hears every
 * channel, a queue may wake for another queue's traffic: it then finds nothing and sleeps
 * again. Enable and disable run under the channel's rx lock, as every read of it does.
 */
#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <rte_interrupts.h>

#include "hvnet_ethdev.h"

static void
hvnet_intr_q_close(struct hvnet_intr_q *iq)
{
	if (iq->ep >= 0)
		close(iq->ep);
	if (iq->kick >= 0)
		close(iq->kick);
	rte_hvbus_intr_close(iq->uio);
	iq->ep = iq->kick = iq->uio = -1;
}

static int
hvnet_intr_q_open(struct hvnet_dev *hv, struct hvnet_intr_q *iq)
{
	struct epoll_event ev = { .events = EPOLLIN };
	int ret;

	iq->uio = rte_hvbus_intr_open(hv->vdev);
	iq->kick = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	iq->ep = epoll_create1(EPOLL_CLOEXEC);
	if (iq->uio < 0 || iq->kick < 0 || iq->ep < 0)
		goto fail;
	ev.data.fd = iq->uio;
	if (epoll_ctl(iq->ep, EPOLL_CTL_ADD, iq->uio, &ev) < 0)
		goto fail;
	ev.data.fd = iq->kick;
	if (epoll_ctl(iq->ep, EPOLL_CTL_ADD, iq->kick, &ev) < 0)
		goto fail;
	return 0;
fail:
	ret = iq->uio < 0 ? iq->uio : -errno;
	hvnet_intr_q_close(iq);
	return ret != 0 ? ret : -EIO;
}

/* Whatever woke the queue: the listener's pending interrupt and the kicks. */
static void
hvnet_intr_q_drain(struct hvnet_intr_q *iq)
{
	eventfd_t v;

	rte_hvbus_intr_ack(iq->uio);
	if (eventfd_read(iq->kick, &v) < 0 && errno != EAGAIN)
		HVNET_LOG(DEBUG, "kick eventfd: %s", strerror(errno));
}

void
hvnet_intr_stop(struct rte_eth_dev *dev)
{
	struct hvnet_port *port = hvnet_port_of(hvnet_dev_of(dev));
	struct hvnet_dev *hv = &port->hv;
	unsigned int q;

	if (port->nb_intr == 0)
		return;
	/* Out of the applications' epoll sets before the fds go. */
	rte_intr_free_epoll_fd(dev->intr_handle);
	for (q = 0; q < port->nb_intr; q++) {
		if (hv->chan[q] != NULL) {
			rte_spinlock_lock(&hv->chan_lock[q].rx);
			rte_hvbus_chan_rx_intr_disable(hv->chan[q]);
			rte_spinlock_unlock(&hv->chan_lock[q].rx);
		}
		hvnet_intr_q_close(&port->intr[q]);
	}
	rte_intr_vec_list_free(dev->intr_handle);
	rte_intr_nb_efd_set(dev->intr_handle, 0);
	rte_intr_max_intr_set(dev->intr_handle, 0);
	port->nb_intr = 0;
}

/* The handle ethdev and EAL use: event fd q, vector RTE_INTR_VEC_RXTX_OFFSET + q. */
static int
hvnet_intr_handle_fill(struct rte_eth_dev *dev, unsigned int n)
{
	struct hvnet_port *port = hvnet_port_of(hvnet_dev_of(dev));
	struct rte_intr_handle *h = dev->intr_handle;
	unsigned int q;

	if (rte_intr_vec_list_alloc(h, "hvnet_intr_vec", (int)n) != 0 ||
	    rte_intr_nb_efd_set(h, (int)n) != 0 || rte_intr_max_intr_set(h, (int)n + 1) != 0)
		return -ENOMEM;
	for (q = 0; q < n; q++) {
		if (rte_intr_efds_index_set(h, (int)q, port->intr[q].ep) != 0 ||
		    rte_intr_vec_list_index_set(h, (int)q, RTE_INTR_VEC_RXTX_OFFSET + (int)q) != 0)
			return -EINVAL;
	}
	return 0;
}

int
hvnet_intr_start(struct rte_eth_dev *dev)
{
	struct hvnet_port *port = hvnet_port_of(hvnet_dev_of(dev));
	unsigned int n = dev->data->nb_rx_queues, q;
	int ret;

	if (!dev->data->dev_conf.intr_conf.rxq || n == 0)
		return 0;
	if (dev->intr_handle == NULL) {
		dev->intr_handle = rte_intr_instance_alloc(RTE_INTR_INSTANCE_F_PRIVATE);
		if (dev->intr_handle == NULL ||
		    rte_intr_type_set(dev->intr_handle, RTE_INTR_HANDLE_EXT) != 0)
			return -ENOMEM;
	}
	for (q = 0; q < n; q++) {
		port->intr[q].ep = port->intr[q].kick = port->intr[q].uio = -1;
		ret = hvnet_intr_q_open(&port->hv, &port->intr[q]);
		port->nb_intr = q + (ret == 0);
		if (ret != 0)
			goto fail;
	}
	ret = hvnet_intr_handle_fill(dev, n);
	if (ret == 0)
		return 0;
fail:
	HVNET_LOG(ERR, "port %u: receive interrupts for %u queues: %s", port->hv.port_id, n,
		  strerror(-ret));
	hvnet_intr_stop(dev);
	return ret;
}

void
hvnet_intr_free(struct rte_eth_dev *dev)
{
	hvnet_intr_stop(dev);
	rte_intr_instance_free(dev->intr_handle);
	dev->intr_handle = NULL;
}

int
hvnet_rx_intr_enable(struct rte_eth_dev *dev, uint16_t q)
{
	struct hvnet_port *port = hvnet_port_of(hvnet_dev_of(dev));
	struct hvnet_dev *hv = &port->hv;
	struct hvnet_rxq *rxq = dev->data->rx_queues[q];
	bool waiting;

	if (q >= port->nb_intr || rxq == NULL || hv->chan[q] == NULL)
		return -EINVAL;
	rte_spinlock_lock(&hv->chan_lock[q].rx);
	/* Unmasked first: what arrives from now on interrupts; what came before is seen. */
	waiting = rte_hvbus_chan_rx_intr_enable(hv->chan[q]);
	waiting = waiting || hvnet_rx_queue_count(rxq) != 0;
	/* Acks not sent yet (tx lock busy, ring full): a read must send them before any sleep. */
	waiting = waiting || hvnet_rx_acks_owed(rxq);
	rte_spinlock_unlock(&hv->chan_lock[q].rx);
	if (waiting && eventfd_write(port->intr[q].kick, 1) < 0)
		return -errno;
	return 0;
}

int
hvnet_rx_intr_disable(struct rte_eth_dev *dev, uint16_t q)
{
	struct hvnet_port *port = hvnet_port_of(hvnet_dev_of(dev));
	struct hvnet_dev *hv = &port->hv;

	if (q >= port->nb_intr || hv->chan[q] == NULL)
		return -EINVAL;
	rte_spinlock_lock(&hv->chan_lock[q].rx);
	rte_hvbus_chan_rx_intr_disable(hv->chan[q]);
	rte_spinlock_unlock(&hv->chan_lock[q].rx);
	hvnet_intr_q_drain(&port->intr[q]);
	return 0;
}
