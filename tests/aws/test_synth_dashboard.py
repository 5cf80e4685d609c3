"""The synthesized CloudWatch dashboard: valid JSON once substituted, showing the metrics the
workers really emit (EMF) beside queue depth and desired/running tasks."""

from __future__ import annotations

import json
import re

import pytest

from spotq.aws.synth import Target, synth
from spotq.aws.synth.context import ScalingEngine, SynthSettings
from spotq.worker.emf import DISTRIBUTIONS, NAMESPACE, TOTALS

from .synth_apps import APPS


@pytest.mark.parametrize("engine", list(ScalingEngine), ids=lambda e: e.value)
@pytest.mark.parametrize("target", list(Target), ids=lambda t: t.value)
def test_dashboard_shows_worker_metrics_queues_and_tasks(
    target: Target, engine: ScalingEngine
) -> None:
    template = synth(APPS[target], target, SynthSettings(scaling_engine=engine))
    dashboard = template["Resources"]["Dashboard"]
    assert dashboard["Type"] == "AWS::CloudWatch::Dashboard"
    text = dashboard["Properties"]["DashboardBody"]["Fn::Sub"]
    names = set(re.findall(r"\$\{([^}]+)\}", text))
    resources = set(template["Resources"])
    assert {n.split(".")[0] for n in names} - {"AWS::Region"} <= resources
    body = json.loads(re.sub(r"\$\{[^}]+\}", "X", text))
    metrics = [m for w in body["widgets"] for m in w["properties"]["metrics"]]
    ours = {m[1] for m in metrics if m[0] == NAMESPACE}
    # every metric the workers emit, and only those, beside the scaler's own on its stacks
    scaler = {"DesiredTasks", "Backlog"} if engine is ScalingEngine.SPOTQ else set()
    assert ours == set(DISTRIBUTIONS) | set(TOTALS) | scaler
    assert all(m[2:4] == ["App", APPS[target].name] for m in metrics if m[0] == NAMESPACE)
    others = {(m[0], m[1]) for m in metrics if m[0] != NAMESPACE}
    assert ("AWS/SQS", "ApproximateNumberOfMessagesVisible") in others
    if engine is ScalingEngine.AWS_TARGET_TRACKING:  # Container Insights is on only there
        assert ("ECS/ContainerInsights", "DesiredTaskCount") in others
        assert ("ECS/ContainerInsights", "RunningTaskCount") in others
    else:
        assert not any(ns == "ECS/ContainerInsights" for ns, _ in others)
