"""Make docs/dashboard.png: a local fleet runs waves of jobs (some failing) for about a minute
while headless chromium shows /ui. Not a benchmark; it lives here beside the other scripts that
drive a real stack. Usage: .venv/bin/python bench/dashboard_screenshot.py [OUT.png] [SECONDS]"""

from __future__ import annotations

import shutil
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

from spotq.api.client import JobsClient
from spotq.fleet.embedded import StackOptions
from spotq.fleet.local import FleetOptions, LocalFleet

APP = textwrap.dedent("""
    import random, time
    import spotq

    app = spotq.App("transcribe-demo", batch_size=2, max_receives=2, retry_backoff_s=1)

    @app.handler
    def handle(model, jobs):
        time.sleep(random.uniform(0.2, 0.6))
        out = []
        for job in jobs:
            if job.input["n"] % 23 == 0:
                out.append(spotq.JobFailed(f"clip {job.input['n']}: no speech found", retry=False))
            else:
                out.append({"text": f"clip {job.input['n']}"})
        return out
""")
ARGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--no-first-run", "--window-size=1400,1050")  # fmt: skip


def main(out: Path, seconds: float) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        app_file = Path(tmp) / "demo.py"
        app_file.write_text(APP)
        fleet = LocalFleet(str(app_file), StackOptions(data_dir=Path(tmp) / "stack"),
                           FleetOptions(0, 3, idle_s=8.0, grace_s=5.0))  # fmt: skip
        options = webdriver.ChromeOptions()
        options.binary_location = shutil.which("chromium") or "chromium"
        for arg in (*ARGS, f"--user-data-dir={tmp}/profile"):
            options.add_argument(arg)
        service = Service(executable_path=shutil.which("chromedriver") or "chromedriver")
        with fleet:
            client = JobsClient(fleet.stack.api_url)
            browser = webdriver.Chrome(options=options, service=service)
            try:
                browser.get(fleet.stack.api_url + "/ui")
                n, started = 0, time.monotonic()
                while time.monotonic() - started < seconds:
                    wave = 12 if int(time.monotonic() - started) % 20 < 10 else 2
                    client.submit_batch([{"input": {"n": n + i}} for i in range(wave)])
                    n += wave
                    time.sleep(2.0)
                time.sleep(4.0)
                browser.save_screenshot(str(out))
            finally:
                browser.quit()
    print(f"wrote {out} after {n} jobs")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/dashboard.png"),
         float(sys.argv[2]) if len(sys.argv) > 2 else 60.0)  # fmt: skip
