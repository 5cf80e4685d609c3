"""SQS queues, the S3 bucket (one CFN resource, several Terraform ones: the provider splits a
bucket's settings into resources of their own) and its policy, the DynamoDB table."""

from __future__ import annotations

from spotq.aws.terraform.errors import TerraformExportError
from spotq.aws.terraform.hcl import Block, Call, Raw
from spotq.aws.terraform.intrinsics import convert
from spotq.aws.terraform.resource import Mapping, Props, Resource, one_block, sub_blocks, tags


def jsonencode(props: Props, key: str) -> Call | None:
    """A JSON-typed property (a policy, a redrive policy) as jsonencode(...)."""
    if not props.has(key):
        return None
    return Call("jsonencode", convert(props.scope, props.raw(key)))


_QUEUE_ATTRS = {
    "QueueName": "name",
    "FifoQueue": "fifo_queue",
    "ContentBasedDeduplication": "content_based_deduplication",
    "DelaySeconds": "delay_seconds",
    "MaximumMessageSize": "max_message_size",
    "MessageRetentionPeriod": "message_retention_seconds",
    "ReceiveMessageWaitTimeSeconds": "receive_wait_time_seconds",
    "VisibilityTimeout": "visibility_timeout_seconds",
    "SqsManagedSseEnabled": "sqs_managed_sse_enabled",
    "KmsMasterKeyId": "kms_master_key_id",
    "KmsDataKeyReusePeriodSeconds": "kms_data_key_reuse_period_seconds",
}


def _queue(r: Resource) -> list[Block]:
    block, p = r.block("aws_sqs_queue"), r.props
    p.attrs(block, _QUEUE_ATTRS)
    block.set("redrive_policy", jsonencode(p, "RedrivePolicy"))
    block.set("redrive_allow_policy", jsonencode(p, "RedriveAllowPolicy"))
    block.set("tags", tags(p))
    p.done()
    return [block]


def _bucket(r: Resource) -> list[Block]:
    main, p = r.block("aws_s3_bucket"), r.props
    p.attrs(main, {"BucketName": "bucket"})
    main.set("tags", tags(p))
    bucket = Raw(f"{r.address('aws_s3_bucket')}.id")
    parts = [main]

    def part(tf_type: str, suffix: str) -> Block:
        block = r.block(tf_type, suffix)
        block.set("bucket", bucket)
        parts.append(block)
        return block

    if (enc := p.nested("BucketEncryption")) is not None:
        block = part("aws_s3_bucket_server_side_encryption_configuration", "_encryption")
        sub_blocks(block, "rule", enc.items("ServerSideEncryptionConfiguration"), _sse_rule)
        enc.done()
    if (versioning := p.nested("VersioningConfiguration")) is not None:
        block = part("aws_s3_bucket_versioning", "_versioning")
        one_block(block, "versioning_configuration", versioning, {"Status": "status"})
    if (lifecycle := p.nested("LifecycleConfiguration")) is not None:
        _lifecycle(part("aws_s3_bucket_lifecycle_configuration", "_lifecycle"), lifecycle, parts)
    if (ownership := p.nested("OwnershipControls")) is not None:
        block = part("aws_s3_bucket_ownership_controls", "_ownership")
        for _, rule in ownership.items("Rules"):
            one_block(block, "rule", rule, {"ObjectOwnership": "object_ownership"})
        ownership.done()
    if (public := p.nested("PublicAccessBlockConfiguration")) is not None:
        block = part("aws_s3_bucket_public_access_block", "_public_access")
        public.attrs(block, _PUBLIC_ACCESS)
        public.done()
    if (logging := p.nested("LoggingConfiguration")) is not None:
        block = part("aws_s3_bucket_logging", "_logging")
        logging.attrs(block, {"DestinationBucketName": "target_bucket"})
        block.set("target_prefix", logging.value("LogFilePrefix") or "")
        logging.done()
    p.done()
    return parts


def _lifecycle(block: Block, lifecycle: Props, parts: list[Block]) -> None:
    sub_blocks(block, "rule", lifecycle.items("Rules"), _lifecycle_rule)
    lifecycle.done()
    versioning = [b for b in parts if b.labels[0] == "aws_s3_bucket_versioning"]
    if versioning:  # rules on noncurrent versions need versioning on first
        block.set("depends_on", [Raw(f"aws_s3_bucket_versioning.{versioning[0].labels[1]}")])


_PUBLIC_ACCESS = {
    "BlockPublicAcls": "block_public_acls",
    "BlockPublicPolicy": "block_public_policy",
    "IgnorePublicAcls": "ignore_public_acls",
    "RestrictPublicBuckets": "restrict_public_buckets",
}


def _sse_rule(block: Block, rule: Props) -> None:
    rule.attrs(block, {"BucketKeyEnabled": "bucket_key_enabled"})
    one_block(
        block,
        "apply_server_side_encryption_by_default",
        rule.nested("ServerSideEncryptionByDefault"),
        {"SSEAlgorithm": "sse_algorithm", "KMSMasterKeyID": "kms_master_key_id"},
    )


def _lifecycle_rule(block: Block, rule: Props) -> None:
    rule.attrs(block, {"Id": "id", "Status": "status"})
    prefix = rule.value("Prefix")
    filter_block = block.add(Block("filter"))  # the provider wants a filter, empty = all
    filter_block.set("prefix", prefix)
    one_block(
        block,
        "abort_incomplete_multipart_upload",
        rule.nested("AbortIncompleteMultipartUpload"),
        {"DaysAfterInitiation": "days_after_initiation"},
    )
    one_block(
        block,
        "noncurrent_version_expiration",
        rule.nested("NoncurrentVersionExpiration"),
        {"NoncurrentDays": "noncurrent_days"},
    )
    if rule.has("ExpirationInDays"):
        block.add(Block("expiration")).set("days", rule.value("ExpirationInDays"))


def _bucket_policy(r: Resource) -> list[Block]:
    block, p = r.block("aws_s3_bucket_policy"), r.props
    p.attrs(block, {"Bucket": "bucket"})
    block.set("policy", jsonencode(p, "PolicyDocument"))
    p.done()
    return [block]


def _table(r: Resource) -> list[Block]:
    block, p = r.block("aws_dynamodb_table"), r.props
    block.set("name", p.value("TableName") or r.generated_name())
    p.attrs(
        block,
        {"BillingMode": "billing_mode", "DeletionProtectionEnabled": "deletion_protection_enabled"},
    )
    _key_schema(block, p)
    sub_blocks(block, "attribute", p.items("AttributeDefinitions"), _attribute)
    sub_blocks(block, "global_secondary_index", p.items("GlobalSecondaryIndexes"), _index)
    one_block(
        block,
        "point_in_time_recovery",
        p.nested("PointInTimeRecoverySpecification"),
        {"PointInTimeRecoveryEnabled": "enabled"},
    )
    one_block(
        block,
        "server_side_encryption",
        p.nested("SSESpecification"),
        {"SSEEnabled": "enabled", "KMSMasterKeyId": "kms_key_arn"},
    )
    one_block(
        block,
        "ttl",
        p.nested("TimeToLiveSpecification"),
        {"AttributeName": "attribute_name", "Enabled": "enabled"},
    )
    block.set("tags", tags(p))
    p.done()
    return [block]


def _key_schema(block: Block, p: Props) -> None:
    for condition, key in p.items("KeySchema"):
        kind = key.raw("KeyType")
        if condition is not None or kind not in ("HASH", "RANGE"):
            raise TerraformExportError(f"{key.where}: expected a plain HASH or RANGE key")
        block.set("hash_key" if kind == "HASH" else "range_key", key.value("AttributeName"))
        key.done()


def _attribute(block: Block, p: Props) -> None:
    p.attrs(block, {"AttributeName": "name", "AttributeType": "type"})


def _index(block: Block, p: Props) -> None:
    p.attrs(block, {"IndexName": "name"})
    _key_schema(block, p)
    if (projection := p.nested("Projection")) is not None:
        projection.attrs(
            block, {"ProjectionType": "projection_type", "NonKeyAttributes": "non_key_attributes"}
        )
        projection.done()


MAPPINGS = {
    "AWS::SQS::Queue": Mapping(
        "aws_sqs_queue", "url", {"Arn": "arn", "QueueName": "name", "QueueUrl": "url"}, _queue
    ),
    "AWS::S3::Bucket": Mapping(
        "aws_s3_bucket",
        "id",
        {
            "Arn": "arn",
            "DomainName": "bucket_domain_name",
            "RegionalDomainName": "bucket_regional_domain_name",
        },
        _bucket,
    ),
    "AWS::S3::BucketPolicy": Mapping("aws_s3_bucket_policy", "id", {}, _bucket_policy),
    "AWS::DynamoDB::Table": Mapping(
        "aws_dynamodb_table", "name", {"Arn": "arn", "StreamArn": "stream_arn"}, _table
    ),
}
