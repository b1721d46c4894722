/* SPDX-License-Identifier: BSD-3-Clause */
/* dpdk-test-hvnet sim: options, the host's main loop, signals, stats and the final summary. */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sim_env.h"

#define NSEC_PER_SEC		1000000000ull
#define REAP_INTERVAL_NS	(10 * 1000 * 1000ull)	/* waitpid at most every 10 ms */
#define STOP_GRACE_NS		(5 * NSEC_PER_SEC)	/* time to obey a stop signal */
#define KILL_GRACE_NS		(5 * NSEC_PER_SEC)	/* give up waiting after SIGKILL */
#define IDLE_SPINS		64
#define SLEEP_MIN_NS		1000
#define SLEEP_MAX_NS		100000
#define IDLE_MAX_NS		1000000ull	/* hyperv: wire, control socket, children */
#define LOG_LINE_MAX		1024

static struct sim the_sim;
static bool log_verbose;

/* While set, sim_log() lines go here (without the prefix) instead of stderr. */
static struct {
	char *buf;
	size_t len;
	size_t used;
} capture;
static volatile sig_atomic_t pending_signal;

/* Per-NIC counters at the last stats line, for the rates. */
static struct sim_nic_stats last_stats[SIM_MAX_NICS];

/* --- logging ----------------------------------------------------------------------------- */

/* Append a finished line (prefix skipped) to the capture buffer, if it fits. */
static void capture_line(const char *line, size_t n)
{
	size_t skip = strlen("hvnet-sim: ");

	if (n <= skip || capture.used + n - skip >= capture.len)
		return;
	memcpy(capture.buf + capture.used, line + skip, n - skip);
	capture.used += n - skip;
	capture.buf[capture.used] = '\0';
}

void sim_log_capture(char *buf, size_t len)
{
	capture.buf = len != 0 ? buf : NULL;
	capture.len = len;
	capture.used = len != 0 ? strlen(buf) : 0;
}

static void log_line(const char *prefix, const char *fmt, va_list ap)
{
	char buf[LOG_LINE_MAX];
	int n, m;

	n = snprintf(buf, sizeof(buf), "hvnet-sim: %s", prefix);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return;
	m = vsnprintf(buf + n, sizeof(buf) - (size_t)n, fmt, ap);
	if (m < 0)
		return;
	n += m;
	if ((size_t)n >= sizeof(buf) - 1)
		n = (int)sizeof(buf) - 2;
	buf[n++] = '\n';
	if (capture.buf != NULL)
		return capture_line(buf, (size_t)n);
	/* One write per line, so the guest's output and ours do not interleave mid-line. */
	if (write(STDERR_FILENO, buf, (size_t)n) < 0)
		return;
}

void sim_log(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_line("", fmt, ap);
	va_end(ap);
}

void sim_vlog(struct sim_nic *nic, const char *fmt, ...)
{
	char prefix[32] = "";
	va_list ap;

	if (!log_verbose)
		return;
	if (nic != NULL)
		snprintf(prefix, sizeof(prefix), "nic=%u ", nic->idx);
	va_start(ap, fmt);
	log_line(prefix, fmt, ap);
	va_end(ap);
}

/* --- time and signals -------------------------------------------------------------------- */

uint64_t sim_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

static void on_signal(int sig)
{
	pending_signal = sig;
	the_sim.stop = 1;
}

static void install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

/* --- stats and summary ------------------------------------------------------------------- */

int sim_format_summary(const struct sim_nic *nic, char *buf, size_t len)
{
	const struct sim_nic_stats *s = &nic->stats;
	uint64_t frames = s->to_guest_frames + s->from_guest_frames;

	return snprintf(buf, len,
			"summary nic=%u to_guest_frames=%" PRIu64 " to_guest_bytes=%" PRIu64
			" rx_filtered=%" PRIu64 " rx_nobuf=%" PRIu64 " rx_link_down=%" PRIu64
			" from_guest_frames=%" PRIu64 " from_guest_bytes=%" PRIu64
			" tx_chimney=%" PRIu64 " tx_gpa=%" PRIu64 " tx_gpa_rxbuf=%" PRIu64
			" tx_errors=%" PRIu64
			" violations=%" PRIu64 " faults=%" PRIu64 " host_signals=%" PRIu64
			" signals_unneeded=%" PRIu64 " guest_interrupts=%" PRIu64
			" signals_per_packet=%.5f missed_signals=%" PRIu64
			" rx_sections_leaked=%" PRIu64 " tx_completions_owed=%" PRIu64
			" ctl_unanswered=%" PRIu64 " tx_csum_filled=%" PRIu64
			" tx_lso_sends=%" PRIu64 " tx_lso_segments=%" PRIu64 " rx_csum_bad=%" PRIu64,
			nic->idx, s->to_guest_frames, s->to_guest_bytes, s->rx_filtered,
			s->rx_nobuf, s->rx_link_down, s->from_guest_frames, s->from_guest_bytes,
			s->tx_chimney, s->tx_gpa, s->tx_gpa_rxbuf, s->tx_errors, s->violations,
			s->faults, s->host_signals, s->signals_unneeded, s->guest_interrupts,
			frames != 0 ? (double)s->host_signals / (double)frames : 0.0,
			s->missed_signals, s->rx_sections_leaked, s->tx_completions_owed,
			s->ctl_unanswered, s->tx_csum_filled, s->tx_lso_sends,
			s->tx_lso_segments, s->rx_csum_bad);
}

int sim_format_load(const struct sim *sim, char *buf, size_t len)
{
	uint64_t wall = sim_now_ns() - sim->run_start, frames = 0;
	unsigned int i;

	for (i = 0; i < sim->nnics; i++)
		frames += sim->nic[i].stats.to_guest_frames + sim->nic[i].stats.from_guest_frames;
	return snprintf(buf, len,
			"load wall_ms=%" PRIu64 " busy_ms=%" PRIu64 " idle_pct=%.1f frames=%" PRIu64
			" capacity_pps=%.0f", wall / 1000000, sim->busy_ns / 1000000,
			wall != 0 && wall > sim->busy_ns ?
				100.0 * (double)(wall - sim->busy_ns) / (double)wall : 0.0,
			frames, sim->busy_ns != 0 ?
				(double)frames * NSEC_PER_SEC / (double)sim->busy_ns : 0.0);
}

/* One line per channel index ever offered: its signals, interrupts, waits, latency. */
static void print_channels(const struct sim_nic *nic)
{
	unsigned int c;

	for (c = 0; c < SIM_MAX_CHANNELS; c++) {
		const struct sim_chan_stats *cs = &nic->chan_stats[c];

		if (!cs->used)
			continue;
		sim_log("channel nic=%u chan=%u monitor=%u latency=%u signals=%" PRIu64
			" signals_unneeded=%" PRIu64 " guest_interrupts=%" PRIu64 " sleeps=%" PRIu64
			" pending_waits=%" PRIu64, nic->idx, c, cs->monitor_id, cs->latency,
			cs->signals, cs->unneeded, cs->interrupts, cs->sleeps, cs->pending_waits);
	}
}

/* pps_in: frames into the guest; pps_out: frames out of the guest, over the interval. */
static void print_stats(struct sim *sim, double secs)
{
	unsigned int i;

	for (i = 0; i < sim->nnics; i++) {
		const struct sim_nic_stats *s = &sim->nic[i].stats;
		struct sim_nic_stats *l = &last_stats[i];

		sim_log("stats nic=%u to_guest=%" PRIu64 "/%" PRIu64 " from_guest=%" PRIu64
			"/%" PRIu64 " drops=%" PRIu64 " pps_in=%.0f pps_out=%.0f", i,
			s->to_guest_frames, s->to_guest_bytes, s->from_guest_frames,
			s->from_guest_bytes, s->rx_filtered + s->rx_nobuf + s->rx_link_down,
			(double)(s->to_guest_frames - l->to_guest_frames) / secs,
			(double)(s->from_guest_frames - l->from_guest_frames) / secs);
		*l = *s;
	}
}

static void print_summary(struct sim *sim)
{
	char line[LOG_LINE_MAX];
	unsigned int i;

	for (i = 0; i < sim->nnics; i++) {
		sim_format_summary(&sim->nic[i], line, sizeof(line));
		sim_log("%s", line);
		wire_summary(&sim->nic[i]);
		host_vf_summary(&sim->nic[i]);
		print_channels(&sim->nic[i]);
	}
	sim_format_load(sim, line, sizeof(line));
	sim_log("%s", line);
}

/* --- the uio open/close handshake -------------------------------------------------------- */

static unsigned int handle_uio(struct sim_nic *nic)
{
	struct sim_uio_ctl *ctl = nic->ctl;
	uint32_t req;
	unsigned int work = 0;

	/* A close is handled before an open: a quick close+reopen then ends up open. */
	req = __atomic_load_n(&ctl->close_req, __ATOMIC_ACQUIRE);
	if (req != nic->seen_close) {
		nic->seen_close = req;
		host_nic_reset(nic);
		sim_env_guest_closed(nic);
		__atomic_store_n(&ctl->close_ack, req, __ATOMIC_RELEASE);
		sim_vlog(nic, "uio closed");
		work++;
	}
	req = __atomic_load_n(&ctl->open_req, __ATOMIC_ACQUIRE);
	if (req != nic->seen_open) {
		nic->seen_open = req;
		host_nic_reset(nic);
		sim_env_guest_opened(nic);
		__atomic_store_n(&ctl->open_ack, req, __ATOMIC_RELEASE);
		sim_vlog(nic, "uio opened by pid %d", (int)ctl->guest_pid);
		work++;
	}
	return work;
}

/* The process holding the device died without closing it (or the guest ended): a close. */
static void force_close(struct sim_nic *nic, const char *why)
{
	__atomic_store_n(&nic->ctl->open_count, 0, __ATOMIC_RELEASE);
	host_nic_reset(nic);
	sim_env_guest_closed(nic);
	sim_vlog(nic, "uio closed: %s", why);
}

static void check_vanished(struct sim *sim)
{
	unsigned int i;

	for (i = 0; i < sim->nnics; i++) {
		if (sim_env_guest_vanished(&sim->nic[i]))
			force_close(&sim->nic[i], "holder exited");
		sim_env_reap_listeners(&sim->nic[i]);
	}
}

/* --- guest lifetime ---------------------------------------------------------------------- */

struct guest_state {
	bool done;
	int status;
	uint64_t start;
	uint64_t term_deadline;		/* SIGKILL after this (0 = nothing forwarded yet) */
	uint64_t kill_deadline;		/* stop waiting after this (0 = not killed yet) */
};

static void reap(struct sim *sim, struct guest_state *g)
{
	unsigned int n;
	int status;
	pid_t pid;

	for (n = 0; n < 1024; n++) {
		pid = waitpid(-1, &status, WNOHANG);
		if (pid <= 0)
			return;
		if (pid == sim->guest) {
			g->done = true;
			g->status = status;
			/* Its pid may be reused from now on: never signal it again. */
			sim->guest = 0;
		}
	}
}

static void kill_guest(struct sim *sim, struct guest_state *g, const char *why)
{
	sim_log("killing the guest: %s", why);
	sim_env_signal_guest_tree(sim, SIGKILL);
	if (g->kill_deadline == 0)
		g->kill_deadline = sim_now_ns() + KILL_GRACE_NS;
}

/* Signals, deadlines, reaping; returns false when the main loop should end. */
static bool watch_guest(struct sim *sim, struct guest_state *g, uint64_t now)
{
	reap(sim, g);
	if (g->done)
		return false;
	if (pending_signal != 0 && g->term_deadline == 0) {
		sim_log("signal %d: passing it to the guest", (int)pending_signal);
		sim_env_signal_guest_tree(sim, pending_signal);
		g->term_deadline = now + STOP_GRACE_NS;
	}
	if (g->term_deadline != 0 && now >= g->term_deadline && g->kill_deadline == 0)
		kill_guest(sim, g, "it ignored the stop signal for 5 s");
	if (sim->opt.guest_timeout != 0 && g->kill_deadline == 0 &&
	    now - g->start >= sim->opt.guest_timeout * NSEC_PER_SEC)
		kill_guest(sim, g, "--timeout reached");
	if (g->kill_deadline != 0 && now >= g->kill_deadline) {
		sim_log("the guest did not die after SIGKILL; giving up on it");
		return false;
	}
	return true;
}

static int exit_code(const struct guest_state *g)
{
	if (!g->done)
		return 128 + SIGKILL;
	if (WIFEXITED(g->status))
		return WEXITSTATUS(g->status);
	if (WIFSIGNALED(g->status))
		return 128 + WTERMSIG(g->status);
	return 1;
}

/* --- main loop --------------------------------------------------------------------------- */

static unsigned int poll_once(struct sim *sim)
{
	unsigned int i, work = 0;

	for (i = 0; i < sim->nnics; i++) {
		/* A rescinded NIC's channels are gone: nothing of it is served any more. */
		if (sim_env_rescinded(&sim->nic[i]))
			continue;
		work += handle_uio(&sim->nic[i]);
		work += host_nic_poll(&sim->nic[i]);
		work += host_vf_poll(&sim->nic[i]);
	}
	work += wire_poll(sim);
	/* Frames batched during this round go out now, however few. */
	for (i = 0; i < sim->nnics; i++)
		work += host_nic_flush(&sim->nic[i]);
	work += sim_ctl_poll(sim);
	return work;
}

/* Spin a little when idle, then sleep longer and longer, up to 100 us. */
static void back_off(unsigned int *idle, long *sleep_ns)
{
	struct timespec ts;

	if (++*idle < IDLE_SPINS)
		return;
	ts.tv_sec = 0;
	ts.tv_nsec = *sleep_ns;
	nanosleep(&ts, NULL);
	*sleep_ns = *sleep_ns * 2 > SLEEP_MAX_NS ? SLEEP_MAX_NS : *sleep_ns * 2;
}

/*
 * hyperv: nothing to do until the guest signals. Sleep on the doorbell (rung by the shim at
 * each kernel signal; bell is its value before the round that found nothing) until the next
 * monitor scan or watchdog look is due, at most IDLE_MAX_NS.
 */
static void sleep_until_signal(struct sim *sim, uint32_t bell)
{
	uint64_t now = sim_now_ns(), wake = now + IDLE_MAX_NS, t;
	struct timespec ts;
	unsigned int i;

	t = wire_next_wake(sim);
	if (t < wake)
		wake = t;
	for (i = 0; i < sim->nnics; i++) {
		if (sim_env_rescinded(&sim->nic[i]))
			continue;
		t = host_nic_next_wake(&sim->nic[i]);
		if (t < wake)
			wake = t;
	}
	if (wake <= now)
		return;
	ts.tv_sec = (time_t)((wake - now) / NSEC_PER_SEC);
	ts.tv_nsec = (long)((wake - now) % NSEC_PER_SEC);
	/* Shared (not private) futex: the shim rings it from the guest's processes. */
	syscall(SYS_futex, &sim->doorbell->ring, FUTEX_WAIT, bell, &ts, NULL, 0);
}

static int run(struct sim *sim)
{
	struct guest_state g = { .start = sim->run_start };
	uint64_t next_reap = 0, next_stats = 0, last_stats_at = g.start;
	uint64_t stats_ns = (uint64_t)sim->opt.stats_interval * NSEC_PER_SEC;
	long sleep_ns = SLEEP_MIN_NS;
	unsigned int idle = 0, i;

	if (stats_ns != 0)
		next_stats = g.start + stats_ns;
	for (;;) {
		uint32_t bell = __atomic_load_n(&sim->doorbell->ring, __ATOMIC_ACQUIRE);
		uint64_t start = sim_now_ns(), now;

		if (poll_once(sim) != 0) {
			now = sim_now_ns();
			sim->busy_ns += now - start;
			idle = 0;
			sleep_ns = SLEEP_MIN_NS;
		} else {
			if (sim->opt.signals == SIM_SIGNALS_HYPERV)
				sleep_until_signal(sim, bell);
			else
				back_off(&idle, &sleep_ns);
			now = sim_now_ns();
		}
		if (now >= next_reap || pending_signal != 0) {
			next_reap = now + REAP_INTERVAL_NS;
			check_vanished(sim);
			if (!watch_guest(sim, &g, now))
				break;
		}
		if (stats_ns != 0 && now >= next_stats) {
			print_stats(sim, (double)(now - last_stats_at) / NSEC_PER_SEC);
			last_stats_at = now;
			next_stats = now + stats_ns;
		}
	}
	/* The guest is gone: whatever it held open is closed now. */
	for (i = 0; i < sim->nnics; i++)
		if (__atomic_load_n(&sim->nic[i].ctl->open_count, __ATOMIC_ACQUIRE) != 0)
			force_close(&sim->nic[i], "guest exited");
	sim_env_signal_guest_tree(sim, SIGKILL);
	reap(sim, &g);
	return exit_code(&g);
}

static int start(struct sim *sim, char **cmd)
{
	unsigned int i, ninit;
	int rc, code = 1;

	rc = sim_env_create(sim);
	if (rc < 0) {
		sim_log("cannot build the simulated devices: %s", strerror(-rc));
		goto out_env;
	}
	for (ninit = 0; ninit < sim->nnics; ninit++) {
		if (host_nic_init(&sim->nic[ninit]) < 0) {
			sim_log("nic=%u: host initialisation failed", ninit);
			goto out_nics;
		}
	}
	if (wire_setup(sim) < 0) {
		sim_log("wire setup failed");
		goto out_nics;
	}
	for (i = 0; i < sim->nnics; i++) {
		if (host_vf_setup(&sim->nic[i]) < 0) {
			sim_log("nic=%u: VF setup failed", i);
			goto out_vf;
		}
	}
	if (sim_ctl_open(sim) < 0)
		goto out_wire;
	if (sim->stop) {
		sim_log("interrupted before the guest started");
		goto out_ctl;
	}
	rc = sim_env_spawn_guest(sim, cmd);
	if (rc < 0) {
		sim_log("cannot start the guest: %s", strerror(-rc));
		goto out_ctl;
	}
	sim->run_start = sim_now_ns();
	code = run(sim);
	print_summary(sim);
out_ctl:
	sim_ctl_close(sim);
out_vf:
	for (i = 0; i < sim->nnics; i++)
		host_vf_teardown(&sim->nic[i]);
out_wire:
	wire_teardown(sim);
out_nics:
	for (i = 0; i < ninit; i++)
		host_nic_fini(&sim->nic[i]);
out_env:
	sim_env_destroy(sim);
	return code;
}

int main(int argc, char **argv)
{
	char err[256];
	int cmd = 0, rc;

	rc = sim_parse_args(argc, argv, &the_sim.opt, &cmd, err, sizeof(err));
	if (rc == 1) {
		sim_print_usage(stdout);
		return 0;
	}
	if (rc < 0) {
		fprintf(stderr, "dpdk-test-hvnet: %s (see --help)\n", err);
		return SIM_EXIT_USAGE;
	}
	log_verbose = the_sim.opt.verbose;
	install_signals();
	return start(&the_sim, &argv[cmd]);
}
