/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-queue start and stop with a VF in use, run as the guest of the simulated host (--vf).
 * The VF is a port of this program's own (net_vfq_stub, a vdev with the NIC's MAC, created
 * before port 0 starts, so hvnet takes it as the VF instead of probing net_af_packet on the
 * host's veth), recording every call, so the test sees what hvnet asked of the VF. Three
 * kinds (devarg kind=): "defers", with per-queue start and stop, honouring deferred start;
 * "starts", the same but starting every queue regardless, as some drivers do; "plain", with
 * no per-queue operations (net_af_packet, MANA), refusing deferred start at setup, as some
 * drivers and ethdev itself from 25.03 on do.
 *
 * Port 0 (hvnet) gets 2 rx and 2 tx queues, rx queue 1 and tx queue 0 deferred. Checked per
 * kind: hvnet attaches the VF; its queues are then in the states of port 0's (deferred at
 * setup, or stopped after the VF's start), all started on "plain"; each start and stop of a
 * port 0 queue reaches the VF's queue of the same number (and only that one), or nothing on
 * "plain" (which does not fail them); a VF queue that fails to start fails port 0's start
 * and leaves both stopped; the new attach a port restart brings puts the deferred queues
 * back to stopped on the VF. Last, no mbuf in use. Prints the checks and exits 0 when all
 * passed ("test-vf-queues: exit N" last).
 */

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bus_vdev_driver.h>
#include <ethdev_driver.h>
#include <ethdev_vdev.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_kvargs.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "check.h"

#define PORT		0
#define NB_Q		2u
#define STUB_MAX_Q	8u
#define STUB_NAME	"net_vfq_stub0"
#define ATTACH_MS	20000u	/* the VF alarm ticks every few ms; the host's offer is at probe */

/* ---- the stub VF ---------------------------------------------------------------------- */

struct stub_q {
	bool deferred;
	unsigned int starts;	/* queue start ops that reached it */
	unsigned int stops;
};

enum stub_kind {
	STUB_DEFERS,	/* per-queue ops, deferred start honoured */
	STUB_STARTS,	/* per-queue ops, every queue started by the port's start */
	STUB_PLAIN,	/* no per-queue ops, deferred start refused */
};

static const char *const stub_kinds[] = { "defers", "starts", "plain" };

struct stub {
	enum stub_kind kind;
	int start_error;	/* what a queue start returns (0: it starts) */
	struct stub_q rxq[STUB_MAX_Q];
	struct stub_q txq[STUB_MAX_Q];
	unsigned int dev_starts;
};

static struct stub *stub_of(const struct rte_eth_dev *dev)
{
	return dev->data->dev_private;
}

static int
stub_configure(struct rte_eth_dev *dev __rte_unused)
{
	return 0;
}

static int
stub_infos_get(struct rte_eth_dev *dev __rte_unused, struct rte_eth_dev_info *info)
{
	info->max_rx_queues = STUB_MAX_Q;
	info->max_tx_queues = STUB_MAX_Q;
	info->max_rx_pktlen = 9728;
	info->min_mtu = RTE_ETHER_MIN_MTU;
	info->max_mtu = 9000;
	info->max_mac_addrs = 1;
	info->rx_desc_lim.nb_max = 4096;
	info->rx_desc_lim.nb_align = 1;
	info->tx_desc_lim.nb_max = 4096;
	info->tx_desc_lim.nb_align = 1;
	return 0;
}

/* A queue of the stub set up: "plain" refuses deferred start, as ethdev does from 25.03 on. */
static int
stub_setup(struct rte_eth_dev *dev, struct stub_q *sq, void **slot, bool deferred)
{
	if (deferred && stub_of(dev)->kind == STUB_PLAIN)
		return -EINVAL;
	memset(sq, 0, sizeof(*sq));
	sq->deferred = deferred;
	*slot = sq;
	return 0;
}

static int
stub_rx_setup(struct rte_eth_dev *dev, uint16_t q, uint16_t nb_desc __rte_unused,
	      unsigned int socket __rte_unused, const struct rte_eth_rxconf *conf,
	      struct rte_mempool *mp __rte_unused)
{
	return stub_setup(dev, &stub_of(dev)->rxq[q], &dev->data->rx_queues[q],
			  conf->rx_deferred_start != 0);
}

static int
stub_tx_setup(struct rte_eth_dev *dev, uint16_t q, uint16_t nb_desc __rte_unused,
	      unsigned int socket __rte_unused, const struct rte_eth_txconf *conf)
{
	return stub_setup(dev, &stub_of(dev)->txq[q], &dev->data->tx_queues[q],
			  conf->tx_deferred_start != 0);
}

static void
stub_queue_release(struct rte_eth_dev *dev __rte_unused, uint16_t q __rte_unused)
{
}

static int
stub_start(struct rte_eth_dev *dev)
{
	struct stub *s = stub_of(dev);
	uint16_t q;

	for (q = 0; q < dev->data->nb_rx_queues; q++)
		dev->data->rx_queue_state[q] = s->kind == STUB_DEFERS && s->rxq[q].deferred ?
			RTE_ETH_QUEUE_STATE_STOPPED : RTE_ETH_QUEUE_STATE_STARTED;
	for (q = 0; q < dev->data->nb_tx_queues; q++)
		dev->data->tx_queue_state[q] = s->kind == STUB_DEFERS && s->txq[q].deferred ?
			RTE_ETH_QUEUE_STATE_STOPPED : RTE_ETH_QUEUE_STATE_STARTED;
	dev->data->dev_link.link_status = RTE_ETH_LINK_UP;
	dev->data->dev_link.link_speed = RTE_ETH_SPEED_NUM_10G;
	dev->data->dev_link.link_duplex = RTE_ETH_LINK_FULL_DUPLEX;
	s->dev_starts++;
	return 0;
}

static int
stub_stop(struct rte_eth_dev *dev)
{
	uint16_t q;

	for (q = 0; q < dev->data->nb_rx_queues; q++)
		dev->data->rx_queue_state[q] = RTE_ETH_QUEUE_STATE_STOPPED;
	for (q = 0; q < dev->data->nb_tx_queues; q++)
		dev->data->tx_queue_state[q] = RTE_ETH_QUEUE_STATE_STOPPED;
	dev->data->dev_link.link_status = RTE_ETH_LINK_DOWN;
	return 0;
}

static int
stub_close(struct rte_eth_dev *dev __rte_unused)
{
	return 0;
}

static int
stub_link_update(struct rte_eth_dev *dev __rte_unused, int wait __rte_unused)
{
	return 0;
}

static int
stub_mode(struct rte_eth_dev *dev __rte_unused)
{
	return 0;
}

static int
stub_queue_op(struct rte_eth_dev *dev, bool rx, uint16_t q, bool start)
{
	struct stub_q *sq = rx ? &stub_of(dev)->rxq[q] : &stub_of(dev)->txq[q];
	uint8_t *state = rx ? &dev->data->rx_queue_state[q] : &dev->data->tx_queue_state[q];

	if (start && stub_of(dev)->start_error != 0)
		return stub_of(dev)->start_error;
	if (start)
		sq->starts++;
	else
		sq->stops++;
	*state = start ? RTE_ETH_QUEUE_STATE_STARTED : RTE_ETH_QUEUE_STATE_STOPPED;
	return 0;
}

static int
stub_rxq_start(struct rte_eth_dev *dev, uint16_t q)
{
	return stub_queue_op(dev, true, q, true);
}

static int
stub_rxq_stop(struct rte_eth_dev *dev, uint16_t q)
{
	return stub_queue_op(dev, true, q, false);
}

static int
stub_txq_start(struct rte_eth_dev *dev, uint16_t q)
{
	return stub_queue_op(dev, false, q, true);
}

static int
stub_txq_stop(struct rte_eth_dev *dev, uint16_t q)
{
	return stub_queue_op(dev, false, q, false);
}

#define STUB_COMMON_OPS \
	.dev_configure = stub_configure, \
	.dev_infos_get = stub_infos_get, \
	.dev_start = stub_start, \
	.dev_stop = stub_stop, \
	.dev_close = stub_close, \
	.link_update = stub_link_update, \
	.promiscuous_enable = stub_mode, \
	.promiscuous_disable = stub_mode, \
	.allmulticast_enable = stub_mode, \
	.allmulticast_disable = stub_mode, \
	.rx_queue_setup = stub_rx_setup, \
	.tx_queue_setup = stub_tx_setup, \
	.rx_queue_release = stub_queue_release, \
	.tx_queue_release = stub_queue_release

static const struct eth_dev_ops stub_plain_ops = {
	STUB_COMMON_OPS,
};

static const struct eth_dev_ops stub_ops = {
	STUB_COMMON_OPS,
	.rx_queue_start = stub_rxq_start,
	.rx_queue_stop = stub_rxq_stop,
	.tx_queue_start = stub_txq_start,
	.tx_queue_stop = stub_txq_stop,
};

/* Nothing arrives over this VF; what hvnet sends over it is dropped (and freed). */
static uint16_t
stub_rx(void *q __rte_unused, struct rte_mbuf **pkts __rte_unused, uint16_t n __rte_unused)
{
	return 0;
}

static uint16_t
stub_tx(void *q __rte_unused, struct rte_mbuf **pkts, uint16_t n)
{
	rte_pktmbuf_free_bulk(pkts, n);
	return n;
}

static int
stub_mac_arg(const char *key __rte_unused, const char *value, void *opaque)
{
	return rte_ether_unformat_addr(value, opaque) == 0 ? 0 : -EINVAL;
}

static int
stub_kind_arg(const char *key __rte_unused, const char *value, void *opaque)
{
	unsigned int k;

	for (k = 0; k < RTE_DIM(stub_kinds); k++) {
		if (strcmp(value, stub_kinds[k]) == 0) {
			*(enum stub_kind *)opaque = k;
			return 0;
		}
	}
	return -EINVAL;
}

static int
stub_probe(struct rte_vdev_device *vdev)
{
	static const char *const keys[] = { "mac", "kind", NULL };
	struct rte_kvargs *kv = rte_kvargs_parse(rte_vdev_device_args(vdev), keys);
	struct rte_eth_dev *dev;
	struct stub *s;

	if (kv == NULL)
		return -EINVAL;
	dev = rte_eth_vdev_allocate(vdev, sizeof(struct stub));
	if (dev == NULL) {
		rte_kvargs_free(kv);
		return -ENOMEM;
	}
	s = stub_of(dev);
	/* ethdev frees the address table when it releases the port. */
	dev->data->mac_addrs = rte_zmalloc(NULL, sizeof(struct rte_ether_addr), 0);
	if (dev->data->mac_addrs == NULL || rte_kvargs_count(kv, "mac") != 1 ||
	    rte_kvargs_process(kv, "mac", stub_mac_arg, dev->data->mac_addrs) != 0 ||
	    rte_kvargs_count(kv, "kind") != 1 ||
	    rte_kvargs_process(kv, "kind", stub_kind_arg, &s->kind) != 0) {
		rte_kvargs_free(kv);
		rte_eth_dev_release_port(dev);
		return -EINVAL;
	}
	rte_kvargs_free(kv);
	dev->dev_ops = s->kind == STUB_PLAIN ? &stub_plain_ops : &stub_ops;
	dev->rx_pkt_burst = stub_rx;
	dev->tx_pkt_burst = stub_tx;
	rte_eth_dev_probing_finish(dev);
	return 0;
}

static int
stub_remove(struct rte_vdev_device *vdev)
{
	struct rte_eth_dev *dev = rte_eth_dev_allocated(rte_vdev_device_name(vdev));
	int ret = 0;

	if (dev == NULL)
		return 0;
	/* A port that does not stop or close keeps its device: it may still be in use. */
	if (dev->data->dev_started)
		ret = rte_eth_dev_stop(dev->data->port_id);
	return ret != 0 ? ret : rte_eth_dev_close(dev->data->port_id);
}

static struct rte_vdev_driver stub_driver = {
	.probe = stub_probe,
	.remove = stub_remove,
};

RTE_PMD_REGISTER_VDEV(net_vfq_stub, stub_driver);

/* ---- the test --------------------------------------------------------------------------- */

static uint64_t
xstat(uint16_t port, const char *name)
{
	uint64_t id, v = 0;

	if (rte_eth_xstats_get_id_by_name(port, name, &id) != 0 ||
	    rte_eth_xstats_get_by_id(port, &id, &v, 1) != 1)
		return UINT64_MAX;
	return v;
}

/* Until hvnet has attached the VF more than `before` times, for at most ATTACH_MS. */
static bool
wait_attach(uint64_t before)
{
	unsigned int ms;

	for (ms = 0; ms < ATTACH_MS; ms += 10) {
		uint64_t n = xstat(PORT, "vf_attaches");

		if (n != UINT64_MAX && n > before)
			return true;
		rte_delay_ms(10);
	}
	return false;
}

static uint8_t
state_of(uint16_t port, bool rx, uint16_t q)
{
	const struct rte_eth_dev_data *d = rte_eth_devices[port].data;

	return rx ? d->rx_queue_state[q] : d->tx_queue_state[q];
}

/* Queue i (rx queues, then tx) of port in the state want[i] (S: started, T: stopped). */
static void
check_state(uint16_t port, const char *name, const char *want, uint16_t i, const char *how,
	    const char *when)
{
	const bool rx = i < NB_Q;
	const uint16_t q = rx ? i : i - NB_Q;
	const bool started = want[i] == 'S';

	CHECK(state_of(port, rx, q) == (started ? RTE_ETH_QUEUE_STATE_STARTED :
					      RTE_ETH_QUEUE_STATE_STOPPED),
	      "%s, %s: %s %s queue %u %s", how, when, name, rx ? "rx" : "tx", q,
	      started ? "started" : "stopped");
}

/* Port 0's queues in the states of port_want, the VF's in those of vf_want. */
static void
check_states(uint16_t vf, const char *port_want, const char *vf_want, const char *how,
	     const char *when)
{
	uint16_t i;

	for (i = 0; i < 2 * NB_Q; i++) {
		check_state(PORT, "port 0", port_want, i, how, when);
		check_state(vf, "VF", vf_want, i, how, when);
	}
}

static int
setup_port(struct rte_mempool *mp)
{
	struct rte_eth_conf conf = { 0 };
	struct rte_eth_rxconf rxc = { 0 };
	struct rte_eth_txconf txc = { 0 };
	uint16_t q;
	int ret;

	ret = rte_eth_dev_configure(PORT, NB_Q, NB_Q, &conf);
	for (q = 0; q < NB_Q && ret == 0; q++) {
		rxc.rx_deferred_start = q == 1;
		ret = rte_eth_rx_queue_setup(PORT, q, 256, SOCKET_ID_ANY, &rxc, mp);
	}
	for (q = 0; q < NB_Q && ret == 0; q++) {
		txc.tx_deferred_start = q == 0;
		ret = rte_eth_tx_queue_setup(PORT, q, 256, SOCKET_ID_ANY, &txc);
	}
	return ret;
}

/* A VF queue that fails to start fails port 0's start of it; both stay stopped. */
static void
check_failed_start(struct stub *s, uint16_t vf, const char *how)
{
	s->start_error = -EIO;
	CHECK(rte_eth_dev_rx_queue_start(PORT, 1) == -EIO, "%s: rx queue 1 start fails", how);
	CHECK(rte_eth_dev_tx_queue_start(PORT, 0) == -EIO, "%s: tx queue 0 start fails", how);
	s->start_error = 0;
	check_states(vf, "STTS", "STTS", how, "after the failed starts");
}

/* The start, queue ops and a restart with one stub VF of the given kind. */
static void
sequence(const struct rte_ether_addr *mac, enum stub_kind kind)
{
	const char *how = stub_kinds[kind];
	const bool ops = kind != STUB_PLAIN;
	const unsigned int late_stops = kind == STUB_STARTS;
	char args[64];
	struct stub *s;
	uint64_t n;
	uint16_t vf;

	snprintf(args, sizeof(args), "mac=" RTE_ETHER_ADDR_PRT_FMT ",kind=%s",
		 RTE_ETHER_ADDR_BYTES(mac), how);
	if (!CHECK(rte_vdev_init(STUB_NAME, args) == 0, "%s: the stub VF created", how) ||
	    !CHECK(rte_eth_dev_get_port_by_name(STUB_NAME, &vf) == 0, "%s: its port", how))
		return;
	s = rte_eth_devices[vf].data->dev_private;
	n = xstat(PORT, "vf_attaches");
	CHECK(rte_eth_dev_start(PORT) == 0, "%s: port 0 started", how);
	if (!CHECK(wait_attach(n), "%s: hvnet attached the VF within %u ms", how, ATTACH_MS))
		goto out;
	CHECK(s->dev_starts == 1, "%s: the VF started once (%u)", how, s->dev_starts);
	CHECK(s->rxq[1].deferred == ops && s->txq[0].deferred == ops && !s->rxq[0].deferred &&
	      !s->txq[1].deferred, "%s: %s", how, ops ?
	      "the deferred queues, and only they, deferred on the VF" : "nothing deferred");
	CHECK(s->rxq[1].stops == late_stops && s->txq[0].stops == late_stops &&
	      s->rxq[0].stops == 0 && s->txq[1].stops == 0,
	      "%s: queue stops after the VF's start: %s", how,
	      late_stops ? "the deferred queues'" : "none");
	check_states(vf, "STTS", ops ? "STTS" : "SSSS", how, "after the start");
	if (ops)
		check_failed_start(s, vf, how);

	CHECK(rte_eth_dev_rx_queue_start(PORT, 1) == 0, "%s: rx queue 1 started", how);
	CHECK(rte_eth_dev_tx_queue_start(PORT, 0) == 0, "%s: tx queue 0 started", how);
	CHECK(s->rxq[1].starts == ops && s->txq[0].starts == ops, "%s: %s", how,
	      ops ? "... on the VF too" : "nothing asked of the VF");
	check_states(vf, "SSSS", "SSSS", how, "deferred queues started");

	CHECK(rte_eth_dev_rx_queue_stop(PORT, 0) == 0, "%s: rx queue 0 stopped", how);
	CHECK(rte_eth_dev_tx_queue_stop(PORT, 1) == 0, "%s: tx queue 1 stopped", how);
	CHECK(s->rxq[0].stops == ops && s->txq[1].stops == ops, "%s: %s", how,
	      ops ? "... on the VF too" : "nothing asked of the VF");
	CHECK(s->rxq[1].stops == late_stops && s->txq[0].stops == late_stops &&
	      s->rxq[0].starts == 0 && s->txq[1].starts == 0, "%s: ... the others untouched",
	      how);
	check_states(vf, "TSST", ops ? "TSST" : "SSSS", how, "rx 0 and tx 1 stopped");
	CHECK(rte_eth_dev_rx_queue_start(PORT, 0) == 0 && rte_eth_dev_tx_queue_start(PORT, 1) == 0,
	      "%s: both started again", how);
	check_states(vf, "SSSS", "SSSS", how, "rx 0 and tx 1 started again");

	/* A new attach (after a port restart) brings the VF's queues to the port's states. */
	n = xstat(PORT, "vf_attaches");
	CHECK(rte_eth_dev_stop(PORT) == 0, "%s: port 0 stopped", how);
	CHECK(state_of(vf, true, 0) == RTE_ETH_QUEUE_STATE_STOPPED, "%s: the VF stopped with it",
	      how);
	CHECK(rte_eth_dev_start(PORT) == 0, "%s: port 0 started again", how);
	if (CHECK(wait_attach(n), "%s: the VF attached again", how)) {
		CHECK(s->dev_starts == 2, "%s: the VF started twice (%u)", how, s->dev_starts);
		check_states(vf, "STTS", ops ? "STTS" : "SSSS", how,
			     "after the restart (deferred queues stopped again)");
		CHECK(rte_eth_dev_rx_queue_stop(PORT, 0) == 0, "%s: rx queue 0 stopped", how);
		check_states(vf, "TTTS", ops ? "TTTS" : "SSSS", how, "rx 0 stopped too");
	}
out:
	CHECK(rte_eth_dev_stop(PORT) == 0, "%s: port 0 stopped", how);
	CHECK(rte_vdev_uninit(STUB_NAME) == 0, "%s: the stub VF removed", how);
}

static void
run(struct rte_mempool *mp)
{
	struct rte_ether_addr mac;

	if (!CHECK(rte_eth_macaddr_get(PORT, &mac) == 0, "port 0's MAC") ||
	    !CHECK(setup_port(mp) == 0, "port 0 configured, queues set up"))
		return;
	CHECK(xstat(PORT, "vf_attaches") == 0, "no VF attached before the start");
	sequence(&mac, STUB_DEFERS);
	sequence(&mac, STUB_STARTS);
	sequence(&mac, STUB_PLAIN);
	CHECK(rte_eth_dev_close(PORT) == 0, "port 0 closed");
	CHECK(rte_mempool_in_use_count(mp) == 0, "no mbuf in use (%u)",
	      rte_mempool_in_use_count(mp));
}

int
main(int argc, char **argv)
{
	struct rte_mempool *mp;
	int ret;

	ret = rte_eal_init(argc, argv);
	if (ret < 0) {
		fprintf(stderr, "test-vf-queues: rte_eal_init failed: %s\n",
			rte_strerror(rte_errno));
		return 1;
	}
	mp = rte_pktmbuf_pool_create("vfq", 4095, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				     SOCKET_ID_ANY);
	if (CHECK(mp != NULL, "mbuf pool") &&
	    CHECK(rte_eth_dev_count_avail() >= 1, "port 0 (hvnet) probed"))
		run(mp);
	ret = check_done("test-vf-queues");
	rte_eal_cleanup();
	printf("test-vf-queues: exit %d\n", ret);
	fflush(stdout);
	return ret;
}
