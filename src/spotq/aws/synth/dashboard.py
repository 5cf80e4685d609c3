"""A CloudWatch dashboard for the app: the workers' own metrics (EMF lines from
spotq.worker.emf: time per job phase, jobs by outcome, busy fraction, spot interruptions, memory)
beside the queue depths and the service's desired and running tasks."""

from __future__ import annotations

import json
from typing import Any

from spotq.aws.synth import ids
from spotq.aws.synth.cfn import Json, sub
from spotq.aws.synth.context import Context, ScalingEngine
from spotq.worker.emf import NAMESPACE

WIDTH, HEIGHT = 12, 6
Metric = list[Any]


def dashboard(ctx: Context) -> Json:
    return {
        ids.DASHBOARD: {
            "Type": "AWS::CloudWatch::Dashboard",
            "Properties": {
                # Dashboards are global to an account: the region keeps two stacks apart.
                "DashboardName": sub("${AWS::StackName}-${AWS::Region}"),
                "DashboardBody": sub(json.dumps(_body(ctx), separators=(",", ":"))),
            },
        }
    }


def _body(ctx: Context) -> Json:
    queue = f"${{{ids.QUEUE}.QueueName}}"
    high = f"${{{ids.HIGH_QUEUE}.QueueName}}"
    dlq = f"${{{ids.DLQ}.QueueName}}"
    service = [
        "ClusterName", f"${{{ids.CLUSTER}}}", "ServiceName", f"${{{ids.SERVICE}.Name}}"
    ]  # fmt: skip
    app = ["App", ctx.app]
    widgets = [
        _graph("Queue depth (messages)", [
            ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", queue,
             {"label": "visible"}],
            ["AWS/SQS", "ApproximateNumberOfMessagesNotVisible", "QueueName", queue,
             {"label": "in flight"}],
            ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", high,
             {"label": "high priority"}],
            ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", dlq,
             {"label": "dead-letter"}],
        ], "Maximum"),
        _graph("Tasks: desired (scaling policy) and running", _task_metrics(ctx, service, app),
               "Maximum"),
        _graph("Seconds per job (p50)", [
            [NAMESPACE, name, *app, {"label": label}] for name, label in (
                ("QueueWaitSeconds", "queue wait"), ("FetchSeconds", "fetch input"),
                ("HandleSeconds", "handler (batch)"), ("StoreSeconds", "store result"),
            )
        ], "p50"),
        _graph("Jobs per minute by outcome", [
            [NAMESPACE, name, *app, {"label": label}] for name, label in (
                ("JobsSucceeded", "succeeded"), ("JobsRetried", "retried"),
                ("JobsFailed", "failed / dead"), ("SpotInterruptions", "spot interruptions"),
            )
        ], "Sum"),
        _graph("Workers: busy fraction and batch size", [
            [NAMESPACE, "BusyFraction", *app, {"label": "busy fraction"}],
            [NAMESPACE, "BatchSize", *app, {"label": "jobs per batch", "yAxis": "right"}],
        ], "Average"),
        _graph("Worker memory (RSS, bytes)", [
            [NAMESPACE, "MemoryRssBytes", *app, {"label": "max RSS"}],
        ], "Maximum"),
    ]  # fmt: skip
    for i, widget in enumerate(widgets):
        widget.update(x=(i % 2) * WIDTH, y=(i // 2) * HEIGHT, width=WIDTH, height=HEIGHT)
    return {"widgets": widgets}


def _graph(title: str, metrics: list[Metric], stat: str) -> dict[str, Any]:
    return {
        "type": "metric",
        "properties": {
            "title": title,
            "metrics": metrics,
            "view": "timeSeries",
            "stat": stat,
            "period": 60,
            "region": "${AWS::Region}",
        },
    }


def _task_metrics(ctx: Context, service: Metric, app: Metric) -> list[Metric]:
    """Target tracking's stacks turn Container Insights on (it reads the task counts there);
    spotq's scaler stacks leave it off, and the scaler's own decision lines carry the desired
    count and the backlog it saw (namespace spotq, see spotq.aws.scaler.loop)."""
    if ctx.engine is ScalingEngine.AWS_TARGET_TRACKING:
        return [
            ["ECS/ContainerInsights", "DesiredTaskCount", *service, {"label": "desired"}],
            ["ECS/ContainerInsights", "RunningTaskCount", *service, {"label": "running"}],
            ["ECS/ContainerInsights", "PendingTaskCount", *service, {"label": "pending"}],
        ]
    return [
        [NAMESPACE, "DesiredTasks", *app, {"label": "desired (scaler)"}],
        [NAMESPACE, "Backlog", *app, {"label": "backlog the scaler saw", "yAxis": "right"}],
    ]
