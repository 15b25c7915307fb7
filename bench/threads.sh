#!/bin/bash
# CPU per cycle of each server thread (bench/README.md, "Fifth round"):
# licd's event loop, journal writer, syncer and checkpointer, or
# memcached's threads, from /proc/PID/task/*/stat around a closed-loop
# run; CPU time counts however busy the machine is, a rate does not.
#
#   bash bench/threads.sh LICD|memcached [RUNS]
#
# Settings from the environment: BUILD (build-rel: where licbench is),
# N (200000 cycles a run), CONNS (64), PORT (27771), OUT (a new
# directory under /tmp).  Prints, per run, cycles/s and µs a cycle per
# thread (user + system), licbench's own µs a cycle and the share of the
# machine's CPU left idle during the run, then the means.
set -eu
SERVER=$1
[ "$SERVER" = memcached ] || SERVER=$(realpath "$SERVER")
RUNS=${2:-3}
BUILD=${BUILD:-build-rel}
BENCH=$(realpath "$BUILD/licbench")
N=${N:-200000}
CONNS=${CONNS:-64}
PORT=${PORT:-27771}
OUT=${OUT:-$(mktemp -d /tmp/licd-threads.XXXXXX)}
TCK=$(getconf CLK_TCK)
mkdir -p "$OUT"

# "name utime stime" per thread, in ticks; threads of one name summed.
ticks() {
	for f in /proc/"$1"/task/*/stat; do
		sed 's/^[0-9]* (\([^)]*\)) /\1 /' "$f"
	done | awk '{ u[$1] += $13; s[$1] += $14 }
	    END { for (k in u) print k, u[k], s[k] }' | sort
}

start() {
	if [ "$SERVER" = memcached ]; then
		memcached -t 1 -p "$PORT" -U 0 -l 127.0.0.1 \
		    $([ "$(id -u)" = 0 ] && echo "-u nobody") &
		pid=$!
		WL=memcached
		return
	fi
	rm -rf "$OUT/state"
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
EOC
	(cd "$OUT" && exec "$SERVER" -c licd.conf \
	    --foreground 2>>licd.err) &
	pid=$!
	WL=flex-cycle
}

wait_port() {
	for _ in $(seq 600); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
			return 0
		fi
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	echo "threads.sh: the server did not start" >&2
	exit 1
}

for r in $(seq "$RUNS"); do
	start
	wait_port
	"$BENCH" -w $WL -p "$PORT" -c "$CONNS" -n 2000 >/dev/null
	ticks $pid >"$OUT/before.$r"
	"$BENCH" -w $WL -p "$PORT" -c "$CONNS" -n "$N" --json \
	    >"$OUT/run.$r.json"
	ticks $pid >"$OUT/after.$r"
	kill $pid
	wait $pid || true
	rate=$(sed -n 's/^  "cycles_per_s": \([0-9.]*\).*/\1/p' \
	    "$OUT/run.$r.json")
	n=$(sed -n 's/^  "cycles": \([0-9]*\).*/\1/p' "$OUT/run.$r.json")
	client=$(sed -n 's/^  "client_cpu_us_per_cycle": \([0-9.]*\).*/\1/p' \
	    "$OUT/run.$r.json")
	idle=$(sed -n 's/^  "machine_idle": \([-0-9.]*\).*/\1/p' \
	    "$OUT/run.$r.json")
	join "$OUT/before.$r" "$OUT/after.$r" | awk -v n="$n" -v t="$TCK" \
	    -v r="$r" -v rate="$rate" -v client="$client" -v idle="$idle" '{
		u = ($4 - $2) * 1e6 / t / n; s = ($5 - $3) * 1e6 / t / n
		printf "run %s %s %.2f %.2f %.2f\n", r, $1, u + s, u, s
		au += u; as += s }
	    END { printf "run %s all %.2f %.2f %.2f\n", r, au + as, au, as
		printf "run %s cycles/s %s 0 0\n", r, rate
		printf "run %s licbench %s 0 0\n", r, client
		printf "run %s idle-share %s 0 0\n", r, idle }' |
	    tee -a "$OUT/table"
done
echo "means over $RUNS runs (µs a cycle: user + system, user, system):"
awk '{ s[$3] += $4; u[$3] += $5; y[$3] += $6; c[$3]++ } END { for (k in s)
	printf "  %-14s %9.2f %6.2f %6.2f\n", k, s[k] / c[k], u[k] / c[k],
	    y[k] / c[k] }' "$OUT/table" | sort
echo "output in $OUT"
