#!/usr/bin/env bash
# A crowd on one pair (BENCHMARKS.md, issue 24): N `drtui status --watch` processes (each a
# dashboard's pollers) on one pair for SECONDS, with `share = true` (one polls, the others read
# its snapshot from the lock table) and without; the calls every process made, summed, per
# poll: to AWS (DynamoDB's shared item aside), to DynamoDB, and Route 53's a second.
# Usage: [DRTUI_BIN=target/debug/drtui] benches/crowd.sh [SECONDS=60] [N...=1 20]. Needs the
# emulator venv and jq. (It counts calls: a debug binary will do.)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
shift || true
if [ "$#" -gt 0 ]; then counts=("$@"); else counts=(1 20); fi
source benches/peers/estate.sh
start_moto
endpoint="$moto"
seed crowd
"$python" - "$moto" <<'PY'
import sys, boto3
boto3.client('dynamodb', region_name='us-east-2', endpoint_url=sys.argv[1],
             aws_access_key_id='testing', aws_secret_access_key='testing').create_table(
    TableName='drtui-locks-crowd', KeySchema=[{'AttributeName': 'LockID', 'KeyType': 'HASH'}],
    AttributeDefinitions=[{'AttributeName': 'LockID', 'AttributeType': 'S'}],
    BillingMode='PAY_PER_REQUEST')
PY
config() { # share: true or false
  pair_toml crowd | sed "s/^alarm_prefix.*/&\nlock_table = \"drtui-locks-crowd\"\nshare = $1/"
}
crowd() { # share processes: run them for $seconds, sum their calls
  config "$1" >"$work/crowd.toml"
  local pids=()
  for n in $(seq "$2"); do
    "$drtui" --config "$work/crowd.toml" --region-pair crowd status --watch --format json \
      >"$work/lines.$n" 2>/dev/null &
    pids+=("$!")
  done
  sleep "$seconds"
  kill "${pids[@]}" 2>/dev/null || true
  wait "${pids[@]}" 2>/dev/null || true
  # Every report after each process's first (its start-up round reads everything once).
  for lines in "$work"/lines.*; do tail -n +2 "$lines"; done | jq -s --arg seconds "$seconds" --arg share "$1" --arg n "$2" '
    [.[] | select(.api_calls != null)] as $all
    | ($all | map(.api_calls | to_entries[] | {service: .key, calls: ([.value[]] | add)})) as $calls
    | ($calls | map(select(.service != "dynamodb")) | map(.calls) | add // 0) as $aws
    | ($calls | map(select(.service == "dynamodb")) | map(.calls) | add // 0) as $ddb
    | ($calls | map(select(.service == "route53")) | map(.calls) | add // 0) as $r53
    | ($seconds | tonumber) as $s
    | "share=\($share) processes=\($n): AWS calls \($aws) (\($aws / ($s / 5) | floor) per 5 s poll), DynamoDB \($ddb), Route 53 \($r53 / $s * 100 | round / 100)/s over \($s) s"' -r
  rm -f "$work"/lines.*
}
for n in "${counts[@]}"; do
  crowd true "$n"
  crowd false "$n"
done
# The shared item as the poller last wrote it: its size compressed and as JSON.
"$python" - "$moto" <<'PY'
import sys, zlib, boto3
item = boto3.client('dynamodb', region_name='us-east-2', endpoint_url=sys.argv[1],
                    aws_access_key_id='testing', aws_secret_access_key='testing').get_item(
    TableName='drtui-locks-crowd', Key={'LockID': {'S': 'drtui/crowd/poller'}})['Item']
blob = item['snapshot']['B']
print(f"shared snapshot: {len(blob) / 1024:.1f} KB deflated, {len(zlib.decompress(blob, -15)) / 1024:.1f} KB of JSON (DynamoDB's item limit: 400 KB)")
PY
