"""The launcher's IAM policy simulator, on its own: wildcards, deny over allow, conditions, and
the principal's policies read from moto's IAM (users, groups, roles, inline and managed).

Run: python -m unittest discover -s tests/moto (scripts/test does)."""

import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))

from iam_simulator import evaluate  # noqa: E402

GLOBAL = "arn:aws:rds::123456789012:global-cluster:payment-global-prod"
CLUSTER = "arn:aws:rds:us-east-2:123456789012:cluster:payment-secondary-prod"


def policy(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


class Evaluate(unittest.TestCase):
    def test_nothing_allows_is_an_implicit_deny(self):
        self.assertEqual(evaluate([], "rds:FailoverGlobalCluster", GLOBAL), ("implicitDeny", []))

    def test_an_allow_on_the_resource_allows(self):
        documents = [policy({"Effect": "Allow", "Action": "rds:FailoverGlobalCluster", "Resource": [GLOBAL, CLUSTER]})]
        self.assertEqual(evaluate(documents, "rds:FailoverGlobalCluster", GLOBAL)[0], "allowed")
        other = "arn:aws:rds::123456789012:global-cluster:someone-elses"
        self.assertEqual(evaluate(documents, "rds:FailoverGlobalCluster", other)[0], "implicitDeny")

    def test_wildcards_in_actions_and_resources(self):
        documents = [policy({"Effect": "Allow", "Action": "RDS:Describe*", "Resource": "arn:aws:rds:us-east-?:*:cluster:*"})]
        self.assertEqual(evaluate(documents, "rds:DescribeDBClusters", CLUSTER)[0], "allowed")
        self.assertEqual(evaluate(documents, "rds:FailoverGlobalCluster", CLUSTER)[0], "implicitDeny")
        self.assertEqual(evaluate(documents, "rds:DescribeDBClusters", GLOBAL)[0], "implicitDeny")

    def test_an_explicit_deny_wins_over_any_allow(self):
        documents = [
            policy({"Effect": "Allow", "Action": "*", "Resource": "*"}),
            policy({"Effect": "Deny", "Action": "rds:Failover*", "Resource": "*"}),
        ]
        self.assertEqual(evaluate(documents, "rds:FailoverGlobalCluster", GLOBAL)[0], "explicitDeny")
        self.assertEqual(evaluate(documents, "rds:SwitchoverGlobalCluster", GLOBAL)[0], "allowed")

    def test_not_action_and_not_resource(self):
        documents = [policy({"Effect": "Allow", "NotAction": "iam:*", "NotResource": GLOBAL})]
        self.assertEqual(evaluate(documents, "rds:DescribeDBClusters", CLUSTER)[0], "allowed")
        self.assertEqual(evaluate(documents, "iam:CreateUser", CLUSTER)[0], "implicitDeny")
        self.assertEqual(evaluate(documents, "rds:DescribeDBClusters", GLOBAL)[0], "implicitDeny")

    def test_a_condition_is_decided_by_the_context_or_reported_missing(self):
        documents = [policy({
            "Effect": "Allow",
            "Action": "cloudwatch:PutMetricData",
            "Resource": "*",
            "Condition": {"StringEquals": {"cloudwatch:namespace": "PaymentDR/Failover"}},
        })]
        context = {"cloudwatch:namespace": ["PaymentDR/Failover"]}
        self.assertEqual(evaluate(documents, "cloudwatch:PutMetricData", "*", context), ("allowed", []))
        wrong = {"cloudwatch:namespace": ["Other"]}
        self.assertEqual(evaluate(documents, "cloudwatch:PutMetricData", "*", wrong)[0], "implicitDeny")
        self.assertEqual(
            evaluate(documents, "cloudwatch:PutMetricData", "*"),
            ("implicitDeny", ["cloudwatch:namespace"]),
        )


class OnMoto(unittest.TestCase):
    """The principal's policies as moto's IAM holds them."""

    def test_users_groups_and_roles(self):
        try:
            import boto3
            from moto import mock_aws
            from moto.iam.models import iam_backends
        except ImportError as missing:  # the emulator's venv has them; say so loudly elsewhere
            self.fail(f"moto is not installed: {missing}")
        from iam_simulator import principal_documents

        with mock_aws():
            iam = boto3.client("iam", region_name="us-east-1")
            iam.create_user(UserName="junior")
            iam.put_user_policy(UserName="junior", PolicyName="reads", PolicyDocument=policy(
                {"Effect": "Allow", "Action": "rds:Describe*", "Resource": "*"}))
            managed = iam.create_policy(PolicyName="routes", PolicyDocument=policy(
                {"Effect": "Allow", "Action": "route53:ChangeResourceRecordSets", "Resource": "*"}))
            iam.attach_user_policy(UserName="junior", PolicyArn=managed["Policy"]["Arn"])
            iam.create_group(GroupName="oncall")
            iam.put_group_policy(GroupName="oncall", PolicyName="no-promote", PolicyDocument=policy(
                {"Effect": "Deny", "Action": "rds:FailoverGlobalCluster", "Resource": "*"}))
            iam.add_user_to_group(GroupName="oncall", UserName="junior")
            iam.create_role(RoleName="OnCall", AssumeRolePolicyDocument=policy(
                {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}))
            iam.put_role_policy(RoleName="OnCall", PolicyName="all", PolicyDocument=policy(
                {"Effect": "Allow", "Action": "rds:*", "Resource": "*"}))
            backend = iam_backends["123456789012"]["global"]

            user = principal_documents(backend, "arn:aws:iam::123456789012:user/junior")
            self.assertEqual(evaluate(user, "rds:DescribeDBClusters", CLUSTER)[0], "allowed")
            self.assertEqual(evaluate(user, "route53:ChangeResourceRecordSets", "*")[0], "allowed")
            self.assertEqual(evaluate(user, "rds:FailoverGlobalCluster", GLOBAL)[0], "explicitDeny")
            role = principal_documents(backend, "arn:aws:iam::123456789012:role/OnCall")
            self.assertEqual(evaluate(role, "rds:FailoverGlobalCluster", GLOBAL)[0], "allowed")
            self.assertEqual(evaluate(role, "route53:ChangeResourceRecordSets", "*")[0], "implicitDeny")


if __name__ == "__main__":
    unittest.main()
