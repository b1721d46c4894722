#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Put the built plugins where EAL will load them from.
#
# EAL refuses a plugin (-d) when the file or any folder above it is world-writable ("directory
# path /tmp is world-writable and insecure"), which is the case for every clone under /tmp and
# for every build made with umask 000. So the tests, run-main.sh and bench.sh load the plugins
# from a staging folder: BUILD/plugins when nothing above it is world-writable, otherwise a
# folder of the build's own in /var/cache/hvnet/plugins (root) or ~/.cache/hvnet/plugins.
#
#   stage-plugins.sh --dir BUILD            print the staging folder of that build
#   stage-plugins.sh BUILD STAMP FILE...    copy FILEs there (mode 0644, folders 0755) and
#                                           write the folder's name to STAMP (meson's output)
set -eu
umask 022

# True when path or a folder above it is writable by others.
world_writable() {
	p=$1
	while :; do
		if [ -e "$p" ]; then
			mode=$(stat -L -c %a "$p") || return 0
			[ $((0$mode & 2)) = 0 ] || return 0
		fi
		[ "$p" != / ] || return 1
		p=$(dirname "$p")
	done
}

stage_dir() {
	build=$(cd "$1" && pwd -P) || exit 1
	if ! world_writable "$build"; then
		echo "$build/plugins"
		return
	fi
	if [ "$(id -u)" = 0 ]; then
		base=/var/cache/hvnet/plugins
	else
		base=${XDG_CACHE_HOME:-$HOME/.cache}/hvnet/plugins
	fi
	# One folder per build directory, named by a checksum of its path.
	echo "$base/$(printf '%s' "$build" | cksum | cut -d ' ' -f 1)"
}

if [ "${1:-}" = --dir ]; then
	[ $# = 2 ] || { echo "usage: $0 --dir BUILD" >&2; exit 2; }
	stage_dir "$2"
	exit 0
fi
[ $# -ge 3 ] || { echo "usage: $0 BUILD STAMP FILE..." >&2; exit 2; }
dir=$(stage_dir "$1")
stamp=$2
shift 2
install -d -m 0755 "$dir"
if world_writable "$dir"; then
	echo "stage-plugins: $dir or a folder above it is world-writable: EAL would refuse" \
	     "plugins there; set HOME or XDG_CACHE_HOME to a private folder" >&2
	exit 1
fi
for f in "$@"; do
	# Write beside, then rename: a process that has the old copy loaded keeps its mapping.
	install -m 0644 "$f" "$dir/.$(basename "$f").new"
	mv -f "$dir/.$(basename "$f").new" "$dir/$(basename "$f")"
done
echo "$dir" > "$stamp"
