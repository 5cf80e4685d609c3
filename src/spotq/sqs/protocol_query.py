"""The legacy SQS query protocol: form parameters in, XML out, both driven by the botocore model.

The botocore SQS model now describes the JSON protocol only; it kept the `flattened` traits but
dropped the query wire names (`locationName`, `resultWrapper`). `query_model_dict` puts those back
(from AWS's published query model) so that one walk over the model parses every operation's
parameters and serialises every result, and so that tests can build a botocore client that speaks
the query protocol from the very same model.
"""

from __future__ import annotations

import base64
import binascii
import copy
import functools
import re
from typing import Any

from botocore.loaders import Loader
from botocore.model import ServiceModel

from spotq.sqs.errors import WIRE_CODES, SqsError, sqs_error
from spotq.sqs.query_xml import Writer, build_writers, text, wire_name

API_VERSION = "2012-11-05"
NAMESPACE = "http://queue.amazonaws.com/doc/2012-11-05/"

# Query wire name of a list element where it is not simply the element's structure shape name.
_LIST_MEMBER_NAMES: dict[str, str] = {
    "AWSAccountIdList": "AWSAccountId",
    "ActionNameList": "ActionName",
    "AttributeNameList": "AttributeName",
    "MessageAttributeNameList": "MessageAttributeName",
    "MessageSystemAttributeList": "MessageSystemAttributeName",
    "QueueUrlList": "QueueUrl",
    "TagKeyList": "TagKey",
    "StringList": "StringListValue",
    "BinaryList": "BinaryListValue",
}
# Query wire name of a structure member that holds a (flattened) map, by the map's shape name.
_MAP_ENTRY_NAMES: dict[str, str] = {
    "QueueAttributeMap": "Attribute",
    "MessageSystemAttributeMap": "Attribute",
    "MessageBodyAttributeMap": "MessageAttribute",
    "MessageBodySystemAttributeMap": "MessageSystemAttribute",
    "TagMap": "Tag",
}
# Operations on the service, not on a queue: sent to a queue's URL they are InvalidAction.
_SERVICE_ONLY = frozenset(["CreateQueue", "ListQueues"])
_INTEGER_RE = re.compile(r"-?[0-9]{1,19}")
_INDEX_RE = re.compile(r"[1-9][0-9]{0,8}")


@functools.cache
def query_model_dict() -> dict[str, Any]:
    """The botocore SQS model with the query protocol's wire names restored (do not mutate)."""
    model: dict[str, Any] = copy.deepcopy(
        Loader().load_service_model("sqs", "service-2", api_version=API_VERSION)
    )
    meta = model["metadata"]
    meta.update(protocol="query", protocols=["query"], xmlNamespace=NAMESPACE)
    for key in ("jsonVersion", "targetPrefix", "awsQueryCompatible"):
        meta.pop(key, None)
    for name, operation in model["operations"].items():
        if "output" in operation:
            operation["output"]["resultWrapper"] = f"{name}Result"
    shapes: dict[str, Any] = model["shapes"]
    for name, shape in shapes.items():
        _restore_wire_names(name, shape, shapes)
    return model


def _restore_wire_names(name: str, shape: dict[str, Any], shapes: dict[str, Any]) -> None:
    kind = shape["type"]
    if kind == "list":
        member = shape["member"]
        if name in _LIST_MEMBER_NAMES:
            member["locationName"] = _LIST_MEMBER_NAMES[name]
        elif shapes[member["shape"]]["type"] == "structure":
            member["locationName"] = member["shape"]
    elif kind == "map":
        shape["key"]["locationName"] = "Key" if name == "TagMap" else "Name"
        shape["value"]["locationName"] = "Value"
    elif kind == "structure" and shape.get("exception"):
        code, status = WIRE_CODES.get(name, (name, 400))
        shape["error"] = {"code": code, "httpStatusCode": status, "senderFault": status < 500}
    if kind == "structure":
        for member in shape["members"].values():
            entry_name = _MAP_ENTRY_NAMES.get(member["shape"])
            if entry_name is not None:
                member["locationName"] = entry_name


@functools.cache
def _service_model() -> Any:
    return ServiceModel(query_model_dict(), service_name="sqs")


@functools.cache
def _operation_models() -> dict[str, Any]:
    model = _service_model()
    return {name: model.operation_model(name) for name in model.operation_names}


def _operation_model(operation: str) -> Any:
    found = _operation_models().get(operation)
    if found is None:
        raise sqs_error("InvalidAction", f"The action {operation} is not valid for this endpoint.")
    return found


@functools.cache
def _members(shape: Any) -> tuple[tuple[str, Any, str, str], ...]:
    """(member name, member shape, wire name, member type) of a structure shape: worked out once
    per shape instead of on every request (the model's shapes live as long as the process)."""
    return tuple(
        (name, member, wire_name(member, name), member.type_name)
        for name, member in shape.members.items()
    )


# ---------------------------------------------------------------------------------------- parse


class _Node:
    """One dotted segment of the form's parameter names: its own value and its children."""

    __slots__ = ("children", "value")

    def __init__(self) -> None:
        self.value: str | None = None
        self.children: dict[str, _Node] = {}


def _form_tree(form: dict[str, list[str]]) -> _Node:
    root = _Node()
    for key, values in form.items():
        node = root
        for part in key.split("."):
            child = node.children.get(part)
            if child is None:
                child = node.children[part] = _Node()
            node = child
        node.value = values[0] if values else ""
    return root


def parse_query_request(form: dict[str, list[str]], path: str) -> tuple[str, dict[str, Any]]:
    """Turn query-protocol parameters into (operation, JSON-shaped params).

    `form` is the form body or query string as parsed by `urllib.parse.parse_qs`; `path` is the
    request path, which names the queue (`/ACCOUNT/QUEUE`) when no QueueUrl parameter does.
    """
    actions = form.get("Action")
    if not actions or not actions[0]:
        raise sqs_error("UnknownOperationException", "An unknown operation was requested.")
    operation_model = _operation_model(actions[0])
    name = str(operation_model.name)
    names_queue = len([part for part in path.split("/") if part]) >= 2
    if names_queue and name in _SERVICE_ONLY:
        raise sqs_error("InvalidAction", f"The action {name} is not valid for this endpoint.")
    input_shape = operation_model.input_shape
    params: dict[str, Any] = {}
    if input_shape is not None:
        params = _decode_structure(input_shape, _form_tree(form), "")
        if names_queue and "QueueUrl" in input_shape.members and "QueueUrl" not in params:
            params["QueueUrl"] = path
        if "Entries" in input_shape.members:
            # A form carries no empty list: no entries at all is an empty batch.
            params.setdefault("Entries", [])
    return name, params


def _decode(shape: Any, node: _Node, where: str) -> Any:
    kind = shape.type_name
    if kind == "structure":
        return _decode_structure(shape, node, f"{where}.")
    if kind == "list":
        return _decode_list(shape, node, where)
    if kind == "map":
        return _decode_map(shape, node, where)
    if node.value is None:
        raise sqs_error("MissingParameter", f"The request must contain the parameter {where}.")
    return _decode_scalar(shape, node.value, where)


def _decode_structure(shape: Any, node: _Node, prefix: str) -> dict[str, Any]:
    decoded: dict[str, Any] = {}
    children = node.children
    for member_name, member, wire, kind in _members(shape):
        child = children.get(wire)
        if child is None:
            continue
        if kind == "string":  # what _decode makes of a string, without the calls
            if child.value is not None:
                decoded[member_name] = child.value
            continue
        if kind not in ("structure", "list", "map") and child.value is None:
            continue  # only deeper names (`QueueName.1=x`): the scalar itself was not given
        decoded[member_name] = _decode(member, child, f"{prefix}{wire}")
    return decoded


def _indexed(node: _Node, where: str) -> list[tuple[str, _Node]]:
    """The children of a list or map node in index order; an index must be 1, 2, ..."""
    for key in node.children:
        if not _INDEX_RE.fullmatch(key):
            raise sqs_error("MalformedQueryString", f"{where}.{key} is not a valid parameter name.")
    return sorted(node.children.items(), key=lambda item: int(item[0]))


def _decode_list(shape: Any, node: _Node, where: str) -> list[Any]:
    if not shape.serialization.get("flattened"):
        element = shape.member.serialization.get("name", "member")
        inner = node.children.get(element)
        if inner is None:
            return []
        node, where = inner, f"{where}.{element}"
    return [
        _decode(shape.member, child, f"{where}.{index}") for index, child in _indexed(node, where)
    ]


def _decode_map(shape: Any, node: _Node, where: str) -> dict[str, Any]:
    key_name = str(shape.key.serialization.get("name", "key"))
    value_name = str(shape.value.serialization.get("name", "value"))
    if not shape.serialization.get("flattened"):
        node = node.children.get("entry", _Node())
        where = f"{where}.entry"
    decoded: dict[str, Any] = {}
    for index, entry in _indexed(node, where):
        key_node = entry.children.get(key_name)
        value_node = entry.children.get(value_name)
        for part, part_node in ((key_name, key_node), (value_name, value_node)):
            if part_node is None:
                raise sqs_error(
                    "MissingParameter",
                    f"The request must contain the parameter {where}.{index}.{part}.",
                )
        assert key_node is not None and value_node is not None
        key = _decode(shape.key, key_node, f"{where}.{index}.{key_name}")
        decoded[key] = _decode(shape.value, value_node, f"{where}.{index}.{value_name}")
    return decoded


def _decode_scalar(shape: Any, value: str, where: str) -> Any:
    kind = shape.type_name
    if kind in ("integer", "long"):
        if not _INTEGER_RE.fullmatch(value):
            raise _invalid(value, where, "must be an integer")
        return int(value)
    if kind == "boolean":
        if value.lower() not in ("true", "false"):
            raise _invalid(value, where, "must be true or false")
        return value.lower() == "true"
    if kind == "blob":
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise _invalid(value, where, "must be base64-encoded") from None
    return value


def _invalid(value: str, where: str, reason: str) -> SqsError:
    shown = value if len(value) <= 64 else f"{value[:64]}..."
    message = f"Value {shown} for parameter {where} is invalid. Reason: {reason}."
    return sqs_error("InvalidParameterValue", message)


# --------------------------------------------------------------------------------------- render


@functools.cache
def _replies() -> dict[str, tuple[str, Writer | None, str]]:
    """Per operation: the reply's opening text, the writer of its result's members (None when
    the operation has no output) and the text closing the result."""
    models = _operation_models()
    with_output = [name for name, op in models.items() if op.output_shape is not None]
    shapes = [models[name].output_shape for name in with_output]
    writers = dict(zip(with_output, build_writers(shapes), strict=True))
    replies: dict[str, tuple[str, Writer | None, str]] = {}
    for name in models:
        head = f'<?xml version="1.0"?><{name}Response xmlns="{NAMESPACE}">'
        writer = writers.get(name)
        if writer is not None:
            head += f"<{name}Result>"
        replies[name] = (head, writer, f"</{name}Result>")
    return replies


def render_query_response(operation: str, result: dict[str, Any], request_id: str) -> bytes:
    """Serialise a JSON-shaped result as the query protocol's XML reply."""
    reply = _replies().get(operation)
    if reply is None:
        _operation_model(operation)  # raises InvalidAction
        raise AssertionError(operation)
    head, writer, result_close = reply
    out = [head]
    if writer is not None:
        writer(result, out)
        out.append(result_close)
    out.append(f"<ResponseMetadata><RequestId>{text(request_id)}</RequestId></ResponseMetadata>")
    out.append(f"</{operation}Response>")
    return "".join(out).encode()


def render_query_error(error: SqsError, request_id: str) -> bytes:
    """Serialise an error as the query protocol's `ErrorResponse`."""
    fault = "Sender" if error.sender_fault else "Receiver"
    return (
        f'<?xml version="1.0"?><ErrorResponse xmlns="{NAMESPACE}"><Error><Type>{fault}</Type>'
        f"<Code>{text(error.code)}</Code><Message>{text(error.message)}</Message><Detail/>"
        f"</Error><RequestId>{text(request_id)}</RequestId></ErrorResponse>"
    ).encode()
