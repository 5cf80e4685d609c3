import dataclasses
import json
from pathlib import Path

import pytest

import spotq
from spotq.app import load_app
from spotq.errors import AppError
from spotq.jobs import MESSAGE_VERSION, JobMessage, MessageFormatError


def test_load_app_from_file(tmp_path: Path) -> None:
    path = tmp_path / "myapp.py"
    path.write_text(
        "import spotq\n"
        "app = spotq.App('echo', batch_size=5)\n"
        "@app.loader\n"
        "def load():\n    return 'model'\n"
        "@app.handler\n"
        "def handle(model, jobs):\n    return [{'m': model, 'x': j.input} for j in jobs]\n"
    )
    app = load_app(str(path))
    assert app.name == "echo" and app.options.batch_size == 5
    model = app.load_model()
    out = app.handle(model, [spotq.Job(id="1", input={"a": 1})])
    assert out == [{"m": "model", "x": {"a": 1}}]
    assert load_app(f"{path}:app") is app or load_app(f"{path}:app").name == "echo"


def test_bad_apps_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(AppError, match="does not exist"):
        load_app(str(tmp_path / "missing.py"))
    with pytest.raises(AppError, match="batch_size"):
        spotq.App("x", batch_size=11)
    with pytest.raises(AppError, match="unknown option"):
        spotq.App("x", bogus=1)
    with pytest.raises(AppError, match="lowercase"):
        spotq.App("Bad Name")
    app = spotq.App("x", handler=lambda model, jobs: [])
    with pytest.raises(AppError, match="0 results for 1 jobs"):
        app.handle(None, [spotq.Job(id="1", input={})])


def test_job_message_round_trip() -> None:
    msg = JobMessage(job_id="j1", app="echo", input={"text": "héllo"}, submitted_at_s=3.0)
    assert JobMessage.decode(msg.encode()) == msg
    with pytest.raises(MessageFormatError):
        JobMessage.decode("not json")
    with pytest.raises(MessageFormatError):
        JobMessage.decode('{"v": 1}')


def test_a_job_message_encodes_every_field_and_round_trips() -> None:
    message = JobMessage(
        "j1", "echo", {"x": [1, {"y": "é"}]}, "inputs/j1", "a b.wav", submitted_at_s=1.5
    )
    body = json.loads(message.encode())
    assert body == {"v": MESSAGE_VERSION, **dataclasses.asdict(message)}
    assert JobMessage.decode(message.encode()) == message


def test_a_handler_that_breaks_its_contract_is_a_contract_error() -> None:
    from spotq.app import HandlerContractError

    jobs = [spotq.Job(id=str(n), input={}) for n in range(4)]
    one = spotq.App("x", handler=lambda model, jobs: [{"ok": 1}])
    with pytest.raises(HandlerContractError, match="returned 1 results for 4 jobs"):
        one.handle(None, jobs)
    as_dict = spotq.App("x", handler=lambda model, jobs: {"a": 1, "b": 2, "c": 3, "d": 4})
    with pytest.raises(HandlerContractError, match="returned dict, expected a list of 4"):
        as_dict.handle(None, jobs)
    as_tuple = spotq.App("x", handler=lambda model, jobs: tuple({"n": j.id} for j in jobs))
    assert as_tuple.handle(None, jobs) == [{"n": "0"}, {"n": "1"}, {"n": "2"}, {"n": "3"}]


def test_an_app_without_a_handler_is_refused_when_loaded(tmp_path: Path) -> None:
    path = tmp_path / "nohandler.py"
    path.write_text("import spotq\napp = spotq.App('nohandler')\n")
    with pytest.raises(AppError, match="has no handler: decorate a function"):
        load_app(str(path), runnable=True)
    with pytest.raises(AppError, match="has no handler"):
        load_app(f"{path}:app", runnable=True)
    assert load_app(str(path)).name == "nohandler"  # synth and plan need no handler
