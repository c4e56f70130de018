"""IAM's SimulatePrincipalPolicy over moto's IAM models, which moto 5.2.5 lacks.

What it evaluates, as IAM does for identity-based policies:
- the principal's policies: a user's inline and attached managed policies and those of its
  groups; a role's inline and attached managed policies (resource policies, permission
  boundaries, SCPs and session policies are not modelled);
- each statement's Action/NotAction and Resource/NotResource, with `*` and `?` wildcards
  (actions case-insensitive, resources case-sensitive);
- conditions: `StringEquals`/`StringLike` against the request's ContextEntries; a statement
  whose condition cannot be decided (another operator, a key not given) does not apply, and
  the key is reported in MissingContextValues;
- an explicit Deny wins, then an Allow, else `implicitDeny`.

One EvaluationResult per action and resource (EvalResourceName set), as AWS answers when
ResourceArns are given. `evaluate` is pure and tested on its own (test_iam_simulator.py);
`install` adds the operation to moto's IAM responses.
"""

import fnmatch
import json
import re
from urllib.parse import unquote


def _as_list(value):
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _matches(pattern, value, case_sensitive):
    regex = fnmatch.translate(pattern)
    return re.match(regex, value, 0 if case_sensitive else re.IGNORECASE) is not None


def _any_match(patterns, value, case_sensitive):
    return any(_matches(pattern, value, case_sensitive) for pattern in patterns)


def _condition_holds(condition, context, missing):
    """Whether a statement's Condition block holds for the context; None when undecidable."""
    for operator, keys in (condition or {}).items():
        for key, expected in keys.items():
            given = context.get(key.lower())
            if given is None:
                missing.add(key)
                return None
            if operator == "StringEquals":
                if not any(value in _as_list(expected) for value in given):
                    return False
            elif operator == "StringLike":
                if not any(_any_match(_as_list(expected), value, True) for value in given):
                    return False
            else:
                return None
    return True


def _applies(statement, action, resource, context, missing):
    if "Action" in statement and not _any_match(_as_list(statement["Action"]), action, False):
        return False
    if "NotAction" in statement and _any_match(_as_list(statement["NotAction"]), action, False):
        return False
    if "Resource" in statement and not _any_match(_as_list(statement["Resource"]), resource, True):
        return False
    if "NotResource" in statement and _any_match(_as_list(statement["NotResource"]), resource, True):
        return False
    return _condition_holds(statement.get("Condition"), context, missing) is True


def evaluate(documents, action, resource, context=None):
    """The decision for one action on one resource under these policy documents (JSON text or
    dicts): ("allowed" | "explicitDeny" | "implicitDeny", the context keys that were missing)."""
    context = {key.lower(): _as_list(values) for key, values in (context or {}).items()}
    missing = set()
    allowed = False
    for document in documents:
        if isinstance(document, str):
            document = json.loads(unquote(document) if document.startswith("%7B") else document)
        for statement in _as_list(document.get("Statement")):
            if not _applies(statement, action, resource, context, missing):
                continue
            if statement.get("Effect") == "Deny":
                return "explicitDeny", sorted(missing)
            if statement.get("Effect") == "Allow":
                allowed = True
    return ("allowed" if allowed else "implicitDeny"), sorted(missing)


def _default_document(policy):
    for version in policy.versions:
        if version.version_id == policy.default_version_id:
            return version.document
    return "{}"


def principal_documents(backend, principal_arn):
    """The identity policies of a user or role of moto's IAM backend, by ARN."""
    kind, _, name = principal_arn.split(":", 5)[-1].partition("/")
    name = name.rsplit("/", 1)[-1]
    if kind == "user":
        user = backend.get_user(name)
        documents = list(user.policies.values())
        documents += [_default_document(policy) for policy in user.managed_policies.values()]
        for group in backend.get_groups_for_user(name):
            documents += list(group.policies.values())
            documents += [_default_document(policy) for policy in group.managed_policies.values()]
        return documents
    if kind == "role":
        role = backend.get_role(name)
        documents = list(role.policies.values())
        documents += [_default_document(policy) for policy in role.managed_policies.values()]
        return documents
    raise ValueError(f"{principal_arn} is not a user or a role")


def install():
    """Adds SimulatePrincipalPolicy to moto's IAM responses."""
    from moto.core.responses import ActionResult
    from moto.iam.exceptions import NotFoundException
    from moto.iam.responses import IamResponse

    def simulate_principal_policy(self):
        principal = self._get_param("PolicySourceArn")
        actions = self._get_param("ActionNames", []) or []
        resources = self._get_param("ResourceArns", []) or ["*"]
        context = {}
        for entry in self._get_param("ContextEntries", []) or []:
            context[entry["ContextKeyName"]] = entry.get("ContextKeyValues", [])
        try:
            documents = principal_documents(self.backend, principal)
        except Exception as error:  # moto's own not-found errors differ by kind
            raise NotFoundException(f"{principal}: {error}")
        results = []
        for action in actions:
            for resource in resources:
                decision, missing = evaluate(documents, action, resource, context)
                results.append({
                    "EvalActionName": action,
                    "EvalResourceName": resource,
                    "EvalDecision": decision,
                    "MatchedStatements": [],
                    "MissingContextValues": missing,
                })
        return ActionResult({"EvaluationResults": results, "IsTruncated": False})

    IamResponse.simulate_principal_policy = simulate_principal_policy
