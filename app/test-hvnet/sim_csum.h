/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The Internet checksum (RFC 1071) as the simulated host computes it: its offload checks and
 * its traffic generator. A partial sum is a sum of big-endian 16-bit words, so that the parts of
 * a pseudo-header add in; sim_csum_fold() makes the checksum of it.
 */
#ifndef HVNET_SIM_CSUM_H
#define HVNET_SIM_CSUM_H

#include <arpa/inet.h>
#include <stdint.h>
#include <string.h>

/*
 * sum plus the big-endian 16-bit words of the len bytes at p (an odd last byte is the high half
 * of a word). The ones' complement sum does not depend on byte order or word width (RFC 1071,
 * 2.B and 2.C): 64-bit words add in the machine's order with the carry added back in (every
 * frame the host hands the guest is summed, so 8 bytes a step), the rest in 32 and 16 bits,
 * and the folded result is turned once.
 */
static inline uint32_t
sim_csum_add(uint32_t sum, const uint8_t *p, uint32_t len)
{
	uint64_t acc = 0, q;
	uint32_t w, i;
	uint16_t h;

	for (i = 0; i + 8 <= len; i += 8) {
		memcpy(&q, p + i, sizeof(q));
		acc += q;
		acc += acc < q;	/* end-around carry */
	}
	acc = (acc & 0xffffffffu) + (acc >> 32);	/* < 2^33: room for what follows */
	if (i + 4 <= len) {
		memcpy(&w, p + i, sizeof(w));
		acc += w;
		i += 4;
	}
	if (i + 2 <= len) {
		memcpy(&h, p + i, sizeof(h));
		acc += h;
		i += 2;
	}
	if (i < len) {
		const uint8_t last[2] = { p[i], 0 };

		memcpy(&h, last, sizeof(h));
		acc += h;
	}
	while (acc >> 16)
		acc = (acc & 0xffffu) + (acc >> 16);
	return sum + ntohs((uint16_t)acc);
}

/* The checksum field's value for a partial sum: its folded ones' complement. */
static inline uint16_t
sim_csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffffu) + (sum >> 16);
	return (uint16_t)~sum;
}

#endif /* HVNET_SIM_CSUM_H */
