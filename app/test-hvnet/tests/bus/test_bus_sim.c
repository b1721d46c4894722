/* SPDX-License-Identifier: BSD-3-Clause */
/* hvbus integration test, run as the guest of the simulated host: probe, map, NVSP, subchannels. */

/*
 * A small hvbus driver for the network class drives every simulated NIC through the bus API
 * alone: map, open the primary channel, NVSP and RNDIS initialisation up to subchannels, open
 * them, one data packet on each. main() then checks what must not work, tears everything down
 * and prints the result. Every wait is bounded; the exit code is 0 only if every check held.
 * The protocol bits come from hv_wire.h; the expected identities from what dpdk-test-hvnet sim
 * writes (app/test-hvnet/sim_env.c) with its default sizes.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>
#include <rte_uuid.h>

#include "bus_hvbus_driver.h"
#include "check.h"

/* The simulator's device identities and default sizes. */
#define SIM_UUID_FMT		"f8615163-0000-4000-8000-0000000000%02x"
#define SIM_FIRST_RELID		14u
#define SIM_FIRST_GPADL		0xe1e10u	/* recv, send of NIC 0; +2 per NIC */
#define SIM_MONITOR_IDS		128u		/* monitor id = relid % 128 */
#define SIM_RING_PAIR		(4u << 20)	/* 2 MiB per direction */
#define SIM_RXBUF		(31u << 20)
#define SIM_SENDBUF		(16u << 20)

#define DEFAULT_NICS		3u
#define MAX_NICS		16u
#define NSUB			8u
#define MAX_CHANNELS		64u
#define STEP_TIMEOUT_MS		5000u
#define SUBCHAN_TIMEOUT_MS	10000u
#define NONE_LEFT_TIMEOUT_MS	200u
#define LATENCY_US		50u
#define MAX_LATENCY_US		6553u		/* UINT16_MAX units of 100 ns */
#define IDLE_SLEEP_US		50u
#define MISSED_WAIT_MS		4000u		/* past the simulator's 3 s missed-signal bound */
#define SLEEP_TRIES		50u

#define NVSP_MSG_SIZE		HV_NVSP_MSG_SIZE_V61
#define RNDIS_RID		0x5a17u
#define RNDIS_MAX_XFER		0x4000u
#define FRAME_LEN		60u
#define DATA_MSG_LEN		(sizeof(struct hv_rndis_packet) + FRAME_LEN)

/* Transaction ids: NIC in the high byte, the step below, so that an echo is unambiguous. */
enum step {
	XID_INIT = 1,
	XID_NDIS_CONFIG,
	XID_NDIS_VERSION,
	XID_RXBUF,
	XID_SENDBUF,
	XID_RNDIS_INIT,
	XID_SUBCHANNEL,
	XID_DATA,		/* + subchannel index */
	XID_UNSIGNALLED = XID_DATA + 64,	/* + try: the data packets of check_missed_signal */
};

struct nic {
	struct rte_hvbus_device *dev;
	unsigned int idx;
	struct rte_hvbus_channel *prim;
	struct rte_hvbus_channel *sub[NSUB];
	unsigned int nsub;
	uint8_t *page;			/* rte_malloc'd, page-aligned: GPA-direct payloads */
	/* The last completion received while waiting for one. */
	bool got_reply;
	uint64_t reply_xid;
	uint32_t reply_len;
	uint8_t reply[NVSP_MSG_SIZE];
	/* Unsolicited host messages and what they carried. */
	bool got_init_cmplt;
	struct hv_rndis_init_cmplt init_cmplt;
	uint32_t rxbuf_len;
	unsigned int indirection_tables;
	unsigned int indications;
	unsigned int acks;
};

static struct nic nics[MAX_NICS];
static unsigned int nnics;
/* The simulator runs with --no-monitor: signals go through the interrupt page and uio. */
static bool no_monitor;
static const char *ctl_path;		/* --ctl: the simulator's control socket (rescind check) */
static unsigned int rescinds;		/* driver rescind callbacks seen */

static uint64_t
xid_of(const struct nic *n, unsigned int step)
{
	return ((uint64_t)(n->idx + 1) << 56) | step;
}

static uint64_t
deadline_after(unsigned int ms)
{
	return rte_get_timer_cycles() + rte_get_timer_hz() * ms / 1000;
}

/* ---- sending ---------------------------------------------------------------------------- */

/*
 * A control request is rare: it is signalled unconditionally (a spare signal is harmless), so
 * that the signal paths are exercised whatever the ring's rule says.
 */
static int
send_nvsp(struct nic *n, const void *msg, size_t len, unsigned int step, bool want_cmpl)
{
	uint8_t buf[NVSP_MSG_SIZE] = { 0 };
	struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
	bool sig = false;
	int ret;

	memcpy(buf, msg, len);
	n->got_reply = false;
	ret = rte_hvbus_chan_send_inband(n->prim, &iov, 1, xid_of(n, step), want_cmpl, &sig);
	CHECK(ret == 0, "nic%u: send NVSP type %u in-band: %d", n->idx,
	      ((const struct hv_nvsp_hdr *)msg)->type, ret);
	rte_hvbus_chan_signal(n->prim);
	return ret;
}

/*
 * An RNDIS message at buf (inside n->page) as GPA-direct with its NVSP 107 carrier, the host
 * signalled unconditionally; with need_sig, not signalled at all (the caller decides), and
 * *need_sig says whether the ring's rule asked for a signal.
 */
static int
send_rndis_gpa_sig(struct nic *n, struct rte_hvbus_channel *ch, const void *buf, uint32_t len,
		   uint32_t chan_type, uint64_t xid, bool *need_sig)
{
	struct hv_nvsp_rndis_pkt m = {
		.type = HV_NVSP_MSG_RNDIS_PKT,
		.channel_type = chan_type,
		.section_index = HV_NVSP_NO_SECTION,
		.section_size = 0,
	};
	uint8_t msg[NVSP_MSG_SIZE] = { 0 };
	struct iovec iov = { .iov_base = msg, .iov_len = sizeof(msg) };
	rte_iova_t iova = rte_malloc_virt2iova(buf);
	struct rte_hvbus_gpa gpa;
	bool sig = false;
	int ret;

	if (iova == RTE_BAD_IOVA) {
		CHECK(false, "nic%u: no IOVA for the RNDIS buffer", n->idx);
		return -EFAULT;
	}
	gpa.len = len;
	gpa.ofs = (uint32_t)(iova & (HV_PAGE_SIZE - 1));
	gpa.pfn = iova >> HV_PAGE_SHIFT;
	memcpy(msg, &m, sizeof(m));
	n->got_reply = false;
	ret = rte_hvbus_chan_send_gpa(ch, &gpa, 1, &iov, 1, xid, &sig);
	CHECK(ret == 0, "nic%u: send RNDIS 0x%x GPA-direct (pfn 0x%" PRIx64 "): %d", n->idx,
	      *(const uint32_t *)buf, gpa.pfn, ret);
	if (need_sig != NULL)
		*need_sig = sig;
	else
		rte_hvbus_chan_signal(ch);
	return ret;
}

static int
send_rndis_gpa(struct nic *n, struct rte_hvbus_channel *ch, const void *buf, uint32_t len,
	       uint32_t chan_type, uint64_t xid)
{
	return send_rndis_gpa_sig(n, ch, buf, len, chan_type, xid, NULL);
}

/* ---- receiving -------------------------------------------------------------------------- */

static int
on_completion(struct nic *n, const struct rte_hvbus_pkt *pkt)
{
	if (n->got_reply) {
		CHECK(false, "nic%u: second completion (xid 0x%" PRIx64 ") before the first was "
		      "used", n->idx, pkt->xid);
		return -EPROTO;
	}
	n->reply_xid = pkt->xid;
	n->reply_len = pkt->len;
	memset(n->reply, 0, sizeof(n->reply));
	memcpy(n->reply, pkt->data, RTE_MIN(pkt->len, (uint32_t)sizeof(n->reply)));
	n->got_reply = true;
	return 0;
}

/* SEND_INDIRECTION_TABLE after the subchannel grant: every entry names an offered channel. */
static int
on_inband(struct nic *n, const struct rte_hvbus_pkt *pkt)
{
	struct hv_nvsp_indirection_table t;
	unsigned int i;
	bool ok = true;

	if (pkt->len < sizeof(t.type)) {
		CHECK(false, "nic%u: in-band packet of %u bytes", n->idx, pkt->len);
		return -EPROTO;
	}
	memcpy(&t.type, pkt->data, sizeof(t.type));
	if (t.type != HV_NVSP_MSG_INDIRECTION_TABLE || pkt->len < sizeof(t)) {
		CHECK(false, "nic%u: unexpected in-band NVSP type %u (%u bytes)", n->idx, t.type,
		      pkt->len);
		return -EPROTO;
	}
	memcpy(&t, pkt->data, sizeof(t));
	ok = t.count == HV_NVSP_INDIRECTION_COUNT &&
	     t.offset == offsetof(struct hv_nvsp_indirection_table, entry);
	for (i = 0; ok && i < HV_NVSP_INDIRECTION_COUNT; i++)
		ok = t.entry[i] <= NSUB;
	CHECK(ok, "nic%u: SEND_INDIRECTION_TABLE (134) count %u offset %u, entries < %u",
	      n->idx, t.count, t.offset, NSUB + 1);
	n->indirection_tables++;
	return ok ? 0 : -EPROTO;
}

/* One RNDIS control message in the receive buffer: copied out of host memory, then checked. */
static int
on_control_msg(struct nic *n, const uint8_t *rxbuf, const struct hv_xfer_page_range *r)
{
	struct hv_xfer_page_range range;
	struct hv_rndis_hdr h;

	memcpy(&range, r, sizeof(range));
	if (range.byte_offset > n->rxbuf_len || range.byte_count < sizeof(h) ||
	    range.byte_count > n->rxbuf_len - range.byte_offset) {
		CHECK(false, "nic%u: transfer-page range %u+%u outside the %u-byte receive buffer",
		      n->idx, range.byte_offset, range.byte_count, n->rxbuf_len);
		return -EPROTO;
	}
	memcpy(&h, rxbuf + range.byte_offset, sizeof(h));
	switch (h.type) {
	case HV_RNDIS_MSG_INIT_CMPLT:
		CHECK(range.byte_count >= sizeof(n->init_cmplt) && !n->got_init_cmplt,
		      "nic%u: one INITIALIZE_CMPLT, %u bytes at offset %u of the receive buffer",
		      n->idx, range.byte_count, range.byte_offset);
		if (range.byte_count < sizeof(n->init_cmplt))
			return -EPROTO;
		memcpy(&n->init_cmplt, rxbuf + range.byte_offset, sizeof(n->init_cmplt));
		n->got_init_cmplt = true;
		return 0;
	case HV_RNDIS_MSG_INDICATE:
		n->indications++;
		return 0;
	default:
		CHECK(false, "nic%u: unexpected RNDIS message 0x%x from the host", n->idx, h.type);
		return -EPROTO;
	}
}

/* A transfer-page packet: RNDIS control in the receive buffer; acked as the host asks. */
static int
on_xfer(struct nic *n, struct rte_hvbus_channel *ch, const struct rte_hvbus_pkt *pkt)
{
	const struct hv_nvsp_rndis_pkt_complete ack = {
		.type = HV_NVSP_MSG_RNDIS_PKT_COMPLETE,
		.status = HV_NVSP_STATUS_SUCCESS,
	};
	const uint8_t *rxbuf = n->dev->resource[HVBUS_MAP_RECV].addr;
	uint8_t msg[NVSP_MSG_SIZE] = { 0 };
	struct hv_nvsp_rndis_pkt m;
	bool sig = false;
	uint32_t i;
	int ret;

	if (pkt->xfer_set_id != HV_RXBUF_ID || pkt->len < sizeof(m) || pkt->range_count == 0) {
		CHECK(false, "nic%u: transfer-page packet set %#x, %u bytes, %u ranges", n->idx,
		      pkt->xfer_set_id, pkt->len, pkt->range_count);
		return -EPROTO;
	}
	memcpy(&m, pkt->data, sizeof(m));
	if (m.type != HV_NVSP_MSG_RNDIS_PKT || m.channel_type != HV_NVSP_RNDIS_CHAN_CONTROL) {
		CHECK(false, "nic%u: transfer-page NVSP type %u channel %u, expected 107 control",
		      n->idx, m.type, m.channel_type);
		return -EPROTO;
	}
	for (i = 0; i < pkt->range_count; i++) {
		ret = on_control_msg(n, rxbuf, &pkt->ranges[i]);
		if (ret != 0)
			return ret;
	}
	if (!(pkt->flags & HV_PKT_FLAG_RC))
		return 0;
	memcpy(msg, &ack, sizeof(ack));
	ret = rte_hvbus_chan_send_completion(ch, msg, sizeof(msg), pkt->xid, &sig);
	if (ret != 0) {
		CHECK(false, "nic%u: ack of receive buffer slot %" PRIu64 ": %d", n->idx, pkt->xid,
		      ret);
		return ret;
	}
	if (sig)
		rte_hvbus_chan_signal(ch);
	n->acks++;
	return 0;
}

static int
on_packet(struct nic *n, struct rte_hvbus_channel *ch, const struct rte_hvbus_pkt *pkt)
{
	switch (pkt->type) {
	case HVBUS_PKT_COMPLETION:
		return on_completion(n, pkt);
	case HVBUS_PKT_INBAND:
		return on_inband(n, pkt);
	case HVBUS_PKT_XFER_PAGES:
		return on_xfer(n, ch, pkt);
	default:
		CHECK(false, "nic%u: packet type %u from the bus", n->idx, pkt->type);
		return -EPROTO;
	}
}

/* One receive batch: packets handled, or a negative errno. */
static int
poll_chan(struct nic *n, struct rte_hvbus_channel *ch)
{
	struct rte_hvbus_pkt pkt;
	int ret, got = 0;

	while ((ret = rte_hvbus_chan_recv(ch, &pkt)) == 0) {
		got++;
		ret = on_packet(n, ch, &pkt);
		if (ret != 0)
			break;
	}
	rte_hvbus_chan_recv_done(ch);
	if (ret != 0 && ret != -EAGAIN) {
		CHECK(false, "nic%u: receive: %d", n->idx, ret);
		return ret;
	}
	return got;
}

/* Poll ch until *flag is set, at most STEP_TIMEOUT_MS. */
static int
wait_for(struct nic *n, struct rte_hvbus_channel *ch, const bool *flag, const char *what)
{
	uint64_t end = deadline_after(STEP_TIMEOUT_MS);
	int ret;

	while (!*flag) {
		ret = poll_chan(n, ch);
		if (ret < 0)
			return ret;
		if (*flag)
			break;
		if (rte_get_timer_cycles() > end) {
			CHECK(false, "nic%u: no %s within %u ms", n->idx, what, STEP_TIMEOUT_MS);
			return -ETIMEDOUT;
		}
		if (ret == 0)
			rte_delay_us_sleep(IDLE_SLEEP_US);
	}
	return 0;
}

/* Wait for the completion of a request; check the xid echo and the minimum length. */
static int
wait_reply(struct nic *n, struct rte_hvbus_channel *ch, uint64_t xid, uint32_t min_len,
	   const char *what)
{
	int ret = wait_for(n, ch, &n->got_reply, what);

	if (ret != 0)
		return ret;
	CHECK(n->reply_xid == xid && n->reply_len >= min_len,
	      "nic%u: %s: completion xid 0x%" PRIx64 " (sent 0x%" PRIx64 "), %u bytes (>= %u)",
	      n->idx, what, n->reply_xid, xid, n->reply_len, min_len);
	return n->reply_xid == xid && n->reply_len >= min_len ? 0 : -EPROTO;
}

/* ---- probe: identity, maps, primary channel --------------------------------------------- */

static void
check_identity(const struct nic *n)
{
	const struct rte_hvbus_device *dev = n->dev;
	uint32_t relid = SIM_FIRST_RELID + n->idx;
	unsigned int monitor = no_monitor ? HVBUS_NO_MONITOR : relid % SIM_MONITOR_IDS;
	char want[RTE_UUID_STRLEN], id[RTE_UUID_STRLEN];
	rte_uuid_t net;

	snprintf(want, sizeof(want), SIM_UUID_FMT, n->idx);
	rte_uuid_unparse(dev->device_id, id, sizeof(id));
	rte_uuid_parse(HV_NETWORK_CLASS_GUID, net);
	CHECK(strcmp(dev->name, want) == 0 && strcmp(dev->device.name, want) == 0 &&
	      strcmp(id, want) == 0, "nic%u: probed in UUID order as %s (device_id %s)", n->idx,
	      dev->name, id);
	CHECK(rte_uuid_compare(dev->class_id, net) == 0, "nic%u: network class GUID", n->idx);
	CHECK(dev->relid == relid && dev->monitor_id == monitor &&
	      dev->uio_num == (int)n->idx && dev->device.numa_node == 0,
	      "nic%u: relid %u monitor %u uio%d numa %d (expected %u, %u, uio%u, 0)", n->idx,
	      dev->relid, dev->monitor_id, dev->uio_num, dev->device.numa_node, relid, monitor,
	      n->idx);
}

static int
map_and_check(struct nic *n)
{
	static const size_t sizes[HVBUS_MAP_COUNT] = {
		SIM_RING_PAIR, HV_PAGE_SIZE, HV_PAGE_SIZE, SIM_RXBUF, SIM_SENDBUF,
	};
	struct rte_hvbus_device *dev = n->dev;
	uint32_t gpadl = SIM_FIRST_GPADL + 2 * n->idx;
	bool ok = true;
	unsigned int k;
	int ret;

	ret = rte_hvbus_map_device(dev);
	CHECK(ret == 0, "nic%u: rte_hvbus_map_device: %d", n->idx, ret);
	if (ret != 0)
		return ret;
	for (k = 0; k < HVBUS_MAP_COUNT; k++)
		ok = ok && dev->resource[k].addr != NULL && dev->resource[k].len == sizes[k];
	CHECK(ok, "nic%u: maps of %zu, %zu, %zu, %zu, %zu bytes (ring pair, int page, monitor "
	      "page, receive 31 MiB, send 16 MiB)", n->idx, dev->resource[0].len,
	      dev->resource[1].len, dev->resource[2].len, dev->resource[3].len,
	      dev->resource[4].len);
	CHECK(dev->recv_gpadl == gpadl && dev->send_gpadl == gpadl + 1,
	      "nic%u: GPADLs recv %#x send %#x (expected %#x, %#x)", n->idx, dev->recv_gpadl,
	      dev->send_gpadl, gpadl, gpadl + 1);
	CHECK(dev->intr_handle != NULL, "nic%u: uio interrupt handle", n->idx);
	n->rxbuf_len = (uint32_t)dev->resource[HVBUS_MAP_RECV].len;
	return ok ? 0 : -EINVAL;
}

/* The primary's latency slot in the monitor page; 0 (never written) without a monitor id. */
static uint16_t
monitor_latency(const struct nic *n)
{
	const struct hv_monitor_page *mon = n->dev->resource[HVBUS_MAP_MONITOR].addr;
	uint8_t id = n->dev->monitor_id;

	if (id >= RTE_DIM(mon->latency) * RTE_DIM(mon->latency[0]))
		return 0;
	return __atomic_load_n(&mon->latency[id / 32][id % 32], __ATOMIC_RELAXED);
}

/* What rte_hvbus_chan_set_latency(us) must have left in that slot. */
static uint16_t
latency_slot(uint32_t us)
{
	return no_monitor ? 0 : (uint16_t)(us * 10);
}

static int
open_primary(struct nic *n)
{
	unsigned int maxch = rte_hvbus_max_channels(n->dev);
	int ret;

	CHECK(maxch == MAX_CHANNELS, "nic%u: rte_hvbus_max_channels %u", n->idx, maxch);
	ret = rte_hvbus_chan_open(n->dev, &n->prim);
	CHECK(ret == 0, "nic%u: rte_hvbus_chan_open: %d", n->idx, ret);
	if (ret != 0)
		return ret;
	CHECK(rte_hvbus_chan_index(n->prim) == 0, "nic%u: primary channel index %u", n->idx,
	      rte_hvbus_chan_index(n->prim));
	ret = rte_hvbus_chan_set_latency(n->prim, MAX_LATENCY_US);
	CHECK(ret == 0 && monitor_latency(n) == latency_slot(MAX_LATENCY_US),
	      "nic%u: latency %u us accepted: %d, monitor page %u x 100 ns", n->idx,
	      MAX_LATENCY_US, ret, monitor_latency(n));
	ret = rte_hvbus_chan_set_latency(n->prim, LATENCY_US);
	CHECK(ret == 0 && monitor_latency(n) == latency_slot(LATENCY_US),
	      "nic%u: latency %u us: %d, monitor page %u x 100 ns", n->idx, LATENCY_US, ret,
	      monitor_latency(n));
	return ret;
}

/* ---- probe: NVSP and RNDIS up to the subchannels ---------------------------------------- */

static int
nvsp_init(struct nic *n)
{
	const struct hv_nvsp_init m = {
		.type = HV_NVSP_MSG_INIT,
		.min_version = HV_NVSP_VERSION_61,
		.max_version = HV_NVSP_VERSION_61,
	};
	struct hv_nvsp_init_complete r;
	int ret;

	ret = send_nvsp(n, &m, sizeof(m), XID_INIT, true);
	if (ret == 0)
		ret = wait_reply(n, n->prim, xid_of(n, XID_INIT), sizeof(r), "NVSP INIT 6.1");
	if (ret != 0)
		return ret;
	memcpy(&r, n->reply, sizeof(r));
	CHECK(r.type == HV_NVSP_MSG_INIT_COMPLETE && r.status == HV_NVSP_STATUS_SUCCESS,
	      "nic%u: INIT_COMPLETE type %u status %u", n->idx, r.type, r.status);
	return r.status == HV_NVSP_STATUS_SUCCESS ? 0 : -EPROTO;
}

/* NDIS_CONFIG needs no answer; NDIS_VERSION asks for one to test an empty completion. */
static int
nvsp_ndis(struct nic *n)
{
	const struct hv_nvsp_ndis_config cfg = {
		.type = HV_NVSP_MSG_NDIS_CONFIG,
		.mtu = 1514,
		.capabilities = HV_NDIS_CAP_IEEE8021Q,
	};
	const struct hv_nvsp_ndis_version ver = {
		.type = HV_NVSP_MSG_NDIS_VERSION,
		.ndis_major = HV_NDIS_VERSION_6_30 >> 16,
		.ndis_minor = HV_NDIS_VERSION_6_30 & 0xffff,
	};
	int ret;

	ret = send_nvsp(n, &cfg, sizeof(cfg), XID_NDIS_CONFIG, false);
	if (ret == 0)
		ret = send_nvsp(n, &ver, sizeof(ver), XID_NDIS_VERSION, true);
	if (ret == 0)
		ret = wait_reply(n, n->prim, xid_of(n, XID_NDIS_VERSION), 0, "NDIS_VERSION");
	if (ret == 0)
		CHECK(n->reply_len == 0, "nic%u: NDIS_VERSION completion is empty (%u bytes)",
		      n->idx, n->reply_len);
	return ret;
}

static int
nvsp_buffers(struct nic *n)
{
	const struct hv_nvsp_buf rx = {
		.type = HV_NVSP_MSG_RXBUF, .gpadl = n->dev->recv_gpadl, .id = HV_RXBUF_ID,
	};
	const struct hv_nvsp_buf tx = {
		.type = HV_NVSP_MSG_SENDBUF, .gpadl = n->dev->send_gpadl, .id = HV_SENDBUF_ID,
	};
	struct hv_nvsp_sendbuf_complete sr;
	struct hv_nvsp_rxbuf_complete rr;
	uint64_t end;
	int ret;

	ret = send_nvsp(n, &rx, sizeof(rx), XID_RXBUF, true);
	if (ret == 0)
		ret = wait_reply(n, n->prim, xid_of(n, XID_RXBUF), sizeof(rr),
				 "SEND_RECEIVE_BUFFER");
	if (ret != 0)
		return ret;
	memcpy(&rr, n->reply, sizeof(rr));
	end = (uint64_t)rr.section.sub_alloc_size * rr.section.num_sub_allocs;
	CHECK(rr.type == HV_NVSP_MSG_RXBUF_COMPLETE && rr.status == HV_NVSP_STATUS_SUCCESS &&
	      rr.num_sections == 1 && rr.section.offset == 0 && end != 0 &&
	      rr.section.end_offset == end && end <= n->rxbuf_len,
	      "nic%u: 102 status %u, %u section(s): %u x %u bytes, end %u", n->idx, rr.status,
	      rr.num_sections, rr.section.num_sub_allocs, rr.section.sub_alloc_size,
	      rr.section.end_offset);
	ret = send_nvsp(n, &tx, sizeof(tx), XID_SENDBUF, true);
	if (ret == 0)
		ret = wait_reply(n, n->prim, xid_of(n, XID_SENDBUF), sizeof(sr),
				 "SEND_SEND_BUFFER");
	if (ret != 0)
		return ret;
	memcpy(&sr, n->reply, sizeof(sr));
	CHECK(sr.type == HV_NVSP_MSG_SENDBUF_COMPLETE && sr.status == HV_NVSP_STATUS_SUCCESS &&
	      sr.section_size == HV_SENDBUF_SECTION_SIZE,
	      "nic%u: 105 status %u section size %u", n->idx, sr.status, sr.section_size);
	return rr.status == HV_NVSP_STATUS_SUCCESS ? 0 : -EPROTO;
}

/* The 108 completion of a GPA-direct RNDIS carrier. */
static int
wait_rndis_cmpl(struct nic *n, struct rte_hvbus_channel *ch, uint64_t xid, const char *what)
{
	struct hv_nvsp_rndis_pkt_complete c;
	int ret = wait_reply(n, ch, xid, sizeof(c), what);

	if (ret != 0)
		return ret;
	memcpy(&c, n->reply, sizeof(c));
	CHECK(c.type == HV_NVSP_MSG_RNDIS_PKT_COMPLETE && c.status == HV_NVSP_STATUS_SUCCESS,
	      "nic%u: %s: 108 status %u", n->idx, what, c.status);
	return c.status == HV_NVSP_STATUS_SUCCESS ? 0 : -EPROTO;
}

static int
rndis_init(struct nic *n)
{
	const struct hv_rndis_init m = {
		.type = HV_RNDIS_MSG_INIT,
		.length = sizeof(m),
		.rid = RNDIS_RID,
		.major = HV_RNDIS_MAJOR,
		.minor = HV_RNDIS_MINOR,
		.max_transfer = RNDIS_MAX_XFER,
	};
	const struct hv_rndis_init_cmplt *r = &n->init_cmplt;
	uint64_t xid = xid_of(n, XID_RNDIS_INIT);
	int ret;

	memcpy(n->page, &m, sizeof(m));
	ret = send_rndis_gpa(n, n->prim, n->page, sizeof(m), HV_NVSP_RNDIS_CHAN_CONTROL, xid);
	if (ret == 0)
		ret = wait_rndis_cmpl(n, n->prim, xid, "RNDIS INITIALIZE carrier");
	if (ret == 0)
		ret = wait_for(n, n->prim, &n->got_init_cmplt, "RNDIS INITIALIZE_CMPLT");
	if (ret != 0)
		return ret;
	CHECK(r->length == sizeof(*r) && r->rid == RNDIS_RID &&
	      r->status == HV_RNDIS_STATUS_SUCCESS && r->major == HV_RNDIS_MAJOR &&
	      r->max_transfer != 0 && n->acks >= 1,
	      "nic%u: INITIALIZE_CMPLT length %u rid %#x status %#x version %u.%u, acked",
	      n->idx, r->length, r->rid, r->status, r->major, r->minor);
	return r->status == HV_RNDIS_STATUS_SUCCESS ? 0 : -EPROTO;
}

static int
ask_subchannels(struct nic *n)
{
	const struct hv_nvsp_subchannel m = {
		.type = HV_NVSP_MSG_SUBCHANNEL,
		.op_or_status = HV_NVSP_SUBCHANNEL_ALLOCATE,
		.num_subchannels = NSUB,
	};
	struct hv_nvsp_subchannel r;
	int ret;

	ret = send_nvsp(n, &m, sizeof(m), XID_SUBCHANNEL, true);
	if (ret == 0)
		ret = wait_reply(n, n->prim, xid_of(n, XID_SUBCHANNEL), sizeof(r), "SUBCHANNEL");
	if (ret != 0)
		return ret;
	memcpy(&r, n->reply, sizeof(r));
	CHECK(r.type == HV_NVSP_MSG_SUBCHANNEL && r.op_or_status == HV_NVSP_STATUS_SUCCESS &&
	      r.num_subchannels == NSUB, "nic%u: 133 status %u grants %u subchannels", n->idx,
	      r.op_or_status, r.num_subchannels);
	return r.num_subchannels == NSUB && r.op_or_status == HV_NVSP_STATUS_SUCCESS ?
	       0 : -EPROTO;
}

static int
open_subchannels(struct nic *n)
{
	uint64_t seen = 0;
	unsigned int i;
	uint16_t idx;
	int ret;

	for (i = 0; i < NSUB; i++) {
		ret = rte_hvbus_subchan_open(n->prim, &n->sub[i], SUBCHAN_TIMEOUT_MS);
		if (ret != 0) {
			CHECK(false, "nic%u: rte_hvbus_subchan_open #%u: %d", n->idx, i + 1, ret);
			return ret;
		}
		n->nsub++;
		idx = rte_hvbus_chan_index(n->sub[i]);
		CHECK(idx >= 1 && idx <= NSUB && !(seen & (1ull << idx)),
		      "nic%u: subchannel #%u has index %u (1..%u, distinct)", n->idx, i + 1, idx,
		      NSUB);
		if (idx < 64)
			seen |= 1ull << idx;
		ret = rte_hvbus_chan_set_latency(n->sub[i], LATENCY_US);
		CHECK(ret == 0, "nic%u: subchannel %u latency: %d", n->idx, idx, ret);
	}
	return 0;
}

/* An RNDIS PACKET with a broadcast frame in n->page. */
static void
build_frame(struct nic *n)
{
	struct hv_rndis_packet p = {
		.type = HV_RNDIS_MSG_PACKET,
		.length = DATA_MSG_LEN,
		.data_offset = sizeof(p) - HV_RNDIS_OFFSET_BASE,
		.data_length = FRAME_LEN,
	};
	uint8_t *frame = n->page + sizeof(p);

	memcpy(n->page, &p, sizeof(p));
	memset(frame, 0xff, 6);					/* broadcast */
	memcpy(frame + 6, "\x02\x00\x5e\x10\x00\x01", 6);	/* locally administered */
	memcpy(frame + 12, "\x88\xb5", 2);			/* local experimental type */
	memset(frame + 14, 0, FRAME_LEN - 14);
}

/* One RNDIS data packet (a broadcast frame) GPA-direct on each subchannel: both rings work. */
static int
send_data(struct nic *n)
{
	unsigned int i;
	uint16_t idx;
	int ret;

	build_frame(n);
	for (i = 0; i < n->nsub; i++) {
		idx = rte_hvbus_chan_index(n->sub[i]);
		ret = send_rndis_gpa(n, n->sub[i], n->page, DATA_MSG_LEN,
				     HV_NVSP_RNDIS_CHAN_DATA, xid_of(n, XID_DATA + idx));
		if (ret == 0)
			ret = wait_rndis_cmpl(n, n->sub[i], xid_of(n, XID_DATA + idx),
					      "data packet on a subchannel");
		if (ret != 0)
			return ret;
	}
	return 0;
}

static void
close_all(struct nic *n)
{
	while (n->nsub > 0)
		rte_hvbus_chan_close(n->sub[--n->nsub]);
	rte_hvbus_chan_close(n->prim);
	n->prim = NULL;
}

static int
bring_up(struct nic *n)
{
	int ret;

	check_identity(n);
	ret = map_and_check(n);
	if (ret == 0)
		ret = open_primary(n);
	if (ret == 0)
		ret = nvsp_init(n);
	if (ret == 0)
		ret = nvsp_ndis(n);
	if (ret == 0)
		ret = nvsp_buffers(n);
	if (ret == 0)
		ret = rndis_init(n);
	if (ret == 0)
		ret = ask_subchannels(n);
	if (ret == 0)
		ret = open_subchannels(n);
	if (ret == 0)
		ret = send_data(n);
	return ret;
}

static int
test_probe(struct rte_hvbus_driver *drv __rte_unused, struct rte_hvbus_device *dev)
{
	struct nic *n;
	int ret;

	if (nnics == MAX_NICS) {
		CHECK(false, "more than %u NICs probed", MAX_NICS);
		return -ENOSPC;
	}
	n = &nics[nnics];
	n->idx = nnics++;
	n->dev = dev;
	n->page = rte_zmalloc("test_bus_sim", HV_PAGE_SIZE, HV_PAGE_SIZE);
	if (n->page == NULL) {
		CHECK(false, "nic%u: rte_zmalloc of one page", n->idx);
		return -ENOMEM;
	}
	ret = bring_up(n);
	if (ret != 0) {
		close_all(n);
		rte_hvbus_unmap_device(dev);
		rte_free(n->page);
		n->page = NULL;
	}
	return ret;
}

/* At EAL cleanup: whatever main() did not close (after a failure). */
static int
test_remove(struct rte_hvbus_device *dev)
{
	unsigned int i;

	for (i = 0; i < nnics; i++) {
		if (nics[i].dev == dev && nics[i].prim != NULL)
			close_all(&nics[i]);
	}
	return 0;
}

/* EAL interrupt thread: the bus saw the rescind. */
static void
test_rescind(struct rte_hvbus_device *dev __rte_unused)
{
	__atomic_fetch_add(&rescinds, 1, __ATOMIC_RELEASE);
}

static struct rte_hvbus_driver test_hvbus_drv = {
	.class_guid = HV_NETWORK_CLASS_GUID,
	.probe = test_probe,
	.remove = test_remove,
	.rescind = test_rescind,
};

RTE_PMD_REGISTER_HVBUS(test_hvbus_drv, test_hvbus_drv);

/* ---- main: what must fail, then teardown ------------------------------------------------ */

static void
check_negatives(struct nic *n)
{
	struct rte_hvbus_channel *none = NULL;
	uint64_t t0, ms;
	int ret;

	t0 = rte_get_timer_cycles();
	ret = rte_hvbus_subchan_open(n->prim, &none, NONE_LEFT_TIMEOUT_MS);
	ms = (rte_get_timer_cycles() - t0) * 1000 / rte_get_timer_hz();
	CHECK(ret == -ETIMEDOUT && none == NULL && ms >= NONE_LEFT_TIMEOUT_MS &&
	      ms < NONE_LEFT_TIMEOUT_MS + 2000,
	      "nic%u: rte_hvbus_subchan_open with none left: %d after %" PRIu64 " ms (timeout "
	      "%u ms)", n->idx, ret, ms, NONE_LEFT_TIMEOUT_MS);
	if (ret == 0)
		rte_hvbus_chan_close(none);
	ret = rte_hvbus_subchan_open(n->sub[0], &none, 0);
	CHECK(ret == -EINVAL && none == NULL, "nic%u: rte_hvbus_subchan_open on a subchannel: %d",
	      n->idx, ret);
	ret = rte_hvbus_chan_set_latency(n->prim, MAX_LATENCY_US + 1);
	CHECK(ret == -ERANGE && monitor_latency(n) == latency_slot(LATENCY_US),
	      "nic%u: latency %u us refused: %d, monitor page unchanged (%u)", n->idx,
	      MAX_LATENCY_US + 1, ret, monitor_latency(n));
}

/* Poll ch for MISSED_WAIT_MS: true when nothing came (the host is waiting for a signal). */
static bool
quiet_for_missed_wait(struct nic *n, struct rte_hvbus_channel *ch)
{
	uint64_t end = deadline_after(MISSED_WAIT_MS);

	while (rte_get_timer_cycles() < end) {
		if (poll_chan(n, ch) != 0 || n->got_reply)
			return false;
		rte_delay_us_sleep(10 * 1000);
	}
	return true;
}

/*
 * A guest that forgets a signal stalls, as on Hyper-V, and the simulator names it
 * (bus_sim.py checks its 'violation ... rule=missed-signal' line for this NIC and channel).
 * A data packet is sent on the first subchannel until the ring's rule says the host sleeps
 * (need_sig: interrupt_mask 0 on an empty ring); that one is not signalled. Its completion
 * must not come while the simulator's watchdog runs out, and must come once signalled.
 */
static void
check_missed_signal(struct nic *n)
{
	struct rte_hvbus_channel *ch = n->sub[0];
	uint16_t idx = rte_hvbus_chan_index(ch);
	bool need_sig = false;
	unsigned int try;
	uint64_t xid = 0;
	int ret = 0;

	build_frame(n);
	for (try = 0; try < SLEEP_TRIES && ret == 0 && !need_sig; try++) {
		xid = xid_of(n, XID_UNSIGNALLED + try);
		ret = send_rndis_gpa_sig(n, ch, n->page, DATA_MSG_LEN, HV_NVSP_RNDIS_CHAN_DATA,
					 xid, &need_sig);
		/* The host was awake and reads it anyway: let it fall asleep, and again. */
		if (ret == 0 && !need_sig)
			ret = wait_rndis_cmpl(n, ch, xid, "data packet while the host polls");
		if (ret == 0 && !need_sig)
			rte_delay_us_sleep(20 * 1000);
	}
	CHECK(ret == 0 && need_sig, "nic%u: channel %u: a send found the host asleep "
	      "(interrupt_mask 0) within %u tries", n->idx, idx, try);
	if (ret != 0 || !need_sig)
		return;
	CHECK(quiet_for_missed_wait(n, ch), "nic%u: channel %u: no completion for %u ms "
	      "without a signal (the host waits for one)", n->idx, idx, MISSED_WAIT_MS);
	rte_hvbus_chan_signal(ch);
	ret = wait_rndis_cmpl(n, ch, xid, "data packet signalled late");
	CHECK(ret == 0, "nic%u: channel %u: completed once signalled", n->idx, idx);
}

/* Ask the simulator to rescind NIC n (no reply: the sender is unnamed). */
static int
send_rescind(const struct nic *n)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char msg[32];
	ssize_t sent;
	int fd;

	if (strlen(ctl_path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	memcpy(sun.sun_path, ctl_path, strlen(ctl_path) + 1);
	snprintf(msg, sizeof(msg), "rescind %u", n->idx);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	sent = sendto(fd, msg, strlen(msg), 0, (struct sockaddr *)&sun, sizeof(sun));
	close(fd);
	return sent == (ssize_t)strlen(msg) ? 0 : -EIO;
}

/* The host rescinds n: the driver hears of it, and the bus refuses what needs the device. */
static void
check_rescind(struct nic *n)
{
	struct rte_hvbus_channel *none = NULL;
	uint64_t end = deadline_after(STEP_TIMEOUT_MS);
	int ret;

	ret = send_rescind(n);
	CHECK(ret == 0, "nic%u: rescind sent to %s: %d", n->idx, ctl_path, ret);
	while (__atomic_load_n(&rescinds, __ATOMIC_ACQUIRE) == 0 && rte_get_timer_cycles() < end)
		rte_delay_us_sleep(1000);
	CHECK(__atomic_load_n(&rescinds, __ATOMIC_ACQUIRE) == 1 && n->dev->rescinded,
	      "nic%u: driver told of the rescind (%u callback(s))", n->idx, rescinds);
	ret = rte_hvbus_subchan_open(n->prim, &none, NONE_LEFT_TIMEOUT_MS);
	CHECK(ret == -ENODEV && none == NULL, "nic%u: rte_hvbus_subchan_open after the rescind: "
	      "%d", n->idx, ret);
	ret = rte_hvbus_chan_open(n->dev, &none);
	CHECK(ret == -ENODEV && none == NULL, "nic%u: rte_hvbus_chan_open after the rescind: %d",
	      n->idx, ret);
}

static void
teardown(struct nic *n)
{
	const struct rte_hvbus_device *dev = n->dev;
	bool unmapped = true;
	unsigned int k;

	/* Indications may still be queued: handle (and ack) them before closing. */
	poll_chan(n, n->prim);
	close_all(n);
	rte_hvbus_unmap_device(n->dev);
	for (k = 0; k < HVBUS_MAP_COUNT; k++)
		unmapped = unmapped && dev->resource[k].addr == NULL;
	CHECK(unmapped && dev->intr_handle == NULL, "nic%u: channels closed, device unmapped "
	      "(%u indirection table(s), %u indication(s), %u ack(s))", n->idx,
	      n->indirection_tables, n->indications, n->acks);
	rte_free(n->page);
	n->page = NULL;
}

/*
 * The arguments after "--" (argv[0] is the "--"): [--nics N] [--no-monitor] as given to the
 * simulator, [--ctl PATH]. Parsed before rte_eal_init(), which probes.
 */
static int
parse_args(int argc, char **argv, unsigned int *want)
{
	unsigned long v;
	char *end;
	int i;

	*want = DEFAULT_NICS;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--no-monitor") == 0) {
			no_monitor = true;
			continue;
		}
		if (strcmp(argv[i], "--ctl") == 0 && i + 1 < argc) {
			ctl_path = argv[++i];
			continue;
		}
		if (strcmp(argv[i], "--nics") != 0 || i + 1 == argc)
			break;
		v = strtoul(argv[++i], &end, 10);
		if (*end != '\0' || v < 1 || v > MAX_NICS)
			break;
		*want = (unsigned int)v;
	}
	if (i >= argc)
		return 0;
	fprintf(stderr, "usage: test-bus-sim <EAL args> [-- [--nics N] [--no-monitor] "
		"[--ctl PATH]]\n"
		"  --nics N      simulated NICs (1-%u, default %u)\n"
		"  --no-monitor  the simulator runs with --no-monitor\n"
		"  --ctl PATH    the simulator's control socket: rescind the last NIC before its "
		"teardown\n", MAX_NICS, DEFAULT_NICS);
	return -EINVAL;
}

int
main(int argc, char **argv)
{
	unsigned int want, i, probed = 0;
	uint64_t t0 = rte_rdtsc();
	double secs;
	int ret, sep;

	check_verbose = true;	/* the transcript shows every check */
	for (sep = 1; sep < argc && strcmp(argv[sep], "--") != 0; sep++)
		;
	if (parse_args(argc - sep, argv + sep, &want) != 0)
		return 2;
	ret = rte_eal_init(sep, argv);
	if (ret < 0) {
		fprintf(stderr, "test-bus-sim: rte_eal_init failed: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	for (i = 0; i < nnics; i++)
		probed += nics[i].prim != NULL;
	CHECK(nnics == want && probed == want, "%u NICs probed and brought up (expected %u)",
	      probed, want);
	CHECK(rte_eth_dev_count_avail() == 0, "no upstream netvsc port for the claimed devices "
	      "(%u ethdev ports)", rte_eth_dev_count_avail());
	for (i = 0; i < nnics; i++) {
		if (nics[i].prim == NULL)
			continue;
		check_negatives(&nics[i]);
		if (i == 0)
			check_missed_signal(&nics[i]);
		if (ctl_path != NULL && i + 1 == nnics)
			check_rescind(&nics[i]);
		teardown(&nics[i]);
	}
	secs = (double)(rte_rdtsc() - t0) / rte_get_tsc_hz();
	rte_eal_cleanup();
	printf("test-bus-sim: %.1f s\n", secs);
	return check_done("test-bus-sim");
}
