/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A stand-in for librte_bus_hvbus under hvnet's channel code (hvnet_rx.c, hvnet_tx.c) in unit
 * tests: a host in the test's hands. It records what the driver sends, hands the driver the
 * packets the test queues, and can make a send fail after running a hook inside it, which is
 * the instant another thread may read the channel while the send is under way.
 */
#ifndef HVNET_FAKE_HVBUS_H
#define HVNET_FAKE_HVBUS_H

#include <stdbool.h>
#include <stdint.h>

#include "bus_hvbus_driver.h"

#define FAKE_MAX_PKTS	256u
#define FAKE_PKT_DATA	64u
#define FAKE_MAX_RANGES	8u

struct fake_pkt {
	uint16_t type;
	uint64_t xid;
	uint32_t len;
	uint8_t data[FAKE_PKT_DATA];
	uint32_t range_count;		/* transfer-page packets: ranges of the receive buffer */
	struct hv_xfer_page_range ranges[FAKE_MAX_RANGES];
};

struct rte_hvbus_channel {
	uint16_t index;
	/* Packets the driver sent (xids of data carriers, in order) and how many in all. */
	uint64_t sent_xid[FAKE_MAX_PKTS];
	uint32_t nb_sent;
	uint32_t nb_completed;		/* of sent_xid[], by fake_complete_all() */
	uint32_t nb_acks;
	/* Packets for the driver to read, a FIFO. */
	struct fake_pkt rx[FAKE_MAX_PKTS];
	uint32_t rx_head;
	uint32_t rx_tail;
	/* The next data send fails with fail_rc after calling fail_hook(xid) (0: sends work). */
	int fail_rc;
	void (*fail_hook)(struct rte_hvbus_channel *chan, uint64_t xid);
};

/* Queue a completion of xid with an NVSP RNDIS_PKT_COMPLETE of status. */
void fake_complete(struct rte_hvbus_channel *chan, uint64_t xid, uint32_t status);
/* Queue a transfer-page packet xid the driver cannot use (no ranges): it owes an ack. */
void fake_xfer_unusable(struct rte_hvbus_channel *chan, uint64_t xid);
/* Queue a data transfer-page packet xid of count ranges (at most FAKE_MAX_RANGES). */
void fake_xfer(struct rte_hvbus_channel *chan, uint64_t xid,
	       const struct hv_xfer_page_range *ranges, uint32_t count);
/* Complete every data carrier sent so far (status success) and forget them. */
void fake_complete_all(struct rte_hvbus_channel *chan);

#endif /* HVNET_FAKE_HVBUS_H */
