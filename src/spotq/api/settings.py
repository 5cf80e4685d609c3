"""The job API's configuration, built once by the CLI (or a test) and passed to create_app."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from spotq.api.auth import check_api_key
from spotq.app import AppOptions
from spotq.errors import ConfigError
from spotq.net import is_loopback
from spotq.stack import StackConfig

KIB = 1024
MIB = 1024 * KIB
MAX_SQS_MESSAGE_BYTES = MIB  # SQS's largest message body (since 2025; 256 KiB before)


@dataclass(frozen=True)
class ApiSettings:
    """Everything the API needs: where the stack lives, limits, and who may call it."""

    stack: StackConfig
    data_dir: Path  # holds the API's own state (the pending-enqueue outbox)
    app_options: AppOptions = field(default_factory=AppOptions)
    host: str = "127.0.0.1"
    port: int = 8000
    api_key: str | None = None
    max_upload_bytes: int = 100 * MIB
    max_json_bytes: int = 16 * MIB
    claim_check_bytes: int = 192 * KIB  # messages larger than this carry a blob reference
    max_batch_items: int = 1000
    reconcile_interval_s: float = 2.0
    reconcile_after_s: float = 10.0  # an outbox entry this old was left by a failed enqueue
    max_input_depth: int = 100  # deepest nesting of objects/arrays in a job's input
    body_read_timeout_s: float = 30.0  # longest wait for the next piece of a request body

    def __post_init__(self) -> None:
        if not is_loopback(self.host) and not self.api_key:
            raise ConfigError(
                f"api host {self.host!r} is not a loopback address: an API key is required "
                "(--api-key or SPOTQ_API_KEY)"
            )
        if self.api_key:  # an empty key (e.g. SPOTQ_API_KEY="") means none
            check_api_key(self.api_key)
        if self.body_read_timeout_s <= 0:
            raise ConfigError("api setting body_read_timeout_s must be > 0")
        positive = ("max_upload_bytes", "max_json_bytes", "claim_check_bytes", "max_batch_items")
        for name in (*positive, "max_input_depth"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"api setting {name} must be > 0")
        if self.claim_check_bytes > MAX_SQS_MESSAGE_BYTES:  # such a message could never be sent
            raise ConfigError(
                f"api setting claim_check_bytes must be at most {MAX_SQS_MESSAGE_BYTES} "
                "(SQS's largest message); larger inputs go to the blob store"
            )

    @property
    def outbox_path(self) -> Path:
        return self.data_dir / "api-outbox.db"
