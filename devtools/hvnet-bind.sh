#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Bind a Hyper-V/Azure synthetic NIC (NetVSC) to uio_hv_generic for hvnet, or give it back to
# the kernel's hv_netvsc; or show every synthetic NIC and its driver.
#
#   hvnet-bind.sh [options] bind|unbind NIC...      NIC: interface name (eth1) or VMBus UUID
#   hvnet-bind.sh [options] status
#   -n, --dry-run   print what would be written, change nothing
#   -f, --force     bind even the NIC that carries a default route (your SSH session)
#   --sysfs DIR     sysfs root (default /sys; tests give a fake tree)
#   --proc DIR      procfs root (default /proc), for the routing tables
#
# With driverctl installed (and the real /sys), bind/unbind set/unset a persistent override
# (driverctl -b vmbus); otherwise they write new_id/unbind/bind in sysfs, which lasts until
# reboot. The NIC carrying a default route is refused unless --force.
set -eu

NETVSC_GUID=f8615163-df3e-46c5-913f-f2d2f965ed0e
UIO_DRV=uio_hv_generic
KERNEL_DRV=hv_netvsc
sysfs=/sys
procfs=/proc
dry=0
force=0

usage() {
	sed -n '3,16s/^# \{0,1\}//p' "$0"
	exit 2
}

die() {
	echo "hvnet-bind: $*" >&2
	exit 1
}

# write VALUE FILE: the one way this script changes the system.
write() {
	if [ "$dry" = 1 ]; then
		echo "would write $1 > $2"
		return 0
	fi
	echo "write $1 > $2"
	printf '%s\n' "$1" > "$2" || die "cannot write $1 to $2"
}

run() {
	if [ "$dry" = 1 ]; then
		echo "would run: $*"
		return 0
	fi
	echo "run: $*"
	"$@" || die "failed: $*"
}

vmbus=
# The VMBus UUID of NIC (an interface name or a UUID), checked to be a synthetic NIC.
nic_uuid() {
	case $1 in
	????????-????-????-????-????????????) uuid=$1 ;;
	*)
		[ -e "$sysfs/class/net/$1/device" ] || die "$1: no such interface in $sysfs/class/net"
		uuid=$(basename "$(readlink "$sysfs/class/net/$1/device")")
		;;
	esac
	[ -d "$vmbus/devices/$uuid" ] || die "$1: $uuid is not a VMBus device"
	class=$(tr -d '{}\n' < "$vmbus/devices/$uuid/class_id")
	[ "$class" = "$NETVSC_GUID" ] || die "$1: $uuid is not a synthetic NIC (class $class)"
	echo "$uuid"
}

current_driver() {
	if [ -e "$vmbus/devices/$1/driver" ]; then
		basename "$(readlink "$vmbus/devices/$1/driver")"
	else
		echo none
	fi
}

# Interfaces that carry a default route (IPv4 or IPv6).
default_route_ifaces() {
	[ -r "$procfs/net/route" ] &&
		awk 'NR > 1 && $2 == "00000000" && $8 == "00000000" { print $1 }' "$procfs/net/route"
	[ -r "$procfs/net/ipv6_route" ] &&
		awk '$1 == "00000000000000000000000000000000" && $2 == "00" && $10 != "lo" \
			{ print $10 }' "$procfs/net/ipv6_route"
	return 0
}

# Interface names of a VMBus device (a bound NIC has none).
ifaces_of() {
	[ -d "$vmbus/devices/$1/net" ] && ls "$vmbus/devices/$1/net"
	return 0
}

use_driverctl() {
	[ "$sysfs" = /sys ] && command -v driverctl >/dev/null 2>&1
}

bind_one() {
	uuid=$(nic_uuid "$1") || exit 1
	drv=$(current_driver "$uuid")
	if [ "$drv" = "$UIO_DRV" ]; then
		echo "$uuid: bound to $UIO_DRV already"
		return 0
	fi
	routes=$(default_route_ifaces)
	for ifc in $(ifaces_of "$uuid"); do
		for r in $routes; do
			[ "$ifc" = "$r" ] || continue
			[ "$force" = 1 ] ||
				die "$1: $ifc carries a default route (your connection?): refused" \
				    "without --force"
			echo "$1: $ifc carries a default route: binding anyway (--force)"
		done
	done
	if use_driverctl; then
		run driverctl -b vmbus set-override "$uuid" "$UIO_DRV"
		return 0
	fi
	[ -d "$vmbus/drivers/$UIO_DRV" ] || [ "$dry" = 1 ] || [ "$sysfs" != /sys ] ||
		run modprobe "$UIO_DRV"
	[ -d "$vmbus/drivers/$UIO_DRV" ] || [ "$dry" = 1 ] ||
		die "$UIO_DRV is not loaded (modprobe $UIO_DRV)"
	# new_id makes uio_hv_generic accept the class; it fails harmlessly when it has it.
	if [ "$dry" = 1 ]; then
		write "$NETVSC_GUID" "$vmbus/drivers/$UIO_DRV/new_id"
	else
		printf '%s\n' "$NETVSC_GUID" > "$vmbus/drivers/$UIO_DRV/new_id" 2>/dev/null || true
		echo "write $NETVSC_GUID > $vmbus/drivers/$UIO_DRV/new_id"
	fi
	[ "$drv" = none ] || write "$uuid" "$vmbus/drivers/$drv/unbind"
	write "$uuid" "$vmbus/drivers/$UIO_DRV/bind"
}

unbind_one() {
	uuid=$(nic_uuid "$1") || exit 1
	drv=$(current_driver "$uuid")
	if use_driverctl; then
		run driverctl -b vmbus unset-override "$uuid"
		return 0
	fi
	if [ "$drv" = "$KERNEL_DRV" ]; then
		echo "$uuid: bound to $KERNEL_DRV already"
		return 0
	fi
	[ "$drv" = none ] || write "$uuid" "$vmbus/drivers/$drv/unbind"
	write "$uuid" "$vmbus/drivers/$KERNEL_DRV/bind"
}

status() {
	[ -d "$vmbus/devices" ] || { echo "no $vmbus/devices: not a Hyper-V guest"; return 0; }
	routes=$(default_route_ifaces)
	for dev in "$vmbus"/devices/*; do
		[ -f "$dev/class_id" ] || continue
		[ "$(tr -d '{}\n' < "$dev/class_id")" = "$NETVSC_GUID" ] || continue
		uuid=$(basename "$dev")
		ifc=$(ifaces_of "$uuid" | tr '\n' ' ')
		note=
		for r in $routes; do
			case " $ifc" in *" $r "*) note=" (default route)" ;; esac
		done
		echo "$uuid driver=$(current_driver "$uuid") interface=${ifc:-none}$note"
	done
}

while [ $# -gt 0 ]; do
	case $1 in
	-n|--dry-run) dry=1 ;;
	-f|--force) force=1 ;;
	--sysfs) sysfs=$2; shift ;;
	--proc) procfs=$2; shift ;;
	-h|--help) usage ;;
	-*) usage ;;
	*) break ;;
	esac
	shift
done
[ $# -ge 1 ] || usage
vmbus=$sysfs/bus/vmbus
cmd=$1
shift
case $cmd in
bind|unbind)
	[ $# -ge 1 ] || usage
	[ "$dry" = 1 ] || [ "$sysfs" != /sys ] || [ "$(id -u)" = 0 ] || die "run as root"
	for nic in "$@"; do
		"${cmd}_one" "$nic"
	done
	;;
status) status ;;
*) usage ;;
esac
