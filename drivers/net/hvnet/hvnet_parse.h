/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The receive path's checks of what the host wrote: transfer-page packet headers, their
 * ranges against the receive buffer, RNDIS PACKET messages and their per-packet-info lists.
 * Each returns HVNET_RX_OK or the reason the message is dropped (the queue counts it).
 *
 * No EAL here, only libc and hv_wire.h, so that the unit test (tests/test_parse.c) drives the
 * very code the driver runs; the functions are inline because the burst calls them per frame.
 * Every value is copied out of host memory once, then checked; sums are checked in the
 * subtraction form, so no host value can wrap them.
 */
#ifndef HVNET_PARSE_H
#define HVNET_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "hv_wire.h"

#define HVNET_MAX_RX_RANGES	562u	/* transfer-page ranges per packet (RSC maximum) */
#define HVNET_PARSE_MIN_FRAME	14u	/* an Ethernet header */

/*
 * Why the channel reader dropped something (one xstat each, rx_q<N>_<name>_errors; their sum
 * is the queue's and the port's ierrors). Names in hvnet_stats.c.
 */
enum hvnet_rx_drop {
	HVNET_RX_BAD_XFER,		/* transfer-page packet: not the receive buffer, not RNDIS */
	HVNET_RX_BAD_RANGE_COUNT,	/* no usable range list (malformed, empty, above 562) */
	HVNET_RX_BAD_RANGE,		/* range outside the receive buffer, or below a header */
	HVNET_RX_BAD_RNDIS,		/* RNDIS PACKET: length or a field area outside its range */
	HVNET_RX_BAD_PPI,		/* malformed per-packet-info element */
	HVNET_RX_UNKNOWN_COMPLETION,	/* tx completion id not in flight on this channel */
	HVNET_RX_STRAY_CONTROL,		/* RNDIS completion on a subchannel */
	HVNET_RX_VLAN_INSERT,		/* the stripped tag could not be put back in the frame */
	HVNET_RX_RANGE_OVERSIZE,	/* range longer than the receive section size announced */
	HVNET_RX_FRAME_OVERSIZE,	/* frame longer than MTU + Ethernet header + VLAN tag */
	HVNET_RX_NO_SCATTER,		/* frame longer than one mbuf, scattered rx not enabled */
	HVNET_RX_DROP_MAX,
	HVNET_RX_OK = HVNET_RX_DROP_MAX	/* what a check returns for a good message */
};

/* PPI values found in one RNDIS PACKET; 'have' holds a bit per PPI type seen. */
struct hvnet_rx_info {
	uint32_t have;
	uint32_t csum;
	uint32_t vlan;
	uint32_t hash_value;
	uint32_t hash_info;
};

#define HVNET_RX_HAVE(type)	(1u << (type))
#define HVNET_RX_HAVE_HASH \
	(HVNET_RX_HAVE(HV_PPI_HASH_VALUE) | HVNET_RX_HAVE(HV_PPI_HASH_INFO))

/* True when [off, off + len) lies within 'avail' bytes (checked without overflow). */
static inline bool
hvnet_span_ok(uint32_t avail, uint32_t off, uint32_t len)
{
	return off <= avail && len <= avail - off;
}

/*
 * The header of a transfer-page packet: range_count ranges (0 when the bus found the list
 * malformed; it then clears set_id too, so the count is checked first) of buffer set_id, and
 * the NVSP message of len bytes at msg, of which only the type and the channel type matter to
 * a receiver. HVNET_RX_OK with the channel type.
 */
static inline enum hvnet_rx_drop
hvnet_parse_xfer(uint16_t set_id, uint32_t range_count, const void *msg, uint32_t len,
		 uint32_t *channel_type)
{
	const uint32_t need = offsetof(struct hv_nvsp_rndis_pkt, section_index);
	struct hv_nvsp_rndis_pkt m;

	if (range_count == 0 || range_count > HVNET_MAX_RX_RANGES)
		return HVNET_RX_BAD_RANGE_COUNT;
	if (set_id != HV_RXBUF_ID || len < need)
		return HVNET_RX_BAD_XFER;
	memcpy(&m, msg, need);
	if (m.type != HV_NVSP_MSG_RNDIS_PKT)
		return HVNET_RX_BAD_XFER;
	*channel_type = m.channel_type;
	return HVNET_RX_OK;
}

/*
 * One range (already copied out) against a receive buffer of buf_len bytes carved in sections
 * of section_len bytes: a message never spans two sections, so a longer range is the host
 * making the guest copy (or walk) more than it announced, however often it repeats a range.
 */
static inline enum hvnet_rx_drop
hvnet_parse_range(uint32_t buf_len, uint32_t section_len, const struct hv_xfer_page_range *r)
{
	if (!hvnet_span_ok(buf_len, r->byte_offset, r->byte_count) ||
	    r->byte_count < sizeof(struct hv_rndis_hdr))
		return HVNET_RX_BAD_RANGE;
	if (r->byte_count > section_len)
		return HVNET_RX_RANGE_OVERSIZE;
	return HVNET_RX_OK;
}

/* Walk a PPI list of len bytes (already inside the message) into info. */
static inline enum hvnet_rx_drop
hvnet_parse_ppis(const uint8_t *ppi, uint32_t len, struct hvnet_rx_info *info)
{
	struct hv_rndis_ppi el;
	uint32_t pos = 0;
	uint32_t val;

	while (pos < len) {
		if (len - pos < sizeof(el))
			return HVNET_RX_BAD_PPI;
		memcpy(&el, ppi + pos, sizeof(el));
		/* A size below the header would never move pos: checked, as are all. */
		if (el.size < sizeof(el) || el.size > len - pos || (el.size & 3) != 0 ||
		    el.data_offset < sizeof(el) || el.data_offset > el.size)
			return HVNET_RX_BAD_PPI;
		switch (el.type) {
		case HV_PPI_CHECKSUM:
		case HV_PPI_VLAN:
		case HV_PPI_HASH_VALUE:
		case HV_PPI_HASH_INFO:
			if (el.size - el.data_offset < sizeof(val))
				return HVNET_RX_BAD_PPI;
			memcpy(&val, ppi + pos + el.data_offset, sizeof(val));
			if (el.type == HV_PPI_CHECKSUM)
				info->csum = val;
			else if (el.type == HV_PPI_VLAN)
				info->vlan = val;
			else if (el.type == HV_PPI_HASH_VALUE)
				info->hash_value = val;
			else
				info->hash_info = val;
			info->have |= HVNET_RX_HAVE(el.type);
			break;
		default:	/* other PPIs carry nothing a receiver uses */
			break;
		}
		pos += el.size;
	}
	return HVNET_RX_OK;
}

/*
 * The first bytes of an RNDIS message in a range of range_len bytes at msg, copied out once:
 * the whole PACKET header when the range holds it, else what there is (zeroes after).
 * Everything the receive path decides about the message is decided on this copy.
 */
static inline void
hvnet_parse_rndis_head(const uint8_t *msg, uint32_t range_len, struct hv_rndis_packet *p)
{
	uint32_t n = range_len < sizeof(*p) ? range_len : (uint32_t)sizeof(*p);

	memset(p, 0, sizeof(*p));
	memcpy(p, msg, n);
}

/*
 * An RNDIS PACKET at msg, in a range of range_len bytes (hvnet_parse_range passed), whose
 * header p was copied out by hvnet_parse_rndis_head: its own length within the range, then
 * the frame (at most max_frame bytes), OOB and PPI areas within that length, then the PPIs.
 * Offsets count from byte 8 (HV_RNDIS_OFFSET_BASE); the first valid one is right after the
 * 44-byte header. HVNET_RX_OK with the frame's offset from msg, its length and the PPIs.
 */
static inline enum hvnet_rx_drop
hvnet_parse_rndis_packet(const struct hv_rndis_packet *p, const uint8_t *msg,
			 uint32_t range_len, uint32_t max_frame, uint32_t *frame_off,
			 uint32_t *frame_len, struct hvnet_rx_info *info)
{
	const uint32_t min_off = sizeof(struct hv_rndis_packet) - HV_RNDIS_OFFSET_BASE;
	uint32_t avail;

	if (range_len < sizeof(*p) || p->length > range_len || p->length < sizeof(*p))
		return HVNET_RX_BAD_RNDIS;
	avail = p->length - HV_RNDIS_OFFSET_BASE;
	if (p->data_length < HVNET_PARSE_MIN_FRAME || p->data_offset < min_off ||
	    !hvnet_span_ok(avail, p->data_offset, p->data_length))
		return HVNET_RX_BAD_RNDIS;
	if (p->oob_length != 0 && (p->oob_offset < min_off ||
				   !hvnet_span_ok(avail, p->oob_offset, p->oob_length)))
		return HVNET_RX_BAD_RNDIS;
	if (p->ppi_length != 0 && (p->ppi_offset < min_off || (p->ppi_offset & 3) != 0 ||
				   !hvnet_span_ok(avail, p->ppi_offset, p->ppi_length)))
		return HVNET_RX_BAD_RNDIS;
	/* Well formed but longer than the port takes: dropped before any mbuf is spent. */
	if (p->data_length > max_frame)
		return HVNET_RX_FRAME_OVERSIZE;
	if (p->ppi_length != 0 &&
	    hvnet_parse_ppis(msg + HV_RNDIS_OFFSET_BASE + p->ppi_offset, p->ppi_length,
			     info) != HVNET_RX_OK)
		return HVNET_RX_BAD_PPI;
	*frame_off = HV_RNDIS_OFFSET_BASE + p->data_offset;
	*frame_len = p->data_length;
	return HVNET_RX_OK;
}

#endif /* HVNET_PARSE_H */
