"""The exporter's rules on small templates: what it cannot map is an error naming it, intrinsic
functions become the right Terraform expressions, strings are escaped for Terraform templates."""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest

from spotq.aws.synth import Target, synth
from spotq.aws.terraform import TerraformExportError, export
from spotq.aws.terraform.hcl import quote

from .synth_apps import APPS, GOLDEN_SETTINGS


def _template() -> dict[str, Any]:
    return copy.deepcopy(synth(APPS[Target.EC2_SPOT], Target.EC2_SPOT, GOLDEN_SETTINGS))


def _tiny(resource: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"Parameters": {}, "Resources": {"Thing": resource}, "Outputs": {}, **extra}


def test_an_unmapped_resource_type_is_named() -> None:
    template = _template()
    template["Resources"]["Topic"] = {"Type": "AWS::SNS::Topic", "Properties": {}}
    with pytest.raises(
        TerraformExportError, match=r"Topic: no Terraform mapping for type AWS::SNS::Topic"
    ):
        export(template)


def test_an_unmapped_property_is_named_with_its_resource() -> None:
    template = _template()
    template["Resources"]["JobQueue"]["Properties"]["Tier"] = "gold"
    with pytest.raises(TerraformExportError, match=r"AWS::SQS::Queue JobQueue\.Properties: .*Tier"):
        export(template)
    template = _template()
    container = template["Resources"]["TaskDefinition"]["Properties"]["ContainerDefinitions"][0]
    container["Interactive"] = True
    with pytest.raises(TerraformExportError, match=r"ContainerDefinitions\[0\]: .*Interactive"):
        export(template)


def test_a_nested_unmapped_property_is_named_with_its_path() -> None:
    template = _template()
    service = template["Resources"]["Service"]["Properties"]
    service["DeploymentConfiguration"]["Alarms"] = {"Enable": True}
    with pytest.raises(
        TerraformExportError, match=r"Service\.Properties\.DeploymentConfiguration: .*Alarms"
    ):
        export(template)


def test_unmapped_functions_attributes_and_parameter_types_are_named() -> None:
    template = _template()
    template["Resources"]["JobQueue"]["Properties"]["DelaySeconds"] = {
        "Fn::FindInMap": ["M", "a", "b"]
    }
    with pytest.raises(TerraformExportError, match="Fn::FindInMap"):
        export(template)
    template = _template()
    template["Outputs"]["Odd"] = {"Value": {"Fn::GetAtt": ["JobTable", "StreamLabel"]}}
    with pytest.raises(TerraformExportError, match=r"JobTable\.StreamLabel"):
        export(template)
    template = _template()
    template["Parameters"]["Zone"] = {"Type": "AWS::EC2::AvailabilityZone::Name"}
    with pytest.raises(TerraformExportError, match=r"Parameters\.Zone: .*AvailabilityZone"):
        export(template)


def test_intrinsics_become_terraform_expressions() -> None:
    queue = {
        "Type": "AWS::SQS::Queue",
        "Condition": "On",
        "Properties": {
            "QueueName": {"Fn::Sub": "q-${AWS::Region}-${Size}-${!Literal}"},
            "DelaySeconds": {"Fn::If": ["On", {"Ref": "Size"}, {"Ref": "AWS::NoValue"}]},
        },
    }
    template = _tiny(
        queue,
        Parameters={"Size": {"Type": "Number", "Default": 3, "MinValue": 1}},
        Conditions={"On": {"Fn::Not": [{"Fn::Equals": [{"Ref": "Size"}, 0]}]}},
        Outputs={"Url": {"Value": {"Ref": "Thing"}}, "Arn": {"Value": {"Fn::GetAtt": "Thing.Arn"}}},
    )
    # runs of spaces collapsed: the `=` of neighbouring attributes are aligned
    files = {name: re.sub(r" +", " ", text) for name, text in export(template).items()}
    main = files["main.tf"]
    assert "count = local.on ? 1 : 0" in main
    assert 'name = "q-${data.aws_region.current.name}-${var.size}-$${Literal}"' in main
    assert "delay_seconds = (local.on ? var.size : null)" in main
    assert "on = !(var.size == 0)" in main
    assert "value = one(aws_sqs_queue.thing[*].url)" in files["outputs.tf"]
    assert "one(aws_sqs_queue.thing[*].arn)" in files["outputs.tf"]
    assert "condition = var.size >= 1" in files["variables.tf"]


def test_strings_are_escaped_for_terraform_templates() -> None:
    assert quote('a ${b} %{c} "d"\n') == '"a $${b} %%{c} \\"d\\"\\n"'
