"""Monthly costs besides compute: load balancer, NAT, CloudWatch, SQS, S3, DynamoDB, ECR, egress."""

from __future__ import annotations

import math

from spotq.plan.prices import Prices
from spotq.plan.scaling_costs import scaling_costs_usd_per_month
from spotq.plan.scenario import FixedSection

# Internet egress tiers in GB a month: first 10 TB, next 40 TB, next 100 TB.
_EGRESS_TIER_GB = (10 * 1024, 40 * 1024, 100 * 1024)


def sqs_requests_per_job(message_size_bytes: int, chunk_kb: float) -> int:
    """Billed SQS requests for one job: send and receive count one per 64 KB chunk, delete one."""
    chunks = max(1, math.ceil(message_size_bytes / (chunk_kb * 1024)))
    return 2 * chunks + 1


def egress_usd(gb: float, prices: Prices) -> float:
    """Internet data transfer out, tiered."""
    rates = prices.data_transfer
    tiers = zip(
        _EGRESS_TIER_GB,
        (
            rates.internet_out_gb_first_10tb,
            rates.internet_out_gb_next_40tb,
            rates.internet_out_gb_next_100tb,
        ),
        strict=True,
    )
    total, left = 0.0, gb
    for size_gb, rate in tiers:
        used = min(left, size_gb)
        total += used * rate
        left -= used
    return total + left * rates.internet_out_gb_next_100tb


def fixed_costs_usd_per_month(
    fixed: FixedSection, prices: Prices, jobs_per_month: float, uses_sqs: bool = True
) -> dict[str, float]:
    """Each fixed cost line for a month, keyed by service."""
    hours = prices.hours_per_month
    sqs_rate = prices.sqs.fifo_per_million if fixed.sqs_fifo else prices.sqs.standard_per_million
    per_job = sqs_requests_per_job(fixed.message_size_bytes, prices.sqs.billing_chunk_kb)
    sqs_requests = (jobs_per_month * per_job if uses_sqs else 0.0) + fixed.sqs_extra_requests
    s3 = prices.s3_standard
    dynamo = prices.dynamodb_on_demand
    lines = {
        "alb": (prices.alb.hour + fixed.alb_lcu * prices.alb.lcu_hour) * hours
        if fixed.alb
        else 0.0,
        "nat_gateway": fixed.nat_gateway_hours * prices.nat_gateway.hour
        + fixed.nat_gb * prices.nat_gateway.gb_processed,
        "cloudwatch": fixed.cloudwatch_metrics * prices.cloudwatch.custom_metric_month_first_10k
        + fixed.cloudwatch_alarms * prices.cloudwatch.alarm_standard_metric_month,
        "sqs": sqs_requests * sqs_rate / 1e6,
        "s3": fixed.s3_gb * s3.gb_month
        + jobs_per_month
        * (fixed.s3_puts_per_job * s3.put_per_1k + fixed.s3_gets_per_job * s3.get_per_1k)
        / 1000,
        "dynamodb": fixed.dynamodb_gb * dynamo.storage_gb_month
        + jobs_per_month
        * (
            fixed.dynamodb_writes_per_job * dynamo.per_million_wru
            + fixed.dynamodb_reads_per_job * dynamo.per_million_rru
        )
        / 1e6,
        "ecr": fixed.ecr_gb * prices.ecr_storage_gb_month,
        "data_transfer_out": egress_usd(fixed.data_transfer_out_gb, prices),
        "public_ipv4": fixed.public_ipv4_addresses * prices.public_ipv4_hour * hours,
    }
    if uses_sqs:  # a queue-fed batch deployment: synth creates its scaling machinery
        lines.update(scaling_costs_usd_per_month(fixed.scaling_engine, prices))
    for name, usd in fixed.other_usd.items():
        lines[f"other:{name}"] = usd
    return lines
