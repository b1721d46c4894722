/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * net_hvnet: the Hyper-V/Azure synthetic NIC driver on the hvbus VMBus bus. This is the
 * registration skeleton; NVSP, RNDIS and the datapath arrive with the PMD work (issue 4).
 */
#include <errno.h>

#include <rte_log.h>
#include <ethdev_driver.h>

#include "bus_hvbus_driver.h"

RTE_LOG_REGISTER_SUFFIX(hvnet_logtype_init, init, NOTICE);
#define HVNET_INIT_LOG(level, fmt, ...) \
	rte_log(RTE_LOG_ ## level, hvnet_logtype_init, "hvnet: %s(): " fmt "\n", __func__, \
		## __VA_ARGS__)

/* Network device class of a synthetic NIC (the VMBus interface type). */
#define HVNET_CLASS_GUID "f8615163-df3e-46c5-913f-f2d2f965ed0e"

static int
hvnet_probe(struct rte_hvbus_driver *drv __rte_unused,
	    struct rte_hvbus_device *dev __rte_unused)
{
	HVNET_INIT_LOG(ERR, "device attach not implemented yet");
	return -ENOTSUP;
}

static int
hvnet_remove(struct rte_hvbus_device *dev __rte_unused)
{
	return 0;
}

static struct rte_hvbus_driver hvnet_driver = {
	.class_guid = HVNET_CLASS_GUID,
	.probe = hvnet_probe,
	.remove = hvnet_remove,
};

RTE_PMD_REGISTER_HVBUS(net_hvnet, hvnet_driver);
