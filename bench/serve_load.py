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
    server_cpu_s: float = 0.0  # CPU time the server's processes used while measured

    @property
    def ok_per_s(self) -> float:
        return len(self.latencies_s) / self.seconds

    @property
    def ok_per_cpu_s(self) -> float:
        """Requests per CPU-second of the server: on a shared machine the scheduler hands a
        process with more runnable threads more of the CPU, which req/s alone rewards."""
        return len(self.latencies_s) / self.server_cpu_s if self.server_cpu_s else float("nan")

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


def process_tree_cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process and all its descendants."""
    import psutil

    total = 0.0
    root = psutil.Process(pid)
    for proc in [root, *root.children(recursive=True)]:
        try:
            times = proc.cpu_times()
        except psutil.Error:
            continue
        total += times.user + times.system
    return total


async def closed_loop(url: str, payloads: list[bytes], clients: int, warmup_s: float,
                      seconds: float, server_pid: int | None = None) -> LoadResult:  # fmt: skip
    """`clients` closed loops for warmup_s + seconds; only the last `seconds` are counted."""
    start = time.monotonic()
    result = LoadResult(seconds)
    measure_from, stop_at = start + warmup_s, start + warmup_s + seconds

    async def cpu_meter() -> None:
        if server_pid is None:
            return
        await asyncio.sleep(warmup_s)
        before = process_tree_cpu_s(server_pid)
        await asyncio.sleep(seconds)
        result.server_cpu_s = process_tree_cpu_s(server_pid) - before

    await asyncio.gather(
        cpu_meter(),
        *(_client(url, payloads, stop_at, measure_from, result, i) for i in range(clients)),
    )
    return result
