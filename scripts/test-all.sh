#!/bin/sh
# Sets everything up and runs every test: formatting, unit and integration
# tests, the same under ASan+UBSan, each fuzz target briefly, and the
# Debian packages (scripts/test-packages.sh: installs and purges them).
set -eu
cd "$(dirname "$0")/.."
jobs=$(nproc)
fuzz_seconds=${LICD_FUZZ_SECONDS:-20}

sh scripts/deps.sh

echo "== format"
bad=$(git ls-files '*.c' '*.h' | while read -r f; do
	clang-format --dry-run -Werror "$f" >/dev/null 2>&1 || echo "$f"
done)
if [ -n "$bad" ]; then
	echo "not formatted with .clang-format:"; echo "$bad"
	exit 1
fi

echo "== build and test"
sh scripts/build.sh build
ctest --test-dir build --output-on-failure -j"$jobs"

echo "== ASan+UBSan build and test"
sh scripts/build.sh build-asan -DLICD_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build-asan --output-on-failure -j"$jobs"

echo "== fuzz targets, ${fuzz_seconds}s each"
CC=clang sh scripts/build.sh build-fuzz -DLICD_FUZZ=ON -DLICD_SANITIZE=ON \
    -DCMAKE_BUILD_TYPE=Debug
for t in build-fuzz/fuzz_*; do
	name=$(basename "$t" | sed 's/^fuzz_//')
	corpus=tests/fuzz/corpus/$name
	work=$(mktemp -d)
	dict=""
	[ -f "tests/fuzz/$name.dict" ] && dict="-dict=tests/fuzz/$name.dict"
	LSAN_OPTIONS=suppressions=$(pwd)/tests/fuzz/lsan.supp \
	"$t" $dict -max_total_time="$fuzz_seconds" -print_final_stats=0 \
	    "$work" "$corpus" >"$work.log" 2>&1 || {
		tail -50 "$work.log"; echo "fuzz_$name: FAILED"; exit 1; }
	echo "fuzz_$name: $(grep -o 'Done [0-9]* runs' "$work.log" || echo ok)"
	rm -rf "$work" "$work.log"
done

echo "== manual pages"
sh scripts/check-man.sh build/man

echo "== RPM packages (rpmbuild)"
sh scripts/test-rpm.sh

echo "== Debian packages: build, lintian, install, upgrade, purge"
bash scripts/test-packages.sh

echo "== all tests passed"
