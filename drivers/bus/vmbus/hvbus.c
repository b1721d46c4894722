/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hvbus: hvnet's user-space VMBus bus, registered under its own name so that it can live in
 * one process with DPDK's upstream "vmbus" bus. This is the registration skeleton: drivers
 * register here; device scan and probe arrive with the bus driver work (issue 3).
 */
#include <errno.h>

#include <rte_log.h>
#include <bus_driver.h>

#include "bus_hvbus_driver.h"

RTE_LOG_REGISTER_DEFAULT(hvbus_logtype, NOTICE);
#define HVBUS_LOG(level, fmt, ...) \
	rte_log(RTE_LOG_ ## level, hvbus_logtype, "hvbus: " fmt "\n", ## __VA_ARGS__)

static TAILQ_HEAD(, rte_hvbus_driver) hvbus_drivers = TAILQ_HEAD_INITIALIZER(hvbus_drivers);

void
rte_hvbus_register(struct rte_hvbus_driver *drv)
{
	TAILQ_INSERT_TAIL(&hvbus_drivers, drv, next);
}

void
rte_hvbus_unregister(struct rte_hvbus_driver *drv)
{
	TAILQ_REMOVE(&hvbus_drivers, drv, next);
}

static int
hvbus_scan(void)
{
	HVBUS_LOG(DEBUG, "device scan not implemented yet; no devices");
	return 0;
}

static int
hvbus_probe(void)
{
	return 0;
}

/* Names that are not ours must be refused so that other buses can claim them. */
static int
hvbus_parse(const char *name __rte_unused, void *addr __rte_unused)
{
	return -EINVAL;
}

static struct rte_device *
hvbus_find_device(const struct rte_device *start __rte_unused,
		  rte_dev_cmp_t cmp __rte_unused, const void *data __rte_unused)
{
	return NULL;
}

static struct rte_bus hvbus_bus = {
	.scan = hvbus_scan,
	.probe = hvbus_probe,
	.find_device = hvbus_find_device,
	.parse = hvbus_parse,
};

RTE_REGISTER_BUS(hvbus, hvbus_bus);
