"""The realtime targets' edge: the ALB, its listeners and target group, stand-alone security
group rules, and the generated API key secret.

ELBv2 `*Attributes` key/value lists become the provider's own arguments (a key the table below
does not know is an error). A secret with GenerateSecretString becomes the secret, a password
from `data "aws_secretsmanager_random_password"` and a secret version that keeps the first one
(`ignore_changes`, since the data source draws a new password on every plan); unlike
CloudFormation's, the generated key is then also in the Terraform state, marked sensitive."""

from __future__ import annotations

from collections.abc import Callable

from spotq.aws.terraform.errors import TerraformExportError
from spotq.aws.terraform.hcl import Block, Raw, Value
from spotq.aws.terraform.resource import Mapping, Props, Resource, one_block, sub_blocks, tags

# ALB attribute key → (argument, or (nested block, argument)), and the literal's type
_LB_ATTRIBUTES: dict[str, tuple[str | tuple[str, str], type]] = {
    "idle_timeout.timeout_seconds": ("idle_timeout", int),
    "access_logs.s3.enabled": (("access_logs", "enabled"), bool),
    "access_logs.s3.bucket": (("access_logs", "bucket"), str),
    "access_logs.s3.prefix": (("access_logs", "prefix"), str),
    "routing.http.drop_invalid_header_fields.enabled": ("drop_invalid_header_fields", bool),
    "deletion_protection.enabled": ("enable_deletion_protection", bool),
    "routing.http2.enabled": ("enable_http2", bool),
}
_TG_ATTRIBUTES: dict[str, tuple[str | tuple[str, str], type]] = {
    "deregistration_delay.timeout_seconds": ("deregistration_delay", int),
    "stickiness.enabled": (("stickiness", "enabled"), bool),
    "stickiness.type": (("stickiness", "type"), str),
    "stickiness.lb_cookie.duration_seconds": (("stickiness", "cookie_duration"), int),
    "slow_start.duration_seconds": ("slow_start", int),
    "load_balancing.algorithm.type": ("load_balancing_algorithm_type", str),
}


def _typed(value: Value, kind: type) -> Value:
    """CFN writes every attribute value as a string; the provider wants numbers and bools."""
    if not isinstance(value, str):
        return value
    if kind is bool:
        return value == "true"
    return int(value) if kind is int else value


def _attributes(
    block: Block, p: Props, key: str, table: dict[str, tuple[str | tuple[str, str], type]]
) -> None:
    nested: dict[str, Block] = {}
    for condition, item in p.items(key):
        name = item.raw("Key")
        if condition is not None or name not in table:
            raise TerraformExportError(f"{item.where}: no Terraform mapping for attribute {name}")
        target, kind = table[name]
        value = _typed(item.value("Value"), kind)
        item.done()
        if isinstance(target, str):
            block.set(target, value)
        else:
            parent, argument = target
            if parent not in nested:
                nested[parent] = block.add(Block(parent))
            nested[parent].set(argument, value)


def _load_balancer(r: Resource) -> list[Block]:
    block, p = r.block("aws_lb"), r.props
    p.attrs(
        block,
        {"Name": "name", "Type": "load_balancer_type", "Subnets": "subnets",
         "SecurityGroups": "security_groups", "IpAddressType": "ip_address_type"},
    )  # fmt: skip
    scheme = p.raw("Scheme")
    if scheme is not None:
        if scheme not in ("internet-facing", "internal"):
            raise TerraformExportError(f"{p.where}.Scheme: expected a literal scheme")
        block.set("internal", scheme == "internal")
    _attributes(block, p, "LoadBalancerAttributes", _LB_ATTRIBUTES)
    block.set("tags", tags(p))
    p.done()
    return [block]


def _target_group(r: Resource) -> list[Block]:
    block, p = r.block("aws_lb_target_group"), r.props
    p.attrs(
        block,
        {"Name": "name", "Port": "port", "Protocol": "protocol", "TargetType": "target_type",
         "VpcId": "vpc_id", "ProtocolVersion": "protocol_version"},
    )  # fmt: skip
    health = block.add(Block("health_check"))
    p.attrs(health, _HEALTH)
    if (matcher := p.nested("Matcher")) is not None:
        matcher.attrs(health, {"HttpCode": "matcher"})
        matcher.done()
    _attributes(block, p, "TargetGroupAttributes", _TG_ATTRIBUTES)
    block.set("tags", tags(p))
    p.done()
    return [block]


_HEALTH = {
    "HealthCheckEnabled": "enabled",
    "HealthCheckProtocol": "protocol",
    "HealthCheckPath": "path",
    "HealthCheckPort": "port",
    "HealthCheckIntervalSeconds": "interval",
    "HealthCheckTimeoutSeconds": "timeout",
    "HealthyThresholdCount": "healthy_threshold",
    "UnhealthyThresholdCount": "unhealthy_threshold",
}


def _listener(r: Resource) -> list[Block]:
    block, p = r.block("aws_lb_listener"), r.props
    p.attrs(
        block,
        {"LoadBalancerArn": "load_balancer_arn", "Port": "port", "Protocol": "protocol",
         "SslPolicy": "ssl_policy"},
    )  # fmt: skip
    certificates = p.items("Certificates")
    if len(certificates) > 1:  # more need aws_lb_listener_certificate resources
        raise TerraformExportError(f"{p.where}.Certificates: more than one certificate")
    for _, certificate in certificates:
        certificate.attrs(block, {"CertificateArn": "certificate_arn"})
        certificate.done()
    sub_blocks(block, "default_action", p.items("DefaultActions"), _action)
    p.done()
    return [block]


def _action(block: Block, p: Props) -> None:
    p.attrs(block, {"Type": "type", "TargetGroupArn": "target_group_arn", "Order": "order"})
    one_block(
        block,
        "redirect",
        p.nested("RedirectConfig"),
        {"Protocol": "protocol", "Port": "port", "Host": "host", "Path": "path",
         "Query": "query", "StatusCode": "status_code"},
    )  # fmt: skip
    one_block(
        block,
        "fixed_response",
        p.nested("FixedResponseConfig"),
        {"ContentType": "content_type", "MessageBody": "message_body", "StatusCode": "status_code"},
    )


def _rule(tf_type: str, peer_key: str) -> Callable[[Resource], list[Block]]:
    def build(r: Resource) -> list[Block]:
        block, p = r.block(tf_type), r.props
        p.attrs(
            block,
            {"GroupId": "security_group_id", "Description": "description",
             "IpProtocol": "ip_protocol", "FromPort": "from_port", "ToPort": "to_port",
             "CidrIp": "cidr_ipv4", "CidrIpv6": "cidr_ipv6",
             peer_key: "referenced_security_group_id"},
        )  # fmt: skip
        p.done()
        return [block]

    return build


def _secret(r: Resource) -> list[Block]:
    block, p = r.block("aws_secretsmanager_secret"), r.props
    p.attrs(block, {"Name": "name", "Description": "description", "KmsKeyId": "kms_key_id"})
    block.set("tags", tags(p))
    blocks = [block]
    if (generate := p.nested("GenerateSecretString")) is not None:
        password = Block("data", ["aws_secretsmanager_random_password", r.label])
        generate.attrs(password, _PASSWORD)
        generate.done()
        version = r.block("aws_secretsmanager_secret_version", "_value")
        version.set("secret_id", Raw(f"{r.address('aws_secretsmanager_secret')}.id"))
        version.set(
            "secret_string",
            Raw(f"data.aws_secretsmanager_random_password.{r.label}.random_password"),
        )
        version.add(Block("lifecycle")).set("ignore_changes", [Raw("secret_string")])
        blocks += [version, password]
    p.done()
    return blocks


_PASSWORD = {
    "PasswordLength": "password_length",
    "ExcludePunctuation": "exclude_punctuation",
    "ExcludeCharacters": "exclude_characters",
    "ExcludeNumbers": "exclude_numbers",
    "ExcludeUppercase": "exclude_uppercase",
    "ExcludeLowercase": "exclude_lowercase",
    "IncludeSpace": "include_space",
    "RequireEachIncludedType": "require_each_included_type",
}

MAPPINGS = {
    "AWS::ElasticLoadBalancingV2::LoadBalancer": Mapping(
        "aws_lb",
        "arn",
        {
            "DNSName": "dns_name",
            "LoadBalancerFullName": "arn_suffix",
            "CanonicalHostedZoneID": "zone_id",
            "LoadBalancerArn": "arn",
        },
        _load_balancer,
    ),
    "AWS::ElasticLoadBalancingV2::TargetGroup": Mapping(
        "aws_lb_target_group",
        "arn",
        {"TargetGroupFullName": "arn_suffix", "TargetGroupArn": "arn"},
        _target_group,
    ),
    "AWS::ElasticLoadBalancingV2::Listener": Mapping(
        "aws_lb_listener", "arn", {"ListenerArn": "arn"}, _listener
    ),
    "AWS::EC2::SecurityGroupIngress": Mapping(
        "aws_vpc_security_group_ingress_rule",
        "id",
        {},
        _rule("aws_vpc_security_group_ingress_rule", "SourceSecurityGroupId"),
    ),
    "AWS::EC2::SecurityGroupEgress": Mapping(
        "aws_vpc_security_group_egress_rule",
        "id",
        {},
        _rule("aws_vpc_security_group_egress_rule", "DestinationSecurityGroupId"),
    ),
    # A generated secret is read through its version, so that a task naming it in `secrets`
    # starts only once it has a value (CloudFormation creates both at once).
    "AWS::SecretsManager::Secret": Mapping(
        "aws_secretsmanager_secret",
        "arn",
        {},
        _secret,
        lambda resource: (
            "aws_secretsmanager_secret_version.{label}_value"
            if "GenerateSecretString" in resource.get("Properties", {})
            else None
        ),
    ),
}
