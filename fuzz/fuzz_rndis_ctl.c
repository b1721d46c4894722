/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer harness of the RNDIS control-reply handling (drivers/net/hvnet/hvnet_ctl_parse.h),
 * in hvnet_rndis.c's order: the message kind (from the range it came in), an indication and
 * its status buffer, or a completion checked as the reply to each request the driver makes
 * (INITIALIZE: aggregation limits; QUERY: its info buffer, then the RSS and offload
 * capability objects read from it; SET). The message is a block of exactly its length.
 *
 * Input: u8 out_len (the bytes the QUERY caller takes), then the message.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hvnet_ctl_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
completion(const uint8_t *msg, uint32_t len, uint32_t out_len)
{
	struct hv_rndis_init_cmplt init;
	struct hvnet_agg_limits agg;
	struct hv_ndis_rss_caps caps;
	uint32_t status, off, ilen;
	uint8_t info[256];

	if (hvnet_parse_rndis_reply(msg, len, HV_RNDIS_MSG_INIT_CMPLT, HVNET_RNDIS_INIT_CMPLT_MIN,
				    &status) == 0) {
		memset(&init, 0, sizeof(init));
		memcpy(&init, msg, HVNET_RNDIS_INIT_CMPLT_MIN);
		hvnet_parse_agg_limits(&init, 6144, &agg);
		if (agg.size > 6144 || agg.pkts == 0 || agg.align < 4 || agg.align > 4096 ||
		    (agg.align & (agg.align - 1)) != 0)
			abort();
	}
	if (hvnet_parse_rndis_reply(msg, len, HV_RNDIS_MSG_QUERY_CMPLT,
				    sizeof(struct hv_rndis_query_cmplt), &status) == 0 &&
	    hvnet_parse_query_cmplt(msg, len, out_len, &off, &ilen) == 0) {
		if (ilen > out_len || ilen > sizeof(info) || (ilen != 0 && (off > len ||
							      ilen > len - off)))
			abort();
		memset(info, 0, sizeof(info));
		memcpy(info, msg + off, ilen);
		memcpy(&caps, info, sizeof(caps));
		if (hvnet_parse_rss_caps(&caps, ilen, 128, 64) > 64)
			abort();
		hvnet_parse_offload_caps((const struct hv_ndis_obj_hdr *)info, ilen);
	}
	hvnet_parse_rndis_reply(msg, len, HV_RNDIS_MSG_SET_CMPLT,
				sizeof(struct hv_rndis_status_cmplt), &status);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hv_rndis_indicate ind;
	struct hv_rndis_hdr h;
	uint32_t speed, len, out_len;
	uint8_t *msg;

	if (size < 1 || size > 4096 + 1)
		return 0;
	out_len = data[0];
	len = (uint32_t)size - 1;
	msg = malloc(len ? len : 1);
	if (msg == NULL)
		return 0;
	memcpy(msg, data + 1, len);
	switch (hvnet_parse_rndis_ctl(msg, len, &h)) {
	case HVNET_CTL_INDICATION:
		hvnet_parse_indication(msg, len, &ind, &speed);
		break;
	case HVNET_CTL_COMPLETION:
		if (h.length > len)
			abort();
		completion(msg, h.length, out_len);
		break;
	default:
		break;
	}
	free(msg);
	return 0;
}
