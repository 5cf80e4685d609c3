"""Start the benchmark's peers as subprocesses on free loopback ports: spotq, moto, canned."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import boto3
import psutil
from botocore.config import Config

BENCH_DIR = Path(__file__).resolve().parent
BIN_DIR = Path(sys.executable).parent


@dataclass(frozen=True)
class Peer:
    """A running server: its name and endpoint."""

    name: str
    endpoint_url: str
    pid: int

    def cpu_s(self) -> float:
        """CPU seconds the server process (and its children) has used so far."""
        process = psutil.Process(self.pid)
        total = 0.0
        for proc in [process, *process.children(recursive=True)]:
            times = proc.cpu_times()
            total += times.user + times.system
        return total


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def client(endpoint_url: str, *, timeout_s: float = 30.0) -> object:
    """A boto3 SQS client with dummy credentials, no retries (a failure should be seen)."""
    return boto3.client(
        "sqs",
        endpoint_url=endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="bench",
        aws_secret_access_key="bench",
        config=Config(retries={"max_attempts": 1}, read_timeout=timeout_s, connect_timeout=5),
    )


def _wait_ready(proc: subprocess.Popen[bytes], port: int, name: str, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{name} exited with {proc.returncode}: {log.read_text()[-2000:]}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise RuntimeError(f"{name} did not listen on port {port} within 60 s")


@contextlib.contextmanager
def spawn_peer(name: str, argv: list[str], port: int) -> Iterator[Peer]:
    """Run `argv` (a server that will listen on `port`) until the block ends."""
    with tempfile.TemporaryDirectory(prefix=f"bench-{name}-") as tmp:
        log = Path(tmp) / "server.log"
        with log.open("wb") as out:
            proc = subprocess.Popen(
                argv, stdout=out, stderr=subprocess.STDOUT, cwd=tmp, env=dict(os.environ)
            )
        try:
            _wait_ready(proc, port, name, log)
            yield Peer(name, f"http://127.0.0.1:{port}", proc.pid)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@contextlib.contextmanager
def spotq_server(extra_args: tuple[str, ...] = ()) -> Iterator[Peer]:
    """`spotq sqs serve` on a free port with a fresh data dir."""
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="bench-spotq-data-") as data_dir:
        argv = [str(BIN_DIR / "spotq"), "sqs", "serve", "--port", str(port)]
        argv += ["--data-dir", data_dir, *extra_args]
        with spawn_peer("spotq", argv, port) as peer:
            yield peer


@contextlib.contextmanager
def moto_server() -> Iterator[Peer]:
    port = free_port()
    argv = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
    with spawn_peer("moto", argv, port) as peer:
        yield peer


@contextlib.contextmanager
def canned_server(engine: str = "spotq-http", name: str = "canned") -> Iterator[Peer]:
    port = free_port()
    argv = [sys.executable, str(BENCH_DIR / "sqs_canned_server.py"), "--port", str(port)]
    with spawn_peer(name, [*argv, "--engine", engine], port) as peer:
        yield peer
