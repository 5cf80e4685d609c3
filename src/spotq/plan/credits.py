"""CPU credits of burstable (T-family) hosts, which ECS on EC2 launches in unlimited mode.

A t3/t3a/t4g instance earns credits for a baseline share of each vCPU (a t3.small: 20 % of each
of its 2); above it, unlimited mode bills surplus credits at $0.05 per vCPU-hour (Linux;
"Burstable performance instances", EC2 user guide, and the EC2 pricing page). A host whose tasks
run at their full vCPU therefore costs its hourly price plus 0.05 × (the tasks' vCPU − the
baseline vCPU) an hour.
"""

from __future__ import annotations

from spotq.plan.prices import Prices
from spotq.plan.task import TaskSize

BURSTABLE_FAMILIES = ("t3", "t3a", "t4g")
SURPLUS_CREDIT_USD_PER_VCPU_HOUR = 0.05
# Baseline utilisation per vCPU, by size (the same for t3, t3a and t4g).
BASELINE_SHARE = {
    "nano": 0.05,
    "micro": 0.10,
    "small": 0.20,
    "medium": 0.20,
    "large": 0.30,
    "xlarge": 0.40,
    "2xlarge": 0.40,
}


def credit_usd_per_host_hour(
    instance_type: str, prices: Prices, task: TaskSize, tasks_per_host: int
) -> float:
    """Surplus-credit charge of one host-hour while its tasks run at their vCPU (0 for hosts
    that are not burstable, or whose tasks stay within the baseline)."""
    family, _, size = instance_type.partition(".")
    if family not in BURSTABLE_FAMILIES or size not in BASELINE_SHARE:
        return 0.0
    vcpus = prices.shape(instance_type).vcpu
    used = min(task.vcpu * tasks_per_host, vcpus)
    surplus = used - vcpus * BASELINE_SHARE[size]
    return max(surplus, 0.0) * SURPLUS_CREDIT_USD_PER_VCPU_HOUR
