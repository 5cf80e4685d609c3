"""Optional: fetch current EC2 on-demand prices from the AWS Price List API into an override file.

Needs AWS credentials; nothing else in spotq calls it, and the tests only check the parsing.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from spotq.errors import ConfigError

# The Price List API answers only in a few regions; us-east-1 serves every region's prices.
_PRICING_ENDPOINT_REGION = "us-east-1"


def on_demand_usd_per_hour(price_item: str | dict[str, Any]) -> float | None:
    """The hourly USD price in one Price List product document (None when it has none)."""
    document = json.loads(price_item) if isinstance(price_item, str) else price_item
    for term in document.get("terms", {}).get("OnDemand", {}).values():
        for dimension in term.get("priceDimensions", {}).values():
            if dimension.get("unit") not in ("Hrs", "Hours"):
                continue
            usd = dimension.get("pricePerUnit", {}).get("USD")
            if usd is not None and float(usd) > 0:
                return float(usd)
    return None


def _filters(instance_type: str, region: str) -> list[dict[str, str]]:
    wanted = {
        "instanceType": instance_type,
        "regionCode": region,
        "operatingSystem": "Linux",
        "tenancy": "Shared",
        "preInstalledSw": "NA",
        "capacitystatus": "Used",
        "licenseModel": "No License required",
    }
    return [{"Type": "TERM_MATCH", "Field": k, "Value": v} for k, v in wanted.items()]


def refresh_prices_from_aws(
    instance_types: Sequence[str],
    out: Path,
    *,
    region: str = "us-east-1",
    session: Any | None = None,
) -> dict[str, float]:
    """Write `out` (a prices override file) with today's on-demand prices of `instance_types`."""
    import boto3

    session = session or boto3.Session()
    if session.get_credentials() is None:
        raise ConfigError("refreshing prices needs AWS credentials (none were found)")
    client = session.client("pricing", region_name=_PRICING_ENDPOINT_REGION)
    found: dict[str, float] = {}
    for instance_type in instance_types:
        reply = client.get_products(
            ServiceCode="AmazonEC2", Filters=_filters(instance_type, region), MaxResults=10
        )
        prices = [on_demand_usd_per_hour(item) for item in reply.get("PriceList", [])]
        hourly = [p for p in prices if p is not None]
        if not hourly:
            raise ConfigError(
                f"the Price List API has no Linux on-demand price for {instance_type}"
            )
        found[instance_type] = min(hourly)
    stamp = f"{dt.date.today().isoformat()} (EC2 on-demand from the Price List API)"
    document = {"snapshot_date": stamp, "ec2_on_demand_linux_hr": found}
    out.write_text(yaml.safe_dump(document, sort_keys=True))
    return found
