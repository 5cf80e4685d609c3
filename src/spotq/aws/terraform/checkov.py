"""Checkov skips for checks that exist only in its Terraform framework (its CloudFormation
framework has no counterpart, so the template carries no skip for them), each with the written
reason it is safe, as the template's own skips have. The template's skips carry over as they are.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Applies = Callable[[dict[str, Any]], bool]


def _always(resource: dict[str, Any]) -> bool:
    return True


def _hop_limit_above_one(resource: dict[str, Any]) -> bool:
    data = resource.get("Properties", {}).get("LaunchTemplateData", {})
    limit = data.get("MetadataOptions", {}).get("HttpPutResponseHopLimit", 1)
    return isinstance(limit, int) and limit > 1


# main Terraform type → (check id, reason, when it applies given the CFN resource)
TERRAFORM_ONLY: dict[str, list[tuple[str, str, Applies]]] = {
    "aws_s3_bucket": [
        (
            "CKV2_AWS_62",
            "Nothing consumes bucket events: jobs arrive as SQS messages, never as object "
            "notifications.",
            _always,
        ),
        (
            "CKV_AWS_144",
            "Job inputs and results can be resubmitted and recomputed; the bucket is versioned "
            "and kept when the stack goes, so a replica in a second region would double storage "
            "cost without a recovery need.",
            _always,
        ),
        (
            "CKV_AWS_145",
            "Encrypted at rest with SSE-S3 (AES256); SSE-KMS would add a KMS request and its "
            "cost to every blob read and write without changing who can read them (the bucket "
            "policy and the task role decide that).",
            _always,
        ),
    ],
    "aws_lambda_function": [
        (
            "CKV_AWS_272",
            "The code zip is built by spotq from the installed package and uploaded to the "
            "user's own private bucket under a key naming its hash; code signing would need a "
            "signing profile outside this module.",
            _always,
        ),
        (
            "CKV_AWS_50",
            "One short call a minute to SQS, ECS and DynamoDB whose every decision is logged and "
            "published as metrics; X-Ray traces would add cost that nothing reads.",
            _always,
        ),
    ],
    "aws_scheduler_schedule": [
        (
            "CKV_AWS_297",
            "The schedule holds only the scaler function's ARN, no data; the AWS owned key "
            "encrypts it.",
            _always,
        ),
    ],
    "aws_launch_template": [
        (
            "CKV_AWS_341",
            "Hop limit 2 lets bridge-mode containers reach the instance metadata service, which "
            "the worker's spot-interruption watcher reads; issue 13 (hosts) lowers it to 1, and "
            "then this skip no longer applies.",
            _hop_limit_above_one,
        ),
    ],
}


def terraform_only_skips(tf_type: str, resource: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        (check, reason)
        for check, reason, applies in TERRAFORM_ONLY.get(tf_type, [])
        if applies(resource)
    ]
