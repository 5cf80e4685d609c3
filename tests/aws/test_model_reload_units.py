"""ModelReloader in-process on moto S3 with a fake clock: no check before model_check_s, no
reload for the same version, an unreachable object logged and the model kept, an unversioned
bucket tracked by ETag."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from spotq.app import App
from spotq.aws.session import AwsConfig, make_client
from spotq.clock import FakeClock
from spotq.worker.hooks import Hooks
from spotq.worker.model_reload import ModelArtifacts, ModelReloader


class Log(Hooks):
    def __init__(self) -> None:
        self.errors: list[str] = []
        self.loaded: list[tuple[str, bool]] = []

    def on_error(self, where: str, error: str) -> None:
        self.errors.append(f"{where}: {error}")

    def on_model_loaded(self, version: str, reloaded: bool) -> None:
        self.loaded.append((version, reloaded))


def _reloader(aws: AwsConfig, bucket: str, tmp_path: Path) -> tuple[ModelReloader, Log, FakeClock]:
    app = App("units", model_uri=f"s3://{bucket}/m.txt", model_check_s=10)
    app.loader(lambda path: Path(path).read_text())
    model = app.options.model
    assert model is not None
    artifacts = ModelArtifacts(make_client("s3", aws), model, tmp_path / "cache")
    log, clock = Log(), FakeClock()
    return ModelReloader(app, artifacts, log, clock, 10), log, clock


def _tick(reloader: ModelReloader) -> Any:
    reloader.poll()
    reloader.wait(30)
    return reloader.poll()


def test_checks_wait_for_the_interval_and_ignore_the_same_version(
    aws_env: AwsConfig, s3_bucket: str, tmp_path: Path
) -> None:
    s3 = make_client("s3", aws_env)
    s3.put_bucket_versioning(Bucket=s3_bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_object(Bucket=s3_bucket, Key="m.txt", Body=b"one")
    reloader, log, clock = _reloader(aws_env, s3_bucket, tmp_path)
    assert reloader.load_initial() == "one"
    s3.put_object(Bucket=s3_bucket, Key="m.txt", Body=b"two")
    assert _tick(reloader) is None  # not yet: model_check_s has not passed
    clock.advance(10)
    assert _tick(reloader) == "two"
    clock.advance(10)
    assert _tick(reloader) is None  # same version: nothing loaded again
    assert [reloaded for _, reloaded in log.loaded] == [False, True]
    s3.delete_object(Bucket=s3_bucket, Key="m.txt")  # a delete marker: HeadObject fails
    clock.advance(10)
    assert _tick(reloader) is None
    assert len(log.errors) == 1 and "cannot check" in log.errors[0]


def test_an_unversioned_bucket_is_tracked_by_etag(
    aws_env: AwsConfig, s3_bucket: str, tmp_path: Path
) -> None:
    s3 = make_client("s3", aws_env)
    s3.put_object(Bucket=s3_bucket, Key="m.txt", Body=b"one")
    reloader, log, clock = _reloader(aws_env, s3_bucket, tmp_path)
    assert reloader.load_initial() == "one"
    s3.put_object(Bucket=s3_bucket, Key="m.txt", Body=b"two!")
    clock.advance(10)
    assert _tick(reloader) == "two!"
    assert all(version.startswith("etag:") for version, _ in log.loaded)
