#!/usr/bin/env bash
# drtui against its peers (BENCHMARKS.md): `drtui status`, a sequential boto3 script and a
# sequential aws CLI script fetching the same facts from the moto emulator behind a loopback
# proxy that adds 50 ms per us-east-1 request and 70 ms per us-east-2 request. Runs them
# alternately ROUNDS times, prints each one's median and the ratios, and checks that every
# peer reports the same facts as drtui. Usage: benches/compare.sh [ROUNDS=10]
# Needs the emulator venv (./scripts/test makes it, or DRTUI_PYTHON) and the aws CLI.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds="${1:-10}"
python="${DRTUI_PYTHON:-$PWD/.venv/bin/python}"
command -v aws >/dev/null || { echo "compare.sh: the aws CLI is missing (pip install awscli)"; exit 2; }
cargo build --release --quiet --bin drtui
drtui="${CARGO_TARGET_DIR:-target}/release/drtui"
work="$(mktemp -d)"
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$work"' EXIT
sleep 100000 | "$python" tests/moto/launcher.py >"$work/moto" 2>/dev/null &
for _ in $(seq 50); do [ -s "$work/moto" ] && break; sleep 0.2; done
moto="http://127.0.0.1:$(sed 's/PORT //' "$work/moto")"
"$python" tests/moto/seed.py "$moto" cmp healthy-secondary healthy-primary >"$work/seed.json"
python3 benches/peers/latency_proxy.py "$moto" >"$work/proxy" 2>/dev/null &
for _ in $(seq 50); do [ -s "$work/proxy" ] && break; sleep 0.1; done
endpoint="http://127.0.0.1:$(sed 's/PORT //' "$work/proxy")"
zone=$(jq -r .hosted_zone_id "$work/seed.json")
machine=$(jq -r .state_machine "$work/seed.json")
record=$(jq -r .record_name "$work/seed.json")
cat >"$work/drtui.toml" <<TOML
[pairs.cmp]
primary = "us-east-1"
secondary = "us-east-2"
endpoint_url = "$endpoint"
global_cluster = "payment-global-cmp"
hosted_zone_id = "$zone"
record_name = "$record"
state_machine = "$machine"
alarm_prefix = "PaymentDR-cmp"
[pairs.cmp.clusters]
us-east-1 = "payment-primary-cmp"
us-east-2 = "payment-secondary-cmp"
[pairs.cmp.set_identifiers]
us-east-1 = "primary"
us-east-2 = "secondary"
[pairs.cmp.health_checks]
us-east-1 = "$(jq -r '.health_checks["us-east-1"]' "$work/seed.json")"
us-east-2 = "$(jq -r '.health_checks["us-east-2"]' "$work/seed.json")"
[pairs.cmp.api_names]
us-east-1 = "payment-api-primary-cmp"
us-east-2 = "payment-api-secondary-cmp"
TOML
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_EC2_METADATA_DISABLED=true
export AWS_CONFIG_FILE=/nonexistent AWS_SHARED_CREDENTIALS_FILE=/nonexistent AWS_DEFAULT_REGION=us-east-1
run_drtui() {
  "$drtui" --config "$work/drtui.toml" --region-pair cmp status --format json | jq -cS '{
    clusters: (.regions | map({(.region): .aurora.status}) | add),
    alarms_firing: (.regions | map({(.region): ([.alarms[] | select(.state == "ALARM")] | length)}) | add),
    writer: .global_cluster.writer_region,
    weights: .dns.weights,
    last_execution: .failover_state_machine.last_execution.status }'
}
run_boto3() { "$python" benches/peers/boto3_status.py "$endpoint" cmp "$zone" "$machine"; }
run_cli() { benches/peers/aws_cli_status.sh "$endpoint" cmp "$zone" "$machine"; }
seconds() { local start end; start=$(date +%s.%N); "$@" >"$work/out"; end=$(date +%s.%N); echo "$end - $start" | bc; }
declare -A times
for name in drtui boto3 cli; do times[$name]=""; done
for round in $(seq "$rounds"); do
  for name in drtui boto3 cli; do
    times[$name]+="$(seconds "run_$name") "
    cp "$work/out" "$work/facts.$name"
  done
  for name in boto3 cli; do
    if ! diff -q "$work/facts.drtui" "$work/facts.$name" >/dev/null; then
      echo "round $round: $name reports other facts than drtui:"; cat "$work/facts.drtui" "$work/facts.$name"; exit 1
    fi
  done
done
median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
# The lower bound: the slowest single chain of calls `status` makes (one source's fetch, with
# its retries or pagination), as drtui's debug log times it within a run (so contention at the
# emulator counts in it: the true bound, timed alone, is at most this); median over the rounds.
bounds=""
for round in $(seq "$rounds"); do
  rm -f "$work/debug.log"
  DRTUI_LOG=debug "$drtui" --config "$work/drtui.toml" --region-pair cmp --log-file "$work/debug.log" \
    status >/dev/null || true
  bounds+="$(grep -o 'elapsed_ms=[0-9.]*' "$work/debug.log" | cut -d= -f2 | sort -n | tail -1 | awk '{print $1 / 1000}') "
done
d=$(median <<<"${times[drtui]}") b=$(median <<<"${times[boto3]}") c=$(median <<<"${times[cli]}")
echo "facts identical in all $rounds rounds: $(cat "$work/facts.drtui")"
printf 'median of %s runs: drtui %.3f s · boto3 %.3f s (%.1fx) · aws CLI %.3f s (%.1fx)\n' \
  "$rounds" "$d" "$b" "$(echo "$b / $d" | bc -l)" "$c" "$(echo "$c / $d" | bc -l)"
l=$(median <<<"$bounds")
printf 'lower bound (slowest single chain of calls, from the debug log): %.3f s; drtui is %.2fx of it\n' \
  "$l" "$(echo "$d / $l" | bc -l)"
