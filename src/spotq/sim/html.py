"""A self-contained HTML report: the comparison table and the plots embedded as data URIs."""

from __future__ import annotations

import base64
import html
import math
import tempfile
from pathlib import Path

from spotq.sim.compare import Comparison
from spotq.sim.plots import write_plots
from spotq.sim.report import headline, verdict

_COLUMNS = (
    ("policy", "policy"),
    ("cost_usd", "cost $"),
    ("cost_per_1000_usd", "$ / 1k jobs"),
    ("p50_s", "p50 s"),
    ("p95_s", "p95 s"),
    ("p99_s", "p99 s"),
    ("max_backlog", "max backlog"),
    ("retried", "retried"),
    ("dead_lettered", "DLQ"),
    ("stranded", "never served"),
    ("slo_violations", "SLO miss"),
    ("peak_workers", "peak workers"),
)

_STYLE = (
    "body{font-family:system-ui,sans-serif;margin:2em;max-width:1100px}"
    "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}"
    "td:first-child,th:first-child{text-align:left}img{max-width:100%}"
)


def _cell(value: object) -> str:
    if isinstance(value, float):
        return "never" if not math.isfinite(value) else f"{value:,.4g}"
    return html.escape(str(value))


def render_html(comparison: Comparison) -> str:
    """The report as one HTML string (no external files)."""
    head = "".join(f"<th>{html.escape(label)}</th>" for _, label in _COLUMNS)
    rows = []
    for run in comparison.runs:
        values = run.result.__dict__
        rows.append("<tr>" + "".join(f"<td>{_cell(values[k])}</td>" for k, _ in _COLUMNS) + "</tr>")
    bound = f"<tr><td>lower bound</td><td>{comparison.lower_bound_usd:,.4g}</td></tr>"
    with tempfile.TemporaryDirectory() as tmp:
        images = [
            base64.b64encode(path.read_bytes()).decode("ascii")
            for path in write_plots(comparison, Path(tmp))
        ]
    figures = "".join(f'<p><img alt="plot" src="data:image/png;base64,{b}"></p>' for b in images)
    title = html.escape(comparison.plan.scenario_name)
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>spotq simulate: {title}</title>"
        f"<style>{_STYLE}</style></head><body><h1>spotq simulate: {title}</h1>"
        f"<p>{html.escape(headline(comparison))}</p>"
        f"<table><tr>{head}</tr>{''.join(rows)}{bound}</table>"
        f"<p>{html.escape(verdict(comparison))}</p>{figures}</body></html>"
    )
