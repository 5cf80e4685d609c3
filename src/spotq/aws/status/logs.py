"""Recent lines of a log group (FilterLogEvents), and which of the workers' lines are errors.

FilterLogEvents returns oldest first; the status wants the newest, so it reads the window
`since_s` → now page by page (at most `max_pages`) and keeps the last N that match. A filter pattern
narrows what CloudWatch sends back; the classification here is the rule (emulators ignore most
patterns and send everything).
"""

from __future__ import annotations

import collections
import json
import re
from collections.abc import Callable, Iterator
from typing import Any

from spotq.aws.status.model import LogLine

# Any of these terms (CloudWatch's "?term" OR syntax): a superset of what is_error accepts.
ERROR_PATTERN = " ".join(
    f'?"{term}"'
    for term in (
        "job_failed",
        "bad_message",
        "error",
        "Error",
        "ERROR",
        "Exception",
        "Traceback",
        "CRITICAL",
        "exit_code",
    )
)
_WORKER_ERROR_EVENTS = frozenset({"job_failed", "bad_message", "error", "spot_watch_error"})
_ERROR_LEVELS = frozenset({"error", "critical", "fatal"})
_TEXT_ERROR = re.compile(r"\b(ERROR|CRITICAL|FATAL|Traceback|Exception)\b|\w+Error\b")
_MAX_PAGES = 10


def is_error(message: str) -> bool:
    """A worker log line that reports a failure: spotq's own JSON events (a failed or bad job, a
    runtime error, a worker that stopped with a non-zero code), a JSON line at an error level,
    or a plain line naming an error (a traceback, `ERROR ...`). EMF metric lines never are."""
    try:
        line = json.loads(message)
    except ValueError:
        return bool(_TEXT_ERROR.search(message))
    if not isinstance(line, dict):
        return bool(_TEXT_ERROR.search(message))
    if "_aws" in line:
        return False
    event = line.get("event")
    if event in _WORKER_ERROR_EVENTS:
        return not (event == "job_failed" and line.get("outcome") == "released")
    if event == "stopped":
        return line.get("exit_code") not in (0, None)
    level = line.get("level", line.get("levelname"))
    return isinstance(level, str) and level.lower() in _ERROR_LEVELS


def events(
    logs: Any,
    group: str,
    since_s: float,
    now_s: float,
    pattern: str = "",
    max_pages: int = _MAX_PAGES,
) -> Iterator[LogLine]:
    """The group's events in [since_s, now_s], oldest first, at most `max_pages` pages."""
    kwargs: dict[str, Any] = {
        "logGroupName": group,
        "startTime": int(since_s * 1000),
        "endTime": int(now_s * 1000),
    }
    if pattern:
        kwargs["filterPattern"] = pattern
    for _ in range(max_pages):
        page = logs.filter_log_events(**kwargs)
        for event in page.get("events", []):
            yield LogLine(
                at_s=int(event.get("timestamp", 0)) / 1000.0,
                stream=str(event.get("logStreamName", "")),
                message=str(event.get("message", "")).rstrip("\n"),
            )
        token = page.get("nextToken")
        if not token or token == kwargs.get("nextToken"):
            return
        kwargs["nextToken"] = token


def last_matching(lines: Iterator[LogLine], keep: Callable[[str], bool], n: int) -> list[LogLine]:
    """The last `n` lines whose message `keep` accepts, oldest first."""
    found: collections.deque[LogLine] = collections.deque(maxlen=n)
    for line in lines:
        if keep(line.message):
            found.append(line)
    return list(found)


def error_lines(logs: Any, group: str, since_s: float, now_s: float, n: int) -> list[LogLine]:
    """The last `n` error lines of the workers' log group in the window."""
    return last_matching(events(logs, group, since_s, now_s, ERROR_PATTERN), is_error, n)
