"""The shipped price snapshot and user overrides."""

from __future__ import annotations

from pathlib import Path

import pytest

from spotq.errors import ConfigError
from spotq.plan.prices import deep_merge, load_prices


def test_snapshot_loads_with_its_date_and_figures() -> None:
    prices = load_prices()
    assert prices.snapshot_date == "2026-11-22"
    assert prices.region == "us-east-1"
    assert prices.ec2_on_demand_linux_hr["g4dn.xlarge"] == pytest.approx(0.526)
    assert prices.fargate.linux_x86.vcpu_hr == pytest.approx(0.04048)
    assert prices.lambda_.max_timeout_s == 900
    assert prices.ec2_shapes["g5.2xlarge"].gpus == 1
    assert prices.ecs_awsvpc_tasks_with_trunking["g4dn.xlarge"] is None


def test_inferentia_is_not_a_gpu_to_ecs() -> None:
    shape = load_prices().ec2_shapes["inf2.xlarge"]
    assert shape.accelerator_count == 1
    assert shape.gpus == 0


def test_override_merges_one_number_and_keeps_the_rest(tmp_path: Path) -> None:
    override = tmp_path / "mine.yaml"
    override.write_text("fargate:\n  linux_x86: {vcpu_hr: 0.05}\nsnapshot_date: 2027-01-01\n")
    prices = load_prices(override)
    assert prices.fargate.linux_x86.vcpu_hr == pytest.approx(0.05)
    assert prices.fargate.linux_x86.gb_hr == pytest.approx(0.004445)
    assert prices.snapshot_date == "2027-01-01"
    assert load_prices().fargate.linux_x86.vcpu_hr == pytest.approx(0.04048)


def test_overrides_apply_in_order_and_can_add_an_instance_type(tmp_path: Path) -> None:
    first = tmp_path / "a.yaml"
    first.write_text(
        "ec2_on_demand_linux_hr: {c7g.xlarge: 0.145}\n"
        "ec2_shapes: {c7g.xlarge: [4, 8, 0, null, 0, 4]}\n"
    )
    second = tmp_path / "b.yaml"
    second.write_text("ec2_on_demand_linux_hr: {c7g.xlarge: 0.15}\n")
    prices = load_prices(first, second)
    assert prices.ec2_on_demand_linux_hr["c7g.xlarge"] == pytest.approx(0.15)
    assert prices.shape("c7g.xlarge").mem_gib == 8


def test_override_with_a_wrong_type_names_the_key(tmp_path: Path) -> None:
    override = tmp_path / "bad.yaml"
    override.write_text("alb: {hour: cheap}\n")
    with pytest.raises(ConfigError, match=r"alb\.hour: expected a number, got 'cheap'"):
        load_prices(override)


def test_override_with_an_unknown_key_names_it(tmp_path: Path) -> None:
    override = tmp_path / "bad.yaml"
    override.write_text("nat_gateway: {hourly: 0.05}\n")
    with pytest.raises(ConfigError, match=r"nat_gateway\.hourly: unknown key"):
        load_prices(override)


def test_priced_type_without_a_shape_is_named(tmp_path: Path) -> None:
    override = tmp_path / "bad.yaml"
    override.write_text("ec2_on_demand_linux_hr: {x9.large: 1.0}\n")
    with pytest.raises(ConfigError, match=r"ec2_shapes\.x9\.large: missing"):
        load_prices(override)


def test_override_that_is_not_yaml_or_not_there(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("alb: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_prices(broken)
    with pytest.raises(ConfigError, match="cannot read it"):
        load_prices(tmp_path / "missing.yaml")


def test_deep_merge_replaces_lists_and_merges_mappings() -> None:
    base = {"a": {"b": 1, "c": [1, 2]}, "d": 4}
    merged = deep_merge(base, {"a": {"c": [9]}, "e": 5})
    assert merged == {"a": {"b": 1, "c": [9]}, "d": 4, "e": 5}
    assert base["a"] == {"b": 1, "c": [1, 2]}
