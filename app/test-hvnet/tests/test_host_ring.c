/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit test of host_ring.c and host_signal.c against a separate, byte-at-a-time model of the
 * guest's ring end, with a fake clock for the signalling (sleep, wake, pending_send_sz, the
 * missed-signal watchdog).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "host.h"

#define DATA_SIZE	(2 * 4096u)
#define RING_BYTES	(HV_RING_CTL_SIZE + DATA_SIZE)
#define OPS		200000u
#define MONITOR_ID	14u
#define LATENCY_100NS	500u		/* 50 us */
#define MS		1000000ull


/* ---- stubs of what host_ring.c and host_signal.c call in other files --------------------- */

static uint64_t fake_now;
static unsigned int violations, handled, interrupts;
static char last_rule[160];

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
	interrupts++;
}

uint64_t
sim_now_ns(void)
{
	return fake_now;
}

void
host_violation(struct sim_nic *nic, unsigned int chan, const char *rule)
{
	nic->stats.violations++;
	violations++;
	snprintf(last_rule, sizeof(last_rule), "chan=%u rule=%s", chan, rule);
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
	handled++;
	return 0;
}

enum host_fault_kind
host_fault_desc(const struct sim_nic *nic, unsigned int c, struct hv_vmbus_desc *d)
{
	(void)nic;
	(void)c;
	(void)d;
	return HOST_FAULT_NONE;
}

enum host_fault_kind
host_fault_written(const struct sim_nic *nic, unsigned int c, struct host_ring *r)
{
	(void)nic;
	(void)c;
	(void)r;
	return HOST_FAULT_NONE;
}

bool
host_fault_hold(struct sim_nic *nic, unsigned int c)
{
	(void)nic;
	(void)c;
	return false;
}

void
host_fault_ring(struct sim_nic *nic, unsigned int c)
{
	(void)nic;
	(void)c;
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

/* A ring pair: guest->host ring first. The model works on one ring of it at a time. */
static uint8_t pair_mem[2 * RING_BYTES] __attribute__((aligned(4096)));
static uint8_t *ring_mem = pair_mem;
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
	memset(ring_mem, 0, RING_BYTES);
	host_ring_init(r, ring_mem, RING_BYTES);
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

/* ---- signalling: host_signal.c with the model as the guest ------------------------------ */

static struct sim sig_sim;
static struct sim_nic sig_nic;
static struct sim_uio_ctl sig_uio;
static uint8_t sig_monitor[4096] __attribute__((aligned(4096)));
static uint8_t sig_int[4096] __attribute__((aligned(4096)));

static struct hv_ring_ctl *
g2h(void)
{
	return (struct hv_ring_ctl *)pair_mem;
}

static struct hv_ring_ctl *
h2g(void)
{
	return (struct hv_ring_ctl *)(pair_mem + RING_BYTES);
}

static struct host_chan *
sig_chan(void)
{
	return &host_of(&sig_nic)->chan[0];
}

/* One NIC, one channel with a monitor id and a latency of 50 us, the host polling it. */
static void
sig_setup(enum sim_signals mode)
{
	static struct host_nic *hn;

	free(hn);
	hn = calloc(1, sizeof(*hn));
	CHECK(hn != NULL, "host state");
	memset(&sig_nic, 0, sizeof(sig_nic));
	memset(&sig_uio, 0, sizeof(sig_uio));
	memset(sig_monitor, 0, sizeof(sig_monitor));
	sig_sim.opt.signals = mode;
	sig_nic.sim = &sig_sim;
	sig_nic.host = hn;
	sig_nic.ctl = &sig_uio;
	sig_nic.monitor_page = sig_monitor;
	sig_nic.int_page = sig_int;
	sig_nic.nchan = 1;
	sig_nic.chan[0] = (struct sim_chan){ .relid = 14, .monitor_id = MONITOR_ID,
					     .offered = true, .ring = pair_mem,
					     .ring_size = sizeof(pair_mem) };
	((struct hv_monitor_page *)sig_monitor)->latency[0][MONITOR_ID] = LATENCY_100NS;
	host_ring_pair_reset(pair_mem, sizeof(pair_mem), true);
	fake_now = 1000 * MS;
	handled = violations = interrupts = 0;
	ring_mem = pair_mem;
}

static unsigned int
serve(uint64_t advance_ns)
{
	fake_now += advance_ns;
	return host_chan_serve(&sig_nic, 0, fake_now);
}

/* The guest writes a packet on its guest->host ring (and does not signal). */
static void
guest_send(uint32_t seq)
{
	ring_mem = pair_mem;
	CHECK(model_write(HV_PKT_DATA_INBAND, 2, 0, seq, 40), "guest packet %u", seq);
}

static void
monitor_signal(void)
{
	((struct hv_monitor_page *)sig_monitor)->trigger[0].pending |= 1u << MONITOR_ID;
}

/* Serve for up to ms in 1 ms steps, until the handled count moves. */
static void
serve_for(unsigned int ms)
{
	unsigned int before = handled, i;

	for (i = 0; i < ms && handled == before; i++)
		serve(MS);
}

static void
test_sleep_and_wake(void)
{
	struct host_chan *hc;

	sig_setup(SIM_SIGNALS_HYPERV);
	hc = sig_chan();
	CHECK(serve(0) == 0 && hc->idle && g2h()->interrupt_mask == 0,
	      "empty ring: the host sleeps with interrupts unmasked");
	CHECK(sig_nic.chan_stats[0].sleeps == 1, "one sleep counted");
	guest_send(1);
	monitor_signal();
	/* The monitor page is looked at only when the guest's latency is up. */
	serve(10000);
	CHECK(handled == 0 && hc->idle, "signal not seen before the latency (10 us of 50)");
	CHECK(host_nic_next_wake(&sig_nic) == hc->next_scan && hc->next_scan <= fake_now + 40000,
	      "next wake at the monitor scan");
	serve(40000);
	CHECK(handled == 1 && sig_nic.stats.host_signals == 1 && hc->idle,
	      "signal seen at the scan, packet handled, asleep again (handled %u)", handled);
	CHECK(sig_nic.chan_stats[0].latency == LATENCY_100NS, "latency recorded");
	/* A kernel signal (uio write) is seen at once. */
	guest_send(2);
	sig_uio.chan_signals[0]++;
	serve(1000);
	CHECK(handled == 2 && sig_nic.stats.host_signals == 2 &&
	      sig_nic.stats.signals_unneeded == 0, "kernel signal seen at once");
	/* A signal while the host polls was not needed. */
	guest_send(3);
	guest_send(4);
	hc->idle = false;
	g2h()->interrupt_mask = 1;
	sig_uio.chan_signals[0]++;
	serve(1000);
	CHECK(handled == 4 && sig_nic.stats.signals_unneeded == 1, "unneeded signal counted");
	CHECK(violations == 0, "no violation: %s", last_rule);
}

static void
test_missed_inbound(void)
{
	struct host_chan *hc;
	unsigned int i;

	sig_setup(SIM_SIGNALS_HYPERV);
	hc = sig_chan();
	last_rule[0] = '\0';
	serve(0);
	guest_send(1);
	for (i = 0; i < 2900; i++)
		serve(MS);
	CHECK(handled == 0 && violations == 0, "unsignalled data waits, not yet named");
	for (i = 0; i < 200; i++)
		serve(MS);
	CHECK(handled == 0 && violations == 1 && sig_nic.stats.missed_signals == 1 &&
	      strncmp(last_rule, "chan=0 rule=missed-signal ring=guest-to-host", 44) == 0,
	      "missed signal named after 3 s: %s", last_rule);
	for (i = 0; i < 5000; i++)
		serve(MS);
	CHECK(handled == 0 && violations == 1, "named once; the host keeps waiting");
	monitor_signal();
	serve_for(10);
	CHECK(handled == 1 && hc->stall_since == 0, "the late signal wakes the host");
}

/* Fill the host->guest ring with 1 KiB completions until the host has to wait. */
static unsigned int
host_fill(void)
{
	static uint8_t body[1000];
	unsigned int n = 0;

	while (n < 64 && host_chan_send(&sig_nic, 0, HV_PKT_COMPLETION, 0, n, NULL, 0, body,
					sizeof(body), 0) == 0)
		n++;
	return n;
}

/* The guest reads n packets of the host->guest ring and publishes its index, no signal. */
static void
guest_read(unsigned int n)
{
	unsigned int i;

	ring_mem = pair_mem + RING_BYTES;
	for (i = 0; i < n && model_used() != 0; i++) {
		uint32_t len8 = model_get(ctl()->read_index + 4) |
				((uint32_t)model_get(ctl()->read_index + 5) << 8);

		ctl()->read_index = (ctl()->read_index + len8 * 8 + 8) % DATA_SIZE;
	}
	ring_mem = pair_mem;
}

static void
test_pending(void)
{
	struct host_chan *hc;
	unsigned int i, sent;

	sig_setup(SIM_SIGNALS_HYPERV);
	hc = sig_chan();
	last_rule[0] = '\0';
	sent = host_fill();
	CHECK(sent > 4 && host_chan_blocked(&sig_nic, 0), "ring full after %u packets", sent);
	CHECK(h2g()->pending_send_sz == DATA_SIZE / 4 && hc->pending == DATA_SIZE / 4,
	      "pending_send_sz a quarter of the ring: %u", h2g()->pending_send_sz);
	CHECK(sig_nic.chan_stats[0].pending_waits == 1 && host_chan_room(&sig_nic, 0) == 0 &&
	      host_fill() == 0, "nothing more is written while waiting");
	/* A signal with nothing read (another one's, spurious) does not end the wait. */
	sig_uio.chan_signals[0]++;
	serve(MS);
	CHECK(hc->pending != 0 && h2g()->pending_send_sz != 0, "still waiting for room");
	/* Past the threshold, no signal: the watchdog names it. */
	guest_read(4);
	for (i = 0; i < 3100; i++)
		serve(MS);
	CHECK(violations == 1 && strncmp(last_rule, "chan=0 rule=missed-signal ring=host-to-guest",
					 44) == 0, "missed pending signal named: %s", last_rule);
	CHECK(hc->pending != 0, "the host keeps waiting");
	sig_uio.chan_signals[0]++;
	serve(MS);
	CHECK(hc->pending == 0 && h2g()->pending_send_sz == 0 && host_fill() > 0,
	      "signalled: pending_send_sz cleared, writing again");
}

static void
test_poll_mode(void)
{
	sig_setup(SIM_SIGNALS_POLL);
	serve(0);
	CHECK(!sig_chan()->idle && g2h()->interrupt_mask == 1, "poll mode never sleeps");
	guest_send(1);
	serve(MS);
	CHECK(handled == 1, "poll mode reads without a signal");
	monitor_signal();
	serve(MS);
	CHECK(sig_nic.stats.host_signals == 1 && sig_nic.stats.signals_unneeded == 1,
	      "poll mode counts signals as unneeded");
	host_fill();
	CHECK(!host_chan_blocked(&sig_nic, 0) && h2g()->pending_send_sz == 0,
	      "poll mode never sets pending_send_sz");
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
	test_sleep_and_wake();
	test_missed_inbound();
	test_pending();
	test_poll_mode();
	return check_done("test_host_ring");
}
