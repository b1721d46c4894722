/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit test of the transmit descriptors' ownership (hvnet_tx.c with hvnet_rx.c, the channel
 * reader that hands completions back), on the test host of fake_hvbus.c, with EAL in memory.
 *
 * A hostile host knows the id a descriptor's next send will carry (queue, generation + 1,
 * index). Here it completes that id while the send is under way and fails it (ring full, or a
 * corrupt read index): the completion is read at that instant, as the rx burst of another
 * lcore or the LSC alarm would read it. A descriptor must then be in exactly one place (free,
 * being filled, in flight, done), the forged completion counted as unknown, every frame
 * accounted for and every mbuf back in its pool.
 *
 * The same queue's receive acks: a tx lcore holding the channel's tx lock each time the
 * reader wants to send them must not keep them from the host (its receive sections), nor a
 * holder that sends nothing afterwards.
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_ring_elem.h>

#include "check.h"
#include "fake_dev.h"

#define NB_DESC		4u
#define SECTION		6144u
#define SECTIONS	16u
#define GUARD		4096u
#define RXBUF		(64u * 1024u)
#define SMALL		60u
#define LARGE		1000u	/* above tx_copybreak: GPA-direct */

static struct fake_dev dev;
static uint8_t *sendbuf;

/* The other reader: it takes the channel while the send is under way. */
static void
race_hook(struct rte_hvbus_channel *c, uint64_t xid)
{
	fake_complete(c, xid, HV_NVSP_STATUS_SUCCESS);
	hvnet_chan_poll(&dev.hv, 0, false);
}

static void
setup(void)
{
	CHECK(fake_dev_init(&dev, "tx_owner", 511, RXBUF, 2048), "port");
	dev.hv.args.tx_copybreak = 512;
	dev.hv.sendbuf_section_size = SECTION;
	dev.hv.sendbuf_section_cnt = SECTIONS;
	dev.hv.rndis_agg_size = SECTION;
	dev.hv.rndis_agg_pkts = 8;
	dev.hv.rndis_agg_align = 8;
	sendbuf = rte_zmalloc(NULL, SECTION * SECTIONS + GUARD, 64);
	CHECK(sendbuf != NULL, "send buffer");
	memset(sendbuf + SECTION * SECTIONS, 0xa5, GUARD);
	dev.vdev.resource[HVBUS_MAP_SEND].addr = sendbuf;
	dev.vdev.resource[HVBUS_MAP_SEND].len = SECTION * SECTIONS;
	CHECK(hvnet_txq_setup(&dev.hv, 0, NB_DESC, SOCKET_ID_ANY, 0,
			      (struct hvnet_txq **)&dev.txqs[0]) == 0, "tx queue");
	CHECK(hvnet_rxq_setup(&dev.hv, 0, 64, SOCKET_ID_ANY, dev.mp, 0,
			      (struct hvnet_rxq **)&dev.rxqs[0]) == 0, "rx queue");
}

static struct rte_mbuf *
frame(uint32_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(dev.mp);
	uint8_t *p;

	if (m == NULL)
		return NULL;
	p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)len);
	memset(p, 0x11, len);
	p[0] = 0x02;	/* unicast destination */
	return m;
}

/* Every descriptor in exactly one place once the queue is idle: all free, no repeats. */
static void
check_descriptors(const char *what)
{
	struct hvnet_txq *txq = dev.txqs[0];
	uint32_t idx[NB_DESC + 1], seen = 0, n, i;

	n = rte_ring_count(txq->free_txd);
	CHECK(n == txq->nb_desc && hvnet_idxq_count(txq->done_txd) == 0 && txq->agg == NULL,
	      " %s: %u free, %u done, %s being filled (of %u)", what, n,
	      hvnet_idxq_count(txq->done_txd), txq->agg != NULL ? "one" : "none", txq->nb_desc);
	n = rte_ring_dequeue_burst_elem(txq->free_txd, idx, sizeof(idx[0]), NB_DESC, NULL);
	for (i = 0; i < n; i++) {
		CHECK(idx[i] < txq->nb_desc && !(seen & (1u << idx[i])),
		      " %s: descriptor %u free twice or out of range", what, idx[i]);
		seen |= 1u << (idx[i] & 31);
	}
	rte_ring_enqueue_bulk_elem(txq->free_txd, idx, sizeof(idx[0]), n, NULL);
}

/* Add the descriptors in ring r to seen[] (a peek: they go back in the same order). */
static void
count_ring(struct rte_ring *r, unsigned int *seen)
{
	uint32_t idx[NB_DESC];
	unsigned int n, i;

	n = rte_ring_dequeue_burst_elem(r, idx, sizeof(idx[0]), NB_DESC, NULL);
	for (i = 0; i < n; i++)
		seen[idx[i] % NB_DESC]++;
	rte_ring_enqueue_bulk_elem(r, idx, sizeof(idx[0]), n, NULL);
}

/* The done queue's indices, read in place (the test is its only user meanwhile). */
static void
count_done(const struct hvnet_idxq *q, unsigned int *seen)
{
	uint32_t i;

	for (i = q->tail; i != q->head; i++)
		seen[q->slot[i & q->mask] % NB_DESC]++;
}

/* Right after a race: no descriptor both free, done or being filled at once. */
static void
check_places(const char *what)
{
	struct hvnet_txq *txq = dev.txqs[0];
	unsigned int seen[NB_DESC] = { 0 }, i;

	count_ring(txq->free_txd, seen);
	count_done(txq->done_txd, seen);
	if (txq->agg != NULL)
		seen[txq->agg->idx % NB_DESC]++;
	for (i = 0; i < NB_DESC; i++)
		CHECK(seen[i] <= 1, " %s: descriptor %u in %u places (free, done, being filled)",
		      what, i, seen[i]);
	CHECK(hvnet_idxq_count(txq->done_txd) == 0, " %s: %u descriptors done by the forgery",
	      what, hvnet_idxq_count(txq->done_txd));
}

/* The host completes everything it was sent; the queue takes it all back. */
static void
drain(void)
{
	struct hvnet_txq *txq = dev.txqs[0];
	unsigned int i;

	for (i = 0; i < 4; i++) {
		hvnet_tx_done_cleanup(txq, 0);
		fake_complete_all(&dev.chan);
	}
	hvnet_tx_done_cleanup(txq, 0);
}

static uint64_t
unknown_completions(void)
{
	return ((struct hvnet_rxq *)dev.rxqs[0])->stats.errors[HVNET_RX_UNKNOWN_COMPLETION];
}

static void
check_guard(const char *what)
{
	unsigned int i, bad = 0;

	for (i = 0; i < GUARD; i++)
		bad += sendbuf[SECTION * SECTIONS + i] != 0xa5;
	CHECK(bad == 0, " %s: %u bytes past the send buffer written", what, bad);
}

/* Three small frames copied into a section whose send fails with rc while raced. */
static void
race_chimney(int rc)
{
	struct hvnet_txq *txq = dev.txqs[0];
	struct rte_mbuf *m[3];
	uint64_t unknown = unknown_completions(), pkts = txq->stats.packets;
	uint64_t lost = txq->stats.errors[HVNET_TX_SEND_FAILED];
	unsigned int i;
	uint16_t n;

	for (i = 0; i < RTE_DIM(m); i++)
		m[i] = frame(SMALL);
	dev.chan.fail_rc = rc;
	dev.chan.fail_hook = race_hook;
	n = hvnet_xmit_pkts(txq, m, RTE_DIM(m));
	CHECK(n == RTE_DIM(m), " chimney rc %d: %u of 3 frames taken (copied)", rc, n);
	CHECK(unknown_completions() == unknown + 1,
	      " chimney rc %d: the completion of a send under way counted as unknown (%lu)", rc,
	      (unsigned long)(unknown_completions() - unknown));
	check_places(rc == -EAGAIN ? "chimney, ring full" : "chimney, corrupt ring");
	drain();
	check_descriptors(rc == -EAGAIN ? "chimney, ring full" : "chimney, corrupt ring");
	if (rc == -EAGAIN)
		CHECK(txq->stats.packets == pkts + 3, " ring full: the 3 frames went on retry");
	else
		CHECK(txq->stats.packets == pkts &&
		      txq->stats.errors[HVNET_TX_SEND_FAILED] == lost + 3,
		      " corrupt ring: the 3 frames counted as send errors");
	CHECK(rte_mempool_in_use_count(dev.mp) == 0, " chimney rc %d: %u mbufs still in use", rc,
	      rte_mempool_in_use_count(dev.mp));
	check_guard("chimney");
}

/* One large frame sent GPA-direct whose send fails with rc while raced. */
static void
race_gpa(int rc)
{
	struct hvnet_txq *txq = dev.txqs[0];
	uint64_t unknown = unknown_completions();
	struct rte_mbuf *m = frame(LARGE);
	uint16_t n;

	dev.chan.fail_rc = rc;
	dev.chan.fail_hook = race_hook;
	n = hvnet_xmit_pkts(txq, &m, 1);
	CHECK(unknown_completions() == unknown + 1,
	      " GPA rc %d: the completion of a send under way counted as unknown", rc);
	check_places("GPA-direct");
	if (n == 0)
		n = hvnet_xmit_pkts(txq, &m, 1);	/* the retry an application makes */
	if (n == 0)
		rte_pktmbuf_free(m);
	drain();
	check_descriptors("GPA-direct");
	CHECK(rte_mempool_in_use_count(dev.mp) == 0, " GPA rc %d: %u mbufs still in use", rc,
	      rte_mempool_in_use_count(dev.mp));
}

/* Plain traffic around the races: every frame sent and completed, nothing left over. */
static void
traffic(const char *what)
{
	struct hvnet_txq *txq = dev.txqs[0];
	struct rte_mbuf *m[8];
	uint64_t pkts = txq->stats.packets;
	unsigned int i;
	uint16_t n;

	for (i = 0; i < RTE_DIM(m); i++)
		m[i] = frame(i % 2 ? LARGE : SMALL);
	n = hvnet_xmit_pkts(txq, m, RTE_DIM(m));
	for (i = n; i < RTE_DIM(m); i++)
		rte_pktmbuf_free(m[i]);
	drain();
	CHECK(txq->stats.packets == pkts + n && n != 0, " %s: %u frames sent", what, n);
	check_descriptors(what);
	CHECK(rte_mempool_in_use_count(dev.mp) == 0, " %s: mbufs back", what);
}

/*
 * Every read finds the tx lock held, as it would beside a tx lcore that keeps it busy: each
 * ack the reader owes must go out with the next tx burst, never pile up until reading stops.
 * More rounds than the reader can hold acks (max_acks).
 */
static void
acks_under_busy_tx(void)
{
	struct hvnet_rxq *rxq = dev.rxqs[0];
	struct hvnet_txq *txq = dev.txqs[0];
	uint32_t acks = dev.chan.nb_acks, rounds = 4 * rxq->max_acks, i;
	struct rte_mbuf *m;

	for (i = 0; i < rounds; i++) {
		fake_xfer_unusable(&dev.chan, 1000 + i);
		rte_spinlock_lock(&rxq->lock->tx);	/* the tx lcore, inside its burst */
		CHECK(hvnet_recv_pkts(rxq, &m, 1) == 0, " busy tx: round %u: a frame", i);
		rte_spinlock_unlock(&rxq->lock->tx);
		CHECK(dev.chan.nb_acks == acks + i, " busy tx: round %u: ack sent under the lock",
		      i);
		m = frame(SMALL);
		CHECK(m != NULL && hvnet_xmit_pkts(txq, &m, 1) == 1, " busy tx: round %u: send", i);
		if (dev.chan.nb_acks != acks + i + 1) {
			CHECK(false, " busy tx: round %u: %u acks sent of %u owed", i,
			      dev.chan.nb_acks - acks, i + 1);
			break;
		}
		drain();
	}
	CHECK(rxq->nb_acks == 0, " busy tx: %u acks still owed", rxq->nb_acks);
	check_descriptors("busy tx");
	CHECK(rte_mempool_in_use_count(dev.mp) == 0, " busy tx: mbufs back");
}

/*
 * The tx lock was held by a holder that sends nothing more (the control path, or a tx lcore's
 * last burst) when the reader wanted to send its acks, and nothing is transmitted afterwards
 * (testpmd rxonly): the next read must send them even when it finds no new packet. Else a host
 * whose sections all sit in those acks never sends again, and receive stops for good.
 */
static void
acks_when_tx_stops(void)
{
	struct hvnet_rxq *rxq = dev.rxqs[0];
	uint32_t acks = dev.chan.nb_acks, i;
	struct rte_mbuf *m;

	fake_xfer_unusable(&dev.chan, 5000);
	rte_spinlock_lock(&rxq->lock->tx);
	CHECK(hvnet_recv_pkts(rxq, &m, 1) == 0, " tx stopped: a frame");
	rte_spinlock_unlock(&rxq->lock->tx);
	CHECK(dev.chan.nb_acks == acks, " tx stopped: ack sent under the lock");
	for (i = 0; i < 3 && dev.chan.nb_acks == acks; i++)
		CHECK(hvnet_recv_pkts(rxq, &m, 1) == 0, " tx stopped: read %u: a frame", i);
	CHECK(dev.chan.nb_acks == acks + 1,
	      " tx stopped: %u acks sent of 1 owed after %u empty reads", dev.chan.nb_acks - acks,
	      i);
}

int
main(int argc, char **argv)
{
	if (!fake_dev_eal_init(argc, argv))
		return 1;
	setup();
	traffic("before the races");
	race_chimney(-EAGAIN);
	race_chimney(-EPROTO);
	race_gpa(-EAGAIN);
	traffic("after the races");
	acks_under_busy_tx();
	acks_when_tx_stops();
	hvnet_rxq_free(dev.rxqs[0]);
	hvnet_txq_free(dev.txqs[0]);
	rte_eal_cleanup();
	return check_done("hvnet-tx-owner");
}
