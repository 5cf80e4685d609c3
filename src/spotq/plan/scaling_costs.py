"""What the scaling machinery `spotq synth` creates costs a month, per scaling engine.

spotq (default): the scaler function (runs every minute for ~46 s: three 15 s waits and four
ticks of API calls, 128 MB, arm64), its state writes and reads in the job table, its decision
log lines (~600 bytes a tick) and the three metrics they carry, and its errors alarm.
aws-target-tracking: the step alarm (3 metrics) and target tracking's two alarms (5 metrics
each; metric-math alarms are billed per metric), and Container Insights, which the tracking
metric's RunningTaskCount needs (~16 metrics at cluster and service level; an estimate).
Both engines: the workers' own metrics (EMF lines, 11 metrics with dimension App; see
spotq.worker.emf) and the stack's CloudWatch dashboard.
Free tiers are left out. Figures: docs/aws.md, "What each costs".
"""

from __future__ import annotations

from typing import Literal

from spotq.plan.prices import Prices

ScalingEngine = Literal["spotq", "aws-target-tracking", "none"]
# Lines a Lambda deployment does not pay: it has no worker fleet to scale, watch or chart.
SCALING_LINES = ("scaler", "scaling_alarms", "container_insights", "worker_metrics", "dashboard")

SCALER_RUN_S = 46.0
SCALER_MEMORY_GB = 0.125
TICKS_PER_RUN = 4
LOG_BYTES_PER_TICK = 600
SCALER_METRICS = 3
SCALER_ALARM_METRICS = 1
TRACKING_ALARM_METRICS = 3 + 2 * 5
CONTAINER_INSIGHTS_METRICS = 16
LOGS_INGEST_USD_PER_GB = 0.50  # CloudWatch Logs standard ingestion, us-east-1
WORKER_EMF_METRICS = 11  # len(emf.DISTRIBUTIONS) + len(emf.TOTALS), pinned by a test


def scaling_costs_usd_per_month(engine: ScalingEngine, prices: Prices) -> dict[str, float]:
    """Cost lines ("scaler", "scaling_alarms", "container_insights") for one app a month."""
    cw = prices.cloudwatch
    if engine == "none":
        return {}
    observability = {
        "worker_metrics": WORKER_EMF_METRICS * cw.custom_metric_month_first_10k,
        "dashboard": cw.dashboard_month,
    }
    if engine == "aws-target-tracking":
        return {
            "scaling_alarms": TRACKING_ALARM_METRICS * cw.alarm_standard_metric_month,
            "container_insights": CONTAINER_INSIGHTS_METRICS * cw.custom_metric_month_first_10k,
            **observability,
        }
    runs = prices.hours_per_month * 60.0
    ticks = runs * TICKS_PER_RUN
    lam, ddb = prices.lambda_, prices.dynamodb_on_demand
    function = runs * (SCALER_RUN_S * SCALER_MEMORY_GB * lam.arm_gb_s)
    function += runs * lam.per_million_requests / 1e6
    # a write per tick; a keyed read per run and an index count per tick
    state = (ticks * ddb.per_million_wru + (runs + ticks) * ddb.per_million_rru) / 1e6
    logs = ticks * LOG_BYTES_PER_TICK / 1e9 * LOGS_INGEST_USD_PER_GB
    metrics = SCALER_METRICS * cw.custom_metric_month_first_10k
    return {
        "scaler": function + state + logs + metrics,
        "scaling_alarms": SCALER_ALARM_METRICS * cw.alarm_standard_metric_month,
        **observability,
    }
