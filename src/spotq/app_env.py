"""The app's environment, as declared in its App options: plain environment variables, secrets
(SSM Parameter Store or Secrets Manager, referenced, never held), an existing queue to consume,
and a model artifact in S3. Parsed and checked once when the app file is imported, so a typo is
an error at `spotq synth` time, not a task that fails to start in production.

Why App options rather than a `spotq.toml`: the app file is already the one thing every part of
spotq loads (worker, fleet, planner, synthesis), the decoder hook for foreign messages must be a
function in it anyway, and a second file would need its own search rules and could disagree.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urlsplit

from spotq.errors import AppError

_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,254}")
# spotq sets these in the container itself; an app value would silently break the worker.
RESERVED_ENV = frozenset(
    {"SPOTQ_APP", "SPOTQ_STACK_CONFIG", "AWS_REGION", "AWS_DEFAULT_REGION", "TMPDIR", "HOME"}
)
_RESERVED_PREFIXES = ("SPOTQ_", "ECS_", "AWS_CONTAINER_")
_PARTITION = r"aws(?:-cn|-us-gov)?"
_REGION = r"[a-z]{2}(?:-[a-z]+)+-\d"
_ACCOUNT = r"\d{12}"
_SSM_ARN = re.compile(rf"arn:{_PARTITION}:ssm:{_REGION}:{_ACCOUNT}:parameter/[A-Za-z0-9_.\-/]+")
_SSM_NAME = re.compile(r"/?[A-Za-z0-9_.\-]+(?:/[A-Za-z0-9_.\-]+)*")
# A full secret ARN ends in "-" and six random characters; ECS may add ":json-key:stage:version".
_SECRET_ARN = re.compile(
    rf"(arn:{_PARTITION}:secretsmanager:{_REGION}:{_ACCOUNT}:secret:[A-Za-z0-9/_+=.@\-]+"
    r"-[A-Za-z0-9]{6})((?::[^:]*){3})?"
)
_KMS_KEY_ARN = re.compile(rf"arn:{_PARTITION}:kms:{_REGION}:{_ACCOUNT}:key/[0-9a-fA-F\-]{{36}}")
_QUEUE_ARN = re.compile(
    rf"arn:({_PARTITION}):sqs:({_REGION}):({_ACCOUNT}):([A-Za-z0-9_\-]{{1,80}})"
)
_QUEUE_NAME = re.compile(r"[A-Za-z0-9_\-]{1,80}")
_AWS_SQS_HOST = re.compile(
    rf"(?:sqs\.({_REGION})\.amazonaws\.com(?:\.cn)?|({_REGION})\.queue\.amazonaws\.com)"
)
_S3_BUCKET = re.compile(r"[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]")


class SecretStore(StrEnum):
    SSM = "ssm"
    SECRETS_MANAGER = "secretsmanager"


@dataclass(frozen=True)
class SecretRef:
    """One secret: the environment variable it becomes and where ECS reads it from.

    `arn` is a full ARN, or for an SSM parameter given by name the parameter path (the template
    builds the ARN for the stack's own account and region). `value_from` is what ECS is given;
    `resource` is what the execution role is allowed to read (the secret without a JSON key)."""

    env_name: str
    store: SecretStore
    value_from: str
    resource: str
    by_name: bool = False


@dataclass(frozen=True)
class QueueRef:
    """An existing SQS queue the workers consume instead of the queue spotq would create."""

    name: str
    url: str | None  # as given; None when given as an ARN (looked up by name and account)
    account: str | None
    region: str | None  # None: the stack's own region
    partition: str | None

    @property
    def arn_template(self) -> str:
        """Its ARN as an Fn::Sub string (the partition/region/account the stack's where unknown)."""
        partition = self.partition or "${AWS::Partition}"
        region = self.region or "${AWS::Region}"
        account = self.account or "${AWS::AccountId}"
        return f"arn:{partition}:sqs:{region}:{account}:{self.name}"

    @property
    def url_template(self) -> str:
        """Its URL as an Fn::Sub string: as given, or built from the ARN's parts."""
        if self.url is not None:
            return self.url
        region = self.region or "${AWS::Region}"
        return f"https://sqs.{region}.${{AWS::URLSuffix}}/{self.account}/{self.name}"


@dataclass(frozen=True)
class ModelRef:
    bucket: str
    key: str

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


def check_environment(environment: Mapping[str, str]) -> None:
    for name, value in environment.items():
        _check_env_name(name, "environment")
        if not isinstance(value, str):
            raise AppError(f"environment[{name!r}]: expected a string, got {type(value).__name__}")


def _check_env_name(name: object, where: str) -> None:
    if not isinstance(name, str) or not _ENV_NAME.fullmatch(name):
        raise AppError(f"{where}: {name!r} is not an environment variable name")
    if name in RESERVED_ENV or name.startswith(_RESERVED_PREFIXES):
        raise AppError(f"{where}: {name!r} is set by spotq or ECS itself; choose another name")


def parse_secrets(secrets: Mapping[str, str]) -> tuple[SecretRef, ...]:
    """`{"ENV_NAME": reference}` where a reference is an SSM parameter ARN, `ssm:/param/name`
    (this account and region), or a Secrets Manager secret's full ARN (optionally with ECS's
    `:json-key:version-stage:version-id` suffix)."""
    refs = []
    for name, reference in sorted(secrets.items()):
        _check_env_name(name, "secrets")
        refs.append(_parse_secret(name, reference))
    return tuple(refs)


def _parse_secret(name: str, reference: object) -> SecretRef:
    where = f"secrets[{name!r}]"
    if not isinstance(reference, str):
        raise AppError(f"{where}: expected a string reference, got {type(reference).__name__}")
    if _SSM_ARN.fullmatch(reference):
        return SecretRef(name, SecretStore.SSM, reference, reference)
    if reference.startswith("ssm:"):
        path = reference.removeprefix("ssm:")
        if not _SSM_NAME.fullmatch(path) or len(path) > 2048:
            raise AppError(f"{where}: {path!r} is not an SSM parameter name")
        return SecretRef(name, SecretStore.SSM, path, path, by_name=True)
    if (match := _SECRET_ARN.fullmatch(reference)) is not None:
        return SecretRef(name, SecretStore.SECRETS_MANAGER, reference, match.group(1))
    if reference.startswith("arn:") and ":secretsmanager:" in reference:
        raise AppError(
            f"{where}: {reference!r} is not a full Secrets Manager secret ARN (ECS needs the "
            "full ARN, ending in '-' and six characters, as `aws secretsmanager describe-secret` "
            "shows it)"
        )
    # Not echoed: what was given may be the secret's value itself.
    raise AppError(
        f"{where}: expected an SSM parameter ARN, 'ssm:/parameter/name' or a Secrets Manager "
        "secret ARN; a secret's value never goes in the app file"
    )


def check_no_overlap(environment: Mapping[str, str], secrets: Mapping[str, str]) -> None:
    both = sorted(set(environment) & set(secrets))
    if both:
        raise AppError(f"{', '.join(both)}: set both in environment and in secrets; keep one")


def check_kms_key(key_arn: str | None) -> None:
    if key_arn is not None and not _KMS_KEY_ARN.fullmatch(key_arn):
        raise AppError(
            f"secrets_kms_key_arn: {key_arn!r} is not a KMS key ARN "
            "(arn:aws:kms:REGION:ACCOUNT:key/KEY-ID; aliases cannot be granted by ARN)"
        )


def parse_queue(reference: str | None) -> QueueRef | None:
    """An existing queue by URL (https://sqs.REGION.amazonaws.com/ACCOUNT/NAME, or any endpoint's
    URL of that shape) or by ARN."""
    if reference is None:
        return None
    if reference.endswith(".fifo"):
        raise AppError(f"queue: {reference!r}: FIFO queues are not supported (spotq retries by "
                       "visibility, which a FIFO group would hold up)")  # fmt: skip
    if (match := _QUEUE_ARN.fullmatch(reference)) is not None:
        partition, region, account, name = match.groups()
        return QueueRef(name, None, account, region, partition)
    parts = urlsplit(reference)
    path = parts.path.strip("/").split("/")
    if parts.scheme not in ("http", "https") or len(path) != 2 or not parts.hostname:
        raise AppError(
            f"queue: {reference!r}: expected a queue URL (https://sqs.REGION.amazonaws.com/"
            "ACCOUNT/NAME) or ARN (arn:aws:sqs:REGION:ACCOUNT:NAME)"
        )
    account, name = path
    if not re.fullmatch(_ACCOUNT, account) or not _QUEUE_NAME.fullmatch(name):
        raise AppError(f"queue: {reference!r}: the path must be /ACCOUNT-ID/QUEUE-NAME")
    host = _AWS_SQS_HOST.fullmatch(parts.hostname)
    region = (host.group(1) or host.group(2)) if host else None
    partition = ("aws-cn" if parts.hostname.endswith(".cn") else "aws") if host else None
    return QueueRef(name, reference, account, region, partition)


def parse_model(uri: str | None) -> ModelRef | None:
    if uri is None:
        return None
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    if not uri.startswith("s3://") or not _S3_BUCKET.fullmatch(bucket) or not key:
        raise AppError(f"model_uri: expected s3://bucket/key, got {uri!r}")
    if "*" in key or "?" in key:
        raise AppError(f"model_uri: {uri!r}: one object, not a pattern")
    return ModelRef(bucket, key)
