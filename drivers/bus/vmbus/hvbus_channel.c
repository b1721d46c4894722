/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hvbus channels: device mapping, primary and subchannel open/close, host signalling, and
 * the packet send/receive calls of the driver API, built on the ring in hvbus_ring.c.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_malloc.h>

#include "hvbus_private.h"
#include "hvbus_sysfs.h"
#include "hvbus_uio.h"

/* Monitor latency is a u16 in units of 100 ns. */
#define HVBUS_MAX_LATENCY_US (UINT16_MAX / 10u)
/* Subchannel discovery polls sysfs at this interval. */
#define HVBUS_SUBCHAN_POLL_MS 10u

int
hvbus_devdir(const struct rte_hvbus_device *dev, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%s/%s", HVBUS_SYSFS_DEVICES, dev->name);

	return (n < 0 || (size_t)n >= size) ? -ENAMETOOLONG : 0;
}

int
rte_hvbus_map_device(struct rte_hvbus_device *dev)
{
	char dir[PATH_MAX];
	int ret;

	if (hvbus_gone(dev))
		return -ENODEV;
	ret = hvbus_devdir(dev, dir, sizeof(dir));
	if (ret == 0)
		ret = hvbus_uio_map(dev, dir);
	if (ret == 0)
		hvbus_watch_start(dev);
	return ret;
}

void
rte_hvbus_unmap_device(struct rte_hvbus_device *dev)
{
	/* First: the watch callback reads the fd that the unmap closes. */
	hvbus_watch_stop(dev);
	hvbus_uio_unmap(dev);
}

unsigned int
rte_hvbus_max_channels(const struct rte_hvbus_device *dev)
{
	char dir[PATH_MAX];

	if (hvbus_devdir(dev, dir, sizeof(dir)) != 0)
		return 1;
	return hvbus_sysfs_max_channels(dir, dev->relid);
}

/*
 * Pick how this channel tells the host there is something to read: monitor page, or interrupt
 * page and uio write (doc/guides/prog_guide/hvnet_protocol.rst, "Signalling the host").
 */
static int
hvbus_chan_init_signal(struct rte_hvbus_channel *chan)
{
	struct rte_hvbus_device *dev = chan->dev;

	if (chan->monitor_id != HVBUS_NO_MONITOR) {
		struct hv_monitor_page *mon = dev->resource[HVBUS_MAP_MONITOR].addr;

		chan->sig_word = &mon->trigger[chan->monitor_id / 32].pending;
		chan->sig_bit = 1u << (chan->monitor_id % 32);
		chan->sig_uio = false;
	} else {
		uint8_t *intp = dev->resource[HVBUS_MAP_INT].addr;

		if (chan->relid >= HVBUS_INT_PAGE_RELIDS) {
			HVBUS_LOG(ERR, "%s: channel %u: relid %u has no bit in the interrupt page",
				  dev->name, chan->subidx, chan->relid);
			return -EINVAL;
		}
		chan->sig_word = (uint32_t *)(intp + HV_INT_PAGE_G2H_OFF) + chan->relid / 32;
		chan->sig_bit = 1u << (chan->relid % 32);
		chan->sig_uio = true;
	}
	return 0;
}

static struct rte_hvbus_channel *
hvbus_chan_alloc(struct rte_hvbus_device *dev, uint32_t relid, uint16_t subidx,
		 uint8_t monitor_id)
{
	int socket = dev->device.numa_node < 0 ? SOCKET_ID_ANY : dev->device.numa_node;
	struct rte_hvbus_channel *chan;

	chan = rte_zmalloc_socket("hvbus_chan", sizeof(*chan), RTE_CACHE_LINE_SIZE, socket);
	if (chan == NULL)
		return NULL;
	chan->bounce = rte_malloc_socket("hvbus_bounce", HVBUS_BOUNCE_SIZE, 8, socket);
	if (chan->bounce == NULL) {
		rte_free(chan);
		return NULL;
	}
	chan->dev = dev;
	chan->relid = relid;
	chan->subidx = subidx;
	chan->monitor_id = monitor_id;
	return chan;
}

static void
hvbus_chan_free(struct rte_hvbus_channel *chan)
{
	rte_free(chan->bounce);
	rte_free(chan);
}

/* Attach both rings of a ring pair: guest->host first, host->guest in the second half. */
static int
hvbus_chan_attach(struct rte_hvbus_channel *chan, uint8_t *base, size_t len)
{
	size_t half = len / 2;
	size_t hdr = (size_t)sysconf(_SC_PAGESIZE);
	int ret;

	ret = hvbus_ring_attach_tx(&chan->tx, base, half, hdr);
	if (ret == 0)
		ret = hvbus_ring_attach_rx(&chan->rx, base + half, half, hdr);
	if (ret != 0) {
		HVBUS_LOG(ERR, "%s: channel %u (relid %u): bad ring pair of %zu bytes: %s",
			  chan->dev->name, chan->subidx, chan->relid, len, strerror(-ret));
		return ret;
	}
	/*
	 * Drivers poll until they ask for interrupts: masked, as older kernels left a channel
	 * they opened, and as user space must since Linux b15b7d2a1b09 (the kernel no longer
	 * sets the mask at all).
	 */
	hvbus_ring_set_intr_mask(&chan->rx, true);
	return 0;
}

int
rte_hvbus_chan_open(struct rte_hvbus_device *dev, struct rte_hvbus_channel **out)
{
	struct rte_mem_resource *res = &dev->resource[HVBUS_MAP_RING];
	struct rte_hvbus_channel *chan;
	int ret;

	if (res->addr == NULL || hvbus_gone(dev))
		return -ENODEV;
	chan = hvbus_chan_alloc(dev, dev->relid, 0, dev->monitor_id);
	if (chan == NULL)
		return -ENOMEM;
	chan->primary = chan;
	ret = hvbus_chan_attach(chan, res->addr, res->len);
	if (ret == 0)
		ret = hvbus_chan_init_signal(chan);
	if (ret != 0) {
		hvbus_chan_free(chan);
		return ret;
	}
	*out = chan;
	return 0;
}

static bool
hvbus_relid_open(uint32_t relid, void *arg)
{
	const struct rte_hvbus_channel *primary = arg;
	unsigned int i;

	for (i = 0; i < primary->nsub; i++) {
		if (primary->sub[i]->relid == relid)
			return true;
	}
	return false;
}

static int
hvbus_subchan_map(struct rte_hvbus_channel *primary, const struct hvbus_subchan_info *info,
		  struct rte_hvbus_channel **out)
{
	struct rte_hvbus_channel *chan;
	void *map;
	size_t len;
	int ret;

	ret = hvbus_uio_map_ring_file(info->ring_path, &map, &len);
	if (ret != 0)
		return ret;
	chan = hvbus_chan_alloc(primary->dev, info->relid, info->subidx, info->monitor_id);
	if (chan == NULL) {
		munmap(map, len);
		return -ENOMEM;
	}
	chan->primary = primary;
	chan->map = map;
	chan->map_len = len;
	ret = hvbus_chan_attach(chan, map, len);
	if (ret == 0)
		ret = hvbus_chan_init_signal(chan);
	if (ret != 0) {
		munmap(map, len);
		hvbus_chan_free(chan);
		return ret;
	}
	primary->sub[primary->nsub++] = chan;
	*out = chan;
	return 0;
}

int
rte_hvbus_subchan_open(struct rte_hvbus_channel *primary, struct rte_hvbus_channel **out,
		       unsigned int timeout_ms)
{
	struct hvbus_subchan_info info;
	char dir[PATH_MAX];
	unsigned int waited = 0;
	int ret;

	if (primary->primary != primary)
		return -EINVAL;
	if (primary->nsub >= RTE_DIM(primary->sub))
		return -ENOSPC;
	ret = hvbus_devdir(primary->dev, dir, sizeof(dir));
	if (ret != 0)
		return ret;
	for (;;) {
		/* A rescind ends the wait at once: the directory will not come back. */
		if (hvbus_gone(primary->dev))
			return -ENODEV;
		ret = hvbus_sysfs_find_subchan(dir, hvbus_relid_open, primary, &info);
		if (ret == 0)
			return hvbus_subchan_map(primary, &info, out);
		if (ret != -ENOENT)
			return ret;
		if (waited >= timeout_ms)
			break;
		rte_delay_us_sleep(HVBUS_SUBCHAN_POLL_MS * 1000);
		waited += HVBUS_SUBCHAN_POLL_MS;
	}
	HVBUS_LOG(ERR, "%s: no new subchannel appeared within %u ms (%u open)",
		  primary->dev->name, timeout_ms, primary->nsub);
	return -ETIMEDOUT;
}

/* Forget a subchannel in its primary's list. */
static void
hvbus_subchan_unlink(struct rte_hvbus_channel *primary, struct rte_hvbus_channel *chan)
{
	unsigned int i;

	for (i = 0; i < primary->nsub; i++) {
		if (primary->sub[i] == chan) {
			primary->sub[i] = primary->sub[--primary->nsub];
			return;
		}
	}
}

void
rte_hvbus_chan_close(struct rte_hvbus_channel *chan)
{
	unsigned int i;

	if (chan == NULL)
		return;
	if (chan->primary == chan) {
		/* Subchannels outlive their primary only as orphans, safe to close later. */
		if (chan->nsub != 0)
			HVBUS_LOG(WARNING, "%s: primary closed with %u subchannels open",
				  chan->dev->name, chan->nsub);
		for (i = 0; i < chan->nsub; i++)
			chan->sub[i]->primary = NULL;
	} else {
		if (chan->primary != NULL)
			hvbus_subchan_unlink(chan->primary, chan);
		munmap(chan->map, chan->map_len);
	}
	hvbus_chan_free(chan);
}

uint16_t
rte_hvbus_chan_index(const struct rte_hvbus_channel *chan)
{
	return chan->subidx;
}

int
rte_hvbus_chan_set_latency(struct rte_hvbus_channel *chan, uint32_t latency_us)
{
	struct hv_monitor_page *mon = chan->dev->resource[HVBUS_MAP_MONITOR].addr;
	uint8_t id = chan->monitor_id;

	if (latency_us > HVBUS_MAX_LATENCY_US)
		return -ERANGE;
	if (id == HVBUS_NO_MONITOR)
		return 0;
	__atomic_store_n(&mon->latency[id / 32][id % 32], (uint16_t)(latency_us * 10),
			 __ATOMIC_RELAXED);
	return 0;
}

void
rte_hvbus_chan_signal(struct rte_hvbus_channel *chan)
{
	__atomic_fetch_or(chan->sig_word, chan->sig_bit, __ATOMIC_SEQ_CST);
	if (chan->sig_uio)
		hvbus_uio_irq_write(chan->dev, 1);
}

/*
 * Write one packet: descriptor (and any extension) in hdr, then the caller's iovecs. Inlined
 * into each send, whose constant header size makes its copy a few moves.
 */
static __rte_always_inline int
hvbus_chan_send(struct rte_hvbus_channel *chan, struct hv_vmbus_desc *hdr, uint32_t hdr_len,
		const struct iovec *iov, unsigned int iovcnt, bool *need_sig)
{
	int rc;

	if (iovcnt > HVBUS_MAX_IOV)
		return -EINVAL;
	/* The sizes of acks and NVSP data messages, as constants: a few moves each. */
	if (hdr_len == sizeof(*hdr) && iovcnt == 1 && iov[0].iov_len == 8)
		rc = hvbus_ring_write_small(&chan->tx, hdr, iov[0].iov_base, 8);
	else if (hdr_len == sizeof(*hdr) && iovcnt == 1 && iov[0].iov_len == 40)
		rc = hvbus_ring_write_small(&chan->tx, hdr, iov[0].iov_base, 40);
	else
		rc = 1;
	if (rc != 0)
		rc = hvbus_ring_write_pkt(&chan->tx, hdr, hdr_len, iov, iovcnt);
	if (rc == 0 && need_sig != NULL)
		hvbus_ring_publish(&chan->tx, need_sig);
	return rc;
}

void
rte_hvbus_chan_publish(struct rte_hvbus_channel *chan, bool *need_sig)
{
	hvbus_ring_publish(&chan->tx, need_sig);
}

int
rte_hvbus_chan_send_inband(struct rte_hvbus_channel *chan, const struct iovec *iov,
			   unsigned int iovcnt, uint64_t xid, bool want_completion,
			   bool *need_sig)
{
	struct hv_vmbus_desc desc = {
		.type = HV_PKT_DATA_INBAND,
		.flags = want_completion ? HV_PKT_FLAG_RC : 0,
		.tid = xid,
	};

	return hvbus_chan_send(chan, &desc, sizeof(desc), iov, iovcnt, need_sig);
}

int
rte_hvbus_chan_send_completion(struct rte_hvbus_channel *chan, const void *data,
			       uint32_t len, uint64_t xid, bool *need_sig)
{
	struct hv_vmbus_desc desc = { .type = HV_PKT_COMPLETION, .tid = xid };
	struct iovec iov = { .iov_base = (void *)(uintptr_t)data, .iov_len = len };

	return hvbus_chan_send(chan, &desc, sizeof(desc), &iov, len ? 1 : 0, need_sig);
}

/* A GPA-direct header: descriptor, range count, then {len, ofs, pfn} per single-page range. */
struct hvbus_gpa_hdr {
	struct hv_vmbus_desc desc;
	struct hv_gpa_direct_hdr gpa;
	struct {
		struct hv_gpa_range range;
		uint64_t pfn;
	} r[HVBUS_MAX_GPA];
};

int
rte_hvbus_chan_send_gpa(struct rte_hvbus_channel *chan, const struct rte_hvbus_gpa *gpa,
			unsigned int ngpa, const struct iovec *iov, unsigned int iovcnt,
			uint64_t xid, bool *need_sig)
{
	struct hvbus_gpa_hdr h;
	unsigned int i;

	if (ngpa == 0 || ngpa > HVBUS_MAX_GPA)
		return -EINVAL;
	h.desc = (struct hv_vmbus_desc){
		.type = HV_PKT_DATA_GPA_DIRECT, .flags = HV_PKT_FLAG_RC, .tid = xid,
	};
	h.gpa.reserved = 0;
	h.gpa.range_count = ngpa;
	for (i = 0; i < ngpa; i++) {
		if (gpa[i].len == 0 || gpa[i].ofs + (uint64_t)gpa[i].len > HV_PAGE_SIZE)
			return -EINVAL;
		h.r[i].range.byte_count = gpa[i].len;
		h.r[i].range.byte_offset = gpa[i].ofs;
		h.r[i].pfn = gpa[i].pfn;
	}
	return hvbus_chan_send(chan, &h.desc, offsetof(struct hvbus_gpa_hdr, r[ngpa]), iov, iovcnt,
			       need_sig);
}

static __rte_cold void
hvbus_chan_rx_broken(struct rte_hvbus_channel *chan, int err)
{
	chan->rx_broken = true;
	HVBUS_LOG(ERR, "%s: channel %u (relid %u): malformed host ring (%s); receive stopped",
		  chan->dev->name, chan->subidx, chan->relid, strerror(-err));
}

/* After a peek (ret, rp): the packet for the driver, or the channel marked broken. */
static __rte_always_inline int
hvbus_chan_recv_pkt(struct rte_hvbus_channel *chan, int ret, const struct hvbus_ring_pkt *rp,
		    struct rte_hvbus_pkt *pkt)
{
	struct hvbus_ring_xfer xfer;

	if (ret == -EAGAIN)
		return ret;
	/* A host never sends GPA-direct packets: treat one as the corruption it is. */
	if (likely(ret == 0) && unlikely(rp->type == HV_PKT_DATA_GPA_DIRECT))
		ret = -EPROTO;
	if (unlikely(ret != 0)) {
		hvbus_chan_rx_broken(chan, ret);
		return ret;
	}
	pkt->type = rp->type;
	pkt->flags = rp->flags;
	pkt->xid = rp->xid;
	pkt->data = hvbus_ring_pkt_payload(rp);
	pkt->len = hvbus_ring_pkt_payload_len(rp);
	if (rp->type != HV_PKT_DATA_XFER_PAGES)
		return 0;
	ret = hvbus_ring_parse_xfer(rp, &xfer);
	if (unlikely(ret != 0)) {
		/*
		 * The descriptor framed it, so the ring is still in step: hand it up with no
		 * ranges, for the driver to drop it and still return the host's sections.
		 */
		pkt->xfer_set_id = 0;
		pkt->range_count = 0;
		pkt->ranges = NULL;
		return 0;
	}
	pkt->xfer_set_id = xfer.set_id;
	pkt->range_count = xfer.range_count;
	pkt->ranges = xfer.ranges;
	return 0;
}

/* The ring's slow path (wrap, bounce, anything odd), kept out of the common path's frame. */
static __rte_noinline int
hvbus_chan_recv_slow(struct rte_hvbus_channel *chan, struct rte_hvbus_pkt *pkt)
{
	struct hvbus_ring_pkt rp = { .buf = NULL };
	int ret = hvbus_ring_peek_slow(&chan->rx, &rp, chan->bounce, HVBUS_BOUNCE_SIZE);

	return hvbus_chan_recv_pkt(chan, ret, &rp, pkt);
}

int
rte_hvbus_chan_recv(struct rte_hvbus_channel *chan, struct rte_hvbus_pkt *pkt)
{
	struct hvbus_ring_pkt rp;
	int ret;

	if (unlikely(chan->rx_broken))
		return -EPROTO;
	/* The empty poll that ends every read: one look at the host's index, nothing more. */
	if (chan->rx.priv == chan->rx.peer &&
	    __atomic_load_n(HVBUS_RING_CTL_WORD(&chan->rx, write_index), __ATOMIC_ACQUIRE) ==
	    chan->rx.priv)
		return -EAGAIN;
	ret = hvbus_ring_peek_fast(&chan->rx, &rp);
	if (unlikely(ret == HVBUS_RING_PEEK_SLOW))
		return hvbus_chan_recv_slow(chan, pkt);
	return hvbus_chan_recv_pkt(chan, ret, &rp, pkt);
}

void
rte_hvbus_chan_recv_done(struct rte_hvbus_channel *chan)
{
	bool sig = false;

	hvbus_ring_read_commit(&chan->rx, &sig);
	if (sig)
		rte_hvbus_chan_signal(chan);
	/*
	 * A uio write (a signal without monitor id) unmasks every channel of the device since
	 * Linux d062463edf17, and since b15b7d2a1b09 nothing masks them again: a polling
	 * channel left unmasked costs an interrupt per host write to its empty ring.
	 */
	if (!chan->rx_intr && !hvbus_ring_intr_masked(&chan->rx))
		hvbus_ring_set_intr_mask(&chan->rx, true);
}

bool
rte_hvbus_chan_rx_intr_enable(struct rte_hvbus_channel *chan)
{
	chan->rx_intr = true;
	/* Unmask, full barrier, then look: data the host wrote before it saw the mask. */
	hvbus_ring_set_intr_mask(&chan->rx, false);
	return hvbus_ring_bytes_to_read(&chan->rx) != 0;
}

void
rte_hvbus_chan_rx_intr_disable(struct rte_hvbus_channel *chan)
{
	chan->rx_intr = false;
	hvbus_ring_set_intr_mask(&chan->rx, true);
}

int
rte_hvbus_intr_open(struct rte_hvbus_device *dev)
{
	if (hvbus_gone(dev))
		return -ENODEV;
	return hvbus_uio_listener_open(dev);
}

int
rte_hvbus_intr_ack(int fd)
{
	return hvbus_uio_listener_ack(fd);
}

void
rte_hvbus_intr_close(int fd)
{
	if (fd >= 0)
		close(fd);
}

/*
 * Does a uio write reach this subchannel (Linux d062463edf17)? Mask the subchannel's ring,
 * write "unmask" to the uio fd and look whether the kernel unmasked it too. An interrupt of
 * the subchannel in between would mask it again (kernels before b15b7d2a1b09): a few tries.
 * Every channel's mask is put back as its driver wants it.
 */
static bool
hvbus_uio_reaches(struct rte_hvbus_channel *sub)
{
	struct rte_hvbus_channel *primary = sub->primary;
	bool reached = false;
	unsigned int i;

	for (i = 0; i < 3 && !reached; i++) {
		hvbus_ring_set_intr_mask(&sub->rx, true);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		if (hvbus_uio_irq_write(sub->dev, 1) != 0)
			break;
		reached = !hvbus_ring_intr_masked(&sub->rx);
	}
	hvbus_ring_set_intr_mask(&primary->rx, !primary->rx_intr);
	for (i = 0; i < primary->nsub; i++)
		hvbus_ring_set_intr_mask(&primary->sub[i]->rx, !primary->sub[i]->rx_intr);
	return reached;
}

bool
rte_hvbus_chan_can_signal(struct rte_hvbus_channel *chan)
{
	struct rte_hvbus_channel *primary = chan->primary;

	if (!chan->sig_uio || primary == chan)
		return true;
	if (primary == NULL)
		return false;
	if (primary->uio_reach == 0) {
		primary->uio_reach = hvbus_uio_reaches(chan) ? 1 : -1;
		HVBUS_LOG(INFO, "%s: a uio write %s subchannels", chan->dev->name,
			  primary->uio_reach > 0 ? "reaches" : "does not reach");
	}
	return primary->uio_reach > 0;
}

uint32_t
rte_hvbus_chan_rx_pending(const struct rte_hvbus_channel *chan)
{
	return hvbus_ring_bytes_to_read(&chan->rx);
}

bool
rte_hvbus_chan_rx_empty(const struct rte_hvbus_channel *chan)
{
	/* The reader's own indices, read while it may be moving them: relaxed, then compared. */
	const struct hvbus_ring *r = &chan->rx;
	uint32_t priv = __atomic_load_n(&r->priv, __ATOMIC_RELAXED);

	return __atomic_load_n(&r->peer, __ATOMIC_RELAXED) == priv &&
	       __atomic_load_n(HVBUS_RING_CTL_WORD(r, write_index), __ATOMIC_ACQUIRE) == priv;
}
