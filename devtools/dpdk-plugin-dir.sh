#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Print the folder from which a DPDK's EAL loads its driver plugins by itself (no -d):
#   dpdk-plugin-dir.sh LIBDIR     (pkg-config --variable=libdir libdpdk)
# EAL carries it as the string "DPDK_PLUGIN_PATH=<dir>" (what dpdk-pmdinfo.py -p reads too),
# e.g. .../dpdk/pmds-23.0 for DPDK 22.11: the ABI in the name is that DPDK's, never assumed.
# Prints nothing when that EAL has none (a static or a plugin-less build).
set -eu
for eal in "$1"/librte_eal.so "$1"/librte_eal.so.*; do
	[ -f "$eal" ] || continue
	LC_ALL=C grep -a -o 'DPDK_PLUGIN_PATH=[^[:cntrl:]]*' "$eal" | head -n 1 |
		sed 's/^DPDK_PLUGIN_PATH=//'
	exit 0
done
