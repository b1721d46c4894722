/* SPDX-License-Identifier: BSD-3-Clause */
/* hvbus: reading the uio_hv_generic sysfs tree (devices, channels) and its small text files. */
#ifndef HVBUS_SYSFS_H
#define HVBUS_SYSFS_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bus_hvbus_driver.h"

/* Largest sysfs attribute we accept, newline and NUL included; longer content is junk. */
#define HVBUS_SYSFS_ATTR_MAX 128

/* Channels per device, primary included, when the kernel exposes per-channel ring files. */
#define HVBUS_SYSFS_MAX_CHANNELS 64u

/* Highest relid we accept from sysfs (relids start at 1). */
#define HVBUS_SYSFS_MAX_RELID (UINT32_C(1) << 31)

/*
 * Read the text attribute at path into buf (size bytes): at most size - 1 bytes of content,
 * one trailing newline stripped, NUL-terminated. Returns the length, -E2BIG when the content
 * does not fit, -EINVAL for an embedded NUL, or the open/read -errno. Logs nothing: callers
 * know which device and attribute it was.
 */
int hvbus_sysfs_read(const char *path, char *buf, size_t size);

/* Text for a hvbus_sysfs_read() error: its own wording for over-long or NUL-holding content. */
const char *hvbus_sysfs_strerror(int err);

/* snprintf into a path buffer: 0, or -ENAMETOOLONG when it does not fit. */
int hvbus_sysfs_path(char *out, size_t size, const char *fmt, ...) __rte_format_printf(3, 4);

/*
 * Strict unsigned number: digits only (no sign, no blanks), value <= max.
 * base 10 is decimal only; base 0 is decimal or 0x/0X-prefixed hex (never octal).
 * 0 or -EINVAL (junk) / -ERANGE (above max).
 */
int hvbus_parse_uint(const char *s, int base, uint64_t max, uint64_t *val);

/*
 * Called once per usable device, in ascending order of directory name. dev is calloc'd and
 * fully filled (device.name points to dev->name, the lowercase instance UUID, and the device
 * directory is <root>/<dev->name>); the callback owns it from then on and must free() it if
 * it does not keep it. A negative return stops the scan and is returned by hvbus_scan_dir().
 */
typedef int (*hvbus_scan_cb)(struct rte_hvbus_device *dev, void *arg);

/*
 * Enumerate root (normally HVBUS_SYSFS_DEVICES). Devices with a missing or malformed
 * attribute are logged (device and file named) and skipped; devices not bound to
 * uio_hv_generic are logged at DEBUG and skipped. The class is not filtered here.
 * Returns the number of devices passed to cb, or a negative errno when root cannot be read
 * (-ENOENT, logged at DEBUG only, when there is no VMBus at all) or cb failed.
 */
int hvbus_scan_dir(const char *root, hvbus_scan_cb cb, void *arg);

/* HVBUS_SYSFS_MAX_CHANNELS when devdir/channels/<relid>/ring is readable and writable, else 1. */
unsigned int hvbus_sysfs_max_channels(const char *devdir, uint32_t relid);

/* Tells hvbus_sysfs_find_subchan() whether the caller already has a channel with this relid. */
typedef bool (*hvbus_relid_open_fn)(uint32_t relid, void *arg);

/* A subchannel offered by the host and opened by the kernel, ready to be mapped. */
struct hvbus_subchan_info {
	uint32_t relid;
	uint16_t subidx;		/* 1..HVBUS_SYSFS_MAX_CHANNELS, the host's offer index */
	uint8_t monitor_id;		/* HVBUS_NO_MONITOR when the channel has none */
	char ring_path[PATH_MAX];	/* for hvbus_uio_map_ring_file() */
};

/*
 * One pass over devdir/channels/ (no waiting: the caller polls). Picks, in ascending name
 * order, the first channel that is not open (is_open(relid, arg) false), whose ring file is
 * readable and writable and whose subchannel_id is 1..HVBUS_SYSFS_MAX_CHANNELS. Skipped:
 * dot names (directories still being built), the primary (subchannel_id 0), names that are
 * not a relid, and entries whose subchannel_id is not written yet (DEBUG) or is junk or out
 * of range (WARNING). 0 with *info filled, -ENOENT when there is none, or another -errno
 * when channels/ cannot be read.
 */
int hvbus_sysfs_find_subchan(const char *devdir, hvbus_relid_open_fn is_open, void *arg,
			     struct hvbus_subchan_info *info);

#endif /* HVBUS_SYSFS_H */
