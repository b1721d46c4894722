/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Telemetry of net_hvnet ports (dpdk-telemetry.py, or any client of the telemetry socket):
 *   /hvnet/ports             the ports net_hvnet drives
 *   /hvnet/info,<port>       protocol versions, channels, buffer layouts, link, VF state
 *   /hvnet/rings,<port>      per channel: both rings' indices, bytes in use and free,
 *                            interrupt mask, pending send size, feature bits
 *   /hvnet/buffers,<port>    per queue: send sections in use, completions the host owes,
 *                            receive sections held by external mbufs, acks not yet sent
 *   /hvnet/drops,<port>      every per-reason drop counter (the *_errors, ring_full,
 *                            sendbuf_full and nombuf xstats)
 * Read on the telemetry thread without stopping the data path: each figure is a snapshot.
 * Like ethdev's own endpoints, they must not race a reconfiguration or close of the port.
 * Rings and buffers live in the primary process only: a secondary answers -ENOTSUP there.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_telemetry.h>
#include <rte_version.h>

#include "hvnet_ethdev.h"

/* 23.11 renamed rte_tel_data_add_dict_u64 to _uint and deprecated the old name (gone in 25.11). */
#if RTE_VERSION >= RTE_VERSION_NUM(23, 11, 0, 0)
#define hvnet_tel_u64(d, name, v) rte_tel_data_add_dict_uint(d, name, v)
#else
#define hvnet_tel_u64(d, name, v) rte_tel_data_add_dict_u64(d, name, v)
#endif

#define HVNET_DRIVER_NAME "net_hvnet"
/* Names of the per-queue/per-channel sub-dictionaries: "chan12", "txq3". */
#define HVNET_TEL_NAME_LEN 16
/* xstats one port can have: 64 queues each way, a few dozen counters each. */
#define HVNET_TEL_MAX_XSTATS 4096

static bool
hvnet_tel_is_ours(uint16_t port)
{
	struct rte_eth_dev_info info;

	return rte_eth_dev_is_valid_port(port) && rte_eth_dev_info_get(port, &info) == 0 &&
	       info.driver_name != NULL && strcmp(info.driver_name, HVNET_DRIVER_NAME) == 0;
}

/* The port of "<port>" when net_hvnet drives it, else NULL. */
static struct hvnet_dev *
hvnet_tel_port(const char *params, bool primary_only)
{
	unsigned long port;
	char *end;

	if (params == NULL || *params == '\0')
		return NULL;
	errno = 0;
	port = strtoul(params, &end, 10);
	if (errno != 0 || *end != '\0' || port >= RTE_MAX_ETHPORTS ||
	    !hvnet_tel_is_ours((uint16_t)port))
		return NULL;
	if (primary_only && rte_eal_process_type() != RTE_PROC_PRIMARY)
		return NULL;
	return hvnet_dev_of(&rte_eth_devices[port]);
}

static int
hvnet_tel_ports(const char *cmd __rte_unused, const char *params __rte_unused,
		struct rte_tel_data *d)
{
	uint16_t port;

	rte_tel_data_start_array(d, RTE_TEL_INT_VAL);
	RTE_ETH_FOREACH_DEV(port) {
		if (hvnet_tel_is_ours(port))
			rte_tel_data_add_array_int(d, port);
	}
	return 0;
}

static int
hvnet_tel_info(const char *cmd __rte_unused, const char *params, struct rte_tel_data *d)
{
	const struct hvnet_dev *hv = hvnet_tel_port(params, false);
	char ver[16];

	if (hv == NULL)
		return -EINVAL;
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_string(d, "device", hv->vdev->name);
	snprintf(ver, sizeof(ver), "%u.%u", hv->nvs_ver >> 16, hv->nvs_ver & 0xffff);
	rte_tel_data_add_dict_string(d, "nvsp_version", ver);
	snprintf(ver, sizeof(ver), "%u.%u", hv->ndis_ver >> 16, hv->ndis_ver & 0xffff);
	rte_tel_data_add_dict_string(d, "ndis_version", ver);
	hvnet_tel_u64(d, "channels", hv->nb_chan);
	hvnet_tel_u64(d, "max_channels", hv->max_chan);
	hvnet_tel_u64(d, "mtu", hv->mtu);
	hvnet_tel_u64(d, "link_up", hv->link_up);
	hvnet_tel_u64(d, "link_speed_mbps", hv->link_speed_mbps);
	hvnet_tel_u64(d, "rescinded", hv->rescinded);
	hvnet_tel_u64(d, "rxbuf_section_size", hv->rxbuf_section_size);
	hvnet_tel_u64(d, "rxbuf_sections", hv->rxbuf_section_cnt);
	hvnet_tel_u64(d, "sendbuf_section_size", hv->sendbuf_section_size);
	hvnet_tel_u64(d, "sendbuf_sections", hv->sendbuf_section_cnt);
	hvnet_tel_u64(d, "packet_filter", hv->packet_filter);
	/* Accelerated networking (hvnet_vf.c): what the host offers and what the port does. */
	rte_tel_data_add_dict_string(d, "vf_state", hvnet_vf_state_name(hv));
	hvnet_tel_u64(d, "vf_offered", hv->vf_present);
	hvnet_tel_u64(d, "vf_serial", hv->vf_serial);
	hvnet_tel_u64(d, "vf_port", hv->vf.state == HVNET_VF_ACTIVE ? hv->vf.port : UINT16_MAX);
	hvnet_tel_u64(d, "vf_attaches", hv->vf.attaches);
	hvnet_tel_u64(d, "vf_detaches", hv->vf.detaches);
	return 0;
}

static void
hvnet_tel_ring(struct rte_tel_data *c, const char *dir, const struct rte_hvbus_ring_info *r)
{
	char name[32];

#define HVNET_TEL_RING(field, v) do { \
	snprintf(name, sizeof(name), "%s_%s", dir, field); \
	hvnet_tel_u64(c, name, v); \
} while (0)
	HVNET_TEL_RING("size", r->size);
	HVNET_TEL_RING("write_index", r->write_index);
	HVNET_TEL_RING("read_index", r->read_index);
	HVNET_TEL_RING("bytes_used", r->bytes_used);
	HVNET_TEL_RING("bytes_free", r->size - r->bytes_used);
	HVNET_TEL_RING("interrupt_mask", r->interrupt_mask);
	HVNET_TEL_RING("pending_send_size", r->pending_send_sz);
	HVNET_TEL_RING("feature_bits", r->feature_bits);
	HVNET_TEL_RING("indices_ok", r->indices_ok);
#undef HVNET_TEL_RING
}

static int
hvnet_tel_rings(const char *cmd __rte_unused, const char *params, struct rte_tel_data *d)
{
	const struct hvnet_dev *hv = hvnet_tel_port(params, true);
	struct rte_hvbus_chan_info info;
	char name[HVNET_TEL_NAME_LEN];
	struct rte_tel_data *c;
	unsigned int q;

	if (hv == NULL)
		return -EINVAL;
	rte_tel_data_start_dict(d);
	for (q = 0; q < hv->nb_chan && q < HVNET_MAX_QUEUES; q++) {
		if (hv->chan[q] == NULL)
			continue;
		c = rte_tel_data_alloc();
		if (c == NULL)
			return -ENOMEM;
		rte_hvbus_chan_info(hv->chan[q], &info);
		rte_tel_data_start_dict(c);
		hvnet_tel_u64(c, "relid", info.relid);
		hvnet_tel_u64(c, "index", info.index);
		hvnet_tel_u64(c, "monitor_id", info.monitor_id);
		hvnet_tel_u64(c, "rx_broken", info.rx_broken);
		hvnet_tel_ring(c, "tx", &info.tx);
		hvnet_tel_ring(c, "rx", &info.rx);
		snprintf(name, sizeof(name), "chan%u", q);
		if (rte_tel_data_add_dict_container(d, name, c, 0) != 0) {
			rte_tel_data_free(c);
			return -ENOSPC;
		}
	}
	return 0;
}

/* Descriptors of a tx queue the host still holds (their completion not yet read). */
static unsigned int
hvnet_tel_txq_inflight(const struct hvnet_txq *txq)
{
	unsigned int i, n = 0;

	for (i = 0; i < txq->nb_desc; i++)
		n += (__atomic_load_n(&txq->txd[i].own, __ATOMIC_RELAXED) & HVNET_TXD_STATE) ==
		     HVNET_TXD_INFLIGHT;
	return n;
}

static int
hvnet_tel_add_queue(struct rte_tel_data *d, const char *kind, uint16_t q,
		    struct rte_tel_data *c)
{
	char name[HVNET_TEL_NAME_LEN];

	snprintf(name, sizeof(name), "%s%u", kind, q);
	if (rte_tel_data_add_dict_container(d, name, c, 0) != 0) {
		rte_tel_data_free(c);
		return -ENOSPC;
	}
	return 0;
}

static int
hvnet_tel_buffers(const char *cmd __rte_unused, const char *params, struct rte_tel_data *d)
{
	const struct hvnet_dev *hv = hvnet_tel_port(params, true);
	const struct rte_eth_dev_data *data;
	const struct hvnet_txq *txq;
	const struct hvnet_rxq *rxq;
	struct rte_tel_data *c;
	unsigned int free_txd, done_txd;
	uint16_t q;
	int ret;

	if (hv == NULL)
		return -EINVAL;
	data = hv->eth->data;
	rte_tel_data_start_dict(d);
	for (q = 0; q < data->nb_tx_queues; q++) {
		txq = data->tx_queues[q];
		if (txq == NULL || (c = rte_tel_data_alloc()) == NULL)
			continue;
		free_txd = rte_ring_count(txq->free_txd);
		done_txd = hvnet_idxq_count(txq->done_txd);
		rte_tel_data_start_dict(c);
		/*
		 * Each descriptor owns one send section for its life: a section is free, back
		 * from the host but not reclaimed yet (done), or in use (being filled, or the
		 * host's until its completion comes).
		 */
		hvnet_tel_u64(c, "sections", txq->nb_desc);
		hvnet_tel_u64(c, "first_section", txq->first_section);
		hvnet_tel_u64(c, "sections_free", free_txd);
		hvnet_tel_u64(c, "sections_in_use",
			      txq->nb_desc - RTE_MIN(free_txd + done_txd, txq->nb_desc));
		hvnet_tel_u64(c, "completions_outstanding", hvnet_tel_txq_inflight(txq));
		hvnet_tel_u64(c, "completions_unreclaimed", done_txd);
		ret = hvnet_tel_add_queue(d, "txq", q, c);
		if (ret != 0)
			return ret;
	}
	for (q = 0; q < data->nb_rx_queues; q++) {
		rxq = data->rx_queues[q];
		if (rxq == NULL || (c = rte_tel_data_alloc()) == NULL)
			continue;
		rte_tel_data_start_dict(c);
		hvnet_tel_u64(c, "sections_held_by_mbufs", rxq->ext_outstanding);
		hvnet_tel_u64(c, "acks_pending", rxq->nb_acks);
		hvnet_tel_u64(c, "stash_frames", rte_ring_count(rxq->stash));
		ret = hvnet_tel_add_queue(d, "rxq", q, c);
		if (ret != 0)
			return ret;
	}
	return 0;
}

/* The drop counters among the port's xstats: the per-reason ones, and the resource ones. */
static bool
hvnet_tel_is_drop(const char *name)
{
	static const char *const suffix[] = { "_errors", "_ring_full", "_sendbuf_full",
					      "_nombuf" };
	size_t len = strlen(name), n;
	unsigned int i;

	for (i = 0; i < RTE_DIM(suffix); i++) {
		n = strlen(suffix[i]);
		if (len > n && strcmp(name + len - n, suffix[i]) == 0)
			return true;
	}
	return false;
}

static int
hvnet_tel_drops(const char *cmd __rte_unused, const char *params, struct rte_tel_data *d)
{
	const struct hvnet_dev *hv = hvnet_tel_port(params, false);
	struct rte_eth_xstat_name *names = NULL;
	struct rte_eth_xstat *xs = NULL;
	int n, i, ret = -ENOMEM;

	if (hv == NULL)
		return -EINVAL;
	n = rte_eth_xstats_get_names(hv->port_id, NULL, 0);
	if (n < 0 || n > HVNET_TEL_MAX_XSTATS)
		return n < 0 ? n : -E2BIG;
	names = calloc(RTE_MAX(n, 1), sizeof(*names));
	xs = calloc(RTE_MAX(n, 1), sizeof(*xs));
	if (names == NULL || xs == NULL)
		goto out;
	if (rte_eth_xstats_get_names(hv->port_id, names, n) != n ||
	    rte_eth_xstats_get(hv->port_id, xs, n) != n) {
		ret = -EAGAIN;	/* the queues changed in between */
		goto out;
	}
	rte_tel_data_start_dict(d);
	for (i = 0; i < n; i++) {
		if (xs[i].id < (uint64_t)n && hvnet_tel_is_drop(names[xs[i].id].name))
			hvnet_tel_u64(d, names[xs[i].id].name, xs[i].value);
	}
	ret = 0;
out:
	free(names);
	free(xs);
	return ret;
}

RTE_INIT(hvnet_telemetry_init)
{
	rte_telemetry_register_cmd("/hvnet/ports", hvnet_tel_ports,
				   "Ports driven by net_hvnet. No parameters");
	rte_telemetry_register_cmd("/hvnet/info", hvnet_tel_info,
				   "NVSP/NDIS versions, channels, buffers, link, VF state. "
				   "Parameters: int port_id");
	rte_telemetry_register_cmd("/hvnet/rings", hvnet_tel_rings,
				   "Per channel ring indices, use, interrupt mask, pending send "
				   "size. Parameters: int port_id");
	rte_telemetry_register_cmd("/hvnet/buffers", hvnet_tel_buffers,
				   "Per queue send sections, outstanding completions, receive "
				   "sections held. Parameters: int port_id");
	rte_telemetry_register_cmd("/hvnet/drops", hvnet_tel_drops,
				   "Per queue drop counters by reason. Parameters: int port_id");
}
