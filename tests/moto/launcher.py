"""Start moto's server on 127.0.0.1 with the Aurora global-database operations moto lacks.

moto 5.2.5 does not implement FailoverGlobalCluster or SwitchoverGlobalCluster, and never
reports FailoverState. This launcher adds both operations on moto's own RDS models: the
request puts a FailoverState on the global cluster (status switching-over / failing-over,
IsDataLossAllowed, FromDbClusterArn, ToDbClusterArn), and after DRTUI_MOTO_FAILOVER_SECONDS
(default 1.0) the writer flag moves to the target member and the FailoverState clears, as on
AWS. The AWS SDK for Rust speaks Smithy RPC v2 CBOR to CloudWatch, which moto does not route
(404). A small WSGI bridge in front of moto turns such a request into the JSON protocol moto
serves, and the answer back into CBOR, using botocore's model of the operation for the types.

Two more operations moto lacks, for the parity and permission checks: IAM's
SimulatePrincipalPolicy over moto's own users, groups, roles and policies (iam_simulator.py,
tested in test_iam_simulator.py), and Lambda's GetAccountSettings, which answers a concurrency
limit per region from DRTUI_MOTO_LAMBDA_CONCURRENCY ("us-east-1=1000,us-east-2=100"; 1000
where unset).

Usage: python launcher.py [PORT]; prints "PORT <n>" once the server listens on 127.0.0.1,
and exits when its standard input closes (the test process that started it is gone).
"""

import base64
import datetime
import io
import json
import os
import sys
import threading

import botocore.session
import cbor2
from moto.cloudformation.models import CloudFormationBackend, Event
from moto.core.responses import ActionResult
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from moto.rds.exceptions import DBClusterNotFoundError, InvalidDBClusterStateFault, RDSClientError
from moto.rds.responses import RDSResponse
from werkzeug.serving import make_server

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import iam_simulator  # noqa: E402

iam_simulator.install()

DELAY_SECONDS = float(os.environ.get("DRTUI_MOTO_FAILOVER_SECONDS", "1.0"))
# Guards every change of a global cluster's membership flags.
LOCK = threading.Lock()


class GlobalClusterNotFound(RDSClientError):
    def __init__(self, identifier):
        super().__init__("GlobalClusterNotFoundFault", f"Global cluster {identifier} not found.")


def _find_member(global_cluster, target):
    for member in global_cluster.members:
        if target in (member.db_cluster_arn, member.db_cluster_identifier):
            return member
    raise DBClusterNotFoundError(target, f"{target} is not a member of {global_cluster.global_cluster_identifier}.")


def _move_writer(self, status, allow_data_loss):
    identifier = self.params.get("GlobalClusterIdentifier")
    target = self.params.get("TargetDbClusterIdentifier")
    global_cluster = self.global_backend.global_clusters.get(identifier)
    if global_cluster is None:
        raise GlobalClusterNotFound(identifier)
    with LOCK:
        if getattr(global_cluster, "failover_state", None):
            raise InvalidDBClusterStateFault(f"{identifier} is already {global_cluster.failover_state['Status']}.")
        new_writer = _find_member(global_cluster, target)
        if new_writer.is_writer:
            raise InvalidDBClusterStateFault(f"{target} is already the writer of {identifier}.")
        old_writer = next((member for member in global_cluster.members if member.is_writer), None)
        global_cluster.failover_state = {
            "Status": status,
            "FromDbClusterArn": old_writer.db_cluster_arn if old_writer else None,
            "ToDbClusterArn": new_writer.db_cluster_arn,
            "IsDataLossAllowed": allow_data_loss,
        }

    def complete():
        with LOCK:
            for member in global_cluster.members:
                member.is_writer = member is new_writer
            global_cluster.failover_state = None

    threading.Timer(DELAY_SECONDS, complete).start()
    return ActionResult({"GlobalCluster": global_cluster})


def switchover_global_cluster(self):
    return _move_writer(self, "switching-over", False)


def failover_global_cluster(self):
    allow = str(self.params.get("AllowDataLoss", "false")).lower() == "true"
    switchover = str(self.params.get("Switchover", "false")).lower() == "true"
    return _move_writer(self, "switching-over" if switchover else "failing-over", allow)


RDSResponse.switchover_global_cluster = switchover_global_cluster
RDSResponse.failover_global_cluster = failover_global_cluster


_execute_change_set = CloudFormationBackend.execute_change_set


def execute_change_set(self, change_set_name, stack_name=None):
    """moto applies a change set's resources but keeps the stack's outputs and exports from
    before (none, for a new stack) and records stack-level events only. As on AWS: outputs and
    exports follow the applied template, and each changed resource gets its own events."""
    change_set = self.describe_change_set(change_set_name)
    stack = self.stacks[change_set.stack_id]
    # A stack made by a CREATE change set does not see the region's exports (Fn::ImportValue).
    stack.cross_stack_resources = self.exports
    stack.resource_map.cross_stack_resources = self.exports
    _execute_change_set(self, change_set_name, stack_name)
    finished = stack.events.pop()
    for change in change_set.changes:
        action = {"Add": "CREATE", "Modify": "UPDATE", "Remove": "DELETE"}.get(change.action, "UPDATE")
        for state in ("IN_PROGRESS", "COMPLETE"):
            stack.events.append(Event(
                stack_id=stack.stack_id,
                stack_name=stack.name,
                logical_resource_id=change.logical_resource_id,
                physical_resource_id=change.logical_resource_id,
                resource_type=change.resource_type,
                resource_status=f"{action}_{state}",
                resource_status_reason=None,
                resource_properties=None,
            ))
    stack.events.append(finished)
    stack.template_dict = change_set.template_dict
    stack.parameters = change_set.parameters
    stack.output_map = stack._create_output_map()
    for export in stack.exports:
        self.exports[export.name] = export


CloudFormationBackend.execute_change_set = execute_change_set


MODELS = {}


def service_model(target_prefix):
    if not MODELS:
        session = botocore.session.get_session()
        for name in ("cloudwatch",):
            model = session.get_service_model(name)
            MODELS[model.metadata["targetPrefix"]] = model
    return MODELS[target_prefix]


def epoch(value):
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=datetime.timezone.utc)
        return value.timestamp()
    if isinstance(value, str):
        return datetime.datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    return float(value)


def cbor_to_json(value, shape):
    """Decoded CBOR request member -> the JSON protocol's form of it."""
    if shape is None or value is None:
        return value
    kind = shape.type_name
    if kind == "structure":
        return {name: cbor_to_json(value[name], shape.members.get(name)) for name in value if name in shape.members}
    if kind == "list":
        return [cbor_to_json(item, shape.member) for item in value]
    if kind == "map":
        return {key: cbor_to_json(item, shape.value) for key, item in value.items()}
    if kind == "timestamp":
        return epoch(value.value if isinstance(value, cbor2.CBORTag) else value)
    if kind == "blob":
        return base64.b64encode(value).decode()
    return value


def json_to_cbor(value, shape):
    """JSON protocol response member -> what a Smithy RPC v2 CBOR client expects."""
    if shape is None or value is None:
        return value
    kind = shape.type_name
    if kind == "structure":
        return {name: json_to_cbor(value[name], shape.members[name]) for name in value if name in shape.members}
    if kind == "list":
        return [json_to_cbor(item, shape.member) for item in value]
    if kind == "map":
        return {key: json_to_cbor(item, shape.value) for key, item in value.items()}
    if kind == "timestamp":
        return cbor2.CBORTag(1, epoch(value))
    if kind in ("double", "float"):
        return float(value)
    if kind in ("integer", "long"):
        return int(value)
    if kind == "blob":
        return base64.b64decode(value)
    return value


class CborBridge:
    """WSGI middleware: /service/{Target}/operation/{Op} in CBOR -> moto's JSON protocol."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        parts = environ.get("PATH_INFO", "").strip("/").split("/")
        if len(parts) != 4 or parts[0] != "service" or parts[2] != "operation":
            return self.app(environ, start_response)
        target, operation = parts[1], parts[3]
        operation_model = service_model(target).operation_model(operation)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length) if length else b""
        request = cbor2.loads(raw) if raw else {}
        body = json.dumps(cbor_to_json(request, operation_model.input_shape) or {}).encode()
        forwarded = dict(environ)
        forwarded.update({
            "PATH_INFO": "/",
            "RAW_URI": "/",
            "REQUEST_URI": "/",
            "CONTENT_TYPE": "application/x-amz-json-1.0",
            "CONTENT_LENGTH": str(len(body)),
            "HTTP_X_AMZ_TARGET": f"{target}.{operation}",
            "wsgi.input": io.BytesIO(body),
        })
        captured = {}

        def capture(status, headers, exc_info=None):
            captured["status"] = status
            return lambda data: None

        answer = b"".join(self.app(forwarded, capture))
        status = captured.get("status", "500 Internal Server Error")
        parsed = json.loads(answer) if answer.strip().startswith(b"{") else {}
        if int(status.split()[0]) >= 400:
            code = str(parsed.get("__type", "InternalFailure")).split("#")[-1]
            document = {"__type": code, "message": parsed.get("message") or parsed.get("Message") or answer.decode(errors="replace")[:200]}
        else:
            document = json_to_cbor(parsed, operation_model.output_shape) or {}
        payload = cbor2.dumps(document)
        start_response(status, [
            ("Content-Type", "application/cbor"),
            ("smithy-protocol", "rpc-v2-cbor"),
            ("Content-Length", str(len(payload))),
        ])
        return [payload]


class LambdaAccountSettings:
    """Lambda's GetAccountSettings (moto answers 404): the account's limits in the region the
    request was signed for."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "").rstrip("/")
        if environ.get("REQUEST_METHOD") != "GET" or not path.endswith("/account-settings"):
            return self.app(environ, start_response)
        authorization = environ.get("HTTP_AUTHORIZATION", "")
        region = authorization.split("Credential=", 1)[-1].split("/")[2] if "Credential=" in authorization else ""
        limits = dict(
            entry.split("=", 1)
            for entry in os.environ.get("DRTUI_MOTO_LAMBDA_CONCURRENCY", "").split(",")
            if "=" in entry
        )
        limit = int(limits.get(region, "1000"))
        payload = json.dumps({
            "AccountLimit": {
                "TotalCodeSize": 80530636800,
                "CodeSizeUnzipped": 262144000,
                "CodeSizeZipped": 52428800,
                "ConcurrentExecutions": limit,
                "UnreservedConcurrentExecutions": limit,
            },
            "AccountUsage": {"TotalCodeSize": 0, "FunctionCount": 0},
        }).encode()
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))])
        return [payload]


def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    app = LambdaAccountSettings(CborBridge(DomainDispatcherApplication(create_backend_app)))
    server = make_server("127.0.0.1", port, app, threaded=True, request_handler=MotoRequestHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(f"PORT {server.server_port}", flush=True)
    sys.stdin.read()
    server.shutdown()


if __name__ == "__main__":
    main()
