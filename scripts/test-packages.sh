#!/bin/bash
# Tests the Debian packages as an administrator would use them: builds them
# in a copy of the tree, checks them with lintian, installs them, runs the
# installed licd as the licd user on the packaged configuration, holds a
# seat with the installed licctl across a package upgrade, builds a program
# against the installed client library through pkg-config, verifies the
# installed units, and purges.  Needs root on Debian 12; systemd need not
# be running.  Installs and purges licd, liblicd-client0 and
# liblicd-client-dev on this machine, so it refuses to run when licd is
# installed already.  LICD_TEST_KEEP=1 keeps the work folder.
set -euo pipefail
cd "$(dirname "$0")/.."
src=$(pwd)

feature=pkgtest
pkgs=(licd liblicd-client0 liblicd-client-dev)
work=""
licd_pid=""
run_pid=""
installed=0
wrote_lic=0

say() { echo "packages: $*"; }
fail() {
	echo "packages: FAILED: $*" >&2
	exit 1
}

stop_pid() {
	local pid=$1 _
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null || return 0
	for _ in $(seq 100); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

cleanup() {
	local rc=$?
	stop_pid "$run_pid"
	stop_pid "$licd_pid"
	if [ "$rc" -ne 0 ] && [ -n "$work" ] && [ -f "$work/licd.log" ]; then
		echo "--- last lines of the installed licd's log:"
		tail -20 "$work/licd.log"
	fi
	if [ "$installed" -eq 1 ]; then
		apt-get purge -y -qq "${pkgs[@]}" >/dev/null 2>&1 || true
	fi
	if [ "$wrote_lic" -eq 1 ]; then
		rm -f /etc/licd/site.lic
		rmdir /etc/licd 2>/dev/null || true
	fi
	if [ -n "$work" ] && [ -z "${LICD_TEST_KEEP:-}" ]; then
		rm -rf "$work"
	elif [ -n "$work" ]; then
		echo "packages: kept $work"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[ "$(id -u)" -eq 0 ] || fail "needs root (it installs packages)"
if dpkg-query -W -f='${Status}' licd 2>/dev/null | grep -q installed; then
	fail "licd is installed already; this test installs and purges it"
fi
[ ! -e /etc/licd/site.lic ] || fail "/etc/licd/site.lic exists already"

export DEBIAN_FRONTEND=noninteractive
work=$(mktemp -d /tmp/licd-packages.XXXXXX)
tree=$work/licd-src

# The tree as git sees it (tracked and new files, not the ignored build
# folders), or, outside git, everything but the build folders.
say "copying the tree to $tree"
mkdir "$tree"
if git -C "$src" rev-parse --git-dir >/dev/null 2>&1; then
	git -C "$src" ls-files -z -c -o --exclude-standard |
	    while IFS= read -r -d '' f; do
		[ -e "$f" ] && printf '%s\0' "$f"
	done | tar --null -T - -cf - | tar -xf - -C "$tree"
else
	tar --exclude=./.git --exclude='./build*' --exclude=./state \
	    --exclude='./obj-*' \
	    -cf - . | tar -xf - -C "$tree"
fi

# Builds the packages in $tree, leaving them in $work/$1.  The second build
# keeps CMake's build folder, so that it only repackages.
build() {
	local out=$work/$1
	mkdir "$out"
	(cd "$tree" && DEB_BUILD_OPTIONS="nocheck parallel=$(nproc)" \
	    dpkg-buildpackage -us -uc -b -nc) >"$out.log" 2>&1 || {
		tail -40 "$out.log"
		fail "dpkg-buildpackage ($1)"
	}
	mv "$work"/*.deb "$work"/*.changes "$work"/*.buildinfo "$out"/
	rm -f "$work"/*.ddeb
	(cd "$tree" && rm -rf debian/.debhelper debian/*.debhelper.log \
	    debian/*.substvars debian/files debian/debhelper-build-stamp \
	    debian/licd debian/liblicd-client0 debian/liblicd-client-dev \
	    debian/tmp)
}

# debs DIR: the three packages built into $work/DIR, not the -dbgsym ones.
debs() {
	local p
	for p in "${pkgs[@]}"; do
		echo "$work/$1/${p}_"*.deb
	done
}

say "building the packages (0.1.0-1)"
build v1
say "built: $(cd "$work/v1" && echo *.deb)"

say "lintian"
lintian --fail-on error,warning "$work"/v1/*.changes \
    >"$work/lintian.log" 2>&1 || {
	cat "$work/lintian.log"
	fail "lintian reports errors or warnings, or failed"
}
! grep -E '^[EW]: ' "$work/lintian.log" || fail "lintian"
say "lintian: no errors, no warnings"

say "installing the packages with apt"
installed=1
mapfile -t v1 < <(debs v1)
apt-get install -y -qq "${v1[@]}" >"$work/apt1.log" 2>&1 || {
	tail -20 "$work/apt1.log"
	fail "apt-get install"
}
getent passwd licd >/dev/null || fail "no licd user"
getent group licd >/dev/null || fail "no licd group"
[ "$(stat -c %U:%a /var/lib/licd)" = licd:750 ] ||
    fail "/var/lib/licd is $(stat -c %U:%a /var/lib/licd)"
[ "$(stat -c %U:%a /var/log/licd)" = licd:750 ] ||
    fail "/var/log/licd is $(stat -c %U:%a /var/log/licd)"
for f in /usr/sbin/licd /usr/bin/licctl /etc/licd/licd.conf; do
	[ -e "$f" ] || fail "$f missing"
done
grep -q '^/etc/licd/licd.conf$' /var/lib/dpkg/info/licd.conffiles ||
    fail "/etc/licd/licd.conf is not a conffile"
say "installed: licd user and group, /var/lib/licd, /var/log/licd"

/usr/lib/licd/compat/lmstat -h >"$work/lmstat.out" 2>&1 ||
    fail "lmstat -h: $(cat "$work/lmstat.out")"
say "/usr/lib/licd/compat/lmstat runs"

install -m 0640 -o root -g licd tests/packaging/site.lic /etc/licd/site.lic
wrote_lic=1
/usr/sbin/licd -t -c /etc/licd/licd.conf >"$work/check.out" 2>&1 ||
    fail "licd -t: $(cat "$work/check.out")"
say "sample licence in /etc/licd/site.lic; licd -t accepts the configuration"

# Starts the installed licd as the licd user on the packaged configuration,
# on $port.  Returns 1 when the port was taken.
start_licd() {
	local _
	setpriv --reuid=licd --regid=licd --init-groups -- \
	    /usr/sbin/licd -c /etc/licd/licd.conf --foreground \
	    --port "$port" >>"$work/licd.log" 2>&1 &
	licd_pid=$!
	for _ in $(seq 100); do
		if ! kill -0 "$licd_pid" 2>/dev/null; then
			wait "$licd_pid" 2>/dev/null || true
			licd_pid=""
			return 1
		fi
		/usr/bin/licctl stat -c "$port@127.0.0.1" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	fail "licd did not answer on port $port within 10 s"
}

# A free port is found by trying: licd exits when it cannot bind.
for _ in 1 2 3 4 5; do
	port=$((20000 + $(od -An -N2 -tu2 /dev/urandom) % 30000))
	start_licd && break
	port=""
done
[ -n "$port" ] || fail "licd did not start (see the log above)"
say "installed licd runs as $(stat -c %U "/proc/$licd_pid") on port $port"

# in_use FEATURE: the seats in use, from the installed licctl.
in_use() {
	/usr/bin/licctl stat -c "$port@127.0.0.1" -a 2>/dev/null |
	    sed -n "s/^Users of $1: .*Total of \([0-9]*\) licenses\{0,1\} in use.*/\1/p"
}

for p in lmstat "lmutil lmstat"; do
	# shellcheck disable=SC2086 # "lmutil lmstat" is two words
	/usr/lib/licd/compat/$p -c "$port@127.0.0.1" -a \
	    >"$work/lmstat.out" 2>&1 || fail "$p -a: $(cat "$work/lmstat.out")"
	grep -q "^Users of $feature:" "$work/lmstat.out" ||
	    fail "$p -a does not list $feature"
done
say "lmstat and lmutil lmstat answer"

/usr/bin/licctl run -c "$port@127.0.0.1" -f "$feature" -- sleep 600 \
    >"$work/run.log" 2>&1 &
run_pid=$!
for _ in $(seq 50); do
	[ "$(in_use "$feature")" = 1 ] && break
	kill -0 "$run_pid" 2>/dev/null || fail "licctl run: $(cat "$work/run.log")"
	sleep 0.1
done
[ "$(in_use "$feature")" = 1 ] || fail "the seat is not held"
say "licctl run holds a seat of $feature"

# The upgrade: a second version of the packages, installed with the seat
# held, licd stopped before and started after as the maintainer scripts
# would under systemd.
say "building the packages (0.1.0-2)"
{
	printf 'licd (0.1.0-2) unstable; urgency=medium\n\n'
	printf '  * Package test: an upgrade.\n\n'
	printf ' -- licd developers <licd@example.org>  %s\n\n' "$(date -R)"
	cat "$tree/debian/changelog"
} >"$work/changelog"
mv "$work/changelog" "$tree/debian/changelog"
build v2

say "stopping licd (SIGTERM, as prerm does)"
stop_pid "$licd_pid"
licd_pid=""
say "upgrading to 0.1.0-2 with apt"
mapfile -t v2 < <(debs v2)
apt-get install -y -qq "${v2[@]}" >"$work/apt2.log" 2>&1 || {
	tail -20 "$work/apt2.log"
	fail "apt-get install (upgrade)"
}
v=$(dpkg-query -W -f='${Version}' licd)
[ "$v" = 0.1.0-2 ] || fail "licd is $v after the upgrade"
[ -f /var/lib/licd/journal.db ] || fail "the journal is gone"

start_licd || fail "licd did not start again on port $port"
say "licd started again after the upgrade"
[ "$(in_use "$feature")" = 1 ] || fail "the seat was not restored"
say "the seat is held (restored from the journal)"

# The client notices at its next heartbeat (the server asks for one a
# minute) and resumes the grant, well within the resume grace.
say "waiting for licctl run to resume its grant (up to 90 s)"
resumed=""
for _ in $(seq 180); do
	if /usr/bin/licctl journal show --state-dir /var/lib/licd 2>/dev/null |
	    grep -q " resume .*feature=$feature"; then
		resumed=1
		break
	fi
	kill -0 "$run_pid" 2>/dev/null || fail "licctl run: $(cat "$work/run.log")"
	sleep 0.5
done
[ -n "$resumed" ] || fail "licctl run did not resume its grant"
[ "$(in_use "$feature")" = 1 ] || fail "the seat is not held after resume"
say "the client resumed its grant; the seat is still held"

say "building tests/packaging/client_example.c with pkg-config licd-client"
# shellcheck disable=SC2046 # pkg-config's output is a list of flags
cc -std=c17 -Wall -Wextra -Werror -o "$work/client_example" \
    tests/packaging/client_example.c $(pkg-config --cflags --libs licd-client) ||
    fail "cannot build against the installed library"
ldd "$work/client_example" | grep -Eq 'liblicd-client\.so\.0 => /(usr/)?lib/' ||
    fail "client_example does not use the installed liblicd-client.so.0"
"$work/client_example" "$port@127.0.0.1" "$feature" || fail "client_example"

# What licd-newlog.timer runs each month, as the unit runs it.
newlog=$(sed -n 's/^ExecStart=//p' /lib/systemd/system/licd-newlog.service)
# shellcheck disable=SC2086 # the unit's command line, split as systemd does
setpriv --reuid=licd --regid=licd --init-groups -- $newlog \
    >"$work/newlog.out" 2>&1 || fail "$newlog: $(cat "$work/newlog.out")"
/usr/bin/licctl journal verify --state-dir /var/lib/licd \
    >"$work/verify.out" 2>&1 || fail "journal verify: $(cat "$work/verify.out")"
say "licd-newlog.service's command started a new journal; the chain verifies"

stop_pid "$run_pid"
run_pid=""
stop_pid "$licd_pid"
licd_pid=""
say "stopped licctl run and licd"

units=(licd.service licd.socket licd-newlog.service licd-newlog.timer)
man=no
[ -e /usr/share/man/man8/licd.8.gz ] && command -v man >/dev/null && man=yes
(cd /lib/systemd/system && systemd-analyze verify --man="$man" "${units[@]}") \
    >"$work/verify.log" 2>&1 || {
	cat "$work/verify.log"
	fail "systemd-analyze verify"
}
if [ -s "$work/verify.log" ]; then
	cat "$work/verify.log"
	fail "systemd-analyze verify complains"
fi
say "systemd-analyze verify (man pages checked: $man): ${units[*]}"

apt-get remove -y -qq licd >/dev/null 2>&1 || fail "apt-get remove licd"
[ -f /var/lib/licd/journal.db ] || fail "removing licd removed its journal"
say "removed licd; /var/lib/licd is kept"
apt-get purge -y -qq "${pkgs[@]}" >/dev/null 2>&1 ||
    fail "apt-get purge"
installed=0
[ ! -e /var/lib/licd ] || fail "purging licd left /var/lib/licd"
[ ! -e /var/log/licd ] || fail "purging licd left /var/log/licd"
[ ! -e /etc/licd/licd.conf ] || fail "purging licd left /etc/licd/licd.conf"
say "purged; /var/lib/licd and /var/log/licd are gone"
say "all package tests passed"
