/* SPDX-License-Identifier: BSD-3-Clause */
/* Hyper-V VMBus / NVSP / RNDIS / NDIS wire formats shared by the hvnet drivers and simulator. */
#ifndef HV_WIRE_H
#define HV_WIRE_H

/*
 * Layouts only: no logic lives here. Every multi-byte field is little-endian on the wire.
 * Structures are laid out so that natural alignment gives the wire offsets (explicit pad
 * fields); only the two with unaligned wire fields are packed. The _Static_assert lines pin
 * the sizes and offsets the protocol depends on.
 */

#include <stddef.h>
#include <stdint.h>

#define HV_PAGE_SIZE		4096u
#define HV_PAGE_SHIFT		12

/* Device class of synthetic network adapters (sysfs class_id, without braces). */
#define HV_NETWORK_CLASS_GUID	"f8615163-df3e-46c5-913f-f2d2f965ed0e"

/* ---- uio maps: interrupt page and monitor page ---------------------------------------- */

/* Second half of the interrupt page: guest -> host event bits, one bit per relid. */
#define HV_INT_PAGE_G2H_OFF	2048u
#define HV_NO_MONITOR		255u

struct hv_monitor_trigger {
	uint32_t pending;
	uint32_t armed;
};

struct hv_monitor_param {
	uint32_t connection_id;
	uint16_t event_flag_offset;
	uint16_t reserved;
};

struct hv_monitor_page {
	uint32_t state;
	uint32_t reserved1;
	struct hv_monitor_trigger trigger[4];
	uint8_t reserved2[536];
	uint16_t latency[4][32];	/* units of 100 ns */
	uint8_t reserved3[256];
	struct hv_monitor_param param[4][32];
	uint8_t reserved4[1984];
};

_Static_assert(sizeof(struct hv_monitor_page) == 4096, "monitor page size");
_Static_assert(offsetof(struct hv_monitor_page, trigger) == 8, "monitor trigger offset");
_Static_assert(offsetof(struct hv_monitor_page, latency) == 576, "monitor latency offset");
_Static_assert(offsetof(struct hv_monitor_page, param) == 1088, "monitor param offset");

/* ---- ring buffer ----------------------------------------------------------------------- */

#define HV_RING_CTL_SIZE	4096u	/* control page in front of each ring's data area */
#define HV_RING_TRAILER_SIZE	8u	/* u64 after each packet: start offset << 32 */
#define HV_RING_ALIGN		8u
#define HV_RING_FEAT_PENDING_SZ	0x1u	/* feature_bits: pending_send_sz flow control */

struct hv_ring_ctl {
	uint32_t write_index;		/* producer: byte offset of the next write */
	uint32_t read_index;		/* consumer: byte offset of the next unread byte */
	uint32_t interrupt_mask;	/* consumer: 1 = do not signal me */
	uint32_t pending_send_sz;	/* producer: signal me when this many bytes are free */
	uint32_t reserved1[12];
	uint32_t feature_bits;		/* producer of this ring */
	uint8_t reserved2[HV_RING_CTL_SIZE - 68];
};

_Static_assert(sizeof(struct hv_ring_ctl) == HV_RING_CTL_SIZE, "ring control page size");
_Static_assert(offsetof(struct hv_ring_ctl, feature_bits) == 64, "ring feature_bits offset");

/* ---- VMBus packet descriptor ----------------------------------------------------------- */

#define HV_PKT_INVALID		0
#define HV_PKT_SYNCH		1
#define HV_PKT_ADD_XFER_PAGESET	2
#define HV_PKT_RM_XFER_PAGESET	3
#define HV_PKT_ESTABLISH_GPADL	4
#define HV_PKT_TEARDOWN_GPADL	5
#define HV_PKT_DATA_INBAND	6
#define HV_PKT_DATA_XFER_PAGES	7
#define HV_PKT_DATA_GPADL	8
#define HV_PKT_DATA_GPA_DIRECT	9
#define HV_PKT_CANCEL		10
#define HV_PKT_COMPLETION	11
#define HV_PKT_DATA_ADDITIONAL	12
#define HV_PKT_ADDITIONAL_DATA	13

#define HV_PKT_FLAG_RC		0x0001u	/* completion requested */

struct hv_vmbus_desc {
	uint16_t type;
	uint16_t offset8;	/* header length in 8-byte units (payload start) */
	uint16_t len8;		/* packet length in 8-byte units, trailer excluded */
	uint16_t flags;
	uint64_t tid;		/* transaction id, echoed in the completion */
};

_Static_assert(sizeof(struct hv_vmbus_desc) == 16, "vmbus descriptor size");

/* Transfer-page packet (type 7): header after the descriptor, then the ranges. */
struct hv_xfer_page_hdr {
	uint16_t set_id;	/* the guest's receive buffer id */
	uint8_t sender_owns;
	uint8_t reserved;
	uint32_t range_count;
};

struct hv_xfer_page_range {
	uint32_t byte_count;
	uint32_t byte_offset;	/* from the start of the whole receive buffer */
};

_Static_assert(sizeof(struct hv_xfer_page_hdr) == 8, "transfer-page header size");
_Static_assert(sizeof(struct hv_xfer_page_range) == 8, "transfer-page range size");

/* GPA-direct packet (type 9): header after the descriptor, then variable-size ranges. */
struct hv_gpa_direct_hdr {
	uint32_t reserved;
	uint32_t range_count;
};

/* A range is this header followed by ceil((byte_offset + byte_count) / 4096) u64 PFNs. */
struct hv_gpa_range {
	uint32_t byte_count;
	uint32_t byte_offset;	/* within the first page */
};

_Static_assert(sizeof(struct hv_gpa_direct_hdr) == 8, "gpa-direct header size");
_Static_assert(sizeof(struct hv_gpa_range) == 8, "gpa range header size");

/* ---- NVSP ------------------------------------------------------------------------------ */

#define HV_NVSP_VERSION_1	0x00000002u
#define HV_NVSP_VERSION_2	0x00030002u
#define HV_NVSP_VERSION_4	0x00040000u
#define HV_NVSP_VERSION_5	0x00050000u
#define HV_NVSP_VERSION_6	0x00060000u
#define HV_NVSP_VERSION_61	0x00060001u

#define HV_NDIS_VERSION_6_1	0x00060001u
#define HV_NDIS_VERSION_6_20	0x00060014u
#define HV_NDIS_VERSION_6_30	0x0006001eu

/* Host message size: 28 bytes below NVSP 6.1, 40 bytes from 6.1. */
#define HV_NVSP_MSG_SIZE_V1	28u
#define HV_NVSP_MSG_SIZE_V61	40u

#define HV_NVSP_MSG_NONE		0
#define HV_NVSP_MSG_INIT		1
#define HV_NVSP_MSG_INIT_COMPLETE	2
#define HV_NVSP_MSG_NDIS_VERSION	100
#define HV_NVSP_MSG_RXBUF		101
#define HV_NVSP_MSG_RXBUF_COMPLETE	102
#define HV_NVSP_MSG_REVOKE_RXBUF	103
#define HV_NVSP_MSG_SENDBUF		104
#define HV_NVSP_MSG_SENDBUF_COMPLETE	105
#define HV_NVSP_MSG_REVOKE_SENDBUF	106
#define HV_NVSP_MSG_RNDIS_PKT		107
#define HV_NVSP_MSG_RNDIS_PKT_COMPLETE	108
#define HV_NVSP_MSG_NDIS_CONFIG		125
#define HV_NVSP_MSG_VF_ASSOC		128
#define HV_NVSP_MSG_SWITCH_DATAPATH	129
#define HV_NVSP_MSG_UPLINK_CONNECT	130
#define HV_NVSP_MSG_OID_QUERY_EX	131
#define HV_NVSP_MSG_OID_QUERY_EX_COMPLETE 132
#define HV_NVSP_MSG_SUBCHANNEL		133
#define HV_NVSP_MSG_INDIRECTION_TABLE	134
#define HV_NVSP_MSG_PD_API		135
#define HV_NVSP_MSG_PD_POST_BATCH	136

#define HV_NVSP_STATUS_NONE		0
#define HV_NVSP_STATUS_SUCCESS		1
#define HV_NVSP_STATUS_FAILURE		2
#define HV_NVSP_STATUS_TOO_NEW		3
#define HV_NVSP_STATUS_TOO_OLD		4
#define HV_NVSP_STATUS_INVALID_RNDIS	5
#define HV_NVSP_STATUS_BUSY		6
#define HV_NVSP_STATUS_UNSUPPORTED	7

#define HV_NVSP_RNDIS_CHAN_DATA		0
#define HV_NVSP_RNDIS_CHAN_CONTROL	1
#define HV_NVSP_NO_SECTION		0xffffffffu

#define HV_NVSP_SUBCHANNEL_ALLOCATE	1
#define HV_NVSP_DATAPATH_SYNTHETIC	0
#define HV_NVSP_DATAPATH_VF		1
#define HV_NVSP_INDIRECTION_COUNT	16

/* Reserved transaction ids of host notifications that ask for a completion. */
#define HV_NVSP_TID_VF_ASSOC		0x8000000000000000ull
#define HV_NVSP_TID_SWITCH_DATAPATH	0x8000000000000001ull

/* Receive and send buffer ids used by Linux and DPDK guests. */
#define HV_RXBUF_ID			0xcafe
#define HV_SENDBUF_ID			0xface
#define HV_SENDBUF_SECTION_SIZE		6144u
#define HV_RXBUF_HEADROOM		256u	/* RNDIS header room in front of a frame */
#define HV_RXBUF_TAILROOM		36u

/* NDIS_CONFIG capability bits (u64). */
#define HV_NDIS_CAP_VMQ			0x01ull
#define HV_NDIS_CAP_CHIMNEY		0x02ull
#define HV_NDIS_CAP_SRIOV		0x04ull
#define HV_NDIS_CAP_IEEE8021Q		0x08ull
#define HV_NDIS_CAP_CORRELATION_ID	0x10ull
#define HV_NDIS_CAP_TEAMING		0x20ull
#define HV_NDIS_CAP_VSID		0x40ull
#define HV_NDIS_CAP_RSC			0x80ull

struct hv_nvsp_hdr {
	uint32_t type;
};

struct hv_nvsp_init {
	uint32_t type;
	uint32_t min_version;
	uint32_t max_version;
};

struct hv_nvsp_init_complete {
	uint32_t type;
	uint32_t negotiated_version;	/* deprecated */
	uint32_t max_mdl_chain_len;
	uint32_t status;
};

struct hv_nvsp_ndis_version {
	uint32_t type;
	uint32_t ndis_major;
	uint32_t ndis_minor;
};

struct hv_nvsp_ndis_config {
	uint32_t type;
	uint32_t mtu;		/* includes the 14-byte Ethernet header */
	uint32_t reserved;
	uint64_t capabilities;	/* HV_NDIS_CAP_* */
} __attribute__((packed));

struct hv_nvsp_buf {		/* SEND_RECEIVE_BUFFER and SEND_SEND_BUFFER */
	uint32_t type;
	uint32_t gpadl;
	uint16_t id;
	uint16_t reserved;
};

struct hv_nvsp_rxbuf_section {
	uint32_t offset;
	uint32_t sub_alloc_size;
	uint32_t num_sub_allocs;
	uint32_t end_offset;
};

struct hv_nvsp_rxbuf_complete {
	uint32_t type;
	uint32_t status;
	uint32_t num_sections;
	struct hv_nvsp_rxbuf_section section;
};

struct hv_nvsp_revoke_buf {	/* REVOKE_RECEIVE_BUFFER and REVOKE_SEND_BUFFER */
	uint32_t type;
	uint16_t id;
	uint16_t reserved;
};

struct hv_nvsp_sendbuf_complete {
	uint32_t type;
	uint32_t status;
	uint32_t section_size;
};

struct hv_nvsp_rndis_pkt {
	uint32_t type;
	uint32_t channel_type;		/* HV_NVSP_RNDIS_CHAN_* */
	uint32_t section_index;		/* HV_NVSP_NO_SECTION when not in the send buffer */
	uint32_t section_size;
};

struct hv_nvsp_rndis_pkt_complete {
	uint32_t type;
	uint32_t status;
};

struct hv_nvsp_vf_assoc {
	uint32_t type;
	uint32_t allocated;
	uint32_t serial;
};

struct hv_nvsp_switch_datapath {
	uint32_t type;
	uint32_t active_datapath;	/* HV_NVSP_DATAPATH_* */
};

struct hv_nvsp_subchannel {	/* request and completion share type 133 */
	uint32_t type;
	uint32_t op_or_status;		/* request: operation; completion: status */
	uint32_t num_subchannels;
};

struct hv_nvsp_indirection_table {
	uint32_t type;
	uint32_t count;
	uint32_t offset;		/* from the start of the NVSP message */
	uint32_t entry[HV_NVSP_INDIRECTION_COUNT];
};

struct hv_ndis_obj_hdr {
	uint8_t type;
	uint8_t revision;
	uint16_t size;
};

struct hv_nvsp_oid_query_ex {
	uint32_t type;
	struct hv_ndis_obj_hdr hdr;
	uint32_t oid;
};

struct hv_nvsp_oid_query_ex_complete {
	uint32_t type;
	uint32_t status;
	uint32_t bytes;
};

_Static_assert(sizeof(struct hv_nvsp_init_complete) == 16, "nvsp init complete size");
_Static_assert(offsetof(struct hv_nvsp_ndis_config, capabilities) == 12, "ndis config caps");
_Static_assert(sizeof(struct hv_nvsp_rxbuf_complete) == HV_NVSP_MSG_SIZE_V1, "rxbuf complete");
_Static_assert(sizeof(struct hv_nvsp_sendbuf_complete) == 12, "sendbuf complete size");
_Static_assert(sizeof(struct hv_nvsp_rndis_pkt) == 16, "rndis packet message size");
_Static_assert(sizeof(struct hv_nvsp_indirection_table) == 76, "indirection table size");
_Static_assert(offsetof(struct hv_nvsp_indirection_table, entry) == 12, "indirection offset");

/* ---- RNDIS ----------------------------------------------------------------------------- */

#define HV_RNDIS_MAJOR			1
#define HV_RNDIS_MINOR			0

#define HV_RNDIS_MSG_PACKET		0x00000001u
#define HV_RNDIS_MSG_INIT		0x00000002u
#define HV_RNDIS_MSG_HALT		0x00000003u
#define HV_RNDIS_MSG_QUERY		0x00000004u
#define HV_RNDIS_MSG_SET		0x00000005u
#define HV_RNDIS_MSG_RESET		0x00000006u
#define HV_RNDIS_MSG_INDICATE		0x00000007u
#define HV_RNDIS_MSG_KEEPALIVE		0x00000008u
#define HV_RNDIS_MSG_SET_EX		0x00000009u
#define HV_RNDIS_MSG_CMPLT_BIT		0x80000000u
#define HV_RNDIS_MSG_INIT_CMPLT		0x80000002u
#define HV_RNDIS_MSG_QUERY_CMPLT	0x80000004u
#define HV_RNDIS_MSG_SET_CMPLT		0x80000005u
#define HV_RNDIS_MSG_RESET_CMPLT	0x80000006u
#define HV_RNDIS_MSG_KEEPALIVE_CMPLT	0x80000008u
#define HV_RNDIS_MSG_SET_EX_CMPLT	0x80000009u

#define HV_RNDIS_DEVICE_CONNECTIONLESS	0x1u
#define HV_RNDIS_MEDIUM_802_3		0u

#define HV_RNDIS_STATUS_SUCCESS			0x00000000u
#define HV_RNDIS_STATUS_PENDING			0x00000103u
#define HV_RNDIS_STATUS_NOT_RECOGNIZED		0x00010001u
#define HV_RNDIS_STATUS_NOT_COPIED		0x00010002u
#define HV_RNDIS_STATUS_NOT_ACCEPTED		0x00010003u
#define HV_RNDIS_STATUS_CALL_ACTIVE		0x00010007u
#define HV_RNDIS_STATUS_ONLINE			0x40010003u
#define HV_RNDIS_STATUS_RESET_START		0x40010004u
#define HV_RNDIS_STATUS_RESET_END		0x40010005u
#define HV_RNDIS_STATUS_MEDIA_CONNECT		0x4001000bu
#define HV_RNDIS_STATUS_MEDIA_DISCONNECT	0x4001000cu
#define HV_RNDIS_STATUS_LINK_SPEED_CHANGE	0x40010013u
#define HV_RNDIS_STATUS_NETWORK_CHANGE		0x40010018u
#define HV_RNDIS_STATUS_TASK_OFFLOAD_CURRENT	0x40020006u
#define HV_RNDIS_STATUS_BUFFER_OVERFLOW		0x80000005u
#define HV_RNDIS_STATUS_FAILURE			0xc0000001u
#define HV_RNDIS_STATUS_RESOURCES		0xc000009au
#define HV_RNDIS_STATUS_NOT_SUPPORTED		0xc00000bbu
#define HV_RNDIS_STATUS_BAD_VERSION		0xc0010004u
#define HV_RNDIS_STATUS_INVALID_PACKET		0xc001000fu
#define HV_RNDIS_STATUS_INVALID_LENGTH		0xc0010014u
#define HV_RNDIS_STATUS_INVALID_DATA		0xc0010015u
#define HV_RNDIS_STATUS_BUFFER_TOO_SHORT	0xc0010016u
#define HV_RNDIS_STATUS_INVALID_OID		0xc0010017u

struct hv_rndis_hdr {
	uint32_t type;
	uint32_t length;	/* whole message, header included */
};

struct hv_rndis_init {
	uint32_t type;
	uint32_t length;
	uint32_t rid;
	uint32_t major;
	uint32_t minor;
	uint32_t max_transfer;
};

struct hv_rndis_init_cmplt {
	uint32_t type;
	uint32_t length;
	uint32_t rid;
	uint32_t status;
	uint32_t major;
	uint32_t minor;
	uint32_t device_flags;
	uint32_t medium;
	uint32_t max_packets;
	uint32_t max_transfer;
	uint32_t align_shift;	/* packet alignment factor, log2 */
	uint32_t af_list_offset;
	uint32_t af_list_size;
};

struct hv_rndis_rid_msg {	/* HALT and KEEPALIVE */
	uint32_t type;
	uint32_t length;
	uint32_t rid;
};

struct hv_rndis_oid_req {	/* QUERY and SET */
	uint32_t type;
	uint32_t length;
	uint32_t rid;
	uint32_t oid;
	uint32_t info_length;
	uint32_t info_offset;	/* from the rid field (byte 8) */
	uint32_t vc_handle;
};

struct hv_rndis_query_cmplt {
	uint32_t type;
	uint32_t length;
	uint32_t rid;
	uint32_t status;
	uint32_t info_length;
	uint32_t info_offset;	/* from the rid field (byte 8) */
};

struct hv_rndis_status_cmplt {	/* SET_CMPLT and KEEPALIVE_CMPLT */
	uint32_t type;
	uint32_t length;
	uint32_t rid;
	uint32_t status;
};

struct hv_rndis_reset {
	uint32_t type;
	uint32_t length;
	uint32_t reserved;
};

struct hv_rndis_reset_cmplt {
	uint32_t type;
	uint32_t length;
	uint32_t status;
	uint32_t addressing_reset;
};

struct hv_rndis_indicate {
	uint32_t type;
	uint32_t length;
	uint32_t status;
	uint32_t buf_length;
	uint32_t buf_offset;	/* from byte 8 */
};

struct hv_rndis_packet {
	uint32_t type;
	uint32_t length;
	uint32_t data_offset;	/* every offset here is from byte 8 */
	uint32_t data_length;
	uint32_t oob_offset;
	uint32_t oob_length;
	uint32_t num_oob;
	uint32_t ppi_offset;
	uint32_t ppi_length;
	uint32_t vc_handle;
	uint32_t reserved;
};

#define HV_RNDIS_OFFSET_BASE	8u	/* offsets in PACKET/QUERY/SET/INDICATE count from here */

_Static_assert(sizeof(struct hv_rndis_init) == 24, "rndis init size");
_Static_assert(sizeof(struct hv_rndis_init_cmplt) == 52, "rndis init complete size");
_Static_assert(sizeof(struct hv_rndis_oid_req) == 28, "rndis query/set size");
_Static_assert(sizeof(struct hv_rndis_query_cmplt) == 24, "rndis query complete size");
_Static_assert(sizeof(struct hv_rndis_status_cmplt) == 16, "rndis set complete size");
_Static_assert(sizeof(struct hv_rndis_reset_cmplt) == 16, "rndis reset complete size");
_Static_assert(sizeof(struct hv_rndis_indicate) == 20, "rndis indicate size");
_Static_assert(sizeof(struct hv_rndis_packet) == 44, "rndis packet header size");

/* Per-packet info element: the data follows at data_offset from the element start. */
struct hv_rndis_ppi {
	uint32_t size;		/* whole element, multiple of 4 */
	uint32_t type;
	uint32_t data_offset;
};

_Static_assert(sizeof(struct hv_rndis_ppi) == 12, "ppi header size");

#define HV_PPI_CHECKSUM		0
#define HV_PPI_IPSEC		1
#define HV_PPI_LSO		2
#define HV_PPI_CLASSIFICATION	3
#define HV_PPI_SGLIST		5
#define HV_PPI_VLAN		6
#define HV_PPI_ORIGINAL		7
#define HV_PPI_HASH_VALUE	8
#define HV_PPI_HASH_INFO	9
#define HV_PPI_CACHED_NBL	10
#define HV_PPI_SHORT_PAD	11
#define HV_PPI_INTERNAL		0x80000000u
#define HV_PPI_PKT_ID		(HV_PPI_INTERNAL | 1u)

/* TX checksum request (PPI 0). */
#define HV_TXCSUM_IPV4		0x001u
#define HV_TXCSUM_IPV6		0x002u
#define HV_TXCSUM_TCP		0x004u
#define HV_TXCSUM_UDP		0x008u
#define HV_TXCSUM_IP_HDR	0x010u
#define HV_TXCSUM_THOFF_SHIFT	16
#define HV_TXCSUM_THOFF_MASK	0x3ffu

/* RX checksum result (PPI 0). */
#define HV_RXCSUM_TCP_FAILED	0x001u
#define HV_RXCSUM_UDP_FAILED	0x002u
#define HV_RXCSUM_IP_FAILED	0x004u
#define HV_RXCSUM_TCP_OK	0x008u
#define HV_RXCSUM_UDP_OK	0x010u
#define HV_RXCSUM_IP_OK		0x020u
#define HV_RXCSUM_LOOPBACK	0x040u
#define HV_RXCSUM_TCP_INVALID	0x080u
#define HV_RXCSUM_IP_INVALID	0x100u

/* VLAN (PPI 6). */
#define HV_VLAN_PRIO_MASK	0x0007u
#define HV_VLAN_CFI		0x0008u
#define HV_VLAN_ID_SHIFT	4
#define HV_VLAN_ID_MASK		0x0fffu

/* LSOv2 (PPI 2). */
#define HV_LSO_MSS_MASK		0x000fffffu
#define HV_LSO_THOFF_SHIFT	20
#define HV_LSO_THOFF_MASK	0x3ffu
#define HV_LSO_TYPE_V2		0x40000000u
#define HV_LSO_IPV6		0x80000000u

/* ---- OIDs ------------------------------------------------------------------------------ */

#define HV_OID_GEN_SUPPORTED_LIST		0x00010101u
#define HV_OID_GEN_HARDWARE_STATUS		0x00010102u
#define HV_OID_GEN_MEDIA_SUPPORTED		0x00010103u
#define HV_OID_GEN_MEDIA_IN_USE			0x00010104u
#define HV_OID_GEN_MAXIMUM_LOOKAHEAD		0x00010105u
#define HV_OID_GEN_MAXIMUM_FRAME_SIZE		0x00010106u
#define HV_OID_GEN_LINK_SPEED			0x00010107u
#define HV_OID_GEN_TRANSMIT_BUFFER_SPACE	0x00010108u
#define HV_OID_GEN_RECEIVE_BUFFER_SPACE		0x00010109u
#define HV_OID_GEN_TRANSMIT_BLOCK_SIZE		0x0001010au
#define HV_OID_GEN_RECEIVE_BLOCK_SIZE		0x0001010bu
#define HV_OID_GEN_VENDOR_ID			0x0001010cu
#define HV_OID_GEN_VENDOR_DESCRIPTION		0x0001010du
#define HV_OID_GEN_CURRENT_PACKET_FILTER	0x0001010eu
#define HV_OID_GEN_CURRENT_LOOKAHEAD		0x0001010fu
#define HV_OID_GEN_DRIVER_VERSION		0x00010110u
#define HV_OID_GEN_MAXIMUM_TOTAL_SIZE		0x00010111u
#define HV_OID_GEN_MAC_OPTIONS			0x00010113u
#define HV_OID_GEN_MEDIA_CONNECT_STATUS		0x00010114u
#define HV_OID_GEN_MAXIMUM_SEND_PACKETS		0x00010115u
#define HV_OID_GEN_VENDOR_DRIVER_VERSION	0x00010116u
#define HV_OID_GEN_NETWORK_LAYER_ADDRESSES	0x00010118u
#define HV_OID_GEN_RECEIVE_SCALE_CAPABILITIES	0x00010203u
#define HV_OID_GEN_RECEIVE_SCALE_PARAMETERS	0x00010204u
#define HV_OID_GEN_MAX_LINK_SPEED		0x00010206u
#define HV_OID_GEN_LINK_STATE			0x00010207u
#define HV_OID_GEN_LINK_PARAMETERS		0x00010208u
#define HV_OID_GEN_INTERRUPT_MODERATION		0x00010209u
#define HV_OID_GEN_MACHINE_NAME			0x0001021au
#define HV_OID_GEN_RNDIS_CONFIG_PARAMETER	0x0001021bu
#define HV_OID_GEN_VLAN_ID			0x0001021cu
#define HV_OID_GEN_FRIENDLY_NAME		0x00020216u

#define HV_OID_GEN_XMIT_OK			0x00020101u
#define HV_OID_GEN_RCV_OK			0x00020102u
#define HV_OID_GEN_XMIT_ERROR			0x00020103u
#define HV_OID_GEN_RCV_ERROR			0x00020104u
#define HV_OID_GEN_RCV_NO_BUFFER		0x00020105u
#define HV_OID_GEN_DIRECTED_BYTES_XMIT		0x00020201u
#define HV_OID_GEN_BROADCAST_FRAMES_RCV		0x0002020cu
#define HV_OID_GEN_RCV_CRC_ERROR		0x0002020du
#define HV_OID_GEN_TRANSMIT_QUEUE_LENGTH	0x0002020eu
#define HV_OID_GEN_BYTES_RCV			0x00020219u
#define HV_OID_GEN_BYTES_XMIT			0x0002021au
#define HV_OID_GEN_RCV_DISCARDS			0x0002021bu
#define HV_OID_GEN_XMIT_DISCARDS		0x0002021cu

#define HV_OID_802_3_PERMANENT_ADDRESS		0x01010101u
#define HV_OID_802_3_CURRENT_ADDRESS		0x01010102u
#define HV_OID_802_3_MULTICAST_LIST		0x01010103u
#define HV_OID_802_3_MAXIMUM_LIST_SIZE		0x01010104u
#define HV_OID_802_3_MAC_OPTIONS		0x01010105u
#define HV_OID_OFFLOAD_ENCAPSULATION		0x0101010au
#define HV_OID_802_3_ADD_MULTICAST_ADDRESS	0x01010208u
#define HV_OID_802_3_DELETE_MULTICAST_ADDRESS	0x01010209u
#define HV_OID_802_3_RCV_ERROR_ALIGNMENT	0x01020101u
#define HV_OID_802_3_XMIT_ONE_COLLISION		0x01020102u
#define HV_OID_802_3_XMIT_MORE_COLLISIONS	0x01020103u

#define HV_OID_TCP_OFFLOAD_CURRENT_CONFIG	0xfc01020bu
#define HV_OID_TCP_OFFLOAD_PARAMETERS		0xfc01020cu
#define HV_OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES 0xfc01020du
#define HV_OID_TCP_CONNECTION_OFFLOAD_CURRENT_CONFIG 0xfc01020eu
#define HV_OID_TCP_CONNECTION_OFFLOAD_HARDWARE_CAPABILITIES 0xfc01020fu

/* OID_GEN_MEDIA_CONNECT_STATUS values. */
#define HV_NDIS_MEDIA_CONNECTED		0u
#define HV_NDIS_MEDIA_DISCONNECTED	1u

/* ---- NDIS objects ---------------------------------------------------------------------- */

#define HV_NDIS_OBJ_DEFAULT		0x80
#define HV_NDIS_OBJ_RSS_CAPS		0x88
#define HV_NDIS_OBJ_RSS_PARAMS		0x89
#define HV_NDIS_OBJ_OID_REQUEST		0x96
#define HV_NDIS_OBJ_OFFLOAD		0xa7
#define HV_NDIS_OBJ_OFFLOAD_ENCAP	0xa8

/* OID_TCP_OFFLOAD_PARAMETERS (object type DEFAULT). */
#define HV_NDIS_OFFLOAD_PARAMS_REV1_SIZE	20
#define HV_NDIS_OFFLOAD_PARAMS_REV2_SIZE	22
#define HV_NDIS_OFFLOAD_PARAMS_REV3_SIZE	28

#define HV_NDIS_OFFLOAD_PARAM_NOCHG	0	/* checksum, LSO and RSC bytes */
#define HV_NDIS_OFFLOAD_PARAM_OFF	1	/* checksum: tx and rx off */
#define HV_NDIS_OFFLOAD_PARAM_TX	2	/* checksum: tx on, rx off */
#define HV_NDIS_OFFLOAD_PARAM_RX	3	/* checksum: rx on, tx off */
#define HV_NDIS_OFFLOAD_PARAM_TXRX	4	/* checksum: tx and rx on */
#define HV_NDIS_OFFLOAD_PARAM_LSO_OFF	1
#define HV_NDIS_OFFLOAD_PARAM_LSO_ON	2

struct hv_ndis_offload_params {
	struct hv_ndis_obj_hdr hdr;
	uint8_t ipv4_csum;
	uint8_t tcp4_csum;
	uint8_t udp4_csum;
	uint8_t tcp6_csum;
	uint8_t udp6_csum;
	uint8_t lsov1;
	uint8_t ipsecv1;
	uint8_t lsov2_ipv4;
	uint8_t lsov2_ipv6;
	uint8_t tcp_conn4;
	uint8_t tcp_conn6;
	uint8_t pad1;
	uint32_t flags;
	uint8_t ipsecv2;
	uint8_t ipsecv2_ipv4;
	uint8_t rsc_ipv4;
	uint8_t rsc_ipv6;
	uint8_t encap_task_offload;
	uint8_t encap_types;
	uint8_t pad2[2];
};

_Static_assert(sizeof(struct hv_ndis_offload_params) == HV_NDIS_OFFLOAD_PARAMS_REV3_SIZE,
	       "offload params size");
_Static_assert(offsetof(struct hv_ndis_offload_params, flags) == 16, "offload params flags");

/* NDIS_OFFLOAD (object type OFFLOAD). */
#define HV_NDIS_OFFLOAD_REV1_SIZE	112
#define HV_NDIS_OFFLOAD_REV2_SIZE	144
#define HV_NDIS_OFFLOAD_REV3_SIZE	156

#define HV_NDIS_ENCAP_NONE		0x00
#define HV_NDIS_ENCAP_NULL		0x01
#define HV_NDIS_ENCAP_802_3		0x02
#define HV_NDIS_ENCAP_802_3_PQ		0x04
#define HV_NDIS_ENCAP_802_3_PQ_OOB	0x08
#define HV_NDIS_ENCAP_RFC1483		0x10

#define HV_NDIS_TXCSUM_CAP_IP4_OPTS	0x001u
#define HV_NDIS_TXCSUM_CAP_TCP_OPTS	0x004u
#define HV_NDIS_TXCSUM_CAP_TCP		0x010u
#define HV_NDIS_TXCSUM_CAP_UDP		0x040u
#define HV_NDIS_TXCSUM_CAP_IP4		0x100u
#define HV_NDIS_TXCSUM_CAP_IP6_EXT	0x001u
#define HV_NDIS_LSOV2_CAP_IP6_EXT	0x001u
#define HV_NDIS_LSOV2_CAP_TCP_OPTS	0x004u

struct hv_ndis_csum_offload {
	uint32_t ipv4_tx_encap;
	uint32_t ipv4_tx_flags;
	uint32_t ipv4_rx_encap;
	uint32_t ipv4_rx_flags;
	uint32_t ipv6_tx_encap;
	uint32_t ipv6_tx_flags;
	uint32_t ipv6_rx_encap;
	uint32_t ipv6_rx_flags;
};

struct hv_ndis_lsov1_offload {
	uint32_t encap;
	uint32_t max_size;
	uint32_t min_segs;
	uint32_t opts;
};

struct hv_ndis_lsov2_offload {
	uint32_t ipv4_encap;
	uint32_t ipv4_max_size;
	uint32_t ipv4_min_segs;
	uint32_t ipv6_encap;
	uint32_t ipv6_max_size;
	uint32_t ipv6_min_segs;
	uint32_t ipv6_opts;
};

struct hv_ndis_offload {
	struct hv_ndis_obj_hdr hdr;
	struct hv_ndis_csum_offload csum;
	struct hv_ndis_lsov1_offload lsov1;
	uint32_t ipsecv1[7];
	struct hv_ndis_lsov2_offload lsov2;
	uint32_t flags;
	uint8_t ipsecv2[32];		/* rev 2 */
	uint8_t rsc_ip4;		/* rev 3 */
	uint8_t rsc_ip6;
	uint8_t rsc_pad[2];
	uint32_t encap_gre_flags;
	uint32_t encap_gre_max_header;
};

_Static_assert(sizeof(struct hv_ndis_offload) == HV_NDIS_OFFLOAD_REV3_SIZE, "offload size");
_Static_assert(offsetof(struct hv_ndis_offload, lsov1) == 36, "offload lsov1 offset");
_Static_assert(offsetof(struct hv_ndis_offload, lsov2) == 80, "offload lsov2 offset");
_Static_assert(offsetof(struct hv_ndis_offload, flags) == 108, "offload flags offset");
_Static_assert(offsetof(struct hv_ndis_offload, ipsecv2) == HV_NDIS_OFFLOAD_REV1_SIZE,
	       "offload rev1 end");
_Static_assert(offsetof(struct hv_ndis_offload, rsc_ip4) == HV_NDIS_OFFLOAD_REV2_SIZE,
	       "offload rev2 end");

/* OID_OFFLOAD_ENCAPSULATION object. */
struct hv_ndis_offload_encap {
	struct hv_ndis_obj_hdr hdr;
	uint32_t ipv4_enabled;
	uint32_t ipv4_encap_type;
	uint32_t ipv4_header_size;
	uint32_t ipv6_enabled;
	uint32_t ipv6_encap_type;
	uint32_t ipv6_header_size;
};

_Static_assert(sizeof(struct hv_ndis_offload_encap) == 28, "offload encapsulation size");

/* OID_GEN_RNDIS_CONFIG_PARAMETER header; offsets are from its start. */
#define HV_RNDIS_CONFIG_PARAM_INTEGER	0
#define HV_RNDIS_CONFIG_PARAM_STRING	2

struct hv_rndis_config_param {
	uint32_t name_offset;
	uint32_t name_length;	/* bytes of UTF-16 */
	uint32_t type;
	uint32_t value_offset;
	uint32_t value_length;
};

_Static_assert(sizeof(struct hv_rndis_config_param) == 20, "rndis config parameter size");

/* RSS capabilities (object type RSS_CAPS). */
#define HV_NDIS_RSS_CAPS_REV1_SIZE	16
#define HV_NDIS_RSS_CAPS_REV2_SIZE	18

#define HV_NDIS_RSS_CAP_TOEPLITZ	0x00000001u
#define HV_NDIS_RSS_CAP_TCP_IPV4	0x00000100u
#define HV_NDIS_RSS_CAP_TCP_IPV6	0x00000200u
#define HV_NDIS_RSS_CAP_TCP_IPV6_EX	0x00000400u
#define HV_NDIS_RSS_CAP_UDP_IPV4	0x00000800u
#define HV_NDIS_RSS_CAP_UDP_IPV6	0x00001000u
#define HV_NDIS_RSS_CAP_UDP_IPV6_EX	0x00002000u
#define HV_NDIS_RSS_CAP_MSI		0x01000000u
#define HV_NDIS_RSS_CAP_CLASSIFY_ISR	0x02000000u
#define HV_NDIS_RSS_CAP_CLASSIFY_DPC	0x04000000u
#define HV_NDIS_RSS_CAP_MSIX		0x08000000u
#define HV_NDIS_RSS_CAP_PORTS		0x10000000u
#define HV_NDIS_RSS_CAP_SUPPORTS_MSIX	0x20000000u

struct hv_ndis_rss_caps {
	struct hv_ndis_obj_hdr hdr;
	uint32_t caps;
	uint32_t num_interrupt_messages;
	uint32_t num_receive_queues;
	uint16_t num_indirection_entries;	/* rev 2 */
} __attribute__((packed));

_Static_assert(sizeof(struct hv_ndis_rss_caps) == HV_NDIS_RSS_CAPS_REV2_SIZE, "rss caps size");

/* RSS parameters (object type RSS_PARAMS). */
#define HV_NDIS_RSS_PARAMS_REV2_SIZE	40
#define HV_NDIS_RSS_INDIRECTION_SIZE	128	/* table entries */
#define HV_NDIS_RSS_KEY_SIZE		40

#define HV_NDIS_RSS_FLAG_BASE_CPU_UNCHG	0x0001u
#define HV_NDIS_RSS_FLAG_HASH_INFO_UNCHG 0x0002u
#define HV_NDIS_RSS_FLAG_ITAB_UNCHG	0x0004u
#define HV_NDIS_RSS_FLAG_KEY_UNCHG	0x0008u
#define HV_NDIS_RSS_FLAG_DISABLE	0x0010u
#define HV_NDIS_RSS_FLAG_DEF_CPU_UNCHG	0x0020u

struct hv_ndis_rss_params {
	struct hv_ndis_obj_hdr hdr;
	uint16_t flags;
	uint16_t base_cpu;
	uint32_t hash_info;
	uint16_t itab_size;		/* bytes */
	uint16_t pad1;
	uint32_t itab_offset;		/* from the object start */
	uint16_t key_size;
	uint16_t pad2;
	uint32_t key_offset;		/* from the object start */
	uint32_t cpu_mask_offset;
	uint32_t cpu_mask_count;
	uint32_t cpu_mask_entry_size;
};

_Static_assert(sizeof(struct hv_ndis_rss_params) == HV_NDIS_RSS_PARAMS_REV2_SIZE,
	       "rss params size");
_Static_assert(offsetof(struct hv_ndis_rss_params, key_offset) == 24, "rss key offset field");

/* NDIS hash_info: function in the low byte, types above it. */
#define HV_NDIS_HASH_FUNCTION_MASK	0x000000ffu
#define HV_NDIS_HASH_FUNCTION_TOEPLITZ	0x00000001u
#define HV_NDIS_HASH_TYPE_MASK		0x00ffff00u
#define HV_NDIS_HASH_IPV4		0x00000100u
#define HV_NDIS_HASH_TCP_IPV4		0x00000200u
#define HV_NDIS_HASH_IPV6		0x00000400u
#define HV_NDIS_HASH_IPV6_EX		0x00000800u
#define HV_NDIS_HASH_TCP_IPV6		0x00001000u
#define HV_NDIS_HASH_TCP_IPV6_EX	0x00002000u
#define HV_NDIS_HASH_UDP_IPV4		0x00004000u
#define HV_NDIS_HASH_UDP_IPV6		0x00008000u
#define HV_NDIS_HASH_UDP_IPV6_EX	0x00010000u

/* OID_GEN_CURRENT_PACKET_FILTER bits. */
#define HV_NDIS_PACKET_TYPE_NONE		0x00000000u
#define HV_NDIS_PACKET_TYPE_DIRECTED		0x00000001u
#define HV_NDIS_PACKET_TYPE_MULTICAST		0x00000002u
#define HV_NDIS_PACKET_TYPE_ALL_MULTICAST	0x00000004u
#define HV_NDIS_PACKET_TYPE_BROADCAST		0x00000008u
#define HV_NDIS_PACKET_TYPE_SOURCE_ROUTING	0x00000010u
#define HV_NDIS_PACKET_TYPE_PROMISCUOUS		0x00000020u
#define HV_NDIS_PACKET_TYPE_SMT			0x00000040u
#define HV_NDIS_PACKET_TYPE_ALL_LOCAL		0x00000080u
#define HV_NDIS_PACKET_TYPE_GROUP		0x00001000u
#define HV_NDIS_PACKET_TYPE_ALL_FUNCTIONAL	0x00002000u
#define HV_NDIS_PACKET_TYPE_FUNCTIONAL		0x00004000u
#define HV_NDIS_PACKET_TYPE_MAC_FRAME		0x00008000u

#endif /* HV_WIRE_H */
