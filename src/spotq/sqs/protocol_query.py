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
# Characters XML 1.0 cannot carry at all; they only reach here inside echoed error text.
_XML_INVALID_RE = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_XML_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#xD;"})


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


def _operation_model(operation: str) -> Any:
    model = _service_model()
    if operation not in model.operation_names:
        raise sqs_error("InvalidAction", f"The action {operation} is not valid for this endpoint.")
    return model.operation_model(operation)


def _wire_name(shape: Any, member_name: str) -> str:
    """The query name of a structure member (botocore's rule for flattened lists included)."""
    if shape.type_name == "list" and shape.serialization.get("flattened"):
        element_name = shape.member.serialization.get("name")
        if element_name is not None:
            return str(element_name)
    return str(shape.serialization.get("name", member_name))


@functools.cache
def _members(shape: Any) -> tuple[tuple[str, Any, str, str], ...]:
    """(member name, member shape, wire name, member type) of a structure shape: worked out once
    per shape instead of on every request (the model's shapes live as long as the process)."""
    return tuple(
        (name, member, _wire_name(member, name), member.type_name)
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
            node = node.children.setdefault(part, _Node())
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


def _text(value: str) -> str:
    if _XML_INVALID_RE.search(value):
        value = _XML_INVALID_RE.sub("\ufffd", value)
    return value.translate(_XML_ESCAPES)


def render_query_response(operation: str, result: dict[str, Any], request_id: str) -> bytes:
    """Serialise a JSON-shaped result as the query protocol's XML reply."""
    output_shape = _operation_model(operation).output_shape
    out = [f'<?xml version="1.0"?><{operation}Response xmlns="{NAMESPACE}">']
    if output_shape is not None:
        out.append(f"<{operation}Result>")
        _encode_members(output_shape, result, out)
        out.append(f"</{operation}Result>")
    out.append(f"<ResponseMetadata><RequestId>{_text(request_id)}</RequestId></ResponseMetadata>")
    out.append(f"</{operation}Response>")
    return "".join(out).encode()


def render_query_error(error: SqsError, request_id: str) -> bytes:
    """Serialise an error as the query protocol's `ErrorResponse`."""
    fault = "Sender" if error.sender_fault else "Receiver"
    return (
        f'<?xml version="1.0"?><ErrorResponse xmlns="{NAMESPACE}"><Error><Type>{fault}</Type>'
        f"<Code>{_text(error.code)}</Code><Message>{_text(error.message)}</Message><Detail/>"
        f"</Error><RequestId>{_text(request_id)}</RequestId></ErrorResponse>"
    ).encode()


def _encode_members(shape: Any, value: dict[str, Any], out: list[str]) -> None:
    for member_name, member, wire, _ in _members(shape):
        item = value.get(member_name)
        if item is not None:
            _encode(member, item, wire, out)


def _encode(shape: Any, value: Any, name: str, out: list[str]) -> None:
    kind = shape.type_name
    if kind == "structure":
        out.append(f"<{name}>")
        _encode_members(shape, value, out)
        out.append(f"</{name}>")
    elif kind == "list":
        _encode_list(shape, value, name, out)
    elif kind == "map":
        _encode_map(shape, value, name, out)
    else:
        out.append(f"<{name}>{_scalar_text(kind, value)}</{name}>")


def _encode_list(shape: Any, value: list[Any], name: str, out: list[str]) -> None:
    element = str(shape.member.serialization.get("name", "member"))
    if shape.serialization.get("flattened"):
        for item in value:
            _encode(shape.member, item, name, out)
        return
    out.append(f"<{name}>")
    for item in value:
        _encode(shape.member, item, element, out)
    out.append(f"</{name}>")


def _encode_map(shape: Any, value: dict[str, Any], name: str, out: list[str]) -> None:
    key_name = str(shape.key.serialization.get("name", "key"))
    value_name = str(shape.value.serialization.get("name", "value"))
    flattened = bool(shape.serialization.get("flattened"))
    entry = name if flattened else "entry"
    if not flattened:
        out.append(f"<{name}>")
    for key, item in value.items():
        out.append(f"<{entry}><{key_name}>{_text(str(key))}</{key_name}>")
        _encode(shape.value, item, value_name, out)
        out.append(f"</{entry}>")
    if not flattened:
        out.append(f"</{name}>")


def _scalar_text(kind: str, value: Any) -> str:
    if kind == "boolean":
        return "true" if value else "false"
    if kind == "blob":
        raw = value.encode("utf-8") if isinstance(value, str) else bytes(value)
        return base64.b64encode(raw).decode("ascii")
    return _text(str(value))
