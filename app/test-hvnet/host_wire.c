/* SPDX-License-Identifier: BSD-3-Clause */
/* What is behind each simulated NIC: loop, peer, TAP, pcap or nothing, with a backlog. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <linux/if_tun.h>

#include "wire.h"

#define WIRE_POLL_BURST		64u	/* frames read from a TAP or pcap file per poll */
#define PCAP_MAGIC_USEC		0xa1b2c3d4u
#define PCAP_MAGIC_NSEC		0xa1b23c4du
#define PCAP_LINKTYPE_ETHERNET	1u
#define PCAP_FILE_HDR		24u
#define PCAP_REC_HDR		16u
#define PCAP_REC_SANE_MAX	262144u	/* larger record lengths mean a corrupt file */

/* Global wire state (sim->wires): a scratch frame for TAP and pcap reads. */
struct wire_global {
	uint8_t scratch[WIRE_FRAME_MAX];
};

static const char *const kind_names[] = {
	[WIRE_NONE] = "none",
	[WIRE_LOOP] = "loop",
	[WIRE_PEER] = "peer",
	[WIRE_TAP] = "tap",
	[WIRE_PCAP] = "pcap",
};

static struct wire_nic *
wn(struct sim_nic *nic)
{
	return nic->wire;
}

/* --- backlog: fixed slots in a ring, oldest first ------------------------------------ */

static uint8_t *
backlog_slot(struct wire_backlog *b, unsigned int pos)
{
	return b->slots + (size_t)(pos % WIRE_BACKLOG) * WIRE_FRAME_MAX;
}

static bool
backlog_push(struct wire_backlog *b, const uint8_t *frame, uint32_t len)
{
	unsigned int tail = (b->head + b->count) % WIRE_BACKLOG;

	if (b->count == WIRE_BACKLOG || len > WIRE_FRAME_MAX)
		return false;
	memcpy(backlog_slot(b, tail), frame, len);
	b->len[tail] = len;
	b->count++;
	return true;
}

static void
backlog_pop(struct wire_backlog *b)
{
	b->head = (b->head + 1) % WIRE_BACKLOG;
	b->count--;
}

/* Count the outcome of host_nic_receive; filter/link drops are counted by the host. */
static void
account_receive(struct wire_nic *w, int rc)
{
	if (rc >= 0)
		w->rx_wire++;
	else if (rc != -EPERM)
		w->drops++;
}

/* Hand a frame to nic's guest now, or queue it behind earlier ones; never blocks. */
static void
wire_deliver(struct sim_nic *nic, const uint8_t *frame, uint32_t len)
{
	struct wire_nic *w = wn(nic);
	int rc;

	/* Frames already waiting go first, so the wire keeps its order. */
	if (w->backlog.count == 0) {
		rc = host_nic_receive(nic, frame, len);
		if (rc != -ENOBUFS) {
			account_receive(w, rc);
			return;
		}
	}
	/* The guest had no room for this frame, for longer than the backlog covers. */
	if (!backlog_push(&w->backlog, frame, len))
		nic->stats.rx_nobuf++;
}

static unsigned int
backlog_drain(struct sim_nic *nic)
{
	struct wire_nic *w = wn(nic);
	struct wire_backlog *b = &w->backlog;
	unsigned int done = 0;
	int rc;

	while (b->count > 0) {
		rc = host_nic_receive(nic, backlog_slot(b, b->head), b->len[b->head]);
		if (rc == -ENOBUFS)
			break;
		account_receive(w, rc);
		backlog_pop(b);
		done++;
	}
	return done;
}

/* --- TAP ------------------------------------------------------------------------------- */

/* Bring the interface up with the NIC's MTU; failures are logged, the TAP still works. */
static void
tap_bring_up(const char *name, uint32_t mtu)
{
	struct ifreq ifr;
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (s < 0) {
		sim_log("wire: tap %s: socket: %s", name, strerror(errno));
		return;
	}
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	ifr.ifr_mtu = (int)mtu;
	if (ioctl(s, SIOCSIFMTU, &ifr) < 0)
		sim_log("wire: tap %s: mtu %u: %s", name, mtu, strerror(errno));
	if (ioctl(s, SIOCGIFFLAGS, &ifr) == 0) {
		ifr.ifr_flags |= IFF_UP;
		if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
			sim_log("wire: tap %s: up: %s", name, strerror(errno));
	} else {
		sim_log("wire: tap %s: flags: %s", name, strerror(errno));
	}
	close(s);
}

static int
tap_open(struct sim_nic *nic)
{
	struct wire_nic *w = wn(nic);
	struct ifreq ifr;
	int fd, err;

	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		sim_log("wire: nic=%u /dev/net/tun: %s", nic->idx, strerror(errno));
		return err;
	}
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", w->tap_name);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		err = -errno;
		sim_log("wire: nic=%u tap %s: %s", nic->idx, w->tap_name, strerror(errno));
		close(fd);
		return err;
	}
	w->tap_fd = fd;
	tap_bring_up(w->tap_name, nic->mtu);
	return 0;
}

static unsigned int
tap_poll(struct sim_nic *nic, uint8_t *buf)
{
	struct wire_nic *w = wn(nic);
	unsigned int n;
	ssize_t got;

	/* Leave frames in the kernel's queue while the guest has no room. */
	for (n = 0; n < WIRE_POLL_BURST && w->backlog.count == 0; n++) {
		got = read(w->tap_fd, buf, WIRE_FRAME_MAX);
		if (got <= 0)
			break;
		wire_deliver(nic, buf, (uint32_t)got);
	}
	return n;
}

static void
tap_write(struct wire_nic *w, const uint8_t *frame, uint32_t len)
{
	if (write(w->tap_fd, frame, len) != (ssize_t)len)
		w->drops++;
}

/* --- pcap ------------------------------------------------------------------------------- */

static uint32_t
pcap_u32(const struct wire_nic *w, const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return w->pcap_swapped ? __builtin_bswap32(v) : v;
}

static int
pcap_open_in(struct sim_nic *nic, const char *path)
{
	struct wire_nic *w = wn(nic);
	uint8_t hdr[PCAP_FILE_HDR];
	uint32_t magic;
	int err;

	w->pcap_in = fopen(path, "rbe");
	if (w->pcap_in == NULL) {
		err = -errno;
		sim_log("wire: nic=%u pcap %s: %s", nic->idx, path, strerror(-err));
		return err;
	}
	if (fread(hdr, sizeof(hdr), 1, w->pcap_in) != 1)
		goto bad;
	memcpy(&magic, hdr, sizeof(magic));
	if (magic == __builtin_bswap32(PCAP_MAGIC_USEC) ||
	    magic == __builtin_bswap32(PCAP_MAGIC_NSEC))
		w->pcap_swapped = true;
	else if (magic != PCAP_MAGIC_USEC && magic != PCAP_MAGIC_NSEC)
		goto bad;
	if (pcap_u32(w, hdr + 20) != PCAP_LINKTYPE_ETHERNET) {
		sim_log("wire: nic=%u pcap %s: link type %u is not Ethernet", nic->idx, path,
			pcap_u32(w, hdr + 20));
		return -EINVAL;
	}
	return 0;
bad:
	sim_log("wire: nic=%u pcap %s: not a classic pcap file", nic->idx, path);
	return -EINVAL;
}

/* Classic pcap file header, written in native byte order (readers detect it by the magic). */
struct pcap_file_hdr {
	uint32_t magic;
	uint16_t major;
	uint16_t minor;
	int32_t thiszone;
	uint32_t sigfigs;
	uint32_t snaplen;
	uint32_t linktype;
};
_Static_assert(sizeof(struct pcap_file_hdr) == PCAP_FILE_HDR, "pcap file header layout");

static int
pcap_open_out(struct sim_nic *nic, const char *path)
{
	struct wire_nic *w = wn(nic);
	const struct pcap_file_hdr hdr = {
		.magic = PCAP_MAGIC_USEC,
		.major = 2,
		.minor = 4,
		.snaplen = 65535,
		.linktype = PCAP_LINKTYPE_ETHERNET,
	};
	int err;

	w->pcap_out = fopen(path, "wbe");
	if (w->pcap_out == NULL) {
		err = -errno;
		sim_log("wire: nic=%u pcap out %s: %s", nic->idx, path, strerror(-err));
		return err;
	}
	if (fwrite(&hdr, sizeof(hdr), 1, w->pcap_out) != 1) {
		sim_log("wire: nic=%u pcap out %s: write failed", nic->idx, path);
		return -EIO;
	}
	return 0;
}

static void
pcap_write(struct wire_nic *w, const uint8_t *frame, uint32_t len)
{
	struct timespec ts;
	uint32_t rec[4];

	clock_gettime(CLOCK_REALTIME, &ts);
	rec[0] = (uint32_t)ts.tv_sec;
	rec[1] = (uint32_t)(ts.tv_nsec / 1000);
	rec[2] = len;
	rec[3] = len;
	if (fwrite(rec, sizeof(rec), 1, w->pcap_out) != 1 ||
	    fwrite(frame, len, 1, w->pcap_out) != 1)
		w->drops++;
}

static void
pcap_finish_in(struct sim_nic *nic, const char *why)
{
	struct wire_nic *w = wn(nic);

	sim_log("wire: nic=%u pcap input done after %" PRIu64 " frames (%s)", nic->idx,
		w->pcap_frames, why);
	fclose(w->pcap_in);
	w->pcap_in = NULL;
}

/* Read the next record into buf; returns its length, 0 when skipped, -1 at the end. */
static int
pcap_next(struct sim_nic *nic, uint8_t *buf)
{
	struct wire_nic *w = wn(nic);
	uint8_t rec[PCAP_REC_HDR];
	uint32_t caplen;

	if (fread(rec, sizeof(rec), 1, w->pcap_in) != 1) {
		pcap_finish_in(nic, "end of file");
		return -1;
	}
	caplen = pcap_u32(w, rec + 8);
	if (caplen > PCAP_REC_SANE_MAX) {
		pcap_finish_in(nic, "corrupt record length");
		return -1;
	}
	if (caplen > WIRE_FRAME_MAX) {
		w->drops++;
		if (fseek(w->pcap_in, caplen, SEEK_CUR) != 0) {
			pcap_finish_in(nic, "seek failed");
			return -1;
		}
		return 0;
	}
	if (caplen > 0 && fread(buf, caplen, 1, w->pcap_in) != 1) {
		pcap_finish_in(nic, "truncated record");
		return -1;
	}
	w->pcap_frames++;
	return (int)caplen;
}

static unsigned int
pcap_poll(struct sim_nic *nic, uint8_t *buf)
{
	struct wire_nic *w = wn(nic);
	unsigned int n;
	int len;

	/* Pace by the guest: start once it listens, read on while nothing waits in the backlog. */
	if (!host_nic_listening(nic))
		return 0;
	for (n = 0; n < WIRE_POLL_BURST && w->pcap_in != NULL && w->backlog.count == 0; n++) {
		len = pcap_next(nic, buf);
		if (len < 0)
			break;
		if (len > 0)
			wire_deliver(nic, buf, (uint32_t)len);
	}
	return n;
}

int
wire_replay(struct sim_nic *nic, const char *path)
{
	struct wire_nic *w = wn(nic);

	if (w->kind != WIRE_PCAP)
		return -ENOTSUP;
	if (w->pcap_in != NULL)
		return -EBUSY;
	return pcap_open_in(nic, path);
}

/* --- spec parsing and setup --------------------------------------------------------------- */

static int
parse_nic_index(const char *s, unsigned int *out)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v >= SIM_MAX_NICS)
		return -EINVAL;
	*out = (unsigned int)v;
	return 0;
}

static int
parse_peer(struct sim_nic *nic, const char *arg)
{
	struct wire_nic *w = wn(nic);
	unsigned int nnics = nic->sim->nnics;

	if (arg == NULL) {
		w->peer = nic->idx ^ 1u;
		if (w->peer >= nnics) {
			sim_log("wire: nic=%u: peer has no partner (odd number of NICs)", nic->idx);
			return -EINVAL;
		}
		return 0;
	}
	if (parse_nic_index(arg, &w->peer) != 0 || w->peer >= nnics || w->peer == nic->idx) {
		sim_log("wire: nic=%u: bad peer NIC '%s'", nic->idx, arg);
		return -EINVAL;
	}
	return 0;
}

static int
parse_tap(struct sim_nic *nic, const char *arg)
{
	struct wire_nic *w = wn(nic);

	if (arg == NULL || arg[0] == '\0' || strlen(arg) >= IFNAMSIZ) {
		sim_log("wire: nic=%u: tap needs an interface name of 1..%d characters",
			nic->idx, IFNAMSIZ - 1);
		return -EINVAL;
	}
	snprintf(w->tap_name, sizeof(w->tap_name), "%s", arg);
	return tap_open(nic);
}

static int
parse_pcap(struct sim_nic *nic, const char *arg)
{
	char in[sizeof(nic->wire_spec)];
	char *out;
	int rc;

	if (arg == NULL || arg[0] == '\0' || arg[0] == ',') {
		sim_log("wire: nic=%u: pcap needs an input file", nic->idx);
		return -EINVAL;
	}
	snprintf(in, sizeof(in), "%s", arg);
	out = strchr(in, ',');
	if (out != NULL)
		*out++ = '\0';
	rc = pcap_open_in(nic, in);
	if (rc == 0 && out != NULL && out[0] != '\0')
		rc = pcap_open_out(nic, out);
	return rc;
}

/* Parse "KIND[:ARG]" and open what the kind needs. */
static int
wire_parse(struct sim_nic *nic)
{
	struct wire_nic *w = wn(nic);
	char kind[sizeof(nic->wire_spec)];
	const char *spec = nic->wire_spec[0] != '\0' ? nic->wire_spec : "loop";
	const char *arg = strchr(spec, ':');
	size_t klen = arg != NULL ? (size_t)(arg - spec) : strlen(spec);

	memcpy(kind, spec, klen);
	kind[klen] = '\0';
	if (arg != NULL)
		arg++;
	if (strcmp(kind, "loop") == 0 && arg == NULL) {
		w->kind = WIRE_LOOP;
		return 0;
	}
	if (strcmp(kind, "none") == 0 && arg == NULL) {
		w->kind = WIRE_NONE;
		return 0;
	}
	if (strcmp(kind, "peer") == 0) {
		w->kind = WIRE_PEER;
		return parse_peer(nic, arg);
	}
	if (strcmp(kind, "tap") == 0) {
		w->kind = WIRE_TAP;
		return parse_tap(nic, arg);
	}
	if (strcmp(kind, "pcap") == 0) {
		w->kind = WIRE_PCAP;
		return parse_pcap(nic, arg);
	}
	sim_log("wire: nic=%u: unknown wire '%s' (loop, peer[:M], tap:NAME, pcap:IN[,OUT], none)",
		nic->idx, spec);
	return -EINVAL;
}

static int
check_peers(struct sim *sim)
{
	unsigned int i;

	for (i = 0; i < sim->nnics; i++) {
		struct wire_nic *w = sim->nic[i].wire;
		struct wire_nic *p;

		if (w->kind != WIRE_PEER)
			continue;
		p = sim->nic[w->peer].wire;
		if (p->kind != WIRE_PEER || p->peer != i) {
			sim_log("wire: nic=%u is wired to nic=%u, which is not wired back", i,
				w->peer);
			return -EINVAL;
		}
	}
	return 0;
}

static int
wire_nic_alloc(struct sim_nic *nic)
{
	struct wire_nic *w = calloc(1, sizeof(*w));

	if (w == NULL)
		return -ENOMEM;
	w->tap_fd = -1;
	/* Pages of the slots are only touched when frames wait, so this costs little. */
	w->backlog.slots = malloc((size_t)WIRE_BACKLOG * WIRE_FRAME_MAX);
	if (w->backlog.slots == NULL) {
		free(w);
		return -ENOMEM;
	}
	nic->wire = w;
	return 0;
}

static int
start_generators(struct sim *sim)
{
	unsigned int i;
	int rc;

	for (i = 0; i < SIM_MAX_NICS; i++) {
		if (sim->opt.gen[i][0] == '\0' && sim->opt.rate[i][0] == '\0')
			continue;
		if (i >= sim->nnics) {
			sim_log("wire: --gen or --rate for nic=%u, but there are %u NICs", i,
				sim->nnics);
			return -EINVAL;
		}
		if (sim->opt.gen[i][0] != '\0')
			rc = wire_gen_start(&sim->nic[i], sim->opt.gen[i]);
		else
			rc = wire_rate_start(&sim->nic[i], sim->opt.rate[i]);
		if (rc != 0)
			return rc;
	}
	return 0;
}

int
wire_setup(struct sim *sim)
{
	unsigned int i;
	int rc = 0;

	sim->wires = calloc(1, sizeof(struct wire_global));
	if (sim->wires == NULL)
		return -ENOMEM;
	for (i = 0; i < sim->nnics && rc == 0; i++)
		rc = wire_nic_alloc(&sim->nic[i]);
	for (i = 0; i < sim->nnics && rc == 0; i++)
		rc = wire_parse(&sim->nic[i]);
	if (rc == 0)
		rc = check_peers(sim);
	if (rc == 0)
		rc = start_generators(sim);
	if (rc != 0)
		wire_teardown(sim);
	return rc;
}

void
wire_teardown(struct sim *sim)
{
	unsigned int i;

	for (i = 0; i < sim->nnics; i++) {
		struct wire_nic *w = sim->nic[i].wire;

		if (w == NULL)
			continue;
		if (w->tap_fd >= 0)
			close(w->tap_fd);
		if (w->pcap_in != NULL)
			fclose(w->pcap_in);
		if (w->pcap_out != NULL && fclose(w->pcap_out) != 0)
			sim_log("wire: nic=%u: pcap output not fully written", i);
		gen_free(w->gen);
		free(w->backlog.slots);
		free(w);
		sim->nic[i].wire = NULL;
	}
	free(sim->wires);
	sim->wires = NULL;
}

/* --- data path ---------------------------------------------------------------------------- */

void
wire_transmit(struct sim_nic *nic, unsigned int chan, const uint8_t *frame, uint32_t len)
{
	struct wire_nic *w = wn(nic);
	bool generated = gen_check(nic->sim, chan, frame, len);

	/* A rate run's NIC ends here, as a traffic sink would: counted, checked, not forwarded. */
	if (gen_sink(w->gen)) {
		w->sink_frames++;
		w->sink_bytes += len;
		return;
	}
	if (generated)
		return;
	w->tx_wire++;
	switch (w->kind) {
	case WIRE_LOOP:
		wire_deliver(nic, frame, len);
		break;
	case WIRE_PEER:
		wire_deliver(&nic->sim->nic[w->peer], frame, len);
		break;
	case WIRE_TAP:
		tap_write(w, frame, len);
		break;
	case WIRE_PCAP:
		if (w->pcap_out != NULL)
			pcap_write(w, frame, len);
		break;
	case WIRE_NONE:
		break;
	}
}

unsigned int
wire_poll(struct sim *sim)
{
	struct wire_global *g = sim->wires;
	unsigned int i, work = 0;

	for (i = 0; i < sim->nnics; i++) {
		struct sim_nic *nic = &sim->nic[i];
		struct wire_nic *w = nic->wire;

		work += backlog_drain(nic);
		if (w->tap_fd >= 0)
			work += tap_poll(nic, g->scratch);
		if (w->pcap_in != NULL)
			work += pcap_poll(nic, g->scratch);
		if (w->gen != NULL)
			work += gen_poll(nic);
	}
	return work;
}

uint64_t
wire_next_wake(struct sim *sim)
{
	uint64_t wake = UINT64_MAX, t;
	unsigned int i;

	for (i = 0; i < sim->nnics; i++) {
		struct wire_nic *w = sim->nic[i].wire;

		if (w == NULL || w->gen == NULL)
			continue;
		t = gen_next_wake(w->gen);
		if (t < wake)
			wake = t;
	}
	return wake;
}

void
wire_summary(struct sim_nic *nic)
{
	struct wire_nic *w = wn(nic);
	struct wire_gen_counters c = { 0 };
	uint64_t missing;

	if (w == NULL)
		return;
	if (w->gen != NULL)
		gen_get_counters(w->gen, &c);
	missing = c.sent > c.ok + c.bad ? c.sent - c.ok - c.bad : 0;
	sim_log("wire nic=%u kind=%s tx_wire=%" PRIu64 " rx_wire=%" PRIu64 " wire_drops=%" PRIu64
		" gen_sent=%" PRIu64 " gen_ok=%" PRIu64 " gen_bad=%" PRIu64 " gen_dup=%" PRIu64
		" gen_wrong_queue=%" PRIu64 " gen_missing=%" PRIu64,
		nic->idx, kind_names[w->kind], w->tx_wire, w->rx_wire, w->drops, c.sent, c.ok,
		c.bad, c.dup, c.wrong_queue, missing);
	gen_rate_summary(w->gen, w);
}
