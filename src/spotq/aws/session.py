"""AWS clients from the standard credential chain; endpoints overridden only by explicit config.

Credentials are never taken from spotq's own config: boto3 finds them (environment, shared files,
SSO, the ECS task role, the EC2 instance profile). Where no endpoint is given here, botocore still
honours `AWS_ENDPOINT_URL` and `AWS_ENDPOINT_URL_<SERVICE>` (how tests point at moto server).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import NoRegionError

from spotq.errors import ConfigError
from spotq.stack import StackConfig

_CONNECT_TIMEOUT_S = 5.0
# Above SQS's longest long poll (20 s), so a ReceiveMessage never times out client-side.
_READ_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class AwsConfig:
    """Region and optional endpoint overrides; None means "let boto3 decide"."""

    region: str | None = None
    endpoint_url: str | None = None  # one endpoint for every service (e.g. moto server)
    sqs_endpoint_url: str | None = None
    s3_endpoint_url: str | None = None
    dynamodb_endpoint_url: str | None = None

    @classmethod
    def from_stack(cls, stack: StackConfig) -> AwsConfig:
        return cls(region=stack.region, sqs_endpoint_url=stack.sqs_endpoint_url)

    def endpoint_for(self, service: str) -> str | None:
        specific: str | None = getattr(self, f"{service}_endpoint_url", None)
        return specific if specific is not None else self.endpoint_url


def make_client(
    service: str,
    aws: AwsConfig | None = None,
    *,
    max_pool: int = 10,
    max_attempts: int = 5,
    session: Any = None,
) -> Any:
    """A botocore client for `service` ("s3", "dynamodb", "sqs", ...); thread-safe once built.
    `max_attempts` counts the first call (a command a person waits on wants fewer retries).
    `session`: a boto3 Session to build it from, for one thread making several clients (they
    then share its loaded service models); by default a fresh one."""
    aws = aws or AwsConfig()
    endpoint = aws.endpoint_for(service)
    options: dict[str, Any] = {
        "connect_timeout": _CONNECT_TIMEOUT_S,
        "read_timeout": _READ_TIMEOUT_S,
        "retries": {"mode": "standard", "max_attempts": max_attempts},
        "max_pool_connections": max_pool,
    }
    if service == "s3" and endpoint is not None:
        # Emulators on an IP address cannot serve virtual-hosted bucket names.
        options["s3"] = {"addressing_style": "path"}
    # A fresh Session per client: boto3's default session is not safe to share across threads.
    if session is None:
        session = boto3.session.Session(region_name=aws.region)
    try:
        return session.client(service, endpoint_url=endpoint, config=Config(**options))
    except NoRegionError:
        raise ConfigError(
            "region: no AWS region configured; set StackConfig.region or AWS_REGION"
        ) from None
