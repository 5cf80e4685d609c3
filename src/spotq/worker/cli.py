"""`spotq worker APP`: run one worker process for an app.

Where the stack lives comes from `--stack-config` (a JSON document, or a file holding one: what
`StackConfig.to_json()` writes; also read from $SPOTQ_STACK_CONFIG) or from the flags.

For a supervisor (the local fleet):
- logs: one JSON object per line on stderr (`{"ts", "event", "app", "pid", ...}`); `ready` once the
  model is loaded and the queues exist; then received_batch, job_done (with queue_wait_s, fetch_s,
  handle_s, store_s), job_failed (outcome retry|failed|dead|released), busy, idle, draining,
  stopped. Read stderr continuously or send it to a file: a full pipe blocks the worker.
- `--stack-wait-s S` with `--stack-config FILE`: a supervisor may start a worker before its stack
  exists; the worker then loads its model and waits up to S seconds for FILE (written
  atomically once the queues exist), and exits 5 at once if the supervisor ends meanwhile.
- `--status-file PATH`: rewritten atomically on each change of state with
  `{"state": "starting|idle|busy|draining|stopped", "pid", "updated_at_s", "jobs_done",
  "jobs_failed"}`; `idle` first appears when the worker is ready. Drain only `idle` workers.
- SIGTERM/SIGINT: stop receiving, finish in-flight work within `--grace-s`, release the rest
  (visibility 0), exit 0. A second signal releases in-flight work at once.
- exit codes: 0 drained or idle past `--max-idle-s`; 1 the app failed to load or a service failed;
  2 bad arguments or configuration; 3 a handler overran its timeout (its jobs were failed; the
  stuck thread cannot be stopped, so the process ends and the supervisor starts a fresh one);
  4 a handler pushed the process over its memory limit (its jobs were failed); 5 the supervisor
  that started it (named by $SPOTQ_PARENT_FD, see spotq.worker.parent) is gone.
"""

from __future__ import annotations

import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import click

from spotq.app import App, load_app, with_batch_size
from spotq.aws.ecs.integration import attach as attach_ecs
from spotq.clock import SystemClock
from spotq.errors import ConfigError, SpotqError
from spotq.queues import make_sqs_client
from spotq.stack import StackConfig
from spotq.storage.factory import open_blob_store, open_job_store
from spotq.worker.emf import EmfHooks
from spotq.worker.hooks import HookChain, WorkerHooks
from spotq.worker.jsonlog import JsonLogHooks
from spotq.worker.metrics_file import MetricsFileHooks, metrics_path_for
from spotq.worker.model_reload import ModelArtifacts, ModelReloader
from spotq.worker.parent import (
    EXIT_PARENT_GONE,
    ParentGone,
    parent_fd,
    wait_for_file,
    watch_parent,
)
from spotq.worker.runtime import NOT_LOADED, Worker, WorkerConfig, load_model
from spotq.worker.signals import install_drain_signals
from spotq.worker.status import StatusFileHooks


@click.command()
@click.argument("app_ref", metavar="APP")
@click.option("--stack-config", envvar="SPOTQ_STACK_CONFIG", help="StackConfig JSON or a file.")
@click.option("--sqs-endpoint-url", help="SQS endpoint (default: AWS's own).")
@click.option("--region", default="us-east-1", show_default=True)
@click.option("--blob-url", default=".spotq/blobs", show_default=True)
@click.option("--jobs-url", default="sqlite:///.spotq/jobs.db", show_default=True)
@click.option("--queue-prefix", default="spotq-", show_default=True)
@click.option("--grace-s", type=float, default=30.0, show_default=True)
@click.option("--max-idle-s", type=float, default=None, help="Exit after this long without jobs.")
@click.option("--poll-wait-s", type=click.IntRange(0, 20), default=2, show_default=True)
@click.option("--status-file", type=click.Path(dir_okay=False, path_type=Path), default=None)
@click.option("--batch-size", type=int, default=None, help="Override the app's batch_size.")
@click.option(
    "--stack-wait-s",
    type=click.FloatRange(min=0),
    default=0.0,
    help="If the --stack-config file does not exist yet, load the model and wait this long for "
    "it (a supervisor that starts workers while its stack comes up).",
)
@click.option(
    "--on-ecs/--not-on-ecs",
    default=None,
    help="ECS integration: Spot notices, task protection (default: detected from ECS_* vars).",
)
def worker(
    app_ref: str,
    stack_config: str | None,
    sqs_endpoint_url: str | None,
    region: str,
    blob_url: str,
    jobs_url: str,
    queue_prefix: str,
    grace_s: float,
    max_idle_s: float | None,
    poll_wait_s: int,
    status_file: Path | None,
    batch_size: int | None,
    stack_wait_s: float,
    on_ecs: bool | None,
) -> None:
    """Run a worker for APP (path/to/app.py or module:attr) until drained."""
    try:
        app = load_app(app_ref, runnable=True)
        if batch_size is not None:
            app.options = with_batch_size(app.options, batch_size)
        stack: StackConfig | PendingStack
        if stack_config and stack_wait_s and _is_missing_file(stack_config):
            stack = PendingStack(Path(stack_config), stack_wait_s)
        elif stack_config:
            stack = _parse_stack(stack_config, app)
        else:
            stack = StackConfig(
                app.name, sqs_endpoint_url, region, blob_url, jobs_url, queue_prefix
            )
        config = WorkerConfig(grace_s=grace_s, max_idle_s=max_idle_s, poll_wait_s=poll_wait_s)
    except SpotqError as exc:
        _fail(exc, 2)
    sys.exit(_serve(app, stack, config, status_file, on_ecs))


@dataclass(frozen=True)
class PendingStack:
    """A stack config file its supervisor has not written yet."""

    path: Path
    timeout_s: float


def _is_missing_file(stack_config: str) -> bool:
    return not stack_config.lstrip().startswith("{") and not Path(stack_config).exists()


def _serve(
    app: App,
    stack: StackConfig | PendingStack,
    config: WorkerConfig,
    status_file: Path | None,
    on_ecs: bool | None,
) -> int:
    log = JsonLogHooks()
    hooks: list[WorkerHooks] = [log]
    ecs = attach_ecs(app.options, on_ecs=on_ecs, environ=os.environ, emit=log.emit)
    if ecs is not None:
        hooks.extend(ecs.hooks)
        hooks.append(EmfHooks(app.name))  # metrics to CloudWatch through the log driver
        status_file = status_file or ecs.status_file  # what the container health check reads
    if status_file is not None:
        hooks.append(StatusFileHooks(status_file))
        if ecs is None:  # locally, the job API serves these on /metrics and /ui
            hooks.append(MetricsFileHooks(metrics_path_for(status_file)))
    chain = HookChain(hooks)
    fd = parent_fd(os.environ)
    model: Any = NOT_LOADED
    if isinstance(stack, PendingStack):
        model, stack = _early_start(app, stack, chain, fd, log)
    try:
        runtime = Worker(
            app,
            stack,
            sqs=make_sqs_client(stack),
            blobs=open_blob_store(stack.blob_url),
            jobs=open_job_store(stack.jobs_url),
            config=config,
            hooks=chain,
            model_reloader=_model_reloader(app, stack, chain),
            model=model,
        )
    except ConfigError as exc:
        _fail(exc, 2)
    if ecs is not None:
        ecs.relay.bind(runtime.request_drain)
    restore = install_drain_signals(runtime.request_drain)
    if fd is not None:

        def parent_gone() -> None:
            log.emit("parent_gone")
            runtime.request_drain("parent_gone")
            runtime.request_drain("parent_gone")  # a second request releases held jobs at once

        watch_parent(fd, parent_gone)
    try:
        return runtime.run()
    except SpotqError as exc:
        log.emit("stopped", reason="error", error=str(exc), exit_code=1)
        _fail(exc, 1)
    finally:
        restore()


def _early_start(
    app: App, pending: PendingStack, hooks: WorkerHooks, fd: int | None, log: JsonLogHooks
) -> tuple[Any, StackConfig]:
    """Load the model while the supervisor's stack comes up, then wait for its config. An app
    with a model artifact loads it later, from the stack's region."""
    model: Any = NOT_LOADED
    try:
        if app.options.model is None:
            hooks.on_start(app.name, os.getpid())
            model = load_model(app)
        wait_for_file(pending.path, pending.timeout_s, fd)
        return model, _parse_stack(str(pending.path), app)
    except ParentGone:
        log.emit("stopped", reason="parent_gone", exit_code=EXIT_PARENT_GONE)
        sys.exit(EXIT_PARENT_GONE)
    except ConfigError as exc:
        _fail(exc, 2)
    except SpotqError as exc:
        log.emit("stopped", reason="error", error=str(exc), exit_code=1)
        _fail(exc, 1)


def _model_reloader(app: App, stack: StackConfig, hooks: WorkerHooks) -> ModelReloader | None:
    """For an app with `model_uri`: its S3 artifact, cached under $SPOTQ_MODEL_CACHE (default:
    the temporary directory, the task's scratch volume on AWS)."""
    model = app.options.model
    if model is None:
        return None
    from spotq.aws.session import AwsConfig, make_client  # boto3: only for apps that need it

    cache = Path(os.environ.get("SPOTQ_MODEL_CACHE") or tempfile.gettempdir()) / "spotq-models"
    artifacts = ModelArtifacts(make_client("s3", AwsConfig(region=stack.region)), model, cache)
    return ModelReloader(app, artifacts, hooks, SystemClock(), app.options.model_check_s)


def _parse_stack(text: str, app: App) -> StackConfig:
    if not text.lstrip().startswith("{"):
        try:
            text = Path(text).read_text()
        except OSError as exc:
            raise ConfigError(f"--stack-config: cannot read {text!r}: {exc.strerror}") from None
    stack = StackConfig.from_json(text)
    if stack.app != app.name:
        raise ConfigError(f"--stack-config: app is {stack.app!r} but APP defines {app.name!r}")
    return stack


def _fail(exc: Exception, code: int) -> NoReturn:
    click.echo(f"error: {exc}", err=True)
    sys.exit(code)
