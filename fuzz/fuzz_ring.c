/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer harness of the VMBus ring reader (drivers/bus/vmbus/hvbus_ring.[ch]): the input is
 * what a host wrote into a host->guest ring, control page indices and data area, and the
 * size of the bounce buffer wrapped packets go to. The reader peeks every packet it accepts,
 * parses transfer-page headers, reads each payload byte and each range it returns (ASan and
 * UBSan watch), and never returns a packet outside the data area.
 *
 * Input: u32 write_index, u32 read_index, u16 bounce length, then the data area (repeated to
 * fill RING_DATA bytes).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hvbus_ring.h"

#define RING_DATA	8192u
#define RING_HDR	4096u
#define MAX_PKTS	64u

static uint8_t ring_mem[RING_HDR + RING_DATA] __attribute__((aligned(4096)));

/* Touch every byte of [p, p + n) so that a bad pointer or length shows at once. */
static uint32_t
touch(const uint8_t *p, uint32_t n)
{
	uint32_t sum = 0, i;

	for (i = 0; i < n; i++)
		sum += p[i];
	return sum;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hv_ring_ctl *ctl = (struct hv_ring_ctl *)ring_mem;
	struct hvbus_ring_xfer xfer;
	struct hvbus_ring_pkt pkt = { .buf = NULL };
	struct hvbus_ring r;
	uint32_t w, rd, i, k;
	uint16_t blen;
	uint8_t *bounce;
	volatile uint32_t sink = 0;
	bool sig = false;

	if (size < 10)
		return 0;
	memcpy(&w, data, 4);
	memcpy(&rd, data + 4, 4);
	memcpy(&blen, data + 8, 2);
	data += 10;
	size -= 10;
	memset(ring_mem, 0, RING_HDR);
	for (i = 0; i < RING_DATA; i++)
		ring_mem[RING_HDR + i] = size ? data[i % size] : 0;
	ctl->write_index = w;
	ctl->read_index = rd;
	if (hvbus_ring_attach_rx(&r, ring_mem, sizeof(ring_mem), RING_HDR) != 0)
		return 0;
	/* Exactly blen bytes: a copy past the bounce buffer is caught. */
	bounce = malloc(blen ? blen : 1);
	if (bounce == NULL)
		return 0;
	for (k = 0; k < MAX_PKTS; k++) {
		if (hvbus_ring_peek(&r, &pkt, bounce, blen) != 0)
			break;
		if (pkt.buf != bounce && (pkt.buf < r.data || pkt.buf + pkt.len > r.data + r.size))
			abort();
		sink += touch(pkt.buf, pkt.len);
		sink += touch(hvbus_ring_pkt_payload(&pkt), hvbus_ring_pkt_payload_len(&pkt));
		if (hvbus_ring_parse_xfer(&pkt, &xfer) == 0)
			sink += touch((const uint8_t *)xfer.ranges,
				      xfer.range_count * (uint32_t)sizeof(xfer.ranges[0]));
	}
	hvbus_ring_read_commit(&r, &sig);
	sink += hvbus_ring_bytes_to_read(&r);
	free(bounce);
	(void)sink;
	return 0;
}
