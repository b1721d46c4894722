#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Guest wrapper of t16_install: run a command with the DPDK's plugin folder replaced, in the
# guest's private mount namespace only, by a folder holding upstream's plugins and the
# plugins meson installed, created in the given order (a tmpfs lists its entries in an order
# set by creation, so EAL then loads them in an order the test chooses and checks).
#   plugin_folder.sh DPDK_PLUGIN_DIR INSTALLED_DIR WORK_DIR hvnet|upstream COMMAND...
# WORK_DIR: an empty folder with no world-writable folder above it (EAL refuses plugins below
# one). Nothing outside the namespace changes: the mounts go with the guest.
set -eu
pmds=$1 ours=$2 work=$3 first=$4
shift 4
mount -t tmpfs -o mode=0755 hvt-plugins "$work"
mkdir "$work/orig" "$work/pmds"
mount --bind "$pmds" "$work/orig"
add_ours() {
	for f in "$ours"/*; do
		cp -P "$f" "$work/pmds/"
	done
}
add_upstream() {
	for f in "$work"/orig/*; do
		ln -s "$f" "$work/pmds/$(basename "$f")"
	done
}
if [ "$first" = hvnet ]; then
	add_ours
	add_upstream
else
	add_upstream
	add_ours
fi
mount --bind "$work/pmds" "$pmds"
exec "$@"
