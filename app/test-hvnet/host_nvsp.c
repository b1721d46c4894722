/* SPDX-License-Identifier: BSD-3-Clause */
/* Host NVSP: per-NIC life cycle, the initialization state machine and message dispatch. */

#include <stdlib.h>
#include <string.h>

#include "host.h"

/* Versions the host can speak, lowest first; a guest INIT must name one exactly. */
static const uint32_t nvsp_versions[] = {
	HV_NVSP_VERSION_1, HV_NVSP_VERSION_2, HV_NVSP_VERSION_4,
	HV_NVSP_VERSION_5, HV_NVSP_VERSION_6, HV_NVSP_VERSION_61,
};

void
host_violation(struct sim_nic *nic, unsigned int chan, const char *rule)
{
	nic->stats.violations++;
	sim_log("violation nic=%u chan=%u rule=%s", nic->idx, chan, rule);
}

int
host_fatal(struct sim_nic *nic, unsigned int c, const char *rule)
{
	host_violation(nic, c, rule);
	host_of(nic)->chan[c].dead = true;
	return -EPROTO;
}

static void
session_reset(struct host_nic *hn)
{
	unsigned int c;

	hn->state = HOST_WAIT_INIT;
	hn->version = 0;
	hn->msg_size = HV_NVSP_MSG_SIZE_V1;
	hn->have_ndis_cfg = false;
	hn->have_ndis_ver = false;
	hn->have_sendbuf = false;
	hn->datapath_vf = false;
	hn->ndis_mtu = 0;
	hn->ndis_version = 0;
	hn->ndis_caps = 0;
	hn->sendbuf_sections = 0;
	host_rxbuf_free(&hn->rx);
	host_rndis_reset(hn);
	for (c = 0; c < SIM_MAX_CHANNELS; c++)
		memset(&hn->chan[c], 0, sizeof(hn->chan[c]));
	hn->audit_due = false;
	hn->owed = 0;
	hn->ctl_requests = 0;
	hn->ctl_responses = 0;
}

int
host_nic_init(struct sim_nic *nic)
{
	struct host_nic *hn = calloc(1, sizeof(*hn));
	unsigned int c;

	if (hn == NULL)
		return -ENOMEM;
	nic->host = hn;
	for (c = 0; c < SIM_MAX_CHANNELS; c++)
		nic->chan[c].host = &hn->chan[c];
	session_reset(hn);
	return 0;
}

void
host_nic_fini(struct sim_nic *nic)
{
	struct host_nic *hn = host_of(nic);
	unsigned int c;

	if (hn == NULL)
		return;
	host_rxbuf_free(&hn->rx);
	host_fault_fini(hn);
	for (c = 0; c < SIM_MAX_CHANNELS; c++)
		nic->chan[c].host = NULL;
	free(hn);
	nic->host = NULL;
}

void
host_nic_reset(struct sim_nic *nic)
{
	struct host_nic *hn = host_of(nic);

	/* What the session leaves owed, counted while its rings are still there. */
	host_audit_session(nic);
	/* The kernel drops every subchannel when the primary closes; the guest re-asks. */
	if (nic->nchan > 1)
		sim_env_rescind_subchannels(nic);
	session_reset(hn);
	host_vf_session_reset(nic);
	/* Like the kernel at channel open: fresh indices, the host polling. */
	host_ring_pair_reset(nic->chan[0].ring, nic->chan[0].ring_size,
			     nic->sim->opt.kernel != SIM_KERNEL_USERMASK);
	sim_vlog(nic, "NVSP session reset");
}

unsigned int
host_nic_poll(struct sim_nic *nic)
{
	struct host_nic *hn = host_of(nic);
	uint64_t now = sim_now_ns();
	unsigned int c, work;

	host_fault_poll(nic);
	work = host_rndis_flush(nic);
	for (c = 0; c < nic->nchan; c++)
		work += host_chan_serve(nic, c, now);
	/* After every channel was read: acks of a revoked buffer may come on any of them. */
	if (hn->audit_due) {
		hn->audit_due = false;
		host_audit_rxbuf(nic, "revoke");
	}
	return work;
}

/* ---- sending --------------------------------------------------------------------------- */

/* Completion padded to size bytes (0 = an empty completion). */
static int
send_completion(struct sim_nic *nic, unsigned int c, uint64_t tid, const void *msg,
		uint32_t len, uint32_t size)
{
	uint8_t buf[128] = { 0 };
	int rc;

	if (len > size)
		size = len;
	if (size > sizeof(buf))
		return host_fatal(nic, c, "host completion too large");
	memcpy(buf, msg, len);
	rc = host_chan_send(nic, c, HV_PKT_COMPLETION, 0, tid, NULL, 0, buf, size, 0);
	/* The poll loop kept HOST_REPLY_ROOM free before handing out this packet. */
	if (rc == -EAGAIN)
		return host_fatal(nic, c, "host->guest ring out of space for a completion");
	return rc;
}

int
host_nvsp_complete(struct sim_nic *nic, unsigned int c, uint64_t tid, const void *msg,
		   uint32_t len)
{
	return send_completion(nic, c, tid, msg, len, len ? host_of(nic)->msg_size : 0);
}

int
host_nvsp_rndis_complete(struct sim_nic *nic, unsigned int c, uint64_t tid,
			 uint32_t status)
{
	struct hv_nvsp_rndis_pkt_complete m = {
		.type = HV_NVSP_MSG_RNDIS_PKT_COMPLETE,
		.status = status,
	};
	uint32_t len = host_fault_nvsp_len(nic, c, sizeof(m));
	int rc;

	if (len == sizeof(m))
		return host_nvsp_complete(nic, c, tid, &m, len);
	rc = send_completion(nic, c, tid, &m, len, len);
	if (rc == 0)
		host_fault_sent(nic, c, HOST_FAULT_NVSP_SHORT, 0);
	return rc;
}

/* Empty completion, sent only when the guest asked for one. */
static int
maybe_ack(struct sim_nic *nic, unsigned int c, const struct host_pkt *pkt)
{
	if (!(pkt->flags & HV_PKT_FLAG_RC))
		return 0;
	return host_nvsp_complete(nic, c, pkt->tid, NULL, 0);
}

/* ---- parsing helpers ------------------------------------------------------------------- */

static bool
msg_get(const struct host_pkt *pkt, void *dst, size_t n)
{
	if (pkt->msg_len < n)
		return false;
	memcpy(dst, pkt->msg, n);
	return true;
}

/* Lowest NVSP version that allows a guest->host message type; 0 = never allowed. */
static uint32_t
type_min_version(uint32_t type)
{
	switch (type) {
	case HV_NVSP_MSG_INIT:
	case HV_NVSP_MSG_NDIS_VERSION:
	case HV_NVSP_MSG_RXBUF:
	case HV_NVSP_MSG_REVOKE_RXBUF:
	case HV_NVSP_MSG_SENDBUF:
	case HV_NVSP_MSG_REVOKE_SENDBUF:
	case HV_NVSP_MSG_RNDIS_PKT:
		return HV_NVSP_VERSION_1;
	case HV_NVSP_MSG_NDIS_CONFIG:
		return HV_NVSP_VERSION_2;
	case HV_NVSP_MSG_SWITCH_DATAPATH:
		return HV_NVSP_VERSION_4;
	case HV_NVSP_MSG_OID_QUERY_EX:
	case HV_NVSP_MSG_SUBCHANNEL:
		return HV_NVSP_VERSION_5;
	default:
		return 0;
	}
}

/* ---- state: waiting for INIT ------------------------------------------------------------ */

static bool
version_supported(const struct sim_nic *nic, uint32_t v)
{
	size_t i;

	for (i = 0; i < sizeof(nvsp_versions) / sizeof(nvsp_versions[0]); i++)
		if (nvsp_versions[i] == v && v <= nic->nvsp_max)
			return true;
	return false;
}

static int
handle_init(struct sim_nic *nic, const struct host_pkt *pkt)
{
	struct host_nic *hn = host_of(nic);
	struct hv_nvsp_init m;
	struct hv_nvsp_init_complete r = {
		.type = HV_NVSP_MSG_INIT_COMPLETE,
		.max_mdl_chain_len = HOST_MDL_CHAIN_LEN,
	};

	if (!msg_get(pkt, &m, sizeof(m.type) + sizeof(m.min_version)))
		return host_fatal(nic, 0, "short NVSP INIT");
	/* Like Hyper-V: only the first version field counts, no range negotiation. */
	if (version_supported(nic, m.min_version)) {
		r.status = HV_NVSP_STATUS_SUCCESS;
		r.negotiated_version = m.min_version == HV_NVSP_VERSION_1 ? 2 : 0xffffffffu;
		hn->version = m.min_version;
		hn->msg_size = hn->version >= HV_NVSP_VERSION_61 ? HV_NVSP_MSG_SIZE_V61 :
								   HV_NVSP_MSG_SIZE_V1;
		hn->state = HOST_INITIALIZING;
	} else {
		r.status = HV_NVSP_STATUS_NONE;
	}
	host_fault_nvsp_reply(nic, &r);
	sim_vlog(nic, "NVSP INIT 0x%x -> status %u", m.min_version, r.status);
	/* INIT_COMPLETE always goes out in the small form, before the size is settled. */
	return send_completion(nic, 0, pkt->tid, &r, sizeof(r), HV_NVSP_MSG_SIZE_V1);
}

/* ---- state: initializing ---------------------------------------------------------------- */

static int
handle_ndis_config(struct sim_nic *nic, const struct host_pkt *pkt)
{
	struct host_nic *hn = host_of(nic);
	uint32_t lo = nic->mtu + 14 < 1514 ? nic->mtu + 14 : 1514;
	struct hv_nvsp_ndis_config m;

	if (hn->have_ndis_cfg)
		return host_fatal(nic, 0, "duplicate NDIS_CONFIG");
	if (!msg_get(pkt, &m, sizeof(m)))
		return host_fatal(nic, 0, "short NDIS_CONFIG");
	hn->have_ndis_cfg = true;
	hn->ndis_mtu = m.mtu >= lo && m.mtu <= nic->mtu + 14 ? m.mtu : lo;
	hn->ndis_caps = m.capabilities;
	sim_vlog(nic, "NDIS_CONFIG mtu %u (using %u) caps 0x%llx", m.mtu, hn->ndis_mtu,
		 (unsigned long long)m.capabilities);
	return maybe_ack(nic, 0, pkt);
}

static int
handle_ndis_version(struct sim_nic *nic, const struct host_pkt *pkt)
{
	struct host_nic *hn = host_of(nic);
	struct hv_nvsp_ndis_version m;

	if (hn->have_ndis_ver)
		return host_fatal(nic, 0, "duplicate NDIS_VERSION");
	if (!msg_get(pkt, &m, sizeof(m)))
		return host_fatal(nic, 0, "short NDIS_VERSION");
	hn->have_ndis_ver = true;
	hn->ndis_version = (m.ndis_major << 16) | (m.ndis_minor & 0xffff);
	sim_vlog(nic, "NDIS_VERSION %u.%u", m.ndis_major, m.ndis_minor);
	return maybe_ack(nic, 0, pkt);
}

static int
handle_rxbuf(struct sim_nic *nic, const struct host_pkt *pkt)
{
	struct host_nic *hn = host_of(nic);
	struct hv_nvsp_rxbuf_complete r = {
		.type = HV_NVSP_MSG_RXBUF_COMPLETE,
		.status = HV_NVSP_STATUS_FAILURE,
	};
	struct hv_nvsp_buf m;

	if (hn->rx.ready)
		return host_fatal(nic, 0, "duplicate SEND_RECEIVE_BUFFER");
	if (hn->version >= HV_NVSP_VERSION_2 && !hn->have_ndis_cfg)
		return host_fatal(nic, 0, "SEND_RECEIVE_BUFFER before NDIS_CONFIG");
	if (!msg_get(pkt, &m, sizeof(m)))
		return host_fatal(nic, 0, "short SEND_RECEIVE_BUFFER");
	if (hn->ndis_mtu == 0)
		hn->ndis_mtu = nic->mtu + 14 < 1514 ? nic->mtu + 14 : 1514;
	if (m.gpadl != nic->rxbuf_gpadl)
		host_violation(nic, 0, "SEND_RECEIVE_BUFFER with an unknown GPADL");
	else if (host_rxbuf_setup(nic, m.id) == 0)
		r.status = HV_NVSP_STATUS_SUCCESS;
	if (r.status == HV_NVSP_STATUS_SUCCESS) {
		r.num_sections = 1;
		r.section.sub_alloc_size = hn->rx.sub_size;
		r.section.num_sub_allocs = hn->rx.count;
		r.section.end_offset = hn->rx.sub_size * hn->rx.count;
	}
	sim_vlog(nic, "receive buffer gpadl %u id 0x%x: %u x %u", m.gpadl, m.id,
		 hn->rx.count, hn->rx.sub_size);
	host_fault_nvsp_reply(nic, &r);
	return host_nvsp_complete(nic, 0, pkt->tid, &r, sizeof(r));
}

static int
handle_sendbuf(struct sim_nic *nic, const struct host_pkt *pkt)
{
	struct host_nic *hn = host_of(nic);
	struct hv_nvsp_sendbuf_complete r = {
		.type = HV_NVSP_MSG_SENDBUF_COMPLETE,
		.status = HV_NVSP_STATUS_FAILURE,
	};
	struct hv_nvsp_buf m;

	if (hn->have_sendbuf)
		return host_fatal(nic, 0, "duplicate SEND_SEND_BUFFER");
	if (!msg_get(pkt, &m, sizeof(m)))
		return host_fatal(nic, 0, "short SEND_SEND_BUFFER");
	if (m.gpadl != nic->sendbuf_gpadl || nic->sendbuf == NULL) {
		host_violation(nic, 0, "SEND_SEND_BUFFER with an unknown GPADL");
	} else {
		hn->have_sendbuf = true;
		hn->sendbuf_sections = (uint32_t)(nic->sendbuf_size / HV_SENDBUF_SECTION_SIZE);
		r.status = HV_NVSP_STATUS_SUCCESS;
		r.section_size = HV_SENDBUF_SECTION_SIZE;
	}
	sim_vlog(nic, "send buffer gpadl %u: %u sections", m.gpadl, hn->sendbuf_sections);
	host_fault_nvsp_reply(nic, &r);
	return host_nvsp_complete(nic, 0, pkt->tid, &r, sizeof(r));
}

static int
handle_rndis_pkt(struct sim_nic *nic, unsigned int c, const struct host_pkt *pkt)
{
	struct hv_nvsp_rndis_pkt m;

	if (!msg_get(pkt, &m, sizeof(m)))
		return host_fatal(nic, c, "short SEND_RNDIS_PACKET");
	if (!(pkt->flags & HV_PKT_FLAG_RC))
		return host_fatal(nic, c, "SEND_RNDIS_PACKET without completion request");
	if (m.channel_type == HV_NVSP_RNDIS_CHAN_DATA)
		return host_data_tx(nic, c, pkt, &m);
	if (m.channel_type != HV_NVSP_RNDIS_CHAN_CONTROL)
		return host_fatal(nic, c, "SEND_RNDIS_PACKET with an unknown channel type");
	/* Control stays on the primary; elsewhere it fails without killing the channel. */
	if (c != 0)
		return host_nvsp_rndis_complete(nic, c, pkt->tid, HV_NVSP_STATUS_FAILURE);
	return host_rndis_control(nic, c, pkt, &m);
}

static int
state_initializing(struct sim_nic *nic, const struct host_pkt *pkt, uint32_t type)
{
	struct host_nic *hn = host_of(nic);

	switch (type) {
	case HV_NVSP_MSG_NDIS_CONFIG:
		return handle_ndis_config(nic, pkt);
	case HV_NVSP_MSG_NDIS_VERSION:
		return handle_ndis_version(nic, pkt);
	case HV_NVSP_MSG_RXBUF:
		return handle_rxbuf(nic, pkt);
	case HV_NVSP_MSG_SENDBUF:
		return handle_sendbuf(nic, pkt);
	case HV_NVSP_MSG_RNDIS_PKT:
		if (!hn->have_ndis_ver || !hn->rx.ready ||
		    (hn->version >= HV_NVSP_VERSION_2 && !hn->have_ndis_cfg))
			return host_fatal(nic, 0, "RNDIS packet before NDIS version and buffers");
		hn->state = HOST_READY;
		sim_vlog(nic, "NVSP ready (version 0x%x)", hn->version);
		return handle_rndis_pkt(nic, 0, pkt);
	default:
		return host_fatal(nic, 0, "unexpected packet order during NVSP initialization");
	}
}

/* ---- state: ready ----------------------------------------------------------------------- */

/* The guest's sends spread over the nchan channels it asked for. */
static int
send_indirection_table(struct sim_nic *nic, uint32_t nchan)
{
	struct hv_nvsp_indirection_table t = {
		.type = HV_NVSP_MSG_INDIRECTION_TABLE,
		.count = HV_NVSP_INDIRECTION_COUNT,
		.offset = offsetof(struct hv_nvsp_indirection_table, entry),
	};
	unsigned int i;
	int rc;

	for (i = 0; i < HV_NVSP_INDIRECTION_COUNT; i++)
		t.entry[i] = i % nchan;
	rc = host_chan_send(nic, 0, HV_PKT_DATA_INBAND, 0, 0, NULL, 0, &t, sizeof(t), 0);
	if (rc == -EAGAIN)
		return host_fatal(nic, 0, "no ring space for SEND_INDIRECTION_TABLE");
	return rc;
}

/*
 * ALLOCATE n asks for n + 1 channels in all. A later request in the same session is granted
 * as OpenVMM's netvsp grants it: only channels beyond those already offered are offered, none
 * is taken back, n = 0 changes nothing (Linux and FreeBSD ask once per session; upstream DPDK
 * netvsc asks on every configure). netvsp then restarts its queues with the count asked; this
 * host keeps its receive sections split over, and its RSS table open to, every channel offered.
 */
static int
handle_subchannel(struct sim_nic *nic, const struct host_pkt *pkt)
{
	struct host_nic *hn = host_of(nic);
	struct hv_nvsp_subchannel r = {
		.type = HV_NVSP_MSG_SUBCHANNEL,
		.op_or_status = HV_NVSP_STATUS_FAILURE,
	};
	struct hv_nvsp_subchannel m;
	uint32_t n, total, add, c;
	bool ok;
	int rc;

	if (!msg_get(pkt, &m, sizeof(m)))
		return host_fatal(nic, 0, "short SUBCHANNEL request");
	n = m.num_subchannels;
	total = n + 1;
	ok = m.op_or_status == HV_NVSP_SUBCHANNEL_ALLOCATE && n <= SIM_MAX_SUBCHANNELS &&
	     total <= nic->max_queues && total <= SIM_MAX_CHANNELS &&
	     hn->rx.ready && hn->rx.count > HOST_CTL_SUBALLOCS &&
	     (hn->rx.count - HOST_CTL_SUBALLOCS) / total >= 1;
	add = total > nic->nchan ? total - nic->nchan : 0;
	/* The directories must exist before the completion: the guest scans right after it. */
	if (ok && (add == 0 || sim_env_offer_subchannels(nic, add) == 0)) {
		for (c = total - add; c < total; c++)
			memset(&hn->chan[c], 0, sizeof(hn->chan[c]));
		if (add != 0)
			host_rxbuf_split(nic);
		r.op_or_status = HV_NVSP_STATUS_SUCCESS;
		r.num_subchannels = n;
	}
	sim_vlog(nic, "SUBCHANNEL op %u n %u -> status %u, %u channels", m.op_or_status, n,
		 r.op_or_status, nic->nchan);
	if (r.op_or_status == HV_NVSP_STATUS_SUCCESS)
		host_fault_nvsp_reply(nic, &r);
	rc = host_nvsp_complete(nic, 0, pkt->tid, &r, sizeof(r));
	if (rc == 0 && r.op_or_status == HV_NVSP_STATUS_SUCCESS && n != 0)
		rc = send_indirection_table(nic, total);
	return rc;
}

static int
handle_switch_datapath(struct sim_nic *nic, const struct host_pkt *pkt)
{
	struct hv_nvsp_switch_datapath m;

	if (!msg_get(pkt, &m, sizeof(m)))
		return host_fatal(nic, 0, "short SWITCH_DATA_PATH");
	host_of(nic)->datapath_vf = m.active_datapath == HV_NVSP_DATAPATH_VF;
	host_vf_switched(nic, host_of(nic)->datapath_vf);
	sim_vlog(nic, "SWITCH_DATA_PATH %u", m.active_datapath);
	return maybe_ack(nic, 0, pkt);
}

static int
handle_oid_query_ex(struct sim_nic *nic, const struct host_pkt *pkt)
{
	struct hv_nvsp_oid_query_ex_complete r = {
		.type = HV_NVSP_MSG_OID_QUERY_EX_COMPLETE,
		.status = HV_RNDIS_STATUS_NOT_SUPPORTED,
	};

	if (!(pkt->flags & HV_PKT_FLAG_RC))
		return 0;
	return host_nvsp_complete(nic, 0, pkt->tid, &r, sizeof(r));
}

static int
handle_revoke(struct sim_nic *nic, const struct host_pkt *pkt, uint32_t type)
{
	struct host_nic *hn = host_of(nic);
	struct hv_nvsp_revoke_buf m;

	if (!msg_get(pkt, &m, sizeof(m)))
		return host_fatal(nic, 0, "short REVOKE message");
	if (type == HV_NVSP_MSG_REVOKE_RXBUF)
		host_rxbuf_revoke(nic);	/* in-flight acks are ignored from now on */
	else
		hn->have_sendbuf = false;
	sim_vlog(nic, "%s buffer revoked (id 0x%x)",
		 type == HV_NVSP_MSG_REVOKE_RXBUF ? "receive" : "send", m.id);
	return maybe_ack(nic, 0, pkt);
}

static int
state_ready(struct sim_nic *nic, const struct host_pkt *pkt, uint32_t type)
{
	switch (type) {
	case HV_NVSP_MSG_RNDIS_PKT:
		return handle_rndis_pkt(nic, 0, pkt);
	case HV_NVSP_MSG_SUBCHANNEL:
		return handle_subchannel(nic, pkt);
	case HV_NVSP_MSG_SWITCH_DATAPATH:
		return handle_switch_datapath(nic, pkt);
	case HV_NVSP_MSG_OID_QUERY_EX:
		return handle_oid_query_ex(nic, pkt);
	case HV_NVSP_MSG_REVOKE_RXBUF:
	case HV_NVSP_MSG_REVOKE_SENDBUF:
		return handle_revoke(nic, pkt, type);
	default:
		return host_fatal(nic, 0, "unexpected NVSP message after initialization");
	}
}

/* ---- dispatch --------------------------------------------------------------------------- */

static int
guest_completion(struct sim_nic *nic, unsigned int c, const struct host_pkt *pkt)
{
	struct hv_nvsp_rndis_pkt_complete m;

	if (pkt->tid == HV_NVSP_TID_VF_ASSOC || pkt->tid == HV_NVSP_TID_SWITCH_DATAPATH)
		return 0;
	if (!msg_get(pkt, &m, sizeof(m)) || m.type != HV_NVSP_MSG_RNDIS_PKT_COMPLETE)
		return host_fatal(nic, c, "unexpected completion from the guest");
	return host_rxbuf_release(nic, c, pkt->tid);
}

int
host_nvsp_packet(struct sim_nic *nic, unsigned int c, const struct host_pkt *pkt)
{
	struct host_nic *hn = host_of(nic);
	uint32_t type, min;

	if (pkt->type == HV_PKT_COMPLETION)
		return guest_completion(nic, c, pkt);
	if (pkt->type == HV_PKT_DATA_XFER_PAGES)
		return host_fatal(nic, c, "transfer-page packet from the guest");
	if (!msg_get(pkt, &type, sizeof(type)))
		return host_fatal(nic, c, "NVSP message shorter than its type");
	if (pkt->type == HV_PKT_DATA_GPA_DIRECT && type != HV_NVSP_MSG_RNDIS_PKT)
		return host_fatal(nic, c, "GPA-direct packet without an RNDIS message");
	if (hn->state == HOST_WAIT_INIT) {
		if (c != 0 || type != HV_NVSP_MSG_INIT)
			return host_fatal(nic, c, "NVSP message before INIT");
		return handle_init(nic, pkt);
	}
	min = type_min_version(type);
	if (min == 0 || min > hn->version || type == HV_NVSP_MSG_INIT)
		return host_fatal(nic, c, "NVSP type unknown, repeated INIT or above the version");
	if (c != 0) {
		/* Subchannels only carry data and completions. */
		if (type != HV_NVSP_MSG_RNDIS_PKT || hn->state != HOST_READY)
			return host_fatal(nic, c, "control message on a subchannel");
		return handle_rndis_pkt(nic, c, pkt);
	}
	if (hn->state == HOST_INITIALIZING)
		return state_initializing(nic, pkt, type);
	return state_ready(nic, pkt, type);
}
