/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Accelerated networking: the SR-IOV VF beside the synthetic path (control in hvnet_vf.c).
 *
 * The fast path sees the VF through one struct hvnet_vf_q per rx and per tx queue. Why the
 * switch is safe while lcores run bursts: a burst touches the VF only while it holds the
 * queue's read lock (a trylock: a burst never waits) and saw 'on' under it. The control
 * thread turns a queue off by taking the write lock, clearing 'on' and releasing it: once
 * it held the write lock no burst is inside the VF on that queue, and none enters before
 * the queue is turned on again, so the VF may then be stopped, closed and removed. The
 * unlocked look at 'on' first only spares the atomic while no VF is in use.
 *
 * These bursts are inline so that hvnet_rx.c and hvnet_tx.c need nothing else of the VF
 * code (their unit test links them alone).
 */
#ifndef HVNET_VF_H
#define HVNET_VF_H

#include <net/if.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_rwlock.h>

struct hvnet_vf_q {
	rte_rwlock_t lock;	/* read: a burst in the VF; write: the control thread switching */
	bool on;		/* the VF carries this queue (written under the write lock) */
	/*
	 * The VF's PMD may free frames its tx burst reports as not sent (net_af_packet when
	 * its interface vanished): each segment gets an extra reference across the burst.
	 */
	bool guard;
	uint16_t port;		/* the VF's port, valid while on */
	uint64_t packets;	/* what this queue moved over the VF (vf_rx_* / vf_tx_* xstats) */
	uint64_t bytes;
};

/* What the port does with the host's VF (telemetry "vf_state"). */
enum hvnet_vf_state {
	HVNET_VF_DISABLED,	/* devarg vf=0: the association is only logged */
	HVNET_VF_NONE,		/* the host offers no VF, or the port is stopped */
	HVNET_VF_WAITING,	/* offered: looking for its device (vf_wait_ms) */
	HVNET_VF_MISSING,	/* offered, but no device appeared in vf_wait_ms */
	HVNET_VF_ACTIVE,	/* owned, started, data path switched to it */
};

/*
 * The port's VF, in its shared private data (hvnet_vf.c). The control thread (ethdev ops)
 * and EAL's interrupt thread (the VF alarm) change it under lock; the channel reader only
 * bumps assoc_gen; RMV callbacks only set rmv_pending.
 */
struct hvnet_vf {
	pthread_mutex_t lock;
	enum hvnet_vf_state state;
	bool ticking;		/* the alarm re-arms itself */
	uint16_t port;		/* the VF's port while ACTIVE */
	bool probed;		/* we probed its device: we close and remove it */
	char dev_name[RTE_ETH_NAME_MAX_LEN];	/* its device (port) name: to remove it, for logs */
	char ifname[IF_NAMESIZE];	/* its kernel interface, "" when unknown */
	unsigned int ifindex;	/* ... and that interface's index when found */
	uint64_t owner;		/* our ethdev owner id, 0 until the first attach */
	/*
	 * The receive modes the VF gets. Not dev->data's: ethdev records a mode only after
	 * the op returns, and an attach in between would configure the VF with the old one.
	 */
	bool promisc;
	bool allmulti;
	uint32_t assoc_gen;	/* bumped at every NVSP VF association message */
	uint32_t assoc_seen;	/* the last one the alarm acted on */
	volatile bool rmv_pending;	/* the VF signalled RTE_ETH_EVENT_INTR_RMV */
	uint64_t wait_until;	/* timer cycles: look for the device until then */
	uint64_t attaches;	/* switches to the VF (xstat vf_attaches) */
	uint64_t detaches;	/* switches back (xstat vf_detaches) */
};

/* hvnet_vf_rx_burst() with a VF seen on: out of line, off the synthetic burst's path. */
static __rte_noinline __rte_unused uint16_t
hvnet_vf_rx_burst_on(struct hvnet_vf_q *vq, uint16_t port_id, uint16_t qid,
		     struct rte_mbuf **pkts, uint16_t n)
{
	uint64_t bytes = 0;
	uint16_t nb = 0, i;

	if (rte_rwlock_read_trylock(&vq->lock) != 0)
		return 0;
	if (vq->on)
		nb = rte_eth_rx_burst(vq->port, qid, pkts, n);
	rte_rwlock_read_unlock(&vq->lock);
	for (i = 0; i < nb; i++) {
		pkts[i]->port = port_id;
		bytes += pkts[i]->pkt_len;
	}
	vq->packets += nb;
	vq->bytes += bytes;
	return nb;
}

/* Frames received on the VF's queue qid, relabelled as port_id's; 0 while no VF is on. */
static inline uint16_t
hvnet_vf_rx_burst(struct hvnet_vf_q *vq, uint16_t port_id, uint16_t qid,
		  struct rte_mbuf **pkts, uint16_t n)
{
	if (likely(!__atomic_load_n(&vq->on, __ATOMIC_RELAXED)) || n == 0)
		return 0;
	return hvnet_vf_rx_burst_on(vq, port_id, qid, pkts, n);
}

static inline void
hvnet_vf_ref_segs(struct rte_mbuf *m, int16_t v)
{
	for (; m != NULL; m = m->next)
		rte_mbuf_refcnt_update(m, v);
}

/*
 * A guarded burst: every segment holds one reference more than the caller's while the VF
 * has it. Sent frames drop that reference; an unsent one drops it only if the PMD did not
 * already (then its count is still raised), so the caller gets back exactly what it gave.
 */
static inline uint16_t
hvnet_vf_tx_guarded(struct hvnet_vf_q *vq, uint16_t qid, struct rte_mbuf **pkts, uint16_t n)
{
	uint16_t sent, i;

	for (i = 0; i < n; i++)
		hvnet_vf_ref_segs(pkts[i], 1);
	sent = rte_eth_tx_burst(vq->port, qid, pkts, n);
	for (i = 0; i < sent; i++)
		rte_pktmbuf_free(pkts[i]);
	for (i = sent; i < n; i++) {
		if (rte_mbuf_refcnt_read(pkts[i]) > 1)
			hvnet_vf_ref_segs(pkts[i], -1);
	}
	return sent;
}

/* Send over the VF: the frames it took, or -1 when no VF is on (send them synthetic). */
static inline int
hvnet_vf_tx_burst(struct hvnet_vf_q *vq, uint16_t qid, struct rte_mbuf **pkts, uint16_t n)
{
	uint64_t bytes = 0;
	uint16_t sent, i;

	if (likely(!__atomic_load_n(&vq->on, __ATOMIC_RELAXED)))
		return -1;
	if (rte_rwlock_read_trylock(&vq->lock) != 0)
		return -1;	/* being switched off: the synthetic path is there */
	if (!vq->on) {
		rte_rwlock_read_unlock(&vq->lock);
		return -1;
	}
	/* The byte count is read before the VF owns (and may free) the frames. */
	for (i = 0; i < n; i++)
		bytes += pkts[i]->pkt_len;
	if (vq->guard)
		sent = hvnet_vf_tx_guarded(vq, qid, pkts, n);
	else
		sent = rte_eth_tx_burst(vq->port, qid, pkts, n);
	rte_rwlock_read_unlock(&vq->lock);
	if (sent < n) {
		for (i = sent; i < n; i++)
			bytes -= pkts[i]->pkt_len;
	}
	vq->packets += sent;
	vq->bytes += bytes;
	return sent;
}

#endif /* HVNET_VF_H */
