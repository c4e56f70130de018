"""Unit tests of the three payment functions (run by ./scripts/test):
python -m unittest discover -s assets/lambda/tests"""

import importlib.util
import json
import pathlib
import unittest

HERE = pathlib.Path(__file__).resolve().parent.parent


def load(name):
    spec = importlib.util.spec_from_file_location(name, HERE / name / "index.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


validation = load("payment_validation")
processing = load("transaction_processing")
notification = load("notification")

GOOD = {"transaction_id": "t-1", "amount": 42.5, "currency": "USD", "card_token": "tok_abcdef12"}


class PaymentValidation(unittest.TestCase):
    def call(self, body):
        result = validation.handler({"body": json.dumps(body) if not isinstance(body, str) else body}, None)
        return result["statusCode"], json.loads(result["body"])

    def test_a_good_payment_passes(self):
        status, body = self.call(GOOD)
        self.assertEqual(status, 200)
        self.assertTrue(body["valid"])

    def test_every_problem_is_named(self):
        status, body = self.call({"amount": -1, "currency": "XXX", "card_token": "4111"})
        self.assertEqual(status, 400)
        self.assertEqual(len(body["errors"]), 4, body)

    def test_health_answers_from_the_function_with_its_region_role(self):
        result = validation.handler({"httpMethod": "GET", "path": "/prod/health"}, None)
        self.assertEqual(result["statusCode"], 200)
        self.assertEqual(json.loads(result["body"])["status"], "ok")

    def test_every_source_fits_a_cloudformation_parameter(self):
        # The provision runbook passes each source as inline code through a parameter.
        for name in ("payment_validation", "transaction_processing", "notification"):
            size = len((HERE / name / "index.py").read_bytes())
            self.assertLessEqual(size, 4096, f"{name}/index.py is {size} bytes")

    def test_garbage_is_a_400_not_a_crash(self):
        for garbage in ["", "not json", "[1, 2]", "null"]:
            status, body = self.call(garbage)
            self.assertEqual(status, 400, garbage)
        status, _ = self.call({**GOOD, "amount": True})
        self.assertEqual(status, 400)


class ConditionalCheckFailed(Exception):
    response = {"Error": {"Code": "ConditionalCheckFailedException"}}


class FakeTable:
    def __init__(self):
        self.items = {}

    def put_item(self, Item, ConditionExpression):
        self.assert_condition = ConditionExpression
        if Item["transaction_id"] in self.items:
            raise ConditionalCheckFailed()
        self.items[Item["transaction_id"]] = Item


class TransactionProcessing(unittest.TestCase):
    def test_a_transaction_is_recorded_once(self):
        table = FakeTable()
        first = processing.handler({"payment": GOOD}, None, table=table)
        again = processing.handler({"payment": GOOD}, None, table=table)
        self.assertEqual(first["status"], "recorded")
        self.assertEqual(again["status"], "duplicate")
        self.assertEqual(len(table.items), 1)
        self.assertEqual(table.items["t-1"]["amount"], "42.5")

    def test_other_failures_are_not_swallowed(self):
        class Broken:
            def put_item(self, **_):
                raise RuntimeError("throttled")

        with self.assertRaises(RuntimeError):
            processing.handler({"payment": GOOD}, None, table=Broken())


class Notification(unittest.TestCase):
    def test_the_outcome_is_published_to_the_topic(self):
        sent = []

        class FakeSns:
            def publish(self, **message):
                sent.append(message)

        import os

        os.environ["TOPIC_ARN"] = "arn:aws:sns:us-east-1:123456789012:payment-notifications-primary-prod"
        result = notification.handler({"transaction_id": "t-1", "status": "recorded"}, None, sns=FakeSns())
        self.assertTrue(result["notified"])
        self.assertEqual(sent[0]["Subject"], "Payment received")
        self.assertEqual(json.loads(sent[0]["Message"])["transaction_id"], "t-1")
        self.assertEqual(notification.message({"status": "failed"})[0], "Payment could not be completed")


if __name__ == "__main__":
    unittest.main()
