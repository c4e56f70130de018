"""The peer an on-call engineer writes in boto3: the same facts as `drtui status`, one call
after the other. Usage: python boto3_status.py ENDPOINT SUFFIX HOSTED_ZONE_ID STATE_MACHINE_ARN
Prints the facts as one JSON object (compare.sh checks they match drtui's).
"""

import datetime
import json
import sys

import boto3

ENDPOINT, SUFFIX, ZONE, MACHINE = sys.argv[1:5]
PRIMARY, SECONDARY = "us-east-1", "us-east-2"
ROLES = {PRIMARY: "primary", SECONDARY: "secondary"}


def client(service, region):
    return boto3.client(service, region_name=region, endpoint_url=ENDPOINT)


facts = {"clusters": {}, "alarms_firing": {}, "weights": {}}
for region in (PRIMARY, SECONDARY):
    rds = client("rds", region)
    cluster = rds.describe_db_clusters(DBClusterIdentifier=f"payment-{ROLES[region]}-{SUFFIX}")
    facts["clusters"][region] = cluster["DBClusters"][0]["Status"]
    cloudwatch = client("cloudwatch", region)
    alarms = cloudwatch.describe_alarms(AlarmNamePrefix=f"PaymentDR-{SUFFIX}")["MetricAlarms"]
    facts["alarms_firing"][region] = sum(1 for alarm in alarms if alarm["StateValue"] == "ALARM")
    cloudwatch.get_metric_data(
        MetricDataQueries=[
            {
                "Id": "q0",
                "MetricStat": {
                    "Metric": {
                        "Namespace": "AWS/ApiGateway",
                        "MetricName": "5XXError",
                        "Dimensions": [{"Name": "ApiName", "Value": f"payment-api-{ROLES[region]}-{SUFFIX}"}],
                    },
                    "Period": 60,
                    "Stat": "Sum",
                },
            }
        ],
        StartTime=datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(hours=1),
        EndTime=datetime.datetime.now(datetime.timezone.utc),
    )
    client("cloudformation", region).describe_stacks()
global_cluster = client("rds", SECONDARY).describe_global_clusters(
    GlobalClusterIdentifier=f"payment-global-{SUFFIX}"
)["GlobalClusters"][0]
facts["writer"] = next(
    member["DBClusterArn"].split(":")[3]
    for member in global_cluster["GlobalClusterMembers"]
    if member["IsWriter"]
)
records = client("route53", PRIMARY).list_resource_record_sets(HostedZoneId=ZONE)["ResourceRecordSets"]
for record in records:
    if "Weight" in record:
        region = PRIMARY if record["SetIdentifier"] == "primary" else SECONDARY
        facts["weights"][region] = record["Weight"]
executions = client("stepfunctions", PRIMARY).list_executions(stateMachineArn=MACHINE)["executions"]
facts["last_execution"] = executions[0]["status"] if executions else None
client("sts", PRIMARY).get_caller_identity()
print(json.dumps(facts, sort_keys=True, separators=(",", ":")))
