"""Payment validation (API Gateway proxy integration): checks a payment request before it is
processed. Returns 200 with the normalised payment, or 400 with every problem found. `GET
/health` (what the Route 53 health checks probe) answers 200 from the function itself, so a
region whose functions cannot run reads unhealthy."""

import json
import os
import re

CURRENCIES = {"USD", "EUR", "GBP", "CAD", "AUD", "JPY"}
MAX_AMOUNT = 1_000_000
CARD_TOKEN = re.compile(r"^tok_[A-Za-z0-9]{8,64}$")


def validate(payment):
    """The problems with `payment` (a dict), empty when it is valid."""
    problems = []
    amount = payment.get("amount")
    if not isinstance(amount, (int, float)) or isinstance(amount, bool):
        problems.append("amount must be a number")
    elif not 0 < amount <= MAX_AMOUNT:
        problems.append(f"amount must be above 0 and at most {MAX_AMOUNT}")
    if payment.get("currency") not in CURRENCIES:
        problems.append(f"currency must be one of {', '.join(sorted(CURRENCIES))}")
    if not isinstance(payment.get("card_token"), str) or not CARD_TOKEN.match(payment["card_token"]):
        problems.append("card_token must look like tok_ followed by 8 to 64 letters or digits")
    if not isinstance(payment.get("transaction_id"), str) or not payment["transaction_id"]:
        problems.append("transaction_id is required")
    return problems


def response(status, body):
    return {"statusCode": status, "headers": {"Content-Type": "application/json"}, "body": json.dumps(body)}


def handler(event, _context):
    if event.get("httpMethod") == "GET" and event.get("path", "").endswith("/health"):
        return response(200, {"status": "ok", "region_role": os.environ.get("REGION_ROLE", "unknown")})
    try:
        payment = json.loads(event.get("body") or "")
    except (TypeError, ValueError):
        return response(400, {"errors": ["the body must be a JSON object"]})
    if not isinstance(payment, dict):
        return response(400, {"errors": ["the body must be a JSON object"]})
    problems = validate(payment)
    if problems:
        return response(400, {"errors": problems})
    payment["currency"] = payment["currency"].upper()
    return response(200, {"valid": True, "payment": payment})
