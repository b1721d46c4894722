/* SPDX-License-Identifier: BSD-3-Clause */
/* Stand-ins for host_nic_receive(_memo) and sim_log that record what the wire layer did. */
#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include "wire_stubs.h"

struct stub_frame stub_rx[STUB_FRAMES];
unsigned int stub_rx_count;
int stub_room = -1;
int stub_fail_rc;
unsigned int stub_nchan = 1;
char stub_last_log[512];

/* The stand-in guest listens from the start. */
bool
host_nic_listening(const struct sim_nic *nic)
{
	(void)nic;
	return true;
}

int
host_nic_receive(struct sim_nic *nic, const uint8_t *frame, uint32_t len)
{
	struct stub_frame *f;

	if (stub_fail_rc != 0)
		return stub_fail_rc;
	if (stub_room == 0)
		return -ENOBUFS;
	if (len == 0 || len > STUB_FRAME_MAX || stub_rx_count >= STUB_FRAMES)
		return -EINVAL;
	if (stub_room > 0)
		stub_room--;
	f = &stub_rx[stub_rx_count];
	f->nic = nic->idx;
	f->chan = (int)(stub_rx_count % stub_nchan);
	f->len = len;
	f->memo = NULL;
	memcpy(f->data, frame, len);
	stub_rx_count++;
	return f->chan;
}

int
host_nic_receive_memo(struct sim_nic *nic, const uint8_t *frame, uint32_t len,
		      struct sim_rx_memo *memo)
{
	int rc = host_nic_receive(nic, frame, len);

	if (rc >= 0)
		stub_rx[stub_rx_count - 1].memo = memo;
	return rc;
}

void
sim_log(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(stub_last_log, sizeof(stub_last_log), fmt, ap);
	va_end(ap);
	printf("  log: %s\n", stub_last_log);
}

void
stub_reset_rx(void)
{
	stub_rx_count = 0;
	stub_room = -1;
	stub_fail_rc = 0;
	stub_nchan = 1;
}

void
stub_sim_init(struct sim *sim, unsigned int n, const char *const *specs)
{
	unsigned int i;

	memset(sim, 0, sizeof(*sim));
	sim->nnics = n;
	sim->opt.nics = n;
	for (i = 0; i < n; i++) {
		struct sim_nic *nic = &sim->nic[i];

		nic->sim = sim;
		nic->idx = i;
		nic->mtu = 1500;
		memcpy(nic->mac, (const uint8_t[6]){ 0x02, 0x15, 0x5d, 0, 0, (uint8_t)i }, 6);
		snprintf(nic->wire_spec, sizeof(nic->wire_spec), "%s", specs[i]);
	}
	stub_reset_rx();
}
