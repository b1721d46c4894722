/* SPDX-License-Identifier: BSD-3-Clause */
/* Test-only LD_PRELOAD: report net_netvsc queues as started so testpmd 22.11 forwards on them. */

/*
 * Why this exists (doc/guides/prog_guide/hvnet_protocol.rst, last section): Debian's DPDK
 * 22.11 net_netvsc never sets the ethdev rx/tx queue states to STARTED (it has no queue
 * start/stop ops and dev_start does not touch them), so rte_eth_rx_queue_info_get() and
 * rte_eth_tx_queue_info_get() report STOPPED. testpmd 22.11 refreshes the queue states before
 * forwarding and disables every stream whose queue is stopped, including the --tx-first
 * burst: against a fully working host it probes, shows link and MAC, and then forwards
 * nothing at all.
 *
 * This library leaves the driver and testpmd unmodified. It interposes the two public
 * queue-info calls; when the real call succeeds and the port's driver is "net_netvsc", it
 * reports the queue as STARTED. Every other driver sees the real answer untouched.
 *
 * It links no DPDK library on purpose: the simulator passes LD_PRELOAD through its own
 * process and helpers, where these symbols are never called, so the library must load
 * anywhere without pulling in EAL constructors. DPDK calls are resolved at call time.
 *
 * testpmd references the versioned symbols rte_eth_*_queue_info_get@DPDK_23. An unversioned
 * definition in a preloaded object satisfies a versioned reference (the dynamic linker accepts
 * a base-version definition), and preloaded objects come first in the lookup scope, so the
 * wrappers below are what testpmd binds to (verified with LD_DEBUG=bindings). The real
 * functions are looked up by the same version first, then by default version.
 */

#include <dlfcn.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <rte_ethdev.h>

#define QSTATE_DPDK_VERSION	"DPDK_23"
#ifndef QSTATE_DRIVER
#define QSTATE_DRIVER		"net_netvsc"	/* a test build may override it to prove the rewrite */
#endif

typedef int (*rxq_info_fn)(uint16_t, uint16_t, struct rte_eth_rxq_info *);
typedef int (*txq_info_fn)(uint16_t, uint16_t, struct rte_eth_txq_info *);
typedef int (*dev_info_fn)(uint16_t, struct rte_eth_dev_info *);

/* The next definition of name after this library: the DPDK one, never our own wrapper. */
static void *
qstate_next(const char *name)
{
	void *sym = dlvsym(RTLD_NEXT, name, QSTATE_DPDK_VERSION);

	if (sym == NULL)
		sym = dlsym(RTLD_NEXT, name);
	return sym;
}

/* True only when the port's driver is the upstream netvsc PMD; any doubt means "no". */
static int
qstate_is_netvsc(uint16_t port_id)
{
	static dev_info_fn dev_info_get;
	struct rte_eth_dev_info info;

	if (dev_info_get == NULL)
		dev_info_get = (dev_info_fn)qstate_next("rte_eth_dev_info_get");
	if (dev_info_get == NULL)
		return 0;
	memset(&info, 0, sizeof(info));
	if (dev_info_get(port_id, &info) != 0 || info.driver_name == NULL)
		return 0;
	return strcmp(info.driver_name, QSTATE_DRIVER) == 0;
}

/* The one thing this shim changes: a netvsc queue that the real call described is started. */
static void
qstate_report_started(int ret, uint16_t port_id, uint8_t *state)
{
	if (ret == 0 && qstate_is_netvsc(port_id))
		*state = RTE_ETH_QUEUE_STATE_STARTED;
}

int
rte_eth_rx_queue_info_get(uint16_t port_id, uint16_t queue_id, struct rte_eth_rxq_info *qinfo)
{
	static rxq_info_fn real;
	int ret;

	if (real == NULL)
		real = (rxq_info_fn)qstate_next("rte_eth_rx_queue_info_get");
	if (real == NULL)
		return -ENOTSUP;
	ret = real(port_id, queue_id, qinfo);
	if (qinfo != NULL)
		qstate_report_started(ret, port_id, &qinfo->queue_state);
	return ret;
}

int
rte_eth_tx_queue_info_get(uint16_t port_id, uint16_t queue_id, struct rte_eth_txq_info *qinfo)
{
	static txq_info_fn real;
	int ret;

	if (real == NULL)
		real = (txq_info_fn)qstate_next("rte_eth_tx_queue_info_get");
	if (real == NULL)
		return -ENOTSUP;
	ret = real(port_id, queue_id, qinfo);
	if (qinfo != NULL)
		qstate_report_started(ret, port_id, &qinfo->queue_state);
	return ret;
}
