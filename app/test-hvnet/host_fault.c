/* SPDX-License-Identifier: BSD-3-Clause */
/* Fault injection: a hostile or buggy host corrupting what it writes for the guest. */

#include <string.h>

#include "host.h"

static const char *const fault_names[HOST_FAULT_KINDS] = {
	[HOST_FAULT_RANGE_OFFSET] = "range_offset",
	[HOST_FAULT_RANGE_COUNT] = "range_count",
	[HOST_FAULT_RNDIS_LEN] = "rndis_len",
	[HOST_FAULT_PPI] = "ppi",
	[HOST_FAULT_XID] = "xid",
	[HOST_FAULT_CTL_LEN] = "ctl_len",
	[HOST_FAULT_NVSP_SHORT] = "nvsp_short",
	[HOST_FAULT_DESC] = "desc",
	[HOST_FAULT_PENDING_SZ] = "pending_sz",
	[HOST_FAULT_IMASK] = "imask",
};

int
host_fault_arm(struct sim_nic *nic, const char *kind, uint32_t count)
{
	struct host_nic *hn = host_of(nic);
	unsigned int k;

	for (k = 0; k < HOST_FAULT_KINDS; k++) {
		if (strcmp(kind, fault_names[k]) == 0) {
			hn->fault_left[k] = count;
			return 0;
		}
	}
	return -EINVAL;
}

/* The variant to use for this fault, cycling through a kind's ways of being wrong. */
static uint32_t
fault_variant(const struct host_nic *hn, enum host_fault_kind kind, uint32_t ways)
{
	return hn->fault_seq[kind] % ways;
}

void
host_fault_sent(struct sim_nic *nic, unsigned int c, enum host_fault_kind kind, uint32_t frames)
{
	struct host_nic *hn = host_of(nic);

	if (hn->fault_left[kind] == 0)
		return;
	hn->fault_left[kind]--;
	hn->fault_seq[kind]++;
	nic->stats.faults++;
	sim_log("fault nic=%u chan=%u kind=%s frames=%u left=%u", nic->idx, c, fault_names[kind],
		frames, hn->fault_left[kind]);
}

enum host_fault_kind
host_fault_xfer(const struct sim_nic *nic, struct host_xfer *x, uint32_t n, uint32_t *claim)
{
	const struct host_nic *hn = host_of(nic);
	struct hv_xfer_page_range *r = &x->range[n - 1];

	*claim = n;
	if (hn->fault_left[HOST_FAULT_RANGE_COUNT] != 0) {
		/* The ring length stays honest: only the header lies about what follows. */
		*claim = n + 1 + fault_variant(hn, HOST_FAULT_RANGE_COUNT, 2) * UINT16_MAX;
		return HOST_FAULT_RANGE_COUNT;
	}
	if (hn->fault_left[HOST_FAULT_RANGE_OFFSET] == 0)
		return HOST_FAULT_NONE;
	switch (fault_variant(hn, HOST_FAULT_RANGE_OFFSET, 3)) {
	case 0:		/* starts past the end of the buffer */
		r->byte_offset = hn->rx.count * hn->rx.sub_size;
		break;
	case 1:		/* starts inside, runs past the end (and wraps a 32-bit sum) */
		r->byte_count = UINT32_MAX - r->byte_offset / 2;
		break;
	default:	/* the very last byte, one byte long: too short for any message */
		r->byte_offset = hn->rx.count * hn->rx.sub_size - 1;
		r->byte_count = 1;
		break;
	}
	return HOST_FAULT_RANGE_OFFSET;
}

/* RNDIS PACKET whose lengths overrun its range; one frame lost. */
static void
fault_rndis_len(struct sim_nic *nic, unsigned int c, uint8_t *sub, uint32_t sub_size)
{
	struct host_nic *hn = host_of(nic);
	struct hv_rndis_packet p;

	memcpy(&p, sub, sizeof(p));
	switch (fault_variant(hn, HOST_FAULT_RNDIS_LEN, 4)) {
	case 0:
		p.length = sub_size + 8;
		break;
	case 1:
		p.data_offset = sub_size;
		break;
	case 2:
		p.data_length = sub_size;
		break;
	default:	/* offset + length wraps around 2^32 */
		p.data_length = UINT32_MAX - p.data_offset + 16;
		break;
	}
	memcpy(sub, &p, sizeof(p));
	host_fault_sent(nic, c, HOST_FAULT_RNDIS_LEN, 1);
}

/* First PPI element broken; one frame lost. */
static void
fault_ppi(struct sim_nic *nic, unsigned int c, uint8_t *sub)
{
	struct host_nic *hn = host_of(nic);
	uint8_t *el = sub + sizeof(struct hv_rndis_packet);
	struct hv_rndis_packet p;
	struct hv_rndis_ppi ppi;

	memcpy(&p, sub, sizeof(p));
	memcpy(&ppi, el, sizeof(ppi));
	switch (fault_variant(hn, HOST_FAULT_PPI, 3)) {
	case 0:		/* a zero size would make a walker loop forever */
		ppi.size = 0;
		break;
	case 1:
		ppi.data_offset = ppi.size + 4;
		break;
	default:
		ppi.size = p.ppi_length + 4;
		break;
	}
	memcpy(el, &ppi, sizeof(ppi));
	host_fault_sent(nic, c, HOST_FAULT_PPI, 1);
}

void
host_fault_rx_frame(struct sim_nic *nic, unsigned int c, uint8_t *sub, uint32_t sub_size)
{
	const struct host_nic *hn = host_of(nic);

	if (hn->fault_left[HOST_FAULT_RNDIS_LEN] != 0)
		fault_rndis_len(nic, c, sub, sub_size);
	else if (hn->fault_left[HOST_FAULT_PPI] != 0)
		fault_ppi(nic, c, sub);
}

void
host_fault_tx_done(struct sim_nic *nic, unsigned int c, uint64_t tid)
{
	struct host_nic *hn = host_of(nic);
	/* Two completions: one for a generation never sent, one repeating the real one. */
	const uint64_t tids[2] = { tid + ((uint64_t)1 << 16), tid };
	unsigned int i;

	if (hn->fault_left[HOST_FAULT_XID] == 0)
		return;
	if (host_chan_room(nic, c) < HOST_REPLY_ROOM + 2 * HOST_CTL_MSG_MAX)
		return;
	for (i = 0; i < sizeof(tids) / sizeof(tids[0]); i++)
		if (host_nvsp_rndis_complete(nic, c, tids[i], HV_NVSP_STATUS_SUCCESS) < 0)
			return;
	host_fault_sent(nic, c, HOST_FAULT_XID, 0);
}

void
host_fault_query(struct sim_nic *nic, struct hv_rndis_query_cmplt *r)
{
	struct host_nic *hn = host_of(nic);

	if (hn->fault_left[HOST_FAULT_CTL_LEN] == 0)
		return;
	if (fault_variant(hn, HOST_FAULT_CTL_LEN, 2) == 0)
		r->info_length = r->length + 64;
	else
		r->info_offset = r->length;
	if (r->info_length == 0)
		r->info_length = 4;
	host_fault_sent(nic, 0, HOST_FAULT_CTL_LEN, 0);
}

uint32_t
host_fault_nvsp_len(const struct sim_nic *nic, uint32_t len)
{
	/* Only the type: the status the guest needs is missing. */
	return host_of(nic)->fault_left[HOST_FAULT_NVSP_SHORT] != 0 ? sizeof(uint32_t) : len;
}

bool
host_fault_desc(const struct sim_nic *nic, struct hv_vmbus_desc *d)
{
	if (host_of(nic)->fault_left[HOST_FAULT_DESC] == 0)
		return false;
	d->len8 = d->offset8 - 1;
	return true;
}

/*
 * Ring control fields abused while the host is not waiting on them (so that it never depends on
 * the guest obeying garbage): pending_send_sz of the host->guest ring set to a value no read
 * can satisfy, an odd one, the ring size, or one small enough that reads cross it; and the
 * interrupt_mask fields: the guest's own (host->guest ring) cleared, so that the host
 * interrupts a polling guest, or the host's (guest->host ring) set to a value that is neither 0
 * nor 1 while the host polls. The guest must survive each, signalling and taking interrupts at
 * most as its rules say (the summary counts both).
 */
void
host_fault_ring(struct sim_nic *nic, unsigned int c)
{
	struct host_nic *hn = host_of(nic);
	struct host_chan *hc = &hn->chan[c];
	const uint32_t pending[] = { 0xfffffff8u, 13u, hc->out.size, HV_RING_ALIGN };

	if (hn->fault_left[HOST_FAULT_PENDING_SZ] != 0 && hc->pending == 0) {
		__atomic_store_n(&hc->out.ctl->pending_send_sz,
				 pending[fault_variant(hn, HOST_FAULT_PENDING_SZ, 4)],
				 __ATOMIC_RELEASE);
		host_fault_sent(nic, c, HOST_FAULT_PENDING_SZ, 0);
	}
	if (hn->fault_left[HOST_FAULT_IMASK] != 0 && !hc->idle) {
		if (fault_variant(hn, HOST_FAULT_IMASK, 2) == 0)
			__atomic_store_n(&hc->out.ctl->interrupt_mask, 0, __ATOMIC_RELEASE);
		else
			__atomic_store_n(&hc->in.ctl->interrupt_mask, 0xdeadbeefu, __ATOMIC_RELEASE);
		host_fault_sent(nic, c, HOST_FAULT_IMASK, 0);
	}
}
