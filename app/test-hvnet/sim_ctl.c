/* SPDX-License-Identifier: BSD-3-Clause */
/* --ctl PATH: run-time commands over a unix datagram socket, polled by the main loop. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "sim_env.h"

#define CTL_MSG_MAX		512
#define CTL_REPLY_MAX		8192
#define CTL_BURST		16	/* datagrams handled per poll */
#define MBPS_MAX		1000000000ull

static int ctl_fd = -1;
static bool ctl_bound;

int sim_ctl_open(struct sim *sim)
{
	const char *path = sim->opt.ctl_path;
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct stat st;

	if (path[0] == '\0')
		return 0;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		sim_log("--ctl: path too long: %s", path);
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	/* A socket left by an earlier run is replaced; anything else is not ours to remove. */
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			sim_log("--ctl: %s exists and is not a socket", path);
			return -1;
		}
		unlink(path);
	}
	ctl_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (ctl_fd < 0 || bind(ctl_fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		sim_log("--ctl: cannot bind %s: %s", path, strerror(errno));
		sim_ctl_close(sim);
		return -1;
	}
	ctl_bound = true;
	return 0;
}

void sim_ctl_close(struct sim *sim)
{
	if (ctl_fd >= 0)
		close(ctl_fd);
	ctl_fd = -1;
	if (ctl_bound)
		unlink(sim->opt.ctl_path);
	ctl_bound = false;
}

/* A NIC index word; NULL when it is not a NIC of this run. */
static struct sim_nic *nic_arg(struct sim *sim, const char *s)
{
	char *end;
	unsigned long v;

	if (s == NULL || s[0] < '0' || s[0] > '9')
		return NULL;
	v = strtoul(s, &end, 10);
	if (*end != '\0' || v >= sim->nnics)
		return NULL;
	return &sim->nic[v];
}

static void cmd_link(struct sim_nic *nic, const char *arg, char *reply, size_t len)
{
	if (arg != NULL && strcmp(arg, "up") == 0)
		host_nic_set_link(nic, true);
	else if (arg != NULL && strcmp(arg, "down") == 0)
		host_nic_set_link(nic, false);
	else
		return (void)snprintf(reply, len, "error link wants up or down");
	snprintf(reply, len, "ok link nic=%u %s", nic->idx, arg);
}

static void cmd_replay(struct sim_nic *nic, const char *path, char *reply, size_t len)
{
	int rc;

	if (path == NULL || path[0] == '\0')
		return (void)snprintf(reply, len, "error replay wants a pcap file");
	rc = wire_replay(nic, path);
	if (rc < 0)
		snprintf(reply, len, "error replay %.128s: %s", path, strerror(-rc));
	else
		snprintf(reply, len, "ok replay nic=%u", nic->idx);
}

static void cmd_speed(struct sim_nic *nic, const char *arg, char *reply, size_t len)
{
	unsigned long long v;
	char *end;

	if (arg == NULL || arg[0] < '0' || arg[0] > '9')
		return (void)snprintf(reply, len, "error speed wants MBPS");
	errno = 0;
	v = strtoull(arg, &end, 10);
	if (errno != 0 || *end != '\0' || v == 0 || v > MBPS_MAX)
		return (void)snprintf(reply, len, "error bad speed %s", arg);
	host_nic_set_speed(nic, v);
	snprintf(reply, len, "ok speed nic=%u %llu", nic->idx, v);
}

/* "KIND [COUNT [CHAN]]": arm COUNT (default 1) corruptions of the next host->guest messages. */
static void cmd_fault(struct sim_nic *nic, char *arg, char *reply, size_t len)
{
	char *save = NULL, *kind, *count_s, *chan_s, *end;
	unsigned long count = 1, chan = 0;

	kind = arg != NULL ? strtok_r(arg, " \t", &save) : NULL;
	count_s = kind != NULL ? strtok_r(NULL, " \t", &save) : NULL;
	chan_s = count_s != NULL ? strtok_r(NULL, " \t", &save) : NULL;
	if (kind == NULL)
		return (void)snprintf(reply, len, "error fault wants KIND [COUNT [CHAN]]");
	if (count_s != NULL) {
		errno = 0;
		count = strtoul(count_s, &end, 10);
		if (count_s[0] < '0' || count_s[0] > '9' || errno != 0 || *end != '\0' ||
		    count > UINT32_MAX)
			return (void)snprintf(reply, len, "error bad fault count %.32s", count_s);
	}
	if (chan_s != NULL) {
		errno = 0;
		chan = strtoul(chan_s, &end, 10);
		if (chan_s[0] < '0' || chan_s[0] > '9' || errno != 0 || *end != '\0' ||
		    chan >= SIM_MAX_CHANNELS)
			return (void)snprintf(reply, len, "error bad fault channel %.32s", chan_s);
	}
	if (host_fault_arm(nic, kind, (uint32_t)count, chan_s != NULL ? (int)chan : -1) < 0)
		return (void)snprintf(reply, len, "error unknown fault kind %.32s", kind);
	sim_log("fault armed nic=%u kind=%s count=%lu chan=%s", nic->idx, kind, count,
		chan_s != NULL ? chan_s : "any");
	snprintf(reply, len, "ok fault nic=%u %s %lu", nic->idx, kind, count);
}

static void cmd_rescind(struct sim_nic *nic, char *reply, size_t len)
{
	int rc = sim_env_rescind_nic(nic);

	if (rc < 0)
		snprintf(reply, len, "error rescind nic=%u: %s", nic->idx, strerror(-rc));
	else
		snprintf(reply, len, "ok rescind nic=%u", nic->idx);
}

/* "add|remove [msg-first|dev-first]": the second half of the change follows later. */
static void cmd_vf(struct sim_nic *nic, const char *arg, char *reply, size_t len)
{
	const char *err = host_vf_command(nic, arg);

	if (err != NULL)
		snprintf(reply, len, "error vf nic=%u: %s", nic->idx, err);
	else
		snprintf(reply, len, "ok vf nic=%u %s", nic->idx, arg);
}

/* "ok", then per NIC its summary line and the wire layer's lines, one per line. */
static void cmd_stats(struct sim *sim, char *reply, size_t len)
{
	size_t off;
	unsigned int i;
	int n;

	off = (size_t)snprintf(reply, len, "ok\n");
	/* Before the NIC lines: a reader that files words under the last nic= gets none of it. */
	n = sim_format_load(sim, reply + off, len - off - 1);
	if (n > 0 && (size_t)n < len - off - 1) {
		off += (size_t)n;
		reply[off++] = '\n';
		reply[off] = '\0';
	}
	for (i = 0; i < sim->nnics && off + 1 < len; i++) {
		n = sim_format_summary(&sim->nic[i], reply + off, len - off - 1);
		if (n < 0 || (size_t)n >= len - off - 1)
			break;
		off += (size_t)n;
		reply[off++] = '\n';
		reply[off] = '\0';
		sim_log_capture(reply, len);
		wire_summary(&sim->nic[i]);
		host_vf_summary(&sim->nic[i]);
		sim_log_capture(NULL, 0);
		off = strlen(reply);
	}
}

/* Splits "verb nic rest": rest keeps its spaces (a generator spec may hold some). */
static void execute(struct sim *sim, char *msg, char *reply, size_t len)
{
	char *verb, *nic_s, *rest, *save = NULL;
	struct sim_nic *nic;
	int rc;

	msg[strcspn(msg, "\r\n")] = '\0';
	verb = strtok_r(msg, " \t", &save);
	if (verb == NULL)
		return (void)snprintf(reply, len, "error empty command");
	if (strcmp(verb, "ping") == 0)
		return (void)snprintf(reply, len, "ok");
	if (strcmp(verb, "stats") == 0)
		return cmd_stats(sim, reply, len);
	nic_s = strtok_r(NULL, " \t", &save);
	rest = strtok_r(NULL, "", &save);
	if (rest != NULL)
		rest += strspn(rest, " \t");
	if (strcmp(verb, "link") != 0 && strcmp(verb, "speed") != 0 && strcmp(verb, "gen") != 0 &&
	    strcmp(verb, "rescind") != 0 && strcmp(verb, "fault") != 0 &&
	    strcmp(verb, "replay") != 0 && strcmp(verb, "vf") != 0 && strcmp(verb, "rate") != 0)
		return (void)snprintf(reply, len, "error unknown command %.64s", verb);
	nic = nic_arg(sim, nic_s);
	if (nic == NULL)
		return (void)snprintf(reply, len, "error no such nic");
	if (strcmp(verb, "rescind") == 0)
		return cmd_rescind(nic, reply, len);
	if (strcmp(verb, "fault") == 0)
		return cmd_fault(nic, rest, reply, len);
	if (strcmp(verb, "vf") == 0)
		return cmd_vf(nic, rest, reply, len);
	if (strcmp(verb, "link") == 0)
		return cmd_link(nic, rest, reply, len);
	if (strcmp(verb, "speed") == 0)
		return cmd_speed(nic, rest, reply, len);
	if (strcmp(verb, "replay") == 0)
		return cmd_replay(nic, rest, reply, len);
	if (rest == NULL || rest[0] == '\0')
		return (void)snprintf(reply, len, "error %s wants a SPEC", verb);
	rc = strcmp(verb, "gen") == 0 ? wire_gen_start(nic, rest) : wire_rate_start(nic, rest);
	if (rc < 0)
		snprintf(reply, len, "error %s %.128s: %s", verb, rest, strerror(-rc));
	else
		snprintf(reply, len, "ok %s nic=%u", verb, nic->idx);
}

unsigned int sim_ctl_poll(struct sim *sim)
{
	char msg[CTL_MSG_MAX], reply[CTL_REPLY_MAX];
	unsigned int n;

	if (ctl_fd < 0)
		return 0;
	for (n = 0; n < CTL_BURST; n++) {
		struct sockaddr_un from;
		socklen_t fromlen = sizeof(from);
		ssize_t len;

		len = recvfrom(ctl_fd, msg, sizeof(msg) - 1, 0, (struct sockaddr *)&from,
			       &fromlen);
		if (len < 0)
			break;
		msg[len] = '\0';
		reply[0] = '\0';
		execute(sim, msg, reply, sizeof(reply));
		sim_vlog(NULL, "ctl: %s", reply);
		/* An unnamed sender cannot be answered. */
		if (fromlen > sizeof(sa_family_t))
			sendto(ctl_fd, reply, strlen(reply), MSG_DONTWAIT,
			       (struct sockaddr *)&from, fromlen);
	}
	return n;
}
