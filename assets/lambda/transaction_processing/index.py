"""Transaction processing: records a validated payment in the DynamoDB global table, once.
A retried delivery of the same transaction_id is acknowledged, not recorded twice."""

import os
import time


def record(table, payment, now=None):
    """Writes `payment` unless its transaction_id is already there; returns the outcome."""
    item = {
        "transaction_id": payment["transaction_id"],
        "amount": str(payment["amount"]),
        "currency": payment["currency"],
        "status": "recorded",
        "recorded_at": int(now if now is not None else time.time()),
        "region_role": os.environ.get("REGION_ROLE", "unknown"),
    }
    try:
        table.put_item(Item=item, ConditionExpression="attribute_not_exists(transaction_id)")
    except Exception as error:  # boto3 raises a modelled ClientError
        code = getattr(error, "response", {}).get("Error", {}).get("Code")
        if code == "ConditionalCheckFailedException":
            return {"transaction_id": item["transaction_id"], "status": "duplicate"}
        raise
    return {"transaction_id": item["transaction_id"], "status": "recorded"}


def handler(event, _context, table=None):
    if table is None:
        import boto3  # imported here so the logic is testable without AWS

        table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])
    return record(table, event["payment"])
