/* SPDX-License-Identifier: BSD-3-Clause */
/* RNDIS control: init/halt, OID query/set, RSS, offloads, and the host's control messages. */

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_common.h>
#include <rte_malloc.h>

#include "hvnet.h"

#define HVNET_RNDIS_MAX_XFER		0x4000u
#define HVNET_LINK_SPEED_UNITS_PER_MBPS	10000u	/* LINK_SPEED is in 100 b/s units */

/*
 * OID_GEN_RECEIVE_SCALE_PARAMETERS as sent: the revision 2 header, the indirection table of
 * u32 queue numbers, then the key, each right after the other (the offsets sent say so).
 */
struct hvnet_rss_obj {
	struct hv_ndis_rss_params p;
	uint32_t itab[HV_NDIS_RSS_INDIRECTION_SIZE];
	uint8_t key[HV_NDIS_RSS_KEY_SIZE];
};

_Static_assert(offsetof(struct hvnet_rss_obj, itab) == HV_NDIS_RSS_PARAMS_REV2_SIZE,
	       "rss table right after the header");
_Static_assert(offsetof(struct hvnet_rss_obj, key) ==
	       HV_NDIS_RSS_PARAMS_REV2_SIZE + HV_NDIS_RSS_INDIRECTION_SIZE * sizeof(uint32_t),
	       "rss key right after the table");
_Static_assert(sizeof(struct hvnet_rss_obj) == HV_NDIS_RSS_PARAMS_REV2_SIZE +
	       HV_NDIS_RSS_INDIRECTION_SIZE * sizeof(uint32_t) + HV_NDIS_RSS_KEY_SIZE,
	       "rss parameters: nothing after the key");

/* Checksum capabilities, as the DPDK offload flags need them (both IP versions where shared). */
#define HVNET_CSUM_IP4		(HV_NDIS_TXCSUM_CAP_IP4 | HV_NDIS_TXCSUM_CAP_IP4_OPTS)
#define HVNET_CSUM_TCP4		(HV_NDIS_TXCSUM_CAP_TCP | HV_NDIS_TXCSUM_CAP_TCP_OPTS)
#define HVNET_CSUM_TCP6		(HVNET_CSUM_TCP4 | HV_NDIS_TXCSUM_CAP_IP6_EXT)
#define HVNET_CSUM_UDP6		(HV_NDIS_TXCSUM_CAP_UDP | HV_NDIS_TXCSUM_CAP_IP6_EXT)
#define HVNET_LSOV2_IP6		(HV_NDIS_LSOV2_CAP_IP6_EXT | HV_NDIS_LSOV2_CAP_TCP_OPTS)

/* Whatever the host offers: NDIS always carries VLAN tags out of band, and we do the rest. */
#define HVNET_TX_OFFLOAD_BASE	(RTE_ETH_TX_OFFLOAD_VLAN_INSERT | RTE_ETH_TX_OFFLOAD_MULTI_SEGS)
#define HVNET_RX_OFFLOAD_BASE	(RTE_ETH_RX_OFFLOAD_VLAN_STRIP | RTE_ETH_RX_OFFLOAD_RSS_HASH)

static int
hvnet_rndis_errno(uint32_t status)
{
	switch (status) {
	case HV_RNDIS_STATUS_NOT_SUPPORTED:
	case HV_RNDIS_STATUS_INVALID_OID:
	case HV_RNDIS_STATUS_NOT_RECOGNIZED:
		return -ENOTSUP;
	case HV_RNDIS_STATUS_INVALID_DATA:
	case HV_RNDIS_STATUS_INVALID_LENGTH:
	case HV_RNDIS_STATUS_BUFFER_TOO_SHORT:
		return -EINVAL;
	case HV_RNDIS_STATUS_RESOURCES:
		return -ENOMEM;
	default:
		return -EIO;
	}
}

static void hvnet_rndis_receive_ctl(struct hvnet_dev *hv, const void *msg, uint32_t len);

static uint32_t
hvnet_rndis_next_rid(struct hvnet_dev *hv)
{
	/* 0 would match "nothing awaited". */
	if (++hv->rndis_rid == 0)
		hv->rndis_rid = 1;
	return hv->rndis_rid;
}

/*
 * Send the request built in hv->ctl_buf (len bytes, rid field at byte 8 filled here) and
 * wait for its completion: of type resp_type, at least min_len bytes, status success.
 * Called with ctl_lock held; the completion is then in hv->wait.
 */
static int
hvnet_rndis_execute(struct hvnet_dev *hv, uint32_t len, uint32_t resp_type, uint32_t min_len,
		    const char *what)
{
	uint32_t rid = hvnet_rndis_next_rid(hv), status;
	int ret;

	memcpy(hv->ctl_buf + offsetof(struct hv_rndis_rid_msg, rid), &rid, sizeof(rid));
	hvnet_ctl_arm(hv, 0, rid);
	ret = hvnet_nvs_send_rndis_ctl(hv, len, HVNET_XID_RNDIS_CTL);
	if (ret == 0)
		ret = hvnet_ctl_wait(hv, what);
	if (ret < 0)
		return ret;
	if (hvnet_parse_rndis_reply(hv->wait->buf, hv->wait->len, resp_type, min_len,
				    &status) != 0) {
		HVNET_LOG(ERR, "port %u: %s: malformed reply of %u bytes (type 0x%x expected)",
			  hv->port_id, what, hv->wait->len, resp_type);
		return -EPROTO;
	}
	if (status != HV_RNDIS_STATUS_SUCCESS) {
		HVNET_LOG(NOTICE, "port %u: %s: host status 0x%08x", hv->port_id, what, status);
		return hvnet_rndis_errno(status);
	}
	return 0;
}

/* Build a QUERY or SET in hv->ctl_buf; the caller holds ctl_lock. */
static uint32_t
hvnet_rndis_oid_req(struct hvnet_dev *hv, uint32_t type, uint32_t oid, const void *in,
		    uint32_t in_len)
{
	struct hv_rndis_oid_req req = {
		.type = type,
		.length = sizeof(req) + in_len,
		.oid = oid,
		.info_length = in_len,
		.info_offset = sizeof(req) - HV_RNDIS_OFFSET_BASE,
	};

	memcpy(hv->ctl_buf, &req, sizeof(req));
	if (in_len != 0)
		memcpy(hv->ctl_buf + sizeof(req), in, in_len);
	return req.length;
}

/* Take the answer of a QUERY_CMPLT out of hv->wait, bounded by out_len. */
static int
hvnet_rndis_query_data(struct hvnet_dev *hv, uint32_t oid, void *out, uint32_t out_len,
		       uint32_t *got)
{
	const struct hvnet_ctl_wait *w = hv->wait;
	uint32_t off, len;
	int ret;

	ret = hvnet_parse_query_cmplt(w->buf, w->len, out_len, &off, &len);
	if (ret != 0) {
		HVNET_LOG(ERR, "port %u: QUERY 0x%08x: info buffer outside the %u-byte reply or "
			  "above the %u bytes expected", hv->port_id, oid, w->len, out_len);
		return -EPROTO;
	}
	if (len != 0)
		memcpy(out, w->buf + off, len);
	*got = len;
	return 0;
}

int
hvnet_rndis_query(struct hvnet_dev *hv, uint32_t oid, const void *in, uint32_t in_len,
		  void *out, uint32_t out_len, uint32_t *got)
{
	char what[32];
	uint32_t len;
	int ret;

	if (in_len > HVNET_CTL_BUF_SIZE - sizeof(struct hv_rndis_oid_req))
		return -EINVAL;
	if (hv->ctl_buf == NULL || hv->wait == NULL)
		return -ENODEV;	/* not attached */
	snprintf(what, sizeof(what), "RNDIS QUERY 0x%08x", oid);
	rte_spinlock_lock(&hv->ctl_lock);
	len = hvnet_rndis_oid_req(hv, HV_RNDIS_MSG_QUERY, oid, in, in_len);
	ret = hvnet_rndis_execute(hv, len, HV_RNDIS_MSG_QUERY_CMPLT,
				  sizeof(struct hv_rndis_query_cmplt), what);
	if (ret == 0)
		ret = hvnet_rndis_query_data(hv, oid, out, out_len, got);
	rte_spinlock_unlock(&hv->ctl_lock);
	return ret;
}

int
hvnet_rndis_set(struct hvnet_dev *hv, uint32_t oid, const void *data, uint32_t len)
{
	char what[32];
	uint32_t msg_len;
	int ret;

	if (len > HVNET_CTL_BUF_SIZE - sizeof(struct hv_rndis_oid_req))
		return -EINVAL;
	if (hv->ctl_buf == NULL || hv->wait == NULL)
		return -ENODEV;	/* not attached */
	snprintf(what, sizeof(what), "RNDIS SET 0x%08x", oid);
	rte_spinlock_lock(&hv->ctl_lock);
	msg_len = hvnet_rndis_oid_req(hv, HV_RNDIS_MSG_SET, oid, data, len);
	ret = hvnet_rndis_execute(hv, msg_len, HV_RNDIS_MSG_SET_CMPLT,
				  sizeof(struct hv_rndis_status_cmplt), what);
	rte_spinlock_unlock(&hv->ctl_lock);
	return ret;
}

/* A u32 OID that must come back as exactly 4 bytes. */
static int
hvnet_rndis_query_u32(struct hvnet_dev *hv, uint32_t oid, uint32_t *val)
{
	uint32_t got;
	int ret;

	ret = hvnet_rndis_query(hv, oid, NULL, 0, val, sizeof(*val), &got);
	if (ret == 0 && got != sizeof(*val)) {
		HVNET_LOG(ERR, "port %u: QUERY 0x%08x: %u bytes, expected 4", hv->port_id, oid,
			  got);
		ret = -EPROTO;
	}
	return ret;
}

/* ---- attach / detach -------------------------------------------------------------------- */

static void
hvnet_rndis_agg_limits(struct hvnet_dev *hv, const struct hv_rndis_init_cmplt *c)
{
	struct hvnet_agg_limits agg;

	if (!hvnet_parse_agg_limits(c, hv->sendbuf_section_size, &agg))
		HVNET_INIT_LOG(NOTICE, "port %u: alignment 2^%u: no tx aggregation",
			       hv->port_id, c->align_shift);
	hv->rndis_agg_size = agg.size;
	hv->rndis_agg_pkts = agg.pkts;
	hv->rndis_agg_align = agg.align;
	HVNET_INIT_LOG(DEBUG, "port %u: RNDIS %u.%u, aggregation %u packets, %u bytes, align %u",
		       hv->port_id, c->major, c->minor, hv->rndis_agg_pkts, hv->rndis_agg_size,
		       hv->rndis_agg_align);
}

static int
hvnet_rndis_init(struct hvnet_dev *hv)
{
	const struct hv_rndis_init req = {
		.type = HV_RNDIS_MSG_INIT,
		.length = sizeof(req),
		.major = HV_RNDIS_MAJOR,
		.minor = HV_RNDIS_MINOR,
		.max_transfer = HVNET_RNDIS_MAX_XFER,
	};
	struct hv_rndis_init_cmplt c = { .type = 0 };
	int ret;

	rte_spinlock_lock(&hv->ctl_lock);
	memcpy(hv->ctl_buf, &req, sizeof(req));
	ret = hvnet_rndis_execute(hv, sizeof(req), HV_RNDIS_MSG_INIT_CMPLT,
				  HVNET_RNDIS_INIT_CMPLT_MIN, "RNDIS INITIALIZE");
	if (ret == 0)
		memcpy(&c, hv->wait->buf, HVNET_RNDIS_INIT_CMPLT_MIN);
	rte_spinlock_unlock(&hv->ctl_lock);
	if (ret == 0)
		hvnet_rndis_agg_limits(hv, &c);
	return ret;
}

static void
hvnet_rndis_ctl_buf_free(struct hvnet_dev *hv)
{
	rte_free(hv->ctl_buf);
	hv->ctl_buf = NULL;
	hv->ctl_buf_iova = 0;
}

static int
hvnet_rndis_ctl_buf_alloc(struct hvnet_dev *hv)
{
	/* Page aligned and one page long: a single GPA range never crosses a page. */
	hv->ctl_buf = rte_zmalloc_socket("hvnet_ctl_buf", HVNET_CTL_BUF_SIZE, HV_PAGE_SIZE,
					 hv->socket_id);
	if (hv->ctl_buf == NULL)
		return -ENOMEM;
	hv->ctl_buf_iova = rte_malloc_virt2iova(hv->ctl_buf);
	if (hv->ctl_buf_iova == RTE_BAD_IOVA) {
		hvnet_rndis_ctl_buf_free(hv);
		return -EFAULT;
	}
	return 0;
}

int
hvnet_rndis_attach(struct hvnet_dev *hv)
{
	int ret;

	if (hv->wait == NULL)
		return -EINVAL;	/* hvnet_nvs_attach() comes first */
	hv->up.rndis_msg = hvnet_rndis_receive_ctl;
	ret = hvnet_rndis_ctl_buf_alloc(hv);
	if (ret == 0)
		ret = hvnet_rndis_init(hv);
	/* The host may start with a non-empty filter: nothing is received until start. */
	if (ret == 0)
		ret = hvnet_rndis_set_filter(hv, HV_NDIS_PACKET_TYPE_NONE);
	if (ret < 0) {
		HVNET_INIT_LOG(ERR, "port %u: RNDIS attach failed: %s", hv->port_id,
			       strerror(-ret));
		hvnet_rndis_ctl_buf_free(hv);
	}
	return ret;
}

void
hvnet_rndis_detach(struct hvnet_dev *hv)
{
	struct hv_rndis_rid_msg halt = {
		.type = HV_RNDIS_MSG_HALT,
		.length = sizeof(halt),
	};
	int ret;

	if (hv->ctl_buf == NULL)
		return;
	/*
	 * HALT has no answer, but the host reads it from ctl_buf after we send it: wait for
	 * the carrier's completion (under the NVSP control xid, so it wakes us) before the
	 * buffer is freed.
	 */
	rte_spinlock_lock(&hv->ctl_lock);
	halt.rid = hvnet_rndis_next_rid(hv);
	memcpy(hv->ctl_buf, &halt, sizeof(halt));
	if (hv->wait != NULL)
		hvnet_ctl_arm(hv, HV_NVSP_MSG_RNDIS_PKT_COMPLETE, 0);
	ret = hvnet_nvs_send_rndis_ctl(hv, sizeof(halt), HVNET_XID_NVS_CTL);
	if (ret == 0 && hv->wait != NULL)
		hvnet_ctl_wait(hv, "RNDIS HALT");
	rte_spinlock_unlock(&hv->ctl_lock);
	hvnet_rndis_ctl_buf_free(hv);
}

/* ---- device properties ----------------------------------------------------------------- */

int
hvnet_rndis_get_mac(struct hvnet_dev *hv)
{
	struct rte_ether_addr mac;
	uint32_t got;
	int ret;

	ret = hvnet_rndis_query(hv, HV_OID_802_3_PERMANENT_ADDRESS, NULL, 0, &mac, sizeof(mac),
				&got);
	if (ret < 0)
		return ret;
	if (got != RTE_ETHER_ADDR_LEN || !rte_is_valid_assigned_ether_addr(&mac)) {
		HVNET_INIT_LOG(ERR, "port %u: bad permanent address (%u bytes)", hv->port_id,
			       got);
		return -EPROTO;
	}
	rte_ether_addr_copy(&mac, &hv->mac);
	return 0;
}

int
hvnet_rndis_get_mtu(struct hvnet_dev *hv)
{
	uint32_t mtu;
	int ret;

	/* The L3 MTU: NDIS excludes the Ethernet header here. */
	ret = hvnet_rndis_query_u32(hv, HV_OID_GEN_MAXIMUM_FRAME_SIZE, &mtu);
	if (ret < 0)
		return ret;
	if (mtu < HVNET_MIN_MTU || mtu > HVNET_MAX_MTU)
		HVNET_INIT_LOG(NOTICE, "port %u: host MTU %u clamped to %u..%u", hv->port_id, mtu,
			       HVNET_MIN_MTU, HVNET_MAX_MTU);
	hv->mtu = RTE_MIN(RTE_MAX(mtu, (uint32_t)HVNET_MIN_MTU), HVNET_MAX_MTU);
	return 0;
}

int
hvnet_rndis_link_update(struct hvnet_dev *hv)
{
	uint32_t status, speed;
	int ret;

	ret = hvnet_rndis_query_u32(hv, HV_OID_GEN_MEDIA_CONNECT_STATUS, &status);
	if (ret == 0)
		ret = hvnet_rndis_query_u32(hv, HV_OID_GEN_LINK_SPEED, &speed);
	if (ret < 0)
		return ret;
	hv->link_up = status == HV_NDIS_MEDIA_CONNECTED;
	hv->link_speed_mbps = speed / HVNET_LINK_SPEED_UNITS_PER_MBPS;
	return 0;
}

int
hvnet_rndis_set_filter(struct hvnet_dev *hv, uint32_t filter)
{
	int ret;

	ret = hvnet_rndis_set(hv, HV_OID_GEN_CURRENT_PACKET_FILTER, &filter, sizeof(filter));
	if (ret == 0)
		hv->packet_filter = filter;
	return ret;
}

/* ---- RSS -------------------------------------------------------------------------------- */

int
hvnet_rndis_rss_caps(struct hvnet_dev *hv, unsigned int *max_queues)
{
	const struct hv_ndis_rss_caps in = {
		.hdr = {
			.type = HV_NDIS_OBJ_RSS_CAPS,
			.revision = 2,
			.size = HV_NDIS_RSS_CAPS_REV2_SIZE,
		},
	};
	struct hv_ndis_rss_caps caps;
	uint32_t got = 0;
	int ret;

	*max_queues = 1;
	hv->rss_hash_caps = 0;
	if (hv->ndis_ver < HV_NDIS_VERSION_6_20)
		return 0;
	memset(&caps, 0, sizeof(caps));
	ret = hvnet_rndis_query(hv, HV_OID_GEN_RECEIVE_SCALE_CAPABILITIES, &in, sizeof(in),
				&caps, sizeof(caps), &got);
	if (ret == -ENOTSUP)
		return 0;	/* no RSS: one queue */
	if (ret < 0)
		return ret;
	*max_queues = hvnet_parse_rss_caps(&caps, got, HVNET_RETA_SIZE, HVNET_MAX_QUEUES);
	if (*max_queues == 0) {
		HVNET_INIT_LOG(ERR, "port %u: bad RSS capabilities (type 0x%x rev %u size %u of "
			       "%u, %u queues)", hv->port_id, caps.hdr.type, caps.hdr.revision,
			       caps.hdr.size, got, caps.num_receive_queues);
		*max_queues = 1;
		return -EPROTO;
	}
	hv->rss_hash_caps = caps.caps;
	HVNET_INIT_LOG(DEBUG, "port %u: RSS caps 0x%x, %u queues", hv->port_id, caps.caps,
		       *max_queues);
	return 0;
}

static int
hvnet_rss_fill(struct hvnet_dev *hv, unsigned int nb_queues, struct hvnet_rss_obj *obj)
{
	uint32_t types = hv->rss_hash_info & HV_NDIS_HASH_TYPE_MASK;
	unsigned int i;

	memset(obj, 0, sizeof(*obj));
	obj->p.hdr.type = HV_NDIS_OBJ_RSS_PARAMS;
	obj->p.hdr.revision = 2;
	obj->p.hdr.size = HV_NDIS_RSS_PARAMS_REV2_SIZE;
	/* The host turns RSS off when the function is 0: always Toeplitz with some type. */
	obj->p.hash_info = types != 0 ? types | HV_NDIS_HASH_FUNCTION_TOEPLITZ : 0;
	obj->p.itab_size = sizeof(obj->itab);
	obj->p.itab_offset = offsetof(struct hvnet_rss_obj, itab);
	obj->p.key_size = sizeof(obj->key);
	obj->p.key_offset = offsetof(struct hvnet_rss_obj, key);
	for (i = 0; i < HVNET_RETA_SIZE; i++) {
		if (hv->reta[i] >= nb_queues) {
			HVNET_LOG(ERR, "port %u: RETA entry %u is queue %u of %u", hv->port_id, i,
				  hv->reta[i], nb_queues);
			return -EINVAL;
		}
		obj->itab[i] = hv->reta[i];
	}
	memcpy(obj->key, hv->rss_key, sizeof(obj->key));
	return 0;
}

int
hvnet_rndis_set_rss(struct hvnet_dev *hv, unsigned int nb_queues)
{
	struct hvnet_rss_obj obj;
	int ret;

	if (nb_queues == 0 || nb_queues > HVNET_MAX_QUEUES)
		return -EINVAL;
	ret = hvnet_rss_fill(hv, nb_queues, &obj);
	if (ret < 0)
		return ret;
	/* Disable first, as Windows and Linux do, then enable with the new table. */
	obj.p.flags = HV_NDIS_RSS_FLAG_DISABLE;
	ret = hvnet_rndis_set(hv, HV_OID_GEN_RECEIVE_SCALE_PARAMETERS, &obj, sizeof(obj));
	if (ret < 0 || obj.p.hash_info == 0)
		return ret;
	obj.p.flags = 0;
	return hvnet_rndis_set(hv, HV_OID_GEN_RECEIVE_SCALE_PARAMETERS, &obj, sizeof(obj));
}

/* ---- offloads --------------------------------------------------------------------------- */

static int
hvnet_offload_caps_query(struct hvnet_dev *hv, struct hv_ndis_offload *caps)
{
	struct hv_ndis_offload in = { .hdr.type = HV_NDIS_OBJ_OFFLOAD };
	uint32_t got = 0;
	int ret;

	if (hv->ndis_ver >= HV_NDIS_VERSION_6_30) {
		in.hdr.revision = 3;
		in.hdr.size = HV_NDIS_OFFLOAD_REV3_SIZE;
	} else {
		in.hdr.revision = 2;
		in.hdr.size = HV_NDIS_OFFLOAD_REV2_SIZE;
	}
	memset(caps, 0, sizeof(*caps));
	ret = hvnet_rndis_query(hv, HV_OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES, &in, in.hdr.size,
				caps, sizeof(*caps), &got);
	if (ret < 0)
		return ret;
	if (hvnet_parse_offload_caps(&caps->hdr, got) != 0) {
		HVNET_LOG(ERR, "port %u: bad offload capabilities (type 0x%x rev %u size %u of %u)",
			  hv->port_id, caps->hdr.type, caps->hdr.revision, caps->hdr.size, got);
		return -EPROTO;
	}
	return 0;
}

static bool
hvnet_has(uint32_t flags, uint32_t want)
{
	return (flags & want) == want;
}

/* OID_TCP_OFFLOAD_PARAMETERS checksum byte for what the host can do in each direction. */
static uint8_t
hvnet_csum_param(bool tx, bool rx)
{
	if (tx && rx)
		return HV_NDIS_OFFLOAD_PARAM_TXRX;
	if (tx)
		return HV_NDIS_OFFLOAD_PARAM_TX;
	return rx ? HV_NDIS_OFFLOAD_PARAM_RX : HV_NDIS_OFFLOAD_PARAM_NOCHG;
}

static bool
hvnet_lsov2_ok(const struct hv_ndis_offload *caps)
{
	const struct hv_ndis_lsov2_offload *l = &caps->lsov2;

	return (l->ipv4_encap & HV_NDIS_ENCAP_802_3) && (l->ipv6_encap & HV_NDIS_ENCAP_802_3) &&
	       hvnet_has(l->ipv6_opts, HVNET_LSOV2_IP6);
}

/* Offload parameters turning on everything the host offers, and the matching DPDK flags. */
static void
hvnet_offload_params(struct hvnet_dev *hv, const struct hv_ndis_offload *caps,
		     struct hv_ndis_offload_params *p)
{
	/* Receive flags use the same bits as transmit ones. */
	const struct hv_ndis_csum_offload *c = &caps->csum;
	bool tx_ip4 = hvnet_has(c->ipv4_tx_flags, HVNET_CSUM_IP4);
	bool tx_tcp4 = hvnet_has(c->ipv4_tx_flags, HVNET_CSUM_TCP4);
	bool tx_tcp6 = hvnet_has(c->ipv6_tx_flags, HVNET_CSUM_TCP6);
	bool tx_udp4 = hvnet_has(c->ipv4_tx_flags, HV_NDIS_TXCSUM_CAP_UDP);
	bool tx_udp6 = hvnet_has(c->ipv6_tx_flags, HVNET_CSUM_UDP6);
	bool rx_ip4 = hvnet_has(c->ipv4_rx_flags, HV_NDIS_TXCSUM_CAP_IP4);
	bool rx_tcp4 = hvnet_has(c->ipv4_rx_flags, HV_NDIS_TXCSUM_CAP_TCP);
	bool rx_tcp6 = hvnet_has(c->ipv6_rx_flags, HV_NDIS_TXCSUM_CAP_TCP);
	bool rx_udp4 = hvnet_has(c->ipv4_rx_flags, HV_NDIS_TXCSUM_CAP_UDP);
	bool rx_udp6 = hvnet_has(c->ipv6_rx_flags, HV_NDIS_TXCSUM_CAP_UDP);
	bool lso = hvnet_lsov2_ok(caps);

	p->ipv4_csum = hvnet_csum_param(tx_ip4, rx_ip4);
	p->tcp4_csum = hvnet_csum_param(tx_tcp4, rx_tcp4);
	p->tcp6_csum = hvnet_csum_param(tx_tcp6, rx_tcp6);
	p->udp4_csum = hvnet_csum_param(tx_udp4, rx_udp4);
	p->udp6_csum = hvnet_csum_param(tx_udp6, rx_udp6);
	if (lso) {
		p->lsov2_ipv4 = HV_NDIS_OFFLOAD_PARAM_LSO_ON;
		p->lsov2_ipv6 = HV_NDIS_OFFLOAD_PARAM_LSO_ON;
		hv->lso_max_size = RTE_MIN(caps->lsov2.ipv4_max_size, caps->lsov2.ipv6_max_size);
	}
	hv->tx_offload_capa |= (tx_ip4 ? RTE_ETH_TX_OFFLOAD_IPV4_CKSUM : 0) |
			       (tx_tcp4 && tx_tcp6 ? RTE_ETH_TX_OFFLOAD_TCP_CKSUM : 0) |
			       (tx_udp4 && tx_udp6 ? RTE_ETH_TX_OFFLOAD_UDP_CKSUM : 0) |
			       (lso ? RTE_ETH_TX_OFFLOAD_TCP_TSO : 0);
	hv->rx_offload_capa |= (rx_ip4 ? RTE_ETH_RX_OFFLOAD_IPV4_CKSUM : 0) |
			       (rx_tcp4 && rx_tcp6 ? RTE_ETH_RX_OFFLOAD_TCP_CKSUM : 0) |
			       (rx_udp4 && rx_udp6 ? RTE_ETH_RX_OFFLOAD_UDP_CKSUM : 0);
}

int
hvnet_rndis_offload_setup(struct hvnet_dev *hv)
{
	struct hv_ndis_offload_params p = { .hdr.type = HV_NDIS_OBJ_DEFAULT };
	struct hv_ndis_offload caps;
	int ret;

	hv->tx_offload_capa = HVNET_TX_OFFLOAD_BASE;
	hv->rx_offload_capa = HVNET_RX_OFFLOAD_BASE;
	hv->lso_max_size = 0;
	ret = hvnet_offload_caps_query(hv, &caps);
	if (ret == -ENOTSUP)
		return 0;	/* no offloads: the base set stands */
	if (ret < 0)
		return ret;
	if (hv->ndis_ver >= HV_NDIS_VERSION_6_30) {
		p.hdr.revision = 3;
		p.hdr.size = HV_NDIS_OFFLOAD_PARAMS_REV3_SIZE;
	} else {
		p.hdr.revision = 2;
		p.hdr.size = HV_NDIS_OFFLOAD_PARAMS_REV2_SIZE;
	}
	hvnet_offload_params(hv, &caps, &p);
	ret = hvnet_rndis_set(hv, HV_OID_TCP_OFFLOAD_PARAMETERS, &p, p.hdr.size);
	if (ret == -ETIMEDOUT || ret == -EPROTO)
		return ret;
	if (ret < 0) {
		/* Refused: whatever the host does now, we promise only the base set. */
		HVNET_LOG(NOTICE, "port %u: offload parameters refused: %s", hv->port_id,
			  strerror(-ret));
		hv->tx_offload_capa &= HVNET_TX_OFFLOAD_BASE;
		hv->rx_offload_capa &= HVNET_RX_OFFLOAD_BASE;
		hv->lso_max_size = 0;
	}
	return 0;
}

/* ---- messages from the host ------------------------------------------------------------- */

static void
hvnet_rndis_link_event(struct hvnet_dev *hv, bool up)
{
	hv->link_up = up;
	__atomic_store_n(&hv->lsc_pending, true, __ATOMIC_RELEASE);
	HVNET_LOG(INFO, "port %u: link %s", hv->port_id, up ? "up" : "down");
}

static void
hvnet_rndis_indication(struct hvnet_dev *hv, const uint8_t *msg, uint32_t len)
{
	struct hv_rndis_indicate ind;
	uint32_t speed = 0;

	if (hvnet_parse_indication(msg, len, &ind, &speed) != 0) {
		HVNET_HOST_LOG(hv, HVNET_BAD_RNDIS, "malformed status indication 0x%08x (%u "
			       "bytes)", len >= sizeof(ind) ? ind.status : 0, len);
		return;
	}
	switch (ind.status) {
	case HV_RNDIS_STATUS_MEDIA_CONNECT:
		hvnet_rndis_link_event(hv, true);
		break;
	case HV_RNDIS_STATUS_MEDIA_DISCONNECT:
		hvnet_rndis_link_event(hv, false);
		break;
	case HV_RNDIS_STATUS_LINK_SPEED_CHANGE:
		hv->link_speed_mbps = speed / HVNET_LINK_SPEED_UNITS_PER_MBPS;
		__atomic_store_n(&hv->lsc_pending, true, __ATOMIC_RELEASE);
		HVNET_LOG(INFO, "port %u: link speed %u Mb/s", hv->port_id, hv->link_speed_mbps);
		break;
	case HV_RNDIS_STATUS_NETWORK_CHANGE:
		/* The network behind the port changed: let the application re-check the link. */
		__atomic_store_n(&hv->lsc_pending, true, __ATOMIC_RELEASE);
		HVNET_LOG(INFO, "port %u: network change", hv->port_id);
		break;
	default:
		/* TASK_OFFLOAD_CURRENT_CONFIG after every offload SET, among others. */
		HVNET_LOG(DEBUG, "port %u: status indication 0x%08x ignored", hv->port_id,
			  ind.status);
		break;
	}
}

/* Read on the primary only (the reader filters): hv->wait is claimed there, by its seq. */
static void
hvnet_rndis_completion(struct hvnet_dev *hv, const uint8_t *msg, uint32_t len)
{
	struct hv_rndis_rid_msg m;

	memcpy(&m, msg, sizeof(m));	/* len >= sizeof(m): hvnet_parse_rndis_ctl */
	if (m.rid == 0 || !hvnet_ctl_complete(hv, 0, m.rid, msg, len))
		HVNET_HOST_LOG(hv, HVNET_BAD_RNDIS, "RNDIS completion 0x%x rid %u not awaited",
			       m.type, m.rid);
}

/*
 * The upcall the channel reader makes for a control-channel RNDIS message: a completion or an
 * indication. len is what the host gave (the transfer range), not the message's own length:
 * old hosts leave an indication's status buffer out of that (hvnet_protocol.rst, "Status
 * indications and their length"). msg is the reader's private copy (hvnet_rx.c copies the
 * range out of the receive buffer once, up to a control buffer's size): everything is decided
 * on it and bounded by len.
 */
static void
hvnet_rndis_receive_ctl(struct hvnet_dev *hv, const void *msg, uint32_t len)
{
	struct hv_rndis_hdr h;

	switch (hvnet_parse_rndis_ctl(msg, len, &h)) {
	case HVNET_CTL_INDICATION:
		hvnet_rndis_indication(hv, msg, len);
		break;
	case HVNET_CTL_COMPLETION:
		hvnet_rndis_completion(hv, msg, h.length);
		break;
	case HVNET_CTL_UNEXPECTED:
		HVNET_HOST_LOG(hv, HVNET_BAD_RNDIS, "unexpected RNDIS message 0x%x from the host",
			       h.type);
		break;
	default:
		HVNET_HOST_LOG(hv, HVNET_BAD_RNDIS, "malformed RNDIS control message (%u bytes)",
			       len);
		break;
	}
}
