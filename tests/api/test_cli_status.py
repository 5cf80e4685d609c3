"""`spotq status`: newest first, "N of M", --state/--limit; and a clear error with no API."""

from __future__ import annotations

from click.testing import CliRunner

from spotq.api.client import JobsClient
from spotq.cli import cli
from spotq.fleet.embedded import EmbeddedStack


def test_status_lists_the_newest_jobs_first_and_says_how_many(
    stack: EmbeddedStack, client: JobsClient
) -> None:
    ids = [client.submit({"n": i})["id"] for i in range(25)]  # one by one: distinct times
    api = ["--api-url", stack.api_url]
    table = CliRunner().invoke(cli, ["status", *api, "--wide"])
    assert table.exit_code == 0, table.output
    assert "newest 20 of 25 jobs (--limit for more)" in table.output
    assert "jobs: 25 queued" in table.output
    rows = [line for line in table.output.splitlines() if any(i in line for i in ids)]
    assert len(rows) == 20
    order = [next(i for i in ids if i in row) for row in rows]
    submitted = {job_id: client.job(job_id)["submitted_at_s"] for job_id in order}
    assert [submitted[i] for i in order] == sorted(submitted.values(), reverse=True)
    assert ids[0] not in table.output  # the oldest is beyond the newest 20

    few = CliRunner().invoke(cli, ["status", *api, "--state", "queued", "--limit", "3"])
    assert "newest 3 of 25 queued jobs" in few.output
    none = CliRunner().invoke(cli, ["status", *api, "--state", "dead"])
    assert none.exit_code == 0 and "newest 0 of 0 dead jobs" in none.output
    bad = CliRunner().invoke(cli, ["status", *api, "--state", "nope"])
    assert bad.exit_code == 2 and "queued" in bad.output


def test_an_unreachable_api_is_named_with_what_to_do() -> None:
    result = CliRunner().invoke(cli, ["status", "--api-url", "http://127.0.0.1:9"])
    assert result.exit_code == 1
    assert "cannot reach the job API at http://127.0.0.1:9" in result.output
    assert "spotq up APP" in result.output
