/* SPDX-License-Identifier: BSD-3-Clause */
/* hvbus: the uio_hv_generic side of a device: map table, /dev/uioN mappings, irq fd, ring files. */
#ifndef HVBUS_UIO_H
#define HVBUS_UIO_H

#include <stddef.h>
#include <stdint.h>

#include "bus_hvbus_driver.h"

/* Smallest ring of one direction: a control page and at least one data page. */
#define HVBUS_RING_MIN_SIZE 8192u

/* One validated entry of the uio map table. */
struct hvbus_map_info {
	size_t size;
	uint32_t gpadl;		/* HVBUS_MAP_RECV / HVBUS_MAP_SEND only, else 0 */
};

/*
 * Read and validate devdir/uio/uio<uio_num>/maps/map0..4/{name,size}: the names must be
 * txrx_rings, int_page, monitor_page, recv:<gpadl>, send:<gpadl> in that order (gpadl decimal
 * or 0x-hex, 1..UINT32_MAX); the sizes (decimal or 0x-hex) must suit each map. 0, or -EINVAL /
 * the read -errno with a log line naming the map and what was expected.
 */
int hvbus_uio_read_maps(const char *devdir, int uio_num,
			struct hvbus_map_info out[HVBUS_MAP_COUNT]);

/*
 * Validate the map table, open /dev/uio<dev->uio_num> (the kernel then opens the primary
 * channel), mmap the five maps into dev->resource[] and keep the fd in dev->intr_handle
 * (type UIO); dev->recv_gpadl / send_gpadl are set. 0, or a negative errno with nothing left
 * open or mapped. devdir is the device's sysfs directory.
 */
int hvbus_uio_map(struct rte_hvbus_device *dev, const char *devdir);

/* Undo hvbus_uio_map(): unmap, close the fd (the kernel closes the channels), free the handle. */
void hvbus_uio_unmap(struct rte_hvbus_device *dev);

/*
 * Consume a pending interrupt (the 4-byte event count) without blocking: 0 when one was
 * read, -EAGAIN when none is pending, -EIO once the device is rescinded, or another -errno.
 */
int hvbus_uio_irq_read(struct rte_hvbus_device *dev);

/*
 * Another open of /dev/uio<dev->uio_num>, non-blocking: uio makes each open a listener of its
 * own, woken by every interrupt of the device's channels. fd, or a negative errno (logged).
 */
int hvbus_uio_listener_open(const struct rte_hvbus_device *dev);
/* As hvbus_uio_irq_read() on a listener fd. */
int hvbus_uio_listener_ack(int fd);

/*
 * Write v to the uio fd (uio_hv_generic's irqcontrol): 1 unmasks host->guest interrupts and
 * signals the host for a channel without monitor id, 0 masks them; on the primary channel
 * alone before Linux d062463edf17, on every channel of the device since. 0 or -errno.
 */
int hvbus_uio_irq_write(struct rte_hvbus_device *dev, uint32_t v);

/*
 * Map a channel's ring pair file (channels/<relid>/ring) read-write, shared, whole length.
 * The size must be an even number of 4 KiB pages, each half at least HVBUS_RING_MIN_SIZE.
 * The fd is closed before returning. 0 with *addr and *len set, or a negative errno (logged).
 */
int hvbus_uio_map_ring_file(const char *path, void **addr, size_t *len);

#endif /* HVBUS_UIO_H */
