/* SPDX-License-Identifier: BSD-3-Clause */
/* Stand-ins for the host and env layers, so the wire layer can be unit tested alone. */
#ifndef HVNET_TEST_WIRE_STUBS_H
#define HVNET_TEST_WIRE_STUBS_H

#include <stdint.h>
#include <stdio.h>

#include "check.h"
#include "wire.h"

#define STUB_FRAME_MAX	2048u
#define STUB_FRAMES	4096u

/* One frame host_nic_receive accepted. */
struct stub_frame {
	unsigned int nic;
	int chan;
	uint32_t len;
	const struct sim_rx_memo *memo;	/* the memo it came with, NULL: none */
	uint8_t data[STUB_FRAME_MAX];
};

extern struct stub_frame stub_rx[STUB_FRAMES];
extern unsigned int stub_rx_count;	/* frames accepted so far */
extern int stub_room;			/* frames still accepted before -ENOBUFS; < 0 = no limit */
extern int stub_fail_rc;		/* when non-zero, host_nic_receive returns it */
extern unsigned int stub_nchan;		/* accepted frame k goes to channel k % stub_nchan */
extern char stub_last_log[512];		/* last sim_log line */

/* A simulator with n NICs (idx, MAC 02:..:n, MTU 1500) and the given wire spec on each. */
void stub_sim_init(struct sim *sim, unsigned int n, const char *const *specs);
void stub_reset_rx(void);


#endif /* HVNET_TEST_WIRE_STUBS_H */
