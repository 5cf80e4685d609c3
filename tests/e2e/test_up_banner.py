"""What `spotq up` tells its terminal: the dashboard URL, where worker logs are, and a heartbeat."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
from pathlib import Path

from spotq.api.client import JobsClient

from .conftest import ECHO_APP, wait_until, write_app


def test_up_prints_the_dashboard_worker_logs_and_a_heartbeat(tmp_path: Path) -> None:
    app = write_app(tmp_path, ECHO_APP)
    data = tmp_path / "data"
    command = [sys.executable, "-m", "spotq.cli", "up", str(app), "--port", "0",
               "--data-dir", str(data), "--max-workers", "1", "--heartbeat-s", "0.5"]  # fmt: skip
    up = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines: list[str] = []
    assert up.stderr is not None
    reader = threading.Thread(target=lambda: lines.extend(up.stderr), daemon=True)  # type: ignore[arg-type]
    reader.start()
    try:
        wait_until(lambda: (data / "api.json").exists(), 30, "spotq up to start")
        url = json.loads((data / "api.json").read_text())["url"]
        client = JobsClient(url)
        job_id = client.submit({"n": 1})["id"]
        wait_until(lambda: client.job(job_id)["state"] == "succeeded", 60, "the job")
        wait_until(lambda: any("jobs: 1 done" in line for line in lines), 60, "a heartbeat")
        up.send_signal(signal.SIGTERM)
        stdout, _ = up.communicate(timeout=60)
        reader.join(10)
    finally:
        if up.poll() is None:
            up.kill()
    stderr = "".join(lines)
    assert f"dashboard {url}/ui" in stdout
    assert f"worker logs in {data.resolve() / 'workers'}" in stderr
    assert "jobs: 0 done, 0 failed, 0 dead" in stderr  # the first beat, before the job
