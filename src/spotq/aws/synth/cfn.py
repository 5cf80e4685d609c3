"""CloudFormation building blocks: intrinsic functions, checkov skip metadata, rendering."""

from __future__ import annotations

import json
from typing import Any, Literal

import yaml

from spotq import naming
from spotq.aws.synth import ids

Json = dict[str, Any]
Format = Literal["json", "yaml"]


def ref(name: str) -> Json:
    return {"Ref": name}


def arn(logical_id: str) -> Json:
    return {"Fn::GetAtt": [logical_id, "Arn"]}


def get_att(logical_id: str, attribute: str) -> Json:
    return {"Fn::GetAtt": [logical_id, attribute]}


def sub(text: str) -> Json:
    return {"Fn::Sub": text}


def if_(condition: str, when_true: Any, when_false: Any) -> Json:
    return {"Fn::If": [condition, when_true, when_false]}


NO_VALUE: Json = {"Ref": "AWS::NoValue"}


def checkov_skips(*skips: tuple[str, str]) -> Json:
    """Resource Metadata that skips checkov checks, each with the written reason it is safe."""
    return {"checkov": {"skip": [{"id": check, "comment": why} for check, why in skips]}}


def tags(app: str, stage: str, part: str = "") -> list[Json]:
    return [
        {"Key": "Name", "Value": naming.display_name(app, stage, part)},
        {"Key": "spotq:app", "Value": app},
        {"Key": "spotq:stage", "Value": stage},
    ]


def render(template: Json, fmt: Format) -> str:
    """Serialise with sorted keys so that the same app always gives byte-identical output."""
    if fmt == "json":
        return json.dumps(template, indent=2, sort_keys=True) + "\n"
    # Plain YAML with long-form intrinsics ({"Ref": ...}) is valid CloudFormation; anchors and
    # aliases are not, so repeated values are written out in full.
    return yaml.dump(
        template, Dumper=_NoAliasDumper, sort_keys=True, default_flow_style=False, width=100
    )


class _NoAliasDumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True


def log_group(name: str, no_kms_why: str, retention_why: str) -> Json:
    """A log group named `name`, kept for the LogRetentionDays parameter and deleted with the
    stack; the two checkov skips (no customer managed key, parameterised retention) say why."""
    return {
        "Type": "AWS::Logs::LogGroup",
        "DeletionPolicy": "Delete",
        "UpdateReplacePolicy": "Delete",
        "Metadata": checkov_skips(("CKV_AWS_158", no_kms_why), ("CKV_AWS_338", retention_why)),
        "Properties": {"LogGroupName": name, "RetentionInDays": ref(ids.P_LOG_RETENTION)},
    }
