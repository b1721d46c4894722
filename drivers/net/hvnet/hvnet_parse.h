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

/*
 * PPI values found in one RNDIS PACKET; 'have' holds a bit per PPI type seen. The value of
 * a PPI not in 'have' is unspecified: readers test the bit first. Of the hash info, whose
 * hash type an mbuf has no field for, only its presence is kept: with the hash value, it
 * makes the hash one (HVNET_RX_HAVE_HASH).
 */
struct hvnet_rx_info {
	uint32_t have;
	uint32_t csum;
	uint32_t vlan;
	uint32_t hash_value;
};

#define HVNET_RX_HAVE(type)	(1u << (type))
#define HVNET_RX_HAVE_HASH \
	(HVNET_RX_HAVE(HV_PPI_HASH_VALUE) | HVNET_RX_HAVE(HV_PPI_HASH_INFO))

/* Whether a and b have the same PPIs with the same values (what a reader can see). */
static inline bool
hvnet_rx_info_same(const struct hvnet_rx_info *a, const struct hvnet_rx_info *b)
{
	const uint32_t have = a->have;

	return have == b->have &&
	       (!(have & HVNET_RX_HAVE(HV_PPI_CHECKSUM)) || a->csum == b->csum) &&
	       (!(have & HVNET_RX_HAVE(HV_PPI_VLAN)) || a->vlan == b->vlan) &&
	       (!(have & HVNET_RX_HAVE(HV_PPI_HASH_VALUE)) || a->hash_value == b->hash_value);
}

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

/*
 * The fast path's check of a range, before hvnet_parse_rndis_cached's: inside the buffer and
 * within a section. hvnet_parse_range's third check, room for an RNDIS header, is left to
 * that one, whose shortest range is longer: together they pass only ranges it passes.
 */
static inline bool
hvnet_parse_range_fast(uint32_t buf_len, uint32_t section_len,
		       const struct hv_xfer_page_range *r)
{
	return r->byte_count <= section_len &&
	       hvnet_span_ok(buf_len, r->byte_offset, r->byte_count);
}

/*
 * The layout of the last RNDIS PACKET a queue accepted, kept so that the next ones, which a
 * host sends alike frame after frame, are checked by one compare instead of the whole walk:
 * the header and the PPI element headers (everything the checks decide on, except the two
 * lengths that change with the frame) as key bytes under a mask, then what the walk found.
 * Built only from a message that passed every check, from the copies the checks ran on.
 */
#define HVNET_RX_LAYOUT_STEP	32u	/* bytes compared per step */
#define HVNET_RX_LAYOUT_MAX	128u	/* header and PPIs at most: Hyper-V's four fit */
#define HVNET_RX_LAYOUT_WORDS	(HVNET_RX_LAYOUT_MAX / sizeof(uint64_t))

/* The PPI values a receiver uses, in the order of hvnet_rx_layout.at[]. */
enum hvnet_rx_val {
	HVNET_RX_VAL_CSUM,
	HVNET_RX_VAL_VLAN,
	HVNET_RX_VAL_HASH_VALUE,
	HVNET_RX_VALS
};

/* 16 bytes the compare takes at a time; a step is two. */
typedef uint64_t hvnet_rx_vec __attribute__((vector_size(16)));
_Static_assert(HVNET_RX_LAYOUT_STEP == 2 * sizeof(hvnet_rx_vec), "layout compare step");

struct hvnet_rx_layout {
	uint32_t bytes;			/* compared, a multiple of the step; 0: none cached */
	uint32_t min_range;		/* shortest range: the compare's and min_length; 0: none */
	uint32_t min_length;		/* RNDIS length the areas and the shortest frame need */
	uint32_t frame_off;		/* the frame's offset from the message */
	uint32_t have;			/* as hvnet_rx_info.have */
	uint16_t at[HVNET_RX_VALS];	/* each value's offset from the message; 0: absent */
	uint64_t key[HVNET_RX_LAYOUT_WORDS]	/* the layout's bytes, zero elsewhere */
		__attribute__((aligned(16)));
	uint64_t mask[HVNET_RX_LAYOUT_WORDS]	/* ones over the layout's bytes */
		__attribute__((aligned(16)));
};

/*
 * Mark len bytes at off (already copied out and checked) as part of the layout. Bytes past
 * HVNET_RX_LAYOUT_MAX are not kept: such a layout is refused when it closes.
 */
static inline void
hvnet_rx_layout_add(struct hvnet_rx_layout *lay, uint32_t off, const void *bytes, uint32_t len)
{
	if (off > HVNET_RX_LAYOUT_MAX || len > HVNET_RX_LAYOUT_MAX - off)
		return;
	memcpy((uint8_t *)lay->key + off, bytes, len);
	memset((uint8_t *)lay->mask + off, 0xff, len);
}

/* The end of an area of len bytes at off from byte 8, or end if it ends before. */
static inline uint32_t
hvnet_rx_area_end(uint32_t end, uint32_t off, uint32_t len)
{
	uint32_t e;

	if (len == 0)
		return end;
	e = HV_RNDIS_OFFSET_BASE + off + len;	/* checked inside the message: no wrap */
	return e > end ? e : end;
}

/* The value of a PPI of 'type' (checksum, VLAN, hash value) is at off from the message. */
static inline void
hvnet_rx_layout_val(struct hvnet_rx_layout *lay, uint32_t type, uint32_t off)
{
	static const uint8_t idx[] = {
		[HV_PPI_CHECKSUM] = HVNET_RX_VAL_CSUM, [HV_PPI_VLAN] = HVNET_RX_VAL_VLAN,
		[HV_PPI_HASH_VALUE] = HVNET_RX_VAL_HASH_VALUE,
	};

	if (type >= sizeof(idx))
		return;
	lay->at[idx[type]] = (uint16_t)off;	/* inside the layout, checked when it closes */
}

/*
 * Walk a PPI list of len bytes (already inside the message, at base from its start) into
 * info; with lay, also note each element header and where each used value is.
 */
static inline enum hvnet_rx_drop
hvnet_parse_ppis(const uint8_t *ppi, uint32_t len, uint32_t base, struct hvnet_rx_info *info,
		 struct hvnet_rx_layout *lay)
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
		if (lay != NULL)
			hvnet_rx_layout_add(lay, base + pos, &el, sizeof(el));
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
			info->have |= HVNET_RX_HAVE(el.type);
			if (lay != NULL && el.type != HV_PPI_HASH_INFO)
				hvnet_rx_layout_val(lay, el.type, base + pos + el.data_offset);
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
 * Close a layout learnt from a good PACKET p (header copy): its header bytes but the two
 * lengths, the RNDIS length its areas and a frame of the shortest length need, where the
 * frame is. Left empty (bytes and min_range 0) when the header and PPIs do not fit
 * HVNET_RX_LAYOUT_MAX.
 */
static inline void
hvnet_rx_layout_close(struct hvnet_rx_layout *lay, const struct hv_rndis_packet *p,
		      const struct hvnet_rx_info *info)
{
	struct hv_rndis_packet h = *p;
	uint32_t end = sizeof(h), steps;

	h.length = 0;
	h.data_length = 0;
	hvnet_rx_layout_add(lay, 0, &h, sizeof(h));
	memset((uint8_t *)lay->mask + offsetof(struct hv_rndis_packet, length), 0,
	       sizeof(h.length));
	memset((uint8_t *)lay->mask + offsetof(struct hv_rndis_packet, data_length), 0,
	       sizeof(h.data_length));
	end = hvnet_rx_area_end(end, p->oob_offset, p->oob_length);
	end = hvnet_rx_area_end(end, p->ppi_offset, p->ppi_length);
	/* The compare reads whole steps, all inside the layout's arrays. */
	steps = (end + HVNET_RX_LAYOUT_STEP - 1) / HVNET_RX_LAYOUT_STEP;
	if (steps > HVNET_RX_LAYOUT_MAX / HVNET_RX_LAYOUT_STEP) {
		lay->bytes = 0;
		lay->min_range = 0;
		return;
	}
	lay->bytes = steps * HVNET_RX_LAYOUT_STEP;
	/* Checked inside the message, which holds a frame of at least the shortest length. */
	lay->frame_off = HV_RNDIS_OFFSET_BASE + p->data_offset;
	lay->min_length = end > lay->frame_off + HVNET_PARSE_MIN_FRAME ?
			  end : lay->frame_off + HVNET_PARSE_MIN_FRAME;
	lay->min_range = lay->bytes > lay->min_length ? lay->bytes : lay->min_length;
	lay->have = info->have;
}

/*
 * An RNDIS PACKET at msg, in a range of range_len bytes (hvnet_parse_range passed), whose
 * header p was copied out by hvnet_parse_rndis_head: its own length within the range, then
 * the frame (at most max_frame bytes), OOB and PPI areas within that length, then the PPIs.
 * Offsets count from byte 8 (HV_RNDIS_OFFSET_BASE); the first valid one is right after the
 * 44-byte header. HVNET_RX_OK with the frame's offset from msg, its length and the PPIs.
 * With learn, a good message's layout is written there for hvnet_parse_rndis_cached (it is
 * left alone otherwise: a bad message never replaces a good layout).
 */
static inline enum hvnet_rx_drop
hvnet_parse_rndis_packet(const struct hv_rndis_packet *p, const uint8_t *msg,
			 uint32_t range_len, uint32_t max_frame, uint32_t *frame_off,
			 uint32_t *frame_len, struct hvnet_rx_info *info,
			 struct hvnet_rx_layout *learn)
{
	const uint32_t min_off = sizeof(struct hv_rndis_packet) - HV_RNDIS_OFFSET_BASE;
	struct hvnet_rx_layout lay;
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
	if (learn != NULL)
		memset(&lay, 0, sizeof(lay));
	if (p->ppi_length != 0 &&
	    hvnet_parse_ppis(msg + HV_RNDIS_OFFSET_BASE + p->ppi_offset, p->ppi_length,
			     HV_RNDIS_OFFSET_BASE + p->ppi_offset, info,
			     learn != NULL ? &lay : NULL) != HVNET_RX_OK)
		return HVNET_RX_BAD_PPI;
	if (learn != NULL) {
		hvnet_rx_layout_close(&lay, p, info);
		*learn = lay;
	}
	*frame_off = HV_RNDIS_OFFSET_BASE + p->data_offset;
	*frame_len = p->data_length;
	return HVNET_RX_OK;
}

/* The bits of step k of the message at msg that differ from the layout's. */
static inline hvnet_rx_vec
hvnet_rx_layout_step(const struct hvnet_rx_layout *lay, const uint8_t *msg, unsigned int k)
{
	const hvnet_rx_vec *key = (const hvnet_rx_vec *)lay->key + 2 * k;
	const hvnet_rx_vec *mask = (const hvnet_rx_vec *)lay->mask + 2 * k;
	hvnet_rx_vec a, b;

	memcpy(&a, msg + k * HVNET_RX_LAYOUT_STEP, sizeof(a));
	memcpy(&b, msg + k * HVNET_RX_LAYOUT_STEP + sizeof(a), sizeof(b));
	return ((a & mask[0]) ^ key[0]) | ((b & mask[1]) ^ key[1]);
}

/*
 * Whether the message at msg (at least lay->bytes long) has the layout: a masked compare,
 * 16 bytes at a time (the compiler's generic vectors: SSE2 or NEON, plain words elsewhere),
 * unrolled: no loop for the one to four steps a layout has (0: none, refused before).
 */
static inline bool
hvnet_rx_layout_same(const struct hvnet_rx_layout *lay, const uint8_t *msg)
{
	unsigned int steps = lay->bytes / HVNET_RX_LAYOUT_STEP;
	hvnet_rx_vec diff = hvnet_rx_layout_step(lay, msg, 0);

	_Static_assert(HVNET_RX_LAYOUT_MAX == 4 * HVNET_RX_LAYOUT_STEP, "steps unrolled");
	if (steps > 1)
		diff |= hvnet_rx_layout_step(lay, msg, 1);
	if (steps > 2)
		diff |= hvnet_rx_layout_step(lay, msg, 2);
	if (steps > 3)
		diff |= hvnet_rx_layout_step(lay, msg, 3);
	return (diff[0] | diff[1]) == 0;
}

/*
 * hvnet_parse_rndis_packet's verdict on a PACKET with the cached layout lay, found by one
 * compare: true when it has that layout and would be accepted, with the same outputs. Every
 * field the compare covers equals one that passed every check; what it does not cover (the
 * two lengths and the PPI values) is read here once and checked as the full parse would:
 * a frame of data_length bytes at frame_off fits a message of at least min_length bytes,
 * which holds the shortest frame there, when data_length <= length - frame_off (no wrap).
 * False for anything else: the caller runs the full parse, which gives the reason.
 */
static inline bool
hvnet_parse_rndis_cached(const struct hvnet_rx_layout *lay, const uint8_t *msg,
			 uint32_t range_len, uint32_t max_frame, uint32_t *frame_off,
			 uint32_t *frame_len, struct hvnet_rx_info *info)
{
	uint32_t length, data_length;

	/* range_len < min_range; with nothing cached (0), min_range - 1 wraps: no range passes. */
	if (range_len <= lay->min_range - 1 || !hvnet_rx_layout_same(lay, msg))
		return false;
	memcpy(&length, msg + offsetof(struct hv_rndis_packet, length), sizeof(length));
	memcpy(&data_length, msg + offsetof(struct hv_rndis_packet, data_length),
	       sizeof(data_length));
	if (length > range_len || length < lay->min_length ||
	    data_length < HVNET_PARSE_MIN_FRAME || data_length > max_frame ||
	    data_length > length - lay->frame_off)
		return false;
	/* No test per value: an absent one's offset is 0, a read inside the compared header. */
	info->have = lay->have;
	memcpy(&info->csum, msg + lay->at[HVNET_RX_VAL_CSUM], sizeof(info->csum));
	memcpy(&info->vlan, msg + lay->at[HVNET_RX_VAL_VLAN], sizeof(info->vlan));
	memcpy(&info->hash_value, msg + lay->at[HVNET_RX_VAL_HASH_VALUE],
	       sizeof(info->hash_value));
	*frame_off = lay->frame_off;
	*frame_len = data_length;
	return true;
}

#endif /* HVNET_PARSE_H */
