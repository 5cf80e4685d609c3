"""The app's environment in the template (spotq.app_env): plain variables and secret references
on the container, the execution role's exact read access to those secrets, the app's own
task-role statements, the work queue (created, or the existing one the app names) and the model
artifact's read access.

A secret's value never appears here: the container definition carries only where ECS reads it
from (`Secrets[].ValueFrom`), and ECS resolves it with the execution role when the task starts.
"""

from __future__ import annotations

from typing import Any

from spotq.app_env import SecretRef, SecretStore
from spotq.aws.synth import ids
from spotq.aws.synth.cfn import Json, get_att, ref, sub
from spotq.aws.synth.context import Context

APP_POLICY_NAME = "app"  # the app's own statements: a policy apart, so their Sids cannot clash


def container_secrets(ctx: Context) -> list[Json]:
    return [
        {"Name": secret.env_name, "ValueFrom": _value_from(secret)}
        for secret in ctx.options.secret_refs
    ]


def _value_from(secret: SecretRef) -> Json | str:
    return sub(_ssm_arn(secret.value_from)) if secret.by_name else secret.value_from


def _ssm_arn(name: str) -> str:
    # A parameter's ARN is ...:parameter/NAME for a name without a leading slash, and
    # ...:parameter/a/b for "/a/b": one slash either way.
    return (
        "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/"
        + name.removeprefix("/")
    )


def _resource(secret: SecretRef) -> Json | str:
    return sub(_ssm_arn(secret.resource)) if secret.by_name else secret.resource


def secret_statements(ctx: Context) -> list[Json]:
    """Exactly ssm:GetParameters on the parameters and secretsmanager:GetSecretValue on the
    secrets the container names, and kms:Decrypt on the key only where the app names one."""
    refs = ctx.options.secret_refs
    statements: list[Json] = []
    parameters = _unique([_resource(s) for s in refs if s.store is SecretStore.SSM])
    if parameters:
        statements.append(_allow("ReadSecretParameters", "ssm:GetParameters", parameters))
    secrets = _unique([_resource(s) for s in refs if s.store is SecretStore.SECRETS_MANAGER])
    if secrets:
        statements.append(_allow("ReadSecrets", "secretsmanager:GetSecretValue", secrets))
    key = ctx.options.secrets_kms_key_arn
    if key is not None and refs:
        statements.append(_allow("DecryptSecrets", "kms:Decrypt", [key]))
    return statements


def _allow(sid: str, action: str, resources: list[Json | str]) -> Json:
    return {"Sid": sid, "Effect": "Allow", "Action": action, "Resource": resources}


def _unique(items: list[Json | str]) -> list[Json | str]:
    seen: list[Json | str] = []
    for item in items:
        if item not in seen:
            seen.append(item)
    return seen


def app_policy(ctx: Context) -> list[Json]:
    """The task role's second inline policy: the app's own statements, if it has any."""
    statements = [dict(s) for s in ctx.options.extra_statements]
    if not statements:
        return []
    return [
        {
            "PolicyName": APP_POLICY_NAME,
            "PolicyDocument": {"Version": "2012-10-17", "Statement": statements},
        }
    ]


def model_statements(ctx: Context) -> list[Json]:
    """Read the model artifact (any version of it: the worker fetches the version it checked)."""
    model = ctx.options.model
    if model is None:
        return []
    resource = sub(f"arn:${{AWS::Partition}}:s3:::{model.bucket}/{model.key}")
    return [
        {
            "Sid": "ReadModelArtifact",
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:GetObjectVersion"],
            "Resource": resource,
        }
    ]


# The work queue: with an existing queue (the `queue` option) the template creates no JobQueue
# and every reference to it (IAM, scaler, alarms, dashboard, outputs, the worker's config) is
# rewritten to the existing queue, in one place, so no resource module needs to know.


def creates_work_queue(ctx: Context) -> bool:
    return ctx.options.existing_queue is None


def point_at_existing_queue(ctx: Context, node: Any) -> Any:
    """`node` with JobQueue's Ref/GetAtt (and ${JobQueue...} in Fn::Sub) replaced by the existing
    queue's URL, ARN and name; unchanged without an existing queue."""
    existing = ctx.options.existing_queue
    if existing is None:
        return node
    slots = {
        f"${{{ids.QUEUE}.QueueName}}": existing.name,
        f"${{{ids.QUEUE}.Arn}}": existing.arn_template,
        f"${{{ids.QUEUE}}}": existing.url_template,
    }
    return _rewrite(node, slots, existing.name)


def _rewrite(node: Any, slots: dict[str, str], name: str) -> Any:
    if isinstance(node, list):
        return [_rewrite(item, slots, name) for item in node]
    if not isinstance(node, dict):
        return node
    if node == ref(ids.QUEUE):
        return _sub_if_needed(slots[f"${{{ids.QUEUE}}}"])
    if node == get_att(ids.QUEUE, "Arn"):
        return _sub_if_needed(slots[f"${{{ids.QUEUE}.Arn}}"])
    if node == get_att(ids.QUEUE, "QueueName"):
        return name
    if set(node) == {"Fn::Sub"} and isinstance(node["Fn::Sub"], str):
        text = node["Fn::Sub"]
        for slot, value in slots.items():
            text = text.replace(slot, value)
        return _sub_if_needed(text)
    return {key: _rewrite(value, slots, name) for key, value in node.items()}


def _sub_if_needed(text: str) -> Json | str:
    """Fn::Sub only where something is left to substitute (cfn-lint W1020)."""
    return sub(text) if "${" in text else text
