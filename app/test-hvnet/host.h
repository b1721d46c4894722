/* SPDX-License-Identifier: BSD-3-Clause */
/* Private state and internal calls of the simulated host layer (host_*.c). */
#ifndef HVNET_HOST_H
#define HVNET_HOST_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "hv_wire.h"
#include "sim.h"

#define HOST_PKT_MAX		16384u	/* largest guest->host ring packet the host accepts */
#define HOST_RNDIS_MAX_XFER	0x40000u	/* INITIALIZE_CMPLT max_transfer_size */
#define HOST_GATHER_MAX		(HOST_RNDIS_MAX_XFER + HV_PAGE_SIZE)
#define HOST_FRAME_MAX		(HOST_GATHER_MAX + 4)	/* room for an inserted VLAN tag */
#define HOST_CTL_SUBALLOCS	16u	/* receive sub-allocations kept for control messages */
#define HOST_CTLQ_LEN		16u	/* control responses waiting for a sub-allocation */
#define HOST_CTL_MSG_MAX	640u	/* largest control response or indication */
#define HOST_REPLY_ROOM		256u	/* ring room kept free for completions */
#define HOST_POLL_BUDGET	512u	/* packets read per channel per poll */
#define HOST_MDL_CHAIN_LEN	34u
#define HOST_RNDIS_MAX_PACKETS	8u
#define HOST_RNDIS_ALIGN_SHIFT	3u
#define HOST_RX_BATCH_MAX	375u	/* ranges per data transfer-page packet at NDIS >= 6.0 */
#define HOST_RX_BATCH_OLD	64u	/* ... and below NDIS 6.0 */
#define HOST_XFER_RANGES_MAX	600u	/* ranges one packet can carry (faults: above 562) */
#define HOST_NDIS_6_0		0x00060000u
#define HOST_RX_NONE		UINT32_MAX	/* end of a sub-allocation chain */

/* What a receive sub-allocation is doing (host_rxbuf.busy). */
enum host_rx_state {
	HOST_RX_FREE,
	HOST_RX_HEAD,		/* sent; its index is the tid the guest acks */
	HOST_RX_MEMBER,		/* sent in the batch of an earlier head */
	HOST_RX_PENDING,	/* filled, waiting in the channel's batch */
};

/* One direction of a channel as the host sees it; idx is the host's private index copy. */
struct host_ring {
	struct hv_ring_ctl *ctl;
	uint8_t *data;
	uint32_t size;		/* data area bytes */
	uint32_t idx;		/* read index (guest->host) or write index (host->guest) */
};

/* --- ring core (host_ring.c), usable without a NIC ---------------------------------------- */
void host_ring_init(struct host_ring *r, uint8_t *base, size_t bytes);
/* Snapshot the producer's write index of a ring the host reads; -EBADMSG if corrupt. */
int host_ring_write_index(const struct host_ring *r, uint32_t *windex);
/*
 * Copy the packet at r->idx (descriptor included, trailer excluded) into buf.
 * Returns its length (a multiple of 8), 0 if none is there, -EBADMSG if the ring is corrupt.
 */
int host_ring_peek(const struct host_ring *r, uint32_t windex, void *buf, uint32_t cap);
/* Step the private read index past a packet of len bytes and its trailer. */
void host_ring_skip(struct host_ring *r, uint32_t len);
/* Publish the read index after a batch; true when the writer asked to be signalled. */
bool host_ring_read_done(struct host_ring *r, uint32_t bytes_read);
/* Bytes a packet (trailer included) may take now; -EBADMSG if the reader's index is corrupt. */
int host_ring_room(const struct host_ring *r, uint32_t *room);
/* Scatter-write one packet (padded to 8, trailer added); 0, -EAGAIN (no room), -EBADMSG. */
int host_ring_write(struct host_ring *r, const struct iovec *iov, unsigned int n,
		    uint32_t reserve, bool *signal);

/* --- per-channel and per-NIC state ------------------------------------------------------- */
/* Data sub-allocations filled for the guest but not yet sent: a chain from head to tail. */
struct host_rx_batch {
	uint32_t head;
	uint32_t tail;
	uint32_t n;
	uint32_t fits;		/* ranges the ring had room for at the last look, ... */
	uint32_t fits_idx;	/* ... taken at this write index of the ring */
	uint64_t bytes;		/* to_guest_bytes counted for them */
};

struct host_chan {
	struct host_ring in;	/* guest -> host */
	struct host_ring out;	/* host -> guest */
	uint8_t *base;		/* sim_chan ring the views were made for */
	uint32_t rx_top;	/* free data sub-allocations on this channel's stack */
	struct host_rx_batch batch;
	bool dead;		/* a fatal violation stopped this channel until reset */
	/*
	 * Waiting for the guest's signal (host_signal.c, --signals hyperv). A new channel polls:
	 * not idle, not blocked.
	 */
	bool idle;		/* guest->host ring empty, its interrupt_mask 0 */
	uint32_t pending;	/* host->guest ring full: the pending_send_sz asked, 0 = none */
	uint32_t need;		/* ... and the bytes the blocked write needs */
	uint64_t next_scan;	/* waiting on a monitored channel: next look at its bit (ns) */
	uint64_t next_check;	/* waiting: next watchdog look (ns) */
	uint64_t stall_since;	/* watchdog: the guest's side first seen ready (ns), 0 = not */
	bool stall_named;	/* watchdog: this stall was reported */
};

enum host_state {
	HOST_WAIT_INIT,		/* only NVSP INIT accepted */
	HOST_INITIALIZING,	/* buffers and NDIS messages, until the first RNDIS packet */
	HOST_READY,
};

/* The guest's receive buffer carved into equal sub-allocations. */
struct host_rxbuf {
	bool ready;
	bool audited;		/* its never-completed sections were counted (host_audit.c) */
	bool packed;		/* --rx-layout packed: frames right after their PPIs */
	uint16_t id;
	uint32_t sub_size;
	uint32_t count;
	uint32_t per_chan;	/* data sub-allocations per channel */
	uint32_t nsplit;	/* channels the data sub-allocations are split across */
	uint8_t *busy;		/* count entries: enum host_rx_state */
	uint8_t *sent_on;	/* count entries: channel a HOST_RX_HEAD packet went out on */
	uint32_t *next;		/* count entries: next sub-allocation of the same packet */
	uint32_t *stack;	/* per channel free stacks, per_chan entries each */
};

/* Extension header of a transfer-page packet with room for the largest batch (and more). */
struct host_xfer {
	struct hv_xfer_page_hdr hdr;
	struct hv_xfer_page_range range[HOST_XFER_RANGES_MAX];
};

/* How a data transfer-page packet goes out: honest, or as a fault made it (host_fault_xfer). */
struct host_xfer_out {
	uint32_t nranges;	/* ranges carried in the packet */
	uint32_t claim;		/* range count announced in its header */
	uint16_t set_id;	/* buffer id announced */
	uint32_t nvsp_type;	/* NVSP message type */
};

struct host_ctl_msg {
	uint32_t len;
	uint8_t msg[HOST_CTL_MSG_MAX];
};

/* What host_fault.c can corrupt (control 'fault N KIND [COUNT]'). */
enum host_fault_kind {
	HOST_FAULT_RANGE_OFFSET,	/* a data range outside the receive buffer */
	HOST_FAULT_RANGE_COUNT,		/* more ranges claimed than carried */
	HOST_FAULT_RNDIS_LEN,		/* RNDIS PACKET lengths overrunning the range */
	HOST_FAULT_PPI,			/* a malformed PPI element */
	HOST_FAULT_XID,			/* tx completions with unknown and repeated ids */
	HOST_FAULT_CTL_LEN,		/* QUERY_CMPLT info buffer beyond the message */
	HOST_FAULT_NVSP_SHORT,		/* NVSP completion shorter than its type */
	HOST_FAULT_DESC,		/* VMBus descriptor with len8 < offset8 */
	/* Ring level (the first three stop the channel: the guest cannot read past them). */
	HOST_FAULT_WINDEX,		/* host->guest write index past the data or misaligned */
	HOST_FAULT_PKT_TYPE,		/* a packet type the guest must refuse: GPA-direct, unknown */
	HOST_FAULT_PKT_LEN,		/* a descriptor longer than what was published */
	HOST_FAULT_BOUNCE,		/* a wrapped packet larger than the guest's bounce buffer */
	HOST_FAULT_RINDEX,		/* guest->host read index corrupt (the host stops reading) */
	/* Transfer pages. */
	HOST_FAULT_XFER_ID,		/* a buffer id that is not the receive buffer's */
	HOST_FAULT_XFER_TYPE,		/* an NVSP type other than RNDIS_PKT */
	HOST_FAULT_RANGE_MANY,		/* 563 ranges carried (more than 562) */
	HOST_FAULT_RANGE_OVERSIZE,	/* a range longer than a section, inside the buffer */
	HOST_FAULT_RANGE_OVERLAP,	/* 64 extra ranges over the first, each to the buffer end */
	/* RNDIS data. */
	HOST_FAULT_RNDIS_AREA,		/* OOB or PPI area out of bounds, PPI offset misaligned */
	HOST_FAULT_PPI_SHORT,		/* a PPI shorter than its header, or than its value */
	HOST_FAULT_FRAME_OVERSIZE,	/* a frame longer than MTU + Ethernet header + VLAN tag */
	/* RNDIS control. */
	HOST_FAULT_CTL_TYPE,		/* a QUERY answered with another completion type */
	HOST_FAULT_CTL_RID,		/* a QUERY answered with another request id */
	HOST_FAULT_CTL_STATUS,		/* a QUERY answered with a failure status */
	HOST_FAULT_INIT_SHORT,		/* INITIALIZE_CMPLT shorter than its fields */
	HOST_FAULT_AGG,			/* hostile aggregation limits in INITIALIZE_CMPLT */
	HOST_FAULT_INDICATION,		/* malformed indications and unexpected control messages */
	HOST_FAULT_OID_SIZE,		/* a MAC, MTU, link or speed reply of the wrong size */
	HOST_FAULT_RSS_CAPS,		/* a bad RSS capabilities header */
	HOST_FAULT_OFFLOAD_CAPS,	/* a bad offload capabilities header */
	/* NVSP. */
	HOST_FAULT_INIT_STATUS,		/* NVSP INIT refused (the guest tries the next version) */
	HOST_FAULT_RXBUF_LAYOUT,	/* a receive-buffer layout the guest must refuse */
	HOST_FAULT_SECTION_SIZE,	/* a send section size the guest must refuse */
	HOST_FAULT_SUBCH_GRANT,		/* more subchannels granted than asked */
	HOST_FAULT_NVSP_MSG,		/* malformed VF and indirection-table messages, unknown ones */
	HOST_FAULT_XID_FIELD,		/* tx completions naming another queue, epoch, index */
	/* Concurrency. */
	HOST_FAULT_TX_RACE,		/* forged completions while the guest's sends fail */
	HOST_FAULT_REWRITE,		/* a frame's RNDIS length rewritten until the guest acks it */
	HOST_FAULT_SUBCH_ID,		/* a subchannel offered with a duplicate or out-of-range id */
	HOST_FAULT_PENDING_SZ,		/* hostile pending_send_sz in the host->guest ring */
	HOST_FAULT_IMASK,		/* hostile interrupt_mask values in both rings */
	HOST_FAULT_FILTER_LATE,		/* frames still delivered after the filter was cleared */
	HOST_FAULT_KINDS,
	HOST_FAULT_NONE = HOST_FAULT_KINDS,
};

struct host_nic {
	enum host_state state;
	uint32_t version;	/* negotiated NVSP version */
	uint32_t msg_size;	/* size of the NVSP messages the host sends */
	bool have_ndis_cfg;
	bool have_ndis_ver;
	bool have_sendbuf;
	bool datapath_vf;
	struct host_vf *vf;	/* --vf (host_vf.c), NULL without */
	uint32_t ndis_mtu;	/* frame size incl. Ethernet header used for the buffers */
	uint32_t ndis_version;
	uint64_t ndis_caps;
	uint32_t sendbuf_sections;
	struct host_rxbuf rx;

	bool rndis_init;
	uint32_t filter;
	uint32_t filter_cleared;	/* the filter before the last clear (fault filter_late) */
	bool rss_on;
	uint32_t rss_hash_info;
	struct rss_hasher rss_hasher;	/* of the key the guest set (zeros until then) */
	uint8_t rss_table[HV_NDIS_RSS_INDIRECTION_SIZE];
	struct hv_ndis_offload_params offload;	/* in force (host_offload.c) */
	/* Bumped whenever RSS or offload parameters may change: older sim_rx_memos are stale. */
	uint64_t rx_epoch;
	bool ol_reported;	/* a PPI beyond them was reported since they were set */

	unsigned int ctlq_head;	/* next to send */
	unsigned int ctlq_count;
	struct host_ctl_msg ctlq[HOST_CTLQ_LEN];

	/* Packet copied out of a guest->host ring, parsed in place: aligned as its descriptor. */
	uint8_t pkt[HOST_PKT_MAX] __attribute__((aligned(8)));
	uint8_t gather[HOST_GATHER_MAX];	/* RNDIS message(s) of one carrier */
	bool gather_rxbuf;			/* some of its GPA ranges in a receive buffer */
	uint8_t frame[HOST_FRAME_MAX];		/* frame with its VLAN tag inserted */
	struct host_xfer xfer;			/* ranges of the batch being sent */
	struct host_chan chan[SIM_MAX_CHANNELS];
	/* Accounting of what each side still owes (host_audit.c). */
	bool audit_due;		/* the receive buffer was revoked: count its leaks this round */
	uint64_t cur_tid;	/* the guest packet being handled ... */
	bool cur_rc;		/* ... asked for a completion ... */
	bool cur_completed;	/* ... and got one */
	uint64_t owed;		/* completions owed this session */
	uint64_t ctl_requests;	/* RNDIS requests that want a response, this session */
	uint64_t ctl_responses;	/* RNDIS responses sent, this session */
	/* Kernel signals (ctl->chan_signals) already counted, per channel index: kept over resets. */
	uint32_t kernel_seen[SIM_MAX_CHANNELS];
	/* Armed faults: kept across NVSP sessions, only the control command changes them. */
	uint32_t fault_left[HOST_FAULT_KINDS];
	uint32_t fault_seq[HOST_FAULT_KINDS];	/* injected so far: picks the next variant */
	int32_t fault_chan[HOST_FAULT_KINDS];	/* the only channel hit, or -1: any */
	struct host_fault_state *fault;		/* the multi-step faults' state (host_fault.c) */
};

/* A guest->host packet after the ring checks: the NVSP message is msg/msg_len. */
struct host_pkt {
	uint16_t type;
	uint16_t flags;
	uint64_t tid;
	const uint8_t *raw;	/* whole packet, descriptor included */
	uint32_t raw_len;
	uint32_t hdr_len;	/* offset8 * 8 */
	const uint8_t *msg;
	uint32_t msg_len;
};

static inline struct host_nic *
host_of(const struct sim_nic *nic)
{
	return nic->host;
}

/* --- host_ring.c: channel level ---------------------------------------------------------- */
/* Refresh the ring views of channel c; false if it has no usable ring. */
bool host_chan_sync(struct sim_nic *nic, unsigned int c);
/*
 * Send a packet on channel c: descriptor, extension header (multiple of 8), message.
 * 0, -EAGAIN when less than len + reserve is free, -EPROTO when the guest corrupted the ring
 * (logged, channel stopped).
 */
int host_chan_send(struct sim_nic *nic, unsigned int c, uint16_t type, uint16_t flags,
		   uint64_t tid, const void *ext, uint32_t ext_len, const void *msg,
		   uint32_t msg_len, uint32_t reserve);
/* Bytes free on channel c's host->guest ring for a packet (0 if unusable). */
uint32_t host_chan_room(struct sim_nic *nic, unsigned int c);
/*
 * True when len bytes fit on channel c's host->guest ring now. In --signals hyperv a channel
 * that has not the room waits for it: the host sets pending_send_sz and writes nothing more
 * on it until the guest signals that it read past it (host_signal.c).
 */
bool host_chan_need(struct sim_nic *nic, unsigned int c, uint32_t len);
/* Read and dispatch what the guest wrote on channel c; returns packets handled. */
unsigned int host_chan_poll(struct sim_nic *nic, unsigned int c);

/* --- host_signal.c: how the host learns there is work, as Hyper-V ----------------------- */
/*
 * Serve channel c this round: count its signals, then poll it (--signals poll: always) or,
 * in hyperv mode, poll it while it has work, put it to sleep (interrupt_mask 0) when its
 * guest->host ring is empty, wake it on a signal, and watch a sleeping one for a missed
 * signal. Returns the work done, at least 1 while the channel stays awake.
 */
unsigned int host_chan_serve(struct sim_nic *nic, unsigned int c, uint64_t now);
/*
 * hyperv mode: the host->guest ring of channel c lacks need bytes; set pending_send_sz and
 * re-check. True when the channel now waits for the guest's signal, false when room came.
 */
bool host_chan_block(struct sim_nic *nic, unsigned int c, uint32_t need);
/* True when channel c waits for room (pending_send_sz set): it takes nothing meanwhile. */
bool host_chan_blocked(const struct sim_nic *nic, unsigned int c);
/* The monitor latency the guest set for a channel (100 ns units), 0 without a monitor id. */
uint16_t host_chan_latency(const struct sim_nic *nic, unsigned int c);

/* --- host_vf.c: the VF path (--vf) ---------------------------------------------------------- */
/* A frame for the guest that goes over the VF (true: taken, sent or counted as dropped). */
bool host_vf_receive(struct sim_nic *nic, const uint8_t *frame, uint32_t len);
/* The guest sent SWITCH_DATA_PATH. */
void host_vf_switched(struct sim_nic *nic, bool to_vf);
/* A new NVSP session: it hears the association again. */
void host_vf_session_reset(struct sim_nic *nic);

/* --- host_audit.c: what each side still owes the other ----------------------------------- */
/*
 * Count the receive sections the guest read but never completed (not waiting unread in a
 * host->guest ring, nor acked in a guest->host ring the host has not read yet); each
 * channel with some is a violation rule=rx-section-leak count=N. Once per receive buffer.
 */
void host_audit_rxbuf(struct sim_nic *nic, const char *when);
/* End of an NVSP session: receive sections, completions owed, control requests unanswered. */
void host_audit_session(struct sim_nic *nic);

/* --- host_nvsp.c ------------------------------------------------------------------------- */
/* Handle one packet: 0 consumed, -EAGAIN retry later (not consumed), -EPROTO channel dead. */
int host_nvsp_packet(struct sim_nic *nic, unsigned int c, const struct host_pkt *pkt);
/* Send an NVSP completion (padded to the negotiated message size) with tid. */
int host_nvsp_complete(struct sim_nic *nic, unsigned int c, uint64_t tid, const void *msg,
		       uint32_t len);
/* Complete an RNDIS carrier with a 108 {status}. */
int host_nvsp_rndis_complete(struct sim_nic *nic, unsigned int c, uint64_t tid,
			     uint32_t status);
/* Log and count a violation, stop channel c; returns -EPROTO for the caller to pass on. */
int host_fatal(struct sim_nic *nic, unsigned int c, const char *rule);

/* --- host_rndis.c ------------------------------------------------------------------------ */
/* A control carrier (107, channel_type 1) on channel c. Same returns as host_nvsp_packet. */
int host_rndis_control(struct sim_nic *nic, unsigned int c, const struct host_pkt *pkt,
		       const struct hv_nvsp_rndis_pkt *m);
/* Queue an RNDIS message for the guest's control sub-allocations; false if the queue is full. */
bool host_rndis_queue(struct sim_nic *nic, const void *msg, uint32_t len);
/* Send queued control messages while sub-allocations and ring room allow; returns sent. */
unsigned int host_rndis_flush(struct sim_nic *nic);
void host_rndis_reset(struct host_nic *hn);

/* --- host_offload.c: the host half of checksum, LSO and VLAN offloads --------------------- */
/* The offload PPIs of one guest packet (host_data.c found them). */
struct host_tx_ol {
	bool vlan;
	bool csum;
	bool lso;
	uint32_t vlan_info;
	uint32_t csum_info;
	uint32_t lso_info;
};

/* NDIS_OFFLOAD of the given revision and size with what --offload offers. */
void host_offload_caps(const struct sim_nic *nic, struct hv_ndis_offload *o, uint8_t rev,
		       uint16_t size);
/* Apply a validated OID_TCP_OFFLOAD_PARAMETERS, masked to what is offered. */
void host_offload_set(struct sim_nic *nic, const struct hv_ndis_offload_params *p);
/*
 * Put the frame of a guest packet on the wire as its PPIs ask: checksums filled, LSO cut
 * into MSS-sized frames, VLAN tag inserted. 0, or a negative errno for a failed packet.
 */
int host_offload_tx(struct sim_nic *nic, unsigned int c, const uint8_t *frame, uint32_t len,
		    const struct host_tx_ol *ol);
/* The checksum PPI value for a frame to the guest (0: nothing checked); counts nothing. */
uint32_t host_offload_rx_csum(struct sim_nic *nic, const uint8_t *frame, uint32_t len);

/* --- host_data.c ------------------------------------------------------------------------- */
/* A data carrier (107, channel_type 0). Same returns as host_nvsp_packet. */
int host_data_tx(struct sim_nic *nic, unsigned int c, const struct host_pkt *pkt,
		 const struct hv_nvsp_rndis_pkt *m);
/*
 * Read the RNDIS bytes a carrier points at into hn->gather: the send-buffer section first
 * (*chim_len bytes, 0 if none), then the GPA-direct ranges; *len is the total.
 * 0; -EIO for a per-packet failure; -EPROTO after a fatal violation.
 */
int host_carrier_read(struct sim_nic *nic, unsigned int c, const struct host_pkt *pkt,
		      const struct hv_nvsp_rndis_pkt *m, uint32_t *chim_len, uint32_t *len);
/* Receive buffer: set up from a 101 message, drop, re-split after channel changes. */
int host_rxbuf_setup(struct sim_nic *nic, uint16_t id);
void host_rxbuf_free(struct host_rxbuf *rx);
void host_rxbuf_split(struct sim_nic *nic);
/* Revoke: send what is batched if the ring allows, drop (and uncount) the rest. */
void host_rxbuf_revoke(struct sim_nic *nic);
/* Take a free control sub-allocation; -1 if none. */
int host_rxbuf_take_ctl(struct host_rxbuf *rx);
void host_rxbuf_put_back(struct sim_nic *nic, uint32_t idx);
/*
 * The guest acked transfer-page packet tid: every sub-allocation of it is free again.
 * 0, or -EPROTO for an unknown/duplicate tid.
 */
int host_rxbuf_release(struct sim_nic *nic, unsigned int c, uint64_t tid);
/* Write a one-range transfer-page packet for sub-allocation idx holding byte_count bytes. */
int host_send_xfer(struct sim_nic *nic, unsigned int c, uint32_t idx, uint32_t byte_count,
		   uint32_t chan_type);

/*
 * --- host_fault.c: the corrupting helpers, called where the host writes what it sends.
 * Each corrupts only while a fault of its kind is armed; host_fault_sent then consumes one,
 * logs "fault nic=N ..." and counts it (frames: data frames the guest loses with it).
 */
void host_fault_sent(struct sim_nic *nic, unsigned int c, enum host_fault_kind kind,
		     uint32_t frames);
/*
 * Data batch x of n ranges on channel c: may corrupt or add ranges; *out says how the packet
 * goes out (initialised honest by the caller).
 */
enum host_fault_kind host_fault_xfer(const struct sim_nic *nic, unsigned int c,
				     struct host_xfer *x, uint32_t n, struct host_xfer_out *out);
/* Frames the guest loses with an xfer fault of kind on a batch of n frames. */
uint32_t host_fault_xfer_lost(enum host_fault_kind kind, uint32_t n);
/* Sub-allocation idx is free again: no fault touches it any more. */
void host_fault_released(struct sim_nic *nic, uint32_t idx);
/* A filled data sub-allocation: RNDIS lengths or its first PPI (consumed at once). */
void host_fault_rx_frame(struct sim_nic *nic, unsigned int c, uint8_t *sub, uint32_t sub_size);
/* After a tx carrier's completion: an unknown and a repeated completion id. */
void host_fault_tx_done(struct sim_nic *nic, unsigned int c, uint64_t tid);
/*
 * A QUERY_CMPLT for oid about to be queued, info its answer: info buffer beyond the message,
 * another type, request id or status, a wrong size, bad capability headers.
 */
void host_fault_query(struct sim_nic *nic, uint32_t oid, struct hv_rndis_query_cmplt *r,
		      uint8_t *info);
/* An INITIALIZE_CMPLT about to be queued (*len bytes): short, or hostile limits. */
void host_fault_init(struct sim_nic *nic, struct hv_rndis_init_cmplt *r, uint32_t *len);
/* An NVSP completion about to be sent (INIT, receive and send buffer, subchannels). */
void host_fault_nvsp_reply(struct sim_nic *nic, void *msg);
/* Length to send on channel c of an RNDIS packet completion of len bytes. */
uint32_t host_fault_nvsp_len(const struct sim_nic *nic, unsigned int c, uint32_t len);
/* A descriptor about to be written on channel c: the ring fault made of it, or NONE. */
enum host_fault_kind host_fault_desc(const struct sim_nic *nic, unsigned int c,
				     struct hv_vmbus_desc *d);
/* Right after a packet was written on channel c's ring r: the fault made of it, or NONE. */
enum host_fault_kind host_fault_written(const struct sim_nic *nic, unsigned int c,
					struct host_ring *r);
/* Before channel c's guest->host ring is read: true to leave it unread now. */
bool host_fault_hold(struct sim_nic *nic, unsigned int c);
/* Once per host poll: the faults that are messages of their own or take several steps. */
void host_fault_poll(struct sim_nic *nic);
/* Free the faults' state (NIC teardown). */
void host_fault_fini(struct host_nic *hn);
/* Before a write on channel c: hostile pending_send_sz or interrupt_mask values. */
void host_fault_ring(struct sim_nic *nic, unsigned int c);

#endif /* HVNET_HOST_H */
