"""The public edge of a realtime service: the ALB (HTTPS on an ACM certificate, HTTP redirected,
one-hour idle timeout for WebSockets, access logs), its target group (health on /readyz, sticky
lb_cookie, deregistration delay above the drain) and the security groups (443/80 from the
allowed CIDR to the ALB; tasks only from the ALB)."""

from __future__ import annotations

from spotq.aws.synth import realtime_ids as ids
from spotq.aws.synth.cfn import Json, arn, checkov_skips, get_att, ref, sub, tags
from spotq.aws.synth.realtime_context import CONTAINER_PORT, IDLE_TIMEOUT_S, STICKY_S
from spotq.aws.synth.realtime_context import RealtimeContext as Ctx
from spotq.aws.synth.storage import private_bucket_properties

_LOG_PREFIX = "alb"
_LOG_DAYS = 90
_TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"


def edge(ctx: Ctx) -> Json:
    return {
        ids.LOG_BUCKET: _log_bucket(),
        ids.LOG_BUCKET_POLICY: _log_bucket_policy(),
        ids.ALB_SG: _alb_security_group(ctx),
        ids.ALB_TO_TASKS: _alb_to_tasks(),
        ids.TASK_SG: _task_security_group(ctx),
        ids.TASKS_FROM_ALB: _tasks_from_alb(),
        ids.ALB: _load_balancer(ctx),
        ids.TARGET_GROUP: _target_group(ctx),
        ids.HTTPS_LISTENER: _https_listener(),
        ids.HTTP_LISTENER: _http_redirect(),
    }


def _log_bucket() -> Json:
    return {
        "Type": "AWS::S3::Bucket",
        "DeletionPolicy": "Retain",  # access logs outlive the stack
        "UpdateReplacePolicy": "Retain",
        "Metadata": checkov_skips(
            (
                "CKV_AWS_18",
                "This is the access-log bucket itself; logging it to another bucket would need "
                "a third bucket for that one's logs.",
            ),
        ),
        "Properties": {
            # ALB access logs support SSE-S3 only (not SSE-KMS), which this is.
            **private_bucket_properties(),
            "LifecycleConfiguration": {
                "Rules": [
                    {
                        "Id": "expire-access-logs",
                        "Status": "Enabled",
                        "ExpirationInDays": _LOG_DAYS,
                        "NoncurrentVersionExpiration": {"NoncurrentDays": 1},
                        "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
                    }
                ]
            },
        },
    }


def _log_bucket_policy() -> Json:
    objects = sub(f"${{{ids.LOG_BUCKET}.Arn}}/{_LOG_PREFIX}/AWSLogs/${{AWS::AccountId}}/*")
    return {
        "Type": "AWS::S3::BucketPolicy",
        "Properties": {
            "Bucket": ref(ids.LOG_BUCKET),
            "PolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "LoadBalancerLogDelivery",
                        "Effect": "Allow",
                        "Principal": {"Service": "logdelivery.elasticloadbalancing.amazonaws.com"},
                        "Action": "s3:PutObject",
                        "Resource": objects,
                    },
                    {
                        "Sid": "DenyInsecureTransport",
                        "Effect": "Deny",
                        "Principal": "*",
                        "Action": "s3:*",
                        "Resource": [arn(ids.LOG_BUCKET), sub(f"${{{ids.LOG_BUCKET}.Arn}}/*")],
                        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                    },
                ],
            },
        },
    }


def _alb_security_group(ctx: Ctx) -> Json:
    rules = [
        ("HTTPS from the allowed clients", 443),
        ("HTTP from the allowed clients, answered with a redirect to HTTPS", 80),
    ]
    return {
        "Type": "AWS::EC2::SecurityGroup",
        "Metadata": checkov_skips(
            (
                "CKV_AWS_260",
                "Port 80 only redirects to HTTPS (the listener has no forward action); the "
                "source is the AllowedCidr parameter, the whole internet only by default.",
            ),
        ),
        "Properties": {
            "GroupDescription": f"spotq {ctx.app} load balancer: HTTPS (and the redirect) in",
            "VpcId": ref(ids.P_VPC),
            "SecurityGroupIngress": [
                {
                    "Description": text,
                    "IpProtocol": "tcp",
                    "FromPort": port,
                    "ToPort": port,
                    "CidrIp": ref(ids.P_ALLOWED_CIDR),
                }
                for text, port in rules
            ],
            "Tags": tags(ctx.app, ctx.stage, "alb"),
        },
    }


def _alb_to_tasks() -> Json:
    return {
        "Type": "AWS::EC2::SecurityGroupEgress",
        "Properties": {
            "Description": "To the service's tasks only",
            "GroupId": get_att(ids.ALB_SG, "GroupId"),
            "IpProtocol": "tcp",
            "FromPort": CONTAINER_PORT,
            "ToPort": CONTAINER_PORT,
            "DestinationSecurityGroupId": get_att(ids.TASK_SG, "GroupId"),
        },
    }


def _task_security_group(ctx: Ctx) -> Json:
    return {
        "Type": "AWS::EC2::SecurityGroup",
        "Properties": {
            "GroupDescription": f"spotq {ctx.app} tasks: in from the load balancer only",
            "VpcId": ref(ids.P_VPC),
            "SecurityGroupEgress": [
                {
                    "Description": "HTTPS to AWS APIs, ECR and S3",
                    "IpProtocol": "tcp",
                    "FromPort": 443,
                    "ToPort": 443,
                    "CidrIp": "0.0.0.0/0",
                }
            ],
            "Tags": tags(ctx.app, ctx.stage, "tasks"),
        },
    }


def _tasks_from_alb() -> Json:
    return {
        "Type": "AWS::EC2::SecurityGroupIngress",
        "Properties": {
            "Description": "From the load balancer only",
            "GroupId": get_att(ids.TASK_SG, "GroupId"),
            "IpProtocol": "tcp",
            "FromPort": CONTAINER_PORT,
            "ToPort": CONTAINER_PORT,
            "SourceSecurityGroupId": get_att(ids.ALB_SG, "GroupId"),
        },
    }


def _load_balancer(ctx: Ctx) -> Json:
    attributes = {
        "idle_timeout.timeout_seconds": str(IDLE_TIMEOUT_S),
        "access_logs.s3.enabled": "true",
        "access_logs.s3.bucket": ref(ids.LOG_BUCKET),
        "access_logs.s3.prefix": _LOG_PREFIX,
        "routing.http.drop_invalid_header_fields.enabled": "true",
        "deletion_protection.enabled": "false",
    }
    return {
        "Type": "AWS::ElasticLoadBalancingV2::LoadBalancer",
        "DependsOn": [ids.LOG_BUCKET_POLICY],  # the ALB checks it may write its logs
        "Metadata": checkov_skips(
            (
                "CKV_AWS_150",
                "Deletion protection would make `spotq destroy` fail; turn it on for a "
                "production stack with `aws elbv2 modify-load-balancer-attributes`.",
            ),
            (
                "CKV2_AWS_28",
                "A WAF web ACL is a separate, priced product with rules per application; attach "
                "one to this ALB when the service needs it.",
            ),
        ),
        "Properties": {
            "Type": "application",
            "Scheme": "internet-facing",
            "Subnets": ref(ids.P_PUBLIC_SUBNETS),
            "SecurityGroups": [get_att(ids.ALB_SG, "GroupId")],
            "LoadBalancerAttributes": [{"Key": k, "Value": v} for k, v in attributes.items()],
            "Tags": tags(ctx.app, ctx.stage),
        },
    }


def _target_group(ctx: Ctx) -> Json:
    attributes = {
        "deregistration_delay.timeout_seconds": str(ctx.deregistration_delay_s),
        "stickiness.enabled": "true",
        "stickiness.type": "lb_cookie",
        "stickiness.lb_cookie.duration_seconds": str(STICKY_S),
    }
    return {
        "Type": "AWS::ElasticLoadBalancingV2::TargetGroup",
        "Properties": {
            "VpcId": ref(ids.P_VPC),
            "Protocol": "HTTP",
            "Port": CONTAINER_PORT,
            "TargetType": "ip",
            "HealthCheckProtocol": "HTTP",
            "HealthCheckPath": "/readyz",
            "HealthCheckIntervalSeconds": 10,
            "HealthCheckTimeoutSeconds": 5,
            "HealthyThresholdCount": 2,
            "UnhealthyThresholdCount": 2,
            "Matcher": {"HttpCode": "200"},
            "TargetGroupAttributes": [{"Key": k, "Value": v} for k, v in attributes.items()],
            "Tags": tags(ctx.app, ctx.stage),
        },
    }


def _https_listener() -> Json:
    return {
        "Type": "AWS::ElasticLoadBalancingV2::Listener",
        "Properties": {
            "LoadBalancerArn": ref(ids.ALB),
            "Port": 443,
            "Protocol": "HTTPS",
            "SslPolicy": _TLS_POLICY,
            "Certificates": [{"CertificateArn": ref(ids.P_CERTIFICATE)}],
            "DefaultActions": [{"Type": "forward", "TargetGroupArn": ref(ids.TARGET_GROUP)}],
        },
    }


def _http_redirect() -> Json:
    return {
        "Type": "AWS::ElasticLoadBalancingV2::Listener",
        "Properties": {
            "LoadBalancerArn": ref(ids.ALB),
            "Port": 80,
            "Protocol": "HTTP",
            "DefaultActions": [
                {
                    "Type": "redirect",
                    "RedirectConfig": {
                        "Protocol": "HTTPS",
                        "Port": "443",
                        "Host": "#{host}",
                        "Path": "/#{path}",
                        "Query": "#{query}",
                        "StatusCode": "HTTP_301",
                    },
                }
            ],
        },
    }
