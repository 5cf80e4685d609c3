"""The scaler function's code: a zip of spotq's own modules it runs, built from this install.

Only the modules the handler imports go in (spotq.scaling whole, spotq.errors, the job table's
key names and spotq.aws.scaler), plus a one-line `spotq/__init__.py`: the real one imports the app
framework, which the scaler never uses. boto3 comes with the Lambda Python runtime. The zip is
byte-for-byte reproducible (sorted entries, fixed timestamps), so its content hash names it and
an unchanged scaler means an unchanged stack.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

import spotq

HANDLER = "spotq.aws.scaler.handler.handler"
RUNTIME = "python3.12"
_ROOT = Path(spotq.__file__).resolve().parent
_PACKAGES = ("scaling", "aws/scaler")
_MODULES = ("errors.py", "aws/__init__.py", "aws/dynamo_schema.py")
_INIT = '"""spotq, as packaged for the scaler function: spotq.scaling and spotq.aws.scaler."""\n'
_EXCLUDE = {"aws/scaler/package.py"}  # runs where the zip is built, not in the function
_EPOCH = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class ScalerZip:
    data: bytes
    sha256: str

    @property
    def key(self) -> str:
        """The S3 key deploy uploads it to: a new key whenever the code changes."""
        return f"spotq/scaler-{self.sha256[:20]}.zip"


def sources() -> dict[str, bytes]:
    """Archive path → file content, for every file the zip holds."""
    files = {"spotq/__init__.py": _INIT.encode()}
    for name in _MODULES:
        files[f"spotq/{name}"] = (_ROOT / name).read_bytes()
    for package in _PACKAGES:
        for path in sorted((_ROOT / package).glob("*.py")):
            relative = path.relative_to(_ROOT).as_posix()
            if relative not in _EXCLUDE:
                files[f"spotq/{relative}"] = path.read_bytes()
    return files


def build() -> ScalerZip:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in sorted(sources().items()):
            info = zipfile.ZipInfo(name, date_time=_EPOCH)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    data = buffer.getvalue()
    return ScalerZip(data, hashlib.sha256(data).hexdigest())
