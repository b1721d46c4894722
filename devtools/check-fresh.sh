#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# The README's two set-up commands on a pristine Debian 12, each in a root of its own.
#
# A minimal Debian 12 root is made once with debootstrap from the machine's own apt mirror
# (kept as a tarball in /var/cache/hvnet/fresh), given the machine's apt configuration and
# nothing else. For each command a fresh copy of it gets a clean export of HEAD (uncommitted
# changes are not part of it) at a path that is hard on scripts: under the world-writable /tmp,
# with a space in it, extracted with umask 000. The command then runs there as root in a
# chroot whose / is a mount point, with /proc, /sys, /dev and /run provided, exactly as README
# gives it. Any step that relies on something the pristine root lacks fails it.
#
# Options:
#   --only main|tests   run one of the two commands (default both)
#   --dir PATH          where the clone goes inside the root (default "/tmp/hvnet fresh/hvnet")
#   --umask MASK        umask of the clone and of the commands (default 0000)
#   --refresh           make the cached root anew
#   --keep              keep each root (its path is printed) instead of removing it
# Logs: /var/cache/hvnet/fresh/<command>.log. Exit status 0 when both commands passed.
set -u
umask 022
top=$(cd "$(dirname "$0")/.." && pwd)
cache=${HVNET_FRESH_CACHE:-/var/cache/hvnet/fresh}
base="$cache/bookworm-minbase.tar"
clone_dir="/tmp/hvnet fresh/hvnet"
clone_umask=0000
only=""
refresh=0
keep=0

die() {
	echo "check-fresh: error: $*" >&2
	exit 1
}

say() {
	echo "check-fresh: $*"
}

while [ $# -gt 0 ]; do
	case "$1" in
	--only) only=${2:-}; shift 2 ;;
	--dir) clone_dir=${2:-}; shift 2 ;;
	--umask) clone_umask=${2:-}; shift 2 ;;
	--refresh) refresh=1; shift ;;
	--keep) keep=1; shift ;;
	*) die "unknown option '$1' (see the top of $0)" ;;
	esac
done
case "$only" in ""|main|tests) ;; *) die "--only takes main or tests" ;; esac
case "$clone_dir" in /*) ;; *) die "--dir must be an absolute path" ;; esac
[ "$(id -u)" = 0 ] || die "run as root: debootstrap, chroot and mounts need it"
command -v git >/dev/null || die "git is needed to export HEAD"
git -C "$top" rev-parse --verify -q HEAD >/dev/null || die "$top is not a git checkout"

. "$top/devtools/apt-sources.sh"

# The pristine root, made once: debootstrap (minbase) and the machine's apt configuration.
make_base() {
	local mirror dir f
	mirror=$(apt_mirror bookworm)
	[ -n "$mirror" ] || die "no bookworm 'deb' entry in /etc/apt to take the mirror from"
	if ! command -v debootstrap >/dev/null; then
		say "installing debootstrap"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap >/dev/null ||
			die "cannot install debootstrap"
	fi
	mkdir -p "$cache"
	dir=$(mktemp -d "$cache/root.XXXXXX")
	say "debootstrap --variant=minbase bookworm from $mirror (once; log $cache/debootstrap.log)"
	# In a mount namespace of its own: mounts a failed debootstrap leaves die with it.
	if ! unshare -m --propagation private debootstrap --variant=minbase bookworm "$dir" \
	     "$mirror" >"$cache/debootstrap.log" 2>&1; then
		rm -rf --one-file-system "$dir"
		die "debootstrap failed, see $cache/debootstrap.log"
	fi
	# What a new machine of this kind has: its apt sources and settings, nothing else.
	rm -f "$dir/etc/apt/sources.list"
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.sources \
		 /etc/apt/sources.list.d/*.list /etc/apt/apt.conf.d/*; do
		[ -f "$f" ] || continue
		case "${f##*/}" in hvnet-*) continue ;; esac
		cp "$f" "$dir$f"
	done
	# Daemons a package would start belong to no machine: keep them from starting in a chroot.
	printf '#!/bin/sh\nexit 101\n' > "$dir/usr/sbin/policy-rc.d"
	chmod 0755 "$dir/usr/sbin/policy-rc.d"
	rm -rf "$dir"/var/cache/apt/archives/*.deb "$dir"/var/lib/apt/lists/*
	tar -C "$dir" -cf "$base.tmp" . || die "cannot write $base"
	mv "$base.tmp" "$base"
	rm -rf --one-file-system "$dir"
}

# Kill what is still running inside a root, then remove it.
drop_root() {
	local root=$1 p
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/root" 2>/dev/null)" = "$root" ] && kill -9 "${p#/proc/}" 2>/dev/null
	done
	if [ "$keep" = 1 ]; then
		say "root kept: $root"
	else
		rm -rf --one-file-system "$root"
	fi
}

# run_in_root NAME COMMAND: a fresh root, the export, COMMAND in the clone; its output in
# $cache/NAME.log. Returns the command's exit status.
run_in_root() {
	local name=$1 cmd=$2 root rc log="$cache/$1.log"
	root=$(mktemp -d /var/tmp/hvnet-fresh.XXXXXX) || die "mktemp failed"
	chmod 0755 "$root"
	tar -C "$root" -xf "$base" || die "cannot unpack $base"
	cp /etc/resolv.conf "$root/etc/resolv.conf"
	(umask "$clone_umask" && mkdir -p "$root$clone_dir" &&
	 git -C "$top" archive --format=tar HEAD |
	 tar -x --no-same-permissions --no-same-owner -C "$root$clone_dir") ||
		die "cannot export HEAD into the root"
	say "[$name] in a fresh root ($root): cd '$clone_dir' && $cmd (umask $clone_umask)"
	# A private mount namespace: the root's mounts never show on the machine, and go when
	# the command ends.
	unshare -m --propagation private /bin/bash -c '
		root=$1 dir=$2 mask=$3 cmd=$4
		mount --bind "$root" "$root" &&
		mount -t proc proc "$root/proc" &&
		mount --rbind /sys "$root/sys" &&
		mount --rbind /dev "$root/dev" &&
		mount -t tmpfs -o mode=1777 tmpfs "$root/dev/shm" &&
		mount -t tmpfs -o mode=0755 tmpfs "$root/run" || exit 125
		exec chroot "$root" /usr/bin/env -i HOME=/root USER=root LOGNAME=root TERM=dumb \
			PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
			/bin/bash -c "umask $mask && cd \"\$0\" && $cmd" "$dir"
		' check-fresh "$root" "$clone_dir" "$clone_umask" "$cmd" >"$log" 2>&1 </dev/null
	rc=$?
	drop_root "$root"
	return "$rc"
}

[ "$refresh" = 0 ] && [ -f "$base" ] || make_base
say "testing $(git -C "$top" log -1 --format='%h %s') (a clean export of HEAD)"
status=0

if [ "$only" != tests ]; then
	run_in_root main devtools/run-main.sh
	rc=$?
	# Live rates: testpmd's per-second port statistics with frames moving.
	rates=$(grep -E 'Rx-pps: +[1-9]' "$cache/main.log" | tail -n 1 | tr -s ' ')
	if [ "$rc" = 0 ] && [ -n "$rates" ]; then
		say "[main] ok: exit 0, last rates:$rates"
	else
		status=1
		tail -n 30 "$cache/main.log" | sed 's/^/    /'
		say "[main] FAILED: exit $rc${rates:+, last rates:$rates} (log $cache/main.log)"
	fi
fi

if [ "$only" != main ]; then
	run_in_root tests devtools/run-tests.sh
	rc=$?
	summary=$(tail -n 1 "$cache/tests.log")
	if [ "$rc" = 0 ] && echo "$summary" | grep -qE '^[0-9]+ passed, 0 failed'; then
		say "[tests] ok: $summary"
	else
		status=1
		grep -E ' (FAIL|TIMEOUT|ERROR) |^FAIL|SKIP' "$cache/tests.log" | head -n 40 |
			sed 's/^/    /'
		say "[tests] FAILED: exit $rc: $summary (log $cache/tests.log)"
	fi
fi
[ "$status" = 0 ] && say "pass" || say "FAIL"
exit "$status"
