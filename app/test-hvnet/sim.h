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
#define SIM_HV_PAGE		4096u
#define SIM_NO_MONITOR		255

/* Exit code for bad options (doc/guides/tools/test-hvnet.rst). */
#define SIM_EXIT_USAGE		2

/*
 * One page per uio device shared between the host and the guest's LD_PRELOAD shim
 * (file <workdir>/uio/uioN.ctl). It carries what the kernel would do synchronously:
 * channel open/close on first open/last close, interrupts (event_count is a futex word),
 * and the guest's 4-byte writes.
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
	uint64_t tx_errors;	/* frames completed with a failure status */
	uint64_t violations;	/* protocol rules the guest broke (each is also logged) */
	uint64_t faults;	/* corrupted messages injected by control 'fault' */
	uint64_t host_signals;	/* guest->host signals seen (monitor or interrupt page bits) */
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
	unsigned int guest_timeout;	/* --timeout SECONDS: SIGKILL the guest after it; 0 = never */
	char ctl_path[256];		/* --ctl PATH: unix datagram socket for run-time commands */
	char macs[SIM_MAX_NICS][6];
	bool mac_set[SIM_MAX_NICS];
	char wire[SIM_MAX_NICS][256];	/* --wire KIND or NIC=KIND */
	char gen[SIM_MAX_NICS][128];	/* --gen NIC:COUNT:MIN[-MAX][:FLOWS] */
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
 * Interrupt the guest: a byte on the device's event FIFO (what makes the shim's uio fd
 * poll readable), then ctl->event_count++ and wake futex waiters.
 */
void sim_env_interrupt_guest(struct sim_nic *nic);
/* Read len bytes of guest memory at guest IOVA (= guest virtual address: --iova-mode=va). */
int sim_env_guest_read(struct sim_nic *nic, uint64_t iova, void *dst, size_t len);
/* Log helpers: every host line on stderr starts with "hvnet-sim: ". */
void sim_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void sim_vlog(struct sim_nic *nic, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* --- host: host_*.c ------------------------------------------------------------------- */
/* Reset a ring pair to the state of a freshly opened channel. */
void host_ring_pair_reset(uint8_t *ring, size_t ring_size);
int host_nic_init(struct sim_nic *nic);
void host_nic_fini(struct sim_nic *nic);
/* The guest opened (first open) or closed (last close) the device: fresh NVSP state. */
void host_nic_reset(struct sim_nic *nic);
/* Process what the guest wrote on every channel; returns how much work was done. */
unsigned int host_nic_poll(struct sim_nic *nic);
/*
 * A frame arrives from the wire for the guest: packet filter, RSS channel choice, receive
 * buffer, then the channel's batch (one transfer-page packet, sent when full, when the ring
 * has no room for a bigger one, or by host_nic_flush). Returns the channel index it was put
 * on (>= 0, counted), -ENOBUFS when there is no room now (nothing counted: the caller may
 * retry), -EPERM when the filter or a down link drops it (counted), -EINVAL for a bad length.
 */
int host_nic_receive(struct sim_nic *nic, const uint8_t *frame, uint32_t len);
/*
 * End of a poll round: send the frames host_nic_receive batched on each channel (one
 * transfer-page packet per channel). Returns frames sent; what the ring cannot take now stays
 * batched for the next call.
 */
unsigned int host_nic_flush(struct sim_nic *nic);
void host_nic_set_link(struct sim_nic *nic, bool up);
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
/* Print the wire/generator summary lines for nic. */
void wire_summary(struct sim_nic *nic);
/*
 * Toeplitz over data with a 40-byte key. rss_frame_hash: hash of the frame as NDIS hash_info
 * asks (IPv4/IPv6 2-tuple or TCP/UDP 4-tuple); returns false when the frame has no hashable
 * type, else fills *hash and *hash_type (NDIS_HASH_* bit of the type used).
 */
uint32_t rss_toeplitz(const uint8_t *key, size_t keylen, const uint8_t *data, size_t n);
bool rss_frame_hash(const uint8_t *key, uint32_t hash_info, const uint8_t *frame,
		    uint32_t len, uint32_t *hash, uint32_t *hash_type);

#endif /* HVNET_SIM_H */
