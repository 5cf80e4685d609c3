"""The spotq producer of the jobs benchmark, in its own process (as the peers' producers are):
imports, waits for a line on stdin, then submits N no-op jobs through the job API in batches."""

from __future__ import annotations

import sys

from spotq.api.client import JobsClient

SUBMIT_BATCH = 500


def main() -> None:
    api_url, jobs = sys.argv[1], int(sys.argv[2])
    client = JobsClient(api_url)
    sys.stdin.readline()  # go
    for start in range(0, jobs, SUBMIT_BATCH):
        count = min(SUBMIT_BATCH, jobs - start)
        client.submit_batch([{"input": {"i": start + i}} for i in range(count)])
    client.close()


if __name__ == "__main__":
    main()
