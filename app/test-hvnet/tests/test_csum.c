/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit test of sim_csum.h: the word-at-a-time sum against RFC 1071's 16-bit definition. */
#include <stdint.h>
#include <stdio.h>

#include "check.h"
#include "sim_csum.h"

#define BUF_MAX	1600

/* RFC 1071 as written: big-endian 16-bit words, an odd last byte padded, carries folded in. */
static uint32_t
ref_sum(uint32_t sum, const uint8_t *p, uint32_t len)
{
	uint32_t acc = 0, i;

	for (i = 0; i + 1 < len; i += 2)
		acc += (uint32_t)p[i] << 8 | p[i + 1];
	if (i < len)
		acc += (uint32_t)p[i] << 8;
	while (acc >> 16)
		acc = (acc & 0xffffu) + (acc >> 16);
	return sum + acc;
}

/* Every length up to 80 at every alignment, then long buffers; random, all-ones, all-zero. */
static void
test_against_definition(void)
{
	static uint8_t buf[BUF_MAX + 8];
	uint32_t seed = 7, len, off, i, fill;

	for (fill = 0; fill < 3; fill++) {
		for (i = 0; i < sizeof(buf); i++) {
			seed = seed * 1103515245u + 12345u;
			buf[i] = fill == 0 ? (uint8_t)(seed >> 16) : fill == 1 ? 0xff : 0;
		}
		for (len = 0; len <= BUF_MAX; len += len < 80 ? 1 : 97)
			for (off = 0; off < 8; off++) {
				uint16_t got = sim_csum_fold(sim_csum_add(0x1234, buf + off, len));
				uint16_t want = sim_csum_fold(ref_sum(0x1234, buf + off, len));

				CHECK(got == want, "fill %u, %u bytes at +%u: 0x%04x, definition 0x%04x",
				      fill, len, off, got, want);
			}
	}
}

/* RFC 1071's worked example (section 3): the words 0001 f203 f4f5 f6f7 sum to ddf2. */
static void
test_rfc_example(void)
{
	static const uint8_t ex[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };

	CHECK(sim_csum_fold(sim_csum_add(0, ex, sizeof(ex))) == (uint16_t)~0xddf2u,
	      "RFC 1071 example");
}

int
main(void)
{
	test_rfc_example();
	test_against_definition();
	return check_done("test_csum");
}
