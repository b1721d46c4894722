/* SPDX-License-Identifier: BSD-3-Clause */
/* The test host behind hvnet's channel code: see fake_hvbus.h. */

#include <errno.h>
#include <string.h>

#include <rte_common.h>

#include "fake_hvbus.h"

/* The log types hvnet_ethdev.c registers in the real driver. */
int hvnet_logtype_init;
int hvnet_logtype_driver;

static int
fake_send(struct rte_hvbus_channel *chan, uint64_t xid)
{
	int rc = chan->fail_rc;

	if (rc != 0) {
		chan->fail_rc = 0;
		if (chan->fail_hook != NULL)
			chan->fail_hook(chan, xid);
		return rc;
	}
	if (chan->nb_sent < FAKE_MAX_PKTS)
		chan->sent_xid[chan->nb_sent++] = xid;
	return 0;
}

int
rte_hvbus_chan_send_inband(struct rte_hvbus_channel *chan, const struct iovec *iov,
			   unsigned int iovcnt, uint64_t xid, bool want_completion,
			   bool *need_sig)
{
	RTE_SET_USED(iov);
	RTE_SET_USED(iovcnt);
	RTE_SET_USED(want_completion);
	RTE_SET_USED(need_sig);
	return fake_send(chan, xid);
}

int
rte_hvbus_chan_send_gpa(struct rte_hvbus_channel *chan, const struct rte_hvbus_gpa *gpa,
			unsigned int ngpa, const struct iovec *iov, unsigned int iovcnt,
			uint64_t xid, bool *need_sig)
{
	RTE_SET_USED(gpa);
	RTE_SET_USED(ngpa);
	RTE_SET_USED(iov);
	RTE_SET_USED(iovcnt);
	RTE_SET_USED(need_sig);
	return fake_send(chan, xid);
}

int
rte_hvbus_chan_send_completion(struct rte_hvbus_channel *chan, const void *data, uint32_t len,
			       uint64_t xid, bool *need_sig)
{
	RTE_SET_USED(data);
	RTE_SET_USED(len);
	RTE_SET_USED(xid);
	RTE_SET_USED(need_sig);
	chan->nb_acks++;
	return 0;
}

void
rte_hvbus_chan_publish(struct rte_hvbus_channel *chan, bool *need_sig)
{
	RTE_SET_USED(chan);
	RTE_SET_USED(need_sig);
}

void
rte_hvbus_chan_signal(struct rte_hvbus_channel *chan)
{
	RTE_SET_USED(chan);
}

int
rte_hvbus_chan_recv(struct rte_hvbus_channel *chan, struct rte_hvbus_pkt *pkt)
{
	struct fake_pkt *p;

	if (chan->rx_head == chan->rx_tail)
		return -EAGAIN;
	p = &chan->rx[chan->rx_head++ % FAKE_MAX_PKTS];
	memset(pkt, 0, sizeof(*pkt));
	pkt->type = p->type;
	pkt->xid = p->xid;
	pkt->data = p->data;
	pkt->len = p->len;
	if (p->range_count != 0) {
		pkt->xfer_set_id = HV_RXBUF_ID;
		pkt->range_count = p->range_count;
		pkt->ranges = p->ranges;
	}
	return 0;
}

void
rte_hvbus_chan_recv_done(struct rte_hvbus_channel *chan)
{
	RTE_SET_USED(chan);
}

uint32_t
rte_hvbus_chan_rx_pending(const struct rte_hvbus_channel *chan)
{
	return (chan->rx_tail - chan->rx_head) * 16u;
}

bool
rte_hvbus_chan_rx_empty(const struct rte_hvbus_channel *chan)
{
	return chan->rx_tail == chan->rx_head;
}

/* The next packet for the driver to read: type, xid and len bytes of payload, no ranges. */
static struct fake_pkt *
fake_queue(struct rte_hvbus_channel *chan, uint16_t type, uint64_t xid, const void *data,
	   uint32_t len)
{
	struct fake_pkt *p = &chan->rx[chan->rx_tail++ % FAKE_MAX_PKTS];

	p->type = type;
	p->xid = xid;
	p->len = len;
	if (len != 0)
		memcpy(p->data, data, len);
	p->range_count = 0;
	return p;
}

void
fake_complete(struct rte_hvbus_channel *chan, uint64_t xid, uint32_t status)
{
	const struct hv_nvsp_rndis_pkt_complete c = {
		.type = HV_NVSP_MSG_RNDIS_PKT_COMPLETE,
		.status = status,
	};

	fake_queue(chan, HVBUS_PKT_COMPLETION, xid, &c, sizeof(c));
}

void
fake_xfer_unusable(struct rte_hvbus_channel *chan, uint64_t xid)
{
	fake_queue(chan, HVBUS_PKT_XFER_PAGES, xid, NULL, 0);
}

void
fake_xfer(struct rte_hvbus_channel *chan, uint64_t xid, const struct hv_xfer_page_range *ranges,
	  uint32_t count)
{
	const struct hv_nvsp_rndis_pkt msg = {
		.type = HV_NVSP_MSG_RNDIS_PKT,
		.channel_type = HV_NVSP_RNDIS_CHAN_DATA,
	};
	struct fake_pkt *p = fake_queue(chan, HVBUS_PKT_XFER_PAGES, xid, &msg, sizeof(msg));

	p->range_count = RTE_MIN(count, FAKE_MAX_RANGES);
	memcpy(p->ranges, ranges, p->range_count * sizeof(ranges[0]));
}

void
fake_complete_all(struct rte_hvbus_channel *chan)
{
	while (chan->nb_completed < chan->nb_sent)
		fake_complete(chan, chan->sent_xid[chan->nb_completed++], HV_NVSP_STATUS_SUCCESS);
	chan->nb_sent = 0;
	chan->nb_completed = 0;
}
