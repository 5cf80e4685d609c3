"""Uploading the scaler function's code zip where CloudFormation can read it.

`spotq deploy` puts it in an asset bucket: one the user names, or `spotq-assets-<account>-<region>`
which it creates on first use (private: public access blocked, objects owned by the bucket owner,
default encryption). The key carries the zip's content hash, so an upload happens only when the
scaler's code changed, and the stack updates the function exactly then.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from spotq.aws.scaler.package import ScalerZip
from spotq.errors import SpotqError


class AssetError(SpotqError):
    """The scaler's code could not be uploaded."""


@dataclass(frozen=True)
class UploadedAsset:
    bucket: str
    key: str
    uploaded: bool  # False: the same zip was already there


def default_bucket(sts: Any, region: str) -> str:
    account = sts.get_caller_identity()["Account"]
    return f"spotq-assets-{account}-{region}"


def upload(s3: Any, bucket: str, region: str, asset: ScalerZip, *, create: bool) -> UploadedAsset:
    """Put `asset` at its content-hashed key in `bucket` (created first when `create`)."""
    try:
        if create:
            _ensure_bucket(s3, bucket, region)
        if _exists(s3, bucket, asset.key):
            return UploadedAsset(bucket, asset.key, uploaded=False)
        s3.put_object(Bucket=bucket, Key=asset.key, Body=asset.data)
    except ClientError as exc:
        error = exc.response.get("Error", {})
        raise AssetError(
            f"upload of the scaler's code to s3://{bucket}/{asset.key} failed: "
            f"{error.get('Code', '?')} {error.get('Message', '')}".rstrip()
        ) from exc
    return UploadedAsset(bucket, asset.key, uploaded=True)


def _exists(s3: Any, bucket: str, key: str) -> bool:
    try:
        s3.head_object(Bucket=bucket, Key=key)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return False
        raise
    return True


def _ensure_bucket(s3: Any, bucket: str, region: str) -> None:
    try:
        s3.head_bucket(Bucket=bucket)
        return
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") not in ("404", "NoSuchBucket", "NotFound"):
            raise
    kwargs: dict[str, Any] = {"Bucket": bucket, "ObjectOwnership": "BucketOwnerEnforced"}
    if region != "us-east-1":  # us-east-1 refuses an explicit location constraint
        kwargs["CreateBucketConfiguration"] = {"LocationConstraint": region}
    s3.create_bucket(**kwargs)
    s3.put_public_access_block(
        Bucket=bucket,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )
    s3.put_bucket_encryption(
        Bucket=bucket,
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
        },
    )
