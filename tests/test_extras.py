"""A missing optional module is reported with the command that installs it."""

from __future__ import annotations

import pytest

from spotq import extras
from spotq.errors import ConfigError


def test_a_module_of_an_extra_names_the_extra() -> None:
    message = extras.describe_missing(ModuleNotFoundError("nope", name="faster_whisper.audio"))
    assert (
        message
        == "No module named 'faster_whisper'; install it with: pip install 'spotq[transcribe]'"
    )


def test_the_cause_chain_is_searched_and_other_errors_are_not_described() -> None:
    try:
        try:
            raise ModuleNotFoundError("no cv2", name="cv2")
        except ImportError as inner:
            raise RuntimeError("load failed") from inner
    except RuntimeError as outer:
        assert "spotq[faces]" in (extras.describe_missing(outer) or "")
    assert extras.describe_missing(ValueError("x")) is None
    unknown = extras.describe_missing(ModuleNotFoundError("x", name="somelib"))
    assert unknown is not None and unknown.startswith("No module named 'somelib'; is it installed")


def test_require_names_the_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(extras, "find_spec", lambda name: None)
    with pytest.raises(ConfigError, match=r"--plots needs matplotlib: pip install 'spotq\[plot\]'"):
        extras.require("matplotlib", "--plots")
