/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hvbus: hvnet's user-space VMBus bus. The rte_bus operations: scan, allow/block, probe,
 * hot-unplug, and the hand-off with DPDK's upstream "vmbus" bus so that every device is
 * driven by exactly one driver.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_devargs.h>
#include <rte_interrupts.h>
#include <rte_log.h>
#include <bus_driver.h>

#include "hvbus_private.h"
#include "hvbus_sysfs.h"
#include "hvbus_uio.h"

RTE_LOG_REGISTER_DEFAULT(hvbus_logtype, NOTICE);

/* The upstream bus that sees the same devices (DPDK's drivers/bus/vmbus). */
#define UPSTREAM_BUS "vmbus"

static TAILQ_HEAD(, rte_hvbus_device) hvbus_devices = TAILQ_HEAD_INITIALIZER(hvbus_devices);
static TAILQ_HEAD(, rte_hvbus_driver) hvbus_drivers = TAILQ_HEAD_INITIALIZER(hvbus_drivers);
static struct rte_bus hvbus_bus;

/*
 * Stands in as the "driver" of an upstream vmbus device that hvbus drives: upstream's probe
 * skips devices that rte_dev_is_probed() reports as taken.
 */
static const struct rte_driver hvbus_claim = { .name = "hvbus (hvnet)" };

/*
 * A second copy of a driver (the same plugin loaded from two places, e.g. installed and
 * given with -d) would never be chosen: say so, and keep the first.
 */
void
rte_hvbus_register(struct rte_hvbus_driver *drv)
{
	const struct rte_hvbus_driver *cur;

	TAILQ_FOREACH(cur, &hvbus_drivers, next) {
		if (strcmp(cur->driver.name, drv->driver.name) == 0) {
			HVBUS_LOG(NOTICE, "%s registered already (another copy of its plugin): "
				  "this copy is not used", drv->driver.name);
			return;
		}
	}
	TAILQ_INSERT_TAIL(&hvbus_drivers, drv, next);
}

void
rte_hvbus_unregister(struct rte_hvbus_driver *drv)
{
	const struct rte_hvbus_driver *cur;

	TAILQ_FOREACH(cur, &hvbus_drivers, next) {
		if (cur == drv) {
			TAILQ_REMOVE(&hvbus_drivers, drv, next);
			return;
		}
	}
}

static struct rte_devargs *
hvbus_devargs_lookup(const char *bus, const char *name)
{
	struct rte_devargs *da;

	RTE_EAL_DEVARGS_FOREACH(bus, da) {
		if (strcasecmp(da->name, name) == 0)
			return da;
	}
	return NULL;
}

static int
hvbus_add_device(struct rte_hvbus_device *dev, void *arg __rte_unused)
{
	struct rte_hvbus_device *cur;

	TAILQ_FOREACH(cur, &hvbus_devices, next) {
		if (strcmp(cur->name, dev->name) == 0) {
			/* A rescan: the device is known already. */
			free(dev);
			return 0;
		}
	}
	dev->device.bus = &hvbus_bus;
	dev->device.name = dev->name;
	dev->device.devargs = hvbus_devargs_lookup(HVBUS_NAME, dev->name);
	TAILQ_INSERT_TAIL(&hvbus_devices, dev, next);
	HVBUS_LOG(DEBUG, "found %s relid %u uio%d numa %d", dev->name, dev->relid, dev->uio_num,
		  dev->device.numa_node);
	return 0;
}

/* EAL -a/-b for this bus: blocked devices, and in allow-list mode the unlisted ones. */
static bool
hvbus_ignored(const struct rte_hvbus_device *dev)
{
	const struct rte_devargs *da = dev->device.devargs;

	if (da != NULL)
		return da->policy == RTE_DEV_BLOCKED;
	return hvbus_bus.conf.scan_mode == RTE_BUS_SCAN_ALLOWLIST;
}

static const struct rte_hvbus_driver *
hvbus_find_driver(const struct rte_hvbus_device *dev)
{
	const struct rte_hvbus_driver *drv;
	rte_uuid_t guid;

	TAILQ_FOREACH(drv, &hvbus_drivers, next) {
		if (rte_uuid_parse(drv->class_guid, guid) == 0 &&
		    rte_uuid_compare(guid, dev->class_id) == 0)
			return drv;
	}
	return NULL;
}

/* A device hvbus probes: bound to uio_hv_generic, not left out by -a/-b, with a driver. */
static bool
hvbus_will_drive(const struct rte_hvbus_device *dev)
{
	return dev->uio_num >= 0 && !hvbus_ignored(dev) && hvbus_find_driver(dev) != NULL;
}

static int
hvbus_cmp_name(const struct rte_device *dev, const void *name)
{
	return strcasecmp(dev->name, name);
}

/*
 * Take the device from the upstream vmbus bus, unless upstream drives it already. Returns
 * false when hvbus must leave it. (The user leaves a device to upstream with -b hvbus:<uuid>;
 * "-a vmbus:<uuid>" cannot reach here: EAL's legacy device syntax gives a UUID to the first
 * bus that parses it, which is hvbus, and refuses the option.)
 */
static bool
hvbus_claim_from_upstream(const struct rte_hvbus_device *dev)
{
	struct rte_bus *up = rte_bus_find_by_name(UPSTREAM_BUS);
	struct rte_device *updev;

	if (up == NULL)
		return true;
	updev = up->find_device(NULL, hvbus_cmp_name, dev->name);
	if (updev == NULL)
		return true;
	if (rte_dev_is_probed(updev)) {
		HVBUS_LOG(NOTICE, "%s: driven by upstream %s already", dev->name,
			  updev->driver->name);
		return false;
	}
	updev->driver = &hvbus_claim;
	return true;
}

/* HVBUS_DISABLE=1 (any value but 0): hvbus finds nothing, every NIC is left to upstream. */
static bool
hvbus_disabled(void)
{
	const char *v = getenv(HVBUS_DISABLE_ENV);

	return v != NULL && *v != '\0' && strcmp(v, "0") != 0;
}

static int
hvbus_scan(void)
{
	int ret;

	if (hvbus_disabled()) {
		HVBUS_LOG(NOTICE, "%s is set: every device is left to the upstream driver",
			  HVBUS_DISABLE_ENV);
		return 0;
	}
	if (access(HVBUS_SYSFS_DEVICES, F_OK) != 0) {
		HVBUS_LOG(DEBUG, "no %s: not a Hyper-V guest", HVBUS_SYSFS_DEVICES);
		return 0;
	}
	ret = hvbus_scan_dir(HVBUS_SYSFS_DEVICES, hvbus_add_device, NULL);
	return ret < 0 ? ret : 0;
}

/*
 * Drivers hand the host IOVA >> 12 as guest-physical page numbers (GPA-direct packets), which
 * Hyper-V reads as such: with a device to drive, IOVA must be the physical address.
 */
static enum rte_iova_mode
hvbus_get_iommu_class(void)
{
	const struct rte_hvbus_device *dev;

	TAILQ_FOREACH(dev, &hvbus_devices, next) {
		if (hvbus_will_drive(dev))
			return RTE_IOVA_PA;
	}
	return RTE_IOVA_DC;
}

static int
hvbus_probe_one(struct rte_hvbus_device *dev)
{
	const struct rte_hvbus_driver *drv;
	int ret;

	if (rte_dev_is_probed(&dev->device) || hvbus_ignored(dev))
		return 0;
	drv = hvbus_find_driver(dev);
	if (drv == NULL)
		return 0;
	if (dev->uio_num < 0) {
		HVBUS_LOG(NOTICE, "%s: not bound to uio_hv_generic, skipped", dev->name);
		return 0;
	}
	if (!hvbus_claim_from_upstream(dev))
		return 0;
	HVBUS_LOG(INFO, "%s: probing with %s", dev->name, drv->driver.name);
	dev->driver = drv;
	ret = drv->probe((struct rte_hvbus_driver *)(uintptr_t)drv, dev);
	if (ret != 0) {
		HVBUS_LOG(ERR, "%s: %s probe failed: %s", dev->name, drv->driver.name,
			  strerror(-ret));
		dev->driver = NULL;
		return ret;
	}
	dev->device.driver = &drv->driver;
	return 0;
}

static int
hvbus_probe(void)
{
	struct rte_hvbus_device *dev;
	unsigned int tried = 0, failed = 0;

	TAILQ_FOREACH(dev, &hvbus_devices, next) {
		tried++;
		if (hvbus_probe_one(dev) < 0)
			failed++;
	}
	return (tried > 0 && tried == failed) ? -1 : 0;
}

/* Device names on this bus are instance UUIDs. */
static int
hvbus_parse(const char *name, void *addr)
{
	rte_uuid_t guid;

	if (rte_uuid_parse(name, guid) != 0)
		return -EINVAL;
	if (addr != NULL)
		rte_uuid_unparse(guid, addr, RTE_UUID_STRLEN);
	return 0;
}

static struct rte_device *
hvbus_find_device(const struct rte_device *start, rte_dev_cmp_t cmp, const void *data)
{
	struct rte_hvbus_device *dev = NULL;

	if (start != NULL)
		dev = TAILQ_NEXT(container_of(start, struct rte_hvbus_device, device), next);
	else
		dev = TAILQ_FIRST(&hvbus_devices);
	for (; dev != NULL; dev = TAILQ_NEXT(dev, next)) {
		if (cmp(&dev->device, data) == 0)
			return &dev->device;
	}
	return NULL;
}

/* ---- rescind watch -------------------------------------------------------------------- */

/* hvbus_watch_stop() waits at most this long for a running watch callback to return. */
#define HVBUS_WATCH_STOP_US	1000000u
#define HVBUS_WATCH_RETRY_US	1000u

/* After a rescind the kernel removes the device's sysfs directory. */
static bool
hvbus_sysfs_gone(const struct rte_hvbus_device *dev)
{
	char dir[PATH_MAX];

	return hvbus_devdir(dev, dir, sizeof(dir)) == 0 && access(dir, F_OK) != 0 &&
	       errno == ENOENT;
}

/*
 * The uio fd is readable: an interrupt (consumed: the drivers poll their rings) or, when the
 * read fails, the host rescinded the device (uio_hv_generic then fails reads with EIO).
 */
static void
hvbus_watch_cb(void *arg)
{
	struct rte_hvbus_device *dev = arg;
	const struct rte_hvbus_driver *drv = dev->driver;
	int ret;

	ret = hvbus_uio_irq_read(dev);
	if (ret == 0 || ret == -EAGAIN)
		return;
	/* A failing fd stays readable: it would wake this thread forever. */
	rte_intr_callback_unregister_pending(dev->watch_intr, hvbus_watch_cb, dev, NULL);
	if (!hvbus_sysfs_gone(dev)) {
		HVBUS_LOG(ERR, "%s: uio interrupt read failed (%s) but the device is still in "
			  "sysfs: rescinds are no longer watched", dev->name, strerror(-ret));
		return;
	}
	HVBUS_LOG(NOTICE, "%s: rescinded by the host", dev->name);
	__atomic_store_n(&dev->rescinded, true, __ATOMIC_RELEASE);
	/* Last: the driver may detach the device, which frees dev. */
	if (drv != NULL && drv->rescind != NULL)
		drv->rescind(dev);
}

void
hvbus_watch_start(struct rte_hvbus_device *dev)
{
	struct rte_intr_handle *h;
	int ret = -ENOMEM;

	/*
	 * Its own handle of type EXT on the uio fd: for a UIO handle EAL reads the fd itself and,
	 * on EIO, drops the source without calling us, so the rescind would go unnoticed.
	 */
	h = rte_intr_instance_alloc(RTE_INTR_INSTANCE_F_PRIVATE);
	if (h != NULL) {
		ret = rte_intr_fd_set(h, rte_intr_fd_get(dev->intr_handle));
		if (ret == 0)
			ret = rte_intr_type_set(h, RTE_INTR_HANDLE_EXT);
		if (ret == 0)
			ret = rte_intr_callback_register(h, hvbus_watch_cb, dev);
	}
	if (ret != 0) {
		HVBUS_LOG(WARNING, "%s: cannot watch the uio fd (%s): a rescind will go unnoticed",
			  dev->name, strerror(-ret));
		rte_intr_instance_free(h);
		return;
	}
	dev->watch_intr = h;
}

void
hvbus_watch_stop(struct rte_hvbus_device *dev)
{
	unsigned int waited = 0;
	int ret;

	if (dev->watch_intr == NULL)
		return;
	for (;;) {
		/* -ENOENT: the callback removed itself after a rescind. */
		ret = rte_intr_callback_unregister(dev->watch_intr, hvbus_watch_cb, dev);
		if (ret != -EAGAIN)
			break;
		/* Busy on the interrupt thread means we are inside the callback: EAL removes it. */
		if (rte_thread_is_intr()) {
			rte_intr_callback_unregister_pending(dev->watch_intr, hvbus_watch_cb, dev,
							     NULL);
			break;
		}
		if (waited >= HVBUS_WATCH_STOP_US) {
			HVBUS_LOG(ERR, "%s: the uio watch callback did not return within %u ms",
				  dev->name, HVBUS_WATCH_STOP_US / 1000);
			break;
		}
		rte_delay_us_sleep(HVBUS_WATCH_RETRY_US);
		waited += HVBUS_WATCH_RETRY_US;
	}
	rte_intr_instance_free(dev->watch_intr);
	dev->watch_intr = NULL;
}

/* ---- hot-plug ---------------------------------------------------------------------------- */

static int
hvbus_plug(struct rte_device *rdev)
{
	return hvbus_probe_one(container_of(rdev, struct rte_hvbus_device, device));
}

static int
hvbus_detach(struct rte_hvbus_device *dev)
{
	int ret = 0;

	if (dev->driver != NULL && dev->driver->remove != NULL)
		ret = dev->driver->remove(dev);
	if (ret != 0)
		return ret;
	rte_hvbus_unmap_device(dev);
	dev->driver = NULL;
	dev->device.driver = NULL;
	return 0;
}

static int
hvbus_unplug(struct rte_device *rdev)
{
	struct rte_hvbus_device *dev = container_of(rdev, struct rte_hvbus_device, device);
	int ret;

	ret = hvbus_detach(dev);
	if (ret != 0)
		return ret;
	TAILQ_REMOVE(&hvbus_devices, dev, next);
	rte_devargs_remove(dev->device.devargs);
	free(dev);
	return 0;
}

static int
hvbus_cleanup(void)
{
	struct rte_hvbus_device *dev;
	int ret = 0;

	while ((dev = TAILQ_FIRST(&hvbus_devices)) != NULL) {
		if (hvbus_detach(dev) != 0)
			ret = -1;
		TAILQ_REMOVE(&hvbus_devices, dev, next);
		free(dev);
	}
	return ret;
}

static struct rte_bus hvbus_bus = {
	.scan = hvbus_scan,
	.probe = hvbus_probe,
	.find_device = hvbus_find_device,
	.plug = hvbus_plug,
	.unplug = hvbus_unplug,
	.parse = hvbus_parse,
	.cleanup = hvbus_cleanup,
	.get_iommu_class = hvbus_get_iommu_class,
};

/*
 * RTE_REGISTER_BUS, with two differences:
 * - hvbus goes before upstream's vmbus in EAL's bus list, whichever plugin EAL loaded first
 *   (-d order, or the order of a plugin folder holding both). EAL parses a device name, scans
 *   and probes bus by bus in that order: so "-a/-b hvbus:<uuid>" always parses (the legacy
 *   syntax needs the named bus to be the first that accepts the name) and hvbus always
 *   probes, and claims its devices, before upstream's probe.
 * - a second copy of this plugin (installed in the DPDK's plugin folder and also given with
 *   -d) stays out: two buses would drive the same devices.
 */
RTE_INIT_PRIO(hvbus_register_bus, BUS)
{
	struct rte_bus *up;

	if (rte_bus_find_by_name(HVBUS_NAME) != NULL) {
		HVBUS_LOG(NOTICE, "a bus named %s is registered already (another copy of this "
			  "plugin): this copy is not used", HVBUS_NAME);
		return;
	}
	hvbus_bus.name = HVBUS_NAME;
	up = rte_bus_find_by_name(UPSTREAM_BUS);
	if (up != NULL)
		rte_bus_unregister(up);
	rte_bus_register(&hvbus_bus);
	if (up != NULL)
		rte_bus_register(up);
}
