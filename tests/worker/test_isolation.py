"""plan_runs: jobs that never ran run together; the others alone, fewest runs first."""

from dataclasses import dataclass

from spotq.worker.isolation import plan_runs


@dataclass(frozen=True)
class Item:
    job_id: str
    runs_before: int


def test_jobs_that_never_ran_form_the_batch_and_the_others_run_alone() -> None:
    items = [Item("a", 0), Item("b", 1), Item("c", 0), Item("d", 2)]
    plan = plan_runs(items)
    assert [i.job_id for i in plan.batch] == ["a", "c"]
    assert [i.job_id for i in plan.alone] == ["b", "d"]


def test_the_job_that_ran_most_goes_last() -> None:
    # p ran alone last time and killed its worker; m1 and m2 were received with it but never
    # started then (their records still count only the batch run).
    items = [Item("p", 2), Item("m1", 1), Item("m2", 1)]
    plan = plan_runs(items)
    assert plan.batch == []
    assert [i.job_id for i in plan.alone] == ["m1", "m2", "p"]
