/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer harness of the receive path's checks (drivers/net/hvnet/hvnet_parse.h), run the
 * way hvnet_rx.c runs them: a transfer-page packet header (buffer id, range count, NVSP
 * message), then each range against the receive buffer and its section size, then the RNDIS
 * PACKET in the range: header copied once, then its frame and PPIs. Each range is handed to
 * the parser as a block of exactly its length (ASan catches a read past it), and a frame the
 * checks accept must lie inside its range and within the port's maximum. As the driver does,
 * each good PACKET's layout is cached, and each range is first tried by the fast path (the
 * range's bounds, then the layout of the last good one): a message it accepts, the full
 * checks must accept alike.
 *
 * Input: u16 set id, u16 range count, u16 section length, u16 max frame, 16 bytes of NVSP
 * message, then ranges (8 bytes each, count of them), then the receive buffer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hvnet_parse.h"

#define HDR	24u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint16_t set_id, count, section, max_frame;
	struct hv_xfer_page_range r;
	struct hvnet_rx_info info, cinfo;
	struct hvnet_rx_layout lay;
	struct hv_rndis_packet p;
	uint32_t coff, clen;
	bool hit, good;
	const uint8_t *buf;
	uint32_t chan_type, buf_len, off, len, i;
	uint8_t *range;

	if (size < HDR)
		return 0;
	memcpy(&set_id, data, 2);
	memcpy(&count, data + 2, 2);
	memcpy(&section, data + 4, 2);
	memcpy(&max_frame, data + 6, 2);
	memset(&lay, 0, sizeof(lay));
	if (hvnet_parse_xfer(set_id, count, data + 8, 16, &chan_type) != HVNET_RX_OK)
		return 0;
	if ((size - HDR) / sizeof(r) < count)
		return 0;
	buf = data + HDR + (size_t)count * sizeof(r);
	buf_len = (uint32_t)(size - HDR - (size_t)count * sizeof(r));
	for (i = 0; i < count; i++) {
		memcpy(&r, data + HDR + (size_t)i * sizeof(r), sizeof(r));
		good = hvnet_parse_range(buf_len, section, &r) == HVNET_RX_OK;
		if (!good && !hvnet_parse_range_fast(buf_len, section, &r))
			continue;
		/* Both checks keep the range in the buffer and the section. */
		if (r.byte_count > section || r.byte_offset > buf_len ||
		    r.byte_count > buf_len - r.byte_offset)
			abort();
		/* Exactly the range: ASan sees any read past it (one byte for an empty one). */
		range = malloc(r.byte_count != 0 ? r.byte_count : 1u);
		if (range == NULL)
			return 0;
		memcpy(range, buf + r.byte_offset, r.byte_count);
		memset(&cinfo, 0, sizeof(cinfo));
		hit = hvnet_parse_rndis_cached(&lay, range, r.byte_count, max_frame, &coff, &clen,
					       &cinfo);
		if (!good) {
			/* Passed the fast range check only: the layout's must refuse it. */
			if (hit)
				abort();
			free(range);
			continue;
		}
		memset(&info, 0, sizeof(info));
		hvnet_parse_rndis_head(range, r.byte_count, &p);
		if (p.type == HV_RNDIS_MSG_PACKET &&
		    hvnet_parse_rndis_packet(&p, range, r.byte_count, max_frame, &off, &len,
					     &info, &lay) == HVNET_RX_OK) {
			if (off < sizeof(p) || off > r.byte_count || len > r.byte_count - off ||
			    len > max_frame || len < HVNET_PARSE_MIN_FRAME)
				abort();
		} else if (hit) {
			abort();
		}
		if (hit && (coff != off || clen != len || !hvnet_rx_info_same(&cinfo, &info)))
			abort();
		free(range);
	}
	return 0;
}
