#!/bin/sh
# Lints the manual pages with mandoc and with groff (through man-db), and
# fails on any warning from either.  Needs the Debian packages mandoc,
# man-db and groff-base.
#
#   scripts/check-man.sh          the pages in man/, with their version
#                                 and date filled in as the build does
#   scripts/check-man.sh DIR      the generated pages in DIR (e.g.
#                                 build/man)
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)

for tool in mandoc man groff; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "check-man.sh: $tool is missing (apt-get install" \
		    "mandoc man-db groff-base)" >&2
		exit 1
	fi
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

if [ $# -ge 1 ]; then
	dir=$1
else
	# The same substitutions as man/CMakeLists.txt; any date in mdoc's
	# form will do for a lint.
	version=$(sed -n 's/^project(licd VERSION \([0-9.]*\).*/\1/p' \
	    "$top/CMakeLists.txt")
	date=$(LC_ALL=C date -u '+%B %e, %Y' | tr -s ' ')
	for src in "$top"/man/*.in; do
		sed -e "s/@PROJECT_VERSION@/${version:-0.0.0}/g" \
		    -e "s/@LICD_MAN_DATE@/$date/g" \
		    "$src" >"$tmp/$(basename "$src" .in)"
	done
	dir=$tmp
fi

pages=$(find "$dir" -maxdepth 1 -type f -name '*.[1-8]' | sort)
if [ -z "$pages" ]; then
	echo "check-man.sh: no manual pages in $dir" >&2
	exit 1
fi

fail=0
for page in $pages; do
	name=$(basename "$page")

	# A placeholder left over means the page was not generated.
	if grep -n '@[A-Z_]*@' "$page" >"$tmp/out"; then
		echo "check-man.sh: $name: unsubstituted placeholder:" >&2
		cat "$tmp/out" >&2
		fail=1
	fi

	# mandoc: warnings, errors and unsupported requests (its style
	# hints, such as a page of this project not yet being installed,
	# are not failures).
	if ! mandoc -T lint -W warning "$page" >"$tmp/out" 2>&1 ||
	    [ -s "$tmp/out" ]; then
		echo "check-man.sh: $name: mandoc -T lint:" >&2
		cat "$tmp/out" >&2
		fail=1
	fi

	# groff, as man(1) runs it: anything on stderr is a warning.
	if ! LC_ALL=C.UTF-8 MANWIDTH=80 MANPAGER=cat PAGER=cat \
	    man --warnings -E UTF-8 -l "$page" >/dev/null 2>"$tmp/out" ||
	    [ -s "$tmp/out" ]; then
		echo "check-man.sh: $name: man --warnings:" >&2
		cat "$tmp/out" >&2
		fail=1
	fi
done

if [ "$fail" -ne 0 ]; then
	exit 1
fi
echo "check-man.sh: $(echo "$pages" | wc -l) pages clean"
