/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Receive interrupts, l3fwd-power style, run as the guest of the simulated host: one worker
 * lcore per rx queue of port 0 echoes what it receives on the tx queue of the same number;
 * after IDLE_POLLS empty polls it enables its queue's interrupt, sleeps in rte_epoll_wait()
 * and disables it on waking. Driven over stdin by rx_intr.py:
 *   reta Q   every RETA entry to queue Q (so that only Q's channel gets traffic); "ok"
 *   stats    one line per queue: rx, tx, sleeps, wakes, spurious, timeouts, missed; "ok"
 *   quit     stop the workers, stop and close the port, exit
 * A sleep that times out while the queue holds frames, and stays without an event for
 * MISSED_GRACE_MS more, is a missed wakeup: the interrupt those frames should have raised
 * never came. --poll runs the same workers without ever sleeping (the CPU-cost reference).
 */

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_interrupts.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#define PORT			0
#define MAX_QUEUES		16u
#define NB_DESC			1024u
#define NB_MBUF			16383u
#define BURST			32u
#define IDLE_POLLS		300u
#define SLEEP_TIMEOUT_MS	200
#define MISSED_GRACE_MS		50
#define RETA_SIZE_MAX		512u

struct qstat {
	uint64_t rx;
	uint64_t tx;
	uint64_t sleeps;	/* rte_epoll_wait() entered */
	uint64_t wakes;		/* ... left on an event */
	uint64_t spurious;	/* ... on an event, with nothing to read */
	uint64_t timeouts;	/* ... on the timeout */
	uint64_t missed;	/* frames waited with no event (see above) */
} __rte_cache_aligned;

static struct qstat qstats[MAX_QUEUES];
static volatile bool quit;
static bool poll_only;
static unsigned int nb_queues = 1;

static void
on_signal(int sig)
{
	(void)sig;
	quit = true;
}

static uint16_t
echo(uint16_t q)
{
	struct rte_mbuf *pkts[BURST];
	uint16_t n, sent;

	n = rte_eth_rx_burst(PORT, q, pkts, BURST);
	if (n == 0)
		return 0;
	qstats[q].rx += n;
	sent = rte_eth_tx_burst(PORT, q, pkts, n);
	qstats[q].tx += sent;
	if (sent < n)
		rte_pktmbuf_free_bulk(pkts + sent, n - sent);
	return n;
}

/* Sleep until queue q's interrupt (or the timeout); count how it ended. */
static void
sleep_on(uint16_t q)
{
	struct rte_epoll_event ev;
	struct qstat *st = &qstats[q];
	int n;

	if (rte_eth_dev_rx_intr_enable(PORT, q) != 0) {
		fprintf(stderr, "test-rx-intr: queue %u: rx_intr_enable failed\n", q);
		quit = true;
		return;
	}
	st->sleeps++;
	n = rte_epoll_wait(RTE_EPOLL_PER_THREAD, &ev, 1, SLEEP_TIMEOUT_MS);
	if (n == 0 && rte_eth_rx_queue_count(PORT, q) > 0) {
		/* Frames are there: their interrupt must be on its way, or it was missed. */
		n = rte_epoll_wait(RTE_EPOLL_PER_THREAD, &ev, 1, MISSED_GRACE_MS);
		if (n == 0)
			st->missed++;
	}
	rte_eth_dev_rx_intr_disable(PORT, q);
	if (n > 0)
		st->wakes++;
	else
		st->timeouts++;
	if (n > 0 && echo(q) == 0)
		st->spurious++;
}

static int
worker(void *arg)
{
	uint16_t q = (uint16_t)(uintptr_t)arg;
	unsigned int idle = 0;

	if (!poll_only && rte_eth_dev_rx_intr_ctl_q(PORT, q, RTE_EPOLL_PER_THREAD,
						    RTE_INTR_EVENT_ADD, NULL) != 0) {
		fprintf(stderr, "test-rx-intr: queue %u: rx_intr_ctl_q failed\n", q);
		quit = true;
		return -1;
	}
	while (!quit) {
		if (echo(q) != 0) {
			idle = 0;
			continue;
		}
		if (++idle < IDLE_POLLS || poll_only)
			continue;
		sleep_on(q);
		idle = 0;
	}
	return 0;
}

static int
set_reta(uint16_t q)
{
	struct rte_eth_rss_reta_entry64 conf[RETA_SIZE_MAX / RTE_ETH_RETA_GROUP_SIZE];
	struct rte_eth_dev_info info;
	unsigned int i;

	if (rte_eth_dev_info_get(PORT, &info) != 0 || info.reta_size == 0 ||
	    info.reta_size > RETA_SIZE_MAX)
		return -EINVAL;
	memset(conf, 0, sizeof(conf));
	for (i = 0; i < info.reta_size; i++) {
		conf[i / RTE_ETH_RETA_GROUP_SIZE].mask |= 1ull << (i % RTE_ETH_RETA_GROUP_SIZE);
		conf[i / RTE_ETH_RETA_GROUP_SIZE].reta[i % RTE_ETH_RETA_GROUP_SIZE] = q;
	}
	return rte_eth_dev_rss_reta_update(PORT, conf, info.reta_size);
}

static void
print_stats(void)
{
	unsigned int q;

	for (q = 0; q < nb_queues; q++)
		printf("queue %u rx=%" PRIu64 " tx=%" PRIu64 " sleeps=%" PRIu64 " wakes=%" PRIu64
		       " spurious=%" PRIu64 " timeouts=%" PRIu64 " missed=%" PRIu64 "\n", q,
		       qstats[q].rx, qstats[q].tx, qstats[q].sleeps, qstats[q].wakes,
		       qstats[q].spurious, qstats[q].timeouts, qstats[q].missed);
}

/* Commands from stdin until "quit", end of input or a signal. */
static void
serve_commands(void)
{
	char line[64];
	unsigned int q;

	printf("ready queues=%u mode=%s\n", nb_queues, poll_only ? "poll" : "interrupt");
	fflush(stdout);
	while (!quit && fgets(line, sizeof(line), stdin) != NULL) {
		if (strncmp(line, "quit", 4) == 0)
			break;
		if (strncmp(line, "stats", 5) == 0)
			print_stats();
		else if (sscanf(line, "reta %u", &q) == 1 && q < nb_queues)
			fputs(set_reta((uint16_t)q) == 0 ? "" : "reta failed\n", stdout);
		else
			printf("unknown command\n");
		printf("ok\n");
		fflush(stdout);
	}
	quit = true;
}

static int
port_setup(struct rte_mempool *mp)
{
	struct rte_eth_conf conf = {
		.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS,
		.intr_conf.rxq = poll_only ? 0 : 1,
	};
	struct rte_eth_dev_info info;
	uint16_t q;
	int ret;

	ret = rte_eth_dev_info_get(PORT, &info);
	if (ret != 0)
		return ret;
	/* The address hash the host can do: the generator's flows differ by address. */
	conf.rx_adv_conf.rss_conf.rss_hf = info.flow_type_rss_offloads & RTE_ETH_RSS_IP;
	ret = rte_eth_dev_configure(PORT, nb_queues, nb_queues, &conf);
	for (q = 0; ret == 0 && q < nb_queues; q++)
		ret = rte_eth_rx_queue_setup(PORT, q, NB_DESC, rte_socket_id(), NULL, mp);
	for (q = 0; ret == 0 && q < nb_queues; q++)
		ret = rte_eth_tx_queue_setup(PORT, q, NB_DESC, rte_socket_id(), NULL);
	if (ret == 0)
		ret = rte_eth_promiscuous_enable(PORT);
	if (ret == 0)
		ret = rte_eth_dev_start(PORT);
	return ret;
}

/* After "--": --queues N (1..16, a worker lcore each), --poll. */
static int
parse_args(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--poll") == 0) {
			poll_only = true;
		} else if (strcmp(argv[i], "--queues") == 0 && i + 1 < argc) {
			nb_queues = (unsigned int)strtoul(argv[++i], NULL, 10);
			if (nb_queues < 1 || nb_queues > MAX_QUEUES)
				return -1;
		} else {
			return -1;
		}
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct rte_mempool *mp;
	unsigned int lcore, q = 0;
	int ret;

	ret = rte_eal_init(argc, argv);
	if (ret < 0) {
		fprintf(stderr, "test-rx-intr: rte_eal_init failed: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	if (parse_args(argc - ret, argv + ret) != 0 || rte_lcore_count() < nb_queues + 1 ||
	    rte_eth_dev_count_avail() < 1) {
		fprintf(stderr, "usage: test-rx-intr <EAL args, one lcore per queue and the main "
			"one, port 0> -- [--queues N] [--poll]\n");
		return 2;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	mp = rte_pktmbuf_pool_create("rx_intr_pool", NB_MBUF, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				     rte_socket_id());
	ret = mp != NULL ? port_setup(mp) : -ENOMEM;
	if (ret != 0) {
		fprintf(stderr, "test-rx-intr: port setup: %s\n", rte_strerror(-ret));
		return 1;
	}
	RTE_LCORE_FOREACH_WORKER(lcore) {
		if (q < nb_queues)
			rte_eal_remote_launch(worker, (void *)(uintptr_t)q++, lcore);
	}
	serve_commands();
	rte_eal_mp_wait_lcore();
	print_stats();
	ret = rte_eth_dev_stop(PORT);
	if (ret == 0)
		ret = rte_eth_dev_close(PORT);
	rte_eal_cleanup();
	printf("test-rx-intr: exit %d\n", ret);
	return ret == 0 ? 0 : 1;
}
