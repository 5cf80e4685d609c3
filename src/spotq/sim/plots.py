"""PNG plots of backlog, workers and cumulative cost over time, one line per policy."""

from __future__ import annotations

from pathlib import Path

from spotq.sim.compare import Comparison

PANELS = (
    ("backlog", "messages (visible + in flight)"),
    ("workers", "workers (running + starting)"),
    ("cost", "cumulative cost (USD)"),
)


def write_plots(comparison: Comparison, out_dir: Path) -> list[Path]:
    """Write backlog.png, workers.png and cost.png into `out_dir`; return their paths."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for key, ylabel in PANELS:
        fig, ax = plt.subplots(figsize=(10, 3.6), dpi=100)
        for run in comparison.runs:
            series = run.raw.series
            hours = [t / 3600.0 for t in series.t_s]
            ax.step(hours, _values(series, key), where="post", label=run.label, linewidth=1.0)
        ax.set_xlabel("hours")
        ax.set_ylabel(ylabel)
        ax.set_title(f"{comparison.plan.scenario_name}: {ylabel}")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, ncols=3)
        fig.tight_layout()
        path = out_dir / f"{key}.png"
        fig.savefig(path)
        plt.close(fig)
        paths.append(path)
    return paths


def _values(series: object, key: str) -> list[float]:
    from spotq.sim.result import Series

    assert isinstance(series, Series)
    if key == "backlog":
        return [float(v + f) for v, f in zip(series.visible, series.in_flight, strict=True)]
    if key == "workers":
        return [float(w) for w in series.workers]
    return list(series.cost_usd)
