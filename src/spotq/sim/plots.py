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
    runs = comparison.runs
    for key, ylabel in PANELS:
        # Backlog and workers: one row per policy (the step lines hide each other when overlaid);
        # cumulative cost: one panel, lines side by side.
        rows = 1 if key == "cost" else len(runs)
        # One x and one y scale for every panel, so policies compare at a glance.
        fig, axes = plt.subplots(
            rows, 1, figsize=(10, 1.2 + 1.3 * rows), dpi=100, sharex=True, sharey=True,
            squeeze=False,
        )  # fmt: skip
        for i, run in enumerate(runs):
            ax = axes[0 if key == "cost" else i][0]
            series = run.raw.series
            hours = [t / 3600.0 for t in series.t_s]
            ax.step(hours, _values(series, key), where="post", label=run.label, linewidth=1.0)
            ax.grid(alpha=0.3)
            if key != "cost":
                ax.set_ylabel(run.label, rotation=0, ha="right", fontsize=8)
        axes[-1][0].set_xlabel("hours")
        if key == "cost":
            axes[0][0].set_ylabel(ylabel)
            axes[0][0].legend(fontsize=8, ncols=3)
        fig.suptitle(f"{comparison.plan.scenario_name}: {ylabel}")
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
