"""The scaler's configuration: one JSON document the template puts in the function's environment."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from spotq.errors import ConfigError

ENV_VAR = "SPOTQ_SCALER"  # the environment variable holding the JSON document
DEFAULT_INTERVAL_S = 15.0
# Arrivals are counted up to this many seconds before now: the job table's index is eventually
# consistent, and a job stamped just before a tick may reach it just after.
DEFAULT_SETTLE_S = 2.0
METRIC_NAMESPACE = "spotq"


@dataclass(frozen=True)
class ScalerConfig:
    """What one app's scaler reads, writes and runs."""

    app: str
    queue_urls: tuple[str, ...]  # the work queues (normal, high priority)
    cluster: str
    service: str
    table: str
    max_workers: int
    policy_params: dict[str, float | int] = field(default_factory=dict)
    interval_s: float = DEFAULT_INTERVAL_S
    settle_s: float = DEFAULT_SETTLE_S

    def __post_init__(self) -> None:
        if not self.queue_urls:
            raise ConfigError("scaler: queue_urls must name at least one queue")
        if self.interval_s <= 0:
            raise ConfigError(f"scaler: interval_s must be > 0, got {self.interval_s}")
        if self.max_workers < 1:
            raise ConfigError(f"scaler: max_workers must be >= 1, got {self.max_workers}")

    @property
    def state_key(self) -> str:
        """The job-table partition key of this app's scaler state (jobs use `job#…`)."""
        return f"scaler#{self.app}"

    def to_json(self) -> str:
        return json.dumps(
            {
                "app": self.app,
                "queue_urls": list(self.queue_urls),
                "cluster": self.cluster,
                "service": self.service,
                "table": self.table,
                "max_workers": self.max_workers,
                "policy_params": self.policy_params,
                "interval_s": self.interval_s,
                "settle_s": self.settle_s,
            },
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> ScalerConfig:
        try:
            data: dict[str, Any] = json.loads(text)
            return cls(
                app=str(data["app"]),
                queue_urls=tuple(str(u) for u in data["queue_urls"]),
                cluster=str(data["cluster"]),
                service=str(data["service"]),
                table=str(data["table"]),
                max_workers=int(data["max_workers"]),
                policy_params=dict(data.get("policy_params", {})),
                interval_s=float(data.get("interval_s", DEFAULT_INTERVAL_S)),
                settle_s=float(data.get("settle_s", DEFAULT_SETTLE_S)),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise ConfigError(f"scaler: invalid {ENV_VAR} configuration: {exc}") from exc
