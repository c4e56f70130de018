#!/usr/bin/env bash
# The peer an on-call engineer writes with the aws CLI: the same facts as `drtui status`, one
# command after the other. Usage: aws_cli_status.sh ENDPOINT SUFFIX HOSTED_ZONE_ID MACHINE_ARN
# Prints the facts as one JSON object (compare.sh checks they match drtui's).
set -euo pipefail
endpoint="$1" suffix="$2" zone="$3" machine="$4"
cli() { aws --endpoint-url "$endpoint" --output json "$@"; }
declare -A role=([us-east-1]=primary [us-east-2]=secondary)
clusters="{}" alarms="{}"
for region in us-east-1 us-east-2; do
  status=$(cli --region "$region" rds describe-db-clusters \
    --db-cluster-identifier "payment-${role[$region]}-$suffix" --query 'DBClusters[0].Status')
  clusters=$(jq -c --arg r "$region" --argjson s "$status" '. + {($r): $s}' <<<"$clusters")
  firing=$(cli --region "$region" cloudwatch describe-alarms --alarm-name-prefix "PaymentDR-$suffix" \
    --query 'length(MetricAlarms[?StateValue==`ALARM`])')
  alarms=$(jq -c --arg r "$region" --argjson n "$firing" '. + {($r): $n}' <<<"$alarms")
  cli --region "$region" cloudwatch get-metric-statistics --namespace AWS/ApiGateway \
    --metric-name 5XXError --dimensions "Name=ApiName,Value=payment-api-${role[$region]}-$suffix" \
    --statistics Sum --period 60 --start-time "$(date -u -d '-1 hour' +%FT%TZ)" \
    --end-time "$(date -u +%FT%TZ)" >/dev/null
  cli --region "$region" cloudformation describe-stacks >/dev/null
done
writer=$(cli --region us-east-2 rds describe-global-clusters --global-cluster-identifier \
  "payment-global-$suffix" --query 'GlobalClusters[0].GlobalClusterMembers[?IsWriter].DBClusterArn | [0]' \
  | jq -r 'split(":")[3]')
weights=$(cli --region us-east-1 route53 list-resource-record-sets --hosted-zone-id "$zone" \
  --query 'ResourceRecordSets[?Weight!=`null`].[SetIdentifier,Weight]' \
  | jq -c 'map({(if .[0] == "primary" then "us-east-1" else "us-east-2" end): .[1]}) | add')
last=$(cli --region us-east-1 stepfunctions list-executions --state-machine-arn "$machine" \
  --query 'executions[0].status')
cli --region us-east-1 sts get-caller-identity >/dev/null
jq -cnS --argjson clusters "$clusters" --argjson alarms "$alarms" --arg writer "$writer" \
  --argjson weights "$weights" --argjson last "$last" \
  '{clusters: $clusters, alarms_firing: $alarms, writer: $writer, weights: $weights, last_execution: $last}'
