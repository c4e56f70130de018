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
command -v aws >/dev/null || { echo "compare.sh: the aws CLI is missing (pip install awscli)"; exit 2; }
source benches/peers/estate.sh
start_moto
seed cmp
start_proxy
zone=$(jq -r .hosted_zone_id "$work/seed.cmp.json")
machine=$(jq -r .state_machine "$work/seed.cmp.json")
pair_toml cmp >"$work/drtui.toml"
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
# The lower bound: every source's chain of calls timed alone (benches/lower_bound.rs), the
# slowest of the concurrent phase plus the slowest of the phase that follows it.
cargo bench --quiet --bench lower_bound -- "$work/drtui.toml" cmp "$rounds" >"$work/bound"
d=$(median <<<"${times[drtui]}") b=$(median <<<"${times[boto3]}") c=$(median <<<"${times[cli]}")
echo "facts identical in all $rounds rounds: $(cat "$work/facts.drtui")"
printf 'median of %s runs: drtui %.3f s · boto3 %.3f s (%.1fx) · aws CLI %.3f s (%.1fx)\n' \
  "$rounds" "$d" "$b" "$(echo "$b / $d" | bc -l)" "$c" "$(echo "$c / $d" | bc -l)"
# The dashboard's first complete frame for the same pair, against `status` (PTY, 20 runs each).
cargo bench --quiet --bench startup -- --config "$work/drtui.toml" --region-pair cmp >"$work/startup"
l=$(sed -n 's/^lower_bound_s //p' "$work/bound")
printf 'lower bound (slowest chain of calls, each timed alone): %.3f s; drtui is %.2fx of it\n' \
  "$l" "$(echo "$d / $l" | bc -l)"
cat "$work/startup"
