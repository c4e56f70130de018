"""Seed a moto server with a small copy of the reference payment estate, for drtui's tests.

Usage: python seed.py ENDPOINT SUFFIX [healthy-secondary] [healthy-primary] [provisioned]
[stale-metrics] [code-drift] [headless-secondary] [missing-parameter]. Prints
a JSON object with the generated ids (hosted zone, health checks, state machine ARN) so the test
can write drtui's config.

Parity: each cluster gets a db.r6g.large instance (none in the secondary with
`headless-secondary`), each region the three payment functions from the same code (the
secondary's transaction function from other code with `code-drift`), a REST API with a `prod`
stage throttled at 1000/2000, and the pair's SSM parameters under /payment-dr/SUFFIX/ROLE/ (the
secondary without `fraud-threshold` with `missing-parameter`). moto's default caller (user
`moto`) may do everything, so the permission preflight passes unless a test says otherwise.

`provisioned`: the estate's stacks were deployed from assets/cfn (`drtui run provision`); seed
only what moto's CloudFormation skips (AWS::RDS::DBCluster, AWS::CloudWatch::Alarm) and the
figures, and read the zone and health checks from the Route 53 stack's outputs.
"""

import datetime
import io
import json
import sys
import zipfile

import boto3
from botocore.exceptions import ClientError

ENDPOINT, SUFFIX = sys.argv[1], sys.argv[2]
OPTIONS = set(sys.argv[3:])
HEALTHY_SECONDARY = "healthy-secondary" in OPTIONS
# By default the primary serves 2 % 5XX (its alarm firing): impaired. This makes it clean.
HEALTHY_PRIMARY = "healthy-primary" in OPTIONS
PROVISIONED = "provisioned" in OPTIONS
# The figures' datapoints 14 minutes old (CloudWatch stopped receiving them): not current.
STALE_METRICS = "stale-metrics" in OPTIONS
CODE_DRIFT = "code-drift" in OPTIONS
HEADLESS_SECONDARY = "headless-secondary" in OPTIONS
MISSING_PARAMETER = "missing-parameter" in OPTIONS
# Every estate's record in one hosted zone (a fleet in one account: benches/fleet.sh).
SHARED_ZONE = "shared-zone" in OPTIONS
PRIMARY, SECONDARY = "us-east-1", "us-east-2"
ROLES = {PRIMARY: "primary", SECONDARY: "secondary"}
FUNCTIONS = ["payment-validation", "transaction-processing", "notification"]


def client(service, region):
    return boto3.client(
        service,
        region_name=region,
        endpoint_url=ENDPOINT,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def cluster_id(region):
    return f"payment-{ROLES[region]}-{SUFFIX}"


def api_name(region):
    return f"payment-api-{ROLES[region]}-{SUFFIX}"


def function_name(function, region):
    return f"{function}-{ROLES[region]}-{SUFFIX}"


out = {}

# Aurora global database: the first member to join is the writer.
def already_there(call, **kwargs):
    """Creates unless a stack already did (moto models some of these in CloudFormation)."""
    try:
        call(**kwargs)
    except ClientError as error:
        if "AlreadyExists" not in error.response["Error"]["Code"]:
            raise


rds = client("rds", PRIMARY)
already_there(rds.create_global_cluster, GlobalClusterIdentifier=f"payment-global-{SUFFIX}", Engine="aurora-postgresql")
for region in (PRIMARY, SECONDARY):
    already_there(
        client("rds", region).create_db_cluster,
        DBClusterIdentifier=cluster_id(region),
        Engine="aurora-postgresql",
        MasterUsername="payments",
        MasterUserPassword="not-a-secret-1",
        GlobalClusterIdentifier=f"payment-global-{SUFFIX}",
    )

# Parity: instances, functions, the API's stage, parameters; and the default caller's rights.
for region in (PRIMARY, SECONDARY):
    if region == SECONDARY and HEADLESS_SECONDARY:
        continue
    already_there(
        client("rds", region).create_db_instance,
        DBInstanceIdentifier=f"{cluster_id(region)}-1",
        DBInstanceClass="db.r6g.large",
        Engine="aurora-postgresql",
        DBClusterIdentifier=cluster_id(region),
    )

iam = client("iam", PRIMARY)
already_there(iam.create_role, RoleName=f"payment-functions-{SUFFIX}", AssumeRolePolicyDocument=json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
function_role = iam.get_role(RoleName=f"payment-functions-{SUFFIX}")["Role"]["Arn"]
# Seeds run concurrently (one per test): create, or find it made by another.
already_there(iam.create_user, UserName="moto")
iam.put_user_policy(UserName="moto", PolicyName="everything", PolicyDocument=json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))


def code(build):
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        # A fixed timestamp: the same build zips to the same bytes (the same CodeSha256).
        entry = zipfile.ZipInfo("index.py", date_time=(2026, 1, 1, 0, 0, 0))
        zipped.writestr(entry, f"BUILD = {build!r}\ndef handler(event, context):\n    return BUILD\n")
    return archive.getvalue()


for region in (PRIMARY, SECONDARY):
    functions = client("lambda", region)
    for function in FUNCTIONS:
        name = function_name(function, region)
        try:
            functions.get_function(FunctionName=name)
            continue
        except ClientError:
            pass
        drifted = CODE_DRIFT and region == SECONDARY and function == "transaction-processing"
        functions.create_function(
            FunctionName=name, Runtime="python3.12", Role=function_role, Handler="index.handler",
            Code={"ZipFile": code("2026-11-02" if drifted else "2026-12-01")},
            Environment={"Variables": {"REGION_ROLE": ROLES[region], "TABLE_NAME": f"payment-transactions-{SUFFIX}"}},
            MemorySize=512 if function == "transaction-processing" else 256,
            Timeout=30 if function == "transaction-processing" else 10,
        )
    gateway = client("apigateway", region)
    if not any(api["name"] == api_name(region) for api in gateway.get_rest_apis()["items"]):
        api = gateway.create_rest_api(name=api_name(region))["id"]
        root = gateway.get_resources(restApiId=api)["items"][0]["id"]
        gateway.put_method(restApiId=api, resourceId=root, httpMethod="GET", authorizationType="NONE")
        gateway.put_integration(restApiId=api, resourceId=root, httpMethod="GET", type="MOCK")
        gateway.create_deployment(restApiId=api, stageName="prod")
        gateway.update_stage(restApiId=api, stageName="prod", patchOperations=[
            {"op": "replace", "path": "/*/*/throttling/rateLimit", "value": "1000"},
            {"op": "replace", "path": "/*/*/throttling/burstLimit", "value": "2000"},
        ])
    parameters = client("ssm", region)
    under = f"/payment-dr/{SUFFIX}/{ROLES[region]}"
    for leaf, value in (
        ("region-role", ROLES[region]),
        ("db-cluster", cluster_id(region)),
        ("transactions-table", f"payment-transactions-{SUFFIX}"),
        ("fraud-threshold", "0.8"),
    ):
        if leaf == "fraud-threshold" and MISSING_PARAMETER and region == SECONDARY:
            continue
        parameters.put_parameter(Name=f"{under}/{leaf}", Value=value, Type="String", Overwrite=True)

# The stores moto's CloudFormation skips (AWS::DynamoDB::GlobalTable, the replicated
# AWS::SecretsManager::Secret): the payments table in each region, the database secret in the
# primary replicated to the secondary with ReplicateSecretToRegions.
for region in (PRIMARY, SECONDARY):
    already_there(
        client("dynamodb", region).create_table,
        TableName=f"payment-transactions-{SUFFIX}",
        KeySchema=[{"AttributeName": "transaction_id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "transaction_id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
secrets = client("secretsmanager", PRIMARY)
secret_name = f"payment-db-credentials-{SUFFIX}"
try:
    secrets.describe_secret(SecretId=secret_name)
except ClientError:
    secrets.create_secret(Name=secret_name, SecretString='{"username": "payments", "password": "seeded"}')
    secrets.replicate_secret_to_regions(SecretId=secret_name, AddReplicaRegions=[{"Region": SECONDARY}])
out["secret"] = secret_name

# Route 53: zone, HTTPS health checks on each API, weighted records 100/0.
if PROVISIONED:
    stack = client("cloudformation", PRIMARY).describe_stacks(StackName=f"PaymentDR-Route53-{SUFFIX}")["Stacks"][0]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
    out["hosted_zone_id"] = outputs["HostedZoneId"]
    out["record_name"] = outputs["RecordName"]
    health = {PRIMARY: outputs["PrimaryHealthCheckId"], SECONDARY: outputs["SecondaryHealthCheckId"]}
    out["health_checks"] = health
else:
    route53 = client("route53", PRIMARY)
    if SHARED_ZONE:
        domain = "payments-fleet.example.com"
        found = [z["Id"] for z in route53.list_hosted_zones()["HostedZones"] if z["Name"].rstrip(".") == domain]
        zone_id = (found[0] if found else route53.create_hosted_zone(Name=domain, CallerReference="zone-fleet")["HostedZone"]["Id"]).split("/")[-1]
        record = f"api-{SUFFIX}.{domain}"
    else:
        zone = route53.create_hosted_zone(Name=f"payments-{SUFFIX}.example.com", CallerReference=f"zone-{SUFFIX}")
        zone_id = zone["HostedZone"]["Id"].split("/")[-1]
        record = f"api.payments-{SUFFIX}.example.com"
    out["hosted_zone_id"] = zone_id
    out["record_name"] = record
    health = {}
    for region in (PRIMARY, SECONDARY):
        check = route53.create_health_check(
            CallerReference=f"hc-{region}-{SUFFIX}",
            HealthCheckConfig={
                "Type": "HTTPS",
                "FullyQualifiedDomainName": f"{api_name(region)}.execute-api.{region}.amazonaws.com",
                "ResourcePath": "/prod/health",
                "Port": 443,
                "RequestInterval": 30,
                "FailureThreshold": 3,
            },
        )
        health[region] = check["HealthCheck"]["Id"]
    out["health_checks"] = health
    route53.change_resource_record_sets(
        HostedZoneId=zone_id,
        ChangeBatch={
            "Changes": [
                {
                    "Action": "CREATE",
                    "ResourceRecordSet": {
                        "Name": record,
                        "Type": "CNAME",
                        "SetIdentifier": ROLES[region],
                        "Weight": weight,
                        "TTL": 60,
                        "HealthCheckId": health[region],
                        "ResourceRecords": [{"Value": f"{api_name(region)}.execute-api.{region}.amazonaws.com"}],
                    },
                }
                for region, weight in ((PRIMARY, 100), (SECONDARY, 0))
            ]
        },
    )


# CloudWatch: one minute of figures, two minutes ago (14 with stale-metrics), in each region.
at = datetime.datetime.now(datetime.timezone.utc).replace(second=0, microsecond=0) - datetime.timedelta(
    minutes=14 if STALE_METRICS else 2
)
figures = {
    PRIMARY: {"count": 1000.0, "5xx": 0.0 if HEALTHY_PRIMARY else 20.0, "4xx": 10.0, "latency": 85.0, "invocations": 100.0, "errors": [0.0 if HEALTHY_PRIMARY else 6.0, 0.0, 0.0], "duration": 120.0, "connections": 42.0, "cpu": 17.0},
    SECONDARY: {"count": 50.0, "5xx": 0.0, "4xx": 1.0, "latency": 90.0, "invocations": 10.0, "errors": [0.0, 0.0, 0.0], "duration": 110.0, "connections": 9.0, "cpu": 6.0},
}
for region, f in figures.items():
    cloudwatch = client("cloudwatch", region)

    def put(namespace, name, dimension, value, unit="Count"):
        cloudwatch.put_metric_data(
            Namespace=namespace,
            MetricData=[{"MetricName": name, "Dimensions": [dimension], "Timestamp": at, "Value": value, "Unit": unit}],
        )

    api = {"Name": "ApiName", "Value": api_name(region)}
    put("AWS/ApiGateway", "Count", api, f["count"])
    put("AWS/ApiGateway", "5XXError", api, f["5xx"])
    put("AWS/ApiGateway", "4XXError", api, f["4xx"])
    put("AWS/ApiGateway", "Latency", api, f["latency"], "Milliseconds")
    for function, errors in zip(FUNCTIONS, f["errors"]):
        fn = {"Name": "FunctionName", "Value": function_name(function, region)}
        put("AWS/Lambda", "Invocations", fn, f["invocations"])
        put("AWS/Lambda", "Errors", fn, errors)
        put("AWS/Lambda", "Duration", fn, f["duration"], "Milliseconds")
    db = {"Name": "DBClusterIdentifier", "Value": cluster_id(region)}
    put("AWS/RDS", "DatabaseConnections", db, f["connections"])
    put("AWS/RDS", "CPUUtilization", db, f["cpu"], "Percent")
    if region == SECONDARY:
        put("AWS/RDS", "AuroraGlobalDBRPOLag", db, 850.0, "Milliseconds")
    # The replicated stores, where their replication is published: the global table toward
    # the other region from each side, and the primary's S3 rule to the secondary (behind).
    other = SECONDARY if region == PRIMARY else PRIMARY
    table = [{"Name": "TableName", "Value": f"payment-transactions-{SUFFIX}"}, {"Name": "ReceivingRegion", "Value": other}]
    cloudwatch.put_metric_data(
        Namespace="AWS/DynamoDB",
        MetricData=[{"MetricName": "ReplicationLatency", "Dimensions": table, "Timestamp": at,
                     "Value": 1200.0 if region == PRIMARY else 900.0, "Unit": "Milliseconds"}],
    )
    if region == PRIMARY:
        # The storage template's names (moto's account is 123456789012).
        rule = [
            {"Name": "SourceBucket", "Value": f"payment-documents-primary-{SUFFIX}-123456789012"},
            {"Name": "DestinationBucket", "Value": f"payment-documents-secondary-{SUFFIX}-123456789012"},
            {"Name": "RuleId", "Value": "to-secondary"},
        ]
        cloudwatch.put_metric_data(
            Namespace="AWS/S3",
            MetricData=[
                {"MetricName": name, "Dimensions": rule, "Timestamp": at, "Value": value, "Unit": unit}
                for name, value, unit in (
                    ("ReplicationLatency", 40.0, "Seconds"),
                    ("OperationsPendingReplication", 3000.0, "Count"),
                    ("BytesPendingReplication", 4.5e9, "Bytes"),
                    ("OperationsFailedReplication", 2.0, "Count"),
                )
            ],
        )
    # Alarms: the reference four, one of them firing in the primary.
    prefix = f"PaymentDR-{SUFFIX}-{region}"
    for suffix, metric, namespace in (
        ("rds-replication-lag", "AuroraGlobalDBRPOLag", "AWS/RDS"),
        ("lambda-error-rate", "Errors", "AWS/Lambda"),
        ("api-5xx-rate", "5XXError", "AWS/ApiGateway"),
        ("db-connections", "DatabaseConnections", "AWS/RDS"),
    ):
        name = f"{prefix}-{suffix}"
        cloudwatch.put_metric_alarm(
            AlarmName=name, MetricName=metric, Namespace=namespace, Statistic="Maximum", Period=60,
            EvaluationPeriods=3, Threshold=1.0, ComparisonOperator="GreaterThanThreshold",
        )
        firing = region == PRIMARY and suffix == "api-5xx-rate" and not HEALTHY_PRIMARY
        cloudwatch.set_alarm_state(
            AlarmName=name,
            StateValue="ALARM" if firing else "OK",
            StateReason="Threshold Crossed: seeded 5XX rate 2.0 % > 1 %" if firing else "seeded quiet",
        )

# Route 53 health-check metrics live in us-east-1: the secondary's endpoint is failing.
cloudwatch = client("cloudwatch", PRIMARY)
secondary_health = (1.0, 100.0) if HEALTHY_SECONDARY else (0.0, 12.5)
for region, status, percent in ((PRIMARY, 1.0, 100.0), (SECONDARY, *secondary_health)):
    dimension = [{"Name": "HealthCheckId", "Value": health[region]}]
    cloudwatch.put_metric_data(
        Namespace="AWS/Route53",
        MetricData=[
            {"MetricName": "HealthCheckStatus", "Dimensions": dimension, "Timestamp": at, "Value": status},
            {"MetricName": "HealthCheckPercentageHealthy", "Dimensions": dimension, "Timestamp": at, "Value": percent},
        ],
    )

if PROVISIONED:
    # The traffic lever's alarm (in the secondary's monitoring stack, skipped by moto), quiet.
    lever = f"PaymentDR-{SUFFIX}-primary-traffic-off"
    client("cloudwatch", SECONDARY).put_metric_alarm(
        AlarmName=lever, MetricName="PrimaryTrafficOff", Namespace="PaymentDR/Failover", Statistic="Maximum",
        Period=10, EvaluationPeriods=1, Threshold=0.5, ComparisonOperator="GreaterThanThreshold",
    )
    client("cloudwatch", SECONDARY).set_alarm_state(AlarmName=lever, StateValue="OK", StateReason="seeded quiet")
    print(json.dumps(out))
    sys.exit(0)

# Step Functions: the failover state machine with one execution.
sfn = client("stepfunctions", PRIMARY)
machine = sfn.create_state_machine(
    name=f"PaymentDR-failover-{SUFFIX}",
    definition=json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}}),
    roleArn="arn:aws:iam::123456789012:role/failover",
)
out["state_machine"] = machine["stateMachineArn"]
# A past game day's execution, ended (moto's executions run until stopped: one left RUNNING
# would be an execution that could still move traffic, which drtui refuses to start beside).
seeded = sfn.start_execution(stateMachineArn=machine["stateMachineArn"], name="gameday-seeded")
sfn.stop_execution(executionArn=seeded["executionArn"], cause="seeded: a past game day")

# CloudFormation: one stack per region carrying the outputs `drtui discover` reads.
for region in (PRIMARY, SECONDARY):
    outputs = {
        "DbClusterIdentifier": cluster_id(region),
        "ApiName": api_name(region),
        **{f"{function.title().replace('-', '')}FunctionName": function_name(function, region) for function in FUNCTIONS},
    }
    if region == PRIMARY:
        outputs.update({
            "GlobalClusterIdentifier": f"payment-global-{SUFFIX}",
            "HostedZoneId": zone_id,
            "RecordName": record,
            "PrimaryHealthCheckId": health[PRIMARY],
            "SecondaryHealthCheckId": health[SECONDARY],
            "StateMachineArn": machine["stateMachineArn"],
            "AlarmPrefix": f"PaymentDR-{SUFFIX}",
        })
    template = {
        "Resources": {"Marker": {"Type": "AWS::SSM::Parameter", "Properties": {"Name": f"/drtui/{SUFFIX}/{region}", "Type": "String", "Value": SUFFIX}}},
        "Outputs": {key: {"Value": value} for key, value in outputs.items()},
    }
    client("cloudformation", region).create_stack(StackName=f"TapStack{SUFFIX}-{ROLES[region]}", TemplateBody=json.dumps(template))

print(json.dumps(out))
