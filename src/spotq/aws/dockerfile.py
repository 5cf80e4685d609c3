"""`spotq dockerfile APP`: a Dockerfile for the worker image of one app.

The image: a python slim base; this spotq, from a wheel that `spotq dockerfile` builds from the
installed package into `spotq-wheels/` beside the Dockerfile, with the app's extra; the app file;
and the model either baked in (the app's `load()` runs once at build time, so whatever it unpacks
or caches is in a layer) or fetched from S3 when the container starts (`--model-from
s3://bucket/key`, unpacked into $SPOTQ_MODEL_DIR by `python -m spotq.aws.model_fetch`). It runs
as a non-root user, with a HEALTHCHECK that is the same command as the ECS task definition's, and
`spotq worker` as CMD.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from spotq import __version__
from spotq.app import App
from spotq.aws.synth.context import HEALTH_COMMAND, STOP_TIMEOUT_MAX_S
from spotq.errors import ConfigError

DEFAULT_BASE_IMAGE = "python:3.11-slim"
APP_DIR = "/app"
MODEL_DIR = "/tmp/model"  # on the task's scratch volume: the root filesystem is read-only
CACHE_DIR = "/opt/spotq/cache"  # model caches written at build time, read-only at run time
_KNOWN_EXTRAS = ("transcribe", "faces", "labs")
_UID = 10001
# Leave the worker time to release its jobs before ECS's SIGKILL at the stop timeout.
_GRACE_S = STOP_TIMEOUT_MAX_S - 20


@dataclass(frozen=True)
class DockerfileSpec:
    app_name: str
    app_file: PurePosixPath  # relative to the build context
    app_attr: str = ""
    extras: tuple[str, ...] = ()
    model_from: str | None = None  # s3://bucket/key
    base_image: str = DEFAULT_BASE_IMAGE
    spotq_requirement: str = ""  # pip requirement for spotq; default: the wheel below
    wheel: PurePosixPath | None = None  # this spotq as a wheel, relative to the build context
    model_uri: str | None = None  # the app's model_uri: the worker fetches and reloads it


def make_spec(
    app: App,
    app_ref: str,
    context_dir: Path,
    *,
    extras: tuple[str, ...] | None = None,
    model_from: str | None = None,
    base_image: str = DEFAULT_BASE_IMAGE,
    spotq_requirement: str = "",
    wheel: Path | None = None,
) -> DockerfileSpec:
    """Check the inputs and place the app file inside the build context."""
    file_part, _, attr = app_ref.partition(":")
    app_path = Path(file_part).resolve()
    if not app_path.is_file():
        raise ConfigError(f"APP {app_ref!r}: pass the app file (path/to/app.py[:attr])")
    try:
        relative = app_path.relative_to(context_dir.resolve())
    except ValueError:
        raise ConfigError(
            f"app file {file_part!r} is outside the build context {str(context_dir)!r}; "
            "write the Dockerfile into a directory that contains the app file"
        ) from None
    if model_from is not None and not _is_s3_object(model_from):
        raise ConfigError(f"--model-from: expected s3://bucket/key, got {model_from!r}")
    if model_from is not None and app.options.model_uri is not None:
        raise ConfigError(
            f"--model-from: app {app.name!r} sets model_uri, which the worker fetches (and "
            "reloads when it changes) itself; leave --model-from out"
        )
    if extras is None:
        extras = tuple(e for e in _KNOWN_EXTRAS if e == app.name)
    return DockerfileSpec(
        app_name=app.name,
        app_file=PurePosixPath(relative.as_posix()),
        app_attr=attr,
        extras=("aws", *extras),
        model_from=model_from,
        base_image=base_image,
        spotq_requirement=spotq_requirement,
        wheel=None if wheel is None else _in_context(wheel, context_dir),
        model_uri=app.options.model_uri,
    )


def _in_context(path: Path, context_dir: Path) -> PurePosixPath:
    return PurePosixPath(path.resolve().relative_to(context_dir.resolve()).as_posix())


def _is_s3_object(uri: str) -> bool:
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    return uri.startswith("s3://") and bool(bucket) and bool(key) and not key.endswith("/")


WHEELS_DIR = "spotq-wheels"  # in the build context, beside the Dockerfile
_WHEELS_IN_IMAGE = "/tmp/spotq-wheels"


def render(spec: DockerfileSpec) -> str:
    """The Dockerfile text."""
    extras = ",".join(spec.extras)
    requirement = spec.spotq_requirement or f"spotq[{extras}]=={__version__}"
    install = [f"ARG SPOTQ_REQUIREMENT={json.dumps(requirement)}"]
    if spec.wheel is not None and not spec.spotq_requirement:
        # This spotq, built by `spotq dockerfile` from the installed package; extras from PyPI.
        in_image = f"{_WHEELS_IN_IMAGE}/{spec.wheel.name}"
        install = [
            f"COPY {spec.wheel.as_posix()} {in_image}",
            f"ARG SPOTQ_REQUIREMENT={json.dumps(f'{in_image}[{extras}]')}",
        ]
    app_in_image = f"{APP_DIR}/{spec.app_file.name}"
    app_ref = f"{app_in_image}:{spec.app_attr}" if spec.app_attr else app_in_image
    worker = ["spotq", "worker", app_ref, "--grace-s", str(_GRACE_S)]
    lines = [
        "# syntax=docker/dockerfile:1",
        f"# Worker image for the spotq app {spec.app_name!r}; generated by `spotq dockerfile`.",
        f"FROM {spec.base_image}",
        "ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \\",
        f"    HF_HUB_OFFLINE=1 XDG_CACHE_HOME={CACHE_DIR} SPOTQ_MODEL_DIR={MODEL_DIR}",
        f"RUN useradd --uid {_UID} --user-group --no-create-home \\",
        f"    --shell /usr/sbin/nologin spotq && mkdir -p {APP_DIR} {CACHE_DIR}",
        *install,
        'RUN pip install --no-cache-dir "${SPOTQ_REQUIREMENT}"',
        f"WORKDIR {APP_DIR}",
        f"COPY {spec.app_file.as_posix()} {app_in_image}",
        *_model_lines(spec, app_ref),
        f"RUN chown -R {_UID}:{_UID} {CACHE_DIR}",
        f"USER {_UID}:{_UID}",
        "HEALTHCHECK --interval=30s --timeout=10s --start-period=300s --retries=3 \\",
        f"    CMD {json.dumps(list(HEALTH_COMMAND[1:]))}",
        *_entrypoint_lines(spec),
        f"CMD {json.dumps(worker)}",
        "",
    ]
    return "\n".join(lines)


def _model_lines(spec: DockerfileSpec, app_ref: str) -> list[str]:
    if spec.model_from is not None:
        return [f"# The model is fetched from {spec.model_from} when the container starts."]
    if spec.model_uri is not None:  # load() needs the artifact, which only exists at run time
        return [
            f"# The worker fetches {spec.model_uri} before load() and reloads it when the "
            "object's version changes."
        ]
    load = f"from spotq.app import load_app; load_app({app_ref!r}).load_model()"
    return [
        "# Bake the model in: run the app's load() once so its files land in this layer.",
        f"RUN python -c {json.dumps(load)}",
    ]


def _entrypoint_lines(spec: DockerfileSpec) -> list[str]:
    if spec.model_from is None:
        return []
    fetch = ["python", "-m", "spotq.aws.model_fetch", spec.model_from, MODEL_DIR, "--"]
    return [f"ENTRYPOINT {json.dumps(fetch)}"]
