# SPDX-License-Identifier: BSD-3-Clause
# Sourced by setup.sh and check-fresh.sh: the machine's own apt 'deb' entries for a Debian
# release, read from /etc/apt (deb822 .sources and one-line .list files), so that the project
# uses whatever mirror or proxy the machine is set up with and names no archive host itself.
# Files whose name starts with hvnet- are the project's own and never read back.

# apt_deb_stanzas CODENAME TYPE: the enabled deb822 stanzas of type 'deb' serving a suite of
# CODENAME (CODENAME, CODENAME-updates, ...), printed with 'Types: TYPE'.
apt_deb_stanzas() {
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		case "${f##*/}" in hvnet-*) continue ;; esac
		awk -v code="$1" -v type="$2" '
			function flush() {
				if (types ~ /(^| )deb( |$)/ && suites ~ "(^| )" code && enabled != "no")
					printf "Types: %s\n%s\n\n", type, body
				types = suites = body = enabled = ""
			}
			/^[ \t]*#/ { next }
			/^[ \t]*$/ { flush(); next }
			{
				key = tolower($1)
				if (key == "types:") { types = $0; sub(/^[^:]*:[ \t]*/, "", types); next }
				if (key == "enabled:") { enabled = tolower($2); next }
				if (key == "suites:") { suites = $0; sub(/^[^:]*:[ \t]*/, "", suites) }
				body = body (body == "" ? "" : "\n") $0
			}
			END { flush() }' "$f"
	done
}

# apt_deb_lines CODENAME TYPE: the one-line 'deb' entries serving a suite of CODENAME, with
# 'deb' replaced by TYPE.
apt_deb_lines() {
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		case "${f##*/}" in hvnet-*) continue ;; esac
		awk -v code="$1" -v type="$2" '$1 == "deb" && $0 ~ "[ \t]" code "([ \t-]|$)" {
			sub(/^deb/, type); print }' "$f"
	done
}

# apt_mirror CODENAME: the first URI that serves the suite CODENAME itself.
apt_mirror() {
	{
		apt_deb_stanzas "$1" deb | awk -v code="$1" '
			tolower($1) == "uris:" { uri = $2 }
			tolower($1) == "suites:" { for (i = 2; i <= NF; i++) if ($i == code) hit = 1 }
			/^$/ { if (hit && uri != "") print uri; uri = ""; hit = 0 }'
		apt_deb_lines "$1" deb | awk -v code="$1" '{
			i = 2
			if ($i ~ /^\[/) while (i <= NF && $i !~ /\]$/) i++
			if ($i ~ /\]$/) i++
			if ($(i + 1) == code) print $i }'
	} | head -n 1
}
