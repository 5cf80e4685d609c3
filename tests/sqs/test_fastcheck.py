"""The generated input predicates (spotq.sqs.fastcheck) accept well-formed input and are never
looser than the model walk that words the errors: whatever the walk refuses, they refuse."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest

from spotq.sqs import fastcheck, model
from spotq.sqs.errors import SqsError

URL = "http://127.0.0.1:9324/000000000000/jobs"
ATTR = {"DataType": "String", "StringValue": "v"}
BIN = {"DataType": "Binary", "BinaryValue": b"\x00"}
ENTRY = {
    "Id": "e1",
    "MessageBody": "body",
    "DelaySeconds": 5,
    "MessageAttributes": {"a": ATTR, "b": BIN},
    "MessageSystemAttributes": {"AWSTraceHeader": ATTR},
    "MessageDeduplicationId": "d",
    "MessageGroupId": "g",
}
INPUTS: dict[str, dict[str, Any]] = {
    "SendMessage": {"QueueUrl": URL, **{k: v for k, v in ENTRY.items() if k != "Id"}},
    "SendMessageBatch": {"QueueUrl": URL, "Entries": [ENTRY, {"Id": "2", "MessageBody": "b"}]},
    "ReceiveMessage": {
        "QueueUrl": URL,
        "AttributeNames": ["All"],
        "MessageAttributeNames": ["a.*"],
        "MaxNumberOfMessages": 10,
        "VisibilityTimeout": 30,
        "WaitTimeSeconds": 0,
        "ReceiveRequestAttemptId": "r",
    },
    "DeleteMessageBatch": {"QueueUrl": URL, "Entries": [{"Id": "a", "ReceiptHandle": "r"}]},
    "ChangeMessageVisibilityBatch": {
        "QueueUrl": URL,
        "Entries": [{"Id": "a", "ReceiptHandle": "r", "VisibilityTimeout": 60}],
    },
    "CreateQueue": {"QueueName": "q", "Attributes": {"DelaySeconds": "1"}, "tags": {"k": "v"}},
    "StartMessageMoveTask": {"SourceArn": "a", "MaxNumberOfMessagesPerSecond": 5},
    "ListQueues": {"QueueNamePrefix": "j", "MaxResults": 10},
}
WRONG: list[Any] = [None, "s", 7, True, 1.5, b"x", [], {}, ["s"], {"k": "v"}, [None]]


def _walk_accepts(operation: str, params: Any) -> bool:
    try:
        model.walk_input(operation, params)
    except SqsError:
        return False
    return True


def _paths(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*path, index))


def _replaced(params: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    out = copy.deepcopy(params)
    target = out
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = new
    return out


def _removed(params: Any, path: tuple[Any, ...]) -> Any:
    out = copy.deepcopy(params)
    target = out
    for key in path[:-1]:
        target = target[key]
    del target[path[-1]]
    return out


@pytest.fixture(scope="module")
def predicates() -> dict[str, fastcheck.Predicate]:
    return fastcheck.build(model.service_model())


@pytest.mark.parametrize("operation", sorted(INPUTS))
def test_well_formed_input_passes_fast(
    predicates: dict[str, fastcheck.Predicate], operation: str
) -> None:
    assert predicates[operation](INPUTS[operation])
    assert _walk_accepts(operation, INPUTS[operation])


@pytest.mark.parametrize("operation", sorted(INPUTS))
def test_never_looser_than_the_model_walk(
    predicates: dict[str, fastcheck.Predicate], operation: str
) -> None:
    """Every member replaced by each wrong-typed value, and every member removed."""
    base = INPUTS[operation]
    cases = [_replaced(base, p, new) for p in _paths(base) for new in WRONG]
    cases += [_removed(base, p) for p in _paths(base) if p]
    refused = 0
    for case in cases:
        if not _walk_accepts(operation, case):
            refused += 1
            assert not predicates[operation](case), case
    assert refused > len(cases) // 3  # the cases do exercise the refusals


def test_every_operation_has_a_predicate(predicates: dict[str, fastcheck.Predicate]) -> None:
    assert set(predicates) == model.operation_names()
    for operation in predicates:
        assert not predicates[operation]("not a structure")
