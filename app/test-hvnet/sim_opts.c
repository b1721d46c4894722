/* SPDX-License-Identifier: BSD-3-Clause */
/* Command-line parsing of "dpdk-test-hvnet sim": every value is checked before use. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim_env.h"

#define KIB		1024ull
#define MIB		(1024ull * KIB)
#define GIB		(1024ull * MIB)
#define RING_MIN	(16 * KIB)
#define RING_MAX	(256 * MIB)
#define BUF_MIN		(16 * KIB)
#define BUF_MAX		(1 * GIB)
#define TIME_MAX	(7u * 24 * 3600)

struct parse_ctx {
	struct sim_opts *opt;
	char *err;
	size_t errlen;
};

static int fail(struct parse_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(struct parse_ctx *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->err, c->errlen, fmt, ap);
	va_end(ap);
	return -1;
}

void sim_print_usage(FILE *f)
{
	fprintf(f,
		"usage: dpdk-test-hvnet sim [options] -- <guest command> [args...]\n"
		"  --nics N            simulated NICs (1-%u, default 1)\n"
		"  --queues MAX        channels per NIC, primary included (1-%u, default 8)\n"
		"  --mtu BYTES         host MTU (576-9000, default 1500)\n"
		"  --mac LIST          comma-separated MACs in NIC order\n"
		"  --speed MBPS        link speed (default 10000)\n"
		"  --rxbuf SIZE        receive buffer (default 31M)\n"
		"  --sendbuf SIZE      send buffer (default 16M)\n"
		"  --ring SIZE         ring per direction incl. header page (default 2M)\n"
		"  --nvsp VERSION      highest NVSP version: 1, 2, 4, 5, 6, 6.1 (default 6.1)\n"
		"  --wire [N=]KIND     what is behind NIC N, or all NICs (default loop)\n"
		"  --gen N:SPEC        traffic generator on NIC N\n"
		"  --rate N:SPEC       rate generator and sink on NIC N: PPS|max:SIZE[:FLOWS[:COUNT]]\n"
		"  --stats SECONDS     print rates every SECONDS\n"
		"  --no-monitor        offer channels without monitor id\n"
		"  --vf                every NIC has a VF: veth hvvfN, the host end hvvfNh\n"
		"  --vf-absent         --vf, but the VF comes only when added (command, schedule)\n"
		"  --vf-cycle MS       remove or re-add the VF every MS ms, both orders\n"
		"  --signals MODE      hyperv (sleep until signalled, default) or poll\n"
		"  --uio-kernel KIND   what a uio write does: all (default), primary, usermask\n"
		"  --offload SET       offloads offered: all (default), none, csum, no-ipv6\n"
		"  --rx-layout KIND    a received frame in its message: fixed (at 256, default)\n"
		"                      or packed (right after the PPIs)\n"
		"  --timeout SECONDS   SIGKILL the guest after SECONDS\n"
		"  --ctl PATH          unix datagram control socket\n"
		"  -v                  verbose\n"
		"  -h, --help          this text\n",
		SIM_MAX_NICS, SIM_MAX_CHANNELS);
}

static void set_defaults(struct sim_opts *opt)
{
	unsigned int i;

	memset(opt, 0, sizeof(*opt));
	opt->nics = 1;
	opt->queues = 8;
	opt->mtu = 1500;
	opt->speed_mbps = 10000;
	opt->rxbuf_size = 31 * MIB;
	opt->sendbuf_size = 16 * MIB;
	opt->ring_size = 2 * MIB;
	opt->nvsp_max = 0x60001;
	for (i = 0; i < SIM_MAX_NICS; i++)
		snprintf(opt->wire[i], sizeof(opt->wire[i]), "loop");
}

/* Unsigned decimal (or 0x hex) with nothing after it, within [min, max]. */
static int parse_uint(struct parse_ctx *c, const char *name, const char *s,
		      uint64_t min, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (s[0] < '0' || s[0] > '9')
		return fail(c, "%s: '%s' is not a number", name, s);
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno != 0 || *end != '\0')
		return fail(c, "%s: '%s' is not a number", name, s);
	if (v < min || v > max)
		return fail(c, "%s: %llu out of range %" PRIu64 "-%" PRIu64, name, v, min, max);
	*out = v;
	return 0;
}

/* A size with an optional K, M or G suffix (powers of 1024), a multiple of 4096. */
static int parse_size(struct parse_ctx *c, const char *name, const char *s,
		      uint64_t min, uint64_t max, size_t *out)
{
	unsigned long long v, mult = 1;
	char *end;

	if (s[0] < '0' || s[0] > '9')
		return fail(c, "%s: '%s' is not a size", name, s);
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno == 0 && end[0] != '\0' && end[1] == '\0') {
		if (*end == 'k' || *end == 'K')
			mult = KIB;
		else if (*end == 'm' || *end == 'M')
			mult = MIB;
		else if (*end == 'g' || *end == 'G')
			mult = GIB;
		else
			mult = 0;
		end += mult != 0;
	}
	if (errno != 0 || *end != '\0' || mult == 0)
		return fail(c, "%s: '%s' is not a size", name, s);
	if (v > max / mult || v * mult < min)
		return fail(c, "%s: %s out of range %llu-%llu", name, s,
			    (unsigned long long)min, (unsigned long long)max);
	v *= mult;
	if (v % SIM_HV_PAGE != 0)
		return fail(c, "%s: %s is not a multiple of 4096", name, s);
	*out = v;
	return 0;
}

static int parse_nvsp(struct parse_ctx *c, const char *s)
{
	static const struct {
		const char *name;
		uint32_t ver;
	} tab[] = {
		{ "1", 0x2 }, { "2", 0x30002 }, { "4", 0x40000 },
		{ "5", 0x50000 }, { "6", 0x60000 }, { "6.1", 0x60001 },
	};
	unsigned int i;

	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		if (strcmp(s, tab[i].name) == 0) {
			c->opt->nvsp_max = tab[i].ver;
			return 0;
		}
	}
	return fail(c, "--nvsp: '%s' is not one of 1, 2, 4, 5, 6, 6.1", s);
}

/* A word out of a fixed list: *out = its index. */
static int parse_word(struct parse_ctx *c, const char *name, const char *s,
		      const char *const *words, unsigned int n, unsigned int *out)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (strcmp(s, words[i]) == 0) {
			*out = i;
			return 0;
		}
	}
	return fail(c, "%s: '%s' is not one of the values --help lists", name, s);
}

static int parse_one_mac(const char *s, size_t n, char mac[6])
{
	unsigned int b[6], i;
	char buf[18], tail;

	if (n != 17)
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (sscanf(buf, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4],
		   &b[5], &tail) != 6)
		return -1;
	for (i = 0; i < 6; i++) {
		if (buf[i * 3] == ' ' || buf[i * 3] == '+' || buf[i * 3] == '-')
			return -1;
		mac[i] = (char)b[i];
	}
	/* A NIC's permanent address must be unicast. */
	return (b[0] & 1) ? -1 : 0;
}

static int parse_macs(struct parse_ctx *c, const char *s)
{
	unsigned int n = 0;
	const char *p = s;

	for (;;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);

		if (n >= SIM_MAX_NICS)
			return fail(c, "--mac: more than %u addresses", SIM_MAX_NICS);
		if (parse_one_mac(p, len, c->opt->macs[n]) < 0)
			return fail(c, "--mac: '%.*s' is not a unicast aa:bb:cc:dd:ee:ff",
				    (int)len, p);
		c->opt->mac_set[n++] = true;
		if (comma == NULL)
			return 0;
		p = comma + 1;
	}
}

static int copy_str(struct parse_ctx *c, const char *name, const char *s, char *dst,
		    size_t dstlen)
{
	if (s[0] == '\0')
		return fail(c, "%s: empty value", name);
	if (strlen(s) >= dstlen)
		return fail(c, "%s: value longer than %zu characters", name, dstlen - 1);
	memcpy(dst, s, strlen(s) + 1);
	return 0;
}

/* "N<sep>REST" with N a NIC index: returns REST or NULL when there is no such prefix. */
static const char *nic_prefix(const char *s, char sep, unsigned int *nic)
{
	const char *p = s;
	unsigned int v = 0;

	while (*p >= '0' && *p <= '9' && p - s < 3)
		v = v * 10 + (unsigned int)(*p++ - '0');
	if (p == s || *p != sep)
		return NULL;
	*nic = v;
	return p + 1;
}

static int parse_wire(struct parse_ctx *c, const char *s)
{
	const char *kind;
	unsigned int nic, i;

	kind = nic_prefix(s, '=', &nic);
	if (kind == NULL) {
		for (i = 0; i < SIM_MAX_NICS; i++)
			if (copy_str(c, "--wire", s, c->opt->wire[i], sizeof(c->opt->wire[i])))
				return -1;
		return 0;
	}
	if (nic >= SIM_MAX_NICS)
		return fail(c, "--wire: NIC %u out of range 0-%u", nic, SIM_MAX_NICS - 1);
	return copy_str(c, "--wire", kind, c->opt->wire[nic], sizeof(c->opt->wire[nic]));
}

/* --gen or --rate: "N:SPEC" into that NIC's slot of specs; a NIC takes one of the two. */
static int parse_gen(struct parse_ctx *c, const char *name, const char *s,
		     char (*specs)[128], char (*other)[128])
{
	const char *spec;
	unsigned int nic;

	spec = nic_prefix(s, ':', &nic);
	if (spec == NULL)
		return fail(c, "%s: '%s' is not N:SPEC", name, s);
	if (nic >= SIM_MAX_NICS)
		return fail(c, "%s: NIC %u out of range 0-%u", name, nic, SIM_MAX_NICS - 1);
	if (other[nic][0] != '\0')
		return fail(c, "%s: NIC %u has both --gen and --rate", name, nic);
	return copy_str(c, name, spec, specs[nic], sizeof(specs[nic]));
}

/* Options that take a value; the flags (-v, --no-monitor, --help) are handled apart. */
static int apply_option(struct parse_ctx *c, const char *name, const char *val)
{
	struct sim_opts *o = c->opt;
	uint64_t v;
	int rc = -2;

	if (strcmp(name, "--nics") == 0) {
		rc = parse_uint(c, name, val, 1, SIM_MAX_NICS, &v);
		o->nics = (unsigned int)v;
	} else if (strcmp(name, "--queues") == 0) {
		rc = parse_uint(c, name, val, 1, SIM_MAX_CHANNELS, &v);
		o->queues = (unsigned int)v;
	} else if (strcmp(name, "--mtu") == 0) {
		rc = parse_uint(c, name, val, 576, 9000, &v);
		o->mtu = (uint32_t)v;
	} else if (strcmp(name, "--speed") == 0) {
		rc = parse_uint(c, name, val, 1, 1000000000, &v);
		o->speed_mbps = v;
	} else if (strcmp(name, "--stats") == 0) {
		rc = parse_uint(c, name, val, 0, TIME_MAX, &v);
		o->stats_interval = (unsigned int)v;
	} else if (strcmp(name, "--timeout") == 0) {
		rc = parse_uint(c, name, val, 0, TIME_MAX, &v);
		o->guest_timeout = (unsigned int)v;
	} else if (strcmp(name, "--rxbuf") == 0) {
		rc = parse_size(c, name, val, BUF_MIN, BUF_MAX, &o->rxbuf_size);
	} else if (strcmp(name, "--sendbuf") == 0) {
		rc = parse_size(c, name, val, BUF_MIN, BUF_MAX, &o->sendbuf_size);
	} else if (strcmp(name, "--ring") == 0) {
		rc = parse_size(c, name, val, RING_MIN, RING_MAX, &o->ring_size);
		if (rc == 0 && (o->ring_size & (o->ring_size - 1)) != 0)
			rc = fail(c, "--ring: %s is not a power of two", val);
	} else if (strcmp(name, "--nvsp") == 0) {
		rc = parse_nvsp(c, val);
	} else if (strcmp(name, "--mac") == 0) {
		rc = parse_macs(c, val);
	} else if (strcmp(name, "--wire") == 0) {
		rc = parse_wire(c, val);
	} else if (strcmp(name, "--gen") == 0) {
		rc = parse_gen(c, name, val, o->gen, o->rate);
	} else if (strcmp(name, "--rate") == 0) {
		rc = parse_gen(c, name, val, o->rate, o->gen);
	} else if (strcmp(name, "--signals") == 0) {
		static const char *const modes[] = {
			[SIM_SIGNALS_HYPERV] = "hyperv", [SIM_SIGNALS_POLL] = "poll",
		};
		unsigned int m = 0;

		rc = parse_word(c, name, val, modes, sizeof(modes) / sizeof(modes[0]), &m);
		o->signals = (enum sim_signals)m;
	} else if (strcmp(name, "--uio-kernel") == 0) {
		static const char *const kinds[] = {
			[SIM_KERNEL_ALL] = "all", [SIM_KERNEL_PRIMARY] = "primary",
			[SIM_KERNEL_USERMASK] = "usermask",
		};
		unsigned int k = 0;

		rc = parse_word(c, name, val, kinds, sizeof(kinds) / sizeof(kinds[0]), &k);
		o->kernel = (enum sim_kernel)k;
	} else if (strcmp(name, "--vf-cycle") == 0) {
		rc = parse_uint(c, name, val, 100, 3600000, &v);
		o->vf_cycle_ms = v;
	} else if (strcmp(name, "--offload") == 0) {
		static const char *const sets[] = {
			[SIM_OFFLOAD_ALL] = "all", [SIM_OFFLOAD_NONE] = "none",
			[SIM_OFFLOAD_CSUM] = "csum", [SIM_OFFLOAD_NO_IPV6] = "no-ipv6",
		};
		unsigned int k = 0;

		rc = parse_word(c, name, val, sets, sizeof(sets) / sizeof(sets[0]), &k);
		o->offload = (enum sim_offload)k;
	} else if (strcmp(name, "--rx-layout") == 0) {
		static const char *const kinds[] = {
			[SIM_RX_LAYOUT_FIXED] = "fixed", [SIM_RX_LAYOUT_PACKED] = "packed",
		};
		unsigned int k = 0;

		rc = parse_word(c, name, val, kinds, sizeof(kinds) / sizeof(kinds[0]), &k);
		o->rx_layout = (enum sim_rx_layout)k;
	} else if (strcmp(name, "--ctl") == 0) {
		rc = copy_str(c, name, val, o->ctl_path, sizeof(o->ctl_path));
	}
	if (rc == -2)
		return fail(c, "unknown option '%s'", name);
	return rc;
}

/* Checks that need every option: references to NICs beyond --nics. */
static int check_nic_refs(struct parse_ctx *c)
{
	unsigned int i;

	for (i = c->opt->nics; i < SIM_MAX_NICS; i++) {
		if (c->opt->mac_set[i])
			return fail(c, "--mac: %u addresses for %u NICs", i + 1, c->opt->nics);
		if (c->opt->gen[i][0] != '\0' || c->opt->rate[i][0] != '\0')
			return fail(c, "--gen/--rate: NIC %u but only %u NICs", i, c->opt->nics);
	}
	return 0;
}

/* Flags without a value. Returns 1 when name is one, 0 when not, 2 for --help. */
static int apply_flag(struct sim_opts *o, const char *name)
{
	if (strcmp(name, "-v") == 0 || strcmp(name, "--verbose") == 0)
		o->verbose = true;
	else if (strcmp(name, "--no-monitor") == 0)
		o->no_monitor = true;
	else if (strcmp(name, "--vf") == 0)
		o->vf = true;
	else if (strcmp(name, "--vf-absent") == 0)
		o->vf = o->vf_absent = true;
	else if (strcmp(name, "-h") == 0 || strcmp(name, "--help") == 0)
		return 2;
	else
		return 0;
	return 1;
}

int sim_parse_args(int argc, char **argv, struct sim_opts *opt, int *cmd,
		   char *err, size_t errlen)
{
	struct parse_ctx c = { .opt = opt, .err = err, .errlen = errlen };
	int i;

	set_defaults(opt);
	if (argc < 2 || strcmp(argv[1], "sim") != 0) {
		if (argc >= 2 && apply_flag(opt, argv[1]) == 2)
			return 1;
		return fail(&c, "expected the command 'sim'");
	}
	for (i = 2; i < argc; i++) {
		char name[32];
		const char *arg = argv[i], *val, *eq;
		int flag;

		if (strcmp(arg, "--") == 0)
			break;
		flag = apply_flag(opt, arg);
		if (flag == 2)
			return 1;
		if (flag == 1)
			continue;
		if (strncmp(arg, "--", 2) != 0)
			return fail(&c, "unexpected argument '%s' (guest command goes after --)",
				    arg);
		eq = strchr(arg, '=');
		if (eq != NULL) {
			if ((size_t)(eq - arg) >= sizeof(name))
				return fail(&c, "unknown option '%s'", arg);
			snprintf(name, sizeof(name), "%.*s", (int)(eq - arg), arg);
			val = eq + 1;
		} else {
			if (i + 1 >= argc || strcmp(argv[i + 1], "--") == 0)
				return fail(&c, "option '%s' needs a value", arg);
			snprintf(name, sizeof(name), "%s", arg);
			val = argv[++i];
		}
		if (apply_option(&c, name, val) < 0)
			return -1;
	}
	if (i >= argc - 1)
		return fail(&c, "missing '-- <guest command>'");
	if (check_nic_refs(&c) < 0)
		return -1;
	*cmd = i + 1;
	return 0;
}
