"""BlobStore contract: the same tests against the local directory store and S3 on moto server."""

from __future__ import annotations

from pathlib import Path

import pytest

from spotq.aws.s3_blobs import S3BlobStore, parse_s3_url
from spotq.aws.session import AwsConfig, make_client
from spotq.errors import ConfigError, StorageError
from spotq.storage.base import BlobStore, input_key, result_key
from spotq.storage.factory import open_blob_store


@pytest.fixture(params=["local", "s3"])
def blobs(request: pytest.FixtureRequest, tmp_path: Path) -> BlobStore:
    if request.param == "local":
        return open_blob_store(str(tmp_path / "blobs"))
    bucket: str = request.getfixturevalue("s3_bucket")
    return open_blob_store(f"s3://{bucket}/team/app")


def test_put_get_round_trips_bytes(blobs: BlobStore) -> None:
    payload = bytes(range(256)) * 41
    blobs.put(input_key("j1"), payload)
    blobs.put(result_key("j1"), b"")
    assert blobs.get(input_key("j1")) == payload
    assert blobs.get(result_key("j1")) == b""


def test_put_twice_keeps_the_last_whole_value(blobs: BlobStore) -> None:
    blobs.put(result_key("j2"), b'{"v": 1}')
    blobs.put(result_key("j2"), b'{"v": 2}')
    assert blobs.get(result_key("j2")) == b'{"v": 2}'


def test_exists_tracks_puts(blobs: BlobStore) -> None:
    assert not blobs.exists(result_key("j3"))
    blobs.put(result_key("j3"), b"x")
    assert blobs.exists(result_key("j3"))
    assert not blobs.exists("results")  # a "directory" is not a blob


def test_missing_blob_is_a_storage_error(blobs: BlobStore) -> None:
    with pytest.raises(StorageError, match="nope"):
        blobs.get("inputs/nope")


@pytest.mark.parametrize(
    "key", ["../escape", "inputs/../../x", "/abs", "a//b", "", ".hidden", "a b", "x" * 600]
)
def test_unsafe_keys_are_refused_everywhere(blobs: BlobStore, key: str) -> None:
    with pytest.raises(StorageError):
        blobs.put(key, b"x")
    with pytest.raises(StorageError):
        blobs.get(key)
    with pytest.raises(StorageError):
        blobs.exists(key)


def test_url_names_the_key(blobs: BlobStore) -> None:
    assert blobs.url(result_key("j4")).endswith("results/j4.json")


def test_s3_objects_live_under_the_prefix(aws_env: AwsConfig, s3_bucket: str) -> None:
    store = S3BlobStore(f"s3://{s3_bucket}/team/app/", aws=aws_env)
    store.put(result_key("j5"), b"{}")
    listed = make_client("s3", aws_env).list_objects_v2(Bucket=s3_bucket)
    assert [obj["Key"] for obj in listed["Contents"]] == ["team/app/results/j5.json"]
    assert store.url(result_key("j5")) == f"s3://{s3_bucket}/team/app/results/j5.json"


def test_s3_without_prefix_uses_bucket_root(aws_env: AwsConfig, s3_bucket: str) -> None:
    store = S3BlobStore(f"s3://{s3_bucket}", aws=aws_env)
    store.put("inputs/j6", b"1")
    assert make_client("s3", aws_env).get_object(Bucket=s3_bucket, Key="inputs/j6")["Body"].read()


def test_s3_missing_bucket_is_a_storage_error(aws_env: AwsConfig) -> None:
    store = S3BlobStore("s3://spotq-no-such-bucket/p", aws=aws_env)
    with pytest.raises(StorageError, match="NoSuchBucket"):
        store.put("inputs/x", b"1")


@pytest.mark.parametrize(
    "url",
    ["s3://", "s3:///prefix", "file:///x", "s3://Bad_Bucket/p", "s3://b/../p", "s3://bb/p?x=1"],
)
def test_bad_s3_urls_name_the_key(url: str) -> None:
    with pytest.raises(ConfigError, match="blob_url"):
        parse_s3_url(url)
