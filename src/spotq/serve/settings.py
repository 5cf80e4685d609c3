"""The configuration of one `spotq serve` process, built once and passed explicitly."""

from __future__ import annotations

from dataclasses import dataclass

from spotq.api.settings import MIB
from spotq.app import AppOptions
from spotq.errors import ConfigError
from spotq.net import is_loopback

SAMPLE_RATE_HZ = 16_000  # the one rate streams accept: PCM16, mono


@dataclass(frozen=True)
class StreamSettings:
    """Limits and endpointing for WebSocket streams."""

    max_streams: int = 64
    max_message_bytes: int = 256 * 1024  # 8 s of audio per frame is plenty; larger closes 1009
    idle_timeout_s: float = 30.0  # no message for this long closes the stream (1008)
    endpoint_silence_ms: float = 400.0  # this much quiet ends an utterance
    # This much quiet after speech starts the final's decode early, on the audio so far; if the
    # utterance then ends with no more speech, that decode is its final (0, or not below
    # endpoint_silence_ms: decode at the end).
    speculate_after_ms: float = 120.0
    partial_every_ms: float = 800.0  # new audio between partial transcripts; 0: finals only
    max_utterance_s: float = 20.0  # a longer utterance is cut and finalised
    speech_threshold_dbfs: float = -45.0
    ping_interval_s: float = 20.0

    def __post_init__(self) -> None:
        for name in ("max_streams", "max_message_bytes", "idle_timeout_s", "max_utterance_s"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"serve stream setting {name} must be > 0")
        if self.speculate_after_ms < 0:
            raise ConfigError("serve stream setting speculate_after_ms must be >= 0")


@dataclass(frozen=True)
class ServeSettings:
    """Everything one serving process needs: where to listen, who may call, limits, batching."""

    options: AppOptions
    host: str = "127.0.0.1"
    port: int = 8080
    api_key: str | None = None
    drain_s: float = 30.0  # below the ALB deregistration delay, so no request is cut off
    max_upload_bytes: int = 100 * MIB
    max_json_bytes: int = 16 * MIB
    body_read_timeout_s: float = 30.0  # longest wait for the next piece of a request body
    max_queue: int = 1024  # waiting requests beyond this are shed at once
    streams: StreamSettings = StreamSettings()
    # A --workers child loads before it accepts: processes sharing a socket then only take
    # connections once they can answer them (a lone process answers /healthz while loading).
    load_before_listening: bool = False

    def __post_init__(self) -> None:
        if not is_loopback(self.host) and not self.api_key:
            raise ConfigError(
                f"serve host {self.host!r} is not a loopback address: an API key is required "
                "(--api-key or SPOTQ_API_KEY)"
            )
        for name in ("drain_s", "max_upload_bytes", "max_json_bytes", "max_queue",
                     "body_read_timeout_s"):  # fmt: skip
            if getattr(self, name) <= 0:
                raise ConfigError(f"serve setting {name} must be > 0")

    @property
    def batch_size(self) -> int:
        return self.options.batch_size

    @property
    def max_batch_wait_s(self) -> float:
        return self.options.max_batch_wait_ms / 1000

    @property
    def latency_budget_s(self) -> float:
        return self.options.latency_budget_ms / 1000
