/* SPDX-License-Identifier: BSD-3-Clause */
/* net_hvnet device arguments: upstream net_netvsc's names and defaults, strictly parsed. */

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_kvargs.h>

#include "hvnet_ethdev.h"
#include "hvnet_isolation.h"

/*
 * Devarg bounds: the monitor page holds latency in 100 ns units in a u16; a copybreak above
 * a frame's u16 length means nothing; control timeouts from 0.1 s to 10 min.
 */
#define HVNET_LATENCY_MAX_US	6553u
#define HVNET_COPYBREAK_MAX	65535u
#define HVNET_CTL_TIMEOUT_MIN	100u
#define HVNET_CTL_TIMEOUT_MAX	600000u
#define HVNET_VF_WAIT_MAX	600000u	/* ms: ten minutes, beyond any host servicing delay */

static const struct {
	const char *key;
	uint32_t min;
	uint32_t max;
} hvnet_arg_range[] = {
	{ HVNET_ARG_LATENCY, 0, HVNET_LATENCY_MAX_US },
	{ HVNET_ARG_RX_COPYBREAK, 0, HVNET_COPYBREAK_MAX },
	{ HVNET_ARG_TX_COPYBREAK, 0, HVNET_COPYBREAK_MAX },
	{ HVNET_ARG_RX_EXTMBUF, 0, 1 },
	{ HVNET_ARG_RX_NT_COPY, 0, 1 },
	{ HVNET_ARG_NUMA_AWARE, 0, 1 },
	{ HVNET_ARG_CTL_TIMEOUT, HVNET_CTL_TIMEOUT_MIN, HVNET_CTL_TIMEOUT_MAX },
	{ HVNET_ARG_VF, 0, 1 },
	{ HVNET_ARG_VF_WAIT, 0, HVNET_VF_WAIT_MAX },
};

static void
hvnet_default_args(struct hvnet_devargs *args)
{
	args->latency_us = 50;
	args->rx_copybreak = 256;
	args->tx_copybreak = 512;
	args->rx_extmbuf = false;
	args->rx_nt_copy = true;
	args->numa_aware = false;
	args->ctl_timeout_ms = 60000;
	args->vf_enable = true;
	args->vf_wait_ms = 60000;
	args->vf_devargs[0] = '\0';
	args->isolated = false;
}

/* Decimal digits only: strtoul alone would take signs, blanks and hex prefixes. */
static int
hvnet_parse_u32(const char *s, uint32_t *out)
{
	unsigned long v;
	char *end;

	if (s == NULL || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > UINT32_MAX)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

static void
hvnet_store_arg(struct hvnet_devargs *args, const char *key, uint32_t v)
{
	if (strcmp(key, HVNET_ARG_LATENCY) == 0)
		args->latency_us = v;
	else if (strcmp(key, HVNET_ARG_RX_COPYBREAK) == 0)
		args->rx_copybreak = v;
	else if (strcmp(key, HVNET_ARG_TX_COPYBREAK) == 0)
		args->tx_copybreak = v;
	else if (strcmp(key, HVNET_ARG_RX_EXTMBUF) == 0)
		args->rx_extmbuf = v != 0;
	else if (strcmp(key, HVNET_ARG_RX_NT_COPY) == 0)
		args->rx_nt_copy = v != 0;
	else if (strcmp(key, HVNET_ARG_NUMA_AWARE) == 0)
		args->numa_aware = v != 0;
	else if (strcmp(key, HVNET_ARG_VF) == 0)
		args->vf_enable = v != 0;
	else if (strcmp(key, HVNET_ARG_VF_WAIT) == 0)
		args->vf_wait_ms = v;
	else
		args->ctl_timeout_ms = v;
}

/*
 * Take vf_devargs=VALUE out of s (the VF's own arguments, passed to its probe) before
 * rte_kvargs sees s: its values cannot hold '=' even in brackets. VALUE runs to the next
 * comma, or is bracketed: vf_devargs=[a=1,b=2].
 */
static int
hvnet_take_vf_devargs(const char *dev, char *s, struct hvnet_devargs *args)
{
	static const char key[] = HVNET_ARG_VF_DEVARGS "=";
	char *p = s, *val, *end;
	size_t len;

	while (p != NULL && strncmp(p, key, sizeof(key) - 1) != 0) {
		p = strchr(p, ',');
		p = p != NULL ? p + 1 : NULL;
	}
	if (p == NULL)
		return 0;
	val = p + sizeof(key) - 1;
	end = val[0] == '[' ? strchr(val, ']') : val + strcspn(val, ",");
	if (end == NULL || (val[0] == '[' && end[1] != '\0' && end[1] != ',')) {
		HVNET_INIT_LOG(ERR, "%s: %s: unbalanced brackets", dev, HVNET_ARG_VF_DEVARGS);
		return -EINVAL;
	}
	if (val[0] == '[')
		val++;
	len = (size_t)(end - val);
	if (len == 0 || len >= sizeof(args->vf_devargs) || memchr(val, '[', len) != NULL) {
		HVNET_INIT_LOG(ERR, "%s: %s: expected 1..%zu characters, in brackets if it holds "
			       "commas", dev, HVNET_ARG_VF_DEVARGS, sizeof(args->vf_devargs) - 1);
		return -EINVAL;
	}
	memcpy(args->vf_devargs, val, len);
	args->vf_devargs[len] = '\0';
	if (*end == ']')
		end++;
	if (*end == ',')
		end++;
	else if (p > s)
		p--;	/* the last argument: its comma goes too */
	memmove(p, end, strlen(end) + 1);
	if (strstr(s, key) != NULL) {
		HVNET_INIT_LOG(ERR, "%s: device argument \"%s\" given twice", dev,
			       HVNET_ARG_VF_DEVARGS);
		return -EINVAL;
	}
	return 0;
}

static int
hvnet_parse_pair(const char *dev, const struct rte_kvargs_pair *p, uint32_t *seen,
		 struct hvnet_devargs *args)
{
	unsigned int i;
	uint32_t v;

	for (i = 0; i < RTE_DIM(hvnet_arg_range); i++) {
		if (strcmp(p->key, hvnet_arg_range[i].key) == 0)
			break;
	}
	if (i == RTE_DIM(hvnet_arg_range)) {
		HVNET_INIT_LOG(ERR, "%s: unknown device argument \"%s\"", dev, p->key);
		return -EINVAL;
	}
	if (*seen & RTE_BIT32(i)) {
		HVNET_INIT_LOG(ERR, "%s: device argument \"%s\" given twice", dev, p->key);
		return -EINVAL;
	}
	*seen |= RTE_BIT32(i);
	if (hvnet_parse_u32(p->value, &v) != 0 ||
	    v < hvnet_arg_range[i].min || v > hvnet_arg_range[i].max) {
		HVNET_INIT_LOG(ERR, "%s: %s=%s: expected an integer in %" PRIu32 "..%" PRIu32,
			       dev, p->key, p->value != NULL ? p->value : "",
			       hvnet_arg_range[i].min, hvnet_arg_range[i].max);
		return -EINVAL;
	}
	hvnet_store_arg(args, p->key, v);
	return 0;
}

/*
 * Whether this is a Hyper-V isolated (confidential) VM, whose host is outside the trust
 * boundary and cannot read the guest's private memory (doc/guides/nics/hvnet.rst, "Trust
 * model"). There rx_extmbuf_enable=1, which hands the application mbufs pointing into the
 * receive buffer the host can rewrite after the driver's checks, is refused; and no send is
 * GPA-direct (args->isolated). When the leaves cannot be read the VM is taken as not
 * isolated, and said so.
 */
static int
hvnet_isolation_check(const char *dev, struct hvnet_devargs *args)
{
	int type = hvnet_isolation_detect(getenv(HVNET_SYSROOT_ENV));

	args->isolated = type > 0;
	if (type < 0) {
		HVNET_INIT_LOG(NOTICE, "%s: cannot tell whether the VM is isolated (%s): taken as "
			       "not isolated", dev, strerror(-type));
		return 0;
	}
	if (type == HVNET_ISOLATION_NONE)
		return 0;
	if (args->rx_extmbuf) {
		HVNET_INIT_LOG(ERR, "%s: %s=1 refused: this is a Hyper-V isolated VM (isolation "
			       "type %d) and external mbufs would expose the application to memory "
			       "the host can rewrite after the driver's checks", dev,
			       HVNET_ARG_RX_EXTMBUF, type);
		return -EPERM;
	}
	HVNET_INIT_LOG(NOTICE, "%s: Hyper-V isolated VM (isolation type %d): RNDIS requests and "
		       "frames go through the shared send buffer, none GPA-direct", dev, type);
	return 0;
}

int
hvnet_parse_devargs(const struct rte_hvbus_device *vdev, struct hvnet_devargs *args)
{
	const struct rte_devargs *da = vdev->device.devargs;
	struct rte_kvargs *kvl;
	uint32_t seen = 0;
	char *s;
	unsigned int i;
	int ret = 0;

	hvnet_default_args(args);
	if (da != NULL && da->args != NULL && da->args[0] != '\0') {
		s = strdup(da->args);
		if (s == NULL)
			return -ENOMEM;
		ret = hvnet_take_vf_devargs(vdev->name, s, args);
		if (ret != 0 || s[0] == '\0') {
			free(s);
			return ret == 0 ? hvnet_isolation_check(vdev->name, args) : ret;
		}
		/* No key list here: rte_kvargs would reject an unknown key without naming it. */
		kvl = rte_kvargs_parse(s, NULL);
		free(s);
		if (kvl == NULL) {
			HVNET_INIT_LOG(ERR, "%s: malformed device arguments \"%s\"", vdev->name,
				       da->args);
			return -EINVAL;
		}
		for (i = 0; i < kvl->count && ret == 0; i++)
			ret = hvnet_parse_pair(vdev->name, &kvl->pairs[i], &seen, args);
		rte_kvargs_free(kvl);
	}
	if (ret == 0)
		ret = hvnet_isolation_check(vdev->name, args);
	return ret;
}
