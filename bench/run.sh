#!/bin/bash
# The full benchmark of issue 8, side by side on this machine: licd (flex
# over TCP, sentinel over UDP) and memcached driven by the same licbench,
# then the figures that need a
# server filled first (sessions held, restore, status, KMS).  Prints one
# table (markdown) at the end; every licbench report is kept in $OUT.
#
#   bash bench/run.sh [BUILD_DIR]          (or: cmake --build build --target bench)
#
# Settings, from the environment:
#   OUT          where reports and state go (a new directory in /tmp)
#   PORT         first of four loopback ports to use (27500)
#   PAIRS        licd/memcached pairs of throughput runs (3)
#   SECS         seconds per throughput run (10)
#   SESSIONS     idle sessions to hold (100000, less when the descriptor
#                limit does not allow it)
#   GRANTS       grants to restore at start-up (100000)
#   HOLDERS      holders for licctl stat -a (10000)
#   MACHINES     KMS machines to fill in (1000000; 0 skips the KMS part)
#   QUICK=1      a few seconds of each, small sizes (a check of the script)
#
# memcached must be installed (apt-get install memcached); it runs with
# one worker thread, as licd has one event loop.  Beside it, the same
# workload goes to durable-ref (bench/durable_ref.c) twice: the least a
# server that answers only once each change is on disk can do, with its
# fdatasync on a thread of its own (as licd: the loop never waits for the
# disk) and in the loop itself (-i).  Their ratios to memcached say what
# durability alone costs on this machine.  Nothing here asserts a
# timing: the table is for a person to read.
set -eu

BUILD=${1:-build}
BUILD=$(cd "$BUILD" && pwd)
LICD=$BUILD/licd
LICCTL=$BUILD/licctl
LB=$BUILD/licbench
DREF=$BUILD/durable-ref
PORT=${PORT:-27500}
PAIRS=${PAIRS:-3}
SECS=${SECS:-10}
SESSIONS=${SESSIONS:-100000}
GRANTS=${GRANTS:-100000}
HOLDERS=${HOLDERS:-10000}
MACHINES=${MACHINES:-1000000}
if [ "${QUICK:-0}" = 1 ]; then
	PAIRS=1 SECS=2 SESSIONS=2000 GRANTS=5000 HOLDERS=1000 MACHINES=5000
fi
OUT=${OUT:-$(mktemp -d /tmp/licd-bench.XXXXXX)}
mkdir -p "$OUT"
FLEX=$PORT
KMS=$((PORT + 1))
MC=$((PORT + 2))
SENT=$((PORT + 3))
DR=$((PORT + 4))
DRI=$((PORT + 5))

for t in "$LICD" "$LICCTL" "$LB" "$DREF"; do
	[ -x "$t" ] || { echo "run.sh: $t: not built" >&2; exit 2; }
done
command -v memcached >/dev/null ||
	{ echo "run.sh: memcached is not installed" >&2; exit 2; }

LICD_PID= MC_PID= DR_PID= DRI_PID=
cleanup() {
	for p in "$LICD_PID" "$MC_PID" "$DR_PID" "$DRI_PID"; do
		[ -n "$p" ] && kill "$p" 2>/dev/null || :
	done
}
trap cleanup EXIT INT TERM

# A value of licbench's JSON: top level (key) or in a histogram (hist key).
jget() { sed -n "s/^  \"$2\": \\([0-9.]*\\).*/\\1/p" "$1" | head -n 1; }
hget() { sed -n "s/.*\"$2\": {.*\"$3\": \\([0-9.]*\\).*/\\1/p" "$1" | head -n 1; }
# CPU time of a process, all its threads, in microseconds.
TCK=$(getconf CLK_TCK)
cpu_us() { awk -v t="$TCK" '{ printf "%.0f", ($14 + $15) * 1e6 / t }' "/proc/$1/stat"; }
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
now_ms() { date +%s%3N; }

# Writes a licd configuration: dir, then "normal" for journal.sync or "".
conf() {
	mkdir -p "$1"
	printf 'VENDOR demo\nFEATURE solver demo 2.0 permanent 1000000 0\n' \
	    >"$1/bench.lic"
	cat >"$1/licd.conf" <<EOF
state-dir = "state";
license-files = [ "bench.lic" ];
listen = ( { protocol = "flex"; address = "127.0.0.1"; port = $FLEX; } );
log = { level = "warning"; };
admin-socket = "off";
limits = { max-connections = 1000000; max-connections-per-address = 1000000;
	idle-timeout = 3600; max-grants-per-client = 1000000; };
kms = { port = $KMS; address = "127.0.0.1";
	products = ( { name = "bench"; threshold-client = 1; cap = 10000000; } ); };
# Every sentinel client of licbench comes from one address: the default
# rate (200 datagrams a second per address) would drop most of them.
sentinel = { port = $SENT; address = "127.0.0.1"; rate = 1000000;
	max-clients = 100000; };
EOF
	if [ "${2:-}" = normal ]; then
		echo 'journal = { sync = "normal"; };' >>"$1/licd.conf"
	fi
}

# Waits until a TCP port accepts (licd listens once it has restored);
# bash's /dev/tcp.
wait_port() {
	i=0
	while ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; do
		i=$((i + 1))
		if [ $i -ge 3000 ] || ! kill -0 "$LICD_PID" 2>/dev/null; then
			echo "run.sh: licd did not start, see its licd.err" >&2
			exit 1
		fi
		sleep 0.01
	done
}

# Starts licd in dir (its configuration there); sets LICD_PID and
# STARTUP_MS (from exec to the listener accepting).
licd_start() {
	t0=$(now_ms)
	(cd "$1" && exec "$LICD" -c licd.conf --foreground 2>>licd.err) &
	LICD_PID=$!
	wait_port "$FLEX"
	STARTUP_MS=$(($(now_ms) - t0))
}

licd_stop() {
	kill -TERM "$LICD_PID"
	wait "$LICD_PID" 2>/dev/null || :
	LICD_PID=
}

ulimit -n "$(ulimit -Hn)" 2>/dev/null || :
NOFILE=$(ulimit -n)
if [ "$SESSIONS" -gt $((NOFILE - 1000)) ]; then
	echo "run.sh: descriptor limit $NOFILE: $((NOFILE - 1000)) sessions, not $SESSIONS" >&2
	SESSIONS=$((NOFILE - 1000))
fi

echo "run.sh: reports in $OUT" >&2
# The disk under the state directories: a durable commit cannot be
# quicker than one synchronous write.
dsync_us() {
	t0=$(date +%s%N)
	dd if=/dev/zero of="$OUT/dsync.probe" bs=4k count=200 oflag=dsync \
	    2>/dev/null
	echo $((($(date +%s%N) - t0) / 200000))
	rm -f "$OUT/dsync.probe"
}
DSYNC0=$(dsync_us)
memcached -p "$MC" -l 127.0.0.1 -t 1 -U 0 -u "$(id -un)" &
MC_PID=$!
# The yardsticks' logs on the state directories' disk.
"$DREF" -p "$DR" -f "$OUT/durable-ref.log" &
DR_PID=$!
"$DREF" -p "$DRI" -f "$OUT/durable-ref-inline.log" -i &
DRI_PID=$!
sleep 0.5

# 1. Throughput at 64 connections, closed loop, pairs one after the other;
#    with the durable journal, 64 sentinel clients' lease cycles (UDP)
#    between each pair's flex and memcached runs.
for mode in full normal; do
	d=$OUT/cycle-$mode
	rm -rf "$d"
	conf "$d" "$([ $mode = normal ] && echo normal || :)"
	licd_start "$d"
	p=1
	while [ $p -le "$PAIRS" ]; do
		c0=$(cpu_us "$LICD_PID")
		"$LB" -w flex-cycle -p "$FLEX" -c 64 -d "$SECS" --json \
		    >"$d/flex-$p.json"
		echo $(($(cpu_us "$LICD_PID") - c0)) >"$d/flex-$p.cpu"
		if [ $mode = full ]; then
			c0=$(cpu_us "$LICD_PID")
			"$LB" -w sentinel -p "$SENT" -c 64 -d "$SECS" --json \
			    >"$d/sentinel-$p.json"
			echo $(($(cpu_us "$LICD_PID") - c0)) >"$d/sentinel-$p.cpu"
			c0=$(cpu_us "$MC_PID")
			"$LB" -w memcached -p "$MC" -c 64 -d "$SECS" --json \
			    >"$OUT/memcached-$p.json"
			echo $(($(cpu_us "$MC_PID") - c0)) >"$OUT/memcached-$p.cpu"
			for y in dref:$DR:$DR_PID dref-inline:$DRI:$DRI_PID; do
				IFS=: read -r yn yp ypid <<<"$y"
				c0=$(cpu_us "$ypid")
				"$LB" -w memcached -p "$yp" -c 64 -d "$SECS" \
				    --json >"$OUT/$yn-$p.json"
				echo $(($(cpu_us "$ypid") - c0)) \
				    >"$OUT/$yn-$p.cpu"
			done
		fi
		p=$((p + 1))
	done
	licd_stop
done

# 2. Checkout latency with 1,000 clients heartbeating every second: 16
#    clients at a fixed 500 checkout+checkin cycles/s, open loop; with
#    each journal setting.
for mode in full normal; do
	d=$OUT/idle1000-$mode
	rm -rf "$d"
	conf "$d" "$([ $mode = normal ] && echo normal || :)"
	licd_start "$d"
	"$LB" -w idle -p "$FLEX" -c 1000 -i 1000 -d $((SECS + 4)) --json \
	    >"$d/idle.json" &
	IDLE_PID=$!
	sleep 3
	"$LB" -w flex-cycle -p "$FLEX" -c 16 -r 500 -d "$SECS" --json \
	    >"$d/flex.json"
	wait "$IDLE_PID" || :
	licd_stop
done

# 3. Sessions held: the daemon's resident memory before and after.
d=$OUT/sessions
rm -rf "$d"
conf "$d"
licd_start "$d"
sleep 1
RSS0=$(rss_kib "$LICD_PID")
"$LB" -w idle -p "$FLEX" -c "$SESSIONS" -S 8 -i 60000 -d 5 -K 6 -t 30000 \
    --json >"$d/idle.json" &
HOLD_PID=$!
# The report comes once every session is set up and 5 s have run.
while ! grep -q '"first_error"' "$d/idle.json" 2>/dev/null; do sleep 0.2; done
RSS1=$(rss_kib "$LICD_PID")
wait "$HOLD_PID" || :
licd_stop

# 4. Start-up restoring GRANTS grants: held by 100 connections while licd
#    stops (they stay for resume), then timed from exec to listening.
d=$OUT/restore
rm -rf "$d"
conf "$d"
licd_start "$d"
EMPTY_MS=$STARTUP_MS
"$LB" -w flex-hold -p "$FLEX" -c 100 -n "$GRANTS" -t 30000 -K 3600 --json \
    >"$d/hold.json" &
HOLD_PID=$!
while ! grep -q '"first_error"' "$d/hold.json" 2>/dev/null; do sleep 0.2; done
licd_stop
kill "$HOLD_PID" 2>/dev/null || :
wait "$HOLD_PID" 2>/dev/null || :
licd_start "$d"
RESTORE_MS=$STARTUP_MS
licd_stop

# 5. licctl stat -a with HOLDERS holders: the best of five.
d=$OUT/stat
rm -rf "$d"
conf "$d"
licd_start "$d"
"$LB" -w flex-hold -p "$FLEX" -c 100 -n "$HOLDERS" -K 3600 --json \
    >"$d/hold.json" &
HOLD_PID=$!
while ! grep -q '"first_error"' "$d/hold.json" 2>/dev/null; do sleep 0.2; done
STAT_MS=
for i in 1 2 3 4 5; do
	t0=$(now_ms)
	"$LICCTL" stat -c "$FLEX@127.0.0.1" -a >"$d/stat.out"
	t=$(($(now_ms) - t0))
	if [ -z "$STAT_MS" ] || [ "$t" -lt "$STAT_MS" ]; then STAT_MS=$t; fi
done
STAT_LINES=$(grep -c ', start ' "$d/stat.out" || :)
kill "$HOLD_PID" 2>/dev/null || :
wait "$HOLD_PID" 2>/dev/null || :
licd_stop

# 6. KMS over MACHINES known machines: 16 clients ask for 1,000 machines
#    again and again (durable journal); MACHINES new ones are added with
#    journal.sync "normal" (only to save time); licd restarts durable and
#    is asked for the same 1,000 machines and for new ones.
if [ "$MACHINES" -gt 0 ]; then
	d=$OUT/kms
	rm -rf "$d"
	conf "$d"
	licd_start "$d"
	"$LB" -w kms -p "$KMS" -c 16 -m 1000 -d "$SECS" --json \
	    >"$d/small-known.json"
	licd_stop
	conf "$d" normal
	licd_start "$d"
	"$LB" -w kms -p "$KMS" -c 32 -n "$MACHINES" -t 60000 --json \
	    >"$d/fill.json"
	licd_stop
	conf "$d"
	licd_start "$d"
	KMS_START_MS=$STARTUP_MS
	KMS_RSS=$(rss_kib "$LICD_PID")
	"$LB" -w kms -p "$KMS" -c 16 -m 1000 -d "$SECS" --json \
	    >"$d/big-known.json"
	"$LB" -w kms -p "$KMS" -c 16 -d "$SECS" --json >"$d/big-new.json"
	licd_stop
fi

# The table.
sum() { awk '{ s += $1 } END { printf "%.0f", s / NR }'; }
avg_of() { for f in "$@"; do jget "$f" cycles_per_s; done | sum; }
LF=$(avg_of "$OUT"/cycle-full/flex-*.json)
LN=$(avg_of "$OUT"/cycle-normal/flex-*.json)
LS=$(avg_of "$OUT"/cycle-full/sentinel-*.json)
MCR=$(avg_of "$OUT"/memcached-*.json)
DRR=$(avg_of "$OUT"/dref-[0-9]*.json)
DRIR=$(avg_of "$OUT"/dref-inline-*.json)
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
PER=$(awk -v a="$RSS0" -v b="$RSS1" -v n="$SESSIONS" \
    'BEGIN { printf "%.0f", (b - a) * 1024 / n }')

DSYNC1=$(dsync_us)
echo
echo "A 4 KiB O_DSYNC write to the state directory's disk: ${DSYNC0} us before the runs, ${DSYNC1} us after (mean of 200)."
echo
echo "| target | goal | measured | |"
echo "| --- | ---: | ---: | --- |"
echo "| checkout+checkin cycles/s at 64 connections, ratio to memcached incr+decr (journal.sync full) | >= 1.0 | $(ratio "$LF" "$MCR") | licd $LF/s, memcached $MCR/s, mean of $PAIRS runs each; checkout p50/p99 $(hget "$OUT/cycle-full/flex-1.json" first_latency_us p50)/$(hget "$OUT/cycle-full/flex-1.json" first_latency_us p99) us, incr $(hget "$OUT/memcached-1.json" first_latency_us p50)/$(hget "$OUT/memcached-1.json" first_latency_us p99) us (first run) |"
echo "| yardstick: durable-ref, fdatasync on its own thread (licd's rule), ratio to memcached | - | $(ratio "$DRR" "$MCR") | $DRR/s, $(ratio "$LF" "$DRR") of it is licd's |"
echo "| yardstick: durable-ref, fdatasync in the loop (-i), ratio to memcached | - | $(ratio "$DRIR" "$MCR") | $DRIR/s |"
echo "| the same, journal.sync normal | (>= 1.0) | $(ratio "$LN" "$MCR") | licd $LN/s; checkout p50/p99 $(hget "$OUT/cycle-normal/flex-1.json" first_latency_us p50)/$(hget "$OUT/cycle-normal/flex-1.json" first_latency_us p99) us (first run) |"
f=$OUT/cycle-full/sentinel-1.json
echo "| sentinel request+release cycles/s at 64 UDP clients (journal.sync full) | - | $LS/s | mean of $PAIRS runs; $(ratio "$LS" "$LF") of flex, $(ratio "$LS" "$MCR") of memcached; request p50/p99 $(hget "$f" first_latency_us p50)/$(hget "$f" first_latency_us p99) us, cycle p50/p99 $(hget "$f" latency_us p50)/$(hget "$f" latency_us p99) us (first run) |"
for mode in full normal; do
	f=$OUT/idle1000-$mode/flex.json
	echo "| p99 checkout latency, 1,000 clients heartbeating, 500 cycles/s, journal.sync $mode | <= 1 ms | $(hget "$f" first_latency_us p99) us | p50 $(hget "$f" first_latency_us p50) us, p99.9 $(hget "$f" first_latency_us p99_9) us |"
done
echo "| daemon memory per session held ($SESSIONS sessions) | <= 2048 B | $PER B | RSS $RSS0 KiB idle, $RSS1 KiB with them |"
echo "| start-up restoring $GRANTS grants | <= 1 s | $RESTORE_MS ms | empty state: $EMPTY_MS ms |"
echo "| licctl stat -a with $HOLDERS holders | <= 100 ms | $STAT_MS ms | $STAT_LINES holder lines, best of 5 |"
if [ "$MACHINES" -gt 0 ]; then
	echo "| KMS activate p50/p99, 1,000 known machines seen again | - | $(hget "$d/small-known.json" latency_us p50) / $(hget "$d/small-known.json" latency_us p99) us | $(jget "$d/small-known.json" cycles_per_s)/s |"
	echo "| the same over $MACHINES known machines | not slower | $(hget "$d/big-known.json" latency_us p50) / $(hget "$d/big-known.json" latency_us p99) us | $(jget "$d/big-known.json" cycles_per_s)/s; RSS $KMS_RSS KiB; start-up $KMS_START_MS ms |"
	echo "| new machines over $MACHINES known | - | $(hget "$d/big-new.json" latency_us p50) / $(hget "$d/big-new.json" latency_us p99) us | $(jget "$d/big-new.json" cycles_per_s)/s |"
fi
echo
# Server CPU per cycle: less at the mercy of other load than a rate.
per() { awk -v c="$(cat "$1")" -v n="$(jget "$2" cycles)" 'BEGIN { printf "%.1f", c / n }'; }
echo "| pair | licd cycles/s (full) | memcached cycles/s | ratio | durable-ref cycles/s: thread / inline | licd cycles/s (normal) | licd sentinel cycles/s (full) | server CPU us/cycle: licd full / memcached / durable-ref thread / inline / licd normal / licd sentinel | licbench us/cycle and machine idle: licd full / memcached |"
echo "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
p=1
while [ $p -le "$PAIRS" ]; do
	a=$(jget "$OUT/cycle-full/flex-$p.json" cycles_per_s)
	m=$(jget "$OUT/memcached-$p.json" cycles_per_s)
	s=$OUT/cycle-full/sentinel-$p
	f=$OUT/cycle-full/flex-$p.json
	g=$OUT/memcached-$p.json
	echo "| $p | $a | $m | $(ratio "$a" "$m") | $(jget "$OUT/dref-$p.json" cycles_per_s) / $(jget "$OUT/dref-inline-$p.json" cycles_per_s) | $(jget "$OUT/cycle-normal/flex-$p.json" cycles_per_s) | $(jget "$s.json" cycles_per_s) | $(per "$OUT/cycle-full/flex-$p.cpu" "$f") / $(per "$OUT/memcached-$p.cpu" "$g") / $(per "$OUT/dref-$p.cpu" "$OUT/dref-$p.json") / $(per "$OUT/dref-inline-$p.cpu" "$OUT/dref-inline-$p.json") / $(per "$OUT/cycle-normal/flex-$p.cpu" "$OUT/cycle-normal/flex-$p.json") / $(per "$s.cpu" "$s.json") | $(jget "$f" client_cpu_us_per_cycle), $(jget "$f" machine_idle) / $(jget "$g" client_cpu_us_per_cycle), $(jget "$g" machine_idle) |"
	p=$((p + 1))
done
errs=0
for f in $(find "$OUT" -name '*.json'); do
	e=$(sed -n 's/.*"total": \([0-9]*\).*/\1/p' "$f")
	[ "${e:-0}" = 0 ] || { echo "errors in $f: $e" >&2; errs=1; }
done
exit $errs
