#!/usr/bin/env bash
# Stream-processor benchmark (issue: stream processor). Each round fills a
# topic with EVENTS simulated events, then reads it twice, side by side:
# (a) the baseline, a raw rdkafka consumer that only decodes each event;
# (b) `carepulse process` into a fresh ClickHouse database, timed until its
# consumer group committed the end of the topic. Then freshness at a steady
# RATE, and resident memory and the time to work out a snapshot with COPIES
# copies of the hospital (about 5,000 rollup keys). Prints one JSON line per
# run and a summary table.
#
#   bench/process.sh      # defaults: EVENTS=1000000 ROUNDS=2 RATE=2000 STEADY_SECONDS=60 COPIES=14 COMPRESSION=none
#   PHASES=memory bench/process.sh   # any of: throughput freshness memory
#
# Needs the local services (started here if missing) and python3.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
EVENTS="${EVENTS:-1000000}"
ROUNDS="${ROUNDS:-2}"
RATE="${RATE:-2000}"
STEADY_SECONDS="${STEADY_SECONDS:-60}"
COPIES="${COPIES:-14}"
PHASES="${PHASES:-throughput freshness memory}"
# Inserts uncompressed, as the local stack sends them (ClickHouse on the same
# host); COMPRESSION=lz4 measures the default.
export CAREPULSE__CLICKHOUSE__COMPRESSION="${COMPRESSION:-none}"
has() { [[ " $PHASES " == *" $1 "* ]]; }
METRICS_PORT="${METRICS_PORT:-29465}"

dev/services up clickhouse tansu >/dev/null
eval "$(dev/services env)"
cargo build --release --quiet -p carepulse -p carepulse-bench
target="${CARGO_TARGET_DIR:-$REPO/target}/release"
run="$(date +%s)"
work="$(mktemp -d)"
pid=""
trap '[[ -n "$pid" ]] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT
results="$work/results.jsonl"

cpu_of() { awk '{ printf "%.2f", ($14 + $15) / 100 }' "/proc/$1/stat"; }
rss_of() { awk '/^VmRSS:/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status"; }

# start_processor NAME: migrate a database NAME and run a processor on topic NAME.
start_processor() {
    export CAREPULSE__KAFKA__FEEDBACK_TOPIC="$1" CAREPULSE__KAFKA__DEAD_LETTER_TOPIC="$1.dead-letter" \
        CAREPULSE__KAFKA__ALERTS_TOPIC="$1.alerts" \
        CAREPULSE__CLICKHOUSE__DATABASE="${1//[.-]/_}" CAREPULSE__PROCESS__GROUP_ID="$1" \
        CAREPULSE__PROCESS__METRICS_LISTEN="127.0.0.1:$METRICS_PORT" CAREPULSE_LOG=warn
    "$target/carepulse" migrate >/dev/null
    "$target/carepulse" process &
    pid=$!
}
stop_processor() { kill -TERM "$pid"; wait "$pid" || true; pid=""; }
# drop_run NAME: delete the topics and database of a finished run, so that
# repeated runs do not fill the disk.
drop_run() {
    "$target/process-load" --topic "$1" drop
    curl -fsS "$CAREPULSE__CLICKHOUSE__URL" --data-binary "DROP DATABASE IF EXISTS ${1//[.-]/_}" >/dev/null
}

has throughput && for round in $(seq "$ROUNDS"); do
    topic="bench-process-$run-$round"
    "$target/process-load" --topic "$topic" fill --events "$EVENTS" | tee -a "$results"
    "$target/process-load" --topic "$topic" raw --events "$EVENTS" | tee -a "$results"
    start=$(date +%s.%N)
    start_processor "$topic"
    "$target/process-load" --topic "$topic" wait --group "$topic" >/dev/null
    end=$(date +%s.%N)
    python3 -c 'import json,sys; e,s,t,c,r=map(float,sys.argv[1:6]); print(json.dumps({"run":"processor","events":int(e),"seconds":t-s,"events_per_sec":e/(t-s),"cpu_seconds":c,"rss_mib":r}))' \
        "$EVENTS" "$start" "$end" "$(cpu_of "$pid")" "$(rss_of "$pid")" | tee -a "$results"
    stop_processor
    drop_run "$topic"
done

# Freshness at a steady rate: from received_at to the counts in ClickHouse.
if has freshness; then
topic="bench-fresh-$run"
"$target/process-load" --topic "$topic" fill --events 1 >/dev/null
start_processor "$topic"
sleep 8 # partitions assigned
"$target/process-load" --topic "$topic" steady --rate "$RATE" --seconds "$STEADY_SECONDS" >/dev/null
"$target/process-load" --topic "$topic" wait --group "$topic" >/dev/null
curl -fs "http://127.0.0.1:$METRICS_PORT/metrics" > "$work/metrics"
python3 - "$work/metrics" "$RATE" <<'PY' | tee -a "$results"
import json, sys
buckets = []
for line in open(sys.argv[1]):
    if line.startswith("carepulse_process_freshness_seconds_bucket"):
        le = line.split('le="')[1].split('"')[0]
        buckets.append((float("inf") if le == "+Inf" else float(le), float(line.rsplit(" ", 1)[1])))
buckets.sort()
total = buckets[-1][1]
def quantile(q):  # linear within the bucket, as Prometheus' histogram_quantile
    rank, lo, below = q * total, 0.0, 0.0
    for le, count in buckets:
        if count >= rank:
            return lo + (le - lo) * (rank - below) / max(count - below, 1)
        lo, below = le, count
print(json.dumps({"run": "freshness", "rate": int(sys.argv[2]), "events": int(total), "p50_s": quantile(0.5), "p99_s": quantile(0.99)}))
PY
stop_processor
drop_run "$topic"
fi

# Memory with many rollup keys and 28-day windows.
if has memory; then
topic="bench-keys-$run"
"$target/process-load" --topic "$topic" fill --events 400000 --copies "$COPIES" >/dev/null
start_processor "$topic"
"$target/process-load" --topic "$topic" wait --group "$topic" >/dev/null
snapshot_sums() { curl -fs "http://127.0.0.1:$METRICS_PORT/metrics" | awk '/^carepulse_process_snapshot_duration_seconds_(sum|count)/ { printf "%s ", $2 }'; }
before=$(snapshot_sums)
sleep 35 # one more snapshot, with every key held
curl -fs "http://127.0.0.1:$METRICS_PORT/metrics" > "$work/metrics"
keys=$(awk '/^carepulse_process_held_keys\{kind="rollup_keys"\}/ { print $2 }' "$work/metrics")
# Time to work out the snapshots taken during the sleep (every rolling
# window of every key, summed from the cells).
snapshot_s=$(python3 -c 'import sys; s0, c0, s1, c1 = map(float, sys.argv[1:5]); print(f"{(s1 - s0) / (c1 - c0):.4f}" if c1 > c0 else "null")' $before $(snapshot_sums))
echo "{\"run\": \"keys\", \"rollup_keys\": ${keys:-0}, \"rss_mib\": $(rss_of "$pid"), \"snapshot_s\": $snapshot_s}" | tee -a "$results"
stop_processor
drop_run "$topic"
fi

python3 - "$results" <<'PY'
import json, statistics, sys
runs = [json.loads(l) for l in open(sys.argv[1])]
raw = [r for r in runs if r["run"] == "raw"]
proc = [r for r in runs if r["run"] == "processor"]
def summary(raw, proc):
    print("| run | events/s (median) | ratio to raw consumer (per round) | CPU us/event | RSS MiB |")
    print("|---|---|---|---|---|")
    us = lambda r: 1e6 * r["cpu_seconds"] / r["events"]
    print(f"| raw consumer: read + decode | {statistics.median(r['events_per_sec'] for r in raw):,.0f} | 1 | {', '.join(f'{us(r):.2f}' for r in raw)} | {', '.join(str(r['rss_mib']) for r in raw)} |")
    ratios = [p["events_per_sec"] / r["events_per_sec"] for r, p in zip(raw, proc)]
    print(f"| carepulse process into ClickHouse | {statistics.median(r['events_per_sec'] for r in proc):,.0f} | {', '.join(f'{x:.2f}' for x in ratios)} | {', '.join(f'{us(r):.2f}' for r in proc)} | {', '.join(str(r['rss_mib']) for r in proc)} |")
print()
if raw and proc:
    summary(raw, proc)
for r in runs:
    if r["run"] in ("freshness", "keys"):
        print(json.dumps(r))
PY

