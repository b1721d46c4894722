/* SPDX-License-Identifier: BSD-3-Clause */
/* hvbus: scan of the uio_hv_generic sysfs tree and per-channel subchannel discovery. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_memory.h>
#include <rte_uuid.h>

#include "hvbus_private.h"
#include "hvbus_sysfs.h"

/* Text form of a GUID: 8-4-4-4-12 hex digits, with or without one pair of braces. */
#define GUID_TEXT_LEN 36

int
hvbus_sysfs_read(const char *path, char *buf, size_t size)
{
	size_t len = 0;
	ssize_t n;
	int fd, ret = 0;

	if (size < 2)
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* One byte more than fits, so that over-long content is noticed; bounded by size. */
	while (len < size) {
		n = read(fd, buf + len, size - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			break;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (ret < 0)
		return ret;
	if (len > 0 && buf[len - 1] == '\n')
		len--;
	if (len >= size)
		return -E2BIG;
	buf[len] = '\0';
	if (strlen(buf) != len)
		return -EINVAL;
	return (int)len;
}

const char *
hvbus_sysfs_strerror(int err)
{
	if (err == -E2BIG)
		return "content too long for an attribute";
	if (err == -EINVAL)
		return "content holds a NUL byte";
	return strerror(-err);
}

int
hvbus_parse_uint(const char *s, int base, uint64_t max, uint64_t *val)
{
	unsigned long long v;
	char *end;

	if (base == 0 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		s += 2;
		base = 16;
		if (!isxdigit((unsigned char)s[0]))
			return -EINVAL;
	} else {
		base = 10;
		if (!isdigit((unsigned char)s[0]))
			return -EINVAL;
	}
	errno = 0;
	v = strtoull(s, &end, base);
	if (*end != '\0')
		return -EINVAL;
	if (errno == ERANGE || v > max)
		return -ERANGE;
	*val = v;
	return 0;
}

int
hvbus_sysfs_path(char *out, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(out, size, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= size)
		return -ENAMETOOLONG;
	return 0;
}

static int
no_dot_name(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

/* Byte order, not the locale's collation, so that the order is the same everywhere. */
static int
name_order(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* Sorted entries of dir without dot names: the count, or -errno. */
static int
list_dir(const char *dir, struct dirent ***list)
{
	int n = scandir(dir, list, no_dot_name, name_order);

	return n < 0 ? -errno : n;
}

static void
free_list(struct dirent **list, int n)
{
	int i;

	for (i = 0; i < n; i++)
		free(list[i]);
	free(list);
}

/*
 * Read attribute file of directory dir for device devname. A missing optional attribute
 * returns -ENOENT quietly; every other failure is logged with device and file.
 */
static int
read_attr(const char *devname, const char *dir, const char *file, bool optional,
	  char buf[HVBUS_SYSFS_ATTR_MAX])
{
	char path[PATH_MAX];
	int ret;

	ret = hvbus_sysfs_path(path, sizeof(path), "%s/%s", dir, file);
	if (ret == 0)
		ret = hvbus_sysfs_read(path, buf, HVBUS_SYSFS_ATTR_MAX);
	if (ret >= 0)
		return 0;
	if (!(optional && ret == -ENOENT))
		HVBUS_LOG(WARNING, "device %s: cannot read %s: %s", devname, path,
			  hvbus_sysfs_strerror(ret));
	return ret;
}

/* Required unsigned attribute in 0..max. */
static int
read_uint_attr(const char *devname, const char *dir, const char *file, uint64_t max,
	       uint64_t *val)
{
	char buf[HVBUS_SYSFS_ATTR_MAX];
	int ret;

	ret = read_attr(devname, dir, file, false, buf);
	if (ret < 0)
		return ret;
	ret = hvbus_parse_uint(buf, 10, max, val);
	if (ret < 0)
		HVBUS_LOG(WARNING, "device %s: %s/%s is \"%s\", expected a decimal number up to %"
			  PRIu64, devname, dir, file, buf, max);
	return ret;
}

/*
 * monitor_id of a device or channel. Kernels may refuse to show it for channels without a
 * monitor, so any read failure means HVBUS_NO_MONITOR; only junk content is an error.
 */
static int
read_monitor_attr(const char *devname, const char *dir, uint8_t *monitor)
{
	char path[PATH_MAX], buf[HVBUS_SYSFS_ATTR_MAX];
	uint64_t v;
	int ret;

	*monitor = HVBUS_NO_MONITOR;
	ret = hvbus_sysfs_path(path, sizeof(path), "%s/monitor_id", dir);
	if (ret < 0)
		return ret;
	ret = hvbus_sysfs_read(path, buf, sizeof(buf));
	if (ret < 0) {
		HVBUS_LOG(DEBUG, "device %s: %s unreadable (%s): no monitor", devname, path,
			  hvbus_sysfs_strerror(ret));
		return 0;
	}
	ret = hvbus_parse_uint(buf, 10, HVBUS_NO_MONITOR, &v);
	if (ret < 0) {
		HVBUS_LOG(WARNING, "device %s: %s is \"%s\", expected 0..%u", devname, path, buf,
			  HVBUS_NO_MONITOR);
		return ret;
	}
	/* The monitor page has 4 x 32 trigger bits: a larger id could never be signalled. */
	if (v != HVBUS_NO_MONITOR && v >= HVBUS_MONITOR_IDS) {
		HVBUS_LOG(NOTICE, "device %s: %s is %" PRIu64 ", beyond the monitor page: using"
			  " the interrupt page", devname, path, v);
		v = HVBUS_NO_MONITOR;
	}
	*monitor = (uint8_t)v;
	return 0;
}

static int
parse_guid(const char *text, rte_uuid_t uu)
{
	char bare[GUID_TEXT_LEN + 1];
	size_t len = strlen(text);

	if (len == GUID_TEXT_LEN + 2 && text[0] == '{' && text[len - 1] == '}') {
		text++;
		len -= 2;
	}
	if (len != GUID_TEXT_LEN)
		return -EINVAL;
	memcpy(bare, text, len);
	bare[len] = '\0';
	/* rte_uuid_parse checks the dash positions and that all else is hex. */
	return rte_uuid_parse(bare, uu) == 0 ? 0 : -EINVAL;
}

static int
read_guid_attr(const char *devname, const char *dir, const char *file, rte_uuid_t uu)
{
	char buf[HVBUS_SYSFS_ATTR_MAX];
	int ret;

	ret = read_attr(devname, dir, file, false, buf);
	if (ret < 0)
		return ret;
	ret = parse_guid(buf, uu);
	if (ret < 0)
		HVBUS_LOG(WARNING, "device %s: %s/%s is \"%s\", expected a GUID "
			  "{xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx} (braces optional)",
			  devname, dir, file, buf);
	return ret;
}

/* numa_node: -1 or a node EAL knows; absent means SOCKET_ID_ANY. */
static int
read_numa_attr(const char *devname, const char *dir, int *node)
{
	char buf[HVBUS_SYSFS_ATTR_MAX];
	uint64_t v;
	int ret;

	*node = SOCKET_ID_ANY;
	ret = read_attr(devname, dir, "numa_node", true, buf);
	if (ret == -ENOENT)
		return 0;
	if (ret < 0)
		return ret;
	if (strcmp(buf, "-1") == 0)
		return 0;
	ret = hvbus_parse_uint(buf, 10, RTE_MAX_NUMA_NODES - 1, &v);
	if (ret < 0) {
		HVBUS_LOG(WARNING, "device %s: %s/numa_node is \"%s\", expected -1 or 0..%d",
			  devname, dir, buf, RTE_MAX_NUMA_NODES - 1);
		return ret;
	}
	*node = (int)v;
	return 0;
}

/* N of the lowest devdir/uio/uio<N> entry, or -ENOENT when not bound to uio_hv_generic. */
static int
find_uio(const char *devdir)
{
	struct dirent **list;
	char dir[PATH_MAX];
	uint64_t v;
	int i, n, ret = -ENOENT;

	if (hvbus_sysfs_path(dir, sizeof(dir), "%s/uio", devdir) < 0)
		return -ENAMETOOLONG;
	n = list_dir(dir, &list);
	if (n < 0)
		return n;
	for (i = 0; i < n; i++) {
		const char *name = list[i]->d_name;

		if (strncmp(name, "uio", 3) != 0 ||
		    hvbus_parse_uint(name + 3, 10, INT32_MAX, &v) < 0)
			continue;
		if (ret < 0 || (int)v < ret)
			ret = (int)v;
	}
	free_list(list, n);
	return ret;
}

/* Fill dev from devdir; 0, or a negative errno once the reason is logged. */
static int
parse_device(struct rte_hvbus_device *dev, const char *name, const char *devdir)
{
	uint64_t relid = 0;
	int ret;

	dev->uio_num = find_uio(devdir);
	if (dev->uio_num < 0) {
		HVBUS_LOG(DEBUG, "device %s: no %s/uio/uio<N>: not bound to uio_hv_generic, "
			  "skipped", name, devdir);
		return dev->uio_num;
	}
	ret = read_guid_attr(name, devdir, "class_id", dev->class_id);
	if (ret == 0)
		ret = read_guid_attr(name, devdir, "device_id", dev->device_id);
	if (ret == 0)
		ret = read_uint_attr(name, devdir, "id", HVBUS_SYSFS_MAX_RELID, &relid);
	if (ret == 0 && relid == 0) {
		HVBUS_LOG(WARNING, "device %s: %s/id is 0, expected a relid 1..%" PRIu32,
			  name, devdir, HVBUS_SYSFS_MAX_RELID);
		ret = -EINVAL;
	}
	if (ret == 0)
		ret = read_monitor_attr(name, devdir, &dev->monitor_id);
	if (ret == 0)
		ret = read_numa_attr(name, devdir, &dev->device.numa_node);
	if (ret < 0)
		return ret;
	rte_uuid_unparse(dev->device_id, dev->name, sizeof(dev->name));
	/* Later paths are built from dev->name, so it must be the directory's own name. */
	if (strcmp(dev->name, name) != 0) {
		HVBUS_LOG(WARNING, "device %s: device_id %s does not match the directory name, "
			  "skipped", name, dev->name);
		return -EINVAL;
	}
	dev->relid = (uint32_t)relid;
	dev->device.name = dev->name;
	return 0;
}

static bool
is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int
hvbus_scan_dir(const char *root, hvbus_scan_cb cb, void *arg)
{
	struct dirent **list;
	char devdir[PATH_MAX];
	int i, n, found = 0, ret = 0;

	n = list_dir(root, &list);
	if (n < 0) {
		if (n == -ENOENT)
			HVBUS_LOG(DEBUG, "no %s: no VMBus devices", root);
		else
			HVBUS_LOG(ERR, "cannot list %s: %s", root, strerror(-n));
		return n;
	}
	for (i = 0; i < n && ret >= 0; i++) {
		const char *name = list[i]->d_name;
		struct rte_hvbus_device *dev;

		if (hvbus_sysfs_path(devdir, sizeof(devdir), "%s/%s", root, name) < 0 ||
		    !is_dir(devdir)) {
			HVBUS_LOG(DEBUG, "%s/%s: not a device directory, skipped", root, name);
			continue;
		}
		dev = calloc(1, sizeof(*dev));
		if (dev == NULL) {
			HVBUS_LOG(ERR, "device %s: out of memory", name);
			ret = -ENOMEM;
			break;
		}
		if (parse_device(dev, name, devdir) < 0) {
			free(dev);
			continue;
		}
		HVBUS_LOG(DEBUG, "device %s: relid %" PRIu32 ", monitor %u, uio%d, numa %d",
			  dev->name, dev->relid, dev->monitor_id, dev->uio_num,
			  dev->device.numa_node);
		ret = cb(dev, arg);
		if (ret >= 0)
			found++;
	}
	free_list(list, n);
	return ret < 0 ? ret : found;
}

static bool
ring_accessible(const char *path)
{
	return access(path, R_OK | W_OK) == 0;
}

unsigned int
hvbus_sysfs_max_channels(const char *devdir, uint32_t relid)
{
	char path[PATH_MAX];

	if (hvbus_sysfs_path(path, sizeof(path), "%s/channels/%" PRIu32 "/ring", devdir, relid) < 0)
		return 1;
	return ring_accessible(path) ? HVBUS_SYSFS_MAX_CHANNELS : 1;
}

/*
 * Check one channels/<relid> directory whose ring is usable; 0 with subidx and monitor id in
 * info, or negative when it is the primary, not finished yet or malformed.
 */
static int
check_subchan(const char *devname, const char *chan_dir, struct hvbus_subchan_info *info)
{
	uint64_t subidx = 0;
	char buf[HVBUS_SYSFS_ATTR_MAX];
	int ret;

	ret = read_attr(devname, chan_dir, "subchannel_id", true, buf);
	if (ret == -ENOENT) {
		/* The kernel creates ring first; the id follows. Retried on the next pass. */
		HVBUS_LOG(DEBUG, "device %s: %s has no subchannel_id yet", devname, chan_dir);
		return ret;
	}
	if (ret < 0)
		return ret;
	ret = hvbus_parse_uint(buf, 10, HVBUS_SYSFS_MAX_CHANNELS, &subidx);
	if (ret == 0 && subidx == 0)
		return -EEXIST;		/* the primary channel */
	if (ret < 0) {
		HVBUS_LOG(WARNING, "device %s: %s/subchannel_id is \"%s\", expected 1..%u, "
			  "channel skipped", devname, chan_dir, buf, HVBUS_SYSFS_MAX_CHANNELS);
		return ret;
	}
	info->subidx = (uint16_t)subidx;
	return read_monitor_attr(devname, chan_dir, &info->monitor_id);
}

int
hvbus_sysfs_find_subchan(const char *devdir, hvbus_relid_open_fn is_open, void *arg,
			 struct hvbus_subchan_info *info)
{
	const char *slash = strrchr(devdir, '/');
	const char *devname = slash != NULL ? slash + 1 : devdir;
	char dir[PATH_MAX], chan_dir[PATH_MAX];
	struct dirent **list;
	uint64_t relid;
	int i, n, ret = -ENOENT;

	if (hvbus_sysfs_path(dir, sizeof(dir), "%s/channels", devdir) < 0)
		return -ENAMETOOLONG;
	n = list_dir(dir, &list);
	if (n == -ENOENT) {
		/* A kernel without per-channel directories: no subchannels, ever. */
		HVBUS_LOG(DEBUG, "device %s: no %s", devname, dir);
		return n;
	}
	if (n < 0) {
		HVBUS_LOG(ERR, "device %s: cannot list %s: %s", devname, dir, strerror(-n));
		return n;
	}
	for (i = 0; i < n && ret == -ENOENT; i++) {
		const char *name = list[i]->d_name;

		if (hvbus_parse_uint(name, 10, HVBUS_SYSFS_MAX_RELID, &relid) < 0 || relid == 0 ||
		    is_open((uint32_t)relid, arg))
			continue;
		if (hvbus_sysfs_path(chan_dir, sizeof(chan_dir), "%s/%s", dir, name) < 0 ||
		    hvbus_sysfs_path(info->ring_path, sizeof(info->ring_path), "%s/ring",
				     chan_dir) < 0 ||
		    !ring_accessible(info->ring_path) ||
		    check_subchan(devname, chan_dir, info) < 0)
			continue;
		info->relid = (uint32_t)relid;
		ret = 0;
	}
	free_list(list, n);
	return ret;
}
