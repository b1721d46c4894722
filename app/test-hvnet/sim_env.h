/* SPDX-License-Identifier: BSD-3-Clause */
/* Private interface of the env layer: options, control socket, guest bookkeeping. */
#ifndef HVNET_SIM_ENV_H
#define HVNET_SIM_ENV_H

#include <stddef.h>
#include <stdio.h>

#include "sim.h"

/* Layout of the files under the work directory that the shim and the host share. */
#define SIM_WORKDIR_PARENT	"/dev/shm"
#define SIM_WORKDIR_PREFIX	"hvnet-sim-"
#define SIM_PID_FILE		"host.pid"	/* the owning host: stale trees are swept */
#define SIM_UIO_DIR		"uio"
#define SIM_UIO_CTL_FMT		"%s/" SIM_UIO_DIR "/uio%u.ctl"
#define SIM_UIO_MAP_FMT		"%s/" SIM_UIO_DIR "/uio%u.map%u"
/*
 * A FIFO per listener (open of the device), made by the shim and handed out as that uio fd,
 * so that poll/epoll see interrupts: uio<N>.evt<listener slot>.
 */
#define SIM_UIO_LISTENER_FMT	"%s/" SIM_UIO_DIR "/uio%u.evt%u"
/* The host's doorbell page (struct sim_doorbell). */
#define SIM_DOORBELL_FMT	"%s/" SIM_UIO_DIR "/doorbell"
#define SIM_UIO_NMAPS		5
/* Environment variables the host passes to the guest (read by the shim). */
#define SIM_ENV_DIR		"HVNET_SIM_DIR"
#define SIM_ENV_HOST_PID	"HVNET_SIM_HOST_PID"
#define SIM_ENV_SHIM		"HVNET_SIM_SHIM"
#define SIM_SHIM_NAME		"libhvnet_uio_shim.so"

/*
 * Parse "sim [options] -- command..." (argv[0] is the program, argv[1] must be "sim").
 * Fills *opt (defaults first) and *cmd (index of the guest command in argv).
 * Returns 0, 1 for --help, or -1 with a one-line reason in err.
 */
int sim_parse_args(int argc, char **argv, struct sim_opts *opt, int *cmd,
		   char *err, size_t errlen);
void sim_print_usage(FILE *f);

/* Control socket (--ctl PATH). */
int sim_ctl_open(struct sim *sim);
unsigned int sim_ctl_poll(struct sim *sim);
void sim_ctl_close(struct sim *sim);

/*
 * Collect sim_log() lines into buf (NUL-terminated, appended after what buf holds) instead
 * of printing them, until called again with len 0. Lets a control reply carry the lines
 * other layers print, such as wire_summary().
 */
void sim_log_capture(char *buf, size_t len);

/*
 * The "load" line (no prefix, no newline): wall time since the guest started, the share of it
 * the host spent in rounds that moved something, frames moved to and from every guest, and
 * the rate those frames would make if the host did nothing else (its capacity: frames / busy
 * time). Returns snprintf's result.
 */
int sim_format_load(const struct sim *sim, char *buf, size_t len);

/* One "summary" line for nic (no prefix, no newline); returns snprintf's result. */
int sim_format_summary(const struct sim_nic *nic, char *buf, size_t len);

/*
 * Guest bookkeeping for the open/close handshake: the host trusts ctl->guest_pid only
 * when that process descends from the guest it started.
 */
void sim_env_guest_opened(struct sim_nic *nic);
/* The guest closed the device: its memory is no longer mapped into the host. */
void sim_env_guest_closed(struct sim_nic *nic);
/* True when the process that holds the device open is gone without closing it. */
bool sim_env_guest_vanished(struct sim_nic *nic);
/* Forget the listeners (uio opens) of processes that died without closing them. */
void sim_env_reap_listeners(struct sim_nic *nic);
/* Send sig to the guest and every other process below the host. */
void sim_env_signal_guest_tree(struct sim *sim, int sig);

/*
 * The guest's shared memory mapped into the host (sim_guestmem.c), per NIC. Attach maps what
 * pid has of it, its mappings of the nfiles files (the NICs' receive buffers; up to
 * SIM_MAX_NICS) included, drops anything mapped before and returns how many regions; read
 * copies len bytes at iova when they lie in one region, else returns false (nothing copied).
 */
unsigned int sim_guestmem_attach(unsigned int nic, pid_t pid, const char *const *files,
				 unsigned int nfiles);
void sim_guestmem_detach(unsigned int nic);
bool sim_guestmem_read(unsigned int nic, uint64_t iova, void *dst, size_t len);
/* Whether iova lies in the guest's mapping of a receive buffer (a window of attach's files). */
bool sim_guestmem_in_rxbuf(unsigned int nic, uint64_t iova);
/* Drop nic's windows on receive buffers (another NIC's mapping came or went). */
void sim_guestmem_drop_rxbufs(unsigned int nic);

/*
 * Rescind nic as Hyper-V does: its sysfs device directory disappears, the host stops serving
 * its channels and drops its wire traffic, and the guest's uio fd reports the rescind (read
 * EIO, poll readable, open and mmap ENODEV). 0, or -EALREADY.
 */
int sim_env_rescind_nic(struct sim_nic *nic);
bool sim_env_rescinded(const struct sim_nic *nic);

#endif /* HVNET_SIM_ENV_H */
