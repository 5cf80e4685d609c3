"""EC2 Spot interruption watcher: polls IMDSv2 and drains the worker on a notice.

Every `interval_s` (5 s by default: AWS gives a two-minute warning) it reads
`/latest/meta-data/spot/instance-action` (404 until AWS schedules a stop/terminate) and
`/latest/meta-data/events/recommendations/rebalance` (404 until the instance is at elevated risk).
The first notice calls `request_drain(reason)` once; the worker then stops receiving, finishes what
it can within its grace period and releases the rest. Fargate Spot sends SIGTERM instead, which
the worker's signal handling already turns into the same drain.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from spotq.aws.ecs._http import Reply, call, emit_stderr
from spotq.clock import Clock, SystemClock
from spotq.worker.hooks import Hooks

IMDS_URL = "http://169.254.169.254"
INSTANCE_ACTION_PATH = "/latest/meta-data/spot/instance-action"
REBALANCE_PATH = "/latest/meta-data/events/recommendations/rebalance"
TOKEN_PATH = "/latest/api/token"
TOKEN_TTL_HEADER = "X-aws-ec2-metadata-token-ttl-seconds"
TOKEN_HEADER = "X-aws-ec2-metadata-token"
_TOKEN_TTL_S = 21_600  # IMDSv2's maximum
_TOKEN_REFRESH_MARGIN_S = 60.0

Emit = Callable[..., None]


class Imds:
    """IMDSv2 reads: a session token fetched by PUT, renewed before it expires or on a 401."""

    def __init__(self, base_url: str = IMDS_URL, *, timeout_s: float = 1.0, clock: Clock) -> None:
        self._base = base_url.rstrip("/")
        self._timeout_s = timeout_s
        self._clock = clock
        self._token: str | None = None
        self._token_expires_s = 0.0

    def get(self, path: str) -> str | None:
        """The body at `path`, or None when IMDS answers 404 (nothing to report)."""
        reply = self._get(path)
        if reply.status == 401:  # the token expired or was revoked: fetch a new one once
            self._token = None
            reply = self._get(path)
        if reply.status == 404:
            return None
        if reply.status != 200:
            raise OSError(f"IMDS {path}: HTTP {reply.status}")
        return reply.body.decode("utf-8", "replace")

    def _get(self, path: str) -> Reply:
        headers = {TOKEN_HEADER: self._ensure_token()}
        return call("GET", self._base + path, headers=headers, timeout_s=self._timeout_s)

    def _ensure_token(self) -> str:
        if self._token is not None and self._clock.monotonic() < self._token_expires_s:
            return self._token
        reply = call(
            "PUT",
            self._base + TOKEN_PATH,
            headers={TOKEN_TTL_HEADER: str(_TOKEN_TTL_S)},
            timeout_s=self._timeout_s,
        )
        if reply.status != 200 or not reply.body:
            raise OSError(f"IMDS token: HTTP {reply.status}")
        self._token = reply.body.decode()
        self._token_expires_s = self._clock.monotonic() + _TOKEN_TTL_S - _TOKEN_REFRESH_MARGIN_S
        return self._token


def check_notice(imds: Imds, *, drain_on_rebalance: bool = True) -> str | None:
    """A drain reason if IMDS reports an interruption (or a rebalance recommendation), else None."""
    action = imds.get(INSTANCE_ACTION_PATH)
    if action is not None:
        return f"spot-interruption: {_summary(action)}"
    if drain_on_rebalance:
        rebalance = imds.get(REBALANCE_PATH)
        if rebalance is not None:
            return f"spot-rebalance-recommendation: {_summary(rebalance)}"
    return None


def _summary(body: str) -> str:
    return " ".join(body.split())[:200]


class SpotInterruptionWatcher(Hooks):
    """Polls IMDS from the worker's start to its stop; drains the worker on the first notice."""

    def __init__(
        self,
        request_drain: Callable[[str], None],
        *,
        imds_url: str = IMDS_URL,
        interval_s: float = 5.0,
        drain_on_rebalance: bool = True,
        clock: Clock | None = None,
        emit: Emit | None = None,
    ) -> None:
        self._request_drain = request_drain
        self._imds = Imds(imds_url, clock=clock or SystemClock())
        self._interval_s = interval_s
        self._drain_on_rebalance = drain_on_rebalance
        self._emit: Emit = emit or emit_stderr
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_error: str | None = None
        self.notice: str | None = None

    def on_start(self, app: str, pid: int) -> None:
        self.start()

    def on_stop(self, reason: str, exit_code: int) -> None:
        self.stop()

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="spotq-spot-watch", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stopped.is_set():
            if self._poll_once():
                return
            self._stopped.wait(self._interval_s)

    def _poll_once(self) -> bool:
        """One look at IMDS; True once a notice has been acted on."""
        try:
            reason = check_notice(self._imds, drain_on_rebalance=self._drain_on_rebalance)
        except (OSError, ValueError) as exc:
            self._report_error(str(exc))
            return False
        self._last_error = None
        if reason is None:
            return False
        self.notice = reason
        self._emit("spot_notice", reason=reason)
        self._request_drain(reason)
        return True

    def _report_error(self, error: str) -> None:
        # Report a failure once, not every 5 s, until IMDS answers again.
        if error != self._last_error:
            self._last_error = error
            self._emit("spot_watch_error", error=error)
