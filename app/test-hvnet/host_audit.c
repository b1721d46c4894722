/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What each side still owes the other when a receive buffer is revoked or a session ends: on
 * Hyper-V a receive section the guest never completes is lost to the host until the channel
 * closes (receive stops once they are all gone), a guest packet the host never completes
 * holds the guest's descriptor, and an RNDIS request never answered holds its caller. Each
 * debt is a violation with its count (doc/guides/tools/test-hvnet.rst, "Violations").
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host.h"

/* Packets looked at in one ring walk: a 2 MiB ring holds at most 65536 of them. */
#define WALK_MAX	(1u << 17)

/* Transfer-page packets waiting unread in channel c's host->guest ring: their ids in held[]. */
static void
unread_xfers(struct sim_nic *nic, unsigned int c, uint8_t *held)
{
	struct host_nic *hn = host_of(nic);
	struct host_chan *hc = &hn->chan[c];
	struct host_ring r = hc->out;
	uint32_t rd = __atomic_load_n(&r.ctl->read_index, __ATOMIC_ACQUIRE), n;
	int len;

	if (rd >= r.size || rd % HV_RING_ALIGN != 0)
		return;
	r.idx = rd;
	for (n = 0; n < WALK_MAX; n++) {
		const struct hv_vmbus_desc *d = (const struct hv_vmbus_desc *)hn->pkt;

		len = host_ring_peek(&r, hc->out.idx, hn->pkt, sizeof(hn->pkt));
		if (len <= 0)
			return;
		if (d->type == HV_PKT_DATA_XFER_PAGES && d->tid < hn->rx.count)
			held[d->tid] = 1;
		host_ring_skip(&r, (uint32_t)len);
	}
}

/* Receive completions the guest wrote in channel c's guest->host ring that the host has not
 * read yet (it was waiting, or the session ended first): they count as given.
 */
static void
unread_acks(struct sim_nic *nic, unsigned int c)
{
	struct host_nic *hn = host_of(nic);
	struct host_ring r = hn->chan[c].in;
	uint32_t w, n, type;
	int len;

	if (host_ring_write_index(&r, &w) < 0)
		return;
	for (n = 0; n < WALK_MAX; n++) {
		const struct hv_vmbus_desc *d = (const struct hv_vmbus_desc *)hn->pkt;
		uint32_t hdr;

		len = host_ring_peek(&r, w, hn->pkt, sizeof(hn->pkt));
		if (len <= 0)
			return;
		hdr = (uint32_t)d->offset8 * 8;
		if (d->type == HV_PKT_COMPLETION && (uint32_t)len - hdr >= sizeof(type)) {
			memcpy(&type, hn->pkt + hdr, sizeof(type));
			if (type == HV_NVSP_MSG_RNDIS_PKT_COMPLETE && d->tid < hn->rx.count &&
			    hn->rx.busy[d->tid] == HOST_RX_HEAD)
				host_rxbuf_release(nic, c, d->tid);
		}
		host_ring_skip(&r, (uint32_t)len);
	}
}

/* Sub-allocations of the packet whose first one is head. */
static uint32_t
chain_len(const struct host_rxbuf *rx, uint32_t head)
{
	uint32_t idx = head, n = 0;

	while (idx != HOST_RX_NONE && idx < rx->count && n < HOST_RX_BATCH_MAX) {
		n++;
		idx = rx->next[idx];
	}
	return n;
}

void
host_audit_rxbuf(struct sim_nic *nic, const char *when)
{
	struct host_nic *hn = host_of(nic);
	struct host_rxbuf *rx = &hn->rx;
	uint64_t leaked[SIM_MAX_CHANNELS] = { 0 };
	char rule[96];
	uint8_t *held;
	uint32_t idx;
	unsigned int c;

	if (rx->busy == NULL || rx->audited)
		return;
	rx->audited = true;
	for (c = 0; c < nic->nchan; c++)
		if (!hn->chan[c].dead && host_chan_sync(nic, c))
			unread_acks(nic, c);
	held = calloc(rx->count, 1);
	if (held == NULL) {
		sim_log("nic=%u: no memory to count receive sections", nic->idx);
		return;
	}
	for (c = 0; c < nic->nchan; c++)
		if (!hn->chan[c].dead && host_chan_sync(nic, c))
			unread_xfers(nic, c, held);
	for (idx = 0; idx < rx->count; idx++) {
		c = rx->sent_on[idx];
		/* A stopped channel's packets could not be read: not the guest's debt. */
		if (rx->busy[idx] != HOST_RX_HEAD || held[idx] || c >= SIM_MAX_CHANNELS ||
		    hn->chan[c].dead)
			continue;
		leaked[c] += chain_len(rx, idx);
	}
	free(held);
	for (c = 0; c < SIM_MAX_CHANNELS; c++) {
		if (leaked[c] == 0)
			continue;
		nic->stats.rx_sections_leaked += leaked[c];
		snprintf(rule, sizeof(rule), "rx-section-leak count=%llu at=%s",
			 (unsigned long long)leaked[c], when);
		host_violation(nic, c, rule);
	}
}

void
host_audit_session(struct sim_nic *nic)
{
	struct host_nic *hn = host_of(nic);
	char rule[96];

	/* A rescinded device's channels are gone: nothing is owed on them. */
	if (hn == NULL || __atomic_load_n(&nic->ctl->rescinded, __ATOMIC_ACQUIRE))
		return;
	host_audit_rxbuf(nic, "close");
	if (hn->ctl_requests > hn->ctl_responses) {
		uint64_t n = hn->ctl_requests - hn->ctl_responses;

		nic->stats.ctl_unanswered += n;
		snprintf(rule, sizeof(rule), "ctl-unanswered count=%llu", (unsigned long long)n);
		host_violation(nic, 0, rule);
	}
	if (hn->owed != 0) {
		nic->stats.tx_completions_owed += hn->owed;
		snprintf(rule, sizeof(rule), "tx-completion-owed count=%llu",
			 (unsigned long long)hn->owed);
		host_violation(nic, 0, rule);
	}
}
