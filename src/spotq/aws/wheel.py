"""A wheel of the spotq that is running, built from its installed files (no build backend, no
network), so a generated Docker build context installs exactly this spotq rather than a PyPI
name that is not ours."""

from __future__ import annotations

import base64
import hashlib
import zipfile
from importlib import metadata
from pathlib import Path

import spotq

TAG = "py3-none-any"
_SKIP_DIRS = frozenset({"__pycache__"})
_SKIP_SUFFIXES = (".pyc", ".pyo")


def wheel_name() -> str:
    return f"spotq-{spotq.__version__}-{TAG}.whl"


def build_wheel(out_dir: Path) -> Path:
    """Write `spotq-VERSION-py3-none-any.whl` into `out_dir` and return its path."""
    package_dir = Path(spotq.__file__).resolve().parent
    dist = metadata.distribution("spotq")
    info = f"spotq-{spotq.__version__}.dist-info"
    entries: list[tuple[str, bytes]] = []
    for path in sorted(package_dir.rglob("*")):
        relative = path.relative_to(package_dir)
        if path.is_dir() or _SKIP_DIRS & set(relative.parts) or path.suffix in _SKIP_SUFFIXES:
            continue
        entries.append((f"spotq/{relative.as_posix()}", path.read_bytes()))
    entries.append((f"{info}/METADATA", (dist.read_text("METADATA") or "").encode()))
    entries.append(
        (f"{info}/entry_points.txt", (dist.read_text("entry_points.txt") or "").encode())
    )
    wheel_meta = f"Wheel-Version: 1.0\nGenerator: spotq {spotq.__version__}\n"
    entries.append(
        (f"{info}/WHEEL", (wheel_meta + f"Root-Is-Purelib: true\nTag: {TAG}\n").encode())
    )
    record = [f"{name},{_digest(data)},{len(data)}" for name, data in entries]
    record.append(f"{info}/RECORD,,")
    entries.append((f"{info}/RECORD", ("\n".join(record) + "\n").encode()))
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / wheel_name()
    tmp = target.with_name(target.name + ".tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries:
            archive.writestr(zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0)), data)
    tmp.replace(target)
    return target


def _digest(data: bytes) -> str:
    raw = hashlib.sha256(data).digest()
    return "sha256=" + base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
