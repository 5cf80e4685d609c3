"""Task sizes: valid Fargate CPU/memory pairs, EC2 container limits, default instance types."""

from __future__ import annotations

import math
from dataclasses import dataclass

from spotq.app import AppOptions
from spotq.aws.synth.context import Target
from spotq.errors import ConfigError

# Fargate task sizes: CPU units -> allowed memory (MiB). Source: the ECS task size table.
_FARGATE_MEMORY_MIB: dict[int, list[int]] = {
    256: [512, 1024, 2048],
    512: [1024, 2048, 3072, 4096],
    1024: list(range(2048, 8192 + 1, 1024)),
    2048: list(range(4096, 16384 + 1, 1024)),
    4096: list(range(8192, 30720 + 1, 1024)),
    8192: list(range(16384, 61440 + 1, 4096)),
    16384: list(range(32768, 122880 + 1, 8192)),
}

# (type, vCPU, memory GiB, GPUs): current-generation x86 types (Fargate Spot and the ECS AMIs
# used here are x86_64). Smallest fitting size per family wins; families keep the pool diverse.
_CPU_TYPES: list[tuple[str, int, int, int]] = [
    (f"{family}.{size}", vcpu, vcpu * gib_per_vcpu, 0)
    for family, gib_per_vcpu in (
        ("c6i", 2),
        ("c5", 2),
        ("c7i", 2),
        ("m6i", 4),
        ("m5", 4),
        ("m7i", 4),
        ("r6i", 8),
        ("r5", 8),
    )
    for size, vcpu in (("large", 2), ("xlarge", 4), ("2xlarge", 8), ("4xlarge", 16))
]
_GPU_TYPES: list[tuple[str, int, int, int]] = [
    (f"{family}.{size}", vcpu, mem, gpus)
    for family in ("g6", "g5", "g4dn")
    for size, vcpu, mem, gpus in (
        ("xlarge", 4, 16, 1),
        ("2xlarge", 8, 32, 1),
        ("4xlarge", 16, 64, 1),
        ("12xlarge", 48, 192, 4),
    )
]
# What the host keeps for itself (OS, Docker, the ECS agent) before a task fits.
_HOST_RESERVED_MIB = 512
_HOST_RESERVED_FRACTION = 0.06


@dataclass(frozen=True)
class FargateSize:
    cpu_units: int
    memory_mib: int


def fargate_size(options: AppOptions) -> FargateSize:
    """The smallest valid Fargate task size that holds the app's vCPU and memory."""
    want_cpu = math.ceil(options.vcpu * 1024)
    want_mem = math.ceil(options.memory_gib * 1024)
    for cpu, memories in _FARGATE_MEMORY_MIB.items():
        if cpu < want_cpu:
            continue
        for memory in memories:
            if memory >= want_mem:
                return FargateSize(cpu, memory)
    raise ConfigError(
        f"options vcpu={options.vcpu}, memory_gib={options.memory_gib}: no Fargate task size "
        "holds this (at most 16 vCPU and 120 GiB); use --target ec2-spot"
    )


def container_cpu_units(options: AppOptions) -> int:
    return math.ceil(options.vcpu * 1024)


def container_memory_mib(options: AppOptions) -> int:
    return math.ceil(options.memory_gib * 1024)


def gpu_count(options: AppOptions, target: Target) -> int:
    """GPUs per task: the app's `gpus`, at least one on the gpu target."""
    return max(options.gpus, 1) if target is Target.GPU else options.gpus


def shared_memory_mib(options: AppOptions) -> int:
    """/dev/shm for the container: a quarter of its memory (PyTorch data loaders live there)."""
    return max(64, container_memory_mib(options) // 4)


def default_instance_types(options: AppOptions, target: Target) -> list[str]:
    """Up to six instance types that each hold one task, smallest first, for the spot pool."""
    gpus = gpu_count(options, target)
    catalog = _GPU_TYPES if target is Target.GPU else _CPU_TYPES
    need_mem = container_memory_mib(options)
    fitting: dict[str, tuple[int, int, str]] = {}
    for name, vcpu, mem_gib, type_gpus in catalog:
        usable_mib = mem_gib * 1024 * (1 - _HOST_RESERVED_FRACTION) - _HOST_RESERVED_MIB
        if vcpu < options.vcpu or usable_mib < need_mem or type_gpus < gpus:
            continue
        family = name.split(".")[0]
        if family not in fitting:  # the catalog lists sizes smallest first
            fitting[family] = (mem_gib, vcpu, name)
    if not fitting:
        raise ConfigError(
            f"options vcpu={options.vcpu}, memory_gib={options.memory_gib}, gpus={gpus}: no "
            f"instance type in spotq's {target.value} catalog fits one task; pass instance types"
        )
    return [name for _mem, _vcpu, name in sorted(fitting.values())][:6]
