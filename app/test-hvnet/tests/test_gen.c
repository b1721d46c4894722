/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit test of host_gen.c: generated frames and the checker's counters. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wire_stubs.h"

static struct sim sim;

static uint32_t
be16(const uint8_t *p)
{
	return (uint32_t)(p[0] << 8) | p[1];
}

static struct wire_gen_counters
counters(unsigned int nic)
{
	struct wire_gen_counters c = { 0 };
	struct wire_nic *w = sim.nic[nic].wire;

	if (w->gen != NULL)
		gen_get_counters(w->gen, &c);
	return c;
}

/* Return frame k (as the host accepted it) on NIC nic, channel chan, with length len. */
static void
send_back(unsigned int nic, unsigned int k, unsigned int chan, uint32_t len)
{
	wire_transmit(&sim.nic[nic], chan, stub_rx[k].data, len);
}

/* Frame seq of a run of flows flows, want_len bytes long. */
static void
check_frame_format(const struct stub_frame *f, uint32_t want_len, uint32_t seq, uint32_t flows)
{
	uint8_t seed = (uint8_t)((seq * 0x9e3779b1u) >> 24);
	uint32_t flow = seq % flows, sum = 0, i;
	const uint8_t *d = f->data;

	CHECK(f->len == want_len, "frame length %u, want %u", f->len, want_len);
	CHECK(memcmp(d, sim.nic[0].mac, 6) == 0, "destination MAC is not the NIC's");
	CHECK(memcmp(d + 6, (const uint8_t[6]){ 2, 0, 0, 0, 0, 1 }, 6) == 0, "source MAC");
	CHECK(be16(d + 12) == 0x0800, "ethertype");
	for (i = 14; i < 34; i += 2)
		sum += be16(d + i);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	CHECK(sum == 0xffff, "IPv4 header checksum does not verify");
	CHECK(be16(d + 16) == want_len - 14, "IPv4 total length");
	CHECK(d[23] == 17, "protocol is not UDP");
	CHECK(d[29] == 1 + flow % 250, "source address of flow %u", flow);
	CHECK(be16(d + 34) == 1024 + flow, "source port of flow %u", flow);
	CHECK(be16(d + 36) == 9, "destination port");
	CHECK(be16(d + 38) == want_len - 34, "UDP length");
	CHECK(be16(d + 40) == 0, "UDP checksum");
	CHECK(be16(d + GEN_OFF_LEN) == want_len, "payload length field");
	CHECK(be16(d + 18) == (seq & 0xffff), "IPv4 id of frame %u", seq);
	CHECK((be16(d + GEN_OFF_SEQ) << 16 | be16(d + GEN_OFF_SEQ + 2)) == seq,
	      "sequence number of frame %u", seq);
	for (i = GEN_OFF_PATTERN; i < want_len; i++)
		if (d[i] != (uint8_t)(seed + i + (i >> 8)))
			break;
	CHECK(i == want_len, "frame %u: pattern byte %u is %u", seq, i, d[i]);
}

static void
test_intact(void)
{
	struct wire_gen_counters c;
	unsigned int k;

	stub_reset_rx();
	stub_nchan = 3;
	CHECK(wire_gen_start(&sim.nic[0], "20:60-100:3") == 0, "start");
	wire_poll(&sim);
	CHECK(stub_rx_count == 20, "injected %u frames, want 20", stub_rx_count);
	for (k = 0; k < stub_rx_count; k++)
		check_frame_format(&stub_rx[k], 60 + k % 41, k, 3);
	/* The host may reuse what it derived of a frame's headers exactly within its flow. */
	CHECK(stub_rx[0].memo != NULL && stub_rx[1].memo != NULL && stub_rx[2].memo != NULL &&
	      stub_rx[0].memo != stub_rx[1].memo && stub_rx[0].memo != stub_rx[2].memo &&
	      stub_rx[1].memo != stub_rx[2].memo, "the flows' frames came with the same memo");
	for (k = 3; k < stub_rx_count; k++)
		CHECK(stub_rx[k].memo == stub_rx[k % 3].memo, "frame %u: not its flow's memo", k);
	/* Returned on another NIC (peer wiring), each on the channel it arrived on. */
	for (k = 0; k < stub_rx_count; k++)
		send_back(1, k, (unsigned int)stub_rx[k].chan, stub_rx[k].len);
	c = counters(0);
	CHECK(c.sent == 20 && c.ok == 20 && c.bad == 0 && c.dup == 0 && c.wrong_queue == 0,
	      "intact: sent %" PRIu64 " ok %" PRIu64 " bad %" PRIu64 " dup %" PRIu64
	      " wq %" PRIu64, c.sent, c.ok, c.bad, c.dup, c.wrong_queue);
	CHECK(((struct wire_nic *)sim.nic[1].wire)->tx_wire == 0,
	      "generated frames went on to the wire");
}

static void
test_damaged(void)
{
	struct wire_gen_counters before = counters(0), c;
	uint8_t stale[STUB_FRAME_MAX];
	uint32_t stale_len = stub_rx[0].len;
	unsigned int k;

	memcpy(stale, stub_rx[0].data, stale_len);
	stub_reset_rx();
	stub_nchan = 2;
	CHECK(wire_gen_start(&sim.nic[0], "10:64") == 0, "second run");
	wire_poll(&sim);
	CHECK(stub_rx_count == 10, "second run injected %u", stub_rx_count);
	stub_rx[0].data[GEN_OFF_PATTERN + 3] ^= 0x01;		/* corrupted */
	send_back(0, 0, (unsigned int)stub_rx[0].chan, stub_rx[0].len);
	send_back(0, 1, (unsigned int)stub_rx[1].chan, stub_rx[1].len - 1);	/* truncated */
	send_back(0, 2, (unsigned int)stub_rx[2].chan, stub_rx[2].len);
	send_back(0, 2, (unsigned int)stub_rx[2].chan, stub_rx[2].len);		/* duplicate */
	send_back(0, 3, (unsigned int)stub_rx[3].chan + 1, stub_rx[3].len);	/* wrong queue */
	for (k = 5; k < 10; k++)					/* 4 never returns */
		send_back(0, k, (unsigned int)stub_rx[k].chan, stub_rx[k].len);
	wire_transmit(&sim.nic[1], 0, stale, stale_len);		/* from the first run */
	c = counters(0);
	CHECK(c.sent - before.sent == 10, "sent %" PRIu64, c.sent - before.sent);
	CHECK(c.ok - before.ok == 7, "ok %" PRIu64 ", want 7", c.ok - before.ok);
	CHECK(c.bad - before.bad == 2, "bad %" PRIu64 ", want 2", c.bad - before.bad);
	CHECK(c.dup - before.dup == 2, "dup %" PRIu64 ", want 2", c.dup - before.dup);
	CHECK(c.wrong_queue - before.wrong_queue == 1, "wrong_queue %" PRIu64, c.wrong_queue);
	wire_summary(&sim.nic[0]);
	CHECK(strcmp(stub_last_log, "wire nic=0 kind=none tx_wire=0 rx_wire=0 wire_drops=0 "
		     "gen_sent=30 gen_ok=27 gen_bad=2 gen_dup=2 gen_wrong_queue=1 "
		     "gen_missing=1") == 0, "summary line '%s'", stub_last_log);
}

static void
test_backpressure(void)
{
	struct wire_gen_counters before = counters(0), c;
	unsigned int k;

	stub_reset_rx();
	stub_room = 5;
	CHECK(wire_gen_start(&sim.nic[0], "12:60") == 0, "third run");
	CHECK(wire_gen_start(&sim.nic[0], "12:60") == -EBUSY, "start while running");
	wire_poll(&sim);
	c = counters(0);
	CHECK(stub_rx_count == 5 && c.sent - before.sent == 5,
	      "with room 5: %u in, %" PRIu64 " sent", stub_rx_count, c.sent - before.sent);
	wire_poll(&sim);
	CHECK(stub_rx_count == 5, "no room, yet %u in", stub_rx_count);
	stub_room = -1;
	wire_poll(&sim);
	CHECK(stub_rx_count == 12, "after room: %u in", stub_rx_count);
	/* Nothing lost or repeated across the refusals. */
	for (k = 0; k < stub_rx_count; k++)
		CHECK(stub_rx[k].data[GEN_OFF_SEQ + 3] == k, "frame %u has seq %u", k,
		      stub_rx[k].data[GEN_OFF_SEQ + 3]);
	/* Host drops (filter, link) are sent but never expected back. */
	stub_reset_rx();
	stub_fail_rc = -EPERM;
	CHECK(wire_gen_start(&sim.nic[0], "4:60") == 0, "fourth run");
	wire_poll(&sim);
	c = counters(0);
	CHECK(c.sent - before.sent == 16, "sent %" PRIu64 " with drops", c.sent - before.sent);
	wire_summary(&sim.nic[0]);
	CHECK(strstr(stub_last_log, " gen_missing=17") != NULL, "missing: '%s'", stub_last_log);
}

static void
test_window(void)
{
	struct wire_gen_counters before = counters(0);
	const unsigned int total = GEN_WINDOW + 100;
	char spec[32];
	unsigned int i;

	stub_reset_rx();
	snprintf(spec, sizeof(spec), "%u:60", total);
	CHECK(wire_gen_start(&sim.nic[0], spec) == 0, "window run");
	for (i = 0; i < 10; i++)
		wire_poll(&sim);
	CHECK(stub_rx_count == GEN_WINDOW, "outstanding %u, want the %u window", stub_rx_count,
	      GEN_WINDOW);
	send_back(0, 0, 0, stub_rx[0].len);
	wire_poll(&sim);
	CHECK(stub_rx_count == GEN_WINDOW + 1, "one back lets one more out: %u", stub_rx_count);
	/* A guest that stops returning frames does not stall the generator for good. */
	usleep(250000);
	for (i = 0; i < 10; i++)
		wire_poll(&sim);
	CHECK(stub_rx_count == total, "after a stall %u sent", stub_rx_count);
	CHECK(counters(0).sent - before.sent == total, "window run sent");
}

/* The DST selector: each kind's destination MAC, and frames to it checked like any other. */
static void
test_dst(void)
{
	static const struct {
		const char *spec;
		uint8_t mac[6];
	} cases[] = {
		{ "3:60:1:other", { 0x02, 0, 0, 0, 0, 0x02 } },
		{ "3:60:1:mcast", { 0x01, 0x00, 0x5e, 0, 0, 0xfb } },
		{ "3:60:1:bcast", { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff } },
	};
	struct wire_gen_counters before, c;
	unsigned int i, k;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		before = counters(0);
		stub_reset_rx();
		CHECK(wire_gen_start(&sim.nic[0], cases[i].spec) == 0, "'%s' refused",
		      cases[i].spec);
		wire_poll(&sim);
		CHECK(stub_rx_count == 3, "'%s' injected %u", cases[i].spec, stub_rx_count);
		for (k = 0; k < stub_rx_count; k++) {
			CHECK(memcmp(stub_rx[k].data, cases[i].mac, 6) == 0,
			      "'%s': frame %u destination", cases[i].spec, k);
			send_back(0, k, (unsigned int)stub_rx[k].chan, stub_rx[k].len);
		}
		c = counters(0);
		CHECK(c.ok - before.ok == 3 && c.bad == before.bad, "'%s': ok %" PRIu64
		      " bad %" PRIu64, cases[i].spec, c.ok - before.ok, c.bad - before.bad);
	}
	stub_reset_rx();
	CHECK(wire_gen_start(&sim.nic[0], "2:60-61:1:self") == 0, "explicit self refused");
	wire_poll(&sim);
	CHECK(stub_rx_count == 2, "self injected %u", stub_rx_count);
	for (k = 0; k < stub_rx_count; k++) {
		check_frame_format(&stub_rx[k], 60 + k, k, 1);
		send_back(0, k, (unsigned int)stub_rx[k].chan, stub_rx[k].len);
	}
	/* Full-size frames: the pattern's byte i carries i / 256 too. */
	stub_reset_rx();
	CHECK(wire_gen_start(&sim.nic[0], "3:1514:2") == 0, "full-size frames refused");
	wire_poll(&sim);
	CHECK(stub_rx_count == 3, "full-size injected %u", stub_rx_count);
	for (k = 0; k < stub_rx_count; k++) {
		check_frame_format(&stub_rx[k], 1514, k, 2);
		send_back(0, k, (unsigned int)stub_rx[k].chan, stub_rx[k].len);
	}
}

static void
test_bad_specs(void)
{
	const char *const bad[] = { "", "10", "0:60", "10:59", "10:60-1515", "10:100-90",
				    "10:60:0", "x:60", "10:60:", "10:60-", "10:60:1:2",
				    "10:60:64513", "99999999999:60", "10:60 ",
				    "10:60:1:", "10:60:1:Self", "10:60:1:bcast:", "10:60:1:mcast ",
				    "10:60:other", "10:60::bcast", "10:60:1:selfx", "0:60:1:bcast" };
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(wire_gen_start(&sim.nic[1], bad[i]) == -EINVAL, "spec '%s' accepted",
		      bad[i]);
	CHECK(wire_gen_start(&sim.nic[1], "1:60-1514:64512") == 0, "widest spec refused");
}

int
main(void)
{
	const char *const specs[] = { "none", "none" };

	stub_sim_init(&sim, 2, specs);
	CHECK(wire_setup(&sim) == 0, "wire_setup");
	test_intact();
	test_damaged();
	test_backpressure();
	test_window();
	test_dst();
	test_bad_specs();
	wire_teardown(&sim);
	return check_done("test_gen");
}
