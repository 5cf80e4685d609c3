"""How the SQS server is configured and announces itself: what a process that only launches or
checks a server needs, without importing the server (the store, the HTTP layer, asyncio)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from spotq.errors import ConfigError
from spotq.net import is_loopback
from spotq.sqs.schema import SYNC_MODES

DB_FILE = "sqs.db"
# `spotq sqs serve` prints this and its endpoint URL on one line once it listens.
ANNOUNCE_PREFIX = "spotq sqs serving on "


@dataclass(frozen=True)
class SqsServerConfig:
    """How to run the server. `sync` is SQLite's synchronous level: `normal` (default) survives
    a killed server process, `full` also survives power loss (and commits deletes and receives
    before replying, too), `off` survives neither."""

    host: str = "127.0.0.1"
    port: int = 9324
    data_dir: Path | None = None
    sync: str = "normal"
    credentials: Mapping[str, str] | None = None
    region: str = "us-east-1"
    account_id: str = "000000000000"


def check_config(config: SqsServerConfig) -> None:
    """Refuse unsafe or impossible settings with a ConfigError naming the key."""
    if not is_loopback(config.host) and not config.credentials:
        raise ConfigError(
            f"host: refusing to bind {config.host!r} (not loopback) without credentials; "
            "configure credentials so requests are verified with SigV4"
        )
    if config.sync not in SYNC_MODES:
        raise ConfigError(f"sync: expected one of {', '.join(SYNC_MODES)}, got {config.sync!r}")
    if not 0 <= config.port <= 65535:
        raise ConfigError(f"port: expected 0..65535, got {config.port}")
