/* SPDX-License-Identifier: BSD-3-Clause */
/* Driver-facing API of the hvbus VMBus bus: how a device driver registers and is probed. */
#ifndef BUS_HVBUS_DRIVER_H
#define BUS_HVBUS_DRIVER_H

#include <sys/queue.h>

#include <rte_common.h>
#include <dev_driver.h>

/* Bus name, as used in EAL device arguments: -a hvbus:<instance uuid>. */
#define HVBUS_NAME "hvbus"

struct rte_hvbus_device;

struct rte_hvbus_driver {
	TAILQ_ENTRY(rte_hvbus_driver) next;
	struct rte_driver driver;
	/* Interface class GUID claimed by the driver, text form without braces. */
	const char *class_guid;
	int (*probe)(struct rte_hvbus_driver *drv, struct rte_hvbus_device *dev);
	int (*remove)(struct rte_hvbus_device *dev);
};

void rte_hvbus_register(struct rte_hvbus_driver *drv);
void rte_hvbus_unregister(struct rte_hvbus_driver *drv);

#define RTE_PMD_REGISTER_HVBUS(nm, hvbus_drv) \
	RTE_INIT(hvbus_reg_ ## nm) \
	{ \
		(hvbus_drv).driver.name = RTE_STR(nm); \
		rte_hvbus_register(&(hvbus_drv)); \
	} \
	RTE_PMD_EXPORT_NAME(nm, __COUNTER__)

#endif /* BUS_HVBUS_DRIVER_H */
