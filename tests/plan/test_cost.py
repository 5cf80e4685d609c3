"""Bin-packing and the hourly price of one worker task on each option."""

from __future__ import annotations

import pytest

from spotq.plan.binpack import host_fit, hosts_for_gpus, hosts_for_tasks
from spotq.plan.cost import task_price_per_hour_usd
from spotq.plan.limits import InfeasibleOption, exclusion_reason, fargate_size
from spotq.plan.options import parse_option
from spotq.plan.prices import load_prices
from spotq.plan.task import TaskSize

PRICES = load_prices()


def test_binpack_is_bounded_by_cpu_memory_and_enis() -> None:
    small = TaskSize(vcpu=1, memory_gib=2)
    fit = host_fit("c5.2xlarge", small, PRICES)
    # 8 vCPU -> 8 tasks, 16 GiB × 0.95 -> 7 tasks, 4 ENIs less the primary -> 3 tasks.
    assert fit.bounds == {"cpu": 8, "memory": 7, "eni": 3}
    assert (fit.tasks_per_host, fit.limited_by) == (3, "eni")


def test_eni_trunking_raises_the_awsvpc_cap_where_the_family_allows() -> None:
    trunked = TaskSize(vcpu=1, memory_gib=2, eni_trunking=True)
    assert host_fit("c5.2xlarge", trunked, PRICES).tasks_per_host == 7
    # g4dn has no trunking: the plain ENI cap holds.
    assert host_fit("g4dn.2xlarge", trunked, PRICES).bounds["eni"] == 2


def test_bridge_mode_has_no_eni_cap_and_distinct_instance_means_one() -> None:
    bridge = TaskSize(vcpu=1, memory_gib=2, network_mode="bridge")
    assert host_fit("c5.2xlarge", bridge, PRICES).tasks_per_host == 7
    distinct = TaskSize(vcpu=1, memory_gib=2, network_mode="bridge", distinct_instance=True)
    fit = host_fit("c5.2xlarge", distinct, PRICES)
    assert (fit.tasks_per_host, fit.limited_by) == (1, "distinctInstance")


def test_gpu_tasks_pack_by_gpu() -> None:
    gpu_task = TaskSize(vcpu=2, memory_gib=8, gpus=1)
    assert host_fit("g5.2xlarge", gpu_task, PRICES).tasks_per_host == 1
    assert host_fit("c5.2xlarge", gpu_task, PRICES).tasks_per_host == 0
    assert hosts_for_gpus(6, 1, 1) == 6
    assert hosts_for_gpus(5, 2, 4) == 3
    assert hosts_for_tasks(7, 3) == 3
    assert hosts_for_tasks(0, 3) == 0


def test_fargate_price_is_vcpu_hours_plus_gb_hours_at_a_valid_size() -> None:
    task = TaskSize(vcpu=0.5, memory_gib=3)
    price = task_price_per_hour_usd(parse_option("fargate"), task, PRICES)
    assert price == pytest.approx(0.5 * 0.04048 + 3 * 0.004445)
    # 0.3 vCPU / 2.5 GB is not a Fargate size: it is billed as 0.5 vCPU / 3 GB.
    assert fargate_size(TaskSize(vcpu=0.3, memory_gib=2.5), PRICES) == (0.5, 3)


def test_fargate_spot_uses_the_snapshot_discount_or_the_given_one() -> None:
    task = TaskSize(vcpu=1, memory_gib=2)
    on_demand = task_price_per_hour_usd(parse_option("fargate"), task, PRICES)
    spot = task_price_per_hour_usd(parse_option("fargate-spot"), task, PRICES)
    assert spot == pytest.approx(on_demand * 0.30)
    given = task_price_per_hour_usd(parse_option("fargate-spot"), task, PRICES, 0.66)
    assert given == pytest.approx(on_demand * 0.34)


def test_ec2_task_price_is_the_host_price_shared_by_its_tasks() -> None:
    task = TaskSize(vcpu=2, memory_gib=3, network_mode="bridge")
    # c5.2xlarge: 8 vCPU / 2 = 4 tasks, 15.2 GiB / 3 = 5 tasks -> 4.
    price = task_price_per_hour_usd(parse_option("ec2:c5.2xlarge"), task, PRICES)
    assert price == pytest.approx(0.34 / 4)
    spot = task_price_per_hour_usd(parse_option("ec2-spot:c5.2xlarge"), task, PRICES)
    assert spot == pytest.approx(0.34 * 0.30 / 4)


def test_on_demand_base_share_blends_spot_and_on_demand() -> None:
    task = TaskSize(vcpu=8, memory_gib=14, network_mode="bridge")
    option = parse_option("ec2-spot:c5.2xlarge")
    blended = task_price_per_hour_usd(option, task, PRICES, 0.5, on_demand_base_share=0.25)
    assert blended == pytest.approx(0.25 * 0.34 + 0.75 * 0.17)


def test_lambda_price_covers_memory_enough_for_the_vcpus() -> None:
    task = TaskSize(vcpu=2, memory_gib=1)
    price = task_price_per_hour_usd(parse_option("lambda"), task, PRICES)
    assert price == pytest.approx(2 * 1769 / 1024 * 3600 * 0.0000166667)


@pytest.mark.parametrize(
    ("option", "task", "job_s", "reason"),
    [
        ("lambda", TaskSize(vcpu=1, memory_gib=2, gpus=1), None, "Lambda has no GPUs"),
        ("lambda", TaskSize(vcpu=1, memory_gib=11), None, "limit is 10,240 MB"),
        ("lambda", TaskSize(vcpu=1, memory_gib=2), 901.0, "Lambda stops a call at 900 s"),
        ("fargate", TaskSize(vcpu=1, memory_gib=2, gpus=1), None, "Fargate has no GPUs"),
        ("fargate-spot", TaskSize(vcpu=32, memory_gib=64), None, "no Fargate size holds"),
        ("ec2:c5.xlarge", TaskSize(vcpu=1, memory_gib=2, gpus=1), None, "has no GPU"),
        ("ec2:t3.small", TaskSize(vcpu=2, memory_gib=4), None, "does not fit a t3.small"),
    ],
)
def test_exclusions_say_why(option: str, task: TaskSize, job_s: float | None, reason: str) -> None:
    found = exclusion_reason(parse_option(option), task, PRICES, job_s)
    assert found is not None and reason in found
    if job_s is None:
        with pytest.raises(InfeasibleOption, match=reason):
            task_price_per_hour_usd(parse_option(option), task, PRICES)
