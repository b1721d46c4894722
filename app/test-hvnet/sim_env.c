/* SPDX-License-Identifier: BSD-3-Clause */
/* The "kernel" side of the simulated host: backing files, sysfs tree, guest process. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <linux/futex.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "hv_wire.h"
#include "sim_env.h"

#define NETVSC_CLASS_GUID	"f8615163-df3e-46c5-913f-f2d2f965ed0e"
#define FIRST_RELID		14
#define MAX_RELID		UINT16_MAX	/* DPDK ignores channel dirs above it */
#define FIRST_GPADL		0xe1e10
#define MAX_MONITOR_ID		128
#define VMBUS_DEVICES		"sys/bus/vmbus/devices"
#define VMBUS_DRIVER		"sys/bus/vmbus/drivers/uio_hv_generic"
#define MAX_TREE_ENTRIES	100000	/* bound on the recursive removal */
#define MAX_PROC_DEPTH		64	/* bound on walking a process's ancestors */
#define READ_MAX_TRIES		64

/* Per NIC: the guest pid the host checked, so an untrusted ctl->guest_pid is never used raw. */
static pid_t trusted_pid[SIM_MAX_NICS];
/*
 * Per NIC: rescans of the guest's mappings left since it opened the device. The guest maps
 * the receive buffer after the open; a read that misses every window looks again, a few
 * times only (reads of memory that is not shared must not rescan each time).
 */
#define GUESTMEM_RESCANS	4
static unsigned int rescans_left[SIM_MAX_NICS];
static pid_t host_pid;
/* Per NIC: whether it was rescinded. */
static bool rescinded[SIM_MAX_NICS];
/* Per NIC and listener slot: the host's end of that listener's event FIFO (-1 = none yet). */
static struct {
	int fd;
	uint32_t gen;		/* of the slot when fd was opened */
} listener_fd[SIM_MAX_NICS][SIM_UIO_LISTENERS];

/* --- small file helpers ------------------------------------------------------------------ */

static int path_fmt(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int path_fmt(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	return (n < 0 || (size_t)n >= len) ? -ENAMETOOLONG : 0;
}

static int write_text(const char *dir, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int write_text(const char *dir, const char *name, const char *fmt, ...)
{
	char path[PATH_MAX], text[256];
	va_list ap;
	ssize_t n;
	int fd, len;

	if (path_fmt(path, sizeof(path), "%s/%s", dir, name) < 0)
		return -ENAMETOOLONG;
	va_start(ap, fmt);
	len = vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (len < 0 || (size_t)len >= sizeof(text))
		return -EINVAL;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	n = write(fd, text, (size_t)len);
	close(fd);
	return n == len ? 0 : -EIO;
}

/* mkdir -p below an existing base. */
static int make_dirs(const char *path)
{
	char buf[PATH_MAX];
	size_t i, len = strlen(path);

	if (len >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, path, len + 1);
	for (i = 1; i <= len; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		buf[i] = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return -errno;
		buf[i] = path[i];
	}
	return 0;
}

/* Create a zero-filled file of size bytes and map it shared; returns NULL on failure. */
static void *create_backing(const char *path, size_t size)
{
	void *p;
	int fd;

	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return NULL;
	if (ftruncate(fd, (off_t)size) < 0) {
		close(fd);
		return NULL;
	}
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	return p == MAP_FAILED ? NULL : p;
}

static void unmap(void *p, size_t size)
{
	if (p != NULL)
		munmap(p, size);
}

/* --- identity of NICs and channels ------------------------------------------------------- */

static uint8_t monitor_for(const struct sim *sim, uint32_t relid)
{
	return sim->opt.no_monitor ? SIM_NO_MONITOR : (uint8_t)(relid % MAX_MONITOR_ID);
}

static int alloc_relid(struct sim *sim, uint32_t *relid)
{
	if (sim->next_relid > MAX_RELID)
		return -ENOSPC;
	*relid = sim->next_relid++;
	return 0;
}

static int device_dir(const struct sim_nic *nic, char *buf, size_t len)
{
	return path_fmt(buf, len, "%s/" VMBUS_DEVICES "/%s", nic->sim->workdir, nic->uuid);
}

static int channel_dir(const struct sim_nic *nic, uint32_t relid, bool hidden,
		       char *buf, size_t len)
{
	char dev[PATH_MAX];

	if (device_dir(nic, dev, sizeof(dev)) < 0)
		return -ENAMETOOLONG;
	return path_fmt(buf, len, "%s/channels/%s%u", dev, hidden ? "." : "", relid);
}

static void init_nic_identity(struct sim *sim, unsigned int i)
{
	const struct sim_opts *o = &sim->opt;
	struct sim_nic *nic = &sim->nic[i];

	nic->sim = sim;
	nic->idx = i;
	nic->uio = i;
	snprintf(nic->uuid, sizeof(nic->uuid), "f8615163-0000-4000-8000-0000000000%02x",
		 i & 0xffu);
	if (o->mac_set[i]) {
		memcpy(nic->mac, o->macs[i], sizeof(nic->mac));
	} else {
		static const uint8_t base[6] = { 0x00, 0x15, 0x5d, 0x10, 0x00, 0x00 };

		memcpy(nic->mac, base, sizeof(nic->mac));
		nic->mac[5] = (uint8_t)(i + 1);
	}
	nic->mtu = o->mtu;
	nic->speed_mbps = o->speed_mbps;
	nic->link_up = true;
	nic->max_queues = o->queues;
	nic->nvsp_max = o->nvsp_max;
	memcpy(nic->wire_spec, o->wire[i], sizeof(nic->wire_spec));
	nic->wire_spec[sizeof(nic->wire_spec) - 1] = '\0';
	nic->rxbuf_size = o->rxbuf_size;
	nic->sendbuf_size = o->sendbuf_size;
	nic->rxbuf_gpadl = sim->next_gpadl++;
	nic->sendbuf_gpadl = sim->next_gpadl++;
}

/* --- backing files and the sysfs tree ---------------------------------------------------- */

static int map_backing(struct sim_nic *nic, unsigned int k, size_t size, void **out)
{
	char path[PATH_MAX];

	if (path_fmt(path, sizeof(path), SIM_UIO_MAP_FMT, nic->sim->workdir, nic->uio, k) < 0)
		return -ENAMETOOLONG;
	*out = create_backing(path, size);
	return *out ? 0 : -errno;
}

static int create_nic_files(struct sim_nic *nic)
{
	struct sim_chan *c = &nic->chan[0];
	char path[PATH_MAX];
	void *p;
	int rc;

	c->ring_size = 2 * nic->sim->opt.ring_size;
	rc = map_backing(nic, 0, c->ring_size, &p);
	c->ring = p;
	if (rc == 0)
		rc = map_backing(nic, 1, SIM_HV_PAGE, &p), nic->int_page = p;
	if (rc == 0)
		rc = map_backing(nic, 2, SIM_HV_PAGE, &p), nic->monitor_page = p;
	if (rc == 0)
		rc = map_backing(nic, 3, nic->rxbuf_size, &p), nic->rxbuf = p;
	if (rc == 0)
		rc = map_backing(nic, 4, nic->sendbuf_size, &p), nic->sendbuf = p;
	if (rc < 0)
		return rc;
	if (path_fmt(path, sizeof(path), SIM_UIO_CTL_FMT, nic->sim->workdir, nic->uio) < 0)
		return -ENAMETOOLONG;
	nic->ctl = create_backing(path, SIM_HV_PAGE);
	if (nic->ctl == NULL)
		return -errno;
	nic->ctl->magic = SIM_UIO_CTL_MAGIC;
	nic->ctl->kernel = (uint32_t)nic->sim->opt.kernel;
	memcpy(nic->ctl->uuid, nic->uuid, sizeof(nic->ctl->uuid));
	return 0;
}

/* Tell the shim (the "kernel" of the uio write) which channel sits at index i now. */
static void publish_channel(struct sim_nic *nic, unsigned int i)
{
	const struct sim_chan *c = &nic->chan[i];
	struct sim_uio_chan *u = &nic->ctl->chan[i];

	if (c->offered) {
		nic->chan_stats[i].used = true;
		nic->chan_stats[i].monitor_id = c->monitor_id;
	}
	/* relid 0 while it changes: the shim skips the index meanwhile. */
	__atomic_store_n(&u->relid, 0, __ATOMIC_RELEASE);
	u->monitor_id = c->monitor_id;
	__atomic_fetch_add(&u->gen, 1, __ATOMIC_RELEASE);
	__atomic_store_n(&u->relid, c->offered ? c->relid : 0, __ATOMIC_RELEASE);
}

/* What the kernel leaves in a channel's host->guest interrupt_mask when it opens it. */
static bool kernel_masks(const struct sim *sim)
{
	return sim->opt.kernel != SIM_KERNEL_USERMASK;
}

static int create_doorbell(struct sim *sim)
{
	char path[PATH_MAX];

	if (path_fmt(path, sizeof(path), SIM_DOORBELL_FMT, sim->workdir) < 0)
		return -ENAMETOOLONG;
	sim->doorbell = create_backing(path, SIM_HV_PAGE);
	return sim->doorbell != NULL ? 0 : -errno;
}

static int write_map_dir(const struct sim_nic *nic, const char *uiodir, unsigned int k,
			 const char *name, size_t size)
{
	char dir[PATH_MAX];
	int rc;

	if (path_fmt(dir, sizeof(dir), "%s/maps/map%u", uiodir, k) < 0)
		return -ENAMETOOLONG;
	rc = make_dirs(dir);
	if (rc == 0)
		rc = write_text(dir, "name", "%s\n", name);
	/* A made-up but stable "physical" address per NIC and map. */
	if (rc == 0)
		rc = write_text(dir, "addr", "0x%llx\n",
				0x100000000ull + ((unsigned long long)nic->idx << 32) +
				((unsigned long long)k << 28));
	if (rc == 0)
		rc = write_text(dir, "size", "0x%zx\n", size);
	if (rc == 0)
		rc = write_text(dir, "offset", "0x0\n");
	return rc;
}

static int write_uio_dir(const struct sim_nic *nic, const char *devdir)
{
	char dir[PATH_MAX], name[32];
	int rc;

	if (path_fmt(dir, sizeof(dir), "%s/uio/uio%u", devdir, nic->uio) < 0)
		return -ENAMETOOLONG;
	rc = make_dirs(dir);
	if (rc == 0)
		rc = write_text(dir, "name", "uio_hv_generic\n");
	if (rc == 0)
		rc = write_text(dir, "version", "0.02.1\n");
	if (rc == 0)
		rc = write_text(dir, "dev", "240:%u\n", nic->uio);
	if (rc == 0)
		rc = write_map_dir(nic, dir, 0, "txrx_rings", nic->chan[0].ring_size);
	if (rc == 0)
		rc = write_map_dir(nic, dir, 1, "int_page", SIM_HV_PAGE);
	if (rc == 0)
		rc = write_map_dir(nic, dir, 2, "monitor_page", SIM_HV_PAGE);
	snprintf(name, sizeof(name), "recv:%u", nic->rxbuf_gpadl);
	if (rc == 0)
		rc = write_map_dir(nic, dir, 3, name, nic->rxbuf_size);
	snprintf(name, sizeof(name), "send:%u", nic->sendbuf_gpadl);
	if (rc == 0)
		rc = write_map_dir(nic, dir, 4, name, nic->sendbuf_size);
	return rc;
}

/* Fill a channel directory: ring (ring_src is linked when given), subchannel_id, monitor_id. */
static int write_channel_files(const char *dir, const struct sim_chan *c, const char *ring_src)
{
	char path[PATH_MAX];
	int rc;

	if (path_fmt(path, sizeof(path), "%s/ring", dir) < 0)
		return -ENAMETOOLONG;
	if (ring_src != NULL && link(ring_src, path) < 0)
		return -errno;
	rc = write_text(dir, "subchannel_id", "%u\n", c->subidx);
	/* DPDK fails a channel whose monitor_id cannot be read: always write it here. */
	if (rc == 0)
		rc = write_text(dir, "monitor_id", "%u\n", c->monitor_id);
	return rc;
}

static int write_device_dir(struct sim_nic *nic)
{
	char dev[PATH_MAX], chan[PATH_MAX], ring[PATH_MAX], link_path[PATH_MAX];
	const struct sim_chan *c = &nic->chan[0];
	int rc;

	if (device_dir(nic, dev, sizeof(dev)) < 0 ||
	    channel_dir(nic, c->relid, false, chan, sizeof(chan)) < 0 ||
	    path_fmt(ring, sizeof(ring), SIM_UIO_MAP_FMT, nic->sim->workdir, nic->uio, 0) < 0 ||
	    path_fmt(link_path, sizeof(link_path), "%s/driver", dev) < 0)
		return -ENAMETOOLONG;
	rc = make_dirs(chan);
	if (rc == 0)
		rc = write_text(dev, "class_id", "{%s}\n", NETVSC_CLASS_GUID);
	if (rc == 0)
		rc = write_text(dev, "device_id", "{%s}\n", nic->uuid);
	if (rc == 0)
		rc = write_text(dev, "id", "%u\n", c->relid);
	/* Newer kernels refuse to show monitor_id for unmonitored offers: leave it out. */
	if (rc == 0 && c->monitor_id != SIM_NO_MONITOR)
		rc = write_text(dev, "monitor_id", "%u\n", c->monitor_id);
	if (rc == 0)
		rc = write_text(dev, "numa_node", "0\n");
	if (rc == 0)
		rc = write_uio_dir(nic, dev);
	if (rc == 0)
		rc = write_channel_files(chan, c, ring);
	if (rc == 0 && symlink("../../drivers/uio_hv_generic", link_path) < 0)
		rc = -errno;
	return rc;
}

static int create_nic(struct sim *sim, unsigned int i)
{
	struct sim_nic *nic = &sim->nic[i];
	struct sim_chan *c = &nic->chan[0];
	int rc;

	init_nic_identity(sim, i);
	rc = alloc_relid(sim, &c->relid);
	if (rc < 0)
		return rc;
	c->subidx = 0;
	c->monitor_id = monitor_for(sim, c->relid);
	rc = create_nic_files(nic);
	if (rc < 0)
		return rc;
	host_ring_pair_reset(c->ring, c->ring_size, kernel_masks(sim));
	c->offered = true;
	nic->nchan = 1;
	publish_channel(nic, 0);
	return write_device_dir(nic);
}

/* --- work directory -------------------------------------------------------------------- */

static unsigned int removed_entries;

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (++removed_entries > MAX_TREE_ENTRIES)
		return 1;
	if (flag == FTW_DP)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

static void remove_tree(const char *dir)
{
	removed_entries = 0;
	/* FTW_MOUNT|FTW_PHYS: never follow the driver symlink or cross into a mount. */
	if (nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT) != 0)
		sim_log("could not remove all of %s", dir);
}

/*
 * A host killed with SIGKILL cannot clean up: the next host removes work directories whose
 * owner (SIM_PID_FILE) is gone, so that /dev/shm does not fill up with dead rings.
 */
static void sweep_stale_workdirs(void)
{
	struct dirent *de;
	char path[PATH_MAX];
	unsigned int seen = 0;
	DIR *d;

	d = opendir(SIM_WORKDIR_PARENT);
	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL && seen++ < MAX_TREE_ENTRIES) {
		long pid;
		FILE *f;

		if (strncmp(de->d_name, SIM_WORKDIR_PREFIX, strlen(SIM_WORKDIR_PREFIX)) != 0)
			continue;
		if (path_fmt(path, sizeof(path), SIM_WORKDIR_PARENT "/%s/" SIM_PID_FILE,
			     de->d_name) < 0)
			continue;
		f = fopen(path, "r");
		if (f == NULL)
			continue;
		if (fscanf(f, "%ld", &pid) != 1 || pid <= 0 || pid > INT_MAX)
			pid = 0;
		fclose(f);
		if (pid == 0 || kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		if (path_fmt(path, sizeof(path), SIM_WORKDIR_PARENT "/%s", de->d_name) < 0)
			continue;
		sim_log("removing %s left by a host (pid %ld) that was killed", path, pid);
		remove_tree(path);
	}
	closedir(d);
}

int sim_env_create(struct sim *sim)
{
	char path[PATH_MAX];
	unsigned int i;
	int rc;

	host_pid = getpid();
	sweep_stale_workdirs();
	snprintf(sim->workdir, sizeof(sim->workdir),
		 SIM_WORKDIR_PARENT "/" SIM_WORKDIR_PREFIX "XXXXXX");
	if (mkdtemp(sim->workdir) == NULL) {
		rc = -errno;
		sim->workdir[0] = '\0';
		return rc;
	}
	rc = write_text(sim->workdir, SIM_PID_FILE, "%ld\n", (long)host_pid);
	if (rc != 0)
		return rc;
	for (i = 0; i < SIM_MAX_NICS; i++) {
		unsigned int k;

		for (k = 0; k < SIM_UIO_LISTENERS; k++)
			listener_fd[i][k].fd = -1;
		rescinded[i] = false;
	}
	sim->nnics = sim->opt.nics;
	sim->next_relid = FIRST_RELID;
	sim->next_gpadl = FIRST_GPADL;
	if (path_fmt(path, sizeof(path), "%s/" SIM_UIO_DIR, sim->workdir) < 0)
		return -ENAMETOOLONG;
	rc = make_dirs(path);
	if (rc == 0 && path_fmt(path, sizeof(path), "%s/" VMBUS_DRIVER, sim->workdir) < 0)
		rc = -ENAMETOOLONG;
	if (rc == 0)
		rc = make_dirs(path);
	if (rc == 0 && path_fmt(path, sizeof(path), "%s/" VMBUS_DEVICES, sim->workdir) < 0)
		rc = -ENAMETOOLONG;
	if (rc == 0)
		rc = make_dirs(path);
	/*
	 * An empty PCI bus: the guest must not probe this machine's real devices (DPDK would
	 * try its own drivers on them), and an empty tree keeps its PCI scan quiet.
	 */
	if (rc == 0 && path_fmt(path, sizeof(path), "%s/sys/bus/pci/devices", sim->workdir) < 0)
		rc = -ENAMETOOLONG;
	if (rc == 0)
		rc = make_dirs(path);
	if (rc == 0 && path_fmt(path, sizeof(path), "%s/sys/bus/pci/drivers", sim->workdir) < 0)
		rc = -ENAMETOOLONG;
	if (rc == 0)
		rc = make_dirs(path);
	if (rc == 0)
		rc = create_doorbell(sim);
	for (i = 0; rc == 0 && i < sim->nnics; i++)
		rc = create_nic(sim, i);
	return rc;
}

/* --- subchannels ------------------------------------------------------------------------- */

static void remove_channel_dir(const char *dir)
{
	static const char *const files[] = { "ring", "subchannel_id", "monitor_id" };
	char path[PATH_MAX];
	unsigned int i;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		if (path_fmt(path, sizeof(path), "%s/%s", dir, files[i]) == 0)
			unlink(path);
	rmdir(dir);
}

static void drop_subchannel(struct sim_nic *nic, struct sim_chan *c)
{
	char dir[PATH_MAX];

	if (c->offered && channel_dir(nic, c->relid, false, dir, sizeof(dir)) == 0)
		remove_channel_dir(dir);
	if (channel_dir(nic, c->relid, true, dir, sizeof(dir)) == 0)
		remove_channel_dir(dir);
	unmap(c->ring, c->ring_size);
	/* Give the relid back when it was the last one handed out. */
	if (c->relid != 0 && c->relid + 1 == nic->sim->next_relid)
		nic->sim->next_relid--;
	/* c->host belongs to the host layer, which resets or frees it. */
	c->relid = 0;
	c->subidx = 0;
	c->monitor_id = 0;
	c->offered = false;
	c->ring = NULL;
	c->ring_size = 0;
	publish_channel(nic, (unsigned int)(c - nic->chan));
}

/* Build one subchannel under a dot name (the guest's scan skips those), then publish it. */
static int offer_one(struct sim_nic *nic, struct sim_chan *c, uint16_t subidx)
{
	char hidden[PATH_MAX], visible[PATH_MAX], ring[PATH_MAX];
	int rc;

	rc = alloc_relid(nic->sim, &c->relid);
	if (rc < 0)
		return rc;
	c->subidx = subidx;
	c->monitor_id = monitor_for(nic->sim, c->relid);
	c->ring_size = 2 * nic->sim->opt.ring_size;
	if (channel_dir(nic, c->relid, true, hidden, sizeof(hidden)) < 0 ||
	    channel_dir(nic, c->relid, false, visible, sizeof(visible)) < 0 ||
	    path_fmt(ring, sizeof(ring), "%s/ring", hidden) < 0)
		return -ENAMETOOLONG;
	if (mkdir(hidden, 0755) < 0)
		return -errno;
	c->ring = create_backing(ring, c->ring_size);
	if (c->ring == NULL)
		return -errno;
	host_ring_pair_reset(c->ring, c->ring_size, kernel_masks(nic->sim));
	rc = write_channel_files(hidden, c, NULL);
	if (rc == 0 && rename(hidden, visible) < 0)
		rc = -errno;
	if (rc == 0) {
		c->offered = true;
		publish_channel(nic, subidx);
	}
	return rc;
}

int sim_env_offer_subchannels(struct sim_nic *nic, unsigned int n)
{
	unsigned int first = nic->nchan, i;
	int rc = 0;

	if (n > SIM_MAX_CHANNELS - first)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		rc = offer_one(nic, &nic->chan[first + i],
			       host_fault_subch_id(nic, first + i, first, n));
		if (rc < 0)
			break;
	}
	if (rc < 0) {
		/* All or nothing: take back what this call made, newest first. */
		for (i = first + i + 1; i-- > first;)
			drop_subchannel(nic, &nic->chan[i]);
		sim_log("nic=%u: offering %u subchannels failed: %s", nic->idx, n,
			strerror(-rc));
		return rc;
	}
	nic->nchan = first + n;
	sim_vlog(nic, "offered %u subchannels (%u channels)", n, nic->nchan);
	return 0;
}

void sim_env_rescind_subchannels(struct sim_nic *nic)
{
	unsigned int i;

	if (nic->nchan > SIM_MAX_CHANNELS)
		nic->nchan = SIM_MAX_CHANNELS;
	for (i = nic->nchan; i-- > 1;)
		drop_subchannel(nic, &nic->chan[i]);
	nic->nchan = 1;
}

/* --- interrupts and guest memory --------------------------------------------------------- */

/* The host's end of listener k's FIFO, (re)opened when the shim made a new one there. */
static int listener_open(struct sim_nic *nic, unsigned int k, uint32_t gen)
{
	char path[PATH_MAX];
	int *fd = &listener_fd[nic->idx][k].fd;

	if (*fd >= 0 && listener_fd[nic->idx][k].gen == gen)
		return *fd;
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
	if (path_fmt(path, sizeof(path), SIM_UIO_LISTENER_FMT, nic->sim->workdir, nic->uio,
		     k) < 0)
		return -1;
	/* Read-write: never blocks on open, and a full FIFO is still a readable one. */
	*fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	listener_fd[nic->idx][k].gen = gen;
	return *fd;
}

static void listener_close(struct sim_nic *nic, unsigned int k)
{
	if (listener_fd[nic->idx][k].fd >= 0)
		close(listener_fd[nic->idx][k].fd);
	listener_fd[nic->idx][k].fd = -1;
}

/* A byte on every live listener's FIFO: what makes each open's fd poll readable. */
static void notify_listeners(struct sim_nic *nic)
{
	const char byte = 1;
	unsigned int k;

	for (k = 0; k < SIM_UIO_LISTENERS; k++) {
		struct sim_uio_listener *l = &nic->ctl->listener[k];
		int fd;

		if (__atomic_load_n(&l->state, __ATOMIC_ACQUIRE) != SIM_LISTENER_LIVE) {
			listener_close(nic, k);
			continue;
		}
		fd = listener_open(nic, k, __atomic_load_n(&l->gen, __ATOMIC_ACQUIRE));
		/* A full FIFO (nobody reads it) is readable already. */
		if (fd >= 0 && write(fd, &byte, 1) < 0 && errno != EAGAIN)
			sim_log("nic=%u: listener %u: %s", nic->idx, k, strerror(errno));
	}
}

void sim_env_interrupt_guest(struct sim_nic *nic, unsigned int chan)
{
	const struct sim_chan *c = chan < nic->nchan ? &nic->chan[chan] : NULL;

	/* The channel callback of uio_hv_generic before b15b7d2a1b09: each interrupt masks. */
	if (c != NULL && c->ring != NULL && kernel_masks(nic->sim))
		__atomic_store_n((uint32_t *)(c->ring + c->ring_size / 2 +
					      offsetof(struct hv_ring_ctl, interrupt_mask)),
				 1u, __ATOMIC_SEQ_CST);
	if (c != NULL) {
		nic->stats.guest_interrupts++;
		nic->chan_stats[chan].interrupts++;
	}
	/*
	 * The bytes go first: a reader that saw the count change always finds its byte, so no
	 * stale byte makes an fd poll readable after the interrupt was consumed.
	 */
	notify_listeners(nic);
	__atomic_fetch_add(&nic->ctl->event_count, 1, __ATOMIC_SEQ_CST);
	/* Shared (not private) futex: the waiters are in another process. */
	syscall(SYS_futex, &nic->ctl->event_count, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}

void sim_env_reap_listeners(struct sim_nic *nic)
{
	char path[PATH_MAX];
	unsigned int k;

	for (k = 0; k < SIM_UIO_LISTENERS; k++) {
		struct sim_uio_listener *l = &nic->ctl->listener[k];
		uint32_t live = SIM_LISTENER_LIVE;
		pid_t pid = (pid_t)__atomic_load_n(&l->pid, __ATOMIC_ACQUIRE);

		if (__atomic_load_n(&l->state, __ATOMIC_ACQUIRE) != SIM_LISTENER_LIVE ||
		    pid <= 0 || kill(pid, 0) == 0 || errno != ESRCH)
			continue;
		if (!__atomic_compare_exchange_n(&l->state, &live, SIM_LISTENER_BUSY, false,
						 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			continue;
		listener_close(nic, k);
		if (path_fmt(path, sizeof(path), SIM_UIO_LISTENER_FMT, nic->sim->workdir,
			     nic->uio, k) == 0)
			unlink(path);
		__atomic_store_n(&l->state, SIM_LISTENER_FREE, __ATOMIC_RELEASE);
	}
}

int sim_env_rescind_nic(struct sim_nic *nic)
{
	char dev[PATH_MAX];

	if (rescinded[nic->idx])
		return -EALREADY;
	rescinded[nic->idx] = true;
	/* Frames from the wire are dropped from now on, as for a link that went away. */
	nic->link_up = false;
	if (device_dir(nic, dev, sizeof(dev)) == 0)
		remove_tree(dev);
	__atomic_store_n(&nic->ctl->rescinded, 1, __ATOMIC_RELEASE);
	/* Wakes a blocked read() and an epoll on the uio fd, as uio_hv_generic does. */
	sim_env_interrupt_guest(nic, SIM_MAX_CHANNELS);
	sim_log("nic=%u: rescinded", nic->idx);
	return 0;
}

bool sim_env_rescinded(const struct sim_nic *nic)
{
	return rescinded[nic->idx];
}

static pid_t parent_of(pid_t pid)
{
	char path[64], buf[512], *p;
	ssize_t n;
	int fd, ppid;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	/* The command name may hold anything: the fields resume after its last ')'. */
	p = strrchr(buf, ')');
	if (p == NULL || sscanf(p + 1, " %*c %d", &ppid) != 1)
		return -1;
	return ppid;
}

/* True when pid is top or descends from it. */
static bool descends_from(pid_t pid, pid_t top)
{
	unsigned int depth;

	for (depth = 0; pid > 1 && depth < MAX_PROC_DEPTH; depth++) {
		if (pid == top)
			return true;
		pid = parent_of(pid);
	}
	return false;
}

/* Map pid's shared memory for nic's GPA-direct reads, every NIC's receive buffer included. */
static unsigned int guestmem_attach(struct sim_nic *nic, pid_t pid)
{
	static char paths[SIM_MAX_NICS][PATH_MAX];	/* too large for the stack */
	const char *files[SIM_MAX_NICS];
	unsigned int i, n = 0;

	for (i = 0; i < nic->sim->nnics && i < SIM_MAX_NICS; i++) {
		if (path_fmt(paths[n], sizeof(paths[n]), SIM_UIO_MAP_FMT, nic->sim->workdir,
			     nic->sim->nic[i].uio, 3) < 0)
			continue;
		files[n] = paths[n];
		n++;
	}
	return sim_guestmem_attach(nic->idx, pid, files, n);
}

/*
 * nic's receive buffer is mapped or unmapped by the guest: every other NIC's window on it may
 * be stale (the address may hold something else next), so they drop their receive-buffer
 * windows and may look again.
 */
static void guestmem_rxbuf_moved(struct sim_nic *nic)
{
	unsigned int i;

	for (i = 0; i < nic->sim->nnics && i < SIM_MAX_NICS; i++) {
		if (i == nic->idx)
			continue;
		sim_guestmem_drop_rxbufs(i);
		rescans_left[i] = GUESTMEM_RESCANS;
	}
}

void sim_env_guest_opened(struct sim_nic *nic)
{
	pid_t pid = (pid_t)__atomic_load_n(&nic->ctl->guest_pid, __ATOMIC_ACQUIRE);

	if (nic->sim->guest > 0 && pid > 0 && descends_from(pid, nic->sim->guest)) {
		unsigned int regions = guestmem_attach(nic, pid);

		trusted_pid[nic->idx] = pid;
		rescans_left[nic->idx] = GUESTMEM_RESCANS;
		guestmem_rxbuf_moved(nic);
		sim_vlog(nic, "guest memory: %u shared regions mapped", regions);
		return;
	}
	trusted_pid[nic->idx] = 0;
	sim_guestmem_detach(nic->idx);
	host_violation(nic, 0, "uio opened by a process that is not the guest");
}

void sim_env_guest_closed(struct sim_nic *nic)
{
	sim_guestmem_detach(nic->idx);
	guestmem_rxbuf_moved(nic);
}

bool sim_env_guest_vanished(struct sim_nic *nic)
{
	pid_t pid = trusted_pid[nic->idx];

	if (pid <= 0 || __atomic_load_n(&nic->ctl->open_count, __ATOMIC_ACQUIRE) == 0)
		return false;
	return kill(pid, 0) < 0 && errno == ESRCH;
}

int sim_env_guest_read(struct sim_nic *nic, uint64_t iova, void *dst, size_t len)
{
	pid_t pid = trusted_pid[nic->idx];
	uint8_t *out = dst;
	unsigned int tries;

	if (pid <= 0)
		return -ESRCH;
	if (iova > UINT64_MAX - len || iova + len > (uint64_t)UINTPTR_MAX)
		return -EFAULT;
	if (sim_guestmem_read(nic->idx, iova, dst, len))
		return 0;
	if (rescans_left[nic->idx] != 0) {
		rescans_left[nic->idx]--;
		guestmem_attach(nic, pid);
		if (sim_guestmem_read(nic->idx, iova, dst, len))
			return 0;
	}
	/* A read that crosses into an unmapped page comes back short: go on from there. */
	for (tries = 0; len > 0 && tries < READ_MAX_TRIES; tries++) {
		struct iovec local = { .iov_base = out, .iov_len = len };
		struct iovec remote = { .iov_base = (void *)(uintptr_t)iova, .iov_len = len };
		ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);

		if (n < 0)
			return errno == EINTR ? -EINTR : -errno;
		if (n == 0)
			return -EFAULT;
		out += n;
		iova += (uint64_t)n;
		len -= (size_t)n;
	}
	return len == 0 ? 0 : -EFAULT;
}

bool sim_env_guest_in_rxbuf(struct sim_nic *nic, uint64_t iova)
{
	return sim_guestmem_in_rxbuf(nic->idx, iova);
}

/* --- guest process ----------------------------------------------------------------------- */

void sim_env_signal_guest_tree(struct sim *sim, int sig)
{
	struct dirent *e;
	DIR *d;
	unsigned int n = 0;

	if (sim->guest > 0)
		kill(sim->guest, sig);
	d = opendir("/proc");
	if (d == NULL)
		return;
	/* Orphans of the guest are re-parented to us (child subreaper): reach them too. */
	while ((e = readdir(d)) != NULL && n++ < 1000000) {
		char *end;
		long pid = strtol(e->d_name, &end, 10);

		if (*end != '\0' || pid <= 1 || pid == host_pid || pid == sim->guest)
			continue;
		if (descends_from((pid_t)pid, host_pid))
			kill((pid_t)pid, sig);
	}
	closedir(d);
}

static int find_shim(char *buf, size_t len)
{
	const char *env = getenv(SIM_ENV_SHIM);
	char exe[PATH_MAX];
	ssize_t n;
	char *slash;

	if (env != NULL && env[0] != '\0')
		return path_fmt(buf, len, "%s", env);
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return -errno;
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (slash == NULL)
		return -ENOENT;
	*slash = '\0';
	return path_fmt(buf, len, "%s/" SIM_SHIM_NAME, exe);
}

/*
 * LD_PRELOAD splits its list at spaces and colons: a shim in a folder whose name holds one
 * (a clone in "/tmp/my work") is preloaded through a link in the work directory instead.
 */
static int preload_name(const struct sim *sim, char *shim, size_t len)
{
	char link[PATH_MAX];

	if (strpbrk(shim, " :\t") == NULL)
		return 0;
	if (path_fmt(link, sizeof(link), "%s/" SIM_SHIM_NAME, sim->workdir) < 0)
		return -ENAMETOOLONG;
	if (symlink(shim, link) < 0 && errno != EEXIST) {
		int rc = -errno;

		sim_log("shim link %s: %s", link, strerror(-rc));
		return rc;
	}
	return path_fmt(shim, len, "%s", link);
}

static int guest_env(const struct sim *sim, const char *shim)
{
	const char *old = getenv("LD_PRELOAD");
	char preload[PATH_MAX * 2], pid[16];

	if (old != NULL && old[0] != '\0') {
		if (path_fmt(preload, sizeof(preload), "%s:%s", shim, old) < 0)
			return -1;
	} else if (path_fmt(preload, sizeof(preload), "%s", shim) < 0) {
		return -1;
	}
	snprintf(pid, sizeof(pid), "%d", (int)host_pid);
	if (setenv("LD_PRELOAD", preload, 1) < 0 || setenv(SIM_ENV_DIR, sim->workdir, 1) < 0 ||
	    setenv(SIM_ENV_HOST_PID, pid, 1) < 0)
		return -1;
	return 0;
}

/* In the child: a private mount namespace whose /sys/bus is the simulated tree. */
static int guest_mounts(const struct sim *sim)
{
	char bus[PATH_MAX];

	if (path_fmt(bus, sizeof(bus), "%s/sys/bus", sim->workdir) < 0)
		return -1;
	if (unshare(CLONE_NEWNS) < 0) {
		sim_log("guest: unshare(CLONE_NEWNS): %s", strerror(errno));
		return -1;
	}
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		sim_log("guest: making / private: %s", strerror(errno));
		return -1;
	}
	if (mount(bus, "/sys/bus", NULL, MS_BIND | MS_REC, NULL) < 0) {
		sim_log("guest: bind %s on /sys/bus: %s", bus, strerror(errno));
		return -1;
	}
	return 0;
}

static void __attribute__((noreturn)) guest_child(struct sim *sim, char **argv,
						   const char *shim)
{
	sigset_t none;

	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != host_pid)
		_exit(127);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (guest_mounts(sim) < 0 || guest_env(sim, shim) < 0)
		_exit(127);
	execvp(argv[0], argv);
	sim_log("guest: cannot run %s: %s", argv[0], strerror(errno));
	_exit(127);
}

int sim_env_spawn_guest(struct sim *sim, char **argv)
{
	char shim[PATH_MAX];
	pid_t pid;
	int rc;

	rc = find_shim(shim, sizeof(shim));
	if (rc < 0)
		return rc;
	if (access(shim, R_OK) < 0) {
		rc = -errno;
		sim_log("shim %s: %s", shim, strerror(errno));
		return rc;
	}
	rc = preload_name(sim, shim, sizeof(shim));
	if (rc < 0)
		return rc;
	/* Grandchildren left behind by the guest become ours, so they can be ended. */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0)
		guest_child(sim, argv, shim);
	sim->guest = pid;
	return 0;
}

/* --- teardown ---------------------------------------------------------------------------- */

static void unmap_nic(struct sim_nic *nic)
{
	unsigned int k;

	sim_env_rescind_subchannels(nic);
	unmap(nic->chan[0].ring, nic->chan[0].ring_size);
	nic->chan[0].ring = NULL;
	unmap(nic->int_page, SIM_HV_PAGE);
	unmap(nic->monitor_page, SIM_HV_PAGE);
	unmap(nic->rxbuf, nic->rxbuf_size);
	unmap(nic->sendbuf, nic->sendbuf_size);
	for (k = 0; nic->ctl != NULL && k < SIM_UIO_LISTENERS; k++)
		listener_close(nic, k);
	unmap(nic->ctl, SIM_HV_PAGE);
	nic->int_page = nic->monitor_page = nic->rxbuf = nic->sendbuf = NULL;
	nic->ctl = NULL;
}

void sim_env_destroy(struct sim *sim)
{
	unsigned int i;

	for (i = 0; i < SIM_MAX_NICS; i++)
		if (sim->nic[i].sim == sim)
			unmap_nic(&sim->nic[i]);
	unmap(sim->doorbell, SIM_HV_PAGE);
	sim->doorbell = NULL;
	if (sim->workdir[0] == '\0')
		return;
	remove_tree(sim->workdir);
	sim->workdir[0] = '\0';
}
