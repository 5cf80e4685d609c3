"""A PNG bar chart comparing the options' monthly cost (compute and fixed, stacked)."""

from __future__ import annotations

from pathlib import Path

from spotq.errors import ConfigError
from spotq.plan.engine import Plan


def write_chart(plan: Plan, path: Path) -> None:
    """Write the chart to `path`; options that cannot run the task are left out."""
    try:
        import matplotlib
    except ImportError as exc:  # an optional dependency: spotq[plot]
        raise ConfigError("--chart needs matplotlib: pip install 'spotq[plot]'") from exc
    matplotlib.use("Agg")
    from matplotlib import pyplot

    rows = sorted(plan.feasible(), key=lambda row: row.total_usd_per_month or 0.0)
    names = [row.option for row in rows]
    compute = [row.compute_usd_per_month or 0.0 for row in rows]
    fixed = [row.fixed_usd_per_month or 0.0 for row in rows]
    figure, axes = pyplot.subplots(figsize=(max(6.0, 1.3 * len(rows) + 2), 4.5))
    try:
        axes.bar(names, compute, label="compute", color="#4C72B0")
        axes.bar(names, fixed, bottom=compute, label="fixed", color="#B0B0B0")
        for index, row in enumerate(rows):
            total = row.total_usd_per_month or 0.0
            axes.annotate(f"${total:,.2f}", (index, total), ha="center", va="bottom", fontsize=8)
        axes.set_ylabel("USD per month")
        axes.set_title(
            f"{plan.scenario}: monthly cost by option\n"
            f"AWS list prices {plan.region}, snapshot {plan.snapshot_date}",
            fontsize=10,
        )
        axes.tick_params(axis="x", labelrotation=20, labelsize=8)
        axes.legend()
        figure.tight_layout()
        path.parent.mkdir(parents=True, exist_ok=True)
        figure.savefig(path, dpi=110)
    except OSError as exc:
        raise ConfigError(f"--chart {path}: cannot write it ({exc.strerror or exc})") from exc
    finally:
        pyplot.close(figure)
