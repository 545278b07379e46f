#!/usr/bin/env bash
# Ingest benchmark (issue: ingest service). Runs, side by side and ROUNDS
# times, (a) the baseline: the same events published straight to the broker
# with the same idempotent acks=all producer, and (b) batched NDJSON posts to
# a running `carepulse ingest`; then single posts at a fixed rate. Prints
# one JSON line per run and a summary: events/s, the ratio to the baseline,
# latency percentiles and CPU seconds per event of each process. The topics
# it created are deleted at the end.
#
#   bench/ingest.sh                 # defaults: EVENTS=200000 ROUNDS=3 RATE=1000 SECONDS_SINGLE=20
#
# Needs the local services (started here if missing) and python3.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
EVENTS="${EVENTS:-200000}"
ROUNDS="${ROUNDS:-3}"
RATE="${RATE:-1000}"
SECONDS_SINGLE="${SECONDS_SINGLE:-20}"
API_PORT="${API_PORT:-28080}"
METRICS_PORT="${METRICS_PORT:-29464}"

dev/services up clickhouse tansu >/dev/null
eval "$(dev/services env)"
cargo build --release --quiet -p carepulse -p carepulse-bench
target="${CARGO_TARGET_DIR:-$REPO/target}/release"
run="$(date +%s)"
work="$(mktemp -d)"
trap 'kill "$ingest_pid" 2>/dev/null || true; rm -rf "$work"' EXIT
head -c 32 /dev/urandom | base64 > "$work/key"
token="$(sed -n 's/^"stmarys-general" = "\(.*\)"$/\1/p' deploy/local/tokens.toml)"

CAREPULSE__KAFKA__FEEDBACK_TOPIC="bench-ingest-$run" \
CAREPULSE__KAFKA__DEAD_LETTER_TOPIC="bench-ingest-$run.dead-letter" \
CAREPULSE__PRIVACY__KEY_FILE="$work/key" \
CAREPULSE__INGEST__LISTEN="127.0.0.1:$API_PORT" \
CAREPULSE__INGEST__METRICS_LISTEN="127.0.0.1:$METRICS_PORT" \
CAREPULSE__INGEST__TOKEN_RATE_PER_SEC=10000000 \
CAREPULSE__INGEST__TOKEN_BURST=10000000 \
CAREPULSE_LOG=warn \
    "$target/carepulse" --config deploy/local/carepulse.toml ingest &
ingest_pid=$!
for _ in $(seq 100); do
    curl -fs "http://127.0.0.1:$API_PORT/readyz" >/dev/null && break
    sleep 0.2
done
curl -fs "http://127.0.0.1:$API_PORT/readyz" >/dev/null || { echo "ingest did not become ready" >&2; exit 1; }

# CPU seconds (user + system) of the ingest process; /proc counts 100 ticks a second.
ingest_cpu() { awk '{ printf "%.2f", ($14 + $15) / 100 }' "/proc/$ingest_pid/stat"; }
with_cpu() { # run a load command; append the ingest process's CPU seconds to its JSON line
    local before after line
    before="$(ingest_cpu)"
    line="$("$@")"
    after="$(ingest_cpu)"
    python3 -c 'import json,sys; d=json.loads(sys.argv[1]); d["server_cpu_seconds"]=float(sys.argv[3])-float(sys.argv[2]); print(json.dumps(d))' "$line" "$before" "$after"
}

results="$work/results.jsonl"
for round in $(seq "$ROUNDS"); do
    "$target/ingest-load" baseline --brokers "$CAREPULSE__KAFKA__BROKERS" --topic "bench-baseline-$run-$round" --events "$EVENTS" | tee -a "$results"
    with_cpu "$target/ingest-load" batched --url "http://127.0.0.1:$API_PORT" --token "$token" --events "$EVENTS" | tee -a "$results"
    "$target/ingest-load" baseline-single --brokers "$CAREPULSE__KAFKA__BROKERS" --topic "bench-baseline-single-$run-$round" --rate "$RATE" --seconds "$SECONDS_SINGLE" | tee -a "$results"
    with_cpu "$target/ingest-load" single --url "http://127.0.0.1:$API_PORT" --token "$token" --rate "$RATE" --seconds "$SECONDS_SINGLE" | tee -a "$results"
done
kill "$ingest_pid"
wait "$ingest_pid" || true
# Delete what the run published, so that repeated runs do not fill the disk.
# Only now: tansu 0.6 deletes a topic's messages after it answered, and a
# produce arriving meanwhile (the service's, to its own topic) once crashed
# its storage task.
for round in $(seq "$ROUNDS"); do
    for topic in "bench-baseline-$run-$round" "bench-baseline-single-$run-$round"; do
        "$target/process-load" --brokers "$CAREPULSE__KAFKA__BROKERS" --topic "$topic" drop
    done
done
"$target/process-load" --brokers "$CAREPULSE__KAFKA__BROKERS" --topic "bench-ingest-$run" drop

python3 - "$results" <<'PY'
import json, statistics, sys
runs = [json.loads(l) for l in open(sys.argv[1])]
base = [r for r in runs if r["run"] == "baseline"]
batched = [r for r in runs if r["run"] == "batched"]
single = [r for r in runs if r["run"] == "single"]
base_single = [r for r in runs if r["run"] == "baseline-single"]
ratios = [b["events_per_sec"] / a["events_per_sec"] for a, b in zip(base, batched)]
print()
print("| run | events/s (median) | ratio to baseline (per round) | p50 ms | p99 ms | CPU us/event, load process | CPU us/event, ingest process |")
print("|---|---|---|---|---|---|---|")
med = lambda rs, k: statistics.median(r[k] for r in rs)
us = lambda r, k: 1e6 * r[k] / max(r["events"], 1)
print(f"| baseline: raw producer | {med(base, 'events_per_sec'):,.0f} | 1 | | | {statistics.median(us(r, 'client_cpu_seconds') for r in base):.1f} | |")
print(f"| ingest, NDJSON batches of 200 | {med(batched, 'events_per_sec'):,.0f} | {', '.join(f'{x:.2f}' for x in ratios)} | {med(batched, 'p50_ms'):.1f} (batch) | {med(batched, 'p99_ms'):.1f} (batch) | {statistics.median(us(r, 'client_cpu_seconds') for r in batched):.1f} | {statistics.median(us(r, 'server_cpu_seconds') for r in batched):.1f} |")
for r in base_single:
    print(f"| baseline: raw producer, single events at {r['events'] / r['seconds']:,.0f}/s open loop | {r['events_per_sec']:,.0f} | | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} | {us(r, 'client_cpu_seconds'):.1f} | |")
for r in single:
    print(f"| ingest, single posts at {r['events'] / r['seconds']:,.0f}/s open loop | {r['events_per_sec']:,.0f} | | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} | {us(r, 'client_cpu_seconds'):.1f} | {us(r, 'server_cpu_seconds'):.1f} |")
errors = sum(r["errors"] for r in runs)
print(f"\nerrors: {errors}")
PY
