#!/bin/bash
# Instructions and system calls per flex-cycle cycle (bench/README.md,
# "Second round"): licd under callgrind, then under strace -c.
#
#   bash bench/profile.sh LICD [full|normal]
#
# Settings from the environment: BUILD (build-rel: where licbench is),
# N (10000 cycles), CONNS (64), PORT (27761; PORT+1 for KMS), OUT
# (a new directory under /tmp). Needs valgrind and strace.
set -eu
LICD=$(realpath "$1")
SYNC=${2:-full}
BUILD=${BUILD:-build-rel}
BENCH=$(realpath "$BUILD/licbench")
N=${N:-10000}
CONNS=${CONNS:-64}
PORT=${PORT:-27761}
OUT=${OUT:-$(mktemp -d /tmp/licd-profile.XXXXXX)}
mkdir -p "$OUT"

printf 'VENDOR demo\nFEATURE solver demo 2.0 permanent 1000000 0\n' \
    >"$OUT/bench.lic"
cat >"$OUT/licd.conf" <<EOC
state-dir = "state";
license-files = [ "bench.lic" ];
listen = ( { protocol = "flex"; address = "127.0.0.1"; port = $PORT; } );
log = { level = "warning"; };
admin-socket = "off";
limits = { max-connections = 100000; max-connections-per-address = 100000;
	idle-timeout = 3600; };
kms = { port = $((PORT + 1)); address = "127.0.0.1";
	products = ( { name = "bench"; threshold-client = 1; cap = 10; } ); };
EOC
if [ "$SYNC" = normal ]; then
	echo 'journal = { sync = "normal"; };' >>"$OUT/licd.conf"
fi

wait_port() {
	for _ in $(seq 600); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
			return 0
		fi
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	echo "profile.sh: licd did not start, see $OUT/licd.err" >&2
	exit 1
}

# 1. callgrind, one file per thread; counters zeroed after a warm-up.
(cd "$OUT" && exec valgrind --tool=callgrind --separate-threads=yes \
    --callgrind-out-file="$OUT/cg.out.%p" "$LICD" -c licd.conf \
    --foreground 2>>licd.err) &
pid=$!
wait_port $pid
"$BENCH" -p "$PORT" -c "$CONNS" -n 500 >/dev/null
callgrind_control -z $pid >/dev/null
"$BENCH" -p "$PORT" -c "$CONNS" -n "$N" --json >"$OUT/callgrind-run.json"
callgrind_control -d $pid >/dev/null
kill $pid
wait $pid || true

# 2. strace -c on an uninstrumented licd, same load.
rm -rf "$OUT/state"
(cd "$OUT" && exec "$LICD" -c licd.conf --foreground 2>>licd.err) &
pid=$!
wait_port $pid
"$BENCH" -p "$PORT" -c "$CONNS" -n 500 >/dev/null
strace -f -c -o "$OUT/strace.txt" -p $pid &
spid=$!
sleep 1
"$BENCH" -p "$PORT" -c "$CONNS" -n "$N" --json >"$OUT/strace-run.json"
kill -INT $spid
wait $spid || true
kill $pid
wait $pid || true

echo "instructions per cycle (thread 1: the event loop; the journal's"
echo "threads start in the order checkpointer, syncer, writer):"
for f in "$OUT"/cg.out.*.1-0[1-9]; do
	t=$(awk '/^(summary|totals):/ {print $2; exit}' "$f")
	echo "  $(basename "$f"): $((t / N))"
done
echo "system calls per cycle:"
awk -v n="$N" '$NF != "total" && $NF != "syscall" && $4 ~ /^[0-9]+$/ {
	printf "  %-16s %6.2f\n", $NF, $4 / n }' "$OUT/strace.txt" |
    sort -k2 -nr
echo "commits (fdatasync): $(awk '$NF == "fdatasync" {print $4}' \
    "$OUT/strace.txt")"
echo "output in $OUT"
