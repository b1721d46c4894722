/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control path's checks of what the host answers and announces: RNDIS control messages
 * (completions, indications, QUERY_CMPLT info buffers, INITIALIZE_CMPLT limits, RSS and
 * offload capability objects) and NVSP messages (buffer layouts, subchannel grants, VF and
 * indirection-table notifications). hvnet_rndis.c and hvnet_nvs.c decide on these; the
 * control messages they get are private copies already (hvnet_rx.c, hvnet_nvs.c).
 *
 * Like hvnet_parse.h: no EAL, only libc and hv_wire.h, so that the unit and fuzz tests
 * (tests/, fuzz/) drive the very code the driver runs. Every value is copied out once, sums
 * are checked in the subtraction form or in 64 bits. Each check returns 0 or a negative
 * errno: -EPROTO for a malformed message, -EMSGSIZE for one longer than the caller can take.
 */
#ifndef HVNET_CTL_PARSE_H
#define HVNET_CTL_PARSE_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "hv_wire.h"

#define HVNET_RNDIS_MIN_ALIGN		4u
#define HVNET_RNDIS_MAX_ALIGN_SHIFT	12u	/* beyond a page, aggregation makes no sense */
/* INITIALIZE_CMPLT up to the address-family list, whose size and entries are not used. */
#define HVNET_RNDIS_INIT_CMPLT_MIN	offsetof(struct hv_rndis_init_cmplt, af_list_size)
/* The first info offset of a QUERY_CMPLT (counted from byte 8): right after its header. */
#define HVNET_RNDIS_QUERY_DATA_MIN \
	(sizeof(struct hv_rndis_query_cmplt) - HV_RNDIS_OFFSET_BASE)
#define HVNET_NVS_INDIRECTION_HDR	offsetof(struct hv_nvsp_indirection_table, entry)

/* What an RNDIS control message from the host is (hvnet_parse_rndis_ctl). */
enum hvnet_ctl_kind {
	HVNET_CTL_MALFORMED,	/* shorter than its header, or claims more than its range */
	HVNET_CTL_INDICATION,	/* INDICATE_STATUS */
	HVNET_CTL_COMPLETION,	/* a *_CMPLT with a request id */
	HVNET_CTL_UNEXPECTED,	/* anything else the host has no business sending */
};

/*
 * An RNDIS control message of len bytes (the range it came in): its header in *h and what it
 * is. A completion's length is its own (h->length); an indication keeps the range, as old
 * hosts leave the status buffer out of the message length (hvnet_protocol.rst).
 */
static inline enum hvnet_ctl_kind
hvnet_parse_rndis_ctl(const uint8_t *msg, uint32_t len, struct hv_rndis_hdr *h)
{
	if (len < sizeof(*h))
		return HVNET_CTL_MALFORMED;
	memcpy(h, msg, sizeof(*h));
	if (h->length < sizeof(*h) || h->length > len)
		return HVNET_CTL_MALFORMED;
	if (h->type == HV_RNDIS_MSG_INDICATE)
		return len < sizeof(struct hv_rndis_indicate) ? HVNET_CTL_MALFORMED :
								HVNET_CTL_INDICATION;
	if (!(h->type & HV_RNDIS_MSG_CMPLT_BIT))
		return HVNET_CTL_UNEXPECTED;
	return h->length < sizeof(struct hv_rndis_rid_msg) ? HVNET_CTL_MALFORMED :
							       HVNET_CTL_COMPLETION;
}

/*
 * A status indication of len bytes (the range): its header in *ind and, for a link speed
 * change, the speed (100 b/s units) from its status buffer, bounded by the range.
 */
static inline int
hvnet_parse_indication(const uint8_t *msg, uint32_t len, struct hv_rndis_indicate *ind,
		       uint32_t *speed)
{
	if (len < sizeof(*ind))
		return -EPROTO;
	memcpy(ind, msg, sizeof(*ind));
	if (ind->status != HV_RNDIS_STATUS_LINK_SPEED_CHANGE)
		return 0;
	if (ind->buf_length < sizeof(*speed) ||
	    ind->buf_offset < sizeof(*ind) - HV_RNDIS_OFFSET_BASE ||
	    (uint64_t)HV_RNDIS_OFFSET_BASE + ind->buf_offset + sizeof(*speed) > len)
		return -EPROTO;
	memcpy(speed, msg + HV_RNDIS_OFFSET_BASE + ind->buf_offset, sizeof(*speed));
	return 0;
}

/*
 * The completion of a request awaited, len bytes: of type want_type and at least min_len
 * bytes (and a status header) is 0 with the host's status in *status; else -EPROTO.
 */
static inline int
hvnet_parse_rndis_reply(const uint8_t *buf, uint32_t len, uint32_t want_type, uint32_t min_len,
			uint32_t *status)
{
	struct hv_rndis_status_cmplt c;

	if (len < sizeof(c) || len < min_len)
		return -EPROTO;
	memcpy(&c, buf, sizeof(c));
	if (c.type != want_type)
		return -EPROTO;
	*status = c.status;
	return 0;
}

/*
 * A QUERY_CMPLT of len bytes: its info buffer, *info_len bytes at *info_off from buf, inside
 * the reply and at most out_len bytes (-EMSGSIZE above).
 */
static inline int
hvnet_parse_query_cmplt(const uint8_t *buf, uint32_t len, uint32_t out_len, uint32_t *info_off,
			uint32_t *info_len)
{
	struct hv_rndis_query_cmplt c;

	if (len < sizeof(c))
		return -EPROTO;
	memcpy(&c, buf, sizeof(c));
	if (c.info_length != 0 &&
	    (c.info_offset < HVNET_RNDIS_QUERY_DATA_MIN ||
	     (uint64_t)HV_RNDIS_OFFSET_BASE + c.info_offset + c.info_length > len))
		return -EPROTO;
	if (c.info_length > out_len)
		return -EMSGSIZE;
	*info_off = c.info_length != 0 ? HV_RNDIS_OFFSET_BASE + c.info_offset : 0;
	*info_len = c.info_length;
	return 0;
}

/* Transmit aggregation the host allows (INITIALIZE_CMPLT), bounded by a send section. */
struct hvnet_agg_limits {
	uint32_t size;
	uint32_t pkts;
	uint32_t align;
};

/* The limits of an INITIALIZE_CMPLT c; false when its alignment means no aggregation. */
static inline bool
hvnet_parse_agg_limits(const struct hv_rndis_init_cmplt *c, uint32_t section_size,
		       struct hvnet_agg_limits *agg)
{
	agg->size = c->max_transfer < section_size ? c->max_transfer : section_size;
	agg->pkts = c->max_packets > 1 ? c->max_packets : 1;
	agg->align = HVNET_RNDIS_MIN_ALIGN;
	if (c->align_shift > HVNET_RNDIS_MAX_ALIGN_SHIFT) {
		agg->pkts = 1;
		return false;
	}
	if ((1u << c->align_shift) > HVNET_RNDIS_MIN_ALIGN)
		agg->align = 1u << c->align_shift;
	return true;
}

/*
 * RSS capabilities object of got bytes: the queues the host can spread over (at most
 * max_queues and max_entries table entries), 0 when the object is unusable.
 */
static inline uint32_t
hvnet_parse_rss_caps(const struct hv_ndis_rss_caps *caps, uint32_t got, uint32_t max_entries,
		     uint32_t max_queues)
{
	uint32_t entries = max_entries, q;

	if (caps->hdr.type != HV_NDIS_OBJ_RSS_CAPS || caps->hdr.revision < 1 ||
	    caps->hdr.size < HV_NDIS_RSS_CAPS_REV1_SIZE || caps->hdr.size > got)
		return 0;
	if (caps->hdr.revision >= 2 && caps->hdr.size >= HV_NDIS_RSS_CAPS_REV2_SIZE)
		entries = caps->num_indirection_entries;
	if (caps->num_receive_queues == 0 || entries == 0 || entries > max_entries)
		return 0;
	q = caps->num_receive_queues < entries ? caps->num_receive_queues : entries;
	return q < max_queues ? q : max_queues;
}

/* The header of an offload capabilities object of got bytes. */
static inline int
hvnet_parse_offload_caps(const struct hv_ndis_obj_hdr *hdr, uint32_t got)
{
	if (got < HV_NDIS_OFFLOAD_REV1_SIZE || hdr->type != HV_NDIS_OBJ_OFFLOAD ||
	    hdr->revision < 1 || hdr->size < HV_NDIS_OFFLOAD_REV1_SIZE || hdr->size > got)
		return -EPROTO;
	return 0;
}

/*
 * The receive buffer layout the host announced: one section from offset 0, sub-allocations of
 * at least min_section bytes that fit the map_len bytes mapped.
 */
static inline int
hvnet_parse_rxbuf_layout(const struct hv_nvsp_rxbuf_complete *r, uint64_t map_len,
			 uint32_t min_section)
{
	const struct hv_nvsp_rxbuf_section *s = &r->section;

	if (r->num_sections != 1 || s->offset != 0 || s->sub_alloc_size < min_section ||
	    s->num_sub_allocs == 0 || (uint64_t)s->sub_alloc_size * s->num_sub_allocs > map_len)
		return -EPROTO;
	return 0;
}

/* The send section size the host announced, for map_len bytes mapped. */
static inline int
hvnet_parse_sendbuf(uint32_t section_size, uint64_t map_len)
{
	if (section_size == 0 || section_size % 4 != 0 || section_size > map_len)
		return -EPROTO;
	return 0;
}

/* A SUBCHANNEL completion for 'asked' subchannels: the grant, never above what was asked. */
static inline int
hvnet_parse_subchannels(const struct hv_nvsp_subchannel *r, uint32_t asked, uint32_t *granted)
{
	if (r->op_or_status != HV_NVSP_STATUS_SUCCESS)
		return -EIO;
	if (r->num_subchannels > asked)
		return -EPROTO;
	*granted = r->num_subchannels;
	return 0;
}

/* A send indirection table of len bytes: its entries inside the message. */
static inline int
hvnet_parse_indirection(const uint8_t *msg, uint32_t len, uint32_t *count)
{
	struct hv_nvsp_indirection_table t;

	if (len < HVNET_NVS_INDIRECTION_HDR)
		return -EPROTO;
	memcpy(&t, msg, HVNET_NVS_INDIRECTION_HDR);
	if (t.count > HV_NVSP_INDIRECTION_COUNT || t.offset < HVNET_NVS_INDIRECTION_HDR ||
	    (uint64_t)t.offset + (uint64_t)t.count * sizeof(uint32_t) > len)
		return -EPROTO;
	*count = t.count;
	return 0;
}

#endif /* HVNET_CTL_PARSE_H */
