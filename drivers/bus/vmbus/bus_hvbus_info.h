/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Part of the hvbus driver API (bus_hvbus_driver.h) in plain C, without EAL headers, so that
 * the ring code (hvbus_ring.c, unit-tested standalone) can fill it.
 */
#ifndef BUS_HVBUS_INFO_H
#define BUS_HVBUS_INFO_H

#include <stdbool.h>
#include <stdint.h>

/*
 * One ring of a channel as its control page shows it now (for telemetry and debugging). The
 * indices are what each side published; the host may change them at any time, so the fields
 * are a snapshot, not a consistent state. bytes_used is 0 and indices_ok false when an index
 * is outside the ring or misaligned.
 */
struct rte_hvbus_ring_info {
	uint32_t size;			/* data area bytes */
	uint32_t write_index;
	uint32_t read_index;
	uint32_t bytes_used;		/* published, not yet consumed */
	uint32_t interrupt_mask;	/* the consumer's: 1 = do not signal it */
	uint32_t pending_send_sz;	/* the producer's: signal it when this much is free */
	uint32_t feature_bits;
	bool indices_ok;
};

#endif /* BUS_HVBUS_INFO_H */
