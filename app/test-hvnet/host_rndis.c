/* SPDX-License-Identifier: BSD-3-Clause */
/* Host RNDIS control: INITIALIZE, QUERY, SET, KEEPALIVE, RESET, HALT and status indications. */

#include <stdio.h>
#include <string.h>

#include "host.h"

#define QUERY_DATA_OFF		sizeof(struct hv_rndis_query_cmplt)
#define LINK_BUFFER_SPACE	262144u
#define VENDOR_ID		0x0000155du
#define DRIVER_VERSION		0x0100u
#define MAC_OPTIONS		0x0000024du
#define FRIENDLY_NAME_BYTES	512u
#define RSS_QUEUE_CAPS		(HV_NDIS_RSS_CAP_TOEPLITZ | HV_NDIS_RSS_CAP_TCP_IPV4 | \
				 HV_NDIS_RSS_CAP_TCP_IPV6)

static const char vendor_description[] = "hvnet simulated NetVSP";
static const char friendly_name[] = "Network Device";

static const uint32_t supported_oids[] = {
	HV_OID_GEN_SUPPORTED_LIST, HV_OID_GEN_HARDWARE_STATUS, HV_OID_GEN_MEDIA_SUPPORTED,
	HV_OID_GEN_MEDIA_IN_USE, HV_OID_GEN_MAXIMUM_LOOKAHEAD, HV_OID_GEN_MAXIMUM_FRAME_SIZE,
	HV_OID_GEN_LINK_SPEED, HV_OID_GEN_TRANSMIT_BUFFER_SPACE, HV_OID_GEN_RECEIVE_BUFFER_SPACE,
	HV_OID_GEN_TRANSMIT_BLOCK_SIZE, HV_OID_GEN_RECEIVE_BLOCK_SIZE, HV_OID_GEN_VENDOR_ID,
	HV_OID_GEN_VENDOR_DESCRIPTION, HV_OID_GEN_CURRENT_PACKET_FILTER,
	HV_OID_GEN_CURRENT_LOOKAHEAD, HV_OID_GEN_DRIVER_VERSION, HV_OID_GEN_MAXIMUM_TOTAL_SIZE,
	HV_OID_GEN_MAC_OPTIONS, HV_OID_GEN_MEDIA_CONNECT_STATUS, HV_OID_GEN_MAXIMUM_SEND_PACKETS,
	HV_OID_GEN_VENDOR_DRIVER_VERSION, HV_OID_GEN_RECEIVE_SCALE_CAPABILITIES,
	HV_OID_GEN_RECEIVE_SCALE_PARAMETERS, HV_OID_GEN_MAX_LINK_SPEED, HV_OID_GEN_FRIENDLY_NAME,
	HV_OID_GEN_XMIT_OK, HV_OID_GEN_RCV_OK, HV_OID_GEN_XMIT_ERROR, HV_OID_GEN_RCV_ERROR,
	HV_OID_GEN_RCV_NO_BUFFER, HV_OID_GEN_BYTES_RCV, HV_OID_GEN_BYTES_XMIT,
	HV_OID_GEN_RCV_DISCARDS, HV_OID_GEN_XMIT_DISCARDS, HV_OID_802_3_PERMANENT_ADDRESS,
	HV_OID_802_3_CURRENT_ADDRESS, HV_OID_802_3_MULTICAST_LIST, HV_OID_802_3_MAXIMUM_LIST_SIZE,
	HV_OID_802_3_RCV_ERROR_ALIGNMENT, HV_OID_802_3_XMIT_ONE_COLLISION,
	HV_OID_802_3_XMIT_MORE_COLLISIONS, HV_OID_OFFLOAD_ENCAPSULATION,
	HV_OID_TCP_OFFLOAD_CURRENT_CONFIG, HV_OID_TCP_OFFLOAD_PARAMETERS,
	HV_OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES,
};

void
host_rndis_reset(struct host_nic *hn)
{
	hn->rndis_init = false;
	hn->filter = HV_NDIS_PACKET_TYPE_NONE;
	hn->filter_cleared = HV_NDIS_PACKET_TYPE_NONE;	/* no frame in flight across a reset */
	hn->rss_on = false;
	hn->rss_hash_info = 0;
	memset(&hn->rss_hasher, 0, sizeof(hn->rss_hasher));
	memset(hn->rss_table, 0, sizeof(hn->rss_table));
	memset(&hn->offload, 0, sizeof(hn->offload));
	hn->ol_reported = false;
	hn->rx_epoch++;		/* also makes it non-zero from the start */
	hn->ctlq_head = 0;
	hn->ctlq_count = 0;
}

/* ---- control queue --------------------------------------------------------------------- */

bool
host_rndis_queue(struct sim_nic *nic, const void *msg, uint32_t len)
{
	struct host_nic *hn = host_of(nic);
	struct host_ctl_msg *slot;

	if (hn->ctlq_count == HOST_CTLQ_LEN || len > HOST_CTL_MSG_MAX)
		return false;
	slot = &hn->ctlq[(hn->ctlq_head + hn->ctlq_count) % HOST_CTLQ_LEN];
	memcpy(slot->msg, msg, len);
	slot->len = len;
	hn->ctlq_count++;
	return true;
}

unsigned int
host_rndis_flush(struct sim_nic *nic)
{
	struct host_nic *hn = host_of(nic);
	unsigned int sent = 0;

	while (hn->ctlq_count != 0 && hn->rx.ready) {
		struct host_ctl_msg *slot = &hn->ctlq[hn->ctlq_head];
		int idx = host_rxbuf_take_ctl(&hn->rx);
		uint32_t type;

		if (idx < 0)
			break;
		memcpy(nic->rxbuf + (size_t)idx * hn->rx.sub_size, slot->msg, slot->len);
		if (host_send_xfer(nic, 0, (uint32_t)idx, slot->len,
				   HV_NVSP_RNDIS_CHAN_CONTROL) < 0) {
			host_rxbuf_put_back(nic, (uint32_t)idx);
			break;
		}
		/* Responses are the completion types; indications are not (host_audit.c). */
		memcpy(&type, slot->msg, sizeof(type));
		if (type & HV_RNDIS_MSG_CMPLT_BIT)
			hn->ctl_responses++;
		hn->ctlq_head = (hn->ctlq_head + 1) % HOST_CTLQ_LEN;
		hn->ctlq_count--;
		sent++;
	}
	return sent;
}

static void
indicate(struct sim_nic *nic, uint32_t status, const void *buf, uint32_t len)
{
	uint8_t msg[HOST_CTL_MSG_MAX];
	struct hv_rndis_indicate h = {
		.type = HV_RNDIS_MSG_INDICATE,
		.length = (uint32_t)sizeof(h) + len,
		.status = status,
		.buf_length = len,
		.buf_offset = len ? (uint32_t)sizeof(h) - HV_RNDIS_OFFSET_BASE : 0,
	};

	memcpy(msg, &h, sizeof(h));
	memcpy(msg + sizeof(h), buf, len);
	if (!host_rndis_queue(nic, msg, h.length))
		sim_log("nic %u: control queue full, status 0x%x indication dropped",
			nic->idx, status);
}

void
host_nic_set_link(struct sim_nic *nic, bool up)
{
	nic->link_up = up;
	if (host_of(nic)->rndis_init)
		indicate(nic, up ? HV_RNDIS_STATUS_MEDIA_CONNECT : HV_RNDIS_STATUS_MEDIA_DISCONNECT,
			 NULL, 0);
}

static uint32_t
speed_100bps(uint64_t mbps)
{
	return mbps >= UINT32_MAX / 10000 ? UINT32_MAX : (uint32_t)(mbps * 10000);
}

void
host_nic_set_speed(struct sim_nic *nic, uint64_t mbps)
{
	uint32_t v = speed_100bps(mbps);

	nic->speed_mbps = mbps;
	if (host_of(nic)->rndis_init)
		indicate(nic, HV_RNDIS_STATUS_LINK_SPEED_CHANGE, &v, sizeof(v));
}

/* ---- query answers --------------------------------------------------------------------- */

/* Answer buffer: never more than cap bytes (the guest's own limit when it gave one). */
struct oid_out {
	uint8_t *buf;
	uint32_t cap;
	uint32_t len;
};

static uint32_t
put_blob(struct oid_out *o, const void *p, uint32_t n)
{
	if (n > o->cap)
		return HV_RNDIS_STATUS_BUFFER_TOO_SHORT;
	memcpy(o->buf, p, n);
	o->len = n;
	return HV_RNDIS_STATUS_SUCCESS;
}

static uint32_t
put_u32(struct oid_out *o, uint32_t v)
{
	return put_blob(o, &v, sizeof(v));
}

/* Statistics are 64-bit, or their low half when the guest asked for 4 bytes. */
static uint32_t
put_stat(struct oid_out *o, uint64_t v)
{
	uint32_t lo = (uint32_t)v;

	return o->cap >= sizeof(v) ? put_blob(o, &v, sizeof(v)) : put_blob(o, &lo, sizeof(lo));
}

static uint32_t
frame_size(const struct sim_nic *nic)
{
	uint32_t m = host_of(nic)->ndis_mtu;

	return m ? m : nic->mtu + 14;
}

/* The largest NDIS_OFFLOAD revision that fits the guest's buffer. */
static uint32_t
put_offload(struct sim_nic *nic, struct oid_out *o)
{
	struct hv_ndis_offload off;

	if (o->cap >= HV_NDIS_OFFLOAD_REV3_SIZE)
		host_offload_caps(nic, &off, 3, HV_NDIS_OFFLOAD_REV3_SIZE);
	else if (o->cap >= HV_NDIS_OFFLOAD_REV2_SIZE)
		host_offload_caps(nic, &off, 2, HV_NDIS_OFFLOAD_REV2_SIZE);
	else
		host_offload_caps(nic, &off, 1, HV_NDIS_OFFLOAD_REV1_SIZE);
	return put_blob(o, &off, off.hdr.size);
}

static uint32_t
put_rss_caps(struct sim_nic *nic, struct oid_out *o)
{
	struct hv_ndis_rss_caps caps = {
		.hdr = { .type = HV_NDIS_OBJ_RSS_CAPS, .revision = 2,
			 .size = HV_NDIS_RSS_CAPS_REV2_SIZE },
		.caps = RSS_QUEUE_CAPS,
		.num_interrupt_messages = 1,
		.num_receive_queues = nic->max_queues,
		.num_indirection_entries = HV_NDIS_RSS_INDIRECTION_SIZE,
	};

	if (o->cap < HV_NDIS_RSS_CAPS_REV2_SIZE) {
		caps.hdr.revision = 1;
		caps.hdr.size = HV_NDIS_RSS_CAPS_REV1_SIZE;
	}
	return put_blob(o, &caps, caps.hdr.size);
}

static uint32_t
put_encap(struct oid_out *o)
{
	struct hv_ndis_offload_encap e = {
		.hdr = { .type = HV_NDIS_OBJ_OFFLOAD_ENCAP, .revision = 1, .size = sizeof(e) },
		.ipv4_enabled = 1,
		.ipv4_encap_type = HV_NDIS_ENCAP_802_3,
		.ipv4_header_size = 14,
		.ipv6_enabled = 1,
		.ipv6_encap_type = HV_NDIS_ENCAP_802_3,
		.ipv6_header_size = 14,
	};

	return put_blob(o, &e, sizeof(e));
}

/* ASCII text as NUL-terminated UTF-16, padded to n bytes. */
static uint32_t
put_utf16(struct oid_out *o, const char *s, uint32_t n)
{
	uint8_t buf[FRIENDLY_NAME_BYTES] = { 0 };
	uint32_t i;

	for (i = 0; s[i] != '\0' && 2 * i + 3 < n; i++)
		buf[2 * i] = (uint8_t)s[i];
	return put_blob(o, buf, n);
}

static uint32_t
put_link_speeds(const struct sim_nic *nic, struct oid_out *o)
{
	uint64_t bps[2] = { nic->speed_mbps * 1000000ull, nic->speed_mbps * 1000000ull };

	return put_blob(o, bps, sizeof(bps));
}

static uint32_t
query_stat(const struct sim_nic *nic, uint32_t oid, struct oid_out *o)
{
	const struct sim_nic_stats *s = &nic->stats;

	switch (oid) {
	case HV_OID_GEN_XMIT_OK:
		return put_stat(o, s->from_guest_frames);
	case HV_OID_GEN_RCV_OK:
		return put_stat(o, s->to_guest_frames);
	case HV_OID_GEN_XMIT_ERROR:
		return put_stat(o, s->tx_errors);
	case HV_OID_GEN_RCV_NO_BUFFER:
		return put_stat(o, s->rx_nobuf);
	case HV_OID_GEN_BYTES_RCV:
		return put_stat(o, s->to_guest_bytes);
	case HV_OID_GEN_BYTES_XMIT:
		return put_stat(o, s->from_guest_bytes);
	case HV_OID_GEN_RCV_DISCARDS:
		return put_stat(o, s->rx_filtered + s->rx_link_down);
	case HV_OID_GEN_RCV_ERROR:
	case HV_OID_GEN_XMIT_DISCARDS:
	case HV_OID_802_3_RCV_ERROR_ALIGNMENT:
	case HV_OID_802_3_XMIT_ONE_COLLISION:
	case HV_OID_802_3_XMIT_MORE_COLLISIONS:
		return put_stat(o, 0);
	default:
		return HV_RNDIS_STATUS_NOT_SUPPORTED;
	}
}

static uint32_t
query_oid(struct sim_nic *nic, uint32_t oid, struct oid_out *o)
{
	switch (oid) {
	case HV_OID_GEN_SUPPORTED_LIST:
		return put_blob(o, supported_oids, sizeof(supported_oids));
	case HV_OID_GEN_HARDWARE_STATUS:
	case HV_OID_GEN_MEDIA_SUPPORTED:
	case HV_OID_GEN_MEDIA_IN_USE:
	case HV_OID_802_3_MAXIMUM_LIST_SIZE:
		return put_u32(o, 0);
	case HV_OID_GEN_MAXIMUM_LOOKAHEAD:
	case HV_OID_GEN_CURRENT_LOOKAHEAD:
	case HV_OID_GEN_MAXIMUM_FRAME_SIZE:
		return put_u32(o, frame_size(nic) - 14);
	case HV_OID_GEN_MAXIMUM_TOTAL_SIZE:
	case HV_OID_GEN_TRANSMIT_BLOCK_SIZE:
	case HV_OID_GEN_RECEIVE_BLOCK_SIZE:
		return put_u32(o, frame_size(nic));
	case HV_OID_GEN_LINK_SPEED:
		return put_u32(o, speed_100bps(nic->speed_mbps));
	case HV_OID_GEN_TRANSMIT_BUFFER_SPACE:
	case HV_OID_GEN_RECEIVE_BUFFER_SPACE:
		return put_u32(o, LINK_BUFFER_SPACE);
	case HV_OID_GEN_VENDOR_ID:
		return put_u32(o, VENDOR_ID);
	case HV_OID_GEN_VENDOR_DESCRIPTION:
		return put_blob(o, vendor_description, sizeof(vendor_description));
	case HV_OID_GEN_DRIVER_VERSION:
	case HV_OID_GEN_VENDOR_DRIVER_VERSION:
		return put_blob(o, &(uint16_t){ DRIVER_VERSION }, sizeof(uint16_t));
	case HV_OID_GEN_CURRENT_PACKET_FILTER:
		return put_u32(o, host_of(nic)->filter);
	case HV_OID_GEN_MAC_OPTIONS:
		return put_u32(o, MAC_OPTIONS);
	case HV_OID_GEN_MEDIA_CONNECT_STATUS:
		return put_u32(o, nic->link_up ? HV_NDIS_MEDIA_CONNECTED :
						 HV_NDIS_MEDIA_DISCONNECTED);
	case HV_OID_GEN_MAXIMUM_SEND_PACKETS:
		return put_u32(o, UINT32_MAX);
	case HV_OID_GEN_FRIENDLY_NAME:
		return put_utf16(o, friendly_name, o->cap < FRIENDLY_NAME_BYTES ?
					 o->cap & ~1u : FRIENDLY_NAME_BYTES);
	case HV_OID_GEN_MAX_LINK_SPEED:
		return put_link_speeds(nic, o);
	case HV_OID_802_3_PERMANENT_ADDRESS:
	case HV_OID_802_3_CURRENT_ADDRESS:
		return put_blob(o, nic->mac, sizeof(nic->mac));
	case HV_OID_GEN_RECEIVE_SCALE_CAPABILITIES:
		return put_rss_caps(nic, o);
	case HV_OID_OFFLOAD_ENCAPSULATION:
		return put_encap(o);
	case HV_OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES:
	case HV_OID_TCP_OFFLOAD_CURRENT_CONFIG:
		return put_offload(nic, o);
	default:
		return query_stat(nic, oid, o);
	}
}

/* ---- set handlers ---------------------------------------------------------------------- */

static uint32_t
set_filter(struct sim_nic *nic, const uint8_t *info, uint32_t len)
{
	uint32_t v;

	if (len < sizeof(v))
		return HV_RNDIS_STATUS_INVALID_LENGTH;
	memcpy(&v, info, sizeof(v));
	if (v == HV_NDIS_PACKET_TYPE_NONE && host_of(nic)->filter != v)
		host_of(nic)->filter_cleared = host_of(nic)->filter;
	host_of(nic)->filter = v;
	return HV_RNDIS_STATUS_SUCCESS;
}

static uint32_t
set_offload(struct sim_nic *nic, const uint8_t *info, uint32_t len)
{
	struct hv_ndis_offload_params p = { .hdr = { .type = 0 } };

	if (len < HV_NDIS_OFFLOAD_PARAMS_REV1_SIZE)
		return HV_RNDIS_STATUS_INVALID_LENGTH;
	memcpy(&p, info, len < sizeof(p) ? len : sizeof(p));
	if (p.hdr.type != HV_NDIS_OBJ_DEFAULT || p.hdr.revision < 1 ||
	    p.hdr.size < HV_NDIS_OFFLOAD_PARAMS_REV1_SIZE || p.hdr.size > len)
		return HV_RNDIS_STATUS_INVALID_DATA;
	if (p.lsov1 == HV_NDIS_OFFLOAD_PARAM_LSO_ON)
		return HV_RNDIS_STATUS_NOT_SUPPORTED;
	host_offload_set(nic, &p);
	return HV_RNDIS_STATUS_SUCCESS;
}

/* Check a (offset, size) span of an NDIS object of len bytes. */
static bool
obj_span_ok(uint32_t len, uint32_t off, uint32_t size)
{
	return (uint64_t)off + size <= len;
}

static uint32_t
rss_table_load(struct sim_nic *nic, const uint8_t *info, uint32_t len,
	       const struct hv_ndis_rss_params *p, uint8_t *table)
{
	uint32_t n = p->itab_size / sizeof(uint32_t), i, v;

	if (p->itab_size == 0 || p->itab_size % sizeof(uint32_t) != 0 ||
	    n > HV_NDIS_RSS_INDIRECTION_SIZE || !obj_span_ok(len, p->itab_offset, p->itab_size))
		return HV_RNDIS_STATUS_INVALID_DATA;
	for (i = 0; i < HV_NDIS_RSS_INDIRECTION_SIZE; i++) {
		/* A short table repeats to fill all 128 entries. */
		memcpy(&v, info + p->itab_offset + (i % n) * sizeof(v), sizeof(v));
		if (v >= nic->nchan)
			return HV_RNDIS_STATUS_INVALID_DATA;
		table[i] = (uint8_t)v;
	}
	return HV_RNDIS_STATUS_SUCCESS;
}

static uint32_t
set_rss(struct sim_nic *nic, const uint8_t *info, uint32_t len)
{
	struct host_nic *hn = host_of(nic);
	uint8_t table[HV_NDIS_RSS_INDIRECTION_SIZE];
	struct hv_ndis_rss_params p;
	uint32_t st;

	if (len < sizeof(p))
		return HV_RNDIS_STATUS_INVALID_LENGTH;
	memcpy(&p, info, sizeof(p));
	sim_vlog(nic, "RSS parameters: flags 0x%x hash_info 0x%x table %u bytes", p.flags,
		 p.hash_info, p.itab_size);
	hn->rx_epoch++;		/* whatever of it applies below */
	if ((p.flags & HV_NDIS_RSS_FLAG_DISABLE) ||
	    ((p.flags & HV_NDIS_RSS_FLAG_HASH_INFO_UNCHG) ? hn->rss_hash_info :
	     p.hash_info & HV_NDIS_HASH_FUNCTION_MASK) == 0) {
		hn->rss_on = false;
		return HV_RNDIS_STATUS_SUCCESS;
	}
	if (!(p.flags & HV_NDIS_RSS_FLAG_KEY_UNCHG) &&
	    (p.key_size != HV_NDIS_RSS_KEY_SIZE || !obj_span_ok(len, p.key_offset, p.key_size)))
		return HV_RNDIS_STATUS_INVALID_DATA;
	memcpy(table, hn->rss_table, sizeof(table));
	if (!(p.flags & HV_NDIS_RSS_FLAG_ITAB_UNCHG)) {
		st = rss_table_load(nic, info, len, &p, table);
		if (st != HV_RNDIS_STATUS_SUCCESS)
			return st;
	}
	/* Everything checked: apply the whole object at once. */
	if (!(p.flags & HV_NDIS_RSS_FLAG_KEY_UNCHG))
		rss_hasher_init(&hn->rss_hasher, info + p.key_offset);
	if (!(p.flags & HV_NDIS_RSS_FLAG_HASH_INFO_UNCHG))
		hn->rss_hash_info = p.hash_info;
	memcpy(hn->rss_table, table, sizeof(table));
	hn->rss_on = true;
	return HV_RNDIS_STATUS_SUCCESS;
}

static uint32_t
set_encap(const uint8_t *info, uint32_t len)
{
	struct hv_ndis_offload_encap e;

	if (len < sizeof(e))
		return HV_RNDIS_STATUS_INVALID_LENGTH;
	memcpy(&e, info, sizeof(e));
	if (e.hdr.type != HV_NDIS_OBJ_OFFLOAD_ENCAP)
		return HV_RNDIS_STATUS_INVALID_DATA;
	if ((e.ipv4_enabled == 1 && (e.ipv4_encap_type != HV_NDIS_ENCAP_802_3 ||
				     e.ipv4_header_size != 14)) ||
	    (e.ipv6_enabled == 1 && (e.ipv6_encap_type != HV_NDIS_ENCAP_802_3 ||
				     e.ipv6_header_size != 14)))
		return HV_RNDIS_STATUS_NOT_SUPPORTED;
	return HV_RNDIS_STATUS_SUCCESS;
}

static uint32_t
set_oid(struct sim_nic *nic, uint32_t oid, const uint8_t *info, uint32_t len)
{
	switch (oid) {
	case HV_OID_GEN_CURRENT_PACKET_FILTER:
		return set_filter(nic, info, len);
	case HV_OID_TCP_OFFLOAD_PARAMETERS:
		return set_offload(nic, info, len);
	case HV_OID_GEN_RECEIVE_SCALE_PARAMETERS:
		return set_rss(nic, info, len);
	case HV_OID_OFFLOAD_ENCAPSULATION:
		return set_encap(info, len);
	case HV_OID_GEN_NETWORK_LAYER_ADDRESSES:
	case HV_OID_GEN_RNDIS_CONFIG_PARAMETER:
	case HV_OID_802_3_MULTICAST_LIST:
	case HV_OID_802_3_ADD_MULTICAST_ADDRESS:
	case HV_OID_802_3_DELETE_MULTICAST_ADDRESS:
		/* Accepted and ignored: the host keeps no per-address state. */
		return HV_RNDIS_STATUS_SUCCESS;
	default:
		return HV_RNDIS_STATUS_NOT_SUPPORTED;
	}
}

/* ---- control messages ------------------------------------------------------------------ */

static void
reply(struct sim_nic *nic, const void *msg, uint32_t len)
{
	/* Room was checked before the carrier was accepted. */
	if (!host_rndis_queue(nic, msg, len))
		sim_log("nic %u: control queue full, response dropped", nic->idx);
}

static void
rndis_init(struct sim_nic *nic, const uint8_t *msg)
{
	struct hv_rndis_init m;
	struct hv_rndis_init_cmplt r = {
		.type = HV_RNDIS_MSG_INIT_CMPLT,
		.length = sizeof(r),
		.status = HV_RNDIS_STATUS_SUCCESS,
		.major = HV_RNDIS_MAJOR,
		.minor = HV_RNDIS_MINOR,
		.device_flags = HV_RNDIS_DEVICE_CONNECTIONLESS,
		.medium = HV_RNDIS_MEDIUM_802_3,
		.max_packets = HOST_RNDIS_MAX_PACKETS,
		.max_transfer = HOST_RNDIS_MAX_XFER,
		.align_shift = HOST_RNDIS_ALIGN_SHIFT,
	};
	uint32_t len = sizeof(r);

	memcpy(&m, msg, sizeof(m));
	r.rid = m.rid;
	host_of(nic)->rndis_init = true;
	sim_vlog(nic, "RNDIS INITIALIZE rid %u version %u.%u max transfer %u", m.rid, m.major,
		 m.minor, m.max_transfer);
	host_fault_init(nic, &r, &len);
	reply(nic, &r, len);
}

/* Info buffer of a QUERY/SET, bounded by the message; false if it lies outside. */
static bool
oid_info(const uint8_t *msg, uint32_t len, const struct hv_rndis_oid_req *m,
	 const uint8_t **info)
{
	uint64_t end = (uint64_t)HV_RNDIS_OFFSET_BASE + m->info_offset + m->info_length;

	*info = msg + HV_RNDIS_OFFSET_BASE + m->info_offset;
	return m->info_length == 0 || end <= len;
}

static void
rndis_query(struct sim_nic *nic, const uint8_t *msg)
{
	uint8_t buf[HOST_CTL_MSG_MAX] = { 0 };
	struct hv_rndis_oid_req m;
	struct hv_rndis_query_cmplt r = { .type = HV_RNDIS_MSG_QUERY_CMPLT };
	struct oid_out o = { .buf = buf + QUERY_DATA_OFF, .cap = sizeof(buf) - QUERY_DATA_OFF };

	memcpy(&m, msg, sizeof(m));
	/* The guest's input length is also the most it accepts back (22.11 checks that). */
	if (m.info_length != 0 && m.info_length < o.cap)
		o.cap = m.info_length;
	r.rid = m.rid;
	r.status = query_oid(nic, m.oid, &o);
	if (r.status != HV_RNDIS_STATUS_SUCCESS)
		o.len = 0;
	r.info_length = o.len;
	r.info_offset = o.len ? (uint32_t)QUERY_DATA_OFF - HV_RNDIS_OFFSET_BASE : 0;
	r.length = (uint32_t)QUERY_DATA_OFF + o.len;
	host_fault_query(nic, m.oid, &r, buf + QUERY_DATA_OFF);
	memcpy(buf, &r, sizeof(r));
	sim_vlog(nic, "RNDIS QUERY oid 0x%08x (len %u) -> 0x%x, %u bytes", m.oid, m.info_length,
		 r.status, o.len);
	reply(nic, buf, r.length);
}

static void
rndis_set(struct sim_nic *nic, const uint8_t *msg, uint32_t len)
{
	struct hv_rndis_oid_req m;
	struct hv_rndis_status_cmplt r = {
		.type = HV_RNDIS_MSG_SET_CMPLT,
		.length = sizeof(r),
	};
	struct hv_ndis_offload cur;
	const uint8_t *info;

	memcpy(&m, msg, sizeof(m));
	r.rid = m.rid;
	if (!oid_info(msg, len, &m, &info))
		r.status = HV_RNDIS_STATUS_INVALID_LENGTH;
	else
		r.status = set_oid(nic, m.oid, info, m.info_length);
	sim_vlog(nic, "RNDIS SET oid 0x%08x (len %u) -> 0x%x", m.oid, m.info_length, r.status);
	reply(nic, &r, sizeof(r));
	/* Like Hyper-V, tell the guest the offloads now in force, after its SET_CMPLT. */
	if (m.oid == HV_OID_TCP_OFFLOAD_PARAMETERS && r.status == HV_RNDIS_STATUS_SUCCESS) {
		host_offload_caps(nic, &cur, 3, HV_NDIS_OFFLOAD_REV3_SIZE);
		indicate(nic, HV_RNDIS_STATUS_TASK_OFFLOAD_CURRENT, &cur, sizeof(cur));
	}
}

static void
rndis_rid_reply(struct sim_nic *nic, const uint8_t *msg, uint32_t type)
{
	struct hv_rndis_rid_msg m;
	struct hv_rndis_status_cmplt r = {
		.type = type,
		.length = sizeof(r),
		.status = HV_RNDIS_STATUS_SUCCESS,
	};

	memcpy(&m, msg, sizeof(m));
	r.rid = m.rid;
	reply(nic, &r, sizeof(r));
}

static void
rndis_reset(struct sim_nic *nic)
{
	struct hv_rndis_reset_cmplt r = {
		.type = HV_RNDIS_MSG_RESET_CMPLT,
		.length = sizeof(r),
		.status = HV_RNDIS_STATUS_SUCCESS,
	};

	sim_vlog(nic, "RNDIS RESET");
	reply(nic, &r, sizeof(r));
}

/* Minimum length of each control message type the host accepts; 0 = not accepted. */
static uint32_t
control_min_len(uint32_t type)
{
	switch (type) {
	case HV_RNDIS_MSG_INIT:
		return sizeof(struct hv_rndis_init);
	case HV_RNDIS_MSG_QUERY:
	case HV_RNDIS_MSG_SET:
		return sizeof(struct hv_rndis_oid_req);
	case HV_RNDIS_MSG_HALT:
	case HV_RNDIS_MSG_KEEPALIVE:
		return sizeof(struct hv_rndis_rid_msg);
	case HV_RNDIS_MSG_RESET:
		return sizeof(struct hv_rndis_reset);
	default:
		return 0;
	}
}

static int
control_message(struct sim_nic *nic, const uint8_t *msg, uint32_t total)
{
	struct host_nic *hn = host_of(nic);
	struct hv_rndis_hdr h;
	uint32_t min;

	if (total < sizeof(h))
		return host_fatal(nic, 0, "RNDIS control message shorter than its header");
	memcpy(&h, msg, sizeof(h));
	min = control_min_len(h.type);
	if (min == 0) {
		sim_log("nic %u: RNDIS control message type %#x (length %u) refused", nic->idx,
			h.type, h.length);
		return host_fatal(nic, 0, "RNDIS control message type not accepted");
	}
	if (h.length < min || h.length > total)
		return host_fatal(nic, 0, "RNDIS control message length out of range");
	/* Every request but HALT wants a response (host_audit.c counts those never sent). */
	if (h.type != HV_RNDIS_MSG_HALT)
		hn->ctl_requests++;
	switch (h.type) {
	case HV_RNDIS_MSG_INIT:
		if (hn->rndis_init)
			return host_fatal(nic, 0, "second RNDIS INITIALIZE");
		rndis_init(nic, msg);
		break;
	case HV_RNDIS_MSG_QUERY:
		rndis_query(nic, msg);
		break;
	case HV_RNDIS_MSG_SET:
		rndis_set(nic, msg, h.length);
		break;
	case HV_RNDIS_MSG_KEEPALIVE:
		rndis_rid_reply(nic, msg, HV_RNDIS_MSG_KEEPALIVE_CMPLT);
		break;
	case HV_RNDIS_MSG_RESET:
		rndis_reset(nic);
		break;
	default:
		/* HALT: the guest expects no answer; stop delivering frames. */
		hn->filter = HV_NDIS_PACKET_TYPE_NONE;
		hn->filter_cleared = HV_NDIS_PACKET_TYPE_NONE;
		sim_vlog(nic, "RNDIS HALT");
		break;
	}
	return 0;
}

int
host_rndis_control(struct sim_nic *nic, unsigned int c, const struct host_pkt *pkt,
		   const struct hv_nvsp_rndis_pkt *m)
{
	struct host_nic *hn = host_of(nic);
	uint32_t chim_len, len;
	int rc;

	/* A response plus one indication must fit, or the carrier fails (not fatal). */
	if (hn->ctlq_count + 2 > HOST_CTLQ_LEN)
		return host_nvsp_rndis_complete(nic, c, pkt->tid, HV_NVSP_STATUS_FAILURE);
	rc = host_carrier_read(nic, c, pkt, m, &chim_len, &len);
	if (rc == -EPROTO)
		return rc;
	if (rc < 0)
		return host_nvsp_rndis_complete(nic, c, pkt->tid, HV_NVSP_STATUS_FAILURE);
	/* The carrier's completion goes out before the response (see 7.10 #13). */
	rc = host_nvsp_rndis_complete(nic, c, pkt->tid, HV_NVSP_STATUS_SUCCESS);
	if (rc < 0)
		return rc;
	rc = control_message(nic, hn->gather, len);
	host_rndis_flush(nic);
	return rc;
}
