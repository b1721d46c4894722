/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Traffic generator injecting numbered UDP frames, and the byte-exact checker of returns.
 * Paced by a window of frames not yet back (--gen), or by a rate (--rate: frames per second or
 * as fast as the guest takes them; the NIC then also sinks what its guest sends).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sim_csum.h"
#include "wire.h"

#define GEN_BURST		128u	/* frames injected per poll */
#define GEN_STALL_NS		200000000ull	/* no return for this long: stop waiting */
#define GEN_COUNT_MAX		(1u << 26)	/* one state byte per frame */
#define GEN_FLOWS_MAX		(65536u - 1024u)	/* UDP source ports 1024..65535 */
#define GEN_BAD_LOG_MAX		5u	/* mismatches logged in detail per run */
#define GEN_SEEN		0x80u	/* state: frame came back */
#define GEN_CHAN_MASK		0x7fu	/* state: 1 + channel it was put on, 0 = not sent */
#define GEN_RATE_MAX		100000000ull	/* frames per second a --rate spec may ask */
#define GEN_RATE_FLOWS		256u	/* default flows of a rate run: spread over the queues */
/* A rate run this many frames behind while the guest has no room drops the excess as missed. */
#define GEN_RATE_SLACK		(8u * GEN_BURST)
#define NS_PER_SEC		1000000000ull

_Static_assert(SIM_MAX_CHANNELS < GEN_CHAN_MASK, "a channel index fits in the state byte");

static const uint8_t gen_magic[3] = { 0x68, 0x76, 0x67 };	/* "hvg" */
/* Byte i of the payload pattern before a frame's seed is added: i + i / 256 (gen_begin). */
static uint8_t gen_base[WIRE_FRAME_MAX];
static const uint8_t gen_src_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };

/* Destination of the generated frames: the NIC's own MAC or one its receive filter judges. */
enum gen_dst {
	GEN_DST_SELF,
	GEN_DST_OTHER,	/* a unicast MAC that is not the NIC's */
	GEN_DST_MCAST,
	GEN_DST_BCAST,
};

static const char *const gen_dst_names[] = {
	[GEN_DST_SELF] = "self",
	[GEN_DST_OTHER] = "other",
	[GEN_DST_MCAST] = "mcast",
	[GEN_DST_BCAST] = "bcast",
};

/* Fixed destinations of the non-self kinds; "other" differs from every simulated NIC's MAC. */
static const uint8_t gen_dst_macs[][6] = {
	[GEN_DST_OTHER] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x02 },
	[GEN_DST_MCAST] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb },
	[GEN_DST_BCAST] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff },
};

/* How a run paces itself. */
enum gen_pace {
	GEN_PACE_WINDOW,	/* at most GEN_WINDOW frames not yet back */
	GEN_PACE_RATE,		/* pps frames per second (0: none), or as fast as the guest takes */
};

/*
 * What one generator run sends: from the spec COUNT:MIN[-MAX][:FLOWS[:DST]] (window) or
 * PPS|max:SIZE[:FLOWS[:COUNT]] (rate).
 */
struct gen_params {
	enum gen_pace pace;
	bool max_rate;		/* rate: as fast as the guest takes them, pps unused */
	uint64_t pps;		/* rate: frames per second */
	uint32_t count;		/* rate: 0 = no end */
	uint32_t min_len;
	uint32_t max_len;
	uint32_t flows;
	enum gen_dst dst;
};

struct wire_gen {
	struct sim_nic *nic;
	struct gen_params p;
	uint8_t run;		/* id byte of this run's frames: nic index and run number */
	uint8_t *state;		/* per sequence number: GEN_SEEN | 1 + channel; NULL: no end */
	struct sim_rx_memo *memo;	/* per flow: what the host derived of its headers */
	uint32_t next;		/* next sequence number to send */
	uint32_t returned;	/* frames of this run seen back */
	uint32_t forgiven;	/* frames the window stopped waiting for (lost or dropped) */
	uint32_t stall_returned;	/* returned when the window filled up */
	uint64_t stall_since;	/* when the window filled up, 0 = not full */
	uint64_t rate_start;	/* rate: when the clock of this run (re)started, 0 = not yet */
	uint32_t rate_base;	/* rate: next at rate_start */
	bool blocked;		/* the guest had no room at the last try */
	bool flows_pow2;	/* flows is a power of two: a frame's flow is a mask away */
	uint32_t head_sum;	/* IPv4 header sum of head[] */
	uint8_t head[GEN_OFF_PATTERN];	/* headers of every frame, per-frame fields 0 */
	uint32_t built;		/* sequence number held in frame[] */
	uint32_t built_len;
	unsigned int bad_logged;
	struct wire_gen_counters c;
	uint8_t frame[WIRE_FRAME_MAX];	/* frame being injected */
	uint8_t expect[WIRE_FRAME_MAX];	/* checker's regenerated frame */
};

static void
put_be16(uint8_t *p, uint32_t v)
{
	uint16_t x = htons((uint16_t)v);

	memcpy(p, &x, sizeof(x));
}

static void
put_be32(uint8_t *p, uint32_t v)
{
	uint32_t x = htonl(v);

	memcpy(p, &x, sizeof(x));
}

static uint32_t
get_be32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/*
 * The headers of every frame of the run, the fields that differ per frame left 0: the
 * destination and source MACs, IPv4 from 198.51.100.0/24 to 192.0.2.1 (documentation nets),
 * UDP to port 9 (discard), the magic and the run's id byte. gen_build fills in the rest.
 */
static void
gen_template(struct wire_gen *g)
{
	uint8_t *f = g->head, *ip = f + 14, *udp = f + 34;

	memset(f, 0, sizeof(g->head));
	memcpy(f, g->p.dst == GEN_DST_SELF ? g->nic->mac : gen_dst_macs[g->p.dst], 6);
	memcpy(f + 6, gen_src_mac, 6);
	put_be16(f + 12, 0x0800);
	ip[0] = 0x45;
	put_be16(ip + 6, 0x4000);	/* don't fragment */
	ip[8] = 64;
	ip[9] = 17;
	ip[12] = 198;
	ip[13] = 51;
	ip[14] = 100;
	ip[16] = 192;
	ip[18] = 2;
	ip[19] = 1;
	put_be16(udp + 2, 9);
	memcpy(f + GEN_OFF_MAGIC, gen_magic, sizeof(gen_magic));
	f[GEN_OFF_ID] = g->run;
	g->head_sum = sim_csum_add(0, ip, 20);
}

/*
 * The payload pattern of a frame with this seed, bytes GEN_OFF_PATTERN to len: byte i is
 * seed + i + i / 256 (mod 256). gen_base holds i + i / 256; the seed is added to 8 bytes at a
 * time, each byte on its own (the carry out of bit 7 of a byte is dropped, not passed on).
 */
static void
gen_fill_pattern(uint8_t *f, uint32_t len, uint8_t seed)
{
	const uint64_t high = 0x8080808080808080ull;
	uint64_t s = seed * 0x0101010101010101ull, x;
	uint32_t i = GEN_OFF_PATTERN;

	for (; i + sizeof(x) <= len; i += sizeof(x)) {
		memcpy(&x, gen_base + i, sizeof(x));
		x = ((x & ~high) + (s & ~high)) ^ ((x ^ s) & high);
		memcpy(f + i, &x, sizeof(x));
	}
	for (; i < len; i++)
		f[i] = (uint8_t)(gen_base[i] + seed);
}

/* The flow of sequence number seq: no division per frame for the usual power-of-two count. */
static inline uint32_t
gen_flow(const struct wire_gen *g, uint32_t seq)
{
	return g->flows_pow2 ? seq & (g->p.flows - 1) : seq % g->p.flows;
}

/* The whole frame of sequence number seq; returns its length. */
static uint32_t
gen_build(const struct wire_gen *g, uint32_t seq, uint8_t *f)
{
	uint32_t span = g->p.max_len - g->p.min_len + 1;
	uint32_t len = g->p.min_len + (span == 1 ? 0 : seq % span);
	uint8_t seed = (uint8_t)((seq * 0x9e3779b1u) >> 24);
	uint32_t flow = gen_flow(g, seq);
	uint8_t *ip = f + 14, *udp = f + 34, host = (uint8_t)(1 + flow % 250);

	memcpy(f, g->head, sizeof(g->head));
	put_be16(ip + 2, len - 14);
	put_be16(ip + 4, seq);
	ip[15] = host;
	/* The template's sum plus the words set here (the host byte is the low half of one). */
	put_be16(ip + 10, sim_csum_fold(g->head_sum + (len - 14) + (seq & 0xffffu) + host));
	put_be16(udp, 1024 + flow);
	put_be16(udp + 4, len - 34);
	put_be32(f + GEN_OFF_SEQ, seq);
	put_be16(f + GEN_OFF_LEN, len);
	gen_fill_pattern(f, len, seed);
	return len;
}

/* Read one decimal number, advancing *s; false when there is none or it overflows. */
static bool
parse_num(const char **s, uint32_t *v)
{
	unsigned long x;
	char *end;

	if (**s < '0' || **s > '9')
		return false;
	errno = 0;
	x = strtoul(*s, &end, 10);
	if (errno != 0 || x > UINT32_MAX)
		return false;
	*v = (uint32_t)x;
	*s = end;
	return true;
}

/* The destination kind named by s, which must be exactly one of the names. */
static bool
parse_dst(const char *s, enum gen_dst *dst)
{
	unsigned int i;

	for (i = 0; i < sizeof(gen_dst_names) / sizeof(gen_dst_names[0]); i++) {
		if (strcmp(s, gen_dst_names[i]) == 0) {
			*dst = (enum gen_dst)i;
			return true;
		}
	}
	return false;
}

static int
gen_parse(const char *spec, uint32_t max_frame, struct gen_params *p)
{
	const char *s = spec;

	p->pace = GEN_PACE_WINDOW;
	p->flows = 1;
	p->dst = GEN_DST_SELF;
	if (!parse_num(&s, &p->count) || *s++ != ':' || !parse_num(&s, &p->min_len))
		return -EINVAL;
	p->max_len = p->min_len;
	if (*s == '-' && (s++, !parse_num(&s, &p->max_len)))
		return -EINVAL;
	if (*s == ':' && (s++, !parse_num(&s, &p->flows)))
		return -EINVAL;
	if (*s == ':' ? !parse_dst(s + 1, &p->dst) : *s != '\0')
		return -EINVAL;
	if (p->count == 0 || p->count > GEN_COUNT_MAX || p->min_len < WIRE_ETH_MIN ||
	    p->max_len < p->min_len || p->max_len > max_frame || p->flows == 0 ||
	    p->flows > GEN_FLOWS_MAX)
		return -EINVAL;
	return 0;
}

/* PPS|max:SIZE[:FLOWS[:COUNT]]: frames of one size to the NIC itself, COUNT 0 = no end. */
static int
gen_parse_rate(const char *spec, uint32_t max_frame, struct gen_params *p)
{
	const char *s = spec;
	uint32_t pps = 0;

	p->pace = GEN_PACE_RATE;
	p->flows = GEN_RATE_FLOWS;
	p->dst = GEN_DST_SELF;
	p->count = 0;
	p->max_rate = strncmp(s, "max:", 4) == 0;
	if (p->max_rate)
		s += 3;
	else if (!parse_num(&s, &pps))
		return -EINVAL;
	p->pps = pps;
	if (*s++ != ':' || !parse_num(&s, &p->min_len))
		return -EINVAL;
	p->max_len = p->min_len;
	if (*s == ':' && (s++, !parse_num(&s, &p->flows)))
		return -EINVAL;
	if (*s == ':' && (s++, !parse_num(&s, &p->count)))
		return -EINVAL;
	if (*s != '\0' || p->pps > GEN_RATE_MAX || p->count > GEN_COUNT_MAX ||
	    p->min_len < WIRE_ETH_MIN || p->min_len > max_frame || p->flows == 0 ||
	    p->flows > GEN_FLOWS_MAX)
		return -EINVAL;
	return 0;
}

/* Frames the run still has to send: false once a bounded run sent them all. */
static bool
gen_more(const struct wire_gen *g)
{
	return g->p.count == 0 || g->next < g->p.count;
}

/* Start a run of p on nic, replacing a finished (or endless) one. */
static int
gen_begin(struct sim_nic *nic, const struct gen_params *p)
{
	struct wire_nic *w = nic->wire;
	struct wire_gen *g = w->gen;
	struct sim_rx_memo *memo;
	uint8_t *state = NULL;
	uint32_t i;

	if (g != NULL && g->p.count != 0 && g->next < g->p.count) {
		sim_log("gen nic=%u: busy (%u of %u frames sent)", nic->idx, g->next, g->p.count);
		return -EBUSY;
	}
	/* The pattern's base is the same for every run: redone per run, it needs no init flag. */
	for (i = 0; i < WIRE_FRAME_MAX; i++)
		gen_base[i] = (uint8_t)(i + (i >> 8));
	/* Every frame of a flow has the same addresses and ports, and right checksums. */
	memo = calloc(p->flows, sizeof(*memo));
	if (memo == NULL)
		return -ENOMEM;
	/* An endless run keeps no per-frame state: what comes back of it is not checked. */
	if (p->count != 0) {
		state = calloc(p->count, 1);
		if (state == NULL)
			goto nomem;
	}
	if (g == NULL) {
		g = calloc(1, sizeof(*g));
		if (g == NULL)
			goto nomem;
		g->nic = nic;
		w->gen = g;
	}
	free(g->state);
	g->state = state;
	free(g->memo);
	g->memo = memo;
	g->p = *p;
	g->flows_pow2 = (p->flows & (p->flows - 1)) == 0;
	/* The id byte changes per run so late frames of an earlier run are not mistaken. */
	g->run = (uint8_t)((nic->idx << 5) | ((g->run + 1) & 0x1fu));
	gen_template(g);
	g->next = 0;
	g->returned = 0;
	g->forgiven = 0;
	g->stall_since = 0;
	g->rate_start = 0;
	g->blocked = false;
	g->built = UINT32_MAX;
	g->bad_logged = 0;
	return 0;
nomem:
	free(state);
	free(memo);
	return -ENOMEM;
}

static uint32_t
gen_max_frame(const struct sim_nic *nic)
{
	return nic->mtu + 14 < WIRE_FRAME_MAX ? nic->mtu + 14 : WIRE_FRAME_MAX;
}

int
wire_gen_start(struct sim_nic *nic, const char *spec)
{
	uint32_t max_frame = gen_max_frame(nic);
	struct gen_params p;
	int rc;

	if (nic->wire == NULL)
		return -ENODEV;
	if (gen_parse(spec, max_frame, &p) != 0) {
		sim_log("gen nic=%u: bad spec '%s': want COUNT(1..%u):MIN[-MAX](%u..%u)[:FLOWS]"
			"(1..%u)[:DST](self|other|mcast|bcast)", nic->idx, spec, GEN_COUNT_MAX,
			WIRE_ETH_MIN, max_frame, GEN_FLOWS_MAX);
		return -EINVAL;
	}
	rc = gen_begin(nic, &p);
	if (rc == 0)
		sim_log("gen nic=%u: %u frames of %u-%u bytes in %u flow(s) to %s", nic->idx,
			p.count, p.min_len, p.max_len, p.flows, gen_dst_names[p.dst]);
	return rc;
}

/* The rate of a run as its spec names it: "max" or frames per second. */
static const char *
rate_name(const struct gen_params *p, char *buf, size_t len)
{
	if (p->max_rate)
		return "max";
	snprintf(buf, len, "%" PRIu64, p->pps);
	return buf;
}

int
wire_rate_start(struct sim_nic *nic, const char *spec)
{
	uint32_t max_frame = gen_max_frame(nic);
	struct gen_params p;
	char pps[24];
	int rc;

	if (nic->wire == NULL)
		return -ENODEV;
	if (gen_parse_rate(spec, max_frame, &p) != 0) {
		sim_log("rate nic=%u: bad spec '%s': want PPS(0..%llu)|max:SIZE(%u..%u)[:FLOWS]"
			"(1..%u)[:COUNT](0..%u, 0 = no end)", nic->idx, spec, GEN_RATE_MAX,
			WIRE_ETH_MIN, max_frame, GEN_FLOWS_MAX, GEN_COUNT_MAX);
		return -EINVAL;
	}
	rc = gen_begin(nic, &p);
	if (rc == 0)
		sim_log("rate nic=%u: %s frames/s of %u bytes in %u flow(s), %u frames "
			"(0 = no end); what the guest sends is counted, not forwarded", nic->idx,
			rate_name(&p, pps, sizeof(pps)), p.min_len, p.flows, p.count);
	return rc;
}

/* Frames still expected back before the window lets more out. */
static uint32_t
gen_outstanding(const struct wire_gen *g)
{
	uint32_t flying = g->next - g->returned;

	return flying > g->forgiven ? flying - g->forgiven : 0;
}

/* True when the window is full; after GEN_STALL_NS without returns, stop waiting for them. */
static bool
gen_window_full(struct wire_gen *g)
{
	uint64_t now;

	if (gen_outstanding(g) < GEN_WINDOW) {
		g->stall_since = 0;
		return false;
	}
	now = now_ns();
	if (g->stall_since == 0 || g->returned != g->stall_returned) {
		g->stall_since = now;
		g->stall_returned = g->returned;
		return true;
	}
	if (now - g->stall_since < GEN_STALL_NS)
		return true;
	sim_log("gen nic=%u: nothing came back for %llu ms, not waiting for %u frame(s)",
		g->nic->idx, GEN_STALL_NS / 1000000ull, gen_outstanding(g));
	g->forgiven = g->next - g->returned;
	g->stall_since = 0;
	return false;
}

/*
 * Offer frame g->next to the NIC: -ENOBUFS when the guest has no room (the frame stays
 * built for the next try, nothing counted), else host_nic_receive's result, counted.
 */
static int
gen_offer(struct wire_gen *g)
{
	int rc;

	if (g->built != g->next) {
		g->built_len = gen_build(g, g->next, g->frame);
		g->built = g->next;
	}
	rc = host_nic_receive_memo(g->nic, g->frame, g->built_len, &g->memo[gen_flow(g, g->next)]);
	g->blocked = rc == -ENOBUFS;
	if (g->blocked)
		return rc;
	if (rc >= 0) {
		if (g->state != NULL)
			g->state[g->next] = (uint8_t)((unsigned int)rc + 1);
		g->c.taken++;
	} else {
		/* Dropped by the host (filter, link): it will never come back. */
		g->forgiven++;
	}
	g->c.sent++;
	if (++g->next == g->p.count)
		sim_log("gen nic=%u: all %u frames sent", g->nic->idx, g->p.count);
	return rc;
}

/* Frames of a run at pps due after ns: 64-bit all the way (pps <= GEN_RATE_MAX). */
static uint64_t
rate_frames(uint64_t pps, uint64_t ns)
{
	return ns / NS_PER_SEC * pps + ns % NS_PER_SEC * pps / NS_PER_SEC;
}

/* Sequence number up to which a rate run may send now; frames far overdue become missed. */
static uint32_t
rate_due(struct wire_gen *g)
{
	uint64_t due, now;

	if (g->p.max_rate)
		due = (uint64_t)g->next + GEN_BURST;
	else if (g->p.pps == 0)
		return g->next;
	else {
		now = now_ns();
		/* The clock starts (again) when the guest listens: nothing is owed before. */
		if (g->rate_start == 0) {
			g->rate_start = now;
			g->rate_base = g->next;
		}
		due = g->rate_base + rate_frames(g->p.pps, now - g->rate_start);
	}
	if (g->p.count != 0 && due > g->p.count)
		due = g->p.count;
	/*
	 * As a wire would: what the guest had no room for in time is lost. A host that was
	 * only late itself (descheduled) catches up instead.
	 */
	if (g->blocked && due > (uint64_t)g->next + GEN_RATE_SLACK) {
		g->c.missed += due - g->next - GEN_RATE_SLACK;
		g->next = (uint32_t)(due - GEN_RATE_SLACK);
	}
	return (uint32_t)due;
}

static unsigned int
gen_poll_rate(struct wire_gen *g)
{
	unsigned int n = 0;
	uint32_t due;

	if (!host_nic_listening(g->nic)) {
		g->rate_start = 0;
		return 0;
	}
	due = rate_due(g);
	while (n < GEN_BURST && g->next != due && gen_offer(g) != -ENOBUFS)
		n++;
	return n;
}

unsigned int
gen_poll(struct sim_nic *nic)
{
	struct wire_gen *g = ((struct wire_nic *)nic->wire)->gen;
	unsigned int n = 0;
	int rc;

	if (g->p.pace == GEN_PACE_RATE)
		return gen_more(g) ? gen_poll_rate(g) : 0;
	while (n < GEN_BURST && gen_more(g) && !gen_window_full(g)) {
		rc = gen_offer(g);
		if (rc == -ENOBUFS)
			break;
		if (rc >= 0)
			n++;
	}
	return n;
}

uint64_t
gen_next_wake(const struct wire_gen *g)
{
	uint64_t k;

	/* Blocked runs wait for the guest's signal (its acks); max-rate ones are never idle. */
	if (g->p.pace != GEN_PACE_RATE || g->p.max_rate || g->p.pps == 0 || g->blocked ||
	    g->rate_start == 0 || !gen_more(g))
		return UINT64_MAX;
	k = (uint64_t)(g->next - g->rate_base) + 1;
	return g->rate_start + k / g->p.pps * NS_PER_SEC +
	       (k % g->p.pps * NS_PER_SEC + g->p.pps - 1) / g->p.pps;
}

bool
gen_sink(const struct wire_gen *g)
{
	return g != NULL && g->p.pace == GEN_PACE_RATE;
}

void
gen_rate_summary(const struct wire_gen *g, const struct wire_nic *w)
{
	char pps[24];

	if (!gen_sink(g))
		return;
	sim_log("rate nic=%u rate_pps=%s rate_size=%u rate_flows=%u rate_count=%u"
		" rate_produced=%" PRIu64 " rate_taken=%" PRIu64 " rate_missed=%" PRIu64
		" sink_frames=%" PRIu64 " sink_bytes=%" PRIu64, g->nic->idx,
		rate_name(&g->p, pps, sizeof(pps)), g->p.min_len,
		g->p.flows, g->p.count, g->c.sent + g->c.missed, g->c.taken, g->c.missed,
		w->sink_frames, w->sink_bytes);
}

static void
gen_log_bad(struct wire_gen *g, uint32_t seq, const uint8_t *frame, uint32_t len,
	    uint32_t want_len)
{
	uint32_t i, n = len < want_len ? len : want_len;

	if (g->bad_logged >= GEN_BAD_LOG_MAX)
		return;
	g->bad_logged++;
	for (i = 0; i < n && frame[i] == g->expect[i]; i++)
		;
	sim_log("gen nic=%u: seq %u differs: length %u (want %u), first difference at byte %u",
		g->nic->idx, seq, len, want_len, i);
}

static struct wire_gen *
gen_owner(struct sim *sim, const uint8_t *frame, uint32_t len)
{
	unsigned int idx;
	struct wire_nic *w;

	if (len < GEN_OFF_PATTERN || memcmp(frame + GEN_OFF_MAGIC, gen_magic, sizeof(gen_magic)))
		return NULL;
	idx = frame[GEN_OFF_ID] >> 5;
	if (idx >= sim->nnics)
		return NULL;
	w = sim->nic[idx].wire;
	return w != NULL ? w->gen : NULL;
}

bool
gen_check(struct sim *sim, unsigned int chan, const uint8_t *frame, uint32_t len)
{
	struct wire_gen *g = gen_owner(sim, frame, len);
	uint32_t seq, want_len;
	uint8_t st;

	if (g == NULL)
		return false;
	/* An endless rate run keeps no state to check against; its NIC's sink counts it. */
	if (g->state == NULL)
		return true;
	/* A frame of an earlier run was already counted (or missed) by that run. */
	if (frame[GEN_OFF_ID] != g->run) {
		g->c.dup++;
		return true;
	}
	seq = get_be32(frame + GEN_OFF_SEQ);
	if (seq >= g->next || g->state[seq] == 0) {
		g->c.bad++;
		if (g->bad_logged++ < GEN_BAD_LOG_MAX)
			sim_log("gen nic=%u: seq %u was never sent", g->nic->idx, seq);
		return true;
	}
	st = g->state[seq];
	if (st & GEN_SEEN) {
		g->c.dup++;
		return true;
	}
	g->state[seq] = st | GEN_SEEN;
	g->returned++;
	/* The VF path spreads by its own hash: no queue to check either way. */
	if ((st & GEN_CHAN_MASK) != chan + 1 && chan != SIM_CHAN_VF &&
	    (st & GEN_CHAN_MASK) != SIM_CHAN_VF + 1)
		g->c.wrong_queue++;
	want_len = gen_build(g, seq, g->expect);
	if (len == want_len && memcmp(frame, g->expect, len) == 0) {
		g->c.ok++;
	} else {
		g->c.bad++;
		gen_log_bad(g, seq, frame, len, want_len);
	}
	return true;
}

void
gen_get_counters(const struct wire_gen *gen, struct wire_gen_counters *c)
{
	*c = gen->c;
}

void
gen_free(struct wire_gen *gen)
{
	if (gen == NULL)
		return;
	free(gen->state);
	free(gen->memo);
	free(gen);
}
