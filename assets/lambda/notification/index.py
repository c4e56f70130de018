"""Notification: tells the payer how their transaction ended, through the region's SNS topic."""

import json
import os


def message(transaction):
    """The subject and body for a transaction outcome."""
    status = transaction.get("status", "unknown")
    subject = {
        "recorded": "Payment received",
        "duplicate": "Payment already received",
    }.get(status, "Payment could not be completed")
    body = {
        "transaction_id": transaction.get("transaction_id"),
        "status": status,
        "region_role": os.environ.get("REGION_ROLE", "unknown"),
    }
    return subject, json.dumps(body, sort_keys=True)


def handler(event, _context, sns=None):
    if sns is None:
        import boto3  # imported here so the logic is testable without AWS

        sns = boto3.client("sns")
    subject, body = message(event)
    sns.publish(TopicArn=os.environ["TOPIC_ARN"], Subject=subject, Message=body)
    return {"notified": True, "subject": subject}
