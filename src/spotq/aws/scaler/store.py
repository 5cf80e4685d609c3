"""The scaler's state between invocations: one item in the app's own job table.

A Lambda invocation lasts a minute; the policy's rate window spans fifteen and its holds run for
minutes, so its state is saved after every tick and loaded at the next invocation's start. The
job table is already in the stack, is strongly consistent on a keyed read, and one small item
costs next to nothing (a write per tick is about 175,000 writes, $0.22, a month).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from spotq.aws import dynamo_schema

_STATE_ATTR = "state"


@dataclass
class ScalerState:
    """What survives an invocation: the policy's own state and the arrival counter."""

    policy: dict[str, Any] | None = None  # SpotqDefaultPolicy.snapshot(); None: start fresh
    arrived: int = 0  # jobs counted since the scaler first ran
    counted_to_s: float | None = None  # arrivals are counted up to here

    def to_json(self) -> str:
        return json.dumps(
            {"policy": self.policy, "arrived": self.arrived, "counted_to_s": self.counted_to_s}
        )

    @classmethod
    def from_json(cls, text: str) -> ScalerState:
        data = json.loads(text)
        return cls(
            policy=data.get("policy"),
            arrived=int(data.get("arrived", 0)),
            counted_to_s=data.get("counted_to_s"),
        )


def load(dynamodb: Any, table: str, key: str) -> ScalerState:
    """The saved state, or a fresh one when there is none yet."""
    reply = dynamodb.get_item(
        TableName=table, Key={dynamo_schema.PARTITION_KEY: {"S": key}}, ConsistentRead=True
    )
    item = reply.get("Item")
    if not item or _STATE_ATTR not in item:
        return ScalerState()
    return ScalerState.from_json(item[_STATE_ATTR]["S"])


def save(dynamodb: Any, table: str, key: str, state: ScalerState) -> None:
    dynamodb.put_item(
        TableName=table,
        Item={
            dynamo_schema.PARTITION_KEY: {"S": key},
            dynamo_schema.KIND_ATTR: {"S": "scaler"},
            _STATE_ATTR: {"S": state.to_json()},
        },
    )
