"""`python -m spotq.aws.model_fetch s3://bucket/key DEST -- CMD...`: fetch a model, then run CMD.

The worker image's entrypoint when the model is not baked in. A `.tar`, `.tar.gz` or `.tgz`
object is unpacked into DEST (members that would land outside DEST are refused); anything else
is saved as DEST/<file name>. Then the process is replaced by CMD, so signals reach the worker.
"""

from __future__ import annotations

import os
import sys
import tarfile
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from spotq.errors import ConfigError, SpotqError

_ARCHIVE_SUFFIXES = (".tar", ".tar.gz", ".tgz")


def split_uri(uri: str) -> tuple[str, str]:
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    if not uri.startswith("s3://") or not bucket or not key:
        raise ConfigError(f"model location: expected s3://bucket/key, got {uri!r}")
    return bucket, key


def fetch(s3: Any, uri: str, dest: Path, version_id: str | None = None) -> Path:
    """Download `uri` (the given version of it, if any) into `dest` (unpacking archives);
    returns what was written."""
    bucket, key = split_uri(uri)
    dest.mkdir(parents=True, exist_ok=True)
    name = key.rsplit("/", 1)[-1]
    extra = {"VersionId": version_id} if version_id else None
    if not name.endswith(_ARCHIVE_SUFFIXES):
        target = dest / name
        s3.download_file(bucket, key, str(target), ExtraArgs=extra)
        return target
    with tempfile.NamedTemporaryFile(dir=dest, suffix=".part") as tmp:
        s3.download_file(bucket, key, tmp.name, ExtraArgs=extra)
        try:
            with tarfile.open(tmp.name) as archive:
                archive.extractall(dest, filter="data")  # "data" refuses paths outside dest
        except tarfile.TarError as exc:
            raise ConfigError(f"model archive {uri!r} refused: {exc}") from None
    return dest


def main(argv: Sequence[str]) -> int:
    args = list(argv)
    command = args[args.index("--") + 1 :] if "--" in args else []
    head = args[: args.index("--")] if "--" in args else args
    if len(head) != 2 or not command:
        print(
            "usage: python -m spotq.aws.model_fetch s3://bucket/key DEST -- CMD...", file=sys.stderr
        )
        return 2
    import boto3  # only here: the module is imported by tests without AWS
    from botocore.exceptions import ClientError

    try:
        fetch(boto3.client("s3"), head[0], Path(head[1]))
    except SpotqError as exc:
        print(f"spotq: {exc}", file=sys.stderr)
        return 2
    except ClientError as exc:
        print(f"spotq: cannot fetch the model from {head[0]}: {exc}", file=sys.stderr)
        return 1
    os.execvp(command[0], command)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
