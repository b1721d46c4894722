/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * net_hvnet RSS, ethdev side: the flow types the host can hash (from its capabilities), the
 * indirection table and the key. The host is told through hvnet_rndis_set_rss().
 */

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include <rte_common.h>
#include <ethdev_driver.h>

#include "hvnet_ethdev.h"

/*
 * DPDK's usual Toeplitz key (the mlx5 default): the VF and the synthetic path then hash a
 * flow to the same value, as with upstream net_netvsc.
 */
static const uint8_t hvnet_default_rss_key[HVNET_RSS_KEY_SIZE] = {
	0x2c, 0xc6, 0x81, 0xd1, 0x5b, 0xdb, 0xf4, 0xf7,
	0xfc, 0xa2, 0x83, 0x19, 0xdb, 0x1a, 0x3e, 0x94,
	0x6b, 0x9e, 0x38, 0xd9, 0x2c, 0x9c, 0x03, 0xd1,
	0xad, 0x99, 0x44, 0xa7, 0xd9, 0x56, 0x3d, 0x59,
	0x06, 0x3c, 0x25, 0xf3, 0xfc, 0x1f, 0xdc, 0x2a,
};

/*
 * What each RSS capability bit of the host allows: a TCP bit implies the plain IP hash of the
 * same family (doc/guides/prog_guide/hvnet_protocol.rst, "RSS capabilities and hash types").
 */
static const struct {
	uint32_t cap;
	uint32_t types;
} hvnet_rss_cap_map[] = {
	{ HV_NDIS_RSS_CAP_TCP_IPV4, HV_NDIS_HASH_IPV4 | HV_NDIS_HASH_TCP_IPV4 },
	{ HV_NDIS_RSS_CAP_TCP_IPV6, HV_NDIS_HASH_IPV6 | HV_NDIS_HASH_TCP_IPV6 },
	{ HV_NDIS_RSS_CAP_TCP_IPV6_EX, HV_NDIS_HASH_IPV6_EX | HV_NDIS_HASH_TCP_IPV6_EX },
	{ HV_NDIS_RSS_CAP_UDP_IPV4, HV_NDIS_HASH_UDP_IPV4 },
	{ HV_NDIS_RSS_CAP_UDP_IPV6, HV_NDIS_HASH_UDP_IPV6 },
	{ HV_NDIS_RSS_CAP_UDP_IPV6_EX, HV_NDIS_HASH_UDP_IPV6_EX },
};

/* NDIS hash types and the ethdev RSS flow types each of them covers. */
static const struct {
	uint32_t ndis;
	uint64_t rte;
} hvnet_rss_map[] = {
	{ HV_NDIS_HASH_IPV4,
	  RTE_ETH_RSS_IPV4 | RTE_ETH_RSS_FRAG_IPV4 | RTE_ETH_RSS_NONFRAG_IPV4_OTHER },
	{ HV_NDIS_HASH_TCP_IPV4, RTE_ETH_RSS_NONFRAG_IPV4_TCP },
	{ HV_NDIS_HASH_UDP_IPV4, RTE_ETH_RSS_NONFRAG_IPV4_UDP },
	{ HV_NDIS_HASH_IPV6,
	  RTE_ETH_RSS_IPV6 | RTE_ETH_RSS_FRAG_IPV6 | RTE_ETH_RSS_NONFRAG_IPV6_OTHER },
	{ HV_NDIS_HASH_IPV6_EX, RTE_ETH_RSS_IPV6_EX },
	{ HV_NDIS_HASH_TCP_IPV6, RTE_ETH_RSS_NONFRAG_IPV6_TCP },
	{ HV_NDIS_HASH_TCP_IPV6_EX, RTE_ETH_RSS_IPV6_TCP_EX },
	{ HV_NDIS_HASH_UDP_IPV6, RTE_ETH_RSS_NONFRAG_IPV6_UDP },
	{ HV_NDIS_HASH_UDP_IPV6_EX, RTE_ETH_RSS_IPV6_UDP_EX },
};

/*
 * UDP flow types on a host that cannot hash UDP ports: NDIS hashes a UDP frame by its
 * addresses when only the IP type of its family is on, so asking for UDP still spreads flows.
 */
static const struct {
	uint32_t udp;		/* the host's UDP hash type, when it has it */
	uint32_t ip;		/* the type that hashes UDP frames without it */
	uint64_t rte;
} hvnet_rss_udp_by_ip[] = {
	{ HV_NDIS_HASH_UDP_IPV4, HV_NDIS_HASH_IPV4, RTE_ETH_RSS_NONFRAG_IPV4_UDP },
	{ HV_NDIS_HASH_UDP_IPV6, HV_NDIS_HASH_IPV6, RTE_ETH_RSS_NONFRAG_IPV6_UDP },
	{ HV_NDIS_HASH_UDP_IPV6_EX, HV_NDIS_HASH_IPV6_EX, RTE_ETH_RSS_IPV6_UDP_EX },
};

/* NDIS hash types the host can compute (none without Toeplitz). */
static uint32_t
hvnet_rss_supported(const struct hvnet_dev *hv)
{
	uint32_t types = 0;
	unsigned int i;

	if (!(hv->rss_hash_caps & HV_NDIS_RSS_CAP_TOEPLITZ))
		return 0;
	for (i = 0; i < RTE_DIM(hvnet_rss_cap_map); i++) {
		if (hv->rss_hash_caps & hvnet_rss_cap_map[i].cap)
			types |= hvnet_rss_cap_map[i].types;
	}
	return types;
}

/* The flow types NDIS hash info ndis spreads on this host. */
static uint64_t
hvnet_ndis_to_rss_hf(const struct hvnet_dev *hv, uint32_t ndis)
{
	uint32_t supported = hvnet_rss_supported(hv);
	uint64_t hf = 0;
	unsigned int i;

	for (i = 0; i < RTE_DIM(hvnet_rss_map); i++) {
		if (ndis & hvnet_rss_map[i].ndis)
			hf |= hvnet_rss_map[i].rte;
	}
	for (i = 0; i < RTE_DIM(hvnet_rss_udp_by_ip); i++) {
		if (!(supported & hvnet_rss_udp_by_ip[i].udp) && (ndis & hvnet_rss_udp_by_ip[i].ip))
			hf |= hvnet_rss_udp_by_ip[i].rte;
	}
	return hf;
}

/* NDIS hash info for rss_hf, limited to what the host can do; logs what it leaves out. */
static uint32_t
hvnet_rss_hf_to_ndis(const struct hvnet_dev *hv, uint64_t rss_hf)
{
	uint32_t supported = hvnet_rss_supported(hv);
	uint64_t used = 0;
	uint32_t types = 0;
	unsigned int i;

	for (i = 0; i < RTE_DIM(hvnet_rss_map); i++) {
		if (!(rss_hf & hvnet_rss_map[i].rte) || !(supported & hvnet_rss_map[i].ndis))
			continue;
		types |= hvnet_rss_map[i].ndis;
		used |= hvnet_rss_map[i].rte;
	}
	for (i = 0; i < RTE_DIM(hvnet_rss_udp_by_ip); i++) {
		if (!(rss_hf & hvnet_rss_udp_by_ip[i].rte) ||
		    (supported & hvnet_rss_udp_by_ip[i].udp) ||
		    !(supported & hvnet_rss_udp_by_ip[i].ip))
			continue;
		types |= hvnet_rss_udp_by_ip[i].ip;
		used |= hvnet_rss_udp_by_ip[i].rte;
	}
	if (rss_hf & ~used)
		HVNET_LOG(NOTICE, "port %u: RSS types 0x%" PRIx64 " not supported by the host, "
			  "ignored", hv->port_id, rss_hf & ~used);
	return types != 0 ? (types | HV_NDIS_HASH_FUNCTION_TOEPLITZ) : 0;
}

void
hvnet_rss_init(struct hvnet_dev *hv)
{
	memcpy(hv->rss_key, hvnet_default_rss_key, sizeof(hv->rss_key));
}

void
hvnet_rss_reta_default(struct hvnet_dev *hv, uint16_t nb_rxq)
{
	unsigned int i;

	for (i = 0; i < HVNET_RETA_SIZE; i++)
		hv->reta[i] = nb_rxq > 0 ? i % nb_rxq : 0;
}

uint64_t
hvnet_rss_offloads(const struct hvnet_dev *hv)
{
	return hvnet_ndis_to_rss_hf(hv, hvnet_rss_supported(hv));
}

/* The hash types in use (configured, or updated since), as ethdev flags. */
uint64_t
hvnet_rss_hf(const struct hvnet_dev *hv)
{
	return hvnet_ndis_to_rss_hf(hv, hv->rss_hash_info);
}

int
hvnet_rss_conf_apply(struct rte_eth_dev *dev, const struct rte_eth_rss_conf *rss)
{
	struct hvnet_dev *hv = hvnet_dev_of(dev);

	if (rss->rss_key != NULL) {
		if (rss->rss_key_len != HVNET_RSS_KEY_SIZE) {
			HVNET_LOG(ERR, "port %u: RSS key of %u bytes, the host takes %u",
				  hv->port_id, rss->rss_key_len, HVNET_RSS_KEY_SIZE);
			return -EINVAL;
		}
		memcpy(hv->rss_key, rss->rss_key, HVNET_RSS_KEY_SIZE);
	}
	hv->rss_hash_info = hvnet_rss_hf_to_ndis(hv, rss->rss_hf);
	return 0;
}

int
hvnet_rss_apply(struct rte_eth_dev *dev)
{
	struct hvnet_dev *hv = hvnet_dev_of(dev);
	int ret;

	if (hv->nb_chan <= 1)
		return 0;
	ret = hvnet_rndis_set_rss(hv, dev->data->nb_rx_queues);
	if (ret != 0)
		HVNET_LOG(ERR, "port %u: RSS parameters refused: %s", hv->port_id,
			  strerror(-ret));
	return ret;
}

/* ---- ops --------------------------------------------------------------------------------- */

/* After a run-time RSS change the host took: a VF in use takes it too. */
static int
hvnet_rss_applied(struct rte_eth_dev *dev, int ret)
{
	if (ret == 0)
		hvnet_vf_rss_changed(dev);
	return ret;
}

int
hvnet_reta_update(struct rte_eth_dev *dev, struct rte_eth_rss_reta_entry64 *conf,
		  uint16_t size)
{
	struct hvnet_dev *hv = hvnet_dev_of(dev);
	uint16_t reta[HVNET_RETA_SIZE];
	unsigned int i, g, b;

	if (size != HVNET_RETA_SIZE) {
		HVNET_LOG(ERR, "port %u: RETA of %u entries, the host has %u", hv->port_id, size,
			  HVNET_RETA_SIZE);
		return -EINVAL;
	}
	memcpy(reta, hv->reta, sizeof(reta));
	for (i = 0; i < HVNET_RETA_SIZE; i++) {
		g = i / RTE_ETH_RETA_GROUP_SIZE;
		b = i % RTE_ETH_RETA_GROUP_SIZE;
		if (!(conf[g].mask & RTE_BIT64(b)))
			continue;
		if (conf[g].reta[b] >= dev->data->nb_rx_queues) {
			HVNET_LOG(ERR, "port %u: RETA entry %u: queue %u of %u", hv->port_id, i,
				  conf[g].reta[b], dev->data->nb_rx_queues);
			return -EINVAL;
		}
		reta[i] = conf[g].reta[b];
	}
	memcpy(hv->reta, reta, sizeof(reta));
	return hvnet_rss_applied(dev, hvnet_rss_apply(dev));
}

int
hvnet_reta_query(struct rte_eth_dev *dev, struct rte_eth_rss_reta_entry64 *conf, uint16_t size)
{
	const struct hvnet_dev *hv = hvnet_dev_of(dev);
	unsigned int i, g, b;

	if (size != HVNET_RETA_SIZE)
		return -EINVAL;
	for (i = 0; i < HVNET_RETA_SIZE; i++) {
		g = i / RTE_ETH_RETA_GROUP_SIZE;
		b = i % RTE_ETH_RETA_GROUP_SIZE;
		if (conf[g].mask & RTE_BIT64(b))
			conf[g].reta[b] = hv->reta[i];
	}
	return 0;
}

int
hvnet_rss_hash_update(struct rte_eth_dev *dev, struct rte_eth_rss_conf *rss)
{
	int ret;

	ret = hvnet_rss_conf_apply(dev, rss);
	return ret != 0 ? ret : hvnet_rss_applied(dev, hvnet_rss_apply(dev));
}

int
hvnet_rss_hash_conf_get(struct rte_eth_dev *dev, struct rte_eth_rss_conf *rss)
{
	const struct hvnet_dev *hv = hvnet_dev_of(dev);

	if (rss->rss_key != NULL) {
		if (rss->rss_key_len < HVNET_RSS_KEY_SIZE)
			return -EINVAL;
		memcpy(rss->rss_key, hv->rss_key, HVNET_RSS_KEY_SIZE);
	}
	rss->rss_key_len = HVNET_RSS_KEY_SIZE;
	rss->rss_hf = hvnet_rss_hf(hv);
	return 0;
}
