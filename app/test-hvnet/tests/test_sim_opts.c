/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit test of sim_parse_args(): good option sets parse, bad ones are refused. */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "sim_env.h"

#define MAX_ARGS	64

/* Split a space-separated command line into argv (the test strings hold no quotes). */
static int split(char *line, char **argv)
{
	int argc = 0;
	char *save = NULL, *tok;

	for (tok = strtok_r(line, " ", &save); tok != NULL && argc < MAX_ARGS - 1;
	     tok = strtok_r(NULL, " ", &save))
		argv[argc++] = tok;
	argv[argc] = NULL;
	return argc;
}

static int parse(const char *cmdline, struct sim_opts *opt, int *cmd, char *err, size_t len)
{
	static char line[1024];
	char *argv[MAX_ARGS];
	int argc;

	snprintf(line, sizeof(line), "%s", cmdline);
	argc = split(line, argv);
	err[0] = '\0';
	return sim_parse_args(argc, argv, opt, cmd, err, len);
}

static void good(const char *cmdline, struct sim_opts *opt)
{
	char err[256];
	int cmd = 0, rc = parse(cmdline, opt, &cmd, err, sizeof(err));

	CHECK(rc == 0 && cmd > 2, "should parse: '%s' (%s)", cmdline, err);
}

static void bad(const char *cmdline)
{
	struct sim_opts opt;
	char err[256];
	int cmd = 0, rc = parse(cmdline, &opt, &cmd, err, sizeof(err));

	CHECK(rc < 0 && err[0] != '\0' && strchr(err, '\n') == NULL,
	      "should be refused with a one-line reason: '%s' (%s)", cmdline, err);
}

static void test_defaults(void)
{
	const char *line = "p sim -- true";
	struct sim_opts o;

	good(line, &o);
	CHECK(o.nics == 1 && o.queues == 8 && o.mtu == 1500 && o.speed_mbps == 10000,
	      "defaults: '%s'", line);
	CHECK(o.rxbuf_size == 31u << 20 && o.sendbuf_size == 16u << 20 &&
	      o.ring_size == 2u << 20 && o.nvsp_max == 0x60001, "default sizes: '%s'", line);
	CHECK(strcmp(o.wire[0], "loop") == 0 && strcmp(o.wire[7], "loop") == 0 &&
	      !o.mac_set[0] && !o.verbose && !o.no_monitor, "default wire: '%s'", line);
	CHECK(o.signals == SIM_SIGNALS_HYPERV && o.kernel == SIM_KERNEL_ALL &&
	      o.offload == SIM_OFFLOAD_ALL && o.rx_layout == SIM_RX_LAYOUT_FIXED,
	      "default signals, kernel, offload, rx layout: '%s'", line);
}

static void test_values(void)
{
	const char *line = "p sim --nics 3 --queues=65 --mtu 9000 --speed 40000 --rxbuf 1M "
			   "--sendbuf 0x10000 --ring 64K --nvsp 5 --stats 2 --timeout 30 "
			   "--ctl /tmp/x.sock -v --no-monitor --signals poll --uio-kernel=usermask "
			   "--offload no-ipv6 --rx-layout=packed "
			   "--mac 00:15:5d:aa:bb:01,02:00:00:00:00:02 "
			   "--wire tap:t0 --wire 2=pcap:/tmp/a --gen 1:100:64-128:4 -- sh -c x";
	struct sim_opts o;

	good(line, &o);
	CHECK(o.nics == 3 && o.queues == 65 && o.mtu == 9000 && o.speed_mbps == 40000,
	      "numbers: '%s'", line);
	CHECK(o.rxbuf_size == 1u << 20 && o.sendbuf_size == 0x10000 && o.ring_size == 65536,
	      "sizes: '%s'", line);
	CHECK(o.nvsp_max == 0x50000 && o.stats_interval == 2 && o.guest_timeout == 30,
	      "nvsp/stats/timeout: '%s'", line);
	CHECK(strcmp(o.ctl_path, "/tmp/x.sock") == 0 && o.verbose && o.no_monitor,
	      "flags: '%s'", line);
	CHECK(o.signals == SIM_SIGNALS_POLL && o.kernel == SIM_KERNEL_USERMASK &&
	      o.offload == SIM_OFFLOAD_NO_IPV6 && o.rx_layout == SIM_RX_LAYOUT_PACKED,
	      "signals, kernel, offload, rx layout: '%s'", line);
	CHECK(o.mac_set[0] && o.mac_set[1] && !o.mac_set[2] && (uint8_t)o.macs[0][3] == 0xaa &&
	      (uint8_t)o.macs[1][0] == 0x02, "macs: '%s'", line);
	CHECK(strcmp(o.wire[0], "tap:t0") == 0 && strcmp(o.wire[1], "tap:t0") == 0 &&
	      strcmp(o.wire[2], "pcap:/tmp/a") == 0, "wire: '%s'", line);
	CHECK(strcmp(o.gen[1], "100:64-128:4") == 0 && o.gen[0][0] == '\0', "gen: '%s'", line);
}

static void test_nvsp_names(void)
{
	static const struct {
		const char *line;
		uint32_t ver;
	} tab[] = {
		{ "p sim --nvsp 1 -- x", 0x2 }, { "p sim --nvsp 2 -- x", 0x30002 },
		{ "p sim --nvsp 4 -- x", 0x40000 }, { "p sim --nvsp 6 -- x", 0x60000 },
		{ "p sim --nvsp=6.1 -- x", 0x60001 },
	};
	struct sim_opts o;
	unsigned int i;

	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		good(tab[i].line, &o);
		CHECK(o.nvsp_max == tab[i].ver, "nvsp value: '%s'", tab[i].line);
	}
}

static void test_bad(void)
{
	static const char *const lines[] = {
		"p", "p other -- x", "p sim", "p sim --", "p sim --nics 2", "p sim --nics",
		"p sim --nics -- x", "p sim --nics 0 -- x", "p sim --nics 9 -- x",
		"p sim --nics 2x -- x", "p sim --nics -1 -- x", "p sim --queues 66 -- x",
		"p sim --signals -- x", "p sim --signals busy -- x", "p sim --uio-kernel 6.15 -- x",
		"p sim --uio-kernel Primary -- x", "p sim --offload lso -- x",
		"p sim --offload -- x", "p sim --rx-layout -- x", "p sim --rx-layout tight -- x",
		"p sim --queues 0 -- x", "p sim --mtu 575 -- x", "p sim --mtu 9001 -- x",
		"p sim --speed 0 -- x", "p sim --rxbuf 1000 -- x", "p sim --rxbuf 4K -- x",
		"p sim --rxbuf 2G -- x", "p sim --sendbuf 12345 -- x", "p sim --sendbuf 1X -- x",
		"p sim --ring 8K -- x", "p sim --ring 48K -- x", "p sim --ring 1M1 -- x",
		"p sim --nvsp 3 -- x", "p sim --nvsp 6.2 -- x", "p sim --mac 00:11:22:33:44 -- x",
		"p sim --mac 01:00:5e:00:00:01 -- x", "p sim --mac 00:11:22:33:44:zz -- x",
		"p sim --mac 00:15:5d:00:00:01,00:15:5d:00:00:02 -- x",
		"p sim --wire 8=loop -- x", "p sim --wire= -- x", "p sim --gen 0 -- x",
		"p sim --gen 9:10:64 -- x", "p sim --nics 1 --gen 1:10:64 -- x",
		"p sim --bogus 1 -- x", "p sim stray -- x", "p sim --stats x -- x",
		"p sim --timeout 99999999999 -- x", "p sim --ctl= -- x",
	};
	unsigned int i;

	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		bad(lines[i]);
}

static void test_help(void)
{
	struct sim_opts o;
	char err[64];
	int cmd = 0;

	CHECK(parse("p sim --nics 2 --help -- x", &o, &cmd, err, sizeof(err)) == 1,
	      "help: '--help' (%s)", err);
	CHECK(parse("p -h", &o, &cmd, err, sizeof(err)) == 1, "help: '-h' (%s)", err);
}

int main(void)
{
	test_defaults();
	test_values();
	test_nvsp_names();
	test_bad();
	test_help();
	return check_done("test_sim_opts");
}
