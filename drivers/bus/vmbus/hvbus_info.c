/* SPDX-License-Identifier: BSD-3-Clause */
/* Read-only views of hvbus state for drivers' telemetry: a channel and its two rings. */

#include "hvbus_private.h"

void
rte_hvbus_chan_info(const struct rte_hvbus_channel *chan, struct rte_hvbus_chan_info *info)
{
	info->relid = chan->relid;
	info->index = chan->subidx;
	info->monitor_id = chan->monitor_id;
	info->rx_broken = __atomic_load_n(&chan->rx_broken, __ATOMIC_RELAXED);
	hvbus_ring_snapshot(&chan->tx, &info->tx);
	hvbus_ring_snapshot(&chan->rx, &info->rx);
}
