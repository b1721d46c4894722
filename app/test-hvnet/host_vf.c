/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * --vf: accelerated networking as the platform plays it. Each NIC gets a VF: a veth pair in
 * the host's network namespace (which the guest shares), the guest end hvvfN with the NIC's
 * MAC, the host end hvvfNh read and written through an AF_PACKET socket. The guest finds the
 * VF by that MAC and drives it with another PMD; on Azure it would be a hot-plugged PCI
 * function. The host announces it (NVSP VF association), honours SWITCH_DATA_PATH (unicast
 * for the NIC's MAC goes over the VF while switched; broadcast and multicast stay synthetic)
 * and removes and re-adds it on command ("vf N remove|add [msg-first|dev-first]") or every
 * --vf-cycle MS, alternating the two orders. Removing the device is a surprise removal: the
 * guest end disappears under the guest's PMD.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>

#include "host.h"

#define VF_BURST		256u	/* frames read from the VF per poll */
#define VF_SOCKET_BUF		(16 << 20)	/* bytes the VF's socket may hold */
#define VF_STEP_DELAY_NS	(300ull * 1000 * 1000)	/* between the two halves of a change */

enum vf_step {
	VF_IDLE,
	VF_DEL_DEVICE,		/* remove, message sent: the device goes next */
	VF_DEL_MESSAGE,		/* remove, device gone: the message goes next */
	VF_ADD_DEVICE,		/* add, message sent: the device comes next */
	VF_ADD_MESSAGE,		/* add, device back: the message goes next */
};

struct host_vf {
	bool device;		/* the veth pair exists */
	bool offered;		/* association: allocated */
	bool announced;		/* this NVSP session heard the current 'offered' */
	int fd;			/* AF_PACKET socket on the host end, -1 without device */
	enum vf_step step;
	uint64_t step_at;	/* when the pending half of a change is due (ns) */
	uint64_t next_cycle;	/* --vf-cycle: next change (ns), 0 = none */
	unsigned int cycles;	/* changes made by the schedule (its order alternates) */
	uint8_t frame[HOST_FRAME_MAX];
	/* Counters (the "vf" summary line). */
	uint64_t to_vf_frames;		/* wire -> guest over the VF */
	uint64_t from_vf_frames;	/* guest -> wire over the VF */
	uint64_t vf_drops;		/* the VF would not take a frame */
	uint64_t switches_to_vf;	/* SWITCH_DATA_PATH from the guest */
	uint64_t switches_to_synthetic;
	uint64_t adds;
	uint64_t removes;
	uint64_t assoc_msgs;
};

static struct host_vf *
vf_of(const struct sim_nic *nic)
{
	return host_of(nic)->vf;
}

static int
vf_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Run an ip(8) command: the host owns the VF's kernel side as a hypervisor owns the PF. */
static int
vf_sh(const char *fmt, ...)
{
	char cmd[256];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	rc = system(cmd);
	if (rc != 0)
		sim_log("vf: '%s' failed (%d)", cmd, rc);
	return rc == 0 ? 0 : -EIO;
}

static int
vf_open_socket(struct sim_nic *nic, struct host_vf *vf)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL) };
	char name[IF_NAMESIZE];
	int fd, buf = VF_SOCKET_BUF;

	snprintf(name, sizeof(name), "hvvf%uh", nic->idx);
	sll.sll_ifindex = (int)if_nametoindex(name);
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(ETH_P_ALL));
	if (fd < 0 || sll.sll_ifindex == 0 ||
	    bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		sim_log("vf: nic=%u: AF_PACKET on %s: %s", nic->idx, name, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -EIO;
	}
	/* Room for what the guest sends between two polls of a sleeping host (1 ms). */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof(buf)) < 0)
		sim_log("vf: nic=%u: receive buffer of %d bytes: %s", nic->idx, buf,
			strerror(errno));
	vf->fd = fd;
	return 0;
}

/* The device appears: a veth pair, guest end with the NIC's MAC, no IPv6 chatter, both up. */
static int
vf_device_add(struct sim_nic *nic)
{
	struct host_vf *vf = vf_of(nic);
	const uint8_t *m = nic->mac;
	unsigned int i = nic->idx;

	if (vf->device)
		return 0;
	if (vf_sh("ip link add hvvf%u type veth peer name hvvf%uh", i, i) != 0)
		return -EIO;
	vf_sh("sysctl -qw net.ipv6.conf.hvvf%u.disable_ipv6=1 net.ipv6.conf.hvvf%uh.disable_ipv6=1",
	      i, i);
	if (vf_sh("ip link set hvvf%u address %02x:%02x:%02x:%02x:%02x:%02x mtu %u up", i, m[0],
		  m[1], m[2], m[3], m[4], m[5], nic->mtu) != 0 ||
	    vf_sh("ip link set hvvf%uh mtu %u up", i, nic->mtu) != 0 ||
	    vf_open_socket(nic, vf) != 0) {
		vf_sh("ip link del hvvf%uh", i);
		return -EIO;
	}
	vf->device = true;
	vf->adds++;
	sim_log("vf nic=%u: device hvvf%u added", i, i);
	return 0;
}

/* The device goes, with no word to the guest (surprise removal when the message follows). */
static void
vf_device_del(struct sim_nic *nic)
{
	struct host_vf *vf = vf_of(nic);

	if (!vf->device)
		return;
	close(vf->fd);
	vf->fd = -1;
	vf->device = false;
	vf->removes++;
	vf_sh("ip link del hvvf%uh", nic->idx);
	sim_log("vf nic=%u: device hvvf%u removed", nic->idx, nic->idx);
}

/* An in-band NVSP message from the host, padded to the session's message size. */
static int
vf_nvsp_send(struct sim_nic *nic, uint64_t tid, const void *msg, uint32_t len)
{
	uint8_t buf[HV_NVSP_MSG_SIZE_V61] = { 0 };
	uint32_t size = host_of(nic)->msg_size;

	memcpy(buf, msg, len);
	return host_chan_send(nic, 0, HV_PKT_DATA_INBAND, HV_PKT_FLAG_RC, tid, NULL, 0, buf,
			      size > len ? size : len, HOST_REPLY_ROOM);
}

/* SEND_VF_ASSOCIATION as OpenVMM sends it: in-band, its reserved id, a completion asked. */
static void
vf_announce(struct sim_nic *nic)
{
	struct host_nic *hn = host_of(nic);
	struct host_vf *vf = vf_of(nic);
	struct hv_nvsp_vf_assoc m = {
		.type = HV_NVSP_MSG_VF_ASSOC,
		.allocated = vf->offered,
		.serial = nic->idx + 1,
	};

	/* Only a guest that declared SR-IOV hears of a VF, after RNDIS INITIALIZE. */
	if (vf->announced || hn->state != HOST_READY || !hn->rndis_init ||
	    !(hn->ndis_caps & HV_NDIS_CAP_SRIOV) || hn->version < HV_NVSP_VERSION_4)
		return;
	if (!vf->offered && hn->datapath_vf) {
		/* The host takes the data path back itself before it takes the VF away. */
		struct hv_nvsp_switch_datapath s = {
			.type = HV_NVSP_MSG_SWITCH_DATAPATH,
			.active_datapath = HV_NVSP_DATAPATH_SYNTHETIC,
		};

		if (vf_nvsp_send(nic, HV_NVSP_TID_SWITCH_DATAPATH, &s, sizeof(s)) != 0)
			return;
		hn->datapath_vf = false;
	}
	if (vf_nvsp_send(nic, HV_NVSP_TID_VF_ASSOC, &m, sizeof(m)) != 0)
		return;		/* no room now: the next poll tries again */
	vf->announced = true;
	vf->assoc_msgs++;
	sim_log("vf nic=%u: association allocated=%u serial=%u", nic->idx, m.allocated,
		m.serial);
}

static void
vf_offer(struct sim_nic *nic, bool offered)
{
	struct host_vf *vf = vf_of(nic);

	vf->offered = offered;
	vf->announced = false;
	vf_announce(nic);
}

static const char *
vf_change(struct sim_nic *nic, bool add, bool msg_first)
{
	struct host_vf *vf = vf_of(nic);

	if (vf->step != VF_IDLE)
		return "a change is under way";
	if (add == (vf->device || vf->offered))
		return add ? "the VF is there" : "the VF is not there";
	if (add && msg_first) {
		vf_offer(nic, true);
		vf->step = VF_ADD_DEVICE;
	} else if (add) {
		if (vf_device_add(nic) != 0)
			return "device not created";
		vf->step = VF_ADD_MESSAGE;
	} else if (msg_first) {
		vf_offer(nic, false);
		vf->step = VF_DEL_DEVICE;
	} else {
		vf_device_del(nic);
		vf->step = VF_DEL_MESSAGE;
	}
	vf->step_at = sim_now_ns() + VF_STEP_DELAY_NS;
	return NULL;
}

static void
vf_step(struct sim_nic *nic, uint64_t now)
{
	struct host_vf *vf = vf_of(nic);
	enum vf_step s = vf->step;

	if (s == VF_IDLE || now < vf->step_at)
		return;
	vf->step = VF_IDLE;
	if (s == VF_DEL_DEVICE)
		vf_device_del(nic);
	else if (s == VF_DEL_MESSAGE)
		vf_offer(nic, false);
	else if (s == VF_ADD_DEVICE)
		vf_device_add(nic);
	else
		vf_offer(nic, true);
}

/* --- public ------------------------------------------------------------------------------ */

int
host_vf_setup(struct sim_nic *nic)
{
	struct host_nic *hn = host_of(nic);
	struct host_vf *vf;

	if (!nic->sim->opt.vf)
		return 0;
	vf = calloc(1, sizeof(*vf));
	if (vf == NULL)
		return -ENOMEM;
	vf->fd = -1;
	hn->vf = vf;
	/* Left over by a killed run in this namespace. */
	if (if_nametoindex("hvvf0h") != 0)
		vf_sh("ip link del hvvf%uh", nic->idx);
	/* --vf-absent: the VF first appears when a command or the schedule adds it. */
	if (nic->sim->opt.vf_absent)
		vf->announced = true;
	else if (vf_device_add(nic) != 0)
		return -EIO;
	else
		vf->offered = true;
	if (nic->sim->opt.vf_cycle_ms != 0)
		vf->next_cycle = sim_now_ns() + nic->sim->opt.vf_cycle_ms * 1000000ull;
	return 0;
}

void
host_vf_teardown(struct sim_nic *nic)
{
	struct host_vf *vf = host_of(nic) != NULL ? vf_of(nic) : NULL;

	if (vf == NULL)
		return;
	vf_device_del(nic);
	free(vf);
	host_of(nic)->vf = NULL;
}

bool
host_vf_receive(struct sim_nic *nic, const uint8_t *frame, uint32_t len)
{
	struct host_vf *vf = vf_of(nic);

	if (vf == NULL || !vf->device || !vf->offered || !host_of(nic)->datapath_vf ||
	    memcmp(frame, nic->mac, 6) != 0)
		return false;
	if (send(vf->fd, frame, len, MSG_DONTWAIT) == (ssize_t)len)
		vf->to_vf_frames++;
	else
		vf->vf_drops++;
	return true;
}

void
host_vf_switched(struct sim_nic *nic, bool to_vf)
{
	struct host_vf *vf = vf_of(nic);

	if (vf == NULL)
		return;
	if (to_vf)
		vf->switches_to_vf++;
	else
		vf->switches_to_synthetic++;
	sim_log("vf nic=%u: guest switched the data path to %s", nic->idx,
		to_vf ? "the VF" : "synthetic");
}

void
host_vf_session_reset(struct sim_nic *nic)
{
	struct host_vf *vf = vf_of(nic);

	if (vf != NULL)
		vf->announced = false;	/* a new session hears the association again */
}

unsigned int
host_vf_poll(struct sim_nic *nic)
{
	struct host_vf *vf = vf_of(nic);
	uint64_t now;
	unsigned int n;
	ssize_t got;

	if (vf == NULL)
		return 0;
	now = sim_now_ns();
	vf_announce(nic);
	vf_step(nic, now);
	if (vf->next_cycle != 0 && now >= vf->next_cycle && vf->step == VF_IDLE) {
		/* Removal and addition alternate; each pair swaps its order. */
		bool add = !vf->device && !vf->offered;

		vf_change(nic, add, (vf->cycles / 2) % 2 == 0);
		vf->cycles++;
		vf->next_cycle = now + nic->sim->opt.vf_cycle_ms * 1000000ull;
	}
	for (n = 0; vf->device && n < VF_BURST; n++) {
		got = recv(vf->fd, vf->frame, sizeof(vf->frame), MSG_DONTWAIT);
		if (got <= 0)
			break;
		if (got < ETH_HLEN)
			continue;
		vf->from_vf_frames++;
		wire_transmit(nic, SIM_CHAN_VF, vf->frame, (uint32_t)got);
	}
	return n;
}

const char *
host_vf_command(struct sim_nic *nic, const char *arg)
{
	char verb[16] = "", order[16] = "msg-first";

	if (vf_of(nic) == NULL)
		return "the simulator runs without --vf";
	if (arg == NULL || sscanf(arg, "%15s %15s", verb, order) < 1)
		return "vf wants add|remove [msg-first|dev-first]";
	if ((strcmp(verb, "add") != 0 && strcmp(verb, "remove") != 0) ||
	    (strcmp(order, "msg-first") != 0 && strcmp(order, "dev-first") != 0))
		return "vf wants add|remove [msg-first|dev-first]";
	return vf_change(nic, strcmp(verb, "add") == 0, strcmp(order, "msg-first") == 0);
}

void
host_vf_summary(struct sim_nic *nic)
{
	struct host_vf *vf = host_of(nic) != NULL ? vf_of(nic) : NULL;

	if (vf == NULL)
		return;
	sim_log("vf nic=%u device=%u offered=%u datapath_vf=%u to_vf_frames=%" PRIu64
		" from_vf_frames=%" PRIu64 " vf_drops=%" PRIu64 " switches_to_vf=%" PRIu64
		" switches_to_synthetic=%" PRIu64 " adds=%" PRIu64 " removes=%" PRIu64
		" assoc_msgs=%" PRIu64, nic->idx, vf->device, vf->offered,
		host_of(nic)->datapath_vf, vf->to_vf_frames, vf->from_vf_frames, vf->vf_drops,
		vf->switches_to_vf, vf->switches_to_synthetic, vf->adds, vf->removes,
		vf->assoc_msgs);
}
