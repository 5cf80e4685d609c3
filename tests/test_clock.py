import pytest

from spotq.clock import FakeClock


def test_fake_clock_moves_only_when_told() -> None:
    clock = FakeClock(start_s=100.0)
    assert clock.now() == 100.0
    clock.advance(2.5)
    assert clock.now() == 102.5
    assert clock.monotonic() == 2.5
    with pytest.raises(ValueError):
        clock.advance(-1)
