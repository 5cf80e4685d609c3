"""BlobStore on S3: `s3://bucket/prefix` holds spotq's keys under the prefix.

Keys are made by spotq (`inputs/<job id>`, `results/<job id>.json`); they are still checked here so
that no key can climb out of the prefix or carry characters S3 treats specially.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from botocore.exceptions import BotoCoreError, ClientError

from spotq.aws.session import AwsConfig, make_client
from spotq.errors import ConfigError, StorageError

_KEY_RE = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]*(/[A-Za-z0-9_-][A-Za-z0-9._-]*)*")
_BUCKET_RE = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_MAX_KEY_CHARS = 512  # as the local store; S3 allows 1024 bytes including the prefix
_MISSING_CODES = frozenset({"404", "NoSuchKey", "NotFound"})


def parse_s3_url(url: str) -> tuple[str, str]:
    """`s3://bucket/some/prefix` -> ("bucket", "some/prefix") with no trailing slash."""
    parts = urlsplit(url)
    if parts.scheme != "s3" or not parts.netloc:
        raise ConfigError(f"blob_url: expected s3://BUCKET[/PREFIX], got {url!r}")
    if parts.query or parts.fragment:
        raise ConfigError(f"blob_url: no query or fragment allowed in {url!r}")
    bucket = parts.netloc
    if not _BUCKET_RE.fullmatch(bucket) or ".." in bucket:
        raise ConfigError(f"blob_url: {bucket!r} is not a valid S3 bucket name")
    prefix = parts.path.strip("/")
    if prefix and not _KEY_RE.fullmatch(prefix):
        raise ConfigError(f"blob_url: prefix {prefix!r} may use letters, digits, '._-' and '/'")
    return bucket, prefix


def check_key(key: str) -> str:
    """Refuse any key that is not a plain relative path of safe segments."""
    if len(key) > _MAX_KEY_CHARS or not _KEY_RE.fullmatch(key) or ".." in key.split("/"):
        raise StorageError(f"blob key {key!r} is not a valid spotq key")
    return key


class S3BlobStore:
    """Bytes by key in one bucket under one prefix."""

    def __init__(self, url: str, *, aws: AwsConfig | None = None, client: Any = None) -> None:
        self.bucket, self.prefix = parse_s3_url(url)
        self._s3 = client if client is not None else make_client("s3", aws)

    def _object_key(self, key: str) -> str:
        check_key(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    def put(self, key: str, data: bytes) -> None:
        object_key = self._object_key(key)
        try:
            self._s3.put_object(Bucket=self.bucket, Key=object_key, Body=data)
        except (BotoCoreError, ClientError) as exc:
            raise StorageError(f"cannot store {self.url(key)}: {_describe(exc)}") from exc

    def get(self, key: str) -> bytes:
        object_key = self._object_key(key)
        try:
            reply = self._s3.get_object(Bucket=self.bucket, Key=object_key)
            body: bytes = reply["Body"].read()
        except ClientError as exc:
            if _error_code(exc) in _MISSING_CODES:
                raise StorageError(f"no blob {key!r} in {self.url('')}") from None
            raise StorageError(f"cannot read {self.url(key)}: {_describe(exc)}") from exc
        except BotoCoreError as exc:
            raise StorageError(f"cannot read {self.url(key)}: {_describe(exc)}") from exc
        return body

    def exists(self, key: str) -> bool:
        object_key = self._object_key(key)
        try:
            self._s3.head_object(Bucket=self.bucket, Key=object_key)
        except ClientError as exc:
            if _error_code(exc) in _MISSING_CODES:
                return False
            raise StorageError(f"cannot check {self.url(key)}: {_describe(exc)}") from exc
        except BotoCoreError as exc:
            raise StorageError(f"cannot check {self.url(key)}: {_describe(exc)}") from exc
        return True

    def url(self, key: str) -> str:
        path = "/".join(part for part in (self.prefix, key) if part)
        return f"s3://{self.bucket}/{path}"


def _error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _describe(exc: Exception) -> str:
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        return f"{error.get('Code', '?')}: {error.get('Message', '')}"
    return str(exc)
