"""StartBackoff: doubling waits, never giving up, clearing on the first ready worker."""

from spotq.fleet.backoff import StartBackoff


def test_waits_double_up_to_the_cap_and_a_ready_worker_clears_them() -> None:
    backoff = StartBackoff(base_s=1.0, cap_s=60.0)
    waits = [backoff.failed(0.0, -9, None) for _ in range(8)]
    assert waits == [1, 2, 4, 8, 16, 32, 60, 60]
    assert not backoff.may_start(59.0) and backoff.may_start(60.0)
    assert "8 in a row exited before ready (last exit code -9)" in str(backoff.reason(0.0))
    assert backoff.app_failure is None  # killed by a signal: no error to repeat
    assert backoff.recovered() is True
    assert backoff.reason(0.0) is None and backoff.may_start(0.0)
    assert backoff.recovered() is False


def test_the_same_error_three_times_is_the_apps_failure_a_different_one_is_not() -> None:
    backoff = StartBackoff()
    backoff.failed(0.0, 1, "load() failed: RuntimeError('no model')")
    backoff.failed(1.0, 1, "load() failed: RuntimeError('no model')")
    assert backoff.app_failure is None
    backoff.failed(3.0, 1, "load() failed: OSError('disk full')")
    backoff.failed(7.0, 1, "load() failed: OSError('disk full')")
    assert backoff.app_failure is None
    backoff.failed(15.0, 1, "load() failed: OSError('disk full')")
    assert backoff.app_failure == (
        "3 workers in a row failed to start with the same error: "
        "load() failed: OSError('disk full')"
    )
    backoff.failed(31.0, -9, None)  # a kill in between breaks the run
    assert backoff.app_failure is None
