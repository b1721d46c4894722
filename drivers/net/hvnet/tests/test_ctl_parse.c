/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit test of hvnet_ctl_parse.h, the control path's checks of host answers and
 * announcements, without EAL: a good message of each kind, then each malformed way the checks
 * refuse, the sums a host can make wrap included.
 */

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "hvnet_ctl_parse.h"

static void
test_rndis_ctl(void)
{
	uint8_t b[64] = { 0 };
	struct hv_rndis_indicate ind = {
		.type = HV_RNDIS_MSG_INDICATE, .length = 24,
		.status = HV_RNDIS_STATUS_LINK_SPEED_CHANGE, .buf_length = 4,
		.buf_offset = sizeof(ind) - HV_RNDIS_OFFSET_BASE,
	};
	struct hv_rndis_rid_msg c = { .type = HV_RNDIS_MSG_SET_CMPLT, .length = 16, .rid = 7 };
	struct hv_rndis_indicate got;
	struct hv_rndis_hdr h;
	uint32_t speed = 0, v = 250000;

	memcpy(b, &ind, sizeof(ind));
	memcpy(b + sizeof(ind), &v, sizeof(v));
	CHECK(hvnet_parse_rndis_ctl(b, 24, &h) == HVNET_CTL_INDICATION);
	CHECK(hvnet_parse_indication(b, 24, &got, &speed) == 0 && speed == v, "link speed");
	CHECK(hvnet_parse_indication(b, 23, &got, &speed) == -EPROTO, "speed past the range");
	ind.buf_offset = UINT32_MAX - 4;
	memcpy(b, &ind, sizeof(ind));
	CHECK(hvnet_parse_indication(b, 24, &got, &speed) == -EPROTO, "offset wraps");
	ind.buf_offset = 0;
	memcpy(b, &ind, sizeof(ind));
	CHECK(hvnet_parse_indication(b, 24, &got, &speed) == -EPROTO, "buffer in the header");
	CHECK(hvnet_parse_rndis_ctl(b, 16, &h) == HVNET_CTL_MALFORMED, "claims more than range");
	ind.length = 16;
	memcpy(b, &ind, sizeof(ind));
	CHECK(hvnet_parse_rndis_ctl(b, 16, &h) == HVNET_CTL_MALFORMED, "indication of 16 bytes");
	memcpy(b, &c, sizeof(c));
	CHECK(hvnet_parse_rndis_ctl(b, 64, &h) == HVNET_CTL_COMPLETION && h.length == 16);
	c.length = 8;
	memcpy(b, &c, sizeof(c));
	CHECK(hvnet_parse_rndis_ctl(b, 64, &h) == HVNET_CTL_MALFORMED, "completion without rid");
	c.length = 4;
	memcpy(b, &c, sizeof(c));
	CHECK(hvnet_parse_rndis_ctl(b, 64, &h) == HVNET_CTL_MALFORMED, "length below a header");
	c.type = HV_RNDIS_MSG_QUERY;
	c.length = 16;
	memcpy(b, &c, sizeof(c));
	CHECK(hvnet_parse_rndis_ctl(b, 64, &h) == HVNET_CTL_UNEXPECTED, "a request, from the host");
	CHECK(hvnet_parse_rndis_ctl(b, 7, &h) == HVNET_CTL_MALFORMED, "7 bytes");
}

static void
test_replies(void)
{
	uint8_t b[64] = { 0 };
	struct hv_rndis_query_cmplt q = {
		.type = HV_RNDIS_MSG_QUERY_CMPLT, .length = 30,
		.info_length = 6, .info_offset = HVNET_RNDIS_QUERY_DATA_MIN,
	};
	uint32_t st, off, len;

	memcpy(b, &q, sizeof(q));
	CHECK(hvnet_parse_rndis_reply(b, 30, HV_RNDIS_MSG_QUERY_CMPLT, 24, &st) == 0 && st == 0);
	CHECK(hvnet_parse_rndis_reply(b, 30, HV_RNDIS_MSG_SET_CMPLT, 16, &st) == -EPROTO,
	      "wrong type");
	CHECK(hvnet_parse_rndis_reply(b, 20, HV_RNDIS_MSG_QUERY_CMPLT, 24, &st) == -EPROTO,
	      "short reply");
	CHECK(hvnet_parse_query_cmplt(b, 30, 6, &off, &len) == 0 && off == 24 && len == 6);
	CHECK(hvnet_parse_query_cmplt(b, 29, 6, &off, &len) == -EPROTO, "info past the reply");
	CHECK(hvnet_parse_query_cmplt(b, 30, 4, &off, &len) == -EMSGSIZE, "more than asked");
	q.info_offset = UINT32_MAX - 2;
	memcpy(b, &q, sizeof(q));
	CHECK(hvnet_parse_query_cmplt(b, 30, 6, &off, &len) == -EPROTO, "offset wraps");
	q.info_offset = 4;
	memcpy(b, &q, sizeof(q));
	CHECK(hvnet_parse_query_cmplt(b, 30, 6, &off, &len) == -EPROTO, "info in the header");
	q.info_length = 0;
	memcpy(b, &q, sizeof(q));
	CHECK(hvnet_parse_query_cmplt(b, 30, 6, &off, &len) == 0 && len == 0, "empty info");
}

static void
test_limits(void)
{
	struct hv_rndis_init_cmplt c = { .max_packets = 0, .max_transfer = 1 << 30,
					 .align_shift = 3 };
	struct hv_ndis_rss_caps caps = {
		.hdr = { .type = HV_NDIS_OBJ_RSS_CAPS, .revision = 2,
			 .size = HV_NDIS_RSS_CAPS_REV2_SIZE },
		.num_receive_queues = 200, .num_indirection_entries = 128,
	};
	struct hvnet_agg_limits agg;

	CHECK(hvnet_parse_agg_limits(&c, 6144, &agg) && agg.size == 6144 && agg.pkts == 1 &&
	      agg.align == 8, "limits bounded by the section, at least one packet");
	c.align_shift = 40;
	CHECK(!hvnet_parse_agg_limits(&c, 6144, &agg) && agg.pkts == 1 && agg.align == 4,
	      "an alignment shift past a page: no aggregation, no wild shift");
	CHECK(hvnet_parse_rss_caps(&caps, HV_NDIS_RSS_CAPS_REV2_SIZE, 128, 64) == 64);
	CHECK(hvnet_parse_rss_caps(&caps, HV_NDIS_RSS_CAPS_REV2_SIZE - 1, 128, 64) == 0,
	      "object larger than the answer");
	caps.num_indirection_entries = 129;
	CHECK(hvnet_parse_rss_caps(&caps, HV_NDIS_RSS_CAPS_REV2_SIZE, 128, 64) == 0,
	      "table beyond ours");
	caps.num_indirection_entries = 0;
	CHECK(hvnet_parse_rss_caps(&caps, HV_NDIS_RSS_CAPS_REV2_SIZE, 128, 64) == 0, "no table");
	caps.num_indirection_entries = 4;
	CHECK(hvnet_parse_rss_caps(&caps, HV_NDIS_RSS_CAPS_REV2_SIZE, 128, 64) == 4);
	caps.hdr.type = 0;
	CHECK(hvnet_parse_rss_caps(&caps, HV_NDIS_RSS_CAPS_REV2_SIZE, 128, 64) == 0, "not RSS");
}

static void
test_nvsp(void)
{
	struct hv_nvsp_rxbuf_complete r = {
		.num_sections = 1,
		.section = { .sub_alloc_size = 2048, .num_sub_allocs = 100 },
	};
	struct hv_nvsp_subchannel sc = { .op_or_status = HV_NVSP_STATUS_SUCCESS,
					 .num_subchannels = 3 };
	struct hv_nvsp_indirection_table t = { .count = 16, .offset = HVNET_NVS_INDIRECTION_HDR };
	uint8_t b[sizeof(t)];
	uint32_t n;

	CHECK(hvnet_parse_rxbuf_layout(&r, 204800, 1650) == 0);
	CHECK(hvnet_parse_rxbuf_layout(&r, 204799, 1650) == -EPROTO, "beyond the map");
	r.section.num_sub_allocs = UINT32_MAX;
	CHECK(hvnet_parse_rxbuf_layout(&r, 1ull << 40, 1650) == -EPROTO, "product in 64 bits");
	r.section.num_sub_allocs = 100;
	r.section.sub_alloc_size = 1000;
	CHECK(hvnet_parse_rxbuf_layout(&r, 204800, 1650) == -EPROTO, "section below a frame");
	r.section.sub_alloc_size = 2048;
	r.num_sections = 2;
	CHECK(hvnet_parse_rxbuf_layout(&r, 204800, 1650) == -EPROTO, "two sections");
	CHECK(hvnet_parse_sendbuf(6144, 1 << 24) == 0);
	CHECK(hvnet_parse_sendbuf(0, 1 << 24) == -EPROTO && hvnet_parse_sendbuf(6146, 1 << 24) ==
	      -EPROTO && hvnet_parse_sendbuf(1u << 25, 1 << 24) == -EPROTO, "bad section sizes");
	CHECK(hvnet_parse_subchannels(&sc, 3, &n) == 0 && n == 3);
	CHECK(hvnet_parse_subchannels(&sc, 2, &n) == -EPROTO, "over-granted");
	sc.op_or_status = HV_NVSP_STATUS_FAILURE;
	CHECK(hvnet_parse_subchannels(&sc, 3, &n) == -EIO, "refused");
	memcpy(b, &t, sizeof(t));
	CHECK(hvnet_parse_indirection(b, sizeof(b), &n) == 0 && n == 16);
	CHECK(hvnet_parse_indirection(b, sizeof(b) - 1, &n) == -EPROTO, "entries past the end");
	t.offset = UINT32_MAX - 8;
	memcpy(b, &t, sizeof(t));
	CHECK(hvnet_parse_indirection(b, sizeof(b), &n) == -EPROTO, "offset wraps");
	t.offset = 4;
	t.count = 1;
	memcpy(b, &t, sizeof(t));
	CHECK(hvnet_parse_indirection(b, sizeof(b), &n) == -EPROTO, "entries in the header");
	t.offset = HVNET_NVS_INDIRECTION_HDR;
	t.count = 17;
	memcpy(b, &t, sizeof(t));
	CHECK(hvnet_parse_indirection(b, 1024, &n) == -EPROTO, "more entries than the table");
	CHECK(hvnet_parse_indirection(b, 11, &n) == -EPROTO, "shorter than its header");
}

int
main(void)
{
	test_rndis_ctl();
	test_replies();
	test_limits();
	test_nvsp();
	return check_done("hvnet-ctl-parse");
}
