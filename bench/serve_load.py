"""A small closed-loop HTTP load generator: N clients, each on its own keep-alive connection,
send a request, wait for the reply, send the next. Raw asyncio, so the generator costs little
CPU next to the servers it measures on the same 2 cores."""

from __future__ import annotations

import asyncio
import statistics
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit


@dataclass
class LoadResult:
    seconds: float
    latencies_s: list[float] = field(default_factory=list)  # of 200 replies
    statuses: dict[int, int] = field(default_factory=dict)

    @property
    def ok_per_s(self) -> float:
        return len(self.latencies_s) / self.seconds

    def percentile_ms(self, q: float) -> float:
        if not self.latencies_s:
            return float("nan")
        ordered = sorted(self.latencies_s)
        return 1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    @property
    def mean_ms(self) -> float:
        return 1000 * statistics.fmean(self.latencies_s) if self.latencies_s else float("nan")


def request_bytes(url: str, path: str, body: bytes, content_type: str) -> bytes:
    host = urlsplit(url).netloc
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def _read_reply(reader: asyncio.StreamReader) -> int:
    status_line = await reader.readline()
    if not status_line:
        raise ConnectionError("closed")
    status = int(status_line.split()[1])
    length = 0
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode("latin-1").partition(":")
        if name.lower() == "content-length":
            length = int(value)
    await reader.readexactly(length)
    return status


async def _client(url: str, payloads: list[bytes], stop_at: float, measure_from: float,
                  result: LoadResult, offset: int) -> None:  # fmt: skip
    parts = urlsplit(url)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    n = offset
    try:
        while (now := time.monotonic()) < stop_at:
            writer.write(payloads[n % len(payloads)])
            n += 1
            status = await _read_reply(reader)
            took = time.monotonic() - now
            if now >= measure_from:
                result.statuses[status] = result.statuses.get(status, 0) + 1
                if status == 200:
                    result.latencies_s.append(took)
            if status != 200:
                await asyncio.sleep(0.05)  # a shed request: back off a little, as clients do
    finally:
        writer.close()


async def closed_loop(url: str, payloads: list[bytes], clients: int, warmup_s: float,
                      seconds: float) -> LoadResult:  # fmt: skip
    """`clients` closed loops for warmup_s + seconds; only the last `seconds` are counted."""
    start = time.monotonic()
    result = LoadResult(seconds)
    measure_from, stop_at = start + warmup_s, start + warmup_s + seconds
    await asyncio.gather(
        *(_client(url, payloads, stop_at, measure_from, result, i) for i in range(clients))
    )
    return result
