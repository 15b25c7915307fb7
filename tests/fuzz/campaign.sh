#!/bin/sh
# The long fuzzing campaign (tests/fuzz/README.md): every target, or those
# named, run from a copy of its seed corpus until RUNS executions, JOBS at a
# time at nice 19. One line per target goes to $WORK/results.tsv:
#   target  executions  corpus-files  corpus-KiB  findings  commit  date  seconds
# Usage: sh tests/fuzz/campaign.sh [BUILD-DIR [TARGET...]]
# Settings: WORK (/var/tmp/licd-fuzz), JOBS (2), RUNS (10000000), COMMIT
# (the commit the build is of; the checkout's HEAD by default), SEED (a
# folder of <target>/ corpora to start from instead of the seed corpora in
# tests/fuzz/corpus: an earlier campaign's WORK, to carry a cut-short run
# on with what it had found).
set -eu
cd "$(dirname "$0")/../.."
src=$PWD
build=${1:-build-fuzz}
[ $# -gt 0 ] && shift
WORK=${WORK:-/var/tmp/licd-fuzz}
JOBS=${JOBS:-2}
RUNS=${RUNS:-10000000}
SEED=${SEED:-}
# The tree the targets were built from (COMMIT), else the checkout's.
commit=${COMMIT:-$(git rev-parse --short HEAD 2>/dev/null || echo unknown)}

one() {
	name=$1
	dir=$WORK/$name
	rm -rf "$dir"
	mkdir -p "$dir/corpus" "$dir/artifacts"
	cp "${SEED:-$src/tests/fuzz/corpus}/$name/"* "$dir/corpus/"
	leaks=1
	# libconfig leaks from its scanner on truncated input (lsan.supp);
	# with leak checks on, each such input costs a heap scan.
	case $name in licd_conf | costs) leaks=0 ;; esac
	maxlen=8192
	# Every line of a signature input is signed and verified (two
	# Ed25519 operations): long inputs spend the run in OpenSSL.
	case $name in signature) maxlen=2048 ;; esac
	start=$(date +%s)
	ASAN_OPTIONS=detect_leaks=$leaks:abort_on_error=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		LSAN_OPTIONS=suppressions=$src/tests/fuzz/lsan.supp \
		nice -n 19 "$WORK/bin/fuzz_$name" "$dir/corpus" \
		-dict="$src/tests/fuzz/$name.dict" -runs="$RUNS" \
		-max_len=$maxlen -timeout=20 -rss_limit_mb=2048 \
		-artifact_prefix="$dir/artifacts/" -print_final_stats=1 \
		>"$dir/log" 2>&1 || true
	end=$(date +%s)
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/log" |
		tail -n 1)
	files=$(find "$dir/corpus" -type f | wc -l)
	kib=$(du -sk "$dir/corpus" | cut -f1)
	found=$(find "$dir/artifacts" -type f | wc -l)
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "${execs:-0}" \
		"$files" "$kib" "$found" "$commit" "$(date -u +%F)" \
		$((end - start)) >>"$WORK/results.tsv"
}

# xargs runs JOBS of this script's own "one" at a time.
if [ "${CAMPAIGN_ONE:-}" ]; then
	one "$CAMPAIGN_ONE"
	exit 0
fi
if [ $# -eq 0 ]; then
	set --
	for t in "$build"/fuzz_*; do
		[ -x "$t" ] && set -- "$@" "${t##*/fuzz_}"
	done
fi
[ $# -gt 0 ] || {
	echo "campaign.sh: no fuzz_* targets in $build" >&2
	exit 2
}

# The binaries are copied so that rebuilding $build during the campaign
# does not change what runs.
mkdir -p "$WORK/bin"
for name; do
	cp "$build/fuzz_$name" "$WORK/bin/"
done

COMMIT=$commit
export WORK RUNS COMMIT SEED src
printf '%s\n' "$@" |
	xargs -P "$JOBS" -I{} env CAMPAIGN_ONE={} sh "$src/tests/fuzz/campaign.sh" \
		"$build"
column -t "$WORK/results.tsv"
