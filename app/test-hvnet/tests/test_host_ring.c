/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit test of host_ring.c against a separate, byte-at-a-time model of the guest's ring end. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "host.h"

#define DATA_SIZE	(2 * 4096u)
#define OPS		200000u


/* ---- stubs of what host_ring.c calls in other files ------------------------------------ */

void
sim_log(const char *fmt, ...)
{
	(void)fmt;
}

void
sim_vlog(struct sim_nic *nic, const char *fmt, ...)
{
	(void)nic;
	(void)fmt;
}

void
sim_env_interrupt_guest(struct sim_nic *nic, unsigned int chan)
{
	(void)nic;
	(void)chan;
}

uint64_t
sim_now_ns(void)
{
	return 0;
}

void
host_violation(struct sim_nic *nic, unsigned int chan, const char *rule)
{
	(void)nic;
	(void)chan;
	(void)rule;
}

int
host_fatal(struct sim_nic *nic, unsigned int c, const char *rule)
{
	(void)nic;
	(void)c;
	(void)rule;
	return -EPROTO;
}

int
host_nvsp_packet(struct sim_nic *nic, unsigned int c, const struct host_pkt *pkt)
{
	(void)nic;
	(void)c;
	(void)pkt;
	return 0;
}

bool
host_fault_desc(const struct sim_nic *nic, struct hv_vmbus_desc *d)
{
	(void)nic;
	(void)d;
	return false;
}

void
host_fault_sent(struct sim_nic *nic, unsigned int c, enum host_fault_kind kind, uint32_t frames)
{
	(void)nic;
	(void)c;
	(void)kind;
	(void)frames;
}

/* ---- the model: the guest's view, written without host_ring.c's helpers ---------------- */

static uint8_t ring_mem[HV_RING_CTL_SIZE + DATA_SIZE] __attribute__((aligned(4096)));
static uint32_t rng_state = 12345;

static uint32_t
rnd(uint32_t n)
{
	rng_state = rng_state * 1103515245u + 12345u;
	return (rng_state >> 8) % n;
}

static struct hv_ring_ctl *
ctl(void)
{
	return (struct hv_ring_ctl *)ring_mem;
}

static uint8_t
model_get(uint32_t off)
{
	return ring_mem[HV_RING_CTL_SIZE + off % DATA_SIZE];
}

static void
model_put(uint32_t off, uint8_t v)
{
	ring_mem[HV_RING_CTL_SIZE + off % DATA_SIZE] = v;
}

static uint32_t
model_used(void)
{
	return (ctl()->write_index + DATA_SIZE - ctl()->read_index) % DATA_SIZE;
}

static uint64_t
model_get64(uint32_t off)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = (v << 8) | model_get(off + (uint32_t)i);
	return v;
}

static void
reset_ring(struct host_ring *r)
{
	memset(ring_mem, 0, sizeof(ring_mem));
	host_ring_init(r, ring_mem, sizeof(ring_mem));
	ctl()->interrupt_mask = 1;
}

/* Byte pattern of packet seq at position i. */
static uint8_t
pat(uint32_t seq, uint32_t i)
{
	return (uint8_t)(seq * 31u + i * 7u + 1u);
}

/* ---- host writer vs model reader ---------------------------------------------------------- */

/* The model reads one packet and checks descriptor, body, padding and trailer. */
static void
model_read_one(uint32_t seq, uint32_t body_len)
{
	uint32_t rd = ctl()->read_index, i, len8, total;
	uint64_t trailer;

	len8 = model_get(rd + 4) | ((uint32_t)model_get(rd + 5) << 8);
	CHECK(model_get(rd) == HV_PKT_DATA_INBAND, "type at %u", rd);
	CHECK(len8 * 8 == ((16 + body_len + 7) & ~7u), "len8 %u body %u", len8, body_len);
	for (i = 0; i < body_len; i++)
		if (model_get(rd + 16 + i) != pat(seq, i)) {
			CHECK(0, "body byte %u of packet %u", i, seq);
			break;
		}
	for (i = 16 + body_len; i < len8 * 8; i++)
		CHECK(model_get(rd + i) == 0, "padding byte %u", i);
	trailer = model_get64(rd + len8 * 8);
	CHECK(trailer == (uint64_t)rd << 32, "trailer 0x%llx at %u", (unsigned long long)trailer,
	      rd);
	total = len8 * 8 + 8;
	ctl()->read_index = (rd + total) % DATA_SIZE;
}

static int
host_write_pkt(struct host_ring *r, uint32_t seq, uint32_t body_len, bool *signal)
{
	static uint8_t body[DATA_SIZE];
	struct hv_vmbus_desc d = {
		.type = HV_PKT_DATA_INBAND,
		.offset8 = 2,
		.len8 = (uint16_t)((16 + body_len + 7) / 8),
	};
	struct iovec iov[2] = {
		{ .iov_base = &d, .iov_len = sizeof(d) },
		{ .iov_base = body, .iov_len = body_len },
	};
	uint32_t i;

	for (i = 0; i < body_len; i++)
		body[i] = pat(seq, i);
	return host_ring_write(r, iov, 2, 0, signal);
}

static void
test_writer(void)
{
	struct host_ring r;
	uint32_t queue[4096], qlen[4096], head = 0, count = 0, seq = 0, op;
	unsigned int written = 0, refused = 0;
	bool signal;

	reset_ring(&r);
	for (op = 0; op < OPS; op++) {
		if (count < 4096 && rnd(3) != 0) {
			uint32_t body = rnd(5) == 0 ? rnd(DATA_SIZE / 2) : rnd(300);
			uint32_t total = ((16 + body + 7) & ~7u) + 8;
			uint32_t free_bytes = DATA_SIZE - model_used();
			int rc = host_write_pkt(&r, seq, body, &signal);

			/* Never fill completely: a packet fits only if strictly less than free. */
			if (total < free_bytes) {
				CHECK(rc == 0, "write of %u refused, %u free", total, free_bytes);
				queue[(head + count) % 4096] = seq;
				qlen[(head + count) % 4096] = body;
				count++;
				written++;
			} else {
				CHECK(rc == -EAGAIN, "write of %u with %u free: rc %d", total,
				      free_bytes, rc);
				refused++;
			}
			seq++;
		} else if (count != 0) {
			model_read_one(queue[head], qlen[head]);
			head = (head + 1) % 4096;
			count--;
		}
	}
	CHECK(written > OPS / 3 && refused > 100, "coverage: %u written, %u refused", written,
	      refused);
	printf("writer: %u packets written, %u refused as full\n", written, refused);
}

static void
test_write_signal(void)
{
	struct host_ring r;
	bool signal;

	reset_ring(&r);
	ctl()->interrupt_mask = 0;
	CHECK(host_write_pkt(&r, 1, 10, &signal) == 0 && signal, "empty ring, unmasked: signal");
	CHECK(host_write_pkt(&r, 2, 10, &signal) == 0 && !signal, "non-empty ring: no signal");
	model_read_one(1, 10);
	model_read_one(2, 10);
	ctl()->interrupt_mask = 1;
	CHECK(host_write_pkt(&r, 3, 10, &signal) == 0 && !signal, "masked: no signal");
	ctl()->read_index = 12;	/* not a multiple of 8 */
	CHECK(host_write_pkt(&r, 4, 10, &signal) == -EBADMSG, "corrupt read_index refused");
	ctl()->read_index = DATA_SIZE;
	CHECK(host_write_pkt(&r, 4, 10, &signal) == -EBADMSG, "out of range read_index refused");
}

/* ---- model writer vs host reader ---------------------------------------------------------- */

/* The model writes one packet the way a guest does; false if it does not fit. */
static bool
model_write(uint16_t type, uint16_t offset8, uint16_t flags, uint32_t seq, uint32_t body_len)
{
	uint32_t wr = ctl()->write_index, len = (16 + body_len + 7) & ~7u, i;
	uint16_t len8 = (uint16_t)(len / 8);
	uint64_t trailer = (uint64_t)wr << 32;
	uint8_t d[16] = { 0 };

	if (len + 8 >= DATA_SIZE - model_used())
		return false;
	memcpy(d, &type, 2);
	memcpy(d + 2, &offset8, 2);
	memcpy(d + 4, &len8, 2);
	memcpy(d + 6, &flags, 2);
	memcpy(d + 8, &seq, 4);
	for (i = 0; i < 16; i++)
		model_put(wr + i, d[i]);
	for (i = 0; i < len - 16; i++)
		model_put(wr + 16 + i, i < body_len ? pat(seq, i) : 0);
	for (i = 0; i < 8; i++)
		model_put(wr + len + i, (uint8_t)(trailer >> (8 * i)));
	ctl()->write_index = (wr + len + 8) % DATA_SIZE;
	return true;
}

static void
check_read(const uint8_t *buf, int len, uint32_t seq, uint32_t body_len)
{
	uint32_t i, got;

	CHECK(len == (int)((16 + body_len + 7) & ~7u), "length %d body %u", len, body_len);
	memcpy(&got, buf + 8, 4);
	CHECK(got == seq, "tid %u expected %u", got, seq);
	for (i = 0; i < body_len; i++)
		if (buf[16 + i] != pat(seq, i)) {
			CHECK(0, "byte %u of packet %u", i, seq);
			break;
		}
}

static void
test_reader(void)
{
	static uint8_t buf[DATA_SIZE];
	uint32_t queue[4096], qlen[4096], head = 0, count = 0, seq = 0, op, w, batch = 0;
	unsigned int read = 0;
	struct host_ring r;
	int len;

	reset_ring(&r);
	for (op = 0; op < OPS; op++) {
		if (count < 4096 && rnd(2) == 0) {
			uint32_t body = rnd(5) == 0 ? rnd(DATA_SIZE / 2) : rnd(300);

			if (model_write(HV_PKT_DATA_INBAND, 2, HV_PKT_FLAG_RC, seq, body)) {
				queue[(head + count) % 4096] = seq;
				qlen[(head + count) % 4096] = body;
				count++;
			}
			seq++;
			continue;
		}
		CHECK(host_ring_write_index(&r, &w) == 0, "write index");
		len = host_ring_peek(&r, w, buf, sizeof(buf));
		if (count == 0) {
			CHECK(len == 0, "empty ring read %d", len);
			host_ring_read_done(&r, batch);
			batch = 0;
			continue;
		}
		check_read(buf, len, queue[head], qlen[head]);
		host_ring_skip(&r, (uint32_t)len);
		batch += (uint32_t)len + 8;
		head = (head + 1) % 4096;
		count--;
		read++;
		/* Publish in batches: the model sees the space only then. */
		if (rnd(4) == 0) {
			host_ring_read_done(&r, batch);
			batch = 0;
		}
	}
	host_ring_read_done(&r, batch);
	CHECK(read > OPS / 4, "only %u packets read", read);
	printf("reader: %u packets read\n", read);
}

static int
peek_one(struct host_ring *r, uint32_t cap)
{
	static uint8_t buf[DATA_SIZE];
	uint32_t w;

	if (host_ring_write_index(r, &w) < 0)
		return -EBADMSG;
	return host_ring_peek(r, w, buf, cap);
}

/* Write a raw descriptor at the model's write index and publish len8 * 8 + 8 bytes. */
static void
model_raw(uint16_t type, uint16_t offset8, uint16_t len8, uint16_t flags)
{
	uint32_t wr = ctl()->write_index, i;
	uint16_t f[4] = { type, offset8, len8, flags };

	for (i = 0; i < 8; i++)
		model_put(wr + i, ((uint8_t *)f)[i]);
	ctl()->write_index = (wr + (uint32_t)(len8 > 2 ? len8 : 2) * 8 + 8) % DATA_SIZE;
}

static void
test_corrupt(void)
{
	static const uint16_t good_types[] = { 6, 7, 9, 11 };
	struct host_ring r;
	unsigned int i;

	for (i = 0; i < 4; i++) {
		reset_ring(&r);
		model_raw(good_types[i], 4, 4, 1);
		CHECK(peek_one(&r, DATA_SIZE) == 32, "type %u accepted", good_types[i]);
	}
	reset_ring(&r);
	model_raw(6, 1, 4, 0);
	CHECK(peek_one(&r, DATA_SIZE) == -EBADMSG, "offset8 < 2 rejected");
	reset_ring(&r);
	model_raw(6, 4, 3, 0);
	CHECK(peek_one(&r, DATA_SIZE) == -EBADMSG, "len8 < offset8 rejected");
	reset_ring(&r);
	model_raw(8, 2, 4, 0);
	CHECK(peek_one(&r, DATA_SIZE) == -EBADMSG, "type 8 rejected");
	reset_ring(&r);
	model_raw(6, 2, 4, 2);
	CHECK(peek_one(&r, DATA_SIZE) == -EBADMSG, "flag bit 1 rejected");
	reset_ring(&r);
	model_raw(6, 2, 4, 0);
	CHECK(peek_one(&r, 24) == -EBADMSG, "packet larger than the buffer rejected");
	reset_ring(&r);
	model_raw(6, 2, 8, 0);
	ctl()->write_index = 32;	/* publishes less than the descriptor says */
	CHECK(peek_one(&r, DATA_SIZE) == -EBADMSG, "packet longer than available rejected");
	reset_ring(&r);
	ctl()->write_index = 12;
	CHECK(peek_one(&r, DATA_SIZE) == -EBADMSG, "write index not a multiple of 8 rejected");
	reset_ring(&r);
	ctl()->write_index = DATA_SIZE + 8;
	CHECK(peek_one(&r, DATA_SIZE) == -EBADMSG, "write index out of range rejected");
	reset_ring(&r);
	ctl()->write_index = 8;
	CHECK(peek_one(&r, DATA_SIZE) == -EBADMSG, "8 bytes available rejected");
	reset_ring(&r);
	CHECK(peek_one(&r, DATA_SIZE) == 0, "empty ring");
}

static void
test_pending_signal(void)
{
	struct host_ring r;
	uint32_t w;
	int len, i;
	uint8_t buf[256];

	reset_ring(&r);
	ctl()->feature_bits = HV_RING_FEAT_PENDING_SZ;
	for (i = 0; i < 40; i++)
		model_write(HV_PKT_DATA_INBAND, 2, 0, (uint32_t)i, 168);	/* 192 bytes each */
	/* The writer wants 100 bytes more than two packets' worth of space beyond today's. */
	ctl()->pending_send_sz = DATA_SIZE - model_used() + 192 + 100;
	CHECK(host_ring_write_index(&r, &w) == 0, "write index");
	len = host_ring_peek(&r, w, buf, sizeof(buf));
	host_ring_skip(&r, (uint32_t)len);
	CHECK(!host_ring_read_done(&r, (uint32_t)len + 8), "still below the threshold: no signal");
	len = host_ring_peek(&r, w, buf, sizeof(buf));
	host_ring_skip(&r, (uint32_t)len);
	CHECK(host_ring_read_done(&r, (uint32_t)len + 8), "crossed the threshold: signal");
	len = host_ring_peek(&r, w, buf, sizeof(buf));
	host_ring_skip(&r, (uint32_t)len);
	CHECK(!host_ring_read_done(&r, (uint32_t)len + 8), "already above: no second signal");
	ctl()->feature_bits = 0;
	ctl()->pending_send_sz = 900;
	len = host_ring_peek(&r, w, buf, sizeof(buf));
	host_ring_skip(&r, (uint32_t)len);
	CHECK(!host_ring_read_done(&r, (uint32_t)len + 8), "no feature bit: no signal");
}

static void
test_pair_reset(void)
{
	static uint8_t pair[2 * (HV_RING_CTL_SIZE + DATA_SIZE)];
	const struct hv_ring_ctl *g2h = (const struct hv_ring_ctl *)pair;
	const struct hv_ring_ctl *h2g = (const struct hv_ring_ctl *)(pair + sizeof(pair) / 2);

	memset(pair, 0xa5, sizeof(pair));
	host_ring_pair_reset(pair, sizeof(pair), true);
	CHECK(g2h->write_index == 0 && g2h->read_index == 0 && g2h->pending_send_sz == 0,
	      "guest->host indices");
	CHECK(g2h->interrupt_mask == 1 && g2h->feature_bits == 1, "guest->host mask/features");
	CHECK(h2g->write_index == 0 && h2g->read_index == 0 && h2g->pending_send_sz == 0,
	      "host->guest indices");
	CHECK(h2g->interrupt_mask == 1 && h2g->feature_bits == 1, "host->guest mask/features");
}

int
main(void)
{
	check_fail_limit = 20;
	test_pair_reset();
	test_writer();
	test_write_signal();
	test_reader();
	test_corrupt();
	test_pending_signal();
	return check_done("test_host_ring");
}
