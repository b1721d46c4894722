/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * How the host learns there is work, as Hyper-V: it polls a channel while the channel has
 * work, then clears interrupt_mask on the guest->host ring, looks once more (the guest may have
 * written just before it saw the mask), and sleeps until the guest signals: the monitor page
 * bit of the channel, scanned at the latency the guest set, or the kernel's signal hypercall
 * (a uio write, for a channel without monitor id). When the host->guest ring is full it sets
 * pending_send_sz and writes nothing more there until the guest, having read past that much,
 * signals. A guest that forgets a signal stalls here as it would on Hyper-V, and the watchdog
 * says so (doc/guides/tools/test-hvnet.rst, "Signals").
 */

#include <stdio.h>
#include <string.h>

#include "host.h"

#define NS_PER_100NS		100ull
#define SCAN_MIN_NS		10000ull	/* latency 0: the host's shortest interval */
#define WATCH_PERIOD_NS		10000000ull	/* a waiting channel is looked at every 10 ms */
#define MISSED_SIGNAL_NS	3000000000ull	/* ready that long without a signal: missed */
#define MONITOR_IDS		(4u * 32u)	/* trigger bits of the monitor page */

static inline uint32_t
load_acquire(const uint32_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static bool
hyperv(const struct sim_nic *nic)
{
	return nic->sim->opt.signals == SIM_SIGNALS_HYPERV;
}

static bool
monitored(const struct sim_nic *nic, unsigned int c)
{
	return nic->monitor_page != NULL && nic->chan[c].monitor_id < MONITOR_IDS;
}

uint16_t
host_chan_latency(const struct sim_nic *nic, unsigned int c)
{
	const struct hv_monitor_page *mon = (const struct hv_monitor_page *)nic->monitor_page;
	unsigned int mid = nic->chan[c].monitor_id;

	if (!monitored(nic, c))
		return 0;
	return __atomic_load_n(&mon->latency[mid / 32][mid % 32], __ATOMIC_RELAXED);
}

/* When to look at channel c's monitor bit next: the latency the guest asked for. */
static uint64_t
next_scan(struct sim_nic *nic, unsigned int c, uint64_t now)
{
	uint16_t lat = host_chan_latency(nic, c);

	return now + (lat != 0 ? lat * NS_PER_100NS : SCAN_MIN_NS);
}

/* Clear one event bit; true if the guest had set it. */
static bool
take_bit(uint8_t *page, size_t off, unsigned int bit)
{
	uint32_t *word = (uint32_t *)(page + off);
	uint32_t mask = 1u << bit;

	if (!(__atomic_load_n(word, __ATOMIC_RELAXED) & mask))
		return false;
	return (__atomic_fetch_and(word, ~mask, __ATOMIC_ACQ_REL) & mask) != 0;
}

/*
 * Signals for channel c since the last look. The kernel's hypercalls (uio writes, counted by
 * the shim per channel) are seen at once; the monitor bit only when scan is set. The
 * interrupt-page bit a guest sets beside its uio write wakes nothing by itself: since Windows
 * Server 2012 every channel has its own connection id and only the signal hypercall reaches
 * the host (hvnet_protocol.rst); it is cleared here so that it never piles up.
 */
static unsigned int
signals_take(struct sim_nic *nic, unsigned int c, bool scan)
{
	struct host_nic *hn = host_of(nic);
	const struct sim_chan *sc = &nic->chan[c];
	unsigned int n = 0;
	uint32_t k;

	k = load_acquire(&nic->ctl->chan_signals[c]);
	n += k - hn->kernel_seen[c];
	hn->kernel_seen[c] = k;
	if (scan && monitored(nic, c) &&
	    take_bit(nic->monitor_page, offsetof(struct hv_monitor_page, trigger) +
		     (sc->monitor_id / 32) * sizeof(struct hv_monitor_trigger),
		     sc->monitor_id % 32))
		n++;
	if (nic->int_page != NULL && sc->relid / 32 < (HV_PAGE_SIZE - HV_INT_PAGE_G2H_OFF) / 4)
		take_bit(nic->int_page, HV_INT_PAGE_G2H_OFF + 4 * (sc->relid / 32),
			 sc->relid % 32);
	nic->stats.host_signals += n;
	nic->chan_stats[c].signals += n;
	return n;
}

static void
set_mask(struct host_chan *hc, uint32_t v)
{
	__atomic_store_n(&hc->in.ctl->interrupt_mask, v, __ATOMIC_RELEASE);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

/* Bytes the guest has published in channel c's guest->host ring; 0 when corrupt. */
static bool
inbound_ready(const struct host_chan *hc)
{
	uint32_t w;

	return host_ring_write_index(&hc->in, &w) == 0 && w != hc->in.idx;
}

/* Free bytes of the host->guest ring as the guest left it; 0 when its index is corrupt. */
static uint32_t
outbound_room(const struct host_chan *hc)
{
	uint32_t room;

	return host_ring_room(&hc->out, &room) == 0 ? room : 0;
}

static void
stall_clear(struct host_chan *hc)
{
	hc->stall_since = 0;
	hc->stall_named = false;
}

/* Start waiting on channel c (either direction): schedule the scans that watch it. */
static void
wait_start(struct sim_nic *nic, unsigned int c, uint64_t now)
{
	struct host_chan *hc = &host_of(nic)->chan[c];

	hc->next_scan = next_scan(nic, c, now);
	hc->next_check = now + WATCH_PERIOD_NS;
	stall_clear(hc);
}

bool
host_chan_blocked(const struct sim_nic *nic, unsigned int c)
{
	return host_of(nic)->chan[c].pending != 0;
}

bool
host_chan_block(struct sim_nic *nic, unsigned int c, uint32_t need)
{
	struct host_chan *hc = &host_of(nic)->chan[c];
	uint32_t want = need + HV_RING_ALIGN;

	if (!hyperv(nic) || hc->dead)
		return false;
	if (hc->pending != 0)
		return true;
	if (!(load_acquire(&hc->out.ctl->feature_bits) & HV_RING_FEAT_PENDING_SZ))
		return false;
	/* As OpenVMM: no hurry to refill a full ring, wait until a quarter of it is free. */
	if (want < hc->out.size / 4)
		want = hc->out.size / 4;
	__atomic_store_n(&hc->out.ctl->pending_send_sz, want, __ATOMIC_RELEASE);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	/* The guest may have read past it before it could see the size: look again. */
	if (outbound_room(hc) >= need) {
		__atomic_store_n(&hc->out.ctl->pending_send_sz, 0, __ATOMIC_RELEASE);
		return false;
	}
	hc->pending = want;
	hc->need = need;
	nic->chan_stats[c].pending_waits++;
	wait_start(nic, c, sim_now_ns());
	return true;
}

/* A signal came: the waits it ends. A full ring ends only once the room is there. */
static void
wake(struct sim_nic *nic, unsigned int c)
{
	struct host_chan *hc = &host_of(nic)->chan[c];

	if (hc->idle) {
		hc->idle = false;
		set_mask(hc, 1);
	}
	if (hc->pending != 0 && outbound_room(hc) >= hc->need) {
		__atomic_store_n(&hc->out.ctl->pending_send_sz, 0, __ATOMIC_RELEASE);
		hc->pending = 0;
	}
	stall_clear(hc);
}

/* The guest->host ring looked empty: sleep on it unless data came as the mask went down. */
static void
go_idle(struct sim_nic *nic, unsigned int c, uint64_t now)
{
	struct host_chan *hc = &host_of(nic)->chan[c];

	if (inbound_ready(hc))
		return;
	set_mask(hc, 0);
	if (inbound_ready(hc)) {
		set_mask(hc, 1);
		return;
	}
	hc->idle = true;
	nic->chan_stats[c].sleeps++;
	wait_start(nic, c, now);
}

/*
 * A waiting channel whose guest side is ready (data in an idle guest->host ring, or the
 * host->guest ring read past pending_send_sz) with no signal for MISSED_SIGNAL_NS: the guest
 * missed a signal. Named once per stall; the host keeps waiting, as Hyper-V would.
 */
static void
watchdog(struct sim_nic *nic, unsigned int c, uint64_t now)
{
	struct host_chan *hc = &host_of(nic)->chan[c];
	bool data = hc->idle && inbound_ready(hc);
	bool room = hc->pending != 0 && outbound_room(hc) + HV_RING_ALIGN > hc->pending;
	char rule[160];

	if (now < hc->next_check)
		return;
	hc->next_check = now + WATCH_PERIOD_NS;
	if (!data && !room) {
		stall_clear(hc);
		return;
	}
	if (hc->stall_since == 0)
		hc->stall_since = now;
	if (hc->stall_named || now - hc->stall_since < MISSED_SIGNAL_NS)
		return;
	hc->stall_named = true;
	nic->stats.missed_signals++;
	if (data)
		snprintf(rule, sizeof(rule), "missed-signal ring=guest-to-host waited_ms=%llu "
			 "interrupt_mask=0", (unsigned long long)(now - hc->stall_since) / 1000000);
	else
		snprintf(rule, sizeof(rule), "missed-signal ring=host-to-guest waited_ms=%llu "
			 "pending_send_sz=%u", (unsigned long long)(now - hc->stall_since) / 1000000,
			 hc->pending);
	host_violation(nic, c, rule);
}

unsigned int
host_chan_serve(struct sim_nic *nic, unsigned int c, uint64_t now)
{
	struct host_chan *hc = &host_of(nic)->chan[c];
	bool waiting = hc->idle || hc->pending != 0;
	unsigned int sig, n;

	if (hc->dead || !host_chan_sync(nic, c))
		return 0;
	nic->chan_stats[c].latency = host_chan_latency(nic, c);
	/* A waiting channel's monitor bit is looked at when its latency is up; any other's is
	 * taken every round, only to count it.
	 */
	sig = signals_take(nic, c, !waiting || !hyperv(nic) || now >= hc->next_scan);
	if (!hyperv(nic)) {
		nic->stats.signals_unneeded += sig;
		nic->chan_stats[c].unneeded += sig;
		return host_chan_poll(nic, c);
	}
	if (waiting && now >= hc->next_scan)
		hc->next_scan = next_scan(nic, c, now);
	if (sig != 0 && !waiting) {
		nic->stats.signals_unneeded += sig;
		nic->chan_stats[c].unneeded += sig;
	}
	if (sig != 0)
		wake(nic, c);
	if (hc->idle || hc->pending != 0) {
		watchdog(nic, c, now);
		return 0;
	}
	n = host_chan_poll(nic, c);
	if (hc->pending != 0 || hc->dead || n >= HOST_POLL_BUDGET)
		return n + (hc->pending == 0 && !hc->dead);
	go_idle(nic, c, now);
	return n + !hc->idle;
}

uint64_t
host_nic_next_wake(struct sim_nic *nic)
{
	struct host_nic *hn = host_of(nic);
	uint64_t next = UINT64_MAX;
	unsigned int c;

	for (c = 0; hn != NULL && c < nic->nchan; c++) {
		const struct host_chan *hc = &hn->chan[c];

		if (hc->dead || !(hc->idle || hc->pending != 0))
			continue;
		if (monitored(nic, c) && hc->next_scan < next)
			next = hc->next_scan;
		if (hc->next_check < next)
			next = hc->next_check;
	}
	return next;
}
