"""The blob bucket (inputs and results) and the job table."""

from __future__ import annotations

from spotq.aws import dynamo_schema
from spotq.aws.synth import ids
from spotq.aws.synth.cfn import Json, arn, checkov_skips, ref, sub
from spotq.aws.synth.context import Context

_NONCURRENT_VERSION_DAYS = 7


def storage(ctx: Context) -> Json:
    return {
        ids.BUCKET: _bucket(),
        ids.BUCKET_POLICY: _tls_only_policy(),
        ids.TABLE: _table(),
    }


def _bucket() -> Json:
    return {
        "Type": "AWS::S3::Bucket",
        # Results outlive the stack: `spotq destroy` leaves the bucket (and its data) behind.
        "DeletionPolicy": "Retain",
        "UpdateReplacePolicy": "Retain",
        "Metadata": checkov_skips(
            (
                "CKV_AWS_18",
                "Access logging needs a second, log-only bucket; job inputs and results are "
                "written only by this stack's task role, and CloudTrail data events cover audit.",
            ),
        ),
        "Properties": {
            **private_bucket_properties(),
            # Versioning guards against overwrites; old versions and failed uploads expire.
            "LifecycleConfiguration": {
                "Rules": [
                    {
                        "Id": "expire-old-versions",
                        "Status": "Enabled",
                        "NoncurrentVersionExpiration": {"NoncurrentDays": _NONCURRENT_VERSION_DAYS},
                        "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
                    }
                ]
            },
        },
    }


def _tls_only_policy() -> Json:
    return {
        "Type": "AWS::S3::BucketPolicy",
        "Properties": {
            "Bucket": ref(ids.BUCKET),
            "PolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "DenyInsecureTransport",
                        "Effect": "Deny",
                        "Principal": "*",
                        "Action": "s3:*",
                        "Resource": [arn(ids.BUCKET), sub(f"${{{ids.BUCKET}.Arn}}/*")],
                        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                    }
                ],
            },
        },
    }


def _table() -> Json:
    return {
        "Type": "AWS::DynamoDB::Table",
        "DeletionPolicy": "Retain",
        "UpdateReplacePolicy": "Retain",
        "Metadata": checkov_skips(
            (
                "CKV_AWS_119",
                "Encrypted at rest with the AWS managed key (SSEEnabled); a customer managed key "
                "adds cost and key-policy upkeep without changing who can read the table.",
            ),
        ),
        "Properties": dynamo_schema.cloudformation_properties(),
    }


def private_bucket_properties() -> Json:
    """What every bucket spotq makes has: SSE-S3 encryption (ALB access logs take no other),
    no public access, no ACLs (the bucket owner owns every object), versioning."""
    return {
        "BucketEncryption": {
            "ServerSideEncryptionConfiguration": [
                {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
            ]
        },
        "PublicAccessBlockConfiguration": {
            "BlockPublicAcls": True,
            "BlockPublicPolicy": True,
            "IgnorePublicAcls": True,
            "RestrictPublicBuckets": True,
        },
        "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
        "VersioningConfiguration": {"Status": "Enabled"},
    }
