"""Reading request bodies with limits enforced while they stream in, never after buffering them."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.types import Message

from spotq.api.errors import (
    BadRequest,
    InvalidInput,
    PayloadTooLarge,
    RequestTimeout,
    UnsupportedMediaType,
)

_FORM_OVERHEAD_BYTES = 64 * 1024  # boundaries, headers and the small text fields of a form
_FORM_FIELDS = frozenset({"file", "input", "priority", "app"})
_CHUNK_BYTES = 1024 * 1024
M = TypeVar("M", bound=BaseModel)


def media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


def require_media(request: Request, *allowed: str) -> str:
    kind = media_type(request)
    if kind not in allowed:
        raise UnsupportedMediaType(
            f"Content-Type {kind or '(none)'!r} is not accepted here; use {' or '.join(allowed)}"
        )
    return kind


@dataclass(frozen=True)
class BodyLimits:
    """How much of a body to take and how long to wait for each piece of it."""

    max_bytes: int
    read_timeout_s: float


def limited(request: Request, limits: BodyLimits, what: str, limit_text: str = "") -> Request:
    """A copy of the request whose body stops with PayloadTooLarge once `limits.max_bytes` pass,
    and with RequestTimeout when the client sends nothing for `limits.read_timeout_s` (a body
    shorter than its Content-Length would otherwise hold the request open for ever)."""
    limit_bytes = limits.max_bytes
    limit_text = limit_text or f"the limit is {limit_bytes} bytes"
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit_bytes:
        raise PayloadTooLarge(f"{what} is {declared} bytes; {limit_text}")
    seen = 0
    receive = request.receive

    async def counting_receive() -> Message:
        nonlocal seen
        try:
            message = await asyncio.wait_for(receive(), limits.read_timeout_s)
        except TimeoutError:
            raise RequestTimeout(
                f"{what} stopped arriving: nothing for {limits.read_timeout_s:g} s "
                f"after {seen} bytes"
            ) from None
        seen += len(message.get("body", b""))
        if seen > limit_bytes:
            raise PayloadTooLarge(f"{what} is over {limit_bytes} bytes; {limit_text}")
        return message

    return Request(request.scope, counting_receive)


async def read_json(request: Request, limits: BodyLimits) -> Any:
    raw = await limited(request, limits, "the JSON body").body()
    return parse_json(raw, "the request body")


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number (JSON has no NaN or infinities)")


def parse_json(raw: bytes | str, what: str) -> Any:
    """Strict JSON: NaN and +/-Infinity are refused here, because no result or SQS message could
    carry them back out (a job accepted with one could only die)."""
    try:
        return json.loads(raw, parse_constant=_no_constant)
    except ValueError as exc:
        raise BadRequest(f"{what} is not valid JSON: {exc}") from None
    except RecursionError:
        raise InvalidInput(f"{what} is nested too deeply to parse") from None


def validate(model: type[M], data: Any) -> M:
    """Validate into a model; a failure names each bad field and what was wrong."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InvalidInput(describe(exc.errors())) from None


def describe(errors: Any) -> str:
    parts = []
    for err in errors:
        loc = ".".join(str(p) for p in err.get("loc", ()) if p != "body") or "body"
        parts.append(f"{loc}: {err.get('msg', 'invalid')}")
    return "; ".join(parts)


@dataclass(frozen=True)
class Upload:
    fields: dict[str, Any]  # input, priority, app, as a JSON body would carry them
    filename: str
    data: bytes


async def read_upload(request: Request, max_upload_bytes: int, read_timeout_s: float) -> Upload:
    """Parse a multipart form with one `file` part and optional `input`, `priority`, `app`."""
    limits = BodyLimits(max_upload_bytes + _FORM_OVERHEAD_BYTES, read_timeout_s)
    limit_text = f"uploaded files are limited to {max_upload_bytes} bytes"
    request = limited(request, limits, "the upload", limit_text)
    form = await request.form(max_files=1, max_fields=8)
    try:
        unknown = set(form.keys()) - _FORM_FIELDS
        if unknown:
            raise InvalidInput(f"unknown form fields {sorted(unknown)}; use {sorted(_FORM_FIELDS)}")
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise InvalidInput("file: a multipart upload needs a 'file' part holding the file")
        data = await _read_capped(upload, max_upload_bytes)
        fields: dict[str, Any] = {}
        for name in ("input", "priority", "app"):
            value = form.get(name)
            if isinstance(value, UploadFile):
                raise InvalidInput(f"{name}: expected a text field, got a file")
            if value is not None:
                fields[name] = parse_json(value, "the 'input' field") if name == "input" else value
        return Upload(fields, upload.filename or "upload", data)
    finally:
        await form.close()


async def _read_capped(upload: UploadFile, max_bytes: int) -> bytes:
    chunks: list[bytes] = []
    total = 0
    while chunk := await upload.read(_CHUNK_BYTES):
        total += len(chunk)
        if total > max_bytes:
            raise PayloadTooLarge(f"the uploaded file is over the limit of {max_bytes} bytes")
        chunks.append(chunk)
    return b"".join(chunks)
