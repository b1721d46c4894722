/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit test of host_rss.c: Microsoft's published Toeplitz vectors and frame parsing. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "wire.h"

static const uint8_t ms_key[40] = {
	0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67,
	0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb,
	0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30,
	0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
};

/* The host's table for ms_key (main). */
static struct rss_hasher ms_hasher;

/* "Verifying the RSS Hash Calculation" (Windows driver docs): src, dst, ports, hashes. */
struct vector {
	const char *src;
	const char *dst;
	uint16_t sport;
	uint16_t dport;
	uint32_t ip_only;
	uint32_t with_tcp;
};

static const struct vector v4_vectors[] = {
	{ "66.9.149.187", "161.142.100.80", 2794, 1766, 0x323e8fc2, 0x51ccc178 },
	{ "199.92.111.2", "65.69.140.83", 14230, 4739, 0xd718262a, 0xc626b0ea },
	{ "24.19.198.95", "12.22.207.184", 12898, 38024, 0xd2d0a5de, 0x5c2b394a },
	{ "38.27.205.30", "209.142.163.6", 48228, 2217, 0x82989176, 0xafc7327f },
	{ "153.39.163.191", "202.188.127.2", 44251, 1303, 0x5d1809c5, 0x10e828a2 },
};

static const struct vector v6_vectors[] = {
	{ "3ffe:2501:200:1fff::7", "3ffe:2501:200:3::1", 2794, 1766, 0x2cc18cd5, 0x40207d3d },
	{ "3ffe:501:8::260:97ff:fe40:efab", "ff02::1", 14230, 4739, 0x0f0c461c, 0xdde51bbf },
	{ "3ffe:1900:4545:3:200:f8ff:fe21:67cf", "fe80::200:f8ff:fe21:67cf", 44251, 38024,
	  0x4b61e985, 0x02d1feef },
};


#define FN		HV_NDIS_HASH_FUNCTION_TOEPLITZ
#define TOEPLITZ_ALL	(FN | HV_NDIS_HASH_IPV4 | HV_NDIS_HASH_TCP_IPV4 | HV_NDIS_HASH_UDP_IPV4 | \
			 HV_NDIS_HASH_IPV6 | HV_NDIS_HASH_TCP_IPV6 | HV_NDIS_HASH_UDP_IPV6)

/* Raw input: addresses then ports, both in network order. */
static size_t
vector_input(const struct vector *v, int family, bool ports, uint8_t *in)
{
	size_t alen = family == AF_INET ? 4 : 16;
	uint16_t sp = htons(v->sport), dp = htons(v->dport);

	if (inet_pton(family, v->src, in) != 1 || inet_pton(family, v->dst, in + alen) != 1)
		abort();
	if (!ports)
		return 2 * alen;
	memcpy(in + 2 * alen, &sp, 2);
	memcpy(in + 2 * alen + 2, &dp, 2);
	return 2 * alen + 4;
}

static void
test_raw_vectors(void)
{
	const struct { const struct vector *v; size_t n; int family; } sets[] = {
		{ v4_vectors, sizeof(v4_vectors) / sizeof(v4_vectors[0]), AF_INET },
		{ v6_vectors, sizeof(v6_vectors) / sizeof(v6_vectors[0]), AF_INET6 },
	};
	uint8_t in[36];
	size_t s, i, n;
	uint32_t h;

	for (s = 0; s < 2; s++) {
		for (i = 0; i < sets[s].n; i++) {
			const struct vector *v = &sets[s].v[i];

			n = vector_input(v, sets[s].family, false, in);
			h = rss_toeplitz(ms_key, sizeof(ms_key), in, n);
			CHECK(h == v->ip_only, "%s->%s ip-only 0x%08x != 0x%08x",
			      v->src, v->dst, h, v->ip_only);
			n = vector_input(v, sets[s].family, true, in);
			h = rss_toeplitz(ms_key, sizeof(ms_key), in, n);
			CHECK(h == v->with_tcp, "%s->%s with ports 0x%08x != 0x%08x",
			      v->src, v->dst, h, v->with_tcp);
		}
	}
}

static void
put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Ethernet (optionally one 802.1Q tag) + IP header + 8 bytes of L4 header; returns length. */
static uint32_t
build_frame(const struct vector *v, int family, bool vlan, uint8_t proto, uint8_t *f)
{
	uint32_t off = 12;
	uint8_t in[36];

	memset(f, 0, 128);
	memset(f, 0xaa, 12);
	if (vlan) {
		put_be16(f + off, 0x8100);
		put_be16(f + off + 2, 42);
		off += 4;
	}
	put_be16(f + off, family == AF_INET ? 0x0800 : 0x86dd);
	off += 2;
	vector_input(v, family, true, in);
	if (family == AF_INET) {
		f[off] = 0x45;
		put_be16(f + off + 2, 28);
		f[off + 8] = 64;
		f[off + 9] = proto;
		memcpy(f + off + 12, in, 8);
		memcpy(f + off + 20, in + 8, 4);
		return off + 28;
	}
	f[off] = 0x60;
	put_be16(f + off + 4, 8);
	f[off + 6] = proto;
	f[off + 7] = 64;
	memcpy(f + off + 8, in, 32);
	memcpy(f + off + 40, in + 32, 4);
	return off + 48;
}

static void
expect_hash(const uint8_t *f, uint32_t len, uint32_t info, uint32_t want, uint32_t want_type,
	    const char *what)
{
	uint32_t h = 0, t = 0;
	bool ok = rss_frame_hash(&ms_hasher, info, f, len, &h, &t);

	CHECK(ok, "%s: no hash", what);
	CHECK(h == want, "%s: hash 0x%08x != 0x%08x", what, h, want);
	CHECK(t == want_type, "%s: type 0x%x != 0x%x", what, t, want_type);
}

static void
expect_none(const uint8_t *f, uint32_t len, uint32_t info, const char *what)
{
	uint32_t h = 0, t = 0;

	CHECK(!rss_frame_hash(&ms_hasher, info, f, len, &h, &t), "%s: unexpected hash", what);
}

static void
test_frames_v4(void)
{
	const struct vector *v = &v4_vectors[0];
	uint8_t f[128];
	uint32_t len;

	len = build_frame(v, AF_INET, false, 6, f);
	expect_hash(f, len, TOEPLITZ_ALL, v->with_tcp, HV_NDIS_HASH_TCP_IPV4, "v4 tcp");
	expect_hash(f, len, FN | HV_NDIS_HASH_IPV4, v->ip_only,
		    HV_NDIS_HASH_IPV4, "v4 tcp, 2-tuple only");
	expect_none(f, len, FN | HV_NDIS_HASH_IPV6, "v4 with only v6 types");
	expect_none(f, len, HV_NDIS_HASH_IPV4 | HV_NDIS_HASH_TCP_IPV4, "no hash function");

	len = build_frame(v, AF_INET, false, 17, f);
	expect_hash(f, len, TOEPLITZ_ALL, v->with_tcp, HV_NDIS_HASH_UDP_IPV4, "v4 udp");
	expect_hash(f, len, FN | HV_NDIS_HASH_IPV4 | HV_NDIS_HASH_TCP_IPV4,
		    v->ip_only, HV_NDIS_HASH_IPV4, "v4 udp without udp type");
	expect_none(f, len, FN | HV_NDIS_HASH_TCP_IPV4, "v4 udp, tcp only");

	len = build_frame(v, AF_INET, true, 6, f);
	expect_hash(f, len, TOEPLITZ_ALL, v->with_tcp, HV_NDIS_HASH_TCP_IPV4, "v4 tcp vlan");

	/* A fragment has no ports to trust: back to the 2-tuple. */
	len = build_frame(v, AF_INET, false, 6, f);
	put_be16(f + 14 + 6, 0x2000);
	expect_hash(f, len, TOEPLITZ_ALL, v->ip_only, HV_NDIS_HASH_IPV4, "v4 fragment");
	put_be16(f + 14 + 6, 0x0001);
	expect_hash(f, len, TOEPLITZ_ALL, v->ip_only, HV_NDIS_HASH_IPV4, "v4 fragment offset");

	/* Options push the ports out by IHL. */
	len = build_frame(v, AF_INET, false, 6, f);
	memmove(f + 14 + 24, f + 14 + 20, 8);
	memset(f + 14 + 20, 1, 4);
	f[14] = 0x46;
	expect_hash(f, len + 4, TOEPLITZ_ALL, v->with_tcp, HV_NDIS_HASH_TCP_IPV4, "v4 options");
	f[14] = 0x44;
	expect_none(f, len + 4, TOEPLITZ_ALL, "v4 IHL below 5");
	f[14] = 0x4f;
	expect_none(f, 14 + 40, TOEPLITZ_ALL, "v4 IHL beyond the frame");
}

static void
test_frames_v6(void)
{
	uint8_t f[128];
	uint32_t len;
	size_t i;

	for (i = 0; i < sizeof(v6_vectors) / sizeof(v6_vectors[0]); i++) {
		const struct vector *v = &v6_vectors[i];

		len = build_frame(v, AF_INET6, false, 6, f);
		expect_hash(f, len, TOEPLITZ_ALL, v->with_tcp, HV_NDIS_HASH_TCP_IPV6, "v6 tcp");
		expect_hash(f, len, FN | HV_NDIS_HASH_IPV6, v->ip_only,
			    HV_NDIS_HASH_IPV6, "v6 2-tuple");
		len = build_frame(v, AF_INET6, true, 17, f);
		expect_hash(f, len, TOEPLITZ_ALL, v->with_tcp, HV_NDIS_HASH_UDP_IPV6,
			    "v6 udp vlan");
		/* Without walking extension headers, other next headers hash as 2-tuple. */
		len = build_frame(v, AF_INET6, false, 0, f);
		expect_hash(f, len, TOEPLITZ_ALL, v->ip_only, HV_NDIS_HASH_IPV6, "v6 hop-by-hop");
	}
}

/* Every prefix of every frame, in a buffer of exactly that size (run under ASan). */
static void
test_truncated(void)
{
	const int families[] = { AF_INET, AF_INET6 };
	const uint8_t protos[] = { 6, 17, 1 };
	uint8_t f[128];
	uint32_t len, cut, h, t;
	size_t a, p, vl;

	for (a = 0; a < 2; a++) {
		for (p = 0; p < 3; p++) {
			for (vl = 0; vl < 2; vl++) {
				const struct vector *v = families[a] == AF_INET ?
					&v4_vectors[1] : &v6_vectors[1];

				len = build_frame(v, families[a], vl, protos[p], f);
				for (cut = 0; cut <= len; cut++) {
					uint8_t *copy = malloc(cut ? cut : 1);

					if (copy == NULL)
						abort();
					memcpy(copy, f, cut);
					rss_frame_hash(&ms_hasher, TOEPLITZ_ALL, copy, cut, &h, &t);
					free(copy);
				}
			}
		}
	}
	/* Non-IP frames have no hash. */
	memset(f, 0, sizeof(f));
	put_be16(f + 12, 0x0806);
	expect_none(f, 60, TOEPLITZ_ALL, "arp");
}

/* The table gives the definition's hash for any input of any length (pseudo-random ones). */
static void
test_table(void)
{
	uint32_t seed = 1, want, got;
	uint8_t in[RSS_INPUT_MAX];
	unsigned int round, n, i;

	for (round = 0; round < 2000; round++) {
		n = 1 + round % RSS_INPUT_MAX;
		for (i = 0; i < n; i++) {
			seed = seed * 1103515245u + 12345u;
			in[i] = (uint8_t)(seed >> 16);
		}
		want = rss_toeplitz(ms_key, sizeof(ms_key), in, n);
		for (got = 0, i = 0; i < n; i++)
			got ^= ms_hasher.t[i][in[i]];
		CHECK(got == want, "round %u, %u bytes: table 0x%08x, definition 0x%08x", round, n,
		      got, want);
	}
}

int
main(void)
{
	rss_hasher_init(&ms_hasher, ms_key);
	test_table();
	test_raw_vectors();
	test_frames_v4();
	test_frames_v6();
	test_truncated();
	return check_done("test_rss");
}
