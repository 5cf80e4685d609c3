"""Queue helpers shared by the worker and the job API: an SQS client for a stack, and the app's
queues (normal, high priority, dead-letter) created or brought up to date idempotently."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import boto3
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from spotq import loopback_http
from spotq.app import AppOptions
from spotq.app_env import parse_queue
from spotq.errors import ServiceError
from spotq.net import is_loopback
from spotq.stack import StackConfig

_DLQ_RETENTION_S = 1_209_600  # 14 days, the SQS maximum: time to look at what failed
_QUEUE_RETENTION_S = 345_600  # 4 days, the SQS default


@dataclass(frozen=True)
class QueueUrls:
    normal: str
    high: str
    dlq: str
    dlq_arn: str


def is_local_endpoint(endpoint_url: str | None) -> bool:
    """True when the endpoint is on this machine (the embedded server or a local emulator)."""
    if not endpoint_url:
        return False
    return is_loopback(urlsplit(endpoint_url).hostname or "")


_CONNECT_TIMEOUT_S = 5.0
_MAX_POOL_CONNECTIONS = 20


def make_sqs_client(stack: StackConfig, *, read_timeout_s: float = 60.0) -> Any:
    """A boto3 SQS client for the stack; a local endpoint gets dummy credentials, the embedded
    server (`stack.sqs_signed` false) unsigned requests.

    Client-side parameter validation is off: spotq builds every request itself and the queue
    (AWS or the embedded server) validates each one anyway. The check cost 3-7 % of a call's
    client CPU (bench/sqs_client_cost.py), and SDK calls are most of a no-op job's CPU.

    A local `http://` endpoint's requests go over `spotq.loopback_http`, not urllib3: botocore
    still builds, retries and parses each call, at about half the client CPU."""
    config = Config(
        region_name=stack.region,
        retries={"max_attempts": 5, "mode": "standard"},
        connect_timeout=_CONNECT_TIMEOUT_S,
        read_timeout=read_timeout_s,  # must exceed the longest long-poll wait (20 s)
        max_pool_connections=_MAX_POOL_CONNECTIONS,
        signature_version=None if stack.sqs_signed else UNSIGNED,
        parameter_validation=False,
    )
    kwargs: dict[str, Any] = {"config": config, "region_name": stack.region}
    if stack.sqs_endpoint_url:
        kwargs["endpoint_url"] = stack.sqs_endpoint_url
    local = is_local_endpoint(stack.sqs_endpoint_url)
    if local:
        kwargs["aws_access_key_id"] = "spotq"
        kwargs["aws_secret_access_key"] = "spotq"  # the local server does not check signatures
    session = boto3.session.Session()
    client = session.client("sqs", **kwargs)
    if local:
        loopback_http.install(
            client,
            connect_timeout_s=_CONNECT_TIMEOUT_S,
            read_timeout_s=read_timeout_s,
            max_idle=_MAX_POOL_CONNECTIONS,
        )
    return client


def ensure_queues(client: Any, stack: StackConfig, options: AppOptions) -> QueueUrls:
    """Create (or update) the DLQ and the normal and high-priority queues; return their URLs.

    Both work queues redrive to the DLQ after `options.max_receives` receives and use the app's
    visibility timeout. Safe to call from several processes at once."""
    try:
        dlq = _ensure(client, stack.dlq_name, {"MessageRetentionPeriod": str(_DLQ_RETENTION_S)})
        dlq_arn = client.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        redrive = json.dumps(
            {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": options.max_receives}
        )
        attributes = {
            "VisibilityTimeout": str(options.visibility_timeout_s),
            "MessageRetentionPeriod": str(_QUEUE_RETENTION_S),
            "RedrivePolicy": redrive,
        }
        normal = existing_queue_url(client, stack.work_queue) or _ensure(
            client, stack.queue_name, attributes
        )
        high = _ensure(client, stack.high_queue_name, attributes)
    except (BotoCoreError, ClientError) as exc:
        raise ServiceError(f"cannot set up queues for app {stack.app!r}: {exc}") from None
    return QueueUrls(normal=normal, high=high, dlq=dlq, dlq_arn=dlq_arn)


def lookup_queues(client: Any, stack: StackConfig) -> QueueUrls:
    """Find the app's existing queues (created by CloudFormation); never creates or changes them."""
    try:
        dlq = client.get_queue_url(QueueName=stack.dlq_name)["QueueUrl"]
        dlq_arn = client.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        normal = (
            existing_queue_url(client, stack.work_queue)
            or client.get_queue_url(QueueName=stack.queue_name)["QueueUrl"]
        )
        high = client.get_queue_url(QueueName=stack.high_queue_name)["QueueUrl"]
    except (BotoCoreError, ClientError) as exc:
        raise ServiceError(f"cannot find the queues of app {stack.app!r}: {exc}") from None
    return QueueUrls(normal=normal, high=high, dlq=dlq, dlq_arn=dlq_arn)


def open_queues(client: Any, stack: StackConfig, options: AppOptions) -> QueueUrls:
    """The app's queues: created or updated where spotq owns them, looked up where it does not."""
    if stack.manage_queues:
        return ensure_queues(client, stack, options)
    return lookup_queues(client, stack)


def existing_queue_url(client: Any, reference: str | None) -> str | None:
    """The URL of the existing queue an app consumes (given as a URL, used as is, or an ARN,
    looked up by name and owner); None when the app uses its own queue. Never changes it."""
    queue = parse_queue(reference)
    if queue is None:
        return None
    if queue.url is not None:
        return queue.url
    found: str = client.get_queue_url(QueueName=queue.name, QueueOwnerAWSAccountId=queue.account)[
        "QueueUrl"
    ]
    return found


def _ensure(client: Any, name: str, attributes: dict[str, str]) -> str:
    try:
        url: str = client.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        return url
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code not in ("QueueAlreadyExists", "QueueNameExists"):
            raise
    # It exists with other attributes (an earlier version of the app): bring it up to date.
    url = client.get_queue_url(QueueName=name)["QueueUrl"]
    client.set_queue_attributes(QueueUrl=url, Attributes=attributes)
    return url


def redrive_warning(client: Any, url: str, max_receives: int) -> str | None:
    """What is wrong with an existing queue's redrive policy for this app, if anything: without
    one, a dead job's or an undecodable message's receives never end."""
    try:
        attributes = client.get_queue_attributes(QueueUrl=url, AttributeNames=["RedrivePolicy"])
    except (BotoCoreError, ClientError) as exc:
        return f"cannot read the redrive policy of {url}: {exc}"
    text = attributes.get("Attributes", {}).get("RedrivePolicy")
    if not text:
        return (
            f"queue {url} has no redrive policy: dead jobs and messages the decoder refuses "
            f"will be received again forever; give it a dead-letter queue with "
            f"maxReceiveCount {max_receives} (the app's max_receives)"
        )
    count = json.loads(text).get("maxReceiveCount")
    if str(count) != str(max_receives):
        return (
            f"queue {url} moves messages to its dead-letter queue after {count} receives but the "
            f"app's max_receives is {max_receives}: set them equal"
        )
    return None
