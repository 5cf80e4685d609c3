"""Parsing Price List API answers; AWS itself is out of reach, so a stand-in session answers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from spotq.errors import ConfigError
from spotq.plan.prices import load_prices
from spotq.plan.prices_refresh import on_demand_usd_per_hour, refresh_prices_from_aws


def _product(usd: str) -> str:
    # The shape of one PriceList entry from pricing:GetProducts (trimmed).
    return json.dumps(
        {
            "product": {"attributes": {"instanceType": "c5.xlarge"}},
            "terms": {
                "OnDemand": {
                    "ABC.JRTCKXETXF": {
                        "priceDimensions": {
                            "ABC.JRTCKXETXF.6YS6EN2CT7": {
                                "unit": "Hrs",
                                "pricePerUnit": {"USD": usd},
                            }
                        }
                    }
                }
            },
        }
    )


class _FakePricing:
    def __init__(self, answers: dict[str, list[str]]) -> None:
        self.answers = answers
        self.filters: list[list[dict[str, str]]] = []

    def get_products(self, **kwargs: Any) -> dict[str, Any]:
        self.filters.append(kwargs["Filters"])
        wanted = next(f["Value"] for f in kwargs["Filters"] if f["Field"] == "instanceType")
        return {"PriceList": self.answers.get(wanted, [])}


class _FakeSession:
    def __init__(self, client: _FakePricing, credentials: object | None = object()) -> None:
        self._client = client
        self._credentials = credentials

    def get_credentials(self) -> object | None:
        return self._credentials

    def client(self, name: str, region_name: str) -> _FakePricing:
        assert (name, region_name) == ("pricing", "us-east-1")
        return self._client


def test_parses_the_hourly_price() -> None:
    assert on_demand_usd_per_hour(_product("0.1700000000")) == pytest.approx(0.17)
    assert on_demand_usd_per_hour(_product("0.0000000000")) is None


def test_refresh_writes_an_override_the_loader_accepts(tmp_path: Path) -> None:
    fake = _FakePricing({"c5.xlarge": [_product("0.18")]})
    out = tmp_path / "fresh.yaml"
    found = refresh_prices_from_aws(["c5.xlarge"], out, session=_FakeSession(fake))
    assert found == {"c5.xlarge": pytest.approx(0.18)}
    assert {"Type": "TERM_MATCH", "Field": "operatingSystem", "Value": "Linux"} in fake.filters[0]
    prices = load_prices(out)
    assert prices.ec2_on_demand_linux_hr["c5.xlarge"] == pytest.approx(0.18)
    assert "Price List API" in prices.snapshot_date


def test_refresh_needs_credentials_and_a_price(tmp_path: Path) -> None:
    fake = _FakePricing({})
    with pytest.raises(ConfigError, match="needs AWS credentials"):
        refresh_prices_from_aws(
            ["c5.xlarge"], tmp_path / "x.yaml", session=_FakeSession(fake, None)
        )
    with pytest.raises(ConfigError, match=r"no Linux on-demand price for c5\.xlarge"):
        refresh_prices_from_aws(["c5.xlarge"], tmp_path / "x.yaml", session=_FakeSession(fake))
