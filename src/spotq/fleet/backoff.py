"""Start-up back-off for crash-looping workers, as a process manager does it.

Every worker that exits before it is ready doubles the wait before the next start (1 s, 2 s, 4 s,
… capped at 60 s); the first worker that becomes ready clears it. The fleet never gives up: a
host that was short of memory or disk for a while recovers by itself. When the same error ends
`same_error_limit` starts in a row (a `load()` that raises, an app that does not import), that is
reported as the app's failure: `spotq run` stops with it, `spotq up` shows it and keeps trying.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class StartBackoff:
    base_s: float = 1.0
    cap_s: float = 60.0
    same_error_limit: int = 3
    failures: int = 0  # workers in a row that exited before ready
    next_start_s: float = float("-inf")
    last_exit: str = ""  # "exit code N: last error line" of the latest such worker
    last_error: str | None = None
    same_error_count: int = 0

    def failed(self, now_s: float, exit_code: int | None, error: str | None) -> float:
        """Record a worker that exited before ready; return the wait before the next start."""
        self.failures += 1
        if error is not None and error == self.last_error:
            self.same_error_count += 1
        else:
            self.same_error_count = 1 if error is not None else 0
        self.last_error = error
        self.last_exit = f"exit code {exit_code}" + (f": {error}" if error else "")
        wait_s = min(self.cap_s, self.base_s * 2.0 ** (self.failures - 1))
        self.next_start_s = now_s + wait_s
        return wait_s

    def recovered(self) -> bool:
        """A worker became ready: clear the back-off; True if there was one to clear."""
        had = self.failures > 0
        self.failures = self.same_error_count = 0
        self.next_start_s = float("-inf")
        self.last_error = None
        return had

    def may_start(self, now_s: float) -> bool:
        return now_s >= self.next_start_s

    @property
    def app_failure(self) -> str | None:
        """The same error ended `same_error_limit` starts in a row: the app itself is broken."""
        if self.same_error_count < self.same_error_limit or self.last_error is None:
            return None
        return (
            f"{self.same_error_count} workers in a row failed to start with the same error: "
            f"{self.last_error}"
        )

    def reason(self, now_s: float) -> str | None:
        """Why the fleet is not healthy (None: it is), for readiness and `spotq status`."""
        if self.failures == 0:
            return None
        wait_s = max(0.0, self.next_start_s - now_s)
        return (
            f"workers are crash-looping: {self.failures} in a row exited before ready "
            f"(last {self.last_exit}); next start in {wait_s:.0f} s"
        )
