/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control request slot: the one NVSP or RNDIS request in flight on a device. The control
 * path arms it before sending and waits on it; whichever thread reads the primary channel
 * fills it. Contract in hvnet.h.
 */

#include <errno.h>
#include <string.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_malloc.h>

#include "hvnet.h"

#define HVNET_POLL_MIN_US	10u
#define HVNET_POLL_MAX_US	100u

uint64_t
hvnet_ctl_deadline(const struct hvnet_dev *hv)
{
	return rte_get_timer_cycles() + rte_get_timer_hz() * hv->args.ctl_timeout_ms / 1000;
}

int
hvnet_ctl_alloc(struct hvnet_dev *hv)
{
	if (hv->wait != NULL)
		return 0;
	hv->wait = rte_zmalloc_socket("hvnet_ctl_wait", sizeof(*hv->wait), RTE_CACHE_LINE_SIZE,
				      hv->socket_id);
	return hv->wait != NULL ? 0 : -ENOMEM;
}

void
hvnet_ctl_free(struct hvnet_dev *hv)
{
	rte_free(hv->wait);
	hv->wait = NULL;
}

void
hvnet_ctl_arm(struct hvnet_dev *hv, uint32_t nvs_type, uint32_t rndis_rid)
{
	struct hvnet_ctl_wait *w = hv->wait;
	uint32_t seq = __atomic_load_n(&w->seq, __ATOMIC_RELAXED) & ~HVNET_CTL_STATE;

	__atomic_store_n(&w->nvs_type, nvs_type, __ATOMIC_RELAXED);
	__atomic_store_n(&w->rndis_rid, rndis_rid, __ATOMIC_RELAXED);
	__atomic_store_n(&w->seq, (seq + HVNET_CTL_SEQ_ONE) | HVNET_CTL_ARMED, __ATOMIC_RELEASE);
}

static void
hvnet_ctl_disarm(struct hvnet_dev *hv)
{
	uint32_t seq = __atomic_load_n(&hv->wait->seq, __ATOMIC_RELAXED) & ~HVNET_CTL_STATE;

	/* An exchange: a reader that claimed the slot is done with its checks before re-arm. */
	__atomic_exchange_n(&hv->wait->seq, seq + HVNET_CTL_SEQ_ONE, __ATOMIC_ACQ_REL);
}

int
hvnet_ctl_wait(struct hvnet_dev *hv, const char *what)
{
	uint64_t deadline = hvnet_ctl_deadline(hv);
	unsigned int delay = HVNET_POLL_MIN_US;

	for (;;) {
		/* Whoever reads the primary (us or a data-path lcore) fills hv->wait. */
		hvnet_chan_poll(hv, 0, true);
		if ((__atomic_load_n(&hv->wait->seq, __ATOMIC_ACQUIRE) & HVNET_CTL_STATE) ==
		    HVNET_CTL_DONE) {
			hvnet_ctl_disarm(hv);
			return 0;
		}
		if (hv->rescinded) {
			hvnet_ctl_disarm(hv);
			return -ENODEV;	/* no answer will come */
		}
		if (rte_get_timer_cycles() > deadline)
			break;
		rte_delay_us_sleep(delay);
		delay = RTE_MIN(delay * 2, HVNET_POLL_MAX_US);
	}
	hvnet_ctl_disarm(hv);
	HVNET_LOG(ERR, "port %u: no answer to %s from the host within %u ms (devarg %s)",
		  hv->port_id, what, hv->args.ctl_timeout_ms, HVNET_ARG_CTL_TIMEOUT);
	return -ETIMEDOUT;
}

bool
hvnet_ctl_complete(struct hvnet_dev *hv, uint32_t nvs_type, uint32_t rndis_rid,
		   const void *data, uint32_t len)
{
	struct hvnet_ctl_wait *w = hv->wait;
	uint32_t armed, seq, filling;

	if (w == NULL)
		return false;
	armed = __atomic_load_n(&w->seq, __ATOMIC_ACQUIRE);
	if ((armed & HVNET_CTL_STATE) != HVNET_CTL_ARMED ||
	    __atomic_load_n(&w->nvs_type, __ATOMIC_RELAXED) != nvs_type ||
	    __atomic_load_n(&w->rndis_rid, __ATOMIC_RELAXED) != rndis_rid)
		return false;
	/* Claimed for this very arming: a disarm (timeout) in between makes the swap fail. */
	seq = armed & ~HVNET_CTL_STATE;
	filling = seq | HVNET_CTL_FILLING;
	if (!__atomic_compare_exchange_n(&w->seq, &armed, filling, false, __ATOMIC_ACQ_REL,
					 __ATOMIC_RELAXED))
		return false;
	w->len = RTE_MIN(len, HVNET_CTL_BUF_SIZE);
	memcpy(w->buf, data, w->len);
	/* Fails only when the waiter gave up meanwhile: then nobody reads the buffer. */
	__atomic_compare_exchange_n(&w->seq, &filling, seq | HVNET_CTL_DONE, false,
				    __ATOMIC_RELEASE, __ATOMIC_RELAXED);
	return true;
}
