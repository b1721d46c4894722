/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Headroom of frames received as external mbufs, run as the guest of the simulated host: port 0
 * (given rx_extmbuf_enable=1 by the caller) echoes every frame it receives, as an application
 * that encapsulates would: into each frame it got attached in the receive buffer, it prepends
 * all the headroom the mbuf offers, fills it with a marker, and takes it off again before
 * sending the frame back. What lies before an attached frame in the receive buffer is the rest
 * of its own RNDIS message; were the headroom to reach into the message before, the marker
 * would land in another frame, perhaps not yet sent on, and the host's checker would see it.
 *
 * After "--": the number of frames to echo. The app exits once it has echoed them, or after
 * IDLE_MS without a frame once the first came, or DEADLINE_S in all. Prints one line:
 * "extbuf frames=N attached=A headroom_min=H headroom_max=H prepend_failed=F tx_dropped=D",
 * then, once the host completed every send and the port stopped, "mbufs_in_use=M", then
 * "test-extbuf: exit RC".
 */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#define PORT		0
#define NB_DESC		512u
#define NB_MBUF		2047u
#define BURST		32u
#define IDLE_MS		3000u
#define DEADLINE_S	60u
#define DRAIN_MS	5000u
#define SETTLE_MS	300u
#define MARKER		0xa5

struct counts {
	uint64_t frames;
	uint64_t attached;
	uint64_t prepend_failed;
	uint64_t tx_dropped;
	uint16_t headroom_min;
	uint16_t headroom_max;
};

/* Write into all of an attached frame's headroom, as a prepended header would, then undo it. */
static void
use_headroom(struct rte_mbuf *m, struct counts *c)
{
	uint16_t room = rte_pktmbuf_headroom(m);
	char *p;

	c->attached++;
	c->headroom_min = RTE_MIN(c->headroom_min, room);
	c->headroom_max = RTE_MAX(c->headroom_max, room);
	if (room == 0)
		return;
	p = rte_pktmbuf_prepend(m, room);
	if (p == NULL) {
		c->prepend_failed++;
		return;
	}
	memset(p, MARKER, room);
	rte_pktmbuf_adj(m, room);
}

static void
echo(struct rte_mbuf **pkts, uint16_t n, struct counts *c)
{
	uint16_t i, sent = 0;
	unsigned int tries;

	for (i = 0; i < n; i++)
		if (RTE_MBUF_HAS_EXTBUF(pkts[i]))
			use_headroom(pkts[i], c);
	c->frames += n;
	for (tries = 0; sent < n && tries < 1000; tries++)
		sent += rte_eth_tx_burst(PORT, 0, pkts + sent, n - sent);
	if (sent < n) {
		c->tx_dropped += n - sent;
		rte_pktmbuf_free_bulk(pkts + sent, n - sent);
	}
}

static int
port_setup(struct rte_mempool *pool)
{
	struct rte_eth_conf conf;
	int ret;

	memset(&conf, 0, sizeof(conf));
	ret = rte_eth_dev_configure(PORT, 1, 1, &conf);
	if (ret == 0)
		ret = rte_eth_rx_queue_setup(PORT, 0, NB_DESC, rte_socket_id(), NULL, pool);
	if (ret == 0)
		ret = rte_eth_tx_queue_setup(PORT, 0, NB_DESC, rte_socket_id(), NULL);
	if (ret == 0)
		ret = rte_eth_dev_start(PORT);
	return ret;
}

/*
 * Let the host complete every send (bounded: until the pool's use has not changed for
 * SETTLE_MS), stop the port (its queues give back the mbufs they keep for the next bursts)
 * and return the mbufs still in use: an external mbuf the driver never freed stays.
 */
static unsigned int
finish(struct rte_mempool *pool, int *ret)
{
	uint64_t hz = rte_get_timer_hz(), now = rte_get_timer_cycles();
	uint64_t end = now + hz * DRAIN_MS / 1000, still = now;
	unsigned int used = rte_mempool_in_use_count(pool), last = used;

	while (now < end && now - still < hz * SETTLE_MS / 1000) {
		rte_eth_tx_done_cleanup(PORT, 0, 0);
		rte_delay_us_sleep(1000);
		now = rte_get_timer_cycles();
		used = rte_mempool_in_use_count(pool);
		if (used != last) {
			last = used;
			still = now;
		}
	}
	*ret = rte_eth_dev_stop(PORT);
	return rte_mempool_in_use_count(pool);
}

int
main(int argc, char **argv)
{
	struct counts c = { .headroom_min = UINT16_MAX };
	struct rte_mbuf *pkts[BURST];
	struct rte_mempool *pool;
	uint64_t hz, end, idle_end;
	unsigned long want;
	unsigned int left;
	char *stop;
	uint16_t n;
	int ret;

	ret = rte_eal_init(argc, argv);
	if (ret < 0) {
		fprintf(stderr, "test-extbuf: rte_eal_init failed: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	want = argc - ret == 2 ? strtoul(argv[ret + 1], &stop, 10) : 0;
	if (want == 0 || *stop != '\0' || rte_eth_dev_count_avail() < 1) {
		fprintf(stderr, "usage: test-extbuf <EAL args, port 0> -- FRAMES\n");
		return 2;
	}
	pool = rte_pktmbuf_pool_create("extbuf", NB_MBUF, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				       rte_socket_id());
	ret = pool != NULL ? port_setup(pool) : -ENOMEM;
	if (ret != 0) {
		fprintf(stderr, "test-extbuf: port setup: %s\n", rte_strerror(-ret));
		return 1;
	}
	printf("test-extbuf: ready\n");
	fflush(stdout);
	hz = rte_get_timer_hz();
	end = rte_get_timer_cycles() + hz * DEADLINE_S;
	idle_end = end;
	while (c.frames < want && rte_get_timer_cycles() < RTE_MIN(end, idle_end)) {
		n = rte_eth_rx_burst(PORT, 0, pkts, BURST);
		if (n == 0)
			continue;
		echo(pkts, n, &c);
		idle_end = rte_get_timer_cycles() + hz * IDLE_MS / 1000;
	}
	printf("extbuf frames=%" PRIu64 " attached=%" PRIu64 " headroom_min=%u headroom_max=%u "
	       "prepend_failed=%" PRIu64 " tx_dropped=%" PRIu64 "\n", c.frames, c.attached,
	       c.attached != 0 ? c.headroom_min : 0, c.headroom_max, c.prepend_failed,
	       c.tx_dropped);
	left = finish(pool, &ret);
	printf("mbufs_in_use=%u\n", left);
	if (ret == 0)
		ret = rte_eth_dev_close(PORT);
	rte_eal_cleanup();
	printf("test-extbuf: exit %d\n", ret);
	fflush(stdout);
	return ret == 0 && left == 0 ? 0 : 1;
}
