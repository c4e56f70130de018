#!/usr/bin/env bash
# Many pairs at once (BENCHMARKS.md, issue 12): `drtui status` for one pair against
# `drtui status --all-pairs` for PAIRS pairs, alternately ROUNDS times, medians and the ratio.
# Each estate is seeded in the emulator; the latency proxy in front of it adds 50/70 ms per
# request and, with --replay, answers repeated requests itself, so the single-threaded
# emulator does not serialise ten pairs' calls (AWS serves callers in parallel). A first
# all-pairs run fills the replay cache. Also times the same direct to the emulator, without
# replay, where the emulator's own queue is the bound.
# Usage: benches/pairs.sh [PAIRS=10] [ROUNDS=10]. Needs the emulator venv and jq.
set -euo pipefail
cd "$(dirname "$0")/.."
pairs="${1:-10}" rounds="${2:-10}"
source benches/peers/estate.sh
start_moto
names=()
for n in $(seq 0 $((pairs - 1))); do names+=("p$n"); seed "p$n"; done
configs() { # one.toml (the first pair) and all.toml (every pair), talking to $endpoint
  pair_toml p0 >"$work/one.toml"
  for name in "${names[@]}"; do pair_toml "$name"; done >"$work/all.toml"
}
complete() { # the all-pairs answer covers every pair, each complete
  [ "$(jq 'length' "$work/out")" = "$pairs" ] && [ "$(jq '[.[] | select(.complete)] | length' "$work/out")" = "$pairs" ]
}
measure() { # label: alternate one pair and all pairs, print medians and ratio
  local one="" all=""
  "$drtui" --config "$work/all.toml" --all-pairs status --format json >/dev/null || true
  for _ in $(seq "$rounds"); do
    one+="$(seconds "$drtui" --config "$work/one.toml" --region-pair p0 status --format json) "
    all+="$(seconds "$drtui" --config "$work/all.toml" --all-pairs status --format json) "
    complete || { echo "$1: the all-pairs answer is incomplete:"; jq -c '.[] | {pair: .pair, complete, errors}' "$work/out"; exit 1; }
  done
  local o a
  o=$(median <<<"$one") a=$(median <<<"$all")
  printf '%s: 1 pair %.3f s · %s pairs %.3f s · %.2fx (median of %s)\n' "$1" "$o" "$pairs" "$a" "$(echo "$a / $o" | bc -l)" "$rounds"
}
start_proxy --replay
configs
measure "behind the 50/70 ms proxy, replaying"
endpoint="$moto"
configs
measure "direct to the emulator"
