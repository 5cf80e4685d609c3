"""What one realtime synthesis needs: the app, the target, and the numbers derived from it."""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

from spotq.app import App, AppOptions
from spotq.aws.synth.context import LOG_RETENTION_DAYS, STOP_TIMEOUT_MAX_S
from spotq.errors import ConfigError
from spotq.naming import DEFAULT_STAGE, check_stage

CONTAINER_NAME = "serve"
CONTAINER_PORT = 8080
# The ALB's idle timeout: WebSocket streams stay open through pauses of up to an hour.
IDLE_TIMEOUT_S = 3600
STICKY_S = 3600


class RealtimeTarget(StrEnum):
    FARGATE = "realtime-fargate"
    GPU = "realtime-gpu"


@dataclass(frozen=True)
class RealtimeSettings:
    """Knobs of a realtime synthesis that are not app options."""

    max_tasks: int = 10
    min_tasks: int = 1  # a realtime service answers now: it does not scale to zero
    drain_s: int = 30  # `spotq serve --drain-s`; the target group waits longer than this
    target_utilisation: float = 0.7  # of rps_per_task, the headroom for bursts while scaling
    log_retention_days: int = 30
    stage: str = DEFAULT_STAGE  # which copy of the app's stack (spotq.naming)

    def __post_init__(self) -> None:
        check_stage(self.stage)
        if not 1 <= self.min_tasks <= self.max_tasks <= 1000:
            raise ConfigError("realtime: expected 1 <= min_tasks <= max_tasks <= 1000")
        if not 1 <= self.drain_s <= STOP_TIMEOUT_MAX_S - 10:
            raise ConfigError(f"realtime drain_s: expected 1..{STOP_TIMEOUT_MAX_S - 10}")
        if not 0 < self.target_utilisation <= 1:
            raise ConfigError("realtime target_utilisation: expected (0, 1]")
        if self.log_retention_days not in LOG_RETENTION_DAYS:
            raise ConfigError(f"log_retention_days: expected one of {LOG_RETENTION_DAYS}")


@dataclass(frozen=True)
class RealtimeContext:
    app: str
    options: AppOptions
    target: RealtimeTarget
    settings: RealtimeSettings
    app_in_image: str  # the app reference inside the image, e.g. /app/transcribe.py

    @property
    def stage(self) -> str:
        return self.settings.stage

    @property
    def is_gpu(self) -> bool:
        return self.target is RealtimeTarget.GPU

    @property
    def requests_per_task_per_minute(self) -> int:
        """ALBRequestCountPerTarget is a per-minute sum: the tracking target for rps_per_task."""
        rps = self.options.rps_per_task
        assert rps is not None
        return max(1, math.floor(rps * 60 * self.settings.target_utilisation))

    @property
    def deregistration_delay_s(self) -> int:
        return self.settings.drain_s + 15  # longer than the drain, so no request is cut

    @property
    def stop_timeout_s(self) -> int:
        return min(STOP_TIMEOUT_MAX_S, self.settings.drain_s + 10)


def make_realtime_context(
    app: App, target: RealtimeTarget, settings: RealtimeSettings, app_in_image: str
) -> RealtimeContext:
    if app.options.rps_per_task is None:
        raise ConfigError(
            f"app {app.name!r}: a realtime target scales on requests per task; set "
            "rps_per_task in the app's options (measure it with bench/serve_batching.py)"
        )
    if target is RealtimeTarget.FARGATE and app.options.gpus > 0:
        raise ConfigError(
            f"app {app.name!r} asks for gpus={app.options.gpus}: Fargate has no GPUs; "
            "use --target realtime-gpu"
        )
    if target is RealtimeTarget.GPU and app.options.gpus == 0:
        raise ConfigError(
            f"app {app.name!r} asks for no GPU (gpus=0): --target realtime-gpu would pay for a "
            "GPU host it never uses; set gpus=1 (or more) in the app's options, or use "
            "--target realtime-fargate"
        )
    return RealtimeContext(app.name, app.options, target, settings, app_in_image)
