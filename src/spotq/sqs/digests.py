"""MD5 digests SQS returns for bodies and attributes, and the content-based deduplication hash."""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Mapping
from typing import Any

_LEN = struct.Struct(">I")


def md5_of_body(body: str) -> str:
    """Hex MD5 of the UTF-8 body."""
    return hashlib.md5(body.encode("utf-8")).hexdigest()


def md5_of_attributes(attributes: Mapping[str, Mapping[str, Any]]) -> str:
    """Hex MD5 over attributes sorted by name, in SQS's length-prefixed encoding."""
    digest = hashlib.md5()
    for name in sorted(attributes):
        value = attributes[name]
        data_type = value["DataType"]
        _add(digest, name.encode("utf-8"))
        _add(digest, data_type.encode("utf-8"))
        if data_type.startswith("Binary"):
            digest.update(b"\x02")
            _add(digest, value["BinaryValue"])
        else:
            digest.update(b"\x01")
            _add(digest, value["StringValue"].encode("utf-8"))
    return digest.hexdigest()


def _add(digest: Any, data: bytes) -> None:
    digest.update(_LEN.pack(len(data)))
    digest.update(data)


def content_dedup_id(body: str) -> str:
    """Deduplication id for ContentBasedDeduplication: SHA-256 of the body."""
    return hashlib.sha256(body.encode("utf-8")).hexdigest()
