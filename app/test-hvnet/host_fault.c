/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fault injection: a hostile or buggy host corrupting what it writes for the guest, one class
 * of host input at a time (control 'fault NIC KIND [COUNT [CHAN]]'). Each kind cycles through
 * its ways of being wrong; each injection is logged "fault nic=N chan=C kind=K frames=F"
 * (F: data frames the guest loses with it). doc/guides/tools/test-hvnet.rst lists them all.
 */

#include <stdlib.h>
#include <string.h>
#include <time.h>

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
	[HOST_FAULT_WINDEX] = "windex",
	[HOST_FAULT_PKT_TYPE] = "pkt_type",
	[HOST_FAULT_PKT_LEN] = "pkt_len",
	[HOST_FAULT_BOUNCE] = "bounce",
	[HOST_FAULT_RINDEX] = "rindex",
	[HOST_FAULT_XFER_ID] = "xfer_id",
	[HOST_FAULT_XFER_TYPE] = "xfer_type",
	[HOST_FAULT_RANGE_MANY] = "range_many",
	[HOST_FAULT_RANGE_OVERSIZE] = "range_oversize",
	[HOST_FAULT_RANGE_OVERLAP] = "range_overlap",
	[HOST_FAULT_RNDIS_AREA] = "rndis_area",
	[HOST_FAULT_PPI_SHORT] = "ppi_short",
	[HOST_FAULT_FRAME_OVERSIZE] = "frame_oversize",
	[HOST_FAULT_CTL_TYPE] = "ctl_type",
	[HOST_FAULT_CTL_RID] = "ctl_rid",
	[HOST_FAULT_CTL_STATUS] = "ctl_status",
	[HOST_FAULT_INIT_SHORT] = "init_short",
	[HOST_FAULT_AGG] = "agg",
	[HOST_FAULT_INDICATION] = "indication",
	[HOST_FAULT_OID_SIZE] = "oid_size",
	[HOST_FAULT_RSS_CAPS] = "rss_caps",
	[HOST_FAULT_OFFLOAD_CAPS] = "offload_caps",
	[HOST_FAULT_INIT_STATUS] = "init_status",
	[HOST_FAULT_RXBUF_LAYOUT] = "rxbuf_layout",
	[HOST_FAULT_SECTION_SIZE] = "section_size",
	[HOST_FAULT_SUBCH_GRANT] = "subch_grant",
	[HOST_FAULT_NVSP_MSG] = "nvsp_msg",
	[HOST_FAULT_XID_FIELD] = "xid_field",
	[HOST_FAULT_TX_RACE] = "tx_race",
	[HOST_FAULT_REWRITE] = "rewrite",
	[HOST_FAULT_SUBCH_ID] = "subch_id",
	[HOST_FAULT_PENDING_SZ] = "pending_sz",
	[HOST_FAULT_IMASK] = "imask",
	[HOST_FAULT_FILTER_LATE] = "filter_late",
};

#define OVERLAP_RANGES		64u	/* ranges range_overlap adds */
#define MANY_RANGES		563u	/* one more than a guest takes */
#define RACE_TIDS		16u	/* completed ids a race predicts from, per channel */
#define RACE_GENS		4u	/* generations ahead of each it forges */
#define RACE_HOLD_NS		1000000000ull	/* longest a race waits for a full ring */
#define RACE_DRAIN_NS		3000000000ull	/* longest it waits for the guest to read */
#define RACE_FULL_BYTES		256u	/* guest ring free below this: no send of the guest fits */
/* Room in the guest's receive ring for every forgery of a race (a completion is 40 bytes). */
#define RACE_FORGE_ROOM		(RACE_TIDS * RACE_GENS * 64u + 2 * HOST_REPLY_ROOM)
#define REWRITE_MAX		16u
#define BOUNCE_OVER		(72u * 1024u)	/* above the guest's 64 KiB bounce buffer */

/* tx_race: hold channel 'chan''s guest ring until full, forge completions, wait for the read. */
enum race_phase { RACE_IDLE, RACE_HOLD, RACE_DRAIN };

struct host_fault_state {
	enum race_phase race;
	unsigned int race_chan;
	uint64_t race_since;
	uint64_t tids[SIM_MAX_CHANNELS][RACE_TIDS];	/* last data completions, per channel */
	uint32_t ntids[SIM_MAX_CHANNELS];
	/* rewrite: sub-allocations whose RNDIS data length flips until the guest acks them. */
	uint32_t rw_idx[REWRITE_MAX];
	uint32_t rw_good[REWRITE_MAX];
	uint32_t nrw;
	uint8_t big[BOUNCE_OVER + 64 * 1024];		/* bounce: the oversized packet */
};

static uint64_t
fault_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int
host_fault_arm(struct sim_nic *nic, const char *kind, uint32_t count, int chan)
{
	struct host_nic *hn = host_of(nic);
	unsigned int k;

	if (chan >= (int)SIM_MAX_CHANNELS)
		return -EINVAL;
	if (hn->fault == NULL) {
		hn->fault = calloc(1, sizeof(*hn->fault));
		if (hn->fault == NULL)
			return -ENOMEM;
	}
	for (k = 0; k < HOST_FAULT_KINDS; k++) {
		if (strcmp(kind, fault_names[k]) == 0) {
			hn->fault_left[k] = count;
			hn->fault_chan[k] = chan;
			return 0;
		}
	}
	return -EINVAL;
}

void
host_fault_fini(struct host_nic *hn)
{
	free(hn->fault);
	hn->fault = NULL;
}

/* A fault of kind is armed for channel c. */
static bool
armed(const struct host_nic *hn, enum host_fault_kind kind, unsigned int c)
{
	return hn->fault_left[kind] != 0 &&
	       (hn->fault_chan[kind] < 0 || (unsigned int)hn->fault_chan[kind] == c);
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

/* ---- transfer pages ----------------------------------------------------------------------- */

/* Bytes of the receive buffer the host carved into sub-allocations. */
static uint32_t
rxbuf_end(const struct host_nic *hn)
{
	return hn->rx.count * hn->rx.sub_size;
}

static void
fault_range_offset(const struct host_nic *hn, struct hv_xfer_page_range *r)
{
	switch (fault_variant(hn, HOST_FAULT_RANGE_OFFSET, 3)) {
	case 0:		/* starts past the end of the buffer */
		r->byte_offset = rxbuf_end(hn);
		break;
	case 1:		/* starts inside, runs past the end (and wraps a 32-bit sum) */
		r->byte_count = UINT32_MAX - r->byte_offset / 2;
		break;
	default:	/* the very last byte, one byte long: too short for any message */
		r->byte_offset = rxbuf_end(hn) - 1;
		r->byte_count = 1;
		break;
	}
}

/* Ranges n..n+extra-1, each over the whole buffer: inside it, longer than a section. */
static void
add_whole_ranges(const struct host_nic *hn, struct host_xfer *x, uint32_t n, uint32_t extra)
{
	uint32_t i;

	for (i = n; i < n + extra; i++)
		x->range[i] = (struct hv_xfer_page_range){ .byte_count = rxbuf_end(hn),
							   .byte_offset = 0 };
}

enum host_fault_kind
host_fault_xfer(const struct sim_nic *nic, unsigned int c, struct host_xfer *x, uint32_t n,
		struct host_xfer_out *out)
{
	const struct host_nic *hn = host_of(nic);
	uint32_t i;

	if (armed(hn, HOST_FAULT_RANGE_COUNT, c)) {
		/* The ring length stays honest: only the header lies about what follows. */
		out->claim = n + 1 + fault_variant(hn, HOST_FAULT_RANGE_COUNT, 2) * UINT16_MAX;
		return HOST_FAULT_RANGE_COUNT;
	}
	if (armed(hn, HOST_FAULT_XFER_ID, c)) {
		out->set_id = fault_variant(hn, HOST_FAULT_XFER_ID, 2) ? HV_SENDBUF_ID :
									  hn->rx.id ^ 0x5a5a;
		return HOST_FAULT_XFER_ID;
	}
	if (armed(hn, HOST_FAULT_XFER_TYPE, c)) {
		out->nvsp_type = fault_variant(hn, HOST_FAULT_XFER_TYPE, 2) ?
				 HV_NVSP_MSG_RNDIS_PKT_COMPLETE : 0xdead;
		return HOST_FAULT_XFER_TYPE;
	}
	if (armed(hn, HOST_FAULT_RANGE_MANY, c)) {
		for (i = n; i < MANY_RANGES; i++)
			x->range[i] = x->range[i % n];
		out->nranges = MANY_RANGES;
		out->claim = MANY_RANGES;
		return HOST_FAULT_RANGE_MANY;
	}
	if (armed(hn, HOST_FAULT_RANGE_OVERLAP, c)) {
		add_whole_ranges(hn, x, n, OVERLAP_RANGES);
		out->nranges = n + OVERLAP_RANGES;
		out->claim = out->nranges;
		return HOST_FAULT_RANGE_OVERLAP;
	}
	if (armed(hn, HOST_FAULT_RANGE_OVERSIZE, c)) {
		/* The last frame's range: two sections from the start, inside the buffer. */
		x->range[n - 1].byte_offset = 0;
		x->range[n - 1].byte_count = 2 * hn->rx.sub_size;
		return HOST_FAULT_RANGE_OVERSIZE;
	}
	if (armed(hn, HOST_FAULT_RANGE_OFFSET, c)) {
		fault_range_offset(hn, &x->range[n - 1]);
		return HOST_FAULT_RANGE_OFFSET;
	}
	return HOST_FAULT_NONE;
}

/* Frames the guest loses with an xfer fault of n frames. */
uint32_t
host_fault_xfer_lost(enum host_fault_kind kind, uint32_t n)
{
	switch (kind) {
	case HOST_FAULT_RANGE_COUNT:
	case HOST_FAULT_XFER_ID:
	case HOST_FAULT_XFER_TYPE:
	case HOST_FAULT_RANGE_MANY:
		return n;	/* the whole packet is refused */
	case HOST_FAULT_RANGE_OVERLAP:
		return 0;	/* only the ranges added are refused */
	default:
		return 1;
	}
}

/* ---- RNDIS data --------------------------------------------------------------------------- */

/* RNDIS PACKET whose lengths overrun its range; one frame lost. */
static void
fault_rndis_len(const struct host_nic *hn, struct hv_rndis_packet *p, uint32_t sub_size)
{
	switch (fault_variant(hn, HOST_FAULT_RNDIS_LEN, 4)) {
	case 0:
		p->length = sub_size + 8;
		break;
	case 1:
		p->data_offset = sub_size;
		break;
	case 2:
		p->data_length = sub_size;
		break;
	default:	/* offset + length wraps around 2^32 */
		p->data_length = UINT32_MAX - p->data_offset + 16;
		break;
	}
}

/* OOB or PPI area outside the message, inside the header, or misaligned; one frame lost. */
static void
fault_rndis_area(const struct host_nic *hn, struct hv_rndis_packet *p)
{
	switch (fault_variant(hn, HOST_FAULT_RNDIS_AREA, 5)) {
	case 0:
		p->oob_length = 8;
		p->oob_offset = p->length;
		break;
	case 1:
		p->oob_length = 8;
		p->oob_offset = 4;
		break;
	case 2:
		p->ppi_offset += 2;
		break;
	case 3:
		p->ppi_length = p->length;
		break;
	default:
		p->ppi_offset = 8;
		break;
	}
}

/* First PPI element broken (its size or value); one frame lost. */
static void
fault_ppi(const struct host_nic *hn, enum host_fault_kind kind, const struct hv_rndis_packet *p,
	  uint8_t *el)
{
	struct hv_rndis_ppi ppi;

	memcpy(&ppi, el, sizeof(ppi));
	if (kind == HOST_FAULT_PPI_SHORT) {
		if (fault_variant(hn, kind, 2) == 0) {
			ppi.size = 8;			/* shorter than its header */
		} else {
			ppi.size = sizeof(ppi);		/* no room for its value */
			ppi.data_offset = sizeof(ppi);
		}
	} else {
		switch (fault_variant(hn, kind, 3)) {
		case 0:		/* a zero size would make a walker loop forever */
			ppi.size = 0;
			break;
		case 1:
			ppi.data_offset = ppi.size + 4;
			break;
		default:
			ppi.size = p->ppi_length + 4;
			break;
		}
	}
	memcpy(el, &ppi, sizeof(ppi));
}

/* Start flipping the data length of sub-allocation idx (see host_fault_poll). */
static bool
rewrite_add(struct host_nic *hn, uint32_t idx, const struct hv_rndis_packet *p)
{
	struct host_fault_state *st = hn->fault;

	if (st == NULL || st->nrw == REWRITE_MAX)
		return false;
	st->rw_idx[st->nrw] = idx;
	st->rw_good[st->nrw] = p->data_length;
	st->nrw++;
	return true;
}

void
host_fault_rx_frame(struct sim_nic *nic, unsigned int c, uint8_t *sub, uint32_t sub_size)
{
	struct host_nic *hn = host_of(nic);
	uint8_t *el = sub + sizeof(struct hv_rndis_packet);
	enum host_fault_kind kind = HOST_FAULT_NONE;
	struct hv_rndis_packet p;
	uint32_t lost = 1;

	/* Nothing was ever armed (the state comes with the first fault): most runs, each frame. */
	if (hn->fault == NULL)
		return;
	memcpy(&p, sub, sizeof(p));
	if (armed(hn, HOST_FAULT_RNDIS_LEN, c)) {
		kind = HOST_FAULT_RNDIS_LEN;
		fault_rndis_len(hn, &p, sub_size);
	} else if (armed(hn, HOST_FAULT_PPI, c) || armed(hn, HOST_FAULT_PPI_SHORT, c)) {
		kind = armed(hn, HOST_FAULT_PPI, c) ? HOST_FAULT_PPI : HOST_FAULT_PPI_SHORT;
		fault_ppi(hn, kind, &p, el);
	} else if (armed(hn, HOST_FAULT_RNDIS_AREA, c)) {
		kind = HOST_FAULT_RNDIS_AREA;
		fault_rndis_area(hn, &p);
	} else if (armed(hn, HOST_FAULT_FRAME_OVERSIZE, c)) {
		/* Well formed, running to the end of the message: longer than the MTU allows. */
		kind = HOST_FAULT_FRAME_OVERSIZE;
		p.data_length = p.length - HV_RNDIS_OFFSET_BASE - p.data_offset;
	} else if (armed(hn, HOST_FAULT_REWRITE, c) &&
		   rewrite_add(hn, (uint32_t)((sub - nic->rxbuf) / sub_size), &p)) {
		kind = HOST_FAULT_REWRITE;
		lost = 0;	/* or 1: whichever length the guest reads (the test counts) */
	}
	if (kind == HOST_FAULT_NONE)
		return;
	memcpy(sub, &p, sizeof(p));
	host_fault_sent(nic, c, kind, lost);
}

void
host_fault_released(struct sim_nic *nic, uint32_t idx)
{
	struct host_fault_state *st = host_of(nic)->fault;
	uint32_t i;

	for (i = 0; st != NULL && i < st->nrw; i++) {
		if (st->rw_idx[i] == idx) {
			st->nrw--;
			st->rw_idx[i] = st->rw_idx[st->nrw];
			st->rw_good[i] = st->rw_good[st->nrw];
			return;
		}
	}
}

/*
 * Rewrite, between the guest's reads, the data length of each frame under 'rewrite': the good
 * value, then one no range can hold. Copied once, a guest sees either and acts on that.
 */
static void
rewrite_flip(struct sim_nic *nic)
{
	struct host_nic *hn = host_of(nic);
	struct host_fault_state *st = hn->fault;
	const uint32_t off = offsetof(struct hv_rndis_packet, data_length);
	uint32_t i, v;

	for (i = 0; i < st->nrw; i++) {
		uint8_t *f = nic->rxbuf + (size_t)st->rw_idx[i] * hn->rx.sub_size + off;

		memcpy(&v, f, sizeof(v));
		v = v == st->rw_good[i] ? UINT32_MAX - 8 : st->rw_good[i];
		__atomic_store_n((uint32_t *)(void *)f, v, __ATOMIC_RELAXED);
	}
}

/* ---- completions -------------------------------------------------------------------------- */

/* Remember the data completions channel c sent: a race forges the next ids from them. */
static void
race_note(struct host_nic *hn, unsigned int c, uint64_t tid)
{
	struct host_fault_state *st = hn->fault;

	if (st == NULL || c >= SIM_MAX_CHANNELS)
		return;
	st->tids[c][st->ntids[c]++ % RACE_TIDS] = tid;
}

void
host_fault_tx_done(struct sim_nic *nic, unsigned int c, uint64_t tid)
{
	struct host_nic *hn = host_of(nic);
	/* xid: one for a generation never sent, one repeating the real one. */
	uint64_t tids[2] = { tid + ((uint64_t)1 << 16), tid };
	enum host_fault_kind kind = HOST_FAULT_XID;
	unsigned int i, n = 2;

	race_note(hn, c, tid);
	if (!armed(hn, HOST_FAULT_XID, c)) {
		if (!armed(hn, HOST_FAULT_XID_FIELD, c))
			return;
		/* Another queue, another epoch, an index beyond any queue's descriptors. */
		kind = HOST_FAULT_XID_FIELD;
		n = 1;
		switch (fault_variant(hn, kind, 3)) {
		case 0:
			tids[0] = tid ^ ((uint64_t)1 << 32);
			break;
		case 1:
			tids[0] = tid ^ ((uint64_t)1 << 40);
			break;
		default:
			tids[0] = tid | 0xffff;
			break;
		}
	}
	if (host_chan_room(nic, c) < HOST_REPLY_ROOM + 2 * HOST_CTL_MSG_MAX)
		return;
	for (i = 0; i < n; i++)
		if (host_nvsp_rndis_complete(nic, c, tids[i], HV_NVSP_STATUS_SUCCESS) < 0)
			return;
	host_fault_sent(nic, c, kind, 0);
}

uint32_t
host_fault_nvsp_len(const struct sim_nic *nic, unsigned int c, uint32_t len)
{
	/* Only the type: the status the guest needs is missing. */
	return armed(host_of(nic), HOST_FAULT_NVSP_SHORT, c) ? sizeof(uint32_t) : len;
}

/* ---- RNDIS control ------------------------------------------------------------------------ */

static bool
oid_sized(uint32_t oid)
{
	return oid == HV_OID_802_3_PERMANENT_ADDRESS || oid == HV_OID_GEN_MAXIMUM_FRAME_SIZE ||
	       oid == HV_OID_GEN_LINK_SPEED || oid == HV_OID_GEN_MEDIA_CONNECT_STATUS;
}

void
host_fault_query(struct sim_nic *nic, uint32_t oid, struct hv_rndis_query_cmplt *r,
		 uint8_t *info)
{
	struct host_nic *hn = host_of(nic);
	enum host_fault_kind kind = HOST_FAULT_NONE;

	if (armed(hn, HOST_FAULT_CTL_LEN, 0)) {
		kind = HOST_FAULT_CTL_LEN;
		if (fault_variant(hn, kind, 2) == 0)
			r->info_length = r->length + 64;
		else
			r->info_offset = r->length;
		if (r->info_length == 0)
			r->info_length = 4;
	} else if (armed(hn, HOST_FAULT_CTL_TYPE, 0)) {
		kind = HOST_FAULT_CTL_TYPE;
		r->type = HV_RNDIS_MSG_SET_CMPLT;
	} else if (armed(hn, HOST_FAULT_CTL_RID, 0)) {
		kind = HOST_FAULT_CTL_RID;
		r->rid ^= 0x40000000u;
	} else if (armed(hn, HOST_FAULT_CTL_STATUS, 0)) {
		kind = HOST_FAULT_CTL_STATUS;
		r->status = HV_RNDIS_STATUS_FAILURE;
	} else if (armed(hn, HOST_FAULT_OID_SIZE, 0) && oid_sized(oid) && r->info_length > 2) {
		kind = HOST_FAULT_OID_SIZE;
		r->info_length -= 2;	/* still inside the message: only the size is wrong */
	} else if (armed(hn, HOST_FAULT_RSS_CAPS, 0) &&
		   oid == HV_OID_GEN_RECEIVE_SCALE_CAPABILITIES && r->info_length != 0) {
		kind = HOST_FAULT_RSS_CAPS;
		info[0] = HV_NDIS_OBJ_OFFLOAD;	/* another object's type */
	} else if (armed(hn, HOST_FAULT_OFFLOAD_CAPS, 0) &&
		   oid == HV_OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES && r->info_length >= 4) {
		kind = HOST_FAULT_OFFLOAD_CAPS;
		memset(info + 2, 0xff, 2);	/* an object larger than the answer */
	}
	if (kind != HOST_FAULT_NONE)
		host_fault_sent(nic, 0, kind, 0);
}

void
host_fault_init(struct sim_nic *nic, struct hv_rndis_init_cmplt *r, uint32_t *len)
{
	struct host_nic *hn = host_of(nic);

	if (armed(hn, HOST_FAULT_INIT_SHORT, 0)) {
		/* Consistent, but ends before the limits the guest needs. */
		*len = offsetof(struct hv_rndis_init_cmplt, max_packets);
		r->length = *len;
		host_fault_sent(nic, 0, HOST_FAULT_INIT_SHORT, 0);
	} else if (armed(hn, HOST_FAULT_AGG, 0)) {
		if (fault_variant(hn, HOST_FAULT_AGG, 2) == 0) {
			r->max_packets = UINT32_MAX;
			r->max_transfer = UINT32_MAX;
			r->align_shift = 31;
		} else {
			r->max_packets = 0;
			r->max_transfer = 1;
			r->align_shift = 12;
		}
		host_fault_sent(nic, 0, HOST_FAULT_AGG, 0);
	}
}

/* Malformed indications and control messages a host has no business sending. */
static void
fault_indication(struct sim_nic *nic)
{
	struct host_nic *hn = host_of(nic);
	uint8_t msg[32] = { 0 };
	struct hv_rndis_indicate ind = { .type = HV_RNDIS_MSG_INDICATE };
	struct hv_rndis_status_cmplt c = { .length = sizeof(c) };
	uint32_t len;

	if (!hn->rndis_init || !hn->rx.ready)
		return;
	switch (fault_variant(hn, HOST_FAULT_INDICATION, 4)) {
	case 0:		/* shorter than an indication */
		ind.length = 12;
		memcpy(msg, &ind, 12);
		len = 12;
		break;
	case 1:		/* a link speed whose buffer lies past the message */
		ind.length = sizeof(ind) + 4;
		ind.status = HV_RNDIS_STATUS_LINK_SPEED_CHANGE;
		ind.buf_length = 4;
		ind.buf_offset = 64;
		memcpy(msg, &ind, sizeof(ind));
		len = ind.length;
		break;
	case 2:		/* a completion nobody asked for */
		c.type = HV_RNDIS_MSG_SET_CMPLT;
		c.rid = 0x7fffffffu;
		memcpy(msg, &c, sizeof(c));
		len = sizeof(c);
		break;
	default:	/* a request, from the host */
		c.type = HV_RNDIS_MSG_QUERY;
		memcpy(msg, &c, sizeof(c));
		len = sizeof(c);
		break;
	}
	if (host_rndis_queue(nic, msg, len))
		host_fault_sent(nic, 0, HOST_FAULT_INDICATION, 0);
}

/* ---- NVSP --------------------------------------------------------------------------------- */

void
host_fault_nvsp_reply(struct sim_nic *nic, void *msg)
{
	struct host_nic *hn = host_of(nic);
	enum host_fault_kind kind = HOST_FAULT_NONE;
	uint32_t type, v;

	memcpy(&type, msg, sizeof(type));
	if (type == HV_NVSP_MSG_INIT_COMPLETE && armed(hn, HOST_FAULT_INIT_STATUS, 0)) {
		struct hv_nvsp_init_complete *r = msg;

		/* Refused as a host refuses a version: still waiting for an INIT. */
		kind = HOST_FAULT_INIT_STATUS;
		r->status = HV_NVSP_STATUS_FAILURE;
		hn->state = HOST_WAIT_INIT;
		hn->version = 0;
		hn->msg_size = HV_NVSP_MSG_SIZE_V1;
	} else if (type == HV_NVSP_MSG_RXBUF_COMPLETE && armed(hn, HOST_FAULT_RXBUF_LAYOUT, 0)) {
		struct hv_nvsp_rxbuf_complete *r = msg;

		kind = HOST_FAULT_RXBUF_LAYOUT;
		v = fault_variant(hn, kind, 3);
		if (v == 0)
			r->num_sections = 2;
		else if (v == 1)
			r->section.sub_alloc_size = 64;
		else
			r->section.num_sub_allocs = UINT32_MAX;
	} else if (type == HV_NVSP_MSG_SENDBUF_COMPLETE &&
		   armed(hn, HOST_FAULT_SECTION_SIZE, 0)) {
		struct hv_nvsp_sendbuf_complete *r = msg;
		static const uint32_t bad[] = { 0, HV_SENDBUF_SECTION_SIZE + 2, 0x80000000u };

		kind = HOST_FAULT_SECTION_SIZE;
		r->section_size = bad[fault_variant(hn, kind, 3)];
	} else if (type == HV_NVSP_MSG_SUBCHANNEL && armed(hn, HOST_FAULT_SUBCH_GRANT, 0)) {
		struct hv_nvsp_subchannel *r = msg;

		kind = HOST_FAULT_SUBCH_GRANT;
		r->num_subchannels++;
	}
	if (kind != HOST_FAULT_NONE)
		host_fault_sent(nic, 0, kind, 0);
}

#define SUBCH_ID_FAR	200u	/* above any channel count */

uint16_t
host_fault_subch_id(struct sim_nic *nic, unsigned int c, unsigned int first, unsigned int n)
{
	struct host_nic *hn = host_of(nic);
	uint16_t id;

	if (hn == NULL || c + 1 != first + n || hn->fault_left[HOST_FAULT_SUBCH_ID] == 0)
		return (uint16_t)c;
	/* The last one offered: the id of the first one again, or far beyond the count. */
	id = fault_variant(hn, HOST_FAULT_SUBCH_ID, 2) == 0 && n >= 2 ? (uint16_t)first :
									 SUBCH_ID_FAR;
	host_fault_sent(nic, 0, HOST_FAULT_SUBCH_ID, 0);
	return id;
}

/* Malformed VF association and indirection table messages, and a type nobody knows. */
static void
fault_nvsp_msg(struct sim_nic *nic)
{
	struct host_nic *hn = host_of(nic);
	struct hv_nvsp_indirection_table t = {
		.type = HV_NVSP_MSG_INDIRECTION_TABLE,
		.count = HV_NVSP_INDIRECTION_COUNT,
		.offset = offsetof(struct hv_nvsp_indirection_table, entry),
	};
	uint32_t msg[sizeof(t) / 4] = { 0 }, len = sizeof(t);

	if (hn->state != HOST_READY)
		return;
	switch (fault_variant(hn, HOST_FAULT_NVSP_MSG, 4)) {
	case 0:		/* VF association without its serial */
		msg[0] = HV_NVSP_MSG_VF_ASSOC;
		msg[1] = 1;
		len = 8;
		break;
	case 1:		/* more entries than a table has */
		t.count = HV_NVSP_INDIRECTION_COUNT + 1;
		memcpy(msg, &t, sizeof(t));
		break;
	case 2:		/* entries past the message */
		t.offset = sizeof(t);
		memcpy(msg, &t, sizeof(t));
		break;
	default:
		msg[0] = 0xdead;
		len = 16;
		break;
	}
	if (host_chan_send(nic, 0, HV_PKT_DATA_INBAND, 0, 0, NULL, 0, msg, len,
			   HOST_REPLY_ROOM) == 0)
		host_fault_sent(nic, 0, HOST_FAULT_NVSP_MSG, 0);
}

/* ---- ring level --------------------------------------------------------------------------- */

enum host_fault_kind
host_fault_desc(const struct sim_nic *nic, unsigned int c, struct hv_vmbus_desc *d)
{
	const struct host_nic *hn = host_of(nic);

	if (armed(hn, HOST_FAULT_DESC, c)) {
		d->len8 = d->offset8 - 1;
		return HOST_FAULT_DESC;
	}
	if (armed(hn, HOST_FAULT_PKT_TYPE, c)) {
		d->type = fault_variant(hn, HOST_FAULT_PKT_TYPE, 2) ? HV_PKT_CANCEL :
								       HV_PKT_DATA_GPA_DIRECT;
		return HOST_FAULT_PKT_TYPE;
	}
	if (armed(hn, HOST_FAULT_PKT_LEN, c)) {
		d->len8 = UINT16_MAX;	/* far more than the write index covers */
		return HOST_FAULT_PKT_LEN;
	}
	return HOST_FAULT_NONE;
}

enum host_fault_kind
host_fault_written(const struct sim_nic *nic, unsigned int c, struct host_ring *r)
{
	const struct host_nic *hn = host_of(nic);
	uint32_t w;

	if (!armed(hn, HOST_FAULT_WINDEX, c))
		return HOST_FAULT_NONE;
	w = fault_variant(hn, HOST_FAULT_WINDEX, 2) ? r->idx | 4 : r->size + HV_RING_ALIGN;
	__atomic_store_n(&r->ctl->write_index, w, __ATOMIC_RELEASE);
	return HOST_FAULT_WINDEX;
}

/* One in-band packet too large for the guest's bounce buffer, placed to wrap the ring. */
static void
fault_bounce(struct sim_nic *nic, unsigned int c)
{
	struct host_nic *hn = host_of(nic);
	struct host_chan *hc = &hn->chan[c];
	uint32_t left, len;

	if (hn->state != HOST_READY || hc->dead || !host_chan_sync(nic, c))
		return;
	left = hc->out.size - hc->out.idx;
	len = left + 8192 > BOUNCE_OVER ? left + 8192 : BOUNCE_OVER;
	if (len > sizeof(hn->fault->big) || len + HOST_REPLY_ROOM >= host_chan_room(nic, c))
		return;		/* not now: the ring is too full, or the wrap too far */
	memset(hn->fault->big, 0, len);
	memcpy(hn->fault->big, &(uint32_t){ 0xdead }, sizeof(uint32_t));
	if (host_chan_send(nic, c, HV_PKT_DATA_INBAND, 0, 0, NULL, 0, hn->fault->big,
			   len - sizeof(struct hv_vmbus_desc), HOST_REPLY_ROOM) != 0)
		return;
	host_fault_sent(nic, c, HOST_FAULT_BOUNCE, 0);
	hc->dead = true;
	sim_log("nic %u: channel %u stopped after its ring was corrupted", nic->idx, c);
}

/* ---- concurrency -------------------------------------------------------------------------- */

/* Bytes the guest has left in channel c's guest->host ring (0 if the ring is unreadable). */
static uint32_t
guest_ring_free(const struct host_chan *hc)
{
	uint32_t w;

	if (host_ring_write_index(&hc->in, &w) < 0)
		return 0;
	return hc->in.size - (w >= hc->in.idx ? w - hc->in.idx : hc->in.size - hc->in.idx + w);
}

/* Whether the guest wrote tid and the host has not read it yet (then it must not be forged). */
static bool
race_unread(struct sim_nic *nic, unsigned int c, uint64_t tid)
{
	struct host_nic *hn = host_of(nic);
	struct host_ring r = hn->chan[c].in;
	struct hv_vmbus_desc d;
	uint32_t w;
	int len;

	if (host_ring_write_index(&r, &w) < 0)
		return true;
	while ((len = host_ring_peek(&r, w, hn->pkt, sizeof(hn->pkt))) > 0) {
		memcpy(&d, hn->pkt, sizeof(d));
		if (d.tid == tid)
			return true;
		host_ring_skip(&r, (uint32_t)len);
	}
	return len < 0;
}

/*
 * The guest's ring is full: every send it tries fails now. Complete the ids its descriptors
 * would carry next (the generations after those completed last), none of them in flight.
 */
static uint32_t
race_forge(struct sim_nic *nic, unsigned int c)
{
	struct host_nic *hn = host_of(nic);
	struct host_fault_state *st = hn->fault;
	uint32_t n = st->ntids[c] < RACE_TIDS ? st->ntids[c] : RACE_TIDS, i, g, forged = 0;

	for (i = 0; i < n; i++) {
		for (g = 1; g <= RACE_GENS; g++) {
			uint64_t tid = st->tids[c][i] + ((uint64_t)g << 16);

			if (((tid >> 16) & 0xffff) == 0 || race_unread(nic, c, tid))
				continue;
			if (host_chan_room(nic, c) < 2 * HOST_REPLY_ROOM ||
			    host_nvsp_rndis_complete(nic, c, tid, HV_NVSP_STATUS_SUCCESS) < 0)
				return forged;
			forged++;
		}
	}
	return forged;
}

bool
host_fault_hold(struct sim_nic *nic, unsigned int c)
{
	struct host_nic *hn = host_of(nic);
	struct host_chan *hc = &hn->chan[c];

	if (armed(hn, HOST_FAULT_RINDEX, c) && hn->state == HOST_READY) {
		/* The guest finds it when it next needs room: no send gets through after. */
		__atomic_store_n(&hc->in.ctl->read_index, hc->in.size + HV_RING_ALIGN,
				 __ATOMIC_RELEASE);
		host_fault_sent(nic, c, HOST_FAULT_RINDEX, 0);
		hc->dead = true;
		sim_log("nic %u: channel %u stopped after its ring was corrupted", nic->idx, c);
		return true;
	}
	return hn->fault != NULL && hn->fault->race != RACE_IDLE && hn->fault->race_chan == c;
}

/* tx_race, one step per host poll. */
static void
race_step(struct sim_nic *nic)
{
	struct host_nic *hn = host_of(nic);
	struct host_fault_state *st = hn->fault;
	struct host_chan *hc;
	uint64_t now = fault_now();
	uint32_t forged, rd;

	if (st->race == RACE_IDLE) {
		if (hn->fault_left[HOST_FAULT_TX_RACE] == 0 || hn->state != HOST_READY)
			return;
		st->race_chan = hn->fault_chan[HOST_FAULT_TX_RACE] < 0 ? 0 :
				(unsigned int)hn->fault_chan[HOST_FAULT_TX_RACE];
		/*
		 * A held channel gets no new completions, and a guest whose sends all fail may
		 * read none of those it has: hold only once its receive ring has room for the
		 * forgeries (it drains it whenever it looks for free descriptors).
		 */
		if (host_chan_room(nic, st->race_chan) < RACE_FORGE_ROOM)
			return;
		st->race = RACE_HOLD;
		st->race_since = now;
		return;
	}
	hc = &hn->chan[st->race_chan];
	if (hc->dead || !host_chan_sync(nic, st->race_chan)) {
		st->race = RACE_IDLE;
		return;
	}
	if (st->race == RACE_HOLD) {
		if (guest_ring_free(hc) >= RACE_FULL_BYTES && now - st->race_since < RACE_HOLD_NS)
			return;
		forged = race_forge(nic, st->race_chan);
		sim_log("fault nic=%u chan=%u kind=tx_race forged=%u full=%d", nic->idx,
			st->race_chan, forged, guest_ring_free(hc) < RACE_FULL_BYTES);
		host_fault_sent(nic, st->race_chan, HOST_FAULT_TX_RACE, 0);
		st->race = RACE_DRAIN;
		st->race_since = now;
		return;
	}
	/* Reading resumes once the guest has read every forgery (or took too long). */
	rd = __atomic_load_n(&hc->out.ctl->read_index, __ATOMIC_ACQUIRE);
	if (rd == hc->out.idx || now - st->race_since > RACE_DRAIN_NS) {
		if (rd != hc->out.idx)
			sim_log("nic %u: tx_race: the guest left forgeries unread", nic->idx);
		st->race = RACE_IDLE;
	}
}

void
host_fault_poll(struct sim_nic *nic)
{
	struct host_nic *hn = host_of(nic);
	unsigned int c;

	if (hn->fault == NULL)
		return;
	if (hn->fault_left[HOST_FAULT_INDICATION] != 0)
		fault_indication(nic);
	if (hn->fault_left[HOST_FAULT_NVSP_MSG] != 0)
		fault_nvsp_msg(nic);
	if (hn->fault_left[HOST_FAULT_BOUNCE] != 0) {
		c = hn->fault_chan[HOST_FAULT_BOUNCE] < 0 ? 0 :
		    (unsigned int)hn->fault_chan[HOST_FAULT_BOUNCE];
		if (c < nic->nchan)
			fault_bounce(nic, c);
	}
	race_step(nic);
	if (hn->fault->nrw != 0 && hn->rx.ready)
		rewrite_flip(nic);
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
