/* SPDX-License-Identifier: BSD-3-Clause */
/* NVSP control: version walk, receive/send buffers, subchannels, data path, notifications. */

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_debug.h>
#include <rte_malloc.h>

#include "hvnet.h"

/* Every request goes out at the 6.1 message size, zero padded, whatever was negotiated. */
#define HVNET_NVS_REQ_SIZE	HV_NVSP_MSG_SIZE_V61
#define HVNET_NVS_RETRY_US	100u	/* between tries of a send to a full ring */
/* Bytes of a host NVSP message copied out of the ring: the longest we read is 76. */
#define HVNET_NVS_MSG_MAX	128u
/* A full-size frame and its RNDIS header: the host's choice also sizes our ack arrays. */
#define HVNET_RXBUF_MIN_SECTION	(RTE_ETHER_HDR_LEN + RTE_ETHER_MTU + HVNET_RNDIS_PKT_ROOM)

static void hvnet_nvs_receive(struct hvnet_dev *hv, unsigned int q,
			      const struct rte_hvbus_pkt *pkt);

/* Highest first; the host only accepts an exact match, so each is tried alone. */
static const uint32_t hvnet_nvs_versions[] = {
	HV_NVSP_VERSION_61, HV_NVSP_VERSION_6, HV_NVSP_VERSION_5,
	HV_NVSP_VERSION_4, HV_NVSP_VERSION_2, HV_NVSP_VERSION_1,
};

/*
 * Write one packet on the primary: in-band, or GPA-direct when gpa is given. A full ring is
 * retried (bounded) while reading the other direction, which is what frees the host.
 */
static int
hvnet_nvs_write(struct hvnet_dev *hv, const struct rte_hvbus_gpa *gpa, const void *msg,
		uint32_t len, uint64_t xid, bool rc)
{
	uint8_t buf[HVNET_NVS_REQ_SIZE] = { 0 };
	struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
	struct rte_hvbus_channel *chan = hv->chan[0];
	rte_spinlock_t *lock = &hv->chan_lock[0].tx;
	uint64_t deadline = hvnet_ctl_deadline(hv);
	bool need_sig = false;
	int ret;

	RTE_ASSERT(len <= sizeof(buf));
	if (chan == NULL || hv->rescinded)
		return -ENODEV;	/* detached (e.g. after a failed re-attach), or rescinded */
	memcpy(buf, msg, len);
	for (;;) {
		rte_spinlock_lock(lock);
		hvnet_ack_box_send(&hv->chan_lock[0], chan);
		if (gpa != NULL)
			ret = rte_hvbus_chan_send_gpa(chan, gpa, 1, &iov, 1, xid, &need_sig);
		else
			ret = rte_hvbus_chan_send_inband(chan, &iov, 1, xid, rc, &need_sig);
		rte_spinlock_unlock(lock);
		if (ret != -EAGAIN || rte_get_timer_cycles() > deadline)
			break;
		hvnet_chan_poll(hv, 0, true);
		rte_delay_us_sleep(HVNET_NVS_RETRY_US);
	}
	if (need_sig)
		rte_hvbus_chan_signal(chan);
	if (ret < 0)
		HVNET_LOG(ERR, "port %u: NVSP message type %u not sent: %s", hv->port_id,
			  ((const struct hv_nvsp_hdr *)msg)->type, strerror(-ret));
	return ret;
}

static int
hvnet_nvs_send(struct hvnet_dev *hv, const void *msg, uint32_t len)
{
	return hvnet_nvs_write(hv, NULL, msg, len, HVNET_XID_NVS_CTL, false);
}

int
hvnet_nvs_send_rndis_ctl(struct hvnet_dev *hv, uint32_t len, uint64_t xid)
{
	struct hv_nvsp_rndis_pkt msg = {
		.type = HV_NVSP_MSG_RNDIS_PKT,
		.channel_type = HV_NVSP_RNDIS_CHAN_CONTROL,
		.section_index = HV_NVSP_NO_SECTION,
		.section_size = 0,
	};
	const struct rte_hvbus_gpa gpa = {
		.len = len,
		.ofs = hv->ctl_buf_iova & (HV_PAGE_SIZE - 1),
		.pfn = hv->ctl_buf_iova >> HV_PAGE_SHIFT,
	};
	uint8_t *sec;

	if (hv->ctl_section == HV_NVSP_NO_SECTION)
		return hvnet_nvs_write(hv, &gpa, &msg, sizeof(msg), xid, true);
	/* Bounced through the shared send buffer: the host cannot read our private pages. */
	if (len > hv->sendbuf_section_size)
		return -EMSGSIZE;
	sec = (uint8_t *)hv->vdev->resource[HVBUS_MAP_SEND].addr +
	      (size_t)hv->ctl_section * hv->sendbuf_section_size;
	memcpy(sec, hv->ctl_buf, len);
	msg.section_index = hv->ctl_section;
	msg.section_size = len;
	return hvnet_nvs_write(hv, NULL, &msg, sizeof(msg), xid, true);
}

/*
 * One request with a typed completion, under the control lock: the completion's first
 * resp_len bytes are copied to resp, and a shorter completion is an error.
 */
static int
hvnet_nvs_execute(struct hvnet_dev *hv, const void *req, uint32_t req_len, uint32_t resp_type,
		  void *resp, uint32_t resp_len, const char *what)
{
	int ret;

	if (hv->wait == NULL)
		return -ENODEV;
	rte_spinlock_lock(&hv->ctl_lock);
	hvnet_ctl_arm(hv, resp_type, 0);
	ret = hvnet_nvs_write(hv, NULL, req, req_len, HVNET_XID_NVS_CTL, true);
	if (ret == 0)
		ret = hvnet_ctl_wait(hv, what);
	if (ret == 0 && hv->wait->len < resp_len) {
		HVNET_LOG(ERR, "port %u: %s reply of %u bytes, expected %u", hv->port_id, what,
			  hv->wait->len, resp_len);
		ret = -EPROTO;
	}
	if (ret == 0)
		memcpy(resp, hv->wait->buf, resp_len);
	rte_spinlock_unlock(&hv->ctl_lock);
	return ret;
}

/* 1 when the host accepted the version, 0 when it refused it, negative errno on failure. */
static int
hvnet_nvs_try_version(struct hvnet_dev *hv, uint32_t ver)
{
	const struct hv_nvsp_init req = {
		.type = HV_NVSP_MSG_INIT,
		.min_version = ver,
		.max_version = ver,
	};
	struct hv_nvsp_init_complete resp;
	int ret;

	ret = hvnet_nvs_execute(hv, &req, sizeof(req), HV_NVSP_MSG_INIT_COMPLETE, &resp,
				sizeof(resp), "NVSP INIT");
	if (ret < 0)
		return ret;
	HVNET_INIT_LOG(DEBUG, "port %u: NVSP 0x%x: status %u", hv->port_id, ver, resp.status);
	return resp.status == HV_NVSP_STATUS_SUCCESS;
}

static int
hvnet_nvs_init(struct hvnet_dev *hv)
{
	unsigned int i;
	int ret;

	for (i = 0; i < RTE_DIM(hvnet_nvs_versions); i++) {
		ret = hvnet_nvs_try_version(hv, hvnet_nvs_versions[i]);
		if (ret < 0)
			return ret;
		if (ret == 1) {
			hv->nvs_ver = hvnet_nvs_versions[i];
			HVNET_INIT_LOG(INFO, "port %u: NVSP version 0x%x", hv->port_id,
				       hv->nvs_ver);
			return 0;
		}
	}
	HVNET_INIT_LOG(ERR, "port %u: the host refused every NVSP version", hv->port_id);
	return -EPROTONOSUPPORT;
}

static int
hvnet_nvs_ndis_config(struct hvnet_dev *hv, uint16_t mtu)
{
	struct hv_nvsp_ndis_config req = {
		.type = HV_NVSP_MSG_NDIS_CONFIG,
		.mtu = (uint32_t)mtu + RTE_ETHER_HDR_LEN,
		.capabilities = HV_NDIS_CAP_IEEE8021Q,
	};

	if (hv->nvs_ver < HV_NVSP_VERSION_2)
		return 0;
	if (hv->nvs_ver >= HV_NVSP_VERSION_5)
		req.capabilities |= HV_NDIS_CAP_SRIOV;
	return hvnet_nvs_send(hv, &req, sizeof(req));
}

static int
hvnet_nvs_ndis_version(struct hvnet_dev *hv)
{
	struct hv_nvsp_ndis_version req = { .type = HV_NVSP_MSG_NDIS_VERSION };

	hv->ndis_ver = hv->nvs_ver >= HV_NVSP_VERSION_5 ? HV_NDIS_VERSION_6_30 :
							  HV_NDIS_VERSION_6_1;
	req.ndis_major = hv->ndis_ver >> 16;
	req.ndis_minor = hv->ndis_ver & 0xffff;
	return hvnet_nvs_send(hv, &req, sizeof(req));
}

static int
hvnet_nvs_connect_rxbuf(struct hvnet_dev *hv)
{
	const struct hv_nvsp_buf req = {
		.type = HV_NVSP_MSG_RXBUF,
		.gpadl = hv->vdev->recv_gpadl,
		.id = HV_RXBUF_ID,
	};
	uint64_t map_len = hv->vdev->resource[HVBUS_MAP_RECV].len;
	struct hv_nvsp_rxbuf_complete resp;
	int ret;

	ret = hvnet_nvs_execute(hv, &req, sizeof(req), HV_NVSP_MSG_RXBUF_COMPLETE, &resp,
				sizeof(resp), "SEND_RECEIVE_BUFFER");
	if (ret < 0)
		return ret;
	if (resp.status != HV_NVSP_STATUS_SUCCESS) {
		HVNET_INIT_LOG(ERR, "port %u: receive buffer refused, status %u", hv->port_id,
			       resp.status);
		return -EIO;
	}
	if (hvnet_parse_rxbuf_layout(&resp, map_len, HVNET_RXBUF_MIN_SECTION) != 0) {
		HVNET_INIT_LOG(ERR, "port %u: bad receive buffer: %u sections at %u, %u x %u in %"
			       PRIu64, hv->port_id, resp.num_sections, resp.section.offset,
			       resp.section.num_sub_allocs, resp.section.sub_alloc_size, map_len);
		return -EPROTO;
	}
	hv->rxbuf_section_size = resp.section.sub_alloc_size;
	hv->rxbuf_section_cnt = resp.section.num_sub_allocs;
	HVNET_INIT_LOG(DEBUG, "port %u: receive buffer: %u x %u bytes", hv->port_id,
		       hv->rxbuf_section_cnt, hv->rxbuf_section_size);
	return 0;
}

static int
hvnet_nvs_connect_sendbuf(struct hvnet_dev *hv)
{
	const struct hv_nvsp_buf req = {
		.type = HV_NVSP_MSG_SENDBUF,
		.gpadl = hv->vdev->send_gpadl,
		.id = HV_SENDBUF_ID,
	};
	uint64_t map_len = hv->vdev->resource[HVBUS_MAP_SEND].len;
	struct hv_nvsp_sendbuf_complete resp;
	int ret;

	ret = hvnet_nvs_execute(hv, &req, sizeof(req), HV_NVSP_MSG_SENDBUF_COMPLETE, &resp,
				sizeof(resp), "SEND_SEND_BUFFER");
	if (ret < 0)
		return ret;
	if (resp.status != HV_NVSP_STATUS_SUCCESS) {
		HVNET_INIT_LOG(ERR, "port %u: send buffer refused, status %u", hv->port_id,
			       resp.status);
		return -EIO;
	}
	if (hvnet_parse_sendbuf(resp.section_size, map_len) != 0) {
		HVNET_INIT_LOG(ERR, "port %u: bad send section size %u (buffer %" PRIu64 ")",
			       hv->port_id, resp.section_size, map_len);
		return -EPROTO;
	}
	hv->sendbuf_section_size = resp.section_size;
	hv->sendbuf_section_cnt = (uint32_t)RTE_MIN(map_len / resp.section_size,
						    (uint64_t)UINT32_MAX);
	hv->ctl_section = HV_NVSP_NO_SECTION;
	if (hv->args.isolated) {
		/* The last section carries the RNDIS requests; the tx queues share the rest. */
		if (hv->sendbuf_section_cnt < 2 ||
		    resp.section_size < HVNET_CTL_BUF_SIZE) {
			HVNET_INIT_LOG(ERR, "port %u: isolated VM and no send section for control",
				       hv->port_id);
			return -ENOTSUP;
		}
		hv->ctl_section = --hv->sendbuf_section_cnt;
	}
	HVNET_INIT_LOG(DEBUG, "port %u: send buffer: %u x %u bytes", hv->port_id,
		       hv->sendbuf_section_cnt, hv->sendbuf_section_size);
	return 0;
}

int
hvnet_nvs_attach(struct hvnet_dev *hv, uint16_t mtu)
{
	int ret;

	hv->rxbuf_section_cnt = 0;
	hv->sendbuf_section_cnt = 0;
	hv->ctl_section = HV_NVSP_NO_SECTION;
	hv->port_mtu = mtu;
	hv->up.nvs_msg = hvnet_nvs_receive;
	ret = hvnet_ctl_alloc(hv);
	if (ret == 0)
		ret = hvnet_nvs_init(hv);
	if (ret == 0)
		ret = hvnet_nvs_ndis_config(hv, mtu);
	if (ret == 0)
		ret = hvnet_nvs_ndis_version(hv);
	if (ret == 0)
		ret = hvnet_nvs_connect_rxbuf(hv);
	if (ret == 0)
		ret = hvnet_nvs_connect_sendbuf(hv);
	if (ret < 0) {
		HVNET_INIT_LOG(ERR, "port %u: NVSP attach failed: %s", hv->port_id,
			       strerror(-ret));
		hvnet_ctl_free(hv);
	}
	return ret;
}

static void
hvnet_nvs_revoke(struct hvnet_dev *hv, uint32_t type, uint16_t id)
{
	const struct hv_nvsp_revoke_buf req = { .type = type, .id = id };

	hvnet_nvs_send(hv, &req, sizeof(req));
}

void
hvnet_nvs_detach(struct hvnet_dev *hv)
{
	unsigned int q;

	/* No completion exists for a revoke: the host just stops using the buffer. */
	rte_spinlock_lock(&hv->ctl_lock);
	if (hv->rxbuf_section_cnt != 0)
		hvnet_nvs_revoke(hv, HV_NVSP_MSG_REVOKE_RXBUF, HV_RXBUF_ID);
	if (hv->sendbuf_section_cnt != 0)
		hvnet_nvs_revoke(hv, HV_NVSP_MSG_REVOKE_SENDBUF, HV_SENDBUF_ID);
	hv->rxbuf_section_cnt = 0;
	hv->sendbuf_section_cnt = 0;
	/* Acks still owed name sections of the revoked buffer. */
	memset(hv->orphan, 0, sizeof(hv->orphan));
	for (q = 0; hv->chan_lock != NULL && q < HVNET_MAX_QUEUES; q++)
		hv->chan_lock[q].box_tail = hv->chan_lock[q].box_head;
	rte_spinlock_unlock(&hv->ctl_lock);
	hvnet_ctl_free(hv);
}

int
hvnet_nvs_alloc_subchannels(struct hvnet_dev *hv, uint32_t *count)
{
	const struct hv_nvsp_subchannel req = {
		.type = HV_NVSP_MSG_SUBCHANNEL,
		.op_or_status = HV_NVSP_SUBCHANNEL_ALLOCATE,
		.num_subchannels = *count,
	};
	struct hv_nvsp_subchannel resp;
	int ret;

	if (*count == 0)
		return 0;
	if (hv->nvs_ver < HV_NVSP_VERSION_5)
		return -ENOTSUP;
	ret = hvnet_nvs_execute(hv, &req, sizeof(req), HV_NVSP_MSG_SUBCHANNEL, &resp,
				sizeof(resp), "SUBCHANNEL allocate");
	if (ret < 0)
		return ret;
	ret = hvnet_parse_subchannels(&resp, *count, count);
	if (ret != 0)
		HVNET_LOG(ERR, "port %u: %u subchannels asked: status %u, %u granted",
			  hv->port_id, *count, resp.op_or_status, resp.num_subchannels);
	return ret;
}

int
hvnet_nvs_set_datapath(struct hvnet_dev *hv, uint32_t path)
{
	const struct hv_nvsp_switch_datapath req = {
		.type = HV_NVSP_MSG_SWITCH_DATAPATH,
		.active_datapath = path,
	};
	int ret;

	/* Older hosts treat the message as fatal. */
	if (hv->nvs_ver < HV_NVSP_VERSION_4)
		return -ENOTSUP;
	rte_spinlock_lock(&hv->ctl_lock);
	ret = hvnet_nvs_send(hv, &req, sizeof(req));
	rte_spinlock_unlock(&hv->ctl_lock);
	return ret;
}

static void
hvnet_nvs_vf_assoc(struct hvnet_dev *hv, const void *msg, uint32_t len)
{
	struct hv_nvsp_vf_assoc m;

	if (len < sizeof(m)) {
		HVNET_HOST_LOG(hv, HVNET_BAD_NVSP, "short VF association (%u bytes)", len);
		return;
	}
	memcpy(&m, msg, sizeof(m));
	hv->vf_serial = m.serial;
	__atomic_store_n(&hv->vf_present, m.allocated != 0, __ATOMIC_RELEASE);
	/* Acted on by hvnet_vf.c's alarm (a channel reader must not probe or stop ports). */
	__atomic_add_fetch(&hv->vf.assoc_gen, 1, __ATOMIC_RELEASE);
	HVNET_LOG(INFO, "port %u: VF %s (serial %u)", hv->port_id,
		  hv->vf_present ? "available" : "removed", m.serial);
}

static void
hvnet_nvs_datapath_notice(struct hvnet_dev *hv, const void *msg, uint32_t len)
{
	struct hv_nvsp_switch_datapath m;

	if (len < sizeof(m)) {
		HVNET_HOST_LOG(hv, HVNET_BAD_NVSP, "short data path notice (%u bytes)", len);
		return;
	}
	memcpy(&m, msg, sizeof(m));
	HVNET_LOG(INFO, "port %u: host data path is now %s", hv->port_id,
		  m.active_datapath == HV_NVSP_DATAPATH_VF ? "the VF" : "synthetic");
}

static void
hvnet_nvs_indirection(struct hvnet_dev *hv, const void *msg, uint32_t len)
{
	uint32_t count;

	/* Only checked: transmit queues map to channels one to one, whatever the host says. */
	if (hvnet_parse_indirection(msg, len, &count) != 0)
		HVNET_HOST_LOG(hv, HVNET_BAD_NVSP, "bad indirection table (%u bytes)", len);
	else
		HVNET_LOG(DEBUG, "port %u: host send indirection table, %u entries", hv->port_id,
			  count);
}

/* An unsolicited in-band NVSP message: VF association, data path notice, send table. */
static void
hvnet_nvs_notify(struct hvnet_dev *hv, const void *msg, uint32_t len)
{
	uint32_t type;

	if (len < sizeof(type)) {
		HVNET_HOST_LOG(hv, HVNET_BAD_NVSP, "in-band message of %u bytes", len);
		return;
	}
	memcpy(&type, msg, sizeof(type));
	switch (type) {
	case HV_NVSP_MSG_VF_ASSOC:
		hvnet_nvs_vf_assoc(hv, msg, len);
		break;
	case HV_NVSP_MSG_SWITCH_DATAPATH:
		hvnet_nvs_datapath_notice(hv, msg, len);
		break;
	case HV_NVSP_MSG_INDIRECTION_TABLE:
		hvnet_nvs_indirection(hv, msg, len);
		break;
	default:
		HVNET_HOST_LOG(hv, HVNET_BAD_NVSP, "unsolicited NVSP message type %u ignored",
			       type);
		break;
	}
}

/*
 * A completion that is not a tx descriptor's: the reply to the NVSP request awaited (on the
 * primary only), or the completion of an RNDIS control carrier (its answer comes in the
 * receive buffer). Anything else is counted and dropped. msg is our copy.
 */
static void
hvnet_nvs_completion(struct hvnet_dev *hv, unsigned int q, uint64_t xid, const void *msg,
		     uint32_t len)
{
	uint32_t type = HV_NVSP_MSG_NONE;

	if (len >= sizeof(type)) {
		memcpy(&type, msg, sizeof(type));
		if (xid == HVNET_XID_NVS_CTL && q == 0 &&
		    hvnet_ctl_complete(hv, type, 0, msg, len))
			return;
		if (xid == HVNET_XID_RNDIS_CTL && type == HV_NVSP_MSG_RNDIS_PKT_COMPLETE)
			return;
	}
	HVNET_HOST_LOG(hv, HVNET_BAD_NVSP, "channel %u: unexpected completion xid %#" PRIx64
		       " type %u len %u dropped", q, xid, type, len);
}

/*
 * The upcall the channel reader makes for NVSP control traffic (hvnet.h). The message is in
 * the host's ring: it is copied out once (every NVSP message we use is far shorter than the
 * copy) and everything is decided on the copy.
 */
static void
hvnet_nvs_receive(struct hvnet_dev *hv, unsigned int q, const struct rte_hvbus_pkt *pkt)
{
	uint8_t msg[HVNET_NVS_MSG_MAX];
	uint32_t len = RTE_MIN(pkt->len, (uint32_t)sizeof(msg));

	memcpy(msg, pkt->data, len);
	if (pkt->type == HVBUS_PKT_COMPLETION)
		hvnet_nvs_completion(hv, q, pkt->xid, msg, len);
	else
		/* Host notifications: Linux and DPDK never complete them, even when asked. */
		hvnet_nvs_notify(hv, msg, len);
}
