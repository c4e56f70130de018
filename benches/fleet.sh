#!/usr/bin/env bash
# A fleet at account scale (BENCHMARKS.md, issue 24): PAIRS estates (default 100) seeded in the
# emulator, one account, behind the 50/70 ms latency proxy (replaying, so the single-threaded
# emulator does not serialise what AWS serves in parallel); then `cargo bench --bench fleet`:
# one poll of 1, 10 and 100 pairs (wall time, calls) and the Route 53 requests a second of
# every pair's pollers.
# ZONES=shared (default: every pair's record in one hosted zone, a fleet in one account) or
# ZONES=own (a hosted zone per pair: one Route 53 read per zone, within the read budget).
# Usage: [ZONES=own] benches/fleet.sh [PAIRS=100] [ROUNDS=5] [SECONDS=60]. Needs the emulator
# venv and jq.
set -euo pipefail
cd "$(dirname "$0")/.."
pairs="${1:-100}" rounds="${2:-5}" seconds="${3:-60}"
source benches/peers/estate.sh
start_moto
start_proxy --replay
zone_option=shared-zone
[ "${ZONES:-shared}" = own ] && zone_option=healthy-primary
for n in $(seq 0 $((pairs - 1))); do
  "$python" tests/moto/seed.py "$moto" "f$n" healthy-secondary healthy-primary "$zone_option" >"$work/seed.f$n.json"
done
for n in $(seq 0 $((pairs - 1))); do pair_toml "f$n"; done >"$work/fleet.toml"
cargo bench --quiet --bench fleet -- "$work/fleet.toml" "$rounds" "$seconds"
