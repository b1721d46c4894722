/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer harness of the NVSP message handling (drivers/net/hvnet/hvnet_ctl_parse.h and
 * hvnet_parse.h): a host NVSP message, as hvnet_nvs.c and hvnet_rx.c decide on it by type:
 * receive-buffer layout, send section size, subchannel grant, send indirection table, and the
 * header of a transfer-page packet. The message is a block of exactly its length, copied out
 * once as the driver does (at most 128 bytes).
 *
 * Input: u32 the mapped buffer length (in KiB), u8 subchannels asked, then the message.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hvnet_ctl_parse.h"
#include "hvnet_parse.h"

#define NVS_COPY	128u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hv_nvsp_rxbuf_complete rb;
	struct hv_nvsp_sendbuf_complete sb;
	struct hv_nvsp_subchannel sc;
	uint32_t map_kib, type, len, n, chan_type;
	uint8_t copy[NVS_COPY], asked;
	uint8_t *msg;

	if (size < 5 + sizeof(type))
		return 0;
	memcpy(&map_kib, data, 4);
	asked = data[4];
	len = (uint32_t)(size - 5);
	msg = malloc(len);
	if (msg == NULL)
		return 0;
	memcpy(msg, data + 5, len);
	len = len < NVS_COPY ? len : NVS_COPY;
	memset(copy, 0, sizeof(copy));
	memcpy(copy, msg, len);
	memcpy(&type, copy, sizeof(type));
	switch (type) {
	case HV_NVSP_MSG_RXBUF_COMPLETE:
		memcpy(&rb, copy, sizeof(rb));
		if (hvnet_parse_rxbuf_layout(&rb, (uint64_t)map_kib * 1024, 1650) == 0 &&
		    (uint64_t)rb.section.sub_alloc_size * rb.section.num_sub_allocs >
		    (uint64_t)map_kib * 1024)
			abort();
		break;
	case HV_NVSP_MSG_SENDBUF_COMPLETE:
		memcpy(&sb, copy, sizeof(sb));
		hvnet_parse_sendbuf(sb.section_size, (uint64_t)map_kib * 1024);
		break;
	case HV_NVSP_MSG_SUBCHANNEL:
		memcpy(&sc, copy, sizeof(sc));
		if (hvnet_parse_subchannels(&sc, asked, &n) == 0 && n > asked)
			abort();
		break;
	case HV_NVSP_MSG_INDIRECTION_TABLE:
		if (hvnet_parse_indirection(msg, len, &n) == 0 && n > HV_NVSP_INDIRECTION_COUNT)
			abort();
		break;
	default:
		hvnet_parse_xfer(HV_RXBUF_ID, 1, msg, len, &chan_type);
		break;
	}
	free(msg);
	return 0;
}
