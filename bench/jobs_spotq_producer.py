"""The spotq producer of the jobs benchmark, in its own process (as the peers' producers are):
imports, waits for a line on stdin, then submits N no-op jobs through the job API: one per
`POST /v1/jobs` when the batch is 1 (as every peer enqueues), else BATCH per `POST /v1/jobs:batch`.

    python jobs_spotq_producer.py API_URL JOBS [BATCH (default 500)]
"""

from __future__ import annotations

import sys

from spotq.api.client import JobsClient


def main() -> None:
    api_url, jobs = sys.argv[1], int(sys.argv[2])
    batch = int(sys.argv[3]) if len(sys.argv) > 3 else 500
    client = JobsClient(api_url)
    sys.stdin.readline()  # go
    if batch == 1:
        for i in range(jobs):
            client.submit({"i": i})
    else:
        for start in range(0, jobs, batch):
            count = min(batch, jobs - start)
            client.submit_batch([{"input": {"i": start + i}} for i in range(count)])
    client.close()


if __name__ == "__main__":
    main()
