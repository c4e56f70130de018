# Shared by benches/compare.sh and benches/pairs.sh (source it from the repository root): the
# release build, a work dir cleaned up on exit, the emulator, the latency proxy in front of it,
# seeded estates and their pair configs.

python="${DRTUI_PYTHON:-$PWD/.venv/bin/python}"
# DRTUI_BIN: a drtui binary already built (the call-counting benches need no release build).
if [ -z "${DRTUI_BIN:-}" ]; then
  cargo build --release --quiet --bin drtui
fi
drtui="${DRTUI_BIN:-${CARGO_TARGET_DIR:-target}/release/drtui}"
work="$(mktemp -d)"
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$work"' EXIT

# start_moto: starts the emulator; sets $moto to its URL.
start_moto() {
  sleep 100000 | "$python" tests/moto/launcher.py >"$work/moto" 2>/dev/null &
  for _ in $(seq 50); do [ -s "$work/moto" ] && break; sleep 0.2; done
  moto="http://127.0.0.1:$(sed 's/PORT //' "$work/moto")"
}

# start_proxy [--replay]: the latency proxy in front of $moto; sets $endpoint to its URL.
start_proxy() {
  python3 benches/peers/latency_proxy.py "$moto" "$@" >"$work/proxy" 2>/dev/null &
  for _ in $(seq 50); do [ -s "$work/proxy" ] && break; sleep 0.1; done
  endpoint="http://127.0.0.1:$(sed 's/PORT //' "$work/proxy")"
}

# seed NAME: one estate named NAME in $moto, healthy; its ids in $work/seed.NAME.json.
seed() {
  "$python" tests/moto/seed.py "$moto" "$1" healthy-secondary healthy-primary >"$work/seed.$1.json"
}

# pair_toml NAME: the pair config of the estate `seed NAME` made, talking to $endpoint.
pair_toml() {
  local name="$1" ids="$work/seed.$1.json"
  cat <<TOML
[pairs.$name]
primary = "us-east-1"
secondary = "us-east-2"
endpoint_url = "$endpoint"
global_cluster = "payment-global-$name"
hosted_zone_id = "$(jq -r .hosted_zone_id "$ids")"
record_name = "$(jq -r .record_name "$ids")"
state_machine = "$(jq -r .state_machine "$ids")"
alarm_prefix = "PaymentDR-$name"
[pairs.$name.clusters]
us-east-1 = "payment-primary-$name"
us-east-2 = "payment-secondary-$name"
[pairs.$name.set_identifiers]
us-east-1 = "primary"
us-east-2 = "secondary"
[pairs.$name.health_checks]
us-east-1 = "$(jq -r '.health_checks["us-east-1"]' "$ids")"
us-east-2 = "$(jq -r '.health_checks["us-east-2"]' "$ids")"
[pairs.$name.api_names]
us-east-1 = "payment-api-primary-$name"
us-east-2 = "payment-api-secondary-$name"
TOML
}

# The emulator's fixed keys, and nothing from this machine's AWS config.
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_EC2_METADATA_DISABLED=true
export AWS_CONFIG_FILE=/nonexistent AWS_SHARED_CREDENTIALS_FILE=/nonexistent AWS_DEFAULT_REGION=us-east-1

# seconds CMD...: wall time of CMD in seconds, its stdout in $work/out.
seconds() { local start end; start=$(date +%s.%N); "$@" >"$work/out"; end=$(date +%s.%N); echo "$end - $start" | bc; }

# median: of the numbers on stdin (space or newline separated).
median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
