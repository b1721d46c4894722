/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit test of host_wire.c: loop, peer, backlog order and bounds, pcap in/out, TAP. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "wire_stubs.h"

static struct sim sim;

static struct wire_nic *
w_of(unsigned int nic)
{
	return sim.nic[nic].wire;
}

/* A plain (non-generated) frame of length len whose bytes depend on tag. */
static uint32_t
plain_frame(uint8_t *f, uint32_t len, uint32_t tag)
{
	uint32_t i;

	for (i = 0; i < len; i++)
		f[i] = (uint8_t)(tag * 7 + i);
	return len;
}

static bool
setup(unsigned int n, const char *const *specs)
{
	stub_sim_init(&sim, n, specs);
	return wire_setup(&sim) == 0;
}

static void
test_loop_backlog(void)
{
	const char *const specs[] = { "loop" };
	uint8_t f[200];
	unsigned int k;

	CHECK(setup(1, specs), "loop setup");
	wire_transmit(&sim.nic[0], 0, f, plain_frame(f, 100, 1));
	CHECK(stub_rx_count == 1 && stub_rx[0].nic == 0 && stub_rx[0].len == 100 &&
	      memcmp(stub_rx[0].data, f, 100) == 0, "loop did not return the frame");
	/* No room: frames wait in order, and beyond the backlog they are dropped. */
	stub_reset_rx();
	stub_room = 0;
	for (k = 0; k < WIRE_BACKLOG + 3; k++)
		wire_transmit(&sim.nic[0], 0, f, plain_frame(f, 60 + k % 100, k));
	CHECK(stub_rx_count == 0, "delivered without room");
	/* The guest had no room: the host's rx_nobuf, not a wire fault. */
	CHECK(sim.nic[0].stats.rx_nobuf == 3 && w_of(0)->drops == 0, "nobuf %lu drops %lu",
	      (unsigned long)sim.nic[0].stats.rx_nobuf, (unsigned long)w_of(0)->drops);
	stub_room = 10;
	wire_poll(&sim);
	CHECK(stub_rx_count == 10, "drained %u with room 10", stub_rx_count);
	/* A new frame must queue behind the waiting ones. */
	stub_room = -1;
	wire_transmit(&sim.nic[0], 0, f, plain_frame(f, 61, 99999));
	CHECK(stub_rx_count == 10, "new frame jumped the backlog");
	wire_poll(&sim);
	CHECK(stub_rx_count == WIRE_BACKLOG + 1, "drained %u", stub_rx_count);
	for (k = 0; k < WIRE_BACKLOG; k++) {
		plain_frame(f, 60 + k % 100, k);
		CHECK(stub_rx[k].len == 60 + k % 100 && memcmp(stub_rx[k].data, f, 60) == 0,
		      "backlog frame %u out of order", k);
	}
	CHECK(stub_rx[WIRE_BACKLOG].len == 61, "last frame");
	wire_summary(&sim.nic[0]);
	CHECK(strcmp(stub_last_log, "wire nic=0 kind=loop tx_wire=1029 rx_wire=1026 "
		     "wire_drops=0 gen_sent=0 gen_ok=0 gen_bad=0 gen_dup=0 gen_wrong_queue=0 "
		     "gen_missing=0") == 0, "summary '%s'", stub_last_log);
	/* Host drops are the host's to count; bad lengths are the wire's. */
	stub_fail_rc = -EPERM;
	wire_transmit(&sim.nic[0], 0, f, 60);
	stub_fail_rc = -EINVAL;
	wire_transmit(&sim.nic[0], 0, f, 60);
	CHECK(w_of(0)->drops == 1, "drops after EPERM/EINVAL %lu", (unsigned long)w_of(0)->drops);
	wire_teardown(&sim);
}

static void
test_peer(void)
{
	const char *const pairs[] = { "peer", "peer", "peer:3", "peer:2" };
	const char *const odd[] = { "peer", "peer", "peer" };
	const char *const oneway[] = { "peer:1", "loop" };
	const char *const self[] = { "peer:0", "peer:0" };
	const char *const bad[] = { "bogus" };
	const char *const badarg[] = { "loop:1" };
	uint8_t f[100];

	CHECK(setup(4, pairs), "peer setup");
	wire_transmit(&sim.nic[0], 0, f, plain_frame(f, 80, 0));
	wire_transmit(&sim.nic[3], 0, f, plain_frame(f, 81, 0));
	wire_transmit(&sim.nic[1], 0, f, plain_frame(f, 82, 0));
	CHECK(stub_rx_count == 3 && stub_rx[0].nic == 1 && stub_rx[1].nic == 2 &&
	      stub_rx[2].nic == 0, "peer routing wrong");
	CHECK(w_of(0)->tx_wire == 1 && w_of(1)->rx_wire == 1, "peer counters");
	wire_teardown(&sim);
	CHECK(!setup(3, odd), "odd peer accepted");
	CHECK(sim.nic[0].wire == NULL, "failed setup left state");
	CHECK(!setup(2, oneway), "one-way peer accepted");
	CHECK(!setup(2, self), "self peer accepted");
	CHECK(!setup(1, bad), "unknown wire accepted");
	CHECK(!setup(1, badarg), "loop with an argument accepted");
}

static void
put32(FILE *fp, uint32_t v, bool swap)
{
	if (swap)
		v = __builtin_bswap32(v);
	fwrite(&v, 4, 1, fp);
}

/* A pcap file in the other byte order with nanosecond magic, holding n frames. */
static void
write_swapped_pcap(const char *path, unsigned int n)
{
	FILE *fp = fopen(path, "wb");
	uint8_t f[200];
	unsigned int k;

	if (fp == NULL)
		abort();
	put32(fp, 0xa1b23c4d, true);
	put32(fp, 0x00040002, true);	/* version fields as two u16 in that byte order */
	put32(fp, 0, true);
	put32(fp, 0, true);
	put32(fp, 65535, true);
	put32(fp, 1, true);
	for (k = 0; k < n; k++) {
		uint32_t len = 60 + k;

		put32(fp, k, true);
		put32(fp, 0, true);
		put32(fp, len, true);
		put32(fp, len, true);
		fwrite(f, plain_frame(f, len, k), 1, fp);
	}
	fclose(fp);
}

static void
test_pcap(void)
{
	char in[] = "/tmp/hvnet-wire-in-XXXXXX", out[64], spec[160];
	const char *specs[1] = { spec };
	uint8_t f[200], hdr[24], rec[16];
	unsigned int k;
	FILE *fp;
	int fd;

	fd = mkstemp(in);
	if (fd < 0)
		abort();
	close(fd);
	snprintf(out, sizeof(out), "%s.out", in);
	write_swapped_pcap(in, 5);
	snprintf(spec, sizeof(spec), "pcap:%s,%s", in, out);
	CHECK(setup(1, specs), "pcap setup");
	stub_room = 2;
	wire_poll(&sim);
	CHECK(stub_rx_count == 2, "paced read delivered %u", stub_rx_count);
	stub_room = -1;
	wire_poll(&sim);
	wire_poll(&sim);
	CHECK(stub_rx_count == 5, "pcap delivered %u of 5", stub_rx_count);
	for (k = 0; k < stub_rx_count; k++) {
		plain_frame(f, 60 + k, k);
		CHECK(stub_rx[k].len == 60 + k && memcmp(stub_rx[k].data, f, 60 + k) == 0,
		      "pcap frame %u differs", k);
	}
	wire_transmit(&sim.nic[0], 0, f, plain_frame(f, 70, 3));
	wire_teardown(&sim);
	fp = fopen(out, "rb");
	CHECK(fp != NULL, "no pcap output");
	if (fp != NULL) {
		CHECK(fread(hdr, 24, 1, fp) == 1 && fread(rec, 16, 1, fp) == 1, "short output");
		CHECK(*(uint32_t *)hdr == 0xa1b2c3d4 && *(uint32_t *)(hdr + 20) == 1,
		      "output header");
		CHECK(*(uint32_t *)(rec + 8) == 70 && *(uint32_t *)(rec + 12) == 70,
		      "output record lengths");
		CHECK(fread(f + 100, 70, 1, fp) == 1 && memcmp(f, f + 100, 70) == 0,
		      "output frame");
		fclose(fp);
	}
	unlink(in);
	unlink(out);
	snprintf(spec, sizeof(spec), "pcap:/nonexistent/x.pcap");
	CHECK(!setup(1, specs), "missing pcap accepted");
}

static void
set_addr(int s, const char *ifname, unsigned long req, const char *addr)
{
	struct ifreq ifr;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ifr.ifr_addr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	sin->sin_family = AF_INET;
	inet_pton(AF_INET, addr, &sin->sin_addr);
	CHECK(ioctl(s, req, &ifr) == 0, "address ioctl on %s: %s", ifname, strerror(errno));
}

static void
kernel_sends_arp(const char *ifname)
{
	struct sockaddr_in dst = { .sin_family = AF_INET, .sin_port = htons(9) };
	int s = socket(AF_INET, SOCK_DGRAM, 0);

	if (s < 0)
		abort();
	set_addr(s, ifname, SIOCSIFADDR, "192.0.2.1");
	set_addr(s, ifname, SIOCSIFNETMASK, "255.255.255.0");
	inet_pton(AF_INET, "192.0.2.2", &dst.sin_addr);
	CHECK(sendto(s, "x", 1, MSG_DONTWAIT, (struct sockaddr *)&dst, sizeof(dst)) == 1,
	      "sendto: %s", strerror(errno));
	close(s);
}

/* Whether one of the frames read so far is an ARP request. */
static bool
arp_read(void)
{
	unsigned int k;

	for (k = 0; k < stub_rx_count; k++)
		if (stub_rx[k].len >= 42 && stub_rx[k].data[12] == 0x08 &&
		    stub_rx[k].data[13] == 0x06 && stub_rx[k].data[21] == 1)
			return true;
	return false;
}

/* Only where the test can have a network namespace of its own (root). */
static void
test_tap(void)
{
	const char *const specs[] = { "tap:hvw0" };
	uint8_t f[100];
	unsigned int i;

	if (unshare(CLONE_NEWNET) != 0) {
		printf("  tap: skipped (no network namespace: %s)\n", strerror(errno));
		return;
	}
	CHECK(setup(1, specs), "tap setup");
	if (sim.nic[0].wire == NULL)
		return;
	CHECK(w_of(0)->tap_fd >= 0, "no tap fd");
	/* Broadcast frame: the kernel accepts it and counts it as received. */
	memset(f, 0xff, 6);
	wire_transmit(&sim.nic[0], 0, f, plain_frame(f + 6, 94, 1) + 6);
	CHECK(w_of(0)->tx_wire == 1 && w_of(0)->drops == 0, "tap write failed");
	/* A datagram to a neighbour makes the kernel send an ARP request out of the TAP. */
	kernel_sends_arp("hvw0");
	/* The kernel may send other frames first (IPv6 router solicitations, MLD reports). */
	for (i = 0; i < 1000 && !arp_read(); i++) {
		wire_poll(&sim);
		usleep(2000);
	}
	CHECK(arp_read(), "no ARP request read from the tap in 2 s (%u other frames)",
	      stub_rx_count);
	wire_teardown(&sim);
}

int
main(void)
{
	test_loop_backlog();
	test_peer();
	test_pcap();
	test_tap();
	return check_done("test_wire");
}
