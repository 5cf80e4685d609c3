"""How many worker tasks fit on one EC2 host, and which resource runs out first."""

from __future__ import annotations

import math
from dataclasses import dataclass

from spotq.plan.prices import Prices
from spotq.plan.task import TaskSize


@dataclass(frozen=True)
class HostFit:
    """Tasks per host, the resource that bounds it, and each resource's own bound."""

    instance_type: str
    tasks_per_host: int
    limited_by: str
    bounds: dict[str, int]

    def reason(self) -> str:
        """Why no task fits, in words (empty when one does)."""
        if self.tasks_per_host > 0:
            return ""
        return f"the task does not fit a {self.instance_type} host ({self.limited_by})"


def _eni_bound(instance_type: str, max_enis: int, task: TaskSize, prices: Prices) -> int | None:
    if task.network_mode != "awsvpc":
        return None
    trunked = prices.ecs_awsvpc_tasks_with_trunking.get(instance_type)
    if task.eni_trunking and trunked is not None:
        return trunked
    # Without trunking each task takes a whole ENI, and the host keeps its primary one.
    return max(max_enis - 1, 0)


def host_fit(instance_type: str, task: TaskSize, prices: Prices) -> HostFit:
    """Bin-pack `task` onto one `instance_type` host by CPU, memory, GPUs and ENIs."""
    shape = prices.shape(instance_type)
    units_per_vcpu = prices.ecs.cpu_units_per_vcpu
    host_cpu_units = round(shape.vcpu * units_per_vcpu)
    task_cpu_units = max(round(task.vcpu * units_per_vcpu), 1)
    registered_mib = (
        shape.mem_gib * 1024 * prices.assumptions.ecs_registered_memory_fraction
        - prices.ecs.reserved_memory_default_mib
    )
    bounds: dict[str, int] = {
        "cpu": host_cpu_units // task_cpu_units,
        "memory": max(math.floor(registered_mib / task.memory_mib + 1e-9), 0),
    }
    if task.gpus > 0:
        bounds["gpu"] = shape.gpus // task.gpus
    eni = _eni_bound(instance_type, shape.max_enis, task, prices)
    if eni is not None:
        bounds["eni"] = eni
    if task.distinct_instance:
        bounds["distinctInstance"] = 1
    limited_by = min(bounds, key=lambda name: bounds[name])
    return HostFit(instance_type, bounds[limited_by], limited_by, bounds)


def hosts_for_tasks(tasks: int, tasks_per_host: int) -> int:
    """Hosts needed to place `tasks` tasks, `tasks_per_host` to a host."""
    if tasks <= 0:
        return 0
    if tasks_per_host <= 0:
        raise ValueError("tasks_per_host must be positive to place any task")
    return math.ceil(tasks / tasks_per_host)


def hosts_for_gpus(tasks: int, gpus_per_task: int, gpus_per_host: int) -> int:
    """ceil(tasks × GPUs per task / GPUs per host): the seeds' host count for GPU services."""
    if tasks <= 0 or gpus_per_task <= 0:
        return 0
    if gpus_per_host < gpus_per_task:
        raise ValueError(f"a {gpus_per_task}-GPU task does not fit a {gpus_per_host}-GPU host")
    # A GPU is never split between tasks, so a host holds floor(host GPUs / task GPUs) tasks; this
    # equals the seeds' ceil(tasks × gpus_per_task / gpus_per_host) whenever the division is even.
    return math.ceil(tasks / (gpus_per_host // gpus_per_task))
