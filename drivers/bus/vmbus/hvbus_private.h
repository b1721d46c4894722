/* SPDX-License-Identifier: BSD-3-Clause */
/* hvbus internals shared by the bus's own files: logging, paths, cross-file prototypes. */
#ifndef HVBUS_PRIVATE_H
#define HVBUS_PRIVATE_H

#include <stddef.h>

#include <rte_common.h>
#include <rte_log.h>

#include "bus_hvbus_driver.h"
#include "hvbus_ring.h"

extern int hvbus_logtype;
#define HVBUS_LOG(level, fmt, ...) \
	rte_log(RTE_LOG_ ## level, hvbus_logtype, "hvbus: " fmt "\n", ## __VA_ARGS__)

/* Monitor ids the monitor page has trigger bits for (4 groups of 32). */
#define HVBUS_MONITOR_IDS 128u
/* Relids the guest->host half of the interrupt page has bits for (2048 bytes). */
#define HVBUS_INT_PAGE_RELIDS (2048u * 8u)

/* Environment variable that leaves every device to the upstream driver (hvbus.c). */
#define HVBUS_DISABLE_ENV "HVBUS_DISABLE"

/* Where uio_hv_generic devices appear. */
#define HVBUS_SYSFS_DEVICES "/sys/bus/vmbus/devices"

/*
 * A wrapped host->guest packet is copied here. Real hosts send packets of a few KiB at most
 * (a transfer-page packet with 562 ranges is under 5 KiB); anything larger that wraps is
 * refused as malformed.
 */
#define HVBUS_BOUNCE_SIZE (64u * 1024u)
/* Ranges of one GPA-direct packet we build (single-page ranges). */
#define HVBUS_MAX_GPA 64u
/* Caller iovecs of one send. */
#define HVBUS_MAX_IOV 8u

struct rte_hvbus_channel {
	/*
	 * Hot: the send path's line, the receive path's line (a queue's tx and rx may run on
	 * different lcores), then what both only read.
	 */
	struct hvbus_ring tx __rte_cache_aligned;	/* guest -> host */
	struct hvbus_ring rx __rte_cache_aligned;	/* host -> guest */
	bool rx_broken;				/* malformed ring seen: receive no more */
	bool rx_intr;				/* host->guest interrupts wanted (receive side) */
	uint8_t *bounce;
	uint32_t *sig_word __rte_cache_aligned;	/* monitor trigger word, or int page word */
	uint32_t sig_bit;
	bool sig_uio;				/* no monitor: also write(1) to the uio fd */

	struct rte_hvbus_device *dev;
	struct rte_hvbus_channel *primary;	/* self for the primary; NULL once it closed */
	uint32_t relid;
	uint16_t subidx;
	uint8_t monitor_id;
	void *map;				/* subchannel ring file mapping, NULL for primary */
	size_t map_len;
	/* Primary only: whether a uio write reaches subchannels (0 not probed yet, 1 yes, -1 no). */
	int8_t uio_reach;
	/* Primary only: the subchannels open now. */
	unsigned int nsub;
	struct rte_hvbus_channel *sub[64];
};

#define HVBUS_LINE_OF(member) (offsetof(struct rte_hvbus_channel, member) / RTE_CACHE_LINE_SIZE)
_Static_assert(HVBUS_LINE_OF(tx) != HVBUS_LINE_OF(rx) &&
	       HVBUS_LINE_OF(tx) != HVBUS_LINE_OF(bounce) &&
	       HVBUS_LINE_OF(rx) != HVBUS_LINE_OF(sig_word), "writer and reader lines apart");

int hvbus_devdir(const struct rte_hvbus_device *dev, char *buf, size_t size);

/*
 * hvbus.c: watch a mapped device's uio fd on the EAL interrupt thread for a rescind (read
 * error, sysfs directory gone), and stop watching. A watch that cannot be set up is logged:
 * the device works, only a rescind goes unnoticed.
 */
void hvbus_watch_start(struct rte_hvbus_device *dev);
void hvbus_watch_stop(struct rte_hvbus_device *dev);
/* True once the host rescinded dev. */
static inline bool
hvbus_gone(const struct rte_hvbus_device *dev)
{
	return __atomic_load_n(&dev->rescinded, __ATOMIC_ACQUIRE);
}

#endif /* HVBUS_PRIVATE_H */
