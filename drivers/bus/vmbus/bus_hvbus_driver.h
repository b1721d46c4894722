/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Driver-facing API of the hvbus VMBus bus: devices, driver registration, channels and the
 * packet send/receive calls that a VMBus device driver (net_hvnet) builds on.
 *
 * Threading: a channel is used by one thread at a time for sending and one for receiving
 * (the usual DPDK queue rule); nothing here takes a lock.
 * Trust: everything read from a host-written ring is validated by the bus before it is
 * returned (descriptor lengths and offsets, transfer-page ranges against the packet). The
 * payload itself stays host memory: drivers copy a field out before they check and use it.
 */
#ifndef BUS_HVBUS_DRIVER_H
#define BUS_HVBUS_DRIVER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/uio.h>

#include <rte_common.h>
#include <rte_uuid.h>
#include <rte_version.h>
#include <dev_driver.h>

#include "hv_wire.h"
#include "bus_hvbus_info.h"

/* Bus name, as used in EAL device arguments: -a hvbus:<instance uuid>. */
#define HVBUS_NAME "hvbus"

/* The five uio_hv_generic maps of a device, in map order. */
enum hvbus_map {
	HVBUS_MAP_RING,		/* txrx_rings: the primary channel's ring pair */
	HVBUS_MAP_INT,		/* int_page */
	HVBUS_MAP_MONITOR,	/* monitor_page */
	HVBUS_MAP_RECV,		/* recv:<gpadl>, the receive buffer */
	HVBUS_MAP_SEND,		/* send:<gpadl>, the send buffer */
	HVBUS_MAP_COUNT
};

#define HVBUS_NO_MONITOR 255u

struct rte_hvbus_driver;
struct rte_hvbus_channel;

/* A VMBus device found in sysfs. Filled by the bus; read-only for drivers. */
struct rte_hvbus_device {
	TAILQ_ENTRY(rte_hvbus_device) next;
	struct rte_device device;		/* device.name = instance UUID, lowercase */
	const struct rte_hvbus_driver *driver;
	rte_uuid_t class_id;
	rte_uuid_t device_id;
	char name[RTE_UUID_STRLEN];
	uint32_t relid;				/* primary channel */
	uint8_t monitor_id;			/* HVBUS_NO_MONITOR: signal through int_page */
	int uio_num;				/* N of /dev/uioN, -1 when not bound to uio */
	/* Valid between rte_hvbus_map_device() and rte_hvbus_unmap_device(). */
	struct rte_mem_resource resource[HVBUS_MAP_COUNT];
	uint32_t recv_gpadl;			/* GPADL handles from the map names */
	uint32_t send_gpadl;
	struct rte_intr_handle *intr_handle;	/* the uio fd */
	void *bus_private;
	/*
	 * Set (by the EAL interrupt thread) once the host rescinded the device: the bus calls
	 * that would reach the host or sysfs fail with -ENODEV from then on.
	 */
	bool rescinded;
	/* Bus internal: the rescind watch on the uio fd (a copy of intr_handle, type EXT). */
	struct rte_intr_handle *watch_intr;
};

struct rte_hvbus_driver {
	TAILQ_ENTRY(rte_hvbus_driver) next;
	struct rte_driver driver;
	/* Interface class GUID claimed by the driver, text form without braces. */
	const char *class_guid;
	int (*probe)(struct rte_hvbus_driver *drv, struct rte_hvbus_device *dev);
	int (*remove)(struct rte_hvbus_device *dev);
	/*
	 * Optional. The host rescinded the device (it is gone for good): called once, on the
	 * EAL interrupt thread, while the device is still mapped. The driver must stop using
	 * the channels at once (the host no longer serves them) and report the removal (an RMV
	 * event); remove() follows when the application detaches the device (it may do so from
	 * the event callback itself).
	 */
	void (*rescind)(struct rte_hvbus_device *dev);
};

void rte_hvbus_register(struct rte_hvbus_driver *drv);
void rte_hvbus_unregister(struct rte_hvbus_driver *drv);

/* DPDK 25.11 dropped the unused index argument of RTE_PMD_EXPORT_NAME (dev_driver.h). */
#if RTE_VERSION >= RTE_VERSION_NUM(25, 11, 0, 0)
#define HVBUS_EXPORT_NAME(nm) RTE_PMD_EXPORT_NAME(nm)
#else
#define HVBUS_EXPORT_NAME(nm) RTE_PMD_EXPORT_NAME(nm, __COUNTER__)
#endif

#define RTE_PMD_REGISTER_HVBUS(nm, hvbus_drv) \
	RTE_INIT(hvbus_reg_ ## nm) \
	{ \
		(hvbus_drv).driver.name = RTE_STR(nm); \
		rte_hvbus_register(&(hvbus_drv)); \
	} \
	HVBUS_EXPORT_NAME(nm)

/*
 * Map the device's five resources (this opens /dev/uioN: the kernel then opens the primary
 * channel with fresh rings), and watch the uio fd for a rescind (driver->rescind). 0 or a
 * negative errno, with a log line saying what was wrong; -ENODEV once rescinded.
 */
int rte_hvbus_map_device(struct rte_hvbus_device *dev);
/*
 * Stop the rescind watch, unmap and close: the kernel closes the primary channel and its
 * subchannels. Safe after a rescind and when not mapped.
 */
void rte_hvbus_unmap_device(struct rte_hvbus_device *dev);

/* Channels the device can have, primary included (1 without per-channel ring files). */
unsigned int rte_hvbus_max_channels(const struct rte_hvbus_device *dev);

/* The primary channel, on map 0. Allocated on the device's NUMA node. */
int rte_hvbus_chan_open(struct rte_hvbus_device *dev, struct rte_hvbus_channel **chan);
/*
 * Wait (at most timeout_ms) for one subchannel the host offered that is not open yet, and
 * open it. -ETIMEDOUT when none appeared in time.
 */
int rte_hvbus_subchan_open(struct rte_hvbus_channel *primary, struct rte_hvbus_channel **chan,
			   unsigned int timeout_ms);
void rte_hvbus_chan_close(struct rte_hvbus_channel *chan);
/* 0 for the primary, 1..64 for subchannels (the host's offer index). */
uint16_t rte_hvbus_chan_index(const struct rte_hvbus_channel *chan);
/* Monitor latency of the channel in microseconds (how soon the host looks at a signal). */
int rte_hvbus_chan_set_latency(struct rte_hvbus_channel *chan, uint32_t latency_us);
/*
 * Whether the guest can signal the host on chan. A channel with a monitor id is signalled
 * through the monitor page; one without, through a uio write (the kernel's signal hypercall).
 * That write reaches every channel of the device only with Linux d062463edf17 (6.15, and
 * stable backports); before, the primary alone: a subchannel without monitor id cannot be
 * signalled and would stall after its first send. Probed once per device (the probe writes
 * to the uio fd: call it before any channel is in use).
 */
bool rte_hvbus_chan_can_signal(struct rte_hvbus_channel *chan);

/* One page range of a GPA-direct packet: byte_count bytes at byte_offset within page pfn. */
struct rte_hvbus_gpa {
	uint32_t len;
	uint32_t ofs;
	uint64_t pfn;		/* 4 KiB Hyper-V page number of the guest IOVA */
};

/*
 * Sends. Each writes one VMBus packet (descriptor, the caller's iovecs, padding, trailer) and
 * publishes it with every packet staged before it. -EAGAIN: the ring is full now, nothing
 * written. *need_sig is set (never cleared) when the host must be signalled
 * (rte_hvbus_chan_signal), so that a burst signals once.
 * need_sig NULL stages the packet: written, invisible to the host until the next publishing
 * send or rte_hvbus_chan_publish(), so that a burst publishes the write index once.
 */
int rte_hvbus_chan_send_inband(struct rte_hvbus_channel *chan, const struct iovec *iov,
			       unsigned int iovcnt, uint64_t xid, bool want_completion,
			       bool *need_sig);
int rte_hvbus_chan_send_completion(struct rte_hvbus_channel *chan, const void *data,
				   uint32_t len, uint64_t xid, bool *need_sig);
int rte_hvbus_chan_send_gpa(struct rte_hvbus_channel *chan, const struct rte_hvbus_gpa *gpa,
			    unsigned int ngpa, const struct iovec *iov, unsigned int iovcnt,
			    uint64_t xid, bool *need_sig);
/* Make every staged packet visible to the host at once; *need_sig as for sends. */
void rte_hvbus_chan_publish(struct rte_hvbus_channel *chan, bool *need_sig);
void rte_hvbus_chan_signal(struct rte_hvbus_channel *chan);

/* VMBus packet types the bus returns. */
#define HVBUS_PKT_INBAND	HV_PKT_DATA_INBAND
#define HVBUS_PKT_XFER_PAGES	HV_PKT_DATA_XFER_PAGES
#define HVBUS_PKT_COMPLETION	HV_PKT_COMPLETION

/* A received packet, valid until rte_hvbus_chan_recv_done(). */
struct rte_hvbus_pkt {
	uint16_t type;			/* HVBUS_PKT_* (others are rejected by the bus) */
	uint16_t flags;			/* bit 0: the host wants a completion */
	uint64_t xid;
	const void *data;		/* payload (after the header and any extension) */
	uint32_t len;			/* payload bytes (may include padding) */
	/*
	 * HVBUS_PKT_XFER_PAGES only: the range array is checked to lie inside the packet, the
	 * ranges themselves are host data (byte_offset is from the start of the buffer).
	 * range_count 0 (never sent by a correct host): the range list was malformed; the
	 * packet carries only its xid, to be completed.
	 */
	uint16_t xfer_set_id;
	uint32_t range_count;
	const struct hv_xfer_page_range *ranges;
};

/*
 * Receive the next packet of a batch, in place in the ring when it does not wrap (else in a
 * per-channel bounce buffer: one wrapped packet per batch at most). 0, -EAGAIN when the ring
 * is empty, -EPROTO for a malformed descriptor (logged; the channel stops receiving since a
 * ring with a bad length cannot be resynchronised).
 */
int rte_hvbus_chan_recv(struct rte_hvbus_channel *chan, struct rte_hvbus_pkt *pkt);
/* End the batch: publish the read index once and signal the host if it waits for room. */
void rte_hvbus_chan_recv_done(struct rte_hvbus_channel *chan);
/* Bytes waiting in the host->guest ring (for rx_queue_count-style queries). */
uint32_t rte_hvbus_chan_rx_pending(const struct rte_hvbus_channel *chan);
/*
 * Whether rte_hvbus_chan_recv would find nothing now: no batch in progress and the host's write
 * index where the reader stands (a corrupt index is not "empty": recv must see it). Any thread,
 * no lock: a reader racing it may make the answer stale either way, so a poller looks again.
 */
bool rte_hvbus_chan_rx_empty(const struct rte_hvbus_channel *chan);

struct rte_hvbus_chan_info {
	uint32_t relid;
	uint16_t index;			/* 0 primary, 1..64 subchannel */
	uint8_t monitor_id;		/* HVBUS_NO_MONITOR: signalled through the interrupt page */
	bool rx_broken;			/* a malformed descriptor stopped receiving */
	struct rte_hvbus_ring_info tx;	/* guest -> host */
	struct rte_hvbus_ring_info rx;	/* host -> guest */
};

/* Fill info from the channel's rings; any thread, no lock (a snapshot). */
void rte_hvbus_chan_info(const struct rte_hvbus_channel *chan, struct rte_hvbus_chan_info *info);

/*
 * Receive interrupts: the channel's host->guest interrupt_mask, owned by the receive side
 * (call these where the channel is read, never concurrently with a read). A channel opens
 * masked (polling). Enable unmasks and then looks: true when packets already wait, for which
 * no interrupt will come (the caller reads instead of sleeping). Each interrupt may mask the
 * channel again (kernels before Linux b15b7d2a1b09): enable again before each sleep.
 */
bool rte_hvbus_chan_rx_intr_enable(struct rte_hvbus_channel *chan);
void rte_hvbus_chan_rx_intr_disable(struct rte_hvbus_channel *chan);

/*
 * An interrupt listener of the device: another open of /dev/uioN, non-blocking. uio makes
 * each open a listener of its own, woken by the interrupt of any channel of the device (the
 * kernel counts them per device). The fd polls readable while an interrupt it has not
 * consumed is pending; rte_hvbus_intr_ack() consumes it without blocking (0, -EAGAIN none,
 * -EIO once rescinded). A listener holds the device open: close every one with
 * rte_hvbus_intr_close() before rte_hvbus_unmap_device(), or the kernel keeps the channels.
 * Returns the fd or a negative errno.
 */
int rte_hvbus_intr_open(struct rte_hvbus_device *dev);
int rte_hvbus_intr_ack(int fd);
void rte_hvbus_intr_close(int fd);

#endif /* BUS_HVBUS_DRIVER_H */
