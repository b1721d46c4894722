/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit test of the hvbus VMBus ring: reference model, signal rules, hostile-host input. */

/*
 * Standalone: build with hvbus_ring.c only (no EAL). Usage: test_ring [seed [rounds]].
 * The writer and the reader are two hvbus_ring views of one ring in memory; the data area
 * ends exactly at the end of its allocation so that ASan catches any read past it.
 */

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "hvbus_ring.h"

#define CTL_BYTES	HV_PAGE_SIZE
#define MAX_DATA	(64u * 1024)
#define MODEL_CAP	4096u		/* > MAX_DATA / 24 packets in a ring */
#define DEFAULT_ROUNDS	32u
#define OPS_PER_ROUND	40000u


/* ---- helpers ------------------------------------------------------------------------------ */

static uint64_t
rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint32_t
rng_below(uint64_t *s, uint32_t n)
{
	return (uint32_t)(rng_next(s) % n);
}

/* A ring (control page + data area) whose data area ends at the end of the allocation. */
struct test_ring {
	uint8_t *mem;
	uint32_t size;
	struct hvbus_ring tx;	/* guest writer view */
	struct hvbus_ring rx;	/* guest reader view of the same memory, acting as the host */
};

static struct hv_ring_ctl *
tr_ctl(struct test_ring *t)
{
	return (struct hv_ring_ctl *)t->mem;
}

/* Fresh ring with both indices at start; attaches both views. */
static void
tr_init(struct test_ring *t, uint32_t size, uint32_t start)
{
	t->mem = aligned_alloc(HV_PAGE_SIZE, CTL_BYTES + size);
	if (t->mem == NULL) {
		perror("aligned_alloc");
		exit(2);
	}
	memset(t->mem, 0, CTL_BYTES + size);
	t->size = size;
	tr_ctl(t)->write_index = start;
	tr_ctl(t)->read_index = start;
	tr_ctl(t)->interrupt_mask = 0;
	CHECK(hvbus_ring_attach_tx(&t->tx, t->mem, CTL_BYTES + size, CTL_BYTES) == 0, "tx");
	CHECK(hvbus_ring_attach_rx(&t->rx, t->mem, CTL_BYTES + size, CTL_BYTES) == 0, "rx");
}

static void
tr_free(struct test_ring *t)
{
	free(t->mem);
	t->mem = NULL;
}

/* Byte i of the ring data area counted from pos, with wrap. */
static uint8_t
tr_byte(const struct test_ring *t, uint32_t pos, uint32_t i)
{
	return t->mem[CTL_BYTES + (pos + i) % t->size];
}

static void
desc_fill(struct hv_vmbus_desc *d, uint16_t type, uint16_t offset8, uint16_t len8, uint64_t xid)
{
	d->type = type;
	d->offset8 = offset8;
	d->len8 = len8;
	d->flags = 0;
	d->tid = xid;
}

/* Write one packet of len8 * 8 bytes (offset8 2, payload byte i = i) with hvbus_ring_write. */
static int
tr_write_simple(struct test_ring *t, uint16_t type, uint16_t len8, bool *need_sig)
{
	static uint8_t buf[MAX_DATA];
	struct iovec iov = { .iov_base = buf, .iov_len = (size_t)len8 * 8 };
	uint32_t i;

	for (i = 0; i < iov.iov_len; i++)
		buf[i] = (uint8_t)i;
	desc_fill((struct hv_vmbus_desc *)buf, type, 2, len8, len8);
	return hvbus_ring_write(&t->tx, &iov, 1, need_sig);
}

/* ---- reference model test ------------------------------------------------------------------ */

struct mpkt {
	uint64_t seed;		/* content generator */
	uint32_t start;		/* ring position of the descriptor */
	uint32_t bytes;		/* unpadded length, descriptor included */
};

struct model {
	struct mpkt q[MODEL_CAP];
	uint32_t head, tail, published;	/* q[head..published) readable, [published..tail) staged */
	uint32_t w_priv, w_pub, r_priv, r_pub;
	uint64_t rng;
	uint64_t writes, eagain, reads, wraps, sigs;
};

static uint32_t
pad8(uint32_t n)
{
	return (n + 7u) & ~7u;
}

static uint32_t
mdist(uint32_t size, uint32_t from, uint32_t to)
{
	return (to + size - from) % size;
}

/* Packet bytes from its seed: the descriptor then pseudo-random payload. */
static void
mpkt_render(const struct mpkt *p, uint8_t *buf)
{
	uint64_t s = p->seed;
	uint16_t len8 = (uint16_t)(pad8(p->bytes) / 8);
	uint16_t offset8 = (uint16_t)(2 + rng_below(&s, len8 - 1u));
	static const uint16_t types[] = { 6, 7, 9, 11 };
	struct hv_vmbus_desc d;
	uint64_t word;
	uint32_t i;

	desc_fill(&d, types[rng_below(&s, 4)], offset8, len8, rng_next(&s));
	d.flags = (uint16_t)rng_below(&s, 2);
	memcpy(buf, &d, sizeof(d));
	for (i = sizeof(d); i < p->bytes; i += 8) {
		word = rng_next(&s);
		memcpy(buf + i, &word, p->bytes - i < 8 ? p->bytes - i : 8);
	}
}

static uint32_t
model_pick_len(struct model *m, uint32_t size)
{
	uint32_t k = rng_below(&m->rng, 100);

	if (k < 70)
		return 16 + rng_below(&m->rng, 241);
	if (k < 95)
		return 16 + rng_below(&m->rng, 2033);
	return 16 + rng_below(&m->rng, size / 2);
}

/* Split buf into 1..4 iovecs (iov[0] holds the descriptor; empty ones allowed after it). */
static unsigned int
split_iov(struct model *m, uint8_t *buf, uint32_t bytes, struct iovec *iov)
{
	unsigned int n = 1 + rng_below(&m->rng, 4), i;
	uint32_t off = 0, cut;

	for (i = 0; i < n - 1; i++) {
		cut = off + rng_below(&m->rng, bytes - off + 1);
		if (i == 0 && cut < 16)
			cut = 16;
		iov[i].iov_base = buf + off;
		iov[i].iov_len = cut - off;
		off = cut;
	}
	iov[i].iov_base = buf + off;
	iov[i].iov_len = bytes - off;
	return n;
}

static void
model_stage_one(struct model *m, struct test_ring *t)
{
	static uint8_t buf[MAX_DATA], snap[CTL_BYTES + MAX_DATA];
	uint8_t snap_tail[64];
	struct iovec iov[4];
	struct mpkt p = { .seed = rng_next(&m->rng), .start = m->w_priv };
	uint32_t total, used, tail_len = t->size - m->w_priv < 64 ? t->size - m->w_priv : 64;
	unsigned int n;
	bool full_snap = rng_below(&m->rng, 64) == 0;
	int rc;

	p.bytes = model_pick_len(m, t->size);
	total = pad8(p.bytes) + 8;
	used = mdist(t->size, m->r_pub, m->w_priv);
	mpkt_render(&p, buf);
	n = split_iov(m, buf, p.bytes, iov);
	if (full_snap)
		memcpy(snap, t->mem, CTL_BYTES + t->size);
	memcpy(snap_tail, t->mem + CTL_BYTES + m->w_priv, tail_len);
	rc = hvbus_ring_write_staged(&t->tx, iov, n);
	if (t->size - used > total) {
		CHECK(rc == 0, "stage %u bytes, used %u of %u: rc %d", p.bytes, used, t->size, rc);
		m->q[m->tail++ % MODEL_CAP] = p;
		m->w_priv = (m->w_priv + total) % t->size;
		m->writes++;
	} else {
		CHECK(rc == -EAGAIN, "full ring (used %u, total %u): rc %d", used, total, rc);
		CHECK(t->tx.priv == m->w_priv, "priv moved on EAGAIN");
		CHECK(memcmp(snap_tail, t->mem + CTL_BYTES + m->w_priv, tail_len) == 0,
		      "ring written on EAGAIN");
		if (full_snap)
			CHECK(memcmp(snap, t->mem, CTL_BYTES + t->size) == 0,
			      "ring changed on EAGAIN");
		m->eagain++;
	}
}

/* Stage 1..8 packets and publish once; check the 2.4 signal decision. */
static void
model_write_op(struct model *m, struct test_ring *t)
{
	unsigned int n = 1 + rng_below(&m->rng, 8), i;
	uint32_t imask = rng_below(&m->rng, 3) == 0;
	bool sig = false, want;

	tr_ctl(t)->interrupt_mask = imask;
	for (i = 0; i < n; i++)
		model_stage_one(m, t);
	want = m->w_priv != m->w_pub && imask == 0 && m->r_pub == m->w_pub;
	hvbus_ring_publish(&t->tx, &sig);
	CHECK(sig == want, "publish signal %d, want %d", sig, want);
	CHECK(tr_ctl(t)->write_index == m->w_priv, "write_index %u, want %u",
	      tr_ctl(t)->write_index, m->w_priv);
	m->published = m->tail;
	m->w_pub = m->w_priv;
	m->sigs += sig;
}

/* Compare a peeked packet with the model, including padding and trailer in the ring. */
static void
model_check_pkt(struct model *m, struct test_ring *t, const struct mpkt *p,
		const struct hvbus_ring_pkt *pkt)
{
	static uint8_t want[MAX_DATA];
	struct hv_vmbus_desc d;
	uint32_t padded = pad8(p->bytes), i;
	uint64_t trailer = 0;

	mpkt_render(p, want);
	memcpy(&d, want, sizeof(d));
	CHECK(pkt->len == padded && pkt->type == d.type && pkt->xid == d.tid &&
	      pkt->flags == d.flags && pkt->hdr_len == d.offset8 * 8u,
	      "header of packet at %u", p->start);
	CHECK(memcmp(pkt->buf, want, p->bytes) == 0, "content of packet at %u", p->start);
	for (i = p->bytes; i < padded; i++)
		CHECK(pkt->buf[i] == 0 && tr_byte(t, p->start, i) == 0, "padding byte %u", i);
	for (i = 0; i < 8; i++)
		trailer |= (uint64_t)tr_byte(t, p->start, padded + i) << (8 * i);
	CHECK(trailer == (uint64_t)p->start << 32, "trailer %#" PRIx64 " at %u", trailer, p->start);
	m->wraps += p->start + padded > t->size;
}

/* Peek with a too small bounce when the next packet wraps: -EPROTO, nothing consumed. */
static void
model_small_bounce(struct test_ring *t, const struct mpkt *p, uint8_t *bounce)
{
	struct hvbus_ring_pkt pkt = { .buf = NULL };
	uint32_t padded = pad8(p->bytes), before = t->rx.priv;

	if (p->start + padded <= t->size)
		return;
	CHECK(hvbus_ring_peek(&t->rx, &pkt, bounce, padded - 8) == -EPROTO, "small bounce");
	CHECK(t->rx.priv == before, "small bounce moved priv");
}

static void
model_check_commit(struct model *m, struct test_ring *t, uint32_t done)
{
	uint32_t pending = rng_below(&m->rng, 3) == 0 ? 0 : rng_below(&m->rng, t->size + 64);
	uint32_t feat = rng_below(&m->rng, 8) != 0;
	uint32_t new_free = t->size - mdist(t->size, m->r_priv, m->w_pub);
	bool sig = false, want;

	tr_ctl(t)->pending_send_sz = pending;
	tr_ctl(t)->feature_bits = feat;
	want = done != 0 && feat && pending != 0 && pending <= new_free &&
	       pending >= new_free - done;
	hvbus_ring_read_commit(&t->rx, &sig);
	CHECK(sig == want, "commit signal %d want %d (pending %u free %u done %u)", sig, want,
	      pending, new_free, done);
	CHECK(tr_ctl(t)->read_index == m->r_priv, "read_index %u want %u",
	      tr_ctl(t)->read_index, m->r_priv);
	m->r_pub = m->r_priv;
	tr_ctl(t)->feature_bits = 1;
}

/* Peek 1..16 packets, then commit once. */
static void
model_read_op(struct model *m, struct test_ring *t)
{
	static uint8_t bounce[MAX_DATA];
	unsigned int n = 1 + rng_below(&m->rng, 16), i;
	struct hvbus_ring_pkt pkt = { .buf = NULL };
	const struct mpkt *p;
	uint32_t done = 0;
	int rc;

	for (i = 0; i < n; i++) {
		if (m->head == m->published) {
			CHECK(hvbus_ring_peek(&t->rx, &pkt, bounce, sizeof(bounce)) == -EAGAIN,
			      "peek on empty");
			break;
		}
		p = &m->q[m->head % MODEL_CAP];
		if (rng_below(&m->rng, 4) == 0)
			model_small_bounce(t, p, bounce);
		rc = hvbus_ring_peek(&t->rx, &pkt, bounce, sizeof(bounce));
		CHECK(rc == 0, "peek rc %d", rc);
		if (rc != 0)
			return;
		model_check_pkt(m, t, p, &pkt);
		m->head++;
		m->r_priv = (m->r_priv + pad8(p->bytes) + 8) % t->size;
		done += pad8(p->bytes) + 8;
		m->reads++;
	}
	CHECK(hvbus_ring_bytes_to_read(&t->rx) == mdist(t->size, m->r_priv, m->w_pub),
	      "bytes_to_read");
	model_check_commit(m, t, done);
	CHECK(hvbus_ring_bytes_free(&t->tx) == t->size - mdist(t->size, m->r_pub, m->w_priv),
	      "bytes_free");
}

/* One round: a ring of 8..64 KiB starting at a random index, OPS_PER_ROUND random ops. */
static void
model_round(uint64_t seed, struct model *m)
{
	struct test_ring t;
	uint32_t size = (2 + (uint32_t)(seed % 15)) * HV_PAGE_SIZE, start, i;

	memset(m, 0, sizeof(*m));
	m->rng = seed;
	start = rng_below(&m->rng, size / 8) * 8;
	tr_init(&t, size, start);
	m->w_priv = m->w_pub = m->r_priv = m->r_pub = start;
	for (i = 0; i < OPS_PER_ROUND && check_failures == 0; i++) {
		/* Drift between write-heavy and read-heavy phases to hit both full and empty. */
		if (rng_below(&m->rng, 100) < ((i / 2000) % 2 ? 80u : 30u))
			model_write_op(m, &t);
		else
			model_read_op(m, &t);
	}
	tr_free(&t);
}

static void
test_model(uint64_t seed, unsigned int rounds)
{
	static struct model m;
	uint64_t writes = 0, eagain = 0, reads = 0, wraps = 0, sigs = 0;
	unsigned int i;

	for (i = 0; i < rounds && check_failures == 0; i++) {
		model_round(seed + i * 0x1000193ull, &m);
		writes += m.writes;
		eagain += m.eagain;
		reads += m.reads;
		wraps += m.wraps;
		sigs += m.sigs;
	}
	printf("model: %u rounds x %u ops: %" PRIu64 " packets written, %" PRIu64
	       " EAGAIN, %" PRIu64 " read (%" PRIu64 " wrapped), %" PRIu64 " signals\n",
	       rounds, OPS_PER_ROUND, writes, eagain, reads, wraps, sigs);
	CHECK(rounds == 0 || (wraps > 0 && eagain > 0 && sigs > 0),
	      "coverage: wraps, full ring and signals");
}

/* ---- signal rules, table driven ------------------------------------------------------------ */

/* Stage n 16-byte packets (24 ring bytes each) without publishing them. */
static bool
stage_burst(struct test_ring *t, unsigned int n)
{
	struct hv_vmbus_desc d;
	struct iovec iov = { .iov_base = &d, .iov_len = sizeof(d) };
	unsigned int i;

	desc_fill(&d, HV_PKT_DATA_INBAND, 2, 2, 0);
	for (i = 0; i < n; i++)
		if (hvbus_ring_write_staged(&t->tx, &iov, 1) != 0)
			return false;
	return true;
}

/* 2.4: signal only when the host's mask is 0 and it had consumed everything published. */
static void
test_write_signal(void)
{
	static const struct {
		uint32_t imask;
		bool host_behind;	/* one packet published before, not yet read by the host */
		bool sticky;		/* need_sig already true when called */
		bool want;
	} tab[] = {
		{ 0, false, false, true },
		{ 1, false, false, false },
		{ 0, true, false, false },
		{ 1, true, false, false },
		{ 1, true, true, true },	/* a false decision never clears the flag */
	};
	struct test_ring t;
	unsigned int i;
	bool sig;

	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		tr_init(&t, 8192, 8192 - 64);
		sig = false;
		if (tab[i].host_behind)
			CHECK(tr_write_simple(&t, 6, 4, &sig) == 0, "row %u first write", i);
		tr_ctl(&t)->interrupt_mask = tab[i].imask;
		sig = tab[i].sticky;
		CHECK(tr_write_simple(&t, 6, 16, &sig) == 0, "row %u write", i);
		CHECK(sig == tab[i].want, "row %u: signal %d want %d", i, sig, tab[i].want);
		tr_free(&t);
	}
	/* A burst staged then published once decides once, on the state before the burst. */
	tr_init(&t, 8192, 0);
	sig = false;
	CHECK(tr_write_simple(&t, 6, 2, &sig) == 0 && sig, "first packet of an empty ring");
	tr_ctl(&t)->read_index = tr_ctl(&t)->write_index;	/* the host drained it */
	sig = false;
	CHECK(stage_burst(&t, 3) && tr_ctl(&t)->write_index == 24, "burst not published yet");
	hvbus_ring_publish(&t.tx, &sig);
	CHECK(sig && tr_ctl(&t)->write_index == 24 + 3 * 24, "burst into a drained ring");
	sig = false;
	CHECK(stage_burst(&t, 2), "second burst");
	hvbus_ring_publish(&t.tx, &sig);
	CHECK(!sig, "burst while the host is behind");
	hvbus_ring_publish(&t.tx, &sig);
	CHECK(!sig, "publish with nothing staged");
	tr_free(&t);
}

/*
 * 2.5: ring of 8 KiB; the host wrote packets of 64 ring bytes (40 free bytes stay), we read
 * 'nread' of them in one batch: new_free = 8192 - 64 * (npkt - nread), old = new - 64 * nread.
 */
static void
test_read_signal(void)
{
	static const struct {
		uint32_t npkt, nread, feat, pending;
		bool want;
	} tab[] = {
		{ 100, 2, 1, 0, false },	/* host not waiting */
		{ 100, 2, 0, 1792, false },	/* no feature bit: no promise */
		{ 100, 2, 1, 1791, false },	/* old_free 1792 was already enough */
		{ 100, 2, 1, 1792, true },	/* Linux edge: old_free <= pending */
		{ 100, 2, 1, 1800, true },
		{ 100, 2, 1, 1920, true },	/* openvmm edge: new_free >= pending */
		{ 100, 2, 1, 1921, false },	/* still not enough */
		{ 100, 0, 1, 1792, false },	/* empty commit */
		{ 127, 127, 1, 8000, true },	/* drained from nearly full */
	};
	struct hvbus_ring_pkt pkt = { .buf = NULL };
	struct test_ring t;
	uint8_t bounce[64];
	unsigned int i, k;
	bool sig;

	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		tr_init(&t, 8192, 4096);
		for (k = 0; k < tab[i].npkt; k++)
			CHECK(tr_write_simple(&t, 11, 7, &sig) == 0, "row %u fill %u", i, k);
		for (k = 0; k < tab[i].nread; k++)
			CHECK(hvbus_ring_peek(&t.rx, &pkt, bounce, sizeof(bounce)) == 0,
			      "row %u read %u", i, k);
		tr_ctl(&t)->feature_bits = tab[i].feat;
		tr_ctl(&t)->pending_send_sz = tab[i].pending;
		sig = false;
		hvbus_ring_read_commit(&t.rx, &sig);
		CHECK(sig == tab[i].want, "row %u: signal %d want %d", i, sig, tab[i].want);
		tr_free(&t);
	}
	/* The 128th packet of 64 bytes would leave the ring full: refused. */
	tr_init(&t, 8192, 0);
	for (k = 0; k < 127; k++)
		CHECK(tr_write_simple(&t, 6, 7, &sig) == 0, "fill %u", k);
	CHECK(tr_write_simple(&t, 6, 7, &sig) == -EAGAIN, "full ring");
	CHECK(tr_write_simple(&t, 6, 3, &sig) == 0, "32 bytes still fit in 64 free");
	CHECK(hvbus_ring_bytes_free(&t.tx) == 32, "free %u", hvbus_ring_bytes_free(&t.tx));
	tr_free(&t);
}

/* ---- malformed input ----------------------------------------------------------------------- */

/* Peek must fail with -EPROTO and leave the private index alone. */
static void
expect_proto(struct test_ring *t, size_t bounce_len, const char *what)
{
	static uint8_t bounce[MAX_DATA];
	struct hvbus_ring_pkt pkt = { .buf = NULL };
	uint32_t before = t->rx.priv;
	int rc = hvbus_ring_peek(&t->rx, &pkt, bounce, bounce_len);

	CHECK(rc == -EPROTO && t->rx.priv == before, "%s: rc %d", what, rc);
}

/* A ring holding one 64-byte packet (len8 8) at start; returns the descriptor in the ring. */
static struct hv_vmbus_desc *
one_packet(struct test_ring *t, uint32_t start)
{
	bool sig;

	tr_init(t, 8192, start);
	CHECK(tr_write_simple(t, 6, 8, &sig) == 0, "write at %u", start);
	return (struct hv_vmbus_desc *)(t->mem + CTL_BYTES + start);
}

static void
test_bad_descriptors(void)
{
	static const uint16_t bad_types[] = { 0, 1, 2, 5, 8, 10, 12, 13, 31, 32, 0xffff };
	static const struct {
		uint16_t offset8, len8;
		const char *what;
	} bad_len[] = {
		{ 0, 8, "offset8 0" }, { 1, 8, "offset8 1" }, { 9, 8, "len8 < offset8" },
		{ 2, 9, "len8 one past the data" }, { 2, 1024, "len8 past the ring" },
		{ 0xffff, 0xffff, "max fields" }, { 2, 1, "len8 < 2" },
	};
	struct hvbus_ring_pkt pkt = { .buf = NULL };
	struct hv_vmbus_desc *d;
	struct test_ring t;
	uint8_t bounce[64];
	unsigned int i;

	for (i = 0; i < sizeof(bad_types) / sizeof(bad_types[0]); i++) {
		d = one_packet(&t, 0);
		d->type = bad_types[i];
		expect_proto(&t, 64, "unknown type");
		tr_free(&t);
	}
	for (i = 0; i < sizeof(bad_len) / sizeof(bad_len[0]); i++) {
		d = one_packet(&t, 8192 - 128);
		d->offset8 = bad_len[i].offset8;
		d->len8 = bad_len[i].len8;
		expect_proto(&t, 64, bad_len[i].what);
		tr_free(&t);
	}
	/* Boundary: offset8 == len8 (no payload) is fine. */
	d = one_packet(&t, 0);
	d->offset8 = 8;
	CHECK(hvbus_ring_peek(&t.rx, &pkt, bounce, 64) == 0 && pkt.hdr_len == 64 &&
	      hvbus_ring_pkt_payload_len(&pkt) == 0, "offset8 == len8");
	tr_free(&t);
}

static void
test_bad_indices(void)
{
	struct hvbus_ring_pkt pkt = { .buf = NULL };
	struct test_ring t;
	uint8_t bounce[64];
	bool sig = false;

	one_packet(&t, 0);
	tr_ctl(&t)->write_index = 68;			/* not a multiple of 8 */
	expect_proto(&t, 64, "unaligned write_index");
	tr_ctl(&t)->write_index = 8192;			/* == size */
	expect_proto(&t, 64, "write_index == size");
	tr_ctl(&t)->write_index = 0xfffffff8u;
	expect_proto(&t, 64, "huge write_index");
	CHECK(hvbus_ring_bytes_to_read(&t.rx) == 0, "bytes_to_read on corrupt index");
	tr_ctl(&t)->write_index = 8;			/* less than a descriptor + trailer */
	expect_proto(&t, 64, "8 bytes available");
	tr_ctl(&t)->write_index = 16;
	expect_proto(&t, 64, "16 bytes available");
	tr_ctl(&t)->write_index = 64;			/* packet 64 + trailer 8 > 64 */
	expect_proto(&t, 64, "trailer missing");
	tr_ctl(&t)->write_index = 72;
	CHECK(hvbus_ring_peek(&t.rx, &pkt, bounce, 64) == 0, "repaired index");
	/* The writer reloads a corrupt host read index only when it needs room. */
	tr_ctl(&t)->read_index = 12;
	CHECK(hvbus_ring_bytes_free(&t.tx) == 0, "bytes_free on corrupt index");
	CHECK(tr_write_simple(&t, 6, 100, &sig) == 0, "cached read index has room");
	CHECK(tr_write_simple(&t, 6, 1000, &sig) == -EPROTO, "corrupt read_index");
	tr_free(&t);
	/* Attach refuses corrupt indices and bad geometry. */
	tr_init(&t, 8192, 0);
	tr_ctl(&t)->read_index = 4;
	CHECK(hvbus_ring_attach_rx(&t.rx, t.mem, CTL_BYTES + 8192, CTL_BYTES) == -EPROTO, "ridx");
	CHECK(hvbus_ring_attach_tx(&t.tx, t.mem, CTL_BYTES + 8192, CTL_BYTES) == -EPROTO, "ridx");
	tr_ctl(&t)->read_index = 0;
	tr_ctl(&t)->write_index = 8192;
	CHECK(hvbus_ring_attach_rx(&t.rx, t.mem, CTL_BYTES + 8192, CTL_BYTES) == -EPROTO, "widx");
	CHECK(hvbus_ring_attach_rx(&t.rx, t.mem, CTL_BYTES, CTL_BYTES) == -EINVAL, "no data");
	CHECK(hvbus_ring_attach_rx(&t.rx, t.mem, CTL_BYTES + 6000, CTL_BYTES) == -EINVAL, "6000");
	CHECK(hvbus_ring_attach_rx(&t.rx, t.mem, 8192, 2048) == -EINVAL, "small header");
	CHECK(hvbus_ring_attach_rx(&t.rx, t.mem + 4, 8192, 4096) == -EINVAL, "unaligned");
	CHECK(hvbus_ring_attach_tx(&t.tx, NULL, 8192, 4096) == -EINVAL, "NULL");
	tr_free(&t);
}

static void
test_bounce_and_wrap(void)
{
	static uint8_t bounce[128];
	struct hvbus_ring_pkt pkt = { .buf = NULL };
	struct hv_vmbus_desc *d;
	struct test_ring t;
	uint32_t start;

	/* Descriptor itself split by the end of the data area, then every split point. */
	for (start = 8192 - 56; start < 8192; start += 8) {
		one_packet(&t, start);
		expect_proto(&t, 63, "bounce too small");
		CHECK(hvbus_ring_peek(&t.rx, &pkt, bounce, 64) == 0 && pkt.buf == bounce &&
		      pkt.len == 64 && pkt.xid == 8, "wrapped packet at %u", start);
		CHECK(pkt.buf[63] == 63 && t.rx.priv == (start + 72) % 8192, "wrapped content");
		tr_free(&t);
	}
	/* In place: the returned header is our copy, not what the host writes afterwards. */
	d = one_packet(&t, 128);
	CHECK(hvbus_ring_peek(&t.rx, &pkt, NULL, 0) == 0 && pkt.buf == (uint8_t *)d, "in place");
	d->len8 = 0xffff;
	CHECK(pkt.len == 64, "header copy");
	tr_free(&t);
}

/* Every two-cut split of a 60-byte packet, at every start near the end of the data area. */
static void
test_iov_splits(void)
{
	uint8_t buf[60], bounce[64];
	struct hvbus_ring_pkt pkt = { .buf = NULL };
	struct test_ring t;
	struct iovec iov[3];
	uint32_t start, a, b, i;
	bool sig;

	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i + 1);
	desc_fill((struct hv_vmbus_desc *)buf, HV_PKT_COMPLETION, 2, 8, 0);
	tr_init(&t, 8192, 0);
	for (start = 8192 - 72; start < 8192; start += 8) {
		for (a = 16; a <= sizeof(buf); a++) {
			for (b = a; b <= sizeof(buf); b++) {
				t.tx.priv = t.tx.pub = t.rx.priv = t.rx.pub = start;
				tr_ctl(&t)->write_index = tr_ctl(&t)->read_index = start;
				iov[0] = (struct iovec){ buf, a };
				iov[1] = (struct iovec){ buf + a, b - a };
				iov[2] = (struct iovec){ buf + b, sizeof(buf) - b };
				CHECK(hvbus_ring_write(&t.tx, iov, 3, &sig) == 0, "write");
				CHECK(hvbus_ring_peek(&t.rx, &pkt, bounce, sizeof(bounce)) == 0 &&
				      memcmp(pkt.buf, buf, sizeof(buf)) == 0 &&
				      memcmp(pkt.buf + 60, "\0\0\0\0", 4) == 0,
				      "start %u cuts %u %u", start, a, b);
			}
		}
	}
	tr_free(&t);
}

static void
test_bad_writes(void)
{
	static uint8_t buf[MAX_DATA];
	struct hv_vmbus_desc *d = (struct hv_vmbus_desc *)buf;
	struct iovec iov[2] = { { buf, 16 }, { buf + 16, 20 } };
	struct test_ring t;
	bool sig = false;

	tr_init(&t, 8192, 0);
	desc_fill(d, 6, 2, 5, 0);
	CHECK(hvbus_ring_write(&t.tx, iov, 2, &sig) == 0, "36 bytes, len8 5");
	desc_fill(d, 6, 2, 6, 0);
	CHECK(hvbus_ring_write(&t.tx, iov, 2, &sig) == -EINVAL, "len8 too big");
	desc_fill(d, 6, 1, 5, 0);
	CHECK(hvbus_ring_write(&t.tx, iov, 2, &sig) == -EINVAL, "offset8 1");
	desc_fill(d, 6, 6, 5, 0);
	CHECK(hvbus_ring_write(&t.tx, iov, 2, &sig) == -EINVAL, "offset8 > len8");
	iov[0].iov_len = 8;
	iov[1].iov_len = 28;
	desc_fill(d, 6, 2, 5, 0);
	CHECK(hvbus_ring_write(&t.tx, iov, 2, &sig) == -EINVAL, "descriptor split");
	iov[0].iov_len = 8192 - 8;
	d->len8 = (8192 - 8) / 8;
	CHECK(hvbus_ring_write(&t.tx, iov, 1, &sig) == -EMSGSIZE, "never fits");
	iov[0].iov_len = 16;
	iov[1].iov_base = NULL;
	iov[1].iov_len = 8;
	CHECK(hvbus_ring_write(&t.tx, iov, 2, &sig) == -EINVAL, "NULL iov base");
	iov[1].iov_len = (size_t)-1;
	CHECK(hvbus_ring_write(&t.tx, iov, 2, &sig) == -EINVAL, "huge iov");
	CHECK(t.tx.priv == 48 && tr_ctl(&t)->write_index == 48, "only the good packet written");
	tr_free(&t);
}

/*
 * hvbus_ring_write_small() writes what hvbus_ring_write_pkt() writes, byte for byte, and
 * declines (nothing written) whatever it does not take: a wrap, a full ring, other sizes.
 */
static void
test_small_writes(void)
{
	static const uint32_t room[] = { 0, 24, 32, 40, 48, 56, 64, 72, 4096 };
	uint8_t payload[HVBUS_RING_SMALL_MAX + 1];
	struct test_ring a, b;
	struct hv_vmbus_desc da, db;
	uint32_t start, len, i, taken = 0, declined = 0;
	int rc;

	for (i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)(0xa0 + i);
	tr_init(&a, 8192, 0);
	tr_init(&b, 8192, 0);
	for (start = 8192 - 96; start < 8192; start += 8) {
		for (i = 0; i < sizeof(room) / sizeof(room[0]); i++) {
			for (len = 0; len <= HVBUS_RING_SMALL_MAX + 1; len++) {
				struct iovec iov = { payload, len };
				uint32_t peer = (start + room[i]) % 8192;

				memset(a.mem + CTL_BYTES, 0x5a, 8192);
				memset(b.mem + CTL_BYTES, 0x5a, 8192);
				a.tx.priv = a.tx.pub = b.tx.priv = b.tx.pub = start;
				a.tx.peer = b.tx.peer = peer;
				tr_ctl(&a)->write_index = tr_ctl(&b)->write_index = start;
				tr_ctl(&a)->read_index = tr_ctl(&b)->read_index = peer;
				desc_fill(&da, HV_PKT_COMPLETION, 0, 0, 0x1122334455667788ull);
				db = da;
				rc = hvbus_ring_write_small(&a.tx, &da, payload, len);
				if (rc == 1) {
					declined++;
					CHECK(a.tx.priv == start &&
					      memcmp(a.mem + CTL_BYTES, b.mem + CTL_BYTES, 8192) == 0,
					      "declined small write touched the ring");
					rc = hvbus_ring_write_pkt(&a.tx, &da, sizeof(da), &iov,
								  len != 0);
				} else {
					taken++;
					CHECK(len >= 1 && len <= HVBUS_RING_SMALL_MAX,
					      "small write took %u bytes", len);
				}
				CHECK(rc == hvbus_ring_write_pkt(&b.tx, &db, sizeof(db), &iov,
								 len != 0) &&
				      a.tx.priv == b.tx.priv &&
				      memcmp(a.mem + CTL_BYTES, b.mem + CTL_BYTES, 8192) == 0,
				      "start %u room %u len %u: small and general writes differ",
				      start, room[i], len);
			}
		}
	}
	CHECK(hvbus_ring_write_small(&a.tx, &da, NULL, 8) == 1, "NULL payload declined");
	CHECK(taken != 0 && declined != 0, "both paths run (%u taken, %u declined)", taken,
	      declined);
	tr_free(&a);
	tr_free(&b);
}

/* A plausible descriptor at the read position: valid type, lengths around the limits. */
static void
fuzz_desc(struct test_ring *t, uint64_t *s)
{
	static const uint16_t types[] = { 6, 7, 9, 11, 8 };
	struct hv_vmbus_desc d;
	uint32_t i;

	desc_fill(&d, types[rng_below(s, 5)], (uint16_t)rng_below(s, 6),
		  (uint16_t)rng_below(s, 4) == 0 ? (uint16_t)rng_next(s) :
		  (uint16_t)rng_below(s, t->size / 8 + 2), 0);
	/* The descriptor may straddle the end of the data area, like in a real ring. */
	for (i = 0; i < sizeof(d); i++)
		t->mem[CTL_BYTES + (t->rx.priv + i) % t->size] = ((uint8_t *)&d)[i];
}

/* A hostile host: random ring bytes and indices must only ever give in-bounds packets. */
static void
test_fuzz(uint64_t seed)
{
	static uint8_t bounce[MAX_DATA];
	struct hvbus_ring_pkt pkt = { .buf = NULL };
	struct test_ring t;
	uint64_t s = seed, ok = 0;
	uint32_t i, j;
	int rc;

	tr_init(&t, 16384, 0);
	for (i = 0; i < 20000; i++) {
		for (j = 0; j < 16; j++)
			t.mem[CTL_BYTES + rng_below(&s, t.size)] = (uint8_t)rng_next(&s);
		if (rng_below(&s, 2) == 0)
			fuzz_desc(&t, &s);
		tr_ctl(&t)->write_index = rng_below(&s, 4) == 0 ? (uint32_t)rng_next(&s) :
					  rng_below(&s, t.size / 8) * 8;
		rc = hvbus_ring_peek(&t.rx, &pkt, bounce, rng_below(&s, sizeof(bounce)));
		if (rc != 0)
			continue;
		ok++;
		CHECK(pkt.len + 8 <= t.size && pkt.hdr_len >= 16 && pkt.hdr_len <= pkt.len,
		      "fuzz packet bounds");
		CHECK(pkt.buf == bounce || (pkt.buf >= t.mem + CTL_BYTES &&
		      pkt.buf + pkt.len <= t.mem + CTL_BYTES + t.size), "fuzz packet location");
		hvbus_ring_read_commit(&t.rx, &(bool){ false });
	}
	printf("fuzz: 20000 hostile peeks, %" PRIu64 " accepted in bounds\n", ok);
	tr_free(&t);
}

/* ---- transfer-page packets ----------------------------------------------------------------- */

static void
test_xfer(void)
{
	static const struct {
		uint16_t type, offset8;
		uint32_t count;
		int want;
	} tab[] = {
		{ 7, 4, 1, 0 }, { 7, 10, 7, 0 }, { 7, 10, 1, 0 },
		{ 7, 4, 0, -EPROTO }, { 7, 4, 2, -EPROTO }, { 7, 3, 1, -EPROTO },
		{ 7, 2, 1, -EPROTO }, { 7, 10, 0xffffffffu, -EPROTO }, { 7, 10, 8, -EPROTO },
		{ 6, 4, 1, -EINVAL }, { 11, 4, 1, -EINVAL },
	};
	uint64_t buf[16] = { 0 };
	struct hv_xfer_page_hdr hdr = { .set_id = HV_RXBUF_ID };
	struct hv_xfer_page_range range = { .byte_count = 1500, .byte_offset = 4096 };
	struct hvbus_ring_xfer x;
	struct hvbus_ring_pkt pkt = { .buf = (uint8_t *)buf, .len = 128 };
	unsigned int i;
	int rc;

	memcpy((uint8_t *)buf + 24, &range, sizeof(range));
	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		hdr.range_count = tab[i].count;
		memcpy((uint8_t *)buf + 16, &hdr, sizeof(hdr));
		pkt.type = tab[i].type;
		pkt.hdr_len = tab[i].offset8 * 8u;
		memset(&x, 0, sizeof(x));
		rc = hvbus_ring_parse_xfer(&pkt, &x);
		CHECK(rc == tab[i].want, "row %u: rc %d want %d", i, rc, tab[i].want);
		if (rc == 0)
			CHECK(x.range_count == tab[i].count && x.set_id == HV_RXBUF_ID &&
			      x.ranges[0].byte_count == 1500 && x.ranges[0].byte_offset == 4096 &&
			      (const uint8_t *)x.ranges == (uint8_t *)buf + 24, "row %u fields", i);
	}
}

/* ---- two threads: the barriers in practice (also run under -fsanitize=thread) -------------- */

#define THREAD_PKTS	200000u
#define THREAD_LIMIT_S	60

struct thread_ctx {
	struct test_ring t;
	struct timespec deadline;
	uint32_t bad;		/* reader: first mismatching sequence number + 1 */
	bool timed_out;
};

static bool
past_deadline(const struct timespec *deadline)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > deadline->tv_sec;
}

/*
 * The other side has not moved: give up the core now and then, so that the test still ends
 * in time on a machine with fewer free cores than threads (CI, sanitizers, a loaded host).
 */
static void
thread_wait(uint32_t spins)
{
	if (spins % 64 == 0)
		sched_yield();
}

static uint32_t
thread_pkt_len(uint32_t seq)
{
	return 16 + (seq * 2654435761u) % 1500;
}

static void *
thread_writer(void *arg)
{
	struct thread_ctx *c = arg;
	static uint8_t buf[2048];
	struct iovec iov[2];
	uint32_t seq, len, i, spins = 0;
	bool sig;

	for (seq = 0; seq < THREAD_PKTS; seq++) {
		len = thread_pkt_len(seq);
		desc_fill((struct hv_vmbus_desc *)buf, HV_PKT_DATA_INBAND, 2,
			  (uint16_t)(pad8(len) / 8), seq);
		for (i = 16; i < len; i++)
			buf[i] = (uint8_t)(seq * 131 + i);
		/* Two iovecs, the cut moving through the first payload bytes. */
		iov[0] = (struct iovec){ buf, 16 + (seq % 17) < len ? 16 + (seq % 17) : len };
		iov[1] = (struct iovec){ buf + iov[0].iov_len, len - iov[0].iov_len };
		while (hvbus_ring_write(&c->t.tx, iov, 2, &sig) != 0) {
			thread_wait(++spins);
			if (spins % 1024 == 0 && past_deadline(&c->deadline)) {
				c->timed_out = true;
				return NULL;
			}
		}
	}
	return NULL;
}

static bool
thread_pkt_ok(const struct hvbus_ring_pkt *pkt, uint32_t seq)
{
	uint32_t len = thread_pkt_len(seq), i;

	if (pkt->xid != seq || pkt->len != pad8(len))
		return false;
	for (i = 16; i < len; i++)
		if (pkt->buf[i] != (uint8_t)(seq * 131 + i))
			return false;
	return true;
}

static void *
thread_reader(void *arg)
{
	struct thread_ctx *c = arg;
	static uint8_t bounce[2048];
	struct hvbus_ring_pkt pkt = { .buf = NULL };
	uint32_t seq = 0, spins = 0;
	bool sig;
	int rc;

	while (seq < THREAD_PKTS && c->bad == 0) {
		rc = hvbus_ring_peek(&c->t.rx, &pkt, bounce, sizeof(bounce));
		if (rc == 0) {
			if (!thread_pkt_ok(&pkt, seq))
				c->bad = seq + 1;
			if (++seq % 7 == 0)
				hvbus_ring_read_commit(&c->t.rx, &sig);
			continue;
		}
		if (rc != -EAGAIN) {
			c->bad = seq + 1;
			break;
		}
		hvbus_ring_read_commit(&c->t.rx, &sig);
		thread_wait(++spins);
		if (spins % 1024 == 0 && past_deadline(&c->deadline)) {
			c->timed_out = true;
			break;
		}
	}
	hvbus_ring_read_commit(&c->t.rx, &sig);
	return NULL;
}

static void
test_threads(void)
{
	static struct thread_ctx c;
	pthread_t w, r;

	tr_init(&c.t, 16384, 16384 - 256);
	clock_gettime(CLOCK_MONOTONIC, &c.deadline);
	c.deadline.tv_sec += THREAD_LIMIT_S;
	if (pthread_create(&w, NULL, thread_writer, &c) != 0 ||
	    pthread_create(&r, NULL, thread_reader, &c) != 0) {
		perror("pthread_create");
		exit(2);
	}
	pthread_join(w, NULL);
	pthread_join(r, NULL);
	CHECK(c.bad == 0 && !c.timed_out, "two threads: bad packet %u, timed out %d", c.bad,
	      c.timed_out);
	CHECK(hvbus_ring_bytes_to_read(&c.t.rx) == 0, "two threads: ring drained");
	printf("threads: %u packets streamed through a 16 KiB ring\n", THREAD_PKTS);
	tr_free(&c.t);
}

int
main(int argc, char **argv)
{
	uint64_t seed = argc > 1 ? strtoull(argv[1], NULL, 0) : (uint64_t)time(NULL);
	unsigned int rounds = argc > 2 ? (unsigned int)strtoul(argv[2], NULL, 0) : DEFAULT_ROUNDS;
	struct timespec t0, t1;

	check_fail_limit = 20;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	printf("test_ring: seed %" PRIu64 " (rerun: test_ring %" PRIu64 " %u)\n", seed, seed,
	       rounds);
	test_write_signal();
	test_read_signal();
	test_bad_descriptors();
	test_bad_indices();
	test_bounce_and_wrap();
	test_bad_writes();
	test_iov_splits();
	test_small_writes();
	test_xfer();
	test_fuzz(seed);
	test_threads();
	test_model(seed, rounds);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("test_ring: %.2f s\n",
	       (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	return check_done("test_ring");
}
