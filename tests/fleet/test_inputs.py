from __future__ import annotations

from pathlib import Path

import pytest

from spotq.errors import ConfigError
from spotq.fleet.inputs import plan_inputs


def test_inputs_are_named_by_basename(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "hello.wav").write_bytes(b"x")
    [planned] = plan_inputs([str(tmp_path / "a" / ".." / "a" / "hello.wav")])
    assert planned.name == "hello.wav" and planned.out_name == "hello.wav.json"


def test_two_inputs_with_one_name_are_refused(tmp_path: Path) -> None:
    for d in ("x", "y"):
        (tmp_path / d).mkdir()
        (tmp_path / d / "same.wav").write_bytes(b"x")
    with pytest.raises(ConfigError, match=r"would both write same\.wav\.json"):
        plan_inputs([tmp_path / "x" / "same.wav", tmp_path / "y" / "same.wav"])


def test_missing_and_non_json_inputs_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        plan_inputs([tmp_path / "nope.wav"])
    with pytest.raises(ConfigError, match="at least one"):
        plan_inputs([])
    (tmp_path / "list.json").write_text("[1, 2]")
    [planned] = plan_inputs([tmp_path / "list.json"])
    with pytest.raises(ConfigError, match="expected a JSON object"):
        planned.json_input()
