"""The app file: `load()` once per worker process, a handler over a batch of jobs, and options.

    import spotq

    app = spotq.App("transcribe", batch_size=4, visibility_timeout_s=120)

    @app.loader
    def load() -> Model: ...

    @app.handler
    def handle(model: Model, jobs: list[spotq.Job]) -> list[dict]: ...

    @app.stream_handler  # optional: `spotq serve` streams (WebSocket /v1/stream)
    def stream(model: Model, audio: numpy.ndarray, final: bool) -> dict: ...

A handler returns one JSON-serialisable result per job, in order. To fail one job of a batch
without failing the others, return (or raise) `spotq.JobFailed("why")` in its place.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from spotq import app_env
from spotq.errors import AppError
from spotq.iam_statements import check_statements

_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-")


class HandlerContractError(AppError):
    """A handler broke its contract (not a list, or not one result per job): every job of that
    batch fails the attempt with this message; running them one by one would hide the bug."""


class JobFailed(Exception):
    """A handler's verdict on one job. `retry=False` fails it at once instead of retrying."""

    def __init__(self, message: str, *, retry: bool = True) -> None:
        super().__init__(message)
        self.retry = retry


@dataclass(frozen=True)
class Job:
    """One job as a handler sees it."""

    id: str
    input: dict[str, Any]
    attempt: int = 1
    filename: str | None = None
    data: bytes | None = None  # the uploaded file, when the job was submitted with one
    submitted_at_s: float = 0.0


@dataclass(frozen=True)
class AppOptions:
    """Options that travel with an app: the worker, the fleet, the planner and AWS synthesis read
    them. Sizes describe one worker task."""

    batch_size: int = 1
    # Messages a worker receives per ReceiveMessage call and feeds to the handler batch_size at a
    # time (batch_size..10). None: sized by the worker from its handler call time, so the
    # messages it holds wait at most about a second for their call (spotq.worker.prefetch).
    prefetch: int | None = None
    visibility_timeout_s: int = 60
    max_receives: int = 3
    job_timeout_s: float = 600.0
    memory_threshold: float = 0.8
    memory_limit_bytes: int | None = None
    retry_backoff_s: float = 2.0
    vcpu: float = 1.0
    memory_gib: float = 2.0
    gpus: int = 0
    distinct_instance: bool = False
    # Realtime (`spotq serve`): how long a request may wait for others to share its batch, the
    # latency a request is promised (past it, it is shed with 503 rather than served late), and
    # the request rate one task sustains (sizes plans and the ALB target-tracking policy).
    max_batch_wait_ms: float = 5.0
    latency_budget_ms: float = 2000.0
    rps_per_task: float | None = None
    # The app's environment on AWS (spotq.app_env, docs/aws.md "The app's environment"): plain
    # variables, secrets by reference ({"ENV": "ssm:/name" or an ARN}), a customer managed KMS
    # key those secrets are encrypted with, extra task-role IAM statements, an existing queue to
    # consume (URL or ARN), and a model artifact in S3 reloaded when its version changes.
    environment: Mapping[str, str] = field(default_factory=dict)
    secrets: Mapping[str, str] = field(default_factory=dict)
    secrets_kms_key_arn: str | None = None
    task_role_statements: Sequence[Mapping[str, Any]] = ()
    task_role_allow_wildcard: bool = False
    queue: str | None = None
    model_uri: str | None = None
    model_check_s: float = 60.0

    def __post_init__(self) -> None:
        _check(1 <= self.batch_size <= 10, "batch_size must be 1..10 (an SQS receive)")
        _check(
            self.prefetch is None or self.batch_size <= self.prefetch <= 10,
            "prefetch must be batch_size..10 (messages per SQS receive), or None for automatic",
        )
        _check(1 <= self.visibility_timeout_s <= 43_200, "visibility_timeout_s must be 1..43200")
        _check(1 <= self.max_receives <= 1000, "max_receives must be 1..1000")
        _check(self.job_timeout_s > 0, "job_timeout_s must be > 0")
        _check(0 < self.memory_threshold <= 1, "memory_threshold must be in (0, 1]")
        _check(self.retry_backoff_s >= 0, "retry_backoff_s must be >= 0")
        _check(self.vcpu > 0 and self.memory_gib > 0, "vcpu and memory_gib must be > 0")
        _check(self.gpus >= 0, "gpus must be >= 0")
        _check(0 <= self.max_batch_wait_ms <= 10_000, "max_batch_wait_ms must be 0..10000")
        _check(self.latency_budget_ms > 0, "latency_budget_ms must be > 0")
        _check(self.rps_per_task is None or self.rps_per_task > 0, "rps_per_task must be > 0")
        _check(self.model_check_s >= 1, "model_check_s must be >= 1")
        app_env.check_environment(self.environment)
        app_env.parse_secrets(self.secrets)
        app_env.check_no_overlap(self.environment, self.secrets)
        app_env.check_kms_key(self.secrets_kms_key_arn)
        check_statements(self.task_role_statements, allow_wildcard=self.task_role_allow_wildcard)
        app_env.parse_queue(self.queue)
        app_env.parse_model(self.model_uri)

    @property
    def secret_refs(self) -> tuple[app_env.SecretRef, ...]:
        return app_env.parse_secrets(self.secrets)

    @property
    def extra_statements(self) -> tuple[dict[str, Any], ...]:
        return check_statements(
            self.task_role_statements, allow_wildcard=self.task_role_allow_wildcard
        )

    @property
    def existing_queue(self) -> app_env.QueueRef | None:
        return app_env.parse_queue(self.queue)

    @property
    def model(self) -> app_env.ModelRef | None:
        return app_env.parse_model(self.model_uri)


def with_batch_size(options: AppOptions, batch_size: int) -> AppOptions:
    """`options` with another handler batch size (`spotq run --batch-size`, and the workers it
    starts), checked as the app's own would be."""
    return with_options(options, batch_size=batch_size)


def with_options(options: AppOptions, **fields: Any) -> AppOptions:
    """`options` with fields given on a command line (`--batch-size` and the like), each
    checked as the app's own would be; an error names the option (`--field-name VALUE`)."""
    for name, value in fields.items():
        try:
            options = replace(options, **{name: value})
        except AppError as exc:
            raise AppError(f"--{name.replace('_', '-')} {value}: {exc}") from None
    return options


def _check(ok: bool, message: str) -> None:
    if not ok:
        raise AppError(message)


Handler = Callable[[Any, list[Job]], Sequence[Any]]
# load() takes no argument, or the artifact's local path when the app sets `model_uri`.
Loader = Callable[..., Any]
# (model, audio, final) -> {"text": ...} or the text: `audio` is one utterance so far as float32
# mono 16 kHz samples (a numpy array); `final` is True once the speaker has stopped.
StreamHandler = Callable[[Any, Any, bool], Any]
# A raw message body (one not made by spotq's job API) -> that job's input.
Decoder = Callable[[str], dict[str, Any]]


@dataclass
class App:
    """A spotq app: a name, an optional loader, a handler and options."""

    name: str
    options: AppOptions = field(default_factory=AppOptions)
    load_fn: Loader | None = None
    handle_fn: Handler | None = None
    stream_fn: StreamHandler | None = None
    decode_fn: Decoder | None = None

    def __init__(
        self,
        name: str,
        *,
        handler: Handler | None = None,
        load: Loader | None = None,
        **options: Any,
    ) -> None:
        if not name or not set(name) <= _NAME_CHARS or len(name) > 40:
            raise AppError(
                f"app name {name!r}: use 1-40 lowercase letters, digits and '-' "
                "(it names queues, tables and stacks)"
            )
        self.name = name
        try:
            self.options = AppOptions(**options)
        except TypeError as exc:
            raise AppError(f"app {name!r}: unknown option ({exc})") from None
        self.load_fn = load
        self.handle_fn = handler
        self.stream_fn = None
        self.decode_fn = None

    def loader(self, fn: Loader) -> Loader:
        """Decorator: the function run once per worker process; its return value is the model."""
        self.load_fn = fn
        return fn

    def handler(self, fn: Handler) -> Handler:
        """Decorator: the function called with (model, jobs) returning one result per job."""
        self.handle_fn = fn
        return fn

    def stream_handler(self, fn: StreamHandler) -> StreamHandler:
        """Decorator: the function `spotq serve` calls for WebSocket streams, with (model, audio,
        final) for one utterance, returning its text (partial while `final` is False)."""
        self.stream_fn = fn
        return fn

    def decoder(self, fn: Decoder) -> Decoder:
        """Decorator: turns the body of a message that spotq's job API did not make (a producer's
        own format, on an existing queue) into the job's input dict. Raise to refuse a message:
        it is retried and then goes to the dead-letter queue, like a failing job."""
        self.decode_fn = fn
        return fn

    def load_model(self, artifact: Path | None = None) -> Any:
        """Run the loader; with a model artifact (the `model_uri` option) it gets the local path."""
        if self.load_fn is None:
            return None
        if artifact is not None:
            return self.load_fn(artifact)
        return self.load_fn()

    def handle(self, model: Any, jobs: list[Job]) -> list[Any]:
        if self.handle_fn is None:
            raise AppError(f"app {self.name!r} has no handler")
        returned = self.handle_fn(model, jobs)
        if not isinstance(returned, list | tuple):
            raise HandlerContractError(
                f"handler returned {type(returned).__name__}, expected a list of {len(jobs)} "
                "results (one per job, in order)"
            )
        if len(returned) != len(jobs):
            raise HandlerContractError(
                f"handler returned {len(returned)} results for {len(jobs)} jobs"
            )
        return list(returned)


def load_app(ref: str, *, runnable: bool = False) -> App:
    """Load an app from `path/to/app.py`, `path/to/app.py:attr` or `package.module:attr`. With
    `runnable` (what runs jobs: `spotq worker`, `up`, `run`), refuse one without a handler."""
    target, _, attr = ref.partition(":")
    if target.endswith(".py") or Path(target).is_file():
        module = _import_file(Path(target))
    else:
        try:
            module = importlib.import_module(target)
        except ImportError as exc:
            raise AppError(f"cannot import app module {target!r}: {exc}") from None
    if attr:
        app = getattr(module, attr, None)
        if not isinstance(app, App):
            raise AppError(f"{ref!r}: {attr!r} is not a spotq.App")
        return _checked(app, ref) if runnable else app
    apps = [value for value in vars(module).values() if isinstance(value, App)]
    if len(apps) != 1:
        raise AppError(
            f"{ref!r} defines {len(apps)} spotq.App objects; name one as {target}:ATTRIBUTE"
        )
    return _checked(apps[0], ref) if runnable else apps[0]


def _checked(app: App, ref: str) -> App:
    """Refuse an app that could run no job, before any job is submitted to it."""
    if app.handle_fn is None:
        raise AppError(
            f"{ref!r}: app {app.name!r} has no handler: decorate a function "
            "`def handle(model, jobs)` with @app.handler (or pass App(..., handler=fn))"
        )
    return app


def _import_file(path: Path) -> Any:
    if not path.is_file():
        raise AppError(f"app file {str(path)!r} does not exist")
    module_name = f"spotq_app_{path.stem}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise AppError(f"cannot load app file {str(path)!r}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except AppError:
        raise
    except Exception as exc:
        raise AppError(f"app file {str(path)!r} failed to import: {exc!r}") from exc
    return module
