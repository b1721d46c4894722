/* SPDX-License-Identifier: BSD-3-Clause */
/* hvbus: validate and map a device's uio_hv_generic resources; irq fd and ring file helpers. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rte_interrupts.h>

#include "hvbus_private.h"
#include "hvbus_sysfs.h"
#include "hvbus_uio.h"

/* Hyper-V pages are 4 KiB whatever the system page size is. */
#define HV_PAGE_SIZE 4096u

/* What each map must be called and how big it may be. */
struct map_spec {
	const char *name;		/* exact name, or the prefix before the gpadl */
	bool has_gpadl;
	bool (*size_ok)(uint64_t size);
	const char *size_rule;		/* for the log line */
};

#define RING_RULE "an even number of 4096-byte pages, each half at least 8192 bytes"

static bool
ring_pair_ok(uint64_t size)
{
	return size % (2 * HV_PAGE_SIZE) == 0 && size / 2 >= HVBUS_RING_MIN_SIZE;
}

static bool
page_ok(uint64_t size)
{
	return size >= HV_PAGE_SIZE;
}

static bool
buffer_ok(uint64_t size)
{
	return size != 0 && size % HV_PAGE_SIZE == 0;
}

static const struct map_spec map_specs[HVBUS_MAP_COUNT] = {
	[HVBUS_MAP_RING] = { "txrx_rings", false, ring_pair_ok, RING_RULE },
	[HVBUS_MAP_INT] = { "int_page", false, page_ok, "at least 4096 bytes" },
	[HVBUS_MAP_MONITOR] = { "monitor_page", false, page_ok, "at least 4096 bytes" },
	[HVBUS_MAP_RECV] = { "recv:", true, buffer_ok, "a non-zero multiple of 4096" },
	[HVBUS_MAP_SEND] = { "send:", true, buffer_ok, "a non-zero multiple of 4096" },
};

static int
read_map_file(const char *mapdir, const char *file, char buf[HVBUS_SYSFS_ATTR_MAX])
{
	char path[PATH_MAX];
	int ret;

	ret = hvbus_sysfs_path(path, sizeof(path), "%s/%s", mapdir, file);
	if (ret == 0)
		ret = hvbus_sysfs_read(path, buf, HVBUS_SYSFS_ATTR_MAX);
	if (ret < 0)
		HVBUS_LOG(ERR, "cannot read %s/%s: %s", mapdir, file, hvbus_sysfs_strerror(ret));
	return ret < 0 ? ret : 0;
}

/* Check map k's name against its spec; takes the gpadl out of recv:/send: names. */
static int
check_map_name(const char *mapdir, const struct map_spec *spec, const char *name,
	       struct hvbus_map_info *info)
{
	size_t plen = strlen(spec->name);
	uint64_t gpadl;

	if (!spec->has_gpadl) {
		if (strcmp(name, spec->name) == 0)
			return 0;
		HVBUS_LOG(ERR, "%s/name is \"%s\", expected \"%s\"", mapdir, name, spec->name);
		return -EINVAL;
	}
	if (strncmp(name, spec->name, plen) != 0 ||
	    hvbus_parse_uint(name + plen, 0, UINT32_MAX, &gpadl) < 0 || gpadl == 0) {
		HVBUS_LOG(ERR, "%s/name is \"%s\", expected \"%s<gpadl>\" with a gpadl handle "
			  "1..0xffffffff (decimal or 0x-hex)", mapdir, name, spec->name);
		return -EINVAL;
	}
	info->gpadl = (uint32_t)gpadl;
	return 0;
}

static int
read_one_map(const char *devdir, int uio_num, unsigned int k, struct hvbus_map_info *info)
{
	const struct map_spec *spec = &map_specs[k];
	char mapdir[PATH_MAX], buf[HVBUS_SYSFS_ATTR_MAX];
	uint64_t size;
	int ret;

	ret = hvbus_sysfs_path(mapdir, sizeof(mapdir), "%s/uio/uio%d/maps/map%u", devdir,
			       uio_num, k);
	if (ret < 0) {
		HVBUS_LOG(ERR, "%s: map path too long", devdir);
		return ret;
	}
	info->gpadl = 0;
	ret = read_map_file(mapdir, "name", buf);
	if (ret == 0)
		ret = check_map_name(mapdir, spec, buf, info);
	if (ret == 0)
		ret = read_map_file(mapdir, "size", buf);
	if (ret < 0)
		return ret;
	if (hvbus_parse_uint(buf, 0, SIZE_MAX, &size) < 0 || !spec->size_ok(size)) {
		HVBUS_LOG(ERR, "%s/size is \"%s\", expected for %s%s: %s (decimal or 0x-hex)",
			  mapdir, buf, spec->name, spec->has_gpadl ? "<gpadl>" : "",
			  spec->size_rule);
		return -EINVAL;
	}
	info->size = (size_t)size;
	return 0;
}

int
hvbus_uio_read_maps(const char *devdir, int uio_num, struct hvbus_map_info out[HVBUS_MAP_COUNT])
{
	unsigned int k;
	int ret;

	for (k = 0; k < HVBUS_MAP_COUNT; k++) {
		ret = read_one_map(devdir, uio_num, k, &out[k]);
		if (ret < 0)
			return ret;
	}
	return 0;
}

static void
unmap_resources(struct rte_mem_resource *res, unsigned int count)
{
	unsigned int k;

	for (k = 0; k < count; k++) {
		if (res[k].addr != NULL)
			munmap(res[k].addr, res[k].len);
		res[k].addr = NULL;
		res[k].len = 0;
	}
}

/* mmap the maps of the open uio fd into res[]; on failure nothing stays mapped. */
static int
map_resources(const char *path, int fd, const struct hvbus_map_info *maps,
	      struct rte_mem_resource *res)
{
	long page = sysconf(_SC_PAGESIZE);
	unsigned int k;
	void *addr;
	int ret;

	for (k = 0; k < HVBUS_MAP_COUNT; k++) {
		addr = mmap(NULL, maps[k].size, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
			    (off_t)k * page);
		if (addr == MAP_FAILED) {
			ret = -errno;
			HVBUS_LOG(ERR, "cannot mmap map%u (%s, %zu bytes) of %s: %s", k,
				  map_specs[k].name, maps[k].size, path, strerror(-ret));
			unmap_resources(res, k);
			return ret;
		}
		res[k].addr = addr;
		res[k].len = maps[k].size;
		res[k].phys_addr = 0;
	}
	return 0;
}

int
hvbus_uio_map(struct rte_hvbus_device *dev, const char *devdir)
{
	struct rte_mem_resource res[HVBUS_MAP_COUNT] = { 0 };
	struct hvbus_map_info maps[HVBUS_MAP_COUNT];
	struct rte_intr_handle *intr;
	char path[PATH_MAX];
	int fd, ret;

	ret = hvbus_uio_read_maps(devdir, dev->uio_num, maps);
	if (ret < 0)
		return ret;
	ret = hvbus_sysfs_path(path, sizeof(path), "/dev/uio%d", dev->uio_num);
	if (ret < 0)
		return ret;
	intr = rte_intr_instance_alloc(RTE_INTR_INSTANCE_F_PRIVATE);
	if (intr == NULL) {
		HVBUS_LOG(ERR, "device %s: cannot allocate an interrupt handle", dev->name);
		return -ENOMEM;
	}
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		HVBUS_LOG(ERR, "device %s: cannot open %s: %s", dev->name, path, strerror(-ret));
		goto free_intr;
	}
	if (rte_intr_fd_set(intr, fd) != 0 || rte_intr_type_set(intr, RTE_INTR_HANDLE_UIO) != 0) {
		ret = -EINVAL;
		HVBUS_LOG(ERR, "device %s: cannot set up the interrupt handle", dev->name);
		goto close_fd;
	}
	ret = map_resources(path, fd, maps, res);
	if (ret < 0)
		goto close_fd;
	memcpy(dev->resource, res, sizeof(res));
	dev->recv_gpadl = maps[HVBUS_MAP_RECV].gpadl;
	dev->send_gpadl = maps[HVBUS_MAP_SEND].gpadl;
	dev->intr_handle = intr;
	return 0;

close_fd:
	close(fd);
free_intr:
	rte_intr_instance_free(intr);
	return ret;
}

void
hvbus_uio_unmap(struct rte_hvbus_device *dev)
{
	int fd;

	unmap_resources(dev->resource, HVBUS_MAP_COUNT);
	if (dev->intr_handle == NULL)
		return;
	fd = rte_intr_fd_get(dev->intr_handle);
	if (fd >= 0)
		close(fd);
	rte_intr_instance_free(dev->intr_handle);
	dev->intr_handle = NULL;
}

static int
uio_fd(const struct rte_hvbus_device *dev)
{
	int fd = dev->intr_handle != NULL ? rte_intr_fd_get(dev->intr_handle) : -1;

	return fd >= 0 ? fd : -EBADF;
}

/* Consume the interrupt count pending on a uio fd without blocking (see hvbus_uio.h). */
static int
uio_ack(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	uint32_t count;
	ssize_t n;
	int ret;

	if (fd < 0)
		return -EBADF;
	/* A zero timeout: a plain read would block until the next interrupt. */
	ret = poll(&pfd, 1, 0);
	if (ret < 0)
		return errno == EINTR ? -EAGAIN : -errno;
	if (ret == 0)
		return -EAGAIN;
	if (!(pfd.revents & POLLIN))
		return -EIO;
	n = read(fd, &count, sizeof(count));
	if (n < 0)
		return errno == EAGAIN ? -EAGAIN : -errno;
	return n == sizeof(count) ? 0 : -EIO;
}

int
hvbus_uio_irq_read(struct rte_hvbus_device *dev)
{
	return uio_ack(uio_fd(dev));
}

int
hvbus_uio_listener_open(const struct rte_hvbus_device *dev)
{
	char path[PATH_MAX];
	int fd, ret;

	ret = hvbus_sysfs_path(path, sizeof(path), "/dev/uio%d", dev->uio_num);
	if (ret < 0)
		return ret;
	fd = open(path, O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		ret = -errno;
		HVBUS_LOG(ERR, "device %s: cannot open %s for interrupts: %s", dev->name, path,
			  strerror(-ret));
		return ret;
	}
	return fd;
}

int
hvbus_uio_listener_ack(int fd)
{
	return uio_ack(fd);
}

int
hvbus_uio_irq_write(struct rte_hvbus_device *dev, uint32_t v)
{
	int fd = uio_fd(dev);
	ssize_t n;

	if (fd < 0)
		return fd;
	n = write(fd, &v, sizeof(v));
	if (n < 0)
		return -errno;
	return n == sizeof(v) ? 0 : -EIO;
}

int
hvbus_uio_map_ring_file(const char *path, void **addr, size_t *len)
{
	struct stat st;
	void *va;
	int fd, ret = 0;

	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		HVBUS_LOG(ERR, "cannot open ring file %s: %s", path, strerror(-ret));
		return ret;
	}
	if (fstat(fd, &st) < 0) {
		ret = -errno;
		HVBUS_LOG(ERR, "cannot stat ring file %s: %s", path, strerror(-ret));
		goto out;
	}
	if (!S_ISREG(st.st_mode) || st.st_size <= 0 || !ring_pair_ok((uint64_t)st.st_size)) {
		HVBUS_LOG(ERR, "ring file %s: size %jd, expected a regular file of " RING_RULE,
			  path, (intmax_t)st.st_size);
		ret = -EINVAL;
		goto out;
	}
	va = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (va == MAP_FAILED) {
		ret = -errno;
		HVBUS_LOG(ERR, "cannot mmap ring file %s (%jd bytes): %s", path,
			  (intmax_t)st.st_size, strerror(-ret));
		goto out;
	}
	*addr = va;
	*len = (size_t)st.st_size;
out:
	close(fd);
	return ret;
}
