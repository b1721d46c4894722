/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The simulated Hyper-V host: what the parts of dpdk-test-hvnet share.
 *
 * Three layers, each in its own files, talking only through the calls declared here:
 *  - env  (sim_env.c, sim_main.c, sim_ctl.c, shim/uio_shim.c): the "kernel" side. Backing
 *    files, the sysfs tree as uio_hv_generic makes it, /dev/uioN through an LD_PRELOAD shim,
 *    the guest process in its own mount namespace, the main loop, options, stats, control.
 *  - host (host_ring.c, host_nvsp.c, host_rndis.c, host_data.c): what Hyper-V's NetVSP does
 *    on the channels: ring endpoints, NVSP, RNDIS, receive buffer, send buffer.
 *  - wire (host_wire.c, host_rss.c, host_gen.c): what is behind each NIC: loop, peer, TAP,
 *    pcap, the traffic generator and checker, Toeplitz RSS.
 * Nothing here is shared with the drivers except include/hv_wire.h (wire formats only).
 */
#ifndef HVNET_SIM_H
#define HVNET_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <signal.h>
#include <sys/types.h>

#define SIM_MAX_NICS		8
#define SIM_MAX_SUBCHANNELS	64
#define SIM_MAX_CHANNELS	(SIM_MAX_SUBCHANNELS + 1)
#define SIM_CHAN_VF		SIM_MAX_CHANNELS	/* the "channel" of frames on the VF path */
#define SIM_HV_PAGE		4096u
#define SIM_NO_MONITOR		255

/* Exit code for bad options (doc/guides/tools/test-hvnet.rst). */
#define SIM_EXIT_USAGE		2

/* What a 4-byte write to /dev/uioN does: which uio_hv_generic the shim plays (--uio-kernel). */
enum sim_kernel {
	/*
	 * Linux d062463edf17 ("uio_hv_generic: Set event for all channels on the device", 6.15
	 * and stable backports): the write sets interrupt_mask on every channel's host->guest
	 * ring and signals each channel without a monitor id; each interrupt masks its channel.
	 */
	SIM_KERNEL_ALL,
	/* Before it: the write masks/unmasks and signals the primary channel only. */
	SIM_KERNEL_PRIMARY,
	/*
	 * SIM_KERNEL_ALL and Linux b15b7d2a1b09 ("Let userspace take care of interrupt mask",
	 * 6.17 and stable backports): the kernel never sets a mask by itself (not at channel
	 * open, not on an interrupt), user space owns them all.
	 */
	SIM_KERNEL_USERMASK,
};

/* How the host learns there is work (--signals). */
enum sim_signals {
	SIM_SIGNALS_HYPERV,	/* sleep on an empty ring until the guest signals, as Hyper-V */
	SIM_SIGNALS_POLL,	/* poll every ring all the time; signals are only counted */
};

#define SIM_UIO_LISTENERS	128	/* opens of one uio device at a time (listeners) */
#define SIM_LISTENER_FREE	0u
#define SIM_LISTENER_BUSY	1u	/* the shim is setting it up or tearing it down */
#define SIM_LISTENER_LIVE	2u

/*
 * One open of /dev/uioN. As with uio, every open is its own listener: each has its own event
 * FIFO (SIM_UIO_LISTENER_FMT), which the host writes a byte to per interrupt, so that one
 * open consuming an interrupt never hides it from another.
 */
struct sim_uio_listener {
	uint32_t state;		/* SIM_LISTENER_*: the shim claims and frees, the host reads */
	uint32_t gen;		/* bumped by the shim at each claim: a new FIFO behind the slot */
	int32_t pid;		/* owner: the host drops listeners of processes that died */
};

/* A channel of the device as the "kernel" knows it: what a uio write has to act on. */
struct sim_uio_chan {
	uint32_t relid;		/* 0 = no channel at this index */
	uint16_t gen;		/* host: ++ whenever the channel at this index changes */
	uint8_t monitor_id;	/* SIM_NO_MONITOR: signalled by the kernel's hypercall */
	uint8_t pad;
};

/*
 * One page per uio device shared between the host and the guest's LD_PRELOAD shim
 * (file <workdir>/uio/uioN.ctl). It carries what the kernel would do synchronously:
 * channel open/close on first open/last close, interrupts (event_count is a futex word),
 * and the guest's 4-byte writes with what they signal.
 */
#define SIM_UIO_CTL_MAGIC	0x48565549u	/* "HVUI" */
struct sim_uio_ctl {
	uint32_t magic;
	uint32_t open_req;	/* shim: ++ on the first open of the device */
	uint32_t open_ack;	/* host: = open_req once the primary channel is reset/open */
	uint32_t close_req;	/* shim: ++ on the last close */
	uint32_t close_ack;	/* host: = close_req once the channel is torn down */
	uint32_t event_count;	/* host: ++ per interrupt to the guest (futex word for read()) */
	uint32_t irq_writes;	/* shim: ++ per 4-byte write() */
	uint32_t irq_value;	/* shim: last value written */
	int32_t guest_pid;	/* shim: pid of the process that opened the device */
	uint32_t open_count;	/* shim: file descriptors open now, across the guest */
	uint32_t signals;	/* shim: ++ when a write() means "signal the host" */
	uint32_t rescinded;	/* host: 1 once the device is rescinded (read EIO, open ENODEV) */
	uint32_t kernel;	/* host: enum sim_kernel */
	char uuid[40];		/* host: the device's instance, for channels/<relid>/ring */
	struct sim_uio_chan chan[SIM_MAX_CHANNELS];	/* host: by channel index */
	/* shim: ++ per kernel signal (hypercall) of the channel at that index */
	uint32_t chan_signals[SIM_MAX_CHANNELS];
	struct sim_uio_listener listener[SIM_UIO_LISTENERS];
};

_Static_assert(sizeof(struct sim_uio_ctl) <= SIM_HV_PAGE, "uio ctl page overflows");

/*
 * One page for the whole run (<workdir>/uio/doorbell): the shim bumps the word and wakes its
 * futex after every kernel signal, so that a host asleep on it wakes at once, as a hypercall
 * reaches Hyper-V. Monitor-page signals ring nothing: the host finds them at its next scan.
 */
struct sim_doorbell {
	uint32_t ring;
};

/* Per-NIC counters, host's view. "to_guest" = host -> guest, "from_guest" = guest -> host. */
struct sim_nic_stats {
	uint64_t to_guest_frames;
	uint64_t to_guest_bytes;
	uint64_t rx_filtered;	/* dropped: packet filter did not accept the frame */
	uint64_t rx_nobuf;	/* dropped: no free receive sub-allocation or ring space */
	uint64_t rx_link_down;	/* dropped: link down */
	uint64_t from_guest_frames;
	uint64_t from_guest_bytes;
	uint64_t tx_chimney;	/* frames that came through a send-buffer section */
	uint64_t tx_gpa;	/* frames that came GPA-direct */
	uint64_t tx_gpa_rxbuf;	/* of those, from a receive buffer (external mbufs sent on) */
	uint64_t tx_errors;	/* frames completed with a failure status */
	uint64_t violations;	/* protocol rules the guest broke (each is also logged) */
	uint64_t faults;	/* corrupted messages injected by control 'fault' */
	uint64_t host_signals;	/* guest->host signals: monitor bits found, kernel hypercalls */
	uint64_t signals_unneeded;	/* ... that came while the host was not waiting for one */
	uint64_t guest_interrupts;	/* host->guest interrupts (uio events) */
	uint64_t missed_signals;	/* stalls named by the watchdog (each also a violation) */
	uint64_t rx_sections_leaked;	/* receive sections read but never completed */
	uint64_t tx_completions_owed;	/* guest packets asking a completion that got none */
	uint64_t ctl_unanswered;	/* RNDIS control requests whose response never went out */
	uint64_t tx_csum_filled;	/* guest frames whose checksums the host filled */
	uint64_t tx_lso_sends;		/* LSOv2 sends the host segmented ... */
	uint64_t tx_lso_segments;	/* ... into these frames */
	uint64_t rx_csum_bad;		/* frames to the guest reported with a failed checksum */
};

/* Per channel index, over the whole run (a subchannel offered again counts on). */
struct sim_chan_stats {
	uint64_t signals;	/* guest->host signals for this channel */
	uint64_t unneeded;	/* ... while the host was not waiting on it */
	uint64_t interrupts;	/* host->guest interrupts for this channel */
	uint64_t sleeps;	/* times the host went to wait for a signal (ring empty) */
	uint64_t pending_waits;	/* times the host waited with pending_send_sz (ring full) */
	uint16_t latency;	/* monitor latency the guest set, 100 ns units (last seen) */
	uint8_t monitor_id;	/* of the channel last offered at this index */
	bool used;		/* a channel was offered at this index */
};

struct sim_chan {
	uint32_t relid;
	uint16_t subidx;	/* 0 = primary, 1..64 = subchannel */
	uint8_t monitor_id;	/* SIM_NO_MONITOR when the channel has none */
	bool offered;		/* visible to the guest */
	uint8_t *ring;		/* ring pair: guest->host ring at 0, host->guest at ring_size/2 */
	size_t ring_size;	/* whole pair */
	void *host;		/* host layer state of this channel (host_*.c) */
};

struct sim;

struct sim_nic {
	struct sim *sim;
	unsigned int idx;
	char uuid[40];		/* lowercase, no braces */
	unsigned int uio;	/* N of /dev/uioN */
	uint8_t mac[6];
	uint32_t mtu;		/* L3 MTU (1500 = standard frames); host maximum */
	uint64_t speed_mbps;
	bool link_up;
	uint32_t max_queues;	/* channels the host offers at most, primary included */
	uint32_t nvsp_max;	/* highest NVSP version accepted (hv_wire.h values) */
	char wire_spec[256];	/* --wire for this NIC */

	uint8_t *int_page;	/* map 1 */
	uint8_t *monitor_page;	/* map 2 */
	uint8_t *rxbuf;		/* map 3 */
	size_t rxbuf_size;
	uint32_t rxbuf_gpadl;
	uint8_t *sendbuf;	/* map 4 */
	size_t sendbuf_size;
	uint32_t sendbuf_gpadl;
	struct sim_uio_ctl *ctl;
	uint32_t seen_open;	/* last ctl->open_req handled */
	uint32_t seen_close;	/* last ctl->close_req handled */

	unsigned int nchan;	/* channels in chan[] (primary at 0), offered or not */
	struct sim_chan chan[SIM_MAX_CHANNELS];

	void *host;		/* host layer state of this NIC */
	void *wire;		/* wire layer state of this NIC */
	struct sim_nic_stats stats;
	struct sim_chan_stats chan_stats[SIM_MAX_CHANNELS];
};

/* --offload: the task offloads the host offers. */
enum sim_offload {
	SIM_OFFLOAD_ALL,	/* checksums and LSOv2, IPv4 and IPv6, as Hyper-V */
	SIM_OFFLOAD_NONE,
	SIM_OFFLOAD_CSUM,	/* checksums only, no LSO */
	SIM_OFFLOAD_NO_IPV6,	/* IPv4 checksums and LSO only */
};

/*
 * --rx-layout: where a frame lies in the RNDIS message of its receive section. Every valid
 * layout must work: RNDIS gives the frame's place by the PACKET's data offset, nothing more.
 */
enum sim_rx_layout {
	SIM_RX_LAYOUT_FIXED,	/* 256 bytes into the section, as OpenVMM's netvsp puts it */
	SIM_RX_LAYOUT_PACKED,	/* right after the last PPI: 60-108 bytes in */
};

struct sim_opts {
	unsigned int nics;		/* --nics N (1..8), default 1 */
	unsigned int queues;		/* --queues MAX (1..65), channels per NIC, default 8 */
	uint32_t mtu;			/* --mtu BYTES (L3, 576..9000), default 1500 */
	uint64_t speed_mbps;		/* --speed MBPS, default 10000 */
	size_t rxbuf_size;		/* --rxbuf SIZE, default 31 MiB */
	size_t sendbuf_size;		/* --sendbuf SIZE, default 16 MiB */
	size_t ring_size;		/* --ring SIZE per direction incl. header page, default 2 MiB */
	uint32_t nvsp_max;		/* --nvsp VERSION (1, 2, 4, 5, 6, 6.1), default 6.1 */
	unsigned int stats_interval;	/* --stats SECONDS, 0 = off */
	bool no_monitor;		/* --no-monitor: channels without monitor id */
	bool vf;			/* --vf: every NIC has a VF (host_vf.c) */
	bool vf_absent;			/* --vf-absent: ... added later, not there at start */
	uint64_t vf_cycle_ms;		/* --vf-cycle MS: remove/add the VF that often, 0 = never */
	enum sim_signals signals;	/* --signals hyperv|poll, default hyperv */
	enum sim_kernel kernel;		/* --uio-kernel all|primary|usermask, default all */
	enum sim_offload offload;	/* --offload all|none|csum|no-ipv6, default all */
	enum sim_rx_layout rx_layout;	/* --rx-layout fixed|packed, default fixed */
	unsigned int guest_timeout;	/* --timeout SECONDS: SIGKILL the guest after it; 0 = never */
	char ctl_path[256];		/* --ctl PATH: unix datagram socket for run-time commands */
	char macs[SIM_MAX_NICS][6];
	bool mac_set[SIM_MAX_NICS];
	char wire[SIM_MAX_NICS][256];	/* --wire KIND or NIC=KIND */
	char gen[SIM_MAX_NICS][128];	/* --gen NIC:COUNT:MIN[-MAX][:FLOWS] */
	char rate[SIM_MAX_NICS][128];	/* --rate NIC:PPS|max:SIZE[:FLOWS[:COUNT]] */
	bool verbose;			/* -v: log every control message */
};

struct sim {
	struct sim_opts opt;
	char workdir[256];		/* /dev/shm/hvnet-sim-XXXXXX: backing files + sysfs tree */
	unsigned int nnics;
	struct sim_nic nic[SIM_MAX_NICS];
	uint32_t next_relid;
	uint32_t next_gpadl;
	pid_t guest;			/* the guest command's pid (child of the host) */
	volatile sig_atomic_t stop;
	void *wires;			/* wire layer global state */
	struct sim_doorbell *doorbell;	/* rung by the shim at every kernel signal */
	uint64_t run_start;		/* when the guest was started (ns) */
	uint64_t busy_ns;		/* main-loop rounds that moved something: the host's load */
};

/* --- env: sim_env.c -------------------------------------------------------------------- */
int sim_env_create(struct sim *sim);
void sim_env_destroy(struct sim *sim);
int sim_env_spawn_guest(struct sim *sim, char **argv);
/*
 * Offer n more subchannels on nic (subidx nic->nchan .. nic->nchan + n - 1): allocate relids,
 * back and map their rings, reset both ring headers (host_ring_pair_reset), publish each
 * channels/<relid>/ directory atomically (built under a dot name, then renamed).
 * Returns 0 or -errno; on error nothing new is visible.
 */
int sim_env_offer_subchannels(struct sim_nic *nic, unsigned int n);
/* Remove every subchannel (as the kernel does when the primary channel closes). */
void sim_env_rescind_subchannels(struct sim_nic *nic);
/*
 * Interrupt the guest for channel chan (SIM_MAX_CHANNELS: for no channel, as a rescind): as
 * the kernel's channel callback, mask the channel's host->guest ring unless user space owns
 * the masks (--uio-kernel usermask); then a byte on every listener's event FIFO (what makes
 * each open's fd poll readable), ctl->event_count++ and wake futex waiters.
 */
void sim_env_interrupt_guest(struct sim_nic *nic, unsigned int chan);
/* Read len bytes of guest memory at guest IOVA (= guest virtual address: --iova-mode=va). */
int sim_env_guest_read(struct sim_nic *nic, uint64_t iova, void *dst, size_t len);
/* Whether the guest's address iova lies in its mapping of a NIC's receive buffer. */
bool sim_env_guest_in_rxbuf(struct sim_nic *nic, uint64_t iova);
/* CLOCK_MONOTONIC in nanoseconds (sim_main.c). */
uint64_t sim_now_ns(void);
/* Log helpers: every host line on stderr starts with "hvnet-sim: ". */
void sim_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void sim_vlog(struct sim_nic *nic, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* --- host: host_*.c ------------------------------------------------------------------- */
/*
 * Reset a ring pair to the state of a freshly opened channel: indices 0, the host polling its
 * guest->host ring (interrupt_mask 1); the host->guest ring masked when guest_masked (the
 * kernel masks a channel it opens, before Linux b15b7d2a1b09), else left 0.
 */
void host_ring_pair_reset(uint8_t *ring, size_t ring_size, bool guest_masked);
int host_nic_init(struct sim_nic *nic);
void host_nic_fini(struct sim_nic *nic);
/* The guest opened (first open) or closed (last close) the device: fresh NVSP state. */
void host_nic_reset(struct sim_nic *nic);
/* Process what the guest wrote on every channel; returns how much work was done. */
unsigned int host_nic_poll(struct sim_nic *nic);
/*
 * --signals hyperv: when the host must look at nic again with nothing signalled (a monitor
 * page scan or a watchdog look, ns), UINT64_MAX when only a signal can wake it.
 */
uint64_t host_nic_next_wake(struct sim_nic *nic);
/*
 * A frame arrives from the wire for the guest: packet filter, RSS channel choice, receive
 * buffer, then the channel's batch (one transfer-page packet, sent when full, when the ring
 * has no room for a bigger one, or by host_nic_flush). Returns the channel index it was put
 * on (>= 0, counted), -ENOBUFS when there is no room now (nothing counted: the caller may
 * retry), -EPERM when the filter or a down link drops it (counted), -EINVAL for a bad length.
 */
int host_nic_receive(struct sim_nic *nic, const uint8_t *frame, uint32_t len);
/*
 * What the host derives from a frame's headers for its receive PPIs: the RSS hash and the
 * checksum verdict. A sender of many frames with the same metadata (the same addresses, ports
 * and protocol, checksums all right) keeps one per flow, so the host parses, hashes and checks
 * such a flow once, not per frame: it is redone whenever the guest sets RSS or offload
 * parameters. All zero: empty.
 */
struct sim_rx_memo {
	uint64_t epoch;		/* the host's rx_epoch it was derived under, 0: none */
	uint32_t csum;		/* checksum PPI value */
	uint32_t hash;
	uint32_t hash_type;
	bool hashed;
};
/* host_nic_receive of a frame whose metadata memo holds or is to hold. */
int host_nic_receive_memo(struct sim_nic *nic, const uint8_t *frame, uint32_t len,
			  struct sim_rx_memo *memo);
/* True once the guest has set a packet filter: a replayed capture waits for it. */
bool host_nic_listening(const struct sim_nic *nic);
/*
 * End of a poll round: send the frames host_nic_receive batched on each channel (one
 * transfer-page packet per channel). Returns frames sent; what the ring cannot take now stays
 * batched for the next call.
 */
unsigned int host_nic_flush(struct sim_nic *nic);
void host_nic_set_link(struct sim_nic *nic, bool up);
/*
 * host_vf.c (--vf): setup/teardown per NIC (the veth pair), poll (association messages,
 * scheduled changes, frames the guest sent over the VF), a control command ("add|remove
 * [msg-first|dev-first]": NULL when done, else why not), the "vf" summary line.
 */
int host_vf_setup(struct sim_nic *nic);
void host_vf_teardown(struct sim_nic *nic);
unsigned int host_vf_poll(struct sim_nic *nic);
const char *host_vf_command(struct sim_nic *nic, const char *arg);
void host_vf_summary(struct sim_nic *nic);
void host_nic_set_speed(struct sim_nic *nic, uint64_t mbps);
/*
 * Arm COUNT faults of KIND (host_fault.c names) on nic, on channel chan only (-1: whichever
 * comes first); -EINVAL for an unknown kind or channel.
 */
int host_fault_arm(struct sim_nic *nic, const char *kind, uint32_t count, int chan);
/*
 * The subchannel id to offer for channel c, the last of the n offered from first on: c, or
 * a duplicate or out-of-range one while a subch_id fault is armed (host_fault.c).
 */
uint16_t host_fault_subch_id(struct sim_nic *nic, unsigned int c, unsigned int first,
			     unsigned int n);
/* Record a broken rule: logs "violation nic=N chan=C rule=..." and counts it. */
void host_violation(struct sim_nic *nic, unsigned int chan, const char *rule);

/* --- wire: host_wire.c, host_rss.c, host_gen.c ------------------------------------------ */
int wire_setup(struct sim *sim);
void wire_teardown(struct sim *sim);
/* The guest sent a frame on nic's channel chan: hand it to the wire (and the checker). */
void wire_transmit(struct sim_nic *nic, unsigned int chan, const uint8_t *frame, uint32_t len);
/* Move frames from TAP/pcap/generator/peer backlog to the guest; returns work done. */
unsigned int wire_poll(struct sim *sim);
/* Start the generator at run time (control command): see host_gen.c. */
int wire_gen_start(struct sim_nic *nic, const char *spec);
/* Start a rate run (--rate, control 'rate'): PPS|max:SIZE[:FLOWS[:COUNT]], see host_gen.c. */
int wire_rate_start(struct sim_nic *nic, const char *spec);
/* When a rate run is next due (ns, CLOCK_MONOTONIC), UINT64_MAX when none is. */
uint64_t wire_next_wake(struct sim *sim);
/* Replay a pcap file into nic now (control 'replay'): a pcap wire whose input is done. */
int wire_replay(struct sim_nic *nic, const char *path);
/* Print the wire/generator summary lines for nic. */
void wire_summary(struct sim_nic *nic);
#define RSS_INPUT_MAX		36u	/* two IPv6 addresses and two ports */

/*
 * The Toeplitz hash of one key as a table: the hash is linear in its input, so t[i][v] is what
 * byte v at input position i adds to it, and a hash is one lookup per input byte.
 */
struct rss_hasher {
	uint32_t t[RSS_INPUT_MAX][256];
};

/*
 * Toeplitz over data with a 40-byte key, bit by bit (the definition). rss_hasher_init: the
 * table of a 40-byte key. rss_frame_hash: hash of the frame as NDIS hash_info asks (IPv4/IPv6
 * 2-tuple or TCP/UDP 4-tuple); returns false when the frame has no hashable type, else fills
 * *hash and *hash_type (NDIS_HASH_* bit of the type used).
 */
uint32_t rss_toeplitz(const uint8_t *key, size_t keylen, const uint8_t *data, size_t n);
void rss_hasher_init(struct rss_hasher *h, const uint8_t *key);
bool rss_frame_hash(const struct rss_hasher *h, uint32_t hash_info, const uint8_t *frame,
		    uint32_t len, uint32_t *hash, uint32_t *hash_type);

#endif /* HVNET_SIM_H */
