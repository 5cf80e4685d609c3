"""The Lambda entry point (`spotq.aws.scaler.handler.handler`): configuration from the
environment at call time, boto3 clients, one invocation's ticks."""

from __future__ import annotations

import os
import time
from typing import Any

import boto3
from botocore.config import Config

from spotq.aws.scaler.config import ENV_VAR, ScalerConfig
from spotq.aws.scaler.loop import Clients, run_invocation

# Fail fast: a slow or throttled call skips one tick rather than eating the invocation.
_CLIENT_CONFIG = Config(
    connect_timeout=3, read_timeout=5, retries={"mode": "standard", "max_attempts": 2}
)


def make_clients() -> Clients:
    session = boto3.session.Session()
    return Clients(
        sqs=session.client("sqs", config=_CLIENT_CONFIG),
        ecs=session.client("ecs", config=_CLIENT_CONFIG),
        dynamodb=session.client("dynamodb", config=_CLIENT_CONFIG),
    )


def handler(event: Any, context: Any) -> dict[str, Any]:
    """Run one scheduled invocation; returns a summary (shown by a test invoke)."""
    cfg = ScalerConfig.from_json(os.environ[ENV_VAR])
    records = run_invocation(
        cfg,
        make_clients(),
        clock=time.time,
        sleep=time.sleep,
        remaining_s=lambda: float(context.get_remaining_time_in_millis()) / 1000.0,
    )
    return {"ticks": len(records), "last": records[-1] if records else None}
