"""Setup for the jobs benchmark: redis-server from Debian, and the peers (Celery, RQ, Dramatiq) in
their own venv (bench/.venv-peers) so they never touch the project's .venv."""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

PEERS_VENV = Path(__file__).resolve().parent / ".venv-peers"
PEER_REQUIREMENTS = Path(__file__).resolve().parent / "requirements-peers.txt"


def ensure_redis_server() -> str:
    """The path of redis-server, installing Debian's package when missing."""
    found = shutil.which("redis-server")
    if found:
        return found
    print("installing redis-server (apt-get)...", file=sys.stderr)
    subprocess.run(["apt-get", "update", "-qq"], check=True)
    subprocess.run(["apt-get", "install", "-y", "-qq", "redis-server"], check=True)
    found = shutil.which("redis-server")
    if not found:
        raise SystemExit("redis-server is still missing after apt-get install")
    return found


def ensure_peers_venv() -> Path:
    """bench/.venv-peers with the peer libraries at the pinned versions; returns its python.
    Reinstalls when bench/requirements-peers.txt has changed since the last install."""
    python = PEERS_VENV / "bin" / "python"
    marker = PEERS_VENV / ".installed"
    wanted = PEER_REQUIREMENTS.read_text()
    if not marker.exists() or marker.read_text() != wanted:
        print(f"installing {PEER_REQUIREMENTS.name} into {PEERS_VENV}...", file=sys.stderr)
        if not python.exists():
            subprocess.run([sys.executable, "-m", "venv", str(PEERS_VENV)], check=True)
        install = [str(python), "-m", "pip", "install", "-q", "-r", str(PEER_REQUIREMENTS)]
        subprocess.run(install, check=True)
        marker.write_text(wanted)
    return python


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def redis_server(data_dir: Path) -> Iterator[str]:
    """A throwaway redis on a free loopback port (no persistence); yields its URL."""
    port = free_port()
    command = [ensure_redis_server(), "--port", str(port), "--bind", "127.0.0.1",
               "--save", "", "--appendonly", "no", "--dir", str(data_dir)]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
                break
            if time.monotonic() > deadline:
                raise SystemExit("redis-server did not start")
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(10)
