#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Prepare a Debian 12 machine for building and testing hvnet (idempotent, run as root).
#
# Installs the packages the build, the tests and the tools need, then provides the DPDK
# driver-SDK headers for exactly the installed DPDK version. Debian builds DPDK without
# enable_driver_sdk, so those headers come from Debian's own source package of the same
# version, fetched through the machine's own apt sources (a deb-src entry is derived from
# them when none exists); they are kept in a cache outside the tree and never committed, with
# the sources of the l3fwd example that the l3fwd scenario builds and upstream's netvsc and
# vmbus sources that the instruction benchmark (devtools/insn-bench.sh) compiles.
# Every missing prerequisite is named with what to do about it. A second run installs
# nothing and only checks.
set -eu
umask 022

CACHE=${HVNET_SDK_CACHE:-/var/cache/hvnet}
# dpdk-dev: dpdk-testpmd, dpdk-proc-info, dpdk-dumpcap. iproute2, iputils-ping: namespace and
# TAP tests. python3-pyelftools: dpdk-pmdinfo.py (run by Debian's /usr/bin/python3). clang:
# the second compiler of run-tests.sh, and with libclang-rt-14-dev (libFuzzer and the sanitizer
# runtimes of Debian 12's clang 14) the fuzz harnesses. openvswitch-switch-dpdk: the OVS
# scenario (the tests never use the system's OVS; they run their own daemons in a test folder).
# valgrind, python3-matplotlib: devtools/insn-bench.sh (callgrind) and bench.sh's plot.
# python3-docutils: the unit test that every .rst file parses (devtools/tests/test_docs.py).
PKGS="dpdk dpdk-dev libdpdk-dev meson ninja-build pkg-config python3 python3-pyelftools
	libnuma-dev gcc libc6-dev dpkg-dev xz-utils iproute2 iputils-ping tcpdump libpcap-dev
	clang libclang-rt-14-dev openvswitch-switch-dpdk valgrind python3-matplotlib
	python3-docutils"
EXAMPLES="l3fwd common"
# Upstream's drivers, compiled only by devtools/insn-bench.sh, never into the tree, and the
# EAL header they need that Debian does not install.
UPSTREAM_DIRS="drivers/net/netvsc drivers/bus/vmbus"
UPSTREAM_HEADERS="lib/eal/include/rte_eal_paging.h"
SDK_HEADERS="lib/eal/include/bus_driver.h lib/eal/include/dev_driver.h
	lib/ethdev/ethdev_driver.h lib/ethdev/ethdev_vdev.h lib/ethdev/ethdev_pci.h
	drivers/bus/pci/bus_pci_driver.h drivers/bus/vdev/bus_vdev_driver.h"
# The deb-src entries this script derives from the machine's deb entries, when it must.
SRC_SOURCES=/etc/apt/sources.list.d/hvnet-deb-src.sources
SRC_LIST=/etc/apt/sources.list.d/hvnet-deb-src.list
. "$(dirname "$0")/apt-sources.sh"

die() {
	echo "setup: error: $*" >&2
	exit 1
}

note() {
	echo "setup: $*"
}

check_system() {
	[ "$(id -u)" = 0 ] ||
		die "run as root (or with sudo): packages and the source package are installed"
	[ -r /etc/os-release ] || die "/etc/os-release is missing: this is not a Debian 12 system"
	codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
	[ "$codename" = bookworm ] ||
		die "Debian 12 (bookworm) is required, this is '${codename:-unknown}'"
	for tool in apt-get apt-cache dpkg-query; do
		command -v "$tool" >/dev/null || die "'$tool' is missing: this is not a Debian system"
	done
}

missing_pkgs() {
	for p in $PKGS; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q "ok installed" ||
			printf ' %s' "$p"
	done
}

# Installs what is missing; on failure names each package apt cannot provide.
install_pkgs() {
	missing=$(missing_pkgs)
	[ -n "$missing" ] || return 0
	note "installing:$missing"
	apt-get update -q >/dev/null ||
		die "apt-get update failed: check the network and /etc/apt/sources.list(.d)"
	services_hold
	if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
	     $missing >/dev/null; then
		for p in $missing; do
			apt-cache policy "$p" 2>/dev/null | grep -q 'Candidate: [0-9]' ||
				echo "setup: error: package '$p' is not in your apt sources" >&2
		done
		die "apt-get install failed for:$missing"
	fi
	services_release
	missing=$(missing_pkgs)
	[ -z "$missing" ] || die "still not installed after apt-get install:$missing"
}

# Debian starts (and enables at boot) the services of a package it installs. OVS is here only
# for a scenario that runs its own daemons in a test folder, so an OVS that this script brings
# in stays stopped and disabled; one the machine had before is the user's and is left alone.
services_hold() {
	OVS_NEW=0
	dpkg-query -W -f='${Status}\n' openvswitch-switch 2>/dev/null | grep -q "ok installed" &&
		return 0
	OVS_NEW=1
	[ ! -e /usr/sbin/policy-rc.d ] || return 0
	printf '#!/bin/sh\n# hvnet setup: no service starts while it installs packages\nexit 101\n' \
		>/usr/sbin/policy-rc.d
	chmod 755 /usr/sbin/policy-rc.d
	trap 'rm -f /usr/sbin/policy-rc.d' EXIT
}

services_release() {
	[ "$OVS_NEW" = 1 ] || return 0
	if grep -q 'hvnet setup' /usr/sbin/policy-rc.d 2>/dev/null; then
		rm -f /usr/sbin/policy-rc.d
		trap - EXIT
	fi
	command -v systemctl >/dev/null || return 0
	systemctl disable --now openvswitch-switch.service ovs-vswitchd.service \
		ovsdb-server.service >/dev/null 2>&1 || true
	note "Open vSwitch (for the t18_ovs scenario) is installed with its service disabled"
}

# Write file from stdin unless it already holds exactly that; true when it changed.
write_if_changed() {
	new=$(cat)
	if [ -z "$new" ]; then
		[ -f "$1" ] || return 1
		rm -f "$1"
		return 0
	fi
	[ -f "$1" ] && [ "$(cat "$1")" = "$new" ] && return 1
	printf '%s\n' "$new" > "$1"
}

has_source() {
	apt-cache showsrc dpdk 2>/dev/null | grep -qx "Version: $1"
}

# Makes Debian's source package dpdk=$ver visible to apt, from the machine's own sources.
provide_source_entry() {
	has_source "$1" && return 0
	apt_deb_stanzas "$codename" deb-src | write_if_changed "$SRC_SOURCES" || true
	apt_deb_lines "$codename" deb-src | write_if_changed "$SRC_LIST" || true
	[ -f "$SRC_SOURCES" ] || [ -f "$SRC_LIST" ] ||
		die "no bookworm 'deb' entry in /etc/apt/sources.list(.d) to derive a deb-src entry" \
		    "from: add your mirror's bookworm entry, then run setup again"
	note "deb-src entries derived from this machine's apt sources"
	apt-get update -q >/dev/null || die "apt-get update (deb-src) failed"
	has_source "$1" ||
		die "Debian's source package dpdk=$1 is not in your apt sources: the installed" \
		    "dpdk must come from the same mirror as its source (run apt-get upgrade?)"
}

provide_sdk_headers() {
	ver=$(dpkg-query -W -f='${Version}' libdpdk-dev) || die "libdpdk-dev is not installed"
	upver=$(pkg-config --modversion libdpdk) ||
		die "pkg-config does not know libdpdk: reinstall libdpdk-dev"
	incdir=$(pkg-config --variable=includedir libdpdk)

	# A DPDK built with the driver SDK already ships the headers: nothing to fetch.
	if [ -f "$incdir/ethdev_driver.h" ] || [ -f "$incdir/dpdk/ethdev_driver.h" ]; then
		note "installed DPDK $upver ships the driver SDK headers"
		return 0
	fi
	sdk="$CACHE/dpdk-sdk-$upver"
	if [ -f "$sdk/.version" ] && [ "$(cat "$sdk/.version")" = "$ver" ] &&
	   [ -f "$sdk/examples/l3fwd/main.c" ] &&
	   [ -f "$sdk/upstream/drivers/net/netvsc/hn_rxtx.c" ] &&
	   [ -f "$sdk/upstream/include/rte_eal_paging.h" ]; then
		note "driver SDK headers for DPDK $ver in $sdk"
		return 0
	fi

	provide_source_entry "$ver"
	work=$(mktemp -d)
	trap 'rm -rf "$work"' EXIT
	(cd "$work" && apt-get source -q --download-only "dpdk=$ver" >/dev/null 2>&1) ||
		die "cannot download Debian's source package dpdk=$ver (network or mirror problem)"
	(cd "$work" && dpkg-source -x dpdk_*.dsc src >/dev/null 2>&1) ||
		die "cannot unpack dpdk=$ver (is xz-utils installed?)"
	srcver=$(sed -n "s/^Version: //p" "$work"/dpdk_*.dsc | head -n 1)
	[ "$srcver" = "$ver" ] || die "source package version $srcver differs from installed $ver"

	rm -rf "$sdk.tmp"
	mkdir -p "$sdk.tmp/include"
	for h in $SDK_HEADERS; do
		[ -f "$work/src/$h" ] || die "$h missing from dpdk=$ver source"
		cp "$work/src/$h" "$sdk.tmp/include/"
	done
	# The l3fwd scenario builds DPDK's l3fwd example of this very version from here.
	for d in $EXAMPLES; do
		[ -d "$work/src/examples/$d" ] || die "examples/$d missing from dpdk=$ver source"
		mkdir -p "$sdk.tmp/examples"
		cp -R "$work/src/examples/$d" "$sdk.tmp/examples/"
	done
	for d in $UPSTREAM_DIRS; do
		[ -d "$work/src/$d" ] || die "$d missing from dpdk=$ver source"
		mkdir -p "$sdk.tmp/upstream/$d"
		cp -R "$work/src/$d/." "$sdk.tmp/upstream/$d/"
	done
	mkdir -p "$sdk.tmp/upstream/include"
	for h in $UPSTREAM_HEADERS; do
		[ -f "$work/src/$h" ] || die "$h missing from dpdk=$ver source"
		cp "$work/src/$h" "$sdk.tmp/upstream/include/"
	done
	echo "$ver" > "$sdk.tmp/.version"
	rm -rf "$sdk"
	mv "$sdk.tmp" "$sdk"
	note "driver SDK headers and l3fwd sources of DPDK $ver in $sdk"
}

# What some tests need from the kernel: say which tests will skip, and why.
report_kernel() {
	[ -c /dev/net/tun ] || modprobe tun 2>/dev/null || true
	[ -c /dev/net/tun ] ||
		note "notice: /dev/net/tun is missing (no tun module): the TAP tests will skip"
	[ -e /sys/kernel/mm/hugepages/hugepages-2048kB ] ||
		note "notice: no 2 MiB hugepages in this kernel: the multi-process test will skip"
	[ -e /proc/self/ns/net ] ||
		note "notice: no network namespaces in this kernel: the TAP tests will skip"
	return 0
}

check_system
install_pkgs
provide_sdk_headers
report_kernel
