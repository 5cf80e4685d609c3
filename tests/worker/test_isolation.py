"""plan_runs: first receives run together; later ones alone, not-started ones first."""

from dataclasses import dataclass

from spotq.jobs import JobRecord, JobState
from spotq.worker.isolation import plan_runs


@dataclass(frozen=True)
class Item:
    job_id: str
    receive_count: int


def record(job_id: str, attempts: int) -> JobRecord:
    return JobRecord(job_id=job_id, app="a", state=JobState.RUNNING, attempts=attempts)


def test_first_receives_form_the_batch_and_receives_again_run_alone() -> None:
    items = [Item("a", 1), Item("b", 2), Item("c", 1), Item("d", 3)]
    plan = plan_runs(items, {"b": record("b", 1), "d": record("d", 2)})
    assert [i.job_id for i in plan.batch] == ["a", "c"]
    assert [i.job_id for i in plan.alone] == ["b", "d"]


def test_jobs_that_did_not_start_last_time_go_before_the_one_that_did() -> None:
    # p ran alone on receive 2 and killed its worker; m1 and m2 were received with it but never
    # started (their records still show the batch attempt 1).
    items = [Item("p", 3), Item("m1", 3), Item("m2", 3)]
    records = {"p": record("p", 2), "m1": record("m1", 1), "m2": record("m2", 1)}
    plan = plan_runs(items, records)
    assert plan.batch == []
    assert [i.job_id for i in plan.alone] == ["m1", "m2", "p"]


def test_a_job_without_a_record_counts_as_not_started() -> None:
    plan = plan_runs([Item("x", 2), Item("y", 2)], {"x": record("x", 1)})
    assert [i.job_id for i in plan.alone] == ["y", "x"]
