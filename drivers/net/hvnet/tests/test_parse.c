/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit test of hvnet_parse.h, the receive path's checks of host-written data, without EAL:
 * hand-built transfer-page headers, ranges, RNDIS PACKET messages and PPI lists, each
 * malformed way the checks refuse (with the reason counted for it), the good ones around
 * them, and random corruptions of a good message that must never lead outside it.
 */

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "hvnet_parse.h"

#define BUF_LEN		(64u * 1024u)	/* the receive buffer of the range tests */
#define MSG_MAX		2048u
#define FRAME_LEN	60u
#define PKT_HDR		((uint32_t)sizeof(struct hv_rndis_packet))	/* 44 */
#define PPI_HDR		((uint32_t)sizeof(struct hv_rndis_ppi))		/* 12 */
#define MIN_OFF		(PKT_HDR - HV_RNDIS_OFFSET_BASE)		/* 36 */
#define GOOD_PPIS	64u	/* msg_good(): four 16-byte PPIs, then the frame */
#define GOOD_LEN	(PKT_HDR + GOOD_PPIS + FRAME_LEN)
#define GOOD_DATA_OFF	(MIN_OFF + GOOD_PPIS)
#define FUZZ_ROUNDS	200000u
#define SECTION_LEN	(16u * 1024u)	/* the receive section of the range tests */
#define MAX_FRAME	1518u		/* MTU 1500 + Ethernet header + VLAN tag */

/* An RNDIS PACKET being built: header, then PPIs, then the frame. */
struct msg {
	uint8_t b[MSG_MAX];
	uint32_t ppi_len;
	uint32_t len;
};

static struct hv_rndis_packet
hdr_of(const struct msg *m)
{
	struct hv_rndis_packet p;

	memcpy(&p, m->b, sizeof(p));
	return p;
}

static void
hdr_set(struct msg *m, const struct hv_rndis_packet *p)
{
	memcpy(m->b, p, sizeof(*p));
}

/* A PPI element of 'size' bytes with its data at data_offset. */
static void
ppi_add(struct msg *m, uint32_t type, uint32_t size, uint32_t data_offset, uint32_t val)
{
	const struct hv_rndis_ppi el = { .size = size, .type = type, .data_offset = data_offset };
	uint8_t *p = m->b + PKT_HDR + m->ppi_len;

	memset(p, 0, size);
	memcpy(p, &el, sizeof(el));
	if (data_offset + sizeof(val) <= size)
		memcpy(p + data_offset, &val, sizeof(val));
	m->ppi_len += size;
}

/* Close the message: header fields for the PPIs added and a frame_len-byte frame. */
static void
msg_finish(struct msg *m, uint32_t frame_len)
{
	struct hv_rndis_packet p = {
		.type = HV_RNDIS_MSG_PACKET,
		.data_offset = MIN_OFF + m->ppi_len,
		.data_length = frame_len,
		.ppi_offset = m->ppi_len != 0 ? MIN_OFF : 0,
		.ppi_length = m->ppi_len,
	};
	uint32_t i;

	for (i = 0; i < frame_len; i++)
		m->b[PKT_HDR + m->ppi_len + i] = (uint8_t)(i * 7 + 1);
	m->len = PKT_HDR + m->ppi_len + frame_len;
	p.length = m->len;
	hdr_set(m, &p);
}

/* A good PACKET carrying all four PPIs a receiver uses, and a 60-byte frame. */
static void
msg_good(struct msg *m)
{
	memset(m, 0, sizeof(*m));
	ppi_add(m, HV_PPI_CHECKSUM, 16, PPI_HDR, 0x11);
	ppi_add(m, HV_PPI_VLAN, 16, PPI_HDR, 0x22);
	ppi_add(m, HV_PPI_HASH_VALUE, 16, PPI_HDR, 0x33);
	ppi_add(m, HV_PPI_HASH_INFO, 16, PPI_HDR, 0x44);
	msg_finish(m, FRAME_LEN);
}

/*
 * The cached check of a message in a range of range_len bytes at msg against lay: false, or
 * true with exactly what the full parse of the same bytes gives (checked here). The check
 * runs on a copy of exactly the range, so that ASan sees a read past it.
 */
static bool
cached(const struct hvnet_rx_layout *lay, const uint8_t *msg, uint32_t range_len)
{
	struct hvnet_rx_info info, cinfo;
	uint32_t off = 0, len = 0, coff, clen;
	struct hv_rndis_packet p;
	enum hvnet_rx_drop why;
	uint8_t *range = malloc(range_len != 0 ? range_len : 1u);
	bool hit;

	if (range == NULL) {
		CHECK(0, "out of memory");
		return false;
	}
	memcpy(range, msg, range_len);
	memset(&cinfo, 0, sizeof(cinfo));
	hit = hvnet_parse_rndis_cached(lay, range, range_len, MAX_FRAME, &coff, &clen, &cinfo);
	free(range);
	if (!hit)
		return false;
	memset(&info, 0, sizeof(info));
	hvnet_parse_rndis_head(msg, range_len, &p);
	why = hvnet_parse_rndis_packet(&p, msg, range_len, MAX_FRAME, &off, &len, &info, NULL);
	CHECK(why == HVNET_RX_OK && coff == off && clen == len &&
	      hvnet_rx_info_same(&cinfo, &info),
	      "cached check accepted what the full parse gives %d (frame %u@%u, cached %u@%u)",
	      why, len, off, clen, coff);
	return true;
}

/*
 * hvnet_rx.c's full parse of a range of exactly range_len bytes at msg, learning its layout
 * into lay (when not NULL): a good message must then pass the cached check alike, unless its
 * header and PPIs are too long to cache or the range is shorter than the layout's shortest.
 */
static enum hvnet_rx_drop
parse_learn(const uint8_t *msg, uint32_t range_len, uint32_t *off, uint32_t *len,
	    struct hvnet_rx_info *info, struct hvnet_rx_layout *lay)
{
	struct hv_rndis_packet p;
	enum hvnet_rx_drop why;

	memset(info, 0, sizeof(*info));
	hvnet_parse_rndis_head(msg, range_len, &p);
	why = hvnet_parse_rndis_packet(&p, msg, range_len, MAX_FRAME, off, len, info, lay);
	if (why == HVNET_RX_OK && lay != NULL && lay->min_range != 0 && lay->min_range <= range_len)
		CHECK(cached(lay, msg, range_len), "a good message misses its own layout");
	return why;
}

static enum hvnet_rx_drop
parse(const struct msg *m, uint32_t range_len, uint32_t *off, uint32_t *len,
      struct hvnet_rx_info *info)
{
	struct hvnet_rx_layout lay;

	memset(&lay, 0, sizeof(lay));
	return parse_learn(m->b, range_len, off, len, info, &lay);
}

/* The message's verdict in a range of exactly its length. */
static enum hvnet_rx_drop
verdict(const struct msg *m)
{
	struct hvnet_rx_info info;
	uint32_t off, len;

	return parse(m, m->len, &off, &len, &info);
}

/* ---- transfer-page packet header -------------------------------------------------------- */

static void
test_xfer(void)
{
	struct hv_nvsp_rndis_pkt m = {
		.type = HV_NVSP_MSG_RNDIS_PKT,
		.channel_type = HV_NVSP_RNDIS_CHAN_CONTROL,
	};
	const uint32_t need = offsetof(struct hv_nvsp_rndis_pkt, section_index);
	uint32_t chan = 99;

	CHECK(hvnet_parse_xfer(HV_RXBUF_ID, 1, &m, sizeof(m), &chan) == HVNET_RX_OK &&
	      chan == HV_NVSP_RNDIS_CHAN_CONTROL, "control packet, channel type %u", chan);
	m.channel_type = HV_NVSP_RNDIS_CHAN_DATA;
	CHECK(hvnet_parse_xfer(HV_RXBUF_ID, HVNET_MAX_RX_RANGES, &m, need, &chan) == HVNET_RX_OK &&
	      chan == HV_NVSP_RNDIS_CHAN_DATA, "562 ranges, just the two fields present");
	/* The bus's verdict on a malformed list (count 0, set id 0) wins over the set id. */
	CHECK(hvnet_parse_xfer(0, 0, &m, sizeof(m), &chan) == HVNET_RX_BAD_RANGE_COUNT);
	CHECK(hvnet_parse_xfer(HV_RXBUF_ID, 0, &m, sizeof(m), &chan) == HVNET_RX_BAD_RANGE_COUNT);
	CHECK(hvnet_parse_xfer(HV_RXBUF_ID, HVNET_MAX_RX_RANGES + 1, &m, sizeof(m), &chan) ==
	      HVNET_RX_BAD_RANGE_COUNT);
	CHECK(hvnet_parse_xfer(HV_RXBUF_ID, UINT32_MAX, &m, sizeof(m), &chan) ==
	      HVNET_RX_BAD_RANGE_COUNT);
	CHECK(hvnet_parse_xfer(HV_SENDBUF_ID, 1, &m, sizeof(m), &chan) == HVNET_RX_BAD_XFER);
	CHECK(hvnet_parse_xfer(HV_RXBUF_ID + 1, 1, &m, sizeof(m), &chan) == HVNET_RX_BAD_XFER);
	CHECK(hvnet_parse_xfer(HV_RXBUF_ID, 1, &m, need - 1, &chan) == HVNET_RX_BAD_XFER);
	CHECK(hvnet_parse_xfer(HV_RXBUF_ID, 1, &m, 0, &chan) == HVNET_RX_BAD_XFER);
	m.type = HV_NVSP_MSG_RNDIS_PKT_COMPLETE;
	CHECK(hvnet_parse_xfer(HV_RXBUF_ID, 1, &m, sizeof(m), &chan) == HVNET_RX_BAD_XFER);
	m.type = HV_NVSP_MSG_NONE;
	CHECK(hvnet_parse_xfer(HV_RXBUF_ID, 1, &m, sizeof(m), &chan) == HVNET_RX_BAD_XFER);
}

/* ---- ranges ----------------------------------------------------------------------------- */

static enum hvnet_rx_drop
range(uint32_t off, uint32_t count)
{
	const struct hv_xfer_page_range r = { .byte_count = count, .byte_offset = off };

	return hvnet_parse_range(BUF_LEN, BUF_LEN, &r);
}

static void
test_ranges(void)
{
	const uint32_t hdr = sizeof(struct hv_rndis_hdr);

	CHECK(range(0, hdr) == HVNET_RX_OK);
	CHECK(range(0, BUF_LEN) == HVNET_RX_OK, "the whole buffer");
	CHECK(range(BUF_LEN - hdr, hdr) == HVNET_RX_OK, "the last header's worth");
	CHECK(range(4096, 1514 + PKT_HDR) == HVNET_RX_OK);
	/* The ways host_fault.c's range_offset fault takes, and their neighbours. */
	CHECK(range(BUF_LEN, hdr) == HVNET_RX_BAD_RANGE, "starts at the end");
	CHECK(range(BUF_LEN + 4096, hdr) == HVNET_RX_BAD_RANGE, "starts past the end");
	CHECK(range(UINT32_MAX, hdr) == HVNET_RX_BAD_RANGE);
	CHECK(range(4096, UINT32_MAX - 2048) == HVNET_RX_BAD_RANGE, "wraps a 32-bit sum");
	CHECK(range(BUF_LEN - hdr, hdr + 1) == HVNET_RX_BAD_RANGE, "one byte past the end");
	CHECK(range(BUF_LEN - 1, 1) == HVNET_RX_BAD_RANGE, "last byte, shorter than a header");
	CHECK(range(0, hdr - 1) == HVNET_RX_BAD_RANGE, "shorter than a header");
	CHECK(range(0, 0) == HVNET_RX_BAD_RANGE, "empty");
	CHECK(range(BUF_LEN, 0) == HVNET_RX_BAD_RANGE, "empty, at the end");
}

/* ---- RNDIS PACKET ----------------------------------------------------------------------- */

static void
test_packet_good(void)
{
	struct hvnet_rx_info info;
	struct hv_rndis_packet p;
	uint32_t off, len;
	struct msg m;

	msg_good(&m);
	CHECK(parse(&m, m.len, &off, &len, &info) == HVNET_RX_OK, "the good message");
	CHECK(off == PKT_HDR + GOOD_PPIS && len == FRAME_LEN, "frame at %u, %u bytes", off, len);
	CHECK(info.have == (HVNET_RX_HAVE(HV_PPI_CHECKSUM) | HVNET_RX_HAVE(HV_PPI_VLAN) |
			    HVNET_RX_HAVE_HASH), "PPIs seen 0x%x", info.have);
	CHECK(info.csum == 0x11 && info.vlan == 0x22 && info.hash_value == 0x33, "PPI values");
	CHECK(parse(&m, m.len + 100, &off, &len, &info) == HVNET_RX_OK, "range longer than it");

	/* No PPIs at all; and a frame of the minimum length. */
	memset(&m, 0, sizeof(m));
	msg_finish(&m, HVNET_PARSE_MIN_FRAME);
	CHECK(parse(&m, m.len, &off, &len, &info) == HVNET_RX_OK && info.have == 0 &&
	      off == PKT_HDR && len == HVNET_PARSE_MIN_FRAME, "bare 14-byte frame");

	/* Zero-length areas: their offsets mean nothing and are not checked. */
	p = hdr_of(&m);
	p.oob_offset = UINT32_MAX;
	p.ppi_offset = 3;
	hdr_set(&m, &p);
	CHECK(verdict(&m) == HVNET_RX_OK, "empty OOB/PPI areas with wild offsets");

	/* PPIs a receiver does not use, even short ones, are skipped. */
	memset(&m, 0, sizeof(m));
	ppi_add(&m, HV_PPI_LSO, PPI_HDR, PPI_HDR, 0);
	ppi_add(&m, HV_PPI_VLAN, 20, 16, 0x55);
	msg_finish(&m, FRAME_LEN);
	CHECK(parse(&m, m.len, &off, &len, &info) == HVNET_RX_OK &&
	      info.have == HVNET_RX_HAVE(HV_PPI_VLAN) && info.vlan == 0x55,
	      "an unused PPI without data, a VLAN PPI with its data further in");
	/* A hash value alone is not a hash: the caller needs both. */
	memset(&m, 0, sizeof(m));
	ppi_add(&m, HV_PPI_HASH_VALUE, 16, PPI_HDR, 7);
	msg_finish(&m, FRAME_LEN);
	CHECK(parse(&m, m.len, &off, &len, &info) == HVNET_RX_OK &&
	      (info.have & HVNET_RX_HAVE_HASH) != HVNET_RX_HAVE_HASH, "hash value alone");
}

#define F(field)	offsetof(struct hv_rndis_packet, field)
#define NO_FIELD	SIZE_MAX

/*
 * Each way a PACKET header may lie, on the good message (GOOD_LEN bytes, frame at
 * GOOD_DATA_OFF): one or two u32 fields set, and the verdict that must follow.
 */
static const struct {
	size_t field;
	uint32_t val;
	size_t field2;
	uint32_t val2;
	enum hvnet_rx_drop want;
	const char *what;
} header_cases[] = {
	{ F(length), GOOD_LEN + 8, NO_FIELD, 0, HVNET_RX_BAD_RNDIS,
	  "length beyond its range (host_fault.c rndis_len way 0)" },
	{ F(length), PKT_HDR - 4, NO_FIELD, 0, HVNET_RX_BAD_RNDIS, "length below the header" },
	{ F(length), 0, NO_FIELD, 0, HVNET_RX_BAD_RNDIS, "length 0" },
	{ F(data_length), HVNET_PARSE_MIN_FRAME - 1, NO_FIELD, 0, HVNET_RX_BAD_RNDIS,
	  "frame shorter than an Ethernet header" },
	{ F(data_length), 0, NO_FIELD, 0, HVNET_RX_BAD_RNDIS, "no frame" },
	{ F(data_offset), MIN_OFF - 4, NO_FIELD, 0, HVNET_RX_BAD_RNDIS, "frame inside the header" },
	{ F(data_offset), GOOD_LEN, NO_FIELD, 0, HVNET_RX_BAD_RNDIS,
	  "frame offset at the end (way 1)" },
	{ F(data_length), GOOD_LEN, NO_FIELD, 0, HVNET_RX_BAD_RNDIS,
	  "frame longer than the message (way 2)" },
	{ F(data_length), FRAME_LEN + 1, NO_FIELD, 0, HVNET_RX_BAD_RNDIS, "frame one byte too long" },
	{ F(data_length), UINT32_MAX - GOOD_DATA_OFF + 16, NO_FIELD, 0, HVNET_RX_BAD_RNDIS,
	  "frame offset + length wraps 2^32 (way 3)" },
	{ F(oob_length), 8, F(oob_offset), MIN_OFF - 1, HVNET_RX_BAD_RNDIS,
	  "OOB area inside the header" },
	{ F(oob_length), 8, F(oob_offset), GOOD_LEN - HV_RNDIS_OFFSET_BASE - 4, HVNET_RX_BAD_RNDIS,
	  "OOB area past the end" },
	{ F(oob_length), UINT32_MAX, F(oob_offset), MIN_OFF, HVNET_RX_BAD_RNDIS, "OOB length wraps" },
	{ F(oob_length), 8, F(oob_offset), MIN_OFF, HVNET_RX_OK,
	  "OOB area overlapping the PPIs: allowed, unused" },
	{ F(ppi_offset), MIN_OFF - 4, NO_FIELD, 0, HVNET_RX_BAD_RNDIS, "PPI area inside the header" },
	{ F(ppi_offset), MIN_OFF + 2, NO_FIELD, 0, HVNET_RX_BAD_RNDIS,
	  "PPI area not 4-byte aligned" },
	{ F(ppi_length), GOOD_LEN, NO_FIELD, 0, HVNET_RX_BAD_RNDIS, "PPI area past the end" },
	{ F(ppi_length), UINT32_MAX - 8, NO_FIELD, 0, HVNET_RX_BAD_RNDIS, "PPI length wraps" },
};

static void
test_packet_header(void)
{
	struct hvnet_rx_info info;
	uint32_t off, len;
	struct msg m;
	unsigned int i;

	msg_good(&m);
	CHECK(m.len == GOOD_LEN && hdr_of(&m).data_offset == GOOD_DATA_OFF, "the good message");
	CHECK(parse(&m, m.len - 1, &off, &len, &info) == HVNET_RX_BAD_RNDIS,
	      "length beyond its range");
	for (i = 0; i < sizeof(header_cases) / sizeof(header_cases[0]); i++) {
		msg_good(&m);
		memcpy(m.b + header_cases[i].field, &header_cases[i].val, sizeof(uint32_t));
		if (header_cases[i].field2 != NO_FIELD)
			memcpy(m.b + header_cases[i].field2, &header_cases[i].val2,
			       sizeof(uint32_t));
		CHECK(verdict(&m) == header_cases[i].want, "%s", header_cases[i].what);
	}
}

/* Each way a PPI element may be malformed, as the first of the list. */
static void
test_ppi(void)
{
	static const struct {
		uint32_t size, data_offset;
		const char *what;
	} bad[] = {
		{ 0, PPI_HDR, "size 0 (a walker that trusted it would never move)" },
		{ 8, 8, "size below the element header" },
		{ 18, PPI_HDR, "size not a multiple of 4" },
		{ 16, 8, "data inside the element header" },
		{ 16, 20, "data offset beyond the element" },
		{ 16, 16, "no room for the 4-byte value" },
		{ 12, PPI_HDR, "a used type without data" },
		{ 16, 14, "value crosses the element's end" },
	};
	struct hvnet_rx_info info;
	struct hv_rndis_ppi el;
	struct msg m;
	unsigned int i;

	/* Each on the first of the good message's four elements (GOOD_PPIS bytes). */
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		msg_good(&m);
		el = (struct hv_rndis_ppi){ .size = bad[i].size, .type = HV_PPI_CHECKSUM,
					    .data_offset = bad[i].data_offset };
		memcpy(m.b + PKT_HDR, &el, sizeof(el));
		CHECK(verdict(&m) == HVNET_RX_BAD_PPI, "%s", bad[i].what);
	}

	/* The last element larger than what is left of the list (host_fault.c ppi way 2). */
	msg_good(&m);
	el = (struct hv_rndis_ppi){ .size = 20, .type = HV_PPI_HASH_INFO, .data_offset = 12 };
	memcpy(m.b + PKT_HDR + 48, &el, sizeof(el));
	CHECK(verdict(&m) == HVNET_RX_BAD_PPI, "last element runs past the list");
	el.size = hdr_of(&m).ppi_length + 4;
	memcpy(m.b + PKT_HDR, &el, sizeof(el));
	CHECK(verdict(&m) == HVNET_RX_BAD_PPI, "first element larger than the list");

	/* A size not a multiple of 4, though the list ends right after the element. */
	memset(&info, 0, sizeof(info));
	el = (struct hv_rndis_ppi){ .size = 18, .type = HV_PPI_VLAN, .data_offset = 12 };
	memset(m.b, 0, 18);
	memcpy(m.b, &el, sizeof(el));
	CHECK(hvnet_parse_ppis(m.b, 18, 0, &info, NULL) == HVNET_RX_BAD_PPI, "one 18-byte element");
	el.size = 20;
	memcpy(m.b, &el, sizeof(el));
	CHECK(hvnet_parse_ppis(m.b, 20, 0, &info, NULL) == HVNET_RX_OK, "one 20-byte element");

	/* Fewer bytes left than an element header. */
	memset(&info, 0, sizeof(info));
	msg_good(&m);
	CHECK(hvnet_parse_ppis(m.b + PKT_HDR, GOOD_PPIS + 8, PKT_HDR, &info, NULL) == HVNET_RX_BAD_PPI,
	      "8 bytes after the last element");
	CHECK(hvnet_parse_ppis(m.b + PKT_HDR, 4, PKT_HDR, &info, NULL) == HVNET_RX_BAD_PPI, "4-byte list");
	CHECK(hvnet_parse_ppis(m.b + PKT_HDR, GOOD_PPIS, PKT_HDR, &info, NULL) == HVNET_RX_OK, "the list itself");
	CHECK(hvnet_parse_ppis(m.b + PKT_HDR, 0, PKT_HDR, &info, NULL) == HVNET_RX_OK, "an empty list");
}

/* ---- random corruption ------------------------------------------------------------------- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t
rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 16);
}

/*
 * Corrupt header and PPI bytes of the good message at random: whatever the verdict, a frame
 * accepted lies inside the range and past the header (ASan watches the reads); the cached
 * check against the good message's layout accepts only what the full parse accepts alike.
 */
static void
test_fuzz(void)
{
	unsigned int i, k, ok = 0, bad = 0, hits = 0;
	struct hvnet_rx_layout lay;
	struct hvnet_rx_info info;
	uint32_t off, len, range_len;
	uint8_t *copy;
	struct msg m;

	msg_good(&m);
	memset(&lay, 0, sizeof(lay));
	CHECK(parse_learn(m.b, m.len, &off, &len, &info, &lay) == HVNET_RX_OK, "good layout");
	for (i = 0; i < FUZZ_ROUNDS; i++) {
		msg_good(&m);
		for (k = rng() % 4 + 1; k > 0; k--) {
			uint32_t at = rng() % (PKT_HDR + GOOD_PPIS);

			if (rng() & 1)
				m.b[at] = (uint8_t)rng();
			else
				memset(m.b + (at & ~3u), rng() & 1 ? 0xff : 0, 4);
		}
		range_len = m.len - rng() % 8;
		/* Exactly range_len bytes of memory: any read beyond trips ASan. */
		copy = malloc(range_len);
		if (copy == NULL)
			break;
		memcpy(copy, m.b, range_len);
		hits += cached(&lay, copy, range_len);
		if (parse_learn(copy, range_len, &off, &len, &info, NULL) == HVNET_RX_OK) {
			ok++;
			if (off < PKT_HDR || off > range_len || len > range_len - off ||
			    len < HVNET_PARSE_MIN_FRAME)
				CHECK(0, "round %u: frame %u@%u accepted in a %u-byte range", i,
				      len, off, range_len);
		} else {
			bad++;
		}
		free(copy);
	}
	CHECK(ok != 0 && bad != 0 && hits != 0 && hits < ok,
	      "fuzz: %u accepted (%u by the cached layout), %u refused", ok, hits, bad);
}

/* Bug 2 of issue 11: ranges bounded by the section, frames by the port's maximum. */
static void
test_bounds(void)
{
	struct hv_xfer_page_range r = { .byte_count = SECTION_LEN, .byte_offset = 0 };
	struct hvnet_rx_info info;
	uint32_t off, len;
	struct msg m;

	CHECK(hvnet_parse_range(BUF_LEN, SECTION_LEN, &r) == HVNET_RX_OK, "a whole section");
	r.byte_count = SECTION_LEN + 1;
	CHECK(hvnet_parse_range(BUF_LEN, SECTION_LEN, &r) == HVNET_RX_RANGE_OVERSIZE,
	      "one byte more than a section");
	r.byte_count = BUF_LEN;
	CHECK(hvnet_parse_range(BUF_LEN, SECTION_LEN, &r) == HVNET_RX_RANGE_OVERSIZE,
	      "the whole buffer in one range");
	r.byte_offset = BUF_LEN;
	CHECK(hvnet_parse_range(BUF_LEN, SECTION_LEN, &r) == HVNET_RX_BAD_RANGE,
	      "outside the buffer is that first");

	/* The fast path's range check: bounds only, the header's room left to the layout's. */
	r.byte_offset = BUF_LEN - SECTION_LEN;
	r.byte_count = SECTION_LEN;
	CHECK(hvnet_parse_range_fast(BUF_LEN, SECTION_LEN, &r), "fast: the last section");
	r.byte_offset++;
	CHECK(!hvnet_parse_range_fast(BUF_LEN, SECTION_LEN, &r), "fast: a byte past the buffer");
	r.byte_offset = UINT32_MAX;
	r.byte_count = 2;
	CHECK(!hvnet_parse_range_fast(BUF_LEN, SECTION_LEN, &r), "fast: an offset that wraps");
	r.byte_offset = 0;
	r.byte_count = SECTION_LEN + 1;
	CHECK(!hvnet_parse_range_fast(BUF_LEN, SECTION_LEN, &r), "fast: past a section");
	r.byte_count = sizeof(struct hv_rndis_hdr) - 1;
	CHECK(hvnet_parse_range_fast(BUF_LEN, SECTION_LEN, &r) &&
	      hvnet_parse_range(BUF_LEN, SECTION_LEN, &r) == HVNET_RX_BAD_RANGE,
	      "fast: no room for a header is the layout check's to refuse");

	memset(&m, 0, sizeof(m));
	msg_finish(&m, MAX_FRAME);
	CHECK(parse(&m, m.len, &off, &len, &info) == HVNET_RX_OK && len == MAX_FRAME,
	      "a frame of the port's maximum");
	memset(&m, 0, sizeof(m));
	msg_finish(&m, MAX_FRAME + 1);
	CHECK(parse(&m, m.len, &off, &len, &info) == HVNET_RX_FRAME_OVERSIZE,
	      "one byte longer than the maximum");
	CHECK(parse(&m, m.len - 1, &off, &len, &info) == HVNET_RX_BAD_RNDIS,
	      "malformed is that first");
	CHECK(parse(&m, PKT_HDR - 1, &off, &len, &info) == HVNET_RX_BAD_RNDIS,
	      "a range shorter than the PACKET header");
}

/* ---- cached layout ----------------------------------------------------------------------- */

/* Whether the 4-byte word at off of a message is one the layout compares. */
static bool
layout_word(const struct msg *m, uint32_t off)
{
	const struct hv_rndis_packet p = hdr_of(m);
	uint32_t at = PKT_HDR;
	struct hv_rndis_ppi el;

	if (off < PKT_HDR)
		return off != offsetof(struct hv_rndis_packet, length) &&
		       off != offsetof(struct hv_rndis_packet, data_length);
	while (at < PKT_HDR + p.ppi_length) {
		memcpy(&el, m->b + at, sizeof(el));
		if (off >= at && off < at + sizeof(el))
			return true;
		at += el.size;
	}
	return false;
}

/*
 * A queue's cache: a message laid out as the last good one hits whatever its frame length
 * and PPI values, and gives them; one that differs in any word of the layout misses; one of
 * another layout misses, then replaces it; a bad one never does.
 */
static void
test_layout(void)
{
	struct hvnet_rx_layout lay, was;
	struct hv_rndis_packet hdr;
	struct hvnet_rx_info info;
	uint32_t off, len, w, v;
	struct msg m;

	memset(&lay, 0, sizeof(lay));
	msg_good(&m);
	CHECK(!cached(&lay, m.b, m.len), "nothing cached yet");
	/* The RNDIS length must hold the areas and a shortest frame; the range, the compare too. */
	CHECK(parse_learn(m.b, m.len, &off, &len, &info, &lay) == HVNET_RX_OK &&
	      lay.bytes == 128 && lay.min_length == PKT_HDR + GOOD_PPIS + HVNET_PARSE_MIN_FRAME &&
	      lay.min_range == 128 && lay.frame_off == PKT_HDR + GOOD_PPIS,
	      "layout learnt: %u, %u, %u", lay.bytes, lay.min_length, lay.min_range);

	/* Same layout, another frame length and other values: a hit, with this frame's. */
	memset(&m, 0, sizeof(m));
	ppi_add(&m, HV_PPI_CHECKSUM, 16, PPI_HDR, 0x111);
	ppi_add(&m, HV_PPI_VLAN, 16, PPI_HDR, 0x222);
	ppi_add(&m, HV_PPI_HASH_VALUE, 16, PPI_HDR, 0x333);
	ppi_add(&m, HV_PPI_HASH_INFO, 16, PPI_HDR, 0x444);
	msg_finish(&m, 1000);
	CHECK(cached(&lay, m.b, m.len), "same layout, 1000-byte frame");
	CHECK(hvnet_parse_rndis_cached(&lay, m.b, m.len, MAX_FRAME, &off, &len, &info) &&
	      len == 1000 && off == PKT_HDR + GOOD_PPIS && info.vlan == 0x222 &&
	      info.hash_value == 0x333, "its frame and values");
	CHECK(!cached(&lay, m.b, m.len - 1), "its length past the range");
	CHECK(!cached(&lay, m.b, lay.bytes - 1), "a range shorter than the compare");
	CHECK(!hvnet_parse_rndis_cached(&lay, m.b, m.len, 999, &off, &len, &info),
	      "a frame longer than the port takes: the full parse says why");

	/* Each word of the message changed in turn: a layout word misses, any other hits. */
	for (w = 0; w + 4 <= PKT_HDR + GOOD_PPIS; w += 4) {
		msg_good(&m);
		memcpy(&v, m.b + w, sizeof(v));
		v ^= 1u << (w % 31);
		memcpy(m.b + w, &v, sizeof(v));
		if (layout_word(&m, w))
			CHECK(!cached(&lay, m.b, m.len), "word at %u changed: a miss", w);
		else if (w != offsetof(struct hv_rndis_packet, length) &&
			 w != offsetof(struct hv_rndis_packet, data_length))
			CHECK(cached(&lay, m.b, m.len), "value at %u changed: a hit", w);
	}

	/* Another layout (no VLAN PPI) misses, is learnt, and the first one misses in turn. */
	memset(&m, 0, sizeof(m));
	ppi_add(&m, HV_PPI_CHECKSUM, 16, PPI_HDR, 0x11);
	ppi_add(&m, HV_PPI_HASH_VALUE, 16, PPI_HDR, 0x33);
	ppi_add(&m, HV_PPI_HASH_INFO, 16, PPI_HDR, 0x44);
	msg_finish(&m, FRAME_LEN);
	CHECK(!cached(&lay, m.b, m.len), "three PPIs against four: a miss");
	CHECK(parse_learn(m.b, m.len, &off, &len, &info, &lay) == HVNET_RX_OK && lay.bytes == 96,
	      "three PPIs learnt");
	CHECK(cached(&lay, m.b, m.len), "then a hit");
	/* 92 bytes of header and PPIs: the shortest frame, not the compare, sets the range. */
	CHECK(lay.min_length == PKT_HDR + 48 + HVNET_PARSE_MIN_FRAME &&
	      lay.min_range == lay.min_length, "three PPIs: %u, %u", lay.min_length,
	      lay.min_range);
	msg_finish(&m, HVNET_PARSE_MIN_FRAME);
	CHECK(cached(&lay, m.b, m.len) && m.len == lay.min_range, "the shortest frame: a hit");
	CHECK(!cached(&lay, m.b, m.len - 1), "a range a byte shorter: a miss");
	msg_finish(&m, HVNET_PARSE_MIN_FRAME - 1);
	CHECK(!cached(&lay, m.b, m.len + 1) &&
	      parse(&m, m.len + 1, &off, &len, &info) == HVNET_RX_BAD_RNDIS,
	      "a frame below the shortest in a long enough range: a miss, and refused");
	msg_finish(&m, FRAME_LEN);
	hdr = hdr_of(&m);
	hdr.length -= 1;	/* the frame one byte past the RNDIS length */
	hdr_set(&m, &hdr);
	CHECK(!cached(&lay, m.b, m.len) &&
	      parse(&m, m.len, &off, &len, &info) == HVNET_RX_BAD_RNDIS,
	      "a frame past the RNDIS length: a miss, and refused");
	msg_good(&m);
	CHECK(!cached(&lay, m.b, m.len), "four PPIs against three: a miss");

	/*
	 * No PPIs: the compare (64 bytes), not the RNDIS length (58 at least), sets the shortest
	 * range. A good 63-byte message misses (and is accepted by the full parse), without the
	 * compare reading its 64th byte.
	 */
	memset(&m, 0, sizeof(m));
	msg_finish(&m, FRAME_LEN);
	CHECK(parse_learn(m.b, m.len, &off, &len, &info, &lay) == HVNET_RX_OK &&
	      lay.bytes == 64 && lay.min_length == PKT_HDR + HVNET_PARSE_MIN_FRAME &&
	      lay.min_range == 64, "no PPIs: %u, %u, %u", lay.bytes, lay.min_length,
	      lay.min_range);
	msg_finish(&m, 63 - PKT_HDR);
	CHECK(!cached(&lay, m.b, m.len) && parse(&m, m.len, &off, &len, &info) == HVNET_RX_OK,
	      "a 63-byte message: a miss, and accepted by the full parse");
	msg_finish(&m, 64 - PKT_HDR);
	CHECK(cached(&lay, m.b, m.len), "a 64-byte message: a hit");

	/* A bad message leaves the layout alone. */
	was = lay;
	msg_good(&m);
	m.b[PKT_HDR] = 3;	/* first element's size */
	CHECK(parse_learn(m.b, m.len, &off, &len, &info, &lay) == HVNET_RX_BAD_PPI &&
	      memcmp(&was, &lay, sizeof(lay)) == 0, "a bad PPI list learns nothing");

	/* A header and PPIs past HVNET_RX_LAYOUT_MAX: good, never cached. */
	memset(&m, 0, sizeof(m));
	for (w = 0; w < 6; w++)
		ppi_add(&m, HV_PPI_CHECKSUM, 16, PPI_HDR, w);
	msg_finish(&m, FRAME_LEN);
	CHECK(parse_learn(m.b, m.len, &off, &len, &info, &lay) == HVNET_RX_OK && lay.bytes == 0 &&
	      !cached(&lay, m.b, m.len), "140 bytes of header and PPIs: not cached");
}

int
main(void)
{
	test_xfer();
	test_ranges();
	test_bounds();
	test_packet_good();
	test_packet_header();
	test_ppi();
	test_layout();
	test_fuzz();
	return check_done("test_parse");
}
