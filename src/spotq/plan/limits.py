"""Whether a task can run on a capacity option at all, and if not, why in words."""

from __future__ import annotations

from spotq.errors import ConfigError
from spotq.plan.binpack import host_fit
from spotq.plan.options import CapacityOption
from spotq.plan.prices import Prices
from spotq.plan.task import TaskSize


class InfeasibleOption(ConfigError):
    """The task cannot run on this capacity option (too big, needs a GPU, too slow for Lambda)."""


def fargate_size(task: TaskSize, prices: Prices) -> tuple[float, float] | None:
    """The smallest valid Fargate (vCPU, GB) size that holds the task, or None if none does."""
    for vcpu in sorted(prices.fargate.cpu_memory_gb):
        if vcpu + 1e-9 < task.vcpu:
            continue
        for memory_gb in prices.fargate.memory_choices_gb(vcpu):
            if memory_gb + 1e-9 >= task.memory_gib:
                return vcpu, memory_gb
    return None


def lambda_memory_mb(task: TaskSize, prices: Prices) -> float:
    """Lambda memory that gives the task its memory and its vCPUs (CPU scales with memory)."""
    return max(task.memory_mib, task.vcpu * prices.assumptions.lambda_mb_per_vcpu, 128.0)


def _fargate_reason(task: TaskSize, prices: Prices) -> str | None:
    if task.gpus > 0 and not prices.fargate.gpu_supported:
        return "Fargate has no GPUs"
    if fargate_size(task, prices) is None:
        biggest = max(prices.fargate.cpu_memory_gb)
        return (
            f"no Fargate size holds {task.vcpu:g} vCPU and {task.memory_gib:g} GB "
            f"(largest: {biggest:g} vCPU)"
        )
    return None


def _lambda_reason(task: TaskSize, prices: Prices, job_s: float | None) -> str | None:
    limits = prices.lambda_
    if task.gpus > 0 and not limits.gpu_supported:
        return "Lambda has no GPUs"
    memory_mb = lambda_memory_mb(task, prices)
    if memory_mb > limits.max_memory_mb:
        return (
            f"needs {memory_mb:,.0f} MB of Lambda memory for {task.vcpu:g} vCPU / "
            f"{task.memory_gib:g} GiB; the limit is {limits.max_memory_mb:,.0f} MB"
        )
    if job_s is not None and job_s > limits.max_timeout_s:
        return f"a job takes {job_s:g} s; Lambda stops a call at {limits.max_timeout_s:g} s"
    return None


def exclusion_reason(
    option: CapacityOption, task: TaskSize, prices: Prices, job_s: float | None = None
) -> str | None:
    """Why `task` cannot run on `option` (None when it can)."""
    if option.is_fargate:
        return _fargate_reason(task, prices)
    if option.kind == "lambda":
        return _lambda_reason(task, prices, job_s)
    assert option.instance_type is not None
    fit = host_fit(option.instance_type, task, prices)
    if fit.tasks_per_host == 0:
        if fit.limited_by == "gpu" and prices.shape(option.instance_type).gpus == 0:
            return f"{option.instance_type} has no GPU for a {task.gpus}-GPU task"
        return fit.reason()
    return None


def require_feasible(
    option: CapacityOption, task: TaskSize, prices: Prices, job_s: float | None = None
) -> None:
    """Raise InfeasibleOption naming the reason when `task` cannot run on `option`."""
    reason = exclusion_reason(option, task, prices, job_s)
    if reason is not None:
        raise InfeasibleOption(f"option {option.text}: {reason}")
