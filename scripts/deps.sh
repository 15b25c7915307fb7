#!/bin/sh
# Installs what licd needs to build and test, from Debian 12's packages.
# Needs root.  Quiet unless something fails.
set -eu

pkgs="build-essential cmake pkg-config clang libclang-rt-14-dev llvm git \
	ca-certificates \
	libevent-dev libssl-dev libconfig-dev libsystemd-dev libsqlite3-dev \
	libcmocka-dev sqlite3 clang-format monitoring-plugins-standard \
	debhelper lintian systemd \
	mandoc man-db groff-base rpm \
	prometheus chromium memcached \
	libldap2-dev slapd ldap-utils libsasl2-dev libsasl2-modules-gssapi-mit"

missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
	    grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "deps.sh: missing packages:$missing (run as root)" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# slapd is only started by the tests, on their own temporary configuration.
echo "slapd slapd/no_configuration boolean true" | debconf-set-selections 2>/dev/null || true
apt-get update -qq
apt-get install -y -qq --no-install-recommends $missing >/dev/null
