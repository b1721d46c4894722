/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit test of sim_env.c and sim_guestmem.c: backing files, sysfs tree, subchannels,
 * interrupts, guest reads.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "sim_env.h"

static unsigned int violations;

#define MASK_OFF	8	/* interrupt_mask in a ring control page */

/* What the other layers would provide, reduced to what this test observes. */
void host_ring_pair_reset(uint8_t *ring, size_t ring_size, bool guest_masked)
{
	memset(ring, 0, SIM_HV_PAGE);
	memset(ring + ring_size / 2, 0, SIM_HV_PAGE);
	ring[64] = 1;
	ring[ring_size / 2 + 64] = 1;
	ring[ring_size / 2 + MASK_OFF] = guest_masked;
}

uint16_t host_fault_subch_id(struct sim_nic *nic, unsigned int c, unsigned int first,
			     unsigned int n)
{
	(void)nic;
	(void)first;
	(void)n;
	return (uint16_t)c;
}

void host_violation(struct sim_nic *nic, unsigned int chan, const char *rule)
{
	(void)nic;
	(void)chan;
	(void)rule;
	violations++;
}

void sim_log(const char *fmt, ...)
{
	(void)fmt;
}

void sim_vlog(struct sim_nic *nic, const char *fmt, ...)
{
	(void)nic;
	(void)fmt;
}

static bool file_is(const char *dir, const char *name, const char *text)
{
	char path[PATH_MAX], buf[256];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "r");
	if (f == NULL)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	if (strcmp(buf, text) != 0)
		printf("  %s: '%s' != '%s'\n", path, buf, text);
	return strcmp(buf, text) == 0;
}

static bool exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

static void small_opts(struct sim *sim, unsigned int nics, bool no_monitor)
{
	char err[128];
	char *argv[] = { "t", "sim", "--ring", "64K", "--rxbuf", "64K", "--sendbuf", "32K",
			 "--", "true", NULL };
	int cmd;

	memset(sim, 0, sizeof(*sim));
	CHECK(sim_parse_args(10, argv, &sim->opt, &cmd, err, sizeof(err)) == 0);
	sim->opt.nics = nics;
	sim->opt.no_monitor = no_monitor;
}

static void test_tree(struct sim *sim)
{
	char dev[512], path[PATH_MAX], map[PATH_MAX], text[64];
	struct stat a, b;
	struct sim_nic *nic = &sim->nic[1];

	CHECK(sim->nnics == 2 && nic->chan[0].relid == 15 && nic->nchan == 1);
	CHECK(strcmp(nic->uuid, sim->nic[0].uuid) != 0 && nic->rxbuf_gpadl != 0 &&
	      nic->rxbuf_gpadl != nic->sendbuf_gpadl && nic->mac[5] == 2);
	CHECK(nic->ctl->magic == SIM_UIO_CTL_MAGIC && nic->chan[0].ring_size == 128 * 1024);
	snprintf(dev, sizeof(dev), "%s/sys/bus/vmbus/devices/%s", sim->workdir, nic->uuid);
	CHECK(file_is(dev, "class_id", "{f8615163-df3e-46c5-913f-f2d2f965ed0e}\n"));
	snprintf(text, sizeof(text), "{%s}\n", nic->uuid);
	CHECK(file_is(dev, "device_id", text));
	CHECK(file_is(dev, "id", "15\n") && file_is(dev, "monitor_id", "15\n"));
	CHECK(file_is(dev, "numa_node", "0\n"));
	CHECK(file_is(dev, "uio/uio1/maps/map0/name", "txrx_rings\n"));
	CHECK(file_is(dev, "uio/uio1/maps/map0/size", "0x20000\n"));
	CHECK(file_is(dev, "uio/uio1/maps/map1/name", "int_page\n"));
	CHECK(file_is(dev, "uio/uio1/maps/map2/size", "0x1000\n"));
	snprintf(text, sizeof(text), "recv:%u\n", nic->rxbuf_gpadl);
	CHECK(file_is(dev, "uio/uio1/maps/map3/name", text));
	snprintf(text, sizeof(text), "send:%u\n", nic->sendbuf_gpadl);
	CHECK(file_is(dev, "uio/uio1/maps/map4/name", text));
	CHECK(file_is(dev, "uio/uio1/maps/map4/size", "0x8000\n"));
	CHECK(file_is(dev, "uio/uio1/maps/map4/offset", "0x0\n"));
	CHECK(file_is(dev, "channels/15/subchannel_id", "0\n"));
	snprintf(path, sizeof(path), "%s/channels/15/ring", dev);
	snprintf(map, sizeof(map), SIM_UIO_MAP_FMT, sim->workdir, 1u, 0u);
	CHECK(stat(path, &a) == 0 && stat(map, &b) == 0 && a.st_ino == b.st_ino &&
	      a.st_size == 128 * 1024 && access(path, R_OK | W_OK) == 0);
	/* The ring as the guest sees it is the memory the host uses. */
	CHECK(nic->chan[0].ring[64] == 1 && nic->chan[0].ring[64 * 1024 + 64] == 1);
	/* What the shim's uio write acts on: the kernel's view of the device. */
	CHECK(nic->ctl->chan[0].relid == 15 && nic->ctl->chan[0].monitor_id == 15 &&
	      nic->ctl->chan[1].relid == 0 && strcmp(nic->ctl->uuid, nic->uuid) == 0 &&
	      nic->ctl->kernel == SIM_KERNEL_ALL && nic->chan[0].ring[64 * 1024 + MASK_OFF] == 1);
}

static void test_subchannels(struct sim *sim)
{
	struct sim_nic *nic = &sim->nic[1];
	char dev[512], path[PATH_MAX];
	unsigned int i;

	snprintf(dev, sizeof(dev), "%s/sys/bus/vmbus/devices/%s", sim->workdir, nic->uuid);
	CHECK(sim_env_offer_subchannels(nic, 3) == 0 && nic->nchan == 4);
	for (i = 1; i < 4; i++) {
		char text[16];

		CHECK(nic->chan[i].relid == 15 + i && nic->chan[i].subidx == i &&
		      nic->chan[i].offered && nic->chan[i].ring != NULL);
		snprintf(path, sizeof(path), "%s/channels/%u", dev, nic->chan[i].relid);
		snprintf(text, sizeof(text), "%u\n", i);
		CHECK(file_is(path, "subchannel_id", text));
		snprintf(text, sizeof(text), "%u\n", nic->chan[i].monitor_id);
		CHECK(file_is(path, "monitor_id", text));
		CHECK(nic->chan[i].ring[64] == 1);
		snprintf(path, sizeof(path), "%s/channels/.%u", dev, nic->chan[i].relid);
		CHECK(!exists(path));
		CHECK(nic->ctl->chan[i].relid == nic->chan[i].relid &&
		      nic->ctl->chan[i].monitor_id == nic->chan[i].monitor_id &&
		      nic->ctl->chan[i].gen != 0);
	}
	CHECK(sim_env_offer_subchannels(nic, SIM_MAX_CHANNELS) == -EINVAL && nic->nchan == 4);
	sim_env_rescind_subchannels(nic);
	CHECK(nic->nchan == 1 && sim->next_relid == 16 && nic->chan[1].ring == NULL);
	CHECK(nic->ctl->chan[1].relid == 0 && nic->ctl->chan[3].relid == 0 &&
	      nic->ctl->chan[0].relid == 15);
	snprintf(path, sizeof(path), "%s/channels/16", dev);
	CHECK(!exists(path));
	snprintf(path, sizeof(path), "%s/channels/15/ring", dev);
	CHECK(exists(path));
}

static void test_guest(struct sim *sim)
{
	struct sim_nic *nic = &sim->nic[0];
	char secret[64] = "guest memory", copy[64];
	uint32_t before = nic->ctl->event_count;

	sim_env_interrupt_guest(nic, SIM_MAX_CHANNELS);
	CHECK(nic->ctl->event_count == before + 1 && nic->stats.guest_interrupts == 0);
	/* Before any open nobody is trusted. */
	CHECK(sim_env_guest_read(nic, (uintptr_t)secret, copy, 8) == -ESRCH);
	sim->guest = getpid();
	nic->ctl->guest_pid = 1;
	sim_env_guest_opened(nic);
	CHECK(violations == 1 && sim_env_guest_read(nic, (uintptr_t)secret, copy, 8) == -ESRCH);
	nic->ctl->guest_pid = getpid();
	sim_env_guest_opened(nic);
	CHECK(violations == 1);
	CHECK(sim_env_guest_read(nic, (uintptr_t)secret, copy, sizeof(secret)) == 0 &&
	      memcmp(secret, copy, sizeof(secret)) == 0);
	CHECK(sim_env_guest_read(nic, 4096, copy, 8) < 0);
	CHECK(sim_env_guest_read(nic, UINT64_MAX - 2, copy, 8) == -EFAULT);
	nic->ctl->open_count = 1;
	CHECK(!sim_env_guest_vanished(nic));
	nic->ctl->open_count = 0;
}

/* Whether the host's window on nic reads want (its bytes and the NUL) at the guest's at. */
static bool reads_as(unsigned int nic, const void *at, const char *want)
{
	char copy[32];
	size_t n = strlen(want) + 1;

	return n <= sizeof(copy) && sim_guestmem_read(nic, (uintptr_t)at, copy, n) &&
	       memcmp(copy, want, n) == 0;
}

/*
 * The guest's mapping of a file the host names (a receive buffer) is a window, marked as a
 * receive buffer's, when named and only then; the guest's writes there show through it.
 * Dropping the receive buffers' windows leaves the memfd's (nohuge: "guest frame").
 */
static void test_guest_memory_own(struct sim *sim, const uint8_t *nohuge)
{
	struct sim_nic *nic = &sim->nic[0];
	char path[PATH_MAX], copy[16];
	const char *files[1] = { path };
	uint8_t *buf;
	int fd;

	snprintf(path, sizeof(path), "%s/own-rxbuf", sim->workdir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	CHECK(fd >= 0 && ftruncate(fd, 2 * 4096) == 0);
	buf = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(buf != MAP_FAILED);
	close(fd);
	memcpy(buf + 4000, "frame across", 13);
	CHECK(sim_guestmem_attach(nic->idx, getpid(), files, 1) == 2);
	CHECK(reads_as(nic->idx, buf + 4000, "frame across"));
	memcpy(buf + 4000, "later frame", 12);
	CHECK(reads_as(nic->idx, buf + 4000, "later frame"));
	CHECK(!sim_guestmem_read(nic->idx, (uintptr_t)buf + 8000, copy, 200));
	CHECK(sim_guestmem_in_rxbuf(nic->idx, (uintptr_t)buf + 8191));
	CHECK(!sim_guestmem_in_rxbuf(nic->idx, (uintptr_t)copy));
	sim_guestmem_drop_rxbufs(nic->idx);
	CHECK(!sim_guestmem_in_rxbuf(nic->idx, (uintptr_t)buf + 4000));
	CHECK(!sim_guestmem_read(nic->idx, (uintptr_t)buf + 4000, copy, 12));
	CHECK(reads_as(nic->idx, nohuge, "guest frame"));
	CHECK(sim_guestmem_attach(nic->idx, getpid(), NULL, 0) == 1);
	CHECK(!sim_guestmem_read(nic->idx, (uintptr_t)buf + 4000, copy, 13));
	CHECK(!sim_guestmem_in_rxbuf(nic->idx, (uintptr_t)buf + 4000));
	munmap(buf, 2 * 4096);
	unlink(path);
}

/*
 * The guest's shared memory (a memfd, as DPDK's --no-huge memory) is read through the host's
 * own mapping of it: the guest's later writes show; private memory, another memfd and reads
 * past the end are not served there, and a detach drops it. Run after test_guest: this
 * process is trusted.
 */
static void test_guest_memory(struct sim *sim)
{
	const size_t size = 16 * 4096;
	struct sim_nic *nic = &sim->nic[0];
	char secret[32] = "private memory", copy[32], file[80];
	uint8_t *p, *seg;
	int fd = memfd_create("nohuge", 0);

	CHECK(fd >= 0 && ftruncate(fd, (off_t)size) == 0);
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(p != MAP_FAILED);
	close(fd);
	memcpy(p + 100, "guest frame", 12);
	snprintf(file, sizeof(file), "/proc/self/map_files/%lx-%lx", (unsigned long)(uintptr_t)p,
		 (unsigned long)(uintptr_t)p + size);
	fd = open(file, O_RDONLY);
	if (fd < 0 && (errno == EPERM || errno == EACCES)) {
		printf("test_sim_env: no CAP_SYS_ADMIN for /proc/<pid>/map_files: not tested\n");
		munmap(p, size);
		return;
	}
	CHECK(fd >= 0);
	close(fd);
	/* A hugepage segment's memfd (--in-memory) is never a window: DPDK punches holes there. */
	fd = memfd_create("seg_0-1", 0);
	CHECK(fd >= 0 && ftruncate(fd, 4096) == 0);
	seg = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(seg != MAP_FAILED);
	close(fd);
	CHECK(sim_guestmem_attach(nic->idx, getpid(), NULL, 0) == 1);
	CHECK(!sim_guestmem_read(nic->idx, (uintptr_t)seg, copy, 8));
	munmap(seg, 4096);
	test_guest_memory_own(sim, p + 100);
	CHECK(sim_guestmem_attach(nic->idx, getpid(), NULL, 0) == 1);
	CHECK(reads_as(nic->idx, p + 100, "guest frame"));
	memcpy(p + 100, "later write", 12);
	CHECK(reads_as(nic->idx, p + 100, "later write"));
	CHECK(!sim_guestmem_read(nic->idx, (uintptr_t)p + size - 8, copy, 16));
	CHECK(!sim_guestmem_read(nic->idx, (uintptr_t)secret, copy, sizeof(secret)));
	CHECK(sim_env_guest_read(nic, (uintptr_t)secret, copy, sizeof(secret)) == 0 &&
	      memcmp(copy, secret, sizeof(secret)) == 0);
	/*
	 * The guest's reads go through the window first: with the guest's own view unmapped
	 * (here the same process), process_vm_readv would fail and only the window can answer.
	 */
	munmap(p, size);
	CHECK(sim_env_guest_read(nic, (uintptr_t)p + 100, copy, 12) == 0 &&
	      memcmp(copy, "later write", 12) == 0);
	sim_guestmem_detach(nic->idx);
	CHECK(!sim_guestmem_read(nic->idx, (uintptr_t)p + 100, copy, 12));
	CHECK(sim_env_guest_read(nic, (uintptr_t)p + 100, copy, 12) < 0);
}

/* A listener as the shim makes one: slot k live, its own FIFO; returns the read end. */
static int fake_listener(struct sim *sim, struct sim_nic *nic, unsigned int k, pid_t pid)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), SIM_UIO_LISTENER_FMT, sim->workdir, nic->uio, k);
	CHECK(mkfifo(path, 0600) == 0);
	fd = open(path, O_RDWR | O_NONBLOCK);
	CHECK(fd >= 0);
	nic->ctl->listener[k].gen++;
	nic->ctl->listener[k].pid = pid;
	nic->ctl->listener[k].state = SIM_LISTENER_LIVE;
	return fd;
}

/* An interrupt reaches every listener once and masks its channel as the kernel does. */
static void test_listeners(struct sim *sim)
{
	struct sim_nic *nic = &sim->nic[0];
	uint8_t *mask = nic->chan[0].ring + nic->chan[0].ring_size / 2 + MASK_OFF;
	char path[PATH_MAX], buf[8];
	pid_t child;
	int a, b;

	child = fork();
	if (child == 0)
		_exit(0);
	CHECK(child > 0 && waitpid(child, NULL, 0) == child);
	a = fake_listener(sim, nic, 0, getpid());
	b = fake_listener(sim, nic, 5, child);
	*mask = 0;
	sim_env_interrupt_guest(nic, 0);
	CHECK(*mask == 1 && nic->stats.guest_interrupts == 1 &&
	      nic->chan_stats[0].interrupts == 1);
	CHECK(read(a, buf, sizeof(buf)) == 1 && read(b, buf, sizeof(buf)) == 1);
	CHECK(read(a, buf, sizeof(buf)) < 0 && errno == EAGAIN);
	/* The listener of a process that died goes; the live one stays. */
	sim_env_reap_listeners(nic);
	snprintf(path, sizeof(path), SIM_UIO_LISTENER_FMT, sim->workdir, nic->uio, 5u);
	CHECK(nic->ctl->listener[5].state == SIM_LISTENER_FREE && !exists(path) &&
	      nic->ctl->listener[0].state == SIM_LISTENER_LIVE);
	sim_env_interrupt_guest(nic, 0);
	CHECK(read(a, buf, sizeof(buf)) == 1);
	close(a);
	close(b);
}

static void test_no_monitor(void)
{
	static struct sim sim;
	char dev[512], path[PATH_MAX], workdir[256];

	small_opts(&sim, 1, true);
	CHECK(sim_env_create(&sim) == 0);
	snprintf(dev, sizeof(dev), "%s/sys/bus/vmbus/devices/%s", sim.workdir, sim.nic[0].uuid);
	snprintf(path, sizeof(path), "%s/monitor_id", dev);
	CHECK(!exists(path) && sim.nic[0].chan[0].monitor_id == SIM_NO_MONITOR);
	CHECK(file_is(dev, "channels/14/monitor_id", "255\n"));
	snprintf(workdir, sizeof(workdir), "%s", sim.workdir);
	sim_env_destroy(&sim);
	CHECK(!exists(workdir));
}

/* A work directory whose host died is swept by the next host; a live host's is kept. */
static void test_sweep(void)
{
	static struct sim sim;
	const char *dead = "/dev/shm/hvnet-sim-testdead", *live = "/dev/shm/hvnet-sim-testlive";
	char path[PATH_MAX], workdir[256];
	pid_t child;
	FILE *f;

	/* A pid that certainly belongs to no process: a child that has been reaped. */
	child = fork();
	if (child == 0)
		_exit(0);
	CHECK(child > 0 && waitpid(child, NULL, 0) == child);
	CHECK(mkdir(dead, 0700) == 0 && mkdir(live, 0700) == 0);
	snprintf(path, sizeof(path), "%s/host.pid", dead);
	f = fopen(path, "w");
	CHECK(f != NULL && fprintf(f, "%ld\n", (long)child) > 0 && fclose(f) == 0);
	snprintf(path, sizeof(path), "%s/host.pid", live);
	f = fopen(path, "w");
	CHECK(f != NULL && fprintf(f, "%ld\n", (long)getpid()) > 0 && fclose(f) == 0);
	small_opts(&sim, 1, false);
	CHECK(sim_env_create(&sim) == 0);
	CHECK(!exists(dead) && exists(live));
	snprintf(path, sizeof(path), "%s/host.pid", sim.workdir);
	CHECK(exists(path));
	snprintf(workdir, sizeof(workdir), "%s", sim.workdir);
	sim_env_destroy(&sim);
	CHECK(!exists(workdir));
	snprintf(path, sizeof(path), "%s/host.pid", live);
	unlink(path);
	rmdir(live);
}

int main(void)
{
	static struct sim sim;
	char workdir[256];

	small_opts(&sim, 2, false);
	CHECK(sim_env_create(&sim) == 0);
	snprintf(workdir, sizeof(workdir), "%s", sim.workdir);
	CHECK(strncmp(workdir, "/dev/shm/hvnet-sim-", 19) == 0);
	test_tree(&sim);
	test_subchannels(&sim);
	test_guest(&sim);
	test_guest_memory(&sim);
	test_listeners(&sim);
	sim_env_destroy(&sim);
	CHECK(!exists(workdir) && sim.nic[0].ctl == NULL);
	test_no_monitor();
	test_sweep();
	return check_done("test_sim_env");
}
