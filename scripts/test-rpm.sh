#!/bin/sh
# Builds the RPM packages from the work tree (committed or not) with
# rpmbuild in a scratch top directory, and checks that licd,
# liblicd-client and liblicd-client-devel come out with their main files.
# On Debian, rpmbuild (package "rpm") has none of the Fedora build
# dependencies registered, hence --nodeps: the Debian -dev packages of
# scripts/deps.sh stand in for them.
#
#   scripts/test-rpm.sh            LICD_TEST_KEEP=1 keeps the top directory
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
spec=$top/packaging/rpm/licd.spec

if ! command -v rpmbuild >/dev/null 2>&1; then
	echo "test-rpm.sh: rpmbuild is missing (apt-get install rpm)" >&2
	exit 1
fi

version=$(sed -n 's/^project(licd VERSION \([0-9.]*\).*/\1/p' \
    "$top/CMakeLists.txt")
if [ -z "$version" ]; then
	echo "test-rpm.sh: no version in CMakeLists.txt" >&2
	exit 1
fi

work=$(mktemp -d /tmp/licd-rpm.XXXXXX)
if [ "${LICD_TEST_KEEP:-0}" = 1 ]; then
	echo "test-rpm.sh: keeping $work"
else
	trap 'rm -rf "$work"' EXIT INT TERM
fi
mkdir -p "$work/SOURCES" "$work/SPECS" "$work/BUILD" "$work/RPMS" \
    "$work/SRPMS"

# The tree as it is, not HEAD: uncommitted work is packed too.  Build
# trees, the example state, git and Debian's packaging stay out.
tar -C "$top" -czf "$work/SOURCES/licd-$version.tar.gz" \
    --exclude='./.git' --exclude='./build' --exclude='./build-*' \
    --exclude='./obj-*' --exclude='./state' --exclude='./debian' \
    --transform "s,^\\.,licd-$version," .
cp "$top/packaging/licd.sysusers" "$work/SOURCES/"
cp "$spec" "$work/SPECS/"

# No debuginfo sub-packages: Debian's rpm lacks find-debuginfo.
if ! rpmbuild -bb --nodeps \
    --define "_topdir $work" \
    --define "licd_version $version" \
    --define 'debug_package %{nil}' \
    "$work/SPECS/licd.spec" >"$work/rpmbuild.log" 2>&1; then
	tail -n 40 "$work/rpmbuild.log" >&2
	echo "test-rpm.sh: rpmbuild failed (log: $work/rpmbuild.log;" \
	    "LICD_TEST_KEEP=1 keeps it)" >&2
	exit 1
fi

fail=0
check()
{
	pkg=$1
	shift
	rpm=$(find "$work/RPMS" -name "$pkg-$version-*.rpm" | head -n 1)
	if [ -z "$rpm" ]; then
		echo "test-rpm.sh: no $pkg package" >&2
		fail=1
		return
	fi
	rpm -qlp "$rpm" 2>/dev/null >"$work/list"
	for f in "$@"; do
		# Manual pages are compressed where brp-compress works.
		if ! grep -qx -e "$f" -e "$f.gz" -e "$f.xz" -e "$f.bz2" \
		    -e "$f.zst" "$work/list"; then
			echo "test-rpm.sh: $pkg lacks $f" >&2
			fail=1
		fi
	done
	echo "test-rpm.sh: $(basename "$rpm"): $(wc -l <"$work/list") files"
}

check licd /usr/sbin/licd /usr/bin/licctl /etc/licd/licd.conf \
    /usr/lib/licd/compat/lmstat /usr/lib/licd/compat/lmutil \
    /usr/lib/systemd/system/licd.service \
    /usr/lib/systemd/system/licd.socket \
    /usr/lib/sysusers.d/licd.conf /usr/lib/tmpfiles.d/licd.conf \
    /var/lib/licd /usr/share/man/man8/licd.8 \
    /usr/share/man/man5/licd.conf.5 /usr/share/man/man1/licctl.1 \
    /usr/share/man/man7/licd-protocols.7
libdir=$(rpm --eval '%{_libdir}')
check liblicd-client "$libdir/liblicd-client.so.0"
check liblicd-client-devel /usr/include/licd.h \
    "$libdir/liblicd-client.so" "$libdir/liblicd-client.a" \
    "$libdir/pkgconfig/licd-client.pc"

# The configuration must be marked so that an upgrade keeps local edits.
rpm=$(find "$work/RPMS" -name "licd-$version-*.rpm" | head -n 1)
if [ -n "$rpm" ] &&
    ! rpm -qcp "$rpm" 2>/dev/null | grep -qx /etc/licd/licd.conf; then
	echo "test-rpm.sh: /etc/licd/licd.conf is not a %config file" >&2
	fail=1
fi

[ "$fail" -eq 0 ] || exit 1
echo "test-rpm.sh: three packages built"
